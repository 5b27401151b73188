/*
 * policy/practice.c - ADSP and DMARC records, Public Suffix List, Organizational Domain,
 * DMARC alignment.
 * Contract and interpretations: see practice.h.  Pure C, no I/O; only pw_psl_parse()
 * allocates.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "practice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- character classes (ASCII, locale-independent) ------------------------------------ */

/* is_ws - whitespace tolerated around tags: SP, HTAB, CR, LF (FWS) */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* is_alpha - ASCII letter */
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - ASCII digit */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_valchar - RFC 6376 VALCHAR: %x21-3A / %x3C-7E */
static bool is_valchar(char c)
{
	unsigned char u = (unsigned char)c;
	return u >= 0x21 && u <= 0x7e && u != ';';
}

/* lower - ASCII lower case */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* skip_ws - past whitespace */
static const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

/* span_eq - the span S/N equals WORD exactly */
static bool span_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* span_ieq - the span S/N equals WORD without regard to ASCII case */
static bool span_ieq(const char *s, size_t n, const char *word)
{
	if (strlen(word) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != lower(word[i]))
			return false;
	return true;
}

/* ---- tag-list (RFC 6376 3.2) ----------------------------------------------------------- */

struct tag {
	const char *name, *val;
	size_t nlen, vlen;
};

/* next_tag - the next tag-spec at *PP: 1 found, 0 end of list, -1 syntax error */
static int next_tag(const char **pp, struct tag *t)
{
	const char *p = *pp, *end;

	for (;;) {
		p = skip_ws(p);
		if (*p != ';')
			break;
		p++;
	}
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	if (!is_alpha(*p))
		return -1;
	t->name = p;
	while (is_alpha(*p) || is_digit(*p) || *p == '_')
		p++;
	t->nlen = (size_t)(p - t->name);
	p = skip_ws(p);
	if (*p != '=')
		return -1;
	p = skip_ws(p + 1);
	t->val = end = p;
	while (*p != '\0' && *p != ';') {
		if (!is_ws(*p)) {
			if (!is_valchar(*p))
				return -1;
			end = p + 1;
		}
		p++;
	}
	t->vlen = (size_t)(end - t->val);
	if (*p == ';')
		p++;
	*pp = p;
	return 1;
}

/* ---- ADSP ------------------------------------------------------------------------------ */

/* pw_adsp_parse - RFC 5617 4.2.1 */
enum pw_adsp_practice pw_adsp_parse(const char *txt)
{
	struct tag t;
	const char *p = txt;
	enum pw_adsp_practice res = PW_ADSP_INVALID;
	bool seen = false;
	int rc;

	if (txt == NULL)
		return PW_ADSP_INVALID;
	while ((rc = next_tag(&p, &t)) == 1) {
		if (!span_eq(t.name, t.nlen, "dkim"))
			continue;
		if (seen)
			return PW_ADSP_INVALID;		/* duplicate tag: the list is invalid */
		seen = true;
		if (t.vlen == 0)
			res = PW_ADSP_INVALID;
		else if (span_ieq(t.val, t.vlen, "all"))
			res = PW_ADSP_ALL;
		else if (span_ieq(t.val, t.vlen, "discardable"))
			res = PW_ADSP_DISCARDABLE;
		else
			res = PW_ADSP_UNKNOWN;		/* "unknown" and any other value */
	}
	return rc < 0 ? PW_ADSP_INVALID : res;
}

/* pw_adsp_name - printable practice */
const char *pw_adsp_name(enum pw_adsp_practice p)
{
	switch (p) {
	case PW_ADSP_UNKNOWN:
		return "unknown";
	case PW_ADSP_ALL:
		return "all";
	case PW_ADSP_DISCARDABLE:
		return "discardable";
	case PW_ADSP_INVALID:
		break;
	}
	return "invalid";
}

/* ---- DMARC ----------------------------------------------------------------------------- */

enum { T_V, T_P, T_SP, T_NP, T_ADKIM, T_ASPF, T_PSD, T_T, T_PCT, T_FO, T_RF, T_RI, T_RUA,
       T_RUF, T_COUNT };
static const char *const dmarc_tags[T_COUNT] = {
	"v", "p", "sp", "np", "adkim", "aspf", "psd", "t", "pct", "fo", "rf", "ri", "rua", "ruf"
};

