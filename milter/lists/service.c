/*
 * milter/lists/service.c - the worker's side of a list's other addresses: LIST-sendkey answers
 * with the list's key, LIST-owner mail that nobody can decrypt goes to the owner as it came.
 * (Mail to the owners who have keys is re-wrapped like a post, in pool.c.)
 *
 * Contract (declared in pool-int.h):
 *   service_run(c)      a job whose role is not "post": sendkey answers (with the roster
 *                       when the list publishes one), owner forwards, request runs commands; a
 *                       role this version does not know leaves the job in the spool
 *                       (JOB_BROKEN, logged) rather than losing it;
 *   service_forward(c)  an owner job for recipients without keys: the message as spooled.
 * Answers follow RFC 3834: none to a message that says it is automatic (Auto-Submitted other
 * than "no"; Precedence bulk, junk or list; a List-Id field), to a list's own addresses, or to
 * the usual robot senders (MAILER-DAEMON, owner-*, *-request, *-owner, *-bounces); the null
 * sender never reaches here (the session refuses it).  An answer goes from the null sender,
 * with Auto-Submitted: auto-replied, In-Reply-To and References naming the request.
 * Each job's single recipient is marked done (sent, or failed with the reason) so the job
 * leaves the spool; a temporary SMTP failure keeps it for the worker's next try.
 * Threads: runs on the worker thread that owns the job context; no state of its own.
 */
#include "build-config.h"
#include "pool-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest.h"
#include "listpost-int.h"
#include "log.h"
#include "pgp.h"
#include "rosterlist.h"
#include "smtp.h"

/* robot_local - local parts that are robots by convention (RFC 3834 2, RFC 2142) */
static bool robot_local(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t n = at ? (size_t)(at - addr) : strlen(addr);
	static const char *const suffixes[] = { "-request", "-owner", "-bounces", "-bounce" };

	if ((n == 13 && strncasecmp(addr, "mailer-daemon", 13) == 0) ||
	    (n > 6 && strncasecmp(addr, "owner-", 6) == 0))
		return true;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t l = strlen(suffixes[i]);
		if (n > l && strncasecmp(addr + n - l, suffixes[i], l) == 0)
			return true;
	}
	return false;
}

/* may_answer - RFC 3834: may C's message get an automatic answer; if not, WHY says why */
static bool may_answer(struct job_ctx *c, const struct mime_hdrsec *h, char *why, size_t whylen)
{
	struct listpost dummy;
	char *v = NULL;
	const char *poster = c->job->poster;
	enum pw_list_role role;
	bool ok = true;

	memset(&dummy, 0, sizeof(dummy));
	if (poster[0] == '\0') {
		snprintf(why, whylen, "from the null sender");
		return false;
	}
	if (c->lists != NULL && pw_lists_find_role(c->lists, poster, &role, NULL) != NULL) {
		snprintf(why, whylen, "from a list address (%s)", pw_list_role_name(role));
		return false;
	}
	if (robot_local(poster)) {
		snprintf(why, whylen, "from a robot's address <%s>", poster);
		return false;
	}
	if (lp_hdr_get(h, "Auto-Submitted", "request", &v, &dummy) != LP_OK ||
	    (v != NULL && strncasecmp(v, "no", 2) != 0) ||
	    (v != NULL && v[2] != '\0' && v[2] != ';' && v[2] != ' ' && v[2] != '(')) {
		snprintf(why, whylen, "Auto-Submitted: %s", v ? v : "(several or malformed)");
		ok = false;
	}
	free(v);
	v = NULL;
	if (ok && (lp_hdr_get(h, "Precedence", "request", &v, &dummy) != LP_OK ||
		   (v != NULL && (strcasecmp(v, "bulk") == 0 || strcasecmp(v, "junk") == 0 ||
				  strcasecmp(v, "list") == 0)))) {
		snprintf(why, whylen, "Precedence: %s", v ? v : "(several or malformed)");
		ok = false;
	}
	free(v);
	v = NULL;
	if (ok && (lp_hdr_get(h, "List-Id", "request", &v, &dummy) != LP_OK || v != NULL)) {
		snprintf(why, whylen, "mail from a mailing list (List-Id)");
		ok = false;
	}
	free(v);
	return ok;
}

