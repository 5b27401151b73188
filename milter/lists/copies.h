/*
 * milter/lists/copies.h - one subscriber's copy of a list post, as fan-out build functions
 * (fanout.h): OpenPGP (a new PKESK for the subscriber's key in front of the post's unchanged
 * encrypted data, ASCII armor, the MIME of the copy) and S/MIME (the post's EnvelopedData
 * re-addressed to the subscriber's certificate, the MIME of the copy).
 *
 * The worker fills a context with what every copy shares and one entry per item (the
 * subscribers that are to get a copy, in order), and hands copies_pgp_ops / copies_smime_ops
 * to fanout_start().  Everything a context points to is read-only while the fan-out runs;
 * the S/MIME builder opens the post once per thread (a struct smime_post is not shared),
 * which costs one private-key operation per builder thread.  An OpenPGP item whose key the
 * re-wrap cannot serve is handed to the context's fallback, whose armor goes into the same
 * copy (listpost_copy) as a re-wrapped one.  A failure particular to one
 * subscriber (a key the session key cannot be wrapped for, an unreadable or expired
 * certificate) is FANOUT_SKIP with the reason the subscriber's notice and the owner's
 * report carry; lack of memory is FANOUT_FAIL.
 */
#ifndef POSTWARD_MILTER_COPIES_H
#define POSTWARD_MILTER_COPIES_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fanout.h"
#include "listpost.h"
#include "openpgp.h"

struct copies_pgp {
	int algo;				/* the post's session key */
	const uint8_t *key;
	size_t keylen;
	const uint8_t *data;			/* the post's encrypted data packet(s) */
	size_t data_len;
	int pkesk_version;			/* 3, or 6 for SEIPDv2 data
						 * (opgp_format_pkesk_version) */
	const struct opgp_enckey *const *keys;	/* item k's encryption subkey; NULL: the
						 * re-wrap cannot serve it, fallback makes
						 * the copy */
	/* the fallback for keys the re-wrap cannot serve (NULL in keys, or a wrap that
	 * answers OPGP_E_UNSUPPORTED): the armored copy for item k made some other way
	 * (pool.c: gpg); called on builder threads at once, so it guards its own state.
	 * NULL: such items are FANOUT_SKIP */
	enum fanout_result (*fallback)(void *fctx, size_t k, char **armor, size_t *len,
				       char *why, size_t whylen);
	void *fallback_ctx;
	const char *msg;			/* the post as spooled, for its header */
	size_t msg_len;
	const struct listpost *post;
	const struct listpost_copy_args *args;
};

struct copies_smime {
	const uint8_t *der;			/* the post's EnvelopedData */
	size_t der_len;
	EVP_PKEY *list_key;			/* the list's key and certificate (OpenSSL
						 * objects are safe to share read-only) */
	X509 *list_cert;
	const char *const *certs;		/* item k's certificate file */
	const char *msg;			/* the post as spooled, for its header */
	size_t msg_len;
	const struct listpost *post;
	const struct listpost_copy_args *args;
};

extern const struct fanout_ops copies_pgp_ops;		/* CTX: struct copies_pgp */
extern const struct fanout_ops copies_smime_ops;	/* CTX: struct copies_smime */

/* copies_window - how many copies of about COPY_LEN octets may wait in memory */
size_t copies_window(size_t copy_len, unsigned threads);

#endif
