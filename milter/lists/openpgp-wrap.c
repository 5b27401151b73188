/*
 * milter/lists/openpgp-wrap.c - session-key (re-)wrapping for encrypted lists: the v3 PKESK
 * (and the v6 PKESK SEIPDv2 data needs) that hands one subscriber the post's session key, for
 * RSA (PKCS#1 v1.5) and ECDH on Curve25519, NIST P-256/384/521 and brainpoolP256r1/384r1/
 * 512r1, and the "ALGO:HEX" session key as gpgme exports it.
 *
 * NAME
 *	openpgp_wrap - opgp_pkesk(), opgp_pkesk6(), opgp_parse_session_key()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototypes and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	opgp_pkesk() frames the session key as algo || key || checksum; RSA: PKCS#1 v1.5
 *	(EVP_PKEY_encrypt, RSA_PKCS1_PADDING) to the MPI of the result; ECDH: a fresh
 *	ephemeral key on the subscriber's curve per call (X25519: 32 random octets; the
 *	Weierstrass curves: EVP_PKEY_Q_keygen), ZZ = the shared secret (X25519's output, or
 *	the X coordinate of the shared point, field-length, RFC 6637 section 7), KEK =
 *	Hash(00 00 00 01 || ZZ || Param) truncated, with Param = len || curve OID || 12 || 03
 *	01 HASH CIPHER || "Anonymous Sender    " || recipient fingerprint (RFC 6637 sections
 *	7, 8; HASH and CIPHER the subscriber key's own), the frame padded PKCS#5-style with
 *	1..8 octets to a multiple of 8 and AES-key-wrapped (RFC 3394); the PKESK carries the
 *	ephemeral point as its MPI (0x40 || u, or 04 || X || Y).  opgp_ecdh_peer() turns a
 *	key's point into an EVP_PKEY and refuses one that is not on its curve; openpgp.c
 *	calls it when it reads a key.  Secrets on the stack (frame, ZZ, KEK, the X25519
 *	scalar) are cleansed before return; EVP_PKEY_free clears an EC private key.  OpenSSL
 *	3 EVP only, no global state: thread-safe.  The subscriber's key (struct
 *	opgp_enckey) comes from opgp_enckey_from_block() in openpgp.c.
 *
 *	opgp_pkesk6() writes the v6 PKESK of RFC 9580 5.1.2 for the same v4 keys: the key
 *	named by version and fingerprint, the frame without the algorithm octet (key ||
 *	checksum, padded likewise for ECDH; the ECDH KDF still takes the v4 fingerprint).
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT: a session key that is not "ALGO:HEX", or not of its algorithm's key
 *	length, or a subscriber key whose parameters do not fit its algorithm;
 *	OPGP_E_UNSUPPORTED: a symmetric algorithm not in the table here, or a public-key
 *	algorithm other than RSA and ECDH;
 *	OPGP_E_CRYPTO: OpenSSL refused (e.g. an RSA modulus it rejects, an X25519 point of
 *	small order); OPGP_E_NOMEM.  opgp_ecdh_peer: OPGP_E_FORMAT for a point off its curve.
 *
 * STANDARDS
 *	RFC 4880 (5.1, 3.2), RFC 6637 (7, 8, 9), RFC 9580 (5.1.2-5.1.4, 11.5), RFC 3394,
 *	RFC 7748, NIST SP 800-56A (5.6.2.3.4, the partial public key check).
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#define FRAME_MAX	(1 + OPGP_MAX_SESSION_KEY + 2 + 8)	/* with the ECDH padding */

static const char anonymous_sender[20] = "Anonymous Sender    ";

/* symmetric algorithms whose session keys may be wrapped, with their key lengths */
static const struct {
	int id;
	size_t keylen;
} sym_algos[] = {
	{ 1, 16 },	/* IDEA */
	{ 2, 24 },	/* TripleDES */
	{ 3, 16 },	/* CAST5 */
	{ 4, 16 },	/* Blowfish */
	{ 7, 16 },	/* AES-128 */
	{ 8, 24 },	/* AES-192 */
	{ 9, 32 },	/* AES-256 */
	{ 10, 32 },	/* Twofish */
	{ 11, 16 },	/* Camellia-128 */
	{ 12, 24 },	/* Camellia-192 */
	{ 13, 32 },	/* Camellia-256 */
};

