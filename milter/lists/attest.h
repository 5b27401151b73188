/*
 * milter/lists/attest.h - the list's attestation of an OpenPGP post whose signature cannot
 * travel to the subscribers unchanged: what the list verified, signed by the list's key.
 *
 * A poster's signature may name the keys the poster encrypted to (Intended Recipient
 * Fingerprint, RFC 9580 5.2.3.36: Sequoia and RFC 9580 implementations add it): it names the
 * list's key, so software that checks it refuses the poster's signature in a re-wrapped copy
 * ("not an intended recipient").  On the list setting "attest" (auto: when a signature names
 * intended recipients; always; never) the pool sends instead ONE new message per post,
 * encrypted once and re-wrapped for each subscriber as every copy is:
 *
 *   multipart/signed (RFC 3156; the list key's detached signature, made apart from any
 *                     encryption, so it names no intended recipient)
 *     multipart/mixed                                  <- the signed content
 *       text/plain        the list's statement: list, poster, the signing key's
 *                         fingerprint, the signature's creation time, its status as GnuPG
 *                         reported it, the recipients the signature names, and what the
 *                         subscriber can check
 *       (the post)        the post's decrypted MIME entity as the list decrypted it
 *       application/octet-stream "original-signed-message.asc": the poster's signed OpenPGP
 *                         message, the packets inside the post's encryption byte for byte,
 *                         ASCII-armored (gpg --verify and sq verify check it: outside an
 *                         encryption layer there are no intended recipients to enforce)
 *
 * attest_build() makes it all for the pool (and bench/pw-fanout): attest_content() the signed
 * multipart/mixed, the list's detached signature (pgp.c, one gpg run), attest_signed() the
 * multipart/signed around them, attest_literal() the OpenPGP literal data packet that
 * carries it into the encryption, opgp_seipd1() the encryption, once.  All lines end in CRLF
 * (the canonical form RFC 3156 signs).  Every output is malloc'd and the caller's; what holds
 * the post in clear is wiped before it is freed.  Thread-safe (OpenSSL's RAND_bytes for the
 * boundaries, a gpgme context per call).
 */
#ifndef POSTWARD_MILTER_ATTEST_H
#define POSTWARD_MILTER_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "openpgp.h"
#include "pgp.h"

struct attest_info {
	const char *list;		/* the list's address */
	const char *list_fpr;		/* the list's key fingerprint (its secret key signs) */
	const char *poster;		/* the post's envelope sender */
	const struct pgp_decrypted *dec;	/* the post decrypted: its content (a MIME entity)
					 * and GnuPG's verdict on its signatures */
	const struct opgp_sigrcpts *rcpts;	/* intended recipients the signatures name */
	const uint8_t *inner;		/* the packets inside the post's encryption
					 * (pgp_unwrap) */
	size_t inner_len;
};

/* what attest_build makes: the encrypted data every subscriber's copy carries */
struct attest_built {
	int algo;			/* its session key (RFC 4880 symmetric algorithm id) */
	uint8_t key[OPGP_MAX_SESSION_KEY];
	size_t keylen;
	uint8_t *data;			/* owned: the SEIPD version 1 packet */
	size_t data_len;
	uint8_t *literal;		/* owned: the literal data packet inside it (for gpg to
					 * encrypt to keys the re-wrap cannot serve) */
	size_t literal_len;
	char micalg[32];		/* the list signature's hash ("pgp-sha512") */
};

/* attest_build - the whole attestation of INFO: the content, the list key's detached
 * signature (pgp_sign_detached: one gpg run), the multipart/signed, its literal data packet
 * and that encrypted once (opgp_seipd1, a fresh AES-256 session key); clear *OUT with
 * attest_built_clear (also on error).  PGP_E_FORMAT: the list's secret key cannot sign (a
 * configuration error: trying again will not help); PGP_E_NOMEM, PGP_E_ENGINE otherwise */
enum pgp_status attest_build(const struct attest_info *info, struct attest_built *out,
			     char *why, size_t whylen);
/* attest_built_clear - wipe and free */
void attest_built_clear(struct attest_built *b);
/* attest_statement - the statement's text (LF line ends) for INFO: for the log's and the
 * tests' eyes too; *OUT malloc'd; false when out of memory */
bool attest_statement(const struct attest_info *info, char **out, size_t *len);
/* attest_content - the multipart/mixed entity the list signs, in CRLF form, with a random
 * boundary (RAND_bytes) the post does not contain, ORIGINAL (ASCII armor of INFO->inner,
 * OLEN octets) attached; false when out of memory or out of random octets */
bool attest_content(const struct attest_info *info, const char *original, size_t olen,
		    char **out, size_t *len);
/* attest_signed - the multipart/signed entity of CONTENT (CLEN octets, attest_content's) and
 * the list's detached signature SIG (armored), MICALG ("pgp-sha512"), with a random
 * boundary; false when out of memory or out of random octets */
bool attest_signed(const char *content, size_t clen, const char *sig, const char *micalg,
		   char **out, size_t *len);
/* attest_literal - an OpenPGP literal data packet (tag 11, format 'b', no file name, date
 * WHEN) holding DATA, for opgp_seipd1; false when out of memory or longer than a packet */
bool attest_literal(const char *data, size_t len, time_t when, uint8_t **out, size_t *outlen);

#endif
