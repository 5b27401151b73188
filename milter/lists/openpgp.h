/*
 * milter/lists/openpgp.h - OpenPGP packets for encrypted lists: split a post into its public-key
 * encrypted session key packets (PKESK) and its encrypted data, and build a new PKESK that
 * wraps the post's session key for one subscriber's encryption subkey, with OpenSSL.
 *
 * A list post is encrypted to the list's key.  The pool decrypts it once (gpgme, with the
 * session key exported), then for each subscriber writes
 *     new PKESK (that subscriber only)  ||  the post's encrypted data packet, unchanged
 * so the per-subscriber cost is one public-key operation and the poster's signature inside
 * the encrypted data stays intact.
 *
 * Formats: RFC 4880 packets (old and new headers, partial body lengths for the data packet),
 * v3 PKESK for public-key algorithms 1 (RSA, PKCS#1 v1.5 per RFC 4880 5.1) and 18 (ECDH per
 * RFC 6637 sections 7-9 / RFC 9580 5.1.4, 11.5: Curve25519 (X25519, 0x40-prefixed points),
 * NIST P-256, P-384, P-521 and brainpoolP256r1/384r1/512r1 (uncompressed 04 || X || Y
 * points, shared secret = X), KDF SHA2-256/384/512 and KEK AES-128/192/256 per the
 * key's KDF parameters, AES key wrap RFC 3394 with the session key octets "algo || key ||
 * checksum" padded per RFC 6637 section 8 to a multiple of 8); v4 public keys and subkeys
 * (fingerprint = SHA-1 over 0x99 || len16 || body).  ASCII armor (RFC 4880 section 6) in
 * and out, with the CRC-24.
 *
 * Pure computation on caller buffers plus OpenSSL; no I/O, no gpgme, no global state:
 * thread-safe.  Every allocation is returned to the caller with its free function named.
 * Input is untrusted: every length is checked against what remains, nesting and packet
 * counts are bounded (OPGP_MAX_PACKETS), and errors are OPGP_E_* codes with a reason.
 */
#ifndef POSTWARD_MILTER_OPENPGP_H
#define POSTWARD_MILTER_OPENPGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPGP_MAX_PACKETS 4096		/* packets looked at in one message or key block */
#define OPGP_MAX_BLOCK_PACKETS (1u << 20) /* packets in a keyring of many certificates
					 * (opgp_block_keys) */
#define OPGP_MAX_SESSION_KEY 32		/* octets (AES-256) */
#define OPGP_MAX_POINT	133		/* octets of an ECDH point MPI: 04 || X || Y on P-521 */

enum opgp_status {
	OPGP_OK = 0,
	OPGP_E_FORMAT,			/* malformed packets or armor */
	OPGP_E_UNSUPPORTED,		/* a valid but unsupported algorithm, version or curve */
	OPGP_E_NOKEY,			/* no usable encryption (sub)key in the key block */
	OPGP_E_CRYPTO,			/* OpenSSL failed */
	OPGP_E_NOMEM,
};

/* The encrypted data formats a post may use (opgp_split's struct opgp_split.format). */
enum opgp_format {
	OPGP_FMT_SED = 0,		/* tag 9, no integrity protection (RFC 4880 5.7) */
	OPGP_FMT_SEIPD1,		/* tag 18 version 1, CFB + MDC (RFC 4880 5.13, 9580 5.13.1) */
	OPGP_FMT_AEAD_OCB,		/* tag 20 version 1, GnuPG's "OCB" packet of
					 * draft-ietf-openpgp-rfc4880bis-10 5.16 (EAX or OCB) */
	OPGP_FMT_SEIPD2,		/* tag 18 version 2, AEAD (RFC 9580 5.13.2) */
};

