/*
 * milter/lists/smime-int.h - what the two halves of the S/MIME code share: the opened post,
 * the DER walking and the error helpers of smime.c (opening a post) that smime-readdress.c
 * (re-addressing it to one subscriber) uses too.  Included only inside milter/lists/; the
 * public contract is smime.h.
 */
#ifndef POSTWARD_MILTER_SMIME_INT_H
#define POSTWARD_MILTER_SMIME_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>

#include "smime.h"

/* a byte range of the input: a whole TLV, header included; len 0 means absent */
struct span {
	size_t off;
	size_t len;
};

struct smime_post {
	CMS_ContentInfo *cms;		/* the opened post: the CEK, no ciphertext */
	uint8_t *der;			/* our copy of the input */
	size_t der_len;
	struct span orig;		/* originatorInfo [0] */
	struct span eci;		/* encryptedContentInfo (authEncryptedContentInfo) */
	struct span attrs;		/* what follows it: unprotectedAttrs [1]; for
					 * AuthEnvelopedData authAttrs [1], mac, unauthAttrs [2] */
	long version;			/* the received EnvelopedData version */
	int auth;			/* AuthEnvelopedData (RFC 5083), not EnvelopedData */
	int wrap_nid;			/* AES key wrap fitting the content cipher */
};

/* one TLV header */
struct tlv {
	uint8_t id;			/* the identifier octet (class, constructed, low tag) */
	unsigned long tag;		/* tag number */
	int cons;			/* constructed */
	int indef;			/* indefinite length */
	size_t hdr;			/* header octets */
	size_t len;			/* content octets (definite only) */
};

/* id-envelopedData 1.2.840.113549.1.7.3, content octets of the OID */
extern const uint8_t smime_oid_enveloped[9];
/* id-ct-authEnvelopedData 1.2.840.113549.1.9.16.1.23 (RFC 5083), content octets of the OID */
extern const uint8_t smime_oid_auth_enveloped[11];

/* smime_set_why - format the reason into WHY, which may be NULL */
void smime_set_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* smime_ossl_reason - the reason text of OpenSSL's last error, or a placeholder */
const char *smime_ossl_reason(void);
/* smime_ossl_nomem - whether OpenSSL's last error is an allocation failure */
int smime_ossl_nomem(void);
/* smime_der_elem - header and whole length (EOC included) of the checked element at OFF */
int smime_der_elem(const uint8_t *b, size_t end, size_t off, struct tlv *t, size_t *total);
/* smime_enveloped_body - find the (Auth)EnvelopedData content (inside ContentInfo and [0])
 * of B; *AUTH (if not NULL) says which of the two it is */
enum smime_status smime_enveloped_body(const uint8_t *b, size_t len, size_t *body, size_t *bend,
				       int *auth, char *why, size_t whylen);

#endif
