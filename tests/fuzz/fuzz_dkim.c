/*
 * tests/fuzz/fuzz_dkim.c - fuzz harness for milter/dkim/dkim.c on whole messages: DKIM-Signature
 * tag-lists as the signer's MTA sends them, the header field selection and canonicalisation,
 * the body canonicalisers, and the key record that answers the lookup, through the public
 * API in the order the milter calls it (dkim_new, dkim_header..., dkim_eoh, dkim_sig_key,
 * dkim_body..., dkim_eom) under a fixed clock.
 *
 * Input contract: KEYLINE LF MESSAGE.
 *   KEYLINE  the TXT answer given to every signature that wants a key: one record, or
 *            several separated by NUL octets; "!tempfail" answers a temporary failure and
 *            an empty line NXDOMAIN.  A leading '+' hands the keys in after dkim_eom instead
 *            of right after dkim_eoh.
 *   MESSAGE  header fields (LF or CRLF line ends, folds kept and made CRLF, a line without a
 *            colon skipped as an MTA would), an empty line, then the body, given as it is in
 *            chunks of growing size (1, 2, 3, ... octets) so chunk boundaries fall everywhere.
 * The clock is FUZZ_DKIM_NOW, so seeds signed before it verify.
 * Contract checked: no crash, no sanitizer report, every signature ends with a result in
 * the RFC 8601 range and non-NULL strings; nothing outlives the input (one context each).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"

#define FUZZ_DKIM_NOW 1800000000	/* 2027-01-15: after every seed's t= */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* give_keys - answer every signature that wants a key with the records in KEY */
static void give_keys(struct dkim_ctx *ctx, const char *key, size_t keylen)
{
	const char *txt[DKIM_MAX_RECORDS];
	size_t n = 0;
	enum dkim_key_lookup lk = DKIM_KEY_FOUND;

	if (keylen == 0)
		lk = DKIM_KEY_NONE;
	else if (strcmp(key, "!tempfail") == 0)
		lk = DKIM_KEY_TEMPFAIL;
	else
		for (size_t off = 0; off < keylen && n < DKIM_MAX_RECORDS; off += strlen(key + off) + 1)
			txt[n++] = key + off;
	for (size_t i = 0; i < dkim_nsigs(ctx); i++) {
		const struct dkim_sig_info *si = dkim_sig(ctx, i);
		if (si == NULL)
			abort();
		if (si->want_key)
			dkim_sig_key(ctx, i, lk, lk == DKIM_KEY_FOUND ? txt : NULL,
				     lk == DKIM_KEY_FOUND ? n : 0);
	}
}

/* give_field - one header field "name:value" (NUL-terminated, modified) to the context */
static void give_field(struct dkim_ctx *ctx, char *field)
{
	char *colon = strchr(field, ':');
	if (colon == NULL || colon == field)
		return;
	*colon = '\0';
	dkim_header(ctx, field, colon + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (nl == NULL)
		return 0;
	/* the key line, with a NUL after it (records inside are NUL-separated already) */
	size_t keylen = (size_t)(nl - data);
	bool late = keylen > 0 && data[0] == '+';
	char *key = malloc(keylen + 1);
	/* header fields are at most as long as the message, plus CRLF per fold and a NUL */
	size_t msglen = size - keylen - 1;
	const uint8_t *msg = nl + 1, *end = msg + msglen, *p = msg;
	char *field = malloc(2 * msglen + 1);
	struct dkim_ctx *ctx = NULL;
	if (key == NULL || field == NULL || dkim_new(NULL, FUZZ_DKIM_NOW, &ctx) != DKIM_OK)
		goto out;
	memcpy(key, data + late, keylen - late);
	key[keylen - late] = '\0';
	keylen -= late;

	size_t flen = 0;
	while (p < end) {
		const uint8_t *e = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *next = e != NULL ? e + 1 : end;
		size_t len = (size_t)((e != NULL ? e : end) - p);
		if (len > 0 && p[len - 1] == '\r' && e != NULL)
			len--;
		if (len == 0) {		/* end of header */
			p = next;
			break;
		}
		if (p[0] != ' ' && p[0] != '\t') {
			if (flen > 0) {
				field[flen] = '\0';
				give_field(ctx, field);
			}
			flen = 0;
		} else if (flen > 0) {
			field[flen++] = '\r';
			field[flen++] = '\n';
		}
		memcpy(field + flen, p, len);
		flen += len;
		p = next;
	}
	if (flen > 0) {
		field[flen] = '\0';
		give_field(ctx, field);
	}
	dkim_eoh(ctx);
	if (!late)
		give_keys(ctx, key, keylen);
	for (size_t chunk = 1; p < end; chunk++) {
		size_t n = chunk < (size_t)(end - p) ? chunk : (size_t)(end - p);
		dkim_body(ctx, p, n);
		p += n;
	}
	dkim_eom(ctx);
	if (late)
		give_keys(ctx, key, keylen);

	for (size_t i = 0; i < dkim_nsigs(ctx); i++) {
		const struct dkim_sig_info *si = dkim_sig(ctx, i);
		const char *reason = NULL;
		enum dkim_result r = dkim_sig_result(ctx, i, &reason);
		if (si == NULL || reason == NULL || r > DKIM_RESULT_PERMERROR ||
		    si->domain == NULL || si->selector == NULL || si->identity == NULL ||
		    si->algorithm == NULL || si->header_b == NULL || si->query == NULL ||
		    si->reason == NULL || strlen(si->header_b) > DKIM_HEADER_B_LEN ||
		    strlen(reason) >= DKIM_REASON_LEN)
			abort();
	}
	if (dkim_sig(ctx, dkim_nsigs(ctx)) != NULL)
		abort();
out:
	dkim_free(ctx);
	free(field);
	free(key);
	return 0;
}
