/*
 * tests/unit/check_senderpolicy.c - policy/senderpolicy.c: the ADSP (RFC 5617 sections 3,
 * 4.3, 5.4) and DMARC (RFC 7489 sections 3.1, 3.2, 6.3, 6.6.2-6.6.4) results of one message,
 * the "no lookup with a first-party signature" rule (RFC 5016 5.3.9), their DNSSEC status,
 * the Authentication-Results text (RFC 8601), and the "practice" rules with the built-in
 * defaults.  Contract: policy/senderpolicy.h (record parsing, PSL and alignment from
 * policy/practice.h).
 *
 * A stand-alone Check program with its own main() (define CHECK_SENDERPOLICY_NO_MAIN to use
 * senderpolicy_suite() from another runner); exits non-zero on any failure.
 *
 * DNS is a fake lookup function driven by a table of (name, TXT or address question, answer
 * kind, DNSSEC secure, TXT records).  It records every question as "TXT name" or "ADDR name";
 * every evaluation test asserts the exact list of questions, in order, and that the result's
 * lookup count agrees.  A name missing from a test's table is answered NXDOMAIN, not secure
 * (and still recorded, so an unexpected question fails the query-list assertion).
 * The organisational-domain cases use a small Public Suffix List built here
 * ("com", "co.uk", "*.ck", "!www.ck", "example"); a few use no list (default rule only).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* strtok_r, strcasecmp */
#endif
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/senderpolicy.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

Suite *senderpolicy_suite(void);

/* ---- fake DNS -------------------------------------------------------------------------- */

#define FAKE_MAX_TXT 4		/* TXT records per answer */
#define FAKE_MAX_Q 32		/* questions remembered per evaluation */

struct fake_rr {
	const char *name;			/* compared without regard to case */
	bool txt;				/* TXT question, or address (existence) question */
	enum pw_sp_dns kind;
	bool secure;
	const char *rr[FAKE_MAX_TXT];		/* RECORDS of a TXT question, NULL-terminated */
	const char *why;			/* ERROR */
};

struct fake_dns {
	const struct fake_rr *rr;
	size_t n_rr;
	size_t n_calls;
	char asked[FAKE_MAX_Q][PW_DOMAIN_MAX + 48];
};

/* fake_lookup - answer NAME from the table; unknown names are NXDOMAIN, not secure */
static void fake_lookup(void *arg, const char *name, bool txt, struct pw_sp_answer *out)
{
	struct fake_dns *fd = arg;

	ck_assert_ptr_nonnull(name);
	if (fd->n_calls < FAKE_MAX_Q)
		snprintf(fd->asked[fd->n_calls], sizeof(fd->asked[0]), "%s %s",
			 txt ? "TXT" : "ADDR", name);
	fd->n_calls++;
	for (size_t i = 0; i < fd->n_rr; i++) {
		const struct fake_rr *e = &fd->rr[i];
		size_t n = 0;
		if (e->txt != txt || strcasecmp(e->name, name) != 0)
			continue;
		while (n < FAKE_MAX_TXT && e->rr[n] != NULL)
			n++;
		out->kind = e->kind;
		out->secure = e->secure;
		out->txt = e->kind == PW_SP_DNS_RECORDS && txt ? e->rr : NULL;
		out->n_txt = e->kind == PW_SP_DNS_RECORDS && txt ? n : 0;
		out->why = e->why;
		return;
	}
	out->kind = PW_SP_DNS_NXDOMAIN;
	out->secure = false;
	out->txt = NULL;
	out->n_txt = 0;
	out->why = NULL;
}

/* asked_list - every question asked, for failure messages (static buffer) */
static const char *asked_list(const struct fake_dns *fd)
{
	static char buf[FAKE_MAX_Q * (PW_DOMAIN_MAX + 50)];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < fd->n_calls && i < FAKE_MAX_Q; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s\"%s\"", i ? ", " : "",
					 fd->asked[i]);
	return buf;
}

/* check_queries - exactly the questions WANT (NULL-terminated), in order */
static void check_queries(const struct fake_dns *fd, const struct pw_sp_result *res,
			  const char *const *want, int line)
{
	size_t n = 0;

	while (want[n] != NULL)
		n++;
	ck_assert_msg(fd->n_calls == n, "line %d: %zu questions [%s], expected %zu", line,
		      fd->n_calls, asked_list(fd), n);
	ck_assert_msg(res->lookups == n, "line %d: result counts %u lookups, expected %zu", line,
		      res->lookups, n);
	for (size_t i = 0; i < n && i < FAKE_MAX_Q; i++)
		ck_assert_msg(strcmp(fd->asked[i], want[i]) == 0,
			      "line %d: question %zu is \"%s\", expected \"%s\" (all: [%s])", line, i,
			      fd->asked[i], want[i], asked_list(fd));
}

#define ck_assert_queries(fd, res, ...) \
	check_queries((fd), (res), (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)
#define ck_assert_no_queries(fd, res) \
	check_queries((fd), (res), (const char *const[]){ NULL }, __LINE__)

#define ck_assert_adsp(res, want) \
	ck_assert_msg((res)->adsp == (want), "dkim-adsp=%s (%s), expected %s", \
		      pw_adsp_result_name((res)->adsp), (res)->adsp_why, pw_adsp_result_name(want))
#define ck_assert_dmarc(res, want) \
	ck_assert_msg((res)->dmarc == (want), "dmarc=%s (%s), expected %s", \
		      pw_dmarc_result_name((res)->dmarc), (res)->dmarc_why, \
		      pw_dmarc_result_name(want))
#define ck_assert_sec(got, want) \
	ck_assert_msg((got) == (want), "DNSSEC %s, expected %s", pw_sp_dnssec_name(got), \
		      pw_sp_dnssec_name(want))
#define ck_assert_policy(got, want) \
	ck_assert_msg((got) == (want), "policy %s, expected %s", pw_dmarc_policy_name(got), \
		      pw_dmarc_policy_name(want))
#define ck_assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", \
		      (hay), (needle))

/* ---- fixtures ---------------------------------------------------------------------------- */

static const char test_psl[] = "com\nco.uk\n*.ck\n!www.ck\nexample\n";
static struct pw_psl *psl;

/* psl_setup - parse the list above */
static void psl_setup(void)
{
	char err[64] = "";
	psl = pw_psl_parse(test_psl, sizeof(test_psl) - 1, 0, err, sizeof(err));
	ck_assert_msg(psl != NULL, "pw_psl_parse: %s", err);
}

/* psl_teardown - free it */
static void psl_teardown(void)
{
	pw_psl_free(psl);
	psl = NULL;
}

/* message - one well-formed From with domain FROM, both methods, no signatures, no SPF */
static struct pw_sp_input message(const char *from, struct fake_dns *fd)
{
	struct pw_sp_input in;

	memset(&in, 0, sizeof(in));
	in.n_from_fields = 1;
	in.from_status = PW_FROM_OK;
	in.n_from_mailboxes = 1;
	in.from_domain = from;
	in.psl = psl;
	in.adsp = true;
	in.dmarc = true;
	in.lookup = fake_lookup;
	in.lookup_arg = fd;
	return in;
}

#define FAKE(fd, table) \
	do { \
		memset(&(fd), 0, sizeof(fd)); \
		(fd).rr = (table); \
		(fd).n_rr = NELEM(table); \
	} while (0)

#define RR_TXT(name, sec, ...) { name, true, PW_SP_DNS_RECORDS, sec, { __VA_ARGS__ }, NULL }
#define RR_NODATA(name, txt, sec) { name, txt, PW_SP_DNS_NODATA, sec, { NULL }, NULL }
#define RR_NX(name, txt, sec) { name, txt, PW_SP_DNS_NXDOMAIN, sec, { NULL }, NULL }
#define RR_ERR(name, txt, why) { name, txt, PW_SP_DNS_ERROR, false, { NULL }, why }
#define RR_EXISTS(name, sec) { name, false, PW_SP_DNS_RECORDS, sec, { NULL }, NULL }

/* ---- From problems (RFC 7489 6.6.1): permerror, no lookups -------------------------------- */

/* expect_from_permerror - both methods permerror with WHY, nothing asked */
static void expect_from_permerror(const struct pw_sp_input *in, const char *why)
{
	struct fake_dns *fd = in->lookup_arg;
	struct pw_sp_result res;

	pw_sp_evaluate(in, &res);
	ck_assert_no_queries(fd, &res);
	ck_assert(res.adsp_checked && res.dmarc_checked);
	ck_assert_adsp(&res, PW_ADSP_R_PERMERROR);
	ck_assert_dmarc(&res, PW_DMARC_R_PERMERROR);
	ck_assert_has(res.adsp_why, why);
	ck_assert_has(res.dmarc_why, why);
	ck_assert_str_eq(res.from_domain, "");
	ck_assert_sec(res.adsp_sec, PW_SP_NOLOOKUP);
	ck_assert_sec(res.dmarc_sec, PW_SP_NOLOOKUP);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_UNSPEC);
}

/* from_field_count - no From field or two: permerror */
START_TEST(from_field_count)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message("example.com", &fd);

	in.n_from_fields = 0;
	expect_from_permerror(&in, "0 From fields");
	memset(&fd, 0, sizeof(fd));
	in.n_from_fields = 2;
	expect_from_permerror(&in, "2 From fields");
}
END_TEST

/* from_syntax - an unparsable From: permerror, the parser's reason kept */
START_TEST(from_syntax)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message(NULL, &fd);

	in.from_status = PW_FROM_SYNTAX;
	in.from_why = "unterminated quoted string";
	in.n_from_mailboxes = 0;
	expect_from_permerror(&in, "unterminated quoted string");
}
END_TEST

/* from_nodomain - a mailbox without a usable domain: permerror */
START_TEST(from_nodomain)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message("", &fd);

	in.from_status = PW_FROM_NODOMAIN;
	in.from_why = "domain literal";
	expect_from_permerror(&in, "domain literal");
}
END_TEST

/* from_mailbox_count - an empty group (0 mailboxes) or 2 mailboxes: permerror */
START_TEST(from_mailbox_count)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message("example.com", &fd);

	in.n_from_mailboxes = 0;
	expect_from_permerror(&in, "0 From addresses");
	memset(&fd, 0, sizeof(fd));
	in.n_from_mailboxes = 2;
	expect_from_permerror(&in, "2 From addresses");
}
END_TEST

/* from_domain_unusable - NULL, empty or over-long domain with status OK: permerror */
START_TEST(from_domain_unusable)
{
	struct fake_dns fd = { 0 };
	char longname[PW_DOMAIN_MAX + 8];
	struct pw_sp_input in = message(NULL, &fd);

	expect_from_permerror(&in, "From domain");
	memset(&fd, 0, sizeof(fd));
	in.from_domain = "";
	expect_from_permerror(&in, "From domain");
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + PW_DOMAIN_MAX + 1 - 4, ".com", 5);	/* 254 octets */
	ck_assert_uint_eq(strlen(longname), PW_DOMAIN_MAX + 1);
	memset(&fd, 0, sizeof(fd));
	in.from_domain = longname;
	expect_from_permerror(&in, "From domain");
}
END_TEST

/* nothing_checked - neither method checked: nothing asked, nothing reported */
START_TEST(nothing_checked)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message("example.com", &fd);
	struct pw_sp_result res;

	in.adsp = in.dmarc = false;
	pw_sp_evaluate(&in, &res);
	ck_assert_no_queries(&fd, &res);
	ck_assert(!res.adsp_checked && !res.dmarc_checked);
}
END_TEST

/* ---- first-party signatures (RFC 5016 5.3.9, RFC 5617 3.1, 5.4 "pass") ------------------- */

/* first_party_no_lookup - a passing d= equal to the author domain (any case, trailing dot):
 * no ADSP lookup; DMARC fetches its record only, and passes with it, is none without it */
START_TEST(first_party_no_lookup)
{
	static const struct pw_sp_sig sigs[] = {
		{ "other.example", true, false }, { "example.com", false, false }, { "EXAMPLE.Com.", true, false },
	};
	static const struct fake_rr rec[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, rec);
	in = message("example.com", &fd);
	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_PASS);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert_sec(res.adsp_sec, PW_SP_NOLOOKUP);
	ck_assert_sec(res.dmarc_sec, PW_SP_SECURE);
	ck_assert(res.dkim_aligned);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
	ck_assert_str_eq(res.from_domain, "example.com");

	/* no DMARC record anywhere: none, even with the first-party signature (RFC 7489 11.2) */
	memset(&fd, 0, sizeof(fd));
	in = message("example.com", &fd);
	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_PASS);
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
}
END_TEST

/* first_party_author_normalised - the author domain's case and trailing dot do not matter */
START_TEST(first_party_author_normalised)
{
	static const struct pw_sp_sig sigs[] = { { "example.com", true, false } };
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message("Example.COM.", &fd);
	struct pw_sp_result res;

	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_PASS);
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);	/* the fake has no record */
	ck_assert_str_eq(res.from_domain, "example.com");
}
END_TEST

/* first_party_failing_signature - d= equal but dkim=fail is no first-party signature */
START_TEST(first_party_failing_signature)
{
	static const struct pw_sp_sig sigs[] = { { "example.com", false, false } };
	static const struct fake_rr dns[] = {
		RR_EXISTS("example.com", true),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("example.com", &fd);
	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "ADDR example.com", "TXT _adsp._domainkey.example.com",
			  "TXT _dmarc.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_FAIL);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert(!res.dkim_aligned);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_REJECT);
}
END_TEST

/* parent_signature_not_first_party - d=example.com for mail.example.com: practices are looked
 * up; ADSP needs an exact d= (fail), DMARC passes under adkim=r only (RFC 7489 3.1.1) */
START_TEST(parent_signature_not_first_party)
{
	static const struct pw_sp_sig sigs[] = { { "example.com", true, false } };
	static const struct fake_rr relaxed[] = {
		RR_EXISTS("mail.example.com", true),
		RR_TXT("_adsp._domainkey.mail.example.com", true, "dkim=all"),
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject"),
	};
	static const struct fake_rr strict[] = {
		RR_EXISTS("mail.example.com", true),
		RR_TXT("_adsp._domainkey.mail.example.com", true, "dkim=all"),
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject; adkim=s"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, relaxed);
	in = message("mail.example.com", &fd);
	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "ADDR mail.example.com",
			  "TXT _adsp._domainkey.mail.example.com", "TXT _dmarc.mail.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_FAIL);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert(res.dkim_aligned);
	ck_assert(!res.spf_aligned);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);

	FAKE(fd, strict);
	pw_sp_evaluate(&in, &res);
	ck_assert_uint_eq(res.lookups, 3);
	ck_assert_adsp(&res, PW_ADSP_R_FAIL);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert(!res.dkim_aligned);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_REJECT);
}
END_TEST

