/*
 * milter/dkim/dkim-tags.c - DKIM tag-lists (RFC 6376 section 3.2) and key records (section
 * 3.6.1): dkim_tags_parse, dkim_key_parse, and the helpers the signature parser in dkim.c
 * shares with them (FWS, base64, colon-separated lists, tag look-up).
 * Contract: see dkim.h (building blocks) and dkim-int.h.  No I/O, no globals.
 */
#include "dkim.h"
#include "dkim-int.h"
#include "b64.h"

#include <stdint.h>
#include <string.h>


/* dkim_span_caseeq - does the span A/ALEN equal the C string B, ASCII case ignored */
bool dkim_span_caseeq(const char *a, size_t alen, const char *b)
{
	size_t i;
	for (i = 0; i < alen; i++)
		if (b[i] == '\0' || lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return false;
	return b[i] == '\0';
}

/* dkim_trim_fws - shrink the span P/N past FWS at both ends */
void dkim_trim_fws(const char **p, size_t *n)
{
	while (*n > 0 && is_fws((unsigned char)**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_fws((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

/* dkim_b64_decode - strict base64 with FWS anywhere; false on garbage, bad padding or overflow */
bool dkim_b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax,
		       size_t *outlen)
{
	uint32_t acc = 0;
	size_t nchars = 0, npad = 0, n = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (is_fws(c))
			continue;
		if (c == '=') {
			npad++;
			nchars++;
			continue;
		}
		int v = pw_b64_value(c);
		if (v < 0 || npad > 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		nchars++;
		if (nchars % 4 == 0) {
			if (n + 3 > outmax)
				return false;
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (nchars % 4 != 0 || npad > 2)
		return false;
	if (npad > 0) {
		/* the last quantum held 4 - npad characters */
		size_t keep = 3 - npad;
		if (n + keep > outmax)
			return false;
		acc <<= 6 * npad;
		out[n++] = (unsigned char)(acc >> 16);
		if (keep == 2)
			out[n++] = (unsigned char)(acc >> 8);
	}
	*outlen = n;
	return true;
}

/* dkim_list_has - does the colon-separated list S/N hold WORD (FWS around items ignored) */
bool dkim_list_has(const char *s, size_t n, const char *word)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ':') {
			const char *p = s + start;
			size_t len = i - start;
			dkim_trim_fws(&p, &len);
			if (dkim_span_caseeq(p, len, word))
				return true;
			start = i + 1;
		}
	}
	return false;
}

/* dkim_find_tag - the tag named NAME, or NULL */
const struct dkim_tag *dkim_find_tag(const struct dkim_tag *tags, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (tags[i].name_len == strlen(name) &&
		    memcmp(tags[i].name, name, tags[i].name_len) == 0)
			return &tags[i];
	return NULL;
}

/* dkim_tags_parse - RFC 6376 section 3.2 tag-list */
enum dkim_status dkim_tags_parse(const char *s, size_t len, struct dkim_tag *tags, size_t max,
				 size_t *ntags, const char **reason)
{
	size_t pos = 0, n = 0;

	*ntags = 0;
	*reason = "";
	if (s == NULL || tags == NULL)
		return DKIM_ERR_ARG;
	while (pos < len) {
		while (pos < len && is_fws((unsigned char)s[pos]))
			pos++;
		if (pos == len)
			break;
		if (s[pos] == ';') {		/* empty tag-spec: tolerated */
			pos++;
			continue;
		}
		int c = (unsigned char)s[pos];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			*reason = "malformed tag name";
			return DKIM_ERR_SYNTAX;
		}
		size_t name = pos;
		while (pos < len) {
			c = (unsigned char)s[pos];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_'))
				break;
			pos++;
		}
		size_t name_len = pos - name;
		while (pos < len && is_fws((unsigned char)s[pos]))
			pos++;
		if (pos == len || s[pos] != '=') {
			*reason = pos < len && s[pos] != ';' ? "malformed tag name" : "tag without '='";
			return DKIM_ERR_SYNTAX;
		}
		pos++;
		size_t raw_start = pos;
		while (pos < len && s[pos] != ';') {
			c = (unsigned char)s[pos];
			if ((c < 0x21 && !is_fws(c)) || c == 0x7f) {
				*reason = "control character in tag value";
				return DKIM_ERR_SYNTAX;
			}
			pos++;
		}
		if (pos - raw_start > DKIM_MAX_TAG_VALUE) {
			*reason = "tag value too long";
			return DKIM_ERR_SYNTAX;
		}
		if (name_len > 32) {
			*reason = "tag name too long";
			return DKIM_ERR_SYNTAX;
		}
		for (size_t i = 0; i < n; i++)
			if (tags[i].name_len == name_len &&
			    memcmp(tags[i].name, s + name, name_len) == 0) {
				*reason = "duplicate tag";
				return DKIM_ERR_SYNTAX;
			}
		if (n >= max) {
			*reason = "too many tags";
			return DKIM_ERR_SYNTAX;
		}
		const char *v = s + raw_start;
		size_t vlen = pos - raw_start;
		dkim_trim_fws(&v, &vlen);
		tags[n].name = s + name;
		tags[n].name_len = name_len;
		tags[n].value = v;
		tags[n].value_len = vlen;
		tags[n].raw_start = raw_start;
		tags[n].raw_end = pos;
		n++;
		if (pos < len)
			pos++;			/* the ';' */
	}
	*ntags = n;
	return DKIM_OK;
}

/* dkim_key_parse - RFC 6376 section 3.6.1 */
enum dkim_status dkim_key_parse(const char *record, struct dkim_key *key, const char **reason)
{
	struct dkim_tag tags[DKIM_MAX_TAGS];
	size_t n, len;
	const struct dkim_tag *t;
	enum dkim_status st;

	*reason = "";
	if (record == NULL || key == NULL)
		return DKIM_ERR_ARG;
	memset(key, 0, sizeof(*key));
	len = strnlen(record, DKIM_MAX_RECORD + 1);
	if (len > DKIM_MAX_RECORD) {
		*reason = "key record too long";
		return DKIM_ERR_SYNTAX;
	}
	if ((st = dkim_tags_parse(record, len, tags, DKIM_MAX_TAGS, &n, reason)) != DKIM_OK)
		return st;
	if ((t = dkim_find_tag(tags, n, "v")) != NULL) {
		if (t != &tags[0]) {
			*reason = "key v= is not the first tag";
			return DKIM_ERR_SYNTAX;
		}
		if (t->value_len != 5 || memcmp(t->value, "DKIM1", 5) != 0) {
			*reason = "key v= is not DKIM1";
			return DKIM_ERR_SYNTAX;
		}
	}
	key->type = DKIM_KEYTYPE_RSA;
	if ((t = dkim_find_tag(tags, n, "k")) != NULL) {
		if (dkim_span_caseeq(t->value, t->value_len, "rsa"))
			key->type = DKIM_KEYTYPE_RSA;
		else if (dkim_span_caseeq(t->value, t->value_len, "ed25519"))
			key->type = DKIM_KEYTYPE_ED25519;
		else {
			*reason = "unknown key type";
			return DKIM_ERR_SYNTAX;
		}
	}
	t = dkim_find_tag(tags, n, "h");
	key->allows_sha256 = t == NULL || dkim_list_has(t->value, t->value_len, "sha256");
	t = dkim_find_tag(tags, n, "s");
	key->for_email = t == NULL || dkim_list_has(t->value, t->value_len, "email") ||
			 dkim_list_has(t->value, t->value_len, "*");
	if ((t = dkim_find_tag(tags, n, "t")) != NULL) {
		key->testing = dkim_list_has(t->value, t->value_len, "y");
		key->strict = dkim_list_has(t->value, t->value_len, "s");
	}
	if ((t = dkim_find_tag(tags, n, "p")) == NULL) {
		*reason = "key record has no p=";
		return DKIM_ERR_SYNTAX;
	}
	if (t->value_len == 0) {
		key->revoked = true;
		return DKIM_OK;
	}
	if (!dkim_b64_decode(t->value, t->value_len, key->p, sizeof(key->p), &key->plen)) {
		*reason = t->value_len * 3 / 4 > sizeof(key->p) ? "key p= too long"
								  : "key p= is not base64";
		return DKIM_ERR_SYNTAX;
	}
	if (key->plen == 0) {
		key->revoked = true;
	}
	return DKIM_OK;
}
