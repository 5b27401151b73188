/*
 * tests/fuzz/fuzz_config.c - fuzz harness for policy/config: the postward.conf parser
 * (pw_config_parse) on top of the built-in defaults, then every setting read back.
 *
 * Input contract: the whole input is the file's text, handed over as the daemon does after
 * reading the file (pointer and length, not NUL-terminated, so a read past the end is
 * caught; NUL octets and any other bytes are the parser's to refuse).
 * Contract checked: no crash, no sanitizer report, no leak (the config and the diagnostics
 * are freed each run); every setting in the table reads back NUL-terminated within its
 * buffer; every diagnostic formats; uint settings stay inside their table bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_config cfg;
	struct pw_diags d = { 0 };
	char *text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	memset(&cfg, 0, sizeof cfg);
	if (!pw_config_defaults(&cfg))
		goto out;
	size_t nerr = pw_config_parse(&cfg, "fuzz.conf", text, size, &d);
	if (nerr > d.n)
		abort();

	size_t nopt = 0;
	const struct pw_option *opt = pw_config_options(&nopt);
	char buf[512];
	for (size_t i = 0; i < nopt; i++) {
		if (!pw_config_get(&cfg, opt[i].name, buf, sizeof buf))
			abort();
		if (strnlen(buf, sizeof buf) == sizeof buf)
			abort();
		if (opt[i].type == PW_OPT_UINT) {
			unsigned long v = strtoul(buf, NULL, 10);
			if (v < opt[i].min || v > opt[i].max)
				abort();
		}
	}
	for (size_t i = 0; i < d.n; i++) {
		pw_diag_format(&d.v[i], buf, sizeof buf);
		if (strnlen(buf, sizeof buf) == sizeof buf)
			abort();
	}
out:
	pw_config_free(&cfg);
	pw_diags_free(&d);
	free(text);
	return 0;
}
