/*
 * policy/mailhdr.c - the From field body sender practices read: the author's mailboxes and
 * the domain of the first.
 *
 * NAME
 *	pw_from_parse, pw_from_mailbox
 *
 * SYNOPSIS
 *	#include "mailhdr.h"
 *
 *	enum pw_from_status pw_from_parse(const char *value, size_t *n, char *domain,
 *					  size_t dlen, char *why, size_t wlen);
 *	enum pw_from_status pw_from_mailbox(const char *value, size_t *n,
 *					    struct pw_from_mailbox *mb, char *why, size_t wlen);
 *
 * DESCRIPTION
 *	Contract: mailhdr.h.  The header field parsers are three files joined by the
 *	internal header mailhdr-int.h: this one (From), mailhdr-ar.c (Authentication-Results)
 *	and mailhdr-lex.c (the lexical layer both share, and its rules).  Both parsers are
 *	recursive descent over the NUL-terminated field body with one octet of look-ahead:
 *	every octet is looked at a bounded number of times, comment nesting is a counter (not
 *	recursion), groups cannot nest, so work is linear and the stack is bounded.  Nothing
 *	is allocated; every copy into a caller's buffer is bounded by its size.  Pure C, no
 *	I/O (snprintf formats the reasons).
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
 *	- pw_from_mailbox runs the same parser; while it reads the first mailbox it notes where
 *	  its display name and local part lie and rebuilds them from the checked text (a
 *	  second, bounded pass over those octets only): the phrase with single spaces between
 *	  words, the local part without CFWS.  A name longer than PW_FROM_NAME_MAX is dropped
 *	  (""), an address that does not fit PW_FROM_ADDR_MAX makes all three "".  Used where
 *	  a copy is written in the author's stead (milter/lists/listpost-copy.c).
 *
 * DIAGNOSTICS
 *	pw_from_parse: WHY gets "WHAT at offset N" for PW_FROM_SYNTAX (N counts octets from
 *	the start of VALUE), "mailbox K: WHAT" for PW_FROM_NODOMAIN, "" for PW_FROM_OK;
 *	truncated to WLEN.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "mailhdr.h"
#include "mailhdr-int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- From ----------------------------------------------------------------------------------- */

struct from_state {
	struct scan s;
	size_t n;		/* mailboxes so far */
	char *domain;		/* caller's buffer for the first mailbox's domain */
	size_t dlen;
	const char *nodom;	/* first reason a mailbox has no usable domain */
	size_t nodom_mbox;	/* which mailbox (1-based) */
	struct pw_from_mailbox *mb;	/* the first mailbox's name and address, or NULL */
	struct obuf local;	/* its local part, into mb->addr */
	const char *dom_end;	/* where the last domain read ended (before CFWS) */
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

/* ---- the first mailbox's display name and address (pw_from_mailbox) ------------------------ */

/* rescan - a scanner at P over the field body of ST (text already checked by the parser) */
static struct scan rescan(const struct from_state *st, const char *p)
{
	struct scan sub = { .base = st->s.base, .p = p, .err = NULL, .erroff = 0 };
	return sub;
}

/* phrase_text - the words in [P, END) (checked) into OUT: one space where CFWS separated two,
 * quoted strings unquoted, comments dropped */
static void phrase_text(const struct from_state *st, const char *p, const char *end,
			struct obuf *out)
{
	struct scan sub = rescan(st, p);
	bool gap = false;

	while (sub.p < end) {
		const char *before = sub.p;
		unsigned char c;

		if (!mh_skip_cfws(&sub))
			break;
		gap |= sub.p != before;
		if (sub.p >= end)
			break;
		c = (unsigned char)*sub.p;
		if (gap && out->n > 0)
			mh_ob_put(out, ' ');
		gap = false;
		if (c == '"') {
			if (!mh_scan_quoted(&sub, out))
				break;
		} else if (mh_is_atext(c)) {
			for (; mh_is_atext((unsigned char)*sub.p); sub.p++)
				mh_ob_put(out, *sub.p);
		} else if (c == '.') {
			mh_ob_put(out, '.');
			sub.p++;
		} else {
			break;
		}
	}
}

/* local_text - the local part in [P, END) (checked) into OUT without CFWS, quoted strings
 * as written (folding removed) */
static void local_text(const struct from_state *st, const char *p, const char *end,
		       struct obuf *out)
{
	struct scan sub = rescan(st, p);

