/*
 * milter/lists/openpgp.c - OpenPGP packets for encrypted lists: split a post, read a subscriber's
 * encryption subkey from a key block, build the PKESK that hands that subscriber the post's
 * session key.  ASCII armor is openpgp_armor.c.
 *
 * NAME
 *	openpgp - RFC 4880 packets, v3 PKESKs for RSA and Curve25519 ECDH
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototypes and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	pkt_read() is the one place that reads packet headers (old and new format; partial body
 *	lengths walked to their end and allowed on data packets only); every other parser
 *	works on a body whose bounds it has checked.  No I/O, no globals, OpenSSL 3 EVP only,
 *	so every function is safe to call from several threads at once.
 *
 *	opgp_split() accepts PKESK (tag 1, v3 only), SKESK (3, skipped) and marker (10,
 *	skipped) packets before the encrypted data (18 with version 1, or 9), at most
 *	OPGP_MAX_PACKETS of them; the data packet's length chain must fit in the message.
 *
 *	opgp_enckey_from_block() looks only at v4 public keys and subkeys (tags 6 and 14); it
 *	takes key flags (subpacket 27, hashed area only) from binding signatures (0x18) of a
 *	subkey and from user ID or direct-key self-signatures (0x10-0x13, 0x1f) of a primary
 *	key, without verifying them; a signature it cannot parse counts as one without flags.
 *	A key is encryption-capable when its algorithm is RSA (1, 2) or ECDH (18) and its
 *	flags, if any, include 0x04 or 0x08.  Without a fingerprint it also skips keys that
 *	carry a (likewise unverified) revocation signature (0x20, 0x28) or that it does not
 *	support, and takes the last capable subkey, else a capable primary key; when only
 *	unsupported ones exist the answer is OPGP_E_UNSUPPORTED.  With a fingerprint the key
 *	is taken as the caller's validated choice (no revocation check).  RSA moduli of
 *	1024..16384 bits and ECDH on Curve25519 (KDF SHA-256/384/512, KEK AES-128/192/256)
 *	are supported; ElGamal and other curves are OPGP_E_UNSUPPORTED.
 *
 *	opgp_pkesk() frames the session key as algo || key || checksum; RSA: PKCS#1 v1.5
 *	(EVP_PKEY_encrypt, RSA_PKCS1_PADDING) to the MPI of the result; ECDH: a fresh X25519
 *	key per call, ZZ = X25519(ephemeral, recipient), KEK = Hash(00 00 00 01 || ZZ ||
 *	Param) truncated, with Param = 0a || OID || 12 || 03 01 HASH CIPHER || "Anonymous
 *	Sender    " || recipient fingerprint (RFC 6637 sections 7, 8), the frame padded
 *	PKCS#5-style with 1..8 octets to a multiple of 8 and AES-key-wrapped (RFC 3394).
 *	Secrets on the stack (frame, ZZ, KEK) are cleansed before return.
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT: the input is not what the RFC allows (WHY says what and at which
 *	offset); OPGP_E_UNSUPPORTED: a valid algorithm, version or curve this file does not
 *	implement; OPGP_E_NOKEY: no (matching) encryption key; OPGP_E_CRYPTO: OpenSSL refused
 *	(e.g. an RSA modulus it rejects, an X25519 point of small order); OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 4880 (3.2, 4.2, 5.1, 5.5.2, 6, 12.2), RFC 6637 (7, 8, 9, 10), RFC 3394, RFC 7748.
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#define SIG_UID_FIRST	0x10
#define SIG_UID_LAST	0x13
#define SIG_SUBKEY	0x18
#define SIG_DIRECT	0x1f
#define SIG_KEYREV	0x20
#define SIG_SUBKEYREV	0x28
#define SUBPKT_KEYFLAGS	27
#define KF_ENCRYPT	(0x04 | 0x08)

#define FRAME_MAX	(1 + OPGP_MAX_SESSION_KEY + 2 + 8)	/* with the ECDH padding */

/* 1.3.6.1.4.1.3029.1.5.1, Curve25519 for ECDH (RFC 6637 section 11 style encoding) */
const uint8_t opgp_cv25519_oid[10] = {
	0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01
};
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

