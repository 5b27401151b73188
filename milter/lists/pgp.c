/*
 * milter/lists/pgp.c - GnuPG through gpgme: decrypt a post once, fetch subscriber keys in bulk.
 * Contract: see pgp.h.
 */
#include "build-config.h"
#include "pgp.h"

#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gpgme.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define PGP_KEYS_ALL 100		/* more fingerprints than this: the whole keyring */
#define CACHE_TTL 3600			/* seconds a cached key answer is trusted at most */
#define CACHE_MAX 200000		/* entries; past this the cache starts over */

/* the GnuPG home, for the key cache's view of the keyring files (set once by
 * pgp_global_init, before threads) */
static char *home_dir;

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
	free(home_dir);
	home_dir = NULL;
	if (gnupg_home != NULL && gnupg_home[0] != '\0')
		home_dir = strdup(gnupg_home);
	else if (gpgme_get_dirinfo("homedir") != NULL)
		home_dir = strdup(gpgme_get_dirinfo("homedir"));
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

/* take_mem - move the contents of DATA (released) into a malloc'd buffer, wiping gpgme's
 * copy; with NUL true a NUL is appended (not counted in *LEN); false when out of memory */
static bool take_mem(gpgme_data_t data, uint8_t **out, size_t *len, bool nul)
{
	size_t mlen = 0;
	char *mem = gpgme_data_release_and_get_mem(data, &mlen);
	*out = NULL;
	*len = 0;
	if (mem == NULL)
		return mlen == 0 && (*out = calloc(1, 1)) != NULL;
	if ((*out = malloc(mlen + 1)) != NULL) {
		memcpy(*out, mem, mlen);
		if (nul)
			(*out)[mlen] = '\0';
		*len = mlen;
	}
	OPENSSL_cleanse(mem, mlen);
	gpgme_free(mem);
	return *out != NULL;
}

/* decrypt_status - what a failed decryption (ERR) means: lack of memory, no OpenPGP data in
 * the input (malformed), or a post the list cannot open */
static enum pgp_status decrypt_status(gpgme_error_t err)
{
	return gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM :
	       gpg_err_code(err) == GPG_ERR_NO_DATA ? PGP_E_FORMAT : PGP_E_DECRYPT;
}

/* release_op - what one gpgme operation held (each may be NULL) */
static void release_op(gpgme_ctx_t ctx, gpgme_data_t a, gpgme_data_t b)
{
	if (a != NULL)
		gpgme_data_release(a);
	if (b != NULL)
		gpgme_data_release(b);
	if (ctx != NULL)
		gpgme_release(ctx);
}

/* seipd2_open - a SEIPD version 2 post opened through the list key's agent (below) */
static enum pgp_status seipd2_open(const void *msg, size_t len, uint8_t **inner, size_t *ilen,
				   struct pgp_decrypted *out, bool *v2, char *why, size_t whylen);
static enum pgp_status seipd2_decrypt(const void *msg, size_t len, struct pgp_decrypted *out,
				      bool *v2, char *why, size_t whylen);
static bool hex_to_bin(const char *hex, uint8_t *bin);

/* take_sigs - the signatures gpgme verified in CTX's last operation into OUT */
static void take_sigs(gpgme_ctx_t ctx, struct pgp_decrypted *out)
{
	gpgme_verify_result_t vr;

	vr = gpgme_op_verify_result(ctx);
	for (gpgme_signature_t s = vr ? vr->signatures : NULL; s && out->n_sigs < PGP_MAX_SIGS;
	     s = s->next) {
		struct pgp_sig *g = &out->sigs[out->n_sigs++];
		gpgme_key_t key = NULL;
		unsigned bad = GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
			       GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_RED;
		g->good = gpg_err_code(s->status) == GPG_ERR_NO_ERROR && !(s->summary & bad);
		g->created = (time_t)s->timestamp;
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
}

/* pgp_decrypt - decrypt and verify */
enum pgp_status pgp_decrypt(const void *msg, size_t len, struct pgp_decrypted *out,
			    char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, plain = NULL;
	gpgme_decrypt_result_t dr;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;
	bool ok_key;

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
		bool v2 = false;

		/* GnuPG 2.2 reads no SEIPD version 2: the list key's agent and openpgp*.c do */
		if (gpg_err_code(err) != GPG_ERR_ENOMEM) {
			pgp_decrypted_clear(out);
			st = seipd2_decrypt(msg, len, out, &v2, why, whylen);
			if (v2)
				goto out;
		}
		snprintf(why, whylen, "%s", gpgme_strerror(err));
		st = decrypt_status(err);
		goto out;
	}
	dr = gpgme_op_decrypt_result(ctx);
	ok_key = dr != NULL && dr->session_key != NULL &&
		 opgp_parse_session_key(dr->session_key, &out->algo, out->key, &out->keylen) ==
		 OPGP_OK;
	if (dr != NULL && dr->session_key != NULL)	/* gpgme frees it unwiped */
		OPENSSL_cleanse(dr->session_key, strlen(dr->session_key));
	if (!ok_key) {
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
	take_sigs(ctx, out);
	if (!take_mem(plain, &out->plain, &out->plain_len, false)) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
	}
	plain = NULL;
out:
	release_op(ctx, in, plain);
	if (st != PGP_OK)
		pgp_decrypted_clear(out);
	return st;
}

/* pgp_unwrap - the packets inside MSG's encryption layer */
enum pgp_status pgp_unwrap(const void *msg, size_t len, uint8_t **out, size_t *outlen,
			   char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, inner = NULL;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;

	*out = NULL;
	*outlen = 0;
	if ((err = new_ctx(&ctx)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, msg, len, 0)) != 0 ||
	    (err = gpgme_data_new(&inner)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	if ((err = gpgme_op_decrypt_ext(ctx, GPGME_DECRYPT_UNWRAP, in, inner)) != 0) {
		struct pgp_decrypted d;
		bool v2 = false;

		memset(&d, 0, sizeof(d));
		st = seipd2_open(msg, len, out, outlen, &d, &v2, why, whylen);
		pgp_decrypted_clear(&d);
		if (v2)
			goto out;
		snprintf(why, whylen, "unwrapping the post: %s", gpgme_strerror(err));
		st = decrypt_status(err);
		goto out;
	}
	if (!take_mem(inner, out, outlen, false)) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
	} else if (*outlen == 0) {
		free(*out);
		*out = NULL;
		snprintf(why, whylen, "GnuPG gave no packets");
		st = PGP_E_DECRYPT;
	}
	inner = NULL;
out:
	release_op(ctx, in, inner);
	return st;
}

/* encrypted - the outcome of an encryption (ERR) to the recipient WHAT FPR: the armor out of
 * *CIPHER (released, set NULL) into *ARMOR and *ARMLEN, or PGP_E_FORMAT when gpg refused the
 * recipient, PGP_E_NOMEM/PGP_E_ENGINE otherwise, WHY set */
