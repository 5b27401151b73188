/*
 * policy/mime.h - the MIME reading both the list posts (milter/lists/listpost*.c) and the
 * bounce reports (policy/dsn.c) rest on: lines, header sections and their fields, Content-Type
 * (RFC 2045 5.1) and Content-Transfer-Encoding (RFC 2045 6), multipart bodies (RFC 2046 5.1)
 * and the quoted-printable and base64 decoders.
 *
 * Pure functions on caller buffers: no I/O, no global state, thread-safe.  Only
 * mime_hdr_unfold() and mime_decode() allocate (the caller frees what they return).  Nothing
 * is NUL-terminated but what the functions say; every scan stays within the END or N given.
 * What is accepted, and why, is listpost.c's Reading and Multipart paragraphs; the callers
 * decide how strict to be with what these report (a post is refused, a bounce read leniently).
 * Error reasons go to the caller's WHY buffer (WHYLEN octets, always terminated), prefixed
 * with WHERE ("message", "part 2") where the caller names the entity.
 */
#ifndef POSTWARD_POLICY_MIME_H
#define POSTWARD_POLICY_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_TOKEN_MAX		127	/* type, subtype, attribute, protocol, report-type */
#define MIME_BOUNDARY_MAX	200	/* octets of a boundary */

enum mime_cte { MIME_CTE_7BIT, MIME_CTE_8BIT, MIME_CTE_BINARY, MIME_CTE_QP, MIME_CTE_BASE64 };

enum mime_status { MIME_OK, MIME_BAD, MIME_NOMEM };

struct mime_span {
	const char *p;
	size_t n;
};

struct mime_hdrsec {			/* a header section */
	const char *p;			/* its first octet */
	size_t fields;			/* octets of its fields, line ends included */
	size_t len;			/* the same plus the empty line, if there is one */
};

struct mime_ctype {			/* a parsed Content-Type */
	bool present;			/* false: the text/plain default */
	char type[MIME_TOKEN_MAX + 1];	/* lower case */
	char subtype[MIME_TOKEN_MAX + 1];	/* lower case */
	bool has_boundary, has_protocol, has_report_type;
	char boundary[MIME_BOUNDARY_MAX + 1];
	char protocol[MIME_TOKEN_MAX + 1];	/* lower case */
	char report_type[MIME_TOKEN_MAX + 1];	/* lower case (RFC 6522) */
};

struct mime_field {			/* one field of a header section */
	const char *start, *next;	/* the field, continuation lines and line ends included */
	const char *name;
	size_t namelen;			/* 0: the line is no field (only in unchecked sections) */
	const char *val, *vend;		/* after the colon to the end of the last line's text */
};

/* mime_lower - ASCII lower case, whatever the locale */
int mime_lower(int c);
/* mime_blank - space or tab */
bool mime_blank(int c);
/* mime_hex_value - the value of a hex digit, -1 for another octet */
int mime_hex_value(unsigned char c);
/* mime_span_ieq - whether the N octets at P are S without regard to ASCII case */
bool mime_span_ieq(const char *p, size_t n, const char *s);
/* mime_span_iprefix - whether the N octets at P begin with S without regard to ASCII case */
bool mime_span_iprefix(const char *p, size_t n, const char *s);
/* mime_line_next - the line at P before END: *CEND gets the end of its text (its CRLF or LF
 * left out); returns where the next line begins (END after the last one) */
const char *mime_line_next(const char *p, const char *end, const char **cend);
/* mime_line_trim - the end of the text [P, END) without trailing blanks */
const char *mime_line_trim(const char *p, const char *end);
/* mime_hdr_name - the length of the field name opening the line [P, END), 0 if it is no
 * field */
size_t mime_hdr_name(const char *p, const char *end);
/* mime_hdr_scan - check the header section at P (AVAIL octets): fields and continuation lines
 * up to an empty line, within MAX octets, into *H; TOP: the empty line must be there, else
 * the section may run to the end; MIME_BAD with the reason in WHY */
enum mime_status mime_hdr_scan(const char *p, size_t avail, size_t max, bool top,
			       const char *where, struct mime_hdrsec *h, char *why, size_t whylen);
/* mime_field_next - the field at *CUR of a section ending at END; false at the end */
bool mime_field_next(const char **cur, const char *end, struct mime_field *f);
/* mime_hdr_unfold - F's value without its line ends and outer blanks, NUL-terminated
 * (malloc'd), *LEN its length (a NUL inside makes strlen() shorter); NULL for lack of memory */
char *mime_hdr_unfold(const struct mime_field *f, size_t *len);
/* mime_ct_parse - the Content-Type value V into *CT; false when malformed, the reason in WHY */
bool mime_ct_parse(const char *v, struct mime_ctype *ct, char *why, size_t whylen);
/* mime_ct_is - whether CT is TYPE/SUBTYPE */
bool mime_ct_is(const struct mime_ctype *ct, const char *type, const char *subtype);
/* mime_cte_parse - the Content-Transfer-Encoding value V into *E; false if unknown */
bool mime_cte_parse(const char *v, enum mime_cte *e);
/* mime_cte_name - the name of E */
const char *mime_cte_name(enum mime_cte e);
/* mime_mp_split - the body parts of the multipart body B delimited by BND into PARTS, at most
 * BUDGET of them (more is MIME_BAD, said as "more than LIMIT body parts in the message");
 * MIME_BAD for a missing delimiter or close delimiter, a close delimiter first, or a line
 * that begins with the boundary but is no delimiter */
enum mime_status mime_mp_split(struct mime_span b, const char *bnd, size_t budget,
			       unsigned limit, const char *where, struct mime_span *parts,
			       size_t *nparts, char *why, size_t whylen);
/* mime_decode - the N octets at P with the transfer encoding CTE undone: quoted-printable and
 * base64 into *OUT (malloc'd, *OUTLEN octets), others leave *OUT NULL (the octets are taken
 * as they are); MIME_BAD for malformed base64 (reason in WHY after WHERE) */
enum mime_status mime_decode(const char *p, size_t n, enum mime_cte cte, const char *where,
			     char **out, size_t *outlen, char *why, size_t whylen);

/* mime_pgpmime - an RFC 3156 multipart/encrypted entity around ARMOR (ALEN octets, its line
 * ends made CRLF): the Content-Type field (folded), the empty line, a preamble, the
 * application/pgp-encrypted part ("Version: 1"), the application/octet-stream part holding
 * ARMOR, the close delimiter.  BND is the boundary: 1-70 characters of RFC 2046's bcharsnospace
 * (the caller makes sure ARMOR does not hold it).  The entity is malloc'd in *OUT,
 * NUL-terminated, *OUTLEN octets without the NUL.  MIME_BAD for a bad boundary */
enum mime_status mime_pgpmime(const char *bnd, const char *armor, size_t alen, char **out,
			      size_t *outlen);

#endif
