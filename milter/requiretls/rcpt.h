/*
 * milter/requiretls/rcpt.h - REQUIRETLS at RCPT for the libmilter dispatcher (callbacks.c):
 * one call per RCPT TO, before the recipient is counted.
 *
 * requiretls_rcpt() does nothing (SMFIS_CONTINUE) when requiretls_recipient_check is off or
 * the message is not known to require TLS at RCPT (policy/rtlsrcpt.h: the REQUIRETLS
 * parameter, or a require_tls rule on what is known by now, this recipient's domain
 * included).  Otherwise a recipient without a domain, one of postward's list addresses, or
 * one whose domain is listed in requiretls_exempt_domains, is let through with a log line; any other domain is looked up
 * (rcptcheck.h) and judged (rtlsrcpt_decide), and exactly one log line says the result, the
 * path, both reasons and what was done:
 *   QID: requiretls-rcpt=pass|fail|temperror|exempt to=<ADDR> domain=D [via=dane|mta-sts]
 *        action=accept|reject|tempfail|log-only dane="..." mta-sts="..." [reply="..."]
 * With mode reject a fail refuses the recipient (550 5.7.30) and a temperror defers it
 * (451 4.7.0, or 4.7.5 for a DNSSEC validation failure); with mode log the recipient goes
 * on.  requiretls_global_init/end wrap libcurl's global state (stsfetch.h) and are called
 * once by main.c around the milter's threads.
 */
#ifndef POSTWARD_MILTER_REQUIRETLS_RCPT_H
#define POSTWARD_MILTER_REQUIRETLS_RCPT_H

#include <stdbool.h>
#include <stddef.h>

#include <libmilter/mfapi.h>

#include "session.h"

/* requiretls_global_init - before the milter's threads; false + WHY */
bool requiretls_global_init(char *why, size_t whylen);
/* requiretls_global_end - after them */
void requiretls_global_end(void);
/* requiretls_rcpt - check recipient RCPT (as the MTA gave it) of message M on connection C;
 * DOMAIN is its lower-case domain or NULL; LIST: RCPT is one of postward's own list or role
 * addresses (exempt: postward takes the message itself, and its copies keep REQUIRETLS);
 * SMFIS_CONTINUE, or the refusal with its reply set */
sfsistat requiretls_rcpt(SMFICTX *ctx, const struct pw_conn *c, const struct pw_msg *m,
			 const char *rcpt, const char *domain, bool list);

#endif
