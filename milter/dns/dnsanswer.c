/*
 * milter/dns/dnsanswer.c - the answer of a validated lookup: freeing, copying, naming, TXT.
 * Contract: see dnsanswer.h.
 */
#include "build-config.h"
#include "dnsanswer.h"

#include <stdlib.h>
#include <string.h>

/* dns_answer_clear - free */
void dns_answer_clear(struct dns_answer *a)
{
	if (a->rrs)
		ldns_rr_list_deep_free(a->rrs);
	memset(a, 0, sizeof(*a));
}

/* dns_answer_copy - deep copy */
bool dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src)
{
	*dst = *src;
	if (src->rrs != NULL && (dst->rrs = ldns_rr_list_clone(src->rrs)) == NULL) {
		memset(dst, 0, sizeof(*dst));
		return false;
	}
	return true;
}

/* dns_security_name - text */
const char *dns_security_name(enum dns_security s)
{
	switch (s) {
	case DNS_SEC_SECURE:
		return "secure";
	case DNS_SEC_INSECURE:
		return "insecure";
	case DNS_SEC_BOGUS:
		return "bogus";
	case DNS_SEC_INDETERMINATE:
		break;
	}
	return "indeterminate";
}

/* dns_kind_name - text */
const char *dns_kind_name(enum dns_kind k)
{
	switch (k) {
	case DNS_ANSWER:
		return "ANSWER";
	case DNS_NODATA:
		return "NODATA";
	case DNS_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_TEMPFAIL:
		break;
	}
	return "TEMPFAIL";
}

/* dns_txt_join - concatenate the character-strings of TXT record I */
char *dns_txt_join(const struct dns_answer *a, size_t i)
{
	ldns_rr *rr;
	size_t total = 0, used = 0;
	char *s;

	if (a->rrs == NULL || i >= ldns_rr_list_rr_count(a->rrs))
		return NULL;
	rr = ldns_rr_list_rr(a->rrs, i);
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT)
		return NULL;
	for (size_t k = 0; k < ldns_rr_rd_count(rr); k++)
		if (ldns_rr_rdf(rr, k) != NULL)
			total += ldns_rdf_size(ldns_rr_rdf(rr, k));
	if ((s = malloc(total + 1)) == NULL)
		return NULL;
	for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, k);
		const uint8_t *d = f ? ldns_rdf_data(f) : NULL;
		size_t n = f ? ldns_rdf_size(f) : 0;
		if (n == 0 || d == NULL)
			continue;
		size_t len = d[0] < n - 1 ? d[0] : n - 1;	/* first octet: string length */
		memcpy(s + used, d + 1, len);
		used += len;
	}
	s[used] = '\0';
	return s;
}
