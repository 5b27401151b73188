/*
 * policy/listfile.c - parser for encrypted mailing-list definition files: the statements,
 * the whole-file checks, and the hand-over of a clean list (with its role addresses) to the
 * struct pw_lists.  A list's managed subscriber file is parsed as part of it.
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
#include "listcmd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 256		/* words per line; more is an error, not a truncation */
#define MAX_LINE 8192		/* bytes per line */
#define MAX_CROSS_REPORTS 10	/* subscriber-versus-list-key errors named one by one */

/* ---- statements ----------------------------------------------------------------------- */

enum stmt {
	ST_LIST, ST_OWNER, ST_BOUNCE, ST_OPENPGP_KEY, ST_SMIME_CERT, ST_SMIME_KEY, ST_POSTERS,
	ST_POSTER, ST_REQUIRE_SIGNATURE, ST_INHERIT_REQUIRETLS, ST_ATTEST, ST_LIST_ID,
	ST_SUBSCRIBER, ST_ROLE, ST_DKIM_KEY, ST_FROM_REWRITE, ST_SUBJECT_PREFIX, ST_PLAIN_POSTS,
	ST_BOUNCE_THRESHOLD, ST_ROSTER, ST_ROSTER_ADDRESSES, ST_ROSTER_FILE, ST_ROSTER_INCOMPLETE,
	ST_KEY_REFRESH, ST_COMMAND_WINDOW, ST_KEYWORDS_ADMIN_ONLY, ST_KEYWORDS_ADMIN_NOTIFY,
	N_STMT
};

/* one file's parse: the list being built and what the end-of-file checks need */
struct list_parse {
	struct pw_list l;		/* handed over to the pw_lists only when clean */
	const char *file;		/* the caller's name, for diagnostics */
	const char *sub_file;		/* the managed subscriber file's name, or NULL */
	const char *cur;		/* the file being read: diagnostics name it */
	bool in_managed;		/* reading the managed subscriber file */
	struct pw_diags *d;
	size_t errors;			/* counted here: pw_diags_add may drop one (oom) */
	unsigned seen[N_STMT];		/* line of each statement's first use; 0 = none */
	size_t cap_subs, cap_posters;
	unsigned *poster_line;		/* line of each posters_list entry */
	unsigned *poster_stmt;		/* line of each "poster" statement */
	size_t n_poster_stmt, cap_poster_stmt;
	bool posters_bad;		/* the posters statement had an error */
	bool too_many_subs, too_many_posters;
	char *role_suffix[PW_LIST_N_ROLES];	/* owned: "role ROLE SUFFIX"; NULL = default */
	bool role_off[PW_LIST_N_ROLES];		/* "role ROLE off" */
	size_t cap_dkim;
};

/* the default role suffixes, Schleuder's */
static const char *const role_default[PW_LIST_N_ROLES] = {
	[PW_ROLE_REQUEST] = "-request", [PW_ROLE_OWNER] = "-owner",
	[PW_ROLE_SENDKEY] = "-sendkey", [PW_ROLE_BOUNCES] = "-bounces",
};
static const char *const role_words[PW_LIST_N_ROLES] = {
	[PW_ROLE_POST] = "post", [PW_ROLE_REQUEST] = "request", [PW_ROLE_OWNER] = "owner",
	[PW_ROLE_SENDKEY] = "sendkey", [PW_ROLE_BOUNCES] = "bounces",
};

/* pw_list_role_name - the list-file word */
const char *pw_list_role_name(enum pw_list_role r)
{
	return (unsigned)r < PW_LIST_N_ROLES ? role_words[r] : "?";
}

/* ERR - one error at LINE of the file being read */
#define ERR(lp, line, ...) ERR_IN((lp), (lp)->cur, (line), __VA_ARGS__)
/* ERR_IN - one error at LINE of FILE (the list file or its managed subscriber file) */
#define ERR_IN(lp, f, line, ...) do { \
	(lp)->errors++; \
	pw_diags_add((lp)->d, (f), (line), __VA_ARGS__); \
} while (0)
/* WARN - one warning at LINE of the file being read */
#define WARN(lp, line, ...) pw_diags_warn((lp)->d, (lp)->cur, (line), __VA_ARGS__)
/* SUB_FILE - the file subscriber S came from */
#define SUB_FILE(lp, s) ((s)->managed ? (lp)->sub_file : (lp)->file)

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
	lp->l.bounce_set = true;
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