/* first_is_version - the tag-list at TXT starts with v=DMARC1 */
static bool first_is_version(const char *txt, const char **rest)
{
	struct tag t;
	const char *p = skip_ws(txt);

	if (*p == ';' || next_tag(&p, &t) != 1)
		return false;
	if (!span_ieq(t.name, t.nlen, "v") || !span_eq(t.val, t.vlen, "DMARC1"))
		return false;
	if (rest != NULL)
		*rest = p;
	return true;
}

/* pw_dmarc_is_record - RFC 7489 6.6.3 record selection */
bool pw_dmarc_is_record(const char *txt)
{
	return txt != NULL && first_is_version(txt, NULL);
}

/* pw_dmarc_select - count DMARC records among several TXT strings */
size_t pw_dmarc_select(const char *const *txt, size_t n, size_t *index)
{
	size_t found = 0, at = 0;

	for (size_t i = 0; txt != NULL && i < n; i++)
		if (pw_dmarc_is_record(txt[i])) {
			if (found++ == 0)
				at = i;
		}
	if (found == 1 && index != NULL)
		*index = at;
	return found;
}

/* policy_word - none / quarantine / reject, else UNSPEC */
static enum pw_dmarc_policy policy_word(const char *s, size_t n)
{
	if (span_ieq(s, n, "none"))
		return PW_DMARC_P_NONE;
	if (span_ieq(s, n, "quarantine"))
		return PW_DMARC_P_QUARANTINE;
	if (span_ieq(s, n, "reject"))
		return PW_DMARC_P_REJECT;
	return PW_DMARC_P_UNSPEC;
}

/* parse_uint - 1..MAXDIG digits, value <= MAX; false otherwise */
static bool parse_uint(const char *s, size_t n, size_t maxdig, unsigned long max,
		       unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > maxdig)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* trim - strip whitespace from both ends of the span (*S, *N) */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ws(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ws((*s)[*n - 1]))
		(*n)--;
}

/* uri_valid - RFC 7489 6.4 dmarc-uri: URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ];
 * the URI is checked as scheme ":" 1*non-space */
static bool uri_valid(const char *s, size_t n)
{
	const char *bang = NULL;
	size_t i = 0;

	if (n == 0 || !is_alpha(s[0]))
		return false;
	while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' ||
			 s[i] == '.'))
		i++;
	if (i >= n || s[i] != ':')
		return false;
	for (size_t j = i + 1; j < n; j++) {
		if (is_ws(s[j]))
			return false;
		if (s[j] == '!')
			bang = s + j;
	}
	if (bang != NULL) {
		size_t k = (size_t)(bang - s) + 1, digits = 0;
		if ((size_t)(bang - s) == i + 1)
			return false;		/* nothing between ':' and '!' */
		while (k < n && is_digit(s[k])) {
			k++;
			digits++;
		}
		if (digits == 0)
			return false;
		if (k < n && strchr("kmgtKMGT", s[k]) != NULL)
			k++;
		return k == n;
	}
	return n > i + 1;
}

/* uri_list_valid - at least one comma-separated element is a valid dmarc-uri */
static bool uri_list_valid(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ',') {
			const char *e = s + start;
			size_t en = i - start;
			trim(&e, &en);
			if (uri_valid(e, en))
				return true;
			start = i + 1;
		}
	}
	return false;
}

/* parse_fo - colon-separated 0/1/d/s; false if any element is something else */
static bool parse_fo(const char *s, size_t n, unsigned *out)
{
	unsigned bits = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ':') {
			const char *e = s + start;
			size_t en = i - start;
			trim(&e, &en);
			if (en != 1)
				return false;
			switch (lower(*e)) {
			case '0': bits |= PW_DMARC_FO_0; break;
			case '1': bits |= PW_DMARC_FO_1; break;
			case 'd': bits |= PW_DMARC_FO_D; break;
			case 's': bits |= PW_DMARC_FO_S; break;
			default: return false;
			}
			start = i + 1;
		}
	}
	*out = bits;
	return true;
}

/* rf_has_afrf - the colon-separated rf list names afrf */
static bool rf_has_afrf(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ':') {
			const char *e = s + start;
			size_t en = i - start;
			trim(&e, &en);
			if (span_ieq(e, en, "afrf"))
				return true;
			start = i + 1;
		}
	}
	return false;
}

