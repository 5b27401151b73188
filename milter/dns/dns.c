/*
 * milter/dns/dns.c - DNSSEC-validating stub resolver.
 * Contract, statuses and the walk: see dns.h.  Everything here is postward's own logic on
 * ldns primitives (packet parsing, RRSIG verification, NSEC/NSEC3 denial helpers).
 */
#include "build-config.h"
#include "dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscache.h"

#define MAX_CNAME_DEPTH 8
#define BOGUS_TTL 60		/* how long a bogus verdict is remembered */
#define MAX_TTL 86400		/* no answer is kept longer than a day */

/* a query on its way: lookups that need the same question meanwhile wait for its answer
 * instead of sending it again (see dns_send_query) */
struct flight {
	struct flight *next;
	ldns_rdf *name;			/* owned */
	ldns_rr_type type;
	unsigned refs;			/* the sender and each waiter */
	bool done;
	ldns_pkt *pkt;			/* owned: the answer for the waiters, NULL on failure */
	char why[160];
};

struct dns_resolver {
	struct dns_config cfg;		/* read-only after dns_resolver_new */
	ldns_rr_list *anchors;		/* DS and DNSKEY records; read-only */
	struct dnscache *cache;		/* has its own lock */
	atomic_ulong sent, no_answer;	/* query counters (atomic, no lock) */
	atomic_ulong coalesced, waiting;
	pthread_mutex_t flight_lock;	/* guards flights and every struct flight; leaf lock,
					 * never held across a query */
	pthread_cond_t flight_done;	/* broadcast when a flight is done */
	struct flight *flights;
};

/* per-lookup state; lives on one thread's stack */
struct walk {
	struct dns_resolver *r;
	unsigned queries;
	time_t now;
	int depth;
};

/* zone trust established by dns_walk_to() */
struct trust {
	enum dns_security sec;		/* SECURE, INSECURE, BOGUS, or INDETERMINATE (tempfail) */
	ldns_rdf *zone;			/* owned: deepest secure zone reached */
	ldns_rr_list *keys;		/* owned: its DNSKEY RRset (SECURE) */
	bool nxdomain;			/* a signed parent proved that the name does not exist */
	uint32_t ttl;			/* of that proof */
	char why[160];
};

/* ---- small helpers -------------------------------------------------------------------- */

