/*
 * milter/lists/pool-int.h - what the worker pool's parts share: the pool and worker structures,
 * one job's context, and the worker's means of sending (pool.c) that the handlers of the list's
 * other addresses (service.c: -owner forwards, -sendkey, -request, -bounces) use.  Included only
 * inside milter/lists/; the public contract is pool.h.  Locks: as pool.h says; a job context
 * belongs to the worker thread running the job.
 */
#ifndef POSTWARD_MILTER_POOL_INT_H
#define POSTWARD_MILTER_POOL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "dkim/dkim-sign.h"
#include "listfile.h"
#include "listpost.h"
#include "pool.h"
#include "spool.h"

#define REPORT_MAX_LINES 200		/* lines listed in one owner report */

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* guarded by lock: */
	char (*ring)[SPOOL_ID_LEN];
	size_t cap, head, count, reserved, in_hand;
	char **backlog;			/* resumed job ids, taken before the ring */
	size_t n_backlog, backlog_pos;
	bool stopping;
	/* read-only after pool_start: */
	struct spool *spool;
	char *helo;
	pthread_t *threads;
	unsigned n_threads;
};

enum job_outcome { JOB_DONE, JOB_RETRY, JOB_STOPPED, JOB_BROKEN };

/* per-worker state */
struct worker {
	struct pool *p;
	struct smtp_client *smtp;
	char target[300];		/* list_reinject the client was made for */
	unsigned long serial;		/* notices and reports sent (Message-ID fallback) */
	/* the DKIM signers of the job in hand (its list's domain; none: unsigned), borrowed
	 * from the job's snapshot for as long as the job runs */
	const struct dkim_signer *signers[DKIM_SIGN_MAX_SIGNERS];
	size_t nsigners;
};

/* report - a growing text for the owner */
struct report {
	char *text;
	size_t len, cap;
	size_t lines, dropped;
};

/* key_fail - a subscriber whose key nothing can use, for the notice ledger */
struct key_fail {
	size_t i;			/* index in the job's rcpts */
	char reason[240];		/* for the notice: what is wrong with the key */
	char token[240];		/* the key state the notice is about (notices.h) */
};

struct job_ctx {
	struct worker *w;
	struct spool_job *job;
	const struct pw_list *list;
	const struct pw_lists *lists;	/* the snapshot's lists, for role lookups */
	const struct pw_config *cfg;
	struct listpost post;
	struct report report;
	size_t sent, failed;
	/* the copies' header (posts and owner messages; run_job): */
	char *request, *owner;		/* owned: the role addresses, or NULL when off */
	bool from_rewrite;		/* fromrewrite_decide for the post's author */
	uint8_t *autocrypt;		/* owned: the list's minimal certificate, when rewriting */
	size_t autocrypt_len;
	/* in run_openpgp and run_smime (NULL elsewhere): */
	const char *kind;		/* "openpgp" or "smime": the first word of the tokens */
	struct key_fail *kfail;		/* subscribers without a copy because of their key */
	size_t n_kfail;
	bool *got;			/* per rcpt: a copy was accepted in this run */
};

/* pool_report_add - one line (printf-style) for the owner's report */
void pool_report_add(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* pool_send_own - a message of postward's own from the null sender to TO, header From FROM:
 * EXTRA (header lines ending in CRLF, or NULL) and Auto-Submitted: auto-replied when REPLY
 * (RFC 3834), else auto-generated; CTYPE the Content-Type value (NULL: text/plain;
 * charset=utf-8) and BODY the body, or CTYPE "" and BODY a whole MIME entity (its Content-*
 * fields, the empty line, its body; CRLF); true when the MTA accepted it */
bool pool_send_own(struct worker *w, const char *qid, const char *from, const char *to,
		   const char *subject, const char *extra, bool reply, const char *ctype,
		   const char *body);
/* pool_mark - record recipient I of C's job as finished (OK, or failed with WHY, logged and
 * reported); false on a spool error */
bool pool_mark(struct job_ctx *c, size_t i, bool ok, const char *why);
/* service_run - a job for one of the list's addresses other than the list's own (role not
 * "post"; service.c) */
enum job_outcome service_run(struct job_ctx *c);
/* service_reply_refs - In-Reply-To and References lines (CRLF) naming the Message-ID of C's
 * message when it has a sane one, else "" */
void service_reply_refs(const struct job_ctx *c, char *out, size_t len);
/* service_bounces - a job of the bounces address: the bounce ledger (bouncejob.c) */
enum job_outcome service_bounces(struct job_ctx *c);
/* service_disabled - a post's subscribers disabled after bounces marked done without a copy;
 * false on a spool error */
bool service_disabled(struct job_ctx *c);
/* service_put_crlf - T (N octets) to F with its line ends made CRLF */
void service_put_crlf(FILE *f, const char *t, size_t n);
/* service_help - a plain help request to the request address (the List-* links): how
 * commands work, RFC 3834 permitting (service.c) */
enum job_outcome service_help(struct job_ctx *c);
/* service_request - a job of the request address: signed commands (commands.c) */
enum job_outcome service_request(struct job_ctx *c);
/* service_forward - an owner job whose recipients have no keys: the message as it came */
enum job_outcome service_forward(struct job_ctx *c);
/* pool_given_up - has C's job been queued longer than list_max_queue_time */
bool pool_given_up(const struct job_ctx *c);

#endif