/* one packet as pkt_read() found it */
struct pkt {
	int tag;
	size_t start;			/* offset of the header */
	size_t body;			/* offset of the body (of its first chunk when partial) */
	size_t body_len;		/* its length (of the first chunk when partial) */
	size_t end;			/* offset just past the packet */
	bool partial;
};

/* a v4 key or subkey packet seen in a key block, with what its signatures said */
struct keyrec {
	bool valid;			/* a v4 public key or subkey packet */
	bool primary;
	const uint8_t *body;
	size_t len;
	size_t off;			/* of its packet, for messages */
	int algo;
	uint8_t fpr[FPR_LEN];
	bool has_flags;
	unsigned flags;
	bool revoked;
};

/* what opgp_enckey_from_block() has found so far */
struct keysearch {
	const uint8_t *want;		/* fingerprint asked for, or NULL */
	struct keyrec match;		/* FPR given: the key with it */
	struct keyrec sub;		/* FPR NULL: last capable supported subkey */
	struct keyrec prim;		/* FPR NULL: last capable supported primary key */
	enum opgp_status skipped;	/* FPR NULL: status of the last capable key not supported */
	char skipped_why[128];
};

/* ---- small helpers --------------------------------------------------------------------- */

/* setwhy - format a reason into WHY, which may be NULL */
static void setwhy(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void setwhy(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* be16 - two octets, big-endian */
static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* be32 - four octets, big-endian */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* keyid_of - the low 64 bits of a v4 fingerprint */
static uint64_t keyid_of(const uint8_t fpr[FPR_LEN])
{
	uint64_t id = 0;

	for (int i = FPR_LEN - 8; i < FPR_LEN; i++)
		id = id << 8 | fpr[i];
	return id;
}

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

/* opgp_bit_length - significant bits of a big-endian number without leading zero octets */
size_t opgp_bit_length(const uint8_t *v, size_t n)
{
	size_t bits;

	if (n == 0)
		return 0;
	bits = (n - 1) * 8;
	for (unsigned top = v[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* opgp_strip_zeros - drop leading zero octets from the number at *V, *N octets long */
void opgp_strip_zeros(const uint8_t **v, size_t *n)
{
	while (*n > 0 && (*v)[0] == 0) {
		(*v)++;
		(*n)--;
	}
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

/* ---- packets ------------------------------------------------------------------------------ */

/* new_length - a new-format body length at *POS; false when truncated */
static bool new_length(const uint8_t *buf, size_t len, size_t *pos, size_t *l, bool *partial)
{
	size_t rest = len - *pos;
	uint8_t o;

	if (rest < 1)
		return false;
	o = buf[*pos];
	*partial = false;
	if (o < 192) {
		*l = o;
		*pos += 1;
	} else if (o < 224) {
		if (rest < 2)
			return false;
		*l = ((size_t)(o - 192) << 8) + buf[*pos + 1] + 192;
		*pos += 2;
	} else if (o == 255) {
		if (rest < 5)
			return false;
		*l = be32(buf + *pos + 1);
		*pos += 5;
	} else {
		*l = (size_t)1 << (o & 0x1f);
		*partial = true;
		*pos += 1;
	}
	return true;
}

/* partial_allowed - may packets of TAG use partial body lengths (RFC 4880 4.2.2.4) */
static bool partial_allowed(int tag)
{
	return tag == 8 || tag == TAG_SED || tag == 11 || tag == TAG_SEIPD || tag == TAG_AEAD;
}

/* pkt_read - the packet whose header is at OFF: tag, body and end, all within LEN */
static enum opgp_status pkt_read(const uint8_t *buf, size_t len, size_t off, struct pkt *p,
				 char *why, size_t whylen)
{
	size_t pos = off + 1, l = 0;
	uint8_t b;
	bool partial = false;

	memset(p, 0, sizeof *p);
	p->start = off;
	b = buf[off];
	if (!(b & 0x80)) {
		setwhy(why, whylen, "octet 0x%02x at offset %zu is not a packet header", b, off);
		return OPGP_E_FORMAT;
	}
	if (b & 0x40) {
		p->tag = b & 0x3f;
		if (!new_length(buf, len, &pos, &l, &partial))
			goto truncated;
	} else {
		int lt = b & 3;
		size_t n = lt == 0 ? 1 : lt == 1 ? 2 : lt == 2 ? 4 : 0;

		p->tag = (b >> 2) & 0x0f;
		if (len - pos < n)
			goto truncated;
		if (lt == 3)
			l = len - pos;	/* indeterminate: to the end of the input */
		else if (lt == 0)
			l = buf[pos];
		else if (lt == 1)
			l = be16(buf + pos);
		else
			l = be32(buf + pos);
		pos += n;
	}
	if (p->tag == 0) {
		setwhy(why, whylen, "reserved packet tag 0 at offset %zu", off);
		return OPGP_E_FORMAT;
	}
	if (partial && !partial_allowed(p->tag)) {
		setwhy(why, whylen, "partial body length on a packet of tag %d at offset %zu",
		       p->tag, off);
		return OPGP_E_FORMAT;
	}
	if (l > len - pos) {
		setwhy(why, whylen, "packet of tag %d at offset %zu claims %zu octets, %zu left",
		       p->tag, off, l, len - pos);
		return OPGP_E_FORMAT;
	}
	p->body = pos;
	p->body_len = l;
	p->partial = partial;
	pos += l;
	/* each further chunk takes at least its one-octet length, so this ends by LEN */
	while (partial) {
		size_t at = pos;

		if (!new_length(buf, len, &pos, &l, &partial)) {
			setwhy(why, whylen, "packet of tag %d at offset %zu: input ends at %zu, "
			       "inside its partial body length chain", p->tag, off, at);
			return OPGP_E_FORMAT;
		}
		if (l > len - pos) {
			setwhy(why, whylen, "body chunk at offset %zu of the packet at %zu claims "
			       "%zu octets, %zu left", at, off, l, len - pos);
			return OPGP_E_FORMAT;
		}
		pos += l;
	}
	p->end = pos;
	return OPGP_OK;
truncated:
	setwhy(why, whylen, "packet header at offset %zu truncated", off);
	return OPGP_E_FORMAT;
}

/* mpi_read - the MPI at *POS before END: its octets (as many as its bit count says) */
static bool mpi_read(const uint8_t *b, size_t end, size_t *pos, const uint8_t **v, size_t *n)
{
	size_t bits;

	if (*pos > end || end - *pos < 2)
		return false;
	bits = be16(b + *pos);
	*pos += 2;
	*n = (bits + 7) / 8;
	if (end - *pos < *n)
		return false;
	*v = b + *pos;
	*pos += *n;
	return true;
}

/* ---- splitting a message -------------------------------------------------------------------- */

/* opgp_split - the PKESKs, then the encrypted data packet and all that follows */
enum opgp_status opgp_split(const uint8_t *msg, size_t len, struct opgp_split *out,
			    char *why, size_t whylen)
{
	size_t off = 0;
	unsigned count = 0;
	struct pkt p;
	enum opgp_status s;

	memset(out, 0, sizeof *out);
	setwhy(why, whylen, "ok");
	if (msg == NULL || len == 0) {
		setwhy(why, whylen, "empty message");
		return OPGP_E_FORMAT;
	}
	for (;;) {
		const uint8_t *body;

		if (off == len) {
			setwhy(why, whylen, "no encrypted data packet after %zu PKESK(s)",
			       out->n_pkesk);
			return OPGP_E_FORMAT;
		}
		if (++count > OPGP_MAX_PACKETS) {
			setwhy(why, whylen, "more than %d packets before the encrypted data",
			       OPGP_MAX_PACKETS);
			return OPGP_E_FORMAT;
		}
		if ((s = pkt_read(msg, len, off, &p, why, whylen)) != OPGP_OK)
			return s;
		body = msg + p.body;
		switch (p.tag) {
		case TAG_PKESK:
			if (p.body_len < 1) {
				setwhy(why, whylen, "empty PKESK at offset %zu", off);
				return OPGP_E_FORMAT;
			}
			if (body[0] != 3) {
				setwhy(why, whylen, "PKESK version %d at offset %zu", body[0], off);
				return OPGP_E_UNSUPPORTED;
			}
			if (p.body_len < 10) {
				setwhy(why, whylen, "PKESK at offset %zu too short (%zu octets)",
				       off, p.body_len);
				return OPGP_E_FORMAT;
			}
			if (out->n_pkesk < sizeof out->pkesk_keyid / sizeof out->pkesk_keyid[0]) {
				uint64_t id = 0;

				for (int i = 1; i <= 8; i++)
					id = id << 8 | body[i];
				out->pkesk_keyid[out->n_pkesk] = id;
			}
			out->n_pkesk++;
			break;
		case TAG_SKESK:
		case TAG_MARKER:
			break;
		case TAG_SEIPD:
			if (p.body_len < 1) {
				setwhy(why, whylen, "encrypted data packet at offset %zu starts "
				       "with an empty chunk", off);
				return OPGP_E_FORMAT;
			}
			if (body[0] != 1) {
				setwhy(why, whylen, "encrypted data packet version %d at offset %zu",
				       body[0], off);
				return body[0] == 2 ? OPGP_E_UNSUPPORTED : OPGP_E_FORMAT;
			}
			/* FALLTHROUGH */
		case TAG_SED:
			out->data_tag = p.tag;
			out->data_off = off;
			out->data_len = len - off;
			setwhy(why, whylen, "ok");
			return OPGP_OK;
		case TAG_AEAD:
			setwhy(why, whylen, "AEAD encrypted data packet (tag 20) at offset %zu", off);
			return OPGP_E_UNSUPPORTED;
		default:
			setwhy(why, whylen, "packet of tag %d at offset %zu where encrypted data "
			       "or its session keys belong", p.tag, off);
			return OPGP_E_FORMAT;
		}
		off = p.end;
	}
}

/* ---- key blocks ------------------------------------------------------------------------------ */

/* sig_scan - type and hashed key flags of a signature body; false when it cannot be parsed */
static bool sig_scan(const uint8_t *b, size_t n, int *type, bool *has_flags, unsigned *flags)
{
	size_t end, i;

	*has_flags = false;
	*flags = 0;
	if (n < 1)
		return false;
	if (b[0] == 3 || b[0] == 2) {		/* v3: 5 hashed octets, no subpackets */
		if (n < 3 || b[1] != 5)
			return false;
		*type = b[2];
		return true;
	}
	if (b[0] != 4 || n < 6)
		return false;
	*type = b[1];
	end = 6 + be16(b + 4);
	if (end > n)
		return false;
	for (i = 6; i < end;) {		/* each subpacket takes at least two octets */
		size_t sl;
		uint8_t o = b[i];

		if (o < 192) {
			sl = o;
			i += 1;
		} else if (o < 255) {
			if (end - i < 2)
				return false;
			sl = ((size_t)(o - 192) << 8) + b[i + 1] + 192;
			i += 2;
		} else {
			if (end - i < 5)
				return false;
			sl = be32(b + i + 1);
			i += 5;
		}
		if (sl == 0 || sl > end - i)
			return false;
		if ((b[i] & 0x7f) == SUBPKT_KEYFLAGS && sl >= 2) {
			*has_flags = true;
			*flags = b[i + 1];
		}
		i += sl;
	}
	return true;
}

/* key_capable - can the key R encrypt, by its algorithm and flags */
static bool key_capable(const struct keyrec *r)
{
	if (r->algo != PK_RSA && r->algo != PK_RSA_E && r->algo != PK_ECDH &&
	    r->algo != PK_ELGAMAL)
		return false;
	return !r->has_flags || (r->flags & KF_ENCRYPT) != 0;
}

/* fpr_hex - a fingerprint as 40 hex digits */
static void fpr_hex(const uint8_t fpr[FPR_LEN], char out[2 * FPR_LEN + 1])
{
	for (int i = 0; i < FPR_LEN; i++)
		snprintf(out + 2 * i, 3, "%02X", fpr[i]);
}

/* key_params - the public parameters of the v4 key R into K (or only checked, K NULL) */
static enum opgp_status key_params(const struct keyrec *r, struct opgp_enckey *k,
				   char *why, size_t whylen)
{
	const uint8_t *b = r->body, *v, *e;
	size_t n = r->len, pos = 6, vlen, elen, bits;

	switch (r->algo) {
	case PK_RSA:
	case PK_RSA_E:
		if (!mpi_read(b, n, &pos, &v, &vlen) || !mpi_read(b, n, &pos, &e, &elen) ||
		    pos != n) {
			setwhy(why, whylen, "RSA key at offset %zu malformed", r->off);
			return OPGP_E_FORMAT;
		}
		opgp_strip_zeros(&v, &vlen);
		opgp_strip_zeros(&e, &elen);
		bits = opgp_bit_length(v, vlen);
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
			setwhy(why, whylen, "RSA key at offset %zu has %zu bits (%d..%d supported)",
			       r->off, bits, RSA_MIN_BITS, RSA_MAX_BITS);
			return OPGP_E_UNSUPPORTED;
		}
		if (elen == 0 || elen > vlen || !(e[elen - 1] & 1) || (elen == 1 && e[0] == 1)) {
			setwhy(why, whylen, "RSA key at offset %zu has a bad exponent", r->off);
			return OPGP_E_FORMAT;
		}
		if (k != NULL) {
			if ((k->n = malloc(vlen)) == NULL || (k->e = malloc(elen)) == NULL) {
				opgp_enckey_clear(k);
				return OPGP_E_NOMEM;
			}
			memcpy(k->n, v, vlen);
			memcpy(k->e, e, elen);
			k->n_len = vlen;
			k->e_len = elen;
		}
		break;
	case PK_ECDH: {
		size_t oidlen;
		int hash, cipher;

		if (pos >= n || (oidlen = b[pos]) == 0 || oidlen == 0xff || n - pos - 1 < oidlen) {
			setwhy(why, whylen, "ECDH key at offset %zu: bad curve OID", r->off);
			return OPGP_E_FORMAT;
		}
		if (oidlen != sizeof opgp_cv25519_oid ||
		    memcmp(b + pos + 1, opgp_cv25519_oid, sizeof opgp_cv25519_oid) != 0) {
			setwhy(why, whylen, "ECDH key at offset %zu is not on Curve25519", r->off);
			return OPGP_E_UNSUPPORTED;
		}
		pos += 1 + oidlen;
		if (!mpi_read(b, n, &pos, &v, &vlen) || pos >= n || b[pos] < 3 ||
		    n - pos - 1 != b[pos]) {
			setwhy(why, whylen, "ECDH key at offset %zu malformed", r->off);
			return OPGP_E_FORMAT;
		}
		if (vlen != 1 + X25519_LEN || v[0] != 0x40) {
			setwhy(why, whylen, "ECDH key at offset %zu: point is not 0x40 || 32 octets",
			       r->off);
			return OPGP_E_FORMAT;
		}
		if (b[pos] != 3 || b[pos + 1] != 1) {
			setwhy(why, whylen, "ECDH key at offset %zu: KDF parameters version %d",
			       r->off, b[pos + 1]);
			return OPGP_E_UNSUPPORTED;
		}
		hash = b[pos + 2];
		cipher = b[pos + 3];
		if ((hash != 8 && hash != 9 && hash != 10) || cipher < 7 || cipher > 9) {
			setwhy(why, whylen, "ECDH key at offset %zu: KDF hash %d, KEK cipher %d",
			       r->off, hash, cipher);
			return OPGP_E_UNSUPPORTED;
		}
		if (k != NULL) {
			memcpy(k->point, v + 1, X25519_LEN);
			k->kdf_hash = hash;
			k->kdf_cipher = cipher;
		}
		break;
	}
	default:
		setwhy(why, whylen, "public-key algorithm %d (key at offset %zu) not supported",
		       r->algo, r->off);
		return OPGP_E_UNSUPPORTED;
	}
	if (k != NULL) {
		memcpy(k->fpr, r->fpr, FPR_LEN);
		k->keyid = keyid_of(r->fpr);
		k->algo = r->algo;
	}
	return OPGP_OK;
}

/* key_begin - start the record for the key packet P; not valid unless it is v4 */
static enum opgp_status key_begin(const uint8_t *block, const struct pkt *p, struct keyrec *r,
				  char *why, size_t whylen)
{
	uint8_t pre[3];
	unsigned int mdlen = FPR_LEN;
	EVP_MD_CTX *md;
	bool ok;

	memset(r, 0, sizeof *r);
	r->primary = p->tag == TAG_PUBKEY;
	r->body = block + p->body;
	r->len = p->body_len;
	r->off = p->start;
	if (r->len < 1 || r->body[0] != 4)
		return OPGP_OK;		/* v3, v5, v6: never chosen */
	if (r->len < 6) {
		setwhy(why, whylen, "key packet at offset %zu too short", p->start);
		return OPGP_E_FORMAT;
	}
	if (r->len > 0xffff) {
		setwhy(why, whylen, "v4 key packet at offset %zu longer than 65535 octets",
		       p->start);
		return OPGP_E_FORMAT;
	}
	r->algo = r->body[5];
	pre[0] = 0x99;
	pre[1] = (uint8_t)(r->len >> 8);
	pre[2] = (uint8_t)r->len;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return OPGP_E_NOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(md, pre, sizeof pre) == 1 &&
	     EVP_DigestUpdate(md, r->body, r->len) == 1 &&
	     EVP_DigestFinal_ex(md, r->fpr, &mdlen) == 1 && mdlen == FPR_LEN;
	EVP_MD_CTX_free(md);
	if (!ok) {
		setwhy(why, whylen, "SHA-1 for the fingerprint failed");
		return OPGP_E_CRYPTO;
	}
	r->valid = true;
	return OPGP_OK;
}

/* key_sig - apply a signature following the key R: flags from a binding, a revocation */
static void key_sig(struct keyrec *r, const uint8_t *b, size_t n)
{
	int type = -1;
	bool has_flags;
	unsigned flags;

	if (!r->valid || !sig_scan(b, n, &type, &has_flags, &flags))
		return;
	if (r->primary ? type == SIG_KEYREV : type == SIG_SUBKEYREV) {
		r->revoked = true;
		return;
	}
	if (!has_flags)
		return;
	if (r->primary ? (type >= SIG_UID_FIRST && type <= SIG_UID_LAST) || type == SIG_DIRECT
		       : type == SIG_SUBKEY) {
		r->has_flags = true;
		r->flags = flags;
	}
}

/* key_end - the key R is complete: is it the one asked for, or a candidate */
static void key_end(struct keysearch *ks, const struct keyrec *r)
{
	enum opgp_status s;

	if (!r->valid)
		return;
	if (ks->want != NULL) {
		if (!ks->match.valid && memcmp(ks->want, r->fpr, FPR_LEN) == 0)
			ks->match = *r;
		return;
	}
	if (!key_capable(r) || r->revoked)
		return;
	s = key_params(r, NULL, ks->skipped_why, sizeof ks->skipped_why);
	if (s != OPGP_OK) {
		ks->skipped = s;
		return;
	}
	if (r->primary)
		ks->prim = *r;
	else
		ks->sub = *r;
}

/* opgp_enckey_from_block - the subkey with FPR, or the last usable one, from a key block */
enum opgp_status opgp_enckey_from_block(const uint8_t *block, size_t len, const uint8_t *fpr,
					struct opgp_enckey *out, char *why, size_t whylen)
{
	struct keysearch ks;
	struct keyrec cur;
	const struct keyrec *pick;
	struct pkt p;
	size_t off;
	unsigned count = 0;
	enum opgp_status s;
	char hex[2 * FPR_LEN + 1];

	memset(out, 0, sizeof *out);
	memset(&ks, 0, sizeof ks);
	memset(&cur, 0, sizeof cur);
	ks.want = fpr;
	ks.skipped = OPGP_OK;
	setwhy(why, whylen, "ok");
	if (block == NULL || len == 0) {
		setwhy(why, whylen, "empty key block");
		return OPGP_E_FORMAT;
	}
	for (off = 0; off < len; off = p.end) {
		if (++count > OPGP_MAX_PACKETS) {
			setwhy(why, whylen, "more than %d packets in the key block",
			       OPGP_MAX_PACKETS);
			return OPGP_E_FORMAT;
		}
		if ((s = pkt_read(block, len, off, &p, why, whylen)) != OPGP_OK)
			return s;
		switch (p.tag) {
		case TAG_PUBKEY:
		case TAG_PUBSUBKEY:
			key_end(&ks, &cur);
			if ((s = key_begin(block, &p, &cur, why, whylen)) != OPGP_OK)
				return s;
			break;
		case TAG_SECKEY:
		case TAG_SECSUBKEY:
			key_end(&ks, &cur);
			memset(&cur, 0, sizeof cur);	/* secret key packets are not looked at */
			break;
		case TAG_SIG:
			key_sig(&cur, block + p.body, p.body_len);
			break;
		default:			/* user IDs, attributes, trust packets, ... */
			break;
		}
	}
	key_end(&ks, &cur);

	if (fpr != NULL) {
		fpr_hex(fpr, hex);
		if (!ks.match.valid) {
			setwhy(why, whylen, "no v4 key with fingerprint %s in the key block", hex);
			return OPGP_E_NOKEY;
		}
		if (!key_capable(&ks.match)) {
			setwhy(why, whylen, "key %s is not an encryption key (algorithm %d, "
			       "flags 0x%02x)", hex, ks.match.algo,
			       ks.match.has_flags ? ks.match.flags : 0);
			return OPGP_E_NOKEY;
		}
		pick = &ks.match;
	} else if (ks.sub.valid) {
		pick = &ks.sub;
	} else if (ks.prim.valid) {
		pick = &ks.prim;
	} else if (ks.skipped != OPGP_OK) {
		setwhy(why, whylen, "no usable encryption key: %s", ks.skipped_why);
		return ks.skipped;
	} else {
		setwhy(why, whylen, "no encryption-capable v4 key in the key block");
		return OPGP_E_NOKEY;
	}
	if ((s = key_params(pick, out, why, whylen)) != OPGP_OK)
		return s;
	setwhy(why, whylen, "ok");
	return OPGP_OK;
}

/* opgp_enckey_clear - free what K owns and zero it */
void opgp_enckey_clear(struct opgp_enckey *k)
{
	if (k == NULL)
		return;
	free(k->n);
	free(k->e);
	memset(k, 0, sizeof *k);
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

/* ecdh_kek - the KEK for K from the shared secret ZZ (RFC 6637 section 7) */
static enum opgp_status ecdh_kek(const struct opgp_enckey *k, const uint8_t zz[X25519_LEN],
				 uint8_t *kek, size_t keklen)
{
	uint8_t buf[4 + X25519_LEN + 1 + sizeof opgp_cv25519_oid + 1 + 4 + 20 + FPR_LEN];
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const EVP_MD *md;
	size_t i = 0;
	bool ok;

	md = k->kdf_hash == 8 ? EVP_sha256() : k->kdf_hash == 9 ? EVP_sha384() : EVP_sha512();
	buf[i++] = 0;
	buf[i++] = 0;
	buf[i++] = 0;
	buf[i++] = 1;
	memcpy(buf + i, zz, X25519_LEN);
	i += X25519_LEN;
	buf[i++] = sizeof opgp_cv25519_oid;
	memcpy(buf + i, opgp_cv25519_oid, sizeof opgp_cv25519_oid);
	i += sizeof opgp_cv25519_oid;
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

/* ecdh_wrap - fresh X25519 key, KEK for K, AES key wrap of FRAME; EPH and WRAPPED filled */
static enum opgp_status ecdh_wrap(const struct opgp_enckey *k, const uint8_t *frame,
				  size_t flen, uint8_t eph[X25519_LEN], uint8_t *wrapped,
				  size_t *wlen)
{
	enum opgp_status s = OPGP_E_CRYPTO;
	EVP_PKEY *mine = NULL, *peer = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	const EVP_CIPHER *wrap;
	uint8_t zz[X25519_LEN], kek[32], sk[X25519_LEN];
	size_t zzlen = sizeof zz, elen = X25519_LEN;
	size_t keklen = k->kdf_cipher == 7 ? 16 : k->kdf_cipher == 8 ? 24 : 32;
	int l1 = 0, l2 = 0;

	wrap = keklen == 16 ? EVP_aes_128_wrap() : keklen == 24 ? EVP_aes_192_wrap()
								 : EVP_aes_256_wrap();
	/* a fresh ephemeral key for every PKESK: 32 random octets (X25519 clamps them); the
	 * peer is not "validated" (every u-coordinate is a valid X25519 input, and OpenSSL
	 * refuses an all-zero shared secret): both save the fetches and checks of the generic
	 * paths, about 5 us a copy */
	if (RAND_priv_bytes(sk, sizeof sk) != 1 ||
	    (mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, sizeof sk)) == NULL ||
	    EVP_PKEY_get_raw_public_key(mine, eph, &elen) != 1 || elen != X25519_LEN ||
	    (peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, k->point,
						X25519_LEN)) == NULL ||
	    (dctx = EVP_PKEY_CTX_new(mine, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(dctx, peer, 0) != 1 ||
	    EVP_PKEY_derive(dctx, zz, &zzlen) != 1 || zzlen != X25519_LEN)
		goto done;
	if ((s = ecdh_kek(k, zz, kek, keklen)) != OPGP_OK)
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
	OPENSSL_cleanse(sk, sizeof sk);
	OPENSSL_cleanse(zz, sizeof zz);
	OPENSSL_cleanse(kek, sizeof kek);
	EVP_CIPHER_CTX_free(cctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(mine);
	return s;
}

/* enckey_ok - is K complete enough for opgp_pkesk */
static bool enckey_ok(const struct opgp_enckey *k)
{
	if (k->algo == PK_RSA || k->algo == PK_RSA_E)
		return k->n != NULL && k->e != NULL && k->n_len > 0 && k->e_len > 0 &&
		       k->n_len <= RSA_MAX_BITS / 8 && k->e_len <= k->n_len;
	if (k->algo == PK_ECDH)
		return (k->kdf_hash == 8 || k->kdf_hash == 9 || k->kdf_hash == 10) &&
		       k->kdf_cipher >= 7 && k->kdf_cipher <= 9;
	return false;
}

/* opgp_pkesk - one v3 PKESK giving the session key ALGO/KEY to the holder of K */
enum opgp_status opgp_pkesk(const struct opgp_enckey *k, int algo, const uint8_t *key,
			    size_t keylen, uint8_t **out, size_t *outlen)
{
	uint8_t frame[FRAME_MAX], eph[X25519_LEN], wrapped[FRAME_MAX + 8];
	uint8_t *ct = NULL, *pkt = NULL;
	const uint8_t *mpi = NULL;
	size_t flen = 0, ctlen = 0, mpilen = 0, wlen = 0, body, i;
	unsigned sum = 0;
	enum opgp_status s;

	*out = NULL;
	*outlen = 0;
	if (keylen == 0 || keylen > OPGP_MAX_SESSION_KEY || sym_keylen(algo) != keylen)
		return sym_keylen(algo) == 0 ? OPGP_E_UNSUPPORTED : OPGP_E_FORMAT;
	if (!enckey_ok(k))
		return k->algo == PK_RSA || k->algo == PK_RSA_E || k->algo == PK_ECDH
		       ? OPGP_E_FORMAT : OPGP_E_UNSUPPORTED;
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
		s = ecdh_wrap(k, frame, flen, eph, wrapped, &wlen);
		body = 10 + 2 + 1 + X25519_LEN + 1 + wlen;
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
	if ((pkt = malloc(6 + body)) == NULL) {
		s = OPGP_E_NOMEM;
		goto done;
	}
	i = put_header(pkt, TAG_PKESK, body);
	pkt[i++] = 3;
	for (int sh = 56; sh >= 0; sh -= 8)
		pkt[i++] = (uint8_t)(k->keyid >> sh);
	pkt[i++] = (uint8_t)k->algo;
	if (k->algo == PK_ECDH) {
		uint8_t point[1 + X25519_LEN];

		point[0] = 0x40;
		memcpy(point + 1, eph, X25519_LEN);
		i += put_mpi(pkt + i, point, sizeof point);
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
	if (digits == 0 || *p++ != ':')
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

/* opgp_strerror - a short text for a status */
const char *opgp_strerror(enum opgp_status s)
{
	switch (s) {
	case OPGP_OK:
		return "ok";
	case OPGP_E_FORMAT:
		return "malformed OpenPGP data";
	case OPGP_E_UNSUPPORTED:
		return "unsupported algorithm, version or curve";
	case OPGP_E_NOKEY:
		return "no usable encryption key";
	case OPGP_E_CRYPTO:
		return "cryptographic operation failed";
	case OPGP_E_NOMEM:
		return "out of memory";
	}
	return "unknown OpenPGP status";
}
