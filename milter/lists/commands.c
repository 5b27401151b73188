/*
 * milter/lists/commands.c - the worker's side of LIST-request: run the signed commands of a
 * message and answer the requester, encrypted to them and signed by the list's key.
 *
 * Contract (service_request, declared in pool-int.h), for a job of role "request" (the
 * session accepted the message: OpenPGP, encrypted to the list's key, a good signature by a
 * subscriber's key; the worker checks all of it again against the list as it is now):
 *   1. decrypt the message (pgp_decrypt: one gpg run); the requester is the subscriber whose
 *      listed key made a good signature - never the From field or the envelope sender;
 *   2. replay protection: the seen-set (seen.h) of the digest SHA-256(signer fingerprint,
 *      signature creation time, SHA-256 of the decrypted content) within the list's
 *      command_window; a replayed, too old or future-dated signature runs nothing and the
 *      requester is told why;
 *   3. the commands (policy/listcmd.h) of the message's text (listpost_text): X-LIST-NAME
 *      must name this list; each command runs if listcmd_check() permits it (the list's
 *      admins are the subscribers marked admin), in order;
 *   4. what commands change: subscriptions through substore.h (the list's managed file
 *      NAME.subscribers; the administrator's list file is never written, and its
 *      subscribers cannot be changed by command), keys through pgp.h (public keys only,
 *      never a key with a secret half, never a key a subscriber still uses); after a
 *      change the daemon reloads (snapshot_request_reload); delivery on/off (X-SET-DELIVERY,
 *      X-SUBSCRIBE's DELIVERY) is the bounce ledger's flag (bounces.h), which posts skip and
 *      "on" clears with the bounce score; X-FETCH-KEY fetches over HTTPS with the daemon's
 *      list_* settings (keyfetch.h) and imports only what keyfetch_import accepts; the
 *      permissions and notices are the list file's (listcmd_perms_for);
 *   5. the answer (listcmd_reply: one section per command) goes to the requester's
 *      subscription address from the list's request address, as a PGP/MIME message
 *      encrypted to the requester's key and signed by the list's (one gpg run), from the
 *      null sender with Auto-Submitted: auto-replied.
 * A temporary failure (gpg not answering, the seen-set unreadable) keeps the job for the
 * worker's next try until list_max_queue_time; nothing has run by then.  A message that
 * cannot be answered (no longer a subscriber's signature) is logged and dropped.
 * Threads: runs on the worker thread owning the job; the seen-set, substore and bounce ledger
 * take their own process-wide locks (leaf locks, one at a time, none held while mail is
 * sent or a key fetched).
 */
#include "build-config.h"
#include "pool-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdarg.h>

#include <openssl/crypto.h>

#include "bounces.h"
#include "keyfetch.h"
#include "listcmd.h"
#include "mime.h"
#include "log.h"
#include "pgp.h"
#include "seen.h"
#include "snapshot.h"
#include "substore.h"

#define ANSWER_MAX (1u << 20)		/* octets of one command's result text */

/* growing text of one command's result */
struct rtext {
	char *p;
	size_t len, cap;
};

/* rt_add - append printf-style; silently stops at ANSWER_MAX or without memory */
static void rt_add(struct rtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rt_add(struct rtext *t, const char *fmt, ...)
{
	va_list ap, aq;
	int n;

	va_start(ap, fmt);
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= 0 && t->len + (size_t)n + 1 <= ANSWER_MAX) {
		if (t->len + (size_t)n + 1 > t->cap) {
			size_t nc = t->cap ? t->cap : 256;
			char *np;
			while (nc < t->len + (size_t)n + 1)
				nc *= 2;
			np = realloc(t->p, nc);
			if (np != NULL) {
				t->p = np;
				t->cap = nc;
			}
		}
		if (t->len + (size_t)n + 1 <= t->cap) {
			vsnprintf(t->p + t->len, (size_t)n + 1, fmt, aq);
			t->len += (size_t)n;
		}
	}
	va_end(aq);
}

/* the state of one request */
struct req_ctx {
	struct job_ctx *c;
	const struct pw_list *l;
	const struct pw_list_sub *requester;
	bool admin;
	bool changed;			/* a subscription changed: reload */
	struct rtext notes;		/* what admins are told (notify_admins) */
};

