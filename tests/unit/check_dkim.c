/*
 * tests/unit/check_dkim.c - milter/dkim/: tag lists and key records (dkim-tags.c),
 * canonicalisation (dkim-canon.c), and whole verifications (dkim.c, dkim-verify.c; the RFC 8463
 * appendix A example, plus messages signed here).
 * Contract: milter/dkim/dkim.h.
 *
 * Build: gcc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -I. -Imilter -Ipolicy tests/unit/check_dkim.c \
 *	milter/dkim/dkim.c milter/dkim/dkim-tags.c milter/dkim/dkim-canon.c \
 *	milter/dkim/dkim-verify.c milter/dkim/keycache.c \
 *	$(pkg-config --cflags --libs check libcrypto) -o /tmp/check_dkim
 * Exit status: 0 when every test passed, 1 otherwise.  CK_FORK, CK_RUN_CASE etc. work.
 *
 * The signer in this file (test_sign) exists only to make test messages for cases the
 * published vectors do not cover (l=, simple/simple, RSA key sizes and encodings, h= edge
 * cases); it selects header fields with its own code, and its canonicalisation is the one
 * checked against literal RFC 6376 outputs in the canon_* tests.  tests/dkim/interop.sh
 * checks against outside signers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim/dkim.h"

/* ---- small helpers ------------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
};

/* sbuf_add - append */
static void sbuf_add(struct sbuf *s, const void *p, size_t n)
{
	if (s->n + n + 1 > s->cap) {
		s->cap = (s->n + n + 1) * 2;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->p[s->n] = '\0';
}

/* sbuf_sink - dkim_sink_fn into an sbuf */
static void sbuf_sink(void *arg, const unsigned char *buf, size_t len)
{
	sbuf_add(arg, buf, len);
}

/* replace1 - S with the first FROM replaced by TO (FROM must occur) */
static char *replace1(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	ck_assert_msg(at != NULL, "test bug: \"%s\" not found", from);
	size_t head = (size_t)(at - s), fl = strlen(from), tl = strlen(to);
	char *r = malloc(strlen(s) - fl + tl + 1);
	ck_assert_ptr_nonnull(r);
	memcpy(r, s, head);
	memcpy(r + head, to, tl);
	strcpy(r + head + tl, at + fl);
	return r;
}

/* b64 - base64 of N octets, malloc'd */
static char *b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	ck_assert_ptr_nonnull(out);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* ---- messages -------------------------------------------------------------------------- */

#define TMAX_FIELDS 64

struct tfield {
	const char *name;
	const char *value;
};

struct tmsg {
	struct tfield f[TMAX_FIELDS];
	size_t nf;
	const char *body;
	char *store;		/* owned text the pointers point into */
};

/* tmsg_parse - split CRLF message TEXT into fields (folds kept) and body */
static void tmsg_parse(struct tmsg *m, const char *text)
{
	memset(m, 0, sizeof(*m));
	m->store = strdup(text);
	ck_assert_ptr_nonnull(m->store);
	char *p = m->store;
	for (;;) {
		ck_assert_msg(*p != '\0', "test bug: no end of header");
		if (p[0] == '\r' && p[1] == '\n') {
			m->body = p + 2;
			return;
		}
		char *colon = strchr(p, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_uint_lt(m->nf, TMAX_FIELDS);
		m->f[m->nf].name = p;
		m->f[m->nf].value = colon + 1;
		m->nf++;
		char *e = colon + 1;
		for (;;) {
			e = strstr(e, "\r\n");
			ck_assert_ptr_nonnull(e);
			if (e[2] != ' ' && e[2] != '\t')
				break;
			e += 2;
		}
		*e = '\0';
		p = e + 2;
	}
}

struct tkey {
	const char *query;
	const char *record;	/* "!tempfail" for a temporary failure */
};

/* give_keys - answer every lookup from KEYS (no entry: NXDOMAIN) */
static void give_keys(struct dkim_ctx *ctx, const struct tkey *keys, size_t nkeys)
{
	for (size_t i = 0; i < dkim_nsigs(ctx); i++) {
		const struct dkim_sig_info *si = dkim_sig(ctx, i);
		const char *txt[16];
		size_t n = 0;
		bool temp = false;
		if (!si->want_key)
			continue;
		for (size_t k = 0; k < nkeys; k++)
			if (strcasecmp(keys[k].query, si->query) == 0) {
				if (strcmp(keys[k].record, "!tempfail") == 0)
					temp = true;
				else if (n < 16)
					txt[n++] = keys[k].record;
			}
		enum dkim_status st = temp ? dkim_sig_key(ctx, i, DKIM_KEY_TEMPFAIL, NULL, 0)
				  : dkim_sig_key(ctx, i, n ? DKIM_KEY_FOUND : DKIM_KEY_NONE, txt, n);
		ck_assert_int_eq(st, DKIM_OK);
	}
}

/* verify_msg - run M through a fresh context; keys after the header, or after EOM if LATE */
static struct dkim_ctx *verify_msg(const struct dkim_limits *lim, time_t now, const struct tmsg *m,
				   size_t chunk, bool late, const struct tkey *keys, size_t nkeys)
{
	struct dkim_ctx *ctx;
	ck_assert_int_eq(dkim_new(lim, now, &ctx), DKIM_OK);
	for (size_t i = 0; i < m->nf; i++) {
		enum dkim_status st = dkim_header(ctx, m->f[i].name, m->f[i].value);
		ck_assert(st == DKIM_OK || st == DKIM_ERR_LIMIT);
	}
	enum dkim_status st = dkim_eoh(ctx);
	ck_assert(st == DKIM_OK || st == DKIM_ERR_LIMIT);
	if (!late)
		give_keys(ctx, keys, nkeys);
	size_t len = strlen(m->body);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		ck_assert_int_eq(dkim_body(ctx, (const unsigned char *)m->body + off, n), DKIM_OK);
	}
	ck_assert_int_eq(dkim_eom(ctx), DKIM_OK);
	if (late)
		give_keys(ctx, keys, nkeys);
	return ctx;
}

/* verify_text - verify_msg on CRLF TEXT */
static struct dkim_ctx *verify_text(const struct dkim_limits *lim, time_t now, const char *text,
				    size_t chunk, bool late, const struct tkey *keys, size_t nkeys)
{
	struct tmsg m;
	tmsg_parse(&m, text);
	struct dkim_ctx *ctx = verify_msg(lim, now, &m, chunk, late, keys, nkeys);
	free(m.store);
	return ctx;
}

/* expect - signature I has result R and (unless NULL) exactly reason WHY */
#define expect(ctx, i, r, why) do {							\
	const char *reason_;								\
	enum dkim_result got_ = dkim_sig_result((ctx), (i), &reason_);			\
	ck_assert_msg(got_ == (r), "sig %d: result %s (%s), expected %s", (int)(i),	\
		      dkim_result_name(got_), reason_, dkim_result_name(r));		\
	if ((why) != NULL)								\
		ck_assert_str_eq(reason_, (const char *)(why));				\
} while (0)

/* ---- RFC 8463 appendix A ----------------------------------------------------------------- */

#include "rfc8463.h"

static const struct tkey rfc_keys[] = {
	{ "brisbane._domainkey.football.example.com", RFC_ED_RECORD },
	{ "test._domainkey.football.example.com", RFC_RSA_RECORD },
};
#define N_RFC_KEYS (sizeof(rfc_keys) / sizeof(rfc_keys[0]))

START_TEST(rfc8463_example_verifies)
{
	struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 65536, false, rfc_keys,
					   N_RFC_KEYS);
	ck_assert_uint_eq(dkim_nsigs(ctx), 2);
	const struct dkim_sig_info *ed = dkim_sig(ctx, 0), *rsa = dkim_sig(ctx, 1);
	ck_assert_str_eq(ed->domain, "football.example.com");
	ck_assert_str_eq(ed->selector, "brisbane");
	ck_assert_str_eq(ed->identity, "@football.example.com");
	ck_assert_str_eq(ed->algorithm, "ed25519-sha256");
	ck_assert_str_eq(ed->query, "brisbane._domainkey.football.example.com");
	ck_assert_str_eq(ed->header_b, "/gCrinpcQOoIfuHN");
	ck_assert(ed->has_t && ed->t == RFC_NOW && !ed->has_x && !ed->has_l);
	ck_assert_str_eq(rsa->selector, "test");
	ck_assert_str_eq(rsa->query, "test._domainkey.football.example.com");
	ck_assert_str_eq(rsa->algorithm, "rsa-sha256");
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	expect(ctx, 1, DKIM_RESULT_PASS, "");
	ck_assert_ptr_null(dkim_sig(ctx, 2));
	dkim_free(ctx);
}
END_TEST

/* the published Ed25519 private key gives the published public key */
START_TEST(rfc8463_key_pair_matches)
{
	unsigned char seed[64], pub[32];
	size_t publen = sizeof(pub);
	int n = EVP_DecodeBlock(seed, (const unsigned char *)RFC_ED_SEED, (int)strlen(RFC_ED_SEED));
	ck_assert_int_ge(n, 32);
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k, pub, &publen), 1);
	char *p = b64(pub, publen);
	ck_assert_str_eq(p, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	free(p);
	EVP_PKEY_free(k);
}
END_TEST

/* the same with the body in chunks of every size 1..64, keys early and late */
START_TEST(rfc8463_any_chunking)
{
	for (int late = 0; late < 2; late++) {
		struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, (size_t)_i, late,
						   rfc_keys, N_RFC_KEYS);
		expect(ctx, 0, DKIM_RESULT_PASS, "");
		expect(ctx, 1, DKIM_RESULT_PASS, "");
		dkim_free(ctx);
	}
}
END_TEST

