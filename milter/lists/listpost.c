/*
 * milter/lists/listpost.c - the MIME side of encrypted list posts, reading: classify a post as
 * the MTA handed it over and find its encrypted payload in the MIME structure.  The
 * header sections, Content-Type and Content-Transfer-Encoding parsers, multipart splitting
 * and body decoders it uses are policy/mime.c (shared with the bounce reader policy/dsn.c),
 * the body decoding as a verdict listpost-mime.c; writing each subscriber's copy around a
 * re-addressed payload is listpost-copy.c.
 *
 * NAME
 *	listpost - MIME for encrypted list posts
 *
 * SYNOPSIS
 *	#include "listpost.h"
 *
 *	bool listpost_parse(msg, len, &post);
 *	void listpost_clear(&post);
 *
 * DESCRIPTION
 *	The contract is listpost.h.  Where it leaves room, this is what is done, and why.
 *
 *	Reading.  Lines end in CRLF or LF (a CR elsewhere is an ordinary octet).  A header
 *	section is a run of fields (a name of printable ASCII without ':', optional blanks, a
 *	colon) and continuation lines, ended by an empty line; anything else in it - a line
 *	that is neither, a continuation first - is LISTPOST_BAD.  The message's header must end
 *	in an empty line within LISTPOST_MAX_HEADER octets ("header without end" otherwise); a
 *	part's header may run to the end of the part (a part without a body).  The fields read
 *	(Content-Type, Content-Transfer-Encoding) may occur at most once per entity, may not
 *	hold control characters, and must parse; a malformed one is LISTPOST_BAD rather than
 *	RFC 2045's "take it as text/plain": on an encrypted list an ambiguous post is refused,
 *	never guessed at.  Content-Type: type "/" subtype *(";" attribute "=" value), comments
 *	and blanks anywhere between tokens, a trailing or doubled ";" tolerated; values are
 *	quoted strings or (leniently, as real mailers write them) runs of printable octets
 *	other than ';', '"' and '('.  A parameter read here (boundary, protocol) given twice is
 *	LISTPOST_BAD.  A boundary is 1 to MIME_BOUNDARY_MAX printable ASCII octets or spaces, not
 *	ending in a space (RFC 2046 says 70; longer ones are accepted).  Content-Transfer-
 *	Encoding is 7bit, 8bit, binary, quoted-printable or base64; another value is
 *	LISTPOST_BAD, and so is a multipart with quoted-printable or base64 (RFC 2045 6.4).
 *
 *	Multipart bodies.  A delimiter is a line "--" boundary ["--"] followed only by blanks
 *	(transport padding); the line end before it belongs to it.  A line that begins with
 *	"--" boundary but is not a delimiter is LISTPOST_BAD (RFC 2046 forbids it; parsers
 *	disagree on it).  The preamble and the epilogue (after the close delimiter) are
 *	ignored.  No delimiter, no close delimiter, or a close delimiter first is LISTPOST_BAD.
 *	Every multipart of the post is walked (iteratively): LISTPOST_MAX_DEPTH levels at most
 *	(the top-level multipart is level 1) and LISTPOST_MAX_PARTS body parts in all, every
 *	part's header checked as above.  message/rfc822 parts are not looked into.
 *
 *	Kinds.  Only the top level is classified; an encrypted part inside, say, a
 *	multipart/mixed makes the post LISTPOST_PLAIN with that part named in WHY.
 *	- PGP/MIME: protocol must be application/pgp-encrypted (another protocol is PLAIN, a
 *	  missing one BAD); exactly two parts (RFC 3156 section 4); the first
 *	  application/pgp-encrypted with a line "Version: 1" (blanks and case free; another
 *	  version is BAD); the second application/octet-stream.  The payload is the one PGP
 *	  MESSAGE block of the second part's body, decoded per its Content-Transfer-Encoding.
 *	- Inline PGP: a text/plain body (or no Content-Type), decoded per its Content-Transfer-
 *	  Encoding (quoted-printable and base64 too), holding exactly one PGP MESSAGE block: the
 *	  "-----BEGIN PGP MESSAGE-----" line at the start of a line (trailing blanks allowed;
 *	  quoted "> -----BEGIN" lines do not count) through the next END line.  No END line, a
 *	  BEGIN inside a block, or a second block is LISTPOST_BAD.  Text outside the block is
 *	  not in the payload, so it is dropped from the copies: it was not encrypted, and an
 *	  encrypted list neither spreads plaintext nor lets unauthenticated text ride along
 *	  with decrypted content.  The drop is not silent: WHY then says how many non-blank
 *	  octets there were before and after the block, for the log.  The same holds for the
 *	  second part of a PGP/MIME post.  A clearsigned or otherwise unencrypted text is PLAIN.
 *	- S/MIME: application/pkcs7-mime or application/x-pkcs7-mime, any smime-type.  base64
 *	  is decoded strictly (any line length; white space skipped; another octet, misplaced
 *	  padding or a partial quantum is BAD); 7bit, 8bit and binary are taken as they are,
 *	  except that CR and LF octets after the end of the outer DER element (the line end an
 *	  MTA adds) are cut off.  An empty body, or one whose first octet is not a SEQUENCE
 *	  (0x30), is BAD; so is a Content-Type value over LP_SMIME_CT_MAX octets (the copy
 *	  repeats it).  smime_type is the unfolded, trimmed Content-Type value.
 *	The PGP payload is the armor text from its BEGIN line through its END line with
 *	trailing blanks cut (RFC 4880 6.2 allows them after the BEGIN and END lines, GnuPG
 *	ignores them on every line), every line end made LF and a final LF:
 *	the form opgp_armor() writes, so such a payload survives listpost_copy() and
 *	listpost_parse() byte for byte.
 *	WHY: LISTPOST_BAD the reason, LISTPOST_PLAIN what the post was, PGP kinds the note on
 *	dropped text or empty, S/MIME empty.
 *
 * LIMITS
 *	LISTPOST_MAX_HEADER octets per header section, LISTPOST_MAX_DEPTH multipart levels,
 *	LISTPOST_MAX_PARTS body parts.  Each level of a multipart is scanned once, so the work
 *	for a post is at most (LISTPOST_MAX_DEPTH + 2) passes over it.
 *
 * DIAGNOSTICS
 *	listpost_parse() returns false only for lack of memory; every verdict on the post is
 *	in its kind and WHY.
 */