/* ---- small helpers --------------------------------------------------------------------- */

/* sym_keylen - key length of symmetric algorithm ID, 0 when it is not one we wrap */
static size_t sym_keylen(int id)
{
	for (size_t i = 0; i < sizeof sym_algos / sizeof sym_algos[0]; i++)
		if (sym_algos[i].id == id)
			return sym_algos[i].keylen;
	return 0;
}

/* hex_value - value of a hex digit, -1 if C is not one */
static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* put_mpi - write the MPI of V/N (no leading zero octets) at OUT; returns octets written */
static size_t put_mpi(uint8_t *out, const uint8_t *v, size_t n)
{
	size_t bits = opgp_bit_length(v, n);

	out[0] = (uint8_t)(bits >> 8);
	out[1] = (uint8_t)bits;
	memcpy(out + 2, v, n);
	return 2 + n;
}

/* put_header - a new-format packet header for TAG and a body of LEN octets; octets written */
static size_t put_header(uint8_t *out, int tag, size_t len)
{
	out[0] = (uint8_t)(0xc0 | tag);
	if (len < 192) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 8384) {
		out[1] = (uint8_t)(((len - 192) >> 8) + 192);
		out[2] = (uint8_t)(len - 192);
		return 3;
	}
	out[1] = 0xff;
	out[2] = (uint8_t)(len >> 24);
	out[3] = (uint8_t)(len >> 16);
	out[4] = (uint8_t)(len >> 8);
	out[5] = (uint8_t)len;
	return 6;
}

/* ---- building a PKESK ------------------------------------------------------------------------ */

/* rsa_encrypt - PKCS#1 v1.5 encryption of IN under (n, e) of K; *OUT malloc'd */
static enum opgp_status rsa_encrypt(const struct opgp_enckey *k, const uint8_t *in, size_t inlen,
				    uint8_t **out, size_t *outlen)
{
	enum opgp_status s = OPGP_E_CRYPTO;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY_CTX *fctx = NULL, *ectx = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    (n = BN_bin2bn(k->n, (int)k->n_len, NULL)) == NULL ||
	    (e = BN_bin2bn(k->e, (int)k->e_len, NULL)) == NULL) {
		s = OPGP_E_NOMEM;
		goto done;
	}
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (fctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(fctx) != 1 ||
	    EVP_PKEY_fromdata(fctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (ectx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ectx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ectx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_encrypt(ectx, NULL, &len, in, inlen) != 1)
		goto done;
	if ((buf = malloc(len)) == NULL) {
		s = OPGP_E_NOMEM;
		goto done;
	}
	if (EVP_PKEY_encrypt(ectx, buf, &len, in, inlen) != 1)
		goto done;
	*out = buf;
	*outlen = len;
	buf = NULL;
	s = OPGP_OK;
done:
	free(buf);
	EVP_PKEY_CTX_free(ectx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(fctx);
	OSSL_PARAM_free(params);
	BN_free(e);
	BN_free(n);
	OSSL_PARAM_BLD_free(bld);
	return s;
}

/* opgp_ecdh_peer - the key's point on curve C as an EVP_PKEY, checked to lie on the curve */
enum opgp_status opgp_ecdh_peer(const struct curve_info *c, const uint8_t *point, size_t len,
				EVP_PKEY **out, char *why, size_t whylen)
{
	enum opgp_status s = OPGP_E_CRYPTO;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *fctx = NULL, *cctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (out != NULL)
		*out = NULL;
	if (c->group == NULL) {
		/* X25519: every u-coordinate is a valid input (RFC 7748 section 5) and OpenSSL
		 * refuses an all-zero shared secret (a point of small order) at derive time */
		if (len != 1 + X25519_LEN || point[0] != 0x40)
			goto bad;
		if (out == NULL)
			return OPGP_OK;
		*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point + 1, X25519_LEN);
		return *out != NULL ? OPGP_OK : OPGP_E_CRYPTO;
	}
	if (len != 1 + 2 * c->field_len || point[0] != 0x04)
		goto bad;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)c->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
						      len);
	params[2] = OSSL_PARAM_construct_end();
	if ((fctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(fctx) != 1) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "OpenSSL has no EC support for %s", c->name);
		goto done;
	}
	/* a point off the curve is refused here already (EC_POINT_oct2point), and again by
	 * the public key check (on the curve, not the point at infinity); every curve in the
	 * table has cofactor 1, so such a point is of the group's prime order and the costly
	 * order check of EVP_PKEY_public_check would add nothing (SP 800-56A 5.6.2.3.4) */
	if (EVP_PKEY_fromdata(fctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check_quick(cctx) != 1) {
		ERR_clear_error();
		goto bad;
	}
	if (out != NULL) {
		*out = pkey;
		pkey = NULL;
	}
	s = OPGP_OK;
	goto done;
bad:
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "the ECDH point is not a point of %s", c->name);
	s = OPGP_E_FORMAT;
