/*
 * policy/listfile.h - encrypted mailing-list definition files, parsed into struct pw_lists.
 *
 * One file per list: the administrator adds, edits or drops a list by adding, editing or
 * removing a file in the list directory; "postward -n" checks the files and SIGHUP applies
 * them.  The caller reads each file and hands its text to pw_list_parse(); several files go
 * into one struct pw_lists.
 *
 * Lexical rules are those of the policy files (policyfile.h): one statement per line, words
 * separated by blanks, a '#' at the start of a word begins a comment (inside a word it is
 * part of it), lines of at most 8192 bytes, CRLF accepted, any control character other than
 * a tab is an error.  Statements ("once" = at most once per file):
 *
 *   list ADDRESS               required, once: the list's address
 *   owner ADDRESS              required, once: who gets problem reports
 *   bounce ADDRESS             once: envelope sender of the copies.  Without it the copies
 *                              go out from the list's bounces role address, tagged per
 *                              subscriber (VERP, pw_list_verp), or from the owner when the
 *                              bounces role is off; bounce_set tells the two apart and
 *                              pw_list_envelope_sender applies the rule
 *   role ROLE SUFFIX|off       once per ROLE (request, owner, sendkey or bounces): the
 *                              role address is the list's local part + SUFFIX @ its
 *                              domain (defaults -request, -owner, -sendkey, -bounces);
 *                              "off" turns the role off.  A SUFFIX is 1 to 32 of
 *                              A-Z a-z 0-9 . _ - (no '+': it starts a VERP tag)
 *   openpgp_key FINGERPRINT    once: the list's OpenPGP key, a v4 fingerprint of 40 hex
 *                              digits without spaces (either case; kept in upper case)
 *   smime_cert PATH            once: the list's S/MIME certificate (PEM); needs smime_key
 *   smime_key PATH             once: the list's private key (PEM); needs smime_cert
 *                              A list has openpgp_key, or smime_cert + smime_key, or both.
 *   posters subscribers|listed|anyone     once: who may post (default: subscribers)
 *   poster ADDRESS...          the allowed posters; with "posters listed" only, and then
 *                              at least one is required
 *   require_signature yes|no   once: posts must be signed by an allowed poster (default yes)
 *   inherit_requiretls yes|no  once: copies carry the REQUIRETLS tag (default yes)
 *   attest auto|always|never  once: OpenPGP posts whose signature names intended recipients
 *                              (auto, the default), every OpenPGP post (always) or none
 *                              (never) go to subscribers as the list's attestation copy
 *                              (milter/lists/attest.h) instead of the re-wrapped post
 *   list_id TEXT...            once: List-Id phrase (RFC 2919), words joined by one space,
 *                              valid UTF-8; the id itself the caller derives from the list
 *                              address; quoting or encoding it for the header is the
 *                              caller's job
 *   dkim_key SELECTOR PATH     the list's own DKIM signing keys (PEM, absolute PATH), at
 *                              most PW_LIST_MAX_DKIM_KEYS, each selector once; SELECTOR is
 *                              dot-separated labels of letters, digits and inner hyphens
 *   from_rewrite auto|always|never  once: From: of the copies becomes "Poster via LIST"
 *                              <LIST> when the poster's domain publishes DMARC p=quarantine
 *                              or p=reject (auto, the default), always, or never
 *   subject_prefix TEXT...     once: words joined by one space, valid UTF-8, at most
 *                              PW_LIST_SUBJECT_PREFIX_MAX octets (default: none)
 *   plain_posts no|subscribers|anyone  once: unencrypted posts refused (no, the default),
 *                              accepted from subscribers, or from anyone, and encrypted to
 *                              the subscribers
 *   bounce_threshold N         once: bounce score at which a subscriber is disabled,
 *                              1..1000 (default 5)
 *   roster none|publish        once: publish the signed subscriber roster (needs
 *                              openpgp_key; default none)
 *   roster_addresses show|hide once: the roster names each key's address (default show)
 *   roster_file PATH           once: where the roster is written too (absolute; default none)
 *   roster_incomplete refuse|rewrap  once: a post encrypted to the roster keys that misses
 *                              some is re-wrapped through the list key (rewrap, the
 *                              default) or refused
 *                              roster_* without "roster publish" is a warning
 *   key_refresh off|wkd|vks|wkd,vks|vks,wkd  once: the sources of the scheduled subscriber
 *                              key refreshes, in the order asked (needs openpgp_key); "off"
 *                              turns refreshing off for this list.  Without the statement
 *                              the list uses the daemon's list_key_sources (key_refresh_set
 *                              tells the two apart)
 *   keywords_admin_only KEYWORD...|none  once: the signed commands only the list's admins
 *                              may use (Schleuder's setting of that name); KEYWORD as
 *                              listcmd_keyword() reads it ("subscribe" or "X-SUBSCRIBE",
 *                              any case); X-LIST-NAME and X-GET-VERSION are always
 *                              allowed and cannot be named; "none" alone: no keyword is
 *                              admin-only.  Default (unset): Schleuder's, subscribe,
 *                              unsubscribe and delete-key.  Leaving unsubscribe out lets
 *                              subscribers unsubscribe themselves (never others)
 *   keywords_admin_notify KEYWORD...|none  once: the commands the list's admins get a
 *                              notice of when one runs (Schleuder's setting of that name);
 *                              X-LIST-NAME cannot be named; default (unset): add-key
 *   command_window SECONDS     once: how old a signed command may be, 60..604800
 *                              (default 3600)
 *   subscriber ADDRESS [openpgp=FINGERPRINT] [smime=PATH] [admin]
 *                              one subscriber, with at least one key; openpgp= needs the
 *                              list's openpgp_key, smime= its smime_cert; admin makes the
 *                              subscriber a list admin (signed admin commands); each
 *                              address once
 *
 * The managed subscriber file.  Beside NAME.list, postward keeps the subscribers that
 * signed commands manage in NAME.subscribers (pw_list_managed_path); the list file stays
 * the administrator's.  It has the same lexical rules and holds only subscriber statements
 * (its first line, "# managed by postward ...", is a comment).  pw_list_parse_with_subs()
 * parses both as one list: the subscribers of both (the managed ones marked managed), the
 * managed file's errors are the list's errors and name that file; an address in both is a
 * warning and the list file's entry is used.  pw_list_format_managed() writes the text back.
 *
 * ADDRESS is local@domain: exactly one '@' outside double quotes, a non-empty local part of
 * at most 64 bytes (valid UTF-8; "()[]\,;:" only inside quotes), a domain pw_domain_valid()
 * accepts (no address literals), at most 254 bytes in all, no angle brackets.  It is kept
 * with the domain lower-cased and a trailing dot dropped; the local part is kept as written
 * but compared ASCII case-insensitively, like the domain.  A PATH is absolute.  A list may
 * not be its own subscriber, owner or bounce address.  At most PW_LIST_MAX_SUBSCRIBERS
 * subscribers and PW_LIST_MAX_POSTERS posters per list.
 *
 * Diagnostics: every problem is appended to the caller's pw_diags as "FILE:LINE: message"
 * (line 0 for the file as a whole: a missing list or owner statement, no list key) and
 * parsing goes on, so one run shows them all.  A file with any error adds no list; what the
 * daemon then does (keep the running configuration) is the caller's decision and message.
 * A list address already defined by an earlier file is an error naming that file and line.
 * A repeated once-only statement or subscriber or poster address names the earlier line.
 * Subscribers with openpgp= (smime=) in a list without openpgp_key (smime_cert) are named
 * one by one up to ten; any more are counted in one line-0 message.  Warnings (pw_diags_warn:
 * a subscriber in both files, roster_* without "roster publish") do not keep a list out.
 *
 * Lookups: pw_lists_find, pw_list_find_sub and pw_list_may_post take an address as given
 * in an envelope ("a@b", "<a@b>", source route and surrounding blanks ignored, trailing dot
 * on the domain ignored), compare it ASCII case-insensitively, and answer in expected
 * constant time through hash indexes built while parsing (lists and their role addresses
 * by address; each list's subscribers and posters by address), whatever the number of lists
 * or subscribers.  A role address that is another list's address or role address is an
 * error naming both.  pw_lists_find answers for list addresses only; pw_lists_find_role
 * for role addresses too, and decodes VERP tags (LOCAL-bounces+alice=example.net@DOMAIN):
 * the tag is cut at the last '=', its two parts must be non-empty and make an address;
 * a malformed tag still finds the list (role bounces) but decodes to no subscriber.
 *
 * Ownership: a pw_lists owns every list in it, and each list owns all its strings and
 * arrays (struct members marked "owned").  Pointers returned by the lookups point into the
 * pw_lists and stay valid until the next pw_list_parse() or pw_lists_free() on it.
 * Threads: parsing is single-threaded (one pw_lists and one pw_diags per parse).  Once built,
 * a pw_lists is read-only; the lookups only read, so any number of threads may share it
 * without a lock while the daemon's snapshot reference keeps it alive.
 */
