/*
 * tests/unit/check_dsn.c - policy/dsn.c: bounces read into per-recipient results (RFC 3464,
 * RFC 6522, RFC 6533).  Contract: policy/dsn.h.
 *
 * One suite of tests/unit/check_policy (check_main.c).  The real-world forms are the
 * seeds of tests/fuzz/corpus/dsn/ (read from $top_srcdir, which automake's test environment
 * sets, or from the current directory): two bounces captured from a real Postfix 3.7 on
 * loopback (their first field says so) and, written by hand after the formats of those
 * MTAs, Exim, Sendmail, Exchange Online, Gmail, a Postfix delay warning and success report,
 * an RFC 6533 global DSN in base64, qmail's non-DSN bounce, a vacation reply, a read receipt
 * and a report cut short.  The rest are messages built here for one branch each: line ends,
 * the limits (recipients, parts, address length), addresses with brackets, comments and
 * \x{HEX} escapes, Status taken from Diagnostic-Code, the classification table.
 */
#include "check_policy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dsn.h"

/* corpus - the seed NAME of tests/fuzz/corpus/dsn/ (malloc'd, *LEN octets); aborts the test
 * when it cannot be read */
static char *corpus(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[2048];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/dsn/%s",
		 top != NULL && *top != '\0' ? top : ".", name);
	if ((f = fopen(path, "rb")) == NULL)
		ck_abort_msg("cannot read %s (run from the top of the tree or set top_srcdir)",
			     path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	ck_assert_uint_eq(*len, (size_t)n);
	return buf;
}

/* parse_seed - dsn_parse() on the seed NAME into *D */
static void parse_seed(const char *name, struct dsn *d)
{
	size_t len;
	char *msg = corpus(name, &len);

	ck_assert(dsn_parse(msg, len, d));
	free(msg);
}

/* parse_text - dsn_parse() on the string S, its LF made CRLF when CRLF */
static void parse_text(const char *s, bool crlf, struct dsn *d)
{
	size_t n = strlen(s), k = 0;
	char *m = malloc(2 * n + 1);

	ck_assert_ptr_nonnull(m);
	for (size_t i = 0; i < n; i++) {
		if (crlf && s[i] == '\n')
			m[k++] = '\r';
		m[k++] = s[i];
	}
	ck_assert(dsn_parse(m, k, d));
	free(m);
}

/* rcpt_is - recipient I of D is FINAL with ACTION, STATUS and CLS */
static void rcpt_is(const struct dsn *d, size_t i, const char *final, enum dsn_action action,
		    const char *status, enum dsn_class cls)
{
	ck_assert_uint_gt(d->nrcpt, i);
	ck_assert_str_eq(d->rcpt[i].final, final);
	ck_assert_str_eq(dsn_action_name(d->rcpt[i].action), dsn_action_name(action));
	ck_assert_str_eq(d->rcpt[i].status, status);
	ck_assert_str_eq(dsn_class_name(d->rcpt[i].cls), dsn_class_name(cls));
}

/* ---- captured from a real Postfix ----------------------------------------------------------- */

START_TEST(postfix_real)
{
	struct dsn d;

	parse_seed("postfix-rcpt-rejected.eml", &d);
	ck_assert_int_eq(d.result, DSN_REPORT);
	ck_assert(!d.global);
	ck_assert_str_eq(d.reporting_mta, "dns; mail.lists.example.org");
	ck_assert_uint_eq(d.nrcpt, 1);
	rcpt_is(&d, 0, "alice@example.net", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD);
	ck_assert_str_eq(d.rcpt[0].final_type, "rfc822");
	ck_assert_str_eq(d.rcpt[0].original, "alice@example.net");
	ck_assert_str_eq(d.rcpt[0].diag, "smtp; 550 5.1.1 <alice@example.net>: Recipient "
			 "address    rejected: User unknown in virtual mailbox table");
	ck_assert(d.returned);
	ck_assert_str_eq(d.message_id, "<copy-1@lists.example.org>");
	ck_assert_str_eq(d.list_id, "Board <board.lists.example.org>");
	dsn_clear(&d);

	parse_seed("postfix-two-rcpts-hdrs.eml", &d);
	ck_assert_int_eq(d.result, DSN_REPORT);
	ck_assert_uint_eq(d.nrcpt, 2);
	rcpt_is(&d, 0, "alice@example.net", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD);
	ck_assert_str_eq(d.rcpt[0].original, "Alice+list@example.net");
	rcpt_is(&d, 1, "bob@example.net", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD);
	ck_assert_str_eq(d.message_id, "<copy-2@lists.example.org>");
	ck_assert_str_eq(d.list_id, "Board <board.lists.example.org>");
	dsn_clear(&d);
}
END_TEST

