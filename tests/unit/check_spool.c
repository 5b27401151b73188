/*
 * tests/unit/check_spool.c - milter/lists/spool.c: commit, read back, progress, crash recovery.
 * Contract: milter/lists/spool.h.
 *
 * Each test works in its own mkdtemp directory.  The crash tests run the marking in a
 * child process that is killed with SIGKILL (a real kill -9, not a simulated one) at a point
 * it reports over a pipe, then load the job in the parent and check that exactly the
 * subscribers marked before the kill are done.  The notice and bounce ledgers (notices.h,
 * bounces.h, their file ledger.h), which live in the spool directory, are checked here too:
 * a write that fails mid-way is made by the fault point of ledger.h, deterministically.  Stand-alone Check program; exits non-zero on
 * any failure.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lists/bounces.h"
#include "lists/notices.h"
#include "lists/spool.h"

static char dir[64];
static char why[256];

/* setup - a fresh spool directory */
static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pw-spool-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	strcat(dir, "/spool");	/* spool_open creates it */
}

/* rm_rf - remove the test directory */
static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(dir, '/') - dir), dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* make_job - a job for N subscribers sub0@example.net ... */
static void make_job(struct spool_job *j, size_t n)
{
	memset(j, 0, sizeof(*j));
	j->done_fd = -1;
	j->list = strdup("list@example.org");
	j->poster = strdup("alice@example.com");
	j->qid = strdup("4QABC123");
	j->requiretls = true;
	j->rcpts = calloc(n, sizeof(*j->rcpts));
	for (size_t i = 0; i < n; i++) {
		char a[64];
		snprintf(a, sizeof(a), "sub%zu@example.net", i);
		j->rcpts[i] = strdup(a);
	}
	j->n_rcpts = n;
}

