/*
 * tests/unit/check_requiretls.c - policy/requiretls.c: REQUIRETLS at MAIL FROM, the
 * TLS-Required/RequireTLS header field, the end-of-header decision and RET=HDRS.
 * Contract: policy/requiretls.h (decision order 1-6) and SPEC "REQUIRETLS semantics".
 */
#include "check_policy.h"

#include <stdio.h>
#include <stdlib.h>

#include "policy/requiretls.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ck_assert_reason - the verdict's reason starts with WORD (the greppable part) */
#define ck_assert_reason(v, word) \
	ck_assert_msg(strncmp((v)->reason, (word), strlen(word)) == 0, \
		      "reason is \"%s\", expected \"%s...\"", (v)->reason, (word))

/* ck_assert_reply - a reject with exactly these code, xcode and text */
#define ck_assert_reply(v, c, x, t) do { \
	ck_assert((v)->reject); \
	ck_assert_ptr_nonnull((v)->code); \
	ck_assert_ptr_nonnull((v)->xcode); \
	ck_assert_ptr_nonnull((v)->text); \
	ck_assert_str_eq((v)->code, (c)); \
	ck_assert_str_eq((v)->xcode, (x)); \
	ck_assert_str_eq((v)->text, (t)); \
} while (0)

#define DUP_TEXT "Message has more than one TLS-Required header field"
#define UNK_TEXT "Unrecognized TLS-Required header field value"

/* ---- MAIL FROM parameters ------------------------------------------------------------ */

static const struct {
	const char *argv[4];
	size_t argc;
	bool requiretls, value;
	enum rtls_ret ret;
} mail_args[] = {
	{ { NULL }, 0, false, false, RTLS_RET_NONE },
	{ { "REQUIRETLS" }, 1, true, false, RTLS_RET_NONE },
	{ { "requiretls" }, 1, true, false, RTLS_RET_NONE },
	{ { "RequireTLS" }, 1, true, false, RTLS_RET_NONE },
	{ { "SIZE=1000", "BODY=8BITMIME", "rEqUiReTlS" }, 3, true, false, RTLS_RET_NONE },
	{ { "REQUIRETLS=x" }, 1, true, true, RTLS_RET_NONE },
	{ { "REQUIRETLS=YES" }, 1, true, true, RTLS_RET_NONE },
	{ { "requiretls=" }, 1, true, true, RTLS_RET_NONE },
	{ { "REQUIRETLSX" }, 1, false, false, RTLS_RET_NONE },
	{ { "XREQUIRETLS" }, 1, false, false, RTLS_RET_NONE },
	{ { "REQUIRE" }, 1, false, false, RTLS_RET_NONE },
	{ { "RET=FULL" }, 1, false, false, RTLS_RET_FULL },
	{ { "ret=full" }, 1, false, false, RTLS_RET_FULL },
	{ { "RET=HDRS" }, 1, false, false, RTLS_RET_HDRS },
	{ { "Ret=Hdrs" }, 1, false, false, RTLS_RET_HDRS },
	{ { "RET=BOGUS" }, 1, false, false, RTLS_RET_NONE },
	{ { "RETX=FULL" }, 1, false, false, RTLS_RET_NONE },
	{ { "REQUIRETLS", "RET=FULL", "ENVID=abc" }, 3, true, false, RTLS_RET_FULL },
	{ { "RET=HDRS", "SMTPUTF8", "REQUIRETLS" }, 3, true, false, RTLS_RET_HDRS },
	{ { "SIZE=5", "REQUIRETLS" }, 1, false, false, RTLS_RET_NONE },	/* argc is honoured */
};

START_TEST(parse_mail_args)
{
	struct rtls_mail_args a;

	memset(&a, 0x5a, sizeof(a));
	a.requiretls = a.requiretls_value = true;
	rtls_parse_mail_args(mail_args[_i].argv, mail_args[_i].argc, &a);
	ck_assert_msg(a.requiretls == mail_args[_i].requiretls, "case %d: requiretls = %d", _i,
		      a.requiretls);
	ck_assert_msg(a.requiretls_value == mail_args[_i].value, "case %d: requiretls_value = %d",
		      _i, a.requiretls_value);
	ck_assert_int_eq(a.ret, mail_args[_i].ret);
}
END_TEST

