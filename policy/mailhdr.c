/*
 * policy/mailhdr.c - the From and Authentication-Results field bodies sender practices read.
 *
 * NAME
 *	pw_from_parse, pw_ar_parse, pw_ar_domain
 *
 * SYNOPSIS
 *	#include "mailhdr.h"
 *
 *	enum pw_from_status pw_from_parse(const char *value, size_t *n, char *domain,
 *					  size_t dlen, char *why, size_t wlen);
 *	int pw_ar_parse(const char *value, char *authserv, size_t alen,
 *			struct pw_ar_resinfo *ri, size_t max);
 *	size_t pw_ar_domain(const char *value, char *out, size_t len);
 *
 * DESCRIPTION
 *	Contract: mailhdr.h.  Both parsers are recursive descent over the NUL-terminated field
 *	body with one octet of look-ahead: every octet is looked at a bounded number of times,
 *	comment nesting is a counter (not recursion), groups cannot nest, so work is linear
 *	and the stack is bounded.  Nothing is allocated; every copy into a caller's buffer is
 *	bounded by its size.  Pure C, no I/O (snprintf formats the reasons).
 *
 *	Lexical rules shared by both fields (RFC 5322 3.2.1-3.2.5, RFC 6532):
 *	- FWS is WSP, or a line break (CRLF or bare LF) followed by WSP.  A line break at the
 *	  very end of the value is taken as the field's own terminator.  Any other CR or LF
 *	  is a syntax error.
 *	- quoted-pair ("\" and one octet) escapes any octet but NUL (obs-qp included).
 *	- Octets >= 0x80 are accepted wherever RFC 6532 allows UTF8-non-ascii (atext, qtext,
 *	  ctext, dtext); they are not checked to form valid UTF-8.  obs-NO-WS-CTL is accepted
 *	  in comments, quoted strings and domain literals, never in atoms.
 *	- Comments nest at most PW_HDR_MAX_NEST deep: "(x)" is depth 1; deeper is an error.
 *
 *	From (RFC 5322 3.4, 3.6.2, 4.4; RFC 6854), interpretations:
 *	- address-list with the obsolete empty elements (", a@x,,b@y,") of obs-addr-list and
 *	  obs-mbox-list; at least one address (a group, even empty, counts as one) is required.
 *	- Words (atoms and quoted strings) and dots are read first; what follows decides:
 *	  "@" makes them a local part (word *("." word), CFWS allowed around the dots), "<" a
 *	  display name (phrase / obs-phrase: starts with a word), ":" a group's name.  Words
 *	  shaped like a local part followed by none of these ("alice", "<alice>") are a
 *	  mailbox without a domain: PW_FROM_NODOMAIN.  "<>" is one too.
 *	- The domain is atoms and dots with CFWS around the dots (obs-domain) and is rebuilt
 *	  without the CFWS.  One trailing dot is dropped; an empty label ("a..b", ".a", "a..")
 *	  or more than 253 octets make it unusable (PW_FROM_NODOMAIN), as does a domain
 *	  literal, which is still checked for syntax.  Atoms are not restricted to LDH.
 *	- Every mailbox's domain is checked; only the first one's is copied out.  A domain
 *	  that does not fit DLEN (or DOMAIN NULL) is PW_FROM_NODOMAIN.
 *	- A syntax error anywhere wins over a missing domain: PW_FROM_NODOMAIN means the whole
 *	  field parsed.  On PW_FROM_SYNTAX *N is 0; on PW_FROM_NODOMAIN *N counts every
 *	  mailbox; on both, DOMAIN is "".  N may be NULL.
 *	- A route in an angle address (obs-route) is checked for syntax only.
 *
 *	Authentication-Results (RFC 8601 2.2), interpretations:
 *	- The authserv-id is copied without its quotes, quoted-pairs resolved, line breaks of
 *	  folding removed, case kept ("as given").  One that does not fit ALEN is an error
 *	  (a truncated id could match a trusted one).  AUTHSERV must not be NULL.
 *	- Keyword is RFC 5321 Ldh-str: letters, digits and '-', not ending in '-'.  A method
 *	  or result longer than 31 octets is a syntax error, never truncated.
 *	- "none" as the only result is no-result (0); "none" beside resinfos is an error; a
 *	  method named "none" ("none=pass") is a method.
 *	- reasonspec only directly after the result (before any propspec), at most once.
 *	- pvalue: a quoted-string (value: its content, kept), an RFC 2045 token, or
 *	  [[local-part] "@"] domain-name (kept as given, folding removed), where local-part is
 *	  dot-atom or quoted-string and domain-name is sub-domain *("." sub-domain) with
 *	  sub-domain = Let-dig [Ldh-str], octets >= 0x80 counting as letters (U-labels).  One
 *	  label is enough ("x@y"), RFC 6376 asks for two.  A trailing dot is an error.
 *	- smtp.mailfrom, smtp.helo and header.from (ptype and property compared without
 *	  regard to case) are kept, the first of each per resinfo; a value longer than 255
 *	  octets is kept as "".  Other properties are parsed and ignored.
 *	- A trailing ";" after the last resinfo, a propspec without "." (Microsoft's
 *	  "action=none") or an unquoted '/' in a value ("header.b=ab/c") are syntax errors.
 *	- RI NULL means MAX 0.  On -1 AUTHSERV and the RI entries written are cleared.
 *
 *	pw_ar_domain: surrounding white space ignored; "<...>" stripped (both or neither);
 *	the domain follows the last '@' outside double quotes (quoted-pairs honoured), or is
 *	the whole value when there is none.  It must be non-empty, at most 253 octets after
 *	one trailing dot is dropped, without empty labels, and made of atext, '.' and octets
 *	>= 0x80 (so a domain literal or a quote gives 0).
 *
 * DIAGNOSTICS
 *	pw_from_parse: WHY gets "WHAT at offset N" for PW_FROM_SYNTAX (N counts octets from
 *	the start of VALUE), "mailbox K: WHAT" for PW_FROM_NODOMAIN, "" for PW_FROM_OK;
 *	truncated to WLEN.  pw_ar_parse: -1 only; pw_ar_domain: 0 only.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "mailhdr.h"
#include "mailhdr-int.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- character classes (ASCII, locale-independent; octets >= 0x80 per RFC 6532) ---------- */

