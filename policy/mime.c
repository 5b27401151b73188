/*
 * policy/mime.c - lines, header sections, Content-Type, Content-Transfer-Encoding, multipart
 * bodies and transfer decodings, for list posts and bounce reports alike.
 *
 * NAME
 *	mime - the MIME reading shared by listpost and dsn
 *
 * SYNOPSIS
 *	#include "mime.h"
 *
 *	enum mime_status mime_hdr_scan(p, avail, max, top, where, &h, why, whylen);
 *	bool mime_field_next(&cur, end, &field);
 *	char *mime_hdr_unfold(&field, &len);
 *	bool mime_ct_parse(v, &ct, why, whylen);
 *	bool mime_cte_parse(v, &cte);
 *	enum mime_status mime_mp_split(body, boundary, budget, limit, where, parts, &n, why,
 *				       whylen);
 *	enum mime_status mime_decode(p, n, cte, where, &out, &outlen, why, whylen);
 *
 * DESCRIPTION
 *	The contract is mime.h; what is accepted, and why, is the Reading and Multipart
 *	paragraphs of milter/lists/listpost.c, whose code this was.  Pure computation on
 *	caller buffers, no global state: thread-safe.
 */
#include "mime.h"
#include "b64.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum mime_status bad(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* bad - the reason FMT... into WHY; MIME_BAD */
static enum mime_status bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return MIME_BAD;
}

/* ---- lines and header sections ----------------------------------------------------------- */

/* mime_lower - ASCII lower case, whatever the locale */
int mime_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* mime_blank - space or tab */
bool mime_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* mime_span_ieq - whether the N octets at P are S without regard to ASCII case */
bool mime_span_ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || mime_lower((unsigned char)p[i]) != mime_lower((unsigned char)s[i]))
			return false;
	return s[i] == '\0';
}

/* mime_span_iprefix - whether the N octets at P begin with S without regard to ASCII case */
bool mime_span_iprefix(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && mime_span_ieq(p, k, s);
}

/* mime_line_next - the line at P before END: *CEND gets the end of its text (its CRLF or LF
 * left out); returns where the next line begins (END after the last one) */
const char *mime_line_next(const char *p, const char *end, const char **cend)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL) {
		*cend = end;
		return end;
	}
	*cend = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	return nl + 1;
}

/* mime_line_trim - the end of the text [P, END) without trailing blanks */
const char *mime_line_trim(const char *p, const char *end)
{
	while (end > p && mime_blank((unsigned char)end[-1]))
		end--;
	return end;
}

/* mime_hdr_name - the length of the field name opening the line [P, END), 0 if it is no field */
size_t mime_hdr_name(const char *p, const char *end)
{
	const char *q = p;
	size_t n;

	while (q < end && (unsigned char)*q > ' ' && (unsigned char)*q < 0x7f && *q != ':')
		q++;
	n = (size_t)(q - p);
	while (q < end && mime_blank((unsigned char)*q))
		q++;
	return n > 0 && q < end && *q == ':' ? n : 0;
}

/* mime_hdr_scan - check the header section at P (AVAIL octets): fields and continuation
 * lines up to an empty line, within MAX octets; TOP: the empty line must be there, else the
 * section may run to the end; WHERE names the entity in reasons */
enum mime_status mime_hdr_scan(const char *p, size_t avail, size_t max, bool top,
			       const char *where, struct mime_hdrsec *h, char *why, size_t whylen)
{
	size_t lim = avail < max ? avail : max, lineno = 0;
	const char *end = p + lim, *cur = p;

	h->p = p;
	while (cur < end) {
		const char *nl = memchr(cur, '\n', (size_t)(end - cur)), *cend, *next;
		if (nl == NULL) {
			if (avail > lim)
				break;
			cend = next = end;
		} else {
			cend = nl > cur && nl[-1] == '\r' ? nl - 1 : nl;
			next = nl + 1;
		}
		lineno++;
		if (cend == cur) {
			h->fields = (size_t)(cur - p);
			h->len = (size_t)(next - p);
			return MIME_OK;
		}
		if (mime_blank((unsigned char)*cur)) {
			if (lineno == 1)
				return bad(why, whylen, "%s: header begins with a continuation line",
					      where);
		} else if (mime_hdr_name(cur, cend) == 0) {
			return bad(why, whylen, "%s: header line %zu is neither a field nor a "
				      "continuation", where, lineno);
		}
		cur = next;
	}
	if (avail > lim)
		return bad(why, whylen, "%s: header longer than %u octets", where,
			      (unsigned)max);
	if (top)
		return bad(why, whylen, "%s: header without end (no empty line)", where);
	h->fields = h->len = avail;
	return MIME_OK;
}

