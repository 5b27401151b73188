/*
 * milter/lists/openpgp-seipd2.c - open RFC 9580 SEIPD version 2 data (AEAD: EAX, OCB, GCM)
 * with its session key, so the packets inside can be verified and re-encrypted for the
 * subscribers whose software does not take SEIPDv2.
 *
 * NAME
 *	openpgp_seipd2 - opgp_seipd2_open()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototype and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	The body of a SEIPDv2 packet is: version 2, symmetric algorithm, AEAD algorithm, chunk
 *	size octet C, 32 octets of salt, then the chunks (each at most 2^(C+6) octets of
 *	ciphertext followed by its 16-octet tag; only the last may be shorter, never empty) and
 *	the final 16-octet tag.  RFC 9580 5.13.2: HKDF-SHA256 with the session key as input key
 *	material, the salt, and info = D2 || version || cipher || AEAD || C gives the message
 *	key (the cipher's key length) followed by the IV (nonce length - 8 octets: 8 EAX, 7
 *	OCB, 4 GCM); chunk I's nonce is IV || I (64-bit big-endian), its associated data the
 *	five info octets; the final tag authenticates the empty string under nonce IV || (number
 *	of chunks) with associated data the five octets || total plaintext octets (64-bit
 *	big-endian).  OCB and GCM are OpenSSL's EVP ciphers; EAX (RFC 9580 5.13.2 table 25,
 *	Bellare-Rogaway-Wagner) is built here from AES-CTR and CMAC: N' = OMAC0(nonce),
 *	H' = OMAC1(associated data), C' = OMAC2(ciphertext), tag = N' ^ H' ^ C', the plaintext
 *	CTR under N', OMACt(X) = CMAC([t] as one 16-octet block || X).  AES-128/192/256 only.
 *
 *	Every chunk tag and the final tag are checked before anything is returned: on any
 *	failure the plaintext buffer is cleansed and freed and *OUT stays NULL.  The derived
 *	key is cleansed; the session key is the caller's.  OpenSSL 3 EVP only, no global
 *	state: thread-safe.
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT (with WHY): not a SEIPDv2 packet, a truncated body, an empty last chunk,
 *	a session key of the wrong length, or a tag that does not verify (altered or wrongly
 *	keyed data); OPGP_E_UNSUPPORTED: a cipher other than AES or an unknown AEAD algorithm;
 *	OPGP_E_CRYPTO: OpenSSL failed; OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 9580 (5.13.2, 9.6), RFC 5869 (HKDF), RFC 7253 (OCB), NIST SP 800-38D (GCM),
 *	EAX (Bellare, Rogaway, Wagner 2004).
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#define SALT_LEN	32
#define TAG_LEN		16
#define HEAD_LEN	(4 + SALT_LEN)
#define AD_LEN		5		/* D2 || version || cipher || AEAD || chunk octet */
#define AEAD_EAX	1
#define AEAD_OCB	2
#define AEAD_GCM	3

/* what one SEIPDv2 packet is encrypted with */
struct aead_run {
	int aead;
	const char *cipher;		/* OpenSSL name of the AEAD (OCB, GCM) or CTR (EAX) */
	const char *cbc;		/* EAX: the CBC cipher CMAC runs on */
	size_t keylen, noncelen;
	uint8_t key[32];
	uint8_t nonce[16];		/* IV || chunk index */
	EVP_CIPHER *evp;
	EVP_CIPHER_CTX *cc;
	EVP_MAC *mac;
};

/* put64 - V as eight big-endian octets at P */
static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* derive - HKDF-SHA256 (RFC 5869) of the session key into the message key and the IV */
static int derive(const uint8_t *sk, size_t sklen, const uint8_t *salt, const uint8_t *info,
		  uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM ps[5];
	int ok;

	ps[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	ps[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)sk, sklen);
	ps[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN);
	ps[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, AD_LEN);
	ps[4] = OSSL_PARAM_construct_end();
	ok = kc != NULL && EVP_KDF_derive(kc, out, outlen, ps) == 1;
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	return ok;
}

/* omac - EAX's OMAC^T over A and B (either may be empty) into OUT (16 octets) */
static int omac(struct aead_run *r, int t, const uint8_t *a, size_t alen, const uint8_t *b,
		size_t blen, uint8_t out[16])
{
	EVP_MAC_CTX *mc = EVP_MAC_CTX_new(r->mac);
	OSSL_PARAM ps[2];
	uint8_t block[16] = { 0 };
	size_t outl = 0;
	int ok;

	block[15] = (uint8_t)t;
	ps[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)r->cbc, 0);
	ps[1] = OSSL_PARAM_construct_end();
	ok = mc != NULL && EVP_MAC_init(mc, r->key, r->keylen, ps) == 1 &&
	     EVP_MAC_update(mc, block, sizeof block) == 1 &&
	     (alen == 0 || EVP_MAC_update(mc, a, alen) == 1) &&
	     (blen == 0 || EVP_MAC_update(mc, b, blen) == 1) &&
	     EVP_MAC_final(mc, out, &outl, 16) == 1 && outl == 16;
	EVP_MAC_CTX_free(mc);
	return ok;
}

