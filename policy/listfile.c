/*
 * policy/listfile.c - parser for encrypted mailing-list definition files: the statements,
 * the whole-file checks, and the hand-over of a clean list to the struct pw_lists.
 * Contract: see listfile.h.  Pure C, no I/O: the caller hands in each file's text.
 * Lines are split exactly as policyfile.c splits them, so both kinds of file read alike.
 * The checks of single words (addresses, fingerprints) are in listfile-words.c, the
 * address indexes and the lookups through them in listfile-index.c (listfile-int.h).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "listfile.h"
#include "listfile-int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 256		/* words per line; more is an error, not a truncation */
#define MAX_LINE 8192		/* bytes per line */
#define MAX_CROSS_REPORTS 10	/* subscriber-versus-list-key errors named one by one */

/* ---- statements ----------------------------------------------------------------------- */

enum stmt {
	ST_LIST, ST_OWNER, ST_BOUNCE, ST_OPENPGP_KEY, ST_SMIME_CERT, ST_SMIME_KEY, ST_POSTERS,
	ST_POSTER, ST_REQUIRE_SIGNATURE, ST_INHERIT_REQUIRETLS, ST_ATTEST, ST_LIST_ID,
	ST_SUBSCRIBER,
	N_STMT
};

/* one file's parse: the list being built and what the end-of-file checks need */
struct list_parse {
	struct pw_list l;		/* handed over to the pw_lists only when clean */
	const char *file;		/* the caller's name, for diagnostics */
	struct pw_diags *d;
	size_t errors;			/* counted here: pw_diags_add may drop one (oom) */
	unsigned seen[N_STMT];		/* line of each statement's first use; 0 = none */
	size_t cap_subs, cap_posters;
	unsigned *poster_line;		/* line of each posters_list entry */
	unsigned *poster_stmt;		/* line of each "poster" statement */
	size_t n_poster_stmt, cap_poster_stmt;
	bool posters_bad;		/* the posters statement had an error */
	bool too_many_subs, too_many_posters;
};

/* ERR - one error at LINE of the file being parsed */
#define ERR(lp, line, ...) do { \
	(lp)->errors++; \
	pw_diags_add((lp)->d, (lp)->file, (line), __VA_ARGS__); \
} while (0)

/* one_word - the statement takes exactly one argument; NEED and ONE describe it */
static bool one_word(struct list_parse *lp, unsigned line, char **w, size_t nw,
		     const char *need, const char *one)
{
	if (nw < 2) {
		ERR(lp, line, "%s needs %s", w[0], need);
		return false;
	}
	if (nw > 2) {
		ERR(lp, line, "%s takes %s; unexpected \"%.100s\"", w[0], one, w[2]);
		return false;
	}
	return true;
}

/* set_address - "list|owner|bounce ADDRESS" into *SLOT */
static void set_address(struct list_parse *lp, unsigned line, char **w, size_t nw,
			char **slot)
{
	char why[160];
	int r;

	if (!one_word(lp, line, w, nw, "an address", "one address"))
		return;
	r = lf_addr_parse(w[1], slot, why, sizeof(why));
	if (r < 0)
		ERR(lp, line, "out of memory");
	else if (r == 0)
		ERR(lp, line, "bad %s address \"%.100s\": %s", w[0], w[1], why);
}

/* stmt_list - "list ADDRESS": also the copies' List-Id, so plain ASCII without blanks */
static void stmt_list(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	const char *a;
	lp->l.line = line;
	set_address(lp, line, w, nw, &lp->l.address);
	if ((a = lp->l.address) == NULL)
		return;
	for (const char *s = a; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '<' ||
		    *s == '>' || *s == '"') {
			ERR(lp, line, "list address \"%.100s\" cannot make a List-Id (RFC 2919): "
			    "it must be ASCII, without quotes, blanks or angle brackets", a);
			return;
		}
	if (strlen(a) > PW_LIST_ID_MAX)
		ERR(lp, line, "list address is longer than %d octets, the limit of a List-Id "
		    "(RFC 2919)", PW_LIST_ID_MAX);
}

/* stmt_owner - "owner ADDRESS" */
static void stmt_owner(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_address(lp, line, w, nw, &lp->l.owner);
}

/* stmt_bounce - "bounce ADDRESS" */
static void stmt_bounce(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_address(lp, line, w, nw, &lp->l.bounce);
}

