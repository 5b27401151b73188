/*
 * milter/lists/statefile.c - per-list state files: names and the crash-safe replace.
 * Contract: see statefile.h.
 */
#include "build-config.h"
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum statefile_fault statefile_fault = STATEFILE_FAULT_NONE;

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

/* statefile_open - names, and the directory */
bool statefile_open(struct statefile *sf, const char *dir, const char *kind, const char *list,
		    char *why, size_t whylen)
{
	char *name = file_name(list), *sub = name != NULL ? join("/", kind, "") : NULL;

	memset(sf, 0, sizeof(*sf));
	if (sub == NULL || (sf->dir = join(dir, sub, "")) == NULL ||
	    (sf->path = join(sf->dir, "/", name)) == NULL ||
	    (sf->tmp = join(sf->dir, "/tmp.", name)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if (mkdir(sf->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", sf->dir, strerror(errno));
		goto fail;
	}
	free(name);
	free(sub);
	return true;
fail:
	free(name);
	free(sub);
	statefile_close(sf);
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

/* statefile_replace - write tmp, fsync, rename, fsync the directory (no data: remove) */
bool statefile_replace(const struct statefile *sf, const char *data, size_t len, char *why,
		       size_t whylen)
{
	enum statefile_fault fault = statefile_fault;
	FILE *f;
	int fd;
	bool ok;

	statefile_fault = STATEFILE_FAULT_NONE;
	if (len == 0) {
		if (unlink(sf->path) != 0 && errno != ENOENT) {
			snprintf(why, whylen, "cannot remove %s: %s", sf->path, strerror(errno));
			return false;
		}
		sync_dir(sf->dir);
		return true;
	}
	if ((fd = open(sf->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(why, whylen, "cannot write %s: %s", sf->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (fault == STATEFILE_FAULT_TORN_TMP)
		len /= 2;
	ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = false;
	if (fault == STATEFILE_FAULT_TORN_TMP) {
		snprintf(why, whylen, "fault injected (torn%s)", ok ? "" : ", write failed");
		return false;
	}
	if (ok && fault == STATEFILE_FAULT_BEFORE_RENAME) {
		snprintf(why, whylen, "fault injected (before rename)");
		return false;
	}
	if (!ok || rename(sf->tmp, sf->path) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", sf->path, strerror(errno));
		unlink(sf->tmp);
		return false;
	}
	if (!sync_dir(sf->dir)) {
		snprintf(why, whylen, "cannot sync %s: %s", sf->dir, strerror(errno));
		return false;
	}
	return true;
}

/* statefile_close - release the names */
void statefile_close(struct statefile *sf)
{
	free(sf->dir);
	free(sf->path);
	free(sf->tmp);
	memset(sf, 0, sizeof(*sf));
}