/* key_usable - FPR names a key in the list's keyring that can be encrypted to */
static bool key_usable(const char *fpr, char *why, size_t whylen)
{
	struct pgp_key k;
	bool ok = false;

	memset(&k, 0, sizeof(k));
	if (pgp_keys(&fpr, 1, &k, NULL, why, whylen) != PGP_OK)
		return false;
	if (k.state == PGP_KEY_OK)
		ok = true;
	else
		snprintf(why, whylen, "key %s: %s%s", fpr, k.why,
			 k.state == PGP_KEY_MISSING ? " (send it with X-ADD-KEY first)" : "");
	pgp_key_clear(&k);
	return ok;
}

/* who - the subscription address a command is about: its own, or the requester's */
static const char *who(const struct req_ctx *r, const struct listcmd *cmd)
{
	return cmd->addr[0] ? cmd->addr : r->requester->addr;
}

/* substore_said - a substore outcome as a command outcome, WHY into T */
static enum listcmd_outcome substore_said(struct req_ctx *r, enum substore_result sr,
					  const char *why, struct rtext *t)
{
	if (sr == SUBSTORE_OK) {
		r->changed = true;
		return LISTCMD_DONE;
	}
	rt_add(t, "%s", why);
	return LISTCMD_FAILED;
}

#define REASON_CMD "delivery switched off"	/* the ledger's reason for a command's "off" */

/* set_delivery - delivery to the subscriber ADDR on or off, in the list's bounce ledger
 * (bounces.h: the flag that posts skip; on clears it with the bounce score) */
static enum listcmd_outcome set_delivery(struct req_ctx *r, const char *addr, bool on,
					 struct rtext *t)
{
	struct bounces b;
	char why[300], reason[400];
	bool was_off, ok, by_bounces = false;

	if (!bounces_begin(spool_dir(r->c->w->p->spool), r->l->address, &b, why, sizeof(why))) {
		pwlog_qid(LOG_ERR, r->c->job->qid, "list %s: bounce ledger: %s", r->l->address,
			  why);
		rt_add(t, "Delivery not changed: the list's records cannot be read now; try "
		       "again later.");
		return LISTCMD_FAILED;
	}
	was_off = bounces_disabled(&b, addr);
	for (size_t i = 0; was_off && i < b.n; i++)	/* off by command, or after bounces */
		if (strcmp(b.recs[i].addr, addr) == 0)
			by_bounces = b.recs[i].reason == NULL ||
				     strncmp(b.recs[i].reason, REASON_CMD, strlen(REASON_CMD)) != 0;
	snprintf(reason, sizeof(reason), REASON_CMD " by X-SET-DELIVERY from %s",
		 r->requester->addr);
	ok = on ? (bounces_enable(&b, addr), true) : bounces_disable(&b, addr, time(NULL), reason);
	if (!bounces_end(&b, why, sizeof(why)) || !ok) {
		pwlog_qid(LOG_ERR, r->c->job->qid, "list %s: bounce ledger: %s", r->l->address,
			  ok ? why : "out of memory");
		rt_add(t, "Delivery not changed: the list's records cannot be written now; try "
		       "again later.");
		return LISTCMD_FAILED;
	}
	pwlog_qid(LOG_NOTICE, r->c->job->qid, "list %s: delivery to <%s> %s by X-SET-DELIVERY "
		  "from <%s>%s", r->l->address, addr, on ? "on" : "off", r->requester->addr,
		  !on || !was_off ? "" : by_bounces ? " (it was disabled after bounces: bounce "
		  "score and flag cleared)" : " (it was off)");
	if (on)
		rt_add(t, !was_off ? "Delivery to %s is on." : by_bounces ? "Delivery to %s is on "
		       "again; its bounce record is cleared." : "Delivery to %s is on again.", addr);
	else
		rt_add(t, "Delivery to %s is off: it gets no posts until \"X-SET-DELIVERY: %s "
		       "true\".", addr, addr);
	return LISTCMD_DONE;
}

/* run_set_delivery - X-SET-DELIVERY [ADDRESS] true|false */
static enum listcmd_outcome run_set_delivery(struct req_ctx *r, const struct listcmd *cmd,
					     struct rtext *t)
{
	const struct pw_list_sub *s = pw_list_find_sub(r->l, who(r, cmd));

	if (s == NULL) {
		rt_add(t, "%s is not subscribed to this list.", who(r, cmd));
		return LISTCMD_FAILED;
	}
	return set_delivery(r, s->addr, cmd->delivery == 1, t);
}

