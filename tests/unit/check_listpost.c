/*
 * tests/unit/check_listpost.c - milter/lists/listpost.c: finding the encrypted payload of a list post
 * (PGP/MIME, RFC 3156; inline PGP; S/MIME, RFC 8551 and RFC 3854) and writing subscribers'
 * copies around a re-addressed payload.  Contract: milter/lists/listpost.h, with the choices
 * written down in the top comment of milter/lists/listpost.c.
 *
 * A stand-alone Check program with its own main() (define CHECK_LISTPOST_NO_MAIN to use
 * listpost_suite() from another runner); exits non-zero on any failure.  The posts are shaped
 * like those Thunderbird, Enigmail, Mutt, KMail, Gnus, Apple Mail with GPGTools, Outlook and
 * openssl smime write; each is tried with CRLF and with LF line ends.  Malformed posts and the
 * limits (header size, nesting, part count) are tried on purpose, with a time bound, and a
 * seeded mutation run checks that no input crashes the parser and that every payload found
 * survives a copy and a second parse.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "lists/listpost.h"
#include "mime.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

Suite *listpost_suite(void);

/* ---- material ----------------------------------------------------------------------------- */

/* Armor as gpg writes it (LF, final LF): what listpost_parse hands back for a PGP post. */
static const char ARMOR[] =
	"-----BEGIN PGP MESSAGE-----\n"
	"\n"
	"hQEMA9aLb6kE3G5mAQf/ZtW0Z2G6h4r1x5Qp3a2JmT8v6b2u0kR9yXcA1vQeLx3J\n"
	"W7s0u3pQ8Y2cF1mZy5t9nKpL0aRbX4vJc2wE8sG6hTqN1dZ3fVx7oMiU9yBjK5lP\n"
	"0gHq2rS4tXv6wYz8AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGh==\n"
	"=Xy9Z\n"
	"-----END PGP MESSAGE-----\n";

static const char ARMOR2[] =
	"-----BEGIN PGP MESSAGE-----\n"
	"Version: GnuPG v2\n"
	"Comment: https://gnupg.org\n"
	"\n"
	"hQIMA5MZ0Gc8wc1gARAAsM3cN0xq1l5JHn2pL8b9aYQmVt0rW4uZxC7eD6fG5hI3\n"
	"jK1lM2nO3pQ4rS5tU6vW7xY8zA9bC0dE1fG2hI3jK4lM5nO6pQ7rS8tU9vW0xY1z\n"
	"A2bC3d==\n"
	"=q1W2\n"
	"-----END PGP MESSAGE-----\n";

/* What opgp_armor writes for a re-addressed post: the payload of the copies. */
static const char NEWARMOR[] =
	"-----BEGIN PGP MESSAGE-----\n"
	"\n"
	"wcBMA+2b3c4d5e6f7AQgAnewpkeskforsubscriberXXXXXXXXXXXXXXXXXXXXXXXXX\n"
	"0sDdAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/theSameEncryptedDataYYYY\n"
	"ZZZZ\n"
	"=Qr5t\n"
	"-----END PGP MESSAGE-----\n";

/* Thunderbird 115 */
static const char T_THUNDERBIRD[] =
	"Return-Path: <alice@example.org>\n"
	"Received: from mail.example.org (mail.example.org [192.0.2.1])\n"
	"\tby mx.lists.example.org (Postfix) with ESMTPS id 4VtXyZ1abc\n"
	"\tfor <board@lists.example.org>; Mon,  3 Jun 2024 10:00:01 +0200 (CEST)\n"
	"Message-ID: <0f3c1b2a-9d2e-4a51-8e0b-6c1d2e3f4a5b@example.org>\n"
	"Date: Mon, 3 Jun 2024 10:00:00 +0200\n"
	"MIME-Version: 1.0\n"
	"User-Agent: Mozilla Thunderbird\n"
	"Content-Language: en-US\n"
	"To: board@lists.example.org\n"
	"From: Alice Example <alice@example.org>\n"
	"Subject: Budget 2025\n"
	"Content-Type: multipart/encrypted;\n"
	" protocol=\"application/pgp-encrypted\";\n"
	" boundary=\"------------7ZJpsROU2gOAHT6zW2JDR3ej\"\n"
	"\n"
	"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
	"--------------7ZJpsROU2gOAHT6zW2JDR3ej\n"
	"Content-Type: application/pgp-encrypted\n"
	"Content-Description: PGP/MIME version identification\n"
	"\n"
	"Version: 1\n"
	"\n"
	"--------------7ZJpsROU2gOAHT6zW2JDR3ej\n"
	"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
	"Content-Description: OpenPGP encrypted message\n"
	"Content-Disposition: inline; filename=\"encrypted.asc\"\n"
	"\n"
	"@ARMOR@"
	"\n"
	"--------------7ZJpsROU2gOAHT6zW2JDR3ej--\n"
	"\n";

/* Thunderbird 60 with Enigmail; an epilogue, with a stray delimiter in it */
static const char T_ENIGMAIL[] =
	"From: Bob <bob@example.net>\n"
	"To: board@lists.example.org\n"
	"Subject: Re: Budget 2025\n"
	"Message-ID: <5f1e2d3c.4b5a6978@example.net>\n"
	"Date: Tue, 4 Jun 2024 09:12:13 +0100\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:60.0) Gecko/20100101\n"
	" Thunderbird/60.9.1\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/encrypted;\n"
	" protocol=\"application/pgp-encrypted\";\n"
	" boundary=\"gN3Bh2k8WMSrXe0OLFyrfqsM8Rz0a1wXS\"\n"
	"\n"
	"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
	"--gN3Bh2k8WMSrXe0OLFyrfqsM8Rz0a1wXS\n"
	"Content-Type: application/pgp-encrypted\n"
	"Content-Description: PGP/MIME version identification\n"
	"\n"
	"Version: 1\n"
	"\n"
	"--gN3Bh2k8WMSrXe0OLFyrfqsM8Rz0a1wXS\n"
	"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
	"Content-Description: OpenPGP encrypted message\n"
	"Content-Disposition: inline; filename=\"encrypted.asc\"\n"
	"\n"
	"@ARMOR@"
	"\n"
	"--gN3Bh2k8WMSrXe0OLFyrfqsM8Rz0a1wXS--\n"
	"\n"
	"This epilogue is ignored, and so is what follows.\n"
	"--gN3Bh2k8WMSrXe0OLFyrfqsM8Rz0a1wXS\n"
	"Content-Type: text/plain\n"
	"\n"
	"injected\n";

/* Mutt 2.2: tab folding, empty preamble, armor headers */
static const char T_MUTT[] =
	"Date: Mon, 3 Jun 2024 10:00:00 +0200\n"
	"From: Carol <carol@example.com>\n"
	"To: board@lists.example.org\n"
	"Subject: minutes\n"
	"Message-ID: <20240603080000.GA1234@example.com>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\n"
	"\tboundary=\"5vNYLRcllDrimb99\"\n"
	"Content-Disposition: inline\n"
	"User-Agent: Mutt/2.2.12 (2023-09-09)\n"
	"\n"
	"\n"
	"--5vNYLRcllDrimb99\n"
	"Content-Type: application/pgp-encrypted\n"
	"Content-Disposition: attachment\n"
	"\n"
	"Version: 1\n"
	"\n"
	"--5vNYLRcllDrimb99\n"
	"Content-Type: application/octet-stream\n"
	"Content-Disposition: inline; filename=\"msg.asc\"\n"
	"\n"
	"@ARMOR2@"
	"\n"
	"--5vNYLRcllDrimb99--\n";

/* KMail with GnuPG: boundary first and unquoted, no preamble, no blank lines before delimiters */
static const char T_KMAIL[] =
	"From: Dave <dave@example.com>\n"
	"To: board@lists.example.org\n"
	"Subject: agenda\n"
	"Date: Wed, 05 Jun 2024 11:00:00 +0200\n"
	"Message-ID: <2156789.abcdefGHij@laptop>\n"
	"MIME-Version: 1.0\n"
	"Content-Transfer-Encoding: 7Bit\n"
	"Content-Type: multipart/encrypted; boundary=nextPart2156789.abcdefGHij; "
	"protocol=\"application/pgp-encrypted\"\n"
	"\n"
	"--nextPart2156789.abcdefGHij\n"
	"Content-Type: application/pgp-encrypted\n"
	"Content-Disposition: attachment\n"
	"\n"
	"Version: 1\n"
	"--nextPart2156789.abcdefGHij\n"
	"Content-Type: application/octet-stream\n"
	"Content-Disposition: inline; filename=\"msg.asc\"\n"
	"\n"
	"@ARMOR@"
	"--nextPart2156789.abcdefGHij--\n";

/* Apple Mail with GPGTools: '=' in the boundary, unquoted folded parameters */
static const char T_APPLE[] =
	"Content-Type: multipart/encrypted;"
	" boundary=\"Apple-Mail=_3D1F0A8C-2A6B-4D7E-9F10-1A2B3C4D5E6F\";"
	" protocol=\"application/pgp-encrypted\"\n"
	"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))\n"
	"Content-Transfer-Encoding: 7bit\n"
	"Content-Description: OpenPGP encrypted message\n"
	"Subject: travel\n"
	"From: Erin <erin@example.org>\n"
	"Date: Thu, 6 Jun 2024 12:00:00 +0200\n"
	"To: board@lists.example.org\n"
	"\n"
	"This is an OpenPGP/MIME encrypted message (RFC 2440 and 3156)\n"
	"--Apple-Mail=_3D1F0A8C-2A6B-4D7E-9F10-1A2B3C4D5E6F\n"
	"Content-Transfer-Encoding: 7bit\n"
	"Content-Type: application/pgp-encrypted\n"
	"Content-Description: PGP/MIME Versions Identification\n"
	"\n"
	"Version: 1\n"
	"\n"
	"--Apple-Mail=_3D1F0A8C-2A6B-4D7E-9F10-1A2B3C4D5E6F\n"
	"Content-Transfer-Encoding: 7bit\n"
	"Content-Disposition: inline;\n"
	"\tfilename=encrypted.asc\n"
	"Content-Type: application/octet-stream;\n"
	"\tname=encrypted.asc\n"
	"Content-Description: OpenPGP encrypted message\n"
	"\n"
	"@ARMOR@"
	"\n"
	"--Apple-Mail=_3D1F0A8C-2A6B-4D7E-9F10-1A2B3C4D5E6F--\n";

/* Gnus (Emacs) with GnuPG: the boundary "=-=-=" */
static const char T_GNUS[] =
	"From: Frank <frank@example.net>\n"
	"To: board@lists.example.org\n"
	"Subject: notes\n"
	"User-Agent: Gnus/5.13 (Gnus v5.13)\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/encrypted; boundary=\"=-=-=\";\n"
	"\tprotocol=\"application/pgp-encrypted\"\n"
	"\n"
	"--=-=-=\n"
	"Content-Type: application/pgp-encrypted\n"
	"\n"
	"Version: 1\n"
	"\n"
	"--=-=-=\n"
	"Content-Type: application/octet-stream\n"
	"\n"
	"@ARMOR@"
	"--=-=-=--\n";

/* Odd but valid: comments, upper case, a boundary with spaces, transport padding, extra
 * parameters (one with ';' inside quotes), Version without blank, base64 around the armor */
static const char T_ODD[] =
	"From: g@example.org\n"
	"Content-Type: Multipart/Encrypted (PGP/MIME) ;\n"
	" Protocol = \"Application/PGP-Encrypted\" ;\n"
	"  BOUNDARY = \"b 1 (x)\" ; x-extra=\"a;b\" ; charset=us-ascii;\n"
	"\n"
	"preamble with --b 1 (x)-- inside a line\n"
	"--b 1 (x)   \n"
	"content-type: APPLICATION/pgp-encrypted; x=\"y\"\n"
	"\n"
	"version:1\n"
	"--b 1 (x)\t\n"
	"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
	"Content-Transfer-Encoding: BASE64\n"
	"\n"
	"@B64ARMOR@"
	"--b 1 (x)--  \n"
	"epilogue\n";

static const struct {
	const char *name, *tmpl, *armor;
} pgpmime_good[] = {
	{ "thunderbird", T_THUNDERBIRD, ARMOR },
	{ "enigmail", T_ENIGMAIL, ARMOR },
	{ "mutt", T_MUTT, ARMOR2 },
	{ "kmail", T_KMAIL, ARMOR },
	{ "apple", T_APPLE, ARMOR },
	{ "gnus", T_GNUS, ARMOR },
	{ "odd", T_ODD, ARMOR },
};

/* ---- helpers ----------------------------------------------------------------------------- */

struct sb {				/* a growing string */
	char *p;
	size_t len, cap;
};

/* sb_put - append N octets */
static void sb_put(struct sb *s, const void *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		while (s->len + n + 1 > s->cap)
			s->cap = s->cap ? s->cap * 2 : 256;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* sb_puts - append a string */
static void sb_puts(struct sb *s, const char *str)
{
	sb_put(s, str, strlen(str));
}

static void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sb_printf - append formatted text */
static void sb_printf(struct sb *s, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof(tmp));
	sb_put(s, tmp, (size_t)n);
}

/* b64_lines - base64 of N octets at P in lines of LINE characters, each ending in EOL */
static char *b64_lines(const void *p, size_t n, size_t line, const char *eol)
{
	struct sb s = { 0 };
	size_t in = line / 4 * 3;
	unsigned char *out = malloc(line + 1);

	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i += in) {
		size_t k = n - i < in ? n - i : in;
		int m = EVP_EncodeBlock(out, (const unsigned char *)p + i, (int)k);
		sb_put(&s, out, (size_t)m);
		sb_puts(&s, eol);
	}
	if (s.p == NULL)
		sb_puts(&s, "");
	free(out);
	return s.p;
}

/* b64_dec - decode base64 text (no white space) into BUF; the length, or -1 */
static int b64_dec(const char *t, size_t n, unsigned char *buf)
{
	int m, pad = 0;

	if (n % 4 != 0)
		return -1;
	m = EVP_DecodeBlock(buf, (const unsigned char *)t, (int)n);
	if (m < 0)
		return -1;
	if (n > 0 && t[n - 1] == '=')
		pad++;
	if (n > 1 && t[n - 2] == '=')
		pad++;
	return m - pad;
}

/* make - TMPL with @ARMOR@, @ARMOR2@ and @B64ARMOR@ filled in, line ends CRLF if CRLF */
static char *make(const char *tmpl, bool crlf)
{
	struct sb s = { 0 };
	char *b64 = b64_lines(ARMOR, strlen(ARMOR), 76, "\n");

	for (const char *t = tmpl; *t; ) {
		if (strncmp(t, "@ARMOR@", 7) == 0) {
			sb_puts(&s, ARMOR);
			t += 7;
		} else if (strncmp(t, "@ARMOR2@", 8) == 0) {
			sb_puts(&s, ARMOR2);
			t += 8;
		} else if (strncmp(t, "@B64ARMOR@", 10) == 0) {
			sb_puts(&s, b64);
			t += 10;
		} else if (*t == '\n' && crlf) {
			sb_puts(&s, "\r\n");
			t++;
		} else {
			sb_put(&s, t++, 1);
		}
	}
	free(b64);
	return s.p;
}

