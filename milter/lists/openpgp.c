/*
 * milter/lists/openpgp.c - OpenPGP packets for encrypted lists: split a post, read a subscriber's
 * encryption subkey from a key block.  Building the PKESK that hands that subscriber the post's
 * session key is openpgp-wrap.c, ASCII armor openpgp-armor.c.
 *
 * NAME
 *	openpgp - RFC 4880 packets and key blocks
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
 *	opgp_split() accepts PKESK (tag 1, v3 or v6, all of one version), SKESK (3, skipped)
 *	and marker (10, skipped) packets before the encrypted data, at most OPGP_MAX_PACKETS
 *	of them; the data packet's length chain must fit in the message.  The encrypted data
 *	is SEIPD version 1 (18), SED (9), SEIPD version 2 (18, RFC 9580 5.13.2: AES, Twofish
 *	or Camellia with EAX, OCB or GCM, chunk size octet 0..16, 32 octets of salt) or
 *	GnuPG's AEAD packet (20, version 1 of draft-ietf-openpgp-rfc4880bis-10 5.16: the same
 *	ciphers with EAX or OCB and its IV); v6 PKESKs must precede SEIPDv2 and v3 PKESKs
 *	the others (RFC 9580 5.1).  The AEAD data itself is not opened here.
 *
 *	The key opgp_enckey_from_block() (next paragraph) picks carries, as struct
 *	opgp_enckey.features, the features octet (subpacket 30, hashed area) of the last user
 *	ID or direct-key self-signature of its block's primary key, unverified like the flags.
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
 *	1024..16384 bits and ECDH on Curve25519, NIST P-256/384/521 and brainpoolP256r1/
 *	384r1/512r1 (table curves[]; KDF SHA2-256/384/512, KEK AES-128/192/256) are
 *	supported.  An ECDH point must have its curve's form (0x40 || u, or 04 || X || Y
 *	with coordinates of the field's length) and lie on the curve (opgp_ecdh_peer in
 *	openpgp-wrap.c), else OPGP_E_FORMAT.  ElGamal, other curves (named by their dotted
 *	OID), the KDF hashes MD5, SHA-1, RIPEMD-160 (forbidden, RFC 9580 section 9.5) and
 *	any other, KEK ciphers other than AES (RFC 3394 wraps with AES only) and KDF
 *	parameters of another version are OPGP_E_UNSUPPORTED, with the reason in WHY.
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT: the input is not what the RFC allows (WHY says what and at which
 *	offset); OPGP_E_UNSUPPORTED: a valid algorithm, version or curve this file does not
 *	implement; OPGP_E_NOKEY: no (matching) encryption key; OPGP_E_CRYPTO: OpenSSL refused
 *	(e.g. an RSA modulus it rejects, an X25519 point of small order); OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 4880 (3.2, 4.2, 5.1, 5.5.2, 6, 12.2), RFC 6637 (7, 8, 9, 10, 11), RFC 9580
 *	(5.1.2, 5.1.4, 5.13.2, 9.2, 9.5, 11.5), RFC 5639 (brainpool OIDs), RFC 3394, RFC 7748,
 *	draft-ietf-openpgp-rfc4880bis-10 (5.16).
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#define SIG_UID_FIRST	0x10
#define SIG_UID_LAST	0x13
#define SIG_SUBKEY	0x18
#define SIG_DIRECT	0x1f
#define SIG_KEYREV	0x20
#define SIG_SUBKEYREV	0x28
#define SUBPKT_KEYFLAGS	27
#define SUBPKT_FEATURES	30
#define KF_ENCRYPT	(0x04 | 0x08)

/* the curves of ECDH keys, by enum opgp_curve (RFC 9580 section 9.2, RFC 6637 section 11,
 * RFC 5639 for the brainpool OIDs) */