static void check_mail(const char *arg, bool tls, struct rtls_verdict *v)
{
	struct rtls_mail_args a;
	const char *argv[2] = { "SIZE=100", arg };

	rtls_parse_mail_args(argv, arg ? 2 : 1, &a);
	memset(v, 0x5a, sizeof(*v));
	v->reject = true;
	rtls_check_mail(&a, tls, v);
}

START_TEST(check_mail_plain)
{
	struct rtls_verdict v;

	check_mail(NULL, false, &v);
	ck_assert(!v.reject);
	check_mail(NULL, true, &v);
	ck_assert(!v.reject);
	check_mail("RET=FULL", false, &v);
	ck_assert(!v.reject);
}
END_TEST

START_TEST(check_mail_requiretls_with_tls)
{
	struct rtls_verdict v;

	check_mail("REQUIRETLS", true, &v);
	ck_assert(!v.reject);
	check_mail("requiretls", true, &v);
	ck_assert(!v.reject);
}
END_TEST

START_TEST(check_mail_requiretls_without_tls)
{
	struct rtls_verdict v;

	check_mail("REQUIRETLS", false, &v);
	ck_assert_reply(&v, "530", "5.7.10", "REQUIRETLS requires a TLS session");
	check_mail("RequireTls", false, &v);
	ck_assert_reply(&v, "530", "5.7.10", "REQUIRETLS requires a TLS session");
}
END_TEST

START_TEST(check_mail_requiretls_with_value)
{
	struct rtls_verdict v;

	check_mail("REQUIRETLS=x", true, &v);
	ck_assert_reply(&v, "501", "5.5.4", "REQUIRETLS takes no value");
	check_mail("requiretls=yes", true, &v);
	ck_assert_reply(&v, "501", "5.5.4", "REQUIRETLS takes no value");
	/* without TLS as well: refused one way or the other */
	check_mail("REQUIRETLS=x", false, &v);
	ck_assert(v.reject);
	ck_assert_ptr_nonnull(v.code);
	ck_assert_msg(strcmp(v.code, "501") == 0 || strcmp(v.code, "530") == 0, "code %s", v.code);
}
END_TEST

