/*
 * milter/https.h - one HTTPS GET with libcurl, under the rules postward's fetches share: HTTPS
 * only (redirects too, when they are followed at all), the peer's certificate and name
 * verified against the system CAs or a CA file, one timeout for the whole transfer
 * (connection included), at most max_size octets, libcurl's CONNECT_TO entries (the
 * connection goes elsewhere, the name verified stays the URL's host).  Used by the key
 * refresh (lists/keyfetch.c: WKD, VKS) and by REQUIRETLS at RCPT (requiretls/stsfetch.c:
 * MTA-STS policies, no redirects).
 *
 * https_get() always fills *REPLY: kind HTTPS_ANSWER with the HTTP status, the media type and
 * the body (malloc'd, owned by REPLY until https_reply_clear()), or a failure kind with WHY:
 *   HTTPS_NOHOST    the host name does not resolve;
 *   HTTPS_REFUSED   the certificate did not verify, a protocol other than HTTPS, too many
 *                   redirects, an answer over max_size ("answer larger than N octets");
 *   HTTPS_TEMP      anything else (no connection, a timeout, out of memory).
 * Threads: https_global_init() (curl_global_init, which libcurl counts) runs before any
 * thread starts and https_global_end() once per init after they stop; https_get() is
 * thread-safe in between: its own curl handle (CURLOPT_NOSIGNAL), nothing shared.
 */
#ifndef POSTWARD_MILTER_HTTPS_H
#define POSTWARD_MILTER_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPS_MAX_REDIRECTS 3

enum https_kind { HTTPS_ANSWER, HTTPS_NOHOST, HTTPS_REFUSED, HTTPS_TEMP };

struct https_request {
	const char *url;		/* https://... */
	const char *ca_file;		/* NULL or "": the system's CAs */
	const char *const *connect_to;	/* "HOST:PORT:TO-HOST:TO-PORT" entries */
	size_t n_connect_to;
	unsigned timeout;		/* seconds for the whole transfer (must be > 0) */
	size_t max_size;		/* octets of the body (must be > 0) */
	bool follow_redirects;		/* at most HTTPS_MAX_REDIRECTS, HTTPS only */
};

struct https_reply {
	enum https_kind kind;
	long status;			/* HTTP status (HTTPS_ANSWER) */
	char content_type[128];		/* as the server sent it, "" if none */
	uint8_t *body;			/* owned (HTTPS_ANSWER, may be NULL when empty) */
	size_t len;
	char why[512];			/* "URL: what failed" for the failure kinds */
};

/* https_global_init - libcurl, before threads; false + WHY when it cannot start or lacks
 * HTTPS */
bool https_global_init(char *why, size_t whylen);
/* https_global_end - libcurl's cleanup, after the threads */
void https_global_end(void);
/* https_get - GET RQ->url under RQ's rules into *REPLY (always filled) */
void https_get(const struct https_request *rq, struct https_reply *reply);
/* https_reply_clear - free what *REPLY owns */
void https_reply_clear(struct https_reply *reply);

#endif
