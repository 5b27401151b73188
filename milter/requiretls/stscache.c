/*
 * milter/requiretls/stscache.c - the shared MTA-STS policy cache.
 * Contract and lock: see stscache.h.
 */
#include "stscache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
	char domain[MTASTS_MAX_NAME + 1];
	char id[MTASTS_MAX_ID + 1];
	struct mtasts_policy pol;
	time_t expires;
	unsigned long used;		/* tick of the last get or put */
};

/* guarded by cache_lock */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **table;
static size_t n_table, cap_table;
static unsigned long tick, hits, misses, evictions;

struct failure {
	char domain[MTASTS_MAX_NAME + 1];	/* "" = free */
	char id[MTASTS_MAX_ID + 1];
	bool notfound;
	char why[200];
	time_t at;
};

/* guarded by cache_lock: failed fetches, a ring */
static struct failure failures[STSCACHE_FAIL_SLOTS];
static size_t fail_next;

/* find - the index of DOMAIN's entry, or n_table (cache_lock held) */
static size_t find(const char *domain)
{
	size_t i;

	for (i = 0; i < n_table; i++)
		if (strcasecmp(table[i]->domain, domain) == 0)
			break;
	return i;
}

/* drop - remove entry I (cache_lock held) */
static void drop(size_t i)
{
	free(table[i]);
	table[i] = table[--n_table];
}

/* stscache_get - copy out an unexpired entry */
bool stscache_get(const char *domain, time_t now, struct mtasts_policy *pol, char *id,
		  time_t *expires)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	i = find(domain);
	if (i < n_table && table[i]->expires > now) {
		*pol = table[i]->pol;
		memcpy(id, table[i]->id, sizeof(table[i]->id));
		*expires = table[i]->expires;
		table[i]->used = ++tick;
		found = true;
		hits++;
	} else {
		misses++;
	}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

/* stscache_put - store, evicting expired then least recently used entries past CAP */
bool stscache_put(const char *domain, const char *id, const struct mtasts_policy *pol,
		  time_t now, size_t cap)
{
	struct entry *e;
	size_t i;
	bool ok = true;

	if (strlen(domain) > MTASTS_MAX_NAME || strlen(id) > MTASTS_MAX_ID || cap == 0)
		return false;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return false;
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->pol = *pol;
	e->expires = now + (time_t)pol->max_age;
	pthread_mutex_lock(&cache_lock);
	e->used = ++tick;
	if ((i = find(domain)) < n_table)
		drop(i);
	for (i = 0; i < n_table;)	/* the expired ones first */
		if (n_table >= cap && table[i]->expires <= now) {
			drop(i);
			evictions++;
		} else {
			i++;
		}
	while (n_table >= cap) {	/* then the least recently used */
		size_t lru = 0;
		for (i = 1; i < n_table; i++)
			if (table[i]->used < table[lru]->used)
				lru = i;
		drop(lru);
		evictions++;
	}
	if (n_table == cap_table) {
		size_t nc = cap_table ? cap_table * 2 : 64;
		struct entry **nt = realloc(table, nc * sizeof(*nt));
		if (nt == NULL)
			ok = false;
		else {
			table = nt;
			cap_table = nc;
		}
	}
	if (ok)
		table[n_table++] = e;
	pthread_mutex_unlock(&cache_lock);
	if (!ok)
		free(e);
	return ok;
}

/* stscache_stats - the counters */
void stscache_stats(struct stscache_stats *s)
{
	pthread_mutex_lock(&cache_lock);
	s->entries = n_table;
	s->hits = hits;
	s->misses = misses;
	s->evictions = evictions;
	pthread_mutex_unlock(&cache_lock);
}

/* stscache_clear - forget everything */
void stscache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	memset(failures, 0, sizeof(failures));
	fail_next = 0;
	while (n_table > 0)
		drop(0);
	free(table);
	table = NULL;
	cap_table = 0;
	pthread_mutex_unlock(&cache_lock);
}

/* fail_find - DOMAIN's slot among the failures, or NULL (cache_lock held) */
static struct failure *fail_find(const char *domain)
{
	for (size_t i = 0; i < STSCACHE_FAIL_SLOTS; i++)
		if (failures[i].domain[0] != '\0' && strcasecmp(failures[i].domain, domain) == 0)
			return &failures[i];
	return NULL;
}

/* stscache_fail_get - a recent failure of DOMAIN under ID */
bool stscache_fail_get(const char *domain, const char *id, time_t now, bool *notfound,
		       char *why, size_t whylen, time_t *when)
{
	struct failure *f;
	bool found = false;

	pthread_mutex_lock(&cache_lock);
	if ((f = fail_find(domain)) != NULL && strcmp(f->id, id) == 0 && now >= f->at &&
	    now - f->at < STSCACHE_FAIL_TTL) {
		*notfound = f->notfound;
		snprintf(why, whylen, "%s", f->why);
		*when = f->at;
		found = true;
	}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

/* stscache_fail_put - remember a failure of DOMAIN under ID */
void stscache_fail_put(const char *domain, const char *id, bool notfound, const char *why,
		       time_t now)
{
	struct failure *f;

	if (strlen(domain) > MTASTS_MAX_NAME || strlen(id) > MTASTS_MAX_ID)
		return;
	pthread_mutex_lock(&cache_lock);
	if ((f = fail_find(domain)) == NULL) {
		f = &failures[fail_next];
		fail_next = (fail_next + 1) % STSCACHE_FAIL_SLOTS;
	}
	snprintf(f->domain, sizeof(f->domain), "%s", domain);
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->notfound = notfound;
	snprintf(f->why, sizeof(f->why), "%s", why);
	f->at = now;
	pthread_mutex_unlock(&cache_lock);
}