/* ---- header fields ------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum rtls_header_kind kind;
} header_kinds[] = {
	{ "TLS-Required", RTLS_HK_TLS_REQUIRED },
	{ "tls-required", RTLS_HK_TLS_REQUIRED },
	{ "TLS-REQUIRED", RTLS_HK_TLS_REQUIRED },
	{ "tLs-ReQuIrEd", RTLS_HK_TLS_REQUIRED },
	{ "RequireTLS", RTLS_HK_TLS_REQUIRED },
	{ "requiretls", RTLS_HK_TLS_REQUIRED },
	{ "REQUIRETLS", RTLS_HK_TLS_REQUIRED },
	{ "X-Postward-TLS", RTLS_HK_TAG },
	{ "x-postward-tls", RTLS_HK_TAG },
	{ "X-POSTWARD-TLS", RTLS_HK_TAG },
	{ RTLS_TAG_HEADER, RTLS_HK_TAG },
	{ "Subject", RTLS_HK_OTHER },
	{ "", RTLS_HK_OTHER },
	{ "TLS-Required-X", RTLS_HK_OTHER },
	{ "X-TLS-Required", RTLS_HK_OTHER },
	{ "TLS-Require", RTLS_HK_OTHER },
	{ "Require-TLS", RTLS_HK_OTHER },
	{ "RequireTLS2", RTLS_HK_OTHER },
	{ "X-Postward-TLS-Debug", RTLS_HK_OTHER },
	{ "X-Postward", RTLS_HK_OTHER },
};

START_TEST(header_kind)
{
	ck_assert_msg(rtls_header_kind(header_kinds[_i].name) == header_kinds[_i].kind,
		      "rtls_header_kind(\"%s\") = %d, expected %d", header_kinds[_i].name,
		      rtls_header_kind(header_kinds[_i].name), header_kinds[_i].kind);
}
END_TEST

START_TEST(tag_header_name)
{
	ck_assert_str_eq(RTLS_TAG_HEADER, "X-Postward-TLS");
}
END_TEST

static const struct {
	const char *value;
	enum rtls_hdr_value want;
	bool only_not_no;	/* malformed: anything but RTLS_HV_NO will do */
} header_values[] = {
	{ "No", RTLS_HV_NO, false },
	{ "no", RTLS_HV_NO, false },
	{ "NO", RTLS_HV_NO, false },
	{ "nO", RTLS_HV_NO, false },
	{ " no ", RTLS_HV_NO, false },
	{ " No", RTLS_HV_NO, false },			/* milters usually get the leading blank */
	{ "\tNo\t", RTLS_HV_NO, false },
	{ "\r\n No", RTLS_HV_NO, false },		/* folded */
	{ "No\r\n ", RTLS_HV_NO, false },
	{ "NO (comment)", RTLS_HV_NO, false },
	{ "(c) No", RTLS_HV_NO, false },
	{ "(c)No", RTLS_HV_NO, false },
	{ "No(c)", RTLS_HV_NO, false },
	{ " no (relax) ", RTLS_HV_NO, false },
	{ "(a (nested) c) no (x (y (z)) w)", RTLS_HV_NO, false },
	{ "(a) (b) No (c) (d)", RTLS_HV_NO, false },
	{ "(a\\)) No", RTLS_HV_NO, false },		/* quoted-pair inside the comment */
	{ "(a \\( b) No", RTLS_HV_NO, false },
	{ "Yes", RTLS_HV_OTHER, false },
	{ "yes", RTLS_HV_OTHER, false },
	{ "No No", RTLS_HV_OTHER, false },
	{ "No, thanks", RTLS_HV_OTHER, false },
	{ "Nope", RTLS_HV_OTHER, false },
	{ "N", RTLS_HV_OTHER, false },
	{ "No;", RTLS_HV_OTHER, false },
	{ "no)", RTLS_HV_OTHER, false },
	{ "\"No\"", RTLS_HV_OTHER, false },
	{ "required", RTLS_HV_OTHER, false },
	{ "", RTLS_HV_EMPTY, false },
	{ "   ", RTLS_HV_EMPTY, false },
	{ "(a\\) No", RTLS_HV_OTHER, true },		/* comment never closes */
	{ "No (unclosed", RTLS_HV_OTHER, true },
	{ "(unclosed No", RTLS_HV_OTHER, true },
	{ "(just a comment)", RTLS_HV_EMPTY, true },
};

START_TEST(header_value)
{
	enum rtls_hdr_value got = rtls_header_value(header_values[_i].value);
	if (header_values[_i].only_not_no)
		ck_assert_msg(got != RTLS_HV_NO, "rtls_header_value(\"%s\") = No",
			      header_values[_i].value);
	else
		ck_assert_msg(got == header_values[_i].want, "rtls_header_value(\"%s\") = %d, expected %d",
			      header_values[_i].value, got, header_values[_i].want);
}
END_TEST

START_TEST(tag_values)
{
	ck_assert_str_eq(rtls_tag_value(RTLS_TAG_REQUIRED), "required");
	ck_assert_str_eq(rtls_tag_value(RTLS_TAG_OPTIONAL), "optional");
	ck_assert_ptr_null(rtls_tag_value(RTLS_TAG_NONE));
}
END_TEST

/* ---- the decision -------------------------------------------------------------------- */

