/*
 * policy/practice.h - published sender practices: ADSP (RFC 5617) and DMARC (RFC 9989)
 * records, the Organizational Domain from a Public Suffix List (the compatibility setting
 * "dmarc_org_domain psl"; the default, the DNS Tree Walk, is in senderpolicy.c), and DMARC
 * identifier alignment by that list.
 *
 * Pure functions on strings; the caller does every DNS query and file read.  Only
 * pw_psl_parse() allocates (free with pw_psl_free()).
 *
 * Tag-lists (both ADSP and DMARC) follow RFC 6376/4871 3.2: tag-spec *(";" tag-spec) [";"],
 * a tag name is ALPHA *(ALPHA / DIGIT / "_"), a value is VALCHARs (%x21-3A / %x3C-7E) with
 * whitespace allowed inside; whitespace (SP, HTAB, CR, LF) around names, "=" and values is
 * ignored; empty tag-specs (";;", whitespace only) are tolerated.  Anything else is a syntax
 * error.  A known tag given twice makes the list invalid (RFC 6376 3.2); repeated unknown
 * tags are ignored like every unknown tag.
 *
 * ADSP (RFC 5617 4.2.1): the tag name "dkim" is case-sensitive, its value is compared
 *   without regard to case (ABNF literals).  No dkim= tag, an empty dkim= value, or a
 *   syntax error -> PW_ADSP_INVALID ("not a valid ADSP record": act as if no record).
 *   Any other non-empty value -> PW_ADSP_UNKNOWN.
 * DMARC (RFC 9989 4.7, 4.10.1): the first tag must be "v" (ABNF literal: either case)
 *   with the value exactly "DMARC1"; other tag names and the keyword values (none,
 *   quarantine, reject, r, s, y, n, u, afrf, fo letters) are compared without regard to
 *   case.  A missing/invalid p or an invalid sp or np makes the record invalid (with
 *   no_policy set: it is still a DMARC record for the tree walk, but gets no DMARC
 *   processing) unless rua holds at least one syntactically valid URI, in which case the
 *   record is treated as "v=DMARC1; p=none" (p = sp = np = none, p_fallback set; the other
 *   tags still parsed).  Invalid adkim/aspf/psd/t/fo/ri values are ignored (the default
 *   applies: r, r, u, n).  sp absent -> sp = p; np absent -> np = sp.  pct is no longer a
 *   DMARC tag (RFC 9989 removed it for t): it is ignored, only pct_ignored says it was
 *   there.  rua/ruf/rf are returned as spans borrowed from the input.
 * PSL (publicsuffix.org/list): one rule per line, read up to the first whitespace; "//"
 *   comments; "*.x" wildcards (leftmost label only), "!y.x" exceptions; rules from both the
 *   ICANN and the PRIVATE section unless PW_PSL_ICANN_ONLY.  Rules are stored sorted and
 *   searched by binary search: one lookup per label of the queried name.
 * Organizational Domain (RFC 7489 3.2): the public suffix (exceptions prevail, else the
 *   longest matching rule, else the default rule "*") plus one label.  A name that is
 *   itself a public suffix has none (false).  Input is lower-cased (ASCII); one trailing
 *   dot is ignored; empty labels or names over 253 octets are refused.  No IDNA mapping:
 *   U-labels match the list's UTF-8 rules, A-labels ("xn--") only A-label rules.
 * Alignment (RFC 7489 3.1.1): strict = the names are equal (case-insensitively, trailing
 *   dot ignored); relaxed = the Organizational Domains are equal, or, when either has
 *   none, the names are equal.  A NULL list makes relaxed behave like strict.
 */
#ifndef POSTWARD_POLICY_PRACTICE_H
#define POSTWARD_POLICY_PRACTICE_H

#include <stdbool.h>
#include <stddef.h>

/* ---- ADSP ---------------------------------------------------------------------------- */

enum pw_adsp_practice { PW_ADSP_INVALID, PW_ADSP_UNKNOWN, PW_ADSP_ALL, PW_ADSP_DISCARDABLE };

/* pw_adsp_parse - the outbound signing practice of an ADSP TXT record (NULL -> invalid) */
enum pw_adsp_practice pw_adsp_parse(const char *txt);
/* pw_adsp_name - "invalid" / "unknown" / "all" / "discardable" */
const char *pw_adsp_name(enum pw_adsp_practice p);

/* ---- DMARC --------------------------------------------------------------------------- */

enum pw_dmarc_policy { PW_DMARC_P_UNSPEC, PW_DMARC_P_NONE, PW_DMARC_P_QUARANTINE,
		       PW_DMARC_P_REJECT };

