/*
 * milter/lists/listpost-copy.c - the MIME side of encrypted list posts, writing: each
 * subscriber's copy of a post around a re-addressed payload.  Classifying the post and finding
 * its payload is listpost.c.
 *
 * NAME
 *	listpost_copy - a subscriber's copy of an encrypted list post
 *
 * SYNOPSIS
 *	#include "listpost.h"
 *
 *	bool listpost_copy(msg, msg_len, &post, &args, payload, len, &out, &outlen);
 *
 * DESCRIPTION
 *	The contract is listpost.h.  Where it leaves room, this is what is done, and why.
 *
 *	Writing.  The post's header fields are copied in their order, folding and all, with
 *	line ends made CRLF and a lone CR or a NUL made a space; a field is left out, all its
 *	continuation lines with it, when its name (compared without regard to case, blanks
 *	before the colon ignored) is in the contract's list - Received, Return-Path,
 *	Delivered-To, DKIM-Signature, Authentication-Results, ARC-*, Bcc, List-*, Precedence,
 *	X-Postward-*, MIME-Version, Content-* - or is ARGS->tag_header (so that a poster cannot
 *	set the tag even when it is configured outside X-Postward-*).  Then, each folded before
 *	column 78 where blanks allow: List-Id (the phrase as atoms, else as a quoted-string,
 *	else, with 8-bit octets, as RFC 2047 UTF-8 B encoded-words), List-Post
 *	<mailto:LIST> (RFC 6068 percent-encoding), Precedence: list, the tag field when asked
 *	(tag_header, "X-Postward-TLS" when NULL): "required", MIME-Version: 1.0, and the
 *	content.  The PGP payload is written as given, line ends made CRLF and a final CRLF
 *	added if missing.  The boundary is "=_postward_" and 32 hex digits from 16 octets of
 *	ARGS->random (RAND_bytes() when NULL), drawn anew until the payload does not contain
 *	it; nothing else in a copy is random.  listpost_copy() returns false for lack of
 *	memory, for a POST that is not one of the three encrypted kinds, a POST whose header
 *	is longer than MSG_LEN, an empty PAYLOAD, a failure of the random source, or arguments that would break the header (a NULL or
 *	empty list or list_id, a control character in any of them, blanks or "<>" in list_id,
 *	a tag_header that is not a field name): all caller errors or a broken environment.
 *
 * DIAGNOSTICS
 *	listpost_copy() returns false only as said above.
 */
#include "listpost.h"
#include "listpost-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#define LP_LIST_ID_MAX	255		/* RFC 2919 */
#define LP_PHRASE_MAX	200		/* List-Id phrase */
#define LP_FOLD		78		/* our own fields: fold before this column */
#define LP_B64_IN	57		/* 57 octets make a base64 line of 76 */
#define LP_EW_IN	39		/* octets per encoded-word: 64 characters, so that
				 * "List-Id: " and one stay within RFC 2047's 76 */
#define LP_BOUNDARY_TRIES 16

static const char DEFAULT_TAG[] = "X-Postward-TLS";

struct buf {				/* an output buffer */
	char *p;
	size_t len, cap;
	bool nomem;
};

/* mem_find - whether the N octets at P contain S */
static bool mem_find(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	const uint8_t *q = p, *end = p + n;

	if (k == 0 || n < k)
		return k == 0;
	while ((q = memchr(q, (unsigned char)s[0], (size_t)(end - q) - k + 1)) != NULL) {
		if (memcmp(q, s, k) == 0)
			return true;
		if (++q > end - k)
			break;
	}
	return false;
}

/* ---- writing a copy ---------------------------------------------------------------------- */

