/*
 * milter/dkim/authres.c - the authentication results of one message: the facts its header
 * fields give for the sender practices, its DKIM signatures verified with keys from the
 * validating resolver, the author domain's practices (ADSP, DMARC) looked up and decided,
 * and the Authentication-Results value built from them.
 * Contract: see authres.h.
 */
#include "build-config.h"
#include "authres.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"
#include "dns/dns.h"
#include "log.h"
#include "spdns.h"
#include "mailhdr.h"
#include "senderpolicy.h"
#include "session.h"
#include "snapshot.h"

static bool ar_claims(const char *value, const char *authserv);
static bool trusted_spf(struct pw_msg *m, const char *value);

/* authres_header - note From, trusted and forged Authentication-Results and incoming
 * practice fields (header field NAME: VALUE of M); false for lack of memory */
bool authres_header(struct pw_msg *m, const char *name, const char *value)
{
	if (strcasecmp(name, "Authentication-Results") == 0) {
		m->n_ar++;
		if (ar_claims(value, m->snap->authserv_id)) {
			/* every forged field is removed, however many: a fixed table left the
			 * ones past it in place for whoever trusts our authserv-id */
			if (m->n_ar_ours == m->cap_ar_ours) {
				unsigned ncap = m->cap_ar_ours ? 2 * m->cap_ar_ours : 8;
				unsigned *p = realloc(m->ar_ours, ncap * sizeof(*p));
				if (p == NULL)
					return false;
				m->ar_ours = p;
				m->cap_ar_ours = ncap;
			}
			m->ar_ours[m->n_ar_ours++] = m->n_ar;
		} else if (m->spf_domain == NULL && m->snap->cfg.n_trusted_authserv_ids > 0 &&
			   !trusted_spf(m, value)) {
			return false;
		}
	} else if (strcasecmp(name, "From") == 0) {
		if (m->n_from++ == 0 && (m->from_value = strdup(value)) == NULL)
			return false;
	} else if (strcasecmp(name, PW_SP_HEADER) == 0) {
		m->n_practice_in++;
	}
	return true;
}

/* trusted_spf - if VALUE is an Authentication-Results field of a trusted host reporting
 * spf=pass, remember the domain that passed (smtp.mailfrom; smtp.helo for the null sender;
 * with neither property, the envelope sender's domain) for DMARC; an spf=temperror for such
 * a domain is remembered too (DMARC is then temperror rather than fail); false only for lack
 * of memory */
static bool trusted_spf(struct pw_msg *m, const char *value)
{
	struct pw_ar_resinfo ri[8];
	char authserv[256], domain[PW_DOMAIN_MAX + 1];
	int n = pw_ar_parse(value, authserv, sizeof(authserv), ri, 8);
	bool trusted = false;
	/* the null sender itself, not any sender without a usable domain (one too long for
	 * the buffer has none either, and is no reason to take HELO's word) */
	bool null_sender = m->sender == NULL || m->sender[0] == '\0' || strcmp(m->sender, "<>") == 0;

	for (size_t i = 0; n > 0 && i < m->snap->cfg.n_trusted_authserv_ids; i++)
		if (strcasecmp(authserv, m->snap->cfg.trusted_authserv_ids[i]) == 0)
			trusted = true;
	if (!trusted)
		return true;
	for (int i = 0; i < n && i < 8; i++) {
		bool pass = strcmp(ri[i].result, "pass") == 0;
		if (strcmp(ri[i].method, "spf") != 0 ||
		    (!pass && (strcmp(ri[i].result, "temperror") != 0 || m->spf_temp_domain)))
			continue;
		/* DMARC's SPF identity is MAIL FROM; HELO only for the null sender (RFC 7489
		 * 3.1.2, 4.1): a HELO-only pass says nothing about a non-null sender */
		domain[0] = '\0';
		if (ri[i].mailfrom[0])
			pw_ar_domain(ri[i].mailfrom, domain, sizeof(domain));
		else if (ri[i].helo[0] && null_sender)
			pw_ar_domain(ri[i].helo, domain, sizeof(domain));
		else if (!ri[i].helo[0] && m->sender_domain)
			snprintf(domain, sizeof(domain), "%s", m->sender_domain);
		if (domain[0] == '\0')
			continue;
		if (!pass) {
			if ((m->spf_temp_domain = strdup(domain)) == NULL)
				return false;
			pwlog_qid(LOG_DEBUG, m->qid, "spf=temperror for %s reported by trusted %s",
				  domain, authserv);
			continue;
		}
		if ((m->spf_domain = strdup(domain)) == NULL)
			return false;
		pwlog_qid(LOG_DEBUG, m->qid, "spf=pass for %s reported by trusted %s", domain,
			  authserv);
		return true;
	}
	return true;
}