static enum pgp_status encrypted(gpgme_ctx_t ctx, gpgme_error_t err, const char *what,
				 const char *fpr, gpgme_data_t *cipher, char **armor,
				 size_t *armlen, char *why, size_t whylen)
{
	uint8_t *mem = NULL;

	if (err != 0) {
		gpgme_encrypt_result_t er = gpgme_op_encrypt_result(ctx);
		if (er != NULL && er->invalid_recipients != NULL) {
			snprintf(why, whylen, "gpg cannot encrypt to %s %s: %s", what, fpr,
				 gpgme_strerror(er->invalid_recipients->reason));
			return PGP_E_FORMAT;
		}
		snprintf(why, whylen, "gpg encryption to %s %s: %s", what, fpr, gpgme_strerror(err));
		return gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM : PGP_E_ENGINE;
	}
	if (!take_mem(*cipher, &mem, armlen, true)) {
		*cipher = NULL;
		snprintf(why, whylen, "out of memory");
		return PGP_E_NOMEM;
	}
	*cipher = NULL;
	*armor = (char *)mem;
	return PGP_OK;
}

/* pgp_encrypt_wrapped - one subscriber's copy made by gpg */
enum pgp_status pgp_encrypt_wrapped(const uint8_t *inner, size_t len, const char *subfpr,
				    char **armor, size_t *armlen, char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;
	char recp[64];

	*armor = NULL;
	*armlen = 0;
	if (subfpr == NULL || strlen(subfpr) != 40) {
		snprintf(why, whylen, "no encryption subkey fingerprint");
		return PGP_E_FORMAT;
	}
	/* "FPR!": exactly this subkey, not the one gpg would pick */
	snprintf(recp, sizeof(recp), "%s!", subfpr);
	if ((err = new_ctx(&ctx)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, (const char *)inner, len, 0)) != 0 ||
	    (err = gpgme_data_new(&cipher)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	gpgme_set_armor(ctx, 1);
	/* WRAP: INNER is an OpenPGP message already (no literal data packet around it);
	 * ALWAYS_TRUST: the list's administrator vouches for the subscribers' keys by listing
	 * them, as for the re-wrap; NO_ENCRYPT_TO: one recipient per copy */
	err = gpgme_op_encrypt_ext(ctx, NULL, recp,
				   GPGME_ENCRYPT_WRAP | GPGME_ENCRYPT_ALWAYS_TRUST |
				   GPGME_ENCRYPT_NO_ENCRYPT_TO | GPGME_ENCRYPT_NO_COMPRESS,
				   in, cipher);
	st = encrypted(ctx, err, "subkey", subfpr, &cipher, armor, armlen, why, whylen);
out:
	release_op(ctx, in, cipher);
	return st;
}

/* sign_core - a detached signature by SIGNER_FPR over DATA, binary or (TEXT) canonical
 * text, with the N notations NOTES; MICALG (if not NULL) names its hash */
static enum pgp_status sign_core(const char *signer_fpr, const void *data, size_t len, bool text,
				 const struct pgp_notation *notes, size_t n, char **armor,
				 size_t *armlen, char *micalg, size_t miclen, char *why,
				 size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_key_t key = NULL;
	gpgme_sign_result_t sr;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;
	uint8_t *mem = NULL;
	const char *hash;

	*armor = NULL;
	*armlen = 0;
	/* the signer first: no secret key is the list's configuration, not gpg, failing */
	if ((err = new_ctx(&ctx)) == 0 &&
	    ((err = gpgme_get_key(ctx, signer_fpr, &key, 1)) != 0 || key == NULL)) {
		bool missing = key == NULL && (err == 0 || gpg_err_code(err) == GPG_ERR_EOF);
		snprintf(why, whylen, "the list's secret key %s: %s", signer_fpr,
			 missing ? "not in the GnuPG home" : gpgme_strerror(err));
		st = missing ? PGP_E_FORMAT : PGP_E_ENGINE;
		goto out;
	}
	if (err == 0) {
		gpgme_set_armor(ctx, 1);
		gpgme_set_textmode(ctx, text);
	}
	for (size_t i = 0; err == 0 && i < n; i++)
		err = gpgme_sig_notation_add(ctx, notes[i].name, notes[i].value,
					     GPGME_SIG_NOTATION_HUMAN_READABLE);
	if (err != 0 || (err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0 ||
	    (err = gpgme_data_new(&sig)) != 0 || (err = gpgme_signers_add(ctx, key)) != 0 ||
	    (err = gpgme_op_sign(ctx, in, sig, GPGME_SIG_MODE_DETACH)) != 0) {
		snprintf(why, whylen, "signing with the list's key %s: %s", signer_fpr,
			 gpgme_strerror(err));
		st = gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM : PGP_E_ENGINE;
		goto out;
	}
	sr = gpgme_op_sign_result(ctx);
	hash = sr && sr->signatures ? gpgme_hash_algo_name(sr->signatures->hash_algo) : NULL;
	if (hash == NULL) {
		snprintf(why, whylen, "GnuPG did not say which hash it signed with");
		st = PGP_E_ENGINE;
		goto out;
	}
	if (micalg != NULL) {
		snprintf(micalg, miclen, "pgp-%s", hash);
		for (char *c = micalg; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	if (!take_mem(sig, &mem, armlen, true)) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
	}
	sig = NULL;
	*armor = (char *)mem;
out:
	if (key != NULL)
		gpgme_key_unref(key);
	release_op(ctx, in, sig);
	return st;
}

/* pgp_export_key - the public key FPR, armored */
enum pgp_status pgp_export_key(const char *fpr, bool minimal, char **armor, size_t *len,
			       char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t out = NULL;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;
	uint8_t *mem = NULL;

	*armor = NULL;
	*len = 0;
	if ((err = new_ctx(&ctx)) != 0 || (err = gpgme_data_new(&out)) != 0) {
		snprintf(why, whylen, "GnuPG: %s", gpgme_strerror(err));
		release_op(ctx, NULL, out);
		return gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM : PGP_E_ENGINE;
	}
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_op_export(ctx, fpr, minimal ? GPGME_EXPORT_MODE_MINIMAL : 0, out)) != 0) {
		snprintf(why, whylen, "exporting key %s: %s", fpr, gpgme_strerror(err));
		st = PGP_E_ENGINE;
	} else if (!take_mem(out, &mem, len, true)) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
		out = NULL;
	} else if (*len == 0) {
		free(mem);
		mem = NULL;
		snprintf(why, whylen, "key %s is not in the GnuPG home", fpr);
		st = PGP_E_FORMAT;
		out = NULL;
	} else {
		out = NULL;
	}
	*armor = (char *)mem;
	release_op(ctx, NULL, out);
	return st;
}

