/*
 * milter/lists/pgp.h - postward's use of GnuPG through gpgme: decrypt a list post once (with its
 * session key exported and the poster's signature checked), and fetch the subscribers'
 * encryption subkeys in bulk.
 *
 * All keys live in one GnuPG home (setting gnupg_home): the lists' secret keys (without
 * passphrase, or with gpg-agent holding it: postward never prompts; gpgme runs in loopback
 * pinentry mode with no passphrase) and the subscribers' and posters' public keys.
 * pgp_global_init() is called once before any thread starts; after it every function is
 * thread-safe as long as each thread uses its own calls (a gpgme context is created per call
 * and never shared).  gpgme runs one gpg process per operation, so a worker spends a fixed
 * number of processes per post whatever the number of subscribers: decrypt (plus a key
 * listing per signature, to name the signer's primary key), list keys, export keys; the
 * per-subscriber work is openpgp.c's, in process, except for subscribers whose subkey it
 * cannot serve (gpg_only below): one pgp_unwrap per post that has such subscribers and one
 * pgp_encrypt_wrapped per such subscriber.  For more than a hundred subscribers
 * the whole keyring is listed and exported (gpg takes fingerprints as arguments, which
 * would overflow the argument list of a big list) and the keys are picked out here.
 *
 * pgp_keys() answers from a process-wide cache (one lock) where it can, so a list's later
 * posts run no gpg for keys: an answer is reused only while the keyring files of the home
 * (pubring.kbx, pubring.gpg, trustdb.gpg) keep their inode, size and modification time, for
 * at most an hour, and for a usable key only until the key or its subkey expires.
 *
 * Key status for a subscriber (pgp_keys): usable, or not found / revoked / expired /
 * disabled / invalid / without a usable encryption subkey, each with a reason for the logs
 * and the owner's report.  A usable key whose encryption subkey openpgp.c cannot wrap a
 * session key for (an algorithm OpenSSL lacks, such as ElGamal) is usable with gpg_only set
 * and its subkey's fingerprint in subfpr: the pool has gpg encrypt that subscriber's copy
 * (pgp_unwrap once per post, pgp_encrypt_wrapped once per such subscriber).  "Age" is the time since the key was last refreshed (gpgme's
 * last_update when GnuPG knows it, else the newest self-signature/subkey creation time).
 */
#ifndef POSTWARD_MILTER_PGP_H
#define POSTWARD_MILTER_PGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "openpgp.h"

#define PGP_MAX_SIGS 8
#define PGP_MAX_IMPORT 16		/* keys named in one import's result */

enum pgp_status { PGP_OK, PGP_E_DECRYPT, PGP_E_FORMAT, PGP_E_ENGINE, PGP_E_NOMEM };

struct pgp_sig {
	bool good;			/* a good signature (valid, not expired/revoked key) */
	char fpr[41];			/* primary key fingerprint of the signer, upper-case hex */
	char emails[4][256];		/* e-mail addresses of its first user IDs */
	size_t n_emails;
	char why[96];			/* for a bad or unknown signature: the reason */
	time_t created;			/* the signature's creation time (0: unknown) */
};

struct pgp_decrypted {
	int algo;			/* the session key's symmetric algorithm (RFC 4880 id) */
	uint8_t key[OPGP_MAX_SESSION_KEY];
	size_t keylen;
	uint8_t *plain;			/* owned, wiped on clear: the decrypted content */
	size_t plain_len;
	struct pgp_sig sigs[PGP_MAX_SIGS];
	size_t n_sigs;
	char recipient_keyid[17];	/* key ID (16 hex digits) of the secret key that decrypted it */
};

enum pgp_key_state { PGP_KEY_OK, PGP_KEY_MISSING, PGP_KEY_REVOKED, PGP_KEY_EXPIRED,
		     PGP_KEY_DISABLED, PGP_KEY_INVALID, PGP_KEY_NOENC };

struct pgp_key {
	enum pgp_key_state state;
	char why[128];			/* for every state but OK */
	struct opgp_enckey enc;		/* OK only: the encryption subkey; owned */
	time_t refreshed;		/* see the top comment; 0 if unknown */
	time_t expires;			/* earliest expiry of the primary key and the chosen
					 * subkey; 0 if none */
	char subfpr[41];		/* OK only: the encryption subkey's fingerprint */
	bool gpg_only;			/* OK only: enc is empty, the re-wrap cannot serve
					 * the subkey; gpg encrypts the copy */
};

/* pgp_global_init - gpgme's version check and the GnuPG home; false + why on error */
bool pgp_global_init(const char *gnupg_home, char *why, size_t len);
/* pgp_global_end - release the key cache and what pgp_global_init kept (no thread may be
 * using this module) */
