/*
 * tests/unit/check_rtlsrcpt.c - policy/mtasts.c (the MTA-STS TXT record, the policy file, mx
 * patterns; RFC 8461) and policy/rtlsrcpt.c (REQUIRETLS at RCPT: when it applies, exempt
 * domains, the verdict's order and replies), and milter/requiretls/stscache.c (the shared
 * MTA-STS policy cache: its bound, LRU order, expiry, replacement; pure apart from its mutex,
 * so it is linked in here).  One suite of tests/unit/check_policy.
 */
#include "check_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"
#include "policy/mtasts.h"
#include "policy/policyfile.h"
#include "policy/rtlsrcpt.h"
#include "requiretls/stscache.h"

/* txt - parse S as a TXT record */
static enum mtasts_txt_status txt(const char *s, struct mtasts_txt *t)
{
	char why[128];
	return mtasts_parse_txt(s, strlen(s), t, why, sizeof(why));
}

START_TEST(txt_records)
{
	struct mtasts_txt t;

	ck_assert_int_eq(txt("v=STSv1; id=20160831085700Z;", &t), MTASTS_TXT_OK);
	ck_assert_str_eq(t.id, "20160831085700Z");
	ck_assert_int_eq(txt("v=STSv1;id=abc", &t), MTASTS_TXT_OK);
	ck_assert_str_eq(t.id, "abc");
	ck_assert_int_eq(txt("v=STSv1; ext=x.y; id=1 ; ", &t), MTASTS_TXT_OK);
	ck_assert_str_eq(t.id, "1");
	/* not an STS record at all: discarded, not an error */
	ck_assert_int_eq(txt("v=spf1 -all", &t), MTASTS_TXT_OTHER);
	ck_assert_int_eq(txt("v=STSv10; id=1", &t), MTASTS_TXT_OTHER);
	ck_assert_int_eq(txt("", &t), MTASTS_TXT_OTHER);
	/* invalid ones */
	ck_assert_int_eq(txt("v=STSv1", &t), MTASTS_TXT_INVALID);
	ck_assert_int_eq(txt("v=STSv1; id=", &t), MTASTS_TXT_INVALID);
	ck_assert_int_eq(txt("v=STSv1; id=a-b", &t), MTASTS_TXT_INVALID);
	ck_assert_int_eq(txt("v=STSv1; id=1; id=2", &t), MTASTS_TXT_INVALID);
	ck_assert_int_eq(txt("v=STSv1; id=123456789012345678901234567890123", &t),
			 MTASTS_TXT_INVALID);
	ck_assert_int_eq(txt("v=STSv1; id=12345678901234567890123456789012", &t), MTASTS_TXT_OK);
	ck_assert_int_eq(txt("v=STSv1; id=1 2", &t), MTASTS_TXT_INVALID);
	ck_assert_int_eq(txt("v=STSv1; junk", &t), MTASTS_TXT_INVALID);
}
END_TEST

/* pol - parse S as a policy file */
static bool pol(const char *s, struct mtasts_policy *p, char *why)
{
	return mtasts_parse_policy(s, strlen(s), p, why, 160);
}

START_TEST(policy_files)
{
	struct mtasts_policy p;
	char why[160];

	/* RFC 8461 section 3.2's example, CRLF */
	ck_assert(pol("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
		      "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n", &p, why));
	ck_assert_int_eq(p.mode, MTASTS_MODE_ENFORCE);
	ck_assert_uint_eq(p.max_age, 604800);
	ck_assert_uint_eq(p.n_mx, 3);
	ck_assert_str_eq(p.mx[1], "*.example.net");
	/* LF, no final line end, blanks, unknown keys, upper-case mx folded */
	ck_assert(pol("version:STSv1\nmode:  testing  \nfoo: bar\nmx: MX.Example.ORG.\nmax_age:0", &p,
		      why));
	ck_assert_int_eq(p.mode, MTASTS_MODE_TESTING);
	ck_assert_str_eq(p.mx[0], "mx.example.org");
	ck_assert(pol("version: STSv1\nmode: none\nmax_age: 86400\n", &p, why));
	ck_assert_int_eq(p.mode, MTASTS_MODE_NONE);
	/* errors */
	ck_assert(!pol("mode: enforce\nmx: a.b\nmax_age: 1\n", &p, why));
	ck_assert_str_eq(why, "no version");
	ck_assert(!pol("version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 1\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmax_age: 1\n", &p, why));
	ck_assert_str_eq(why, "mode enforce without any mx");
	ck_assert(!pol("version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\nmax_age: 2\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 1\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\nno colon\n", &p, why));
	ck_assert(!pol("version: STSv1\nmode: enforce\nmx: \xc3\xa9.b\nmax_age: 1\n", &p, why));
	ck_assert(!pol("", &p, why));
}
END_TEST