/* pgp_encrypt_sign - DATA encrypted to RCPT_FPR and signed by SIGNER_FPR, armored */
enum pgp_status pgp_encrypt_sign(const void *data, size_t len, const char *rcpt_fpr,
				 const char *signer_fpr, char **armor, size_t *armlen, char *why,
				 size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_key_t signer = NULL;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;

	*armor = NULL;
	*armlen = 0;
	if ((err = new_ctx(&ctx)) == 0 &&
	    ((err = gpgme_get_key(ctx, signer_fpr, &signer, 1)) != 0 || signer == NULL)) {
		snprintf(why, whylen, "the list's secret key %s: %s", signer_fpr,
			 signer == NULL && (err == 0 || gpg_err_code(err) == GPG_ERR_EOF) ?
			 "not in the GnuPG home" : gpgme_strerror(err));
		st = PGP_E_FORMAT;
		goto out;
	}
	if (err != 0 || (err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0 ||
	    (err = gpgme_data_new(&cipher)) != 0 || (err = gpgme_signers_add(ctx, signer)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
		goto out;
	}
	gpgme_set_armor(ctx, 1);
	/* ALWAYS_TRUST: the list file vouches for the key; NO_ENCRYPT_TO: the requester alone */
	err = gpgme_op_encrypt_sign_ext(ctx, NULL, rcpt_fpr,
					GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO,
					in, cipher);
	st = encrypted(ctx, err, "key", rcpt_fpr, &cipher, armor, armlen, why, whylen);
out:
	if (signer != NULL)
		gpgme_key_unref(signer);
	release_op(ctx, in, cipher);
	return st;
}

static bool packet(const uint8_t *p, size_t len, int *tag, size_t *hlen, size_t *blen);

/* only_public - DATA (armored or binary) is a sequence of whole packets without secret key
 * packets (tags 5 and 7); WHY otherwise */
static bool only_public(const void *data, size_t len, char *why, size_t whylen)
{
	uint8_t *bin = NULL;
	const uint8_t *p = data;
	size_t n = len, pos = 0;
	bool ok = true;

	if (len > 0 && !(p[0] & 0x80)) {	/* not a packet: armor */
		if (opgp_dearmor_keys(data, len, &bin, &n) != OPGP_OK) {
			snprintf(why, whylen, "the key data is neither OpenPGP packets nor ASCII armor");
			return false;
		}
		p = bin;
	}
	while (ok && pos < n) {
		int tag;
		size_t hl, bl;
		if (!packet(p + pos, n - pos, &tag, &hl, &bl)) {
			snprintf(why, whylen, "malformed OpenPGP packet in the key data");
			ok = false;
		} else if (tag == 5 || tag == 7) {
			snprintf(why, whylen, "the key data holds secret key material: not imported");
			ok = false;
		}
		pos += ok ? hl + bl : 0;
	}
	if (bin != NULL) {
		OPENSSL_cleanse(bin, n);
		free(bin);
	}
	return ok;
}

/* pgp_import - keys into the home */
enum pgp_status pgp_import(const void *data, size_t len, struct pgp_import *res, char *why,
			   size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL;
	gpgme_import_result_t ir;
	gpgme_error_t err;

	memset(res, 0, sizeof(*res));
	if (!only_public(data, len, why, whylen))
		return PGP_E_FORMAT;
	if ((err = new_ctx(&ctx)) != 0 || (err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0 ||
	    (err = gpgme_op_import(ctx, in)) != 0) {
		snprintf(why, whylen, "importing keys: %s", gpgme_strerror(err));
		release_op(ctx, in, NULL);
		return gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM : PGP_E_ENGINE;
	}
	if ((ir = gpgme_op_import_result(ctx)) != NULL) {
		res->considered = ir->considered;
		res->imported = ir->imported;
		res->unchanged = ir->unchanged;
		res->secret = ir->secret_read;
		for (gpgme_import_status_t is = ir->imports; is != NULL; is = is->next) {
			if (is->result != 0 || is->fpr == NULL || strlen(is->fpr) != 40 ||
			    (is->status & GPGME_IMPORT_SECRET))
				continue;
			if (res->n < PGP_MAX_IMPORT) {
				bool seen = false;
				char f[41];
				upper_fpr(f, is->fpr);
				for (size_t i = 0; i < res->n; i++)
					seen = seen || strcmp(res->fpr[i], f) == 0;
				if (!seen)
					memcpy(res->fpr[res->n++], f, sizeof(f));
			}
		}
	}
	release_op(ctx, in, NULL);
	if (res->considered == 0) {
		snprintf(why, whylen, "no OpenPGP key in the data");
		return PGP_E_FORMAT;
	}
	return PGP_OK;
}

/* pgp_delete_public - a public key out of the home, never one with a secret key */
enum pgp_status pgp_delete_public(const char *fpr, char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL, sec = NULL;
	gpgme_error_t err;
	enum pgp_status st = PGP_OK;

	if ((err = new_ctx(&ctx)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		return PGP_E_ENGINE;
	}
	if (gpgme_get_key(ctx, fpr, &sec, 1) == 0 && sec != NULL) {
		snprintf(why, whylen, "key %s has its secret key in the list's GnuPG home (a list's "
			 "key): not deleted", fpr);
		st = PGP_E_FORMAT;
	} else if ((err = gpgme_get_key(ctx, fpr, &key, 0)) != 0 || key == NULL) {
		snprintf(why, whylen, "no key %s in the list's keyring", fpr);
		st = PGP_E_FORMAT;
	} else if ((err = gpgme_op_delete_ext(ctx, key, GPGME_DELETE_FORCE)) != 0) {
		snprintf(why, whylen, "deleting key %s: %s", fpr, gpgme_strerror(err));
		st = PGP_E_ENGINE;
	}
	if (sec != NULL)
		gpgme_key_unref(sec);
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return st;
}

/* pgp_sign_detached - the list key's detached signature over DATA */
enum pgp_status pgp_sign_detached(const char *signer_fpr, const void *data, size_t len,
				  char **armor, size_t *armlen, char *micalg, size_t miclen,
				  char *why, size_t whylen)
{
	return sign_core(signer_fpr, data, len, false, NULL, 0, armor, armlen, micalg, miclen,
			 why, whylen);
}

/* pgp_sign_text - the list key's detached text signature over DATA, with notations */
enum pgp_status pgp_sign_text(const char *signer_fpr, const void *data, size_t len,
			      const struct pgp_notation *notes, size_t n, char **armor,
			      size_t *armlen, char *why, size_t whylen)
{
	return sign_core(signer_fpr, data, len, true, notes, n, armor, armlen, NULL, 0, why,
			 whylen);
}

/* pgp_export_certs - the certificates of FPRS, export-minimal, binary */
enum pgp_status pgp_export_certs(const char *const *fprs, size_t n, uint8_t **out,
				 size_t *outlen, char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t data = NULL;
	gpgme_error_t err;
	const char **patterns = NULL;
	enum pgp_status st = PGP_OK;

	*out = NULL;
	*outlen = 0;
	if (n <= PGP_KEYS_ALL && (patterns = calloc(n + 1, sizeof(*patterns))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return PGP_E_NOMEM;
	}
	for (size_t i = 0; patterns != NULL && i < n; i++)
		patterns[i] = fprs[i];
	/* past PGP_KEYS_ALL fingerprints the whole keyring (see fetch_keys) */
	if ((err = new_ctx(&ctx)) != 0 || (err = gpgme_data_new(&data)) != 0 ||
	    (err = gpgme_op_export_ext(ctx, patterns, GPGME_EXPORT_MODE_MINIMAL, data)) != 0) {
		snprintf(why, whylen, "gpgme export: %s", gpgme_strerror(err));
		st = gpg_err_code(err) == GPG_ERR_ENOMEM ? PGP_E_NOMEM : PGP_E_ENGINE;
	} else if (!take_mem(data, out, outlen, false)) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
	} else {
		data = NULL;
	}
	release_op(ctx, data, NULL);
	free(patterns);
	return st;
}

/* the Assuan exchange of one PKDECRYPT: the ciphertext handed over, the answer gathered */
struct agent_io {
	const char *sexp;
	size_t slen;
	uint8_t *buf;
	size_t len, cap;
	bool too_big;
};

/* agent_data - D lines of the agent's answer, appended to IO (at most 64 KiB) */
static gpgme_error_t agent_data(void *opaque, const void *data, size_t len)
{
	struct agent_io *io = opaque;
	uint8_t *n;

	if (len > 65536 - io->len) {
		io->too_big = true;
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if (io->len + len > io->cap) {
		size_t cap = io->len + len + 256;

		if ((n = malloc(cap)) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		if (io->buf != NULL) {
			memcpy(n, io->buf, io->len);
			OPENSSL_cleanse(io->buf, io->cap);
			free(io->buf);
		}
		io->buf = n;
		io->cap = cap;
	}
	memcpy(io->buf + io->len, data, len);
	io->len += len;
	return 0;
}

/* agent_inquire - the agent asks for the CIPHERTEXT; NAME NULL: gpgme is done with *DATA */
static gpgme_error_t agent_inquire(void *opaque, const char *name, const char *args,
				   gpgme_data_t *data)
{
	struct agent_io *io = opaque;

	(void)args;
	if (name == NULL) {
		if (data != NULL && *data != NULL)
			gpgme_data_release(*data);
		return 0;
	}
	if (strcmp(name, "CIPHERTEXT") != 0)
		return gpg_error(GPG_ERR_ASS_UNKNOWN_INQUIRE);
	return gpgme_data_new_from_mem(data, io->sexp, io->slen, 0);
}

/* gpgconf - run gpgconf --homedir HOME with ARG1 ARG2; its first output line into OUT */
static bool gpgconf(const char *arg1, const char *arg2, char *out, size_t outlen)
{
	const char *prog = gpgme_get_dirinfo("gpgconf-name");
	const char *argv[] = { "gpgconf", "--homedir", home_dir, arg1, arg2, NULL };
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t o = NULL;
	bool ok = false;
	ssize_t n;

	if (prog == NULL || home_dir == NULL || gpgme_new(&ctx) != 0 ||
	    gpgme_set_protocol(ctx, GPGME_PROTOCOL_SPAWN) != 0 || gpgme_data_new(&o) != 0)
		goto done;
	if (gpgme_op_spawn(ctx, prog, argv, NULL, o, NULL, 0) != 0)
		goto done;
	if (out != NULL) {
		gpgme_data_seek(o, 0, SEEK_SET);
		n = gpgme_data_read(o, out, outlen - 1);
		if (n <= 0)
			goto done;
		out[n] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
	}
	ok = out == NULL || out[0] != '\0';
done:
	if (o != NULL)
		gpgme_data_release(o);
	if (ctx != NULL)
		gpgme_release(ctx);
	return ok;
}

/* agent_transact - SETKEY GRIP and PKDECRYPT over the agent's socket SOCK; *OP the agent's
 * own answer */
static gpgme_error_t agent_transact(const char *sock, const char *grip, struct agent_io *io,
				    gpgme_error_t *op)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t err;
	char cmd[64];

	*op = 0;
	snprintf(cmd, sizeof(cmd), "SETKEY %.40s", grip);
	if ((err = gpgme_new(&ctx)) != 0)
		return err;
	if ((err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_ASSUAN)) == 0 &&
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_ASSUAN, sock, home_dir)) == 0 &&
	    (err = gpgme_op_assuan_transact_ext(ctx, cmd, NULL, NULL, NULL, NULL, NULL, NULL,
						op)) == 0 && *op == 0)
		err = gpgme_op_assuan_transact_ext(ctx, "PKDECRYPT", agent_data, io,
						   agent_inquire, io, NULL, NULL, op);
	gpgme_release(ctx);
	return err;
}

/* pgp_agent_pkdecrypt - the agent's PKDECRYPT of SEXP with the key GRIP */
enum pgp_status pgp_agent_pkdecrypt(const char *grip, const char *sexp, size_t slen,
				    uint8_t **value, size_t *vlen, char *why, size_t whylen)
{
	struct agent_io io = { .sexp = sexp, .slen = slen };
	char sock[1024];
	gpgme_error_t err, op = 0;

	*value = NULL;
	*vlen = 0;
	if (strlen(grip) != 40 || strspn(grip, "0123456789ABCDEFabcdef") != 40) {
		snprintf(why, whylen, "keygrip \"%.60s\" is not 40 hex digits", grip);
		return PGP_E_FORMAT;
	}
	if (!gpgconf("--list-dirs", "agent-socket", sock, sizeof(sock))) {
		snprintf(why, whylen, "gpgconf names no gpg-agent socket for the GnuPG home");
		return PGP_E_ENGINE;
	}
	err = agent_transact(sock, grip, &io, &op);
	if (err != 0 && gpg_err_source(err) != GPG_ERR_SOURCE_GPGAGENT && io.len == 0 &&
	    gpgconf("--launch", "gpg-agent", NULL, 0))
		err = agent_transact(sock, grip, &io, &op);
	if (err != 0 || op != 0 || io.too_big || io.len == 0) {
		snprintf(why, whylen, "gpg-agent PKDECRYPT: %s",
			 io.too_big ? "answer too long" : gpgme_strerror(err ? err : op ? op :
				    gpg_error(GPG_ERR_NO_DATA)));
		if (io.buf != NULL)
			OPENSSL_cleanse(io.buf, io.cap);
		free(io.buf);
		return err != 0 && op == 0 ? PGP_E_ENGINE : PGP_E_DECRYPT;
	}
	*value = io.buf;
	*vlen = io.len;
	return PGP_OK;
}

/* try_subkey - the session key of BIN's PKESK for the home's secret subkey SUB of KEY through
 * the agent, then the SEIPDv2 data opened: PGP_OK, or PGP_E_DECRYPT when no PKESK names SUB */
static enum pgp_status try_subkey(gpgme_key_t key, gpgme_subkey_t sub, const uint8_t *bin,
				  size_t binlen, const struct opgp_split *sp, uint8_t **inner,
				  size_t *ilen, struct pgp_decrypted *out, char *why,
				  size_t whylen)
{
	struct opgp_enckey k;
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	uint8_t *block = NULL, *answer = NULL, subfpr[20];
	const uint8_t *value;
	size_t blen = 0, alen = 0, vlen = 0, slen = 0;
	char *sexp = NULL;
	int version = 0;
	bool ok;
	enum opgp_status os;
	enum pgp_status st = PGP_E_DECRYPT;

	memset(&k, 0, sizeof(k));
	if (sub->fpr == NULL || strlen(sub->fpr) != 40 || !hex_to_bin(sub->fpr, subfpr))
		return PGP_E_DECRYPT;
	if (new_ctx(&ctx) != 0 || gpgme_data_new(&d) != 0 ||
	    gpgme_op_export(ctx, key->fpr, 0, d) != 0) {
		snprintf(why, whylen, "exporting the list key %s failed", key->fpr);
		st = PGP_E_ENGINE;
		goto done;
	}
	ok = take_mem(d, &block, &blen, false);
	d = NULL;			/* take_mem released it */
	if (!ok) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
		goto done;
	}
	if (opgp_enckey_from_block(block, blen, subfpr, &k, why, whylen) != OPGP_OK)
		goto done;
	if ((os = opgp_pkesk_sexp(bin, binlen, &k, &version, &sexp, &slen, why, whylen)) !=
	    OPGP_OK)
		goto done;
	if ((st = pgp_agent_pkdecrypt(sub->keygrip, sexp, slen, &answer, &alen, why, whylen)) !=
	    PGP_OK)
		goto done;
	st = PGP_E_DECRYPT;
	if (opgp_agent_value(answer, alen, &value, &vlen) != OPGP_OK) {
		snprintf(why, whylen, "gpg-agent's PKDECRYPT answer is not (value ...)");
		goto done;
	}
	if (opgp_pkesk_finish(bin, binlen, &k, value, vlen, sp->data_cipher, &out->algo,
			      out->key, &out->keylen, why, whylen) != OPGP_OK ||
	    opgp_seipd2_open(bin + sp->data_off, sp->data_len, out->key, out->keylen, inner,
			     ilen, why, whylen) != OPGP_OK)
		goto done;
	snprintf(out->recipient_keyid, sizeof(out->recipient_keyid), "%.16s",
		 sub->keyid != NULL ? sub->keyid : "");
	for (char *c = out->recipient_keyid; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	st = PGP_OK;
done:
	if (answer != NULL)
		OPENSSL_cleanse(answer, alen);
	free(answer);
	free(sexp);
	free(block);
	opgp_enckey_clear(&k);
	release_op(ctx, d, NULL);
	return st;
}

/* seipd2_open - MSG (armored or binary) when it is SEIPDv2: the home's secret encryption
 * subkeys are tried in turn; INNER gets the packets inside, OUT the session key and the
 * recipient key ID.  PGP_E_DECRYPT with WHY when it is not SEIPDv2 or no key opens it */
static enum pgp_status seipd2_open(const void *msg, size_t len, uint8_t **inner, size_t *ilen,
				   struct pgp_decrypted *out, bool *v2, char *why, size_t whylen)
{
	struct opgp_split sp;
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	uint8_t *bin = NULL;
	size_t binlen = 0;
	enum pgp_status st = PGP_E_DECRYPT;
	char first[256] = "no secret key of the list's GnuPG home is named by the post";

	*inner = NULL;
	*ilen = 0;
	*v2 = false;
	if (len > 0 && (((const uint8_t *)msg)[0] & 0x80)) {
		if ((bin = malloc(len)) == NULL)
			return PGP_E_NOMEM;
		memcpy(bin, msg, len);
		binlen = len;
	} else if (opgp_dearmor(msg, len, &bin, &binlen) != OPGP_OK) {
		snprintf(why, whylen, "not an OpenPGP message");
		return PGP_E_FORMAT;
	}
	if (opgp_split(bin, binlen, &sp, why, whylen) != OPGP_OK ||
	    sp.format != OPGP_FMT_SEIPD2) {
		free(bin);
		return PGP_E_DECRYPT;
	}
	*v2 = true;
	if (new_ctx(&ctx) != 0 || gpgme_op_keylist_start(ctx, NULL, 1) != 0) {
		snprintf(why, whylen, "listing the secret keys failed");
		st = PGP_E_ENGINE;
		goto done;
	}
	while (st == PGP_E_DECRYPT && gpgme_op_keylist_next(ctx, &key) == 0) {
		for (gpgme_subkey_t sub = key->subkeys; sub && st == PGP_E_DECRYPT;
		     sub = sub->next) {
			if (!sub->can_encrypt || sub->revoked || sub->expired ||
			    sub->keygrip == NULL)
				continue;
			st = try_subkey(key, sub, bin, binlen, &sp, inner, ilen, out, why,
					whylen);
			if (st == PGP_E_DECRYPT && strstr(why, "no PKESK") == NULL)
				snprintf(first, sizeof(first), "%s", why);
		}
		gpgme_key_unref(key);
	}
	if (st == PGP_E_DECRYPT)
		snprintf(why, whylen, "%s", first);
done:
	if (ctx != NULL)
		gpgme_release(ctx);
	OPENSSL_cleanse(bin, binlen);
	free(bin);
	return st;
}

/* seipd2_decrypt - pgp_decrypt for SEIPD version 2 (*V2 false: MSG is not): the packets
 * opened here, the poster's signature verified by gpg on them */
static enum pgp_status seipd2_decrypt(const void *msg, size_t len, struct pgp_decrypted *out,
				      bool *v2, char *why, size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, plain = NULL;
	uint8_t *inner = NULL;
	size_t ilen = 0;
	gpgme_error_t err;
	enum pgp_status st;

	if ((st = seipd2_open(msg, len, &inner, &ilen, out, v2, why, whylen)) != PGP_OK)
		return st;
	if ((err = new_ctx(&ctx)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, (const char *)inner, ilen, 0)) != 0 ||
	    (err = gpgme_data_new(&plain)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		st = PGP_E_ENGINE;
	} else if ((err = gpgme_op_verify(ctx, in, NULL, plain)) != 0) {
		snprintf(why, whylen, "the packets inside the SEIPD version 2 data: %s",
			 gpgme_strerror(err));
		st = PGP_E_DECRYPT;
	} else {
		take_sigs(ctx, out);
		if (!take_mem(plain, &out->plain, &out->plain_len, false)) {
			snprintf(why, whylen, "out of memory");
			st = PGP_E_NOMEM;
		}
		plain = NULL;
	}
	release_op(ctx, in, plain);
	OPENSSL_cleanse(inner, ilen);
	free(inner);
	return st;
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

/* fetch_keys - key listing and export, two gpg processes */
static enum pgp_status fetch_keys(const char *const *fprs, size_t n, struct pgp_key *out,
				  char *why, size_t whylen)
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
				o->expires = key->subkeys ? (time_t)key->subkeys->expires : 0;
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
					upper_fpr(o->subfpr, best->fpr);
					if (best->expires > 0 &&
					    (o->expires == 0 || (time_t)best->expires < o->expires))
						o->expires = (time_t)best->expires;
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
			if (o->state != PGP_KEY_OK || o->enc.algo != 0 || o->gpg_only)
				continue;
			if (!hex_to_bin(subfpr[hit->i], bin))
				os = OPGP_E_NOKEY;
			else
				os = opgp_enckey_from_block(p + start, end - start, bin, &o->enc, r,
							    sizeof(r));
			if (os == OPGP_E_UNSUPPORTED) {
				/* gpg can use the subkey, the re-wrap cannot: gpg encrypts */
				opgp_enckey_clear(&o->enc);
				o->gpg_only = true;
			} else if (os != OPGP_OK) {
				o->state = PGP_KEY_NOENC;
				snprintf(o->why, sizeof(o->why), "key %s: no usable encryption subkey",
					 fpr);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (out[i].state == PGP_KEY_OK && out[i].enc.algo == 0 && !out[i].gpg_only) {
			out[i].state = PGP_KEY_MISSING;
			snprintf(out[i].why, sizeof(out[i].why), "key %.40s was not exported",
				 fprs[i]);
		}
out:
	if (blob != NULL)
		gpgme_free(blob);
	release_op(ctx, data, NULL);
	free(ix);
	free(patterns);
	free(subfpr);
	return st;
}

/* ---- the key cache --------------------------------------------------------------------------
 * Answers of fetch_keys() by primary fingerprint, so that a list's second post does not run
 * gpg for keys it fetched already.  An answer is used again only while (1) the keyring files
 * of the GnuPG home (pubring.kbx, pubring.gpg, trustdb.gpg: inode, size, modification time)
 * are unchanged - an import, a refresh, a revocation or a disabled flag changes one of
 * them - (2) it is younger than CACHE_TTL, and (3) for a usable key, neither the key nor
 * the chosen subkey has expired since.  Missing keys are cached too (until the keyring
 * changes).  Guarded by cache.lock; fetching runs without the lock. */

struct cache_entry {
	char fpr[41];			/* "" = free slot */
	struct pgp_key key;		/* owned deep copy */
	time_t fetched;
};

struct keyring_sig {
	struct {
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtime;
		bool exists;
	} f[3];
};

static struct {
	pthread_mutex_t lock;
	struct keyring_sig sig;
	struct cache_entry *tab;	/* open addressing, cap a power of two */
	size_t cap, used;
	unsigned long hits, misses;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* keyring_stat - the signature of the keyring files now */
static void keyring_stat(struct keyring_sig *sig)
{
	static const char *const names[3] = { "pubring.kbx", "pubring.gpg", "trustdb.gpg" };
	memset(sig, 0, sizeof(*sig));
	for (size_t i = 0; i < 3 && home_dir != NULL; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", home_dir, names[i]);
		if (stat(path, &st) != 0)
			continue;
		sig->f[i].exists = true;
		sig->f[i].dev = st.st_dev;
		sig->f[i].ino = st.st_ino;
		sig->f[i].size = st.st_size;
		sig->f[i].mtime = st.st_mtim;
	}
}

/* sig_equal - same files, same state */
static bool sig_equal(const struct keyring_sig *a, const struct keyring_sig *b)
{
	for (size_t i = 0; i < 3; i++)
		if (a->f[i].exists != b->f[i].exists || a->f[i].dev != b->f[i].dev ||
		    a->f[i].ino != b->f[i].ino || a->f[i].size != b->f[i].size ||
		    a->f[i].mtime.tv_sec != b->f[i].mtime.tv_sec ||
		    a->f[i].mtime.tv_nsec != b->f[i].mtime.tv_nsec)
			return false;
	return true;
}

/* key_copy - deep copy of *SRC into *DST; false when out of memory (DST cleared) */
static bool key_copy(struct pgp_key *dst, const struct pgp_key *src)
{
	*dst = *src;
	dst->enc.n = NULL;
	dst->enc.e = NULL;
	if (src->enc.n != NULL && (dst->enc.n = malloc(src->enc.n_len)) == NULL)
		goto nomem;
	if (src->enc.n != NULL)
		memcpy(dst->enc.n, src->enc.n, src->enc.n_len);
	if (src->enc.e != NULL && (dst->enc.e = malloc(src->enc.e_len)) == NULL)
		goto nomem;
	if (src->enc.e != NULL)
		memcpy(dst->enc.e, src->enc.e, src->enc.e_len);
	return true;
nomem:
	pgp_key_clear(dst);
	return false;
}

/* fpr_hash - FNV-1a of a fingerprint */
static size_t fpr_hash(const char *fpr)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *fpr; fpr++)
		h = (h ^ (unsigned char)*fpr) * 1099511628211ULL;
	return (size_t)h;
}

/* cache_flush - drop every entry (lock held) */
static void cache_flush(void)
{
	for (size_t i = 0; i < cache.cap; i++)
		if (cache.tab[i].fpr[0] != '\0')
			pgp_key_clear(&cache.tab[i].key);
	free(cache.tab);
	cache.tab = NULL;
	cache.cap = cache.used = 0;
}

/* cache_slot - the slot of FPR: its entry, or the free slot where it would go (lock held,
 * cap > 0) */
static struct cache_entry *cache_slot(const char *fpr)
{
	size_t i = fpr_hash(fpr) & (cache.cap - 1);
	while (cache.tab[i].fpr[0] != '\0' && strcmp(cache.tab[i].fpr, fpr) != 0)
		i = (i + 1) & (cache.cap - 1);
	return &cache.tab[i];
}

/* cache_room - a table with room for WANT more entries (lock held); false: no memory */
static bool cache_room(size_t want)
{
	struct cache_entry *old;
	size_t oldcap, cap = 1024;
	if (cache.used + want > CACHE_MAX)
		cache_flush();
	old = cache.tab;
	oldcap = cache.cap;
	if ((cache.used + want) * 2 <= cache.cap)
		return true;
	while (cap < (cache.used + want) * 2)
		cap *= 2;
	if ((cache.tab = calloc(cap, sizeof(*cache.tab))) == NULL) {
		cache.tab = old;
		return false;
	}
	cache.cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].fpr[0] != '\0')
			*cache_slot(old[i].fpr) = old[i];
	free(old);
	return true;
}

