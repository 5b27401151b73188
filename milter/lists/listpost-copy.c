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
 *	bool listpost_author_domain(msg, msg_len, &post, domain, len);
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
 *	else, with 8-bit octets, as RFC 2047 UTF-8 B encoded-words), with ARGS->request
 *	List-Help, List-Unsubscribe and List-Subscribe, List-Post <mailto:LIST>, with
 *	ARGS->owner List-Owner (every address in RFC 6068 percent-encoding, the command as
 *	"?subject=" value), with keydata Autocrypt (the parameters folded as above, then the
 *	keydata in continuation lines of a blank and 76 base64 digits), Precedence: list, the
 *	tag field when asked (tag_header, "X-Postward-TLS" when NULL): "required",
 *	MIME-Version: 1.0, and the content.  The PGP payload is written as given, line ends
 *	made CRLF and a final CRLF added if missing.  The boundary is "=_postward_" and 32 hex
 *	digits from 16 octets of ARGS->random (RAND_bytes() when NULL), drawn anew until the
 *	payload does not contain it; nothing else in a copy is random.
 *
 *	From rewrite.  The post's header is looked through once first (copy_prescan) for its
 *	first From field and whether it has a Reply-To.  The first From's value is
 *	unfolded and read by policy/mailhdr.c's pw_from_mailbox (the parser DMARC uses, so
 *	the author the copy names is the author DMARC saw); its display name has its
 *	encoded-words decoded (UTF-8 and US-ASCII as they are, ISO-8859-1 made UTF-8); one in
 *	another charset, or a result that is not valid UTF-8 or holds a control character,
 *	is not used, and the local part stands in for it.  "NAME via LIST-NAME" is then
 *	written by the List-Id phrase rules (an atom holding "=?" is quoted, so that it cannot
 *	read as an encoded-word).  X-Original-From and Reply-To are the original value
 *	unfolded and folded anew (a lone CR made a space); Reply-To only when the first From
 *	held a usable mailbox.  A post without From gets "From: LIST-NAME <LIST>" after its
 *	other fields.
 *
 *	Subject prefix.  The first Subject's value, unfolded, has its encoded-words decoded
 *	(words in other charsets kept as written) and is searched for the prefix without
 *	regard to ASCII case; found, the field is copied as it is.  Else "Subject: PREFIX" and
 *	the original text from its first octet on, lines as they were, with a fold after the
 *	prefix when the first line would pass column 78.  An 8-bit prefix is written as UTF-8
 *	B encoded-words, with the blank after it inside the last word when the text begins
 *	with an encoded-word (RFC 2047 6.2: the blank between two is not displayed).
 *
 *	listpost_copy() returns false for lack of memory, for a POST that is not one of the
 *	three encrypted kinds, a POST whose header is longer than MSG_LEN, an empty PAYLOAD,
 *	a failure of the random source, or arguments that would break the header (a NULL or
 *	empty list or list_id, a control character in any of them, blanks or "<>" in list_id,
 *	a tag_header that is not a field name, a list, request or owner address over 320
 *	octets, an empty request or owner, a
 *	list_name or subject_prefix over 200 octets or with a control character, keydata of
 *	0 or more than LISTPOST_AUTOCRYPT_MAX octets): all caller errors or a broken
 *	environment.

 * DIAGNOSTICS
 *	listpost_copy() returns false only as said above.
 */
#include "listpost.h"
#include "listpost-int.h"
#include "b64.h"
#include "mailhdr.h"

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
#define LP_NAME_MAX	200		/* list_name, subject_prefix */
#define LP_ADDR_MAX	320		/* list, request, owner addresses */

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

/* put_value - "NAME: VALUE" into B, folded before blanks outside quoted strings so that
 * lines keep within LP_FOLD columns where the words allow it; no line end after it.  Returns
 * the column it ends in */
static size_t put_value(struct buf *b, const char *name, const char *value)
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
	return col;
}

/* put_field - "NAME: VALUE" and CRLF into B, folded as put_value does */
static void put_field(struct buf *b, const char *name, const char *value)
{
	put_value(b, name, value);
	buf_puts(b, "\r\n");
}

/* put_lines - the lines from P to END (the first may begin inside a line) into B, each ending
 * in CRLF, a lone CR or a NUL made a space */
