/*
 * milter/lists/roster-build.h - make and save a list's roster with GnuPG: the keyring
 * (roster_assemble over gpg's export-minimal of the list's and the subscribers' keys, ASCII
 * armored) and the list key's detached signature over it, with the list named in notations.
 * The format and what is standard about it: roster.h and postward(8), "The roster".
 *
 * Daemon side: linked with pgp.c (gpgme), so pgp_global_init() must have run; two gpg runs
 * per roster (export, sign), no shared state, thread-safe like pgp.c.  roster_save() writes
 * the two files crash-safely (temporary file, fsync, rename, fsync of the directory), the
 * keyring first: a reader between the two renames sees a signature that does not verify
 * over the new keyring, never a half-written file.
 */
#ifndef POSTWARD_MILTER_ROSTER_BUILD_H
#define POSTWARD_MILTER_ROSTER_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "pgp.h"
#include "roster.h"

#define ROSTER_FORMAT_VERSION "1"
#define ROSTER_KEYS_SUFFIX ".roster.asc"	/* NAME.roster.asc */
#define ROSTER_SIG_SUFFIX ".roster.asc.sig"	/* NAME.roster.asc.sig */

/* a roster as published */
struct roster_files {
	char *keys;			/* "PGP PUBLIC KEY BLOCK" armor, NUL-terminated */
	size_t keys_len;		/* without the NUL */
	char *sig;			/* "PGP SIGNATURE" armor over keys[0..keys_len) */
	size_t sig_len;
	struct roster_stats stats;	/* what roster_assemble did */
};

/* roster_build - the roster of the list LIST_ADDR, whose key is LIST_FPR (40 hex digits, its
 * secret key in the GnuPG home), for the N subscribers SUBS (their keys in the home), with
 * or without (HIDE) their addresses: the keyring and the detached text signature (type
 * 0x01) over its armored bytes, whose notations (hashed) are
 *	postward-roster-list@DOMAIN	LIST_ADDR
 *	postward-roster-version@DOMAIN	ROSTER_FORMAT_VERSION
 *	postward-roster-keys@DOMAIN	the number of subscriber certificates
 *	postward-roster-hidden@DOMAIN	"yes" or "no"
 * with DOMAIN the domain of LIST_ADDR.  Clear *OUT with roster_files_clear.
 * PGP_E_FORMAT: a fingerprint that is not 40 hex digits, a list address without a domain,
 * the list's certificate or secret key not in the home (WHY says which); PGP_E_ENGINE: gpg
 * failed; PGP_E_NOMEM */
enum pgp_status roster_build(const char *list_addr, const char *list_fpr,
			     const struct roster_sub *subs, size_t n, bool hide,
			     struct roster_files *out, char *why, size_t whylen);
/* roster_save - F as DIR/NAME.roster.asc and DIR/NAME.roster.asc.sig (mode 0644: the roster
 * is public); false with WHY (the path and errno's text) when a file cannot be written */
bool roster_save(const char *dir, const char *name, const struct roster_files *f, char *why,
		 size_t whylen);
/* roster_files_clear - free what *F owns and zero it (F not NULL) */
void roster_files_clear(struct roster_files *f);

#endif