/* A post split into its parts.  Offsets point into the caller's binary message. */
struct opgp_split {
	size_t n_pkesk;			/* PKESK packets at the start */
	uint64_t pkesk_keyid[16];	/* their key IDs (first 16; 0 for an anonymous v6 PKESK) */
	size_t data_off, data_len;	/* the packets after the PKESKs (SEIPD tag 18, SED tag 9
					 * or AEAD tag 20, with anything following), kept byte
					 * for byte */
	int data_tag;			/* 18, 9 or 20 */
	enum opgp_format format;	/* which of the encrypted data formats */
	int pkesk_version;		/* 3 or 6: what every PKESK of the post is (0: none) */
	int data_cipher;		/* SEIPDv2 and tag 20: symmetric algorithm id; else 0 */
	int data_aead;			/* SEIPDv2 and tag 20: AEAD algorithm (1 EAX, 2 OCB, 3 GCM) */
	int data_chunk;			/* SEIPDv2 and tag 20: the chunk size octet (0..16) */
};

/* The curves of ECDH subscriber keys (RFC 9580 section 9.2 table 18, RFC 6637 section 11) */
enum opgp_curve {
	OPGP_CURVE_NONE = 0,		/* not an ECDH key */
	OPGP_CURVE_25519,		/* 1.3.6.1.4.1.3029.1.5.1, X25519 */
	OPGP_CURVE_P256,		/* NIST P-256 */
	OPGP_CURVE_P384,		/* NIST P-384 */
	OPGP_CURVE_P521,		/* NIST P-521 */
	OPGP_CURVE_BP256,		/* brainpoolP256r1 */
	OPGP_CURVE_BP384,		/* brainpoolP384r1 */
	OPGP_CURVE_BP512,		/* brainpoolP512r1 */
};

/* A subscriber's encryption subkey, taken from an exported (binary) key block. */
struct opgp_enckey {
	uint8_t fpr[20];		/* v4 fingerprint of the (sub)key */
	uint64_t keyid;			/* its low 64 bits */
	int algo;			/* 1 or 2 RSA, 18 ECDH: the key's own id, written into
				 * the PKESK */
	/* RSA */
	uint8_t *n, *e;			/* owned, big-endian */
	size_t n_len, e_len;
	/* ECDH */
	enum opgp_curve curve;
	uint8_t point[OPGP_MAX_POINT];	/* the key's point MPI as is: 0x40 || u (Curve25519),
					 * 04 || X || Y (the others), checked on its curve */
	size_t point_len;
	int kdf_hash;			/* 8 SHA-256, 9 SHA-384, 10 SHA-512 (RFC 4880 ids) */
	int kdf_cipher;			/* 7 AES-128, 8 AES-192, 9 AES-256 */
	/* the features octet (subpacket 30) of the primary key's self-signatures: 0x01 SEIPDv1,
	 * 0x02 AEAD (tag 20, draft-ietf-openpgp-rfc4880bis), 0x08 SEIPDv2; 0 when none says */
	unsigned features;
};

#define OPGP_FEATURE_SEIPD1	0x01
#define OPGP_FEATURE_AEAD	0x02
#define OPGP_FEATURE_SEIPD2	0x08

/* opgp_curve_name - the RFC 9580 name of curve C ("Curve25519", "NIST P-256",
 * "brainpoolP256r1", ...), "none" for OPGP_CURVE_NONE */
const char *opgp_curve_name(enum opgp_curve c);

/* opgp_strerror - a short text for a status */
const char *opgp_strerror(enum opgp_status s);
/* opgp_dearmor - ASCII armor (any "-----BEGIN PGP MESSAGE-----" block inside TEXT) to binary;
 * *OUT is malloc'd (free()); checks the CRC-24 when present */
enum opgp_status opgp_dearmor(const char *text, size_t len, uint8_t **out, size_t *outlen);
/* opgp_dearmor_label - the same for the first block labelled LABEL (at most 64 characters):
 * "PUBLIC KEY BLOCK" reads "-----BEGIN PGP PUBLIC KEY BLOCK-----" */
enum opgp_status opgp_dearmor_label(const char *text, size_t len, const char *label,
				    uint8_t **out, size_t *outlen);
/* opgp_dearmor_keys - the same for the first "-----BEGIN PGP PUBLIC KEY BLOCK-----" block (a
 * certificate as a keyserver serves it) */
enum opgp_status opgp_dearmor_keys(const char *text, size_t len, uint8_t **out, size_t *outlen);
/* opgp_armor - binary to "-----BEGIN PGP MESSAGE-----" armor with CRC-24, lines of 64
 * ending in LF; *OUT is malloc'd and NUL-terminated, *OUTLEN without the NUL */