/* dns_setwhy - format a reason */
static void dns_setwhy(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void dns_setwhy(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* dns_dname_str - presentation form of a name for messages (static per thread use; small) */
static void dns_dname_str(const ldns_rdf *d, char *buf, size_t len)
{
	char *s = d ? ldns_rdf2str(d) : NULL;
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

/* dns_same_name - case-insensitive dname equality */
static bool dns_same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return a != NULL && b != NULL && ldns_dname_compare(a, b) == 0;
}

/* dns_under_or_same - is SUB equal to PARENT or below it */
static bool dns_under_or_same(const ldns_rdf *sub, const ldns_rdf *parent)
{
	return dns_same_name(sub, parent) || ldns_dname_is_subdomain(sub, parent);
}

/* dns_rdf_uint - the value of the SIZE-octet (1, 2 or 4) integer field F into *V; false if F is
 * absent or of another size (short rdata makes ldns hand out NULL fields) */
static bool dns_rdf_uint(const ldns_rdf *f, size_t size, uint32_t *v)
{
	const uint8_t *d;

	*v = 0;
	if (f == NULL || ldns_rdf_size(f) != size || (d = ldns_rdf_data(f)) == NULL)
		return false;
	for (size_t i = 0; i < size; i++)
		*v = (*v << 8) | d[i];
	return true;
}

/* dns_rr_wellformed - does RR have the fields its type needs (RFC 1035 and the DNSSEC RFCs), each
 * present and, where fixed, of the right size; false with why */
static bool dns_rr_wellformed(const ldns_rr *rr, char *why, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(ldns_rr_get_type(rr));
	size_t n = ldns_rr_rd_count(rr);
	char on[256], *tn;

	if (d == NULL)
		return true;	/* an unknown type is carried as opaque data; nothing reads it */
	if (n >= ldns_rr_descriptor_minimum(d) && n <= ldns_rr_descriptor_maximum(d)) {
		size_t k;
		for (k = 0; k < n; k++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, k);
			size_t want = 0;
			if (f == NULL || ldns_rdf_data(f) == NULL)
				break;
			switch (ldns_rdf_get_type(f)) {
			case LDNS_RDF_TYPE_INT8:
			case LDNS_RDF_TYPE_ALG:
				want = 1;
				break;
			case LDNS_RDF_TYPE_INT16:
			case LDNS_RDF_TYPE_TYPE:
				want = 2;
				break;
			case LDNS_RDF_TYPE_INT32:
			case LDNS_RDF_TYPE_TIME:
			case LDNS_RDF_TYPE_PERIOD:
			case LDNS_RDF_TYPE_A:
				want = 4;
				break;
			case LDNS_RDF_TYPE_AAAA:
				want = 16;
				break;
			case LDNS_RDF_TYPE_DNAME:
				want = ldns_rdf_size(f) ? ldns_rdf_size(f) : 1;
				break;
			default:
				want = ldns_rdf_size(f);
				break;
			}
			if (ldns_rdf_size(f) != want)
				break;
		}
		if (k == n)
			return true;
	}
	tn = ldns_rr_type2str(ldns_rr_get_type(rr));
	dns_dname_str(ldns_rr_owner(rr), on, sizeof(on));
	dns_setwhy(why, len, "malformed %s record of %s (%zu fields)", tn ? tn : "?", on, n);
	free(tn);
	return false;
}

/* dns_pkt_wellformed - every record of every section of P is well-formed; false with why */
static bool dns_pkt_wellformed(const ldns_pkt *p, char *why, size_t len)
{
	const ldns_rr_list *secs[] = { ldns_pkt_question(p), ldns_pkt_answer(p),
				       ldns_pkt_authority(p), ldns_pkt_additional(p) };
	for (size_t s = 0; s < sizeof(secs) / sizeof(secs[0]); s++) {
		for (size_t i = 0; secs[s] && i < ldns_rr_list_rr_count(secs[s]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(secs[s], i);
			if (ldns_rr_owner(rr) == NULL) {
				dns_setwhy(why, len, "a record without an owner name");
				return false;
			}
			if (s > 0 && !dns_rr_wellformed(rr, why, len))
				return false;
		}
	}
	return true;
}

/* dns_rrset - the RRs of TYPE owned by NAME in SECTION (NULL if none); caller frees (deep) */
static ldns_rr_list *dns_rrset(const ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *name,
			       ldns_rr_type type)
{
	ldns_rr_list *all = ldns_pkt_get_section_clone(p, sec), *out = NULL;
	for (size_t i = 0; all && i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(rr) != type || (name && !dns_same_name(ldns_rr_owner(rr), name)))
			continue;
		if (out == NULL && (out = ldns_rr_list_new()) == NULL)
			break;
		ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	ldns_rr_list_deep_free(all);
	return out;
}

/* dns_sigs - RRSIGs in SECTION covering TYPE, owned by NAME (any owner if NULL) */
static ldns_rr_list *dns_sigs(const ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *name,
			      ldns_rr_type covered)
{
	ldns_rr_list *all = dns_rrset(p, sec, name, LDNS_RR_TYPE_RRSIG), *out = NULL;
	for (size_t i = 0; all && i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		uint32_t tc;
		if (!dns_rdf_uint(ldns_rr_rrsig_typecovered(rr), 2, &tc) || tc != (uint32_t)covered)
			continue;
		if (out == NULL && (out = ldns_rr_list_new()) == NULL)
			break;
		ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	ldns_rr_list_deep_free(all);
	return out;
}

/* dns_min_ttl - the smallest TTL in a list (or DEF if empty) */
static uint32_t dns_min_ttl(const ldns_rr_list *l, uint32_t def)
{
	uint32_t t = def;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(l, i)) < t)
			t = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	return t;
}

/* dns_answer_set - fill *a */
static void dns_answer_set(struct dns_answer *a, enum dns_kind kind, enum dns_security sec,
			   ldns_rr_list *rrs, uint32_t ttl, const char *why)
{
	dns_answer_clear(a);
	a->kind = kind;
	a->sec = sec;
	a->rrs = rrs;
	a->ttl = ttl > MAX_TTL ? MAX_TTL : ttl;
	snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
}

/* ---- public small functions ----------------------------------------------------------- */

/* dns_parse_servers - "IP[@PORT]" list */
bool dns_parse_servers(const char *text, struct dns_config *cfg, char *why, size_t len)
{
	const char *p = text;
	cfg->n_servers = 0;
	for (;;) {
		char item[sizeof(cfg->servers[0].addr)], *at;
		size_t n = 0;
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		while (p[n] && p[n] != ',' && !isspace((unsigned char)p[n]))
			n++;
		if (n >= sizeof(item)) {
			dns_setwhy(why, len, "name server \"%.40s...\" is too long", p);
			return false;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if (cfg->n_servers == DNS_MAX_SERVERS) {
			dns_setwhy(why, len, "more than %d name servers", DNS_MAX_SERVERS);
			return false;
		}
		unsigned port = 53;
		if ((at = strchr(item, '@')) != NULL) {
			char *end;
			unsigned long v = strtoul(at + 1, &end, 10);
			if (at[1] == '\0' || *end != '\0' || v == 0 || v > 65535) {
				dns_setwhy(why, len, "bad port in name server \"%s\"", item);
				return false;
			}
			port = (unsigned)v;
			*at = '\0';
		}
		unsigned char buf[16];
		if (inet_pton(AF_INET, item, buf) != 1 && inet_pton(AF_INET6, item, buf) != 1) {
			dns_setwhy(why, len, "name server \"%s\" is not an IP address", item);
			return false;
		}
		snprintf(cfg->servers[cfg->n_servers].addr, sizeof(cfg->servers[0].addr), "%s", item);
		cfg->servers[cfg->n_servers].port = (uint16_t)port;
		cfg->n_servers++;
	}
	if (cfg->n_servers == 0) {
		dns_setwhy(why, len, "no name server given");
		return false;
	}
	return true;
}

/* dns_servers_from_resolv_conf - nameserver lines */
size_t dns_servers_from_resolv_conf(const char *text, struct dns_config *cfg)
{
	const char *p = text;
	cfg->n_servers = 0;
	while (*p && cfg->n_servers < DNS_MAX_SERVERS) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char line[256], addr[64];
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			unsigned char buf[16];
			if (sscanf(line, " nameserver %63s", addr) == 1 &&
			    (inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1)) {
				snprintf(cfg->servers[cfg->n_servers].addr,
					 sizeof(cfg->servers[0].addr), "%s", addr);
				cfg->servers[cfg->n_servers].port = 53;
				cfg->n_servers++;
			}
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return cfg->n_servers;
}

/* ---- resolver life cycle -------------------------------------------------------------- */

/* dns_load_anchors - DS / DNSKEY records in zone-file syntax from the file PATH or, if PATH is
 * NULL, from the string TEXT */
static ldns_rr_list *dns_load_anchors(const char *path, const char *text, char *why, size_t len)
{
	FILE *f;
	ldns_rr_list *l;
	uint32_t ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 1;

	if (path == NULL && (text == NULL || text[0] == '\0')) {
		dns_setwhy(why, len, "no trust anchor given");
		return NULL;
	}
	if (path == NULL) {
		path = "trust anchor text";
		f = fmemopen((void *)text, strlen(text), "r");
	} else {
		f = fopen(path, "r");
	}
	if (f == NULL) {
		dns_setwhy(why, len, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if ((l = ldns_rr_list_new()) == NULL) {
		fclose(f);
		dns_setwhy(why, len, "out of memory");
		return NULL;
	}
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (feof(f) && st == LDNS_STATUS_SYNTAX_ERR)
				break;
			dns_setwhy(why, len, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
			goto fail;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ||
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY) {
			char bad[160];
			if (!dns_rr_wellformed(rr, bad, sizeof(bad)) || ldns_rr_rd_count(rr) != 4) {
				dns_setwhy(why, len, "%s:%d: %s", path, line, bad);
				ldns_rr_free(rr);
				goto fail;
			}
			ldns_dname2canonical(ldns_rr_owner(rr));
			ldns_rr_list_push_rr(l, rr);
		} else {
			ldns_rr_free(rr);
		}
	}
	if (ldns_rr_list_rr_count(l) == 0) {
		dns_setwhy(why, len, "%s: no DS or DNSKEY record", path);
		goto fail;
	}
	fclose(f);
	if (origin)
		ldns_rdf_deep_free(origin);
	if (prev)
		ldns_rdf_deep_free(prev);
	return l;
fail:
	fclose(f);
	if (origin)
		ldns_rdf_deep_free(origin);
	if (prev)
		ldns_rdf_deep_free(prev);
	ldns_rr_list_deep_free(l);
	return NULL;
}

/* dns_resolver_new - set up */
struct dns_resolver *dns_resolver_new(const struct dns_config *cfg, char *why, size_t len)
{
	struct dns_resolver *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		dns_setwhy(why, len, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	r->cfg.trust_anchor_file = NULL;
	r->cfg.trust_anchor_text = NULL;
	if (r->cfg.n_servers == 0 && r->cfg.transport == NULL) {
		dns_setwhy(why, len, "no name server configured");
		free(r);
		return NULL;
	}
	if (r->cfg.max_queries == 0)
		r->cfg.max_queries = 1;
	if (r->cfg.timeout == 0)
		r->cfg.timeout = 1;
	if ((r->anchors = dns_load_anchors(cfg->trust_anchor_file, cfg->trust_anchor_text, why,
					   len)) == NULL) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->flight_lock, NULL);
	pthread_cond_init(&r->flight_done, NULL);
	if ((r->cache = dnscache_new(cfg->cache_size ? cfg->cache_size : 1)) == NULL) {
		pthread_mutex_destroy(&r->flight_lock);
		pthread_cond_destroy(&r->flight_done);
		ldns_rr_list_deep_free(r->anchors);
		free(r);
		dns_setwhy(why, len, "out of memory");
		return NULL;
	}
	return r;
}

/* dns_resolver_cache_clear - empty the cache */
void dns_resolver_cache_clear(struct dns_resolver *r)
{
	dnscache_clear(r->cache);
}

/* dns_resolver_free - release */
void dns_resolver_free(struct dns_resolver *r)
{
	if (r == NULL)
		return;
	dnscache_free(r->cache);
	ldns_rr_list_deep_free(r->anchors);
	pthread_mutex_destroy(&r->flight_lock);
	pthread_cond_destroy(&r->flight_done);
	free(r);
}

/* dns_resolver_query_stats - query counters */
void dns_resolver_query_stats(struct dns_resolver *r, struct dns_query_stats *s)
{
	s->sent = atomic_load(&r->sent);
	s->no_answer = atomic_load(&r->no_answer);
	s->coalesced = atomic_load(&r->coalesced);
	s->waiting = atomic_load(&r->waiting);
}

/* dns_resolver_cache_stats - counters */
void dns_resolver_cache_stats(struct dns_resolver *r, struct dnscache_stats *s)
{
	dnscache_get_stats(r->cache, s);
}

/* ---- queries -------------------------------------------------------------------------- */

/* ask_server - one query to server I with ldns's UDP (TCP on truncation) sender; the answer or
 * NULL with why */
static ldns_pkt *ask_server(const struct dns_config *cfg, size_t i, const ldns_rdf *name,
			    ldns_rr_type type, char *why, size_t len)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *addr;
	ldns_pkt *p = NULL;
	ldns_status st;
	struct timeval tv = { .tv_sec = (time_t)cfg->timeout, .tv_usec = 0 };

	if (res == NULL) {
		dns_setwhy(why, len, "out of memory");
		return NULL;
	}
	addr = ldns_rdf_new_frm_str(strchr(cfg->servers[i].addr, ':') ? LDNS_RDF_TYPE_AAAA :
				    LDNS_RDF_TYPE_A, cfg->servers[i].addr);
	if (addr == NULL || ldns_resolver_push_nameserver(res, addr) != LDNS_STATUS_OK) {
		if (addr)
			ldns_rdf_deep_free(addr);
		ldns_resolver_deep_free(res);
		dns_setwhy(why, len, "bad server address");
		return NULL;
	}
	ldns_rdf_deep_free(addr);
	ldns_resolver_set_port(res, cfg->servers[i].port);
	ldns_resolver_set_dnssec(res, true);
	ldns_resolver_set_dnssec_cd(res, true);
	ldns_resolver_set_edns_udp_size(res, 1232);
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_fallback(res, true);
	/* the query is built here so that its ID can be checked: ldns's sender takes any reply
	 * that reaches the socket (a spoofed one needs only the port, a late one is taken as
	 * the answer) */
	ldns_pkt *q = NULL;
	st = ldns_resolver_prepare_query_pkt(&q, res, name, type, LDNS_RR_CLASS_IN,
					     LDNS_RD | LDNS_CD);
	if (st == LDNS_STATUS_OK && q != NULL)
		st = ldns_resolver_send_pkt(&p, res, q);
	ldns_resolver_deep_free(res);
	if (st != LDNS_STATUS_OK || p == NULL || q == NULL) {
		dns_setwhy(why, len, "%s", ldns_get_errorstr_by_id(st));
		if (p)
			ldns_pkt_free(p);
		if (q)
			ldns_pkt_free(q);
		return NULL;
	}
	if (ldns_pkt_id(p) != ldns_pkt_id(q)) {
		dns_setwhy(why, len, "answer with another ID");
		ldns_pkt_free(p);
		p = NULL;
	}
	ldns_pkt_free(q);
	return p;
}

/* ask_transport - one query through cfg->transport (see dns.h); the answer or NULL with why */
static ldns_pkt *ask_transport(const struct dns_config *cfg, const ldns_rdf *name,
			       ldns_rr_type type, char *why, size_t len)
{
	ldns_rdf *qn = ldns_rdf_clone(name);
	ldns_pkt *q = qn ? ldns_pkt_query_new(qn, type, LDNS_RR_CLASS_IN, LDNS_RD | LDNS_CD) : NULL;
	uint8_t *wire = NULL, *ans = NULL;
	size_t wlen = 0, alen = 0;
	ldns_pkt *p = NULL;

	if (q == NULL) {
		if (qn)
			ldns_rdf_deep_free(qn);
		dns_setwhy(why, len, "out of memory");
		return NULL;
	}
	ldns_pkt_set_random_id(q);
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_do(q, true);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
		dns_setwhy(why, len, "cannot build the query");
	else if (!cfg->transport(cfg->transport_arg, wire, wlen, &ans, &alen, why, len))
		;	/* why set by the transport */
	else if (ans == NULL || ldns_wire2pkt(&p, ans, alen) != LDNS_STATUS_OK)
		dns_setwhy(why, len, "answer not in DNS wire form");
	else if (ldns_pkt_id(p) != ldns_pkt_id(q)) {
		dns_setwhy(why, len, "answer with another ID");
		ldns_pkt_free(p);
		p = NULL;
	}
	free(ans);
	free(wire);
	ldns_pkt_free(q);
	return p;
}

/* ask_all - ask the servers in order (or the transport); false (with why) on timeout,
 * SERVFAIL, a malformed answer or one to another question */
static bool ask_all(struct walk *w, const ldns_rdf *name, ldns_rr_type type, ldns_pkt **out,
		    char *why, size_t len)
{
	const struct dns_config *cfg = &w->r->cfg;
	size_t n = cfg->transport ? 1 : cfg->n_servers;
	char qname[256];

	dns_dname_str(name, qname, sizeof(qname));
	*out = NULL;
	dns_setwhy(why, len, "no answer for %s", qname);
	for (size_t i = 0; i < n; i++) {
		char from[96], bad[160];
		ldns_pkt *p;

		if (cfg->transport)
			snprintf(from, sizeof(from), "the transport");
		else
			snprintf(from, sizeof(from), "%s@%u", cfg->servers[i].addr,
				 cfg->servers[i].port);
		atomic_fetch_add(&w->r->sent, 1);
		p = cfg->transport ? ask_transport(cfg, name, type, bad, sizeof(bad)) :
				     ask_server(cfg, i, name, type, bad, sizeof(bad));
		if (p == NULL) {
			atomic_fetch_add(&w->r->no_answer, 1);
			dns_setwhy(why, len, "%s from %s for %s", bad, from, qname);
			continue;
		}
		/* every record must have the fields its type needs: short or empty rdata leaves
		 * ldns fields NULL, and no code below may meet one */
		if (!dns_pkt_wellformed(p, bad, sizeof(bad))) {
			dns_setwhy(why, len, "%s from %s for %s", bad, from, qname);
			ldns_pkt_free(p);
			continue;
		}
		/* the answer must be to our question */
		ldns_rr_list *q = ldns_pkt_question(p);
		if (q == NULL || ldns_rr_list_rr_count(q) != 1 ||
		    !dns_same_name(ldns_rr_owner(ldns_rr_list_rr(q, 0)), name) ||
		    ldns_rr_get_type(ldns_rr_list_rr(q, 0)) != type) {
			dns_setwhy(why, len, "answer to another question from %s for %s", from, qname);
			ldns_pkt_free(p);
			continue;
		}
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
		if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) {
			*out = p;
			return true;
		}
		dns_setwhy(why, len, "rcode %d from %s for %s", (int)rc, from, qname);
		ldns_pkt_free(p);
	}
	return false;
}

/* flight_unref - drop one reference to F (flight_lock held) */
static void flight_unref(struct flight *f)
{
	if (--f->refs > 0)
		return;
	ldns_rdf_deep_free(f->name);
	if (f->pkt)
		ldns_pkt_free(f->pkt);
	free(f);
}

/* dns_send_query - the answer to NAME/TYPE, within the lookup's query budget; false (with why)
 * as ask_all.  Identical queries of concurrent lookups are sent once: a lookup that needs a
 * question already on its way waits for that answer (a copy) instead of asking again, so
 * that a burst of lookups (a cache entry every message needs has expired) does not send the
 * same question hundreds of times at once, which rate-limiting servers answer by dropping
 * replies. */
static bool dns_send_query(struct walk *w, const ldns_rdf *name, ldns_rr_type type, ldns_pkt **out,
			   char *why, size_t len)
{
	struct dns_resolver *r = w->r;
	struct flight *f;
	ldns_pkt *p = NULL;
	bool ok;

	*out = NULL;
	if (w->queries >= r->cfg.max_queries) {
		char qname[256];
		dns_dname_str(name, qname, sizeof(qname));
		dns_setwhy(why, len, "query budget exhausted (%u queries) at %s", r->cfg.max_queries,
			   qname);
		return false;
	}
	w->queries++;
	pthread_mutex_lock(&r->flight_lock);
	for (f = r->flights; f != NULL; f = f->next)
		if (f->type == type && dns_same_name(f->name, name))
			break;
	if (f != NULL) {
		f->refs++;
		atomic_fetch_add(&r->coalesced, 1);
		atomic_fetch_add(&r->waiting, 1);
		while (!f->done)
			pthread_cond_wait(&r->flight_done, &r->flight_lock);
		atomic_fetch_sub(&r->waiting, 1);
		ok = f->pkt != NULL && (*out = ldns_pkt_clone(f->pkt)) != NULL;
		if (!ok)
			dns_setwhy(why, len, "%s", f->why[0] ? f->why : "out of memory");
		flight_unref(f);
		pthread_mutex_unlock(&r->flight_lock);
		return ok;
	}
	if ((f = calloc(1, sizeof(*f))) != NULL && (f->name = ldns_rdf_clone(name)) != NULL) {
		f->type = type;
		f->refs = 1;
		f->next = r->flights;
		r->flights = f;
	} else {
		free(f);
		f = NULL;	/* no memory to share the query: send it alone */
	}
	pthread_mutex_unlock(&r->flight_lock);

	ok = ask_all(w, name, type, &p, why, len);

	if (f != NULL) {
		pthread_mutex_lock(&r->flight_lock);
		for (struct flight **pp = &r->flights; *pp != NULL; pp = &(*pp)->next)
			if (*pp == f) {
				*pp = f->next;
				break;
			}
		if (ok && f->refs > 1)
			f->pkt = ldns_pkt_clone(p);
		snprintf(f->why, sizeof(f->why), "%s", ok ? "" : why);
		f->done = true;
		pthread_cond_broadcast(&r->flight_done);
		flight_unref(f);
		pthread_mutex_unlock(&r->flight_lock);
	}
	*out = ok ? p : NULL;
	return ok;
}

/* ---- signatures ----------------------------------------------------------------------- */

/* dns_verify_set - is RRSET signed by ZONE with one of KEYS; *ttl_bound gets min(the signature's
 * remaining validity, its original TTL) and *used (if not NULL) the signature that verified
 * (borrowed from SG): every fact a proof takes from a signature (the labels count of a
 * wildcard expansion) must come from that one, never from another RRSIG beside it */
static bool dns_verify_set(const struct walk *w, const ldns_rr_list *set, const ldns_rr_list *sg,
			   const ldns_rdf *zone, const ldns_rr_list *keys, uint32_t *ttl_bound,
			   const ldns_rr **used, char *why, size_t len)
{
	ldns_status last = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	bool by_zone = false;
	char zn[256];
	uint8_t owner_labels = set && ldns_rr_list_rr_count(set) ?
			       ldns_dname_label_count(ldns_rr_owner(ldns_rr_list_rr(set, 0))) : 0;

	if (used)
		*used = NULL;
	for (size_t i = 0; sg && i < ldns_rr_list_rr_count(sg); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sg, i);
		uint32_t labels;
		if (!dns_same_name(ldns_rr_rrsig_signame(sig), zone))
			continue;
		by_zone = true;
		/* RFC 4035 5.3.1: the labels field is at most the owner's label count */
		if (!dns_rdf_uint(ldns_rr_rrsig_labels(sig), 1, &labels) || labels > owner_labels) {
			last = LDNS_STATUS_CRYPTO_BOGUS;
			continue;
		}
		last = ldns_verify_rrsig_keylist_time(set, sig, keys, w->now, NULL);
		if (last == LDNS_STATUS_OK) {
			uint32_t exp, orig;
			if (!dns_rdf_uint(ldns_rr_rrsig_expiration(sig), 4, &exp) ||
			    !dns_rdf_uint(ldns_rr_rrsig_origttl(sig), 4, &orig)) {
				last = LDNS_STATUS_CRYPTO_SIG_EXPIRED;
				continue;
			}
			uint32_t left = exp > (uint32_t)w->now ? exp - (uint32_t)w->now : 0;
			*ttl_bound = left < orig ? left : orig;
			if (used)
				*used = sig;
			return true;
		}
	}
	dns_dname_str(zone, zn, sizeof(zn));
	if (!by_zone)
		dns_setwhy(why, len, "no signature by %s", zn);
	else
		dns_setwhy(why, len, "signature by %s does not verify: %s", zn,
			   ldns_get_errorstr_by_id(last));
	return false;
}

