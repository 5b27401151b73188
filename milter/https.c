/*
 * milter/https.c - one HTTPS GET with libcurl.
 * Contract: see https.h.
 */
#include "build-config.h"
#include "https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* https_global_init - libcurl, before threads */
bool https_global_init(char *why, size_t whylen)
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

/* https_global_end - libcurl's cleanup */
void https_global_end(void)
{
	curl_global_cleanup();
}

/* the answer being received */
struct body {
	uint8_t *buf;
	size_t len, cap, max;
	bool too_big;
};

/* on_data - libcurl's write callback: append, refusing more than b->max octets */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_big = true;
		return 0;		/* libcurl stops with CURLE_WRITE_ERROR */
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		uint8_t *nb;

		while (cap < b->len + n)
			cap *= 2;
		if (cap > b->max)
			cap = b->max;
		if ((nb = realloc(b->buf, cap)) == NULL)
			return 0;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	return n;
}

/* failure_kind - what a libcurl error means here */
static enum https_kind failure_kind(CURLcode rc, bool too_big)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return HTTPS_NOHOST;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_FILESIZE_EXCEEDED:
		return HTTPS_REFUSED;
	case CURLE_WRITE_ERROR:
		return too_big ? HTTPS_REFUSED : HTTPS_TEMP;
	default:
		break;
	}
	return HTTPS_TEMP;
}

/* https_get - one GET */
void https_get(const struct https_request *rq, struct https_reply *reply)
{
	char err[CURL_ERROR_SIZE] = "";
	struct curl_slist *to = NULL;
	struct body b = { NULL, 0, 0, rq->max_size, false };
	const char *ctype = NULL;
	CURLcode rc;
	CURL *h;

	memset(reply, 0, sizeof(*reply));
	reply->kind = HTTPS_TEMP;
	if (strncmp(rq->url, "https://", 8) != 0) {
		reply->kind = HTTPS_REFUSED;
		snprintf(reply->why, sizeof(reply->why), "%s: not an https URL", rq->url);
		return;
	}
	for (size_t i = 0; i < rq->n_connect_to; i++) {
		struct curl_slist *n = curl_slist_append(to, rq->connect_to[i]);

		if (n == NULL) {
			curl_slist_free_all(to);
			snprintf(reply->why, sizeof(reply->why), "out of memory");
			return;
		}
		to = n;
	}
	if ((h = curl_easy_init()) == NULL) {
		curl_slist_free_all(to);
		snprintf(reply->why, sizeof(reply->why), "libcurl: cannot make a handle");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, rq->follow_redirects ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)HTTPS_MAX_REDIRECTS);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rq->ca_file != NULL && rq->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, rq->ca_file);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)rq->timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)rq->timeout);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_size);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "postward/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		reply->kind = HTTPS_ANSWER;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->status);
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
			snprintf(reply->content_type, sizeof(reply->content_type), "%s", ctype);
		reply->body = b.buf;
		reply->len = b.len;
	} else {
		reply->kind = failure_kind(rc, b.too_big);
		if (rc == CURLE_FILESIZE_EXCEEDED || b.too_big)
			snprintf(reply->why, sizeof(reply->why), "%s: answer larger than %zu octets",
				 rq->url, rq->max_size);
		else
			snprintf(reply->why, sizeof(reply->why), "%s: %s", rq->url,
				 err[0] ? err : curl_easy_strerror(rc));
		free(b.buf);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(to);
}

/* https_reply_clear - free the body */
void https_reply_clear(struct https_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	reply->len = 0;
}
