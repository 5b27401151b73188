/*
 * milter/lists/bouncejob.c - the worker's side of LIST-bounces: a bounce of a copy counts against
 * the subscriber it is about, and a subscriber whose score reaches the list's bounce_threshold
 * is disabled (gets no more copies) and the owner told.
 *
 * Contract (declared in pool-int.h):
 *   service_bounces(c)  a job of role "bounces": the message is read as a delivery status
 *       notification (policy/dsn.h; a bounce that is not one counts as "unknown").  The
 *       subscriber is the one the VERP tag of the address it came to names (spool job
 *       "verp"), and if there is none, each failed or delayed recipient of the report that
 *       is a subscriber (Final-Recipient, else Original-Recipient).  Each is recorded in the
 *       list's bounce ledger (bounces.h: hard 1, soft and unknown 1/2, one a day, scores
 *       older than the stale period start over); whoever reaches the threshold now is
 *       disabled, logged, and the owner gets a message saying who, with the score, the
 *       status and the reporting MTA.  Other reports (a read receipt, DSN_OTHER), and
 *       bounces about nobody on the list, are logged and dropped.  A bounce is never
 *       answered.
 *   service_disabled(c) for a post: the subscribers the ledger has disabled are marked done
 *       without a copy ("disabled after bounces"; no notice and no report line: the owner
 *       was told when they were disabled); false on a spool error.
 * The ledger's lock is held alone and never while mail is sent (bounces.h).  A ledger that
 * cannot be written keeps the job for the worker's next try (nothing counted twice: the job
 * is marked done only after the ledger is written).
 */
#include "build-config.h"
#include "pool-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounces.h"
#include "dsn.h"
#include "log.h"

/* one subscriber a bounce is about */
struct hit {
	const struct pw_list_sub *sub;
	enum bounce_kind kind;
	char reason[200];
	struct bounce_outcome o;
};

/* kind_of - the ledger's kind for a report's class */
static enum bounce_kind kind_of(enum dsn_class cls)
{
	return cls == DSN_CLASS_HARD ? BOUNCE_HARD : cls == DSN_CLASS_SOFT ? BOUNCE_SOFT :
	       BOUNCE_UNKNOWN;
}

/* add_hit - SUB (once) with the class and the recipient's status as the reason */
static void add_hit(struct hit *h, size_t *n, size_t max, const struct pw_list_sub *sub,
		    enum dsn_class cls, const struct dsn_rcpt *r)
{
	for (size_t i = 0; i < *n; i++)
		if (h[i].sub == sub)
			return;
	if (*n >= max)
		return;
	h[*n].sub = sub;
	h[*n].kind = kind_of(cls);
	const char *st = r && r->status[0] ? r->status : dsn_class_name(cls);
	const char *dg = r ? r->diag : "";
	int room = (int)(sizeof(h[*n].reason) - 2 - strnlen(st, sizeof(h[*n].reason)));
	/* a long diagnostic is cut to what fits: the reason is for the owner */
	snprintf(h[*n].reason, sizeof(h[*n].reason), "%s%s%.*s", st, dg[0] ? " " : "",
		 room > 0 ? room : 0, dg);
	(*n)++;
}

/* tell_owner - who was disabled now */
static void tell_owner(struct job_ctx *c, const struct hit *h, const struct dsn *d)
{
	char subject[400], body[1500];
	snprintf(subject, sizeof(subject), "[%s] %s disabled after bounces", c->list->address,
		 h->sub->addr);
	snprintf(body, sizeof(body),
		 "The subscriber %s of the list %s gets no more copies: their\r\n"
		 "bounce score reached %.1f (the list's bounce_threshold is %u).\r\n\r\n"
		 "The last bounce: %s\r\nReported by: %s\r\n\r\n"
		 "To take them back, remove their line from the list's bounce ledger\r\n"
		 "(bounces/ in the list spool directory) while postward is stopped.\r\n",
		 h->sub->addr, c->list->address, h->o.score, c->list->bounce_threshold, h->reason,
		 d->reporting_mta[0] ? d->reporting_mta : "(not said)");
	pool_send_own(c->w, c->job->qid, c->list->bounce, c->list->owner, subject, NULL, false,
		      NULL, body);
}

/* service_bounces - see the top comment */
enum job_outcome service_bounces(struct job_ctx *c)
{
	const struct pw_list *l = c->list;
	struct dsn d;
	struct bounces b;
	struct hit h[DSN_MAX_RCPTS + 1];
	size_t n = 0;
	char why[300];
	time_t now = time(NULL);

