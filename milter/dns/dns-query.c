/*
 * milter/dns/dns-query.c - asking: one query to a server with ldns's UDP sender (TCP on
 * truncation) or through the configured transport, the servers in turn, the checks of every
 * answer (ID, question, well-formed records, rcode), the query budget of a lookup, and
 * identical questions of concurrent lookups sent once.  The only part of the resolver that
 * touches the network.  Contract: see dns.h (transport, budget, threads) and dns-int.h.
 */
#include "build-config.h"
#include "dns-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
bool dns_send_query(struct walk *w, const ldns_rdf *name, ldns_rr_type type, ldns_pkt **out,
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
