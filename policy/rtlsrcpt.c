/*
 * policy/rtlsrcpt.c - REQUIRETLS at RCPT: the verdict from what the lookups found.
 * Contract and decision order: see rtlsrcpt.h.  Pure C, no I/O.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "rtlsrcpt.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"

/* the words for the results and paths, indexed by their enums */
const char *const rtlsrcpt_result_names[3] = { "pass", "fail", "temperror" };
const char *const rtlsrcpt_path_names[4] = { "no", "ok", "temp", "bogus" };

/* rtlsrcpt_required - REQUIRETLS parameter or a require_tls rule known at RCPT */
bool rtlsrcpt_required(const struct pw_config *cfg, const struct pw_policy *pol,
		       const struct rtls_facts *f, const struct pw_rule **rule)
{
	struct rtls_facts g = *f;
	struct rtls_verdict v;

	/* header fields come after RCPT: decide as if there were none */
	g.n_fields = 0;
	g.value = RTLS_HV_EMPTY;
	g.field_name = NULL;
	rtls_decide(cfg, pol, &g, &v);
	if (rule != NULL)
		*rule = v.rule;
	return v.tag == RTLS_TAG_REQUIRED;
}

/* rtlsrcpt_exempt - the first exempt pattern DOMAIN matches */
const char *rtlsrcpt_exempt(const struct pw_config *cfg, const char *domain)
{
	for (size_t i = 0; domain != NULL && i < cfg->n_requiretls_exempt_domains; i++)
		if (pw_domain_match(cfg->requiretls_exempt_domains[i], domain))
			return cfg->requiretls_exempt_domains[i];
	return NULL;
}

/* clean - copy S into the reply text at OUT (LEN): no '%' (libmilter formats replies), no
 * control characters, nothing past the size */
static void clean(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < len; s++) {
		unsigned char c = (unsigned char)*s;
		out[o++] = c == '%' ? 'p' : (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	out[o] = '\0';
}

/* rtlsrcpt_decide - the verdict (see the order in rtlsrcpt.h) */
void rtlsrcpt_decide(const struct pw_config *cfg, const struct rtlsrcpt_facts *f,
		     struct rtlsrcpt_verdict *v)
{
	char t[1024];
	const char *d = f->domain != NULL ? f->domain : "";

	memset(v, 0, sizeof(*v));
	if (f->dane == RTLSRCPT_OK || (f->dane != RTLSRCPT_BOGUS && f->sts == RTLSRCPT_OK)) {
		v->result = RTLSRCPT_PASS;
		v->via = f->dane == RTLSRCPT_OK ? "dane" : "mta-sts";
		return;
	}
	if (f->dane == RTLSRCPT_BOGUS) {
		v->result = RTLSRCPT_TEMPERROR;
		v->code = "451";
		v->xcode = "4.7.5";
		snprintf(t, sizeof(t), "REQUIRETLS: DNSSEC validation failed for %s (%s), "
			 "try again later", d, f->dane_why);
	} else if (f->dane == RTLSRCPT_TEMP || f->sts == RTLSRCPT_TEMP) {
		v->result = RTLSRCPT_TEMPERROR;
		v->code = "451";
		v->xcode = "4.7.0";
		snprintf(t, sizeof(t), "REQUIRETLS: cannot check %s now (%s), try again later", d,
			 f->dane == RTLSRCPT_TEMP ? f->dane_why : f->sts_why);
	} else {
		v->result = RTLSRCPT_FAIL;
		v->code = "550";
		v->xcode = "5.7.30";
		snprintf(t, sizeof(t), "REQUIRETLS: %s has no DNSSEC-signed MX with DANE TLSA "
			 "records and no MTA-STS policy in enforce mode (DANE: %s; MTA-STS: %s)", d,
			 f->dane_why, f->sts_why);
	}
	clean(v->text, sizeof(v->text), t);
	v->act = cfg->requiretls_recipient_check == PW_RCPT_CHECK_REJECT;
}
