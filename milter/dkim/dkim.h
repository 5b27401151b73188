/*
 * milter/dkim/dkim.h - DKIM signature verification (RFC 6376, RFC 8301, RFC 8463).
 *
 * NAME
 *	dkim - verify the DKIM-Signature fields of one message, fed in pieces
 *
 * SYNOPSIS
 *	#include "dkim.h"
 *
 *	void dkim_limits_default(struct dkim_limits *lim);
 *	enum dkim_status dkim_new(const struct dkim_limits *lim, time_t now, struct dkim_ctx **out);
 *	enum dkim_status dkim_header(struct dkim_ctx *ctx, const char *name, const char *value);
 *	enum dkim_status dkim_eoh(struct dkim_ctx *ctx);
 *	enum dkim_status dkim_body(struct dkim_ctx *ctx, const unsigned char *buf, size_t len);
 *	enum dkim_status dkim_eom(struct dkim_ctx *ctx);
 *	size_t dkim_nsigs(const struct dkim_ctx *ctx);
 *	void dkim_counts(const struct dkim_ctx *ctx, struct dkim_counts *out);
 *	const struct dkim_sig_info *dkim_sig(const struct dkim_ctx *ctx, size_t i);
 *	enum dkim_status dkim_sig_key(struct dkim_ctx *ctx, size_t i, enum dkim_key_lookup lookup,
 *				      const char *const *txt, size_t ntxt);
 *	enum dkim_result dkim_sig_result(const struct dkim_ctx *ctx, size_t i, const char **reason);
 *	void dkim_free(struct dkim_ctx *ctx);
 *
 *	Building blocks, used by the above and tested on their own:
 *	enum dkim_status dkim_tags_parse(const char *s, size_t len, struct dkim_tag *tags,
 *					 size_t max, size_t *ntags, const char **reason);
 *	enum dkim_status dkim_key_parse(const char *record, struct dkim_key *key, const char **reason);
 *	size_t dkim_canon_header(enum dkim_canon c, const char *name, const char *value,
 *				 char *out, size_t outsize);
 *	void dkim_bodycanon_init(struct dkim_bodycanon *bc, enum dkim_canon c,
 *				 dkim_sink_fn *sink, void *arg);
 *	void dkim_bodycanon_update(struct dkim_bodycanon *bc, const unsigned char *buf, size_t len);
 *	void dkim_bodycanon_final(struct dkim_bodycanon *bc);
 *	const char *dkim_result_name(enum dkim_result r);
 *	const char *dkim_status_text(enum dkim_status s);
 *
 * DESCRIPTION
 *	One struct dkim_ctx per message.  The caller feeds every header field in order
 *	(dkim_header), then dkim_eoh, the body in chunks of any size (dkim_body) and dkim_eom.
 *	Nothing here does I/O: no libmilter and no DNS.  After dkim_eoh each signature has a
 *	struct dkim_sig_info naming the key record to fetch (query, "s._domainkey.d") and whether
 *	to fetch it at all (want_key); the caller hands each answer in with dkim_sig_key, before
 *	or after dkim_eom.  A signature's result is final once both its key and the end of the
 *	body have arrived, or as soon as either settles it (a malformed signature is a permerror
 *	at dkim_eoh; an unusable key at dkim_sig_key).
 *
 *	Header values are given exactly as they follow the colon: with their leading space
 *	(the milter must ask for SMFIP_HDR_LEADSPC) and with folded lines ending in LF or CRLF,
 *	both of which are taken as CRLF.  The body comes as the MTA sends it, with CRLF line ends;
 *	chunk boundaries may fall anywhere.  Nothing of the body is kept: each distinct
 *	(canonicalisation, l=) pair gets one SHA-256 hasher, and each canonicaliser holds back
 *	only a count of trailing empty lines and one pending-whitespace flag.
 *
 *	What is verified: v=1; a=rsa-sha256 or ed25519-sha256 (ed25519 per RFC 8463: Ed25519 over
 *	the SHA-256 hash of the canonicalised header data); rsa-sha1 is refused (RFC 8301) and
 *	RSA keys under DKIM_RSA_MIN_BITS or over DKIM_RSA_MAX_BITS are refused.  c= defaults to
 *	simple/simple.  h= must name From; fields are taken bottom-up, a name listed more often
 *	than it occurs contributes nothing for the extra listings, and the signature field being
 *	verified is never one of the candidates.  l= counts canonicalised body octets; a body
 *	shorter than l= is a permerror.  t= more than lim->clock_skew seconds after `now' fails
 *	("signature timestamp in the future"); x= before `now' fails ("signature expired");
 *	x= not after t= is a permerror.  i= must be d= or below it; with a key flag t=s it must
 *	be d= exactly.  Key records: v=DKIM1 first if present, k=rsa|ed25519, h= must allow
 *	sha256, s= must allow email, an empty p= is a revoked key; p= holds DER
 *	SubjectPublicKeyInfo or PKCS#1 RSAPublicKey for RSA, the raw 32 bytes for Ed25519.
 *
 * RESULTS
 *	dkim_sig_result answers with the RFC 8601 names: pass; fail (body hash or signature
 *	mismatch, expired or future-dated signature); permerror (malformed signature, signature
 *	over the limits, no key, unusable key, header block over max_header_bytes); temperror
 *	(key lookup failed temporarily, internal error, or asked before the verification could
 *	finish: "verification incomplete").  none, neutral and policy are never produced here;
 *	they exist for the caller (policy on t=y testing keys, for instance).  Reasons are short
 *	fixed phrases fit for a log line or an RFC 8601 comment, e.g. "body hash mismatch",
 *	"signature did not verify", "signature expired", "rsa-sha1 not accepted (RFC 8301)",
 *	"RSA key too short", "key revoked", "no key for signature", "key lookup failed",
 *	"From not signed", "duplicate tag", "missing tag bh=".
 *
 * INTERPRETATIONS
 *	Where the RFCs leave room: empty tag-specs (";;") are tolerated; a= c= q= k= values
 *	compare without case, v= and tag names with case; x= equal to t= is a permerror (x=
 *	MUST be greater); several key records: the first one that parses is used (RFC 6376
 *	3.6.2.2 leaves this undefined); a bare CR in a header value is content, not white space.
 *
 * BOUNDS
 *	Header bytes: lim->max_header_bytes (name, colon, value and CRLF of each field); past it
 *	dkim_header answers DKIM_ERR_LIMIT and drops the field, dkim_eoh answers DKIM_ERR_LIMIT
 *	too and every signature already seen is a permerror "header too large".  Signatures:
 *	the first lim->max_signatures DKIM-Signature fields (top first) are verified and listed
 *	(dkim_nsigs); later ones cost a counter (dkim_counts: sigs_ignored), no record, and
 *	no copy of the field (nor any of max_header_bytes) unless one of the verified
 *	signature fields mentions "DKIM-Signature" (its h= may cover them: then they are kept
 *	like any other field, within max_header_bytes).  A signature record is sized to what it holds: a malformed
 *	one costs a few hundred octets, a usable one that plus its b=, h= and names.  Per signature:
 *	DKIM_MAX_TAGS tags, DKIM_MAX_HNAMES names in h=, DKIM_MAX_TAG_VALUE octets in a tag
 *	value.  Key records: DKIM_MAX_RECORD octets, DKIM_MAX_RECORDS records per answer.
 *	Every loop runs over input already bounded by these limits; header field selection is
 *	O(n log n) in the number of fields, whatever h= says.
 *
 * THREADS AND OWNERSHIP
 *	No global state: contexts may be used in different threads at once, each context by one
 *	thread at a time.  The context owns everything it hands out; the strings in a
 *	dkim_sig_info and the reasons stay valid until dkim_free.  Strings passed in are copied.
 *
 * DIAGNOSTICS
 *	Functions return enum dkim_status: DKIM_OK, DKIM_ERR_ARG (NULL or out-of-range argument),
 *	DKIM_ERR_STATE (called out of order: the call did nothing), DKIM_ERR_NOMEM, DKIM_ERR_LIMIT
 *	(see BOUNDS), DKIM_ERR_SYNTAX (building blocks only: input malformed, *reason says why),
 *	DKIM_ERR_CRYPTO (OpenSSL failed internally).  After DKIM_ERR_NOMEM or DKIM_ERR_CRYPTO
 *	inside dkim_eoh/dkim_body/dkim_eom the context is spoilt: every signature still open
 *	ends as temperror "internal error", and the caller should tempfail the message.
 */