/* ---- ADSP (RFC 5617 4.3, 5.4) ------------------------------------------------------------ */

static const struct {
	const char *what;
	struct fake_rr author;		/* the address (existence) question */
	struct fake_rr adsp;		/* the _adsp TXT question */
	enum pw_adsp_result want;
	unsigned lookups;
	const char *why;		/* substring of adsp_why */
} adsp_cases[] = {
	{ "no record (NXDOMAIN)", RR_EXISTS("example.com", true),
	  RR_NX("_adsp._domainkey.example.com", true, true), PW_ADSP_R_NONE, 2, "no record" },
	{ "no record (NODATA)", RR_NODATA("example.com", false, true),
	  RR_NODATA("_adsp._domainkey.example.com", true, true), PW_ADSP_R_NONE, 2, "no record" },
	{ "invalid record", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "v=spf1 -all"), PW_ADSP_R_NONE, 2,
	  "invalid" },
	{ "empty dkim= value", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim="), PW_ADSP_R_NONE, 2, "invalid" },
	{ "two records", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=all", "dkim=discardable"),
	  PW_ADSP_R_NONE, 2, "2 records" },
	{ "two identical records", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=all", "dkim=all"),
	  PW_ADSP_R_NONE, 2, "2 records" },
	{ "unknown", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=unknown"), PW_ADSP_R_UNKNOWN, 2,
	  "dkim=unknown" },
	{ "future value: unknown", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=sometimes"), PW_ADSP_R_UNKNOWN, 2,
	  "" },
	{ "all: fail", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"), PW_ADSP_R_FAIL, 2,
	  "dkim=all" },
	{ "discardable: discard", RR_EXISTS("example.com", true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=discardable"), PW_ADSP_R_DISCARD, 2,
	  "dkim=discardable" },
	{ "author domain NXDOMAIN", RR_NX("example.com", false, true),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=discardable"), PW_ADSP_R_NXDOMAIN, 1,
	  "does not exist" },
	{ "author domain lookup error", RR_ERR("example.com", false, "timeout"),
	  RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"), PW_ADSP_R_TEMPERROR, 1,
	  "timeout" },
	{ "record lookup error", RR_EXISTS("example.com", true),
	  RR_ERR("_adsp._domainkey.example.com", true, "SERVFAIL"), PW_ADSP_R_TEMPERROR, 2,
	  "SERVFAIL" },
};

/* adsp_results - every ADSP result from the table above; at most 2 lookups */
START_TEST(adsp_results)
{
	struct fake_rr dns[2];
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	dns[0] = adsp_cases[_i].author;
	dns[1] = adsp_cases[_i].adsp;
	FAKE(fd, dns);
	in = message("example.com", &fd);
	in.dmarc = false;
	pw_sp_evaluate(&in, &res);
	ck_assert_msg(res.adsp == adsp_cases[_i].want, "%s: dkim-adsp=%s (%s), expected %s",
		      adsp_cases[_i].what, pw_adsp_result_name(res.adsp), res.adsp_why,
		      pw_adsp_result_name(adsp_cases[_i].want));
	ck_assert_msg(res.lookups == adsp_cases[_i].lookups && fd.n_calls == res.lookups,
		      "%s: %u lookups [%s], expected %u", adsp_cases[_i].what, res.lookups,
		      asked_list(&fd), adsp_cases[_i].lookups);
	ck_assert_msg(strcmp(fd.asked[0], "ADDR example.com") == 0, "%s: first question %s",
		      adsp_cases[_i].what, fd.asked[0]);
	if (res.lookups == 2)
		ck_assert_str_eq(fd.asked[1], "TXT _adsp._domainkey.example.com");
	ck_assert_msg(strstr(res.adsp_why, adsp_cases[_i].why) != NULL,
		      "%s: why \"%s\" lacks \"%s\"", adsp_cases[_i].what, res.adsp_why,
		      adsp_cases[_i].why);
	ck_assert(res.adsp_checked && !res.dmarc_checked);
}
END_TEST

/* adsp_query_names - the author domain itself (address), then _adsp._domainkey.DOMAIN TXT */
START_TEST(adsp_query_names)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("sub.example.com", true),
		RR_TXT("_adsp._domainkey.sub.example.com", true, "dkim=discardable"),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"),	/* never asked */
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("sub.example.com", &fd);
	in.dmarc = false;
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "ADDR sub.example.com", "TXT _adsp._domainkey.sub.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_DISCARD);
	ck_assert_sec(res.adsp_sec, PW_SP_SECURE);
	ck_assert_sec(res.dmarc_sec, PW_SP_NOLOOKUP);
}
END_TEST

/* adsp_nxdomain_stops - NXDOMAIN for the author domain: no _adsp question at all */
START_TEST(adsp_nxdomain_stops)
{
	static const struct fake_rr dns[] = {
		RR_NX("gone.example.com", false, true),
		RR_TXT("_adsp._domainkey.gone.example.com", true, "dkim=discardable"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("gone.example.com", &fd);
	in.dmarc = false;
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "ADDR gone.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_NXDOMAIN);
	ck_assert_sec(res.adsp_sec, PW_SP_SECURE);
}
END_TEST

/* ---- DMARC (RFC 7489 6.6.3 discovery, 3.1 alignment, 6.3 p/sp, 6.6.4 pct) ---------------- */

/* evaluate_dmarc - DMARC only for FROM with DNS, signatures SIGS and SPF domain SPF */
static void evaluate_dmarc(struct fake_dns *fd, const char *from, const struct pw_sp_sig *sigs,
			   size_t n_sigs, const char *spf, struct pw_sp_result *res)
{
	struct pw_sp_input in = message(from, fd);

	in.adsp = false;
	in.sigs = sigs;
	in.n_sigs = n_sigs;
	in.spf_domain = spf;
	pw_sp_evaluate(&in, res);
	ck_assert(!res->adsp_checked && res->dmarc_checked);
}

/* dmarc_none_no_record - nothing at the author domain nor at its organisational domain */
START_TEST(dmarc_none_no_record)
{
	static const struct fake_rr dns[] = {
		RR_NX("_dmarc.mail.example.com", true, true),
		RR_NODATA("_dmarc.example.com", true, true),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_UNSPEC);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
	ck_assert_str_eq(res.dmarc_record_domain, "");
	ck_assert_sec(res.dmarc_sec, PW_SP_SECURE);
}
END_TEST

/* dmarc_none_other_txt - TXT records that are not DMARC records are discarded (6.6.3 2, 4) */
START_TEST(dmarc_none_other_txt)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=spf1 -all", "p=reject; v=DMARC1"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC2; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
}
END_TEST

/* dmarc_none_invalid_record - an invalid record without rua: no DMARC, and no fallback to the
 * organisational domain (the set of records at the author domain was not empty; 6.6.3 3, 6) */
START_TEST(dmarc_none_invalid_record)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=bogus"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_UNSPEC);
	ck_assert_has(res.dmarc_why, "invalid");
}
END_TEST

/* dmarc_invalid_record_with_rua - bad p with a valid rua: act as p=none (6.6.3 6.1) */
START_TEST(dmarc_invalid_record_with_rua)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true,
		       "v=DMARC1; p=bogus; rua=mailto:dmarc@example.com"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_NONE);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
}
END_TEST

/* dmarc_none_two_records - two DMARC records at the author domain are all discarded: none
 * there, and discovery goes on to the organisational domain (RFC 9989 4.10 step 2) */
START_TEST(dmarc_none_two_records)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject",
		       "v=DMARC1; p=quarantine"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none; sp=reject"),
	};
	static const struct fake_rr alone[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject",
		       "v=DMARC1; p=quarantine"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);	/* sp */
	ck_assert_str_eq(res.dmarc_record_domain, "example.com");
	FAKE(fd, alone);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_UNSPEC);
	ck_assert_has(res.dmarc_why, "2 records at _dmarc.mail.example.com discarded");
}
END_TEST

/* dmarc_none_two_records_at_org - two DMARC records at the organisational domain */
START_TEST(dmarc_none_two_records_at_org)
{
	static const struct fake_rr dns[] = {
		RR_NODATA("_dmarc.mail.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject", "v=DMARC1; p=none",
		       "v=spf1 -all"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
}
END_TEST

/* dmarc_one_record_among_txt - one DMARC record among other TXT records is used */
START_TEST(dmarc_one_record_among_txt)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=spf1 -all", "v=DMARC1; p=quarantine",
		       "google-site-verification=x"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_QUARANTINE);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_QUARANTINE);
	ck_assert_str_eq(res.dmarc_record_domain, "example.com");
}
END_TEST