#ifndef POSTWARD_POLICY_LISTFILE_H
#define POSTWARD_POLICY_LISTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PW_LIST_MAX_SUBSCRIBERS 100000	/* subscribers per list; more is an error */
#define PW_LIST_MAX_POSTERS 100000	/* "poster" addresses per list; more is an error */
#define PW_LIST_FPR_LEN 40		/* hex digits of an OpenPGP v4 fingerprint */
#define PW_LIST_ID_MAX 255		/* octets of a List-Id value (RFC 2919); the list
					 * address, '@' made '.', becomes one */
#define PW_LIST_PHRASE_MAX 200		/* octets of a list_id phrase */
#define PW_LIST_SUBJECT_PREFIX_MAX 64	/* octets of a subject_prefix */
#define PW_LIST_MAX_DKIM_KEYS 8		/* dkim_key statements per list */
#define PW_LIST_ROLE_SUFFIX_MAX 32	/* octets of a role suffix */
#define PW_LIST_VERP_LOCAL_MAX 64	/* octets of a VERP local part (RFC 5321 4.5.3.1.1) */

/* The addresses of a list, Schleuder's model: the list itself and its role addresses. */
enum pw_list_role {
	PW_ROLE_POST,			/* the list address: posts */
	PW_ROLE_REQUEST,		/* LIST-request: signed commands */
	PW_ROLE_OWNER,			/* LIST-owner: mail to the owners */
	PW_ROLE_SENDKEY,		/* LIST-sendkey: the list key and roster */
	PW_ROLE_BOUNCES,		/* LIST-bounces: envelope sender of copies, VERP */
};
#define PW_LIST_N_ROLES 5

