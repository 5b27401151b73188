/*
 * milter/lists/keyhand.c - the session key of an OpenPGP post handed from the SMTP session to
 * the worker in memory; the contract is in keyhand.h.
 *
 * The table is KEYHAND_SLOTS fixed slots in one page-aligned block, made on first use and
 * kept for the life of the process (mlock'd where allowed, excluded from core dumps); a
 * slot is free when its id is empty.  Every call scans the slots under the one mutex and
 * drops the entries older than KEYHAND_TTL on the way.
 */
#include "keyhand.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

struct slot {
	char id[KEYHAND_ID_MAX];	/* "" when free */
	time_t at;			/* when it was put */
	struct keyhand_secret s;
};

/* guarded by lock: slots (once made, never freed) and the counters */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static bool made, locked;
static struct keyhand_stats counts;

/* wipe - free slot E, its secret cleansed */
static void wipe(struct slot *e)
{
	OPENSSL_cleanse(e, sizeof(*e));
}

/* table - the slots, made on first use (lock held); NULL if they cannot be */
static struct slot *table(void)
{
	long page;
	size_t size;
	void *p = NULL;

	if (made)
		return slots;
	made = true;
	page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		page = 4096;
	size = (sizeof(struct slot) * KEYHAND_SLOTS + (size_t)page - 1) / (size_t)page *
	       (size_t)page;
	if (posix_memalign(&p, (size_t)page, size) != 0)
		return NULL;
	memset(p, 0, size);
	locked = mlock(p, size) == 0;
#ifdef MADV_DONTDUMP
	(void)madvise(p, size, MADV_DONTDUMP);
#endif
	slots = p;
	return slots;
}

/* expire - drop the entries older than KEYHAND_TTL at NOW (lock held) */
static void expire(struct slot *t, time_t now)
{
	for (size_t i = 0; i < KEYHAND_SLOTS; i++)
		if (t[i].id[0] != '\0' && now - t[i].at > KEYHAND_TTL) {
			wipe(&t[i]);
			counts.expired++;
		}
}

/* find - the slot of ID, or NULL (lock held) */
static struct slot *find(struct slot *t, const char *id)
{
	for (size_t i = 0; i < KEYHAND_SLOTS; i++)
		if (t[i].id[0] != '\0' && strcmp(t[i].id, id) == 0)
			return &t[i];
	return NULL;
}

/* keyhand_put - file a copy of S under ID */
bool keyhand_put(const char *id, const struct keyhand_secret *s, time_t now)
{
	struct slot *t, *e;
	size_t idlen = id != NULL ? strlen(id) : 0;
	bool ok = false;

	pthread_mutex_lock(&lock);
	if (idlen == 0 || idlen >= KEYHAND_ID_MAX || s->keylen == 0 ||
	    s->keylen > sizeof(s->key) || (t = table()) == NULL)
		goto out;
	expire(t, now);
	if ((e = find(t, id)) == NULL)		/* a job id is put once; replaced if not */
		for (size_t i = 0; i < KEYHAND_SLOTS && e == NULL; i++)
			if (t[i].id[0] == '\0')
				e = &t[i];
	if (e == NULL)
		goto out;
	memcpy(e->id, id, idlen + 1);
	e->at = now;
	e->s = *s;
	ok = true;
out:
	if (ok)
		counts.put++;
	else
		counts.refused++;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* keyhand_take - ID's entry into *OUT, removed */
bool keyhand_take(const char *id, struct keyhand_secret *out, time_t now)
{
	struct slot *e;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&lock);
	if (slots != NULL && id != NULL) {
		expire(slots, now);
		if ((e = find(slots, id)) != NULL) {
			*out = e->s;
			wipe(e);
			counts.taken++;
			ok = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

/* keyhand_drop - forget ID's entry */
void keyhand_drop(const char *id)
{
	struct slot *e;

	pthread_mutex_lock(&lock);
	if (slots != NULL && id != NULL && (e = find(slots, id)) != NULL) {
		wipe(e);
		counts.dropped++;
	}
	pthread_mutex_unlock(&lock);
}

/* keyhand_clear - wipe every entry */
void keyhand_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; slots != NULL && i < KEYHAND_SLOTS; i++)
		if (slots[i].id[0] != '\0') {
			wipe(&slots[i]);
			counts.dropped++;
		}
	pthread_mutex_unlock(&lock);
}

/* keyhand_stats - the counters and the entries waiting */
void keyhand_stats(struct keyhand_stats *st)
{
	pthread_mutex_lock(&lock);
	*st = counts;
	st->waiting = 0;
	for (size_t i = 0; slots != NULL && i < KEYHAND_SLOTS; i++)
		st->waiting += slots[i].id[0] != '\0';
	st->locked = locked;
	pthread_mutex_unlock(&lock);
}
