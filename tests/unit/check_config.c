/*
 * tests/unit/check_config.c - policy/config.c: settings table, defaults, postward.conf parser.
 * Contract: policy/config.h and SPEC "Configuration file".
 */
#include "check_policy.h"

#include <stdio.h>
#include <stdlib.h>

#include "policy/config.h"

static struct pw_config cfg;
static struct pw_diags d;

static void setup(void)
{
	memset(&d, 0, sizeof(d));
	ck_assert(pw_config_defaults(&cfg));
}

static void teardown(void)
{
	pw_config_free(&cfg);
	pw_diags_free(&d);
}

/* parse - run TEXT (NUL-terminated) through pw_config_parse as file NAME */
static size_t parse(const char *name, const char *text)
{
	return pw_config_parse(&cfg, name, text, strlen(text), &d);
}

/* get - pw_config_get into a static buffer, failing the test if NAME is unknown */
static const char *get(const char *name)
{
	static char buf[512];
	ck_assert_msg(pw_config_get(&cfg, name, buf, sizeof(buf)), "pw_config_get(%s) failed", name);
	return buf;
}

/* ---- the table and the defaults ------------------------------------------------------ */

static const struct {
	const char *name, *def;
} spec_settings[] = {
	{ "milter_socket", "inet:8891@127.0.0.1" },
	{ "user", "" },
	{ "pid_file", "" },
	{ "syslog_facility", "mail" },
	{ "log_level", "info" },
	{ "milter_timeout", "300" },
	{ "policy_files", "" },
	{ "tls_required_unknown", "ignore" },
	{ "requiretls_ret_hdrs", "yes" },
	{ "internal_error_action", "tempfail" },
	{ "dns_nameservers", "" },
	{ "dns_trust_anchor_file", "/usr/share/dns/root.ds" },
	{ "dns_timeout", "5" },
	{ "dns_max_queries", "24" },
	{ "dns_cache_size", "10000" },
	{ "authserv_id", "" },
	{ "dkim_max_signatures", "8" },
	{ "dkim_signing_key", "" },
	{ "sender_practices", "dmarc, adsp" },
	{ "public_suffix_list", "/usr/share/publicsuffix/public_suffix_list.dat" },
	{ "dmarc_org_domain", "treewalk" },
	{ "trusted_authserv_ids", "" },
	{ "list_directory", "" },
	{ "gnupg_home", "/var/lib/postward/gnupg" },
	{ "list_spool_directory", "/var/spool/postward" },
	{ "list_workers", "4" },
	{ "list_queue_size", "100" },
	{ "list_reinject", "127.0.0.1:10026" },
	{ "list_max_post_size", "10485760" },
	{ "list_key_max_age", "365" },
	{ "list_build_threads", "0" },
	{ "list_max_queue_time", "432000" },
	{ "list_key_refresh_interval", "24" },
	{ "list_key_refresh_delay", "60" },
	{ "list_key_sources", "" },
	{ "list_vks_url", "https://keys.openpgp.org" },
	{ "list_https_ca_file", "" },
	{ "list_https_connect_to", "" },
	{ "list_https_timeout", "30" },
	{ "list_key_expiry_warning", "14" },
	/* REQUIRETLS at RCPT */
	{ "requiretls_recipient_check", "reject" },
	{ "requiretls_exempt_domains", "" },
	{ "requiretls_mta_sts_timeout", "10" },
	{ "requiretls_mta_sts_cache_size", "1000" },
	{ "requiretls_mta_sts_ca_file", "" },
	{ "requiretls_mta_sts_connect_to", "" },
};
#define N_SPEC (sizeof(spec_settings) / sizeof(spec_settings[0]))

START_TEST(options_table_matches_spec)
{
	size_t n = 0;
	const struct pw_option *o = pw_config_options(&n);

	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(n, N_SPEC);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(o[i].name, spec_settings[i].name);
		ck_assert_ptr_nonnull(o[i].def);
		ck_assert_str_eq(o[i].def, spec_settings[i].def);
		ck_assert_msg(o[i].doc != NULL && o[i].doc[0] != '\0', "%s has no doc line", o[i].name);
		if (o[i].type == PW_OPT_ENUM) {
			ck_assert_ptr_nonnull(o[i].choices);
			/* the default is one of the choices */
			bool found = false;
			for (size_t c = 0; o[i].choices[c]; c++)
				if (strcmp(o[i].choices[c], o[i].def) == 0)
					found = true;
			ck_assert_msg(found, "default of %s is not among its choices", o[i].name);
		}
	}
	ck_assert_int_eq(o[0].type, PW_OPT_STRING);	/* milter_socket */
	ck_assert_int_eq(o[4].type, PW_OPT_ENUM);	/* log_level */
	ck_assert_int_eq(o[5].type, PW_OPT_UINT);	/* milter_timeout */
	ck_assert_uint_le(o[5].min, 300);
	ck_assert_uint_ge(o[5].max, 300);
	ck_assert_int_eq(o[6].type, PW_OPT_LIST);	/* policy_files */
	ck_assert_int_eq(o[7].type, PW_OPT_ENUM);	/* tls_required_unknown */
	ck_assert_int_eq(o[8].type, PW_OPT_BOOL);	/* requiretls_ret_hdrs */
	ck_assert_int_eq(o[9].type, PW_OPT_ENUM);	/* internal_error_action */
}
END_TEST

