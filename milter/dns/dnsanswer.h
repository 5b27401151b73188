/*
 * milter/dns/dnsanswer.h - the answer of a validated lookup, as the resolver hands it out
 * (dns.h) and the cache keeps it (dnscache.h).
 *
 * struct dns_answer carries a kind (ANSWER with the RRset, NODATA, NXDOMAIN, TEMPFAIL), a
 * DNSSEC status (dns.h says what each one means), how long it may be kept and a reason.  It
 * owns its RRset: dns_answer_clear() frees it, dns_answer_copy() makes a deep copy.  No lock,
 * no I/O.  A header of its own so that the resolver and its cache both use the type without
 * depending on each other's headers.
 */
#ifndef POSTWARD_MILTER_DNSANSWER_H
#define POSTWARD_MILTER_DNSANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

enum dns_kind { DNS_ANSWER, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMPFAIL };
enum dns_security { DNS_SEC_INDETERMINATE, DNS_SEC_SECURE, DNS_SEC_INSECURE, DNS_SEC_BOGUS };

struct dns_answer {
	enum dns_kind kind;
	enum dns_security sec;
	ldns_rr_list *rrs;		/* owned: the answer RRset (ANSWER only), else NULL */
	uint32_t ttl;			/* seconds the answer may be kept */
	char why[160];			/* for BOGUS / TEMPFAIL / INSECURE: the reason */
};

/* dns_answer_clear - free what *a owns */
void dns_answer_clear(struct dns_answer *a);
/* dns_answer_copy - deep copy; false on lack of memory */
bool dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src);
/* dns_security_name / dns_kind_name - "secure", "insecure", ...; "ANSWER", "NODATA", ... */
const char *dns_security_name(enum dns_security s);
const char *dns_kind_name(enum dns_kind k);
/* dns_txt_join - the character-strings of TXT record I joined (caller frees); NULL if none */
char *dns_txt_join(const struct dns_answer *a, size_t i);

#endif