/* cache_usable - may entry E answer at NOW */
static bool cache_usable(const struct cache_entry *e, time_t now)
{
	if (now - e->fetched >= CACHE_TTL || now < e->fetched)
		return false;
	return e->key.state != PGP_KEY_OK || e->key.expires == 0 || now < e->key.expires;
}

/* pgp_keys - cached answers where the keyring has not changed, gpg for the rest */
enum pgp_status pgp_keys(const char *const *fprs, size_t n, struct pgp_key *out,
			 size_t *cached, char *why, size_t whylen)
{
	struct keyring_sig before, after;
	size_t *miss = NULL, m = 0;
	const char **mfprs = NULL;
	struct pgp_key *fetched = NULL;
	enum pgp_status st = PGP_OK;
	time_t now = time(NULL);

	if (cached != NULL)
		*cached = 0;
	if (n == 0)
		return PGP_OK;
	if ((miss = calloc(n, sizeof(*miss))) == NULL ||
	    (mfprs = calloc(n, sizeof(*mfprs))) == NULL) {
		free(miss);
		snprintf(why, whylen, "out of memory");
		return PGP_E_NOMEM;
	}
	keyring_stat(&before);
	pthread_mutex_lock(&cache.lock);
	if (!sig_equal(&before, &cache.sig)) {
		cache_flush();
		cache.sig = before;
	}
	for (size_t i = 0; i < n; i++) {
		char fpr[41];
		struct cache_entry *e;
		upper_fpr(fpr, fprs[i]);
		e = cache.cap ? cache_slot(fpr) : NULL;
		if (e != NULL && e->fpr[0] != '\0' && cache_usable(e, now) &&
		    key_copy(&out[i], &e->key)) {
			cache.hits++;
			continue;
		}
		memset(&out[i], 0, sizeof(out[i]));
		mfprs[m] = fprs[i];
		miss[m++] = i;
	}
	cache.misses += m;
	pthread_mutex_unlock(&cache.lock);
	if (cached != NULL)
		*cached = n - m;
	if (m == 0)
		goto out;
	if ((fetched = calloc(m, sizeof(*fetched))) == NULL) {
		snprintf(why, whylen, "out of memory");
		st = PGP_E_NOMEM;
		goto out;
	}
	if ((st = fetch_keys(mfprs, m, fetched, why, whylen)) != PGP_OK)
		goto out;
	keyring_stat(&after);
	pthread_mutex_lock(&cache.lock);
	/* answers fetched while the keyring changed are used once, not kept */
	if (sig_equal(&before, &after) && sig_equal(&before, &cache.sig) && cache_room(m)) {
		for (size_t j = 0; j < m; j++) {
			char fpr[41];
			struct cache_entry *e;
			upper_fpr(fpr, mfprs[j]);
			e = cache_slot(fpr);
			if (e->fpr[0] != '\0')
				pgp_key_clear(&e->key);
			else
				cache.used++;
			memcpy(e->fpr, fpr, sizeof(e->fpr));
			/* out of memory: an entry that never answers (fetched 0) */
			e->fetched = key_copy(&e->key, &fetched[j]) ? now : 0;
		}
	}
	pthread_mutex_unlock(&cache.lock);
	for (size_t j = 0; j < m; j++) {
		out[miss[j]] = fetched[j];	/* ownership moves */
		memset(&fetched[j], 0, sizeof(fetched[j]));
	}
out:
	if (st != PGP_OK)
		for (size_t i = 0; i < n; i++)
			pgp_key_clear(&out[i]);
	for (size_t j = 0; fetched != NULL && j < m; j++)
		pgp_key_clear(&fetched[j]);
	free(fetched);
	free(miss);
	free(mfprs);
	return st;
}

