/*
 * policy/requiretls.h - REQUIRETLS decisions (RFC 8689, draft-ietf-uta-smtp-require-tls-06).
 *
 * The milter hands in facts; this module answers.  Nothing here touches libmilter.
 *
 * At MAIL FROM: rtls_parse_mail_args() reads the ESMTP parameters, rtls_check_mail() refuses
 * REQUIRETLS on a session without TLS (530 5.7.10) or with a value (501 5.5.4).
 * Per header: rtls_header_kind() classifies a field name; rtls_header_value() reads a
 * RequireTLS / TLS-Required value (CFWS around the word tolerated; "No" in any case).
 * At end of header: rtls_decide() weighs everything, in this order:
 *   1. the REQUIRETLS parameter            -> tag "required"; any TLS-Required/RequireTLS
 *                                             field is ignored (and not counted)
 *   2. more than one TLS-Required/RequireTLS field -> reject 550 5.6.0
 *   3. a require_tls policy rule matches   -> tag "required" (a "No" field is overridden)
 *   4. one field with value "No"           -> tag "optional"
 *   5. one field with another value        -> tls_required_unknown: ignore (no tag) or
 *                                             reject 550 5.6.0
 *   6. otherwise                           -> no tag
 * Every X-Postward-TLS field that arrived with the message is removed whatever the verdict.
 */
#ifndef POSTWARD_POLICY_REQUIRETLS_H
#define POSTWARD_POLICY_REQUIRETLS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "policyfile.h"

#define RTLS_TAG_HEADER "X-Postward-TLS"

enum rtls_header_kind { RTLS_HK_OTHER, RTLS_HK_TLS_REQUIRED, RTLS_HK_TAG };
enum rtls_hdr_value { RTLS_HV_NO, RTLS_HV_OTHER, RTLS_HV_EMPTY };
enum rtls_ret { RTLS_RET_NONE, RTLS_RET_FULL, RTLS_RET_HDRS };
enum rtls_tag { RTLS_TAG_NONE, RTLS_TAG_REQUIRED, RTLS_TAG_OPTIONAL };

struct rtls_mail_args {
	bool requiretls;		/* REQUIRETLS present (any case) */
	bool requiretls_value;		/* ... but written REQUIRETLS=something */
	enum rtls_ret ret;
};

struct rtls_facts {
	bool param;			/* REQUIRETLS parameter given (and accepted) */
	enum rtls_ret ret;
	unsigned n_fields;		/* RequireTLS/TLS-Required fields seen */
	enum rtls_hdr_value value;	/* of the first such field */
	const char *field_name;		/* spelling of the first such field, or NULL */
	const char *sender_domain;	/* lower case, NULL for the null sender */
	const char *auth_user;		/* NULL or "" if not authenticated */
	const struct pw_ipaddr *client;	/* NULL or family 0 if unknown */
	const char *const *rcpt_domains; /* lower case; NULL entries skipped */
	size_t n_rcpts;
};

struct rtls_verdict {
	enum rtls_tag tag;
	bool reject;			/* refuse the message with code/xcode/text */
	const char *code, *xcode, *text;/* static strings */
	bool fields_ignored;		/* TLS-Required fields present but overridden/ignored */
	bool ret_hdrs;			/* ask the MTA for RET=HDRS instead of RET=FULL */
	const struct pw_rule *rule;	/* the matching policy rule, if any (borrowed) */
	const char *matched;		/* the value the rule matched (borrowed from facts) */
	char reason[160];		/* short greppable "why", e.g. "mail-parameter" */
};

/* rtls_parse_mail_args - find REQUIRETLS and RET= among MAIL FROM's ESMTP parameters */
void rtls_parse_mail_args(const char *const *argv, size_t argc, struct rtls_mail_args *out);
/* rtls_check_mail - verdict at MAIL FROM; v->reject set if the command must be refused */
void rtls_check_mail(const struct rtls_mail_args *args, bool session_tls, struct rtls_verdict *v);
/* rtls_header_kind - is NAME a TLS-Required/RequireTLS field, our tag field, or other */
enum rtls_header_kind rtls_header_kind(const char *name);
/* rtls_header_value - classify a TLS-Required field value */
enum rtls_hdr_value rtls_header_value(const char *value);
/* rtls_decide - the end-of-header verdict (see the header comment for the order) */
void rtls_decide(const struct pw_config *cfg, const struct pw_policy *pol,
		 const struct rtls_facts *f, struct rtls_verdict *v);
/* rtls_tag_value - "required" / "optional" / NULL; the byte before a non-NULL result is a
 * space, so rtls_tag_value(t) - 1 is the value with its leading space (" required") */
const char *rtls_tag_value(enum rtls_tag t);
/* rtls_rewrite_ret - copy ARGV into OUT (cap entries) with RET=FULL replaced by RET=HDRS;
 * the strings stay borrowed from ARGV except the static "RET=HDRS"; returns the count */
size_t rtls_rewrite_ret(const char *const *argv, size_t argc, const char **out, size_t cap);

#endif
