/*
 * milter/dkim/dkim.c - DKIM signature verification (RFC 6376, RFC 8301, RFC 8463).
 *
 * Contract, limits and results: see dkim.h.  No I/O, no globals (the optional key cache is
 * the caller's, see keycache.h); OpenSSL 3 EVP only.  Tag-lists and key records are read in
 * dkim-tags.c, header fields and the body canonicalised in dkim-canon.c, header data and
 * bodies hashed and signatures checked in dkim-verify.c; this file keeps the context, parses
 * the signatures and settles their results.  What the parts share is in dkim-int.h.
 *
 * Flow: dkim_header() keeps each field (its value with folds made CRLF) until dkim_eoh(),
 * which parses every DKIM-Signature field, computes for each usable one the SHA-256 of its
 * canonicalised header data (so the fields can be dropped at once), and sets up one body
 * hasher per distinct (body canonicalisation, l=).  dkim_body() runs each needed
 * canonicaliser once and feeds its output to the hashers that use it.  A signature is
 * settled by sig_finish() as soon as both its key (dkim_sig_key) and the body hashes
 * (dkim_eom) are in, whichever comes last.
 */
#include "dkim.h"
#include "dkim-int.h"
#include "b64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define MAX_SIG_OCTETS	1024		/* RSA 8192 */
#define MAX_DOMAIN	253

/* ---- small helpers --------------------------------------------------------------------- */

/* valid_domain - letters, digits, '-' and '_' in dot-separated labels of 1..63 */
static bool valid_domain(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > MAX_DOMAIN)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* parse_decimal - 1..MAXDIGITS digits; saturates at UINT64_MAX */
static bool parse_decimal(const char *s, size_t n, size_t maxdigits, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > maxdigits)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v;
	return true;
}

static bool is_sig_field(const char *name);

/* held_add - count N octets the context now holds */
static void held_add(struct dkim_ctx *ctx, size_t n)
{
	ctx->held += n;
	if (ctx->held > ctx->peak)
		ctx->peak = ctx->held;
}

/* ctx_dup - a counted, NUL-terminated copy of the span S/N, or NULL */
static char *ctx_dup(struct dkim_ctx *ctx, const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	held_add(ctx, n + 1);
	return p;
}

/* mentions_sig_field - does the field value V name DKIM-Signature anywhere (a superset of
 * "its h= lists DKIM-Signature", cheap enough to ask of every field) */
static bool mentions_sig_field(const char *v)
{
	static const char word[] = "dkim-signature";
	for (; *v; v++) {
		size_t i = 0;
		while (i < sizeof(word) - 1 && v[i] && lc((unsigned char)v[i]) == word[i])
			i++;
		if (i == sizeof(word) - 1)
			return true;
	}
	return false;
}

/* ---- public building blocks ------------------------------------------------------------ */

/* dkim_result_name - RFC 8601 spelling */
const char *dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_RESULT_NONE:
		return "none";
	case DKIM_RESULT_PASS:
		return "pass";
	case DKIM_RESULT_FAIL:
		return "fail";
	case DKIM_RESULT_POLICY:
		return "policy";
	case DKIM_RESULT_NEUTRAL:
		return "neutral";
	case DKIM_RESULT_TEMPERROR:
		return "temperror";
	case DKIM_RESULT_PERMERROR:
		return "permerror";
	}
	return "temperror";
}

/* dkim_status_text - a few words */
const char *dkim_status_text(enum dkim_status s)
{
	switch (s) {
	case DKIM_OK:
		return "ok";
	case DKIM_ERR_ARG:
		return "bad argument";
	case DKIM_ERR_STATE:
		return "called out of order";
	case DKIM_ERR_NOMEM:
		return "out of memory";
	case DKIM_ERR_LIMIT:
		return "limit exceeded";
	case DKIM_ERR_SYNTAX:
		return "malformed input";
	case DKIM_ERR_CRYPTO:
		return "crypto library failure";
	}
	return "unknown status";
}

/* ---- context --------------------------------------------------------------------------- */

/* dkim_limits_default - defaults */
void dkim_limits_default(struct dkim_limits *lim)
{
	lim->max_signatures = 8;
	lim->max_header_bytes = 256 * 1024;
	lim->clock_skew = 300;
	lim->keys = NULL;
}

