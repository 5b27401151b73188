/*
 * policy/senderpolicy.c - ADSP and DMARC results for one message and the local action.
 * Contract: see senderpolicy.h.  Pure C: DNS through the caller's lookup function.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "senderpolicy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ADSP_PREFIX "_adsp._domainkey."
#define DMARC_PREFIX "_dmarc."

static const char *const adsp_names[] = { "none", "pass", "unknown", "fail", "discard",
					  "nxdomain", "temperror", "permerror" };
static const char *const dmarc_names[] = { "none", "pass", "fail", "temperror", "permerror" };
static const char *const action_names[] = { "accept", "add_header", "quarantine", "reject",
					    "tempfail" };

/* pw_adsp_result_name - the A-R word */
const char *pw_adsp_result_name(enum pw_adsp_result r)
{
	return (unsigned)r < sizeof(adsp_names) / sizeof(adsp_names[0]) ? adsp_names[r] : "?";
}

/* pw_dmarc_result_name - the A-R word */
const char *pw_dmarc_result_name(enum pw_dmarc_result r)
{
	return (unsigned)r < sizeof(dmarc_names) / sizeof(dmarc_names[0]) ? dmarc_names[r] : "?";
}

/* pw_sp_dnssec_name - for comments and logs */
const char *pw_sp_dnssec_name(enum pw_sp_dnssec s)
{
	return s == PW_SP_SECURE ? "secure" : s == PW_SP_INSECURE ? "insecure" : "no lookup";
}

/* pw_sp_action_name - the policy-file word */
const char *pw_sp_action_name(enum pw_sp_action a)
{
	return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : "?";
}

/* same_domain - names equal without regard to ASCII case or one trailing dot */
static bool same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* note_sec - fold one answer's DNSSEC status into a method's */
static void note_sec(enum pw_sp_dnssec *sec, bool secure)
{
	if (!secure)
		*sec = PW_SP_INSECURE;
	else if (*sec == PW_SP_NOLOOKUP)
		*sec = PW_SP_SECURE;
}

/* ask - one lookup, counted */
static void ask(const struct pw_sp_input *in, struct pw_sp_result *out, const char *name,
		bool txt, struct pw_sp_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = PW_SP_DNS_ERROR;
	a->why = "no answer";
	out->lookups++;
	in->lookup(in->lookup_arg, name, txt, a);
}

/* prefixed - PREFIX + DOMAIN into BUF; false if the name would be too long for the DNS */
static bool prefixed(char *buf, size_t len, const char *prefix, const char *domain)
{
	int k = snprintf(buf, len, "%s%s", prefix, domain);
	return k > 0 && (size_t)k < len && (size_t)k <= PW_DOMAIN_MAX;
}

/* eval_adsp - RFC 5617 4.3 for the author domain (no first-party signature; FIRST_TEMP: an
 * author-domain signature ended in temperror, so a pass was possible) */
static void eval_adsp(const struct pw_sp_input *in, struct pw_sp_result *out, bool first_temp)
{
	struct pw_sp_answer a;
	char name[PW_DOMAIN_MAX + 32];
	const char *from = out->from_domain;

	ask(in, out, from, false, &a);
	note_sec(&out->adsp_sec, a.kind != PW_SP_DNS_ERROR && a.secure);
	if (a.kind == PW_SP_DNS_ERROR) {
		out->adsp = PW_ADSP_R_TEMPERROR;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "author domain lookup: %s", a.why);
		return;
	}
	if (a.kind == PW_SP_DNS_NXDOMAIN) {
		out->adsp = PW_ADSP_R_NXDOMAIN;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "author domain does not exist");
		return;
	}
	if (!prefixed(name, sizeof(name), ADSP_PREFIX, from)) {
		out->adsp = PW_ADSP_R_NONE;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "no record (name too long)");
		return;
	}
	ask(in, out, name, true, &a);
	note_sec(&out->adsp_sec, a.kind != PW_SP_DNS_ERROR && a.secure);
	switch (a.kind) {
	case PW_SP_DNS_ERROR:
		out->adsp = PW_ADSP_R_TEMPERROR;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "record lookup: %s", a.why);
		return;
	case PW_SP_DNS_NODATA:
	case PW_SP_DNS_NXDOMAIN:
		out->adsp = PW_ADSP_R_NONE;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "no record");
		return;
	case PW_SP_DNS_RECORDS:
		break;
	}
	if (a.n_txt != 1) {
		out->adsp = PW_ADSP_R_NONE;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "%zu records, none used", a.n_txt);
		return;
	}
	switch (pw_adsp_parse(a.txt[0])) {
	case PW_ADSP_INVALID:
		out->adsp = PW_ADSP_R_NONE;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "invalid record ignored");
		return;
	case PW_ADSP_UNKNOWN:
		out->adsp = PW_ADSP_R_UNKNOWN;
		break;
	case PW_ADSP_ALL:
		out->adsp = PW_ADSP_R_FAIL;
		break;
	case PW_ADSP_DISCARDABLE:
		out->adsp = PW_ADSP_R_DISCARD;
		break;
	}
	/* a pass would have replaced fail and discard: not known yet.  unknown stays: a pass
	 * would change nothing a receiver does with it (RFC 5617 5.4) */
	if (first_temp && out->adsp != PW_ADSP_R_UNKNOWN) {
		snprintf(out->adsp_why, sizeof(out->adsp_why), "dkim=%s record, author-domain "
			 "signature temperror", pw_adsp_name(pw_adsp_parse(a.txt[0])));
		out->adsp = PW_ADSP_R_TEMPERROR;
		return;
	}
	snprintf(out->adsp_why, sizeof(out->adsp_why), "dkim=%s", pw_adsp_name(pw_adsp_parse(a.txt[0])));
}

/* ---- DMARC: the DNS Tree Walk (RFC 9989 4.10) ------------------------------------------ */