/*
 * The key IDs of list keys, for pgp_key_has_subkey, which the session asks of every post: a
 * small table, one entry per primary key, each valid while the public keyring files
 * (pubring.kbx, pubring.gpg) keep the signature they had before its gpg listing and for at
 * most CACHE_TTL seconds.  trustdb.gpg is left out: trust says nothing about which subkeys a
 * key has, and gpg rewrites it during the listing itself.  A key with
 * more than SUBKEY_IDS subkeys is not kept (gpg answers each time).  Lock: subkeys.lock
 * guards the whole table; gpg runs outside it.
 */
#define SUBKEY_SLOTS 32
#define SUBKEY_IDS 16

struct subkey_entry {
	char fpr[41];			/* primary fingerprint, upper case; "" = free */
	char ids[SUBKEY_IDS][17];	/* key IDs of the primary key and its subkeys */
	size_t n;
	struct keyring_sig sig;		/* the keyring before the listing */
	time_t fetched;
};
_Static_assert(offsetof(struct subkey_entry, fpr) == 0, "table_slot needs fpr first");

static struct {
	pthread_mutex_t lock;
	struct subkey_entry e[SUBKEY_SLOTS];
	size_t next;			/* the slot a new key replaces */
	unsigned long hits, misses;
} subkeys = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* pubring_equal - the public keyring files of A and B are in the same state */
static bool pubring_equal(const struct keyring_sig *a, const struct keyring_sig *b)
{
	struct keyring_sig x = *a, y = *b;

	memset(&x.f[2], 0, sizeof(x.f[2]));
	memset(&y.f[2], 0, sizeof(y.f[2]));
	return sig_equal(&x, &y);
}

