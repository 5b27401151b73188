/*
 * tests/unit/check_seen.c - milter/lists/seen.c, the seen-set of signed commands, and the
 * crash-safe rewrite of milter/lists/ledger.c it shares with the notice and bounce ledgers.
 * Contracts: milter/lists/seen.h, milter/lists/ledger.h.
 *
 * Each test works in a fresh temporary spool directory.  A failed write is made with the
 * ledger_fail_after fault point (a disk that fills up mid-way); what a crash leaves behind
 * (a complete or torn temporary file not yet renamed) is written by the test itself.  No
 * main(): seen_suite() runs in tests/unit/check_listcmd with the suite of the commands
 * themselves.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter/lists/seen.h"
#include "milter/lists/ledger.h"

#define LIST "board@lists.example.org"
#define NOW ((time_t)1800000000)
#define WIN ((time_t)3600)

static char dir[64];
static char why[300];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_seen.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ledger_fail_after = SIZE_MAX;
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* digest - a 32-octet digest made of the octet B */
static const unsigned char *digest(unsigned char b)
{
	static unsigned char d[32];
	memset(d, b, sizeof(d));
	return d;
}

/* check - seen_check_and_add for LIST with digest B created at CREATED, now NOW */
static enum seen_verdict check(unsigned char b, time_t created, time_t now)
{
	return seen_check_and_add(dir, LIST, digest(b), 32, created, now, WIN, why, sizeof(why));
}