static struct pw_config cfg;
static struct pw_policy pol;
static struct rtls_facts f;
static struct rtls_verdict v;
static struct pw_ipaddr client;
static const char *rcpts[3];

#define RULE_SENDER 0		/* require_tls sender_domain bank.example     (line 2) */
#define RULE_RCPT 1		/* require_tls recipient_domain .gov.example  (line 3) */
#define RULE_AUTH 2		/* require_tls auth_user Alice                (line 4) */
#define RULE_NET 3		/* require_tls client_network 192.0.2.0/24    (line 5) */

static void setup(void)
{
	static const char text[] =
		"# test policy\n"
		"require_tls sender_domain bank.example\n"
		"require_tls recipient_domain .gov.example\n"
		"require_tls auth_user Alice\n"
		"require_tls client_network 192.0.2.0/24\n";
	struct pw_diags d = { 0 };

	ck_assert(pw_config_defaults(&cfg));
	memset(&pol, 0, sizeof(pol));
	ck_assert_uint_eq(pw_policy_parse(&pol, "t.policy", text, sizeof(text) - 1, &d), 0);
	pw_diags_free(&d);
	ck_assert_uint_eq(pol.n_tls_rules, 4);

	/* an ordinary message that matches no rule and has no field */
	ck_assert(pw_ip_parse("198.51.100.25", &client));
	rcpts[0] = "example.org";
	rcpts[1] = NULL;
	rcpts[2] = "gov.example";	/* not a subdomain of gov.example */
	memset(&f, 0, sizeof(f));
	f.param = false;
	f.ret = RTLS_RET_NONE;
	f.n_fields = 0;
	f.value = RTLS_HV_EMPTY;
	f.field_name = NULL;
	f.sender_domain = "sender.example";
	f.auth_user = NULL;
	f.client = &client;
	f.rcpt_domains = rcpts;
	f.n_rcpts = 3;
	memset(&v, 0x5a, sizeof(v));
}

static void teardown(void)
{
	pw_policy_free(&pol);
	pw_config_free(&cfg);
}

static void decide(void)
{
	memset(&v, 0x5a, sizeof(v));
	v.reject = true;
	v.fields_ignored = true;
	v.ret_hdrs = true;
	rtls_decide(&cfg, &pol, &f, &v);
}

static void one_field(enum rtls_hdr_value value)
{
	f.n_fields = 1;
	f.value = value;
	f.field_name = "TLS-Required";
}

START_TEST(decide_step6_nothing)
{
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert(!v.reject);
	ck_assert(!v.fields_ignored);
	ck_assert(!v.ret_hdrs);
	ck_assert_ptr_null(v.rule);
	ck_assert_reason(&v, "no-request");
}
END_TEST

START_TEST(decide_step6_minimal_facts)
{
	/* null sender, no recipients, unknown client, no auth, empty policy */
	struct pw_policy empty = { 0 };
	f.sender_domain = NULL;
	f.rcpt_domains = NULL;
	f.n_rcpts = 0;
	f.client = NULL;
	memset(&v, 0x5a, sizeof(v));
	rtls_decide(&cfg, &empty, &f, &v);
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert(!v.reject);
	ck_assert_reason(&v, "no-request");
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert(!v.reject);
}
END_TEST

START_TEST(decide_step1_parameter)
{
	f.param = true;
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert(!v.fields_ignored);
	ck_assert(!v.ret_hdrs);
	ck_assert_reason(&v, "mail-parameter");
}
END_TEST

START_TEST(decide_step1_parameter_beats_no_header)
{
	f.param = true;
	one_field(RTLS_HV_NO);
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert(v.fields_ignored);
	ck_assert_reason(&v, "mail-parameter");
}
END_TEST

START_TEST(decide_step1_parameter_beats_duplicates)
{
	/* fields are ignored and not counted: no 550 for two of them */
	f.param = true;
	f.n_fields = 2;
	f.value = RTLS_HV_NO;
	f.field_name = "RequireTLS";
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert(v.fields_ignored);
	ck_assert_reason(&v, "mail-parameter");
}
END_TEST