/* dmarc_pass_dkim - an aligned passing signature: relaxed (default) and strict */
START_TEST(dmarc_pass_dkim)
{
	static const struct pw_sp_sig parent[] = { { "bad.example", false, false }, { "Example.COM", true, false } };
	static const struct pw_sp_sig sibling[] = { { "other.example.com", true, false } };
	static const struct pw_sp_sig failing[] = { { "mail.example.com", false, false } };
	static const struct fake_rr relaxed[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject; adkim=r"),
	};
	static const struct fake_rr strict[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject; adkim=s"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", parent, NELEM(parent), NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert(res.dkim_aligned);
	ck_assert_has(res.dmarc_why, "DKIM");

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", sibling, NELEM(sibling), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", failing, NELEM(failing), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert(!res.dkim_aligned);

	FAKE(fd, strict);
	evaluate_dmarc(&fd, "mail.example.com", parent, NELEM(parent), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert(!res.dkim_aligned);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_REJECT);
}
END_TEST

/* dmarc_strict_exact_d - under adkim=s only an exact d= aligns; an exact passing d= is a
 * first-party signature: one DMARC lookup (the record), pass */
START_TEST(dmarc_strict_exact_d)
{
	static const struct pw_sp_sig exact[] = { { "MAIL.example.com.", false, false },
						  { "mail.example.com", true, false } };
	static const struct fake_rr strict[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject; adkim=s"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, strict);
	evaluate_dmarc(&fd, "mail.example.com", exact, NELEM(exact), NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert(res.dkim_aligned);
	ck_assert_sec(res.dmarc_sec, PW_SP_SECURE);
}
END_TEST

/* dmarc_pass_spf - the SPF domain aligned under aspf=r (default), not under aspf=s */
START_TEST(dmarc_pass_spf)
{
	static const struct fake_rr relaxed[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	static const struct fake_rr strict[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject; aspf=s"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "bounce.example.com", &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert(res.spf_aligned && !res.dkim_aligned);
	ck_assert_has(res.dmarc_why, "SPF");

	FAKE(fd, strict);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "bounce.example.com", &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert(!res.spf_aligned);

	FAKE(fd, strict);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "EXAMPLE.com.", &res);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert(res.spf_aligned);

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "example.net", &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "", &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
}
END_TEST

/* dmarc_fail - nothing aligned: fail with the record's policy */
START_TEST(dmarc_fail)
{
	static const struct pw_sp_sig sigs[] = { { "example.net", true, false } };
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject; sp=none"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", sigs, NELEM(sigs), "example.org", &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert(!res.dkim_aligned && !res.spf_aligned);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_REJECT);
	ck_assert_str_eq(res.dmarc_record_domain, "example.com");
}
END_TEST

/* dmarc_p_none_fail - p=none: fail, disposition none */
START_TEST(dmarc_p_none_fail)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_NONE);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
}
END_TEST

/* dmarc_temperror_first - an error at the author domain: temperror, no fallback question */
START_TEST(dmarc_temperror_first)
{
	static const struct fake_rr dns[] = {
		RR_ERR("_dmarc.mail.example.com", true, "timeout"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	ck_assert_has(res.dmarc_why, "timeout");
	ck_assert_sec(res.dmarc_sec, PW_SP_INSECURE);
}
END_TEST

/* dmarc_temperror_org - an error at the organisational domain: temperror */
START_TEST(dmarc_temperror_org)
{
	static const struct fake_rr dns[] = {
		RR_NX("_dmarc.mail.example.com", true, true),
		RR_ERR("_dmarc.example.com", true, "SERVFAIL"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	ck_assert_has(res.dmarc_why, "SERVFAIL");
	ck_assert_sec(res.dmarc_sec, PW_SP_INSECURE);
}
END_TEST

/* dmarc_sp_at_org - a record found at the organisational domain applies sp to a subdomain
 * author, p when sp is absent (6.3 "sp", 6.6.3 3) */
START_TEST(dmarc_sp_at_org)
{
	static const struct fake_rr with_sp[] = {
		RR_NODATA("_dmarc.a.b.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject; sp=quarantine"),
	};
	static const struct fake_rr without_sp[] = {
		RR_NODATA("_dmarc.a.b.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, with_sp);
	evaluate_dmarc(&fd, "a.b.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.a.b.example.com", "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_QUARANTINE);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_QUARANTINE);
	ck_assert_str_eq(res.dmarc_record_domain, "example.com");

	FAKE(fd, without_sp);
	evaluate_dmarc(&fd, "a.b.example.com", NULL, 0, NULL, &res);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
}
END_TEST

/* dmarc_p_at_author - a record at the author domain itself applies p, even when it is a
 * subdomain and the record has sp (sp is ignored on subdomain records, 6.3 "sp") */
START_TEST(dmarc_p_at_author)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=quarantine; sp=reject"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_QUARANTINE);
	ck_assert_str_eq(res.dmarc_record_domain, "mail.example.com");
}
END_TEST

/* dmarc_org_author - the author domain is its own organisational domain: one question, and
 * a record there applies p, not sp */
START_TEST(dmarc_org_author)
{
	static const struct fake_rr none[] = { RR_NX("_dmarc.example.com", true, true) };
	static const struct fake_rr rec[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=quarantine; sp=none"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, none);
	evaluate_dmarc(&fd, "example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);

	FAKE(fd, rec);
	evaluate_dmarc(&fd, "EXAMPLE.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_QUARANTINE);
}
END_TEST

/* dmarc_public_suffix_author - a public suffix has no organisational domain (3.2): no
 * second question */
START_TEST(dmarc_public_suffix_author)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_result res;

	evaluate_dmarc(&fd, "co.uk", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.co.uk");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);

	memset(&fd, 0, sizeof(fd));
	evaluate_dmarc(&fd, "example", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example");
}
END_TEST

/* dmarc_psl_rules - the org domain under a wildcard and an exception rule */
START_TEST(dmarc_psl_rules)
{
	struct fake_dns fd = { 0 };
	struct pw_sp_result res;

	/* *.ck: foo.bar.ck is an organisational domain */
	evaluate_dmarc(&fd, "foo.bar.ck", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.foo.bar.ck");
	memset(&fd, 0, sizeof(fd));
	evaluate_dmarc(&fd, "x.foo.bar.ck", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.x.foo.bar.ck", "TXT _dmarc.foo.bar.ck");
	/* !www.ck: www.ck is an organisational domain */
	memset(&fd, 0, sizeof(fd));
	evaluate_dmarc(&fd, "a.www.ck", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.a.www.ck", "TXT _dmarc.www.ck");
	/* co.uk */
	memset(&fd, 0, sizeof(fd));
	evaluate_dmarc(&fd, "mail.example.co.uk", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.co.uk", "TXT _dmarc.example.co.uk");
}
END_TEST

/* dmarc_null_psl - no list: the DNS Tree Walk (RFC 9989) finds the record at example.com
 * (then asks _dmarc.com, which has none); its sp applies to the subdomain */
START_TEST(dmarc_null_psl)
{
	static const struct pw_sp_sig sigs[] = { { "example.com", true, false } };
	static const struct fake_rr dns[] = {
		RR_NODATA("_dmarc.mail.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject; sp=quarantine"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("mail.example.com", &fd);
	in.psl = NULL;
	in.adsp = false;
	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com",
			  "TXT _dmarc.com");
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);	/* relaxed: both under example.com */
	ck_assert_str_eq(res.dmarc_org_domain, "example.com");
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_QUARANTINE);

	memset(&fd, 0, sizeof(fd));
	in.from_domain = "com";
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.com");
}
END_TEST

/* dmarc_long_record - a valid record longer than 2 KB (long rua list, unknown tags) is used
 * whole: p=reject at its end still applies */
START_TEST(dmarc_long_record)
{
	static char txt[3000];
	static struct fake_rr dns[] = { RR_TXT("_dmarc.example.com", true, txt) };
	struct fake_dns fd;
	struct pw_sp_result res;
	size_t n;

	n = (size_t)snprintf(txt, sizeof(txt), "v=DMARC1; x=");
	memset(txt + n, 'a', 2400);
	snprintf(txt + n + 2400, sizeof(txt) - n - 2400, "; p=reject");
	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
}
END_TEST

static const struct {
	const char *record;
	enum pw_dmarc_policy policy, want;
	bool testing;
} t_cases[] = {
	/* RFC 9989: pct is no longer a tag - ignored, whatever its value */
	{ "v=DMARC1; p=reject; pct=0", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, false },
	{ "v=DMARC1; p=quarantine; pct=50", PW_DMARC_P_QUARANTINE, PW_DMARC_P_QUARANTINE, false },
	/* t=y: the next milder disposition; none stays none */
	{ "v=DMARC1; p=reject; t=y", PW_DMARC_P_REJECT, PW_DMARC_P_QUARANTINE, true },
	{ "v=DMARC1; p=quarantine; t=y", PW_DMARC_P_QUARANTINE, PW_DMARC_P_NONE, true },
	{ "v=DMARC1; p=none; t=y", PW_DMARC_P_NONE, PW_DMARC_P_NONE, true },
	{ "v=DMARC1; p=reject; t=n", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, false },
	{ "v=DMARC1; p=reject; t=y; pct=100", PW_DMARC_P_REJECT, PW_DMARC_P_QUARANTINE, true },
	{ "v=DMARC1; p=reject", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, false },
};

/* dmarc_t - t=y gives a failing message the next milder disposition; the policy in force
 * is unchanged; pct changes nothing (and is noted) */
START_TEST(dmarc_t)
{
	struct fake_rr dns[1] = { RR_TXT("_dmarc.example.com", true, t_cases[_i].record) };
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_msg(res.dmarc_policy == t_cases[_i].policy &&
		      res.dmarc_disposition == t_cases[_i].want,
		      "\"%s\": p=%s dis=%s, expected p=%s dis=%s", t_cases[_i].record,
		      pw_dmarc_policy_name(res.dmarc_policy),
		      pw_dmarc_policy_name(res.dmarc_disposition),
		      pw_dmarc_policy_name(t_cases[_i].policy),
		      pw_dmarc_policy_name(t_cases[_i].want));
	ck_assert(res.dmarc_testing == t_cases[_i].testing);
	ck_assert(res.dmarc_pct_ignored == (strstr(t_cases[_i].record, "pct=") != NULL));
}
END_TEST

/* dmarc_pct_pass - pct does not touch a pass: disposition none */
START_TEST(dmarc_pct_pass)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject; pct=0"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "example.com", &res);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
}
END_TEST

/* dmarc_name_too_long - _dmarc.DOMAIN over 253 octets is not asked; the org domain is */
START_TEST(dmarc_name_too_long)
{
	char from[PW_DOMAIN_MAX + 1];
	struct fake_dns fd = { 0 };
	struct pw_sp_result res;

	/* 249 octets: "a.a.a....a.example.com"; "_dmarc." + it is 256 */
	for (size_t i = 0; i < 238; i += 2)
		memcpy(from + i, "a.", 2);
	memcpy(from + 238, "example.com", 12);
	ck_assert_uint_eq(strlen(from), 249);
	evaluate_dmarc(&fd, from, NULL, 0, NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
}
END_TEST

/* both_methods_lookup_budget - ADSP and DMARC together: at most 2 + 2 questions */
START_TEST(both_methods_lookup_budget)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("mail.example.com", true),
		RR_NODATA("_adsp._domainkey.mail.example.com", true, true),
		RR_NODATA("_dmarc.mail.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("mail.example.com", &fd);
	pw_sp_evaluate(&in, &res);
	ck_assert_queries(&fd, &res, "ADDR mail.example.com", "TXT _adsp._domainkey.mail.example.com",
			  "TXT _dmarc.mail.example.com", "TXT _dmarc.example.com");
	ck_assert_adsp(&res, PW_ADSP_R_NONE);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
}
END_TEST

/* ---- DNSSEC status ----------------------------------------------------------------------- */

/* dnssec_adsp - secure only when both answers were secure */
START_TEST(dnssec_adsp)
{
	static const struct fake_rr both[] = {
		RR_EXISTS("example.com", true),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"),
	};
	static const struct fake_rr first[] = {
		RR_EXISTS("example.com", false),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"),
	};
	static const struct fake_rr second[] = {
		RR_EXISTS("example.com", true),
		{ "_adsp._domainkey.example.com", true, PW_SP_DNS_RECORDS, false, { "dkim=all" },
		  NULL },
	};
	static const struct fake_rr nx_insecure[] = { RR_NX("example.com", false, false) };
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, both);
	in = message("example.com", &fd);
	in.dmarc = false;
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_FAIL);
	ck_assert_sec(res.adsp_sec, PW_SP_SECURE);

	FAKE(fd, first);
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_FAIL);
	ck_assert_sec(res.adsp_sec, PW_SP_INSECURE);

	FAKE(fd, second);
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_FAIL);
	ck_assert_sec(res.adsp_sec, PW_SP_INSECURE);

	FAKE(fd, nx_insecure);
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_NXDOMAIN);
	ck_assert_sec(res.adsp_sec, PW_SP_INSECURE);
}
END_TEST

/* dnssec_dmarc - the org fallback rests on both answers */
START_TEST(dnssec_dmarc)
{
	static const struct fake_rr both[] = {
		RR_NX("_dmarc.mail.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	static const struct fake_rr first[] = {
		RR_NX("_dmarc.mail.example.com", true, false),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	static const struct fake_rr second[] = {
		RR_NX("_dmarc.mail.example.com", true, true),
		{ "_dmarc.example.com", true, PW_SP_DNS_RECORDS, false, { "v=DMARC1; p=reject" },
		  NULL },
	};
	struct fake_dns fd;
	struct pw_sp_result res;

	FAKE(fd, both);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_uint_eq(res.lookups, 2);
	ck_assert_sec(res.dmarc_sec, PW_SP_SECURE);

	FAKE(fd, first);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_sec(res.dmarc_sec, PW_SP_INSECURE);

	FAKE(fd, second);
	evaluate_dmarc(&fd, "mail.example.com", NULL, 0, NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_sec(res.dmarc_sec, PW_SP_INSECURE);
}
END_TEST

/* dnssec_methods_independent - one method's insecure answer does not taint the other */
START_TEST(dnssec_methods_independent)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("example.com", false),
		RR_NODATA("_adsp._domainkey.example.com", true, false),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("example.com", &fd);
	pw_sp_evaluate(&in, &res);
	ck_assert_uint_eq(res.lookups, 3);
	ck_assert_sec(res.adsp_sec, PW_SP_INSECURE);
	ck_assert_sec(res.dmarc_sec, PW_SP_SECURE);
}
END_TEST

/* ---- names and Authentication-Results ---------------------------------------------------- */

/* result_names - the RFC 5617 5.4 / RFC 7489 11.2 words, DNSSEC and action names */
START_TEST(result_names)
{
	static const char *const adsp[] = { "none", "pass", "unknown", "fail", "discard",
					    "nxdomain", "temperror", "permerror" };
	static const char *const dmarc[] = { "none", "pass", "fail", "temperror", "permerror" };
	static const char *const act[] = { "accept", "add_header", "quarantine", "reject",
					   "tempfail" };

	for (size_t i = 0; i < NELEM(adsp); i++)
		ck_assert_str_eq(pw_adsp_result_name((enum pw_adsp_result)i), adsp[i]);
	for (size_t i = 0; i < NELEM(dmarc); i++)
		ck_assert_str_eq(pw_dmarc_result_name((enum pw_dmarc_result)i), dmarc[i]);
	for (size_t i = 0; i < NELEM(act); i++)
		ck_assert_str_eq(pw_sp_action_name((enum pw_sp_action)i), act[i]);
	ck_assert_str_eq(pw_sp_dnssec_name(PW_SP_SECURE), "secure");
	ck_assert_str_eq(pw_sp_dnssec_name(PW_SP_INSECURE), "insecure");
	ck_assert_str_eq(pw_sp_dnssec_name(PW_SP_NOLOOKUP), "no lookup");
}
END_TEST

/* format_ar_from_quoted_nx - a From domain that is no RFC 2045 token (atoms may hold '/',
 * '=', '?') is quoted in header.from of both results, so the field stays well-formed */
START_TEST(format_ar_from_quoted_nx)
{
	static const struct fake_rr dns[] = {
		RR_NX("a/b=c.example.com", false, true),
		RR_NX("_dmarc.a/b=c.example.com", true, true),
		RR_NX("_dmarc.example.com", true, true),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	char buf[512] = "mx";

	FAKE(fd, dns);
	in = message("a/b=c.example.com", &fd);
	pw_sp_evaluate(&in, &res);
	pw_sp_format_ar(&res, buf, sizeof(buf), strlen(buf));
	ck_assert_str_eq(buf, "mx"
			 "; dkim-adsp=nxdomain (author domain does not exist; DNSSEC secure) "
			 "header.from=\"a/b=c.example.com\""
			 "; dmarc=none (no record; DNSSEC secure) header.from=\"a/b=c.example.com\"");
}
END_TEST

/* format_ar_fail_secure - both methods failing on secure answers */
START_TEST(format_ar_fail_secure)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("example.com", true),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	char buf[512] = "mx.example.net";
	size_t n;

	FAKE(fd, dns);
	in = message("example.com", &fd);
	pw_sp_evaluate(&in, &res);
	n = pw_sp_format_ar(&res, buf, sizeof(buf), strlen(buf));
	ck_assert_str_eq(buf, "mx.example.net"
			 "; dkim-adsp=fail (dkim=all; DNSSEC secure) header.from=example.com"
			 "; dmarc=fail (p=reject dis=reject; no aligned DKIM or SPF pass; "
			 "DNSSEC secure) header.from=example.com policy.dmarc=reject");
	ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

/* format_ar_structure - pass, none, temperror, permerror and first party */
START_TEST(format_ar_structure)
{
	static const struct pw_sp_sig sigs[] = { { "example.com", true, false } };
	static const struct fake_rr dns[] = {
		RR_EXISTS("example.com", false),
		RR_NODATA("_adsp._domainkey.example.com", true, false),
		RR_ERR("_dmarc.example.com", true, "timeout"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	char buf[512];
	size_t n;

	FAKE(fd, dns);
	in = message("example.com", &fd);
	pw_sp_evaluate(&in, &res);
	buf[0] = '\0';
	n = pw_sp_format_ar(&res, buf, sizeof(buf), 0);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf, "; dkim-adsp=none (no record; DNSSEC insecure) header.from=example.com"
			 "; dmarc=temperror (_dmarc.example.com: timeout; DNSSEC insecure) "
			 "header.from=example.com");

	/* first party: ADSP pass with "no lookup"; DMARC still asks (here: no record) */
	memset(&fd, 0, sizeof(fd));
	in.sigs = sigs;
	in.n_sigs = NELEM(sigs);
	pw_sp_evaluate(&in, &res);
	n = pw_sp_format_ar(&res, buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "; dkim-adsp=pass (first-party signature; no lookup) "
			 "header.from=example.com"
			 "; dmarc=none (no record; DNSSEC insecure) header.from=example.com");

	/* permerror: no header.from, no lookup */
	memset(&fd, 0, sizeof(fd));
	in.n_from_fields = 2;
	pw_sp_evaluate(&in, &res);
	n = pw_sp_format_ar(&res, buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "; dkim-adsp=permerror (2 From fields; no lookup)"
			 "; dmarc=permerror (2 From fields; no lookup)");
	ck_assert(strstr(buf, "header.from") == NULL);
}
END_TEST

/* format_ar_policy_on_pass - policy.dmarc is the domain's policy after t=y on a pass too,
 * where dis= in the comment says the message got none */
START_TEST(format_ar_policy_on_pass)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
		RR_TXT("_dmarc.t.example.com", true, "v=DMARC1; p=reject; t=y"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;
	char buf[256] = "x";

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "example.com", &res);
	pw_sp_format_ar(&res, buf, sizeof(buf), 1);
	ck_assert_str_eq(buf, "x; dmarc=pass (p=reject dis=none; SPF aligned; DNSSEC secure) "
			 "header.from=example.com policy.dmarc=reject");
	FAKE(fd, dns);
	strcpy(buf, "x");
	evaluate_dmarc(&fd, "t.example.com", NULL, 0, "t.example.com", &res);
	pw_sp_format_ar(&res, buf, sizeof(buf), 1);
	ck_assert_str_eq(buf, "x; dmarc=pass (p=reject t=y dis=none; SPF aligned; DNSSEC secure) "
			 "header.from=t.example.com policy.dmarc=quarantine");
}
END_TEST

/* format_ar_unchecked_omitted - only the checked methods appear; nothing checked, nothing */
START_TEST(format_ar_unchecked_omitted)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;
	char buf[256] = "x";

	FAKE(fd, dns);
	evaluate_dmarc(&fd, "example.com", NULL, 0, "example.com", &res);
	ck_assert_uint_eq(pw_sp_format_ar(&res, buf, sizeof(buf), 1), strlen(buf));
	ck_assert_str_eq(buf, "x; dmarc=pass (p=none dis=none; SPF aligned; DNSSEC secure) "
			 "header.from=example.com policy.dmarc=none");
	ck_assert(strstr(buf, "dkim-adsp") == NULL);

	memset(&res, 0, sizeof(res));
	strcpy(buf, "x");
	ck_assert_uint_eq(pw_sp_format_ar(&res, buf, sizeof(buf), 1), 1);
	ck_assert_str_eq(buf, "x");
}
END_TEST

/* format_ar_truncation - a short buffer: the full length is returned, nothing is written past
 * LEN, and what was written is terminated */
START_TEST(format_ar_truncation)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("example.com", true),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=all"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	char full[512], area[64];
	size_t want, n;

	FAKE(fd, dns);
	in = message("example.com", &fd);
	pw_sp_evaluate(&in, &res);
	want = pw_sp_format_ar(&res, full, sizeof(full), 0);
	ck_assert_uint_eq(want, strlen(full));
	ck_assert_uint_gt(want, 40);

	for (size_t len = 1; len < 40; len += 7) {
		memset(area, '#', sizeof(area));
		n = pw_sp_format_ar(&res, area, len, 0);
		ck_assert_uint_eq(n, want);
		ck_assert_uint_ge(n, len);
		for (size_t k = len; k < sizeof(area); k++)
			ck_assert_msg(area[k] == '#', "len %zu: byte %zu written", len, k);
		ck_assert_msg(memchr(area, '\0', len) != NULL, "len %zu: not terminated", len);
		ck_assert_msg(strncmp(area, full, strlen(area)) == 0, "len %zu: \"%s\"", len, area);
	}
	/* USED already at LEN (or beyond): nothing written, length still counted */
	memset(area, '#', sizeof(area));
	n = pw_sp_format_ar(&res, area, 10, 10);
	ck_assert_uint_eq(n, want + 10);
	for (size_t k = 0; k < sizeof(area); k++)
		ck_assert(area[k] == '#');
	n = pw_sp_format_ar(&res, area, 10, 30);
	ck_assert_uint_eq(n, want + 30);
	for (size_t k = 0; k < sizeof(area); k++)
		ck_assert(area[k] == '#');
}
END_TEST

/* comment_well_formed - S has no CR/LF and its parentheses nest (quoted-pairs skipped), so
 * comments cannot end early or start a new header field (RFC 5322 3.2.2, RFC 8601 2.2) */
static bool comment_well_formed(const char *s)
{
	int depth = 0;

	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			return false;
		if (*s == '\\' && depth > 0 && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth < 0)
			return false;
	}
	return depth == 0;
}

/* format_ar_comments_safe - reasons quoted into comments (the From parser's, the resolver's)
 * must not break the field: ")" or CR LF in them is escaped or dropped */
START_TEST(format_ar_comments_safe)
{
	static const struct fake_rr dns[] = {
		RR_ERR("example.com", false, "SERVFAIL) ; dkim-adsp=pass ("),
		RR_ERR("_dmarc.example.com", true, "bogus (no DNSKEY"),
	};
	struct fake_dns fd = { 0 };
	struct pw_sp_input in = message(NULL, &fd);
	struct pw_sp_result res;
	char buf[512];

	in.from_status = PW_FROM_SYNTAX;
	in.from_why = "unexpected \")\" at 9\r\nX-Injected: yes";
	pw_sp_evaluate(&in, &res);
	pw_sp_format_ar(&res, buf, sizeof(buf), 0);
	ck_assert_msg(comment_well_formed(buf), "malformed: \"%s\"", buf);

	FAKE(fd, dns);
	in = message("example.com", &fd);
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_TEMPERROR);
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	pw_sp_format_ar(&res, buf, sizeof(buf), 0);
	ck_assert_msg(comment_well_formed(buf), "malformed: \"%s\"", buf);
}
END_TEST

/* format_ar_from_quoted - a From domain that is not a token ("=" and "/" are atext, so
 * legal in a domain, but tspecials in RFC 8601 values) is written as a quoted-string, and
 * the field reads back (regression test for a harness finding: fuzz_senderpolicy) */
START_TEST(format_ar_from_quoted)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("a=b/c.example", false),
		RR_TXT("_dmarc.a=b/c.example", false, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	struct pw_ar_resinfo ri[2];
	char buf[512] = "mx.example.net", id[64];

	FAKE(fd, dns);
	in = message("a=b/c.example", &fd);
	pw_sp_evaluate(&in, &res);
	pw_sp_format_ar(&res, buf, sizeof(buf), strlen(buf));
	ck_assert_msg(strstr(buf, " header.from=\"a=b/c.example\"") != NULL, "got \"%s\"", buf);
	ck_assert_int_eq(pw_ar_parse(buf, id, sizeof(id), ri, 2), 2);
	ck_assert_str_eq(ri[0].header_from, "a=b/c.example");
	ck_assert_str_eq(ri[1].header_from, "a=b/c.example");

	/* UTF-8 next to '!': neither a token (ASCII only) nor a domain-name, so quoted */
	FAKE(fd, dns);
	in = message("ex\xc3\xa9!am.example", &fd);
	pw_sp_evaluate(&in, &res);
	strcpy(buf, "mx.example.net");
	pw_sp_format_ar(&res, buf, sizeof(buf), strlen(buf));
	ck_assert_msg(strstr(buf, " header.from=\"ex\xc3\xa9!am.example\"") != NULL, "got \"%s\"",
		      buf);
	ck_assert_int_eq(pw_ar_parse(buf, id, sizeof(id), ri, 2), 2);
	ck_assert_str_eq(ri[1].header_from, "ex\xc3\xa9!am.example");

	/* a plain domain, a UTF-8 one and an atext token stay bare */
	static const char *const bare[] = { "example.com", "zo\xc3\xab.example", "a!b.example" };
	for (size_t i = 0; i < NELEM(bare); i++) {
		char want[64];
		FAKE(fd, dns);
		in = message(bare[i], &fd);
		pw_sp_evaluate(&in, &res);
		pw_sp_format_ar(&res, buf, sizeof(buf), 0);
		snprintf(want, sizeof(want), " header.from=%s", bare[i]);
		ck_assert_msg(strstr(buf, want) != NULL, "got \"%s\"", buf);
	}
}
END_TEST

/* ---- rules: parsing ------------------------------------------------------------------------ */

#define MAX_WORDS 64

/* words - split LINE (copied into BUF) at spaces into W; returns the count */
static size_t words(const char *line, char *buf, size_t len, char **w)
{
	size_t n = 0;
	char *save = NULL;

	snprintf(buf, len, "%s", line);
	for (char *t = strtok_r(buf, " ", &save); t != NULL && n < MAX_WORDS;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	return n;
}

/* parse - LINE as one practice statement */
static bool parse(const char *line, struct pw_sp_rule *r, char *why, size_t len)
{
	char buf[4096];
	char *w[MAX_WORDS];
	size_t n = words(line, buf, sizeof(buf), w);

	why[0] = '\0';
	return pw_sp_rule_parse(w, n, r, why, len);
}

/* rule_parse_accepts - the statement forms of the header */
START_TEST(rule_parse_accepts)
{
	struct pw_sp_rule r;
	char why[256];

	ck_assert_msg(parse("practice dmarc=fail/reject dnssec=secure reject 550 5.7.1 Go away",
			    &r, why, sizeof(why)), "%s", why);
	ck_assert_uint_eq(r.n_terms, 1);
	ck_assert_int_eq(r.terms[0].method, PW_SP_DMARC);
	ck_assert_int_eq(r.terms[0].result, PW_DMARC_R_FAIL);
	ck_assert_int_eq(r.terms[0].disposition, PW_DMARC_P_REJECT);
	ck_assert_int_eq(r.sec, PW_SP_SEC_SECURE);
	ck_assert_int_eq(r.action, PW_SP_REJECT);
	ck_assert_str_eq(r.code, "550");
	ck_assert_str_eq(r.xcode, "5.7.1");
	ck_assert_ptr_nonnull(r.text);
	ck_assert_str_eq(r.text, "Go away");
	pw_sp_rule_free(&r);
	ck_assert_ptr_null(r.text);

	ck_assert_msg(parse("practice dkim-adsp=discard,dmarc=fail quarantine", &r, why,
			    sizeof(why)), "%s", why);
	ck_assert_uint_eq(r.n_terms, 2);
	ck_assert_int_eq(r.terms[0].method, PW_SP_ADSP);
	ck_assert_int_eq(r.terms[0].result, PW_ADSP_R_DISCARD);
	ck_assert_int_eq(r.terms[1].method, PW_SP_DMARC);
	ck_assert_int_eq(r.terms[1].result, PW_DMARC_R_FAIL);
	ck_assert_int_eq(r.terms[1].disposition, PW_SP_ANY);
	ck_assert_int_eq(r.sec, PW_SP_SEC_ANY);
	ck_assert_int_eq(r.action, PW_SP_QUARANTINE);
	ck_assert_ptr_null(r.text);
	pw_sp_rule_free(&r);

	ck_assert_msg(parse("practice dmarc=* accept", &r, why, sizeof(why)), "%s", why);
	ck_assert_int_eq(r.terms[0].result, PW_SP_ANY);
	ck_assert_int_eq(r.terms[0].disposition, PW_SP_ANY);
	ck_assert_int_eq(r.action, PW_SP_ACCEPT);
	pw_sp_rule_free(&r);

	ck_assert_msg(parse("practice dmarc=temperror tempfail 451 4.4.3 try later", &r, why,
			    sizeof(why)), "%s", why);
	ck_assert_int_eq(r.terms[0].result, PW_DMARC_R_TEMPERROR);
	ck_assert_int_eq(r.action, PW_SP_TEMPFAIL);
	ck_assert_str_eq(r.code, "451");
	ck_assert_str_eq(r.xcode, "4.4.3");
	ck_assert_str_eq(r.text, "try later");
	pw_sp_rule_free(&r);

	ck_assert_msg(parse("practice adsp=fail add_header", &r, why, sizeof(why)), "%s", why);
	ck_assert_int_eq(r.terms[0].method, PW_SP_ADSP);
	ck_assert_int_eq(r.terms[0].result, PW_ADSP_R_FAIL);
	ck_assert_int_eq(r.action, PW_SP_ADD_HEADER);
	pw_sp_rule_free(&r);

	ck_assert_msg(parse("practice dkim-adsp=* dnssec=insecure reject", &r, why, sizeof(why)),
		      "%s", why);
	ck_assert_int_eq(r.sec, PW_SP_SEC_INSECURE);
	ck_assert_str_eq(r.code, "");
	ck_assert_ptr_null(r.text);
	pw_sp_rule_free(&r);

	ck_assert_msg(parse("practice dmarc=fail/none,dmarc=fail/* dnssec=any add_header", &r,
			    why, sizeof(why)), "%s", why);
	ck_assert_int_eq(r.terms[0].disposition, PW_DMARC_P_NONE);
	ck_assert_int_eq(r.terms[1].disposition, PW_SP_ANY);
	ck_assert_int_eq(r.sec, PW_SP_SEC_ANY);
	pw_sp_rule_free(&r);
}
END_TEST

/* every result word of both methods is accepted */
START_TEST(rule_parse_result_words)
{
	static const char *const adsp[] = { "none", "pass", "unknown", "fail", "discard",
					    "nxdomain", "temperror", "permerror" };
	static const char *const dmarc[] = { "none", "pass", "fail", "temperror", "permerror" };
	struct pw_sp_rule r;
	char line[128], why[256];

	for (size_t i = 0; i < NELEM(adsp); i++) {
		snprintf(line, sizeof(line), "practice dkim-adsp=%s accept", adsp[i]);
		ck_assert_msg(parse(line, &r, why, sizeof(why)), "%s: %s", line, why);
		ck_assert_int_eq(r.terms[0].result, (int)i);
		pw_sp_rule_free(&r);
	}
	for (size_t i = 0; i < NELEM(dmarc); i++) {
		snprintf(line, sizeof(line), "practice dmarc=%s accept", dmarc[i]);
		ck_assert_msg(parse(line, &r, why, sizeof(why)), "%s: %s", line, why);
		ck_assert_int_eq(r.terms[0].result, (int)i);
		pw_sp_rule_free(&r);
	}
}
END_TEST

static const struct {
	const char *line;
	const char *why;		/* substring of the message */
} refused[] = {
	{ "practice spf=fail reject", "unknown method" },
	{ "practice dmarc=softfail reject", "unknown dmarc result" },
	{ "practice dmarc=discard reject", "unknown dmarc result" },	/* ADSP-only word */
	{ "practice dkim-adsp=quarantine reject", "unknown dkim-adsp result" },
	{ "practice dkim-adsp=fail/reject reject", "only dmarc" },
	{ "practice dmarc=fail/discard reject", "unknown disposition" },
	{ "practice dmarc=fail/ reject", "unknown disposition" },
	{ "practice dmarc=fail bounce", "unknown action" },
	{ "practice dmarc=fail", "action" },				/* missing action */
	{ "practice dmarc=fail dnssec=secure", "without an action" },
	{ "practice", "practice needs" },
	{ "practice dmarc=fail dnssec=maybe reject", "dnssec=" },
	{ "practice dmarc reject", "METHOD=RESULT" },
	{ "practice dmarc=fail reject 450 4.7.1 Go away", "5XX" },
	{ "practice dmarc=fail reject 550 4.7.1 Go away", "5.X.Y" },
	{ "practice dmarc=temperror tempfail 550 5.7.1 No", "4XX" },
	{ "practice dmarc=temperror tempfail 451 5.4.3 No", "4.X.Y" },
	{ "practice dmarc=fail reject 550 5.7 Go away", "enhanced status" },
	{ "practice dmarc=fail reject 550 5.7.1.2 Go away", "enhanced status" },
	{ "practice dmarc=fail reject 550 5.7.1000 Go away", "enhanced status" },
	{ "practice dmarc=fail reject 550 5.x.1 Go away", "enhanced status" },
	{ "practice dmarc=fail reject 550 5.+7.1 Go away", "enhanced status" },	/* RFC 3463 */
	{ "practice dmarc=fail reject 550 5.-7.1 Go away", "enhanced status" },
	{ "practice dmarc=fail reject 55 5.7.1 Go away", "reply code" },
	{ "practice dmarc=fail reject 5500 5.7.1 Go away", "reply code" },
	{ "practice dmarc=fail reject 5x0 5.7.1 Go away", "reply code" },
	{ "practice dmarc=fail reject 550 5.7.1", "CODE X.Y.Z TEXT" },	/* no text */
	{ "practice dmarc=fail reject 550", "CODE X.Y.Z TEXT" },
	{ "practice dkim-adsp=fail add_header X-Foo", "no arguments" },
	{ "practice dmarc=pass accept 250 2.0.0 OK", "no arguments" },
};

/* rule_parse_refuses - the table above: false and a message saying what is wrong */
START_TEST(rule_parse_refuses)
{
	struct pw_sp_rule r;
	char why[256];

	bool ok = parse(refused[_i].line, &r, why, sizeof(why));

	if (ok)
		pw_sp_rule_free(&r);	/* before failing, so the sanitizer stays quiet */
	ck_assert_msg(!ok, "\"%s\" accepted", refused[_i].line);
	ck_assert_msg(strstr(why, refused[_i].why) != NULL, "\"%s\": why \"%s\" lacks \"%s\"",
		      refused[_i].line, why, refused[_i].why);
	ck_assert_ptr_null(r.text);
	pw_sp_rule_free(&r);
}
END_TEST

/* rule_parse_term_limit - PW_SP_MAX_TERMS terms are fine, one more is refused */
START_TEST(rule_parse_term_limit)
{
	struct pw_sp_rule r;
	char line[1024], why[256];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "practice ");
	for (int i = 0; i < PW_SP_MAX_TERMS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%sdmarc=fail", i ? "," : "");
	snprintf(line + n, sizeof(line) - n, " quarantine");
	ck_assert_msg(parse(line, &r, why, sizeof(why)), "%s", why);
	ck_assert_uint_eq(r.n_terms, PW_SP_MAX_TERMS);
	pw_sp_rule_free(&r);

	n = (size_t)snprintf(line, sizeof(line), "practice dkim-adsp=fail");
	for (int i = 0; i < PW_SP_MAX_TERMS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",dmarc=fail");
	snprintf(line + n, sizeof(line) - n, " quarantine");
	ck_assert(!parse(line, &r, why, sizeof(why)));
	ck_assert_has(why, "terms");
	ck_assert_ptr_null(r.text);
}
END_TEST

/* rule_parse_text_limit - reply text of 255 bytes fine, 257 (two words) refused */
START_TEST(rule_parse_text_limit)
{
	struct pw_sp_rule r;
	char line[1024], why[256];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "practice dmarc=fail reject 550 5.7.1 ");
	memset(line + n, 'x', 255);
	line[n + 255] = '\0';
	ck_assert_msg(parse(line, &r, why, sizeof(why)), "%s", why);
	ck_assert_uint_eq(strlen(r.text), 255);
	pw_sp_rule_free(&r);

	/* several words: joined with single spaces, 257 bytes in all */
	n = (size_t)snprintf(line, sizeof(line), "practice dmarc=fail reject 550 5.7.1 ");
	memset(line + n, 'y', 128);
	line[n + 128] = ' ';
	memset(line + n + 129, 'z', 128);
	line[n + 257] = '\0';
	ck_assert(!parse(line, &r, why, sizeof(why)));
	ck_assert_has(why, "256");
	ck_assert_ptr_null(r.text);
}
END_TEST

/* rule_parse_text_256 - exactly 256 bytes is not "longer than 256 bytes" (the parser's own
 * message) and is accepted */
START_TEST(rule_parse_text_256)
{
	struct pw_sp_rule r;
	char line[1024], why[256];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "practice dmarc=temperror tempfail 451 4.4.3 ");
	memset(line + n, 'x', 256);
	line[n + 256] = '\0';
	ck_assert_msg(parse(line, &r, why, sizeof(why)), "256-byte text refused: %s", why);
	ck_assert_uint_eq(strlen(r.text), 256);
	pw_sp_rule_free(&r);
}
END_TEST

/* rule_parse_percent - '%' in reply text is neutralised (libmilter formats the text) */
START_TEST(rule_parse_percent)
{
	struct pw_sp_rule r;
	char why[256];

	ck_assert_msg(parse("practice dmarc=fail reject 550 5.7.1 100% %s%n rejected", &r, why,
			    sizeof(why)), "%s", why);
	ck_assert_ptr_nonnull(r.text);
	ck_assert_msg(strchr(r.text, '%') == NULL, "text \"%s\"", r.text);
	ck_assert_has(r.text, "rejected");
	ck_assert_has(r.text, "100");
	pw_sp_rule_free(&r);
	pw_sp_rule_free(&r);		/* twice is harmless */
}
END_TEST

/* ---- rules: deciding ------------------------------------------------------------------------ */

/* result_with - a result for example.com with the given outcomes (NULL-free, both checked) */
static struct pw_sp_result result_with(enum pw_adsp_result adsp, enum pw_sp_dnssec asec,
				       enum pw_dmarc_result dmarc, enum pw_dmarc_policy dis,
				       enum pw_sp_dnssec dsec)
{
	struct pw_sp_result r;

	memset(&r, 0, sizeof(r));
	r.adsp_checked = r.dmarc_checked = true;
	strcpy(r.from_domain, "example.com");
	r.adsp = adsp;
	r.adsp_sec = asec;
	r.dmarc = dmarc;
	r.dmarc_sec = dsec;
	r.dmarc_policy = dmarc == PW_DMARC_R_FAIL || dmarc == PW_DMARC_R_PASS ? dis :
			 PW_DMARC_P_UNSPEC;
	r.dmarc_disposition = dmarc == PW_DMARC_R_FAIL ? dis : PW_DMARC_P_NONE;
	return r;
}

#define ck_assert_action(dec, want) \
	ck_assert_msg((dec)->action == (want), "action %s, expected %s", \
		      pw_sp_action_name((dec)->action), pw_sp_action_name(want))

/* default_rules_builtin - the defaults are built-in rules: no file, no custom reply */
START_TEST(default_rules_builtin)
{
	size_t n = 0;
	const struct pw_sp_rule *d = pw_sp_default_rules(&n);

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_ge(n, 5);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_null(d[i].file);
		ck_assert_ptr_null(d[i].text);
		ck_assert_uint_ge(d[i].n_terms, 1);
		ck_assert_uint_le(d[i].n_terms, PW_SP_MAX_TERMS);
	}
}
END_TEST

/* decide_default_temperror - either method's temperror: tempfail 451 4.4.3 */
START_TEST(decide_default_temperror)
{
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_TEMPERROR, PW_DMARC_P_NONE,
			  PW_SP_INSECURE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_TEMPFAIL);
	ck_assert_str_eq(dec.code, "451");
	ck_assert_str_eq(dec.xcode, "4.4.3");
	ck_assert_int_eq(dec.method, PW_SP_DMARC);
	ck_assert_ptr_nonnull(dec.rule);
	ck_assert_ptr_null(dec.rule->file);
	ck_assert_has(dec.text, "example.com");

	res = result_with(PW_ADSP_R_TEMPERROR, PW_SP_INSECURE, PW_DMARC_R_NONE, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_TEMPFAIL);
	ck_assert_str_eq(dec.code, "451");
	ck_assert_str_eq(dec.xcode, "4.4.3");
	ck_assert_int_eq(dec.method, PW_SP_ADSP);
}
END_TEST

/* decide_default_dmarc - fail/reject: reject 550 5.7.1 when secure, else quarantine;
 * fail/quarantine: quarantine */
START_TEST(decide_default_dmarc)
{
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_SECURE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_str_eq(dec.code, "550");
	ck_assert_str_eq(dec.xcode, "5.7.1");
	ck_assert_int_eq(dec.method, PW_SP_DMARC);
	ck_assert_has(dec.text, "example.com");
	ck_assert_has(dec.text, "DMARC");

	res.dmarc_sec = PW_SP_INSECURE;
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	ck_assert_has(dec.text, "example.com");

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE,
			  PW_SP_SECURE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	res.dmarc_sec = PW_SP_INSECURE;
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	ck_assert_ptr_nonnull(dec.rule);
}
END_TEST

/* decide_default_reply_no_percent - the built-in reply texts name the author domain, which
 * may hold a '%' (atext); it never reaches the reply (libmilter's format string: each one
 * stands as '?'), in reject
 * or tempfail texts (regression test for a fuzz_senderpolicy finding) */
START_TEST(decide_default_reply_no_percent)
{
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_SECURE);
	strcpy(res.from_domain, "ex%n%s.example");
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_str_eq(dec.text, "Rejected by the DMARC policy of ex?n?s.example");

	res = result_with(PW_ADSP_R_DISCARD, PW_SP_SECURE, PW_DMARC_R_NONE, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	strcpy(res.from_domain, "100%.example");
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_ptr_null(strchr(dec.text, '%'));
	ck_assert_has(dec.text, "100?.example");

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_TEMPERROR, PW_DMARC_P_NONE,
			  PW_SP_INSECURE);
	strcpy(res.from_domain, "%%.example");
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_TEMPFAIL);
	ck_assert_ptr_null(strchr(dec.text, '%'));
}
END_TEST

/* decide_default_adsp - discard: reject when secure, else quarantine */
START_TEST(decide_default_adsp)
{
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	res = result_with(PW_ADSP_R_DISCARD, PW_SP_SECURE, PW_DMARC_R_NONE, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_int_eq(dec.method, PW_SP_ADSP);
	ck_assert_str_eq(dec.code, "550");
	ck_assert_str_eq(dec.xcode, "5.7.1");
	ck_assert_has(dec.text, "example.com");
	ck_assert_has(dec.text, "ADSP");

	res.adsp_sec = PW_SP_INSECURE;
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	ck_assert_int_eq(dec.method, PW_SP_ADSP);
}
END_TEST

/* decide_default_accept - everything else: accept, no rule */
START_TEST(decide_default_accept)
{
	static const struct {
		enum pw_adsp_result adsp;
		enum pw_dmarc_result dmarc;
		enum pw_dmarc_policy dis;
	} ok[] = {
		{ PW_ADSP_R_NONE, PW_DMARC_R_NONE, PW_DMARC_P_NONE },
		{ PW_ADSP_R_PASS, PW_DMARC_R_PASS, PW_DMARC_P_NONE },
		{ PW_ADSP_R_UNKNOWN, PW_DMARC_R_FAIL, PW_DMARC_P_NONE },	/* p=none */
		{ PW_ADSP_R_FAIL, PW_DMARC_R_NONE, PW_DMARC_P_NONE },
		{ PW_ADSP_R_NXDOMAIN, PW_DMARC_R_NONE, PW_DMARC_P_NONE },
		{ PW_ADSP_R_PERMERROR, PW_DMARC_R_PERMERROR, PW_DMARC_P_NONE },
	};
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	for (size_t i = 0; i < NELEM(ok); i++) {
		res = result_with(ok[i].adsp, PW_SP_SECURE, ok[i].dmarc, ok[i].dis, PW_SP_SECURE);
		pw_sp_decide(NULL, 0, &res, &dec);
		ck_assert_msg(dec.action == PW_SP_ACCEPT && dec.rule == NULL,
			      "dkim-adsp=%s dmarc=%s: %s", pw_adsp_result_name(ok[i].adsp),
			      pw_dmarc_result_name(ok[i].dmarc), pw_sp_action_name(dec.action));
	}
	/* nothing checked at all */
	memset(&res, 0, sizeof(res));
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_ACCEPT);
	ck_assert_ptr_null(dec.rule);
}
END_TEST

/* decide_unchecked_method - a method that was not checked matches no rule */
START_TEST(decide_unchecked_method)
{
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	res = result_with(PW_ADSP_R_DISCARD, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_SECURE);
	res.adsp_checked = res.dmarc_checked = false;
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_ACCEPT);
	ck_assert_ptr_null(dec.rule);
}
END_TEST

/* decide_admin_first - the administrator's rules in order, before the defaults */
START_TEST(decide_admin_first)
{
	struct pw_sp_rule rules[3];
	struct pw_sp_result res;
	struct pw_sp_decision dec;
	char why[256];

	ck_assert(parse("practice dkim-adsp=fail add_header", &rules[0], why, sizeof(why)));
	ck_assert(parse("practice dmarc=* accept", &rules[1], why, sizeof(why)));
	ck_assert(parse("practice dmarc=fail reject 554 5.7.0 Second", &rules[2], why, sizeof(why)));

	/* dmarc fail/reject secure would be rejected by default; rule 2 accepts first */
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_SECURE);
	pw_sp_decide(rules, 3, &res, &dec);
	ck_assert_action(&dec, PW_SP_ACCEPT);
	ck_assert_ptr_eq(dec.rule, &rules[1]);

	/* rule 1 matches first */
	res.adsp = PW_ADSP_R_FAIL;
	pw_sp_decide(rules, 3, &res, &dec);
	ck_assert_action(&dec, PW_SP_ADD_HEADER);
	ck_assert_ptr_eq(dec.rule, &rules[0]);
	ck_assert_int_eq(dec.method, PW_SP_ADSP);

	/* without rule 2, rule 3 */
	res.adsp = PW_ADSP_R_NONE;
	pw_sp_decide(&rules[2], 1, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_ptr_eq(dec.rule, &rules[2]);
	ck_assert_str_eq(dec.code, "554");
	ck_assert_str_eq(dec.xcode, "5.7.0");
	ck_assert_str_eq(dec.text, "Second");

	/* no admin rule matches: a default does */
	res = result_with(PW_ADSP_R_DISCARD, PW_SP_SECURE, PW_DMARC_R_NONE, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	res.dmarc_checked = false;
	pw_sp_decide(&rules[2], 1, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_ptr_ne(dec.rule, &rules[2]);
	ck_assert_int_eq(dec.method, PW_SP_ADSP);

	for (size_t i = 0; i < 3; i++)
		pw_sp_rule_free(&rules[i]);
}
END_TEST

/* decide_dnssec_conditions - dnssec=secure needs a secure status; dnssec=insecure matches
 * anything not secure, a method that made no lookup included */
START_TEST(decide_dnssec_conditions)
{
	struct pw_sp_rule sec, insec;
	struct pw_sp_result res;
	struct pw_sp_decision dec;
	char why[256];

	ck_assert(parse("practice dmarc=fail/reject dnssec=secure reject 550 5.7.1 Go away", &sec,
			why, sizeof(why)));
	ck_assert(parse("practice dmarc=pass dnssec=insecure add_header", &insec, why,
			sizeof(why)));

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_SECURE);
	pw_sp_decide(&sec, 1, &res, &dec);
	ck_assert_ptr_eq(dec.rule, &sec);
	ck_assert_str_eq(dec.text, "Go away");

	res.dmarc_sec = PW_SP_INSECURE;
	pw_sp_decide(&sec, 1, &res, &dec);
	ck_assert_ptr_ne(dec.rule, &sec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);	/* the insecure default */

	res = result_with(PW_ADSP_R_PASS, PW_SP_NOLOOKUP, PW_DMARC_R_PASS, PW_DMARC_P_NONE,
			  PW_SP_NOLOOKUP);
	pw_sp_decide(&insec, 1, &res, &dec);
	ck_assert_ptr_eq(dec.rule, &insec);
	ck_assert_action(&dec, PW_SP_ADD_HEADER);
	res.dmarc_sec = PW_SP_INSECURE;
	pw_sp_decide(&insec, 1, &res, &dec);
	ck_assert_ptr_eq(dec.rule, &insec);
	res.dmarc_sec = PW_SP_SECURE;
	pw_sp_decide(&insec, 1, &res, &dec);
	ck_assert_ptr_null(dec.rule);
	ck_assert_action(&dec, PW_SP_ACCEPT);

	pw_sp_rule_free(&sec);
	pw_sp_rule_free(&insec);
}
END_TEST

/* decide_disposition_only_fail - a dmarc term with a disposition matches fail only, and the
 * disposition after pct */
START_TEST(decide_disposition_only_fail)
{
	struct pw_sp_rule r;
	struct pw_sp_result res;
	struct pw_sp_decision dec;
	char why[256];

	ck_assert(parse("practice dmarc=*/none add_header", &r, why, sizeof(why)));
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_PASS, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	pw_sp_decide(&r, 1, &res, &dec);
	ck_assert_ptr_null(dec.rule);
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_NONE, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	pw_sp_decide(&r, 1, &res, &dec);
	ck_assert_ptr_null(dec.rule);
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	pw_sp_decide(&r, 1, &res, &dec);
	ck_assert_ptr_eq(dec.rule, &r);
	/* p=reject sampled out: disposition quarantine, so fail/reject does not match */
	pw_sp_rule_free(&r);
	ck_assert(parse("practice dmarc=fail/reject tempfail 451 4.7.1 later", &r, why,
			sizeof(why)));
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE,
			  PW_SP_SECURE);
	res.dmarc_policy = PW_DMARC_P_REJECT;
	pw_sp_decide(&r, 1, &res, &dec);
	ck_assert_ptr_ne(dec.rule, &r);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	pw_sp_rule_free(&r);
}
END_TEST

/* decide_texts - custom text verbatim; default texts name the From domain; the header field
 * text names the method and the result */
/* decide_text_from_safe - a From domain with '%' or 8-bit octets (atoms allow both) never
 * reaches the SMTP reply text as such: MTAs read the text as a format */
START_TEST(decide_text_from_safe)
{
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_SECURE);
	strcpy(res.from_domain, "a%n%s.\xc3\xa9x.example");
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_str_eq(dec.text, "Rejected by the DMARC policy of a?n?s.??x.example");
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_TEMPERROR, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	strcpy(res.from_domain, "100%.example");
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_TEMPFAIL);
	ck_assert_str_eq(dec.text, "Cannot check the sender policy of 100?.example now (DNS), "
			 "try again later");
}
END_TEST

