/*
 * tests/unit/check_keyhand.c - milter/lists/keyhand.c: a put secret is taken once, byte for
 * byte, under its own job id only; an entry older than KEYHAND_TTL is gone; a full table
 * refuses (and takes again once a slot is free); ids too long and keys too long are
 * refused; drop and clear forget; the counters add up; four threads putting and taking
 * at once lose nothing and mix nothing up.  Contract: milter/lists/keyhand.h.
 * Stand-alone Check program; exits non-zero on any failure.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists/keyhand.h"

/* secret - a distinct secret for N */
static struct keyhand_secret secret(unsigned n)
{
	struct keyhand_secret s;
	memset(&s, 0, sizeof(s));
	s.algo = 9;
	s.keylen = 32;
	for (size_t i = 0; i < s.keylen; i++)
		s.key[i] = (uint8_t)(n * 31 + i);
	s.plain_len = 1000 + n;
	return s;
}

static void id_of(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, "%036x", n);
}

START_TEST(put_take_once)
{
	struct keyhand_secret s = secret(1), got;
	struct keyhand_stats st;

	keyhand_clear();
	ck_assert(keyhand_put("job-a", &s, 100));
	ck_assert(!keyhand_take("job-b", &got, 100));
	ck_assert_int_eq(got.keylen, 0);
	ck_assert(keyhand_take("job-a", &got, 101));
	ck_assert_int_eq(got.algo, 9);
	ck_assert_int_eq(got.keylen, 32);
	ck_assert_int_eq(got.plain_len, 1001);
	ck_assert(memcmp(got.key, s.key, 32) == 0);
	ck_assert(!keyhand_take("job-a", &got, 101));	/* taken once */
	ck_assert_int_eq(got.algo, 0);
	keyhand_stats(&st);
	ck_assert_int_eq(st.waiting, 0);
}
END_TEST

START_TEST(expires)
{
	struct keyhand_secret s = secret(2), got;
	struct keyhand_stats before, after;

	keyhand_clear();
	keyhand_stats(&before);
	ck_assert(keyhand_put("old", &s, 1000));
	ck_assert(keyhand_put("young", &s, 1000 + KEYHAND_TTL));
	ck_assert(!keyhand_take("old", &got, 1001 + KEYHAND_TTL));
	ck_assert(keyhand_take("young", &got, 1001 + KEYHAND_TTL));
	keyhand_stats(&after);
	ck_assert_int_eq(after.expired - before.expired, 1);
	ck_assert_int_eq(after.waiting, 0);
}
END_TEST

START_TEST(bounded)
{
	struct keyhand_secret s = secret(3), got;
	struct keyhand_stats st;
	char id[64];

	keyhand_clear();
	for (unsigned i = 0; i < KEYHAND_SLOTS; i++) {
		id_of(id, sizeof(id), i);
		ck_assert(keyhand_put(id, &s, 5000));
	}
	ck_assert(!keyhand_put("one-too-many", &s, 5000));
	keyhand_stats(&st);
	ck_assert_int_eq(st.waiting, KEYHAND_SLOTS);
	id_of(id, sizeof(id), 7);
	ck_assert(keyhand_take(id, &got, 5000));
	ck_assert(keyhand_put("one-too-many", &s, 5000));
	ck_assert(keyhand_take("one-too-many", &got, 5000));
	/* a full table of old entries makes room for a new one */
	ck_assert(keyhand_put("late", &s, 5001 + KEYHAND_TTL));
	keyhand_stats(&st);
	ck_assert_int_eq(st.waiting, 1);
	keyhand_clear();
}
END_TEST

START_TEST(refusals)
{
	struct keyhand_secret s = secret(4), got;
	char longid[KEYHAND_ID_MAX + 1];

	keyhand_clear();
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	ck_assert(!keyhand_put(longid, &s, 1));
	longid[KEYHAND_ID_MAX - 1] = '\0';		/* the longest id that fits */
	ck_assert(keyhand_put(longid, &s, 1));
	ck_assert(keyhand_take(longid, &got, 1));
	ck_assert(!keyhand_put("", &s, 1));
	ck_assert(!keyhand_put(NULL, &s, 1));
	s.keylen = OPGP_MAX_SESSION_KEY + 1;
	ck_assert(!keyhand_put("big-key", &s, 1));
	s.keylen = 0;
	ck_assert(!keyhand_put("no-key", &s, 1));
	ck_assert(!keyhand_take(NULL, &got, 1));
}
END_TEST

START_TEST(drop_clear)
{
	struct keyhand_secret s = secret(5), got;
	struct keyhand_stats st;

	keyhand_clear();
	ck_assert(keyhand_put("a", &s, 1));
	ck_assert(keyhand_put("b", &s, 1));
	ck_assert(keyhand_put("c", &s, 1));
	keyhand_drop("b");
	keyhand_drop("nonesuch");
	ck_assert(!keyhand_take("b", &got, 1));
	keyhand_stats(&st);
	ck_assert_int_eq(st.waiting, 2);
	keyhand_clear();
	ck_assert(!keyhand_take("a", &got, 1));
	ck_assert(!keyhand_take("c", &got, 1));
	/* a second put under one id replaces the first */
	ck_assert(keyhand_put("a", &s, 1));
	s = secret(6);
	ck_assert(keyhand_put("a", &s, 1));
	ck_assert(keyhand_take("a", &got, 1));
	ck_assert_int_eq(got.plain_len, 1006);
	ck_assert(!keyhand_take("a", &got, 1));
}
END_TEST

#define THREADS 4
#define PER_THREAD 2000

static void *hammer(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	char id[64];
	long bad = 0;

	for (unsigned i = 0; i < PER_THREAD; i++) {
		unsigned n = t * PER_THREAD + i;
		struct keyhand_secret s = secret(n), got;
		id_of(id, sizeof(id), n);
		if (!keyhand_put(id, &s, 10))
			bad++;
		else if (!keyhand_take(id, &got, 10) || got.plain_len != s.plain_len ||
			 memcmp(got.key, s.key, s.keylen) != 0)
			bad++;
	}
	return (void *)bad;
}

START_TEST(threads)
{
	pthread_t th[THREADS];
	struct keyhand_stats before, after;
	void *r;
	long bad = 0;

	keyhand_clear();
	keyhand_stats(&before);
	for (unsigned t = 0; t < THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, hammer, (void *)(uintptr_t)t), 0);
	for (unsigned t = 0; t < THREADS; t++) {
		pthread_join(th[t], &r);
		bad += (long)r;
	}
	keyhand_stats(&after);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(after.put - before.put, THREADS * PER_THREAD);
	ck_assert_int_eq(after.taken - before.taken, THREADS * PER_THREAD);
	ck_assert_int_eq(after.waiting, 0);
}
END_TEST

/* keyhand_suite - every case above, one test case with a generous timeout (busy machines) */
static Suite *keyhand_suite(void)
{
	const TTest *const cases[] = { put_take_once, expires, bounded, refusals,
					      drop_clear, threads };
	Suite *s = suite_create("keyhand");
	TCase *tc = tcase_create("keyhand");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tcase_add_test(tc, cases[i]);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(keyhand_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* the table is process-wide: nothing may be left in it */
	keyhand_clear();
	return failed == 0 ? 0 : 1;
}
