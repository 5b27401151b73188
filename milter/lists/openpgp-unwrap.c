/*
 * milter/lists/openpgp-unwrap.c - the list's own PKESK of a post, opened with the help of the
 * list key's gpg-agent: the ciphertext as the agent's PKDECRYPT wants it, and the session key
 * from what the agent gives back.  For posts GnuPG 2.2 cannot open itself (SEIPD version 2,
 * with a v6 PKESK) the list still holds no secret key: only the agent does.
 *
 * NAME
 *	openpgp_unwrap - opgp_pkesk_sexp(), opgp_agent_value(), opgp_pkesk_finish()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototypes and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	opgp_pkesk_sexp() finds the PKESK (v3 by key ID, v6 by key version 4 and fingerprint)
 *	naming the list's encryption subkey K among a post's leading packets and writes its
 *	ciphertext as the canonical S-expression GnuPG's own gpg hands the agent (g10/
 *	pubkey-enc.c): RSA "(7:enc-val(3:rsa(1:a N:MPI)))", ECDH "(7:enc-val(4:ecdh(1:s N:
 *	WRAPPED)(1:e N:POINT)))" (the agent uses e, the ephemeral point, and gives back the
 *	shared point); an MPI whose first octet has its high bit set gets a leading zero
 *	octet so it reads as positive.
 *
 *	opgp_agent_value() takes the agent's answer "(5:value N:OCTETS)" apart.
 *
 *	opgp_pkesk_finish() turns that value into the session key: RSA - the value is the
 *	decrypted integer, PKCS#1 v1.5 type 2 padding included (gpg-agent 2.2 leaves it to
 *	gpg, as pubkey-enc.c's get_it shows): 00? 02 nonzero-octets 00 FRAME; ECDH - the value
 *	is the shared point (0x40 || u for Curve25519, 04 || X || Y otherwise), ZZ its X, the
 *	KEK of RFC 6637 section 7 (opgp_ecdh_kek, K's KDF parameters) unwraps the PKESK's
 *	wrapped key (RFC 3394) to FRAME padded PKCS#5-style.  FRAME is algo || key || checksum
 *	(v3 PKESK) or key || checksum (v6, the algorithm is the SEIPDv2 data's); the checksum
 *	(sum of the key octets mod 65536) and the key length of the algorithm are checked.
 *	Secrets (ZZ, KEK, frames) are cleansed; OpenSSL 3 EVP only, no global state.
 *
 * DIAGNOSTICS
 *	OPGP_E_NOKEY: no PKESK for K; OPGP_E_FORMAT (with WHY): a malformed PKESK or agent
 *	value, bad padding or checksum, an unwrap that fails its integrity check;
 *	OPGP_E_UNSUPPORTED: K's algorithm is neither RSA nor ECDH, or an unknown cipher;
 *	OPGP_E_CRYPTO, OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 4880 (5.1, 13.1), RFC 6637 (7, 8), RFC 9580 (5.1.1-5.1.4, 11.5), RFC 3394;
 *	the gpg-agent PKDECRYPT command (GnuPG 2.2 agent/command.c, pkdecrypt.c).
 */
#include "openpgp.h"
#include "openpgp-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define FRAME_MAX	(1 + OPGP_MAX_SESSION_KEY + 2 + 8)

/* one PKESK of a post, its fields pointing into the packet body */
struct pkesk_view {
	int version;
	const uint8_t *mpi;		/* RSA: the MPI octets; ECDH: the ephemeral point */
	size_t mpi_len;
	const uint8_t *wrapped;		/* ECDH: the wrapped key */
	size_t wrapped_len;
};

/* sym_len - key length of AES (7, 8, 9) and the other ciphers a frame may name; 0 unknown */
static size_t sym_len(int algo)
{
	switch (algo) {
	case 2: return 24;		/* TripleDES */
	case 3: case 4: case 7: case 11: return 16;	/* CAST5, Blowfish, AES-128, Camellia-128 */
	case 8: case 12: return 24;
	case 9: case 10: case 13: return 32;
	default: return 0;
	}
}

/* read_mpi - an MPI at B[*POS] (N octets in all): its octets without the bit count */
static bool read_mpi(const uint8_t *b, size_t n, size_t *pos, const uint8_t **v, size_t *vlen)
{
	size_t bits, octets;

	if (n - *pos < 2)
		return false;
	bits = (size_t)b[*pos] << 8 | b[*pos + 1];
	octets = (bits + 7) / 8;
	if (octets == 0 || n - *pos - 2 < octets)
		return false;
	*v = b + *pos + 2;
	*vlen = octets;
	*pos += 2 + octets;
	return true;
}