/* dkim_new - allocate */
enum dkim_status dkim_new(const struct dkim_limits *lim, time_t now, struct dkim_ctx **out)
{
	struct dkim_ctx *ctx;

	if (out == NULL)
		return DKIM_ERR_ARG;
	*out = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return DKIM_ERR_NOMEM;
	if (lim != NULL)
		ctx->lim = *lim;
	else
		dkim_limits_default(&ctx->lim);
	ctx->now = now;
	ctx->state = ST_HEADER;
	*out = ctx;
	return DKIM_OK;
}

/* free_fields - drop the kept header */
static void free_fields(struct dkim_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nfields; i++) {
		free(ctx->fields[i].name);
		ctx->held -= ctx->fields[i].size;
	}
	free(ctx->fields);
	ctx->held -= ctx->capfields * sizeof(*ctx->fields);
	ctx->fields = NULL;
	ctx->nfields = ctx->capfields = 0;
}

/* dkim_free - release */
void dkim_free(struct dkim_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free_fields(ctx);
	for (size_t i = 0; i < ctx->nsigs; i++) {
		struct sig *s = &ctx->sigs[i];
		free(s->domain);
		free(s->selector);
		free(s->query);
		free(s->algorithm);
		free(s->identity);
		free(s->b);
		free(s->hbuf);
		free(s->hn);
		EVP_PKEY_free(s->pkey);
	}
	free(ctx->sigs);
	for (size_t i = 0; i < ctx->nhashers; i++)
		EVP_MD_CTX_free(ctx->hashers[i].md);
	free(ctx->hashers);
	free(ctx->scratch);
	free(ctx);
}

/* dkim_header - keep one field, folds normalised to CRLF */
enum dkim_status dkim_header(struct dkim_ctx *ctx, const char *name, const char *value)
{
	if (ctx == NULL || name == NULL || value == NULL)
		return DKIM_ERR_ARG;
	if (ctx->state != ST_HEADER)
		return DKIM_ERR_STATE;
	if (ctx->overflow)
		return DKIM_ERR_LIMIT;

	size_t nlen = strlen(name), vlen = strlen(value), bare_lf = 0;
	for (size_t i = 0; i < vlen; i++)
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			bare_lf++;
	size_t need = nlen + 1 + vlen + bare_lf + 2;	/* name ':' value CRLF */
	/* DKIM-Signature fields past max_signatures cost a counter: no record, and no copy
	 * either unless a verified signature may cover DKIM-Signature fields (its h= may list
	 * them; then they are kept like any other field, within max_header_bytes).  A field
	 * not kept does not count against max_header_bytes: it costs nothing to bound */
	bool sig = is_sig_field(name);
	if (sig && ctx->sig_fields >= ctx->lim.max_signatures) {
		if (!ctx->keep_extra_sigs) {
			ctx->sig_fields++;
			ctx->sigs_ignored++;
			return DKIM_OK;
		}
		sig = false;		/* kept, counted below once it fits */
	} else if (sig && mentions_sig_field(value)) {
		ctx->keep_extra_sigs = true;
	}
	if (need > ctx->lim.max_header_bytes - ctx->header_bytes ||
	    ctx->header_bytes > ctx->lim.max_header_bytes) {
		ctx->overflow = true;
		return DKIM_ERR_LIMIT;
	}
	if (is_sig_field(name)) {
		ctx->sig_fields++;
		ctx->sigs_ignored += sig ? 0 : 1;
	}
	if (ctx->nfields == ctx->capfields) {
		size_t ncap = ctx->capfields ? ctx->capfields * 2 : 32;
		struct field *nf = realloc(ctx->fields, ncap * sizeof(*nf));
		if (nf == NULL)
			return DKIM_ERR_NOMEM;
		held_add(ctx, (ncap - ctx->capfields) * sizeof(*nf));
		ctx->fields = nf;
		ctx->capfields = ncap;
	}
	size_t size = nlen + 1 + vlen + bare_lf + 1;
	char *block = malloc(size);
	if (block == NULL)
		return DKIM_ERR_NOMEM;
	held_add(ctx, size);
	memcpy(block, name, nlen + 1);
	char *v = block + nlen + 1, *w = v;
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			*w++ = '\r';
		*w++ = value[i];
	}
	*w = '\0';
	struct field *f = &ctx->fields[ctx->nfields++];
	f->name = block;
	f->value = v;
	f->value_len = (size_t)(w - v);
	f->size = size;
	f->sig = sig;
	ctx->header_bytes += need;
	return DKIM_OK;
}