done:
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(fctx);
	return s;
}

/* opgp_ecdh_kek - the KEK for K from the shared secret ZZ/ZZLEN (RFC 6637 section 7): Hash(00 00
 * 00 01 || ZZ || Param), Param = OID || 18 || KDF params || "Anonymous Sender    " || fpr */
enum opgp_status opgp_ecdh_kek(const struct opgp_enckey *k, const struct curve_info *c,
			       const uint8_t *zz, size_t zzlen, uint8_t *kek, size_t keklen)
{
	uint8_t buf[4 + FIELD_MAX + 1 + OID_MAX + 1 + 4 + 20 + FPR_LEN];
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const EVP_MD *md;
	size_t i = 0;
	bool ok;

	if (zzlen > FIELD_MAX || c->oid_len > OID_MAX)
		return OPGP_E_CRYPTO;
	md = k->kdf_hash == 8 ? EVP_sha256() : k->kdf_hash == 9 ? EVP_sha384() : EVP_sha512();
	buf[i++] = 0;
	buf[i++] = 0;
	buf[i++] = 0;
	buf[i++] = 1;
	memcpy(buf + i, zz, zzlen);
	i += zzlen;
	buf[i++] = (uint8_t)c->oid_len;
	memcpy(buf + i, c->oid, c->oid_len);
	i += c->oid_len;
	buf[i++] = PK_ECDH;
	buf[i++] = 3;
	buf[i++] = 1;
	buf[i++] = (uint8_t)k->kdf_hash;
	buf[i++] = (uint8_t)k->kdf_cipher;
	memcpy(buf + i, anonymous_sender, sizeof anonymous_sender);
	i += sizeof anonymous_sender;
	memcpy(buf + i, k->fpr, FPR_LEN);
	i += FPR_LEN;
	ok = EVP_Digest(buf, i, digest, &dlen, md, NULL) == 1 && dlen >= keklen;
	if (ok)
		memcpy(kek, digest, keklen);
	OPENSSL_cleanse(buf, sizeof buf);
	OPENSSL_cleanse(digest, sizeof digest);
	return ok ? OPGP_OK : OPGP_E_CRYPTO;
}

