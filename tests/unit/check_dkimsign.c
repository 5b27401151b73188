/*
 * tests/unit/check_dkimsign.c - milter/dkim/dkim-sign.c: signing keys, the DKIM-Signature
 * fields of whole messages, and the keyring's domain lookup.
 * Contract: milter/dkim/dkim-sign.h.
 *
 * Known answers: the RFC 8463 appendix A message signed with the RFC's Ed25519 key must give
 * the RFC's bh= and the RFC's public key record; the whole fields for that message (the RFC
 * key, and a fixed RSA-1024 test key, both deterministic schemes) are frozen below - when they
 * were first made, dkimpy 1.1.4 and OpenDKIM 2.11 verified both, with the key records
 * computed by openssl.  Every field made here is also verified by postward's own verifier
 * (dkim.c), in process.  tests/dkim/sign.sh runs the outside verifiers on fresh keys.
 *
 * Exit status: 0 when every test passed, 1 otherwise.  CK_FORK, CK_RUN_CASE etc. work.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim/dkim.h"
#include "dkim/dkim-sign.h"

#include "rfc8463.h"

#define RFC_T RFC_NOW
#define RFC_MSG RFC_UNSIGNED	/* the RFC 8463 appendix A message, without its signatures */

/* RFC 8463 A.2: the Ed25519 key (PKCS#8 around the published seed) and its record */
static const char rfc_ed_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	"-----END PRIVATE KEY-----\n";

/* a fixed RSA-1024 key for known answers only (too short for real use; allowed by RFC 8301) */
static const char kat_rsa_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAOwHhIWWTnnv962M\n"
	"Ve1UE4AkNOQs75Y/V47IwvvFaJ2z9/OUu/dkMJRYOITIdOLxB0uD2SbGo+5BII4b\n"
	"jSmT4rure7Dm8TIg5/MYVTE53fz+VQzvj63T53Dvx/vnMf2CvaqgCotMYm0Vvkzb\n"
	"0pTbIyJzEr2/JhGvKyTdjP424U31AgMBAAECgYEA5AxrbYsJbeV+gA88op7+bGwP\n"
	"Mnt8TcYLuiidxBc7ekv9gTqu1lvWWC5ZBWqNDQxmyP6uXDnHABeq9cMHBCogAOqM\n"
	"NZEWqfF1QTy+0wB/ZrpvMFo2RPWY069+sRG003WbS7tHmc4e0+aroysC9CZdEE7+\n"
	"K/1PQGTRuNaJRTNtvm0CQQD72bmBbUmHvoWQFKsKtetaFW4s9A3yX90CLqGR8sYg\n"
	"4LSepW51UUrt1A9JJ8Y/M7dgC+UzY0vhUrI+DSspplZnAkEA7+sPubg+Y1JjPCgO\n"
	"vmUCtCpslAPdpAes/iUjPB7ryVmcLJFTTIrxD6GXI/0OFdXt3JZWF4wCQ+fUCyg1\n"
	"OfknQwJAbslG5h1KFDGGFWxSFUMTRaxZq+Kr4+uxj80te8M8zqeqLIN/RJI/EMGQ\n"
	"+9BIT/MS/mgdKe7LKVI0YEFwtECcjwJBAJ+1v/sm/kkJ8Et8cwwlm94pm6wQwrvN\n"
	"7EgmmsUL5HReNcupVmVO3NhF/qITdAvvJG/CmD8Gkf94VTy0IHKePJcCQBwCnqY4\n"
	"LRFKK7WUAAW/9G7J500i3vFjAa+pYirPLFgxGFVO0nI6o25Mit/OesEGlcyfbbyl\n"
	"UsUFUJH7HII6PkA=\n"
	"-----END PRIVATE KEY-----\n";
/* its public key, as openssl pkey -pubout -outform DER | base64 gives it */
#define KAT_RSA_RECORD "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsB4SFlk557/" \
	"etjFXtVBOAJDTkLO+WP1eOyML7xWids/fzlLv3ZDCUWDiEyHTi8QdLg9kmxqPuQSCOG40pk+K7q3uw5vEyIOfzG" \
	"FUxOd38/lUM74+t0+dw78f75zH9gr2qoAqLTGJtFb5M29KU2yMicxK9vyYRrysk3Yz+NuFN9QIDAQAB"

#define RFC_BH "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="

/* the frozen fields (see the file comment) */
static const char kat_ed_field[] =
	"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	"\td=football.example.com; s=brisbane; t=1528637909; h=From:From:Reply-To:\r\n"
	"\tSubject:Subject:Date:To:Message-ID:List-Id:List-Post:List-Help:List-Owner:\r\n"
	"\tList-Unsubscribe:List-Unsubscribe-Post;\r\n"
	"\tbh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=5BPjZMbDs5vRPpXja9Cvn1/HOr\r\n"
	"\tPgLCr5N6ofseExa60k2Ma+ENA4zGNusTWGZysTN7LzxBEPuXgVNh0hhWbzCg==\r\n";