/* verify_section_sets - verify every NSEC/NSEC3/SOA RRset of the authority section with the
 * zone's keys; returns the verified NSEC or NSEC3 RRs (owned) and their signatures (owned) */
static bool dns_verify_denial_sets(const struct walk *w, const ldns_pkt *p, const ldns_rdf *zone,
				   const ldns_rr_list *keys, ldns_rr_type nsectype, ldns_rr_list **nsecs,
				   ldns_rr_list **nsigs, uint32_t *ttl, char *why, size_t len)
{
	ldns_rr_list *all = dns_rrset(p, LDNS_SECTION_AUTHORITY, NULL, nsectype);
	*nsecs = NULL;
	*nsigs = NULL;
	if (all == NULL) {
		dns_setwhy(why, len, "no %s records in the denial", nsectype == LDNS_RR_TYPE_NSEC ?
			   "NSEC" : "NSEC3");
		return false;
	}
	*nsigs = ldns_rr_list_new();
	/* each NSEC(3) record is its own RRset (one per owner name) */
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		ldns_rr_list *one = ldns_rr_list_new(), *sg;
		uint32_t bound;
		ldns_rr_list_push_rr(one, ldns_rr_clone(rr));
		sg = dns_sigs(p, LDNS_SECTION_AUTHORITY, ldns_rr_owner(rr), nsectype);
		const ldns_rr *good = NULL;
		bool ok = dns_verify_set(w, one, sg, zone, keys, &bound, &good, why, len);
		if (ok && bound < *ttl)
			*ttl = bound;
		if (ok && ldns_rr_ttl(rr) < *ttl)
			*ttl = ldns_rr_ttl(rr);
		/* only the signature that verified: ldns_dnssec_verify_denial reads the labels
		 * count of an NSEC's RRSIG (RFC 4035 5.4, "no wildcard could match") */
		if (ok && good)
			ldns_rr_list_push_rr(*nsigs, ldns_rr_clone(good));
		if (sg)
			ldns_rr_list_deep_free(sg);
		ldns_rr_list_deep_free(one);
		if (!ok) {
			ldns_rr_list_deep_free(all);
			ldns_rr_list_deep_free(*nsigs);
			*nsigs = NULL;
			return false;
		}
	}
	*nsecs = all;
	return true;
}

