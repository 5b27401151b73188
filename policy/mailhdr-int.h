/*
 * policy/mailhdr-int.h - what the parts of the header field parser share: the character
 * classes, the bounded output buffer and the scanner with its CFWS and quoted-string rules.
 *
 * Internal to policy/mailhdr*.c; nothing else includes it.  The public contract is mailhdr.h,
 * the lexical rules are described at the top of mailhdr-lex.c.  A scanning function that
 * meets a syntax error notes it with mh_fail_at (the first one noted is kept) and returns
 * false; callers pass the false up at once: "if (!mh_skip_cfws(s)) return false;".
 */
#ifndef POSTWARD_POLICY_MAILHDR_INT_H
#define POSTWARD_POLICY_MAILHDR_INT_H

#include <stdbool.h>
#include <stddef.h>

#define DOMAIN_MAX 253		/* octets in a domain name, trailing dot not counted */

/* ---- character classes (ASCII, locale-independent; octets >= 0x80 per RFC 6532) ---------- */

/* mh_is_wsp - SP or HTAB */
bool mh_is_wsp(unsigned char c);
/* mh_is_alpha - ASCII letter */
bool mh_is_alpha(unsigned char c);
/* mh_is_digit - ASCII digit */
bool mh_is_digit(unsigned char c);
/* mh_is_atext - RFC 5322 atext, UTF-8 octets included */
bool mh_is_atext(unsigned char c);
/* mh_is_dtext - dtext / obs-dtext (without its quoted-pair), UTF-8 octets included */
bool mh_is_dtext(unsigned char c);
/* mh_is_token - RFC 2045 token character: printable ASCII but tspecials */
bool mh_is_token(unsigned char c);
/* mh_is_ldh - letter, digit or hyphen */
bool mh_is_ldh(unsigned char c);
/* mh_lower - ASCII lower case; other octets unchanged */
char mh_lower(char c);
/* mh_span_ieq - the span S/N equals WORD without regard to ASCII case */
bool mh_span_ieq(const char *s, size_t n, const char *word);

/* ---- bounded output ------------------------------------------------------------------------ */

struct obuf {
	char *p;		/* NULL: discard */
	size_t len;		/* size of p, NUL included */
	size_t n;		/* octets stored */
	bool over;		/* something did not fit */
};

/* mh_ob_init - start an output buffer (P may be NULL to discard); P is "" afterwards */
void mh_ob_init(struct obuf *b, char *p, size_t len);
/* mh_ob_put - append one octet, keeping the buffer terminated; remembers overflow */
void mh_ob_put(struct obuf *b, char c);
/* mh_ob_raw - restart B with the octets from S to E, line breaks of folding left out */
void mh_ob_raw(struct obuf *b, const char *s, const char *e);

/* ---- scanner: the shared lexical layer ------------------------------------------------------ */

struct scan {
	const char *base;	/* the field body, for offsets */
	const char *p;		/* next octet */
	const char *err;	/* first syntax error, NULL while none */
	size_t erroff;		/* its offset from base */
};

/* mh_fail_at - note the first syntax error WHAT at AT; false, for "return mh_fail_at(...)" */
bool mh_fail_at(struct scan *s, const char *at, const char *what);
/* mh_fail - a syntax error at the current octet */
bool mh_fail(struct scan *s, const char *what);
/* mh_skip_fws - past folding white space; false on a line break that does not fold or a
 * bare CR (a break at the very end of the value is the field's terminator) */
bool mh_skip_fws(struct scan *s);
/* mh_skip_cfws - past any comments and folding white space */
bool mh_skip_cfws(struct scan *s);
/* mh_scan_quoted - past a quoted-string at s->p ('"'); its content (folding removed,
 * quoted-pairs resolved) into OUT when it is not NULL */
bool mh_scan_quoted(struct scan *s, struct obuf *out);

#endif
