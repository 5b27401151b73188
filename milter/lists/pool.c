/*
 * milter/lists/pool.c - list workers: decrypt once, re-address per subscriber, re-inject.
 * Contract: see pool.h.
 */
#include "build-config.h"
#include "pool.h"
#include "pool-int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "attest.h"
#include "copies.h"
#include "fanout.h"
#include "fromrewrite.h"
#include "keyhand.h"
#include "roster.h"
#include "rosterlist.h"
#include "listpost.h"
#include "log.h"
#include "notices.h"
#include "openpgp.h"
#include "pgp.h"
#include "requiretls.h"
#include "smime.h"
#include "smtp.h"
#include "snapshot.h"

#define BACKOFF_MIN 5			/* seconds */
#define BACKOFF_MAX 600

/* ---- queue --------------------------------------------------------------------------- */

/* pool_reserve - a slot for a post about to be committed */
bool pool_reserve(struct pool *p)
{
	bool ok;
	pthread_mutex_lock(&p->lock);
	ok = !p->stopping && p->count + p->reserved < p->cap;
	if (ok)
		p->reserved++;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

/* pool_cancel - give a reserved slot back */
void pool_cancel(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->reserved > 0)
		p->reserved--;
	pthread_mutex_unlock(&p->lock);
}

/* pool_submit - queue a committed job */
void pool_submit(struct pool *p, const char *id)
{
	pthread_mutex_lock(&p->lock);
	if (p->reserved > 0)
		p->reserved--;
	if (p->count < p->cap) {
		snprintf(p->ring[(p->head + p->count) % p->cap], SPOOL_ID_LEN, "%s", id);
		p->count++;
	}
	/* else impossible with a reservation; the job stays in the spool for the next start */
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* pool_pending - queued or in hand */
size_t pool_pending(struct pool *p)
{
	size_t n;
	pthread_mutex_lock(&p->lock);
	n = p->count + p->in_hand + (p->n_backlog - p->backlog_pos);
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* take_job - the next job id into ID (backlog first); false when stopping */
static bool take_job(struct pool *p, char *id)
{
	bool got = false;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		if (p->backlog_pos < p->n_backlog) {
			snprintf(id, SPOOL_ID_LEN, "%s", p->backlog[p->backlog_pos++]);
			got = true;
			break;
		}
		if (p->count > 0) {
			snprintf(id, SPOOL_ID_LEN, "%s", p->ring[p->head]);
			p->head = (p->head + 1) % p->cap;
			p->count--;
			got = true;
			break;
		}
		pthread_cond_wait(&p->cond, &p->lock);
	}
	if (got)
		p->in_hand++;
	pthread_mutex_unlock(&p->lock);
	return got;
}

/* job_done - a job left the worker's hands */
static void job_done(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->in_hand--;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* pause_for - wait SECONDS or until stopping; false when stopping */
static bool pause_for(struct pool *p, unsigned seconds)
{
	struct timespec until;
	bool stop;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping &&
	       pthread_cond_timedwait(&p->cond, &p->lock, &until) != ETIMEDOUT)
		;
	stop = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return !stop;
}

/* stopping - is the pool stopping */
static bool stopping(struct pool *p)
{
	bool s;
	pthread_mutex_lock(&p->lock);
	s = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return s;
}

/* ---- messages of our own ------------------------------------------------------------- */

/* pool_report_add - one line (printf-style) */
void pool_report_add(struct report *r, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;
	if (r->lines >= REPORT_MAX_LINES) {
		r->dropped++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (r->len + (size_t)n + 1 > r->cap) {
		size_t nc = (r->cap ? r->cap * 2 : 4096) + (size_t)n;
		char *t = realloc(r->text, nc);
		if (t == NULL)
			return;
		r->text = t;
		r->cap = nc;
	}
	memcpy(r->text + r->len, line, (size_t)n);
	r->len += (size_t)n;
	r->text[r->len] = '\0';
	r->lines++;
}

/* pool_send_own - a message of postward's own (notice, report, answer) from the null sender;
 * true when the MTA accepted it */
bool pool_send_own(struct worker *w, const char *qid, const char *from, const char *to,
		   const char *subject, const char *extra, bool reply, const char *ctype,
		   const char *body)
{
	char date[64], hdr[4096], id[2 * 12 + 1], *msg;
	uint8_t rnd[12];
	struct smtp_reply r;
	time_t now = time(NULL);
	struct tm tm;
	size_t hl, bl = strlen(body), len;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* a Message-ID unique without revealing anything of the process: random octets (a
	 * counter if the generator fails) and the host's name */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		memset(rnd, 0, sizeof(rnd));
		memcpy(rnd, &w->serial, sizeof(w->serial));	/* 8 of the 12 octets */
	}
	w->serial++;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	hl = (size_t)snprintf(hdr, sizeof(hdr),
			      "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
			      "Message-ID: <%lld.%s@%s>\r\n%sAuto-Submitted: %s\r\n"
			      "MIME-Version: 1.0\r\n%s%s%s",
			      from, to, subject, date, (long long)now, id,
			      w->p->helo[0] ? w->p->helo : "localhost", extra ? extra : "",
			      reply ? "auto-replied" : "auto-generated",
			      ctype && !*ctype ? "" : "Content-Type: ",
			      ctype ? ctype : "text/plain; charset=utf-8",
			      ctype && !*ctype ? "" : "\r\n\r\n");
	if (hl >= sizeof(hdr) || (msg = malloc(hl + bl + 1)) == NULL) {
		pwlog_qid(LOG_WARNING, qid, "list: could not send \"%s\" to <%s>: out of memory",
			  subject, to);
		return false;
	}
	memcpy(msg, hdr, hl);
	memcpy(msg + hl, body, bl + 1);
	len = hl + bl;
	if (w->nsigners > 0) {
		const char *reason = NULL;
		enum dkim_status ds = dkim_sign_prepend(w->signers, w->nsigners, now, &msg, &len,
							&reason);
		if (ds != DKIM_OK)
			pwlog_qid(LOG_WARNING, qid, "list: \"%s\" to <%s> goes unsigned: %s",
				  subject, to, reason ? reason : "cannot sign");
	}
	if (smtp_send(w->smtp, "", to, msg, len, &r) == SMTP_SENT) {
		pwlog_qid(LOG_INFO, qid, "list: sent \"%s\" to <%s>", subject, to);
		free(msg);
		return true;
	}
	pwlog_qid(LOG_WARNING, qid, "list: could not send \"%s\" to <%s>: %s", subject, to,
		  r.text);
	free(msg);
	return false;
}

/* send_own - a plain notice or report */
static bool send_own(struct worker *w, const char *qid, const char *from, const char *to,
		     const char *subject, const char *body)
{
	return pool_send_own(w, qid, from, to, subject, NULL, false, NULL, body);
}

/* ---- one job ------------------------------------------------------------------------- */

/* load_x509 / load_key - PEM files of the list and subscribers */
static X509 *load_x509(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	return smime_read_key(path);	/* no stdio buffer keeps the key's text */
}

/* make_smtp - the worker's client for the current list_reinject */
static bool make_smtp(struct worker *w, const char *target, char *why, size_t len)
{
	char host[256];
	uint16_t port;
	if (w->smtp != NULL && strcmp(w->target, target) == 0)
		return true;
	smtp_close(w->smtp);
	w->smtp = NULL;
	if (!smtp_parse_target(target, host, sizeof(host), &port)) {
		snprintf(why, len, "list_reinject \"%s\" is not HOST:PORT", target);
		return false;
	}
	if ((w->smtp = smtp_client_new(host, port, w->p->helo, 60)) == NULL) {
		snprintf(why, len, "out of memory");
		return false;
	}
	snprintf(w->target, sizeof(w->target), "%s", target);
	return true;
}

/* fail_sub - mark subscriber I failed with WHY, notice and report; false on spool error */
static bool fail_sub_at(struct job_ctx *c, size_t i, const char *why, bool notice, int level);
static bool fail_sub(struct job_ctx *c, size_t i, const char *why, bool notice)
{
	return fail_sub_at(c, i, why, notice, LOG_WARNING);
}

/* fail_sub_at - fail_sub, logged at LEVEL */
static bool fail_sub_at(struct job_ctx *c, size_t i, const char *why, bool notice, int level)
{
	char err[256];
	const char *rcpt = c->job->rcpts[i];
	pwlog_qid(level, c->job->qid, "list %s: no copy for <%s>: %s", c->list->address,
		  rcpt, why);
	if (spool_mark(c->w->p->spool, c->job, i, false, why, err, sizeof(err)) != SPOOL_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list spool: %s", err);
		return false;
	}
	c->failed++;
	pool_report_add(&c->report, "  <%s>: %s", rcpt, why);
	if (notice) {
		char subject[400], body[1200];
		snprintf(subject, sizeof(subject), "[%s] a list post could not be sent to you",
			 c->list->address);
		snprintf(body, sizeof(body),
			 "A post to the encrypted list %s could not be encrypted for you:\r\n"
			 "%s.\r\n\r\nThe post itself is not included.  Please send a current key\r\n"
			 "to the list owner, %s.\r\n", c->list->address, why, c->list->owner);
		send_own(c->w, c->job->qid, c->list->bounce, rcpt, subject, body);
	}
	return true;
}

/* fail_key - subscriber I gets no copy because nothing can use its key (REASON, in words
 * for the subscriber; TOKEN, the key state): marked and reported now, logged at info level
 * (every post), told by notify_keys once per key state; false on spool error */
static bool fail_key(struct job_ctx *c, size_t i, const char *reason, const char *token)
{
	struct key_fail *f;
	if (!fail_sub_at(c, i, reason, false, LOG_INFO))
		return false;
	if (c->kfail == NULL)
		return true;
	f = &c->kfail[c->n_kfail++];
	f->i = i;
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
	snprintf(f->token, sizeof(f->token), "%s %s", c->kind, token);
	for (char *t = f->token; *t; t++)	/* the ledger's line format */
		if (*t == '\t' || *t == '\r' || *t == '\n')
			*t = ' ';
	return true;
}

/* notify_keys - the notices of a post: each subscriber of c->kfail is told once per key
 * state (the list's notice ledger), and a subscriber who got a copy is forgotten there (for
 * this kind of key).  Runs after the fan-out whatever its outcome, so no failure marked in
 * the spool misses its notice (a crash before it: the next post tells) */
static void notify_keys(struct job_ctx *c)
{
	struct notices led;
	char why[300];
	bool have = notices_begin(spool_dir(c->w->p->spool), c->list->address, &led, why,
				  sizeof(why));
	if (!have)	/* without the ledger, tell every time rather than never */
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: notice ledger: %s", c->list->address,
			  why);
	for (size_t i = 0; have && i < c->job->n_rcpts; i++)
		if (c->got[i])
			notices_forget(&led, c->job->rcpts[i], c->kind);
	for (size_t k = 0; k < c->n_kfail; k++) {
		const struct key_fail *f = &c->kfail[k];
		const char *rcpt = c->job->rcpts[f->i];
		char subject[400], body[1600];
		if (stopping(c->w->p))	/* not told now: the next post tells */
			break;
		if (have && notices_told(&led, rcpt, f->token)) {
			pwlog_qid(LOG_INFO, c->job->qid, "list %s: <%s> was told before about this "
				  "key state (%s): no notice", c->list->address, rcpt, f->token);
			continue;
		}
		snprintf(subject, sizeof(subject), "[%s] posts cannot be encrypted for you",
			 c->list->address);
		snprintf(body, sizeof(body),
			 "Posts to the encrypted list %s could not be encrypted for you,\r\n"
			 "so you get no copy of them:\r\n\r\n    %s.\r\n\r\n"
			 "The posts themselves are not included.  Please send a key the list\r\n"
			 "can use (current, not revoked, with an encryption subkey) to the\r\n"
			 "list owner, %s.\r\n\r\n"
			 "This notice is sent once: you get another one only when the state\r\n"
			 "of your key changes.\r\n", c->list->address, f->reason, c->list->owner);
		if (send_own(c->w, c->job->qid, c->list->bounce, rcpt, subject, body) && have &&
		    !notices_record(&led, rcpt, f->token))
			pwlog_qid(LOG_WARNING, c->job->qid, "list %s: notice ledger: cannot record "
				  "<%s>", c->list->address, rcpt);
	}
	if (have && !notices_end(&led, why, sizeof(why)))
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: notice ledger: %s", c->list->address,
			  why);
}