/* dns_negative_ttl - RFC 2308: min(SOA TTL, SOA MINIMUM) from the authority section */
static uint32_t dns_negative_ttl(const ldns_pkt *p, uint32_t def)
{
	ldns_rr_list *soa = dns_rrset(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_SOA);
	uint32_t t = def;
	if (soa && ldns_rr_list_rr_count(soa) > 0) {
		ldns_rr *rr = ldns_rr_list_rr(soa, 0);
		t = ldns_rr_ttl(rr);
		uint32_t min;
		if (ldns_rr_rd_count(rr) >= 7 && dns_rdf_uint(ldns_rr_rdf(rr, 6), 4, &min) && min < t)
			t = min;
	}
	if (soa)
		ldns_rr_list_deep_free(soa);
	return t;
}

/* qrr - a question RR NAME/TYPE for the denial helpers (caller frees) */
static ldns_rr *qrr(const ldns_rdf *name, ldns_rr_type type)
{
	ldns_rr *rr = ldns_rr_new();
	if (rr == NULL)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(name));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	return rr;
}

/* nsec3_hash - the NSEC3 owner name NAME would have in ZONE under N3's parameters (ldns's
 * ldns_nsec3_hash_name_frm_nsec3 gives the hash label only); caller frees */
static ldns_rdf *nsec3_hash(const ldns_rr *n3, const ldns_rdf *name, const ldns_rdf *zone)
{
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(n3, name);
	if (h != NULL && ldns_dname_cat(h, zone) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		return NULL;
	}
	return h;
}

/* parent_side - is N (NSEC or NSEC3) the parent's record of a zone cut (NS without SOA) or a
 * DNAME: it proves nothing about the names below its owner (RFC 6840 4.1), nor, at its own
 * name, about any type but DS (the data is the child's) */
static bool parent_side(const ldns_rr *n)
{
	const ldns_rdf *bm = ldns_nsec_get_bitmap(n);
	return bm != NULL && ((ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) &&
			       !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA)) ||
			      ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_DNAME));
}

/* usable_nsecs - the verified NSEC records of NSECS that may speak about NAME/TYPE: without the
 * parent-side records of a cut above NAME (or at NAME unless TYPE is DS); caller frees */
static ldns_rr_list *usable_nsecs(const ldns_rr_list *nsecs, const ldns_rdf *name,
				  ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out && i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
		const ldns_rdf *o = ldns_rr_owner(n);
		if (parent_side(n) && (ldns_dname_is_subdomain(name, o) ||
				       (dns_same_name(name, o) && type != LDNS_RR_TYPE_DS)))
			continue;
		ldns_rr_list_push_rr(out, ldns_rr_clone(n));
	}
	return out;
}

/* nsec_nodata - RFC 4035 5.4: a verified NSEC proves NODATA for NAME/TYPE when it is owned by
 * NAME and lists neither TYPE nor CNAME, or when NAME is an empty non-terminal (an NSEC
 * covers NAME and the next name is below NAME); *match gets the NSEC owned by NAME, if any */
static bool nsec_nodata(const ldns_rr_list *nsecs, const ldns_rdf *name, ldns_rr_type type,
			const ldns_rr **match)
{
	*match = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
		const ldns_rdf *bm = ldns_nsec_get_bitmap(n);
		if (dns_same_name(ldns_rr_owner(n), name)) {
			*match = n;
			return bm && !ldns_nsec_bitmap_covers_type(bm, type) &&
			       !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_CNAME);
		}
		const ldns_rdf *next = ldns_rr_rdf(n, 0);
		if (next && ldns_nsec_covers_name(n, name) && ldns_dname_is_subdomain(next, name))
			return true;
	}
	return false;
}

enum denial { DENY_FAIL, DENY_NODATA, DENY_NXDOMAIN, DENY_INSECURE_CUT };

/* n3_find - the verified NSEC3 record whose owner is NAME's hash (MATCH) or whose span
 * covers it (!MATCH), or NULL */
