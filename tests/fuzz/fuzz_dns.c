/*
 * tests/fuzz/fuzz_dns.c - fuzz harness for the DNSSEC-validating stub resolver (milter/dns/):
 * wire answers in, verdict out, under a fixed trust anchor and a fixed clock, no socket.
 *
 * Input: a sequence of DNS answers in wire form, each preceded by its length (two octets,
 * big-endian).  The question of the first answer is what the harness looks up (dns_lookup);
 * the resolver's queries go to a transport (dns_config.transport) that serves, for each query,
 * the first answer whose question section matches the query's (name compared without regard
 * to case, type, class) with the query's ID put in, and "no answer" when none matches.  So an
 * input is a small table keyed by question and does not depend on the order of the walk.
 * Seeds: answers recorded from the NSD fixture (tests/fuzz/record_dns.py; the trust anchor and
 * the clock of that recording are fixed below), plus hostile cases kept as regression inputs.
 *
 * Contract checked: no crash, no sanitizer report; an answer's records only with kind ANSWER;
 * the reason NUL-terminated; TXT records join; a second lookup of the same question gives
 * the same kind and status as a first validated one (from the cache; a failure is asked
 * again and may differ, see below).
 * A campaign (from the top of a configured tree):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE -I. -Imilter \
 *     tests/fuzz/fuzz_dns.c milter/dns/dns.c milter/dns/dns-query.c milter/dns/dns-chain.c \
 *     milter/dns/dns-sig.c milter/dns/dns-denial.c milter/dns/dns-util.c \
 *     milter/dns/dnscache.c milter/dns/dnsanswer.c -lldns -o fuzz-dns
 *   cp -r tests/fuzz/corpus/dns work && ./fuzz-dns -max_len=16384 -len_control=0 work
 * (ldns itself is not instrumented; the seeds are up to ~6 KB, hence -max_len.)
 * With FUZZ_DNS_PRINT set in the environment each verdict is printed to stdout as
 * "NAME TYPE STATUS KIND # WHY" (tests/dns/transport.sh compares them with expected.tsv).
 */
#include "build-config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the fixture's trust anchor and the time of the recording of the seed corpus */
static const char ANCHOR[] =
	"test.\tIN\tDS\t19305 13 2 "
	"d985802353f8cef900728d949fe2e729796a2a123c408b1a4c785404cf54a7fd\n";
static const time_t RECORDED_AT = 1796512571;

static const uint8_t *input;
static size_t input_len;

/* fixed_clock - the recording's time */
static time_t fixed_clock(void)
{
	return RECORDED_AT;
}

/* question_len - length of the question section (name + type + class) at WIRE+12, or 0 */
static size_t question_len(const uint8_t *wire, size_t len)
{
	size_t p = 12;
	while (p < len && wire[p] != 0) {
		if (wire[p] > 63)
			return 0;	/* a compression pointer or junk: not a plain question */
		p += (size_t)wire[p] + 1;
	}
	if (p + 5 > len)
		return 0;
	return p + 5 - 12;
}

/* same_question - the question sections of A and B are equal (letters without case) */
static bool same_question(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t qa = question_len(a, alen), qb = question_len(b, blen);
	if (qa == 0 || qa != qb)
		return false;
	for (size_t i = 12; i < 12 + qa; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* next_chunk - the answer at *POS (and advance), or NULL at the end */
static const uint8_t *next_chunk(size_t *pos, size_t *len)
{
	if (*pos + 2 > input_len)
		return NULL;
	size_t n = (size_t)input[*pos] << 8 | input[*pos + 1];
	if (n > input_len - *pos - 2)
		n = input_len - *pos - 2;
	const uint8_t *c = input + *pos + 2;
	*pos += 2 + n;
	*len = n;
	return c;
}

/* serve - the transport: the first answer with the query's question */
static bool serve(void *arg, const uint8_t *query, size_t len, uint8_t **answer,
		  size_t *answer_len, char *why, size_t why_len)
{
	size_t pos = 0, n;
	const uint8_t *c;

	(void)arg;
	while ((c = next_chunk(&pos, &n)) != NULL) {
		if (n < 12 || len < 12 || !same_question(query, len, c, n))
			continue;
		if ((*answer = malloc(n)) == NULL)
			break;
		memcpy(*answer, c, n);
		(*answer)[0] = query[0];	/* the query's ID */
		(*answer)[1] = query[1];
		*answer_len = n;
		return true;
	}
	snprintf(why, why_len, "no answer in the input");
	return false;
}

/* check - the contract on one result */
static void check(const struct dns_answer *a)
{
	if (memchr(a->why, '\0', sizeof(a->why)) == NULL)
		abort();
	if (a->rrs != NULL && a->kind != DNS_ANSWER)
		abort();
	for (size_t i = 0; a->rrs && i < ldns_rr_list_rr_count(a->rrs); i++)
		free(dns_txt_join(a, i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_resolver *r;
	size_t pos = 0, n;
	const uint8_t *first;
	ldns_pkt *p = NULL;

	if (r == NULL) {
		struct dns_config cfg = { .timeout = 1, .max_queries = 24, .cache_size = 64,
					  .trust_anchor_text = ANCHOR, .clock = fixed_clock,
					  .transport = serve };
		char why[256];
		if ((r = dns_resolver_new(&cfg, why, sizeof(why))) == NULL) {
			fprintf(stderr, "fuzz_dns: %s\n", why);
			abort();
		}
	}
	input = data;
	input_len = size;
	dns_resolver_cache_clear(r);
	/* the question to look up: the first answer's */
	if ((first = next_chunk(&pos, &n)) == NULL || ldns_wire2pkt(&p, first, n) != LDNS_STATUS_OK)
		return 0;
	ldns_rr_list *q = ldns_pkt_question(p);
	if (q != NULL && ldns_rr_list_rr_count(q) == 1) {
		ldns_rr *qr = ldns_rr_list_rr(q, 0);
		char *name = ldns_rdf2str(ldns_rr_owner(qr));
		if (name != NULL) {
			struct dns_answer a, b;
			dns_lookup(r, name, ldns_rr_get_type(qr), &a);
			check(&a);
			dns_lookup(r, name, ldns_rr_get_type(qr), &b);
			check(&b);
			if (getenv("FUZZ_DNS_PRINT") != NULL) {
				char *t = ldns_rr_type2str(ldns_rr_get_type(qr));
				printf("%s %s %s %s # %s\n", name, t ? t : "?",
				       a.kind == DNS_TEMPFAIL ? "error" : dns_security_name(a.sec),
				       dns_kind_name(a.kind), a.why);
				free(t);
			}
			/* a validated verdict is cached and must come back as it was; a failure
			 * is asked again, and may differ: the query ID is random, and an answer
			 * whose names point into its header (where the ID goes) parses
			 * differently with another ID */
			if (a.kind != DNS_TEMPFAIL && a.sec != DNS_SEC_INDETERMINATE &&
			    (a.kind != b.kind || a.sec != b.sec)) {
				fprintf(stderr, "fuzz_dns: %s: %s %s, then %s %s\n", name,
					dns_security_name(a.sec), dns_kind_name(a.kind),
					dns_security_name(b.sec), dns_kind_name(b.kind));
				abort();
			}
			dns_answer_clear(&a);
			dns_answer_clear(&b);
			free(name);
		}
	}
	ldns_pkt_free(p);
	return 0;
}
