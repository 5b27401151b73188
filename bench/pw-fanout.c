/*
 * bench/pw-fanout.c - time the crypto of one encrypted-list post's fan-out with postward's own
 * code: what milter/lists/pool.c run_openpgp() does for a post, less the SMTP sending.
 *
 * NAME
 *	pw-fanout - decrypt one post, fetch N subscriber keys, build N copies; print the times
 *
 * SYNOPSIS
 *	pw-fanout -g GNUPGHOME -p POST -s SUBSCRIBERS [-t THREADS[,THREADS...]] [-r ROUNDS]
 *		  [-l LIST] [-P PLAINFILE] [-o DIR -v INDEX[,INDEX...]]
 *	pw-fanout -S THREADS
 *
 * DESCRIPTION
 *	POST is a list post as the milter spools it (header and body; PGP/MIME or inline
 *	OpenPGP, encrypted to a list key whose secret half is in GNUPGHOME).  SUBSCRIBERS has
 *	one subscriber a line, "ADDRESS FINGERPRINT" (40 hex digits of the primary key, as a
 *	list file holds it).  LIST is the list address (default list@bench.test).
 *
 *	One round is what a worker does for one post, in pool.c's order:
 *	  decrypt  listpost_parse(), pgp_decrypt() (one gpg process through gpgme, session key
 *		   exported, the poster's signature checked), opgp_dearmor(), opgp_split();
 *	  keys	   pgp_keys() for all N fingerprints with its key cache emptied first (two gpg
 *		   processes: key listing and one bulk export; opgp_enckey_from_block() per
 *		   key), as for a list's first post or the first after a keyring change;
 *	  keys-cached  pgp_keys() again, every key from the cache, as for later posts;
 *	  decrypt+keys  pgp_decrypt() with pgp_keys() (cache emptied) on another thread at
 *		   the same time, as run_openpgp() runs them: a first post's wait for both;
 *	  build	   every copy through pool.c's own code: copies.c's OpenPGP builder
 *		   (opgp_pkesk(), the PKESK joined to the post's encrypted data, opgp_armor(),
 *		   listpost_copy()) driven by fanout.c, with the consumer taking the copies in
 *		   order as the worker does - once for each THREADS value (default 1).  THREADS
 *		   1 builds in the consumer (no thread started); THREADS T > 1 starts T builder
 *		   threads, as list_build_threads = T does.
 *	  attest   the attestation path (pool.c run_attest(), list setting "attest"): the
 *		   packets inside the encryption (pgp_unwrap, one gpg process), their
 *		   signatures' intended recipients (opgp_sig_recipients), and attest_build()
 *		   (the statement, the list key's detached signature: one gpg process, the
 *		   multipart/signed, one SEIPD version 1 encryption); then "attest build T=N":
 *		   every subscriber's copy of that new encrypted data, as build does it, for the
 *		   last THREADS value.
 *	Each phase is timed with CLOCK_MONOTONIC; the build's CPU time
 *	(CLOCK_PROCESS_CPUTIME_ID) is reported too, and in the last round the three steps of a
 *	copy are timed one by one on one thread ("steps:").  ROUNDS rounds (default 3) are run
 *	and the median of each phase is printed.  The copies are not sent anywhere: each is
 *	freed after its length and a few octets went into a checksum.
 *
 *	-P writes the decrypted content (what the poster encrypted) to PLAINFILE, for the
 *	one-gpg-per-subscriber comparison.  -o/-v write the copies of the subscribers with the
 *	given 0-based INDEXes (from the last build run: the last THREADS value, the last round)
 *	to DIR/copy-INDEX.eml, for checking with real gpg.
 *
 *	-S measures what the machine gives to THREADS threads doing the build's main work:
 *	SPIN_OPS X25519 key generations + key agreements (OpenSSL, as opgp_pkesk() does them)
 *	in one thread, then SPIN_OPS in each of THREADS threads at once, and prints "x25519:
 *	... = N cores" (N = THREADS x the one-thread time / the THREADS-thread time).  A
 *	machine whose CPUs share cores, or slow down when all are busy, shows N well under
 *	THREADS, and no build can do better with THREADS threads.
 *
 *	Output, stdout, one line per item ("decrypt:", "keys:", "decrypt+keys:", "keys-cached:",
 *	"build T=N:", "attest:", "attest build T=N:",
 *	each with the median in ms as its second field; the script reads those).
 *
 * DIAGNOSTICS
 *	Exit 0 when every round decrypted, every key was usable and every copy was built; 1
 *	otherwise, with the reason on stderr; 2 for usage.  A subscriber whose key is not usable
 *	is an error here (the pool would send a notice instead): a benchmark that skipped
 *	subscribers would flatter postward.
 */