/* LF-only folds in the header values are read as CRLF */
START_TEST(rfc8463_lf_folds)
{
	struct tmsg m;
	tmsg_parse(&m, rfc8463_msg);
	char *v0 = replace1(m.f[0].value, "\r\n", "\n"), *v1 = replace1(m.f[1].value, "\r\n", "\n");
	m.f[0].value = v0;
	m.f[1].value = v1;
	struct dkim_ctx *ctx = verify_msg(NULL, RFC_NOW, &m, 7, false, rfc_keys, N_RFC_KEYS);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	expect(ctx, 1, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	free(v0);
	free(v1);
	free(m.store);
}
END_TEST

static const struct {
	const char *from, *to;		/* edit of the message */
	enum dkim_result r0, r1;	/* expected results of the two signatures */
	const char *why0, *why1;
} rfc_edits[] = {
	{ "hungry", "angry", DKIM_RESULT_FAIL, DKIM_RESULT_FAIL,
	  "body hash mismatch", "body hash mismatch" },
	{ "dinner", "lunch", DKIM_RESULT_FAIL, DKIM_RESULT_FAIL,
	  "signature did not verify", "signature did not verify" },
	/* From is listed twice in h=: a second From above the first breaks both */
	{ "From: Joe", "From: Mallory <m@evil.example>\r\nFrom: Joe", DKIM_RESULT_FAIL,
	  DKIM_RESULT_FAIL, "signature did not verify", "signature did not verify" },
	/* so does one below: selection is bottom-up */
	{ "Subject: Is", "From: Mallory <m@evil.example>\r\nSubject: Is", DKIM_RESULT_FAIL,
	  DKIM_RESULT_FAIL, "signature did not verify", "signature did not verify" },
	/* an unsigned field may be added anywhere */
	{ "Message-ID:", "X-Mailer: any\r\nMessage-ID:", DKIM_RESULT_PASS, DKIM_RESULT_PASS,
	  "", "" },
	/* relaxed: header white space and name case do not matter */
	{ "Subject: Is dinner ready?", "sUbJeCt:   Is \t dinner   ready?  ", DKIM_RESULT_PASS,
	  DKIM_RESULT_PASS, "", "" },
	/* relaxed body: trailing white space and trailing empty lines do not matter */
	{ "Joe.\r\n", "Joe. \t\r\n\r\n \r\n\r\n", DKIM_RESULT_PASS, DKIM_RESULT_PASS, "", "" },
	{ "the game.  Are", "the game. \t Are", DKIM_RESULT_PASS, DKIM_RESULT_PASS, "", "" },
	/* but a space where there was none does */
	{ "the game.", "the game .", DKIM_RESULT_FAIL, DKIM_RESULT_FAIL,
	  "body hash mismatch", "body hash mismatch" },
	/* the b= of the other signature is outside this one's data, not so its own */
	{ "b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
	  "b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11bus", DKIM_RESULT_FAIL,
	  DKIM_RESULT_PASS, "signature did not verify", "" },
	/* a changed tag value in the signature field is covered */
	{ "q=dns/txt; s=brisbane", "q=dns/txt:other/x; s=brisbane", DKIM_RESULT_FAIL,
	  DKIM_RESULT_PASS, "signature did not verify", "" },
	/* but the folding white space around b='s value is not (relaxed) */
	{ " b=/gCrinp", " b= \t/gCrinp", DKIM_RESULT_PASS, DKIM_RESULT_PASS, "", "" },
};

START_TEST(rfc8463_edits)
{
	char *text = replace1(rfc8463_msg, rfc_edits[_i].from, rfc_edits[_i].to);
	struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, text, 5, false, rfc_keys, N_RFC_KEYS);
	expect(ctx, 0, rfc_edits[_i].r0, rfc_edits[_i].why0);
	expect(ctx, 1, rfc_edits[_i].r1, rfc_edits[_i].why1);
	dkim_free(ctx);
	free(text);
}
END_TEST

/* edits of the first signature that settle it before any key or crypto */
static const struct {
	const char *from, *to;
	enum dkim_result r;
	const char *why;
	time_t now;
} sig_edits[] = {
	{ "a=ed25519-sha256", "a=rsa-sha1", DKIM_RESULT_PERMERROR,
	  "rsa-sha1 not accepted (RFC 8301)", RFC_NOW },
	{ "a=ed25519-sha256", "a=ed448-sha256", DKIM_RESULT_PERMERROR, "unknown algorithm", RFC_NOW },
	{ "v=1; a=ed", "v=2; a=ed", DKIM_RESULT_PERMERROR, "unsupported version", RFC_NOW },
	{ "v=1; a=ed", "a=ed", DKIM_RESULT_PERMERROR, "missing tag v=", RFC_NOW },
	{ " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=/gC",
	  " b=/gC", DKIM_RESULT_PERMERROR, "missing tag bh=", RFC_NOW },
	{ "s=brisbane; t=", "t=", DKIM_RESULT_PERMERROR, "missing tag s=", RFC_NOW },
	{ "s=brisbane;", "s=brisbane; s=brisbane;", DKIM_RESULT_PERMERROR, "duplicate tag", RFC_NOW },
	{ "s=brisbane;", "s=brisbane; d=football.example.com;", DKIM_RESULT_PERMERROR,
	  "duplicate tag", RFC_NOW },
	{ "i=@football.example.com", "i=joe@example.net", DKIM_RESULT_PERMERROR,
	  "i= not within d=", RFC_NOW },
	{ "i=@football.example.com", "i=joe@notfootball.example.com", DKIM_RESULT_PERMERROR,
	  "i= not within d=", RFC_NOW },
	{ "i=@football.example.com", "i=football.example.com", DKIM_RESULT_PERMERROR,
	  "i= has no @", RFC_NOW },
	{ "h=from : to :\r\n subject : date : message-id : from : subject : date;",
	  "h=to : subject;", DKIM_RESULT_PERMERROR, "From not signed", RFC_NOW },
	{ "h=from : to :", "h=from : : to :", DKIM_RESULT_PERMERROR, "h= malformed", RFC_NOW },
	{ "h=from : to :", "h=from : t o :", DKIM_RESULT_PERMERROR, "h= malformed", RFC_NOW },
	{ "c=relaxed/relaxed", "c=relaxed/fancy", DKIM_RESULT_PERMERROR,
	  "unknown canonicalization", RFC_NOW },
	{ "q=dns/txt", "q=http/well-known", DKIM_RESULT_PERMERROR, "no supported query method",
	  RFC_NOW },
	{ "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQ=",
	  DKIM_RESULT_PERMERROR, "bh= is not a SHA-256 digest", RFC_NOW },
	{ "b=/gCrinpcQOo", "b=/gCr!npcQOo", DKIM_RESULT_PERMERROR, "b= is not base64", RFC_NOW },
	{ "Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==", "Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=", DKIM_RESULT_PERMERROR,
	  "b= is not base64", RFC_NOW },
	{ "d=football.example.com;", "d=football..example.com;", DKIM_RESULT_PERMERROR,
	  "d= is not a domain name", RFC_NOW },
	{ "t=1528637909;", "t=1528637909; x=1528637909;", DKIM_RESULT_PERMERROR,
	  "x= not after t=", RFC_NOW },
	{ "t=1528637909;", "t=1528637909; x=1528630000;", DKIM_RESULT_PERMERROR,
	  "x= not after t=", RFC_NOW },
	{ "t=1528637909;", "t=15286379o9;", DKIM_RESULT_PERMERROR, "t= malformed", RFC_NOW },
	{ "t=1528637909;", "t=1528637909; l=12a;", DKIM_RESULT_PERMERROR, "l= malformed", RFC_NOW },
	{ "t=1528637909;", "t=1528637909; x=1528637999;", DKIM_RESULT_FAIL, "signature expired",
	  1528638000 },
	/* t= more than the clock skew (300 s) ahead of us */
	{ "t=1528637909;", "t=1528637909;", DKIM_RESULT_FAIL, "signature timestamp in the future",
	  RFC_NOW - 301 },
	{ "s=brisbane;", "s=brisbane; ;;", DKIM_RESULT_FAIL, "signature did not verify", RFC_NOW },
	{ "s=brisbane;", "s=bris%bane;", DKIM_RESULT_PERMERROR, "s= is not a valid selector",
	  RFC_NOW },
	{ "s=brisbane;", "s=brisbane; 9x=1;", DKIM_RESULT_PERMERROR, "malformed tag name", RFC_NOW },
	{ "s=brisbane;", "s=brisbane; foo;", DKIM_RESULT_PERMERROR, "tag without '='", RFC_NOW },
};

START_TEST(signature_edits)
{
	char *text = replace1(rfc8463_msg, sig_edits[_i].from, sig_edits[_i].to);
	struct dkim_ctx *ctx = verify_text(NULL, sig_edits[_i].now, text, 64, false, rfc_keys,
					   N_RFC_KEYS);
	expect(ctx, 0, sig_edits[_i].r, sig_edits[_i].why);
	/* settled at dkim_eoh: the milter is told not to look the key up */
	if (strcmp(sig_edits[_i].why, "signature did not verify") != 0)
		ck_assert(!dkim_sig(ctx, 0)->want_key);
	/* the other signature is untouched (it also has t=: not for the clock edits) */
	if (sig_edits[_i].now == RFC_NOW)
		expect(ctx, 1, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	free(text);
}
END_TEST

/* within the clock skew a future t= is fine; x= exactly now is not yet expired */
START_TEST(clock_edges)
{
	struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW - 300, rfc8463_msg, 64, false, rfc_keys,
					   N_RFC_KEYS);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	struct dkim_limits lim;
	dkim_limits_default(&lim);
	lim.clock_skew = 0;
	ctx = verify_text(&lim, RFC_NOW - 1, rfc8463_msg, 64, false, rfc_keys, N_RFC_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "signature timestamp in the future");
	dkim_free(ctx);
	/* x=: "signature expired" only once now is past it */
	char *text = replace1(rfc8463_msg, "t=1528637909;", "t=1528637909; x=1528637999;");
	ctx = verify_text(NULL, 1528637999, text, 64, false, rfc_keys, N_RFC_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "signature did not verify");	/* x= is signed */
	dkim_free(ctx);
	ctx = verify_text(NULL, 1528638000, text, 64, false, rfc_keys, N_RFC_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "signature expired");
	dkim_free(ctx);
	free(text);
}
END_TEST