enum pw_list_from_rewrite {
	PW_LIST_FROM_AUTO,		/* when the poster's domain has DMARC p=quarantine|reject */
	PW_LIST_FROM_ALWAYS,
	PW_LIST_FROM_NEVER,
};

enum pw_list_plain_posts {
	PW_LIST_PLAIN_NO,		/* unencrypted posts are refused (the default) */
	PW_LIST_PLAIN_SUBSCRIBERS,	/* accepted from subscribers */
	PW_LIST_PLAIN_ANYONE,		/* accepted from anyone */
};

enum pw_list_roster {
	PW_LIST_ROSTER_NONE,		/* no roster (the default) */
	PW_LIST_ROSTER_PUBLISH,		/* the signed roster is published */
};

enum pw_list_roster_incomplete {
	PW_LIST_ROSTER_REWRAP,		/* re-wrapped through the list key (the default) */
	PW_LIST_ROSTER_REFUSE,		/* refused, the reply counts the missing keys */
};

#define PW_LIST_KEY_REFRESH_WKD 1u	/* key_refresh bits */
#define PW_LIST_KEY_REFRESH_VKS 2u
#define PW_LIST_KEY_REFRESH_VKS_FIRST 4u	/* both, VKS asked first ("vks,wkd") */

enum pw_list_attest {
	PW_LIST_ATTEST_AUTO,		/* when the poster's signature names intended recipients
					 * (the default) */
	PW_LIST_ATTEST_ALWAYS,		/* every OpenPGP post */
	PW_LIST_ATTEST_NEVER,		/* never: the post is re-wrapped as it is */
};

enum pw_list_posters {
	PW_LIST_POSTERS_SUBSCRIBERS,	/* subscribers only (the default) */
	PW_LIST_POSTERS_LISTED,		/* the "poster" addresses only */
	PW_LIST_POSTERS_ANYONE,		/* anybody but the null sender */
};

/* An address index: open addressing, each slot holds an array index + 1 (0 = empty).
 * Private to listfile*.c; described here only so the structs can be embedded. */
