/*
 * milter/lists/lists.c - encrypted list posts in the SMTP session: recognise, collect, check,
 * commit, hand over.  Contract: see lists.h.
 */
#include "build-config.h"
#include "lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdint.h>

#include "keyhand.h"
#include "listpost.h"
#include "listpost-int.h"
#include "log.h"
#include "openpgp.h"
#include "pgp.h"
#include "plainwrap.h"
#include "rosterlist.h"
#include "smime.h"
#include "snapshot.h"

static struct pool *the_pool;		/* set before smfi_main, read-only after */
static struct spool *the_spool;

/* lists_set_pool - before smfi_main */
void lists_set_pool(struct pool *p, struct spool *s)
{
	the_pool = p;
	the_spool = s;
}

/* reply - set the SMTP reply, log it, return REJECT or TEMPFAIL by the code's class */
static sfsistat reply(SMFICTX *ctx, const char *qid, const char *list, const char *code,
		      const char *xcode, const char *text)
{
	pwlog_qid(code[0] == '5' ? LOG_NOTICE : LOG_WARNING, qid, "list %s: %s %s %s", list,
		  code, xcode, text);
	smfi_setreply(ctx, (char *)code, (char *)xcode, (char *)text);
	return code[0] == '5' ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/* lists_rcpt - is ARG a list or one of its role addresses */
sfsistat lists_rcpt(SMFICTX *ctx, struct lists_msg *lm, const struct pw_snapshot *snap,
		    const char *qid, const char *arg, bool *ours)
{
	enum pw_list_role role = PW_ROLE_POST;
	char *verp = NULL;
	const struct pw_list *l = snap->lists.n ?
				  pw_lists_find_role(&snap->lists, arg, &role, &verp) : NULL;
	if (ours != NULL)
		*ours = l != NULL;
	if (l == NULL) {
		lm->n_other++;
		return SMFIS_CONTINUE;
	}
	if (the_pool == NULL) {
		free(verp);
		pwlog_qid(LOG_ERR, qid, "list %s: lists were not configured when postward started "
			  "(list_directory); restart postward to run them", l->address);
		smfi_setreply(ctx, "451", "4.3.0", "Mailing list temporarily unavailable");
		return SMFIS_TEMPFAIL;
	}
	if (lm->list != NULL && (lm->list != l || lm->role != role)) {
		free(verp);
		pwlog_qid(LOG_INFO, qid, "list %s: a message goes to one list address at a time; "
			  "%s deferred: 452 4.5.3", l->address, arg);
		smfi_setreply(ctx, "452", "4.5.3", "One mailing list address per message, please");
		return SMFIS_TEMPFAIL;
	}
	if (lm->list == NULL) {
		if ((lm->rcpt = strdup(arg)) == NULL) {
			free(verp);
			smfi_setreply(ctx, "451", "4.3.0", "postward: temporary internal error");
			return SMFIS_TEMPFAIL;
		}
		lm->list = l;
		lm->role = role;
		lm->verp = verp;
		if (role != PW_ROLE_POST)
			pwlog_qid(LOG_DEBUG, qid, "list %s: %s is its %s address", l->address, arg,
				  pw_list_role_name(role));
	} else {
		free(verp);	/* the same address twice: the first one counts */
	}
	return SMFIS_CONTINUE;
}

/* add - append to the post, watching list_max_post_size */
static void add(struct lists_msg *lm, const struct pw_snapshot *snap, const void *p, size_t n)
{
	if (lm->list == NULL || lm->too_big)
		return;
	if (lm->len + n > snap->cfg.list_max_post_size) {
		lm->too_big = true;
		free(lm->post);
		lm->post = NULL;
		lm->len = lm->cap = 0;
		return;
	}
	if (lm->len + n + 1 > lm->cap) {
		size_t nc = lm->cap ? lm->cap : 16384;
		char *np;
		while (nc < lm->len + n + 1)
			nc *= 2;
		if ((np = realloc(lm->post, nc)) == NULL) {
			lm->too_big = lm->oom = true;	/* nothing half-kept; 451 at the end */
			free(lm->post);
			lm->post = NULL;
			lm->len = lm->cap = 0;
			return;
		}
		lm->post = np;
		lm->cap = nc;
	}
	memcpy(lm->post + lm->len, p, n);
	lm->len += n;
	lm->post[lm->len] = '\0';
}

/* lists_header - "Name:value CRLF", with the space after the colon the MTA may have eaten */
void lists_header(struct lists_msg *lm, const struct pw_snapshot *snap, const char *name,
		  const char *value)
{
	if (lm->list == NULL)
		return;
	add(lm, snap, name, strlen(name));
	add(lm, snap, lm->leadspc ? ":" : ": ", lm->leadspc ? 1 : 2);
	add(lm, snap, value, strlen(value));
	add(lm, snap, "\r\n", 2);
}

/* lists_eoh - the blank line */
void lists_eoh(struct lists_msg *lm, const struct pw_snapshot *snap)
{
	add(lm, snap, "\r\n", 2);
}

/* lists_body - a chunk */
void lists_body(struct lists_msg *lm, const struct pw_snapshot *snap, const void *chunk,
		size_t len)
{
	add(lm, snap, chunk, len);
}

/* bare - an envelope address without angle brackets */
static void bare(const char *s, char *out, size_t len)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
}