/* fetch_config - the daemon's list_* HTTPS settings as keyfetch.h wants them */
static void fetch_config(const struct req_ctx *r, struct keyfetch_config *fc)
{
	const struct pw_config *cfg = r->c->cfg;

	memset(fc, 0, sizeof(*fc));
	fc->gnupg_home = cfg->gnupg_home;
	fc->vks_url = cfg->list_vks_url;
	fc->ca_file = cfg->list_https_ca_file;
	fc->connect_to = (const char *const *)cfg->list_https_connect_to;
	fc->n_connect_to = cfg->n_list_https_connect_to;
	fc->timeout = cfg->list_https_timeout;
	fc->max_size = KEYFETCH_MAX;
}

/* fetch_one - one X-FETCH-KEY argument: a fingerprint from the VKS keyserver (only that
 * certificate is taken), an address from WKD or an https URL (each certificate of the
 * answer, each through keyfetch_import's checks); false when nothing was imported */
static bool fetch_one(struct req_ctx *r, const struct keyfetch_config *fc, const char *arg,
		      struct rtext *t)
{
	bool is_url = strncasecmp(arg, "https://", 8) == 0, is_addr = !is_url && strchr(arg, '@');
	const char *src = is_url ? "url" : is_addr ? "wkd" : "vks";
	char why[400], fprs[KEYFETCH_MAX_CERTS][41];
	uint8_t *data = NULL;
	size_t len = 0, n = 0, got = 0;
	enum keyfetch_result kr;

	if (is_url)
		kr = keyfetch_get_url(fc, arg, &data, &len, why, sizeof(why));
	else
		kr = keyfetch_get(fc, is_addr ? KEYFETCH_WKD : KEYFETCH_VKS, arg, arg, &data,
				  &len, NULL, 0, why, sizeof(why));
	if (kr == KEYFETCH_UPDATED && is_addr + is_url > 0)
		kr = keyfetch_certs(data, len, fprs, KEYFETCH_MAX_CERTS, &n, why, sizeof(why));
	else if (kr == KEYFETCH_UPDATED) {
		snprintf(fprs[0], sizeof(fprs[0]), "%s", arg);
		n = 1;
	}
	if (kr != KEYFETCH_UPDATED) {
		pwlog_qid(kr == KEYFETCH_REFUSED ? LOG_WARNING : LOG_INFO, r->c->job->qid,
			  "list %s: X-FETCH-KEY %s from <%s> (%s): %s: %s", r->l->address, arg,
			  r->requester->addr, src, keyfetch_result_name(kr), why);
		rt_add(t, "%s: %s%s.\n", arg, kr == KEYFETCH_NOTFOUND ? "no key found: " :
		       kr == KEYFETCH_TEMPFAIL ? "could not be fetched now (try again later): " :
		       "refused: ", why);
		free(data);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		kr = keyfetch_import(fc, fprs[i], data, len, is_url ? "url" : is_addr ? "wkd" :
				     "ks", why, sizeof(why));
		pwlog_qid(kr == KEYFETCH_REFUSED ? LOG_WARNING : LOG_INFO, r->c->job->qid,
			  "list %s: X-FETCH-KEY %s from <%s> (%s): key %s %s: %s", r->l->address,
			  arg, r->requester->addr, src, fprs[i], keyfetch_result_name(kr), why);
		if (kr == KEYFETCH_UPDATED || kr == KEYFETCH_UNCHANGED) {
			got++;
			rt_add(t, "%s: key %s %s (%s).\n", arg, fprs[i], kr == KEYFETCH_UPDATED ?
			       "imported" : "is already in the list's keyring", why);
		} else {
			rt_add(t, "%s: key %s not imported: %s.\n", arg, fprs[i], why);
		}
	}
	free(data);
	return got > 0;
}

/* run_fetch_key - X-FETCH-KEY: each argument fetched and imported (public keys only) */
static enum listcmd_outcome run_fetch_key(struct req_ctx *r, const struct listcmd *cmd,
					  struct rtext *t)
{
	struct keyfetch_config fc;
	enum listcmd_outcome out = LISTCMD_DONE;

	fetch_config(r, &fc);
	for (size_t i = 0; i < cmd->nargs; i++)
		if (!fetch_one(r, &fc, cmd->args[i], t))
			out = LISTCMD_FAILED;
	return out;
}

/* run_subscribe - X-SUBSCRIBE */
static enum listcmd_outcome run_subscribe(struct req_ctx *r, const struct listcmd *cmd,
					  struct rtext *t)
{
	struct pw_list_managed_sub sub = { .addr = cmd->addr, .fpr = cmd->fpr,
					   .admin = cmd->admin == 1 };
	char why[300];
	bool replaced = false;
	enum substore_result sr;