/* find_pkesk - the PKESK of MSG naming K, its fields into *V; BODY owned by the caller
 * through *OWNED */
static enum opgp_status find_pkesk(const uint8_t *msg, size_t len, const struct opgp_enckey *k,
				   struct pkesk_view *v, uint8_t **owned, char *why,
				   size_t whylen)
{
	size_t off = 0, n = 0, pos = 0, next = 0;
	const uint8_t *b;
	int tag = 0;
	enum opgp_status s;

	*owned = NULL;
	for (int count = 0; off < len && count < OPGP_MAX_PACKETS; count++, off = next) {
		bool mine = false;

		if ((s = opgp_packet_body(msg, len, off, &tag, &b, &n, owned, &next, why,
					  whylen)) != OPGP_OK)
			return s;
		if (tag != TAG_PKESK) {
			free(*owned);
			*owned = NULL;
			if (tag == TAG_SKESK || tag == TAG_MARKER)
				continue;
			break;
		}
		if (n >= 10 && b[0] == 3) {
			uint64_t id = 0;

			for (int i = 1; i <= 8; i++)
				id = id << 8 | b[i];
			mine = id == k->keyid;
			pos = 9;
		} else if (n >= 2 && b[0] == 6 && b[1] == 1 + FPR_LEN && n >= 3 + FPR_LEN) {
			mine = b[2] == 4 && memcmp(b + 3, k->fpr, FPR_LEN) == 0;
			pos = 3 + FPR_LEN;
		}
		if (!mine) {
			free(*owned);
			*owned = NULL;
			continue;
		}
		memset(v, 0, sizeof *v);
		v->version = b[0];
		if (pos >= n || b[pos] != k->algo) {
			setwhy(why, whylen, "PKESK at offset %zu for the list key names algorithm "
			       "%d, the key is %d", off, pos < n ? b[pos] : -1, k->algo);
			return OPGP_E_FORMAT;
		}
		pos++;
		if (!read_mpi(b, n, &pos, &v->mpi, &v->mpi_len)) {
			setwhy(why, whylen, "PKESK at offset %zu: its MPI runs past the packet", off);
			return OPGP_E_FORMAT;
		}
		if (k->algo == PK_ECDH) {
			if (pos >= n || b[pos] == 0 || b[pos] != n - pos - 1 || b[pos] % 8 != 0 ||
			    b[pos] < 16 || b[pos] > FRAME_MAX + 8) {
				setwhy(why, whylen, "PKESK at offset %zu: wrapped key of a wrong "
				       "length", off);
				return OPGP_E_FORMAT;
			}
			v->wrapped = b + pos + 1;
			v->wrapped_len = b[pos];
		}
		return OPGP_OK;
	}
	setwhy(why, whylen, "no PKESK for the list's key %016llX", (unsigned long long)k->keyid);
	return OPGP_E_NOKEY;
}

/* put_atom - "LEN:" then the octets at OUT (with a leading zero when SIGNED would read the
 * first octet as negative); octets written */
static size_t put_atom(char *out, const uint8_t *v, size_t n, bool positive)
{
	bool zero = positive && n > 0 && (v[0] & 0x80);
	int l = sprintf(out, "%zu:", n + zero);

	if (zero)
		out[l++] = 0;
	memcpy(out + l, v, n);
	return (size_t)l + n;
}