/* crlf_of - S with LF made CRLF (malloc'd) */
static char *crlf_of(const char *str)
{
	struct sb s = { 0 };

	for (; *str; str++)
		sb_puts(&s, *str == '\n' ? "\r\n" : (char[]){ *str, '\0' });
	if (s.p == NULL)
		sb_puts(&s, "");
	return s.p;
}

/* header_len_of - octets through the first empty line of MSG */
static size_t header_len_of(const char *msg)
{
	const char *a = strstr(msg, "\r\n\r\n"), *b = strstr(msg, "\n\n");

	if (a != NULL && (b == NULL || a < b))
		return (size_t)(a - msg) + 4;
	ck_assert_ptr_nonnull(b);
	return (size_t)(b - msg) + 2;
}

/* parse - listpost_parse of the string MSG, which must not run out of memory */
static void parse(const char *msg, struct listpost *p)
{
	ck_assert(listpost_parse(msg, strlen(msg), p));
}

/* kind_name - a printable kind */
static const char *kind_name(enum listpost_kind k)
{
	switch (k) {
	case LISTPOST_PLAIN:
		return "plain";
	case LISTPOST_PGPMIME:
		return "pgpmime";
	case LISTPOST_PGPINLINE:
		return "pgpinline";
	case LISTPOST_SMIME:
		return "smime";
	case LISTPOST_BAD:
		return "bad";
	}
	return "?";
}

/* assert_payload - P holds the text WANT as payload */
static void assert_payload(const struct listpost *p, const char *want)
{
	ck_assert_ptr_nonnull(p->payload);
	ck_assert_msg(p->payload_len == strlen(want) &&
		      memcmp(p->payload, want, p->payload_len) == 0,
		      "payload (%zu octets) differs from the expected (%zu):\n%.*s", p->payload_len,
		      strlen(want), (int)p->payload_len, (const char *)p->payload);
}

/* assert_kind - P is of kind K, else show why */
#define assert_kind(p, k) \
	ck_assert_msg((p)->kind == (k), "kind %s, expected %s (why: %s)", kind_name((p)->kind), \
		      kind_name(k), (p)->why)

/* ---- PGP/MIME ----------------------------------------------------------------------------- */

/* pgpmime_posts - real-world PGP/MIME posts, CRLF (even _i) and LF (odd _i) */
START_TEST(pgpmime_posts)
{
	bool crlf = _i % 2 == 0;
	char *msg = make(pgpmime_good[_i / 2].tmpl, crlf);
	struct listpost p;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPMIME);
	assert_payload(&p, pgpmime_good[_i / 2].armor);
	ck_assert_uint_eq(p.header_len, header_len_of(msg));
	ck_assert_ptr_null(p.smime_type);
	ck_assert_str_eq(p.why, "");
	listpost_clear(&p);
	ck_assert_ptr_null(p.payload);
	listpost_clear(&p);			/* twice is fine */
	free(msg);
}
END_TEST

#define PGPMIME_HEAD(ct) "From: a@example.org\nSubject: x\nContent-Type: " ct "\n\n"
#define PART1 "Content-Type: application/pgp-encrypted\n\nVersion: 1\n"
#define PART2 "Content-Type: application/octet-stream\n\n@ARMOR@"
#define A50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MPE "multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\""