/* ar_claims - does an Authentication-Results value name AUTHSERV as its authserv-id.  Read
 * as leniently as any reader downstream may: CFWS (white space, comments, folds) before
 * it skipped, a quoted-string unquoted (RFC 8601 2.2: authserv-id = value), so that
 * "(x) pw.test;" or "\"pw.test\";" count as claiming "pw.test" */
static bool ar_claims(const char *value, const char *authserv)
{
	const char *p = value;
	char id[256];
	size_t n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			break;
		for (int depth = 0; *p; p++) {	/* a comment, nested, with quoted-pairs */
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p == '\r' || *p == '\n')
				continue;	/* folding inside the quotes */
			if (n + 1 >= sizeof(id))
				return false;	/* longer than any authserv-id we have */
			id[n++] = *p;
		}
	} else {
		for (; *p && *p != ';' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
		       *p != '('; p++) {
			if (n + 1 >= sizeof(id))
				return false;
			id[n++] = *p;
		}
	}
	id[n] = '\0';
	return strcasecmp(id, authserv) == 0;
}

#define AR_MAX_DKIM	8	/* dkim= results reported in Authentication-Results */
#define AR_TAIL		1536	/* kept for dkim-adsp=, dmarc= and the summary */
#define AR_RESULT	1024	/* one dkim= result, formatted */
#define AR_LINE		78	/* fold lines longer than this (RFC 5322 2.1.1) */

/* sig_out - one signature's outcome, kept between the lookups and the report */
struct sig_out {
	enum dkim_result r;
	const char *reason;
	const char *sec;		/* the key's DNSSEC status, or NULL (no lookup) */
};

/* token_char - an RFC 2045 token character (value of a propspec without quotes) */
static bool token_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* dkim_result_text - " dkim=RESULT (REASON; key DNSSEC SEC) header.d=D header.s=S
 * header.b=B" for signature SI into BUF; its length (>= LEN: it did not fit) */
static size_t dkim_result_text(const struct dkim_sig_info *si, const struct sig_out *o,
			       char *buf, size_t len)
{
	const char *reason = o->reason ? o->reason : "", *sec = o->sec;
	int k = snprintf(buf, len, " dkim=%s", dkim_result_name(o->r));
	size_t used = k > 0 ? (size_t)k : 0;

	if (used < len && (*reason || sec)) {
		k = snprintf(buf + used, len - used, " (%s%s%s%s)", reason, *reason && sec ? "; " : "",
			     sec ? "key DNSSEC " : "", sec ? sec : "");
		used += k > 0 ? (size_t)k : 0;
	}
	/* each property only with a value: an empty pvalue is not RFC 8601 */
	if (used < len && si->domain && *si->domain) {
		k = snprintf(buf + used, len - used, " header.d=%s", si->domain);
		used += k > 0 ? (size_t)k : 0;
	}
	if (used < len && si->domain && *si->domain && si->selector && *si->selector) {
		k = snprintf(buf + used, len - used, " header.s=%s", si->selector);
		used += k > 0 ? (size_t)k : 0;
	}
	if (used < len && si->domain && *si->domain && si->header_b && *si->header_b) {
		/* header.b is a token unless it holds '/' or '=' (RFC 8601 2.2, RFC 2045): then
		 * it is quoted; dkim.c keeps only base64 characters in it */
		bool token = true;
		for (const char *c = si->header_b; *c; c++)
			token = token && token_char((unsigned char)*c);
		const char *q = token ? "" : "\"";
		k = snprintf(buf + used, len - used, " header.b=%s%s%s", q, si->header_b, q);
		used += k > 0 ? (size_t)k : 0;
	}
	return used;
}

