/*
 * milter/requiretls/stsfetch.h - fetch a domain's MTA-STS policy file over HTTPS (libcurl),
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
 * Threads: stsfetch_global_init() (curl_global_init, reference-counted by libcurl) runs once
 * before any thread starts and stsfetch_global_end() after they stop; stsfetch_get() is
 * thread-safe in between: each call makes its own curl handle (CURLOPT_NOSIGNAL) and shares
 * nothing.  Host names are resolved by the system resolver (libcurl): the trust is in the
 * certificate, as RFC 8461 has it.
 */
#ifndef POSTWARD_MILTER_STSFETCH_H
#define POSTWARD_MILTER_STSFETCH_H

#include <stdbool.h>
#include <stddef.h>

#define STSFETCH_MAX 65536		/* octets of a policy file */

enum stsfetch_result { STSFETCH_OK, STSFETCH_NOTFOUND, STSFETCH_TEMP };

struct stsfetch_config {
	const char *ca_file;		/* NULL or "": the system's CAs */
	const char *const *connect_to;	/* CURLOPT_CONNECT_TO entries "HOST:PORT:TO-HOST:TO-PORT" */
	size_t n_connect_to;
	unsigned timeout;		/* seconds for the whole transfer (0: 10) */
};

/* stsfetch_global_init - curl_global_init, before threads; false + WHY when libcurl cannot
 * start or lacks HTTPS */
bool stsfetch_global_init(char *why, size_t whylen);
/* stsfetch_global_end - curl_global_cleanup, after the threads */
void stsfetch_global_end(void);
/* stsfetch_url - the policy URL of DOMAIN into URL; false if it does not fit or DOMAIN is not
 * a host name (letters, digits, '-', '.') */
bool stsfetch_url(const char *domain, char *url, size_t len);
/* stsfetch_get - GET DOMAIN's policy file under C's rules (see above) */
enum stsfetch_result stsfetch_get(const struct stsfetch_config *c, const char *domain,
				  char **body, size_t *len, char *why, size_t whylen);

#endif