static void put_lines(struct buf *b, const char *p, const char *end)
{
	const char *cend, *next;

	for (const char *l = p; l < end; l = next) {
		next = mime_line_next(l, end, &cend);
		for (const char *s = l; s < cend; s++)
			buf_put(b, *s == '\r' || *s == '\0' ? " " : s, 1);
		buf_puts(b, "\r\n");
	}
}

/* put_refolded - "NAME: " and the value of F unfolded, then folded anew as put_field does
 * (a lone CR made a space); nothing when the value is empty */
static void put_refolded(struct buf *b, const char *name, const struct mime_field *f)
{
	size_t n;
	char *v = mime_hdr_unfold(f, &n);

	if (v == NULL) {
		b->nomem = true;
		return;
	}
	for (char *c = v; *c; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	if (v[0] != '\0')
		put_field(b, name, v);
	free(v);
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

/* copy_drop - whether the field NAME (N octets) stays out of copies; TAG is the tag field;
 * REWRITE: From is rewritten, so the author's Sender and Autocrypt fields and any
 * X-Original-From go too */
static bool copy_drop(const char *name, size_t n, const char *tag, bool rewrite)
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
	if (rewrite && (mime_span_ieq(name, n, "Sender") || mime_span_ieq(name, n, "Autocrypt") ||
			mime_span_ieq(name, n, "X-Original-From")))
		return true;
	return mime_span_ieq(name, n, tag);
}

/* the facts of the post's header the new fields need (copy_prescan) */
struct post_facts {
	struct mime_field from;		/* the first From field */
	bool has_from, has_reply_to;
	char *display;			/* the rewritten From's value (malloc'd), or NULL */
	bool author_known;		/* the first From held a usable mailbox */
};

/* copy_prescan - the first From field and whether Reply-To occurs in the post's header
 * [MSG, MSG+LEN), into *PF */
static void copy_prescan(const char *msg, size_t len, struct post_facts *pf)
{
	const char *cur = msg, *end = msg + len, *cend, *next;
	struct mime_field f;

	while (cur < end) {
		next = mime_line_next(cur, end, &cend);
		if (cend == cur)
			break;
		if (mime_hdr_name(cur, cend) == 0) {
			cur = next;
			continue;
		}
		mime_field_next(&cur, end, &f);
		if (!pf->has_from && mime_span_ieq(f.name, f.namelen, "From")) {
			pf->from = f;
			pf->has_from = true;
		}
		pf->has_reply_to |= mime_span_ieq(f.name, f.namelen, "Reply-To");
	}
}

static void put_subject(struct buf *b, const struct mime_field *f, const char *prefix);

/* copy_header - the fields of the post's header [MSG, MSG+LEN) that copies keep, into B; the
 * From fields rewritten (PF->display) and the first Subject prefixed as A asks */
static void copy_header(struct buf *b, const char *msg, size_t len,
			const struct listpost_copy_args *a, const char *tag,
			const struct post_facts *pf)
{
	const char *cur = msg, *end = msg + len, *cend, *next;
	bool rewrite = pf->display != NULL, from_done = false, subject_done = false;
	bool prefix = a->subject_prefix != NULL && a->subject_prefix[0] != '\0';
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
		if (copy_drop(f.name, f.namelen, tag, rewrite))
			continue;
		if (rewrite && mime_span_ieq(f.name, f.namelen, "From")) {
			if (from_done)
				continue;
			from_done = true;
			put_field(b, "From", pf->display);
			put_refolded(b, "X-Original-From", &f);
			if (!pf->has_reply_to && pf->author_known)
				put_refolded(b, "Reply-To", &f);
			continue;
		}
		if (prefix && !subject_done && mime_span_ieq(f.name, f.namelen, "Subject")) {
			subject_done = true;
			put_subject(b, &f, a->subject_prefix);
			continue;
		}
		put_lines(b, f.start, f.next);
	}
	if (rewrite && !from_done)
		put_field(b, "From", pf->display);
	if (prefix && !subject_done)
		put_field(b, "Subject", a->subject_prefix);
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
	if (strlen(a->list) > LP_ADDR_MAX)
		return false;
	for (size_t i = 0; i < 2; i++) {
		const char *r = i == 0 ? a->request : a->owner;
		if (r != NULL && (r[0] == '\0' || has_ctl(r, false) || strlen(r) > LP_ADDR_MAX))
			return false;
	}
	for (size_t i = 0; i < 2; i++) {
		const char *t = i == 0 ? a->list_name : a->subject_prefix;
		if (t != NULL && (has_ctl(t, false) || strlen(t) > LP_NAME_MAX))
			return false;
	}
	if (a->autocrypt_keydata != NULL &&
	    (a->autocrypt_len == 0 || a->autocrypt_len > LISTPOST_AUTOCRYPT_MAX))
		return false;
	return true;
}

