/*
 * policy/policyfile.h - the policy files an administrator edits, parsed into struct pw_policy.
 *
 * Format: one statement per line; '#' starts a comment anywhere outside a word; blank lines
 * are ignored; words are separated by blanks.  The first word names the statement:
 *
 *   require_tls  sender_domain     PATTERN...   # envelope sender domain
 *   require_tls  recipient_domain  PATTERN...   # any envelope recipient's domain
 *   require_tls  auth_user         NAME...      # SMTP AUTH user ({auth_authen}), exact
 *   require_tls  client_network    NET...       # client IP in ADDR[/PREFIX], v4 or v6
 *
 * A domain PATTERN is "example.com" (that domain) or ".example.com" (its subdomains).
 * Mail matched by any require_tls rule is tagged "required" (see requiretls.h).
 *
 *   practice  TERM[,TERM...]  [dnssec=secure|insecure]  ACTION  [CODE X.Y.Z TEXT...]
 *
 * maps sender-practice results to a local action (grammar and defaults: senderpolicy.h);
 * the rules are kept in file order, files in the order given.  Later statement kinds (lists)
 * are added to the same dispatch table.
 *
 * Several files may be parsed into one pw_policy; every rule remembers the file and line it
 * came from, for the logs.  Errors are appended as "FILE:LINE: message" and parsing goes on.
 * A pw_policy owns everything in it; once built it is read-only and may be shared between
 * threads without a lock (the daemon's snapshot refcount keeps it alive).
 */
#ifndef POSTWARD_POLICY_POLICYFILE_H
#define POSTWARD_POLICY_POLICYFILE_H

#include <stddef.h>

#include "addr.h"
#include "diag.h"
#include "senderpolicy.h"

enum pw_selector {
	PW_SEL_SENDER_DOMAIN,
	PW_SEL_RECIPIENT_DOMAIN,
	PW_SEL_AUTH_USER,
	PW_SEL_CLIENT_NETWORK,
};

struct pw_rule {
	enum pw_selector sel;
	char *pattern;			/* owned: domain pattern (lower case), user, or network text */
	struct pw_network net;		/* PW_SEL_CLIENT_NETWORK only */
	const char *file;		/* borrowed from pw_policy.files */
	unsigned line;
};

struct pw_policy {
	struct pw_rule *tls_rules;	/* owned array */
	size_t n_tls_rules, cap_tls_rules;
	struct pw_sp_rule *sp_rules;	/* owned array, "practice" statements in order */
	size_t n_sp_rules, cap_sp_rules;
	char **files;			/* owned names of the files parsed into this policy */
	size_t n_files;
};

/* pw_selector_name - the policy-file word for a selector ("sender_domain", ...) */
const char *pw_selector_name(enum pw_selector sel);
/* pw_policy_parse - add FILE's statements to *p; returns the number of errors added to *d */
size_t pw_policy_parse(struct pw_policy *p, const char *file, const char *text, size_t len,
		       struct pw_diags *d);
/* pw_policy_free - release everything *p owns; *p is empty afterwards */
void pw_policy_free(struct pw_policy *p);

#endif
