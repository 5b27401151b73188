/*
 * tests/unit/check_keycache.c - milter/dkim/keycache.c: hits, misses, content keys, LRU eviction,
 * references, and many threads at once.  Contract: milter/dkim/keycache.h.
 * Stand-alone Check program; exits non-zero on any failure.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/keycache.h"

/* ed_key - an Ed25519 public key from 32 octets made of N */
static EVP_PKEY *ed_key(uint8_t n, uint8_t *raw)
{
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(n + i * 7);
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
}

START_TEST(hit_miss_and_content)
{
	struct keycache *c = keycache_new(8);
	struct keycache_stats st;
	uint8_t raw[32], other[32];
	EVP_PKEY *k = ed_key(1, raw), *g;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(keycache_get(c, 2, raw, 32));
	keycache_put(c, 2, raw, 32, k);
	g = keycache_get(c, 2, raw, 32);
	ck_assert_ptr_eq(g, k);
	EVP_PKEY_free(g);
	ck_assert_ptr_null(keycache_get(c, 1, raw, 32));	/* another key type */
	ck_assert_ptr_null(keycache_get(c, 2, raw, 31));	/* other octets */
	memcpy(other, raw, 32);
	other[31] ^= 1;
	ck_assert_ptr_null(keycache_get(c, 2, other, 32));
	keycache_stats(c, &st);
	ck_assert_uint_eq(st.hits, 1);
	ck_assert_uint_eq(st.misses, 4);
	ck_assert_uint_eq(st.entries, 1);
	EVP_PKEY_free(k);		/* the cache keeps its own reference */
	g = keycache_get(c, 2, raw, 32);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(EVP_PKEY_get_id(g), EVP_PKEY_ED25519);
	EVP_PKEY_free(g);
	keycache_free(c);
}
END_TEST

START_TEST(lru_eviction)
{
	struct keycache *c = keycache_new(3);
	struct keycache_stats st;
	uint8_t raw[5][32];
	EVP_PKEY *g;

	for (uint8_t i = 0; i < 3; i++) {
		EVP_PKEY *k = ed_key(i, raw[i]);
		keycache_put(c, 2, raw[i], 32, k);
		EVP_PKEY_free(k);
	}
	g = keycache_get(c, 2, raw[0], 32);	/* 0 is now the most recent: 1 goes first */
	EVP_PKEY_free(g);
	{
		EVP_PKEY *k = ed_key(3, raw[3]);
		keycache_put(c, 2, raw[3], 32, k);
		EVP_PKEY_free(k);
	}
	ck_assert_ptr_null(keycache_get(c, 2, raw[1], 32));
	ck_assert_ptr_nonnull(g = keycache_get(c, 2, raw[0], 32));
	EVP_PKEY_free(g);
	ck_assert_ptr_nonnull(g = keycache_get(c, 2, raw[2], 32));
	EVP_PKEY_free(g);
	keycache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.evictions, 1);
	keycache_free(c);
}
END_TEST

static struct keycache *shared;

/* hammer - one thread: put and get 64 keys many times */
static void *hammer(void *arg)
{
	uint8_t raw[32];
	(void)arg;
	for (int round = 0; round < 200; round++)
		for (uint8_t i = 0; i < 64; i++) {
			EVP_PKEY *k;
			for (int b = 0; b < 32; b++)
				raw[b] = (uint8_t)(i + b * 7);
			k = keycache_get(shared, 2, raw, 32);
			if (k == NULL) {
				k = ed_key(i, raw);
				keycache_put(shared, 2, raw, 32, k);
			}
			EVP_PKEY_free(k);
		}
	return NULL;
}

START_TEST(threads)
{
	pthread_t t[8];
	struct keycache_stats st;
	shared = keycache_new(32);	/* smaller than the working set: eviction under load */
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	keycache_stats(shared, &st);
	ck_assert_uint_le(st.entries, 32);
	ck_assert_uint_eq(st.hits + st.misses, 8 * 200 * 64);
	keycache_free(shared);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keycache");
	TCase *tc = tcase_create("keycache");
	SRunner *sr;
	int failed;
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hit_miss_and_content);
	tcase_add_test(tc, lru_eviction);
	tcase_add_test(tc, threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