#include "listpost.h"
#include "listpost-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LP_SMIME_CT_MAX	900		/* octets of an S/MIME Content-Type value */

static const char ARMOR_BEGIN[] = "-----BEGIN PGP MESSAGE-----";
static const char ARMOR_END[] = "-----END PGP MESSAGE-----";
static const char ARMOR_SIGNED[] = "-----BEGIN PGP SIGNED MESSAGE-----";

struct walk_item {			/* a multipart still to look into */
	struct mime_span body;
	unsigned depth;
	char path[40];			/* "" for the message, else "1.2" */
	char boundary[MIME_BOUNDARY_MAX + 1];
};

static enum lp_status lp_plain(struct listpost *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- small helpers ----------------------------------------------------------------------- */

/* lp_bad - make OUT a LISTPOST_BAD with the reason FMT...; LP_BAD */
enum lp_status lp_bad(struct listpost *out, const char *fmt, ...)
{
	va_list ap;

	out->kind = LISTPOST_BAD;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return LP_BAD;
}

/* lp_plain - make OUT a LISTPOST_PLAIN described by FMT...; LP_OK */
static enum lp_status lp_plain(struct listpost *out, const char *fmt, ...)
{
	va_list ap;

	out->kind = LISTPOST_PLAIN;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return LP_OK;
}

/* line_is - whether the line text [P, END), trailing blanks aside, is exactly S */
static bool line_is(const char *p, const char *end, const char *s)
{
	size_t n = (size_t)(mime_line_trim(p, end) - p);

	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* ---- header sections --------------------------------------------------------------------- */

/* from_mime - the verdict of a policy/mime.c call in listpost's terms, its reason WHY made
 * OUT's */
static enum lp_status from_mime(enum mime_status st, const char *why, struct listpost *out)
{
	if (st == MIME_NOMEM)
		return LP_NOMEM;
	return st == MIME_OK ? LP_OK : lp_bad(out, "%s", why);
}

/* lp_hdr_scan - mime_hdr_scan() within LISTPOST_MAX_HEADER octets, its reason OUT's */
enum lp_status lp_hdr_scan(const char *p, size_t avail, bool top, const char *where,
			   struct mime_hdrsec *h, struct listpost *out)
{
	char why[sizeof(out->why)];

	return from_mime(mime_hdr_scan(p, avail, LISTPOST_MAX_HEADER, top, where, h, why,
				       sizeof(why)), why, out);
}

/* lp_hdr_get - the unfolded value of the field NAME of H into *VAL (malloc'd; NULL when
 * absent); LP_BAD when it occurs twice or holds a control character */
enum lp_status lp_hdr_get(const struct mime_hdrsec *h, const char *name, const char *where,
			  char **val, struct listpost *out)
{
	const char *cur = h->p, *end = h->p + h->fields;
	struct mime_field f;
	char *v = NULL;
	size_t len = 0;

	*val = NULL;
	while (mime_field_next(&cur, end, &f)) {
		if (!mime_span_ieq(f.name, f.namelen, name))
			continue;
		if (v != NULL) {
			free(v);
			return lp_bad(out, "%s: more than one %s field", where, name);
		}
		if ((v = mime_hdr_unfold(&f, &len)) == NULL)
			return LP_NOMEM;
	}
	if (v == NULL)
		return LP_OK;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			free(v);
			return lp_bad(out, "%s: control character in %s", where, name);
		}
	}
	*val = v;
	return LP_OK;
}