/* what the key lookup and the key record decide */
static const struct {
	const char *record;		/* for brisbane; NULL: NXDOMAIN */
	enum dkim_result r;
	const char *why;
} key_cases[] = {
	{ NULL, DKIM_RESULT_PERMERROR, "no key for signature" },
	{ "!tempfail", DKIM_RESULT_TEMPERROR, "key lookup failed" },
	{ "v=DKIM1; k=ed25519; p=", DKIM_RESULT_PERMERROR, "key revoked" },
	{ RFC_RSA_RECORD, DKIM_RESULT_PERMERROR, "key type does not match a=" },
	{ "v=DKIM1; k=ed25519; h=sha1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PERMERROR, "key h= does not allow sha256" },
	{ "v=DKIM1; k=ed25519; h=sha1:sha256; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PASS, "" },
	{ "v=DKIM1; k=ed25519; s=tlsrpt; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PERMERROR, "key s= does not allow email" },
	{ "v=DKIM1; k=ed25519; s=tlsrpt:email; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PASS, "" },
	{ "v=DKIM1; k=ed25519; s=*; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PASS, "" },
	/* t=s: i= is @football.example.com, the same as d=: allowed */
	{ "v=DKIM1; k=ed25519; t=s; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PASS, "" },
	{ "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",
	  DKIM_RESULT_PERMERROR, "key p= is not base64" },
	{ "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==",
	  DKIM_RESULT_PERMERROR, "ed25519 key is not 32 octets" },
	{ "v=DKIM1; k=ed25519; p=11qYAYKx CrfVS/7TyWQHOg7\r\n\thcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PASS, "" },
	{ "k=ed25519; v=DKIM1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PERMERROR, "key v= is not the first tag" },
	{ "v=DKIM1; k=ed25519; p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	  DKIM_RESULT_FAIL, "signature did not verify" },
	{ "v=DKIM1; k=ed25519; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  DKIM_RESULT_PERMERROR, "duplicate tag" },
};

START_TEST(key_lookup_cases)
{
	struct tkey keys[2] = { { "test._domainkey.football.example.com", RFC_RSA_RECORD },
				{ "brisbane._domainkey.football.example.com", key_cases[_i].record } };
	size_t nkeys = key_cases[_i].record != NULL ? 2 : 1;
	for (int late = 0; late < 2; late++) {
		struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 64, late, keys, nkeys);
		expect(ctx, 0, key_cases[_i].r, key_cases[_i].why);
		expect(ctx, 1, DKIM_RESULT_PASS, "");
		dkim_free(ctx);
	}
}
END_TEST

/* t=s refuses an i= below d=; t=y is reported */
START_TEST(key_flags)
{
	char *text = replace1(rfc8463_msg, "i=@football.example.com", "i=joe@sub.football.example.com");
	struct tkey strict[] = { { "brisbane._domainkey.football.example.com",
				   "v=DKIM1; k=ed25519; t=s; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" } };
	struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, text, 64, false, strict, 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "key t=s requires i= domain equal to d=");
	ck_assert_str_eq(dkim_sig(ctx, 0)->identity, "joe@sub.football.example.com");
	dkim_free(ctx);
	struct tkey testing[] = { { "brisbane._domainkey.football.example.com",
				    "v=DKIM1; k=ed25519; t=y; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" } };
	ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 64, false, testing, 1);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	ck_assert(dkim_sig(ctx, 0)->key_testing);
	dkim_free(ctx);
	free(text);
}
END_TEST

/* several records: the first readable one is used; none readable: its reason */
START_TEST(key_several_records)
{
	struct tkey keys[] = {
		{ "brisbane._domainkey.football.example.com", "v=spf1 -all" },
		{ "brisbane._domainkey.football.example.com", RFC_ED_RECORD },
	};
	struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 64, false, keys, 2);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 64, false, keys, 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "key v= is not DKIM1");
	dkim_free(ctx);
	/* only the first DKIM_MAX_RECORDS records are looked at */
	struct tkey many[DKIM_MAX_RECORDS + 1];
	for (size_t i = 0; i < DKIM_MAX_RECORDS; i++)
		many[i] = keys[0];
	many[DKIM_MAX_RECORDS - 1] = keys[1];
	ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 64, false, many, DKIM_MAX_RECORDS);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	many[DKIM_MAX_RECORDS - 1] = keys[0];
	many[DKIM_MAX_RECORDS] = keys[1];
	ctx = verify_text(NULL, RFC_NOW, rfc8463_msg, 64, false, many, DKIM_MAX_RECORDS + 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "key v= is not DKIM1");
	dkim_free(ctx);
}
END_TEST

/* h= may name DKIM_MAX_HNAMES fields, not one more */
START_TEST(limit_hnames)
{
	char h[4 * DKIM_MAX_HNAMES + 32];
	size_t extra = DKIM_MAX_HNAMES - 8;	/* the example's h= names 8 fields */
	for (int over = 0; over < 2; over++) {
		strcpy(h, "h=");
		for (size_t i = 0; i < extra + (size_t)over; i++)
			strcat(h, "x:");
		strcat(h, "from : to :");
		char *text = replace1(rfc8463_msg, "h=from : to :", h);
		struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, text, 64, false, rfc_keys,
						   N_RFC_KEYS);
		if (over)
			expect(ctx, 0, DKIM_RESULT_PERMERROR, "h= lists too many fields");
		else
			expect(ctx, 0, DKIM_RESULT_FAIL, "signature did not verify");
		dkim_free(ctx);
		free(text);
	}
}
END_TEST

/* ---- limits and the calling protocol ------------------------------------------------------ */

START_TEST(limit_signatures)
{
	struct dkim_limits lim;
	dkim_limits_default(&lim);
	lim.max_signatures = 1;
	struct dkim_counts c;
	struct dkim_ctx *ctx = verify_text(&lim, RFC_NOW, rfc8463_msg, 64, false, rfc_keys,
					   N_RFC_KEYS);
	/* the one past the cap is counted, not listed */
	ck_assert_uint_eq(dkim_nsigs(ctx), 1);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	ck_assert_ptr_null(dkim_sig(ctx, 1));
	dkim_counts(ctx, &c);
	ck_assert_uint_eq(c.sig_fields, 2);
	ck_assert_uint_eq(c.sigs_ignored, 1);
	ck_assert_uint_eq(c.sig_records, 1);
	dkim_free(ctx);
	lim.max_signatures = 0;
	ctx = verify_text(&lim, RFC_NOW, rfc8463_msg, 64, false, rfc_keys, N_RFC_KEYS);
	ck_assert_uint_eq(dkim_nsigs(ctx), 0);
	dkim_counts(ctx, &c);
	ck_assert_uint_eq(c.sig_fields, 2);
	ck_assert_uint_eq(c.sigs_ignored, 2);
	ck_assert_uint_eq(c.sig_records, 0);
	dkim_free(ctx);
	dkim_counts(NULL, &c);
	ck_assert_uint_eq(c.sig_fields, 0);
}
END_TEST

/* flood_signatures - 20,000 DKIM-Signature fields: those past max_signatures cost a counter,
 * the context's memory stays bounded by the cap, the valid signatures still verify
 * (regression test: every field cost a record of about 4 KB, 57 MB for 14,000 fields) */
#define FLOOD 20000
START_TEST(flood_signatures)
{
	struct dkim_limits lim;
	struct dkim_counts c;
	struct dkim_ctx *ctx;
	struct tmsg m;
	size_t nsig = 0;

	tmsg_parse(&m, rfc8463_msg);
	dkim_limits_default(&lim);	/* 380 KB of fields not kept do not fill 256 KB */
	ck_assert_int_eq(dkim_new(&lim, RFC_NOW, &ctx), DKIM_OK);
	for (size_t i = 0; i < m.nf; i++) {
		ck_assert_int_eq(dkim_header(ctx, m.f[i].name, m.f[i].value), DKIM_OK);
		if (strcasecmp(m.f[i].name, "DKIM-Signature") == 0 && ++nsig == 2)
			for (size_t k = 0; k < FLOOD; k++)	/* below the two valid ones */
				ck_assert_int_eq(dkim_header(ctx, "DKIM-Signature", " x"), DKIM_OK);
	}
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_OK);
	dkim_counts(ctx, &c);
	ck_assert_uint_eq(c.sig_fields, FLOOD + 2);
	ck_assert_uint_eq(c.sigs_ignored, FLOOD + 2 - 8);
	ck_assert_uint_eq(c.sig_records, 8);
	ck_assert_uint_eq(dkim_nsigs(ctx), 8);
	ck_assert_msg(c.bytes_peak < 32 * 1024, "%zu octets held for %d fields", c.bytes_peak,
		      FLOOD);
	give_keys(ctx, rfc_keys, N_RFC_KEYS);
	ck_assert_int_eq(dkim_body(ctx, (const unsigned char *)m.body, strlen(m.body)), DKIM_OK);
	ck_assert_int_eq(dkim_eom(ctx), DKIM_OK);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	expect(ctx, 1, DKIM_RESULT_PASS, "");
	for (size_t i = 2; i < 8; i++)
		expect(ctx, i, DKIM_RESULT_PERMERROR, "tag without '='");
	dkim_free(ctx);
	free(m.store);

	/* a signature within the cap that may cover DKIM-Signature fields: the later fields
	 * are kept as plain fields (like any header flood, bounded by the header bytes), still
	 * without records */
	lim.max_header_bytes = 4 * 1024 * 1024;
	ck_assert_int_eq(dkim_new(&lim, RFC_NOW, &ctx), DKIM_OK);
	ck_assert_int_eq(dkim_header(ctx, "DKIM-Signature", " v=1; h=from:DKIM-Signature"), DKIM_OK);
	size_t bytes = 0;
	for (size_t k = 0; k < FLOOD; k++) {
		ck_assert_int_eq(dkim_header(ctx, "DKIM-Signature", " x"), DKIM_OK);
		bytes += strlen("DKIM-Signature: x\r\n");
	}
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_OK);
	dkim_counts(ctx, &c);
	ck_assert_uint_eq(c.sig_records, 8);
	ck_assert_uint_eq(dkim_nsigs(ctx), 8);
	ck_assert_uint_eq(c.sigs_ignored, FLOOD + 1 - 8);
	ck_assert_msg(c.bytes_peak < 8 * bytes, "%zu octets held for %zu octets of header",
		      c.bytes_peak, bytes);
	ck_assert_uint_lt(c.bytes_held, 8 * 1024);	/* the fields are gone after dkim_eoh */
	dkim_free(ctx);
}
END_TEST

/* record_size - a malformed signature's record holds little more than its reason */
START_TEST(record_size)
{
	struct dkim_limits lim;
	struct dkim_counts c;
	struct dkim_ctx *ctx;

	dkim_limits_default(&lim);
	lim.max_signatures = 64;
	ck_assert_int_eq(dkim_new(&lim, RFC_NOW, &ctx), DKIM_OK);
	for (size_t k = 0; k < 64; k++)
		ck_assert_int_eq(dkim_header(ctx, "DKIM-Signature", " x"), DKIM_OK);
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_OK);
	dkim_counts(ctx, &c);
	ck_assert_uint_eq(c.sig_records, 64);
	ck_assert_msg(c.bytes_held < 64 * 1024, "%zu octets for 64 malformed signatures",
		      c.bytes_held);
	dkim_free(ctx);

	/* kept fields past the cap still count against max_header_bytes */
	dkim_limits_default(&lim);
	lim.max_signatures = 1;
	lim.max_header_bytes = 1000;
	ck_assert_int_eq(dkim_new(&lim, RFC_NOW, &ctx), DKIM_OK);
	ck_assert_int_eq(dkim_header(ctx, "DKIM-Signature", " h=dkim-signature"), DKIM_OK);
	enum dkim_status st = DKIM_OK;
	for (size_t k = 0; k < 100 && st == DKIM_OK; k++)
		st = dkim_header(ctx, "DKIM-Signature", " x");
	ck_assert_int_eq(st, DKIM_ERR_LIMIT);
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_ERR_LIMIT);
	dkim_free(ctx);
}
END_TEST