/* signer_allowed - a good signature by an allowed poster among D's */
static bool signer_allowed(const struct pw_list *l, const struct pgp_decrypted *d, char *who,
			   size_t len)
{
	snprintf(who, len, "%s", d->n_sigs ? "" : "no signature");
	for (size_t i = 0; i < d->n_sigs; i++) {
		const struct pgp_sig *s = &d->sigs[i];
		if (!s->good) {
			snprintf(who, len, "signature by %s: %s", s->fpr[0] ? s->fpr : "an unknown key",
				 s->why);
			continue;
		}
		switch (l->posters) {
		case PW_LIST_POSTERS_ANYONE:
			snprintf(who, len, "%s", s->fpr);
			return true;
		case PW_LIST_POSTERS_SUBSCRIBERS:
			for (size_t k = 0; k < l->n_subs; k++)
				if (strcmp(l->subs[k].fpr, s->fpr) == 0) {
					snprintf(who, len, "%s (%s)", s->fpr, l->subs[k].addr);
					return true;
				}
			break;
		case PW_LIST_POSTERS_LISTED:
			for (size_t e = 0; e < s->n_emails; e++)
				if (pw_list_may_post(l, s->emails[e])) {
					snprintf(who, len, "%s (%s)", s->fpr, s->emails[e]);
					return true;
				}
			break;
		}
		snprintf(who, len, "signature by %s, who may not post", s->fpr);
	}
	return false;
}

/* what a message to a list address must be, besides encrypted to the list's key */
enum check_mode {
	CHECK_POST,			/* a post: the list's poster rules */
	CHECK_OWNER,			/* to the owners: anybody */
	CHECK_REQUEST,			/* a command: a good signature by a subscriber's key */
};

/* check_openpgp - decrypt and check the signer; 0 or a reply set (REJECT) */
static sfsistat check_openpgp(SMFICTX *ctx, const struct pw_list *l, const struct listpost *lp,
			      const char *qid, const char *sender, enum check_mode mode, bool *ok,
			      struct keyhand_secret *ks)
{
	struct pgp_decrypted d;
	struct opgp_split sp;
	uint8_t *bin = NULL;
	size_t binlen;
	char why[256], who[300];
	enum pgp_status st;
	sfsistat r = SMFIS_CONTINUE;