/* lp_entity_read - read the header of the entity SP (the message if TOP, else a part named
 * WHERE): its Content-Type (text/plain when absent) and Content-Transfer-Encoding; the caller
 * frees E->ctraw whatever the outcome */
enum lp_status lp_entity_read(struct mime_span sp, bool top, const char *where,
			      struct entity *e, struct listpost *out)
{
	char why[96], *cte = NULL;
	size_t n;
	enum lp_status st;

	memset(e, 0, sizeof(*e));
	if ((st = lp_hdr_scan(sp.p, sp.n, top, where, &e->h, out)) != LP_OK)
		return st;
	e->body.p = sp.p + e->h.len;
	e->body.n = sp.n - e->h.len;
	if ((st = lp_hdr_get(&e->h, "Content-Type", where, &e->ctraw, out)) != LP_OK)
		return st;
	if (e->ctraw == NULL) {
		strcpy(e->ct.type, "text");
		strcpy(e->ct.subtype, "plain");
	} else if (!mime_ct_parse(e->ctraw, &e->ct, why, sizeof(why))) {
		return lp_bad(out, "%s: malformed Content-Type: %s", where, why);
	}
	e->cte = MIME_CTE_7BIT;
	if ((st = lp_hdr_get(&e->h, "Content-Transfer-Encoding", where, &cte, out)) != LP_OK)
		return st;
	if (cte != NULL && !mime_cte_parse(cte, &e->cte)) {
		n = strlen(cte);
		st = lp_bad(out, "%s: unknown Content-Transfer-Encoding \"%.40s%s\"", where, cte,
			    n > 40 ? "..." : "");
	}
	free(cte);
	if (st == LP_OK && strcmp(e->ct.type, "multipart") == 0 &&
	    (e->cte == MIME_CTE_QP || e->cte == MIME_CTE_BASE64))
		return lp_bad(out, "%s: multipart with Content-Transfer-Encoding %s", where,
			      mime_cte_name(e->cte));
	return st;
}