/* mime_field_next - the field at *CUR of a section ending at END; false at the end */
bool mime_field_next(const char **cur, const char *end, struct mime_field *f)
{
	const char *cend, *next;

	if (*cur >= end)
		return false;
	f->start = f->name = *cur;
	next = mime_line_next(*cur, end, &cend);
	f->namelen = mime_hdr_name(*cur, cend);
	f->val = f->namelen > 0 ? (const char *)memchr(*cur, ':', (size_t)(cend - *cur)) + 1 : cend;
	f->vend = cend;
	while (next < end && mime_blank((unsigned char)*next)) {
		next = mime_line_next(next, end, &cend);
		f->vend = cend;
	}
	f->next = *cur = next;
	return true;
}

/* mime_hdr_unfold - F's value without its line ends and outer blanks, NUL-terminated (malloc'd),
 * *LEN its length (a NUL inside makes strlen() shorter); NULL for lack of memory */
char *mime_hdr_unfold(const struct mime_field *f, size_t *len)
{
	size_t n = (size_t)(f->vend - f->val), k = 0, i = 0;
	char *v = malloc(n + 1);

	if (v == NULL)
		return NULL;
	for (const char *s = f->val; s < f->vend; s++) {
		if (*s == '\n' || (*s == '\r' && s + 1 < f->vend && s[1] == '\n'))
			continue;
		v[k++] = *s;
	}
	while (k > 0 && mime_blank((unsigned char)v[k - 1]))
		k--;
	while (i < k && mime_blank((unsigned char)v[i]))
		i++;
	memmove(v, v + i, k - i);
	v[k - i] = '\0';
	*len = k - i;
	return v;
}

/* mime_mp_split - the body parts of the multipart body B delimited by BND into PARTS, at
 * most BUDGET of them (more is MIME_BAD, LIMIT named in the reason); WHERE names the
 * multipart in reasons */
enum mime_status mime_mp_split(struct mime_span b, const char *bnd, size_t budget,
			       unsigned limit, const char *where, struct mime_span *parts,
			       size_t *nparts, char *why, size_t whylen)
{
	const char *end = b.p + b.n, *cur, *cend, *next, *pstart = NULL;
	size_t blen = strlen(bnd), np = 0;

	for (cur = b.p; cur < end; cur = next) {
		const char *q;
		bool close = false;
		next = mime_line_next(cur, end, &cend);
		if ((size_t)(cend - cur) < blen + 2 || cur[0] != '-' || cur[1] != '-' ||
		    memcmp(cur + 2, bnd, blen) != 0)
			continue;
		q = cur + 2 + blen;
		if (cend - q >= 2 && q[0] == '-' && q[1] == '-') {
			close = true;
			q += 2;
		}
		if (mime_line_trim(q, cend) != q)
			return bad(why, whylen, "%s: a line begins with the boundary but is no "
				      "delimiter", where);
		if (pstart != NULL) {
			const char *pend = cur;
			if (pend > pstart && pend[-1] == '\n')
				pend--;
			if (pend > pstart && pend[-1] == '\r' && pend[0] == '\n')
				pend--;
			if (np == budget)
				return bad(why, whylen, "%s: more than %u body parts in the message",
					      where, limit);
			parts[np].p = pstart;
			parts[np++].n = (size_t)(pend - pstart);
		} else if (close) {
			return bad(why, whylen, "%s: closing boundary before any part", where);
		}
		if (close) {
			*nparts = np;
			return MIME_OK;
		}
		pstart = next;
	}
	if (pstart == NULL)
		return bad(why, whylen, "%s: boundary \"%.40s\" never found", where, bnd);
	return bad(why, whylen, "%s: no closing boundary", where);
}

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
		while (mime_blank((unsigned char)*p))
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
		buf[n++] = (char)mime_lower((unsigned char)*p++);
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