/* dkim_verify - finish DKIM: fetch each key through the validating resolver, log each
 * result, append the dkim= resinfos to AR (LEN bytes, USED so far; returns the new length)
 * and note each signature's d=, pass and temperror into SIGS (room for dkim_nsigs entries).
 * At most AR_MAX_DKIM results are reported, passes aligned with FROM (the author domain,
 * "" if unknown) first, then other passes, then the rest in message order, each whole and
 * only while AR_TAIL octets stay free; the rest (and the DKIM-Signature fields past
 * dkim_max_signatures, never verified) are summed up in one "dkim=policy" result whose
 * comment says how many.  False only for lack of memory. */
static bool dkim_verify(struct pw_msg *m, const char *from, char *ar, size_t len, size_t *used,
			struct pw_sp_sig *sigs)
{
	size_t n = dkim_nsigs(m->dkim), reported = 0, fit_out = 0;
	struct dkim_counts cnt;
	struct sig_out *out;
	char one[AR_RESULT];

	dkim_counts(m->dkim, &cnt);
	if ((out = calloc(n ? n : 1, sizeof(*out))) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct dkim_sig_info *si = dkim_sig(m->dkim, i);
		const char *sec = NULL, *reason = "";
		if (si->want_key && !m->dkim_broken) {
			struct dns_answer a;
			const char *txt[DKIM_MAX_RECORDS];
			char *joined[DKIM_MAX_RECORDS] = { 0 };
			size_t ntxt = 0;
			dns_lookup(m->snap->dns, si->query, LDNS_RR_TYPE_TXT, &a);
			sec = dns_security_name(a.sec);
			if (a.kind == DNS_TEMPFAIL || a.sec == DNS_SEC_BOGUS) {
				pwlog_qid(LOG_WARNING, m->qid, "dkim key %s: %s %s: %s", si->query,
					  dns_kind_name(a.kind), sec, a.why);
				dkim_sig_key(m->dkim, i, DKIM_KEY_TEMPFAIL, NULL, 0);
			} else if (a.kind != DNS_ANSWER) {
				dkim_sig_key(m->dkim, i, DKIM_KEY_NONE, NULL, 0);
			} else {
				for (size_t k = 0; a.rrs && k < ldns_rr_list_rr_count(a.rrs) &&
				     ntxt < DKIM_MAX_RECORDS; k++)
					if ((joined[ntxt] = dns_txt_join(&a, k)) != NULL) {
						txt[ntxt] = joined[ntxt];
						ntxt++;
					}
				dkim_sig_key(m->dkim, i, ntxt ? DKIM_KEY_FOUND : DKIM_KEY_NONE, txt, ntxt);
			}
			for (size_t k = 0; k < ntxt; k++)
				free(joined[k]);
			dns_answer_clear(&a);
		}
		enum dkim_result r = m->dkim_broken ? DKIM_RESULT_TEMPERROR :
				     dkim_sig_result(m->dkim, i, &reason);
		if (m->dkim_broken)
			reason = "internal error";
		sigs[i].d = si->domain;
		sigs[i].pass = r == DKIM_RESULT_PASS;
		sigs[i].temperror = r == DKIM_RESULT_TEMPERROR;
		out[i].r = r;
		out[i].reason = reason;
		out[i].sec = sec;
		pwlog_qid(LOG_INFO, m->qid, "dkim=%s d=%s s=%s key-dnssec=%s%s%s%s",
			  dkim_result_name(r), si->domain ? si->domain : "",
			  si->selector ? si->selector : "", sec ? sec : "-",
			  reason && *reason ? " reason=\"" : "", reason ? reason : "",
			  reason && *reason ? "\"" : "");
	}
	/* rank 0: passes aligned with the author domain, 1: other passes, 2: the rest */
	for (int rank = 0; rank < 3; rank++)
		for (size_t i = 0; i < n; i++) {
			const struct dkim_sig_info *si = dkim_sig(m->dkim, i);
			bool pass = out[i].r == DKIM_RESULT_PASS;
			bool aligned = pass && *from && si->domain && *si->domain &&
				       pw_dmarc_aligned(m->snap->psl, from, si->domain, false);
			if ((aligned ? 0 : pass ? 1 : 2) != rank || reported == AR_MAX_DKIM)
				continue;
			size_t k = dkim_result_text(si, &out[i], one, sizeof(one));
			size_t sep = reported ? 1 : 0;
			if (k >= sizeof(one) || *used + sep + k + AR_TAIL >= len) {
				fit_out++;
				continue;
			}
			*used += (size_t)snprintf(ar + *used, len - *used, "%s%s", sep ? ";" : "", one);
			reported++;
		}
	free(out);
	size_t excess = n - reported + cnt.sigs_ignored;
	if (n == 0 && cnt.sigs_ignored == 0)
		*used += (size_t)snprintf(ar + *used, len - *used, " dkim=none");
	else if (excess > 0)
		/* RFC 8601 2.7.1 policy: signed, but the signatures were not acceptable here */
		*used += (size_t)snprintf(ar + *used, len - *used, "%s dkim=policy (%zu%s DKIM "
					  "signature%s not reported: %zu over dkim_max_signatures "
					  "not verified)", reported ? ";" : "", excess,
					  reported ? " more" : "", excess == 1 ? "" : "s",
					  cnt.sigs_ignored);
	if (cnt.sigs_ignored > 0 || excess > 0)
		pwlog_qid(LOG_NOTICE, m->qid, "dkim: %zu DKIM-Signature fields, %zu verified, %zu "
			  "ignored (over dkim_max_signatures %u); %zu results in "
			  "Authentication-Results, %zu summed up%s", cnt.sig_fields, n,
			  cnt.sigs_ignored, m->snap->cfg.dkim_max_signatures, reported, excess,
			  fit_out ? " (the field's size limit)" : "");
	return true;
}