/* strspn_n - how many of the N octets at P, from the first, are in SET */
static size_t strspn_n(const char *p, size_t n, const char *set)
{
	size_t i = 0;

	while (i < n && p[i] != '\0' && strchr(set, p[i]) != NULL)
		i++;
	return i;
}

/* ---- PGP armor --------------------------------------------------------------------------- */

/* nonblank - the octets of [P, END) that are not blanks */
static size_t nonblank(const char *p, const char *end)
{
	size_t n = 0;

	for (; p < end; p++)
		if (!mime_blank((unsigned char)*p) && *p != '\r')
			n++;
	return n;
}

/* armor_find - the one PGP MESSAGE block of T into OUT->payload (trailing blanks cut, line ends
 * LF); *FOUND false
 * when there is none (*SIGNED then tells a clearsigned text); LP_BAD for a block without end,
 * a block inside a block, or a second block; text outside the block noted in OUT->why */
static enum lp_status armor_find(struct mime_span t, const char *where, bool *found, bool *signed_,
				 struct listpost *out)
{
	const char *end = t.p + t.n, *cur = t.p, *cend, *next, *b = NULL, *e = NULL;
	size_t before = 0, after = 0, k = 0;

	*found = *signed_ = false;
	for (; cur < end; cur = next) {
		next = mime_line_next(cur, end, &cend);
		if (line_is(cur, cend, ARMOR_BEGIN)) {
			if (b != NULL)
				return lp_bad(out, e == NULL ?
					      "%s: a PGP MESSAGE block inside another" :
					      "%s: more than one PGP MESSAGE block", where);
			b = cur;
		} else if (b != NULL && e == NULL) {
			if (line_is(cur, cend, ARMOR_END))
				e = next;
		} else if (b == NULL) {
			before += nonblank(cur, cend);
			if (line_is(cur, cend, ARMOR_SIGNED))
				*signed_ = true;
		} else {
			after += nonblank(cur, cend);
		}
	}
	if (b == NULL)
		return LP_OK;
	if (e == NULL)
		return lp_bad(out, "%s: PGP MESSAGE block without END line", where);
	if ((out->payload = malloc((size_t)(e - b) + 1)) == NULL)
		return LP_NOMEM;
	for (cur = b; cur < e; cur = next) {
		next = mime_line_next(cur, e, &cend);
		cend = mime_line_trim(cur, cend);
		memcpy(out->payload + k, cur, (size_t)(cend - cur));
		k += (size_t)(cend - cur);
		out->payload[k++] = '\n';
	}
	out->payload_len = k;
	*found = true;
	if (before > 0 || after > 0)
		snprintf(out->why, sizeof(out->why), "text outside the PGP MESSAGE block dropped "
			 "(%zu octets before it, %zu after it)", before, after);
	return LP_OK;
}

/* ---- multipart --------------------------------------------------------------------------- */

/* lp_mp_split - mime_mp_split() within LISTPOST_MAX_PARTS parts in all, its reason OUT's */
enum lp_status lp_mp_split(struct mime_span b, const char *bnd, size_t budget,
			   const char *where, struct mime_span *parts, size_t *nparts,
			   struct listpost *out)
{
	char why[sizeof(out->why)];

	return from_mime(mime_mp_split(b, bnd, budget, LISTPOST_MAX_PARTS, where, parts, nparts,
				       why, sizeof(why)), why, out);
}

/* path_join - "PARENT.I" (or "I" at the top) into BUF */
static void path_join(char *buf, size_t size, const char *parent, size_t i)
{
	snprintf(buf, size, parent[0] != '\0' ? "%s.%zu" : "%s%zu", parent, i);
}

/* mp_walk - check every multipart below and including the top-level multipart TOP: depth,
 * part count, every part's header; an encrypted entity below the top level named in NOTE */
static enum lp_status mp_walk(const struct entity *top, char *note, size_t notelen,
			      struct listpost *out)
{
	struct walk_item *stack = malloc(sizeof(*stack) * (LISTPOST_MAX_PARTS + 1)), it;
	struct mime_span parts[LISTPOST_MAX_PARTS];
	size_t sp = 0, total = 0, np = 0;
	enum lp_status st = LP_OK;

