/*
 * tests/smime/pw-smime.c - command-line front end to milter/lists/smime.c for tests and benchmarks.
 *
 * NAME
 *	pw-smime - open and re-address S/MIME EnvelopedData posts
 *
 * SYNOPSIS
 *	pw-smime open LISTKEY LISTCERT < post.der > content
 *	pw-smime readdress LISTKEY LISTCERT RECIPCERT < post.der > copy.der
 *	pw-smime readdress -d DIR LISTKEY LISTCERT RECIPCERT... < post.der
 *	pw-smime bench N LISTKEY LISTCERT RECIPCERT < post.der
 *	pw-smime mkpost OID RECIPCERT... < content > post.der
 *
 * DESCRIPTION
 *	Keys and certificates are PEM files; posts are DER ContentInfo on standard input, read up
 *	to SMIME_MAX_DER + 1 octets (so the library's limit is what refuses a larger one).
 *
 *	open prints "inner-type: OID" on standard error and writes the decrypted content.
 *
 *	readdress opens the post once and writes one copy per RECIPCERT: to standard output for a
 *	single one, or with -d as DIR/NAME.der, NAME being RECIPCERT's file name without its
 *	directory and its .pem or .crt ending.
 *
 *	bench opens the post (timed over up to 20 runs), then re-addresses it N times to
 *	RECIPCERT and prints the microseconds per operation, by the clock and in CPU time.
 *
 *	mkpost is a test helper, not a use of smime.c: it encrypts standard input (AES-256-CBC)
 *	to the RECIPCERTs with OID as the inner content type, which `openssl cms -encrypt` of
 *	OpenSSL 3.0 cannot do (it ignores -econtent_type when encrypting).
 *
 * DIAGNOSTICS
 *	Exit 0 on success; 10 + the smime_status (11 format, 12 not for us, 13 decrypt,
 *	14 unsupported, 15 no memory) with "pw-smime: STEP: TEXT: REASON" on standard error;
 *	2 on usage, file or I/O errors.
 */
#include "lists/smime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#define WHY_LEN		512
#define BENCH_MAX	1000000L

/* usage - print the synopsis and exit 2 */
static void usage(void)
{
	fputs("usage: pw-smime open LISTKEY LISTCERT < post.der > content\n"
	      "       pw-smime readdress [-d DIR] LISTKEY LISTCERT RECIPCERT... < post.der\n"
	      "       pw-smime bench N LISTKEY LISTCERT RECIPCERT < post.der\n"
	      "       pw-smime mkpost OID RECIPCERT... < content > post.der\n", stderr);
	exit(2);
}

/* die - report an environment error and exit 2 */
static void die(const char *what, const char *arg)
{
	fprintf(stderr, "pw-smime: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

/* every key and certificate loaded holds one extra reference here, dropped at exit: an
 * early exit() from fail() or die() then leaves nothing for the leak checker to report
 * (an optimised build keeps no pointer to them on the stack) */
static EVP_PKEY *loaded_keys[8];
static X509 *loaded_certs[64];
static size_t n_loaded_keys, n_loaded_certs;

/* free_loaded - atexit: drop the extra references */
static void free_loaded(void)
{
	for (size_t i = 0; i < n_loaded_keys; i++)
		EVP_PKEY_free(loaded_keys[i]);
	for (size_t i = 0; i < n_loaded_certs; i++)
		X509_free(loaded_certs[i]);
}

/* fail - report a smime_* failure and exit 10 + status */
static void fail(const char *step, enum smime_status s, const char *why)
{
	fprintf(stderr, "pw-smime: %s: %s: %s\n", step, smime_strerror(s), why);
	exit(10 + (int)s);
}

/* read_stdin - standard input, at most SMIME_MAX_DER + 1 octets */
static uint8_t *read_stdin(size_t *len)
{
	size_t cap = 1 << 16, n = 0, max = (size_t)SMIME_MAX_DER + 1;
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		die("out of memory", NULL);
	for (;;) {
		size_t got;

		if (n == cap) {
			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL)
				die("out of memory", NULL);
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0) {
			if (ferror(stdin))
				die("cannot read standard input", NULL);
			break;
		}
	}
	*len = n;
	return buf;
}

/* load_key - a PEM private key */
static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		die("cannot open key", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die("not a PEM private key", path);
	if (n_loaded_keys == 0 && n_loaded_certs == 0)
		atexit(free_loaded);
	if (n_loaded_keys < sizeof(loaded_keys) / sizeof(loaded_keys[0]) && EVP_PKEY_up_ref(k))
		loaded_keys[n_loaded_keys++] = k;
	return k;
}

/* load_cert - a PEM certificate */
static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *c;

	if (f == NULL)
		die("cannot open certificate", path);
	c = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (c == NULL)
		die("not a PEM certificate", path);
	if (n_loaded_keys == 0 && n_loaded_certs == 0)
		atexit(free_loaded);
	if (n_loaded_certs < sizeof(loaded_certs) / sizeof(loaded_certs[0]) && X509_up_ref(c))
		loaded_certs[n_loaded_certs++] = c;
	return c;
}