START_TEST(policy_mx_limit)
{
	struct mtasts_policy p;
	char why[160], buf[4096];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "version: STSv1\nmode: enforce\nmax_age: 5\n");

	for (int i = 0; i < MTASTS_MAX_MX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "mx: mx%d.example\n", i);
	ck_assert(mtasts_parse_policy(buf, n, &p, why, sizeof(why)));
	ck_assert_uint_eq(p.n_mx, MTASTS_MAX_MX);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "mx: one.too.many\n");
	ck_assert(!mtasts_parse_policy(buf, n, &p, why, sizeof(why)));
}
END_TEST

START_TEST(mx_patterns)
{
	ck_assert(mtasts_mx_match("mail.example.com", "MAIL.example.com."));
	ck_assert(mtasts_mx_match("*.example.net", "mx1.example.net"));
	ck_assert(!mtasts_mx_match("*.example.net", "a.b.example.net"));
	ck_assert(!mtasts_mx_match("*.example.net", "example.net"));
	ck_assert(!mtasts_mx_match("*.example.net", ".example.net"));
	ck_assert(!mtasts_mx_match("mail.example.com", "mail.example.co"));
	ck_assert(!mtasts_mx_match("mail.example.com", "xmail.example.com"));
	ck_assert(!mtasts_mx_match("", "a"));
}
END_TEST

/* the verdict order of rtlsrcpt.h: each pair of path states and what it gives */
static const struct {
	enum rtlsrcpt_path dane, sts;
	enum rtlsrcpt_result result;
	const char *via, *code, *xcode;
} verdicts[] = {
	{ RTLSRCPT_OK, RTLSRCPT_TEMP, RTLSRCPT_PASS, "dane", NULL, NULL },
	{ RTLSRCPT_OK, RTLSRCPT_NO, RTLSRCPT_PASS, "dane", NULL, NULL },
	/* bogus DANE: no fall back to a good MTA-STS policy */
	{ RTLSRCPT_BOGUS, RTLSRCPT_OK, RTLSRCPT_TEMPERROR, NULL, "451", "4.7.5" },
	{ RTLSRCPT_BOGUS, RTLSRCPT_NO, RTLSRCPT_TEMPERROR, NULL, "451", "4.7.5" },
	{ RTLSRCPT_NO, RTLSRCPT_OK, RTLSRCPT_PASS, "mta-sts", NULL, NULL },
	{ RTLSRCPT_TEMP, RTLSRCPT_OK, RTLSRCPT_PASS, "mta-sts", NULL, NULL },
	{ RTLSRCPT_TEMP, RTLSRCPT_NO, RTLSRCPT_TEMPERROR, NULL, "451", "4.7.0" },
	{ RTLSRCPT_NO, RTLSRCPT_TEMP, RTLSRCPT_TEMPERROR, NULL, "451", "4.7.0" },
	{ RTLSRCPT_NO, RTLSRCPT_NO, RTLSRCPT_FAIL, NULL, "550", "5.7.30" },
};

START_TEST(verdict_order)
{
	struct pw_config cfg;
	struct rtlsrcpt_verdict v;
	struct rtlsrcpt_facts f;

	ck_assert(pw_config_defaults(&cfg));
	ck_assert_int_eq(cfg.requiretls_recipient_check, PW_RCPT_CHECK_REJECT);
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.domain = "example.org";
		f.dane = verdicts[i].dane;
		f.sts = verdicts[i].sts;
		strcpy(f.dane_why, "MX RRset not DNSSEC-signed (insecure)");
		strcpy(f.sts_why, "no _mta-sts TXT record 100%");
		for (int mode = PW_RCPT_CHECK_REJECT; mode <= PW_RCPT_CHECK_LOG; mode++) {
			cfg.requiretls_recipient_check = (enum pw_rcpt_check)mode;
			rtlsrcpt_decide(&cfg, &f, &v);
			ck_assert_msg(v.result == verdicts[i].result, "row %zu: result %s", i,
				      rtlsrcpt_result_names[v.result]);
			ck_assert_pstr_eq(v.via, verdicts[i].via);
			ck_assert_pstr_eq(v.code, verdicts[i].code);
			ck_assert_pstr_eq(v.xcode, verdicts[i].xcode);
			/* mode log: the same verdict, nothing done */
			ck_assert(v.act == (v.result != RTLSRCPT_PASS && mode == PW_RCPT_CHECK_REJECT));
			ck_assert_ptr_null(strchr(v.text, '%'));
		}
	}
	ck_assert_msg(strncmp(v.text, "REQUIRETLS: example.org has no DNSSEC-signed MX with DANE "
			      "TLSA records and no MTA-STS policy in enforce mode (DANE: MX RRset",
			      100) == 0, "%s", v.text);
	pw_config_free(&cfg);
}
END_TEST

