/*
 * milter/lists/notices.h - the notice ledger of encrypted lists: which subscriber was told,
 * for which state of their key, that the list cannot encrypt for them, so that the notice
 * goes out once per key state and not once per post.
 *
 * A subscriber whose key nothing can use (expired, revoked, no usable encryption subkey, not
 * in the list's keyring, none listed) gets no copy; the worker asks the ledger whether the
 * subscriber was told already about that very state, a short token the worker makes (state,
 * key fingerprint, expiry): the same token, no notice; another token (a new key, a changed
 * state), a notice again.  A subscriber who gets a copy is forgotten, so that a key that
 * fails again later is told again.
 *
 * Storage: one file per list in DIR/notices/ (DIR: the list spool directory), named after
 * the list address (octets other than letters, digits and "@._+-" as %XX), one line per
 * subscriber told: "ADDRESS TAB TOKEN", mode 0600 (the directory 0700).  It is rewritten
 * whole when it changes, crash-safely (ledger.h: written to DIR/notices/tmp.NAME, fsynced,
 * renamed into place, the directory fsynced); so after a crash or a power loss the file is
 * the old one or the new one, never torn.  The worker records a notice after the MTA
 * accepted it: a crash in between sends that notice once more (at least once, never lost).
 * Lines that do not parse are dropped on reading.
 *
 * Threads: notices_begin() takes one process-wide lock that notices_end() releases; the
 * worker holds it while it sends the notices of one post (rare: once per key state), so two
 * workers with posts of the same list never both send the same notice.  A struct notices
 * belongs to the thread between the two calls.  Limits: NOTICES_MAX_LINE octets per line,
 * NOTICES_MAX_FILE octets per file (more: the file is read as empty and starts over).
 */
#ifndef POSTWARD_MILTER_NOTICES_H
#define POSTWARD_MILTER_NOTICES_H

#include <stdbool.h>
#include <stddef.h>

#include "ledger.h"

#define NOTICES_MAX_LINE 1024
#define NOTICES_MAX_FILE (64u << 20)

struct notice_rec {
	char *addr;			/* owned */
	char *token;			/* owned */
};

struct notices {
	struct ledger_file file;	/* owned: DIR/notices/NAME and its temporary name */
	struct notice_rec *recs;	/* sorted by addr while in use */
	size_t n;
	bool changed;
};

/* notices_begin - take the ledger lock and read the ledger of LIST under spool directory DIR
 * (DIR/notices is created 0700 when missing); false + WHY on an I/O error or lack of memory
 * (the lock is then not held) */
bool notices_begin(const char *dir, const char *list, struct notices *n, char *why,
		   size_t whylen);
/* notices_told - was ADDR told about TOKEN already */
bool notices_told(const struct notices *n, const char *addr, const char *token);
/* notices_record - ADDR was told about TOKEN (replaces what was there); false: out of
 * memory or a value with a TAB or line end in it (nothing recorded) */
bool notices_record(struct notices *n, const char *addr, const char *token);
/* notices_forget - ADDR got a copy: drop what was recorded for it if its token begins with
 * KIND (NULL: whatever it is), so a list whose posts come in two formats forgets only the
 * state of the key of the format that worked */
void notices_forget(struct notices *n, const char *addr, const char *kind);
/* notices_end - write the ledger if it changed (see the top comment), release it and the
 * lock; false + WHY when it could not be written (the old file stays) */
bool notices_end(struct notices *n, char *why, size_t whylen);

#endif
