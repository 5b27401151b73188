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
 * This module builds the texts (no I/O, no gpgme; OpenSSL's RAND_bytes for boundaries): attest_content() the signed
 * multipart/mixed, attest_signed() the multipart/signed around it and the list's signature,
 * attest_literal() the OpenPGP literal data packet that carries it into the encryption
 * (opgp_seipd1).  All lines end in CRLF (the canonical form RFC 3156 signs).  Every output
 * is malloc'd and the caller's (free(); the content and the packet hold the post in clear:
 * OPENSSL_cleanse them first).  Thread-safe.
 */
#ifndef POSTWARD_MILTER_ATTEST_H
#define POSTWARD_MILTER_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "openpgp.h"

/* what the list verified about the poster's signature */
struct attest_sig {
	const char *fpr;		/* the signer's primary key fingerprint (hex), or "" */
	const char *const *emails;	/* the key's user ID e-mail addresses */
	size_t n_emails;
	time_t created;			/* 0 when unknown */
	bool good;
	const char *why;		/* not good: GnuPG's reason */
};

struct attest_info {
	const char *list;		/* the list's address */
	const char *list_fpr;		/* the list's key fingerprint */
	const char *poster;		/* the post's envelope sender */
	const struct attest_sig *sigs;
	size_t n_sigs;
	const struct opgp_sigrcpts *rcpts;	/* intended recipients the signatures name */
	const uint8_t *post;		/* the post's decrypted content (a MIME entity) */
	size_t post_len;
	const char *original;		/* the poster's signed message, ASCII-armored */
	size_t original_len;
};

/* attest_statement - the statement's text (LF line ends) for INFO: for the log's and the
 * tests' eyes too; *OUT malloc'd; false when out of memory */
bool attest_statement(const struct attest_info *info, char **out, size_t *len);
/* attest_content - the multipart/mixed entity the list signs, in CRLF form, with a random
 * boundary (RAND_bytes) the post does not contain; false when out of memory or out of
 * random octets */
bool attest_content(const struct attest_info *info, char **out, size_t *len);
/* attest_signed - the multipart/signed entity of CONTENT (CLEN octets, attest_content's) and
 * the list's detached signature SIG (armored), MICALG ("pgp-sha512"), with a random
 * boundary; false when out of memory or out of random octets */
bool attest_signed(const char *content, size_t clen, const char *sig, const char *micalg,
		   char **out, size_t *len);
/* attest_literal - an OpenPGP literal data packet (tag 11, format 'b', no file name, date
 * WHEN) holding DATA, for opgp_seipd1; false when out of memory or longer than a packet */
bool attest_literal(const char *data, size_t len, time_t when, uint8_t **out, size_t *outlen);

#endif
