/*
 * tests/unit/check_keyrefresh.c - milter/lists/keyrefresh.c and keyfetch.c without a network:
 * the WKD hash against the draft's example and GnuPG's output, the key source words, the
 * scheduler (passes at the interval, keyrefresh_stop wakes it at once and ends a pass at its
 * next subscriber, a second start refused while it runs), and the fetch refusals that need
 * no server (a non-https VKS URL, a bad fingerprint, an address WKD cannot look up).
 * Contract: milter/lists/keyrefresh.h, keyfetch.h.
 * Stand-alone Check program; exits non-zero on any failure.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lists/keyfetch.h"
#include "lists/keyrefresh.h"

START_TEST(wkd_hash_known_values)
{
	char h[33];

	/* draft-koch-openpgp-webkey-service section 3.1: "Joe.Doe" */
	ck_assert(keyfetch_wkd_hash("Joe.Doe", 7, h));
	ck_assert_str_eq(h, "iy9q119eutrkn8s1mk4r39qejnbu3n5q");
	/* gpg --with-wkd-hash for alice@example.net */
	ck_assert(keyfetch_wkd_hash("alice", 5, h));
	ck_assert_str_eq(h, "kei1q4tipxxu1yj79k9kfukdhfy631xe");
	ck_assert(keyfetch_wkd_hash("ALICE", 5, h));
	ck_assert_str_eq(h, "kei1q4tipxxu1yj79k9kfukdhfy631xe");
}
END_TEST

START_TEST(sources_parse)
{
	const char *ok[] = { "VKS", "wkd" }, *dup[] = { "wkd", "WKD" }, *unk[] = { "hkp" };
	struct keyrefresh_sources s;
	char why[200];

	ck_assert(keyrefresh_sources_parse(ok, 2, &s, why, sizeof why));
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.v[0], KEYFETCH_VKS);
	ck_assert_int_eq(s.v[1], KEYFETCH_WKD);
	ck_assert(!keyrefresh_sources_parse(dup, 2, &s, why, sizeof why));
	ck_assert_str_eq(why, "key source \"WKD\" named twice");
	ck_assert(!keyrefresh_sources_parse(unk, 1, &s, why, sizeof why));
	ck_assert_str_eq(why, "unknown key source \"hkp\" (expected wkd or vks)");
	ck_assert(keyrefresh_sources_parse(NULL, 0, &s, why, sizeof why));
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(fetch_refusals_without_network)
{
	struct keyfetch_config c = { .gnupg_home = "/nonexistent", .vks_url = "http://keys.test" };
	uint8_t *data = (uint8_t *)1;
	size_t len = 1;
	char why[300];
	const char *fpr = "0123456789ABCDEF0123456789ABCDEF01234567";

	ck_assert_int_eq(keyfetch_get(&c, KEYFETCH_VKS, "a@b.test", fpr, &data, &len, NULL, 0,
				      why, sizeof why), KEYFETCH_REFUSED);
	ck_assert_ptr_null(data);
	ck_assert_msg(strstr(why, "not an https URL") != NULL, "%s", why);
	c.vks_url = "https://keys.test";
	ck_assert_int_eq(keyfetch_get(&c, KEYFETCH_VKS, "a@b.test", "0123", &data, &len, NULL, 0,
				      why, sizeof why), KEYFETCH_REFUSED);
	ck_assert_int_eq(keyfetch_get(&c, KEYFETCH_WKD, "nodomain", fpr, &data, &len, NULL, 0,
				      why, sizeof why), KEYFETCH_REFUSED);
	ck_assert_int_eq(keyfetch_get(&c, KEYFETCH_WKD, "a@bad_domain.test", fpr, &data, &len,
				      NULL, 0, why, sizeof why), KEYFETCH_REFUSED);
	ck_assert_int_eq(keyfetch_get(&c, KEYFETCH_WKD, "@b.test", fpr, &data, &len, NULL, 0,
				      why, sizeof why), KEYFETCH_REFUSED);
	/* not a key block at all, armored wrongly, an unrelated-key-free block: nothing reaches
	 * gpg (the home does not exist) */
	ck_assert_int_eq(keyfetch_import(&c, fpr, (const uint8_t *)"hello", 5, NULL, why,
					 sizeof why), KEYFETCH_REFUSED);
	ck_assert_int_eq(keyfetch_import(&c, fpr,
					 (const uint8_t *)"-----BEGIN PGP MESSAGE-----\n", 28,
					 NULL, why, sizeof why), KEYFETCH_REFUSED);
}
END_TEST

/* the scheduler's run callback: counts passes, signals the test */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int runs;

static void run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	runs++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

START_TEST(scheduler_runs_and_stops)
{
	char why[200];
	struct timespec t0, t1;

	runs = 0;
	ck_assert(keyrefresh_start(60, 1, run, NULL, why, sizeof why));
	ck_assert(!keyrefresh_start(60, 1, run, NULL, why, sizeof why));	/* runs already */
	ck_assert_str_eq(why, "key refresh: the scheduler runs already");
	ck_assert(!atomic_load(keyrefresh_stopping()));
	pthread_mutex_lock(&lock);
	while (runs < 2)		/* the first pass after 1 s, the second 1 s later */
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	keyrefresh_stop();
	ck_assert(atomic_load(keyrefresh_stopping()));
	keyrefresh_stop();		/* not running: nothing */

	/* an hour's interval: stop wakes it at once, no pass ran */
	runs = 0;
	ck_assert(keyrefresh_start(60, 3600, run, NULL, why, sizeof why));
	ck_assert(!atomic_load(keyrefresh_stopping()));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	keyrefresh_stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
	ck_assert_int_eq(runs, 0);
	ck_assert(!keyrefresh_start(60, 0, run, NULL, why, sizeof why));
}
END_TEST

/* a pass whose stop flag is set does nothing and says so */
START_TEST(pass_stops_at_flag)
{
	atomic_bool stop = true;
	struct keyfetch_config fc = { .gnupg_home = "/nonexistent" };
	struct keyrefresh_params p = { .fetch = &fc, .stop = &stop };
	struct keyrefresh_list l = { "board@lists.test", "owner@lists.test", "b@lists.test" };
	struct keyrefresh_sources src = { { KEYFETCH_WKD }, 1 };
	struct keyrefresh_item it = { "a@example.net", "0123456789ABCDEF0123456789ABCDEF01234567",
				      &src };
	struct keyrefresh_outcome o;

	ck_assert_uint_eq(keyrefresh_pass(&p, &l, &it, 1, &o), 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = { wkd_hash_known_values, sources_parse,
				 fetch_refusals_without_network, scheduler_runs_and_stops,
				 pass_stops_at_flag };
	char why[200];
	int failed;
	Suite *s;
	TCase *tc;
	SRunner *sr;

	/* libcurl and gpgme start once, before the scheduler's thread */
	if (!keyfetch_global_init(why, sizeof why)) {
		fprintf(stderr, "check_keyrefresh: %s\n", why);
		return 1;
	}
	s = suite_create("keyrefresh");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	keyfetch_global_end();
	return failed == 0 ? 0 : 1;
}
