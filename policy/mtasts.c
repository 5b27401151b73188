/*
 * policy/mtasts.c - MTA-STS TXT record and policy file parsers, mx pattern match.
 * Contract: see mtasts.h.  Pure C, no I/O.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "mtasts.h"
#include "addr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* is_wsp - a blank of RFC 5234 */
static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* mtasts_mode_name - the word for M */
const char *mtasts_mode_name(enum mtasts_mode m)
{
	switch (m) {
	case MTASTS_MODE_ENFORCE:
		return "enforce";
	case MTASTS_MODE_TESTING:
		return "testing";
	case MTASTS_MODE_NONE:
		break;
	}
	return "none";
}

/* mtasts_parse_txt - "v=STSv1; id=...; ..." */
enum mtasts_txt_status mtasts_parse_txt(const char *text, size_t len, struct mtasts_txt *out,
					char *why, size_t whylen)
{
	size_t i = 7;
	bool have_id = false;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	/* RFC 8461 3.1: records that do not begin with "v=STSv1;" are discarded */
	if (len < 7 || memcmp(text, "v=STSv1", 7) != 0 || (len > 7 && text[7] != ';'))
		return MTASTS_TXT_OTHER;
	while (i < len) {
		size_t ns, ne, vs, ve;

		if (text[i] != ';') {
			snprintf(why, whylen, "expected ';' at offset %zu", i);
			return MTASTS_TXT_INVALID;
		}
		i++;
		while (i < len && is_wsp(text[i]))
			i++;
		if (i == len)		/* a trailing separator */
			break;
		ns = i;
		while (i < len && (isalnum((unsigned char)text[i]) || text[i] == '_' ||
				   text[i] == '-' || text[i] == '.'))
			i++;
		ne = i;
		if (ne == ns || i == len || text[i] != '=') {
			snprintf(why, whylen, "malformed field at offset %zu", ns);
			return MTASTS_TXT_INVALID;
		}
		vs = ++i;
		/* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): no ';', '=' or blank */
		while (i < len && text[i] > 0x20 && text[i] < 0x7f && text[i] != ';' &&
		       text[i] != '=')
			i++;
		ve = i;
		while (i < len && is_wsp(text[i]))
			i++;
		if (ve == vs || (i < len && text[i] != ';')) {
			snprintf(why, whylen, "malformed value at offset %zu", vs);
			return MTASTS_TXT_INVALID;
		}
		if (ne - ns == 2 && memcmp(text + ns, "id", 2) == 0) {
			if (have_id) {
				snprintf(why, whylen, "more than one id");
				return MTASTS_TXT_INVALID;
			}
			if (ve - vs > MTASTS_MAX_ID) {
				snprintf(why, whylen, "id longer than %d characters", MTASTS_MAX_ID);
				return MTASTS_TXT_INVALID;
			}
			for (size_t k = vs; k < ve; k++)
				if (!isalnum((unsigned char)text[k])) {
					snprintf(why, whylen, "id with a character other than a "
						 "letter or digit");
					return MTASTS_TXT_INVALID;
				}
			memcpy(out->id, text + vs, ve - vs);
			out->id[ve - vs] = '\0';
			have_id = true;
		}
	}
	if (!have_id) {
		snprintf(why, whylen, "no id");
		return MTASTS_TXT_INVALID;
	}
	return MTASTS_TXT_OK;
}

/* name_ok - a host name of letters, digits, '-' and '.', at most MTASTS_MAX_NAME octets,
 * no empty label (a trailing dot is allowed and dropped by the caller) */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > MTASTS_MAX_NAME || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && i + 1 < n && s[i + 1] == '.')
			return false;
		if (!isalnum(c) && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* set_mx - add the pattern S (N octets) to P; false + WHY if it is not one */
static bool set_mx(struct mtasts_policy *p, const char *s, size_t n, char *why, size_t whylen)
{
	const char *base;
	size_t bn;
	char *dst;

	if (n > 0 && s[n - 1] == '.')
		n--;
	base = s;
	bn = n;
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		base = s + 2;
		bn = n - 2;
	}
	if (!name_ok(base, bn)) {
		snprintf(why, whylen, "mx \"%.*s\" is not a host name or *.host pattern",
			 (int)(n > 64 ? 64 : n), s);
		return false;
	}
	if (p->n_mx == MTASTS_MAX_MX) {
		snprintf(why, whylen, "more than %d mx patterns", MTASTS_MAX_MX);
		return false;
	}
	dst = p->mx[p->n_mx++];
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[n] = '\0';
	return true;
}