/* keys_begin - collect key failures (fail_key) and copies sent for notify_keys, tokens
 * beginning with KIND; false when out of memory */
static bool keys_begin(struct job_ctx *c, const char *kind)
{
	size_t n = c->job->n_rcpts ? c->job->n_rcpts : 1;
	c->kind = kind;
	c->n_kfail = 0;
	c->kfail = calloc(n, sizeof(*c->kfail));
	c->got = calloc(n, sizeof(*c->got));
	return c->kfail != NULL && c->got != NULL;
}

/* keys_end - the notices (when keys_begin worked), then release what it took */
static void keys_end(struct job_ctx *c)
{
	if (c->kfail != NULL && c->got != NULL)
		notify_keys(c);
	free(c->kfail);
	free(c->got);
	c->kfail = NULL;
	c->got = NULL;
	c->n_kfail = 0;
}

/* given_up - has the job been queued longer than list_max_queue_time */
static bool given_up(const struct job_ctx *c)
{
	return time(NULL) - c->job->queued >= (time_t)c->cfg->list_max_queue_time;
}

/* pool_given_up - given_up for service.c */
bool pool_given_up(const struct job_ctx *c)
{
	return given_up(c);
}

/* pool_mark - a recipient finished: sent, or failed with WHY */
bool pool_mark(struct job_ctx *c, size_t i, bool ok, const char *why)
{
	char err[256];
	if (!ok)
		return fail_sub(c, i, why, false);
	if (spool_mark(c->w->p->spool, c->job, i, true, NULL, err, sizeof(err)) != SPOOL_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list spool: %s", err);
		return false;
	}
	c->sent++;
	return true;
}

/* deliver - send COPY to subscriber I: JOB_DONE when marked (sent or permanently failed),
 * JOB_RETRY on a temporary failure, JOB_BROKEN on a spool error */
static enum job_outcome deliver(struct job_ctx *c, size_t i, const char *copy, size_t len)
{
	struct smtp_reply r;
	char err[256];
	/* the envelope sender: the list file's bounce address, else the list's bounces address
	 * tagged for this subscriber (VERP), so that a bounce names who bounced; with the
	 * bounces role off, the owner (pw_list_envelope_sender) */
	char *env = pw_list_envelope_sender(c->list, c->job->rcpts[i]);
	enum smtp_result res = smtp_send(c->w->smtp, env ? env : c->list->bounce,
					 c->job->rcpts[i], copy, len, &r);
	free(env);
	if (res == SMTP_TEMP) {
		char why[600];
		pwlog_qid(LOG_WARNING, c->job->qid, "list %s: copy for <%s> deferred: %s",
			  c->list->address, c->job->rcpts[i], r.text);
		if (!given_up(c))
			return JOB_RETRY;
		snprintf(why, sizeof(why), "deferred for longer than list_max_queue_time (%u s), "
			 "last reply: %s", c->cfg->list_max_queue_time, r.text);
		return fail_sub(c, i, why, false) ? JOB_DONE : JOB_BROKEN;
	}
	if (res == SMTP_PERM) {
		char why[600];
		snprintf(why, sizeof(why), "refused by the MTA: %s", r.text);
		return fail_sub(c, i, why, false) ? JOB_DONE : JOB_BROKEN;
	}
	if (spool_mark(c->w->p->spool, c->job, i, true, NULL, err, sizeof(err)) != SPOOL_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list spool: %s", err);
		return JOB_BROKEN;
	}
	c->sent++;
	if (c->got != NULL)
		c->got[i] = true;
	return JOB_DONE;
}