START_TEST(decide_step1_parameter_beats_unknown_reject)
{
	cfg.tls_required_unknown = PW_UNKNOWN_REJECT;
	f.param = true;
	one_field(RTLS_HV_OTHER);
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert(v.fields_ignored);
}
END_TEST

START_TEST(decide_step1_parameter_beats_rule)
{
	f.param = true;
	f.sender_domain = "bank.example";
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert_reason(&v, "mail-parameter");
}
END_TEST

START_TEST(decide_step2_duplicates)
{
	f.n_fields = 2;
	f.value = RTLS_HV_NO;
	f.field_name = "TLS-Required";
	decide();
	ck_assert_reply(&v, "550", "5.6.0", DUP_TEXT);
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	f.n_fields = 3;
	decide();
	ck_assert_reply(&v, "550", "5.6.0", DUP_TEXT);
}
END_TEST

START_TEST(decide_step2_duplicates_beat_rule)
{
	f.n_fields = 2;
	f.value = RTLS_HV_OTHER;
	f.sender_domain = "bank.example";
	decide();
	ck_assert_reply(&v, "550", "5.6.0", DUP_TEXT);
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
}
END_TEST

/* which facts make each rule match, and what the verdict should say it matched */
static const struct {
	int rule;
	const char *sender, *auth, *client, *rcpt;
	const char *matched;	/* NULL: any non-NULL text */
} rule_hits[] = {
	{ RULE_SENDER, "bank.example", NULL, NULL, NULL, "bank.example" },
	{ RULE_RCPT, NULL, NULL, NULL, "tax.gov.example", "tax.gov.example" },
	{ RULE_RCPT, NULL, NULL, NULL, "a.b.gov.example", "a.b.gov.example" },
	{ RULE_AUTH, NULL, "Alice", NULL, NULL, "Alice" },
	{ RULE_NET, NULL, NULL, "192.0.2.77", NULL, NULL },
	{ RULE_NET, NULL, NULL, "::ffff:192.0.2.1", NULL, NULL },
};

static void apply_hit(int i, struct pw_ipaddr *ip)
{
	if (rule_hits[i].sender)
		f.sender_domain = rule_hits[i].sender;
	if (rule_hits[i].auth)
		f.auth_user = rule_hits[i].auth;
	if (rule_hits[i].client) {
		ck_assert(pw_ip_parse(rule_hits[i].client, ip));
		f.client = ip;
	}
	if (rule_hits[i].rcpt)
		rcpts[1] = rule_hits[i].rcpt;	/* after a NULL-free entry, before another */
}

START_TEST(decide_step3_each_selector)
{
	struct pw_ipaddr ip;

	apply_hit(_i, &ip);
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert(!v.fields_ignored);
	ck_assert(!v.ret_hdrs);
	ck_assert_ptr_eq(v.rule, &pol.tls_rules[rule_hits[_i].rule]);
	ck_assert_str_eq(v.rule->file, "t.policy");
	ck_assert_uint_eq(v.rule->line, (unsigned)rule_hits[_i].rule + 2);
	ck_assert_ptr_nonnull(v.matched);
	if (rule_hits[_i].matched)
		ck_assert_str_eq(v.matched, rule_hits[_i].matched);
	ck_assert_reason(&v, "policy");
}
END_TEST

START_TEST(decide_step3_matched_is_borrowed_from_facts)
{
	static char sender[] = "bank.example";
	f.sender_domain = sender;
	decide();
	ck_assert_ptr_eq(v.matched, sender);
	f.sender_domain = "sender.example";
	rcpts[1] = "x.gov.example";
	decide();
	ck_assert_ptr_eq(v.matched, rcpts[1]);
}
END_TEST