	note[0] = '\0';
	if (stack == NULL)
		return LP_NOMEM;
	stack[sp].body = top->body;
	stack[sp].depth = 1;
	stack[sp].path[0] = '\0';
	memcpy(stack[sp++].boundary, top->ct.boundary, sizeof(top->ct.boundary));
	while (st == LP_OK && sp > 0) {
		char where[64];
		it = stack[--sp];
		snprintf(where, sizeof(where), it.path[0] ? "part %s" : "message", it.path);
		st = lp_mp_split(it.body, it.boundary, LISTPOST_MAX_PARTS - total, where, parts, &np,
			      out);
		if (st != LP_OK)
			break;
		total += np;
		for (size_t i = 0; i < np && st == LP_OK; i++) {
			struct entity e;
			char path[sizeof(it.path)];
			path_join(path, sizeof(path), it.path, i + 1);
			snprintf(where, sizeof(where), "part %s", path);
			st = lp_entity_read(parts[i], false, where, &e, out);
			free(e.ctraw);
			if (st != LP_OK)
				break;
			if (strcmp(e.ct.type, "multipart") == 0) {
				if (it.depth >= LISTPOST_MAX_DEPTH)
					st = lp_bad(out, "%s: multipart nesting deeper than %d "
						    "levels", where, LISTPOST_MAX_DEPTH);
				else if (!e.ct.has_boundary)
					st = lp_bad(out, "%s: multipart without boundary parameter",
						    where);
				if (st != LP_OK)
					break;
				stack[sp].body = e.body;
				stack[sp].depth = it.depth + 1;
				memcpy(stack[sp].path, path, sizeof(path));
				memcpy(stack[sp++].boundary, e.ct.boundary, sizeof(e.ct.boundary));
			}
			if (note[0] == '\0' && (mime_ct_is(&e.ct, "multipart", "encrypted") ||
						mime_ct_is(&e.ct, "application", "pkcs7-mime") ||
						mime_ct_is(&e.ct, "application", "x-pkcs7-mime")))
				snprintf(note, notelen, "; part %s is %.20s/%.20s (encryption "
					 "below the top level is not used)", path, e.ct.type,
					 e.ct.subtype);
		}
	}
	free(stack);
	return st;
}

/* ---- the kinds --------------------------------------------------------------------------- */

/* pgp_version - whether the control part text T has the line "Version: 1" (LP_BAD if not) */
static enum lp_status pgp_version(struct mime_span t, struct listpost *out)
{
	const char *end = t.p + t.n, *cur, *cend, *next;

	for (cur = t.p; cur < end; cur = next) {
		const char *s, *e;
		next = mime_line_next(cur, end, &cend);
		for (s = cur; s < cend && mime_blank((unsigned char)*s); s++)
			;
		if (!mime_span_iprefix(s, (size_t)(cend - s), "version"))
			continue;
		for (s += 7; s < cend && mime_blank((unsigned char)*s); s++)
			;
		if (s == cend || *s++ != ':')
			continue;
		while (s < cend && mime_blank((unsigned char)*s))
			s++;
		e = mime_line_trim(s, cend);
		if (e - s == 1 && *s == '1')
			return LP_OK;
		return lp_bad(out, "part 1: PGP/MIME \"Version: %.*s\" not supported",
			      (int)(e - s > 20 ? 20 : e - s), s);
	}
	return lp_bad(out, "part 1: no \"Version: 1\" line (RFC 3156)");
}

/* kind_pgpmime - the multipart/encrypted post TOP (RFC 3156 section 4) */
static enum lp_status kind_pgpmime(const struct entity *top, struct listpost *out)
{
	struct mime_span parts[LISTPOST_MAX_PARTS];
	struct entity e1, e2;
	struct decoded d1 = { 0 }, d2 = { 0 };
	size_t np = 0;
	bool found = false, signed_ = false;
	enum lp_status st;

