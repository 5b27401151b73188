/*
 * policy/config.c - the settings table and the postward.conf parser.
 *
 * Contract: see config.h.  One row per setting in options[]; the defaults are applied by
 * running each row's default text through the same setter that parses the file, so the
 * table is the single source of truth.  Pure C, no I/O.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "config.h"
#include "addr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const log_levels[] = { "warning", "info", "debug", NULL };
static const char *const unknown_actions[] = { "ignore", "reject", NULL };
static const char *const error_actions[] = { "tempfail", "accept", NULL };
static const char *const org_domain_methods[] = { "treewalk", "psl", NULL };
static const char *const rcpt_checks[] = { "reject", "log", "off", NULL };
static const char *const facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

static const struct pw_option options[] = {
	{ "milter_socket", PW_OPT_STRING, PW_DEFAULT_SOCKET, NULL, 0, 0, false,
	  "where to listen for the MTA: unix:/path or inet:PORT@HOST" },
	{ "user", PW_OPT_STRING, "", NULL, 0, 0, false,
	  "user to switch to after opening the socket when started as root (empty: stay)" },
	{ "pid_file", PW_OPT_STRING, "", NULL, 0, 0, false,
	  "file to write the supervisor's process id to (empty: none)" },
	{ "syslog_facility", PW_OPT_ENUM, "mail", facilities, 0, 0, false,
	  "syslog facility for log lines when not running with -f" },
	{ "log_level", PW_OPT_ENUM, "info", log_levels, 0, 0, true,
	  "warning: problems only; info: one line per decision; debug: every step" },
	{ "milter_timeout", PW_OPT_UINT, "300", NULL, 1, 86400, false,
	  "seconds to wait for the MTA before giving up a milter connection" },
	{ "policy_files", PW_OPT_LIST, "", NULL, 0, 0, true,
	  "policy files holding rules, separated by commas or blanks" },
	{ "tls_required_unknown", PW_OPT_ENUM, "ignore", unknown_actions, 0, 0, true,
	  "what a TLS-Required/RequireTLS field with a value other than \"No\" does" },
	{ "requiretls_ret_hdrs", PW_OPT_BOOL, "yes", NULL, 0, 0, true,
	  "ask the MTA for RET=HDRS when REQUIRETLS comes with RET=FULL" },
	{ "internal_error_action", PW_OPT_ENUM, "tempfail", error_actions, 0, 0, true,
	  "what to do with a message when postward itself fails (tempfail or accept)" },
	{ "dns_nameservers", PW_OPT_STRING, "", NULL, 0, 0, true,
	  "name servers to ask, IP or IP@PORT, separated by commas or blanks "
	  "(empty: the nameserver lines of /etc/resolv.conf)" },
	{ "dns_trust_anchor_file", PW_OPT_STRING, PW_DEFAULT_TRUST_ANCHOR, NULL, 0, 0, true,
	  "DNSSEC trust anchors: DS or DNSKEY records in zone-file syntax" },
	{ "dns_timeout", PW_OPT_UINT, "5", NULL, 1, 60, true,
	  "seconds to wait for one DNS answer before trying again or giving up" },
	{ "dns_max_queries", PW_OPT_UINT, "24", NULL, 1, 256, true,
	  "DNS queries one lookup may send, chain of trust included (no amplification)" },
	{ "dns_cache_size", PW_OPT_UINT, "10000", NULL, 16, 10000000, true,
	  "validated DNS answers kept in memory (least recently used ones go first)" },
	{ "authserv_id", PW_OPT_STRING, "", NULL, 0, 0, true,
	  "authserv-id of the Authentication-Results field (empty: this host's name)" },
	{ "dkim_max_signatures", PW_OPT_UINT, "8", NULL, 0, 64, true,
	  "DKIM-Signature fields verified per message; later ones are a permerror" },
	{ "dkim_signing_key", PW_OPT_SIGNKEYS, "", NULL, 0, 0, true,
	  "DOMAIN SELECTOR KEYFILE: a key that signs the mail postward writes for DOMAIN "
	  "(repeatable; two per domain for dual signing)" },
	{ "sender_practices", PW_OPT_LIST, "dmarc, adsp", NULL, 0, 0, true,
	  "published sender practices to check: dmarc, adsp, both or none (empty)" },
	{ "public_suffix_list", PW_OPT_STRING, PW_DEFAULT_PSL, NULL, 0, 0, true,
	  "Public Suffix List file, read only with dmarc_org_domain = psl" },
	{ "dmarc_org_domain", PW_OPT_ENUM, "treewalk", org_domain_methods, 0, 0, true,
	  "how DMARC finds organisational domains: treewalk (RFC 9989) or psl (RFC 7489)" },
	{ "trusted_authserv_ids", PW_OPT_LIST, "", NULL, 0, 0, true,
	  "authserv-ids whose Authentication-Results spf= results DMARC may use" },
	{ "list_directory", PW_OPT_STRING, "", NULL, 0, 0, true,
	  "directory of encrypted-list files, one NAME.list file per list (empty: no lists)" },
	{ "gnupg_home", PW_OPT_STRING, PW_DEFAULT_GNUPG_HOME, NULL, 0, 0, false,
	  "GnuPG home holding the lists' OpenPGP keys and the subscribers' public keys" },
	{ "list_spool_directory", PW_OPT_STRING, PW_DEFAULT_SPOOL, NULL, 0, 0, false,
	  "where accepted list posts wait, as ciphertext, until every copy is sent" },
	{ "list_workers", PW_OPT_UINT, "4", NULL, 1, 256, false,
	  "threads that re-encrypt list posts and send the copies" },
	{ "list_queue_size", PW_OPT_UINT, "100", NULL, 1, 100000, false,
	  "list posts waiting for a worker; past it posts are deferred (451 4.3.1)" },
	{ "list_reinject", PW_OPT_STRING, "127.0.0.1:10026", NULL, 0, 0, true,
	  "HOST:PORT of the MTA service that takes the copies (without milters)" },
	{ "list_max_post_size", PW_OPT_UINT, "10485760", NULL, 1024, 67108864, true,
	  "largest list post accepted, in bytes (larger: 552 5.3.4)" },
	{ "list_key_max_age", PW_OPT_UINT, "365", NULL, 0, 36500, true,
	  "days after which a subscriber key not refreshed is warned about (0: never)" },
	{ "list_build_threads", PW_OPT_UINT, "0", NULL, 0, 64, true,
	  "threads that build one post's copies while its worker sends them (0: one per CPU)" },
	{ "list_max_queue_time", PW_OPT_UINT, "432000", NULL, 1, 31536000, true,
	  "seconds after which a copy still deferred by the MTA is given up and reported" },
	/* key freshness: milter/lists/keyrefresh.h */
	{ "list_key_refresh_interval", PW_OPT_UINT, "24", NULL, 0, 8760, false,
	  "hours between two refreshes of the subscribers' keys (0: no scheduled refresh)" },
	{ "list_key_refresh_delay", PW_OPT_UINT, "60", NULL, 0, 86400, false,
	  "seconds from the start to the first scheduled key refresh" },
	{ "list_key_sources", PW_OPT_LIST, "", NULL, 0, 0, true,
	  "where subscriber keys are refreshed from, in order: wkd, vks (empty: nowhere)" },
	{ "list_vks_url", PW_OPT_STRING, "https://keys.openpgp.org", NULL, 0, 0, true,
	  "the VKS keyserver asked for keys by fingerprint (an https URL)" },
	{ "list_https_ca_file", PW_OPT_STRING, "", NULL, 0, 0, true,
	  "CA certificates (PEM) trusted for key fetches (empty: the system's CAs)" },
	{ "list_https_connect_to", PW_OPT_LIST, "", NULL, 0, 0, true,
	  "HOST:PORT:TO-HOST:TO-PORT entries sending key fetches elsewhere (tests)" },
	{ "list_https_timeout", PW_OPT_UINT, "30", NULL, 1, 600, true,
	  "seconds one key fetch may take, connection included" },
	{ "list_key_expiry_warning", PW_OPT_UINT, "14", NULL, 0, 3650, true,
	  "days before its expiry that a subscriber is warned about their key (0: never)" },
	/* REQUIRETLS at RCPT: policy/rtlsrcpt.h, milter/requiretls/ */
	{ "requiretls_recipient_check", PW_OPT_ENUM, "reject", rcpt_checks, 0, 0, true,
	  "REQUIRETLS recipient without DANE or MTA-STS: reject (550 5.7.30), log, or off" },
	{ "requiretls_exempt_domains", PW_OPT_LIST, "", NULL, 0, 0, true,
	  "recipient domains never checked at RCPT: example.com, .example.com (subdomains)" },
	{ "requiretls_mta_sts_timeout", PW_OPT_UINT, "10", NULL, 1, 120, true,
	  "seconds one MTA-STS policy fetch may take at RCPT, connection included" },
	{ "requiretls_mta_sts_cache_size", PW_OPT_UINT, "1000", NULL, 1, 100000, true,
	  "MTA-STS policies kept in memory, each for its max_age (least recently used go first)" },
	{ "requiretls_mta_sts_ca_file", PW_OPT_STRING, "", NULL, 0, 0, true,
	  "CA certificates (PEM) trusted for MTA-STS policy fetches (empty: the system's CAs)" },
	{ "requiretls_mta_sts_connect_to", PW_OPT_LIST, "", NULL, 0, 0, true,
	  "HOST:PORT:TO-HOST:TO-PORT entries sending MTA-STS fetches elsewhere (tests)" },
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* pw_config_options - the table */
const struct pw_option *pw_config_options(size_t *n)
{
	*n = N_OPTIONS;
	return options;
}

