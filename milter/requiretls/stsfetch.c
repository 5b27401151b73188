/*
 * milter/requiretls/stsfetch.c - the MTA-STS policy fetch, on milter/https.c.
 * Contract: see stsfetch.h.
 */
#include "stsfetch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "https.h"

#define DEFAULT_TIMEOUT 10

/* stsfetch_url - https://mta-sts.DOMAIN/.well-known/mta-sts.txt */
bool stsfetch_url(const char *domain, char *url, size_t len)
{
	size_t n = strlen(domain);
	int k;

	if (n == 0 || domain[0] == '.' || domain[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)domain[i]) && domain[i] != '-' && domain[i] != '.')
			return false;
	if (domain[n - 1] == '.')
		n--;
	k = snprintf(url, len, "https://mta-sts.%.*s/.well-known/mta-sts.txt", (int)n, domain);
	return k > 0 && (size_t)k < len;
}

/* text_plain - is the media type text/plain (parameters allowed) */
static bool text_plain(const char *t)
{
	return strncasecmp(t, "text/plain", 10) == 0 &&
	       (t[10] == '\0' || t[10] == ';' || t[10] == ' ' || t[10] == '\t');
}

/* stsfetch_get - one GET, no redirect */
enum stsfetch_result stsfetch_get(const struct https_request *opts, const char *domain,
				  char **body, size_t *len, char *why, size_t whylen)
{
	char url[320];
	struct https_request rq = *opts;
	struct https_reply r;

	rq.url = url;
	rq.timeout = opts->timeout ? opts->timeout : DEFAULT_TIMEOUT;
	rq.max_size = STSFETCH_MAX;
	rq.follow_redirects = false;	/* RFC 8461 3.3 */
	*body = NULL;
	*len = 0;
	if (!stsfetch_url(domain, url, sizeof(url))) {
		snprintf(why, whylen, "\"%s\" is not a host name", domain);
		return STSFETCH_TEMP;
	}
	https_get(&rq, &r);
	if (r.kind != HTTPS_ANSWER) {
		snprintf(why, whylen, "%s", r.why);
		return STSFETCH_TEMP;
	}
	if (r.status == 200 && text_plain(r.content_type)) {
		*body = r.body != NULL ? (char *)r.body : calloc(1, 1);
		*len = r.len;
		if (*body == NULL) {
			snprintf(why, whylen, "out of memory");
			return STSFETCH_TEMP;
		}
		return STSFETCH_OK;
	}
	https_reply_clear(&r);
	if (r.status == 404 || r.status == 410) {
		snprintf(why, whylen, "%s: HTTP %ld (no policy)", url, r.status);
		return STSFETCH_NOTFOUND;
	}
	if (r.status >= 300 && r.status < 400)
		snprintf(why, whylen, "%s: HTTP %ld redirect, not followed (RFC 8461 3.3)", url,
			 r.status);
	else if (r.status != 200)
		snprintf(why, whylen, "%s: HTTP %ld", url, r.status);
	else
		snprintf(why, whylen, "%s: media type %s, not text/plain", url,
			 r.content_type[0] ? r.content_type : "(none)");
	return STSFETCH_TEMP;
}
