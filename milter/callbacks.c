/*
 * milter/callbacks.c - libmilter callbacks.
 * Contract: see callbacks.h.  REQUIRETLS decisions live in policy/requiretls.c, DKIM
 * verification in dkim.c, key lookups in dns.c; this file only collects facts, hands them on
 * and carries verdicts out (tag, Authentication-Results, replies).
 */
#include "build-config.h"
#include "callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "lists/lists.h"
#include "log.h"
#include "mailhdr.h"
#include "requiretls.h"
#include "senderpolicy.h"
#include "session.h"
#include "snapshot.h"

#define CONN(ctx) ((struct pw_conn *)smfi_getpriv(ctx))

/* macro - a macro's value, or NULL when unset or empty */
static const char *macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* bare - the sender as logged inside from=<...>: without the MTA's angle brackets */
static const char *bare(const struct pw_msg *m, char *buf, size_t len)
{
	const char *s = m->sender ? m->sender : "";
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* session_has_tls - do the TLS macros say this session is encrypted */
static bool session_has_tls(SMFICTX *ctx)
{
	return macro(ctx, "{tls_version}") != NULL || macro(ctx, "{cipher}") != NULL;
}

/* internal_error - log and answer per internal_error_action: tempfail (451 4.3.0), or let
 * the message go on unchecked (M, if any, is marked so that end-of-message still strips
 * incoming X-Postward-TLS fields and adds no tag) */
static sfsistat internal_error(SMFICTX *ctx, struct pw_msg *m, const char *what)
{
	struct pw_snapshot *cur = m ? NULL : snapshot_acquire();
	const struct pw_snapshot *snap = m ? m->snap : cur;
	const char *qid = m ? m->qid : NULL;
	bool accept = snap != NULL && snap->cfg.internal_error_action == PW_ERROR_ACCEPT;

	snapshot_release(cur);
	if (accept) {
		pwlog_qid(LOG_ERR, qid, "internal error: %s; passing the message on without a "
			  "REQUIRETLS decision (internal_error_action = accept)", what);
		if (m != NULL)
			m->unchecked = true;
		return SMFIS_CONTINUE;
	}
	pwlog_qid(LOG_ERR, qid, "internal error: %s; tempfail: 451 4.3.0", what);
	smfi_setreply(ctx, "451", "4.3.0", "postward: temporary internal error, try again later");
	return SMFIS_TEMPFAIL;
}

static bool ar_claims(const char *value, const char *authserv);
static bool trusted_spf(struct pw_msg *m, const char *value);

/* pw_negotiate - ask for the actions, steps and macros we need */
static sfsistat pw_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	const unsigned long want = SMFIF_CHGFROM | SMFIF_QUARANTINE | SMFIF_DELRCPT |
				   SMFIF_SETSYMLIST;
	const unsigned long skip = SMFIP_NOUNKNOWN | SMFIP_NODATA;
	struct pw_conn *c = CONN(ctx);
	(void)f2;
	(void)f3;

	if (c == NULL && (c = session_conn_new()) != NULL)
		smfi_setpriv(ctx, c);

	if ((f0 & need) != need) {
		pwlog(LOG_ERR, "the MTA does not offer adding and changing header fields "
		      "(actions 0x%lx); postward cannot tag messages and steps aside", f0);
		return SMFIS_REJECT;
	}
	*pf0 = need | (f0 & want);
	/* DKIM's simple header canonicalisation needs each value exactly as it follows the colon */
	*pf1 = f1 & (skip | SMFIP_HDR_LEADSPC);
	if (c != NULL) {
		c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
		/* no reply per header field and body chunk where the MTA allows it: fewer round
		 * trips (a failure is then answered at end of header or of message) */
		*pf1 |= f1 & (SMFIP_NR_HDR | SMFIP_NR_BODY);
		c->nr_hdr = (f1 & SMFIP_NR_HDR) != 0;
		c->nr_body = (f1 & SMFIP_NR_BODY) != 0;
	}
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_HELO,
				"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM,
				"i {auth_type} {auth_authen} {mail_addr} {tls_version} {cipher}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

/* pw_connect - create the connection record and note the client address */
static sfsistat pw_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct pw_conn *c = CONN(ctx);
	if (c == NULL) {
		if ((c = session_conn_new()) == NULL)
			return internal_error(ctx, NULL, "out of memory at connect");
		smfi_setpriv(ctx, c);
	}
	snprintf(c->client_text, sizeof(c->client_text), "%s", host ? host : "unknown");
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		c->client.family = 4;
		memcpy(c->client.a, &in->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		char text[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) != NULL)
			pw_ip_parse(text, &c->client);	/* folds IPv4-mapped to IPv4 */
	}
	if (c->client.family != 0) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(c->client.family == 4 ? AF_INET : AF_INET6, c->client.a, text,
			  sizeof(text));
		snprintf(c->client_text, sizeof(c->client_text), "%s", text);
	}
	pwlog(LOG_DEBUG, "connect from %s[%s]", host ? host : "unknown", c->client_text);
	return SMFIS_CONTINUE;
}

