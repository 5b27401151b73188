/*
 * policy/listfile-index.c - the address hash indexes of the list files (lists by address;
 * each list's subscribers and posters by address) and the lookups through them:
 * pw_lists_find, pw_list_find_sub, pw_list_may_post.
 * Contract: see listfile.h (lookups) and listfile-int.h (the indexes, which listfile.c
 * builds while parsing).  Pure C, no I/O; the lookups only read, so threads may share them.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "listfile.h"
#include "listfile-int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- address indexes ------------------------------------------------------------------ */

/* lf_list_key, lf_sub_key, lf_poster_key - the address of entry I of each kind of array */
const char *lf_list_key(const void *base, size_t i)
{
	return ((const struct pw_list *)base)[i].address;
}

const char *lf_sub_key(const void *base, size_t i)
{
	return ((const struct pw_list_sub *)base)[i].addr;
}

const char *lf_poster_key(const void *base, size_t i)
{
	return ((char *const *)base)[i];
}

/* lf_fold - ASCII lower case, whatever the locale */
unsigned char lf_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* key_hash - FNV-1a over the case-folded bytes, with a final mix for the low bits */
static size_t key_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= lf_fold((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

/* lf_key_eq - is the NUL-terminated KEY equal to S (N bytes), ASCII case ignored */
bool lf_key_eq(const char *key, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (key[i] == '\0' || lf_fold((unsigned char)key[i]) != lf_fold((unsigned char)s[i]))
			return false;
	return key[i] == '\0';
}

/* lf_idx_find - the array index of the entry whose key is S (N bytes), or SIZE_MAX */
size_t lf_idx_find(const struct pw_list_index *x, const void *base, key_at_fn key,
		   const char *s, size_t n)
{
	size_t mask, j;

	if (x->size == 0)
		return SIZE_MAX;
	mask = x->size - 1;
	for (j = key_hash(s, n) & mask;; j = (j + 1) & mask) {	/* at most half full */
		size_t v = x->slot[j];
		if (v == 0)
			return SIZE_MAX;
		if (lf_key_eq(key(base, v - 1), s, n))
			return v - 1;
	}
}

/* idx_grow - double the table (16 slots to start) and re-place every entry */
static bool idx_grow(struct pw_list_index *x, const void *base, key_at_fn key)
{
	size_t nsize = x->size ? x->size * 2 : 16;
	size_t *ns;

	if (nsize < x->size || (ns = calloc(nsize, sizeof(*ns))) == NULL)
		return false;
	for (size_t i = 0; i < x->size; i++) {
		size_t v = x->slot[i], j;
		const char *k;
		if (v == 0)
			continue;
		k = key(base, v - 1);
		for (j = key_hash(k, strlen(k)) & (nsize - 1); ns[j]; j = (j + 1) & (nsize - 1))
			;
		ns[j] = v;
	}
	free(x->slot);
	x->slot = ns;
	x->size = nsize;
	return true;
}

/* lf_idx_add - index entry I of BASE: 1 added; 0 when an entry with the same key is there
 * already (*DUP gets its index); -1 out of memory */
int lf_idx_add(struct pw_list_index *x, const void *base, key_at_fn key, size_t i,
	       size_t *dup)
{
	const char *k = key(base, i);
	size_t n = strlen(k), found = lf_idx_find(x, base, key, k, n), j;

	if (found != SIZE_MAX) {
		*dup = found;
		return 0;
	}
	if ((x->used + 1) * 2 > x->size && !idx_grow(x, base, key))
		return -1;
	for (j = key_hash(k, n) & (x->size - 1); x->slot[j]; j = (j + 1) & (x->size - 1))
		;
	x->slot[j] = i + 1;
	x->used++;
	return 1;
}

/* lf_idx_free - release a table */
void lf_idx_free(struct pw_list_index *x)
{
	free(x->slot);
	memset(x, 0, sizeof(*x));
}

/* lookup_span - the address inside an envelope form: surrounding blanks, "<" and ">", a
 * source route and one trailing dot dropped; false when nothing is left (the null sender) */
static bool lookup_span(const char *a, const char **s, size_t *n)
{
	const char *p = a, *end;

	if (a == NULL)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && *p == '<')
		p++;
	if (end > p && end[-1] == '>')
		end--;
	if (p < end && *p == '@') {		/* "@a,@b:user@domain" */
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL)
			return false;
		p = colon + 1;
	}
	if (end > p && end[-1] == '.')
		end--;
	if (p == end)
		return false;
	*s = p;
	*n = (size_t)(end - p);
	return true;
}

/* pw_lists_find - by address, through the index */
const struct pw_list *pw_lists_find(const struct pw_lists *ls, const char *address)
{
	const char *s;
	size_t n, i;

	if (ls == NULL || !lookup_span(address, &s, &n))
		return NULL;
	i = lf_idx_find(&ls->index, ls->v, lf_list_key, s, n);
	return i == SIZE_MAX ? NULL : &ls->v[i];
}

/* pw_list_find_sub - by address, through the list's subscriber index */
const struct pw_list_sub *pw_list_find_sub(const struct pw_list *l, const char *address)
{
	const char *s;
	size_t n, i;

	if (l == NULL || !lookup_span(address, &s, &n))
		return NULL;
	i = lf_idx_find(&l->sub_index, l->subs, lf_sub_key, s, n);
	return i == SIZE_MAX ? NULL : &l->subs[i];
}

/* pw_list_may_post - per the posters mode */
bool pw_list_may_post(const struct pw_list *l, const char *address)
{
	const char *s;
	size_t n;

	if (l == NULL || !lookup_span(address, &s, &n))
		return false;
	switch (l->posters) {
	case PW_LIST_POSTERS_ANYONE:
		return true;
	case PW_LIST_POSTERS_LISTED:
		return lf_idx_find(&l->poster_index, l->posters_list, lf_poster_key, s, n) != SIZE_MAX;
	case PW_LIST_POSTERS_SUBSCRIBERS:
		break;
	}
	return lf_idx_find(&l->sub_index, l->subs, lf_sub_key, s, n) != SIZE_MAX;
}
