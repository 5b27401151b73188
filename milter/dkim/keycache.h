/*
 * milter/dkim/keycache.h - decoded DKIM public keys, shared by all milter threads.
 *
 * Decoding an RSA key from its DER (d2i_PUBKEY) costs several times the signature check
 * itself, and the same few keys sign most mail.  The cache maps the exact key octets (p=
 * decoded, with the key type) to the OpenSSL key made from them, so a warm cache skips the
 * decoding.  It is keyed by content, not by name: a key that changes in the DNS is a new
 * entry, and how long a key record is believed stays the DNS cache's business (dnscache.h).
 *
 * At most the configured number of entries; the least recently used goes first.  An entry
 * holds one reference to its EVP_PKEY; keycache_get hands the caller another one (free it
 * with EVP_PKEY_free).  OpenSSL 3 keys are used read-only for verification, which is safe
 * from several threads at once.
 *
 * Locking: every field of struct keycache is guarded by its mutex, held only while the
 * table and the LRU list are searched or changed, never during key decoding.  Leaf lock.
 */
#ifndef POSTWARD_MILTER_KEYCACHE_H
#define POSTWARD_MILTER_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct keycache;

struct keycache_stats {
	unsigned long hits, misses, evictions;
	size_t entries;
};

/* keycache_new - a cache of at most MAX entries; NULL on lack of memory */
struct keycache *keycache_new(size_t max);
/* keycache_free - release every entry (no other thread may use it any more) */
void keycache_free(struct keycache *c);
/* keycache_get - the key made from (TYPE, DER), with a reference for the caller, or NULL */
EVP_PKEY *keycache_get(struct keycache *c, int type, const uint8_t *der, size_t len);
/* keycache_put - remember KEY for (TYPE, DER); the cache takes its own reference */
void keycache_put(struct keycache *c, int type, const uint8_t *der, size_t len, EVP_PKEY *key);
/* keycache_stats - the counters */
void keycache_stats(struct keycache *c, struct keycache_stats *s);

#endif