#include "build-config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lists/attest.h"
#include "lists/copies.h"
#include "lists/fanout.h"
#include "lists/listpost.h"
#include "lists/openpgp.h"
#include "lists/pgp.h"

#define MAX_T 64			/* threads in one build */
#define MAX_TLIST 8			/* THREADS values */
#define MAX_ROUNDS 101
#define MAX_SAVE 16			/* -v indexes */
#define MAX_SUBS 1000000		/* lines of SUBSCRIBERS */

struct subs {
	char **addr;			/* owned */
	char **fpr;			/* owned, upper case */
	size_t n;
};

/* what every build thread shares, read-only while the threads run */
struct job {
	const char *msg;		/* the post, NUL-terminated */
	size_t msg_len;
	const struct listpost *post;
	const struct listpost_copy_args *args;
	const struct pgp_decrypted *dec;
	const uint8_t *data;		/* the post's encrypted data packets */
	size_t data_len;
	const struct pgp_key *keys;
	char **saved;			/* N slots: copies kept for -v, or NULL */
	const bool *save;		/* N flags */
};

/* one thread's share and results */
struct share {
	const struct job *j;
	size_t from, to;		/* subscribers [from, to) */
	uint64_t ns_pkesk, ns_armor, ns_mime;
	uint64_t octets, sum;		/* total copy length; checksum */
	size_t built;
	char why[160];			/* empty unless the share failed */
};

/* die - message and exit 1 */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pw-fanout: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* usage - the synopsis, exit 2 */
static void usage(void)
{
	fputs("usage: pw-fanout -g GNUPGHOME -p POST -s SUBSCRIBERS [-t T[,T...]] [-r ROUNDS]\n"
	      "                 [-l LIST] [-P PLAINFILE] [-o DIR -v INDEX[,INDEX...]]\n"
	      "       pw-fanout -S THREADS\n", stderr);
	exit(2);
}

/* now_ns - a clock in nanoseconds */
static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* slurp - the whole of PATH, NUL-terminated; dies on error */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *b = malloc(cap), *nb;

	if (f == NULL || b == NULL)
		die("%s: %s", path, strerror(errno));
	while ((got = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			if ((nb = realloc(b, cap *= 2)) == NULL)
				die("out of memory");
			b = nb;
		}
	}
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

/* read_subs - "ADDRESS FPR" lines; dies on a malformed line */
static void read_subs(const char *path, struct subs *s)
{
	size_t len, cap = 0, lineno = 0;
	char *text = slurp(path, &len), *save = NULL;

	memset(s, 0, sizeof(*s));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char addr[320], fpr[64];
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%319s %63s", addr, fpr) != 2 || strlen(fpr) != 40 ||
		    strspn(fpr, "0123456789abcdefABCDEF") != 40)
			die("%s:%zu: want ADDRESS FINGERPRINT(40 hex digits)", path, lineno);
		if (s->n == MAX_SUBS)
			die("%s: more than %d subscribers", path, MAX_SUBS);
		if (s->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((s->addr = realloc(s->addr, cap * sizeof(*s->addr))) == NULL ||
			    (s->fpr = realloc(s->fpr, cap * sizeof(*s->fpr))) == NULL)
				die("out of memory");
		}
		for (char *c = fpr; *c; c++)
			if (*c >= 'a' && *c <= 'f')
				*c = (char)(*c - 'a' + 'A');
		if ((s->addr[s->n] = strdup(addr)) == NULL || (s->fpr[s->n] = strdup(fpr)) == NULL)
			die("out of memory");
		s->n++;
	}
	free(text);
	if (s->n == 0)
		die("%s: no subscribers", path);
}

/* parse_list - "1,2,4" into at most MAX numbers in [LO, HI]; false if malformed */
static bool parse_list(const char *text, unsigned long *out, size_t max, size_t *n,
		       unsigned long lo, unsigned long hi)
{
	const char *p = text;

	*n = 0;
	while (*p) {
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno || v < lo || v > hi || *n == max || (*end && *end != ','))
			return false;
		out[(*n)++] = v;
		p = *end ? end + 1 : end;
	}
	return *n > 0;
}

