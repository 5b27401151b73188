/*
 * milter/lists/smime.c - open an S/MIME EnvelopedData or AuthEnvelopedData post with the list's
 * key; re-addressing it to one subscriber without re-encrypting the content is smime-readdress.c.
 *
 * NAME
 *	smime - CMS EnvelopedData and AuthEnvelopedData for encrypted lists
 *
 * SYNOPSIS
 *	#include "smime.h"
 *
 *	enum smime_status smime_open(der, len, key, cert, &post, &content, &content_len,
 *				     inner_type, inner_len, why, whylen);
 *	EVP_PKEY *smime_read_key(path);
 *	void smime_post_free(post);
 *	const char *smime_strerror(status);
 *
 * DESCRIPTION
 *	The contract is smime.h.  How it is met with OpenSSL 3.0's public API:
 *
 *	1. Before OpenSSL sees the input, der_check() walks every TLV iteratively (no recursion):
 *	   BER/DER headers, definite and indefinite lengths, nesting at most SMIME_MAX_DEPTH,
 *	   exactly one top-level element and nothing after it.  locate() then finds, in our own
 *	   copy of the input, the byte ranges of the EnvelopedData's version, originatorInfo,
 *	   recipientInfos, encryptedContentInfo and unprotectedAttrs; for AuthEnvelopedData (RFC
 *	   5083) the same up to the authEncryptedContentInfo, then authAttrs, mac and
 *	   unauthAttrs as one range, kept as received.
 *	2. d2i_CMS_ContentInfo() parses it.  The content cipher is looked up from the
 *	   encryptedContentInfo before any private-key operation; anything but the CBC ciphers
 *	   of SMIME_CONTENT_CIPHERS in EnvelopedData, or AES-GCM with its GCMParameters (RFC
 *	   5084) in AuthEnvelopedData, is SMIME_E_UNSUPPORTED: a key-wrap algorithm in that place
 *	   (id-aes128-wrap: OpenSSL "decrypts" nothing with it), an AEAD mode without a MAC to
 *	   check, a stream mode, RC2, single DES, a cipher this OpenSSL lacks.  An
 *	   AuthEnvelopedData post is decrypted, and its MAC checked, by OpenSSL's CMS_decrypt
 *	   like any other; a wrong MAC fails as a wrong key does.
 *	3. The RecipientInfo for the list's certificate (KeyTrans by issuer and serial or subject
 *	   key identifier, or a RecipientEncryptedKey of a KeyAgree) is decrypted with
 *	   CMS_RecipientInfo_decrypt(): the one private-key operation.  OpenSSL keeps the CEK in
 *	   the CMS (encryptedContentInfo->key), but there is no public call to read it or to set a
 *	   known CEK, and decrypting the content (CMS_dataInit) frees it.  So before the content is
 *	   decrypted the CEK is stashed: a KEKRecipientInfo with a random 256-bit key-encryption
 *	   key is added (CMS_add0_recipient_key) and encrypted (AES key wrap of the CEK).  After
 *	   the content has been decrypted, CMS_RecipientInfo_decrypt() of that KEK recipient puts
 *	   the CEK back (an AES unwrap, microseconds) and the KEK is wiped.  The ciphertext held
 *	   by the parsed CMS is then released (CMS_set_detached); our copy of the DER keeps it.
 *	Against padding-oracle (Bleichenbacher) probing through the list: once the list's
 *	RecipientInfo is found, every later failure - the key transport, the stash, the content
 *	decryption - gives the same status and text, and the content is decrypted (with a random
 *	key if the CEK did not come out, as OpenSSL itself does) on every path.  OpenSSL's error
 *	queue is cleared before each call returns.
 *
 * LIMITS
 *	Input at most SMIME_MAX_DER octets; ASN.1 nesting at most SMIME_MAX_DEPTH (real CMS
 *	posts need about 12).  The work for one call is linear in the input.
 *
 * DIAGNOSTICS
 *	SMIME_E_* with a one-line reason in WHY (never NULL-terminated past WHYLEN).
 */
