/*
 * milter/lists/plainwrap.c - a plain message to a list made a PGP/MIME message to the list's key.
 * Contract: see plainwrap.h.
 */
#include "plainwrap.h"
#include "attest.h"
#include "listpost-int.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* the fields copied into the encrypted entity as protected headers */
static const char *const protected[] = { "From", "To", "Cc", "Reply-To", "Subject", "Date",
					 "Message-ID", "In-Reply-To", "References" };

struct pbuf {				/* an output buffer; oom sticks */
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

/* pb_put - append N octets */
static void pb_put(struct pbuf *b, const void *p, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		uint8_t *np;
		while (nc < b->len + n + 1)
			nc *= 2;
		/* the buffer may hold plaintext: never leave a copy behind in freed memory */
		if ((np = malloc(nc)) == NULL) {
			b->oom = true;
			return;
		}
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			OPENSSL_cleanse(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* pb_puts - append a string */
static void pb_puts(struct pbuf *b, const char *s)
{
	pb_put(b, s, strlen(s));
}

/* pb_lines - append N octets of text with every line end made CRLF */
static void pb_lines(struct pbuf *b, const char *t, size_t n)
{
	const char *end = t + n, *cend;
	while (t < end) {
		const char *next = mime_line_next(t, end, &cend);
		pb_put(b, t, (size_t)(cend - t));
		pb_put(b, "\r\n", 2);
		t = next;
	}
}

/* pb_wipe - cleanse and free */
static void pb_wipe(struct pbuf *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

/* is_content - a Content-* or MIME-Version field name */
static bool is_content(const struct mime_field *f)
{
	return mime_span_iprefix(f->name, f->namelen, "Content-") ||
	       mime_span_ieq(f->name, f->namelen, "MIME-Version");
}

/* is_protected - one of the fields copied inside */
static bool is_protected(const struct mime_field *f)
{
	for (size_t i = 0; i < sizeof(protected) / sizeof(protected[0]); i++)
		if (mime_span_ieq(f->name, f->namelen, protected[i]))
			return true;
	return false;
}

/* inner_entity - the MIME entity that gets encrypted */
static void inner_entity(struct pbuf *b, const struct mime_hdrsec *h, const char *body,
			 size_t blen, const char *ct)
{
	const char *cur = h->p, *end = h->p + h->fields;
	struct mime_field f;

	pb_puts(b, "Content-Type: ");
	pb_puts(b, ct ? ct : "text/plain; charset=us-ascii");
	pb_puts(b, "; protected-headers=\"v1\"\r\n");
	while (mime_field_next(&cur, end, &f))
		if ((is_content(&f) && !mime_span_ieq(f.name, f.namelen, "Content-Type") &&
		     !mime_span_ieq(f.name, f.namelen, "MIME-Version")) || is_protected(&f))
			pb_lines(b, f.start, (size_t)(f.next - f.start));
	pb_puts(b, "\r\n");
	pb_put(b, body, blen);
}

/* outer - the PGP/MIME message around ARMOR */
static bool outer(struct pbuf *b, const struct mime_hdrsec *h, const char *armor, size_t alen)
{
	const char *cur = h->p, *end = h->p + h->fields;
	struct mime_field f;
	uint8_t rnd[16];
	char bnd[64], *ent;
	size_t elen;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return false;
	strcpy(bnd, "=_postward_");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(bnd + strlen(bnd), 3, "%02x", rnd[i]);
	while (mime_field_next(&cur, end, &f))
		if (!is_content(&f))
			pb_lines(b, f.start, (size_t)(f.next - f.start));
	pb_puts(b, "MIME-Version: 1.0\r\n");
	if (mime_pgpmime(bnd, armor, alen, &ent, &elen) != MIME_OK)
		return false;
	pb_put(b, ent, elen);
	free(ent);
	return true;
}

/* plainwrap - see plainwrap.h */
enum plainwrap_status plainwrap(const char *msg, size_t len, const struct opgp_enckey *key,
				time_t now, char **out, size_t *outlen, char *why, size_t whylen)
{
	struct listpost lp;
	struct mime_hdrsec h;
	struct pbuf ent = { 0 }, pgp = { 0 }, res = { 0 };
	uint8_t sk[OPGP_MAX_SESSION_KEY], *seipd = NULL, *pkesk = NULL, *lit = NULL;
	size_t sklen = 0, slen = 0, plen = 0, alen = 0, litlen = 0;
	char *ct = NULL, *armor = NULL;
	int algo = 0;
	enum plainwrap_status st = PLAINWRAP_E_NOMEM;
	enum lp_status ls;

	*out = NULL;
	*outlen = 0;
	memset(&lp, 0, sizeof(lp));
	if ((ls = lp_hdr_scan(msg, len, true, "message", &h, &lp)) != LP_OK ||
	    (ls = lp_hdr_get(&h, "Content-Type", "message", &ct, &lp)) != LP_OK) {
		if (ls == LP_NOMEM)
			return PLAINWRAP_E_NOMEM;
		snprintf(why, whylen, "%s", lp.why);
		return PLAINWRAP_E_FORMAT;
	}
	inner_entity(&ent, &h, msg + h.len, len - h.len, ct);
	if (ent.oom || !attest_literal((const char *)ent.p, ent.len, now, &lit, &litlen)) {
		pb_wipe(&ent);
		goto out;
	}
	pb_wipe(&ent);
	st = PLAINWRAP_E_CRYPTO;
	if (opgp_seipd1(lit, litlen, &algo, sk, &sklen, &seipd, &slen) != OPGP_OK) {
		snprintf(why, whylen, "cannot encrypt the message");
		goto out;
	}
	if (opgp_pkesk(key, algo, sk, sklen, &pkesk, &plen) != OPGP_OK) {
		snprintf(why, whylen, "cannot wrap the session key for the list's key");
		goto out;
	}
	pb_put(&pgp, pkesk, plen);
	pb_put(&pgp, seipd, slen);
	if (pgp.oom || opgp_armor(pgp.p, pgp.len, &armor, &alen) != OPGP_OK) {
		st = PLAINWRAP_E_NOMEM;
		goto out;
	}
	if (!outer(&res, &h, armor, alen)) {
		snprintf(why, whylen, "no random octets for the MIME boundary");
		goto out;
	}
	if (res.oom) {
		st = PLAINWRAP_E_NOMEM;
		goto out;
	}
	*out = (char *)res.p;
	*outlen = res.len;
	res.p = NULL;
	st = PLAINWRAP_OK;
out:
	OPENSSL_cleanse(sk, sizeof(sk));
	if (lit != NULL) {
		OPENSSL_cleanse(lit, litlen);
		free(lit);
	}
	pb_wipe(&res);
	free(pgp.p);
	free(seipd);
	free(pkesk);
	free(armor);
	free(ct);
	return st;
}
