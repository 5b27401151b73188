/*
 * milter/session.h - per-connection and per-message state gathered from the MTA.
 *
 * One struct pw_conn per milter connection (owned through smfi_setpriv, freed at close), and at
 * most one struct pw_msg in it (created at MAIL FROM, freed at end of message or abort).  The
 * message holds a reference to the snapshot current at its MAIL FROM.  These records belong to
 * the one libmilter thread serving the connection: no locks.
 * Limits: recipient domains are kept once each, at most SESSION_MAX_RCPT_DOMAINS; past that the
 * message is refused as an internal limit (tempfail), never silently half-checked.
 */
#ifndef POSTWARD_MILTER_SESSION_H
#define POSTWARD_MILTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "dkim/dkim.h"
#include "lists/lists.h"
#include "requiretls.h"
#include "snapshot.h"

#define SESSION_MAX_RCPT_DOMAINS 4096
#define SESSION_MAX_ARGS 64

struct pw_msg {
	struct pw_snapshot *snap;	/* reference owned */
	char qid[64];			/* macro i, "" until known */
	char *sender;			/* owned, as given in MAIL FROM */
	char *sender_domain;		/* owned, lower case, NULL for <> */
	char *args[SESSION_MAX_ARGS];	/* owned copies of the ESMTP parameters */
	size_t n_args;
	struct rtls_mail_args margs;
	char *auth_user;		/* owned, {auth_authen} or NULL */
	char **rcpt_domains;		/* owned array of owned, unique, lower case */
	size_t n_rcpt_domains;
	size_t n_rcpts;			/* every RCPT, for the log */
	unsigned n_fields;		/* TLS-Required / RequireTLS fields */
	enum rtls_hdr_value value;	/* of the first one */
	char *field_name;		/* owned spelling of the first one */
	unsigned n_tags_in;		/* X-Postward-TLS fields that arrived */
	struct dkim_ctx *dkim;		/* owned; NULL when DKIM is not checked */
	bool dkim_broken;		/* the verifier failed internally: results are temperror */
	unsigned n_ar;			/* Authentication-Results fields seen */
	unsigned *ar_ours;		/* owned: 1-based indexes of those that claim our
					 * authserv-id (every one is removed) */
	unsigned n_ar_ours, cap_ar_ours;
	unsigned n_from;		/* From fields seen */
	char *from_value;		/* owned body of the first From field */
	char *spf_domain;		/* owned: domain of an spf=pass from a trusted host, or NULL */
	char *spf_temp_domain;		/* owned: domain of an spf=temperror from a trusted host */
	unsigned n_practice_in;		/* X-Postward-Practice fields that arrived */
	struct lists_msg lists;		/* a post to an encrypted list (lists.h) */
	bool header_error;		/* a header callback failed without replying (NR_HDR) */
	bool unchecked;			/* an internal error let it pass without a decision */
	bool decided;
	struct rtls_verdict verdict;
};

struct pw_conn {
	struct pw_ipaddr client;	/* family 0 if unknown */
	char client_text[64];		/* for the logs */
	bool tls;			/* TLS macros seen at HELO */
	bool leadspc;			/* header values arrive with their leading space */
	bool nr_hdr, nr_body;		/* no reply is sent per header field / body chunk */
	struct pw_msg *msg;		/* owned, or NULL between messages */
};

/* session_tune_allocator - set glibc's allocator so that what a burst of connections freed can
 * go back to the system (see session.c); call once, before any thread starts.  Does nothing
 * when GLIBC_TUNABLES sets any glibc.malloc tunable (the administrator's choice stands) or
 * without glibc.  Returns what it did, a static text for the log. */
const char *session_tune_allocator(void);
/* session_conn_new - a fresh connection record, or NULL */
struct pw_conn *session_conn_new(void);
/* session_conn_free - free the connection and any message in it; when it was the last one
 * alive, free memory is handed back to the system (malloc_trim, glibc) */
void session_conn_free(struct pw_conn *c);
/* session_msg_begin - replace any message with a new one holding SNAP (reference moves in) */
struct pw_msg *session_msg_begin(struct pw_conn *c, struct pw_snapshot *snap);
/* session_msg_end - free the current message, releasing its snapshot */
void session_msg_end(struct pw_conn *c);
/* session_set_qid - remember the queue id if VALUE is a real one */
void session_set_qid(struct pw_msg *m, const char *value);
/* session_add_rcpt_domain - remember a recipient domain once; false on overflow or memory */
bool session_add_rcpt_domain(struct pw_msg *m, const char *domain);
/* session_facts - the REQUIRETLS facts of the message (pointers borrowed from C and M) */
void session_facts(const struct pw_conn *c, const struct pw_msg *m, struct rtls_facts *f);

#endif
