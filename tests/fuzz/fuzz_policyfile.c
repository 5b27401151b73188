/*
 * tests/fuzz/fuzz_policyfile.c - fuzz harness for policy/policyfile (and the "practice"
 * statements it hands to policy/senderpolicy): REQUIRETLS rules and sender-practice rules.
 *
 * Input contract: one or more policy files separated by NUL octets, parsed in order into one
 * pw_policy as the daemon parses several policy_files; each file's text is handed over as
 * read (pointer and length, not NUL-terminated, so a read past the end is caught).
 * After parsing, the parsed practice rules decide a fixed set of DMARC/ADSP results.
 * Contract checked: no crash, no sanitizer report, no leak (policy and diagnostics freed
 * each run); every rule names its file and a line; decisions' texts are NUL-terminated, and
 * reply texts hold no control character or '%'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* decide - run the parsed rules over a few results and check what they write */
static void decide(const struct pw_policy *p)
{
	static const enum pw_dmarc_result dr[] = { PW_DMARC_R_NONE, PW_DMARC_R_PASS,
		PW_DMARC_R_FAIL, PW_DMARC_R_TEMPERROR, PW_DMARC_R_PERMERROR };
	static const enum pw_adsp_result ar[] = { PW_ADSP_R_NONE, PW_ADSP_R_FAIL,
		PW_ADSP_R_DISCARD, PW_ADSP_R_NXDOMAIN, PW_ADSP_R_TEMPERROR };
	for (size_t i = 0; i < sizeof dr / sizeof *dr; i++) {
		struct pw_sp_result res;
		struct pw_sp_decision dec;
		memset(&res, 0, sizeof res);
		res.adsp_checked = res.dmarc_checked = true;
		strcpy(res.from_domain, "example.com");
		res.dmarc = dr[i];
		res.adsp = ar[i];
		res.dmarc_sec = i & 1 ? PW_SP_SECURE : PW_SP_INSECURE;
		res.adsp_sec = i & 2 ? PW_SP_SECURE : PW_SP_NOLOOKUP;
		res.dmarc_policy = PW_DMARC_P_REJECT;
		res.dmarc_disposition = dr[i] == PW_DMARC_R_FAIL ? PW_DMARC_P_REJECT
								 : PW_DMARC_P_NONE;
		pw_sp_decide(p->sp_rules, p->n_sp_rules, &res, &dec);
		if (strnlen(dec.code, sizeof dec.code) == sizeof dec.code ||
		    strnlen(dec.xcode, sizeof dec.xcode) == sizeof dec.xcode ||
		    strnlen(dec.text, sizeof dec.text) == sizeof dec.text ||
		    strnlen(dec.header, sizeof dec.header) == sizeof dec.header ||
		    pw_sp_action_name(dec.action) == NULL)
			abort();
		/* an SMTP reply text: no control character, no '%' (libmilter's format) */
		if (dec.action == PW_SP_REJECT || dec.action == PW_SP_TEMPFAIL)
			for (const char *c = dec.text; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '%')
					abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_policy p;
	struct pw_diags d = { 0 };
	memset(&p, 0, sizeof p);
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
		snprintf(name, sizeof name, "fuzz%u.policy", nfile++);
		pw_policy_parse(&p, name, text, len, &d);
		free(text);
		if (nul == NULL)
			break;
		part = nul + 1;
	}
	for (size_t i = 0; i < p.n_tls_rules; i++)
		if (p.tls_rules[i].file == NULL || p.tls_rules[i].line == 0 ||
		    p.tls_rules[i].pattern == NULL)
			abort();
	for (size_t i = 0; i < p.n_sp_rules; i++)
		if (p.sp_rules[i].file == NULL || p.sp_rules[i].line == 0)
			abort();
	decide(&p);
	char buf[512];
	for (size_t i = 0; i < d.n; i++)
		pw_diag_format(&d.v[i], buf, sizeof buf);
	pw_policy_free(&p);
	pw_diags_free(&d);
	return 0;
}
