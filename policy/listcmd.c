/*
 * policy/listcmd.c - the keyword commands of LIST-request: reading them, who may run them,
 * the reply.  Contract: listcmd.h.
 *
 * Reading is one pass over the lines of the text (CRLF or LF).  A command's words are kept as
 * spans into the text while its lines come (at most MAX_TOKENS), then checked all at once
 * when the next command begins or the commands end (finish()).  Addresses and fingerprints
 * are checked by the list-file word checks (listfile-int.h), so that a command accepts what a
 * list file accepts.  Pure: no I/O, no global state.
 */
#include "listcmd.h"
#include "listfile.h"
#include "listfile-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 64			/* words of one command before checking */

static const char KEY_BEGIN[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
static const char KEY_END[] = "-----END PGP PUBLIC KEY BLOCK-----";

static const char *const kw_names[LISTCMD_NKW] = {
	[LISTCMD_UNKNOWN] = "X-?",
	[LISTCMD_LIST_NAME] = "X-LIST-NAME",
	[LISTCMD_SUBSCRIBE] = "X-SUBSCRIBE",
	[LISTCMD_UNSUBSCRIBE] = "X-UNSUBSCRIBE",
	[LISTCMD_LIST_SUBSCRIPTIONS] = "X-LIST-SUBSCRIPTIONS",
	[LISTCMD_SET_FINGERPRINT] = "X-SET-FINGERPRINT",
	[LISTCMD_UNSET_FINGERPRINT] = "X-UNSET-FINGERPRINT",
	[LISTCMD_SET_DELIVERY] = "X-SET-DELIVERY",
	[LISTCMD_ADD_KEY] = "X-ADD-KEY",
	[LISTCMD_DELETE_KEY] = "X-DELETE-KEY",
	[LISTCMD_GET_KEY] = "X-GET-KEY",
	[LISTCMD_LIST_KEYS] = "X-LIST-KEYS",
	[LISTCMD_FETCH_KEY] = "X-FETCH-KEY",
	[LISTCMD_GET_VERSION] = "X-GET-VERSION",
};

/* the command being read */
struct pending {
	struct listcmd *c;
	struct listcmd_span toks[MAX_TOKENS];
	size_t ntoks;
	bool too_many;			/* more than MAX_TOKENS words */
};

/* ---- small helpers ------------------------------------------------------------------------ */

/* unctrl - control octets of S (LF and TAB too when ALL) replaced by '?', in place: what
 * came from the message goes into logs and replies */
static void unctrl(char *s, bool all)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && (all || (*s != '\n' && *s != '\t'))) ||
		    *s == 0x7f)
			*s = '?';
}

/* bad - mark C bad with the reason FMT... (the first reason stays) */
static void bad(struct listcmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct listcmd *c, const char *fmt, ...)
{
	va_list ap;

	if (c->bad)
		return;
	c->bad = true;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	unctrl(c->why, true);
}

/* blank - space, tab or CR (a CR before the LF is no text) */
static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* sep - separates arguments: blanks, ',' and ';' */
static bool sep(char ch)
{
	return blank(ch) || ch == ',' || ch == ';';
}

/* span_ieq - whether the N octets at P are S, ASCII case ignored */
static bool span_ieq(const char *p, size_t n, const char *s)
{
	return lf_key_eq(s, p, n);
}

/* line_is - whether the line [P, E), trailing blanks aside, is S */
static bool line_is(const char *p, const char *e, const char *s)
{
	while (e > p && blank(e[-1]))
		e--;
	return (size_t)(e - p) == strlen(s) && memcmp(p, s, strlen(s)) == 0;
}

/* line_next - the line at P before END: *CEND its end (the LF left out); the next line */
static const char *line_next(const char *p, const char *end, const char **cend)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*cend = nl != NULL ? nl : end;
	return nl != NULL ? nl + 1 : end;
}

/* is_blank_line - nothing but blanks in [P, E) */
static bool is_blank_line(const char *p, const char *e)
{
	while (p < e && blank(*p))
		p++;
	return p == e;
}

/* echo_add - append [P, E) to C's echo, a space before it unless it is the first; control
 * octets become '?', a long echo ends in "..." */