static const char kat_rsa_field[] =
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=football.example.com;\r\n"
	"\ts=kat; t=1528637909; h=From:From:Reply-To:Subject:Subject:Date:To:Message-ID:\r\n"
	"\tList-Id:List-Post:List-Help:List-Owner:List-Unsubscribe:\r\n"
	"\tList-Unsubscribe-Post; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=bTN\r\n"
	"\tjCa5zMO4VGahfb/0WFzPKCADa/HaiTDjXwdOcHmLZN1MlVnxRGgivTCGBvk+PgVgXIf87SpeQdGsx\r\n"
	"\taM/Rai5kaTK5mpj3pu9x3XgbJ0UyocmoAIpDOUeuNPEu67YKjhhxKEhKpLMPi1bNabXkkFz7WOJPF\r\n"
	"\t4b22FakAU2Bde4=\r\n";

/* ---- helpers --------------------------------------------------------------------------------- */

static char tmpdir[] = "/tmp/check_dkimsign.XXXXXX";
static bool have_tmpdir;

/* key_file - write TEXT to a new file NAME (mode MODE) in the temporary directory */
static const char *key_file(const char *name, const char *text, mode_t mode)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	ck_assert(have_tmpdir);
	snprintf(p, 256, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(p, mode), 0);
	return p;
}

/* load - a signer that must load */
static struct dkim_signer *load(const char *domain, const char *selector, const char *pem)
{
	struct dkim_signer *s = NULL;
	char err[300];
	const char *path = key_file("k.pem", pem, 0600);
	enum dkim_status st = dkim_signer_load(domain, selector, path, &s, err, sizeof(err));
	ck_assert_msg(st == DKIM_OK, "load %s: %s", path, err);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* load_err - loading must fail with STATUS and an error containing WHY */
static void load_err(const char *domain, const char *selector, const char *path,
		     enum dkim_status status, const char *why)
{
	struct dkim_signer *s = (struct dkim_signer *)1;
	char err[300];
	enum dkim_status st = dkim_signer_load(domain, selector, path, &s, err, sizeof(err));
	ck_assert_msg(st == status, "%s: status %d, expected %d (%s)", path, st, status, err);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, why) != NULL, "error \"%s\" lacks \"%s\"", err, why);
}

/* verify - run HEADER + MSG through postward's verifier with the two records; results into
 * RES (one per signature); returns the number of signatures */
static size_t verify(const char *header, const char *msg, const char *ed_query,
		     const char *ed_rec, const char *rsa_query, const char *rsa_rec,
		     enum dkim_result *res, size_t max)
{
	size_t hl = strlen(header), ml = strlen(msg);
	char *all = malloc(hl + ml + 1);
	ck_assert_ptr_nonnull(all);
	memcpy(all, header, hl);
	memcpy(all + hl, msg, ml + 1);
	struct dkim_ctx *ctx;
	ck_assert_int_eq(dkim_new(NULL, 2000000000, &ctx), DKIM_OK);	/* after every t= here */

	/* fields: a line starting with WSP folds the previous one; LF or CRLF */
	char *p = all, *body = NULL;
	char *name = NULL;
	while (*p) {
		char *nl = strchr(p, '\n');
		char *e = nl ? nl : p + strlen(p);
		bool empty = e == p || (e == p + 1 && p[0] == '\r');
		bool fold = *p == ' ' || *p == '\t';
		if ((empty || !fold) && name != NULL) {
			/* end the field before this line: cut its line end */
			char *end = p - 1;
			if (end > name && end[-1] == '\r')
				end--;
			*end = '\0';
			char *colon = strchr(name, ':');
			ck_assert_ptr_nonnull(colon);
			*colon = '\0';
			ck_assert_int_eq(dkim_header(ctx, name, colon + 1), DKIM_OK);
			name = NULL;
		}
		if (empty) {
			body = nl ? nl + 1 : e;
			break;
		}
		if (!fold)
			name = p;
		p = nl ? nl + 1 : e;
	}
	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(dkim_eoh(ctx), DKIM_OK);
	for (size_t i = 0; i < dkim_nsigs(ctx); i++) {
		const struct dkim_sig_info *si = dkim_sig(ctx, i);
		const char *rec = strcmp(si->query, ed_query) == 0 ? ed_rec :
				  rsa_query && strcmp(si->query, rsa_query) == 0 ? rsa_rec : NULL;
		dkim_sig_key(ctx, i, rec ? DKIM_KEY_FOUND : DKIM_KEY_NONE, &rec, rec ? 1 : 0);
	}
	/* the body with CRLF line ends, as the MTA gives it */
	for (char *q = body; *q; q++) {
		if (*q == '\n' && (q == body || q[-1] != '\r'))
			dkim_body(ctx, (const unsigned char *)"\r\n", 2);
		else
			dkim_body(ctx, (const unsigned char *)q, 1);
	}
	ck_assert_int_eq(dkim_eom(ctx), DKIM_OK);
	size_t n = dkim_nsigs(ctx);
	for (size_t i = 0; i < n && i < max; i++)
		res[i] = dkim_sig_result(ctx, i, NULL);
	dkim_free(ctx);
	free(all);
	return n;
}

