/*
 * policy/listcmd.h - signed commands to an encrypted list's -request address: read the
 * commands of a decrypted, verified message, decide who may run which, and write the reply.
 *
 * NAME
 *	listcmd - the keyword commands of LIST-request (Schleuder's syntax)
 *
 * SYNOPSIS
 *	#include "listcmd.h"
 *
 *	void listcmd_parse(text, len, atts, natts, &req);
 *	void listcmd_check_list(&req, list, request_addr);
 *	void listcmd_perms_default(&perms);
 *	void listcmd_perms_for(&perms, list);
 *	bool listcmd_permitted(kw, requester_is_admin, acts_on_self, &perms);
 *	bool listcmd_acts_on_self(&cmd, requester);
 *	bool listcmd_check(&cmd, requester, requester_is_admin, &perms, why, whylen);
 *	char *listcmd_reply(&req, list, results, &len);
 *
 * DESCRIPTION
 *	The text is the decoded text/plain of the command message (the first text/plain part
 *	of its decrypted MIME entity, see listpost_text() in milter/lists/listpost.h), and the
 *	attachments are the bodies of its other parts (transfer encoding undone).  Syntax, as
 *	Schleuder reads it: the commands stand at the start of the text, one a line,
 *	"X-KEYWORD: ARGUMENTS" or "X-KEYWORD ARGUMENTS" (the keyword in any case, at the start
 *	of the line); arguments are separated by blanks, ',' or ';'.  Blank lines before and
 *	between commands are skipped; a non-blank line right after a command line that does
 *	not begin with "X-" carries more arguments of that command; the first other line ends
 *	the commands (the rest of the text is not read).  X-ADD-KEY takes its keys from the
 *	ASCII-armored "-----BEGIN PGP PUBLIC KEY BLOCK-----" blocks that follow it (blank lines
 *	before each block allowed; commands may follow the block), or, when no block follows,
 *	from the message's attachments (the first such X-ADD-KEY takes them all).
 *
 *	The keywords (enum listcmd_kw; the arguments as stored in struct listcmd):
 *	  X-LIST-NAME ADDRESS        required once; the list's address or its -request address
 *	  X-SUBSCRIBE ADDRESS [FINGERPRINT [ADMIN [DELIVERY]]]   ADMIN, DELIVERY: true|false
 *	  X-UNSUBSCRIBE [ADDRESS]    none: the requester
 *	  X-LIST-SUBSCRIPTIONS [TEXT...]  all subscriptions, or those whose address holds a TEXT
 *	  X-SET-FINGERPRINT [ADDRESS] FINGERPRINT   no address: the requester's subscription
 *	  X-UNSET-FINGERPRINT ADDRESS [force]       an admin removing their own needs "force"
 *	  X-SET-DELIVERY [ADDRESS] true|false       (postward's own: Schleuder does this only
 *	                                            through X-SUBSCRIBE)
 *	  X-ADD-KEY                  keys: the armored blocks after it, or the attachments
 *	  X-DELETE-KEY FINGERPRINT...
 *	  X-GET-KEY FINGERPRINT|ADDRESS...
 *	  X-LIST-KEYS [TEXT...]      all keys of the list's keyring, or those matching a TEXT
 *	  X-FETCH-KEY ADDRESS|FINGERPRINT|https-URL...   from the list's configured key sources
 *	  X-GET-VERSION
 *	A FINGERPRINT is an OpenPGP v4 fingerprint, 40 hex digits, with or without "0x", in one
 *	word or in groups ("1234 5678 ..."); several in a row are told apart by their length.
 *	An ADDRESS is local@domain as in list files (listfile.h); its domain is lower-cased.
 *
 *	Whole-message verdicts (req.status): no commands at all; more than LISTCMD_MAX; an
 *	unknown keyword anywhere (as Schleuder: a typo must not leave half the commands run);
 *	X-LIST-NAME missing, given twice or (listcmd_check_list) naming another list.  Then
 *	nothing is run.  Otherwise each command carries its own verdict: BAD (its arguments are
 *	wrong, WHY says how; it is not run) or good; the executor runs the good ones that
 *	listcmd_check() permits, in order, and fills one struct listcmd_result per command.
 *
 *	Permissions (Schleuder's defaults): X-SUBSCRIBE, X-UNSUBSCRIBE and X-DELETE-KEY are for
 *	the list's admins only (struct listcmd_perms.admin_only, a bit per keyword, which a
 *	list-file statement may set); beyond that a command that acts on another subscriber's
 *	subscription (X-UNSUBSCRIBE, X-SET-FINGERPRINT, X-UNSET-FINGERPRINT, X-SET-DELIVERY
 *	with an address that is not the requester's, X-SUBSCRIBE of another address) is for
 *	admins only whatever the bits say.  X-LIST-NAME and X-GET-VERSION are always allowed.
 *	Admins get a notice of the keywords in notify_admins (default X-ADD-KEY).  A list file's
 *	keywords_admin_only and keywords_admin_notify statements replace the two defaults
 *	(listcmd_perms_for); X-UNSUBSCRIBE left out of keywords_admin_only lets subscribers
 *	unsubscribe themselves, never others.
 *
 *	listcmd_reply() writes the plain-text reply: a first paragraph (what happened as a
 *	whole), then one section per command: "> " and the command as received, then the
 *	outcome and the executor's text.  Line ends are LF.
 *
 *	Pure functions: no I/O, no global state (thread-safe).  listcmd_parse() keeps no
 *	allocation (an address check borrows one for a moment; lacking memory makes that
 *	command BAD): struct listcmd_req is large (about 90 KiB: allocate it on the heap) and
 *	its key spans point into TEXT and the attachments, which must outlive it.  Every
 *	string in it and in the reply has its control octets (but the reply's LF and TAB)
 *	replaced by '?'.
 *
 * LIMITS
 *	LISTCMD_MAX commands, LISTCMD_MAX_ARGS arguments of LISTCMD_MAX_ARG octets each per
 *	command, LISTCMD_MAX_LINE octets per line read, LISTCMD_MAX_KEYS keys per X-ADD-KEY of
 *	LISTCMD_MAX_KEY octets each, LISTCMD_MAX_TEXT octets of text looked at.
 */
