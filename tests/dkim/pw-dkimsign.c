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
 *	Loads each key (one signer per -k; the Nth -k goes with the Nth -d and the Nth -s),
 *	signs MESSAGE with all of them at once (dkim_sign) at time -t
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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* read_file - whole file, NUL-terminated; NULL with errno set on failure */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size >= 0 && (buf = malloc((size_t)st.st_size + 1))) {
		ssize_t r = read(fd, buf, (size_t)st.st_size);
		if (r != (ssize_t)st.st_size) {
			free(buf);
			buf = NULL;
			errno = r < 0 ? errno : EIO;
		} else {
			buf[r] = '\0';
			*len = (size_t)r;
		}
	}
	close(fd);
	return buf;
}

/* main - sign one message */
int main(int argc, char **argv)
{
	/* the -k, -d and -s arguments, in the order given */
	const char *args[3][DKIM_SIGN_MAX_SIGNERS];
	size_t nargs[3] = { 0, 0, 0 };
	const char *const letters = "kds", *path = NULL;
	time_t t = time(NULL);
	long repeat = 0;
	bool record = false;

	/* options and the message path, in any order; every option but -R takes a value */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-R") == 0) {
			record = true;
		} else if (a[0] != '-') {
			if (path != NULL)
				die(USAGE, NULL);
			path = a;
		} else if (a[1] == '\0' || a[2] != '\0' || strchr("kdsnt", a[1]) == NULL ||
			   i + 1 == argc) {
			die(USAGE, NULL);
		} else if (a[1] == 'n') {
			repeat = strtol(argv[++i], NULL, 10);
		} else if (a[1] == 't') {
			t = (time_t)strtoll(argv[++i], NULL, 10);
		} else {
			size_t w = (size_t)(strchr(letters, a[1]) - letters);
			if (nargs[w] == DKIM_SIGN_MAX_SIGNERS)
				die("too many keys", NULL);
			args[w][nargs[w]++] = argv[++i];
		}
	}
	size_t nk = nargs[0];
	if (nk == 0 || nk != nargs[1] || nk != nargs[2] || (!record && path == NULL) ||
	    repeat < 0)
		die(USAGE, NULL);

	struct dkim_signer *sg[DKIM_SIGN_MAX_SIGNERS];
	for (size_t i = 0; i < nk; i++) {
		char err[512];
		if (dkim_signer_load(args[1][i], args[2][i], args[0][i], &sg[i], err, sizeof(err)) !=
		    DKIM_OK)
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
	char *msg = read_file(path, &len);
	if (msg == NULL)
		die(path, strerror(errno));
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
		fprintf(stderr, "pw-dkimsign: %s: %s (%s)\n", path, reason,
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