#include "smime.h"
#include "smime-int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#define SMIME_MAX_DEPTH	32		/* ASN.1 nesting accepted in a post */
#define KEK_LEN		32		/* AES-256 key wrap for the CEK stash */
#define MIN_CEK_LEN	16		/* AES key wrap needs 16 octets or more */

/* id-envelopedData 1.2.840.113549.1.7.3, content octets of the OID */
const uint8_t smime_oid_enveloped[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03
};
/* id-ct-authEnvelopedData 1.2.840.113549.1.9.16.1.23 (RFC 5083), content octets of the OID */
const uint8_t smime_oid_auth_enveloped[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17
};
static const unsigned char stash_id[] = "postward CEK stash";

/* smime_strerror - a short text for a status */
const char *smime_strerror(enum smime_status s)
{
	switch (s) {
	case SMIME_OK:
		return "ok";
	case SMIME_E_FORMAT:
		return "not an enveloped-data CMS";
	case SMIME_E_NOTFORUS:
		return "not encrypted to the list";
	case SMIME_E_DECRYPT:
		return "does not decrypt";
	case SMIME_E_UNSUPPORTED:
		return "unsupported algorithm or key type";
	case SMIME_E_NOMEM:
		return "out of memory";
	}
	return "unknown status";
}

/* smime_set_why - format the reason into WHY, which may be NULL */
void smime_set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* smime_ossl_reason - the reason text of OpenSSL's last error, or a placeholder */
const char *smime_ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "no detail from OpenSSL";
}

/* smime_ossl_nomem - whether OpenSSL's last error is an allocation failure */
int smime_ossl_nomem(void)
{
	unsigned long e = ERR_peek_last_error();

	return e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE;
}

/* der_header - read the TLV header at OFF, which must fit before END */
static int der_header(const uint8_t *b, size_t end, size_t off, struct tlv *t)
{
	size_t p = off;
	uint8_t l;

	if (p >= end)
		return -1;
	t->id = b[p++];
	t->cons = (t->id & 0x20) != 0;
	t->tag = t->id & 0x1fu;
	if (t->tag == 0x1f) {			/* high tag number form, at most 4 octets */
		int n = 0;

		t->tag = 0;
		do {
			if (p >= end || ++n > 4)
				return -1;
			t->tag = (t->tag << 7) | (b[p] & 0x7fu);
		} while (b[p++] & 0x80);
	}
	if (p >= end)
		return -1;
	l = b[p++];
	t->indef = 0;
	if (l < 0x80) {
		t->len = l;
	} else if (l == 0x80) {
		if (!t->cons)
			return -1;		/* indefinite length needs a constructed type */
		t->indef = 1;
		t->len = 0;
	} else {
		size_t n = l & 0x7fu;

		if (n > sizeof(size_t) || n > end - p)
			return -1;
		t->len = 0;
		while (n-- > 0) {
			if (t->len > (SIZE_MAX >> 8))
				return -1;
			t->len = (t->len << 8) | b[p++];
		}
	}
	t->hdr = p - off;
	if (!t->indef && t->len > end - p)
		return -1;			/* runs past its container */
	return 0;
}

/* is_eoc - whether the header read is an end-of-contents marker (00 00) */
static int is_eoc(const struct tlv *t)
{
	return t->id == 0 && t->hdr == 2 && t->len == 0 && !t->indef;
}

/* der_check - walk every TLV of B: well formed, nesting bounded, one element, nothing after */
static enum smime_status der_check(const uint8_t *b, size_t len, char *why, size_t whylen)
{
	struct {
		size_t end;
		int indef;
	} st[SMIME_MAX_DEPTH];
	size_t off = 0;
	int depth = 0, started = 0;
	struct tlv t;

