/*
 * policy/senderpolicy.h - sender practices for one message: the ADSP (RFC 5617) and DMARC
 * (RFC 9989) results from the facts the milter gathered, the Authentication-Results text for
 * them, and the local action the administrator's "practice" rules choose.
 *
 * Evaluation (pw_sp_evaluate) is pure: every DNS question goes through the caller's lookup
 * function, which answers RECORDS / NODATA / NXDOMAIN / ERROR plus "DNSSEC secure or not".
 * An ERROR (timeout, SERVFAIL, bogus data, query budget spent) is temperror, never "no record".
 *
 *   From: exactly one From field holding exactly one mailbox with a usable domain, else both
 *     methods are permerror (RFC 7489 6.6.1).
 *   First-party signature: a passing DKIM signature whose d= equals the author domain.  With
 *     one, ADSP is not looked up (RFC 5016 5.3.9): dkim-adsp=pass, marked "no lookup".
 *     DMARC still fetches its record, because dmarc=pass means a policy was published (RFC
 *     7489 11.2): pass with a record (an exact d= is aligned under any adkim=), none without.
 *   ADSP (RFC 5617 4.3, 5.4): the author domain must exist (one address query; NXDOMAIN ->
 *     nxdomain); then _adsp._domainkey.DOMAIN TXT: no record, NODATA, several records or an
 *     invalid one -> none; unknown -> unknown; all -> fail; discardable -> discard.
 *     At most 2 lookups.
 *   DMARC (RFC 9989): policy discovery (4.10.1) asks _dmarc.AUTHOR TXT; with no usable
 *     DMARC record there, the DNS Tree Walk (4.10) from the author domain: at most
 *     PW_DMARC_WALK_MAX (8) names - the name itself, then (more than 8 labels) the 7-label
 *     name, then one label less each time - stopping at a record with psd=y or psd=n.  At
 *     a name, TXT strings not starting with v=DMARC1 are ignored, several DMARC records
 *     are all discarded (none there, the walk goes on), a record that is no valid tag-list
 *     is no record.  The Organizational Domain (4.10.2) of a walk: the psd=n name; the name
 *     one label below a psd=y record other than the start; else the record with the fewest
 *     labels; with no record the name itself.  The record applied is the author's own (its
 *     p), else the Organizational Domain's, else the psd=y one's (sp if the author domain
 *     exists, np if it does not; np absent -> sp, sp absent -> p).  Whether the author
 *     domain exists is asked (an address question: NXDOMAIN = does not exist) only when
 *     the record's np differs from its sp.  A record without a valid p (or with a bad sp
 *     or np) acts as p=none when its rua holds a valid URI, else DMARC does not apply
 *     (none).  No record anywhere -> none.  pass if a passing signature's d= is aligned
 *     (adkim), or the SPF domain a trusted host reported as passing is (aspf); else fail.
 *     Strict: equal names.  Relaxed: equal Organizational Domains, each from its own walk
 *     (an identifier not at or below the author's Organizational Domain cannot be aligned
 *     and costs no question).  t=y: a failing message gets the next milder disposition
 *     (reject -> quarantine -> none).  pct is ignored (dmarc_pct_ignored says it was
 *     seen).  Every _dmarc name is asked once per evaluation (at most PW_SP_WALK_NAMES
 *     names; more is a DNS error), and through the caller's cache: a warm cache answers a
 *     whole walk.  Any DNS error the policy rests on -> temperror.
 *     Compatibility (in->psl not NULL, "dmarc_org_domain psl"): RFC 7489's discovery -
 *     the author domain, then its organisational domain by the Public Suffix List - and
 *     alignment by that list; the record rules above are the same.
 *   Temporary errors never become a failure: with no aligned pass, a dkim=temperror
 *     signature whose d= is aligned under adkim (it might have passed), or an SPF temperror
 *     a trusted host reported for a domain aligned under aspf, makes DMARC temperror, not
 *     fail.  Likewise ADSP: a dkim=temperror signature with d= equal to the author domain
 *     turns unknown, fail and discard (the results a pass would have replaced) into
 *     temperror; none and nxdomain stay (a pass changes nothing a rule acts on there).
 *   DNSSEC: a method is "secure" when every answer it rests on was secure, "insecure" when
 *     one was not, "no lookup" when none was made.
 *
 * Rules ("practice" statements, parsed here from the policy-file words):
 *   practice TERM[,TERM...] [dnssec=secure|insecure|any] ACTION [ARGS]
 *   TERM    dmarc=RESULT[/DISPOSITION] | dkim-adsp=RESULT   (RESULT may be "*")
 *   ACTION  accept | add_header | quarantine [REASON...] | reject [CODE X.Y.Z TEXT...]
 *           | tempfail [CODE X.Y.Z TEXT...]   (reply text at most 256 bytes, '%' dropped)
 * A rule matches when one of its terms matches its method's result (and the disposition, for
 * dmarc) and that method's DNSSEC status satisfies dnssec= (insecure = anything not secure).
 * The built-in reply texts name the author domain, without any '%' it holds.
 * The administrator's rules are tried in order, then the built-in defaults
 * (pw_sp_default_rules); the first match decides; no match is accept.
 *
 * Threads: rules are read-only once parsed; everything else is per call.
 */