static const ldns_rr *n3_find(const ldns_rr_list *n3s, const ldns_rdf *name,
			      const ldns_rdf *zone, bool match)
{
	const ldns_rr *found = NULL;
	ldns_rdf *h;

	if (ldns_rr_list_rr_count(n3s) == 0 ||
	    (h = nsec3_hash(ldns_rr_list_rr(n3s, 0), name, zone)) == NULL)
		return NULL;
	for (size_t i = 0; found == NULL && i < ldns_rr_list_rr_count(n3s); i++) {
		const ldns_rr *n3 = ldns_rr_list_rr(n3s, i);
		bool same = dns_same_name(ldns_rr_owner(n3), h);
		if (match ? same : (!same && ldns_nsec_covers_name(n3, h)))
			found = n3;
	}
	ldns_rdf_deep_free(h);
	return found;
}

/* nsec3_denial - RFC 5155 section 8 with the zone's verified NSEC3 records: NODATA by a
 * matching record (8.5, 8.6), the closest-encloser proof (8.3) for NXDOMAIN (8.4), for a
 * missing DS (8.6, opt-out: insecure) and for wildcard NODATA (8.7) */
static enum denial nsec3_denial(const ldns_rr_list *n3s, const ldns_rdf *name, ldns_rr_type type,
				const ldns_rdf *zone, bool nx, char *why, size_t len)
{
	const ldns_rr *m = n3_find(n3s, name, zone, true);
	uint8_t count = ldns_dname_label_count(name), top = ldns_dname_label_count(zone);

	if (m != NULL) {
		const ldns_rdf *bm = ldns_nsec_get_bitmap(m);
		if (nx) {
			dns_setwhy(why, len, "NXDOMAIN but an NSEC3 record proves the name exists");
			return DENY_FAIL;
		}
		if (type != LDNS_RR_TYPE_DS && parent_side(m)) {
			dns_setwhy(why, len, "NSEC3: a delegation's record cannot deny the child's data");
			return DENY_FAIL;
		}
		/* an empty non-terminal's NSEC3 has no type bitmap at all */
		if (bm != NULL && (ldns_nsec_bitmap_covers_type(bm, type) ||
				   ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_CNAME))) {
			dns_setwhy(why, len, "the matching NSEC3 record lists the type");
			return DENY_FAIL;
		}
		if (type == LDNS_RR_TYPE_DS && bm && ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) &&
		    !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA))
			return DENY_INSECURE_CUT;
		return DENY_NODATA;
	}
	/* closest encloser: the longest ancestor with a matching NSEC3, below or at the zone */
	for (uint8_t l = count > 0 ? count - 1 : 0; l >= top && l < count; l--) {
		ldns_rdf *ce = ldns_dname_clone_from(name, (uint16_t)(count - l));
		ldns_rdf *nc = ldns_dname_clone_from(name, (uint16_t)(count - l - 1));
		const ldns_rr *cem = ce ? n3_find(n3s, ce, zone, true) : NULL;
		const ldns_rr *ncc = cem && nc ? n3_find(n3s, nc, zone, false) : NULL;
		enum denial d = DENY_FAIL;
		bool decided = cem != NULL;

		if (cem != NULL && parent_side(cem))
			dns_setwhy(why, len, "NSEC3: the closest encloser is a delegation");	/* 8.3 */
		else if (cem != NULL && ncc == NULL)
			dns_setwhy(why, len, "NSEC3: the next closer name is not covered");
		else if (cem != NULL) {
			ldns_rdf *star = ldns_dname_new_frm_str("*");
			const ldns_rr *wm = NULL, *wc = NULL;
			if (star != NULL && ldns_dname_cat(star, ce) == LDNS_STATUS_OK) {
				wm = n3_find(n3s, star, zone, true);
				wc = wm ? NULL : n3_find(n3s, star, zone, false);
			}
			if (type == LDNS_RR_TYPE_DS && !nx && ldns_nsec3_optout(ncc))
				d = DENY_INSECURE_CUT;		/* 8.6: opt-out span */
			else if (nx && wc != NULL)
				d = DENY_NXDOMAIN;		/* 8.4 */
			else if (!nx && wm != NULL && (ldns_nsec_get_bitmap(wm) == NULL ||
				 (!ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(wm), type) &&
				  !ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(wm),
								LDNS_RR_TYPE_CNAME))))
				d = DENY_NODATA;		/* 8.7: wildcard NODATA */
			else
				dns_setwhy(why, len, "NSEC3: the wildcard at the closest encloser is %s",
					   nx ? "not covered" : "not proven to lack the type");
			if (star)
				ldns_rdf_deep_free(star);
		}
		if (ce)
			ldns_rdf_deep_free(ce);
		if (nc)
			ldns_rdf_deep_free(nc);
		if (decided)
			return d;
		if (l == 0)
			break;
	}
	dns_setwhy(why, len, "NSEC3: no closest encloser proof");
	return DENY_FAIL;
}

/* dns_prove_denial - NAME/TYPE does not exist, proven by the verified authority section of P,
 * signed by ZONE.  For a DS question a NODATA proof also says whether NAME is a delegation
 * without DS (DENY_INSECURE_CUT, NSEC3 opt-out included). */
static enum denial dns_prove_denial(const struct walk *w, const ldns_pkt *p, const ldns_rdf *name,
				    ldns_rr_type type, const ldns_rdf *zone, const ldns_rr_list *keys,
				    uint32_t *ttl, char *why, size_t len)
{
	ldns_rr_list *nsecs = NULL, *nsigs = NULL;
	ldns_rr *q = qrr(name, type);
	enum denial d = DENY_FAIL;
	bool nx = ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN;
	uint32_t t = dns_negative_ttl(p, MAX_TTL);
	char why2[160];

	if (q == NULL) {
		dns_setwhy(why, len, "out of memory");
		return DENY_FAIL;
	}
	if (dns_verify_denial_sets(w, p, zone, keys, LDNS_RR_TYPE_NSEC, &nsecs, &nsigs, &t, why,
				   len)) {
		const ldns_rr *own = NULL;
		ldns_rr_list *all = nsecs;
		nsecs = usable_nsecs(all, name, type);
		ldns_rr_list_deep_free(all);
		ldns_status st = LDNS_STATUS_OK;
		if (!nx && nsec_nodata(nsecs, name, type, &own)) {
			const ldns_rdf *bm = own ? ldns_nsec_get_bitmap(own) : NULL;
			if (type == LDNS_RR_TYPE_DS && bm &&
			    ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) &&
			    !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA))
				d = DENY_INSECURE_CUT;
			else
				d = DENY_NODATA;
		} else if ((st = ldns_dnssec_verify_denial(q, nsecs, nsigs)) != LDNS_STATUS_OK) {
			dns_setwhy(why, len, "NSEC denial not proven: %s", ldns_get_errorstr_by_id(st));
		} else {
			const ldns_rr *match = NULL;
			for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++)
				if (dns_same_name(ldns_rr_owner(ldns_rr_list_rr(nsecs, i)), name))
					match = ldns_rr_list_rr(nsecs, i);
			if (match != NULL) {
				/* the name exists: NODATA, whatever the rcode claims */
				const ldns_rdf *bm = ldns_nsec_get_bitmap(match);
				if (type == LDNS_RR_TYPE_DS && bm &&
				    ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) &&
				    !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_DS) &&
				    !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA))
					d = DENY_INSECURE_CUT;
				else
					d = DENY_NODATA;
			} else {
				d = nx ? DENY_NXDOMAIN : DENY_NODATA;	/* empty non-terminal */
			}
		}
	} else if (nsecs == NULL && nsigs == NULL &&
		   dns_verify_denial_sets(w, p, zone, keys, LDNS_RR_TYPE_NSEC3, &nsecs, &nsigs, &t,
					  why2, sizeof(why2))) {
		d = nsec3_denial(nsecs, name, type, zone, nx, why, len);
	} else if (nsecs == NULL) {
		/* neither NSEC nor NSEC3 verified: keep the NSEC reason unless NSEC3 was there */
		ldns_rr_list *n3 = dns_rrset(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3);
		if (n3 != NULL) {
			snprintf(why, len, "%s", why2);
			ldns_rr_list_deep_free(n3);
		}
	}
	if (nsecs)
		ldns_rr_list_deep_free(nsecs);
	if (nsigs)
		ldns_rr_list_deep_free(nsigs);
	ldns_rr_free(q);
	*ttl = t;
	return d;
}