/* find_option - look a setting up by exact name */
static const struct pw_option *find_option(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/* string_slot - where a string-valued setting lives in *cfg */
static char **string_slot(struct pw_config *cfg, const char *name)
{
	if (strcmp(name, "milter_socket") == 0)
		return &cfg->milter_socket;
	if (strcmp(name, "user") == 0)
		return &cfg->user;
	if (strcmp(name, "pid_file") == 0)
		return &cfg->pid_file;
	if (strcmp(name, "syslog_facility") == 0)
		return &cfg->syslog_facility;
	if (strcmp(name, "dns_nameservers") == 0)
		return &cfg->dns_nameservers;
	if (strcmp(name, "dns_trust_anchor_file") == 0)
		return &cfg->dns_trust_anchor_file;
	if (strcmp(name, "authserv_id") == 0)
		return &cfg->authserv_id;
	if (strcmp(name, "public_suffix_list") == 0)
		return &cfg->public_suffix_list;
	if (strcmp(name, "list_directory") == 0)
		return &cfg->list_directory;
	if (strcmp(name, "gnupg_home") == 0)
		return &cfg->gnupg_home;
	if (strcmp(name, "list_spool_directory") == 0)
		return &cfg->list_spool_directory;
	if (strcmp(name, "list_reinject") == 0)
		return &cfg->list_reinject;
	if (strcmp(name, "list_vks_url") == 0)
		return &cfg->list_vks_url;
	if (strcmp(name, "list_https_ca_file") == 0)
		return &cfg->list_https_ca_file;
	if (strcmp(name, "requiretls_mta_sts_ca_file") == 0)
		return &cfg->requiretls_mta_sts_ca_file;
	return NULL;
}

/* uint_slot - where a number-valued setting lives in *cfg */
static unsigned *uint_slot(struct pw_config *cfg, const char *name)
{
	if (strcmp(name, "milter_timeout") == 0)
		return &cfg->milter_timeout;
	if (strcmp(name, "dns_timeout") == 0)
		return &cfg->dns_timeout;
	if (strcmp(name, "dns_max_queries") == 0)
		return &cfg->dns_max_queries;
	if (strcmp(name, "dns_cache_size") == 0)
		return &cfg->dns_cache_size;
	if (strcmp(name, "dkim_max_signatures") == 0)
		return &cfg->dkim_max_signatures;
	if (strcmp(name, "list_workers") == 0)
		return &cfg->list_workers;
	if (strcmp(name, "list_queue_size") == 0)
		return &cfg->list_queue_size;
	if (strcmp(name, "list_max_post_size") == 0)
		return &cfg->list_max_post_size;
	if (strcmp(name, "list_key_max_age") == 0)
		return &cfg->list_key_max_age;
	if (strcmp(name, "list_build_threads") == 0)
		return &cfg->list_build_threads;
	if (strcmp(name, "list_max_queue_time") == 0)
		return &cfg->list_max_queue_time;
	if (strcmp(name, "list_key_refresh_interval") == 0)
		return &cfg->list_key_refresh_interval;
	if (strcmp(name, "list_key_refresh_delay") == 0)
		return &cfg->list_key_refresh_delay;
	if (strcmp(name, "list_https_timeout") == 0)
		return &cfg->list_https_timeout;
	if (strcmp(name, "list_key_expiry_warning") == 0)
		return &cfg->list_key_expiry_warning;
	if (strcmp(name, "requiretls_mta_sts_timeout") == 0)
		return &cfg->requiretls_mta_sts_timeout;
	if (strcmp(name, "requiretls_mta_sts_cache_size") == 0)
		return &cfg->requiretls_mta_sts_cache_size;
	return NULL;
}

/* list_slot - where a list-valued setting lives in *cfg (*N gets its count's address) */
static char ***list_slot(struct pw_config *cfg, const char *name, size_t **n)
{
	if (strcmp(name, "policy_files") == 0) {
		*n = &cfg->n_policy_files;
		return &cfg->policy_files;
	}
	if (strcmp(name, "sender_practices") == 0) {
		*n = &cfg->n_sender_practices;
		return &cfg->sender_practices;
	}
	if (strcmp(name, "list_key_sources") == 0) {
		*n = &cfg->n_list_key_sources;
		return &cfg->list_key_sources;
	}
	if (strcmp(name, "list_https_connect_to") == 0) {
		*n = &cfg->n_list_https_connect_to;
		return &cfg->list_https_connect_to;
	}
	if (strcmp(name, "requiretls_exempt_domains") == 0) {
		*n = &cfg->n_requiretls_exempt_domains;
		return &cfg->requiretls_exempt_domains;
	}
	if (strcmp(name, "requiretls_mta_sts_connect_to") == 0) {
		*n = &cfg->n_requiretls_mta_sts_connect_to;
		return &cfg->requiretls_mta_sts_connect_to;
	}
	*n = &cfg->n_trusted_authserv_ids;
	return &cfg->trusted_authserv_ids;
}

/* free_list - release a policy_files style list */
static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* parse_list_sep - split VALUE into an owned array of words, each ending at a character of
 * SEPS and, when BLANKS, at white space too; white space around a word is trimmed and empty
 * words are dropped */
static bool parse_list_sep(const char *value, const char *seps, bool blanks, char ***out,
			   size_t *nout)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = value;

	for (;;) {
		while ((*p && strchr(seps, *p) != NULL) || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		const char *s = p;
		while (*p && strchr(seps, *p) == NULL && !(blanks && isspace((unsigned char)*p)))
			p++;
		const char *e = p;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		char **nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv == NULL)
			goto oom;
		v = nv;
		if ((v[n] = strndup(s, (size_t)(e - s))) == NULL)
			goto oom;
		n++;
	}
	*out = v;
	*nout = n;
	return true;
oom:
	free_list(v, n);
	return false;
}