#ifndef POSTWARD_POLICY_SENDERPOLICY_H
#define POSTWARD_POLICY_SENDERPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "mailhdr.h"
#include "practice.h"

enum pw_sp_method { PW_SP_DMARC, PW_SP_ADSP };

enum pw_adsp_result { PW_ADSP_R_NONE, PW_ADSP_R_PASS, PW_ADSP_R_UNKNOWN, PW_ADSP_R_FAIL,
		      PW_ADSP_R_DISCARD, PW_ADSP_R_NXDOMAIN, PW_ADSP_R_TEMPERROR,
		      PW_ADSP_R_PERMERROR };
enum pw_dmarc_result { PW_DMARC_R_NONE, PW_DMARC_R_PASS, PW_DMARC_R_FAIL, PW_DMARC_R_TEMPERROR,
		       PW_DMARC_R_PERMERROR };
enum pw_sp_dnssec { PW_SP_NOLOOKUP, PW_SP_SECURE, PW_SP_INSECURE };

/* ---- evaluation ---------------------------------------------------------------------- */

enum pw_sp_dns { PW_SP_DNS_RECORDS, PW_SP_DNS_NODATA, PW_SP_DNS_NXDOMAIN, PW_SP_DNS_ERROR };

struct pw_sp_answer {
	enum pw_sp_dns kind;
	bool secure;			/* DNSSEC secure */
	const char *const *txt;		/* RECORDS of a TXT question: each record's strings joined */
	size_t n_txt;
	const char *why;		/* ERROR: for the logs */
};

/* pw_sp_lookup_fn - answer NAME: its TXT records (TXT true) or just whether it exists (an
 * address query); what *OUT points to must stay valid until pw_sp_evaluate returns */
typedef void (*pw_sp_lookup_fn)(void *arg, const char *name, bool txt, struct pw_sp_answer *out);

struct pw_sp_sig {
	const char *d;			/* the signature's d= */
	bool pass;			/* dkim=pass */
	bool temperror;			/* dkim=temperror (key lookup failed, ...): it might have
					 * passed, so it never counts as a failure */
};

struct pw_sp_input {
	unsigned n_from_fields;		/* From header fields seen */
	enum pw_from_status from_status; /* of the (first) From field */
	size_t n_from_mailboxes;
	const char *from_domain;	/* its domain, lower case */
	const char *from_why;		/* pw_from_parse's reason on error */
	const struct pw_sp_sig *sigs;
	size_t n_sigs;
	const char *spf_domain;		/* SPF pass for this domain from a trusted host, or NULL */
	const char *spf_temp_domain;	/* SPF temperror for this domain from a trusted host, or
					 * NULL */
	const struct pw_psl *psl;	/* NULL: the DNS Tree Walk (RFC 9989, the default);
					 * else RFC 7489's discovery by this list */
	bool adsp, dmarc;		/* which practices to check */
	pw_sp_lookup_fn lookup;
	void *lookup_arg;
};

struct pw_sp_result {
	bool adsp_checked, dmarc_checked;
	char from_domain[PW_DOMAIN_MAX + 1];	/* "" if unusable */
	enum pw_adsp_result adsp;
	enum pw_sp_dnssec adsp_sec;
	char adsp_why[128];		/* comment: "no record", "2 From fields", ... */
	enum pw_dmarc_result dmarc;
	enum pw_sp_dnssec dmarc_sec;
	char dmarc_why[128];
	enum pw_dmarc_policy dmarc_policy;	/* p, sp or np in force (UNSPEC without a
						 * record) */
	enum pw_dmarc_policy dmarc_disposition;	/* after t=y; NONE unless fail */
	bool dmarc_testing;			/* the record says t=y */
	bool dmarc_nxdomain;			/* the author domain does not exist (np) */
	bool dmarc_pct_ignored;			/* a record asked held a pct tag */
	char dmarc_record_domain[PW_DOMAIN_MAX + 1];	/* where the record was found */
	char dmarc_org_domain[PW_DOMAIN_MAX + 1];	/* the author's Organizational
							 * Domain, when policy discovery
							 * walked above the author domain
							 * or alignment needed it; else "" */
	bool dkim_aligned, spf_aligned;
	unsigned lookups;		/* DNS questions asked */
};