/* copy_args - the List-Id and tag of the list */
static void copy_args(struct job_ctx *c, struct listpost_copy_args *a, char *list_id, size_t len)
{
	*a = (struct listpost_copy_args){ 0 };	/* fields not set here: "none" */
	snprintf(list_id, len, "%s", c->list->address);
	for (char *s = list_id; *s; s++)
		if (*s == '@')
			*s = '.';
	a->list = c->list->address;
	a->list_id = list_id;
	a->list_phrase = c->list->list_id_phrase;
	a->requiretls = c->job->requiretls && c->list->inherit_requiretls;
	a->tag_header = RTLS_TAG_HEADER;
	a->random = NULL;			/* RAND_bytes() */
	a->random_ctx = NULL;
	a->request = c->request;
	a->owner = c->owner;
	a->from_rewrite = c->from_rewrite;
	a->list_name = c->list->list_id_phrase;
	a->subject_prefix = c->list->subject_prefix;
	a->autocrypt_keydata = c->autocrypt;
	a->autocrypt_len = c->autocrypt_len;
}

/* copy_header - what every copy of the job's post carries besides the post's own fields: the
 * role addresses, and the From rewrite the list's from_rewrite setting and the author's
 * DMARC policy ask for (one lookup per post, through the snapshot's resolver and cache) with
 * the list's Autocrypt key when rewriting (pgp_export_cert: one gpg run until the keyring
 * changes) */
static void copy_header(struct job_ctx *c, const struct pw_snapshot *snap)
{
	static const enum fromrewrite_mode modes[] = {
		[PW_LIST_FROM_AUTO] = FROMREWRITE_AUTO, [PW_LIST_FROM_ALWAYS] = FROMREWRITE_ALWAYS,
		[PW_LIST_FROM_NEVER] = FROMREWRITE_NEVER };
	struct fromrewrite_result fr;
	char dom[PW_DOMAIN_MAX + 1], why[256];

	c->request = pw_list_role_address(c->list, PW_ROLE_REQUEST);
	c->owner = pw_list_role_address(c->list, PW_ROLE_OWNER);
	if (!listpost_author_domain((const char *)c->job->post, c->job->post_len, &c->post, dom,
				    sizeof(dom)))
		dom[0] = '\0';
	fromrewrite_decide(modes[c->list->from_rewrite], dom, snap->dns, snap->psl, &fr);
	c->from_rewrite = fr.rewrite;
	pwlog_qid(LOG_INFO, c->job->qid, "list %s: From %s for %s: %s", c->list->address,
		  fr.rewrite ? "rewritten" : "kept", dom[0] ? dom : "(no author domain)",
		  fr.reason);
	if (fr.rewrite && c->list->openpgp_fpr[0]) {
		if (pgp_export_cert(c->list->openpgp_fpr, &c->autocrypt, &c->autocrypt_len, why,
				    sizeof(why)) != PGP_OK || c->autocrypt_len == 0 ||
		    c->autocrypt_len > LISTPOST_AUTOCRYPT_MAX) {
			pwlog_qid(LOG_WARNING, c->job->qid, "list %s: no Autocrypt field: %s",
				  c->list->address, c->autocrypt_len ? "key too large" : why);
			free(c->autocrypt);
			c->autocrypt = NULL;
			c->autocrypt_len = 0;
		}
	}
}

/* dkim_sign_copy - the job's DKIM signatures in front of *COPY (malloc'd, *LEN octets; may be
 * replaced); false only for lack of memory.  A copy that cannot be signed otherwise goes
 * unsigned, logged */
static bool dkim_sign_copy(struct job_ctx *c, char **copy, size_t *len)
{
	const char *reason = NULL;
	enum dkim_status st;

	if (c->w->nsigners == 0)
		return true;
	st = dkim_sign_prepend(c->w->signers, c->w->nsigners, time(NULL), copy, len, &reason);
	if (st == DKIM_OK)
		return true;
	if (st == DKIM_ERR_NOMEM)
		return false;
	pwlog_qid(LOG_WARNING, c->job->qid, "list %s: a copy goes unsigned: %s", c->list->address,
		  reason ? reason : "cannot sign");
	return true;
}

/* build_threads - builder threads for one post */
static unsigned build_threads(const struct job_ctx *c)
{
	return c->cfg->list_build_threads ? c->cfg->list_build_threads : fanout_cpus();
}

/* send_all - take the NI copies of F in order and deliver copy k to subscriber ITEMS[k] */
static enum job_outcome send_all(struct job_ctx *c, struct fanout *f, const size_t *items,
				 size_t ni)
{
	for (size_t k = 0; k < ni; k++) {
		char why[FANOUT_WHY], *copy = NULL;
		size_t len = 0;
		enum fanout_result r;
		enum job_outcome out;
		if (stopping(c->w->p))
			return JOB_STOPPED;
		r = fanout_take(f, k, &copy, &len, why, sizeof(why));
		if (r == FANOUT_SKIP) {
			char token[FANOUT_WHY + 16];
			snprintf(token, sizeof(token), "unusable %s", why);
			if (c->kfail != NULL ? !fail_key(c, items[k], why, token) :
			    !fail_sub(c, items[k], why, true))
				return JOB_BROKEN;
			continue;
		}
		if (r == FANOUT_FAIL) {
			pwlog_qid(LOG_ERR, c->job->qid, "list %s: copy for <%s>: %s",
				  c->list->address, c->job->rcpts[items[k]], why);
			return JOB_RETRY;
		}
		if (!dkim_sign_copy(c, &copy, &len)) {
			free(copy);
			pwlog_qid(LOG_ERR, c->job->qid, "list %s: out of memory", c->list->address);
			return JOB_RETRY;
		}
		out = deliver(c, items[k], copy, len);
		free(copy);
		if (out != JOB_DONE)
			return out;
	}
	return JOB_DONE;
}

/* fan_out - build with the list's threads and send; JOB_RETRY when out of memory */
static enum job_outcome fan_out(struct job_ctx *c, const struct fanout_ops *ops, const void *ctx,
				const size_t *items, size_t ni)
{
	unsigned threads = build_threads(c);
	struct fanout *f;
	enum job_outcome out;

	if (ni == 0)
		return JOB_DONE;
	f = fanout_start(ni, threads, copies_window(c->job->post_len + 4096, threads), ops, ctx);
	if (f == NULL) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: out of memory", c->list->address);
		return JOB_RETRY;
	}
	pwlog_qid(LOG_DEBUG, c->job->qid, "list %s: %zu copies, %u builder thread(s)",
		  c->list->address, ni, fanout_threads_started(f));
	out = send_all(c, f, items, ni);
	fanout_stop(f);
	return out;
}

/* fail_open - every open subscriber failed with WHY (no notices); JOB_BROKEN on spool error */
static enum job_outcome fail_open(struct job_ctx *c, const char *why)
{
	for (size_t i = 0; i < c->job->n_rcpts; i++)
		if (!c->job->done[i] && !fail_sub(c, i, why, false))
			return JOB_BROKEN;
	return JOB_DONE;
}