	mh_ob_init(out, out->p, out->len);
	while (sub.p < end) {
		const char *q;
		unsigned char c;

		if (!mh_skip_cfws(&sub) || sub.p >= end)
			break;
		c = (unsigned char)*sub.p;
		q = sub.p;
		if (c == '"') {
			if (!mh_scan_quoted(&sub, NULL))
				break;
			for (; q < sub.p; q++)
				if (*q != '\r' && *q != '\n')
					mh_ob_put(out, *q);
		} else if (mh_is_atext(c) || c == '.') {
			for (sub.p++; c != '.' && mh_is_atext((unsigned char)*sub.p); sub.p++)
				;
			for (; q < sub.p; q++)
				mh_ob_put(out, *q);
		} else {
			break;
		}
	}
}

/* comment_text - the text of the first comment in the CFWS [P, END) into OUT (folding made one
 * space, quoted-pairs resolved, nested parentheses kept), for "addr (Name)" */
static void comment_text(const char *p, const char *end, struct obuf *out)
{
	unsigned depth = 0;
	bool space = false;

	for (; p < end && *p != '('; p++)
		;
	for (; p < end; p++) {
		char c = *p;

		if (c == '(' && depth++ == 0)
			continue;
		if (c == ')' && --depth == 0)
			break;
		if (c == '\\' && p + 1 < end)
			c = *++p;
		else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = out->n > 0;
			continue;
		}
		if (space)
			mh_ob_put(out, ' ');
		space = false;
		mh_ob_put(out, c);
	}
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
		st->dom_end = s->p;
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
	const char *w0;
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
	w0 = s->p;
	if (!from_words(st, &w))
		return false;
	if (*s->p == '@') {
		if (w.words + w.dots == 0)
			return mh_fail(s, "missing local part");
		if (!w.local_ok)
			return mh_fail(s, "invalid local part");
		if (st->n == 1 && st->mb != NULL)
			local_text(st, w0, s->p, &st->local);
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
	const char *w0 = s->p;
	struct words w;
	struct obuf name;

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
		if (st->n == 1 && st->mb != NULL) {
			local_text(st, w0, s->p - 1, &st->local);
			st->dom_end = s->p;
			if (!from_domain(st, true))
				return false;
			mh_ob_init(&name, st->mb->name, sizeof(st->mb->name));
			comment_text(st->dom_end, s->p, &name);	/* "addr (Name)" */
			if (name.over)
				st->mb->name[0] = '\0';
			return true;
		}
		return from_domain(st, true);
	case '<':
		if (w.words + w.dots > 0 && !w.phrase_ok)
			return mh_fail(s, "display name starts with '.'");
		if (st->n == 0 && st->mb != NULL) {
			mh_ob_init(&name, st->mb->name, sizeof(st->mb->name));
			phrase_text(st, w0, s->p, &name);
			if (name.over)
				st->mb->name[0] = '\0';
		}
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

/* from_run - pw_from_parse, and the first mailbox's name and address into MB when not NULL */
static enum pw_from_status from_run(const char *value, size_t *n, char *domain, size_t dlen,
				    char *why, size_t wlen, struct pw_from_mailbox *mb)
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
	if (mb != NULL) {
		memset(mb, 0, sizeof(*mb));
		st.mb = mb;
		mh_ob_init(&st.local, mb->addr, sizeof(mb->addr));
	}
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

/* pw_from_parse - parse a From field body; *N = mailboxes found, DOMAIN = the first one's
 * domain ("" when none); WHY (may be NULL) gets a short reason on error */
enum pw_from_status pw_from_parse(const char *value, size_t *n, char *domain, size_t dlen,
				  char *why, size_t wlen)
{
	return from_run(value, n, domain, dlen, why, wlen, NULL);
}

/* pw_from_mailbox - pw_from_parse, and the first mailbox's display name, address and domain
 * into *MB (all "" unless PW_FROM_OK with a mailbox) */
enum pw_from_status pw_from_mailbox(const char *value, size_t *n, struct pw_from_mailbox *mb,
				    char *why, size_t wlen)
{
	struct pw_from_mailbox scratch;
	size_t nbox = 0;
	enum pw_from_status st;

	if (mb == NULL)
		mb = &scratch;
	st = from_run(value, &nbox, mb->domain, sizeof(mb->domain), why, wlen, mb);
	if (n != NULL)
		*n = nbox;
	if (st == PW_FROM_OK && nbox > 0 && mb->domain[0] != '\0' && mb->addr[0] != '\0' &&
	    strlen(mb->addr) + 1 + strlen(mb->domain) < sizeof(mb->addr)) {
		strcat(mb->addr, "@");
		strcat(mb->addr, mb->domain);
	} else {
		mb->name[0] = mb->addr[0] = mb->domain[0] = '\0';
	}
	return st;
}
