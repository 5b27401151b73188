/*
 * milter/requiretls/rcptcheck.c - DANE and MTA-STS lookups for REQUIRETLS at RCPT.
 * Contract: see rcptcheck.h.
 */
#include "rcptcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "https.h"
#include "mtasts.h"
#include "stscache.h"
#include "stsfetch.h"

struct mxhost {
	char name[MTASTS_MAX_NAME + 2];	/* lower case, no trailing dot */
	unsigned pref;
};

struct mxset {
	enum rtlsrcpt_path dane;	/* of the MX lookup itself: OK (secure), NO, TEMP, BOGUS */
	bool found;			/* hosts[] holds the MX hosts (or the implicit one) */
	bool null_mx;
	size_t n;
	struct mxhost hosts[RCPTCHECK_MAX_MX];
	size_t n_more;			/* hosts left out past RCPTCHECK_MAX_MX */
};

/* lower_name - RDF as a lower-case name without its trailing dot into OUT; false if it does
 * not fit or is not a name */
static bool lower_name(const ldns_rdf *rdf, char *out, size_t len)
{
	char *s;
	size_t n;

	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME ||
	    (s = ldns_rdf2str(rdf)) == NULL)
		return false;
	n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n >= len) {
		free(s);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[n] = '\0';
	free(s);
	return true;
}

/* add_host - insert NAME with preference PREF in preference order */
static void add_host(struct mxset *mx, const char *name, unsigned pref)
{
	size_t i;

	for (i = 0; i < mx->n; i++)
		if (strcmp(mx->hosts[i].name, name) == 0)
			return;
	if (mx->n == RCPTCHECK_MAX_MX) {
		mx->n_more++;
		return;
	}
	for (i = mx->n; i > 0 && mx->hosts[i - 1].pref > pref; i--)
		mx->hosts[i] = mx->hosts[i - 1];
	snprintf(mx->hosts[i].name, sizeof(mx->hosts[i].name), "%s", name);
	mx->hosts[i].pref = pref;
	mx->n++;
}

/* lookup_mx - the MX RRset of DOMAIN into *MX, the why into WHY */
static void lookup_mx(struct dns_resolver *dns, const char *domain, struct mxset *mx,
		      char *why, size_t whylen)
{
	struct dns_answer a;

	memset(mx, 0, sizeof(*mx));
	dns_lookup(dns, domain, LDNS_RR_TYPE_MX, &a);
	if (a.kind == DNS_TEMPFAIL) {
		mx->dane = RTLSRCPT_TEMP;
		snprintf(why, whylen, "MX lookup failed: %s", a.why);
	} else if (a.sec == DNS_SEC_BOGUS) {
		mx->dane = RTLSRCPT_BOGUS;
		snprintf(why, whylen, "MX %s bogus: %s", dns_kind_name(a.kind), a.why);
	} else if (a.kind == DNS_NXDOMAIN) {
		mx->dane = RTLSRCPT_NO;
		snprintf(why, whylen, "the domain does not exist");
	} else {
		mx->found = true;
		if (a.kind == DNS_NODATA) {
			add_host(mx, domain, 0);	/* the implicit MX */
		} else {
			for (size_t i = 0; a.rrs != NULL && i < ldns_rr_list_rr_count(a.rrs); i++) {
				const ldns_rr *rr = ldns_rr_list_rr(a.rrs, i);
				const ldns_rdf *p;
				char name[MTASTS_MAX_NAME + 2];

				if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_MX || ldns_rr_rd_count(rr) < 2)
					continue;
				p = ldns_rr_rdf(rr, 0);
				if (p == NULL || ldns_rdf_size(p) != 2 ||
				    !lower_name(ldns_rr_rdf(rr, 1), name, sizeof(name)))
					continue;
				if (name[0] == '\0') {
					mx->null_mx = true;
					continue;
				}
				add_host(mx, name, ldns_rdf2native_int16(p));
			}
		}
		if (mx->null_mx || mx->n == 0) {
			mx->found = false;
			mx->dane = RTLSRCPT_NO;
			snprintf(why, whylen, mx->null_mx ? "a null MX: the domain accepts no mail" :
				 "no usable MX record");
		} else if (a.sec == DNS_SEC_SECURE) {
			mx->dane = RTLSRCPT_OK;
			snprintf(why, whylen, "%s MX RRset secure", a.kind == DNS_NODATA ?
				 "no MX (implicit MX), the denial" : "the");
		} else {
			mx->dane = RTLSRCPT_NO;
			snprintf(why, whylen, "%s %s", a.kind == DNS_NODATA ?
				 "no MX record, the denial" : "MX RRset",
				 a.sec == DNS_SEC_INSECURE ? "not DNSSEC-signed (insecure)" :
				 "not validated (no trust anchor)");
		}
	}
	dns_answer_clear(&a);
}

