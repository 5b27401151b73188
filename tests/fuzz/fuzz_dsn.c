/*
 * tests/fuzz/fuzz_dsn.c - fuzz harness for policy/dsn: a bounce as it reaches a list's -bounces
 * address.  Input: the whole message (header and body, any line ends), not NUL-terminated.
 * Contract checked: no crash, no sanitizer report; the result is one of the three; every
 * text kept is NUL-terminated within its size, without control characters; an address kept
 * has an '@', no blank or control character and fits DSN_MAX_ADDR; at most DSN_MAX_RCPTS
 * recipients; a recipient's class agrees with its action and status (dsn.h); DSN_UNKNOWN and
 * DSN_OTHER say why and keep no recipient; dsn_verdict() names a recipient of the report, of
 * the class it returns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* text_ok - S is terminated within SIZE and has no control character */
static void text_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

/* addr_ok - A is "" or an address as dsn.h promises */
static void addr_ok(const char *a, size_t size)
{
	text_ok(a, size);
	if (a[0] == '\0')
		return;
	if (strchr(a, '@') == NULL || strchr(a, ' ') != NULL || strlen(a) > DSN_MAX_ADDR)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size ? size : 1);
	struct dsn d;

	if (msg == NULL)
		return 0;
	if (size > 0)
		memcpy(msg, data, size);
	if (!dsn_parse(msg, size, &d)) {
		free(msg);
		return 0;
	}
	if (d.result != DSN_REPORT && d.result != DSN_OTHER && d.result != DSN_UNKNOWN)
		abort();
	text_ok(d.why, sizeof(d.why));
	text_ok(d.reporting_mta, sizeof(d.reporting_mta));
	text_ok(d.message_id, sizeof(d.message_id));
	text_ok(d.list_id, sizeof(d.list_id));
	if (d.result != DSN_REPORT && (d.why[0] == '\0' || d.nrcpt != 0))
		abort();
	if (d.nrcpt > DSN_MAX_RCPTS || (d.nrcpt > 0 && d.rcpt == NULL))
		abort();
	for (size_t i = 0; i < d.nrcpt; i++) {
		const struct dsn_rcpt *r = &d.rcpt[i];
		addr_ok(r->final, sizeof(r->final));
		addr_ok(r->original, sizeof(r->original));
		text_ok(r->final_type, sizeof(r->final_type));
		text_ok(r->status, sizeof(r->status));
		text_ok(r->diag, sizeof(r->diag));
		if (r->cls == DSN_CLASS_HARD &&
		    (r->action != DSN_ACTION_FAILED || r->status[0] != '5'))
			abort();
		if (r->action == DSN_ACTION_DELAYED && r->cls != DSN_CLASS_SOFT)
			abort();
		if ((r->action == DSN_ACTION_DELIVERED || r->action == DSN_ACTION_RELAYED ||
		     r->action == DSN_ACTION_EXPANDED) && r->cls != DSN_CLASS_NONE)
			abort();
		if (strlen(dsn_class_name(r->cls)) == 0 || strlen(dsn_action_name(r->action)) == 0)
			abort();
	}
	{
		const struct dsn_rcpt *w;
		enum dsn_class v = dsn_verdict(&d, "alice@example.net", &w);
		if (w != NULL && (w < d.rcpt || w >= d.rcpt + d.nrcpt || w->cls != v))
			abort();
		if (d.result != DSN_REPORT && w != NULL)
			abort();
	}
	dsn_clear(&d);
	free(msg);
	return 0;
}
