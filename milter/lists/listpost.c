/*
 * milter/lists/listpost.c - the MIME side of encrypted list posts, reading: classify a post as
 * the MTA handed it over and find its encrypted payload in the MIME structure.  The
 * Content-Type and Content-Transfer-Encoding parsers and the body decoders it uses are
 * listpost-mime.c; writing each subscriber's copy around a re-addressed payload is
 * listpost-copy.c.
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
 *	LISTPOST_BAD.  A boundary is 1 to LP_BOUNDARY_MAX printable ASCII octets or spaces, not
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
	struct span body;
	unsigned depth;
	char path[40];			/* "" for the message, else "1.2" */
	char boundary[LP_BOUNDARY_MAX + 1];
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

/* lp_lower - ASCII lower case, whatever the locale */
int lp_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* lp_blank - space or tab */
bool lp_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* lp_span_ieq - whether the N octets at P are S without regard to ASCII case */
bool lp_span_ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || lp_lower((unsigned char)p[i]) != lp_lower((unsigned char)s[i]))
			return false;
	return s[i] == '\0';
}

/* lp_span_iprefix - whether the N octets at P begin with S without regard to ASCII case */
bool lp_span_iprefix(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && lp_span_ieq(p, k, s);
}

/* lp_line_next - the line at P before END: *CEND gets the end of its text (its CRLF or LF
 * left out); returns where the next line begins (END after the last one) */
const char *lp_line_next(const char *p, const char *end, const char **cend)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL) {
		*cend = end;
		return end;
	}
	*cend = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	return nl + 1;
}

/* line_trim - the end of the text [P, END) without trailing blanks */
static const char *line_trim(const char *p, const char *end)
{
	while (end > p && lp_blank((unsigned char)end[-1]))
		end--;
	return end;
}