void pgp_global_end(void);
/* pgp_decrypt - decrypt a binary or armored OpenPGP message with the keys of the home,
 * exporting the session key and checking signatures; PGP_E_DECRYPT when no secret key fits
 * or the data is damaged.  SEIPD version 2 data, which GnuPG 2.2 cannot read, is opened
 * here: the home's secret encryption subkeys are tried in turn, the one a PKESK names is
 * asked to decrypt it through pgp_agent_pkdecrypt (opgp_pkesk_sexp/_finish), the data is
 * opened by opgp_seipd2_open (every tag checked) and gpg verifies the packets inside as a
 * signed message (so only signed SEIPDv2 posts decrypt).  Clear *OUT with
 * pgp_decrypted_clear */
enum pgp_status pgp_decrypt(const void *msg, size_t len, struct pgp_decrypted *out,
			    char *why, size_t whylen);
/* pgp_unwrap - the OpenPGP packets inside the encryption layer of MSG (binary or armored;
 * gpg --unwrap: compressed data, signatures and literal data as the poster made them; for
 * SEIPD version 2 opened as pgp_decrypt says), no signature check; *OUT malloc'd, the
 * caller wipes (OPENSSL_cleanse) and frees it */
enum pgp_status pgp_unwrap(const void *msg, size_t len, uint8_t **out, size_t *outlen,
			   char *why, size_t whylen);
/* pgp_encrypt_wrapped - encrypt the OpenPGP message INNER (pgp_unwrap's output) to the
 * subkey SUBFPR (40 hex digits) alone, without a new literal data packet around it (gpg
 * --no-literal, no compression) nor the home's encrypt-to keys; ASCII armor in *ARMOR
 * (malloc'd, NUL-terminated, *ARMLEN without the NUL).  One gpg run.  PGP_E_FORMAT: gpg
 * refuses the subkey as a recipient (it cannot use that key); PGP_E_ENGINE: gpg failed
 * otherwise */
enum pgp_status pgp_encrypt_wrapped(const uint8_t *inner, size_t len, const char *subfpr,
				    char **armor, size_t *armlen, char *why, size_t whylen);
/* pgp_sign_detached - a detached signature (armored, RFC 3156 application/pgp-signature)
 * over DATA by the secret key SIGNER_FPR (the list's key) in *ARMOR (malloc'd, NUL-terminated,
 * *ARMLEN without the NUL), and MICALG (e.g. "pgp-sha512", for multipart/signed) naming its
 * hash.  A signature made apart from encryption names no intended recipients.  One gpg run.
 * PGP_E_FORMAT: no such secret key */
enum pgp_status pgp_sign_detached(const char *signer_fpr, const void *data, size_t len,
				  char **armor, size_t *armlen, char *micalg, size_t miclen,
				  char *why, size_t whylen);
/* a notation for pgp_sign_text: NAME ("name@domain", RFC 9580 5.2.3.24) and VALUE */
struct pgp_notation {
	const char *name;
	const char *value;
};
/* pgp_sign_text - a detached signature over DATA as canonical text (signature type 0x01, so
 * it survives a change of line endings) by SIGNER_FPR, armored in *ARMOR (malloc'd,
 * NUL-terminated, *ARMLEN without the NUL), with the N human-readable notations NOTES in
 * its hashed area (gpg --sig-notation); its creation time is gpg's clock.  One gpg run.
 * PGP_E_FORMAT: no such secret key; PGP_E_ENGINE: gpg refused (a notation name gpg does
 * not accept among them) */
enum pgp_status pgp_sign_text(const char *signer_fpr, const void *data, size_t len,
			      const struct pgp_notation *notes, size_t n, char **armor,
			      size_t *armlen, char *why, size_t whylen);
/* pgp_export_certs - the certificates of the N primary fingerprints FPRS as gpg exports them
 * with export-minimal (binary, concatenated; keys it does not have are left out, and for
 * more than a hundred fingerprints the whole keyring is exported, as pgp_keys does) into
 * *OUT (malloc'd, *OUTLEN octets).  One gpg run.  PGP_E_ENGINE: gpg failed */
enum pgp_status pgp_export_certs(const char *const *fprs, size_t n, uint8_t **out,
				 size_t *outlen, char *why, size_t whylen);
/* pgp_export_cert - pgp_export_certs of the one fingerprint FPR, answered from a small
 * process-wide table (one lock) while the public keyring files are unchanged, for at most
 * an hour (v4 fingerprints only; *OUT is the caller's copy either way) */
enum pgp_status pgp_export_cert(const char *fpr, uint8_t **out, size_t *outlen, char *why,
				size_t whylen);
