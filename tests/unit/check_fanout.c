/*
 * tests/unit/check_fanout.c - milter/lists/fanout.c: every item built once and taken in order with
 * 0 to 8 builder threads and windows of 1 to 64, builders never further ahead than the
 * window, per-thread state made and released once per thread, skips and failures handed
 * on with their reasons, a stop in the middle (nothing leaks: ASan), out-of-order takes
 * refused.  Contract: milter/lists/fanout.h.
 * Stand-alone Check program; exits non-zero on any failure.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists/fanout.h"

struct ctx {
	size_t window;
	atomic_size_t taken;		/* the consumer's count, raised before each take */
	atomic_size_t ahead_violations;	/* builds of k >= taken + window */
	atomic_size_t builds;
	atomic_int inits, finis;
	atomic_int *built_once;		/* per item: times built */
	size_t skip_every;		/* every Nth item is a skip (0: none) */
	size_t fail_at;			/* this item fails (SIZE_MAX: none) */
	bool init_fails;
};

/* build - "copy K" with the thread's state checked */
static enum fanout_result build(const void *vctx, void *tstate, size_t k, char **copy,
				size_t *len, char *why, size_t whylen)
{
	struct ctx *c = (struct ctx *)vctx;
	char buf[64];
	int n;

	atomic_fetch_add(&c->builds, 1);
	if (c->built_once != NULL)
		atomic_fetch_add(&c->built_once[k], 1);
	if (k >= atomic_load(&c->taken) + c->window)
		atomic_fetch_add(&c->ahead_violations, 1);
	if (tstate != NULL && strcmp(tstate, "state") != 0)
		return FANOUT_FAIL;
	if (k == c->fail_at) {
		snprintf(why, whylen, "out of memory at %zu", k);
		return FANOUT_FAIL;
	}
	if (c->skip_every && k % c->skip_every == 0) {
		snprintf(why, whylen, "no key for %zu", k);
		*copy = strdup("a copy that must be freed by fanout");	/* and is dropped */
		return FANOUT_SKIP;
	}
	n = snprintf(buf, sizeof(buf), "copy %zu", k);
	*copy = strdup(buf);
	*len = (size_t)n;
	return *copy ? FANOUT_BUILT : FANOUT_FAIL;
}

static void *init(const void *vctx)
{
	struct ctx *c = (struct ctx *)vctx;
	atomic_fetch_add(&c->inits, 1);
	return c->init_fails ? NULL : strdup("state");
}

static void fini_counted(void *tstate);
static struct ctx *fini_ctx;		/* for fini_counted; set by the test before start */
static void fini_counted(void *tstate)
{
	atomic_fetch_add(&fini_ctx->finis, 1);
	free(tstate);
}

static const struct fanout_ops plain_ops = { .build = build };
static const struct fanout_ops state_ops = { .build = build, .thread_init = init,
					     .thread_fini = fini_counted };

static void ctx_init(struct ctx *c, size_t n, size_t window)
{
	memset(c, 0, sizeof(*c));
	c->window = window;
	c->fail_at = SIZE_MAX;
	c->built_once = calloc(n ? n : 1, sizeof(*c->built_once));
	ck_assert_ptr_nonnull(c->built_once);
	fini_ctx = c;
}

static const unsigned thread_counts[] = { 0, 1, 2, 3, 8 };
static const size_t windows[] = { 1, 2, 7, 64 };

/* every item once, in order, never beyond the window */
START_TEST(in_order_within_window)
{
	unsigned t = thread_counts[_i % 5];
	size_t w = windows[_i / 5], n = 500;
	struct ctx c;
	struct fanout *f;

	ctx_init(&c, n, w);
	f = fanout_start(n, t, w, &plain_ops, &c);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fanout_threads_started(f), t);
	for (size_t k = 0; k < n; k++) {
		char *copy = NULL, why[FANOUT_WHY], want[64];
		size_t len = 0;
		atomic_store(&c.taken, k + 1);
		ck_assert_int_eq(fanout_take(f, k, &copy, &len, why, sizeof(why)), FANOUT_BUILT);
		snprintf(want, sizeof(want), "copy %zu", k);
		ck_assert_str_eq(copy, want);
		ck_assert_uint_eq(len, strlen(want));
		free(copy);
	}
	fanout_stop(f);
	ck_assert_uint_eq(atomic_load(&c.builds), n);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(atomic_load(&c.built_once[k]), 1);
	ck_assert_uint_eq(atomic_load(&c.ahead_violations), 0);
	free(c.built_once);
}
END_TEST