START_TEST(defaults_match_spec)
{
	ck_assert_str_eq(cfg.milter_socket, "inet:8891@127.0.0.1");
	ck_assert_str_eq(cfg.milter_socket, PW_DEFAULT_SOCKET);
	ck_assert_str_eq(cfg.user, "");
	ck_assert_str_eq(cfg.pid_file, "");
	ck_assert_str_eq(cfg.syslog_facility, "mail");
	ck_assert_int_eq(cfg.log_level, PW_LOG_INFO);
	ck_assert_uint_eq(cfg.milter_timeout, 300);
	ck_assert_uint_eq(cfg.n_policy_files, 0);
	ck_assert_int_eq(cfg.tls_required_unknown, PW_UNKNOWN_IGNORE);
	ck_assert(cfg.requiretls_ret_hdrs);
	ck_assert_int_eq(cfg.internal_error_action, PW_ERROR_TEMPFAIL);
	ck_assert_str_eq(PW_DEFAULT_CONFIG_FILE, "/etc/postward/postward.conf");
}
END_TEST

START_TEST(defaults_read_back_through_get)
{
	for (size_t i = 0; i < N_SPEC; i++)
		ck_assert_str_eq(get(spec_settings[i].name), spec_settings[i].def);
	char buf[16];
	ck_assert(!pw_config_get(&cfg, "no_such_setting", buf, sizeof(buf)));
}
END_TEST

START_TEST(defaults_overwrite_previous_values)
{
	/* pw_config_defaults resets every setting, whatever *cfg held before */
	struct pw_config c;
	memset(&c, 0, sizeof(c));
	c.milter_timeout = 1;
	c.log_level = PW_LOG_DEBUG;
	ck_assert(pw_config_defaults(&c));
	ck_assert_uint_eq(c.milter_timeout, 300);
	ck_assert_int_eq(c.log_level, PW_LOG_INFO);
	pw_config_free(&c);
	ck_assert_ptr_null(c.milter_socket);
	ck_assert_uint_eq(c.n_policy_files, 0);
}
END_TEST

/* ---- every setting, good values ------------------------------------------------------ */

START_TEST(parse_every_setting)
{
	size_t errs = parse("full.conf",
		"milter_socket = unix:/run/postward/postward.sock\n"
		"user = postward\n"
		"pid_file = /run/postward/postward.pid\n"
		"syslog_facility = local3\n"
		"log_level = debug\n"
		"milter_timeout = 60\n"
		"policy_files = /etc/postward/a.policy, /etc/postward/b.policy\n"
		"tls_required_unknown = reject\n"
		"requiretls_ret_hdrs = no\n"
		"internal_error_action = accept\n");

	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(errs, 0);
	ck_assert_str_eq(cfg.milter_socket, "unix:/run/postward/postward.sock");
	ck_assert_str_eq(cfg.user, "postward");
	ck_assert_str_eq(cfg.pid_file, "/run/postward/postward.pid");
	ck_assert_str_eq(cfg.syslog_facility, "local3");
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
	ck_assert_uint_eq(cfg.milter_timeout, 60);
	ck_assert_uint_eq(cfg.n_policy_files, 2);
	ck_assert_str_eq(cfg.policy_files[0], "/etc/postward/a.policy");
	ck_assert_str_eq(cfg.policy_files[1], "/etc/postward/b.policy");
	ck_assert_int_eq(cfg.tls_required_unknown, PW_UNKNOWN_REJECT);
	ck_assert(!cfg.requiretls_ret_hdrs);
	ck_assert_int_eq(cfg.internal_error_action, PW_ERROR_ACCEPT);

	ck_assert_str_eq(get("milter_timeout"), "60");
	ck_assert_str_eq(get("log_level"), "debug");
	ck_assert_str_eq(get("requiretls_ret_hdrs"), "no");
	ck_assert_str_eq(get("tls_required_unknown"), "reject");
	ck_assert_str_eq(get("internal_error_action"), "accept");
	ck_assert_str_eq(get("user"), "postward");
}
END_TEST