START_TEST(decide_texts)
{
	struct pw_sp_rule rules[3];
	struct pw_sp_result res;
	struct pw_sp_decision dec;
	char why[256];

	ck_assert(parse("practice dmarc=temperror tempfail 451 4.4.3 try later", &rules[0], why,
			sizeof(why)));
	ck_assert(parse("practice dkim-adsp=fail add_header", &rules[1], why, sizeof(why)));
	ck_assert(parse("practice dmarc=fail quarantine suspicious sender", &rules[2], why,
			sizeof(why)));

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_TEMPERROR, PW_DMARC_P_NONE,
			  PW_SP_INSECURE);
	pw_sp_decide(rules, 3, &res, &dec);
	ck_assert_action(&dec, PW_SP_TEMPFAIL);
	ck_assert_str_eq(dec.code, "451");
	ck_assert_str_eq(dec.xcode, "4.4.3");
	ck_assert_str_eq(dec.text, "try later");

	res = result_with(PW_ADSP_R_FAIL, PW_SP_SECURE, PW_DMARC_R_NONE, PW_DMARC_P_NONE,
			  PW_SP_SECURE);
	pw_sp_decide(rules, 3, &res, &dec);
	ck_assert_action(&dec, PW_SP_ADD_HEADER);
	ck_assert_has(dec.header, "dkim-adsp=fail");
	ck_assert_has(dec.header, "header.from=example.com");
	ck_assert_has(dec.header, "secure");

	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_INSECURE);
	pw_sp_decide(rules, 3, &res, &dec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	ck_assert_has(dec.text, "suspicious sender");
	ck_assert_has(dec.header, "dmarc=fail");
	ck_assert_has(dec.header, "example.com");

	/* defaults: the From domain in every text */
	res = result_with(PW_ADSP_R_NONE, PW_SP_SECURE, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
			  PW_SP_INSECURE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_QUARANTINE);
	ck_assert_has(dec.text, "example.com");
	ck_assert_has(dec.header, "dmarc=fail");

	for (size_t i = 0; i < 3; i++)
		pw_sp_rule_free(&rules[i]);
}
END_TEST

