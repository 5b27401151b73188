/*
 * tests/openpgp/pw-roster.c - drive the roster (milter/lists/roster.c, roster-build.c) from
 * the command line: make a list's roster with GnuPG, and judge and split a post made to it.
 *
 * NAME
 *	pw-roster - roster_build/roster_save, roster_index_build/roster_post_check/roster_copy
 *
 * SYNOPSIS
 *	pw-roster build HOME LISTADDR LISTFPR DIR NAME [-h] FPR=ADDR...
 *	pw-roster check ROSTER LISTFPR OUTDIR FPR... < POST
 *
 * DESCRIPTION
 *	build: the roster of the list LISTADDR (key LISTFPR) for the subscribers FPR=ADDR, made
 *	from the GnuPG home HOME (the list's secret key and the subscribers' keys) and saved as
 *	DIR/NAME.roster.asc and DIR/NAME.roster.asc.sig; -h hides the addresses.  Prints
 *	"certs=N missing=N all_uids=N no_direct=N".
 *
 *	check: POST (binary or armored) against the roster file ROSTER for the members FPR...
 *	(in that order, numbered from 1); prints one line "verdict=V members=N covered=N
 *	missing=N pkesk=N list=N outsider=N anonymous=N skesk=N format=F" and writes
 *	OUTDIR/I.asc, member I's copy, for every member a PKESK names.
 *
 * DIAGNOSTICS
 *	Exit 0 on success; 1 with "pw-roster: REASON" on standard error when the module refused;
 *	2 on usage or I/O errors.
 */
#include "lists/roster-build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POST_MAX (64u << 20)

/* slurp - all of F into a malloc'd buffer (NUL-terminated), *LEN octets; NULL on error */
static uint8_t *slurp(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	uint8_t *b = malloc(cap + 1), *nb;

	while (b != NULL) {
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (n < cap)
			break;
		if (cap >= POST_MAX || (nb = realloc(b, 2 * cap + 1)) == NULL) {
			free(b);
			return NULL;
		}
		b = nb;
		cap *= 2;
	}
	if (b == NULL || ferror(f)) {
		free(b);
		return NULL;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

/* build - the build command */
static int build(int argc, char **argv)
{
	struct roster_sub *subs = calloc((size_t)argc + 1, sizeof *subs);
	struct roster_files rf;
	size_t n = 0;
	bool hide = false;
	char why[512];
	int rc = 0;

	if (subs == NULL)
		return 2;
	for (int i = 6; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (strcmp(argv[i], "-h") == 0) {
			hide = true;
			continue;
		}
		if (eq == NULL) {
			fprintf(stderr, "pw-roster: %s is not FPR=ADDR\n", argv[i]);
			free(subs);
			return 2;
		}
		*eq = '\0';
		subs[n].fpr = argv[i];
		subs[n++].addr = eq + 1;
	}
	if (!pgp_global_init(argv[1], why, sizeof why)) {
		fprintf(stderr, "pw-roster: %s\n", why);
		free(subs);
		return 2;
	}
	if (roster_build(argv[2], argv[3], subs, n, hide, &rf, why, sizeof why) != PGP_OK) {
		fprintf(stderr, "pw-roster: %s\n", why);
		rc = 1;
	} else if (!roster_save(argv[4], argv[5], &rf, why, sizeof why)) {
		fprintf(stderr, "pw-roster: %s\n", why);
		rc = 2;
	} else {
		printf("certs=%zu missing=%zu all_uids=%zu no_direct=%zu\n", rf.stats.certs,
		       rf.stats.missing, rf.stats.all_uids, rf.stats.no_direct);
	}
	roster_files_clear(&rf);
	pgp_global_end();
	free(subs);
	return rc;
}

/* check - the check command */
static int check(int argc, char **argv)
{
	struct roster_index ix;
	struct roster_post rp;
	uint8_t *ring = NULL, *post = NULL;
	size_t rlen = 0, plen = 0, n = (size_t)argc - 4;
	FILE *f = fopen(argv[1], "rb");
	char why[512];
	int rc = 0;

	if (f == NULL || (ring = slurp(f, &rlen)) == NULL) {
		fprintf(stderr, "pw-roster: cannot read %s\n", argv[1]);
		if (f != NULL)
			fclose(f);
		return 2;
	}
	fclose(f);
	if ((post = slurp(stdin, &plen)) == NULL) {
		fputs("pw-roster: standard input: unreadable or too long\n", stderr);
		free(ring);
		return 2;
	}
	if (roster_index_build(ring, rlen, argv[2], (const char *const *)argv + 4, n, &ix, why,
			       sizeof why) != OPGP_OK) {
		fprintf(stderr, "pw-roster: roster: %s\n", why);
		free(ring);
		free(post);
		return 1;
	}
	if (roster_post_check(post, plen, &ix, &rp, why, sizeof why) != OPGP_OK) {
		fprintf(stderr, "pw-roster: post: %s\n", why);
		rc = 1;
		goto out;
	}
	printf("verdict=%s members=%zu covered=%zu missing=%zu pkesk=%zu list=%zu outsider=%zu "
	       "anonymous=%zu skesk=%zu format=%s\n", roster_verdict_name(rp.verdict),
	       rp.n_members, rp.n_covered, rp.n_missing, rp.n_pkesk, rp.n_list, rp.n_outsider,
	       rp.n_anonymous, rp.n_skesk, opgp_format_name(rp.split.format));
	for (size_t m = 0; m < n && rc == 0; m++) {
		char *arm = NULL, path[4096];
		size_t alen = 0;
		enum opgp_status s = roster_copy(&rp, &ix, m, &arm, &alen);

		if (s == OPGP_E_NOKEY)
			continue;
		snprintf(path, sizeof path, "%s/%zu.asc", argv[3], m + 1);
		if (s != OPGP_OK || (f = fopen(path, "w")) == NULL) {
			fprintf(stderr, "pw-roster: copy %zu: %s\n", m + 1,
				s != OPGP_OK ? opgp_strerror(s) : "cannot write");
			rc = 2;
		} else {
			if (fwrite(arm, 1, alen, f) != alen)
				rc = 2;
			if (fclose(f) != 0)
				rc = 2;
		}
		free(arm);
	}
	roster_post_clear(&rp);
out:
	roster_index_clear(&ix);
	free(ring);
	free(post);
	return rc;
}

/* main - dispatch */
int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "build") == 0)
		return build(argc - 1, argv + 1);
	if (argc >= 5 && strcmp(argv[1], "check") == 0)
		return check(argc - 1, argv + 1);
	fputs("usage: pw-roster build HOME LISTADDR LISTFPR DIR NAME [-h] FPR=ADDR...\n"
	      "       pw-roster check ROSTER LISTFPR OUTDIR FPR... < POST\n", stderr);
	return 2;
}