START_TEST(limit_header_bytes)
{
	struct dkim_limits lim;
	struct tmsg m;
	struct dkim_ctx *ctx;
	size_t total = 0;

	tmsg_parse(&m, rfc8463_msg);
	for (size_t i = 0; i < m.nf; i++)
		total += strlen(m.f[i].name) + 1 + strlen(m.f[i].value) + 2;
	dkim_limits_default(&lim);
	lim.max_header_bytes = total;		/* exactly enough */
	ctx = verify_msg(&lim, RFC_NOW, &m, 64, false, rfc_keys, N_RFC_KEYS);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	dkim_free(ctx);

	lim.max_header_bytes = total - 1;	/* the last field does not fit */
	ck_assert_int_eq(dkim_new(&lim, RFC_NOW, &ctx), DKIM_OK);
	for (size_t i = 0; i + 1 < m.nf; i++)
		ck_assert_int_eq(dkim_header(ctx, m.f[i].name, m.f[i].value), DKIM_OK);
	ck_assert_int_eq(dkim_header(ctx, m.f[m.nf - 1].name, m.f[m.nf - 1].value), DKIM_ERR_LIMIT);
	ck_assert_int_eq(dkim_header(ctx, "X", " y"), DKIM_ERR_LIMIT);
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_ERR_LIMIT);
	ck_assert_uint_eq(dkim_nsigs(ctx), 2);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "header too large");
	expect(ctx, 1, DKIM_RESULT_PERMERROR, "header too large");
	dkim_free(ctx);
	free(m.store);
}
END_TEST

START_TEST(call_order)
{
	struct dkim_ctx *ctx;
	const char *why;
	const char *txt[] = { RFC_ED_RECORD };

	ck_assert_int_eq(dkim_new(NULL, RFC_NOW, NULL), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_new(NULL, RFC_NOW, &ctx), DKIM_OK);
	ck_assert_int_eq(dkim_body(ctx, (const unsigned char *)"x", 1), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_eom(ctx), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_header(ctx, NULL, "x"), DKIM_ERR_ARG);
	ck_assert_uint_eq(dkim_nsigs(ctx), 0);
	struct tmsg m;
	tmsg_parse(&m, rfc8463_msg);
	for (size_t i = 0; i < m.nf; i++)
		ck_assert_int_eq(dkim_header(ctx, m.f[i].name, m.f[i].value), DKIM_OK);
	ck_assert_int_eq(dkim_sig_key(ctx, 0, DKIM_KEY_FOUND, txt, 1), DKIM_ERR_ARG); /* no sigs yet */
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_OK);
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_header(ctx, "X", " y"), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_sig_key(ctx, 2, DKIM_KEY_FOUND, txt, 1), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_sig_key(ctx, 0, DKIM_KEY_FOUND, NULL, 1), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_sig_key(ctx, 0, DKIM_KEY_FOUND, txt, 1), DKIM_OK);
	ck_assert_int_eq(dkim_sig_key(ctx, 0, DKIM_KEY_FOUND, txt, 1), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_sig_result(ctx, 0, &why), DKIM_RESULT_TEMPERROR);
	ck_assert_str_eq(why, "verification incomplete: message not finished");
	ck_assert_int_eq(dkim_body(ctx, (const unsigned char *)m.body, strlen(m.body)), DKIM_OK);
	ck_assert_int_eq(dkim_body(ctx, NULL, 0), DKIM_OK);
	ck_assert_int_eq(dkim_eom(ctx), DKIM_OK);
	ck_assert_int_eq(dkim_eom(ctx), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_body(ctx, (const unsigned char *)"x", 1), DKIM_ERR_STATE);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	expect(ctx, 1, DKIM_RESULT_TEMPERROR, "verification incomplete: no key supplied");
	ck_assert_int_eq(dkim_sig_result(ctx, 9, &why), DKIM_RESULT_TEMPERROR);
	ck_assert_int_eq(dkim_sig_result(ctx, 0, NULL), DKIM_RESULT_PASS);
	ck_assert_ptr_null(dkim_sig(ctx, 2));
	ck_assert_ptr_null(dkim_sig(NULL, 0));
	dkim_free(ctx);
	dkim_free(NULL);
	free(m.store);
}
END_TEST

/* a message without signatures costs nothing and answers nothing */
START_TEST(no_signatures)
{
	struct dkim_ctx *ctx = verify_text(NULL, RFC_NOW, strstr(rfc8463_msg, "From:"), 3, false,
					   rfc_keys, N_RFC_KEYS);
	ck_assert_uint_eq(dkim_nsigs(ctx), 0);
	ck_assert_ptr_null(dkim_sig(ctx, 0));
	dkim_free(ctx);
}
END_TEST

/* ---- tag lists ------------------------------------------------------------------------------ */

/* tag_is - tag I is NAME=VALUE */
static void tag_is(const struct dkim_tag *t, size_t i, const char *name, const char *value)
{
	ck_assert_msg(t[i].name_len == strlen(name) && memcmp(t[i].name, name, t[i].name_len) == 0,
		      "tag %zu name %.*s, expected %s", i, (int)t[i].name_len, t[i].name, name);
	ck_assert_msg(t[i].value_len == strlen(value) && memcmp(t[i].value, value, t[i].value_len) == 0,
		      "tag %zu value \"%.*s\", expected \"%s\"", i, (int)t[i].value_len, t[i].value,
		      value);
}

