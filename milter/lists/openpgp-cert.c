/*
 * milter/lists/openpgp-cert.c - pick one certificate out of a key block fetched from outside
 * (WKD, a VKS keyserver), by its primary key's fingerprint.
 *
 * NAME
 *	openpgp_cert - opgp_cert_find()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototype and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	A key block is a run of certificates (RFC 9580 10.1: a primary key packet and what
 *	follows it up to the next primary key packet).  The one whose v4 primary fingerprint is
 *	the one asked for is returned as a range of the input, so that only its octets go on to
 *	gpg; every other certificate is left out and the first of them named for the log.  The
 *	packets are read with openpgp.c's reader (every length checked, OPGP_MAX_PACKETS at
 *	most).  Pure computation on the caller's buffer plus OpenSSL's SHA-1: thread-safe.
 */
#include "openpgp-int.h"

#include <stdlib.h>
#include <string.h>

/* v4_fpr - the v4 fingerprint of the key packet body B (N octets): SHA-1 over 0x99, the
 * two-octet length and the body; false if B is not a v4 key body or SHA-1 fails */
static bool v4_fpr(const uint8_t *b, size_t n, uint8_t fpr[FPR_LEN])
{
	uint8_t pre[3] = { 0x99, (uint8_t)(n >> 8), (uint8_t)n };
	unsigned int mdlen = FPR_LEN;
	EVP_MD_CTX *md;
	bool ok;

	if (n < 6 || n > 0xffff || b[0] != 4 || (md = EVP_MD_CTX_new()) == NULL)
		return false;
	ok = EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(md, pre, sizeof pre) == 1 && EVP_DigestUpdate(md, b, n) == 1 &&
	     EVP_DigestFinal_ex(md, fpr, &mdlen) == 1 && mdlen == FPR_LEN;
	EVP_MD_CTX_free(md);
	return ok;
}

/* hex - FPR as 40 upper-case hex digits */
static void hex(const uint8_t fpr[FPR_LEN], char out[2 * FPR_LEN + 1])
{
	static const char d[] = "0123456789ABCDEF";

	for (size_t i = 0; i < FPR_LEN; i++) {
		out[2 * i] = d[fpr[i] >> 4];
		out[2 * i + 1] = d[fpr[i] & 15];
	}
	out[2 * FPR_LEN] = '\0';
}

/* opgp_cert_find - the certificate of FPR in BLOCK */
enum opgp_status opgp_cert_find(const uint8_t *block, size_t len, const uint8_t *fpr,
				struct opgp_cert *out, char *why, size_t whylen)
{
	size_t off, next, bodylen, start = 0;
	const uint8_t *body;
	uint8_t *owned, cur[FPR_LEN];
	unsigned count = 0;
	int tag;
	bool in_cert = false, in_match = false, have_other = false;
	enum opgp_status s;
	char h[2 * FPR_LEN + 1];

	memset(out, 0, sizeof *out);
	setwhy(why, whylen, "ok");
	if (block == NULL || len == 0) {
		setwhy(why, whylen, "empty key block");
		return OPGP_E_FORMAT;
	}
	for (off = 0; off < len; off = next) {
		if (++count > OPGP_MAX_PACKETS) {
			setwhy(why, whylen, "more than %d packets in the key block",
			       OPGP_MAX_PACKETS);
			return OPGP_E_FORMAT;
		}
		s = opgp_packet_body(block, len, off, &tag, &body, &bodylen, &owned, &next, why,
				     whylen);
		free(owned);		/* only bodies of one chunk are looked at below */
		if (s != OPGP_OK)
			return s;
		if (tag == TAG_PUBKEY || tag == TAG_SECKEY) {
			if (in_match) {
				out->len = off - out->off;
				in_match = false;
			}
			in_cert = true;
			out->n_certs++;
			if (tag == TAG_SECKEY) {
				setwhy(why, whylen, "secret key packet at offset %zu", off);
				return OPGP_E_FORMAT;
			}
			if (!v4_fpr(body, bodylen, cur)) {
				if (!have_other) {
					have_other = true;
					out->other_version = bodylen > 0 ? body[0] : 0;
				}
				continue;
			}
			if (fpr != NULL && memcmp(cur, fpr, FPR_LEN) == 0) {
				if (out->found) {
					setwhy(why, whylen, "the certificate appears twice");
					return OPGP_E_FORMAT;
				}
				out->found = true;
				out->off = start = off;
				in_match = true;
			} else if (!have_other) {
				have_other = true;
				out->other_version = 4;
				memcpy(out->other_fpr, cur, FPR_LEN);
			}
			continue;
		}
		if (!in_cert) {
			setwhy(why, whylen, "packet of tag %d at offset %zu before any primary key",
			       tag, off);
			return OPGP_E_FORMAT;
		}
		if (in_match && tag == TAG_SECSUBKEY) {
			setwhy(why, whylen, "secret subkey packet at offset %zu", off);
			return OPGP_E_FORMAT;
		}
	}
	if (in_match)
		out->len = len - start;
	out->others = out->n_certs - (out->found ? 1 : 0);
	if (out->found)
		return OPGP_OK;
	if (have_other && out->other_version == 4) {
		hex(out->other_fpr, h);
		setwhy(why, whylen, "no certificate of the key asked for: the block holds %zu "
		       "other certificate(s), the first %s", out->n_certs, h);
	} else if (have_other) {
		setwhy(why, whylen, "no certificate of the key asked for: the block holds %zu "
		       "other certificate(s), the first of key version %d", out->n_certs,
		       out->other_version);
	} else {
		setwhy(why, whylen, "no certificate in the key block");
	}
	return OPGP_E_NOKEY;
}

/* opgp_cert_list - the certificates of BLOCK: opgp_cert_find asked for a fingerprint no
 * certificate has names the first one of the rest of the block; asked for that one, it says
 * where it ends */
enum opgp_status opgp_cert_list(const uint8_t *block, size_t len, uint8_t (*fprs)[20],
				size_t max, size_t *n, char *why, size_t whylen)
{
	static const uint8_t none[FPR_LEN];
	struct opgp_cert c;
	enum opgp_status s;
	size_t pos = 0;

	*n = 0;
	setwhy(why, whylen, "ok");
	while (pos < len) {
		s = opgp_cert_find(block + pos, len - pos, none, &c, why, whylen);
		if (s == OPGP_OK) {	/* a key whose fingerprint is all zeros: not one */
			setwhy(why, whylen, "a key with an impossible fingerprint");
			return OPGP_E_FORMAT;
		}
		if (s != OPGP_E_NOKEY)
			return s;
		if (c.other_version != 4) {
			setwhy(why, whylen, "a key of OpenPGP version %d, not 4", c.other_version);
			return OPGP_E_FORMAT;
		}
		if (*n == max) {
			setwhy(why, whylen, "more than %zu certificates", max);
			return OPGP_E_FORMAT;
		}
		memcpy(fprs[*n], c.other_fpr, FPR_LEN);	/* c is cleared by the next call */
		s = opgp_cert_find(block + pos, len - pos, fprs[*n], &c, why, whylen);
		if (s != OPGP_OK)
			return s;
		if (!c.found || c.len == 0 || c.off > len - pos || c.len > len - pos - c.off) {
			setwhy(why, whylen, "a certificate that does not end");
			return OPGP_E_FORMAT;
		}
		(*n)++;
		pos += c.off + c.len;
	}
	if (*n == 0) {
		setwhy(why, whylen, "no certificate in the key block");
		return OPGP_E_NOKEY;
	}
	return OPGP_OK;
}