/* sig_set - settle a signature's result (first settlement wins) */
static void sig_set(struct sig *s, enum dkim_result r, const char *reason)
{
	if (s->info.status != DKIM_RESULT_NONE)
		return;
	s->info.status = r;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	s->info.reason = s->reason;
	s->info.want_key = false;
	EVP_PKEY_free(s->pkey);
	s->pkey = NULL;
}

/* sig_publish - point the public info at the signature's own strings */
static void sig_publish(struct sig *s)
{
	s->info.domain = s->domain != NULL ? s->domain : "";
	s->info.selector = s->selector != NULL ? s->selector : "";
	s->info.identity = s->identity != NULL ? s->identity : "";
	s->info.algorithm = s->algorithm != NULL ? s->algorithm : "";
	s->info.header_b = s->header_b;
	s->info.query = s->info.want_key && s->query != NULL ? s->query : "";
	s->info.reason = s->reason;
}

/* sig_parse - read and check one DKIM-Signature field; false with reason if unusable */
static bool sig_parse(struct dkim_ctx *ctx, struct sig *s, const struct field *f,
		      enum dkim_result *res, char *reason, size_t rsize)
{
	struct dkim_tag tags[DKIM_MAX_TAGS];
	size_t n;
	const char *why;
	const struct dkim_tag *t;
	static const char *const required[] = { "v", "a", "b", "bh", "d", "h", "s" };