enum opgp_status opgp_armor(const uint8_t *bin, size_t len, char **out, size_t *outlen);
/* opgp_armor_label - the same armor with the label LABEL (at most 64 characters) in its
 * BEGIN and END lines: "PUBLIC KEY BLOCK" gives "-----BEGIN PGP PUBLIC KEY BLOCK-----" */
enum opgp_status opgp_armor_label(const uint8_t *bin, size_t len, const char *label, char **out,
				  size_t *outlen);
/* opgp_format_name - the name of a format for logs and replies ("SEIPD version 2 (AEAD)") */
const char *opgp_format_name(enum opgp_format f);
/* opgp_format_pkesk_version - the PKESK version the encrypted data F needs: 6 for SEIPDv2,
 * else 3 */
int opgp_format_pkesk_version(enum opgp_format f);
/* opgp_format_feature - the features bit a key must announce for data of format F (0 for
 * SEIPDv1 and SED, which every key may get) */
unsigned opgp_format_feature(enum opgp_format f);
/* opgp_split - find the PKESKs and the encrypted data of a binary message */
enum opgp_status opgp_split(const uint8_t *msg, size_t len, struct opgp_split *out,
			    char *why, size_t whylen);
/* opgp_enckey_from_block - pick the encryption subkey whose fingerprint is FPR (20 octets)
 * from a binary key block (as gpgme_op_export gives it), or, with FPR NULL, the last
 * encryption-capable subkey; OPGP_E_NOKEY when there is none.  Free with opgp_enckey_clear */
enum opgp_status opgp_enckey_from_block(const uint8_t *block, size_t len, const uint8_t *fpr,
					struct opgp_enckey *out, char *why, size_t whylen);
/* One v4 key or subkey of a key block (opgp_block_keys).  Flags and revocations are read
 * from the signatures that follow the key without verifying them, as opgp_enckey_from_block
 * reads them: a client that checks the signatures may find fewer usable keys. */
struct opgp_keyinfo {
	uint8_t fpr[20];		/* v4 fingerprint */
	uint64_t keyid;			/* its low 64 bits */
	size_t cert;			/* which certificate of the block (0, 1, ...) */
	bool primary;			/* the certificate's primary key */
	int algo;			/* public-key algorithm id */
	bool encrypt;			/* encryption-capable: RSA, ElGamal or ECDH, and key
					 * flags (if any) with 0x04 or 0x08 */
	bool revoked;			/* a revocation signature follows it */
	bool direct_sig;		/* primary: a direct-key signature (0x1f) follows it */
};
/* opgp_block_keys - every v4 key and subkey of the binary key block BLOCK (LEN octets: one
 * or more transferable public keys, RFC 9580 10.1), in order, into OUT (MAX entries); *N
 * keys listed, *N_CERTS certificates seen (each starts with a public-key packet; keys of
 * other versions are counted as certificates but not listed).  OPGP_E_FORMAT for malformed
 * packets, a subkey before any primary key, a secret key packet, more than MAX keys or
 * more than OPGP_MAX_BLOCK_PACKETS packets */
enum opgp_status opgp_block_keys(const uint8_t *block, size_t len, struct opgp_keyinfo *out,
				 size_t max, size_t *n, size_t *n_certs, char *why, size_t whylen);
/* opgp_enckey_clear - release what *K owns */
void opgp_enckey_clear(struct opgp_enckey *k);
/* opgp_pkesk - a v3 PKESK packet (new-format header) wrapping the session key (ALGO: RFC 4880
 * symmetric algorithm id, KEY: KEYLEN octets) for K; *OUT malloc'd (free()) */
enum opgp_status opgp_pkesk(const struct opgp_enckey *k, int algo, const uint8_t *key,
			    size_t keylen, uint8_t **out, size_t *outlen);
/* opgp_pkesk6 - a v6 PKESK packet (RFC 9580 5.1.2, new-format header) wrapping the session
 * key KEY (KEYLEN octets, of symmetric algorithm ALGO, which a v6 PKESK does not carry) for
 * K, naming K by key version 4 and its fingerprint: the PKESK that goes before SEIPDv2
 * data; *OUT malloc'd (free()) */
