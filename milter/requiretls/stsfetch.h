/*
 * milter/requiretls/stsfetch.h - fetch a domain's MTA-STS policy file over HTTPS (https.h),
 * as RFC 8461 section 3.3 says: https://mta-sts.DOMAIN/.well-known/mta-sts.txt, the server's
 * certificate verified (chain to a trusted CA - the system's or the configured CA file - and
 * the name mta-sts.DOMAIN), HTTPS only, no redirect followed, a timeout for the whole transfer
 * (connection included), at most STSFETCH_MAX octets, and the answer only if it is HTTP 200
 * with media type text/plain.  libcurl's CONNECT_TO entries from the configuration send the
 * connection elsewhere (tests: a loopback server) while the name verified stays
 * mta-sts.DOMAIN.
 *
 * Results: STSFETCH_OK (the body in *BODY, malloc'd, the caller frees it, *LEN octets, not
 * NUL-terminated); STSFETCH_NOTFOUND (HTTP 404 or 410: the domain serves no policy);
 * STSFETCH_TEMP (anything else: connection, certificate, timeout, redirect, other status,
 * another media type, an answer too big; WHY says which).
 *
 * Threads: thread-safe between https_global_init() and https_global_end() (milter/https.h,
 * called by requiretls/rcpt.c's global init): each call makes its own curl handle.  Host
 * names are resolved by the system resolver (libcurl): the trust is in the certificate, as
 * RFC 8461 has it.
 */
#ifndef POSTWARD_MILTER_STSFETCH_H
#define POSTWARD_MILTER_STSFETCH_H

#include <stdbool.h>
#include <stddef.h>

#define STSFETCH_MAX 65536		/* octets of a policy file */

enum stsfetch_result { STSFETCH_OK, STSFETCH_NOTFOUND, STSFETCH_TEMP };

struct https_request;

/* stsfetch_url - the policy URL of DOMAIN into URL; false if it does not fit or DOMAIN is not
 * a host name (letters, digits, '-', '.') */
bool stsfetch_url(const char *domain, char *url, size_t len);
/* stsfetch_get - GET DOMAIN's policy file (see above); OPTS gives the CA file, the CONNECT_TO
 * entries and the timeout (0: 10 seconds), the rest of the request is set here */
enum stsfetch_result stsfetch_get(const struct https_request *opts, const char *domain,
				  char **body, size_t *len, char *why, size_t whylen);

#endif