	if (cmd->fpr[0] && !key_usable(cmd->fpr, why, sizeof(why))) {
		rt_add(t, "Not subscribed: %s.", why);
		return LISTCMD_FAILED;
	}
	if (!cmd->fpr[0]) {
		rt_add(t, "Not subscribed: this list needs a key for each subscriber; give its "
		       "fingerprint after the address.");
		return LISTCMD_FAILED;
	}
	sr = substore_add(r->l->file, &sub, &replaced, why, sizeof(why));
	if (sr == SUBSTORE_OK)
		rt_add(t, "%s %s with key %s%s.", cmd->addr, replaced ? "is now subscribed anew" :
		       "is subscribed", cmd->fpr, sub.admin ? " as an admin" : "");
	if (sr == SUBSTORE_OK && cmd->delivery >= 0) {	/* Schleuder's DELIVERY flag */
		substore_said(r, sr, why, t);
		rt_add(t, "\n");
		return set_delivery(r, cmd->addr, cmd->delivery == 1, t);
	}
	return substore_said(r, sr, why, t);
}

/* run_unsubscribe - X-UNSUBSCRIBE */
static enum listcmd_outcome run_unsubscribe(struct req_ctx *r, const struct listcmd *cmd,
					    struct rtext *t)
{
	char why[300];
	const char *a = who(r, cmd);
	const struct pw_list_sub *s = pw_list_find_sub(r->l, a);
	size_t admins = 0;
	enum substore_result sr;

	for (size_t i = 0; i < r->l->n_subs; i++)
		admins += r->l->subs[i].admin;
	if (s != NULL && s->admin && admins == 1) {
		rt_add(t, "%s is the list's last admin and stays subscribed.", a);
		return LISTCMD_FAILED;
	}
	sr = substore_remove(r->l->file, a, why, sizeof(why));

	if (sr == SUBSTORE_OK)
		rt_add(t, "%s is unsubscribed.", a);
	return substore_said(r, sr, why, t);
}

/* run_set_fpr - X-SET-FINGERPRINT and X-UNSET-FINGERPRINT (FPR NULL) */
static enum listcmd_outcome run_set_fpr(struct req_ctx *r, const struct listcmd *cmd,
					const char *fpr, struct rtext *t)
{
	char why[300];
	const char *a = who(r, cmd);
	enum substore_result sr;

	if (fpr != NULL && !key_usable(fpr, why, sizeof(why))) {
		rt_add(t, "Fingerprint not set: %s.", why);
		return LISTCMD_FAILED;
	}
	sr = substore_set_fpr(r->l->file, a, fpr, why, sizeof(why));
	if (sr == SUBSTORE_OK)
		rt_add(t, fpr ? "The key of %s is now %s." : "%s has no OpenPGP key now.", a, fpr);
	return substore_said(r, sr, why, t);
}

/* holds - does S hold T, ASCII case ignored */
static bool holds(const char *s, const char *t)
{
	size_t n = strlen(t);
	for (; *s; s++)
		if (strncasecmp(s, t, n) == 0)
			return true;
	return n == 0;
}

/* matches - does S hold one of CMD's texts (all when it has none), ASCII case ignored */
static bool matches(const struct listcmd *cmd, const char *s)
{
	if (cmd->nargs == 0)
		return true;
	for (size_t i = 0; i < cmd->nargs; i++)
		if (holds(s, cmd->args[i]))
			return true;
	return false;
}

/* run_list_subs - X-LIST-SUBSCRIPTIONS, as the list is after this message's changes */
static enum listcmd_outcome run_list_subs(struct req_ctx *r, const struct listcmd *cmd,
					  struct rtext *t)
{
	struct pw_lists fresh;
	const struct pw_list *l = r->l;
	struct bounces b;
	char why[300];
	size_t n = 0;
	bool ledger;

	if (r->changed) {	/* the snapshot is older than this message's changes */
		if (substore_read(r->l->file, &fresh, why, sizeof(why)) != SUBSTORE_OK) {
			rt_add(t, "The list's files cannot be read now: %s.", why);
			return LISTCMD_FAILED;
		}
		l = &fresh.v[0];
	}
	ledger = bounces_begin(spool_dir(r->c->w->p->spool), r->l->address, &b, why,
			       sizeof(why));
	for (size_t i = 0; i < l->n_subs; i++) {
		const struct pw_list_sub *s = &l->subs[i];
		if (!matches(cmd, s->addr))
			continue;
		rt_add(t, "%s %s%s%s%s\n", s->addr, s->fpr[0] ? s->fpr : "(no OpenPGP key)",
		       s->admin ? " admin" : "", s->managed ? "" : " (list file)",
		       ledger && bounces_disabled(&b, s->addr) ? " delivery-disabled" : "");
		n++;
	}
	if (ledger)
		bounces_end(&b, why, sizeof(why));
	rt_add(t, "%zu subscription(s).", n);
	if (l != r->l)
		pw_lists_free(&fresh);
	return LISTCMD_DONE;
}

