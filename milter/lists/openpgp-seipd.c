/*
 * milter/lists/openpgp-seipd.c - a new SEIPD version 1 packet around a post's decrypted packets,
 * for the subscribers whose keys do not announce the AEAD format the post came in.
 *
 * NAME
 *	openpgp_seipd - opgp_seipd1()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototype and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	opgp_seipd1() draws a fresh AES-256 session key and encrypts INNER (the OpenPGP packets
 *	inside the post's encryption layer, as gpg --unwrap gives them: compressed data, one-pass
 *	signature, literal data, signature, so the poster's signature travels unchanged) as
 *	RFC 4880 5.13 says: 16 random octets, their last two again, INNER, the MDC packet header
 *	D3 14 and SHA-1 over all of that, the whole in CFB mode with a zero IV, behind the
 *	version octet 1 in a tag 18 packet (new format, five-octet length).  The caller wraps
 *	the new key for each subscriber with opgp_pkesk() (v3).  The plaintext copy and the
 *	key stream never leave this function; the key is the caller's to cleanse.  OpenSSL 3
 *	EVP only, no global state: thread-safe.
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT: INNER empty or too long for one packet (4 GiB); OPGP_E_CRYPTO: OpenSSL
 *	(random octets, AES, SHA-1) failed; OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 4880 (5.13, 5.14, 13.9), RFC 9580 (5.13.1).
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SEIPD1_ALGO	9		/* AES-256 */
#define SEIPD1_KEYLEN	32
#define BLOCK		16		/* AES block: the random prefix */
#define MDC_LEN		22		/* D3 14 || SHA-1 */
#define HEAD_LEN	6		/* new-format header with a five-octet length */

/* opgp_seipd1 - INNER encrypted as SEIPD version 1 under a fresh AES-256 key */
enum opgp_status opgp_seipd1(const uint8_t *inner, size_t len, int *algo, uint8_t *key,
			     size_t *keylen, uint8_t **out, size_t *outlen)
{
	enum opgp_status s = OPGP_E_CRYPTO;
	uint8_t prefix[BLOCK + 2], mdc[MDC_LEN];
	uint8_t *pkt = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_CIPHER_CTX *cc = NULL;
	unsigned int dlen = 0;
	size_t body, pos;
	int l = 0;

	*out = NULL;
	*outlen = 0;
	*algo = 0;
	*keylen = 0;
	if (inner == NULL || len == 0 || len > 0xffffffffu - (1 + sizeof prefix + MDC_LEN) ||
	    len > (size_t)INT32_MAX - 64)
		return OPGP_E_FORMAT;
	body = 1 + sizeof prefix + len + MDC_LEN;
	if ((pkt = malloc(HEAD_LEN + body)) == NULL)
		return OPGP_E_NOMEM;
	if (RAND_priv_bytes(key, SEIPD1_KEYLEN) != 1 || RAND_bytes(prefix, BLOCK) != 1)
		goto done;
	prefix[BLOCK] = prefix[BLOCK - 2];
	prefix[BLOCK + 1] = prefix[BLOCK - 1];
	/* the MDC: SHA-1 over prefix, repeat, the packets and the MDC packet's own header */
	mdc[0] = 0xd3;
	mdc[1] = 0x14;
	if ((md = EVP_MD_CTX_new()) == NULL || (cc = EVP_CIPHER_CTX_new()) == NULL) {
		s = OPGP_E_NOMEM;
		goto done;
	}
	if (EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(md, prefix, sizeof prefix) != 1 ||
	    EVP_DigestUpdate(md, inner, len) != 1 || EVP_DigestUpdate(md, mdc, 2) != 1 ||
	    EVP_DigestFinal_ex(md, mdc + 2, &dlen) != 1 || dlen != MDC_LEN - 2)
		goto done;
	pos = 0;
	pkt[pos++] = 0xc0 | TAG_SEIPD;
	pkt[pos++] = 0xff;
	pkt[pos++] = (uint8_t)(body >> 24);
	pkt[pos++] = (uint8_t)(body >> 16);
	pkt[pos++] = (uint8_t)(body >> 8);
	pkt[pos++] = (uint8_t)body;
	pkt[pos++] = 1;				/* version */
	/* one CFB stream with a zero IV over prefix || repeat || packets || MDC */
	if (EVP_EncryptInit_ex(cc, EVP_aes_256_cfb128(), NULL, key, NULL) != 1 ||
	    EVP_EncryptUpdate(cc, pkt + pos, &l, prefix, (int)sizeof prefix) != 1)
		goto done;
	pos += (size_t)l;
	if (EVP_EncryptUpdate(cc, pkt + pos, &l, inner, (int)len) != 1)
		goto done;
	pos += (size_t)l;
	if (EVP_EncryptUpdate(cc, pkt + pos, &l, mdc, MDC_LEN) != 1)
		goto done;
	pos += (size_t)l;
	if (EVP_EncryptFinal_ex(cc, pkt + pos, &l) != 1)
		goto done;
	pos += (size_t)l;
	if (pos != HEAD_LEN + body)
		goto done;
	*out = pkt;
	*outlen = pos;
	*algo = SEIPD1_ALGO;
	*keylen = SEIPD1_KEYLEN;
	pkt = NULL;
	s = OPGP_OK;
done:
	if (s != OPGP_OK)
		OPENSSL_cleanse(key, SEIPD1_KEYLEN);
	OPENSSL_cleanse(prefix, sizeof prefix);
	OPENSSL_cleanse(mdc, sizeof mdc);
	EVP_CIPHER_CTX_free(cc);
	EVP_MD_CTX_free(md);
	free(pkt);
	return s;
}