static void echo_add(struct listcmd *c, const char *p, const char *e)
{
	size_t n = strlen(c->echo);
	const size_t cap = sizeof(c->echo) - 1;

	while (e > p && blank(e[-1]))
		e--;
	while (p < e && blank(*p))
		p++;
	if (n > 0 && n < cap && p < e)
		c->echo[n++] = ' ';
	for (; p < e && n < cap; p++)
		c->echo[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	c->echo[n] = '\0';
	if (p < e && cap >= 3)
		memcpy(c->echo + cap - 3, "...", 4);
}

/* tokens_add - the words of [P, E) to the pending command */
static void tokens_add(struct pending *pd, const char *p, const char *e)
{
	while (p < e) {
		const char *s;
		while (p < e && sep(*p))
			p++;
		if (p == e)
			break;
		for (s = p; p < e && !sep(*p); p++)
			;
		if (pd->ntoks == MAX_TOKENS) {
			pd->too_many = true;
			return;
		}
		pd->toks[pd->ntoks].p = s;
		pd->toks[pd->ntoks++].n = (size_t)(p - s);
	}
}

/* tok_str - token T as a C string in BUF (LISTCMD_MAX_ARG + 1); false if too long */
static bool tok_str(struct listcmd_span t, char buf[LISTCMD_MAX_ARG + 1])
{
	if (t.n > LISTCMD_MAX_ARG)
		return false;
	memcpy(buf, t.p, t.n);
	buf[t.n] = '\0';
	return true;
}

/* tok_addr - is T an address: into OUT (domain lower case); false + reason on C if not */
static bool tok_addr(struct listcmd *c, struct listcmd_span t, char out[LISTCMD_ADDR_MAX + 1])
{
	char w[LISTCMD_MAX_ARG + 1], why[120], *a = NULL;
	int r;

	if (!tok_str(t, w)) {
		bad(c, "an argument longer than %u octets", (unsigned)LISTCMD_MAX_ARG);
		return false;
	}
	for (size_t i = 0; i < t.n; i++)
		if ((unsigned char)w[i] < 0x20 || w[i] == 0x7f) {
			bad(c, "a control character in an address");
			return false;
		}
	if ((r = lf_addr_parse(w, &a, why, sizeof(why))) != 1) {
		if (r < 0)
			bad(c, "out of memory");
		else
			bad(c, "\"%.80s\" is not an address: %s", w, why);
		return false;
	}
	snprintf(out, LISTCMD_ADDR_MAX + 1, "%s", a);
	free(a);
	return true;
}

/* hexword - T (a "0x" cut off) is hex digits only; *P, *N the digits */
static bool hexword(struct listcmd_span t, const char **p, size_t *n)
{
	const char *s = t.p;
	size_t k = t.n;

	if (k > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		k -= 2;
	}
	for (size_t i = 0; i < k; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return false;
	}
	*p = s;
	*n = k;
	return k > 0;
}

/* take_fprs - the fingerprints in the run of hex words at TOKS[*I..N): their digits joined
 * must make whole fingerprints of LISTCMD_FPR_LEN; up to MAX into OUT (*NOUT); false + the
 * reason on C if the run is no whole number of them or there are too many */
static bool take_fprs(struct listcmd *c, const struct listcmd_span *toks, size_t *i, size_t n,
		      char out[][LISTCMD_MAX_ARG + 1], size_t max, size_t *nout)
{
	char digits[LISTCMD_FPR_LEN * (LISTCMD_MAX_ARGS + 1) + 1];
	size_t nd = 0;
	const char *p;
	size_t k;

	while (*i < n && hexword(toks[*i], &p, &k)) {
		if (nd + k >= sizeof(digits)) {
			bad(c, "more than %zu fingerprints", max);
			return false;
		}
		memcpy(digits + nd, p, k);
		nd += k;
		(*i)++;
	}
	if (nd == 0 || nd % LISTCMD_FPR_LEN != 0) {
		bad(c, "a fingerprint has %d hex digits, found %zu", LISTCMD_FPR_LEN, nd);
		return false;
	}
	for (size_t j = 0; j < nd; j += LISTCMD_FPR_LEN) {
		char w[LISTCMD_FPR_LEN + 1], why[100];
		if (*nout == max) {
			bad(c, "more than %zu fingerprints", max);
			return false;
		}
		memcpy(w, digits + j, LISTCMD_FPR_LEN);
		w[LISTCMD_FPR_LEN] = '\0';
		if (!lf_fpr_parse(w, out[(*nout)++], why, sizeof(why))) {
			bad(c, "bad fingerprint: %s", why);
			return false;
		}
	}
	return true;
}

/* tok_bool - T as true/yes (1), false/no (0), or -1 */
static int tok_bool(struct listcmd_span t)
{
	if (span_ieq(t.p, t.n, "true") || span_ieq(t.p, t.n, "yes"))
		return 1;
	if (span_ieq(t.p, t.n, "false") || span_ieq(t.p, t.n, "no"))
		return 0;
	return -1;
}

/* tok_text - T as a free text argument (a pattern, a URL) into the next slot of C's args */
static bool tok_text(struct listcmd *c, struct listcmd_span t)
{
	if (c->nargs == LISTCMD_MAX_ARGS) {
		bad(c, "more than %d arguments", LISTCMD_MAX_ARGS);
		return false;
	}
	if (!tok_str(t, c->args[c->nargs])) {
		bad(c, "an argument longer than %u octets", (unsigned)LISTCMD_MAX_ARG);
		return false;
	}
	for (size_t i = 0; i < t.n; i++)
		if ((unsigned char)t.p[i] < 0x20 || t.p[i] == 0x7f) {
			bad(c, "a control character in an argument");
			return false;
		}
	c->nargs++;
	return true;
}

/* has_at - whether T holds an '@' */
static bool has_at(struct listcmd_span t)
{
	return memchr(t.p, '@', t.n) != NULL;
}

/* ---- the checks of each keyword's arguments ---------------------------------------------- */

/* args_count - N words within [MIN, MAX]; else bad */
static bool args_count(struct listcmd *c, size_t n, size_t min, size_t max)
{
	if (n < min) {
		bad(c, "%s needs %s", kw_names[c->kw],
		    c->kw == LISTCMD_LIST_NAME ? "the list's address" :
		    min == 1 ? "an argument" : "more arguments");
		return false;
	}
	if (n > max) {
		if (max == 0)
			bad(c, "%s takes no arguments", kw_names[c->kw]);
		else
			bad(c, "%s takes at most %zu argument%s", kw_names[c->kw], max,
			    max == 1 ? "" : "s");
		return false;
	}
	return true;
}

/* check_subscribe - ADDRESS [FINGERPRINT [ADMIN [DELIVERY]]] */
static void check_subscribe(struct listcmd *c, const struct listcmd_span *t, size_t n)
{
	char fprs[1][LISTCMD_MAX_ARG + 1];
	size_t i = 1, nf = 0;

	if (!args_count(c, n, 1, n) || !tok_addr(c, t[0], c->addr))
		return;
	if (i < n && tok_bool(t[i]) < 0) {
		if (!take_fprs(c, t, &i, n, fprs, 1, &nf))
			return;
		memcpy(c->fpr, fprs[0], sizeof(c->fpr));
	}
	if (i < n && (c->admin = tok_bool(t[i++])) < 0) {
		bad(c, "the admin flag must be true or false");
		return;
	}
	if (i < n && (c->delivery = tok_bool(t[i++])) < 0) {
		bad(c, "the delivery flag must be true or false");
		return;
	}
	if (i < n)
		bad(c, "%s takes ADDRESS [FINGERPRINT [ADMIN [DELIVERY]]]; more was given",
		    kw_names[c->kw]);
}

/* check_set_fpr - [ADDRESS] FINGERPRINT */
static void check_set_fpr(struct listcmd *c, const struct listcmd_span *t, size_t n)
{
	char fprs[1][LISTCMD_MAX_ARG + 1];
	size_t i = 0, nf = 0;

	if (!args_count(c, n, 1, n))
		return;
	if (has_at(t[0]) && !tok_addr(c, t[i++], c->addr))
		return;
	if (i == n) {
		bad(c, "%s needs a fingerprint", kw_names[c->kw]);
		return;
	}
	if (!take_fprs(c, t, &i, n, fprs, 1, &nf))
		return;
	memcpy(c->fpr, fprs[0], sizeof(c->fpr));
	if (i < n)
		bad(c, "%s takes [ADDRESS] FINGERPRINT; more was given", kw_names[c->kw]);
}

/* check_items - fingerprints and (ADDRS) addresses and (URLS) https URLs into C's args */
static void check_items(struct listcmd *c, const struct listcmd_span *t, size_t n, bool addrs,
			bool urls)
{
	size_t i = 0;

	if (!args_count(c, n, 1, n))
		return;
	while (i < n && !c->bad) {
		const char *p;
		size_t k;
		if (urls && t[i].n > 7 && memchr(t[i].p, ':', t[i].n) != NULL) {
			if (t[i].n <= 8 || !span_ieq(t[i].p, 8, "https://"))
				bad(c, "only https URLs are fetched");
			else
				tok_text(c, t[i]);
			i++;
		} else if (addrs && has_at(t[i])) {
			if (c->nargs == LISTCMD_MAX_ARGS)
				bad(c, "more than %d arguments", LISTCMD_MAX_ARGS);
			else if (tok_addr(c, t[i], c->args[c->nargs]))
				c->nargs++;
			i++;
		} else if (hexword(t[i], &p, &k)) {
			take_fprs(c, t, &i, n, c->args, LISTCMD_MAX_ARGS, &c->nargs);
		} else {
			char w[LISTCMD_MAX_ARG + 1];
			if (!tok_str(t[i], w))
				w[LISTCMD_MAX_ARG] = '\0';
			bad(c, "\"%.60s\" is not a fingerprint%s", w,
			    urls ? ", an address or an https URL" :
			    addrs ? " or an address" : "");
		}
	}
}

/* check_delivery - [ADDRESS] true|false */
static void check_delivery(struct listcmd *c, const struct listcmd_span *t, size_t n)
{
	size_t i = 0;

	if (!args_count(c, n, 1, 2))
		return;
	if (n == 2 && !tok_addr(c, t[i++], c->addr))
		return;
	if ((c->delivery = tok_bool(t[i])) < 0)
		bad(c, "%s takes [ADDRESS] true|false", kw_names[c->kw]);
}

/* finish - check the words of the pending command against its keyword */
static void finish(struct pending *pd, struct listcmd_req *req)
{
	struct listcmd *c = pd->c;
	const struct listcmd_span *t = pd->toks;
	size_t n = pd->ntoks;

	if (c == NULL)
		return;
	pd->c = NULL;
	if (c->kw == LISTCMD_UNKNOWN) {
		bad(c, "unknown keyword");
		return;
	}
	if (c->bad)
		return;
	if (pd->too_many) {
		bad(c, "more than %d words", MAX_TOKENS);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].n > LISTCMD_MAX_ARG) {
			bad(c, "an argument longer than %u octets", (unsigned)LISTCMD_MAX_ARG);
			return;
		}
	switch (c->kw) {
	case LISTCMD_LIST_NAME:
		if (!args_count(c, n, 1, 1) || !tok_addr(c, t[0], c->addr))
			return;
		if (req->list_name[0] != '\0') {
			bad(c, "X-LIST-NAME given twice");
			return;
		}
		memcpy(req->list_name, c->addr, sizeof(req->list_name));
		break;
	case LISTCMD_SUBSCRIBE:
		check_subscribe(c, t, n);
		break;
	case LISTCMD_UNSUBSCRIBE:
		if (args_count(c, n, 0, 1) && n == 1)
			tok_addr(c, t[0], c->addr);
		break;
	case LISTCMD_LIST_SUBSCRIPTIONS:
	case LISTCMD_LIST_KEYS:
		for (size_t i = 0; i < n && !c->bad; i++)
			tok_text(c, t[i]);
		break;
	case LISTCMD_SET_FINGERPRINT:
		check_set_fpr(c, t, n);
		break;
	case LISTCMD_UNSET_FINGERPRINT:
		if (!args_count(c, n, 1, 2) || !tok_addr(c, t[0], c->addr))
			return;
		if (n == 2 && !(c->force = span_ieq(t[1].p, t[1].n, "force")))
			bad(c, "%s takes ADDRESS [force]", kw_names[c->kw]);
		break;
	case LISTCMD_SET_DELIVERY:
		check_delivery(c, t, n);
		break;
	case LISTCMD_ADD_KEY:
		args_count(c, n, 0, 0);
		break;
	case LISTCMD_DELETE_KEY:
		check_items(c, t, n, false, false);
		break;
	case LISTCMD_GET_KEY:
		check_items(c, t, n, true, false);
		break;
	case LISTCMD_FETCH_KEY:
		check_items(c, t, n, true, true);
		break;
	case LISTCMD_GET_VERSION:
		args_count(c, n, 0, 0);
		break;
	case LISTCMD_UNKNOWN:
	case LISTCMD_NKW:
		break;
	}
}

