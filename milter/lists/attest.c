/*
 * milter/lists/attest.c - the texts of the list's attestation copy: statement, signed
 * multipart/mixed, multipart/signed, literal data packet.  Contract: see attest.h.
 */
#include "build-config.h"
#include "attest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define ORIGINAL_NAME	"original-signed-message.asc"
#define BOUNDARY_TRIES	8

/* memfile_end - close F (an open_memstream of *OUT, *LEN) and tell whether all went well;
 * on failure *OUT is wiped and freed */
static bool memfile_end(FILE *f, char **out, size_t *len, bool ok)
{
	ok = !ferror(f) && ok;
	if (fclose(f) != 0)
		ok = false;
	if (!ok && *out != NULL) {
		OPENSSL_cleanse(*out, *len);
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return ok;
}

/* put_crlf - the N octets at T into F with every line end (CRLF, LF, lone CR) made CRLF */
static void put_crlf(FILE *f, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\r') {
			if (i + 1 < n && t[i + 1] == '\n')
				i++;
			fputs("\r\n", f);
		} else if (t[i] == '\n') {
			fputs("\r\n", f);
		} else {
			fputc(t[i], f);
		}
	}
	if (n > 0 && t[n - 1] != '\n' && t[n - 1] != '\r')
		fputs("\r\n", f);
}

/* fpr_hex - the fingerprint of N octets at P in upper-case hex into OUT (2N+1) */
static void fpr_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* contains - whether the N octets at P hold the string S */
static bool contains(const void *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	const char *c = p;

	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (c[i] == s[0] && memcmp(c + i, s, k) == 0)
			return true;
	return false;
}

/* new_boundary - a random boundary into B (64) that the N octets at P do not contain */
static bool new_boundary(char *b, const void *p, size_t n)
{
	for (int t = 0; t < BOUNDARY_TRIES; t++) {
		unsigned char r[16];
		char hex[33];
		if (RAND_bytes(r, sizeof(r)) != 1)
			return false;
		fpr_hex(r, sizeof(r), hex);
		snprintf(b, 64, "=_postward_attest_%s", hex);
		if (!contains(p, n, b))
			return true;
	}
	return false;
}