/* ar_fold - VALUE (the field body after "Authentication-Results:") folded into OUT (LEN
 * octets): a blank between two tokens becomes LF + blank where the line would pass AR_LINE
 * columns; unfolding (removing the LFs) gives VALUE back.  False if OUT is too small. */
static bool ar_fold(const char *value, char *out, size_t len)
{
	/* without SMFIP_HDR_LEADSPC the MTA puts a blank after the colon itself */
	size_t col = strlen("Authentication-Results:") + (value[0] == ' ' ? 0 : 1), o = 0;
	bool content = false;		/* the current line holds a token */

	for (const char *p = value; *p; p++) {
		if (*p == ' ' && content && p[1] != ' ' && p[1] != '\0') {
			size_t word = strcspn(p + 1, " ");
			if (col + 1 + word > AR_LINE) {
				if (o + 1 >= len)
					return false;
				out[o++] = '\n';
				col = 0;
				content = false;
			}
		} else if (*p != ' ') {
			content = true;
		}
		if (o + 1 >= len)
			return false;
		out[o++] = *p;
		col++;
	}
	out[o] = '\0';
	return true;
}

/* pct_noted - a record's pct tag was logged (once per process; any thread) */
static atomic_flag pct_noted = ATOMIC_FLAG_INIT;

/* sp_warn - spdns_warn_fn: a practice lookup failed (ARG is the queue id) */
static void sp_warn(void *arg, const char *name, bool txt, const char *why)
{
	pwlog_qid(LOG_WARNING, (const char *)arg, "practice lookup %s %s: %s", name,
		  txt ? "TXT" : "A", why);
}