/* open_eax - one EAX chunk: 1 when TAG verifies (then PT holds the plaintext), 0 when it
 * does not, -1 when OpenSSL failed */
static int open_eax(struct aead_run *r, const uint8_t *ad, size_t adlen, const uint8_t *ct,
		    size_t len, const uint8_t *tag, uint8_t *pt)
{
	uint8_t n[16], h[16], c[16], want[16];
	int l = 0, ok = -1;

	if (!omac(r, 0, r->nonce, r->noncelen, NULL, 0, n) || !omac(r, 1, ad, adlen, NULL, 0, h) ||
	    !omac(r, 2, ct, len, NULL, 0, c))
		goto done;
	for (int i = 0; i < 16; i++)
		want[i] = n[i] ^ h[i] ^ c[i];
	if (CRYPTO_memcmp(want, tag, TAG_LEN) != 0) {
		ok = 0;
		goto done;
	}
	if (len > 0 && (EVP_DecryptInit_ex2(r->cc, r->evp, r->key, n, NULL) != 1 ||
			EVP_DecryptUpdate(r->cc, pt, &l, ct, (int)len) != 1 || (size_t)l != len))
		goto done;
	ok = 1;
done:
	OPENSSL_cleanse(n, sizeof n);
	OPENSSL_cleanse(c, sizeof c);
	return ok;
}

/* open_chunk - one chunk (or the final tag, LEN 0) under nonce IV || INDEX: 1 verified,
 * 0 the tag does not verify, -1 OpenSSL failed */
static int open_chunk(struct aead_run *r, uint64_t index, const uint8_t *ad, size_t adlen,
		      const uint8_t *ct, size_t len, const uint8_t *tag, uint8_t *pt)
{
	OSSL_PARAM ps[2];
	size_t ivlen = r->noncelen, done;
	int l = 0, f;

	put64(r->nonce + r->noncelen - 8, index);
	if (r->aead == AEAD_EAX)
		return open_eax(r, ad, adlen, ct, len, tag, pt);
	ps[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &ivlen);
	ps[1] = OSSL_PARAM_construct_end();
	if (EVP_DecryptInit_ex2(r->cc, r->evp, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_params(r->cc, ps) != 1 ||
	    EVP_DecryptInit_ex2(r->cc, NULL, r->key, r->nonce, NULL) != 1 ||
	    EVP_DecryptUpdate(r->cc, NULL, &l, ad, (int)adlen) != 1)
		return -1;
	done = 0;
	if (len > 0) {
		if (EVP_DecryptUpdate(r->cc, pt, &l, ct, (int)len) != 1)
			return 0;
		done = (size_t)l;
	}
	if (EVP_CIPHER_CTX_ctrl(r->cc, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)tag) != 1)
		return -1;
	/* OCB may hold back a partial block until the final call */
	f = EVP_DecryptFinal_ex(r->cc, pt + done, &l);
	return f == 1 && done + (size_t)l == len ? 1 : 0;
}

