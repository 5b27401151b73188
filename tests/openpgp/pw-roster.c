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
 *	pw-roster mail ROSTER LISTFPR OUTDIR FPR... < MESSAGE
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
 *	OUTDIR/I.asc, member I's copy, for every member a PKESK names.  No gpg runs.
 *
 *	mail: MESSAGE is a whole PGP/MIME or inline post (listpost_parse); its payload is
 *	judged as by check ("verdict=V covered=N missing=N") and every member's copy is built
 *	through the fan-out (roster_copies_ops, two builder threads) into OUTDIR/I.eml; a
 *	member no PKESK names prints "skip I: REASON".
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

/* save - LEN octets of BUF as DIR/I.EXT; false when it cannot be written */
static bool save(const char *dir, size_t i, const char *ext, const char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	bool ok;

	snprintf(path, sizeof path, "%s/%zu.%s", dir, i, ext);
	if ((f = fopen(path, "w")) == NULL)
		return false;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok;
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
		char *arm = NULL;
		size_t alen = 0;
		enum opgp_status s = roster_copy(&rp, &ix, m, &arm, &alen);

		if (s == OPGP_E_NOKEY)
			continue;
		if (s != OPGP_OK || !save(argv[3], m + 1, "asc", arm, alen)) {
			fprintf(stderr, "pw-roster: copy %zu: %s\n", m + 1,
				s != OPGP_OK ? opgp_strerror(s) : "cannot write");
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

/* mail - the mail command: the members' copies of a whole post through the fan-out */
static int mail(int argc, char **argv)
{
	struct listpost_copy_args args = { .list = "board@lists.example.org",
					   .list_id = "board.lists.example.org",
					   .tag_header = "X-Postward-TLS" };
	struct roster_index ix;
	struct roster_post rp;
	struct listpost lp;
	struct roster_copies rc_ctx;
	struct fanout *fo = NULL;
	uint8_t *ring = NULL, *msg = NULL;
	size_t rlen = 0, mlen = 0, n = (size_t)argc - 4, *items = NULL, n_items = 0;
	FILE *f = fopen(argv[1], "rb");
	char why[512];
	int rc = 0;

	memset(&lp, 0, sizeof lp);
	memset(&rp, 0, sizeof rp);
	memset(&ix, 0, sizeof ix);
	if (f == NULL || (ring = slurp(f, &rlen)) == NULL || (msg = slurp(stdin, &mlen)) == NULL) {
		fprintf(stderr, "pw-roster: cannot read %s or the post\n", argv[1]);
		rc = 2;
		goto out;
	}
	if (!listpost_parse((const char *)msg, mlen, &lp) ||
	    (lp.kind != LISTPOST_PGPMIME && lp.kind != LISTPOST_PGPINLINE)) {
		fprintf(stderr, "pw-roster: not an OpenPGP post: %s\n", lp.why);
		rc = 1;
		goto out;
	}
	if (roster_index_build(ring, rlen, argv[2], (const char *const *)argv + 4, n, &ix, why,
			       sizeof why) != OPGP_OK ||
	    roster_post_check(lp.payload, lp.payload_len, &ix, &rp, why, sizeof why) != OPGP_OK) {
		fprintf(stderr, "pw-roster: %s\n", why);
		rc = 1;
		goto out;
	}
	printf("verdict=%s covered=%zu missing=%zu\n", roster_verdict_name(rp.verdict),
	       rp.n_covered, rp.n_missing);
	if ((items = calloc(n + 1, sizeof *items)) == NULL) {
		rc = 2;
		goto out;
	}
	for (size_t m = 0; m < n; m++)		/* every member, covered or not: skips shown */
		items[n_items++] = m;
	rc_ctx = (struct roster_copies){ .rp = &rp, .ix = &ix, .members = items, .msg =
					 (const char *)msg, .msg_len = mlen, .post = &lp,
					 .args = &args };
	if ((fo = fanout_start(n_items, 2, 4, &roster_copies_ops, &rc_ctx)) == NULL) {
		rc = 2;
		goto out;
	}
	for (size_t k = 0; k < n_items; k++) {
		char *copy = NULL;
		size_t clen = 0;
		enum fanout_result fr = fanout_take(fo, k, &copy, &clen, why, sizeof why);

		if (fr == FANOUT_SKIP) {
			printf("skip %zu: %s\n", items[k] + 1, why);
			continue;
		}
		if (fr != FANOUT_BUILT || !save(argv[3], items[k] + 1, "eml", copy, clen)) {
			fprintf(stderr, "pw-roster: copy %zu: %s\n", items[k] + 1,
				fr != FANOUT_BUILT ? why : "cannot write");
			rc = 2;
		}
		free(copy);
	}
out:
	fanout_stop(fo);
	roster_post_clear(&rp);
	roster_index_clear(&ix);
	listpost_clear(&lp);
	free(items);
	free(ring);
	free(msg);
	return rc;
}

/* main - dispatch */
int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "build") == 0)
		return build(argc - 1, argv + 1);
	if (argc >= 5 && strcmp(argv[1], "check") == 0)
		return check(argc - 1, argv + 1);
	if (argc >= 5 && strcmp(argv[1], "mail") == 0)
		return mail(argc - 1, argv + 1);
	fputs("usage: pw-roster build HOME LISTADDR LISTFPR DIR NAME [-h] FPR=ADDR...\n"
	      "       pw-roster check ROSTER LISTFPR OUTDIR FPR... < POST\n"
	      "       pw-roster mail ROSTER LISTFPR OUTDIR FPR... < MESSAGE\n", stderr);
	return 2;
}
