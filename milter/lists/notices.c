/*
 * milter/lists/notices.c - the notice ledger: once per key state, crash-safe.
 * Contract: see notices.h.
 */
#include "build-config.h"
#include "notices.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the ledger lock: held from notices_begin to notices_end */
static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;

/* clear - release what *N owns */
static void clear(struct notices *n)
{
	for (size_t i = 0; i < n->n; i++) {
		free(n->recs[i].addr);
		free(n->recs[i].token);
	}
	free(n->recs);
	free(n->path);
	free(n->tmp);
	free(n->dir);
	memset(n, 0, sizeof(*n));
}

/* find - index of ADDR in the sorted records, or where it would go (*FOUND says which) */
static size_t find(const struct notices *n, const char *addr, bool *found)
{
	size_t lo = 0, hi = n->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(n->recs[mid].addr, addr);
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

/* clean - no TAB, CR or LF (they would break the line format), not empty */
static bool clean(const char *s)
{
	return *s != '\0' && strpbrk(s, "\t\r\n") == NULL && strlen(s) < NOTICES_MAX_LINE / 2;
}

/* notices_record - set ADDR's token */
bool notices_record(struct notices *n, const char *addr, const char *token)
{
	bool found;
	size_t i;
	char *t;
	if (!clean(addr) || !clean(token))
		return false;
	i = find(n, addr, &found);
	if (found) {
		if (strcmp(n->recs[i].token, token) == 0)
			return true;
		if ((t = strdup(token)) == NULL)
			return false;
		free(n->recs[i].token);
		n->recs[i].token = t;
		n->changed = true;
		return true;
	}
	{
		/* one more entry each time: a ledger holds the few subscribers told */
		struct notice_rec *r = realloc(n->recs, (n->n + 1) * sizeof(*r));
		char *a = r != NULL ? strdup(addr) : NULL;
		if (r != NULL)
			n->recs = r;
		t = a != NULL ? strdup(token) : NULL;
		if (a == NULL || t == NULL) {
			free(a);
			free(t);
			return false;
		}
		memmove(n->recs + i + 1, n->recs + i, (n->n - i) * sizeof(*n->recs));
		n->recs[i].addr = a;
		n->recs[i].token = t;
		n->n++;
	}
	n->changed = true;
	return true;
}

/* notices_told - same token recorded */
bool notices_told(const struct notices *n, const char *addr, const char *token)
{
	bool found;
	size_t i = find(n, addr, &found);
	return found && strcmp(n->recs[i].token, token) == 0;
}

/* notices_forget - drop ADDR (if its token begins with KIND) */
void notices_forget(struct notices *n, const char *addr, const char *kind)
{
	bool found;
	size_t i = find(n, addr, &found);
	if (!found || (kind != NULL && strncmp(n->recs[i].token, kind, strlen(kind)) != 0))
		return;
	free(n->recs[i].addr);
	free(n->recs[i].token);
	memmove(n->recs + i, n->recs + i + 1, (n->n - i - 1) * sizeof(*n->recs));
	n->n--;
	n->changed = true;
}

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

/* load - read the ledger file (missing: empty); false + WHY on an I/O error or no memory */
static bool load(struct notices *n, char *why, size_t whylen)
{
	FILE *f = fopen(n->path, "r");
	char line[NOTICES_MAX_LINE + 2];
	struct stat st;
	if (f == NULL) {
		if (errno == ENOENT)
			return true;
		snprintf(why, whylen, "%s: %s", n->path, strerror(errno));
		return false;
	}
	if (fstat(fileno(f), &st) == 0 && st.st_size > (off_t)NOTICES_MAX_FILE) {
		fclose(f);
		n->changed = true;	/* starts over */
		return true;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		char *tab;
		if (len == 0 || line[len - 1] != '\n') {	/* too long or torn: skip it */
			int ch;
			while (len > 0 && line[len - 1] != '\n' && (ch = fgetc(f)) != EOF && ch != '\n')
				;
			n->changed = true;
			continue;
		}
		line[len - 1] = '\0';
		if ((tab = strchr(line, '\t')) == NULL) {
			n->changed = true;
			continue;
		}
		*tab = '\0';
		if (!clean(line) || !clean(tab + 1)) {
			n->changed = true;
			continue;
		}
		if (!notices_record(n, line, tab + 1)) {
			fclose(f);
			snprintf(why, whylen, "out of memory");
			return false;
		}
	}
	fclose(f);
	n->changed = false;
	return true;
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

/* notices_begin - lock, then read */
bool notices_begin(const char *dir, const char *list, struct notices *n, char *why,
		   size_t whylen)
{
	char *name;
	memset(n, 0, sizeof(*n));
	pthread_mutex_lock(&ledger_lock);
	name = file_name(list);
	if (name == NULL || (n->dir = join(dir, "/notices", "")) == NULL ||
	    (n->path = join(n->dir, "/", name)) == NULL ||
	    (n->tmp = join(n->dir, "/tmp.", name)) == NULL) {
		free(name);
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	free(name);
	if (mkdir(n->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", n->dir, strerror(errno));
		goto fail;
	}
	if (!load(n, why, whylen))
		goto fail;
	return true;
fail:
	clear(n);
	pthread_mutex_unlock(&ledger_lock);
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

/* save - write tmp, fsync, rename, fsync the directory (no records: remove the file) */
static bool save(struct notices *n, char *why, size_t whylen)
{
	FILE *f;
	int fd;
	bool ok;
	if (n->n == 0) {
		if (unlink(n->path) != 0 && errno != ENOENT) {
			snprintf(why, whylen, "cannot remove %s: %s", n->path, strerror(errno));
			return false;
		}
		sync_dir(n->dir);
		return true;
	}
	if ((fd = open(n->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(why, whylen, "cannot write %s: %s", n->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	ok = true;
	for (size_t i = 0; i < n->n && ok; i++)
		ok = fprintf(f, "%s\t%s\n", n->recs[i].addr, n->recs[i].token) > 0;
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = false;
	if (!ok || rename(n->tmp, n->path) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", n->path, strerror(errno));
		unlink(n->tmp);
		return false;
	}
	if (!sync_dir(n->dir)) {
		snprintf(why, whylen, "cannot sync %s: %s", n->dir, strerror(errno));
		return false;
	}
	return true;
}

/* notices_end - save if changed, release, unlock */
bool notices_end(struct notices *n, char *why, size_t whylen)
{
	bool ok = !n->changed || save(n, why, whylen);
	clear(n);
	pthread_mutex_unlock(&ledger_lock);
	return ok;
}
