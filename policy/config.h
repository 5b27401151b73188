/*
 * policy/config.h - postward.conf: the settings table, its defaults and its parser.
 *
 * The configuration file holds Postfix-style "name = value" lines.  A line whose first
 * non-blank character is '#' is a comment, a blank line is ignored, and a line that starts
 * with white space continues the previous setting.  A control character other than a tab
 * on a line is an error (line and column), and the setting it belongs to is dropped with its
 * continuation lines; CRLF line ends are fine.  Every setting lives in exactly one row
 * of the table in config.c (name, type, default, check, one-line doc), from which the
 * defaults, the parser, `postward -n` and postward.conf(5) all follow.
 *
 * pw_config_parse() takes the file's text (the caller reads it; this module does no I/O),
 * applies each setting on top of what *cfg already holds, and appends one diagnostic per
 * problem.  A struct pw_config owns all its strings; pw_config_free() releases them.
 * Every setting may be given once, except dkim_signing_key (PW_OPT_SIGNKEYS), whose lines
 * add up: at most PW_SIGNING_KEYS_PER_DOMAIN keys per domain, each domain and selector
 * once.  The key files are not read here (no I/O): snapshot.c loads them.
 * Not thread-safe: the daemon builds a config once per load and then only reads it.
 */
#ifndef POSTWARD_POLICY_CONFIG_H
#define POSTWARD_POLICY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define PW_DEFAULT_CONFIG_FILE "/etc/postward/postward.conf"
#define PW_DEFAULT_SOCKET "inet:8891@127.0.0.1"
#define PW_DEFAULT_TRUST_ANCHOR "/usr/share/dns/root.ds"
#define PW_DEFAULT_PSL "/usr/share/publicsuffix/public_suffix_list.dat"
#define PW_DEFAULT_GNUPG_HOME "/var/lib/postward/gnupg"
#define PW_DEFAULT_SPOOL "/var/spool/postward"
#define PW_SIGNING_KEYS_PER_DOMAIN 2	/* dual signing: one Ed25519 and one RSA key */

/* one dkim_signing_key: a key that signs mail postward writes for DOMAIN (and its subdomains
 * without keys of their own) */
struct pw_signing_key {
	char *domain;			/* lower case, no trailing dot */
	char *selector;
	char *path;			/* PEM private key file, as written (snapshot.c resolves a
					 * relative one beside the configuration file) */
	unsigned line;			/* where it was set, for diagnostics */
};

enum pw_org_domain { PW_ORG_TREEWALK = 0, PW_ORG_PSL = 1 };
enum pw_log_level { PW_LOG_WARNING = 0, PW_LOG_INFO = 1, PW_LOG_DEBUG = 2 };
enum pw_unknown_action { PW_UNKNOWN_IGNORE = 0, PW_UNKNOWN_REJECT = 1 };
enum pw_error_action { PW_ERROR_TEMPFAIL = 0, PW_ERROR_ACCEPT = 1 };
/* requiretls_recipient_check (policy/rtlsrcpt.h) */
enum pw_rcpt_check { PW_RCPT_CHECK_REJECT = 0, PW_RCPT_CHECK_LOG = 1, PW_RCPT_CHECK_OFF = 2 };

