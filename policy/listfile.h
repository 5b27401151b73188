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
 *   bounce ADDRESS             once: envelope sender of the copies (default: the owner)
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
 *   subscriber ADDRESS [openpgp=FINGERPRINT] [smime=PATH]
 *                              one subscriber, with at least one key; openpgp= needs the
 *                              list's openpgp_key, smime= its smime_cert; each address once
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
 * one by one up to ten; any more are counted in one line-0 message.
 *
 * Lookups: pw_lists_find, pw_list_find_sub and pw_list_may_post take an address as given
 * in an envelope ("a@b", "<a@b>", source route and surrounding blanks ignored, trailing dot
 * on the domain ignored), compare it ASCII case-insensitively, and answer in expected
 * constant time through hash indexes built while parsing (lists by address; each list's
 * subscribers and posters by address), whatever the number of lists or subscribers.
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

#include "diag.h"

#define PW_LIST_MAX_SUBSCRIBERS 100000	/* subscribers per list; more is an error */
#define PW_LIST_MAX_POSTERS 100000	/* "poster" addresses per list; more is an error */
#define PW_LIST_FPR_LEN 40		/* hex digits of an OpenPGP v4 fingerprint */
#define PW_LIST_ID_MAX 255		/* octets of a List-Id value (RFC 2919); the list
					 * address, '@' made '.', becomes one */
#define PW_LIST_PHRASE_MAX 200		/* octets of a list_id phrase */

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
	unsigned line;			/* where in the list's file */
};

struct pw_list {
	char *address;			/* owned: the list's address (normalised as above) */
	char *owner;			/* owned */
	char *bounce;			/* owned: a copy of owner if the file has no bounce */
	char openpgp_fpr[PW_LIST_FPR_LEN + 1];	/* upper case; "" = no OpenPGP key */
	char *smime_cert, *smime_key;	/* owned absolute paths; both NULL or both set */
	enum pw_list_posters posters;
	char **posters_list;		/* owned: the "poster" addresses, file order */
	size_t n_posters;
	bool require_signature, inherit_requiretls;
	enum pw_list_attest attest;	/* "attest"; default PW_LIST_ATTEST_AUTO */
	char *list_id_phrase;		/* owned; NULL = none */
	struct pw_list_sub *subs;	/* owned: file order */
	size_t n_subs;
	char *file;			/* owned: the file it came from */
	unsigned line;			/* of its "list" statement */
	struct pw_list_index sub_index, poster_index;	/* private */
};

struct pw_lists {
	struct pw_list *v;		/* owned array, in the order the files were parsed */
	size_t n, cap;
	struct pw_list_index index;	/* private: v by address */
};

/* pw_list_posters_name - the list-file word for a posters mode ("subscribers", ...) */
const char *pw_list_posters_name(enum pw_list_posters p);
/* pw_list_parse - parse one list file's TEXT (LEN bytes, need not be NUL-terminated) and add
 * its list to *LS if the file has no error; returns the number of errors added to *D */
size_t pw_list_parse(struct pw_lists *ls, const char *file, const char *text, size_t len,
		     struct pw_diags *d);
/* pw_lists_find - the list whose address is ADDRESS, or NULL */
const struct pw_list *pw_lists_find(const struct pw_lists *ls, const char *address);
/* pw_list_find_sub - L's subscriber with ADDRESS, or NULL */
const struct pw_list_sub *pw_list_find_sub(const struct pw_list *l, const char *address);
/* pw_list_may_post - may ADDRESS (an envelope sender or From address) post to L under its
 * posters mode; the null sender ("", "<>") and NULL never may */
bool pw_list_may_post(const struct pw_list *l, const char *address);
/* pw_lists_free - release everything *LS owns; *LS is empty and reusable afterwards */
void pw_lists_free(struct pw_lists *ls);

#endif
