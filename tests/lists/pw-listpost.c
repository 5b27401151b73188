/*
 * tests/lists/pw-listpost.c - drive milter/lists/listpost.c from the command line, for shell tests
 * with real gpg and openssl.
 *
 * usage: pw-listpost parse PAYLOAD < MESSAGE
 *	  pw-listpost copy LIST LIST-ID PAYLOAD [requiretls] < MESSAGE > COPY
 * parse prints "KIND<TAB>WHY" (KIND: pgpmime, pgpinline, smime, plain or bad; WHY may be
 * empty) and, for the three encrypted kinds, writes the payload (armor text or DER) to the
 * file PAYLOAD.  copy parses MESSAGE, then writes to stdout the copy listpost_copy() makes
 * with the contents of the file PAYLOAD (armor or DER) as its new payload, List-Id LIST-ID
 * without a phrase, and the tag X-Postward-TLS when "requiretls" is given.
 * Exit 0 for an encrypted post (and a written copy), 1 for a plain or bad one, 2 for usage,
 * I/O or memory errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists/listpost.h"

/* slurp - all of F (malloc'd) into *BUF and *LEN; false on error */
static bool slurp(FILE *f, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *b = malloc(cap), *nb;

	if (b == NULL)
		return false;
	while ((got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if ((nb = realloc(b, cap *= 2)) == NULL) {
				free(b);
				return false;
			}
			b = nb;
		}
	}
	if (ferror(f)) {
		free(b);
		return false;
	}
	*buf = b;
	*len = n;
	return true;
}

/* kind_name - the name printed for K */
static const char *kind_name(enum listpost_kind k)
{
	static const char *const names[] = { "plain", "pgpmime", "pgpinline", "smime", "bad" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

int main(int argc, char **argv)
{
	struct listpost p;
	char *msg = NULL, *pay = NULL, *copy = NULL;
	size_t len = 0, paylen = 0, copylen = 0;
	FILE *f;
	int rc = 2;
	bool is_parse = argc == 3 && strcmp(argv[1], "parse") == 0;
	bool is_copy = (argc == 5 || (argc == 6 && strcmp(argv[5], "requiretls") == 0)) &&
		       strcmp(argv[1], "copy") == 0;

	if (!is_parse && !is_copy) {
		fprintf(stderr, "usage: pw-listpost parse PAYLOAD < MESSAGE\n"
			"       pw-listpost copy LIST LIST-ID PAYLOAD [requiretls] "
			"< MESSAGE > COPY\n");
		return 2;
	}
	if (!slurp(stdin, &msg, &len) || !listpost_parse(msg, len, &p)) {
		fprintf(stderr, "pw-listpost: cannot read the message\n");
		free(msg);
		return 2;
	}
	if (p.kind == LISTPOST_PLAIN || p.kind == LISTPOST_BAD) {
		printf("%s\t%s\n", kind_name(p.kind), p.why);
		rc = 1;
	} else if (is_parse) {
		printf("%s\t%s\n", kind_name(p.kind), p.why);
		if ((f = fopen(argv[2], "wb")) == NULL ||
		    fwrite(p.payload, 1, p.payload_len, f) != p.payload_len || fclose(f) != 0)
			perror(argv[2]);
		else
			rc = 0;
	} else {
		struct listpost_copy_args a = {
			.list = argv[2], .list_id = argv[3], .list_phrase = NULL,
			.requiretls = argc == 6, .tag_header = "X-Postward-TLS",
		};
		if ((f = fopen(argv[4], "rb")) == NULL || !slurp(f, &pay, &paylen)) {
			perror(argv[4]);
		} else if (!listpost_copy(msg, len, &p, &a, (const uint8_t *)pay, paylen, &copy,
					  &copylen)) {
			fprintf(stderr, "pw-listpost: listpost_copy failed\n");
		} else if (fwrite(copy, 1, copylen, stdout) != copylen || fflush(stdout) != 0) {
			perror("stdout");
		} else {
			rc = 0;
		}
		if (f != NULL)
			fclose(f);
	}
	listpost_clear(&p);
	free(copy);
	free(pay);
	free(msg);
	return rc;
}