/* x25519_shared - fresh X25519 key pair, ZZ with the key K; EPH gets 0x40 || its u */
static enum opgp_status x25519_shared(const struct opgp_enckey *k, uint8_t *eph,
				      size_t *ephlen, uint8_t *zz, size_t *zzlen)
{
	enum opgp_status s = OPGP_E_CRYPTO;
	EVP_PKEY *mine = NULL, *peer = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	uint8_t sk[X25519_LEN];
	size_t elen = X25519_LEN;

	/* a fresh ephemeral key for every PKESK: 32 random octets (X25519 clamps them); the
	 * peer is not "validated" (every u-coordinate is a valid X25519 input, and OpenSSL
	 * refuses an all-zero shared secret): both save the fetches and checks of the generic
	 * paths, about 5 us a copy */
	*zzlen = X25519_LEN;
	eph[0] = 0x40;
	if (RAND_priv_bytes(sk, sizeof sk) != 1 ||
	    (mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, sizeof sk)) == NULL ||
	    EVP_PKEY_get_raw_public_key(mine, eph + 1, &elen) != 1 || elen != X25519_LEN ||
	    (peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, k->point + 1,
						X25519_LEN)) == NULL ||
	    (dctx = EVP_PKEY_CTX_new(mine, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(dctx, peer, 0) != 1 ||
	    EVP_PKEY_derive(dctx, zz, zzlen) != 1 || *zzlen != X25519_LEN)
		goto done;
	*ephlen = 1 + X25519_LEN;
	s = OPGP_OK;
done:
	OPENSSL_cleanse(sk, sizeof sk);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(mine);
	return s;
}

/* ec_shared - fresh key pair on K's Weierstrass curve C, ZZ = X of the shared point (field
 * length, RFC 6637 section 7); EPH gets the ephemeral public point 04 || X || Y */
static enum opgp_status ec_shared(const struct opgp_enckey *k, const struct curve_info *c,
				  uint8_t *eph, size_t *ephlen, uint8_t *zz, size_t *zzlen)
{
	enum opgp_status s;
	EVP_PKEY *mine = NULL, *peer = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	size_t want = 1 + 2 * c->field_len;

	if ((s = opgp_ecdh_peer(c, k->point, k->point_len, &peer, NULL, 0)) != OPGP_OK)
		return s;
	s = OPGP_E_CRYPTO;
	/* the ephemeral key: OpenSSL's EC key generation draws from its private DRBG; the
	 * public point comes out uncompressed, the form OpenPGP's MPI carries */
	*zzlen = FIELD_MAX;
	if ((mine = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->group)) == NULL ||
	    EVP_PKEY_get_octet_string_param(mine, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, eph,
					    OPGP_MAX_POINT, ephlen) != 1 ||
	    *ephlen != want || eph[0] != 0x04 ||
	    (dctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(dctx, peer, 0) != 1 ||	/* checked in ecdh_peer */
	    EVP_PKEY_derive(dctx, zz, zzlen) != 1 || *zzlen != c->field_len)
		goto done;
	s = OPGP_OK;
done:
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(mine);	/* EC private keys are cleared when freed */
	return s;
}

/* ecdh_wrap - fresh ephemeral key on K's curve, KEK for K, AES key wrap of FRAME; EPH (the
 * ephemeral point MPI octets, EPHLEN) and WRAPPED filled */
static enum opgp_status ecdh_wrap(const struct opgp_enckey *k, const uint8_t *frame,
				  size_t flen, uint8_t eph[OPGP_MAX_POINT], size_t *ephlen,
				  uint8_t *wrapped, size_t *wlen)
{
	enum opgp_status s;
	const struct curve_info *c = opgp_curve_info(k->curve);
	EVP_CIPHER_CTX *cctx = NULL;
	const EVP_CIPHER *wrap;
	uint8_t zz[FIELD_MAX], kek[32];
	size_t zzlen = 0;
	size_t keklen = k->kdf_cipher == 7 ? 16 : k->kdf_cipher == 8 ? 24 : 32;
	int l1 = 0, l2 = 0;

	if (c == NULL)
		return OPGP_E_UNSUPPORTED;
	wrap = keklen == 16 ? EVP_aes_128_wrap() : keklen == 24 ? EVP_aes_192_wrap()
								 : EVP_aes_256_wrap();
	s = c->group == NULL ? x25519_shared(k, eph, ephlen, zz, &zzlen)
			     : ec_shared(k, c, eph, ephlen, zz, &zzlen);
	if (s != OPGP_OK)
		goto done;
	if ((s = opgp_ecdh_kek(k, c, zz, zzlen, kek, keklen)) != OPGP_OK)
		goto done;
	s = OPGP_E_CRYPTO;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL) {
		s = OPGP_E_NOMEM;
		goto done;
	}
	EVP_CIPHER_CTX_set_flags(cctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_EncryptInit_ex(cctx, wrap, NULL, kek, NULL) != 1 ||
	    EVP_EncryptUpdate(cctx, wrapped, &l1, frame, (int)flen) != 1 ||
	    EVP_EncryptFinal_ex(cctx, wrapped + l1, &l2) != 1 ||
	    (size_t)l1 + (size_t)l2 != flen + 8)
		goto done;
	*wlen = flen + 8;
	s = OPGP_OK;
