/*
 * tests/openpgp/pw-opgp.c - drive milter/lists/openpgp.c from the command line.
 *
 * NAME
 *	pw-opgp - split list posts, pick subscriber keys, rewrap session keys, time PKESKs
 *
 * SYNOPSIS
 *	pw-opgp split [FILE]
 *	pw-opgp key KEYBLOCK [FPR]
 *	pw-opgp rewrap [-a] SESSIONKEY KEYBLOCK [FPR] < POST > COPY
 *	pw-opgp bench N SESSIONKEY KEYBLOCK [FPR]
 *	pw-opgp armor [FILE]
 *	pw-opgp dearmor [FILE]
 *	pw-opgp mutate SESSIONKEY KEYBLOCK POST
 *	pw-opgp open SESSIONKEY [FILE] > INNER
 *	pw-opgp unwrap SESSIONKEY [FILE] > INNER
 *	pw-opgp pkesk KEYBLOCK FPR [VALUE] < POST
 *
 * DESCRIPTION
 *	Inputs named FILE (or "-", or absent: standard input) and POST may be binary or ASCII
 *	armored (an input whose first octet is not a packet header is dearmored).  KEYBLOCK is
 *	a binary key block (gpg --export FPR).  SESSIONKEY is "ALGO:HEX" as gpg
 *	--show-session-key and gpgme print it, or @FILE holding that text.  FPR is the 40 hex
 *	digits of the subkey to use; without it the last encryption-capable subkey is taken.
 *
 *	split prints "n_pkesk N", one "pkesk_keyid HEX16" per PKESK (the first 16),
 *	"data_tag T", "data_off O", "data_len L", "format NAME" (opgp_format_name),
 *	"pkesk_version V" (0 without PKESKs) and, for SEIPDv2 and tag 20 data, "data_cipher C",
 *	"data_aead A" and "data_chunk N".
 *
 *	key prints "fpr HEX40", "keyid HEX16", "algo A" and "bits B" (RSA) or "curve NAME"
 *	(as opgp_curve_name() gives it), "kdf_hash H" and "kdf_cipher C" (ECDH).
 *
 *	rewrap writes one new PKESK for the chosen key followed by the post's encrypted data
 *	packet, unchanged; -a armors the result.  The PKESK is v6 before SEIPDv2 data, v3
 *	before the rest (opgp_format_pkesk_version).  Nothing is written on error.
 *
 *	bench builds N PKESKs for the key and prints the microseconds per PKESK, then N
 *	times key-block parsing plus PKESK (the per-subscriber cost when keys come fresh
 *	from gpgme).
 *
 *	open decrypts the post's SEIPD version 2 data with SESSIONKEY (opgp_seipd2_open) and
 *	writes the packets inside; nothing is written unless every chunk and the final tag
 *	authenticate.
 *
 *	unwrap writes the packets inside the post's encryption opened with SESSIONKEY by
 *	opgp_open (SEIPD version 1 or 2): what gpg --unwrap writes; nothing unless the data
 *	authenticates (MDC, AEAD tags).
 *
 *	pkesk writes the ciphertext of POST's PKESK for the key (the list's; FPR "-": the
 *	last encryption subkey) as the S-expression gpg-agent's PKDECRYPT takes
 *	(opgp_pkesk_sexp); with VALUE it reads the agent's answer "(5:value N:...)" from that
 *	file and prints the session key it gives as "ALGO:HEX" (opgp_pkesk_finish; for a v6
 *	PKESK ALGO is the SEIPDv2 data's).
 *
 *	armor and dearmor convert between binary and ASCII armor.
 *
 *	mutate runs the parsers in-process on damaged copies of a binary POST and KEYBLOCK,
 *	for the sanitizer build: every prefix of POST (split), every octet of POST set to
 *	each of its 255 other values (split), every prefix of POST's armor (dearmor), every
 *	prefix of KEYBLOCK and every octet of it changed five ways (key selection, then a
 *	PKESK when a key is still found).  It prints one line per kind, "KIND N refused R",
 *	R counting the inputs that were refused.
 *
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when milter/lists/openpgp.c refused the input, with one line
 *	"pw-opgp: COMMAND: WHAT: TEXT [OPGP_E_...]: REASON" on standard error; 2 on usage
 *	or I/O errors.
 */
