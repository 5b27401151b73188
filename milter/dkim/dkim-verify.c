/*
 * milter/dkim/dkim-verify.c - the verification of DKIM signatures: the header fields a
 * signature names selected bottom-up and hashed (RFC 6376 section 5.4), the body hashers fed
 * by the canonicalisers, and the crypto (RSA and Ed25519 signature checks, keys decoded from
 * p= or taken from the key cache).
 * Contract: see dkim.h, and dkim-int.h for what dkim.c calls here.  No I/O, no globals.
 */
#include "dkim.h"
#include "dkim-int.h"
#include "keycache.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>


/* span_casecmp - ordering of two spans, ASCII case ignored */
static int span_casecmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		int d = lc((unsigned char)a[i]) - lc((unsigned char)b[i]);
		if (d != 0)
			return d;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* scratch_reserve - make the scratch buffer hold N octets */
static bool scratch_reserve(struct dkim_ctx *ctx, size_t n)
{
	if (n <= ctx->scratch_size)
		return true;
	size_t size = ctx->scratch_size ? ctx->scratch_size : 1024;
	while (size < n)
		size *= 2;
	char *p = realloc(ctx->scratch, size);
	if (p == NULL)
		return false;
	ctx->scratch = p;
	ctx->scratch_size = size;
	return true;
}

/* hash_field - canonicalise one field into MD; DROP_CRLF for the signature's own field */
static bool hash_field(struct dkim_ctx *ctx, EVP_MD_CTX *md, enum dkim_canon c, const char *name,
		       const char *value, bool drop_crlf)
{
	size_t n = dkim_canon_header(c, name, value, ctx->scratch, ctx->scratch_size);
	if (n >= ctx->scratch_size) {
		if (!scratch_reserve(ctx, n + 1))
			return false;
		n = dkim_canon_header(c, name, value, ctx->scratch, ctx->scratch_size);
	}
	if (drop_crlf && n >= 2)
		n -= 2;
	return EVP_DigestUpdate(md, ctx->scratch, n) == 1;
}

/* dkim_hentry_cmp - by name (ASCII case ignored), then by position */
int dkim_hentry_cmp(const void *a, const void *b)
{
	const struct hentry *x = a, *y = b;
	int d = span_casecmp(x->name, x->len, y->name, y->len);
	if (d != 0)
		return d;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* hentry_lower - first entry whose name is not below NAME/LEN */
static size_t hentry_lower(const struct hentry *e, size_t n, const char *name, size_t len)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (span_casecmp(e[mid].name, e[mid].len, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* dkim_sig_hash_header - the SHA-256 of the signature's canonicalised header data (RFC 6376 5.4) */
bool dkim_sig_hash_header(struct dkim_ctx *ctx, struct sig *s, const struct hentry *byname,
			    size_t nfields)
{
	size_t cursor[DKIM_MAX_HNAMES], lower[DKIM_MAX_HNAMES], first[DKIM_MAX_HNAMES];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	/* names listed more than once share one bottom-up cursor */
	for (size_t j = 0; j < s->nh && ok; j++) {
		const char *name = s->hbuf + s->hn[j].off;
		first[j] = j;
		for (size_t k = 0; k < j; k++)
			if (span_casecmp(s->hbuf + s->hn[k].off, s->hn[k].len, name, s->hn[j].len) == 0) {
				first[j] = first[k];
				break;
			}
		if (first[j] == j) {
			lower[j] = hentry_lower(byname, nfields, name, s->hn[j].len);
			size_t hi = lower[j];
			while (hi < nfields &&
			       span_casecmp(byname[hi].name, byname[hi].len, name, s->hn[j].len) == 0)
				hi++;
			cursor[j] = hi;
		}
		size_t f = first[j];
		while (cursor[f] > lower[f]) {
			const struct hentry *e = &byname[--cursor[f]];
			if (e->idx == s->field)
				continue;	/* never the signature being verified */
			const struct field *fl = &ctx->fields[e->idx];
			ok = hash_field(ctx, md, s->hc, fl->name, fl->value, false);
			break;
		}
	}
	if (ok) {
		/* the signature field itself, b= value emptied, without its CRLF */
		const struct field *fl = &ctx->fields[s->field];
		size_t head = s->b_raw_start, tail = fl->value_len - s->b_raw_end;
		char *v = malloc(head + tail + 1);
		if (v == NULL) {
			ok = false;
		} else {
			memcpy(v, fl->value, head);
			memcpy(v + head, fl->value + s->b_raw_end, tail);
			v[head + tail] = '\0';
			ok = hash_field(ctx, md, s->hc, fl->name, v, true);
			free(v);
		}
	}
	unsigned int dlen = 0;
	ok = ok && EVP_DigestFinal_ex(md, s->hdr_digest, &dlen) == 1 && dlen == SHA256_LEN;
	EVP_MD_CTX_free(md);
	return ok;
}

/* body_sink - canonical body octets to every hasher of that canonicalisation */
static void body_sink(void *arg, const unsigned char *buf, size_t len)
{
	struct canon_sink *cs = arg;
	struct dkim_ctx *ctx = cs->ctx;

	for (size_t i = 0; i < ctx->nhashers; i++) {
		struct hasher *h = &ctx->hashers[i];
		if (h->canon != cs->canon)
			continue;
		size_t take = len;
		if (h->has_l) {
			uint64_t room = h->l > h->fed ? h->l - h->fed : 0;
			if (room < take)
				take = (size_t)room;
		}
		if (take == 0)
			continue;
		if (EVP_DigestUpdate(h->md, buf, take) != 1)
			ctx->broken = true;
		h->fed += take;
	}
}

/* dkim_sig_hasher - find or make the hasher for the signature's (c=, l=) */
bool dkim_sig_hasher(struct dkim_ctx *ctx, struct sig *s)
{
	for (size_t i = 0; i < ctx->nhashers; i++) {
		struct hasher *h = &ctx->hashers[i];
		if (h->canon == s->bc && h->has_l == s->info.has_l &&
		    (!h->has_l || h->l == s->info.l)) {
			s->hasher = i;
			return true;
		}
	}
	struct hasher *h = &ctx->hashers[ctx->nhashers];	/* room for one per signature */
	memset(h, 0, sizeof(*h));
	h->canon = s->bc;
	h->has_l = s->info.has_l;
	h->l = s->info.l;
	if ((h->md = EVP_MD_CTX_new()) == NULL)
		return false;
	if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		return false;
	}
	s->hasher = ctx->nhashers++;
	if (!ctx->canon_used[s->bc]) {
		ctx->canon_used[s->bc] = true;
		ctx->sinkarg[s->bc].ctx = ctx;
		ctx->sinkarg[s->bc].canon = s->bc;
		dkim_bodycanon_init(&ctx->canon[s->bc], s->bc, body_sink, &ctx->sinkarg[s->bc]);
	}
	return true;
}

/* dkim_verify_rsa - RSASSA-PKCS1-v1_5 over a SHA-256 digest; 1 good, 0 bad, -1 internal error */
int dkim_verify_rsa(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
		      const unsigned char *digest)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(pkey, NULL);
	int r = -1;

	if (pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1)
		r = EVP_PKEY_verify(pc, sig, siglen, digest, SHA256_LEN) == 1 ? 1 : 0;
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return r;
}

/* dkim_verify_ed25519 - PureEdDSA over the SHA-256 digest (RFC 8463 section 3) */
int dkim_verify_ed25519(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
			  const unsigned char *digest)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -1;

	if (md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1)
		r = EVP_DigestVerify(md, sig, siglen, digest, SHA256_LEN) == 1 ? 1 : 0;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return r;
}

