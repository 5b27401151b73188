/*
 * tests/dkim/pw-dkimverify.c - verify the DKIM signatures of message files with milter/dkim/dkim.c.
 *
 * NAME
 *	pw-dkimverify - offline DKIM verifier for tests and benchmarks
 *
 * SYNOPSIS
 *	pw-dkimverify [-L] [-c chunk] [-t now] [-r repeat] -k keyfile message...
 *
 * DESCRIPTION
 *	Reads each message (LF or CRLF line ends; a leading mbox "From " line is skipped), feeds
 *	it to milter/dkim/dkim.c the way the milter does (header fields with their leading space and
 *	folds, then the body with CRLF line ends in chunks of -c octets, default 65536) and
 *	prints one line per signature:
 *		d=DOMAIN s=SELECTOR result=RESULT reason=REASON
 *	prefixed with "FILE: " when more than one message is given.  A message without
 *	signatures prints "d= s= result=none reason=no signatures".
 *
 *	No DNS: key records come from KEYFILE, one per line, "QUERYNAME TXT-VALUE", where the
 *	value is the record text, or zone-file style quoted strings ("v=DKIM1; " "p=...") which
 *	are joined, or !tempfail for a lookup that fails temporarily.  Several lines with one
 *	name make several records.  A name with no line is NXDOMAIN.  Names compare without
 *	case and without a trailing dot.  Lines starting with '#' are comments.
 *
 *	-L hands the keys in after the end of the body instead of right after the header.
 *	-t pins the clock (seconds since the epoch; default: now).  -r verifies each message
 *	REPEAT times and prints only the last run (for timing).
 *
 * DIAGNOSTICS
 *	Exit 0 when every signature passed, 1 when one did not (or a message had none),
 *	2 on usage, I/O or memory errors.
 */
#include "dkim/dkim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_KEYS 100000

struct keyline {
	char *name;
	char *value;
};

struct keys {
	struct keyline *v;
	size_t n;
};

/* die - usage or environment error */
static void die(const char *what)
{
	fprintf(stderr, "pw-dkimverify: %s\n", what);
	exit(2);
}

/* read_file - whole file into memory, NUL-terminated */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 65536, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* norm_name - strip a trailing dot, lower case */
static void norm_name(char *s)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

/* unquote - join zone-file quoted strings in place; plain text is left alone */
static void unquote(char *s)
{
	char *w = s;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"')
		return;
	while (*p) {
		if (*p != '"') {
			p++;
			continue;
		}
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			*w++ = *p++;
		}
		if (*p == '"')
			p++;
	}
	*w = '\0';
}