/* host_addresses - RFC 7672 2.2.2 for HOST: OK when its addresses are all secure, NO when
 * one is insecure or there is none, TEMP or BOGUS */
static enum rtlsrcpt_path host_addresses(struct dns_resolver *dns, const char *host, char *why,
					 size_t whylen)
{
	static const ldns_rr_type types[2] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	enum rtlsrcpt_path r = RTLSRCPT_OK;
	bool any = false;

	for (int t = 0; t < 2 && r == RTLSRCPT_OK; t++) {
		struct dns_answer a;
		const char *tn = t == 0 ? "A" : "AAAA";

		dns_lookup(dns, host, types[t], &a);
		if (a.kind == DNS_TEMPFAIL) {
			r = RTLSRCPT_TEMP;
			snprintf(why, whylen, "%s: %s lookup failed: %s", host, tn, a.why);
		} else if (a.sec == DNS_SEC_BOGUS) {
			r = RTLSRCPT_BOGUS;
			snprintf(why, whylen, "%s: %s bogus: %s", host, tn, a.why);
		} else if (a.kind == DNS_ANSWER && a.sec != DNS_SEC_SECURE) {
			r = RTLSRCPT_NO;
			snprintf(why, whylen, "%s: %s RRset not DNSSEC-signed, so no TLSA lookup",
				 host, tn);
		} else if (a.kind == DNS_ANSWER) {
			any = true;
		}
		dns_answer_clear(&a);
	}
	if (r == RTLSRCPT_OK && !any) {
		r = RTLSRCPT_NO;
		snprintf(why, whylen, "%s: no address", host);
	}
	return r;
}

/* usable_tlsa - RFC 7672 3.1: DANE-TA(2)/DANE-EE(3), selector 0/1, matching type 0/1/2 with
 * data of its length; the record's text into DESC */
static bool usable_tlsa(const ldns_rr *rr, char *desc, size_t len)
{
	const ldns_rdf *u, *s, *m, *d;
	unsigned usage, sel, mt;
	size_t dl;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA || ldns_rr_rd_count(rr) < 4)
		return false;
	u = ldns_rr_rdf(rr, 0);
	s = ldns_rr_rdf(rr, 1);
	m = ldns_rr_rdf(rr, 2);
	d = ldns_rr_rdf(rr, 3);
	if (u == NULL || s == NULL || m == NULL || d == NULL || ldns_rdf_size(u) != 1 ||
	    ldns_rdf_size(s) != 1 || ldns_rdf_size(m) != 1)
		return false;
	usage = ldns_rdf_data(u)[0];
	sel = ldns_rdf_data(s)[0];
	mt = ldns_rdf_data(m)[0];
	dl = ldns_rdf_size(d);
	snprintf(desc, len, "TLSA %u %u %u", usage, sel, mt);
	return (usage == 2 || usage == 3) && sel <= 1 &&
	       ((mt == 0 && dl > 0) || (mt == 1 && dl == 32) || (mt == 2 && dl == 64));
}