/* stmt_openpgp_key - "openpgp_key FINGERPRINT" */
static void stmt_openpgp_key(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	char why[160];

	if (nw < 2) {
		ERR(lp, line, "openpgp_key needs a fingerprint (40 hex digits)");
		return;
	}
	if (nw > 2) {
		ERR(lp, line, "openpgp_key takes one fingerprint of 40 hex digits, written "
		    "without spaces");
		return;
	}
	if (!lf_fpr_parse(w[1], lp->l.openpgp_fpr, why, sizeof(why)))
		ERR(lp, line, "bad OpenPGP fingerprint \"%.100s\": %s", w[1], why);
}

/* set_path - "smime_cert|smime_key PATH" into *SLOT */
static void set_path(struct list_parse *lp, unsigned line, char **w, size_t nw, char **slot)
{
	if (!one_word(lp, line, w, nw, "a path", "one path"))
		return;
	if (w[1][0] != '/') {
		ERR(lp, line, "%s path \"%.100s\" is not absolute", w[0], w[1]);
		return;
	}
	if ((*slot = strdup(w[1])) == NULL)
		ERR(lp, line, "out of memory");
}

/* stmt_smime_cert - "smime_cert PATH" */
static void stmt_smime_cert(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_path(lp, line, w, nw, &lp->l.smime_cert);
}

/* stmt_smime_key - "smime_key PATH" */
static void stmt_smime_key(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_path(lp, line, w, nw, &lp->l.smime_key);
}

static const char *const posters_words[] = {
	[PW_LIST_POSTERS_SUBSCRIBERS] = "subscribers",
	[PW_LIST_POSTERS_LISTED] = "listed",
	[PW_LIST_POSTERS_ANYONE] = "anyone",
};
#define N_POSTERS_WORDS (sizeof(posters_words) / sizeof(posters_words[0]))

/* pw_list_posters_name - the list-file word */
const char *pw_list_posters_name(enum pw_list_posters p)
{
	return (size_t)p < N_POSTERS_WORDS ? posters_words[p] : "?";
}

/* stmt_posters - "posters subscribers|listed|anyone" */
static void stmt_posters(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	lp->posters_bad = true;
	if (!one_word(lp, line, w, nw, "a value: subscribers, listed or anyone", "one value"))
		return;
	for (size_t i = 0; i < N_POSTERS_WORDS; i++)
		if (strcmp(w[1], posters_words[i]) == 0) {
			lp->l.posters = (enum pw_list_posters)i;
			lp->posters_bad = false;
			return;
		}
	ERR(lp, line, "posters \"%.100s\": expected subscribers, listed or anyone", w[1]);
}

/* grow - room for one more element in V (N used, *CAP allocated, SIZE bytes each): the
 * array, moved or not, or NULL out of memory (V is then left as it was) */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / size || (nv = realloc(v, ncap * size)) == NULL)
		return NULL;
	*cap = ncap;
	return nv;
}

/* add_poster - one "poster" address */
static void add_poster(struct list_parse *lp, unsigned line, const char *word)
{
	struct pw_list *l = &lp->l;
	size_t cap1 = lp->cap_posters, cap2 = lp->cap_posters, dup;
	char why[160], *a, **nv;
	unsigned *nline = NULL;
	int r;

	r = lf_addr_parse(word, &a, why, sizeof(why));
	if (r < 0) {
		ERR(lp, line, "out of memory");
		return;
	}
	if (r == 0) {
		ERR(lp, line, "bad poster address \"%.100s\": %s", word, why);
		return;
	}
	if (l->n_posters == PW_LIST_MAX_POSTERS) {
		if (!lp->too_many_posters)
			ERR(lp, line, "more than %d posters (the most a list may have)",
			    PW_LIST_MAX_POSTERS);
		lp->too_many_posters = true;
		free(a);
		return;
	}
	/* the two arrays grow together: a failure in between leaves the old capacity */
	if ((nv = grow(l->posters_list, l->n_posters, &cap1, sizeof(*nv))) != NULL) {
		l->posters_list = nv;
		if ((nline = grow(lp->poster_line, l->n_posters, &cap2, sizeof(*nline))) != NULL)
			lp->poster_line = nline;
	}
	if (nline == NULL) {
		free(a);
		ERR(lp, line, "out of memory");
		return;
	}
	lp->cap_posters = cap1;
	l->posters_list[l->n_posters] = a;
	lp->poster_line[l->n_posters] = line;
	r = lf_idx_add(&l->poster_index, l->posters_list, lf_poster_key, l->n_posters, &dup);
	if (r == 1) {
		l->n_posters++;
		return;
	}
	free(a);
	if (r == 0)
		ERR(lp, line, "poster \"%.100s\" is already listed at line %u", word,
		    lp->poster_line[dup]);
	else
		ERR(lp, line, "out of memory");
}