/* join_words - "list_id|subject_prefix TEXT...": the words joined by single spaces, valid
 * UTF-8 of at most MAX octets; NULL after an error */
static char *join_words(struct list_parse *lp, unsigned line, char **w, size_t nw, size_t max,
			const char *need)
{
	size_t len = 0;
	char *p;

	if (nw < 2) {
		ERR(lp, line, "%s needs %s", w[0], need);
		return NULL;
	}
	for (size_t i = 1; i < nw; i++)
		len += strlen(w[i]) + 1;
	if ((p = malloc(len)) == NULL) {
		ERR(lp, line, "out of memory");
		return NULL;
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
		ERR(lp, line, "%s is not valid UTF-8", w[0]);
		free(p);
		return NULL;
	}
	if (len > max) {
		ERR(lp, line, "%s %s is %zu octets long; at most %zu", w[0],
		    strcmp(w[0], "list_id") == 0 ? "phrase" : "text", len, max);
		free(p);
		return NULL;
	}
	return p;
}

/* stmt_list_id - "list_id TEXT..." */
static void stmt_list_id(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	lp->l.list_id_phrase = join_words(lp, line, w, nw, PW_LIST_PHRASE_MAX, "a phrase");
}

/* stmt_subject_prefix - "subject_prefix TEXT..." */
static void stmt_subject_prefix(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	lp->l.subject_prefix = join_words(lp, line, w, nw, PW_LIST_SUBJECT_PREFIX_MAX, "a text");
}

/* set_choice - "STATEMENT WORD" with WORD one of WORDS[0..N-1] (NULL entries skipped):
 * its index into *SLOT; EXPECT lists them for the messages */
