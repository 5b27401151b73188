/*
 * milter/lists/openpgp-int.h - what the parts of the OpenPGP code share: packet tags,
 * public-key algorithm ids and sizes, and the few helpers of openpgp.c (packets, key blocks)
 * that openpgp-wrap.c (building PKESKs) uses too.  Included only inside milter/lists/; the
 * public contract is openpgp.h.
 */
#ifndef POSTWARD_MILTER_OPENPGP_INT_H
#define POSTWARD_MILTER_OPENPGP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "openpgp.h"

#define TAG_PKESK	1
#define TAG_SIG		2
#define TAG_SKESK	3
#define TAG_SECKEY	5
#define TAG_PUBKEY	6
#define TAG_SECSUBKEY	7
#define TAG_SED		9
#define TAG_MARKER	10
#define TAG_PUBSUBKEY	14
#define TAG_SEIPD	18
#define TAG_AEAD	20

#define PK_RSA		1
#define PK_RSA_E	2		/* RSA encrypt-only */
#define PK_ELGAMAL	16
#define PK_ECDH		18

#define RSA_MIN_BITS	1024		/* weaker subscriber keys are refused (UNSUPPORTED) */
#define RSA_MAX_BITS	16384		/* OpenSSL's OPENSSL_RSA_MAX_MODULUS_BITS */
#define X25519_LEN	32
#define FPR_LEN		20

#define OID_MAX		10		/* octets of the longest curve OID we know */
#define FIELD_MAX	66		/* octets of the largest field (P-521) */

/* one ECDH curve: what a key names it by, what OpenSSL names it by */
struct curve_info {
	enum opgp_curve id;
	const char *name;		/* RFC 9580 name, for messages */
	const char *group;		/* OpenSSL group name; NULL for Curve25519 (X25519) */
	uint8_t oid[OID_MAX];		/* DER content octets, without tag and length */
	size_t oid_len;
	size_t field_len;		/* octets of a coordinate, and of the shared secret */
};

/* opgp_curve_by_oid - the curve whose OID is OID/LEN; NULL when we know none such */
const struct curve_info *opgp_curve_by_oid(const uint8_t *oid, size_t len);
/* opgp_curve_info - the table entry of C; NULL for OPGP_CURVE_NONE and unknown values */
const struct curve_info *opgp_curve_info(enum opgp_curve c);
/* opgp_ecdh_peer - the public key POINT/LEN (the key's MPI octets) on curve C as an EVP_PKEY,
 * checked to be a point of the curve (and not of small order); *OUT may be NULL to check
 * only, else it is the caller's (EVP_PKEY_free).  OPGP_E_FORMAT with WHY for a point that is
 * not on the curve or not of the curve's form, OPGP_E_CRYPTO/NOMEM when OpenSSL fails */
enum opgp_status opgp_ecdh_peer(const struct curve_info *c, const uint8_t *point, size_t len,
				EVP_PKEY **out, char *why, size_t whylen);

/* opgp_ecdh_kek - the RFC 6637 section 7 KEK (KEKLEN octets) for key K on curve C from the
 * shared secret ZZ/ZZLEN, with K's KDF hash and its fingerprint (openpgp-wrap.c) */
enum opgp_status opgp_ecdh_kek(const struct opgp_enckey *k, const struct curve_info *c,
			       const uint8_t *zz, size_t zzlen, uint8_t *kek, size_t keklen);
/* opgp_bit_length - significant bits of a big-endian number without leading zero octets */
size_t opgp_bit_length(const uint8_t *v, size_t n);
/* opgp_strip_zeros - drop leading zero octets from the number at *V, *N octets long */
void opgp_strip_zeros(const uint8_t **v, size_t *n);

/* opgp_setwhy - format a reason into WHY (WHYLEN octets), which may be NULL */
void opgp_setwhy(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* setwhy - the short name the OpenPGP files use */
#define setwhy opgp_setwhy
/* opgp_packet_body - the packet at OFF of BUF (LEN octets): its tag and whole body (partial
 * body chunks joined into *OWNED, malloc'd, which the caller frees; else *OWNED is NULL and
 * *BODY points into BUF); *NEXT is the offset just past the packet */
enum opgp_status opgp_packet_body(const uint8_t *buf, size_t len, size_t off, int *tag,
				  const uint8_t **body, size_t *bodylen, uint8_t **owned,
				  size_t *next, char *why, size_t whylen);

#endif