/* build_share - the copies of subscribers [from, to): pool.c's per-subscriber steps */
static void *build_share(void *arg)
{
	struct share *sh = arg;
	const struct job *j = sh->j;
	const struct pgp_decrypted *dec = j->dec;

	for (size_t k = sh->from; k < sh->to; k++) {
		uint8_t *pk = NULL, *joined;
		size_t pklen = 0, armlen = 0, copylen = 0;
		char *arm = NULL, *copy = NULL;
		uint64_t t0 = now_ns(CLOCK_MONOTONIC), t1, t2, t3;
		enum opgp_status os;

		if ((os = opgp_pkesk(&j->keys[k].enc, dec->algo, dec->key, dec->keylen, &pk,
				     &pklen)) != OPGP_OK) {
			snprintf(sh->why, sizeof(sh->why), "subscriber %zu: opgp_pkesk: %s", k,
				 opgp_strerror(os));
			free(pk);
			return NULL;
		}
		t1 = now_ns(CLOCK_MONOTONIC);
		if ((joined = malloc(pklen + j->data_len)) == NULL) {
			free(pk);
			snprintf(sh->why, sizeof(sh->why), "out of memory");
			return NULL;
		}
		memcpy(joined, pk, pklen);
		memcpy(joined + pklen, j->data, j->data_len);
		free(pk);
		os = opgp_armor(joined, pklen + j->data_len, &arm, &armlen);
		free(joined);
		if (os != OPGP_OK) {
			snprintf(sh->why, sizeof(sh->why), "subscriber %zu: opgp_armor: %s", k,
				 opgp_strerror(os));
			return NULL;
		}
		t2 = now_ns(CLOCK_MONOTONIC);
		if (!listpost_copy(j->msg, j->msg_len, j->post, j->args, (const uint8_t *)arm,
				   armlen, &copy, &copylen)) {
			free(arm);
			snprintf(sh->why, sizeof(sh->why), "subscriber %zu: listpost_copy failed", k);
			return NULL;
		}
		free(arm);
		t3 = now_ns(CLOCK_MONOTONIC);
		sh->ns_pkesk += t1 - t0;
		sh->ns_armor += t2 - t1;
		sh->ns_mime += t3 - t2;
		sh->octets += copylen;
		/* the length and a few octets from the PKESK's wrapped key (a fresh value in
		 * every copy): enough that the copy was really made */
		sh->sum = sh->sum * 1099511628211u + copylen + (uint8_t)copy[copylen / 2];
		sh->built++;
		if (j->saved != NULL && j->save[k]) {
			free(j->saved[k]);
			j->saved[k] = copy;
		} else {
			free(copy);
		}
	}
	return NULL;
}

struct build_result {
	uint64_t wall, cpu, pkesk, armor, mime, octets, sum;
	size_t built;
};

/* build_all - every copy with T threads; dies on failure */
static void build_all(const struct job *j, size_t n, unsigned t, struct build_result *r)
{
	struct share sh[MAX_T];
	pthread_t tid[MAX_T];
	uint64_t w0, c0;

	memset(sh, 0, sizeof(sh));
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < t; i++) {
		sh[i].j = j;
		sh[i].from = n * i / t;
		sh[i].to = n * (i + 1) / t;
	}
	w0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (t == 1) {
		build_share(&sh[0]);
	} else {
		for (unsigned i = 0; i < t; i++)
			if ((errno = pthread_create(&tid[i], NULL, build_share, &sh[i])) != 0)
				die("pthread_create: %s", strerror(errno));
		for (unsigned i = 0; i < t; i++)
			pthread_join(tid[i], NULL);
	}
	r->wall = now_ns(CLOCK_MONOTONIC) - w0;
	r->cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	for (unsigned i = 0; i < t; i++) {
		if (sh[i].why[0])
			die("build with %u threads: %s", t, sh[i].why);
		r->pkesk += sh[i].ns_pkesk;
		r->armor += sh[i].ns_armor;
		r->mime += sh[i].ns_mime;
		r->octets += sh[i].octets;
		r->sum ^= sh[i].sum;
		r->built += sh[i].built;
	}
	if (r->built != n)
		die("build with %u threads: %zu of %zu copies", t, r->built, n);
}

/* build_pool - every copy the way pool.c builds them: copies.c's builder on fanout.c with T
 * threads (T = 1: the consumer builds each copy itself, no thread started), the consumer
 * taking the copies in order as the worker does, checksumming instead of sending */