	if (!top->ct.has_protocol)
		return lp_bad(out, "multipart/encrypted without protocol parameter");
	if (!top->ct.has_boundary)
		return lp_bad(out, "multipart/encrypted without boundary parameter");
	if (strcmp(top->ct.protocol, "application/pgp-encrypted") != 0) {
		char note[192];
		if ((st = mp_walk(top, note, sizeof(note), out)) != LP_OK)
			return st;
		return lp_plain(out, "multipart/encrypted; protocol=\"%.60s\" (not PGP/MIME)",
				top->ct.protocol);
	}
	if ((st = lp_mp_split(top->body, top->ct.boundary, LISTPOST_MAX_PARTS, "message", parts,
			   &np, out)) != LP_OK)
		return st;
	if (np != 2)
		return lp_bad(out, "multipart/encrypted with %zu part%s (RFC 3156: exactly 2)", np,
			      np == 1 ? " only" : "s");
	st = lp_entity_read(parts[0], false, "part 1", &e1, out);
	free(e1.ctraw);
	if (st != LP_OK)
		return st;
	if (!mime_ct_is(&e1.ct, "application", "pgp-encrypted"))
		return lp_bad(out, "part 1 is %s/%s, not application/pgp-encrypted", e1.ct.type,
			      e1.ct.subtype);
	if ((st = lp_body_decode(&e1, "part 1", &d1, out)) != LP_OK)
		return st;
	st = pgp_version(d1.s, out);
	free(d1.owned);
	if (st != LP_OK)
		return st;
	st = lp_entity_read(parts[1], false, "part 2", &e2, out);
	free(e2.ctraw);
	if (st != LP_OK)
		return st;
	if (!mime_ct_is(&e2.ct, "application", "octet-stream"))
		return lp_bad(out, "part 2 is %s/%s, not application/octet-stream", e2.ct.type,
			      e2.ct.subtype);
	if ((st = lp_body_decode(&e2, "part 2", &d2, out)) != LP_OK)
		return st;
	st = armor_find(d2.s, "part 2", &found, &signed_, out);
	free(d2.owned);
	if (st != LP_OK)
		return st;
	if (!found)
		return lp_bad(out, "part 2 holds no PGP MESSAGE block");
	out->kind = LISTPOST_PGPMIME;
	return LP_OK;
}

/* kind_text - the text/plain post TOP: inline PGP or plain */
static enum lp_status kind_text(const struct entity *top, struct listpost *out)
{
	struct decoded d;
	bool found = false, signed_ = false;
	enum lp_status st;
	const char *what = top->ct.present ? "text/plain" : "text/plain (no Content-Type)";

	if ((st = lp_body_decode(top, "body", &d, out)) != LP_OK)
		return st;
	st = armor_find(d.s, "body", &found, &signed_, out);
	free(d.owned);
	if (st != LP_OK)
		return st;
	if (found) {
		out->kind = LISTPOST_PGPINLINE;
		return LP_OK;
	}
	return lp_plain(out, signed_ ? "%s, PGP clearsigned, not encrypted" :
			"%s without a PGP MESSAGE block", what);
}

/* der_length - the octets of the outer DER element at P (N octets) by its definite length,
 * or 0 when unknown (indefinite, malformed, or beyond N) */
static size_t der_length(const uint8_t *p, size_t n)
{
	size_t k, len = 0;

	if (n < 2)
		return 0;
	if (p[1] < 0x80)
		return (size_t)p[1] + 2 <= n ? (size_t)p[1] + 2 : 0;
	k = p[1] & 0x7f;
	if (k == 0 || k > 4 || n < 2 + k)
		return 0;
	for (size_t i = 0; i < k; i++)
		len = len << 8 | p[2 + i];
	return len <= n - 2 - k ? 2 + k + len : 0;
}

/* kind_smime - the application/pkcs7-mime post TOP (RFC 8551 3.3, RFC 3854) */
static enum lp_status kind_smime(const struct entity *top, struct listpost *out)
{
	struct decoded d;
	size_t n, dl;
	enum lp_status st;