/* run_list_keys - X-LIST-KEYS: the keys the list uses, its own and its subscribers' (the
 * keyring may hold other lists' keys, which are none of the requester's business) */
static enum listcmd_outcome run_list_keys(struct req_ctx *r, const struct listcmd *cmd,
					  struct rtext *t)
{
	size_t n = 0;
	if (r->l->openpgp_fpr[0] && matches(cmd, r->l->openpgp_fpr)) {
		rt_add(t, "%s %s (the list's key)\n", r->l->openpgp_fpr, r->l->address);
		n++;
	}
	for (size_t i = 0; i < r->l->n_subs; i++) {
		const struct pw_list_sub *s = &r->l->subs[i];
		if (!s->fpr[0] || (!matches(cmd, s->fpr) && !matches(cmd, s->addr)))
			continue;
		rt_add(t, "%s %s\n", s->fpr, s->addr);
		n++;
	}
	rt_add(t, "%zu key(s).", n);
	return LISTCMD_DONE;
}

/* run_get_key - X-GET-KEY: each fingerprint or subscriber address, armored */
static enum listcmd_outcome run_get_key(struct req_ctx *r, const struct listcmd *cmd,
					struct rtext *t)
{
	enum listcmd_outcome out = LISTCMD_DONE;
	for (size_t i = 0; i < cmd->nargs; i++) {
		const char *arg = cmd->args[i], *fpr = NULL;
		const struct pw_list_sub *s = strchr(arg, '@') ? pw_list_find_sub(r->l, arg) : NULL;
		char why[300], *armor = NULL;
		size_t alen = 0;
		if (s != NULL && s->fpr[0])
			fpr = s->fpr;
		else if (strcasecmp(arg, r->l->openpgp_fpr) == 0)
			fpr = r->l->openpgp_fpr;
		for (size_t k = 0; fpr == NULL && k < r->l->n_subs; k++)
			if (strcasecmp(arg, r->l->subs[k].fpr) == 0)
				fpr = r->l->subs[k].fpr;
		if (fpr == NULL) {
			rt_add(t, "%s: no key of this list.\n", arg);
			out = LISTCMD_FAILED;
			continue;
		}
		if (pgp_export_key(fpr, true, &armor, &alen, why, sizeof(why)) != PGP_OK) {
			rt_add(t, "%s: %s\n", arg, why);
			out = LISTCMD_FAILED;
			continue;
		}
		rt_add(t, "%s:\n%s\n", arg, armor);
		free(armor);
	}
	return out;
}

/* run_add_key - X-ADD-KEY: each block or attachment imported, public keys only */
static enum listcmd_outcome run_add_key(const struct listcmd *cmd, struct rtext *t)
{
	enum listcmd_outcome out = LISTCMD_DONE;
	if (cmd->nkeys == 0) {
		rt_add(t, "No key found after the command or attached.");
		return LISTCMD_FAILED;
	}
	for (size_t i = 0; i < cmd->nkeys; i++) {
		struct pgp_import im;
		char why[300];
		if (pgp_import(cmd->keys[i].p, cmd->keys[i].n, &im, why, sizeof(why)) != PGP_OK) {
			rt_add(t, "Key %zu: not imported: %s.\n", i + 1, why);
			out = LISTCMD_FAILED;
			continue;
		}
		for (size_t k = 0; k < im.n; k++)
			rt_add(t, "%s imported.\n", im.fpr[k]);
		if (im.n == 0)
			rt_add(t, "Key %zu: nothing imported (%d considered).\n", i + 1, im.considered);
	}
	return out;
}

/* run_delete_key - X-DELETE-KEY: never a key a subscriber or the list uses */
static enum listcmd_outcome run_delete_key(struct req_ctx *r, const struct listcmd *cmd,
					   struct rtext *t)
{
	enum listcmd_outcome out = LISTCMD_DONE;
	for (size_t i = 0; i < cmd->nargs; i++) {
		const char *fpr = cmd->args[i];
		const char *user = NULL;
		char why[300];
		for (size_t k = 0; user == NULL && k < r->l->n_subs; k++)
			if (strcasecmp(r->l->subs[k].fpr, fpr) == 0)
				user = r->l->subs[k].addr;
		if (user != NULL) {
			rt_add(t, "%s: not deleted, the subscriber %s uses it.\n", fpr, user);
			out = LISTCMD_FAILED;
		} else if (pgp_delete_public(fpr, why, sizeof(why)) != PGP_OK) {
			rt_add(t, "%s: %s.\n", fpr, why);
			out = LISTCMD_FAILED;
		} else {
			rt_add(t, "%s deleted.\n", fpr);
		}
	}
	return out;
}