static const struct {
	const char *name, *tmpl;
	enum listpost_kind kind;
	const char *why;		/* expected in WHY */
} pgpmime_bad[] = {
	{ "no boundary", PGPMIME_HEAD("multipart/encrypted; protocol=\"application/pgp-encrypted\"")
	  "--b\n" PART1 "--b\n" PART2 "--b--\n", LISTPOST_BAD, "without boundary parameter" },
	{ "boundary never found", PGPMIME_HEAD(MPE) "--c\n" PART1 "--c\n" PART2 "--c--\n",
	  LISTPOST_BAD, "never found" },
	{ "only one part", PGPMIME_HEAD(MPE) "--b\n" PART2 "--b--\n", LISTPOST_BAD,
	  "1 part only" },
	{ "three parts", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n" PART2 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "3 parts" },
	{ "no closing boundary", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n" PART2, LISTPOST_BAD,
	  "no closing boundary" },
	{ "close first", PGPMIME_HEAD(MPE) "--b--\n" PART1 "--b\n" PART2 "--b--\n", LISTPOST_BAD,
	  "closing boundary before any part" },
	{ "empty body", PGPMIME_HEAD(MPE), LISTPOST_BAD, "never found" },
	{ "part 1 type", PGPMIME_HEAD(MPE) "--b\nContent-Type: text/plain\n\nVersion: 1\n--b\n"
	  PART2 "--b--\n", LISTPOST_BAD, "part 1 is text/plain" },
	{ "part 1 untyped", PGPMIME_HEAD(MPE) "--b\n\nVersion: 1\n--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "part 1 is text/plain" },
	{ "no Version", PGPMIME_HEAD(MPE) "--b\nContent-Type: application/pgp-encrypted\n\n"
	  "Versio: 1\n--b\n" PART2 "--b--\n", LISTPOST_BAD, "Version: 1" },
	{ "Version 2", PGPMIME_HEAD(MPE) "--b\nContent-Type: application/pgp-encrypted\n\n"
	  "Version: 2\n--b\n" PART2 "--b--\n", LISTPOST_BAD, "\"Version: 2\" not supported" },
	{ "part 2 type", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\nContent-Type: text/plain\n\n"
	  "@ARMOR@--b--\n", LISTPOST_BAD, "part 2 is text/plain" },
	{ "part 2 multipart", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n"
	  "Content-Type: multipart/mixed; boundary=c\n\n--c\n\n@ARMOR@--c--\n--b--\n",
	  LISTPOST_BAD, "part 2 is multipart/mixed" },
	{ "part 2 no armor", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n"
	  "Content-Type: application/octet-stream\n\nhQEMA9aLb6kE3G5mAQf\n--b--\n", LISTPOST_BAD,
	  "no PGP MESSAGE block" },
	{ "part 2 binary", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n"
	  "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
	  "hQEMA9aLb6kE3G5m\n--b--\n", LISTPOST_BAD, "no PGP MESSAGE block" },
	{ "armor without END", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n"
	  "Content-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n\nhQEM\n--b--\n",
	  LISTPOST_BAD, "without END line" },
	{ "two armor blocks", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n" PART2 "@ARMOR@--b--\n",
	  LISTPOST_BAD, "more than one PGP MESSAGE block" },
	{ "no protocol", PGPMIME_HEAD("multipart/encrypted; boundary=b") "--b\n" PART1 "--b\n"
	  PART2 "--b--\n", LISTPOST_BAD, "without protocol parameter" },
	{ "other protocol", PGPMIME_HEAD("multipart/encrypted; boundary=b; protocol=\"x/y\"")
	  "--b\n" PART1 "--b\n" PART2 "--b--\n", LISTPOST_PLAIN, "protocol=\"x/y\"" },
	{ "other protocol, broken", PGPMIME_HEAD("multipart/encrypted; boundary=b; protocol=x/y")
	  "--b\n" PART1 "--b\n" PART2, LISTPOST_BAD, "no closing boundary" },
	{ "other protocol, no boundary", PGPMIME_HEAD("multipart/encrypted; protocol=x/y")
	  "--b\n" PART1 "--b\n" PART2 "--b--\n", LISTPOST_BAD, "without boundary parameter" },
	{ "empty boundary", PGPMIME_HEAD("multipart/encrypted; "
	  "protocol=\"application/pgp-encrypted\"; "
					 "boundary=\"\"") "--\n" PART1 "--\n" PART2 "----\n",
	  LISTPOST_BAD, "empty boundary" },
	{ "boundary ends in space", PGPMIME_HEAD("multipart/encrypted; "
						 "protocol=\"application/pgp-encrypted\"; "
						 "boundary=\"b \"")
	  "--b \n" PART1 "--b \n" PART2 "--b --\n", LISTPOST_BAD, "boundary ends in a space" },
	{ "boundary prefix line", PGPMIME_HEAD(MPE) "--b\n" PART1 "--bx\n--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "no delimiter" },
	{ "close with text", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n" PART2 "--b-- x\n",
	  LISTPOST_BAD, "no delimiter" },
	{ "two Content-Type", "From: a@example.org\nContent-Type: " MPE "\nContent-type: "
	  "text/plain\n\n"
	  "--b\n" PART1 "--b\n" PART2 "--b--\n", LISTPOST_BAD, "more than one Content-Type" },
	{ "two boundaries", PGPMIME_HEAD(MPE "; boundary=c") "--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "duplicate parameter boundary" },
	{ "unclosed quote", PGPMIME_HEAD("multipart/encrypted; "
	  "protocol=\"application/pgp-encrypted\"; "
					 "boundary=\"b") "--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "malformed Content-Type" },
	{ "unclosed comment", PGPMIME_HEAD(MPE " (oops") "--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "unclosed comment" },
	{ "junk after value", PGPMIME_HEAD(MPE " junk") "--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "malformed Content-Type" },
	{ "parameter without value",
	  PGPMIME_HEAD(MPE "; flag") "--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "bad parameter" },
	{ "no subtype", PGPMIME_HEAD("multipart; boundary=b") "--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "no type/subtype" },
	{ "boundary too long", PGPMIME_HEAD("multipart/encrypted; "
	  "protocol=\"application/pgp-encrypted\"; "
	  "boundary=" A50 A50 A50 A50 "aaaaaaaaaaa") "--b\n", LISTPOST_BAD,
	  "parameter boundary too long" },
	{ "base64 multipart", "From: a@example.org\nContent-Type: " MPE "\n"
	  "Content-Transfer-Encoding: base64\n\n--b\n" PART1 "--b\n" PART2 "--b--\n", LISTPOST_BAD,
	  "multipart with Content-Transfer-Encoding base64" },
	{ "unknown encoding", "From: a@example.org\nContent-Type: " MPE "\n"
	  "Content-Transfer-Encoding: x-uuencode\n\n--b\n" PART1 "--b\n" PART2 "--b--\n",
	  LISTPOST_BAD, "unknown Content-Transfer-Encoding \"x-uuencode\"" },
	{ "part header garbage", PGPMIME_HEAD(MPE) "--b\nthis is no header\n\nVersion: 1\n--b\n"
	  PART2 "--b--\n", LISTPOST_BAD, "part 1: header line 1" },
	{ "part header continuation", PGPMIME_HEAD(MPE) "--b\n Content-Type: x/y\n\nVersion: 1\n"
	  "--b\n" PART2 "--b--\n", LISTPOST_BAD, "part 1: header begins with a continuation" },
	{ "part 2 two types", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\nContent-Type: "
	  "application/octet-stream\nContent-Type: text/plain\n\n@ARMOR@--b--\n", LISTPOST_BAD,
	  "part 2: more than one Content-Type" },
	{ "part 2 bad base64", PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n"
	  "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
	  "LS0tLS1CRUdJTiBQR1AgTUVTU0FHRS0tLS0t!\n--b--\n", LISTPOST_BAD, "part 2: bad base64" },
	{ "control character", "From: a@example.org\nContent-Type: multipart/encrypted; \001\n\n",
	  LISTPOST_BAD, "control character in Content-Type" },
};

/* pgpmime_malformed - each fault of the table above, CRLF and LF */
START_TEST(pgpmime_malformed)
{
	char *msg = make(pgpmime_bad[_i / 2].tmpl, _i % 2 == 0);
	struct listpost p;

	parse(msg, &p);
	ck_assert_msg(p.kind == pgpmime_bad[_i / 2].kind, "%s: kind %s (why: %s)",
		      pgpmime_bad[_i / 2].name, kind_name(p.kind), p.why);
	ck_assert_msg(strstr(p.why, pgpmime_bad[_i / 2].why) != NULL, "%s: why \"%s\", expected "
		      "\"%s\"", pgpmime_bad[_i / 2].name, p.why, pgpmime_bad[_i / 2].why);
	ck_assert_ptr_null(p.payload);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_ptr_null(p.smime_type);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* pgpmime_text_around_armor - text around the armor in part 2 is dropped and noted */
START_TEST(pgpmime_text_around_armor)
{
	char *msg = make(PGPMIME_HEAD(MPE) "--b\n" PART1 "--b\n"
			 "Content-Type: application/octet-stream\n\nabc\n@ARMOR@\n  de \n"
			 "--b--\n", true);
	struct listpost p;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPMIME);
	assert_payload(&p, ARMOR);
	ck_assert_str_eq(p.why, "text outside the PGP MESSAGE block dropped (3 octets before it, "
			 "2 after it)");
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* ---- inline PGP -------------------------------------------------------------------------- */

static const struct {
	const char *name, *tmpl, *why;	/* WHY: expected text, "" for none */
} inline_good[] = {
	{ "enigmail inline", "From: a@example.org\nSubject: x\nMIME-Version: 1.0\n"
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n"
	  "@ARMOR@", "" },
	{ "no MIME at all", "From: a@example.org\nTo: board@lists.example.org\nSubject: x\n\n"
	  "@ARMOR@\n\n", "" },
	{ "flowed", "From: a@example.org\nContent-Type: Text/Plain; format=flowed; "
	  "charset=\"us-ascii\"; delsp=yes\n\n\n@ARMOR@", "" },
	{ "text around", "From: a@example.org\nContent-Type: text/plain\n\nabc\n\n@ARMOR@\n-- \n",
	  "text outside the PGP MESSAGE block dropped (3 octets before it, 2 after it)" },
	{ "signed before", "From: a@example.org\n\nHi all,\n  please read.\n@ARMOR@",
	  "(17 octets before it, 0 after it)" },
	{ "quoted armor outside", "From: a@example.org\n\n> -----BEGIN PGP MESSAGE-----\n> x\n"
	  "> -----END PGP MESSAGE-----\n@ARMOR@", "dropped" },
	{ "no end of line", "From: a@example.org\n\n-----BEGIN PGP MESSAGE-----\n\n"
	  "hQEMA9aLb6kE3G5mAQf/ZtW0Z2G6h4r1x5Qp3a2JmT8v6b2u0kR9yXcA1vQeLx3J\n"
	  "W7s0u3pQ8Y2cF1mZy5t9nKpL0aRbX4vJc2wE8sG6hTqN1dZ3fVx7oMiU9yBjK5lP\n"
	  "0gHq2rS4tXv6wYz8AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGh==\n=Xy9Z\n"
	  "-----END PGP MESSAGE-----", "" },
	{ "trailing blanks", "From: a@example.org\n\n-----BEGIN PGP MESSAGE----- \t\n\n"
	  "hQEMA9aLb6kE3G5mAQf/ZtW0Z2G6h4r1x5Qp3a2JmT8v6b2u0kR9yXcA1vQeLx3J \n"
	  "W7s0u3pQ8Y2cF1mZy5t9nKpL0aRbX4vJc2wE8sG6hTqN1dZ3fVx7oMiU9yBjK5lP\n"
	  "0gHq2rS4tXv6wYz8AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGh==\n=Xy9Z\n"
	  "-----END PGP MESSAGE-----  \n", "" },
};

/* inline_posts - inline PGP posts, CRLF and LF */
START_TEST(inline_posts)
{
	char *msg = make(inline_good[_i / 2].tmpl, _i % 2 == 0);
	struct listpost p;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPINLINE);
	assert_payload(&p, ARMOR);
	ck_assert_uint_eq(p.header_len, header_len_of(msg));
	if (inline_good[_i / 2].why[0] == '\0')
		ck_assert_str_eq(p.why, "");
	else
		ck_assert_msg(strstr(p.why, inline_good[_i / 2].why) != NULL, "%s: why \"%s\"",
			      inline_good[_i / 2].name, p.why);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* inline_encoded - the armor inside quoted-printable and base64 text bodies */
START_TEST(inline_encoded)
{
	struct sb qp = { 0 };
	char *b64 = b64_lines(ARMOR, strlen(ARMOR), 76, "\r\n"), *msg;
	struct listpost p;

	/* quoted-printable as a MUA writes it: '=' as =3D, a soft break in a long line */
	sb_puts(&qp, "From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n\r\n");
	for (const char *s = ARMOR; *s; s++) {
		if (*s == '=')
			sb_puts(&qp, "=3D");
		else if (*s == '\n')
			sb_puts(&qp, "\r\n");
		else
			sb_put(&qp, s, 1);
		if (strncmp(s, "hQEMA9aL", 8) == 0)
			sb_puts(&qp, "=\r\n");	/* soft line break inside "hQEMA9aL" */
	}
	parse(qp.p, &p);
	assert_kind(&p, LISTPOST_PGPINLINE);
	assert_payload(&p, ARMOR);
	ck_assert(strstr(p.why, "(7 octets before it, 0 after it)") != NULL);	/* "Grüße" */
	listpost_clear(&p);
	free(qp.p);

	msg = malloc(strlen(b64) + 200);
	sprintf(msg, "From: a@example.org\r\nContent-Type: text/plain\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n%s", b64);
	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPINLINE);
	assert_payload(&p, ARMOR);
	listpost_clear(&p);
	free(msg);
	free(b64);
}
END_TEST

static const struct {
	const char *name, *tmpl;
	enum listpost_kind kind;
	const char *why;
} inline_other[] = {
	{ "two blocks", "From: a@example.org\n\n@ARMOR@text\n@ARMOR@", LISTPOST_BAD,
	  "body: more than one PGP MESSAGE block" },
	{ "no END", "From: a@example.org\n\n-----BEGIN PGP MESSAGE-----\n\nhQEMA9aLb6k\n",
	  LISTPOST_BAD, "without END line" },
	{ "BEGIN inside", "From: a@example.org\n\n-----BEGIN PGP MESSAGE-----\n@ARMOR@",
	  LISTPOST_BAD, "inside another" },
	{ "bad base64", "From: a@example.org\nContent-Transfer-Encoding: base64\n\nLS0t*LS1C\n",
	  LISTPOST_BAD, "body: bad base64: octet 0x2a" },
	{ "plain text", "From: a@example.org\nContent-Type: text/plain; charset=utf-8\n\nHello.\n",
	  LISTPOST_PLAIN, "text/plain without a PGP MESSAGE block" },
	{ "no Content-Type", "From: a@example.org\n\nHello.\n", LISTPOST_PLAIN,
	  "text/plain (no Content-Type) without a PGP MESSAGE block" },
	{ "empty body", "From: a@example.org\n\n", LISTPOST_PLAIN, "without a PGP MESSAGE block" },
	{ "quoted armor", "From: a@example.org\n\nYou wrote:\n> -----BEGIN PGP MESSAGE-----\n>\n"
	  "> hQEMA9aLb6k\n> -----END PGP MESSAGE-----\n", LISTPOST_PLAIN, "without a PGP" },
	{ "indented armor", "From: a@example.org\n\n -----BEGIN PGP MESSAGE-----\n\n hQEM\n"
	  " -----END PGP MESSAGE-----\n", LISTPOST_PLAIN, "without a PGP" },
	{ "clearsigned", "From: a@example.org\n\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: "
	  "SHA256\n\n"
	  "Hello.\n-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n",
	  LISTPOST_PLAIN, "clearsigned, not encrypted" },
	{ "public key", "From: a@example.org\n\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQIN\n"
	  "-----END PGP PUBLIC KEY BLOCK-----\n", LISTPOST_PLAIN, "without a PGP" },
	{ "html with armor", "From: a@example.org\nContent-Type: text/html\n\n<pre>\n"
	  "@ARMOR@</pre>\n",
	  LISTPOST_PLAIN, "text/html" },
};

/* inline_not_encrypted - inline faults and plain texts, CRLF and LF */
START_TEST(inline_not_encrypted)
{
	char *msg = make(inline_other[_i / 2].tmpl, _i % 2 == 0);
	struct listpost p;

	parse(msg, &p);
	ck_assert_msg(p.kind == inline_other[_i / 2].kind, "%s: kind %s (why: %s)",
		      inline_other[_i / 2].name, kind_name(p.kind), p.why);
	ck_assert_msg(strstr(p.why, inline_other[_i / 2].why) != NULL, "%s: why \"%s\"",
		      inline_other[_i / 2].name, p.why);
	ck_assert_ptr_null(p.payload);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* ---- S/MIME ------------------------------------------------------------------------------ */

#define DER_LEN 1004

/* der_fake - a DER SEQUENCE of 1000 octets of content with NUL, CR and LF among them */
static void der_fake(uint8_t der[DER_LEN])
{
	der[0] = 0x30;
	der[1] = 0x82;
	der[2] = 0x03;
	der[3] = 0xe8;
	for (int i = 4; i < DER_LEN; i++)
		der[i] = (uint8_t)(i * 37 + 11);
	der[100] = 0;
	der[101] = '\r';
	der[102] = '\n';
	der[DER_LEN - 1] = '\n';
}

static const struct {
	const char *name, *head, *smime_type;	/* HEAD: the header, LF */
	size_t line;				/* base64 line length, 0: binary */
	bool crlf;
} smime_good[] = {
	{ "outlook", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: application/pkcs7-mime; smime-type=enveloped-data;\n\tname=\"smime.p7m\"\n"
	  "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; "
	  "filename=\"smime.p7m\"\n",
	  "application/pkcs7-mime; smime-type=enveloped-data;\tname=\"smime.p7m\"", 76, true },
	{ "openssl smime", "To: board@lists.example.org\nFrom: a@example.org\nSubject: x\n"
	  "MIME-Version: 1.0\nContent-Disposition: attachment; filename=\"smime.p7m\"\n"
	  "Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\n"
	  "Content-Transfer-Encoding: base64\n",
	  "application/x-pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", 64, true },
	{ "openssl smime LF", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\n"
	  "Content-Transfer-Encoding: base64\n",
	  "application/x-pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", 64, false },
	{ "thunderbird", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: application/pkcs7-mime; name=\"smime.p7m\"; smime-type=enveloped-data\n"
	  "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; "
	  "filename=\"smime.p7m\"\n"
	  "Content-Description: S/MIME Encrypted Message\n",
	  "application/pkcs7-mime; name=\"smime.p7m\"; smime-type=enveloped-data", 72, false },
	{ "x400", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: application/pkcs7-mime; smime-type=enveloped-x400; name=smime.p7m\n"
	  "Content-Transfer-Encoding: Base64\n",
	  "application/pkcs7-mime; smime-type=enveloped-x400; name=smime.p7m", 76, true },
	{ "long lines", "From: a@example.org\nContent-Type: APPLICATION/PKCS7-MIME\n"
	  "Content-Transfer-Encoding: base64\n", "APPLICATION/PKCS7-MIME", 1000, true },
	{ "binary", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\n"
	  "Content-Transfer-Encoding: binary\n",
	  "application/pkcs7-mime; smime-type=enveloped-data", 0, true },
	{ "binary LF", "From: a@example.org\nContent-Type: application/pkcs7-mime (S/MIME);"
	  " smime-type=enveloped-data\nContent-Transfer-Encoding: binary\n",
	  "application/pkcs7-mime (S/MIME); smime-type=enveloped-data", 0, false },
	{ "8bit no CTE", "From: a@example.org\nContent-Type: application/pkcs7-mime\n",
	  "application/pkcs7-mime", 0, true },
};

/* smime_posts - S/MIME posts: base64 in lines of 64, 72, 76 and 1000, binary DER */
START_TEST(smime_posts)
{
	uint8_t der[DER_LEN];
	struct sb s = { 0 };
	const char *eol = smime_good[_i].crlf ? "\r\n" : "\n";
	char *head = smime_good[_i].crlf ? crlf_of(smime_good[_i].head) :
					    strdup(smime_good[_i].head);
	struct listpost p;

	der_fake(der);
	sb_puts(&s, head);
	sb_puts(&s, eol);
	if (smime_good[_i].line > 0) {
		char *b = b64_lines(der, sizeof(der), smime_good[_i].line, eol);
		sb_puts(&s, b);
		free(b);
	} else {
		sb_put(&s, der, sizeof(der));
		sb_puts(&s, eol);			/* the line end an MTA adds */
	}
	ck_assert(listpost_parse(s.p, s.len, &p));
	assert_kind(&p, LISTPOST_SMIME);
	ck_assert_uint_eq(p.payload_len, sizeof(der));
	ck_assert(memcmp(p.payload, der, sizeof(der)) == 0);
	ck_assert_ptr_nonnull(p.smime_type);
	ck_assert_str_eq(p.smime_type, smime_good[_i].smime_type);
	ck_assert_uint_eq(p.header_len, strlen(head) + strlen(eol));
	ck_assert_str_eq(p.why, "");
	listpost_clear(&p);
	ck_assert_ptr_null(p.smime_type);
	free(head);
	free(s.p);
}
END_TEST

/* smime_binary_edges - binary bodies: no line end, several, BER indefinite length kept as is */
START_TEST(smime_binary_edges)
{
	static const char head[] = "From: a@example.org\r\nContent-Type: application/pkcs7-mime\r\n"
				   "Content-Transfer-Encoding: binary\r\n\r\n";
	uint8_t der[DER_LEN], ber[] = { 0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00, '\r', '\n' };
	struct sb s = { 0 };
	struct listpost p;

	der_fake(der);
	sb_puts(&s, head);
	sb_put(&s, der, sizeof(der));
	ck_assert(listpost_parse(s.p, s.len, &p));		/* no line end */
	assert_kind(&p, LISTPOST_SMIME);
	ck_assert_uint_eq(p.payload_len, sizeof(der));
	listpost_clear(&p);
	sb_puts(&s, "\r\n\r\n\n");
	ck_assert(listpost_parse(s.p, s.len, &p));		/* several */
	ck_assert_uint_eq(p.payload_len, sizeof(der));
	listpost_clear(&p);
	sb_puts(&s, " ");
	ck_assert(listpost_parse(s.p, s.len, &p));		/* not only line ends: kept */
	ck_assert_uint_eq(p.payload_len, sizeof(der) + 6);
	listpost_clear(&p);

	s.len = 0;
	sb_puts(&s, head);
	sb_put(&s, ber, sizeof(ber));
	ck_assert(listpost_parse(s.p, s.len, &p));
	assert_kind(&p, LISTPOST_SMIME);
	ck_assert_uint_eq(p.payload_len, sizeof(ber));		/* length unknown: as is */
	listpost_clear(&p);
	free(s.p);
}
END_TEST

static const struct {
	const char *name, *body;
	const char *cte;
	const char *why;
} smime_bad[] = {
	{ "bad octet", "MIIB!AAA\n", "base64", "bad base64: octet 0x21" },
	{ "misplaced padding", "MIIB\nA===\n", "base64", "misplaced padding" },
	{ "padding inside", "MI=B\n", "base64", "data after the padding" },
	{ "data after padding", "MIE=\nMIIB\n", "base64", "data after the padding" },
	{ "partial quantum", "MIIBAAA\n", "base64", "truncated" },
	{ "not DER", "aGVsbG8gd29ybGQ=\n", "base64", "not DER (first octet 0x68" },
	{ "empty", "", "base64", "empty S/MIME body" },
	{ "only white space", " \n\t\n", "base64", "empty S/MIME body" },
	{ "quoted-printable", "0=82\n", "quoted-printable", "quoted-printable" },
	{ "unknown encoding", "MIIB\n", "x-binhex", "unknown Content-Transfer-Encoding" },
	{ "empty binary", "", "binary", "empty S/MIME body" },
};

/* smime_malformed - S/MIME bodies that are refused */
START_TEST(smime_malformed)
{
	struct sb s = { 0 };
	struct listpost p;

	sb_printf(&s, "From: a@example.org\r\nContent-Type: application/pkcs7-mime; "
		  "smime-type=enveloped-data\r\nContent-Transfer-Encoding: %s\r\n\r\n%s",
		  smime_bad[_i].cte, smime_bad[_i].body);
	parse(s.p, &p);
	ck_assert_msg(p.kind == LISTPOST_BAD, "%s: kind %s", smime_bad[_i].name, kind_name(p.kind));
	ck_assert_msg(strstr(p.why, smime_bad[_i].why) != NULL, "%s: why \"%s\"",
		      smime_bad[_i].name, p.why);
	ck_assert_ptr_null(p.payload);
	ck_assert_ptr_null(p.smime_type);
	listpost_clear(&p);
	free(s.p);
}
END_TEST

/* smime_type_too_long - a Content-Type the copies could not repeat on one line */
START_TEST(smime_type_too_long)
{
	struct sb s = { 0 };
	struct listpost p;

	sb_puts(&s, "From: a@example.org\r\nContent-Type: application/pkcs7-mime; x=\"");
	for (int i = 0; i < 900; i++)
		sb_puts(&s, "a");
	sb_puts(&s, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n");
	parse(s.p, &p);
	assert_kind(&p, LISTPOST_BAD);
	ck_assert(strstr(p.why, "longer than 900") != NULL);
	listpost_clear(&p);
	free(s.p);
}
END_TEST

/* ---- plain posts ------------------------------------------------------------------------- */

static const struct {
	const char *name, *tmpl, *why;
} plain_posts[] = {
	{ "mixed with attachment", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"------------0a1b2c3d\"\n\n"
	  "This is a multi-part message in MIME format.\n--------------0a1b2c3d\n"
	  "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
	  "Content-Transfer-Encoding: 7bit\n\nSee attached.\n\n--------------0a1b2c3d\n"
	  "Content-Type: application/pdf; name=\"budget.pdf\"\n"
	  "Content-Disposition: attachment; filename=\"budget.pdf\"\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0Zp\n\n"
	  "--------------0a1b2c3d--\n", "multipart/mixed" },
	{ "pgp signed", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/signed; micalg=pgp-sha256;\n "
	  "protocol=\"application/pgp-signature\";"
	  " boundary=\"sig\"\n\nThis is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n--sig\n"
	  "Content-Type: text/plain; charset=UTF-8\n\nHello.\n--sig\n"
	  "Content-Type: application/pgp-signature; name=\"OpenPGP_signature.asc\"\n"
	  "Content-Description: OpenPGP digital signature\n\n-----BEGIN PGP SIGNATURE-----\n\n"
	  "wsB5BAABCAAjFiEE\n=abcd\n-----END PGP SIGNATURE-----\n\n--sig--\n", "multipart/signed" },
	{ "smime signed", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
	  "micalg=sha-256; boundary=\"----3A1B\"\n\nThis is an S/MIME signed message\n\n"
	  "------3A1B\n"
	  "Content-Type: text/plain\n\nHello.\n\n------3A1B\n"
	  "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n"
	  "Content-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n\n------3A1B--\n\n",
	  "multipart/signed" },
	{ "html mail", "From: a@example.org\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3d4e5f6\"\n\n"
	  "--000000000000a1b2c3d4e5f6\nContent-Type: text/plain; charset=\"UTF-8\"\n\nHello\n\n"
	  "--000000000000a1b2c3d4e5f6\nContent-Type: text/html; charset=\"UTF-8\"\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n<div dir=3D\"ltr\">Hello</div>\n\n"
	  "--000000000000a1b2c3d4e5f6--\n", "multipart/alternative" },
	{ "html only", "From: a@example.org\nContent-Type: text/html; charset=utf-8\n\n<p>Hi</p>\n",
	  "text/html" },
	{ "related in alternative", "From: a@example.org\n"
	  "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nx\n"
	  "--a\nContent-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n"
	  "<img src=\"cid:i\">\n--r\nContent-Type: image/png\nContent-ID: <i>\n\n--r--\n--a--\n",
	  "multipart/alternative" },
	{ "forwarded encrypted", "From: a@example.org\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nFYI\n--m\n"
	  "Content-Type: " MPE "\n\n--b\n" PART1 "--b\n" PART2 "--b--\n--m--\n",
	  "multipart/mixed; part 2 is multipart/encrypted (encryption below the top level" },
	{ "nested smime", "From: a@example.org\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: application/pkcs7-mime\n"
	  "Content-Transfer-Encoding: base64\n\nMAA=\n--m--\n",
	  "part 1 is application/pkcs7-mime" },
	{ "message/rfc822", "From: a@example.org\nContent-Type: message/rfc822\n\n"
	  "From: b@example.org\nContent-Type: " MPE "\n\n--b\n" PART1 "--b\n" PART2 "--b--\n",
	  "message/rfc822" },
	{ "p7m as octet-stream", "From: a@example.org\n"
	  "Content-Type: application/octet-stream; name=\"smime.p7m\"\n"
	  "Content-Transfer-Encoding: base64\n\nMAA=\n", "application/octet-stream" },
	{ "digest", "From: a@example.org\nContent-Type: multipart/digest; boundary=d\n\n--d\n\n"
	  "From: x@example.org\n\nhello\n--d--\n", "multipart/digest" },
};

/* plain_post - posts that are not encrypted, CRLF and LF */
START_TEST(plain_post)
{
	char *msg = make(plain_posts[_i / 2].tmpl, _i % 2 == 0);
	struct listpost p;

	parse(msg, &p);
	ck_assert_msg(p.kind == LISTPOST_PLAIN, "%s: kind %s (why: %s)", plain_posts[_i / 2].name,
		      kind_name(p.kind), p.why);
	ck_assert_msg(strstr(p.why, plain_posts[_i / 2].why) != NULL, "%s: why \"%s\"",
		      plain_posts[_i / 2].name, p.why);
	ck_assert_ptr_null(p.payload);
	ck_assert_uint_eq(p.header_len, header_len_of(msg));
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* ---- malformed posts and limits ---------------------------------------------------------- */

static const struct {
	const char *name, *msg, *why;
} malformed[] = {
	{ "empty", "", "header without end" },
	{ "header without end", "From: a@example.org\r\nSubject: x\r\n", "header without end" },
	{ "header without line end", "From: a@example.org", "header without end" },
	{ "continuation first", " From: a@example.org\r\n\r\nx\r\n", "begins with a continuation" },
	{ "no colon", "From: a@example.org\r\nThis is not a field\r\n\r\nx\r\n",
	  "header line 2 is neither a field nor a continuation" },
	{ "empty name", ": x\r\n\r\nx\r\n", "header line 1" },
	{ "space in name", "X Y: z\r\n\r\nx\r\n", "header line 1" },
	{ "mbox From line", "From a@example.org Mon Jun  3 10:00:00 2024\nFrom: a\n\nx\n",
	  "header line 1" },
	{ "8-bit name", "X-\xc3\xa9: z\r\n\r\nx\r\n", "header line 1" },
	{ "mixed without boundary", "From: a\r\nContent-Type: multipart/mixed\r\n\r\n--b\r\n\r\n"
	  "--b--\r\n",
	  "multipart/mixed without boundary parameter" },
	{ "mixed boundary never found", "From: a\r\nContent-Type: multipart/mixed; "
	  "boundary=b\r\n\r\n"
	  "--c\r\n\r\nx\r\n--c--\r\n", "never found" },
	{ "mixed without close", "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\n\r\nx\r\n", "no closing boundary" },
	{ "nested without boundary", "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: multipart/alternative\r\n\r\nx\r\n--b--\r\n",
	  "part 1: multipart without boundary" },
	{ "nested never found", "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\n\r\nx\r\n--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\nx\r\n"
	  "--b--\r\n",
	  "part 2: boundary \"c\" never found" },
	{ "nested bad header", "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nbad\r\n\r\nx\r\n--c--\r\n"
	  "--b--\r\n", "part 1.1: header line 1" },
	{ "nested base64 multipart", "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: multipart/mixed; boundary=c\r\nContent-Transfer-Encoding: "
	  "base64\r\n"
	  "\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n", "part 1: multipart with "
	  "Content-Transfer-Encoding" },
};

/* malformed_posts - refused with a reason, never a crash */
START_TEST(malformed_posts)
{
	struct listpost p;

	parse(malformed[_i].msg, &p);
	ck_assert_msg(p.kind == LISTPOST_BAD, "%s: kind %s (why: %s)", malformed[_i].name,
		      kind_name(p.kind), p.why);
	ck_assert_msg(strstr(p.why, malformed[_i].why) != NULL, "%s: why \"%s\"",
		      malformed[_i].name, p.why);
	ck_assert_ptr_null(p.payload);
	listpost_clear(&p);
}
END_TEST

/* null_message - NULL is an empty message, LEN honoured (no NUL needed) */
START_TEST(null_message)
{
	struct listpost p;
	char *msg = make(T_THUNDERBIRD, true);
	size_t len = strlen(msg);
	char *copy = malloc(len);

	ck_assert(listpost_parse(NULL, 100, &p));
	assert_kind(&p, LISTPOST_BAD);
	listpost_clear(&p);
	memcpy(copy, msg, len);				/* not NUL-terminated */
	ck_assert(listpost_parse(copy, len, &p));
	assert_kind(&p, LISTPOST_PGPMIME);
	listpost_clear(&p);
	ck_assert(listpost_parse(copy, len - 50, &p));	/* the close delimiter cut off */
	assert_kind(&p, LISTPOST_BAD);
	ck_assert(strstr(p.why, "no closing boundary") != NULL);
	listpost_clear(&p);
	free(copy);
	free(msg);
}
END_TEST

/* elapsed - seconds since T0 */
static double elapsed(clock_t t0)
{
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* long_header_line - a 2 MB header line: refused at LISTPOST_MAX_HEADER */
START_TEST(long_header_line)
{
	size_t n = 2u << 20;
	struct sb s = { 0 };
	struct listpost p;
	clock_t t0;

	sb_puts(&s, "From: a@example.org\r\nSubject: ");
	for (size_t i = 0; i < n; i += 64)
		sb_puts(&s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	sb_puts(&s, "\r\n\r\n@ARMOR@");
	t0 = clock();
	ck_assert(listpost_parse(s.p, s.len, &p));
	ck_assert_msg(elapsed(t0) < 2.0, "took %.2f s", elapsed(t0));
	assert_kind(&p, LISTPOST_BAD);
	ck_assert_str_eq(p.why, "message: header longer than 1048576 octets");
	listpost_clear(&p);
	free(s.p);
}
END_TEST

/* header_of - a post whose header is exactly LEN octets (blank line included), body BODY */
static char *header_of(size_t len, const char *body, size_t *outlen)
{
	struct sb s = { 0 };
	size_t rem;

	sb_puts(&s, "From: a@example.org\r\n");
	rem = len - 2 - s.len;
	while (rem > 0) {
		size_t l = rem >= 1010 ? 1000 : rem;	/* a line of L octets, L >= 10 */
		sb_puts(&s, "X-Pad: ");
		for (size_t i = 0; i < l - 9; i++)
			sb_puts(&s, "a");
		sb_puts(&s, "\r\n");
		rem -= l;
	}
	sb_puts(&s, "\r\n");
	ck_assert_uint_eq(s.len, len);
	sb_puts(&s, body);
	*outlen = s.len;
	return s.p;
}

/* header_limit - a header of LISTPOST_MAX_HEADER octets is read, one more is refused */
START_TEST(header_limit)
{
	struct listpost p;
	size_t len;
	char *msg = header_of(LISTPOST_MAX_HEADER, "hello\r\n", &len);

	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_PLAIN);
	ck_assert_uint_eq(p.header_len, LISTPOST_MAX_HEADER);
	listpost_clear(&p);
	free(msg);
	msg = header_of(LISTPOST_MAX_HEADER + 1, "hello\r\n", &len);
	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_BAD);
	ck_assert(strstr(p.why, "header longer than") != NULL);
	ck_assert_uint_eq(p.header_len, 0);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* nested - a post with N levels of multipart/mixed around one text part (boundaries "b1_",
 * "b10_": none the prefix of another, as RFC 2046 wants) */
static char *nested(int n, size_t *len)
{
	struct sb s = { 0 };

	sb_puts(&s, "From: a@example.org\r\nMIME-Version: 1.0\r\n");
	for (int i = 0; i < n; i++)
		sb_printf(&s, "Content-Type: multipart/mixed; boundary=\"b%d_\"\r\n\r\n"
		  "--b%d_\r\n", i, i);
	sb_puts(&s, "Content-Type: text/plain\r\n\r\nhello\r\n");
	for (int i = n - 1; i >= 0; i--)
		sb_printf(&s, "--b%d_--\r\n", i);
	*len = s.len;
	return s.p;
}

/* nesting_limit - LISTPOST_MAX_DEPTH levels are read, one more is refused */
START_TEST(nesting_limit)
{
	struct listpost p;
	size_t len;
	char *msg = nested(LISTPOST_MAX_DEPTH, &len);

	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_PLAIN);
	ck_assert_str_eq(p.why, "multipart/mixed");
	listpost_clear(&p);
	free(msg);
	msg = nested(LISTPOST_MAX_DEPTH + 1, &len);
	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_BAD);
	ck_assert_str_eq(p.why, "part 1.1.1.1.1.1.1.1: multipart nesting deeper than 8 levels");
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* deep_nesting - 10,000 nested multiparts: refused, in bounded time */
START_TEST(deep_nesting)
{
	struct listpost p;
	size_t len;
	char *msg = nested(10000, &len);
	clock_t t0 = clock();

	ck_assert(listpost_parse(msg, len, &p));
	ck_assert_msg(elapsed(t0) < 2.0, "took %.2f s", elapsed(t0));
	assert_kind(&p, LISTPOST_BAD);
	ck_assert(strstr(p.why, "nesting deeper than 8 levels") != NULL);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* many_parts - a multipart/TYPE post with N parts */
static char *many_parts(int n, const char *type, size_t *len)
{
	struct sb s = { 0 };
	const char *proto = strcmp(type, "encrypted") == 0 ?
			    "; protocol=\"application/pgp-encrypted\"" : "";

	sb_printf(&s, "From: a@example.org\r\nContent-Type: multipart/%s; boundary=p%s\r\n\r\n",
		  type, proto);
	for (int i = 0; i < n; i++)
		sb_printf(&s, "--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i);
	sb_puts(&s, "--p--\r\n");
	*len = s.len;
	return s.p;
}

/* parts_limit - LISTPOST_MAX_PARTS parts are read, one more is refused, 1,000 quickly */
START_TEST(parts_limit)
{
	struct listpost p;
	size_t len;
	char *msg = many_parts(LISTPOST_MAX_PARTS, "mixed", &len);
	clock_t t0;

	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_PLAIN);
	listpost_clear(&p);
	free(msg);
	msg = many_parts(LISTPOST_MAX_PARTS + 1, "mixed", &len);
	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_BAD);
	ck_assert_str_eq(p.why, "message: more than 64 body parts in the message");
	listpost_clear(&p);
	free(msg);
	msg = many_parts(1000, "mixed", &len);
	t0 = clock();
	ck_assert(listpost_parse(msg, len, &p));
	ck_assert_msg(elapsed(t0) < 1.0, "took %.2f s", elapsed(t0));
	assert_kind(&p, LISTPOST_BAD);
	listpost_clear(&p);
	free(msg);
	msg = many_parts(1000, "encrypted", &len);
	ck_assert(listpost_parse(msg, len, &p));
	assert_kind(&p, LISTPOST_BAD);
	ck_assert(strstr(p.why, "more than 64 body parts") != NULL);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* parts_limit_nested - the limit counts the parts of every level together */
START_TEST(parts_limit_nested)
{
	struct sb s = { 0 };
	struct listpost p;

	sb_puts(&s, "From: a\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n");
	for (int i = 0; i < 2; i++) {
		sb_puts(&s, "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n");
		for (int k = 0; k < 31; k++)
			sb_puts(&s, "--i\r\n\r\nx\r\n");
		sb_puts(&s, "--i--\r\n");
	}
	sb_puts(&s, "--o--\r\n");
	parse(s.p, &p);				/* 2 + 62 = 64 */
	assert_kind(&p, LISTPOST_PLAIN);
	listpost_clear(&p);
	s.len = 0;
	sb_puts(&s, "From: a\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n");
	for (int i = 0; i < 2; i++) {
		sb_puts(&s, "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n");
		for (int k = 0; k < 32; k++)
			sb_puts(&s, "--i\r\n\r\nx\r\n");
		sb_puts(&s, "--i--\r\n");
	}
	sb_puts(&s, "--o--\r\n");
	parse(s.p, &p);				/* 2 + 64 = 66 */
	assert_kind(&p, LISTPOST_BAD);
	ck_assert(strstr(p.why, "more than 64 body parts") != NULL);
	listpost_clear(&p);
	free(s.p);
}
END_TEST

/* ---- copies ------------------------------------------------------------------------------ */

static const struct listpost_copy_args ARGS = {
	.list = "board@lists.example.org",
	.list_id = "board.lists.example.org",
	.list_phrase = "Board of directors",
	.requiretls = true,
	.tag_header = "X-Postward-TLS",
};

/* A post with every kind of field the copies drop, folded, repeated, in odd case. */
static const char T_FIELDS[] =
	"Return-Path: <alice@example.org>\n"
	"Delivered-To: board@lists.example.org\n"
	"Received: from mx.example.org (mx.example.org [192.0.2.1])\n"
	"\tby mx.lists.example.org (Postfix) with ESMTPS id 4Xyz;\n"
	"\tMon, 3 Jun 2024 10:00:01 +0200\n"
	"received: from [10.0.0.5] by mx.example.org; Mon, 3 Jun 2024 10:00:00 +0200\n"
	"RECEIVED \t: (local)\n"
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel;\n"
	"\th=from:to:subject; bh=abc=;\n"
	"\tb=XYZ\n"
	"From: Alice <alice@example.org>\n"
	"Authentication-Results: mx.lists.example.org;\n"
	"\tdkim=pass header.d=example.org\n"
	"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org\n"
	"ARC-Message-Signature: i=1; a=rsa-sha256;\n"
	" d=example.org\n"
	"arc-authentication-results: i=1; x\n"
	"To: board@lists.example.org\n"
	"Cc: \"Bob\" <bob@example.net>,\n"
	" carol@example.com\n"
	"Bcc: secret@example.org,\n"
	"  other@example.org\n"
	"BCC: third@example.org\n"
	"Subject: =?UTF-8?Q?Budget_=C3=BCber?=\n"
	" continued\n"
	"Date: Mon, 3 Jun 2024 10:00:00 +0200\n"
	"Message-ID: <abc@example.org>\n"
	"List-Id: Other list <other.example.org>\n"
	"List-Unsubscribe: <mailto:x@example.org>,\n"
	"\t<https://example.org/u>\n"
	"list-post: <mailto:old@example.org>\n"
	"LIST-HELP: <mailto:help@example.org>\n"
	"Precedence: bulk\n"
	"precedence: junk\n"
	"X-Postward-TLS: required\n"
	"x-postward-tls:\n"
	" optional\n"
	"X-POSTWARD-Injected: yes\n"
	"X-PW-Custom: keep\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/encrypted;\n"
	" protocol=\"application/pgp-encrypted\";\n"
	" boundary=\"XYZ\"\n"
	"Content-Transfer-Encoding: 7bit\n"
	"content-description: OpenPGP\n"
	"CONTENT-LANGUAGE: en\n"
	"Received-SPF: pass (not in the list of the contract)\n"
	"Archived-At: <https://example.org/a>\n"
	"Listserv-Info: kept\n"
	"Contents: kept\n"
	"Precedence-Level: kept\n"
	"Bccx: kept\n"
	"X-Postwardish: kept\n"
	"In-Reply-To: <prev@example.org>\n"
	"References: <prev@example.org>\n"
	"\t<prev2@example.org>\n"
	"Reply-To: board@lists.example.org\n"
	"X-Mailer: test\n"
	"\n"
	"--XYZ\n"
	"Content-Type: application/pgp-encrypted\n"
	"\n"
	"Version: 1\n"
	"\n"
	"--XYZ\n"
	"Content-Type: application/octet-stream\n"
	"\n"
	"@ARMOR@"
	"\n"
	"--XYZ--\n";

static const char FIELDS_KEPT[] =
	"From: Alice <alice@example.org>\r\n"
	"To: board@lists.example.org\r\n"
	"Cc: \"Bob\" <bob@example.net>,\r\n"
	" carol@example.com\r\n"
	"Subject: =?UTF-8?Q?Budget_=C3=BCber?=\r\n"
	" continued\r\n"
	"Date: Mon, 3 Jun 2024 10:00:00 +0200\r\n"
	"Message-ID: <abc@example.org>\r\n"
	"X-PW-Custom: keep\r\n"
	"Received-SPF: pass (not in the list of the contract)\r\n"
	"Archived-At: <https://example.org/a>\r\n"
	"Listserv-Info: kept\r\n"
	"Contents: kept\r\n"
	"Precedence-Level: kept\r\n"
	"Bccx: kept\r\n"
	"X-Postwardish: kept\r\n"
	"In-Reply-To: <prev@example.org>\r\n"
	"References: <prev@example.org>\r\n"
	"\t<prev2@example.org>\r\n"
	"Reply-To: board@lists.example.org\r\n"
	"X-Mailer: test\r\n"
	"List-Id: Board of directors <board.lists.example.org>\r\n"
	"List-Post: <mailto:board@lists.example.org>\r\n"
	"Precedence: list\r\n"
	"X-Postward-TLS: required\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
	" boundary=\"=_postward_";

/* copy_of_n - listpost_copy of MSG (MSGLEN octets) that must succeed; the copy NUL-terminated */
static char *copy_of_n(const char *msg, size_t msglen, const struct listpost *p,
		       const struct listpost_copy_args *a, const void *payload, size_t len,
		       size_t *outlen)
{
	char *out = NULL;
	size_t n = 0;

	ck_assert(listpost_copy(msg, msglen, p, a, payload, len, &out, &n));
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), n);	/* NUL-terminated, no NUL inside */
	if (outlen != NULL)
		*outlen = n;
	return out;
}

/* copy_of - copy_of_n of a NUL-terminated MSG */
static char *copy_of(const char *msg, const struct listpost *p, const struct listpost_copy_args *a,
		     const void *payload, size_t len, size_t *outlen)
{
	return copy_of_n(msg, strlen(msg), p, a, payload, len, outlen);
}

/* assert_crlf - every line of the N octets at T ends in CRLF, none is over 998 octets */
static void assert_crlf(const char *t, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\r') {
			ck_assert_msg(i + 1 < n && t[i + 1] == '\n', "lone CR at %zu", i);
			continue;
		}
		if (t[i] == '\n') {
			ck_assert_msg(i > 0 && t[i - 1] == '\r', "bare LF at %zu", i);
			col = 0;
			continue;
		}
		ck_assert_msg(++col <= 998, "line over 998 octets at %zu", i);
	}
	ck_assert_msg(n >= 2 && t[n - 2] == '\r' && t[n - 1] == '\n', "no final CRLF");
}

/* field_count - how many header fields of the message T are named NAME (any case) */
static int field_count(const char *t, const char *name)
{
	size_t k = strlen(name);
	int n = 0;

	for (const char *l = t; *l && !(l[0] == '\r' && l[1] == '\n'); ) {
		const char *e = strstr(l, "\r\n");
		if (strncasecmp(l, name, k) == 0 && (l[k] == ':' || l[k] == ' ' || l[k] == '\t'))
			n++;
		if (e == NULL)
			break;
		l = e + 2;
	}
	return n;
}

/* field_prefix_count - how many header fields of T have names beginning with PREFIX */
static int field_prefix_count(const char *t, const char *prefix)
{
	size_t k = strlen(prefix);
	int n = 0;

	for (const char *l = t; *l && !(l[0] == '\r' && l[1] == '\n'); ) {
		const char *e = strstr(l, "\r\n");
		if (l[0] != ' ' && l[0] != '\t' && strncasecmp(l, prefix, k) == 0)
			n++;
		if (e == NULL)
			break;
		l = e + 2;
	}
	return n;
}

/* copy_header_filter - the drop list of the contract, exactly, in both line-end styles */
START_TEST(copy_header_filter)
{
	char *msg = make(T_FIELDS, _i == 0), *c;
	struct listpost p;
	size_t n;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPMIME);
	c = copy_of(msg, &p, &ARGS, NEWARMOR, strlen(NEWARMOR), &n);
	ck_assert_msg(strncmp(c, FIELDS_KEPT, strlen(FIELDS_KEPT)) == 0, "header:\n%.2000s", c);
	assert_crlf(c, n);
	ck_assert_int_eq(field_count(c, "Received"), 0);
	ck_assert_int_eq(field_count(c, "Return-Path"), 0);
	ck_assert_int_eq(field_count(c, "Delivered-To"), 0);
	ck_assert_int_eq(field_count(c, "DKIM-Signature"), 0);
	ck_assert_int_eq(field_count(c, "Authentication-Results"), 0);
	ck_assert_int_eq(field_prefix_count(c, "ARC-"), 0);
	ck_assert_int_eq(field_count(c, "Bcc"), 0);
	ck_assert_int_eq(field_prefix_count(c, "List-"), 2);		/* ours */
	ck_assert_int_eq(field_count(c, "Precedence"), 1);
	ck_assert_int_eq(field_prefix_count(c, "X-Postward-"), 1);
	ck_assert_int_eq(field_count(c, "MIME-Version"), 1);
	ck_assert_int_eq(field_prefix_count(c, "Content-"), 1);		/* our Content-Type */
	ck_assert(strstr(c, "secret@") == NULL && strstr(c, "other@example.org") == NULL);
	ck_assert(strstr(c, "192.0.2.1") == NULL && strstr(c, "optional") == NULL);
	ck_assert(strstr(c, "old@example.org") == NULL && strstr(c, "bh=abc") == NULL);
	listpost_clear(&p);
	free(c);
	free(msg);
}
END_TEST

/* copy_tag_field - the tag only when asked; a post's own tag field never passes */
START_TEST(copy_tag_field)
{
	char *msg = make("From: a@example.org\nX-Custom-TLS: required\nx-custom-tls: no\n"
			 "X-Postward-TLS: no\n\n@ARMOR@", true), *c;
	struct listpost_copy_args a = ARGS;
	struct listpost p;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPINLINE);
	a.requiretls = false;
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert_int_eq(field_count(c, "X-Postward-TLS"), 0);
	ck_assert_int_eq(field_count(c, "X-Custom-TLS"), 2);	/* not the tag: kept */
	free(c);
	a.tag_header = "X-Custom-TLS";
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert_int_eq(field_count(c, "X-Custom-TLS"), 0);
	ck_assert_int_eq(field_count(c, "X-Postward-TLS"), 0);
	free(c);
	a.requiretls = true;
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert_int_eq(field_count(c, "X-Custom-TLS"), 1);
	ck_assert(strstr(c, "\r\nX-Custom-TLS: required\r\n") != NULL);
	free(c);
	a.tag_header = NULL;				/* the default name */
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nX-Postward-TLS: required\r\n") != NULL);
	ck_assert_int_eq(field_count(c, "X-Postward-TLS"), 1);
	free(c);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* boundary_of - the boundary parameter of the copy C (static buffer) */
static const char *boundary_of(const char *c)
{
	static char b[128];
	const char *s = strstr(c, "boundary=\""), *e;

	ck_assert_ptr_nonnull(s);
	s += 10;
	e = strchr(s, '"');
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - s), sizeof(b));
	memcpy(b, s, (size_t)(e - s));
	b[e - s] = '\0';
	return b;
}

/* copy_pgpmime_round_trip - parse(copy) is PGP/MIME again with the new payload, the boundary
 * fresh per copy and not in the payload; a payload in CRLF or without a final line end too */
START_TEST(copy_pgpmime_round_trip)
{
	char *msg = make(pgpmime_good[_i].tmpl, true), *c1, *c2, *crlf = crlf_of(NEWARMOR);
	char b1[128];
	struct listpost p, q;
	size_t n;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPMIME);
	c1 = copy_of(msg, &p, &ARGS, NEWARMOR, strlen(NEWARMOR), &n);
	assert_crlf(c1, n);
	ck_assert(listpost_parse(c1, n, &q));
	assert_kind(&q, LISTPOST_PGPMIME);
	assert_payload(&q, NEWARMOR);
	ck_assert_str_eq(q.why, "");
	ck_assert(strstr(c1, "\r\n\r\nThis is an OpenPGP/MIME encrypted message (RFC 4880 and "
			 "3156)\r\n--") != NULL);
	ck_assert(strstr(c1, "\r\nContent-Type: application/pgp-encrypted\r\n") != NULL);
	ck_assert(strstr(c1, "\r\n\r\nVersion: 1\r\n") != NULL);
	ck_assert(strstr(c1, "Content-Type: application/octet-stream; "
	  "name=\"encrypted.asc\"") != NULL);
	ck_assert(strstr(c1, "hQEMA9aLb6kE3G5m") == NULL);	/* the old armor is gone */
	ck_assert(strstr(c1, "hQIMA5MZ0Gc8") == NULL);
	snprintf(b1, sizeof(b1), "%s", boundary_of(c1));
	ck_assert_uint_le(strlen(b1), 70);
	ck_assert(strstr(NEWARMOR, b1) == NULL);
	listpost_clear(&q);

	c2 = copy_of(msg, &p, &ARGS, (const uint8_t *)crlf, strlen(crlf) - 2, &n);
	ck_assert_str_ne(boundary_of(c2), b1);			/* fresh per copy */
	assert_crlf(c2, n);
	ck_assert(listpost_parse(c2, n, &q));
	assert_kind(&q, LISTPOST_PGPMIME);
	assert_payload(&q, NEWARMOR);
	ck_assert_uint_eq(q.header_len, (size_t)(strstr(c2, "\r\n\r\n") - c2) + 4);
	listpost_clear(&q);
	listpost_clear(&p);
	free(c1);
	free(c2);
	free(crlf);
	free(msg);
}
END_TEST

/* pgpmime_entity - mime_pgpmime's entity, whatever the armor's line ends, is a PGP/MIME post
 * with the armor as payload; boundaries RFC 2046 does not allow are refused */
START_TEST(pgpmime_entity)
{
	static const char head[] = "From: a@example.org\r\nTo: board@lists.example.org\r\n"
				   "Subject: x\r\nMIME-Version: 1.0\r\n";
	char *crlf = crlf_of(NEWARMOR), *cr = strdup(NEWARMOR), *ent, *msg;
	const char *armors[3] = { NEWARMOR, crlf, cr };
	static const char *const bad[] = { "", "a b", "a\"b", "a;b",
		"0123456789012345678901234567890123456789012345678901234567890123456789x" };
	struct listpost p;
	size_t n;

	ck_assert_ptr_nonnull(cr);
	for (char *q = cr; *q; q++)
		if (*q == '\n')
			*q = '\r';
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(mime_pgpmime("=_postward_x", armors[i], strlen(armors[i]), &ent,
					      &n), MIME_OK);
		ck_assert_uint_eq(strlen(ent), n);
		ck_assert_ptr_nonnull(msg = malloc(sizeof(head) + n));
		memcpy(msg, head, sizeof(head) - 1);
		memcpy(msg + sizeof(head) - 1, ent, n + 1);
		assert_crlf(msg, strlen(msg));
		parse(msg, &p);
		assert_kind(&p, LISTPOST_PGPMIME);
		assert_payload(&p, NEWARMOR);
		ck_assert(strstr(msg, "\r\n--=_postward_x--\r\n") != NULL);
		listpost_clear(&p);
		free(msg);
		free(ent);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		ent = (char *)1;
		ck_assert_int_eq(mime_pgpmime(bad[i], NEWARMOR, strlen(NEWARMOR), &ent, &n),
				 MIME_BAD);
		ck_assert_ptr_null(ent);
	}
	free(crlf);
	free(cr);
}
END_TEST

/* copy_inline_round_trip - text/plain with the armor only: text outside is gone */
START_TEST(copy_inline_round_trip)
{
	char *msg = make("From: a@example.org\nSubject: x\nContent-Type: text/plain; "
	  "charset=utf-8\n"
			 "Content-Transfer-Encoding: 8bit\n\nSecret preface\n@ARMOR@"
			 "Secret footer\n", _i == 0), *c;
	struct listpost p, q;
	size_t n;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPINLINE);
	ck_assert(strstr(p.why, "dropped") != NULL);
	c = copy_of(msg, &p, &ARGS, NEWARMOR, strlen(NEWARMOR), &n);
	assert_crlf(c, n);
	ck_assert(strstr(c, "Secret") == NULL);
	ck_assert(strstr(c, "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
			 "-----BEGIN PGP MESSAGE-----\r\n") != NULL);
	ck_assert_int_eq(field_count(c, "Content-Transfer-Encoding"), 0);
	ck_assert(listpost_parse(c, n, &q));
	assert_kind(&q, LISTPOST_PGPINLINE);
	assert_payload(&q, NEWARMOR);
	ck_assert_str_eq(q.why, "");
	listpost_clear(&q);
	listpost_clear(&p);
	free(c);
	free(msg);
}
END_TEST

/* copy_smime_round_trip - the post's Content-Type, base64 in lines of 76, DER back intact */
START_TEST(copy_smime_round_trip)
{
	uint8_t der[DER_LEN], der2[777];
	struct sb s = { 0 };
	char *b64, *c;
	const char *body, *l;
	struct listpost p, q;
	size_t n, lines = 0;

	der_fake(der);
	b64 = b64_lines(der, sizeof(der), 64, "\r\n");
	sb_printf(&s, "From: a@example.org\r\nContent-Type: application/pkcs7-mime; "
		  "smime-type=enveloped-data;\r\n\tname=\"smime.p7m\"\r\n"
		  "Content-Transfer-Encoding: "
		  "base64\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\n"
		  "Content-Description: S/MIME Encrypted Message\r\n\r\n%s", b64);
	parse(s.p, &p);
	assert_kind(&p, LISTPOST_SMIME);
	for (size_t i = 0; i < sizeof(der2); i++)
		der2[i] = (uint8_t)(i * 7 + 3);
	der2[0] = 0x30;
	der2[1] = 0x82;
	der2[2] = (sizeof(der2) - 4) >> 8;
	der2[3] = (sizeof(der2) - 4) & 0xff;
	c = copy_of(s.p, &p, &ARGS, der2, sizeof(der2), &n);
	assert_crlf(c, n);
	ck_assert(strstr(c, "\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data;"
			 "\r\n\tname=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n"
			 "Content-Disposition: attachment; "
			 "filename=\"smime.p7m\"\r\n\r\n") != NULL);
	ck_assert_int_eq(field_count(c, "Content-Description"), 0);
	body = strstr(c, "\r\n\r\n") + 4;
	for (l = body; *l; lines++) {
		const char *e = strstr(l, "\r\n");
		unsigned char dec[80];
		ck_assert_ptr_nonnull(e);
		if (e[2] != '\0')
			ck_assert_msg(e - l == 76, "line %zu has %d characters", lines,
				      (int)(e - l));
		ck_assert_int_le(e - l, 76);
		ck_assert_int_ge(b64_dec(l, (size_t)(e - l), dec), 0);
		l = e + 2;
	}
	ck_assert_uint_eq(lines, (sizeof(der2) + 56) / 57);
	ck_assert(listpost_parse(c, n, &q));
	assert_kind(&q, LISTPOST_SMIME);
	ck_assert_uint_eq(q.payload_len, sizeof(der2));
	ck_assert(memcmp(q.payload, der2, sizeof(der2)) == 0);
	ck_assert_str_eq(q.smime_type, p.smime_type);
	listpost_clear(&q);
	listpost_clear(&p);
	free(c);
	free(b64);
	free(s.p);
}
END_TEST

/* copy_smime_folding - a long S/MIME Content-Type is folded and unfolds to the same value */
START_TEST(copy_smime_folding)
{
	static const char ct[] = "application/x-pkcs7-mime; smime-type=enveloped-data; "
				 "name=\"smime.p7m\"; x-a=\"quoted value with spaces in it\"; "
				 "x-b=1";
	char *msg = malloc(strlen(ct) + 200), *c;
	const char *l;
	struct listpost p, q;
	size_t n;

	sprintf(msg, "From: a@example.org\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64"
		"\r\n\r\nMAMCAQA=\r\n", ct);
	parse(msg, &p);
	assert_kind(&p, LISTPOST_SMIME);
	ck_assert_str_eq(p.smime_type, ct);
	c = copy_of(msg, &p, &ARGS, p.payload, p.payload_len, &n);
	l = strstr(c, "\r\nContent-Type: ") + 2;
	for (int lines = 1; ; lines++) {		/* folded, each line within 78 */
		const char *e = strstr(l, "\r\n");
		ck_assert_int_le(e - l, 78);
		l = e + 2;
		if (*l != ' ') {
			ck_assert_int_ge(lines, 2);
			break;
		}
	}
	ck_assert(listpost_parse(c, n, &q));
	assert_kind(&q, LISTPOST_SMIME);
	ck_assert_str_eq(q.smime_type, ct);
	listpost_clear(&q);
	listpost_clear(&p);
	free(c);
	free(msg);
}
END_TEST

/* decode_words - the RFC 2047 B encoded-words of the List-Id phrase in C, concatenated */
static void decode_words(const char *c, char *out, size_t size)
{
	const char *l = strstr(c, "\r\nList-Id: ") + 11;
	size_t k = 0;

	out[0] = '\0';
	while (strncmp(l, "=?UTF-8?B?", 10) == 0) {
		const char *e = strstr(l + 10, "?=");
		unsigned char dec[64];
		int m;
		ck_assert_ptr_nonnull(e);
		ck_assert_int_le(e + 2 - l, 75);
		m = b64_dec(l + 10, (size_t)(e - l - 10), dec);
		ck_assert_int_gt(m, 0);
		ck_assert_msg((dec[0] & 0xc0) != 0x80, "a word begins inside a UTF-8 sequence");
		ck_assert_uint_lt(k + (size_t)m, size);
		memcpy(out + k, dec, (size_t)m);
		out[k += (size_t)m] = '\0';
		l = e + 2;
		if (strncmp(l, "\r\n ", 3) == 0)
			l += 3;
		else if (*l == ' ')
			l++;
	}
	ck_assert(*l == '<');
}

/* copy_list_fields - List-Id phrases (atoms, quoted, encoded) and List-Post encoding */
START_TEST(copy_list_fields)
{
	static const char long_utf8[] = "Conseil d'administration \xc3\xa9lu de l'association "
		"\xc2\xab Les Amis du Ch\xc3\xa2teau \xc2\xbb \xe2\x80\x94 liste "
		"chiffr\xc3\xa9" "e "
		"\xf0\x9f\x94\x92 r\xc3\xa9serv\xc3\xa9" "e aux membres";
	char *msg = make("From: a@example.org\n\n@ARMOR@", true), *c, dec[512];
	struct listpost_copy_args a = ARGS;
	struct listpost p;
	size_t n;

	parse(msg, &p);
	a.list_phrase = NULL;
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nList-Id: <board.lists.example.org>\r\n") != NULL);
	free(c);
	a.list_phrase = "";
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nList-Id: <board.lists.example.org>\r\n") != NULL);
	free(c);
	a.list_phrase = "Board, Inc.";
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nList-Id: \"Board, Inc.\" <board.lists.example.org>\r\n") != NULL);
	free(c);
	a.list_phrase = "The \"inner\" \\ circle";
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nList-Id: \"The \\\"inner\\\" \\\\ circle\" "
			 "<board.lists.example.org>\r\n") != NULL);
	free(c);
	a.list_phrase = "Vorstand \xc3\xbc";
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nList-Id: =?UTF-8?B?Vm9yc3RhbmQgw7w=?= "
			 "<board.lists.example.org>\r\n") != NULL);
	free(c);
	a.list_phrase = long_utf8;
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), &n);
	assert_crlf(c, n);
	decode_words(c, dec, sizeof(dec));
	ck_assert_str_eq(dec, long_utf8);
	for (const char *l = strstr(c, "\r\nList-Id: ") + 2; ; ) {
		const char *e = strstr(l, "\r\n");
		ck_assert_int_le(e - l, 78);
		l = e + 2;
		if (*l != ' ')
			break;
	}
	free(c);
	a.list_phrase = ARGS.list_phrase;
	a.list = "board+x/y?z%@lists.example.org";
	c = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), NULL);
	ck_assert(strstr(c, "\r\nList-Post: "
	  "<mailto:board+x%2Fy%3Fz%25@lists.example.org>\r\n") != NULL);
	free(c);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* ---- the header of a copy: list roles, From rewrite, Subject prefix, Autocrypt ------------ */