/* key_fetch - pgp_keys() for run_openpgp, on a thread of its own while the post decrypts */
struct key_fetch {
	const char *const *fprs;
	size_t n;
	struct pgp_key *keys;		/* N entries */
	size_t cached;
	enum pgp_status st;
	char why[256];
};

static void *key_fetch_main(void *arg)
{
	struct key_fetch *f = arg;
	f->st = pgp_keys(f->fprs, f->n, f->keys, &f->cached, f->why, sizeof(f->why));
	return NULL;
}

struct gpg_fallback;
static enum pgp_status fallback_packets(struct gpg_fallback *g, const uint8_t **inner,
					size_t *ilen, char *why, size_t whylen);

/* run_legacy - the N subscribers ITEMS (keys ENCS) whose keys do not announce the post's AEAD
 * format F: the post's packets, unwrapped by gpg (once per post, shared with gpg's copies
 * through G), encrypted once more as SEIPD version 1 under a fresh session key, then one v3
 * PKESK each as for every copy (BASE gives the rest) */
static enum job_outcome run_legacy(struct job_ctx *c, struct gpg_fallback *g,
				   const struct copies_pgp *base, const size_t *items,
				   const struct opgp_enckey **encs, size_t n, enum opgp_format f)
{
	struct copies_pgp cp;
	const uint8_t *inner = NULL;
	uint8_t *data = NULL, key[OPGP_MAX_SESSION_KEY];
	size_t ilen = 0, dlen = 0, keylen = 0;
	int algo = 0;
	char why[256];
	enum pgp_status st;
	enum opgp_status os = OPGP_E_FORMAT;
	enum job_outcome out = JOB_DONE;

	pwlog_qid(LOG_INFO, c->job->qid, "list %s: %zu subscriber key(s) do not announce %s: "
		  "they get the post re-encrypted once as SEIPD version 1", c->list->address, n,
		  opgp_format_name(f));
	st = fallback_packets(g, &inner, &ilen, why, sizeof(why));
	if (st == PGP_OK) {
		os = opgp_seipd1(inner, ilen, &algo, key, &keylen, &data, &dlen);
		snprintf(why, sizeof(why), "%s", opgp_strerror(os));
	}
	if (st == PGP_E_ENGINE || st == PGP_E_NOMEM || os == OPGP_E_NOMEM) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: re-encrypting the post as SEIPD version 1: "
			  "%s", c->list->address, why);
		return JOB_RETRY;
	}
	if (st != PGP_OK || os != OPGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: the post could not be re-encrypted as SEIPD "
			  "version 1: %s", c->list->address, why);
		pool_report_add(&c->report, "The post could not be re-encrypted for keys without %s: %s",
			   opgp_format_name(f), why);
		for (size_t k = 0; k < n; k++)
			if (!fail_sub(c, items[k], "the post could not be re-encrypted for your key",
				      true))
				return JOB_BROKEN;
		return JOB_DONE;
	}
	cp = (struct copies_pgp){
		.algo = algo, .key = key, .keylen = keylen, .data = data, .data_len = dlen,
		.pkesk_version = 3, .keys = encs, .msg = base->msg, .msg_len = base->msg_len,
		.post = base->post, .args = base->args,
	};
	out = fan_out(c, &copies_pgp_ops, &cp, items, n);
	OPENSSL_cleanse(key, sizeof(key));
	free(data);
	return out;
}

/* key_reason - what is wrong with key FPR (state K->state, not OK) in words for the
 * subscriber, and the token of that state for the notice ledger: the state, the key and
 * its expiry, so that a new key or a changed state is told again */
static void key_reason(const struct pgp_key *k, const char *fpr, char *reason, size_t rlen,
		       char *token, size_t tlen)
{
	char day[40] = "";
	if (k->expires > 0) {
		struct tm tm;
		time_t t = k->expires;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), " on %Y-%m-%d", &tm);
	}
	switch (k->state) {
	case PGP_KEY_MISSING:
		snprintf(reason, rlen, "your key %s is not in the list's keyring", fpr);
		break;
	case PGP_KEY_REVOKED:
		snprintf(reason, rlen, "your key %s has been revoked", fpr);
		break;
	case PGP_KEY_EXPIRED:
		snprintf(reason, rlen, "your key %s expired%s", fpr, day);
		break;
	case PGP_KEY_DISABLED:
		snprintf(reason, rlen, "your key %s is disabled in the list's keyring", fpr);
		break;
	case PGP_KEY_NOENC:
		snprintf(reason, rlen, "your key %s has no usable encryption subkey (each is "
			 "expired, revoked or missing)", fpr);
		break;
	default:
		snprintf(reason, rlen, "your key %s is not valid for GnuPG", fpr);
		break;
	}
	snprintf(token, tlen, "%s %s %lld", pgp_key_state_name(k->state), fpr,
		 (long long)k->expires);
}

/* gpg_fallback - the copies of the subscribers whose key the re-wrap cannot serve
 * (copies_pgp's fallback): the poster's OpenPGP message is taken out of the encrypted data
 * once per job (pgp_unwrap, on the first such copy, or for run_legacy's re-encryption,
 * whichever comes first: fallback_packets) and gpg encrypts it to each such subscriber's
 * subkey alone, one gpg run per subscriber, on the builder threads */
struct gpg_fallback {
	pthread_mutex_t lock;
	/* read-only while the fan-out runs: */
	const struct job_ctx *c;
	const size_t *items;		/* item k -> rcpt index */
	const char *const *subfprs;	/* item k's encryption subkey fingerprint */
	/* guarded by lock (inner is read-only once tried is set): */
	bool tried;
	enum pgp_status st;
	uint8_t *inner;
	size_t inner_len;
	char why[256];
};

/* fallback_packets - the post's packets inside its encryption, unwrapped by gpg on the first
 * call for the whole job (G owns them; *INNER is read-only once returned), or the status and
 * reason (into WHY) of that one attempt */
static enum pgp_status fallback_packets(struct gpg_fallback *g, const uint8_t **inner,
					size_t *ilen, char *why, size_t whylen)
{
	const struct job_ctx *c = g->c;
	enum pgp_status st;

	pthread_mutex_lock(&g->lock);
	if (!g->tried) {
		g->st = pgp_unwrap(c->post.payload, c->post.payload_len, &g->inner, &g->inner_len,
				   g->why, sizeof(g->why));
		g->tried = true;
		if (g->st != PGP_OK)
			pwlog_qid(LOG_ERR, c->job->qid, "list %s: the post could not be prepared "
				  "for gpg encryption: %s", c->list->address, g->why);
	}
	st = g->st;
	*inner = g->inner;
	*ilen = g->inner_len;
	snprintf(why, whylen, "%s", st == PGP_OK ? "" : g->why);
	pthread_mutex_unlock(&g->lock);
	return st;
}

/* gpg_copy - copies_pgp's fallback: item K's armored copy made by gpg */
static enum fanout_result gpg_copy(void *fctx, size_t k, char **armor, size_t *len, char *why,
				   size_t whylen)
{
	struct gpg_fallback *g = fctx;
	const struct job_ctx *c = g->c;
	const uint8_t *inner;
	size_t ilen;
	char reason[256];
	enum pgp_status st;

	st = fallback_packets(g, &inner, &ilen, reason, sizeof(reason));
	if (st != PGP_OK)
		snprintf(why, whylen, "the post could not be prepared for gpg encryption: %s",
			 reason);
	/* a failure of gpg, not of the subscriber's key: the job is tried again (a new
	 * unwrap) until list_max_queue_time, then that copy is given up */
	if (st != PGP_OK)
		return st != PGP_E_NOMEM && given_up(c) ? FANOUT_SKIP : FANOUT_FAIL;
	st = pgp_encrypt_wrapped(inner, ilen, g->subfprs[k], armor, len, why, whylen);
	if (st == PGP_E_FORMAT)		/* gpg refuses the key: nothing can use it */
		return FANOUT_SKIP;
	if (st != PGP_OK)
		return st != PGP_E_NOMEM && given_up(c) ? FANOUT_SKIP : FANOUT_FAIL;
	pwlog_qid(LOG_INFO, c->job->qid, "list %s: copy for <%s> encrypted by gpg (subkey %s: "
		  "an algorithm the re-wrap lacks)", c->list->address, c->job->rcpts[g->items[k]],
		  g->subfprs[k]);
	return FANOUT_BUILT;
}