/* slurp - the seen file of LIST ("" when missing) */
static const char *slurp(const char *list)
{
	static char buf[1 << 16];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/seen/%s", dir, list);
	buf[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* put - write TEXT as LIST's seen file */
static void put(const char *list, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seen", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/seen/%s", dir, list);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

#define D1 "0101010101010101010101010101010101010101010101010101010101010101"
#define DIGEST_VECTOR "55810a072cefc293477ae047983dc2c05a7209df838683a25aa5e959037ac8fe"
#define D2 "0202020202020202020202020202020202020202020202020202020202020202"

START_TEST(fresh_then_replayed)
{
	ck_assert_int_eq(check(1, NOW - 10, NOW), SEEN_FRESH);
	ck_assert_str_eq(slurp(LIST), D1 " 1799999990\n");
	ck_assert_int_eq(check(1, NOW - 10, NOW + 5), SEEN_REPLAYED);
	ck_assert_int_eq(check(2, NOW - 10, NOW + 5), SEEN_FRESH);
	ck_assert_int_eq(check(2, NOW - 10, NOW + 6), SEEN_REPLAYED);
	ck_assert_str_eq(slurp(LIST), D1 " 1799999990\n" D2 " 1799999990\n");
	/* another list has its own set */
	ck_assert_int_eq(seen_check_and_add(dir, "other@lists.example.org", digest(1), 32,
					    NOW, NOW, WIN, why, sizeof(why)), SEEN_FRESH);
	ck_assert_str_eq(seen_verdict_name(SEEN_REPLAYED), "replayed");
}
END_TEST

/* the window and the skew, at their edges */
START_TEST(window_and_skew)
{
	ck_assert_int_eq(check(1, NOW - WIN, NOW), SEEN_FRESH);
	ck_assert_int_eq(check(2, NOW - WIN - 1, NOW), SEEN_TOO_OLD);
	ck_assert_int_eq(check(3, NOW + SEEN_SKEW, NOW), SEEN_FRESH);
	ck_assert_int_eq(check(4, NOW + SEEN_SKEW + 1, NOW), SEEN_FUTURE);
	/* refused ones are not recorded */
	ck_assert_int_eq(check(4, NOW, NOW), SEEN_FRESH);
	ck_assert_int_eq(seen_check_and_add(dir, LIST, digest(9), 0, NOW, NOW, WIN, why,
					    sizeof(why)), SEEN_ERROR);
	ck_assert_int_eq(seen_check_and_add(dir, LIST, digest(9), 32, NOW, NOW, 0, why,
					    sizeof(why)), SEEN_ERROR);
}
END_TEST

/* entries older than the window are pruned when the set is written; garbage lines and a
 * torn last line are dropped */
START_TEST(prune_and_garbage)
{
	put(LIST, D1 " 1700000000\n"			/* far older than the window */
	    "zz not hex 1800000000\n"
	    D2 " 1799999000\n"
	    "0303 12x\n"
	    "0404 1800000000");				/* torn: no line end */
	ck_assert_int_eq(check(1, NOW, NOW), SEEN_FRESH);	/* its old entry was pruned */
	ck_assert_int_eq(check(2, NOW - 1000, NOW), SEEN_REPLAYED);
	ck_assert_str_eq(slurp(LIST), D2 " 1799999000\n" D1 " 1800000000\n");
}
END_TEST

START_TEST(full)
{
	char *text = malloc((size_t)SEEN_MAX_ENTRIES * 24 + 1), *p = text;

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < SEEN_MAX_ENTRIES; i++)
		p += sprintf(p, "%08x 1800000000\n", (unsigned)i + 0x10000000u);
	put(LIST, text);
	free(text);
	ck_assert_int_eq(check(1, NOW, NOW), SEEN_FULL);
	/* they all age out of the window */
	ck_assert_int_eq(check(1, NOW + WIN + 1, NOW + WIN + 1), SEEN_FRESH);
	ck_assert_str_eq(slurp(LIST), D1 " 1800003601\n");
}
END_TEST

/* a write that fails leaves the old set, and so does a crash that left a temporary file
 * (whole or torn): it is never read, and the next write replaces it */
START_TEST(crash_points)
{
	char tmp[256];
	struct stat st;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/seen/tmp.%s", dir, LIST);
	ck_assert_int_eq(check(1, NOW, NOW), SEEN_FRESH);
	ledger_fail_after = 100;	/* mid-way through the second line */
	ck_assert_int_eq(check(2, NOW, NOW), SEEN_ERROR);
	ck_assert_msg(strstr(why, "cannot write") != NULL, "%s", why);
	ck_assert_int_ne(stat(tmp, &st), 0);		/* removed */
	ck_assert_str_eq(slurp(LIST), D1 " 1800000000\n");
	ck_assert_uint_eq(ledger_fail_after, SIZE_MAX);	/* one shot */
	ck_assert_int_eq(check(1, NOW, NOW), SEEN_REPLAYED);
	/* a crash before the rename: the whole new set in the temporary file, then a torn one */
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fputs(D1 " 1800000000\n" D2 " 1800000000\n", f);
	fclose(f);
	ck_assert_str_eq(slurp(LIST), D1 " 1800000000\n");
	ck_assert_int_eq(check(1, NOW, NOW), SEEN_REPLAYED);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fputs(D2 " 18000", f);
	fclose(f);
	/* the command that failed was not recorded: it may come again, and then it is */
	ck_assert_int_eq(check(2, NOW, NOW), SEEN_FRESH);
	ck_assert_str_eq(slurp(LIST), D1 " 1800000000\n" D2 " 1800000000\n");
	ck_assert_int_ne(stat(tmp, &st), 0);		/* renamed into place */
}
END_TEST

/* seen_digest: SHA-256 of "FPR\0CREATED\0DATA" (the value from python3 hashlib) */
START_TEST(digest_value)
{
	unsigned char d[SEEN_DIGEST_SHA256], e[SEEN_DIGEST_SHA256];
	char hexd[2 * SEEN_DIGEST_SHA256 + 1];

	ck_assert(seen_digest("0123456789ABCDEF0123456789ABCDEF01234567", 1800000000,
			      "X-LIST-NAME: a@b\n", 17, d));
	for (size_t i = 0; i < sizeof(d); i++)
		sprintf(hexd + 2 * i, "%02x", d[i]);
	ck_assert_str_eq(hexd, DIGEST_VECTOR);
	ck_assert(seen_digest("0123456789ABCDEF0123456789ABCDEF01234567", 1800000001,
			      "X-LIST-NAME: a@b\n", 17, e));
	ck_assert(memcmp(d, e, sizeof(d)) != 0);
}
END_TEST

/* file names: odd octets escaped, no hidden files */
START_TEST(file_names)
{
	struct ledger_file lf;

	ck_assert(ledger_open(dir, "seen", ".a/b c@x", &lf, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(lf.path, "/seen/%2Ea%2Fb%20c@x"));
	ck_assert_ptr_nonnull(strstr(lf.tmp, "/seen/tmp.%2Ea%2Fb%20c@x"));
	ck_assert(ledger_save(&lf, "x\n", 2, why, sizeof(why)));
	ck_assert_int_eq(access(lf.path, R_OK), 0);
	ck_assert(ledger_save(&lf, "", 0, why, sizeof(why)));	/* removes it */
	ck_assert_int_ne(access(lf.path, R_OK), 0);
	ledger_close(&lf);
	ck_assert(!ledger_open("/nonexistent/dir", "seen", LIST, &lf, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "cannot create"));
	/* the seen-set of such a list lives there too */
	ck_assert_int_eq(seen_check_and_add(dir, ".a/b c@x", digest(1), 32, NOW, NOW, WIN, why,
					    sizeof(why)), SEEN_FRESH);
	ck_assert_str_eq(slurp("%2Ea%2Fb%20c@x"), D1 " 1800000000\n");
}
END_TEST

Suite *seen_suite(void);

/* seen_suite - the seen-set and its state file */
Suite *seen_suite(void)
{
	Suite *s = suite_create("seen");
	TCase *tc = tcase_create("seen");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fresh_then_replayed);
	tcase_add_test(tc, window_and_skew);
	tcase_add_test(tc, prune_and_garbage);
	tcase_add_test(tc, full);
	tcase_add_test(tc, crash_points);
	tcase_add_test(tc, file_names);
	tcase_add_test(tc, digest_value);
	suite_add_tcase(s, tc);
	return s;
}