/* attest_statement - what the list verified, in words */
bool attest_statement(const struct attest_info *in, char **out, size_t *len)
{
	FILE *f;

	*out = NULL;
	*len = 0;
	if ((f = open_memstream(out, len)) == NULL)
		return false;
	fprintf(f, "The list %s received this post encrypted to the list's key and checked the "
		"poster's OpenPGP signature before sending it on.\n\n", in->list);
	fprintf(f, "Poster (envelope sender): %s\n", in->poster[0] ? in->poster : "<>");
	if (in->dec->n_sigs == 0)
		fprintf(f, "Signature:                none\n");
	for (size_t i = 0; i < in->dec->n_sigs; i++) {
		const struct pgp_sig *s = &in->dec->sigs[i];
		char when[64] = "unknown";
		if (s->created > 0) {
			struct tm tm;
			gmtime_r(&s->created, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		}
		fprintf(f, "Signing key fingerprint:  %s\n", s->fpr[0] ? s->fpr : "unknown");
		for (size_t k = 0; k < s->n_emails; k++)
			fprintf(f, "Key user ID address:      %s\n", s->emails[k]);
		fprintf(f, "Signature created:        %s\n", when);
		if (s->good)
			fprintf(f, "Signature status:         good\n");
		else
			fprintf(f, "Signature status:         %s (%s)\n",
				strstr(s->why, "No public key") ? "unknown key" : "bad", s->why);
	}
	if (in->rcpts != NULL && in->rcpts->n_naming > 0) {
		fprintf(f, "Intended recipients the poster's signature names:\n");
		for (size_t k = 0; k < in->rcpts->n_fprs; k++) {
			char hex[65];
			fpr_hex(in->rcpts->fpr[k], in->rcpts->fpr_len[k], hex);
			fprintf(f, "                          %s%s\n", hex,
				strcasecmp(hex, in->list_fpr) == 0 ? " (the list's key)" : "");
		}
	}
	fprintf(f, "List key fingerprint:     %s\n\n", in->list_fpr);
	fprintf(f, "%s", in->rcpts != NULL && in->rcpts->n_naming > 0 ?
		"The poster's signature names the keys it was encrypted to, and software that "
		"enforces that (Sequoia, RFC 9580) would refuse it in a copy encrypted to you.  " :
		"This list sends every post this way.  ");
	fprintf(f, "This message is therefore signed by the list's key: its signature covers this "
		"statement, the post as the list decrypted it, and the attached original.\n\n"
		"The poster's signed OpenPGP message, exactly as the poster made it, is attached "
		"as " ORIGINAL_NAME ": check the poster's signature yourself with "
		"\"gpg --verify " ORIGINAL_NAME "\" or \"sq verify --signer-cert POSTER-KEY "
		ORIGINAL_NAME "\".\n");
	return memfile_end(f, out, len, true);
}

/* attest_content - the signed multipart/mixed */
bool attest_content(const struct attest_info *in, const char *original, size_t olen,
		    char **out, size_t *len)
{
	char bnd[64], *st = NULL;
	size_t stlen = 0;
	FILE *f;
	bool ok;

	*out = NULL;
	*len = 0;
	if (!new_boundary(bnd, in->dec->plain, in->dec->plain_len) ||
	    !attest_statement(in, &st, &stlen))
		return false;
	if ((f = open_memstream(out, len)) == NULL) {
		free(st);
		return false;
	}
	fprintf(f, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", bnd);
	fprintf(f, "This post was checked and signed by the list %s.\r\n--%s\r\n", in->list, bnd);
	fprintf(f, "Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"Content-Description: What the list verified\r\n"
		"Content-Disposition: inline\r\n\r\n");
	put_crlf(f, st, stlen);
	fprintf(f, "\r\n--%s\r\n", bnd);
	/* the post as the list decrypted it: a MIME entity (headers, blank line, body) */
	put_crlf(f, (const char *)in->dec->plain, in->dec->plain_len);
	fprintf(f, "\r\n--%s\r\n", bnd);
	fprintf(f, "Content-Type: application/octet-stream; name=\"" ORIGINAL_NAME "\"\r\n"
		"Content-Description: The poster's signed OpenPGP message\r\n"
		"Content-Disposition: attachment; filename=\"" ORIGINAL_NAME "\"\r\n\r\n");
	put_crlf(f, original, olen);
	fprintf(f, "\r\n--%s--\r\n", bnd);
	ok = memfile_end(f, out, len, true);
	free(st);
	return ok;
}

/* attest_signed - the multipart/signed around CONTENT */
bool attest_signed(const char *content, size_t clen, const char *sig, const char *micalg,
		   char **out, size_t *len)
{
	char bnd[64];
	FILE *f;

	*out = NULL;
	*len = 0;
	if (!new_boundary(bnd, content, clen) || (f = open_memstream(out, len)) == NULL)
		return false;
	fprintf(f, "Content-Type: multipart/signed; micalg=%s;\r\n"
		" protocol=\"application/pgp-signature\"; boundary=\"%s\"\r\n\r\n", micalg, bnd);
	fprintf(f, "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n--%s\r\n", bnd);
	fwrite(content, 1, clen, f);
	fprintf(f, "\r\n--%s\r\n", bnd);
	fprintf(f, "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
		"Content-Description: OpenPGP signature of the list\r\n"
		"Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n");
	put_crlf(f, sig, strlen(sig));
	fprintf(f, "\r\n--%s--\r\n", bnd);
	return memfile_end(f, out, len, true);
}

/* attest_literal - DATA in a literal data packet */
bool attest_literal(const char *data, size_t len, time_t when, uint8_t **out, size_t *outlen)
{
	size_t body = len + 6;			/* format, name length 0, date */
	uint8_t *p;
	uint32_t t = when > 0 && (unsigned long long)when <= 0xffffffffULL ? (uint32_t)when : 0;

	*out = NULL;
	*outlen = 0;
	if (len > 0xffffffffUL - 6 || (p = malloc(body + 6)) == NULL)
		return false;
	p[0] = 0xc0 | 11;			/* new format, tag 11 */
	p[1] = 0xff;				/* five-octet length */
	p[2] = (uint8_t)(body >> 24);
	p[3] = (uint8_t)(body >> 16);
	p[4] = (uint8_t)(body >> 8);
	p[5] = (uint8_t)body;
	p[6] = 'b';
	p[7] = 0;
	p[8] = (uint8_t)(t >> 24);
	p[9] = (uint8_t)(t >> 16);
	p[10] = (uint8_t)(t >> 8);
	p[11] = (uint8_t)t;
	memcpy(p + 12, data, len);
	*out = p;
	*outlen = body + 6;
	return true;
}

/* attest_built_clear - wipe and free */
void attest_built_clear(struct attest_built *b)
{
	OPENSSL_cleanse(b->key, sizeof(b->key));
	if (b->literal != NULL)
		OPENSSL_cleanse(b->literal, b->literal_len);
	free(b->literal);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* attest_build - content, signature, multipart/signed, literal packet, encryption */
enum pgp_status attest_build(const struct attest_info *in, struct attest_built *out,
			     char *why, size_t whylen)
{
	char *orig = NULL, *content = NULL, *sig = NULL, *msg = NULL;
	size_t olen = 0, clen = 0, slen = 0, mlen = 0;
	enum pgp_status st = PGP_E_NOMEM;
	enum opgp_status os;

	memset(out, 0, sizeof(*out));
	snprintf(why, whylen, "out of memory");
	if (opgp_armor(in->inner, in->inner_len, &orig, &olen) != OPGP_OK ||
	    !attest_content(in, orig, olen, &content, &clen))
		goto done;
	st = pgp_sign_detached(in->list_fpr, content, clen, &sig, &slen, out->micalg,
			       sizeof(out->micalg), why, whylen);
	if (st != PGP_OK)
		goto done;
	st = PGP_E_NOMEM;
	if (!attest_signed(content, clen, sig, out->micalg, &msg, &mlen) ||
	    !attest_literal(msg, mlen, time(NULL), &out->literal, &out->literal_len))
		goto done;
	os = opgp_seipd1(out->literal, out->literal_len, &out->algo, out->key, &out->keylen,
			 &out->data, &out->data_len);
	if (os != OPGP_OK) {
		snprintf(why, whylen, "encrypting the attestation: %s", opgp_strerror(os));
		st = os == OPGP_E_NOMEM ? PGP_E_NOMEM : PGP_E_ENGINE;
		goto done;
	}
	st = PGP_OK;
done:
	if (st != PGP_OK)
		attest_built_clear(out);
	free(orig);
	if (content != NULL)
		OPENSSL_cleanse(content, clen);
	free(content);
	free(sig);
	if (msg != NULL)
		OPENSSL_cleanse(msg, mlen);
	free(msg);
	return st;
}
