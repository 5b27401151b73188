/*
 * milter/lists/listpost-mime.c - the MIME side of encrypted list posts, the field values and
 * the bodies: parse a Content-Type (RFC 2045 5.1) and a Content-Transfer-Encoding (RFC 2045
 * 6), and undo a body's quoted-printable or base64 transfer encoding.  listpost.c reads the
 * header sections and classifies the post with these.
 *
 * NAME
 *	listpost_mime - Content-Type, Content-Transfer-Encoding and body decoding for listpost
 *
 * SYNOPSIS
 *	#include "listpost-int.h"
 *
 *	bool lp_ct_parse(v, &ct, why, whylen);
 *	bool lp_ct_is(&ct, type, subtype);
 *	bool lp_cte_parse(v, &cte);
 *	const char *lp_cte_name(cte);
 *	enum lp_status lp_body_decode(&entity, where, &decoded, out);
 *
 * DESCRIPTION
 *	What is accepted, and why, is the Reading paragraph (and, for base64, the S/MIME kind)
 *	of listpost.c's opening comment; the public contract is listpost.h.  Pure computation
 *	on caller buffers, no global state: thread-safe.  lp_body_decode() allocates the
 *	decoded body of quoted-printable and base64 (D->owned, the caller frees it).
 */
#include "listpost.h"
#include "listpost-int.h"
#include "b64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Content-Type and Content-Transfer-Encoding ------------------------------------------ */

/* ct_tokenc - an RFC 2045 token octet */
static bool ct_tokenc(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* ct_skip - skip blanks and (nested) comments at *S; false for an unclosed comment */
static bool ct_skip(const char **s)
{
	const char *p = *s;

	for (;;) {
		size_t depth = 0;
		while (lp_blank((unsigned char)*p))
			p++;
		if (*p != '(')
			break;
		do {
			if (*p == '\0')
				return false;
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (depth > 0);
	}
	*s = p;
	return true;
}

/* ct_token - the token at *S, lower-cased, into BUF (SIZE); false if none or too long */
static bool ct_token(const char **s, char *buf, size_t size)
{
	const char *p = *s;
	size_t n = 0;

	while (ct_tokenc((unsigned char)*p)) {
		if (n + 1 >= size)
			return false;
		buf[n++] = (char)lp_lower((unsigned char)*p++);
	}
	if (n == 0)
		return false;
	buf[n] = '\0';
	*s = p;
	return true;
}

/* ct_value - the parameter value at *S (a quoted-string, or a run of printable octets but
 * ';', '"' and '(') into BUF (SIZE; NULL to skip it): 0, -1 if malformed, -2 if too long */
static int ct_value(const char **s, char *buf, size_t size)
{
	const char *p = *s;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			if (*p == '\0')
				return -1;
			if (buf != NULL) {
				if (n + 1 >= size)
					return -2;
				buf[n++] = *p;
			}
		}
		p++;
	} else {
		while ((unsigned char)*p > ' ' && *p != 0x7f && *p != ';' && *p != '"' &&
		       *p != '(') {
			if (buf != NULL) {
				if (n + 1 >= size)
					return -2;
				buf[n++] = *p;
			}
			p++;
		}
		if (p == *s)
			return -1;
	}
	if (buf != NULL)
		buf[n] = '\0';
	*s = p;
	return 0;
}

/* lp_ct_parse - the Content-Type value V into *CT; false when malformed, the reason in WHY */
bool lp_ct_parse(const char *v, struct ctype *ct, char *why, size_t whylen)
{
	const char *s = v;

	memset(ct, 0, sizeof(*ct));
	ct->present = true;
	if (!ct_skip(&s) || !ct_token(&s, ct->type, sizeof(ct->type)) || !ct_skip(&s) ||
	    *s++ != '/' || !ct_skip(&s) || !ct_token(&s, ct->subtype, sizeof(ct->subtype))) {
		snprintf(why, whylen, "no type/subtype");
		return false;
	}
	for (;;) {
		char attr[LP_TOKEN_MAX + 1], *buf = NULL;
		size_t size = 0;
		bool *seen = NULL;
		int r;

		if (!ct_skip(&s)) {
			snprintf(why, whylen, "unclosed comment");
			return false;
		}
		if (*s == '\0')
			break;
		if (*s++ != ';') {
			snprintf(why, whylen, "'%c' where ';' was expected", s[-1]);
			return false;
		}
		if (!ct_skip(&s)) {
			snprintf(why, whylen, "unclosed comment");
			return false;
		}
		if (*s == '\0' || *s == ';')
			continue;		/* a trailing or doubled ';' */
		if (!ct_token(&s, attr, sizeof(attr)) || !ct_skip(&s) || *s++ != '=' ||
		    !ct_skip(&s)) {
			snprintf(why, whylen, "bad parameter");
			return false;
		}
		if (strcmp(attr, "boundary") == 0) {
			buf = ct->boundary;
			size = sizeof(ct->boundary);
			seen = &ct->has_boundary;
		} else if (strcmp(attr, "protocol") == 0) {
			buf = ct->protocol;
			size = sizeof(ct->protocol);
			seen = &ct->has_protocol;
		}
		if (seen != NULL && *seen) {
			snprintf(why, whylen, "duplicate parameter %.40s", attr);
			return false;
		}
		if ((r = ct_value(&s, buf, size)) != 0) {
			snprintf(why, whylen, r == -2 ? "parameter %.40s too long" :
				 "bad value of parameter %.40s", attr);
			return false;
		}
		if (seen != NULL)
			*seen = true;
	}
	for (char *p = ct->protocol; *p; p++)
		*p = (char)lp_lower((unsigned char)*p);
	if (ct->has_boundary) {
		size_t n = strlen(ct->boundary);
		if (n == 0) {
			snprintf(why, whylen, "empty boundary");
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)ct->boundary[i];
			if (c < ' ' || c > '~') {
				snprintf(why, whylen, "boundary with octet 0x%02x", c);
				return false;
			}
		}
		if (ct->boundary[n - 1] == ' ') {
			snprintf(why, whylen, "boundary ends in a space");
			return false;
		}
	}
	return true;
}

