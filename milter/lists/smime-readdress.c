/*
 * milter/lists/smime-readdress.c - re-address an opened S/MIME EnvelopedData post to one
 * subscriber without re-encrypting the content: one public-key operation per copy.
 *
 * NAME
 *	smime_readdress - a subscriber's copy of an S/MIME list post
 *
 * SYNOPSIS
 *	#include "smime.h"
 *
 *	enum smime_status smime_readdress(post, recipient, &out, &outlen, why, whylen);
 *
 * DESCRIPTION
 *	The contract is smime.h; the post comes from smime_open() (smime.c), which says in
 *	steps 1 to 3 how it is opened.  With OpenSSL 3.0's public API:
 *
 *	4. smime_readdress(): CMS_add1_recipient_cert() makes the subscriber's RecipientInfo in
 *	   the opened CMS; it is moved at once into a throw-away, empty EnvelopedData (which then
 *	   owns it: OpenSSL 3.0 has no public CMS_RecipientInfo_free) and encrypted with
 *	   CMS_RecipientInfo_encrypt() against the opened CMS's CEK: one public-key operation.  For
 *	   a KeyAgree recipient the key-wrap algorithm is set first through
 *	   CMS_RecipientInfo_kari_get0_ctx(): OpenSSL 3.0 derives it from the content cipher,
 *	   which it knows only for a CMS it created itself, so without this it fails on a parsed
 *	   one.  The throw-away CMS is serialised (a few hundred octets) and the RecipientInfo's
 *	   DER taken from it.  The output is assembled here: ContentInfo { envelopedData,
 *	   EnvelopedData { version, originatorInfo as received, SET { the new RecipientInfo },
 *	   encryptedContentInfo as received - the very octets, unprotectedAttrs as received } }.
 *	   The version is recomputed by RFC 5652 section 6.1 for the new RecipientInfo.  An
 *	   AuthEnvelopedData post is assembled the same way under its own content type, version
 *	   0, with authAttrs, mac and unauthAttrs as received: the RecipientInfos are outside
 *	   what the MAC covers (RFC 5083 section 2.1).
 *	   RSA-OAEP: a subscriber certificate whose key is id-RSAES-OAEP (RFC 4055 section 1.2,
 *	   a key its owner keeps for OAEP) gets a KeyTransRecipientInfo with RSAES-OAEP, with
 *	   the hash and MGF1 hash its parameters name (SHA-256 for both when it names none; a
 *	   label is refused: CMS has no place for it).  OpenSSL does not decode such a key, so
 *	   the RecipientInfo is made for a copy of the certificate carrying the same key as
 *	   rsaEncryption (same issuer and serial) and the padding set through
 *	   CMS_RecipientInfo_get0_pkey_ctx(), as `openssl cms -keyopt rsa_padding_mode:oaep`
 *	   does.  An rsaEncryption certificate gets PKCS#1 v1.5, which every S/MIME agent reads
 *	   (GnuPG's gpgsm 2.2 reads no OAEP).
 *
 * DIAGNOSTICS
 *	SMIME_E_* with a one-line reason in WHY (never NULL-terminated past WHYLEN).
 */
#include "smime.h"
#include "smime-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* ri_from_shell - copy out the DER of the first RecipientInfo of an encoded EnvelopedData */
static int ri_from_shell(const uint8_t *b, size_t len, uint8_t **ri, size_t *rilen, int *v0)
{
	size_t off, end, tot;
	struct tlv t;

	if (smime_enveloped_body(b, len, &off, &end, NULL, NULL, 0) != SMIME_OK)
		return -1;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x02)	/* version */
		return -1;
	off += tot;
	if (smime_der_elem(b, end, off, &t, &tot) != 0 || t.id != 0x31)	/* recipientInfos */
		return -1;
	off += t.hdr;
	if (smime_der_elem(b, end, off, &t, &tot) != 0)
		return -1;
	/* version 0 only for a KeyTransRecipientInfo (a SEQUENCE) whose version is 0 */
	*v0 = 0;
	if (t.id == 0x30) {
		struct tlv vt;
		size_t vtot;

		if (smime_der_elem(b, end, off + t.hdr, &vt, &vtot) == 0 && vt.id == 0x02 &&
		    vt.len == 1 && b[off + t.hdr + vt.hdr] == 0)
			*v0 = 1;
	}
	if ((*ri = malloc(tot)) == NULL)
		return -1;
	memcpy(*ri, b + off, tot);
	*rilen = tot;
	return 0;
}