/* parse_list - split on commas and blanks into an owned array */
static bool parse_list(const char *value, char ***out, size_t *nout)
{
	return parse_list_sep(value, ",", true, out, nout);
}

/* parse_bool - Postfix-style yes/no */
static int parse_bool(const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

/* free_signing_keys - release an array of dkim_signing_key entries */
static void free_signing_keys(struct pw_signing_key *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].domain);
		free(v[i].selector);
		free(v[i].path);
	}
	free(v);
}

/* add_signing_keys - the entries of one dkim_signing_key value, appended to those already
 * set; all or nothing: false (with diagnostics) leaves *cfg as it was */
static bool add_signing_keys(struct pw_config *cfg, const char *value, const char *file,
			     unsigned line, struct pw_diags *d)
{
	char **items;
	size_t nitems, n = cfg->n_dkim_signing_keys;
	struct pw_signing_key *v;
	bool ok = true;

	/* entries are separated by commas; within one, blanks separate the three words */
	if (!parse_list_sep(value, ",", false, &items, &nitems)) {
		pw_diags_add(d, file, line, "out of memory");
		return false;
	}
	if (nitems == 0) {
		free_list(items, nitems);
		return true;
	}
	v = calloc(n + nitems, sizeof(*v));
	if (v == NULL) {
		free_list(items, nitems);
		pw_diags_add(d, file, line, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n && ok; i++) {
		const struct pw_signing_key *k = &cfg->dkim_signing_keys[i];
		v[i].line = k->line;
		if ((v[i].domain = strdup(k->domain)) == NULL ||
		    (v[i].selector = strdup(k->selector)) == NULL ||
		    (v[i].path = strdup(k->path)) == NULL) {
			pw_diags_add(d, file, line, "out of memory");
			ok = false;
		}
	}
	for (size_t j = 0; j < nitems && ok; j++) {
		char **w;
		size_t nw;
		if (!parse_list_sep(items[j], "", true, &w, &nw)) {
			pw_diags_add(d, file, line, "out of memory");
			ok = false;
			break;
		}
		size_t dl = nw > 0 ? strlen(w[0]) : 0;
		if (dl > 1 && w[0][dl - 1] == '.')
			w[0][--dl] = '\0';
		for (size_t k = 0; k < dl; k++)
			w[0][k] = (char)tolower((unsigned char)w[0][k]);
		if (nw != 3) {
			pw_diags_add(d, file, line, "dkim_signing_key \"%s\": expected DOMAIN "
				     "SELECTOR KEYFILE", items[j]);
			ok = false;
		} else if (!pw_domain_valid(w[0], false) || w[0][dl - 1] == '.') {
			pw_diags_add(d, file, line, "dkim_signing_key: \"%s\" is not a domain name",
				     w[0]);
			ok = false;
		} else if (!pw_domain_valid(w[1], false) || w[1][strlen(w[1]) - 1] == '.') {
			pw_diags_add(d, file, line, "dkim_signing_key: selector \"%s\" is not a DNS "
				     "name (letters, digits, '-', '_', dots)", w[1]);
			ok = false;
		} else {
			size_t same = 0;
			unsigned first = 0;
			for (size_t i = 0; i < n && ok; i++) {
				if (strcmp(v[i].domain, w[0]) != 0)
					continue;
				if (strcasecmp(v[i].selector, w[1]) == 0) {
					pw_diags_add(d, file, line, "dkim_signing_key: %s %s is "
						     "already set at line %u", w[0], w[1], v[i].line);
					ok = false;
				}
				if (same++ == 0)
					first = v[i].line;
			}
			if (ok && same >= PW_SIGNING_KEYS_PER_DOMAIN) {
				pw_diags_add(d, file, line, "dkim_signing_key: %s has %d keys already "
					     "(first at line %u); one Ed25519 and one RSA key is the "
					     "most a domain signs with", w[0],
					     PW_SIGNING_KEYS_PER_DOMAIN, first);
				ok = false;
			}
			if (ok) {
				v[n].domain = w[0];
				v[n].selector = w[1];
				v[n].path = w[2];
				v[n].line = line;
				w[0] = w[1] = w[2] = NULL;
				n++;
			}
		}
		free_list(w, nw);
	}
	free_list(items, nitems);
	if (!ok) {
		free_signing_keys(v, n);
		return false;
	}
	free_signing_keys(cfg->dkim_signing_keys, cfg->n_dkim_signing_keys);
	cfg->dkim_signing_keys = v;
	cfg->n_dkim_signing_keys = n;
	return true;
}

/* choice_list - "a, b or c" for error messages */
static void choice_list(const char *const *c, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; c[i]; i++) {
		const char *sep = i == 0 ? "" : c[i + 1] ? ", " : " or ";
		int n = snprintf(buf + used, len - used, "%s%s", sep, c[i]);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* pw_config_set - apply one setting */
bool pw_config_set(struct pw_config *cfg, const char *name, const char *value,
		   const char *file, unsigned line, struct pw_diags *d)
{
	const struct pw_option *o = find_option(name);
	char choices[160];

	if (o == NULL) {
		pw_diags_add(d, file, line, "unknown setting \"%s\"", name);
		return false;
	}
	switch (o->type) {
	case PW_OPT_STRING: {
		char *s = strdup(value), **slot = string_slot(cfg, name);
		if (s == NULL) {
			pw_diags_add(d, file, line, "out of memory");
			return false;
		}
		if (strcmp(name, "list_vks_url") == 0 && strncasecmp(s, "https://", 8) != 0) {
			pw_diags_add(d, file, line, "list_vks_url \"%s\": expected an https:// URL",
				     value);
			free(s);
			return false;
		}
		if (strcmp(name, "milter_socket") == 0 &&
		    strncmp(s, "unix:", 5) != 0 && strncmp(s, "local:", 6) != 0 &&
		    strncmp(s, "inet:", 5) != 0 && strncmp(s, "inet6:", 6) != 0) {
			pw_diags_add(d, file, line, "milter_socket \"%s\": expected unix:/path, "
				     "inet:PORT@HOST or inet6:PORT@HOST", value);
			free(s);
			return false;
		}
		free(*slot);
		*slot = s;
		return true;
	}
	case PW_OPT_BOOL: {
		int b = parse_bool(value);
		if (b < 0) {
			pw_diags_add(d, file, line, "%s = \"%s\": expected yes or no", name, value);
			return false;
		}
		if (strcmp(name, "requiretls_ret_hdrs") == 0)
			cfg->requiretls_ret_hdrs = b;
		return true;
	}
	case PW_OPT_UINT: {
		char *end;
		unsigned long u;
		errno = 0;
		u = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end != '\0' || errno != 0 ||
		    u < o->min || u > o->max) {
			pw_diags_add(d, file, line, "%s = \"%s\": expected a whole number from %u to %u",
				     name, value, o->min, o->max);
			return false;
		}
		*uint_slot(cfg, name) = (unsigned)u;
		return true;
	}
	case PW_OPT_ENUM: {
		int idx = -1;
		for (int i = 0; o->choices[i]; i++)
			if (strcasecmp(o->choices[i], value) == 0)
				idx = i;
		if (idx < 0) {
			choice_list(o->choices, choices, sizeof(choices));
			pw_diags_add(d, file, line, "%s = \"%s\": expected %s", name, value, choices);
			return false;
		}
		if (strcmp(name, "log_level") == 0)
			cfg->log_level = (enum pw_log_level)idx;
		else if (strcmp(name, "tls_required_unknown") == 0)
			cfg->tls_required_unknown = (enum pw_unknown_action)idx;
		else if (strcmp(name, "internal_error_action") == 0)
			cfg->internal_error_action = (enum pw_error_action)idx;
		else if (strcmp(name, "dmarc_org_domain") == 0)
			cfg->dmarc_org_domain = (enum pw_org_domain)idx;
		else if (strcmp(name, "requiretls_recipient_check") == 0)
			cfg->requiretls_recipient_check = (enum pw_rcpt_check)idx;
		else if (strcmp(name, "syslog_facility") == 0) {
			char *s = strdup(o->choices[idx]);
			if (s == NULL) {
				pw_diags_add(d, file, line, "out of memory");
				return false;
			}
			free(cfg->syslog_facility);
			cfg->syslog_facility = s;
		}
		return true;
	}
	case PW_OPT_LIST: {
		char **v, ***slot;
		size_t n, *nslot;
		if (!parse_list(value, &v, &n)) {
			pw_diags_add(d, file, line, "out of memory");
			return false;
		}
		if (strcmp(name, "sender_practices") == 0)
			for (size_t i = 0; i < n; i++)
				if (strcasecmp(v[i], "dmarc") != 0 && strcasecmp(v[i], "adsp") != 0 &&
				    strcasecmp(v[i], "dkim-adsp") != 0) {
					pw_diags_add(d, file, line, "sender_practices: unknown "
						     "practice \"%s\" (expected dmarc or adsp)", v[i]);
					free_list(v, n);
					return false;
				}
		if (strcmp(name, "list_key_sources") == 0)
			for (size_t i = 0; i < n; i++) {
				bool dup = false;
				for (size_t j = 0; j < i; j++)
					dup = dup || strcasecmp(v[i], v[j]) == 0;
				if ((strcasecmp(v[i], "wkd") != 0 && strcasecmp(v[i], "vks") != 0) ||
				    dup) {
					pw_diags_add(d, file, line, "list_key_sources: %s key source "
						     "\"%s\" (expected wkd and/or vks)",
						     dup ? "repeated" : "unknown", v[i]);
					free_list(v, n);
					return false;
				}
			}
		if (strcmp(name, "requiretls_exempt_domains") == 0)
			for (size_t i = 0; i < n; i++) {
				size_t k = strlen(v[i]);
				if (!pw_domain_valid(v[i], true)) {
					pw_diags_add(d, file, line, "requiretls_exempt_domains: \"%s\" "
						     "is not a domain (example.com, or .example.com "
						     "for its subdomains)", v[i]);
					free_list(v, n);
					return false;
				}
				for (size_t j = 0; j < k; j++)
					v[i][j] = (char)tolower((unsigned char)v[i][j]);
			}
		slot = list_slot(cfg, name, &nslot);
		free_list(*slot, *nslot);
		*slot = v;
		*nslot = n;
		return true;
	}
	case PW_OPT_SIGNKEYS:
		return add_signing_keys(cfg, value, file, line, d);
	}
	return false;
}

/* pw_config_get - current value as text */
bool pw_config_get(const struct pw_config *cfg, const char *name, char *buf, size_t len)
{
	const struct pw_option *o = find_option(name);
	if (o == NULL || len == 0)
		return false;
	buf[0] = '\0';
	switch (o->type) {
	case PW_OPT_STRING:
	case PW_OPT_ENUM:
		if (strcmp(name, "log_level") == 0)
			snprintf(buf, len, "%s", log_levels[cfg->log_level]);
		else if (strcmp(name, "tls_required_unknown") == 0)
			snprintf(buf, len, "%s", unknown_actions[cfg->tls_required_unknown]);
		else if (strcmp(name, "internal_error_action") == 0)
			snprintf(buf, len, "%s", error_actions[cfg->internal_error_action]);
		else if (strcmp(name, "dmarc_org_domain") == 0)
			snprintf(buf, len, "%s", org_domain_methods[cfg->dmarc_org_domain]);
		else if (strcmp(name, "requiretls_recipient_check") == 0)
			snprintf(buf, len, "%s", rcpt_checks[cfg->requiretls_recipient_check]);
		else
			snprintf(buf, len, "%s", *string_slot((struct pw_config *)cfg, name));
		return true;
	case PW_OPT_BOOL:
		snprintf(buf, len, "%s", cfg->requiretls_ret_hdrs ? "yes" : "no");
		return true;
	case PW_OPT_UINT:
		snprintf(buf, len, "%u", *uint_slot((struct pw_config *)cfg, name));
		return true;
	case PW_OPT_SIGNKEYS: {
		size_t used = 0;
		for (size_t i = 0; i < cfg->n_dkim_signing_keys; i++) {
			const struct pw_signing_key *k = &cfg->dkim_signing_keys[i];
			int n = snprintf(buf + used, len - used, "%s%s %s %s", i ? ", " : "",
					 k->domain, k->selector, k->path);
			if (n < 0 || (size_t)n >= len - used) {
				buf[used] = '\0';	/* whole entries only */
				break;
			}
			used += (size_t)n;
		}
		return true;
	}
	case PW_OPT_LIST: {
		size_t used = 0, *nslot;
		char **v = *list_slot((struct pw_config *)cfg, name, &nslot);
		for (size_t i = 0; i < *nslot; i++) {
			int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", v[i]);
			if (n < 0 || (size_t)n >= len - used)
				break;
			used += (size_t)n;
		}
		return true;
	}
	}
	return false;
}

/* pw_config_defaults - the built-in defaults */
bool pw_config_defaults(struct pw_config *cfg)
{
	struct pw_diags d = { 0 };
	bool ok = true;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (!pw_config_set(cfg, options[i].name, options[i].def, "(defaults)", 0, &d))
			ok = false;
	pw_diags_free(&d);
	return ok;
}

/* pw_config_free - release */
void pw_config_free(struct pw_config *cfg)
{
	free(cfg->milter_socket);
	free(cfg->user);
	free(cfg->pid_file);
	free(cfg->syslog_facility);
	free(cfg->dns_nameservers);
	free(cfg->dns_trust_anchor_file);
	free(cfg->authserv_id);
	free(cfg->public_suffix_list);
	free(cfg->list_directory);
	free(cfg->gnupg_home);
	free(cfg->list_spool_directory);
	free(cfg->list_reinject);
	free(cfg->list_vks_url);
	free(cfg->list_https_ca_file);
	free_list(cfg->list_key_sources, cfg->n_list_key_sources);
	free_list(cfg->list_https_connect_to, cfg->n_list_https_connect_to);
	free(cfg->requiretls_mta_sts_ca_file);
	free_list(cfg->requiretls_exempt_domains, cfg->n_requiretls_exempt_domains);
	free_list(cfg->requiretls_mta_sts_connect_to, cfg->n_requiretls_mta_sts_connect_to);
	free_list(cfg->policy_files, cfg->n_policy_files);
	free_list(cfg->sender_practices, cfg->n_sender_practices);
	free_list(cfg->trusted_authserv_ids, cfg->n_trusted_authserv_ids);
	free_signing_keys(cfg->dkim_signing_keys, cfg->n_dkim_signing_keys);
	memset(cfg, 0, sizeof(*cfg));
}

/* trim - strip leading and trailing blanks in place */
static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* apply_logical - one logical line "name = value" starting at physical line LINE */
static void apply_logical(struct pw_config *cfg, const char *file, unsigned line, char *text,
			  unsigned *seen_line, struct pw_diags *d)
{
	char *eq = strchr(text, '=');
	if (eq == NULL) {
		pw_diags_add(d, file, line, "missing \"=\" in \"%.60s\"", trim(text));
		return;
	}
	*eq = '\0';
	char *name = trim(text), *value = trim(eq + 1);
	if (*name == '\0') {
		pw_diags_add(d, file, line, "missing setting name before \"=\"");
		return;
	}
	for (char *p = name; *p; p++)
		if (isspace((unsigned char)*p)) {
			pw_diags_add(d, file, line, "setting name \"%s\" contains blanks", name);
			return;
		}
	size_t idx;
	const struct pw_option *o = find_option(name);
	if (o == NULL) {
		pw_diags_add(d, file, line, "unknown setting \"%s\"", name);
		return;
	}
	idx = (size_t)(o - options);
	if (seen_line[idx] && o->type != PW_OPT_SIGNKEYS) {
		pw_diags_add(d, file, line, "\"%s\" is already set at line %u", name, seen_line[idx]);
		return;
	}
	seen_line[idx] = line;
	pw_config_set(cfg, name, value, file, line, d);
}

/* pw_config_parse - parse a whole file's text */
size_t pw_config_parse(struct pw_config *cfg, const char *file, const char *text, size_t len,
		       struct pw_diags *d)
{
	size_t before = d->n;
	unsigned seen_line[N_OPTIONS] = { 0 };
	char *logical = NULL;	/* current logical line being assembled */
	size_t llen = 0;
	unsigned lstart = 0, lineno = 0;
	bool dropped = false;	/* the current setting had a bad line: skip its continuations */
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		/* like the policy and list files: no control character but a tab, so that no
		 * setting carries one into a header field (authserv_id), a log line or -n */
		size_t bad = 0;
		while (bad < n && !(((unsigned char)p[bad] < 0x20 && p[bad] != '\t') ||
				    p[bad] == 0x7f))
			bad++;
		size_t i = 0;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (bad < n) {
			pw_diags_add(d, file, lineno, "control character 0x%02x in column %zu",
				     (unsigned char)p[bad], bad + 1);
			if (i < n && p[i] == '#') {		/* a comment: nothing lost */
				p = nl ? nl + 1 : end;
				continue;
			}
			/* the setting this line starts or continues is dropped whole */
			if (i == 0 && logical != NULL)
				apply_logical(cfg, file, lstart, logical, seen_line, d);
			free(logical);
			logical = NULL;
			dropped = true;
			p = nl ? nl + 1 : end;
			continue;
		}
		/* blank or comment line */
		if (i == n || p[i] == '#') {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (i > 0 && dropped) {
			/* continues a setting dropped above: already reported */
			p = nl ? nl + 1 : end;
			continue;
		}
		dropped = false;
		if (i > 0 && logical != NULL) {
			/* continuation of the previous logical line */
			char *nlg = realloc(logical, llen + 1 + n + 1);
			if (nlg == NULL) {
				pw_diags_add(d, file, lineno, "out of memory");
				break;
			}
			logical = nlg;
			logical[llen++] = ' ';
			memcpy(logical + llen, p + i, n - i);
			llen += n - i;
			logical[llen] = '\0';
		} else {
			if (logical != NULL) {
				apply_logical(cfg, file, lstart, logical, seen_line, d);
				free(logical);
				logical = NULL;
			}
			if (i > 0)
				pw_diags_add(d, file, lineno,
					     "continuation line with no setting before it");
			else if ((logical = strndup(p, n)) == NULL) {
				pw_diags_add(d, file, lineno, "out of memory");
				break;
			} else {
				llen = n;
				lstart = lineno;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (logical != NULL) {
		apply_logical(cfg, file, lstart, logical, seen_line, d);
		free(logical);
	}
	return d->n - before;
}