static bool set_choice(struct list_parse *lp, unsigned line, char **w, size_t nw,
		       const char *const *words, size_t n, const char *expect, int *slot)
{
	char need[160];

	snprintf(need, sizeof(need), "a value: %s", expect);
	if (!one_word(lp, line, w, nw, need, "one value"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (words[i] != NULL && strcmp(w[1], words[i]) == 0) {
			*slot = (int)i;
			return true;
		}
	ERR(lp, line, "%s \"%.100s\": expected %s", w[0], w[1], expect);
	return false;
}

/* set_number - "STATEMENT N" with N a decimal number in MIN..MAX into *SLOT */
static void set_number(struct list_parse *lp, unsigned line, char **w, size_t nw,
		       unsigned min, unsigned max, const char *unit, unsigned *slot)
{
	unsigned long v = 0;
	char need[64];

	snprintf(need, sizeof(need), "a number of %s", unit);
	if (!one_word(lp, line, w, nw, need, "one number"))
		return;
	for (const char *c = w[1]; *c; c++) {
		if (*c < '0' || *c > '9') {
			ERR(lp, line, "%s \"%.100s\" is not a number (decimal digits only)",
			    w[0], w[1]);
			return;
		}
		if (v <= max)
			v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < min || v > max) {
		ERR(lp, line, "%s %.100s is out of range: %u to %u %s", w[0], w[1], min, max,
		    unit);
		return;
	}
	*slot = (unsigned)v;
}

/* stmt_role - "role ROLE SUFFIX|off", once per ROLE */
static void stmt_role(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	size_t r, n;

	if (nw != 3) {
		ERR(lp, line, "role takes a role (request, owner, sendkey or bounces) and a "
		    "suffix or \"off\"");
		return;
	}
	for (r = PW_ROLE_REQUEST; r < PW_LIST_N_ROLES; r++)
		if (strcmp(w[1], role_words[r]) == 0)
			break;
	if (r == PW_LIST_N_ROLES) {
		ERR(lp, line, "role \"%.100s\": expected request, owner, sendkey or bounces", w[1]);
		return;
	}
	if (lp->l.role_line[r]) {
		ERR(lp, line, "role %s is already given at line %u", w[1], lp->l.role_line[r]);
		return;
	}
	lp->l.role_line[r] = line;
	if (strcmp(w[2], "off") == 0) {
		lp->role_off[r] = true;
		return;
	}
	n = strlen(w[2]);
	if (n > PW_LIST_ROLE_SUFFIX_MAX) {
		ERR(lp, line, "role %s suffix is %zu octets long; at most %d", w[1], n,
		    PW_LIST_ROLE_SUFFIX_MAX);
		return;
	}
	for (const char *c = w[2]; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.')) {
			ERR(lp, line, "role %s suffix \"%.100s\": '%c' is not allowed (letters, "
			    "digits, '-', '_' and '.' only)", w[1], w[2], *c);
			return;
		}
	if ((lp->role_suffix[r] = strdup(w[2])) == NULL)
		ERR(lp, line, "out of memory");
}

/* selector_valid - a DKIM selector: dot-separated labels of letters and digits with inner
 * hyphens, each at most 63 octets (RFC 6376 3.1, sub-domain) */
static bool selector_valid(const char *s)
{
	size_t label = 0;

	if (strlen(s) > 200)
		return false;
	for (const char *c = s;; c++) {
		if (*c == '.' || *c == '\0') {
			if (label == 0 || label > 63 || c[-1] == '-')
				return false;
			if (*c == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || (*c == '-' && label > 0)))
			return false;
		label++;
	}
}

/* stmt_dkim_key - "dkim_key SELECTOR PATH" */
static void stmt_dkim_key(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	struct pw_list *l = &lp->l;
	struct pw_list_dkim_key *nv, k = { .line = line };

	if (nw != 3) {
		ERR(lp, line, "dkim_key takes a selector and the absolute path of a PEM private "
		    "key");
		return;
	}
	if (!selector_valid(w[1])) {
		ERR(lp, line, "dkim_key selector \"%.100s\" is not a valid selector (labels of "
		    "letters, digits and inner hyphens, joined by dots)", w[1]);
		return;
	}
	if (w[2][0] != '/') {
		ERR(lp, line, "dkim_key path \"%.100s\" is not absolute", w[2]);
		return;
	}
	for (size_t i = 0; i < l->n_dkim_keys; i++)
		if (lf_key_eq(l->dkim_keys[i].selector, w[1], strlen(w[1]))) {
			ERR(lp, line, "dkim_key selector \"%.100s\" is already given at line %u",
			    w[1], l->dkim_keys[i].line);
			return;
		}
	if (l->n_dkim_keys == PW_LIST_MAX_DKIM_KEYS) {
		ERR(lp, line, "more than %d dkim_key statements", PW_LIST_MAX_DKIM_KEYS);
		return;
	}
	/* one allocation: "SELECTOR\0PATH", path pointing into it */
	if ((k.selector = malloc(strlen(w[1]) + strlen(w[2]) + 2)) == NULL ||
	    (nv = grow(l->dkim_keys, l->n_dkim_keys, &lp->cap_dkim, sizeof(*nv))) == NULL) {
		free(k.selector);
		ERR(lp, line, "out of memory");
		return;
	}
	strcpy(k.selector, w[1]);
	k.path = strcpy(k.selector + strlen(w[1]) + 1, w[2]);
	l->dkim_keys = nv;
	l->dkim_keys[l->n_dkim_keys++] = k;
}

/* stmt_bounce_threshold - "bounce_threshold N" */
static void stmt_bounce_threshold(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_number(lp, line, w, nw, 1, 1000, "points", &lp->l.bounce_threshold);
}

/* stmt_command_window - "command_window SECONDS" */
static void stmt_command_window(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_number(lp, line, w, nw, 60, 604800, "seconds", &lp->l.command_window);
}

/* stmt_roster_file - "roster_file PATH" */
static void stmt_roster_file(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	set_path(lp, line, w, nw, &lp->l.roster_file);
}

/* the statements that take one word out of a few */
static const struct choice {
	enum stmt st;
	const char *word;		/* the statement */
	const char *words[5];		/* index = the value stored */
	const char *expect;
} choices[] = {
	{ ST_FROM_REWRITE, "from_rewrite",
	  { [PW_LIST_FROM_AUTO] = "auto", [PW_LIST_FROM_ALWAYS] = "always",
	    [PW_LIST_FROM_NEVER] = "never" }, "auto, always or never" },
	{ ST_PLAIN_POSTS, "plain_posts",
	  { [PW_LIST_PLAIN_NO] = "no", [PW_LIST_PLAIN_SUBSCRIBERS] = "subscribers",
	    [PW_LIST_PLAIN_ANYONE] = "anyone" }, "no, subscribers or anyone" },
	{ ST_ROSTER, "roster",
	  { [PW_LIST_ROSTER_NONE] = "none", [PW_LIST_ROSTER_PUBLISH] = "publish" },
	  "none or publish" },
	{ ST_ROSTER_ADDRESSES, "roster_addresses", { "hide", "show" }, "show or hide" },
	{ ST_ROSTER_INCOMPLETE, "roster_incomplete",
	  { [PW_LIST_ROSTER_REWRAP] = "rewrap", [PW_LIST_ROSTER_REFUSE] = "refuse" },
	  "refuse or rewrap" },
	{ ST_KEY_REFRESH, "key_refresh", { "off", "wkd", "vks", "wkd,vks", "vks,wkd" },
	  "off, wkd, vks, wkd,vks or vks,wkd" },
};

/* stmt_choice - from_rewrite, plain_posts, roster, roster_addresses, roster_incomplete,
 * key_refresh: one word of the statement's choices */
static void stmt_choice(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	static const unsigned refresh[] = {
		0, PW_LIST_KEY_REFRESH_WKD, PW_LIST_KEY_REFRESH_VKS,
		PW_LIST_KEY_REFRESH_WKD | PW_LIST_KEY_REFRESH_VKS,
		PW_LIST_KEY_REFRESH_WKD | PW_LIST_KEY_REFRESH_VKS | PW_LIST_KEY_REFRESH_VKS_FIRST,
	};
	const struct choice *c = choices;
	struct pw_list *l = &lp->l;
	int v;

	while (strcmp(c->word, w[0]) != 0)	/* the table has every statement using it */
		c++;
	if (!set_choice(lp, line, w, nw, c->words, 5, c->expect, &v))
		return;
	switch (c->st) {
	case ST_FROM_REWRITE:
		l->from_rewrite = (enum pw_list_from_rewrite)v;
		break;
	case ST_PLAIN_POSTS:
		l->plain_posts = (enum pw_list_plain_posts)v;
		break;
	case ST_ROSTER:
		l->roster = (enum pw_list_roster)v;
		break;
	case ST_ROSTER_ADDRESSES:
		l->roster_show_addresses = v == 1;
		break;
	case ST_ROSTER_INCOMPLETE:
		l->roster_incomplete = (enum pw_list_roster_incomplete)v;
		break;
	default:			/* ST_KEY_REFRESH */
		l->key_refresh = refresh[v];
		l->key_refresh_set = true;
		break;
	}
}

/* stmt_keywords - "keywords_admin_only KEYWORD...|none", "keywords_admin_notify
 * KEYWORD...|none": the command keywords as bits (policy/listcmd.h) */
static void stmt_keywords(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	bool only = strcmp(w[0], "keywords_admin_only") == 0;
	uint32_t bits = 0;

	if (nw < 2) {
		ERR(lp, line, "%s takes the keywords of signed commands (for instance "
		    "\"subscribe unsubscribe\"), or \"none\"", w[0]);
		return;
	}
	if (nw == 2 && strcmp(w[1], "none") == 0)
		goto set;
	for (size_t i = 1; i < nw; i++) {
		enum listcmd_kw kw = listcmd_keyword(w[i], strlen(w[i]));
		if (strcmp(w[i], "none") == 0) {
			ERR(lp, line, "%s: \"none\" stands alone", w[0]);
			return;
		}
		if (kw == LISTCMD_UNKNOWN) {
			ERR(lp, line, "%s: \"%.64s\" is not a command keyword", w[0], w[i]);
			return;
		}
		if (kw == LISTCMD_LIST_NAME || (only && kw == LISTCMD_GET_VERSION)) {
			ERR(lp, line, "%s: %s is always allowed and cannot be named", w[0],
			    listcmd_keyword_name(kw));
			return;
		}
		if (bits & LISTCMD_BIT(kw)) {
			ERR(lp, line, "%s: %s is named twice", w[0], listcmd_keyword_name(kw));
			return;
		}
		bits |= LISTCMD_BIT(kw);
	}
set:
	if (only) {
		lp->l.keywords_admin_only = bits;
		lp->l.keywords_admin_only_set = true;
	} else {
		lp->l.keywords_admin_notify = bits;
		lp->l.keywords_admin_notify_set = true;
	}
}

/* stmt_subscriber - "subscriber ADDRESS [openpgp=FINGERPRINT] [smime=PATH] [admin]", in
 * the list file or the managed subscriber file */
static void stmt_subscriber(struct list_parse *lp, unsigned line, char **w, size_t nw)
{
	struct pw_list *l = &lp->l;
	struct pw_list_sub s = { .line = line, .managed = lp->in_managed };
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
		} else if (strcmp(w[i], "admin") == 0) {
			if (s.admin) {
				ERR(lp, line, "admin is given twice");
				bad_option = true;
			}
			s.admin = true;
		} else {
			ERR(lp, line, "unknown subscriber option \"%.100s\" (expected "
			    "openpgp=FINGERPRINT, smime=PATH or admin)", w[i]);
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
	if (r == 0 && lp->in_managed && !l->subs[dup].managed)
		WARN(lp, line, "subscriber \"%.100s\" is also in the list file (%s:%u); the list "
		     "file's entry is used", w[1], lp->file, l->subs[dup].line);
	else if (r == 0)
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
	[ST_ROLE] = { "role", stmt_role, false },	/* once per role: stmt_role checks */
	[ST_DKIM_KEY] = { "dkim_key", stmt_dkim_key, false },
	[ST_FROM_REWRITE] = { "from_rewrite", stmt_choice, true },
	[ST_SUBJECT_PREFIX] = { "subject_prefix", stmt_subject_prefix, true },
	[ST_PLAIN_POSTS] = { "plain_posts", stmt_choice, true },
	[ST_BOUNCE_THRESHOLD] = { "bounce_threshold", stmt_bounce_threshold, true },
	[ST_ROSTER] = { "roster", stmt_choice, true },
	[ST_ROSTER_ADDRESSES] = { "roster_addresses", stmt_choice, true },
	[ST_ROSTER_FILE] = { "roster_file", stmt_roster_file, true },
	[ST_ROSTER_INCOMPLETE] = { "roster_incomplete", stmt_choice, true },
	[ST_KEY_REFRESH] = { "key_refresh", stmt_choice, true },
	[ST_COMMAND_WINDOW] = { "command_window", stmt_command_window, true },
	[ST_KEYWORDS_ADMIN_ONLY] = { "keywords_admin_only", stmt_keywords, true },
	[ST_KEYWORDS_ADMIN_NOTIFY] = { "keywords_admin_notify", stmt_keywords, true },
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
	if (lp->in_managed && strcmp(w[0], "subscriber") != 0) {
		ERR(lp, line, "only subscriber statements belong in this file: postward writes "
		    "it; \"%.64s\" goes in the list file %s", w[0], lp->file);
		return;
	}
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
	ERR(lp, line, "unknown statement \"%.64s\" (expected list, owner, bounce, role, "
	    "openpgp_key, smime_cert, smime_key, posters, poster, require_signature, "
	    "inherit_requiretls, attest, list_id, dkim_key, from_rewrite, subject_prefix, "
	    "plain_posts, bounce_threshold, roster, roster_addresses, roster_file, "
	    "roster_incomplete, key_refresh, command_window, keywords_admin_only, "
	    "keywords_admin_notify or subscriber)", w[0]);
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
			ERR_IN(lp, SUB_FILE(lp, s), s->line, "subscriber \"%s\" has openpgp= but "
			       "the list has no openpgp_key", s->addr);
		else
			ERR_IN(lp, SUB_FILE(lp, s), s->line, "subscriber \"%s\" has smime= but the "
			       "list has no smime_cert", s->addr);
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

/* role_line - where role R of the list is set: its role statement, else the list statement */
static unsigned role_line(const struct list_parse *lp, size_t r)
{
	return lp->l.role_line[r] ? lp->l.role_line[r] : lp->l.line;
}

/* make_roles - the role addresses from the list address and the suffixes, checked against
 * each other and against the owner, bounce and subscriber addresses */
static void make_roles(struct list_parse *lp)
{
	struct pw_list *l = &lp->l;
	const char *at = strrchr(l->address, '@');
	size_t local = (size_t)(at - l->address);

	for (size_t r = PW_ROLE_REQUEST; r < PW_LIST_N_ROLES; r++) {
		const char *suffix = lp->role_suffix[r] ? lp->role_suffix[r] : role_default[r];
		size_t ns = strlen(suffix), n;
		char *a;
		if (lp->role_off[r])
			continue;
		if (local + ns > 64) {
			ERR(lp, role_line(lp, r), "the %s address would have a local part of %zu "
			    "octets; at most 64 (choose a shorter suffix, or \"role %s off\")",
			    role_words[r], local + ns, role_words[r]);
			continue;
		}
		n = strlen(l->address) + ns;
		if ((a = malloc(n + 1)) == NULL) {
			ERR(lp, role_line(lp, r), "out of memory");
			continue;
		}
		memcpy(a, l->address, local);
		memcpy(a + local, suffix, ns);
		strcpy(a + local + ns, at);
		l->role_addr[r] = a;
		for (size_t q = PW_ROLE_REQUEST; q < r; q++)
			if (l->role_addr[q] != NULL && lf_key_eq(l->role_addr[q], a, n))
				ERR(lp, role_line(lp, q) > role_line(lp, r) ? role_line(lp, q) :
				    role_line(lp, r), "the %s and %s addresses are both \"%s\"",
				    role_words[q], role_words[r], a);
		if (l->owner != NULL && lf_key_eq(l->owner, a, n))
			ERR(lp, lp->seen[ST_OWNER], "the owner cannot be the list's own %s address "
			    "\"%s\" (mail to the owner would loop)", role_words[r], a);
		if (r != PW_ROLE_BOUNCES && l->bounce != NULL && lf_key_eq(l->bounce, a, n))
			ERR(lp, lp->seen[ST_BOUNCE], "bounce cannot be the list's own %s address "
			    "\"%s\"", role_words[r], a);
		size_t i = lf_idx_find(&l->sub_index, l->subs, lf_sub_key, a, n);
		if (i != SIZE_MAX)
			ERR_IN(lp, SUB_FILE(lp, &l->subs[i]), l->subs[i].line, "subscriber \"%s\" "
			       "is the list's own %s address", l->subs[i].addr, role_words[r]);
	}
}

/* check_settings - the settings that need another: roster and key_refresh need the list's
 * OpenPGP key; roster_* without "roster publish" do nothing (a warning) */
static void check_settings(struct list_parse *lp)
{
	static const enum stmt roster_stmts[] = {
		ST_ROSTER_ADDRESSES, ST_ROSTER_FILE, ST_ROSTER_INCOMPLETE
	};
	const struct pw_list *l = &lp->l;
	const unsigned *seen = lp->seen;

	if (l->roster == PW_LIST_ROSTER_PUBLISH && !seen[ST_OPENPGP_KEY])
		ERR(lp, seen[ST_ROSTER], "\"roster publish\" needs openpgp_key (the roster is "
		    "OpenPGP data signed by the list key)");
	if (l->key_refresh != 0 && !seen[ST_OPENPGP_KEY])
		ERR(lp, seen[ST_KEY_REFRESH], "key_refresh needs openpgp_key (it refreshes "
		    "subscribers' OpenPGP keys)");
	if (l->roster == PW_LIST_ROSTER_PUBLISH)
		return;
	for (size_t i = 0; i < sizeof(roster_stmts) / sizeof(roster_stmts[0]); i++)
		if (seen[roster_stmts[i]])
			WARN(lp, seen[roster_stmts[i]], "%s has no effect without \"roster "
			     "publish\"", statements[roster_stmts[i]].word);
}

/* finish - the whole-file checks, once every line has been read */
static void finish(struct list_parse *lp)
{
	const struct pw_list *l = &lp->l;
	const unsigned *seen = lp->seen;

	lp->cur = lp->file;
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
			ERR_IN(lp, SUB_FILE(lp, &l->subs[i]), l->subs[i].line,
			       "the list cannot be its own subscriber");
		if (l->owner != NULL && lf_key_eq(l->owner, l->address, n))
			ERR(lp, seen[ST_OWNER], "the owner cannot be the list itself (problem "
			    "reports would loop)");
		if (l->bounce != NULL && lf_key_eq(l->bounce, l->address, n))
			ERR(lp, seen[ST_BOUNCE], "bounce cannot be the list itself (bounces would "
			    "go to the list)");
		make_roles(lp);
	}
	check_settings(lp);
}

/* list_free - release everything one list owns */
static void list_free(struct pw_list *l)
{
	free(l->address);
	free(l->owner);
	free(l->bounce);
	for (size_t r = 0; r < PW_LIST_N_ROLES; r++)
		free(l->role_addr[r]);
	free(l->smime_cert);
	free(l->smime_key);
	for (size_t i = 0; i < l->n_posters; i++)
		free(l->posters_list[i]);
	free(l->posters_list);
	free(l->list_id_phrase);
	for (size_t i = 0; i < l->n_dkim_keys; i++)
		free(l->dkim_keys[i].selector);		/* path is in the same block */
	free(l->dkim_keys);
	free(l->subject_prefix);
	free(l->roster_file);
	for (size_t i = 0; i < l->n_subs; i++) {
		free(l->subs[i].addr);
		free(l->subs[i].smime_cert);
	}
	free(l->subs);
	free(l->file);
	free(l->managed_file);
	lf_idx_free(&l->sub_index);
	lf_idx_free(&l->poster_index);
	memset(l, 0, sizeof(*l));
}

/* addr_what - how a diagnostic names entry A of LS: "the list \"X\"" or "the R address of
 * the list \"X\"", into BUF */
static const char *addr_what(const struct pw_lists *ls, const struct pw_list_addr *a,
			     char *buf, size_t len)
{
	const struct pw_list *o = &ls->v[a->list];

	if (a->role == PW_ROLE_POST)
		snprintf(buf, len, "the list \"%s\" (%s:%u)", o->address, o->file, o->line);
	else
		snprintf(buf, len, "the %s address of the list \"%s\" (%s:%u)",
			 role_words[a->role], o->address, o->file,
			 o->role_line[a->role] ? o->role_line[a->role] : o->line);
	return buf;
}

/* commit - hand a clean list over to *LS with its addresses, unless one of them is another
 * list's address or role address; all or nothing */
static bool commit(struct pw_lists *ls, struct list_parse *lp)
{
	struct pw_list *l = &lp->l, *nv;
	struct pw_list_addr mine[PW_LIST_N_ROLES], *na;
	size_t n = 0, dup;
	bool clash = false;
	char what[600];

	for (size_t r = 0; r < PW_LIST_N_ROLES; r++) {
		const char *a = r == PW_ROLE_POST ? l->address : l->role_addr[r];
		if (a != NULL)
			mine[n++] = (struct pw_list_addr){ .addr = a, .list = ls->n,
							   .role = (enum pw_list_role)r };
	}
	for (size_t i = 0; i < n; i++) {
		dup = lf_idx_find(&ls->index, ls->addrs, lf_addr_key, mine[i].addr,
				  strlen(mine[i].addr));
		if (dup == SIZE_MAX)
			continue;
		clash = true;
		addr_what(ls, &ls->addrs[dup], what, sizeof(what));
		if (mine[i].role == PW_ROLE_POST && ls->addrs[dup].role == PW_ROLE_POST) {
			/* the same list twice: its role addresses clash too, say it once */
			ERR(lp, l->line, "list \"%s\" is already defined at %s:%u", l->address,
			    ls->v[ls->addrs[dup].list].file, ls->v[ls->addrs[dup].list].line);
			return false;
		} else if (mine[i].role == PW_ROLE_POST)
			ERR(lp, l->line, "list \"%s\" is already %s", l->address, what);
		else
			ERR(lp, role_line(lp, mine[i].role), "the %s address \"%s\" is already "
			    "%s", role_words[mine[i].role], mine[i].addr, what);
	}
	if (clash)
		return false;
	if ((l->bounce == NULL && (l->bounce = strdup(l->owner)) == NULL) ||
	    (l->file = strdup(lp->file)) == NULL ||
	    (lp->sub_file != NULL && (l->managed_file = strdup(lp->sub_file)) == NULL) ||
	    (nv = grow(ls->v, ls->n, &ls->cap, sizeof(*nv))) == NULL) {
		ERR(lp, 0, "out of memory");
		return false;
	}
	ls->v = nv;
	for (size_t i = 0; i < n; i++) {
		if ((na = grow(ls->addrs, ls->n_addrs + i, &ls->cap_addrs, sizeof(*na))) == NULL) {
			ERR(lp, 0, "out of memory");
			return false;
		}
		ls->addrs = na;
	}
	if (!lf_idx_reserve(&ls->index, ls->addrs, lf_addr_key, n)) {
		ERR(lp, 0, "out of memory");
		return false;
	}
	ls->v[ls->n] = *l;
	for (size_t i = 0; i < n; i++) {
		ls->addrs[ls->n_addrs] = mine[i];
		lf_idx_add(&ls->index, ls->addrs, lf_addr_key, ls->n_addrs, &dup);	/* reserved */
		ls->n_addrs++;
	}
	ls->n++;
	return true;
}

/* parse_text - split TEXT (LEN bytes) into lines, check them and dispatch each */
static void parse_text(struct list_parse *lp, const char *text, size_t len, char *buf)
{
	const char *s = text, *end = text + len;
	unsigned lineno = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - s);
		bool bad = false;
		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > MAX_LINE) {
			ERR(lp, lineno, "line longer than %d bytes", MAX_LINE);
			bad = true;
		} else {
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)s[i];
				if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
					ERR(lp, lineno, "control character 0x%02x in column %zu",
					    c, i + 1);
					bad = true;
					break;
				}
			}
		}
		if (!bad) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			do_line(lp, lineno, buf);
		}
		s = nl ? nl + 1 : end;
	}
}

