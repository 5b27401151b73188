/*
 * tests/lists/pw-fromrewrite.c - drive milter/lists/fromrewrite.c: decide the From rewrite of
 * a list post for author domains through postward's validating resolver, as a worker thread
 * of the pool does.
 * usage: pw-fromrewrite -s IP@PORT[,...] -a TRUST_ANCHOR_FILE [-p PSL_FILE] [-t TIMEOUT]
 *                       [-P THREADS] MODE DOMAIN [DOMAIN ...]
 * MODE is auto, always or never; a DOMAIN "-" stands for none (a From without an address).
 * Every DOMAIN is decided in turn on one resolver (so one cache), and one line printed:
 *   DOMAIN rewrite=yes|no policy=P dnssec=secure|insecure lookup=yes|no temperror=yes|no
 *   sent=N reason=TEXT
 * where sent is the number of queries this decision sent (0 when the cache answered).  With
 * -P, each DOMAIN is first decided by THREADS threads at once on the same resolver; their
 * results must all agree with the serial one printed (else "THREADS DISAGREE" and exit 1).
 * Exit 0 when every line was printed.
 */
#include "build-config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns.h"
#include "lists/fromrewrite.h"
#include "practice.h"

#define USAGE "usage: pw-fromrewrite -s SERVERS -a ANCHOR [-p PSL] [-t SECONDS] [-P N] " \
	      "MODE DOMAIN...\n"
#define MAX_THREADS 16

struct job {
	enum fromrewrite_mode mode;
	const char *domain;
	struct dns_resolver *dns;
	const struct pw_psl *psl;
	struct fromrewrite_result res;
};

/* run - pthread body: one decision */
static void *run(void *arg)
{
	struct job *j = arg;

	fromrewrite_decide(j->mode, j->domain, j->dns, j->psl, &j->res);
	return NULL;
}

/* same - whether two results agree */
static bool same(const struct fromrewrite_result *a, const struct fromrewrite_result *b)
{
	return a->rewrite == b->rewrite && a->policy == b->policy &&
	       a->temperror == b->temperror && strcmp(a->record_domain, b->record_domain) == 0;
}

/* read_file - the whole file PATH (malloc'd) and its length; NULL on error */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL ||
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		free(p);
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

int main(int argc, char **argv)
{
	struct dns_config cfg = { .timeout = 2, .max_queries = 32, .cache_size = 1000 };
	const char *servers = NULL, *psl_file = NULL;
	struct pw_psl *psl = NULL;
	struct dns_resolver *dns;
	enum fromrewrite_mode mode;
	unsigned threads = 0;
	char why[256];
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "s:a:p:t:P:")) != -1) {
		switch (opt) {
		case 's': servers = optarg; break;
		case 'a': cfg.trust_anchor_file = optarg; break;
		case 'p': psl_file = optarg; break;
		case 't': cfg.timeout = (unsigned)atoi(optarg); break;
		case 'P': threads = (unsigned)atoi(optarg); break;
		default: fputs(USAGE, stderr); return 2;
		}
	}
	if (servers == NULL || cfg.trust_anchor_file == NULL || argc - optind < 2 ||
	    threads > MAX_THREADS || !fromrewrite_mode_parse(argv[optind], &mode)) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (!dns_parse_servers(servers, &cfg, why, sizeof(why))) {
		fprintf(stderr, "pw-fromrewrite: %s\n", why);
		return 2;
	}
	if (psl_file != NULL) {
		size_t len;
		char *text = read_file(psl_file, &len);
		if (text == NULL || (psl = pw_psl_parse(text, len, 0, why, sizeof(why))) == NULL) {
			fprintf(stderr, "pw-fromrewrite: %s: %s\n", psl_file, text ? why : "unreadable");
			free(text);
			return 2;
		}
		free(text);
	}
	if ((dns = dns_resolver_new(&cfg, why, sizeof(why))) == NULL) {
		fprintf(stderr, "pw-fromrewrite: %s\n", why);
		pw_psl_free(psl);
		return 2;
	}
	for (int i = optind + 1; i < argc; i++) {
		const char *d = strcmp(argv[i], "-") == 0 ? NULL : argv[i];
		struct job par[MAX_THREADS], one = { mode, d, dns, psl, { 0 } };
		pthread_t tid[MAX_THREADS];
		struct dns_query_stats before, after;
		bool agree = true;

		for (unsigned t = 0; t < threads; t++) {
			par[t] = one;
			if (pthread_create(&tid[t], NULL, run, &par[t]) != 0) {
				fprintf(stderr, "pw-fromrewrite: pthread_create failed\n");
				return 1;
			}
		}
		for (unsigned t = 0; t < threads; t++)
			pthread_join(tid[t], NULL);
		dns_resolver_query_stats(dns, &before);
		run(&one);
		dns_resolver_query_stats(dns, &after);
		for (unsigned t = 0; t < threads; t++)
			agree &= same(&par[t].res, &one.res);
		printf("%s rewrite=%s policy=%s dnssec=%s lookup=%s temperror=%s sent=%lu "
		       "reason=%s\n", argv[i], one.res.rewrite ? "yes" : "no",
		       pw_dmarc_policy_name(one.res.policy), one.res.secure ? "secure" : "insecure",
		       one.res.looked_up ? "yes" : "no", one.res.temperror ? "yes" : "no",
		       after.sent - before.sent, one.res.reason);
		if (!agree) {
			printf("%s THREADS DISAGREE\n", argv[i]);
			rc = 1;
		}
		fflush(stdout);
	}
	dns_resolver_free(dns);
	pw_psl_free(psl);
	return rc;
}
