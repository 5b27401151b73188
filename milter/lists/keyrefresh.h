/*
 * milter/lists/keyrefresh.h - key freshness for encrypted lists: refresh the subscribers'
 * keys from their configured sources (keyfetch.h: WKD, a VKS keyserver) on a schedule, and
 * warn a subscriber whose key is about to expire, once per key state.
 *
 * keyrefresh_pass() runs one pass over the subscribers of one list: for each, every source
 * of its list in order (a source that refuses or fails does not stop the next one: gpg merges
 * what each brings), then, in one gpg key listing for the pass, the expiry check: a key whose
 * primary key or best usable encryption subkey (the one that lives longest) expires within
 * warn_days days, and has not expired yet, gets its holder a warning through the caller's
 * send callback.  A key that is already unusable (expired, revoked, without an encryption
 * subkey) is not warned about here: the pool tells the subscriber when a post cannot be
 * encrypted for them (notices.h).
 *
 * Once per key state: the warnings go through the notice ledger (notices.h) under the name
 * "LIST key-expiry" (its own file beside the list's notice ledger, so the two never overwrite
 * each other), token "expiring:FPR:YYYY-MM-DD" (the UTC day the key expires).  A warning is
 * recorded after the send callback says the MTA took it; a key that is no longer about to
 * expire (extended, replaced) is forgotten, so a later expiry warns again.  The ledger lock is
 * taken only for the warning phase, after every fetch of the pass.
 *
 * The overall result of a subscriber: updated if a source brought something new, else refused
 * if a source was refused (an unrelated key, a bad certificate: worth the administrator's
 * eye), else unchanged, else temporary error, else not found.
 *
 * Scheduler: keyrefresh_start() starts one thread that calls RUN(ARG) (which runs the passes
 * of every list, taking the current configuration itself) FIRST seconds after the start (at
 * most INTERVAL) and then every INTERVAL seconds; keyrefresh_stop() wakes it at once (a condition variable), sets
 * the stop flag that keyrefresh_pass() checks between subscribers, and joins it.
 * Lock: sched_lock guards the scheduler's stop flag and thread handle; it is a leaf lock,
 * never held while RUN runs.  keyrefresh_start/_stop are called from one thread (the daemon's
 * main thread) after keyfetch_global_init.
 *
 * Command line: keyrefresh_cli() is `postward -K`: one pass now for every list, one line per
 * subscriber on OUT, warnings sent through list_reinject as the worker's notices are.
 */
#ifndef POSTWARD_MILTER_KEYREFRESH_H
#define POSTWARD_MILTER_KEYREFRESH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "keyfetch.h"

#define KEYREFRESH_MAX_SOURCES 2
#define KEYREFRESH_LEDGER_SUFFIX " key-expiry"	/* the ledger's name: LIST + this */

struct keyrefresh_sources {
	enum keyfetch_source v[KEYREFRESH_MAX_SOURCES];	/* in the order to ask them */
	size_t n;					/* 0: no refresh */
};

struct keyrefresh_item {
	const char *address;		/* the subscriber */
	const char *fpr;		/* the key's primary fingerprint from the list file */
	const struct keyrefresh_sources *sources;
};

struct keyrefresh_outcome {
	enum keyfetch_result result;	/* overall (see the top comment) */
	enum keyfetch_result per[KEYREFRESH_MAX_SOURCES];	/* per source of the item */
	char why[KEYREFRESH_MAX_SOURCES][400];			/* per source */
	time_t expires;			/* the key's usable expiry after the pass; 0: never or
					 * unknown */
	bool expiring;			/* within warn_days (a warning was due) */
	bool warned;			/* a warning was sent in this pass */
	bool told;			/* the ledger says it was sent in an earlier pass */
};

/* the list a pass is for */
struct keyrefresh_list {
	const char *address;
	const char *owner;		/* named in the warning as the one to ask for help */
	const char *bounce;		/* the warning's From: (the list's bounce address) */
};

struct keyrefresh_warning {
	const struct keyrefresh_list *list;
	const char *address;		/* the subscriber */
	const char *fpr;		/* the key */
	time_t expires;
	unsigned days_left;		/* whole days from now, rounded down */
};

/* keyrefresh_warn_fn - send W; true when the MTA took it (then it is recorded), false +
 * WHY otherwise (tried again next pass) */
typedef bool (*keyrefresh_warn_fn)(void *arg, const struct keyrefresh_warning *w, char *why,
				   size_t whylen);

struct keyrefresh_params {
	const struct keyfetch_config *fetch;
	unsigned warn_days;		/* 0: no expiry warnings */
	const char *ledger_dir;		/* the list spool directory (notices.h); NULL: warnings
					 * are not recorded (every pass warns) */
	keyrefresh_warn_fn warn;	/* NULL: no warnings sent (outcome.expiring still says) */
	void *warn_arg;
	const atomic_bool *stop;	/* NULL or a flag that ends the pass early */
};

