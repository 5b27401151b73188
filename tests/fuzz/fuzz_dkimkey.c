/*
 * tests/fuzz/fuzz_dkimkey.c - fuzz harness for the DKIM tag-list splitter and the key record
 * parser of milter/dkim/dkim-tags.c (dkim_tags_parse, dkim_key_parse): bytes from any sender's DNS.
 *
 * Input contract: the whole input is one TXT record (its strings already joined).
 *   dkim_tags_parse gets it as it is (pointer and length, no terminating NUL, so a read past
 *   the end is caught); dkim_key_parse gets a NUL-terminated copy (an embedded NUL ends it).
 * Contract checked: no crash, no sanitizer report; tags point inside the input in order with
 *   raw_start <= raw_end <= size; at most DKIM_MAX_TAGS tags; a reason on every error; a
 *   parsed key holds at most DKIM_MAX_KEY_DER octets, a revoked key none.  (Whether the
 *   octets make a usable key is dkim_sig_key's business, which fuzz_dkim reaches.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct dkim_tag tags[DKIM_MAX_TAGS];
	size_t ntags = 0;
	const char *reason = NULL;

	enum dkim_status st = dkim_tags_parse(s, size, tags, DKIM_MAX_TAGS, &ntags, &reason);
	if (st == DKIM_OK) {
		if (ntags > DKIM_MAX_TAGS)
			abort();
		size_t prev = 0;
		for (size_t i = 0; i < ntags; i++) {
			const struct dkim_tag *t = &tags[i];
			if (t->name < s || t->name + t->name_len > s + size ||
			    t->value < s || t->value + t->value_len > s + size ||
			    t->raw_start > t->raw_end || t->raw_end > size || t->raw_start < prev ||
			    t->name_len == 0)
				abort();
			prev = t->raw_end;
		}
	} else if (reason == NULL) {
		abort();
	}

	char *rec = malloc(size + 1);
	struct dkim_key *key = malloc(sizeof *key);
	if (rec != NULL && key != NULL) {
		memcpy(rec, data, size);
		rec[size] = '\0';
		reason = NULL;
		st = dkim_key_parse(rec, key, &reason);
		if (st == DKIM_OK) {
			if (key->plen > sizeof key->p || (key->revoked && key->plen != 0))
				abort();
		} else if (reason == NULL) {
			abort();
		}
	}
	free(key);
	free(rec);
	return 0;
}