/* post_inner - the packets inside post C's encryption: opened in process with the session key
 * in DEC (opgp_open, no gpg run), or by gpg --unwrap for what that leaves to gpg */
static enum pgp_status post_inner(const struct job_ctx *c, const struct pgp_decrypted *dec,
				  uint8_t **inner, size_t *ilen, char *why, size_t whylen)
{
	struct opgp_split sp;
	uint8_t *bin = NULL;
	size_t binlen = 0;
	enum opgp_status os = OPGP_E_UNSUPPORTED;

	if (dec->keylen > 0 &&
	    opgp_dearmor((const char *)c->post.payload, c->post.payload_len, &bin, &binlen) ==
	    OPGP_OK && opgp_split(bin, binlen, &sp, why, whylen) == OPGP_OK)
		os = opgp_open(bin + sp.data_off, sp.data_len, dec->algo, dec->key, dec->keylen,
			       inner, ilen, why, whylen);
	free(bin);
	if (os == OPGP_OK || os == OPGP_E_NOMEM)
		return os == OPGP_OK ? PGP_OK : PGP_E_NOMEM;
	if (os != OPGP_E_UNSUPPORTED)
		pwlog_qid(LOG_WARNING, c->job->qid, "list %s: the post's packets do not open with "
			  "its session key (%s): gpg unwraps them", c->list->address, why);
	return pgp_unwrap(c->post.payload, c->post.payload_len, inner, ilen, why, whylen);
}

/* attest_decide - whether post C (decrypted into DEC) goes to the subscribers as the list's
 * attestation (attest.h) rather than re-wrapped: by the list's "attest" setting, and on
 * "auto" when a signature inside it names intended recipients (RC).  The packets inside the
 * encryption (pgp_unwrap) go to *INNER (the caller wipes and frees them; NULL on "never" and
 * for inline posts).  JOB_DONE with *YES set or not, JOB_RETRY when gpg failed */
static enum job_outcome attest_decide(struct job_ctx *c, const struct pgp_decrypted *dec,
				      uint8_t **inner, size_t *ilen, struct opgp_sigrcpts *rc,
				      bool *yes)
{
	char why[256];
	enum pgp_status st;
	enum opgp_status os;

	*yes = false;
	*inner = NULL;
	*ilen = 0;
	memset(rc, 0, sizeof(*rc));
	if (c->list->attest == PW_LIST_ATTEST_NEVER)
		return JOB_DONE;
	if (c->post.kind != LISTPOST_PGPMIME) {
		if (c->list->attest == PW_LIST_ATTEST_ALWAYS)
			pwlog_qid(LOG_WARNING, c->job->qid, "list %s: an inline OpenPGP post is "
				  "re-wrapped as it is: the attestation copy is for PGP/MIME posts",
				  c->list->address);
		return JOB_DONE;
	}
	st = post_inner(c, dec, inner, ilen, why, sizeof(why));
	if (st == PGP_E_ENGINE || st == PGP_E_NOMEM) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: %s", c->list->address, why);
		return JOB_RETRY;
	}
	if (st != PGP_OK) {
		pwlog_qid(LOG_WARNING, c->job->qid, "list %s: the post's signature cannot be "
			  "examined (%s): it is re-wrapped as it is", c->list->address, why);
		return JOB_DONE;
	}
	if (c->list->attest == PW_LIST_ATTEST_ALWAYS) {
		*yes = true;
		(void)opgp_sig_recipients(*inner, *ilen, dec->plain_len + 65536, rc, why,
					  sizeof(why));
		return JOB_DONE;
	}
	/* the packets hold the decrypted content once more, plus headers and signatures */
	os = opgp_sig_recipients(*inner, *ilen, dec->plain_len + 65536, rc, why, sizeof(why));
	if (os == OPGP_E_NOMEM)
		return JOB_RETRY;
	if (os != OPGP_OK) {
		pwlog_qid(LOG_WARNING, c->job->qid, "list %s: the poster's signature packets "
			  "cannot be read (%s): the list attests the post, to be safe",
			  c->list->address, why);
		*yes = true;
	} else {
		*yes = rc->n_naming > 0;
	}
	return JOB_DONE;
}

/* run_attest - the N subscribers ITEMS (keys ENCS, subkeys SUBFPRS) get the list's
 * attestation of post C (decrypted into DEC; INNER the packets inside its encryption; RC the
 * recipients its signatures name): built and signed once, encrypted once as SEIPD version 1,
 * one PKESK per subscriber (gpg for keys the re-wrap cannot serve, through GF, whose items
 * and subkeys are set) */
static enum job_outcome run_attest(struct job_ctx *c, const struct pgp_decrypted *dec,
				   const uint8_t *inner, size_t ilen,
				   const struct opgp_sigrcpts *rc, const size_t *items,
				   const struct opgp_enckey **encs, size_t n,
				   const struct listpost_copy_args *a, struct gpg_fallback *gf)
{
	struct attest_info info = {
		.list = c->list->address, .list_fpr = c->list->openpgp_fpr,
		.poster = c->job->poster, .dec = dec, .rcpts = rc, .inner = inner,
		.inner_len = ilen,
	};
	struct attest_built b;
	struct copies_pgp cp;
	char why[256];
	enum pgp_status st;
	enum job_outcome out;

	if ((st = attest_build(&info, &b, why, sizeof(why))) != PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: the attestation could not be made: %s",
			  c->list->address, why);
		if (st != PGP_E_FORMAT)
			return JOB_RETRY;
		/* no secret list key to sign with: nothing to try again */
		pool_report_add(&c->report, "The post could not be attested: %s", why);
		return fail_open(c, "the list could not attest the post");
	}
	pwlog_qid(LOG_INFO, c->job->qid, "list %s: %s: the %zu subscriber(s) get the list's "
		  "attestation, signed by the list key %s: a statement (poster's key %s, "
		  "signature %s), the post, and the poster's signed message attached",
		  c->list->address, rc->n_naming > 0 ? "the poster's signature names intended "
		  "recipients" : "attest always", n, c->list->openpgp_fpr,
		  dec->n_sigs > 0 && dec->sigs[0].fpr[0] ? dec->sigs[0].fpr : "none",
		  dec->n_sigs == 0 ? "none" : dec->sigs[0].good ? "good" : dec->sigs[0].why);
	/* keys only gpg can use: gpg encrypts the same literal data packet for them */
	if (gf->inner != NULL) {
		OPENSSL_cleanse(gf->inner, gf->inner_len);
		free(gf->inner);
	}
	gf->inner = b.literal;
	gf->inner_len = b.literal_len;
	gf->tried = true;
	gf->st = PGP_OK;
	b.literal = NULL;
	cp = (struct copies_pgp){
		.algo = b.algo, .key = b.key, .keylen = b.keylen, .data = b.data,
		.data_len = b.data_len, .pkesk_version = 3, .keys = encs,
		.msg = (const char *)c->job->post, .msg_len = c->job->post_len, .post = &c->post,
		.args = a, .fallback = gpg_copy, .fallback_ctx = gf,
	};
	out = fan_out(c, &copies_pgp_ops, &cp, items, n);
	attest_built_clear(&b);
	return out;
}

