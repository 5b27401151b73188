/*
 * policy/dsn.c - bounce reports (RFC 3464 delivery status notifications, RFC 6533 global
 * ones) read into per-recipient results.
 *
 * NAME
 *	dsn - read a bounce
 *
 * SYNOPSIS
 *	#include "dsn.h"
 *
 *	bool dsn_parse(msg, len, &dsn);
 *	void dsn_clear(&dsn);
 *
 * DESCRIPTION
 *	The contract is dsn.h.  The MIME reading is policy/mime.c (the code list posts are read
 *	with); this file adds the lenient header section walk a bounce needs (up to the first
 *	empty line, non-field lines skipped), the status groups of the delivery-status part and
 *	the classification.  Pure computation on the caller's buffer, no global state.
 */
#include "dsn.h"
#include "mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct section {			/* a header section, read leniently */
	const char *p, *end;		/* its fields */
	const char *body;		/* after its empty line (END of the entity if none) */
};

/* ---- header sections ---------------------------------------------------------------------- */

/* blank_line - whether the line text [P, CEND) is empty or only blanks */
static bool blank_line(const char *p, const char *cend)
{
	return mime_line_trim(p, cend) == p;
}

/* section_read - the header section opening the N octets at P: up to the first empty line,
 * DSN_MAX_HEADER octets at most (a longer one ends there, its body is then empty) */
static void section_read(const char *p, size_t n, struct section *s)
{
	const char *end = p + n, *lim = p + (n < DSN_MAX_HEADER ? n : DSN_MAX_HEADER), *cur, *cend,
		   *next;

	s->p = p;
	for (cur = p; cur < lim; cur = next) {
		next = mime_line_next(cur, end, &cend);
		if (cend == cur) {
			s->end = cur;
			s->body = next;
			return;
		}
	}
	s->end = lim;
	s->body = end;
}

/* field_get - the unfolded value of the first field NAME among the first DSN_MAX_FIELDS of
 * [P, END) into *VAL (malloc'd, NULL when absent); false for lack of memory */
static bool field_get(const char *p, const char *end, const char *name, char **val)
{
	struct mime_field f;
	size_t len, k = 0;

	*val = NULL;
	while (k++ < DSN_MAX_FIELDS && mime_field_next(&p, end, &f)) {
		if (f.namelen == 0 || !mime_span_ieq(f.name, f.namelen, name))
			continue;
		return (*val = mime_hdr_unfold(&f, &len)) != NULL;
	}
	return true;
}

/* text_keep - S into OUT (DSN_MAX_TEXT + 4 octets), control characters made '?', cut at
 * DSN_MAX_TEXT octets with "..." */