	if (b[0] != 0x30) {
		smime_set_why(why, whylen, "not DER CMS: first octet 0x%02x is not a SEQUENCE "
			"(base64, PEM or MIME text?)", b[0]);
		return SMIME_E_FORMAT;
	}
	for (;;) {
		size_t limit;

		if (depth == 0 && started) {
			if (off != len) {
				smime_set_why(why, whylen, "%zu trailing octet%s after the CMS at offset %zu",
					len - off, len - off == 1 ? "" : "s", off);
				return SMIME_E_FORMAT;
			}
			return SMIME_OK;
		}
		if (depth > 0 && !st[depth - 1].indef && off == st[depth - 1].end) {
			depth--;
			continue;
		}
		/* the innermost definite container bounds this element */
		limit = len;
		for (int i = depth - 1; i >= 0; i--)
			if (!st[i].indef) {
				limit = st[i].end;
				break;
			}
		if (der_header(b, limit, off, &t) != 0) {
			smime_set_why(why, whylen, "malformed or truncated ASN.1 at offset %zu", off);
			return SMIME_E_FORMAT;
		}
		if (is_eoc(&t)) {
			if (depth == 0 || !st[depth - 1].indef) {
				smime_set_why(why, whylen, "stray end-of-contents at offset %zu", off);
				return SMIME_E_FORMAT;
			}
			off += 2;
			depth--;
			continue;
		}
		if (t.id == 0) {
			smime_set_why(why, whylen, "invalid tag 0 at offset %zu", off);
			return SMIME_E_FORMAT;
		}
		started = 1;
		if (!t.cons) {
			off += t.hdr + t.len;
			continue;
		}
		if (depth == SMIME_MAX_DEPTH) {
			smime_set_why(why, whylen, "ASN.1 nested deeper than %d at offset %zu",
				SMIME_MAX_DEPTH, off);
			return SMIME_E_FORMAT;
		}
		st[depth].indef = t.indef;
		st[depth].end = t.indef ? 0 : off + t.hdr + t.len;
		depth++;
		off += t.hdr;
	}
}

/* smime_der_elem - header and whole length (EOC included) of the checked element at OFF */
int smime_der_elem(const uint8_t *b, size_t end, size_t off, struct tlv *t, size_t *total)
{
	size_t p;
	unsigned long open;		/* indefinite containers still open */

	if (der_header(b, end, off, t) != 0)
		return -1;
	if (!t->indef) {
		*total = t->hdr + t->len;
		return 0;
	}
	/* der_check() has bounded the nesting; this only skips, iteratively */
	p = off + t->hdr;
	open = 1;
	while (open > 0) {
		struct tlv in;

		if (der_header(b, end, p, &in) != 0)
			return -1;
		if (is_eoc(&in)) {
			open--;
			p += 2;
		} else if (in.indef) {
			open++;
			p += in.hdr;
		} else {
			p += in.hdr + in.len;
		}
	}
	*total = p - off;
	return 0;
}

