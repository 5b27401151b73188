/*
 * policy/listfile-index.c - the address hash indexes of the list files (lists by address;
 * each list's subscribers and posters by address) and the lookups through them:
 * pw_lists_find, pw_lists_find_role (with VERP decoding), pw_list_find_sub, pw_list_may_post,
 * pw_list_is_admin; and the addresses made from a list: pw_list_role_address, pw_list_verp,
 * pw_list_envelope_sender.
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

/* lf_addr_key, lf_sub_key, lf_poster_key - the address of entry I of each kind of array */
const char *lf_addr_key(const void *base, size_t i)
{
	return ((const struct pw_list_addr *)base)[i].addr;
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

/* lf_idx_reserve - grow until EXTRA more entries fit without another growth */
bool lf_idx_reserve(struct pw_list_index *x, const void *base, key_at_fn key, size_t extra)
{
	if (extra > SIZE_MAX / 4 - x->used)
		return false;
	while ((x->used + extra) * 2 > x->size)
		if (!idx_grow(x, base, key))
			return false;
	return true;
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

/* pw_lists_find - by address, through the index; list addresses only */
const struct pw_list *pw_lists_find(const struct pw_lists *ls, const char *address)
{
	const char *s;
	size_t n, i;

	if (ls == NULL || !lookup_span(address, &s, &n))
		return NULL;
	i = lf_idx_find(&ls->index, ls->addrs, lf_addr_key, s, n);
	if (i == SIZE_MAX || ls->addrs[i].role != PW_ROLE_POST)
		return NULL;
	return &ls->v[ls->addrs[i].list];
}

#define MAX_LOOKUP 512		/* bytes of an address a VERP lookup rebuilds */

/* verp_decode - the subscriber address in a VERP tag T (N bytes, "alice=example.net"):
 * cut at the last '=', both parts non-empty, an address lf_addr_parse accepts; NULL if not */
static char *verp_decode(const char *t, size_t n)
{
	char buf[MAX_LOOKUP], why[160], *out;
	size_t eq = n;

	for (size_t i = 0; i < n; i++)
		if (t[i] == '=')
			eq = i;
	if (eq == n || eq == 0 || eq + 1 == n || n >= sizeof(buf))
		return NULL;
	memcpy(buf, t, n);
	buf[n] = '\0';
	buf[eq] = '@';
	if (lf_addr_parse(buf, &out, why, sizeof(why)) != 1)
		return NULL;
	return out;
}

/* pw_lists_find_role - exact address first, then each '+' of the local part from the left
 * as the start of a VERP tag on a bounces address */
const struct pw_list *pw_lists_find_role(const struct pw_lists *ls, const char *address,
					 enum pw_list_role *role, char **verp)
{
	char buf[MAX_LOOKUP];
	const char *s, *at = NULL;
	size_t n, i;

	if (verp != NULL)
		*verp = NULL;
	if (ls == NULL || !lookup_span(address, &s, &n))
		return NULL;
	i = lf_idx_find(&ls->index, ls->addrs, lf_addr_key, s, n);
	if (i != SIZE_MAX) {
		if (role != NULL)
			*role = ls->addrs[i].role;
		return &ls->v[ls->addrs[i].list];
	}
	for (size_t k = 0; k < n; k++)		/* the last '@': quoted local parts may hold one */
		if (s[k] == '@')
			at = s + k;
	if (at == NULL || n >= sizeof(buf))
		return NULL;
	for (const char *p = s; p < at; p++) {
		size_t keylen;
		if (*p != '+')
			continue;
		keylen = (size_t)(p - s) + (size_t)(s + n - at);
		memcpy(buf, s, (size_t)(p - s));
		memcpy(buf + (p - s), at, (size_t)(s + n - at));
		i = lf_idx_find(&ls->index, ls->addrs, lf_addr_key, buf, keylen);
		if (i == SIZE_MAX || ls->addrs[i].role != PW_ROLE_BOUNCES)
			continue;
		if (role != NULL)
			*role = PW_ROLE_BOUNCES;
		if (verp != NULL)
			*verp = verp_decode(p + 1, (size_t)(at - p - 1));
		return &ls->v[ls->addrs[i].list];
	}
	return NULL;
}

/* pw_list_role_address - a copy of the address ROLE has in L */
char *pw_list_role_address(const struct pw_list *l, enum pw_list_role role)
{
	const char *a;

	if (l == NULL || (unsigned)role >= PW_LIST_N_ROLES)
		return NULL;
	a = role == PW_ROLE_POST ? l->address : l->role_addr[role];
	return a != NULL ? strdup(a) : NULL;
}

/* verp_atext - may C stand in a VERP tag's local half (dot-atom text, RFC 5322 3.2.3) */
static bool verp_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* verp_ldh - may C stand in a VERP tag's domain half (ASCII letters, digits, '-', '.') */
static bool verp_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

/* pw_list_verp - LOCAL-bounces+SUBLOCAL=SUBDOMAIN@DOMAIN */
char *pw_list_verp(const struct pw_list *l, const char *sub)
{
	const char *b, *bat, *s, *sat = NULL;
	size_t n, blocal, slocal, sdom, local, total;
	char *out;

	if (l == NULL || (b = l->role_addr[PW_ROLE_BOUNCES]) == NULL ||
	    !lookup_span(sub, &s, &n) || (bat = strrchr(b, '@')) == NULL)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		if (s[k] == '@') {
			if (sat != NULL)
				return NULL;
			sat = s + k;
		} else if (sat == NULL ? !verp_atext((unsigned char)s[k]) :
			   !verp_ldh((unsigned char)s[k])) {
			return NULL;
		}
	}
	if (sat == NULL || sat == s || sat + 1 == s + n)
		return NULL;
	blocal = (size_t)(bat - b);
	slocal = (size_t)(sat - s);
	sdom = (size_t)(s + n - sat - 1);
	local = blocal + 1 + slocal + 1 + sdom;
	if (local > PW_LIST_VERP_LOCAL_MAX)
		return NULL;
	total = local + strlen(bat);
	if ((out = malloc(total + 1)) == NULL)
		return NULL;
	memcpy(out, b, blocal);
	out[blocal] = '+';
	memcpy(out + blocal + 1, s, slocal);
	out[blocal + 1 + slocal] = '=';
	for (size_t k = 0; k < sdom; k++)
		out[blocal + 2 + slocal + k] = (char)lf_fold((unsigned char)sat[1 + k]);
	strcpy(out + local, bat);
	return out;
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

/* pw_list_envelope_sender - bounce, VERP, bounces, owner: the first that applies */
char *pw_list_envelope_sender(const struct pw_list *l, const char *sub)
{
	char *v;

	if (l->bounce_set || l->role_addr[PW_ROLE_BOUNCES] == NULL)
		return strdup(l->bounce);	/* the owner's copy when no bounce was given */
	if (sub != NULL && (v = pw_list_verp(l, sub)) != NULL)
		return v;
	return strdup(l->role_addr[PW_ROLE_BOUNCES]);
}

/* pw_list_is_admin - a subscriber marked admin */
bool pw_list_is_admin(const struct pw_list *l, const char *address)
{
	const struct pw_list_sub *sub = pw_list_find_sub(l, address);

	return sub != NULL && sub->admin;
}