/* service_reply_refs - In-Reply-To and References naming the Message-ID of C's message, if
 * it has a sane one; "" otherwise */
void service_reply_refs(const struct job_ctx *c, char *out, size_t len)
{
	struct mime_hdrsec h;
	struct listpost dummy;
	char *id = NULL;

	out[0] = '\0';
	memset(&dummy, 0, sizeof(dummy));
	if (lp_hdr_scan((const char *)c->job->post, c->job->post_len, true, "request", &h,
			&dummy) == LP_OK &&
	    lp_hdr_get(&h, "Message-ID", "request", &id, &dummy) == LP_OK && id != NULL &&
	    id[0] == '<' && strlen(id) < 400 && strchr(id, '>') == id + strlen(id) - 1 &&
	    strpbrk(id, " \t\r\n") == NULL)
		snprintf(out, len, "In-Reply-To: %s\r\nReferences: %s\r\n", id, id);
	free(id);
}

/* service_put_crlf - T (N octets) to F with its line ends made CRLF */
void service_put_crlf(FILE *f, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\n' && (i == 0 || t[i - 1] != '\r'))
			fputc('\r', f);
		fputc(t[i], f);
	}
}

/* sendkey_entity - the signed answer: multipart/signed (the list key) around multipart/mixed
 * (a short text, the key as application/pgp-keys); *OUT malloc'd; JOB_RETRY on a temporary
 * failure, JOB_BROKEN when the list's key cannot sign or be exported */
static enum job_outcome sendkey_entity(struct job_ctx *c, char **out, size_t *outlen)
{
	const struct pw_list *l = c->list;
	char *key = NULL, *sig = NULL, *content = NULL, why[300], micalg[32], *request;
	size_t klen = 0, slen = 0, clen = 0;
	FILE *f;
	enum pgp_status st;
	enum job_outcome res = JOB_RETRY;

	*out = NULL;
	if ((st = pgp_export_key(l->openpgp_fpr, true, &key, &klen, why, sizeof(why))) != PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: sendkey: %s", l->address, why);
		return st == PGP_E_FORMAT ? JOB_BROKEN : JOB_RETRY;
	}
	request = pw_list_role_address(l, PW_ROLE_REQUEST);
	if ((f = open_memstream(&content, &clen)) == NULL)
		goto out;
	fprintf(f, "Content-Type: multipart/mixed; boundary=\"=_postward_key\"\r\n\r\n"
		"--=_postward_key\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Disposition: inline\r\n\r\n"
		"This is the OpenPGP key of the encrypted list %s,\r\n"
		"fingerprint %s.\r\n\r\n"
		"Encrypt posts to the list with this key; the list re-encrypts them for\r\n"
		"each subscriber.  Check the fingerprint with the list's owner before you\r\n"
		"rely on it: this answer is signed by the same key it carries.\r\n",
		l->address, l->openpgp_fpr);
	if (request != NULL)
		fprintf(f, "\r\nCommands go to %s, signed and encrypted to this key.\r\n", request);
	fprintf(f, "\r\n--=_postward_key\r\nContent-Type: application/pgp-keys; name=\"%s.asc\"\r\n"
		"Content-Disposition: attachment; filename=\"%s.asc\"\r\n\r\n", l->address,
		l->address);
	service_put_crlf(f, key, klen);
	if (c->list->roster == PW_LIST_ROSTER_PUBLISH) {
		struct roster_files rf;
		if (rosterlist_current(spool_dir(c->w->p->spool), c->cfg->gnupg_home, l, &rf, why,
				       sizeof(why))) {
			fprintf(f, "\r\n--=_postward_key\r\nContent-Type: application/pgp-keys; "
				"name=\"%s.roster.asc\"\r\nContent-Description: the list's roster: "
				"its key and its subscribers' keys\r\nContent-Disposition: attachment; "
				"filename=\"%s.roster.asc\"\r\n\r\n", l->address, l->address);
			service_put_crlf(f, rf.keys, rf.keys_len);
			fprintf(f, "\r\n--=_postward_key\r\nContent-Type: application/pgp-signature; "
				"name=\"%s.roster.asc.sig\"\r\nContent-Description: the list key's "
				"signature over the roster\r\nContent-Disposition: attachment; "
				"filename=\"%s.roster.asc.sig\"\r\n\r\n", l->address, l->address);
			service_put_crlf(f, rf.sig, rf.sig_len);
			roster_files_clear(&rf);
		} else {
			pwlog_qid(LOG_ERR, c->job->qid, "list %s: sendkey: no roster: %s", l->address,
				  why);
		}
	}
	fprintf(f, "\r\n--=_postward_key--\r\n");
	if (fclose(f) != 0 || content == NULL)
		goto out;
	st = pgp_sign_detached(l->openpgp_fpr, content, clen, &sig, &slen, micalg, sizeof(micalg),
			       why, sizeof(why));
	if (st != PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: sendkey: %s", l->address, why);
		res = st == PGP_E_FORMAT ? JOB_BROKEN : JOB_RETRY;
		goto out;
	}
	if (attest_signed(content, clen, sig, micalg, out, outlen))
		res = JOB_DONE;
out:
	free(request);
	free(key);
	free(sig);
	free(content);
	return res;
}

