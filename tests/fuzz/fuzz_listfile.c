/*
 * tests/fuzz/fuzz_listfile.c - fuzz harness for policy/listfile: encrypted mailing-list
 * definition files, and the address lookups made against what they define.
 *
 * Input contract: one or more list files separated by NUL octets, parsed in order into one
 * pw_lists as the daemon parses a list directory; each file's text is handed over as read
 * (pointer and length, not NUL-terminated, so a read past the end is caught).
 * Contract checked: no crash, no sanitizer report, no leak (lists and diagnostics freed each
 * run); a file with errors adds no list; every list is found by its own address (also in
 * angle brackets and upper case), every subscriber by its address in its list, every listed
 * poster may post to a "posters listed" list; the null sender never may; a list_id phrase
 * fits PW_LIST_PHRASE_MAX and holds no control character.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* variant - ADDR as "<ADDR>" in upper case (ASCII), into BUF */
static const char *variant(const char *addr, char *buf, size_t len)
{
	snprintf(buf, len, "<%s>", addr);
	for (char *q = buf; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_lists ls;
	struct pw_diags d = { 0 };
	memset(&ls, 0, sizeof ls);
	const uint8_t *part = data, *end = data + size;
	unsigned nfile = 0;
	for (;;) {
		const uint8_t *nul = memchr(part, '\0', (size_t)(end - part));
		size_t len = (size_t)((nul != NULL ? nul : end) - part);
		char *text = malloc(len ? len : 1);
		char name[32];
		if (text == NULL)
			break;
		memcpy(text, part, len);
		snprintf(name, sizeof name, "list%u.conf", nfile++);
		size_t before = ls.n;
		size_t nerr = pw_list_parse(&ls, name, text, len, &d);
		free(text);
		if (nerr > 0 && ls.n != before)
			abort();
		if (nul == NULL)
			break;
		part = nul + 1;
	}
	char buf[600];
	for (size_t i = 0; i < ls.n; i++) {
		const struct pw_list *l = &ls.v[i];
		if (pw_lists_find(&ls, l->address) != l ||
		    pw_lists_find(&ls, variant(l->address, buf, sizeof buf)) != l)
			abort();
		for (size_t j = 0; j < l->n_subs; j++)
			if (pw_list_find_sub(l, l->subs[j].addr) != &l->subs[j] ||
			    pw_list_find_sub(l, variant(l->subs[j].addr, buf, sizeof buf)) !=
				    &l->subs[j])
				abort();
		if (l->posters == PW_LIST_POSTERS_LISTED)
			for (size_t j = 0; j < l->n_posters; j++)
				if (!pw_list_may_post(l, l->posters_list[j]))
					abort();
		if (l->list_id_phrase != NULL) {	/* goes into a List-Id field */
			if (strlen(l->list_id_phrase) > PW_LIST_PHRASE_MAX)
				abort();
			for (const char *c = l->list_id_phrase; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					abort();
		}
		if (pw_list_may_post(l, "") || pw_list_may_post(l, "<>") ||
		    pw_list_may_post(l, NULL))
			abort();
		pw_list_find_sub(l, "nobody@example.org");
	}
	for (size_t i = 0; i < d.n; i++)
		pw_diag_format(&d.v[i], buf, sizeof buf);
	pw_lists_free(&ls);
	pw_diags_free(&d);
	return 0;
}
