/*
 * milter/dns/dns.h - postward's own DNSSEC-validating stub resolver, on ldns primitives.
 *
 * dns_lookup() asks the configured servers (with the DO and CD bits, so that a validating
 * upstream hands over even data it thinks bogus) and validates every answer itself, walking
 * the chain of trust from a configured trust anchor: DNSKEY RRsets against DS records (or the
 * anchor), RRSIGs against DNSKEYs, and authenticated denial of existence with NSEC and NSEC3
 * (after the NSEC/NSEC3 RRsets' own signatures are verified here: NSEC NODATA and empty
 * non-terminals by our own check, NSEC NXDOMAIN by ldns_dnssec_verify_denial, NSEC3 entirely
 * by our own RFC 5155 section 8 proofs: matching record, closest encloser, next closer,
 * wildcard, opt-out), so that "no such record" and NXDOMAIN are proven.  Each answer carries
 * a status:
 *   DNS_SEC_SECURE        the chain of trust from the anchor holds;
 *   DNS_SEC_INSECURE      a signed parent proved (NSEC/NSEC3, or NSEC3 opt-out) that there is
 *                         no DS at a delegation on the way: the data is unsigned by design;
 *   DNS_SEC_BOGUS         anything else under an anchor: bad or missing signatures, expired
 *                         signatures, keys that match no DS, unproven denials;
 *   DNS_SEC_INDETERMINATE no trust anchor covers the name, or the lookup failed.
 * and a kind: ANSWER (with the RRset), NODATA, NXDOMAIN, or TEMPFAIL (timeout, SERVFAIL,
 * REFUSED, network error, query budget spent).  Callers treat BOGUS and TEMPFAIL as errors,
 * never as "no record".  The answer type and its functions are in dnsanswer.h (included here).
 *
 * Walk: the final question is asked first; the signer name of its answer (or of its denial)
 * says which zone must be trusted.  From the closest anchor down to that zone, every label is
 * checked with a DS query (served from the parent side), each secure DS leads to that zone's
 * DNSKEY RRset, and a proven DS-less delegation ends the walk as insecure.  Unsigned answers
 * walk down towards the name looking for that proof; without it they are bogus.  CNAMEs are
 * followed (at most 8); the chain's result is cached under the alias as well.  Every DS,
 * DNSKEY and final answer is cached (dnscache.h; DNSKEY and DS in a part of their own that
 * answers never evict, so a small cache does not re-walk the chain for every lookup), so a warm
 * cache answers without any query.
 *
 * Bounded work: each dns_lookup() may send at most dns_max_queries queries (RFC 5016 6.2: no
 * amplification); past that the answer is TEMPFAIL "query budget exhausted".
 *
 * Threads: a struct dns_resolver is shared by all threads (its cache has its own lock, the
 * table of queries on their way its own leaf lock, never held across a query; the rest is
 * read-only after dns_resolver_new()).  Concurrent lookups that need the same question send
 * it once; the others wait for that answer.  No ldns_resolver is shared: each lookup builds
 * its own, because an ldns_resolver reorders its server list on every send.
 */
#ifndef POSTWARD_MILTER_DNS_H
#define POSTWARD_MILTER_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnsanswer.h"

#define DNS_MAX_SERVERS 8

/* dns_transport_fn - a transport: hand the query QUERY (wire form, LEN octets) to a server
 * and return its answer in *ANSWER (wire form, malloc'd, the caller frees it) and *ANSWER_LEN;
 * false with WHY when there is none (timeout, network error).  Called from any lookup thread
 * at once.  The answer is checked as any other: it must be to the question asked (same ID,
 * name and type) and well-formed. */
typedef bool (*dns_transport_fn)(void *arg, const uint8_t *query, size_t len, uint8_t **answer,
				 size_t *answer_len, char *why, size_t why_len);

struct dns_config {
	struct {
		char addr[64];		/* IPv4 or IPv6 literal */
		uint16_t port;
	} servers[DNS_MAX_SERVERS];
	size_t n_servers;
	const char *trust_anchor_file;	/* DS or DNSKEY records in zone-file syntax */
	const char *trust_anchor_text;	/* the same as a string (used when no file is named) */
	unsigned timeout;		/* seconds per query attempt */
	unsigned max_queries;		/* per dns_lookup() */
	size_t cache_size;		/* entries */
	time_t (*clock)(void);		/* NULL = time(); tests may pin it */
	dns_transport_fn transport;	/* NULL = UDP (TCP on truncation) to servers[] in turn;
					 * else this, and servers[] may be empty */
	void *transport_arg;
};

struct dns_resolver;

/* dns_parse_servers - "IP[@PORT], ..." (blanks or commas) into cfg->servers; false + why */
bool dns_parse_servers(const char *text, struct dns_config *cfg, char *why, size_t len);
/* dns_servers_from_resolv_conf - the nameserver lines of a resolv.conf text */
size_t dns_servers_from_resolv_conf(const char *text, struct dns_config *cfg);
/* dns_resolver_new - load the trust anchors (file or text) and make a resolver; NULL + why on
 * error */
struct dns_resolver *dns_resolver_new(const struct dns_config *cfg, char *why, size_t len);
/* dns_resolver_cache_clear - forget every cached answer (lookups may be running) */
void dns_resolver_cache_clear(struct dns_resolver *r);
/* dns_resolver_free - release it (no lookup may be running) */
void dns_resolver_free(struct dns_resolver *r);
/* dns_lookup - resolve and validate NAME/TYPE into *out (always filled; free with
 * dns_answer_clear) */
void dns_lookup(struct dns_resolver *r, const char *name, ldns_rr_type type,
		struct dns_answer *out);
/* dns_resolver_cache_stats - the cache counters */
struct dnscache_stats;
void dns_resolver_cache_stats(struct dns_resolver *r, struct dnscache_stats *s);

/* counters of the queries a resolver sent (all threads) */
struct dns_query_stats {
	unsigned long sent;		/* queries handed to a server */
	unsigned long no_answer;	/* of which got no usable answer (timeout, network error) */
	unsigned long coalesced;	/* queries not sent: the same one was on its way */
	unsigned long waiting;		/* lookups waiting for such a query now */
};
/* dns_resolver_query_stats - the query counters */
void dns_resolver_query_stats(struct dns_resolver *r, struct dns_query_stats *s);

#endif