/* key_block - the armored key block whose BEGIN line is at START, the line after it at P:
 * through its END line, into C's keys; returns where reading goes on (END when the block
 * has no end: C is then bad) */
static const char *key_block(struct listcmd *c, const char *start, const char *p,
			     const char *end, size_t *lineno)
{
	const char *cend, *next;

	for (; p < end; p = next) {
		next = line_next(p, end, &cend);
		(*lineno)++;
		if (!line_is(p, cend, KEY_END))
			continue;
		if ((size_t)(next - start) > LISTCMD_MAX_KEY)
			bad(c, "a key block longer than %u octets", (unsigned)LISTCMD_MAX_KEY);
		else if (c->nkeys == LISTCMD_MAX_KEYS)
			bad(c, "more than %d keys", LISTCMD_MAX_KEYS);
		else {
			c->keys[c->nkeys].p = start;
			c->keys[c->nkeys++].n = (size_t)(next - start);
		}
		return next;
	}
	bad(c, "a key block without its END line");
	return end;
}

/* attach_keys - the first X-ADD-KEY without a key block takes the attachments; an X-ADD-KEY
 * left without keys is bad; the echo of each says where its keys came from */
static void attach_keys(struct listcmd_req *req, const struct listcmd_att *atts, size_t natts)
{
	for (size_t i = 0; i < req->n; i++) {
		struct listcmd *c = &req->cmds[i];
		char note[48];
		if (c->kw != LISTCMD_ADD_KEY || c->bad)
			continue;
		if (c->nkeys == 0 && req->atts_used == 0 && natts > 0) {
			c->keys_attached = true;
			req->atts_used = natts;
			for (size_t j = 0; j < natts && !c->bad; j++) {
				if (atts[j].n == 0)
					continue;
				if (atts[j].n > LISTCMD_MAX_KEY)
					bad(c, "attachment %zu is longer than %u octets", j + 1,
					    (unsigned)LISTCMD_MAX_KEY);
				else if (c->nkeys == LISTCMD_MAX_KEYS)
					bad(c, "more than %d attachments", LISTCMD_MAX_KEYS);
				else {
					c->keys[c->nkeys].p = atts[j].p;
					c->keys[c->nkeys++].n = atts[j].n;
				}
			}
		}
		if (c->nkeys == 0)
			bad(c, "no key: put the ASCII-armored key right after the X-ADD-KEY "
			    "line, or attach it");
		snprintf(note, sizeof(note), "[%zu %s%s]", c->nkeys,
			 c->keys_attached ? "attached key" : "key block", c->nkeys == 1 ? "" : "s");
		echo_add(c, note, note + strlen(note));
	}
}