/* atext - an RFC 5322 atext octet */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* ew_encode - the UTF-8 text P (N octets) into B as RFC 2047 B encoded-words, blank-separated,
 * each of at most LP_EW_IN octets and never splitting a UTF-8 sequence */
static void ew_encode(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char w[LP_EW_IN / 3 * 4 + 4];
		size_t k = n - i < LP_EW_IN ? n - i : LP_EW_IN;
		while (k > 1 && i + k < n && ((unsigned char)p[i + k] & 0xc0) == 0x80)
			k--;		/* not inside a UTF-8 sequence */
		EVP_EncodeBlock(w, (const unsigned char *)p + i, (int)k);
		buf_puts(b, i > 0 ? " =?UTF-8?B?" : "=?UTF-8?B?");
		buf_puts(b, (const char *)w);
		buf_puts(b, "?=");
		i += k;
	}
}

/* put_phrase - the phrase P (UTF-8) into B: atoms, a quoted-string, or encoded-words */
static void put_phrase(struct buf *b, const char *p)
{
	size_t n = strlen(p);
	bool eightbit = false, atoms = n > 0 && p[0] != ' ' && p[n - 1] != ' ';

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		eightbit |= c >= 0x80;
		atoms &= atext(c) || (c == ' ' && p[i + 1] != ' ');
	}
	/* "=?" in an atom would read as an encoded-word: quote it */
	if (atoms && strstr(p, "=?") != NULL)
		atoms = false;
	if (eightbit) {
		ew_encode(b, p, n);
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

/* ---- RFC 2047: reading encoded-words ------------------------------------------------------ */

/* ew_charset - 1 for UTF-8 and US-ASCII, 2 for ISO-8859-1, 0 for any other charset: the
 * N octets at P, an RFC 2231 language ("*en") ignored */
static int ew_charset(const char *p, size_t n)
{
	const char *star = memchr(p, '*', n);

	if (star != NULL)
		n = (size_t)(star - p);
	if (mime_span_ieq(p, n, "utf-8") || mime_span_ieq(p, n, "us-ascii") || mime_span_ieq(p, n, "utf8"))
		return 1;
	if (mime_span_ieq(p, n, "iso-8859-1") || mime_span_ieq(p, n, "latin1"))
		return 2;
	return 0;
}

/* ew_word - whether an encoded-word "=?charset?B|Q?text?=" begins at P (before END); its end
 * into *WEND and its decoded text into B (UTF-8; *KNOWN false and nothing written for a
 * charset other than UTF-8, US-ASCII and ISO-8859-1) */
static bool ew_word(const char *p, const char *end, const char **wend, struct buf *b, bool *known)
{
	const char *cs, *q, *t, *te;
	int charset, bits = 0;
	unsigned acc = 0;
	char enc;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return false;
	cs = p + 2;
	if ((q = memchr(cs, '?', (size_t)(end - cs))) == NULL || q == cs || end - q < 4 ||
	    q[2] != '?')
		return false;
	enc = (char)mime_lower((unsigned char)q[1]);
	t = q + 3;
	for (te = t; te + 1 < end && !(te[0] == '?' && te[1] == '='); te++)
		if ((unsigned char)*te <= ' ' || (unsigned char)*te >= 0x7f)
			return false;
	if (te + 1 >= end || (enc != 'b' && enc != 'q'))
		return false;
	for (const char *c = cs; c < q; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			return false;
	*wend = te + 2;
	charset = ew_charset(cs, (size_t)(q - cs));
	*known = charset != 0;
	if (charset == 0)
		return true;
	for (const char *c = t; c < te; c++) {
		int v = -1;
		if (enc == 'b') {
			if (*c == '=')
				break;
			if ((v = pw_b64_value((unsigned char)*c)) < 0)
				return false;
			acc = (acc << 6) | (unsigned)v;
			if ((bits += 6) < 8)
				continue;
			bits -= 8;
			v = (int)((acc >> bits) & 0xff);
		} else if (*c == '_') {
			v = ' ';
		} else if (*c == '=' && te - c >= 3 && mime_hex_value((unsigned char)c[1]) >= 0 &&
			   mime_hex_value((unsigned char)c[2]) >= 0) {
			v = mime_hex_value((unsigned char)c[1]) * 16 + mime_hex_value((unsigned char)c[2]);
			c += 2;
		} else {
			v = (unsigned char)*c;
		}
		if (charset == 2 && v >= 0x80) {
			char u[2] = { (char)(0xc0 | (v >> 6)), (char)(0x80 | (v & 0x3f)) };
			buf_put(b, u, 2);
		} else {
			char o = (char)v;
			buf_put(b, &o, 1);
		}
	}
	return true;
}

/* ew_decode - the text S with its encoded-words decoded into B (UTF-8; the blanks between two
 * encoded-words dropped, RFC 2047 6.2); a word in another charset is kept as written.  False
 * when such a word was met (or for lack of memory: B->nomem) */
static bool ew_decode(const char *s, struct buf *b)
{
	const char *p = s, *end = s + strlen(s), *ws = NULL;
	bool all_known = true, last_ew = false;
	struct buf w = { 0 };

	while (p < end) {
		const char *wend;
		bool known = false;

		if (mime_blank((unsigned char)*p)) {
			if (ws == NULL)
				ws = p;
			p++;
			continue;
		}
		w.len = 0;
		if (ew_word(p, end, &wend, &w, &known)) {
			if (ws != NULL && !(last_ew && known))
				buf_put(b, ws, (size_t)(p - ws));
			if (known)
				buf_put(b, w.p, w.len);
			else
				buf_put(b, p, (size_t)(wend - p));
			all_known &= known;
			last_ew = known;
		} else {
			if (ws != NULL)
				buf_put(b, ws, (size_t)(p - ws));
			for (wend = p; wend < end && !mime_blank((unsigned char)*wend); wend++)
				;
			buf_put(b, p, (size_t)(wend - p));
			last_ew = false;
		}
		ws = NULL;
		p = wend;
	}
	b->nomem |= w.nomem;
	free(w.p);
	return all_known && !b->nomem;
}

/* ---- From rewrite, Subject prefix, Autocrypt ---------------------------------------------- */

/* utf8_ok - whether the N octets at P are valid UTF-8 without control characters */
static bool utf8_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += k + 1;
	}
	return true;
}