/* buf_put - append N octets at P to B */
static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->nomem || n == 0)
		return;
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->nomem = true;
				return;
			}
			cap *= 2;
		}
		if ((np = realloc(b->p, cap)) == NULL) {
			b->nomem = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* buf_puts - append the string S to B */
static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* put_field - "NAME: VALUE" and CRLF into B, folded before blanks outside quoted strings so
 * that lines keep within LP_FOLD columns where the words allow it */
static void put_field(struct buf *b, const char *name, const char *value)
{
	size_t col = strlen(name) + 2;
	const char *s = value;

	buf_puts(b, name);
	buf_puts(b, ": ");
	while (*s != '\0') {
		const char *w = s;
		bool quoted = false;
		while (mime_blank((unsigned char)*w))
			w++;
		for (; *w != '\0' && (quoted || !mime_blank((unsigned char)*w)); w++) {
			if (quoted && *w == '\\' && w[1] != '\0')
				w++;
			else if (*w == '"')
				quoted = !quoted;
		}
		if (s != value && mime_blank((unsigned char)*s) && col + (size_t)(w - s) > LP_FOLD) {
			buf_puts(b, "\r\n");
			col = 0;
		}
		buf_put(b, s, (size_t)(w - s));
		col += (size_t)(w - s);
		s = w;
	}
	buf_puts(b, "\r\n");
}

/* put_text - the N octets at T into B with every line end (CRLF, LF, lone CR) made CRLF,
 * ending in CRLF */
static void put_text(struct buf *b, const uint8_t *t, size_t n)
{
	size_t i = 0, run = 0;

	while (i < n) {
		if (t[i] != '\r' && t[i] != '\n') {
			i++;
			run++;
			continue;
		}
		buf_put(b, t + i - run, run);
		buf_puts(b, "\r\n");
		i += t[i] == '\r' && i + 1 < n && t[i + 1] == '\n' ? 2 : 1;
		run = 0;
	}
	buf_put(b, t + n - run, run);
	if (n == 0 || run > 0)
		buf_puts(b, "\r\n");
}

/* put_base64 - the N octets at P into B as base64 in lines of 76 */
static void put_base64(struct buf *b, const uint8_t *p, size_t n)
{
	unsigned char line[80];

	for (size_t i = 0; i < n; i += LP_B64_IN) {
		size_t k = n - i < LP_B64_IN ? n - i : LP_B64_IN;
		int m = EVP_EncodeBlock(line, p + i, (int)k);
		buf_put(b, line, (size_t)m);
		buf_puts(b, "\r\n");
	}
}

/* copy_drop - whether the field NAME (N octets) stays out of copies; TAG is the tag field */
static bool copy_drop(const char *name, size_t n, const char *tag)
{
	static const struct {
		const char *name;
		bool prefix;
	} drop[] = {
		{ "Received", false }, { "Return-Path", false }, { "Delivered-To", false },
		{ "DKIM-Signature", false }, { "Authentication-Results", false },
		{ "ARC-", true }, { "Bcc", false }, { "List-", true }, { "Precedence", false },
		{ "X-Postward-", true }, { "MIME-Version", false }, { "Content-", true },
	};

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (drop[i].prefix ? mime_span_iprefix(name, n, drop[i].name) :
		    mime_span_ieq(name, n, drop[i].name))
			return true;
	return mime_span_ieq(name, n, tag);
}

/* copy_header - the fields of the post's header [MSG, MSG+LEN) that copies keep, into B */
static void copy_header(struct buf *b, const char *msg, size_t len, const char *tag)
{
	const char *cur = msg, *end = msg + len, *cend, *next;
	struct mime_field f;

	while (cur < end) {
		next = mime_line_next(cur, end, &cend);
		if (cend == cur)
			break;			/* the empty line */
		if (mime_hdr_name(cur, cend) == 0) {
			cur = next;		/* cannot happen after listpost_parse: skipped */
			continue;
		}
		mime_field_next(&cur, end, &f);
		if (copy_drop(f.name, f.namelen, tag))
			continue;
		for (const char *l = f.start; l < f.next; l = next) {
			next = mime_line_next(l, f.next, &cend);
			for (const char *s = l; s < cend; s++)
				buf_put(b, *s == '\r' || *s == '\0' ? " " : s, 1);
			buf_puts(b, "\r\n");
		}
	}
}

/* has_ctl - whether S holds a control character (but a tab if TAB) */
static bool has_ctl(const char *s, bool tab)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && !(tab && *s == '\t')) || *s == 0x7f)
			return true;
	return false;
}

