/*
 * milter/lists/bounces.h - the bounce ledger of encrypted lists: a score per subscriber from
 * the bounces that came back to the list's -bounces address, and the subscribers disabled
 * because their score reached the list's threshold.
 *
 * Scores (Mailman 3's model): a hard bounce counts 1.0, a soft or an unknown one (a non-DSN
 * bounce, a DSN without a usable status) 0.5.  At most one bounce a day counts per
 * subscriber (the first of a UTC day; a list that posts ten times a day to a dead mailbox is
 * not ten times as quick to disable it); a bounce more than the stale period (b->stale,
 * BOUNCES_STALE = 7 days unless the caller changes it after bounces_begin) after the last one
 * counted starts the score over.  When a bounce brings the score to the threshold the caller
 * passes (the list's bounce_threshold) or above, the subscriber is disabled, with the time
 * and the reason: bounces_record() says so once (crossed), never again for later bounces,
 * until bounces_enable() forgets the subscriber (score, time and flag).  bounces_disable()
 * sets the flag without a bounce (delivery switched off by a signed command); the same
 * bounces_enable() clears it.  A disabled
 * subscriber's later bounces still update the score and the time (for the owner's report).
 * Addresses are matched as given, octet for octet: the caller passes the subscriber's
 * address as the list has it.
 *
 * Storage: one file per list in DIR/bounces/ (DIR: the list spool directory; names and the
 * crash-safe rewrite: ledger.h), one line per subscriber with a score or a flag:
 * "ADDRESS TAB SCORE TAB LAST TAB DISABLED TAB REASON", SCORE in halves written "2.5",
 * LAST and DISABLED in seconds since the epoch (DISABLED 0: enabled), REASON "-" when none.
 * Lines that do not parse are dropped on reading.  A bounce is recorded (bounces_end) before
 * the owner is told: a crash in between loses that report, never the disabling.
 *
 * Threads: bounces_begin() takes one process-wide lock that bounces_end() releases; a
 * struct bounces belongs to the thread between the two calls.  A thread holding it takes no
 * other lock of the lists (the notice ledger's among them) and sends no mail: the caller
 * records, ends, then tells the owner.  Limits: BOUNCES_MAX_LINE
 * octets per line, BOUNCES_MAX_FILE octets per file (more: read as empty, starts over),
 * BOUNCES_MAX_REASON octets of a reason (cut).
 */
#ifndef POSTWARD_MILTER_BOUNCES_H
#define POSTWARD_MILTER_BOUNCES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ledger.h"

#define BOUNCES_MAX_LINE	1024
#define BOUNCES_MAX_FILE	(64u << 20)
#define BOUNCES_MAX_REASON	300
#define BOUNCES_STALE		(7 * 24 * 3600)	/* seconds */

enum bounce_kind { BOUNCE_HARD, BOUNCE_SOFT, BOUNCE_UNKNOWN };

struct bounce_rec {
	char *addr;			/* owned */
	unsigned halves;		/* the score, in halves */
	time_t last;			/* the last bounce counted */
	time_t disabled;		/* when disabled; 0: enabled */
	char *reason;			/* owned: why disabled, or NULL */
};

struct bounces {
	struct ledger_file file;	/* owned: DIR/bounces/NAME */
	struct bounce_rec *recs;	/* sorted by addr */
	size_t n;
	time_t stale;			/* the stale period, BOUNCES_STALE after bounces_begin */
	bool changed;
};

struct bounce_outcome {
	double score;			/* the score now */
	bool counted;			/* the bounce counted (not a second one that day) */
	bool crossed;			/* the threshold was reached now: disabled now */
	bool disabled;			/* disabled (now or before) */
};

/* bounces_begin - take the ledger lock and read the ledger of LIST under spool directory DIR
 * (DIR/bounces created 0700 when missing); false + WHY on an I/O error or lack of memory (the
 * lock is then not held) */
bool bounces_begin(const char *dir, const char *list, struct bounces *b, char *why,
		   size_t whylen);
/* bounces_record - a bounce of KIND for ADDR at NOW against THRESHOLD (> 0) into *OUT (see the
 * top comment); REASON (may be NULL: "bounce score S reached THRESHOLD") is kept when this
 * bounce disables ADDR (tabs and line ends made spaces, cut at BOUNCES_MAX_REASON); false:
 * out of memory or an ADDR that is empty or has a TAB or line end (nothing recorded) */
bool bounces_record(struct bounces *b, const char *addr, enum bounce_kind kind, time_t now,
		    double threshold, const char *reason, struct bounce_outcome *out);
/* bounces_disabled - whether ADDR is disabled */
bool bounces_disabled(const struct bounces *b, const char *addr);
/* bounces_enable - forget ADDR's score and flag (a subscriber re-enabled or removed); true
 * when there was something to forget */
bool bounces_enable(struct bounces *b, const char *addr);
/* bounces_disable - disable ADDR at NOW whatever its score (a subscriber switching their
 * delivery off by command), REASON kept as bounces_record keeps it; a subscriber disabled
 * already keeps the first time and reason.  false: out of memory or a bad ADDR */
bool bounces_disable(struct bounces *b, const char *addr, time_t now, const char *reason);
/* bounces_list - call EACH(ARG, rec) for every subscriber with a score or a flag, in address
 * order (for the owner's report); stops when EACH returns false */
void bounces_list(const struct bounces *b, bool (*each)(void *arg, const struct bounce_rec *r),
		  void *arg);
/* bounces_score - the score of R */
double bounces_score(const struct bounce_rec *r);
/* bounces_end - write the ledger if it changed, release it and the lock; false + WHY when it
 * could not be written (the old file stays) */
bool bounces_end(struct bounces *b, char *why, size_t whylen);

#endif