/* decide_end_to_end - evaluation into decision: DMARC reject on secure answers */
START_TEST(decide_end_to_end)
{
	static const struct fake_rr dns[] = {
		RR_EXISTS("example.com", true),
		RR_TXT("_adsp._domainkey.example.com", true, "dkim=unknown"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	FAKE(fd, dns);
	in = message("example.com", &fd);
	pw_sp_evaluate(&in, &res);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_action(&dec, PW_SP_REJECT);
	ck_assert_int_eq(dec.method, PW_SP_DMARC);
	ck_assert_str_eq(dec.code, "550");
	ck_assert_has(dec.text, "example.com");
}
END_TEST

/* ---- DMARC by the DNS Tree Walk (RFC 9989 4.10; no Public Suffix List) ------------------ */

/* walk_targets - the names a walk asks: the name, then (more than 8 labels) the 7-label
 * name, then one label less each time (RFC 9989 4.10's own example) */
START_TEST(walk_targets)
{
	const char *t[16];
	size_t n = pw_dmarc_walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com", t, 16);
	static const char *const want[] = {
		"a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com",
		"h.i.j.mail.example.com", "i.j.mail.example.com", "j.mail.example.com",
		"mail.example.com", "example.com", "com"
	};
	ck_assert_uint_eq(n, NELEM(want));
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(t[i], want[i]);
	/* exactly 8 labels: the name, then the 7-label parent, and so on: 8 names */
	n = pw_dmarc_walk_targets("a.b.c.d.e.f.example.com", t, 16);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(t[1], "b.c.d.e.f.example.com");
	ck_assert_str_eq(t[7], "com");
	/* 7 labels: one at a time, 7 names */
	n = pw_dmarc_walk_targets("b.c.d.e.f.example.com", t, 16);
	ck_assert_uint_eq(n, 7);
	n = pw_dmarc_walk_targets("com", t, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(pw_dmarc_walk_targets("", t, 16), 0);
	ck_assert_uint_eq(pw_dmarc_walk_targets("a.example.com", t, 2), 2);
}
END_TEST

#define WALK_RR 8
struct walk_case {
	const char *what;
	struct fake_rr dns[WALK_RR];
	const char *from, *dkim_d, *spf;	/* a passing signature's d=, an SPF pass */
	enum pw_dmarc_result result;
	enum pw_dmarc_policy policy, disposition;
	const char *record_domain, *org_domain;
	const char *queries;			/* "|"-separated, in order */
};

#define D(name) "_dmarc." name
static const struct walk_case walk_cases[] = {
	{ "RFC 9989 B.4.1 simple: example.com and signing.example.com share example.com",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject"),
	    RR_TXT(D("signing.example.com"), true, "v=DMARC1; p=none") },
	  "example.com", "signing.example.com", NULL, PW_DMARC_R_PASS, PW_DMARC_P_REJECT,
	  PW_DMARC_P_NONE, "example.com", "example.com",
	  "TXT _dmarc.example.com|TXT _dmarc.com|TXT _dmarc.signing.example.com" },
	{ "RFC 9989 B.4.2 deep: 13 labels, 8 questions, example.com's record applies (sp)",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject; sp=quarantine"),
	    RR_TXT(D("signing.example.com"), true, "v=DMARC1; p=none") },
	  "a.b.c.d.e.f.g.h.i.j.k.example.com", NULL, NULL, PW_DMARC_R_FAIL,
	  PW_DMARC_P_QUARANTINE, PW_DMARC_P_QUARANTINE, "example.com", "example.com",
	  "TXT _dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com|TXT _dmarc.g.h.i.j.k.example.com|"
	  "TXT _dmarc.h.i.j.k.example.com|TXT _dmarc.i.j.k.example.com|"
	  "TXT _dmarc.j.k.example.com|TXT _dmarc.k.example.com|TXT _dmarc.example.com|"
	  "TXT _dmarc.com" },
	{ "RFC 9989 B.4.2 deep, aligned: SPF example.com and DKIM signing.example.com",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject"),
	    RR_TXT(D("signing.example.com"), true, "v=DMARC1; p=none") },
	  "a.b.c.d.e.f.g.h.i.j.k.example.com", "signing.example.com", NULL, PW_DMARC_R_PASS,
	  PW_DMARC_P_REJECT, PW_DMARC_P_NONE, "example.com", "example.com",
	  "TXT _dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com|TXT _dmarc.g.h.i.j.k.example.com|"
	  "TXT _dmarc.h.i.j.k.example.com|TXT _dmarc.i.j.k.example.com|"
	  "TXT _dmarc.j.k.example.com|TXT _dmarc.k.example.com|TXT _dmarc.example.com|"
	  "TXT _dmarc.com|TXT _dmarc.signing.example.com" },
	{ "RFC 9989 B.4.3 psd=y: SPF mail.giant.bank.example aligned with giant.bank.example",
	  { RR_TXT(D("bank.example"), true, "v=DMARC1; p=reject; psd=y"),
	    RR_TXT(D("giant.bank.example"), true, "v=DMARC1; p=quarantine") },
	  "giant.bank.example", NULL, "mail.giant.bank.example", PW_DMARC_R_PASS,
	  PW_DMARC_P_QUARANTINE, PW_DMARC_P_NONE, "giant.bank.example", "giant.bank.example",
	  "TXT _dmarc.giant.bank.example|TXT _dmarc.bank.example|"
	  "TXT _dmarc.mail.giant.bank.example" },
	{ "RFC 9989 B.4.3 psd=y: DKIM mail.mega.bank.example is not aligned (no question)",
	  { RR_TXT(D("bank.example"), true, "v=DMARC1; p=reject; psd=y"),
	    RR_TXT(D("giant.bank.example"), true, "v=DMARC1; p=quarantine") },
	  "giant.bank.example", "mail.mega.bank.example", NULL, PW_DMARC_R_FAIL,
	  PW_DMARC_P_QUARANTINE, PW_DMARC_P_QUARANTINE, "giant.bank.example",
	  "giant.bank.example", "TXT _dmarc.giant.bank.example|TXT _dmarc.bank.example" },
	{ "psd=y, no record below it: the PSD's record, sp for an existing subdomain",
	  { RR_TXT(D("bank.example"), true, "v=DMARC1; p=none; sp=reject"),
	    RR_TXT(D("example"), true, "v=DMARC1; p=none; sp=quarantine; psd=y") },
	  "x.bank2.example", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE,
	  PW_DMARC_P_QUARANTINE, "example", "bank2.example",
	  "TXT _dmarc.x.bank2.example|TXT _dmarc.bank2.example|TXT _dmarc.example" },
	{ "psd=y: the Organizational Domain's record wins over the PSD's",
	  { RR_TXT(D("shop.example"), true, "v=DMARC1; p=reject"),
	    RR_TXT(D("example"), true, "v=DMARC1; p=none; psd=y") },
	  "mail.shop.example", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
	  PW_DMARC_P_REJECT, "shop.example", "shop.example",
	  "TXT _dmarc.mail.shop.example|TXT _dmarc.shop.example|TXT _dmarc.example" },
	{ "psd=n: the walk stops there; that is the Organizational Domain",
	  { RR_TXT(D("mail.example.com"), true, "v=DMARC1; p=none; sp=reject; psd=n"),
	    RR_TXT(D("example.com"), true, "v=DMARC1; p=quarantine") },
	  "a.mail.example.com", "b.example.com", NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
	  PW_DMARC_P_REJECT, "mail.example.com", "mail.example.com",
	  "TXT _dmarc.a.mail.example.com|TXT _dmarc.mail.example.com" },
	{ "psd=n: a name below it is aligned",
	  { RR_TXT(D("mail.example.com"), true, "v=DMARC1; p=reject; psd=n"),
	    RR_TXT(D("example.com"), true, "v=DMARC1; p=quarantine") },
	  "a.mail.example.com", "b.mail.example.com", NULL, PW_DMARC_R_PASS,
	  PW_DMARC_P_REJECT, PW_DMARC_P_NONE, "mail.example.com", "mail.example.com",
	  "TXT _dmarc.a.mail.example.com|TXT _dmarc.mail.example.com|"
	  "TXT _dmarc.b.mail.example.com" },
	{ "no psd: the fewest labels is the Organizational Domain, and its record applies",
	  { RR_TXT(D("mail.example.com"), true, "v=DMARC1; p=none"),
	    RR_TXT(D("example.com"), true, "v=DMARC1; p=reject; sp=quarantine") },
	  "a.mail.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE,
	  PW_DMARC_P_QUARANTINE, "example.com", "example.com",
	  "TXT _dmarc.a.mail.example.com|TXT _dmarc.mail.example.com|TXT _dmarc.example.com|"
	  "TXT _dmarc.com" },
	{ "np: the author domain does not exist (NXDOMAIN)",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=none; sp=quarantine; np=reject"),
	    RR_NX("nx.example.com", false, true) },
	  "nx.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  "example.com", "example.com",
	  "TXT _dmarc.nx.example.com|TXT _dmarc.example.com|TXT _dmarc.com|ADDR nx.example.com" },
	{ "np: the author domain exists (NODATA is existence): sp",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=none; sp=quarantine; np=reject"),
	    RR_NODATA("www.example.com", false, true) },
	  "www.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE,
	  PW_DMARC_P_QUARANTINE, "example.com", "example.com",
	  "TXT _dmarc.www.example.com|TXT _dmarc.example.com|TXT _dmarc.com|"
	  "ADDR www.example.com" },
	{ "np absent: sp, and no existence question",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject; sp=none") },
	  "nx.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_NONE, PW_DMARC_P_NONE,
	  "example.com", "example.com", "TXT _dmarc.nx.example.com|TXT _dmarc.example.com|TXT _dmarc.com" },
	{ "np and sp absent: p",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject") },
	  "nx.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  "example.com", "example.com", "TXT _dmarc.nx.example.com|TXT _dmarc.example.com|TXT _dmarc.com" },
	{ "np: the existence question fails: temperror",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=none; np=reject"),
	    RR_ERR("nx.example.com", false, "timeout") },
	  "nx.example.com", NULL, NULL, PW_DMARC_R_TEMPERROR, PW_DMARC_P_UNSPEC,
	  PW_DMARC_P_NONE, "example.com", "example.com",
	  "TXT _dmarc.nx.example.com|TXT _dmarc.example.com|TXT _dmarc.com|ADDR nx.example.com" },
	{ "two records at the author domain: discarded, the walk goes on",
	  { RR_TXT(D("two.example.com"), true, "v=DMARC1; p=none", "v=DMARC1; p=none"),
	    RR_TXT(D("example.com"), true, "v=DMARC1; p=reject") },
	  "two.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  "example.com", "example.com", "TXT _dmarc.two.example.com|TXT _dmarc.example.com|TXT _dmarc.com" },
	{ "two records at a parent: discarded there, the walk goes on to the next",
	  { RR_TXT(D("mid.example.com"), true, "v=DMARC1; p=none", "v=DMARC1; p=reject"),
	    RR_TXT(D("example.com"), true, "v=DMARC1; p=quarantine") },
	  "a.mid.example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_QUARANTINE,
	  PW_DMARC_P_QUARANTINE, "example.com", "example.com",
	  "TXT _dmarc.a.mid.example.com|TXT _dmarc.mid.example.com|TXT _dmarc.example.com|"
	  "TXT _dmarc.com" },
	{ "p absent, valid rua: p=none",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; rua=mailto:d@example.com") },
	  "example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_NONE, PW_DMARC_P_NONE,
	  "example.com", "", "TXT _dmarc.example.com" },
	{ "p absent, no rua: no DMARC processing (none), no walk above",
	  { RR_TXT(D("sub.example.com"), true, "v=DMARC1; adkim=s"),
	    RR_TXT(D("example.com"), true, "v=DMARC1; p=reject") },
	  "sub.example.com", NULL, NULL, PW_DMARC_R_NONE, PW_DMARC_P_UNSPEC, PW_DMARC_P_NONE,
	  "sub.example.com", "", "TXT _dmarc.sub.example.com" },
	{ "t=y: reject becomes quarantine",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject; t=y") },
	  "example.com", NULL, NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT, PW_DMARC_P_QUARANTINE,
	  "example.com", "", "TXT _dmarc.example.com" },
	{ "a walk question fails: temperror",
	  { RR_ERR(D("example.com"), true, "SERVFAIL") },
	  "mail.example.com", NULL, NULL, PW_DMARC_R_TEMPERROR, PW_DMARC_P_UNSPEC,
	  PW_DMARC_P_NONE, "", "", "TXT _dmarc.mail.example.com|TXT _dmarc.example.com" },
	{ "no record anywhere: none",
	  { RR_NODATA(D("example.com"), true, true) },
	  "mail.example.com", NULL, NULL, PW_DMARC_R_NONE, PW_DMARC_P_UNSPEC, PW_DMARC_P_NONE,
	  "", "", "TXT _dmarc.mail.example.com|TXT _dmarc.example.com|TXT _dmarc.com" },
	{ "relaxed alignment walk fails for a passing DKIM d=: temperror, not fail",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject"),
	    RR_ERR(D("sig.example.com"), true, "timeout") },
	  "example.com", "sig.example.com", NULL, PW_DMARC_R_TEMPERROR, PW_DMARC_P_REJECT,
	  PW_DMARC_P_NONE, "example.com", "example.com",
	  "TXT _dmarc.example.com|TXT _dmarc.com|TXT _dmarc.sig.example.com" },
	{ "strict alignment: equal names only, no walk",
	  { RR_TXT(D("example.com"), true, "v=DMARC1; p=reject; adkim=s") },
	  "example.com", "sig.example.com", NULL, PW_DMARC_R_FAIL, PW_DMARC_P_REJECT,
	  PW_DMARC_P_REJECT, "example.com", "", "TXT _dmarc.example.com" },
};

