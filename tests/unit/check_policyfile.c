/*
 * tests/unit/check_policyfile.c - policy/policyfile.c: the administrator's policy files.
 * Contract: policy/policyfile.h and SPEC "Policy files".
 */
#include "check_policy.h"

#include <stdio.h>
#include <stdlib.h>

#include "policy/policyfile.h"

static struct pw_policy pol;
static struct pw_diags d;

static void setup(void)
{
	memset(&pol, 0, sizeof(pol));
	memset(&d, 0, sizeof(d));
}

static void teardown(void)
{
	pw_policy_free(&pol);
	pw_diags_free(&d);
}

static size_t parse(const char *name, const char *text)
{
	return pw_policy_parse(&pol, name, text, strlen(text), &d);
}

/* ck_assert_rule - rule I has selector SEL, pattern PAT, file FILE and line LINE */
#define ck_assert_rule(i, sel_, pat, file_, line_) do { \
	ck_assert_msg((size_t)(i) < pol.n_tls_rules, "no rule %zu (only %zu)", \
		      (size_t)(i), pol.n_tls_rules); \
	ck_assert_int_eq(pol.tls_rules[i].sel, (sel_)); \
	ck_assert_str_eq(pol.tls_rules[i].pattern, (pat)); \
	ck_assert_ptr_nonnull(pol.tls_rules[i].file); \
	ck_assert_str_eq(pol.tls_rules[i].file, (file_)); \
	ck_assert_uint_eq(pol.tls_rules[i].line, (line_)); \
} while (0)

START_TEST(selector_names)
{
	ck_assert_str_eq(pw_selector_name(PW_SEL_SENDER_DOMAIN), "sender_domain");
	ck_assert_str_eq(pw_selector_name(PW_SEL_RECIPIENT_DOMAIN), "recipient_domain");
	ck_assert_str_eq(pw_selector_name(PW_SEL_AUTH_USER), "auth_user");
	ck_assert_str_eq(pw_selector_name(PW_SEL_CLIENT_NETWORK), "client_network");
}
END_TEST

START_TEST(every_selector)
{
	size_t errs = parse("tls.policy",
		"require_tls sender_domain bank.example\n"
		"require_tls recipient_domain .gov.example\n"
		"require_tls auth_user alice\n"
		"require_tls client_network 192.0.2.0/24\n");
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(errs, 0);
	ck_assert_uint_eq(pol.n_tls_rules, 4);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, "bank.example", "tls.policy", 1);
	ck_assert_rule(1, PW_SEL_RECIPIENT_DOMAIN, ".gov.example", "tls.policy", 2);
	ck_assert_rule(2, PW_SEL_AUTH_USER, "alice", "tls.policy", 3);
	ck_assert_rule(3, PW_SEL_CLIENT_NETWORK, "192.0.2.0/24", "tls.policy", 4);
	ck_assert_int_eq(pol.tls_rules[3].net.addr.family, 4);
	ck_assert_uint_eq(pol.tls_rules[3].net.prefix, 24);
	static const unsigned char net[4] = { 192, 0, 2, 0 };
	ck_assert_mem_eq(pol.tls_rules[3].net.addr.a, net, 4);
	ck_assert_uint_eq(pol.n_files, 1);
	ck_assert_str_eq(pol.files[0], "tls.policy");
	/* rules borrow the policy's copy of the file name */
	ck_assert_ptr_eq(pol.tls_rules[0].file, pol.files[0]);
}
END_TEST