/* verdict - the whole-message status from the commands */
static void verdict(struct listcmd_req *req)
{
	size_t nlist = 0;

	if (req->status != LISTCMD_REQ_OK)
		return;
	if (req->n == 0) {
		req->status = LISTCMD_REQ_EMPTY;
		snprintf(req->why, sizeof(req->why), "no commands");
		return;
	}
	for (size_t i = 0; i < req->n; i++) {
		const struct listcmd *c = &req->cmds[i];
		if (c->kw == LISTCMD_UNKNOWN) {
			req->status = LISTCMD_REQ_UNKNOWN;
			snprintf(req->why, sizeof(req->why), "unknown keyword at line %zu: %.60s",
				 c->line, c->echo);
			return;
		}
		if (c->kw == LISTCMD_LIST_NAME)
			nlist++;
	}
	if (nlist != 1 || req->list_name[0] == '\0') {
		req->status = LISTCMD_REQ_NO_LIST_NAME;
		snprintf(req->why, sizeof(req->why), nlist == 0 ? "no X-LIST-NAME" :
			 nlist > 1 ? "X-LIST-NAME given %zu times" : "a bad X-LIST-NAME", nlist);
	}
}

/* ---- the interface ----------------------------------------------------------------------- */

/* listcmd_parse - the commands of TEXT into *REQ */
void listcmd_parse(const char *text, size_t len, const struct listcmd_att *atts, size_t natts,
		   struct listcmd_req *req)
{
	const char *p = text, *end, *cend, *next;
	struct pending pd;
	bool args_open = false;		/* the line after a command may carry arguments */
	size_t lineno = 0;