/* practices - evaluate ADSP and DMARC for M (SIGS: its N DKIM results), log them and
 * append their resinfos to AR; the local action goes into *DEC */
static size_t practices(struct pw_msg *m, const struct pw_sp_sig *sigs, size_t n, char *ar,
			size_t len, size_t used, struct pw_sp_decision *dec)
{
	struct pw_sp_input in = { 0 };
	struct pw_sp_result res;
	struct spdns *L;
	char domain[PW_DOMAIN_MAX + 1] = "", why[128] = "";
	size_t nbox = 0;

	memset(dec, 0, sizeof(*dec));
	dec->action = PW_SP_ACCEPT;
	if (!m->snap->dmarc && !m->snap->adsp)
		return used;
	if ((L = spdns_new(m->snap->dns, sp_warn, (void *)m->qid)) == NULL) {
		pwlog_qid(LOG_ERR, m->qid, "out of memory for the practice lookups: tempfail");
		dec->action = PW_SP_TEMPFAIL;
		snprintf(dec->code, sizeof(dec->code), "451");
		snprintf(dec->xcode, sizeof(dec->xcode), "4.3.0");
		snprintf(dec->text, sizeof(dec->text), "postward: temporary internal error");
		return used;
	}
	in.n_from_fields = m->n_from;
	in.from_status = m->from_value ? pw_from_parse(m->from_value, &nbox, domain,
						       sizeof(domain), why, sizeof(why))
				       : PW_FROM_SYNTAX;
	in.n_from_mailboxes = nbox;
	in.from_domain = domain;
	in.from_why = why;
	in.sigs = sigs;
	in.n_sigs = n;
	in.spf_domain = m->spf_domain;
	in.spf_temp_domain = m->spf_temp_domain;
	in.psl = m->snap->psl;
	in.adsp = m->snap->adsp;
	in.dmarc = m->snap->dmarc;
	in.lookup = spdns_lookup;
	in.lookup_arg = L;
	pw_sp_evaluate(&in, &res);
	spdns_free(L);

	/* RFC 9989 removed pct: said once per process, not once per message */
	if (res.dmarc_pct_ignored && !atomic_flag_test_and_set(&pct_noted))
		pwlog_qid(LOG_NOTICE, m->qid, "dmarc: a DMARC record (%s) has a pct tag, which "
			  "RFC 9989 removed: ignored (t=y is its successor); said once",
			  res.dmarc_record_domain[0] ? res.dmarc_record_domain : res.from_domain);
	if (res.dmarc_checked)
		pwlog_qid(LOG_INFO, m->qid, "dmarc=%s header.from=%s policy=%s%s disposition=%s "
			  "dnssec=%s record=%s org=%s dkim-aligned=%s spf-aligned=%s lookups=%u (%s)",
			  pw_dmarc_result_name(res.dmarc), res.from_domain[0] ? res.from_domain : "-",
			  pw_dmarc_policy_name(res.dmarc_policy), res.dmarc_testing ? " t=y" : "",
			  pw_dmarc_policy_name(res.dmarc_disposition),
			  res.dmarc_sec == PW_SP_NOLOOKUP ? "no-lookup" : pw_sp_dnssec_name(res.dmarc_sec),
			  res.dmarc_record_domain[0] ? res.dmarc_record_domain : "-",
			  res.dmarc_org_domain[0] ? res.dmarc_org_domain : "-",
			  res.dkim_aligned ? "yes" : "no", res.spf_aligned ? "yes" : "no",
			  res.lookups, res.dmarc_why);
	if (res.adsp_checked)
		pwlog_qid(LOG_INFO, m->qid, "dkim-adsp=%s header.from=%s dnssec=%s (%s)",
			  pw_adsp_result_name(res.adsp), res.from_domain[0] ? res.from_domain : "-",
			  res.adsp_sec == PW_SP_NOLOOKUP ? "no-lookup" : pw_sp_dnssec_name(res.adsp_sec),
			  res.adsp_why);
	used = pw_sp_format_ar(&res, ar, len, used);
	pw_sp_decide(m->snap->pol.sp_rules, m->snap->pol.n_sp_rules, &res, dec);
	if (dec->action != PW_SP_ACCEPT || dec->rule != NULL) {
		char where[300];
		if (dec->rule && dec->rule->file)
			snprintf(where, sizeof(where), "%s:%u", dec->rule->file, dec->rule->line);
		else
			snprintf(where, sizeof(where), "default");
		pwlog_qid(dec->action == PW_SP_ACCEPT || dec->action == PW_SP_ADD_HEADER ?
			  LOG_INFO : LOG_NOTICE, m->qid, "practice action=%s rule=%s %s%s%s%s%s",
			  pw_sp_action_name(dec->action), where, dec->header,
			  dec->code[0] ? ": " : "", dec->code, dec->code[0] ? " " : "", dec->xcode);
		if (dec->code[0])
			pwlog_qid(LOG_NOTICE, m->qid, "practice reply: %s %s %s", dec->code,
				  dec->xcode, dec->text);
	}
	return used;
}