/* run_one - one permitted command */
static enum listcmd_outcome run_one(struct req_ctx *r, const struct listcmd *cmd,
				    struct rtext *t)
{
	switch (cmd->kw) {
	case LISTCMD_LIST_NAME:
		return LISTCMD_DONE;
	case LISTCMD_SUBSCRIBE:
		return run_subscribe(r, cmd, t);
	case LISTCMD_UNSUBSCRIBE:
		return run_unsubscribe(r, cmd, t);
	case LISTCMD_LIST_SUBSCRIPTIONS:
		return run_list_subs(r, cmd, t);
	case LISTCMD_SET_FINGERPRINT:
		return run_set_fpr(r, cmd, cmd->fpr, t);
	case LISTCMD_UNSET_FINGERPRINT:
		return run_set_fpr(r, cmd, NULL, t);
	case LISTCMD_ADD_KEY:
		return run_add_key(cmd, t);
	case LISTCMD_DELETE_KEY:
		return run_delete_key(r, cmd, t);
	case LISTCMD_GET_KEY:
		return run_get_key(r, cmd, t);
	case LISTCMD_LIST_KEYS:
		return run_list_keys(r, cmd, t);
	case LISTCMD_GET_VERSION:
		rt_add(t, "postward %s", PACKAGE_VERSION);
		return LISTCMD_DONE;
	case LISTCMD_SET_DELIVERY:
		return run_set_delivery(r, cmd, t);
	case LISTCMD_FETCH_KEY:
		return run_fetch_key(r, cmd, t);
	default:
		rt_add(t, "Unknown command.");
		return LISTCMD_FAILED;
	}
}

/* answer - TEXT (LF line ends) to the subscriber TO (with key FPR) from the request address,
 * encrypted and signed; JOB_DONE when the MTA took it, JOB_RETRY on a temporary failure */
static enum job_outcome answer(struct job_ctx *c, const char *to, const char *fpr,
			       const char *subject, const char *text, const char *refs)
{
	const struct pw_list *l = c->list;
	char *entity = NULL, *armor = NULL, *mime = NULL, *from, why[300];
	size_t elen = 0, alen = 0, mlen = 0;
	FILE *f;
	enum pgp_status st;
	bool sent = false;

	if ((f = open_memstream(&entity, &elen)) == NULL)
		return JOB_RETRY;
	fprintf(f, "Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n");
	service_put_crlf(f, text, strlen(text));
	if (fclose(f) != 0 || entity == NULL)
		return JOB_RETRY;
	st = pgp_encrypt_sign(entity, elen, fpr, l->openpgp_fpr, &armor, &alen, why, sizeof(why));
	OPENSSL_cleanse(entity, elen);
	free(entity);
	if (st != PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: answer to <%s>: %s", l->address, to, why);
		return st == PGP_E_FORMAT ? JOB_BROKEN : JOB_RETRY;
	}
	st = mime_pgpmime("=_postward_answer", armor, alen, &mime, &mlen) == MIME_OK ? PGP_OK :
	     PGP_E_NOMEM;
	free(armor);
	if (st != PGP_OK)
		return JOB_RETRY;
	from = pw_list_role_address(l, PW_ROLE_REQUEST);
	sent = pool_send_own(c->w, c->job->qid, from ? from : l->address, to, subject, refs, true,
			     "", mime);
	free(from);
	free(mime);
	return sent ? JOB_DONE : JOB_RETRY;
}

/* requester_of - the subscriber whose listed key made a good signature of D */
static const struct pw_list_sub *requester_of(const struct pw_list *l,
					      const struct pgp_decrypted *d, size_t *sig)
{
	for (size_t i = 0; i < d->n_sigs; i++) {
		if (!d->sigs[i].good)
			continue;
		for (size_t k = 0; k < l->n_subs; k++)
			if (l->subs[k].fpr[0] && strcmp(l->subs[k].fpr, d->sigs[i].fpr) == 0) {
				*sig = i;
				return &l->subs[k];
			}
	}
	return NULL;
}