static void text_keep(char *out, const char *s)
{
	size_t k = 0;

	for (; *s != '\0' && k < DSN_MAX_TEXT; s++) {
		unsigned char c = (unsigned char)*s;
		out[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (*s != '\0') {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

/* entity_type - the Content-Type and Content-Transfer-Encoding of the section S into *CT and
 * *CTE (text/plain and 7bit when absent or malformed); false for lack of memory */
static bool entity_type(const struct section *s, struct mime_ctype *ct, enum mime_cte *cte)
{
	char *v, why[96];

	memset(ct, 0, sizeof(*ct));
	*cte = MIME_CTE_7BIT;
	if (!field_get(s->p, s->end, "Content-Type", &v))
		return false;
	if (v == NULL || !mime_ct_parse(v, ct, why, sizeof(why))) {
		memset(ct, 0, sizeof(*ct));
		strcpy(ct->type, "text");
		strcpy(ct->subtype, "plain");
	}
	free(v);
	if (!field_get(s->p, s->end, "Content-Transfer-Encoding", &v))
		return false;
	if (v != NULL && !mime_cte_parse(v, cte))
		*cte = MIME_CTE_7BIT;
	free(v);
	return true;
}

/* ---- the status groups --------------------------------------------------------------------- */

/* utf8_put - code point CP as UTF-8 at OUT (room for 4 octets); its length, 0 if CP is no
 * scalar value */
static size_t utf8_put(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* addr_read - the value "type; address" V: the type, lower case, into TYPE (TYPELEN) and
 * the address into OUT (DSN_MAX_ADDR + 1), "" when unusable (see dsn.h) */
static void addr_read(const char *v, char *type, size_t typelen, char *out)
{
	const char *semi = strchr(v, ';'), *a, *e;
	size_t k = 0, tn = 0;
	bool utf8;

	out[0] = type[0] = '\0';
	if (semi == NULL)
		return;
	for (const char *t = v; t < semi; t++) {
		unsigned char c = (unsigned char)*t;
		if (!mime_blank(c) && tn + 1 < typelen)
			type[tn++] = c > ' ' && c < 0x7f ? (char)mime_lower(c) : '?';
	}
	type[tn] = '\0';
	utf8 = strcmp(type, "utf-8") == 0;
	for (a = semi + 1; mime_blank((unsigned char)*a); a++)
		;
	e = a + strlen(a);
	if (e > a && e[-1] == ')') {		/* a trailing comment */
		const char *o = memchr(a, '(', (size_t)(e - a));
		if (o != NULL)
			e = o;
	}
	while (e > a && mime_blank((unsigned char)e[-1]))
		e--;
	if (e - a >= 2 && *a == '<' && e[-1] == '>') {
		a++;
		e--;
	}
	for (const char *s = a; s < e; s++) {
		unsigned char c = (unsigned char)*s;
		char u[4];
		size_t ul = 1;
		u[0] = (char)c;
		if (utf8 && c == '\\' && e - s > 4 && s[1] == 'x' && s[2] == '{') {
			unsigned long cp = 0;
			const char *h = s + 3;
			int d;
			while (h < e && h - s < 3 + 6 && (d = mime_hex_value((unsigned char)*h)) >= 0) {
				cp = cp << 4 | (unsigned long)d;
				h++;
			}
			if (h == s + 3 || h >= e || *h != '}' || (ul = utf8_put(u, cp)) == 0 ||
			    cp < 0x20 || cp == 0x7f) {
				out[0] = '\0';
				return;
			}
			s = h;
		} else if (c <= ' ' || c == 0x7f) {
			out[0] = '\0';
			return;
		}
		if (k + ul > DSN_MAX_ADDR) {
			out[0] = '\0';
			return;
		}
		memcpy(out + k, u, ul);
		k += ul;
	}
	out[k] = '\0';
	if (strchr(out, '@') == NULL)
		out[0] = '\0';
}

/* status_read - the status code "C.S.D" at the start of S (C 2, 4 or 5; S and D 1 to 3
 * digits) into OUT (16 octets); false, OUT "", when there is none */
static bool status_read(const char *s, char *out)
{
	const char *p = s;
	size_t n;

	out[0] = '\0';
	while (mime_blank((unsigned char)*p))
		p++;
	if (*p != '2' && *p != '4' && *p != '5')
		return false;
	s = p++;
	for (int i = 0; i < 2; i++) {
		if (*p++ != '.')
			return false;
		for (n = 0; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 3)
			return false;
	}
	if ((*p >= '0' && *p <= '9') || *p == '.')
		return false;
	memcpy(out, s, (size_t)(p - s));
	out[p - s] = '\0';
	return true;
}

/* status_from_diag - the enhanced status code of a Diagnostic-Code "smtp; 550 5.1.1 ..." (also
 * "550-5.1.1") into OUT; false when there is none */
static bool status_from_diag(const char *d, char *out)
{
	const char *semi = strchr(d, ';'), *p;

	if (semi == NULL)
		return false;
	for (p = semi + 1; mime_blank((unsigned char)*p); p++)
		;
	for (int i = 0; i < 3; i++, p++)
		if (*p < '0' || *p > '9')
			return false;
	if (*p != ' ' && *p != '-')
		return false;
	return status_read(p + 1, out);
}

/* action_read - the Action value V */
static enum dsn_action action_read(const char *v)
{
	static const struct {
		const char *name;
		enum dsn_action action;
	} names[] = {
		{ "failed", DSN_ACTION_FAILED }, { "delayed", DSN_ACTION_DELAYED },
		{ "delivered", DSN_ACTION_DELIVERED }, { "relayed", DSN_ACTION_RELAYED },
		{ "expanded", DSN_ACTION_EXPANDED },
	};
	size_t n = 0;

	while (mime_blank((unsigned char)*v))
		v++;
	while (v[n] != '\0' && v[n] != '(' && v[n] != ';' && !mime_blank((unsigned char)v[n]))
		n++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mime_span_ieq(v, n, names[i].name))
			return names[i].action;
	return DSN_ACTION_OTHER;
}

/* classify - the class of R by its action and status (see dsn.h) */
static enum dsn_class classify(const struct dsn_rcpt *r)
{
	char c = r->status[0];

	switch (r->action) {
	case DSN_ACTION_DELIVERED:
	case DSN_ACTION_RELAYED:
	case DSN_ACTION_EXPANDED:
		return DSN_CLASS_NONE;
	case DSN_ACTION_DELAYED:
		return DSN_CLASS_SOFT;
	case DSN_ACTION_FAILED:
		return c == '5' ? DSN_CLASS_HARD : c == '4' ? DSN_CLASS_SOFT : DSN_CLASS_UNKNOWN;
	case DSN_ACTION_NONE:
	case DSN_ACTION_OTHER:
		break;
	}
	return c == '2' ? DSN_CLASS_NONE : c == '4' ? DSN_CLASS_SOFT : DSN_CLASS_UNKNOWN;
}

/* group_field - the field F of a status group into *R (*ISRCPT: it was a per-recipient field)
 * or OUT's per-message fields; false for lack of memory */
static bool group_field(const struct mime_field *field, struct dsn_rcpt *r, bool *isrcpt,
			struct dsn *out)
{
	struct mime_field cut = *field, *f = &cut;
	bool long_ = (size_t)(cut.vend - cut.val) > DSN_MAX_FIELD, seen;
	size_t len;
	char *v;

	if (long_)
		cut.vend = cut.val + DSN_MAX_FIELD;	/* the rest is not read */

	if (mime_span_ieq(f->name, f->namelen, "Reporting-MTA")) {
		if (out->reporting_mta[0] != '\0')
			return true;		/* the first counts */
		if ((v = mime_hdr_unfold(f, &len)) == NULL)
			return false;
		text_keep(out->reporting_mta, v);
		free(v);
		return true;
	}
	if (mime_span_ieq(f->name, f->namelen, "Final-Recipient"))
		seen = r->final_type[0] != '\0';
	else if (mime_span_ieq(f->name, f->namelen, "Original-Recipient"))
		seen = r->original[0] != '\0';
	else if (mime_span_ieq(f->name, f->namelen, "Action"))
		seen = r->action != DSN_ACTION_NONE;
	else if (mime_span_ieq(f->name, f->namelen, "Status"))
		seen = r->status[0] != '\0';
	else if (mime_span_ieq(f->name, f->namelen, "Diagnostic-Code"))
		seen = r->diag[0] != '\0';
	else
		return true;
	*isrcpt = true;
	if (seen)
		return true;			/* the first counts */
	if ((v = mime_hdr_unfold(f, &len)) == NULL)
		return false;
	switch (f->name[0] | 0x20) {
	case 'f':
		addr_read(v, r->final_type, sizeof(r->final_type), r->final);
		if (r->final_type[0] == '\0')
			strcpy(r->final_type, "?");	/* seen, even without a type */
		if (long_)
			r->final[0] = '\0';		/* an address is never cut */
		break;
	case 'o': {
		char type[16];
		addr_read(v, type, sizeof(type), r->original);
		if (long_)
			r->original[0] = '\0';
		break;
	}
	case 'a':
		r->action = action_read(v);
		break;
	case 's':
		status_read(v, r->status);
		break;
	default:
		text_keep(r->diag, v);
		break;
	}
	free(v);
	return true;
}

/* rcpt_add - the recipient R read from a group into OUT (counted in rcpt_over beyond
 * DSN_MAX_RCPTS); false for lack of memory */
static bool rcpt_add(struct dsn_rcpt *r, struct dsn *out)
{
	if (r->final_type[0] == '?')
		r->final_type[0] = '\0';
	if (r->status[0] == '\0' && r->diag[0] != '\0')
		status_from_diag(r->diag, r->status);
	r->cls = classify(r);
	if (out->nrcpt == DSN_MAX_RCPTS) {
		out->rcpt_over++;
		return true;
	}
	if (out->rcpt == NULL && (out->rcpt = calloc(DSN_MAX_RCPTS, sizeof(*out->rcpt))) == NULL)
		return false;
	out->rcpt[out->nrcpt++] = *r;
	return true;
}

/* groups_read - the status groups of the delivery-status body [P, END): groups are runs of
 * lines between empty (or blank) lines; a group with a per-recipient field is a recipient;
 * false for lack of memory */
static bool groups_read(const char *p, const char *end, struct dsn *out)
{
	const char *cur = p, *cend, *next;
	struct dsn_rcpt *r = malloc(sizeof(*r));

	if (r == NULL)
		return false;
	while (cur < end) {
		const char *gstart, *gend;
		struct mime_field f;
		bool isrcpt = false;
		size_t k = 0;

		next = mime_line_next(cur, end, &cend);
		if (blank_line(cur, cend)) {
			cur = next;
			continue;
		}
		gstart = cur;
		while (cur < end) {
			next = mime_line_next(cur, end, &cend);
			if (blank_line(cur, cend))
				break;
			cur = next;
		}
		gend = cur;
		memset(r, 0, sizeof(*r));
		while (k++ < DSN_MAX_FIELDS && mime_field_next(&gstart, gend, &f))
			if (f.namelen > 0 && !group_field(&f, r, &isrcpt, out)) {
				free(r);
				return false;
			}
		if (isrcpt && !rcpt_add(r, out)) {
			free(r);
			return false;
		}
	}
	free(r);
	return true;
}

/* ---- the report ---------------------------------------------------------------------------- */

/* returned_read - the header of the returned message (part body [P, P+N), a header section
 * or a whole message) for its Message-ID and List-Id; false for lack of memory */
static bool returned_read(const char *p, size_t n, struct dsn *out)
{
	struct section s;
	char *v;

	section_read(p, n, &s);
	out->returned = true;
	if (!field_get(s.p, s.end, "Message-ID", &v))
		return false;
	if (v != NULL)
		text_keep(out->message_id, v);
	free(v);
	if (!field_get(s.p, s.end, "List-Id", &v))
		return false;
	if (v != NULL)
		text_keep(out->list_id, v);
	free(v);
	return true;
}

/* is_status - whether CT is a delivery-status part (*GLOBAL: the RFC 6533 one) */
static bool is_status(const struct mime_ctype *ct, bool *global)
{
	*global = mime_ct_is(ct, "message", "global-delivery-status");
	return *global || mime_ct_is(ct, "message", "delivery-status");
}

/* is_returned - whether CT holds the returned message or its header */
static bool is_returned(const struct mime_ctype *ct)
{
	return mime_ct_is(ct, "text", "rfc822-headers") || mime_ct_is(ct, "message", "rfc822") ||
	       mime_ct_is(ct, "message", "global") || mime_ct_is(ct, "message", "global-headers");
}

/* part_read - the body part PART into OUT when it is the (first) delivery-status part, or
 * the returned message after it (*HAVE_STATUS: the status part was seen); other parts and
 * parts whose transfer encoding does not decode are passed over; false for lack of memory */
static bool part_read(struct mime_span part, bool *have_status, struct dsn *out)
{
	struct section s;
	struct mime_ctype ct;
	enum mime_cte cte;
	bool global;
	char *dec = NULL, why[96];
	size_t declen;
	enum mime_status st;
	const char *body;

	section_read(part.p, part.n, &s);
	if (!entity_type(&s, &ct, &cte))
		return false;
	st = mime_decode(s.body, (size_t)(part.p + part.n - s.body), cte, "part", &dec, &declen,
			 why, sizeof(why));
	if (st == MIME_NOMEM)
		return false;
	if (st != MIME_OK)
		return true;			/* an undecodable part is passed over */
	body = dec != NULL ? dec : s.body;
	if (!*have_status && is_status(&ct, &global)) {
		*have_status = true;
		out->global = global;
		if (!groups_read(body, body + declen, out)) {
			free(dec);
			return false;
		}
	} else if (*have_status && !out->returned && is_returned(&ct)) {
		if (!returned_read(body, declen, out)) {
			free(dec);
			return false;
		}
	}
	free(dec);
	return true;
}

/* unknown - OUT is RESULT (DSN_UNKNOWN or DSN_OTHER) for the reason HEAD ARG TAIL (ARG cut
 * at 100 octets); true */
static bool unknown(struct dsn *out, enum dsn_result result, const char *head, const char *arg,
		    const char *tail)
{
	out->result = result;
	snprintf(out->why, sizeof(out->why), "%s%.100s%s", head, arg, tail);
	return true;
}

/* report_read - dsn_parse() without the clean-up on failure */
static bool report_read(const char *msg, size_t len, struct dsn *out)
{
	struct mime_span all = { msg, len }, parts[DSN_MAX_PARTS];
	struct section top;
	struct mime_ctype ct;
	enum mime_cte cte;
	char why[160], type[2 * MIME_TOKEN_MAX + 2];
	size_t np = 0;
	bool have_status = false;
	enum mime_status st;

	section_read(msg, len, &top);
	if (!entity_type(&top, &ct, &cte))
		return false;
	snprintf(type, sizeof(type), "%s/%s", ct.type, ct.subtype);
	if (!mime_ct_is(&ct, "multipart", "report"))
		return unknown(out, DSN_UNKNOWN, "", type, ", not multipart/report");
	if (ct.has_report_type && strcmp(ct.report_type, "delivery-status") != 0 &&
	    strcmp(ct.report_type, "global-delivery-status") != 0)
		return unknown(out, DSN_OTHER, "multipart/report; report-type=",
			       ct.report_type, "");
	if (!ct.has_boundary)
		return unknown(out, DSN_UNKNOWN, "", type, " without boundary");
	all.p = top.body;
	all.n = (size_t)(msg + len - top.body);
	st = mime_mp_split(all, ct.boundary, DSN_MAX_PARTS, DSN_MAX_PARTS, "report", parts, &np,
			   why, sizeof(why));
	if (st == MIME_NOMEM)
		return false;
	if (st != MIME_OK)
		return unknown(out, DSN_UNKNOWN, "malformed multipart/report: ", why, "");
	for (size_t i = 0; i < np; i++)
		if (!part_read(parts[i], &have_status, out))
			return false;
	if (!have_status)
		return unknown(out, DSN_UNKNOWN, "multipart/report without a ",
			       "delivery-status part", "");
	out->result = DSN_REPORT;
	return true;
}

/* dsn_parse - read the bounce MSG into *OUT */
bool dsn_parse(const char *msg, size_t len, struct dsn *out)
{
	memset(out, 0, sizeof(*out));
	if (msg == NULL) {
		msg = "";
		len = 0;
	}
	if (!report_read(msg, len, out)) {
		dsn_clear(out);
		return false;
	}
	return true;
}

/* rank - how bad class C is, for dsn_verdict() */
static int rank(enum dsn_class c)
{
	static const int ranks[] = {
		[DSN_CLASS_NONE] = 0, [DSN_CLASS_SOFT] = 1, [DSN_CLASS_UNKNOWN] = 2,
		[DSN_CLASS_HARD] = 3,
	};

	return (size_t)c < sizeof(ranks) / sizeof(ranks[0]) ? ranks[c] : 2;
}

/* addr_ieq - whether A and B are the same address, ASCII case aside */
static bool addr_ieq(const char *a, const char *b)
{
	return *a != '\0' && mime_span_ieq(a, strlen(a), b);
}

/* dsn_verdict - the worst class among SUBSCRIBER's recipients, else among all */
enum dsn_class dsn_verdict(const struct dsn *d, const char *subscriber,
			   const struct dsn_rcpt **which)
{
	const struct dsn_rcpt *best = NULL;

	if (which != NULL)
		*which = NULL;
	if (d->result == DSN_OTHER)
		return DSN_CLASS_NONE;
	if (d->result == DSN_UNKNOWN || d->nrcpt == 0)
		return DSN_CLASS_UNKNOWN;
	for (int all = 0; all < 2 && best == NULL; all++)
		for (size_t i = 0; i < d->nrcpt; i++) {
			const struct dsn_rcpt *r = &d->rcpt[i];
			if (!all && !addr_ieq(r->final, subscriber) &&
			    !addr_ieq(r->original, subscriber))
				continue;
			if (best == NULL || rank(r->cls) > rank(best->cls))
				best = r;
		}
	if (which != NULL)
		*which = best;
	return best->cls;
}

/* dsn_clear - release what *D owns */
void dsn_clear(struct dsn *d)
{
	if (d == NULL)
		return;
	free(d->rcpt);
	memset(d, 0, sizeof(*d));
}

/* dsn_class_name - the name of C */
const char *dsn_class_name(enum dsn_class c)
{
	static const char *const names[] = {
		[DSN_CLASS_NONE] = "none", [DSN_CLASS_SOFT] = "soft", [DSN_CLASS_HARD] = "hard",
		[DSN_CLASS_UNKNOWN] = "unknown",
	};

	return (size_t)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}

/* dsn_action_name - the name of A */
const char *dsn_action_name(enum dsn_action a)
{
	static const char *const names[] = {
		[DSN_ACTION_NONE] = "none", [DSN_ACTION_FAILED] = "failed",
		[DSN_ACTION_DELAYED] = "delayed", [DSN_ACTION_DELIVERED] = "delivered",
		[DSN_ACTION_RELAYED] = "relayed", [DSN_ACTION_EXPANDED] = "expanded",
		[DSN_ACTION_OTHER] = "other",
	};

	return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "other";
}