done:
	OPENSSL_cleanse(zz, sizeof zz);
	OPENSSL_cleanse(kek, sizeof kek);
	EVP_CIPHER_CTX_free(cctx);
	return s;
}

/* enckey_ok - is K complete enough for opgp_pkesk */
static bool enckey_ok(const struct opgp_enckey *k)
{
	const struct curve_info *c;

	if (k->algo == PK_RSA || k->algo == PK_RSA_E)
		return k->n != NULL && k->e != NULL && k->n_len > 0 && k->e_len > 0 &&
		       k->n_len <= RSA_MAX_BITS / 8 && k->e_len <= k->n_len;
	if (k->algo == PK_ECDH)
		return (c = opgp_curve_info(k->curve)) != NULL &&
		       k->point_len == (c->group == NULL ? 1 + X25519_LEN : 1 + 2 * c->field_len) &&
		       (k->kdf_hash == 8 || k->kdf_hash == 9 || k->kdf_hash == 10) &&
		       k->kdf_cipher >= 7 && k->kdf_cipher <= 9;
	return false;
}

/* pkesk_build - one PKESK of VERSION (3, or 6: RFC 9580 5.1.2) giving the session key
 * ALGO/KEY to the holder of K */
static enum opgp_status pkesk_build(const struct opgp_enckey *k, int version, int algo,
				    const uint8_t *key, size_t keylen, uint8_t **out,
				    size_t *outlen)
{
	uint8_t frame[FRAME_MAX], eph[OPGP_MAX_POINT], wrapped[FRAME_MAX + 8];
	uint8_t *ct = NULL, *pkt = NULL;
	const uint8_t *mpi = NULL;
	size_t flen = 0, ctlen = 0, mpilen = 0, wlen = 0, ephlen = 0, body, i;
	unsigned sum = 0;
	enum opgp_status s;

	*out = NULL;
	*outlen = 0;
	if (keylen == 0 || keylen > OPGP_MAX_SESSION_KEY || sym_keylen(algo) != keylen)
		return sym_keylen(algo) == 0 ? OPGP_E_UNSUPPORTED : OPGP_E_FORMAT;
	if (!enckey_ok(k))
		return k->algo == PK_RSA || k->algo == PK_RSA_E || k->algo == PK_ECDH
		       ? OPGP_E_FORMAT : OPGP_E_UNSUPPORTED;
	/* RFC 9580 5.1.3, 11.5: a v6 PKESK encrypts key || checksum, without the symmetric
	 * algorithm octet (SEIPDv2 names its cipher itself) */
	if (version == 3)
		frame[flen++] = (uint8_t)algo;
	memcpy(frame + flen, key, keylen);
	flen += keylen;
	for (i = 0; i < keylen; i++)
		sum += key[i];
	frame[flen++] = (uint8_t)(sum >> 8);
	frame[flen++] = (uint8_t)sum;

	if (k->algo == PK_ECDH) {
		size_t pad = 8 - flen % 8;		/* PKCS#5: 1..8 octets of value PAD */

		memset(frame + flen, (int)pad, pad);
		flen += pad;
		s = ecdh_wrap(k, frame, flen, eph, &ephlen, wrapped, &wlen);
		body = 10 + 2 + ephlen + 1 + wlen;
	} else {
		s = rsa_encrypt(k, frame, flen, &ct, &ctlen);
		mpi = ct;
		mpilen = ctlen;
		opgp_strip_zeros(&mpi, &mpilen);	/* an MPI has no leading zero octets */
		body = 10 + 2 + mpilen;
	}
	OPENSSL_cleanse(frame, sizeof frame);
	if (s != OPGP_OK)
		goto done;
	if (version == 6)		/* size octet, key version 4, fingerprint: not key ID */
		body += 2 + FPR_LEN - 8;
	if ((pkt = malloc(6 + body)) == NULL) {
		s = OPGP_E_NOMEM;
		goto done;
	}
	i = put_header(pkt, TAG_PKESK, body);
	pkt[i++] = (uint8_t)version;
	if (version == 6) {
		pkt[i++] = 1 + FPR_LEN;
		pkt[i++] = 4;
		memcpy(pkt + i, k->fpr, FPR_LEN);
		i += FPR_LEN;
	} else {
		for (int sh = 56; sh >= 0; sh -= 8)
			pkt[i++] = (uint8_t)(k->keyid >> sh);
	}
	pkt[i++] = (uint8_t)k->algo;
	if (k->algo == PK_ECDH) {
		i += put_mpi(pkt + i, eph, ephlen);
		pkt[i++] = (uint8_t)wlen;
		memcpy(pkt + i, wrapped, wlen);
		i += wlen;
	} else {
		i += put_mpi(pkt + i, mpi, mpilen);
	}
	*out = pkt;
	*outlen = i;
	pkt = NULL;
done:
	OPENSSL_cleanse(wrapped, sizeof wrapped);
	free(ct);
	free(pkt);
	return s;
}

