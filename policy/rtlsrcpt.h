/*
 * policy/rtlsrcpt.h - REQUIRETLS at RCPT (RFC 8689 section 4.2.1): can a recipient domain
 * receive a message that requires TLS?  Pure C, no I/O: the milter (milter/requiretls/)
 * looks up the MX, address and TLSA records and the MTA-STS policy and hands in what it found;
 * this module says whether REQUIRETLS applies at RCPT, whether a domain is exempt, and the
 * verdict with its SMTP reply.
 *
 * A message is known to require TLS at RCPT when it carries the REQUIRETLS parameter or a
 * require_tls rule matches what is known by then: the sender domain, the SMTP AUTH user, the
 * client network, or the domain of any recipient so far, this one included
 * (rtlsrcpt_required: rtls_decide() on those facts, without header fields, which come later).
 *
 * Each of the two ways a domain proves it can receive such mail is summed up by the milter as
 * one path status with a reason:
 *   RTLSRCPT_OK     DANE (RFC 7672): a DNSSEC-secure MX RRset (or a secure implicit MX) with
 *                   at least one MX host whose addresses are secure and whose TLSA RRset is
 *                   secure with a usable record; or MTA-STS (RFC 8461): a policy in mode
 *                   enforce that at least one MX host matches;
 *   RTLSRCPT_NO     the path definitely does not exist (unsigned MX, no TLSA, no _mta-sts
 *                   record, a policy in mode testing, MX hosts the policy does not name, ...);
 *   RTLSRCPT_TEMP   it could not be found out now (DNS timeout or SERVFAIL, HTTPS failure);
 *   RTLSRCPT_BOGUS  DANE only: DNSSEC validation failed (bogus).  RFC 7672 sections 2.1.1 and
 *                   2.2: a bogus answer is a failure of delivery, never "no DANE", so nothing
 *                   falls back to MTA-STS past it.
 * rtlsrcpt_decide() weighs them in this order:
 *   1. DANE OK                         -> pass (via dane)
 *   2. DANE BOGUS                      -> temperror 451 4.7.5 (no fall back)
 *   3. MTA-STS OK                      -> pass (via mta-sts)
 *   4. either one TEMP                 -> temperror 451 4.7.0
 *   5. otherwise                       -> fail 550 5.7.30
 * and then applies the mode: reject (the reply is given), log (logged, the recipient goes on),
 * off (rtlsrcpt_decide is not called at all).  Reply texts never hold '%', CR, LF or other
 * control characters (libmilter and SMTP would mangle them).
 */
#ifndef POSTWARD_POLICY_RTLSRCPT_H
#define POSTWARD_POLICY_RTLSRCPT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "policyfile.h"
#include "requiretls.h"

enum rtlsrcpt_path { RTLSRCPT_NO, RTLSRCPT_OK, RTLSRCPT_TEMP, RTLSRCPT_BOGUS };
enum rtlsrcpt_result { RTLSRCPT_PASS, RTLSRCPT_FAIL, RTLSRCPT_TEMPERROR };

struct rtlsrcpt_facts {
	const char *domain;		/* the recipient domain, lower case */
	enum rtlsrcpt_path dane;
	char dane_why[256];		/* what was found, e.g. "MX RRset insecure" */
	enum rtlsrcpt_path sts;
	char sts_why[256];
};

struct rtlsrcpt_verdict {
	enum rtlsrcpt_result result;
	const char *via;		/* "dane" / "mta-sts" on pass, else NULL */
	bool act;			/* refuse or tempfail the recipient (mode reject) */
	const char *code, *xcode;	/* static: "550" "5.7.30", "451" "4.7.5" / "4.7.0" */
	char text[400];			/* the reply text, when result is not pass */
};

/* rtlsrcpt_required - does the message require TLS by what is known at RCPT: the REQUIRETLS
 * parameter (F->param) or a require_tls rule on F's sender domain, auth user, client network
 * or recipient domains (F->n_fields is ignored); RULE (may be NULL) gets the matching rule */
bool rtlsrcpt_required(const struct pw_config *cfg, const struct pw_policy *pol,
		       const struct rtls_facts *f, const struct pw_rule **rule);
/* rtlsrcpt_exempt - the requiretls_exempt_domains entry DOMAIN matches (Postfix style:
 * "example.com" itself, ".example.com" its subdomains), or NULL */
const char *rtlsrcpt_exempt(const struct pw_config *cfg, const char *domain);
/* rtlsrcpt_decide - the verdict for F under CFG's requiretls_recipient_check mode */
void rtlsrcpt_decide(const struct pw_config *cfg, const struct rtlsrcpt_facts *f,
		     struct rtlsrcpt_verdict *v);
/* the log words, indexed by enum rtlsrcpt_result ("pass", "fail", "temperror") and enum
 * rtlsrcpt_path ("no", "ok", "temp", "bogus") */
extern const char *const rtlsrcpt_result_names[3];
extern const char *const rtlsrcpt_path_names[4];

#endif
