/*
 * tests/fuzz/fuzz_config.c - fuzz harness for policy/config: the postward.conf parser
 * (pw_config_parse) on top of the built-in defaults, then every setting read back.
 *
 * Input contract: the whole input is the file's text, handed over as the daemon does after
 * reading the file (pointer and length, not NUL-terminated, so a read past the end is
 * caught; NUL octets and any other bytes are the parser's to refuse).
 * Contract checked: no crash, no sanitizer report, no leak (the config and the diagnostics
 * are freed each run); every setting in the table reads back NUL-terminated within its
 * buffer, without control characters (a tab aside); every diagnostic formats; uint
 * settings stay inside their table bounds; every
 * value as `postward -n` shows it, written back as "name = value", parses without error
 * to the same value (what -n prints can be pasted into the file).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* roundtrip - the value `postward -n` shows for option O, written back as a setting line
 * on the defaults, parses without error and reads back the same */
static void roundtrip(const struct pw_option *o, const char *value)
{
	struct pw_config cfg;
	struct pw_diags d = { 0 };
	size_t len = strlen(o->name) + strlen(value) + 5;
	char *line = malloc(len), *again = malloc(len + 1);
	memset(&cfg, 0, sizeof cfg);
	if (line != NULL && again != NULL && pw_config_defaults(&cfg)) {
		size_t n = (size_t)snprintf(line, len, "%s = %s\n", o->name, value);
		if (pw_config_parse(&cfg, "roundtrip.conf", line, n, &d) != 0 ||
		    !pw_config_get(&cfg, o->name, again, len + 1) || strcmp(again, value) != 0)
			abort();
	}
	pw_config_free(&cfg);
	pw_diags_free(&d);
	free(again);
	free(line);
}

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
	char buf[8192], def[8192];
	struct pw_config dcfg;
	memset(&dcfg, 0, sizeof dcfg);
	if (!pw_config_defaults(&dcfg)) {
		pw_config_free(&dcfg);
		goto out;
	}
	for (size_t i = 0; i < nopt; i++) {
		if (!pw_config_get(&cfg, opt[i].name, buf, sizeof buf))
			abort();
		size_t n = strnlen(buf, sizeof buf);
		if (n == sizeof buf)
			abort();
		if (opt[i].type == PW_OPT_UINT) {
			unsigned long v = strtoul(buf, NULL, 10);
			if (v < opt[i].min || v > opt[i].max)
				abort();
		}
		for (size_t k = 0; k < n; k++)	/* control characters never get in */
			if (((unsigned char)buf[k] < 0x20 && buf[k] != '\t') || buf[k] == 0x7f)
				abort();
		/* settings the input changed, unless cut short by the buffer */
		if (n + 1 < sizeof buf && pw_config_get(&dcfg, opt[i].name, def, sizeof def) &&
		    strcmp(def, buf) != 0)
			roundtrip(&opt[i], buf);
	}
	pw_config_free(&dcfg);
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