/* tag - the value of tag NAME in FIELD, unfolded (FWS removed), into a static buffer */
static const char *tag(const char *field, const char *name)
{
	static char buf[4096];
	char pat[16];
	snprintf(pat, sizeof(pat), " %s=", name);
	/* unfold first */
	char flat[8192];
	size_t n = 0;
	for (const char *p = field; *p && n + 1 < sizeof(flat); p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		flat[n++] = *p == '\t' ? ' ' : *p;
	}
	flat[n] = '\0';
	const char *at = strstr(flat, pat);
	ck_assert_msg(at != NULL, "no %s= in %s", name, field);
	at += strlen(pat);
	size_t k = 0;
	while (at[k] && at[k] != ';' && k + 1 < sizeof(buf)) {
		buf[k] = at[k];
		k++;
	}
	buf[k] = '\0';
	/* remove any white space (folded base64) */
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (buf[i] != ' ')
			buf[w++] = buf[i];
	buf[w] = '\0';
	return buf;
}

/* sign_with - the field(s) of MSG signed at T by a signer loaded from PEM (must succeed) */
static char *sign_with(const char *domain, const char *selector, const char *pem,
		       const char *msg, time_t t)
{
	struct dkim_signer *s = load(domain, selector, pem);
	const struct dkim_signer *v[1] = { s };
	char *h = NULL;
	const char *reason = "unset";
	enum dkim_status st = dkim_sign(v, 1, msg, strlen(msg), t, &h, &reason);
	ck_assert_msg(st == DKIM_OK, "dkim_sign: %s (%s)", dkim_status_text(st), reason);
	ck_assert_str_eq(reason, "");
	dkim_signer_free(s);
	return h;
}

/* verify1 - the one signature in HEADER over MSG, its key record REC at QUERY: the result */
static enum dkim_result verify1(const char *header, const char *msg, const char *query,
				const char *rec)
{
	enum dkim_result r[1];
	ck_assert_uint_eq(verify(header, msg, query, rec, NULL, NULL, r, 1), 1);
	return r[0];
}

/* record_of - the key record of a signer loaded from PEM (malloc'd) */
static char *record_of(const char *pem, const char *want_algorithm)
{
	struct dkim_signer *s = load("example.org", "s", pem);
	char *rec = NULL;
	ck_assert_str_eq(dkim_signer_algorithm(s), want_algorithm);
	ck_assert_int_eq(dkim_signer_record(s, &rec), DKIM_OK);
	dkim_signer_free(s);
	return rec;
}

#define ED_Q "brisbane._domainkey.football.example.com"
#define LIST_Q "brisbane._domainkey.lists.example.org"
#define RSA_Q "kat._domainkey.football.example.com"

/* ---- known answers ------------------------------------------------------------------------- */

START_TEST(kat_rfc8463_ed25519)
{
	char *h = sign_with("football.example.com", "brisbane", rfc_ed_pem, RFC_MSG, RFC_T);
	ck_assert_str_eq(tag(h, "bh"), RFC_BH);			/* RFC 8463 A.3 */
	ck_assert_str_eq(h, kat_ed_field);
	char *rec = record_of(rfc_ed_pem, "ed25519-sha256");
	ck_assert_str_eq(rec, RFC_ED_RECORD);			/* RFC 8463 A.2 */
	ck_assert_int_eq(verify1(h, RFC_MSG, ED_Q, RFC_ED_RECORD), DKIM_RESULT_PASS);
	free(rec);
	free(h);
}
END_TEST

START_TEST(kat_rsa)
{
	char *h = sign_with("football.example.com", "kat", kat_rsa_pem, RFC_MSG, RFC_T);
	ck_assert_str_eq(h, kat_rsa_field);
	char *rec = record_of(kat_rsa_pem, "rsa-sha256");
	ck_assert_str_eq(rec, KAT_RSA_RECORD);
	ck_assert_int_eq(verify1(h, RFC_MSG, RSA_Q, KAT_RSA_RECORD), DKIM_RESULT_PASS);
	free(rec);
	free(h);
}
END_TEST