	*ok = false;
	if (opgp_dearmor((const char *)lp->payload, lp->payload_len, &bin, &binlen) != OPGP_OK ||
	    opgp_split(bin, binlen, &sp, why, sizeof(why)) != OPGP_OK) {
		free(bin);
		return reply(ctx, qid, l->address, "550", "5.6.0",
			     "Malformed OpenPGP data in the post");
	}
	free(bin);
	if (sp.format == OPGP_FMT_SED)
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "OpenPGP posts must be integrity-protected (no tag 9 data)");
	if ((st = pgp_decrypt(lp->payload, lp->payload_len, &d, why, sizeof(why))) != PGP_OK) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: post does not decrypt: %s", l->address, why);
		if (st == PGP_E_ENGINE || st == PGP_E_NOMEM)
			return reply(ctx, qid, l->address, "451", "4.3.0",
				     "Cannot check the post now, try again later");
		/* AEAD data the list's GnuPG cannot open (GnuPG 2.2 opens tag 20 where its
		 * build has AEAD; SEIPD version 2 is opened through the list key's agent by
		 * pgp_decrypt, so its failures are the key's): name the format, not the key */
		if (sp.format == OPGP_FMT_AEAD_OCB) {
			char text[200];
			pwlog_qid(LOG_NOTICE, qid, "list %s: post uses %s, which the list's GnuPG "
				  "cannot decrypt", l->address, opgp_format_name(sp.format));
			snprintf(text, sizeof(text), "This list cannot decrypt %s; encrypt posts "
				 "with SEIPD version 1 (integrity-protected, no AEAD)",
				 opgp_format_name(sp.format));
			return reply(ctx, qid, l->address, "550", "5.6.0", text);
		}
		if (sp.format == OPGP_FMT_SEIPD2)
			return reply(ctx, qid, l->address, "550", "5.7.1",
				     "The post's SEIPD version 2 data does not open with this "
				     "list's key (not encrypted to it, or altered)");
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "The post is not encrypted to this list's key");
	}
	/* every list's key is in the one GnuPG home: the key that opened it must be this
	 * list's, not another list's */
	if (!pgp_key_has_subkey(l->openpgp_fpr, d.recipient_keyid)) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: post decrypted with key %s, which is not the "
			  "list's key %s", l->address, d.recipient_keyid[0] ? d.recipient_keyid : "?",
			  l->openpgp_fpr);
		pgp_decrypted_clear(&d);
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "The post is not encrypted to this list's key");
	}
	if (lp->kind == LISTPOST_PGPINLINE && lp->why[0])
		pwlog_qid(LOG_INFO, qid, "list %s: inline post: %s", l->address, lp->why);
	if (mode == CHECK_OWNER) {
		*ok = true;
	} else if (mode == CHECK_REQUEST) {
		struct pw_list subs_only = *l;
		subs_only.posters = PW_LIST_POSTERS_SUBSCRIBERS;
		if (!signer_allowed(&subs_only, &d, who, sizeof(who))) {
			pwlog_qid(LOG_NOTICE, qid, "list %s: command: %s", l->address, who);
			r = reply(ctx, qid, l->address, "550", "5.7.1",
				  "Commands to this list must be signed by a subscriber's key");
		} else {
			pwlog_qid(LOG_INFO, qid, "list %s: command signed by %s", l->address, who);
			*ok = true;
		}
	} else if (l->require_signature) {
		if (!signer_allowed(l, &d, who, sizeof(who))) {
			pwlog_qid(LOG_NOTICE, qid, "list %s: %s", l->address, who);
			r = reply(ctx, qid, l->address, "550", "5.7.1",
				  "Posts to this list must be signed by an allowed poster");
		} else {
			pwlog_qid(LOG_INFO, qid, "list %s: signed by %s", l->address, who);
			*ok = true;
		}
	} else if (!pw_list_may_post(l, sender)) {
		r = reply(ctx, qid, l->address, "550", "5.7.1", "You may not post to this list");
	} else {
		*ok = true;
	}
	if (*ok && ks != NULL) {	/* for the worker, in memory only (keyhand.h) */
		ks->algo = d.algo;
		memcpy(ks->key, d.key, sizeof(ks->key));
		ks->keylen = d.keylen;
		ks->plain_len = d.plain_len;
	}
	pgp_decrypted_clear(&d);
	return r;
}

/* check_roster - a post to a list that publishes its roster, judged by its PKESKs alone: one
 * encrypted to every subscriber's roster key and no one else's is accepted without being
 * decrypted (*OK; its signature is for the subscribers' clients to check: the list checks
 * the envelope sender against its posters); one that misses subscribers is refused unless it
 * is encrypted to the list's key too and roster_incomplete is rewrap (then 0 and !*OK: the
 * usual checks); one addressed to anybody else is refused.  A roster or post that cannot be
 * read: 0 and !*OK, the usual checks */
static sfsistat check_roster(SMFICTX *ctx, const struct pw_list *l, const struct listpost *lp,
			     const struct pw_snapshot *snap, const char *qid, const char *sender,
			     bool *ok)
{
	const char **members = calloc(l->n_subs + 1, sizeof(*members));
	struct rosterlist_judged j;
	char why[300], text[300];
	sfsistat r = SMFIS_CONTINUE;

	*ok = false;
	if (members == NULL)
		return reply(ctx, qid, l->address, "451", "4.3.0", "postward: temporary internal error");
	for (size_t i = 0; i < l->n_subs; i++)
		members[i] = l->subs[i].addr;
	if (!rosterlist_judge(spool_dir(the_spool), snap->cfg.gnupg_home, l, members, l->n_subs,
			      lp->payload, lp->payload_len, &j, why, sizeof(why))) {
		pwlog_qid(LOG_INFO, qid, "list %s: roster check not possible (%s): the usual checks",
			  l->address, why);
		free(members);
		return SMFIS_CONTINUE;
	}
	free(members);
	pwlog_qid(LOG_INFO, qid, "list %s: roster verdict %s: %zu of %zu subscriber(s) covered, "
		  "%zu missing, %zu PKESK(s) for the list, %zu for others", l->address,
		  roster_verdict_name(j.rp.verdict), j.rp.n_covered, j.rp.n_members, j.rp.n_missing,
		  j.rp.n_list, j.rp.n_outsider + j.rp.n_anonymous + j.rp.n_skesk);
	switch (j.rp.verdict) {
	case ROSTER_DELIVER:
		if (!pw_list_may_post(l, sender)) {
			r = reply(ctx, qid, l->address, "550", "5.7.1", "You may not post to this list");
			break;
		}
		pwlog_qid(LOG_INFO, qid, "list %s: roster post, encrypted to every subscriber: not "
			  "decrypted", l->address);
		*ok = true;
		break;
	case ROSTER_REWRAP:
		if (l->roster_incomplete == PW_LIST_ROSTER_REWRAP)
			break;	/* the usual checks: it opens with the list's key */
		/* FALLTHROUGH */
	case ROSTER_MISSING:
		snprintf(text, sizeof(text), "The post is not encrypted to %zu of the list's %zu "
			 "subscriber keys; get the current roster from the list's sendkey address",
			 j.rp.n_missing, j.rp.n_members);
		r = reply(ctx, qid, l->address, "550", "5.7.1", text);
		break;
	case ROSTER_OUTSIDER:
	default:
		r = reply(ctx, qid, l->address, "550", "5.7.1",
			  "The post is encrypted to keys that are not this list's subscribers'");
		break;
	}
	rosterlist_judged_clear(&j);
	return r;
}