/* label_count - labels of DOMAIN (no trailing dot) */
static size_t label_count(const char *domain)
{
	size_t n = *domain ? 1 : 0;
	for (const char *c = domain; *c; c++)
		n += *c == '.';
	return n;
}

/* last_labels - the suffix of DOMAIN made of its last K labels (K <= its label count) */
static const char *last_labels(const char *domain, size_t k)
{
	size_t n = label_count(domain);
	const char *c = domain;
	while (n > k && c != NULL) {
		c = strchr(c, '.');
		if (c != NULL)
			c++;
		n--;
	}
	return c != NULL ? c : domain;
}

/* under - DOMAIN is ANCESTOR or a name below it */
static bool under(const char *domain, const char *ancestor)
{
	size_t ld = strlen(domain), la = strlen(ancestor);
	if (ld == la)
		return strcasecmp(domain, ancestor) == 0;
	return la > 0 && ld > la && domain[ld - la - 1] == '.' &&
	       strcasecmp(domain + ld - la, ancestor) == 0;
}

/* pw_dmarc_walk_targets - the names a walk from DOMAIN queries, in order */
size_t pw_dmarc_walk_targets(const char *domain, const char **out, size_t max)
{
	size_t n = 0, x = label_count(domain);
	if (x == 0)
		return 0;
	if (n < max)
		out[n++] = domain;
	for (size_t k = x >= PW_DMARC_WALK_MAX ? PW_DMARC_WALK_MAX - 1 : x - 1; k >= 1 && n < max;
	     k--)
		out[n++] = last_labels(domain, k);
	return n;
}

/* one memorised _dmarc.NAME question of an evaluation */
enum walk_kind { W_ERROR, W_NONE, W_RECORD };
struct walk_entry {
	char name[PW_DOMAIN_MAX + 1];
	enum walk_kind kind;
	size_t n_dmarc;			/* DMARC records at the name (several: none used) */
	struct pw_dmarc_record rec;	/* W_RECORD: valid, or no_policy */
	char why[160];			/* W_ERROR: the lookup's reason; W_NONE: what was seen */
};

struct walk_ctx {
	const struct pw_sp_input *in;
	struct pw_sp_result *out;
	struct walk_entry e[PW_SP_WALK_NAMES];
	size_t n;
	struct walk_entry spent;	/* answered once the memo is full */
};

