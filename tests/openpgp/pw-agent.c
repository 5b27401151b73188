/*
 * tests/openpgp/pw-agent.c - drive pgp_agent_pkdecrypt (milter/lists/pgp.c) from the command
 * line: the list key's gpg-agent decrypts one PKESK ciphertext.
 *
 * NAME
 *	pw-agent - one PKDECRYPT through gpgme's Assuan protocol
 *
 * SYNOPSIS
 *	pw-agent HOME GRIP < SEXP > ANSWER
 *	pw-agent HOME subkeys PRIMARY_FPR ARG...
 *	pw-agent HOME cert ARG...
 *
 * DESCRIPTION
 *	SEXP is the ciphertext S-expression (pw-opgp pkesk KEYBLOCK FPR < POST); HOME the GnuPG
 *	home whose agent holds the secret key with keygrip GRIP.  The agent's answer
 *	"(5:value N:...)" is written as it came, for pw-opgp pkesk KEYBLOCK FPR ANSWER.
 *
 *	subkeys asks pgp_key_has_subkey for each ARG that is a key ID (16 hex digits) and prints
 *	"KEYID yes" or "KEYID no"; an ARG "run=COMMAND" runs COMMAND (sh -c) at that point, so a
 *	test changes the keyring between two questions of one process.  Last it prints
 *	"cache hits=H misses=M" (pgp_subkey_cache_stats).
 *
 *	cert exports the certificate of each ARG that is a fingerprint with pgp_export_cert and
 *	prints "FPR OCTETS SHA256HEX" (or "FPR error: WHY"); "run=COMMAND" as above; last
 *	"cache hits=H misses=M" (pgp_cert_cache_stats).
 *
 * DIAGNOSTICS
 *	Exit 0 on success; 1 with "pw-agent: REASON" on standard error when the agent or gpgme
 *	refused; 2 on usage or I/O errors.
 */
#include "lists/pgp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define SEXP_MAX 65536

/* ask_cert - the "cert" mode's question about ARG (FIRST is unused) */
static void ask_cert(const char *first, const char *arg)
{
	uint8_t *data = NULL, md[SHA256_DIGEST_LENGTH];
	size_t len = 0;
	char why[256];

	(void)first;
	if (pgp_export_cert(arg, &data, &len, why, sizeof(why)) != PGP_OK) {
		printf("%s error: %s\n", arg, why);
		return;
	}
	SHA256(data, len, md);
	printf("%s %zu ", arg, len);
	for (size_t k = 0; k < sizeof(md); k++)
		printf("%02x", md[k]);
	putchar('\n');
	free(data);
}

/* ask_subkey - the "subkeys" mode's question: is ARG a key ID of the primary key FIRST */
static void ask_subkey(const char *first, const char *arg)
{
	printf("%s %s\n", arg, pgp_key_has_subkey(first, arg) ? "yes" : "no");
}

/* questions - the cache modes (see the top comment): ASK for each of ARGV[FROM...] but
 * "run=" ones, then the table's STATS */
static int questions(int argc, char **argv, int from, void (*ask)(const char *, const char *),
		     void (*stats)(unsigned long *, unsigned long *))
{
	char why[256];
	unsigned long hits, misses;

	if (!pgp_global_init(argv[1], why, sizeof(why))) {
		fprintf(stderr, "pw-agent: %s\n", why);
		return 2;
	}
	for (int i = from; i < argc; i++) {
		if (strncmp(argv[i], "run=", 4) != 0) {
			ask(argv[3], argv[i]);
			continue;
		}
		fflush(stdout);
		if (system(argv[i] + 4) != 0) {
			fprintf(stderr, "pw-agent: %s failed\n", argv[i] + 4);
			pgp_global_end();
			return 2;
		}
	}
	stats(&hits, &misses);
	printf("cache hits=%lu misses=%lu\n", hits, misses);
	pgp_global_end();
	return fflush(stdout) == 0 ? 0 : 2;
}

/* main - read SEXP, ask the agent, write its answer */
int main(int argc, char **argv)
{
	static char sexp[SEXP_MAX];
	char why[256];
	uint8_t *value = NULL;
	size_t slen, vlen = 0;
	int rc = 0;

	if (argc >= 4 && strcmp(argv[2], "subkeys") == 0)
		return questions(argc, argv, 4, ask_subkey, pgp_subkey_cache_stats);
	if (argc >= 4 && strcmp(argv[2], "cert") == 0)
		return questions(argc, argv, 3, ask_cert, pgp_cert_cache_stats);
	if (argc != 3) {
		fputs("usage: pw-agent HOME GRIP < SEXP > ANSWER\n"
		      "       pw-agent HOME subkeys PRIMARY_FPR ARG...\n"
		      "       pw-agent HOME cert ARG...\n", stderr);
		return 2;
	}
	slen = fread(sexp, 1, sizeof(sexp), stdin);
	if (ferror(stdin) || slen == 0 || slen == sizeof(sexp)) {
		fputs("pw-agent: standard input: empty, too long or unreadable\n", stderr);
		return 2;
	}
	if (!pgp_global_init(argv[1], why, sizeof(why))) {
		fprintf(stderr, "pw-agent: %s\n", why);
		return 2;
	}
	if (pgp_agent_pkdecrypt(argv[2], sexp, slen, &value, &vlen, why, sizeof(why)) != PGP_OK) {
		fprintf(stderr, "pw-agent: %s\n", why);
		rc = 1;
	} else if (fwrite(value, 1, vlen, stdout) != vlen || fflush(stdout) != 0) {
		fputs("pw-agent: standard output: write failed\n", stderr);
		rc = 2;
	}
	if (value != NULL)
		OPENSSL_cleanse(value, vlen);
	free(value);
	pgp_global_end();
	return rc;
}