/* ---- the other MTAs' forms ------------------------------------------------------------------ */

static const struct seed_case {
	const char *name;
	enum dsn_result result;
	const char *final;		/* first recipient, NULL: none */
	enum dsn_action action;
	const char *status;
	enum dsn_class cls;
	const char *message_id;		/* "" when no returned header */
} seeds[] = {
	{ "exim-rcpt-failed.eml", DSN_REPORT, "carol@example.com", DSN_ACTION_FAILED, "5.0.0",
	  DSN_CLASS_HARD, "<copy-31@lists.example.org>" },
	{ "sendmail-user-unknown.eml", DSN_REPORT, "dave@example.com", DSN_ACTION_FAILED,
	  "5.1.1", DSN_CLASS_HARD, "<copy-32@lists.example.org>" },
	{ "exchange-o365-ndr.eml", DSN_REPORT, "erin@contoso.example", DSN_ACTION_FAILED,
	  "5.1.10", DSN_CLASS_HARD, "<copy-33@lists.example.org>" },
	{ "gmail-nosuchuser.eml", DSN_REPORT, "frank.nobody@gmail.com", DSN_ACTION_FAILED,
	  "5.1.1", DSN_CLASS_HARD, "<copy-34@lists.example.org>" },
	{ "postfix-delayed.eml", DSN_REPORT, "grace@example.net", DSN_ACTION_DELAYED, "4.4.1",
	  DSN_CLASS_SOFT, "<copy-35@lists.example.org>" },
	{ "global-dsn-rfc6533-base64.eml", DSN_REPORT, "j\xc3\xbcrgen@b\xc3\xbc" "cher.example",
	  DSN_ACTION_FAILED, "5.2.2", DSN_CLASS_HARD, "<copy-36@lists.example.org>" },
	{ "postfix-relayed-success.eml", DSN_REPORT, "ken@example.net", DSN_ACTION_RELAYED,
	  "2.0.0", DSN_CLASS_NONE, "" },
	{ "qmail-non-dsn.eml", DSN_UNKNOWN, NULL, DSN_ACTION_NONE, "", DSN_CLASS_NONE, "" },
	{ "vacation-autoreply.eml", DSN_UNKNOWN, NULL, DSN_ACTION_NONE, "", DSN_CLASS_NONE, "" },
	{ "mdn-displayed.eml", DSN_OTHER, NULL, DSN_ACTION_NONE, "", DSN_CLASS_NONE, "" },
	{ "truncated-report.eml", DSN_UNKNOWN, NULL, DSN_ACTION_NONE, "", DSN_CLASS_NONE, "" },
};

START_TEST(seed_forms)
{
	const struct seed_case *c = &seeds[_i];
	struct dsn d;

	parse_seed(c->name, &d);
	ck_assert_msg(d.result == c->result, "%s: result %d (%s)", c->name, d.result, d.why);
	if (c->final == NULL) {
		ck_assert_uint_eq(d.nrcpt, 0);
		ck_assert_msg(d.why[0] != '\0', "%s: no reason", c->name);
	} else {
		rcpt_is(&d, 0, c->final, c->action, c->status, c->cls);
	}
	ck_assert_str_eq(d.message_id, c->message_id);
	if (c->message_id[0] != '\0')
		ck_assert_str_eq(d.list_id, "Board <board.lists.example.org>");
	dsn_clear(&d);
}
END_TEST