/* drop_at_domain - cut a trailing "@label.label..." (no blanks) off the display name D, so
 * that the rewritten From names no second domain */
static void drop_at_domain(char *d)
{
	char *at = strrchr(d, '@');

	if (at == NULL || strchr(at, '.') == NULL || strpbrk(at, " \t") != NULL ||
	    at[strlen(at) - 1] == '.' || at[1] == '.')
		return;
	*at = '\0';
	for (size_t n = strlen(d); n > 0 && d[n - 1] == ' '; n--)
		d[n - 1] = '\0';
}

/* from_rewritten - the value of the rewritten From for the post's first From field F (NULL:
 * none) into *OUT (malloc'd): "DISPLAY via NAME" <LIST>; *KNOWN whether F named an author.
 * False for lack of memory */
static bool from_rewritten(const struct mime_field *f, const struct listpost_copy_args *a,
			   char **out, bool *known)
{
	struct pw_from_mailbox mb;
	struct buf d = { 0 }, v = { 0 };
	char name[LP_NAME_MAX + 1];
	char *fv = NULL;
	size_t n;

	*out = NULL;
	*known = false;
	memset(&mb, 0, sizeof(mb));
	if (f != NULL) {
		if ((fv = mime_hdr_unfold(f, &n)) == NULL)
			return false;
		pw_from_mailbox(fv, NULL, &mb, NULL, 0);
		free(fv);
	}
	*known = mb.addr[0] != '\0';
	if (mb.name[0] != '\0') {
		if (!ew_decode(mb.name, &d) || !utf8_ok((unsigned char *)d.p, d.len))
			d.len = 0;	/* undecodable: the address's local part instead */
		for (size_t i = 0; i < d.len; i++)
			if (d.p[i] == '\t')
				d.p[i] = ' ';
	}
	if (d.len == 0 && *known)
		buf_put(&d, mb.addr, (size_t)(strrchr(mb.addr, '@') - mb.addr));
	buf_put(&d, "", 1);
	if (d.nomem) {
		free(d.p);
		return false;
	}
	drop_at_domain(d.p);
	d.len = strlen(d.p);
	/* NAME: list_name, else the List-Id phrase, else the list address's local part */
	if (a->list_name != NULL && a->list_name[0] != '\0')
		snprintf(name, sizeof(name), "%s", a->list_name);
	else if (a->list_phrase != NULL && a->list_phrase[0] != '\0')
		snprintf(name, sizeof(name), "%s", a->list_phrase);
	else
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a->list, "@"), a->list);
	if (d.len > 0)
		buf_puts(&d, " via ");
	buf_puts(&d, name);
	buf_put(&d, "", 1);
	if (!d.nomem) {
		put_phrase(&v, d.p);
		buf_puts(&v, " <");
		buf_puts(&v, a->list);
		buf_put(&v, ">", 2);
	}
	free(d.p);
	if (d.nomem || v.nomem) {
		free(v.p);
		return false;
	}
	*out = v.p;
	return true;
}