/* load_pem_cert - a certificate file, or NULL */
static X509 *load_pem_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

/* smime_signer_allowed - the decrypted CONTENT is an S/MIME signed entity (multipart/signed
 * or signed-data) with a good signature by an allowed poster: posters subscribers: the
 * signer's certificate is the one listed for the subscriber its e-mail address names;
 * listed: one of its e-mail addresses is a listed poster; anyone: any good signature.  The
 * certificate chain is not checked: the list file pins the certificates */
static bool smime_signer_allowed(const struct pw_list *l, const uint8_t *content, size_t len,
				 char *who, size_t wlen)
{
	BIO *in = BIO_new_mem_buf(content, (int)len), *data = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL;
	bool ok = false;

	snprintf(who, wlen, "no S/MIME signature");
	if (in == NULL || len > INT32_MAX || (cms = SMIME_read_CMS(in, &data)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto out;
	if (CMS_verify(cms, NULL, NULL, data, NULL, CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		snprintf(who, wlen, "the S/MIME signature does not verify");
		goto out;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL || sk_X509_num(signers) < 1)
		goto out;
	snprintf(who, wlen, "S/MIME signature by a certificate that may not post");
	for (int i = 0; i < sk_X509_num(signers) && !ok; i++) {
		X509 *sig = sk_X509_value(signers, i);
		STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(sig);
		if (l->posters == PW_LIST_POSTERS_ANYONE) {
			snprintf(who, wlen, "%s", emails && sk_OPENSSL_STRING_num(emails) ?
				 sk_OPENSSL_STRING_value(emails, 0) : "an S/MIME certificate");
			ok = true;
		}
		for (int e = 0; !ok && emails && e < sk_OPENSSL_STRING_num(emails); e++) {
			const char *addr = sk_OPENSSL_STRING_value(emails, e);
			if (l->posters == PW_LIST_POSTERS_LISTED) {
				if (pw_list_may_post(l, addr)) {
					snprintf(who, wlen, "%s", addr);
					ok = true;
				}
			} else {
				const struct pw_list_sub *s = pw_list_find_sub(l, addr);
				X509 *pinned = s && s->smime_cert ? load_pem_cert(s->smime_cert) : NULL;
				if (pinned != NULL && X509_cmp(pinned, sig) == 0) {
					snprintf(who, wlen, "%s", addr);
					ok = true;
				}
				X509_free(pinned);
			}
		}
		X509_email_free(emails);
	}
out:
	sk_X509_free(signers);
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	BIO_free(in);
	ERR_clear_error();
	return ok;
}

/* check_smime - open the post with the list's key, check the signer; 0 or a reply set */
static sfsistat check_smime(SMFICTX *ctx, const struct pw_list *l, const struct listpost *lp,
			    const char *qid, const char *sender, bool *ok)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct smime_post *sp = NULL;
	uint8_t *content = NULL;
	size_t clen = 0;
	char why[256], who[300], inner[96];
	enum smime_status st;
	sfsistat r = SMFIS_CONTINUE;

	*ok = false;
	if (l->smime_cert == NULL)
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "This list takes OpenPGP posts only");
	cert = load_pem_cert(l->smime_cert);
	key = smime_read_key(l->smime_key);	/* read and wiped in a buffer of its own */
	if (cert == NULL || key == NULL) {
		X509_free(cert);
		EVP_PKEY_free(key);
		pwlog_qid(LOG_ERR, qid, "list %s: cannot read %s or %s", l->address, l->smime_cert,
			  l->smime_key);
		return reply(ctx, qid, l->address, "451", "4.3.0",
			     "Mailing list temporarily unavailable");
	}
	st = smime_open(lp->payload, lp->payload_len, key, cert, &sp, &content, &clen, inner,
			sizeof(inner), why, sizeof(why));
	smime_post_free(sp);
	EVP_PKEY_free(key);
	X509_free(cert);
	if (st == SMIME_E_NOMEM)
		return reply(ctx, qid, l->address, "451", "4.3.0", "Try again later");
	if (st == SMIME_E_FORMAT) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: %s", l->address, why);
		return reply(ctx, qid, l->address, "550", "5.6.0", "Malformed S/MIME data in the post");
	}
	if (st == SMIME_E_UNSUPPORTED) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: %s", l->address, why);
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "S/MIME posts to this list must be enveloped-data with "
			     SMIME_CONTENT_CIPHERS " or authEnveloped-data with "
			     SMIME_AUTH_CIPHERS);
	}
	if (st != SMIME_OK) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: %s", l->address, why);
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "The post is not encrypted to this list's certificate");
	}
	if (l->require_signature && strcmp(inner, SMIME_OID_DATA) != 0) {
		/* enveloped-x400 (RFC 3854) or other non-MIME content: no S/MIME signature in it
		 * that the list could check */
		pwlog_qid(LOG_NOTICE, qid, "list %s: encrypted content type %s is not MIME (id-data, "
			  "%s): the poster's signature cannot be checked", l->address, inner,
			  SMIME_OID_DATA);
		r = reply(ctx, qid, l->address, "550", "5.7.1",
			  "This list checks the poster's signature and takes S/MIME posts with MIME "
			  "content only, not enveloped-x400");
	} else if (l->require_signature) {
		if (!smime_signer_allowed(l, content, clen, who, sizeof(who))) {
			pwlog_qid(LOG_NOTICE, qid, "list %s: %s", l->address, who);
			r = reply(ctx, qid, l->address, "550", "5.7.1",
				  "Posts to this list must be signed by an allowed poster");
		} else {
			pwlog_qid(LOG_INFO, qid, "list %s: S/MIME signed by %s", l->address, who);
			*ok = true;
		}
	} else if (!pw_list_may_post(l, sender)) {
		r = reply(ctx, qid, l->address, "550", "5.7.1", "You may not post to this list");
	} else {
		*ok = true;
	}
	if (content != NULL) {
		OPENSSL_cleanse(content, clen);
		free(content);
	}
	return r;
}

