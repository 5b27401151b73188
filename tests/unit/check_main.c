/*
 * tests/unit/check_main.c - suite runner for the policy/ unit tests, plus shared helpers.
 *
 * Exit status: 0 when every test passed, 1 otherwise (automake's TESTS convention).
 * CK_FORK, CK_VERBOSITY, CK_RUN_SUITE and CK_RUN_CASE work as usual.
 */
#include "check_policy.h"

#include <stdio.h>
#include <stdlib.h>

/* diag_text - one diagnostic, formatted */
const char *diag_text(const struct pw_diags *d, size_t i)
{
	static char buf[1024];

	if (d == NULL || i >= d->n)
		snprintf(buf, sizeof(buf), "<no diagnostic %zu>", i);
	else if (pw_diag_format(&d->v[i], buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "<pw_diag_format failed for %zu>", i);
	return buf;
}

/* diag_all - every diagnostic, one per line */
const char *diag_all(const struct pw_diags *d)
{
	static char all[8192];
	char one[1024];
	size_t used = 0;

	all[0] = '\0';
	for (size_t i = 0; d != NULL && i < d->n && used < sizeof(all); i++) {
		if (pw_diag_format(&d->v[i], one, sizeof(one)) < 0)
			snprintf(one, sizeof(one), "<unformattable>");
		int n = snprintf(all + used, sizeof(all) - used, "  %s\n", one);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return all;
}

int main(void)
{
	SRunner *sr = srunner_create(diag_suite());
	int failed;

	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, addr_suite());
	srunner_add_suite(sr, policyfile_suite());
	srunner_add_suite(sr, requiretls_suite());
	srunner_add_suite(sr, dsn_suite());
	srunner_add_suite(sr, rtlsrcpt_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