/* smime_enveloped_body - find the (Auth)EnvelopedData content (inside ContentInfo and [0]) of B */
enum smime_status smime_enveloped_body(const uint8_t *b, size_t len, size_t *body, size_t *bend,
					int *auth, char *why, size_t whylen)
{
	int is_auth = 0;

	struct tlv t;
	size_t tot, p, end, ci_end;

	if (smime_der_elem(b, len, 0, &t, &tot) != 0 || t.id != 0x30) {
		smime_set_why(why, whylen, "not a CMS ContentInfo (no outer SEQUENCE)");
		return SMIME_E_FORMAT;
	}
	ci_end = tot;
	p = t.hdr;
	if (smime_der_elem(b, ci_end, p, &t, &tot) != 0 || t.id != 0x06) {
		smime_set_why(why, whylen, "not a CMS ContentInfo (no content type)");
		return SMIME_E_FORMAT;
	}
	if (t.len == sizeof(smime_oid_auth_enveloped) &&
	    memcmp(b + p + t.hdr, smime_oid_auth_enveloped, sizeof(smime_oid_auth_enveloped)) == 0)
		is_auth = 1;
	else if (t.len != sizeof(smime_oid_enveloped) ||
	    memcmp(b + p + t.hdr, smime_oid_enveloped, sizeof(smime_oid_enveloped)) != 0) {
		const unsigned char *q = b + p;
		ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &q, (long)tot);
		char name[80] = "?", num[80] = "?";

		if (o != NULL) {
			OBJ_obj2txt(name, sizeof(name), o, 0);
			OBJ_obj2txt(num, sizeof(num), o, 1);
			ASN1_OBJECT_free(o);
		}
		smime_set_why(why, whylen, "content type is %s (%s), not enveloped-data or "
			"authEnvelopedData", name, num);
		return SMIME_E_FORMAT;
	}
	p += tot;
	if (smime_der_elem(b, ci_end, p, &t, &tot) != 0 || t.id != 0xa0) {
		smime_set_why(why, whylen, "enveloped-data without content");
		return SMIME_E_FORMAT;
	}
	p += t.hdr;
	end = p + tot - t.hdr;
	if (smime_der_elem(b, end, p, &t, &tot) != 0 || t.id != 0x30) {
		smime_set_why(why, whylen, "EnvelopedData is not a SEQUENCE");
		return SMIME_E_FORMAT;
	}
	*body = p + t.hdr;
	*bend = t.indef ? p + tot - 2 : p + tot;
	if (auth != NULL)
		*auth = is_auth;
	return SMIME_OK;
}

/* locate - the byte ranges of the EnvelopedData's parts in P->der */
static enum smime_status locate(struct smime_post *p, char *why, size_t whylen)
{
	const uint8_t *b = p->der;
	struct tlv t;
	size_t off, end, tot;
	enum smime_status s;

	if ((s = smime_enveloped_body(b, p->der_len, &off, &end, &p->auth, why, whylen)) !=
	    SMIME_OK)
		return s;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x02 || t.len < 1) {
		smime_set_why(why, whylen, "EnvelopedData without a version");
		return SMIME_E_FORMAT;
	}
	p->version = t.len == 1 ? b[off + t.hdr] : 99;
	off += tot;
	if (smime_der_elem(b, end, off, &t, &tot) == 0 && t.id == 0xa0) {
		p->orig = (struct span){ off, tot };
		off += tot;
	}
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x31) {
		smime_set_why(why, whylen, "EnvelopedData without recipientInfos");
		return SMIME_E_FORMAT;
	}
	off += tot;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x30) {
		smime_set_why(why, whylen, "EnvelopedData without encryptedContentInfo");
		return SMIME_E_FORMAT;
	}
	p->eci = (struct span){ off, tot };
	off += tot;
	if (p->auth) {
		/* authAttrs [1] OPTIONAL, mac OCTET STRING, unauthAttrs [2] OPTIONAL: kept as
		 * received, so the MAC still covers what it covered */
		size_t from = off;

		if (off < end && smime_der_elem(b, end, off, &t, &tot) == 0 && t.id == 0xa1)
			off += tot;
		if (smime_der_elem(b, end, off, &t, &tot) != 0 || (t.id & ~0x20) != 0x04) {
			smime_set_why(why, whylen, "AuthEnvelopedData without a mac");
			return SMIME_E_FORMAT;
		}
		off += tot;
		if (off < end && smime_der_elem(b, end, off, &t, &tot) == 0 && t.id == 0xa2)
			off += tot;
		p->attrs = (struct span){ from, off - from };
	} else if (off < end && smime_der_elem(b, end, off, &t, &tot) == 0 && t.id == 0xa1) {
		p->attrs = (struct span){ off, tot };
		off += tot;
	}
	if (off != end) {
		smime_set_why(why, whylen, "unexpected data at offset %zu in %s", off,
			p->auth ? "AuthEnvelopedData" : "EnvelopedData");
		return SMIME_E_FORMAT;
	}
	return SMIME_OK;
}