	*res = DKIM_RESULT_PERMERROR;
	if (dkim_tags_parse(f->value, f->value_len, tags, DKIM_MAX_TAGS, &n, &why) != DKIM_OK) {
		snprintf(reason, rsize, "%s", why);
		return false;
	}
	/* names for the report, even when the signature turns out unusable */
	if ((t = dkim_find_tag(tags, n, "d")) != NULL && valid_domain(t->value, t->value_len) &&
	    (s->domain = ctx_dup(ctx, t->value, t->value_len)) == NULL)
		goto nomem;
	if ((t = dkim_find_tag(tags, n, "s")) != NULL && valid_domain(t->value, t->value_len) &&
	    (s->selector = ctx_dup(ctx, t->value, t->value_len)) == NULL)
		goto nomem;
	if ((t = dkim_find_tag(tags, n, "a")) != NULL &&
	    (s->algorithm = ctx_dup(ctx, t->value, t->value_len < 31 ? t->value_len : 31)) == NULL)
		goto nomem;
	if ((t = dkim_find_tag(tags, n, "b")) != NULL) {
		/* base64 characters only (a header.b value must not carry "(", ";" or a quote
		 * into the Authentication-Results field); anything else and there is none */
		size_t k = 0;
		for (size_t i = 0; i < t->value_len && k < DKIM_HEADER_B_LEN; i++) {
			int c = (unsigned char)t->value[i];
			if (is_fws(c))
				continue;
			if (pw_b64_value(c) < 0 && c != '=') {
				k = 0;
				break;
			}
			s->header_b[k++] = (char)c;
		}
		s->header_b[k] = '\0';
	}

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (dkim_find_tag(tags, n, required[i]) == NULL) {
			snprintf(reason, rsize, "missing tag %s=", required[i]);
			return false;
		}
	t = dkim_find_tag(tags, n, "v");
	if (t->value_len != 1 || t->value[0] != '1') {
		snprintf(reason, rsize, "unsupported version");
		return false;
	}
	t = dkim_find_tag(tags, n, "a");
	if (dkim_span_caseeq(t->value, t->value_len, "rsa-sha256"))
		s->alg = ALG_RSA_SHA256;
	else if (dkim_span_caseeq(t->value, t->value_len, "ed25519-sha256"))
		s->alg = ALG_ED25519_SHA256;
	else if (dkim_span_caseeq(t->value, t->value_len, "rsa-sha1")) {
		snprintf(reason, rsize, "rsa-sha1 not accepted (RFC 8301)");
		return false;
	} else {
		snprintf(reason, rsize, "unknown algorithm");
		return false;
	}
	t = dkim_find_tag(tags, n, "b");
	s->b_raw_start = t->raw_start;
	s->b_raw_end = t->raw_end;
	unsigned char b[MAX_SIG_OCTETS];
	size_t blen;
	if (!dkim_b64_decode(t->value, t->value_len, b, sizeof(b), &blen)) {
		snprintf(reason, rsize, t->value_len * 3 / 4 > sizeof(b) ? "b= too long"
									: "b= is not base64");
		return false;
	}
	if (blen == 0) {
		snprintf(reason, rsize, "b= is empty");
		return false;
	}
	if ((s->b = malloc(blen)) == NULL)
		goto nomem;
	held_add(ctx, blen);
	memcpy(s->b, b, blen);
	s->blen = blen;
	t = dkim_find_tag(tags, n, "bh");
	unsigned char bh[48];
	size_t bhlen;
	if (!dkim_b64_decode(t->value, t->value_len, bh, sizeof(bh), &bhlen) || bhlen != SHA256_LEN) {
		snprintf(reason, rsize, "bh= is not a SHA-256 digest");
		return false;
	}
	memcpy(s->bh, bh, SHA256_LEN);
	s->hc = s->bc = DKIM_CANON_SIMPLE;
	if ((t = dkim_find_tag(tags, n, "c")) != NULL) {
		const char *slash = memchr(t->value, '/', t->value_len);
		size_t hl = slash ? (size_t)(slash - t->value) : t->value_len;
		bool ok = true;
		if (dkim_span_caseeq(t->value, hl, "relaxed"))
			s->hc = DKIM_CANON_RELAXED;
		else if (!dkim_span_caseeq(t->value, hl, "simple"))
			ok = false;
		if (slash != NULL) {
			size_t bl = t->value_len - hl - 1;
			if (dkim_span_caseeq(slash + 1, bl, "relaxed"))
				s->bc = DKIM_CANON_RELAXED;
			else if (!dkim_span_caseeq(slash + 1, bl, "simple"))
				ok = false;
		}
		if (!ok) {
			snprintf(reason, rsize, "unknown canonicalization");
			return false;
		}
	}
	t = dkim_find_tag(tags, n, "d");
	if (!valid_domain(t->value, t->value_len)) {
		snprintf(reason, rsize, "d= is not a domain name");
		return false;
	}
	t = dkim_find_tag(tags, n, "s");
	if (!valid_domain(t->value, t->value_len)) {
		snprintf(reason, rsize, "s= is not a valid selector");
		return false;
	}
	size_t sl = strlen(s->selector), dl = strlen(s->domain), ml = strlen("._domainkey.");
	if (sl + ml + dl > MAX_DOMAIN) {
		snprintf(reason, rsize, "key query name too long");
		return false;
	}
	if ((s->query = malloc(sl + ml + dl + 1)) == NULL)
		goto nomem;
	held_add(ctx, sl + ml + dl + 1);
	memcpy(s->query, s->selector, sl);
	memcpy(s->query + sl, "._domainkey.", ml);
	memcpy(s->query + sl + ml, s->domain, dl + 1);