/* contains_ci - whether the N octets at H contain the string S, ASCII case ignored */
static bool contains_ci(const char *h, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; k > 0 && i + k <= n; i++) {
		size_t j = 0;
		while (j < k && mime_lower((unsigned char)h[i + j]) == mime_lower((unsigned char)s[j]))
			j++;
		if (j == k)
			return true;
	}
	return k == 0;
}

/* put_subject - the Subject field F into B with PREFIX before its text, unless the text
 * (encoded-words decoded) holds PREFIX already; an 8-bit PREFIX becomes encoded-words */
static void put_subject(struct buf *b, const struct mime_field *f, const char *prefix)
{
	struct buf d = { 0 }, pfx = { 0 };
	const char *first = f->val, *cend;
	bool eightbit = false, ew_first;
	size_t n, col;
	char *v;

	if ((v = mime_hdr_unfold(f, &n)) == NULL) {
		b->nomem = true;
		return;
	}
	ew_decode(v, &d);
	if (contains_ci(d.p != NULL ? d.p : "", d.len, prefix)) {
		free(v);
		free(d.p);
		put_lines(b, f->start, f->next);
		return;
	}
	free(d.p);
	/* the first octet of the text: past blanks and line ends of folding */
	while (first < f->vend && (mime_blank((unsigned char)*first) || *first == '\r' ||
				   *first == '\n'))
		first++;
	ew_first = n > 0 && strncmp(v, "=?", 2) == 0;
	for (const char *s = prefix; *s; s++)
		eightbit |= (unsigned char)*s >= 0x80;
	if (eightbit) {
		/* encoded: a blank after it inside the word when an encoded-word follows, since the
		 * blank between two encoded-words is not displayed */
		struct buf t = { 0 };
		buf_puts(&t, prefix);
		if (ew_first)
			buf_puts(&t, " ");
		if (!t.nomem)
			ew_encode(&pfx, t.p, t.len);
		pfx.nomem |= t.nomem;
		free(t.p);
	} else {
		buf_puts(&pfx, prefix);
	}
	buf_put(&pfx, "", 1);
	if (pfx.nomem) {
		b->nomem = true;
		free(v);
		free(pfx.p);
		return;
	}
	col = put_value(b, "Subject", pfx.p);
	free(pfx.p);
	if (n == 0) {
		buf_puts(b, "\r\n");
	} else {
		mime_line_next(first, f->next, &cend);
		buf_puts(b, col + 1 + (size_t)(cend - first) > LP_FOLD ? "\r\n " : " ");
		put_lines(b, first, f->next);
	}
	free(v);
}

/* put_mailto - "<mailto:ADDR>" or "<mailto:ADDR?subject=SUBJECT>" into V, ADDR percent-encoded
 * (RFC 6068) */
static void put_mailto(struct buf *v, const char *addr, const char *subject)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_puts(v, "<mailto:");
	for (const char *s = addr; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~!$'()*+,;:@", c) != NULL) {
			buf_put(v, s, 1);
		} else {
			char pct[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_put(v, pct, 3);
		}
	}
	if (subject != NULL) {
		buf_puts(v, "?subject=");
		buf_puts(v, subject);
	}
	buf_put(v, ">", 2);
}

/* put_mailto_field - "NAME: <mailto:...>" into B */
static void put_mailto_field(struct buf *b, const char *name, const char *addr,
			     const char *subject)
{
	struct buf v = { 0 };

	put_mailto(&v, addr, subject);
	if (!v.nomem)
		put_field(b, name, v.p);
	b->nomem |= v.nomem;
	free(v.p);
}