START_TEST(tags_basic)
{
	struct dkim_tag t[8];
	size_t n = 99;
	const char *why;
	const char *s = " v = 1 ;\r\n\ta=  x  y \r\n ;b=;c_2=\tz;";

	ck_assert_int_eq(dkim_tags_parse(s, strlen(s), t, 8, &n, &why), DKIM_OK);
	ck_assert_uint_eq(n, 4);
	tag_is(t, 0, "v", "1");
	tag_is(t, 1, "a", "x  y");
	tag_is(t, 2, "b", "");
	tag_is(t, 3, "c_2", "z");
	/* raw span: right after '=' up to the ';' */
	ck_assert_uint_eq(t[0].raw_start, (size_t)(strchr(s, '=') - s + 1));
	ck_assert_int_eq(s[t[0].raw_end], ';');
	ck_assert_uint_eq(t[2].raw_end - t[2].raw_start, 0);
	/* no trailing ';', names are case-sensitive, empty list */
	ck_assert_int_eq(dkim_tags_parse("a=1; A=2", 8, t, 8, &n, &why), DKIM_OK);
	ck_assert_uint_eq(n, 2);
	tag_is(t, 1, "A", "2");
	ck_assert_uint_eq(t[1].raw_end, 8);
	ck_assert_int_eq(dkim_tags_parse("", 0, t, 8, &n, &why), DKIM_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(dkim_tags_parse(" \r\n ; ", 6, t, 8, &n, &why), DKIM_OK);
	ck_assert_uint_eq(n, 0);
	/* only LEN octets are read */
	ck_assert_int_eq(dkim_tags_parse("a=1;b=2", 3, t, 8, &n, &why), DKIM_OK);
	ck_assert_uint_eq(n, 1);
	tag_is(t, 0, "a", "1");
}
END_TEST

static const struct {
	const char *s;
	const char *why;
} tag_errors[] = {
	{ "a=1; a=2", "duplicate tag" },
	{ "bh=1; b=2; bh=3", "duplicate tag" },
	{ "1a=x", "malformed tag name" },
	{ "a-b=x", "malformed tag name" },
	{ "a b=x", "malformed tag name" },
	{ "=x", "malformed tag name" },
	{ "abc", "tag without '='" },
	{ "a=1; abc; b=2", "tag without '='" },
	{ "a=x\001y", "control character in tag value" },
	{ "a=x\177", "control character in tag value" },
	{ "abcdefghijklmnopqrstuvwxyz0123456=1", "tag name too long" },
};

START_TEST(tags_errors)
{
	struct dkim_tag t[8];
	size_t n = 99;
	const char *why = NULL;
	ck_assert_int_eq(dkim_tags_parse(tag_errors[_i].s, strlen(tag_errors[_i].s), t, 8, &n, &why),
			 DKIM_ERR_SYNTAX);
	ck_assert_str_eq(why, tag_errors[_i].why);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(tags_limits)
{
	struct dkim_tag t[DKIM_MAX_TAGS];
	size_t n;
	const char *why;
	char buf[DKIM_MAX_TAGS * 8 + 16];
	size_t len = 0;

	/* exactly MAX tags, then one more */
	for (int i = 0; i < DKIM_MAX_TAGS; i++)
		len += (size_t)sprintf(buf + len, "t%d=v;", i);
	ck_assert_int_eq(dkim_tags_parse(buf, len, t, DKIM_MAX_TAGS, &n, &why), DKIM_OK);
	ck_assert_uint_eq(n, DKIM_MAX_TAGS);
	len += (size_t)sprintf(buf + len, "x=y");
	ck_assert_int_eq(dkim_tags_parse(buf, len, t, DKIM_MAX_TAGS, &n, &why), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(why, "too many tags");

	/* a value of exactly the limit, then one octet more */
	size_t big = DKIM_MAX_TAG_VALUE + 3;
	char *v = malloc(big + 1);
	ck_assert_ptr_nonnull(v);
	memcpy(v, "b=", 2);
	memset(v + 2, 'A', DKIM_MAX_TAG_VALUE);
	ck_assert_int_eq(dkim_tags_parse(v, 2 + DKIM_MAX_TAG_VALUE, t, 8, &n, &why), DKIM_OK);
	ck_assert_uint_eq(t[0].value_len, DKIM_MAX_TAG_VALUE);
	v[2 + DKIM_MAX_TAG_VALUE] = 'A';
	ck_assert_int_eq(dkim_tags_parse(v, 3 + DKIM_MAX_TAG_VALUE, t, 8, &n, &why), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(why, "tag value too long");
	free(v);
	ck_assert_int_eq(dkim_tags_parse(NULL, 0, t, 8, &n, &why), DKIM_ERR_ARG);
}
END_TEST

/* a huge or garbled DKIM-Signature is a permerror with a reason, never a crash */
START_TEST(garbage_signatures)
{
	static const char *const bad[] = {
		"", ";;;;", "=", "v", "v=1; a=rsa-sha256; b=====; bh=; d=; h=; s=",
		"v=1; a=ed25519-sha256; b=!!!!; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		"d=x; h=from; s=y",
		"\xff\xfe=\x80",
		"v=1; a=ed25519-sha256; b=AAAA; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		"d=x; h=from; s=y; l=99999999999999999999999999999999999999999999999999999999999999"
		"99999999999999999999",
	};
	char *huge = malloc(100000);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'h', 99999);
	memcpy(huge, "v=1; h=", 7);
	huge[99999] = '\0';
	for (size_t i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		const char *v = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : huge;
		struct dkim_ctx *ctx;
		const char *why;
		ck_assert_int_eq(dkim_new(NULL, RFC_NOW, &ctx), DKIM_OK);
		ck_assert_int_eq(dkim_header(ctx, "DKIM-Signature", v), DKIM_OK);
		ck_assert_int_eq(dkim_header(ctx, "From", " a@x"), DKIM_OK);
		ck_assert_int_eq(dkim_eoh(ctx), DKIM_OK);
		ck_assert_uint_eq(dkim_nsigs(ctx), 1);
		ck_assert_int_eq(dkim_sig_result(ctx, 0, &why), DKIM_RESULT_PERMERROR);
		ck_assert_msg(*why != '\0', "no reason for garbage %zu", i);
		ck_assert(!dkim_sig(ctx, 0)->want_key);
		ck_assert_int_eq(dkim_eom(ctx), DKIM_OK);
		ck_assert_int_eq(dkim_sig_result(ctx, 0, &why), DKIM_RESULT_PERMERROR);
		dkim_free(ctx);
	}
	free(huge);
}
END_TEST

/* ---- key records ------------------------------------------------------------------------------ */

START_TEST(key_records)
{
	struct dkim_key k;
	const char *why;

	ck_assert_int_eq(dkim_key_parse(RFC_ED_RECORD, &k, &why), DKIM_OK);
	ck_assert_int_eq(k.type, DKIM_KEYTYPE_ED25519);
	ck_assert_uint_eq(k.plen, 32);
	ck_assert(k.allows_sha256 && k.for_email && !k.testing && !k.strict && !k.revoked);

	ck_assert_int_eq(dkim_key_parse(RFC_RSA_RECORD, &k, &why), DKIM_OK);
	ck_assert_int_eq(k.type, DKIM_KEYTYPE_RSA);
	ck_assert_uint_eq(k.plen, 162);

	/* defaults: k=rsa; p= with FWS inside */
	ck_assert_int_eq(dkim_key_parse("p=AQ AB", &k, &why), DKIM_OK);
	ck_assert_int_eq(k.type, DKIM_KEYTYPE_RSA);
	ck_assert_uint_eq(k.plen, 3);
	ck_assert(k.p[0] == 1 && k.p[1] == 0 && k.p[2] == 1);
	ck_assert_int_eq(dkim_key_parse("v=DKIM1; p=AQ\r\n\tAB; n=some notes", &k, &why), DKIM_OK);
	ck_assert_uint_eq(k.plen, 3);

	ck_assert_int_eq(dkim_key_parse("v=DKIM1; k=ed25519; t=y:s; s=email; h=sha256; p=AQAB",
					&k, &why), DKIM_OK);
	ck_assert(k.testing && k.strict && k.for_email && k.allows_sha256);
	ck_assert_int_eq(dkim_key_parse("v=DKIM1; t=y; p=AQAB", &k, &why), DKIM_OK);
	ck_assert(k.testing && !k.strict);
	ck_assert_int_eq(dkim_key_parse("t=x:s:z; p=AQAB", &k, &why), DKIM_OK);
	ck_assert(!k.testing && k.strict);
	ck_assert_int_eq(dkim_key_parse("h=sha1; p=AQAB", &k, &why), DKIM_OK);
	ck_assert(!k.allows_sha256);
	ck_assert_int_eq(dkim_key_parse("h=sha1 : sha256; p=AQAB", &k, &why), DKIM_OK);
	ck_assert(k.allows_sha256);
	ck_assert_int_eq(dkim_key_parse("s=tlsrpt; p=AQAB", &k, &why), DKIM_OK);
	ck_assert(!k.for_email);
	ck_assert_int_eq(dkim_key_parse("s=*; p=AQAB", &k, &why), DKIM_OK);
	ck_assert(k.for_email);
	ck_assert_int_eq(dkim_key_parse("v=DKIM1; p=", &k, &why), DKIM_OK);
	ck_assert(k.revoked);
	ck_assert_int_eq(dkim_key_parse("v=DKIM1; p= ; unknown=tag", &k, &why), DKIM_OK);
	ck_assert(k.revoked);
	ck_assert_int_eq(dkim_key_parse("K=dsa; p=AQAB", &k, &why), DKIM_OK);	/* K is not k */
	ck_assert_int_eq(k.type, DKIM_KEYTYPE_RSA);
}
END_TEST

static const struct {
	const char *record;
	const char *why;
} key_errors[] = {
	{ "v=DKIM2; p=AQAB", "key v= is not DKIM1" },
	{ "v=dkim1; p=AQAB", "key v= is not DKIM1" },
	{ "p=AQAB; v=DKIM1", "key v= is not the first tag" },
	{ "v=DKIM1; k=dsa; p=AQAB", "unknown key type" },
	{ "v=DKIM1; k=rsa", "key record has no p=" },
	{ "v=DKIM1; p=AQAB; p=AQAB", "duplicate tag" },
	{ "v=DKIM1; p=not base64!", "key p= is not base64" },
	{ "v=DKIM1; p=AQA", "key p= is not base64" },
	{ "v=DKIM1; p=AQ=B", "key p= is not base64" },
	{ "v=DKIM1; p=A===", "key p= is not base64" },
	{ "v=DKIM1 p=AQAB", "key v= is not DKIM1" },	/* one tag: v="DKIM1 p=AQAB" */
	{ "v=DKIM1; p=AQAB; 9=x", "malformed tag name" },
};

START_TEST(key_record_errors)
{
	struct dkim_key k;
	const char *why = NULL;
	ck_assert_int_eq(dkim_key_parse(key_errors[_i].record, &k, &why), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(why, key_errors[_i].why);
}
END_TEST

START_TEST(key_record_limits)
{
	struct dkim_key k;
	const char *why;
	/* p= just fitting DKIM_MAX_KEY_DER octets, then 3 more */
	size_t chars = DKIM_MAX_KEY_DER / 3 * 4;
	char *rec = malloc(chars + 16 + DKIM_MAX_RECORD);
	ck_assert_ptr_nonnull(rec);
	strcpy(rec, "p=");
	memset(rec + 2, 'A', chars);
	rec[2 + chars] = '\0';
	ck_assert_int_eq(dkim_key_parse(rec, &k, &why), DKIM_OK);
	ck_assert_uint_eq(k.plen, DKIM_MAX_KEY_DER / 3 * 3);
	strcat(rec, "AAAAAAAA");
	ck_assert_int_eq(dkim_key_parse(rec, &k, &why), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(why, "key p= too long");
	/* the whole record */
	memset(rec, ' ', DKIM_MAX_RECORD + 1);
	memcpy(rec, "p=", 2);
	rec[DKIM_MAX_RECORD + 1] = '\0';
	ck_assert_int_eq(dkim_key_parse(rec, &k, &why), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(why, "key record too long");
	rec[DKIM_MAX_RECORD] = '\0';
	ck_assert_int_eq(dkim_key_parse(rec, &k, &why), DKIM_OK);
	ck_assert(k.revoked);
	free(rec);
}
END_TEST

/* ---- canonicalisation --------------------------------------------------------------------------- */

/* canon_h - canonical form of one field as a string */
static char *canon_h(enum dkim_canon c, const char *name, const char *value)
{
	size_t n = dkim_canon_header(c, name, value, NULL, 0);
	char *out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(dkim_canon_header(c, name, value, out, n + 1), n);
	ck_assert_uint_eq(strlen(out), n);
	return out;
}

static const struct {
	const char *name, *value;
	const char *simple, *relaxed;
} header_canon[] = {
	/* RFC 6376 3.4.5 */
	{ "A", " X", "A: X\r\n", "a:X\r\n" },
	{ "B ", " Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
	/* LF-only folds become CRLF; relaxed unfolds */
	{ "Subject", " one\n two\r\n\tthree", "Subject: one\r\n two\r\n\tthree\r\n",
	  "subject:one two three\r\n" },
	{ "X-Empty", "", "X-Empty:\r\n", "x-empty:\r\n" },
	{ "X-Blank", " \t ", "X-Blank: \t \r\n", "x-blank:\r\n" },
	{ "DKIM-Signature", " a=1;\r\n b=", "DKIM-Signature: a=1;\r\n b=\r\n",
	  "dkim-signature:a=1; b=\r\n" },
	/* a bare CR is content */
	{ "X", " a\rb", "X: a\rb\r\n", "x:a\rb\r\n" },
};

START_TEST(canon_header_table)
{
	char *s = canon_h(DKIM_CANON_SIMPLE, header_canon[_i].name, header_canon[_i].value);
	char *r = canon_h(DKIM_CANON_RELAXED, header_canon[_i].name, header_canon[_i].value);
	ck_assert_str_eq(s, header_canon[_i].simple);
	ck_assert_str_eq(r, header_canon[_i].relaxed);
	free(s);
	free(r);
}
END_TEST

START_TEST(canon_header_small_buffer)
{
	char buf[6];
	memset(buf, 'Q', sizeof(buf));
	ck_assert_uint_eq(dkim_canon_header(DKIM_CANON_RELAXED, "Subject", " hello", buf, sizeof(buf)),
			  15);
	ck_assert_str_eq(buf, "subje");
	ck_assert_uint_eq(dkim_canon_header(DKIM_CANON_SIMPLE, "A", "", buf, 1), 4);
	ck_assert_str_eq(buf, "");
}
END_TEST

static const struct {
	const char *in;
	const char *simple, *relaxed;
} body_canon[] = {
	/* RFC 6376 3.4.5 */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
	/* empty body: simple is one CRLF, relaxed stays empty */
	{ "", "\r\n", "" },
	{ "\r\n", "\r\n", "" },
	{ "\r\n\r\n\r\n", "\r\n", "" },
	/* white space only: a line for simple, nothing for relaxed */
	{ " \t \r\n", " \t \r\n", "" },
	{ "  \r\n\t\r\n", "  \r\n\t\r\n", "" },
	/* no CRLF at the end: one is added */
	{ "abc", "abc\r\n", "abc\r\n" },
	{ "abc  ", "abc  \r\n", "abc\r\n" },
	/* empty lines inside stay, only the trailing ones go */
	{ "\r\n\r\na\r\n\r\nb\r\n\r\n", "\r\n\r\na\r\n\r\nb\r\n", "\r\n\r\na\r\n\r\nb\r\n" },
	{ "a\r\n \r\nb\r\n", "a\r\n \r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "a\r\n \t\r\n  \r\n", "a\r\n \t\r\n  \r\n", "a\r\n" },
	/* leading white space becomes one space, inner runs one space */
	{ "\t\t x  \t y\t\r\n", "\t\t x  \t y\t\r\n", " x y\r\n" },
	/* bare CR and bare LF are content */
	{ "a\rb\r\n", "a\rb\r\n", "a\rb\r\n" },
	{ "a\nb\r\n", "a\nb\r\n", "a\nb\r\n" },
	{ "a \r b\r\n", "a \r b\r\n", "a \r b\r\n" },
	{ "a\r", "a\r\r\n", "a\r\r\n" },
	{ "\r", "\r\r\n", "\r\r\n" },
	{ "a\r\r\n\r\n", "a\r\r\n", "a\r\r\n" },
	/* many empty lines released when content follows */
	{ "\r\n\r\n\r\n\r\n\r\n\r\n\r\nz", "\r\n\r\n\r\n\r\n\r\n\r\n\r\nz\r\n",
	  "\r\n\r\n\r\n\r\n\r\n\r\n\r\nz\r\n" },
};

/* canon_b - canonicalise IN fed as [0,i) [i,j) [j,n) */
static void canon_b(struct sbuf *out, enum dkim_canon c, const char *in, size_t i, size_t j)
{
	struct dkim_bodycanon bc;
	size_t n = strlen(in);
	out->n = 0;
	sbuf_add(out, "", 0);
	dkim_bodycanon_init(&bc, c, sbuf_sink, out);
	dkim_bodycanon_update(&bc, (const unsigned char *)in, i);
	dkim_bodycanon_update(&bc, (const unsigned char *)in + i, j - i);
	dkim_bodycanon_update(&bc, (const unsigned char *)in + j, n - j);
	dkim_bodycanon_final(&bc);
	ck_assert_uint_eq(bc.emitted, out->n);
}

/* every body, split in three at every pair of positions, both canonicalisations */
START_TEST(canon_body_table)
{
	struct sbuf out = { NULL, 0, 0 };
	const char *in = body_canon[_i].in;
	size_t n = strlen(in);

	for (size_t i = 0; i <= n; i++)
		for (size_t j = i; j <= n; j++) {
			canon_b(&out, DKIM_CANON_SIMPLE, in, i, j);
			ck_assert_msg(out.n == strlen(body_canon[_i].simple) &&
				      memcmp(out.p, body_canon[_i].simple, out.n) == 0,
				      "simple, split %zu/%zu of body %d", i, j, _i);
			canon_b(&out, DKIM_CANON_RELAXED, in, i, j);
			ck_assert_msg(out.n == strlen(body_canon[_i].relaxed) &&
				      memcmp(out.p, body_canon[_i].relaxed, out.n) == 0,
				      "relaxed, split %zu/%zu of body %d", i, j, _i);
		}
	free(out.p);
}
END_TEST

/* one octet at a time through a body longer than the canonicaliser's buffer */
START_TEST(canon_body_long)
{
	struct sbuf whole = { NULL, 0, 0 }, bytes = { NULL, 0, 0 }, in = { NULL, 0, 0 };
	for (int i = 0; i < 600; i++) {
		char line[64];
		int k = snprintf(line, sizeof(line), "%s%d \t x%s\r\n%s", i % 3 ? "" : "  ", i,
				 i % 5 ? "" : "   ", i % 7 ? "" : "\r\n \r\n");
		sbuf_add(&in, line, (size_t)k);
	}
	sbuf_add(&in, "\r\n\r\n \r\n", 8);
	for (int c = 0; c < 2; c++) {
		struct dkim_bodycanon bc;
		whole.n = bytes.n = 0;
		sbuf_add(&whole, "", 0);
		sbuf_add(&bytes, "", 0);
		dkim_bodycanon_init(&bc, (enum dkim_canon)c, sbuf_sink, &whole);
		dkim_bodycanon_update(&bc, (const unsigned char *)in.p, in.n);
		dkim_bodycanon_final(&bc);
		dkim_bodycanon_init(&bc, (enum dkim_canon)c, sbuf_sink, &bytes);
		for (size_t i = 0; i < in.n; i++) {
			dkim_bodycanon_update(&bc, (const unsigned char *)in.p + i, 1);
			ck_assert_uint_eq(bc.outlen, 0);	/* nothing held between calls */
		}
		dkim_bodycanon_final(&bc);
		ck_assert_uint_gt(whole.n, sizeof(bc.out));
		ck_assert_uint_eq(whole.n, bytes.n);
		ck_assert(memcmp(whole.p, bytes.p, whole.n) == 0);
		/* relaxed output has no WSP runs, no WSP before CRLF; both end in one CRLF */
		ck_assert(whole.n >= 2 && memcmp(whole.p + whole.n - 2, "\r\n", 2) == 0);
		ck_assert(whole.n < 4 || memcmp(whole.p + whole.n - 4, "\r\n\r\n", 4) != 0);
		if (c == DKIM_CANON_RELAXED) {
			ck_assert_ptr_null(strstr(whole.p, "  "));
			ck_assert_ptr_null(strstr(whole.p, "\t"));
			ck_assert_ptr_null(strstr(whole.p, " \r\n"));
		}
	}
	free(whole.p);
	free(bytes.p);
	free(in.p);
}
END_TEST

/* ---- a test signer, for what the published vectors do not cover -------------------------------- */

static EVP_PKEY *ed_key, *rsa1024, *rsa512;
static char ed_record[128], rsa_spki_record[512], rsa_pkcs1_record[512], rsa512_record[256];

/* keys_setup - the RFC 8463 Ed25519 key and two fresh RSA keys, with their records */
static void keys_setup(void)
{
	unsigned char seed[64], *der = NULL;
	int n;

	n = EVP_DecodeBlock(seed, (const unsigned char *)RFC_ED_SEED, (int)strlen(RFC_ED_SEED));
	ck_assert_int_ge(n, 32);
	ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	rsa1024 = EVP_RSA_gen(1024);
	rsa512 = EVP_RSA_gen(512);
	ck_assert(ed_key && rsa1024 && rsa512);
	snprintf(ed_record, sizeof(ed_record), "%s", RFC_ED_RECORD);
	n = i2d_PUBKEY(rsa1024, &der);
	char *p = b64(der, (size_t)n);
	snprintf(rsa_spki_record, sizeof(rsa_spki_record), "v=DKIM1; k=rsa; p=%s", p);
	OPENSSL_free(der);
	free(p);
	der = NULL;
	n = i2d_PublicKey(rsa1024, &der);	/* PKCS#1 RSAPublicKey */
	p = b64(der, (size_t)n);
	snprintf(rsa_pkcs1_record, sizeof(rsa_pkcs1_record), "v=DKIM1; p=%s", p);
	OPENSSL_free(der);
	free(p);
	der = NULL;
	n = i2d_PUBKEY(rsa512, &der);
	p = b64(der, (size_t)n);
	snprintf(rsa512_record, sizeof(rsa512_record), "v=DKIM1; k=rsa; p=%s", p);
	OPENSSL_free(der);
	free(p);
}

/* keys_teardown - free them */
static void keys_teardown(void)
{
	EVP_PKEY_free(ed_key);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa512);
}

/* test_sign - a DKIM-Signature value over M (fields and body) */
static char *test_sign(const struct tmsg *m, EVP_PKEY *key, const char *sel, const char *c,
		       const char *hlist, const char *extra, long l)
{
	bool ed = EVP_PKEY_is_a(key, "ED25519");
	enum dkim_canon hc = strncmp(c, "relaxed", 7) == 0 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	const char *slash = strchr(c, '/');
	enum dkim_canon bcn = slash && strcmp(slash + 1, "relaxed") == 0 ? DKIM_CANON_RELAXED
									 : DKIM_CANON_SIMPLE;
	struct sbuf body = { NULL, 0, 0 }, data = { NULL, 0, 0 };
	struct dkim_bodycanon bc;
	unsigned char bh[32], digest[32], sig[512];
	size_t siglen = sizeof(sig);

	sbuf_add(&body, "", 0);
	dkim_bodycanon_init(&bc, bcn, sbuf_sink, &body);
	dkim_bodycanon_update(&bc, (const unsigned char *)m->body, strlen(m->body));
	dkim_bodycanon_final(&bc);
	EVP_Digest(body.p, l >= 0 && (size_t)l < body.n ? (size_t)l : body.n, bh, NULL, EVP_sha256(),
		   NULL);
	char *bh64 = b64(bh, 32);
	char value[2048];
	snprintf(value, sizeof(value), " v=1; a=%s; c=%s; d=example.com; s=%s;%s h=%s;\r\n bh=%s; b=",
		 ed ? "ed25519-sha256" : "rsa-sha256", c, sel, extra, hlist, bh64);
	free(bh64);

	/* header fields: each name of h= takes the lowest unused instance from the bottom */
	bool used[TMAX_FIELDS] = { false };
	char names[512];
	snprintf(names, sizeof(names), "%s", hlist);
	for (char *save = NULL, *nm = strtok_r(names, ":", &save); nm != NULL;
	     nm = strtok_r(NULL, ":", &save)) {
		for (size_t k = m->nf; k-- > 0;)
			if (!used[k] && strcasecmp(m->f[k].name, nm) == 0) {
				used[k] = true;
				char *cf = canon_h(hc, m->f[k].name, m->f[k].value);
				sbuf_add(&data, cf, strlen(cf));
				free(cf);
				break;
			}
	}
	char *cf = canon_h(hc, "DKIM-Signature", value);
	sbuf_add(&data, cf, strlen(cf) - 2);
	free(cf);
	EVP_Digest(data.p, data.n, digest, NULL, EVP_sha256(), NULL);
	if (ed) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		ck_assert_int_eq(EVP_DigestSignInit(md, NULL, NULL, NULL, key), 1);
		ck_assert_int_eq(EVP_DigestSign(md, sig, &siglen, digest, 32), 1);
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
		ck_assert_int_eq(EVP_PKEY_sign_init(pc), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()), 1);
		ck_assert_int_eq(EVP_PKEY_sign(pc, sig, &siglen, digest, 32), 1);
		EVP_PKEY_CTX_free(pc);
	}
	char *b = b64(sig, siglen);
	size_t vl = strlen(value);
	snprintf(value + vl, sizeof(value) - vl, "%s", b);
	free(b);
	free(body.p);
	free(data.p);
	return strdup(value);
}

static const char base_msg[] =
	"Received: from a by b; Mon, 1 Jan 2024 00:00:01 +0000\r\n"
	"From: Alice <alice@example.com>\r\n"
	"To: Bob <bob@example.org>\r\n"
	"Subject:  Hello \t there\r\n"
	"\tfolded\r\n"
	"Received: from c by d; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	"\r\n"
	"Hi  Bob,\t\r\n"
	"\r\n"
	"  see you.  \r\n"
	"\r\n"
	"\r\n";

static const struct tkey test_keys_tab[] = {
	{ "ed._domainkey.example.com", ed_record },
	{ "rsa._domainkey.example.com", rsa_spki_record },
	{ "pk1._domainkey.example.com", rsa_pkcs1_record },
	{ "weak._domainkey.example.com", rsa512_record },
};
#define N_TEST_KEYS (sizeof(test_keys_tab) / sizeof(test_keys_tab[0]))

/* signed_text - TEXT with a DKIM-Signature field on top, signed as described */
static char *signed_text(const char *text, EVP_PKEY *key, const char *sel, const char *c,
			 const char *hlist, const char *extra, long l)
{
	struct tmsg m;
	tmsg_parse(&m, text);
	char *v = test_sign(&m, key, sel, c, hlist, extra, l);
	char *out = malloc(strlen(v) + strlen(text) + 32);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "DKIM-Signature:%s\r\n%s", v, text);
	free(v);
	free(m.store);
	return out;
}

static const struct {
	const char *sel, *c, *hlist, *extra;
	long l;
} sign_cases[] = {
	{ "ed", "relaxed/relaxed", "from:to:subject", "", -1 },
	{ "ed", "simple/simple", "from:to:subject", "", -1 },
	{ "ed", "relaxed/simple", "from:to:subject", "", -1 },
	{ "ed", "simple/relaxed", "from:to:subject", "", -1 },
	{ "ed", "simple", "from:to:subject", "", -1 },		/* body simple by default */
	{ "rsa", "relaxed/relaxed", "from:to:subject", "", -1 },
	{ "rsa", "simple/simple", "from:to:subject", "", -1 },
	{ "pk1", "relaxed/relaxed", "From:TO:Subject", "", -1 },	/* PKCS#1 key; name case */
	/* oversigning; repeated Received taken bottom-up; absent names contribute nothing */
	{ "ed", "relaxed/relaxed", "from:from:received:received:received:reply-to:subject", "", -1 },
	{ "ed", "simple/simple", "received:from:received", "", -1 },
	{ "ed", "relaxed/relaxed", "from:to", " l=9;", 9 },
	{ "ed", "simple/simple", "from:to", " l=0;", 0 },
	{ "rsa", "relaxed/relaxed", "from:to", " i=alice@mail.example.com; t=1700000000;", -1 },
};

START_TEST(signed_variants)
{
	char *text = signed_text(base_msg, strcmp(sign_cases[_i].sel, "ed") == 0 ? ed_key : rsa1024,
				 sign_cases[_i].sel, sign_cases[_i].c, sign_cases[_i].hlist,
				 sign_cases[_i].extra, sign_cases[_i].l);
	for (size_t chunk = 1; chunk <= 17; chunk += 4) {
		struct dkim_ctx *ctx = verify_text(NULL, 1700000100, text, chunk, chunk & 4,
						   test_keys_tab, N_TEST_KEYS);
		expect(ctx, 0, DKIM_RESULT_PASS, "");
		ck_assert_int_eq(dkim_sig(ctx, 0)->has_l, sign_cases[_i].l >= 0);
		dkim_free(ctx);
	}
	/* a changed body octet fails (inside l= where there is one) unless l=0 */
	char *bad = replace1(text, "Hi  Bob", "Hi  Rob");
	struct dkim_ctx *ctx = verify_text(NULL, 1700000100, bad, 64, false, test_keys_tab,
					   N_TEST_KEYS);
	if (sign_cases[_i].l == 0)
		expect(ctx, 0, DKIM_RESULT_PASS, "");
	else
		expect(ctx, 0, DKIM_RESULT_FAIL, "body hash mismatch");
	dkim_free(ctx);
	free(bad);
	/* a changed signed header fails */
	bad = replace1(text, "From: Alice", "From: Alicia");
	ctx = verify_text(NULL, 1700000100, bad, 64, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "signature did not verify");
	dkim_free(ctx);
	free(bad);
	free(text);
}
END_TEST

/* simple canonicalisation is strict about white space where relaxed is not */
START_TEST(simple_is_strict)
{
	char *text = signed_text(base_msg, ed_key, "ed", "simple/simple", "from:to:subject", "", -1);
	char *bad = replace1(text, "Subject:  Hello", "Subject: Hello");
	struct dkim_ctx *ctx = verify_text(NULL, 1, bad, 64, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "signature did not verify");
	dkim_free(ctx);
	free(bad);
	bad = replace1(text, "see you.  ", "see you.");
	ctx = verify_text(NULL, 1, bad, 64, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "body hash mismatch");
	dkim_free(ctx);
	free(bad);
	/* ... but it too ignores trailing empty lines */
	size_t n = strlen(text);
	char *more = malloc(n + 16);
	ck_assert_ptr_nonnull(more);
	sprintf(more, "%s\r\n\r\n", text);
	ctx = verify_text(NULL, 1, more, 64, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	free(more);
	free(text);
}
END_TEST

/* l=: text after the count is not covered; a body shorter than l= is a permerror */
START_TEST(body_length)
{
	char *text = signed_text(base_msg, ed_key, "ed", "relaxed/relaxed", "from:to", " l=9;", 9);
	size_t n = strlen(text);
	char *more = malloc(n + 64);
	ck_assert_ptr_nonnull(more);
	sprintf(more, "%sappended text\r\n", text);
	struct dkim_ctx *ctx = verify_text(NULL, 1, more, 3, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	ck_assert(dkim_sig(ctx, 0)->has_l);
	ck_assert_uint_eq(dkim_sig(ctx, 0)->l, 9);
	dkim_free(ctx);
	free(more);
	/* "Hi Bob,\r\n" is exactly 9 octets; cut the body to "Hi Bob\r\n" (8) */
	char *cut = replace1(text, "Hi  Bob,\t\r\n\r\n  see you.  \r\n", "Hi Bob\r\n");
	ctx = verify_text(NULL, 1, cut, 3, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "body shorter than l=");
	dkim_free(ctx);
	free(cut);
	/* and an l= larger than anything is a permerror too, not an overflow */
	char *huge = replace1(text, "l=9;", "l=99999999999999999999999999;");
	ctx = verify_text(NULL, 1, huge, 3, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "body shorter than l=");
	dkim_free(ctx);
	free(huge);
	free(text);
}
END_TEST

/* RSA keys: under 1024 bits refused (RFC 8301); a key for another algorithm refused */
START_TEST(rsa_key_checks)
{
	char *text = signed_text(base_msg, rsa512, "weak", "relaxed/relaxed", "from", "", -1);
	struct dkim_ctx *ctx = verify_text(NULL, 1, text, 64, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "RSA key too short");
	dkim_free(ctx);
	free(text);
	/* an Ed25519 key in an SPKI under k=rsa is not an RSA key */
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(ed_key, &der);
	char *p = b64(der, (size_t)n);
	OPENSSL_free(der);
	char rec[256];
	snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; p=%s", p);
	free(p);
	struct tkey keys[] = { { "rsa._domainkey.example.com", rec } };
	text = signed_text(base_msg, rsa1024, "rsa", "relaxed/relaxed", "from", "", -1);
	ctx = verify_text(NULL, 1, text, 64, false, keys, 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "key p= is not an RSA public key");
	dkim_free(ctx);
	/* garbage DER, and DER with trailing octets */
	struct tkey junk[] = { { "rsa._domainkey.example.com", "v=DKIM1; p=MIIBIjANBgkqhkiG9w0B" } };
	ctx = verify_text(NULL, 1, text, 64, false, junk, 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "key p= is not an RSA public key");
	dkim_free(ctx);
	char trailing[600];
	snprintf(trailing, sizeof(trailing), "%.*sAAAA", (int)strlen(rsa_spki_record), rsa_spki_record);
	struct tkey tr[] = { { "rsa._domainkey.example.com", trailing } };
	ctx = verify_text(NULL, 1, text, 64, false, tr, 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "key p= is not an RSA public key");
	dkim_free(ctx);
	free(text);

	/* over DKIM_RSA_MAX_BITS: refused before any verification work */
	BIGNUM *nb = BN_new();
	ck_assert_int_eq(BN_rand(nb, DKIM_RSA_MAX_BITS + 8, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *eb = BN_new();
	BN_set_word(eb, 65537);
	OSSL_PARAM_BLD_push_BN(bld, "n", nb);
	OSSL_PARAM_BLD_push_BN(bld, "e", eb);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *big = NULL;
	ck_assert_int_eq(EVP_PKEY_fromdata_init(fc), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(fc, &big, EVP_PKEY_PUBLIC_KEY, params), 1);
	der = NULL;
	n = i2d_PUBKEY(big, &der);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, DKIM_MAX_KEY_DER);
	p = b64(der, (size_t)n);
	OPENSSL_free(der);
	char bigrec[2048];
	snprintf(bigrec, sizeof(bigrec), "v=DKIM1; p=%s", p);
	free(p);
	struct tkey bigkeys[] = { { "rsa._domainkey.example.com", bigrec } };
	text = signed_text(base_msg, rsa1024, "rsa", "relaxed/relaxed", "from", "", -1);
	ctx = verify_text(NULL, 1, text, 64, false, bigkeys, 1);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "RSA key too long");
	dkim_free(ctx);
	free(text);
	EVP_PKEY_free(big);
	EVP_PKEY_CTX_free(fc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(nb);
	BN_free(eb);
}
END_TEST

/* h= naming DKIM-Signature: other signatures are covered, never the one being verified */
START_TEST(signature_over_signature)
{
	char *inner = signed_text(base_msg, rsa1024, "rsa", "relaxed/relaxed", "from:to", "", -1);
	/* the outer one signs the inner signature field (and, oversigned, a second one) */
	char *outer = signed_text(inner, ed_key, "ed", "relaxed/relaxed",
				  "from:dkim-signature:dkim-signature", "", -1);
	struct dkim_ctx *ctx = verify_text(NULL, 1, outer, 64, false, test_keys_tab, N_TEST_KEYS);
	ck_assert_uint_eq(dkim_nsigs(ctx), 2);
	ck_assert_str_eq(dkim_sig(ctx, 0)->selector, "ed");
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	expect(ctx, 1, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	/* altering the inner signature breaks both */
	char *bad = replace1(outer, "s=rsa;", "s=rsa; z=x;");
	ctx = verify_text(NULL, 1, bad, 64, false, test_keys_tab, N_TEST_KEYS);
	expect(ctx, 0, DKIM_RESULT_FAIL, "signature did not verify");
	expect(ctx, 1, DKIM_RESULT_FAIL, "signature did not verify");
	dkim_free(ctx);
	free(bad);

	/* a signature field placed below the one it covers: the scan passes over itself */
	struct tmsg m;
	tmsg_parse(&m, inner);
	char *v = test_sign(&m, ed_key, "ed", "relaxed/relaxed", "from:dkim-signature", "", -1);
	free(m.store);
	const char *rest = inner;
	do
		rest = strstr(rest, "\r\n") + 2;	/* the end of the inner field */
	while (*rest == ' ' || *rest == '\t');
	char *below = malloc(strlen(inner) + strlen(v) + 32);
	ck_assert_ptr_nonnull(below);
	sprintf(below, "%.*sDKIM-Signature:%s\r\n%s", (int)(rest - inner), inner, v, rest);
	ctx = verify_text(NULL, 1, below, 64, false, test_keys_tab, N_TEST_KEYS);
	ck_assert_str_eq(dkim_sig(ctx, 1)->selector, "ed");
	expect(ctx, 0, DKIM_RESULT_PASS, "");
	expect(ctx, 1, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	free(below);
	free(v);
	free(inner);
	free(outer);
}
END_TEST

/* several signatures share hashers: same (c=, l=) once; results stay per signature */
START_TEST(many_signatures)
{
	char *t1 = signed_text(base_msg, ed_key, "ed", "relaxed/relaxed", "from", "", -1);
	char *t2 = signed_text(t1, rsa1024, "rsa", "relaxed/relaxed", "from:to", "", -1);
	char *t3 = signed_text(t2, ed_key, "ed", "simple/simple", "from", " l=5;", 5);
	char *t4 = signed_text(t3, rsa1024, "rsa", "simple/relaxed", "subject:from", "", -1);
	char *t5 = replace1(t4, "s=rsa;", "s=nokey;");	/* the top one: no key published */
	struct dkim_ctx *ctx = verify_text(NULL, 1, t5, 2, true, test_keys_tab, N_TEST_KEYS);
	ck_assert_uint_eq(dkim_nsigs(ctx), 4);
	expect(ctx, 0, DKIM_RESULT_PERMERROR, "no key for signature");
	for (size_t i = 1; i < 4; i++)
		expect(ctx, i, DKIM_RESULT_PASS, "");
	dkim_free(ctx);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(t5);
}
END_TEST

/* ---- runner --------------------------------------------------------------------------------------- */

/* dkim_suite - every case */
static Suite *dkim_suite(void)
{
	Suite *s = suite_create("dkim");
	TCase *tc;

	tc = tcase_create("tags");
	tcase_add_test(tc, tags_basic);
	tcase_add_loop_test(tc, tags_errors, 0, (int)(sizeof(tag_errors) / sizeof(tag_errors[0])));
	tcase_add_test(tc, tags_limits);
	tcase_add_test(tc, garbage_signatures);
	suite_add_tcase(s, tc);

	tc = tcase_create("canon");
	tcase_add_loop_test(tc, canon_header_table, 0,
			    (int)(sizeof(header_canon) / sizeof(header_canon[0])));
	tcase_add_test(tc, canon_header_small_buffer);
	tcase_add_loop_test(tc, canon_body_table, 0, (int)(sizeof(body_canon) / sizeof(body_canon[0])));
	tcase_add_test(tc, canon_body_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, key_records);
	tcase_add_loop_test(tc, key_record_errors, 0, (int)(sizeof(key_errors) / sizeof(key_errors[0])));
	tcase_add_test(tc, key_record_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc8463");
	tcase_add_test(tc, rfc8463_example_verifies);
	tcase_add_test(tc, rfc8463_key_pair_matches);
	tcase_add_loop_test(tc, rfc8463_any_chunking, 1, 65);
	tcase_add_test(tc, rfc8463_lf_folds);
	tcase_add_loop_test(tc, rfc8463_edits, 0, (int)(sizeof(rfc_edits) / sizeof(rfc_edits[0])));
	tcase_add_loop_test(tc, signature_edits, 0, (int)(sizeof(sig_edits) / sizeof(sig_edits[0])));
	tcase_add_test(tc, clock_edges);
	tcase_add_loop_test(tc, key_lookup_cases, 0, (int)(sizeof(key_cases) / sizeof(key_cases[0])));
	tcase_add_test(tc, key_flags);
	tcase_add_test(tc, key_several_records);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, limit_signatures);
	tcase_add_test(tc, flood_signatures);
	tcase_add_test(tc, record_size);
	tcase_add_test(tc, limit_header_bytes);
	tcase_add_test(tc, limit_hnames);
	tcase_add_test(tc, call_order);
	tcase_add_test(tc, no_signatures);
	suite_add_tcase(s, tc);

	tc = tcase_create("signed");
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, signed_variants, 0, (int)(sizeof(sign_cases) / sizeof(sign_cases[0])));
	tcase_add_test(tc, simple_is_strict);
	tcase_add_test(tc, body_length);
	tcase_add_test(tc, rsa_key_checks);
	tcase_add_test(tc, signature_over_signature);
	tcase_add_test(tc, many_signatures);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; exit 1 if anything failed */
int main(void)
{
	SRunner *sr = srunner_create(dkim_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
