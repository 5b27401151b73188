/*
 * milter/lists/openpgp-open.c - a post's encrypted data opened in process with a session key
 * already known (the SMTP session's decryption, handed over by keyhand.h), so the worker need
 * not run gpg --unwrap to read the poster's packets.
 *
 * NAME
 *	openpgp_open - opgp_open()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototype and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	opgp_open() takes the encrypted data packet at the start of DATA (opgp_split's data_off
 *	and data_len) and gives the packets inside it, the very octets gpg --unwrap writes:
 *	SEIPD version 1 (RFC 4880 5.13, RFC 9580 5.13.1) - the body after the version octet is
 *	decrypted in CFB mode with a zero IV (no resynchronisation), the quick check (the last
 *	two octets of the random prefix repeated) and the Modification Detection Code (the
 *	packet D3 14 at the end and SHA-1 over prefix, packets and D3 14, compared in constant
 *	time) are checked, and what lies between the prefix and the MDC is returned; SEIPD
 *	version 2 through opgp_seipd2_open().  Ciphers: AES-128/192/256 (ids 7, 8, 9) and
 *	Camellia-128/192/256 (11, 12, 13) when OpenSSL has them; the others (3DES, CAST5,
 *	Blowfish, Twofish: 8-octet blocks or no OpenSSL cipher), tag 9 data (no integrity) and
 *	GnuPG's tag 20 AEAD packets are left to gpg (OPGP_E_UNSUPPORTED).  Nothing is returned
 *	unless every check passed; the decrypted buffer is cleansed on every error.  OpenSSL 3
 *	EVP only, no global state: thread-safe.
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT (with WHY): not an encrypted data packet, a body too short, a wrong key
 *	(quick check), a missing or wrong MDC; OPGP_E_UNSUPPORTED: see above; OPGP_E_CRYPTO:
 *	OpenSSL failed; OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 4880 (5.13, 5.14, 13.9), RFC 9580 (5.13.1, 5.13.2).
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define BLOCK		16		/* AES and Camellia: the random prefix */
#define MDC_LEN		22		/* D3 14 || SHA-1 */

/* cfb_name - the OpenSSL name of ALGO's CFB-128 mode, or NULL */
static const char *cfb_name(int algo)
{
	switch (algo) {
	case 7: return "AES-128-CFB";
	case 8: return "AES-192-CFB";
	case 9: return "AES-256-CFB";
	case 11: return "CAMELLIA-128-CFB";
	case 12: return "CAMELLIA-192-CFB";
	case 13: return "CAMELLIA-256-CFB";
	default: return NULL;
	}
}

