/*
 * milter/lists/ledger.c - the file of a per-list state ledger: names, line reading, atomic
 * rewrite.  Contract: see ledger.h.  What was notices.c's own file handling, shared with
 * bounces.c and seen.c.
 */
#include "build-config.h"
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t ledger_fail_after = SIZE_MAX;

/* file_name - the list address as a file name: letters, digits, "@._+-" kept, the rest %XX;
 * a leading dot is escaped too (no hidden files, no "." or "..") */
static char *file_name(const char *list)
{
	size_t len = strlen(list);
	char *out = malloc(3 * len + 1), *o = out;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)list[i];
		if (((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		     ch == '@' || ch == '_' || ch == '+' || ch == '-' || ch == '.') &&
		    !(i == 0 && ch == '.'))
			*o++ = (char)ch;
		else
			o += sprintf(o, "%%%02X", ch);
	}
	*o = '\0';
	return out;
}

/* join - A B C in one malloc'd string; NULL when out of memory */
static char *join(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);
	if (s != NULL) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb);
		memcpy(s + la + lb, c, lc + 1);
	}
	return s;
}

/* ledger_close - release what *LF owns */
void ledger_close(struct ledger_file *lf)
{
	free(lf->dir);
	free(lf->path);
	free(lf->tmp);
	memset(lf, 0, sizeof(*lf));
}

/* ledger_open - the names, and the directory */
bool ledger_open(const char *dir, const char *sub, const char *list, struct ledger_file *lf,
		 char *why, size_t whylen)
{
	char *name = file_name(list);

	memset(lf, 0, sizeof(*lf));
	if (name == NULL || (lf->dir = join(dir, "/", sub)) == NULL ||
	    (lf->path = join(lf->dir, "/", name)) == NULL ||
	    (lf->tmp = join(lf->dir, "/tmp.", name)) == NULL) {
		free(name);
		ledger_close(lf);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	free(name);
	if (mkdir(lf->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", lf->dir, strerror(errno));
		ledger_close(lf);
		return false;
	}
	return true;
}

/* ledger_read - the whole lines of the file to LINE */
bool ledger_read(const struct ledger_file *lf, size_t max_line, off_t max_file,
		 bool (*line)(void *arg, char *line), void *arg, bool *restart, char *why,
		 size_t whylen)
{
	FILE *f = fopen(lf->path, "r");
	char *buf;
	struct stat st;
	bool ok = true;

	*restart = false;
	if (f == NULL) {
		if (errno == ENOENT)
			return true;
		snprintf(why, whylen, "%s: %s", lf->path, strerror(errno));
		return false;
	}
	if (fstat(fileno(f), &st) == 0 && st.st_size > max_file) {
		fclose(f);
		*restart = true;
		return true;
	}
	if ((buf = malloc(max_line + 2)) == NULL) {
		fclose(f);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	while (ok && fgets(buf, (int)(max_line + 2), f) != NULL) {
		size_t len = strlen(buf);
		if (len == 0 || buf[len - 1] != '\n') {	/* too long or torn: skip it */
			int ch;
			while (len > 0 && buf[len - 1] != '\n' && (ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		buf[len - 1] = '\0';
		if (!(ok = line(arg, buf)))
			snprintf(why, whylen, "out of memory");
	}
	free(buf);
	fclose(f);
	return ok;
}

/* ledger_load - open, then read */
bool ledger_load(const char *dir, const char *sub, const char *list, struct ledger_file *lf,
		 size_t max_line, off_t max_file, bool (*line)(void *arg, char *line), void *arg,
		 bool *restart, char *why, size_t whylen)
{
	if (!ledger_open(dir, sub, list, lf, why, whylen))
		return false;
	if (ledger_read(lf, max_line, max_file, line, arg, restart, why, whylen))
		return true;
	ledger_close(lf);
	return false;
}

/* sync_dir - fsync a directory */
static bool sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	bool ok = fd >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* write_all - the LEN octets at P to FD, stopping with EIO at the fault point after
 * FAIL_AFTER octets */
static bool write_all(int fd, const char *p, size_t len, size_t fail_after)
{
	size_t done = 0;

	while (done < len) {
		size_t n = len - done;
		ssize_t w;
		if (fail_after != SIZE_MAX && done + n > fail_after) {
			if (done >= fail_after) {
				errno = EIO;
				return false;
			}
			n = fail_after - done;
		}
		if ((w = write(fd, p + done, n)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		done += (size_t)w;
	}
	return true;
}

/* ledger_save - write tmp, fsync, rename, fsync the directory (LEN 0: remove the file) */
bool ledger_save(const struct ledger_file *lf, const char *text, size_t len, char *why,
		 size_t whylen)
{
	size_t fail_after = ledger_fail_after;
	int fd;

	if (fail_after != SIZE_MAX)
		ledger_fail_after = SIZE_MAX;		/* one shot */
	if (len == 0) {
		if (unlink(lf->path) != 0 && errno != ENOENT) {
			snprintf(why, whylen, "cannot remove %s: %s", lf->path, strerror(errno));
			return false;
		}
		sync_dir(lf->dir);
		return true;
	}
	if ((fd = open(lf->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(why, whylen, "cannot write %s: %s", lf->tmp, strerror(errno));
		return false;
	}
	if (!write_all(fd, text, len, fail_after) || fsync(fd) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", lf->tmp, strerror(errno));
		close(fd);
		unlink(lf->tmp);
		return false;
	}
	if (close(fd) != 0 || rename(lf->tmp, lf->path) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", lf->path, strerror(errno));
		unlink(lf->tmp);
		return false;
	}
	if (!sync_dir(lf->dir)) {
		snprintf(why, whylen, "cannot sync %s: %s", lf->dir, strerror(errno));
		return false;
	}
	return true;
}

/* ledger_write - the lines into memory, then ledger_save() */
bool ledger_write(const struct ledger_file *lf, size_t n,
		  bool (*put)(void *arg, size_t i, FILE *f), void *arg, char *why, size_t whylen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	bool ok = m != NULL;

	for (size_t i = 0; i < n && ok; i++)
		ok = put(arg, i, m);
	if (m != NULL && fclose(m) != 0)
		ok = false;
	if (!ok) {
		free(text);
		snprintf(why, whylen, "cannot make %s: out of memory", lf->path);
		return false;
	}
	ok = ledger_save(lf, text, len, why, whylen);
	free(text);
	return ok;
}

/* ledger_find - binary search by address */
size_t ledger_find(const void *recs, size_t n, size_t size, const char *addr, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(*(char *const *)(const void *)((const char *)recs + mid * size), addr);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* ledger_insert - one more record (a ledger holds the few subscribers it is about) */
void *ledger_insert(void *recs, size_t *n, size_t size, size_t at)
{
	char *r = realloc(recs, (*n + 1) * size);

	if (r == NULL)
		return NULL;
	memmove(r + (at + 1) * size, r + at * size, (*n - at) * size);
	memset(r + at * size, 0, size);
	(*n)++;
	return r;
}

/* ledger_remove - one record less */
void ledger_remove(void *recs, size_t *n, size_t size, size_t at)
{
	char *r = recs;

	memmove(r + at * size, r + (at + 1) * size, (*n - at - 1) * size);
	(*n)--;
}

/* ledger_clean - fit for a line */
bool ledger_clean(const char *s, size_t max)
{
	return *s != '\0' && strpbrk(s, "\t\r\n") == NULL && strlen(s) < max;
}
