/*
 * tests/fuzz/fuzz_practice.c - fuzz harness for policy/practice: DMARC and ADSP records (TXT
 * answers from any author domain's DNS), the choice of the DMARC record among several TXT
 * strings, the Organizational Domain and alignment of untrusted names, and the Public
 * Suffix List reader.
 *
 * Input contract: the first octet picks the function, the rest is its input.  The letters
 * below are what the seeds use; any other octet picks by its value modulo 6.
 *   'd'  DMARC: pw_dmarc_is_record and pw_dmarc_parse on the rest (NUL-terminated copy)
 *   'a'  ADSP: pw_adsp_parse on the rest
 *   's'  pw_dmarc_select over the rest split at NUL octets (the strings of one TXT RRset)
 *   'o'  two names separated by a NUL (From domain, d= or SPF domain): public suffix,
 *        Organizational Domain and strict/relaxed alignment under a built-in list excerpt
 *   'p'  the rest as a Public Suffix List text (pointer and length, not NUL-terminated),
 *        then Organizational Domains of a few fixed names under it
 *   'i'  the same with PW_PSL_ICANN_ONLY
 * Contract checked: no crash, no sanitizer report; outputs NUL-terminated within their
 * buffers; rua/ruf spans inside the input; a valid record has p, sp and np (RFC 9989) and
 * is not no_policy; psd is y, n or u; strict alignment implies relaxed;
 * alignment is symmetric.
 * The built-in list is parsed afresh for each input and freed: nothing outlives a run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "practice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an excerpt of publicsuffix.org's list: plain, wildcard, exception and private rules */
static const char psl_excerpt[] =
	"// ===BEGIN ICANN DOMAINS===\n"
	"com\norg\nnet\nuk\nco.uk\nac.uk\njp\nco.jp\n*.kawasaki.jp\n!city.kawasaki.jp\n"
	"*.ck\n!www.ck\nde\n\xe6\x97\xa5\xe6\x9c\xac\nxn--wgv71a\n"
	"// ===END ICANN DOMAINS===\n"
	"// ===BEGIN PRIVATE DOMAINS===\n"
	"blogspot.com\ngithub.io\n*.compute.amazonaws.com\n"
	"// ===END PRIVATE DOMAINS===\n";

/* check_name - a name written into OUT must fit and be terminated */
static void check_name(const char *out, size_t len)
{
	if (strnlen(out, len) == len)
		abort();
}

/* names - public suffix, org domain and alignment of A and B under PSL */
static void names(const struct pw_psl *psl, const char *a, const char *b)
{
	char out[256];
	out[0] = '\0';
	if (pw_psl_public_suffix(psl, a, out, sizeof out))
		check_name(out, sizeof out);
	out[0] = '\0';
	if (pw_psl_org_domain(psl, a, out, sizeof out))
		check_name(out, sizeof out);
	if (b != NULL) {
		bool strict = pw_dmarc_aligned(psl, a, b, true);
		bool relaxed = pw_dmarc_aligned(psl, a, b, false);
		if (strict && !relaxed)
			abort();
		if (strict != pw_dmarc_aligned(psl, b, a, true) ||
		    relaxed != pw_dmarc_aligned(psl, b, a, false))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char modes[] = "dasopi";
	const char *m = memchr(modes, data[0], 6);
	int mode = m != NULL ? (int)(m - modes) : data[0] % 6;
	size_t len = size - 1;
	char *s = malloc(len + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, len);
	s[len] = '\0';

	switch (mode) {
	case 0: {
		struct pw_dmarc_record r;
		bool is = pw_dmarc_is_record(s);
		bool valid = pw_dmarc_parse(s, &r);
		if (valid != r.valid || (valid && !is) || (valid && (r.p == PW_DMARC_P_UNSPEC || r.sp == PW_DMARC_P_UNSPEC ||
			      r.np == PW_DMARC_P_UNSPEC || r.no_policy)) ||
		    (unsigned)r.psd > PW_DMARC_PSD_N ||
		    strnlen(r.reason, sizeof r.reason) == sizeof r.reason ||
		    (valid && r.reason[0] != '\0') || (!valid && r.reason[0] == '\0'))
			abort();
		if ((r.rua != NULL && (r.rua < s || r.rua + r.rua_len > s + len)) ||
		    (r.ruf != NULL && (r.ruf < s || r.ruf + r.ruf_len > s + len)))
			abort();
		break;
	}
	case 1:
		if (pw_adsp_parse(s) > PW_ADSP_DISCARDABLE)
			abort();
		break;
	case 2: {
		const char *txt[64];
		size_t n = 0, idx = (size_t)-1;
		for (size_t off = 0; off <= len && n < 64; off += strlen(s + off) + 1)
			txt[n++] = s + off;
		size_t k = pw_dmarc_select(txt, n, &idx);
		if (k > n || (k == 1 && (idx >= n || !pw_dmarc_is_record(txt[idx]))))
			abort();
		break;
	}
	case 3: {
		struct pw_psl *psl = pw_psl_parse(psl_excerpt, sizeof psl_excerpt - 1, 0, NULL, 0);
		if (psl == NULL)
			abort();
		size_t alen = strlen(s);
		names(psl, s, alen < len ? s + alen + 1 : "");
		names(NULL, s, alen < len ? s + alen + 1 : NULL);
		pw_psl_free(psl);
		break;
	}
	default: {
		char err[128];
		err[0] = '\0';
		/* the exact input bytes, so a read past LEN is caught */
		char *text = malloc(len ? len : 1);
		if (text == NULL)
			break;
		memcpy(text, data + 1, len);
		struct pw_psl *psl = pw_psl_parse(text, len, mode == 5 ? PW_PSL_ICANN_ONLY : 0,
						 err, sizeof err);
		check_name(err, sizeof err);
		if (psl != NULL) {
			static const char *const probe[] = {
				"example.com", "www.example.co.uk", "a.b.city.kawasaki.jp",
				"x.y.kawasaki.jp", "foo.github.io", "com", "a..b", "." };
			for (size_t i = 0; i < sizeof probe / sizeof *probe; i++)
				names(psl, probe[i], "mail.example.com");
			pw_psl_count(psl);
		}
		pw_psl_free(psl);
		free(text);
		break;
	}
	}
	free(s);
	return 0;
}