/* two signers in one call: both fields, in the order given, each as alone */
START_TEST(dual_signing)
{
	struct dkim_signer *ed = load("football.example.com", "brisbane", rfc_ed_pem);
	struct dkim_signer *rsa = load("football.example.com.", "kat", kat_rsa_pem);
	const struct dkim_signer *v[2] = { ed, rsa };
	char *h = NULL;

	ck_assert_str_eq(dkim_signer_domain(rsa), "football.example.com");
	ck_assert_int_eq(dkim_sign(v, 2, RFC_MSG, strlen(RFC_MSG), RFC_T, &h, NULL), DKIM_OK);
	ck_assert_uint_eq(strlen(h), strlen(kat_ed_field) + strlen(kat_rsa_field));
	ck_assert(strncmp(h, kat_ed_field, strlen(kat_ed_field)) == 0);
	ck_assert_str_eq(h + strlen(kat_ed_field), kat_rsa_field);
	enum dkim_result r[2];
	ck_assert_uint_eq(verify(h, RFC_MSG, ED_Q, RFC_ED_RECORD, RSA_Q, KAT_RSA_RECORD, r, 2), 2);
	ck_assert_int_eq(r[0], DKIM_RESULT_PASS);
	ck_assert_int_eq(r[1], DKIM_RESULT_PASS);
	free(h);
	dkim_signer_free(ed);
	dkim_signer_free(rsa);
}
END_TEST