START_TEST(required_and_exempt)
{
	struct pw_config cfg;
	struct pw_policy pol;
	struct pw_diags d = { 0 };
	struct rtls_facts f;
	const struct pw_rule *rule;
	const char *doms[] = { "other.example", "partner.example" };
	const char *text = "require_tls recipient_domain partner.example\n"
			   "require_tls sender_domain .corp.example\n";

	ck_assert(pw_config_defaults(&cfg));
	memset(&pol, 0, sizeof(pol));
	ck_assert_uint_eq(pw_policy_parse(&pol, "t.policy", text, strlen(text), &d), 0);
	memset(&f, 0, sizeof(f));
	ck_assert(!rtlsrcpt_required(&cfg, &pol, &f, &rule));
	f.param = true;
	ck_assert(rtlsrcpt_required(&cfg, &pol, &f, &rule));
	ck_assert_ptr_null(rule);
	f.param = false;
	/* a field seen (cannot be, at RCPT) changes nothing */
	f.n_fields = 2;
	f.rcpt_domains = doms;
	f.n_rcpts = 1;
	ck_assert(!rtlsrcpt_required(&cfg, &pol, &f, &rule));
	f.n_rcpts = 2;
	ck_assert(rtlsrcpt_required(&cfg, &pol, &f, &rule));
	ck_assert_uint_eq(rule->line, 1);
	f.n_rcpts = 0;
	f.sender_domain = "hq.corp.example";
	ck_assert(rtlsrcpt_required(&cfg, &pol, &f, &rule));
	ck_assert_uint_eq(rule->line, 2);

	ck_assert(pw_config_set(&cfg, "requiretls_exempt_domains", "Local.Example, .relay.example",
				"t.conf", 1, &d));
	ck_assert_str_eq(rtlsrcpt_exempt(&cfg, "local.example"), "local.example");
	ck_assert_ptr_null(rtlsrcpt_exempt(&cfg, "sub.local.example"));
	ck_assert_str_eq(rtlsrcpt_exempt(&cfg, "a.relay.example"), ".relay.example");
	ck_assert_ptr_null(rtlsrcpt_exempt(&cfg, "relay.example"));
	ck_assert(!pw_config_set(&cfg, "requiretls_exempt_domains", "bad..domain", "t.conf", 2, &d));
	ck_assert(pw_config_set(&cfg, "requiretls_recipient_check", "log", "t.conf", 3, &d));
	ck_assert_int_eq(cfg.requiretls_recipient_check, PW_RCPT_CHECK_LOG);
	ck_assert(!pw_config_set(&cfg, "requiretls_recipient_check", "maybe", "t.conf", 4, &d));
	pw_diags_free(&d);
	pw_policy_free(&pol);
	pw_config_free(&cfg);
}
END_TEST

/* cached - is DOMAIN's policy in the cache at NOW, with id ID (NULL: any) */
static bool cached(const char *domain, time_t now, const char *id)
{
	struct mtasts_policy p;
	char got[MTASTS_MAX_ID + 1];
	time_t exp;

	return stscache_get(domain, now, &p, got, &exp) && (id == NULL || strcmp(got, id) == 0);
}

