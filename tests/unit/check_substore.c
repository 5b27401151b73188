/*
 * tests/unit/check_substore.c - milter/lists/substore.c: the writer of a list's managed
 * subscriber file NAME.subscribers.  Contract: milter/lists/substore.h.
 *
 * Each test works in its own mktemp -d directory under $TMPDIR (or /tmp), removed at the end:
 * a list file board.list written by the test, the managed file postward writes beside it.
 * The files are read back from disk and parsed with policy/listfile, as a reload would.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter/lists/substore.h"
#include "policy/listfile.h"

#define FPR_A "0123456789ABCDEF0123456789ABCDEF01234567"
#define FPR_B "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define FPR_C "FEDCBA9876543210FEDCBA9876543210FEDCBA98"

static char dir[256], list[300], subs[300];

/* put - write TEXT to PATH */
static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* slurp - PATH's content (malloc'd), or NULL when it cannot be read */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/pw-substore.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(list, sizeof(list), "%s/board.list", dir);
	snprintf(subs, sizeof(subs), "%s/board.subscribers", dir);
	put(list, "list board@lists.example\nowner o@example.org\nopenpgp_key " FPR_A "\n"
	    "subscriber admin@example.org openpgp=" FPR_B " admin\n");
}

static void teardown(void)
{
	DIR *dd = opendir(dir);
	struct dirent *e;
	char p[600];

	while (dd != NULL && (e = readdir(dd)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (dd != NULL)
		closedir(dd);
	rmdir(dir);
}

/* entries - the directory's names other than board.list and board.subscribers */
static int strays(void)
{
	DIR *dd = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dd);
	while ((e = readdir(dd)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "board.list") != 0 &&
		    strcmp(e->d_name, "board.subscribers") != 0)
			n++;
	closedir(dd);
	return n;
}

/* load - board.list with board.subscribers as a reload reads them, into *LS; the number of
 * errors */
static size_t load(struct pw_lists *ls)
{
	struct pw_diags d = { 0 };
	char *text = slurp(list), *sub = slurp(subs);
	size_t errs;

	ck_assert_ptr_nonnull(text);
	errs = pw_list_parse_with_subs(ls, list, text, strlen(text), sub ? subs : NULL,
				       sub ? sub : "", sub ? strlen(sub) : 0, &d);
	pw_diags_free(&d);
	free(text);
	free(sub);
	return errs;
}

START_TEST(write_replaces_the_file_whole)
{
	static const struct pw_list_managed_sub three[] = {
		{ "a@example.org", FPR_C, NULL, false },
		{ "b@example.org", FPR_C, NULL, true },
		{ "c@example.org", FPR_C, NULL, false },
	};
	struct pw_lists ls = { 0 };
	struct stat st;
	char why[300] = "", *text;

	ck_assert_int_eq(substore_write(list, three, 3, why, sizeof(why)), SUBSTORE_OK);
	ck_assert_int_eq(stat(subs, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(load(&ls), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 4);
	pw_lists_free(&ls);
	/* one entry now: the file holds that one, nothing of the three is left */
	ck_assert_int_eq(substore_write(list, &three[1], 1, why, sizeof(why)), SUBSTORE_OK);
	text = slurp(subs);
	ck_assert_ptr_null(strstr(text, "a@example.org"));
	ck_assert_ptr_null(strstr(text, "c@example.org"));
	ck_assert_ptr_nonnull(strstr(text, "subscriber b@example.org openpgp=" FPR_C " admin\n"));
	free(text);
	ck_assert_uint_eq(load(&ls), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 2);
	pw_lists_free(&ls);
	ck_assert_int_eq(strays(), 0);			/* no temporary file left */
	/* a bad entry: nothing written, the file as it was */
	{
		struct pw_list_managed_sub bad = { "x@example.org", "12", NULL, false };
		char *before = slurp(subs), *after;
		ck_assert_int_eq(substore_write(list, &bad, 1, why, sizeof(why)),
				 SUBSTORE_INVALID);
		ck_assert_str_eq(why, "subscriber \"x@example.org\": bad OpenPGP fingerprint "
				 "\"12\": expected 40 hex digits (a v4 fingerprint), got 2");
		after = slurp(subs);
		ck_assert_str_eq(before, after);
		free(before);
		free(after);
	}
	ck_assert_int_eq(substore_write("/nonexistent/dir/board.list", three, 1, why,
					sizeof(why)), SUBSTORE_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "cannot create a temporary file beside "
				     "/nonexistent/dir/board.subscribers"));
	ck_assert_int_eq(substore_write("/tmp/board.conf", three, 1, why, sizeof(why)),
			 SUBSTORE_ERROR);
	ck_assert_str_eq(why, "\"/tmp/board.conf\" is not a list file (NAME.list)");
}
END_TEST

START_TEST(updates)
{
	struct pw_list_managed_sub b = { "b@example.org", FPR_C, NULL, false };
	struct pw_lists ls = { 0 };
	const struct pw_list_sub *s;
	bool replaced = true;
	char why[300] = "";

	/* no managed file yet: the first add makes it */
	ck_assert_int_eq(substore_add(list, &b, &replaced, why, sizeof(why)), SUBSTORE_OK);
	ck_assert(!replaced);
	b.admin = true;
	ck_assert_int_eq(substore_add(list, &b, &replaced, why, sizeof(why)), SUBSTORE_OK);
	ck_assert(replaced);
	ck_assert_int_eq(substore_set_fpr(list, "<B@example.org>", FPR_B, why, sizeof(why)),
			 SUBSTORE_OK);
	ck_assert_uint_eq(load(&ls), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 2);
	s = pw_list_find_sub(&ls.v[0], "b@example.org");
	ck_assert(s != NULL && s->managed && s->admin);
	ck_assert_str_eq(s->fpr, FPR_B);
	pw_lists_free(&ls);

	/* the administrator's entry is not touched */
	struct pw_list_managed_sub a = { "Admin@example.org", FPR_C, NULL, false };
	ck_assert_int_eq(substore_add(list, &a, NULL, why, sizeof(why)), SUBSTORE_ADMIN_ENTRY);
	{
		char want[600];
		snprintf(want, sizeof(want), "admin@example.org is in the list file %s (line 4), "
			 "which only its administrator changes", list);
		ck_assert_str_eq(why, want);
	}
	ck_assert_int_eq(substore_remove(list, "admin@example.org", why, sizeof(why)),
			 SUBSTORE_ADMIN_ENTRY);
	ck_assert_int_eq(substore_set_fpr(list, "admin@example.org", FPR_C, why, sizeof(why)),
			 SUBSTORE_ADMIN_ENTRY);
	/* unknown addresses */
	ck_assert_int_eq(substore_remove(list, "c@example.org", why, sizeof(why)),
			 SUBSTORE_NOT_FOUND);
	ck_assert_str_eq(why, "c@example.org is not a subscriber of board@lists.example");
	ck_assert_int_eq(substore_set_fpr(list, "c@example.org", FPR_C, why, sizeof(why)),
			 SUBSTORE_NOT_FOUND);
	/* changes the list would not load with */
	ck_assert_int_eq(substore_set_fpr(list, "b@example.org", "12", why, sizeof(why)),
			 SUBSTORE_INVALID);
	ck_assert_int_eq(substore_set_fpr(list, "b@example.org", NULL, why, sizeof(why)),
			 SUBSTORE_INVALID);
	ck_assert_str_eq(why, "subscriber \"b@example.org\" needs a key");
	struct pw_list_managed_sub c = { "c@example.org", NULL, "/etc/c.pem", false };
	ck_assert_int_eq(substore_add(list, &c, NULL, why, sizeof(why)), SUBSTORE_INVALID);
	ck_assert(strncmp(why, subs, strlen(subs)) == 0);	/* names the managed file */
	ck_assert_str_eq(why + strlen(subs), ":4: subscriber \"c@example.org\" has smime= but "
			 "the list has no smime_cert");
	struct pw_list_managed_sub self = { "board-owner@lists.example", FPR_C, NULL, false };
	ck_assert_int_eq(substore_add(list, &self, NULL, why, sizeof(why)), SUBSTORE_INVALID);
	/* all of that left b as it was */
	ck_assert_uint_eq(load(&ls), 0);
	s = pw_list_find_sub(&ls.v[0], "b@example.org");
	ck_assert_str_eq(s->fpr, FPR_B);
	ck_assert_uint_eq(ls.v[0].n_subs, 2);
	pw_lists_free(&ls);
	/* remove */
	ck_assert_int_eq(substore_remove(list, "b@example.org", why, sizeof(why)), SUBSTORE_OK);
	ck_assert_uint_eq(load(&ls), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 1);
	pw_lists_free(&ls);
	ck_assert_int_eq(strays(), 0);
	ck_assert_str_eq(substore_result_name(SUBSTORE_ADMIN_ENTRY), "admin-entry");
	ck_assert_str_eq(substore_result_name((enum substore_result)42), "error");
}
END_TEST

START_TEST(broken_files_change_nothing)
{
	struct pw_list_managed_sub b = { "b@example.org", FPR_C, NULL, false };
	char why[300] = "";

	/* a managed file with an error: refused, the file is not rewritten */
	put(subs, "subscriber x@example.org openpgp=12\n");
	ck_assert_int_eq(substore_add(list, &b, NULL, why, sizeof(why)), SUBSTORE_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "board.subscribers:1: bad OpenPGP fingerprint"));
	{
		char *t = slurp(subs);
		ck_assert_str_eq(t, "subscriber x@example.org openpgp=12\n");
		free(t);
	}
	unlink(subs);
	put(list, "list board@lists.example\n");
	ck_assert_int_eq(substore_add(list, &b, NULL, why, sizeof(why)), SUBSTORE_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "board.list: missing owner statement"));
	ck_assert_int_eq(access(subs, F_OK), -1);
	unlink(list);
	ck_assert_int_eq(substore_remove(list, "b@example.org", why, sizeof(why)),
			 SUBSTORE_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "board.list: No such file or directory"));
}
END_TEST