/* args_ok - whether A can be written into a header */
static bool args_ok(const struct listpost_copy_args *a)
{
	if (a->list == NULL || a->list[0] == '\0' || has_ctl(a->list, false) ||
	    a->list_id == NULL || a->list_id[0] == '\0' || strlen(a->list_id) > LP_LIST_ID_MAX)
		return false;
	for (const char *s = a->list_id; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '<' || *s == '>')
			return false;
	if (a->list_phrase != NULL &&
	    (has_ctl(a->list_phrase, false) || strlen(a->list_phrase) > LP_PHRASE_MAX))
		return false;
	if (a->tag_header != NULL) {
		if (a->tag_header[0] == '\0')
			return false;
		for (const char *s = a->tag_header; *s; s++)
			if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == ':')
				return false;
	}
	return true;
}

/* atext - an RFC 5322 atext octet */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* put_phrase - the List-Id phrase P into B: atoms, a quoted-string, or encoded-words */
static void put_phrase(struct buf *b, const char *p)
{
	size_t n = strlen(p);
	bool eightbit = false, atoms = n > 0 && p[0] != ' ' && p[n - 1] != ' ';

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		eightbit |= c >= 0x80;
		atoms &= atext(c) || (c == ' ' && p[i + 1] != ' ');
	}
	if (eightbit) {
		for (size_t i = 0; i < n;) {
			unsigned char w[LP_EW_IN / 3 * 4 + 1];
			size_t k = n - i < LP_EW_IN ? n - i : LP_EW_IN;
			while (k > 1 && i + k < n && ((unsigned char)p[i + k] & 0xc0) == 0x80)
				k--;		/* not inside a UTF-8 sequence */
			EVP_EncodeBlock(w, (const unsigned char *)p + i, (int)k);
			buf_puts(b, i > 0 ? " =?UTF-8?B?" : "=?UTF-8?B?");
			buf_puts(b, (const char *)w);
			buf_puts(b, "?=");
			i += k;
		}
	} else if (atoms) {
		buf_puts(b, p);
	} else {
		buf_puts(b, "\"");
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"' || p[i] == '\\')
				buf_puts(b, "\\");
			buf_put(b, p + i, 1);
		}
		buf_puts(b, "\"");
	}
}

/* put_added - the fields every copy gets, into B */
static void put_added(struct buf *b, const struct listpost_copy_args *a, const char *tag)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf v = { 0 };

	if (a->list_phrase != NULL && a->list_phrase[0] != '\0') {
		put_phrase(&v, a->list_phrase);
		buf_puts(&v, " ");
	}
	buf_puts(&v, "<");
	buf_puts(&v, a->list_id);
	buf_put(&v, ">", 2);
	if (!v.nomem)
		put_field(b, "List-Id", v.p);
	v.len = 0;
	buf_puts(&v, "<mailto:");
	for (const char *s = a->list; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~!$'()*+,;:@", c) != NULL) {
			buf_put(&v, s, 1);
		} else {
			char pct[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_put(&v, pct, 3);
		}
	}
	buf_put(&v, ">", 2);
	if (!v.nomem)
		put_field(b, "List-Post", v.p);
	b->nomem |= v.nomem;
	free(v.p);
	put_field(b, "Precedence", "list");
	if (a->requiretls)
		put_field(b, tag, "required");
	put_field(b, "MIME-Version", "1.0");
}

/* rand_bytes - listpost_random_fn of OpenSSL's RAND_bytes() */
static int rand_bytes(void *ctx, unsigned char *buf, size_t n)
{
	(void)ctx;
	return n <= INT_MAX && RAND_bytes(buf, (int)n) == 1;
}

/* copy_boundary - a fresh boundary into BND (SIZE) from A's random source that the payload P
 * (N octets) does not contain; false when the source fails or no such boundary came up */