/* commit - spool MSG (LEN octets) for RCPTS and queue it, ROLE's job; 0 or a reply set */
static sfsistat commit(SMFICTX *ctx, struct lists_msg *lm, const char *qid, const char *sender,
		       bool requiretls, const char *const *rcpts, size_t n, const char *msg,
		       size_t len, const struct keyhand_secret *ks)
{
	const struct pw_list *l = lm->list;
	struct spool_job j;
	char why[256], poster[320];
	enum spool_status st;

	if (!pool_reserve(the_pool))
		return reply(ctx, qid, l->address, "451", "4.3.1",
			     "Mailing list queue full, try again later");
	memset(&j, 0, sizeof(j));
	j.done_fd = -1;
	bare(sender, poster, sizeof(poster));
	j.list = (char *)l->address;
	j.poster = poster;
	j.qid = (char *)(qid && *qid ? qid : "NOQUEUE");
	j.requiretls = requiretls && l->inherit_requiretls;
	j.role = lm->role == PW_ROLE_POST ? NULL : (char *)pw_list_role_name(lm->role);
	j.verp = lm->verp;
	j.rcpts = (char **)rcpts;
	j.n_rcpts = n;
	st = spool_commit(the_spool, &j, msg, len, why, sizeof(why));
	if (st != SPOOL_OK) {
		pool_cancel(the_pool);
		pwlog_qid(LOG_ERR, qid, "list %s: spool: %s", l->address, why);
		return reply(ctx, qid, l->address, "451", "4.3.0",
			     "Mailing list temporarily unavailable");
	}
	/* the session key to the worker, before it can take the job (keyhand.h) */
	if (ks != NULL && ks->keylen > 0 && !keyhand_put(j.id, ks, time(NULL)))
		pwlog_qid(LOG_INFO, qid, "list %s: the session key of %s is not kept in memory "
			  "(too many posts waiting): the worker decrypts the post again",
			  l->address, j.id);
	pool_submit(the_pool, j.id);
	if (lm->role == PW_ROLE_POST)
		pwlog_qid(LOG_INFO, qid, "list %s: post from <%s> accepted as %s for %zu "
			  "subscriber(s)%s", l->address, poster, j.id, n,
			  j.requiretls ? ", REQUIRETLS" : "");
	else
		pwlog_qid(LOG_INFO, qid, "list %s: message to its %s address from <%s> accepted "
			  "as %s", l->address, pw_list_role_name(lm->role), poster, j.id);
	return SMFIS_CONTINUE;
}

/* commit_post - a post (MSG, LEN octets) for every subscriber */
static sfsistat commit_post(SMFICTX *ctx, struct lists_msg *lm, const char *qid,
			    const char *sender, bool requiretls, const char *msg, size_t len,
			    const struct keyhand_secret *ks)
{
	const struct pw_list *l = lm->list;
	const char **rcpts = calloc(l->n_subs ? l->n_subs : 1, sizeof(*rcpts));
	sfsistat r;

	if (rcpts == NULL)
		return reply(ctx, qid, l->address, "451", "4.3.0", "postward: temporary internal error");
	for (size_t i = 0; i < l->n_subs; i++)
		rcpts[i] = l->subs[i].addr;
	r = commit(ctx, lm, qid, sender, requiretls, rcpts, l->n_subs, msg, len, ks);
	free(rcpts);
	return r;
}