/* dmarc_walk - policy discovery, Organizational Domains, alignment and the questions asked,
 * case by case (fake DNS; no Public Suffix List) */
START_TEST(dmarc_walk)
{
	const struct walk_case *c = &walk_cases[_i];
	struct pw_sp_sig sig = { c->dkim_d, true, false };
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	char want[1024], got[1024] = "";
	size_t n_rr = 0, used = 0;

	while (n_rr < WALK_RR && c->dns[n_rr].name != NULL)
		n_rr++;
	memset(&fd, 0, sizeof(fd));
	fd.rr = c->dns;
	fd.n_rr = n_rr;
	in = message(c->from, &fd);
	in.psl = NULL;
	in.adsp = false;
	in.sigs = c->dkim_d ? &sig : NULL;
	in.n_sigs = c->dkim_d ? 1 : 0;
	in.spf_domain = c->spf;
	pw_sp_evaluate(&in, &res);
	ck_assert_msg(res.dmarc == c->result, "%s: dmarc=%s (%s), expected %s", c->what,
		      pw_dmarc_result_name(res.dmarc), res.dmarc_why,
		      pw_dmarc_result_name(c->result));
	ck_assert_msg(res.dmarc_policy == c->policy && res.dmarc_disposition == c->disposition,
		      "%s: p=%s dis=%s, expected p=%s dis=%s", c->what,
		      pw_dmarc_policy_name(res.dmarc_policy),
		      pw_dmarc_policy_name(res.dmarc_disposition),
		      pw_dmarc_policy_name(c->policy), pw_dmarc_policy_name(c->disposition));
	ck_assert_msg(strcmp(res.dmarc_record_domain, c->record_domain) == 0,
		      "%s: record at \"%s\", expected \"%s\"", c->what, res.dmarc_record_domain,
		      c->record_domain);
	ck_assert_msg(strcmp(res.dmarc_org_domain, c->org_domain) == 0,
		      "%s: organizational domain \"%s\", expected \"%s\"", c->what,
		      res.dmarc_org_domain, c->org_domain);
	for (size_t i = 0; i < fd.n_calls && i < FAKE_MAX_Q; i++)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", i ? "|" : "",
					 fd.asked[i]);
	snprintf(want, sizeof(want), "%s", c->queries);
	ck_assert_msg(strcmp(got, want) == 0, "%s: asked\n  %s\nexpected\n  %s", c->what, got,
		      want);
	ck_assert_uint_eq(res.lookups, fd.n_calls);
	ck_assert(fd.n_calls <= PW_DMARC_WALK_MAX + 2);
}
END_TEST