	/* h=: names separated by ':' with FWS around them; From required */
	t = dkim_find_tag(tags, n, "h");
	size_t nnames = 1;
	for (size_t i = 0; i < t->value_len && nnames <= DKIM_MAX_HNAMES; i++)
		if (t->value[i] == ':')
			nnames++;
	if (nnames > DKIM_MAX_HNAMES)
		nnames = DKIM_MAX_HNAMES;
	if ((s->hbuf = ctx_dup(ctx, t->value, t->value_len)) == NULL ||
	    (s->hn = malloc(nnames * sizeof(*s->hn))) == NULL)
		goto nomem;
	held_add(ctx, nnames * sizeof(*s->hn));
	bool from = false;
	size_t start = 0;
	for (size_t i = 0; i <= t->value_len; i++) {
		if (i < t->value_len && s->hbuf[i] != ':')
			continue;
		const char *p = s->hbuf + start;
		size_t len = i - start;
		dkim_trim_fws(&p, &len);
		bool ok = len > 0;
		for (size_t k = 0; k < len && ok; k++)
			ok = (unsigned char)p[k] > 0x20 && (unsigned char)p[k] < 0x7f;
		if (!ok) {
			snprintf(reason, rsize, "h= malformed");
			return false;
		}
		if (s->nh >= DKIM_MAX_HNAMES) {
			snprintf(reason, rsize, "h= lists too many fields");
			return false;
		}
		s->hn[s->nh].off = (size_t)(p - s->hbuf);
		s->hn[s->nh].len = len;
		s->nh++;
		if (dkim_span_caseeq(p, len, "from"))
			from = true;
		start = i + 1;
	}
	if (!from) {
		snprintf(reason, rsize, "From not signed");
		return false;
	}

	/* i=: [local-part] "@" domain, the domain d= or below */
	size_t dlen = strlen(s->domain);
	if ((t = dkim_find_tag(tags, n, "i")) != NULL) {
		const char *at = NULL;
		for (size_t i = 0; i < t->value_len; i++)
			if (t->value[i] == '@')
				at = t->value + i;
		if (at == NULL) {
			snprintf(reason, rsize, "i= has no @");
			return false;
		}
		const char *idom = at + 1;
		size_t ilen = t->value_len - (size_t)(idom - t->value);
		bool inside = dkim_span_caseeq(idom, ilen, s->domain) ||
			      (ilen > dlen && idom[ilen - dlen - 1] == '.' &&
			       dkim_span_caseeq(idom + ilen - dlen, dlen, s->domain));
		if (!inside) {
			snprintf(reason, rsize, "i= not within d=");
			return false;
		}
		s->identity = ctx_dup(ctx, t->value, t->value_len);
	} else if ((s->identity = malloc(dlen + 2)) != NULL) {
		held_add(ctx, dlen + 2);
		s->identity[0] = '@';
		memcpy(s->identity + 1, s->domain, dlen + 1);
	}
	if (s->identity == NULL)
		goto nomem;

	if ((t = dkim_find_tag(tags, n, "l")) != NULL) {
		if (!parse_decimal(t->value, t->value_len, 76, &s->info.l)) {
			snprintf(reason, rsize, "l= malformed");
			return false;
		}
		s->info.has_l = true;
	}
	if ((t = dkim_find_tag(tags, n, "q")) != NULL && !dkim_list_has(t->value, t->value_len, "dns/txt")) {
		snprintf(reason, rsize, "no supported query method");
		return false;
	}
	uint64_t v;
	if ((t = dkim_find_tag(tags, n, "t")) != NULL) {
		if (!parse_decimal(t->value, t->value_len, 12, &v)) {
			snprintf(reason, rsize, "t= malformed");
			return false;
		}
		s->info.has_t = true;
		s->info.t = (int64_t)v;
	}
	if ((t = dkim_find_tag(tags, n, "x")) != NULL) {
		if (!parse_decimal(t->value, t->value_len, 12, &v)) {
			snprintf(reason, rsize, "x= malformed");
			return false;
		}
		s->info.has_x = true;
		s->info.x = (int64_t)v;
	}
	if (s->info.has_t && s->info.has_x && s->info.x <= s->info.t) {
		snprintf(reason, rsize, "x= not after t=");
		return false;
	}
	int64_t now = (int64_t)ctx->now;
	if (s->info.has_t && s->info.t > now + (int64_t)ctx->lim.clock_skew) {
		*res = DKIM_RESULT_FAIL;
		snprintf(reason, rsize, "signature timestamp in the future");
		return false;
	}
	if (s->info.has_x && now > s->info.x) {
		*res = DKIM_RESULT_FAIL;
		snprintf(reason, rsize, "signature expired");
		return false;
	}
	return true;
nomem:
	*res = DKIM_RESULT_TEMPERROR;
	snprintf(reason, rsize, "internal error");
	ctx->broken = true;
	return false;
}