/* copy_hdr - the copy of an inline post whose header is HDR (LF line ends), made with A */
static char *copy_hdr(const char *hdr, const struct listpost_copy_args *a)
{
	struct sb t = { 0 };
	struct listpost p;
	char *msg, *c;
	size_t n;

	sb_puts(&t, hdr);
	sb_puts(&t, "\n@ARMOR@");
	msg = make(t.p, true);
	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPINLINE);
	c = copy_of(msg, &p, a, NEWARMOR, strlen(NEWARMOR), &n);
	assert_crlf(c, n);
	listpost_clear(&p);
	free(msg);
	free(t.p);
	return c;
}

/* hdr_cut - the copy C cut after its header (the CRLF CRLF), in place */
static char *hdr_cut(char *c)
{
	char *e = strstr(c, "\r\n\r\n");
	ck_assert_ptr_nonnull(e);
	e[2] = '\0';
	return c;
}

/* assert_folded - every line of the header H is at most 78 octets */
static void assert_folded(const char *h)
{
	for (const char *l = h; *l; ) {
		const char *e = strstr(l, "\r\n");
		ck_assert_ptr_nonnull(e);
		ck_assert_msg(e - l <= 78, "line over 78: %.*s", (int)(e - l), l);
		l = e + 2;
	}
}