/* content_cipher_ok - whether NID is a content cipher the list accepts: SMIME_CONTENT_CIPHERS
 * in EnvelopedData, SMIME_AUTH_CIPHERS in AuthEnvelopedData (AUTH) */
static int content_cipher_ok(int nid, int auth)
{
	if (auth)
		return nid == NID_aes_128_gcm || nid == NID_aes_192_gcm || nid == NID_aes_256_gcm;
	switch (nid) {
	case NID_aes_128_cbc:
	case NID_aes_192_cbc:
	case NID_aes_256_cbc:
	case NID_des_ede3_cbc:
		return 1;
	default:
		return 0;
	}
}

/* content_cipher - check the content cipher (the ECI's algorithm) and pick the KARI key wrap */
static enum smime_status content_cipher(struct smime_post *p, char *why, size_t whylen)
{
	const uint8_t *b = p->der;
	size_t end = p->eci.off + p->eci.len, off, tot;
	struct tlv t;
	const unsigned char *q;
	ASN1_OBJECT *o;
	const EVP_CIPHER *c;
	EVP_CIPHER *fc = NULL;
	char name[80] = "?";
	int keylen, ivlen;
	size_t alg_end;
	const char *accepted = p->auth ? SMIME_AUTH_CIPHERS : SMIME_CONTENT_CIPHERS;

	/* EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, [0] } */
	if (der_header(b, end, p->eci.off, &t) != 0)
		goto bad;
	off = p->eci.off + t.hdr;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x06)
		goto bad;
	off += tot;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x30)
		goto bad;
	off += t.hdr;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x06)
		goto bad;
	q = b + off;
	if ((o = d2i_ASN1_OBJECT(NULL, &q, (long)tot)) == NULL)
		goto bad;
	alg_end = off + tot;			/* what follows the OID: the parameters */
	OBJ_obj2txt(name, sizeof(name), o, 0);
	c = EVP_get_cipherbyobj(o);
	ASN1_OBJECT_free(o);
	/* only the block-cipher modes of RFC 5652/8551 content encryption, and AES-GCM in
	 * AuthEnvelopedData: a key-wrap cipher (id-aes128-wrap ...), a stream mode, an AEAD
	 * mode where no MAC is carried, or a short key is refused before OpenSSL is asked to
	 * decrypt with it */
	if (c == NULL || !content_cipher_ok(EVP_CIPHER_get_nid(c), p->auth)) {
		smime_set_why(why, whylen, "content cipher %s is not one the list accepts in %s (%s)",
			name, p->auth ? "authEnvelopedData" : "enveloped-data", accepted);
		return SMIME_E_UNSUPPORTED;
	}
	fc = EVP_CIPHER_fetch(NULL, EVP_CIPHER_get0_name(c), NULL);
	if (fc == NULL) {
		smime_set_why(why, whylen, "content cipher %s is not available", name);
		return SMIME_E_UNSUPPORTED;
	}
	keylen = EVP_CIPHER_get_key_length(fc);
	if (((EVP_CIPHER_get_flags(fc) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0) != (p->auth != 0) ||
	    keylen < MIN_CEK_LEN || keylen % 8 != 0 ||
	    EVP_CIPHER_get_mode(fc) != (p->auth ? EVP_CIPH_GCM_MODE : EVP_CIPH_CBC_MODE)) {
		EVP_CIPHER_free(fc);
		smime_set_why(why, whylen, "content cipher %s (%d-octet key) is not supported (%s)", name,
			keylen, accepted);
		return SMIME_E_UNSUPPORTED;
	}
	ivlen = EVP_CIPHER_get_iv_length(fc);
	EVP_CIPHER_free(fc);
	if (p->auth) {
		/* GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen AES-GCM-ICVlen
		 * DEFAULT 12 } (RFC 5084 section 3.2) */
		size_t poff;

		if (smime_der_elem(b, end, alg_end, &t, &tot) != 0 || t.id != 0x30 || t.indef)
			goto nogcm;
		poff = alg_end + t.hdr;
		if (smime_der_elem(b, poff + t.len, poff, &t, &tot) != 0 || t.id != 0x04 ||
		    t.indef || t.len < 1 || t.len > 64)
			goto nogcm;
	} else if (smime_der_elem(b, end, alg_end, &t, &tot) != 0 || t.id != 0x04 || t.indef ||
		   t.len != (size_t)ivlen) {
		/* the parameters of a CBC cipher are its IV, an OCTET STRING of the block size
		 * (RFC 3565 section 4.1, RFC 3370 section 5.1); OpenSSL would take a missing one
		 * as zeros */
		smime_set_why(why, whylen, "content cipher %s without a %d-octet IV", name, ivlen);
		return SMIME_E_FORMAT;
	}
	p->wrap_nid = keylen <= 16 ? NID_id_aes128_wrap :
		      keylen <= 24 ? NID_id_aes192_wrap : NID_id_aes256_wrap;
	return SMIME_OK;
nogcm:
	smime_set_why(why, whylen, "content cipher %s without GCM parameters (a nonce)", name);
	return SMIME_E_FORMAT;
bad:
	smime_set_why(why, whylen, "malformed encryptedContentInfo");
	return SMIME_E_FORMAT;
}