/* stmt_poster - "poster ADDRESS..." */
static void stmt_poster(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	unsigned *nv;

	if (nw < 2) {
		ERR(lp, line, "poster needs at least one address");
		return;
	}
	nv = grow(lp->poster_stmt, lp->n_poster_stmt, &lp->cap_poster_stmt,
			    sizeof(*nv));

	if (nv == NULL) {
		ERR(lp, line, "out of memory");
		return;
	}
	lp->poster_stmt = nv;
	lp->poster_stmt[lp->n_poster_stmt++] = line;
	for (size_t i = 1; i < nw; i++)
		add_poster(lp, line, w[i]);
}

/* set_yes_no - "require_signature|inherit_requiretls yes|no" */
static void set_yes_no(struct list_parse *lp, unsigned line, char **w, size_t nw, bool *slot)
{
	if (!one_word(lp, line, w, nw, "a value: yes or no", "one value"))
		return;
	if (strcmp(w[1], "yes") == 0)
		*slot = true;
	else if (strcmp(w[1], "no") == 0)
		*slot = false;
	else
		ERR(lp, line, "%s \"%.100s\": expected yes or no", w[0], w[1]);
}

/* stmt_require_signature - "require_signature yes|no" */
static void stmt_require_signature(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_yes_no(lp, line, w, nw, &lp->l.require_signature);
}

/* stmt_attest - "attest auto|always|never" */
static void stmt_attest(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	if (!one_word(lp, line, w, nw, "a value: auto, always or never", "one value"))
		return;
	if (strcmp(w[1], "auto") == 0)
		lp->l.attest = PW_LIST_ATTEST_AUTO;
	else if (strcmp(w[1], "always") == 0)
		lp->l.attest = PW_LIST_ATTEST_ALWAYS;
	else if (strcmp(w[1], "never") == 0)
		lp->l.attest = PW_LIST_ATTEST_NEVER;
	else
		ERR(lp, line, "attest \"%.100s\": expected auto, always or never", w[1]);
}

/* stmt_inherit_requiretls - "inherit_requiretls yes|no" */
static void stmt_inherit_requiretls(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_yes_no(lp, line, w, nw, &lp->l.inherit_requiretls);
}

/* stmt_list_id - "list_id TEXT...": the words joined by single spaces */
static void stmt_list_id(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	size_t len = 0;
	char *p;

	if (nw < 2) {
		ERR(lp, line, "list_id needs a phrase");
		return;
	}
	for (size_t i = 1; i < nw; i++)
		len += strlen(w[i]) + 1;
	if ((p = malloc(len)) == NULL) {
		ERR(lp, line, "out of memory");
		return;
	}
	len = 0;
	for (size_t i = 1; i < nw; i++) {
		size_t n = strlen(w[i]);
		if (i > 1)
			p[len++] = ' ';
		memcpy(p + len, w[i], n);
		len += n;
	}
	p[len] = '\0';
	if (!lf_utf8_valid(p, len)) {
		ERR(lp, line, "list_id is not valid UTF-8");
		free(p);
		return;
	}
	if (len > PW_LIST_PHRASE_MAX) {
		ERR(lp, line, "list_id phrase is %zu octets long; at most %d", len,
		    PW_LIST_PHRASE_MAX);
		free(p);
		return;
	}
	lp->l.list_id_phrase = p;
}

