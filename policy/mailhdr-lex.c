/*
 * policy/mailhdr-lex.c - the lexical layer the header field parsers share: character
 * classes, bounded output into the caller's buffers, and the scanner for folding white
 * space, comments and quoted strings.
 *
 * DESCRIPTION
 *	Contract: mailhdr-int.h, internal to policy/mailhdr*.c (mailhdr.c parses From,
 *	mailhdr-ar.c Authentication-Results; the public contract is mailhdr.h).  The scanner
 *	keeps the first syntax error and its offset in struct scan; nothing is allocated,
 *	comment nesting is a counter (not recursion).  Pure C, no I/O.
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
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "mailhdr.h"
#include "mailhdr-int.h"

#include <stdbool.h>
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