/* find_list_ri - the list's RecipientInfo (and for KeyAgree its key), or NULL */
static CMS_RecipientInfo *find_list_ri(CMS_ContentInfo *cms, X509 *cert,
				       CMS_RecipientEncryptedKey **rekp)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);

	*rekp = NULL;
	for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

		switch (CMS_RecipientInfo_type(ri)) {
		case CMS_RECIPINFO_TRANS:
			if (CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0)
				return ri;
			break;
		case CMS_RECIPINFO_AGREE: {
			STACK_OF(CMS_RecipientEncryptedKey) *reks =
				CMS_RecipientInfo_kari_get0_reks(ri);

			for (int j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks); j++) {
				CMS_RecipientEncryptedKey *rek =
					sk_CMS_RecipientEncryptedKey_value(reks, j);

				if (CMS_RecipientEncryptedKey_cert_cmp(rek, cert) == 0) {
					*rekp = rek;
					return ri;
				}
			}
			break;
		}
		default:
			break;
		}
	}
	return NULL;
}

/* decrypt_cek - the private-key operation: the CEK into the CMS; 1 on success */
static int decrypt_cek(CMS_ContentInfo *cms, CMS_RecipientInfo *ri, CMS_RecipientEncryptedKey *rek,
		       EVP_PKEY *key)
{
	int r = 0;

	if (rek != NULL) {
		if (CMS_RecipientInfo_kari_set0_pkey(ri, key) > 0)
			r = CMS_RecipientInfo_kari_decrypt(cms, ri, rek) > 0;
		CMS_RecipientInfo_kari_set0_pkey(ri, NULL);
		return r;
	}
	if (EVP_PKEY_up_ref(key) != 1)
		return 0;
	CMS_RecipientInfo_set0_pkey(ri, key);	/* the RecipientInfo holds that reference */
	r = CMS_RecipientInfo_decrypt(cms, ri) > 0;
	CMS_RecipientInfo_set0_pkey(ri, NULL);	/* and drops it */
	return r;
}

/* decrypt_content - decrypt the content with the CEK in CMS (a random key if none); 1 if it
 * opens, 0 if not, -1 out of memory; the plaintext left in OpenSSL's buffer is wiped */