	if (strlen(top->ctraw) > LP_SMIME_CT_MAX)
		return lp_bad(out, "S/MIME Content-Type longer than %d octets", LP_SMIME_CT_MAX);
	if (top->cte == MIME_CTE_QP)
		return lp_bad(out, "S/MIME body with Content-Transfer-Encoding quoted-printable");
	if ((st = lp_body_decode(top, "S/MIME body", &d, out)) != LP_OK)
		return st;
	n = d.s.n;
	if (d.owned == NULL && (dl = der_length((const uint8_t *)d.s.p, n)) > 0 && dl < n &&
	    strspn_n(d.s.p + dl, n - dl, "\r\n") == n - dl)
		n = dl;				/* the line end an MTA added */
	if (n == 0 || (unsigned char)d.s.p[0] != 0x30) {
		unsigned first = n > 0 ? (unsigned char)d.s.p[0] : 0;
		free(d.owned);
		return n == 0 ? lp_bad(out, "empty S/MIME body") :
			lp_bad(out, "S/MIME body is not DER (first octet 0x%02x, not SEQUENCE)",
			       first);
	}
	if (d.owned != NULL) {
		out->payload = (uint8_t *)d.owned;
	} else if ((out->payload = malloc(n)) == NULL) {
		return LP_NOMEM;
	} else {
		memcpy(out->payload, d.s.p, n);
	}
	out->payload_len = n;
	if ((out->smime_type = strdup(top->ctraw)) == NULL)
		return LP_NOMEM;
	out->kind = LISTPOST_SMIME;
	return LP_OK;
}

/* lp_parse - listpost_parse() without the clean-up */
static enum lp_status lp_parse(const char *msg, size_t len, struct listpost *out)
{
	struct mime_span all = { msg, len };
	struct entity top;
	char note[192];
	enum lp_status st;

	if ((st = lp_entity_read(all, true, "message", &top, out)) != LP_OK)
		goto done;
	out->header_len = top.h.len;
	if (mime_ct_is(&top.ct, "text", "plain")) {
		st = kind_text(&top, out);
	} else if (mime_ct_is(&top.ct, "multipart", "encrypted")) {
		st = kind_pgpmime(&top, out);
	} else if (mime_ct_is(&top.ct, "application", "pkcs7-mime") ||
		   mime_ct_is(&top.ct, "application", "x-pkcs7-mime")) {
		st = kind_smime(&top, out);
	} else if (strcmp(top.ct.type, "multipart") == 0) {
		if (!top.ct.has_boundary)
			st = lp_bad(out, "%s/%s without boundary parameter", top.ct.type,
				    top.ct.subtype);
		else if ((st = mp_walk(&top, note, sizeof(note), out)) == LP_OK)
			st = lp_plain(out, "%s/%s%s", top.ct.type, top.ct.subtype, note);
	} else {
		st = lp_plain(out, "%s/%s", top.ct.type, top.ct.subtype);
	}
done:
	free(top.ctraw);
	return st;
}

/* listpost_parse - classify MSG (LEN octets) and extract its payload into *OUT */
bool listpost_parse(const char *msg, size_t len, struct listpost *out)
{
	enum lp_status st;

	memset(out, 0, sizeof(*out));
	if (msg == NULL) {
		msg = "";
		len = 0;
	}
	st = lp_parse(msg, len, out);
	if (st == LP_NOMEM) {
		listpost_clear(out);
		return false;
	}
	if (out->kind == LISTPOST_BAD || out->kind == LISTPOST_PLAIN) {
		free(out->payload);		/* nothing owned but with an encrypted kind */
		free(out->smime_type);
		out->payload = NULL;
		out->smime_type = NULL;
		out->payload_len = 0;
	}
	return true;
}

/* listpost_clear - release what *P owns */
void listpost_clear(struct listpost *p)
{
	if (p == NULL)
		return;
	free(p->payload);
	free(p->smime_type);
	memset(p, 0, sizeof(*p));
}
