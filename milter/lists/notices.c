/*
 * milter/lists/notices.c - the notice ledger: once per key state, crash-safe.
 * Contract: see notices.h.
 */
#include "build-config.h"
#include "notices.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	ledger_close(&n->file);
	memset(n, 0, sizeof(*n));
}

/* find - index of ADDR in the sorted records, or where it would go (*FOUND says which) */
static size_t find(const struct notices *n, const char *addr, bool *found)
{
	return ledger_find(n->recs, n->n, sizeof(*n->recs), addr, found);
}

/* clean - no TAB, CR or LF (they would break the line format), not empty */
static bool clean(const char *s)
{
	return ledger_clean(s, NOTICES_MAX_LINE / 2);
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
		char *a = strdup(addr);
		struct notice_rec *r;
		t = a != NULL ? strdup(token) : NULL;
		if (t == NULL || (r = ledger_insert(n->recs, &n->n, sizeof(*r), i)) == NULL) {
			free(a);
			free(t);
			return false;
		}
		n->recs = r;
		r[i].addr = a;
		r[i].token = t;
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
	ledger_remove(n->recs, &n->n, sizeof(*n->recs), i);
	n->changed = true;
}

/* load_line - one line of the ledger file: "ADDRESS TAB TOKEN" recorded, another dropped;
 * false when out of memory */
static bool load_line(void *arg, char *line)
{
	struct notices *n = arg;
	char *tab = strchr(line, '\t');

	if (tab == NULL)
		return true;
	*tab = '\0';
	if (!clean(line) || !clean(tab + 1))
		return true;
	return notices_record(n, line, tab + 1);
}

/* notices_begin - lock, then read */
bool notices_begin(const char *dir, const char *list, struct notices *n, char *why,
		   size_t whylen)
{
	bool restart;
	memset(n, 0, sizeof(*n));
	pthread_mutex_lock(&ledger_lock);
	if (ledger_load(dir, "notices", list, &n->file, NOTICES_MAX_LINE,
			(off_t)NOTICES_MAX_FILE, load_line, n, &restart, why, whylen)) {
		n->changed = restart;	/* a file too large starts over */
		return true;
	}
	clear(n);
	pthread_mutex_unlock(&ledger_lock);
	return false;
}

/* put_line - record I of the ledger ARG as a line of F */
static bool put_line(void *arg, size_t i, FILE *f)
{
	const struct notices *n = arg;

	return fprintf(f, "%s\t%s\n", n->recs[i].addr, n->recs[i].token) > 0;
}

/* save - the records as the new ledger file (none: the file removed) */
static bool save(struct notices *n, char *why, size_t whylen)
{
	return ledger_write(&n->file, n->n, put_line, n, why, whylen);
}

/* notices_end - save if changed, release, unlock */
bool notices_end(struct notices *n, char *why, size_t whylen)
{
	bool ok = !n->changed || save(n, why, whylen);
	clear(n);
	pthread_mutex_unlock(&ledger_lock);
	return ok;
}