enum pw_dmarc_psd { PW_DMARC_PSD_U, PW_DMARC_PSD_Y, PW_DMARC_PSD_N };

#define PW_DMARC_FO_0 0x01u		/* report if all mechanisms fail (default) */
#define PW_DMARC_FO_1 0x02u		/* report if any mechanism fails */
#define PW_DMARC_FO_D 0x04u		/* report DKIM failures */
#define PW_DMARC_FO_S 0x08u		/* report SPF failures */

struct pw_dmarc_record {
	bool valid;			/* usable for DMARC processing */
	char reason[96];		/* why not valid ("" when valid), e.g. "missing p tag" */
	enum pw_dmarc_policy p;		/* requested policy (none if p_fallback) */
	enum pw_dmarc_policy sp;	/* for existing subdomains; = p when absent */
	enum pw_dmarc_policy np;	/* for non-existent subdomains; = sp when absent */
	bool sp_explicit;		/* sp tag present (and valid) */
	bool np_explicit;		/* np tag present (and valid) */
	bool p_fallback;		/* bad/missing p or bad sp/np, valid rua: acting as p=none */
	bool no_policy;			/* not valid only for want of p (or for a bad sp/np)
					 * without a valid rua: a DMARC record that gets no
					 * DMARC processing */
	bool adkim_strict;		/* adkim=s (default r) */
	bool aspf_strict;		/* aspf=s (default r) */
	enum pw_dmarc_psd psd;		/* psd=y / psd=n / u (default) */
	bool testing;			/* t=y: apply the next milder disposition */
	bool pct_ignored;		/* a pct tag was there (RFC 7489), and ignored */
	unsigned fo;			/* PW_DMARC_FO_* bits, default PW_DMARC_FO_0 */
	unsigned long ri;		/* report interval, default 86400 */
	bool rf_afrf;			/* rf lists afrf (the default and only defined format) */
	bool rua_valid;			/* rua holds at least one syntactically valid URI */
	bool ruf_valid;			/* ditto for ruf */
	const char *rua, *ruf;		/* raw values borrowed from the input, or NULL */
	size_t rua_len, ruf_len;
};

/* pw_dmarc_is_record - TXT is a DMARC record: its first tag is v=DMARC1 */
bool pw_dmarc_is_record(const char *txt);
/* pw_dmarc_select - among N TXT strings count the DMARC records; *INDEX is set (when not
 * NULL) only if exactly one was found.  0 or more than 1: no DMARC processing (6.6.3) */
size_t pw_dmarc_select(const char *const *txt, size_t n, size_t *index);
/* pw_dmarc_parse - parse TXT into *R; returns R->valid */
bool pw_dmarc_parse(const char *txt, struct pw_dmarc_record *r);
/* pw_dmarc_policy_name - "none" / "quarantine" / "reject" / "unspecified" */
const char *pw_dmarc_policy_name(enum pw_dmarc_policy p);

/* ---- Public Suffix List, Organizational Domain, alignment ----------------------------- */

#define PW_PSL_ICANN_ONLY 0x01u		/* skip the "===BEGIN PRIVATE DOMAINS===" section */
#define PW_DOMAIN_MAX 253		/* longest name accepted (without trailing dot) */

struct pw_psl;

/* pw_psl_parse - build a list from TEXT (LEN bytes, need not be NUL-terminated); NULL and
 * a message in ERR (if not NULL) on allocation failure or when no rule was found */
struct pw_psl *pw_psl_parse(const char *text, size_t len, unsigned flags,
			    char *err, size_t errlen);
/* pw_psl_free - release a list (NULL is fine) */
void pw_psl_free(struct pw_psl *psl);
/* pw_psl_count - number of distinct rule names held */
size_t pw_psl_count(const struct pw_psl *psl);
/* pw_psl_public_suffix - the public suffix of DOMAIN into OUT; false if DOMAIN is not a
 * usable name or OUT is too small.  PSL may be NULL (default rule only) */
bool pw_psl_public_suffix(const struct pw_psl *psl, const char *domain,
			  char *out, size_t outlen);
/* pw_psl_org_domain - the Organizational Domain of DOMAIN into OUT (lower case); false if
 * DOMAIN is unusable, is itself a public suffix, or OUT is too small */
bool pw_psl_org_domain(const struct pw_psl *psl, const char *domain,
		       char *out, size_t outlen);
/* pw_dmarc_aligned - are FROM_DOMAIN and D_DOMAIN aligned (strict or relaxed) */
bool pw_dmarc_aligned(const struct pw_psl *psl, const char *from_domain,
		      const char *d_domain, bool strict);

#endif
