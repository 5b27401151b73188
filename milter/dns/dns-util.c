/*
 * milter/dns/dns-util.c - helpers every part of the resolver uses: reasons and names for
 * messages, name comparison, record-field checks (every field a record's type needs, present
 * and of its size, before any code reads it), RRsets and RRSIGs out of a packet, the smallest
 * TTL, filling an answer.  Contract: see dns-int.h.
 */
#include "build-config.h"
#include "dns-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- small helpers -------------------------------------------------------------------- */

/* dns_setwhy - format a reason */
void dns_setwhy(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* dns_dname_str - presentation form of a name for messages (static per thread use; small) */
void dns_dname_str(const ldns_rdf *d, char *buf, size_t len)
{
	char *s = d ? ldns_rdf2str(d) : NULL;
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

/* dns_same_name - case-insensitive dname equality */
bool dns_same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return a != NULL && b != NULL && ldns_dname_compare(a, b) == 0;
}

/* dns_under_or_same - is SUB equal to PARENT or below it */
bool dns_under_or_same(const ldns_rdf *sub, const ldns_rdf *parent)
{
	return dns_same_name(sub, parent) || ldns_dname_is_subdomain(sub, parent);
}

/* dns_rdf_uint - the value of the SIZE-octet (1, 2 or 4) integer field F into *V; false if F is
 * absent or of another size (short rdata makes ldns hand out NULL fields) */
bool dns_rdf_uint(const ldns_rdf *f, size_t size, uint32_t *v)
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
bool dns_rr_wellformed(const ldns_rr *rr, char *why, size_t len)
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
bool dns_pkt_wellformed(const ldns_pkt *p, char *why, size_t len)
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
ldns_rr_list *dns_rrset(const ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *name,
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
ldns_rr_list *dns_sigs(const ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *name,
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
uint32_t dns_min_ttl(const ldns_rr_list *l, uint32_t def)
{
	uint32_t t = def;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(l, i)) < t)
			t = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	return t;
}

/* dns_answer_set - fill *a */
void dns_answer_set(struct dns_answer *a, enum dns_kind kind, enum dns_security sec,
		    ldns_rr_list *rrs, uint32_t ttl, const char *why)
{
	dns_answer_clear(a);
	a->kind = kind;
	a->sec = sec;
	a->rrs = rrs;
	a->ttl = ttl > MAX_TTL ? MAX_TTL : ttl;
	snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
}