/* run_commands - parse, check, run; the answer's text in *TEXT (malloc'd) */
static char *run_commands(struct req_ctx *r, const struct pgp_decrypted *d, bool mime)
{
	struct listpost_text lt;
	struct listcmd_req *req = calloc(1, sizeof(*req));
	struct listcmd_result *res = NULL;
	struct rtext *texts = NULL;
	struct listcmd_perms perms;
	char *request = pw_list_role_address(r->l, PW_ROLE_REQUEST), *out = NULL;
	struct listcmd_att atts[LISTPOST_TEXT_MAX_ATT];
	size_t len = 0;
	enum listpost_text_status ts;

	memset(&lt, 0, sizeof(lt));
	if (req == NULL)
		goto done;
	ts = listpost_text((const char *)d->plain, d->plain_len, mime, &lt);
	if (ts == LISTPOST_TEXT_NOMEM)
		goto done;
	for (size_t i = 0; i < lt.natt; i++)
		atts[i] = (struct listcmd_att){ lt.att[i].p, lt.att[i].n };
	if (ts == LISTPOST_TEXT_BAD || lt.text == NULL)
		listcmd_parse("", 0, NULL, 0, req);
	else
		listcmd_parse(lt.text, lt.text_len, atts, lt.natt, req);
	listcmd_check_list(req, r->l->address, request ? request : r->l->address);
	listcmd_perms_for(&perms, r->l);
	if (req->status == LISTCMD_REQ_OK) {
		res = calloc(req->n ? req->n : 1, sizeof(*res));
		texts = calloc(req->n ? req->n : 1, sizeof(*texts));
		if (res == NULL || texts == NULL)
			goto done;
		for (size_t i = 0; i < req->n; i++) {
			const struct listcmd *cmd = &req->cmds[i];
			char why[200];
			if (!listcmd_check(cmd, r->requester->addr, r->admin, &perms, why,
					   sizeof(why))) {
				res[i].outcome = cmd->bad ? LISTCMD_NOT_RUN : LISTCMD_REFUSED;
				rt_add(&texts[i], "%s", why);
			} else {
				res[i].outcome = run_one(r, cmd, &texts[i]);
			}
			res[i].text = texts[i].p;
			if (res[i].outcome == LISTCMD_DONE && listcmd_notify(cmd->kw, &perms))
				rt_add(&r->notes, "> %s\n%s\n\n", cmd->echo,
				       texts[i].p ? texts[i].p : "done");
			pwlog_qid(LOG_INFO, r->c->job->qid, "list %s: command %s from <%s>: %s",
				  r->l->address, listcmd_keyword_name(cmd->kw), r->requester->addr,
				  res[i].outcome == LISTCMD_DONE ? "done" :
				  res[i].outcome == LISTCMD_REFUSED ? "refused" :
				  res[i].outcome == LISTCMD_FAILED ? "failed" : "not run");
		}
	} else {
		pwlog_qid(LOG_NOTICE, r->c->job->qid, "list %s: commands from <%s> not run: %s",
			  r->l->address, r->requester->addr, req->why);
	}
	out = listcmd_reply(req, r->l->address, res, &len);
done:
	for (size_t i = 0; texts != NULL && req != NULL && i < req->n; i++)
		free(texts[i].p);
	free(texts);
	free(res);
	free(req);
	free(request);
	listpost_text_clear(&lt);
	return out;
}

/* notify_admins - the list's other admins hear of the commands the list's settings name
 * (listcmd_notify: X-ADD-KEY by default), encrypted and signed like an answer; a notice
 * that cannot be sent is logged, not retried */
static void notify_admins(struct req_ctx *r)
{
	char subject[400], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return;
	fprintf(f, "The subscriber %s sent these commands to %s:\n\n%s", r->requester->addr,
		r->l->address, r->notes.p);
	if (fclose(f) != 0 || text == NULL)
		return;
	snprintf(subject, sizeof(subject), "[%s] commands by %s", r->l->address,
		 r->requester->addr);
	for (size_t i = 0; i < r->l->n_subs; i++) {
		const struct pw_list_sub *s = &r->l->subs[i];
		if (!s->admin || !s->fpr[0] || s == r->requester)
			continue;
		if (answer(r->c, s->addr, s->fpr, subject, text, "") != JOB_DONE)
			pwlog_qid(LOG_WARNING, r->c->job->qid, "list %s: could not tell the admin "
				  "<%s> of the commands by <%s>", r->l->address, s->addr,
				  r->requester->addr);
	}
	free(text);
}