/* run_openpgp - every open subscriber of an OpenPGP post */
/* run_roster - a post to a list that publishes its roster, encrypted by the poster to every
 * open subscriber's roster key (rosterlist.h): each copy is that subscriber's PKESKs before
 * the post's untouched encrypted data, and nothing is decrypted.  False when the post is
 * not such a post now (the subscribers or their keys changed since it was accepted): the
 * usual path then */
static bool run_roster(struct job_ctx *c, enum job_outcome *out)
{
	const char **members = calloc(c->job->n_rcpts + 1, sizeof(*members));
	size_t *items = calloc(c->job->n_rcpts + 1, sizeof(*items)), n = 0;
	struct rosterlist_judged j;
	struct listpost_copy_args a;
	struct roster_copies rc;
	char why[300], list_id[300];
	bool done = false;

	if (members == NULL || items == NULL)
		goto out;
	for (size_t i = 0; i < c->job->n_rcpts; i++)
		if (!c->job->done[i]) {
			items[n] = i;
			members[n++] = c->job->rcpts[i];
		}
	if (n == 0 || !rosterlist_judge(spool_dir(c->w->p->spool), c->cfg->gnupg_home, c->list,
					members, n, c->post.payload, c->post.payload_len, &j, why,
					sizeof(why)))
		goto out;
	if (j.rp.verdict == ROSTER_DELIVER) {
		copy_args(c, &a, list_id, sizeof(list_id));
		rc = (struct roster_copies){ .rp = &j.rp, .ix = &j.ix, .members = j.members,
					     .msg = (const char *)c->job->post,
					     .msg_len = c->job->post_len, .post = &c->post, .args = &a };
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: roster post: %zu copies of the poster's "
			  "encryption, not decrypted", c->list->address, n);
		*out = fan_out(c, &roster_copies_ops, &rc, items, n);
		done = true;
	} else {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: roster verdict now %s (%zu missing): "
			  "the usual path", c->list->address, roster_verdict_name(j.rp.verdict),
			  j.rp.n_missing);
	}
	rosterlist_judged_clear(&j);
out:
	free(members);
	free(items);
	return done;
}

static enum job_outcome run_openpgp(struct job_ctx *c)
{
	struct pgp_decrypted dec;
	struct opgp_split sp;
	struct listpost_copy_args a;
	struct copies_pgp cp;
	struct key_fetch kf;
	struct gpg_fallback gf;
	struct pgp_key *keys = NULL;
	const char **fprs = NULL, **subfprs = NULL;
	const struct opgp_enckey **encs = NULL, **lencs = NULL;
	size_t *which = NULL, *items = NULL, *nokey = NULL, nk = 0, ni = 0, nn = 0, ngpg = 0;
	size_t *litems = NULL, nl = 0;
	unsigned need;
	size_t alloc = c->job->n_rcpts ? c->job->n_rcpts : 1;
	uint8_t *bin = NULL, *inner = NULL;
	size_t binlen = 0, ilen = 0;
	struct opgp_sigrcpts rc;
	bool attest = false;
	char why[256], list_id[300];
	enum job_outcome out = JOB_DONE;
	enum pgp_status dst;
	pthread_t kt;
	bool threaded = false, handed = false;
	time_t now = time(NULL);
	struct keyhand_secret ks;

	if (c->list->roster == PW_LIST_ROSTER_PUBLISH && c->job->role == NULL &&
	    run_roster(c, &out))
		return out;
	memset(&dec, 0, sizeof(dec));
	memset(&gf, 0, sizeof(gf));
	pthread_mutex_init(&gf.lock, NULL);
	fprs = calloc(alloc, sizeof(*fprs));
	subfprs = calloc(alloc, sizeof(*subfprs));
	which = calloc(alloc, sizeof(*which));
	items = calloc(alloc, sizeof(*items));
	nokey = calloc(alloc, sizeof(*nokey));
	encs = calloc(alloc, sizeof(*encs));
	keys = calloc(alloc, sizeof(*keys));
	litems = calloc(alloc, sizeof(*litems));
	lencs = calloc(alloc, sizeof(*lencs));
	if (!keys_begin(c, "openpgp") || fprs == NULL || which == NULL || items == NULL ||
	    nokey == NULL || encs == NULL || keys == NULL || subfprs == NULL || litems == NULL ||
	    lencs == NULL) {
		out = JOB_RETRY;
		goto done;
	}
	for (size_t i = 0; i < c->job->n_rcpts; i++) {
		const struct pw_list_sub *s;
		if (c->job->done[i])
			continue;
		s = pw_list_find_sub(c->list, c->job->rcpts[i]);
		if (s == NULL || s->fpr[0] == '\0') {
			nokey[nn++] = i;
			continue;
		}
		fprs[nk] = s->fpr;
		which[nk++] = i;
	}
	/* the keys come from gpg (or the cache) while gpg decrypts the post */
	kf = (struct key_fetch){ .fprs = fprs, .n = nk, .keys = keys, .st = PGP_OK };
	if (nk > 0)
		threaded = pthread_create(&kt, NULL, key_fetch_main, &kf) == 0;
	/* the SMTP session's session key (keyhand.h), else a decryption of our own */
	if ((handed = keyhand_take(c->job->id, &ks, now))) {
		dec.algo = ks.algo;
		memcpy(dec.key, ks.key, sizeof(dec.key));
		dec.keylen = ks.keylen;
		dec.plain_len = ks.plain_len;
		OPENSSL_cleanse(&ks, sizeof(ks));
		dst = PGP_OK;
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: session key from the SMTP session, "
			  "no second decryption", c->list->address);
	} else {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: no session key in memory (a resumed or "
			  "retried job): the post is decrypted again", c->list->address);
		dst = pgp_decrypt(c->post.payload, c->post.payload_len, &dec, why, sizeof(why));
	}
	if (threaded)
		pthread_join(kt, NULL);
	else if (nk > 0)
		key_fetch_main(&kf);
	if (dst != PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: the post no longer decrypts: %s",
			  c->list->address, why);
		pool_report_add(&c->report, "The post could not be decrypted with the list key: %s", why);
		out = fail_open(c, "the post could not be decrypted");
		goto done;
	}
	if (opgp_dearmor((const char *)c->post.payload, c->post.payload_len, &bin, &binlen) != OPGP_OK ||
	    opgp_split(bin, binlen, &sp, why, sizeof(why)) != OPGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: damaged OpenPGP data", c->list->address);
		out = fail_open(c, "the post is damaged");
		goto done;
	}
	for (size_t j = 0; j < nn; j++) {
		const struct pw_list_sub *s = pw_list_find_sub(c->list, c->job->rcpts[nokey[j]]);
		if (s != NULL ? !fail_key(c, nokey[j], "the list has no OpenPGP key of yours",
					  "none listed") :
		    !fail_sub(c, nokey[j], "no longer subscribed", false)) {
			out = JOB_BROKEN;
			goto done;
		}
	}
	if (kf.st != PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: key lookup failed: %s", c->list->address,
			  kf.why);
		if (given_up(c)) {
			char giveup[400];
			snprintf(giveup, sizeof(giveup), "subscriber keys could not be looked up "
				 "within list_max_queue_time: %s", kf.why);
			out = fail_open(c, giveup);
		} else {
			out = JOB_RETRY;
		}
		goto done;
	}
	for (size_t k = 0; k < nk; k++) {
		size_t i = which[k];
		if (keys[k].state != PGP_KEY_OK) {
			char reason[240], token[240];
			key_reason(&keys[k], fprs[k], reason, sizeof(reason), token, sizeof(token));
			if (!fail_key(c, i, reason, token)) {
				out = JOB_BROKEN;
				goto done;
			}
			continue;
		}
		if (c->cfg->list_key_max_age && keys[k].refreshed &&
		    now - keys[k].refreshed > (time_t)c->cfg->list_key_max_age * 86400) {
			pwlog_qid(LOG_WARNING, c->job->qid, "list %s: key %s of <%s> not refreshed "
				  "for %lld days", c->list->address, fprs[k], c->job->rcpts[i],
				  (long long)((now - keys[k].refreshed) / 86400));
			pool_report_add(&c->report, "  <%s>: warning: key %s not refreshed for %lld days",
				   c->job->rcpts[i], fprs[k],
				   (long long)((now - keys[k].refreshed) / 86400));
		}
		items[ni] = i;
		subfprs[ni] = keys[k].subfpr;
		ngpg += keys[k].gpg_only;
		encs[ni++] = keys[k].gpg_only ? NULL : &keys[k].enc;
	}
	if (nk > 0)
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: %zu subscriber key(s), %zu from the "
			  "cache, %zu usable%s%.0zu%s; %s, v%d PKESKs", c->list->address, nk,
			  kf.cached, ni, ngpg ? " (" : "", ngpg, ngpg ? " through gpg)" : "",
			  opgp_format_name(sp.format), opgp_format_pkesk_version(sp.format));
	copy_args(c, &a, list_id, sizeof(list_id));
	gf.c = c;
	gf.items = items;
	gf.subfprs = subfprs;
	if ((out = attest_decide(c, &dec, &inner, &ilen, &rc, &attest)) != JOB_DONE)
		goto done;
	/* the attestation quotes the content and the signatures: a decryption of our own */
	if (attest && handed &&
	    (dst = pgp_decrypt(c->post.payload, c->post.payload_len, &dec, why, sizeof(why))) !=
	    PGP_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: the post no longer decrypts: %s",
			  c->list->address, why);
		out = JOB_RETRY;
		goto done;
	}
	if (attest) {
		out = run_attest(c, &dec, inner, ilen, &rc, items, encs, ni, &a, &gf);
		goto done;
	}
	if (inner != NULL) {		/* gpg's copies need these packets: taken once */
		gf.inner = inner;
		gf.inner_len = ilen;
		gf.tried = true;
		gf.st = PGP_OK;
		inner = NULL;
	}
	cp = (struct copies_pgp){
		.algo = dec.algo, .key = dec.key, .keylen = dec.keylen,
		.data = bin + sp.data_off, .data_len = sp.data_len,
		.pkesk_version = opgp_format_pkesk_version(sp.format), .keys = encs,
		.msg = (const char *)c->job->post, .msg_len = c->job->post_len, .post = &c->post,
		.args = &a, .fallback = gpg_copy, .fallback_ctx = &gf,
	};
	/* AEAD data goes as it is to the keys that announce its format (features subpacket);
	 * the others get one SEIPDv1 re-encryption for all of them, never nothing; keys only
	 * gpg can use stay with the first group: gpg encrypts the unwrapped packets for them */
	if ((need = opgp_format_feature(sp.format)) != 0) {
		size_t nat = 0;
		for (size_t k = 0; k < ni; k++) {
			if (encs[k] == NULL || (encs[k]->features & need)) {
				items[nat] = items[k];
				subfprs[nat] = subfprs[k];
				encs[nat++] = encs[k];
			} else {
				litems[nl] = items[k];
				lencs[nl++] = encs[k];
			}
		}
		ni = nat;
	}
	out = fan_out(c, &copies_pgp_ops, &cp, items, ni);
	if (out == JOB_DONE && nl > 0)
		out = run_legacy(c, &gf, &cp, litems, lencs, nl, sp.format);