/* authres - verify DKIM and evaluate practices: the Authentication-Results value into AR
 * (LEN octets, at least AR_FOLDED; with a leading space when the MTA wants one; folded) and
 * the practice action into *DEC; false only for lack of memory (then *DEC is a tempfail) */
bool authres(struct pw_msg *m, bool c_leadspc, char *ar, size_t len,
		    struct pw_sp_decision *dec)
{
	size_t n, used, nbox = 0;
	struct pw_sp_sig *sigs;
	char *flat, from[PW_DOMAIN_MAX + 1] = "";

	if ((flat = malloc(AR_SIZE)) == NULL)
		return false;
	/* with SMFIP_HDR_LEADSPC the MTA adds no space after the colon of our fields either */
	used = (size_t)snprintf(flat, AR_SIZE, "%s%s;", c_leadspc ? " " : "", m->snap->authserv_id);
	if (m->dkim != NULL && !m->dkim_broken && dkim_eom(m->dkim) == DKIM_ERR_NOMEM)
		m->dkim_broken = true;
	n = m->dkim ? dkim_nsigs(m->dkim) : 0;
	if ((sigs = calloc(n ? n : 1, sizeof(*sigs))) == NULL) {
		free(flat);
		return false;
	}
	/* the author domain, to report the passes aligned with it first */
	if (m->n_from != 1 || m->from_value == NULL ||
	    pw_from_parse(m->from_value, &nbox, from, sizeof(from), NULL, 0) != PW_FROM_OK ||
	    nbox != 1)
		from[0] = '\0';
	if (m->dkim != NULL) {
		if (!dkim_verify(m, from, flat, AR_SIZE, &used, sigs)) {
			free(sigs);
			free(flat);
			return false;
		}
	} else {
		used += (size_t)snprintf(flat + used, AR_SIZE - used, " dkim=none");
	}
	used = practices(m, sigs, n, flat, AR_SIZE, used, dec);
	free(sigs);
	if (used >= AR_SIZE) {	/* cannot happen (AR_TAIL is kept free): never cut a result */
		pwlog_qid(LOG_ERR, m->qid, "Authentication-Results value too long (%zu octets)",
			  used);
		free(flat);
		return false;
	}
	bool ok = ar_fold(flat, ar, len);
	free(flat);
	return ok;
}