enum opgp_status opgp_pkesk6(const struct opgp_enckey *k, int algo, const uint8_t *key,
			     size_t keylen, uint8_t **out, size_t *outlen);
/* opgp_seipd1 - INNER (LEN octets: the packets inside a post's encryption, as gpg --unwrap
 * gives them) as a new SEIPD version 1 packet with MDC (openpgp-seipd.c) under a fresh
 * AES-256 session key: *ALGO and KEY (OPGP_MAX_SESSION_KEY octets; the caller cleanses them)
 * and *KEYLEN are set; *OUT malloc'd (free()) */
enum opgp_status opgp_seipd1(const uint8_t *inner, size_t len, int *algo, uint8_t *key,
			     size_t *keylen, uint8_t **out, size_t *outlen);
/* opgp_seipd2_open - the packets inside the SEIPD version 2 packet at DATA (LEN octets, from
 * its header on, as opgp_split's data_off gives it; what follows the packet is ignored),
 * decrypted with the session key SK (SKLEN octets) per RFC 9580 5.13.2 (openpgp-seipd2.c):
 * AES with OCB, GCM or EAX.  Every chunk's tag and the final tag are checked before *OUT
 * (malloc'd; the caller cleanses and frees it) and *OUTLEN are set; on error nothing is
 * returned and WHY says what failed (OPGP_E_FORMAT for data that does not authenticate) */
enum opgp_status opgp_seipd2_open(const uint8_t *data, size_t len, const uint8_t *sk,
				  size_t sklen, uint8_t **out, size_t *outlen, char *why,
				  size_t whylen);
/* opgp_open - the packets inside the encrypted data packet at DATA (LEN octets, from its
 * header on, as opgp_split's data_off gives it), opened with the session key ALGO/SK (SKLEN
 * octets) known from an earlier decryption (openpgp-open.c): the octets gpg --unwrap gives.
 * SEIPD version 1 in CFB mode with AES or Camellia, the quick check and the MDC checked;
 * version 2 through opgp_seipd2_open.  *OUT malloc'd (the caller cleanses and frees it).
 * OPGP_E_UNSUPPORTED for what is left to gpg (other ciphers, tag 9 and tag 20 data),
 * OPGP_E_FORMAT with WHY for data that does not open or authenticate */
enum opgp_status opgp_open(const uint8_t *data, size_t len, int algo, const uint8_t *sk,
			   size_t sklen, uint8_t **out, size_t *outlen, char *why, size_t whylen);
/* opgp_pkesk_sexp - the ciphertext of the PKESK in MSG (LEN octets: the binary post) that
 * names K (v3 by key ID, v6 by fingerprint) as the canonical S-expression gpg-agent's
 * PKDECRYPT takes (openpgp-unwrap.c); *VERSION is the PKESK's version (3 or 6); *OUT
 * malloc'd (free()), *OUTLEN octets, not NUL-terminated.  OPGP_E_NOKEY: no PKESK names K */
enum opgp_status opgp_pkesk_sexp(const uint8_t *msg, size_t len, const struct opgp_enckey *k,
				 int *version, char **out, size_t *outlen, char *why,
				 size_t whylen);
/* opgp_agent_value - *V and *VLEN: the octets of the agent's PKDECRYPT answer "(5:value N:...)"
 * in BUF (LEN octets; pointing into BUF); OPGP_E_FORMAT for anything else */
enum opgp_status opgp_agent_value(const uint8_t *buf, size_t len, const uint8_t **v,
				  size_t *vlen);
/* opgp_pkesk_finish - the session key of MSG's PKESK for K from VALUE (VLEN octets), what
 * the agent's PKDECRYPT gave for opgp_pkesk_sexp's ciphertext: the RSA PKCS#1 v1.5 block,
 * or the ECDH shared point (the KEK derived and the key unwrapped here).  *ALGO is the
 * frame's algorithm (v3 PKESK) or DATA_CIPHER (v6: the SEIPDv2 data's); KEY (at least
 * OPGP_MAX_SESSION_KEY octets, the caller cleanses it) and *KEYLEN; the checksum is checked */