/* load_keys - read the key file */
static void load_keys(const char *path, struct keys *k)
{
	size_t len;
	char *buf = read_file(path, &len);
	char *save = NULL;

	if (buf == NULL)
		die("cannot read key file");
	k->v = calloc(MAX_KEYS, sizeof(*k->v));
	if (k->v == NULL)
		die("out of memory");
	for (char *line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		if (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		char *sp = line + strcspn(line, " \t");
		if (*sp == '\0')
			continue;
		*sp++ = '\0';
		while (*sp == ' ' || *sp == '\t')
			sp++;
		if (k->n >= MAX_KEYS)
			die("too many key lines");
		k->v[k->n].name = strdup(line);
		k->v[k->n].value = strdup(sp);
		if (k->v[k->n].name == NULL || k->v[k->n].value == NULL)
			die("out of memory");
		norm_name(k->v[k->n].name);
		unquote(k->v[k->n].value);
		k->n++;
	}
	free(buf);
}

/* give_key - answer one signature's lookup from the key file */
static void give_key(struct dkim_ctx *ctx, size_t i, const struct keys *k)
{
	const struct dkim_sig_info *si = dkim_sig(ctx, i);
	const char *txt[DKIM_MAX_RECORDS];
	size_t n = 0;
	char q[300];

	if (si == NULL || !si->want_key)
		return;
	snprintf(q, sizeof(q), "%s", si->query);
	norm_name(q);
	for (size_t j = 0; j < k->n; j++) {
		if (strcmp(k->v[j].name, q) != 0)
			continue;
		if (strcmp(k->v[j].value, "!tempfail") == 0) {
			dkim_sig_key(ctx, i, DKIM_KEY_TEMPFAIL, NULL, 0);
			return;
		}
		if (n < DKIM_MAX_RECORDS)
			txt[n++] = k->v[j].value;
	}
	dkim_sig_key(ctx, i, n > 0 ? DKIM_KEY_FOUND : DKIM_KEY_NONE, txt, n);
}

/* next_line - the line at *P (without its LF or CRLF); advances *P; false at the end */
static bool next_line(const char **p, const char *end, const char **line, size_t *len,
		      bool *had_lf)
{
	if (*p >= end)
		return false;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl != NULL ? nl : end;
	*line = *p;
	*len = (size_t)(e - *p);
	if (*len > 0 && (*line)[*len - 1] == '\r' && nl != NULL)
		(*len)--;
	*had_lf = nl != NULL;
	*p = nl != NULL ? nl + 1 : end;
	return true;
}

/* flush_field - hand one gathered field to the context */
static bool flush_field(struct dkim_ctx *ctx, char *field, size_t len)
{
	if (len == 0)
		return true;
	field[len] = '\0';
	char *colon = strchr(field, ':');
	if (colon == NULL)
		return true;		/* not a field: skipped, as an MTA would not pass it */
	*colon = '\0';
	enum dkim_status st = dkim_header(ctx, field, colon + 1);
	return st == DKIM_OK || st == DKIM_ERR_LIMIT;
}

/* verify_one - run one message through a fresh context; the context is returned */
static struct dkim_ctx *verify_one(const char *msg, size_t msglen, const struct keys *k,
				   size_t chunk, time_t now, bool late)
{
	struct dkim_ctx *ctx;
	const char *p = msg, *end = msg + msglen, *line;
	size_t len, flen = 0, fcap = 0;
	bool had_lf, first = true;
	char *field = NULL;

	if (dkim_new(NULL, now, &ctx) != DKIM_OK)
		die("out of memory");
	/* header */
	while (next_line(&p, end, &line, &len, &had_lf)) {
		if (first && len >= 5 && memcmp(line, "From ", 5) == 0) {
			first = false;
			continue;
		}
		first = false;
		if (len == 0)
			break;
		if (flen + len + 3 > fcap) {
			fcap = (flen + len + 3) * 2;
			char *nf = realloc(field, fcap);
			if (nf == NULL)
				die("out of memory");
			field = nf;
		}
		if (line[0] != ' ' && line[0] != '\t') {
			if (!flush_field(ctx, field, flen))
				die("dkim_header failed");
			flen = 0;
		} else if (flen > 0) {
			field[flen++] = '\r';
			field[flen++] = '\n';
		}
		memcpy(field + flen, line, len);
		flen += len;
	}
	if (field != NULL && !flush_field(ctx, field, flen))
		die("dkim_header failed");
	free(field);
	dkim_eoh(ctx);
	if (!late)
		for (size_t i = 0; i < dkim_nsigs(ctx); i++)
			give_key(ctx, i, k);

	/* body: CRLF line ends, fed in CHUNK-sized pieces */
	unsigned char *buf = malloc(chunk + 2);
	size_t blen = 0;
	if (buf == NULL)
		die("out of memory");
	while (next_line(&p, end, &line, &len, &had_lf)) {
		for (size_t i = 0; i < len + (had_lf ? 2 : 0); i++) {
			buf[blen++] = i < len ? (unsigned char)line[i] : (i == len ? '\r' : '\n');
			if (blen == chunk) {
				dkim_body(ctx, buf, blen);
				blen = 0;
			}
		}
	}
	if (blen > 0)
		dkim_body(ctx, buf, blen);
	free(buf);
	dkim_eom(ctx);
	if (late)
		for (size_t i = 0; i < dkim_nsigs(ctx); i++)
			give_key(ctx, i, k);
	return ctx;
}

/* main - verify each message named on the command line */
int main(int argc, char **argv)
{
	const char *keyfile = NULL;
	size_t chunk = 65536;
	long repeat = 1;
	time_t now = time(NULL);
	bool late = false, all_pass = true;
	int c;

	while ((c = getopt(argc, argv, "Lc:k:r:t:")) != -1) {
		switch (c) {
		case 'L':
			late = true;
			break;
		case 'c':
			chunk = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			break;
		case 't':
			now = (time_t)strtoll(optarg, NULL, 10);
			break;
		default:
			die("usage: pw-dkimverify [-L] [-c chunk] [-t now] [-r repeat] -k keyfile message...");
		}
	}
	if (keyfile == NULL || optind >= argc || chunk == 0 || repeat < 1)
		die("usage: pw-dkimverify [-L] [-c chunk] [-t now] [-r repeat] -k keyfile message...");

	struct keys keys = { NULL, 0 };
	load_keys(keyfile, &keys);
	bool many = argc - optind > 1;
	for (int a = optind; a < argc; a++) {
		size_t msglen;
		char *msg = read_file(argv[a], &msglen);
		if (msg == NULL) {
			fprintf(stderr, "pw-dkimverify: %s: %s\n", argv[a], strerror(errno));
			exit(2);
		}
		struct dkim_ctx *ctx = NULL;
		for (long r = 0; r < repeat; r++) {
			dkim_free(ctx);
			ctx = verify_one(msg, msglen, &keys, chunk, now, late);
		}
		if (dkim_nsigs(ctx) == 0) {
			printf("%s%sd= s= result=none reason=no signatures\n", many ? argv[a] : "",
			       many ? ": " : "");
			all_pass = false;
		}
		for (size_t i = 0; i < dkim_nsigs(ctx); i++) {
			const struct dkim_sig_info *si = dkim_sig(ctx, i);
			const char *reason;
			enum dkim_result res = dkim_sig_result(ctx, i, &reason);
			printf("%s%sd=%s s=%s result=%s reason=%s\n", many ? argv[a] : "",
			       many ? ": " : "", si->domain, si->selector, dkim_result_name(res),
			       reason);
			if (res != DKIM_RESULT_PASS)
				all_pass = false;
		}
		dkim_free(ctx);
		free(msg);
	}
	for (size_t i = 0; i < keys.n; i++) {
		free(keys.v[i].name);
		free(keys.v[i].value);
	}
	free(keys.v);
	return all_pass ? 0 : 1;
}
