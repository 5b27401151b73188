/*
 * milter/lists/fromrewrite.h - whether the copies of a list post get a DMARC-aware From: the
 * decision of a list's from_rewrite setting (auto, always, never) for the author's domain.
 *
 * NAME
 *	fromrewrite - the From rewrite decision for one post
 *
 * SYNOPSIS
 *	#include "lists/fromrewrite.h"
 *
 *	bool fromrewrite_mode_parse(const char *word, enum fromrewrite_mode *mode);
 *	const char *fromrewrite_mode_name(enum fromrewrite_mode mode);
 *	void fromrewrite_decide(enum fromrewrite_mode mode, const char *author_domain,
 *				struct dns_resolver *dns, const struct pw_psl *psl,
 *				struct fromrewrite_result *out);
 *
 * DESCRIPTION
 *	always: rewrite, no lookup.  never: keep the author's From, no lookup.
 *	auto: look up the author domain's DMARC policy as postward's own DMARC check does -
 *	policy/senderpolicy.c's discovery (RFC 9989 4.10: _dmarc.DOMAIN TXT, else the DNS Tree
 *	Walk up to the Organizational Domain or the Public Suffix Domain, with sp for an
 *	existing subdomain and np for a non-existent one; or, when PSL is not NULL - the
 *	"dmarc_org_domain psl" setting - RFC 7489's _dmarc.ORGDOMAIN by that list; several
 *	records at a name count as none there) through milter/dkim/spdns.c on the
 *	DNSSEC-validating resolver DNS and its cache - and rewrite when the policy in force is
 *	quarantine or reject (Mailman 3's dmarc_moderation_action "munge_from" criterion).  The
 *	policy is taken before t=y makes it milder: RFC 9989 names From rewriting as the special
 *	handling a testing domain expects.  p=none, no record, or a record without p and rua:
 *	keep.  A DNS temporary failure or a bogus answer: rewrite - the copy is then
 *	deliverable whatever the policy turns out to be - and the reason says so.  An
 *	AUTHOR_DOMAIN that is NULL or empty (the post's From has no usable address): rewrite,
 *	so that the copy carries a valid From.
 *	OUT->reason is one line for the log, e.g. "dmarc p=reject at example.org (secure)",
 *	"no DMARC record (insecure)", "DNS failure for _dmarc.example.org: TEMPFAIL ...;
 *	rewriting, the safe choice".
 *
 *	Threads: no state of its own; callable from any worker thread at once (the resolver's
 *	contract, dns.h).  At most 9 DNS questions per call (one tree walk, or 2 with PSL; and
 *	one address question when np and sp differ), each within the resolver's own query
 *	budget and timeouts; a warm cache answers without any.
 *
 * DIAGNOSTICS
 *	fromrewrite_decide never fails: lack of memory for the lookups is a temporary failure
 *	(rewrite, said in the reason).  fromrewrite_mode_parse returns false for an unknown word.
 */
#ifndef POSTWARD_MILTER_FROMREWRITE_H
#define POSTWARD_MILTER_FROMREWRITE_H

#include <stdbool.h>

#include "practice.h"

enum fromrewrite_mode { FROMREWRITE_AUTO, FROMREWRITE_ALWAYS, FROMREWRITE_NEVER };

struct dns_resolver;

struct fromrewrite_result {
	bool rewrite;			/* copies get From: "Poster via LIST" <LIST> */
	bool looked_up;			/* a DMARC lookup was made (auto with a domain) */
	bool temperror;			/* the lookup failed temporarily (or was bogus) */
	bool secure;			/* every answer it rests on was DNSSEC-secure */
	enum pw_dmarc_policy policy;	/* the policy in force, UNSPEC without a record */
	char record_domain[PW_DOMAIN_MAX + 1];	/* where the record was found, or "" */
	char reason[320];		/* for the log (a domain of up to 253 octets and words) */
};

/* fromrewrite_mode_parse - "auto", "always" or "never" into *MODE; false for anything else */
bool fromrewrite_mode_parse(const char *word, enum fromrewrite_mode *mode);
/* fromrewrite_mode_name - "auto", "always" or "never" */
const char *fromrewrite_mode_name(enum fromrewrite_mode mode);
/* fromrewrite_decide - whether copies of a post from AUTHOR_DOMAIN get the rewritten From */
void fromrewrite_decide(enum fromrewrite_mode mode, const char *author_domain,
			struct dns_resolver *dns, const struct pw_psl *psl,
			struct fromrewrite_result *out);

#endif