/* dmarc_at - the DMARC record question for DOMAIN, asked once per evaluation */
static const struct walk_entry *dmarc_at(struct walk_ctx *w, const char *domain)
{
	struct pw_sp_answer a;
	char name[PW_DOMAIN_MAX + 32];
	struct walk_entry *e;
	size_t idx = 0;

	for (size_t i = 0; i < w->n; i++)
		if (strcasecmp(w->e[i].name, domain) == 0)
			return &w->e[i];
	if (w->n == PW_SP_WALK_NAMES) {
		w->spent.kind = W_ERROR;
		snprintf(w->spent.why, sizeof(w->spent.why), "tree walk budget of %d names spent",
			 PW_SP_WALK_NAMES);
		return &w->spent;
	}
	e = &w->e[w->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", domain);
	if (!prefixed(name, sizeof(name), DMARC_PREFIX, domain)) {
		e->kind = W_NONE;
		snprintf(e->why, sizeof(e->why), "name too long");
		return e;
	}
	ask(w->in, w->out, name, true, &a);
	note_sec(&w->out->dmarc_sec, a.kind != PW_SP_DNS_ERROR && a.secure);
	if (a.kind == PW_SP_DNS_ERROR) {
		e->kind = W_ERROR;
		snprintf(e->why, sizeof(e->why), "%.40s: %.50s", name, a.why ? a.why : "error");
		return e;
	}
	e->n_dmarc = a.kind == PW_SP_DNS_RECORDS ? pw_dmarc_select(a.txt, a.n_txt, &idx) : 0;
	e->kind = W_NONE;
	if (e->n_dmarc > 1) {	/* RFC 9989 4.10 step 2: all discarded */
		snprintf(e->why, sizeof(e->why), "%zu records at %.60s discarded", e->n_dmarc, name);
		return e;
	}
	if (e->n_dmarc == 0)
		return e;
	/* the answer stays valid until pw_sp_evaluate returns (lookup contract), and with it
	 * the record's borrowed spans (rua, ruf) */
	if (pw_dmarc_parse(a.txt[idx], &e->rec) || e->rec.no_policy)
		e->kind = W_RECORD;
	else {
		char reason[sizeof(e->rec.reason)];
		memcpy(reason, e->rec.reason, sizeof(reason));
		snprintf(e->why, sizeof(e->why), "invalid record at %.60s: %.60s", name, reason);
	}
	if (e->rec.pct_ignored)
		w->out->dmarc_pct_ignored = true;
	return e;
}

/* walk result: the records found, longest name first, or the error that stopped it */
struct walk {
	const struct walk_entry *rec[PW_DMARC_WALK_MAX];
	size_t n;
	const struct walk_entry *error;
	const char *start;
};

/* tree_walk - RFC 9989 4.10 from START: at most 8 questions, stopping at psd=y or psd=n
 * (PSL mode: START, then its organisational domain by the list) */
static void tree_walk(struct walk_ctx *w, const char *start, struct walk *r)
{
	const char *names[PW_DMARC_WALK_MAX];
	char org[PW_DOMAIN_MAX + 1];
	size_t n;

	memset(r, 0, sizeof(*r));
	r->start = start;
	if (w->in->psl != NULL) {
		names[0] = start;
		n = 1;
		if (pw_psl_org_domain(w->in->psl, start, org, sizeof(org)) && !same_domain(org, start))
			names[n++] = org;
	} else {
		n = pw_dmarc_walk_targets(start, names, PW_DMARC_WALK_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		const struct walk_entry *e = dmarc_at(w, names[i]);
		if (e->kind == W_ERROR) {
			r->error = e;
			return;
		}
		if (e->kind != W_RECORD)
			continue;
		r->rec[r->n++] = e;
		if (w->in->psl == NULL && e->rec.psd != PW_DMARC_PSD_U)
			return;
	}
}

/* org_of - the Organizational Domain a walk gives (RFC 9989 4.10.2) into OUT; PSD_AT (when
 * not NULL) gets the psd=y record the walk stopped at, or NULL */
static void org_of(const struct walk_ctx *w, const struct walk *r, char *out, size_t len,
		   const struct walk_entry **psd_at)
{
	const struct walk_entry *last = r->n ? r->rec[r->n - 1] : NULL;

	if (psd_at != NULL)
		*psd_at = NULL;
	if (w->in->psl != NULL) {	/* compatibility: the list decides */
		if (!pw_psl_org_domain(w->in->psl, r->start, out, len))
			snprintf(out, len, "%s", r->start);
		return;
	}
	if (last == NULL) {		/* no record: the name itself */
		snprintf(out, len, "%s", r->start);
		return;
	}
	if (last->rec.psd == PW_DMARC_PSD_Y && !same_domain(last->name, r->start)) {
		/* one label below the PSD, on the way to the start */
		size_t k = label_count(last->name) + 1;
		snprintf(out, len, "%s", last_labels(r->start, k));
		if (psd_at != NULL)
			*psd_at = last;
		return;
	}
	/* psd=n: that name; else (u, or psd=y at the start) the fewest labels: the last */
	snprintf(out, len, "%s", last->name);
}

/* walk_org - the Organizational Domain of DOMAIN into OUT; false (and *WHY) on a DNS error */
static bool walk_org(struct walk_ctx *w, const char *domain, char *out, size_t len,
		     const char **why)
{
	struct walk r;
	if (w->in->psl != NULL) {	/* compatibility: the list alone, no question */
		if (!pw_psl_org_domain(w->in->psl, domain, out, len))
			snprintf(out, len, "%s", domain);
		return true;
	}
	tree_walk(w, domain, &r);
	if (r.error != NULL) {
		*why = r.error->why;
		return false;
	}
	org_of(w, &r, out, len, NULL);
	return true;
}

enum align { AL_NO, AL_YES, AL_UNKNOWN };

/* the author domain's Organizational Domain, found on first need */
struct author_org {
	bool asked, ok;
	char name[PW_DOMAIN_MAX + 1];
	const char *why;		/* when not ok */
};

/* aligned - is identifier ID aligned with the author domain (AO: its Organizational
 * Domain, walked for on first need); STRICT: names must be equal */
static enum align aligned(struct walk_ctx *w, const char *id, struct author_org *ao,
			  bool strict)
{
	char id_org[PW_DOMAIN_MAX + 1], norm[PW_DOMAIN_MAX + 1];
	const char *why;
	size_t l;

	if (id == NULL || *id == '\0')
		return AL_NO;
	/* lower case, without one trailing dot: as the author domain is held */
	l = strlen(id);
	if (l > 1 && id[l - 1] == '.')
		l--;
	if (l > PW_DOMAIN_MAX)
		return AL_NO;
	for (size_t i = 0; i < l; i++)
		norm[i] = id[i] >= 'A' && id[i] <= 'Z' ? (char)(id[i] - 'A' + 'a') : id[i];
	norm[l] = '\0';
	if (norm[0] == '.' || strstr(norm, "..") != NULL)
		return AL_NO;		/* an empty label: no name to walk */
	id = norm;
	if (same_domain(id, w->out->from_domain))
		return AL_YES;
	if (strict)
		return AL_NO;
	if (!ao->asked) {
		ao->asked = true;
		ao->ok = walk_org(w, w->out->from_domain, ao->name, sizeof(ao->name), &ao->why);
		if (ao->ok)
			snprintf(w->out->dmarc_org_domain, sizeof(w->out->dmarc_org_domain), "%s",
				 ao->name);
	}
	if (!ao->ok)
		return AL_UNKNOWN;
	/* an Organizational Domain is the name or one of its parents: ID's can only equal
	 * the author's when ID is at or below it - no question needed otherwise */
	if (!under(id, ao->name))
		return AL_NO;
	if (!walk_org(w, id, id_org, sizeof(id_org), &why)) {
		ao->why = why;
		return AL_UNKNOWN;
	}
	return same_domain(id_org, ao->name) ? AL_YES : AL_NO;
}

/* milder - the next less strict disposition (RFC 9989 t=y) */
static enum pw_dmarc_policy milder(enum pw_dmarc_policy p)
{
	return p == PW_DMARC_P_REJECT ? PW_DMARC_P_QUARANTINE : PW_DMARC_P_NONE;
}

/* discover - RFC 9989 4.10.1 policy discovery: the record that applies to the author
 * domain into *REC (and out->dmarc_record_domain); false with the result set when there is
 * none (none) or it cannot be known (temperror) */
static bool discover(struct walk_ctx *w, const struct walk_entry **rec)
{
	struct pw_sp_result *out = w->out;
	const char *from = out->from_domain;
	const struct walk_entry *e = dmarc_at(w, from), *psd = NULL;
	char org[PW_DOMAIN_MAX + 1];
	struct walk r;

	if (e->kind == W_ERROR) {
		out->dmarc = PW_DMARC_R_TEMPERROR;
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "%.120s", e->why);
		return false;
	}
	if (e->kind != W_RECORD) {
		tree_walk(w, from, &r);
		if (r.error != NULL) {
			out->dmarc = PW_DMARC_R_TEMPERROR;
			snprintf(out->dmarc_why, sizeof(out->dmarc_why), "%.120s", r.error->why);
			return false;
		}
		if (r.n == 0) {
			out->dmarc = PW_DMARC_R_NONE;
			snprintf(out->dmarc_why, sizeof(out->dmarc_why), "%.120s",
				 e->why[0] ? e->why : "no record");
			return false;
		}
		/* the Organizational Domain's record, else the Public Suffix Domain's; the walk
		 * has found the Organizational Domain, so it is reported (no question more) */
		org_of(w, &r, org, sizeof(org), &psd);
		snprintf(out->dmarc_org_domain, sizeof(out->dmarc_org_domain), "%s", org);
		e = NULL;
		for (size_t i = 0; i < r.n && e == NULL; i++)
			if (same_domain(r.rec[i]->name, org))
				e = r.rec[i];
		if (e == NULL && w->in->psl == NULL)
			e = psd != NULL ? psd : r.rec[r.n - 1];
		if (e == NULL) {	/* PSL mode: nothing at the list's organisational domain */
			out->dmarc = PW_DMARC_R_NONE;
			snprintf(out->dmarc_why, sizeof(out->dmarc_why), "no record");
			return false;
		}
	}
	snprintf(out->dmarc_record_domain, sizeof(out->dmarc_record_domain), "%s", e->name);
	if (e->rec.no_policy) {	/* RFC 9989 4.10.1: no valid p (or sp/np) and no rua */
		out->dmarc = PW_DMARC_R_NONE;
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "invalid record at _dmarc.%.45s: "
			 "%.20s, no valid rua: no DMARC processing", e->name, e->rec.reason);
		return false;
	}
	*rec = e;
	return true;
}