/* line_is - whether the line text [P, END), trailing blanks aside, is exactly S */
static bool line_is(const char *p, const char *end, const char *s)
{
	size_t n = (size_t)(line_trim(p, end) - p);

	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* ---- header sections --------------------------------------------------------------------- */

/* lp_hdr_name - the length of the field name opening the line [P, END), 0 if it is no field */
size_t lp_hdr_name(const char *p, const char *end)
{
	const char *q = p;
	size_t n;

	while (q < end && (unsigned char)*q > ' ' && (unsigned char)*q < 0x7f && *q != ':')
		q++;
	n = (size_t)(q - p);
	while (q < end && lp_blank((unsigned char)*q))
		q++;
	return n > 0 && q < end && *q == ':' ? n : 0;
}

/* hdr_scan - check the header section at P (AVAIL octets): fields and continuation lines up
 * to an empty line, within LISTPOST_MAX_HEADER octets; TOP: the empty line must be there,
 * else the section may run to the end; WHERE names the entity in reasons */
static enum lp_status hdr_scan(const char *p, size_t avail, bool top, const char *where,
			       struct hdrsec *h, struct listpost *out)
{
	size_t lim = avail < LISTPOST_MAX_HEADER ? avail : LISTPOST_MAX_HEADER, lineno = 0;
	const char *end = p + lim, *cur = p;

	h->p = p;
	while (cur < end) {
		const char *nl = memchr(cur, '\n', (size_t)(end - cur)), *cend, *next;
		if (nl == NULL) {
			if (avail > lim)
				break;
			cend = next = end;
		} else {
			cend = nl > cur && nl[-1] == '\r' ? nl - 1 : nl;
			next = nl + 1;
		}
		lineno++;
		if (cend == cur) {
			h->fields = (size_t)(cur - p);
			h->len = (size_t)(next - p);
			return LP_OK;
		}
		if (lp_blank((unsigned char)*cur)) {
			if (lineno == 1)
				return lp_bad(out, "%s: header begins with a continuation line",
					      where);
		} else if (lp_hdr_name(cur, cend) == 0) {
			return lp_bad(out, "%s: header line %zu is neither a field nor a "
				      "continuation", where, lineno);
		}
		cur = next;
	}
	if (avail > lim)
		return lp_bad(out, "%s: header longer than %u octets", where,
			      (unsigned)LISTPOST_MAX_HEADER);
	if (top)
		return lp_bad(out, "%s: header without end (no empty line)", where);
	h->fields = h->len = avail;
	return LP_OK;
}

/* lp_field_next - the field at *CUR of a checked section ending at END; false at the end */
bool lp_field_next(const char **cur, const char *end, struct field *f)
{
	const char *cend, *next;

	if (*cur >= end)
		return false;
	f->start = f->name = *cur;
	next = lp_line_next(*cur, end, &cend);
	f->namelen = lp_hdr_name(*cur, cend);
	f->val = f->namelen > 0 ? (const char *)memchr(*cur, ':', (size_t)(cend - *cur)) + 1 : cend;
	f->vend = cend;
	while (next < end && lp_blank((unsigned char)*next)) {
		next = lp_line_next(next, end, &cend);
		f->vend = cend;
	}
	f->next = *cur = next;
	return true;
}

/* lp_hdr_unfold - F's value without its line ends and outer blanks, NUL-terminated
 * (malloc'd), *LEN its length (a NUL inside makes strlen() shorter); NULL for lack of memory */
char *lp_hdr_unfold(const struct field *f, size_t *len)
{
	size_t n = (size_t)(f->vend - f->val), k = 0, i = 0;
	char *v = malloc(n + 1);

	if (v == NULL)
		return NULL;
	for (const char *s = f->val; s < f->vend; s++) {
		if (*s == '\n' || (*s == '\r' && s + 1 < f->vend && s[1] == '\n'))
			continue;
		v[k++] = *s;
	}
	while (k > 0 && lp_blank((unsigned char)v[k - 1]))
		k--;
	while (i < k && lp_blank((unsigned char)v[i]))
		i++;
	memmove(v, v + i, k - i);
	v[k - i] = '\0';
	*len = k - i;
	return v;
}

/* hdr_get - the unfolded value of the field NAME of H into *VAL (malloc'd; NULL when
 * absent); LP_BAD when it occurs twice or holds a control character */
static enum lp_status hdr_get(const struct hdrsec *h, const char *name, const char *where,
			      char **val, struct listpost *out)
{
	const char *cur = h->p, *end = h->p + h->fields;
	struct field f;
	char *v = NULL;
	size_t len = 0;

	*val = NULL;
	while (lp_field_next(&cur, end, &f)) {
		if (!lp_span_ieq(f.name, f.namelen, name))
			continue;
		if (v != NULL) {
			free(v);
			return lp_bad(out, "%s: more than one %s field", where, name);
		}
		if ((v = lp_hdr_unfold(&f, &len)) == NULL)
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
enum lp_status lp_entity_read(struct span sp, bool top, const char *where, struct entity *e,
			      struct listpost *out)
{
	char why[96], *cte = NULL;
	size_t n;
	enum lp_status st;

	memset(e, 0, sizeof(*e));
	if ((st = hdr_scan(sp.p, sp.n, top, where, &e->h, out)) != LP_OK)
		return st;
	e->body.p = sp.p + e->h.len;
	e->body.n = sp.n - e->h.len;
	if ((st = hdr_get(&e->h, "Content-Type", where, &e->ctraw, out)) != LP_OK)
		return st;
	if (e->ctraw == NULL) {
		strcpy(e->ct.type, "text");
		strcpy(e->ct.subtype, "plain");
	} else if (!lp_ct_parse(e->ctraw, &e->ct, why, sizeof(why))) {
		return lp_bad(out, "%s: malformed Content-Type: %s", where, why);
	}
	e->cte = CTE_7BIT;
	if ((st = hdr_get(&e->h, "Content-Transfer-Encoding", where, &cte, out)) != LP_OK)
		return st;
	if (cte != NULL && !lp_cte_parse(cte, &e->cte)) {
		n = strlen(cte);
		st = lp_bad(out, "%s: unknown Content-Transfer-Encoding \"%.40s%s\"", where, cte,
			    n > 40 ? "..." : "");
	}
	free(cte);
	if (st == LP_OK && strcmp(e->ct.type, "multipart") == 0 &&
	    (e->cte == CTE_QP || e->cte == CTE_BASE64))
		return lp_bad(out, "%s: multipart with Content-Transfer-Encoding %s", where,
			      lp_cte_name(e->cte));
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
		if (!lp_blank((unsigned char)*p) && *p != '\r')
			n++;
	return n;
}

/* armor_find - the one PGP MESSAGE block of T into OUT->payload (trailing blanks cut, line ends
 * LF); *FOUND false
 * when there is none (*SIGNED then tells a clearsigned text); LP_BAD for a block without end,
 * a block inside a block, or a second block; text outside the block noted in OUT->why */
static enum lp_status armor_find(struct span t, const char *where, bool *found, bool *signed_,
				 struct listpost *out)
{
	const char *end = t.p + t.n, *cur = t.p, *cend, *next, *b = NULL, *e = NULL;
	size_t before = 0, after = 0, k = 0;

	*found = *signed_ = false;
	for (; cur < end; cur = next) {
		next = lp_line_next(cur, end, &cend);
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
		next = lp_line_next(cur, e, &cend);
		cend = line_trim(cur, cend);
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

/* lp_mp_split - the body parts of the multipart body B delimited by BND into PARTS, at most
 * BUDGET of them (more is LP_BAD); WHERE names the multipart in reasons */
enum lp_status lp_mp_split(struct span b, const char *bnd, size_t budget, const char *where,
			   struct span *parts, size_t *nparts, struct listpost *out)
{
	const char *end = b.p + b.n, *cur, *cend, *next, *pstart = NULL;
	size_t blen = strlen(bnd), np = 0;

	for (cur = b.p; cur < end; cur = next) {
		const char *q;
		bool close = false;
		next = lp_line_next(cur, end, &cend);
		if ((size_t)(cend - cur) < blen + 2 || cur[0] != '-' || cur[1] != '-' ||
		    memcmp(cur + 2, bnd, blen) != 0)
			continue;
		q = cur + 2 + blen;
		if (cend - q >= 2 && q[0] == '-' && q[1] == '-') {
			close = true;
			q += 2;
		}
		if (line_trim(q, cend) != q)
			return lp_bad(out, "%s: a line begins with the boundary but is no "
				      "delimiter", where);
		if (pstart != NULL) {
			const char *pend = cur;
			if (pend > pstart && pend[-1] == '\n')
				pend--;
			if (pend > pstart && pend[-1] == '\r' && pend[0] == '\n')
				pend--;
			if (np == budget)
				return lp_bad(out, "%s: more than %u body parts in the message",
					      where, (unsigned)LISTPOST_MAX_PARTS);
			parts[np].p = pstart;
			parts[np++].n = (size_t)(pend - pstart);
		} else if (close) {
			return lp_bad(out, "%s: closing boundary before any part", where);
		}
		if (close) {
			*nparts = np;
			return LP_OK;
		}
		pstart = next;
	}
	if (pstart == NULL)
		return lp_bad(out, "%s: boundary \"%.40s\" never found", where, bnd);
	return lp_bad(out, "%s: no closing boundary", where);
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
	struct span parts[LISTPOST_MAX_PARTS];
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
		st = lp_mp_split(it.body, it.boundary, LISTPOST_MAX_PARTS - total, where, parts,
				 &np, out);
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
			if (note[0] == '\0' && (lp_ct_is(&e.ct, "multipart", "encrypted") ||
						lp_ct_is(&e.ct, "application", "pkcs7-mime") ||
						lp_ct_is(&e.ct, "application", "x-pkcs7-mime")))
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
static enum lp_status pgp_version(struct span t, struct listpost *out)
{
	const char *end = t.p + t.n, *cur, *cend, *next;

	for (cur = t.p; cur < end; cur = next) {
		const char *s, *e;
		next = lp_line_next(cur, end, &cend);
		for (s = cur; s < cend && lp_blank((unsigned char)*s); s++)
			;
		if (!lp_span_iprefix(s, (size_t)(cend - s), "version"))
			continue;
		for (s += 7; s < cend && lp_blank((unsigned char)*s); s++)
			;
		if (s == cend || *s++ != ':')
			continue;
		while (s < cend && lp_blank((unsigned char)*s))
			s++;
		e = line_trim(s, cend);
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
	struct span parts[LISTPOST_MAX_PARTS];
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
	if ((st = lp_mp_split(top->body, top->ct.boundary, LISTPOST_MAX_PARTS, "message",
			      parts, &np, out)) != LP_OK)
		return st;
	if (np != 2)
		return lp_bad(out, "multipart/encrypted with %zu part%s (RFC 3156: exactly 2)", np,
			      np == 1 ? " only" : "s");
	st = lp_entity_read(parts[0], false, "part 1", &e1, out);
	free(e1.ctraw);
	if (st != LP_OK)
		return st;
	if (!lp_ct_is(&e1.ct, "application", "pgp-encrypted"))
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
	if (!lp_ct_is(&e2.ct, "application", "octet-stream"))
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
	if (top->cte == CTE_QP)
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
	struct span all = { msg, len };
	struct entity top;
	char note[192];
	enum lp_status st;

	if ((st = lp_entity_read(all, true, "message", &top, out)) != LP_OK)
		goto done;
	out->header_len = top.h.len;
	if (lp_ct_is(&top.ct, "text", "plain")) {
		st = kind_text(&top, out);
	} else if (lp_ct_is(&top.ct, "multipart", "encrypted")) {
		st = kind_pgpmime(&top, out);
	} else if (lp_ct_is(&top.ct, "application", "pkcs7-mime") ||
		   lp_ct_is(&top.ct, "application", "x-pkcs7-mime")) {
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

/* lp_hdr_scan - hdr_scan for the other readers of messages in milter/lists/ */
enum lp_status lp_hdr_scan(const char *p, size_t avail, bool top, const char *where,
			   struct hdrsec *h, struct listpost *out)
{
	return hdr_scan(p, avail, top, where, h, out);
}

/* lp_hdr_get - hdr_get for the other readers of messages in milter/lists/ */
enum lp_status lp_hdr_get(const struct hdrsec *h, const char *name, const char *where,
			  char **val, struct listpost *out)
{
	return hdr_get(h, name, where, val, out);
}
