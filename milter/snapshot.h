/*
 * milter/snapshot.h - the running configuration and policy as one immutable, refcounted unit.
 *
 * snapshot_load() reads the configuration file, every policy file it names, every list
 * file (NAME.list, with its managed subscriber file NAME.subscribers when there is one) in
 * list_directory, every dkim_signing_key key file and every list's own dkim_key files, and
 * returns a new snapshot, or NULL
 * with every problem in *d as FILE:LINE: message.  Warnings (pw_diags_warn) are left in *d
 * too but do not fail a load.
 * A snapshot is never changed after it is built.  The daemon holds one "current" snapshot:
 *   - snapshot_acquire() returns the current one with a reference taken; a message takes one at
 *     MAIL FROM and drops it when it ends, so a message in flight finishes under the policy it
 *     started with, whatever reloads happen meanwhile;
 *   - snapshot_install() makes a new one current and drops the daemon's reference to the old;
 *   - snapshot_reload() loads again from the same files; on any error it logs the errors and
 *     keeps the running snapshot;
 *   - snapshot_request_reload() asks the worker's reload thread for a snapshot_reload(), as
 *     SIGHUP does, from any thread of the worker (after postward itself wrote a list's
 *     managed subscriber file, milter/lists/substore.h).
 * Locking: `current` is guarded by current_lock (a mutex held only to read or swap the
 * pointer and take a reference); the reference count is atomic.  Lock order: current_lock is a
 * leaf lock.
 */
#ifndef POSTWARD_MILTER_SNAPSHOT_H
#define POSTWARD_MILTER_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "diag.h"
#include "listfile.h"
#include "policyfile.h"
#include "practice.h"

struct dns_resolver;
struct keycache;
struct dkim_keyring;

struct pw_snapshot {
	atomic_uint refs;
	struct pw_config cfg;
	struct pw_policy pol;
	unsigned generation;		/* 1 for the first load, +1 per successful reload */
	struct dns_resolver *dns;	/* owned; shared by the messages holding this snapshot
					 * (thread-safe, see dns.h); a reload builds a new one */
	char authserv_id[256];		/* authserv_id, or the host name */
	struct pw_psl *psl;		/* owned Public Suffix List (NULL: the DMARC tree walk) */
	struct pw_lists lists;		/* owned: the encrypted lists of list_directory */
	struct keycache *keys;		/* owned: decoded DKIM keys, shared like dns */
	struct dkim_keyring *signing;	/* owned: the dkim_signing_key keys (dkim-sign.h),
					 * read-only, shared by the workers like dns; NULL
					 * when none is configured */
	bool dmarc, adsp;		/* sender_practices */
	struct snapshot_list_dkim *list_dkim;	/* owned: one per lists.v[i], the signers of
					 * the list's own dkim_key statements (d= the list's
					 * domain); NULL when no list has any */
};

/* the signers of one list's dkim_key statements, read-only like signing */
struct snapshot_list_dkim {
	struct dkim_signer *v[PW_LIST_MAX_DKIM_KEYS];	/* owned */
	size_t n;
};

struct snapshot_source {
	const char *config_file;	/* path to read */
	bool config_optional;		/* a missing file means built-in defaults */
	const char *socket_override;	/* -p, or NULL */
};

struct dkim_signer;
/* snapshot_list_signers - the signers of list L's own dkim_key statements (L from S's
 * lists), for dkim_keyring_find's override: their count, *OUT pointing at them; 0 when the
 * list has none (then the daemon's dkim_signing_key keys apply) */
size_t snapshot_list_signers(const struct pw_snapshot *s, const struct pw_list *l,
			     const struct dkim_signer *const **out);
/* snapshot_read_file - read a whole file (at most 16 MiB) into a NUL-terminated buffer */
char *snapshot_read_file(const char *path, size_t *len, int *err);
/* snapshot_load - build a new snapshot from SRC; NULL with diagnostics in *d on error */
struct pw_snapshot *snapshot_load(const struct snapshot_source *src, struct pw_diags *d);
/* snapshot_install - make S current (the daemon's reference moves to S) */
void snapshot_install(struct pw_snapshot *s);
/* snapshot_acquire - the current snapshot with a new reference; NULL before any install */
struct pw_snapshot *snapshot_acquire(void);
/* snapshot_release - drop one reference; frees at zero; NULL is ignored */
void snapshot_release(struct pw_snapshot *s);
/* snapshot_reload - reload from SRC; true if a new snapshot was installed */
bool snapshot_reload(const struct snapshot_source *src);
/* snapshot_request_reload - ask the reload thread to reload (SIGUSR1 to this process, which
 * only the reload thread's sigwait takes); returns at once.  Requests made while a reload
 * runs are merged into one more reload, which reads the files afresh.  False when the
 * calling thread does not block SIGUSR1 (not inside the daemon's worker: nothing is sent,
 * since the signal would end the process) */
bool snapshot_request_reload(void);
/* snapshot_shutdown - at exit: drop the daemon's reference to the current snapshot */
void snapshot_shutdown(void);

#endif