/* ---- the chain of trust --------------------------------------------------------------- */

/* dns_closest_anchor - the deepest anchor owner at or above NAME (borrowed), or NULL */
static const ldns_rdf *dns_closest_anchor(const struct dns_resolver *r, const ldns_rdf *name)
{
	const ldns_rdf *best = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(r->anchors); i++) {
		const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(r->anchors, i));
		if (dns_under_or_same(name, o) &&
		    (best == NULL || ldns_dname_label_count(o) > ldns_dname_label_count(best)))
			best = o;
	}
	return best;
}

/* zone_keys - the DNSKEY RRset of ZONE, trusted because one of its keys matches a record of
 * TRUSTED (DS records, or anchor DS/DNSKEY records) and signs the whole RRset */
static enum dns_security zone_keys(struct walk *w, const ldns_rdf *zone,
				   const ldns_rr_list *trusted, ldns_rr_list **keys, char *why,
				   size_t len)
{
	struct dns_answer cached = { 0 };
	ldns_pkt *p = NULL;
	ldns_rr_list *set = NULL, *sg = NULL, *good = NULL;
	enum dns_security sec = DNS_SEC_BOGUS;
	char zn[256];
	uint32_t ttl = MAX_TTL;

	*keys = NULL;
	dns_dname_str(zone, zn, sizeof(zn));
	if (dnscache_get(w->r->cache, zone, LDNS_RR_TYPE_DNSKEY, w->now, &cached)) {
		if (cached.sec == DNS_SEC_SECURE && cached.rrs) {
			*keys = cached.rrs;
			cached.rrs = NULL;
			return DNS_SEC_SECURE;
		}
		dns_setwhy(why, len, "%s", cached.why);
		sec = cached.sec;
		dns_answer_clear(&cached);
		return sec;
	}
	if (!dns_send_query(w, zone, LDNS_RR_TYPE_DNSKEY, &p, why, len))
		return DNS_SEC_INDETERMINATE;
	set = dns_rrset(p, LDNS_SECTION_ANSWER, zone, LDNS_RR_TYPE_DNSKEY);
	sg = dns_sigs(p, LDNS_SECTION_ANSWER, zone, LDNS_RR_TYPE_DNSKEY);
	good = ldns_rr_list_new();
	for (size_t i = 0; set && good && i < ldns_rr_list_rr_count(set); i++) {
		ldns_rr *k = ldns_rr_list_rr(set, i);
		uint32_t flags;
		if (ldns_rr_rd_count(k) != 4 || !dns_rdf_uint(ldns_rr_dnskey_flags(k), 2, &flags) ||
		    !(flags & LDNS_KEY_ZONE_KEY))
			continue;
		for (size_t j = 0; j < ldns_rr_list_rr_count(trusted); j++)
			if (dns_same_name(ldns_rr_owner(ldns_rr_list_rr(trusted, j)), zone) &&
			    ldns_rr_compare_ds(k, ldns_rr_list_rr(trusted, j))) {
				ldns_rr_list_push_rr(good, ldns_rr_clone(k));
				break;
			}
	}
	if (set == NULL)
		dns_setwhy(why, len, "no DNSKEY for %s", zn);
	else if (good == NULL || ldns_rr_list_rr_count(good) == 0)
		dns_setwhy(why, len, "no DNSKEY of %s matches its DS or trust anchor", zn);
	else if (dns_verify_set(w, set, sg, zone, good, &ttl, NULL, why, len))
		sec = DNS_SEC_SECURE;
	else {
		char inner[160];
		snprintf(inner, sizeof(inner), "%s", why);
		dns_setwhy(why, len, "DNSKEY of %s: %s", zn, inner);
	}
	if (sec == DNS_SEC_SECURE) {
		struct dns_answer a = { 0 };
		uint32_t t = dns_min_ttl(set, ttl);
		dns_answer_set(&a, DNS_ANSWER, DNS_SEC_SECURE, ldns_rr_list_clone(set), t < ttl ? t : ttl,
			       NULL);
		dnscache_put(w->r->cache, zone, LDNS_RR_TYPE_DNSKEY, &a, w->now + a.ttl);
		dns_answer_clear(&a);
		*keys = set;
		set = NULL;
	} else {
		struct dns_answer a = { 0 };
		dns_answer_set(&a, DNS_ANSWER, DNS_SEC_BOGUS, NULL, BOGUS_TTL, why);
		dnscache_put(w->r->cache, zone, LDNS_RR_TYPE_DNSKEY, &a, w->now + BOGUS_TTL);
	}
	if (set)
		ldns_rr_list_deep_free(set);
	if (sg)
		ldns_rr_list_deep_free(sg);
	if (good)
		ldns_rr_list_deep_free(good);
	ldns_pkt_free(p);
	return sec;
}

/* dns_trust_clear - free what a trust record owns */
static void dns_trust_clear(struct trust *t)
{
	if (t->zone)
		ldns_rdf_deep_free(t->zone);
	if (t->keys)
		ldns_rr_list_deep_free(t->keys);
	memset(t, 0, sizeof(*t));
}

/* ds_step - one label of the walk: what the parent (t->zone, t->keys) says about a DS at N.
 * Secure DS: descend (t->zone = N with its keys).  Proven no-DS delegation: insecure.  Proven
 * NXDOMAIN: t->nxdomain.  Not a cut: nothing changes. */
static void ds_step(struct walk *w, const ldns_rdf *n, struct trust *t)
{
	struct dns_answer c = { 0 };
	ldns_pkt *p = NULL;
	uint32_t ttl = MAX_TTL;
	char nn[256];

	dns_dname_str(n, nn, sizeof(nn));
	/* a cached DS verdict for N (validated under the same parent) */
	if (dnscache_get(w->r->cache, n, LDNS_RR_TYPE_DS, w->now, &c)) {
		if (c.sec == DNS_SEC_SECURE && c.kind == DNS_ANSWER) {
			ldns_rr_list *keys = NULL;
			enum dns_security s = zone_keys(w, n, c.rrs, &keys, t->why, sizeof(t->why));
			dns_answer_clear(&c);
			if (s != DNS_SEC_SECURE) {
				t->sec = s;
				return;
			}
			ldns_rdf_deep_free(t->zone);
			ldns_rr_list_deep_free(t->keys);
			t->zone = ldns_rdf_clone(n);
			t->keys = keys;
			return;
		}
		if (c.sec == DNS_SEC_SECURE && c.kind == DNS_NXDOMAIN) {
			t->nxdomain = true;
			t->ttl = c.ttl;
		} else if (c.sec == DNS_SEC_INSECURE) {
			t->sec = DNS_SEC_INSECURE;
			dns_setwhy(t->why, sizeof(t->why), "%s", c.why);
		} else if (c.sec != DNS_SEC_SECURE) {
			t->sec = c.sec;
			dns_setwhy(t->why, sizeof(t->why), "%s", c.why);
		}
		dns_answer_clear(&c);
		return;
	}
	if (!dns_send_query(w, n, LDNS_RR_TYPE_DS, &p, t->why, sizeof(t->why))) {
		t->sec = DNS_SEC_INDETERMINATE;
		return;
	}
	ldns_rr_list *ds = ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR ?
			   dns_rrset(p, LDNS_SECTION_ANSWER, n, LDNS_RR_TYPE_DS) : NULL;
	struct dns_answer a = { 0 };
	if (ds != NULL) {
		ldns_rr_list *sg = dns_sigs(p, LDNS_SECTION_ANSWER, n, LDNS_RR_TYPE_DS), *keys = NULL;
		char why[160];
		if (!dns_verify_set(w, ds, sg, t->zone, t->keys, &ttl, NULL, why, sizeof(why))) {
			dns_setwhy(t->why, sizeof(t->why), "DS of %s: %s", nn, why);
			t->sec = DNS_SEC_BOGUS;
			dns_answer_set(&a, DNS_ANSWER, DNS_SEC_BOGUS, NULL, BOGUS_TTL, t->why);
		} else {
			uint32_t mt = dns_min_ttl(ds, ttl);
			dns_answer_set(&a, DNS_ANSWER, DNS_SEC_SECURE, ldns_rr_list_clone(ds),
				       mt < ttl ? mt : ttl, NULL);
			enum dns_security s = zone_keys(w, n, ds, &keys, t->why, sizeof(t->why));
			if (s != DNS_SEC_SECURE) {
				t->sec = s;
			} else {
				ldns_rdf_deep_free(t->zone);
				ldns_rr_list_deep_free(t->keys);
				t->zone = ldns_rdf_clone(n);
				t->keys = keys;
			}
		}
		if (sg)
			ldns_rr_list_deep_free(sg);
		ldns_rr_list_deep_free(ds);
	} else {
		char why[160];
		switch (dns_prove_denial(w, p, n, LDNS_RR_TYPE_DS, t->zone, t->keys, &ttl, why,
					 sizeof(why))) {
		case DENY_FAIL:
			t->sec = DNS_SEC_BOGUS;
			dns_setwhy(t->why, sizeof(t->why), "no DS at %s not proven: %s", nn, why);
			dns_answer_set(&a, DNS_NODATA, DNS_SEC_BOGUS, NULL, BOGUS_TTL, t->why);
			break;
		case DENY_INSECURE_CUT:
			t->sec = DNS_SEC_INSECURE;
			dns_setwhy(t->why, sizeof(t->why), "delegation to %s has no DS", nn);
			dns_answer_set(&a, DNS_NODATA, DNS_SEC_INSECURE, NULL, ttl, t->why);
			break;
		case DENY_NXDOMAIN:
			t->nxdomain = true;
			t->ttl = ttl;
			dns_answer_set(&a, DNS_NXDOMAIN, DNS_SEC_SECURE, NULL, ttl, NULL);
			break;
		case DENY_NODATA:
			dns_answer_set(&a, DNS_NODATA, DNS_SEC_SECURE, NULL, ttl, NULL);
			break;
		}
	}
	dnscache_put(w->r->cache, n, LDNS_RR_TYPE_DS, &a, w->now + (a.ttl ? a.ttl : 1));
	dns_answer_clear(&a);
	ldns_pkt_free(p);
}

