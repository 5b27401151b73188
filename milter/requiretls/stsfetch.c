/*
 * milter/requiretls/stsfetch.c - the MTA-STS policy fetch (libcurl).
 * Contract: see stsfetch.h.
 */
#include "build-config.h"
#include "stsfetch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define DEFAULT_TIMEOUT 10

/* stsfetch_global_init - libcurl, before threads */
bool stsfetch_global_init(char *why, size_t whylen)
{
	const curl_version_info_data *v;
	bool https = false;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, whylen, "libcurl: curl_global_init failed");
		return false;
	}
	v = curl_version_info(CURLVERSION_NOW);
	for (size_t i = 0; v != NULL && v->protocols != NULL && v->protocols[i] != NULL; i++)
		if (strcmp(v->protocols[i], "https") == 0)
			https = true;
	if (!https) {
		curl_global_cleanup();
		snprintf(why, whylen, "libcurl %s was built without HTTPS",
			 v != NULL ? v->version : "?");
		return false;
	}
	return true;
}

/* stsfetch_global_end - libcurl's cleanup */
void stsfetch_global_end(void)
{
	curl_global_cleanup();
}

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

/* the answer being received */
struct body {
	char *buf;
	size_t len;
	bool too_big;
};

/* on_data - libcurl's write callback: append, refusing more than STSFETCH_MAX octets */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > STSFETCH_MAX - b->len) {
		b->too_big = true;
		return 0;		/* libcurl stops with CURLE_WRITE_ERROR */
	}
	if (b->buf == NULL && (b->buf = malloc(STSFETCH_MAX)) == NULL)
		return 0;
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	return n;
}

/* stsfetch_get - one GET, no redirect */
enum stsfetch_result stsfetch_get(const struct stsfetch_config *c, const char *domain,
				  char **body, size_t *len, char *why, size_t whylen)
{
	char url[320], err[CURL_ERROR_SIZE] = "";
	struct curl_slist *to = NULL;
	struct body b = { NULL, 0, false };
	const char *ctype = NULL;
	long code = 0;
	CURLcode rc;
	CURL *h;
	unsigned t = c->timeout ? c->timeout : DEFAULT_TIMEOUT;

	*body = NULL;
	*len = 0;
	if (!stsfetch_url(domain, url, sizeof(url))) {
		snprintf(why, whylen, "\"%s\" is not a host name", domain);
		return STSFETCH_TEMP;
	}
	for (size_t i = 0; i < c->n_connect_to; i++) {
		struct curl_slist *n = curl_slist_append(to, c->connect_to[i]);

		if (n == NULL) {
			curl_slist_free_all(to);
			snprintf(why, whylen, "out of memory");
			return STSFETCH_TEMP;
		}
		to = n;
	}
	if ((h = curl_easy_init()) == NULL) {
		curl_slist_free_all(to);
		snprintf(why, whylen, "libcurl: cannot make a handle");
		return STSFETCH_TEMP;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);	/* RFC 8461 3.3: no redirects */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL && c->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)t);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)t);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)STSFETCH_MAX);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "postward/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	if (rc != CURLE_OK) {
		if (rc == CURLE_FILESIZE_EXCEEDED || b.too_big)
			snprintf(why, whylen, "%s: policy larger than %u octets", url,
				 (unsigned)STSFETCH_MAX);
		else
			snprintf(why, whylen, "%s: %s", url, err[0] ? err : curl_easy_strerror(rc));
	} else if (code == 404 || code == 410) {
		snprintf(why, whylen, "%s: HTTP %ld (no policy)", url, code);
	} else if (code >= 300 && code < 400) {
		snprintf(why, whylen, "%s: HTTP %ld redirect, not followed (RFC 8461 3.3)", url,
			 code);
	} else if (code != 200) {
		snprintf(why, whylen, "%s: HTTP %ld", url, code);
	} else if (ctype == NULL || strncasecmp(ctype, "text/plain", 10) != 0 ||
		   (ctype[10] != '\0' && ctype[10] != ';' && ctype[10] != ' ')) {
		snprintf(why, whylen, "%s: media type %s, not text/plain", url,
			 ctype ? ctype : "(none)");
		code = 0;
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(to);
	if (rc == CURLE_OK && code == 200) {
		*body = b.buf != NULL ? b.buf : calloc(1, 1);
		*len = b.len;
		if (*body == NULL) {
			snprintf(why, whylen, "out of memory");
			return STSFETCH_TEMP;
		}
		return STSFETCH_OK;
	}
	free(b.buf);
	return rc == CURLE_OK && (code == 404 || code == 410) ? STSFETCH_NOTFOUND : STSFETCH_TEMP;
}
