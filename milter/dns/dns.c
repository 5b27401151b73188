/*
 * milter/dns/dns.c - DNSSEC-validating stub resolver: the public API (server lists, the
 * resolver's life cycle and counters, dns_lookup) and the lookup itself.
 * Contract, statuses and the walk: see dns.h; the parts it is made of: dns-int.h.  Everything
 * here is postward's own logic on ldns primitives (packet parsing, RRSIG verification,
 * NSEC/NSEC3 denial helpers).
 */
#include "build-config.h"
#include "dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns-int.h"
#include "dnscache.h"

#define MAX_CNAME_DEPTH 8

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

/* ---- the lookup ----------------------------------------------------------------------- */

static void resolve(struct walk *w, const ldns_rdf *name, ldns_rr_type type,
		    struct dns_answer *out);

/* signer - the signer named by the first RRSIG of a list (borrowed), or NULL */
static const ldns_rdf *signer(const ldns_rr_list *sg)
{
	return sg && ldns_rr_list_rr_count(sg) ? ldns_rr_rrsig_signame(ldns_rr_list_rr(sg, 0)) :
						 NULL;
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