START_TEST(policy_cache)
{
	struct mtasts_policy p;
	struct stscache_stats st;

	stscache_clear();
	memset(&p, 0, sizeof(p));
	p.mode = MTASTS_MODE_ENFORCE;
	p.max_age = 100;
	ck_assert(stscache_put("a.example", "1", &p, 1000, 2));
	ck_assert(stscache_put("b.example", "1", &p, 1000, 2));
	ck_assert(cached("a.example", 1001, "1"));	/* a is now the more recent */
	ck_assert(stscache_put("c.example", "1", &p, 1002, 2));	/* full: b goes */
	ck_assert(!cached("b.example", 1003, NULL));
	ck_assert(cached("a.example", 1003, "1") && cached("c.example", 1003, "1"));
	stscache_stats(&st);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.evictions, 1);
	/* a new id replaces the entry; the count stays */
	ck_assert(stscache_put("A.example", "2", &p, 1004, 2));
	ck_assert(cached("a.example", 1005, "2"));
	stscache_stats(&st);
	ck_assert_uint_eq(st.entries, 2);
	/* max_age: kept until fetch time + max_age, not at it */
	ck_assert(cached("c.example", 1101, NULL));
	ck_assert(!cached("c.example", 1102, NULL));
	/* an expired entry goes before a live one when room is needed */
	ck_assert(stscache_put("d.example", "1", &p, 1102, 2));
	ck_assert(cached("a.example", 1102, "2") && cached("d.example", 1102, "1"));
	/* a lower bound (a reload) takes effect at the next put */
	ck_assert(stscache_put("e.example", "1", &p, 1103, 1));
	stscache_stats(&st);
	ck_assert_uint_eq(st.entries, 1);
	ck_assert(cached("e.example", 1103, "1"));
	/* nothing stored that could not be looked up again */
	ck_assert(!stscache_put("f.example", "123456789012345678901234567890123", &p, 1103, 5));
	ck_assert(!stscache_put("g.example", "1", &p, 1103, 0));
	stscache_clear();
	stscache_stats(&st);
	ck_assert_uint_eq(st.entries, 0);
}
END_TEST

/* failed_fetches - a failure is remembered for its domain and id, STSCACHE_FAIL_TTL seconds,
 * in a ring of STSCACHE_FAIL_SLOTS domains */
START_TEST(failed_fetches)
{
	char why[64], name[32];
	bool nf = false;
	time_t when = 0;

	stscache_clear();
	stscache_fail_put("a.example", "1", true, "HTTP 404", 1000);
	stscache_fail_put("b.example", "1", false, "timeout", 1000);
	ck_assert(stscache_fail_get("A.example", "1", 1000 + STSCACHE_FAIL_TTL - 1, &nf, why,
				    sizeof(why), &when));
	ck_assert(nf);
	ck_assert_str_eq(why, "HTTP 404");
	ck_assert_int_eq(when, 1000);
	ck_assert(stscache_fail_get("b.example", "1", 1001, &nf, why, sizeof(why), &when));
	ck_assert(!nf);
	ck_assert(!stscache_fail_get("a.example", "2", 1001, &nf, why, sizeof(why), &when));
	ck_assert(!stscache_fail_get("a.example", "1", 1000 + STSCACHE_FAIL_TTL, &nf, why,
				     sizeof(why), &when));
	ck_assert(!stscache_fail_get("a.example", "1", 999, &nf, why, sizeof(why), &when));
	/* a later failure replaces the domain's slot */
	stscache_fail_put("a.example", "2", false, "refused", 1010);
	ck_assert(!stscache_fail_get("a.example", "1", 1011, &nf, why, sizeof(why), &when));
	ck_assert(stscache_fail_get("a.example", "2", 1011, &nf, why, sizeof(why), &when));
	/* the ring: STSCACHE_FAIL_SLOTS more domains push out a and b */
	for (int k = 0; k < STSCACHE_FAIL_SLOTS; k++) {
		snprintf(name, sizeof(name), "d%d.example", k);
		stscache_fail_put(name, "1", false, "timeout", 1020);
	}
	ck_assert(!stscache_fail_get("a.example", "2", 1021, &nf, why, sizeof(why), &when));
	ck_assert(!stscache_fail_get("b.example", "1", 1021, &nf, why, sizeof(why), &when));
	ck_assert(stscache_fail_get("d0.example", "1", 1021, &nf, why, sizeof(why), &when));
	stscache_clear();
	ck_assert(!stscache_fail_get("d0.example", "1", 1021, &nf, why, sizeof(why), &when));
}
END_TEST

/* rtlsrcpt_suite - the MTA-STS parsers, then the decisions at RCPT */
Suite *rtlsrcpt_suite(void)
{
	Suite *s = suite_create("rtlsrcpt");
	TCase *sts = tcase_create("mtasts"), *rcpt = tcase_create("rcpt");

	tcase_add_test(sts, txt_records);
	tcase_add_test(sts, policy_files);
	tcase_add_test(sts, policy_mx_limit);
	tcase_add_test(sts, mx_patterns);
	suite_add_tcase(s, sts);
	tcase_add_test(rcpt, verdict_order);
	tcase_add_test(rcpt, required_and_exempt);
	tcase_add_test(rcpt, policy_cache);
	tcase_add_test(rcpt, failed_fetches);
	suite_add_tcase(s, rcpt);
	return s;
}