/* dkim_sign_prepend: the fields, then the message; nothing changed on error */
START_TEST(prepend)
{
	struct dkim_signer *s = load("football.example.com", "brisbane", rfc_ed_pem);
	const struct dkim_signer *v[1] = { s };
	size_t ml = strlen(RFC_MSG), len = ml;
	char *msg = malloc(ml), *was;
	const char *reason;

	ck_assert_ptr_nonnull(msg);
	memcpy(msg, RFC_MSG, ml);			/* not NUL-terminated */
	ck_assert_int_eq(dkim_sign_prepend(v, 1, RFC_T, &msg, &len, &reason), DKIM_OK);
	ck_assert_uint_eq(len, strlen(kat_ed_field) + ml);
	ck_assert(strncmp(msg, kat_ed_field, strlen(kat_ed_field)) == 0);
	ck_assert_str_eq(msg + strlen(kat_ed_field), RFC_MSG);
	/* a message the signer refuses stays as it was */
	was = msg;
	len = 5;
	memcpy(msg, "To: x", 5);
	ck_assert_int_eq(dkim_sign_prepend(v, 1, RFC_T, &msg, &len, &reason), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(reason, "no From field");
	ck_assert_ptr_eq(msg, was);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(dkim_sign_prepend(v, 1, RFC_T, NULL, &len, &reason), DKIM_ERR_ARG);
	free(msg);
	dkim_signer_free(s);
}
END_TEST

/* ---- what is signed ------------------------------------------------------------------------ */

static const char list_copy[] =
	"Received: from a by b\r\n"
	"From: Alice <alice@example.com>\r\n"
	"To: Board <board@lists.example.org>\r\n"
	"CC: one@example.net,\r\n"
	"\ttwo@example.net\r\n"
	"cc : three@example.net\r\n"
	"Subject: [board] hello\r\n"
	"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
	"Message-ID: <m1@example.com>\r\n"
	"In-Reply-To: <m0@example.com>\r\n"
	"References: <m0@example.com>\r\n"
	"List-Id: <board.lists.example.org>\r\n"
	"List-Post: <mailto:board@lists.example.org>\r\n"
	"List-Unsubscribe: <mailto:board-request@lists.example.org?subject=unsubscribe>\r\n"
	"Precedence: list\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
	" boundary=\"b1\"\r\n"
	"Autocrypt: addr=board@lists.example.org; keydata=AAAA\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: application/pgp-encrypted\r\n"
	"\r\n"
	"Version: 1\r\n"
	"--b1--\r\n";

/* h= lists each present field once per occurrence, oversigned ones once more, in table order */
START_TEST(h_tag_contents)
{
	char *h = sign_with("lists.example.org", "brisbane", rfc_ed_pem, list_copy, 1700000000);
	ck_assert_str_eq(tag(h, "h"),
			 "From:From:Reply-To:Subject:Subject:Date:To:Cc:Cc:Message-ID:In-Reply-To:"
			 "References:MIME-Version:Content-Type:List-Id:List-Id:List-Post:List-Post:"
			 "List-Help:List-Owner:List-Unsubscribe:List-Unsubscribe:"
			 "List-Unsubscribe-Post:Autocrypt");
	ck_assert_str_eq(tag(h, "c"), "relaxed/relaxed");
	ck_assert_str_eq(tag(h, "d"), "lists.example.org");
	ck_assert_str_eq(tag(h, "s"), "brisbane");
	ck_assert_str_eq(tag(h, "t"), "1700000000");
	ck_assert_ptr_null(strstr(h, " l="));
	ck_assert_ptr_null(strstr(h, " x="));
	ck_assert_ptr_null(strstr(h, " i="));
	ck_assert_int_eq(verify1(h, list_copy, LIST_Q, RFC_ED_RECORD), DKIM_RESULT_PASS);
	free(h);
}
END_TEST

/* folding: lines of at most 78 octets, continued with a TAB, all ending CRLF, one field */
START_TEST(folding)
{
	char *h = sign_with("a-rather-long-subdomain-name.lists.example.org",
			    "selector-2024-with-a-long-name", kat_rsa_pem, list_copy, 1700000000);
	ck_assert(strncmp(h, "DKIM-Signature: v=1; ", 21) == 0);
	size_t lines = 0;
	for (const char *p = h; *p;) {
		const char *e = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(e);
		ck_assert_msg(e - p <= 78, "line of %d octets: %.*s", (int)(e - p), (int)(e - p), p);
		ck_assert_ptr_null(memchr(p, '\n', (size_t)(e - p)));
		if (lines > 0)
			ck_assert_int_eq(*p, '\t');
		lines++;
		p = e + 2;
	}
	ck_assert_uint_ge(lines, 4);
	ck_assert_int_eq(h[strlen(h) - 1], '\n');
	free(h);
}
END_TEST

/* LF, CRLF and mixed line ends give the same field; trailing blank lines do not count */
START_TEST(line_ends)
{
	struct dkim_signer *s = load("football.example.com", "brisbane", rfc_ed_pem);
	const struct dkim_signer *v[1] = { s };
	char *crlf = NULL, *lf = NULL, *mixed = NULL, *trail = NULL;
	size_t n = strlen(RFC_MSG), k = 0;
	char *lfmsg = malloc(n + 1), *mixmsg = malloc(n + 1), *trailmsg = malloc(n + 32);

	ck_assert(lfmsg && mixmsg && trailmsg);
	for (size_t i = 0; i < n; i++)
		if (RFC_MSG[i] != '\r')
			lfmsg[k++] = RFC_MSG[i];
	lfmsg[k] = '\0';
	/* mixed: CRLF in the header, LF in the body */
	const char *body = strstr(RFC_MSG, "\r\n\r\n") + 4;
	memcpy(mixmsg, RFC_MSG, (size_t)(body - RFC_MSG));
	k = (size_t)(body - RFC_MSG);
	for (const char *p = body; *p; p++)
		if (*p != '\r')
			mixmsg[k++] = *p;
	mixmsg[k] = '\0';
	snprintf(trailmsg, n + 32, "%s\r\n\r\n  \r\n", RFC_MSG);	/* WSP-only line: empty */

	ck_assert_int_eq(dkim_sign(v, 1, RFC_MSG, strlen(RFC_MSG), RFC_T, &crlf, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_sign(v, 1, lfmsg, strlen(lfmsg), RFC_T, &lf, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_sign(v, 1, mixmsg, strlen(mixmsg), RFC_T, &mixed, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_sign(v, 1, trailmsg, strlen(trailmsg), RFC_T, &trail, NULL),
			 DKIM_OK);
	ck_assert_str_eq(crlf, kat_ed_field);
	ck_assert_str_eq(lf, kat_ed_field);
	ck_assert_str_eq(mixed, kat_ed_field);
	ck_assert_str_eq(trail, kat_ed_field);
	free(crlf);
	free(lf);
	free(mixed);
	free(trail);
	free(lfmsg);
	free(mixmsg);
	free(trailmsg);
	dkim_signer_free(s);
}
END_TEST

/* a message that is all header, and one with an empty body, sign and verify */
START_TEST(no_body)
{
	static const char *msgs[] = {
		"From: a@football.example.com\r\nSubject: x\r\n",
		"From: a@football.example.com\r\nSubject: x",
		"From: a@football.example.com\r\nSubject: x\r\n\r\n",
		"From: a@football.example.com\nSubject: x\n\n\n\n",
	};
	char *first = NULL;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		char *h = sign_with("football.example.com", "brisbane", rfc_ed_pem, msgs[i], RFC_T);
		/* RFC 6376 3.4.4: relaxed, an empty body hashes nothing */
		ck_assert_str_eq(tag(h, "bh"), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
		if (first == NULL)
			first = h;
		else {
			ck_assert_str_eq(h, first);
			free(h);
		}
	}
	ck_assert_int_eq(verify1(first, "From: a@football.example.com\r\nSubject: x\r\n\r\n",
				 ED_Q, RFC_ED_RECORD), DKIM_RESULT_PASS);
	free(first);
}
END_TEST

/* tampering after signing fails in the verifier: body, From, and oversigned fields added */
START_TEST(tampering_fails)
{
	static const struct { const char *from, *to; } edits[] = {
		{ "Version: 1\r\n", "Version: 2\r\n" },
		{ "alice@example.com", "mallory@example.com" },
		{ "Received: from a by b\r\n", "From: mallory@example.com\r\n" },
		{ "Received: from a by b\r\n", "Reply-To: mallory@example.com\r\n" },
		{ "Received: from a by b\r\n", "Subject: other\r\n" },
		{ "Received: from a by b\r\n", "List-Id: <other.example.com>\r\n" },
		{ "Received: from a by b\r\n", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" },
		{ "Received: from a by b\r\n", "List-Owner: <mailto:x@evil.example>\r\n" },
	};
	char *h = sign_with("lists.example.org", "brisbane", rfc_ed_pem, list_copy, RFC_T);
	/* an unsigned field changed: still a pass (the control for the cases below) */
	char *m = strdup(list_copy);
	ck_assert_ptr_nonnull(m);
	memcpy(strstr(m, "Received: from a"), "Received: from c", 16);
	ck_assert_int_eq(verify1(h, m, LIST_Q, RFC_ED_RECORD), DKIM_RESULT_PASS);
	free(m);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(list_copy, edits[i].from);
		ck_assert_ptr_nonnull(at);
		size_t head = (size_t)(at - list_copy), fl = strlen(edits[i].from),
		       tl = strlen(edits[i].to);
		m = malloc(strlen(list_copy) - fl + tl + 1);
		ck_assert_ptr_nonnull(m);
		memcpy(m, list_copy, head);
		memcpy(m + head, edits[i].to, tl);
		strcpy(m + head + tl, at + fl);
		enum dkim_result r = verify1(h, m, LIST_Q, RFC_ED_RECORD);
		ck_assert_msg(r == DKIM_RESULT_FAIL, "edit %zu (%s) gave %s", i, edits[i].to,
			      dkim_result_name(r));
		free(m);
	}
	free(h);
}
END_TEST

/* ---- refusals -------------------------------------------------------------------------------- */

START_TEST(sign_refusals)
{
	struct dkim_signer *s = load("lists.example.org", "brisbane", rfc_ed_pem);
	const struct dkim_signer *v[5] = { s, s, s, s, s };
	char *h = (char *)1;
	const char *reason;

	ck_assert_int_eq(dkim_sign(v, 1, "To: x\r\n\r\nbody\r\n", 15, 0, &h, &reason),
			 DKIM_ERR_SYNTAX);
	ck_assert_str_eq(reason, "no From field");
	ck_assert_ptr_null(h);
	ck_assert_int_eq(dkim_sign(v, 1, " From: x\r\n\r\n", 12, 0, &h, &reason), DKIM_ERR_SYNTAX);
	ck_assert_str_eq(reason, "the header starts with a folded line");
	ck_assert_int_eq(dkim_sign(v, 1, "From: x\r\nnot a field\r\n\r\n", 24, 0, &h, &reason),
			 DKIM_ERR_SYNTAX);
	ck_assert_str_eq(reason, "a header line is neither a field nor a fold");
	ck_assert_int_eq(dkim_sign(v, 0, "From: x\r\n", 9, 0, &h, &reason), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_sign(v, 5, "From: x\r\n", 9, 0, &h, &reason), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_sign(v, 4, "From: x\r\n", 9, 0, &h, &reason), DKIM_OK);
	free(h);
	ck_assert_int_eq(dkim_sign(NULL, 1, "From: x\r\n", 9, 0, &h, &reason), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_sign(v, 1, NULL, 9, 0, &h, &reason), DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_sign(v, 1, "From: x\r\n", 9, 0, NULL, &reason), DKIM_ERR_ARG);
	/* LEN is obeyed: the From past it does not count */
	ck_assert_int_eq(dkim_sign(v, 1, "To: y\r\nFrom: x\r\n", 7, 0, &h, &reason),
			 DKIM_ERR_SYNTAX);

	/* more fields than h= may name (DKIM_MAX_HNAMES) */
	size_t cap = 200 * 16 + 64, n = 0;
	char *big = malloc(cap);
	ck_assert_ptr_nonnull(big);
	n += (size_t)snprintf(big + n, cap - n, "From: x\r\n");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, cap - n, "To: a%d@b\r\n", i);
	n += (size_t)snprintf(big + n, cap - n, "\r\nbody\r\n");
	ck_assert_int_eq(dkim_sign(v, 1, big, n, 0, &h, &reason), DKIM_ERR_LIMIT);
	ck_assert_str_eq(reason, "too many header fields to sign");
	free(big);
	dkim_signer_free(s);
}
END_TEST

START_TEST(load_refusals)
{
	char path[300];
	load_err("exa mple.org", "s", "/nonexistent", DKIM_ERR_SYNTAX, "is not a domain name");
	load_err("example..org", "s", "/nonexistent", DKIM_ERR_SYNTAX, "is not a domain name");
	load_err("example.org", "s;t=y", "/nonexistent", DKIM_ERR_SYNTAX, "selector");
	load_err("example.org", "", "/nonexistent", DKIM_ERR_SYNTAX, "selector");
	load_err("example.org", "s", "/nonexistent/key.pem", DKIM_ERR_CRYPTO, "cannot open");
	load_err("example.org", "s", key_file("open.pem", rfc_ed_pem, 0644), DKIM_ERR_CRYPTO,
		 "chmod o-rwx");
	load_err("example.org", "s", key_file("junk.pem", "hello\n", 0600), DKIM_ERR_CRYPTO,
		 "no usable PEM private key");
	load_err("example.org", "s", key_file("empty.pem", "", 0600), DKIM_ERR_CRYPTO, "empty");
	load_err("example.org", "s", key_file("enc.pem",
		 "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAg\n"
		 "-----END ENCRYPTED PRIVATE KEY-----\n", 0600), DKIM_ERR_CRYPTO, "passphrase");
	snprintf(path, sizeof(path), "%s", key_file("dir", "", 0600));
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	load_err("example.org", "s", path, DKIM_ERR_CRYPTO, "not a regular file");
	rmdir(path);
	/* a public key is not a private key */
	load_err("example.org", "s", key_file("pub.pem",
		 "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
		 "-----END PUBLIC KEY-----\n", 0600), DKIM_ERR_CRYPTO, "no usable PEM private key");
	/* a group-readable key is fine (root:postward 0640) */
	struct dkim_signer *s = NULL;
	char err[300];
	ck_assert_int_eq(dkim_signer_load("Example.ORG", "s", key_file("g.pem", rfc_ed_pem, 0640),
					  &s, err, sizeof(err)), DKIM_OK);
	ck_assert_str_eq(dkim_signer_domain(s), "example.org");
	dkim_signer_free(s);
}
END_TEST

/* ---- keyring ----------------------------------------------------------------------------------- */

START_TEST(keyring_lookup)
{
	struct dkim_keyring *ring = dkim_keyring_new();
	struct dkim_signer *a_ed = load("example.org", "ed", rfc_ed_pem);
	struct dkim_signer *a_rsa = load("example.org", "rsa", kat_rsa_pem);
	struct dkim_signer *l_ed = load("lists.example.org", "ed", rfc_ed_pem);
	struct dkim_signer *dup = load("EXAMPLE.org", "ED", rfc_ed_pem);
	struct dkim_signer *third = load("example.org", "ed2", rfc_ed_pem);
	struct dkim_signer *over = load("other.example", "x", rfc_ed_pem);
	const struct dkim_signer *out[4];
	const char *reason;

	ck_assert_ptr_nonnull(ring);
	ck_assert_int_eq(dkim_keyring_add(ring, a_ed, &reason), DKIM_OK);
	ck_assert_int_eq(dkim_keyring_add(ring, a_rsa, &reason), DKIM_OK);
	ck_assert_int_eq(dkim_keyring_add(ring, l_ed, &reason), DKIM_OK);
	ck_assert_int_eq(dkim_keyring_add(ring, dup, &reason), DKIM_ERR_LIMIT);
	ck_assert_ptr_nonnull(strstr(reason, "already configured"));
	ck_assert_int_eq(dkim_keyring_add(ring, third, &reason), DKIM_ERR_LIMIT);
	ck_assert_ptr_nonnull(strstr(reason, "two keys"));
	ck_assert_uint_eq(dkim_keyring_count(ring), 3);

	/* exact domain */
	ck_assert_uint_eq(dkim_keyring_find(ring, "example.org", NULL, 0, out, 4), 2);
	ck_assert_ptr_eq(out[0], a_ed);
	ck_assert_ptr_eq(out[1], a_rsa);
	ck_assert_uint_eq(dkim_keyring_find(ring, "Lists.Example.ORG.", NULL, 0, out, 4), 1);
	ck_assert_ptr_eq(out[0], l_ed);
	/* the nearest parent with keys */
	ck_assert_uint_eq(dkim_keyring_find(ring, "a.b.lists.example.org", NULL, 0, out, 4), 1);
	ck_assert_ptr_eq(out[0], l_ed);
	ck_assert_uint_eq(dkim_keyring_find(ring, "news.example.org", NULL, 0, out, 4), 2);
	ck_assert_ptr_eq(out[0], a_ed);
	/* no match; a suffix that is not a parent does not count */
	ck_assert_uint_eq(dkim_keyring_find(ring, "example.net", NULL, 0, out, 4), 0);
	ck_assert_uint_eq(dkim_keyring_find(ring, "badexample.org", NULL, 0, out, 4), 0);
	ck_assert_uint_eq(dkim_keyring_find(ring, "org", NULL, 0, out, 4), 0);
	ck_assert_uint_eq(dkim_keyring_find(ring, "", NULL, 0, out, 4), 0);
	/* MAX bounds the answer */
	ck_assert_uint_eq(dkim_keyring_find(ring, "example.org", NULL, 0, out, 1), 1);
	/* a per-list override wins over the domain's keys */
	const struct dkim_signer *ov[1] = { over };
	ck_assert_uint_eq(dkim_keyring_find(ring, "example.org", ov, 1, out, 4), 1);
	ck_assert_ptr_eq(out[0], over);
	ck_assert_uint_eq(dkim_keyring_find(NULL, "example.org", ov, 1, out, 4), 1);
	ck_assert_uint_eq(dkim_keyring_find(NULL, "example.org", NULL, 0, out, 4), 0);

	dkim_signer_free(dup);
	dkim_signer_free(third);
	dkim_signer_free(over);
	dkim_keyring_free(ring);
}
END_TEST

/* ---- threads ----------------------------------------------------------------------------------- */

struct tjob {
	const struct dkim_signer *const *v;
	size_t n;
	bool ok;
};

/* tworker - sign the RFC message 50 times, each result must be the frozen fields */
static void *tworker(void *arg)
{
	struct tjob *j = arg;
	j->ok = true;
	for (int i = 0; i < 50 && j->ok; i++) {
		char *h = NULL;
		if (dkim_sign(j->v, j->n, RFC_MSG, strlen(RFC_MSG), RFC_T, &h, NULL) != DKIM_OK ||
		    strncmp(h, kat_ed_field, strlen(kat_ed_field)) != 0 ||
		    strcmp(h + strlen(kat_ed_field), kat_rsa_field) != 0)
			j->ok = false;
		free(h);
	}
	return NULL;
}

/* one pair of signers shared by four threads at once */
START_TEST(shared_across_threads)
{
	struct dkim_signer *ed = load("football.example.com", "brisbane", rfc_ed_pem);
	struct dkim_signer *rsa = load("football.example.com", "kat", kat_rsa_pem);
	const struct dkim_signer *v[2] = { ed, rsa };
	pthread_t th[4];
	struct tjob jobs[4];

	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct tjob){ v, 2, false };
		ck_assert_int_eq(pthread_create(&th[i], NULL, tworker, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(jobs[i].ok, "thread %d signed differently", i);
	}
	dkim_signer_free(ed);
	dkim_signer_free(rsa);
}
END_TEST

/* teardown - remove the key files */
static void teardown(void)
{
	if (!have_tmpdir)
		return;
	static const char *names[] = { "k.pem", "open.pem", "junk.pem", "empty.pem", "enc.pem",
				       "pub.pem", "g.pem", "dir" };
	char p[300];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

/* main - run the suite */
int main(void)
{
	/* made here, so that forked tests share it and teardown finds it */
	if (mkdtemp(tmpdir) == NULL) {
		perror("check_dkimsign: mkdtemp");
		return 1;
	}
	have_tmpdir = true;
	const struct {
		const char *tcase;
		const TTest *test;
	} tests[] = {
		{ "known answers", kat_rfc8463_ed25519 }, { "known answers", kat_rsa },
		{ "known answers", dual_signing }, { "known answers", prepend },
		{ "signing", h_tag_contents },
		{ "signing", folding }, { "signing", line_ends }, { "signing", no_body },
		{ "signing", tampering_fails }, { "signing", sign_refusals },
		{ "keys", load_refusals }, { "keys", keyring_lookup },
		{ "keys", shared_across_threads },
	};
	Suite *s = suite_create("dkimsign");
	TCase *tc = NULL;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (tc == NULL || strcmp(tests[i].tcase, tests[i - 1].tcase) != 0) {
			tc = tcase_create(tests[i].tcase);
			tcase_set_timeout(tc, 60);
			suite_add_tcase(s, tc);
		}
		tcase_add_test(tc, tests[i].test);
	}

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	teardown();
	return failed == 0 ? 0 : 1;
}