/* host_tlsa - the TLSA RRset of HOST: OK with a usable record, NO, TEMP or BOGUS */
static enum rtlsrcpt_path host_tlsa(struct dns_resolver *dns, const char *host, char *why,
				    size_t whylen)
{
	char name[MTASTS_MAX_NAME + 16], desc[32] = "";
	struct dns_answer a;
	enum rtlsrcpt_path r;
	size_t usable = 0, n = 0;

	snprintf(name, sizeof(name), "_25._tcp.%s", host);
	dns_lookup(dns, name, LDNS_RR_TYPE_TLSA, &a);
	if (a.kind == DNS_TEMPFAIL) {
		r = RTLSRCPT_TEMP;
		snprintf(why, whylen, "%s: TLSA lookup failed: %s", host, a.why);
	} else if (a.sec == DNS_SEC_BOGUS) {
		r = RTLSRCPT_BOGUS;
		snprintf(why, whylen, "%s: TLSA bogus: %s", host, a.why);
	} else if (a.kind != DNS_ANSWER) {
		r = RTLSRCPT_NO;
		snprintf(why, whylen, "%s: no TLSA records", host);
	} else if (a.sec != DNS_SEC_SECURE) {
		r = RTLSRCPT_NO;
		snprintf(why, whylen, "%s: TLSA RRset not DNSSEC-signed", host);
	} else {
		char first[32] = "";
		for (size_t i = 0; a.rrs != NULL && i < ldns_rr_list_rr_count(a.rrs); i++) {
			n++;
			if (usable_tlsa(ldns_rr_list_rr(a.rrs, i), desc, sizeof(desc)) &&
			    usable++ == 0)
				snprintf(first, sizeof(first), "%s", desc);
		}
		if (usable > 0) {
			r = RTLSRCPT_OK;
			snprintf(why, whylen, "%s: %s usable (%zu of %zu TLSA records), DNSSEC "
				 "secure", host, first, usable, n);
		} else {
			r = RTLSRCPT_NO;
			snprintf(why, whylen, "%s: none of its %zu TLSA records is usable for SMTP "
				 "(DANE-TA or DANE-EE with a known selector and matching type)", host,
				 n);
		}
	}
	dns_answer_clear(&a);
	return r;
}

/* check_dane - the DANE path, given the MX set */
static void check_dane(struct dns_resolver *dns, const struct mxset *mx,
		       struct rtlsrcpt_facts *f)
{
	enum rtlsrcpt_path worst = RTLSRCPT_NO;
	char first[256] = "", w[256];

	if (mx->dane != RTLSRCPT_OK) {
		f->dane = mx->dane;
		return;		/* dane_why holds the MX lookup's reason */
	}
	for (size_t i = 0; i < mx->n; i++) {
		enum rtlsrcpt_path p = host_addresses(dns, mx->hosts[i].name, w, sizeof(w));
		if (p == RTLSRCPT_OK)
			p = host_tlsa(dns, mx->hosts[i].name, w, sizeof(w));
		if (p == RTLSRCPT_OK) {
			f->dane = RTLSRCPT_OK;
			snprintf(f->dane_why, sizeof(f->dane_why), "%s", w);
			return;
		}
		/* the reason reported: the first bogus, else the first temp, else the first */
		if (first[0] == '\0' || (p == RTLSRCPT_BOGUS && worst != RTLSRCPT_BOGUS) ||
		    (p == RTLSRCPT_TEMP && worst == RTLSRCPT_NO))
			snprintf(first, sizeof(first), "%s", w);
		if (p == RTLSRCPT_BOGUS || (p == RTLSRCPT_TEMP && worst == RTLSRCPT_NO))
			worst = p;
	}
	f->dane = worst;
	if (mx->n_more > 0)
		snprintf(w, sizeof(w), " (no other of the first %d MX hosts has usable TLSA; %zu "
			 "more not looked at)", RCPTCHECK_MAX_MX, mx->n_more);
	else
		snprintf(w, sizeof(w), "%s", mx->n > 1 ? " (and no other MX host has usable TLSA)" :
			 "");
	snprintf(f->dane_why, sizeof(f->dane_why), "%.150s%.100s", first, w);
}