/* len_octets - octets of a DER length field for N */
static size_t len_octets(size_t n)
{
	size_t k = 1;

	if (n < 0x80)
		return 1;
	while (n > 0) {
		k++;
		n >>= 8;
	}
	return k;
}

/* put_hdr - write identifier ID and the DER length N at *P, advancing it */
static void put_hdr(uint8_t **p, uint8_t id, size_t n)
{
	uint8_t *q = *p;
	size_t k = len_octets(n);

	*q++ = id;
	if (k == 1) {
		*q++ = (uint8_t)n;
	} else {
		*q++ = (uint8_t)(0x80 | (k - 1));
		for (size_t i = k - 1; i > 0; i--)
			*q++ = (uint8_t)(n >> (8 * (i - 1)));
	}
	*p = q;
}

/* put_span - copy a part of the received post at *P, advancing it */
static void put_span(uint8_t **p, const struct smime_post *post, struct span s)
{
	if (s.len > 0) {
		memcpy(*p, post->der + s.off, s.len);
		*p += s.len;
	}
}

/* assemble - the ContentInfo of the post with RI as its only RecipientInfo */
static uint8_t *assemble(const struct smime_post *p, const uint8_t *ri, size_t rilen, int ri_v0,
			 size_t *outlen)
{
	size_t set_len, ed_len, seq_len, a0_len, ci_len, total, oidlen;
	const uint8_t *oid;
	uint8_t *out, *w;
	long version;

	/* RFC 5652 section 6.1; versions 3 and 4 are due to originatorInfo, which we keep;
	 * AuthEnvelopedData is always version 0 (RFC 5083 section 2.1) */
	if (p->auth)
		version = 0;
	else if (p->orig.len > 0 && p->version >= 3 && p->version <= 4)
		version = p->version;
	else if (p->orig.len == 0 && p->attrs.len == 0 && ri_v0)
		version = 0;
	else
		version = 2;

	/* content lengths; the input is at most SMIME_MAX_DER, so none of this overflows */
	set_len = 1 + len_octets(rilen) + rilen;		/* SET OF RecipientInfo */
	ed_len = 3 + p->orig.len + set_len + p->eci.len + p->attrs.len;
	seq_len = 1 + len_octets(ed_len) + ed_len;		/* EnvelopedData SEQUENCE */
	a0_len = 1 + len_octets(seq_len) + seq_len;		/* [0] EXPLICIT */
	oid = p->auth ? smime_oid_auth_enveloped : smime_oid_enveloped;
	oidlen = p->auth ? sizeof(smime_oid_auth_enveloped) : sizeof(smime_oid_enveloped);
	ci_len = 2 + oidlen + a0_len;
	total = 1 + len_octets(ci_len) + ci_len;
	if ((out = malloc(total)) == NULL)
		return NULL;
	w = out;
	put_hdr(&w, 0x30, ci_len);
	put_hdr(&w, 0x06, oidlen);
	memcpy(w, oid, oidlen);
	w += oidlen;
	put_hdr(&w, 0xa0, seq_len);
	put_hdr(&w, 0x30, ed_len);
	put_hdr(&w, 0x02, 1);
	*w++ = (uint8_t)version;
	put_span(&w, p, p->orig);
	put_hdr(&w, 0x31, rilen);
	memcpy(w, ri, rilen);
	w += rilen;
	put_span(&w, p, p->eci);
	put_span(&w, p, p->attrs);
	if ((size_t)(w - out) != total)		/* our arithmetic above is wrong: a bug */
		abort();
	*outlen = total;
	return out;
}

