/*
 * policy/policyfile.c - parser for the administrator's policy files.
 * Contract: see policyfile.h.  Pure C, no I/O: the caller hands in each file's text.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "policyfile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 256		/* words per line; more is an error, not a truncation */
#define MAX_LINE 8192		/* bytes per line */

static const struct {
	const char *word;
	enum pw_selector sel;
} selectors[] = {
	{ "sender_domain", PW_SEL_SENDER_DOMAIN },
	{ "recipient_domain", PW_SEL_RECIPIENT_DOMAIN },
	{ "auth_user", PW_SEL_AUTH_USER },
	{ "client_network", PW_SEL_CLIENT_NETWORK },
};
#define N_SELECTORS (sizeof(selectors) / sizeof(selectors[0]))

/* pw_selector_name - the policy-file word */
const char *pw_selector_name(enum pw_selector sel)
{
	for (size_t i = 0; i < N_SELECTORS; i++)
		if (selectors[i].sel == sel)
			return selectors[i].word;
	return "?";
}

/* add_rule - append one rule; false on lack of memory */
static bool add_rule(struct pw_policy *p, const struct pw_rule *r)
{
	if (p->n_tls_rules == p->cap_tls_rules) {
		size_t ncap = p->cap_tls_rules ? p->cap_tls_rules * 2 : 16;
		struct pw_rule *nv = realloc(p->tls_rules, ncap * sizeof(*nv));
		if (nv == NULL)
			return false;
		p->tls_rules = nv;
		p->cap_tls_rules = ncap;
	}
	p->tls_rules[p->n_tls_rules++] = *r;
	return true;
}