START_TEST(seed_details)
{
	struct dsn d;

	parse_seed("exchange-o365-ndr.eml", &d);	/* CRLF, QP alternative part first */
	ck_assert_str_eq(d.reporting_mta, "dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com");
	ck_assert_str_eq(d.rcpt[0].diag, "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
			 "Recipient not found by SMTP address lookup");
	dsn_clear(&d);

	parse_seed("sendmail-user-unknown.eml", &d);	/* "RFC822" in capitals */
	ck_assert_str_eq(d.rcpt[0].final_type, "rfc822");
	dsn_clear(&d);

	parse_seed("global-dsn-rfc6533-base64.eml", &d);
	ck_assert(d.global);
	ck_assert_str_eq(d.rcpt[0].final_type, "utf-8");
	ck_assert_str_eq(d.rcpt[0].original, "j\xc3\xbcrgen@b\xc3\xbc" "cher.example");
	ck_assert_str_eq(d.reporting_mta, "dns; mx.b\xc3\xbc" "cher.example");
	dsn_clear(&d);

	parse_seed("postfix-relayed-success.eml", &d);
	ck_assert_uint_eq(d.nrcpt, 3);
	rcpt_is(&d, 1, "ken.alias@example.net", DSN_ACTION_DELIVERED, "2.0.0", DSN_CLASS_NONE);
	rcpt_is(&d, 2, "ken-list@example.net", DSN_ACTION_EXPANDED, "2.0.0", DSN_CLASS_NONE);
	ck_assert(!d.returned);
	dsn_clear(&d);

	parse_seed("gmail-nosuchuser.eml", &d);		/* a Diagnostic-Code over 4 lines */
	ck_assert_uint_eq(strlen(d.rcpt[0].diag), DSN_MAX_TEXT + 3);
	ck_assert_str_eq(d.rcpt[0].diag + DSN_MAX_TEXT, "...");
	dsn_clear(&d);

	parse_seed("qmail-non-dsn.eml", &d);
	ck_assert_str_eq(d.why, "text/plain, not multipart/report");
	dsn_clear(&d);
	parse_seed("mdn-displayed.eml", &d);
	ck_assert_str_eq(d.why, "multipart/report; report-type=disposition-notification");
	dsn_clear(&d);
	parse_seed("truncated-report.eml", &d);
	ck_assert_str_eq(d.why, "malformed multipart/report: report: no closing boundary");
	dsn_clear(&d);
}
END_TEST

/* ---- built here ---------------------------------------------------------------------------- */

#define HEAD "From: MAILER-DAEMON@mx.example.net\n" \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" \
	"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
#define TAIL "\n--b--\n"

/* one_group - parse HEAD GROUP TAIL (CRLF when CRLF) into *D, one recipient expected */
static void one_group(const char *group, bool crlf, struct dsn *d)
{
	size_t n = strlen(HEAD) + strlen(group) + strlen(TAIL) + 1;
	char *buf = malloc(n);

	ck_assert_ptr_nonnull(buf);
	snprintf(buf, n, "%s%s%s", HEAD, group, TAIL);
	parse_text(buf, crlf, d);
	free(buf);
	ck_assert_msg(d->result == DSN_REPORT, "%s", d->why);
	ck_assert_uint_eq(d->nrcpt, 1);
}

START_TEST(line_ends)
{
	struct dsn d;

	for (int crlf = 0; crlf < 2; crlf++) {
		one_group("Final-Recipient: rfc822; a@example.net\nAction: failed\n"
			  "Status: 5.1.1\nDiagnostic-Code: smtp; 550 no\n  such user\n", crlf, &d);
		rcpt_is(&d, 0, "a@example.net", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD);
		ck_assert_str_eq(d.rcpt[0].diag, "smtp; 550 no  such user");
		ck_assert_str_eq(d.reporting_mta, "dns; mx.example.net");
		dsn_clear(&d);
	}
}
END_TEST

