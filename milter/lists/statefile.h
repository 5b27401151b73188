/*
 * milter/lists/statefile.h - the small per-list state files of encrypted lists (the notice
 * ledger, the seen-set of signed commands): where one lives and how it is replaced whole,
 * crash-safely.
 *
 * A state file is DIR/KIND/NAME: DIR the list spool directory, KIND the kind of state
 * ("notices", "seen"), NAME the list address with octets other than letters, digits and
 * "@._+-" (and a leading dot) written %XX.  DIR/KIND is created 0700 when missing.  The
 * file is replaced whole: written to DIR/KIND/tmp.NAME (mode 0600), fsynced, renamed into
 * place, the directory fsynced; after a crash or a power loss the file is the old one or
 * the new one, never torn (a stale tmp.NAME is overwritten by the next write and never
 * read).  Replacing with no data removes the file.
 *
 * Test seam: statefile_fault, when not STATEFILE_FAULT_NONE, makes the next replace stop
 * where a crash would (the temporary file written but not renamed, or written only in
 * part), return false with "fault injected" as WHY, and resets itself.  Only tests set it,
 * before threads run.  Otherwise no global state: the callers hold their own locks.
 */
#ifndef POSTWARD_MILTER_STATEFILE_H
#define POSTWARD_MILTER_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>

enum statefile_fault {
	STATEFILE_FAULT_NONE,
	STATEFILE_FAULT_TORN_TMP,	/* half the data in the temporary file, then "crash" */
	STATEFILE_FAULT_BEFORE_RENAME	/* all of it written and synced, then "crash" */
};

extern enum statefile_fault statefile_fault;

struct statefile {
	char *dir;			/* owned: DIR/KIND */
	char *path;			/* owned: DIR/KIND/NAME */
	char *tmp;			/* owned: DIR/KIND/tmp.NAME */
};

/* statefile_open - the names of LIST's state file of KIND under DIR into *SF, DIR/KIND made
 * when missing; false + WHY for lack of memory or when the directory cannot be made */
bool statefile_open(struct statefile *sf, const char *dir, const char *kind, const char *list,
		    char *why, size_t whylen);
/* statefile_replace - make DATA (LEN octets; 0: remove the file) the file's content, as the
 * top comment says; false + WHY (the old file stays) */
bool statefile_replace(const struct statefile *sf, const char *data, size_t len, char *why,
		       size_t whylen);
/* statefile_close - release the names */
void statefile_close(struct statefile *sf);

#endif