/* sendkey - answer with the list's key */
static enum job_outcome sendkey(struct job_ctx *c)
{
	const struct pw_list *l = c->list;
	struct mime_hdrsec h;
	struct listpost dummy;
	char why[300], refs[1000], subject[400], *entity = NULL, *from = NULL;
	size_t elen = 0;
	enum job_outcome res;
	bool sent;

	memset(&dummy, 0, sizeof(dummy));
	if (lp_hdr_scan((const char *)c->job->post, c->job->post_len, true, "request", &h,
			&dummy) != LP_OK) {
		pwlog_qid(LOG_NOTICE, c->job->qid, "list %s: sendkey request from <%s> not answered: "
			  "%s", l->address, c->job->poster, dummy.why);
		return pool_mark(c, 0, false, "malformed request") ? JOB_DONE : JOB_BROKEN;
	}
	if (!may_answer(c, &h, why, sizeof(why))) {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: sendkey request not answered: %s (RFC 3834)",
			  l->address, why);
		return pool_mark(c, 0, false, "automatic message, no answer") ? JOB_DONE : JOB_BROKEN;
	}
	if (l->openpgp_fpr[0] == '\0') {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: sendkey request from <%s>: the list has no "
			  "OpenPGP key", l->address, c->job->poster);
		return pool_mark(c, 0, false, "the list has no OpenPGP key") ? JOB_DONE : JOB_BROKEN;
	}
	if ((res = sendkey_entity(c, &entity, &elen)) != JOB_DONE) {
		if (res == JOB_BROKEN || pool_given_up(c))
			return pool_mark(c, 0, false, "the list's key cannot be sent") ? JOB_DONE :
			       JOB_BROKEN;
		return JOB_RETRY;
	}
	service_reply_refs(c, refs, sizeof(refs));
	snprintf(subject, sizeof(subject), "OpenPGP key of %s", l->address);
	from = pw_list_role_address(l, PW_ROLE_SENDKEY);
	sent = pool_send_own(c->w, c->job->qid, from ? from : l->address, c->job->rcpts[0],
			     subject, refs, true, "", entity);
	free(from);
	free(entity);
	if (!sent)
		return pool_given_up(c) ? (pool_mark(c, 0, false, "the answer could not be sent") ?
					   JOB_DONE : JOB_BROKEN) : JOB_RETRY;
	pwlog_qid(LOG_INFO, c->job->qid, "list %s: sent its key to <%s>", l->address,
		  c->job->rcpts[0]);
	return pool_mark(c, 0, true, NULL) ? JOB_DONE : JOB_BROKEN;
}

/* service_help - a plain "help", "subscribe" or "unsubscribe" to the request address (the
 * copies' List-* links): an answer saying how commands work, RFC 3834 permitting */