#ifndef POSTWARD_MILTER_DKIM_H
#define POSTWARD_MILTER_DKIM_H

struct keycache;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DKIM_MAX_TAGS		64	/* tags in one tag-list */
#define DKIM_MAX_TAG_VALUE	8192	/* octets in one tag value, FWS included */
#define DKIM_MAX_HNAMES		128	/* names in one h= */
#define DKIM_MAX_RECORD		8192	/* octets in one key record */
#define DKIM_MAX_RECORDS	8	/* key records looked at per answer */
#define DKIM_MAX_KEY_DER	1280	/* decoded p= octets (enough for RSA 8192) */
#define DKIM_RSA_MIN_BITS	1024	/* RFC 8301 section 3.2 */
#define DKIM_RSA_MAX_BITS	8192	/* refused above: verification cost */
#define DKIM_HEADER_B_LEN	16	/* b= characters kept for RFC 6008 header.b */
#define DKIM_REASON_LEN		96

enum dkim_status {
	DKIM_OK = 0,
	DKIM_ERR_ARG,
	DKIM_ERR_STATE,
	DKIM_ERR_NOMEM,
	DKIM_ERR_LIMIT,
	DKIM_ERR_SYNTAX,
	DKIM_ERR_CRYPTO,
};

/* RFC 8601 section 2.7.1 */
enum dkim_result {
	DKIM_RESULT_NONE,
	DKIM_RESULT_PASS,
	DKIM_RESULT_FAIL,
	DKIM_RESULT_POLICY,
	DKIM_RESULT_NEUTRAL,
	DKIM_RESULT_TEMPERROR,
	DKIM_RESULT_PERMERROR,
};