	memset(req, 0, sizeof(*req));
	memset(&pd, 0, sizeof(pd));
	req->natts = natts;
	end = text + (len < LISTCMD_MAX_TEXT ? len : LISTCMD_MAX_TEXT);
	for (; p < end; p = next) {
		bool is_kw, too_long;
		next = line_next(p, end, &cend);
		lineno++;
		if (is_blank_line(p, cend)) {
			args_open = false;
			continue;
		}
		if (pd.c != NULL && pd.c->kw == LISTCMD_ADD_KEY && line_is(p, cend, KEY_BEGIN)) {
			next = key_block(pd.c, p, next, end, &lineno);
			args_open = false;
			continue;
		}
		is_kw = cend - p >= 2 && (p[0] == 'x' || p[0] == 'X') && p[1] == '-';
		too_long = (size_t)(cend - p) > LISTCMD_MAX_LINE;
		if (is_kw) {
			const char *q = p + 2;
			struct listcmd *c;
			finish(&pd, req);
			if (req->n == LISTCMD_MAX) {
				req->status = LISTCMD_REQ_TOO_MANY;
				snprintf(req->why, sizeof(req->why), "more than %d commands",
					 LISTCMD_MAX);
				break;
			}
			c = &req->cmds[req->n++];
			c->line = lineno;
			c->admin = c->delivery = -1;
			while (q < cend && *q != ':' && !blank(*q))
				q++;
			c->kw = listcmd_keyword(p, (size_t)(q - p));
			while (q < cend && (*q == ':' || blank(*q)))
				q++;
			echo_add(c, p, cend);
			pd.c = c;
			pd.ntoks = 0;
			pd.too_many = false;
			if (too_long)
				bad(c, "a line longer than %d octets", LISTCMD_MAX_LINE);
			else
				tokens_add(&pd, q, cend);
			args_open = true;
		} else if (args_open && pd.c != NULL) {
			echo_add(pd.c, p, cend);
			if (too_long)
				bad(pd.c, "a line longer than %d octets", LISTCMD_MAX_LINE);
			else
				tokens_add(&pd, p, cend);
		} else {
			break;			/* the first other line ends the commands */
		}
	}
	finish(&pd, req);
	for (; p < end; p = next) {
		next = line_next(p, end, &cend);
		req->text_lines++;
	}
	if (req->status == LISTCMD_REQ_OK)
		attach_keys(req, atts, natts);
	verdict(req);
}