static const struct {
	const char *sender, *auth, *client, *rcpt;
} rule_misses[] = {
	{ "notbank.example", NULL, NULL, NULL },
	{ "www.bank.example", NULL, NULL, NULL },	/* exact pattern: no subdomains */
	{ NULL, NULL, NULL, "gov.example" },		/* .pattern: not the parent itself */
	{ NULL, NULL, NULL, "gov.example.org" },
	{ NULL, "alice", NULL, NULL },			/* auth_user is case-sensitive */
	{ NULL, "Alice2", NULL, NULL },
	{ NULL, "", NULL, NULL },
	{ NULL, NULL, "192.0.3.1", NULL },
	{ NULL, NULL, "2001:db8::1", NULL },
};

START_TEST(decide_step3_misses)
{
	struct pw_ipaddr ip;

	if (rule_misses[_i].sender)
		f.sender_domain = rule_misses[_i].sender;
	if (rule_misses[_i].auth)
		f.auth_user = rule_misses[_i].auth;
	if (rule_misses[_i].client) {
		ck_assert(pw_ip_parse(rule_misses[_i].client, &ip));
		f.client = &ip;
	}
	if (rule_misses[_i].rcpt)
		rcpts[0] = rule_misses[_i].rcpt;
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert(!v.reject);
	ck_assert_ptr_null(v.rule);
	ck_assert_reason(&v, "no-request");
}
END_TEST

START_TEST(decide_step3_null_sender_unknown_client)
{
	struct pw_ipaddr unknown;
	memset(&unknown, 0, sizeof(unknown));	/* family 0 */
	f.sender_domain = NULL;
	f.client = &unknown;
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert_ptr_null(v.rule);
	f.client = NULL;
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
}
END_TEST

START_TEST(decide_step3_rule_overrides_no)
{
	one_field(RTLS_HV_NO);
	f.sender_domain = "bank.example";
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert(v.fields_ignored);
	ck_assert_ptr_eq(v.rule, &pol.tls_rules[RULE_SENDER]);
	ck_assert_reason(&v, "policy");
}
END_TEST

START_TEST(decide_step3_rule_beats_unknown_reject)
{
	cfg.tls_required_unknown = PW_UNKNOWN_REJECT;
	one_field(RTLS_HV_OTHER);
	rcpts[2] = "irs.gov.example";
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_REQUIRED);
	ck_assert(!v.reject);
	ck_assert_ptr_eq(v.rule, &pol.tls_rules[RULE_RCPT]);
	ck_assert_str_eq(v.matched, "irs.gov.example");
}
END_TEST

START_TEST(decide_step4_no)
{
	one_field(RTLS_HV_NO);
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_OPTIONAL);
	ck_assert(!v.reject);
	ck_assert(!v.fields_ignored);
	ck_assert_ptr_null(v.rule);
	ck_assert_reason(&v, "header");
	/* tls_required_unknown has no say over a "No" */
	cfg.tls_required_unknown = PW_UNKNOWN_REJECT;
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_OPTIONAL);
	ck_assert(!v.reject);
}
END_TEST

START_TEST(decide_step5_unknown_ignore)
{
	cfg.tls_required_unknown = PW_UNKNOWN_IGNORE;
	one_field(RTLS_HV_OTHER);
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert(!v.reject);
	ck_assert_reason(&v, "unknown-value");
	one_field(RTLS_HV_EMPTY);
	decide();
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	ck_assert(!v.reject);
	ck_assert_reason(&v, "unknown-value");
}
END_TEST

START_TEST(decide_step5_unknown_reject)
{
	cfg.tls_required_unknown = PW_UNKNOWN_REJECT;
	one_field(RTLS_HV_OTHER);
	decide();
	ck_assert_reply(&v, "550", "5.6.0", UNK_TEXT);
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
	one_field(RTLS_HV_EMPTY);
	decide();
	ck_assert_reply(&v, "550", "5.6.0", UNK_TEXT);
}
END_TEST

START_TEST(decide_reject_setting_alone_rejects_nothing)
{
	cfg.tls_required_unknown = PW_UNKNOWN_REJECT;
	decide();
	ck_assert(!v.reject);
	ck_assert_int_eq(v.tag, RTLS_TAG_NONE);
}
END_TEST