/* per-thread state: one init and one fini per builder (or one for the consumer) */
START_TEST(thread_state)
{
	unsigned t = thread_counts[_i];
	size_t n = 200;
	struct ctx c;
	struct fanout *f;

	ctx_init(&c, n, 16);
	f = fanout_start(n, t, 16, &state_ops, &c);
	ck_assert_ptr_nonnull(f);
	for (size_t k = 0; k < n; k++) {
		char *copy, why[FANOUT_WHY];
		size_t len;
		atomic_store(&c.taken, k + 1);
		ck_assert_int_eq(fanout_take(f, k, &copy, &len, why, sizeof(why)), FANOUT_BUILT);
		free(copy);
	}
	fanout_stop(f);
	ck_assert_int_eq(atomic_load(&c.inits), t ? (int)t : 1);
	ck_assert_int_eq(atomic_load(&c.finis), atomic_load(&c.inits));
	free(c.built_once);
}
END_TEST

/* a builder whose state cannot be made answers FANOUT_FAIL with a reason, for every item */
START_TEST(thread_init_fails)
{
	unsigned t = thread_counts[_i];
	struct ctx c;
	struct fanout *f;

	ctx_init(&c, 20, 4);
	c.init_fails = true;
	f = fanout_start(20, t, 4, &state_ops, &c);
	ck_assert_ptr_nonnull(f);
	for (size_t k = 0; k < 20; k++) {
		char *copy = (char *)"x", why[FANOUT_WHY];
		size_t len = 1;
		atomic_store(&c.taken, k + 1);
		ck_assert_int_eq(fanout_take(f, k, &copy, &len, why, sizeof(why)), FANOUT_FAIL);
		ck_assert_ptr_null(copy);
		ck_assert_uint_eq(len, 0);
		ck_assert_str_eq(why, "cannot set up a copy builder");
	}
	fanout_stop(f);
	ck_assert_int_eq(atomic_load(&c.finis), 0);	/* nothing was made */
	ck_assert_uint_eq(atomic_load(&c.builds), 0);
	free(c.built_once);
}
END_TEST

/* skips and failures come back in their place with their reasons; a skip's copy is freed */
START_TEST(skip_and_fail)
{
	unsigned t = thread_counts[_i];
	size_t n = 100;
	struct ctx c;
	struct fanout *f;

	ctx_init(&c, n, 8);
	c.skip_every = 7;
	c.fail_at = 50;
	f = fanout_start(n, t, 8, &plain_ops, &c);
	ck_assert_ptr_nonnull(f);
	for (size_t k = 0; k < n; k++) {
		char *copy, why[FANOUT_WHY], want[64];
		size_t len;
		enum fanout_result r;
		atomic_store(&c.taken, k + 1);
		r = fanout_take(f, k, &copy, &len, why, sizeof(why));
		if (k == 50) {
			ck_assert_int_eq(r, FANOUT_FAIL);
			ck_assert_str_eq(why, "out of memory at 50");
			ck_assert_ptr_null(copy);
		} else if (k % 7 == 0) {
			ck_assert_int_eq(r, FANOUT_SKIP);
			snprintf(want, sizeof(want), "no key for %zu", k);
			ck_assert_str_eq(why, want);
			ck_assert_ptr_null(copy);
		} else {
			ck_assert_int_eq(r, FANOUT_BUILT);
			free(copy);
		}
	}
	fanout_stop(f);
	free(c.built_once);
}
END_TEST