/* oaep_digest - the hash of an RSAES-OAEP-params field (SHA-1 when absent); NULL if not one
 * of SHA-1 and SHA-2 */
static const EVP_MD *oaep_digest(const X509_ALGOR *a)
{
	if (a == NULL)
		return EVP_sha1();
	switch (OBJ_obj2nid(a->algorithm)) {
	case NID_sha1:
		return EVP_sha1();
	case NID_sha224:
		return EVP_sha224();
	case NID_sha256:
		return EVP_sha256();
	case NID_sha384:
		return EVP_sha384();
	case NID_sha512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* oaep_params - the hash and MGF1 hash of RSAES-OAEP-params (RFC 4055 section 4.1) in PARAM,
 * or SHA-256 for both when the certificate names none; 0 on success */
static int oaep_params(const ASN1_TYPE *param, const EVP_MD **md, const EVP_MD **mgf1,
		       char *why, size_t whylen)
{
	RSA_OAEP_PARAMS *op;
	X509_ALGOR *mh = NULL;
	int r = -1;

	if (param == NULL || param->type == V_ASN1_NULL) {
		*md = *mgf1 = EVP_sha256();	/* the key may be used with any hash */
		return 0;
	}
	if ((op = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS), param)) == NULL) {
		smime_set_why(why, whylen, "the subscriber's RSAES-OAEP certificate has malformed "
			"parameters");
		return -1;
	}
	*md = oaep_digest(op->hashFunc);
	if (op->maskGenFunc == NULL) {
		*mgf1 = EVP_sha1();
	} else if (OBJ_obj2nid(op->maskGenFunc->algorithm) == NID_mgf1 &&
		   op->maskGenFunc->parameter != NULL &&
		   (mh = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
						   op->maskGenFunc->parameter)) != NULL) {
		*mgf1 = oaep_digest(mh);
	} else {
		*mgf1 = NULL;
	}
	if (*md == NULL || *mgf1 == NULL) {
		smime_set_why(why, whylen, "the subscriber's RSAES-OAEP certificate names a hash or "
			"mask generation function other than SHA-1/SHA-2 and MGF1");
	} else if (op->pSourceFunc != NULL &&
		   (OBJ_obj2nid(op->pSourceFunc->algorithm) != NID_pSpecified ||
		    op->pSourceFunc->parameter == NULL ||
		    op->pSourceFunc->parameter->type != V_ASN1_OCTET_STRING ||
		    ASN1_STRING_length(op->pSourceFunc->parameter->value.octet_string) != 0)) {
		smime_set_why(why, whylen, "the subscriber's RSAES-OAEP certificate requires a "
			"label (pSourceFunc), which CMS does not carry");
	} else {
		r = 0;
	}
	X509_ALGOR_free(mh);
	RSA_OAEP_PARAMS_free(op);
	return r;
}

/* oaep_recipient - for a certificate whose key is id-RSAES-OAEP (RFC 4055 section 1.2), which
 * OpenSSL does not decode: *AS_RSA, a copy with the same key as rsaEncryption (same issuer
 * and serial), and the hashes; 1 if OAEP, 0 if not an RSAES-OAEP key, -1 refused (WHY) */