/* listcmd_check_list - X-LIST-NAME names LIST or REQUEST_ADDR */
void listcmd_check_list(struct listcmd_req *req, const char *list, const char *request_addr)
{
	size_t n = strlen(req->list_name);

	if (req->status != LISTCMD_REQ_OK)
		return;
	if ((list != NULL && lf_key_eq(list, req->list_name, n)) ||
	    (request_addr != NULL && lf_key_eq(request_addr, req->list_name, n)))
		return;
	req->status = LISTCMD_REQ_WRONG_LIST;
	snprintf(req->why, sizeof(req->why), "X-LIST-NAME %.100s is not this list",
		 req->list_name);
}

/* listcmd_keyword - the keyword NAME, with or without "X-" */
enum listcmd_kw listcmd_keyword(const char *name, size_t n)
{
	if (n >= 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-') {
		name += 2;
		n -= 2;
	}
	for (int k = LISTCMD_UNKNOWN + 1; k < LISTCMD_NKW; k++)
		if (span_ieq(name, n, kw_names[k] + 2))
			return (enum listcmd_kw)k;
	return LISTCMD_UNKNOWN;
}

/* listcmd_keyword_name - the keyword's name as written in commands */
const char *listcmd_keyword_name(enum listcmd_kw kw)
{
	return kw > LISTCMD_UNKNOWN && kw < LISTCMD_NKW ? kw_names[kw] : kw_names[LISTCMD_UNKNOWN];
}

