/*
 * milter/lists/keyfetch.c - subscriber certificates from WKD and VKS over HTTPS (libcurl),
 * checked against the configured fingerprint and merged into the GnuPG home (gpgme).
 * Contract: see keyfetch.h.
 */
#include "build-config.h"
#include "keyfetch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <gpgme.h>
#include <openssl/evp.h>

#include "https.h"
#include "openpgp.h"

#define DEFAULT_TIMEOUT 30
#define FPR_HEX 40

/* keyfetch_result_name - the word for R */
const char *keyfetch_result_name(enum keyfetch_result r)
{
	static const char *const names[] = {
		[KEYFETCH_UPDATED] = "updated",
		[KEYFETCH_UNCHANGED] = "unchanged",
		[KEYFETCH_NOTFOUND] = "not-found",
		[KEYFETCH_REFUSED] = "refused",
		[KEYFETCH_TEMPFAIL] = "temporary-error",
	};

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

/* keyfetch_source_name - the word for S */
const char *keyfetch_source_name(enum keyfetch_source s)
{
	return s == KEYFETCH_WKD ? "wkd" : "vks";
}

/* keyfetch_global_init - libcurl and gpgme, before threads */
bool keyfetch_global_init(char *why, size_t whylen)
{
	if (!https_global_init(why, whylen))
		return false;
	if (gpgme_check_version("1.13.0") == NULL) {
		https_global_end();
		snprintf(why, whylen, "gpgme 1.13.0 or later is needed");
		return false;
	}
	return true;
}

/* keyfetch_global_end - libcurl's cleanup */
void keyfetch_global_end(void)
{
	https_global_end();
}

/* keyfetch_wkd_hash - z-base-32 of SHA-1 of the ASCII-lower-cased local part */
bool keyfetch_wkd_hash(const char *local, size_t len, char out[33])
{
	static const char zb32[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
	uint8_t md[20];
	unsigned int mdlen = sizeof md;
	char *low = malloc(len + 1);
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	bool ok;

	if (low == NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		low[i] = local[i] >= 'A' && local[i] <= 'Z' ? (char)(local[i] - 'A' + 'a') : local[i];
	ok = EVP_Digest(low, len, md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == sizeof md;
	free(low);
	if (!ok)
		return false;
	/* 160 bits: 32 groups of 5, most significant bit first */
	for (size_t i = 0; i < sizeof md; i++) {
		acc = acc << 8 | md[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = zb32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[o] = '\0';
	return o == 32;
}

/* the outcome of one HTTPS GET */
enum get_outcome { GET_OK, GET_NOTFOUND, GET_NOHOST, GET_REFUSED, GET_TEMP };

/* fetch - GET URL under C's rules (milter/https.h, redirects followed); GET_OK with the body
 * in *DATA and *LEN (malloc'd), else WHY */
static enum get_outcome fetch(const struct keyfetch_config *c, const char *url, uint8_t **data,
			      size_t *len, char *why, size_t whylen)
{
	struct https_request rq = {
		.url = url,
		.ca_file = c->ca_file,
		.connect_to = c->connect_to,
		.n_connect_to = c->n_connect_to,
		.timeout = c->timeout ? c->timeout : DEFAULT_TIMEOUT,
		.max_size = c->max_size ? c->max_size : KEYFETCH_MAX,
		.follow_redirects = true,
	};
	struct https_reply r;
	long code;

	*data = NULL;
	*len = 0;
	https_get(&rq, &r);
	switch (r.kind) {
	case HTTPS_ANSWER:
		break;
	case HTTPS_NOHOST:
	case HTTPS_REFUSED:
	case HTTPS_TEMP:
		snprintf(why, whylen, "%s", r.why);
		return r.kind == HTTPS_NOHOST ? GET_NOHOST : r.kind == HTTPS_REFUSED ? GET_REFUSED :
		       GET_TEMP;
	}
	code = r.status;
	if (code == 200 && r.len > 0) {
		*data = r.body;
		*len = r.len;
		return GET_OK;
	}
	https_reply_clear(&r);
	if (code == 200 || code == 204 || code == 404 || code == 410) {
		snprintf(why, whylen, "%s: %s", url, code == 200 || code == 204 ?
			 "empty answer" : code == 404 ? "HTTP 404 (not found)" : "HTTP 410 (gone)");
		return GET_NOTFOUND;
	}
	snprintf(why, whylen, "%s: HTTP %ld", url, code);
	return GET_TEMP;
}

/* outcome_result - a GET outcome as a keyfetch result */
static enum keyfetch_result outcome_result(enum get_outcome o)
{
	switch (o) {
	case GET_OK:
		return KEYFETCH_UPDATED;
	case GET_NOTFOUND:
		return KEYFETCH_NOTFOUND;
	case GET_REFUSED:
		return KEYFETCH_REFUSED;
	case GET_NOHOST:
	case GET_TEMP:
		break;
	}
	return KEYFETCH_TEMPFAIL;
}

/* fpr_ok - FPR is 40 hex digits */
static bool fpr_ok(const char *fpr)
{
	size_t i;

	for (i = 0; fpr != NULL && fpr[i] != '\0'; i++)
		if (!isxdigit((unsigned char)fpr[i]))
			return false;
	return fpr != NULL && i == FPR_HEX;
}

/* domain_ok - an ASCII host name: letters, digits, '-' and '.', not empty, no "..": copied
 * lower-cased into OUT (OUTLEN octets) */
static bool domain_ok(const char *d, char *out, size_t outlen)
{
	size_t n = strlen(d);

	if (n == 0 || n >= outlen || d[0] == '.' || d[0] == '-' || strstr(d, "..") != NULL)
		return false;
	for (size_t i = 0; i <= n; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch != '\0' && !isalnum(ch) && ch != '-' && ch != '.')
			return false;
		out[i] = (char)tolower(ch);
	}
	return true;
}

/* wkd_url - the advanced (DIRECT false) or direct WKD URL for LOCAL@DOMAIN into URL */
static bool wkd_url(const char *local, size_t llen, const char *domain, bool direct, char *url,
		    size_t urllen)
{
	char hash[33], *esc;
	CURL *h;
	int n;

	if (!keyfetch_wkd_hash(local, llen, hash) || (h = curl_easy_init()) == NULL)
		return false;
	esc = curl_easy_escape(h, local, (int)llen);
	curl_easy_cleanup(h);
	if (esc == NULL)
		return false;
	if (direct)
		n = snprintf(url, urllen, "https://%s/.well-known/openpgpkey/hu/%s?l=%s", domain,
			     hash, esc);
	else
		n = snprintf(url, urllen, "https://openpgpkey.%s/.well-known/openpgpkey/%s/hu/%s?l=%s",
			     domain, domain, hash, esc);
	curl_free(esc);
	return n > 0 && (size_t)n < urllen;
}

/* keyfetch_get - the raw answer of SRC */
enum keyfetch_result keyfetch_get(const struct keyfetch_config *c, enum keyfetch_source src,
				  const char *address, const char *fpr, uint8_t **data,
				  size_t *len, char *url, size_t urllen, char *why,
				  size_t whylen)
{
	char u[2048], domain[256];
	enum get_outcome o;

	*data = NULL;
	*len = 0;
	if (url != NULL && urllen > 0)
		url[0] = '\0';
	if (src == KEYFETCH_VKS) {
		const char *base = c->vks_url != NULL ? c->vks_url : "";
		size_t bl = strlen(base);

		if (!fpr_ok(fpr)) {
			snprintf(why, whylen, "\"%s\" is not a v4 fingerprint", fpr ? fpr : "");
			return KEYFETCH_REFUSED;
		}
		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		if (snprintf(u, sizeof u, "%.*s/vks/v1/by-fingerprint/%s", (int)bl, base, fpr) >=
		    (int)sizeof u) {
			snprintf(why, whylen, "list_vks_url too long");
			return KEYFETCH_REFUSED;
		}
		for (char *p = u + strlen(u) - FPR_HEX; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (url != NULL)
			snprintf(url, urllen, "%s", u);
		o = fetch(c, u, data, len, why, whylen);
	} else {
		const char *at = address != NULL ? strrchr(address, '@') : NULL;

		if (at == NULL || at == address || !domain_ok(at + 1, domain, sizeof domain)) {
			snprintf(why, whylen, "<%s>: not an address WKD can look up",
				 address ? address : "");
			return KEYFETCH_REFUSED;
		}
		/* the advanced method; the direct one only when openpgpkey.DOMAIN has no address */
		o = GET_NOHOST;
		for (int direct = 0; direct < 2 && o == GET_NOHOST; direct++) {
			if (!wkd_url(address, (size_t)(at - address), domain, direct, u, sizeof u)) {
				snprintf(why, whylen, "out of memory");
				return KEYFETCH_TEMPFAIL;
			}
			if (url != NULL)
				snprintf(url, urllen, "%s", u);
			o = fetch(c, u, data, len, why, whylen);
		}
	}
	return outcome_result(o);
}

/* armored - does DATA start (after blanks) with an armor line; *OFF is where */
static bool armored(const uint8_t *data, size_t len, size_t *off)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	*off = i;
	return len - i >= 10 && memcmp(data + i, "-----BEGIN", 10) == 0;
}

/* gpg_sees - gpg's own reading of CERT (a dry run, nothing imported): exactly one key,
 * whose primary fingerprint is FPR; REFUSED or TEMPFAIL with WHY otherwise */
static enum keyfetch_result gpg_sees(gpgme_ctx_t ctx, gpgme_data_t cert, const char *fpr,
				     char *why, size_t whylen)
{
	gpgme_error_t err;
	gpgme_key_t key;
	size_t n = 0;
	bool other = false;
	char seen[FPR_HEX + 1] = "";

	if ((err = gpgme_op_keylist_from_data_start(ctx, cert, 0)) != 0) {
		snprintf(why, whylen, "gpg cannot list the key: %s", gpgme_strerror(err));
		return KEYFETCH_TEMPFAIL;
	}
	while ((err = gpgme_op_keylist_next(ctx, &key)) == 0) {
		const char *kf = key->subkeys != NULL ? key->subkeys->fpr : NULL;

		n++;
		if (kf == NULL || strcasecmp(kf, fpr) != 0) {
			other = true;
			snprintf(seen, sizeof seen, "%s", kf ? kf : "?");
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	if (gpgme_err_code(err) != GPG_ERR_EOF) {
		snprintf(why, whylen, "gpg cannot read the key: %s", gpgme_strerror(err));
		return KEYFETCH_REFUSED;
	}
	if (n != 1 || other) {
		snprintf(why, whylen, "gpg reads %zu key(s) in the certificate%s%s", n,
			 other ? ", among them " : "", seen);
		return KEYFETCH_REFUSED;
	}
	return KEYFETCH_UPDATED;
}

/* import_verdict - what gpg's import result IR says: something new, nothing new, or nothing
 * taken; OTHERS certificates of the answer were left out */
static enum keyfetch_result import_verdict(gpgme_import_result_t ir, size_t others, char *why,
					   size_t whylen)
{
	if (ir->imported + ir->new_user_ids + ir->new_sub_keys + ir->new_signatures +
	    ir->new_revocations > 0) {
		snprintf(why, whylen, "%s%d new signature(s), %d new subkey(s), %d new user ID(s), "
			 "%d new revocation(s)%s", ir->imported > 0 ? "new key: " : "",
			 ir->new_signatures, ir->new_sub_keys, ir->new_user_ids,
			 ir->new_revocations,
			 others > 0 ? "; other certificates in the answer left out" : "");
		return KEYFETCH_UPDATED;
	}
	if (ir->unchanged > 0) {
		snprintf(why, whylen, "nothing new");
		return KEYFETCH_UNCHANGED;
	}
	snprintf(why, whylen, "gpg took nothing of the certificate (%d considered, %d not "
		 "imported)", ir->considered, ir->not_imported);
	return KEYFETCH_REFUSED;
}

/* keyfetch_import - check, then import FPR's certificate from DATA */
enum keyfetch_result keyfetch_import(const struct keyfetch_config *c, const char *fpr,
				     const uint8_t *data, size_t len, const char *source,
				     char *why, size_t whylen)
{
	uint8_t want[20], *bin = NULL;
	const uint8_t *block = data;
	size_t blen = len, off;
	struct opgp_cert cert;
	enum opgp_status s;
	enum keyfetch_result r;
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	gpgme_error_t err;
	gpgme_import_result_t ir;
	char w[300];

	if (!fpr_ok(fpr)) {
		snprintf(why, whylen, "\"%s\" is not a v4 fingerprint", fpr ? fpr : "");
		return KEYFETCH_REFUSED;
	}
	for (size_t i = 0; i < 20; i++) {
		char hx[3] = { fpr[2 * i], fpr[2 * i + 1], '\0' };

		want[i] = (uint8_t)strtoul(hx, NULL, 16);
	}
	if (armored(data, len, &off)) {
		if ((s = opgp_dearmor_keys((const char *)data + off, len - off, &bin, &blen)) !=
		    OPGP_OK) {
			snprintf(why, whylen, "not a public key block: %s", opgp_strerror(s));
			return s == OPGP_E_NOMEM ? KEYFETCH_TEMPFAIL : KEYFETCH_REFUSED;
		}
		block = bin;
	}
	s = opgp_cert_find(block, blen, want, &cert, w, sizeof w);
	if (s != OPGP_OK) {
		free(bin);
		if (s == OPGP_E_NOKEY) {
			snprintf(why, whylen, "unrelated key: %s", w);
			return KEYFETCH_REFUSED;
		}
		snprintf(why, whylen, "malformed key block: %s", w);
		return s == OPGP_E_NOMEM ? KEYFETCH_TEMPFAIL : KEYFETCH_REFUSED;
	}
	if ((err = gpgme_new(&ctx)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
					     c->gnupg_home)) != 0 ||
	    (err = gpgme_data_new_from_mem(&d, (const char *)block + cert.off, cert.len, 0)) != 0) {
		snprintf(why, whylen, "gpgme: %s", gpgme_strerror(err));
		r = KEYFETCH_TEMPFAIL;
		goto out;
	}
	gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if ((r = gpg_sees(ctx, d, fpr, why, whylen)) != KEYFETCH_UPDATED)
		goto out;
	gpgme_data_seek(d, 0, SEEK_SET);
	if (source != NULL)
		gpgme_set_ctx_flag(ctx, "key-origin", source);
	if ((err = gpgme_op_import(ctx, d)) != 0 || (ir = gpgme_op_import_result(ctx)) == NULL) {
		snprintf(why, whylen, "gpg import failed: %s", gpgme_strerror(err));
		r = KEYFETCH_TEMPFAIL;
		goto out;
	}
	for (gpgme_import_status_t st = ir->imports; st != NULL; st = st->next)
		if (st->fpr != NULL && strcasecmp(st->fpr, fpr) != 0) {
			/* cannot happen after gpg_sees; said loudly if it ever does */
			snprintf(why, whylen, "gpg imported key %s, not the one asked for", st->fpr);
			r = KEYFETCH_REFUSED;
			goto out;
		}
	r = import_verdict(ir, cert.others, why, whylen);
out:
	gpgme_data_release(d);
	gpgme_release(ctx);
	free(bin);
	return r;
}

/* keyfetch_get_url - the answer at an https URL */
enum keyfetch_result keyfetch_get_url(const struct keyfetch_config *c, const char *url,
				      uint8_t **data, size_t *len, char *why, size_t whylen)
{
	return outcome_result(fetch(c, url, data, len, why, whylen));
}

/* keyfetch_certs - the fingerprints of the certificates of an answer (opgp_cert_list) */
enum keyfetch_result keyfetch_certs(const uint8_t *data, size_t len, char (*fprs)[41],
				    size_t max, size_t *n, char *why, size_t whylen)
{
	uint8_t *bin = NULL, (*bfpr)[20];
	const uint8_t *block = data;
	size_t blen = len, off;
	enum opgp_status s;
	char w[300];

	*n = 0;
	if (max == 0 || (bfpr = calloc(max, sizeof(*bfpr))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return KEYFETCH_TEMPFAIL;
	}
	if (armored(data, len, &off)) {
		if ((s = opgp_dearmor_keys((const char *)data + off, len - off, &bin, &blen)) !=
		    OPGP_OK) {
			free(bfpr);
			snprintf(why, whylen, "not a public key block: %s", opgp_strerror(s));
			return s == OPGP_E_NOMEM ? KEYFETCH_TEMPFAIL : KEYFETCH_REFUSED;
		}
		block = bin;
	}
	s = opgp_cert_list(block, blen, bfpr, max, n, w, sizeof w);
	free(bin);
	if (s != OPGP_OK) {
		*n = 0;
		free(bfpr);
		snprintf(why, whylen, "%s: %s", s == OPGP_E_NOKEY ? "no key in the answer" :
			 "malformed key block", w);
		return s == OPGP_E_NOMEM ? KEYFETCH_TEMPFAIL : KEYFETCH_REFUSED;
	}
	for (size_t k = 0; k < *n; k++)
		for (size_t i = 0; i < 20; i++)
			snprintf(fprs[k] + 2 * i, 3, "%02X", bfpr[k][i]);
	free(bfpr);
	return KEYFETCH_UPDATED;
}

/* keyfetch_refresh - one source for one subscriber */
enum keyfetch_result keyfetch_refresh(const struct keyfetch_config *c, enum keyfetch_source src,
				      const char *address, const char *fpr, char *why,
				      size_t whylen)
{
	uint8_t *data;
	size_t len;
	char url[2048], w[400];
	enum keyfetch_result r;

	r = keyfetch_get(c, src, address, fpr, &data, &len, url, sizeof url, why, whylen);
	if (r != KEYFETCH_UPDATED)
		return r;
	r = keyfetch_import(c, fpr, data, len, src == KEYFETCH_WKD ? "wkd" : "ks", w, sizeof w);
	free(data);
	snprintf(why, whylen, "%s: %s", url, w);	/* where it came from, for the log */
	return r;
}