#define PER_THREAD 40

/* adder - PER_THREAD subscribers "tN-I@example.org" added one command at a time */
static void *adder(void *arg)
{
	long t = (long)arg;
	char addr[64], why[300];

	for (int i = 0; i < PER_THREAD; i++) {
		struct pw_list_managed_sub s = { addr, FPR_C, NULL, false };
		snprintf(addr, sizeof(addr), "t%ld-%d@example.org", t, i);
		if (substore_add(list, &s, NULL, why, sizeof(why)) != SUBSTORE_OK)
			return (void *)1;
	}
	return NULL;
}

START_TEST(concurrent_updates_all_land)
{
	struct pw_lists ls = { 0 };
	pthread_t th[2];
	char addr[64];

	for (long t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, adder, (void *)t), 0);
	for (int t = 0; t < 2; t++) {
		void *r;
		ck_assert_int_eq(pthread_join(th[t], &r), 0);
		ck_assert_ptr_null(r);
	}
	ck_assert_uint_eq(load(&ls), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 1 + 2 * PER_THREAD);
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < PER_THREAD; i++) {
			snprintf(addr, sizeof(addr), "t%d-%d@example.org", t, i);
			ck_assert_msg(pw_list_find_sub(&ls.v[0], addr) != NULL, "%s lost", addr);
		}
	pw_lists_free(&ls);
	ck_assert_int_eq(strays(), 0);
}
END_TEST

int main(void)
{
	TCase *tc = tcase_create("substore");
	int failed;

	tcase_set_timeout(tc, 120);			/* fsync per write, sanitizers */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_replaces_the_file_whole);
	tcase_add_test(tc, updates);
	tcase_add_test(tc, broken_files_change_nothing);
	tcase_add_test(tc, concurrent_updates_all_land);
	Suite *s = suite_create("substore");
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