static const struct class_case {
	const char *group;
	const char *status;
	enum dsn_class cls;
} classes[] = {
	{ "Action: failed\nStatus: 5.7.1\n", "5.7.1", DSN_CLASS_HARD },
	{ "Action: failed\nStatus: 4.2.2\n", "4.2.2", DSN_CLASS_SOFT },
	{ "Action: failed\n", "", DSN_CLASS_UNKNOWN },
	{ "Action: failed\nStatus: 5.1\n", "", DSN_CLASS_UNKNOWN },
	{ "Action: failed\nStatus: 5.1.1234\n", "", DSN_CLASS_UNKNOWN },
	{ "Action: failed\nStatus: 3.1.1\n", "", DSN_CLASS_UNKNOWN },
	{ "Action: failed\nStatus: 2.0.0\n", "2.0.0", DSN_CLASS_UNKNOWN },
	{ "Action: delayed\nStatus: 4.4.7\n", "4.4.7", DSN_CLASS_SOFT },
	{ "Action: delayed\nStatus: 5.0.0\n", "5.0.0", DSN_CLASS_SOFT },
	{ "Action: delivered\nStatus: 2.0.0\n", "2.0.0", DSN_CLASS_NONE },
	{ "Action: relayed\nStatus: 5.0.0\n", "5.0.0", DSN_CLASS_NONE },
	{ "Action: expanded\n", "", DSN_CLASS_NONE },
	{ "Action: FAILED (permanent)\nStatus: 5.1.1 (no such user)\n", "5.1.1",
	  DSN_CLASS_HARD },
	{ "Action: bounced\nStatus: 5.1.1\n", "5.1.1", DSN_CLASS_UNKNOWN },
	{ "Action: bounced\nStatus: 4.1.1\n", "4.1.1", DSN_CLASS_SOFT },
	{ "Action: bounced\nStatus: 2.1.5\n", "2.1.5", DSN_CLASS_NONE },
	{ "Status: 5.1.1\n", "5.1.1", DSN_CLASS_UNKNOWN },
	{ "Action: failed\nDiagnostic-Code: smtp; 550 5.1.1 unknown\n", "5.1.1",
	  DSN_CLASS_HARD },
	{ "Action: failed\nDiagnostic-Code: smtp; 550-5.2.1 disabled\n", "5.2.1",
	  DSN_CLASS_HARD },
	{ "Action: failed\nDiagnostic-Code: smtp; 452 4.2.2 full\n", "4.2.2", DSN_CLASS_SOFT },
	{ "Action: failed\nDiagnostic-Code: X-Postfix; host not found\n", "",
	  DSN_CLASS_UNKNOWN },
	{ "Action: failed\nStatus: 4.0.0\nStatus: 5.0.0\n", "4.0.0", DSN_CLASS_SOFT },
};

START_TEST(classification)
{
	const struct class_case *c = &classes[_i];
	char group[512];
	struct dsn d;

	snprintf(group, sizeof(group), "Final-Recipient: rfc822; a@example.net\n%s", c->group);
	one_group(group, false, &d);
	ck_assert_str_eq(d.rcpt[0].status, c->status);
	ck_assert_msg(d.rcpt[0].cls == c->cls, "%s: class %s, not %s", c->group,
		      dsn_class_name(d.rcpt[0].cls), dsn_class_name(c->cls));
	dsn_clear(&d);
}
END_TEST

static const struct addr_case {
	const char *value;
	const char *addr;		/* "" when dropped */
	const char *type;
} addrs[] = {
	{ "rfc822; a@example.net", "a@example.net", "rfc822" },
	{ "rfc822;<a@example.net>", "a@example.net", "rfc822" },
	{ "RFC822 ; a@example.net (the list copy)", "a@example.net", "rfc822" },
	{ "rfc822; a@example.net   ", "a@example.net", "rfc822" },
	{ "a@example.net", "", "" },
	{ "rfc822; no-at-sign", "", "rfc822" },
	{ "rfc822; a b@example.net", "", "rfc822" },
	{ "rfc822;", "", "rfc822" },
	{ "x400; /G=a/S=b/O=example/", "", "x400" },
	{ "rfc\x01" "822\x80; a@example.net", "a@example.net", "rfc?822?" },
	{ "utf-8; \\x{4E2D}\\x{6587}@example.net", "\xe4\xb8\xad\xe6\x96\x87@example.net",
	  "utf-8" },
	{ "utf-8; a\\x{1F600}@example.net", "a\xf0\x9f\x98\x80@example.net", "utf-8" },
	{ "utf-8; a\\x{D800}@example.net", "", "utf-8" },
	{ "utf-8; a\\x{110000}@example.net", "", "utf-8" },
	{ "utf-8; a\\x{1234567}@example.net", "", "utf-8" },
	{ "utf-8; a\\x{}@example.net", "", "utf-8" },
	{ "utf-8; a\\x{41@example.net", "", "utf-8" },
	{ "utf-8; a\\x{0A}@example.net", "", "utf-8" },
	{ "rfc822; a\\x{41}@example.net", "a\\x{41}@example.net", "rfc822" },
};

