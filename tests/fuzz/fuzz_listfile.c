/*
 * tests/fuzz/fuzz_listfile.c - fuzz harness for policy/listfile: encrypted mailing-list
 * definition files, and the address lookups made against what they define.
 *
 * Input contract: one or more list files separated by NUL octets, parsed in order into one
 * pw_lists as the daemon parses a list directory; each file's text is handed over as read
 * (pointer and length, not NUL-terminated, so a read past the end is caught).  A file with
 * a 0x1e octet (record separator) in it is a list file (before it) and its managed
 * subscriber file (after it), parsed together with pw_list_parse_with_subs.
 * Contract checked: no crash, no sanitizer report, no leak (lists and diagnostics freed each
 * run); a file with errors adds no list; every list is found by its own address (also in
 * angle brackets and upper case), every subscriber by its address in its list, every listed
 * poster may post to a "posters listed" list; the null sender never may; a list_id phrase
 * fits PW_LIST_PHRASE_MAX and holds no control character; every role address finds its list
 * as that role; every subscriber's VERP address decodes back to the subscriber; the managed
 * subscribers, written by pw_list_format_managed and parsed again with the list file, come
 * back the same.
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

/* same_ci - A and B equal, ASCII case ignored */
static int same_ci(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* check_managed - L's managed subscribers formatted and parsed again with the list's TEXT */
static void check_managed(const struct pw_list *l, const char *text, size_t len)
{
	struct pw_list_managed_sub *v = calloc(l->n_subs + 1, sizeof(*v));
	struct pw_lists again;
	struct pw_diags d = { 0 };
	size_t n = 0, out_len, k = 0;
	char why[300], *out;

	if (v == NULL)
		return;
	memset(&again, 0, sizeof again);
	for (size_t i = 0; i < l->n_subs; i++)
		if (l->subs[i].managed)
			v[n++] = (struct pw_list_managed_sub){ l->subs[i].addr, l->subs[i].fpr,
							       l->subs[i].smime_cert,
							       l->subs[i].admin };
	if ((out = pw_list_format_managed(v, n, &out_len, why, sizeof why)) == NULL)
		abort();		/* what parsed must format */
	if (pw_list_parse_with_subs(&again, "again.list", text, len, "again.subscribers", out,
				    out_len, &d) != 0 || again.n != 1)
		abort();
	for (size_t i = 0; i < again.v[0].n_subs; i++) {
		const struct pw_list_sub *s = &again.v[0].subs[i];
		if (!s->managed)
			continue;
		if (k >= n || strcmp(s->addr, v[k].addr) != 0 || strcmp(s->fpr, v[k].fpr) != 0 ||
		    s->admin != v[k].admin || (s->smime_cert == NULL) != (v[k].smime_cert == NULL))
			abort();
		k++;
	}
	if (k != n)
		abort();
	free(out);
	free(v);
	pw_lists_free(&again);
	pw_diags_free(&d);
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
		char *rs = memchr(text, 0x1e, len);
		size_t list_len = rs != NULL ? (size_t)(rs - text) : len;
		size_t nerr = rs != NULL ?
			pw_list_parse_with_subs(&ls, name, text, list_len, "list.subscribers",
						rs + 1, len - list_len - 1, &d) :
			pw_list_parse(&ls, name, text, len, &d);
		if (nerr > 0 && ls.n != before)
			abort();
		if (ls.n != before)
			check_managed(&ls.v[ls.n - 1], text, list_len);
		free(text);
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
		for (int r = 1; r < PW_LIST_N_ROLES; r++) {
			enum pw_list_role got;
			if (l->role_addr[r] == NULL)
				continue;
			if (pw_lists_find_role(&ls, l->role_addr[r], &got, NULL) != l ||
			    got != (enum pw_list_role)r ||
			    pw_lists_find_role(&ls, variant(l->role_addr[r], buf, sizeof buf), &got,
					       NULL) != l || pw_lists_find(&ls, l->role_addr[r]))
				abort();
		}
		for (size_t j = 0; j < l->n_subs; j++) {
			char *v = pw_list_verp(l, l->subs[j].addr), *dec = NULL;
			enum pw_list_role got;
			const struct pw_list *o;
			if (v == NULL)
				continue;
			if (strchr(v, '@') - v > PW_LIST_VERP_LOCAL_MAX)
				abort();
			o = pw_lists_find_role(&ls, v, &got, &dec);
			if (o == NULL)
				abort();
			/* another list may own that very address (pathological): skip it */
			if (o == l && (got != PW_ROLE_BOUNCES || dec == NULL ||
				       !same_ci(dec, l->subs[j].addr)))
				abort();
			free(dec);
			free(v);
		}
	}
	for (size_t i = 0; i < d.n; i++)
		pw_diag_format(&d.v[i], buf, sizeof buf);
	pw_lists_free(&ls);
	pw_diags_free(&d);
	return 0;
}
