/*
 * milter/dkim/dkim-int.h - what the parts of the DKIM verifier share; included only by the
 * files of milter/dkim/ (the public contract is dkim.h): the character classes every part
 * uses, and the tag-list helpers of tags.c that the signature parser in dkim.c uses too.
 */
#ifndef POSTWARD_MILTER_DKIM_INT_H
#define POSTWARD_MILTER_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim.h"

/* lc - ASCII lower case */
static inline int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* is_wsp - SP or HTAB */
static inline bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* is_fws - white space that may appear in folded text */
static inline bool is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkim_span_caseeq - does the span A/ALEN equal the C string B, ASCII case ignored */
bool dkim_span_caseeq(const char *a, size_t alen, const char *b);
/* dkim_trim_fws - shrink the span P/N past FWS at both ends */
void dkim_trim_fws(const char **p, size_t *n);
/* dkim_b64_value - the value of one base64 character, -1 if none */
int dkim_b64_value(int c);
/* dkim_b64_decode - strict base64 with FWS anywhere; false on garbage, bad padding or overflow */
bool dkim_b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax,
		       size_t *outlen);
/* dkim_list_has - does the colon-separated list S/N hold WORD (FWS around items ignored) */
bool dkim_list_has(const char *s, size_t n, const char *word);
/* dkim_find_tag - the tag named NAME, or NULL */
const struct dkim_tag *dkim_find_tag(const struct dkim_tag *tags, size_t n, const char *name);

#endif