struct pw_config {
	char *milter_socket;		/* unix:/path or inet:PORT@HOST */
	char *user;			/* "" = do not change user */
	char *pid_file;			/* "" = none */
	char *syslog_facility;		/* e.g. "mail" */
	enum pw_log_level log_level;
	unsigned milter_timeout;	/* seconds */
	char **policy_files;		/* owned array of owned paths */
	size_t n_policy_files;
	enum pw_unknown_action tls_required_unknown;
	bool requiretls_ret_hdrs;
	enum pw_error_action internal_error_action;
	char *dns_nameservers;		/* "IP[@PORT], ..."; "" = /etc/resolv.conf */
	char *dns_trust_anchor_file;	/* DS or DNSKEY records, zone-file syntax */
	unsigned dns_timeout;		/* seconds per query attempt */
	unsigned dns_max_queries;	/* per lookup */
	unsigned dns_cache_size;	/* entries */
	char *authserv_id;		/* "" = this host's name */
	unsigned dkim_max_signatures;	/* DKIM-Signature fields verified per message */
	struct pw_signing_key *dkim_signing_keys;	/* owned, in file order */
	size_t n_dkim_signing_keys;
	char **sender_practices;	/* owned: "dmarc" and/or "adsp" */
	size_t n_sender_practices;
	char *public_suffix_list;	/* path of the PSL file (dmarc_org_domain psl) */
	enum pw_org_domain dmarc_org_domain;	/* DMARC organisational domains: tree walk
						 * (RFC 9989) or Public Suffix List */
	char **trusted_authserv_ids;	/* owned: hosts whose A-R spf= results count */
	size_t n_trusted_authserv_ids;
	char *list_directory;		/* "" = no lists */
	char *gnupg_home;
	char *list_spool_directory;
	unsigned list_workers;
	unsigned list_queue_size;
	char *list_reinject;		/* HOST:PORT */
	unsigned list_max_post_size;	/* bytes */
	unsigned list_key_max_age;	/* days, 0 = never warn */
	unsigned list_build_threads;	/* per post being sent; 0 = one per online CPU */
	unsigned list_max_queue_time;	/* seconds a deferred copy is retried */
	/* key freshness (milter/lists/keyrefresh.h) */
	unsigned list_key_refresh_interval;	/* hours, 0 = no scheduled refresh */
	unsigned list_key_refresh_delay;	/* seconds from the start to the first pass */
	char **list_key_sources;	/* owned: "wkd", "vks", in the order asked; none = off */
	size_t n_list_key_sources;
	char *list_vks_url;		/* https://HOST[:PORT][/PATH] */
	char *list_https_ca_file;	/* "" = the system's CAs */
	char **list_https_connect_to;	/* owned: libcurl CONNECT_TO entries */
	size_t n_list_https_connect_to;
	unsigned list_https_timeout;	/* seconds per key fetch */
	unsigned list_key_expiry_warning;	/* days, 0 = no warnings */
	/* REQUIRETLS at RCPT (policy/rtlsrcpt.h, milter/requiretls/) */
	enum pw_rcpt_check requiretls_recipient_check;
	char **requiretls_exempt_domains;	/* owned: Postfix-style domain patterns */
	size_t n_requiretls_exempt_domains;
	char *requiretls_mta_sts_ca_file;	/* "" = the system's CAs */
	char **requiretls_mta_sts_connect_to;	/* owned: libcurl CONNECT_TO entries */
	size_t n_requiretls_mta_sts_connect_to;
	unsigned requiretls_mta_sts_timeout;	/* seconds per policy fetch */
	unsigned requiretls_mta_sts_cache_size;	/* MTA-STS policies kept */
};

/* PW_OPT_SIGNKEYS: "DOMAIN SELECTOR KEYFILE" entries, separated by commas; the setting may
 * appear on several lines, each adding its entries (it is the only repeatable one) */
enum pw_opt_type { PW_OPT_STRING, PW_OPT_BOOL, PW_OPT_UINT, PW_OPT_ENUM, PW_OPT_LIST,
		   PW_OPT_SIGNKEYS };

struct pw_option {
	const char *name;
	enum pw_opt_type type;
	const char *def;		/* default, in configuration-file syntax */
	const char *const *choices;	/* PW_OPT_ENUM: NULL-terminated value names */
	unsigned min, max;		/* PW_OPT_UINT bounds */
	bool reload;			/* takes effect on reload (false: needs restart) */
	const char *doc;		/* one line for postward.conf(5) */
};

/* pw_config_options - the settings table, in documentation order */
const struct pw_option *pw_config_options(size_t *n);
/* pw_config_defaults - fill *cfg with the built-in defaults; false only on lack of memory */
bool pw_config_defaults(struct pw_config *cfg);
/* pw_config_parse - apply FILE's text to *cfg; returns the number of errors added to *d */
size_t pw_config_parse(struct pw_config *cfg, const char *file, const char *text, size_t len,
		       struct pw_diags *d);
/* pw_config_set - apply one setting by name (used for defaults and overrides); false = error in *d */
bool pw_config_set(struct pw_config *cfg, const char *name, const char *value,
		   const char *file, unsigned line, struct pw_diags *d);
/* pw_config_get - format the current value of setting NAME into buf; false if unknown */
bool pw_config_get(const struct pw_config *cfg, const char *name, char *buf, size_t len);
/* pw_config_free - release everything *cfg owns */
void pw_config_free(struct pw_config *cfg);

#endif
