/*
 * policy/mailhdr.h - the two header fields sender practices read: the author (From, RFC 5322
 * section 3.6.2 with RFC 6854 groups) and Authentication-Results fields written by hosts we
 * trust (RFC 8601), for an SPF result.
 *
 * Pure functions on strings: no allocation, no I/O, all output in caller buffers.  Input is a
 * field body as the MTA hands it over (leading white space, folding CRLF/LF + WSP, UTF-8 per
 * RFC 6532 all allowed).  Work is linear in the input; comments nest at most PW_HDR_MAX_NEST.
 *
 * From (pw_from_parse): mailbox-list / address-list with groups (a group's mailboxes count,
 *   an empty group counts none), display names as phrases (atoms, quoted strings, encoded
 *   words taken as atoms), angle addresses with obsolete routes ("<@a,@b:x@y>"), CFWS
 *   anywhere, obs-local-part/obs-domain forms.  Returns the number of mailboxes and the
 *   domain of the first, lower case (ASCII only), one trailing dot removed.
 *   pw_from_mailbox also gives the first mailbox's address (local part as written without
 *   CFWS, quoted strings kept quoted; "@"; the domain as above) and its display name: the
 *   phrase before "<" with one space where CFWS separated words, quoted strings unquoted,
 *   comments dropped, encoded words (RFC 2047) left encoded; for a bare addr-spec, the text
 *   of the first comment after it ("alice@example.org (Alice)"), else "".
 *   A mailbox without "@domain", a domain literal ("[192.0.2.1]"), an empty label or a name
 *   longer than 253 octets make the field unusable for practices (PW_FROM_NODOMAIN).
 * Authentication-Results (pw_ar_parse): authserv-id [version] followed by "; none" or
 *   resinfo list; each resinfo is method[/version]=result [reason=...] *(ptype.property=value),
 *   values as tokens, quoted strings or [[local-part] "@"] domain-name; comments anywhere.
 *   Method and result are returned lower case; ptype/property names match in any case.
 *   Only the properties practices use are kept.
 */
#ifndef POSTWARD_POLICY_MAILHDR_H
#define POSTWARD_POLICY_MAILHDR_H

#include <stddef.h>

#define PW_HDR_MAX_NEST 16	/* deepest comment nesting accepted */

enum pw_from_status {
	PW_FROM_OK,		/* *n mailboxes (may be 0 for an empty group); domain of the first */
	PW_FROM_SYNTAX,		/* not a mailbox-list: why says where */
	PW_FROM_NODOMAIN,	/* syntactically fine, but a mailbox has no usable domain */
};

/* pw_from_parse - parse a From field body; *N = mailboxes found, DOMAIN = the first one's
 * domain ("" when none); WHY (may be NULL) gets a short reason on error */
enum pw_from_status pw_from_parse(const char *value, size_t *n, char *domain, size_t dlen,
				  char *why, size_t wlen);

#define PW_FROM_NAME_MAX 320	/* octets of a display name kept */
#define PW_FROM_ADDR_MAX 320	/* octets of local-part@domain kept */

struct pw_from_mailbox {	/* the first mailbox of a From field (pw_from_mailbox) */
	char name[PW_FROM_NAME_MAX + 1];	/* display name, "" when none or too long */
	char addr[PW_FROM_ADDR_MAX + 1];	/* local-part@domain, "" when it does not fit */
	char domain[254];			/* its domain, as pw_from_parse gives it */
};

/* pw_from_mailbox - pw_from_parse, and the first mailbox's display name, address and domain
 * into *MB (may be NULL); all "" unless PW_FROM_OK with at least one mailbox */
enum pw_from_status pw_from_mailbox(const char *value, size_t *n, struct pw_from_mailbox *mb,
				    char *why, size_t wlen);

struct pw_ar_resinfo {
	char method[32];	/* "spf", "dkim", "dmarc", ... lower case, version dropped */
	char result[32];	/* "pass", "fail", ... lower case */
	char mailfrom[256];	/* smtp.mailfrom value, "" if absent (may be "user@dom" or "dom") */
	char helo[256];		/* smtp.helo value, "" if absent */
	char header_from[256];	/* header.from value, "" if absent */
};

/* pw_ar_parse - the authserv-id of an Authentication-Results body into AUTHSERV (as given)
 * and its first MAX resinfo entries into RI; returns how many resinfos were found (may be
 * more than MAX; "none" gives 0), or -1 on a syntax error (nothing in RI is then to be
 * trusted) */
int pw_ar_parse(const char *value, char *authserv, size_t alen, struct pw_ar_resinfo *ri,
		size_t max);

/* pw_ar_domain - the domain of a property value ("user@dom", "<user@dom>" or bare "dom", as
 * smtp.mailfrom may be) into OUT, lower case, trailing dot removed; returns its length, or 0
 * (OUT "") when there is none or it does not fit.  (Named apart from addr.h's
 * pw_addr_domain, which takes envelope addresses only.) */
size_t pw_ar_domain(const char *value, char *out, size_t len);

#endif