/* keyed_owners - who gets an owner message encrypted: the list's admins and the owner
 * address when it is a subscriber, each with an OpenPGP key, each once; into OUT (L->n_subs
 * + 1 entries), the count returned */
static size_t keyed_owners(const struct pw_list *l, const char **out)
{
	const struct pw_list_sub *o = pw_list_find_sub(l, l->owner);
	size_t n = 0;

	if (o != NULL && o->fpr[0])
		out[n++] = o->addr;
	for (size_t i = 0; i < l->n_subs; i++)
		if (l->subs[i].admin && l->subs[i].fpr[0] && &l->subs[i] != o)
			out[n++] = l->subs[i].addr;
	return n;
}

/* wrap_for_list - the plain message LM as a PGP/MIME message to the list's own key
 * (plainwrap.h) in *ENC (malloc'd; the caller cleanses and frees it); 0 or a reply set */
static sfsistat wrap_for_list(SMFICTX *ctx, struct lists_msg *lm, const char *qid, char **enc,
			      size_t *elen)
{
	const struct pw_list *l = lm->list;
	const char *fpr = l->openpgp_fpr;
	struct pgp_key k;
	char why[256];
	enum plainwrap_status ps = PLAINWRAP_E_CRYPTO;

	memset(&k, 0, sizeof(k));
	if (pgp_keys(&fpr, 1, &k, NULL, why, sizeof(why)) != PGP_OK) {
		pwlog_qid(LOG_ERR, qid, "list %s: list key lookup: %s", l->address, why);
	} else if (k.state != PGP_KEY_OK || k.gpg_only) {
		pwlog_qid(LOG_ERR, qid, "list %s: the list's key %s cannot be used to encrypt a "
			  "plain message (%s)", l->address, fpr,
			  k.state != PGP_KEY_OK ? k.why : "its encryption subkey needs gpg");
	} else {
		ps = plainwrap(lm->post, lm->len, &k.enc, time(NULL), enc, elen, why, sizeof(why));
	}
	pgp_key_clear(&k);
	if (ps == PLAINWRAP_OK)
		return SMFIS_CONTINUE;
	if (ps == PLAINWRAP_E_FORMAT) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: plain message: %s", l->address, why);
		return reply(ctx, qid, l->address, "550", "5.6.0", "Malformed message header");
	}
	return reply(ctx, qid, l->address, "451", "4.3.0", "Mailing list temporarily unavailable");
}

/* eom_owner - mail to the owners: encrypted to those with keys, else forwarded as it came */
static sfsistat eom_owner(SMFICTX *ctx, struct lists_msg *lm, const char *qid,
			  const char *sender, bool requiretls, const struct listpost *lp)
{
	const struct pw_list *l = lm->list;
	const char **owners = calloc(l->n_subs + 1, sizeof(*owners));
	size_t n = owners ? keyed_owners(l, owners) : 0;
	sfsistat r = SMFIS_CONTINUE;
	bool ok = false;

	if (owners == NULL)
		return reply(ctx, qid, l->address, "451", "4.3.0", "postward: temporary internal error");
	if (n == 0 || l->openpgp_fpr[0] == '\0') {
		/* nobody to encrypt to: the owner gets the message as it came, like an alias */
		const char *to = l->owner;
		pwlog_qid(LOG_INFO, qid, "list %s: no owner has an OpenPGP key in the list: the "
			  "message to its owner address goes to <%s> as it came", l->address, to);
		r = commit(ctx, lm, qid, sender, requiretls, &to, 1, lm->post, lm->len, NULL);
	} else if (lp->kind == LISTPOST_PGPMIME || lp->kind == LISTPOST_PGPINLINE) {
		struct keyhand_secret ks;
		memset(&ks, 0, sizeof(ks));
		r = check_openpgp(ctx, l, lp, qid, sender, CHECK_OWNER, &ok, &ks);
		if (ok)
			r = commit(ctx, lm, qid, sender, requiretls, owners, n, lm->post, lm->len,
				   &ks);
		OPENSSL_cleanse(&ks, sizeof(ks));
	} else if (lp->kind == LISTPOST_BAD) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: malformed message to the owners: %s",
			  l->address, lp->why);
		r = reply(ctx, qid, l->address, "550", "5.6.0", "Malformed MIME structure");
	} else {
		/* plain (or S/MIME, which the owners' OpenPGP keys cannot take as it is):
		 * encrypted to the list's key here, so the spool holds ciphertext only */
		char *enc = NULL;
		size_t elen = 0;
		r = wrap_for_list(ctx, lm, qid, &enc, &elen);
		if (r == SMFIS_CONTINUE) {
			pwlog_qid(LOG_INFO, qid, "list %s: plain message to the owners encrypted to "
				  "the list's key", l->address);
			r = commit(ctx, lm, qid, sender, requiretls, owners, n, enc, elen, NULL);
			OPENSSL_cleanse(enc, elen);
			free(enc);
		}
	}
	free(owners);
	return r;
}

