/*
 * milter/dkim/keycache.c - decoded DKIM public keys: a hash table with an LRU list.
 * Contract: see keycache.h.
 */
#include "keycache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next_hash;	/* bucket chain */
	struct entry *prev, *next;	/* LRU list, most recent first */
	uint64_t hash;
	int type;
	size_t len;
	EVP_PKEY *key;			/* one reference owned */
	uint8_t der[];			/* LEN octets */
};

struct keycache {
	pthread_mutex_t lock;		/* guards everything below */
	struct entry **buckets;
	size_t n_buckets, n, max;
	struct entry *head, *tail;
	unsigned long hits, misses, evictions;
};

/* hash_of - FNV-1a over the type and the octets */
static uint64_t hash_of(int type, const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)type;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* keycache_new - allocate */
struct keycache *keycache_new(size_t max)
{
	struct keycache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->max = max ? max : 1;
	c->n_buckets = 64;
	while (c->n_buckets < c->max * 2 && c->n_buckets < (1u << 20))
		c->n_buckets *= 2;
	if ((c->buckets = calloc(c->n_buckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

/* unlink_lru - take E out of the LRU list */
static void unlink_lru(struct keycache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

/* push_front - E becomes the most recently used */
static void push_front(struct keycache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* find - the entry for (TYPE, DER) and the link pointing at it */
static struct entry **find(struct keycache *c, uint64_t h, int type, const uint8_t *der,
			   size_t len)
{
	struct entry **pp = &c->buckets[h & (c->n_buckets - 1)];
	for (; *pp; pp = &(*pp)->next_hash)
		if ((*pp)->hash == h && (*pp)->type == type && (*pp)->len == len &&
		    memcmp((*pp)->der, der, len) == 0)
			return pp;
	return pp;
}

/* keycache_get - look up */
EVP_PKEY *keycache_get(struct keycache *c, int type, const uint8_t *der, size_t len)
{
	uint64_t h = hash_of(type, der, len);
	EVP_PKEY *k = NULL;
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = *find(c, h, type, der, len);
	if (e != NULL && EVP_PKEY_up_ref(e->key)) {
		k = e->key;
		unlink_lru(c, e);
		push_front(c, e);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return k;
}

/* drop - remove the least recently used entry */
static void drop_tail(struct keycache *c)
{
	struct entry *e = c->tail, **pp;
	if (e == NULL)
		return;
	unlink_lru(c, e);
	for (pp = &c->buckets[e->hash & (c->n_buckets - 1)]; *pp && *pp != e; pp = &(*pp)->next_hash)
		;
	if (*pp)
		*pp = e->next_hash;
	EVP_PKEY_free(e->key);
	free(e);
	c->n--;
	c->evictions++;
}

/* keycache_put - insert (an existing entry for the same octets is kept) */
void keycache_put(struct keycache *c, int type, const uint8_t *der, size_t len, EVP_PKEY *key)
{
	uint64_t h = hash_of(type, der, len);
	struct entry *e, **pp;

	if (!EVP_PKEY_up_ref(key))
		return;
	if ((e = malloc(sizeof(*e) + len)) == NULL) {
		EVP_PKEY_free(key);
		return;
	}
	e->hash = h;
	e->type = type;
	e->len = len;
	e->key = key;
	memcpy(e->der, der, len);
	pthread_mutex_lock(&c->lock);
	pp = find(c, h, type, der, len);
	if (*pp != NULL) {		/* another thread was first */
		pthread_mutex_unlock(&c->lock);
		EVP_PKEY_free(key);
		free(e);
		return;
	}
	e->next_hash = NULL;
	*pp = e;
	push_front(c, e);
	c->n++;
	while (c->n > c->max)
		drop_tail(c);
	pthread_mutex_unlock(&c->lock);
}

/* keycache_stats - counters */
void keycache_stats(struct keycache *c, struct keycache_stats *s)
{
	pthread_mutex_lock(&c->lock);
	s->hits = c->hits;
	s->misses = c->misses;
	s->evictions = c->evictions;
	s->entries = c->n;
	pthread_mutex_unlock(&c->lock);
}

/* keycache_free - release */
void keycache_free(struct keycache *c)
{
	if (c == NULL)
		return;
	while (c->n > 0)
		drop_tail(c);
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