/* stmt_subscriber - "subscriber ADDRESS [openpgp=FINGERPRINT] [smime=PATH]" */
static void stmt_subscriber(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	struct pw_list *l = &lp->l;
	struct pw_list_sub s = { .line = line };
	const char *fpr = NULL, *smime = NULL;
	struct pw_list_sub *nv;
	bool ok = true, bad_option = false;	/* "needs a key" only when no option was bad */
	char why[160];
	size_t dup;
	int r;

	if (nw < 2) {
		ERR(lp, line, "subscriber needs an address and a key (openpgp=FINGERPRINT, "
		    "smime=PATH or both)");
		return;
	}
	r = lf_addr_parse(w[1], &s.addr, why, sizeof(why));
	if (r < 0) {
		ERR(lp, line, "out of memory");
		return;
	}
	if (r == 0) {
		ERR(lp, line, "bad subscriber address \"%.100s\": %s", w[1], why);
		ok = false;
	}
	for (size_t i = 2; i < nw; i++) {
		if (strncmp(w[i], "openpgp=", 8) == 0) {
			if (fpr != NULL) {
				ERR(lp, line, "openpgp= is given twice");
				bad_option = true;
				continue;
			}
			fpr = w[i] + 8;
			if (*fpr == '\0') {
				ERR(lp, line, "openpgp= needs a fingerprint (40 hex digits)");
				bad_option = true;
			} else if (!lf_fpr_parse(fpr, s.fpr, why, sizeof(why))) {
				ERR(lp, line, "bad OpenPGP fingerprint \"%.100s\": %s", fpr, why);
				bad_option = true;
			}
		} else if (strncmp(w[i], "smime=", 6) == 0) {
			if (smime != NULL) {
				ERR(lp, line, "smime= is given twice");
				bad_option = true;
				continue;
			}
			smime = w[i] + 6;
			if (*smime == '\0') {
				ERR(lp, line, "smime= needs a path");
				bad_option = true;
			} else if (*smime != '/') {
				ERR(lp, line, "smime= path \"%.100s\" is not absolute", smime);
				bad_option = true;
			}
		} else {
			ERR(lp, line, "unknown subscriber option \"%.100s\" (expected "
			    "openpgp=FINGERPRINT or smime=PATH)", w[i]);
			bad_option = true;
		}
	}
	if (!bad_option && fpr == NULL && smime == NULL)
		ERR(lp, line, "subscriber \"%.100s\" needs a key: openpgp=FINGERPRINT, "
		    "smime=PATH or both", w[1]);
	if (!ok || bad_option || (fpr == NULL && smime == NULL)) {
		free(s.addr);
		return;
	}
	if (l->n_subs == PW_LIST_MAX_SUBSCRIBERS) {
		if (!lp->too_many_subs)
			ERR(lp, line, "more than %d subscribers (the most a list may have)",
			    PW_LIST_MAX_SUBSCRIBERS);
		lp->too_many_subs = true;
		free(s.addr);
		return;
	}
	if ((smime != NULL && (s.smime_cert = strdup(smime)) == NULL) ||
	    (nv = grow(l->subs, l->n_subs, &lp->cap_subs, sizeof(*nv))) == NULL) {
		free(s.addr);
		free(s.smime_cert);
		ERR(lp, line, "out of memory");
		return;
	}
	l->subs = nv;
	l->subs[l->n_subs] = s;
	r = lf_idx_add(&l->sub_index, l->subs, lf_sub_key, l->n_subs, &dup);
	if (r == 1) {
		l->n_subs++;
		return;
	}
	free(s.addr);
	free(s.smime_cert);
	if (r == 0)
		ERR(lp, line, "subscriber \"%.100s\" is already listed at line %u", w[1],
		    l->subs[dup].line);
	else
		ERR(lp, line, "out of memory");
}

static const struct {
	const char *word;
	void (*fn)(struct list_parse *, unsigned, char **, size_t);
	bool once;			/* at most one per file */
} statements[N_STMT] = {
	[ST_LIST] = { "list", stmt_list, true },
	[ST_OWNER] = { "owner", stmt_owner, true },
	[ST_BOUNCE] = { "bounce", stmt_bounce, true },
	[ST_OPENPGP_KEY] = { "openpgp_key", stmt_openpgp_key, true },
	[ST_SMIME_CERT] = { "smime_cert", stmt_smime_cert, true },
	[ST_SMIME_KEY] = { "smime_key", stmt_smime_key, true },
	[ST_POSTERS] = { "posters", stmt_posters, true },
	[ST_POSTER] = { "poster", stmt_poster, false },
	[ST_REQUIRE_SIGNATURE] = { "require_signature", stmt_require_signature, true },
	[ST_INHERIT_REQUIRETLS] = { "inherit_requiretls", stmt_inherit_requiretls, true },
	[ST_ATTEST] = { "attest", stmt_attest, true },
	[ST_LIST_ID] = { "list_id", stmt_list_id, true },
	[ST_SUBSCRIBER] = { "subscriber", stmt_subscriber, false },
};

