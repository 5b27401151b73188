/*
 * policy/requiretls.c - REQUIRETLS decisions.
 * Contract and decision order: see requiretls.h.  Pure C, no I/O.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "requiretls.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* rtls_parse_mail_args - scan ESMTP parameters */
void rtls_parse_mail_args(const char *const *argv, size_t argc, struct rtls_mail_args *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a == NULL)
			continue;
		if (strncasecmp(a, "REQUIRETLS", 10) == 0 && (a[10] == '\0' || a[10] == '=')) {
			out->requiretls = true;
			if (a[10] == '=')
				out->requiretls_value = true;
		} else if (strncasecmp(a, "RET=", 4) == 0) {
			if (strcasecmp(a + 4, "FULL") == 0)
				out->ret = RTLS_RET_FULL;
			else if (strcasecmp(a + 4, "HDRS") == 0)
				out->ret = RTLS_RET_HDRS;
		}
	}
}

/* set_reply - fill the reject part of a verdict */
static void set_reply(struct rtls_verdict *v, const char *code, const char *xcode,
		      const char *text, const char *reason)
{
	v->reject = true;
	v->code = code;
	v->xcode = xcode;
	v->text = text;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

/* rtls_check_mail - MAIL FROM verdict */
void rtls_check_mail(const struct rtls_mail_args *args, bool session_tls, struct rtls_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!args->requiretls)
		return;
	if (args->requiretls_value)
		set_reply(v, "501", "5.5.4", "REQUIRETLS takes no value", "requiretls-value");
	else if (!session_tls)
		set_reply(v, "530", "5.7.10", "REQUIRETLS requires a TLS session",
			  "requiretls-without-tls");
}

/* rtls_header_kind - classify a field name */
enum rtls_header_kind rtls_header_kind(const char *name)
{
	if (name == NULL)
		return RTLS_HK_OTHER;
	if (strcasecmp(name, "TLS-Required") == 0 || strcasecmp(name, "RequireTLS") == 0)
		return RTLS_HK_TLS_REQUIRED;
	if (strcasecmp(name, RTLS_TAG_HEADER) == 0)
		return RTLS_HK_TAG;
	return RTLS_HK_OTHER;
}

/* skip_cfws - skip folding white space and (nested) comments; NULL if a comment is open */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		int depth = 0;
		do {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (depth > 0 && *p != '\0');
		if (depth > 0)
			return NULL;
	}
}

/* rtls_header_value - "No" with optional CFWS around it, any case */
enum rtls_hdr_value rtls_header_value(const char *value)
{
	const char *p, *w;
	if (value == NULL || (p = skip_cfws(value)) == NULL)
		return value != NULL && *value ? RTLS_HV_OTHER : RTLS_HV_EMPTY;
	if (*p == '\0')
		return RTLS_HV_EMPTY;
	w = p;
	while (*p != '\0' && *p != '(' && !isspace((unsigned char)*p))
		p++;
	if ((size_t)(p - w) != 2 || strncasecmp(w, "no", 2) != 0)
		return RTLS_HV_OTHER;
	p = skip_cfws(p);
	return p != NULL && *p == '\0' ? RTLS_HV_NO : RTLS_HV_OTHER;
}

/* rtls_tag_value - the tag field's value */
const char *rtls_tag_value(enum rtls_tag t)
{
	/* each value is preceded by a space in the same string, for callers that need the
	 * field text as it follows the colon: rtls_tag_value(t) - 1 is " required" */
	static const char req[] = " required", opt[] = " optional";
	switch (t) {
	case RTLS_TAG_REQUIRED:
		return req + 1;
	case RTLS_TAG_OPTIONAL:
		return opt + 1;
	case RTLS_TAG_NONE:
		break;
	}
	return NULL;
}

/* match_rules - the first require_tls rule that matches the facts */
static const struct pw_rule *match_rules(const struct pw_policy *pol,
					 const struct rtls_facts *f, const char **matched)
{
	if (pol == NULL)
		return NULL;
	for (size_t i = 0; i < pol->n_tls_rules; i++) {
		const struct pw_rule *r = &pol->tls_rules[i];
		switch (r->sel) {
		case PW_SEL_SENDER_DOMAIN:
			if (f->sender_domain && pw_domain_match(r->pattern, f->sender_domain)) {
				*matched = f->sender_domain;
				return r;
			}
			break;
		case PW_SEL_RECIPIENT_DOMAIN:
			for (size_t j = 0; j < f->n_rcpts; j++)
				if (f->rcpt_domains[j] &&
				    pw_domain_match(r->pattern, f->rcpt_domains[j])) {
					*matched = f->rcpt_domains[j];
					return r;
				}
			break;
		case PW_SEL_AUTH_USER:
			if (f->auth_user && *f->auth_user && strcmp(r->pattern, f->auth_user) == 0) {
				*matched = f->auth_user;
				return r;
			}
			break;
		case PW_SEL_CLIENT_NETWORK:
			if (f->client && pw_network_contains(&r->net, f->client)) {
				*matched = r->pattern;
				return r;
			}
			break;
		}
	}
	return NULL;
}

/* rtls_decide - the end-of-header verdict */
void rtls_decide(const struct pw_config *cfg, const struct pw_policy *pol,
		 const struct rtls_facts *f, struct rtls_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (f->param) {
		v->tag = RTLS_TAG_REQUIRED;
		v->fields_ignored = f->n_fields > 0;
		v->ret_hdrs = f->ret == RTLS_RET_FULL && cfg->requiretls_ret_hdrs;
		snprintf(v->reason, sizeof(v->reason), "mail-parameter");
		return;
	}
	if (f->n_fields > 1) {
		set_reply(v, "550", "5.6.0", "Message has more than one TLS-Required header field",
			  "duplicate-field");
		return;
	}
	if ((v->rule = match_rules(pol, f, &v->matched)) != NULL) {
		v->tag = RTLS_TAG_REQUIRED;
		v->fields_ignored = f->n_fields > 0;
		snprintf(v->reason, sizeof(v->reason), "policy");
		return;
	}
	if (f->n_fields == 1) {
		if (f->value == RTLS_HV_NO) {
			v->tag = RTLS_TAG_OPTIONAL;
			snprintf(v->reason, sizeof(v->reason), "header");
			return;
		}
		if (cfg->tls_required_unknown == PW_UNKNOWN_REJECT) {
			set_reply(v, "550", "5.6.0", "Unrecognized TLS-Required header field value",
				  "unknown-value");
			return;
		}
		snprintf(v->reason, sizeof(v->reason), "unknown-value");
		return;
	}
	snprintf(v->reason, sizeof(v->reason), "no-request");
}

/* rtls_rewrite_ret - ESMTP args with RET=FULL turned into RET=HDRS */
size_t rtls_rewrite_ret(const char *const *argv, size_t argc, const char **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < argc && n < cap; i++) {
		if (argv[i] == NULL)
			continue;
		if (strcasecmp(argv[i], "RET=FULL") == 0)
			out[n++] = "RET=HDRS";
		else
			out[n++] = argv[i];
	}
	return n;
}
