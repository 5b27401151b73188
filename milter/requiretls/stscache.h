/*
 * milter/requiretls/stscache.h - the MTA-STS policies postward has fetched, shared by every
 * milter thread and kept across configuration reloads (RFC 8461 section 5.1: a policy is used
 * for its max_age, and fetched again when the _mta-sts TXT record's id changes).
 *
 * One entry per recipient domain: the TXT id it was fetched under, the parsed policy, and the
 * time it expires (fetch time + max_age).  stscache_get() copies an unexpired entry out;
 * stscache_put() stores one, replacing the domain's old entry.  At most CAP entries (the
 * caller passes requiretls_mta_sts_cache_size on every put, so a reload that lowers it takes
 * effect at the next put): when full, expired entries go first, then the least recently
 * used.  Lookups are a linear scan: the table is small (thousands of domains at most) and the
 * scan is far cheaper than the DNS lookups every check makes anyway.
 *
 * Lock: one mutex (cache_lock in stscache.c) guards the whole table; it is a leaf lock, held
 * only to find, copy, insert or evict, never across a DNS lookup or an HTTPS fetch.  Two
 * threads that miss at once both fetch; the later put wins (same content, usually).
 * Memory: entries are malloc'd when first stored and freed by stscache_clear() (at exit).
 *
 * Failed fetches: stscache_fail_put() remembers that DOMAIN's policy under TXT id ID could not
 * be had (no policy: HTTP 404/410 or an invalid file; or a temporary failure: no connection,
 * a timeout, a certificate that did not verify) for STSCACHE_FAIL_TTL seconds, and
 * stscache_fail_get() answers from it, so that the recipients of a domain whose policy server
 * hangs do not each wait requiretls_mta_sts_timeout again (a sender could otherwise tie up
 * milter threads with one message of many such recipients).  A new TXT id is not remembered
 * as failed: it is fetched at once.  At most STSCACHE_FAIL_SLOTS domains (the oldest goes);
 * same lock, fixed memory.
 */
#ifndef POSTWARD_MILTER_STSCACHE_H
#define POSTWARD_MILTER_STSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mtasts.h"

struct stscache_stats {
	size_t entries;
	unsigned long hits, misses, evictions;
};

/* stscache_get - DOMAIN's policy if one is cached and unexpired at NOW: true with *POL, its
 * TXT id in ID (MTASTS_MAX_ID + 1 octets) and its expiry in *EXPIRES */
bool stscache_get(const char *domain, time_t now, struct mtasts_policy *pol, char *id,
		  time_t *expires);
/* stscache_put - store DOMAIN's policy POL fetched under ID at NOW (kept max_age seconds),
 * keeping at most CAP entries; false for lack of memory (nothing changed) */
bool stscache_put(const char *domain, const char *id, const struct mtasts_policy *pol,
		  time_t now, size_t cap);
#define STSCACHE_FAIL_TTL 60		/* seconds a failed fetch is remembered */
#define STSCACHE_FAIL_SLOTS 256

/* stscache_fail_get - did a fetch of DOMAIN's policy under ID fail less than
 * STSCACHE_FAIL_TTL seconds before NOW: true with *NOTFOUND (no policy, else temporary), the
 * reason in WHY and the time of the failure in *WHEN */
bool stscache_fail_get(const char *domain, const char *id, time_t now, bool *notfound,
		       char *why, size_t whylen, time_t *when);
/* stscache_fail_put - remember that the fetch of DOMAIN's policy under ID failed at NOW */
void stscache_fail_put(const char *domain, const char *id, bool notfound, const char *why,
		       time_t now);
/* stscache_stats - the counters */
void stscache_stats(struct stscache_stats *s);
/* stscache_clear - forget everything (at exit, or tests) */
void stscache_clear(void);

#endif
