/*
 * policy/dsn.h - read a bounce: the delivery status notification (RFC 3464, RFC 6533) that
 * came back to a list's -bounces address, as per-recipient results the bounce ledger
 * (milter/lists/bounces.h) scores.
 *
 * Input: the whole message as received (header and body, CRLF or LF line ends).  Output:
 *   DSN_REPORT   a multipart/report (RFC 6522) whose report-type is delivery-status or
 *                global-delivery-status (or that has no report-type but such a part), with a
 *                message/delivery-status or message/global-delivery-status part: its
 *                Reporting-MTA, and per recipient Final-Recipient, Original-Recipient (type
 *                "rfc822" or "utf-8", the address without the type, angle brackets or
 *                comments; RFC 6533 \x{HEX} escapes of "utf-8" addresses decoded), Action,
 *                Status, Diagnostic-Code; the Message-ID and List-Id of the returned message's
 *                header when a text/rfc822-headers, message/rfc822, message/global-headers or
 *                message/global part follows.  Zero recipients is possible (a report with only
 *                a per-message group).
 *   DSN_OTHER    another kind of report (report-type disposition-notification, feedback-report,
 *                ...): not a bounce, nothing to score.
 *   DSN_UNKNOWN  anything else: a bounce that is no DSN (qmail's, a vacation reply, a
 *                malformed report).  Not an error: the caller counts it against the subscriber
 *                its VERP address names.  WHY says what it was.
 * Classification per recipient (dsn_rcpt.cls):
 *   hard     Action failed with a 5.X.X status
 *   soft     Action delayed (any status), or failed with 4.X.X
 *   none     Action delivered, relayed or expanded, or a 2.X.X status
 *   unknown  the rest (failed without a usable status, no or another Action with a 4 or 5
 *            status or none): scored like soft by the ledger.
 * A Status missing or malformed is taken from the enhanced code at the start of a
 * Diagnostic-Code "smtp; 550 5.1.1 ..." when there is one.
 *
 * Leniency: bounces come from every MTA there is, so header sections are read up to their
 * first empty line, lines that are no field are skipped, a field given twice counts once
 * (the first), and nothing malformed is fatal; what cannot be read makes the result
 * DSN_UNKNOWN.  Text kept (Reporting-MTA, Diagnostic-Code, Message-ID, List-Id) has control
 * characters made '?' and is cut at DSN_MAX_TEXT octets ("..." appended).  An address longer
 * than DSN_MAX_ADDR, with a control character, blank or no '@' in it is dropped (the field
 * reads as absent), never cut: a cut address could match another subscriber.
 *
 * Limits: DSN_MAX_HEADER octets per header section, DSN_MAX_FIELD octets of a status field's
 * value (line ends included; the rest ignored, and an address so long is dropped),
 * DSN_MAX_PARTS body parts of the report,
 * DSN_MAX_FIELDS fields per header section or status group (the rest ignored),
 * DSN_MAX_RCPTS recipients (more are counted in rcpt_over, not kept).  Work is linear in the
 * message.  Pure: no I/O, no global state, thread-safe; dsn_parse() allocates the recipient
 * array, dsn_clear() releases it.
 */
#ifndef POSTWARD_POLICY_DSN_H
#define POSTWARD_POLICY_DSN_H

#include <stdbool.h>
#include <stddef.h>

#define DSN_MAX_RCPTS	100		/* recipients kept per report */
#define DSN_MAX_PARTS	16		/* body parts of the multipart/report */
#define DSN_MAX_FIELDS	256		/* fields read per header section or group */
#define DSN_MAX_HEADER	(64u << 10)	/* octets of a header section read */
#define DSN_MAX_FIELD	4096		/* octets of a status field's value read */
#define DSN_MAX_ADDR	320		/* octets of an address (RFC 5321: 64 + 1 + 255) */
#define DSN_MAX_TEXT	300		/* octets of a text kept */

enum dsn_result { DSN_REPORT, DSN_OTHER, DSN_UNKNOWN };

enum dsn_action {
	DSN_ACTION_NONE,		/* no Action field */
	DSN_ACTION_FAILED, DSN_ACTION_DELAYED, DSN_ACTION_DELIVERED, DSN_ACTION_RELAYED,
	DSN_ACTION_EXPANDED,
	DSN_ACTION_OTHER,		/* a value RFC 3464 does not define */
};

enum dsn_class { DSN_CLASS_NONE, DSN_CLASS_SOFT, DSN_CLASS_HARD, DSN_CLASS_UNKNOWN };

struct dsn_rcpt {
	char final[DSN_MAX_ADDR + 1];	/* Final-Recipient address, "" if absent or unusable */
	char final_type[16];		/* its address type, lower case: "rfc822", "utf-8" */
	char original[DSN_MAX_ADDR + 1];	/* Original-Recipient address, "" if absent */
	enum dsn_action action;
	char status[16];		/* "5.1.1", "" if none usable */
	char diag[DSN_MAX_TEXT + 4];	/* Diagnostic-Code as given ("smtp; 550 ..."), "" */
	enum dsn_class cls;
};

struct dsn {
	enum dsn_result result;
	bool global;			/* message/global-delivery-status (RFC 6533) */
	char why[160];			/* DSN_OTHER / DSN_UNKNOWN: what it was */
	char reporting_mta[DSN_MAX_TEXT + 4];	/* "dns; mx.example.net", "" */
	struct dsn_rcpt *rcpt;		/* owned: nrcpt entries */
	size_t nrcpt;
	size_t rcpt_over;		/* recipient groups beyond DSN_MAX_RCPTS */
	bool returned;			/* the returned message's header was there */
	char message_id[DSN_MAX_TEXT + 4];	/* its Message-ID, "" */
	char list_id[DSN_MAX_TEXT + 4];	/* its List-Id, "" */
};

/* dsn_parse - read the bounce MSG (LEN octets) into *OUT (see the top comment); false only
 * for lack of memory (*OUT is then empty) */
bool dsn_parse(const char *msg, size_t len, struct dsn *out);
/* dsn_verdict - what bounce D means for SUBSCRIBER, the address its VERP bounce address
 * names: the worst class (hard, unknown, soft, none, in that order) of the recipients whose
 * Final-Recipient or Original-Recipient is SUBSCRIBER (ASCII case aside), or, when none is,
 * of all recipients (a forwarding mailbox reports the address it forwarded to); a report
 * without recipients and DSN_UNKNOWN are unknown, DSN_OTHER is none.  *WHICH (may be NULL)
 * gets the recipient that decided, NULL when none did.  (A bounce to the bare bounce
 * address names nobody: the caller matches each recipient's addresses itself.) */
enum dsn_class dsn_verdict(const struct dsn *d, const char *subscriber,
			   const struct dsn_rcpt **which);
/* dsn_clear - release what *D owns */
void dsn_clear(struct dsn *d);
/* dsn_class_name - "none", "soft", "hard" or "unknown" */
const char *dsn_class_name(enum dsn_class c);
/* dsn_action_name - the Action value ("failed", ...), "none" or "other" */
const char *dsn_action_name(enum dsn_action a);

#endif
