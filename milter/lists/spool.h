/*
 * milter/lists/spool.h - the durable queue of accepted list posts: nothing is lost on a crash.
 *
 * A job is one post to one list, with the subscribers it is for, fixed when the post was
 * accepted.  In the spool directory DIR:
 *     DIR/ID.post   the post exactly as the MTA gave it (header and body: ciphertext only;
 *                   the list's plaintext is never written anywhere)
 *     DIR/ID.job    the job: list, poster, queue id, flags, the list address the message
 *                   came to (role: post, owner, request, sendkey, bounces; a job without
 *                   one, as older versions wrote them, is a post) and for bounces the
 *                   subscriber its VERP tag names, then one "rcpt ADDRESS" line per
 *                   recipient (a post's subscribers; for the other roles whoever the
 *                   worker answers or forwards to).  Its presence is the commit point.
 *     DIR/ID.done   appended once per subscriber that is finished: "ok ADDRESS" after the MTA
 *                   accepted the copy, "fail ADDRESS REASON" after a permanent failure or a
 *                   skipped key
 *     DIR/tmp/      where files are written before they are renamed into place
 * spool_commit() writes DIR/tmp/ID.post and DIR/tmp/ID.job, fsyncs both, renames the post
 * and then the job into DIR and fsyncs DIR: once it returns SPOOL_OK the job survives a
 * crash or a power loss, and only then may the milter answer the MTA.  A crash half-way
 * leaves at most files in tmp/ (removed by spool_open) or an orphan .post without .job
 * (removed by spool_pending).
 * spool_mark() appends to ID.done with one write(2) per line, so a line is either whole or
 * absent after a kill -9; the file is fdatasync'ed every SPOOL_SYNC_EVERY lines and by
 * spool_sync().  After a crash the subscribers already marked are skipped; only copies
 * whose acceptance was not yet recorded are sent again (at least once, a duplicate only for
 * the copies in flight).  A torn last line (power loss) is ignored.  spool_finish() removes
 * the job when every subscriber is marked.
 *
 * Threads: struct spool is shared (its fields are read-only after spool_open; ID generation
 * uses an atomic counter); a struct spool_job belongs to one thread at a time (the milter
 * thread that commits it, then the worker that delivers it).
 * Limits: SPOOL_MAX_POST octets per post, SPOOL_MAX_RCPTS subscribers per job, line lengths
 * checked when reading back; a damaged job file is reported (SPOOL_E_CORRUPT) and left in
 * place for the administrator, never half-processed.
 */
#ifndef POSTWARD_MILTER_SPOOL_H
#define POSTWARD_MILTER_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SPOOL_MAX_POST (64u << 20)	/* octets */
#define SPOOL_MAX_RCPTS 1000000
#define SPOOL_SYNC_EVERY 64		/* done lines between fdatasync calls */
#define SPOOL_ID_LEN 37		/* 36 hex digits and the NUL: time, pid, counter */

enum spool_status {
	SPOOL_OK = 0,
	SPOOL_E_IO,			/* a system call failed: errno text in why */
	SPOOL_E_CORRUPT,		/* a job file does not parse */
	SPOOL_E_LIMIT,			/* a limit was exceeded */
	SPOOL_E_NOMEM,
};

struct spool;

struct spool_job {
	char id[SPOOL_ID_LEN];
	time_t queued;			/* when the job was committed (from its id) */
	char *list;			/* owned: list address */
	char *poster;			/* owned: envelope sender of the post ("" for <>) */
	char *qid;			/* owned: the MTA's queue id of the post */
	bool requiretls;		/* copies carry the REQUIRETLS tag */
	char *role;			/* owned or NULL: the role word ("post" when NULL or
					 * absent from the file; pw_list_role_name's words) */
	char *verp;			/* owned or NULL: bounces only, the subscriber address
					 * the VERP tag named */
	char **rcpts;			/* owned array of owned subscriber addresses */
	size_t n_rcpts;
	bool *done;			/* owned, per rcpt: marked in ID.done */
	size_t n_done;
	size_t n_sent;			/* of those, marked "ok" (sent) */
	uint8_t *post;			/* owned: the post (spool_load only) */
	size_t post_len;
	int done_fd;			/* open ID.done while marking, else -1 */
	unsigned unsynced;		/* lines appended since the last fdatasync */
};

/* spool_strerror - a short text for a status */
const char *spool_strerror(enum spool_status s);
/* spool_open - use DIR (created 0700 if missing, tmp/ inside cleaned); *OUT owned (close
 * with spool_close) */
enum spool_status spool_open(const char *dir, struct spool **out, char *why, size_t whylen);
/* spool_close - release (no job may be in use) */
void spool_close(struct spool *s);
/* spool_dir - the directory */
const char *spool_dir(const struct spool *s);
/* spool_commit - make J durable with POST (J->id is set); see the top comment */
enum spool_status spool_commit(struct spool *s, struct spool_job *j, const void *post,
			       size_t len, char *why, size_t whylen);
/* spool_pending - the IDs of committed jobs, oldest first; *IDS malloc'd array of malloc'd
 * strings (free with spool_ids_free); removes orphan .post files */
enum spool_status spool_pending(struct spool *s, char ***ids, size_t *n, char *why,
				size_t whylen);
/* spool_ids_free - release spool_pending's array */
void spool_ids_free(char **ids, size_t n);
/* spool_load - read job ID (its .job, .post and .done) into *J */
enum spool_status spool_load(struct spool *s, const char *id, struct spool_job *j, char *why,
			     size_t whylen);
/* spool_mark - record subscriber I of J as finished (OK, or failed with REASON) */
enum spool_status spool_mark(struct spool *s, struct spool_job *j, size_t i, bool ok,
			     const char *reason, char *why, size_t whylen);
/* spool_sync - fdatasync J's done file now */
enum spool_status spool_sync(struct spool_job *j, char *why, size_t whylen);
/* spool_finish - remove job J's files (every subscriber must be marked) */
enum spool_status spool_finish(struct spool *s, struct spool_job *j, char *why, size_t whylen);
/* spool_job_clear - release what *J owns (closes its done file) */
void spool_job_clear(struct spool_job *j);

#endif