START_TEST(addresses)
{
	const struct addr_case *c = &addrs[_i];
	char group[512];
	struct dsn d;

	snprintf(group, sizeof(group), "Final-Recipient: %s\nOriginal-Recipient: %s\n"
		 "Action: failed\nStatus: 5.1.1\n", c->value, c->value);
	one_group(group, false, &d);
	ck_assert_str_eq(d.rcpt[0].final, c->addr);
	ck_assert_str_eq(d.rcpt[0].original, c->addr);
	ck_assert_str_eq(d.rcpt[0].final_type, c->type);
	dsn_clear(&d);
}
END_TEST

START_TEST(address_length)
{
	char group[1024], local[DSN_MAX_ADDR + 2];
	struct dsn d;
	size_t dom = strlen("@example.net");

	/* exactly DSN_MAX_ADDR octets: kept; one more: dropped, never cut */
	memset(local, 'a', sizeof(local));
	local[DSN_MAX_ADDR - dom] = '\0';
	snprintf(group, sizeof(group), "Final-Recipient: rfc822; %s@example.net\n"
		 "Action: failed\nStatus: 5.1.1\n", local);
	one_group(group, false, &d);
	ck_assert_uint_eq(strlen(d.rcpt[0].final), DSN_MAX_ADDR);
	dsn_clear(&d);
	local[DSN_MAX_ADDR - dom] = 'a';
	local[DSN_MAX_ADDR - dom + 1] = '\0';
	snprintf(group, sizeof(group), "Final-Recipient: rfc822; %s@example.net\n"
		 "Action: failed\nStatus: 5.1.1\n", local);
	one_group(group, false, &d);
	ck_assert_str_eq(d.rcpt[0].final, "");
	ck_assert_str_eq(dsn_class_name(d.rcpt[0].cls), "hard");
	dsn_clear(&d);
}
END_TEST

START_TEST(field_length)
{
	size_t cap = 3 * DSN_MAX_FIELD;
	char *group = malloc(cap), *pad = malloc(DSN_MAX_FIELD + 1);
	struct dsn d;

	/* a value of DSN_MAX_FIELD octets is read whole; one longer is cut there, and its
	 * address (whose end is past the cut) dropped, never cut */
	ck_assert_ptr_nonnull(group);
	ck_assert_ptr_nonnull(pad);
	for (size_t extra = 0; extra < 2; extra++) {
		size_t n = DSN_MAX_FIELD - strlen(" rfc822; a@example.net") + extra;
		memset(pad, ' ', n);
		pad[n] = '\0';
		snprintf(group, cap, "Final-Recipient: rfc822;%s a@example.net\n"
			 "Diagnostic-Code: smtp; 550%s 5.1.1 x\nAction: failed\n", pad, pad);
		one_group(group, false, &d);
		ck_assert_str_eq(d.rcpt[0].final, extra == 0 ? "a@example.net" : "");
		ck_assert_str_eq(d.rcpt[0].final_type, "rfc822");
		ck_assert_str_eq(d.rcpt[0].status, "");	/* "550 ... 5.1.1": no code */
		ck_assert_uint_eq(strlen(d.rcpt[0].diag), DSN_MAX_TEXT + 3);
		dsn_clear(&d);
	}
	free(group);
	free(pad);
}
END_TEST

START_TEST(texts)
{
	struct dsn d;

	/* a control character made '?'; the first of two fields counts */
	one_group("Final-Recipient: rfc822; a@example.net\nFinal-Recipient: rfc822; "
		  "b@example.net\nAction: failed\nDiagnostic-Code: smtp; 550\x01 5.1.1 x\n"
		  "Diagnostic-Code: smtp; 250 other\n", false, &d);
	ck_assert_str_eq(d.rcpt[0].final, "a@example.net");
	ck_assert_str_eq(d.rcpt[0].diag, "smtp; 550? 5.1.1 x");
	ck_assert_str_eq(d.rcpt[0].status, "");	/* "550?" is no reply code */
	dsn_clear(&d);
}
END_TEST