START_TEST(parse_inet_socket_and_empty_strings)
{
	/* set, then clear: an empty value means "none" for user and pid_file */
	ck_assert_uint_eq(parse("a.conf", "milter_socket = inet:10025@localhost\n"
					  "user = nobody\npid_file = /run/p.pid\n"), 0);
	ck_assert_str_eq(cfg.milter_socket, "inet:10025@localhost");
	ck_assert_str_eq(cfg.user, "nobody");
	ck_assert_uint_eq(parse("b.conf", "user =\npid_file =    \n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(cfg.user, "");
	ck_assert_str_eq(cfg.pid_file, "");
}
END_TEST

static const struct {
	const char *value;
	enum pw_log_level level;
} log_levels[] = {
	{ "warning", PW_LOG_WARNING }, { "info", PW_LOG_INFO }, { "debug", PW_LOG_DEBUG },
};

START_TEST(parse_each_log_level)
{
	char text[64];
	cfg.log_level = (enum pw_log_level)99;
	snprintf(text, sizeof(text), "log_level = %s\n", log_levels[_i].value);
	ck_assert_uint_eq(parse("l.conf", text), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.log_level, log_levels[_i].level);
	ck_assert_str_eq(get("log_level"), log_levels[_i].value);
}
END_TEST

START_TEST(parse_enum_and_bool_both_ways)
{
	ck_assert_uint_eq(parse("1.conf", "tls_required_unknown = reject\nrequiretls_ret_hdrs = no\n"
					  "internal_error_action = accept\n"), 0);
	ck_assert_int_eq(cfg.tls_required_unknown, PW_UNKNOWN_REJECT);
	ck_assert(!cfg.requiretls_ret_hdrs);
	ck_assert_int_eq(cfg.internal_error_action, PW_ERROR_ACCEPT);
	ck_assert_uint_eq(parse("2.conf", "tls_required_unknown = ignore\nrequiretls_ret_hdrs = yes\n"
					  "internal_error_action = tempfail\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.tls_required_unknown, PW_UNKNOWN_IGNORE);
	ck_assert(cfg.requiretls_ret_hdrs);
	ck_assert_int_eq(cfg.internal_error_action, PW_ERROR_TEMPFAIL);
}
END_TEST

START_TEST(parse_blanks_around_equals)
{
	ck_assert_uint_eq(parse("b.conf", "log_level=debug\nmilter_timeout   =   120   \n"
					  "user\t=\tmail\t\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
	ck_assert_uint_eq(cfg.milter_timeout, 120);
	ck_assert_str_eq(cfg.user, "mail");
}
END_TEST

START_TEST(parse_value_may_contain_equals)
{
	ck_assert_uint_eq(parse("e.conf", "milter_socket = unix:/run/a=b.sock\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(cfg.milter_socket, "unix:/run/a=b.sock");
}
END_TEST

START_TEST(parse_crlf_lines)
{
	ck_assert_uint_eq(parse("w.conf", "log_level = debug\r\nuser = bob\r\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
	ck_assert_str_eq(cfg.user, "bob");
}
END_TEST

START_TEST(parse_last_line_without_newline)
{
	ck_assert_uint_eq(parse("n.conf", "log_level = warning\nuser = bob"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(cfg.user, "bob");
	ck_assert_int_eq(cfg.log_level, PW_LOG_WARNING);
}
END_TEST

START_TEST(parse_respects_len)
{
	/* the text need not be NUL-terminated: nothing past LEN may be read or applied */
	static const char text[] = "log_level = debugXXX\nuser = nobody\n";
	ck_assert_uint_eq(pw_config_parse(&cfg, "len.conf", text, strlen("log_level = debug"), &d), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
	ck_assert_str_eq(cfg.user, "");

	char *heap = malloc(strlen("user = bob"));	/* exactly the bytes, no NUL */
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, "user = bob", strlen("user = bob"));
	ck_assert_uint_eq(pw_config_parse(&cfg, "heap.conf", heap, strlen("user = bob"), &d), 0);
	ck_assert_str_eq(cfg.user, "bob");
	free(heap);
}
END_TEST

START_TEST(parse_empty_and_comment_only)
{
	ck_assert_uint_eq(pw_config_parse(&cfg, "empty.conf", "", 0, &d), 0);
	ck_assert_uint_eq(parse("c.conf", "# postward.conf\n\n   \n\t\n# log_level = debug\n"
					  "   # user = root\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.log_level, PW_LOG_INFO);
	ck_assert_str_eq(cfg.user, "");
}
END_TEST

START_TEST(parse_comment_does_not_join_value)
{
	/* an indented comment line is a comment, not a continuation of the value */
	ck_assert_uint_eq(parse("c.conf", "user = bob\n    # the mail user\nlog_level = debug\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(cfg.user, "bob");
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
}
END_TEST

/* ---- continuation lines and lists --------------------------------------------------- */

START_TEST(parse_continuation_lines)
{
	ck_assert_uint_eq(parse("k.conf",
		"policy_files = /etc/postward/a.policy,\n"
		"    /etc/postward/b.policy\n"
		"\t/etc/postward/c.policy\n"
		"log_level = debug\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(cfg.n_policy_files, 3);
	ck_assert_str_eq(cfg.policy_files[0], "/etc/postward/a.policy");
	ck_assert_str_eq(cfg.policy_files[1], "/etc/postward/b.policy");
	ck_assert_str_eq(cfg.policy_files[2], "/etc/postward/c.policy");
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
}
END_TEST

START_TEST(parse_continuation_of_value)
{
	/* the whole value may sit on the continuation line */
	ck_assert_uint_eq(parse("k.conf", "log_level =\n    debug\nmilter_timeout =\n\t45\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
	ck_assert_uint_eq(cfg.milter_timeout, 45);
}
END_TEST

START_TEST(parse_continuation_across_comment_and_blank)
{
	/* Postfix style: comment and blank lines are skipped, the next indented line still
	 * continues the setting */
	ck_assert_uint_eq(parse("k.conf", "policy_files = a.policy\n# more:\n\n  b.policy\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(cfg.n_policy_files, 2);
	ck_assert_str_eq(cfg.policy_files[0], "a.policy");
	ck_assert_str_eq(cfg.policy_files[1], "b.policy");
}
END_TEST

START_TEST(parse_continuation_error_reports_first_line)
{
	/* a bad value on a continued setting is reported at the line the setting starts on */
	ck_assert_uint_eq(parse("k.conf", "user = a\nlog_level =\n   verbose\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "k.conf:2: ");
	ck_assert_diag_has(&d, 0, "log_level");
	ck_assert_diag_has(&d, 0, "verbose");
}
END_TEST

START_TEST(parse_continuation_without_setting)
{
	ck_assert_uint_eq(parse("k.conf", "# header\n   orphan text\nuser = bob\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "k.conf:2: ");
	ck_assert_str_eq(cfg.user, "bob");	/* parsing went on */
}
END_TEST

static const struct {
	const char *value;
	size_t n;
	const char *v[3];
} lists[] = {
	{ "a,b", 2, { "a", "b" } },
	{ "a, b", 2, { "a", "b" } },
	{ "a ,b", 2, { "a", "b" } },
	{ "a b", 2, { "a", "b" } },
	{ "a\tb  c", 3, { "a", "b", "c" } },
	{ "a,,b", 2, { "a", "b" } },
	{ " , a , ", 1, { "a" } },
	{ "/x/p1.policy,/y/p2.policy , /z/p3.policy", 3, { "/x/p1.policy", "/y/p2.policy", "/z/p3.policy" } },
	{ "", 0, { NULL } },
	{ " , ,, ", 0, { NULL } },
};

START_TEST(parse_list_forms)
{
	char text[128];
	snprintf(text, sizeof(text), "policy_files = %s\n", lists[_i].value);
	ck_assert_uint_eq(parse("list.conf", text), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_msg(cfg.n_policy_files == lists[_i].n, "\"%s\": %zu files, expected %zu",
		      lists[_i].value, cfg.n_policy_files, lists[_i].n);
	for (size_t i = 0; i < lists[_i].n; i++)
		ck_assert_str_eq(cfg.policy_files[i], lists[_i].v[i]);
}
END_TEST

START_TEST(list_replaced_not_appended)
{
	ck_assert_uint_eq(parse("1.conf", "policy_files = a b c\n"), 0);
	ck_assert_uint_eq(cfg.n_policy_files, 3);
	ck_assert_uint_eq(parse("2.conf", "policy_files = z\n"), 0);
	ck_assert_uint_eq(cfg.n_policy_files, 1);
	ck_assert_str_eq(cfg.policy_files[0], "z");
}
END_TEST

START_TEST(list_get_round_trips)
{
	struct pw_config c2;
	char buf[256];

	ck_assert_uint_eq(parse("1.conf", "policy_files = /a/1.policy,/b/2.policy /c/3.policy\n"), 0);
	ck_assert(pw_config_get(&cfg, "policy_files", buf, sizeof(buf)));
	ck_assert(pw_config_defaults(&c2));
	ck_assert(pw_config_set(&c2, "policy_files", buf, "get", 1, &d));
	ck_assert_uint_eq(c2.n_policy_files, 3);
	ck_assert_str_eq(c2.policy_files[0], "/a/1.policy");
	ck_assert_str_eq(c2.policy_files[1], "/b/2.policy");
	ck_assert_str_eq(c2.policy_files[2], "/c/3.policy");
	pw_config_free(&c2);
}
END_TEST

START_TEST(sender_practice_lists)
{
	ck_assert_uint_eq(cfg.n_sender_practices, 2);
	ck_assert_str_eq(cfg.sender_practices[0], "dmarc");
	ck_assert_str_eq(cfg.sender_practices[1], "adsp");
	ck_assert_uint_eq(cfg.n_trusted_authserv_ids, 0);
	ck_assert_uint_eq(parse("sp.conf", "sender_practices = dmarc\n"
				"trusted_authserv_ids = mx1.example.org, mx2.example.org\n"), 0);
	ck_assert_uint_eq(cfg.n_sender_practices, 1);
	ck_assert_uint_eq(cfg.n_trusted_authserv_ids, 2);
	ck_assert_str_eq(cfg.trusted_authserv_ids[1], "mx2.example.org");
	/* the policy_files list is a different list */
	ck_assert_uint_eq(cfg.n_policy_files, 0);
}
END_TEST

START_TEST(sender_practices_unknown_refused)
{
	ck_assert_uint_eq(parse("sp.conf", "sender_practices = dmarc, spf\n"), 1);
	ck_assert_diag(&d, 0, "sp.conf:1: sender_practices: unknown practice \"spf\" (expected dmarc or adsp)");
	/* the previous value stays */
	ck_assert_uint_eq(cfg.n_sender_practices, 2);
	ck_assert_uint_eq(parse("sp2.conf", "sender_practices =\n"), 0);
	ck_assert_uint_eq(cfg.n_sender_practices, 0);
}
END_TEST

/* dkim_signing_key: repeatable, entries add up, domain normalised, each line all or nothing */
START_TEST(signing_keys_add_up)
{
	static const char text[] = "dkim_signing_key = Lists.Example.ORG. ed /etc/postward/ed.pem\n"
				   "log_level = debug\n"
				   "dkim_signing_key = lists.example.org rsa keys/rsa.pem,\n"
				   "   example.net s-2024_1 /k/n.pem\n";
	size_t had = cfg.n_dkim_signing_keys, errors = parse("k.conf", text);
	ck_assert_uint_eq(had + errors, 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(cfg.n_dkim_signing_keys, 3);
	ck_assert_str_eq(cfg.dkim_signing_keys[0].domain, "lists.example.org");
	ck_assert_str_eq(cfg.dkim_signing_keys[0].selector, "ed");
	ck_assert_str_eq(cfg.dkim_signing_keys[0].path, "/etc/postward/ed.pem");
	ck_assert_uint_eq(cfg.dkim_signing_keys[0].line, 1);
	ck_assert_str_eq(cfg.dkim_signing_keys[1].path, "keys/rsa.pem");
	ck_assert_uint_eq(cfg.dkim_signing_keys[1].line, 3);
	ck_assert_str_eq(cfg.dkim_signing_keys[2].domain, "example.net");
	ck_assert_str_eq(cfg.dkim_signing_keys[2].selector, "s-2024_1");
	ck_assert_uint_eq(cfg.dkim_signing_keys[2].line, 3);
	ck_assert_str_eq(get("dkim_signing_key"), "lists.example.org ed /etc/postward/ed.pem, "
			 "lists.example.org rsa keys/rsa.pem, example.net s-2024_1 /k/n.pem");
	/* what get shows parses back to the same */
	struct pw_config c2;
	char before[512];
	snprintf(before, sizeof(before), "%s", get("dkim_signing_key"));
	ck_assert(pw_config_defaults(&c2));
	ck_assert(pw_config_set(&c2, "dkim_signing_key", before, "rt", 1, &d));
	char after[512];
	ck_assert(pw_config_get(&c2, "dkim_signing_key", after, sizeof(after)));
	ck_assert_str_eq(after, before);
	pw_config_free(&c2);
	/* an empty value adds nothing */
	ck_assert_uint_eq(parse("k2.conf", "dkim_signing_key =\n"), 0);
	ck_assert_uint_eq(cfg.n_dkim_signing_keys, 3);
}
END_TEST

START_TEST(signing_keys_refused)
{
	static const struct {
		const char *line, *diag;
	} bad[] = {
		{ "dkim_signing_key = example.org ed\n",
		  "b.conf:2: dkim_signing_key \"example.org ed\": expected DOMAIN SELECTOR KEYFILE" },
		{ "dkim_signing_key = example.org ed /a b\n",
		  "b.conf:2: dkim_signing_key \"example.org ed /a b\": expected DOMAIN SELECTOR KEYFILE" },
		{ "dkim_signing_key = exa!mple.org ed /k\n",
		  "b.conf:2: dkim_signing_key: \"exa!mple.org\" is not a domain name" },
		{ "dkim_signing_key = example.org.. ed /k\n",
		  "b.conf:2: dkim_signing_key: \"example.org.\" is not a domain name" },
		{ "dkim_signing_key = example.org e;d /k\n",
		  "b.conf:2: dkim_signing_key: selector \"e;d\" is not a DNS name (letters, digits, "
		  "'-', '_', dots)" },
		{ "dkim_signing_key = example.org ed. /k\n",
		  "b.conf:2: dkim_signing_key: selector \"ed.\" is not a DNS name (letters, digits, "
		  "'-', '_', dots)" },
		{ "dkim_signing_key = EXAMPLE.org RSA /k2\n",
		  "b.conf:2: dkim_signing_key: example.org RSA is already set at line 1" },
		{ "dkim_signing_key = example.org ed /k, example.org ed2 /k\n",
		  "b.conf:2: dkim_signing_key: example.org has 2 keys already (first at line 1); one "
		  "Ed25519 and one RSA key is the most a domain signs with" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[300];
		pw_config_free(&cfg);
		pw_diags_free(&d);
		memset(&d, 0, sizeof(d));
		ck_assert(pw_config_defaults(&cfg));
		snprintf(text, sizeof(text), "dkim_signing_key = example.org rsa /k\n%s", bad[i].line);
		ck_assert_uint_eq(parse("b.conf", text), 1);
		ck_assert_diag(&d, 0, bad[i].diag);
		/* the bad line is dropped whole; the good one stays */
		ck_assert_uint_eq(cfg.n_dkim_signing_keys, 1);
		ck_assert_str_eq(cfg.dkim_signing_keys[0].selector, "rsa");
	}
}
END_TEST

START_TEST(key_refresh_settings_checked)
{
	ck_assert_uint_eq(cfg.n_list_key_sources, 0);
	ck_assert_str_eq(cfg.list_vks_url, "https://keys.openpgp.org");
	ck_assert_uint_eq(cfg.list_key_refresh_interval, 24);
	ck_assert_uint_eq(cfg.list_key_refresh_delay, 60);
	ck_assert_uint_eq(cfg.list_key_expiry_warning, 14);
	ck_assert_uint_eq(parse("k.conf", "list_key_sources = vks, WKD\n"
				"list_https_connect_to = a:443:127.0.0.1:8443 b:443:127.0.0.1:8443\n"), 0);
	ck_assert_uint_eq(cfg.n_list_key_sources, 2);
	ck_assert_str_eq(cfg.list_key_sources[0], "vks");
	ck_assert_uint_eq(cfg.n_list_https_connect_to, 2);
	ck_assert_uint_eq(parse("k1.conf", "list_key_sources = wkd, ftp\n"), 1);
	ck_assert_diag(&d, 0, "k1.conf:1: list_key_sources: unknown key source \"ftp\" (expected wkd and/or vks)");
	ck_assert_uint_eq(parse("k2.conf", "list_key_sources = wkd, wkd\n"), 1);
	ck_assert_diag(&d, 1, "k2.conf:1: list_key_sources: repeated key source \"wkd\" (expected wkd and/or vks)");
	ck_assert_uint_eq(cfg.n_list_key_sources, 2);	/* the previous value stays */
	ck_assert_uint_eq(parse("k3.conf", "list_vks_url = http://keys.example.org\n"), 1);
	ck_assert_diag(&d, 2, "k3.conf:1: list_vks_url \"http://keys.example.org\": expected an https:// URL");
	ck_assert_str_eq(cfg.list_vks_url, "https://keys.openpgp.org");
}
END_TEST

START_TEST(every_setting_get_set_round_trips)
{
	size_t n;
	const struct pw_option *o = pw_config_options(&n);
	char before[256], after[256];

	ck_assert_uint_eq(parse("r.conf", "milter_socket = unix:/tmp/x.sock\nuser = u\npid_file = /p\n"
				"syslog_facility = local5\nlog_level = warning\nmilter_timeout = 77\n"
				"policy_files = p q\ntls_required_unknown = reject\n"
				"requiretls_ret_hdrs = no\ninternal_error_action = accept\n"), 0);
	for (size_t i = 0; i < n; i++) {
		struct pw_config c2;
		ck_assert(pw_config_get(&cfg, o[i].name, before, sizeof(before)));
		ck_assert(pw_config_defaults(&c2));
		ck_assert_msg(pw_config_set(&c2, o[i].name, before, "rt", 1, &d),
			      "%s = \"%s\" did not parse back:\n%s", o[i].name, before, diag_all(&d));
		ck_assert(pw_config_get(&c2, o[i].name, after, sizeof(after)));
		ck_assert_str_eq(after, before);
		pw_config_free(&c2);
	}
	ck_assert_ndiags(&d, 0);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------- */

START_TEST(error_unknown_setting)
{
	ck_assert_uint_eq(parse("u.conf", "log_level = debug\n# c\nfoo = bar\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "u.conf:3: unknown setting \"foo\"");
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
}
END_TEST

START_TEST(error_missing_equals)
{
	ck_assert_uint_eq(parse("m.conf", "user = a\n\nlog_level debug\nmilter_timeout = 9\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "m.conf:3: missing \"=\"");
	ck_assert_uint_eq(cfg.milter_timeout, 9);	/* parsing went on */
	ck_assert_int_eq(cfg.log_level, PW_LOG_INFO);	/* the broken line changed nothing */
}
END_TEST

START_TEST(error_missing_name)
{
	ck_assert_uint_eq(parse("m.conf", "= debug\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "m.conf:1: ");
}
END_TEST

START_TEST(error_duplicate_setting_names_earlier_line)
{
	ck_assert_uint_eq(parse("dup.conf", "user = a\nlog_level = debug\n\n# again\n"
					    "log_level = warning\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "dup.conf:5: ");
	ck_assert_diag_has(&d, 0, "log_level");
	ck_assert_diag_has(&d, 0, "line 2");
}
END_TEST

START_TEST(error_duplicate_same_value)
{
	/* repeating a setting is an error even when both lines say the same thing */
	ck_assert_uint_eq(parse("dup.conf", "milter_timeout = 10\nmilter_timeout = 10\n"), 1);
	ck_assert_diag_prefix(&d, 0, "dup.conf:2: ");
	ck_assert_diag_has(&d, 0, "milter_timeout");
	ck_assert_diag_has(&d, 0, "line 1");
}
END_TEST

START_TEST(no_duplicate_across_files)
{
	/* each file is parsed on top of what cfg holds; the same setting in a later parse is
	 * an override, not a duplicate */
	ck_assert_uint_eq(parse("1.conf", "log_level = debug\nuser = a\n"), 0);
	ck_assert_uint_eq(parse("2.conf", "user = b\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(cfg.user, "b");
	ck_assert_int_eq(cfg.log_level, PW_LOG_DEBUG);
}
END_TEST

static const struct {
	const char *name, *value;
	const char *words[4];	/* each must appear in the message */
} bad_values[] = {
	{ "log_level", "verbose", { "log_level", "warning", "info", "debug" } },
	{ "log_level", "", { "log_level", "warning", "info", "debug" } },
	{ "tls_required_unknown", "maybe", { "tls_required_unknown", "ignore", "reject" } },
	{ "tls_required_unknown", "accept", { "tls_required_unknown", "ignore", "reject" } },
	{ "requiretls_ret_hdrs", "perhaps", { "requiretls_ret_hdrs", "yes", "no" } },
	{ "requiretls_ret_hdrs", "", { "requiretls_ret_hdrs", "yes", "no" } },
	{ "internal_error_action", "drop", { "internal_error_action", "tempfail", "accept" } },
	{ "internal_error_action", "reject", { "internal_error_action", "tempfail", "accept" } },
	{ "syslog_facility", "nonsense", { "syslog_facility", "mail" } },
	{ "milter_timeout", "abc", { "milter_timeout", "abc" } },
	{ "milter_timeout", "-5", { "milter_timeout", "-5" } },
	{ "milter_timeout", "12s", { "milter_timeout", "12s" } },
	{ "milter_timeout", "", { "milter_timeout" } },
	{ "milter_timeout", "4294967296", { "milter_timeout", "4294967296" } },
	{ "milter_timeout", "99999999999999999999999", { "milter_timeout" } },
	{ "milter_timeout", "1.5", { "milter_timeout", "1.5" } },
	{ "milter_socket", "/run/postward.sock", { "milter_socket", "unix:", "inet:" } },
	{ "milter_socket", "", { "milter_socket", "unix:", "inet:" } },
};

START_TEST(error_bad_value)
{
	char text[160], prefix[64];
	char before[256], after[256];

	ck_assert(pw_config_get(&cfg, bad_values[_i].name, before, sizeof(before)));
	snprintf(text, sizeof(text), "# bad value\n\n%s = %s\n", bad_values[_i].name,
		 bad_values[_i].value);
	ck_assert_uint_eq(parse("bad.conf", text), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag_prefix(&d, 0, "bad.conf:3: ");
	for (size_t w = 0; w < 4 && bad_values[_i].words[w]; w++)
		ck_assert_diag_has(&d, 0, bad_values[_i].words[w]);
	/* a rejected value leaves the setting as it was */
	ck_assert(pw_config_get(&cfg, bad_values[_i].name, after, sizeof(after)));
	ck_assert_str_eq(after, before);
	/* and pw_config_set says the same, at the line it is given */
	ck_assert(!pw_config_set(&cfg, bad_values[_i].name, bad_values[_i].value, "set", 42, &d));
	ck_assert_ndiags(&d, 2);
	snprintf(prefix, sizeof(prefix), "set:42: ");
	ck_assert_diag_prefix(&d, 1, prefix);
}
END_TEST

START_TEST(good_timeout_values)
{
	ck_assert(pw_config_set(&cfg, "milter_timeout", "1", "t", 1, &d));
	ck_assert_uint_eq(cfg.milter_timeout, 1);
	ck_assert(pw_config_set(&cfg, "milter_timeout", "3600", "t", 2, &d));
	ck_assert_uint_eq(cfg.milter_timeout, 3600);
	ck_assert_ndiags(&d, 0);
}
END_TEST

/* error_control_characters - a control character (tab aside) anywhere in a line is an error
 * naming its column, and the setting it belongs to is dropped with its continuations, so no
 * setting carries one into a header field or a log line (regression test for a fuzz_config
 * finding: "authserv_id = mx\x01.example" was taken as it stood) */
START_TEST(error_control_characters)
{
	static const char text[] =
		"authserv_id = mx\x01.example\n"	/* 1 dropped */
		"  continued\n"			/* 2 dropped with it */
		"user = bob\x1b[2J\r\n"		/* 3 escape sequence */
		"policy_files = /a.policy,\n"		/* 4 kept ... */
		"# a comment \x7f\n"			/* 5 reported, nothing lost */
		"\t/b.policy\n"			/* 6 ... with its continuation */
		"pid_file = /run/p\rX-Injected: yes\n"	/* 7 bare CR */
		"log_level = info\tdebug\n";		/* 8 a tab is white space */
	size_t errs = pw_config_parse(&cfg, "c.conf", text, sizeof(text) - 1, &d);
	ck_assert_uint_eq(errs, 5);
	ck_assert_diag(&d, 0, "c.conf:1: control character 0x01 in column 17");
	ck_assert_diag(&d, 1, "c.conf:3: control character 0x1b in column 11");
	ck_assert_diag(&d, 2, "c.conf:5: control character 0x7f in column 13");
	ck_assert_diag(&d, 3, "c.conf:7: control character 0x0d in column 18");
	ck_assert_diag_prefix(&d, 4, "c.conf:8: ");
	ck_assert_str_eq(get("authserv_id"), "");
	ck_assert_str_eq(get("user"), "");
	ck_assert_str_eq(get("pid_file"), "");
	ck_assert_str_eq(get("policy_files"), "/a.policy, /b.policy");
}
END_TEST

START_TEST(error_many_collected_in_order)
{
	size_t errs = parse("many.conf",
		"bogus = 1\n"			/* 1 unknown */
		"user = alice\n"		/* 2 ok */
		"log_level loud\n"		/* 3 missing = */
		"milter_timeout = 15\n"		/* 4 ok */
		"milter_timeout = soon\n"	/* 5 duplicate (line 4) */
		"requiretls_ret_hdrs = sure\n"	/* 6 bad bool */
		"internal_error_action = accept\n" /* 7 ok */
		"other_thing=2");		/* 8 unknown, no newline */
	ck_assert_uint_eq(errs, 5);
	ck_assert_ndiags(&d, 5);
	ck_assert_diag(&d, 0, "many.conf:1: unknown setting \"bogus\"");
	ck_assert_diag_prefix(&d, 1, "many.conf:3: missing \"=\"");
	ck_assert_diag_prefix(&d, 2, "many.conf:5: ");
	ck_assert_diag_has(&d, 2, "line 4");
	ck_assert_diag_prefix(&d, 3, "many.conf:6: ");
	ck_assert_diag_has(&d, 3, "requiretls_ret_hdrs");
	ck_assert_diag(&d, 4, "many.conf:8: unknown setting \"other_thing\"");
	ck_assert_str_eq(cfg.user, "alice");
	ck_assert_uint_eq(cfg.milter_timeout, 15);
	ck_assert_int_eq(cfg.internal_error_action, PW_ERROR_ACCEPT);
}
END_TEST

START_TEST(parse_returns_only_new_errors)
{
	pw_diags_add(&d, "earlier", 1, "something else");
	ck_assert_uint_eq(parse("x.conf", "a = 1\nb = 2\n"), 2);
	ck_assert_ndiags(&d, 3);
	ck_assert_diag(&d, 0, "earlier:1: something else");
	ck_assert_diag(&d, 1, "x.conf:1: unknown setting \"a\"");
	ck_assert_diag(&d, 2, "x.conf:2: unknown setting \"b\"");
}
END_TEST

START_TEST(set_unknown_setting)
{
	ck_assert(!pw_config_set(&cfg, "nope", "1", "cmdline", 9, &d));
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "cmdline:9: unknown setting \"nope\"");
	ck_assert(pw_config_set(&cfg, "milter_socket", "unix:/tmp/o.sock", "cmdline", 0, &d));
	ck_assert_ndiags(&d, 1);
	ck_assert_str_eq(cfg.milter_socket, "unix:/tmp/o.sock");
}
END_TEST

START_TEST(free_then_defaults_again)
{
	ck_assert_uint_eq(parse("f.conf", "policy_files = a b\nuser = x\n"), 0);
	pw_config_free(&cfg);
	ck_assert_ptr_null(cfg.user);
	ck_assert_ptr_null(cfg.policy_files);
	ck_assert_uint_eq(cfg.n_policy_files, 0);
	ck_assert(pw_config_defaults(&cfg));
	ck_assert_str_eq(cfg.user, "");
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, options_table_matches_spec);
	tcase_add_test(tc, defaults_match_spec);
	tcase_add_test(tc, defaults_read_back_through_get);
	tcase_add_test(tc, defaults_overwrite_previous_values);
	tcase_add_test(tc, free_then_defaults_again);
	suite_add_tcase(s, tc);

	tc = tcase_create("settings");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parse_every_setting);
	tcase_add_test(tc, parse_inet_socket_and_empty_strings);
	tcase_add_loop_test(tc, parse_each_log_level, 0, (int)(sizeof(log_levels) / sizeof(log_levels[0])));
	tcase_add_test(tc, parse_enum_and_bool_both_ways);
	tcase_add_test(tc, good_timeout_values);
	tcase_add_test(tc, every_setting_get_set_round_trips);
	tcase_add_test(tc, signing_keys_add_up);
	tcase_add_test(tc, signing_keys_refused);
	tcase_add_test(tc, set_unknown_setting);
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parse_blanks_around_equals);
	tcase_add_test(tc, parse_value_may_contain_equals);
	tcase_add_test(tc, parse_crlf_lines);
	tcase_add_test(tc, parse_last_line_without_newline);
	tcase_add_test(tc, parse_respects_len);
	tcase_add_test(tc, parse_empty_and_comment_only);
	tcase_add_test(tc, parse_comment_does_not_join_value);
	tcase_add_test(tc, parse_continuation_lines);
	tcase_add_test(tc, parse_continuation_of_value);
	tcase_add_test(tc, parse_continuation_across_comment_and_blank);
	tcase_add_test(tc, parse_continuation_error_reports_first_line);
	tcase_add_test(tc, parse_continuation_without_setting);
	tcase_add_test(tc, no_duplicate_across_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("lists");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, parse_list_forms, 0, (int)(sizeof(lists) / sizeof(lists[0])));
	tcase_add_test(tc, list_replaced_not_appended);
	tcase_add_test(tc, list_get_round_trips);
	tcase_add_test(tc, sender_practice_lists);
	tcase_add_test(tc, sender_practices_unknown_refused);
	tcase_add_test(tc, key_refresh_settings_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, error_unknown_setting);
	tcase_add_test(tc, error_missing_equals);
	tcase_add_test(tc, error_missing_name);
	tcase_add_test(tc, error_duplicate_setting_names_earlier_line);
	tcase_add_test(tc, error_duplicate_same_value);
	tcase_add_loop_test(tc, error_bad_value, 0, (int)(sizeof(bad_values) / sizeof(bad_values[0])));
	tcase_add_test(tc, error_many_collected_in_order);
	tcase_add_test(tc, error_control_characters);
	tcase_add_test(tc, parse_returns_only_new_errors);
	suite_add_tcase(s, tc);
	return s;
}