enum opgp_status opgp_pkesk_finish(const uint8_t *msg, size_t len, const struct opgp_enckey *k,
				   const uint8_t *value, size_t vlen, int data_cipher, int *algo,
				   uint8_t *key, size_t *keylen, char *why, size_t whylen);
/* opgp_parse_session_key - gpgme's exported session key "ALGO:HEX" (or "ALGO.AEAD:HEX", as
 * GnuPG writes it for AEAD data, AEAD 1 EAX or 2 OCB) into ALGO and KEY,
 * which must hold OPGP_MAX_SESSION_KEY octets; *KEYLEN is set (output only).  The hex
 * length must match ALGO's key length; OPGP_E_UNSUPPORTED for an unknown ALGO */
enum opgp_status opgp_parse_session_key(const char *text, int *algo, uint8_t *key,
					size_t *keylen);

/* One certificate of a key block fetched from outside (opgp_cert_find, openpgp-cert.c). */
struct opgp_cert {
	bool found;			/* the certificate asked for is in the block */
	size_t off, len;		/* found: its octets, from its primary key packet up to
					 * the next primary key packet or the end of the block */
	size_t n_certs;			/* primary key packets in the block */
	size_t others;			/* of them, not the one asked for */
	uint8_t other_fpr[20];		/* the first other one's v4 fingerprint (other_version
					 * 4), for the log */
	int other_version;		/* its key version; 0 when there is no other one */
};
/* opgp_cert_find - the certificate whose v4 primary key fingerprint is FPR (20 octets) in
 * BLOCK (LEN octets, binary), as a range of BLOCK, so that only its octets go on to gpg.
 * OPGP_E_NOKEY: no such certificate (WHY names the first other one); OPGP_E_FORMAT: packets
 * that do not parse, packets before the first primary key, any secret key packet, or the
 * certificate twice.  *OUT is filled on every outcome */
enum opgp_status opgp_cert_find(const uint8_t *block, size_t len, const uint8_t *fpr,
				struct opgp_cert *out, char *why, size_t whylen);

/* opgp_cert_list - the v4 primary fingerprints of the certificates of BLOCK (LEN octets,
 * binary), in order, at most MAX into FPRS and their count into *N: for an answer fetched
 * without a fingerprint to check it against (X-FETCH-KEY of an address or URL), each then
 * checked on its own by opgp_cert_find.  OPGP_OK with *N > 0; OPGP_E_NOKEY when the block
 * holds none; OPGP_E_FORMAT (WHY) for what opgp_cert_find refuses, a primary key of another
 * version, or more than MAX certificates */
enum opgp_status opgp_cert_list(const uint8_t *block, size_t len, uint8_t (*fprs)[20],
				size_t max, size_t *n, char *why, size_t whylen);

/* What the signatures inside a post say about its intended recipients. */
#define OPGP_MAX_RCPTS 8
struct opgp_sigrcpts {
	size_t n_sigs;			/* signature packets found */
	size_t n_naming;		/* of them, those whose hashed area names intended
					 * recipients (subpacket 35, RFC 9580 5.2.3.36) */
	size_t n_fprs;			/* the first OPGP_MAX_RCPTS fingerprints named */
	uint8_t fpr[OPGP_MAX_RCPTS][32];
	size_t fpr_len[OPGP_MAX_RCPTS];	/* 20 (v4 key) or 32 (v6 key) */
};
/* opgp_sig_recipients - find the signature packets of INNER (LEN octets: the packets inside a
 * post's encryption, as gpg --unwrap gives them) and the Intended Recipient Fingerprint
 * subpackets of their hashed areas.  One level of compressed data is opened (uncompressed,
 * ZIP, ZLIB; OPGP_E_UNSUPPORTED for BZip2), inflating at most MAXOUT octets (OPGP_E_FORMAT
 * past that).  Signatures of version 3 name nobody; 4, 5 and 6 are read; another version is
 * OPGP_E_UNSUPPORTED.  *OUT is filled (also in part on error) */
enum opgp_status opgp_sig_recipients(const uint8_t *inner, size_t len, size_t maxout,
				     struct opgp_sigrcpts *out, char *why, size_t whylen);
#endif
