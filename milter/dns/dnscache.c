/*
 * milter/dns/dnscache.c - bounded LRU cache of validated DNS answers.
 * Contract and locking: see dnscache.h.
 */
#include "build-config.h"
#include "dnscache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* the two parts of the cache, each with its own LRU list and bound (see dnscache.h) */
enum pool { POOL_ANSWERS, POOL_CHAIN, N_POOLS };

struct entry {
	char *key;			/* "TYPE/name." canonical */
	struct dns_answer a;		/* owned */
	time_t expires;
	enum pool pool;
	struct entry *hnext;		/* bucket chain */
	struct entry *prev, *next;	/* its pool's LRU list: head = most recent */
};

struct lru {
	struct entry *head, *tail;
	size_t entries;
};

struct dnscache {
	pthread_mutex_t lock;		/* guards everything below */
	struct entry **buckets;
	size_t nbuckets, entries, capacity;
	struct lru pools[N_POOLS];
	struct dnscache_stats st;
};

/* pool_of - DNSKEY and DS records are the chain of trust; everything else an answer */
static enum pool pool_of(ldns_rr_type type)
{
	return type == LDNS_RR_TYPE_DNSKEY || type == LDNS_RR_TYPE_DS ? POOL_CHAIN : POOL_ANSWERS;
}

/* make_key - "TYPE/name" with the name in canonical (lower-case) form */
static char *make_key(const ldns_rdf *name, ldns_rr_type type)
{
	ldns_rdf *canon;
	char *s, *key;
	size_t n;

	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME ||
	    ldns_rdf_size(name) == 0 || (canon = ldns_rdf_clone(name)) == NULL)
		return NULL;
	ldns_dname2canonical(canon);
	s = ldns_rdf2str(canon);
	ldns_rdf_deep_free(canon);
	if (s == NULL)
		return NULL;
	n = strlen(s) + 16;
	if ((key = malloc(n)) != NULL)
		snprintf(key, n, "%u/%s", (unsigned)type, s);
	free(s);
	return key;
}

/* hash - FNV-1a */
static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* dnscache_new - allocate */
struct dnscache *dnscache_new(size_t capacity)
{
	struct dnscache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (capacity == 0)
		capacity = 1;
	c->capacity = capacity;
	c->nbuckets = capacity * 4 + 1;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

/* lru_unlink - take E out of its pool's LRU list */
static void lru_unlink(struct dnscache *c, struct entry *e)
{
	struct lru *l = &c->pools[e->pool];
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	l->entries--;
}

/* lru_push - put E at the head of its pool's list */
static void lru_push(struct dnscache *c, struct entry *e)
{
	struct lru *l = &c->pools[e->pool];
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	if (l->tail == NULL)
		l->tail = e;
	l->entries++;
}

/* remove_entry - unlink E from its bucket and the LRU list and free it */
static void remove_entry(struct dnscache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[hash(e->key) % c->nbuckets];
	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(c, e);
	dns_answer_clear(&e->a);
	free(e->key);
	free(e);
	c->entries--;
}

/* find - the entry for KEY, or NULL */
static struct entry *find(struct dnscache *c, const char *key)
{
	for (struct entry *e = c->buckets[hash(key) % c->nbuckets]; e; e = e->hnext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* clear_all - remove every entry (lock held or no other user) */
static void clear_all(struct dnscache *c)
{
	for (int p = 0; p < N_POOLS; p++)
		while (c->pools[p].head)
			remove_entry(c, c->pools[p].head);
}

/* dnscache_clear - empty the cache (counters stay) */
void dnscache_clear(struct dnscache *c)
{
	pthread_mutex_lock(&c->lock);
	clear_all(c);
	pthread_mutex_unlock(&c->lock);
}

/* dnscache_free - release */
void dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	clear_all(c);
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* dnscache_get - copy out a live entry */
bool dnscache_get(struct dnscache *c, const ldns_rdf *name, ldns_rr_type type, time_t now,
		  struct dns_answer *out)
{
	char *key = make_key(name, type);
	struct entry *e;
	bool found = false;

	if (key == NULL)
		return false;
	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e != NULL && e->expires <= now) {
		remove_entry(c, e);
		c->st.expired++;
		e = NULL;
	}
	if (e != NULL && dns_answer_copy(out, &e->a)) {
		out->ttl = (uint32_t)(e->expires - now);
		lru_unlink(c, e);
		lru_push(c, e);
		c->st.hits++;
		found = true;
	} else {
		c->st.misses++;
	}
	pthread_mutex_unlock(&c->lock);
	free(key);
	return found;
}

/* dnscache_put - insert or replace */
void dnscache_put(struct dnscache *c, const ldns_rdf *name, ldns_rr_type type,
		  const struct dns_answer *a, time_t expires)
{
	struct entry *e = calloc(1, sizeof(*e)), *old;
	size_t b;

	if (e == NULL)
		return;
	if ((e->key = make_key(name, type)) == NULL || !dns_answer_copy(&e->a, a)) {
		free(e->key);
		free(e);
		return;
	}
	e->expires = expires;
	e->pool = pool_of(type);
	pthread_mutex_lock(&c->lock);
	if ((old = find(c, e->key)) != NULL)
		remove_entry(c, old);
	/* only an entry of the same pool makes room: answers never evict the chain of trust */
	struct lru *l = &c->pools[e->pool];
	while (l->entries >= c->capacity && l->tail != NULL) {
		remove_entry(c, l->tail);
		c->st.evictions++;
	}
	b = hash(e->key) % c->nbuckets;
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	lru_push(c, e);
	c->entries++;
	c->st.inserts++;
	pthread_mutex_unlock(&c->lock);
}

/* dnscache_get_stats - counters */
void dnscache_get_stats(struct dnscache *c, struct dnscache_stats *s)
{
	pthread_mutex_lock(&c->lock);
	*s = c->st;
	s->entries = c->entries;
	s->capacity = c->capacity;
	s->chain_entries = c->pools[POOL_CHAIN].entries;
	pthread_mutex_unlock(&c->lock);
}