/* do_line - split one line into words and dispatch it */
static void do_line(struct list_parse *lp, unsigned line, char *buf)
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
			ERR(lp, line, "more than %d words on one line", MAX_WORDS);
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
	for (size_t i = 0; i < N_STMT; i++)
		if (strcmp(w[0], statements[i].word) == 0) {
			if (statements[i].once && lp->seen[i]) {
				ERR(lp, line, "%s is already given at line %u", w[0], lp->seen[i]);
				return;
			}
			if (!lp->seen[i])
				lp->seen[i] = line;
			statements[i].fn(lp, line, w, nw);
			return;
		}
	ERR(lp, line, "unknown statement \"%.64s\" (expected list, owner, bounce, openpgp_key, "
	    "smime_cert, smime_key, posters, poster, require_signature, inherit_requiretls, "
	    "attest, list_id or subscriber)", w[0]);
}

/* check_sub_keys - subscribers with a key of a kind the list has none of: the first few
 * named by line, the rest counted in one message */
static void check_sub_keys(struct list_parse *lp, bool openpgp)
{
	const struct pw_list *l = &lp->l;
	size_t n = 0;

	for (size_t i = 0; i < l->n_subs; i++) {
		const struct pw_list_sub *s = &l->subs[i];
		if (openpgp ? s->fpr[0] == '\0' : s->smime_cert == NULL)
			continue;
		if (++n > MAX_CROSS_REPORTS)
			continue;
		if (openpgp)
			ERR(lp, s->line, "subscriber \"%s\" has openpgp= but the list has no "
			    "openpgp_key", s->addr);
		else
			ERR(lp, s->line, "subscriber \"%s\" has smime= but the list has no "
			    "smime_cert", s->addr);
	}
	if (n > MAX_CROSS_REPORTS)
		ERR(lp, 0, "%zu more subscribers have %s but the list has no %s",
		    n - MAX_CROSS_REPORTS, openpgp ? "openpgp=" : "smime=",
		    openpgp ? "openpgp_key" : "smime_cert");
}

/* check_posters - "posters listed" needs poster lines, and poster lines need it */
static void check_posters(struct list_parse *lp)
{
	enum pw_list_posters mode = lp->l.posters;
	unsigned at = lp->seen[ST_POSTERS];

	if (lp->posters_bad)		/* already reported; the mode is unknown */
		return;
	if (mode == PW_LIST_POSTERS_LISTED) {
		if (lp->n_poster_stmt == 0)
			ERR(lp, at, "\"posters listed\" needs at least one poster line");
		return;
	}
	for (size_t i = 0; i < lp->n_poster_stmt; i++) {
		if (at)
			ERR(lp, lp->poster_stmt[i], "poster is only meaningful with \"posters "
			    "listed\" (line %u says \"posters %s\")", at,
			    pw_list_posters_name(mode));
		else
			ERR(lp, lp->poster_stmt[i], "poster is only meaningful with \"posters "
			    "listed\" (this list has the default, \"posters subscribers\")");
	}
}

/* finish - the whole-file checks, once every line has been read */
static void finish(struct list_parse *lp)
{
	const struct pw_list *l = &lp->l;
	const unsigned *seen = lp->seen;

	if (!seen[ST_LIST])
		ERR(lp, 0, "missing list statement (the list's address)");
	if (!seen[ST_OWNER])
		ERR(lp, 0, "missing owner statement (who gets problem reports)");
	if (!seen[ST_OPENPGP_KEY] && !seen[ST_SMIME_CERT] && !seen[ST_SMIME_KEY])
		ERR(lp, 0, "no list key: give openpgp_key, or smime_cert and smime_key, or both");
	if (seen[ST_SMIME_CERT] && !seen[ST_SMIME_KEY])
		ERR(lp, seen[ST_SMIME_CERT],
		    "smime_cert needs smime_key (the list's private key)");
	if (seen[ST_SMIME_KEY] && !seen[ST_SMIME_CERT])
		ERR(lp, seen[ST_SMIME_KEY],
		    "smime_key needs smime_cert (the list's certificate)");
	check_posters(lp);
	if (!seen[ST_OPENPGP_KEY])
		check_sub_keys(lp, true);
	if (!seen[ST_SMIME_CERT])
		check_sub_keys(lp, false);
	if (l->address != NULL) {
		size_t n = strlen(l->address);
		size_t i = lf_idx_find(&l->sub_index, l->subs, lf_sub_key, l->address, n);
		if (i != SIZE_MAX)
			ERR(lp, l->subs[i].line, "the list cannot be its own subscriber");
		if (l->owner != NULL && lf_key_eq(l->owner, l->address, n))
			ERR(lp, seen[ST_OWNER], "the owner cannot be the list itself (problem "
			    "reports would loop)");
		if (l->bounce != NULL && lf_key_eq(l->bounce, l->address, n))
			ERR(lp, seen[ST_BOUNCE], "bounce cannot be the list itself (bounces would "
			    "go to the list)");
	}
}

