/*
 * milter/lists/smime.h - S/MIME (CMS, RFC 5652) for encrypted lists: open a post's EnvelopedData
 * or AuthEnvelopedData with the list's key and certificate, and re-address it to one subscriber
 * without re-encrypting the content.
 *
 * smime_open() parses a DER ContentInfo of type enveloped-data (RFC 5652 section 6; the
 * content is that of an application/pkcs7-mime part, smime-type enveloped-data, or of an
 * RFC 3854 enveloped-x400 part) or authEnvelopedData (RFC 5083 with AES-GCM, RFC 5084;
 * smime-type authEnveloped-data), finds the RecipientInfo for the list's certificate,
 * decrypts the content-encryption key (CEK) with the list's private key, and checks that the
 * CEK opens the content (the decrypted content is handed back so the caller can check the
 * inner signature and MIME).  smime_readdress() then produces, for one subscriber's
 * certificate, a new DER ContentInfo whose only RecipientInfo is that subscriber's (the CEK
 * encrypted to the subscriber's RSA key, KeyTransRecipientInfo with PKCS#1 v1.5, or with
 * RSAES-OAEP and the parameters the certificate names when its key is id-RSAES-OAEP (RFC
 * 4055); or agreed with the subscriber's EC key, KeyAgreeRecipientInfo, ephemeral-static ECDH
 * with the X9.63 SHA-1 KDF and the AES key wrap of the content key's size (RFC 5753), as
 * OpenSSL's CMS_add1_recipient_cert makes it) while the EncryptedContentInfo - content type,
 * algorithm, IV, ciphertext - and for AuthEnvelopedData the authenticated attributes and the
 * MAC stay byte for byte the same.  One public-key operation per subscriber.  Keys OpenSSL's
 * CMS cannot address (X25519/X448, RFC 8418; Ed25519; RSASSA-PSS, signing only) are
 * SMIME_E_UNSUPPORTED with the reason.
 *
 * Limits: input at most SMIME_MAX_DER octets; nested CMS (an enveloped-data whose content is
 * itself CMS) is reported through smime_open's inner content type, never unwrapped here.
 * Thread-safe: no global state; each struct smime_post belongs to one thread at a time.
 * Errors: SMIME_E_* with a reason in WHY; never a crash on garbage.
 */
#ifndef POSTWARD_MILTER_SMIME_H
#define POSTWARD_MILTER_SMIME_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define SMIME_MAX_DER (64u << 20)	/* 64 MiB */
#define SMIME_MAX_KEY_FILE (1u << 20)	/* a PEM private key file, 1 MiB */
/* the content ciphers a post may use, for log lines and replies: in EnvelopedData the RFC
 * 5652 block-cipher content encryption that every S/MIME agent reads, in AuthEnvelopedData
 * (RFC 5083) AES-GCM (RFC 5084); key-wrap algorithms, RC2, single DES, stream modes, AEAD in
 * EnvelopedData and CBC in AuthEnvelopedData are SMIME_E_UNSUPPORTED */
#define SMIME_CONTENT_CIPHERS "AES-128-CBC, AES-192-CBC, AES-256-CBC or DES-EDE3-CBC"
#define SMIME_AUTH_CIPHERS "AES-128-GCM, AES-192-GCM or AES-256-GCM"
/* id-data, the inner content type of a MIME post, as smime_open's INNER_TYPE gives it */
#define SMIME_OID_DATA "1.2.840.113549.1.7.1"

enum smime_status {
	SMIME_OK = 0,
	SMIME_E_FORMAT,			/* not DER, not CMS, not enveloped-data */
	SMIME_E_NOTFORUS,		/* no RecipientInfo for the list's certificate */
	SMIME_E_DECRYPT,		/* the CEK or the content does not decrypt */
	SMIME_E_UNSUPPORTED,		/* content cipher or CMS type not accepted (smime_open),
					 * recipient key type OpenSSL cannot wrap for (readdress) */
	SMIME_E_NOMEM,
};

struct smime_post;			/* an opened post: the CMS and its CEK */

/* smime_strerror - a short text for a status */
const char *smime_strerror(enum smime_status s);
/* smime_open - parse DER, decrypt the CEK with KEY/CERT; on success *OUT owns the post
 * (free with smime_post_free) and, if CONTENT is not NULL, *CONTENT (malloc'd, free()) and
 * *CONTENT_LEN get the decrypted content; INNER_TYPE (if not NULL) gets the inner content
 * type as a dotted OID string (e.g. "1.2.840.113549.1.7.1" for data) */
enum smime_status smime_open(const uint8_t *der, size_t len, EVP_PKEY *key, X509 *cert,
			     struct smime_post **out, uint8_t **content, size_t *content_len,
			     char *inner_type, size_t inner_len, char *why, size_t whylen);
/* smime_readdress - DER of the post addressed to RECIPIENT only; *OUT malloc'd (free()) */
enum smime_status smime_readdress(struct smime_post *p, X509 *recipient, uint8_t **out,
				  size_t *outlen, char *why, size_t whylen);
/* smime_read_key - the unencrypted PEM private key in the file PATH (at most
 * SMIME_MAX_KEY_FILE octets), or NULL; the file's text is read into memory of our own and
 * wiped there (no stdio buffer keeps it) */
EVP_PKEY *smime_read_key(const char *path);
/* smime_post_free - release an opened post (NULL is fine) */
void smime_post_free(struct smime_post *p);

#endif