/* is_sig_field - a DKIM-Signature field */
static bool is_sig_field(const char *name)
{
	size_t n = strlen(name);
	while (n > 0 && is_wsp((unsigned char)name[n - 1]))
		n--;
	return dkim_span_caseeq(name, n, "DKIM-Signature");
}

/* dkim_eoh - parse the signatures and prepare the hashes */
enum dkim_status dkim_eoh(struct dkim_ctx *ctx)
{
	size_t nsig = 0;
	enum dkim_status ret = DKIM_OK;

	if (ctx == NULL)
		return DKIM_ERR_ARG;
	if (ctx->state != ST_HEADER)
		return DKIM_ERR_STATE;
	ctx->state = ST_BODY;

	for (size_t i = 0; i < ctx->nfields; i++)
		if (ctx->fields[i].sig)
			nsig++;
	if (nsig == 0) {
		free_fields(ctx);
		return ctx->overflow ? DKIM_ERR_LIMIT : DKIM_OK;
	}
	ctx->sigs = calloc(nsig, sizeof(*ctx->sigs));
	ctx->hashers = calloc(nsig, sizeof(*ctx->hashers));
	if (ctx->sigs == NULL || ctx->hashers == NULL) {
		free(ctx->sigs);
		free(ctx->hashers);
		ctx->sigs = NULL;
		ctx->hashers = NULL;
		ctx->broken = true;
		free_fields(ctx);
		return DKIM_ERR_NOMEM;
	}
	ctx->nsigs = nsig;
	held_add(ctx, nsig * (sizeof(*ctx->sigs) + sizeof(*ctx->hashers)));

	/* field index sorted by name, for bottom-up selection in O(log n) per name */
	struct hentry *byname = malloc(ctx->nfields * sizeof(*byname));
	if (byname != NULL)
		held_add(ctx, ctx->nfields * sizeof(*byname));
	if (byname == NULL) {
		ctx->broken = true;
		ret = DKIM_ERR_NOMEM;
	} else {
		for (size_t i = 0; i < ctx->nfields; i++) {
			size_t len = strlen(ctx->fields[i].name);
			while (len > 0 && is_wsp((unsigned char)ctx->fields[i].name[len - 1]))
				len--;
			byname[i].name = ctx->fields[i].name;
			byname[i].len = len;
			byname[i].idx = i;
		}
		qsort(byname, ctx->nfields, sizeof(*byname), dkim_hentry_cmp);
	}

	size_t k = 0;
	for (size_t i = 0; i < ctx->nfields; i++) {
		if (!ctx->fields[i].sig)
			continue;
		struct sig *s = &ctx->sigs[k];
		s->field = i;
		s->info.status = DKIM_RESULT_NONE;
		s->info.want_key = true;
		k++;

		enum dkim_result res;
		char why[DKIM_REASON_LEN];
		bool usable = sig_parse(ctx, s, &ctx->fields[i], &res, why, sizeof(why));
		if (!usable) {
			sig_set(s, res, why);
		} else if (ctx->overflow) {
			sig_set(s, DKIM_RESULT_PERMERROR, "header too large");
		} else if (ctx->broken || byname == NULL) {
			sig_set(s, DKIM_RESULT_TEMPERROR, "internal error");
		} else if (!dkim_sig_hash_header(ctx, s, byname, ctx->nfields) || !dkim_sig_hasher(ctx, s)) {
			ctx->broken = true;
			ret = DKIM_ERR_CRYPTO;
			sig_set(s, DKIM_RESULT_TEMPERROR, "internal error");
		}
		sig_publish(s);
	}
	if (byname != NULL)
		ctx->held -= ctx->nfields * sizeof(*byname);
	free(byname);
	free_fields(ctx);
	if (ret == DKIM_OK && ctx->broken)
		ret = DKIM_ERR_NOMEM;
	if (ret == DKIM_OK && ctx->overflow)
		ret = DKIM_ERR_LIMIT;
	return ret;
}