/* assert_fields - for each "NAME=N" of the blank-separated SPEC: the header T has N fields
 * named NAME */
static void assert_fields(const char *t, const char *spec)
{
	char name[64];
	int n, used;

	while (sscanf(spec, " %63[^= ]=%d%n", name, &n, &used) == 2) {
		ck_assert_msg(field_count(t, name) == n, "%s: %d fields, not %d, in:\n%s", name,
			      field_count(t, name), n, t);
		spec += used;
	}
	ck_assert_msg(*spec == '\0', "bad spec at \"%s\"", spec);
}

/* starts - whether C begins with S */
static bool starts(const char *c, const char *s)
{
	return strncmp(c, s, strlen(s)) == 0;
}

/* copy_list_roles - List-Help, -Unsubscribe, -Subscribe (mailto -request with the command
 * as subject), List-Owner; none of them without the role addresses; never
 * List-Unsubscribe-Post (RFC 8058 is for HTTPS URIs) */
START_TEST(copy_list_roles)
{
	struct listpost_copy_args a = ARGS;
	char *c;

	c = hdr_cut(copy_hdr("From: a@example.org\nList-Help: <mailto:evil@example.org>\n", &a));
	assert_fields(c, "List-Help=0 List-Unsubscribe=0 List-Subscribe=0 List-Owner=0 "
		      "Autocrypt=0");
	free(c);
	a.request = "board-request@lists.example.org";
	a.owner = "board-owner@lists.example.org";
	c = hdr_cut(copy_hdr("From: a@example.org\nList-Help: <mailto:evil@example.org>\n", &a));
	ck_assert_msg(strstr(c, "\r\nList-Id: Board of directors <board.lists.example.org>\r\n"
			     "List-Help: <mailto:board-request@lists.example.org?subject=help>\r\n"
			     "List-Unsubscribe: "
			     "<mailto:board-request@lists.example.org?subject=unsubscribe>\r\n"
			     "List-Subscribe: "
			     "<mailto:board-request@lists.example.org?subject=subscribe>\r\n"
			     "List-Post: <mailto:board@lists.example.org>\r\n"
			     "List-Owner: <mailto:board-owner@lists.example.org>\r\n"
			     "Precedence: list\r\n") != NULL, "%s", c);
	assert_fields(c, "List-Help=1 List-Unsubscribe-Post=0");
	assert_folded(c);
	free(c);
	/* only the owner */
	a.request = NULL;
	c = hdr_cut(copy_hdr("From: a@example.org\n", &a));
	assert_fields(c, "List-Help=0 List-Owner=1");
	free(c);
	/* role addresses that would break the header are refused */
	{
		char *msg = make("From: a@example.org\n\n@ARMOR@", true), *out = NULL;
		struct listpost p;
		size_t n;
		parse(msg, &p);
		a.owner = "x\r\nBcc: y@example.org";
		ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &out, &n));
		a.owner = "";
		ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &out, &n));
		a.owner = NULL;
		a.subject_prefix = "[a]\n";
		ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &out, &n));
		a.subject_prefix = NULL;
		a.list_name = "x\ty";
		ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &out, &n));
		listpost_clear(&p);
		free(msg);
	}
}
END_TEST

