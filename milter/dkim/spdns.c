/*
 * milter/dkim/spdns.c - sender-practice lookups (ADSP, DMARC) on postward's validating
 * resolver, for authres.c (the practices of every message) and milter/lists/fromrewrite.c (a
 * list's DMARC-aware From).  Contract: spdns.h.
 */
#include "spdns.h"

#include <stdio.h>
#include <stdlib.h>

#include "dkim.h"
#include "dns/dns.h"

struct spdns {
	struct dns_resolver *dns;
	spdns_warn_fn warn;
	void *warn_arg;
	size_t n;					/* lookups made */
	char *joined[SPDNS_MAX_LOOKUPS][DKIM_MAX_RECORDS];	/* owned */
	size_t n_joined[SPDNS_MAX_LOOKUPS];
	const char *txt[SPDNS_MAX_LOOKUPS][DKIM_MAX_RECORDS];
	char why[SPDNS_MAX_LOOKUPS][224];
};

/* spdns_new - the lookups of one evaluation on DNS; NULL for lack of memory */
struct spdns *spdns_new(struct dns_resolver *dns, spdns_warn_fn warn, void *arg)
{
	struct spdns *L = calloc(1, sizeof(*L));

	if (L != NULL) {
		L->dns = dns;
		L->warn = warn;
		L->warn_arg = arg;
	}
	return L;
}

/* spdns_lookup - pw_sp_lookup_fn on the validating resolver: bogus and failed lookups are
 * errors, never "no record" */
void spdns_lookup(void *arg, const char *name, bool txt, struct pw_sp_answer *out)
{
	struct spdns *L = arg;
	struct dns_answer a;
	size_t slot;

	out->kind = PW_SP_DNS_ERROR;
	out->secure = false;
	if (L->n == SPDNS_MAX_LOOKUPS) {
		out->why = "lookup limit reached";
		return;
	}
	slot = L->n++;
	dns_lookup(L->dns, name, txt ? LDNS_RR_TYPE_TXT : LDNS_RR_TYPE_A, &a);
	out->secure = a.sec == DNS_SEC_SECURE;
	if (a.kind == DNS_TEMPFAIL || a.sec == DNS_SEC_BOGUS) {
		snprintf(L->why[slot], sizeof(L->why[slot]), "%s %s: %s", dns_kind_name(a.kind),
			 dns_security_name(a.sec), a.why);
		out->why = L->why[slot];
		if (L->warn != NULL)
			L->warn(L->warn_arg, name, txt, L->why[slot]);
	} else if (a.kind == DNS_NXDOMAIN) {
		out->kind = PW_SP_DNS_NXDOMAIN;
	} else if (a.kind == DNS_NODATA) {
		out->kind = PW_SP_DNS_NODATA;
	} else {
		out->kind = PW_SP_DNS_RECORDS;
		for (size_t k = 0; txt && a.rrs && k < ldns_rr_list_rr_count(a.rrs) &&
		     L->n_joined[slot] < DKIM_MAX_RECORDS; k++) {
			char *j = dns_txt_join(&a, k);
			if (j == NULL)
				continue;
			L->joined[slot][L->n_joined[slot]] = j;
			L->txt[slot][L->n_joined[slot]++] = j;
		}
		out->txt = L->txt[slot];
		out->n_txt = L->n_joined[slot];
		if (txt && a.rrs && ldns_rr_list_rr_count(a.rrs) > DKIM_MAX_RECORDS) {
			/* more records than we look at: report them as several (none used) */
			out->n_txt = ldns_rr_list_rr_count(a.rrs);
			if (out->n_txt > DKIM_MAX_RECORDS)
				out->n_txt = DKIM_MAX_RECORDS;
		}
	}
	dns_answer_clear(&a);
}

/* spdns_free - release L and every answer it handed out (NULL is fine) */
void spdns_free(struct spdns *L)
{
	if (L == NULL)
		return;
	for (size_t i = 0; i < L->n; i++)
		for (size_t k = 0; k < L->n_joined[i]; k++)
			free(L->joined[i][k]);
	free(L);
}
