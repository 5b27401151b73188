/*
 * milter/dkim/authres.h - the authentication results of one message, for the milter's
 * callbacks: verify the message's DKIM signatures, look up the author domain's sender
 * practices (ADSP, DMARC), decide the local action, and build the Authentication-Results
 * value.
 *
 * NAME
 *	authres - from header fields and a finished DKIM context to an Authentication-Results
 *	value and a practice action
 *
 * SYNOPSIS
 *	#include "dkim/authres.h"
 *
 *	bool authres_header(struct pw_msg *m, const char *name, const char *value);
 *	bool authres(struct pw_msg *m, bool c_leadspc, char *ar, size_t len,
 *		     struct pw_sp_decision *dec);
 *
 * DESCRIPTION
 *	authres_header takes the facts the sender practices need from each header field as it
 *	arrives: the From field (the first one, and how many), Authentication-Results fields
 *	claiming our own authserv-id (forged: their indexes are kept for removal), an SPF
 *	result reported by a trusted authserv-id, and the practice fields that arrived with
 *	the message.  They are kept in struct pw_msg (session.h).
 *
 *	authres runs at end of message: it finishes the DKIM context, fetches each key through
 *	the snapshot's validating resolver, logs each result, evaluates ADSP and DMARC
 *	(senderpolicy.h) with the same resolver, logs them and the local action, and writes
 *	the folded Authentication-Results value into AR.  Writing the fields, replies and
 *	quarantine stay with the caller (callbacks.c): nothing here talks to the MTA.
 *
 * DIAGNOSTICS
 *	authres_header returns false only for lack of memory.  authres returns false for lack
 *	of memory, or for a value that does not fit (AR_TAIL keeps room: cannot happen); the
 *	caller then answers as for any internal error and ignores *DEC.  Lack of memory for
 *	the practice lookups alone is a tempfail decision in *DEC.  DNS failures are results
 *	(temperror), which the practice rules turn into an action.  Everything is logged
 *	through log.h with the message's queue id.
 */
#ifndef POSTWARD_MILTER_AUTHRES_H
#define POSTWARD_MILTER_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "senderpolicy.h"

struct pw_msg;

#define AR_SIZE		8192	/* the Authentication-Results value, unfolded */
#define AR_FOLDED	(2 * AR_SIZE)	/* folded: at most one octet more per blank */

/* authres_header - note From, trusted and forged Authentication-Results and incoming
 * practice fields (header field NAME: VALUE of M); false for lack of memory */
bool authres_header(struct pw_msg *m, const char *name, const char *value);
/* authres - verify DKIM and evaluate practices for M: the folded Authentication-Results
 * value into AR (LEN octets, at least AR_FOLDED; with a leading space when C_LEADSPC) and
 * the practice action into *DEC; false as DIAGNOSTICS says */
bool authres(struct pw_msg *m, bool c_leadspc, char *ar, size_t len,
	     struct pw_sp_decision *dec);

#endif
