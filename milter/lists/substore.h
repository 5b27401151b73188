/*
 * milter/lists/substore.h - the writer of a list's managed subscriber file NAME.subscribers,
 * the subscribers that signed commands manage (policy/listfile.h: the list file NAME.list
 * stays the administrator's; postward loads both as one list).
 *
 * substore_write() replaces the managed file whole with the entries given; the update
 * helpers (substore_add, substore_remove, substore_set_fpr) read both files fresh from disk
 * - never the daemon's snapshot, which may be older than a write a moment ago - change one
 * subscriber, check that the list with the new file still loads (pw_list_parse_with_subs:
 * the same checks as a reload), and write it.  They never touch an address that the list
 * file has (SUBSTORE_ADMIN_ENTRY): the administrator's entries are changed by editing the
 * list file.  A managed entry that the list file has too (a warning at load time) is
 * dropped by the next write.
 *
 * Crash safety: the text (pw_list_format_managed) is written to a temporary file
 * .NAME.subscribers.XXXXXX in the same directory, fsynced, renamed over NAME.subscribers,
 * and the directory fsynced: after a crash or power loss the file is the old one or the new
 * one, never torn; a temporary file left by a crash is ignored by the loader (it does not end
 * in ".list").  The file is mode 0640.  The list directory must be writable by the user
 * postward runs as.
 *
 * Threads: one process-wide mutex (substore_lock, a leaf lock) is held from the read to the
 * rename, so two commands never lose each other's change; one process writes (the daemon's
 * worker).  After a successful write the caller asks for a reload
 * (snapshot_request_reload(), milter/snapshot.h) so that the daemon uses the new file.
 *
 * Errors: every function returns a substore_result and, unless SUBSTORE_OK, puts a sentence
 * for the log or the command's reply into WHY (naming the file and the address).
 */
#ifndef POSTWARD_MILTER_LISTS_SUBSTORE_H
#define POSTWARD_MILTER_LISTS_SUBSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/listfile.h"

#define SUBSTORE_MAX_FILE (16u << 20)	/* octets of a list or managed file read */

enum substore_result {
	SUBSTORE_OK,			/* written */
	SUBSTORE_NOT_FOUND,		/* remove, set_fpr: not a managed subscriber */
	SUBSTORE_ADMIN_ENTRY,		/* the address is in the list file: not touched */
	SUBSTORE_INVALID,		/* the entry, or the list with it, would not load; nothing
					 * written (a bad fingerprint, openpgp= on a list without
					 * openpgp_key, too many subscribers, ...) */
	SUBSTORE_ERROR,			/* I/O, memory, or the list's files do not load as they
					 * are: nothing changed */
};

/* substore_result_name - "ok", "not-found", "admin-entry", "invalid", "error" (for logs) */
const char *substore_result_name(enum substore_result r);
/* substore_write - replace LISTFILE's managed subscriber file (".../NAME.list" ->
 * ".../NAME.subscribers") with V[0..N-1], atomically, under the lock; the entries are
 * checked as pw_list_format_managed checks them, not against the list file */
enum substore_result substore_write(const char *listfile, const struct pw_list_managed_sub *v,
				    size_t n, char *why, size_t whylen);
/* substore_read - LISTFILE's list as its two files say now, read fresh under the lock (the
 * snapshot may be older than a write a moment ago) into *LS (one list; free it with
 * pw_lists_free); SUBSTORE_ERROR + WHY when they cannot be read or do not load */
enum substore_result substore_read(const char *listfile, struct pw_lists *ls, char *why,
				   size_t whylen);
/* substore_add - add SUB as a managed subscriber of LISTFILE's list, or replace the managed
 * entry with its address; *REPLACED (if not NULL) says which */
enum substore_result substore_add(const char *listfile, const struct pw_list_managed_sub *sub,
				  bool *replaced, char *why, size_t whylen);
/* substore_remove - remove the managed subscriber ADDR (envelope form accepted) */
enum substore_result substore_remove(const char *listfile, const char *addr, char *why,
				     size_t whylen);
/* substore_set_fpr - give the managed subscriber ADDR the OpenPGP fingerprint FPR (40 hex
 * digits; NULL or "" removes it, allowed only when an S/MIME certificate remains) */
enum substore_result substore_set_fpr(const char *listfile, const char *addr, const char *fpr,
				      char *why, size_t whylen);

#endif