static EVP_PKEY *decode_key(const struct dkim_key *key, const char **reason);

/* dkim_key_to_pkey - the OpenSSL key of a parsed record; NULL with reason if unusable.  With a
 * key cache, a key already decoded from the same octets is reused */
EVP_PKEY *dkim_key_to_pkey(struct keycache *cache, const struct dkim_key *key,
			     const char **reason)
{
	EVP_PKEY *pkey = NULL;

	if (cache != NULL && (pkey = keycache_get(cache, (int)key->type, key->p, key->plen)) != NULL)
		return pkey;
	if ((pkey = decode_key(key, reason)) != NULL && cache != NULL)
		keycache_put(cache, (int)key->type, key->p, key->plen, pkey);
	return pkey;
}

/* decode_key - the OpenSSL key of a parsed record, decoded; NULL with reason if unusable */
static EVP_PKEY *decode_key(const struct dkim_key *key, const char **reason)
{
	EVP_PKEY *pkey = NULL;

	if (key->type == DKIM_KEYTYPE_ED25519) {
		if (key->plen != 32) {
			*reason = "ed25519 key is not 32 octets";
			return NULL;
		}
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->p, key->plen);
		if (pkey == NULL)
			*reason = "ed25519 key unusable";
		ERR_clear_error();
		return pkey;
	}
	/* RSA: SubjectPublicKeyInfo, else PKCS#1 RSAPublicKey; all of p= must be used */
	const unsigned char *p = key->p;
	pkey = d2i_PUBKEY(NULL, &p, (long)key->plen);
	if (pkey != NULL && (p != key->p + key->plen || !EVP_PKEY_is_a(pkey, "RSA"))) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL) {
		p = key->p;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)key->plen);
		if (pkey != NULL && p != key->p + key->plen) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	ERR_clear_error();
	if (pkey == NULL) {
		*reason = "key p= is not an RSA public key";
		return NULL;
	}
	int bits = EVP_PKEY_get_bits(pkey);
	if (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_MAX_BITS) {
		*reason = bits < DKIM_RSA_MIN_BITS ? "RSA key too short" : "RSA key too long";
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}
