/*
 * tests/dkim/pw-dkimsign.c - sign a message file with milter/dkim/dkim-sign.c.
 *
 * NAME
 *	pw-dkimsign - offline DKIM signer for tests and timing
 *
 * SYNOPSIS
 *	pw-dkimsign [-t time] [-n repeat] -k keyfile -d domain -s selector [-k ... -d ... -s ...]
 *		    message
 *	pw-dkimsign -R -k keyfile -d domain -s selector [...]
 *
 * DESCRIPTION
 *	Loads each key (one signer per -k, taking the -d and -s given before it, or after it
 *	up to the next -k), signs MESSAGE with all of them at once (dkim_sign) at time -t
 *	(seconds since the epoch; default: now) and writes the signed message to standard
 *	output: the DKIM-Signature fields, then the message unchanged.  The fields come with
 *	the message's own line ends: CRLF if its first line ends in CRLF, LF otherwise.
 *	-R prints, instead, one line per key: "SELECTOR._domainkey.DOMAIN RECORD".
 *	-n signs REPEAT times and prints "signatures/s: N" on standard error (timing).
 *
 * DIAGNOSTICS
 *	Exit 0 on success, 1 when signing failed (the reason on standard error), 2 on usage,
 *	key or I/O errors.
 */
#include "dkim/dkim-sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define USAGE "usage: pw-dkimsign [-R] [-t time] [-n repeat] -k keyfile -d domain -s selector " \
	      "[-k ...] message"

/* die - usage or environment error */
static void die(const char *a, const char *b)
{
	fprintf(stderr, "pw-dkimsign: %s%s%s\n", a, b ? ": " : "", b ? b : "");
	exit(2);
}

/* read_file - whole file, NUL-terminated */
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
			if (nb == NULL)
				die("out of memory", NULL);
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 65536, f);
		n += r;
		if (r == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* main - sign one message */
int main(int argc, char **argv)
{
	const char *keys[DKIM_SIGN_MAX_SIGNERS], *doms[DKIM_SIGN_MAX_SIGNERS],
		   *sels[DKIM_SIGN_MAX_SIGNERS];
	size_t nk = 0, nd = 0, ns = 0;
	time_t t = time(NULL);
	long repeat = 0;
	bool record = false;
	int c;

	while ((c = getopt(argc, argv, "Rd:k:n:s:t:")) != -1) {
		switch (c) {
		case 'R':
			record = true;
			break;
		case 'd':
			if (nd == DKIM_SIGN_MAX_SIGNERS)
				die("too many -d", NULL);
			doms[nd++] = optarg;
			break;
		case 'k':
			if (nk == DKIM_SIGN_MAX_SIGNERS)
				die("too many -k", NULL);
			keys[nk++] = optarg;
			break;
		case 's':
			if (ns == DKIM_SIGN_MAX_SIGNERS)
				die("too many -s", NULL);
			sels[ns++] = optarg;
			break;
		case 'n':
			repeat = strtol(optarg, NULL, 10);
			break;
		case 't':
			t = (time_t)strtoll(optarg, NULL, 10);
			break;
		default:
			die(USAGE, NULL);
		}
	}
	if (nk == 0 || nk != nd || nk != ns || (!record && optind + 1 != argc) || repeat < 0)
		die(USAGE, NULL);

	struct dkim_signer *sg[DKIM_SIGN_MAX_SIGNERS];
	for (size_t i = 0; i < nk; i++) {
		char err[512];
		if (dkim_signer_load(doms[i], sels[i], keys[i], &sg[i], err, sizeof(err)) != DKIM_OK)
			die(err, NULL);
	}
	if (record) {
		for (size_t i = 0; i < nk; i++) {
			char *r;
			if (dkim_signer_record(sg[i], &r) != DKIM_OK)
				die("cannot make the key record", NULL);
			printf("%s._domainkey.%s %s\n", dkim_signer_selector(sg[i]),
			       dkim_signer_domain(sg[i]), r);
			free(r);
			dkim_signer_free(sg[i]);
		}
		return 0;
	}

	size_t len;
	char *msg = read_file(argv[optind], &len);
	if (msg == NULL)
		die(argv[optind], strerror(errno));
	char *hdr = NULL;
	const char *reason;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long runs = repeat > 0 ? repeat : 1;
	enum dkim_status st = DKIM_OK;
	for (long r = 0; r < runs && st == DKIM_OK; r++) {
		free(hdr);
		hdr = NULL;
		st = dkim_sign((const struct dkim_signer *const *)sg, nk, msg, len, t, &hdr, &reason);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int rc = 0;
	if (st != DKIM_OK) {
		fprintf(stderr, "pw-dkimsign: %s: %s (%s)\n", argv[optind], reason,
			dkim_status_text(st));
		rc = 1;
	} else {
		if (repeat > 0) {
			double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
			fprintf(stderr, "signatures/s: %.0f\n", (double)runs * (double)nk / s);
		}
		const char *nl = memchr(msg, '\n', len);
		bool crlf = nl != NULL && nl > msg && nl[-1] == '\r';
		for (const char *p = hdr; *p; p++)
			if (crlf || *p != '\r')
				putchar(*p);
		fwrite(msg, 1, len, stdout);
		if (fflush(stdout) != 0)
			rc = 2;
	}
	free(hdr);
	free(msg);
	for (size_t i = 0; i < nk; i++)
		dkim_signer_free(sg[i]);
	return rc;
}
