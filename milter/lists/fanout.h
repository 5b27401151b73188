/*
 * milter/lists/fanout.h - the copies of one list post, built on several threads while the list
 * worker sends them in order.
 *
 * A fan-out has N items (the subscribers that get a copy, in the worker's order).
 * fanout_start() starts T builder threads that call OPS->build for k = 0..N-1, each item once,
 * never more than WINDOW items ahead of the consumer; the consumer (the list worker) takes
 * the results strictly in order with fanout_take(), sends each copy and frees it.  With T = 0,
 * or N < 2, no thread is started: fanout_take() builds item k itself (same results).  So the
 * memory held is at most WINDOW copies, and a slow MTA slows the builders down instead of
 * filling memory.
 *
 * OPS->build must be safe to run at once for distinct k: it reads CTX only, and everything
 * CTX points to stays unchanged until fanout_stop() returns.  What must not be shared goes
 * in per-thread state: OPS->thread_init(CTX) (optional) makes it in each builder thread (and
 * once for the consumer when it builds itself), OPS->thread_fini releases it; build gets it
 * as TSTATE.  A thread whose thread_init fails (returns NULL) builds nothing: its items are
 * answered FANOUT_FAIL.
 * build returns FANOUT_BUILT with *COPY malloc'd (the caller of fanout_take frees it),
 * FANOUT_SKIP with a reason in WHY for a failure particular to that subscriber (no copy; the
 * worker sends a notice and reports it), or FANOUT_FAIL with a reason for a failure of the
 * whole post (out of memory: the worker keeps the job and tries again later).
 *
 * Locking: a struct fanout's ring of results, its counters and its stop flag are guarded by
 * its mutex.  A copy belongs to the builder until it is published in the ring (under the
 * lock), then to the fan-out, then, once taken, to the consumer.  fanout_stop() may be called
 * at any point: builders finish the item in hand and exit, copies never taken are freed.
 * One consumer thread per fan-out.
 */
#ifndef POSTWARD_MILTER_FANOUT_H
#define POSTWARD_MILTER_FANOUT_H

#include <stddef.h>

#define FANOUT_MAX_THREADS 64
#define FANOUT_WHY 200			/* room for a reason, with the NUL */

enum fanout_result { FANOUT_BUILT, FANOUT_SKIP, FANOUT_FAIL };

struct fanout_ops {
	enum fanout_result (*build)(const void *ctx, void *tstate, size_t k, char **copy,
				    size_t *len, char *why, size_t whylen);
	void *(*thread_init)(const void *ctx);	/* may be NULL */
	void (*thread_fini)(void *tstate);	/* may be NULL */
};

struct fanout;

/* fanout_start - start building N items with THREADS builders (0: in fanout_take) at most
 * WINDOW (>= 1) ahead; NULL when out of memory.  If fewer threads start than asked, the
 * ones that did carry the work (none: fanout_take builds) */
struct fanout *fanout_start(size_t n, unsigned threads, size_t window,
			    const struct fanout_ops *ops, const void *ctx);
/* fanout_take - the result for item K, which must be the next one (0, 1, 2, ...); waits for
 * it.  FANOUT_BUILT: *COPY and *LEN are the caller's; otherwise WHY says why */
enum fanout_result fanout_take(struct fanout *f, size_t k, char **copy, size_t *len, char *why,
			       size_t whylen);
/* fanout_stop - stop the builders, wait for them, free what was not taken (NULL is fine) */
void fanout_stop(struct fanout *f);
/* fanout_threads_started - builder threads actually running for F */
unsigned fanout_threads_started(const struct fanout *f);
/* fanout_cpus - online CPUs (at least 1, at most FANOUT_MAX_THREADS) */
unsigned fanout_cpus(void);

#endif