/* invalid - mark R invalid with REASON; returns false */
static bool invalid(struct pw_dmarc_record *r, const char *reason)
{
	r->valid = false;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	return false;
}

/* pw_dmarc_parse - RFC 7489 6.3 / 6.4 / 6.6.3 */
bool pw_dmarc_parse(const char *txt, struct pw_dmarc_record *r)
{
	struct tag t;
	const char *p;
	unsigned seen = 1u << T_V;
	bool p_bad = true, sp_bad = false, np_bad = false;
	int rc;

	memset(r, 0, sizeof(*r));
	r->psd = PW_DMARC_PSD_U;
	r->fo = PW_DMARC_FO_0;
	r->ri = 86400;
	r->rf_afrf = true;
	if (txt == NULL || !first_is_version(txt, &p))
		return invalid(r, "not a DMARC record (first tag is not v=DMARC1)");
	while ((rc = next_tag(&p, &t)) == 1) {
		int k;
		unsigned long u;
		for (k = 0; k < T_COUNT; k++)
			if (span_ieq(t.name, t.nlen, dmarc_tags[k]))
				break;
		if (k == T_COUNT)
			continue;			/* unknown tags are ignored */
		if (seen & (1u << k)) {
			char buf[64];
			snprintf(buf, sizeof(buf), "duplicate %s tag", dmarc_tags[k]);
			return invalid(r, buf);
		}
		seen |= 1u << k;
		switch (k) {
		case T_P:
			r->p = policy_word(t.val, t.vlen);
			p_bad = r->p == PW_DMARC_P_UNSPEC;
			break;
		case T_SP:
			r->sp = policy_word(t.val, t.vlen);
			sp_bad = r->sp == PW_DMARC_P_UNSPEC;
			r->sp_explicit = !sp_bad;
			break;
		case T_NP:
			r->np = policy_word(t.val, t.vlen);
			np_bad = r->np == PW_DMARC_P_UNSPEC;
			r->np_explicit = !np_bad;
			break;
		case T_PSD:	/* an invalid value is ignored: the default u applies */
			if (span_ieq(t.val, t.vlen, "y"))
				r->psd = PW_DMARC_PSD_Y;
			else if (span_ieq(t.val, t.vlen, "n"))
				r->psd = PW_DMARC_PSD_N;
			break;
		case T_T:	/* likewise: only "y" asks for testing, the default is n */
			r->testing = span_ieq(t.val, t.vlen, "y");
			break;
		case T_ADKIM:
		case T_ASPF:
			if (span_ieq(t.val, t.vlen, "s") || span_ieq(t.val, t.vlen, "r")) {
				bool s = span_ieq(t.val, t.vlen, "s");
				if (k == T_ADKIM)
					r->adkim_strict = s;
				else
					r->aspf_strict = s;
			}
			break;
		case T_PCT:	/* RFC 9989 removed it (t replaces it): noted, never used */
			r->pct_ignored = true;
			break;
		case T_FO:
			if (!parse_fo(t.val, t.vlen, &r->fo))
				r->fo = PW_DMARC_FO_0;
			break;
		case T_RF:
			r->rf_afrf = rf_has_afrf(t.val, t.vlen);
			break;
		case T_RI:
			if (parse_uint(t.val, t.vlen, 10, 4294967295UL, &u))
				r->ri = u;
			break;
		case T_RUA:
			r->rua = t.val;
			r->rua_len = t.vlen;
			r->rua_valid = uri_list_valid(t.val, t.vlen);
			break;
		case T_RUF:
			r->ruf = t.val;
			r->ruf_len = t.vlen;
			r->ruf_valid = uri_list_valid(t.val, t.vlen);
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return invalid(r, "tag-list syntax error");
	if (p_bad || sp_bad || np_bad) {
		if (!r->rua_valid) {
			invalid(r, !(seen & (1u << T_P)) ? "missing p tag"
				: p_bad ? "invalid p value" : sp_bad ? "invalid sp value"
				: "invalid np value");
			r->no_policy = true;	/* a DMARC record all the same (tree walk) */
			return false;
		}
		/* RFC 9989 4.10.1: act as "v=DMARC1; p=none" */
		r->p = r->sp = r->np = PW_DMARC_P_NONE;
		r->sp_explicit = r->np_explicit = false;
		r->p_fallback = true;
	}
	if (!r->sp_explicit)
		r->sp = r->p;
	if (!r->np_explicit)
		r->np = r->sp;
	r->valid = true;
	return true;
}

/* pw_dmarc_policy_name - printable policy */
const char *pw_dmarc_policy_name(enum pw_dmarc_policy p)
{
	switch (p) {
	case PW_DMARC_P_NONE:
		return "none";
	case PW_DMARC_P_QUARANTINE:
		return "quarantine";
	case PW_DMARC_P_REJECT:
		return "reject";
	case PW_DMARC_P_UNSPEC:
		break;
	}
	return "unspecified";
}

/* ---- Public Suffix List ---------------------------------------------------------------- */

#define R_NORMAL 0x01u
#define R_WILD 0x02u
#define R_EXCEPT 0x04u
#define MAX_LABELS ((PW_DOMAIN_MAX + 1) / 2)

struct psl_rule {
	const char *name;		/* in the arena, NUL-terminated, lower case */
	unsigned flags;			/* R_* (several rules may share a name) */
};

struct pw_psl {
	char *arena;
	struct psl_rule *rules;		/* sorted by strcmp(name), names unique */
	size_t n;
};

/* set_err - copy MSG to ERR if there is room */
static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* rule_cmp - qsort order of rules */
static int rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct psl_rule *)a)->name, ((const struct psl_rule *)b)->name);
}