/* link_subject - is LM's Subject "help", "subscribe" or "unsubscribe" (the mailto: links of
 * the copies' List-* fields; ASCII case and outer blanks ignored) */
static bool link_subject(const struct lists_msg *lm)
{
	struct mime_hdrsec h;
	struct listpost dummy;
	char *v = NULL, *t;
	bool yes = false;

	memset(&dummy, 0, sizeof(dummy));
	if (lp_hdr_scan(lm->post, lm->len, true, "message", &h, &dummy) != LP_OK ||
	    lp_hdr_get(&h, "Subject", "message", &v, &dummy) != LP_OK || v == NULL) {
		free(v);
		return false;
	}
	for (t = v; *t == ' ' || *t == '\t'; t++)
		;
	yes = strcasecmp(t, "help") == 0 || strcasecmp(t, "subscribe") == 0 ||
	      strcasecmp(t, "unsubscribe") == 0;
	free(v);
	return yes;
}

/* eom_service - mail to the request, sendkey or bounces address: spooled as it came for the
 * worker, which answers (never here, inside the SMTP session) */
static sfsistat eom_service(SMFICTX *ctx, struct lists_msg *lm, const char *qid,
			    const char *sender, const struct listpost *lp)
{
	const struct pw_list *l = lm->list;
	char who[320];
	const char *to = who;
	bool ok = false;
	sfsistat r;

	bare(sender, who, sizeof(who));
	if (lm->role == PW_ROLE_BOUNCES) {
		to = l->owner;	/* who hears of what the bounce did */
		return commit(ctx, lm, qid, sender, false, &to, 1, lm->post, lm->len, NULL);
	}
	/* an answer goes to the envelope sender; there is none for the null sender (RFC 3834) */
	if (who[0] == '\0')
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "This address answers messages with a return address only");
	if (lm->role == PW_ROLE_REQUEST) {
		if (l->openpgp_fpr[0] == '\0')
			return reply(ctx, qid, l->address, "550", "5.7.1",
				     "This list takes no commands by mail");
		if (lp->kind != LISTPOST_PGPMIME && lp->kind != LISTPOST_PGPINLINE &&
		    link_subject(lm)) {
			/* the List-Help/-Subscribe/-Unsubscribe links of the copies: the worker
			 * answers with how commands work */
			pwlog_qid(LOG_INFO, qid, "list %s: plain help request", l->address);
			return commit(ctx, lm, qid, sender, false, &to, 1, lm->post, lm->len, NULL);
		}
		if (lp->kind != LISTPOST_PGPMIME && lp->kind != LISTPOST_PGPINLINE) {
			pwlog_qid(LOG_NOTICE, qid, "list %s: command not encrypted (%s)", l->address,
				  lp->kind == LISTPOST_BAD ? lp->why : "plain");
			return reply(ctx, qid, l->address, "550", "5.7.1",
				     "Commands must be encrypted to the list's key and signed by "
				     "a subscriber's key");
		}
		r = check_openpgp(ctx, l, lp, qid, sender, CHECK_REQUEST, &ok, NULL);
		if (!ok)
			return r;
	}
	return commit(ctx, lm, qid, sender, false, &to, 1, lm->post, lm->len, NULL);
}

static sfsistat handed_over(SMFICTX *ctx, struct lists_msg *lm, const char *qid);

/* plain_post - a plain post on a list that takes them (plain_posts): from whom the setting
 * says, encrypted to the list's key before it is spooled, then a post like any other */
static sfsistat plain_post(SMFICTX *ctx, struct lists_msg *lm, const char *qid,
			   const char *sender, bool requiretls)
{
	const struct pw_list *l = lm->list;
	char who[320], *enc = NULL;
	size_t elen = 0;
	sfsistat r;

	bare(sender, who, sizeof(who));
	if (who[0] == '\0' || (l->plain_posts == PW_LIST_PLAIN_SUBSCRIBERS &&
				pw_list_find_sub(l, who) == NULL)) {
		pwlog_qid(LOG_NOTICE, qid, "list %s: plain post from <%s>, who is no subscriber "
			  "(plain_posts subscribers)", l->address, who);
		return reply(ctx, qid, l->address, "550", "5.7.1",
			     "Plain posts to this list are taken from subscribers only");
	}
	if ((r = wrap_for_list(ctx, lm, qid, &enc, &elen)) != SMFIS_CONTINUE)
		return r;
	pwlog_qid(LOG_INFO, qid, "list %s: plain post from <%s> encrypted to the list's key "
		  "(plain_posts %s)", l->address, who,
		  l->plain_posts == PW_LIST_PLAIN_ANYONE ? "anyone" : "subscribers");
	r = commit_post(ctx, lm, qid, sender, requiretls, enc, elen, NULL);
	OPENSSL_cleanse(enc, elen);
	free(enc);
	return r != SMFIS_CONTINUE ? r : handed_over(ctx, lm, qid);
}