/* the consumer stops early: builders end, built copies never taken are freed (ASan) */
START_TEST(stop_in_the_middle)
{
	unsigned t = thread_counts[_i];
	size_t n = 10000;
	struct ctx c;
	struct fanout *f;

	ctx_init(&c, n, 32);
	f = fanout_start(n, t, 32, &state_ops, &c);
	ck_assert_ptr_nonnull(f);
	for (size_t k = 0; k < 10; k++) {
		char *copy, why[FANOUT_WHY];
		size_t len;
		atomic_store(&c.taken, k + 1);
		ck_assert_int_eq(fanout_take(f, k, &copy, &len, why, sizeof(why)), FANOUT_BUILT);
		free(copy);
	}
	fanout_stop(f);
	/* the window bounds the work done for nothing */
	ck_assert_uint_le(atomic_load(&c.builds), 10 + 32);
	ck_assert_int_eq(atomic_load(&c.finis), atomic_load(&c.inits));
	free(c.built_once);
}
END_TEST

/* a stop before anything is taken, and with nothing to build */
START_TEST(stop_at_once)
{
	struct ctx c;
	struct fanout *f;

	ctx_init(&c, 1000, 4);
	f = fanout_start(1000, 4, 4, &plain_ops, &c);
	ck_assert_ptr_nonnull(f);
	fanout_stop(f);
	ck_assert_uint_le(atomic_load(&c.builds), 4);
	f = fanout_start(0, 4, 4, &plain_ops, &c);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fanout_threads_started(f), 0);
	fanout_stop(f);
	fanout_stop(NULL);
	free(c.built_once);
}
END_TEST

/* one item: no thread is started for it */
START_TEST(one_item_no_thread)
{
	struct ctx c;
	struct fanout *f;
	char *copy, why[FANOUT_WHY];
	size_t len;

	ctx_init(&c, 1, 4);
	f = fanout_start(1, 8, 4, &plain_ops, &c);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fanout_threads_started(f), 0);
	atomic_store(&c.taken, 1);
	ck_assert_int_eq(fanout_take(f, 0, &copy, &len, why, sizeof(why)), FANOUT_BUILT);
	ck_assert_str_eq(copy, "copy 0");
	free(copy);
	fanout_stop(f);
	free(c.built_once);
}
END_TEST

/* items must be taken in order and not past the end */
START_TEST(out_of_order_refused)
{
	unsigned t = thread_counts[_i];
	struct ctx c;
	struct fanout *f;
	char *copy, why[FANOUT_WHY];
	size_t len;

	ctx_init(&c, 3, 2);
	f = fanout_start(3, t, 2, &plain_ops, &c);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fanout_take(f, 1, &copy, &len, why, sizeof(why)), FANOUT_FAIL);
	ck_assert_str_eq(why, "copy 1 taken out of order");
	for (size_t k = 0; k < 3; k++) {
		atomic_store(&c.taken, k + 1);
		ck_assert_int_eq(fanout_take(f, k, &copy, &len, why, sizeof(why)), FANOUT_BUILT);
		free(copy);
	}
	ck_assert_int_eq(fanout_take(f, 3, &copy, &len, why, sizeof(why)), FANOUT_FAIL);
	fanout_stop(f);
	free(c.built_once);
}
END_TEST

START_TEST(cpus)
{
	unsigned n = fanout_cpus();
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, FANOUT_MAX_THREADS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fanout");
	TCase *tc = tcase_create("fanout");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, in_order_within_window, 0, 20);
	tcase_add_loop_test(tc, thread_state, 0, 5);
	tcase_add_loop_test(tc, thread_init_fails, 0, 5);
	tcase_add_loop_test(tc, skip_and_fail, 0, 5);
	tcase_add_loop_test(tc, stop_in_the_middle, 0, 5);
	tcase_add_test(tc, stop_at_once);
	tcase_add_test(tc, one_item_no_thread);
	tcase_add_loop_test(tc, out_of_order_refused, 0, 5);
	tcase_add_test(tc, cpus);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