/* mh_is_wsp - SP or HTAB */
bool mh_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* mh_is_alpha - ASCII letter */
bool mh_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* mh_is_digit - ASCII digit */
bool mh_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* is_obs_ctl - obs-NO-WS-CTL: controls other than NUL, HTAB, LF, CR; and DEL */
static bool is_obs_ctl(unsigned char c)
{
	return (c >= 1 && c <= 8) || c == 11 || c == 12 || (c >= 14 && c <= 31) || c == 127;
}

/* mh_is_atext - RFC 5322 atext, UTF-8 octets included */
bool mh_is_atext(unsigned char c)
{
	return mh_is_alpha(c) || mh_is_digit(c) || c >= 0x80 ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* is_ctext - ctext / obs-ctext, UTF-8 octets included */
static bool is_ctext(unsigned char c)
{
	return (c >= 33 && c <= 126 && c != '(' && c != ')' && c != '\\') || is_obs_ctl(c) ||
	       c >= 0x80;
}

/* is_qtext - qtext / obs-qtext, UTF-8 octets included */
static bool is_qtext(unsigned char c)
{
	return (c >= 33 && c <= 126 && c != '"' && c != '\\') || is_obs_ctl(c) || c >= 0x80;
}

/* mh_is_dtext - dtext / obs-dtext (without its quoted-pair), UTF-8 octets included */
bool mh_is_dtext(unsigned char c)
{
	return (c >= 33 && c <= 126 && c != '[' && c != ']' && c != '\\') || is_obs_ctl(c) ||
	       c >= 0x80;
}

/* mh_is_token - RFC 2045 token character: printable ASCII but tspecials */
bool mh_is_token(unsigned char c)
{
	return c >= 33 && c <= 126 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* mh_is_ldh - letter, digit or hyphen */
bool mh_is_ldh(unsigned char c)
{
	return mh_is_alpha(c) || mh_is_digit(c) || c == '-';
}

/* mh_lower - ASCII lower case; other octets unchanged */
char mh_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* mh_span_ieq - the span S/N equals WORD without regard to ASCII case */
bool mh_span_ieq(const char *s, size_t n, const char *word)
{
	if (strlen(word) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (mh_lower(s[i]) != word[i])
			return false;
	return true;
}

/* ---- bounded output ------------------------------------------------------------------------ */

/* mh_ob_init - start an output buffer (P may be NULL to discard); P is "" afterwards */
void mh_ob_init(struct obuf *b, char *p, size_t len)
{
	b->p = len > 0 ? p : NULL;
	b->len = len;
	b->n = 0;
	b->over = false;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* mh_ob_put - append one octet, keeping the buffer terminated; remembers overflow */
void mh_ob_put(struct obuf *b, char c)
{
	if (b->p == NULL || b->over)
		return;
	if (b->n + 1 >= b->len) {
		b->over = true;
		return;
	}
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
}

/* mh_ob_raw - restart B with the octets from S to E, line breaks of folding left out */
void mh_ob_raw(struct obuf *b, const char *s, const char *e)
{
	if (b == NULL || b->p == NULL)
		return;
	mh_ob_init(b, b->p, b->len);
	for (; s < e; s++)
		if (*s != '\r' && *s != '\n')
			mh_ob_put(b, *s);
}

/* ---- scanner: the shared lexical layer ------------------------------------------------------ */

/* mh_fail_at - note the first syntax error WHAT at AT; false, for "return mh_fail_at(...)" */
bool mh_fail_at(struct scan *s, const char *at, const char *what)
{
	if (s->err == NULL) {
		s->err = what;
		s->erroff = (size_t)(at - s->base);
	}
	return false;
}

/* mh_fail - a syntax error at the current octet */
bool mh_fail(struct scan *s, const char *what)
{
	return mh_fail_at(s, s->p, what);
}

/* line_break - octets in the line break at P (CRLF 2, bare LF 1, none 0) */
static size_t line_break(const char *p)
{
	if (p[0] == '\r' && p[1] == '\n')
		return 2;
	return p[0] == '\n' ? 1 : 0;
}

/* mh_skip_fws - past folding white space; false on a line break that does not fold or a
 * bare CR (a break at the very end of the value is the field's terminator) */
bool mh_skip_fws(struct scan *s)
{
	for (;;) {
		size_t brk = line_break(s->p);

		if (mh_is_wsp((unsigned char)*s->p)) {
			s->p++;
		} else if (brk > 0 && mh_is_wsp((unsigned char)s->p[brk])) {
			s->p += brk + 1;
		} else if (brk > 0 && s->p[brk] == '\0') {
			s->p += brk;
		} else if (brk > 0) {
			return mh_fail(s, "line break not followed by white space");
		} else if (*s->p == '\r') {
			return mh_fail(s, "CR without LF");
		} else {
			return true;
		}
	}
}

/* skip_comment - past a comment at s->p ('('), nested at most PW_HDR_MAX_NEST deep */
static bool skip_comment(struct scan *s)
{
	const char *open = s->p;
	unsigned depth = 0;

	do {
		unsigned char c = (unsigned char)*s->p;

		if (c == '(') {
			if (++depth > PW_HDR_MAX_NEST)
				return mh_fail(s, "comments nested too deeply");
			s->p++;
		} else if (c == ')') {
			depth--;
			s->p++;
		} else if (c == '\\') {
			if (s->p[1] == '\0')
				return mh_fail(s, "backslash at the end");
			s->p += 2;
		} else if (c == '\0') {
			return mh_fail_at(s, open, "unterminated comment");
		} else if (mh_is_wsp(c) || c == '\r' || c == '\n') {
			if (!mh_skip_fws(s))
				return false;
		} else if (is_ctext(c)) {
			s->p++;
		} else {
			return mh_fail(s, "invalid character in a comment");
		}
	} while (depth > 0);
	return true;
}

/* mh_skip_cfws - past any comments and folding white space */
bool mh_skip_cfws(struct scan *s)
{
	for (;;) {
		if (!mh_skip_fws(s))
			return false;
		if (*s->p != '(')
			return true;
		if (!skip_comment(s))
			return false;
	}
}

/* mh_scan_quoted - past a quoted-string at s->p ('"'); its content (folding removed,
 * quoted-pairs resolved) into OUT when it is not NULL */
bool mh_scan_quoted(struct scan *s, struct obuf *out)
{
	const char *open = s->p;

	s->p++;
	for (;;) {
		unsigned char c = (unsigned char)*s->p;
		size_t brk = line_break(s->p);

		if (c == '"') {
			s->p++;
			return true;
		} else if (c == '\\') {
			if (s->p[1] == '\0')
				return mh_fail(s, "backslash at the end");
			if (out)
				mh_ob_put(out, s->p[1]);
			s->p += 2;
		} else if (c == '\0') {
			return mh_fail_at(s, open, "unterminated quoted string");
		} else if (brk > 0) {
			if (!mh_is_wsp((unsigned char)s->p[brk]))
				return mh_fail(s, "line break not followed by white space");
			s->p += brk;
		} else if (mh_is_wsp(c) || is_qtext(c)) {
			if (out)
				mh_ob_put(out, (char)c);
			s->p++;
		} else {
			return mh_fail(s, c == '\r' ? "CR without LF" :
				    "invalid character in a quoted string");
		}
	}
}

/* ---- From ----------------------------------------------------------------------------------- */

struct from_state {
	struct scan s;
	size_t n;		/* mailboxes so far */
	char *domain;		/* caller's buffer for the first mailbox's domain */
	size_t dlen;
	const char *nodom;	/* first reason a mailbox has no usable domain */
	size_t nodom_mbox;	/* which mailbox (1-based) */
};

struct words {
	size_t words;		/* atoms and quoted strings */
	size_t dots;
	bool local_ok;		/* word *("." word) */
	bool phrase_ok;		/* starts with a word */
};

/* no_domain - note that the current mailbox has no usable domain (the first reason wins) */
static void no_domain(struct from_state *st, const char *why)
{
	if (st->nodom == NULL) {
		st->nodom = why;
		st->nodom_mbox = st->n;
	}
}

/* scan_literal - past a domain-literal at s->p ('[') */
static bool scan_literal(struct scan *s)
{
	const char *open = s->p;

	s->p++;
	for (;;) {
		unsigned char c = (unsigned char)*s->p;

		if (c == ']') {
			s->p++;
			return true;
		} else if (c == '\\') {
			if (s->p[1] == '\0')
				return mh_fail(s, "backslash at the end");
			s->p += 2;
		} else if (c == '\0') {
			return mh_fail_at(s, open, "unterminated domain literal");
		} else if (mh_is_wsp(c) || c == '\r' || c == '\n') {
			if (!mh_skip_fws(s))
				return false;
			if (*s->p == '\0')
				return mh_fail_at(s, open, "unterminated domain literal");
		} else if (mh_is_dtext(c)) {
			s->p++;
		} else {
			return mh_fail(s, "invalid character in a domain literal");
		}
	}
}

/* from_words - past a run of words and dots (CFWS between them), noting its shape */
static bool from_words(struct from_state *st, struct words *w)
{
	struct scan *s = &st->s;
	bool after_word = false;

	w->words = w->dots = 0;
	w->local_ok = w->phrase_ok = true;
	for (;;) {
		unsigned char c;

		if (!mh_skip_cfws(s))
			return false;
		c = (unsigned char)*s->p;
		if (c == '"' || mh_is_atext(c)) {
			if (after_word)
				w->local_ok = false;	/* two words without a dot: a phrase */
			if (c == '"') {
				if (!mh_scan_quoted(s, NULL))
					return false;
			} else {
				while (mh_is_atext((unsigned char)*s->p))
					s->p++;
			}
			w->words++;
			after_word = true;
		} else if (c == '.') {
			if (!after_word)
				w->local_ok = false;	/* ".a", "a..b" */
			if (w->words == 0)
				w->phrase_ok = false;	/* obs-phrase starts with a word */
			w->dots++;
			after_word = false;
			s->p++;
		} else {
			break;
		}
	}
	if (w->words == 0 || !after_word)
		w->local_ok = false;			/* "a." */
	return true;
}

/* from_domain - the domain after '@' (s->p past it): atoms and dots with CFWS around the
 * dots, or a domain literal.  Checks it; keeps the first mailbox's.  Leaves s->p after the
 * domain and any CFWS after it.  STORE false: a route domain, syntax only. */
static bool from_domain(struct from_state *st, bool store)
{
	struct scan *s = &st->s;
	char name[DOMAIN_MAX + 2];
	size_t len = 0;
	bool after_atom = false, empty_label = false, any = false;

	if (!mh_skip_cfws(s))
		return false;
	if (*s->p == '[') {
		if (!scan_literal(s) || !mh_skip_cfws(s))
			return false;
		if (store)
			no_domain(st, "domain literal");
		return true;
	}
	for (;;) {
		unsigned char c = (unsigned char)*s->p;

		if (mh_is_atext(c) && !after_atom) {
			for (; mh_is_atext((unsigned char)*s->p); s->p++, len++)
				if (len < sizeof(name) - 1)
					name[len] = mh_lower(*s->p);
			after_atom = true;
		} else if (c == '.') {
			if (!after_atom)
				empty_label = true;
			if (len < sizeof(name) - 1)
				name[len] = '.';
			len++;
			after_atom = false;
			s->p++;
		} else {
			break;
		}
		any = true;
		if (!mh_skip_cfws(s))
			return false;
	}
	if (!store)
		return any ? true : mh_fail(s, "expected a domain in the route");
	if (!any) {
		no_domain(st, "empty domain");
		return true;
	}
	if (!after_atom)
		len--;					/* one trailing dot */
	if (empty_label || len == 0)
		no_domain(st, "empty label in the domain");
	else if (len > DOMAIN_MAX)
		no_domain(st, "domain longer than 253 octets");
	else if (st->n == 1 && (st->domain == NULL || len >= st->dlen))
		no_domain(st, "domain does not fit the buffer");
	else if (st->n == 1) {
		memcpy(st->domain, name, len);
		st->domain[len] = '\0';
	}
	return true;
}

/* from_route - obs-route after '<': *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":" */
static bool from_route(struct from_state *st)
{
	struct scan *s = &st->s;

	for (;;) {
		if (!mh_skip_cfws(s))
			return false;
		if (*s->p != ',')
			break;
		s->p++;
	}
	if (*s->p != '@')
		return mh_fail(s, "expected '@' in the route");
	s->p++;
	if (!from_domain(st, false))
		return false;
	while (*s->p == ',') {
		s->p++;
		if (!mh_skip_cfws(s))
			return false;
		if (*s->p == '@') {
			s->p++;
			if (!from_domain(st, false))
				return false;
		}
	}
	if (*s->p != ':')
		return mh_fail(s, "expected ':' after the route");
	s->p++;
	return true;
}

/* from_angle - an angle address, s->p just past '<': [obs-route] addr-spec ">" */
static bool from_angle(struct from_state *st)
{
	struct scan *s = &st->s;
	struct words w;

	if (!mh_skip_cfws(s))
		return false;
	if (*s->p == '>') {
		s->p++;
		no_domain(st, "empty address <>");
		return true;
	}
	if ((*s->p == '@' || *s->p == ',') && !from_route(st))
		return false;
	if (!from_words(st, &w))
		return false;
	if (*s->p == '@') {
		if (w.words + w.dots == 0)
			return mh_fail(s, "missing local part");
		if (!w.local_ok)
			return mh_fail(s, "invalid local part");
		s->p++;
		if (!from_domain(st, true))
			return false;
	} else if (*s->p == '>' && w.local_ok) {
		no_domain(st, "no domain");
	} else if (w.words + w.dots == 0) {
		return mh_fail(s, "expected an address after '<'");
	} else {
		return mh_fail(s, "expected '@' or '>'");
	}
	if (*s->p != '>')
		return mh_fail(s, "expected '>'");
	s->p++;
	return true;
}

static bool from_address(struct from_state *st, bool in_group);

/* from_group - a group's list, s->p just past ':': mailboxes and empty elements up to ';' */
static bool from_group(struct from_state *st)
{
	struct scan *s = &st->s;

	for (;;) {
		if (!mh_skip_cfws(s))
			return false;
		if (*s->p == ';')
			break;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == '\0')
			return mh_fail(s, "group not ended by ';'");
		if (!from_address(st, true) || !mh_skip_cfws(s))
			return false;
		if (*s->p == ';')
			break;
		if (*s->p != ',')
			return mh_fail(s, *s->p ? "expected ',' or ';' in the group" :
				    "group not ended by ';'");
		s->p++;
	}
	s->p++;
	return true;
}

/* from_address - one mailbox (name-addr, addr-spec, or a bare local part), or a group
 * when IN_GROUP is false */
static bool from_address(struct from_state *st, bool in_group)
{
	struct scan *s = &st->s;
	struct words w;

	if (!from_words(st, &w))
		return false;
	switch (*s->p) {
	case '@':
		if (w.words + w.dots == 0)
			return mh_fail(s, "missing local part");
		if (!w.local_ok)
			return mh_fail(s, "invalid local part");
		s->p++;
		st->n++;
		return from_domain(st, true);
	case '<':
		if (w.words + w.dots > 0 && !w.phrase_ok)
			return mh_fail(s, "display name starts with '.'");
		s->p++;
		st->n++;
		return from_angle(st);
	case ':':
		if (w.words == 0 || !w.phrase_ok)
			return mh_fail(s, "group without a name");
		if (in_group)
			return mh_fail(s, "group inside a group");
		s->p++;
		return from_group(st);
	default:
		break;
	}
	if (w.local_ok) {			/* "alice" */
		st->n++;
		no_domain(st, "no domain");
		return true;
	}
	if (w.words + w.dots > 0)
		return mh_fail(s, "display name without an address");
	return mh_fail(s, *s->p ? "unexpected character" : "expected an address");
}

/* from_list - address-list: addresses separated by commas, empty elements allowed */
static bool from_list(struct from_state *st)
{
	struct scan *s = &st->s;
	bool any = false;

	for (;;) {
		if (!mh_skip_cfws(s))
			return false;
		if (*s->p == '\0')
			break;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (!from_address(st, false) || !mh_skip_cfws(s))
			return false;
		any = true;
		if (*s->p == '\0')
			break;
		if (*s->p != ',')
			return mh_fail(s, "expected ',' or the end of the field");
		s->p++;
	}
	return any ? true : mh_fail(s, "no address");
}

/* pw_from_parse - parse a From field body; *N = mailboxes found, DOMAIN = the first one's
 * domain ("" when none); WHY (may be NULL) gets a short reason on error */
enum pw_from_status pw_from_parse(const char *value, size_t *n, char *domain, size_t dlen,
				  char *why, size_t wlen)
{
	struct from_state st;
	enum pw_from_status status;

	if (domain != NULL && dlen > 0)
		domain[0] = '\0';
	if (why != NULL && wlen > 0)
		why[0] = '\0';
	if (n != NULL)
		*n = 0;
	memset(&st, 0, sizeof(st));
	st.s.base = st.s.p = value != NULL ? value : "";
	st.domain = dlen > 0 ? domain : NULL;
	st.dlen = dlen;
	if (value == NULL) {
		if (why != NULL && wlen > 0)
			snprintf(why, wlen, "no value");
		return PW_FROM_SYNTAX;
	}
	if (!from_list(&st)) {
		status = PW_FROM_SYNTAX;
		if (why != NULL && wlen > 0)
			snprintf(why, wlen, "%s at offset %zu", st.s.err, st.s.erroff);
	} else if (st.nodom != NULL) {
		status = PW_FROM_NODOMAIN;
		if (n != NULL)
			*n = st.n;
		if (why != NULL && wlen > 0)
			snprintf(why, wlen, "mailbox %zu: %s", st.nodom_mbox, st.nodom);
	} else {
		status = PW_FROM_OK;
		if (n != NULL)
			*n = st.n;
	}
	if (status != PW_FROM_OK && domain != NULL && dlen > 0)
		domain[0] = '\0';
	return status;
}

/* ---- Authentication-Results ----------------------------------------------------------------- */

/* ar_keyword - past a Keyword (Ldh-str) into *K, *KLEN */
static bool ar_keyword(struct scan *s, const char **k, size_t *klen)
{
	const char *start = s->p;

	while (mh_is_ldh((unsigned char)*s->p))
		s->p++;
	if (s->p == start)
		return mh_fail(s, "expected a keyword");
	if (s->p[-1] == '-')
		return mh_fail_at(s, s->p - 1, "keyword ends with '-'");
	*k = start;
	*klen = (size_t)(s->p - start);
	return true;
}

/* ar_copy_keyword - a keyword, lower case, into OUT (the caller checked KLEN < its size) */
static void ar_copy_keyword(const char *k, size_t klen, char *out)
{
	for (size_t i = 0; i < klen; i++)
		out[i] = mh_lower(k[i]);
	out[klen] = '\0';
}

/* ar_value - past a value (token / quoted-string), its text into OUT (may be NULL) */
static bool ar_value(struct scan *s, struct obuf *out)
{
	if (*s->p == '"')
		return mh_scan_quoted(s, out);
	if (!mh_is_token((unsigned char)*s->p))
		return mh_fail(s, "expected a value");
	for (; mh_is_token((unsigned char)*s->p); s->p++)
		if (out)
			mh_ob_put(out, *s->p);
	return true;
}

/* is_let_dig - a letter or digit of a domain-name label (UTF-8 octets count as letters) */
static bool is_let_dig(unsigned char c)
{
	return mh_is_alpha(c) || mh_is_digit(c) || c >= 0x80;
}

/* ar_domain_name - past sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] */
static bool ar_domain_name(struct scan *s)
{
	for (;;) {
		if (!is_let_dig((unsigned char)*s->p))
			return mh_fail(s, "expected a domain name");
		while (is_let_dig((unsigned char)*s->p) || *s->p == '-')
			s->p++;
		if (s->p[-1] == '-')
			return mh_fail_at(s, s->p - 1, "domain label ends with '-'");
		if (*s->p != '.')
			return true;
		s->p++;
	}
}

/* dot_atom_ok - the span S..E is a dot-atom-text (atoms separated by single dots) */
static bool dot_atom_ok(const char *b, const char *e)
{
	if (b == e || *b == '.' || e[-1] == '.')
		return false;
	for (const char *q = b; q < e; q++)
		if (q[0] == '.' && q[1] == '.')
			return false;
	return true;
}

/* token_ok - the span B..E is an RFC 2045 token */
static bool token_ok(const char *b, const char *e)
{
	if (b == e)
		return false;
	for (; b < e; b++)
		if (!mh_is_token((unsigned char)*b))
			return false;
	return true;
}

/* ar_pvalue - pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]; the
 * value into OUT (may be NULL): a quoted-string's content, anything else as given */
static bool ar_pvalue(struct scan *s, struct obuf *out)
{
	const char *start, *run;

	if (!mh_skip_cfws(s))
		return false;
	start = s->p;
	if (*s->p == '"') {
		if (!mh_scan_quoted(s, out))
			return false;
		if (*s->p == '@') {		/* it was the local part */
			s->p++;
			if (!ar_domain_name(s))
				return false;
			mh_ob_raw(out, start, s->p);
		}
	} else if (*s->p == '@') {
		s->p++;
		if (!ar_domain_name(s))
			return false;
		mh_ob_raw(out, start, s->p);
	} else {
		for (run = s->p; mh_is_atext((unsigned char)*s->p) || *s->p == '.'; s->p++)
			;
		if (*s->p == '@') {
			if (!dot_atom_ok(run, s->p))
				return mh_fail_at(s, run, "invalid local part");
			s->p++;
			if (!ar_domain_name(s))
				return false;
		} else if (!token_ok(run, s->p)) {
			const char *end = s->p;

			s->p = run;		/* U-labels are not token characters */
			if (!ar_domain_name(s) || s->p != end)
				return mh_fail_at(s, run, "invalid property value");
		}
		mh_ob_raw(out, start, s->p);
	}
	return mh_skip_cfws(s);
}

/* ar_props - [CFWS reasonspec] [CFWS 1*propspec] after a result, up to ';' or the end;
 * the properties practices use into R (may be NULL) */
static bool ar_props(struct scan *s, struct pw_ar_resinfo *r)
{
	bool reason_ok = true, need_sep = true;
	bool have_mailfrom = false, have_helo = false, have_from = false;

	for (;;) {
		const char *before = s->p, *ptype, *prop;
		size_t plen, qlen;
		struct obuf ob, *out = NULL;

		if (!mh_skip_cfws(s))
			return false;
		if (*s->p == ';' || *s->p == '\0')
			return true;
		if (need_sep && s->p == before)
			return mh_fail(s, "expected white space");
		if (!ar_keyword(s, &ptype, &plen) || !mh_skip_cfws(s))
			return false;
		if (*s->p == '=' && reason_ok && mh_span_ieq(ptype, plen, "reason")) {
			s->p++;
			if (!mh_skip_cfws(s) || !ar_value(s, NULL))
				return false;
			reason_ok = false;
			continue;		/* need_sep stays: CFWS before the propspecs */
		}
		if (*s->p != '.')
			return mh_fail(s, "expected '.' after the property type");
		s->p++;
		if (!mh_skip_cfws(s) || !ar_keyword(s, &prop, &qlen) || !mh_skip_cfws(s))
			return false;
		if (*s->p != '=')
			return mh_fail(s, "expected '=' after the property");
		s->p++;
		if (r != NULL && mh_span_ieq(ptype, plen, "smtp") && mh_span_ieq(prop, qlen, "mailfrom") &&
		    !have_mailfrom) {
			mh_ob_init(&ob, r->mailfrom, sizeof(r->mailfrom));
			out = &ob;
			have_mailfrom = true;
		} else if (r != NULL && mh_span_ieq(ptype, plen, "smtp") &&
			   mh_span_ieq(prop, qlen, "helo") && !have_helo) {
			mh_ob_init(&ob, r->helo, sizeof(r->helo));
			out = &ob;
			have_helo = true;
		} else if (r != NULL && mh_span_ieq(ptype, plen, "header") &&
			   mh_span_ieq(prop, qlen, "from") && !have_from) {
			mh_ob_init(&ob, r->header_from, sizeof(r->header_from));
			out = &ob;
			have_from = true;
		}
		if (!ar_pvalue(s, out))
			return false;
		if (out != NULL && out->over)
			out->p[0] = '\0';	/* too long: dropped, never truncated */
		reason_ok = need_sep = false;
	}
}

/* ar_resinfo - methodspec and properties after ';' (s->p at the method) into R (may be
 * NULL) */
static bool ar_resinfo(struct scan *s, const char *k, size_t klen, struct pw_ar_resinfo *r)
{
	const char *res;
	size_t rlen;

	if (klen >= sizeof(r->method))
		return mh_fail_at(s, k, "method name too long");
	if (*s->p == '/') {
		s->p++;
		if (!mh_skip_cfws(s))
			return false;
		if (!mh_is_digit((unsigned char)*s->p))
			return mh_fail(s, "expected a method version");
		while (mh_is_digit((unsigned char)*s->p))
			s->p++;
		if (!mh_skip_cfws(s))
			return false;
	}
	if (*s->p != '=')
		return mh_fail(s, "expected '=' after the method");
	s->p++;
	if (!mh_skip_cfws(s) || !ar_keyword(s, &res, &rlen))
		return false;
	if (rlen >= sizeof(r->result))
		return mh_fail_at(s, res, "result too long");
	if (r != NULL) {
		ar_copy_keyword(k, klen, r->method);
		ar_copy_keyword(res, rlen, r->result);
	}
	return ar_props(s, r);
}

/* ar_body - the whole field body; *COUNT = resinfos found */
static bool ar_body(struct scan *s, struct obuf *id, struct pw_ar_resinfo *ri, size_t max,
		    int *count)
{
	const char *before;

	*count = 0;
	if (!mh_skip_cfws(s))
		return false;
	if (*s->p == ';' || *s->p == '\0')
		return mh_fail(s, "expected the authserv-id");
	if (!ar_value(s, id))
		return false;
	if (id->over)
		return mh_fail(s, "authserv-id too long");
	before = s->p;
	if (!mh_skip_cfws(s))
		return false;
	if (mh_is_digit((unsigned char)*s->p) && s->p != before) {		/* authres-version */
		while (mh_is_digit((unsigned char)*s->p))
			s->p++;
		if (!mh_skip_cfws(s))
			return false;
	}
	if (*s->p != ';')
		return mh_fail(s, "expected ';' after the authserv-id");
	while (*s->p == ';') {
		const char *k;
		size_t klen;
		struct pw_ar_resinfo *r = NULL;

		s->p++;
		if (!mh_skip_cfws(s) || !ar_keyword(s, &k, &klen) || !mh_skip_cfws(s))
			return false;
		if (*s->p != '=' && *s->p != '/' && mh_span_ieq(k, klen, "none")) {
			if (*count > 0 || *s->p != '\0')
				return mh_fail_at(s, k, "'none' must be the only result");
			return true;		/* no-result */
		}
		if ((size_t)*count < max) {
			r = &ri[*count];
			memset(r, 0, sizeof(*r));
		}
		if (!ar_resinfo(s, k, klen, r))
			return false;
		if (*count < INT_MAX)
			(*count)++;
	}
	if (*s->p != '\0')
		return mh_fail(s, "expected ';' or the end of the field");
	return true;
}

/* pw_ar_parse - the authserv-id of an Authentication-Results body into AUTHSERV (as given)
 * and its first MAX resinfo entries into RI; returns how many resinfos were found (may be
 * more than MAX; "none" gives 0), or -1 on a syntax error */
int pw_ar_parse(const char *value, char *authserv, size_t alen, struct pw_ar_resinfo *ri,
		size_t max)
{
	struct scan s;
	struct obuf id;
	int count = 0;

	if (ri == NULL)
		max = 0;
	if (authserv != NULL && alen > 0)
		authserv[0] = '\0';
	if (value == NULL || authserv == NULL || alen == 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.base = s.p = value;
	mh_ob_init(&id, authserv, alen);
	if (ar_body(&s, &id, ri, max, &count))
		return count;
	authserv[0] = '\0';
	for (size_t i = 0; i < max && i <= (size_t)count; i++)
		memset(&ri[i], 0, sizeof(ri[i]));
	return -1;
}

/* pw_ar_domain - the domain of a property value ("user@dom", "<user@dom>" or bare "dom")
 * into OUT, lower case, trailing dot removed; its length, or 0 (OUT "") when there is none
 * or it does not fit */
size_t pw_ar_domain(const char *value, char *out, size_t len)
{
	const char *p, *e, *at = NULL, *dom;
	bool quoted = false;
	size_t n;

	if (out != NULL && len > 0)
		out[0] = '\0';
	if (value == NULL || out == NULL || len == 0)
		return 0;
	p = value;
	e = p + strlen(p);
	while (p < e && (mh_is_wsp((unsigned char)*p) || *p == '\r' || *p == '\n'))
		p++;
	while (e > p && (mh_is_wsp((unsigned char)e[-1]) || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if (p < e && *p == '<') {
		if (e - p < 2 || e[-1] != '>')
			return 0;
		p++;
		e--;
	}
	for (const char *q = p; q < e; q++) {
		if (*q == '\\' && q + 1 < e)
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (*q == '@' && !quoted)
			at = q;
	}
	dom = at != NULL ? at + 1 : p;
	n = (size_t)(e - dom);
	if (n > 0 && dom[n - 1] == '.')
		n--;
	if (n == 0 || n > DOMAIN_MAX || n >= len || dom[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dom[i];

		if (c == '.' ? dom[i + 1] == '.' : !mh_is_atext(c))
			return 0;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = mh_lower(dom[i]);
	out[n] = '\0';
	return n;
}