/* dkim_body - one chunk */
enum dkim_status dkim_body(struct dkim_ctx *ctx, const unsigned char *buf, size_t len)
{
	if (ctx == NULL || (buf == NULL && len > 0))
		return DKIM_ERR_ARG;
	if (ctx->state != ST_BODY)
		return DKIM_ERR_STATE;
	if (ctx->broken)
		return DKIM_ERR_CRYPTO;
	for (int c = 0; c < 2; c++)
		if (ctx->canon_used[c])
			dkim_bodycanon_update(&ctx->canon[c], buf, len);
	return ctx->broken ? DKIM_ERR_CRYPTO : DKIM_OK;
}

/* sig_finish - body hash and signature check, once key and body are both in */
static void sig_finish(struct dkim_ctx *ctx, struct sig *s)
{
	if (s->info.status != DKIM_RESULT_NONE || s->pkey == NULL || ctx->state != ST_DONE)
		return;
	if (ctx->broken) {
		sig_set(s, DKIM_RESULT_TEMPERROR, "internal error");
		return;
	}
	const struct hasher *h = &ctx->hashers[s->hasher];
	if (s->info.has_l && s->info.l > ctx->body_len[s->bc]) {
		sig_set(s, DKIM_RESULT_PERMERROR, "body shorter than l=");
		return;
	}
	if (memcmp(h->digest, s->bh, SHA256_LEN) != 0) {
		sig_set(s, DKIM_RESULT_FAIL, "body hash mismatch");
		return;
	}
	int r = s->alg == ALG_RSA_SHA256 ? dkim_verify_rsa(s->pkey, s->b, s->blen, s->hdr_digest)
					 : dkim_verify_ed25519(s->pkey, s->b, s->blen, s->hdr_digest);
	if (r < 0)
		sig_set(s, DKIM_RESULT_TEMPERROR, "internal error");
	else if (r == 0)
		sig_set(s, DKIM_RESULT_FAIL, "signature did not verify");
	else
		sig_set(s, DKIM_RESULT_PASS, "");
}

/* dkim_eom - finish the body hashes and settle what can be settled */
enum dkim_status dkim_eom(struct dkim_ctx *ctx)
{
	if (ctx == NULL)
		return DKIM_ERR_ARG;
	if (ctx->state != ST_BODY)
		return DKIM_ERR_STATE;
	if (!ctx->broken) {
		for (int c = 0; c < 2; c++)
			if (ctx->canon_used[c]) {
				dkim_bodycanon_final(&ctx->canon[c]);
				ctx->body_len[c] = ctx->canon[c].emitted;
			}
		for (size_t i = 0; i < ctx->nhashers && !ctx->broken; i++) {
			unsigned int dlen = 0;
			if (EVP_DigestFinal_ex(ctx->hashers[i].md, ctx->hashers[i].digest, &dlen) != 1 ||
			    dlen != SHA256_LEN)
				ctx->broken = true;
		}
	}
	ctx->state = ST_DONE;
	for (size_t i = 0; i < ctx->nsigs; i++) {
		if (ctx->broken)
			sig_set(&ctx->sigs[i], DKIM_RESULT_TEMPERROR, "internal error");
		else
			sig_finish(ctx, &ctx->sigs[i]);
	}
	return ctx->broken ? DKIM_ERR_CRYPTO : DKIM_OK;
}

/* dkim_nsigs - count */
size_t dkim_nsigs(const struct dkim_ctx *ctx)
{
	return ctx != NULL ? ctx->nsigs : 0;
}

/* dkim_counts - the signature counts and the octets held */
void dkim_counts(const struct dkim_ctx *ctx, struct dkim_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (ctx == NULL)
		return;
	out->sig_fields = ctx->sig_fields;
	out->sigs_ignored = ctx->sigs_ignored;
	out->sig_records = ctx->sig_fields - ctx->sigs_ignored;
	out->bytes_held = ctx->held;
	out->bytes_peak = ctx->peak;
}

/* dkim_sig - one signature's public info */
const struct dkim_sig_info *dkim_sig(const struct dkim_ctx *ctx, size_t i)
{
	if (ctx == NULL || i >= ctx->nsigs)
		return NULL;
	return &ctx->sigs[i].info;
}