/* subkey_cached - the cached answer for FPR and KEYID under SIG: 1 yes, 0 no, -1 unknown */
static int subkey_cached(const char *fpr, const char *keyid, const struct keyring_sig *sig,
			 time_t now)
{
	int ans = -1;

	pthread_mutex_lock(&subkeys.lock);
	for (size_t i = 0; i < SUBKEY_SLOTS && ans < 0; i++) {
		const struct subkey_entry *e = &subkeys.e[i];
		if (strcmp(e->fpr, fpr) != 0 || !pubring_equal(&e->sig, sig) ||
		    now < e->fetched || now - e->fetched >= CACHE_TTL)
			continue;
		ans = 0;
		for (size_t k = 0; k < e->n && ans == 0; k++)
			ans = strcasecmp(e->ids[k], keyid) == 0;
	}
	if (ans < 0)
		subkeys.misses++;
	else
		subkeys.hits++;
	pthread_mutex_unlock(&subkeys.lock);
	return ans;
}

/* table_slot - the slot of FPR among N entries of SIZE octets at TAB (each opening with its
 * fpr[41]), or the one *NEXT names, which then moves on (the caller holds the table's lock) */
static void *table_slot(void *tab, size_t n, size_t size, size_t *next, const char *fpr)
{
	char *e = tab;

	for (size_t i = 0; i < n; i++)
		if (strcmp(e + i * size, fpr) == 0)
			return e + i * size;
	e += *next * size;
	*next = (*next + 1) % n;
	return e;
}

