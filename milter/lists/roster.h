/*
 * milter/lists/roster.h - the list's published roster (its subscribers' encryption keys, signed
 * by the list key) and the posts encrypted to it, which postward delivers without decrypting.
 *
 * The roster is two files (format: postward(8), "The roster"): NAME.roster.asc, an armored
 * OpenPGP keyring ("PGP PUBLIC KEY BLOCK": the list's certificate, then one certificate per
 * subscriber key, export-minimal, ordered by fingerprint, with only the user IDs that carry
 * the subscription address, or none when the list hides addresses), and NAME.roster.asc.sig,
 * the list key's detached text signature over the keyring file's bytes, whose creation time
 * dates the roster and whose notations name the list (roster-build.c makes both, with gpg).
 *
 * A poster who encrypts to every key of the roster (gpg -r ..., sq encrypt --recipient-cert
 * NAME.roster.asc) sends a post whose PKESKs postward matches against the roster's key IDs
 * alone (roster_post_check): when every current subscriber has a PKESK for one of its roster
 * keys and no PKESK names anyone else, each subscriber gets a copy made of its own PKESK(s)
 * and the post's encrypted data packet, byte for byte (roster_copy): nothing is decrypted,
 * the poster's signature (and its intended recipients) reach every subscriber untouched.
 *
 * This file is pure computation on caller buffers plus OpenSSL's SHA-1 (fingerprints): no
 * I/O, no gpgme, no global state, thread-safe; a struct roster_index is read-only once
 * built and may be shared by threads.  Input is untrusted: lengths are checked against what
 * remains (openpgp.c reads every packet header), counts are bounded (ROSTER_MAX_*).
 * Errors are OPGP_E_* codes (openpgp.h) with a reason in WHY.
 */
#ifndef POSTWARD_MILTER_ROSTER_H
#define POSTWARD_MILTER_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fanout.h"
#include "listpost.h"
#include "openpgp.h"

#define ROSTER_MAX_PACKETS	(1u << 20)	/* packets in the exported keys roster_assemble reads */
#define ROSTER_MAX_KEYS		65536		/* keys and subkeys in one roster keyring */
#define ROSTER_MAX_MEMBERS	65536		/* subscribers handed to one call */
#define ROSTER_MAX_ENTRIES	(1u << 18)	/* entries of an index: a key counts once per
						 * member who uses it */
#define ROSTER_LIST		((size_t)-1)	/* struct roster_key.member of the list's keys */
#define ROSTER_ARMOR_LABEL	"PUBLIC KEY BLOCK"

/* one subscriber as the roster sees it */
struct roster_sub {
	const char *fpr;		/* primary key fingerprint, 40 hex digits (any case) */
	const char *addr;		/* the subscription address */
};

/* what roster_assemble did */
struct roster_stats {
	size_t certs;			/* subscriber certificates written (a key several
					 * subscribers share is written once) */
	size_t missing;			/* subscribers whose key was not in the export: left out */
	size_t all_uids;		/* addresses shown: certificates none of whose user IDs
					 * carries the subscription address, written with all
					 * their user IDs (so that GnuPG can import them) */
	size_t no_direct;		/* addresses hidden: certificates without a direct-key
					 * self-signature, which Sequoia cannot use without a
					 * user ID (postward(8), "The roster") */
};

/* roster_assemble - the roster keyring (binary) from BLOCK (LEN octets: the list's and the
 * subscribers' certificates as gpg exports them with export-minimal, in any order, other
 * keys allowed and skipped): the certificate of LIST_FPR first, as exported but without
 * user attribute packets; then the certificate of each of the N subscribers SUBS, once, by
 * ascending fingerprint, keeping its primary key, direct-key and revocation signatures and
 * subkeys with their signatures, and of its user IDs only those whose address (the part in
 * <...>, else the whole user ID) is, ignoring case, the address of a subscriber using that
 * key - none at all when HIDE (and never user attributes or trust packets).  *OUT is
 * malloc'd (free()).  OPGP_E_NOKEY: the list's certificate is not in BLOCK;
 * OPGP_E_FORMAT: malformed packets, a key that is not version 4 among those asked for, a
 * fingerprint in SUBS that is not 40 hex digits, more than ROSTER_MAX_MEMBERS subscribers */
enum opgp_status roster_assemble(const uint8_t *block, size_t len, const char *list_fpr,
				 const struct roster_sub *subs, size_t n, bool hide, uint8_t **out,
				 size_t *outlen, struct roster_stats *st, char *why, size_t whylen);

/* one encryption key of the roster: whose it is */
struct roster_key {
	uint64_t keyid;
	uint8_t fpr[20];
	size_t member;			/* index into the members given to roster_index_build,
					 * or ROSTER_LIST */
};

/* the roster's keys by key ID, for matching a post's PKESKs (read-only once built) */
struct roster_index {
	struct roster_key *keys;	/* sorted by key ID, then member */
	size_t n_keys;
	size_t n_members;
	size_t *member_keys;		/* how many roster keys each member has (0: none, the
					 * roster does not carry the member's key) */
};

