/*
 * milter/dns/dnscache.h - the validated-answer cache shared by every milter thread.
 *
 * Keys are (owner name in canonical form, RR type).  Values are whole validated results
 * (struct dns_answer: kind, DNSSEC status, the RRset) with an absolute expiry time chosen by
 * the validator (min(TTL, signature validity) for positive answers, RFC 2308 for negative).
 * The cache has two parts of at most `capacity` entries each, with an LRU list each: the
 * chain of trust (DNSKEY and DS results) and everything else (answers).  Inserting into a
 * full part evicts that part's least recently used entry, so a stream of answers for many
 * names never evicts the DNSKEY and DS records every validation needs (with them gone, each
 * lookup would walk from the anchor again and ask the same DNSKEY queries hundreds of times a
 * second, which rate-limiting servers answer by dropping replies: lookups stalled for a whole
 * timeout).  dnscache_get() hands out a deep copy (ldns objects are not shared).
 *
 * Locking: one mutex (struct dnscache.lock) guards the table, the LRU list and the counters;
 * it is a leaf lock, held only for the table operation and the copy, never across I/O.
 */
#ifndef POSTWARD_MILTER_DNSCACHE_H
#define POSTWARD_MILTER_DNSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnsanswer.h"

struct dnscache;

struct dnscache_stats {
	unsigned long hits, misses, inserts, evictions, expired;
	size_t entries, capacity;	/* entries in both parts; capacity of each part */
	size_t chain_entries;		/* of which DNSKEY and DS */
};

/* dnscache_new - an empty cache of CAPACITY entries (at least 1); NULL on lack of memory */
struct dnscache *dnscache_new(size_t capacity);
/* dnscache_clear - drop every entry (the counters stay) */
void dnscache_clear(struct dnscache *c);
/* dnscache_free - release the cache and everything in it */
void dnscache_free(struct dnscache *c);
/* dnscache_get - copy a live entry into *out (caller frees with dns_answer_clear); false if
 * absent or expired at NOW */
bool dnscache_get(struct dnscache *c, const ldns_rdf *name, ldns_rr_type type, time_t now,
		  struct dns_answer *out);
/* dnscache_put - store a copy of *a until EXPIRES (replacing an older entry) */
void dnscache_put(struct dnscache *c, const ldns_rdf *name, ldns_rr_type type,
		  const struct dns_answer *a, time_t expires);
/* dnscache_get_stats - the counters */
void dnscache_get_stats(struct dnscache *c, struct dnscache_stats *s);

#endif
