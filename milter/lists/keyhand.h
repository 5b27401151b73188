/*
 * milter/lists/keyhand.h - the session key of an OpenPGP post, handed in memory from the SMTP
 * session that checked the post (lists.c) to the worker that fans it out (pool.c), so that
 * the worker does not decrypt the post a second time.
 *
 * NAME
 *	keyhand - keyhand_put(), keyhand_take(), keyhand_drop(), keyhand_clear(),
 *	keyhand_stats()
 *
 * DESCRIPTION
 *	The session decrypts every OpenPGP post once to check it (gpg through gpgme, the session
 *	key exported).  Once the post is committed to the spool, keyhand_put() files what the
 *	worker needs from that decryption under the spool job id: the session key (algorithm,
 *	octets) and the length of the decrypted content (attest_decide's bound).  The worker's
 *	keyhand_take() for that job id gets it and removes it; when it is not there (the table
 *	was full, the entry expired, the daemon was restarted and the job resumed from the
 *	spool, or the job is tried again after a first attempt took it) the worker decrypts the
 *	post itself, as before.  No plaintext is handed over: a worker that needs the content
 *	itself (the attestation copy, attest.h) still decrypts.  Nothing here is ever written
 *	to disk: a restart loses the table, by design.
 *
 * SECRETS
 *	The table is one fixed block of KEYHAND_SLOTS entries, allocated once (page-aligned),
 *	locked in memory with mlock(2) where the process may (RLIMIT_MEMLOCK; keyhand_stats
 *	says whether it is) and kept out of core dumps (madvise MADV_DONTDUMP where the system
 *	has it).  An entry is wiped with OPENSSL_cleanse when it is taken, dropped, expired
 *	or cleared; the caller wipes its own copy (struct keyhand_secret) after use.
 *
 * LIMITS
 *	At most KEYHAND_SLOTS entries wait at a time: a put into a full table (after expired
 *	entries are dropped) is refused and that job's worker decrypts again.  An entry not
 *	taken within KEYHAND_TTL seconds of its put is dropped at the next call.  Job ids are
 *	at most KEYHAND_ID_MAX - 1 octets (spool ids are 36).
 *
 * THREADS
 *	One process-wide mutex guards the table; every function takes it for a bounded scan of
 *	KEYHAND_SLOTS entries and never calls out while holding it.  Any thread may call any
 *	function at any time (the table is made on first use).
 *
 * DIAGNOSTICS
 *	keyhand_put: false when the table is full, the id is too long, the key is longer than
 *	OPGP_MAX_SESSION_KEY, or the table could not be allocated; the caller logs and goes on
 *	(the worker decrypts).  keyhand_take: false when there is no entry for the id.
 */
#ifndef POSTWARD_MILTER_KEYHAND_H
#define POSTWARD_MILTER_KEYHAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "openpgp.h"

#define KEYHAND_SLOTS 256		/* posts waiting for a worker with their key in memory */
#define KEYHAND_TTL 600			/* seconds an entry waits to be taken */
#define KEYHAND_ID_MAX 48		/* job id octets, with the NUL */

/* what the worker needs from the session's decryption */
struct keyhand_secret {
	int algo;			/* the session key's symmetric algorithm (RFC 4880 id) */
	uint8_t key[OPGP_MAX_SESSION_KEY];
	size_t keylen;
	size_t plain_len;		/* octets of the decrypted content */
};

struct keyhand_stats {
	unsigned long put, taken, refused, expired, dropped;
	size_t waiting;			/* entries in the table now */
	bool locked;			/* the table is mlock'd */
};

/* keyhand_put - file S under job ID at time NOW (a copy; S stays the caller's); false: not
 * filed (the worker will decrypt) */
bool keyhand_put(const char *id, const struct keyhand_secret *s, time_t now);
/* keyhand_take - the entry of job ID into *OUT, removed from the table; false (and *OUT
 * zeroed): none, or it was older than KEYHAND_TTL at NOW */
bool keyhand_take(const char *id, struct keyhand_secret *out, time_t now);
/* keyhand_drop - forget job ID's entry, if any (a job given up before a worker took it) */
void keyhand_drop(const char *id);
/* keyhand_clear - wipe every entry (shutdown; tests) */
void keyhand_clear(void);
/* keyhand_stats - counters since the start, the current number of entries */
void keyhand_stats(struct keyhand_stats *st);

#endif