/* what the key lookup of one signature found */
enum dkim_key_lookup {
	DKIM_KEY_FOUND,		/* txt[] holds the record(s) */
	DKIM_KEY_NONE,		/* NXDOMAIN or NODATA: permerror "no key for signature" */
	DKIM_KEY_TEMPFAIL,	/* timeout, SERVFAIL, ...: temperror */
};

enum dkim_canon { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };
enum dkim_keytype { DKIM_KEYTYPE_RSA, DKIM_KEYTYPE_ED25519 };

struct dkim_limits {
	unsigned max_signatures;	/* DKIM-Signature fields verified per message */
	size_t max_header_bytes;	/* header block accepted, CRLFs counted */
	unsigned clock_skew;		/* seconds a t= may lie in the future */
	struct keycache *keys;		/* decoded keys shared between messages (keycache.h),
					 * or NULL: decode every key */
};

/* one signature as seen at dkim_eoh; strings are "" when absent, never NULL */
struct dkim_sig_info {
	const char *domain;		/* d= */
	const char *selector;		/* s= */
	const char *identity;		/* i=, or "@" d= when absent */
	const char *algorithm;		/* a= as written */
	const char *header_b;		/* first DKIM_HEADER_B_LEN characters of b=, FWS removed;
					 * "" if b= holds anything but base64 */
	const char *query;		/* "s._domainkey.d" to look up, "" if !want_key */
	bool want_key;			/* call dkim_sig_key for this one */
	bool has_l;			/* l= present: the body may carry unsigned text */
	uint64_t l;
	bool has_t, has_x;
	int64_t t, x;
	bool key_testing;		/* t=y on the key (known after dkim_sig_key) */
	enum dkim_result status;	/* NONE while open, else the final result */
	const char *reason;		/* "" while open */
};

/* one tag of a tag-list (RFC 6376 section 3.2), pointing into the parsed text */
struct dkim_tag {
	const char *name;
	size_t name_len;
	const char *value;		/* FWS at both ends trimmed, inner FWS kept */
	size_t value_len;
	size_t raw_start, raw_end;	/* offsets just after '=' and of the ';' (or end) */
};

/* a parsed key record (RFC 6376 section 3.6.1) */
struct dkim_key {
	enum dkim_keytype type;		/* k=, default rsa */
	bool allows_sha256;		/* h= absent or lists sha256 */
	bool for_email;			/* s= absent or lists email or * */
	bool testing;			/* t=y */
	bool strict;			/* t=s */
	bool revoked;			/* p= empty */
	unsigned char p[DKIM_MAX_KEY_DER];
	size_t plen;
};

/* body canonicaliser state (RFC 6376 section 3.4.3 and 3.4.4); output goes to SINK */
typedef void dkim_sink_fn(void *arg, const unsigned char *buf, size_t len);
struct dkim_bodycanon {
	enum dkim_canon canon;
	dkim_sink_fn *sink;
	void *arg;
	uint64_t emitted;		/* canonical octets sent to the sink */
	uint64_t empty_lines;		/* empty lines held back */
	bool pending_cr;		/* a CR that may start a CRLF */
	bool pending_wsp;		/* relaxed: white space held back */
	bool line_has_content;		/* the current line has sent something */
	size_t outlen;
	unsigned char out[2048];	/* flushed at the end of every update */
};

