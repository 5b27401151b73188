/*
 * tests/unit/check_diag.c - policy/diag.c: collecting and formatting "FILE:LINE: message".
 */
#include "check_policy.h"

#include <stdio.h>

START_TEST(diag_format_with_line)
{
	struct pw_diags d = { 0 };
	char buf[128];

	pw_diags_add(&d, "/etc/postward/postward.conf", 12, "unknown setting \"%s\"", "foo");
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.oom, 0);
	ck_assert_str_eq(d.v[0].file, "/etc/postward/postward.conf");
	ck_assert_uint_eq(d.v[0].line, 12);
	ck_assert_str_eq(d.v[0].msg, "unknown setting \"foo\"");
	int n = pw_diag_format(&d.v[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "/etc/postward/postward.conf:12: unknown setting \"foo\"");
	ck_assert_int_eq(n, (int)strlen(buf));
	pw_diags_free(&d);
}
END_TEST

START_TEST(diag_format_line_zero_is_whole_file)
{
	struct pw_diags d = { 0 };
	char buf[128];

	pw_diags_add(&d, "tls.policy", 0, "cannot read: %s", "No such file or directory");
	pw_diag_format(&d.v[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "tls.policy: cannot read: No such file or directory");
	pw_diags_free(&d);
}
END_TEST

START_TEST(diag_format_truncates_safely)
{
	struct pw_diags d = { 0 };
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	pw_diags_add(&d, "a.conf", 3, "%s", "a rather long message");
	pw_diag_format(&d.v[0], buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);	/* terminated inside buf */
	ck_assert_str_eq(buf, "a.conf:");
	pw_diags_free(&d);
}
END_TEST

START_TEST(diag_keeps_order_and_grows)
{
	struct pw_diags d = { 0 };
	char want[64];

	for (unsigned i = 1; i <= 100; i++)
		pw_diags_add(&d, "f", i, "error number %u", i * 7);
	ck_assert_uint_eq(d.n, 100);
	ck_assert_int_eq(d.oom, 0);
	for (unsigned i = 1; i <= 100; i++) {
		snprintf(want, sizeof(want), "f:%u: error number %u", i, i * 7);
		ck_assert_diag(&d, i - 1, want);
	}
	pw_diags_free(&d);
}
END_TEST

START_TEST(diag_free_empties_and_is_reusable)
{
	struct pw_diags d = { 0 };

	pw_diags_add(&d, "x", 1, "one");
	pw_diags_add(&d, "x", 2, "two");
	pw_diags_free(&d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_null(d.v);
	pw_diags_add(&d, "y", 5, "again");
	ck_assert_uint_eq(d.n, 1);
	ck_assert_diag(&d, 0, "y:5: again");
	pw_diags_free(&d);
	pw_diags_free(&d);	/* freeing an empty list is harmless */
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(diag_message_is_not_a_format_string)
{
	struct pw_diags d = { 0 };

	/* a value that looks like a conversion must come out verbatim */
	pw_diags_add(&d, "p%sfile", 4, "bad value \"%s\"", "%n%s%d");
	ck_assert_diag(&d, 0, "p%sfile:4: bad value \"%n%s%d\"");
	pw_diags_free(&d);
}
END_TEST

START_TEST(diag_warnings_are_counted_apart)
{
	struct pw_diags d = { 0 };
	char buf[128];

	pw_diags_warn(&d, "b.subscribers", 3, "subscriber \"%s\" is in both", "a@b.example");
	pw_diags_add(&d, "b.list", 0, "missing owner statement");
	pw_diags_warn(&d, "b.list", 0, "roster_file has no effect");
	ck_assert_uint_eq(d.n, 3);
	ck_assert_uint_eq(d.warnings, 2);
	ck_assert_uint_eq(pw_diags_errors(&d), 1);
	ck_assert(d.v[0].warning && !d.v[1].warning && d.v[2].warning);
	pw_diag_format(&d.v[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "b.subscribers:3: warning: subscriber \"a@b.example\" is in both");
	pw_diag_format(&d.v[1], buf, sizeof(buf));
	ck_assert_str_eq(buf, "b.list: missing owner statement");
	pw_diag_format(&d.v[2], buf, sizeof(buf));
	ck_assert_str_eq(buf, "b.list: warning: roster_file has no effect");
	pw_diags_free(&d);
	ck_assert_uint_eq(d.warnings, 0);
	ck_assert_uint_eq(pw_diags_errors(&d), 0);
}
END_TEST

Suite *diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("diag");

	tcase_add_test(tc, diag_format_with_line);
	tcase_add_test(tc, diag_format_line_zero_is_whole_file);
	tcase_add_test(tc, diag_format_truncates_safely);
	tcase_add_test(tc, diag_keeps_order_and_grows);
	tcase_add_test(tc, diag_free_empties_and_is_reusable);
	tcase_add_test(tc, diag_message_is_not_a_format_string);
	tcase_add_test(tc, diag_warnings_are_counted_apart);
	suite_add_tcase(s, tc);
	return s;
}
