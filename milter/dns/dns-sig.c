/*
 * milter/dns/dns-sig.c - RRSIG verification: an RRset signed by a zone with one of its keys
 * (and for how long that signature lets it be kept), and the NSEC/NSEC3 records of a denial,
 * each verified as its own RRset.  Contract: see dns-int.h.
 */
#include "build-config.h"
#include "dns-int.h"

/* ---- signatures ----------------------------------------------------------------------- */

/* dns_verify_set - is RRSET signed by ZONE with one of KEYS; *ttl_bound gets min(the signature's
 * remaining validity, its original TTL) and *used (if not NULL) the signature that verified
 * (borrowed from SG): every fact a proof takes from a signature (the labels count of a
 * wildcard expansion) must come from that one, never from another RRSIG beside it */
bool dns_verify_set(const struct walk *w, const ldns_rr_list *set, const ldns_rr_list *sg,
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
bool dns_verify_denial_sets(const struct walk *w, const ldns_pkt *p, const ldns_rdf *zone,
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