/* what a context has seen and holds (dkim_counts) */
struct dkim_counts {
	size_t sig_fields;		/* DKIM-Signature fields given to dkim_header */
	size_t sigs_ignored;		/* of those, past max_signatures: counted only */
	size_t sig_records;		/* signature records (dkim_nsigs once dkim_eoh ran) */
	size_t bytes_held;		/* octets held now for header fields and signature records
					 * (OpenSSL's objects not counted) */
	size_t bytes_peak;		/* the most held at any time */
};

struct dkim_ctx;

/* dkim_limits_default - 8 signatures, 256 KB of header, 300 seconds of clock skew */
void dkim_limits_default(struct dkim_limits *lim);
/* dkim_new - a context for one message, clock pinned at NOW; LIM NULL for the defaults */
enum dkim_status dkim_new(const struct dkim_limits *lim, time_t now, struct dkim_ctx **out);
/* dkim_header - one header field, in message order */
enum dkim_status dkim_header(struct dkim_ctx *ctx, const char *name, const char *value);
/* dkim_eoh - end of header: parse the signatures, hash their header data, set up body hashers */
enum dkim_status dkim_eoh(struct dkim_ctx *ctx);
/* dkim_body - one chunk of body */
enum dkim_status dkim_body(struct dkim_ctx *ctx, const unsigned char *buf, size_t len);
/* dkim_eom - end of body: finish the body hashes and verify every signature whose key is in */
enum dkim_status dkim_eom(struct dkim_ctx *ctx);
/* dkim_nsigs - signatures listed: the first max_signatures DKIM-Signature fields (0 before
 * dkim_eoh) */
size_t dkim_nsigs(const struct dkim_ctx *ctx);
/* dkim_counts - DKIM-Signature fields seen and ignored, records and octets held */
void dkim_counts(const struct dkim_ctx *ctx, struct dkim_counts *out);
/* dkim_sig - signature I, or NULL when I >= dkim_nsigs() */
const struct dkim_sig_info *dkim_sig(const struct dkim_ctx *ctx, size_t i);
/* dkim_sig_key - the key lookup answer for signature I; TXT[] one record each, strings joined */
enum dkim_status dkim_sig_key(struct dkim_ctx *ctx, size_t i, enum dkim_key_lookup lookup,
			      const char *const *txt, size_t ntxt);
/* dkim_sig_result - the result of signature I and a short reason ("" on pass) */
enum dkim_result dkim_sig_result(const struct dkim_ctx *ctx, size_t i, const char **reason);
/* dkim_free - release the context and everything it handed out */
void dkim_free(struct dkim_ctx *ctx);

/* dkim_tags_parse - split a tag-list; duplicate tags, bad names and bad characters refused */
enum dkim_status dkim_tags_parse(const char *s, size_t len, struct dkim_tag *tags, size_t max,
				 size_t *ntags, const char **reason);
/* dkim_key_parse - read one key record (its strings already joined) */
enum dkim_status dkim_key_parse(const char *record, struct dkim_key *key, const char **reason);
/* dkim_canon_header - canonical "name:value\r\n" into OUT (NUL-terminated if it fits); its length */
size_t dkim_canon_header(enum dkim_canon c, const char *name, const char *value, char *out,
			 size_t outsize);
/* dkim_bodycanon_init - start a body canonicaliser */
void dkim_bodycanon_init(struct dkim_bodycanon *bc, enum dkim_canon c, dkim_sink_fn *sink,
			 void *arg);
/* dkim_bodycanon_update - canonicalise one chunk; output is flushed to the sink before return */
void dkim_bodycanon_update(struct dkim_bodycanon *bc, const unsigned char *buf, size_t len);
/* dkim_bodycanon_final - end of body: the final CRLF rules, then flush */
void dkim_bodycanon_final(struct dkim_bodycanon *bc);
/* dkim_result_name - "pass", "fail", ... as RFC 8601 spells them */
const char *dkim_result_name(enum dkim_result r);
/* dkim_status_text - a few words for a status */
const char *dkim_status_text(enum dkim_status s);

#endif
