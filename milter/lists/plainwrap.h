/*
 * milter/lists/plainwrap.h - a plain message to a list made an OpenPGP message to the list's own
 * key, in the SMTP session, before it is spooled: so that the spool holds ciphertext only and
 * the worker treats it like any post (decrypt once with the list key, re-wrap the session key
 * for each recipient).  Used for plain mail to LIST-owner (people write there before they have
 * a key) and, where a list allows it, plain posts.
 *
 * plainwrap() takes the message as the MTA handed it over (header and body, CRLF or LF) and
 * writes an RFC 3156 PGP/MIME message:
 *   - outer header: the message's fields in their order except MIME-Version and Content-*,
 *     then MIME-Version: 1.0 and Content-Type: multipart/encrypted;
 *     protocol="application/pgp-encrypted"; boundary=...; the outer Subject stays (the
 *     message came in the clear, so hiding it now would protect nothing);
 *   - encrypted part: one literal data packet (format 'b', no file name, the time NOW)
 *     holding a MIME entity: the message's Content-* fields (Content-Type text/plain;
 *     charset=us-ascii when it had none) with protected-headers="v1" added to the
 *     Content-Type, copies of From, To, Cc, Reply-To, Subject, Date, Message-ID,
 *     In-Reply-To and References (the protected headers of the "Header Protection" draft
 *     that Thunderbird and others show), the empty line and the body as it came;
 *   - the packet encrypted as SEIPD version 1 (openpgp.h opgp_seipd1: AES-256, MDC) with a
 *     v3 PKESK for KEY (the list's encryption subkey, opgp_pkesk), ASCII-armored.
 * The boundary comes from RAND_bytes.  No signature is made: the poster did not sign, and the
 * list does not pretend they did.
 *
 * Errors: PLAINWRAP_E_FORMAT for a message whose header does not parse (WHY says where);
 * PLAINWRAP_E_CRYPTO when the key cannot take the session key or OpenSSL fails;
 * PLAINWRAP_E_NOMEM.  The session key and the plaintext packet are cleansed before return.
 * Pure computation on caller buffers, no global state: thread-safe.
 */
#ifndef POSTWARD_MILTER_PLAINWRAP_H
#define POSTWARD_MILTER_PLAINWRAP_H

#include <stddef.h>
#include <time.h>

#include "openpgp.h"

enum plainwrap_status { PLAINWRAP_OK, PLAINWRAP_E_FORMAT, PLAINWRAP_E_CRYPTO, PLAINWRAP_E_NOMEM };

/* plainwrap - MSG (LEN octets) as a PGP/MIME message encrypted to KEY; *OUT malloc'd,
 * NUL-terminated, *OUTLEN without the NUL */
enum plainwrap_status plainwrap(const char *msg, size_t len, const struct opgp_enckey *key,
				time_t now, char **out, size_t *outlen, char *why, size_t whylen);

#endif