/* write_all - write LEN octets to F or die */
static void write_all(FILE *f, const uint8_t *b, size_t len, const char *what)
{
	if (len > 0 && fwrite(b, 1, len, f) != len)
		die("write failed", what);
	if (fflush(f) != 0)
		die("write failed", what);
}

/* now_us - monotonic clock in microseconds */
static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* cpu_us - this process's CPU time in microseconds (steadier than the clock on a busy host) */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* copy_name - RECIPCERT's file name without directory and .pem/.crt ending */
static void copy_name(const char *path, char *name, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 4 && (strcmp(b + n - 4, ".pem") == 0 || strcmp(b + n - 4, ".crt") == 0))
		n -= 4;
	snprintf(name, len, "%.*s", (int)n, b);
}

/* cmd_open - decrypt a post, print its inner type, write its content */
static int cmd_open(int argc, char **argv)
{
	EVP_PKEY *key;
	X509 *cert;
	struct smime_post *p;
	uint8_t *der, *content;
	size_t len, clen;
	char inner[128], why[WHY_LEN];
	enum smime_status s;

	if (argc != 2)
		usage();
	key = load_key(argv[0]);
	cert = load_cert(argv[1]);
	der = read_stdin(&len);
	s = smime_open(der, len, key, cert, &p, &content, &clen, inner, sizeof(inner), why,
		       sizeof(why));
	if (s != SMIME_OK)
		fail("open", s, why);
	fprintf(stderr, "inner-type: %s\n", inner);
	write_all(stdout, content, clen, "standard output");
	free(content);
	free(der);
	smime_post_free(p);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* cmd_readdress - open a post once and write one copy per subscriber certificate */
static int cmd_readdress(int argc, char **argv)
{
	const char *dir = NULL;
	EVP_PKEY *key;
	X509 *cert;
	struct smime_post *p;
	uint8_t *der;
	size_t len;
	char why[WHY_LEN];
	enum smime_status s;

	if (argc >= 2 && strcmp(argv[0], "-d") == 0) {
		dir = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc < 3 || (dir == NULL && argc != 3))
		usage();
	key = load_key(argv[0]);
	cert = load_cert(argv[1]);
	der = read_stdin(&len);
	s = smime_open(der, len, key, cert, &p, NULL, NULL, NULL, 0, why, sizeof(why));
	if (s != SMIME_OK)
		fail("open", s, why);
	for (int i = 2; i < argc; i++) {
		X509 *rc = load_cert(argv[i]);
		uint8_t *out;
		size_t outlen;

		s = smime_readdress(p, rc, &out, &outlen, why, sizeof(why));
		X509_free(rc);
		if (s != SMIME_OK)
			fail(argv[i], s, why);
		if (dir == NULL) {
			write_all(stdout, out, outlen, "standard output");
		} else {
			char name[256], path[4096];
			FILE *f;

			copy_name(argv[i], name, sizeof(name));
			snprintf(path, sizeof(path), "%s/%s.der", dir, name);
			if ((f = fopen(path, "wb")) == NULL)
				die("cannot create", path);
			write_all(f, out, outlen, path);
			if (fclose(f) != 0)
				die("write failed", path);
		}
		free(out);
	}
	free(der);
	smime_post_free(p);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* cmd_bench - time smime_open and smime_readdress */
static int cmd_bench(int argc, char **argv)
{
	EVP_PKEY *key;
	X509 *cert, *rc;
	struct smime_post *p = NULL;
	uint8_t *der;
	size_t len, total = 0;
	char why[WHY_LEN], *end;
	long n, opens;
	double t0, c0, t_open, c_open, t_re, c_re;
	enum smime_status s;

	if (argc != 4)
		usage();
	n = strtol(argv[0], &end, 10);
	if (*end != '\0' || n < 1 || n > BENCH_MAX)
		die("N must be 1 to 1000000", argv[0]);
	key = load_key(argv[1]);
	cert = load_cert(argv[2]);
	rc = load_cert(argv[3]);
	der = read_stdin(&len);
	opens = n < 20 ? n : 20;
	t0 = now_us();
	c0 = cpu_us();
	for (long i = 0; i < opens; i++) {
		smime_post_free(p);
		s = smime_open(der, len, key, cert, &p, NULL, NULL, NULL, 0, why, sizeof(why));
		if (s != SMIME_OK)
			fail("open", s, why);
	}
	t_open = (now_us() - t0) / (double)opens;
	c_open = (cpu_us() - c0) / (double)opens;
	t0 = now_us();
	c0 = cpu_us();
	for (long i = 0; i < n; i++) {
		uint8_t *out;
		size_t outlen;

		s = smime_readdress(p, rc, &out, &outlen, why, sizeof(why));
		if (s != SMIME_OK)
			fail("readdress", s, why);
		total += outlen;
		free(out);
	}
	t_re = (now_us() - t0) / (double)n;
	c_re = (cpu_us() - c0) / (double)n;
	printf("post: %zu octets\nopen: %.1f us, %.1f us CPU (mean of %ld)\n"
	       "readdress: %.1f us/op, %.1f us CPU/op (%ld ops, %zu octets out)\n",
	       len, t_open, c_open, opens, t_re, c_re, n, total);
	smime_post_free(p);
	free(der);
	X509_free(rc);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* cmd_mkpost - test helper: EnvelopedData with a chosen inner content type */
static int cmd_mkpost(int argc, char **argv)
{
	ASN1_OBJECT *oid;
	STACK_OF(X509) *certs = sk_X509_new_null();
	CMS_ContentInfo *cms;
	BIO *in, *out;
	uint8_t *data;
	size_t len;
	int flags = CMS_BINARY | CMS_PARTIAL;

	if (argc < 2 || certs == NULL)
		usage();
	if ((oid = OBJ_txt2obj(argv[0], 1)) == NULL)
		die("not a dotted OID", argv[0]);
	for (int i = 1; i < argc; i++)
		if (!sk_X509_push(certs, load_cert(argv[i])))
			die("out of memory", NULL);
	data = read_stdin(&len);
	in = BIO_new_mem_buf(data, (int)len);
	out = BIO_new_fp(stdout, BIO_NOCLOSE);
	cms = CMS_encrypt(certs, NULL, EVP_aes_256_cbc(), (unsigned int)flags);
	if (in == NULL || out == NULL || cms == NULL || !CMS_set1_eContentType(cms, oid) ||
	    !CMS_final(cms, in, NULL, (unsigned int)flags) || !i2d_CMS_bio(out, cms)) {
		ERR_print_errors_fp(stderr);
		die("cannot make the post", NULL);
	}
	BIO_free(out);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	sk_X509_pop_free(certs, X509_free);
	ASN1_OBJECT_free(oid);
	free(data);
	return 0;
}

/* main - dispatch on the subcommand */
int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "open") == 0)
		return cmd_open(argc - 2, argv + 2);
	if (strcmp(argv[1], "readdress") == 0)
		return cmd_readdress(argc - 2, argv + 2);
	if (strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 2, argv + 2);
	if (strcmp(argv[1], "mkpost") == 0)
		return cmd_mkpost(argc - 2, argv + 2);
	usage();
	return 2;
}
