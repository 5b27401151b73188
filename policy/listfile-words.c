/*
 * policy/listfile-words.c - the checks of single words in list files: addresses
 * (local@domain, see listfile.h), OpenPGP v4 fingerprints, well-formed UTF-8.
 * Contract: see listfile-int.h; listfile.c calls these for its statements and reports
 * their WHY as "FILE:LINE: ...".  Pure C, no I/O.
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

#include "addr.h"

#define MAX_LOCAL 64		/* bytes of a local part (RFC 5321 4.5.3.1.1) */
#define MAX_ADDR 254		/* bytes of an address (RFC 5321 4.5.3.1.3, less the "<>") */

/* ---- words: addresses, fingerprints, text --------------------------------------------- */

/* lf_utf8_valid - is S (N bytes) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF) */
bool lf_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1fu;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0fu;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07u;
			min = 0x10000;
		} else {
			return false;
		}
		if (k >= n - i)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* lf_addr_parse - check an address word (see listfile.h); on success *OUT is an owned copy with
 * the domain lower-cased and its trailing dot dropped.  1 = good; 0 = bad, WHY says why;
 * -1 = out of memory */
int lf_addr_parse(const char *w, char **out, char *why, size_t whylen)
{
	size_t n = strlen(w), n_at = 0, nlocal, ndom;
	const char *at = NULL, *dom;
	bool quoted = false;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (quoted) {
			if (w[i] == '\\' && i + 1 < n)
				i++;
			else if (w[i] == '"')
				quoted = false;
		} else if (w[i] == '"') {
			quoted = true;
		} else if (w[i] == '<' || w[i] == '>') {
			snprintf(why, whylen, "angle brackets are not allowed; write the bare "
				 "address");
			return 0;
		} else if (w[i] == '@') {
			n_at++;
			at = w + i;
		}
	}
	if (quoted) {
		snprintf(why, whylen, "unbalanced double quote");
		return 0;
	}
	if (n_at == 0) {
		snprintf(why, whylen, "no \"@\" (expected local@domain)");
		return 0;
	}
	if (n_at > 1) {
		snprintf(why, whylen, "more than one \"@\" outside quotes");
		return 0;
	}
	nlocal = (size_t)(at - w);
	if (nlocal == 0) {
		snprintf(why, whylen, "empty local part");
		return 0;
	}
	if (nlocal > MAX_LOCAL) {
		snprintf(why, whylen, "local part longer than %d bytes", MAX_LOCAL);
		return 0;
	}
	quoted = false;
	for (size_t i = 0; i < nlocal; i++) {
		if (quoted) {
			if (w[i] == '\\' && i + 1 < nlocal)
				i++;
			else if (w[i] == '"')
				quoted = false;
		} else if (w[i] == '"') {
			quoted = true;
		} else if (strchr("()[]\\,;:", w[i]) != NULL) {
			snprintf(why, whylen, "'%c' in the local part must be quoted", w[i]);
			return 0;
		}
	}
	if (!lf_utf8_valid(w, nlocal)) {
		snprintf(why, whylen, "local part is not valid UTF-8");
		return 0;
	}
	dom = at + 1;
	ndom = n - nlocal - 1;
	if (ndom == 0) {
		snprintf(why, whylen, "no domain after \"@\"");
		return 0;
	}
	if (!pw_domain_valid(dom, false)) {
		snprintf(why, whylen, "\"%.100s\" is not a domain name", dom);
		return 0;
	}
	if (dom[ndom - 1] == '.')
		ndom--;
	if (nlocal + 1 + ndom > MAX_ADDR) {
		snprintf(why, whylen, "longer than %d bytes", MAX_ADDR);
		return 0;
	}
	if ((*out = malloc(nlocal + 1 + ndom + 1)) == NULL)
		return -1;
	memcpy(*out, w, nlocal + 1);
	for (size_t i = 0; i < ndom; i++)
		(*out)[nlocal + 1 + i] = (char)lf_fold((unsigned char)dom[i]);
	(*out)[nlocal + 1 + ndom] = '\0';
	return 1;
}

/* hex_digit - is C 0-9, a-f or A-F */
static bool hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* lf_fpr_parse - a v4 fingerprint, 40 hex digits, into OUT in upper case; WHY on failure */
bool lf_fpr_parse(const char *w, char out[PW_LIST_FPR_LEN + 1], char *why, size_t whylen)
{
	size_t n = strlen(w);

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		snprintf(why, whylen, "write it without \"0x\"");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!hex_digit(w[i])) {
			snprintf(why, whylen, "character %zu is not a hex digit", i + 1);
			return false;
		}
	if (n != PW_LIST_FPR_LEN) {
		snprintf(why, whylen, "expected %d hex digits (a v4 fingerprint), got %zu",
			 PW_LIST_FPR_LEN, n);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = w[i] >= 'a' && w[i] <= 'f' ? (char)(w[i] - ('a' - 'A')) : w[i];
	out[n] = '\0';
	return true;
}
