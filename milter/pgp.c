/*
 * milter/pgp.c - GnuPG through gpgme: decrypt a post once, fetch subscriber keys in bulk.
 * Contract: see pgp.h.
 */
#include "build-config.h"
#include "pgp.h"

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gpgme.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define PGP_KEYS_ALL 100		/* more fingerprints than this: the whole keyring */

static const char *const key_state_names[] = { "ok", "missing", "revoked", "expired",
					       "disabled", "invalid", "no encryption subkey" };

/* pgp_key_state_name - text */
const char *pgp_key_state_name(enum pgp_key_state s)
{
	return (unsigned)s < sizeof(key_state_names) / sizeof(key_state_names[0]) ?
	       key_state_names[s] : "?";
}

/* pgp_global_init - once, before threads */
bool pgp_global_init(const char *gnupg_home, char *why, size_t len)
{
	gpgme_error_t err;
	if (gpgme_check_version("1.13.0") == NULL) {
		snprintf(why, len, "gpgme 1.13 or later is needed");
		return false;
	}
	setlocale(LC_CTYPE, "");
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	if ((err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (err = gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, NULL, gnupg_home)) != 0) {
		snprintf(why, len, "GnuPG engine: %s", gpgme_strerror(err));
		return false;
	}
	return true;
}

/* new_ctx - a context that never prompts */
static gpgme_error_t new_ctx(gpgme_ctx_t *ctx)
{
	gpgme_error_t err = gpgme_new(ctx);
	if (err)
		return err;
	gpgme_set_protocol(*ctx, GPGME_PROTOCOL_OpenPGP);
	gpgme_set_pinentry_mode(*ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	gpgme_set_offline(*ctx, 1);
	return 0;
}

/* upper_fpr - copy a hex fingerprint in upper case (40 digits) */
static void upper_fpr(char *dst, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i < 40; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

/* pgp_decrypt - decrypt and verify */
enum pgp_status pgp_decrypt(const void *msg, size_t len, struct pgp_decrypted *out,
			    char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, plain = NULL;
	gpgme_decrypt_result_t dr;
	gpgme_verify_result_t vr;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;
	char *mem;
	size_t mlen = 0;

	memset(out, 0, sizeof(*out));
	if ((err = new_ctx(&ctx)) != 0 ||
	    (err = gpgme_set_ctx_flag(ctx, "export-session-key", "1")) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, msg, len, 0)) != 0 ||
	    (err = gpgme_data_new(&plain)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	if ((err = gpgme_op_decrypt_verify(ctx, in, plain)) != 0) {
		snprintf(why, whylen, "%s", gpgme_strerror(err));
		st = gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM :
		     gpg_err_code(err) == GPG_ERR_NO_DATA ? PGP_E_FORMAT : PGP_E_DECRYPT;
		goto out;
	}
	dr = gpgme_op_decrypt_result(ctx);
	if (dr == NULL || dr->session_key == NULL ||
	    opgp_parse_session_key(dr->session_key, &out->algo, out->key, &out->keylen) != OPGP_OK) {
		snprintf(why, whylen, "GnuPG did not export a usable session key");
		st = PGP_E_ENGINE;
		goto out;
	}
	/* the recipient whose secret key worked (the others: no secret key) */
	for (gpgme_recipient_t rc = dr->recipients; rc; rc = rc->next)
		if (gpg_err_code(rc->status) == GPG_ERR_NO_ERROR && rc->keyid != NULL) {
			snprintf(out->recipient_keyid, sizeof(out->recipient_keyid), "%.16s",
				 rc->keyid);
			for (char *c = out->recipient_keyid; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			break;
		}
	vr = gpgme_op_verify_result(ctx);
	for (gpgme_signature_t s = vr ? vr->signatures : NULL; s && out->n_sigs < PGP_MAX_SIGS;
	     s = s->next) {
		struct pgp_sig *g = &out->sigs[out->n_sigs++];
		gpgme_key_t key = NULL;
		unsigned bad = GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
			       GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_RED;
		g->good = gpg_err_code(s->status) == GPG_ERR_NO_ERROR && !(s->summary & bad);
		if (!g->good)
			snprintf(g->why, sizeof(g->why), "%s", gpgme_strerror(s->status));
		/* the signing key may be a subkey: name the primary key */
		if (s->fpr != NULL && gpgme_get_key(ctx, s->fpr, &key, 0) == 0 && key != NULL &&
		    key->fpr != NULL) {
			upper_fpr(g->fpr, key->fpr);
			for (gpgme_user_id_t u = key->uids; u && g->n_emails < 4; u = u->next)
				if (u->email != NULL && *u->email && !u->revoked && !u->invalid)
					snprintf(g->emails[g->n_emails++], sizeof(g->emails[0]),
						 "%s", u->email);
		} else
			upper_fpr(g->fpr, s->fpr);
		if (key != NULL)
			gpgme_key_unref(key);
	}
	mem = gpgme_data_release_and_get_mem(plain, &mlen);
	plain = NULL;
	if (mem != NULL) {
		if ((out->plain = malloc(mlen ? mlen : 1)) != NULL) {
			memcpy(out->plain, mem, mlen);
			out->plain_len = mlen;
		}
		OPENSSL_cleanse(mem, mlen);
		gpgme_free(mem);
		if (out->plain == NULL) {
			snprintf(why, whylen, "out of memory");
			st = PGP_E_NOMEM;
		}
	}
out:
	if (plain != NULL)
		gpgme_data_release(plain);
	if (in != NULL)
		gpgme_data_release(in);
	if (ctx != NULL)
		gpgme_release(ctx);
	if (st != PGP_OK)
		pgp_decrypted_clear(out);
	return st;
}

/* pgp_key_has_subkey - does the key KEYID belong to PRIMARY_FPR */
bool pgp_key_has_subkey(const char *primary_fpr, const char *keyid)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	bool found = false;

	if (keyid == NULL || strlen(keyid) != 16 || new_ctx(&ctx) != 0)
		return false;
	if (gpgme_get_key(ctx, primary_fpr, &key, 0) == 0 && key != NULL)
		for (gpgme_subkey_t s = key->subkeys; s && !found; s = s->next)
			found = s->keyid != NULL && strcasecmp(s->keyid, keyid) == 0;
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return found;
}

/* pgp_decrypted_clear - wipe */
void pgp_decrypted_clear(struct pgp_decrypted *d)
{
	if (d->plain != NULL) {
		OPENSSL_cleanse(d->plain, d->plain_len);
		free(d->plain);
	}
	OPENSSL_cleanse(d, sizeof(*d));
	d->plain = NULL;
}

/* pgp_key_clear - release */
void pgp_key_clear(struct pgp_key *k)
{
	opgp_enckey_clear(&k->enc);
	memset(k, 0, sizeof(*k));
}

struct fpr_index {
	const char *fpr;		/* upper case */
	size_t i;
};

/* cmp_fpr - qsort/bsearch */
static int cmp_fpr(const void *a, const void *b)
{
	return strcmp(((const struct fpr_index *)a)->fpr, ((const struct fpr_index *)b)->fpr);
}

/* packet - the header of the packet at P (LEN octets left): tag, header size, body size;
 * false if malformed or using partial lengths (never in exported keys) */
static bool packet(const uint8_t *p, size_t len, int *tag, size_t *hlen, size_t *blen)
{
	if (len < 2 || !(p[0] & 0x80))
		return false;
	if (p[0] & 0x40) {		/* new format */
		*tag = p[0] & 0x3f;
		if (p[1] < 192) {
			*hlen = 2;
			*blen = p[1];
		} else if (p[1] < 224) {
			if (len < 3)
				return false;
			*hlen = 3;
			*blen = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
		} else if (p[1] == 255) {
			if (len < 6)
				return false;
			*hlen = 6;
			*blen = ((size_t)p[2] << 24) | ((size_t)p[3] << 16) | ((size_t)p[4] << 8) | p[5];
		} else {
			return false;
		}
	} else {			/* old format */
		int lt = p[0] & 3;
		*tag = (p[0] >> 2) & 0xf;
		if (lt == 3)
			return false;
		*hlen = 1 + ((size_t)1 << lt);
		if (len < *hlen)
			return false;
		*blen = 0;
		for (size_t i = 1; i < *hlen; i++)
			*blen = (*blen << 8) | p[i];
	}
	return *hlen <= len && *blen <= len - *hlen;
}

/* primary_fpr - the v4 fingerprint of the public-key packet body BODY as hex */
static bool primary_fpr(const uint8_t *body, size_t blen, char *hex)
{
	uint8_t pre[3] = { 0x99, (uint8_t)(blen >> 8), (uint8_t)blen }, md[20];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c && blen >= 1 && body[0] == 4 && blen <= 0xffff &&
		  EVP_DigestInit_ex(c, EVP_sha1(), NULL) && EVP_DigestUpdate(c, pre, 3) &&
		  EVP_DigestUpdate(c, body, blen) && EVP_DigestFinal_ex(c, md, &mdlen) &&
		  mdlen == 20;
	EVP_MD_CTX_free(c);
	for (size_t i = 0; ok && i < 20; i++)
		sprintf(hex + 2 * i, "%02X", md[i]);
	return ok;
}

/* hex_to_bin - 40 hex digits into 20 octets */
static bool hex_to_bin(const char *hex, uint8_t *bin)
{
	for (size_t i = 0; i < 20; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		bin[i] = (uint8_t)v;
	}
	return hex[40] == '\0';
}

/* pgp_keys - key listing and export, two gpg processes */
enum pgp_status pgp_keys(const char *const *fprs, size_t n, struct pgp_key *out, char *why,
			 size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t data = NULL;
	gpgme_error_t err;
	struct fpr_index *ix = NULL;
	const char **patterns = NULL;
	char (*subfpr)[41] = NULL;
	enum pgp_status st = PGP_OK;
	char *blob = NULL;
	size_t blen = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].state = PGP_KEY_MISSING;
		snprintf(out[i].why, sizeof(out[i].why), "no key %.40s in postward's keyring",
			 fprs[i]);
	}
	if (n == 0)
		return PGP_OK;
	ix = calloc(n, sizeof(*ix));
	patterns = calloc(n + 1, sizeof(*patterns));
	subfpr = calloc(n, sizeof(*subfpr));
	if (ix == NULL || patterns == NULL || subfpr == NULL) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ix[i].fpr = fprs[i];
		ix[i].i = i;
		patterns[i] = fprs[i];
	}
	qsort(ix, n, sizeof(*ix), cmp_fpr);
	/* gpg takes patterns as arguments: past PGP_KEYS_ALL of them (the argument list would
	 * overflow for big lists, and gpg matches every key against every pattern) list and
	 * export the whole keyring instead and pick the keys out here */
	if ((err = new_ctx(&ctx)) != 0 ||
	    (err = gpgme_op_keylist_ext_start(ctx, n > PGP_KEYS_ALL ? NULL : patterns, 0, 0)) != 0) {
		snprintf(why, whylen, "gpgme key listing: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	for (;;) {
		gpgme_key_t key;
		struct fpr_index k, *hit;
		char fpr[41];
		if ((err = gpgme_op_keylist_next(ctx, &key)) != 0)
			break;
		upper_fpr(fpr, key->fpr);
		k.fpr = fpr;
		if ((hit = bsearch(&k, ix, n, sizeof(*ix), cmp_fpr)) != NULL) {
			/* several subscribers may share a key: every entry with this fpr */
			while (hit > ix && strcmp(hit[-1].fpr, fpr) == 0)
				hit--;
			for (; hit < ix + n && strcmp(hit->fpr, fpr) == 0; hit++) {
				struct pgp_key *o = &out[hit->i];
				gpgme_subkey_t best = NULL;
				o->refreshed = (time_t)key->last_update;
				for (gpgme_subkey_t s = key->subkeys; s; s = s->next) {
					if (key->last_update == 0 && (time_t)s->timestamp > o->refreshed)
						o->refreshed = (time_t)s->timestamp;
					if (s->can_encrypt && !s->revoked && !s->expired &&
					    !s->disabled && !s->invalid &&
					    (best == NULL || s->timestamp >= best->timestamp))
						best = s;
				}
				o->why[0] = '\0';
				if (key->revoked)
					o->state = PGP_KEY_REVOKED;
				else if (key->expired)
					o->state = PGP_KEY_EXPIRED;
				else if (key->disabled)
					o->state = PGP_KEY_DISABLED;
				else if (key->invalid)
					o->state = PGP_KEY_INVALID;
				else if (best == NULL || best->fpr == NULL)
					o->state = PGP_KEY_NOENC;
				else {
					o->state = PGP_KEY_OK;
					upper_fpr(subfpr[hit->i], best->fpr);
				}
				if (o->state != PGP_KEY_OK)
					snprintf(o->why, sizeof(o->why), "key %s is %s", fpr,
						 pgp_key_state_name(o->state));
			}
		}
		gpgme_key_unref(key);
	}
	if (gpg_err_code(err) != GPG_ERR_EOF) {
		snprintf(why, whylen, "gpgme key listing: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	gpgme_set_armor(ctx, 0);
	if ((err = gpgme_data_new(&data)) != 0 ||
	    (err = gpgme_op_export_ext(ctx, n > PGP_KEYS_ALL ? NULL : patterns, 0, data)) != 0) {
		snprintf(why, whylen, "gpgme export: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	blob = gpgme_data_release_and_get_mem(data, &blen);
	data = NULL;
	/* split the export into transferable keys; each starts with a public-key packet */
	for (size_t off = 0; off < blen;) {
		const uint8_t *p = (const uint8_t *)blob;
		size_t start = off, end, hl, bl;
		int tag;
		char fpr[41];
		struct fpr_index k, *hit;
		if (!packet(p + off, blen - off, &tag, &hl, &bl) || tag != 6 ||
		    !primary_fpr(p + off + hl, bl, fpr))
			break;
		for (end = off + hl + bl; end < blen; end += hl + bl)
			if (!packet(p + end, blen - end, &tag, &hl, &bl) || tag == 6)
				break;
		off = end;
		k.fpr = fpr;
		if ((hit = bsearch(&k, ix, n, sizeof(*ix), cmp_fpr)) == NULL)
			continue;
		while (hit > ix && strcmp(hit[-1].fpr, fpr) == 0)
			hit--;
		for (; hit < ix + n && strcmp(hit->fpr, fpr) == 0; hit++) {
			struct pgp_key *o = &out[hit->i];
			uint8_t bin[20];
			char r[96];
			enum opgp_status os;
			if (o->state != PGP_KEY_OK || o->enc.algo != 0)
				continue;
			if (!hex_to_bin(subfpr[hit->i], bin))
				os = OPGP_E_NOKEY;
			else
				os = opgp_enckey_from_block(p + start, end - start, bin, &o->enc, r,
							    sizeof(r));
			if (os != OPGP_OK) {
				o->state = os == OPGP_E_UNSUPPORTED ? PGP_KEY_INVALID : PGP_KEY_NOENC;
				snprintf(o->why, sizeof(o->why), "key %s: %s", fpr,
					 os == OPGP_E_UNSUPPORTED ? "unsupported algorithm" :
					 "no usable encryption subkey");
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (out[i].state == PGP_KEY_OK && out[i].enc.algo == 0) {
			out[i].state = PGP_KEY_MISSING;
			snprintf(out[i].why, sizeof(out[i].why), "key %.40s was not exported",
				 fprs[i]);
		}
out:
	if (blob != NULL)
		gpgme_free(blob);
	if (data != NULL)
		gpgme_data_release(data);
	if (ctx != NULL)
		gpgme_release(ctx);
	free(ix);
	free(patterns);
	free(subfpr);
	return st;
}