START_TEST(multi_value_lines)
{
	ck_assert_uint_eq(parse("m.policy",
		"require_tls recipient_domain a.example .b.example C.Example\n"
		"require_tls auth_user Alice bob\n"
		"require_tls client_network 192.0.2.0/24 2001:db8::/32 198.51.100.7\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(pol.n_tls_rules, 8);
	ck_assert_rule(0, PW_SEL_RECIPIENT_DOMAIN, "a.example", "m.policy", 1);
	ck_assert_rule(1, PW_SEL_RECIPIENT_DOMAIN, ".b.example", "m.policy", 1);
	ck_assert_rule(2, PW_SEL_RECIPIENT_DOMAIN, "c.example", "m.policy", 1);	/* lower-cased */
	ck_assert_rule(3, PW_SEL_AUTH_USER, "Alice", "m.policy", 2);		/* case kept */
	ck_assert_rule(4, PW_SEL_AUTH_USER, "bob", "m.policy", 2);
	ck_assert_rule(5, PW_SEL_CLIENT_NETWORK, "192.0.2.0/24", "m.policy", 3);
	ck_assert_rule(6, PW_SEL_CLIENT_NETWORK, "2001:db8::/32", "m.policy", 3);
	ck_assert_rule(7, PW_SEL_CLIENT_NETWORK, "198.51.100.7", "m.policy", 3);
	ck_assert_int_eq(pol.tls_rules[6].net.addr.family, 6);
	ck_assert_uint_eq(pol.tls_rules[6].net.prefix, 32);
	ck_assert_int_eq(pol.tls_rules[7].net.addr.family, 4);
	ck_assert_uint_eq(pol.tls_rules[7].net.prefix, 32);
}
END_TEST

START_TEST(sender_domain_lower_cased)
{
	ck_assert_uint_eq(parse("s.policy", "require_tls sender_domain .Bank.EXAMPLE\n"), 0);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, ".bank.example", "s.policy", 1);
}
END_TEST

START_TEST(blanks_tabs_comments)
{
	ck_assert_uint_eq(parse("c.policy",
		"# TLS policy\n"
		"\n"
		"   \t  \n"
		"    # indented comment\n"
		"\trequire_tls\t sender_domain\t\tone.example   \n"
		"require_tls recipient_domain two.example # trailing comment three.example\n"
		"require_tls recipient_domain four.example #five.example\n"
		"#require_tls sender_domain six.example\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(pol.n_tls_rules, 3);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, "one.example", "c.policy", 5);
	ck_assert_rule(1, PW_SEL_RECIPIENT_DOMAIN, "two.example", "c.policy", 6);
	ck_assert_rule(2, PW_SEL_RECIPIENT_DOMAIN, "four.example", "c.policy", 7);
}
END_TEST

START_TEST(hash_inside_word_is_not_a_comment)
{
	/* policyfile.h: "'#' starts a comment anywhere outside a word" - so "a.example#x" is one
	 * word, and not a plausible domain */
	ck_assert_uint_eq(parse("h.policy", "require_tls sender_domain a.example#x\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "h.policy:1: ");
	ck_assert_diag_has(&d, 0, "a.example#x");
	ck_assert_uint_eq(pol.n_tls_rules, 0);
}
END_TEST

START_TEST(crlf_and_no_final_newline)
{
	ck_assert_uint_eq(parse("w.policy", "require_tls sender_domain a.example\r\n"
					    "require_tls auth_user bob\r\n"
					    "require_tls sender_domain z.example"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(pol.n_tls_rules, 3);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, "a.example", "w.policy", 1);
	ck_assert_rule(1, PW_SEL_AUTH_USER, "bob", "w.policy", 2);
	ck_assert_rule(2, PW_SEL_SENDER_DOMAIN, "z.example", "w.policy", 3);
}
END_TEST

START_TEST(respects_len)
{
	static const char text[] = "require_tls sender_domain a.example\nrequire_tls auth_user bob\n";
	size_t first = strlen("require_tls sender_domain a.example");
	ck_assert_uint_eq(pw_policy_parse(&pol, "l.policy", text, first, &d), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(pol.n_tls_rules, 1);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, "a.example", "l.policy", 1);

	/* a heap copy with no NUL: ASan catches a read past the end */
	size_t n = strlen("require_tls auth_user carol");
	char *heap = malloc(n);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, "require_tls auth_user carol", n);
	ck_assert_uint_eq(pw_policy_parse(&pol, "heap.policy", heap, n, &d), 0);
	free(heap);
	ck_assert_uint_eq(pol.n_tls_rules, 2);
	ck_assert_rule(1, PW_SEL_AUTH_USER, "carol", "heap.policy", 1);
}
END_TEST

START_TEST(empty_file)
{
	ck_assert_uint_eq(pw_policy_parse(&pol, "e.policy", "", 0, &d), 0);
	ck_assert_uint_eq(parse("c.policy", "# nothing yet\n\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(pol.n_tls_rules, 0);
}
END_TEST

/* ---- errors, with their line numbers ------------------------------------------------- */

START_TEST(error_unknown_statement)
{
	ck_assert_uint_eq(parse("p.policy", "# x\nrequire_ssl sender_domain a.example\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "p.policy:2: unknown statement \"require_ssl\"");
	ck_assert_uint_eq(pol.n_tls_rules, 0);
}
END_TEST

START_TEST(error_unknown_selector)
{
	ck_assert_uint_eq(parse("p.policy", "require_tls sender_domain ok.example\n\n"
					    "require_tls helo_name mx.example\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "p.policy:3: unknown selector \"helo_name\"");
	ck_assert_uint_eq(pol.n_tls_rules, 1);
}
END_TEST

static const char *const selector_words[] = {
	"sender_domain", "recipient_domain", "auth_user", "client_network",
};

START_TEST(error_selector_without_value)
{
	char text[128], want[128];

	snprintf(text, sizeof(text), "# a\n# b\n# c\nrequire_tls %s   # nothing\n", selector_words[_i]);
	snprintf(want, sizeof(want), "v.policy:4: require_tls %s needs at least one value",
		 selector_words[_i]);
	ck_assert_uint_eq(parse("v.policy", text), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, want);
	ck_assert_uint_eq(pol.n_tls_rules, 0);
}
END_TEST

START_TEST(error_require_tls_alone)
{
	ck_assert_uint_eq(parse("a.policy", "\nrequire_tls\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "a.policy:2: ");
	ck_assert_diag_has(&d, 0, "selector");
}
END_TEST

static const char *const bad_domains[] = {
	"a..b", "bad!domain.example", "..example.com", "user@example.com", "192.0.2.0/24", ".",
};

START_TEST(error_bad_domain)
{
	char text[128];

	snprintf(text, sizeof(text), "require_tls recipient_domain good.example\n"
		 "require_tls %s %s\n", _i % 2 ? "sender_domain" : "recipient_domain", bad_domains[_i]);
	ck_assert_uint_eq(parse("dom.policy", text), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "dom.policy:2: ");
	ck_assert_diag_has(&d, 0, bad_domains[_i]);
	ck_assert_diag_has(&d, 0, "domain");
	ck_assert_uint_eq(pol.n_tls_rules, 1);
}
END_TEST

static const char *const bad_networks[] = {
	"192.0.2.1/24", "192.0.2.0/33", "2001:db8::/129", "2001:db8::1/64", "mx.example",
	"192.0.2.0/", "300.1.1.1",
};

START_TEST(error_bad_network)
{
	char text[128];

	snprintf(text, sizeof(text), "# nets\nrequire_tls client_network 198.51.100.0/24\n"
		 "require_tls client_network %s\n", bad_networks[_i]);
	ck_assert_uint_eq(parse("net.policy", text), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "net.policy:3: ");
	ck_assert_diag_has(&d, 0, bad_networks[_i]);
	ck_assert_diag_has(&d, 0, "network");
	ck_assert_uint_eq(pol.n_tls_rules, 1);
}
END_TEST

START_TEST(error_one_bad_value_keeps_the_others)
{
	ck_assert_uint_eq(parse("mix.policy",
		"require_tls recipient_domain good.example a..b other.example\n"
		"require_tls client_network 192.0.2.0/24 192.0.2.1/24 2001:db8::/48\n"), 2);
	ck_assert_ndiags(&d, 2);
	ck_assert_diag_prefix(&d, 0, "mix.policy:1: ");
	ck_assert_diag_has(&d, 0, "a..b");
	ck_assert_diag_prefix(&d, 1, "mix.policy:2: ");
	ck_assert_diag_has(&d, 1, "192.0.2.1/24");
	ck_assert_uint_eq(pol.n_tls_rules, 4);
	ck_assert_rule(0, PW_SEL_RECIPIENT_DOMAIN, "good.example", "mix.policy", 1);
	ck_assert_rule(1, PW_SEL_RECIPIENT_DOMAIN, "other.example", "mix.policy", 1);
	ck_assert_rule(2, PW_SEL_CLIENT_NETWORK, "192.0.2.0/24", "mix.policy", 2);
	ck_assert_rule(3, PW_SEL_CLIENT_NETWORK, "2001:db8::/48", "mix.policy", 2);
}
END_TEST

START_TEST(error_many_collected_in_order)
{
	size_t errs = parse("all.policy",
		"require_tls sender_domain ok.example\n"	/* 1 */
		"allow_plain sender_domain x.example\n"		/* 2 unknown statement */
		"\n"						/* 3 */
		"require_tls sender_domains y.example\n"	/* 4 unknown selector */
		"require_tls auth_user\n"			/* 5 no value */
		"# comment\n"					/* 6 */
		"require_tls client_network 10.0.0.1/8\n"	/* 7 bad network */
		"require_tls recipient_domain -bad-!\n"		/* 8 bad domain */
		"require_tls auth_user carol\n");		/* 9 */
	ck_assert_uint_eq(errs, 5);
	ck_assert_ndiags(&d, 5);
	ck_assert_diag_prefix(&d, 0, "all.policy:2: unknown statement \"allow_plain\"");
	ck_assert_diag_prefix(&d, 1, "all.policy:4: unknown selector \"sender_domains\"");
	ck_assert_diag(&d, 2, "all.policy:5: require_tls auth_user needs at least one value");
	ck_assert_diag_prefix(&d, 3, "all.policy:7: ");
	ck_assert_diag_has(&d, 3, "10.0.0.1/8");
	ck_assert_diag_prefix(&d, 4, "all.policy:8: ");
	ck_assert_diag_has(&d, 4, "-bad-!");
	ck_assert_uint_eq(pol.n_tls_rules, 2);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, "ok.example", "all.policy", 1);
	ck_assert_rule(1, PW_SEL_AUTH_USER, "carol", "all.policy", 9);
}
END_TEST

START_TEST(error_control_character)
{
	static const char text[] = "require_tls sender_domain a.example\n"
				   "require_tls auth_user b\0b\n"
				   "require_tls auth_user c\n";
	ck_assert_uint_eq(pw_policy_parse(&pol, "nul.policy", text, sizeof(text) - 1, &d), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "nul.policy:2: ");
	ck_assert_uint_eq(pol.n_tls_rules, 2);
	ck_assert_rule(1, PW_SEL_AUTH_USER, "c", "nul.policy", 3);
}
END_TEST

START_TEST(returns_only_new_errors)
{
	pw_diags_add(&d, "before", 7, "older problem");
	ck_assert_uint_eq(parse("n.policy", "bogus\n"), 1);
	ck_assert_ndiags(&d, 2);
	ck_assert_diag(&d, 0, "before:7: older problem");
	ck_assert_diag_prefix(&d, 1, "n.policy:1: unknown statement \"bogus\"");
}
END_TEST

/* ---- several files into one policy --------------------------------------------------- */

START_TEST(several_files_one_policy)
{
	char name[64];

	ck_assert_uint_eq(parse("/etc/postward/banks.policy",
		"# banks\nrequire_tls sender_domain bank.example .bank.example\n"), 0);
	ck_assert_uint_eq(parse("/etc/postward/staff.policy",
		"require_tls auth_user alice\n\n\nrequire_tls client_network 2001:db8::/32\n"), 0);
	/* a name in a temporary buffer: the policy must keep its own copy */
	snprintf(name, sizeof(name), "/etc/postward/broken.policy");
	ck_assert_uint_eq(parse(name, "require_tls recipient_domain gov.example\n"
				      "require_tls nothing here\n"), 1);
	memset(name, 'X', sizeof(name) - 1);

	ck_assert_uint_eq(pol.n_files, 3);
	ck_assert_str_eq(pol.files[0], "/etc/postward/banks.policy");
	ck_assert_str_eq(pol.files[1], "/etc/postward/staff.policy");
	ck_assert_str_eq(pol.files[2], "/etc/postward/broken.policy");
	ck_assert_uint_eq(pol.n_tls_rules, 5);
	ck_assert_rule(0, PW_SEL_SENDER_DOMAIN, "bank.example", "/etc/postward/banks.policy", 2);
	ck_assert_rule(1, PW_SEL_SENDER_DOMAIN, ".bank.example", "/etc/postward/banks.policy", 2);
	ck_assert_rule(2, PW_SEL_AUTH_USER, "alice", "/etc/postward/staff.policy", 1);
	ck_assert_rule(3, PW_SEL_CLIENT_NETWORK, "2001:db8::/32", "/etc/postward/staff.policy", 4);
	ck_assert_rule(4, PW_SEL_RECIPIENT_DOMAIN, "gov.example", "/etc/postward/broken.policy", 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "/etc/postward/broken.policy:2: unknown selector \"nothing\"");
}
END_TEST

START_TEST(many_rules_grow)
{
	/* enough rules to force the arrays to grow several times; file/line stay right */
	char line[96];
	char *text = malloc(200 * sizeof(line));
	size_t used = 0;

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 1; i <= 150; i++)
		used += (size_t)snprintf(text + used, 200 * sizeof(line) - used,
					 "require_tls recipient_domain d%u.example\n", i);
	ck_assert_uint_eq(pw_policy_parse(&pol, "big.policy", text, used, &d), 0);
	ck_assert_uint_eq(parse("small.policy", "require_tls auth_user z\n"), 0);
	free(text);
	ck_assert_uint_eq(pol.n_tls_rules, 151);
	for (unsigned i = 1; i <= 150; i++) {
		snprintf(line, sizeof(line), "d%u.example", i);
		ck_assert_rule(i - 1, PW_SEL_RECIPIENT_DOMAIN, line, "big.policy", i);
	}
	ck_assert_rule(150, PW_SEL_AUTH_USER, "z", "small.policy", 1);
}
END_TEST

START_TEST(free_empties_and_is_reusable)
{
	ck_assert_uint_eq(parse("a.policy", "require_tls auth_user x y\n"), 0);
	pw_policy_free(&pol);
	ck_assert_uint_eq(pol.n_tls_rules, 0);
	ck_assert_uint_eq(pol.n_files, 0);
	ck_assert_ptr_null(pol.tls_rules);
	ck_assert_ptr_null(pol.files);
	ck_assert_uint_eq(parse("b.policy", "require_tls auth_user q\n"), 0);
	ck_assert_uint_eq(pol.n_tls_rules, 1);
	ck_assert_rule(0, PW_SEL_AUTH_USER, "q", "b.policy", 1);
}
END_TEST

Suite *policyfile_suite(void)
{
	Suite *s = suite_create("policyfile");
	TCase *tc;

	tc = tcase_create("statements");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, selector_names);
	tcase_add_test(tc, every_selector);
	tcase_add_test(tc, multi_value_lines);
	tcase_add_test(tc, sender_domain_lower_cased);
	tcase_add_test(tc, blanks_tabs_comments);
	tcase_add_test(tc, hash_inside_word_is_not_a_comment);
	tcase_add_test(tc, crlf_and_no_final_newline);
	tcase_add_test(tc, respects_len);
	tcase_add_test(tc, empty_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, error_unknown_statement);
	tcase_add_test(tc, error_unknown_selector);
	tcase_add_loop_test(tc, error_selector_without_value, 0,
			    (int)(sizeof(selector_words) / sizeof(selector_words[0])));
	tcase_add_test(tc, error_require_tls_alone);
	tcase_add_loop_test(tc, error_bad_domain, 0, (int)(sizeof(bad_domains) / sizeof(bad_domains[0])));
	tcase_add_loop_test(tc, error_bad_network, 0, (int)(sizeof(bad_networks) / sizeof(bad_networks[0])));
	tcase_add_test(tc, error_one_bad_value_keeps_the_others);
	tcase_add_test(tc, error_many_collected_in_order);
	tcase_add_test(tc, error_control_character);
	tcase_add_test(tc, returns_only_new_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, several_files_one_policy);
	tcase_add_test(tc, many_rules_grow);
	tcase_add_test(tc, free_empties_and_is_reusable);
	suite_add_tcase(s, tc);
	return s;
}