/* dmarc_walk_dnssec - the walk's status is that of every answer it rests on */
START_TEST(dmarc_walk_dnssec)
{
	static const struct fake_rr dns[] = {
		RR_NODATA("_dmarc.mail.example.com", true, true),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
		RR_NODATA("_dmarc.com", true, false),	/* an insecure answer up the walk */
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	FAKE(fd, dns);
	in = message("mail.example.com", &fd);
	in.psl = NULL;
	in.adsp = false;
	pw_sp_evaluate(&in, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_sec(res.dmarc_sec, PW_SP_INSECURE);
}
END_TEST

/* dmarc_walk_budget - 40 passing signatures below the author's Organizational Domain, each
 * under a psd=n name of its own walk: every name is asked once, never more than
 * PW_SP_WALK_NAMES names; past that a passing signature's alignment is unknown, so the
 * result is temperror (never fail), and the reason says why */
START_TEST(dmarc_walk_budget)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
		RR_TXT("_dmarc.x.example.com", true, "v=DMARC1; p=none; psd=n"),
	};
	struct pw_sp_sig sigs[40];
	char names[40][32];
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;

	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "s%d.x.example.com", i);
		sigs[i].d = names[i];
		sigs[i].pass = true;
		sigs[i].temperror = false;
	}
	FAKE(fd, dns);
	in = message("example.com", &fd);
	in.psl = NULL;
	in.adsp = false;
	in.sigs = sigs;
	in.n_sigs = 40;
	pw_sp_evaluate(&in, &res);
	ck_assert_msg(fd.n_calls == PW_SP_WALK_NAMES, "%zu questions", fd.n_calls);
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	ck_assert_has(res.dmarc_why, "budget");
	/* under the budget the same signatures are simply not aligned: fail */
	FAKE(fd, dns);
	in.n_sigs = 10;
	pw_sp_evaluate(&in, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_uint_eq(fd.n_calls, 3 + 10);	/* example.com, com, x.example.com, s0..s9 */
}
END_TEST

/* org_domain - pw_sp_org_domain: the walk alone, for any name */
START_TEST(org_domain)
{
	static const struct fake_rr dns[] = {
		RR_TXT("_dmarc.bank.example", true, "v=DMARC1; p=reject; psd=y"),
		RR_TXT("_dmarc.giant.bank.example", true, "v=DMARC1; p=none"),
		RR_ERR("_dmarc.broken.example", true, "SERVFAIL"),
	};
	struct fake_dns fd;
	struct pw_sp_input in;
	struct pw_sp_result res;
	char org[PW_DOMAIN_MAX + 1];

	FAKE(fd, dns);
	in = message("unused.example", &fd);
	in.psl = NULL;
	ck_assert(pw_sp_org_domain(&in, "mail.mega.bank.example", org, sizeof(org), &res));
	ck_assert_str_eq(org, "mega.bank.example");
	ck_assert_uint_eq(res.lookups, 3);
	ck_assert(pw_sp_org_domain(&in, "giant.bank.example", org, sizeof(org), &res));
	ck_assert_str_eq(org, "giant.bank.example");
	ck_assert(pw_sp_org_domain(&in, "nothing.example", org, sizeof(org), &res));
	ck_assert_str_eq(org, "nothing.example");	/* no record: the name itself */
	ck_assert(!pw_sp_org_domain(&in, "a.broken.example", org, sizeof(org), &res));
	ck_assert_has(res.dmarc_why, "SERVFAIL");
	/* RFC 9989 4.10.2's three examples for a.mail.example.com */
	static const struct fake_rr ex1[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=none"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none"),
	};
	static const struct fake_rr ex2[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=none; psd=n"),
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=none"),
	};
	static const struct fake_rr ex3[] = {
		RR_TXT("_dmarc.com", true, "v=DMARC1; p=none; psd=y"),
	};
	FAKE(fd, ex1);
	ck_assert(pw_sp_org_domain(&in, "a.mail.example.com", org, sizeof(org), &res));
	ck_assert_str_eq(org, "example.com");
	ck_assert_uint_eq(fd.n_calls, 4);	/* down to _dmarc.com */
	FAKE(fd, ex2);
	ck_assert(pw_sp_org_domain(&in, "a.mail.example.com", org, sizeof(org), &res));
	ck_assert_str_eq(org, "mail.example.com");
	ck_assert_uint_eq(fd.n_calls, 2);	/* psd=n stops the walk */
	FAKE(fd, ex3);
	ck_assert(pw_sp_org_domain(&in, "a.mail.example.com", org, sizeof(org), &res));
	ck_assert_str_eq(org, "example.com");

	in.psl = psl;	/* compatibility: the list, no question */
	memset(&fd, 0, sizeof(fd));
	fd.rr = dns;
	fd.n_rr = NELEM(dns);
	ck_assert(pw_sp_org_domain(&in, "a.b.example.co.uk", org, sizeof(org), &res));
	ck_assert_str_eq(org, "example.co.uk");
	ck_assert_uint_eq(fd.n_calls, 0);
}
END_TEST

