/*
 * milter/lists/listpost-int.h - what the parts of listpost share: the types of a post being
 * read, the Content-Type, Content-Transfer-Encoding and body decoding of listpost-mime.c that
 * listpost.c (reading posts) uses, the header-section helpers of listpost.c that
 * listpost-copy.c (writing copies) uses too, and the entity and multipart readers of
 * listpost.c that listpost-text.c (the text of a command message) uses.  Included only inside milter/lists/; the public
 * contract is listpost.h.
 *
 * All of them are pure functions on caller buffers and no global state; only
 * lp_body_decode() and lp_hdr_unfold() allocate (the caller frees what they return).
 */
#ifndef POSTWARD_MILTER_LISTPOST_INT_H
#define POSTWARD_MILTER_LISTPOST_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "listpost.h"

#define LP_TOKEN_MAX	127		/* type, subtype, attribute, protocol */
#define LP_BOUNDARY_MAX	200		/* octets of a boundary */

enum lp_status { LP_OK, LP_BAD, LP_NOMEM };

enum lp_cte { CTE_7BIT, CTE_8BIT, CTE_BINARY, CTE_QP, CTE_BASE64 };

struct span {
	const char *p;
	size_t n;
};

struct hdrsec {				/* a header section */
	const char *p;			/* its first octet */
	size_t fields;			/* octets of its fields, line ends included */
	size_t len;			/* the same plus the empty line, if there is one */
};

struct ctype {				/* a parsed Content-Type */
	bool present;			/* false: the text/plain default */
	char type[LP_TOKEN_MAX + 1];	/* lower case */
	char subtype[LP_TOKEN_MAX + 1];	/* lower case */
	bool has_boundary, has_protocol;
	char boundary[LP_BOUNDARY_MAX + 1];
	char protocol[LP_TOKEN_MAX + 1];	/* lower case */
};

struct entity {				/* a message or a body part, header read */
	struct hdrsec h;
	struct ctype ct;
	enum lp_cte cte;
	struct span body;
	char *ctraw;			/* the unfolded Content-Type value (malloc'd) or NULL */
};

struct decoded {			/* a body with its transfer encoding undone */
	struct span s;
	char *owned;			/* malloc'd for quoted-printable and base64, else NULL */
};

struct field {				/* one field of a checked header section */
	const char *start, *next;	/* the field, continuation lines and line ends included */
	const char *name;
	size_t namelen;
	const char *val, *vend;		/* after the colon to the end of the last line's text */
};

/* lp_bad - make OUT a LISTPOST_BAD with the reason FMT...; LP_BAD */
enum lp_status lp_bad(struct listpost *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* lp_lower - ASCII lower case, whatever the locale */
int lp_lower(int c);
/* lp_ct_parse - the Content-Type value V into *CT; false when malformed, the reason in WHY */
bool lp_ct_parse(const char *v, struct ctype *ct, char *why, size_t whylen);
/* lp_ct_is - whether CT is TYPE/SUBTYPE */
bool lp_ct_is(const struct ctype *ct, const char *type, const char *subtype);
/* lp_cte_parse - the Content-Transfer-Encoding value V into *E; false if unknown */
bool lp_cte_parse(const char *v, enum lp_cte *e);
/* lp_cte_name - the name of E */
const char *lp_cte_name(enum lp_cte e);
/* lp_body_decode - the body of E with its transfer encoding undone into *D */
enum lp_status lp_body_decode(const struct entity *e, const char *where, struct decoded *d,
			      struct listpost *out);
/* lp_hex_val - the value of a hex digit, -1 for another octet */
int lp_hex_val(unsigned char c);
/* lp_blank - space or tab */
bool lp_blank(int c);
/* lp_span_ieq - whether the N octets at P are S without regard to ASCII case */
bool lp_span_ieq(const char *p, size_t n, const char *s);
/* lp_span_iprefix - whether the N octets at P begin with S without regard to ASCII case */
bool lp_span_iprefix(const char *p, size_t n, const char *s);
/* lp_line_next - the line at P before END: *CEND gets the end of its text (its CRLF or LF
 * left out); returns where the next line begins (END after the last one) */
const char *lp_line_next(const char *p, const char *end, const char **cend);
/* lp_hdr_name - the length of the field name opening the line [P, END), 0 if it is no field */
size_t lp_hdr_name(const char *p, const char *end);
/* lp_field_next - the field at *CUR of a checked section ending at END; false at the end */
bool lp_field_next(const char **cur, const char *end, struct field *f);
/* lp_hdr_scan - check the header section at P (AVAIL octets) into *H: fields and
 * continuation lines up to the empty line, within LISTPOST_MAX_HEADER octets; TOP: the empty
 * line must be there; LP_BAD with the reason in OUT (WHERE names the entity) */
enum lp_status lp_hdr_scan(const char *p, size_t avail, bool top, const char *where,
			   struct hdrsec *h, struct listpost *out);
/* lp_hdr_get - the unfolded value of field NAME of H into *VAL (malloc'd, NULL when absent);
 * LP_BAD when it occurs twice or holds a control character */
enum lp_status lp_hdr_get(const struct hdrsec *h, const char *name, const char *where,
			  char **val, struct listpost *out);
/* lp_entity_read - read the header of the entity SP (the message if TOP, else a part named
 * WHERE): its Content-Type (text/plain when absent) and Content-Transfer-Encoding; the caller
 * frees E->ctraw whatever the outcome */
enum lp_status lp_entity_read(struct span sp, bool top, const char *where, struct entity *e,
			      struct listpost *out);
/* lp_mp_split - the body parts of the multipart body B delimited by BND into PARTS, at most
 * BUDGET of them (more is LP_BAD); WHERE names the multipart in reasons */
enum lp_status lp_mp_split(struct span b, const char *bnd, size_t budget, const char *where,
			   struct span *parts, size_t *nparts, struct listpost *out);
/* lp_hdr_unfold - F's value without its line ends and outer blanks, NUL-terminated
 * (malloc'd), *LEN its length (a NUL inside makes strlen() shorter); NULL for lack of memory */
char *lp_hdr_unfold(const struct field *f, size_t *len);

#endif