/* count_files - entries in DIR (not . and ..) whose name ends in SUFFIX */
static int count_files(const char *d, const char *suffix)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	int n = 0;
	ck_assert_ptr_nonnull(dd);
	while ((e = readdir(dd)) != NULL) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (e->d_name[0] != '.' && l >= sl && strcmp(e->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(dd);
	return n;
}

static const char post[] = "From: alice@example.com\r\nTo: list@example.org\r\n\r\n"
			   "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA...\r\n"
			   "-----END PGP MESSAGE-----\r\n";

START_TEST(commit_and_load)
{
	struct spool *s;
	struct spool_job j, k;
	char **ids;
	size_t n;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	ck_assert_str_eq(spool_dir(s), dir);
	make_job(&j, 3);
	ck_assert_int_eq(spool_commit(s, &j, post, sizeof(post) - 1, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(strlen(j.id), SPOOL_ID_LEN - 1);
	ck_assert_int_eq(count_files(dir, ".job"), 1);
	ck_assert_int_eq(count_files(dir, ".post"), 1);
	ck_assert_int_eq(spool_pending(s, &ids, &n, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], j.id);
	ck_assert_int_eq(spool_load(s, ids[0], &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_str_eq(k.list, "list@example.org");
	ck_assert_str_eq(k.poster, "alice@example.com");
	ck_assert_str_eq(k.qid, "4QABC123");
	ck_assert(k.requiretls);
	ck_assert_uint_eq(k.n_rcpts, 3);
	ck_assert_str_eq(k.rcpts[2], "sub2@example.net");
	ck_assert_uint_eq(k.n_done, 0);
	ck_assert_uint_eq(k.post_len, sizeof(post) - 1);
	ck_assert_mem_eq(k.post, post, sizeof(post) - 1);
	spool_ids_free(ids, n);
	spool_job_clear(&k);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

/* role_and_verp - a job for a role address keeps its role and VERP subscriber; a post's job
 * file has no role line (older versions read it) and loads with role NULL */
START_TEST(role_and_verp)
{
	struct spool *s;
	struct spool_job j, k;
	char path[512], *text;
	FILE *f;
	long len;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 1);
	j.role = strdup("bounces");
	j.verp = strdup("sub0@example.net");
	ck_assert_int_eq(spool_commit(s, &j, post, sizeof(post) - 1, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_str_eq(k.role, "bounces");
	ck_assert_str_eq(k.verp, "sub0@example.net");
	spool_job_clear(&k);
	spool_job_clear(&j);

	make_job(&j, 2);
	ck_assert_int_eq(spool_commit(s, &j, post, sizeof(post) - 1, why, sizeof(why)), SPOOL_OK);
	snprintf(path, sizeof(path), "%s/%s.job", dir, j.id);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	ck_assert_ptr_null(strstr(text, "\nrole "));
	ck_assert_ptr_null(strstr(text, "\nverp "));
	free(text);
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_ptr_null(k.role);
	ck_assert_ptr_null(k.verp);
	spool_job_clear(&k);
	spool_job_clear(&j);

	make_job(&j, 1);
	j.role = strdup("own er");
	ck_assert_int_eq(spool_commit(s, &j, post, sizeof(post) - 1, why, sizeof(why)),
			 SPOOL_E_LIMIT);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

START_TEST(pending_oldest_first)
{
	struct spool *s;
	struct spool_job j[5];
	char **ids;
	size_t n;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	for (int i = 0; i < 5; i++) {
		make_job(&j[i], 1);
		ck_assert_int_eq(spool_commit(s, &j[i], post, 10, why, sizeof(why)), SPOOL_OK);
	}
	ck_assert_int_eq(spool_pending(s, &ids, &n, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(n, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_str_eq(ids[i], j[i].id);	/* ids are unique and ordered */
	spool_ids_free(ids, n);
	for (int i = 0; i < 5; i++)
		spool_job_clear(&j[i]);
	spool_close(s);
}
END_TEST

START_TEST(mark_finish)
{
	struct spool *s;
	struct spool_job j, k;
	char **ids;
	size_t n;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 4);
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 0, true, NULL, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 2, false, "key expired\r\nInjected: x", why,
				    sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 2, true, NULL, why, sizeof(why)), SPOOL_OK); /* no-op */
	ck_assert_uint_eq(k.n_done, 2);
	ck_assert_uint_eq(k.n_sent, 1);
	/* not finished yet */
	ck_assert_int_eq(spool_finish(s, &k, why, sizeof(why)), SPOOL_E_LIMIT);
	ck_assert_ptr_nonnull(strstr(why, "2 of 4 subscribers open"));
	ck_assert_int_eq(spool_mark(s, &k, 9, true, NULL, why, sizeof(why)), SPOOL_E_LIMIT);
	ck_assert_int_eq(spool_sync(&k, why, sizeof(why)), SPOOL_OK);
	spool_job_clear(&k);
	/* read back: 0 and 2 done; the reason's line break did not split the line */
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert(k.done[0] && !k.done[1] && k.done[2] && !k.done[3]);
	ck_assert_uint_eq(k.n_done, 2);
	ck_assert_uint_eq(k.n_sent, 1);			/* "ok" lines only */
	ck_assert_int_eq(spool_mark(s, &k, 1, true, NULL, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 3, true, NULL, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(k.n_sent, 3);
	ck_assert_int_eq(spool_finish(s, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(count_files(dir, ".job") + count_files(dir, ".post") +
			 count_files(dir, ".done"), 0);
	ck_assert_int_eq(spool_pending(s, &ids, &n, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(n, 0);
	spool_ids_free(ids, n);
	spool_job_clear(&k);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

/* crash_after - in a child: load job ID, mark the first K subscribers, tell the parent, wait
 * to be killed; the parent kills it with SIGKILL */
static void crash_after(struct spool *s, const char *id, size_t k)
{
	int p[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct spool_job j;
		close(p[0]);
		if (spool_load(s, id, &j, why, sizeof(why)) != SPOOL_OK)
			_exit(2);
		for (size_t i = 0; i < j.n_rcpts && i < k; i++)
			if (!j.done[i] && spool_mark(s, &j, i, true, NULL, why, sizeof(why)) != SPOOL_OK)
				_exit(3);
		if (write(p[1], "x", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

START_TEST(kill9_resume)
{
	struct spool *s;
	struct spool_job j, k;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 200);
	ck_assert_int_eq(spool_commit(s, &j, post, sizeof(post) - 1, why, sizeof(why)), SPOOL_OK);
	crash_after(s, j.id, 77);	/* more than SPOOL_SYNC_EVERY: a sync happened too */
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(k.n_done, 77);
	for (size_t i = 0; i < 200; i++)
		ck_assert(k.done[i] == (i < 77));
	spool_job_clear(&k);
	crash_after(s, j.id, 150);	/* a second crash, resuming from the first */
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(k.n_done, 150);
	spool_job_clear(&k);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

/* append - add raw TEXT to DIR/NAME */
static void append(const char *name, const char *text)
{
	char path[256];
	int fd;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(torn_and_unknown_done_lines)
{
	struct spool *s;
	struct spool_job j, k;
	char name[64];

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 3);
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_OK);
	snprintf(name, sizeof(name), "%s.done", j.id);
	append(name, "ok sub1@example.net\nok nobody@example.net\ngarbage line\nok sub2@exa");
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert(!k.done[0] && k.done[1] && !k.done[2]);	/* torn "sub2" not counted */
	ck_assert_uint_eq(k.n_done, 1);
	spool_job_clear(&k);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

START_TEST(duplicate_subscriber_entries)
{
	struct spool *s;
	struct spool_job j, k;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 3);
	free(j.rcpts[2]);
	j.rcpts[2] = strdup("sub0@example.net");
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 0, true, NULL, why, sizeof(why)), SPOOL_OK);
	spool_job_clear(&k);
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(k.n_done, 1);		/* one line marks one entry */
	ck_assert(k.done[0] != k.done[2]);
	spool_job_clear(&k);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

START_TEST(interrupted_commits_cleaned)
{
	struct spool *s;
	struct spool_job j;
	char **ids;
	size_t n;
	char tmpdir[128];

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 1);
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_OK);
	spool_close(s);
	/* a commit cut short: files in tmp/, a post without its job, progress without a job */
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", dir);
	append("tmp/0000000000000000000000000000000000aa.post", "x");
	append("0000000000000000000000000000000000bb.post", "x");
	append("0000000000000000000000000000000000cc.done", "ok a@b\n");
	append("README", "not ours");
	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(count_files(tmpdir, ""), 0);
	ck_assert_int_eq(spool_pending(s, &ids, &n, why, sizeof(why)), SPOOL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], j.id);
	ck_assert_int_eq(count_files(dir, ".post"), 1);
	ck_assert_int_eq(count_files(dir, ".done"), 0);
	ck_assert_int_eq(count_files(dir, "README"), 1);	/* foreign files are left alone */
	spool_ids_free(ids, n);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

START_TEST(damaged_job_reported)
{
	struct spool *s;
	struct spool_job j;
	const char *id = "0000000000000000000000000000000000dd";

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	append("0000000000000000000000000000000000dd.job", "postward-job 1\nlist a@b\nrcpt x@y\n");
	append("0000000000000000000000000000000000dd.post", "x");
	ck_assert_int_eq(spool_load(s, id, &j, why, sizeof(why)), SPOOL_E_CORRUPT);	/* no end */
	ck_assert_ptr_nonnull(strstr(why, "not a complete job file"));
	ck_assert_int_eq(spool_load(s, "../etc/passwd", &j, why, sizeof(why)), SPOOL_E_CORRUPT);
	ck_assert_int_eq(spool_load(s, "0000000000000000000000000000000000ee", &j, why,
				    sizeof(why)), SPOOL_E_IO);
	spool_close(s);
}
END_TEST

START_TEST(limits)
{
	struct spool *s;
	struct spool_job j;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	make_job(&j, 1);
	ck_assert_int_eq(spool_commit(s, &j, post, SPOOL_MAX_POST + 1, why, sizeof(why)),
			 SPOOL_E_LIMIT);
	free(j.rcpts[0]);
	j.rcpts[0] = strdup("a b@example.net");	/* would break the line format */
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_E_LIMIT);
	free(j.rcpts[0]);
	j.rcpts[0] = strdup("x@example.net\nrcpt y@example.net");
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_E_LIMIT);
	j.n_rcpts = 0;
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_E_LIMIT);
	j.n_rcpts = 1;
	ck_assert_int_eq(count_files(dir, ".job"), 0);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

START_TEST(unusable_directory)
{
	struct spool *s;
	ck_assert_int_eq(spool_open("/proc/no-such/spool", &s, why, sizeof(why)), SPOOL_E_IO);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(why, "cannot create /proc/no-such/spool"));
}
END_TEST

/* modes_in - every entry of directory D (recursing into tmp/): files 0600, directories 0700;
 * counts the files */
static int modes_in(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dd);
	while ((e = readdir(dd)) != NULL) {
		char path[512];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", d, e->d_name);
		ck_assert_int_eq(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			ck_assert_msg((st.st_mode & 07777) == 0700, "%s has mode %o", path,
				      (unsigned)(st.st_mode & 07777));
			n += modes_in(path);
		} else {
			ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", path);
			ck_assert_msg((st.st_mode & 07777) == 0600, "%s has mode %o", path,
				      (unsigned)(st.st_mode & 07777));
			n++;
		}
	}
	closedir(dd);
	return n;
}

/* private_modes - the spool holds posts (encrypted, but with their headers) and subscriber
 * addresses: with umask 0, the directories are 0700 and the post, job and done files 0600 */
START_TEST(private_modes)
{
	struct spool *s;
	struct spool_job j, k;
	mode_t old = umask(0);
	struct stat st;

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	make_job(&j, 3);
	ck_assert_int_eq(spool_commit(s, &j, post, 10, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_load(s, j.id, &k, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 0, true, NULL, why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_mark(s, &k, 1, false, "refused", why, sizeof(why)), SPOOL_OK);
	ck_assert_int_eq(spool_sync(&k, why, sizeof(why)), SPOOL_OK);
	umask(old);
	ck_assert_int_ge(modes_in(dir), 3);		/* the post, the job, the done file */
	ck_assert_int_eq(count_files(dir, ".done"), 1);
	spool_job_clear(&k);
	spool_job_clear(&j);
	spool_close(s);
}
END_TEST

/* notice_ledger - milter/lists/notices.c: told once per token, kept across readings in a
 * 0600 file named after the list (escaped), forgotten by kind, damaged lines dropped, the
 * file removed once empty */
START_TEST(notice_ledger)
{
	struct notices n;
	struct spool *s;
	struct stat st;
	char path[300];
	FILE *f;
	mode_t old = umask(0);

	ck_assert_int_eq(spool_open(dir, &s, why, sizeof(why)), SPOOL_OK);
	ck_assert(notices_begin(dir, "board@lists.test", &n, why, sizeof(why)));
	ck_assert(!notices_told(&n, "a@x", "openpgp expired F 1"));
	ck_assert(notices_record(&n, "a@x", "openpgp expired F 1"));
	ck_assert(notices_record(&n, "b@x", "openpgp none listed"));
	ck_assert(!notices_record(&n, "c\t@x", "openpgp none listed"));	/* would break a line */
	ck_assert(notices_end(&n, why, sizeof(why)));
	umask(old);
	snprintf(path, sizeof(path), "%s/notices/board@lists.test", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	/* read back: the same token is told, another is not */
	ck_assert(notices_begin(dir, "board@lists.test", &n, why, sizeof(why)));
	ck_assert(notices_told(&n, "a@x", "openpgp expired F 1"));
	ck_assert(!notices_told(&n, "a@x", "openpgp revoked F 1"));
	ck_assert(notices_told(&n, "b@x", "openpgp none listed"));
	ck_assert(!notices_told(&n, "c@x", "openpgp none listed"));
	notices_forget(&n, "a@x", "smime");		/* another kind: kept */
	ck_assert(notices_told(&n, "a@x", "openpgp expired F 1"));
	notices_forget(&n, "a@x", "openpgp");
	ck_assert(!notices_told(&n, "a@x", "openpgp expired F 1"));
	ck_assert(notices_record(&n, "b@x", "openpgp revoked G 0"));
	ck_assert(notices_end(&n, why, sizeof(why)));

	/* a line without a TAB and a torn last line are dropped */
	ck_assert_ptr_nonnull(f = fopen(path, "a"));
	fputs("no tab here\nc@x\topenpgp rev", f);
	fclose(f);
	ck_assert(notices_begin(dir, "board@lists.test", &n, why, sizeof(why)));
	ck_assert(!notices_told(&n, "a@x", "openpgp expired F 1"));
	ck_assert(notices_told(&n, "b@x", "openpgp revoked G 0"));
	ck_assert(!notices_told(&n, "b@x", "openpgp none listed"));
	ck_assert(!notices_told(&n, "c@x", "openpgp rev"));
	ck_assert_uint_eq(n.n, 1);
	notices_forget(&n, "b@x", NULL);
	ck_assert(notices_end(&n, why, sizeof(why)));
	ck_assert_int_ne(stat(path, &st), 0);		/* empty: removed */

	/* a list address is a file name inside notices/, never a path */
	ck_assert(notices_begin(dir, "../evil/x", &n, why, sizeof(why)));
	ck_assert(notices_record(&n, "a@x", "openpgp none listed"));
	ck_assert(notices_end(&n, why, sizeof(why)));
	snprintf(path, sizeof(path), "%s/notices/%%2E.%%2Fevil%%2Fx", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	spool_close(s);
}
END_TEST

#define DAY 86400
#define T0 ((time_t)1796500000)		/* 2026-12-05 19:46:40 UTC */

/* bounce_path - the bounce ledger file of board@lists.test */
static void bounce_path(char *path, size_t size)
{
	snprintf(path, size, "%s/bounces/board@lists.test", dir);
}

/* slurp - the whole file PATH into BUF (SIZE), NUL-terminated; its length, -1 if missing */
static long slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* record - bounces_record() that must succeed; the outcome */
static struct bounce_outcome record(struct bounces *b, const char *addr, enum bounce_kind kind,
				    time_t now, double threshold)
{
	struct bounce_outcome o;

	ck_assert(bounces_record(b, addr, kind, now, threshold, NULL, &o));
	return o;
}

/* bounce_scores - hard 1.0, soft and unknown 0.5, one bounce a day, the threshold crossed
 * once, kept across readings, re-enabled by bounces_enable */
START_TEST(bounce_scores)
{
	struct bounces b;
	struct bounce_outcome o;
	char path[300], text[1024];

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert_int_eq(b.stale, 7 * DAY);
	o = record(&b, "a@x", BOUNCE_HARD, T0, 3.0);
	ck_assert(o.counted && !o.crossed && !o.disabled);
	ck_assert(o.score == 1.0);
	o = record(&b, "a@x", BOUNCE_HARD, T0 + 3600, 3.0);	/* the same day */
	ck_assert(!o.counted && o.score == 1.0);
	o = record(&b, "a@x", BOUNCE_SOFT, T0 + DAY, 3.0);
	ck_assert(o.counted && o.score == 1.5);
	o = record(&b, "b@x", BOUNCE_UNKNOWN, T0, 3.0);
	ck_assert(o.score == 0.5);
	ck_assert(!bounces_disabled(&b, "a@x"));
	ck_assert(bounces_end(&b, why, sizeof(why)));

	bounce_path(path, sizeof(path));
	ck_assert_int_gt(slurp(path, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "a@x\t1.5\t1796586400\t0\t-\nb@x\t0.5\t1796500000\t0\t-\n");

	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	o = record(&b, "a@x", BOUNCE_UNKNOWN, T0 + 2 * DAY, 3.0);
	ck_assert(o.score == 2.0 && !o.crossed);
	ck_assert(bounces_record(&b, "a@x", BOUNCE_HARD, T0 + 3 * DAY, 3.0,
				 "5.1.1 smtp; 550\tno such\nuser", &o));
	ck_assert(o.counted && o.crossed && o.disabled && o.score == 3.0);
	ck_assert(bounces_disabled(&b, "a@x"));
	o = record(&b, "a@x", BOUNCE_HARD, T0 + 4 * DAY, 3.0);	/* once, not again */
	ck_assert(o.counted && !o.crossed && o.disabled && o.score == 4.0);
	ck_assert(!bounces_record(&b, "c\t@x", BOUNCE_HARD, T0, 3.0, NULL, &o));
	ck_assert(!bounces_record(&b, "", BOUNCE_HARD, T0, 3.0, NULL, &o));
	ck_assert(bounces_end(&b, why, sizeof(why)));

	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert(bounces_disabled(&b, "a@x"));
	ck_assert(!bounces_disabled(&b, "b@x"));
	ck_assert_uint_eq(b.n, 2);
	ck_assert_str_eq(b.recs[0].reason, "5.1.1 smtp; 550 no such user");
	ck_assert_int_eq(b.recs[0].disabled, T0 + 3 * DAY);
	ck_assert(bounces_score(&b.recs[0]) == 4.0);
	ck_assert(bounces_enable(&b, "a@x"));
	ck_assert(!bounces_enable(&b, "a@x"));
	ck_assert(!bounces_disabled(&b, "a@x"));
	o = record(&b, "a@x", BOUNCE_HARD, T0 + 5 * DAY, 1.0);	/* starts from nothing */
	ck_assert(o.score == 1.0 && o.crossed);
	ck_assert_str_eq(b.recs[0].reason, "bounce score 1.0 reached 1");
	ck_assert(bounces_enable(&b, "a@x"));
	ck_assert(bounces_enable(&b, "b@x"));
	/* delivery switched off by command: disabled without a score, kept across readings,
	 * the first reason stays, bounces_enable clears it */
	ck_assert(bounces_disable(&b, "d@x", T0, "X-SET-DELIVERY by d@x"));
	ck_assert(bounces_disable(&b, "d@x", T0 + DAY, "again"));
	ck_assert(!bounces_disable(&b, "d\t@x", T0, NULL));
	ck_assert(bounces_end(&b, why, sizeof(why)));
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert(bounces_disabled(&b, "d@x"));
	ck_assert_uint_eq(b.n, 1);
	ck_assert_str_eq(b.recs[0].reason, "X-SET-DELIVERY by d@x");
	ck_assert(b.recs[0].disabled == T0 && b.recs[0].halves == 0);
	ck_assert(bounces_enable(&b, "d@x"));
	ck_assert(!bounces_disabled(&b, "d@x"));
	ck_assert(bounces_end(&b, why, sizeof(why)));
	ck_assert_int_eq(slurp(path, text, sizeof(text)), -1);	/* empty: removed */
}
END_TEST

/* bounce_stale - a bounce more than the stale period after the last one starts over */
START_TEST(bounce_stale)
{
	struct bounces b;
	struct bounce_outcome o;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	record(&b, "a@x", BOUNCE_HARD, T0, 5.0);
	record(&b, "a@x", BOUNCE_HARD, T0 + DAY, 5.0);
	o = record(&b, "a@x", BOUNCE_HARD, T0 + 8 * DAY + 1, 5.0);	/* > 7 days after */
	ck_assert(o.counted && o.score == 1.0);
	o = record(&b, "a@x", BOUNCE_SOFT, T0 + 15 * DAY + 1, 5.0);	/* exactly 7 days */
	ck_assert(o.score == 1.5);
	b.stale = 2 * DAY;
	o = record(&b, "a@x", BOUNCE_HARD, T0 + 18 * DAY, 5.0);
	ck_assert(o.score == 1.0);
	o = record(&b, "a@x", BOUNCE_HARD, T0 + 17 * DAY, 5.0);	/* the clock went back */
	ck_assert(o.counted && o.score == 1.0);
	ck_assert(bounces_end(&b, why, sizeof(why)));
}
END_TEST

/* bounce_list - every subscriber in address order; EACH stops it */
static bool list_each(void *arg, const struct bounce_rec *r)
{
	char *out = arg;

	strcat(out, r->addr);
	strcat(out, r->disabled != 0 ? "! " : " ");
	return strcmp(r->addr, "c@x") != 0;
}

START_TEST(bounce_list)
{
	struct bounces b;
	char out[256] = "";

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	record(&b, "d@x", BOUNCE_SOFT, T0, 1.0);
	record(&b, "c@x", BOUNCE_HARD, T0, 1.0);
	record(&b, "a@x", BOUNCE_SOFT, T0, 1.0);
	bounces_list(&b, list_each, out);
	ck_assert_str_eq(out, "a@x c@x! ");
	ck_assert(bounces_end(&b, why, sizeof(why)));
}
END_TEST

/* bounce_damage - lines that do not parse are dropped, the first line of an address counts,
 * a file over BOUNCES_MAX_FILE starts over */
START_TEST(bounce_damage)
{
	struct bounces b;
	char path[300];
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert(bounces_end(&b, why, sizeof(why)));		/* makes bounces/ */
	bounce_path(path, sizeof(path));
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("ok@x\t2.5\t1796500000\t1796500000\tfive hard bounces\n"
	      "ok@x\t0.5\t1\t0\t-\n"				/* again: the first counts */
	      "few@x\t1.0\t1796500000\t0\n"			/* a field short */
	      "many@x\t1.0\t1796500000\t0\t-\textra\n"
	      "neg@x\t-1.0\t1796500000\t0\t-\n"
	      "frac@x\t1.2\t1796500000\t0\t-\n"
	      "big@x\t99999999999999999999.0\t1796500000\t0\t-\n"
	      "time@x\t1.0\t17965x\t0\t-\n"
	      "empty@x\t1.0\t1796500000\t5\t\n"
	      "\t1.0\t1796500000\t0\t-\n"
	      "torn@x\t1.0\t1796500000\t0\t-", f);		/* no LF: torn */
	fclose(f);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert_uint_eq(b.n, 1);
	ck_assert_str_eq(b.recs[0].addr, "ok@x");
	ck_assert(bounces_score(&b.recs[0]) == 2.5);
	ck_assert_str_eq(b.recs[0].reason, "five hard bounces");
	ck_assert(bounces_disabled(&b, "ok@x"));
	ck_assert(bounces_end(&b, why, sizeof(why)));

	ck_assert_int_eq(truncate(path, (off_t)BOUNCES_MAX_FILE + 1), 0);	/* sparse */
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert_uint_eq(b.n, 0);
	ck_assert(bounces_end(&b, why, sizeof(why)));
	ck_assert_int_ne(access(path, F_OK), 0);			/* started over */
}
END_TEST

/* ledger_fault - a save that fails mid-way (the fault point of ledger.h, at 0 and 7 octets
 * and one short of the whole) leaves the old file as it was, byte for byte, and no temporary
 * file; a temporary file a crash left is not read and is replaced; the same for notices */
START_TEST(ledger_fault)
{
	struct bounces b;
	struct notices n;
	char path[300], tmp[320], before[1024], after[1024];
	size_t fails[] = { 0, 7, 0 };
	long len;
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	record(&b, "a@x", BOUNCE_HARD, T0, 5.0);
	record(&b, "b@x", BOUNCE_SOFT, T0, 5.0);
	ck_assert(bounces_end(&b, why, sizeof(why)));
	bounce_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/bounces/tmp.board@lists.test", dir);
	ck_assert_int_gt(len = slurp(path, before, sizeof(before)), 0);
	fails[2] = (size_t)len + strlen("c@x\t1.0\t1796500000\t0\t-\n") - 1;

	for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
		record(&b, "c@x", BOUNCE_HARD, T0, 5.0);
		ledger_fail_after = fails[i];
		ck_assert(!bounces_end(&b, why, sizeof(why)));
		ck_assert_msg(strstr(why, "cannot write") != NULL, "%s", why);
		ck_assert_int_eq(slurp(path, after, sizeof(after)), len);
		ck_assert_str_eq(after, before);
		ck_assert_int_ne(access(tmp, F_OK), 0);
	}

	/* a crash after the temporary file was written, before the rename */
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fputs("c@x\t9.0\t1796500000\t1796500000\tfrom a crash\nhalf-writ", f);
	fclose(f);
	ck_assert(bounces_begin(dir, "board@lists.test", &b, why, sizeof(why)));
	ck_assert_uint_eq(b.n, 2);
	ck_assert(!bounces_disabled(&b, "c@x"));
	record(&b, "c@x", BOUNCE_HARD, T0, 5.0);
	ck_assert(bounces_end(&b, why, sizeof(why)));
	ck_assert_int_ne(access(tmp, F_OK), 0);
	ck_assert_int_gt(slurp(path, after, sizeof(after)), len);
	ck_assert_ptr_nonnull(strstr(after, "c@x\t1.0\t"));

	/* the notice ledger shares the file code: the same fault leaves its file too */
	ck_assert(notices_begin(dir, "board@lists.test", &n, why, sizeof(why)));
	ck_assert(notices_record(&n, "a@x", "openpgp expired F 1"));
	ck_assert(notices_end(&n, why, sizeof(why)));
	snprintf(path, sizeof(path), "%s/notices/board@lists.test", dir);
	ck_assert_int_gt(len = slurp(path, before, sizeof(before)), 0);
	ck_assert(notices_begin(dir, "board@lists.test", &n, why, sizeof(why)));
	ck_assert(notices_record(&n, "b@x", "openpgp none listed"));
	ledger_fail_after = 5;
	ck_assert(!notices_end(&n, why, sizeof(why)));
	ck_assert_int_eq(slurp(path, after, sizeof(after)), len);
	ck_assert_str_eq(after, before);
}
END_TEST

/* spool_suite - every test */
static Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("spool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, commit_and_load);
	tcase_add_test(tc, role_and_verp);
	tcase_add_test(tc, pending_oldest_first);
	tcase_add_test(tc, mark_finish);
	tcase_add_test(tc, kill9_resume);
	tcase_add_test(tc, torn_and_unknown_done_lines);
	tcase_add_test(tc, duplicate_subscriber_entries);
	tcase_add_test(tc, interrupted_commits_cleaned);
	tcase_add_test(tc, damaged_job_reported);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, private_modes);
	tcase_add_test(tc, unusable_directory);
	tcase_add_test(tc, notice_ledger);
	tcase_add_test(tc, bounce_scores);
	tcase_add_test(tc, bounce_stale);
	tcase_add_test(tc, bounce_list);
	tcase_add_test(tc, bounce_damage);
	tcase_add_test(tc, ledger_fault);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spool_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