static const struct curve_info curves[] = {
	{ OPGP_CURVE_25519, "Curve25519", NULL,
	  { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01 }, 10, 32 },
	{ OPGP_CURVE_P256, "NIST P-256", "P-256",
	  { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 8, 32 },
	{ OPGP_CURVE_P384, "NIST P-384", "P-384", { 0x2b, 0x81, 0x04, 0x00, 0x22 }, 5, 48 },
	{ OPGP_CURVE_P521, "NIST P-521", "P-521", { 0x2b, 0x81, 0x04, 0x00, 0x23 }, 5, 66 },
	{ OPGP_CURVE_BP256, "brainpoolP256r1", "brainpoolP256r1",
	  { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 }, 9, 32 },
	{ OPGP_CURVE_BP384, "brainpoolP384r1", "brainpoolP384r1",
	  { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b }, 9, 48 },
	{ OPGP_CURVE_BP512, "brainpoolP512r1", "brainpoolP512r1",
	  { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d }, 9, 64 },
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
	bool direct;			/* primary key: a direct-key signature (0x1f) follows */
	bool has_features;		/* primary key: a self-signature's features subpacket */
	unsigned features;
};

/* what opgp_enckey_from_block() has found so far */
struct keysearch {
	const uint8_t *want;		/* fingerprint asked for, or NULL */
	struct keyrec match;		/* FPR given: the key with it */
	struct keyrec sub;		/* FPR NULL: last capable supported subkey */
	struct keyrec prim;		/* FPR NULL: last capable supported primary key */
	enum opgp_status skipped;	/* FPR NULL: status of the last capable key not supported */
	unsigned features;		/* of the block's primary key, from its self-signatures */
	char skipped_why[128];
};

/* ---- small helpers --------------------------------------------------------------------- */

/* opgp_setwhy - format a reason into WHY, which may be NULL */
void opgp_setwhy(char *why, size_t whylen, const char *fmt, ...)
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

/* opgp_curve_by_oid - the curve whose OID is OID/LEN; NULL when we know none such */
const struct curve_info *opgp_curve_by_oid(const uint8_t *oid, size_t len)
{
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (curves[i].oid_len == len && memcmp(curves[i].oid, oid, len) == 0)
			return &curves[i];
	return NULL;
}

/* opgp_curve_info - the table entry of C; NULL for OPGP_CURVE_NONE and unknown values */
const struct curve_info *opgp_curve_info(enum opgp_curve c)
{
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (curves[i].id == c)
			return &curves[i];
	return NULL;
}

/* opgp_curve_name - the RFC 9580 name of curve C, "none" when it is not one */
const char *opgp_curve_name(enum opgp_curve c)
{
	const struct curve_info *ci = opgp_curve_info(c);

	return ci != NULL ? ci->name : "none";
}

/* oid_text - the dotted form of the OID in LEN octets at O (or its hex when it is not DER) */
static void oid_text(const uint8_t *o, size_t len, char *out, size_t outlen)
{
	size_t used = 0;
	uint64_t arc = 0;
	bool ok = len > 0 && (o[len - 1] & 0x80) == 0;

	out[0] = '\0';
	for (size_t i = 0; ok && i < len && used < outlen; i++) {
		if (arc > (UINT64_MAX >> 7)) {
			ok = false;
			break;
		}
		arc = arc << 7 | (o[i] & 0x7f);
		if (o[i] & 0x80)
			continue;
		if (used == 0)		/* the first two arcs share an octet: 40 * X + Y */
			used += (size_t)snprintf(out, outlen, "%u.%" PRIu64,
						 arc < 80 ? (unsigned)(arc / 40) : 2u,
						 arc < 80 ? arc % 40 : arc - 80);
		else
			used += (size_t)snprintf(out + used, outlen - used, ".%" PRIu64, arc);
		arc = 0;
	}
	if (ok && used < outlen)
		return;
	used = 0;
	for (size_t i = 0; i < len && used + 3 <= outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%02x", o[i]);
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

/* aead_sym_ok - a 128-bit block cipher, as SEIPDv2 and tag 20 require (AES, Twofish,
 * Camellia) */
static bool aead_sym_ok(int algo)
{
	return algo >= 7 && algo <= 13;
}

/* pkesk_check - a PKESK body (P, whose body is B) of version 3 or 6; its key ID into *ID */
static enum opgp_status pkesk_check(const struct pkt *p, const uint8_t *b, uint64_t *id,
				    char *why, size_t whylen)
{
	size_t n = p->body_len, flen;

	*id = 0;
	if (n < 1) {
		setwhy(why, whylen, "empty PKESK at offset %zu", p->start);
		return OPGP_E_FORMAT;
	}
	if (b[0] == 3) {
		if (n < 10) {
			setwhy(why, whylen, "PKESK at offset %zu too short (%zu octets)",
			       p->start, n);
			return OPGP_E_FORMAT;
		}
		for (int i = 1; i <= 8; i++)
			*id = *id << 8 | b[i];
		return OPGP_OK;
	}
	if (b[0] != 6) {
		setwhy(why, whylen, "PKESK version %d at offset %zu", b[0], p->start);
		return OPGP_E_UNSUPPORTED;
	}
	/* v6 (RFC 9580 5.1.2): size octet, then key version and fingerprint (none when the
	 * size is 0: an anonymous recipient), then the algorithm and at least one octet */
	if (n < 2 || (flen = b[1]) > n - 2 || n - 2 - flen < 2) {
		setwhy(why, whylen, "v6 PKESK at offset %zu too short (%zu octets)", p->start, n);
		return OPGP_E_FORMAT;
	}
	if (flen != 0) {
		if (!((b[2] == 4 && flen == 1 + 20) || (b[2] == 6 && flen == 1 + 32))) {
			setwhy(why, whylen, "v6 PKESK at offset %zu: key version %d with %zu "
			       "octets of fingerprint", p->start, b[2], flen - 1);
			return OPGP_E_FORMAT;
		}
		/* the key ID: low 64 bits of a v4 fingerprint, high 64 of a v6 one */
		for (size_t i = 0; i < 8; i++)
			*id = *id << 8 | b[b[2] == 4 ? 3 + 12 + i : 3 + i];
	}
	return OPGP_OK;
}

/* aead_check - the header of SEIPDv2 or tag 20 data at P (first chunk B); fills OUT */
static enum opgp_status aead_check(const struct pkt *p, const uint8_t *b,
				   struct opgp_split *out, char *why, size_t whylen)
{
	bool v2 = p->tag == TAG_SEIPD;
	const char *what = v2 ? "SEIPD version 2" : "AEAD (tag 20)";
	size_t n = p->body_len, head, ivlen;

	/* SEIPDv2: version, cipher, AEAD, chunk size, 32 octets of salt; tag 20: version,
	 * cipher, AEAD, chunk size, the starting IV (16 octets EAX, 15 OCB); then the chunks
	 * and the final authentication tag (16 octets) */
	if (n < 4) {
		setwhy(why, whylen, "%s data at offset %zu: header truncated", what, p->start);
		return OPGP_E_FORMAT;
	}
	if (!v2 && b[0] != 1) {
		setwhy(why, whylen, "AEAD encrypted data (tag 20) version %d at offset %zu", b[0],
		       p->start);
		return OPGP_E_UNSUPPORTED;
	}
	if (!aead_sym_ok(b[1])) {
		setwhy(why, whylen, "%s data at offset %zu: symmetric algorithm %d", what,
		       p->start, b[1]);
		return b[1] == 0 ? OPGP_E_FORMAT : OPGP_E_UNSUPPORTED;
	}
	if (b[2] == 1)
		ivlen = 16;
	else if (b[2] == 2)
		ivlen = 15;
	else if (b[2] == 3 && v2)
		ivlen = 12;
	else {
		setwhy(why, whylen, "%s data at offset %zu: AEAD algorithm %d", what, p->start,
		       b[2]);
		return b[2] == 0 ? OPGP_E_FORMAT : OPGP_E_UNSUPPORTED;
	}
	if (b[3] > 16) {
		setwhy(why, whylen, "%s data at offset %zu: chunk size octet %d (0..16 supported)",
		       what, p->start, b[3]);
		return OPGP_E_UNSUPPORTED;
	}
	head = 4 + (v2 ? 32 : ivlen);
	if (n < head || (!p->partial && n - head < 16)) {
		setwhy(why, whylen, "%s data at offset %zu too short (%zu octets)", what,
		       p->start, n);
		return OPGP_E_FORMAT;
	}
	out->format = v2 ? OPGP_FMT_SEIPD2 : OPGP_FMT_AEAD_OCB;
	out->data_cipher = b[1];
	out->data_aead = b[2];
	out->data_chunk = b[3];
	return OPGP_OK;
}

/* opgp_format_name - a name for logs and replies */
const char *opgp_format_name(enum opgp_format f)
{
	static const char *const names[] = {
		[OPGP_FMT_SED] = "symmetrically encrypted data without integrity protection "
				 "(tag 9)",
		[OPGP_FMT_SEIPD1] = "SEIPD version 1",
		[OPGP_FMT_AEAD_OCB] = "AEAD encrypted data (tag 20, GnuPG's OCB packet)",
		[OPGP_FMT_SEIPD2] = "SEIPD version 2 (RFC 9580 AEAD)",
	};

	return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "unknown encrypted data";
}

/* opgp_format_feature - the features bit data of format F needs */
unsigned opgp_format_feature(enum opgp_format f)
{
	return f == OPGP_FMT_SEIPD2 ? OPGP_FEATURE_SEIPD2 :
	       f == OPGP_FMT_AEAD_OCB ? OPGP_FEATURE_AEAD : 0;
}

/* opgp_format_pkesk_version - v6 PKESKs for SEIPDv2, v3 for the rest */
int opgp_format_pkesk_version(enum opgp_format f)
{
	return f == OPGP_FMT_SEIPD2 ? 6 : 3;
}

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
		uint64_t id;

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
			if ((s = pkesk_check(&p, body, &id, why, whylen)) != OPGP_OK)
				return s;
			if (out->pkesk_version != 0 && out->pkesk_version != body[0]) {
				setwhy(why, whylen, "PKESK version %d at offset %zu after version "
				       "%d ones", body[0], off, out->pkesk_version);
				return OPGP_E_FORMAT;
			}
			out->pkesk_version = body[0];
			if (out->n_pkesk < sizeof out->pkesk_keyid / sizeof out->pkesk_keyid[0])
				out->pkesk_keyid[out->n_pkesk] = id;
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
			if (body[0] == 2) {
				if ((s = aead_check(&p, body, out, why, whylen)) != OPGP_OK)
					return s;
			} else if (body[0] != 1) {
				setwhy(why, whylen, "encrypted data packet version %d at offset %zu",
				       body[0], off);
				return OPGP_E_FORMAT;
			} else {
				out->format = OPGP_FMT_SEIPD1;
			}
			goto data;
		case TAG_AEAD:
			if ((s = aead_check(&p, body, out, why, whylen)) != OPGP_OK)
				return s;
			goto data;
		case TAG_SED:
			out->format = OPGP_FMT_SED;
data:
			/* RFC 9580 5.1: v6 PKESKs go with SEIPDv2 only, v3 with the others */
			if (out->pkesk_version != 0 &&
			    out->pkesk_version != opgp_format_pkesk_version(out->format)) {
				setwhy(why, whylen, "version %d PKESK(s) before %s at offset %zu",
				       out->pkesk_version, opgp_format_name(out->format), off);
				return OPGP_E_FORMAT;
			}
			out->data_tag = p.tag;
			out->data_off = off;
			out->data_len = len - off;
			setwhy(why, whylen, "ok");
			return OPGP_OK;
		default:
			setwhy(why, whylen, "packet of tag %d at offset %zu where encrypted data "
			       "or its session keys belong", p.tag, off);
			return OPGP_E_FORMAT;
		}
		off = p.end;
	}
}