/* txt_id - the _mta-sts TXT record of DOMAIN: 1 with its id, 0 none (WHY), -1 lookup failed
 * or bogus (WHY) */
static int txt_id(struct dns_resolver *dns, const char *domain, char *id, char *why,
		  size_t whylen)
{
	char name[MTASTS_MAX_NAME + 16];
	struct dns_answer a;
	size_t n_sts = 0;
	int r = 0;

	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	dns_lookup(dns, name, LDNS_RR_TYPE_TXT, &a);
	if (a.kind == DNS_TEMPFAIL || a.sec == DNS_SEC_BOGUS) {
		snprintf(why, whylen, "_mta-sts TXT lookup %s: %s", a.kind == DNS_TEMPFAIL ?
			 "failed" : "bogus", a.why);
		dns_answer_clear(&a);
		return -1;
	}
	snprintf(why, whylen, "no _mta-sts TXT record");
	for (size_t i = 0; a.kind == DNS_ANSWER && a.rrs != NULL &&
	     i < ldns_rr_list_rr_count(a.rrs); i++) {
		char *t = dns_txt_join(&a, i), w[128];
		struct mtasts_txt txt;
		enum mtasts_txt_status s;

		if (t == NULL)
			continue;
		s = mtasts_parse_txt(t, strlen(t), &txt, w, sizeof(w));
		free(t);
		if (s == MTASTS_TXT_OTHER)
			continue;
		if (++n_sts > 1) {
			snprintf(why, whylen, "more than one _mta-sts TXT record");
			r = 0;
		} else if (s == MTASTS_TXT_INVALID) {
			snprintf(why, whylen, "invalid _mta-sts TXT record: %s", w);
		} else {
			memcpy(id, txt.id, sizeof(txt.id));
			r = 1;
		}
	}
	dns_answer_clear(&a);
	return r;
}

/* apply_policy - an MTA-STS policy against the MX hosts */
static void apply_policy(const struct mtasts_policy *pol, const char *id, const char *whence,
			 const struct mxset *mx, struct rtlsrcpt_facts *f)
{
	if (pol->mode != MTASTS_MODE_ENFORCE) {
		f->sts = RTLSRCPT_NO;
		snprintf(f->sts_why, sizeof(f->sts_why), "policy id %s (%s) in mode %s", id, whence,
			 mtasts_mode_name(pol->mode));
		return;
	}
	for (size_t i = 0; i < mx->n; i++) {
		const char *pat = mtasts_policy_match(pol, mx->hosts[i].name);
		if (pat != NULL) {
			f->sts = RTLSRCPT_OK;
			snprintf(f->sts_why, sizeof(f->sts_why), "policy id %s (%s) mode enforce, "
				 "MX %.80s matches mx %.80s", id, whence, mx->hosts[i].name, pat);
			return;
		}
	}
	f->sts = RTLSRCPT_NO;
	snprintf(f->sts_why, sizeof(f->sts_why), "policy id %s (%s) mode enforce, but no MX "
		 "host matches its mx patterns (first MX %.80s, first pattern %.80s)", id, whence,
		 mx->hosts[0].name, pol->n_mx > 0 ? pol->mx[0] : "-");
}