/* opgp_pkesk - one v3 PKESK giving the session key ALGO/KEY to the holder of K */
enum opgp_status opgp_pkesk(const struct opgp_enckey *k, int algo, const uint8_t *key,
			    size_t keylen, uint8_t **out, size_t *outlen)
{
	return pkesk_build(k, 3, algo, key, keylen, out, outlen);
}

/* opgp_pkesk6 - one v6 PKESK giving the session key KEY to the holder of the v4 key K */
enum opgp_status opgp_pkesk6(const struct opgp_enckey *k, int algo, const uint8_t *key,
			     size_t keylen, uint8_t **out, size_t *outlen)
{
	return pkesk_build(k, 6, algo, key, keylen, out, outlen);
}

/* ---- session keys ---------------------------------------------------------------------------- */

/* opgp_parse_session_key - "ALGO:HEX" into an algorithm id and key octets */
enum opgp_status opgp_parse_session_key(const char *text, int *algo, uint8_t *key,
					size_t *keylen)
{
	const char *p = text;
	int id = 0, digits = 0;
	size_t want, n = 0;

	*algo = 0;
	*keylen = 0;
	if (text == NULL)
		return OPGP_E_FORMAT;
	while (*p >= '0' && *p <= '9' && digits < 3) {
		id = id * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return OPGP_E_FORMAT;
	/* GnuPG names AEAD data's mode too: "9.2:HEX" (1 EAX, 2 OCB); the PKESK does not
	 * carry it (the data packet does) */
	if (*p == '.') {
		if ((p[1] != '1' && p[1] != '2') || (p[2] >= '0' && p[2] <= '9'))
			return OPGP_E_FORMAT;
		p += 2;
	}
	if (*p++ != ':')
		return OPGP_E_FORMAT;
	if ((want = sym_keylen(id)) == 0)
		return OPGP_E_UNSUPPORTED;
	while (hex_value(p[0]) >= 0) {
		if (hex_value(p[1]) < 0 || n == OPGP_MAX_SESSION_KEY) {
			OPENSSL_cleanse(key, OPGP_MAX_SESSION_KEY);
			return OPGP_E_FORMAT;
		}
		key[n++] = (uint8_t)(hex_value(p[0]) << 4 | hex_value(p[1]));
		p += 2;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != '\0' || n != want) {
		OPENSSL_cleanse(key, OPGP_MAX_SESSION_KEY);
		return OPGP_E_FORMAT;
	}
	*algo = id;
	*keylen = n;
	return OPGP_OK;
}