/* mime_ct_parse - the Content-Type value V into *CT; false when malformed, the reason in WHY */
bool mime_ct_parse(const char *v, struct mime_ctype *ct, char *why, size_t whylen)
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
		char attr[MIME_TOKEN_MAX + 1], *buf = NULL;
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
		} else if (strcmp(attr, "report-type") == 0) {
			buf = ct->report_type;
			size = sizeof(ct->report_type);
			seen = &ct->has_report_type;
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
		*p = (char)mime_lower((unsigned char)*p);
	for (char *p = ct->report_type; *p; p++)
		*p = (char)mime_lower((unsigned char)*p);
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

/* mime_ct_is - whether CT is TYPE/SUBTYPE */
bool mime_ct_is(const struct mime_ctype *ct, const char *type, const char *subtype)
{
	return strcmp(ct->type, type) == 0 && strcmp(ct->subtype, subtype) == 0;
}

/* cte_names - the names of the transfer encodings, in enum mime_cte's order */
static const char *const cte_names[] = {
	[MIME_CTE_7BIT] = "7bit", [MIME_CTE_8BIT] = "8bit", [MIME_CTE_BINARY] = "binary",
	[MIME_CTE_QP] = "quoted-printable", [MIME_CTE_BASE64] = "base64",
};

/* mime_cte_parse - the Content-Transfer-Encoding value V into *E; false if unknown */
bool mime_cte_parse(const char *v, enum mime_cte *e)
{
	char tok[MIME_TOKEN_MAX + 1];
	const char *s = v;

	if (!ct_skip(&s) || !ct_token(&s, tok, sizeof(tok)) || !ct_skip(&s) || *s != '\0')
		return false;
	for (size_t i = 0; i < sizeof(cte_names) / sizeof(cte_names[0]); i++)
		if (strcmp(tok, cte_names[i]) == 0) {
			*e = (enum mime_cte)i;
			return true;
		}
	return false;
}

/* mime_cte_name - the name of E */
const char *mime_cte_name(enum mime_cte e)
{
	return (size_t)e < sizeof(cte_names) / sizeof(cte_names[0]) ? cte_names[e] : "?";
}

/* ---- transfer encodings ----------------------------------------------------------------- */


/* b64_decode - base64 [P, P+N) into *OUT (malloc'd), white space and line ends skipped; MIME_BAD
 * for another octet, misplaced padding, data after it, or a partial quantum */
static enum mime_status b64_decode(const char *p, size_t n, const char *where, char **out,
				   size_t *outlen, char *why, size_t whylen)
{
	char *o = malloc(n / 4 * 3 + 3);
	unsigned quad[4];
	size_t q = 0, pad = 0, k = 0;
	bool done = false;

	if (o == NULL)
		return MIME_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int v;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (done) {
			free(o);
			return bad(why, whylen, "%s: bad base64: data after the padding", where);
		}
		if (c == '=') {
			if (q < 2) {
				free(o);
				return bad(why, whylen, "%s: bad base64: misplaced padding", where);
			}
			pad++;
			quad[q++] = 0;
		} else {
			if ((v = pw_b64_value(c)) < 0 || pad > 0) {
				free(o);
				if (pad > 0)
					return bad(why, whylen, "%s: bad base64: data after the padding",
						      where);
				return bad(why, whylen, "%s: bad base64: octet 0x%02x", where, c);
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
		return bad(why, whylen, "%s: bad base64: truncated (a partial quantum)", where);
	}
	*out = o;
	*outlen = k;
	return MIME_OK;
}

/* mime_hex_value - the value of a hex digit, -1 for another octet */
int mime_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)mime_lower(c);
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
			while (j < n && mime_blank((unsigned char)p[j]))
				j++;
			if (j < n && p[j] == '\r' && j + 1 < n && p[j + 1] == '\n')
				j++;
			if (j == n || p[j] == '\n') {
				i = j;		/* soft line break */
				continue;
			}
			if (i + 2 < n && mime_hex_value((unsigned char)p[i + 1]) >= 0 &&
			    mime_hex_value((unsigned char)p[i + 2]) >= 0) {
				o[k++] = (char)(mime_hex_value((unsigned char)p[i + 1]) << 4 |
						mime_hex_value((unsigned char)p[i + 2]));
				i += 2;
				continue;
			}
		}
		o[k++] = p[i];
	}
	*outlen = k;
	return o;
}


