/*
 * tests/dns/pw-dnsq.c - ask postward's validating stub (milter/dns/) one question and print
 * "STATUS KIND" and, for an answer, the records' data, one a line - the same form as
 * `fixture.sh validate`, so the two validators can be compared name by name.
 * usage: pw-dnsq -s IP@PORT[,...] -a TRUST_ANCHOR_FILE [-q MAXQUERIES] [-c CACHE_SIZE]
 *                [-t TIMEOUT] [-P THREADS] NAME TYPE [NAME TYPE ...]
 * Several questions share one resolver (and so one cache); the cache statistics and the query
 * counters go to stderr ("cache: H hits, M misses, E entries, C chain" and "queries: S sent,
 * N without answer, C coalesced").  With -P, each question is asked by THREADS threads at
 * once (one answer printed per thread), and every change of the number of lookups waiting
 * for a query already on its way is printed to stderr as "waiting: N" (flushed), so that a
 * test can wait for it.
 */
#include "build-config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns.h"
#include "dns/dnscache.h"

#define USAGE "usage: pw-dnsq -s SERVERS -a ANCHOR [-q N] [-c SIZE] [-t SECONDS] [-P N] " \
	      "NAME TYPE...\n"

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* print_answer - "STATUS KIND # why" and the records' data, one a line */
static void print_answer(const struct dns_answer *a)
{
	pthread_mutex_lock(&print_lock);
	printf("%s %s", a->kind == DNS_TEMPFAIL ? "error" : dns_security_name(a->sec),
	       dns_kind_name(a->kind));
	if (a->why[0])
		printf(" # %s", a->why);
	printf("\n");
	for (size_t k = 0; a->rrs && k < ldns_rr_list_rr_count(a->rrs); k++) {
		ldns_rr *rr = ldns_rr_list_rr(a->rrs, k);
		for (size_t f = 0; f < ldns_rr_rd_count(rr); f++) {
			char *s = ldns_rdf2str(ldns_rr_rdf(rr, f));
			printf("%s%s", f ? " " : "", s ? s : "?");
			free(s);
		}
		printf("\n");
	}
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
}

struct job {
	struct dns_resolver *r;
	const char *name;
	ldns_rr_type type;
};

static atomic_int finished;	/* lookups of ask_parallel done */

/* ask - one lookup on a thread of its own */
static void *ask(void *arg)
{
	struct job *j = arg;
	struct dns_answer a;
	dns_lookup(j->r, j->name, j->type, &a);
	print_answer(&a);
	dns_answer_clear(&a);
	atomic_fetch_add(&finished, 1);
	return NULL;
}

/* ask_parallel - N threads ask NAME/TYPE at once; the waiting count is reported meanwhile */
static void ask_parallel(struct dns_resolver *r, const char *name, ldns_rr_type type, int n)
{
	pthread_t th[64];
	struct job j = { r, name, type };
	unsigned long last = 0;
	int started = 0;

	atomic_store(&finished, 0);
	for (; started < n && started < 64; started++)
		if (pthread_create(&th[started], NULL, ask, &j) != 0)
			break;
	/* report the number of waiting lookups whenever it changes, until all are done */
	while (atomic_load(&finished) < started) {
		struct dns_query_stats qs = { 0 };
		dns_resolver_query_stats(r, &qs);
		if (qs.waiting != last) {
			last = qs.waiting;
			fprintf(stderr, "waiting: %lu\n", last);
			fflush(stderr);
		}
		usleep(10000);
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

int main(int argc, char **argv)
{
	int threads = 1;
	struct dns_config cfg = { .timeout = 2, .max_queries = 32, .cache_size = 1000 };
	const char *servers = NULL;
	char why[256];
	int opt;

	while ((opt = getopt(argc, argv, "s:a:q:c:t:P:")) != -1) {
		switch (opt) {
		case 's':
			servers = optarg;
			break;
		case 'a':
			cfg.trust_anchor_file = optarg;
			break;
		case 'q':
			cfg.max_queries = (unsigned)atoi(optarg);
			break;
		case 'c':
			cfg.cache_size = (size_t)atol(optarg);
			break;
		case 't':
			cfg.timeout = (unsigned)atoi(optarg);
			break;
		case 'P':
			threads = atoi(optarg);
			break;
		default:
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (servers == NULL || cfg.trust_anchor_file == NULL || (argc - optind) % 2 != 0 ||
	    argc == optind) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (!dns_parse_servers(servers, &cfg, why, sizeof(why))) {
		fprintf(stderr, "pw-dnsq: %s\n", why);
		return 2;
	}
	struct dns_resolver *r = dns_resolver_new(&cfg, why, sizeof(why));
	if (r == NULL) {
		fprintf(stderr, "pw-dnsq: %s\n", why);
		return 2;
	}
	for (int i = optind; i + 1 < argc; i += 2) {
		struct dns_answer a;
		ldns_rr_type t = ldns_get_rr_type_by_name(argv[i + 1]);
		if (t == 0) {
			fprintf(stderr, "pw-dnsq: unknown type %s\n", argv[i + 1]);
			return 2;
		}
		if (threads > 1) {
			ask_parallel(r, argv[i], t, threads);
			continue;
		}
		dns_lookup(r, argv[i], t, &a);
		print_answer(&a);
		dns_answer_clear(&a);
	}
	struct dnscache_stats st;
	dns_resolver_cache_stats(r, &st);
	fprintf(stderr, "cache: %lu hits, %lu misses, %zu entries, %zu chain\n", st.hits,
		st.misses, st.entries, st.chain_entries);
	struct dns_query_stats qs = { 0 };
	dns_resolver_query_stats(r, &qs);
	fprintf(stderr, "queries: %lu sent, %lu without answer, %lu coalesced\n", qs.sent,
		qs.no_answer, qs.coalesced);
	dns_resolver_free(r);
	return 0;
}