START_TEST(max_rcpts)
{
	size_t n = DSN_MAX_RCPTS + 7, cap = 64 * n + 1024, k = 0;
	char *buf = malloc(cap);
	struct dsn d;

	ck_assert_ptr_nonnull(buf);
	k += (size_t)snprintf(buf + k, cap - k, "%s", HEAD);
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, cap - k, "Final-Recipient: rfc822; r%zu@example.net\n"
				      "Action: failed\nStatus: 5.1.1\n\n", i);
	snprintf(buf + k, cap - k, "%s", TAIL);
	parse_text(buf, false, &d);
	free(buf);
	ck_assert_int_eq(d.result, DSN_REPORT);
	ck_assert_uint_eq(d.nrcpt, DSN_MAX_RCPTS);
	ck_assert_uint_eq(d.rcpt_over, 7);
	ck_assert_str_eq(d.rcpt[DSN_MAX_RCPTS - 1].final, "r99@example.net");
	dsn_clear(&d);
}
END_TEST

START_TEST(max_parts)
{
	char buf[4096];
	size_t k = 0;
	struct dsn d;

	k += (size_t)snprintf(buf + k, sizeof(buf) - k, "Content-Type: multipart/report; "
			      "report-type=delivery-status; boundary=b\n\n");
	for (int i = 0; i < DSN_MAX_PARTS + 1; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "--b\n\nfiller\n");
	snprintf(buf + k, sizeof(buf) - k, "--b\nContent-Type: message/delivery-status\n\n"
		 "Final-Recipient: rfc822; a@example.net\nAction: failed\n--b--\n");
	parse_text(buf, false, &d);
	ck_assert_int_eq(d.result, DSN_UNKNOWN);
	ck_assert_str_eq(d.why, "malformed multipart/report: report: more than 16 body parts "
			 "in the message");
	dsn_clear(&d);
}
END_TEST

START_TEST(max_fields)
{
	size_t cap = 40 * (DSN_MAX_FIELDS + 10) + 1024, k = 0;
	char *buf = malloc(cap);
	struct dsn d;

	/* Final-Recipient after DSN_MAX_FIELDS other fields of its group is not read */
	ck_assert_ptr_nonnull(buf);
	k += (size_t)snprintf(buf + k, cap - k, "%sAction: failed\n", HEAD);
	for (int i = 0; i < DSN_MAX_FIELDS; i++)
		k += (size_t)snprintf(buf + k, cap - k, "X-Filler: %d\n", i);
	snprintf(buf + k, cap - k, "Final-Recipient: rfc822; a@example.net\n%s", TAIL);
	parse_text(buf, false, &d);
	free(buf);
	ck_assert_int_eq(d.result, DSN_REPORT);
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final, "");
	dsn_clear(&d);
}
END_TEST

static const struct shape_case {
	const char *msg;
	enum dsn_result result;
	const char *why;
} shapes[] = {
	{ "", DSN_UNKNOWN, "text/plain, not multipart/report" },
	{ "Subject: x\n", DSN_UNKNOWN, "text/plain, not multipart/report" },
	{ "Content-Type: multipart/report; report-type=delivery-status\n\n--b\n",
	  DSN_UNKNOWN, "multipart/report without boundary" },
	{ "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nhello\n--b--\n",
	  DSN_UNKNOWN, "multipart/report without a delivery-status part" },
	{ "Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n--b--\n",
	  DSN_OTHER, "multipart/report; report-type=feedback-report" },
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
	  "message/delivery-status\n\nAction: failed\n--b--\n",
	  DSN_UNKNOWN, "multipart/mixed, not multipart/report" },
	{ "Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: "
	  "message/delivery-status\n\nFinal-Recipient: rfc822; a@example.net\nAction: failed\n"
	  "Status: 5.0.0\n--b--\n", DSN_REPORT, "" },
	{ "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
	  "!!!\n--b--\n", DSN_UNKNOWN, "multipart/report without a delivery-status part" },
	{ "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
	  "continued-badly\n\n--b\nContent-Type: message/delivery-status\n\n"
	  "Reporting-MTA: dns; x\n--b--\n", DSN_REPORT, "" },
};