/* roster_index_build - the index of KEYRING (LEN octets, armored "PGP PUBLIC KEY BLOCK" or
 * binary: the roster as roster_assemble wrote it, or any keyring) for the list key LIST_FPR
 * and the current subscribers MEMBER_FPRS (N primary fingerprints, 40 hex digits; several
 * members may share one): each member's encryption-capable, unrevoked v4 keys and subkeys,
 * and every key of the list's certificate.  Certificates of anyone else in the keyring are
 * ignored; a member without a certificate in it has no keys (and is missing from every
 * roster post).  At most ROSTER_MAX_KEYS keys in the keyring and ROSTER_MAX_ENTRIES entries
 * (else OPGP_E_FORMAT).  Clear with roster_index_clear */
enum opgp_status roster_index_build(const uint8_t *keyring, size_t len, const char *list_fpr,
				    const char *const *member_fprs, size_t n,
				    struct roster_index *ix, char *why, size_t whylen);
/* roster_index_clear - release what IX owns */
void roster_index_clear(struct roster_index *ix);

/* What a post's PKESKs say, for the decision to deliver it as it is */
enum roster_verdict {
	ROSTER_DELIVER = 0,		/* every member has a PKESK, no one else: the copies
					 * are roster_copy's, nothing is decrypted */
	ROSTER_REWRAP,			/* members are missing, no one else is addressed, the
					 * list key has a PKESK: the usual re-wrap can serve it */
	ROSTER_MISSING,			/* members are missing, the list key has no PKESK:
					 * refuse, naming n_missing (not who) */
	ROSTER_OUTSIDER,		/* a PKESK names a key that is neither a member's nor
					 * the list's, or no key (anonymous), or the session key
					 * is also passphrase-encrypted (SKESK) */
};

/* one PKESK of the post */
struct roster_pkesk {
	size_t off, len;		/* the packet, header included, in the binary post */
	uint64_t keyid;			/* 0: anonymous */
	uint8_t fpr[20];		/* v6 PKESK of a v4 key: its fingerprint */
	bool has_fpr;
};

struct roster_post {
	enum roster_verdict verdict;
	size_t n_members;		/* as the index has them */
	size_t n_covered;		/* members with at least one PKESK for one of their keys */
	size_t n_missing;		/* members without */
	size_t n_pkesk;			/* PKESKs in the post */
	size_t n_list;			/* of them, naming a key of the list */
	size_t n_outsider;		/* naming a key neither a member's nor the list's */
	size_t n_anonymous;		/* naming no key (key ID 0, or a v6 PKESK without one) */
	size_t n_skesk;			/* symmetric-key (passphrase) session key packets */
	struct opgp_split split;	/* the data format, its offset, the PKESK version */
	/* for roster_copy */
	const uint8_t *bin;		/* the binary post: the caller's MSG, or owned */
	size_t bin_len;
	uint8_t *owned;			/* the dearmored post when MSG was armored */
	struct roster_pkesk *pk;	/* n_pkesk entries, owned */
	bool *covered;			/* n_members entries, owned */
};

/* roster_post_check - split MSG (LEN octets, a binary or armored OpenPGP message: the post's
 * application/octet-stream part) into its PKESKs and encrypted data (opgp_split: SEIPD v1
 * or v2, SED, AEAD tag 20; v3 or v6 PKESKs) and match every PKESK against IX: v3 by key
 * ID, v6 by the fingerprint it names.  Fills *RP (clear with roster_post_clear; it points
 * into MSG when MSG is binary, which must then outlive it).  At most OPGP_MAX_PACKETS
 * packets before the data.  OPGP_E_FORMAT / _UNSUPPORTED: not a message postward can split */
enum opgp_status roster_post_check(const uint8_t *msg, size_t len, const struct roster_index *ix,
				   struct roster_post *rp, char *why, size_t whylen);
/* roster_copy - member MEMBER's copy of the post RP (checked against IX): every PKESK of the
 * post that names one of the member's keys, in the post's order, then the post's encrypted
 * data and whatever followed it, unchanged; armored ("PGP MESSAGE") in *ARMOR (malloc'd,
 * NUL-terminated, *ARMLEN without the NUL).  OPGP_E_NOKEY: no PKESK names the member */
enum opgp_status roster_copy(const struct roster_post *rp, const struct roster_index *ix,
			     size_t member, char **armor, size_t *armlen);
/* The members' copies as fan-out build functions (fanout.h): item K is member MEMBERS[K]'s
 * copy, roster_copy's armor in the post's MIME (listpost_copy).  Everything CTX points to is
 * read-only while the fan-out runs.  A member no PKESK names is FANOUT_SKIP (with the reason
 * for the notice), lack of memory FANOUT_FAIL. */
struct roster_copies {
	const struct roster_post *rp;
	const struct roster_index *ix;
	const size_t *members;			/* item k's member (index into the index's) */
	const char *msg;			/* the post as spooled, for its header */
	size_t msg_len;
	const struct listpost *post;
	const struct listpost_copy_args *args;
};
extern const struct fanout_ops roster_copies_ops;	/* CTX: struct roster_copies */

/* roster_post_clear - release what RP owns */
void roster_post_clear(struct roster_post *rp);
/* roster_verdict_name - "deliver", "rewrap", "missing", "outsider" */
const char *roster_verdict_name(enum roster_verdict v);

#endif