static void build_pool(const struct job *j, size_t n, unsigned t, struct build_result *r)
{
	const struct opgp_enckey **encs = calloc(n, sizeof(*encs));
	struct copies_pgp cp;
	struct fanout *f;
	uint64_t w0, c0;

	memset(r, 0, sizeof(*r));
	if (encs == NULL)
		die("out of memory");
	for (size_t k = 0; k < n; k++)
		encs[k] = &j->keys[k].enc;
	cp = (struct copies_pgp){
		.algo = j->dec->algo, .key = j->dec->key, .keylen = j->dec->keylen,
		.data = j->data, .data_len = j->data_len, .keys = encs, .msg = j->msg,
		.msg_len = j->msg_len, .post = j->post, .args = j->args,
	};
	w0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	f = fanout_start(n, t == 1 ? 0 : t, copies_window(j->msg_len + 4096, t),
			 &copies_pgp_ops, &cp);
	if (f == NULL)
		die("fanout_start: out of memory");
	if (t > 1 && fanout_threads_started(f) != t)
		die("fanout: %u of %u threads started", fanout_threads_started(f), t);
	for (size_t k = 0; k < n; k++) {
		char *copy, why[FANOUT_WHY];
		size_t len;
		if (fanout_take(f, k, &copy, &len, why, sizeof(why)) != FANOUT_BUILT)
			die("copy %zu: %s", k, why);
		r->octets += len;
		/* the length and a few octets from the PKESK's wrapped key (a fresh value in
		 * every copy): enough that the copy was really made */
		r->sum = r->sum * 1099511628211u + len + (uint8_t)copy[len / 2];
		r->built++;
		if (j->saved != NULL && j->save[k]) {
			free(j->saved[k]);
			j->saved[k] = copy;
		} else {
			free(copy);
		}
	}
	fanout_stop(f);
	r->wall = now_ns(CLOCK_MONOTONIC) - w0;
	r->cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	free(encs);
}

/* attest_phase - the attestation of J's post (POST, decrypted into DEC) and its N copies
 * with T threads: returns the preparation's time, *BUILD_NS the build's, *DATA_LEN the
 * length of the attestation's encrypted data */
static uint64_t attest_phase(const struct job *j, const struct listpost *post,
			     const struct pgp_decrypted *dec, size_t n, unsigned t,
			     struct build_result *r, uint64_t *build_ns, size_t *data_len)
{
	struct opgp_sigrcpts rc;
	struct attest_built b;
	struct pgp_decrypted adec;
	struct attest_info info;
	struct job aj = *j;
	uint8_t *inner = NULL;
	size_t ilen = 0;
	char why[256];
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), prep;

	if (pgp_unwrap(post->payload, post->payload_len, &inner, &ilen, why, sizeof(why)) !=
	    PGP_OK)
		die("pgp_unwrap: %s", why);
	if (opgp_sig_recipients(inner, ilen, dec->plain_len + 65536, &rc, why, sizeof(why)) !=
	    OPGP_OK)
		die("opgp_sig_recipients: %s", why);
	/* the key that decrypted the post is the list's: it signs */
	info = (struct attest_info){ .list = aj.args->list, .list_fpr = dec->recipient_keyid,
				     .poster = "poster@bench.test", .dec = dec, .rcpts = &rc,
				     .inner = inner, .inner_len = ilen };
	if (attest_build(&info, &b, why, sizeof(why)) != PGP_OK)
		die("attest_build: %s", why);
	prep = now_ns(CLOCK_MONOTONIC) - t0;
	/* the copies: the attestation's session key and data in place of the post's */
	adec = *dec;
	adec.algo = b.algo;
	memcpy(adec.key, b.key, sizeof(adec.key));
	adec.keylen = b.keylen;
	aj.dec = &adec;
	aj.data = b.data;
	aj.data_len = b.data_len;
	aj.saved = NULL;
	build_pool(&aj, n, t, r);
	*build_ns = r->wall;
	*data_len = b.data_len;
	OPENSSL_cleanse(adec.key, sizeof(adec.key));
	OPENSSL_cleanse(inner, ilen);
	free(inner);
	attest_built_clear(&b);
	return prep;
}

/* key_thread - pgp_keys on a thread of its own, as pool.c runs it beside the decrypt */
struct key_job {
	const struct subs *subs;
	struct pgp_key *keys;
	size_t cached;
	enum pgp_status st;
	char why[256];
};