/* service_request - see the top comment */
enum job_outcome service_request(struct job_ctx *c)
{
	const struct pw_list *l = c->list;
	struct pgp_decrypted d;
	struct req_ctx r = { .c = c, .l = l };
	unsigned char dig[SEEN_DIGEST_SHA256];
	char why[300], refs[1000], subject[400], *text = NULL;
	size_t sig = 0;
	enum pgp_status st;
	enum seen_verdict v;
	enum job_outcome out;

	memset(&d, 0, sizeof(d));
	if (c->post.kind != LISTPOST_PGPMIME && c->post.kind != LISTPOST_PGPINLINE)
		return service_help(c);	/* the session let only the List-* links through */
	if (l->openpgp_fpr[0] == '\0')
		return pool_mark(c, 0, false, "not an OpenPGP command") ? JOB_DONE : JOB_BROKEN;
	st = pgp_decrypt(c->post.payload, c->post.payload_len, &d, why, sizeof(why));
	if (st == PGP_E_ENGINE || st == PGP_E_NOMEM) {
		pwlog_qid(LOG_WARNING, c->job->qid, "list %s: command: %s", l->address, why);
		return pool_given_up(c) ? (pool_mark(c, 0, false, why) ? JOB_DONE : JOB_BROKEN) :
		       JOB_RETRY;
	}
	if (st != PGP_OK || (r.requester = requester_of(l, &d, &sig)) == NULL) {
		pwlog_qid(LOG_NOTICE, c->job->qid, "list %s: command from <%s> not run: %s",
			  l->address, c->job->poster, st != PGP_OK ? why :
			  "no good signature by a subscriber's key (any more)");
		pgp_decrypted_clear(&d);
		return pool_mark(c, 0, false, "not signed by a subscriber") ? JOB_DONE : JOB_BROKEN;
	}
	r.admin = r.requester->admin;
	service_reply_refs(c, refs, sizeof(refs));
	snprintf(subject, sizeof(subject), "Your commands to %s", l->address);
	if (!seen_digest(d.sigs[sig].fpr, d.sigs[sig].created, d.plain, d.plain_len, dig)) {
		pgp_decrypted_clear(&d);
		return JOB_RETRY;
	}
	v = seen_check_and_add(spool_dir(c->w->p->spool), l->address, dig, sizeof(dig),
			       d.sigs[sig].created, time(NULL), (time_t)l->command_window, why,
			       sizeof(why));
	if (v == SEEN_ERROR) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: seen-set: %s", l->address, why);
		pgp_decrypted_clear(&d);
		return pool_given_up(c) ? (pool_mark(c, 0, false, why) ? JOB_DONE : JOB_BROKEN) :
		       JOB_RETRY;
	}
	if (v != SEEN_FRESH) {
		char msg[600];
		pwlog_qid(LOG_NOTICE, c->job->qid, "list %s: command from <%s> signed by %s not run: "
			  "%s signature", l->address, r.requester->addr, d.sigs[sig].fpr,
			  seen_verdict_name(v));
		snprintf(msg, sizeof(msg), "Your commands to %s were not run:\n\n    %s\n\n"
			 "Commands run once, within %u seconds of their signature.  Sign and send "
			 "them again.\n", l->address,
			 v == SEEN_REPLAYED ? "this signed message was received before." :
			 v == SEEN_TOO_OLD ? "the signature is too old." :
			 v == SEEN_FUTURE ? "the signature is dated in the future." :
			 "too many commands within the window.", l->command_window);
		pgp_decrypted_clear(&d);
		out = answer(c, r.requester->addr, r.requester->fpr, subject, msg, refs);
		goto settle;
	}
	text = run_commands(&r, &d, c->post.kind == LISTPOST_PGPMIME);
	pgp_decrypted_clear(&d);
	if (r.changed && !snapshot_request_reload())
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: subscriptions changed but the reload "
			  "could not be requested: send postward SIGHUP", l->address);
	if (r.notes.len > 0)
		notify_admins(&r);
	free(r.notes.p);
	if (text == NULL)
		return JOB_RETRY;	/* out of memory: nothing ran that is not recorded */
	out = answer(c, r.requester->addr, r.requester->fpr, subject, text, refs);
	free(text);
settle:
	if (out == JOB_RETRY && !pool_given_up(c)) {
		/* the commands ran: a second run would be refused as a replay, so the answer
		 * is not tried again through the job; say so */
		pwlog_qid(LOG_WARNING, c->job->qid, "list %s: the answer to <%s> could not be sent",
			  l->address, r.requester->addr);
	}
	return pool_mark(c, 0, out == JOB_DONE, out == JOB_DONE ? NULL : "answer not sent") ?
	       JOB_DONE : JOB_BROKEN;
}