/* RET=FULL -> ret_hdrs only with the REQUIRETLS parameter and requiretls_ret_hdrs = yes */
static const struct {
	bool param;
	enum rtls_ret ret;
	bool setting;
	bool rule;		/* also match a policy rule */
	enum rtls_hdr_value field;	/* with one field of this value, unless EMPTY */
	bool ret_hdrs;
} ret_cases[] = {
	{ true, RTLS_RET_FULL, true, false, RTLS_HV_EMPTY, true },
	{ true, RTLS_RET_FULL, false, false, RTLS_HV_EMPTY, false },
	{ true, RTLS_RET_HDRS, true, false, RTLS_HV_EMPTY, false },
	{ true, RTLS_RET_NONE, true, false, RTLS_HV_EMPTY, false },
	{ true, RTLS_RET_FULL, true, true, RTLS_HV_EMPTY, true },
	{ true, RTLS_RET_FULL, true, false, RTLS_HV_NO, true },
	{ false, RTLS_RET_FULL, true, false, RTLS_HV_EMPTY, false },
	{ false, RTLS_RET_FULL, true, true, RTLS_HV_EMPTY, false },	/* policy: no param */
	{ false, RTLS_RET_FULL, true, false, RTLS_HV_NO, false },
};

START_TEST(decide_ret_hdrs)
{
	f.param = ret_cases[_i].param;
	f.ret = ret_cases[_i].ret;
	cfg.requiretls_ret_hdrs = ret_cases[_i].setting;
	if (ret_cases[_i].rule)
		f.auth_user = "Alice";
	if (ret_cases[_i].field != RTLS_HV_EMPTY)
		one_field(ret_cases[_i].field);
	decide();
	ck_assert_msg(v.ret_hdrs == ret_cases[_i].ret_hdrs, "case %d: ret_hdrs = %d", _i, v.ret_hdrs);
	ck_assert(!v.reject);
}
END_TEST

/* ---- RET rewrite --------------------------------------------------------------------- */

START_TEST(rewrite_ret_full)
{
	const char *argv[] = { "SIZE=1234", "RET=FULL", "ENVID=QQ314159", "REQUIRETLS" };
	const char *out[4] = { NULL };

	ck_assert_uint_eq(rtls_rewrite_ret(argv, 4, out, 4), 4);
	ck_assert_str_eq(out[1], "RET=HDRS");
	/* the rest are the very same strings, in order */
	ck_assert_ptr_eq(out[0], argv[0]);
	ck_assert_ptr_eq(out[2], argv[2]);
	ck_assert_ptr_eq(out[3], argv[3]);
}
END_TEST

START_TEST(rewrite_ret_lower_case)
{
	const char *argv[] = { "requiretls", "ret=full" };
	const char *out[2] = { NULL };

	ck_assert_uint_eq(rtls_rewrite_ret(argv, 2, out, 2), 2);
	ck_assert_ptr_eq(out[0], argv[0]);
	ck_assert_str_eq(out[1], "RET=HDRS");
}
END_TEST

START_TEST(rewrite_ret_leaves_others)
{
	const char *argv[] = { "REQUIRETLS", "RET=HDRS", "BODY=8BITMIME" };
	const char *out[3] = { NULL };

	ck_assert_uint_eq(rtls_rewrite_ret(argv, 3, out, 3), 3);
	ck_assert_ptr_eq(out[0], argv[0]);
	ck_assert_str_eq(out[1], "RET=HDRS");
	ck_assert_ptr_eq(out[2], argv[2]);

	const char *none[] = { "SIZE=1", "SMTPUTF8" };
	ck_assert_uint_eq(rtls_rewrite_ret(none, 2, out, 3), 2);
	ck_assert_ptr_eq(out[0], none[0]);
	ck_assert_ptr_eq(out[1], none[1]);
	ck_assert_uint_eq(rtls_rewrite_ret(none, 0, out, 3), 0);
}
END_TEST