/* ---- key blocks ------------------------------------------------------------------------------ */

/* sig_scan - type, hashed key flags and features of a signature body; false when it cannot
 * be parsed */
static bool sig_scan(const uint8_t *b, size_t n, int *type, bool *has_flags, unsigned *flags,
		     bool *has_features, unsigned *features)
{
	size_t end, i;

	*has_flags = false;
	*flags = 0;
	*has_features = false;
	*features = 0;
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
		if ((b[i] & 0x7f) == SUBPKT_FEATURES && sl >= 2) {
			*has_features = true;
			*features = b[i + 1];
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
		const struct curve_info *ci;
		size_t oidlen;
		int hash, cipher;
		enum opgp_status s;
		char oid[64];

		if (pos >= n || (oidlen = b[pos]) == 0 || oidlen == 0xff || n - pos - 1 < oidlen) {
			setwhy(why, whylen, "ECDH key at offset %zu: bad curve OID", r->off);
			return OPGP_E_FORMAT;
		}
		if ((ci = opgp_curve_by_oid(b + pos + 1, oidlen)) == NULL) {
			oid_text(b + pos + 1, oidlen, oid, sizeof oid);
			setwhy(why, whylen, "ECDH key at offset %zu: curve OID %s is not one of "
			       "Curve25519, NIST P-256/384/521, brainpoolP256r1/384r1/512r1",
			       r->off, oid);
			return OPGP_E_UNSUPPORTED;
		}
		pos += 1 + oidlen;
		if (!mpi_read(b, n, &pos, &v, &vlen) || pos >= n || b[pos] < 3 ||
		    n - pos - 1 != b[pos]) {
			setwhy(why, whylen, "ECDH key at offset %zu malformed", r->off);
			return OPGP_E_FORMAT;
		}
		if (ci->group == NULL ? vlen != 1 + X25519_LEN || v[0] != 0x40
				      : vlen != 1 + 2 * ci->field_len || v[0] != 0x04) {
			setwhy(why, whylen, "ECDH key at offset %zu: %s point is not %s || %zu octets",
			       r->off, ci->name, ci->group == NULL ? "0x40" : "04",
			       ci->group == NULL ? (size_t)X25519_LEN : 2 * ci->field_len);
			return OPGP_E_FORMAT;
		}
		if (b[pos] != 3 || b[pos + 1] != 1) {
			setwhy(why, whylen, "ECDH key at offset %zu: KDF parameters version %d",
			       r->off, b[pos + 1]);
			return OPGP_E_UNSUPPORTED;
		}
		hash = b[pos + 2];
		cipher = b[pos + 3];
		if (hash >= 1 && hash <= 3) {	/* RFC 9580 section 9.5 */
			setwhy(why, whylen, "ECDH key at offset %zu: KDF hash %s is forbidden in an "
			       "ECDH KDF", r->off, hash == 1 ? "MD5" : hash == 2 ? "SHA-1"
			       : "RIPEMD-160");
			return OPGP_E_UNSUPPORTED;
		}
		if ((hash != 8 && hash != 9 && hash != 10) || cipher < 7 || cipher > 9) {
			/* AES key wrap (RFC 3394) is defined for AES only (RFC 6637 section 8) */
			setwhy(why, whylen, "ECDH key at offset %zu: KDF hash %d, KEK cipher %d (SHA2-256/"
			       "384/512 and AES-128/192/256 are supported)", r->off, hash, cipher);
			return OPGP_E_UNSUPPORTED;
		}
		if ((s = opgp_ecdh_peer(ci, v, vlen, NULL, why, whylen)) != OPGP_OK) {
			if (s == OPGP_E_FORMAT)
				setwhy(why, whylen, "ECDH key at offset %zu: its point is not on %s",
				       r->off, ci->name);
			return s;
		}
		if (k != NULL) {
			k->curve = ci->id;
			memcpy(k->point, v, vlen);
			k->point_len = vlen;
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
	bool has_flags, has_features;
	unsigned flags, features;

	if (!r->valid || !sig_scan(b, n, &type, &has_flags, &flags, &has_features, &features))
		return;
	if (r->primary ? type == SIG_KEYREV : type == SIG_SUBKEYREV) {
		r->revoked = true;
		return;
	}
	if (r->primary && type == SIG_DIRECT)
		r->direct = true;
	if (r->primary && has_features &&
	    ((type >= SIG_UID_FIRST && type <= SIG_UID_LAST) || type == SIG_DIRECT)) {
		r->has_features = true;
		r->features = features;
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

/* what block_walk() does with a key block: each finished key (valid or not) to KEY, with the
 * index of its certificate */
struct block_visit {
	enum opgp_status (*key)(void *ctx, const struct keyrec *r, size_t cert, char *why,
				size_t whylen);
	void *ctx;
	unsigned max_packets;
	bool strict;			/* a secret key packet, or a subkey before any primary
					 * key, is OPGP_E_FORMAT (else secret keys are skipped) */
	size_t n_certs;			/* out: public-key packets seen */
};

/* block_walk - the packets of BLOCK (LEN octets), each key with the signatures after it */
static enum opgp_status block_walk(const uint8_t *block, size_t len, struct block_visit *v,
				   char *why, size_t whylen)
{
	struct keyrec cur;
	struct pkt p;
	size_t off, cert = 0;
	unsigned count = 0;
	enum opgp_status s;

	memset(&cur, 0, sizeof cur);
	v->n_certs = 0;
	if (block == NULL || len == 0) {
		setwhy(why, whylen, "empty key block");
		return OPGP_E_FORMAT;
	}
	for (off = 0; off < len; off = p.end) {
		if (++count > v->max_packets) {
			setwhy(why, whylen, "more than %u packets in the key block",
			       v->max_packets);
			return OPGP_E_FORMAT;
		}
		if ((s = pkt_read(block, len, off, &p, why, whylen)) != OPGP_OK)
			return s;
		switch (p.tag) {
		case TAG_PUBKEY:
		case TAG_PUBSUBKEY:
			if ((s = v->key(v->ctx, &cur, cert, why, whylen)) != OPGP_OK)
				return s;
			if (p.tag == TAG_PUBKEY) {
				cert = v->n_certs++;
			} else if (v->strict && v->n_certs == 0) {
				setwhy(why, whylen, "subkey at offset %zu before any primary key",
				       p.start);
				return OPGP_E_FORMAT;
			}
			if ((s = key_begin(block, &p, &cur, why, whylen)) != OPGP_OK)
				return s;
			break;
		case TAG_SECKEY:
		case TAG_SECSUBKEY:
			if (v->strict) {
				setwhy(why, whylen, "secret key packet at offset %zu in a "
				       "certificate", p.start);
				return OPGP_E_FORMAT;
			}
			if ((s = v->key(v->ctx, &cur, cert, why, whylen)) != OPGP_OK)
				return s;
			memset(&cur, 0, sizeof cur);	/* secret key packets are not looked at */
			break;
		case TAG_SIG:
			key_sig(&cur, block + p.body, p.body_len);
			break;
		default:			/* user IDs, attributes, trust packets, ... */
			break;
		}
	}
	return v->key(v->ctx, &cur, cert, why, whylen);
}

/* search_key - block_walk's KEY for opgp_enckey_from_block: the features of the primary key,
 * then key_end */
static enum opgp_status search_key(void *ctx, const struct keyrec *r, size_t cert, char *why,
				   size_t whylen)
{
	struct keysearch *ks = ctx;

	(void)cert;
	(void)why;
	(void)whylen;
	if (r->valid && r->primary && r->has_features)
		ks->features = r->features;
	key_end(ks, r);
	return OPGP_OK;
}

/* opgp_enckey_from_block - the subkey with FPR, or the last usable one, from a key block */
enum opgp_status opgp_enckey_from_block(const uint8_t *block, size_t len, const uint8_t *fpr,
					struct opgp_enckey *out, char *why, size_t whylen)
{
	struct keysearch ks;
	struct block_visit visit = { .key = search_key, .ctx = &ks,
				     .max_packets = OPGP_MAX_PACKETS };
	const struct keyrec *pick;
	enum opgp_status s;
	char hex[2 * FPR_LEN + 1];

	memset(out, 0, sizeof *out);
	memset(&ks, 0, sizeof ks);
	ks.want = fpr;
	ks.skipped = OPGP_OK;
	setwhy(why, whylen, "ok");
	if ((s = block_walk(block, len, &visit, why, whylen)) != OPGP_OK)
		return s;

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
	out->features = ks.features;
	setwhy(why, whylen, "ok");
	return OPGP_OK;
}

/* the keys opgp_block_keys() lists */
struct keylist {
	struct opgp_keyinfo *out;
	size_t max, n;
};

/* keyinfo_add - block_walk's KEY for opgp_block_keys: the finished key R as the next entry */
static enum opgp_status keyinfo_add(void *ctx, const struct keyrec *r, size_t cert, char *why,
				    size_t whylen)
{
	struct keylist *kl = ctx;
	struct opgp_keyinfo *k;

	if (!r->valid)
		return OPGP_OK;
	if (kl->n >= kl->max) {
		setwhy(why, whylen, "more than %zu keys in the key block", kl->max);
		return OPGP_E_FORMAT;
	}
	k = &kl->out[kl->n++];
	memset(k, 0, sizeof *k);
	memcpy(k->fpr, r->fpr, FPR_LEN);
	k->keyid = keyid_of(r->fpr);
	k->cert = cert;
	k->primary = r->primary;
	k->algo = r->algo;
	k->encrypt = key_capable(r);
	k->revoked = r->revoked;
	k->direct_sig = r->direct;
	return OPGP_OK;
}

/* opgp_block_keys - every v4 key and subkey of a key block, by certificate */
enum opgp_status opgp_block_keys(const uint8_t *block, size_t len, struct opgp_keyinfo *out,
				 size_t max, size_t *n, size_t *n_certs, char *why, size_t whylen)
{
	struct keylist kl = { .out = out, .max = max };
	struct block_visit visit = { .key = keyinfo_add, .ctx = &kl,
				     .max_packets = OPGP_MAX_BLOCK_PACKETS, .strict = true };
	enum opgp_status s;

	setwhy(why, whylen, "ok");
	s = block_walk(block, len, &visit, why, whylen);
	*n = kl.n;
	*n_certs = visit.n_certs;
	if (s == OPGP_OK)
		setwhy(why, whylen, "ok");
	return s;
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

/* ---- intended recipients of a post's signatures ------------------------------------------- */

#define SUBPKT_INTENDED	35		/* Intended Recipient Fingerprint, RFC 9580 */
#define TAG_SIG		2
#define TAG_COMPRESSED	8

/* pkt_body - the whole body of packet P of BUF (its partial body chunks joined) in *OUT,
 * malloc'd, or pointing into BUF (*OWNED false) when it has a single chunk */
static enum opgp_status pkt_body(const uint8_t *buf, const struct pkt *p, const uint8_t **out,
				 size_t *outlen, uint8_t **owned)
{
	size_t pos, l = p->body_len, total = 0;
	bool partial = p->partial;
	uint8_t *joined;

	*owned = NULL;
	*out = buf + p->body;
	*outlen = p->body_len;
	if (!partial)
		return OPGP_OK;
	/* pkt_read checked the chain: every chunk lies within [p->body, p->end) */
	if ((joined = malloc(p->end - p->body)) == NULL)
		return OPGP_E_NOMEM;
	pos = p->body;
	for (;;) {
		memcpy(joined + total, buf + pos, l);
		total += l;
		pos += l;
		if (!partial)
			break;
		if (!new_length(buf, p->end, &pos, &l, &partial) || l > p->end - pos) {
			free(joined);
			return OPGP_E_FORMAT;
		}
	}
	*owned = joined;
	*out = joined;
	*outlen = total;
	return OPGP_OK;
}

/* opgp_packet_body - the packet at OFF of BUF (LEN octets): its tag and whole body (partial
 * body chunks joined: then *OWNED is the malloc'd copy to free, else NULL) */
enum opgp_status opgp_packet_body(const uint8_t *buf, size_t len, size_t off, int *tag,
				  const uint8_t **body, size_t *bodylen, uint8_t **owned,
				  size_t *next, char *why, size_t whylen)
{
	struct pkt p;
	enum opgp_status s;

	*owned = NULL;
	if ((s = pkt_read(buf, len, off, &p, why, whylen)) != OPGP_OK)
		return s;
	*tag = p.tag;
	*next = p.end;
	if ((s = pkt_body(buf, &p, body, bodylen, owned)) != OPGP_OK)
		setwhy(why, whylen, "packet at offset %zu: %s", off, opgp_strerror(s));
	return s;
}

/* inflate_bounded - the compressed data packet body B (N octets, algorithm octet first: 1 ZIP
 * raw deflate, 2 ZLIB) inflated into *OUT (malloc'd), at most MAXOUT octets */
static enum opgp_status inflate_bounded(const uint8_t *b, size_t n, size_t maxout, uint8_t **out,
					size_t *outlen, char *why, size_t whylen)
{
	z_stream z;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int r = Z_OK;
	bool too_big = false;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, b[0] == 1 ? -15 : 15) != Z_OK)
		return OPGP_E_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)(b + 1);
	z.avail_in = n - 1 > UINT_MAX ? UINT_MAX : (uInt)(n - 1);
	do {
		if (z.total_out == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nb;
			if (cap >= maxout) {
				too_big = true;
				break;
			}
			if (ncap > maxout)
				ncap = maxout;
			if ((nb = realloc(buf, ncap)) == NULL) {
				r = Z_MEM_ERROR;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out > UINT_MAX ? UINT_MAX : cap - z.total_out);
		r = inflate(&z, Z_NO_FLUSH);
		if (r == Z_BUF_ERROR && z.avail_out > 0)	/* input ends before the stream */
			break;
	} while (r == Z_OK || r == Z_BUF_ERROR);
	*outlen = z.total_out;
	inflateEnd(&z);
	if (r != Z_STREAM_END) {
		if (r == Z_MEM_ERROR) {
			free(buf);
			return OPGP_E_NOMEM;
		}
		if (too_big)
			setwhy(why, whylen, "compressed data inflates past %zu octets", maxout);
		else
			setwhy(why, whylen, "damaged or truncated compressed data (zlib %d)", r);
		free(buf);
		*outlen = 0;
		return OPGP_E_FORMAT;
	}
	*out = buf;
	return OPGP_OK;
}

/* subpkt_len - the subpacket length at *POS before END (RFC 9580 5.2.3.7: one, two or five
 * octets), *POS moved past it; false when truncated */
static bool subpkt_len(const uint8_t *b, size_t end, size_t *pos, size_t *l)
{
	size_t rest = end - *pos;
	uint8_t o = b[*pos];

	if (o < 192) {
		*l = o;
		*pos += 1;
	} else if (o < 255) {
		if (rest < 2)
			return false;
		*l = ((size_t)(o - 192) << 8) + b[*pos + 1] + 192;
		*pos += 2;
	} else {
		if (rest < 5)
			return false;
		*l = be32(b + *pos + 1);
		*pos += 5;
	}
	return true;
}

/* sig_recipients - add the signature body B (N octets) to OUT: one more signature, and the
 * fingerprints its hashed area names as intended recipients */
static enum opgp_status sig_recipients(const uint8_t *b, size_t n, struct opgp_sigrcpts *out)
{
	size_t lenlen, end, i;
	bool names = false;

	if (n < 1)
		return OPGP_E_FORMAT;
	out->n_sigs++;
	if (b[0] == 3 || b[0] == 2)		/* v3: no subpackets */
		return OPGP_OK;
	if (b[0] != 4 && b[0] != 5 && b[0] != 6)
		return OPGP_E_UNSUPPORTED;
	lenlen = b[0] == 4 ? 2 : 4;		/* v5 and v6: a four-octet hashed area length */
	if (n < 4 + lenlen)
		return OPGP_E_FORMAT;
	end = lenlen == 2 ? be16(b + 4) : be32(b + 4);
	if (end > n - 4 - lenlen)
		return OPGP_E_FORMAT;
	end += 4 + lenlen;
	for (i = 4 + lenlen; i < end;) {	/* each subpacket takes at least two octets */
		size_t sl;

		if (!subpkt_len(b, end, &i, &sl) || sl == 0 || sl > end - i)
			return OPGP_E_FORMAT;
		if ((b[i] & 0x7f) == SUBPKT_INTENDED && sl >= 2) {
			size_t fl = sl - 2;	/* type, key version, fingerprint */
			if (!names) {		/* counted at once: a later malformed subpacket
						 * leaves OUT consistent (n_naming with n_fprs) */
				names = true;
				out->n_naming++;
			}
			if ((fl == 20 || fl == 32) && out->n_fprs < OPGP_MAX_RCPTS) {
				memcpy(out->fpr[out->n_fprs], b + i + 2, fl);
				out->fpr_len[out->n_fprs++] = fl;
			}
		}
		i += sl;
	}
	return OPGP_OK;
}

/* rcpts_walk - the packets of B (N octets) at nesting DEPTH into OUT */
static enum opgp_status rcpts_walk(const uint8_t *b, size_t n, size_t maxout, int depth,
				   struct opgp_sigrcpts *out, char *why, size_t whylen)
{
	size_t off = 0, count = 0;
	enum opgp_status st = OPGP_OK;

	while (off < n && st == OPGP_OK) {
		struct pkt p;
		const uint8_t *body;
		size_t blen;
		uint8_t *owned = NULL;

		if (++count > OPGP_MAX_PACKETS) {
			setwhy(why, whylen, "more than %d packets", OPGP_MAX_PACKETS);
			return OPGP_E_FORMAT;
		}
		if ((st = pkt_read(b, n, off, &p, why, whylen)) != OPGP_OK)
			return st;
		off = p.end;
		if (p.tag != TAG_SIG && p.tag != TAG_COMPRESSED)
			continue;
		if ((st = pkt_body(b, &p, &body, &blen, &owned)) != OPGP_OK)
			return st;
		if (p.tag == TAG_SIG) {
			if ((st = sig_recipients(body, blen, out)) != OPGP_OK)
				setwhy(why, whylen, "signature packet at offset %zu: %s", p.start,
				       st == OPGP_E_FORMAT ? "malformed" : "unsupported version");
		} else if (depth > 0 || blen < 1) {
			setwhy(why, whylen, "compressed data %s at offset %zu", blen < 1 ?
			       "without an algorithm" : "inside compressed data", p.start);
			st = OPGP_E_FORMAT;
		} else if (body[0] == 0) {
			st = rcpts_walk(body + 1, blen - 1, maxout, depth + 1, out, why, whylen);
		} else if (body[0] == 1 || body[0] == 2) {
			uint8_t *plain = NULL;
			size_t plen = 0;
			if ((st = inflate_bounded(body, blen, maxout, &plain, &plen, why,
						  whylen)) == OPGP_OK)
				st = rcpts_walk(plain, plen, maxout, depth + 1, out, why, whylen);
			free(plain);
		} else {
			setwhy(why, whylen, "compression algorithm %d", body[0]);
			st = OPGP_E_UNSUPPORTED;
		}
		free(owned);
	}
	return st;
}

/* opgp_sig_recipients - the intended recipients named by INNER's signatures */
enum opgp_status opgp_sig_recipients(const uint8_t *inner, size_t len, size_t maxout,
				     struct opgp_sigrcpts *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (len == 0) {
		setwhy(why, whylen, "no packets");
		return OPGP_E_FORMAT;
	}
	return rcpts_walk(inner, len, maxout, 0, out, why, whylen);
}