#ifndef POSTWARD_POLICY_LISTCMD_H
#define POSTWARD_POLICY_LISTCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTCMD_MAX		32		/* commands per message */
#define LISTCMD_MAX_ARGS	8		/* arguments kept per command */
#define LISTCMD_MAX_ARG		254		/* octets of one argument */
#define LISTCMD_MAX_LINE	1000		/* octets of a line (RFC 5322: 998) */
#define LISTCMD_MAX_KEYS	8		/* keys per X-ADD-KEY */
#define LISTCMD_MAX_KEY		(256u << 10)	/* octets of one key block or attachment */
#define LISTCMD_MAX_TEXT	(1u << 20)	/* octets of text read */
#define LISTCMD_ADDR_MAX	254
#define LISTCMD_FPR_LEN		40		/* hex digits of a v4 fingerprint */
#define LISTCMD_ECHO_MAX	200		/* octets of a command as echoed in the reply */

enum listcmd_kw {
	LISTCMD_UNKNOWN,
	LISTCMD_LIST_NAME,
	LISTCMD_SUBSCRIBE,
	LISTCMD_UNSUBSCRIBE,
	LISTCMD_LIST_SUBSCRIPTIONS,
	LISTCMD_SET_FINGERPRINT,
	LISTCMD_UNSET_FINGERPRINT,
	LISTCMD_SET_DELIVERY,
	LISTCMD_ADD_KEY,
	LISTCMD_DELETE_KEY,
	LISTCMD_GET_KEY,
	LISTCMD_LIST_KEYS,
	LISTCMD_FETCH_KEY,
	LISTCMD_GET_VERSION,
	LISTCMD_NKW
};

#define LISTCMD_BIT(kw) (UINT32_C(1) << (kw))

struct listcmd_span {
	const char *p;
	size_t n;
};

/* one attachment of the command message: its body, transfer encoding undone */
struct listcmd_att {
	const char *p;
	size_t n;
};

struct listcmd {
	enum listcmd_kw kw;
	size_t line;			/* line of the keyword in the text, from 1 */
	char echo[LISTCMD_ECHO_MAX + 1];	/* as received: keyword and argument lines
					 * joined by a space, control octets as '?', cut with
					 * "..." */
	bool bad;			/* wrong arguments: not to be run */
	char why[160];			/* BAD: what is wrong */
	/* the arguments, checked, by keyword */
	char addr[LISTCMD_ADDR_MAX + 1];	/* SUBSCRIBE, UNSUBSCRIBE, SET-/UNSET-FINGERPRINT,
					 * SET-DELIVERY, LIST-NAME; "" = the requester */
	char fpr[LISTCMD_FPR_LEN + 1];	/* SUBSCRIBE (may be ""), SET-FINGERPRINT; upper case */
	int admin;			/* SUBSCRIBE: -1 not given, 0 false, 1 true */
	int delivery;			/* SUBSCRIBE, SET-DELIVERY: -1 not given, 0, 1 */
	bool force;			/* UNSET-FINGERPRINT */
	size_t nargs;			/* DELETE-KEY: fingerprints (upper case); GET-KEY:
					 * fingerprints and addresses; FETCH-KEY: those and
					 * https URLs; LIST-KEYS, LIST-SUBSCRIPTIONS: texts */
	char args[LISTCMD_MAX_ARGS][LISTCMD_MAX_ARG + 1];
	size_t nkeys;			/* ADD-KEY: armored blocks (BEGIN to END line) or
					 * attachment bodies */
	struct listcmd_span keys[LISTCMD_MAX_KEYS];
	bool keys_attached;		/* ADD-KEY: the keys are the attachments */
};