/* subkey_store - remember KEY's key IDs under FPR and SIG (keys with too many are not kept) */
static void subkey_store(const char *fpr, gpgme_key_t key, const struct keyring_sig *sig,
			 time_t now)
{
	struct subkey_entry n = { .sig = *sig, .fetched = now };
	struct subkey_entry *slot;

	snprintf(n.fpr, sizeof(n.fpr), "%s", fpr);
	for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next) {
		if (n.n == SUBKEY_IDS || s->keyid == NULL || strlen(s->keyid) != 16)
			return;
		memcpy(n.ids[n.n++], s->keyid, 17);
	}
	pthread_mutex_lock(&subkeys.lock);
	slot = table_slot(subkeys.e, SUBKEY_SLOTS, sizeof(subkeys.e[0]), &subkeys.next, fpr);
	*slot = n;
	pthread_mutex_unlock(&subkeys.lock);
}

/* pgp_key_has_subkey - does the key KEYID belong to PRIMARY_FPR (cached, see above) */
bool pgp_key_has_subkey(const char *primary_fpr, const char *keyid)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	struct keyring_sig sig;
	char fpr[41];
	time_t now = time(NULL);
	bool found = false, cacheable;
	int c;

	if (keyid == NULL || strlen(keyid) != 16 || primary_fpr == NULL)
		return false;
	/* v4 fingerprints are cached; anything else asks gpg each time */
	if ((cacheable = strlen(primary_fpr) == 40)) {
		upper_fpr(fpr, primary_fpr);
		keyring_stat(&sig);
		if ((c = subkey_cached(fpr, keyid, &sig, now)) >= 0)
			return c == 1;
	}
	if (new_ctx(&ctx) != 0)
		return false;
	if (gpgme_get_key(ctx, primary_fpr, &key, 0) == 0 && key != NULL) {
		for (gpgme_subkey_t s = key->subkeys; s && !found; s = s->next)
			found = s->keyid != NULL && strcasecmp(s->keyid, keyid) == 0;
		if (cacheable)
			subkey_store(fpr, key, &sig, now);
	}
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return found;
}