/* keyrefresh_sources_parse - the words WORDS (N of them: "wkd", "vks", case-insensitive, no
 * repeats) into *OUT; false + WHY for anything else */
bool keyrefresh_sources_parse(const char *const *words, size_t n, struct keyrefresh_sources *out,
			      char *why, size_t whylen);
/* keyrefresh_pass - one pass over ITEMS (N) of list L; OUT has N entries.  Every fetch
 * outcome other than unchanged and not found is logged (pwlog: updated at info, refused at
 * warning, temporary errors at info).  Returns the number of items done (less than N only
 * when *stop was set) */
size_t keyrefresh_pass(const struct keyrefresh_params *p, const struct keyrefresh_list *l,
		       const struct keyrefresh_item *items, size_t n,
		       struct keyrefresh_outcome *out);
/* keyrefresh_warning_text - the warning's subject and body (CRLF line ends) for the worker's
 * notice sender (From: w->list->bounce, envelope sender <>, To: w->address) */
void keyrefresh_warning_text(const struct keyrefresh_warning *w, char *subject, size_t slen,
			     char *body, size_t blen);

struct pw_config;
struct pw_lists;
/* keyrefresh_each_fn - told each subscriber's outcome by keyrefresh_lists */
typedef void (*keyrefresh_each_fn)(void *arg, const struct keyrefresh_list *l,
				   const struct keyrefresh_item *it,
				   const struct keyrefresh_outcome *o);
/* keyrefresh_lists - one pass for every list of LS whose sources (its key_refresh statement,
 * else CFG's list_key_sources: keyrefresh_list_sources) are not empty, over its subscribers that have an
 * OpenPGP fingerprint; keyfetch settings, warn_days and the ledger from CFG; WARN/WARN_ARG,
 * STOP as in struct keyrefresh_params; EACH (may be NULL) gets every outcome.  Returns the
 * number of subscribers refused or failed (0: all updated, unchanged or not found); -1 with
 * WHY when CFG's sources do not parse */
long keyrefresh_lists(const struct pw_config *cfg, const struct pw_lists *ls,
		      keyrefresh_warn_fn warn, void *warn_arg, const atomic_bool *stop,
		      keyrefresh_each_fn each, void *each_arg, char *why, size_t whylen);
struct pw_list;
/* keyrefresh_list_sources - the sources of list L: its key_refresh statement's, in their
 * order, into *OWN when the file has one ("off": none), else DAEMON (list_key_sources) */
const struct keyrefresh_sources *keyrefresh_list_sources(const struct pw_list *l,
							 const struct keyrefresh_sources *daemon,
							 struct keyrefresh_sources *own);
/* keyrefresh_any - whether a pass over LS would ask any source: a list's own key_refresh
 * other than off, or N_DAEMON > 0 daemon sources for a list without the statement */
bool keyrefresh_any(const struct pw_lists *ls, size_t n_daemon);
/* keyrefresh_start - the scheduler thread (see the top comment); false + WHY when it could
 * not start or runs already */
bool keyrefresh_start(unsigned first, unsigned interval, void (*run)(void *arg), void *arg,
		      char *why, size_t whylen);
/* keyrefresh_stopping - the flag keyrefresh_stop sets, for keyrefresh_params.stop */
const atomic_bool *keyrefresh_stopping(void);
/* keyrefresh_stop - wake the scheduler, end a running pass at its next subscriber, join the
 * thread; nothing when it is not running */
void keyrefresh_stop(void);

/* keyrefresh_mail_pass - one pass over the lists LS (keyrefresh_lists) whose expiry warnings
 * go out through CFG's list_reinject on an SMTP client of the pass's own, from the null
 * sender (as keyrefresh_cli sends them); STOP (may be NULL) ends it early; the subscribers
 * whose refresh failed, or -1 + WHY */
long keyrefresh_mail_pass(const struct pw_config *cfg, const struct pw_lists *ls,
			  const atomic_bool *stop, char *why, size_t whylen);
/* keyrefresh_cli - `postward -K`: one pass for every list of LS with the sources of CFG
 * (list_key_sources), warnings sent through list_reinject and recorded in the ledger of
 * list_spool_directory; one line per subscriber on OUT:
 *   LIST SUBSCRIBER FPR RESULT [SOURCE=RESULT ...] [expires=YYYY-MM-DD] [warning=sent|told|unsent]
 * and the reasons of refusals and errors on ERR.  Returns 0 when every subscriber was
 * updated, unchanged or not found, 1 when any was refused or failed, 2 on a setup error */
int keyrefresh_cli(const struct pw_config *cfg, const struct pw_lists *ls, FILE *out, FILE *err);

#endif