/* identity_domain_is - is the i= domain exactly DOMAIN */
static bool identity_domain_is(const char *identity, const char *domain)
{
	const char *at = strrchr(identity, '@');
	const char *d = at != NULL ? at + 1 : identity;
	return dkim_span_caseeq(d, strlen(d), domain);
}

/* dkim_sig_key - take the key lookup answer */
enum dkim_status dkim_sig_key(struct dkim_ctx *ctx, size_t i, enum dkim_key_lookup lookup,
			      const char *const *txt, size_t ntxt)
{
	struct dkim_key key;
	const char *why = "no key for signature";

	if (ctx == NULL || i >= ctx->nsigs || (ntxt > 0 && txt == NULL))
		return DKIM_ERR_ARG;
	if (ctx->state == ST_HEADER)
		return DKIM_ERR_STATE;
	struct sig *s = &ctx->sigs[i];
	if (s->key_given)
		return DKIM_ERR_STATE;
	s->key_given = true;
	if (s->info.status != DKIM_RESULT_NONE)
		return DKIM_OK;			/* already settled: the key changes nothing */

	if (lookup == DKIM_KEY_TEMPFAIL) {
		sig_set(s, DKIM_RESULT_TEMPERROR, "key lookup failed");
		return DKIM_OK;
	}
	if (lookup != DKIM_KEY_FOUND || ntxt == 0) {
		sig_set(s, DKIM_RESULT_PERMERROR, "no key for signature");
		return DKIM_OK;
	}
	/* RFC 6376 3.6.2.2: several records are undefined; the first readable one is used */
	bool found = false;
	const char *first_why = NULL;
	for (size_t r = 0; r < ntxt && r < DKIM_MAX_RECORDS && !found; r++) {
		if (txt[r] == NULL)
			continue;
		found = dkim_key_parse(txt[r], &key, &why) == DKIM_OK;
		if (!found && first_why == NULL)
			first_why = why;
	}
	if (!found) {
		char reason[DKIM_REASON_LEN];
		snprintf(reason, sizeof(reason), "%s", first_why ? first_why : why);
		sig_set(s, DKIM_RESULT_PERMERROR, reason);
		return DKIM_OK;
	}
	s->info.key_testing = key.testing;
	if (key.revoked) {
		sig_set(s, DKIM_RESULT_PERMERROR, "key revoked");
		return DKIM_OK;
	}
	if ((key.type == DKIM_KEYTYPE_RSA) != (s->alg == ALG_RSA_SHA256)) {
		sig_set(s, DKIM_RESULT_PERMERROR, "key type does not match a=");
		return DKIM_OK;
	}
	if (!key.allows_sha256) {
		sig_set(s, DKIM_RESULT_PERMERROR, "key h= does not allow sha256");
		return DKIM_OK;
	}
	if (!key.for_email) {
		sig_set(s, DKIM_RESULT_PERMERROR, "key s= does not allow email");
		return DKIM_OK;
	}
	if (key.strict && !identity_domain_is(s->identity, s->domain)) {
		sig_set(s, DKIM_RESULT_PERMERROR, "key t=s requires i= domain equal to d=");
		return DKIM_OK;
	}
	if ((s->pkey = dkim_key_to_pkey(ctx->lim.keys, &key, &why)) == NULL) {
		sig_set(s, DKIM_RESULT_PERMERROR, why);
		return DKIM_OK;
	}
	sig_finish(ctx, s);
	return DKIM_OK;
}

/* dkim_sig_result - the answer so far */
enum dkim_result dkim_sig_result(const struct dkim_ctx *ctx, size_t i, const char **reason)
{
	const char *dummy;

	if (reason == NULL)
		reason = &dummy;
	if (ctx == NULL || i >= ctx->nsigs) {
		*reason = "no such signature";
		return DKIM_RESULT_TEMPERROR;
	}
	const struct sig *s = &ctx->sigs[i];
	if (s->info.status != DKIM_RESULT_NONE) {
		*reason = s->reason;
		return s->info.status;
	}
	*reason = ctx->state != ST_DONE ? "verification incomplete: message not finished"
	       : "verification incomplete: no key supplied";
	return DKIM_RESULT_TEMPERROR;
}