/*
 * Single certificates as pgp_export_certs exports them, for pgp_export_cert (the list key in
 * the Autocrypt field of every rewritten copy): a small table, one entry per fingerprint,
 * each valid while the public keyring files keep the signature they had before the export
 * and for at most CACHE_TTL seconds.  Lock: certs.lock guards the table; gpg runs outside
 * it; an entry's octets are copied out under the lock.
 */
#define CERT_SLOTS 16
#define CERT_MAX 65536			/* larger certificates are not kept */

struct cert_entry {
	char fpr[41];			/* upper case; "" = free */
	uint8_t *data;			/* owned */
	size_t len;
	struct keyring_sig sig;
	time_t fetched;
};
_Static_assert(offsetof(struct cert_entry, fpr) == 0, "table_slot needs fpr first");

static struct {
	pthread_mutex_t lock;
	struct cert_entry e[CERT_SLOTS];
	size_t next;
	unsigned long hits, misses;
} certs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* cert_cached - a copy of FPR's cached certificate under SIG into *OUT; false: not cached */
static bool cert_cached(const char *fpr, const struct keyring_sig *sig, time_t now,
			uint8_t **out, size_t *len)
{
	bool found = false;

	pthread_mutex_lock(&certs.lock);
	for (size_t i = 0; i < CERT_SLOTS && !found; i++) {
		const struct cert_entry *e = &certs.e[i];
		if (strcmp(e->fpr, fpr) != 0 || !pubring_equal(&e->sig, sig) ||
		    now < e->fetched || now - e->fetched >= CACHE_TTL)
			continue;
		if ((*out = malloc(e->len)) != NULL) {
			memcpy(*out, e->data, e->len);
			*len = e->len;
			found = true;
		}
		break;
	}
	if (found)
		certs.hits++;
	else
		certs.misses++;
	pthread_mutex_unlock(&certs.lock);
	return found;
}

/* cert_store - keep a copy of FPR's certificate DATA (LEN octets) exported under SIG */
static void cert_store(const char *fpr, const uint8_t *data, size_t len,
		       const struct keyring_sig *sig, time_t now)
{
	struct cert_entry *slot;
	uint8_t *copy;

	if (len == 0 || len > CERT_MAX || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, data, len);
	pthread_mutex_lock(&certs.lock);
	slot = table_slot(certs.e, CERT_SLOTS, sizeof(certs.e[0]), &certs.next, fpr);
	free(slot->data);
	*slot = (struct cert_entry){ .data = copy, .len = len, .sig = *sig, .fetched = now };
	snprintf(slot->fpr, sizeof(slot->fpr), "%s", fpr);
	pthread_mutex_unlock(&certs.lock);
}

/* pgp_export_cert - one certificate, cached (see above) */
enum pgp_status pgp_export_cert(const char *fpr, uint8_t **out, size_t *outlen, char *why,
				size_t whylen)
{
	struct keyring_sig sig;
	char ufpr[41];
	time_t now = time(NULL);
	enum pgp_status st;

	*out = NULL;
	*outlen = 0;
	if (fpr == NULL) {
		snprintf(why, whylen, "no fingerprint");
		return PGP_E_FORMAT;
	}
	if (strlen(fpr) != 40)
		return pgp_export_certs(&fpr, 1, out, outlen, why, whylen);
	upper_fpr(ufpr, fpr);
	keyring_stat(&sig);
	if (cert_cached(ufpr, &sig, now, out, outlen))
		return PGP_OK;
	st = pgp_export_certs(&fpr, 1, out, outlen, why, whylen);
	if (st == PGP_OK)
		cert_store(ufpr, *out, *outlen, &sig, now);
	return st;
}

/* pgp_cert_cache_stats - pgp_export_cert answers from the table and from gpg */
void pgp_cert_cache_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&certs.lock);
	*hits = certs.hits;
	*misses = certs.misses;
	pthread_mutex_unlock(&certs.lock);
}

/* pgp_subkey_cache_stats - answers of pgp_key_has_subkey from the table and from gpg */
void pgp_subkey_cache_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&subkeys.lock);
	*hits = subkeys.hits;
	*misses = subkeys.misses;
	pthread_mutex_unlock(&subkeys.lock);
}

/* pgp_keys_cache_stats - answers from the cache and from gpg so far */
void pgp_keys_cache_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&cache.lock);
	*hits = cache.hits;
	*misses = cache.misses;
	pthread_mutex_unlock(&cache.lock);
}

/* pgp_keys_cache_clear - forget every cached key (at exit, and for tests) */
void pgp_keys_cache_clear(void)
{
	pthread_mutex_lock(&cache.lock);
	cache_flush();
	memset(&cache.sig, 0, sizeof(cache.sig));
	pthread_mutex_unlock(&cache.lock);
	pthread_mutex_lock(&subkeys.lock);
	memset(subkeys.e, 0, sizeof(subkeys.e));
	subkeys.next = 0;
	pthread_mutex_unlock(&subkeys.lock);
	pthread_mutex_lock(&certs.lock);
	for (size_t i = 0; i < CERT_SLOTS; i++)
		free(certs.e[i].data);
	memset(certs.e, 0, sizeof(certs.e));
	certs.next = 0;
	pthread_mutex_unlock(&certs.lock);
}

/* pgp_global_end - the cache and the home */
void pgp_global_end(void)
{
	pgp_keys_cache_clear();
	free(home_dir);
	home_dir = NULL;
}