enum listcmd_status {
	LISTCMD_REQ_OK,			/* run the commands not BAD */
	LISTCMD_REQ_EMPTY,		/* no command in the text */
	LISTCMD_REQ_TOO_MANY,		/* more than LISTCMD_MAX commands */
	LISTCMD_REQ_UNKNOWN,		/* an unknown keyword (its command says which) */
	LISTCMD_REQ_NO_LIST_NAME,	/* no X-LIST-NAME, or a bad one, or two */
	LISTCMD_REQ_WRONG_LIST		/* X-LIST-NAME names another list */
};

struct listcmd_req {
	enum listcmd_status status;
	char why[200];			/* status other than OK: the reason, for the log */
	char list_name[LISTCMD_ADDR_MAX + 1];	/* the X-LIST-NAME argument */
	size_t n;
	struct listcmd cmds[LISTCMD_MAX];
	size_t natts;			/* attachments of the message */
	size_t atts_used;		/* how many of them an X-ADD-KEY took */
	size_t text_lines;		/* lines after the commands, not read */
};

struct listcmd_perms {
	uint32_t admin_only;		/* LISTCMD_BIT(kw): only admins may use kw */
	uint32_t notify_admins;		/* LISTCMD_BIT(kw): admins get a notice of kw */
};

enum listcmd_outcome {
	LISTCMD_NOT_RUN,		/* not run (a whole-message verdict, or not reached) */
	LISTCMD_DONE,			/* done */
	LISTCMD_FAILED,			/* tried and failed (not subscribed, import failed) */
	LISTCMD_REFUSED			/* not permitted */
};

/* what the executor did with one command: TEXT (may be NULL) is its own words, one or more
 * lines (a subscription list, a key summary, why it failed); the executor owns it */
struct listcmd_result {
	enum listcmd_outcome outcome;
	const char *text;
};

/* listcmd_parse - the commands of TEXT (LEN octets, not NUL-terminated) and the message's
 * attachments ATTS (NATTS) into *REQ (see the top comment) */
void listcmd_parse(const char *text, size_t len, const struct listcmd_att *atts, size_t natts,
		   struct listcmd_req *req);
/* listcmd_check_list - X-LIST-NAME must be LIST or REQUEST_ADDR (ASCII case ignored): else
 * the status becomes LISTCMD_REQ_WRONG_LIST */
void listcmd_check_list(struct listcmd_req *req, const char *list, const char *request_addr);
/* listcmd_keyword - the keyword named by NAME (N octets): "X-SUBSCRIBE" or "subscribe", any
 * case; LISTCMD_UNKNOWN if none (a list-file statement uses it for its words) */
enum listcmd_kw listcmd_keyword(const char *name, size_t n);
/* listcmd_keyword_name - "X-SUBSCRIBE" for LISTCMD_SUBSCRIBE, "X-?" for UNKNOWN */
const char *listcmd_keyword_name(enum listcmd_kw kw);
/* listcmd_perms_default - Schleuder's defaults: admin_only SUBSCRIBE, UNSUBSCRIBE,
 * DELETE-KEY; notify_admins ADD-KEY */
void listcmd_perms_default(struct listcmd_perms *p);
struct pw_list;
/* listcmd_perms_for - the permissions of the list L: the defaults, each replaced by the list
 * file's keywords_admin_only / keywords_admin_notify statement when it has one */
void listcmd_perms_for(struct listcmd_perms *p, const struct pw_list *l);
/* listcmd_permitted - may a requester (an admin or not) use KW on their own subscription
 * (ACTS_ON_SELF) or on another's, under P */
bool listcmd_permitted(enum listcmd_kw kw, bool requester_is_admin, bool acts_on_self,
		       const struct listcmd_perms *p);
/* listcmd_acts_on_self - does C concern REQUESTER's own subscription (its address empty or
 * REQUESTER's, ASCII case ignored); true for the keywords that concern no subscription */
bool listcmd_acts_on_self(const struct listcmd *c, const char *requester);
/* listcmd_check - may REQUESTER run C: not BAD, listcmd_permitted(), only an admin sets
 * X-SUBSCRIBE's admin flag (were subscribing oneself allowed), and X-UNSET-FINGERPRINT's
 * "force" for an admin's own key; false + WHY (a sentence for the reply) if not */
bool listcmd_check(const struct listcmd *c, const char *requester, bool requester_is_admin,
		   const struct listcmd_perms *p, char *why, size_t whylen);
/* listcmd_notify - should admins get a notice of KW under P */
bool listcmd_notify(enum listcmd_kw kw, const struct listcmd_perms *p);
/* listcmd_reply - the reply body to REQ for the list LIST, RESULTS one per command (NULL when
 * nothing ran); malloc'd, NUL-terminated, *LEN its length; NULL for lack of memory */
char *listcmd_reply(const struct listcmd_req *req, const char *list,
		    const struct listcmd_result *results, size_t *len);

#endif
