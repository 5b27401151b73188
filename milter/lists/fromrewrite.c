/*
 * milter/lists/fromrewrite.c - the From rewrite decision of a list post: the author domain's
 * DMARC policy through the same discovery and the same validating resolver as postward's own
 * DMARC check.  Contract: fromrewrite.h.
 *
 * The discovery (RFC 9989's tree walk, or the PSL) is policy/senderpolicy.c's
 * pw_sp_evaluate with DMARC alone and no signatures: the result is then "fail" with the policy in force when a record was found,
 * "none" without one, "temperror" when a lookup failed.  Only the policy is used here; the
 * pass or fail of the post itself was decided in the SMTP session.
 */
#include "fromrewrite.h"

#include <stdio.h>
#include <string.h>

#include "dkim/spdns.h"
#include "senderpolicy.h"

static const char *const mode_names[] = { "auto", "always", "never" };

/* fromrewrite_mode_parse - "auto", "always" or "never" into *MODE; false for anything else */
bool fromrewrite_mode_parse(const char *word, enum fromrewrite_mode *mode)
{
	for (size_t i = 0; word != NULL && i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(word, mode_names[i]) == 0) {
			*mode = (enum fromrewrite_mode)i;
			return true;
		}
	return false;
}

/* fromrewrite_mode_name - "auto", "always" or "never" */
const char *fromrewrite_mode_name(enum fromrewrite_mode mode)
{
	return (unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "?";
}

/* fromrewrite_decide - whether copies of a post from AUTHOR_DOMAIN get the rewritten From */
void fromrewrite_decide(enum fromrewrite_mode mode, const char *author_domain,
			struct dns_resolver *dns, const struct pw_psl *psl,
			struct fromrewrite_result *out)
{
	struct pw_sp_input in = { 0 };
	struct pw_sp_result res;
	struct spdns *L;
	const char *sec;

	memset(out, 0, sizeof(*out));
	out->policy = PW_DMARC_P_UNSPEC;
	if (mode == FROMREWRITE_ALWAYS || mode == FROMREWRITE_NEVER) {
		out->rewrite = mode == FROMREWRITE_ALWAYS;
		snprintf(out->reason, sizeof(out->reason), "from_rewrite %s",
			 fromrewrite_mode_name(mode));
		return;
	}
	if (author_domain == NULL || author_domain[0] == '\0' || dns == NULL) {
		out->rewrite = true;
		snprintf(out->reason, sizeof(out->reason), "%s; rewriting",
			 dns == NULL ? "no resolver" : "no usable author domain");
		return;
	}
	if ((L = spdns_new(dns, NULL, NULL)) == NULL) {
		out->rewrite = out->temperror = true;
		snprintf(out->reason, sizeof(out->reason), "out of memory for the DMARC lookup; "
			 "rewriting, the safe choice");
		return;
	}
	in.n_from_fields = 1;
	in.from_status = PW_FROM_OK;
	in.n_from_mailboxes = 1;
	in.from_domain = author_domain;
	in.psl = psl;
	in.dmarc = true;
	in.lookup = spdns_lookup;
	in.lookup_arg = L;
	pw_sp_evaluate(&in, &res);
	spdns_free(L);

	out->looked_up = res.lookups > 0;
	out->secure = res.dmarc_sec == PW_SP_SECURE;
	out->policy = res.dmarc_policy;
	snprintf(out->record_domain, sizeof(out->record_domain), "%s", res.dmarc_record_domain);
	sec = res.dmarc_sec == PW_SP_NOLOOKUP ? "no lookup" : pw_sp_dnssec_name(res.dmarc_sec);
	switch (res.dmarc) {
	case PW_DMARC_R_TEMPERROR:
		out->rewrite = out->temperror = true;
		snprintf(out->reason, sizeof(out->reason), "DNS failure for %s; rewriting, the "
			 "safe choice", res.dmarc_why);
		break;
	case PW_DMARC_R_PERMERROR:
		out->rewrite = true;
		snprintf(out->reason, sizeof(out->reason), "%s; rewriting", res.dmarc_why);
		break;
	case PW_DMARC_R_FAIL:
	case PW_DMARC_R_PASS:
		out->rewrite = res.dmarc_policy == PW_DMARC_P_QUARANTINE ||
			       res.dmarc_policy == PW_DMARC_P_REJECT;
		snprintf(out->reason, sizeof(out->reason), "dmarc p=%s at %s (%s)",
			 pw_dmarc_policy_name(res.dmarc_policy), res.dmarc_record_domain, sec);
		break;
	default:
		snprintf(out->reason, sizeof(out->reason), "%s (%s)",
			 strcmp(res.dmarc_why, "no record") == 0 ? "no DMARC record" : res.dmarc_why,
			 sec);
		break;
	}
}