/* check_sts - the MTA-STS path */
static void check_sts(struct dns_resolver *dns, const struct pw_config *cfg, const char *domain,
		      time_t now, const struct mxset *mx, struct rtlsrcpt_facts *f)
{
	char id[MTASTS_MAX_ID + 1] = "", cid[MTASTS_MAX_ID + 1] = "", why[256];
	struct mtasts_policy cached, pol;
	time_t expires;
	bool have_cached;
	int t;

	if (!mx->found) {
		f->sts = RTLSRCPT_NO;
		snprintf(f->sts_why, sizeof(f->sts_why), "%s", mx->null_mx ? "a null MX" :
			 "no MX host to match a policy against");
		return;
	}
	have_cached = stscache_get(domain, now, &cached, cid, &expires);
	t = txt_id(dns, domain, id, why, sizeof(why));
	if (have_cached && (t != 1 || strcmp(id, cid) == 0)) {
		/* the same id, or no usable TXT now: the cached policy stands (RFC 8461 5.1) */
		apply_policy(&cached, cid, "cached", mx, f);
		return;
	}
	if (t != 1) {
		f->sts = t == 0 ? RTLSRCPT_NO : RTLSRCPT_TEMP;
		snprintf(f->sts_why, sizeof(f->sts_why), "%s", why);
		return;
	}
	if (!have_cached) {	/* the same id failed moments ago: not again (stscache.h) */
		bool notfound;
		time_t when;

		if (stscache_fail_get(domain, id, now, &notfound, why, sizeof(why), &when)) {
			f->sts = notfound ? RTLSRCPT_NO : RTLSRCPT_TEMP;
			snprintf(f->sts_why, sizeof(f->sts_why), "%.200s (a fetch %lds ago; "
				 "not tried again yet)", why, (long)(now - when));
			return;
		}
	}
	{
		struct https_request sc;

		memset(&sc, 0, sizeof(sc));
		sc.ca_file = cfg->requiretls_mta_sts_ca_file;
		sc.connect_to = (const char *const *)cfg->requiretls_mta_sts_connect_to;
		sc.n_connect_to = cfg->n_requiretls_mta_sts_connect_to;
		sc.timeout = cfg->requiretls_mta_sts_timeout;
		char *body = NULL, w[200];
		size_t len = 0;
		enum stsfetch_result r = stsfetch_get(&sc, domain, &body, &len, why, sizeof(why));

		if (r != STSFETCH_OK) {
			if (have_cached) {	/* a new id but the fetch failed: keep the old one */
				apply_policy(&cached, cid, "cached, refresh failed", mx, f);
				return;
			}
			f->sts = r == STSFETCH_NOTFOUND ? RTLSRCPT_NO : RTLSRCPT_TEMP;
			snprintf(f->sts_why, sizeof(f->sts_why), "TXT id %s, but %.200s", id, why);
			stscache_fail_put(domain, id, r == STSFETCH_NOTFOUND, f->sts_why, now);
			return;
		}
		bool ok = mtasts_parse_policy(body, len, &pol, w, sizeof(w));
		free(body);
		if (!ok) {
			if (have_cached) {
				apply_policy(&cached, cid, "cached, new policy invalid", mx, f);
				return;
			}
			f->sts = RTLSRCPT_NO;
			snprintf(f->sts_why, sizeof(f->sts_why), "TXT id %s, but the policy is "
				 "invalid: %s", id, w);
			stscache_fail_put(domain, id, true, f->sts_why, now);
			return;
		}
	}
	stscache_put(domain, id, &pol, now, cfg->requiretls_mta_sts_cache_size);
	apply_policy(&pol, id, "fetched", mx, f);
}

/* rcptcheck_domain - both paths for DOMAIN */
void rcptcheck_domain(struct dns_resolver *dns, const struct pw_config *cfg,
		      const char *domain, time_t now, struct rtlsrcpt_facts *f)
{
	struct mxset mx;

	memset(f, 0, sizeof(*f));
	f->domain = domain;
	lookup_mx(dns, domain, &mx, f->dane_why, sizeof(f->dane_why));
	if (mx.dane == RTLSRCPT_TEMP) {	/* nothing else can be known now */
		f->dane = RTLSRCPT_TEMP;
		f->sts = RTLSRCPT_TEMP;
		snprintf(f->sts_why, sizeof(f->sts_why), "not checked: the MX lookup failed");
		return;
	}
	check_dane(dns, &mx, f);
	if (f->dane == RTLSRCPT_OK || f->dane == RTLSRCPT_BOGUS) {
		snprintf(f->sts_why, sizeof(f->sts_why), "not checked");
		return;
	}
	check_sts(dns, cfg, domain, now, &mx, f);
}