/* pw_helo - TLS state is known once the (second) EHLO's macros arrive */
static sfsistat pw_helo(SMFICTX *ctx, char *name)
{
	struct pw_conn *c = CONN(ctx);
	if (c != NULL) {
		c->tls = session_has_tls(ctx);
		pwlog(LOG_DEBUG, "helo %s from [%s]: %s", name ? name : "", c->client_text,
		      c->tls ? "TLS session" : "no TLS");
	}
	return SMFIS_CONTINUE;
}

/* pw_envfrom - start a message; refuse REQUIRETLS outside TLS */
static sfsistat pw_envfrom(SMFICTX *ctx, char **argv)
{
	char from[320];
	struct pw_conn *c = CONN(ctx);
	struct pw_snapshot *snap;
	struct pw_msg *m;
	struct rtls_verdict v;
	char domain[256];
	bool tls;

	if (c == NULL) {	/* the MTA skipped connect: make the record now */
		if ((c = session_conn_new()) == NULL)
			return internal_error(ctx, NULL, "out of memory at MAIL FROM");
		smfi_setpriv(ctx, c);
	}
	if ((snap = snapshot_acquire()) == NULL)
		return internal_error(ctx, NULL, "no configuration loaded");
	if ((m = session_msg_begin(c, snap)) == NULL)
		return internal_error(ctx, NULL, "out of memory at MAIL FROM");
	session_set_qid(m, macro(ctx, "i"));
	if (argv[0] != NULL && (m->sender = strdup(argv[0])) == NULL)
		return internal_error(ctx, m, "out of memory at MAIL FROM");
	if (m->sender && pw_addr_domain(m->sender, domain, sizeof(domain)) &&
	    (m->sender_domain = strdup(domain)) == NULL)
		return internal_error(ctx, m, "out of memory at MAIL FROM");
	for (size_t i = 1; argv[0] != NULL && argv[i] != NULL; i++) {
		if (m->n_args == SESSION_MAX_ARGS) {
			pwlog_qid(LOG_WARNING, m->qid, "more than %d ESMTP parameters; "
				  "tempfail: 451 4.3.0", SESSION_MAX_ARGS);
			smfi_setreply(ctx, "451", "4.3.0", "Too many MAIL FROM parameters");
			return SMFIS_TEMPFAIL;
		}
		if ((m->args[m->n_args] = strdup(argv[i])) == NULL)
			return internal_error(ctx, m, "out of memory at MAIL FROM");
		m->n_args++;
	}
	const char *auth = macro(ctx, "{auth_authen}");
	if (auth != NULL && (m->auth_user = strdup(auth)) == NULL)
		return internal_error(ctx, m, "out of memory at MAIL FROM");

	struct dkim_limits lim;
	dkim_limits_default(&lim);
	lim.max_signatures = m->snap->cfg.dkim_max_signatures;
	lim.keys = m->snap->keys;
	if (dkim_new(&lim, time(NULL), &m->dkim) != DKIM_OK)
		return internal_error(ctx, m, "cannot start DKIM verification");

	rtls_parse_mail_args((const char *const *)m->args, m->n_args, &m->margs);
	tls = c->tls || session_has_tls(ctx);
	c->tls = tls;
	rtls_check_mail(&m->margs, tls, &v);
	if (v.reject) {
		pwlog_qid(LOG_NOTICE, m->qid, "reject: MAIL from=<%s> client=[%s]: %s %s %s",
			  bare(m, from, sizeof(from)), c->client_text, v.code, v.xcode, v.text);
		smfi_setreply(ctx, (char *)v.code, (char *)v.xcode, (char *)v.text);
		session_msg_end(c);
		return SMFIS_REJECT;
	}
	pwlog_qid(LOG_DEBUG, m->qid, "MAIL from=<%s> parameters=%zu requiretls=%s tls=%s auth=%s",
		  bare(m, from, sizeof(from)), m->n_args, m->margs.requiretls ? "yes" : "no",
		  tls ? "yes" : "no", m->auth_user ? m->auth_user : "-");
	return SMFIS_CONTINUE;
}

