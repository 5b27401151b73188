/*
 * policy/mailhdr-ar.c - the Authentication-Results field bodies sender practices read
 * (RFC 8601): the authserv-id, the methods and results, the properties practices use.
 *
 * NAME
 *	pw_ar_parse, pw_ar_domain
 *
 * SYNOPSIS
 *	#include "mailhdr.h"
 *
 *	int pw_ar_parse(const char *value, char *authserv, size_t alen,
 *			struct pw_ar_resinfo *ri, size_t max);
 *	size_t pw_ar_domain(const char *value, char *out, size_t len);
 *
 * DESCRIPTION
 *	Contract: mailhdr.h.  Recursive descent over the NUL-terminated field body on the
 *	lexical layer of mailhdr-lex.c (declared in mailhdr-int.h), as the From parser in
 *	mailhdr.c: linear work, bounded stack, nothing allocated, every copy into a caller's
 *	buffer bounded by its size.  Pure C, no I/O.
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
 *	pw_ar_parse: -1 only; pw_ar_domain: 0 only.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "mailhdr.h"
#include "mailhdr-int.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

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
