/*
 * milter/callbacks.c - libmilter callbacks.
 * Contract: see callbacks.h.  REQUIRETLS decisions live in policy/requiretls.c, DKIM
 * verification in dkim/dkim.c, the sender practices and the Authentication-Results value in
 * dkim/authres.c, key lookups in dns/dns.c; this file only collects facts, hands them on and
 * carries verdicts out (tag, Authentication-Results, replies).
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

#include "dkim/authres.h"
#include "lists/lists.h"
#include "log.h"
#include "requiretls.h"
#include "requiretls/rcpt.h"
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

/* pw_envrcpt - remember each recipient's domain; a REQUIRETLS message's recipient whose
 * domain cannot receive it is refused here */
static sfsistat pw_envrcpt(SMFICTX *ctx, char **argv)
{
	struct pw_conn *c = CONN(ctx);
	struct pw_msg *m = c ? c->msg : NULL;
	char domain[256];
	bool list = false;

	if (m == NULL)
		return SMFIS_CONTINUE;
	session_set_qid(m, macro(ctx, "i"));
	pwlog_qid(LOG_DEBUG, m->qid, "RCPT to=%s", argv[0] ? argv[0] : "");
	if (argv[0] != NULL) {
		sfsistat r = lists_rcpt(ctx, &m->lists, m->snap, m->qid, argv[0], &list);
		if (r != SMFIS_CONTINUE)
			return r;
	}
	bool has_domain = argv[0] != NULL && pw_addr_domain(argv[0], domain, sizeof(domain));
	if (argv[0] != NULL) {	/* REQUIRETLS: can this domain receive it (requiretls/rcpt.h) */
		sfsistat r = requiretls_rcpt(ctx, c, m, argv[0], has_domain ? domain : NULL, list);
		if (r != SMFIS_CONTINUE)
			return r;
	}
	m->n_rcpts++;
	if (has_domain && !session_add_rcpt_domain(m, domain)) {
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
	if (!authres_header(m, name, value))
		return false;
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
