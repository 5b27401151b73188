/*
 * policy/listfile-int.h - what the parts of the list-file module share: the address hash
 * indexes (struct pw_list_index, built while parsing, read by the lookups) and the checks
 * of a statement's words (addresses, fingerprints, UTF-8).
 *
 * Internal to policy/listfile*.c; nothing else includes it.  The public contract is
 * listfile.h.  An index slot holds an array index + 1 (0 = empty); the table is at most half
 * full; keys are compared and hashed ASCII case-insensitively.  Allocation failures are
 * reported (-1, false), never fatal.
 */
#ifndef POSTWARD_POLICY_LISTFILE_INT_H
#define POSTWARD_POLICY_LISTFILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "listfile.h"

/* ---- address indexes ------------------------------------------------------------------ */

typedef const char *(*key_at_fn)(const void *base, size_t i);

/* one address of struct pw_lists' index: a list's address or one of its role addresses */
struct pw_list_addr {
	const char *addr;		/* borrowed from ls->v[list] (address or role_addr[role]) */
	size_t list;			/* index into ls->v */
	enum pw_list_role role;
};

/* lf_addr_key, lf_sub_key, lf_poster_key - the address of entry I of each kind of array */
const char *lf_addr_key(const void *base, size_t i);
const char *lf_sub_key(const void *base, size_t i);
const char *lf_poster_key(const void *base, size_t i);
/* lf_fold - ASCII lower case, whatever the locale */
unsigned char lf_fold(unsigned char c);
/* lf_key_eq - is the NUL-terminated KEY equal to S (N bytes), ASCII case ignored */
bool lf_key_eq(const char *key, const char *s, size_t n);
/* lf_idx_find - the array index of the entry whose key is S (N bytes), or SIZE_MAX */
size_t lf_idx_find(const struct pw_list_index *x, const void *base, key_at_fn key,
		   const char *s, size_t n);
/* lf_idx_add - index entry I of BASE: 1 added; 0 when an entry with the same key is there
 * already (*DUP gets its index); -1 out of memory */
int lf_idx_add(struct pw_list_index *x, const void *base, key_at_fn key, size_t i,
	       size_t *dup);
/* lf_idx_reserve - room for EXTRA more entries, so that as many lf_idx_add calls cannot
 * fail; false out of memory (the entries are then as they were) */
bool lf_idx_reserve(struct pw_list_index *x, const void *base, key_at_fn key, size_t extra);
/* lf_idx_free - release a table */
void lf_idx_free(struct pw_list_index *x);

/* ---- words: addresses, fingerprints, text --------------------------------------------- */

/* lf_utf8_valid - is S (N bytes) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF) */
bool lf_utf8_valid(const char *str, size_t n);
/* lf_addr_parse - check an address word (see listfile.h); on success *OUT is an owned copy
 * with the domain lower-cased and its trailing dot dropped.  1 = good; 0 = bad, WHY says
 * why; -1 = out of memory */
int lf_addr_parse(const char *w, char **out, char *why, size_t whylen);
/* lf_fpr_parse - a v4 fingerprint, 40 hex digits, into OUT in upper case; WHY on failure */
bool lf_fpr_parse(const char *w, char out[PW_LIST_FPR_LEN + 1], char *why, size_t whylen);

#endif
