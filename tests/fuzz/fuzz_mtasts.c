/*
 * tests/fuzz/fuzz_mtasts.c - fuzz harness for policy/mtasts.c: what a recipient domain's DNS
 * and web server say about MTA-STS (RFC 8461).  Input: first octet 't' - the rest is one
 * _mta-sts TXT record (its strings joined); anything else - the rest is a policy file as
 * fetched over HTTPS (not NUL-terminated, any line ends).  Both then meet mx patterns.
 * Contract checked: no crash, no sanitizer report; a TXT record parsed OK has an id of 1 to
 * MTASTS_MAX_ID letters and digits; WHY is NUL-terminated within its size; a policy parsed OK
 * has a known mode, max_age <= MTASTS_MAX_AGE, at most MTASTS_MAX_MX patterns, at least one
 * unless the mode is none, each pattern lower-case letters, digits, '-', '.' (and a leading
 * "*."), NUL-terminated within its slot, matching itself (a plain name) or one label under it
 * (a "*." pattern); mtasts_mx_match() of the input's own text against each pattern does not
 * crash.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* why_ok - WHY is terminated within LEN */
static void why_ok(const char *why, size_t len)
{
	if (strnlen(why, len) == len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];
	char *copy;

	if (size == 0)
		return 0;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	if (data[0] == 't') {
		struct mtasts_txt t;
		enum mtasts_txt_status s = mtasts_parse_txt(copy, size - 1, &t, why, sizeof(why));
		why_ok(why, sizeof(why));
		if (s == MTASTS_TXT_OK) {
			size_t n = strnlen(t.id, sizeof(t.id));
			if (n == 0 || n > MTASTS_MAX_ID)
				abort();
			for (size_t i = 0; i < n; i++)
				if (!isalnum((unsigned char)t.id[i]))
					abort();
		}
	} else {
		struct mtasts_policy *p = malloc(sizeof(*p));
		if (p == NULL) {
			free(copy);
			return 0;
		}
		if (mtasts_parse_policy(copy, size - 1, p, why, sizeof(why))) {
			char host[MTASTS_MAX_NAME + 8];
			if (p->mode != MTASTS_MODE_NONE && p->mode != MTASTS_MODE_TESTING &&
			    p->mode != MTASTS_MODE_ENFORCE)
				abort();
			if (p->max_age > MTASTS_MAX_AGE || p->n_mx > MTASTS_MAX_MX ||
			    (p->mode != MTASTS_MODE_NONE && p->n_mx == 0))
				abort();
			for (size_t i = 0; i < p->n_mx; i++) {
				const char *m = p->mx[i];
				size_t n = strnlen(m, sizeof(p->mx[i]));
				if (n == 0 || n == sizeof(p->mx[i]))
					abort();
				for (size_t k = 0; k < n; k++)
					if (!(islower((unsigned char)m[k]) || isdigit((unsigned char)m[k]) ||
					      m[k] == '-' || m[k] == '.' || (k == 0 && m[k] == '*')))
						abort();
				if (m[0] == '*') {
					snprintf(host, sizeof(host), "x%s", m + 1);
					if (!mtasts_mx_match(m, host) || mtasts_mx_match(m, m + 2))
						abort();
				} else if (!mtasts_mx_match(m, m) || mtasts_policy_match(p, m) == NULL) {
					abort();
				}
				(void)mtasts_mx_match(m, copy);
			}
		} else {
			why_ok(why, sizeof(why));
		}
		free(p);
	}
	free(copy);
	return 0;
}