	memset(&d, 0, sizeof(d));
	if (!dsn_parse((const char *)c->job->post, c->job->post_len, &d))
		return JOB_RETRY;
	if (d.result == DSN_OTHER) {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: a report that is no bounce (%s) to the "
			  "bounces address: dropped", l->address, d.why[0] ? d.why : "other");
		dsn_clear(&d);
		return pool_mark(c, 0, true, NULL) ? JOB_DONE : JOB_BROKEN;
	}
	if (c->job->verp != NULL) {
		const struct dsn_rcpt *r = NULL;
		const struct pw_list_sub *sub = pw_list_find_sub(l, c->job->verp);
		enum dsn_class cls = dsn_verdict(&d, c->job->verp, &r);
		if (sub != NULL && cls != DSN_CLASS_NONE)
			add_hit(h, &n, DSN_MAX_RCPTS, sub, cls, r);
	} else {
		for (size_t i = 0; i < d.nrcpt; i++) {
			const struct dsn_rcpt *r = &d.rcpt[i];
			const struct pw_list_sub *sub = pw_list_find_sub(l, r->final);
			if (sub == NULL && r->original[0])
				sub = pw_list_find_sub(l, r->original);
			if (sub != NULL && r->cls != DSN_CLASS_NONE)
				add_hit(h, &n, DSN_MAX_RCPTS, sub, r->cls, r);
		}
	}
	if (n == 0) {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: a bounce about no subscriber (%s%s%s): "
			  "dropped", l->address, c->job->verp ? "VERP " : "",
			  c->job->verp ? c->job->verp : "no VERP tag",
			  d.result == DSN_UNKNOWN ? ", not a DSN" : "");
		dsn_clear(&d);
		return pool_mark(c, 0, true, NULL) ? JOB_DONE : JOB_BROKEN;
	}
	if (!bounces_begin(spool_dir(c->w->p->spool), l->address, &b, why, sizeof(why))) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: bounce ledger: %s", l->address, why);
		dsn_clear(&d);
		return JOB_RETRY;
	}
	for (size_t i = 0; i < n; i++)
		if (!bounces_record(&b, h[i].sub->addr, h[i].kind, now, (double)l->bounce_threshold,
				    h[i].reason, &h[i].o))
			memset(&h[i].o, 0, sizeof(h[i].o));
	if (!bounces_end(&b, why, sizeof(why))) {
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: bounce ledger: %s", l->address, why);
		dsn_clear(&d);
		return JOB_RETRY;
	}
	for (size_t i = 0; i < n; i++) {
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: bounce for <%s> (%s, %s): score %.1f%s",
			  l->address, h[i].sub->addr, h[i].kind == BOUNCE_HARD ? "hard" :
			  h[i].kind == BOUNCE_SOFT ? "soft" : "unknown", h[i].reason, h[i].o.score,
			  h[i].o.counted ? "" : " (one a day counts)");
		if (h[i].o.crossed) {
			pwlog_qid(LOG_NOTICE, c->job->qid, "list %s: subscriber %s disabled by "
				  "bounces (score %.1f)", l->address, h[i].sub->addr, h[i].o.score);
			tell_owner(c, &h[i], &d);
		}
	}
	dsn_clear(&d);
	return pool_mark(c, 0, true, NULL) ? JOB_DONE : JOB_BROKEN;
}

/* service_disabled - a post's subscribers whom the ledger has disabled */
bool service_disabled(struct job_ctx *c)
{
	struct bounces b;
	char why[300];
	bool *off = calloc(c->job->n_rcpts + 1, sizeof(*off)), ok = true;
	size_t n = 0;

	if (off == NULL)
		return false;
	if (!bounces_begin(spool_dir(c->w->p->spool), c->list->address, &b, why, sizeof(why))) {
		/* without the ledger, send to everybody rather than to nobody */
		pwlog_qid(LOG_ERR, c->job->qid, "list %s: bounce ledger: %s", c->list->address, why);
		free(off);
		return true;
	}
	for (size_t i = 0; i < c->job->n_rcpts; i++)
		off[i] = !c->job->done[i] && bounces_disabled(&b, c->job->rcpts[i]);
	bounces_end(&b, why, sizeof(why));
	for (size_t i = 0; ok && i < c->job->n_rcpts; i++) {
		if (!off[i])
			continue;
		/* no notice and no line in the owner's report: the owner was told once, when
		 * the subscriber was disabled */
		ok = spool_mark(c->w->p->spool, c->job, i, false, "disabled after bounces", why,
				sizeof(why)) == SPOOL_OK;
		if (!ok)
			pwlog_qid(LOG_ERR, c->job->qid, "list spool: %s", why);
		c->failed++;
		n++;
	}
	if (n > 0)
		pwlog_qid(LOG_INFO, c->job->qid, "list %s: %zu subscriber(s) disabled after bounces "
			  "get no copy", c->list->address, n);
	free(off);
	return ok;
}