/* mtasts_parse_policy - "key: value" lines */
bool mtasts_parse_policy(const char *buf, size_t len, struct mtasts_policy *out, char *why,
			 size_t whylen)
{
	bool have_version = false, have_mode = false, have_age = false;
	size_t i = 0;
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	while (i < len) {
		size_t ls = i, le, ks, ke, vs, ve;

		lineno++;
		while (i < len && buf[i] != '\n')
			i++;
		le = i;
		if (i < len)
			i++;		/* the LF */
		if (le > ls && buf[le - 1] == '\r')
			le--;
		for (size_t k = ls; k < le; k++)
			if ((unsigned char)buf[k] < 0x20 ? buf[k] != '\t' :
			    (unsigned char)buf[k] > 0x7e) {
				snprintf(why, whylen, "line %u: a control or non-ASCII octet", lineno);
				return false;
			}
		if (le == ls)
			continue;	/* an empty line (a final CRLF, say) */
		ks = ls;
		ke = ks;
		while (ke < le && buf[ke] != ':')
			ke++;
		if (ke == le || ke == ks) {
			snprintf(why, whylen, "line %u: not \"key: value\"", lineno);
			return false;
		}
		vs = ke + 1;
		while (vs < le && is_wsp(buf[vs]))
			vs++;
		ve = le;
		while (ve > vs && is_wsp(buf[ve - 1]))
			ve--;
#define KEY(k) (ke - ks == sizeof(k) - 1 && memcmp(buf + ks, k, sizeof(k) - 1) == 0)
#define VAL(v) (ve - vs == sizeof(v) - 1 && memcmp(buf + vs, v, sizeof(v) - 1) == 0)
		if (KEY("version")) {
			if (have_version || !VAL("STSv1")) {
				snprintf(why, whylen, "line %u: version must be STSv1, once", lineno);
				return false;
			}
			have_version = true;
		} else if (KEY("mode")) {
			if (have_mode) {
				snprintf(why, whylen, "line %u: a second mode", lineno);
				return false;
			}
			if (VAL("enforce"))
				out->mode = MTASTS_MODE_ENFORCE;
			else if (VAL("testing"))
				out->mode = MTASTS_MODE_TESTING;
			else if (VAL("none"))
				out->mode = MTASTS_MODE_NONE;
			else {
				snprintf(why, whylen, "line %u: mode is none of enforce, testing, "
					 "none", lineno);
				return false;
			}
			have_mode = true;
		} else if (KEY("max_age")) {
			unsigned long v = 0;
			if (have_age || ve == vs || ve - vs > 10) {
				snprintf(why, whylen, "line %u: max_age must be 1 to 10 digits, once",
					 lineno);
				return false;
			}
			for (size_t k = vs; k < ve; k++) {
				if (!isdigit((unsigned char)buf[k])) {
					snprintf(why, whylen, "line %u: max_age is not a number", lineno);
					return false;
				}
				v = v * 10 + (unsigned long)(buf[k] - '0');
			}
			if (v > MTASTS_MAX_AGE) {
				snprintf(why, whylen, "line %u: max_age %lu is more than %u", lineno,
					 v, MTASTS_MAX_AGE);
				return false;
			}
			out->max_age = v;
			have_age = true;
		} else if (KEY("mx")) {
			char w[160];
			if (!set_mx(out, buf + vs, ve - vs, w, sizeof(w))) {
				snprintf(why, whylen, "line %u: %s", lineno, w);
				return false;
			}
		}
		/* other keys: RFC 8461 3.2 says they are ignored */
#undef KEY
#undef VAL
	}
	if (!have_version || !have_mode || !have_age) {
		snprintf(why, whylen, "no %s", !have_version ? "version" : !have_mode ? "mode" :
			 "max_age");
		return false;
	}
	if (out->mode != MTASTS_MODE_NONE && out->n_mx == 0) {
		snprintf(why, whylen, "mode %s without any mx", mtasts_mode_name(out->mode));
		return false;
	}
	return true;
}

/* mtasts_mx_match - exact or "*." one-label wildcard, case-insensitive (pw_domain_match
 * compares, trailing dots ignored) */
bool mtasts_mx_match(const char *pattern, const char *host)
{
	const char *dot;

	if (pattern == NULL || host == NULL || pattern[0] == '\0' || pattern[0] == '.' ||
	    host[0] == '\0' || host[0] == '.')
		return false;
	if (pattern[0] != '*')
		return pw_domain_match(pattern, host);
	/* "*.example.net": HOST's first label is what the '*' stands for, the rest must be
	 * example.net itself */
	if (pattern[1] != '.' || pattern[2] == '\0' || (dot = strchr(host, '.')) == NULL)
		return false;
	return pw_domain_match(pattern + 2, dot + 1);
}

/* mtasts_policy_match - the first pattern HOST matches */
const char *mtasts_policy_match(const struct mtasts_policy *p, const char *host)
{
	for (size_t i = 0; i < p->n_mx; i++)
		if (mtasts_mx_match(p->mx[i], host))
			return p->mx[i];
	return NULL;
}