/* listcmd_perms_default - Schleuder's defaults */
void listcmd_perms_default(struct listcmd_perms *p)
{
	p->admin_only = LISTCMD_BIT(LISTCMD_SUBSCRIBE) | LISTCMD_BIT(LISTCMD_UNSUBSCRIBE) |
			LISTCMD_BIT(LISTCMD_DELETE_KEY);
	p->notify_admins = LISTCMD_BIT(LISTCMD_ADD_KEY);
}

/* listcmd_perms_for - the defaults, overridden by the list file's statements */
void listcmd_perms_for(struct listcmd_perms *p, const struct pw_list *l)
{
	listcmd_perms_default(p);
	if (l->keywords_admin_only_set)
		p->admin_only = l->keywords_admin_only;
	if (l->keywords_admin_notify_set)
		p->notify_admins = l->keywords_admin_notify;
}

/* acts_on_subscription - whether KW concerns one subscription (own or another's) */
static bool acts_on_subscription(enum listcmd_kw kw)
{
	return kw == LISTCMD_SUBSCRIBE || kw == LISTCMD_UNSUBSCRIBE ||
	       kw == LISTCMD_SET_FINGERPRINT || kw == LISTCMD_UNSET_FINGERPRINT ||
	       kw == LISTCMD_SET_DELIVERY;
}

/* listcmd_permitted - the permission table */
bool listcmd_permitted(enum listcmd_kw kw, bool requester_is_admin, bool acts_on_self,
		       const struct listcmd_perms *p)
{
	if (kw <= LISTCMD_UNKNOWN || kw >= LISTCMD_NKW)
		return false;
	if (kw == LISTCMD_LIST_NAME || kw == LISTCMD_GET_VERSION || requester_is_admin)
		return true;
	if (p->admin_only & LISTCMD_BIT(kw))
		return false;
	return !acts_on_subscription(kw) || acts_on_self;
}

/* listcmd_acts_on_self - C's address empty or the requester's */
bool listcmd_acts_on_self(const struct listcmd *c, const char *requester)
{
	if (!acts_on_subscription(c->kw) || c->addr[0] == '\0')
		return true;
	return requester != NULL && strlen(requester) == strlen(c->addr) &&
	       lf_key_eq(requester, c->addr, strlen(c->addr));
}

/* listcmd_check - permission, the admin flag, and the "force" rule */
bool listcmd_check(const struct listcmd *c, const char *requester, bool requester_is_admin,
		   const struct listcmd_perms *p, char *why, size_t whylen)
{
	bool self = listcmd_acts_on_self(c, requester);

	if (c->bad) {
		snprintf(why, whylen, "%s", c->why);
		return false;
	}
	if (!listcmd_permitted(c->kw, requester_is_admin, self, p)) {
		if (p->admin_only & LISTCMD_BIT(c->kw))
			snprintf(why, whylen, "%s may only be used by the list's admins",
				 listcmd_keyword_name(c->kw));
		else
			snprintf(why, whylen, "only the list's admins may use %s on another "
				 "subscription than their own", listcmd_keyword_name(c->kw));
		return false;
	}
	if (c->kw == LISTCMD_SUBSCRIBE && c->admin == 1 && !requester_is_admin) {
		snprintf(why, whylen, "only the list's admins may make a subscription an admin");
		return false;
	}
	if (c->kw == LISTCMD_UNSET_FINGERPRINT && requester_is_admin && self && !c->force) {
		snprintf(why, whylen, "an admin removing the fingerprint of their own "
			 "subscription must add \"force\" (X-UNSET-FINGERPRINT: %s force)",
			 c->addr);
		return false;
	}
	return true;
}

/* listcmd_notify - admins told of KW */
bool listcmd_notify(enum listcmd_kw kw, const struct listcmd_perms *p)
{
	return kw > LISTCMD_UNKNOWN && kw < LISTCMD_NKW && (p->notify_admins & LISTCMD_BIT(kw));
}

/* ---- the reply --------------------------------------------------------------------------- */

/* The reply is rendered twice: once with P NULL to count its octets, once into a buffer
 * of that size. */
struct buf {
	char *p;			/* NULL: count only */
	size_t n;
};

/* put - append N octets at S to B */
static void put(struct buf *b, const char *s, size_t n)
{
	if (b->p != NULL)
		memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* putf - append FMT... to B (at most 1023 octets; control octets but LF and TAB as '?') */
static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	unctrl(tmp, false);
	if (r > 0)
		put(b, tmp, (size_t)r < sizeof(tmp) ? (size_t)r : sizeof(tmp) - 1);
}

