/*
 * milter/requiretls/rcpt.c - REQUIRETLS at RCPT: facts from the session, lookups
 * (rcptcheck.c), the verdict (policy/rtlsrcpt.c), the log line and the reply.
 * Contract: see rcpt.h.
 */
#include "build-config.h"
#include "rcpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "https.h"
#include "log.h"
#include "rcptcheck.h"
#include "rtlsrcpt.h"

/* requiretls_global_init - libcurl */
bool requiretls_global_init(char *why, size_t whylen)
{
	return https_global_init(why, whylen);
}

/* requiretls_global_end - libcurl (the policy cache stays reachable until exit: a session
 * thread may still be finishing) */
void requiretls_global_end(void)
{
	https_global_end();
}

/* required - is TLS required by what is known now, DOMAIN counted as a recipient domain */
static bool required(const struct pw_conn *c, const struct pw_msg *m, const char *domain)
{
	struct rtls_facts f;
	const char **doms;
	bool r;

	session_facts(c, m, &f);
	if (domain == NULL)
		return rtlsrcpt_required(&m->snap->cfg, &m->snap->pol, &f, NULL);
	if ((doms = malloc((f.n_rcpts + 1) * sizeof(*doms))) == NULL)
		return true;	/* checking costs lookups, never a wrong pass */
	for (size_t i = 0; i < f.n_rcpts; i++)
		doms[i] = f.rcpt_domains[i];
	doms[f.n_rcpts] = domain;
	f.rcpt_domains = doms;
	f.n_rcpts++;
	r = rtlsrcpt_required(&m->snap->cfg, &m->snap->pol, &f, NULL);
	free(doms);
	return r;
}

/* requiretls_rcpt - the check of one recipient */
sfsistat requiretls_rcpt(SMFICTX *ctx, const struct pw_conn *c, const struct pw_msg *m,
			 const char *rcpt, const char *domain, bool list)
{
	const struct pw_config *cfg = &m->snap->cfg;
	struct rtlsrcpt_facts f;
	struct rtlsrcpt_verdict v;
	const char *ex, *action;

	if (cfg->requiretls_recipient_check == PW_RCPT_CHECK_OFF || m->unchecked ||
	    !required(c, m, domain))
		return SMFIS_CONTINUE;
	if (list) {
		pwlog_qid(LOG_INFO, m->qid, "requiretls-rcpt=exempt to=%s domain=%s action=accept "
			  "(a list address of this postward)", rcpt, domain ? domain : "-");
		return SMFIS_CONTINUE;
	}
	if (domain == NULL || (ex = rtlsrcpt_exempt(cfg, domain)) != NULL) {
		pwlog_qid(LOG_INFO, m->qid, "requiretls-rcpt=exempt to=%s domain=%s action=accept "
			  "(%s%s)", rcpt, domain ? domain : "-", domain ? "requiretls_exempt_domains " :
			  "no domain: a local recipient", domain ? ex : "");
		return SMFIS_CONTINUE;
	}
	rcptcheck_domain(m->snap->dns, cfg, domain, time(NULL), &f);
	rtlsrcpt_decide(cfg, &f, &v);
	action = v.result == RTLSRCPT_PASS ? "accept" : !v.act ? "log-only" :
		 v.result == RTLSRCPT_FAIL ? "reject" : "tempfail";
	pwlog_qid(v.result == RTLSRCPT_PASS ? LOG_INFO : LOG_NOTICE, m->qid,
		  "requiretls-rcpt=%s to=%s domain=%s%s%s action=%s dane=%s \"%s\" mta-sts=%s "
		  "\"%s\"%s%s%s%s%s%s%s", rtlsrcpt_result_names[v.result], rcpt, domain,
		  v.via ? " via=" : "", v.via ? v.via : "", action, rtlsrcpt_path_names[f.dane],
		  f.dane_why, rtlsrcpt_path_names[f.sts], f.sts_why,
		  v.code ? " reply=\"" : "", v.code ? v.code : "", v.code ? " " : "",
		  v.code ? v.xcode : "", v.code ? " " : "", v.code ? v.text : "", v.code ? "\"" : "");
	if (v.result == RTLSRCPT_PASS || !v.act)
		return SMFIS_CONTINUE;
	smfi_setreply(ctx, (char *)v.code, (char *)v.xcode, v.text);
	return v.result == RTLSRCPT_FAIL ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}