/* dns_walk_to - establish trust from the anchor down to TARGET (inclusive); stops early on an
 * insecure delegation, a bogus step, a failure or a proven NXDOMAIN */
static void dns_walk_to(struct walk *w, const ldns_rdf *anchor, const ldns_rdf *target,
			struct trust *t)
{
	uint8_t top = ldns_dname_label_count(anchor), bottom = ldns_dname_label_count(target);

	memset(t, 0, sizeof(*t));
	t->zone = ldns_rdf_clone(anchor);
	t->sec = zone_keys(w, anchor, w->r->anchors, &t->keys, t->why, sizeof(t->why));
	for (uint8_t l = top + 1; t->sec == DNS_SEC_SECURE && !t->nxdomain && l <= bottom; l++) {
		ldns_rdf *n = ldns_dname_clone_from(target, (uint16_t)(bottom - l));
		if (n == NULL) {
			t->sec = DNS_SEC_INDETERMINATE;
			dns_setwhy(t->why, sizeof(t->why), "out of memory");
			break;
		}
		ds_step(w, n, t);
		ldns_rdf_deep_free(n);
	}
}

/* ---- the lookup ----------------------------------------------------------------------- */

static void resolve(struct walk *w, const ldns_rdf *name, ldns_rr_type type,
		    struct dns_answer *out);

/* signer - the signer named by the first RRSIG of a list (borrowed), or NULL */
static const ldns_rdf *signer(const ldns_rr_list *sg)
{
	return sg && ldns_rr_list_rr_count(sg) ? ldns_rr_rrsig_signame(ldns_rr_list_rr(sg, 0)) :
						 NULL;
}

/* dns_wildcard_proven - a positive answer expanded from a wildcard also needs the proof that
 * NAME itself does not exist (RFC 4035 5.3.4) */
static bool dns_wildcard_proven(const struct walk *w, const ldns_pkt *p, const ldns_rdf *name,
				const ldns_rr *sig, const ldns_rdf *zone, const ldns_rr_list *keys,
				char *why, size_t len)
{
	uint32_t labels;
	uint8_t count = ldns_dname_label_count(name);
	ldns_rr_list *nsecs = NULL, *nsigs = NULL;
	uint32_t ttl = MAX_TTL;
	bool ok = false;

	if (!dns_rdf_uint(ldns_rr_rrsig_labels(sig), 1, &labels)) {
		dns_setwhy(why, len, "signature without a labels field");
		return false;
	}
	if (labels >= count)
		return true;	/* not a wildcard expansion */
	ldns_rdf *next_closer = ldns_dname_clone_from(name, (uint16_t)(count - labels - 1));
	if (next_closer == NULL)
		return false;
	if (dns_verify_denial_sets(w, p, zone, keys, LDNS_RR_TYPE_NSEC, &nsecs, &nsigs, &ttl, why, len)) {
		/* an NSEC that covers the next closer name (and so the name), whose next name is
		 * not below it (the next closer name would exist), and not a cut's NSEC above it */
		for (size_t i = 0; !ok && i < ldns_rr_list_rr_count(nsecs); i++) {
			const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
			const ldns_rdf *next = ldns_rr_rdf(n, 0);
			ok = next != NULL && ldns_nsec_covers_name(n, next_closer) &&
			     ldns_nsec_covers_name(n, name) &&
			     !ldns_dname_is_subdomain(next, next_closer) &&
			     !(parent_side(n) && ldns_dname_is_subdomain(name, ldns_rr_owner(n)));
		}
	} else if (dns_verify_denial_sets(w, p, zone, keys, LDNS_RR_TYPE_NSEC3, &nsecs, &nsigs, &ttl,
					  why, len)) {
		for (size_t i = 0; !ok && i < ldns_rr_list_rr_count(nsecs); i++) {
			ldns_rr *n3 = ldns_rr_list_rr(nsecs, i);
			ldns_rdf *h = nsec3_hash(n3, next_closer, zone);
			if (h) {
				ok = ldns_nsec_covers_name(n3, h);
				ldns_rdf_deep_free(h);
			}
		}
	}
	if (!ok && (nsecs || nsigs))
		dns_setwhy(why, len, "wildcard answer without proof that the name does not exist");
	ldns_rdf_deep_free(next_closer);
	if (nsecs)
		ldns_rr_list_deep_free(nsecs);
	if (nsigs)
		ldns_rr_list_deep_free(nsigs);
	return ok;
}

/* classify - what the packet says: ANSWER (rrs set), CNAME (cname set), NODATA, NXDOMAIN */
enum pkind { PK_ANSWER, PK_CNAME, PK_NODATA, PK_NXDOMAIN };
static enum pkind classify(const ldns_pkt *p, const ldns_rdf *name, ldns_rr_type type,
			   ldns_rr_list **rrs, ldns_rr_list **sg)
{
	*rrs = NULL;
	*sg = NULL;
	if ((*rrs = dns_rrset(p, LDNS_SECTION_ANSWER, name, type)) != NULL) {
		*sg = dns_sigs(p, LDNS_SECTION_ANSWER, name, type);
		return PK_ANSWER;
	}
	if (type != LDNS_RR_TYPE_CNAME &&
	    (*rrs = dns_rrset(p, LDNS_SECTION_ANSWER, name, LDNS_RR_TYPE_CNAME)) != NULL) {
		*sg = dns_sigs(p, LDNS_SECTION_ANSWER, name, LDNS_RR_TYPE_CNAME);
		return PK_CNAME;
	}
	*sg = dns_sigs(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_SOA);
	if (*sg == NULL)
		*sg = dns_sigs(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC);
	if (*sg == NULL)
		*sg = dns_sigs(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3);
	return ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN ? PK_NXDOMAIN : PK_NODATA;
}

/* follow_cname - resolve the CNAME target and merge: the result is only as secure as the
 * weaker of the two */
static void follow_cname(struct walk *w, const ldns_rr_list *cname, enum dns_security sec,
			 ldns_rr_type type, uint32_t ttl, struct dns_answer *out)
{
	const ldns_rr *rr = cname ? ldns_rr_list_rr(cname, 0) : NULL;
	const ldns_rdf *target = rr && ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
	if (target == NULL || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME ||
	    ldns_rdf_size(target) == 0) {
		dns_answer_set(out, DNS_TEMPFAIL, DNS_SEC_INDETERMINATE, NULL, 0,
			       "CNAME record without a target");
		return;
	}
	if (w->depth >= MAX_CNAME_DEPTH) {
		dns_answer_set(out, DNS_TEMPFAIL, DNS_SEC_INDETERMINATE, NULL, 0,
			       "CNAME chain too long");
		return;
	}
	w->depth++;
	resolve(w, target, type, out);
	w->depth--;
	if (out->kind == DNS_TEMPFAIL)
		return;
	if (sec == DNS_SEC_BOGUS || out->sec == DNS_SEC_BOGUS)
		out->sec = DNS_SEC_BOGUS;
	else if (sec == DNS_SEC_INSECURE || out->sec == DNS_SEC_INSECURE)
		out->sec = DNS_SEC_INSECURE;
	else if (sec == DNS_SEC_INDETERMINATE)
		out->sec = DNS_SEC_INDETERMINATE;
	if (ttl < out->ttl)
		out->ttl = ttl;
}

