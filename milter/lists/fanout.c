/*
 * milter/lists/fanout.c - a bounded, ordered producer/consumer for the copies of one list post.
 * Contract: see fanout.h.
 */
#include "build-config.h"
#include "fanout.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum slot_state { SLOT_EMPTY, SLOT_READY };

struct slot {
	enum slot_state state;
	size_t k;			/* the item it holds when READY */
	enum fanout_result r;
	char *copy;
	size_t len;
	char why[FANOUT_WHY];
};

struct fanout {
	pthread_mutex_t lock;
	pthread_cond_t ready;		/* a slot became READY */
	pthread_cond_t space;		/* the consumer took an item, or stop */
	/* guarded by lock: */
	struct slot *ring;		/* WINDOW slots; item k lives in slot k % window */
	size_t next;			/* the next item a builder claims */
	size_t taken;			/* items the consumer has taken */
	bool stop;
	/* read-only after fanout_start: */
	size_t n, window;
	const struct fanout_ops *ops;
	const void *ctx;
	pthread_t threads[FANOUT_MAX_THREADS];
	unsigned n_threads;
	/* the consumer's own, when it builds (no builder threads) */
	void *tstate;
	bool tstate_made;
};

/* build_one - run the build function, never leaving a copy with a failure */
static enum fanout_result build_one(struct fanout *f, void *tstate, bool have_state, size_t k,
				    char **copy, size_t *len, char *why, size_t whylen)
{
	enum fanout_result r;
	*copy = NULL;
	*len = 0;
	why[0] = '\0';
	if (!have_state) {
		snprintf(why, whylen, "cannot set up a copy builder");
		return FANOUT_FAIL;
	}
	r = f->ops->build(f->ctx, tstate, k, copy, len, why, whylen);
	if (r != FANOUT_BUILT) {
		free(*copy);
		*copy = NULL;
		*len = 0;
		if (why[0] == '\0')
			snprintf(why, whylen, "the copy could not be built");
	}
	return r;
}

/* builder - claim items in order, build, publish */
static void *builder(void *arg)
{
	struct fanout *f = arg;
	void *tstate = f->ops->thread_init ? f->ops->thread_init(f->ctx) : NULL;
	bool have_state = f->ops->thread_init == NULL || tstate != NULL;
	char why[FANOUT_WHY];

	pthread_mutex_lock(&f->lock);
	while (!f->stop && f->next < f->n) {
		size_t k;
		char *copy;
		size_t len;
		enum fanout_result r;
		struct slot *s;
		if (f->next >= f->taken + f->window) {
			pthread_cond_wait(&f->space, &f->lock);
			continue;
		}
		k = f->next++;
		pthread_mutex_unlock(&f->lock);
		r = build_one(f, tstate, have_state, k, &copy, &len, why, sizeof(why));
		pthread_mutex_lock(&f->lock);
		/* slot k % window is free: item k - window was taken before k was claimed */
		s = &f->ring[k % f->window];
		s->k = k;
		s->r = r;
		s->copy = copy;
		s->len = len;
		memcpy(s->why, why, sizeof(s->why));
		s->state = SLOT_READY;
		pthread_cond_broadcast(&f->ready);
	}
	pthread_mutex_unlock(&f->lock);
	if (tstate != NULL && f->ops->thread_fini != NULL)
		f->ops->thread_fini(tstate);
	return NULL;
}

/* fanout_start - the ring and the builders */
struct fanout *fanout_start(size_t n, unsigned threads, size_t window,
			    const struct fanout_ops *ops, const void *ctx)
{
	struct fanout *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->n = n;
	f->window = window ? window : 1;
	f->ops = ops;
	f->ctx = ctx;
	if (threads > FANOUT_MAX_THREADS)
		threads = FANOUT_MAX_THREADS;
	if (n < 2)
		threads = 0;
	if ((size_t)threads > n)
		threads = (unsigned)n;
	if (threads > 0 && (f->ring = calloc(f->window, sizeof(*f->ring))) == NULL)
		threads = 0;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->ready, NULL);
	pthread_cond_init(&f->space, NULL);
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&f->threads[i], NULL, builder, f) != 0)
			break;
		f->n_threads++;
	}
	return f;
}

/* fanout_take - item K, built by a builder or here */
enum fanout_result fanout_take(struct fanout *f, size_t k, char **copy, size_t *len, char *why,
			       size_t whylen)
{
	struct slot *s;
	enum fanout_result r;

	*copy = NULL;
	*len = 0;
	if (k != f->taken || k >= f->n) {
		snprintf(why, whylen, "copy %zu taken out of order", k);
		return FANOUT_FAIL;
	}
	if (f->n_threads == 0) {
		if (!f->tstate_made) {
			f->tstate = f->ops->thread_init ? f->ops->thread_init(f->ctx) : NULL;
			f->tstate_made = true;
		}
		f->taken++;
		return build_one(f, f->tstate, f->ops->thread_init == NULL || f->tstate != NULL, k,
				 copy, len, why, whylen);
	}
	pthread_mutex_lock(&f->lock);
	s = &f->ring[k % f->window];
	while (!(s->state == SLOT_READY && s->k == k))
		pthread_cond_wait(&f->ready, &f->lock);
	r = s->r;
	*copy = s->copy;
	*len = s->len;
	snprintf(why, whylen, "%s", s->why);
	s->copy = NULL;
	s->state = SLOT_EMPTY;
	f->taken++;
	pthread_cond_broadcast(&f->space);
	pthread_mutex_unlock(&f->lock);
	return r;
}

/* fanout_stop - stop, join, free */
void fanout_stop(struct fanout *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_broadcast(&f->space);
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < f->n_threads; i++)
		pthread_join(f->threads[i], NULL);
	for (size_t i = 0; f->ring != NULL && i < f->window; i++)
		free(f->ring[i].copy);
	if (f->tstate != NULL && f->ops->thread_fini != NULL)
		f->ops->thread_fini(f->tstate);
	free(f->ring);
	pthread_cond_destroy(&f->space);
	pthread_cond_destroy(&f->ready);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* fanout_threads_started - builders running */
unsigned fanout_threads_started(const struct fanout *f)
{
	return f->n_threads;
}

/* fanout_cpus - online CPUs, bounded */
unsigned fanout_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > FANOUT_MAX_THREADS ? FANOUT_MAX_THREADS : (unsigned)n;
}