/* pw_envrcpt - remember each recipient's domain */
static sfsistat pw_envrcpt(SMFICTX *ctx, char **argv)
{
	struct pw_conn *c = CONN(ctx);
	struct pw_msg *m = c ? c->msg : NULL;
	char domain[256];

	if (m == NULL)
		return SMFIS_CONTINUE;
	session_set_qid(m, macro(ctx, "i"));
	pwlog_qid(LOG_DEBUG, m->qid, "RCPT to=%s", argv[0] ? argv[0] : "");
	if (argv[0] != NULL) {
		sfsistat r = lists_rcpt(ctx, &m->lists, m->snap, m->qid, argv[0]);
		if (r != SMFIS_CONTINUE)
			return r;
	}
	m->n_rcpts++;
	if (argv[0] != NULL && pw_addr_domain(argv[0], domain, sizeof(domain)) &&
	    !session_add_rcpt_domain(m, domain)) {
		if (m->n_rcpt_domains >= SESSION_MAX_RCPT_DOMAINS) {
			pwlog_qid(LOG_WARNING, m->qid, "more than %d recipient domains; "
				  "tempfail: 452 4.5.3", SESSION_MAX_RCPT_DOMAINS);
			smfi_setreply(ctx, "452", "4.5.3", "Too many recipient domains");
			return SMFIS_TEMPFAIL;
		}
		return internal_error(ctx, m, "out of memory at RCPT TO");
	}
	return SMFIS_CONTINUE;
}

static bool header_facts(struct pw_conn *c, struct pw_msg *m, const char *name, char *value);

/* pw_header - one header field; with SMFIP_NR_HDR negotiated no reply is sent (one round
 * trip less per field) and a failure waits for end-of-header to be answered */
