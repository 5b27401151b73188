/*
 * milter/lists/notices.c - the notice ledger: once per key state, crash-safe.
 * Contract: see notices.h.
 */
#include "build-config.h"
#include "notices.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	statefile_close(&n->sf);
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

/* load - read the ledger file (missing: empty); false + WHY on an I/O error or no memory */
static bool load(struct notices *n, char *why, size_t whylen)
{
	FILE *f = fopen(n->sf.path, "r");
	char line[NOTICES_MAX_LINE + 2];
	struct stat st;
	if (f == NULL) {
		if (errno == ENOENT)
			return true;
		snprintf(why, whylen, "%s: %s", n->sf.path, strerror(errno));
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

/* notices_begin - lock, then read */
bool notices_begin(const char *dir, const char *list, struct notices *n, char *why,
		   size_t whylen)
{
	memset(n, 0, sizeof(*n));
	pthread_mutex_lock(&ledger_lock);
	if (!statefile_open(&n->sf, dir, "notices", list, why, whylen) ||
	    !load(n, why, whylen)) {
		clear(n);
		pthread_mutex_unlock(&ledger_lock);
		return false;
	}
	return true;
}

/* save - the records as lines, replaced whole (no records: the file removed) */
static bool save(struct notices *n, char *why, size_t whylen)
{
	size_t len = 0, off = 0;
	char *data;
	bool ok;

	for (size_t i = 0; i < n->n; i++)
		len += strlen(n->recs[i].addr) + strlen(n->recs[i].token) + 2;
	if ((data = malloc(len + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n->n; i++)
		off += (size_t)sprintf(data + off, "%s\t%s\n", n->recs[i].addr, n->recs[i].token);
	ok = statefile_replace(&n->sf, data, off, why, whylen);
	free(data);
	return ok;
}

/* notices_end - save if changed, release, unlock */
bool notices_end(struct notices *n, char *why, size_t whylen)
{
	bool ok = !n->changed || save(n, why, whylen);
	clear(n);
	pthread_mutex_unlock(&ledger_lock);
	return ok;
}
