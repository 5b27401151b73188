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

/* 1.3.6.1.4.1.3029.1.5.1, Curve25519 for ECDH (RFC 6637 section 11 style encoding) */
extern const uint8_t opgp_cv25519_oid[10];

/* opgp_bit_length - significant bits of a big-endian number without leading zero octets */
size_t opgp_bit_length(const uint8_t *v, size_t n);
/* opgp_strip_zeros - drop leading zero octets from the number at *V, *N octets long */
void opgp_strip_zeros(const uint8_t **v, size_t *n);

#endif