/* lp_ct_is - whether CT is TYPE/SUBTYPE */
bool lp_ct_is(const struct ctype *ct, const char *type, const char *subtype)
{
	return strcmp(ct->type, type) == 0 && strcmp(ct->subtype, subtype) == 0;
}

/* lp_cte_parse - the Content-Transfer-Encoding value V into *E; false if unknown */
bool lp_cte_parse(const char *v, enum lp_cte *e)
{
	static const struct {
		const char *name;
		enum lp_cte cte;
	} names[] = {
		{ "7bit", CTE_7BIT }, { "8bit", CTE_8BIT }, { "binary", CTE_BINARY },
		{ "quoted-printable", CTE_QP }, { "base64", CTE_BASE64 },
	};
	char tok[LP_TOKEN_MAX + 1];
	const char *s = v;

	if (!ct_skip(&s) || !ct_token(&s, tok, sizeof(tok)) || !ct_skip(&s) || *s != '\0')
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(tok, names[i].name) == 0) {
			*e = names[i].cte;
			return true;
		}
	return false;
}

/* lp_cte_name - the name of E */
const char *lp_cte_name(enum lp_cte e)
{
	switch (e) {
	case CTE_7BIT:
		return "7bit";
	case CTE_8BIT:
		return "8bit";
	case CTE_BINARY:
		return "binary";
	case CTE_QP:
		return "quoted-printable";
	case CTE_BASE64:
		return "base64";
	}
	return "?";
}

/* ---- transfer encodings ----------------------------------------------------------------- */


/* b64_decode - base64 [P, P+N) into *OUT (malloc'd), white space and line ends skipped; LP_BAD
 * for another octet, misplaced padding, data after it, or a partial quantum */
static enum lp_status b64_decode(const char *p, size_t n, const char *where, char **out,
				 size_t *outlen, struct listpost *lp)
{
	char *o = malloc(n / 4 * 3 + 3);
	unsigned quad[4];
	size_t q = 0, pad = 0, k = 0;
	bool done = false;

	if (o == NULL)
		return LP_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int v;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (done) {
			free(o);
			return lp_bad(lp, "%s: bad base64: data after the padding", where);
		}
		if (c == '=') {
			if (q < 2) {
				free(o);
				return lp_bad(lp, "%s: bad base64: misplaced padding", where);
			}
			pad++;
			quad[q++] = 0;
		} else {
			if ((v = pw_b64_value(c)) < 0 || pad > 0) {
				free(o);
				if (pad > 0)
					return lp_bad(lp, "%s: bad base64: data after the padding",
						      where);
				return lp_bad(lp, "%s: bad base64: octet 0x%02x", where, c);
			}
			quad[q++] = (unsigned)v;
		}
		if (q == 4) {
			unsigned long w = (unsigned long)quad[0] << 18 | quad[1] << 12 |
					  quad[2] << 6 | quad[3];
			o[k++] = (char)(w >> 16);
			if (pad < 2)
				o[k++] = (char)(w >> 8 & 0xff);
			if (pad < 1)
				o[k++] = (char)(w & 0xff);
			q = 0;
			done = pad > 0;
		}
	}
	if (q != 0) {
		free(o);
		return lp_bad(lp, "%s: bad base64: truncated (a partial quantum)", where);
	}
	*out = o;
	*outlen = k;
	return LP_OK;
}

/* lp_hex_val - the value of a hex digit, -1 for another octet */
int lp_hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lp_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* qp_decode - quoted-printable [P, P+N) into *OUT (malloc'd): soft line breaks removed, =XX
 * decoded, any other '=' kept as it is (RFC 2045 6.7 note 1) */
static char *qp_decode(const char *p, size_t n, size_t *outlen)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '=') {
			size_t j = i + 1;
			while (j < n && lp_blank((unsigned char)p[j]))
				j++;
			if (j < n && p[j] == '\r' && j + 1 < n && p[j + 1] == '\n')
				j++;
			if (j == n || p[j] == '\n') {
				i = j;		/* soft line break */
				continue;
			}
			if (i + 2 < n && lp_hex_val((unsigned char)p[i + 1]) >= 0 &&
			    lp_hex_val((unsigned char)p[i + 2]) >= 0) {
				o[k++] = (char)(lp_hex_val((unsigned char)p[i + 1]) << 4 |
						lp_hex_val((unsigned char)p[i + 2]));
				i += 2;
				continue;
			}
		}
		o[k++] = p[i];
	}
	*outlen = k;
	return o;
}

/* lp_body_decode - the body of E with its transfer encoding undone into *D */
enum lp_status lp_body_decode(const struct entity *e, const char *where, struct decoded *d,
				  struct listpost *out)
{
	enum lp_status st;

	memset(d, 0, sizeof(*d));
	d->s = e->body;
	if (e->cte == CTE_QP) {
		if ((d->owned = qp_decode(e->body.p, e->body.n, &d->s.n)) == NULL)
			return LP_NOMEM;
		d->s.p = d->owned;
	} else if (e->cte == CTE_BASE64) {
		st = b64_decode(e->body.p, e->body.n, where, &d->owned, &d->s.n, out);
		if (st != LP_OK)
			return st;
		d->s.p = d->owned;
	}
	return LP_OK;
}