#include "lists/openpgp.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#define INPUT_MAX	(256u << 20)	/* octets read from one file */
#define WHY_LEN		256

static const char *cmd = "pw-opgp";

/* usage - print the synopsis and exit 2 */
static void usage(void)
{
	fputs("usage: pw-opgp split [FILE]\n"
	      "       pw-opgp open SESSIONKEY [FILE]\n"
	      "       pw-opgp unwrap SESSIONKEY [FILE]\n"
	      "       pw-opgp pkesk KEYBLOCK FPR [VALUE] < POST\n"
	      "       pw-opgp key KEYBLOCK [FPR]\n"
	      "       pw-opgp rewrap [-a] SESSIONKEY KEYBLOCK [FPR] < POST > COPY\n"
	      "       pw-opgp bench N SESSIONKEY KEYBLOCK [FPR]\n"
	      "       pw-opgp armor [FILE]\n"
	      "       pw-opgp dearmor [FILE]\n"
	      "       pw-opgp mutate SESSIONKEY KEYBLOCK POST\n", stderr);
	exit(2);
}

/* die_io - an I/O or environment error: message and exit 2 */
static void die_io(const char *what, const char *detail)
{
	fprintf(stderr, "pw-opgp: %s: %s: %s\n", cmd, what, detail);
	exit(2);
}

/* status_name - the enum name of a status, for greppable messages */
static const char *status_name(enum opgp_status s)
{
	switch (s) {
	case OPGP_OK:
		return "OPGP_OK";
	case OPGP_E_FORMAT:
		return "OPGP_E_FORMAT";
	case OPGP_E_UNSUPPORTED:
		return "OPGP_E_UNSUPPORTED";
	case OPGP_E_NOKEY:
		return "OPGP_E_NOKEY";
	case OPGP_E_CRYPTO:
		return "OPGP_E_CRYPTO";
	case OPGP_E_NOMEM:
		return "OPGP_E_NOMEM";
	}
	return "OPGP_E_?";
}

/* refuse - milter/lists/openpgp.c said no: one line on standard error; returns 1 */
static int refuse(const char *what, enum opgp_status s, const char *why)
{
	fprintf(stderr, "pw-opgp: %s: %s: %s [%s]%s%s\n", cmd, what, opgp_strerror(s),
		status_name(s), why != NULL && *why ? ": " : "", why != NULL ? why : "");
	return 1;
}