/* eval_dmarc - RFC 9989 policy discovery, identifier alignment and disposition */
static void eval_dmarc(const struct pw_sp_input *in, struct pw_sp_result *out)
{
	struct walk_ctx *w;
	struct walk_ctx ctx;
	const struct walk_entry *e;
	const struct pw_dmarc_record *rec;
	const char *from = out->from_domain;
	struct author_org ao = { 0 };

	memset(&ctx, 0, sizeof(ctx));
	w = &ctx;
	w->in = in;
	w->out = out;
	if (!discover(w, &e))
		return;
	rec = &e->rec;
	out->dmarc_testing = rec->testing;

	/* p for the author domain's own record; sp or np for a parent's */
	if (same_domain(e->name, from)) {
		out->dmarc_policy = rec->p;
	} else if (rec->np == rec->sp) {
		out->dmarc_policy = rec->sp;
	} else {
		/* does the author domain exist (RFC 9989 A.4: NXDOMAIN, not NODATA, says no)?
		 * Asked only when the answer matters: an address question like ADSP's */
		struct pw_sp_answer a;
		ask(in, out, from, false, &a);
		note_sec(&out->dmarc_sec, a.kind != PW_SP_DNS_ERROR && a.secure);
		if (a.kind == PW_SP_DNS_ERROR) {
			out->dmarc = PW_DMARC_R_TEMPERROR;
			snprintf(out->dmarc_why, sizeof(out->dmarc_why), "author domain lookup: %.80s",
				 a.why ? a.why : "error");
			return;
		}
		out->dmarc_nxdomain = a.kind == PW_SP_DNS_NXDOMAIN;
		out->dmarc_policy = out->dmarc_nxdomain ? rec->np : rec->sp;
	}

	/* passing signatures first; the first aligned one decides */
	bool dkim_unknown = false, spf_unknown = false;
	for (size_t i = 0; i < in->n_sigs && !out->dkim_aligned; i++)
		if (in->sigs[i].pass && in->sigs[i].d != NULL) {
			enum align al = aligned(w, in->sigs[i].d, &ao, rec->adkim_strict);
			out->dkim_aligned = al == AL_YES;
			dkim_unknown = dkim_unknown || al == AL_UNKNOWN;
		}
	if (in->spf_domain != NULL && *in->spf_domain) {
		enum align al = aligned(w, in->spf_domain, &ao, rec->aspf_strict);
		out->spf_aligned = al == AL_YES;
		spf_unknown = al == AL_UNKNOWN;
	}
	if (out->dkim_aligned || out->spf_aligned) {
		out->dmarc = PW_DMARC_R_PASS;
		out->dmarc_disposition = PW_DMARC_P_NONE;
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "%s aligned",
			 out->dkim_aligned && out->spf_aligned ? "DKIM and SPF" :
			 out->dkim_aligned ? "DKIM" : "SPF");
		return;
	}
	out->dmarc = PW_DMARC_R_FAIL;
	out->dmarc_disposition = rec->testing ? milder(out->dmarc_policy) : out->dmarc_policy;
	/* no aligned pass: but an aligned identifier whose check failed temporarily might have
	 * passed (and so might a passing one whose alignment a failed walk left unknown), so
	 * where failing has a consequence the result is not known yet - temperror, never
	 * fail.  Where the disposition is none, pass and fail are treated alike and the
	 * result stays fail (dis=none): nothing is delayed for a check that cannot matter. */
	const char *temp = NULL;
	if (dkim_unknown || spf_unknown) {
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "alignment of a passing %s "
			 "unknown: %.80s", dkim_unknown ? "DKIM signature" : "SPF domain",
			 ao.why ? ao.why : "tree walk failed");
		temp = dkim_unknown ? "DKIM" : "SPF";
	}
	for (size_t i = 0; i < in->n_sigs && temp == NULL; i++)
		if (in->sigs[i].temperror && !in->sigs[i].pass && in->sigs[i].d != NULL &&
		    aligned(w, in->sigs[i].d, &ao, rec->adkim_strict) != AL_NO) {
			snprintf(out->dmarc_why, sizeof(out->dmarc_why), "aligned DKIM signature "
				 "d=%.60s temperror", in->sigs[i].d);
			temp = "DKIM";
		}
	if (temp == NULL && in->spf_temp_domain != NULL && *in->spf_temp_domain &&
	    aligned(w, in->spf_temp_domain, &ao, rec->aspf_strict) != AL_NO) {
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "aligned SPF temperror for %.60s",
			 in->spf_temp_domain);
		temp = "SPF";
	}
	if (temp != NULL && out->dmarc_disposition != PW_DMARC_P_NONE) {
		out->dmarc = PW_DMARC_R_TEMPERROR;
		out->dmarc_disposition = PW_DMARC_P_NONE;
		return;
	}
	if (temp != NULL) {
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "no aligned pass; aligned %s "
			 "temperror, disposition none either way", temp);
		return;
	}
	snprintf(out->dmarc_why, sizeof(out->dmarc_why), "no aligned DKIM or SPF pass");
}