/* put_text - append the executor's TEXT: CRs dropped, control octets as '?', a final LF */
static void put_text(struct buf *b, const char *text)
{
	size_t n = strlen(text);

	for (size_t i = 0; i < n; i++) {
		char ch = text[i];
		if (ch == '\r')
			continue;
		if (((unsigned char)ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			ch = '?';
		put(b, &ch, 1);
	}
	if (n > 0 && text[n - 1] != '\n')
		put(b, "\n", 1);
}

/* intro - the first paragraph: what happened to the message as a whole */
static void intro(struct buf *b, const struct listcmd_req *req, const char *list)
{
	switch (req->status) {
	case LISTCMD_REQ_OK:
		putf(b, "Results of your commands to %s:\n", list);
		break;
	case LISTCMD_REQ_EMPTY:
		putf(b, "Your message to %s held no commands, so nothing was done.\n\n"
		     "Commands are lines at the start of the text of a message signed with your "
		     "key and encrypted to the list's key, for instance:\n\n"
		     "X-LIST-NAME: %s\nX-LIST-SUBSCRIPTIONS\n\nThe keywords:", list, list);
		for (int k = LISTCMD_UNKNOWN + 1; k < LISTCMD_NKW; k++)
			putf(b, " %s", kw_names[k]);
		putf(b, ".\n");
		break;
	case LISTCMD_REQ_TOO_MANY:
		putf(b, "Your message held more than %d commands; none of them was run. Please "
		     "send them in several messages.\n", LISTCMD_MAX);
		break;
	case LISTCMD_REQ_UNKNOWN:
		putf(b, "Your message held a keyword this list does not know (marked below); "
		     "none of its commands was run. Please check its spelling.\n");
		break;
	case LISTCMD_REQ_NO_LIST_NAME:
		putf(b, "Your message did not hold the required line \"X-LIST-NAME: %s\" exactly "
		     "once; none of its commands was run.\n", list);
		break;
	case LISTCMD_REQ_WRONG_LIST:
		putf(b, "The X-LIST-NAME of your message (%s) is not this list's address (%s); "
		     "none of its commands was run.\n", req->list_name, list);
		break;
	}
}

/* render - the reply into B */
static void render(struct buf *b, const struct listcmd_req *req, const char *list,
		   const struct listcmd_result *results)
{
	intro(b, req, list);
	for (size_t i = 0; i < req->n; i++) {
		const struct listcmd *c = &req->cmds[i];
		const struct listcmd_result *r = results != NULL ? &results[i] : NULL;
		putf(b, "\n> %s\n", c->echo);
		if (c->bad) {
			putf(b, "Error: %s.\n", c->why);
			continue;
		}
		if (req->status != LISTCMD_REQ_OK || r == NULL) {
			putf(b, "Not run.\n");
			continue;
		}
		putf(b, "%s\n", r->outcome == LISTCMD_DONE ? "Done." :
		     r->outcome == LISTCMD_FAILED ? "Failed." :
		     r->outcome == LISTCMD_REFUSED ? "Refused." : "Not run.");
		if (r->text != NULL)
			put_text(b, r->text);
	}
	if (req->natts > req->atts_used)
		putf(b, "\n%zu attachment%s of your message %s not used (only X-ADD-KEY takes "
		     "attachments).\n", req->natts - req->atts_used,
		     req->natts - req->atts_used == 1 ? "" : "s",
		     req->natts - req->atts_used == 1 ? "was" : "were");
	if (req->text_lines > 0 && req->status != LISTCMD_REQ_TOO_MANY)
		putf(b, "\nThe text after the commands (%zu line%s) was not read.\n",
		     req->text_lines, req->text_lines == 1 ? "" : "s");
}

/* listcmd_reply - the reply body: counted, then written */
char *listcmd_reply(const struct listcmd_req *req, const char *list,
		    const struct listcmd_result *results, size_t *len)
{
	struct buf count = { NULL, 0 }, b = { NULL, 0 };

	render(&count, req, list, results);
	if ((b.p = malloc(count.n + 1)) == NULL)
		return NULL;
	render(&b, req, list, results);
	b.p[b.n] = '\0';
	*len = b.n;
	return b.p;
}
