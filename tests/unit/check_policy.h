/*
 * tests/unit/check_policy.h - shared declarations for the policy/ unit tests (Check framework).
 *
 * One binary, tests/unit/check_policy, built from every .c file in tests/unit: check_main.c holds main()
 * and the helpers below; every other file contributes one Suite.
 */
#ifndef POSTWARD_TESTS_UNIT_CHECK_POLICY_H
#define POSTWARD_TESTS_UNIT_CHECK_POLICY_H

#include <check.h>
#include <stddef.h>
#include <string.h>

#include "policy/diag.h"

/* suites, one per policy/ module */
Suite *diag_suite(void);
Suite *config_suite(void);
Suite *addr_suite(void);
Suite *policyfile_suite(void);
Suite *requiretls_suite(void);
Suite *dsn_suite(void);
Suite *rtlsrcpt_suite(void);

/* diag_text - diagnostic I of D rendered by pw_diag_format() into a static buffer
 * ("<no diagnostic I>" if there is none, so comparisons fail with a readable message) */
const char *diag_text(const struct pw_diags *d, size_t i);
/* diag_all - every diagnostic of D, one per line, for failure messages (static buffer) */
const char *diag_all(const struct pw_diags *d);

/* ck_assert_diag - diagnostic I is exactly EXPECTED ("FILE:LINE: message") */
#define ck_assert_diag(d, i, expected) \
	ck_assert_str_eq(diag_text((d), (i)), (expected))

/* ck_assert_diag_prefix - diagnostic I starts with PREFIX */
#define ck_assert_diag_prefix(d, i, prefix) \
	ck_assert_msg(strncmp(diag_text((d), (i)), (prefix), strlen(prefix)) == 0, \
		      "diagnostic %zu is \"%s\", expected it to start with \"%s\"", \
		      (size_t)(i), diag_text((d), (i)), (prefix))

/* ck_assert_diag_has - diagnostic I contains NEEDLE */
#define ck_assert_diag_has(d, i, needle) \
	ck_assert_msg(strstr(diag_text((d), (i)), (needle)) != NULL, \
		      "diagnostic %zu is \"%s\", expected it to contain \"%s\"", \
		      (size_t)(i), diag_text((d), (i)), (needle))

/* ck_assert_ndiags - exactly N diagnostics, listing them all on failure */
#define ck_assert_ndiags(d, count) \
	ck_assert_msg((d)->n == (size_t)(count), "expected %zu diagnostic(s), got %zu:\n%s", \
		      (size_t)(count), (d)->n, diag_all(d))

/* TEXT - a string literal and its length, for the parsers' (text, len) arguments */
#define TEXT(s) (s), (sizeof(s) - 1)

#endif