/* pw_sp_org_domain - the Organizational Domain of DOMAIN by the tree walk (or IN->psl) */
bool pw_sp_org_domain(const struct pw_sp_input *in, const char *domain, char *out, size_t len,
		      struct pw_sp_result *res)
{
	struct walk_ctx ctx;
	const char *why;
	bool ok;

	memset(res, 0, sizeof(*res));
	memset(&ctx, 0, sizeof(ctx));
	ctx.in = in;
	ctx.out = res;
	ok = walk_org(&ctx, domain, out, len, &why);
	if (!ok)
		snprintf(res->dmarc_why, sizeof(res->dmarc_why), "%.120s", why);
	return ok;
}

/* pw_sp_evaluate - both methods */
void pw_sp_evaluate(const struct pw_sp_input *in, struct pw_sp_result *out)
{
	char why[128];
	bool first_party = false, first_temp = false;

	memset(out, 0, sizeof(*out));
	out->adsp_checked = in->adsp;
	out->dmarc_checked = in->dmarc;
	out->dmarc_policy = PW_DMARC_P_UNSPEC;
	out->dmarc_disposition = PW_DMARC_P_NONE;
	if (!in->adsp && !in->dmarc)
		return;

	why[0] = '\0';
	if (in->n_from_fields != 1)
		snprintf(why, sizeof(why), "%u From fields", in->n_from_fields);
	else if (in->from_status == PW_FROM_SYNTAX)
		snprintf(why, sizeof(why), "From field unparsable: %s",
			 in->from_why ? in->from_why : "syntax error");
	else if (in->from_status == PW_FROM_NODOMAIN)
		snprintf(why, sizeof(why), "From address without a usable domain%s%s",
			 in->from_why && *in->from_why ? ": " : "", in->from_why ? in->from_why : "");
	else if (in->n_from_mailboxes != 1)
		snprintf(why, sizeof(why), "%zu From addresses", in->n_from_mailboxes);
	else if (in->from_domain == NULL || *in->from_domain == '\0' ||
		 strlen(in->from_domain) > PW_DOMAIN_MAX)
		snprintf(why, sizeof(why), "From domain unusable");
	if (why[0]) {
		out->adsp = PW_ADSP_R_PERMERROR;
		out->dmarc = PW_DMARC_R_PERMERROR;
		snprintf(out->adsp_why, sizeof(out->adsp_why), "%s", why);
		snprintf(out->dmarc_why, sizeof(out->dmarc_why), "%s", why);
		return;
	}
	snprintf(out->from_domain, sizeof(out->from_domain), "%s", in->from_domain);
	{
		size_t l = strlen(out->from_domain);
		if (l > 1 && out->from_domain[l - 1] == '.')
			out->from_domain[l - 1] = '\0';
		for (char *c = out->from_domain; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}

	for (size_t i = 0; i < in->n_sigs; i++)
		if (in->sigs[i].pass && in->sigs[i].d != NULL &&
		    same_domain(in->sigs[i].d, out->from_domain))
			first_party = true;
	for (size_t i = 0; i < in->n_sigs; i++)
		if (in->sigs[i].temperror && !in->sigs[i].pass && in->sigs[i].d != NULL &&
		    same_domain(in->sigs[i].d, out->from_domain))
			first_temp = true;
	if (in->adsp) {
		if (first_party) {	/* RFC 5016 5.3.9, RFC 5617 3.1: no lookup needed */
			out->adsp = PW_ADSP_R_PASS;
			snprintf(out->adsp_why, sizeof(out->adsp_why), "first-party signature");
		} else {
			eval_adsp(in, out, first_temp);
		}
	}
	/* DMARC looks its record up even then: "pass" says a policy was published (RFC 7489
	 * 11.2); without one the result is "none" */
	if (in->dmarc)
		eval_dmarc(in, out);
}

/* append - snprintf at BUF+USED, tracking the would-be length */
static size_t append(char *buf, size_t len, size_t used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t len, size_t used, const char *fmt, ...)
{
	va_list ap;
	int k;
	va_start(ap, fmt);
	k = vsnprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, fmt, ap);
	va_end(ap);
	return k > 0 ? used + (size_t)k : used;
}

/* comment_safe - WHY made fit for an RFC 5322 comment: no line breaks or other controls, no
 * unbalanced parentheses or quoted-pairs (parentheses become brackets) */