static void *key_thread(void *arg)
{
	struct key_job *k = arg;
	k->st = pgp_keys((const char *const *)k->subs->fpr, k->subs->n, k->keys, &k->cached,
			 k->why, sizeof(k->why));
	return NULL;
}

#define SPIN_OPS 2000
static uint8_t spin_peer[32];		/* -S: the other side's X25519 public key */

/* spin_one - the -S loop: X25519 keygen + derive, SPIN_OPS times; *ARG: failures */
static void *spin_one(void *arg)
{
	uint64_t bad = 0;

	for (int i = 0; i < SPIN_OPS; i++) {
		uint8_t pub[32], zz[32];
		size_t plen = sizeof(pub), zlen = sizeof(zz);
		EVP_PKEY *mine = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), *peer = NULL;
		EVP_PKEY_CTX *d = NULL;
		if (mine == NULL || EVP_PKEY_get_raw_public_key(mine, pub, &plen) != 1 ||
		    (peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, spin_peer,
							sizeof(spin_peer))) == NULL ||
		    (d = EVP_PKEY_CTX_new(mine, NULL)) == NULL || EVP_PKEY_derive_init(d) != 1 ||
		    EVP_PKEY_derive_set_peer(d, peer) != 1 || EVP_PKEY_derive(d, zz, &zlen) != 1)
			bad++;
		EVP_PKEY_CTX_free(d);
		EVP_PKEY_free(peer);
		EVP_PKEY_free(mine);
	}
	*(uint64_t *)arg = bad;
	return NULL;
}

/* spin - the -S measurement with T threads */
static int spin(unsigned t)
{
	pthread_t tid[MAX_T];
	uint64_t sink[MAX_T], w0, one, all, bad = 0;
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t plen = sizeof(spin_peer);

	if (peer == NULL || EVP_PKEY_get_raw_public_key(peer, spin_peer, &plen) != 1)
		die("OpenSSL cannot make an X25519 key");
	EVP_PKEY_free(peer);
	spin_one(&sink[0]);			/* warm-up */
	w0 = now_ns(CLOCK_MONOTONIC);
	spin_one(&sink[0]);
	one = now_ns(CLOCK_MONOTONIC) - w0;
	w0 = now_ns(CLOCK_MONOTONIC);
	for (unsigned i = 0; i < t; i++)
		if ((errno = pthread_create(&tid[i], NULL, spin_one, &sink[i])) != 0)
			die("pthread_create: %s", strerror(errno));
	for (unsigned i = 0; i < t; i++)
		pthread_join(tid[i], NULL);
	all = now_ns(CLOCK_MONOTONIC) - w0;
	for (unsigned i = 0; i < t; i++)
		bad += sink[i];
	if (bad)
		die("X25519 failed %llu times", (unsigned long long)bad);
	printf("x25519 keygen + derive (OpenSSL): 1 thread %.1f us an op; %u threads at once "
	       "%.1f us an op each = %.2f cores\n", (double)one / 1e3 / SPIN_OPS, t,
	       (double)all / 1e3 / SPIN_OPS, (double)t * (double)one / (double)all);
	return 0;
}

/* cmp_u64 - qsort */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* median - of N values (sorts a copy) */
static uint64_t median(const uint64_t *v, size_t n)
{
	uint64_t s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_u64);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* print_rounds - " (rounds: a b c)" in ms */
static void print_rounds(const uint64_t *v, size_t n)
{
	printf("  (rounds:");
	for (size_t i = 0; i < n; i++)
		printf(" %.2f", (double)v[i] / 1e6);
	printf(")");
}

