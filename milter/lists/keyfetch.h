/*
 * milter/lists/keyfetch.h - fetch a subscriber's OpenPGP certificate over HTTPS (WKD, a VKS
 * keyserver) and merge it into the GnuPG home, never taking a key other than the one the
 * list names.
 *
 * Sources:
 *   WKD  draft-koch-openpgp-webkey-service: for local@domain the advanced method
 *        https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/HASH?l=LOCAL, and only
 *        when the host openpgpkey.DOMAIN has no address (the draft's rule) the direct method
 *        https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL, where HASH is the z-base-32
 *        form of the SHA-1 of the local part with ASCII upper case made lower case, and the
 *        domain is lower-cased.  The answer is a binary key block.
 *   VKS  the keyserver at the configured URL (keys.openpgp.org by default):
 *        URL/vks/v1/by-fingerprint/FPR, an armored key block.
 * HTTPS only (redirects too), the peer's certificate and name verified against the system
 * CAs or a CA file, a timeout per transfer, at most max_size octets (KEYFETCH_MAX), libcurl's
 * CONNECT_TO entries from the configuration (tests, or sites that must reach a host through
 * a fixed address: the name is still the one verified).  HTTP 404 and 410 are "not found";
 * other HTTP errors, connection failures and timeouts are temporary errors; a certificate
 * that does not verify and an answer over the size cap are refused.
 *
 * Import: the answer (armored or binary) is read by openpgp.c (opgp_cert_find): only the
 * certificate whose v4 primary fingerprint is the subscriber's configured one is kept; a
 * block without it is refused as an unrelated key (and nothing is imported), other
 * certificates in the block are left out, any secret key material refuses the whole answer.
 * gpg itself then lists the kept octets in a dry run (gpgme keylist-from-data: gpg's own
 * reading must be exactly that one key) before gpgme imports them into the GnuPG home, where
 * gpg merges new signatures, subkeys, expiry dates and revocations into the key it has.
 *
 * Results: KEYFETCH_UPDATED (gpg took something new: a signature, subkey, user ID,
 * revocation, or the whole key when the home lacked it), KEYFETCH_UNCHANGED, KEYFETCH_NOTFOUND,
 * KEYFETCH_REFUSED (an unrelated key, malformed data, a certificate that did not verify, an
 * oversized answer: WHY says which), KEYFETCH_TEMPFAIL (try again later).
 *
 * Threads: keyfetch_global_init() (curl_global_init) runs once, before any thread starts,
 * and keyfetch_global_end() after they all stopped; in between every call is thread-safe: each
 * call makes its own curl handle (CURLOPT_NOSIGNAL) and its own gpgme context, and nothing is
 * shared.  gpgme_check_version must have run too (pgp_global_init does it; so does
 * keyfetch_global_init).  Lookups of host names use the system resolver, not postward's
 * DNSSEC-validating one; the trust is in the HTTPS certificate and the fingerprint check.
 */
#ifndef POSTWARD_MILTER_KEYFETCH_H
#define POSTWARD_MILTER_KEYFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYFETCH_MAX (1u << 20)		/* octets of one answer unless max_size says less */
#define KEYFETCH_MAX_CONNECT_TO 16	/* CONNECT_TO entries */

enum keyfetch_source { KEYFETCH_WKD, KEYFETCH_VKS };

enum keyfetch_result {
	KEYFETCH_UPDATED,
	KEYFETCH_UNCHANGED,
	KEYFETCH_NOTFOUND,
	KEYFETCH_REFUSED,
	KEYFETCH_TEMPFAIL,
};

struct keyfetch_config {
	const char *gnupg_home;		/* where the subscribers' keys are imported */
	const char *vks_url;		/* https://HOST[:PORT][/PATH], no trailing slash needed */
	const char *ca_file;		/* NULL or "": the system's CAs */
	const char *const *connect_to;	/* CURLOPT_CONNECT_TO entries "HOST:PORT:TO-HOST:TO-PORT" */
	size_t n_connect_to;
	unsigned timeout;		/* seconds per transfer (0: 30) */
	size_t max_size;		/* octets (0: KEYFETCH_MAX) */
};

/* keyfetch_global_init - curl_global_init and gpgme_check_version; once, before threads;
 * false + WHY when libcurl cannot start or lacks HTTPS */
bool keyfetch_global_init(char *why, size_t whylen);
/* keyfetch_global_end - curl_global_cleanup; after every thread using this module stopped */
void keyfetch_global_end(void);
/* keyfetch_result_name - "updated", "unchanged", "not-found", "refused", "temporary-error" */
const char *keyfetch_result_name(enum keyfetch_result r);
/* keyfetch_source_name - "wkd" or "vks" */
const char *keyfetch_source_name(enum keyfetch_source s);
/* keyfetch_wkd_hash - the z-base-32 SHA-1 of LOCAL (ASCII lower-cased), 32 characters and a
 * NUL in OUT; false on lack of memory or SHA-1 failure */
bool keyfetch_wkd_hash(const char *local, size_t len, char out[33]);
/* keyfetch_get - fetch FPR's certificate (40 hex digits) from SRC (ADDRESS: local@domain, for
 * WKD): the raw answer in *DATA (malloc'd, free()) and *LEN on KEYFETCH_UPDATED (meaning
 * "got an answer" here); the URL asked last in URL (may be NULL); every other result with
 * WHY */
enum keyfetch_result keyfetch_get(const struct keyfetch_config *c, enum keyfetch_source src,
				  const char *address, const char *fpr, uint8_t **data,
				  size_t *len, char *url, size_t urllen, char *why,
				  size_t whylen);
/* keyfetch_import - check DATA (LEN octets, armored or binary) as described above and import
 * FPR's certificate from it into c->gnupg_home; UPDATED, UNCHANGED, REFUSED (unrelated key,
 * malformed) or TEMPFAIL (gpg failed) with WHY.  SOURCE names the origin for gpg's key-origin
 * record (NULL: none) */
enum keyfetch_result keyfetch_import(const struct keyfetch_config *c, const char *fpr,
				     const uint8_t *data, size_t len, const char *source,
				     char *why, size_t whylen);
#define KEYFETCH_MAX_CERTS 8		/* certificates of one answer keyfetch_certs lists */
/* keyfetch_get_url - GET the https URL under C's rules (a signed X-FETCH-KEY naming a URL):
 * *DATA (malloc'd) and *LEN on KEYFETCH_UPDATED ("got an answer"), else NOTFOUND, REFUSED or
 * TEMPFAIL with WHY */
enum keyfetch_result keyfetch_get_url(const struct keyfetch_config *c, const char *url,
				      uint8_t **data, size_t *len, char *why, size_t whylen);
/* keyfetch_certs - the v4 primary fingerprints (40 upper-case hex digits) of the
 * certificates in DATA (LEN octets, armored or binary), in order, at most MAX into FPRS and
 * their count into *N: for an answer fetched without a fingerprint to check against (an
 * address, a URL), each then goes through keyfetch_import.  KEYFETCH_UPDATED when there is
 * at least one; REFUSED with WHY for a block that does not parse, holds secret key material,
 * a certificate of another version, or more than MAX; TEMPFAIL for lack of memory */
enum keyfetch_result keyfetch_certs(const uint8_t *data, size_t len, char (*fprs)[41],
				    size_t max, size_t *n, char *why, size_t whylen);
/* keyfetch_refresh - keyfetch_get then keyfetch_import: one source for one subscriber */
enum keyfetch_result keyfetch_refresh(const struct keyfetch_config *c, enum keyfetch_source src,
				      const char *address, const char *fpr, char *why,
				      size_t whylen);

#endif
