/*
 * milter/dns/dns-int.h - what the parts of the resolver share; included only inside milter/dns/.
 *
 * The resolver (contract: dns.h) is one module in six files, along the seams of a validation:
 *   dns.c         the public API: server lists, the resolver's life cycle, the lookup (ask,
 *                 classify, walk, verify, prove; CNAMEs)
 *   dns-query.c   asking: ldns's UDP/TCP sender or the pluggable transport, checks of every
 *                 answer, the query budget, coalescing of identical questions
 *   dns-chain.c   the chain of trust: trust anchors, DNSKEY RRsets trusted by DS or anchor,
 *                 the DS walk from the anchor down
 *   dns-sig.c     RRSIG verification of an RRset and of a denial's NSEC/NSEC3 records
 *   dns-denial.c  denial of existence: NSEC, NSEC3 (RFC 5155 section 8), wildcard expansions,
 *                 the negative TTL
 *   dns-util.c    helpers all of them use: reasons, names, record-field checks, RRsets and
 *                 RRSIGs out of a packet, TTLs, filling an answer
 * Calls go one way, no part calls back into one that calls it: dns.c uses all the others;
 * dns-chain.c uses dns-query.c, dns-denial.c and dns-sig.c; dns-denial.c uses dns-sig.c;
 * every part uses dns-util.c, which uses none.
 *
 * Threads and locks: see dns.h and the fields of struct dns_resolver below; a struct walk and a
 * struct trust live on one lookup's stack.
 */
#ifndef POSTWARD_MILTER_DNS_INT_H
#define POSTWARD_MILTER_DNS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns.h"

#define BOGUS_TTL 60		/* how long a bogus verdict is remembered */
#define MAX_TTL 86400		/* no answer is kept longer than a day */

struct flight;			/* a query on its way (dns-query.c) */

struct dns_resolver {
	struct dns_config cfg;		/* read-only after dns_resolver_new */
	ldns_rr_list *anchors;		/* DS and DNSKEY records; read-only */
	struct dnscache *cache;		/* has its own lock */
	atomic_ulong sent, no_answer;	/* query counters (atomic, no lock) */
	atomic_ulong coalesced, waiting;
	pthread_mutex_t flight_lock;	/* guards flights and every struct flight; leaf lock,
					 * never held across a query */
	pthread_cond_t flight_done;	/* broadcast when a flight is done */
	struct flight *flights;
};

/* per-lookup state; lives on one thread's stack */
struct walk {
	struct dns_resolver *r;
	unsigned queries;
	time_t now;
	int depth;
};

/* zone trust established by dns_walk_to() */
struct trust {
	enum dns_security sec;		/* SECURE, INSECURE, BOGUS, or INDETERMINATE (tempfail) */
	ldns_rdf *zone;			/* owned: deepest secure zone reached */
	ldns_rr_list *keys;		/* owned: its DNSKEY RRset (SECURE) */
	bool nxdomain;			/* a signed parent proved that the name does not exist */
	uint32_t ttl;			/* of that proof */
	char why[160];
};

/* what a denial proof established (dns_prove_denial) */
enum denial { DENY_FAIL, DENY_NODATA, DENY_NXDOMAIN, DENY_INSECURE_CUT };

/* dns-util.c */
void dns_setwhy(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void dns_dname_str(const ldns_rdf *d, char *buf, size_t len);
bool dns_same_name(const ldns_rdf *a, const ldns_rdf *b);
bool dns_under_or_same(const ldns_rdf *sub, const ldns_rdf *parent);
bool dns_rdf_uint(const ldns_rdf *f, size_t size, uint32_t *v);
bool dns_rr_wellformed(const ldns_rr *rr, char *why, size_t len);
bool dns_pkt_wellformed(const ldns_pkt *p, char *why, size_t len);
ldns_rr_list *dns_rrset(const ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *name,
			ldns_rr_type type);
ldns_rr_list *dns_sigs(const ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *name,
		       ldns_rr_type covered);
uint32_t dns_min_ttl(const ldns_rr_list *l, uint32_t def);
void dns_answer_set(struct dns_answer *a, enum dns_kind kind, enum dns_security sec,
		    ldns_rr_list *rrs, uint32_t ttl, const char *why);

/* dns-query.c */
bool dns_send_query(struct walk *w, const ldns_rdf *name, ldns_rr_type type, ldns_pkt **out,
		    char *why, size_t len);

/* dns-sig.c */
bool dns_verify_set(const struct walk *w, const ldns_rr_list *set, const ldns_rr_list *sg,
		    const ldns_rdf *zone, const ldns_rr_list *keys, uint32_t *ttl_bound,
		    const ldns_rr **used, char *why, size_t len);
bool dns_verify_denial_sets(const struct walk *w, const ldns_pkt *p, const ldns_rdf *zone,
			    const ldns_rr_list *keys, ldns_rr_type nsectype, ldns_rr_list **nsecs,
			    ldns_rr_list **nsigs, uint32_t *ttl, char *why, size_t len);

/* dns-denial.c */
uint32_t dns_negative_ttl(const ldns_pkt *p, uint32_t def);
enum denial dns_prove_denial(const struct walk *w, const ldns_pkt *p, const ldns_rdf *name,
			     ldns_rr_type type, const ldns_rdf *zone, const ldns_rr_list *keys,
			     uint32_t *ttl, char *why, size_t len);
bool dns_wildcard_proven(const struct walk *w, const ldns_pkt *p, const ldns_rdf *name,
			 const ldns_rr *sig, const ldns_rdf *zone, const ldns_rr_list *keys,
			 char *why, size_t len);

/* dns-chain.c */
ldns_rr_list *dns_load_anchors(const char *path, const char *text, char *why, size_t len);
const ldns_rdf *dns_closest_anchor(const struct dns_resolver *r, const ldns_rdf *name);
void dns_trust_clear(struct trust *t);
void dns_walk_to(struct walk *w, const ldns_rdf *anchor, const ldns_rdf *target,
		 struct trust *t);

#endif
