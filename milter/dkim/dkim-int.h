/*
 * milter/dkim/dkim-int.h - what the parts of the DKIM verifier share; included only by the
 * files of milter/dkim/ (the public contract is dkim.h): the character classes every part
 * uses, the tag-list helpers of dkim-tags.c that the signature parser in dkim.c uses too,
 * the context and signature records (dkim.c keeps and settles them, dkim-verify.c hashes and
 * checks them), and what dkim.c calls in dkim-verify.c.
 */
#ifndef POSTWARD_MILTER_DKIM_INT_H
#define POSTWARD_MILTER_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim.h"

/* lc - ASCII lower case */
static inline int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* is_wsp - SP or HTAB */
static inline bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* is_fws - white space that may appear in folded text */
static inline bool is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkim_span_caseeq - does the span A/ALEN equal the C string B, ASCII case ignored */
bool dkim_span_caseeq(const char *a, size_t alen, const char *b);
/* dkim_trim_fws - shrink the span P/N past FWS at both ends */
void dkim_trim_fws(const char **p, size_t *n);
/* dkim_b64_decode - strict base64 with FWS anywhere; false on garbage, bad padding or overflow */
bool dkim_b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax,
		     size_t *outlen);
/* dkim_list_has - does the colon-separated list S/N hold WORD (FWS around items ignored) */
bool dkim_list_has(const char *s, size_t n, const char *word);
/* dkim_find_tag - the tag named NAME, or NULL */
const struct dkim_tag *dkim_find_tag(const struct dkim_tag *tags, size_t n, const char *name);

#define SHA256_LEN	32

enum sig_alg { ALG_RSA_SHA256, ALG_ED25519_SHA256 };
enum ctx_state { ST_HEADER, ST_BODY, ST_DONE };

struct field {
	char *name;			/* owned; the value follows it in the same block */
	char *value;			/* folds as CRLF */
	size_t value_len;
	size_t size;			/* of the block, for the byte count */
	bool sig;			/* a DKIM-Signature field within max_signatures */
};

struct hasher {
	enum dkim_canon canon;
	bool has_l;
	uint64_t l;
	uint64_t fed;
	EVP_MD_CTX *md;
	unsigned char digest[SHA256_LEN];
};

/* one h= name: a span of hbuf */
struct hname {
	size_t off, len;
};

/* one signature record, sized to what it holds: the variable parts are allocated as they
 * are parsed (a malformed signature holds little more than its reason) */
struct sig {
	struct dkim_sig_info info;
	char *domain;			/* owned, or NULL */
	char *selector;			/* owned, or NULL */
	char *query;			/* owned, or NULL */
	char *algorithm;		/* owned, or NULL */
	char header_b[DKIM_HEADER_B_LEN + 1];
	char *identity;			/* owned */
	char reason[DKIM_REASON_LEN];
	size_t field;			/* index of its field in ctx->fields */
	enum sig_alg alg;
	enum dkim_canon hc, bc;
	unsigned char bh[SHA256_LEN];
	unsigned char *b;		/* owned, blen octets */
	size_t blen;
	size_t b_raw_start, b_raw_end;	/* the b= value in the field value */
	size_t nh;			/* h= names: spans of hbuf */
	char *hbuf;			/* owned copy of the h= value */
	struct hname *hn;		/* owned, room for the names of h= */
	unsigned char hdr_digest[SHA256_LEN];
	size_t hasher;			/* index into ctx->hashers */
	bool key_given;
	EVP_PKEY *pkey;			/* owned until sig_finish */
};

struct canon_sink {
	struct dkim_ctx *ctx;
	enum dkim_canon canon;
};

struct dkim_ctx {
	struct dkim_limits lim;
	time_t now;
	enum ctx_state state;
	bool overflow;			/* header over max_header_bytes */
	bool broken;			/* an internal error spoilt the context */
	size_t header_bytes;
	size_t sig_fields;		/* DKIM-Signature fields seen */
	size_t sigs_ignored;		/* of those, past max_signatures */
	bool keep_extra_sigs;		/* a verified signature may cover DKIM-Signature fields:
					 * keep those past max_signatures as plain fields */
	size_t held, peak;		/* octets held for fields and records (dkim_counts) */
	struct field *fields;
	size_t nfields, capfields;
	struct sig *sigs;
	size_t nsigs;
	struct hasher *hashers;
	size_t nhashers;
	bool canon_used[2];
	struct dkim_bodycanon canon[2];
	struct canon_sink sinkarg[2];
	uint64_t body_len[2];		/* canonical body octets, after dkim_eom */
	char *scratch;
	size_t scratch_size;
};

struct hentry {
	const char *name;
	size_t len;			/* of the name, trailing WSP trimmed */
	size_t idx;
};

/* dkim_sig_hash_header - the SHA-256 of the signature's canonicalised header data (RFC 6376 5.4) */
bool dkim_sig_hash_header(struct dkim_ctx *ctx, struct sig *s, const struct hentry *byname,
			  size_t nfields);
/* dkim_sig_hasher - find or make the hasher for the signature's (c=, l=) */
bool dkim_sig_hasher(struct dkim_ctx *ctx, struct sig *s);
/* dkim_hentry_cmp - by name (ASCII case ignored), then by position */
int dkim_hentry_cmp(const void *a, const void *b);
/* dkim_verify_rsa - RSASSA-PKCS1-v1_5 over a SHA-256 digest; 1 good, 0 bad, -1 internal error */
int dkim_verify_rsa(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
		    const unsigned char *digest);
/* dkim_verify_ed25519 - PureEdDSA over the SHA-256 digest (RFC 8463 section 3) */
int dkim_verify_ed25519(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
			const unsigned char *digest);
/* dkim_key_to_pkey - the OpenSSL key of a parsed record; NULL with reason if unusable.  With a
 * key cache, a key already decoded from the same octets is reused */
EVP_PKEY *dkim_key_to_pkey(struct keycache *cache, const struct dkim_key *key,
			   const char **reason);

#endif