/* write_file - DATA to PATH; dies on error */
static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	const char *home = NULL, *post_path = NULL, *subs_path = NULL, *plain_path = NULL;
	const char *outdir = NULL, *list = "list@bench.test";
	unsigned long tlist[MAX_TLIST] = { 1 }, rounds = 3, vidx[MAX_SAVE];
	size_t nt = 1, nv = 0, nr = 0, msglen;
	struct subs subs;
	struct listpost post;
	struct listpost_copy_args args;
	char why[256], list_id[320], *msg;
	uint64_t t_dec[MAX_ROUNDS], t_keys[MAX_ROUNDS], t_cached[MAX_ROUNDS], t_both[MAX_ROUNDS];
	struct build_result steps;
	static uint64_t t_build[MAX_TLIST][MAX_ROUNDS];
	struct build_result last[MAX_TLIST], att;
	uint64_t t_att[MAX_ROUNDS], t_att_build[MAX_ROUNDS];
	size_t att_len = 0;
	char **saved = NULL;
	bool *save = NULL;
	int c;

	while ((c = getopt(argc, argv, "g:p:s:t:r:l:P:o:v:S:")) != -1) {
		switch (c) {
		case 'S':
			if (!parse_list(optarg, tlist, 1, &nt, 1, MAX_T))
				usage();
			return spin((unsigned)tlist[0]);
		case 'g': home = optarg; break;
		case 'p': post_path = optarg; break;
		case 's': subs_path = optarg; break;
		case 'l': list = optarg; break;
		case 'P': plain_path = optarg; break;
		case 'o': outdir = optarg; break;
		case 't':
			if (!parse_list(optarg, tlist, MAX_TLIST, &nt, 1, MAX_T))
				usage();
			break;
		case 'r':
			if (!parse_list(optarg, &rounds, 1, &nr, 1, MAX_ROUNDS))
				usage();
			break;
		case 'v':
			if (!parse_list(optarg, vidx, MAX_SAVE, &nv, 0, MAX_SUBS))
				usage();
			break;
		default:
			usage();
		}
	}
	if (home == NULL || post_path == NULL || subs_path == NULL || optind != argc ||
	    (nv > 0) != (outdir != NULL))
		usage();
	read_subs(subs_path, &subs);
	msg = slurp(post_path, &msglen);
	if (!pgp_global_init(home, why, sizeof(why)))
		die("%s", why);

	/* the List-Id as pool.c's copy_args() makes it */
	snprintf(list_id, sizeof(list_id), "%s", list);
	for (char *s = list_id; *s; s++)
		if (*s == '@')
			*s = '.';
	memset(&args, 0, sizeof(args));
	args.list = list;
	args.list_id = list_id;
	args.list_phrase = NULL;
	args.requiretls = false;
	args.tag_header = "X-Postward-TLS";

	if (nv > 0) {
		if ((saved = calloc(subs.n, sizeof(*saved))) == NULL ||
		    (save = calloc(subs.n, sizeof(*save))) == NULL)
			die("out of memory");
		for (size_t i = 0; i < nv; i++) {
			if (vidx[i] >= subs.n)
				die("-v %lu: there are %zu subscribers", vidx[i], subs.n);
			save[vidx[i]] = true;
		}
	}

	for (unsigned long round = 0; round < rounds; round++) {
		struct pgp_decrypted dec;
		struct opgp_split sp;
		struct pgp_key *keys;
		uint8_t *bin = NULL;
		size_t binlen = 0, usable = 0, cached = 0;
		uint64_t t0;
		struct job j;

		/* (a) the decrypt, as run_job() + run_openpgp() do it */
		t0 = now_ns(CLOCK_MONOTONIC);
		if (!listpost_parse(msg, msglen, &post))
			die("listpost_parse: out of memory");
		if (post.kind != LISTPOST_PGPMIME && post.kind != LISTPOST_PGPINLINE)
			die("%s: not an OpenPGP list post (%s)", post_path, post.why);
		if (pgp_decrypt(post.payload, post.payload_len, &dec, why, sizeof(why)) != PGP_OK)
			die("pgp_decrypt: %s", why);
		if (opgp_dearmor((const char *)post.payload, post.payload_len, &bin, &binlen) !=
		    OPGP_OK || opgp_split(bin, binlen, &sp, why, sizeof(why)) != OPGP_OK)
			die("the post's OpenPGP data: %s", why);
		t_dec[round] = now_ns(CLOCK_MONOTONIC) - t0;

		/* (b) every subscriber's key: two gpg runs with the key cache empty (a list's
		 * first post, or the first after the keyring changed), then again from the cache
		 * (every later post) */
		if ((keys = calloc(subs.n, sizeof(*keys))) == NULL)
			die("out of memory");
		pgp_keys_cache_clear();
		t0 = now_ns(CLOCK_MONOTONIC);
		if (pgp_keys((const char *const *)subs.fpr, subs.n, keys, &cached, why,
			     sizeof(why)) != PGP_OK)
			die("pgp_keys: %s", why);
		t_keys[round] = now_ns(CLOCK_MONOTONIC) - t0;
		if (cached != 0)
			die("pgp_keys: %zu keys from an emptied cache", cached);
		for (size_t k = 0; k < subs.n; k++)
			pgp_key_clear(&keys[k]);
		t0 = now_ns(CLOCK_MONOTONIC);
		if (pgp_keys((const char *const *)subs.fpr, subs.n, keys, &cached, why,
			     sizeof(why)) != PGP_OK)
			die("pgp_keys: %s", why);
		t_cached[round] = now_ns(CLOCK_MONOTONIC) - t0;
		if (cached != subs.n)
			die("pgp_keys: %zu of %zu keys from the cache", cached, subs.n);

		/* (a) and (b) at once, as run_openpgp() does them: the keys fetched on a thread
		 * (cache emptied: a first post) while the post decrypts */
		{
			struct key_job kj = { .subs = &subs };
			struct pgp_decrypted d2;
			pthread_t kt;
			if ((kj.keys = calloc(subs.n, sizeof(*kj.keys))) == NULL)
				die("out of memory");
			pgp_keys_cache_clear();
			t0 = now_ns(CLOCK_MONOTONIC);
			if ((errno = pthread_create(&kt, NULL, key_thread, &kj)) != 0)
				die("pthread_create: %s", strerror(errno));
			if (pgp_decrypt(post.payload, post.payload_len, &d2, why, sizeof(why)) != PGP_OK)
				die("pgp_decrypt beside pgp_keys: %s", why);
			pthread_join(kt, NULL);
			t_both[round] = now_ns(CLOCK_MONOTONIC) - t0;
			if (kj.st != PGP_OK || kj.cached != 0)
				die("pgp_keys beside pgp_decrypt: %s (%zu cached)", kj.why, kj.cached);
			if (d2.keylen != dec.keylen || memcmp(d2.key, dec.key, dec.keylen) != 0)
				die("the second decrypt gave another session key");
			for (size_t k = 0; k < subs.n; k++)
				pgp_key_clear(&kj.keys[k]);
			free(kj.keys);
			pgp_decrypted_clear(&d2);
		}
		for (size_t k = 0; k < subs.n; k++) {
			if (keys[k].state != PGP_KEY_OK)
				die("subscriber %zu <%s>: %s", k, subs.addr[k], keys[k].why);
			usable++;
		}

		if (round == 0) {
			size_t good = 0;
			for (size_t i = 0; i < dec.n_sigs; i++)
				good += dec.sigs[i].good;
			printf("post: %zu octets, %s, %zu octets of armor, encrypted data %zu "
			       "octets (tag %d), content %zu octets, session key algo %d, "
			       "%zu good signature(s)%s%s\n", msglen,
			       post.kind == LISTPOST_PGPMIME ? "PGP/MIME" : "inline OpenPGP",
			       post.payload_len, sp.data_len, sp.data_tag, dec.plain_len, dec.algo,
			       good, good ? " by " : "", good ? dec.sigs[0].fpr : "");
			if (plain_path != NULL)
				write_file(plain_path, dec.plain, dec.plain_len);
		}

		/* (c) the copies, for each thread count */
		j.msg = msg;
		j.msg_len = msglen;
		j.post = &post;
		j.args = &args;
		j.dec = &dec;
		j.data = bin + sp.data_off;
		j.data_len = sp.data_len;
		j.keys = keys;
		j.save = save;
		for (size_t ti = 0; ti < nt; ti++) {
			/* the copies for -v come from the last run: last THREADS value, last round */
			j.saved = round + 1 == rounds && ti + 1 == nt ? saved : NULL;
			build_pool(&j, subs.n, (unsigned)tlist[ti], &last[ti]);
			t_build[ti][round] = last[ti].wall;
			if (ti > 0 && last[ti].octets != last[0].octets)
				die("%lu threads built %llu octets, 1 thread %llu", tlist[ti],
				    (unsigned long long)last[ti].octets,
				    (unsigned long long)last[0].octets);
		}
		/* where a copy's time goes: the same steps, timed one by one, one thread */
		if (round + 1 == rounds) {
			j.saved = NULL;
			build_all(&j, subs.n, 1, &steps);
			if (steps.octets != last[0].octets)
				die("the timed steps built %llu octets, the pool %llu",
				    (unsigned long long)steps.octets,
				    (unsigned long long)last[0].octets);
		}
		/* (d) the attestation path: one unwrap, one signature, one encryption, then
		 * the same per-subscriber build over the new data */
		t_att[round] = attest_phase(&j, &post, &dec, subs.n, (unsigned)tlist[nt - 1], &att,
					    &t_att_build[round], &att_len);
		if (round == 0)
			printf("subscribers: %zu, keys usable: %zu\n", subs.n, usable);

		for (size_t k = 0; k < subs.n; k++)
			pgp_key_clear(&keys[k]);
		free(keys);
		free(bin);
		pgp_decrypted_clear(&dec);
		listpost_clear(&post);
	}

	printf("decrypt: %.2f ms", (double)median(t_dec, rounds) / 1e6);
	print_rounds(t_dec, rounds);
	printf("  listpost_parse + pgp_decrypt (1 gpg) + opgp_dearmor/split\n");
	printf("keys: %.2f ms", (double)median(t_keys, rounds) / 1e6);
	print_rounds(t_keys, rounds);
	printf("  pgp_keys: %zu fingerprints, cache empty, 2 gpg runs, %.1f us a key\n", subs.n,
	       (double)median(t_keys, rounds) / 1e3 / (double)subs.n);
	printf("decrypt+keys: %.2f ms", (double)median(t_both, rounds) / 1e6);
	print_rounds(t_both, rounds);
	printf("  pgp_decrypt with pgp_keys (cache empty) on another thread, as run_openpgp()"
	       " does\n");
	printf("keys-cached: %.2f ms", (double)median(t_cached, rounds) / 1e6);
	print_rounds(t_cached, rounds);
	printf("  pgp_keys: the same %zu from the cache (keyring unchanged), no gpg\n", subs.n);
	for (size_t ti = 0; ti < nt; ti++) {
		const struct build_result *r = &last[ti];
		double n = (double)subs.n;
		printf("build T=%lu: %.2f ms", tlist[ti], (double)median(t_build[ti], rounds) / 1e6);
		print_rounds(t_build[ti], rounds);
		printf("  %.1f us a copy; last round: cpu %.2f ms (fanout.c + copies.c, %s)\n",
		       (double)median(t_build[ti], rounds) / 1e3 / n, (double)r->cpu / 1e6,
		       tlist[ti] == 1 ? "built by the consumer" : "builder threads");
	}
	printf("attest: %.2f ms", (double)median(t_att, rounds) / 1e6);
	print_rounds(t_att, rounds);
	printf("  pgp_unwrap (1 gpg) + opgp_sig_recipients + attest_build (1 gpg sign, 1 "
	       "SEIPDv1 encryption: %zu octets)\n", att_len);
	printf("attest build T=%lu: %.2f ms", tlist[nt - 1],
	       (double)median(t_att_build, rounds) / 1e6);
	print_rounds(t_att_build, rounds);
	printf("  %.1f us a copy (the attestation's encrypted data, copies.c on fanout.c)\n",
	       (double)median(t_att_build, rounds) / 1e3 / (double)subs.n);
	printf("steps: per copy pkesk %.1f + armor %.1f + mime %.1f us (one thread, last round)\n",
	       (double)steps.pkesk / 1e3 / (double)subs.n, (double)steps.armor / 1e3 / (double)subs.n,
	       (double)steps.mime / 1e3 / (double)subs.n);
	printf("copies: %zu a build, %llu octets (%.0f a copy), checksum %016llx\n", subs.n,
	       (unsigned long long)last[0].octets, (double)last[0].octets / (double)subs.n,
	       (unsigned long long)last[0].sum);
	printf("total T=%lu: %.2f ms  decrypt + keys + build\n", tlist[0],
	       (double)(median(t_dec, rounds) + median(t_keys, rounds) +
			median(t_build[0], rounds)) / 1e6);

	for (size_t i = 0; i < nv; i++) {
		char path[4096];
		const char *cp = saved[vidx[i]];
		snprintf(path, sizeof(path), "%s/copy-%lu.eml", outdir, vidx[i]);
		write_file(path, cp, strlen(cp));
	}
	if (saved != NULL)
		for (size_t k = 0; k < subs.n; k++)
			free(saved[k]);
	free(saved);
	free(save);
	for (size_t i = 0; i < subs.n; i++) {
		free(subs.addr[i]);
		free(subs.fpr[i]);
	}
	free(subs.addr);
	free(subs.fpr);
	free(msg);
	fflush(stdout);
	return ferror(stdout) ? 1 : 0;
}
