/*
 * milter/lists/listpost-int.h - what the two halves of listpost share: the header-section
 * helpers of listpost.c (reading posts) that listpost_copy.c (writing copies) uses too.
 * Included only inside milter/lists/; the public contract is listpost.h.
 *
 * All of them are pure functions on caller buffers: no allocation, no global state.
 */
#ifndef POSTWARD_MILTER_LISTPOST_INT_H
#define POSTWARD_MILTER_LISTPOST_INT_H

#include <stdbool.h>
#include <stddef.h>

struct field {				/* one field of a checked header section */
	const char *start, *next;	/* the field, continuation lines and line ends included */
	const char *name;
	size_t namelen;
	const char *val, *vend;		/* after the colon to the end of the last line's text */
};

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

#endif