static const struct {
	const char *from;		/* the post's From value */
	const char *want;		/* the copy's From value */
	bool author;			/* Reply-To added */
} from_cases[] = {
	{ "Alice Example <alice@example.org>",
	  "Alice Example via Board <board@lists.example.org>", true },
	{ "alice@example.org", "alice via Board <board@lists.example.org>", true },
	{ "<alice@example.org>", "alice via Board <board@lists.example.org>", true },
	{ "\"Smith, John\" <js@example.org>",
	  "\"Smith, John via Board\" <board@lists.example.org>", true },
	{ "\"The \\\"Boss\\\"\" <b@example.org>",
	  "\"The \\\"Boss\\\" via Board\" <board@lists.example.org>", true },
	{ "=?UTF-8?B?SsO2cmc=?= <j@example.org>",
	  "=?UTF-8?B?SsO2cmcgdmlhIEJvYXJk?= <board@lists.example.org>", true },
	{ "J\xc3\xb6rg <j@example.org>",
	  "=?UTF-8?B?SsO2cmcgdmlhIEJvYXJk?= <board@lists.example.org>", true },
	{ "=?iso-8859-1?q?J=F6rg?= <j@example.org>",
	  "=?UTF-8?B?SsO2cmcgdmlhIEJvYXJk?= <board@lists.example.org>", true },
	{ "=?UTF-8?Q?J=C3=B6?= =?UTF-8?Q?rg?= <j@example.org>",
	  "=?UTF-8?B?SsO2cmcgdmlhIEJvYXJk?= <board@lists.example.org>", true },
	{ "=?KOI8-R?B?68/T?= <k@example.org>", "k via Board <board@lists.example.org>", true },
	{ "=?UTF-8?B?QQ1CY2M6IHg=?= <k@example.org>", "k via Board <board@lists.example.org>",
	  true },	/* a CR decoded: not a display name */
	{ "alice@example.org (Alice A.)", "\"Alice A. via Board\" <board@lists.example.org>",
	  true },
	{ "\"bob@example.net\" <bob@example.net>", "bob via Board <board@lists.example.org>",
	  true },
	{ "\"=?x?\" <e@example.org>", "\"=?x? via Board\" <board@lists.example.org>", true },
	{ "Alice <alice@example.org>, Bob <bob@example.net>",
	  "Alice via Board <board@lists.example.org>", true },
	{ "undisclosed-recipients:;", "Board <board@lists.example.org>", false },
	{ "not an address", "Board <board@lists.example.org>", false },
};

