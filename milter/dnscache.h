/*
 * milter/dnscache.h - the validated-answer cache shared by every milter thread.
 *
 * Keys are (owner name in canonical form, RR type).  Values are whole validated results
 * (struct dns_answer: kind, DNSSEC status, the RRset) with an absolute expiry time chosen by
 * the validator (min(TTL, signature validity) for positive answers, RFC 2308 for negative).
 * The cache holds at most `capacity` entries; inserting into a full cache evicts the least
 * recently used entry.  dnscache_get() hands out a deep copy (ldns objects are not shared).
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

#include "dns.h"

struct dnscache;

struct dnscache_stats {
	unsigned long hits, misses, inserts, evictions, expired;
	size_t entries, capacity;
};

/* dnscache_new - an empty cache of CAPACITY entries (at least 1); NULL on lack of memory */
struct dnscache *dnscache_new(size_t capacity);
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