/* opgp_pkesk_sexp - the ciphertext of MSG's PKESK for K as the agent's PKDECRYPT wants it */
enum opgp_status opgp_pkesk_sexp(const uint8_t *msg, size_t len, const struct opgp_enckey *k,
				 int *version, char **out, size_t *outlen, char *why,
				 size_t whylen)
{
	struct pkesk_view v;
	uint8_t *owned = NULL;
	enum opgp_status s;
	char *buf;
	size_t i = 0;

	*out = NULL;
	*outlen = 0;
	*version = 0;
	if (k->algo != PK_RSA && k->algo != PK_RSA_E && k->algo != PK_ECDH) {
		setwhy(why, whylen, "public-key algorithm %d", k->algo);
		return OPGP_E_UNSUPPORTED;
	}
	if ((s = find_pkesk(msg, len, k, &v, &owned, why, whylen)) != OPGP_OK)
		goto done;
	s = OPGP_E_NOMEM;
	if ((buf = malloc(64 + v.mpi_len + v.wrapped_len)) == NULL)
		goto done;
	if (k->algo == PK_ECDH) {
		i += (size_t)sprintf(buf, "(7:enc-val(4:ecdh(1:s");
		i += put_atom(buf + i, v.wrapped, v.wrapped_len, false);
		i += (size_t)sprintf(buf + i, ")(1:e");
		i += put_atom(buf + i, v.mpi, v.mpi_len, false);
		i += (size_t)sprintf(buf + i, ")))");
	} else {
		i += (size_t)sprintf(buf, "(7:enc-val(3:rsa(1:a");
		i += put_atom(buf + i, v.mpi, v.mpi_len, true);
		i += (size_t)sprintf(buf + i, ")))");
	}
	*out = buf;
	*outlen = i;
	*version = v.version;
	s = OPGP_OK;
done:
	free(owned);
	return s;
}

/* opgp_agent_value - the octets of the agent's "(5:value N:OCTETS)" answer */
enum opgp_status opgp_agent_value(const uint8_t *buf, size_t len, const uint8_t **v,
				  size_t *vlen)
{
	static const char head[] = "(5:value";
	size_t pos = sizeof head - 1, n = 0;

	*v = NULL;
	*vlen = 0;
	if (len < pos || memcmp(buf, head, pos) != 0)
		return OPGP_E_FORMAT;
	if (pos >= len || buf[pos] < '1' || buf[pos] > '9')
		return OPGP_E_FORMAT;
	while (pos < len && buf[pos] >= '0' && buf[pos] <= '9') {
		if (n > 100000)
			return OPGP_E_FORMAT;
		n = n * 10 + (size_t)(buf[pos++] - '0');
	}
	if (pos >= len || buf[pos++] != ':' || len - pos < n + 1 || buf[pos + n] != ')')
		return OPGP_E_FORMAT;
	/* anything after the closing parenthesis is ignored (the agent may pad with NUL) */
	*v = buf + pos;
	*vlen = n;
	return OPGP_OK;
}