/* copy_from_rewrite - From: "DISPLAY via NAME" <LIST>, X-Original-From and Reply-To: the
 * original From, for display names plain, quoted, encoded, 8-bit, missing and broken */
START_TEST(copy_from_rewrite)
{
	struct listpost_copy_args a = ARGS;
	struct sb t = { 0 }, w = { 0 };
	char *c;

	a.from_rewrite = true;
	a.list_name = "Board";
	sb_puts(&t, "From: ");
	sb_puts(&t, from_cases[_i].from);
	sb_puts(&t, "\nSubject: x\n");
	c = hdr_cut(copy_hdr(t.p, &a));
	sb_puts(&w, "From: ");
	sb_puts(&w, from_cases[_i].want);
	sb_puts(&w, "\r\nX-Original-From: ");
	sb_puts(&w, from_cases[_i].from);
	sb_puts(&w, "\r\n");
	if (from_cases[_i].author) {
		sb_puts(&w, "Reply-To: ");
		sb_puts(&w, from_cases[_i].from);
		sb_puts(&w, "\r\n");
	}
	sb_puts(&w, "Subject: x\r\n");
	ck_assert_msg(starts(c, w.p), "got:\n%s\nwanted:\n%s", c, w.p);
	ck_assert_int_eq(field_count(c, "From"), 1);
	ck_assert_int_eq(field_count(c, "Reply-To"), from_cases[_i].author ? 1 : 0);
	free(c);
	free(t.p);
	free(w.p);
}
END_TEST

/* copy_from_rewrite_fields - a Reply-To of the post is kept (and none added); Sender,
 * Autocrypt and X-Original-From of the post go; a second From goes; the list's name falls back
 * to the List-Id phrase and then to the list's local part; a long name is folded; a post without
 * From gets one; without from_rewrite nothing of it happens */
START_TEST(copy_from_rewrite_fields)
{
	static const char hdr[] =
		"Sender: relay@example.org\n"
		"From: Alice <alice@example.org>\n"
		"Autocrypt: addr=alice@example.org; keydata=AAAA\n"
		"X-Original-From: forged@example.org\n"
		"Reply-To: Team <team@example.org>\n"
		"From: second@example.org\n"
		"Subject: x\n";
	struct listpost_copy_args a = ARGS;
	char *c;

	c = hdr_cut(copy_hdr(hdr, &a));	/* no rewrite: the post's fields as they were */
	ck_assert(starts(c, "Sender: relay@example.org\r\nFrom: Alice <alice@example.org>\r\n"
			 "Autocrypt: addr=alice"));
	assert_fields(c, "X-Original-From=1 From=2");
	free(c);
	a.from_rewrite = true;
	c = hdr_cut(copy_hdr(hdr, &a));
	ck_assert_msg(starts(c, "From: Alice via Board of directors <board@lists.example.org>\r\n"
			     "X-Original-From: Alice <alice@example.org>\r\n"
			     "Reply-To: Team <team@example.org>\r\nSubject: x\r\n"), "%s", c);
	assert_fields(c, "From=1 Reply-To=1 Sender=0 Autocrypt=0 X-Original-From=1");
	free(c);
	a.list_phrase = NULL;
	c = hdr_cut(copy_hdr("From: Alice <alice@example.org>\n", &a));
	ck_assert_msg(starts(c, "From: Alice via board <board@lists.example.org>\r\n"), "%s", c);
	free(c);
	c = hdr_cut(copy_hdr("Subject: no author\n", &a));
	ck_assert_int_eq(field_count(c, "From"), 1);
	ck_assert(strstr(c, "\r\nFrom: board <board@lists.example.org>\r\n") != NULL);
	ck_assert_int_eq(field_count(c, "Reply-To"), 0);
	free(c);
	a.list_name = "Board";
	c = hdr_cut(copy_hdr("From: \"J\xc3\xb6rg M\xc3\xbcller-L\xc3\xbc" "denscheidt aus dem "
			     "sch\xc3\xb6nen Sauerland, Vorsitzender\" <j@example.org>\n", &a));
	strstr(c, "X-Original-From:")[0] = '\0';	/* the post's quoted-string: not refolded */
	assert_folded(c);
	ck_assert_msg(starts(c, "From: =?UTF-8?B?SsO2cmcgTcO8bGxlci1Mw7xkZW5zY2hlaWR0IGF1cyBkZW0g"
			     "c2No?=\r\n =?UTF-8?B?w7ZuZW4gU2F1ZXJsYW5kLCBWb3JzaXR6ZW5kZXIgdmlh"
			     "IEJvYXJk?=\r\n <board@lists.example.org>\r\n"), "%s", c);
	free(c);
	c = hdr_cut(copy_hdr("From: \"A very long display name that goes on and on, past "
			       "the fold\" <alice@example.org>\n", &a));
	assert_folded(c);
	free(c);
}
END_TEST

static const struct {
	const char *prefix, *subject;	/* NULL subject: no Subject field */
	const char *want;		/* the copy's Subject field */
} subject_cases[] = {
	{ "[board]", "Budget", "Subject: [board] Budget\r\n" },
	{ "[board]", "Re: [board] Budget", "Subject: Re: [board] Budget\r\n" },
	{ "[board]", "Re: [BOARD] Budget", "Subject: Re: [BOARD] Budget\r\n" },
	{ "[board]", "=?UTF-8?Q?Re:_[board]_caf=C3=A9?=", "Subject: =?UTF-8?Q?Re:_[board]_caf=C3=A9?=\r\n" },
	{ "[board]", "=?UTF-8?B?UmU6IFtib2FyZF0geA==?=", "Subject: =?UTF-8?B?UmU6IFtib2FyZF0geA==?=\r\n" },
	{ "[board]", "=?UTF-8?Q?caf=C3=A9?=", "Subject: [board] =?UTF-8?Q?caf=C3=A9?=\r\n" },
	{ "[board]", "=?UTF-8?Q?[bo?= =?UTF-8?Q?ard]_x?=", "Subject: =?UTF-8?Q?[bo?= =?UTF-8?Q?ard]_x?=\r\n" },
	{ "[board]", NULL, "Subject: [board]\r\n" },
	{ "[board]", "", "Subject: [board]\r\n" },
	{ "[board]", "=?UTF-8?Q?Budget_=C3=BCber?=\n continued",
	  "Subject: [board] =?UTF-8?Q?Budget_=C3=BCber?=\r\n continued\r\n" },
	{ "[board]", "\n Budget", "Subject: [board] Budget\r\n" },
	{ "[board]", "A subject line that is long enough to push the prefix over the fold",
	  "Subject: [board]\r\n A subject line that is long enough to push the prefix over the "
	  "fold\r\n" },
	{ "[Vorstand-\xc3\xbc]", "=?UTF-8?Q?caf=C3=A9?=",
	  "Subject: =?UTF-8?B?W1ZvcnN0YW5kLcO8XSA=?= =?UTF-8?Q?caf=C3=A9?=\r\n" },
	{ "[Vorstand-\xc3\xbc]", "Budget", "Subject: =?UTF-8?B?W1ZvcnN0YW5kLcO8XQ==?= Budget\r\n" },
	{ "[Vorstand-\xc3\xbc]", "Re: =?UTF-8?B?W1ZvcnN0YW5kLcO8XSA=?= =?UTF-8?Q?caf=C3=A9?=",
	  "Subject: Re: =?UTF-8?B?W1ZvcnN0YW5kLcO8XSA=?= =?UTF-8?Q?caf=C3=A9?=\r\n" },
	{ "", "Budget", "Subject: Budget\r\n" },
};

/* copy_subject_prefix - the prefix once, before the text, outside encoded-words */
START_TEST(copy_subject_prefix)
{
	struct listpost_copy_args a = ARGS;
	struct sb t = { 0 };
	char *c, *s;

	a.subject_prefix = subject_cases[_i].prefix;
	sb_puts(&t, "From: a@example.org\n");
	if (subject_cases[_i].subject != NULL) {
		sb_puts(&t, "Subject: ");
		sb_puts(&t, subject_cases[_i].subject);
		sb_puts(&t, "\n");
	}
	sb_puts(&t, "To: board@lists.example.org\n");
	c = hdr_cut(copy_hdr(t.p, &a));
	ck_assert_int_eq(field_count(c, "Subject"), 1);
	s = strstr(c, "Subject:");
	ck_assert_msg(starts(s, subject_cases[_i].want), "got:\n%s", c);
	s += strlen(subject_cases[_i].want);
	ck_assert_msg(*s != ' ' && *s != '\t', "%s", c);
	free(c);
	free(t.p);
}
END_TEST

/* copy_autocrypt - Autocrypt: addr=LIST; prefer-encrypt=mutual; keydata= folded base64 that
 * decodes to the keydata given; none without keydata; too much keydata is refused */
START_TEST(copy_autocrypt)
{
	struct listpost_copy_args a = ARGS;
	uint8_t key[1000], back[1100];
	struct sb b64 = { 0 };
	const char *s, *e;
	char *c;
	int n;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 3);
	a.autocrypt_keydata = key;
	a.autocrypt_len = sizeof(key);
	c = hdr_cut(copy_hdr("From: a@example.org\n", &a));
	assert_folded(c);
	ck_assert_int_eq(field_count(c, "Autocrypt"), 1);
	s = strstr(c, "\r\nAutocrypt: addr=board@lists.example.org; prefer-encrypt=mutual; "
		   "keydata=\r\n ");
	ck_assert_msg(s != NULL, "%s", c);
	s = strstr(s, "keydata=") + 8;
	for (; s[0] == '\r' && s[1] == '\n' && s[2] == ' '; s = e) {
		s += 3;
		e = strstr(s, "\r\n");
		sb_put(&b64, s, (size_t)(e - s));
	}
	ck_assert(strncmp(s, "\r\nPrecedence: list", 18) == 0);
	n = EVP_DecodeBlock(back, (const unsigned char *)b64.p, (int)b64.len);
	ck_assert_int_ge(n, (int)sizeof(key));	/* EVP_DecodeBlock counts the padding */
	ck_assert(memcmp(back, key, sizeof(key)) == 0);
	free(c);
	free(b64.p);
	{
		char *msg = make("From: a@example.org\n\n@ARMOR@", true), *out = NULL;
		struct listpost p;
		size_t len;
		parse(msg, &p);
		a.autocrypt_len = 0;
		ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &out, &len));
		a.autocrypt_len = LISTPOST_AUTOCRYPT_MAX + 1;
		ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &out, &len));
		listpost_clear(&p);
		free(msg);
	}
}
END_TEST

/* author_domain - the domain of the first From mailbox, for the From rewrite decision */
START_TEST(author_domain)
{
	static const struct {
		const char *hdr, *want;
	} cases[] = {
		{ "From: Alice <alice@Example.ORG.>\nSender: x@sender.example\n", "example.org" },
		{ "To: x@y.example\nFROM : =?UTF-8?B?SsO2cmc=?= <j@example.net>,\n b@two.example\n",
		  "example.net" },
		{ "From: alice (no domain)\n", NULL },
		{ "From: a@[192.0.2.1]\n", NULL },
		{ "Subject: no From\n", NULL },
	};
	char d[254], small[4];

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct sb t = { 0 };
		struct listpost p;
		char *msg;
		sb_puts(&t, cases[i].hdr);
		sb_puts(&t, "\n@ARMOR@");
		msg = make(t.p, i % 2 == 0);
		parse(msg, &p);
		ck_assert(listpost_author_domain(msg, strlen(msg), &p, d, sizeof(d)) ==
			  (cases[i].want != NULL));
		ck_assert_str_eq(d, cases[i].want != NULL ? cases[i].want : "");
		ck_assert(!listpost_author_domain(msg, strlen(msg), &p, small, sizeof(small)));
		ck_assert(!listpost_author_domain(msg, p.header_len - 1, &p, d, sizeof(d)));
		listpost_clear(&p);
		free(msg);
		free(t.p);
	}
}
END_TEST

/* the test random sources: a counter sequence from a seed (struct seq), and one that fails */
struct seq {
	unsigned char next;
	unsigned calls;
};

/* seq_random - listpost_random_fn: N octets NEXT, NEXT + 1, ... */
static int seq_random(void *ctx, unsigned char *buf, size_t n)
{
	struct seq *s = ctx;

	s->calls++;
	for (size_t i = 0; i < n; i++)
		buf[i] = s->next++;
	return 1;
}

/* failing_random - listpost_random_fn that always fails */
static int failing_random(void *ctx, unsigned char *buf, size_t n)
{
	(void)ctx;
	memset(buf, 0, n);
	return 0;
}

/* copy_reproducible - the same random source gives byte-identical copies; another seed another
 * boundary and nothing else; a boundary found in the payload is drawn again; a failing source
 * or a header longer than the message is refused */