static sfsistat pw_header(SMFICTX *ctx, char *name, char *value)
{
	struct pw_conn *c = CONN(ctx);
	struct pw_msg *m = c ? c->msg : NULL;

	if (m != NULL && !header_facts(c, m, name, value)) {
		if (!c->nr_hdr)
			return internal_error(ctx, m, "out of memory in header");
		m->header_error = true;
	}
	return c != NULL && c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* header_facts - count TLS-Required fields and incoming tags, note From, trusted and forged
 * Authentication-Results, feed DKIM and a list post; false for lack of memory */
static bool header_facts(struct pw_conn *c, struct pw_msg *m, const char *name, char *value)
{
	switch (rtls_header_kind(name)) {
	case RTLS_HK_TLS_REQUIRED:
		if (m->n_fields++ == 0) {
			m->value = rtls_header_value(value);
			if ((m->field_name = strdup(name)) == NULL)
				return false;
		}
		break;
	case RTLS_HK_TAG:
		m->n_tags_in++;
		break;
	case RTLS_HK_OTHER:
		break;
	}
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
	if (m->lists.list != NULL) {
		m->lists.leadspc = c->leadspc;
		lists_header(&m->lists, m->snap, name, value);
	}
	if (m->dkim != NULL && !m->dkim_broken) {
		char *v = value;
		char *spaced = NULL;
		if (!c->leadspc) {	/* the MTA stripped the space after the colon: put it back */
			size_t n = strlen(value);
			if ((spaced = malloc(n + 2)) == NULL)
				return false;
			spaced[0] = ' ';
			memcpy(spaced + 1, value, n + 1);
			v = spaced;
		}
		if (dkim_header(m->dkim, name, v) == DKIM_ERR_NOMEM)
			m->dkim_broken = true;
		free(spaced);
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

/* pw_body - DKIM body hashes */
static sfsistat pw_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct pw_conn *c = CONN(ctx);
	struct pw_msg *m = c ? c->msg : NULL;
	if (m != NULL && m->dkim != NULL && !m->dkim_broken &&
	    dkim_body(m->dkim, chunk, len) == DKIM_ERR_NOMEM)
		m->dkim_broken = true;
	if (m != NULL && m->lists.list != NULL)
		lists_body(&m->lists, m->snap, chunk, len);
	if (c != NULL && c->nr_body)
		return SMFIS_NOREPLY;
	return SMFIS_CONTINUE;
}

/* decide - run the end-of-header decision once */
static void decide(struct pw_conn *c, struct pw_msg *m)
{
	struct rtls_facts f;
	if (m->decided)
		return;
	session_facts(c, m, &f);
	rtls_decide(&m->snap->cfg, &m->snap->pol, &f, &m->verdict);
	pwlog_qid(LOG_DEBUG, m->qid, "decision: fields=%u tags-in=%u rcpt-domains=%zu "
		  "policy-generation=%u -> %s", m->n_fields, m->n_tags_in, m->n_rcpt_domains,
		  m->snap->generation, m->verdict.reason);
	m->decided = true;
}

/* pw_eoh - decide; refuse malformed TLS-Required use before the body is sent */
static sfsistat pw_eoh(SMFICTX *ctx)
{
	char from[320];
	struct pw_conn *c = CONN(ctx);
	struct pw_msg *m = c ? c->msg : NULL;
	const struct rtls_verdict *v;

	if (m == NULL)
		return SMFIS_CONTINUE;
	session_set_qid(m, macro(ctx, "i"));
	if (m->dkim != NULL && !m->dkim_broken && dkim_eoh(m->dkim) == DKIM_ERR_NOMEM)
		m->dkim_broken = true;
	if (m->lists.list != NULL)
		lists_eoh(&m->lists, m->snap);
	if (m->header_error) {	/* deferred from a header callback sent without a reply */
		m->header_error = false;
		sfsistat r = internal_error(ctx, m, "out of memory in header");
		if (r != SMFIS_CONTINUE)
			return r;
	}
	if (m->unchecked)
		return SMFIS_CONTINUE;
	decide(c, m);
	v = &m->verdict;
	if (v->reject) {
		pwlog_qid(LOG_NOTICE, m->qid, "reject: %s %s %s (%s%s%s) from=<%s>", v->code,
			  v->xcode, v->text, v->reason, m->field_name ? " field=" : "",
			  m->field_name ? m->field_name : "", bare(m, from, sizeof(from)));
		smfi_setreply(ctx, (char *)v->code, (char *)v->xcode, (char *)v->text);
		session_msg_end(c);
		return SMFIS_REJECT;
	}
	return SMFIS_CONTINUE;
}

/* log_verdict - the one greppable decision line */
static void log_verdict(const struct pw_msg *m)
{
	char from[320];
	const struct rtls_verdict *v = &m->verdict;
	const char *tag = rtls_tag_value(v->tag);

	if (v->rule != NULL)
		pwlog_qid(LOG_INFO, m->qid, "requiretls=%s reason=policy rule=%s:%u %s=%s",
			  tag, v->rule->file, v->rule->line, pw_selector_name(v->rule->sel),
			  v->matched ? v->matched : "");
	else if (v->tag == RTLS_TAG_OPTIONAL)
		pwlog_qid(LOG_INFO, m->qid, "requiretls=optional reason=header field=%s",
			  m->field_name);
	else if (v->tag == RTLS_TAG_REQUIRED)
		pwlog_qid(LOG_INFO, m->qid, "requiretls=required reason=%s from=<%s>", v->reason,
			  bare(m, from, sizeof(from)));
	else if (strcmp(v->reason, "unknown-value") == 0)
		pwlog_qid(LOG_WARNING, m->qid, "requiretls=none reason=unknown-value field=%s "
			  "(only \"No\" is defined; the field is ignored)", m->field_name);
	else
		pwlog_qid(LOG_INFO, m->qid, "requiretls=none reason=%s", v->reason);
	if (v->fields_ignored)
		pwlog_qid(LOG_INFO, m->qid, "ignored %s field: %s", m->field_name,
			  v->rule ? "a policy rule requires TLS" : "REQUIRETLS parameter given");
}

#define AR_MAX_DKIM	8	/* dkim= results reported in Authentication-Results */
#define AR_SIZE		8192	/* the Authentication-Results value, unfolded */
#define AR_TAIL		1536	/* kept for dkim-adsp=, dmarc= and the summary */
#define AR_RESULT	1024	/* one dkim= result, formatted */
#define AR_FOLDED	(2 * AR_SIZE)	/* folded: at most one octet more per blank */
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

#define SP_MAX_LOOKUPS 8	/* pw_sp_evaluate asks at most 4 */

/* sp_lookups - the answers handed to pw_sp_evaluate, kept until it returns */
struct sp_lookups {
	struct dns_resolver *dns;
	const char *qid;
	size_t n;
	char *joined[SP_MAX_LOOKUPS][DKIM_MAX_RECORDS];	/* owned */
	size_t n_joined[SP_MAX_LOOKUPS];
	const char *txt[SP_MAX_LOOKUPS][DKIM_MAX_RECORDS];
	char why[SP_MAX_LOOKUPS][224];
};

/* sp_lookup - pw_sp_lookup_fn on the validating resolver: bogus and failed lookups are
 * errors, never "no record" */
static void sp_lookup(void *arg, const char *name, bool txt, struct pw_sp_answer *out)
{
	struct sp_lookups *L = arg;
	struct dns_answer a;
	size_t slot;

	out->kind = PW_SP_DNS_ERROR;
	out->secure = false;
	if (L->n == SP_MAX_LOOKUPS) {
		out->why = "lookup limit reached";
		return;
	}
	slot = L->n++;
	dns_lookup(L->dns, name, txt ? LDNS_RR_TYPE_TXT : LDNS_RR_TYPE_A, &a);
	out->secure = a.sec == DNS_SEC_SECURE;
	if (a.kind == DNS_TEMPFAIL || a.sec == DNS_SEC_BOGUS) {
		snprintf(L->why[slot], sizeof(L->why[slot]), "%s %s: %s", dns_kind_name(a.kind),
			 dns_security_name(a.sec), a.why);
		out->why = L->why[slot];
		pwlog_qid(LOG_WARNING, L->qid, "practice lookup %s %s: %s", name,
			  txt ? "TXT" : "A", L->why[slot]);
	} else if (a.kind == DNS_NXDOMAIN) {
		out->kind = PW_SP_DNS_NXDOMAIN;
	} else if (a.kind == DNS_NODATA) {
		out->kind = PW_SP_DNS_NODATA;
	} else {
		out->kind = PW_SP_DNS_RECORDS;
		for (size_t k = 0; txt && a.rrs && k < ldns_rr_list_rr_count(a.rrs) &&
		     L->n_joined[slot] < DKIM_MAX_RECORDS; k++) {
			char *j = dns_txt_join(&a, k);
			if (j == NULL)
				continue;
			L->joined[slot][L->n_joined[slot]] = j;
			L->txt[slot][L->n_joined[slot]++] = j;
		}
		out->txt = L->txt[slot];
		out->n_txt = L->n_joined[slot];
		if (txt && a.rrs && ldns_rr_list_rr_count(a.rrs) > DKIM_MAX_RECORDS) {
			/* more records than we look at: report them as several (none used) */
			out->n_txt = ldns_rr_list_rr_count(a.rrs);
			if (out->n_txt > DKIM_MAX_RECORDS)
				out->n_txt = DKIM_MAX_RECORDS;
		}
	}
	dns_answer_clear(&a);
}

/* practices - evaluate ADSP and DMARC for M (SIGS: its N DKIM results), log them and
 * append their resinfos to AR; the local action goes into *DEC */
static size_t practices(struct pw_msg *m, const struct pw_sp_sig *sigs, size_t n, char *ar,
			size_t len, size_t used, struct pw_sp_decision *dec)
{
	struct pw_sp_input in = { 0 };
	struct pw_sp_result res;
	struct sp_lookups *L;
	char domain[PW_DOMAIN_MAX + 1] = "", why[128] = "";
	size_t nbox = 0;

	memset(dec, 0, sizeof(*dec));
	dec->action = PW_SP_ACCEPT;
	if (!m->snap->dmarc && !m->snap->adsp)
		return used;
	if ((L = calloc(1, sizeof(*L))) == NULL) {
		pwlog_qid(LOG_ERR, m->qid, "out of memory for the practice lookups: tempfail");
		dec->action = PW_SP_TEMPFAIL;
		snprintf(dec->code, sizeof(dec->code), "451");
		snprintf(dec->xcode, sizeof(dec->xcode), "4.3.0");
		snprintf(dec->text, sizeof(dec->text), "postward: temporary internal error");
		return used;
	}
	L->dns = m->snap->dns;
	L->qid = m->qid;
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
	in.sample = arc4random_uniform(100);
	in.lookup = sp_lookup;
	in.lookup_arg = L;
	pw_sp_evaluate(&in, &res);
	for (size_t i = 0; i < L->n; i++)
		for (size_t k = 0; k < L->n_joined[i]; k++)
			free(L->joined[i][k]);
	free(L);

	if (res.dmarc_checked)
		pwlog_qid(LOG_INFO, m->qid, "dmarc=%s header.from=%s policy=%s disposition=%s "
			  "dnssec=%s record=%s dkim-aligned=%s spf-aligned=%s (%s)",
			  pw_dmarc_result_name(res.dmarc), res.from_domain[0] ? res.from_domain : "-",
			  pw_dmarc_policy_name(res.dmarc_policy),
			  pw_dmarc_policy_name(res.dmarc_disposition),
			  res.dmarc_sec == PW_SP_NOLOOKUP ? "no-lookup" : pw_sp_dnssec_name(res.dmarc_sec),
			  res.dmarc_record_domain[0] ? res.dmarc_record_domain : "-",
			  res.dkim_aligned ? "yes" : "no", res.spf_aligned ? "yes" : "no",
			  res.dmarc_why);
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
static bool authres(struct pw_msg *m, bool c_leadspc, char *ar, size_t len,
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

/* write_results - remove forged Authentication-Results and practice fields, insert ours (AR;
 * NULL: none) at the top (RFC 8601 section 5), quarantine or add a header as DEC says; false
 * if the MTA refused a change */
static bool write_results(SMFICTX *ctx, struct pw_msg *m, bool c_leadspc, const char *ar,
			  const struct pw_sp_decision *dec)
{
	const char *authserv = m->snap->authserv_id;

	for (unsigned i = m->n_ar_ours; i >= 1; i--)
		if (smfi_chgheader(ctx, "Authentication-Results", (int)m->ar_ours[i - 1], NULL) !=
		    MI_SUCCESS)
			return false;
	if (m->n_ar_ours)
		pwlog_qid(LOG_NOTICE, m->qid, "removed %u Authentication-Results field(s) claiming "
			  "authserv-id %s", m->n_ar_ours, authserv);
	for (unsigned i = m->n_practice_in; i >= 1; i--)
		if (smfi_chgheader(ctx, PW_SP_HEADER, (int)i, NULL) != MI_SUCCESS)
			return false;
	if (m->n_practice_in)
		pwlog_qid(LOG_NOTICE, m->qid, "removed %u " PW_SP_HEADER " field(s) that arrived "
			  "with the message", m->n_practice_in);
	if (ar == NULL)		/* unchecked (internal error): only the forged fields go */
		return true;
	if (smfi_insheader(ctx, 0, "Authentication-Results", (char *)ar) != MI_SUCCESS)
		return false;
	bool add = dec->action == PW_SP_ADD_HEADER;
	if (dec->action == PW_SP_QUARANTINE &&
	    smfi_quarantine(ctx, (char *)dec->text) != MI_SUCCESS) {
		/* the MTA did not offer quarantine: never lose or tempfail the message for it */
		pwlog_qid(LOG_WARNING, m->qid, "the MTA refused to quarantine the message; added "
			  PW_SP_HEADER " instead");
		add = true;
	}
	if (add) {
		char v[sizeof(dec->header) + 2];
		snprintf(v, sizeof(v), "%s%s", c_leadspc ? " " : "", dec->header);
		if (smfi_addheader(ctx, PW_SP_HEADER, v) != MI_SUCCESS)
			return false;
	}
	return true;
}

/* pw_eom - verify, decide the practice action, then remove spoofed fields, add ours, ask
 * for RET=HDRS */
static sfsistat pw_eom(SMFICTX *ctx)
{
	struct pw_conn *c = CONN(ctx);
	struct pw_msg *m = c ? c->msg : NULL;
	struct pw_sp_decision dec;
	const char *tag;
	char ar[AR_FOLDED];

	memset(&dec, 0, sizeof(dec));
	dec.action = PW_SP_ACCEPT;
	if (m == NULL)
		return SMFIS_CONTINUE;
	session_set_qid(m, macro(ctx, "i"));
	if (!m->unchecked) {
		decide(c, m);
		if (m->verdict.reject)	/* the MTA skipped end-of-header */
			return pw_eoh(ctx);
		if (!authres(m, c->leadspc, ar, sizeof(ar), &dec))
			return internal_error(ctx, m, "out of memory at end of message");
		if (dec.action == PW_SP_REJECT || dec.action == PW_SP_TEMPFAIL) {
			smfi_setreply(ctx, dec.code, dec.xcode, dec.text);
			session_msg_end(c);
			return dec.action == PW_SP_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
		}
	}
	if (m->lists.list != NULL) {	/* a post to an encrypted list (lists.h) */
		bool handled;
		sfsistat r = lists_eom(ctx, &m->lists, m->snap, m->qid, m->sender,
				       !m->unchecked && m->verdict.tag == RTLS_TAG_REQUIRED,
				       &handled);
		if (handled && r != SMFIS_CONTINUE) {
			session_msg_end(c);
			return r;
		}
	}
	/* delete from the last occurrence down, so earlier indexes stay valid */
	for (unsigned i = m->n_tags_in; i >= 1; i--)
		if (smfi_chgheader(ctx, RTLS_TAG_HEADER, (int)i, NULL) != MI_SUCCESS)
			return internal_error(ctx, m,
					      "cannot remove an incoming " RTLS_TAG_HEADER " field");
	if (m->n_tags_in)
		pwlog_qid(LOG_NOTICE, m->qid, "removed %u " RTLS_TAG_HEADER " field(s) that "
			  "arrived with the message", m->n_tags_in);
	if (!write_results(ctx, m, c->leadspc, m->unchecked ? NULL : ar, &dec))
		return internal_error(ctx, m, "cannot write the Authentication-Results field");
	if (m->unchecked) {
		pwlog_qid(LOG_WARNING, m->qid, "requiretls=none reason=internal-error (message "
			  "passed on unchecked)");
		session_msg_end(c);
		return SMFIS_CONTINUE;
	}
	if ((tag = rtls_tag_value(m->verdict.tag)) != NULL &&
	    smfi_addheader(ctx, RTLS_TAG_HEADER, (char *)(c->leadspc ? tag - 1 : tag)) != MI_SUCCESS)
		return internal_error(ctx, m, "cannot add the " RTLS_TAG_HEADER
				      " field");
	if (m->verdict.ret_hdrs) {
		const char *args[SESSION_MAX_ARGS + 1];
		size_t n = rtls_rewrite_ret((const char *const *)m->args, m->n_args, args,
					    SESSION_MAX_ARGS);
		char joined[2048];
		size_t used = 0;
		joined[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			int k = snprintf(joined + used, sizeof(joined) - used, "%s%s",
					 i ? " " : "", args[i]);
			if (k < 0 || (size_t)k >= sizeof(joined) - used)
				return internal_error(ctx, m, "ESMTP parameters too long");
			used += (size_t)k;
		}
		if (smfi_chgfrom(ctx, m->sender, joined) == MI_SUCCESS)
			pwlog_qid(LOG_INFO, m->qid, "RET=FULL with REQUIRETLS: asked the MTA for "
				  "RET=HDRS");
		else
			pwlog_qid(LOG_WARNING, m->qid, "RET=FULL with REQUIRETLS: the MTA refused "
				  "the change to RET=HDRS");
	}
	log_verdict(m);
	session_msg_end(c);
	return SMFIS_CONTINUE;
}

/* pw_abort - the message ends without end-of-message */
static sfsistat pw_abort(SMFICTX *ctx)
{
	session_msg_end(CONN(ctx));
	return SMFIS_CONTINUE;
}

/* pw_close - the connection ends */
static sfsistat pw_close(SMFICTX *ctx)
{
	session_conn_free(CONN(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "postward",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_QUARANTINE |
		      SMFIF_DELRCPT | SMFIF_SETSYMLIST,
	.xxfi_connect = pw_connect,
	.xxfi_helo = pw_helo,
	.xxfi_envfrom = pw_envfrom,
	.xxfi_envrcpt = pw_envrcpt,
	.xxfi_header = pw_header,
	.xxfi_eoh = pw_eoh,
	.xxfi_body = pw_body,
	.xxfi_eom = pw_eom,
	.xxfi_abort = pw_abort,
	.xxfi_close = pw_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = pw_negotiate,
};

/* callbacks_desc - the description */
struct smfiDesc *callbacks_desc(void)
{
	return &desc;
}