enum job_outcome service_help(struct job_ctx *c)
{
	const struct pw_list *l = c->list;
	struct mime_hdrsec h;
	struct listpost dummy;
	char why[300], refs[1000], subject[400], body[2000], *request, *sendkey;
	bool sent;

	memset(&dummy, 0, sizeof(dummy));
	if (lp_hdr_scan((const char *)c->job->post, c->job->post_len, true, "request", &h,
			&dummy) != LP_OK || !may_answer(c, &h, why, sizeof(why))) {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: help request not answered: %s (RFC 3834)",
			  l->address, dummy.why[0] ? dummy.why : why);
		return pool_mark(c, 0, false, "automatic message, no answer") ? JOB_DONE : JOB_BROKEN;
	}
	request = pw_list_role_address(l, PW_ROLE_REQUEST);
	sendkey = pw_list_role_address(l, PW_ROLE_SENDKEY);
	snprintf(body, sizeof(body),
		 "This is the encrypted list %s.\r\n\r\n"
		 "Commands (to subscribe, unsubscribe, change your key, list the\r\n"
		 "subscriptions) go to %s as a message signed with your key and\r\n"
		 "encrypted to the list's key, its text beginning with lines such as\r\n\r\n"
		 "    X-LIST-NAME: %s\r\n    X-UNSUBSCRIBE\r\n\r\n"
		 "Unsigned commands are not run: anybody could send them in your name.\r\n"
		 "The list's key: write to %s.  Subscribing and unsubscribing is for\r\n"
		 "the list's admins; ask them at %s.\r\n", l->address,
		 request ? request : l->address, l->address, sendkey ? sendkey : "the list owner",
		 l->owner);
	service_reply_refs(c, refs, sizeof(refs));
	snprintf(subject, sizeof(subject), "How to use %s", l->address);
	sent = pool_send_own(c->w, c->job->qid, request ? request : l->address, c->job->rcpts[0],
			     subject, refs, true, NULL, body);
	free(request);
	free(sendkey);
	if (!sent && !pool_given_up(c))
		return JOB_RETRY;
	return pool_mark(c, 0, sent, sent ? NULL : "the answer could not be sent") ? JOB_DONE :
	       JOB_BROKEN;
}

/* service_forward - an owner job without keys: the message as it came to each recipient */
enum job_outcome service_forward(struct job_ctx *c)
{
	for (size_t i = 0; i < c->job->n_rcpts; i++) {
		struct smtp_reply r;
		enum smtp_result res;
		char why[600];
		if (c->job->done[i])
			continue;
		res = smtp_send(c->w->smtp, c->list->bounce, c->job->rcpts[i],
				(const char *)c->job->post, c->job->post_len, &r);
		if (res == SMTP_SENT) {
			pwlog_qid(LOG_INFO, c->job->qid, "list %s: message to the owners forwarded "
				  "to <%s>", c->list->address, c->job->rcpts[i]);
			if (!pool_mark(c, i, true, NULL))
				return JOB_BROKEN;
			continue;
		}
		if (res == SMTP_TEMP && !pool_given_up(c))
			return JOB_RETRY;
		snprintf(why, sizeof(why), "%s: %s", res == SMTP_TEMP ? "deferred too long" :
			 "refused by the MTA", r.text);
		if (!pool_mark(c, i, false, why))
			return JOB_BROKEN;
	}
	return JOB_DONE;
}

/* service_run - by role */
enum job_outcome service_run(struct job_ctx *c)
{
	const char *role = c->job->role;

	if (strcmp(role, "sendkey") == 0)
		return sendkey(c);
	if (strcmp(role, "owner") == 0)
		return service_forward(c);
	if (strcmp(role, "request") == 0)
		return service_request(c);
	if (strcmp(role, "bounces") == 0)
		return service_bounces(c);
	pwlog_qid(LOG_ERR, c->job->qid, "list %s: job %s is for its %s address, which this "
		  "version does not handle; left in %s", c->list->address, c->job->id, role,
		  spool_dir(c->w->p->spool));
	return JOB_BROKEN;
}