static int oaep_recipient(X509 *cert, X509 **as_rsa, const EVP_MD **md, const EVP_MD **mgf1,
			  char *why, size_t whylen)
{
	X509_PUBKEY *xpk = X509_get_X509_PUBKEY(cert);
	ASN1_OBJECT *alg = NULL;
	const unsigned char *pk = NULL;
	int pklen = 0;
	X509_ALGOR *palg = NULL;
	const ASN1_TYPE *param = NULL;
	EVP_PKEY *rsa = NULL;
	X509 *dup = NULL;
	int ptype;
	const void *pval;

	*as_rsa = NULL;
	if (xpk == NULL || X509_PUBKEY_get0_param(&alg, &pk, &pklen, &palg, xpk) != 1)
		return 0;
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaesOaep:
		break;
	case NID_rsassaPss:
		smime_set_why(why, whylen, "the subscriber's certificate is an RSASSA-PSS key, for "
			"signatures only (RFC 4055): it cannot receive encrypted mail");
		return -1;
	default:
		return 0;
	}
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	if (ptype == V_ASN1_SEQUENCE)
		param = palg->parameter;
	else if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
		smime_set_why(why, whylen, "the subscriber's RSAES-OAEP certificate has malformed "
			"parameters");
		return -1;
	}
	if (oaep_params(param, md, mgf1, why, whylen) != 0)
		return -1;
	/* the subjectPublicKey is an RSAPublicKey, as for rsaEncryption */
	if ((rsa = d2i_PublicKey(EVP_PKEY_RSA, NULL, &pk, pklen)) == NULL ||
	    (dup = X509_dup(cert)) == NULL || X509_set_pubkey(dup, rsa) != 1) {
		smime_set_why(why, whylen, "the subscriber's RSAES-OAEP key does not decode: %s",
			smime_ossl_reason());
		EVP_PKEY_free(rsa);
		X509_free(dup);
		return -1;
	}
	EVP_PKEY_free(rsa);
	*as_rsa = dup;
	return 1;
}

