/*
 * policy/mtasts.h - MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file, and the
 * match of an MX host name against the policy's mx patterns.  Pure C, no I/O, no threads:
 * the bytes come from the resolver and the HTTPS fetch (milter/requiretls/), this module only
 * reads them.
 *
 * mtasts_parse_txt() reads one TXT record (its character-strings joined):
 *   sts-text-record = "v=STSv1" 1*(";" *WSP field) [";"], field = name "=" value,
 *   id = 1*32(ALPHA / DIGIT) (RFC 8461 section 3.1).  Unknown fields are ignored; a record
 *   without id, with a bad id or a second id is invalid.  MTASTS_TXT_OTHER: the record does
 *   not start with "v=STSv1" (RFC 8461: such records are discarded, not an error).
 * mtasts_parse_policy() reads the policy file (RFC 8461 section 3.2): lines "key: value"
 *   ending in LF or CRLF (the last one may lack it), blanks around the value trimmed;
 *   version "STSv1" (required, anywhere); mode enforce | testing | none (required); max_age 0..31557600 (at most 10 digits); mx patterns,
 *   each a host name or "*." and a host name, at most MTASTS_MAX_MX of them (more: invalid, so
 *   that the work is bounded); unknown keys ignored; a repeated version, mode or max_age is
 *   invalid.  A policy in mode enforce or testing needs at least one mx.  Bytes outside
 *   printable ASCII (other than the line ends) make the policy invalid: RFC 8461 names are
 *   A-labels.
 * mtasts_mx_match() compares an MX host name with one pattern: case-insensitive, a trailing
 *   dot ignored on either; "*.example.com" matches exactly one more label on the left
 *   ("mx.example.com", not "a.b.example.com" nor "example.com").
 */
#ifndef POSTWARD_POLICY_MTASTS_H
#define POSTWARD_POLICY_MTASTS_H

#include <stdbool.h>
#include <stddef.h>

#define MTASTS_MAX_MX 32		/* mx patterns in one policy */
#define MTASTS_MAX_ID 32		/* characters of an id */
#define MTASTS_MAX_AGE 31557600u	/* RFC 8461 section 3.2: at most one year */
#define MTASTS_MAX_NAME 253		/* a host name or pattern */

enum mtasts_txt_status { MTASTS_TXT_OK, MTASTS_TXT_OTHER, MTASTS_TXT_INVALID };
enum mtasts_mode { MTASTS_MODE_NONE, MTASTS_MODE_TESTING, MTASTS_MODE_ENFORCE };

struct mtasts_txt {
	char id[MTASTS_MAX_ID + 1];
};

struct mtasts_policy {
	enum mtasts_mode mode;
	unsigned long max_age;		/* seconds */
	size_t n_mx;
	char mx[MTASTS_MAX_MX][MTASTS_MAX_NAME + 1];	/* lower case, no trailing dot */
};

/* mtasts_parse_txt - read one TXT record TEXT (LEN octets); *OUT filled on MTASTS_TXT_OK;
 * WHY says what is wrong on MTASTS_TXT_INVALID */
enum mtasts_txt_status mtasts_parse_txt(const char *text, size_t len, struct mtasts_txt *out,
					char *why, size_t whylen);
/* mtasts_parse_policy - read a policy file (BUF, LEN octets, not NUL-terminated); true and
 * *OUT filled, or false with WHY */
bool mtasts_parse_policy(const char *buf, size_t len, struct mtasts_policy *out, char *why,
			 size_t whylen);
/* mtasts_mx_match - does HOST match PATTERN (RFC 8461 section 4.1) */
bool mtasts_mx_match(const char *pattern, const char *host);
/* mtasts_policy_match - the first of P's patterns HOST matches, or NULL */
const char *mtasts_policy_match(const struct mtasts_policy *p, const char *host);
/* mtasts_mode_name - "enforce", "testing", "none" */
const char *mtasts_mode_name(enum mtasts_mode m);

#endif