START_TEST(rewrite_ret_only_full_is_replaced)
{
	/* requiretls.h: "RET=FULL replaced by RET=HDRS"; other RET= spellings are not ours to change */
	const char *argv[] = { "RET=BOGUS", "RETURN=FULL" };
	const char *out[2] = { NULL };

	ck_assert_uint_eq(rtls_rewrite_ret(argv, 2, out, 2), 2);
	ck_assert_ptr_eq(out[0], argv[0]);
	ck_assert_ptr_eq(out[1], argv[1]);
}
END_TEST

START_TEST(rewrite_ret_respects_cap)
{
	const char *argv[] = { "A=1", "RET=FULL", "B=2", "C=3" };
	const char **out = malloc(2 * sizeof(*out));	/* exactly cap: ASan sees overruns */

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(rtls_rewrite_ret(argv, 4, out, 2), 2);
	ck_assert_ptr_eq(out[0], argv[0]);
	ck_assert_str_eq(out[1], "RET=HDRS");
	ck_assert_uint_eq(rtls_rewrite_ret(argv, 4, out, 0), 0);
	free(out);
}
END_TEST

Suite *requiretls_suite(void)
{
	Suite *s = suite_create("requiretls");
	TCase *tc;

	tc = tcase_create("mail_from");
	tcase_add_loop_test(tc, parse_mail_args, 0, (int)NELEM(mail_args));
	tcase_add_test(tc, check_mail_plain);
	tcase_add_test(tc, check_mail_requiretls_with_tls);
	tcase_add_test(tc, check_mail_requiretls_without_tls);
	tcase_add_test(tc, check_mail_requiretls_with_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("header");
	tcase_add_loop_test(tc, header_kind, 0, (int)NELEM(header_kinds));
	tcase_add_test(tc, tag_header_name);
	tcase_add_loop_test(tc, header_value, 0, (int)NELEM(header_values));
	tcase_add_test(tc, tag_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, decide_step6_nothing);
	tcase_add_test(tc, decide_step6_minimal_facts);
	tcase_add_test(tc, decide_step1_parameter);
	tcase_add_test(tc, decide_step1_parameter_beats_no_header);
	tcase_add_test(tc, decide_step1_parameter_beats_duplicates);
	tcase_add_test(tc, decide_step1_parameter_beats_unknown_reject);
	tcase_add_test(tc, decide_step1_parameter_beats_rule);
	tcase_add_test(tc, decide_step2_duplicates);
	tcase_add_test(tc, decide_step2_duplicates_beat_rule);
	tcase_add_loop_test(tc, decide_step3_each_selector, 0, (int)NELEM(rule_hits));
	tcase_add_test(tc, decide_step3_matched_is_borrowed_from_facts);
	tcase_add_loop_test(tc, decide_step3_misses, 0, (int)NELEM(rule_misses));
	tcase_add_test(tc, decide_step3_null_sender_unknown_client);
	tcase_add_test(tc, decide_step3_rule_overrides_no);
	tcase_add_test(tc, decide_step3_rule_beats_unknown_reject);
	tcase_add_test(tc, decide_step4_no);
	tcase_add_test(tc, decide_step5_unknown_ignore);
	tcase_add_test(tc, decide_step5_unknown_reject);
	tcase_add_test(tc, decide_reject_setting_alone_rejects_nothing);
	tcase_add_loop_test(tc, decide_ret_hdrs, 0, (int)NELEM(ret_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("ret");
	tcase_add_test(tc, rewrite_ret_full);
	tcase_add_test(tc, rewrite_ret_lower_case);
	tcase_add_test(tc, rewrite_ret_leaves_others);
	tcase_add_test(tc, rewrite_ret_only_full_is_replaced);
	tcase_add_test(tc, rewrite_ret_respects_cap);
	suite_add_tcase(s, tc);
	return s;
}
