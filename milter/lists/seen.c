/*
 * milter/lists/seen.c - the seen-set of signed commands.  Contract: see seen.h.
 */
#include "build-config.h"
#include "seen.h"
#include "ledger.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* the seen lock: held for the whole of seen_check_and_add() */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

struct seen_set {
	char *data;			/* malloc'd: the entries kept, then the new one */
	size_t len;
	size_t cap;
	size_t n;			/* entries kept */
	bool found;			/* the digest is among them */
	const char *key;		/* the digest in hex */
	time_t oldest;			/* entries created before it are dropped */
};

/* hex - DIGEST (DLEN octets) in lower-case hex into OUT */
static void hex(const unsigned char *digest, size_t dlen, char out[2 * SEEN_DIGEST_MAX + 1])
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < dlen; i++) {
		out[2 * i] = x[digest[i] >> 4];
		out[2 * i + 1] = x[digest[i] & 15];
	}
	out[2 * dlen] = '\0';
}

/* append - the line L (LEN octets) and a LF at the end of S's text; false for lack of memory */
static bool append(struct seen_set *s, const char *l, size_t len)
{
	if (s->len + len + 2 > s->cap) {
		size_t cap = 2 * s->cap + len + 2 + 1024;
		char *grown = realloc(s->data, cap);
		if (grown == NULL)
			return false;
		s->data = grown;
		s->cap = cap;
	}
	memcpy(s->data + s->len, l, len);
	s->len += len;
	s->data[s->len++] = '\n';
	s->data[s->len] = '\0';
	return true;
}

/* keep - ledger_read()'s line callback: keep the line R of the set ARG if it parses and was
 * created at or after the set's OLDEST, noting whether it is the set's KEY; false for lack of
 * memory */
static bool keep(void *arg, char *r)
{
	struct seen_set *s = arg;
	char *sp = strchr(r, ' '), *num_end;
	size_t hl = sp != NULL ? (size_t)(sp - r) : 0;
	long long created;

	errno = 0;
	created = sp != NULL ? strtoll(sp + 1, &num_end, 10) : 0;
	if (sp == NULL || hl == 0 || hl > 2 * SEEN_DIGEST_MAX ||
	    strspn(r, "0123456789abcdef") != hl || errno != 0 || num_end == sp + 1 ||
	    *num_end != '\0' || created < (long long)s->oldest)
		return true;
	if (hl == strlen(s->key) && memcmp(r, s->key, hl) == 0)
		s->found = true;
	s->n++;
	return append(s, r, strlen(r));
}

/* seen_check_and_add - the verdict, the digest added when fresh */
enum seen_verdict seen_check_and_add(const char *dir, const char *list,
				     const unsigned char *digest, size_t dlen, time_t sig_created,
				     time_t now, time_t window, char *why, size_t whylen)
{
	char key[2 * SEEN_DIGEST_MAX + 1], line[2 * SEEN_DIGEST_MAX + 32];
	struct ledger_file lf;
	struct seen_set s = { .key = key, .oldest = now - window };
	enum seen_verdict v = SEEN_ERROR;
	bool restart;
	int ll;

	why[0] = '\0';
	if (dlen == 0 || dlen > SEEN_DIGEST_MAX || window <= 0) {
		snprintf(why, whylen, "bad arguments (digest of %zu octets, window %lld)", dlen,
			 (long long)window);
		return SEEN_ERROR;
	}
	if (sig_created > now && sig_created - now > SEEN_SKEW)
		return SEEN_FUTURE;
	if (sig_created < now && now - sig_created > window)
		return SEEN_TOO_OLD;
	hex(digest, dlen, key);
	pthread_mutex_lock(&seen_lock);
	if (!ledger_load(dir, "seen", list, &lf, sizeof(line), (off_t)SEEN_MAX_FILE, keep, &s,
			 &restart, why, whylen))
		goto out;
	if (restart) {
		snprintf(why, whylen, "%s: larger than %u octets, the most a seen-set grows to",
			 lf.path, (unsigned)SEEN_MAX_FILE);
		goto close;
	}
	if (s.found) {
		v = SEEN_REPLAYED;
		goto close;
	}
	if (s.n >= SEEN_MAX_ENTRIES) {
		v = SEEN_FULL;
		goto close;
	}
	ll = snprintf(line, sizeof(line), "%s %lld", key, (long long)sig_created);
	if (!append(&s, line, (size_t)ll)) {
		snprintf(why, whylen, "out of memory");
		goto close;
	}
	if (ledger_save(&lf, s.data, s.len, why, whylen))
		v = SEEN_FRESH;
close:
	ledger_close(&lf);
out:
	pthread_mutex_unlock(&seen_lock);
	free(s.data);
	return v;
}

/* seen_digest - SHA-256 over FPR NUL CREATED NUL DATA */
bool seen_digest(const char *fpr, time_t created, const void *data, size_t len,
		 unsigned char out[SEEN_DIGEST_SHA256])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char when[32];
	unsigned int n = 0;
	bool ok;

	snprintf(when, sizeof(when), "%lld", (long long)created);
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, fpr, strlen(fpr) + 1) == 1 &&
	     EVP_DigestUpdate(md, when, strlen(when) + 1) == 1 &&
	     EVP_DigestUpdate(md, data, len) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1 &&
	     n == SEEN_DIGEST_SHA256;
	EVP_MD_CTX_free(md);
	return ok;
}

/* seen_verdict_name - the verdict for logs */
const char *seen_verdict_name(enum seen_verdict v)
{
	static const char *const names[] = {
		[SEEN_FRESH] = "fresh", [SEEN_REPLAYED] = "replayed", [SEEN_TOO_OLD] = "too-old",
		[SEEN_FUTURE] = "future", [SEEN_FULL] = "full", [SEEN_ERROR] = "error",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