/* pgp_cert_cache_stats - pgp_export_cert answers from the table and from gpg */
void pgp_cert_cache_stats(unsigned long *hits, unsigned long *misses);
/* pgp_agent_pkdecrypt - the gpg-agent of the GnuPG home decrypts SEXP (SLEN octets: a
 * PKDECRYPT ciphertext S-expression, opgp_pkesk_sexp's) with the secret key whose keygrip is
 * GRIP (40 hex digits), over the Assuan protocol (gpgme, GPGME_PROTOCOL_ASSUAN: SETKEY,
 * PKDECRYPT answering the CIPHERTEXT inquiry); the agent is started (gpgconf --launch) when
 * its socket does not answer.  *VALUE (malloc'd; the caller cleanses and frees it) gets
 * the agent's answer "(5:value N:...)" for opgp_agent_value.  PGP_E_DECRYPT: the agent
 * refused (no such key, bad ciphertext); PGP_E_ENGINE: no agent */
enum pgp_status pgp_agent_pkdecrypt(const char *grip, const char *sexp, size_t slen,
				    uint8_t **value, size_t *vlen, char *why, size_t whylen);
/* pgp_export_key - the public key FPR (40 hex digits) from the GnuPG home, ASCII-armored in
 * *ARMOR (malloc'd, NUL-terminated, *LEN without the NUL); MINIMAL: without third-party
 * certifications and with each user ID's latest self-signature only (gpg export-minimal).
 * One gpg run.  PGP_E_FORMAT: no such key */
enum pgp_status pgp_export_key(const char *fpr, bool minimal, char **armor, size_t *len,
			       char *why, size_t whylen);
/* pgp_encrypt_sign - DATA (LEN octets) encrypted to the key RCPT_FPR (40 hex digits) alone
 * and signed by the secret key SIGNER_FPR (the list's), as one OpenPGP message, ASCII armor
 * in *ARMOR (malloc'd, NUL-terminated, *ARMLEN without the NUL).  One gpg run.  PGP_E_FORMAT:
 * gpg cannot use RCPT_FPR (missing, expired, revoked) or the signer has no secret key */
enum pgp_status pgp_encrypt_sign(const void *data, size_t len, const char *rcpt_fpr,
				 const char *signer_fpr, char **armor, size_t *armlen, char *why,
				 size_t whylen);

/* what an import did (pgp_import) */
struct pgp_import {
	int considered, imported, unchanged, secret;	/* gpg's counts */
	char fpr[PGP_MAX_IMPORT][41];	/* public keys new or changed or unchanged, upper case,
					 * each once, the first PGP_MAX_IMPORT */
	size_t n;
};

/* pgp_import - import the OpenPGP keys in DATA (binary or armored) into the home (gpg merges
 * them into keys it has).  DATA must be whole public-key packets: one secret key packet, or
 * a packet that does not parse, and nothing is imported.  One gpg run.  PGP_E_FORMAT: no
 * key in DATA, malformed packets or secret key material */
enum pgp_status pgp_import(const void *data, size_t len, struct pgp_import *res, char *why,
			   size_t whylen);
/* pgp_delete_public - delete the public key FPR from the home; a key whose secret key is in
 * the home (a list's) is never deleted (PGP_E_FORMAT, as for a key that is not there).
 * One or two gpg runs */
enum pgp_status pgp_delete_public(const char *fpr, char *why, size_t whylen);
/* pgp_key_has_subkey - is KEYID (16 hex digits) the key ID of PRIMARY_FPR's key or of one of
 * its subkeys; false if unknown.  One gpg run the first time; then answered from a small
 * process-wide table (one lock) while the keyring files keep their inode, size and
 * modification time, for at most an hour (v4 fingerprints only) */
bool pgp_key_has_subkey(const char *primary_fpr, const char *keyid);
/* pgp_subkey_cache_stats - pgp_key_has_subkey answers from the table and from gpg */
void pgp_subkey_cache_stats(unsigned long *hits, unsigned long *misses);
/* pgp_decrypted_clear - wipe and free */
void pgp_decrypted_clear(struct pgp_decrypted *d);
/* pgp_keys - the keys of N primary fingerprints (40 hex digits each), from the cache or in
 * two gpg runs; OUT has N entries (clear each with pgp_key_clear); *CACHED (if not NULL)
 * gets how many came from the cache */
enum pgp_status pgp_keys(const char *const *fprs, size_t n, struct pgp_key *out,
			 size_t *cached, char *why, size_t whylen);
/* pgp_keys_cache_stats - keys answered from the cache and by gpg since the start */
void pgp_keys_cache_stats(unsigned long *hits, unsigned long *misses);
/* pgp_keys_cache_clear - forget every cached answer */
void pgp_keys_cache_clear(void);
/* pgp_key_clear - release what *K owns */
void pgp_key_clear(struct pgp_key *k);
/* pgp_key_state_name - "ok", "missing", "revoked", ... */
const char *pgp_key_state_name(enum pgp_key_state s);

#endif
