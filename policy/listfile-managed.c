/*
 * policy/listfile-managed.c - the managed subscriber file NAME.subscribers: its path beside
 * the list file, and its text written from a set of subscribers.
 * Contract: see listfile.h ("The managed subscriber file").  Pure C, no I/O: the writer
 * (milter/lists/substore.c) puts the text on disk.  What pw_list_format_managed() writes,
 * pw_list_parse_with_subs() reads back as the same entries, in the same order: every entry
 * is checked with the parser's own word checks first, and one that would not parse back
 * fails the whole text.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "listfile.h"
#include "listfile-int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "# managed by postward: the subscribers that signed commands manage.\n" \
	"# Edit the list file instead; postward rewrites this file whole.\n"

/* pw_list_managed_path - NAME.list -> NAME.subscribers */
char *pw_list_managed_path(const char *list_path)
{
	size_t n = list_path ? strlen(list_path) : 0;
	const char *base;
	char *out;

	if (n <= 5 || strcmp(list_path + n - 5, ".list") != 0)
		return NULL;
	base = strrchr(list_path, '/');
	base = base ? base + 1 : list_path;
	if (strcmp(base, ".list") == 0)
		return NULL;
	if ((out = malloc(n - 5 + sizeof(".subscribers"))) == NULL)
		return NULL;
	memcpy(out, list_path, n - 5);
	strcpy(out + n - 5, ".subscribers");
	return out;
}

/* path_ok - a path the parser takes back as one word: absolute, at most 4096 octets, no
 * blank or control character */
static bool path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) > 4096)
		return false;
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

/* check_entry - may E be written; WHY says why not */
static bool check_entry(const struct pw_list_managed_sub *e, char *why, size_t whylen)
{
	char fpr[PW_LIST_FPR_LEN + 1], reason[160], *a;
	bool has_fpr = e->fpr != NULL && e->fpr[0] != '\0';
	int r;

	if (e->addr == NULL) {
		snprintf(why, whylen, "a subscriber without an address");
		return false;
	}
	for (const unsigned char *c = (const unsigned char *)e->addr; *c; c++)
		if (*c <= ' ' || *c == 0x7f || (c == (const unsigned char *)e->addr && *c == '#')) {
			snprintf(why, whylen, "subscriber \"%.100s\": blank, '#' or control "
				 "character in the address", e->addr);
			return false;
		}
	r = lf_addr_parse(e->addr, &a, reason, sizeof(reason));
	if (r < 0) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	if (r == 0) {
		snprintf(why, whylen, "bad subscriber address \"%.100s\": %s", e->addr, reason);
		return false;
	}
	free(a);
	if (has_fpr && !lf_fpr_parse(e->fpr, fpr, reason, sizeof(reason))) {
		snprintf(why, whylen, "subscriber \"%.100s\": bad OpenPGP fingerprint \"%.100s\": "
			 "%s", e->addr, e->fpr, reason);
		return false;
	}
	if (e->smime_cert != NULL && !path_ok(e->smime_cert)) {
		snprintf(why, whylen, "subscriber \"%.100s\": smime= path \"%.100s\" is not an "
			 "absolute path without blanks", e->addr, e->smime_cert);
		return false;
	}
	if (!has_fpr && e->smime_cert == NULL) {
		snprintf(why, whylen, "subscriber \"%.100s\" needs a key", e->addr);
		return false;
	}
	return true;
}

/* pw_list_format_managed - one "subscriber" line per entry after a header comment */
char *pw_list_format_managed(const struct pw_list_managed_sub *v, size_t n, size_t *len,
			     char *why, size_t whylen)
{
	struct pw_list_sub *seen = NULL;
	struct pw_list_index idx = { 0 };
	size_t cap = sizeof(HEADER), used, dup;
	char *out = NULL;

	if (n > PW_LIST_MAX_SUBSCRIBERS) {
		snprintf(why, whylen, "more than %d subscribers", PW_LIST_MAX_SUBSCRIBERS);
		return NULL;
	}
	if (n > 0 && (seen = calloc(n, sizeof(*seen))) == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		int r;
		if (!check_entry(&v[i], why, whylen))
			goto fail;
		seen[i].addr = (char *)v[i].addr;	/* borrowed: only the index reads it */
		r = lf_idx_add(&idx, seen, lf_sub_key, i, &dup);
		if (r < 0)
			goto oom;
		if (r == 0) {
			snprintf(why, whylen, "subscriber \"%.100s\" is given twice", v[i].addr);
			goto fail;
		}
		/* "subscriber " ADDR " openpgp=" FPR " smime=" PATH " admin\n" */
		cap += 11 + strlen(v[i].addr) + 9 + PW_LIST_FPR_LEN + 7 +
		       (v[i].smime_cert ? strlen(v[i].smime_cert) : 0) + 7;
	}
	if ((out = malloc(cap)) == NULL)
		goto oom;
	used = (size_t)snprintf(out, cap, "%s", HEADER);
	for (size_t i = 0; i < n; i++) {
		char fpr[PW_LIST_FPR_LEN + 1] = "", reason[160];
		if (v[i].fpr != NULL && v[i].fpr[0] != '\0')
			lf_fpr_parse(v[i].fpr, fpr, reason, sizeof(reason));	/* checked */
		used += (size_t)snprintf(out + used, cap - used, "subscriber %s%s%s%s%s%s\n",
					 v[i].addr, fpr[0] ? " openpgp=" : "", fpr,
					 v[i].smime_cert ? " smime=" : "",
					 v[i].smime_cert ? v[i].smime_cert : "",
					 v[i].admin ? " admin" : "");
	}
	free(seen);
	lf_idx_free(&idx);
	*len = used;
	return out;
oom:
	snprintf(why, whylen, "out of memory");
fail:
	free(seen);
	lf_idx_free(&idx);
	free(out);
	return NULL;
}
