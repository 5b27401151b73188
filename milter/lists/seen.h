/*
 * milter/lists/seen.h - the seen-set of signed commands: a command to LIST-request runs at
 * most once, and only while its signature is fresh.
 *
 * The worker hands in, for a command message whose signature verified, a digest that names
 * that signature (seen_digest(): a hash over the signer's fingerprint, the signature's
 * creation time and the signed data), the signature's creation time, the time now and the
 * list's window (list file "command_window SECONDS", default 3600).  The answer:
 *   SEEN_FUTURE    created more than SEEN_SKEW seconds after now (a clock too far ahead);
 *   SEEN_TOO_OLD   created more than WINDOW seconds before now;
 *   SEEN_REPLAYED  the digest is in the set: this very signature was seen already;
 *   SEEN_FULL      SEEN_MAX_ENTRIES commands within the window already: refused, not added;
 *   SEEN_FRESH     none of these: the digest is now in the set, on disk;
 *   SEEN_ERROR     the set could not be read or written: WHY says why; run nothing.
 * Entries created more than WINDOW seconds ago are pruned when the set is written: a
 * signature that old is TOO_OLD anyway, so the set stays small and replays stay refused.
 * The entry is on disk before FRESH is returned, so the worker runs the command after the
 * call: a crash in between loses that command (at most once; the requester sends it anew)
 * and never runs it twice.
 *
 * Storage: DIR/seen/NAME (ledger.h: NAME from the list address, replaced whole and
 * crash-safely), one line per entry: the digest in lower-case hex, a space, the creation
 * time in seconds since the epoch.  Lines that do not parse are dropped on reading; a file
 * larger than SEEN_MAX_FILE is refused (SEEN_ERROR), not trusted in part.
 *
 * Threads: one process-wide lock is held for the whole of a call, so two workers with the
 * same command never both see it FRESH.  No state between calls but the files.
 */
#ifndef POSTWARD_MILTER_SEEN_H
#define POSTWARD_MILTER_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SEEN_SKEW		300		/* seconds a signature may be ahead of us */
#define SEEN_DIGEST_MAX		64		/* octets of a digest */
#define SEEN_DIGEST_SHA256	32		/* octets of seen_digest()'s */
#define SEEN_MAX_ENTRIES	10000		/* commands per list within one window */
#define SEEN_MAX_FILE		(SEEN_MAX_ENTRIES * (2 * SEEN_DIGEST_MAX + 24))

enum seen_verdict { SEEN_FRESH, SEEN_REPLAYED, SEEN_TOO_OLD, SEEN_FUTURE, SEEN_FULL,
		    SEEN_ERROR };

/* seen_check_and_add - the verdict on the signature DIGEST (DLEN octets, 1 to
 * SEEN_DIGEST_MAX) created at SIG_CREATED for LIST, whose spool directory is DIR, at NOW
 * with a window of WINDOW seconds (> 0); see the top comment.  WHY gets the reason of
 * SEEN_ERROR */
enum seen_verdict seen_check_and_add(const char *dir, const char *list,
				     const unsigned char *digest, size_t dlen, time_t sig_created,
				     time_t now, time_t window, char *why, size_t whylen);
/* seen_digest - a digest naming a signature, for seen_check_and_add(): SHA-256 over the
 * signer's fingerprint FPR, a NUL, its creation time CREATED in decimal, a NUL and the
 * signed data DATA (LEN octets; the decrypted content) into OUT; false if OpenSSL fails */
bool seen_digest(const char *fpr, time_t created, const void *data, size_t len,
		 unsigned char out[SEEN_DIGEST_SHA256]);
/* seen_verdict_name - "fresh", "replayed", "too-old", "future", "full", "error" */
const char *seen_verdict_name(enum seen_verdict v);

#endif