static bool copy_boundary(char *bnd, size_t size, const struct listpost_copy_args *a,
			  const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	listpost_random_fn rnd = a->random != NULL ? a->random : rand_bytes;

	for (int t = 0; t < LP_BOUNDARY_TRIES; t++) {
		unsigned char r[16];
		size_t k = (size_t)snprintf(bnd, size, "=_postward_");
		if (rnd(a->random_ctx, r, sizeof(r)) != 1 || k + 2 * sizeof(r) + 1 > size)
			return false;
		for (size_t i = 0; i < sizeof(r); i++) {
			bnd[k++] = hex[r[i] >> 4];
			bnd[k++] = hex[r[i] & 15];
		}
		bnd[k] = '\0';
		if (!mem_find(p, n, bnd))
			return true;
	}
	return false;
}

/* put_pgpmime - the RFC 3156 content around the armor P (N octets) into B, the boundary from
 * A's random source; false when no boundary could be made */
static bool put_pgpmime(struct buf *b, const struct listpost_copy_args *a, const uint8_t *p,
			size_t n)
{
	char bnd[64], ct[160];

	if (!copy_boundary(bnd, sizeof(bnd), a, p, n))
		return false;
	snprintf(ct, sizeof(ct), "multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
		 "boundary=\"%s\"", bnd);
	put_field(b, "Content-Type", ct);
	buf_puts(b, "\r\nThis is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--");
	buf_puts(b, bnd);
	buf_puts(b, "\r\nContent-Type: application/pgp-encrypted\r\n"
		 "Content-Description: PGP/MIME version identification\r\n"
		 "\r\nVersion: 1\r\n\r\n--");
	buf_puts(b, bnd);
	buf_puts(b, "\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
		 "Content-Description: OpenPGP encrypted message\r\n"
		 "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n");
	put_text(b, p, n);
	buf_puts(b, "\r\n--");
	buf_puts(b, bnd);
	buf_puts(b, "--\r\n");
	return true;
}

/* listpost_copy - the copy of POST with PAYLOAD as its encrypted content */
bool listpost_copy(const char *msg, size_t msg_len, const struct listpost *post,
		   const struct listpost_copy_args *a, const uint8_t *payload, size_t len,
		   char **out, size_t *outlen)
{
	struct buf b = { 0 };
	const char *tag;

	if (out == NULL || outlen == NULL)
		return false;
	*out = NULL;
	*outlen = 0;
	if (msg == NULL || post == NULL || a == NULL || payload == NULL || len == 0 ||
	    post->header_len == 0 || post->header_len > LISTPOST_MAX_HEADER ||
	    post->header_len > msg_len ||
	    len > SIZE_MAX / 4 || !args_ok(a))
		return false;
	if (post->kind != LISTPOST_PGPMIME && post->kind != LISTPOST_PGPINLINE &&
	    (post->kind != LISTPOST_SMIME || post->smime_type == NULL ||
	     post->smime_type[0] == '\0' || has_ctl(post->smime_type, true)))
		return false;
	tag = a->tag_header != NULL ? a->tag_header : DEFAULT_TAG;
	if ((b.p = malloc(b.cap = post->header_len + len * 2 + 2048)) == NULL)
		return false;
	copy_header(&b, msg, post->header_len, tag);
	put_added(&b, a, tag);
	switch (post->kind) {
	case LISTPOST_PGPMIME:
		if (!put_pgpmime(&b, a, payload, len)) {
			free(b.p);
			return false;
		}
		break;
	case LISTPOST_PGPINLINE:
		put_field(&b, "Content-Type", "text/plain; charset=us-ascii");
		buf_puts(&b, "\r\n");
		put_text(&b, payload, len);
		break;
	default:
		put_field(&b, "Content-Type", post->smime_type);
		put_field(&b, "Content-Transfer-Encoding", "base64");
		put_field(&b, "Content-Disposition", "attachment; filename=\"smime.p7m\"");
		buf_puts(&b, "\r\n");
		put_base64(&b, payload, len);
		break;
	}
	buf_put(&b, "", 1);
	if (b.nomem) {
		free(b.p);
		return false;
	}
	*out = b.p;
	*outlen = b.len - 1;
	return true;
}