/* lists_eom - the checks, in the order of the contract */
sfsistat lists_eom(SMFICTX *ctx, struct lists_msg *lm, const struct pw_snapshot *snap,
		   const char *qid, const char *sender, bool requiretls, bool *handled)
{
	const struct pw_list *l = lm->list;
	struct listpost lp;
	struct keyhand_secret ks;
	sfsistat r;
	bool ok = false;

	(void)snap;
	memset(&ks, 0, sizeof(ks));
	*handled = l != NULL;
	if (l == NULL)
		return SMFIS_CONTINUE;
	if (lm->oom)
		return reply(ctx, qid, l->address, "451", "4.3.0", "postward: temporary internal error");
	if (lm->too_big)
		return reply(ctx, qid, l->address, "552", "5.3.4", "Post too large for this list");
	if (lm->role != PW_ROLE_POST) {
		if (!listpost_parse(lm->post, lm->len, &lp))
			return reply(ctx, qid, l->address, "451", "4.3.0",
				     "postward: temporary internal error");
		r = lm->role == PW_ROLE_OWNER ? eom_owner(ctx, lm, qid, sender, requiretls, &lp) :
		    eom_service(ctx, lm, qid, sender, &lp);
		listpost_clear(&lp);
		return r != SMFIS_CONTINUE ? r : handed_over(ctx, lm, qid);
	}
	if (l->n_subs == 0)
		return reply(ctx, qid, l->address, "550", "5.1.1", "This list has no subscribers");
	if (!listpost_parse(lm->post, lm->len, &lp))
		return reply(ctx, qid, l->address, "451", "4.3.0", "postward: temporary internal error");
	switch (lp.kind) {
	case LISTPOST_PGPMIME:
	case LISTPOST_PGPINLINE:
		if (l->openpgp_fpr[0] == '\0')
			r = reply(ctx, qid, l->address, "550", "5.7.1", "This list takes S/MIME posts only");
		else if (l->roster != PW_LIST_ROSTER_PUBLISH ||
			 (r = check_roster(ctx, l, &lp, snap, qid, sender, &ok)) == SMFIS_CONTINUE)
			r = ok ? SMFIS_CONTINUE :
			    check_openpgp(ctx, l, &lp, qid, sender, CHECK_POST, &ok, &ks);
		break;
	case LISTPOST_SMIME:
		r = check_smime(ctx, l, &lp, qid, sender, &ok);
		break;
	case LISTPOST_BAD:
		pwlog_qid(LOG_NOTICE, qid, "list %s: malformed post: %s", l->address, lp.why);
		r = reply(ctx, qid, l->address, "550", "5.6.0", "Malformed MIME structure in the post");
		break;
	case LISTPOST_PLAIN:
	default:
		if (l->plain_posts != PW_LIST_PLAIN_NO && l->openpgp_fpr[0] != '\0') {
			listpost_clear(&lp);
			return plain_post(ctx, lm, qid, sender, requiretls);
		}
		pwlog_qid(LOG_NOTICE, qid, "list %s: plain post (%s)", l->address, lp.why);
		r = reply(ctx, qid, l->address, "550", "5.7.1",
			  "Posts to this list must be encrypted to the list's key");
		break;
	}
	listpost_clear(&lp);
	if (ok)
		r = commit_post(ctx, lm, qid, sender, requiretls, lm->post, lm->len, &ks);
	OPENSSL_cleanse(&ks, sizeof(ks));
	if (!ok || r != SMFIS_CONTINUE)
		return r;
	return handed_over(ctx, lm, qid);
}

/* handed_over - the pool has the message: take the list address off it */
static sfsistat handed_over(SMFICTX *ctx, struct lists_msg *lm, const char *qid)
{
	const struct pw_list *l = lm->list;
	if (lm->n_other == 0)
		return SMFIS_DISCARD;	/* the pool sends the copies; nothing else to deliver */
	if (smfi_delrcpt(ctx, lm->rcpt) != MI_SUCCESS)
		pwlog_qid(LOG_WARNING, qid, "list %s: the MTA refused to remove recipient %s; it "
			  "will also get the post as sent", l->address, lm->rcpt);
	return SMFIS_CONTINUE;
}

/* lists_msg_clear - release */
void lists_msg_clear(struct lists_msg *lm)
{
	free(lm->rcpt);
	free(lm->verp);
	free(lm->post);
	memset(lm, 0, sizeof(*lm));
}