/* read_all - the whole of FILE ("-" or NULL: standard input), at most INPUT_MAX octets */
static uint8_t *read_all(const char *file, size_t *len)
{
	FILE *f = stdin;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	const char *name = file == NULL || strcmp(file, "-") == 0 ? "standard input" : file;
	const char *err = NULL;

	if (file != NULL && strcmp(file, "-") != 0 && (f = fopen(file, "rb")) == NULL)
		die_io(name, strerror(errno));
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *nb;

			if (cap >= INPUT_MAX) {
				err = "input too large";
				break;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				err = "out of memory";
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (err == NULL && ferror(f))
		err = "read error";
	if (f != stdin)
		fclose(f);
	if (err != NULL) {
		free(buf);
		die_io(name, err);
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* write_all - LEN octets to standard output; false on error (reported) */
static bool write_all(const void *p, size_t len)
{
	if (fwrite(p, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "pw-opgp: %s: standard output: %s\n", cmd, strerror(errno));
		return false;
	}
	return true;
}

/* binary_input - FILE as binary OpenPGP, dearmored when it does not start with a packet;
 * NULL when the armor is bad (reported) */
static uint8_t *binary_input(const char *file, size_t *len)
{
	size_t n;
	uint8_t *raw = read_all(file, &n), *bin;
	enum opgp_status s;

	if (n == 0 || (raw[0] & 0x80)) {
		*len = n;
		return raw;
	}
	s = opgp_dearmor((const char *)raw, n, &bin, len);
	free(raw);
	if (s != OPGP_OK) {
		refuse("dearmor", s, "no valid \"-----BEGIN PGP MESSAGE-----\" block");
		return NULL;
	}
	return bin;
}

/* parse_fpr - 40 hex digits into 20 octets; false if they are not */
static bool parse_fpr(const char *hex, uint8_t fpr[20])
{
	static const char digits[] = "0123456789abcdef";

	if (strlen(hex) != 40)
		return false;
	for (int i = 0; i < 40; i++) {
		const char *d = strchr(digits, hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);

		if (hex[i] == '\0' || d == NULL)
			return false;
		if (i % 2 == 0)
			fpr[i / 2] = (uint8_t)((d - digits) << 4);
		else
			fpr[i / 2] |= (uint8_t)(d - digits);
	}
	return true;
}

/* load_key - the encryption key chosen from the key block in FILE; 0, or 1 (reported) */
static int load_key(const char *file, const char *fprhex, struct opgp_enckey *k)
{
	size_t len;
	uint8_t *block, fpr[20];
	char why[WHY_LEN];
	enum opgp_status s;

	memset(k, 0, sizeof *k);
	if (fprhex != NULL && !parse_fpr(fprhex, fpr))
		die_io("fingerprint", "not 40 hex digits");
	block = read_all(file, &len);
	s = opgp_enckey_from_block(block, len, fprhex != NULL ? fpr : NULL, k, why, sizeof why);
	free(block);
	return s == OPGP_OK ? 0 : refuse(file, s, why);
}

/* load_session_key - "ALGO:HEX", or @FILE holding it; 0, or 1 (reported) */
static int load_session_key(const char *arg, int *algo, uint8_t key[OPGP_MAX_SESSION_KEY],
			    size_t *keylen)
{
	enum opgp_status s;
	uint8_t *text = NULL;
	size_t n = 0;

	if (arg[0] == '@') {
		text = read_all(arg + 1, &n);
		arg = (const char *)text;
	}
	s = text != NULL && strlen(arg) != n ? OPGP_E_FORMAT
					     : opgp_parse_session_key(arg, algo, key, keylen);
	if (text != NULL) {
		OPENSSL_cleanse(text, n);
		free(text);
	}
	if (s != OPGP_OK)
		return refuse("session key", s, "expected ALGO:HEX with the algorithm's key length");
	return 0;
}

/* cmd_split - print what opgp_split found */
static int cmd_split(int argc, char **argv)
{
	size_t len;
	uint8_t *msg;
	struct opgp_split sp;
	char why[WHY_LEN];
	enum opgp_status s;

	if (argc > 1)
		usage();
	if ((msg = binary_input(argc == 1 ? argv[0] : NULL, &len)) == NULL)
		return 1;
	s = opgp_split(msg, len, &sp, why, sizeof why);
	free(msg);
	if (s != OPGP_OK)
		return refuse("split", s, why);
	printf("n_pkesk %zu\n", sp.n_pkesk);
	for (size_t i = 0; i < sp.n_pkesk && i < 16; i++)
		printf("pkesk_keyid %016" PRIX64 "\n", sp.pkesk_keyid[i]);
	printf("data_tag %d\ndata_off %zu\ndata_len %zu\n", sp.data_tag, sp.data_off,
	       sp.data_len);
	printf("format %s\npkesk_version %d\n", opgp_format_name(sp.format),
	       sp.pkesk_version);
	if (sp.format == OPGP_FMT_SEIPD2 || sp.format == OPGP_FMT_AEAD_OCB)
		printf("data_cipher %d\ndata_aead %d\ndata_chunk %d\n", sp.data_cipher,
		       sp.data_aead, sp.data_chunk);
	return 0;
}

/* open_post - the packets inside a post's encryption opened with the session key: SEIPDv2
 * only through opgp_seipd2_open (V2_ONLY, "open"), or whatever opgp_open opens ("unwrap") */
static int open_post(int argc, char **argv, bool v2_only)
{
	size_t len, inlen = 0, keylen = 0;
	uint8_t *msg, *inner = NULL, key[OPGP_MAX_SESSION_KEY];
	struct opgp_split sp;
	char why[WHY_LEN];
	enum opgp_status s;
	int algo = 0, rc = 0;

	if (argc < 1 || argc > 2)
		usage();
	if (load_session_key(argv[0], &algo, key, &keylen) != 0)
		return 1;
	if ((msg = binary_input(argc == 2 ? argv[1] : NULL, &len)) == NULL) {
		OPENSSL_cleanse(key, sizeof key);
		return 1;
	}
	if ((s = opgp_split(msg, len, &sp, why, sizeof why)) != OPGP_OK)
		rc = refuse("split", s, why);
	else if (v2_only && sp.format != OPGP_FMT_SEIPD2)
		rc = refuse("open", OPGP_E_UNSUPPORTED, opgp_format_name(sp.format));
	else if (v2_only && sp.data_cipher != algo)
		rc = refuse("open", OPGP_E_FORMAT, "the session key is for another cipher");
	else if ((s = v2_only ? opgp_seipd2_open(msg + sp.data_off, sp.data_len, key, keylen,
						 &inner, &inlen, why, sizeof why) :
		      opgp_open(msg + sp.data_off, sp.data_len, algo, key, keylen, &inner, &inlen,
				why, sizeof why)) != OPGP_OK)
		rc = refuse(cmd, s, why);
	else if (!write_all(inner, inlen))
		die_io("standard output", strerror(errno));
	if (inner != NULL) {
		OPENSSL_cleanse(inner, inlen);
		free(inner);
	}
	OPENSSL_cleanse(key, sizeof key);
	free(msg);
	return rc;
}

/* cmd_open - the packets inside a post's SEIPDv2 data, opened with the session key */
static int cmd_open(int argc, char **argv)
{
	return open_post(argc, argv, true);
}

/* cmd_unwrap - the packets inside a post's encryption (opgp_open), as gpg --unwrap */
static int cmd_unwrap(int argc, char **argv)
{
	return open_post(argc, argv, false);
}

/* cmd_pkesk - the agent's PKDECRYPT ciphertext of the post's PKESK for the key, or with
 * VALUE the session key that the agent's answer gives, as ALGO:HEX */
static int cmd_pkesk(int argc, char **argv)
{
	struct opgp_enckey k;
	struct opgp_split sp;
	size_t len, slen = 0, vlen = 0, alen = 0, keylen = 0;
	uint8_t *msg = NULL, *answer = NULL, key[OPGP_MAX_SESSION_KEY];
	const uint8_t *value;
	char *sexp = NULL, why[WHY_LEN];
	enum opgp_status s;
	int version = 0, algo = 0, rc = 0;

	if (argc < 2 || argc > 3)
		usage();
	if (load_key(argv[0], strcmp(argv[1], "-") != 0 ? argv[1] : NULL, &k) != 0)
		return 1;
	if (argc == 3)
		answer = read_all(argv[2], &alen);
	if ((msg = binary_input(NULL, &len)) == NULL)
		rc = 1;
	else if (answer == NULL) {
		if ((s = opgp_pkesk_sexp(msg, len, &k, &version, &sexp, &slen, why,
					 sizeof why)) != OPGP_OK)
			rc = refuse("pkesk", s, why);
		else if (!write_all(sexp, slen))
			die_io("standard output", strerror(errno));
	} else if ((s = opgp_split(msg, len, &sp, why, sizeof why)) != OPGP_OK)
		rc = refuse("split", s, why);
	else if (opgp_agent_value(answer, alen, &value, &vlen) != OPGP_OK)
		rc = refuse("agent value", OPGP_E_FORMAT, "not (5:value N:...)");
	else if ((s = opgp_pkesk_finish(msg, len, &k, value, vlen, sp.data_cipher, &algo, key,
					&keylen, why, sizeof why)) != OPGP_OK)
		rc = refuse("pkesk", s, why);
	else {
		printf("%d:", algo);
		for (size_t i = 0; i < keylen; i++)
			printf("%02X", key[i]);
		printf("\n");
	}
	OPENSSL_cleanse(key, sizeof key);
	if (answer != NULL)
		OPENSSL_cleanse(answer, alen);
	free(answer);
	free(sexp);
	free(msg);
	opgp_enckey_clear(&k);
	return rc;
}

/* cmd_key - print the chosen key */
static int cmd_key(int argc, char **argv)
{
	struct opgp_enckey k;

	if (argc < 1 || argc > 2)
		usage();
	if (load_key(argv[0], argc == 2 ? argv[1] : NULL, &k) != 0)
		return 1;
	printf("fpr ");
	for (int i = 0; i < 20; i++)
		printf("%02X", k.fpr[i]);
	printf("\nkeyid %016" PRIX64 "\nalgo %d\n", k.keyid, k.algo);
	if (k.algo == 18) {
		printf("curve %s\nkdf_hash %d\nkdf_cipher %d\n", opgp_curve_name(k.curve),
		       k.kdf_hash, k.kdf_cipher);
	} else {
		size_t bits = k.n_len * 8;

		for (unsigned top = 0x80; top != 0 && !(k.n[0] & top); top >>= 1)
			bits--;
		printf("bits %zu\n", bits);
	}
	opgp_enckey_clear(&k);
	return 0;
}

/* cmd_rewrap - new PKESK || the post's encrypted data */
static int cmd_rewrap(int argc, char **argv)
{
	bool armor = false;
	int algo, rc = 1;
	uint8_t key[OPGP_MAX_SESSION_KEY], *msg = NULL, *pkesk = NULL, *copy = NULL;
	size_t keylen, len, plen;
	struct opgp_enckey k;
	struct opgp_split sp;
	char why[WHY_LEN], *text = NULL;
	enum opgp_status s;

	if (argc > 0 && strcmp(argv[0], "-a") == 0) {
		armor = true;
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3)
		usage();
	if (load_session_key(argv[0], &algo, key, &keylen) != 0)
		return 1;
	if (load_key(argv[1], argc == 3 ? argv[2] : NULL, &k) != 0)
		goto done;
	if ((msg = binary_input(NULL, &len)) == NULL)
		goto done;
	if ((s = opgp_split(msg, len, &sp, why, sizeof why)) != OPGP_OK) {
		refuse("split", s, why);
		goto done;
	}
	s = opgp_format_pkesk_version(sp.format) == 6
	    ? opgp_pkesk6(&k, algo, key, keylen, &pkesk, &plen)
	    : opgp_pkesk(&k, algo, key, keylen, &pkesk, &plen);
	if (s != OPGP_OK) {
		refuse("pkesk", s, NULL);
		goto done;
	}
	if ((copy = malloc(plen + sp.data_len)) == NULL) {
		refuse("copy", OPGP_E_NOMEM, NULL);
		goto done;
	}
	memcpy(copy, pkesk, plen);
	memcpy(copy + plen, msg + sp.data_off, sp.data_len);
	if (armor) {
		size_t tlen;

		if ((s = opgp_armor(copy, plen + sp.data_len, &text, &tlen)) != OPGP_OK) {
			refuse("armor", s, NULL);
			goto done;
		}
		rc = write_all(text, tlen) ? 0 : 2;
	} else {
		rc = write_all(copy, plen + sp.data_len) ? 0 : 2;
	}
done:
	OPENSSL_cleanse(key, sizeof key);
	free(text);
	free(copy);
	free(pkesk);
	free(msg);
	opgp_enckey_clear(&k);
	return rc;
}

/* now_us - monotonic clock in microseconds */
static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* cmd_bench - time N PKESKs, then N key-block parses plus PKESKs */
static int cmd_bench(int argc, char **argv)
{
	long n;
	char *end;
	int algo, rc = 1;
	uint8_t key[OPGP_MAX_SESSION_KEY], fpr[20], *block = NULL, *pkesk;
	size_t keylen, blen, plen;
	struct opgp_enckey k;
	enum opgp_status s;
	char why[WHY_LEN];
	double t0, t1, t2;

	if (argc < 3 || argc > 4)
		usage();
	n = strtol(argv[0], &end, 10);
	if (*end != '\0' || n < 1 || n > 100000000)
		usage();
	if (load_session_key(argv[1], &algo, key, &keylen) != 0)
		return 1;
	if (load_key(argv[2], argc == 4 ? argv[3] : NULL, &k) != 0)
		goto done;
	block = read_all(argv[2], &blen);
	if (argc == 4)
		parse_fpr(argv[3], fpr);	/* checked by load_key */
	t0 = now_us();
	for (long i = 0; i < n; i++) {
		if ((s = opgp_pkesk(&k, algo, key, keylen, &pkesk, &plen)) != OPGP_OK) {
			refuse("pkesk", s, NULL);
			goto done;
		}
		free(pkesk);
	}
	t1 = now_us();
	for (long i = 0; i < n; i++) {
		struct opgp_enckey k2;

		s = opgp_enckey_from_block(block, blen, argc == 4 ? fpr : NULL, &k2, why,
					   sizeof why);
		if (s != OPGP_OK) {
			refuse(argv[2], s, why);
			goto done;
		}
		s = opgp_pkesk(&k2, algo, key, keylen, &pkesk, &plen);
		opgp_enckey_clear(&k2);
		if (s != OPGP_OK) {
			refuse("pkesk", s, NULL);
			goto done;
		}
		free(pkesk);
	}
	t2 = now_us();
	printf("algo %d keyid %016" PRIX64 " n %ld: %.1f us per PKESK, %.1f us per key parse + "
	       "PKESK\n", k.algo, k.keyid, n, (t1 - t0) / (double)n, (t2 - t1) / (double)n);
	rc = 0;
done:
	OPENSSL_cleanse(key, sizeof key);
	free(block);
	opgp_enckey_clear(&k);
	return rc;
}

/* cmd_armor - binary to armor */
static int cmd_armor(int argc, char **argv)
{
	size_t len, tlen;
	uint8_t *bin;
	char *text;
	enum opgp_status s;
	int rc;

	if (argc > 1)
		usage();
	bin = read_all(argc == 1 ? argv[0] : NULL, &len);
	s = opgp_armor(bin, len, &text, &tlen);
	free(bin);
	if (s != OPGP_OK)
		return refuse("armor", s, NULL);
	rc = write_all(text, tlen) ? 0 : 2;
	free(text);
	return rc;
}

/* cmd_dearmor - armor to binary */
static int cmd_dearmor(int argc, char **argv)
{
	size_t len, blen;
	uint8_t *raw, *bin;
	enum opgp_status s;
	int rc;

	if (argc > 1)
		usage();
	raw = read_all(argc == 1 ? argv[0] : NULL, &len);
	s = opgp_dearmor((const char *)raw, len, &bin, &blen);
	free(raw);
	if (s != OPGP_OK)
		return refuse("dearmor", s, "no valid \"-----BEGIN PGP MESSAGE-----\" block");
	rc = write_all(bin, blen) ? 0 : 2;
	free(bin);
	return rc;
}

/* try_key - key selection and, when a key is found, a PKESK: false when refused */
static bool try_key(const uint8_t *block, size_t len, int algo, const uint8_t *key,
		    size_t keylen)
{
	struct opgp_enckey k;
	uint8_t *pkesk = NULL;
	size_t plen;
	char why[WHY_LEN];
	bool ok;

	if (opgp_enckey_from_block(block, len, NULL, &k, why, sizeof why) != OPGP_OK)
		return false;
	ok = opgp_pkesk(&k, algo, key, keylen, &pkesk, &plen) == OPGP_OK;
	free(pkesk);
	opgp_enckey_clear(&k);
	return ok;
}

/* try_split - opgp_split on a heap copy of exactly LEN octets: false when refused */
static bool try_split(const uint8_t *msg, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	struct opgp_split sp;
	char why[WHY_LEN];
	bool ok;

	if (copy == NULL)
		die_io("mutate", "out of memory");
	memcpy(copy, msg, len);
	ok = opgp_split(copy, len, &sp, why, sizeof why) == OPGP_OK;
	free(copy);
	return ok;
}

/* cmd_mutate - the parsers on every prefix and many one-octet changes of POST and KEYBLOCK */
static int cmd_mutate(int argc, char **argv)
{
	static const int kinds[5] = { 0x100 | 0xff, 0x100 | 0x01, 0x100 | 0x80, 0x00, 0xff };
	int algo;
	uint8_t key[OPGP_MAX_SESSION_KEY], *block, *post, *m;
	size_t keylen, blen, plen, n, refused;
	char *text;
	size_t tlen;

	if (argc != 3)
		usage();
	if (load_session_key(argv[0], &algo, key, &keylen) != 0)
		return 1;
	block = read_all(argv[1], &blen);
	post = read_all(argv[2], &plen);
	if ((m = malloc(blen > plen ? blen + 1 : plen + 1)) == NULL)
		die_io("mutate", "out of memory");

	for (n = refused = 0; n < plen; n++)
		refused += !try_split(post, n);
	printf("post-cuts %zu refused %zu\n", n, refused);

	memcpy(m, post, plen);
	n = refused = 0;
	for (size_t i = 0; i < plen; i++) {
		for (int v = 0; v < 256; v++) {
			if (v == post[i])
				continue;
			m[i] = (uint8_t)v;
			refused += !try_split(m, plen);
			n++;
		}
		m[i] = post[i];
	}
	printf("post-changes %zu refused %zu\n", n, refused);

	if (opgp_armor(post, plen, &text, &tlen) != OPGP_OK)
		die_io("mutate", "armor failed");
	n = refused = 0;
	for (size_t cut = 0; cut < tlen; cut++) {
		char *c = malloc(cut + 1);
		uint8_t *bin;
		size_t binlen;

		if (c == NULL)
			die_io("mutate", "out of memory");
		memcpy(c, text, cut);
		if (opgp_dearmor(c, cut, &bin, &binlen) == OPGP_OK)
			free(bin);
		else
			refused++;
		n++;
		free(c);
	}
	free(text);
	printf("armor-cuts %zu refused %zu\n", n, refused);

	for (n = refused = 0; n < blen; n++)
		refused += !try_key(block, n, algo, key, keylen);
	printf("key-cuts %zu refused %zu\n", n, refused);

	memcpy(m, block, blen);
	n = refused = 0;
	for (size_t i = 0; i < blen; i++) {
		for (int j = 0; j < 5; j++) {
			int v = kinds[j] & 0x100 ? block[i] ^ (kinds[j] & 0xff) : kinds[j];

			if (v == block[i])
				continue;
			m[i] = (uint8_t)v;
			refused += !try_key(m, blen, algo, key, keylen);
			n++;
		}
		m[i] = block[i];
	}
	printf("key-changes %zu refused %zu\n", n, refused);

	OPENSSL_cleanse(key, sizeof key);
	free(m);
	free(post);
	free(block);
	return 0;
}

/* main - dispatch to the command named by the first argument */
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "split", cmd_split }, { "key", cmd_key }, { "rewrap", cmd_rewrap },
		{ "bench", cmd_bench }, { "armor", cmd_armor }, { "dearmor", cmd_dearmor },
		{ "mutate", cmd_mutate }, { "open", cmd_open },
		{ "pkesk", cmd_pkesk }, { "unwrap", cmd_unwrap },
	};

	if (argc < 2)
		usage();
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			cmd = cmds[i].name;
			return cmds[i].fn(argc - 2, argv + 2);
		}
	}
	usage();
	return 2;
}