/* list_free - release everything one list owns */
static void list_free(struct pw_list *l)
{
	free(l->address);
	free(l->owner);
	free(l->bounce);
	free(l->smime_cert);
	free(l->smime_key);
	for (size_t i = 0; i < l->n_posters; i++)
		free(l->posters_list[i]);
	free(l->posters_list);
	free(l->list_id_phrase);
	for (size_t i = 0; i < l->n_subs; i++) {
		free(l->subs[i].addr);
		free(l->subs[i].smime_cert);
	}
	free(l->subs);
	free(l->file);
	lf_idx_free(&l->sub_index);
	lf_idx_free(&l->poster_index);
	memset(l, 0, sizeof(*l));
}

/* commit - hand a clean list over to *LS, unless another file defined its address */
static bool commit(struct pw_lists *ls, struct list_parse *lp)
{
	struct pw_list *l = &lp->l, *nv;
	size_t dup = lf_idx_find(&ls->index, ls->v, lf_list_key, l->address, strlen(l->address));

	if (dup != SIZE_MAX) {
		ERR(lp, l->line, "list \"%s\" is already defined at %s:%u", l->address,
		    ls->v[dup].file, ls->v[dup].line);
		return false;
	}
	if ((l->bounce == NULL && (l->bounce = strdup(l->owner)) == NULL) ||
	    (l->file = strdup(lp->file)) == NULL ||
	    (nv = grow(ls->v, ls->n, &ls->cap, sizeof(*nv))) == NULL) {
		ERR(lp, 0, "out of memory");
		return false;
	}
	ls->v = nv;
	ls->v[ls->n] = *l;
	if (lf_idx_add(&ls->index, ls->v, lf_list_key, ls->n, &dup) != 1) {
		ERR(lp, 0, "out of memory");
		return false;
	}
	ls->n++;
	return true;
}

/* pw_list_parse - parse one list file's text and add its list to *ls when clean */
size_t pw_list_parse(struct pw_lists *ls, const char *file, const char *text, size_t len,
		     struct pw_diags *d)
{
	struct list_parse lp = { .file = file ? file : "(unnamed)", .d = d };
	size_t before = d->n;
	const char *s = text, *end = text + len;
	unsigned lineno = 0;
	char *buf;

	lp.l.posters = PW_LIST_POSTERS_SUBSCRIBERS;
	lp.l.require_signature = true;
	lp.l.inherit_requiretls = true;
	if ((buf = malloc(MAX_LINE + 1)) == NULL) {
		ERR(&lp, 0, "out of memory");
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
			ERR(&lp, lineno, "line longer than %d bytes", MAX_LINE);
			bad = true;
		} else {
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)s[i];
				if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
					ERR(&lp, lineno, "control character 0x%02x in column %zu",
					    c, i + 1);
					bad = true;
					break;
				}
			}
		}
		if (!bad) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			do_line(&lp, lineno, buf);
		}
		s = nl ? nl + 1 : end;
	}
	free(buf);
	finish(&lp);
	if (lp.errors != 0 || !commit(ls, &lp))
		list_free(&lp.l);
	free(lp.poster_line);
	free(lp.poster_stmt);
	return d->n - before;
}

/* pw_lists_free - release */
void pw_lists_free(struct pw_lists *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		list_free(&ls->v[i]);
	free(ls->v);
	lf_idx_free(&ls->index);
	memset(ls, 0, sizeof(*ls));
}