static const char *comment_safe(const char *why, char *buf, size_t len)
{
	size_t i = 0;
	for (; why[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)why[i];
		buf[i] = c < 0x20 || c == 0x7f ? ' ' : c == '(' ? '[' : c == ')' ? ']' :
			 c == '\\' ? '/' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

/* ar_bare - VALUE may stand unquoted as an RFC 8601 pvalue: an RFC 2045 token (ASCII, no
 * tspecials), or a domain-name of letter-digit-hyphen labels in which UTF-8 octets count
 * as letters (RFC 6532); anything else, a UTF-8 octet next to '!' for one, is neither */
static bool ar_bare(const char *value)
{
	bool token = *value != '\0', domain = *value != '\0';
	for (const char *c = value; *c && token; c++)
		token = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f &&
			!strchr("()<>@,;:\\\"/[]?=", *c);
	if (token)
		return true;
	for (const char *c = value; *c && domain; c++) {
		unsigned char u = (unsigned char)*c;
		bool letdig = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
			      (u >= '0' && u <= '9') || u >= 0x80;
		bool first = c == value || c[-1] == '.', last = c[1] == '\0' || c[1] == '.';
		if (u == '.')
			domain = !first && !last;
		else if (u == '-')
			domain = !first && !last;
		else
			domain = letdig;
	}
	return domain;
}

/* ar_value - VALUE as an RFC 8601 property value: as it is when ar_bare allows, else as a
 * quoted-string.  A From domain may hold any atext ("a=b/c.example" is one), and written
 * bare it would make the field unreadable: "header.from=a=b/c.example". */
static const char *ar_value(const char *value, char *buf, size_t len)
{
	if (ar_bare(value))
		return value;
	size_t i = 0;
	buf[i++] = '"';
	for (const char *c = value; *c && i + 3 < len; c++) {
		if (*c == '"' || *c == '\\')
			buf[i++] = '\\';
		buf[i++] = (unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c;
	}
	buf[i++] = '"';
	buf[i] = '\0';
	return buf;
}

/* pw_sp_format_ar - the dkim-adsp and dmarc resinfos */
size_t pw_sp_format_ar(const struct pw_sp_result *r, char *buf, size_t len, size_t used)
{
	char why[sizeof(r->adsp_why)];
	char from[2 * sizeof(r->from_domain) + 3];
	if (r->adsp_checked) {
		used = append(buf, len, used, "; dkim-adsp=%s (%s%s%s)",
			      pw_adsp_result_name(r->adsp),
			      comment_safe(r->adsp_why, why, sizeof(why)),
			      r->adsp_why[0] ? "; " : "",
			      r->adsp_sec == PW_SP_NOLOOKUP ? "no lookup" :
			      r->adsp_sec == PW_SP_SECURE ? "DNSSEC secure" : "DNSSEC insecure");
		if (r->from_domain[0])
			used = append(buf, len, used, " header.from=%s",
				      ar_value(r->from_domain, from, sizeof(from)));
	}
	if (r->dmarc_checked) {
		used = append(buf, len, used, "; dmarc=%s (", pw_dmarc_result_name(r->dmarc));
		if (r->dmarc_policy != PW_DMARC_P_UNSPEC)
			used = append(buf, len, used, "p=%s%s dis=%s; ",
				      pw_dmarc_policy_name(r->dmarc_policy),
				      r->dmarc_testing ? " t=y" : "",
				      pw_dmarc_policy_name(r->dmarc_disposition));
		used = append(buf, len, used, "%s%s%s)", comment_safe(r->dmarc_why, why, sizeof(why)),
			      r->dmarc_why[0] ? "; " : "",
			      r->dmarc_sec == PW_SP_NOLOOKUP ? "no lookup" :
			      r->dmarc_sec == PW_SP_SECURE ? "DNSSEC secure" : "DNSSEC insecure");
		if (r->from_domain[0])
			used = append(buf, len, used, " header.from=%s",
				      ar_value(r->from_domain, from, sizeof(from)));
		/* RFC 9989 9.1: "the evaluated DMARC policy applied/to be applied after policy
		 * options have been processed" - p, sp or np after t=y, for a result a record
		 * gave, a pass included (what the domain asks, as other verifiers write it;
		 * dis= in the comment says what this message got) */
		if (r->dmarc == PW_DMARC_R_PASS || r->dmarc == PW_DMARC_R_FAIL)
			used = append(buf, len, used, " policy.dmarc=%s", pw_dmarc_policy_name(
				      r->dmarc_testing ? milder(r->dmarc_policy) : r->dmarc_policy));
	}
	return used;
}

/* ---- rules --------------------------------------------------------------------------- */

/* word_index - position of WORD in NAMES (N entries), or -1 */
static int word_index(const char *word, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return (int)i;
	return -1;
}

/* parse_term - "dmarc=fail/reject", "dkim-adsp=discard", "dmarc=*" */
static bool parse_term(const char *s, struct pw_sp_term *t, char *why, size_t len)
{
	char buf[64];
	char *eq, *slash;
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "\"%.40s...\" is too long for a practice term", s);
		return false;
	}
	strcpy(buf, s);
	if ((eq = strchr(buf, '=')) == NULL) {
		snprintf(why, len, "\"%s\" is not METHOD=RESULT (e.g. dmarc=fail)", s);
		return false;
	}
	*eq++ = '\0';
	t->disposition = PW_SP_ANY;
	if (strcmp(buf, "dmarc") == 0)
		t->method = PW_SP_DMARC;
	else if (strcmp(buf, "dkim-adsp") == 0 || strcmp(buf, "adsp") == 0)
		t->method = PW_SP_ADSP;
	else {
		snprintf(why, len, "unknown method \"%s\" (expected dmarc or dkim-adsp)", buf);
		return false;
	}
	if ((slash = strchr(eq, '/')) != NULL) {
		static const char *const pol[] = { "", "none", "quarantine", "reject" };
		int p;
		*slash++ = '\0';
		if (t->method != PW_SP_DMARC) {
			snprintf(why, len, "\"%s\": only dmarc results have a /disposition", s);
			return false;
		}
		if (strcmp(slash, "*") == 0)
			p = PW_SP_ANY;
		else if ((p = word_index(slash, pol, 4)) <= 0) {
			snprintf(why, len, "unknown disposition \"%s\" (expected none, quarantine "
				 "or reject)", slash);
			return false;
		}
		t->disposition = p;
	}
	if (strcmp(eq, "*") == 0)
		t->result = PW_SP_ANY;
	else if (t->method == PW_SP_DMARC)
		t->result = word_index(eq, dmarc_names, sizeof(dmarc_names) / sizeof(dmarc_names[0]));
	else
		t->result = word_index(eq, adsp_names, sizeof(adsp_names) / sizeof(adsp_names[0]));
	if (t->result == -1 && strcmp(eq, "*") != 0) {
		snprintf(why, len, "unknown %s result \"%s\" (expected %s)", buf, eq,
			 t->method == PW_SP_DMARC ? "none, pass, fail, temperror or permerror" :
			 "none, pass, unknown, fail, discard, nxdomain, temperror or permerror");
		return false;
	}
	return true;
}

/* reply_ok - CODE and XCODE are a consistent SMTP reply for ACTION */
static bool reply_ok(enum pw_sp_action a, const char *code, const char *xcode, char *why,
		     size_t len)
{
	char cls = a == PW_SP_REJECT ? '5' : '4';
	bool digits = strlen(code) == 3 && code[0] == cls && code[1] >= '0' && code[1] <= '9' &&
		      code[2] >= '0' && code[2] <= '9';
	const char *p = xcode;
	int parts = 0;
	if (!digits) {
		snprintf(why, len, "reply code \"%s\" must be %cXX for %s", code, cls,
			 pw_sp_action_name(a));
		return false;
	}
	/* RFC 3463: class "." 1*3digit "." 1*3digit, the class matching the reply code */
	if (p[0] == cls && p[1] == '.') {
		p += 2;
		for (parts = 1; parts < 3; parts++) {
			size_t n = 0;
			while (p[n] >= '0' && p[n] <= '9')
				n++;
			if (n < 1 || n > 3)
				break;
			p += n;
			if (parts == 1 && *p++ != '.')
				break;
		}
	}
	if (parts != 3 || *p != '\0') {
		snprintf(why, len, "enhanced status \"%s\" must be %c.X.Y for %s", xcode, cls,
			 pw_sp_action_name(a));
		return false;
	}
	return true;
}

/* pw_sp_rule_parse - one "practice" statement */
bool pw_sp_rule_parse(char **w, size_t nw, struct pw_sp_rule *r, char *why, size_t len)
{
	size_t i = 1;
	char terms[512];
	char *save = NULL, *tok;
	int act;

	memset(r, 0, sizeof(*r));
	if (nw < 3) {
		snprintf(why, len, "practice needs METHOD=RESULT[,...] and an action (accept, "
			 "add_header, quarantine, reject or tempfail)");
		return false;
	}
	if (strlen(w[i]) >= sizeof(terms)) {
		snprintf(why, len, "term list too long");
		return false;
	}
	strcpy(terms, w[i++]);
	for (tok = strtok_r(terms, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r->n_terms == PW_SP_MAX_TERMS) {
			snprintf(why, len, "more than %d terms in one rule", PW_SP_MAX_TERMS);
			return false;
		}
		if (!parse_term(tok, &r->terms[r->n_terms], why, len))
			return false;
		r->n_terms++;
	}
	if (r->n_terms == 0) {
		snprintf(why, len, "practice needs at least one METHOD=RESULT term");
		return false;
	}
	if (strncmp(w[i], "dnssec=", 7) == 0) {
		const char *v = w[i] + 7;
		if (strcmp(v, "secure") == 0)
			r->sec = PW_SP_SEC_SECURE;
		else if (strcmp(v, "insecure") == 0)
			r->sec = PW_SP_SEC_INSECURE;
		else if (strcmp(v, "any") == 0)
			r->sec = PW_SP_SEC_ANY;
		else {
			snprintf(why, len, "dnssec= takes secure, insecure or any, not \"%s\"", v);
			return false;
		}
		if (++i == nw) {
			snprintf(why, len, "practice rule without an action");
			return false;
		}
	}
	if ((act = word_index(w[i], action_names, sizeof(action_names) / sizeof(action_names[0])))
	    < 0) {
		snprintf(why, len, "unknown action \"%s\" (expected accept, add_header, quarantine, "
			 "reject or tempfail)", w[i]);
		return false;
	}
	r->action = (enum pw_sp_action)act;
	i++;
	if (i < nw) {
		size_t tl = 0;
		if (r->action != PW_SP_REJECT && r->action != PW_SP_TEMPFAIL &&
		    r->action != PW_SP_QUARANTINE) {
			snprintf(why, len, "%s takes no arguments", pw_sp_action_name(r->action));
			return false;
		}
		if (r->action != PW_SP_QUARANTINE) {
			if (nw - i < 3) {
				snprintf(why, len, "%s reply must be CODE X.Y.Z TEXT (e.g. 550 5.7.1 "
					 "Rejected by DMARC policy)", pw_sp_action_name(r->action));
				return false;
			}
			if (strlen(w[i]) >= sizeof(r->code) || strlen(w[i + 1]) >= sizeof(r->xcode)) {
				snprintf(why, len, "bad reply code \"%s %s\"", w[i], w[i + 1]);
				return false;
			}
			if (!reply_ok(r->action, w[i], w[i + 1], why, len))
				return false;
			strcpy(r->code, w[i]);
			strcpy(r->xcode, w[i + 1]);
			i += 2;
		}
		for (size_t k = i; k < nw; k++)
			tl += strlen(w[k]) + 1;
		if (tl > 257) {	/* the words, a blank after each: the text is tl - 1 bytes */
			snprintf(why, len, "reply text longer than 256 bytes");
			return false;
		}
		if ((r->text = malloc(tl + 1)) == NULL) {
			snprintf(why, len, "out of memory");
			return false;
		}
		r->text[0] = '\0';
		for (size_t k = i; k < nw; k++) {
			if (k > i)
				strcat(r->text, " ");
			strcat(r->text, w[k]);
		}
		for (char *c = r->text; *c; c++)
			if (*c == '%')	/* libmilter's reply text is a format string */
				*c = ' ';
	}
	return true;
}

/* pw_sp_rule_free - release the reply text */
void pw_sp_rule_free(struct pw_sp_rule *r)
{
	free(r->text);
	r->text = NULL;
}

#define T_DMARC(res, dis) { PW_SP_DMARC, res, dis }
#define T_ADSP(res) { PW_SP_ADSP, res, PW_SP_ANY }

static const struct pw_sp_rule defaults[] = {
	{ .terms = { T_DMARC(PW_DMARC_R_TEMPERROR, PW_SP_ANY), T_ADSP(PW_ADSP_R_TEMPERROR) },
	  .n_terms = 2, .action = PW_SP_TEMPFAIL },
	{ .terms = { T_DMARC(PW_DMARC_R_FAIL, PW_DMARC_P_REJECT) }, .n_terms = 1,
	  .sec = PW_SP_SEC_SECURE, .action = PW_SP_REJECT },
	{ .terms = { T_DMARC(PW_DMARC_R_FAIL, PW_DMARC_P_REJECT),
		     T_DMARC(PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE) }, .n_terms = 2,
	  .action = PW_SP_QUARANTINE },
	{ .terms = { T_ADSP(PW_ADSP_R_DISCARD) }, .n_terms = 1, .sec = PW_SP_SEC_SECURE,
	  .action = PW_SP_REJECT },
	{ .terms = { T_ADSP(PW_ADSP_R_DISCARD) }, .n_terms = 1, .action = PW_SP_QUARANTINE },
};

/* pw_sp_default_rules - the built-in rules */
const struct pw_sp_rule *pw_sp_default_rules(size_t *n)
{
	*n = sizeof(defaults) / sizeof(defaults[0]);
	return defaults;
}

/* term_matches - does T match RES (dnssec condition SEC) */
static bool term_matches(const struct pw_sp_term *t, enum pw_sp_secmatch sec,
			 const struct pw_sp_result *res)
{
	enum pw_sp_dnssec s;
	if (t->method == PW_SP_DMARC) {
		if (!res->dmarc_checked)
			return false;
		if (t->result != PW_SP_ANY && t->result != (int)res->dmarc)
			return false;
		if (t->disposition != PW_SP_ANY &&
		    (res->dmarc != PW_DMARC_R_FAIL || t->disposition != (int)res->dmarc_disposition))
			return false;
		s = res->dmarc_sec;
	} else {
		if (!res->adsp_checked)
			return false;
		if (t->result != PW_SP_ANY && t->result != (int)res->adsp)
			return false;
		s = res->adsp_sec;
	}
	return sec == PW_SP_SEC_ANY || (sec == PW_SP_SEC_SECURE && s == PW_SP_SECURE) ||
	       (sec == PW_SP_SEC_INSECURE && s != PW_SP_SECURE);
}

/* describe - "dmarc=fail (disposition reject, DNSSEC secure) header.from=D" */
static void describe(const struct pw_sp_result *res, enum pw_sp_method m, char *buf, size_t len)
{
	if (m == PW_SP_DMARC)
		snprintf(buf, len, "dmarc=%s (disposition %s, DNSSEC %s) header.from=%s",
			 pw_dmarc_result_name(res->dmarc),
			 pw_dmarc_policy_name(res->dmarc_disposition),
			 pw_sp_dnssec_name(res->dmarc_sec), res->from_domain);
	else
		snprintf(buf, len, "dkim-adsp=%s (DNSSEC %s) header.from=%s",
			 pw_adsp_result_name(res->adsp), pw_sp_dnssec_name(res->adsp_sec),
			 res->from_domain);
}

/* reply_safe - DOMAIN fit for an SMTP reply text into BUF: printable ASCII only, and no '%'
 * (libmilter's MTAs take the text as a format: a lone '%' gets the text ignored); the
 * From domain is atoms, which may hold '%' and 8-bit octets */
static const char *reply_safe(const char *domain, char *buf, size_t len)
{
	size_t i = 0;
	for (; domain[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)domain[i];
		buf[i] = c <= 0x20 || c >= 0x7f || c == '%' ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

/* apply - fill *OUT for rule R matched by method M */
static void apply(const struct pw_sp_rule *r, enum pw_sp_method m, const struct pw_sp_result *res,
		  struct pw_sp_decision *out)
{
	char what[400], dom[sizeof(res->from_domain)];
	const char *from = reply_safe(res->from_domain, dom, sizeof(dom));
	out->action = r->action;
	out->rule = r;
	out->method = m;
	describe(res, m, what, sizeof(what));
	snprintf(out->header, sizeof(out->header), "%s", what);
	switch (r->action) {
	case PW_SP_REJECT:
		snprintf(out->code, sizeof(out->code), "%s", r->code[0] ? r->code : "550");
		snprintf(out->xcode, sizeof(out->xcode), "%s", r->xcode[0] ? r->xcode : "5.7.1");
		if (r->text)
			snprintf(out->text, sizeof(out->text), "%s", r->text);
		else if (m == PW_SP_DMARC)
			snprintf(out->text, sizeof(out->text), "Rejected by the DMARC policy of %s",
				 from);
		else
			snprintf(out->text, sizeof(out->text), "Rejected by the ADSP policy of %s "
				 "(unsigned mail is to be discarded)", from);
		break;
	case PW_SP_TEMPFAIL:
		snprintf(out->code, sizeof(out->code), "%s", r->code[0] ? r->code : "451");
		snprintf(out->xcode, sizeof(out->xcode), "%s", r->xcode[0] ? r->xcode : "4.4.3");
		if (r->text)
			snprintf(out->text, sizeof(out->text), "%s", r->text);
		else
			snprintf(out->text, sizeof(out->text), "Cannot check the sender policy of %s "
				 "now (DNS), try again later", from[0] ? from : "the author domain");
		break;
	case PW_SP_QUARANTINE:
		snprintf(out->text, sizeof(out->text), "postward: %.380s", r->text ? r->text : what);
		break;
	case PW_SP_ACCEPT:
	case PW_SP_ADD_HEADER:
		break;
	}
}

/* pw_sp_decide - first matching rule, administrator's first */
void pw_sp_decide(const struct pw_sp_rule *rules, size_t n, const struct pw_sp_result *res,
		  struct pw_sp_decision *out)
{
	size_t nd;
	const struct pw_sp_rule *d = pw_sp_default_rules(&nd);

	memset(out, 0, sizeof(*out));
	out->action = PW_SP_ACCEPT;
	for (size_t pass = 0; pass < 2; pass++) {
		const struct pw_sp_rule *set = pass ? d : rules;
		size_t count = pass ? nd : n;
		for (size_t i = 0; i < count; i++)
			for (size_t t = 0; t < set[i].n_terms; t++)
				if (term_matches(&set[i].terms[t], set[i].sec, res)) {
					apply(&set[i], set[i].terms[t].method, res, out);
					return;
				}
	}
}