#define PW_DMARC_WALK_MAX 8	/* questions one tree walk asks at most (RFC 9989 4.10) */
#define PW_SP_WALK_NAMES 24	/* distinct _dmarc names one evaluation asks at most */

/* pw_dmarc_walk_targets - the names (suffixes of DOMAIN, no "_dmarc.") a tree walk from
 * DOMAIN asks, in order, into OUT (MAX entries); returns their number (at most 8) */
size_t pw_dmarc_walk_targets(const char *domain, const char **out, size_t max);
/* pw_sp_org_domain - the Organizational Domain of DOMAIN (lower case, no trailing dot) by
 * the tree walk on IN->lookup (or IN->psl) into OUT; false on a DNS error (RES->dmarc_why
 * says which); RES gets the questions' count and DNSSEC status */
bool pw_sp_org_domain(const struct pw_sp_input *in, const char *domain, char *out, size_t len,
		      struct pw_sp_result *res);
/* pw_sp_evaluate - the ADSP and DMARC results of one message */
void pw_sp_evaluate(const struct pw_sp_input *in, struct pw_sp_result *out);
/* pw_adsp_result_name / pw_dmarc_result_name - the Authentication-Results words */
const char *pw_adsp_result_name(enum pw_adsp_result r);
const char *pw_dmarc_result_name(enum pw_dmarc_result r);
/* pw_sp_dnssec_name - "secure", "insecure", "no lookup" */
const char *pw_sp_dnssec_name(enum pw_sp_dnssec s);
/* pw_sp_format_ar - append "; dkim-adsp=... ; dmarc=..." resinfos (RFC 8601, with comments)
 * for the checked methods to BUF (LEN bytes, already holding USED); returns the new length
 * (>= LEN means truncated).  header.from is a quoted-string when the domain is not a token */
size_t pw_sp_format_ar(const struct pw_sp_result *r, char *buf, size_t len, size_t used);

/* ---- local policy -------------------------------------------------------------------- */

enum pw_sp_action { PW_SP_ACCEPT, PW_SP_ADD_HEADER, PW_SP_QUARANTINE, PW_SP_REJECT,
		    PW_SP_TEMPFAIL };
enum pw_sp_secmatch { PW_SP_SEC_ANY, PW_SP_SEC_SECURE, PW_SP_SEC_INSECURE };

#define PW_SP_MAX_TERMS 16
#define PW_SP_ANY (-1)

struct pw_sp_term {
	enum pw_sp_method method;
	int result;			/* enum pw_adsp_result / pw_dmarc_result, or PW_SP_ANY */
	int disposition;		/* dmarc only: enum pw_dmarc_policy, or PW_SP_ANY */
};

struct pw_sp_rule {
	struct pw_sp_term terms[PW_SP_MAX_TERMS];
	size_t n_terms;
	enum pw_sp_secmatch sec;
	enum pw_sp_action action;
	char code[4], xcode[12];	/* "" = the action's default reply */
	char *text;			/* owned reply text, or NULL */
	const char *file;		/* borrowed; NULL for built-in defaults */
	unsigned line;
};

struct pw_sp_decision {
	enum pw_sp_action action;
	const struct pw_sp_rule *rule;	/* the rule that matched, or NULL (accept by default) */
	enum pw_sp_method method;	/* whose result matched */
	char code[4], xcode[12];
	char text[400];			/* reply text (reject, tempfail) or quarantine reason */
	char header[400];		/* add_header: the X-Postward-Practice value */
};

#define PW_SP_HEADER "X-Postward-Practice"

/* pw_sp_rule_parse - a "practice" statement's words (W[0] is "practice") into *R; false and a
 * message in WHY on error (R then owns nothing) */
bool pw_sp_rule_parse(char **w, size_t nw, struct pw_sp_rule *r, char *why, size_t len);
/* pw_sp_rule_free - release what *R owns */
void pw_sp_rule_free(struct pw_sp_rule *r);
/* pw_sp_default_rules - the built-in rules tried after the administrator's */
const struct pw_sp_rule *pw_sp_default_rules(size_t *n);
/* pw_sp_decide - the action for RES: RULES in order, then the defaults */
void pw_sp_decide(const struct pw_sp_rule *rules, size_t n, const struct pw_sp_result *res,
		  struct pw_sp_decision *out);
/* pw_sp_action_name - "accept", "add_header", ... */
const char *pw_sp_action_name(enum pw_sp_action a);

#endif
