/*
 * milter/callbacks.h - the libmilter callbacks: thin glue between the MTA and policy/.
 *
 * Each callback gathers facts into the session records (session.h), asks policy/ (requiretls.h)
 * and the DKIM verifier (dkim.h, keys through dns.h) and acts: a reply, a header change, a
 * sender change, an Authentication-Results field.  Key lookups run at end of message in the
 * callback's own thread, bounded by dns_max_queries.  Any failure of postward itself inside
 * a callback tempfails that message (451 4.3.0), or accepts it when internal_error_action =
 * accept; nothing in here ever exits the process.
 */
#ifndef POSTWARD_MILTER_CALLBACKS_H
#define POSTWARD_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>

/* callbacks_desc - the filter description handed to smfi_register() */
struct smfiDesc *callbacks_desc(void);

#endif
