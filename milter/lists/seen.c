/*
 * milter/lists/seen.c - the seen-set of signed commands.  Contract: see seen.h.
 */
#include "build-config.h"
#include "seen.h"
#include "statefile.h"

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
	char *data;			/* the file's text, then the new text */
	size_t len;
	size_t n;			/* entries kept */
	bool found;			/* the digest is among them */
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

/* read_file - the whole of PATH into *DATA (malloc'd, NUL-terminated; missing: empty) */
static bool read_file(const char *path, char **data, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	size_t got;

	*data = NULL;
	*len = 0;
	if (f == NULL) {
		if (errno != ENOENT) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			return false;
		}
		if ((*data = calloc(1, 1)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return false;
		}
		return true;
	}
	if (fstat(fileno(f), &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		fclose(f);
		return false;
	}
	if (st.st_size > (off_t)SEEN_MAX_FILE) {
		snprintf(why, whylen, "%s: larger than %u octets, the most a seen-set grows to",
			 path, (unsigned)SEEN_MAX_FILE);
		fclose(f);
		return false;
	}
	if ((*data = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	got = fread(*data, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		snprintf(why, whylen, "%s: read error", path);
		fclose(f);
		free(*data);
		*data = NULL;
		return false;
	}
	fclose(f);
	(*data)[got] = '\0';
	*len = got;
	return true;
}

/* prune - keep in S (in place) the lines that parse and were created at or after OLDEST;
 * note whether KEY is among them */
static void prune(struct seen_set *s, const char *key, time_t oldest)
{
	char *r = s->data, *w = s->data, *end = s->data + s->len;

	while (r < end) {
		char *nl = memchr(r, '\n', (size_t)(end - r)), *sp, *num_end;
		long long created;
		size_t hl;
		if (nl == NULL)
			break;			/* a torn last line */
		*nl = '\0';
		sp = strchr(r, ' ');
		hl = sp != NULL ? (size_t)(sp - r) : 0;
		errno = 0;
		created = sp != NULL ? strtoll(sp + 1, &num_end, 10) : 0;
		if (sp != NULL && hl > 0 && hl <= 2 * SEEN_DIGEST_MAX &&
		    strspn(r, "0123456789abcdef") == hl && errno == 0 && num_end != sp + 1 &&
		    *num_end == '\0' && created >= (long long)oldest) {
			if (hl == strlen(key) && memcmp(r, key, hl) == 0)
				s->found = true;
			memmove(w, r, (size_t)(nl - r));
			w += nl - r;
			*w++ = '\n';
			s->n++;
		}
		r = nl + 1;
	}
	s->len = (size_t)(w - s->data);
}

/* seen_check_and_add - the verdict, the digest added when fresh */
enum seen_verdict seen_check_and_add(const char *dir, const char *list,
				     const unsigned char *digest, size_t dlen, time_t sig_created,
				     time_t now, time_t window, char *why, size_t whylen)
{
	char key[2 * SEEN_DIGEST_MAX + 1], line[2 * SEEN_DIGEST_MAX + 32];
	struct statefile sf;
	struct seen_set s = { 0 };
	enum seen_verdict v = SEEN_ERROR;
	char *grown;
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
	if (!statefile_open(&sf, dir, "seen", list, why, whylen))
		goto out;
	if (!read_file(sf.path, &s.data, &s.len, why, whylen))
		goto close;
	prune(&s, key, now - window);
	if (s.found) {
		v = SEEN_REPLAYED;
		goto close;
	}
	if (s.n >= SEEN_MAX_ENTRIES) {
		v = SEEN_FULL;
		goto close;
	}
	ll = snprintf(line, sizeof(line), "%s %lld\n", key, (long long)sig_created);
	if ((grown = realloc(s.data, s.len + (size_t)ll + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto close;
	}
	s.data = grown;
	memcpy(s.data + s.len, line, (size_t)ll + 1);
	s.len += (size_t)ll;
	if (statefile_replace(&sf, s.data, s.len, why, whylen))
		v = SEEN_FRESH;
close:
	statefile_close(&sf);
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
