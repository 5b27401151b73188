/*
 * milter/lists/rosterlist.h - a list's published roster kept current, and the roster verdict on
 * a post, for the session (lists.c) and the workers (pool.c, service.c).
 *
 * rosterlist_current() gives the list's roster (roster-build.h: the keyring and the list
 * key's signature over it) as it is kept in SPOOLDIR/roster/ under the list's address, and
 * rebuilds it first when it is missing or older than what it rests on: the list file, its
 * managed subscriber file, or the GnuPG home's keyring (pubring.kbx, pubring.gpg).  The
 * roster holds the subscribers with an OpenPGP key gpg can use now (pgp_keys state ok:
 * not expired, revoked or missing), with or without addresses as the list file says
 * (roster_addresses).  When the list file names a roster_file, a rebuilt roster is also
 * written there (FILE and FILE.sig; FILE's name is used as it is) for the administrator to
 * publish.  A rebuild costs a key lookup and two gpg runs; it is logged.
 *
 * rosterlist_judge() checks a post (its OpenPGP payload, armored or binary) against the
 * current roster for MEMBERS (the subscribers that get it): the verdict of roster.h
 * (deliver, rewrap, missing, outsider), with the index and the checked post for the
 * fan-out (roster_copies_ops) when it is deliver.
 *
 * Threads: one process-wide mutex (a leaf lock) serialises rebuilds and reads of the roster
 * files, so two workers never write them at once; what the functions return is the
 * caller's.
 */
#ifndef POSTWARD_MILTER_ROSTERLIST_H
#define POSTWARD_MILTER_ROSTERLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "listfile.h"
#include "roster-build.h"
#include "roster.h"

/* rosterlist_current - L's current roster into *OUT (clear with roster_files_clear); SPOOL is
 * the list spool directory, HOME the GnuPG home; false + WHY when it cannot be had */
bool rosterlist_current(const char *spool, const char *home, const struct pw_list *l,
			struct roster_files *out, char *why, size_t whylen);

/* a post judged against the roster */
struct rosterlist_judged {
	struct roster_index ix;
	struct roster_post rp;
	size_t *members;		/* owned: index k -> the member's position in MEMBERS */
};

/* rosterlist_judge - the verdict on PAYLOAD (LEN octets) for the N subscriber addresses
 * MEMBERS of L (each with an OpenPGP fingerprint in L), into *J (clear with
 * rosterlist_judged_clear); false + WHY when the roster or the post cannot be read (the
 * caller takes the usual path) */
bool rosterlist_judge(const char *spool, const char *home, const struct pw_list *l,
		      const char *const *members, size_t n, const void *payload, size_t len,
		      struct rosterlist_judged *j, char *why, size_t whylen);
/* rosterlist_judged_clear - release what *J owns */
void rosterlist_judged_clear(struct rosterlist_judged *j);

#endif