/* opgp_seipd2_open - the packets inside the SEIPDv2 packet at DATA (LEN octets) */
enum opgp_status opgp_seipd2_open(const uint8_t *data, size_t len, const uint8_t *sk,
				  size_t sklen, uint8_t **out, size_t *outlen, char *why,
				  size_t whylen)
{
	enum opgp_status s = OPGP_E_CRYPTO;
	struct aead_run r;
	const uint8_t *b = NULL;
	uint8_t *owned = NULL, *pt = NULL;
	uint8_t ad[AD_LEN + 8], km[32 + 16];
	size_t n = 0, next = 0, chunk, step, body, nchunks, total = 0, pos, rest;
	int tag = 0, v;

	*out = NULL;
	*outlen = 0;
	memset(&r, 0, sizeof r);
	if ((s = opgp_packet_body(data, len, 0, &tag, &b, &n, &owned, &next, why,
				   whylen)) != OPGP_OK)
		return s;
	s = OPGP_E_FORMAT;
	if (tag != TAG_SEIPD || n < HEAD_LEN + TAG_LEN || b[0] != 2) {
		setwhy(why, whylen, "not SEIPD version 2 data with its header and final tag");
		goto done;
	}
	switch (b[1]) {
	case 7: r.keylen = 16; break;
	case 8: r.keylen = 24; break;
	case 9: r.keylen = 32; break;
	default:
		setwhy(why, whylen, "SEIPD version 2 with symmetric algorithm %d (AES only)", b[1]);
		s = OPGP_E_UNSUPPORTED;
		goto done;
	}
	r.aead = b[2];
	switch (r.aead) {
	case AEAD_EAX:
		r.noncelen = 16;
		r.cipher = r.keylen == 16 ? "AES-128-CTR" : r.keylen == 24 ? "AES-192-CTR"
									    : "AES-256-CTR";
		r.cbc = r.keylen == 16 ? "AES-128-CBC" : r.keylen == 24 ? "AES-192-CBC"
									 : "AES-256-CBC";
		break;
	case AEAD_OCB:
		r.noncelen = 15;
		r.cipher = r.keylen == 16 ? "AES-128-OCB" : r.keylen == 24 ? "AES-192-OCB"
									    : "AES-256-OCB";
		break;
	case AEAD_GCM:
		r.noncelen = 12;
		r.cipher = r.keylen == 16 ? "AES-128-GCM" : r.keylen == 24 ? "AES-192-GCM"
									    : "AES-256-GCM";
		break;
	default:
		setwhy(why, whylen, "SEIPD version 2 with AEAD algorithm %d", r.aead);
		s = OPGP_E_UNSUPPORTED;
		goto done;
	}
	if (b[3] > 16) {
		setwhy(why, whylen, "SEIPD version 2 chunk size octet %d (0..16 supported)", b[3]);
		s = OPGP_E_UNSUPPORTED;
		goto done;
	}
	if (sklen != r.keylen) {
		setwhy(why, whylen, "session key of %zu octets for a %zu-octet cipher", sklen,
		       r.keylen);
		goto done;
	}
	chunk = (size_t)1 << (b[3] + 6);
	step = chunk + TAG_LEN;
	body = n - HEAD_LEN - TAG_LEN;
	nchunks = body / step;
	rest = body % step;
	if (rest != 0 && rest <= TAG_LEN) {
		setwhy(why, whylen, "SEIPD version 2: last chunk of %zu octets (an empty or cut "
		       "chunk)", rest);
		goto done;
	}
	nchunks += rest != 0;
	ad[0] = 0xc0 | TAG_SEIPD;
	memcpy(ad + 1, b, 4);
	s = OPGP_E_CRYPTO;
	if (!derive(sk, sklen, b + 4, ad, km, r.keylen + r.noncelen - 8))
		goto done;
	memcpy(r.key, km, r.keylen);
	memcpy(r.nonce, km + r.keylen, r.noncelen - 8);
	s = OPGP_E_NOMEM;
	if ((pt = malloc(body > 0 ? body : 1)) == NULL || (r.cc = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	s = OPGP_E_CRYPTO;
	if ((r.evp = EVP_CIPHER_fetch(NULL, r.cipher, NULL)) == NULL ||
	    (r.aead == AEAD_EAX && (r.mac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL)) {
		setwhy(why, whylen, "OpenSSL has no %s", r.cipher);
		goto done;
	}
	pos = HEAD_LEN;
	for (size_t i = 0; i < nchunks; i++) {
		/* what is left before the final tag: this chunk and its tag, and the rest */
		size_t left = n - pos - TAG_LEN;
		size_t clen = left < step ? left - TAG_LEN : chunk;

		v = open_chunk(&r, i, ad, AD_LEN, b + pos, clen, b + pos + clen, pt + total);
		if (v <= 0) {
			s = v < 0 ? OPGP_E_CRYPTO : OPGP_E_FORMAT;
			setwhy(why, whylen, v < 0 ? "OpenSSL failed on SEIPD version 2 chunk %zu"
			       : "SEIPD version 2 chunk %zu does not authenticate (altered data or "
				 "a wrong session key)", i);
			goto done;
		}
		total += clen;
		pos += clen + TAG_LEN;
	}
	put64(ad + AD_LEN, total);
	v = open_chunk(&r, nchunks, ad, sizeof ad, NULL, 0, b + pos, pt + total);
	if (v <= 0) {
		s = v < 0 ? OPGP_E_CRYPTO : OPGP_E_FORMAT;
		setwhy(why, whylen, v < 0 ? "OpenSSL failed on the SEIPD version 2 final tag"
		       : "SEIPD version 2 final tag does not authenticate (altered, cut or "
			 "reordered data)");
		goto done;
	}
	*out = pt;
	*outlen = total;
	pt = NULL;
	s = OPGP_OK;
done:
	if (pt != NULL) {
		OPENSSL_cleanse(pt, body);
		free(pt);
	}
	OPENSSL_cleanse(km, sizeof km);
	OPENSSL_cleanse(&r.key, sizeof r.key);
	EVP_CIPHER_CTX_free(r.cc);
	EVP_CIPHER_free(r.evp);
	EVP_MAC_free(r.mac);
	free(owned);
	return s;
}
