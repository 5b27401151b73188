/*
 * milter/lists/copies.c - build one subscriber's copy of an OpenPGP or S/MIME list post.
 * Contract: see copies.h.
 */
#include "build-config.h"
#include "copies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "smime.h"

#define WINDOW_BYTES (64u << 20)	/* copies waiting to be sent, at most about this much */
#define WINDOW_MAX 512

/* pgp_build - PKESK (v3, or v6 before SEIPDv2) + data, armored, in the copy's MIME (or the
 * fallback's armor) */
static enum fanout_result pgp_build(const void *ctx, void *tstate, size_t k, char **copy,
				    size_t *len, char *why, size_t whylen)
{
	const struct copies_pgp *c = ctx;
	uint8_t *pk = NULL, *joined;
	size_t pklen = 0, armlen = 0;
	char *arm = NULL;
	enum opgp_status os;
	bool ok;

	(void)tstate;
	os = c->keys[k] == NULL ? OPGP_E_UNSUPPORTED :
	     c->pkesk_version == 6 ? opgp_pkesk6(c->keys[k], c->algo, c->key, c->keylen, &pk, &pklen)
				   : opgp_pkesk(c->keys[k], c->algo, c->key, c->keylen, &pk, &pklen);
	if (os == OPGP_E_UNSUPPORTED && c->fallback != NULL) {
		enum fanout_result fr;
		free(pk);
		if ((fr = c->fallback(c->fallback_ctx, k, &arm, &armlen, why, whylen)) !=
		    FANOUT_BUILT)
			return fr;
		ok = listpost_copy(c->msg, c->msg_len, c->post, c->args, (const uint8_t *)arm,
				   armlen, copy, len);
		free(arm);
		if (!ok) {
			snprintf(why, whylen, "out of memory");
			return FANOUT_FAIL;
		}
		return FANOUT_BUILT;
	}
	if (os != OPGP_OK) {
		free(pk);
		snprintf(why, whylen, "the session key could not be wrapped for this key (%s)",
			 opgp_strerror(os));
		return os == OPGP_E_NOMEM ? FANOUT_FAIL : FANOUT_SKIP;
	}
	if ((joined = malloc(pklen + c->data_len)) == NULL) {
		free(pk);
		snprintf(why, whylen, "out of memory");
		return FANOUT_FAIL;
	}
	memcpy(joined, pk, pklen);
	memcpy(joined + pklen, c->data, c->data_len);
	free(pk);
	ok = opgp_armor(joined, pklen + c->data_len, &arm, &armlen) == OPGP_OK &&
	     listpost_copy(c->msg, c->msg_len, c->post, c->args, (const uint8_t *)arm, armlen, copy, len);
	free(joined);
	free(arm);
	if (!ok) {
		snprintf(why, whylen, "out of memory");
		return FANOUT_FAIL;
	}
	return FANOUT_BUILT;
}

const struct fanout_ops copies_pgp_ops = { .build = pgp_build };

/* smime_thread - this thread's opened post */
static void *smime_thread(const void *ctx)
{
	const struct copies_smime *c = ctx;
	struct smime_post *sp = NULL;
	char why[256];
	if (smime_open(c->der, c->der_len, c->list_key, c->list_cert, &sp, NULL, NULL, NULL, 0,
		       why, sizeof(why)) != SMIME_OK)
		return NULL;
	return sp;
}

static void smime_thread_end(void *tstate)
{
	smime_post_free(tstate);
}

/* load_cert - a PEM certificate file */
static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

/* smime_build - the post re-addressed to item k's certificate, in the copy's MIME */
static enum fanout_result smime_build(const void *ctx, void *tstate, size_t k, char **copy,
				      size_t *len, char *why, size_t whylen)
{
	const struct copies_smime *c = ctx;
	uint8_t *der = NULL;
	size_t derlen = 0;
	X509 *rc;
	enum smime_status ss;
	bool ok;

	if ((rc = load_cert(c->certs[k])) == NULL) {
		snprintf(why, whylen, "the S/MIME certificate file cannot be read");
		return FANOUT_SKIP;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(rc)) <= 0) {
		X509_free(rc);
		snprintf(why, whylen, "the S/MIME certificate has expired");
		return FANOUT_SKIP;
	}
	ss = smime_readdress(tstate, rc, &der, &derlen, why, whylen);
	X509_free(rc);
	if (ss != SMIME_OK) {
		free(der);
		return ss == SMIME_E_NOMEM ? FANOUT_FAIL : FANOUT_SKIP;
	}
	ok = listpost_copy(c->msg, c->msg_len, c->post, c->args, der, derlen, copy, len);
	free(der);
	if (!ok) {
		snprintf(why, whylen, "out of memory");
		return FANOUT_FAIL;
	}
	return FANOUT_BUILT;
}

const struct fanout_ops copies_smime_ops = {
	.build = smime_build, .thread_init = smime_thread, .thread_fini = smime_thread_end,
};

/* copies_window - WINDOW_BYTES of copies, at least two per thread */
size_t copies_window(size_t copy_len, unsigned threads)
{
	size_t w = WINDOW_BYTES / (copy_len ? copy_len : 1);
	size_t min = 2 * (size_t)(threads ? threads : 1);
	if (w > WINDOW_MAX)
		w = WINDOW_MAX;
	return w < min ? min : w;
}