struct pw_list_index {
	size_t *slot;			/* owned; NULL while empty */
	size_t size;			/* 0 or a power of two */
	size_t used;
};

struct pw_list_sub {
	char *addr;			/* owned: local part as written, lower-case domain */
	char fpr[PW_LIST_FPR_LEN + 1];	/* OpenPGP fingerprint, upper case; "" = none */
	char *smime_cert;		/* owned: absolute path of a PEM certificate, or NULL */
	unsigned line;			/* where in the list's file (managed: in NAME.subscribers) */
	bool admin;			/* "admin": a list admin */
	bool managed;			/* came from the managed file NAME.subscribers */
};

struct pw_list_dkim_key {
	char *selector;			/* owned, as written */
	char *path;			/* absolute path of the PEM private key; inside the
					 * selector's allocation (freed with it) */
	unsigned line;
};

struct pw_list {
	char *address;			/* owned: the list's address (normalised as above) */
	char *owner;			/* owned */
	char *bounce;			/* owned: a copy of owner if the file has no bounce */
	bool bounce_set;		/* the file has a bounce statement */
	char *role_addr[PW_LIST_N_ROLES];	/* owned role addresses; NULL = role off;
					 * [PW_ROLE_POST] is NULL (that one is `address`) */
	unsigned role_line[PW_LIST_N_ROLES];	/* each role statement's line; 0 = default */
	char openpgp_fpr[PW_LIST_FPR_LEN + 1];	/* upper case; "" = no OpenPGP key */
	char *smime_cert, *smime_key;	/* owned absolute paths; both NULL or both set */
	enum pw_list_posters posters;
	char **posters_list;		/* owned: the "poster" addresses, file order */
	size_t n_posters;
	bool require_signature, inherit_requiretls;
	enum pw_list_attest attest;	/* "attest"; default PW_LIST_ATTEST_AUTO */
	char *list_id_phrase;		/* owned; NULL = none */
	struct pw_list_dkim_key *dkim_keys;	/* owned, file order */
	size_t n_dkim_keys;
	enum pw_list_from_rewrite from_rewrite;	/* default PW_LIST_FROM_AUTO */
	char *subject_prefix;		/* owned; NULL = none */
	enum pw_list_plain_posts plain_posts;	/* default PW_LIST_PLAIN_NO */
	unsigned bounce_threshold;	/* default 5 */
	enum pw_list_roster roster;	/* default PW_LIST_ROSTER_NONE */
	bool roster_show_addresses;	/* roster_addresses; default true (show) */
	char *roster_file;		/* owned; NULL = none */
	enum pw_list_roster_incomplete roster_incomplete;	/* default PW_LIST_ROSTER_REWRAP */
	unsigned key_refresh;		/* PW_LIST_KEY_REFRESH_* bits; 0 = off */
	bool key_refresh_set;		/* the file has a key_refresh statement (else the
					 * daemon's list_key_sources apply) */
	uint32_t keywords_admin_only;	/* LISTCMD_BIT(kw) (policy/listcmd.h) when
					 * keywords_admin_only_set */
	uint32_t keywords_admin_notify;	/* likewise, when keywords_admin_notify_set */
	bool keywords_admin_only_set, keywords_admin_notify_set;
	unsigned command_window;	/* seconds; default 3600 */
	struct pw_list_sub *subs;	/* owned: list file order, then the managed file's */
	size_t n_subs;
	char *file;			/* owned: the file it came from */
	char *managed_file;		/* owned: its NAME.subscribers if one was given, or NULL */
	unsigned line;			/* of its "list" statement */
	struct pw_list_index sub_index, poster_index;	/* private */
};

struct pw_list_addr;			/* private (listfile-int.h) */

struct pw_lists {
	struct pw_list *v;		/* owned array, in the order the files were parsed */
	size_t n, cap;
	struct pw_list_addr *addrs;	/* private, owned: every list and role address */
	size_t n_addrs, cap_addrs;
	struct pw_list_index index;	/* private: addrs by address */
};

/* What pw_list_format_managed writes for one subscriber (borrowed strings). */
struct pw_list_managed_sub {
	const char *addr;		/* local@domain */
	const char *fpr;		/* 40 hex digits; NULL or "" = none */
	const char *smime_cert;		/* absolute path; NULL = none */
	bool admin;
};