START_TEST(shapes_)
{
	const struct shape_case *c = &shapes[_i];
	struct dsn d;

	parse_text(c->msg, _i % 2 == 1, &d);
	ck_assert_msg(d.result == c->result, "case %d: result %d (%s)", _i, d.result, d.why);
	ck_assert_str_eq(d.why, c->why);
	dsn_clear(&d);
}
END_TEST

/* verdict - dsn_verdict() for SUBSCRIBER on the seed NAME: the class, and the deciding
 * recipient's Final-Recipient ("" when none) */
static void verdict(const char *name, const char *subscriber, enum dsn_class cls,
		    const char *final)
{
	const struct dsn_rcpt *r;
	struct dsn d;

	parse_seed(name, &d);
	ck_assert_str_eq(dsn_class_name(dsn_verdict(&d, subscriber, &r)), dsn_class_name(cls));
	ck_assert_str_eq(r != NULL ? r->final : "", final);
	dsn_clear(&d);
}

START_TEST(verdicts)
{
	struct dsn d;

	verdict("postfix-two-rcpts-hdrs.eml", "bob@example.net", DSN_CLASS_HARD, "bob@example.net");
	verdict("postfix-two-rcpts-hdrs.eml", "ALICE+list@Example.NET", DSN_CLASS_HARD,
		"alice@example.net");				/* by Original-Recipient */
	verdict("postfix-delayed.eml", "grace@example.net", DSN_CLASS_SOFT, "grace@example.net");
	verdict("postfix-delayed.eml", "forwarded@example.org", DSN_CLASS_SOFT,
		"grace@example.net");				/* no match: all of them */
	verdict("postfix-relayed-success.eml", "ken@example.net", DSN_CLASS_NONE,
		"ken@example.net");
	verdict("qmail-non-dsn.eml", "heidi@example.org", DSN_CLASS_UNKNOWN, "");
	verdict("mdn-displayed.eml", "judy@example.com", DSN_CLASS_NONE, "");

	/* the worst of a subscriber's recipients: hard over unknown over soft over none */
	parse_text(HEAD "Final-Recipient: rfc822; a@x\nAction: delayed\n\n"
		   "Final-Recipient: rfc822; a@x\nAction: failed\n\n"
		   "Final-Recipient: rfc822; b@x\nAction: failed\nStatus: 5.1.1\n\n"
		   "Final-Recipient: rfc822; a@x\nAction: delivered\n" TAIL, false, &d);
	ck_assert_str_eq(dsn_class_name(dsn_verdict(&d, "a@x", NULL)), "unknown");
	ck_assert_str_eq(dsn_class_name(dsn_verdict(&d, "c@x", NULL)), "hard");
	ck_assert_str_eq(dsn_class_name(dsn_verdict(&d, "", NULL)), "hard");
	dsn_clear(&d);
	parse_text(HEAD TAIL, false, &d);			/* a report of no recipient */
	ck_assert_str_eq(dsn_class_name(dsn_verdict(&d, "a@x", NULL)), "unknown");
	dsn_clear(&d);
}
END_TEST

START_TEST(null_input)
{
	struct dsn d;

	ck_assert(dsn_parse(NULL, 5, &d));
	ck_assert_int_eq(d.result, DSN_UNKNOWN);
	dsn_clear(&d);
	dsn_clear(NULL);
}
END_TEST

Suite *dsn_suite(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("real");

	tcase_add_test(tc, postfix_real);
	tcase_add_loop_test(tc, seed_forms, 0, (int)(sizeof(seeds) / sizeof(seeds[0])));
	tcase_add_test(tc, seed_details);
	suite_add_tcase(s, tc);

	tc = tcase_create("built");
	tcase_add_test(tc, line_ends);
	tcase_add_loop_test(tc, classification, 0, (int)(sizeof(classes) / sizeof(classes[0])));
	tcase_add_loop_test(tc, addresses, 0, (int)(sizeof(addrs) / sizeof(addrs[0])));
	tcase_add_test(tc, address_length);
	tcase_add_test(tc, field_length);
	tcase_add_test(tc, texts);
	tcase_add_test(tc, max_rcpts);
	tcase_add_test(tc, max_parts);
	tcase_add_test(tc, max_fields);
	tcase_add_loop_test(tc, shapes_, 0, (int)(sizeof(shapes) / sizeof(shapes[0])));
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, null_input);
	suite_add_tcase(s, tc);
	return s;
}