/* ---- temporary errors never become failures ---------------------------------------------- */

/* dmarc_temperror_dkim_aligned - no aligned pass, but an aligned dkim=temperror signature
 * (the key lookup timed out): it might have passed, so temperror, never fail (regression test
 * for a validly signed message rejected 550 when its key lookup timed out) */
START_TEST(dmarc_temperror_dkim_aligned)
{
	static const struct pw_sp_sig exact[] = { { "example.net", false, false },
						  { "mail.example.com", false, true } };
	static const struct pw_sp_sig parent[] = { { "Example.COM.", false, true } };
	static const struct pw_sp_sig unaligned[] = { { "example.net", false, true } };
	static const struct pw_sp_sig pass_too[] = { { "mail.example.com", false, true },
						     { "example.com", true, false } };
	static const struct fake_rr relaxed[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject; adkim=r"),
	};
	static const struct fake_rr strict[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=reject; adkim=s"),
	};
	static const struct fake_rr none[] = {
		RR_NX("_dmarc.mail.example.com", true, true),
		RR_NX("_dmarc.example.com", true, true),
	};
	struct fake_dns fd;
	struct pw_sp_result res;
	struct pw_sp_decision dec;

	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", exact, NELEM(exact), NULL, &res);
	ck_assert_queries(&fd, &res, "TXT _dmarc.mail.example.com");
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	ck_assert(!res.dkim_aligned && !res.spf_aligned);
	ck_assert_has(res.dmarc_why, "d=mail.example.com temperror");
	ck_assert_policy(res.dmarc_policy, PW_DMARC_P_REJECT);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_int_eq(dec.action, PW_SP_TEMPFAIL);
	ck_assert_str_eq(dec.code, "451");

	/* relaxed: the parent domain aligns; strict: only the exact domain would */
	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", parent, NELEM(parent), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	FAKE(fd, strict);
	evaluate_dmarc(&fd, "mail.example.com", parent, NELEM(parent), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_REJECT);
	FAKE(fd, strict);
	evaluate_dmarc(&fd, "mail.example.com", exact, NELEM(exact), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);

	/* a temperror for a domain that could never align changes nothing */
	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", unaligned, NELEM(unaligned), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);

	/* an aligned pass settles it, whatever else failed */
	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", pass_too, NELEM(pass_too), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	FAKE(fd, relaxed);
	evaluate_dmarc(&fd, "mail.example.com", parent, NELEM(parent), "example.com", &res);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
	ck_assert(res.spf_aligned);

	/* p=none, or p=quarantine with t=y: failing has no consequence, so the temperror
	 * delays nothing - fail, dis=none, the temperror named in the reason */
	static const struct fake_rr pnone[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=none"),
	};
	static const struct fake_rr sampled[] = {
		RR_TXT("_dmarc.mail.example.com", true, "v=DMARC1; p=quarantine; t=y"),
	};
	FAKE(fd, pnone);
	evaluate_dmarc(&fd, "mail.example.com", exact, NELEM(exact), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);
	ck_assert_has(res.dmarc_why, "temperror");
	pw_sp_decide(NULL, 0, &res, &dec);
	ck_assert_int_eq(dec.action, PW_SP_ACCEPT);
	FAKE(fd, sampled);
	evaluate_dmarc(&fd, "mail.example.com", exact, NELEM(exact), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);
	ck_assert_policy(res.dmarc_disposition, PW_DMARC_P_NONE);

	/* no DMARC record: none, the temperror is only DKIM's */
	FAKE(fd, none);
	evaluate_dmarc(&fd, "mail.example.com", exact, NELEM(exact), NULL, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_NONE);
}
END_TEST

/* dmarc_temperror_spf - an SPF temperror a trusted host reported for an aligned domain */
START_TEST(dmarc_temperror_spf)
{
	static const struct fake_rr relaxed[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject"),
	};
	static const struct fake_rr strict[] = {
		RR_TXT("_dmarc.example.com", true, "v=DMARC1; p=reject; aspf=s"),
	};
	struct fake_dns fd;
	struct pw_sp_result res;
	struct pw_sp_input in;

	FAKE(fd, relaxed);
	in = message("example.com", &fd);
	in.adsp = false;
	in.spf_temp_domain = "bounce.example.com";
	pw_sp_evaluate(&in, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_TEMPERROR);
	ck_assert_has(res.dmarc_why, "SPF temperror for bounce.example.com");

	FAKE(fd, strict);
	in = message("example.com", &fd);
	in.adsp = false;
	in.spf_temp_domain = "bounce.example.com";
	pw_sp_evaluate(&in, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);

	FAKE(fd, relaxed);
	in = message("example.com", &fd);
	in.adsp = false;
	in.spf_temp_domain = "example.org";
	pw_sp_evaluate(&in, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_FAIL);

	FAKE(fd, relaxed);	/* an SPF pass elsewhere aligned: pass */
	in = message("example.com", &fd);
	in.adsp = false;
	in.spf_temp_domain = "bounce.example.com";
	in.spf_domain = "example.com";
	pw_sp_evaluate(&in, &res);
	ck_assert_dmarc(&res, PW_DMARC_R_PASS);
}
END_TEST

/* adsp_temperror_author_signature - an author-domain signature with temperror: the results
 * a pass would have replaced (fail, discard) become temperror; unknown, none and nxdomain
 * stay; a signature of another domain changes nothing */
START_TEST(adsp_temperror_author_signature)
{
	static const struct pw_sp_sig author[] = { { "example.com", false, true } };
	static const struct pw_sp_sig other[] = { { "example.net", false, true } };
	static const struct {
		const char *record;	/* NULL: no record */
		const struct pw_sp_sig *sigs;
		enum pw_adsp_result want;
	} cases[] = {
		{ "dkim=all", author, PW_ADSP_R_TEMPERROR },
		{ "dkim=discardable", author, PW_ADSP_R_TEMPERROR },
		{ "dkim=unknown", author, PW_ADSP_R_UNKNOWN },	/* a pass changes nothing */
		{ NULL, author, PW_ADSP_R_NONE },
		{ "dkim=discardable", other, PW_ADSP_R_DISCARD },
		{ "dkim=all", other, PW_ADSP_R_FAIL },
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct fake_rr dns[] = {
			RR_EXISTS("example.com", true),
			RR_TXT("_adsp._domainkey.example.com", true, cases[i].record),
		};
		if (cases[i].record == NULL)
			dns[1] = (struct fake_rr)RR_NX("_adsp._domainkey.example.com", true, true);
		struct fake_dns fd;
		struct pw_sp_result res;
		struct pw_sp_decision dec;
		FAKE(fd, dns);
		struct pw_sp_input in = message("example.com", &fd);
		in.dmarc = false;
		in.sigs = cases[i].sigs;
		in.n_sigs = 1;
		pw_sp_evaluate(&in, &res);
		ck_assert_queries(&fd, &res, "ADDR example.com", "TXT _adsp._domainkey.example.com");
		ck_assert_msg(res.adsp == cases[i].want, "case %zu: dkim-adsp=%s (%s), expected %s",
			      i, pw_adsp_result_name(res.adsp), res.adsp_why,
			      pw_adsp_result_name(cases[i].want));
		pw_sp_decide(NULL, 0, &res, &dec);
		if (cases[i].want == PW_ADSP_R_TEMPERROR) {
			ck_assert_has(res.adsp_why, "temperror");
			ck_assert_int_eq(dec.action, PW_SP_TEMPFAIL);
		}
	}
	/* the author domain does not exist: nxdomain, whatever the signature */
	static const struct fake_rr gone[] = { RR_NX("example.com", false, true) };
	struct fake_dns fd;
	struct pw_sp_result res;
	FAKE(fd, gone);
	struct pw_sp_input in = message("example.com", &fd);
	in.dmarc = false;
	in.sigs = author;
	in.n_sigs = 1;
	pw_sp_evaluate(&in, &res);
	ck_assert_adsp(&res, PW_ADSP_R_NXDOMAIN);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------- */

/* senderpolicy_suite - every test above */
Suite *senderpolicy_suite(void)
{
	Suite *s = suite_create("senderpolicy");
	TCase *tc;

	tc = tcase_create("from");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, from_field_count);
	tcase_add_test(tc, from_syntax);
	tcase_add_test(tc, from_nodomain);
	tcase_add_test(tc, from_mailbox_count);
	tcase_add_test(tc, from_domain_unusable);
	tcase_add_test(tc, nothing_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("first-party");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, first_party_no_lookup);
	tcase_add_test(tc, first_party_author_normalised);
	tcase_add_test(tc, first_party_failing_signature);
	tcase_add_test(tc, parent_signature_not_first_party);
	suite_add_tcase(s, tc);

	tc = tcase_create("adsp");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_loop_test(tc, adsp_results, 0, (int)NELEM(adsp_cases));
	tcase_add_test(tc, adsp_query_names);
	tcase_add_test(tc, adsp_nxdomain_stops);
	suite_add_tcase(s, tc);

	tc = tcase_create("dmarc");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, dmarc_none_no_record);
	tcase_add_test(tc, dmarc_none_other_txt);
	tcase_add_test(tc, dmarc_none_invalid_record);
	tcase_add_test(tc, dmarc_invalid_record_with_rua);
	tcase_add_test(tc, dmarc_none_two_records);
	tcase_add_test(tc, dmarc_none_two_records_at_org);
	tcase_add_test(tc, dmarc_one_record_among_txt);
	tcase_add_test(tc, dmarc_pass_dkim);
	tcase_add_test(tc, dmarc_strict_exact_d);
	tcase_add_test(tc, dmarc_pass_spf);
	tcase_add_test(tc, dmarc_fail);
	tcase_add_test(tc, dmarc_p_none_fail);
	tcase_add_test(tc, dmarc_temperror_first);
	tcase_add_test(tc, dmarc_temperror_org);
	tcase_add_test(tc, dmarc_sp_at_org);
	tcase_add_test(tc, dmarc_p_at_author);
	tcase_add_test(tc, dmarc_org_author);
	tcase_add_test(tc, dmarc_public_suffix_author);
	tcase_add_test(tc, dmarc_psl_rules);
	tcase_add_test(tc, dmarc_null_psl);
	tcase_add_test(tc, dmarc_long_record);
	tcase_add_loop_test(tc, dmarc_t, 0, (int)NELEM(t_cases));
	tcase_add_test(tc, dmarc_pct_pass);
	tcase_add_test(tc, dmarc_name_too_long);
	tcase_add_test(tc, both_methods_lookup_budget);
	suite_add_tcase(s, tc);

	tc = tcase_create("treewalk");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, walk_targets);
	tcase_add_loop_test(tc, dmarc_walk, 0, (int)NELEM(walk_cases));
	tcase_add_test(tc, dmarc_walk_dnssec);
	tcase_add_test(tc, dmarc_walk_budget);
	tcase_add_test(tc, org_domain);
	suite_add_tcase(s, tc);

	tc = tcase_create("temperror");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, dmarc_temperror_dkim_aligned);
	tcase_add_test(tc, dmarc_temperror_spf);
	tcase_add_test(tc, adsp_temperror_author_signature);
	suite_add_tcase(s, tc);

	tc = tcase_create("dnssec");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, dnssec_adsp);
	tcase_add_test(tc, dnssec_dmarc);
	tcase_add_test(tc, dnssec_methods_independent);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth-results");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, result_names);
	tcase_add_test(tc, format_ar_fail_secure);
	tcase_add_test(tc, format_ar_from_quoted_nx);
	tcase_add_test(tc, format_ar_structure);
	tcase_add_test(tc, format_ar_unchecked_omitted);
	tcase_add_test(tc, format_ar_policy_on_pass);
	tcase_add_test(tc, format_ar_truncation);
	tcase_add_test(tc, format_ar_comments_safe);
	tcase_add_test(tc, format_ar_from_quoted);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, rule_parse_accepts);
	tcase_add_test(tc, rule_parse_result_words);
	tcase_add_loop_test(tc, rule_parse_refuses, 0, (int)NELEM(refused));
	tcase_add_test(tc, rule_parse_term_limit);
	tcase_add_test(tc, rule_parse_text_limit);
	tcase_add_test(tc, rule_parse_text_256);
	tcase_add_test(tc, rule_parse_percent);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_test(tc, default_rules_builtin);
	tcase_add_test(tc, decide_default_temperror);
	tcase_add_test(tc, decide_default_dmarc);
	tcase_add_test(tc, decide_default_adsp);
	tcase_add_test(tc, decide_default_reply_no_percent);
	tcase_add_test(tc, decide_default_accept);
	tcase_add_test(tc, decide_unchecked_method);
	tcase_add_test(tc, decide_admin_first);
	tcase_add_test(tc, decide_dnssec_conditions);
	tcase_add_test(tc, decide_disposition_only_fail);
	tcase_add_test(tc, decide_texts);
	tcase_add_test(tc, decide_text_from_safe);
	tcase_add_test(tc, decide_end_to_end);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef CHECK_SENDERPOLICY_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(senderpolicy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
