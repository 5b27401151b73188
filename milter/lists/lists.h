/*
 * milter/lists/lists.h - the milter side of encrypted lists: recognise a list recipient at RCPT,
 * collect the post, check it in the SMTP session, commit it to the spool and hand it to the
 * worker pool (pool.h), then take the list recipient off the message.
 *
 * Per message (struct lists_msg inside struct pw_msg, owned by the libmilter thread serving
 * the connection, no locks):
 *   RCPT  lists_rcpt(): the recipient names a list of the message's snapshot?  One list per
 *         message: a second, different list gets 452 4.5.3 (the client sends it separately).
 *         With no worker pool running (list_directory was empty at start) a list recipient
 *         gets 451 4.3.0 and a log line saying a restart is needed.
 *   header/body  lists_header(), lists_eoh(), lists_body(): the post is kept in memory as
 *         the MTA hands it over, up to list_max_post_size (then 552 5.3.4 at end of message).
 *   EOM   lists_eom(), in this order:
 *         - not encrypted (plain text, multipart/mixed, ...): 550 5.7.1;
 *         - malformed MIME or OpenPGP data: 550 5.6.0;
 *         - does not decrypt with the list's key (OpenPGP via gpgme, and the secret key that
 *           opened it must be this list's key or subkey, since every list's key is in the
 *           one GnuPG home; S/MIME via the list's key and certificate), or OpenPGP without
 *           integrity protection: 550 5.7.1;
 *         - require_signature: no good signature by an allowed poster (posters subscribers:
 *           the signing key is a subscriber's listed key - for S/MIME, the signer's
 *           certificate is the one listed for the subscriber its e-mail address names;
 *           listed: one of its user IDs / e-mail addresses is a listed poster; anyone: any
 *           good signature): 550 5.7.1.  S/MIME signatures are checked inside the decrypted
 *           content (multipart/signed or signed-data) against the pinned certificate, not a
 *           CA chain.  Without require_signature, the envelope sender must be allowed
 *           (pw_list_may_post);
 *         - queue full (pool_reserve): 451 4.3.1; spool error: 451 4.3.0;
 *         - otherwise the post (ciphertext) is committed to the spool (fsync) and queued,
 *           and the list recipient is removed (smfi_delrcpt) or, when it was the only
 *           recipient, the message is discarded: the pool delivers the copies.
 *
 * lists_set_pool() is called once before smfi_main(); the pool pointer is read-only after.
 */
#ifndef POSTWARD_MILTER_LISTS_H
#define POSTWARD_MILTER_LISTS_H

#include <stdbool.h>
#include <stddef.h>

#include <libmilter/mfapi.h>

#include "listfile.h"
#include "pool.h"
#include "spool.h"

struct lists_msg {
	const struct pw_list *list;	/* borrowed from the message's snapshot, or NULL */
	enum pw_list_role role;		/* which of the list's addresses */
	char *verp;			/* owned: bounces, the subscriber its VERP tag names */
	char *rcpt;			/* owned: the list's RCPT argument as given */
	size_t n_other;			/* recipients that are not the list */
	char *post;			/* owned: the post as collected */
	size_t len, cap;
	bool too_big;
	bool oom;			/* no memory for it: 451, not 552 */
	bool leadspc;			/* header values arrive with their leading space */
};

struct pw_snapshot;

/* lists_set_pool - the pool and spool the milter hands posts to (NULL: lists off) */
void lists_set_pool(struct pool *p, struct spool *s);
/* lists_rcpt - RCPT ARG: SMFIS_CONTINUE, or a reply already set (TEMPFAIL); *OURS (when not
 * NULL) says whether ARG is a list or role address of the snapshot */
sfsistat lists_rcpt(SMFICTX *ctx, struct lists_msg *lm, const struct pw_snapshot *snap,
		    const char *qid, const char *arg, bool *ours);
/* lists_header - one header field of a list post */
void lists_header(struct lists_msg *lm, const struct pw_snapshot *snap, const char *name,
		  const char *value);
/* lists_eoh - end of the header */
void lists_eoh(struct lists_msg *lm, const struct pw_snapshot *snap);
/* lists_body - a body chunk */
void lists_body(struct lists_msg *lm, const struct pw_snapshot *snap, const void *chunk,
		size_t len);
/* lists_eom - check and hand over a list post; *HANDLED false when M is no list post (the
 * caller goes on), else the return value is the answer (CONTINUE, DISCARD, REJECT,
 * TEMPFAIL; replies set).  REQUIRETLS: the copies carry the tag */
sfsistat lists_eom(SMFICTX *ctx, struct lists_msg *lm, const struct pw_snapshot *snap,
		   const char *qid, const char *sender, bool requiretls, bool *handled);
/* lists_msg_clear - release what *LM owns */
void lists_msg_clear(struct lists_msg *lm);

#endif