/* pw_list_parse_with_subs - the list file, then its managed subscriber file, as one list;
 * the list goes into *ls when both are clean */
size_t pw_list_parse_with_subs(struct pw_lists *ls, const char *file, const char *text,
			       size_t len, const char *sub_file, const char *sub_text,
			       size_t sub_len, struct pw_diags *d)
{
	struct list_parse lp = { .file = file ? file : "(unnamed)", .sub_file = sub_file,
				 .d = d };
	size_t before = pw_diags_errors(d);
	char *buf;

	lp.cur = lp.file;
	lp.l.posters = PW_LIST_POSTERS_SUBSCRIBERS;
	lp.l.require_signature = true;
	lp.l.inherit_requiretls = true;
	lp.l.bounce_threshold = 5;
	lp.l.command_window = 3600;
	lp.l.roster_show_addresses = true;
	if ((buf = malloc(MAX_LINE + 1)) == NULL) {
		ERR(&lp, 0, "out of memory");
		return pw_diags_errors(d) - before;
	}
	parse_text(&lp, text, len, buf);
	if (sub_file != NULL) {
		lp.cur = sub_file;
		lp.in_managed = true;
		parse_text(&lp, sub_text, sub_len, buf);
		lp.in_managed = false;
	}
	free(buf);
	finish(&lp);
	if (lp.errors != 0 || !commit(ls, &lp))
		list_free(&lp.l);
	free(lp.poster_line);
	free(lp.poster_stmt);
	for (size_t r = 0; r < PW_LIST_N_ROLES; r++)
		free(lp.role_suffix[r]);
	return pw_diags_errors(d) - before;
}

/* pw_list_parse - one list file without a managed subscriber file */
size_t pw_list_parse(struct pw_lists *ls, const char *file, const char *text, size_t len,
		     struct pw_diags *d)
{
	return pw_list_parse_with_subs(ls, file, text, len, NULL, NULL, 0, d);
}

/* pw_lists_free - release */
void pw_lists_free(struct pw_lists *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		list_free(&ls->v[i]);
	free(ls->v);
	free(ls->addrs);
	lf_idx_free(&ls->index);
	memset(ls, 0, sizeof(*ls));
}