static int decrypt_content(CMS_ContentInfo *cms, uint8_t **content, size_t *content_len)
{
	BIO *out = BIO_new(BIO_s_secmem());	/* its buffer is wiped as it grows and when freed */
	BUF_MEM *bm = NULL;
	int ok;

	if (out == NULL)
		return -1;
	ok = CMS_decrypt(cms, NULL, NULL, NULL, out, CMS_BINARY) > 0;
	BIO_get_mem_ptr(out, &bm);
	if (ok && content != NULL) {
		size_t n = bm != NULL ? bm->length : 0;

		if ((*content = malloc(n ? n : 1)) == NULL)
			ok = -1;
		else if (n > 0)		/* an empty memory BIO has no buffer at all */
			memcpy(*content, bm->data, n);
		*content_len = *content != NULL ? n : 0;
	}
	if (bm != NULL && bm->data != NULL && bm->length > 0)
		OPENSSL_cleanse(bm->data, bm->length);
	BIO_free(out);
	return ok;
}

/* smime_open - parse DER, decrypt the CEK with KEY/CERT, check it opens the content */
enum smime_status smime_open(const uint8_t *der, size_t len, EVP_PKEY *key, X509 *cert,
			     struct smime_post **out, uint8_t **content, size_t *content_len,
			     char *inner_type, size_t inner_len, char *why, size_t whylen)
{
	struct smime_post *p = NULL;
	CMS_RecipientInfo *ri, *kri = NULL;
	CMS_RecipientEncryptedKey *rek;
	unsigned char *kek = NULL, *kid = NULL;
	const unsigned char *q;
	enum smime_status s;
	int cek_ok, content_ok, stash_ok = 0, restored = 0;

	*out = NULL;
	if (content != NULL) {
		*content = NULL;
		*content_len = 0;
	}
	if (inner_type != NULL && inner_len > 0)
		inner_type[0] = '\0';
	smime_set_why(why, whylen, "ok");
	ERR_clear_error();

	if (der == NULL || len == 0) {
		smime_set_why(why, whylen, "empty input");
		return SMIME_E_FORMAT;
	}
	if (len > SMIME_MAX_DER) {
		smime_set_why(why, whylen, "post of %zu octets exceeds the limit of %u", len,
			SMIME_MAX_DER);
		return SMIME_E_FORMAT;
	}
	if (key == NULL || cert == NULL || X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		smime_set_why(why, whylen, "the list's key does not match the list's certificate");
		return SMIME_E_DECRYPT;
	}
	if ((s = der_check(der, len, why, whylen)) != SMIME_OK)
		return s;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->der = malloc(len)) == NULL) {
		s = SMIME_E_NOMEM;
		smime_set_why(why, whylen, "no memory for a post of %zu octets", len);
		goto fail;
	}
	memcpy(p->der, der, len);
	p->der_len = len;
	if ((s = locate(p, why, whylen)) != SMIME_OK)
		goto fail;

	q = p->der;
	p->cms = d2i_CMS_ContentInfo(NULL, &q, (long)len);
	if (p->cms == NULL || q != p->der + len) {
		s = smime_ossl_nomem() ? SMIME_E_NOMEM : SMIME_E_FORMAT;
		smime_set_why(why, whylen, "CMS does not parse: %s", smime_ossl_reason());
		goto fail;
	}
	if (OBJ_obj2nid(CMS_get0_type(p->cms)) !=
	    (p->auth ? NID_id_smime_ct_authEnvelopedData : NID_pkcs7_enveloped)) {
		s = SMIME_E_FORMAT;
		smime_set_why(why, whylen, "not enveloped-data");
		goto fail;
	}
	/* sets havenocert (the unwrapped CEK must have the cipher's key length) and fails on
	 * a detached post (no encryptedContent) */
	if (CMS_decrypt(p->cms, NULL, NULL, NULL, NULL, 0) <= 0) {
		s = SMIME_E_FORMAT;
		smime_set_why(why, whylen, "enveloped-data without encrypted content");
		goto fail;
	}
	if ((s = content_cipher(p, why, whylen)) != SMIME_OK)
		goto fail;
	if ((ri = find_list_ri(p->cms, cert, &rek)) == NULL) {
		s = SMIME_E_NOTFORUS;
		smime_set_why(why, whylen, "no recipientInfo for the list's certificate among %d",
			sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(p->cms)));
		goto fail;
	}

	/* From here on every failure reads the same: see the top comment. */
	cek_ok = decrypt_cek(p->cms, ri, rek, key);
	if (cek_ok) {
		kek = OPENSSL_malloc(KEK_LEN);
		kid = OPENSSL_malloc(sizeof(stash_id));
		if (kek == NULL || kid == NULL || RAND_priv_bytes(kek, KEK_LEN) != 1) {
			OPENSSL_clear_free(kek, KEK_LEN);
			OPENSSL_free(kid);
			kek = NULL;
			s = SMIME_E_NOMEM;
			smime_set_why(why, whylen, "no memory or randomness for the CEK stash");
			goto fail;
		}
		memcpy(kid, stash_id, sizeof(stash_id));
		kri = CMS_add0_recipient_key(p->cms, NID_undef, kek, KEK_LEN, kid,
					     sizeof(stash_id), NULL, NULL, NULL);
		if (kri == NULL) {		/* we still own kek and kid */
			OPENSSL_clear_free(kek, KEK_LEN);
			OPENSSL_free(kid);
			kek = NULL;
		} else {			/* kri owns kek and kid */
			stash_ok = CMS_RecipientInfo_encrypt(p->cms, kri) > 0;
		}
	}
	content_ok = decrypt_content(p->cms, content, content_len);
	if (content_ok < 0) {
		s = SMIME_E_NOMEM;
		smime_set_why(why, whylen, "no memory for the decrypted content");
		goto fail;
	}
	if (cek_ok && stash_ok && content_ok)
		restored = CMS_RecipientInfo_decrypt(p->cms, kri) > 0;
	if (kri != NULL) {
		CMS_RecipientInfo_set0_key(kri, NULL, 0);	/* kek is ours again */
		OPENSSL_clear_free(kek, KEK_LEN);
		kek = NULL;
	}
	if (!(cek_ok && stash_ok && content_ok && restored)) {
		s = SMIME_E_DECRYPT;
		smime_set_why(why, whylen, "the list's key does not open the post");
		goto fail;
	}
	CMS_set_detached(p->cms, 1);		/* drop the parsed ciphertext; p->der has it */

	if (inner_type != NULL && inner_len > 0) {
		const ASN1_OBJECT *ct = CMS_get0_eContentType(p->cms);

		if (ct != NULL)
			OBJ_obj2txt(inner_type, (int)(inner_len > 1024 ? 1024 : inner_len), ct, 1);
	}
	ERR_clear_error();
	*out = p;
	return SMIME_OK;

fail:
	if (content != NULL) {
		free(*content);
		*content = NULL;
		*content_len = 0;
	}
	smime_post_free(p);
	ERR_clear_error();
	return s;
}

/* smime_read_key - the PEM private key in PATH, read and wiped in our own buffer */
EVP_PKEY *smime_read_key(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	unsigned char *buf = NULL;
	size_t size = 0, got = 0;
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > SMIME_MAX_KEY_FILE ||
	    (buf = OPENSSL_malloc(size = (size_t)st.st_size)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > 0 && got <= INT_MAX && (bio = BIO_new_mem_buf(buf, (int)got)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
		BIO_free(bio);
	}
	OPENSSL_clear_free(buf, size);
	ERR_clear_error();
	return key;
}

/* smime_post_free - release an opened post (NULL is fine) */
void smime_post_free(struct smime_post *p)
{
	if (p == NULL)
		return;
	CMS_ContentInfo_free(p->cms);		/* wipes the CEK */
	free(p->der);
	free(p);
}