/* ecdh_frame - the PKESK's wrapped key unwrapped with the KEK from the shared point VALUE */
static enum opgp_status ecdh_frame(const struct opgp_enckey *k, const struct pkesk_view *pv,
				   const uint8_t *value, size_t vlen, uint8_t *frame,
				   size_t *flen, char *why, size_t whylen)
{
	const struct curve_info *c = opgp_curve_info(k->curve);
	uint8_t kek[32];
	size_t field, keklen = k->kdf_cipher == 7 ? 16 : k->kdf_cipher == 8 ? 24 : 32;
	EVP_CIPHER_CTX *cc = NULL;
	enum opgp_status s = OPGP_E_FORMAT;
	int l1 = 0, l2 = 0;

	if (c == NULL)
		return OPGP_E_UNSUPPORTED;
	field = c->group == NULL ? X25519_LEN : c->field_len;
	/* the shared point: 0x40 || u, 04 || X || Y, or X alone */
	if (vlen == field + 1 && (value[0] == 0x40 || value[0] == 0x04))
		value++;
	else if (vlen == 2 * field + 1 && value[0] == 0x04)
		value++;
	else if (vlen != field) {
		setwhy(why, whylen, "the agent's shared point has %zu octets on %s", vlen, c->name);
		return OPGP_E_FORMAT;
	}
	if ((s = opgp_ecdh_kek(k, c, value, field, kek, keklen)) != OPGP_OK)
		goto done;
	s = OPGP_E_NOMEM;
	if ((cc = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	s = OPGP_E_FORMAT;
	EVP_CIPHER_CTX_set_flags(cc, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_DecryptInit_ex(cc, keklen == 16 ? EVP_aes_128_wrap() : keklen == 24 ?
			       EVP_aes_192_wrap() : EVP_aes_256_wrap(), NULL, kek, NULL) != 1 ||
	    EVP_DecryptUpdate(cc, frame, &l1, pv->wrapped, (int)pv->wrapped_len) != 1 ||
	    EVP_DecryptFinal_ex(cc, frame + l1, &l2) != 1 ||
	    (size_t)l1 + (size_t)l2 != pv->wrapped_len - 8) {
		setwhy(why, whylen, "the wrapped session key does not unwrap (RFC 3394 check)");
		goto done;
	}
	*flen = pv->wrapped_len - 8;
	/* PKCS#5 padding: 1..8 octets of its own length */
	if (frame[*flen - 1] < 1 || frame[*flen - 1] > 8 || frame[*flen - 1] > *flen) {
		setwhy(why, whylen, "the unwrapped session key has bad padding");
		goto done;
	}
	for (size_t i = 1, p = frame[*flen - 1]; i <= p; i++)
		if (frame[*flen - i] != p) {
			setwhy(why, whylen, "the unwrapped session key has bad padding");
			goto done;
		}
	*flen -= frame[*flen - 1];
	s = OPGP_OK;
done:
	OPENSSL_cleanse(kek, sizeof kek);
	EVP_CIPHER_CTX_free(cc);
	return s;
}

/* rsa_frame - the frame inside the PKCS#1 v1.5 type 2 block VALUE */
static enum opgp_status rsa_frame(const uint8_t *value, size_t vlen, uint8_t *frame,
				  size_t *flen, char *why, size_t whylen)
{
	size_t i = 0, ps;

	if (vlen > 0 && value[0] == 0)
		i++;
	if (i >= vlen || value[i++] != 2) {
		setwhy(why, whylen, "the agent's RSA value is not PKCS#1 v1.5 type 2");
		return OPGP_E_FORMAT;
	}
	for (ps = i; i < vlen && value[i] != 0; i++)
		;
	/* at least 8 octets of nonzero padding, then the zero octet and the frame */
	if (i >= vlen || i - ps < 8 || vlen - i - 1 > FRAME_MAX) {
		setwhy(why, whylen, "the agent's RSA value has bad PKCS#1 v1.5 padding");
		return OPGP_E_FORMAT;
	}
	i++;
	*flen = vlen - i;
	memcpy(frame, value + i, *flen);
	return OPGP_OK;
}

/* opgp_pkesk_finish - the session key from the agent's VALUE for MSG's PKESK for K */
enum opgp_status opgp_pkesk_finish(const uint8_t *msg, size_t len, const struct opgp_enckey *k,
				   const uint8_t *value, size_t vlen, int data_cipher, int *algo,
				   uint8_t *key, size_t *keylen, char *why, size_t whylen)
{
	struct pkesk_view pv;
	uint8_t *owned = NULL, frame[FRAME_MAX];
	size_t flen = 0, i = 0, klen;
	unsigned sum = 0;
	enum opgp_status s;

	*algo = 0;
	*keylen = 0;
	if ((s = find_pkesk(msg, len, k, &pv, &owned, why, whylen)) != OPGP_OK)
		goto done;
	if (k->algo == PK_ECDH)
		s = ecdh_frame(k, &pv, value, vlen, frame, &flen, why, whylen);
	else if (k->algo == PK_RSA || k->algo == PK_RSA_E)
		s = rsa_frame(value, vlen, frame, &flen, why, whylen);
	else
		s = OPGP_E_UNSUPPORTED;
	if (s != OPGP_OK)
		goto done;
	s = OPGP_E_FORMAT;
	if (pv.version == 3) {
		if (flen < 1)
			goto bad;
		*algo = frame[i++];
	} else {
		*algo = data_cipher;
	}
	if ((klen = sym_len(*algo)) == 0) {
		setwhy(why, whylen, "the session key is for symmetric algorithm %d", *algo);
		s = OPGP_E_UNSUPPORTED;
		goto done;
	}
	if (flen - i != klen + 2 || klen > OPGP_MAX_SESSION_KEY)
		goto bad;
	for (size_t j = 0; j < klen; j++)
		sum += frame[i + j];
	if (((sum >> 8) & 0xff) != frame[i + klen] || (sum & 0xff) != frame[i + klen + 1])
		goto bad;
	memcpy(key, frame + i, klen);
	*keylen = klen;
	s = OPGP_OK;
	goto done;
bad:
	setwhy(why, whylen, "the decrypted session key frame (%zu octets) does not fit a "
	       "%s PKESK (length or checksum)", flen, pv.version == 3 ? "v3" : "v6");
done:
	if (s != OPGP_OK)
		*algo = 0;
	OPENSSL_cleanse(frame, sizeof frame);
	free(owned);
	return s;
}