/* smime_readdress - DER of the post addressed to RECIPIENT only; *OUT malloc'd (free()) */
enum smime_status smime_readdress(struct smime_post *p, X509 *recipient, uint8_t **out,
				  size_t *outlen, char *why, size_t whylen)
{
	CMS_ContentInfo *shell = NULL;
	BIO *empty = NULL;
	STACK_OF(CMS_RecipientInfo) *sris;
	CMS_RecipientInfo *ri;
	unsigned char *enc = NULL;
	uint8_t *rider = NULL;
	size_t rilen = 0;
	int enclen, v0 = 0, oaep;
	X509 *as_rsa = NULL;
	EVP_PKEY *pub;
	const EVP_MD *md = NULL, *mgf1 = NULL;
	enum smime_status s = SMIME_OK;

	*out = NULL;
	*outlen = 0;
	smime_set_why(why, whylen, "ok");
	ERR_clear_error();
	if (p == NULL || recipient == NULL) {
		smime_set_why(why, whylen, "no post or no recipient");
		return SMIME_E_FORMAT;
	}
	/* a finished EnvelopedData of nothing, to own and serialise the new RecipientInfo */
	if ((empty = BIO_new_mem_buf("", 0)) != NULL)
		shell = CMS_EnvelopedData_create(EVP_aes_128_cbc());
	if (shell == NULL || CMS_final(shell, empty, NULL, CMS_BINARY) <= 0 ||
	    (sris = CMS_get0_RecipientInfos(shell)) == NULL ||
	    sk_CMS_RecipientInfo_reserve(sris, 1) == 0) {
		s = SMIME_E_NOMEM;
		smime_set_why(why, whylen, "no memory for a recipientInfo");
		goto done;
	}
	pub = X509_get0_pubkey(recipient);
	if (pub != NULL && (EVP_PKEY_is_a(pub, "X25519") || EVP_PKEY_is_a(pub, "X448"))) {
		s = SMIME_E_UNSUPPORTED;
		smime_set_why(why, whylen, "the subscriber's certificate is an %s key: OpenSSL's CMS "
			"has no key agreement for it (RFC 8418); an RSA or NIST P-256/P-384/P-521 "
			"certificate is needed", EVP_PKEY_get0_type_name(pub));
		goto done;
	}
	if (pub != NULL && (EVP_PKEY_is_a(pub, "ED25519") || EVP_PKEY_is_a(pub, "ED448"))) {
		s = SMIME_E_UNSUPPORTED;
		smime_set_why(why, whylen, "the subscriber's certificate is an %s key, for signatures "
			"only: it cannot receive encrypted mail", EVP_PKEY_get0_type_name(pub));
		goto done;
	}
	ERR_clear_error();		/* X509_get0_pubkey of a key OpenSSL does not decode */
	if ((oaep = oaep_recipient(recipient, &as_rsa, &md, &mgf1, why, whylen)) < 0) {
		s = SMIME_E_UNSUPPORTED;
		goto done;
	}
	ri = CMS_add1_recipient_cert(p->cms, oaep ? as_rsa : recipient, oaep ? CMS_KEY_PARAM : 0);
	if (ri == NULL) {
		s = smime_ossl_nomem() ? SMIME_E_NOMEM : SMIME_E_UNSUPPORTED;
		smime_set_why(why, whylen, "cannot address the subscriber's certificate: %s",
			smime_ossl_reason());
		goto done;
	}
	/* move it: the shell owns it from here on (the push cannot fail after the reserve) */
	sk_CMS_RecipientInfo_delete_ptr(CMS_get0_RecipientInfos(p->cms), ri);
	sk_CMS_RecipientInfo_push(sris, ri);

	if (oaep) {
		EVP_PKEY_CTX *pc = CMS_RecipientInfo_get0_pkey_ctx(ri);

		if (pc == NULL || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pc, md) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pc, mgf1) <= 0) {
			s = smime_ossl_nomem() ? SMIME_E_NOMEM : SMIME_E_UNSUPPORTED;
			smime_set_why(why, whylen, "cannot set up RSA-OAEP for the subscriber: %s",
				smime_ossl_reason());
			goto done;
		}
	}

	if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
		EVP_CIPHER_CTX *wctx = CMS_RecipientInfo_kari_get0_ctx(ri);
		EVP_CIPHER *wrap = EVP_CIPHER_fetch(NULL, OBJ_nid2sn(p->wrap_nid), NULL);
		int ok;

		EVP_CIPHER_CTX_set_flags(wctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
		ok = wrap != NULL && EVP_EncryptInit_ex(wctx, wrap, NULL, NULL, NULL) > 0;
		EVP_CIPHER_free(wrap);
		if (!ok) {
			s = SMIME_E_UNSUPPORTED;
			smime_set_why(why, whylen, "key wrap %s unavailable: %s",
				OBJ_nid2sn(p->wrap_nid), smime_ossl_reason());
			goto done;
		}
	}
	if (CMS_RecipientInfo_encrypt(p->cms, ri) <= 0) {
		pub = X509_get0_pubkey(oaep ? as_rsa : recipient);
		s = smime_ossl_nomem() ? SMIME_E_NOMEM : SMIME_E_UNSUPPORTED;
		smime_set_why(why, whylen, "cannot encrypt the key to the subscriber's %s key: %s",
			pub != NULL ? EVP_PKEY_get0_type_name(pub) : "unknown", smime_ossl_reason());
		goto done;
	}
	enclen = i2d_CMS_ContentInfo(shell, &enc);
	if (enclen <= 0 || ri_from_shell(enc, (size_t)enclen, &rider, &rilen, &v0) != 0) {
		s = SMIME_E_NOMEM;
		smime_set_why(why, whylen, "cannot encode the recipientInfo: %s", smime_ossl_reason());
		goto done;
	}
	if ((*out = assemble(p, rider, rilen, v0, outlen)) == NULL) {
		s = SMIME_E_NOMEM;
		smime_set_why(why, whylen, "no memory for a copy of %zu octets", p->der_len);
		goto done;
	}
done:
	free(rider);
	OPENSSL_free(enc);
	CMS_ContentInfo_free(shell);		/* and with it the subscriber's RecipientInfo */
	X509_free(as_rsa);
	BIO_free(empty);
	ERR_clear_error();
	return s;
}