/* mime_decode - the N octets at P with the transfer encoding CTE undone into *OUT */
enum mime_status mime_decode(const char *p, size_t n, enum mime_cte cte, const char *where,
			     char **out, size_t *outlen, char *why, size_t whylen)
{
	*out = NULL;
	*outlen = n;
	if (cte == MIME_CTE_QP)
		return (*out = qp_decode(p, n, outlen)) == NULL ? MIME_NOMEM : MIME_OK;
	if (cte == MIME_CTE_BASE64)
		return b64_decode(p, n, where, out, outlen, why, whylen);
	return MIME_OK;
}

/* bchar - an RFC 2046 bcharsnospace octet */
static bool bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("'()+_,-./:=?", c) != NULL);
}

/* mime_pgpmime - see mime.h */
enum mime_status mime_pgpmime(const char *bnd, const char *armor, size_t alen, char **out,
			      size_t *outlen)
{
	static const char *const parts[] = {
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
		" boundary=\"", "\"\r\n\r\n"
		"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--", "\r\n"
		"Content-Type: application/pgp-encrypted\r\n"
		"Content-Description: PGP/MIME version identification\r\n"
		"\r\nVersion: 1\r\n\r\n--", "\r\n"
		"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
		"Content-Description: OpenPGP encrypted message\r\n"
		"Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n" };
	size_t blen = bnd != NULL ? strlen(bnd) : 0, cap, k = 0;
	char *o;

	*out = NULL;
	*outlen = 0;
	if (blen == 0 || blen > 70 || (armor == NULL && alen > 0))
		return MIME_BAD;
	for (size_t i = 0; i < blen; i++)
		if (!bchar(bnd[i]))
			return MIME_BAD;
	if (alen > (SIZE_MAX - 1024) / 2)
		return MIME_NOMEM;
	cap = 600 + 4 * blen + 2 * alen;	/* the fixed text, the boundaries, CRLF for each octet */
	if ((o = malloc(cap)) == NULL)
		return MIME_NOMEM;
	for (size_t i = 0; i < 4; i++) {
		memcpy(o + k, parts[i], strlen(parts[i]));
		k += strlen(parts[i]);
		if (i < 3) {
			memcpy(o + k, bnd, blen);
			k += blen;
		}
	}
	for (size_t i = 0; i < alen; i++) {
		if (armor[i] == '\r' || armor[i] == '\n') {
			o[k++] = '\r';
			o[k++] = '\n';
			if (armor[i] == '\r' && i + 1 < alen && armor[i + 1] == '\n')
				i++;
			continue;
		}
		o[k++] = armor[i];
	}
	if (k < 2 || o[k - 2] != '\r' || o[k - 1] != '\n') {
		o[k++] = '\r';
		o[k++] = '\n';
	}
	memcpy(o + k, "\r\n--", 4);
	k += 4;
	memcpy(o + k, bnd, blen);
	k += blen;
	memcpy(o + k, "--\r\n", 5);
	k += 4;
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return MIME_OK;
}
