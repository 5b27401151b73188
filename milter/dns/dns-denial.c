/*
 * milter/dns/dns-denial.c - authenticated denial of existence: NODATA, NXDOMAIN and a missing
 * DS (insecure delegation) proven with the zone's verified NSEC records (RFC 4035 5.4) or
 * NSEC3 records (RFC 5155 section 8: matching record, closest encloser, next closer, wildcard,
 * opt-out), the proof a wildcard expansion needs (RFC 4035 5.3.4), and the negative TTL
 * (RFC 2308).  Contract: see dns.h and dns-int.h.
 */
#include "build-config.h"
#include "dns-int.h"

#include <stdio.h>

/* dns_negative_ttl - RFC 2308: min(SOA TTL, SOA MINIMUM) from the authority section */
uint32_t dns_negative_ttl(const ldns_pkt *p, uint32_t def)
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
enum denial dns_prove_denial(const struct walk *w, const ldns_pkt *p, const ldns_rdf *name,
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

/* dns_wildcard_proven - a positive answer expanded from a wildcard also needs the proof that
 * NAME itself does not exist (RFC 4035 5.3.4) */
bool dns_wildcard_proven(const struct walk *w, const ldns_pkt *p, const ldns_rdf *name,
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