START_TEST(copy_reproducible)
{
	char *msg = make(pgpmime_good[0].tmpl, true), *c1, *c2, *c3, *c4, *armor;
	struct listpost_copy_args a = ARGS;
	struct seq s1 = { 0x10, 0 }, s2 = { 0x10, 0 }, s3 = { 0x80, 0 }, s4 = { 0x10, 0 };
	struct listpost p;
	size_t n1, n2, n3, n4, alen, n = 9;
	char *c = (char *)1;

	parse(msg, &p);
	assert_kind(&p, LISTPOST_PGPMIME);
	a.random = seq_random;
	a.random_ctx = &s1;
	c1 = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), &n1);
	a.random_ctx = &s2;
	c2 = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(c1, c2, n1) == 0);
	ck_assert_uint_eq(s1.calls, 1);
	ck_assert_str_eq(boundary_of(c1), "=_postward_101112131415161718191a1b1c1d1e1f");
	a.random_ctx = &s3;
	c3 = copy_of(msg, &p, &a, NEWARMOR, strlen(NEWARMOR), &n3);
	ck_assert_uint_eq(n3, n1);
	ck_assert(memcmp(c1, c3, n1) != 0);
	ck_assert_str_eq(boundary_of(c3), "=_postward_808182838485868788898a8b8c8d8e8f");

	/* a payload that holds the first boundary: the second draw is used */
	alen = strlen(NEWARMOR) + 80;
	armor = malloc(alen);
	ck_assert_ptr_nonnull(armor);
	snprintf(armor, alen, "%s=_postward_101112131415161718191a1b1c1d1e1f\n", NEWARMOR);
	a.random_ctx = &s4;
	c4 = copy_of(msg, &p, &a, armor, strlen(armor), &n4);
	ck_assert_uint_eq(s4.calls, 2);
	ck_assert_str_eq(boundary_of(c4), "=_postward_202122232425262728292a2b2c2d2e2f");

	a.random = failing_random;
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)NEWARMOR,
				 strlen(NEWARMOR), &c, &n));
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(n, 0);
	a.random = seq_random;
	ck_assert(!listpost_copy(msg, p.header_len - 1, &p, &a, (const uint8_t *)NEWARMOR,
				 strlen(NEWARMOR), &c, &n));
	ck_assert(listpost_copy(msg, p.header_len, &p, &a, (const uint8_t *)NEWARMOR,
				strlen(NEWARMOR), &c, &n));
	free(c);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
	free(armor);
	listpost_clear(&p);
	free(msg);
}
END_TEST

/* copy_refused - a post that is not encrypted, or arguments that would break the header */
START_TEST(copy_refused)
{
	char *msg = make("From: a@example.org\n\n@ARMOR@", true), *c = (char *)1;
	struct listpost_copy_args a = ARGS;
	struct listpost p, plain, bad;
	size_t n = 99;

	parse(msg, &p);
	parse("From: a@example.org\r\n\r\nhello\r\n", &plain);
	parse("From: a@example.org\r\n", &bad);
	ck_assert(!listpost_copy(msg, strlen(msg), &plain, &a, (const uint8_t *)"x", 1, &c, &n));
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(n, 0);
	ck_assert(!listpost_copy(msg, strlen(msg), &bad, &a, (const uint8_t *)"x", 1, &c, &n));
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"", 0, &c, &n));
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, NULL, 5, &c, &n));
	ck_assert(!listpost_copy(NULL, 0, &p, &a, (const uint8_t *)"x", 1, &c, &n));
	ck_assert(!listpost_copy(msg, strlen(msg), &p, NULL, (const uint8_t *)"x", 1, &c, &n));
	a.list_id = "board.lists.example.org\r\nBcc: x@example.org";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a.list_id = "board lists";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a.list_id = "<board.lists.example.org>";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a.list_id = NULL;
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a = ARGS;
	a.list = "board@lists.example.org\n";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a.list = "";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a = ARGS;
	a.list_phrase = "Board\r\nBcc: x@example.org";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a = ARGS;
	a.tag_header = "X-Tag: yes";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	a.tag_header = "";
	ck_assert(!listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	ck_assert_ptr_null(c);
	a = ARGS;
	ck_assert(listpost_copy(msg, strlen(msg), &p, &a, (const uint8_t *)"x", 1, &c, &n));
	ck_assert_ptr_nonnull(c);
	free(c);
	listpost_clear(&p);
	listpost_clear(&plain);
	listpost_clear(&bad);
	free(msg);
}
END_TEST

#define SANITISED "From: a@example.org\r\nSubject: one two three\r\nList-Id: "

/* copy_sanitises_header - a lone CR or a NUL in a kept field becomes a space */
START_TEST(copy_sanitises_header)
{
	static const char msg[] = "From: a@example.org\r\nSubject: one\rtwo\0three\r\n\r\n"
		"-----BEGIN PGP MESSAGE-----\r\n\r\nhQEM\r\n-----END PGP MESSAGE-----\r\n";
	struct listpost p;
	char *c;
	size_t n;

	ck_assert(listpost_parse(msg, sizeof(msg) - 1, &p));
	assert_kind(&p, LISTPOST_PGPINLINE);
	c = copy_of_n(msg, sizeof(msg) - 1, &p, &ARGS, NEWARMOR, strlen(NEWARMOR), &n);
	assert_crlf(c, n);
	ck_assert(strncmp(c, SANITISED, strlen(SANITISED)) == 0);
	free(c);
	listpost_clear(&p);
}
END_TEST

/* ---- robustness -------------------------------------------------------------------------- */

/* check_invariants - what holds for every parse of a post of LEN octets, and for an
 * encrypted one: its payload survives a copy and a second parse */
static void check_invariants(const char *msg, size_t len, const struct listpost *p)
{
	char *c = NULL;
	size_t n = 0;
	struct listpost q;

	ck_assert(p->kind >= LISTPOST_PLAIN && p->kind <= LISTPOST_BAD);
	ck_assert_uint_le(p->header_len, len);
	ck_assert(memchr(p->why, '\0', sizeof(p->why)) != NULL);
	if (p->kind == LISTPOST_PLAIN || p->kind == LISTPOST_BAD) {
		ck_assert_ptr_null(p->payload);
		ck_assert_ptr_null(p->smime_type);
		ck_assert(p->why[0] != '\0');
		return;
	}
	ck_assert_ptr_nonnull(p->payload);
	ck_assert_uint_gt(p->payload_len, 0);
	ck_assert_uint_gt(p->header_len, 0);
	if (p->kind == LISTPOST_SMIME) {
		ck_assert_ptr_nonnull(p->smime_type);
		ck_assert_uint_eq(p->payload[0], 0x30);
	} else {
		ck_assert_ptr_null(p->smime_type);
		ck_assert(p->payload_len > 27 &&
			  memcmp(p->payload, "-----BEGIN PGP MESSAGE-----", 27) == 0);
		ck_assert(p->payload[p->payload_len - 1] == '\n');
		if (memchr(p->payload, '\r', p->payload_len) != NULL)
			return;			/* a lone CR becomes a line end in the copy */
	}
	ck_assert(listpost_copy(msg, len, p, &ARGS, p->payload, p->payload_len, &c, &n));
	assert_crlf(c, n);
	ck_assert(listpost_parse(c, n, &q));
	ck_assert_msg(q.kind == p->kind, "copy of a %s post parses as %s: %s", kind_name(p->kind),
		      kind_name(q.kind), q.why);
	ck_assert(q.payload_len == p->payload_len &&
		  memcmp(q.payload, p->payload, p->payload_len) == 0);
	listpost_clear(&q);
	free(c);
}

/* truncations - every prefix of real posts parses without harm */
START_TEST(truncations)
{
	const char *tmpl[] = { T_THUNDERBIRD, T_KMAIL, T_ODD };
	char *msg = make(tmpl[_i / 2], _i % 2 == 0);
	size_t len = strlen(msg);
	struct listpost p;

	for (size_t k = 0; k <= len; k++) {
		char *t = malloc(k ? k : 1);
		memcpy(t, msg, k);
		ck_assert(listpost_parse(t, k, &p));
		check_invariants(t, k, &p);
		if (k < len - 60)
			ck_assert_msg(p.kind != LISTPOST_PGPMIME, "prefix of %zu octets taken", k);
		listpost_clear(&p);
		free(t);
	}
	free(msg);
}
END_TEST

/* rnd - xorshift64*, seeded per test */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* mutations - seeded random edits of real posts: no crash, invariants kept */
START_TEST(mutations)
{
	static const char *const pieces[] = {
		"\r\n", "\n", "\r", "--", "\"", ";", "=", ":", " ", "\t", "(", ")", "\\", "\0",
		"--------------7ZJpsROU2gOAHT6zW2JDR3ej", "--nextPart2156789.abcdefGHij--",
		"Content-Type: multipart/mixed; boundary=x\r\n", "\r\n\r\n",
		"-----BEGIN PGP MESSAGE-----\n", "-----END PGP MESSAGE-----\n", "=3D", "====",
	};
	uint8_t der[DER_LEN];
	char *b64, *samples[6];
	size_t lens[6];
	struct sb sm = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)_i;
	struct listpost p;
	int kinds[LISTPOST_BAD + 1] = { 0 };

	der_fake(der);
	b64 = b64_lines(der, sizeof(der), 76, "\r\n");
	sb_printf(&sm, "From: a@example.org\r\nContent-Type: application/pkcs7-mime; smime-type="
		  "enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n%s", b64);
	free(b64);
	samples[0] = make(T_THUNDERBIRD, true);
	samples[1] = make(T_MUTT, false);
	samples[2] = make(T_ODD, true);
	samples[3] = make(plain_posts[6].tmpl, true);
	samples[4] = make(inline_good[3].tmpl, false);
	samples[5] = sm.p;
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(samples[i]);
	for (int round = 0; round < 400; round++) {
		int which = (int)(rnd(&seed) % 6);
		struct sb m = { 0 };
		int edits = 1 + (int)(rnd(&seed) % 6);
		sb_put(&m, samples[which], lens[which]);
		for (int e = 0; e < edits && m.len > 0; e++) {
			size_t at = (size_t)(rnd(&seed) % m.len), k;
			switch (rnd(&seed) % 5) {
			case 0:				/* change an octet */
				m.p[at] = (char)rnd(&seed);
				break;
			case 1: {			/* insert a piece */
				const char *pc = pieces[rnd(&seed) % NELEM(pieces)];
				size_t pl = pc[0] == '\0' ? 1 : strlen(pc);
				struct sb t = { 0 };
				sb_put(&t, m.p, at);
				sb_put(&t, pc, pl);
				sb_put(&t, m.p + at, m.len - at);
				free(m.p);
				m = t;
				break;
			}
			case 2:				/* delete a run */
				k = (size_t)(rnd(&seed) % 40);
				if (k > m.len - at)
					k = m.len - at;
				memmove(m.p + at, m.p + at + k, m.len - at - k);
				m.len -= k;
				break;
			case 3:				/* truncate */
				m.len = at;
				break;
			default: {			/* duplicate a run */
				struct sb t = { 0 };
				k = (size_t)(rnd(&seed) % 200);
				if (k > m.len - at)
					k = m.len - at;
				sb_put(&t, m.p, at + k);
				sb_put(&t, m.p + at, m.len - at);
				free(m.p);
				m = t;
				break;
			}
			}
		}
		ck_assert(listpost_parse(m.p ? m.p : "", m.len, &p));
		check_invariants(m.p ? m.p : "", m.len, &p);
		kinds[p.kind]++;
		listpost_clear(&p);
		free(m.p);
	}
	/* enough survivors that the round trip in check_invariants is exercised */
	ck_assert_msg(kinds[LISTPOST_PGPMIME] > 10 && kinds[LISTPOST_PGPINLINE] > 5 &&
		      kinds[LISTPOST_SMIME] > 0 && kinds[LISTPOST_BAD] > 50,
		      "pgpmime %d, inline %d, smime %d, bad %d, plain %d", kinds[LISTPOST_PGPMIME],
		      kinds[LISTPOST_PGPINLINE], kinds[LISTPOST_SMIME], kinds[LISTPOST_BAD],
		      kinds[LISTPOST_PLAIN]);
	for (int i = 0; i < 6; i++)
		free(samples[i]);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------- */

/* listpost_suite - every test above */
Suite *listpost_suite(void)
{
	Suite *s = suite_create("listpost");
	TCase *tc;

	tc = tcase_create("pgpmime");
	tcase_add_loop_test(tc, pgpmime_posts, 0, 2 * (int)NELEM(pgpmime_good));
	tcase_add_loop_test(tc, pgpmime_malformed, 0, 2 * (int)NELEM(pgpmime_bad));
	tcase_add_test(tc, pgpmime_text_around_armor);
	suite_add_tcase(s, tc);

	tc = tcase_create("inline");
	tcase_add_loop_test(tc, inline_posts, 0, 2 * (int)NELEM(inline_good));
	tcase_add_test(tc, inline_encoded);
	tcase_add_loop_test(tc, inline_not_encrypted, 0, 2 * (int)NELEM(inline_other));
	suite_add_tcase(s, tc);

	tc = tcase_create("smime");
	tcase_add_loop_test(tc, smime_posts, 0, (int)NELEM(smime_good));
	tcase_add_test(tc, smime_binary_edges);
	tcase_add_loop_test(tc, smime_malformed, 0, (int)NELEM(smime_bad));
	tcase_add_test(tc, smime_type_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("plain");
	tcase_add_loop_test(tc, plain_post, 0, 2 * (int)NELEM(plain_posts));
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, malformed_posts, 0, (int)NELEM(malformed));
	tcase_add_test(tc, null_message);
	tcase_add_test(tc, long_header_line);
	tcase_add_test(tc, header_limit);
	tcase_add_test(tc, nesting_limit);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, parts_limit);
	tcase_add_test(tc, parts_limit_nested);
	suite_add_tcase(s, tc);

	tc = tcase_create("copy");
	tcase_add_loop_test(tc, copy_header_filter, 0, 2);
	tcase_add_test(tc, copy_tag_field);
	tcase_add_loop_test(tc, copy_pgpmime_round_trip, 0, (int)NELEM(pgpmime_good));
	tcase_add_test(tc, pgpmime_entity);
	tcase_add_loop_test(tc, copy_inline_round_trip, 0, 2);
	tcase_add_test(tc, copy_smime_round_trip);
	tcase_add_test(tc, copy_smime_folding);
	tcase_add_test(tc, copy_list_fields);
	tcase_add_test(tc, copy_list_roles);
	tcase_add_loop_test(tc, copy_from_rewrite, 0, (int)NELEM(from_cases));
	tcase_add_test(tc, copy_from_rewrite_fields);
	tcase_add_loop_test(tc, copy_subject_prefix, 0, (int)NELEM(subject_cases));
	tcase_add_test(tc, copy_autocrypt);
	tcase_add_test(tc, author_domain);
	tcase_add_test(tc, copy_refused);
	tcase_add_test(tc, copy_reproducible);
	tcase_add_test(tc, copy_sanitises_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, truncations, 0, 6);
	tcase_add_loop_test(tc, mutations, 0, 10);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef CHECK_LISTPOST_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(listpost_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