/* put_autocrypt - the Autocrypt field (Autocrypt Level 1) of the list into B: addr, prefer-
 * encrypt=mutual and the keydata in base64, folded in lines of a blank and 76 digits */
static void put_autocrypt(struct buf *b, const struct listpost_copy_args *a)
{
	struct buf v = { 0 };
	unsigned char line[80];

	buf_puts(&v, "addr=");
	buf_puts(&v, a->list);
	buf_puts(&v, "; prefer-encrypt=mutual; keydata=");
	buf_put(&v, "", 1);
	if (!v.nomem)
		put_value(b, "Autocrypt", v.p);
	b->nomem |= v.nomem;
	free(v.p);
	for (size_t i = 0; i < a->autocrypt_len; i += LP_B64_IN) {
		size_t k = a->autocrypt_len - i < LP_B64_IN ? a->autocrypt_len - i : LP_B64_IN;
		int m = EVP_EncodeBlock(line, a->autocrypt_keydata + i, (int)k);
		buf_puts(b, "\r\n ");
		buf_put(b, line, (size_t)m);
	}
	buf_puts(b, "\r\n");
}

/* put_added - the fields every copy gets, into B */
static void put_added(struct buf *b, const struct listpost_copy_args *a, const char *tag)
{
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
	b->nomem |= v.nomem;
	free(v.p);
	if (a->request != NULL) {
		put_mailto_field(b, "List-Help", a->request, "help");
		put_mailto_field(b, "List-Unsubscribe", a->request, "unsubscribe");
		put_mailto_field(b, "List-Subscribe", a->request, "subscribe");
	}
	put_mailto_field(b, "List-Post", a->list, NULL);
	if (a->owner != NULL)
		put_mailto_field(b, "List-Owner", a->owner, NULL);
	if (a->autocrypt_keydata != NULL)
		put_autocrypt(b, a);
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
	char bnd[64], *ent;
	size_t elen;
	enum mime_status st;

	if (!copy_boundary(bnd, sizeof(bnd), a, p, n))
		return false;
	if ((st = mime_pgpmime(bnd, (const char *)p, n, &ent, &elen)) != MIME_OK) {
		b->nomem |= st == MIME_NOMEM;
		return st == MIME_NOMEM;
	}
	buf_put(b, ent, elen);
	free(ent);
	return true;
}

/* listpost_copy - the copy of POST with PAYLOAD as its encrypted content */
bool listpost_copy(const char *msg, size_t msg_len, const struct listpost *post,
		   const struct listpost_copy_args *a, const uint8_t *payload, size_t len,
		   char **out, size_t *outlen)
{
	struct buf b = { 0 };
	struct post_facts pf = { 0 };
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
	copy_prescan(msg, post->header_len, &pf);
	if (a->from_rewrite &&
	    !from_rewritten(pf.has_from ? &pf.from : NULL, a, &pf.display, &pf.author_known))
		return false;
	if ((b.p = malloc(b.cap = post->header_len + len * 2 + 2048 +
			  a->autocrypt_len * 2)) == NULL) {
		free(pf.display);
		return false;
	}
	copy_header(&b, msg, post->header_len, a, tag, &pf);
	free(pf.display);
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

/* listpost_author_domain - the domain of the post's first author (its first From field, read
 * with pw_from_mailbox) into DOMAIN (LEN octets); false when there is none usable */
bool listpost_author_domain(const char *msg, size_t msg_len, const struct listpost *post,
			    char *domain, size_t len)
{
	struct post_facts pf = { 0 };
	struct pw_from_mailbox mb;
	size_t n;
	char *v;

	if (domain == NULL || len == 0)
		return false;
	domain[0] = '\0';
	if (msg == NULL || post == NULL || post->header_len == 0 || post->header_len > msg_len ||
	    post->header_len > LISTPOST_MAX_HEADER)
		return false;
	copy_prescan(msg, post->header_len, &pf);
	if (!pf.has_from || (v = mime_hdr_unfold(&pf.from, &n)) == NULL)
		return false;
	pw_from_mailbox(v, NULL, &mb, NULL, 0);
	free(v);
	if (mb.domain[0] == '\0' || strlen(mb.domain) >= len)
		return false;
	memcpy(domain, mb.domain, strlen(mb.domain) + 1);
	return true;
}