done:
	keys_end(c);
	if (inner != NULL) {
		OPENSSL_cleanse(inner, ilen);
		free(inner);
	}
	if (gf.inner != NULL) {
		OPENSSL_cleanse(gf.inner, gf.inner_len);
		free(gf.inner);
	}
	pthread_mutex_destroy(&gf.lock);
	free(subfprs);
	for (size_t k = 0; keys && k < nk; k++)
		pgp_key_clear(&keys[k]);
	free(keys);
	free(fprs);
	free(which);
	free(items);
	free(nokey);
	free(encs);
	free(litems);
	free(lencs);
	free(bin);
	pgp_decrypted_clear(&dec);
	return out;
}

/* run_smime - every open subscriber of an S/MIME post */
static enum job_outcome run_smime(struct job_ctx *c)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct smime_post *sp = NULL;
	struct listpost_copy_args a;
	struct copies_smime cs;
	size_t *items = NULL, ni = 0;
	const char **certs = NULL;
	char why[256], list_id[300];
	enum job_outcome out = JOB_DONE;

	if (c->list->smime_cert == NULL || c->list->smime_key == NULL ||
	    (cert = load_x509(c->list->smime_cert)) == NULL ||
	    (key = load_key(c->list->smime_key)) == NULL) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: cannot load the list's S/MIME key or "
			  "certificate", c->list->address);
		out = JOB_RETRY;
		goto done;
	}
	/* opened once here to know it still opens; the builders open their own */
	if (smime_open(c->post.payload, c->post.payload_len, key, cert, &sp, NULL, NULL, NULL, 0,
		       why, sizeof(why)) != SMIME_OK) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: the post no longer decrypts: %s",
			  c->list->address, why);
		out = fail_open(c, "the post could not be decrypted");
		goto done;
	}
	smime_post_free(sp);
	items = calloc(c->job->n_rcpts ? c->job->n_rcpts : 1, sizeof(*items));
	certs = calloc(c->job->n_rcpts ? c->job->n_rcpts : 1, sizeof(*certs));
	if (!keys_begin(c, "smime") || items == NULL || certs == NULL) {
		out = JOB_RETRY;
		goto done;
	}
	for (size_t i = 0; i < c->job->n_rcpts; i++) {
		const struct pw_list_sub *s;
		if (c->job->done[i])
			continue;
		s = pw_list_find_sub(c->list, c->job->rcpts[i]);
		if (s == NULL || s->smime_cert == NULL) {
			if (s != NULL ? !fail_key(c, i, "the list has no S/MIME certificate of yours",
						  "none listed") :
			    !fail_sub(c, i, "no longer subscribed", false)) {
				out = JOB_BROKEN;
				goto done;
			}
			continue;
		}
		items[ni] = i;
		certs[ni++] = s->smime_cert;
	}
	copy_args(c, &a, list_id, sizeof(list_id));
	cs = (struct copies_smime){
		.der = c->post.payload, .der_len = c->post.payload_len, .list_key = key,
		.list_cert = cert, .certs = certs, .msg = (const char *)c->job->post,
		.msg_len = c->job->post_len, .post = &c->post, .args = &a,
	};
	out = fan_out(c, &copies_smime_ops, &cs, items, ni);
done:
	keys_end(c);
	free(items);
	free(certs);
	EVP_PKEY_free(key);
	X509_free(cert);
	return out;
}