/* stmt_require_tls - "require_tls SELECTOR VALUE..." */
static void stmt_require_tls(struct pw_policy *p, const char *file, unsigned line,
			     char **w, size_t nw, struct pw_diags *d)
{
	size_t s;
	if (nw < 2) {
		pw_diags_add(d, file, line, "require_tls needs a selector: sender_domain, "
			     "recipient_domain, auth_user or client_network");
		return;
	}
	for (s = 0; s < N_SELECTORS; s++)
		if (strcmp(w[1], selectors[s].word) == 0)
			break;
	if (s == N_SELECTORS) {
		pw_diags_add(d, file, line, "unknown selector \"%s\" (expected sender_domain, "
			     "recipient_domain, auth_user or client_network)", w[1]);
		return;
	}
	if (nw < 3) {
		pw_diags_add(d, file, line, "require_tls %s needs at least one value", w[1]);
		return;
	}
	for (size_t i = 2; i < nw; i++) {
		struct pw_rule r = { .sel = selectors[s].sel, .file = file, .line = line };
		const char *why;
		switch (r.sel) {
		case PW_SEL_SENDER_DOMAIN:
		case PW_SEL_RECIPIENT_DOMAIN:
			if (!pw_domain_valid(w[i], true)) {
				pw_diags_add(d, file, line, "\"%s\" is not a domain name or "
					     ".domain pattern", w[i]);
				continue;
			}
			break;
		case PW_SEL_AUTH_USER:
			break;
		case PW_SEL_CLIENT_NETWORK:
			if (!pw_network_parse(w[i], &r.net, &why)) {
				pw_diags_add(d, file, line, "bad network \"%s\": %s", w[i], why);
				continue;
			}
			break;
		}
		if ((r.pattern = strdup(w[i])) == NULL) {
			pw_diags_add(d, file, line, "out of memory");
			return;
		}
		if (r.sel == PW_SEL_SENDER_DOMAIN || r.sel == PW_SEL_RECIPIENT_DOMAIN)
			for (char *c = r.pattern; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		if (!add_rule(p, &r)) {
			free(r.pattern);
			pw_diags_add(d, file, line, "out of memory");
			return;
		}
	}
}

/* stmt_practice - "practice TERM[,TERM...] [dnssec=...] ACTION [REPLY]" */
static void stmt_practice(struct pw_policy *p, const char *file, unsigned line,
			  char **w, size_t nw, struct pw_diags *d)
{
	struct pw_sp_rule r;
	char why[256];

	if (!pw_sp_rule_parse(w, nw, &r, why, sizeof(why))) {
		pw_diags_add(d, file, line, "%s", why);
		return;
	}
	r.file = file;
	r.line = line;
	if (p->n_sp_rules == p->cap_sp_rules) {
		size_t ncap = p->cap_sp_rules ? p->cap_sp_rules * 2 : 8;
		struct pw_sp_rule *nv = realloc(p->sp_rules, ncap * sizeof(*nv));
		if (nv == NULL) {
			pw_sp_rule_free(&r);
			pw_diags_add(d, file, line, "out of memory");
			return;
		}
		p->sp_rules = nv;
		p->cap_sp_rules = ncap;
	}
	p->sp_rules[p->n_sp_rules++] = r;
}

static const struct {
	const char *word;
	void (*fn)(struct pw_policy *, const char *, unsigned, char **, size_t,
		   struct pw_diags *);
} statements[] = {
	{ "require_tls", stmt_require_tls },
	{ "practice", stmt_practice },
};
#define N_STATEMENTS (sizeof(statements) / sizeof(statements[0]))

/* do_line - split one line into words and dispatch it */
static void do_line(struct pw_policy *p, const char *file, unsigned line, char *buf,
		    struct pw_diags *d)
{
	char *w[MAX_WORDS];
	size_t nw = 0;
	char *c = buf;

	for (;;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (*c == '\0' || *c == '#')
			break;
		if (nw == MAX_WORDS) {
			pw_diags_add(d, file, line, "more than %d words on one line", MAX_WORDS);
			return;
		}
		w[nw++] = c;
		while (*c && *c != ' ' && *c != '\t')	/* '#' inside a word is part of it */
			c++;
		if (*c)
			*c++ = '\0';
	}
	if (nw == 0)
		return;
	for (size_t i = 0; i < N_STATEMENTS; i++)
		if (strcmp(w[0], statements[i].word) == 0) {
			statements[i].fn(p, file, line, w, nw, d);
			return;
		}
	pw_diags_add(d, file, line, "unknown statement \"%.64s\" (expected require_tls or practice)", w[0]);
}

/* remember_file - keep an owned copy of FILE's name for the rules to point at */
static const char *remember_file(struct pw_policy *p, const char *file)
{
	char **nv = realloc(p->files, (p->n_files + 1) * sizeof(*nv));
	if (nv == NULL)
		return NULL;
	p->files = nv;
	if ((p->files[p->n_files] = strdup(file)) == NULL)
		return NULL;
	return p->files[p->n_files++];
}

/* pw_policy_parse - parse one file's text into *p */
size_t pw_policy_parse(struct pw_policy *p, const char *file, const char *text, size_t len,
		       struct pw_diags *d)
{
	size_t before = d->n;
	const char *name = remember_file(p, file ? file : "(unnamed)");
	const char *s = text, *end = text + len;
	unsigned lineno = 0;
	char *buf;

	if (name == NULL || (buf = malloc(MAX_LINE + 1)) == NULL) {
		pw_diags_add(d, file, 0, "out of memory");
		return d->n - before;
	}
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - s);
		bool bad = false;
		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > MAX_LINE) {
			pw_diags_add(d, name, lineno, "line longer than %d bytes", MAX_LINE);
			bad = true;
		} else {
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)s[i];
				if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
					pw_diags_add(d, name, lineno, "control character 0x%02x in "
						     "column %zu", c, i + 1);
					bad = true;
					break;
				}
			}
		}
		if (!bad) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			do_line(p, name, lineno, buf, d);
		}
		s = nl ? nl + 1 : end;
	}
	free(buf);
	return d->n - before;
}

/* pw_policy_free - release */
void pw_policy_free(struct pw_policy *p)
{
	for (size_t i = 0; i < p->n_tls_rules; i++)
		free(p->tls_rules[i].pattern);
	free(p->tls_rules);
	for (size_t i = 0; i < p->n_sp_rules; i++)
		pw_sp_rule_free(&p->sp_rules[i]);
	free(p->sp_rules);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	memset(p, 0, sizeof(*p));
}