/* rule_name_ok - a rule name: non-empty labels, no "*" or "!" left, no whitespace */
static bool rule_name_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '*' || s[i] == '!' || (unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* contains - the span S/N contains NEEDLE */
static bool contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(s + i, needle, m) == 0)
			return true;
	return false;
}

/* pw_psl_parse - build the sorted rule table */
struct pw_psl *pw_psl_parse(const char *text, size_t len, unsigned flags,
			    char *err, size_t errlen)
{
	struct pw_psl *psl;
	size_t lines = 1, used = 0, n = 0, pos = 0;
	bool private_sec = false;

	if (text == NULL)
		len = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	psl = calloc(1, sizeof(*psl));
	if (psl == NULL || (psl->arena = malloc(len + 1)) == NULL ||
	    (psl->rules = calloc(lines, sizeof(*psl->rules))) == NULL) {
		pw_psl_free(psl);
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	while (pos < len) {
		size_t eol = pos, s, e;
		unsigned kind = R_NORMAL;
		while (eol < len && text[eol] != '\n')
			eol++;
		s = pos;
		pos = eol + 1;
		while (s < eol && (is_ws(text[s]) || text[s] == '\0'))
			s++;
		if (eol - s >= 2 && text[s] == '/' && text[s + 1] == '/') {
			if (contains(text + s, eol - s, "===BEGIN PRIVATE DOMAINS==="))
				private_sec = true;
			else if (contains(text + s, eol - s, "===END PRIVATE DOMAINS==="))
				private_sec = false;
			continue;
		}
		if (s == eol || (private_sec && (flags & PW_PSL_ICANN_ONLY)))
			continue;
		e = s;
		while (e < eol && !is_ws(text[e]) && text[e] != '\0')
			e++;
		if (text[s] == '!') {
			kind = R_EXCEPT;
			s++;
		} else if (e - s >= 2 && text[s] == '*' && text[s + 1] == '.') {
			kind = R_WILD;
			s += 2;
		}
		if (!rule_name_ok(text + s, e - s))
			continue;			/* e.g. the default rule "*": implicit */
		psl->rules[n].name = psl->arena + used;
		psl->rules[n].flags = kind;
		for (size_t i = s; i < e; i++)
			psl->arena[used++] = lower(text[i]);
		psl->arena[used++] = '\0';
		n++;
	}
	if (n == 0) {
		pw_psl_free(psl);
		set_err(err, errlen, "no public suffix rules found");
		return NULL;
	}
	qsort(psl->rules, n, sizeof(*psl->rules), rule_cmp);
	psl->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (psl->n > 0 && strcmp(psl->rules[psl->n - 1].name, psl->rules[i].name) == 0)
			psl->rules[psl->n - 1].flags |= psl->rules[i].flags;
		else
			psl->rules[psl->n++] = psl->rules[i];
	}
	return psl;
}