/* finish_job - owner report, then remove the job from the spool */
static void finish_job(struct job_ctx *c)
{
	char why[256];
	const char *role = c->job->role ? c->job->role : "post";
	bool owner = strcmp(role, "owner") == 0;
	/* a post's or the owners' message's problems go to the owner; the answers of the other
	 * addresses are logged only (a report per unanswered robot would be noise) */
	if (c->report.len > 0 && (owner || strcmp(role, "post") == 0)) {
		char subject[400];
		struct report body = { 0 };
		snprintf(subject, sizeof(subject), "[%s] list %s report", c->list->address,
			 owner ? "owner message" : "post");
		pool_report_add(&body, "A %s %s from <%s> (queue id %s) was sent to %zu of its %zu",
				owner ? "message to the owners of" : "post to", c->list->address,
				c->job->poster, c->job->qid, c->job->n_sent, c->job->n_rcpts);
		pool_report_add(&body, "%s.  Problems:", owner ? "recipients" : "subscribers");
		pool_report_add(&body, "%s", "");
		if (body.text != NULL) {
			size_t need = body.len + c->report.len + 100;
			char *all = malloc(need);
			if (all != NULL) {
				snprintf(all, need, "%s%s%s", body.text, c->report.text,
					 c->report.dropped ? "  (more lines left out)\r\n" : "");
				send_own(c->w, c->job->qid, c->list->bounce, c->list->owner, subject, all);
				free(all);
			}
		}
		free(body.text);
	}
	if (spool_sync(c->job, why, sizeof(why)) != SPOOL_OK ||
	    spool_finish(c->w->p->spool, c->job, why, sizeof(why)) != SPOOL_OK)
		pwlog_qid(LOG_ERR, c->job->qid, "list spool: %s", why);
	pwlog_qid(LOG_INFO, c->job->qid, "list %s: %s %s done: %zu sent, %zu failed",
		  c->list->address, strcmp(role, "post") == 0 ? "post" : role, c->job->id, c->sent,
		  c->failed);
}

/* keyed_job - an owner job the pool re-wraps like a post: OpenPGP, for subscribers (the
 * owners with keys; else service_forward sends it as it came) */
static bool keyed_job(const struct job_ctx *c)
{
	return (c->post.kind == LISTPOST_PGPMIME || c->post.kind == LISTPOST_PGPINLINE) &&
	       c->job->n_rcpts > 0 && pw_list_find_sub(c->list, c->job->rcpts[0]) != NULL;
}

/* run_job - one job, from the spool to the MTA */
static enum job_outcome run_job(struct worker *w, const char *id)
{
	struct spool_job job;
	struct job_ctx c;
	struct pw_snapshot *snap;
	char why[256];
	enum job_outcome out;

	memset(&c, 0, sizeof(c));
	if (spool_load(w->p->spool, id, &job, why, sizeof(why)) != SPOOL_OK) {
		pwlog(LOG_ERR, "list spool: job %s left in %s: %s", id, spool_dir(w->p->spool), why);
		return JOB_BROKEN;
	}
	if ((snap = snapshot_acquire()) == NULL) {
		spool_job_clear(&job);
		return JOB_RETRY;
	}
	c.w = w;
	c.job = &job;
	c.cfg = &snap->cfg;
	if ((c.list = pw_lists_find(&snap->lists, job.list)) == NULL) {
		pwlog_qid(LOG_ERR, job.qid, "list %s is no longer defined: job %s stays in %s",
			  job.list, id, spool_dir(w->p->spool));
		out = JOB_BROKEN;
		goto out;
	}
	{
		const char *at = strrchr(c.list->address, '@');
		const struct dkim_signer *const *own;
		size_t nown = snapshot_list_signers(snap, c.list, &own);	/* dkim_key */
		w->nsigners = at == NULL ? 0 :
			      dkim_keyring_find(snap->signing, at + 1, own, nown, w->signers,
						DKIM_SIGN_MAX_SIGNERS);
	}
	if (!make_smtp(w, snap->cfg.list_reinject, why, sizeof(why))) {
		pwlog_qid(LOG_ERR, job.qid, "list %s: %s", c.list->address, why);
		out = JOB_RETRY;
		goto out;
	}
	if (!listpost_parse((const char *)job.post, job.post_len, &c.post)) {
		out = JOB_RETRY;
		goto out;
	}
	c.lists = &snap->lists;
	if (job.role != NULL && strcmp(job.role, "post") != 0 &&
	    !(strcmp(job.role, "owner") == 0 && keyed_job(&c))) {
		out = service_run(&c);
		goto settle;
	}
	if (job.role == NULL && !service_disabled(&c)) {
		out = JOB_BROKEN;
		goto out;
	}
	copy_header(&c, snap);
	pwlog_qid(LOG_INFO, job.qid, "list %s: %s %s: %zu of %zu %s to go", c.list->address,
		  job.role ? "message to the owners" : "post", id, job.n_rcpts - job.n_done,
		  job.n_rcpts, job.role ? "owners" : "subscribers");
	switch (c.post.kind) {
	case LISTPOST_PGPMIME:
	case LISTPOST_PGPINLINE:
		out = run_openpgp(&c);
		break;
	case LISTPOST_SMIME:
		out = run_smime(&c);
		break;
	default:
		pwlog_qid(LOG_ERR, job.qid, "list %s: job %s holds no encrypted post (%s); left in %s",
			  c.list->address, id, c.post.why, spool_dir(w->p->spool));
		out = JOB_BROKEN;
		break;
	}
settle:
	if (out == JOB_DONE && job.n_done == job.n_rcpts)
		finish_job(&c);
	else if (out == JOB_DONE)
		out = JOB_RETRY;
	else
		spool_sync(&job, why, sizeof(why));
out:
	listpost_clear(&c.post);
	free(c.report.text);
	free(c.request);
	free(c.owner);
	free(c.autocrypt);
	w->nsigners = 0;	/* the snapshot that owns them goes */
	spool_job_clear(&job);
	snapshot_release(snap);
	return out;
}

/* worker_main - take jobs until stopped */
static void *worker_main(void *arg)
{
	struct worker w = { .p = arg };
	char id[SPOOL_ID_LEN];

	while (take_job(w.p, id)) {
		unsigned backoff = BACKOFF_MIN;
		for (;;) {
			enum job_outcome o = run_job(&w, id);
			if (o != JOB_RETRY)
				break;
			pwlog(LOG_INFO, "list: job %s: trying again in %u s", id, backoff);
			if (!pause_for(w.p, backoff))
				break;
			backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
		}
		job_done(w.p);
	}
	smtp_close(w.smtp);
	return NULL;
}

/* pool_start - threads and the resumed jobs */
struct pool *pool_start(const struct pool_config *cfg, char *why, size_t len)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->spool = cfg->spool;
	p->cap = cfg->queue_size ? cfg->queue_size : 1;
	if ((p->ring = calloc(p->cap, sizeof(*p->ring))) == NULL ||
	    (p->helo = strdup(cfg->helo)) == NULL ||
	    (p->threads = calloc(cfg->workers ? cfg->workers : 1, sizeof(*p->threads))) == NULL) {
		snprintf(why, len, "out of memory");
		pool_stop(p);
		return NULL;
	}
	if (spool_pending(p->spool, &p->backlog, &p->n_backlog, why, len) != SPOOL_OK) {
		pool_stop(p);
		return NULL;
	}
	if (p->n_backlog > 0)
		pwlog(LOG_NOTICE, "list spool %s: resuming %zu post(s)", spool_dir(p->spool),
		      p->n_backlog);
	for (unsigned i = 0; i < (cfg->workers ? cfg->workers : 1); i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
			snprintf(why, len, "cannot start list worker %u", i + 1);
			pool_stop(p);
			return NULL;
		}
		p->n_threads++;
	}
	return p;
}

/* pool_stop - stop, join, free */
void pool_stop(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->count + p->n_backlog - p->backlog_pos > 0)
		pwlog(LOG_INFO, "list: %zu post(s) stay in the spool for the next start",
		      p->count + p->n_backlog - p->backlog_pos);
	keyhand_clear();	/* the session keys of posts no worker took: wiped */
	spool_ids_free(p->backlog, p->n_backlog);
	free(p->threads);
	free(p->ring);
	free(p->helo);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