/* cfb_decrypt - CT (LEN octets) decrypted into PT with cipher NAME, key SK, zero IV */
static enum opgp_status cfb_decrypt(const char *name, const uint8_t *sk, size_t sklen,
				    const uint8_t *ct, size_t len, uint8_t *pt, char *why,
				    size_t whylen)
{
	static const uint8_t iv[BLOCK];
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *cc = NULL;
	enum opgp_status s = OPGP_E_CRYPTO;
	size_t done = 0;
	int l = 0;

	if (ci == NULL) {
		setwhy(why, whylen, "OpenSSL has no %s", name);
		return OPGP_E_UNSUPPORTED;
	}
	if ((size_t)EVP_CIPHER_get_key_length(ci) != sklen ||
	    EVP_CIPHER_get_iv_length(ci) != BLOCK) {
		setwhy(why, whylen, "a %zu-octet session key for %s", sklen, name);
		s = OPGP_E_FORMAT;
		goto out;
	}
	if ((cc = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(cc, ci, sk, iv, NULL) != 1)
		goto out;
	while (done < len) {		/* EVP counts in int */
		size_t n = len - done > (1u << 30) ? (1u << 30) : len - done;
		if (EVP_DecryptUpdate(cc, pt + done, &l, ct + done, (int)n) != 1 || (size_t)l != n)
			goto out;
		done += n;
	}
	s = OPGP_OK;
out:
	if (s == OPGP_E_CRYPTO)
		setwhy(why, whylen, "OpenSSL failed to decrypt with %s", name);
	EVP_CIPHER_CTX_free(cc);
	EVP_CIPHER_free(ci);
	return s;
}

/* mdc_ok - the MDC at the end of PT (LEN octets, prefix included) is right */
static enum opgp_status mdc_ok(const uint8_t *pt, size_t len)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (pt[len - MDC_LEN] != 0xD3 || pt[len - MDC_LEN + 1] != 0x14)
		return OPGP_E_FORMAT;
	if (EVP_Digest(pt, len - (MDC_LEN - 2), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != MDC_LEN - 2)
		return OPGP_E_CRYPTO;
	return CRYPTO_memcmp(md, pt + len - (MDC_LEN - 2), MDC_LEN - 2) == 0 ? OPGP_OK :
	       OPGP_E_FORMAT;
}

/* seipd1_open - the packets inside the SEIPD version 1 body BODY (BLEN octets) */
static enum opgp_status seipd1_open(const uint8_t *body, size_t blen, int algo,
				    const uint8_t *sk, size_t sklen, uint8_t **out,
				    size_t *outlen, char *why, size_t whylen)
{
	const char *name = cfb_name(algo);
	uint8_t *pt;
	size_t len, inner;
	enum opgp_status s;

	if (name == NULL) {
		setwhy(why, whylen, "symmetric algorithm %d is left to gpg", algo);
		return OPGP_E_UNSUPPORTED;
	}
	if (blen < 1 || body[0] != 1) {
		setwhy(why, whylen, "SEIPD version %d, not 1", blen ? body[0] : -1);
		return OPGP_E_FORMAT;
	}
	len = blen - 1;
	if (len <= BLOCK + 2 + MDC_LEN) {
		setwhy(why, whylen, "SEIPD body of %zu octets: too short", len);
		return OPGP_E_FORMAT;
	}
	if ((pt = malloc(len)) == NULL)
		return OPGP_E_NOMEM;
	s = cfb_decrypt(name, sk, sklen, body + 1, len, pt, why, whylen);
	if (s == OPGP_OK && (pt[BLOCK - 2] != pt[BLOCK] || pt[BLOCK - 1] != pt[BLOCK + 1])) {
		setwhy(why, whylen, "the quick check fails: not this post's session key");
		s = OPGP_E_FORMAT;
	}
	if (s == OPGP_OK && (s = mdc_ok(pt, len)) != OPGP_OK)
		setwhy(why, whylen, s == OPGP_E_FORMAT ? "the modification detection code does "
		       "not match: the data was altered" : "OpenSSL failed to hash");
	if (s != OPGP_OK) {
		OPENSSL_cleanse(pt, len);
		free(pt);
		return s;
	}
	inner = len - BLOCK - 2 - MDC_LEN;
	memmove(pt, pt + BLOCK + 2, inner);
	OPENSSL_cleanse(pt + inner, len - inner);
	*out = pt;
	*outlen = inner;
	return OPGP_OK;
}

/* opgp_open - the packets inside DATA's encryption with the known session key */
enum opgp_status opgp_open(const uint8_t *data, size_t len, int algo, const uint8_t *sk,
			   size_t sklen, uint8_t **out, size_t *outlen, char *why, size_t whylen)
{
	const uint8_t *body = NULL;
	uint8_t *owned = NULL;
	size_t blen = 0, next = 0;
	int tag = 0;
	enum opgp_status s;

	*out = NULL;
	*outlen = 0;
	if ((s = opgp_packet_body(data, len, 0, &tag, &body, &blen, &owned, &next, why,
				  whylen)) != OPGP_OK)
		return s;
	if (tag != TAG_SEIPD) {
		setwhy(why, whylen, "encrypted data of tag %d is left to gpg", tag);
		s = tag == TAG_SED || tag == TAG_AEAD ? OPGP_E_UNSUPPORTED : OPGP_E_FORMAT;
	} else if (blen >= 1 && body[0] == 2) {
		s = opgp_seipd2_open(data, len, sk, sklen, out, outlen, why, whylen);
	} else {
		s = seipd1_open(body, blen, algo, sk, sklen, out, outlen, why, whylen);
	}
	free(owned);
	return s;
}