/* pw_psl_free - release the table */
void pw_psl_free(struct pw_psl *psl)
{
	if (psl == NULL)
		return;
	free(psl->arena);
	free(psl->rules);
	free(psl);
}

/* pw_psl_count - distinct rule names */
size_t pw_psl_count(const struct pw_psl *psl)
{
	return psl != NULL ? psl->n : 0;
}

/* psl_lookup - the R_* flags of rules named NAME (binary search) */
static unsigned psl_lookup(const struct pw_psl *psl, const char *name)
{
	size_t lo = 0, hi = psl != NULL ? psl->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, psl->rules[mid].name);
		if (c == 0)
			return psl->rules[mid].flags;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* normalize - DOMAIN lower-cased into BUF (PW_DOMAIN_MAX + 1), one trailing dot dropped;
 * label starts into STARTS; returns the number of labels, 0 if unusable */
static size_t normalize(const char *domain, char *buf, size_t *starts)
{
	size_t len, nl = 0;

	if (domain == NULL)
		return 0;
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > PW_DOMAIN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];
		if ((unsigned char)c <= 0x20 || c == 0x7f)
			return 0;
		if (c == '.' && (i == 0 || domain[i - 1] == '.' || i + 1 == len))
			return 0;			/* empty label */
		buf[i] = lower(c);
		if (i == 0 || domain[i - 1] == '.')
			starts[nl++] = i;
	}
	buf[len] = '\0';
	return nl;
}

/* suffix_labels - how many labels of the normalized name form its public suffix */
static size_t suffix_labels(const struct pw_psl *psl, const char *buf, const size_t *starts,
			    size_t nl)
{
	size_t ps = 1, exc = 0;

	for (size_t k = nl; k-- > 0;) {
		unsigned f = psl_lookup(psl, buf + starts[k]);
		if ((f & R_EXCEPT) && nl - k > 1)
			exc = nl - k - 1;		/* exception: drop its leftmost label */
		if ((f & R_NORMAL) && nl - k > ps)
			ps = nl - k;
		if ((f & R_WILD) && k > 0 && nl - k + 1 > ps)
			ps = nl - k + 1;
	}
	return exc > 0 ? exc : ps;
}

/* copy_out - S into OUT if it fits */
static bool copy_out(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s);
	if (out == NULL || outlen <= n)
		return false;
	memcpy(out, s, n + 1);
	return true;
}

/* pw_psl_public_suffix - the public suffix of DOMAIN */
bool pw_psl_public_suffix(const struct pw_psl *psl, const char *domain,
			  char *out, size_t outlen)
{
	char buf[PW_DOMAIN_MAX + 1];
	size_t starts[MAX_LABELS + 1], nl, ps;

	if ((nl = normalize(domain, buf, starts)) == 0)
		return false;
	ps = suffix_labels(psl, buf, starts, nl);
	return copy_out(buf + starts[nl - ps], out, outlen);
}

/* pw_psl_org_domain - RFC 7489 3.2 */
bool pw_psl_org_domain(const struct pw_psl *psl, const char *domain,
		       char *out, size_t outlen)
{
	char buf[PW_DOMAIN_MAX + 1];
	size_t starts[MAX_LABELS + 1], nl, ps;

	if ((nl = normalize(domain, buf, starts)) == 0)
		return false;
	ps = suffix_labels(psl, buf, starts, nl);
	if (ps >= nl)
		return false;				/* the name is a public suffix */
	return copy_out(buf + starts[nl - ps - 1], out, outlen);
}

/* pw_dmarc_aligned - RFC 7489 3.1.1 */
bool pw_dmarc_aligned(const struct pw_psl *psl, const char *from_domain,
		      const char *d_domain, bool strict)
{
	char a[PW_DOMAIN_MAX + 1], b[PW_DOMAIN_MAX + 1];
	char oa[PW_DOMAIN_MAX + 1], ob[PW_DOMAIN_MAX + 1];
	size_t starts[MAX_LABELS + 1];

	if (normalize(from_domain, a, starts) == 0 || normalize(d_domain, b, starts) == 0)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	if (strict || psl == NULL)
		return false;
	if (!pw_psl_org_domain(psl, a, oa, sizeof(oa)) || !pw_psl_org_domain(psl, b, ob, sizeof(ob)))
		return false;
	return strcmp(oa, ob) == 0;
}