/* pw_list_posters_name - the list-file word for a posters mode ("subscribers", ...) */
const char *pw_list_posters_name(enum pw_list_posters p);
/* pw_list_role_name - the list-file word for a role ("post", "request", "owner", "sendkey",
 * "bounces") */
const char *pw_list_role_name(enum pw_list_role r);
/* pw_list_parse - parse one list file's TEXT (LEN bytes, need not be NUL-terminated) and add
 * its list to *LS if the file has no error; returns the number of errors (not warnings)
 * added to *D */
size_t pw_list_parse(struct pw_lists *ls, const char *file, const char *text, size_t len,
		     struct pw_diags *d);
/* pw_list_parse_with_subs - pw_list_parse, and the managed subscriber file SUB_FILE's
 * SUB_TEXT (SUB_LEN bytes) as part of the same list; SUB_FILE NULL = none */
size_t pw_list_parse_with_subs(struct pw_lists *ls, const char *file, const char *text,
			       size_t len, const char *sub_file, const char *sub_text,
			       size_t sub_len, struct pw_diags *d);
/* pw_list_managed_path - the managed subscriber file beside LIST_PATH (".../NAME.list" ->
 * ".../NAME.subscribers", malloc'd); NULL if LIST_PATH does not end in ".list" or no memory */
char *pw_list_managed_path(const char *list_path);
/* pw_list_format_managed - the text of a managed subscriber file holding V[0..N-1], in that
 * order (malloc'd, *LEN its length); NULL with WHY when an entry would not parse back (bad
 * address, fingerprint or path, no key, an address twice) or out of memory */
char *pw_list_format_managed(const struct pw_list_managed_sub *v, size_t n, size_t *len,
			     char *why, size_t whylen);
/* pw_lists_find - the list whose address is ADDRESS, or NULL (role addresses: NULL) */
const struct pw_list *pw_lists_find(const struct pw_lists *ls, const char *address);
/* pw_lists_find_role - the list ADDRESS (envelope form as pw_lists_find takes) belongs to
 * and as what (*ROLE, when ROLE is not NULL); for PW_ROLE_BOUNCES with a VERP tag, *VERP
 * (malloc'd, caller frees; NULL when no tag, a malformed tag, or VERP NULL) gets the
 * subscriber address decoded; NULL if no list */
const struct pw_list *pw_lists_find_role(const struct pw_lists *ls, const char *address,
					 enum pw_list_role *role, char **verp);
/* pw_list_role_address - ROLE's address for L (malloc'd), NULL if that role is off or no
 * memory */
char *pw_list_role_address(const struct pw_list *l, enum pw_list_role role);
/* pw_list_verp - L's bounces address tagged for subscriber SUB:
 * board-bounces+alice=example.net@DOMAIN (malloc'd); NULL when the bounces role is off, SUB
 * is not a plain local@domain (dot-atom local part), or the local part would exceed
 * PW_LIST_VERP_LOCAL_MAX octets (then the caller uses the plain bounces address) */
char *pw_list_verp(const struct pw_list *l, const char *sub);
/* pw_list_envelope_sender - the envelope sender of L's copy for subscriber SUB (malloc'd;
 * NULL only out of memory): the bounce statement's address when given (bounce_set), else
 * SUB's VERP address, else the plain bounces address (tag too long, SUB not a dot-atom,
 * SUB NULL), else (bounces role off) the owner */
char *pw_list_envelope_sender(const struct pw_list *l, const char *sub);
/* pw_list_is_admin - is ADDRESS a subscriber of L marked admin */
bool pw_list_is_admin(const struct pw_list *l, const char *address);
/* pw_list_find_sub - L's subscriber with ADDRESS, or NULL */
const struct pw_list_sub *pw_list_find_sub(const struct pw_list *l, const char *address);
/* pw_list_may_post - may ADDRESS (an envelope sender or From address) post to L under its
 * posters mode; the null sender ("", "<>") and NULL never may */
bool pw_list_may_post(const struct pw_list *l, const char *address);
/* pw_lists_free - release everything *LS owns; *LS is empty and reusable afterwards */
void pw_lists_free(struct pw_lists *ls);

#endif