/* resolve - the walk for one name (see dns.h) */
static void resolve(struct walk *w, const ldns_rdf *name, ldns_rr_type type,
		    struct dns_answer *out)
{
	const ldns_rdf *anchor;
	ldns_pkt *p = NULL;
	ldns_rr_list *rrs = NULL, *sg = NULL;
	struct trust t = { 0 };
	enum pkind pk;
	char why[160] = "";
	uint32_t ttl = MAX_TTL;

	if (dnscache_get(w->r->cache, name, type, w->now, out))
		return;
	if (!dns_send_query(w, name, type, &p, why, sizeof(why))) {
		dns_answer_set(out, DNS_TEMPFAIL, DNS_SEC_INDETERMINATE, NULL, 0, why);
		return;
	}
	pk = classify(p, name, type, &rrs, &sg);
	anchor = dns_closest_anchor(w->r, name);
	if (anchor == NULL) {
		/* no trust anchor covers the name: pass the data on, unvalidated */
		enum dns_kind k = pk == PK_NXDOMAIN ? DNS_NXDOMAIN : pk == PK_NODATA ? DNS_NODATA :
				  DNS_ANSWER;
		if (pk == PK_CNAME) {
			follow_cname(w, rrs, DNS_SEC_INDETERMINATE, type, dns_min_ttl(rrs, MAX_TTL), out);
			goto done;
		}
		dns_answer_set(out, k, DNS_SEC_INDETERMINATE, k == DNS_ANSWER ? rrs : NULL,
			       k == DNS_ANSWER ? dns_min_ttl(rrs, MAX_TTL) : dns_negative_ttl(p, 300),
			       "no trust anchor covers the name");
		if (k == DNS_ANSWER)
			rrs = NULL;
		goto done;
	}
	/* whose signature is it: walk to that zone (or towards the name if unsigned) */
	const ldns_rdf *s = signer(sg);
	if (s != NULL && !(dns_under_or_same(s, anchor) && dns_under_or_same(name, s)))
		s = NULL;	/* a signer outside the name's ancestry proves nothing */
	dns_walk_to(w, anchor, s ? s : name, &t);

	if (t.sec == DNS_SEC_INDETERMINATE) {
		dns_answer_set(out, DNS_TEMPFAIL, DNS_SEC_INDETERMINATE, NULL, 0, t.why);
		goto done;
	}
	if (t.sec == DNS_SEC_BOGUS) {
		dns_answer_set(out, pk == PK_NXDOMAIN ? DNS_NXDOMAIN : pk == PK_NODATA ? DNS_NODATA :
			       DNS_ANSWER, DNS_SEC_BOGUS, NULL, BOGUS_TTL, t.why);
		goto store;
	}
	if (t.nxdomain) {
		/* an ancestor of the name is proven not to exist */
		dns_answer_set(out, DNS_NXDOMAIN, DNS_SEC_SECURE, NULL, t.ttl, NULL);
		goto store;
	}
	if (t.sec == DNS_SEC_INSECURE) {
		if (pk == PK_CNAME) {
			follow_cname(w, rrs, DNS_SEC_INSECURE, type, dns_min_ttl(rrs, MAX_TTL), out);
			goto store;	/* the whole chain's result, for the shortest TTL on it */
		}
		enum dns_kind k = pk == PK_NXDOMAIN ? DNS_NXDOMAIN : pk == PK_NODATA ? DNS_NODATA :
				  DNS_ANSWER;
		dns_answer_set(out, k, DNS_SEC_INSECURE, k == DNS_ANSWER ? rrs : NULL,
			       k == DNS_ANSWER ? dns_min_ttl(rrs, MAX_TTL) : dns_negative_ttl(p, 300), t.why);
		if (k == DNS_ANSWER)
			rrs = NULL;
		goto store;
	}
	/* secure chain down to t.zone: the answer must be signed by exactly that zone */
	if (s == NULL || !dns_same_name(s, t.zone)) {
		char zn[256];
		dns_dname_str(t.zone, zn, sizeof(zn));
		dns_setwhy(why, sizeof(why), "unsigned answer inside signed zone %s", zn);
		dns_answer_set(out, pk == PK_NXDOMAIN ? DNS_NXDOMAIN : pk == PK_NODATA ? DNS_NODATA :
			       DNS_ANSWER, DNS_SEC_BOGUS, NULL, BOGUS_TTL, why);
		goto store;
	}
	if (pk == PK_ANSWER || pk == PK_CNAME) {
		const ldns_rr *used = NULL;
		if (!dns_verify_set(w, rrs, sg, t.zone, t.keys, &ttl, &used, why, sizeof(why)) ||
		    used == NULL) {
			dns_answer_set(out, DNS_ANSWER, DNS_SEC_BOGUS, NULL, BOGUS_TTL, why);
			goto store;
		}
		/* the labels count that says "wildcard expansion" is the verifying signature's */
		if (!dns_wildcard_proven(w, p, name, used, t.zone, t.keys, why, sizeof(why))) {
			dns_answer_set(out, DNS_ANSWER, DNS_SEC_BOGUS, NULL, BOGUS_TTL, why[0] ? why :
				       "wildcard answer without proof that the name does not exist");
			goto store;
		}
		uint32_t mt = dns_min_ttl(rrs, ttl);
		if (pk == PK_CNAME) {
			follow_cname(w, rrs, DNS_SEC_SECURE, type, mt < ttl ? mt : ttl, out);
			goto store;
		}
		dns_answer_set(out, DNS_ANSWER, DNS_SEC_SECURE, rrs, mt < ttl ? mt : ttl, NULL);
		rrs = NULL;
		goto store;
	}
	/* NODATA / NXDOMAIN: the denial must be proven by the zone's NSEC or NSEC3 records */
	switch (dns_prove_denial(w, p, name, type, t.zone, t.keys, &ttl, why, sizeof(why))) {
	case DENY_FAIL:
		dns_answer_set(out, pk == PK_NXDOMAIN ? DNS_NXDOMAIN : DNS_NODATA, DNS_SEC_BOGUS, NULL,
			       BOGUS_TTL, why);
		break;
	case DENY_NXDOMAIN:
		dns_answer_set(out, DNS_NXDOMAIN, DNS_SEC_SECURE, NULL, ttl, NULL);
		break;
	case DENY_NODATA:
	case DENY_INSECURE_CUT:
		dns_answer_set(out, DNS_NODATA, DNS_SEC_SECURE, NULL, ttl, NULL);
		break;
	}
store:
	/* a failure is never remembered: the next lookup asks again */
	if (out->kind != DNS_TEMPFAIL)
		dnscache_put(w->r->cache, name, type, out, w->now + (out->ttl ? out->ttl : 1));
done:
	dns_trust_clear(&t);
	if (rrs)
		ldns_rr_list_deep_free(rrs);
	if (sg)
		ldns_rr_list_deep_free(sg);
	ldns_pkt_free(p);
}

/* dns_lookup - public entry */
void dns_lookup(struct dns_resolver *r, const char *name, ldns_rr_type type,
		struct dns_answer *out)
{
	struct walk w = { .r = r };
	ldns_rdf *dn;

	memset(out, 0, sizeof(*out));
	w.now = r->cfg.clock ? r->cfg.clock() : time(NULL);
	if (ldns_str2rdf_dname(&dn, name) != LDNS_STATUS_OK) {
		dns_answer_set(out, DNS_NXDOMAIN, DNS_SEC_INDETERMINATE, NULL, 0, "not a domain name");
		out->kind = DNS_TEMPFAIL;
		snprintf(out->why, sizeof(out->why), "\"%.60s\" is not a domain name", name);
		return;
	}
	ldns_dname2canonical(dn);
	resolve(&w, dn, type, out);
	ldns_rdf_deep_free(dn);
}
