/*
 * milter/lists/pool.h - the worker pool that turns each accepted list post into one copy per
 * subscriber and hands the copies to the MTA.
 *
 * Flow: the milter thread reserves a queue slot (pool_reserve; a full queue means the
 * caller answers 451 4.3.1, and nothing is lost because nothing was accepted), commits the
 * post to the spool (spool.h) and submits the job id (pool_submit).  A worker takes the job,
 * loads it from the spool, finds its list in the current snapshot, decrypts the post once
 * (pgp.h; S/MIME through smime.h with the list's key and certificate), fetches every
 * subscriber key in one go (pgp.h caches them while the keyring is unchanged), and for each
 * subscriber not yet marked done in the spool:
 *   - key usable: builds the copy (copies.h: openpgp.h's new PKESK in front of the unchanged
 *     encrypted data, or smime.h's CMS with only that subscriber's RecipientInfo; listpost.h:
 *     the MIME around it) on list_build_threads builder threads (fanout.h, a bounded window
 *     ahead of the sending), sends the copies in order (smtp.h, the worker's own connection,
 *     from the list's bounce address), and marks each done once the MTA said 250; the
 *     PKESK is v6 before SEIPDv2 data, v3 otherwise; for AEAD data (tag 20, SEIPDv2) only
 *     keys whose features announce that format get it as it came, the others one SEIPDv1
 *     packet made once per post from the packets gpg unwraps (openpgp.h opgp_seipd1);
 *   - OpenPGP key usable by gpg but of an algorithm the re-wrap cannot serve (pgp.h
 *     gpg_only): the same, but the builder thread has gpg encrypt the poster's OpenPGP
 *     message (unwrapped once per post) to that subscriber's subkey alone;
 *   - key expired, revoked, missing, or without an encryption subkey: marks it failed (logged
 *     at info level every post), puts it in the owner's report, and after the fan-out sends
 *     the subscriber a short plain notice naming the reason (never the post) - once per key
 *     state: the list's notice ledger (notices.h) says who was told about what;
 *   - MTA answer 5xx: marks it failed, owner's report; 4xx or no connection: the worker keeps
 *     the job and tries again after a pause that doubles from 5 s up to 10 minutes, until
 *     the job is list_max_queue_time old: then the copy is marked failed and reported.
 * Keys not refreshed for list_key_max_age days are warned about in the log and the report.
 * When every subscriber is marked, the owner gets one report (if anything failed or was
 * warned about) and the job leaves the spool.  Notices and reports use the null sender.
 *
 * At start, jobs already in the spool (a crash, a kill -9, a stop in the middle) are resumed
 * before new ones; a copy whose acceptance was not recorded is sent again, so every
 * subscriber gets the post at least once.  pool_stop() lets each worker finish the copy in
 * hand, syncs the progress, and leaves the rest in the spool for the next start.
 *
 * Threads and locks: struct pool's queue (ring of job ids, reserved count, backlog of resumed
 * ids, stopping flag) is guarded by pool->lock, with pool->cond signalled on every change.
 * Everything a worker touches for a job is its own (spool job, keys, SMTP client) or
 * read-only while its builder threads run (fanout.h); the snapshot is reference-counted.  Lock order: pool->lock is a leaf; it is never held while
 * doing I/O.  The gpg fallback's lock (one per post, run_openpgp) guards the unwrapped message
 * made by the first builder that needs it.  The notice ledger's lock (notices.h) is taken
 * without any other and held while the worker sends that post's notices.
 */
#ifndef POSTWARD_MILTER_POOL_H
#define POSTWARD_MILTER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

struct pool_config {
	struct spool *spool;		/* borrowed; outlives the pool */
	unsigned workers;		/* list_workers */
	unsigned queue_size;		/* list_queue_size */
	const char *helo;		/* name the SMTP client gives */
};

struct pool;

/* pool_start - start the workers and queue the jobs already in the spool; NULL + why */
struct pool *pool_start(const struct pool_config *cfg, char *why, size_t len);
/* pool_reserve - take a queue slot for a post about to be committed; false: queue full */
bool pool_reserve(struct pool *p);
/* pool_cancel - give back a reserved slot (the commit failed) */
void pool_cancel(struct pool *p);
/* pool_submit - queue committed job ID in the slot reserved for it */
void pool_submit(struct pool *p, const char *id);
/* pool_stop - stop after the copies in hand; join the workers; free (NULL is fine) */
void pool_stop(struct pool *p);
/* pool_pending - jobs queued or in hand (for logs and tests) */
size_t pool_pending(struct pool *p);

#endif
