/*
 * milter/dns/dns-chain.c - the chain of trust: the trust anchors (DS or DNSKEY records in
 * zone-file syntax), a zone's DNSKEY RRset trusted because a key matches a DS or an anchor
 * and signs the set, and the walk from the closest anchor down, label by label, with DS
 * queries, to the zone that signed an answer (or to a proven DS-less delegation).  DNSKEY
 * and DS verdicts are cached (dnscache.h).  Contract: see dns.h (the walk) and dns-int.h.
 */
#include "build-config.h"
#include "dns-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscache.h"

/* ---- the chain of trust --------------------------------------------------------------- */

/* dns_load_anchors - DS / DNSKEY records in zone-file syntax from the file PATH or, if PATH is
 * NULL, from the string TEXT */
ldns_rr_list *dns_load_anchors(const char *path, const char *text, char *why, size_t len)
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

/* dns_closest_anchor - the deepest anchor owner at or above NAME (borrowed), or NULL */
const ldns_rdf *dns_closest_anchor(const struct dns_resolver *r, const ldns_rdf *name)
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
void dns_trust_clear(struct trust *t)
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
void dns_walk_to(struct walk *w, const ldns_rdf *anchor, const ldns_rdf *target,
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
