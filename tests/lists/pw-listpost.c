/*
 * tests/lists/pw-listpost.c - drive milter/lists/listpost.c from the command line, for shell tests
 * with real gpg and openssl.
 *
 * usage: pw-listpost parse PAYLOAD < MESSAGE
 *	  pw-listpost copy [OPTIONS] LIST LIST-ID PAYLOAD [requiretls] < MESSAGE > COPY
 * parse prints "KIND<TAB>WHY" (KIND: pgpmime, pgpinline, smime, plain or bad; WHY may be
 * empty) and, for the three encrypted kinds, writes the payload (armor text or DER) to the
 * file PAYLOAD.  copy parses MESSAGE, then writes to stdout the copy listpost_copy() makes
 * with the contents of the file PAYLOAD (armor or DER) as its new payload, List-Id LIST-ID
 * without a phrase, and the tag X-Postward-TLS when "requiretls" is given.  OPTIONS set the
 * header fields of issue 12: --request ADDR, --owner ADDR (List-Help/-Unsubscribe/-Subscribe,
 * List-Owner), --from-rewrite NAME (the DMARC From rewrite with the list's name NAME),
 * --prefix TEXT (the Subject prefix), --autocrypt FILE (Autocrypt keydata: the list's
 * certificate, binary).
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
	bool is_parse = argc == 3 && strcmp(argv[1], "parse") == 0, is_copy = false;
	struct listpost_copy_args opt = { 0 };
	char *ac = NULL;
	size_t aclen = 0;
	int k = 2;

	while (argc > 1 && strcmp(argv[1], "copy") == 0 && k + 1 < argc &&
	       strncmp(argv[k], "--", 2) == 0) {
		if (strcmp(argv[k], "--request") == 0) {
			opt.request = argv[k + 1];
		} else if (strcmp(argv[k], "--owner") == 0) {
			opt.owner = argv[k + 1];
		} else if (strcmp(argv[k], "--from-rewrite") == 0) {
			opt.from_rewrite = true;
			opt.list_name = argv[k + 1];
		} else if (strcmp(argv[k], "--prefix") == 0) {
			opt.subject_prefix = argv[k + 1];
		} else if (strcmp(argv[k], "--autocrypt") == 0) {
			if ((f = fopen(argv[k + 1], "rb")) == NULL || !slurp(f, &ac, &aclen)) {
				perror(argv[k + 1]);
				return 2;
			}
			fclose(f);
			opt.autocrypt_keydata = (const uint8_t *)ac;
			opt.autocrypt_len = aclen;
		} else {
			break;
		}
		k += 2;
	}
	/* the positional arguments of copy moved down past the options */
	if (k > 2) {
		for (int i = k; i <= argc; i++)
			argv[i - k + 2] = argv[i];
		argc -= k - 2;
	}
	is_copy = (argc == 5 || (argc == 6 && strcmp(argv[5], "requiretls") == 0)) &&
		  strcmp(argv[1], "copy") == 0;

	if (!is_parse && !is_copy) {
		fprintf(stderr, "usage: pw-listpost parse PAYLOAD < MESSAGE\n"
			"       pw-listpost copy [--request ADDR] [--owner ADDR] [--from-rewrite "
			"NAME] [--prefix TEXT] [--autocrypt FILE] LIST LIST-ID PAYLOAD "
			"[requiretls] < MESSAGE > COPY\n");
		free(ac);
		return 2;
	}
	if (!slurp(stdin, &msg, &len) || !listpost_parse(msg, len, &p)) {
		fprintf(stderr, "pw-listpost: cannot read the message\n");
		free(msg);
		free(ac);
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
		struct listpost_copy_args a = opt;
		a.list = argv[2];
		a.list_id = argv[3];
		a.list_phrase = NULL;
		a.requiretls = argc == 6;
		a.tag_header = "X-Postward-TLS";
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
	free(ac);
	return rc;
}
