/*
 * tests/unit/check_practice.c - policy/practice.c: ADSP records (RFC 5617), DMARC records
 * and record selection (RFC 7489 6.3, 6.4, 6.6.3), the Public Suffix List and the
 * Organizational Domain (RFC 7489 3.2), and identifier alignment (RFC 7489 3.1.1).
 * Contract: policy/practice.h.
 *
 * A stand-alone Check program with its own main() (define CHECK_PRACTICE_NO_MAIN to use
 * practice_suite() from another runner); exits non-zero on any failure.  The PSL cases
 * are those of publicsuffix.org's test data, run against a small list written here; one
 * test also loads Debian's /usr/share/publicsuffix/public_suffix_list.dat when present.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/practice.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DEBIAN_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

Suite *practice_suite(void);

/* ---- ADSP ---------------------------------------------------------------------------- */

static const struct {
	const char *txt;
	enum pw_adsp_practice want;
} adsp_cases[] = {
	{ "dkim=unknown", PW_ADSP_UNKNOWN },
	{ "dkim=all", PW_ADSP_ALL },
	{ "dkim=discardable", PW_ADSP_DISCARDABLE },
	{ "dkim=ALL", PW_ADSP_ALL },			/* ABNF literal: any case */
	{ "dkim=Discardable", PW_ADSP_DISCARDABLE },
	{ "dkim=UNKNOWN", PW_ADSP_UNKNOWN },
	{ " dkim = all ; ", PW_ADSP_ALL },
	{ "\tdkim\t=\tdiscardable\t", PW_ADSP_DISCARDABLE },
	{ "dkim=all\r\n\t;", PW_ADSP_ALL },
	{ "dkim=all;", PW_ADSP_ALL },
	{ "dkim=all;;x=1", PW_ADSP_ALL },
	{ ";dkim=all", PW_ADSP_ALL },
	{ "foo=bar; dkim=all", PW_ADSP_ALL },		/* unknown tags ignored */
	{ "dkim=discardable; x_1=y; foo=", PW_ADSP_DISCARDABLE },
	{ "foo=bar; foo=baz; dkim=all", PW_ADSP_ALL },	/* repeated unknown tag ignored */
	{ "dkim=future-value", PW_ADSP_UNKNOWN },	/* any other value: unknown */
	{ "dkim=all extra", PW_ADSP_UNKNOWN },
	{ "dkim=alll", PW_ADSP_UNKNOWN },
	{ "dkim=a", PW_ADSP_UNKNOWN },
	{ "", PW_ADSP_INVALID },			/* no dkim= tag */
	{ "   ", PW_ADSP_INVALID },
	{ "foo=bar", PW_ADSP_INVALID },
	{ "DKIM=all", PW_ADSP_INVALID },		/* tag names are case-sensitive */
	{ "Dkim=discardable", PW_ADSP_INVALID },
	{ "dkim_x=all", PW_ADSP_INVALID },
	{ "dkim=", PW_ADSP_INVALID },			/* empty value */
	{ "dkim= ;", PW_ADSP_INVALID },
	{ "dkim", PW_ADSP_INVALID },			/* syntax errors */
	{ "dkim all", PW_ADSP_INVALID },
	{ "dkim=all; bad", PW_ADSP_INVALID },
	{ "dkim=a;l", PW_ADSP_INVALID },
	{ "1x=a; dkim=all", PW_ADSP_INVALID },
	{ "=all", PW_ADSP_INVALID },
	{ "dkim=al\x01l", PW_ADSP_INVALID },
	{ "dkim=all\x7f", PW_ADSP_INVALID },
	{ "dkim=\xc3\xa9", PW_ADSP_INVALID },
	{ "dkim=all;dkim=discardable", PW_ADSP_INVALID },	/* duplicate tag */
	{ "dkim=all; dkim=all", PW_ADSP_INVALID },
	{ "v=spf1 -all", PW_ADSP_INVALID },
};

/* adsp_parse - the table above */
START_TEST(adsp_parse)
{
	enum pw_adsp_practice got = pw_adsp_parse(adsp_cases[_i].txt);
	ck_assert_msg(got == adsp_cases[_i].want, "\"%s\": got %s, expected %s",
		      adsp_cases[_i].txt, pw_adsp_name(got), pw_adsp_name(adsp_cases[_i].want));
}
END_TEST

/* adsp_null_and_names - NULL input, printable names */
START_TEST(adsp_null_and_names)
{
	ck_assert_int_eq(pw_adsp_parse(NULL), PW_ADSP_INVALID);
	ck_assert_str_eq(pw_adsp_name(PW_ADSP_INVALID), "invalid");
	ck_assert_str_eq(pw_adsp_name(PW_ADSP_UNKNOWN), "unknown");
	ck_assert_str_eq(pw_adsp_name(PW_ADSP_ALL), "all");
	ck_assert_str_eq(pw_adsp_name(PW_ADSP_DISCARDABLE), "discardable");
}
END_TEST

/* ---- DMARC: record selection ---------------------------------------------------------- */

static const struct {
	const char *txt;
	bool want;
} is_record_cases[] = {
	{ "v=DMARC1", true },
	{ "v=DMARC1;", true },
	{ "v=DMARC1; p=none", true },
	{ " v = DMARC1 ;p=reject", true },
	{ "v=\tDMARC1\t; p=none", true },
	{ "V=DMARC1; p=none", true },		/* "v" is an ABNF literal: any case */
	{ "v=DMARC1; p=none; garbage", true },	/* only the first tag decides */
	{ "v=dmarc1; p=none", false },		/* the value is case-sensitive */
	{ "v=DMARC10; p=none", false },
	{ "v=DMARC; p=none", false },
	{ "v=DMARC1 p=none", false },		/* value "DMARC1 p=none" */
	{ "p=none; v=DMARC1", false },		/* not the first tag */
	{ ";v=DMARC1; p=none", false },
	{ "vv=DMARC1; p=none", false },
	{ "v=spf1 -all", false },
	{ "dkim=all", false },
	{ "", false },
	{ "v", false },
	{ "v=", false },
};

/* dmarc_is_record - the table above */
START_TEST(dmarc_is_record)
{
	ck_assert_msg(pw_dmarc_is_record(is_record_cases[_i].txt) == is_record_cases[_i].want,
		      "\"%s\": expected %d", is_record_cases[_i].txt, is_record_cases[_i].want);
}
END_TEST

/* dmarc_select - exactly one record is selected; zero or several mean no DMARC */
START_TEST(dmarc_select)
{
	const char *one[] = { "v=spf1 -all", "v=DMARC1; p=reject", "some other text" };
	const char *two[] = { "v=DMARC1; p=none", "x=y", "v=DMARC1; p=reject" };
	const char *zero[] = { "v=spf1 -all", "v=DMARC2; p=none" };
	size_t idx = 99;

	ck_assert(!pw_dmarc_is_record(NULL));
	ck_assert_uint_eq(pw_dmarc_select(one, NELEM(one), &idx), 1);
	ck_assert_uint_eq(idx, 1);
	ck_assert_uint_eq(pw_dmarc_select(one, NELEM(one), NULL), 1);
	idx = 99;
	ck_assert_uint_eq(pw_dmarc_select(two, NELEM(two), &idx), 2);
	ck_assert_uint_eq(idx, 99);
	ck_assert_uint_eq(pw_dmarc_select(zero, NELEM(zero), &idx), 0);
	ck_assert_uint_eq(idx, 99);
	ck_assert_uint_eq(pw_dmarc_select(NULL, 3, &idx), 0);
	ck_assert_uint_eq(pw_dmarc_select(one, 0, &idx), 0);
	ck_assert_uint_eq(idx, 99);
}
END_TEST

/* ---- DMARC: parsing ------------------------------------------------------------------ */

/* dmarc_full - every tag given */
START_TEST(dmarc_full)
{
	struct pw_dmarc_record r;
	const char *rua = "mailto:a@example.com,mailto:b@example.net!10m";
	char txt[256];

	snprintf(txt, sizeof(txt), "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=s; "
		 "pct=50; fo=1:d:s; rf=afrf; ri=3600; rua=%s ; ruf=mailto:f@example.com", rua);
	ck_assert(pw_dmarc_parse(txt, &r));
	ck_assert(r.valid);
	ck_assert_str_eq(r.reason, "");
	ck_assert_int_eq(r.p, PW_DMARC_P_REJECT);
	ck_assert_int_eq(r.sp, PW_DMARC_P_QUARANTINE);
	ck_assert(r.sp_explicit);
	ck_assert(!r.p_fallback);
	ck_assert(r.adkim_strict);
	ck_assert(r.aspf_strict);
	ck_assert(r.pct_ignored);	/* RFC 9989: no longer a tag */
	ck_assert_uint_eq(r.fo, PW_DMARC_FO_1 | PW_DMARC_FO_D | PW_DMARC_FO_S);
	ck_assert(r.rf_afrf);
	ck_assert_uint_eq(r.ri, 3600);
	ck_assert(r.rua_valid);
	ck_assert(r.ruf_valid);
	ck_assert_ptr_nonnull(r.rua);
	ck_assert_uint_eq(r.rua_len, strlen(rua));
	ck_assert(memcmp(r.rua, rua, r.rua_len) == 0);
	ck_assert(r.rua >= txt && r.rua < txt + strlen(txt));	/* borrowed */
	ck_assert_uint_eq(r.ruf_len, strlen("mailto:f@example.com"));
	ck_assert(memcmp(r.ruf, "mailto:f@example.com", r.ruf_len) == 0);
}
END_TEST

/* dmarc_defaults - only v and p */
START_TEST(dmarc_defaults)
{
	struct pw_dmarc_record r;

	memset(&r, 0xa5, sizeof(r));
	ck_assert(pw_dmarc_parse("v=DMARC1; p=none", &r));
	ck_assert(r.valid);
	ck_assert_str_eq(r.reason, "");
	ck_assert_int_eq(r.p, PW_DMARC_P_NONE);
	ck_assert_int_eq(r.sp, PW_DMARC_P_NONE);
	ck_assert(!r.sp_explicit);
	ck_assert(!r.p_fallback);
	ck_assert(!r.adkim_strict);
	ck_assert(!r.aspf_strict);
	ck_assert(!r.pct_ignored);
	ck_assert_int_eq(r.np, PW_DMARC_P_NONE);
	ck_assert(!r.np_explicit);
	ck_assert_int_eq(r.psd, PW_DMARC_PSD_U);
	ck_assert(!r.testing);
	ck_assert(!r.no_policy);
	ck_assert_uint_eq(r.fo, PW_DMARC_FO_0);
	ck_assert_uint_eq(r.ri, 86400);
	ck_assert(r.rf_afrf);
	ck_assert(!r.rua_valid);
	ck_assert(!r.ruf_valid);
	ck_assert_ptr_null(r.rua);
	ck_assert_ptr_null(r.ruf);
	ck_assert_uint_eq(r.rua_len, 0);
}
END_TEST

/* dmarc_sp_inherits_p - sp absent: sp = p */
START_TEST(dmarc_sp_inherits_p)
{
	struct pw_dmarc_record r;

	ck_assert(pw_dmarc_parse("v=DMARC1; p=reject", &r));
	ck_assert_int_eq(r.sp, PW_DMARC_P_REJECT);
	ck_assert(!r.sp_explicit);
	ck_assert(pw_dmarc_parse("v=DMARC1;p=quarantine;pct=20", &r));
	ck_assert_int_eq(r.p, PW_DMARC_P_QUARANTINE);
	ck_assert_int_eq(r.sp, PW_DMARC_P_QUARANTINE);
	ck_assert(r.pct_ignored);
	ck_assert(pw_dmarc_parse("v=DMARC1; p=quarantine; sp=none;;", &r));
	ck_assert_int_eq(r.sp, PW_DMARC_P_NONE);
	ck_assert(r.sp_explicit);
}
END_TEST

/* dmarc_case - tag names and keyword values without regard to case */
START_TEST(dmarc_case)
{
	struct pw_dmarc_record r;

	ck_assert(pw_dmarc_parse("V=DMARC1; P=Reject; SP=NONE; ADKIM=S; Aspf=s; PCT=5", &r));
	ck_assert_int_eq(r.p, PW_DMARC_P_REJECT);
	ck_assert_int_eq(r.sp, PW_DMARC_P_NONE);
	ck_assert(r.adkim_strict);
	ck_assert(r.aspf_strict);
	ck_assert(r.pct_ignored);
}
END_TEST

static const struct {
	const char *txt;
	const char *reason;		/* NULL: valid */
} validity_cases[] = {
	{ "v=DMARC1", "missing p tag" },
	{ "v=DMARC1;", "missing p tag" },
	{ "v=DMARC1; sp=reject", "missing p tag" },
	{ "v=DMARC1; p=block", "invalid p value" },
	{ "v=DMARC1; p=", "invalid p value" },
	{ "v=DMARC1; p=reject extra", "invalid p value" },
	{ "v=DMARC1; p=reject; sp=bogus", "invalid sp value" },
	{ "v=DMARC1; p=block; rua=notauri", "invalid p value" },
	{ "v=DMARC1; p=block; rua=mailto:", "invalid p value" },
	{ "v=DMARC1; p=block; rua=mailto:a@b!", "invalid p value" },
	{ "v=DMARC1; p=block; rua=mailto:a@b!10x", "invalid p value" },
	{ "v=DMARC1; p=block; rua=mailto:!10", "invalid p value" },
	{ "v=DMARC1; p=block; rua=1mailto:x@y", "invalid p value" },
	{ "v=DMARC1; p=block; rua=mailto:a b@c", "invalid p value" },
	{ "v=DMARC1; p=block; rua=,", "invalid p value" },
	{ "v=DMARC1; p=block; ruf=mailto:x@example.com", "invalid p value" },
	{ "v=DMARC1; p=none; p=reject", "duplicate p tag" },
	{ "v=DMARC1; v=DMARC1; p=none", "duplicate v tag" },
	{ "v=DMARC1; p=none; RUA=mailto:a@b; rua=mailto:c@d", "duplicate rua tag" },
	{ "v=DMARC1; p=none; garbage", "tag-list syntax error" },
	{ "v=DMARC1; p=none; 1=2", "tag-list syntax error" },
	{ "v=DMARC1; p=no\x01ne", "tag-list syntax error" },
	{ "v=DMARC1; p=none; =x", "tag-list syntax error" },
	{ "v=DMARC2; p=none", "not a DMARC record" },
	{ "p=none; v=DMARC1", "not a DMARC record" },
	{ "v=spf1 -all", "not a DMARC record" },
	{ "", "not a DMARC record" },
	{ "v=DMARC1; p=none", NULL },
	{ "v=DMARC1; p=none; np=reject; t=y; psd=n", NULL },	/* unknown tags */
	{ "v=DMARC1; p=none; x=1; x=2", NULL },		/* repeated unknown tag */
	{ "v=DMARC1 ; p = reject ; ", NULL },
	{ "v=DMARC1;\r\n p=reject", NULL },
	{ "v=DMARC1; p=none; rua=mailto:a@b!10", NULL },
	{ "v=DMARC1; p=none; rua=mailto:a@b!10K", NULL },
	{ "v=DMARC1; p=none; rua=bogus", NULL },	/* rua only matters for fallback */
};

/* dmarc_validity - valid or the expected reason (prefix) */
START_TEST(dmarc_validity)
{
	struct pw_dmarc_record r;
	const char *want = validity_cases[_i].reason;
	bool ok = pw_dmarc_parse(validity_cases[_i].txt, &r);

	ck_assert(ok == r.valid);
	if (want == NULL) {
		ck_assert_msg(ok, "\"%s\": invalid (%s)", validity_cases[_i].txt, r.reason);
		ck_assert_str_eq(r.reason, "");
		ck_assert(!r.p_fallback);
	} else {
		ck_assert_msg(!ok, "\"%s\": valid, expected \"%s\"", validity_cases[_i].txt, want);
		ck_assert_msg(strncmp(r.reason, want, strlen(want)) == 0,
			      "\"%s\": reason \"%s\", expected \"%s\"", validity_cases[_i].txt,
			      r.reason, want);
	}
}
END_TEST

/* dmarc_null - NULL input */
START_TEST(dmarc_null)
{
	struct pw_dmarc_record r;

	ck_assert(!pw_dmarc_parse(NULL, &r));
	ck_assert(!r.valid);
	ck_assert(strncmp(r.reason, "not a DMARC record", 18) == 0);
}
END_TEST

static const char *const fallback_cases[] = {
	"v=DMARC1; p=block; rua=mailto:x@example.com",
	"v=DMARC1; rua=mailto:x@example.com",
	"v=DMARC1; p=reject; sp=bogus; rua=mailto:x@example.com",
	"v=DMARC1; p=; rua=bogus, mailto:x@example.com",
	"v=DMARC1; p=quarantine2; rua=https://example.com/r!5g",
	"v=DMARC1; p=x; sp=reject; adkim=s; rua = mailto:x@example.com!100 , bogus",
	"v=DMARC1; p=reject; np=sometimes; rua=mailto:x@example.com",	/* RFC 9989 */
};

/* dmarc_fallback - RFC 7489 6.6.3: bad p or sp with a valid rua acts as p=none */
START_TEST(dmarc_fallback)
{
	struct pw_dmarc_record r;

	ck_assert_msg(pw_dmarc_parse(fallback_cases[_i], &r), "\"%s\": %s", fallback_cases[_i],
		      r.reason);
	ck_assert(r.valid);
	ck_assert(r.p_fallback);
	ck_assert(r.rua_valid);
	ck_assert_int_eq(r.p, PW_DMARC_P_NONE);
	ck_assert_int_eq(r.sp, PW_DMARC_P_NONE);
	ck_assert(!r.sp_explicit);
}
END_TEST

static const struct {
	const char *txt;
	enum pw_dmarc_policy p, sp, np;
	bool np_explicit;
	enum pw_dmarc_psd psd;
	bool testing, pct_ignored;
} bis_cases[] = {
	{ "v=DMARC1; p=reject", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, false, false },
	{ "v=DMARC1; p=reject; sp=quarantine", PW_DMARC_P_REJECT, PW_DMARC_P_QUARANTINE,
	  PW_DMARC_P_QUARANTINE, false, PW_DMARC_PSD_U, false, false },	/* np = sp */
	{ "v=DMARC1; p=none; np=reject", PW_DMARC_P_NONE, PW_DMARC_P_NONE, PW_DMARC_P_REJECT,
	  true, PW_DMARC_PSD_U, false, false },
	{ "v=DMARC1; p=none; sp=none; NP=Quarantine; psd=y", PW_DMARC_P_NONE, PW_DMARC_P_NONE,
	  PW_DMARC_P_QUARANTINE, true, PW_DMARC_PSD_Y, false, false },
	{ "v=DMARC1; p=reject; psd=N", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_N, false, false },
	{ "v=DMARC1; p=reject; psd=u", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, false, false },
	{ "v=DMARC1; p=reject; psd=maybe", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  PW_DMARC_P_REJECT, false, PW_DMARC_PSD_U, false, false },	/* bad: default u */
	{ "v=DMARC1; p=reject; t=y", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, true, false },
	{ "v=DMARC1; p=reject; t=Y", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, true, false },
	{ "v=DMARC1; p=reject; t=n", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, false, false },
	{ "v=DMARC1; p=reject; t=yes", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, false, false },	/* bad: default n */
	{ "v=DMARC1; p=reject; pct=0", PW_DMARC_P_REJECT, PW_DMARC_P_REJECT, PW_DMARC_P_REJECT,
	  false, PW_DMARC_PSD_U, false, true },	/* pct=0 is not t=y */
};

/* dmarc_bis_tags - RFC 9989's np, psd and t; np inherits sp; pct is no longer a tag */
START_TEST(dmarc_bis_tags)
{
	struct pw_dmarc_record r;

	ck_assert_msg(pw_dmarc_parse(bis_cases[_i].txt, &r), "\"%s\": %s", bis_cases[_i].txt,
		      r.reason);
	ck_assert_int_eq(r.p, bis_cases[_i].p);
	ck_assert_int_eq(r.sp, bis_cases[_i].sp);
	ck_assert_int_eq(r.np, bis_cases[_i].np);
	ck_assert(r.np_explicit == bis_cases[_i].np_explicit);
	ck_assert_int_eq(r.psd, bis_cases[_i].psd);
	ck_assert(r.testing == bis_cases[_i].testing);
	ck_assert(r.pct_ignored == bis_cases[_i].pct_ignored);
}
END_TEST

/* dmarc_no_policy - no valid p (or a bad np) and no valid rua: not valid, but a DMARC
 * record (RFC 9989 4.10.1: no DMARC processing); syntax errors are no record at all */
START_TEST(dmarc_no_policy)
{
	struct pw_dmarc_record r;

	ck_assert(!pw_dmarc_parse("v=DMARC1; psd=y", &r));
	ck_assert(r.no_policy);
	ck_assert_int_eq(r.psd, PW_DMARC_PSD_Y);	/* still read: the walk stops on it */
	ck_assert(!pw_dmarc_parse("v=DMARC1; p=reject; np=x", &r));
	ck_assert(r.no_policy);
	ck_assert_str_eq(r.reason, "invalid np value");
	ck_assert(!pw_dmarc_parse("v=DMARC1; p=reject; p=none", &r));
	ck_assert(!r.no_policy);
	ck_assert(!pw_dmarc_parse("v=DMARC1; p=reject; =x", &r));
	ck_assert(!r.no_policy);
}
END_TEST

/* dmarc_fallback_keeps_other_tags - the other tags are still read */
START_TEST(dmarc_fallback_keeps_other_tags)
{
	struct pw_dmarc_record r;

	ck_assert(pw_dmarc_parse("v=DMARC1; p=x; adkim=s; pct=10; rua=mailto:x@y", &r));
	ck_assert(r.p_fallback);
	ck_assert(r.adkim_strict);
	ck_assert(r.pct_ignored);
}
END_TEST

static const struct {
	const char *tags;
	bool pct_ignored;		/* RFC 9989: pct is no longer a tag, whatever its value */
	bool adkim_strict, aspf_strict;
	unsigned fo;
	unsigned long ri;
	bool rf_afrf;
} lenient_cases[] = {
	{ "pct=0", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=7", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=100", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=101", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=abc", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=-1", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=0050", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "pct=5 0", true, false, false, PW_DMARC_FO_0, 86400, true },
	{ "adkim=s", false, true, false, PW_DMARC_FO_0, 86400, true },
	{ "adkim=r", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "adkim=x", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "adkim=strict", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "aspf=S", false, false, true, PW_DMARC_FO_0, 86400, true },
	{ "aspf=r", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "aspf=", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "fo=d", false, false, false, PW_DMARC_FO_D, 86400, true },
	{ "fo= 1 : s ", false, false, false, PW_DMARC_FO_1 | PW_DMARC_FO_S, 86400, true },
	{ "fo=0:1:D:S", false, false, false, 0x0fu, 86400, true },
	{ "fo=0:x", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "fo=1:", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "fo=", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "ri=0", false, false, false, PW_DMARC_FO_0, 0, true },
	{ "ri=4294967295", false, false, false, PW_DMARC_FO_0, 4294967295UL, true },
	{ "ri=4294967296", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "ri=x", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "rf=iodef", false, false, false, PW_DMARC_FO_0, 86400, false },
	{ "rf=iodef:AFRF", false, false, false, PW_DMARC_FO_0, 86400, true },
	{ "rf=afrf", false, false, false, PW_DMARC_FO_0, 86400, true },
};

/* dmarc_lenient_tags - bad adkim/aspf/pct/fo/ri values fall back to the defaults */
START_TEST(dmarc_lenient_tags)
{
	struct pw_dmarc_record r;
	char txt[128];

	snprintf(txt, sizeof(txt), "v=DMARC1; p=reject; %s", lenient_cases[_i].tags);
	ck_assert_msg(pw_dmarc_parse(txt, &r), "\"%s\": %s", txt, r.reason);
	ck_assert(r.pct_ignored == lenient_cases[_i].pct_ignored);
	ck_assert(r.adkim_strict == lenient_cases[_i].adkim_strict);
	ck_assert(r.aspf_strict == lenient_cases[_i].aspf_strict);
	ck_assert_uint_eq(r.fo, lenient_cases[_i].fo);
	ck_assert_uint_eq(r.ri, lenient_cases[_i].ri);
	ck_assert(r.rf_afrf == lenient_cases[_i].rf_afrf);
	ck_assert_int_eq(r.p, PW_DMARC_P_REJECT);
}
END_TEST

/* dmarc_policy_names - printable policies */
START_TEST(dmarc_policy_names)
{
	ck_assert_str_eq(pw_dmarc_policy_name(PW_DMARC_P_NONE), "none");
	ck_assert_str_eq(pw_dmarc_policy_name(PW_DMARC_P_QUARANTINE), "quarantine");
	ck_assert_str_eq(pw_dmarc_policy_name(PW_DMARC_P_REJECT), "reject");
	ck_assert_str_eq(pw_dmarc_policy_name(PW_DMARC_P_UNSPEC), "unspecified");
}
END_TEST

/* ---- Public Suffix List ----------------------------------------------------------------- */

/* the rules publicsuffix.org's test data relies on, plus parser corner cases */
static const char test_psl[] =
	"// This Source Code Form is subject to the terms of the Mozilla Public License\n"
	"\n"
	"// ===BEGIN ICANN DOMAINS===\n"
	"ac\n"
	"com\n"
	"uk\n"
	"co.uk\n"
	"  jp   trailing text is ignored\n"
	"ac.jp\r\n"
	"kyoto.jp\n"
	"ide.kyoto.jp\n"
	"*.kobe.jp\n"
	"!city.kobe.jp\n"
	"*.ck\n"
	"!www.ck\n"
	"*.mm\n"
	"us\n"
	"ak.us\n"
	"k12.ak.us\n"
	"cn\n"
	"com.cn\n"
	"\xe5\x85\xac\xe5\x8f\xb8.cn\n"		/* 公司.cn */
	"ORG\n"					/* lower-cased */
	"jp\n"					/* duplicate: merged */
	"*\n"					/* default rule: implicit */
	"a..b\n"				/* invalid rules: skipped */
	".x\n"
	"y.\n"
	"foo.*.bar\n"
	"!\n"
	"*.\n"
	"// ===END ICANN DOMAINS===\n"
	"// ===BEGIN PRIVATE DOMAINS===\n"
	"uk.com\n"
	"blogspot.com\n"
	"// ===END PRIVATE DOMAINS===\n"
	"after.private\n";

static struct pw_psl *psl;

/* psl_setup - parse the list above */
static void psl_setup(void)
{
	char err[64] = "";
	psl = pw_psl_parse(test_psl, sizeof(test_psl) - 1, 0, err, sizeof(err));
	ck_assert_msg(psl != NULL, "pw_psl_parse: %s", err);
}

/* psl_teardown - free it */
static void psl_teardown(void)
{
	pw_psl_free(psl);
	psl = NULL;
}

#define CN_CO "\xe5\x85\xac\xe5\x8f\xb8.cn"	/* 公司.cn */
#define ZH "\xe4\xb8\xad\xe5\x9b\xbd"		/* 中国 */

/* publicsuffix.org test data: checkPublicSuffix(domain, registrable or NULL) */
static const struct {
	const char *domain, *org;
} org_cases[] = {
	{ NULL, NULL },
	{ "", NULL },
	/* mixed case */
	{ "COM", NULL },
	{ "example.COM", "example.com" },
	{ "WwW.example.COM", "example.com" },
	/* leading dot */
	{ ".com", NULL },
	{ ".example", NULL },
	{ ".example.com", NULL },
	{ ".example.example", NULL },
	/* unlisted TLD: the default rule "*" */
	{ "example", NULL },
	{ "example.example", "example.example" },
	{ "b.example.example", "example.example" },
	{ "a.b.example.example", "example.example" },
	/* TLD with only one rule */
	{ "biz", NULL },
	{ "domain.biz", "domain.biz" },
	{ "b.domain.biz", "domain.biz" },
	{ "a.b.domain.biz", "domain.biz" },
	/* TLD with some two-level rules */
	{ "com", NULL },
	{ "example.com", "example.com" },
	{ "b.example.com", "example.com" },
	{ "a.b.example.com", "example.com" },
	{ "uk.com", NULL },
	{ "example.uk.com", "example.uk.com" },
	{ "b.example.uk.com", "example.uk.com" },
	{ "a.b.example.uk.com", "example.uk.com" },
	{ "test.ac", "test.ac" },
	/* TLD with only one wildcard rule */
	{ "mm", NULL },
	{ "c.mm", NULL },
	{ "b.c.mm", "b.c.mm" },
	{ "a.b.c.mm", "b.c.mm" },
	/* more complex TLD */
	{ "jp", NULL },
	{ "test.jp", "test.jp" },
	{ "www.test.jp", "test.jp" },
	{ "ac.jp", NULL },
	{ "test.ac.jp", "test.ac.jp" },
	{ "www.test.ac.jp", "test.ac.jp" },
	{ "kyoto.jp", NULL },
	{ "test.kyoto.jp", "test.kyoto.jp" },
	{ "ide.kyoto.jp", NULL },
	{ "b.ide.kyoto.jp", "b.ide.kyoto.jp" },
	{ "a.b.ide.kyoto.jp", "b.ide.kyoto.jp" },
	{ "c.kobe.jp", NULL },
	{ "b.c.kobe.jp", "b.c.kobe.jp" },
	{ "a.b.c.kobe.jp", "b.c.kobe.jp" },
	{ "city.kobe.jp", "city.kobe.jp" },
	{ "www.city.kobe.jp", "city.kobe.jp" },
	{ "kobe.jp", "kobe.jp" },		/* the wildcard needs one more label */
	/* TLD with a wildcard rule and exceptions */
	{ "ck", NULL },
	{ "test.ck", NULL },
	{ "b.test.ck", "b.test.ck" },
	{ "a.b.test.ck", "b.test.ck" },
	{ "www.ck", "www.ck" },
	{ "www.www.ck", "www.ck" },
	/* US K12 */
	{ "us", NULL },
	{ "test.us", "test.us" },
	{ "www.test.us", "test.us" },
	{ "ak.us", NULL },
	{ "test.ak.us", "test.ak.us" },
	{ "www.test.ak.us", "test.ak.us" },
	{ "k12.ak.us", NULL },
	{ "test.k12.ak.us", "test.k12.ak.us" },
	{ "www.test.k12.ak.us", "test.k12.ak.us" },
	/* IDN labels (UTF-8, no IDNA mapping) */
	{ CN_CO, NULL },
	{ ZH "." CN_CO, ZH "." CN_CO },
	{ "www." ZH "." CN_CO, ZH "." CN_CO },
	{ "shishi." CN_CO, "shishi." CN_CO },
	{ "xn--55qx5d.cn", "xn--55qx5d.cn" },	/* A-label does not match the U-label rule */
	{ "com.cn", NULL },
	{ "www.example.com.cn", "example.com.cn" },
	/* RFC 7489 / brief examples */
	{ "www.example.co.uk", "example.co.uk" },
	{ "co.uk", NULL },
	{ "example.org", "example.org" },	/* "ORG" rule lower-cased */
	{ "foo.blogspot.com", "foo.blogspot.com" },	/* PRIVATE section used */
	{ "x.after.private", "x.after.private" },	/* rules after the section too */
	/* trailing dot, empty labels, bad octets */
	{ "example.com.", "example.com" },
	{ "example.com..", NULL },
	{ ".", NULL },
	{ "a..example.com", NULL },
	{ "exa mple.com", NULL },
	{ "example.com\t", NULL },
	/* invalid list lines were skipped, not taken as rules */
	{ "a.a..b", NULL },
	{ "q.a.b", "a.b" },
	{ "q.y", "q.y" },
};

/* psl_org_domain - the table above */
START_TEST(psl_org_domain)
{
	char out[PW_DOMAIN_MAX + 1];
	const char *d = org_cases[_i].domain, *want = org_cases[_i].org;
	bool ok;

	strcpy(out, "untouched");
	ok = pw_psl_org_domain(psl, d, out, sizeof(out));
	if (want == NULL) {
		ck_assert_msg(!ok, "\"%s\": got \"%s\", expected none", d ? d : "(null)", out);
	} else {
		ck_assert_msg(ok, "\"%s\": none, expected \"%s\"", d, want);
		ck_assert_str_eq(out, want);
	}
}
END_TEST

static const struct {
	const char *domain, *suffix;
} suffix_cases[] = {
	{ "www.example.co.uk", "co.uk" },
	{ "co.uk", "co.uk" },
	{ "www.city.kobe.jp", "kobe.jp" },
	{ "a.b.c.kobe.jp", "c.kobe.jp" },
	{ "c.kobe.jp", "c.kobe.jp" },
	{ "www.www.ck", "ck" },
	{ "foo.bar", "bar" },
	{ "localhost", "localhost" },
	{ "EXAMPLE.COM", "com" },
	{ "x.y.k12.ak.us", "k12.ak.us" },
};

/* psl_public_suffix - the table above */
START_TEST(psl_public_suffix)
{
	char out[PW_DOMAIN_MAX + 1];

	ck_assert_msg(pw_psl_public_suffix(psl, suffix_cases[_i].domain, out, sizeof(out)),
		      "\"%s\"", suffix_cases[_i].domain);
	ck_assert_str_eq(out, suffix_cases[_i].suffix);
}
END_TEST

/* psl_count_and_invalid_rules - distinct names, duplicates merged, bad lines skipped */
START_TEST(psl_count_and_invalid_rules)
{
	/* ac com uk co.uk jp ac.jp kyoto.jp ide.kyoto.jp kobe.jp city.kobe.jp ck www.ck mm
	 * us ak.us k12.ak.us cn com.cn 公司.cn org uk.com blogspot.com after.private */
	ck_assert_uint_eq(pw_psl_count(psl), 23);
	ck_assert_uint_eq(pw_psl_count(NULL), 0);
}
END_TEST

/* psl_buffer_limits - OUT too small, names too long */
START_TEST(psl_buffer_limits)
{
	char out[32], name[300];

	ck_assert(pw_psl_org_domain(psl, "www.example.co.uk", out, 14));	/* exact fit */
	ck_assert_str_eq(out, "example.co.uk");
	ck_assert(!pw_psl_org_domain(psl, "www.example.co.uk", out, 13));
	ck_assert(!pw_psl_org_domain(psl, "www.example.co.uk", NULL, 100));
	ck_assert(!pw_psl_public_suffix(psl, "www.example.co.uk", out, 5));
	ck_assert(!pw_psl_public_suffix(psl, "", out, sizeof(out)));

	/* 253 octets: accepted; 254: refused; 253 plus a trailing dot: accepted */
	memset(name, 'a', sizeof(name));
	for (size_t i = 1; i < 253; i += 2)
		name[i] = '.';				/* a.a.a....a (127 labels) */
	memcpy(name + 249, ".com", 5);			/* 253 octets */
	ck_assert_uint_eq(strlen(name), 253);
	ck_assert(pw_psl_org_domain(psl, name, out, sizeof(out)));
	ck_assert_str_eq(out, "a.com");
	memcpy(name + 253, ".", 2);
	ck_assert(pw_psl_org_domain(psl, name, out, sizeof(out)));
	memcpy(name + 249, "a.com", 6);			/* "...a.a" + "a.com": 254 octets */
	ck_assert_uint_eq(strlen(name), 254);
	ck_assert(!pw_psl_org_domain(psl, name, out, sizeof(out)));
}
END_TEST

/* psl_null_list - no list: the default rule "*" only */
START_TEST(psl_null_list)
{
	char out[64];

	ck_assert(pw_psl_org_domain(NULL, "www.example.co.uk", out, sizeof(out)));
	ck_assert_str_eq(out, "co.uk");
	ck_assert(!pw_psl_org_domain(NULL, "localhost", out, sizeof(out)));
	ck_assert(pw_psl_public_suffix(NULL, "a.b.c", out, sizeof(out)));
	ck_assert_str_eq(out, "c");
}
END_TEST

/* psl_icann_only - PW_PSL_ICANN_ONLY drops the PRIVATE section */
START_TEST(psl_icann_only)
{
	struct pw_psl *l = pw_psl_parse(test_psl, sizeof(test_psl) - 1, PW_PSL_ICANN_ONLY,
					NULL, 0);
	char out[64];

	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(pw_psl_count(l), 21);	/* uk.com, blogspot.com gone */
	ck_assert(pw_psl_org_domain(l, "foo.blogspot.com", out, sizeof(out)));
	ck_assert_str_eq(out, "blogspot.com");
	ck_assert(pw_psl_org_domain(l, "b.example.uk.com", out, sizeof(out)));
	ck_assert_str_eq(out, "uk.com");
	ck_assert(pw_psl_org_domain(l, "x.after.private", out, sizeof(out)));
	ck_assert_str_eq(out, "x.after.private");	/* after END: used again */
	pw_psl_free(l);
}
END_TEST

/* psl_parse_edges - empty lists, LEN honoured, NUL-free text not required */
START_TEST(psl_parse_edges)
{
	char err[64] = "";
	char buf[] = { 'c', 'o', 'm', '\n', 'n', 'e', 't' };	/* not NUL-terminated */
	struct pw_psl *l;
	char out[64];

	ck_assert_ptr_null(pw_psl_parse("", 0, 0, err, sizeof(err)));
	ck_assert_str_eq(err, "no public suffix rules found");
	ck_assert_ptr_null(pw_psl_parse(NULL, 10, 0, NULL, 0));
	ck_assert_ptr_null(pw_psl_parse("// only a comment\n\n  \n*\n", 24, 0, err, 4));
	ck_assert_str_eq(err, "no ");			/* truncated to ERRLEN */

	l = pw_psl_parse(buf, sizeof(buf), 0, NULL, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(pw_psl_count(l), 2);
	ck_assert(!pw_psl_org_domain(l, "net", out, sizeof(out)));
	ck_assert(pw_psl_org_domain(l, "a.b.net", out, sizeof(out)));
	ck_assert_str_eq(out, "b.net");
	pw_psl_free(l);

	l = pw_psl_parse("com\nnet", 3, 0, NULL, 0);		/* LEN stops before "net" */
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(pw_psl_count(l), 1);
	pw_psl_free(l);
	pw_psl_free(NULL);
}
END_TEST

/* read_file - the whole of PATH (malloc'd) or NULL */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return buf;
}

static const struct {
	const char *domain, *org, *org_icann;
} debian_cases[] = {
	{ "www.example.co.uk", "example.co.uk", "example.co.uk" },
	{ "example.com", "example.com", "example.com" },
	{ "mail.example.com", "example.com", "example.com" },
	{ "a.b.c.kobe.jp", "b.c.kobe.jp", "b.c.kobe.jp" },
	{ "www.city.kobe.jp", "city.kobe.jp", "city.kobe.jp" },
	{ "www.www.ck", "www.ck", "www.ck" },
	{ "x.test.k12.ak.us", "test.k12.ak.us", "test.k12.ak.us" },
	{ "foo.blogspot.com", "foo.blogspot.com", "blogspot.com" },
	{ "project.github.io", "project.github.io", "github.io" },
	{ "www.example.example", "example.example", "example.example" },
	{ "co.uk", NULL, NULL },
	{ "github.io", NULL, "github.io" },
};

/* psl_debian_file - the installed list, if any; also a lookup-speed sanity check */
START_TEST(psl_debian_file)
{
	size_t len = 0;
	char *text = read_file(DEBIAN_PSL, &len), out[PW_DOMAIN_MAX + 1];
	struct pw_psl *all, *icann;
	clock_t t0;

	if (text == NULL) {
		fprintf(stderr, "check_practice: %s not present, skipping\n", DEBIAN_PSL);
		return;
	}
	all = pw_psl_parse(text, len, 0, NULL, 0);
	icann = pw_psl_parse(text, len, PW_PSL_ICANN_ONLY, NULL, 0);
	ck_assert_ptr_nonnull(all);
	ck_assert_ptr_nonnull(icann);
	ck_assert_uint_gt(pw_psl_count(all), 5000);
	ck_assert_uint_gt(pw_psl_count(all), pw_psl_count(icann));
	for (size_t i = 0; i < NELEM(debian_cases); i++) {
		const char *d = debian_cases[i].domain;
		bool ok = pw_psl_org_domain(all, d, out, sizeof(out));
		if (debian_cases[i].org == NULL) {
			ck_assert_msg(!ok, "%s: got %s", d, out);
		} else {
			ck_assert_msg(ok, "%s: none", d);
			ck_assert_str_eq(out, debian_cases[i].org);
		}
		ok = pw_psl_org_domain(icann, d, out, sizeof(out));
		if (debian_cases[i].org_icann == NULL) {
			ck_assert_msg(!ok, "%s (icann): got %s", d, out);
		} else {
			ck_assert_msg(ok, "%s (icann): none", d);
			ck_assert_str_eq(out, debian_cases[i].org_icann);
		}
	}
	/* 200000 lookups of a deep name: binary search, well under a second */
	t0 = clock();
	for (int i = 0; i < 200000; i++)
		ck_assert(pw_psl_org_domain(all, "a.b.c.d.e.f.g.h.www.example.co.uk", out,
					    sizeof(out)));
	ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "lookups too slow");
	ck_assert(pw_dmarc_aligned(all, "example.co.uk", "mail.example.co.uk", false));
	ck_assert(!pw_dmarc_aligned(all, "a.github.io", "b.github.io", false));
	ck_assert(pw_dmarc_aligned(icann, "a.github.io", "b.github.io", false));
	pw_psl_free(all);
	pw_psl_free(icann);
	free(text);
}
END_TEST

/* ---- alignment --------------------------------------------------------------------------- */

static const struct {
	const char *from, *d;
	bool strict, relaxed;
} align_cases[] = {
	{ "example.com", "example.com", true, true },
	{ "example.com", "EXAMPLE.COM.", true, true },
	{ "Example.Com", "example.com", true, true },
	{ "mail.example.com", "example.com", false, true },
	{ "example.com", "mail.example.com", false, true },
	{ "a.example.com", "b.example.com", false, true },
	{ "example.com", "example.net", false, false },
	{ "example.com", "com", false, false },
	{ "example.co.uk", "other.co.uk", false, false },
	{ "a.example.co.uk", "b.example.co.uk", false, true },
	{ "example.co.uk", "co.uk", false, false },
	{ "co.uk", "co.uk", true, true },		/* no org domain: names compared */
	{ "com", "com", true, true },
	{ "city.kobe.jp", "www.city.kobe.jp", false, true },
	{ "a.b.c.kobe.jp", "x.b.c.kobe.jp", false, true },
	{ "b.c.kobe.jp", "b.d.kobe.jp", false, false },
	{ "c.kobe.jp", "x.c.kobe.jp", false, false },
	{ "a.example.example", "example.example", false, true },	/* default rule */
	{ "x.www.ck", "www.ck", false, true },
	{ "a.test.ck", "b.test.ck", false, false },
	{ "foo.blogspot.com", "bar.blogspot.com", false, false },
	{ "example.com", "", false, false },
	{ "", "", false, false },
	{ "example.com", "example..com", false, false },
	{ "example.com", NULL, false, false },
	{ NULL, "example.com", false, false },
};

/* dmarc_alignment - the table above, strict and relaxed */
START_TEST(dmarc_alignment)
{
	const char *f = align_cases[_i].from, *d = align_cases[_i].d;

	ck_assert_msg(pw_dmarc_aligned(psl, f, d, true) == align_cases[_i].strict,
		      "strict %s / %s", f ? f : "(null)", d ? d : "(null)");
	ck_assert_msg(pw_dmarc_aligned(psl, f, d, false) == align_cases[_i].relaxed,
		      "relaxed %s / %s", f ? f : "(null)", d ? d : "(null)");
}
END_TEST

/* dmarc_alignment_null_list - no list: relaxed behaves like strict */
START_TEST(dmarc_alignment_null_list)
{
	ck_assert(!pw_dmarc_aligned(NULL, "mail.example.com", "example.com", false));
	ck_assert(pw_dmarc_aligned(NULL, "example.com", "Example.COM", false));
	ck_assert(!pw_dmarc_aligned(NULL, "a.co.uk", "b.co.uk", false));
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------- */

/* practice_suite - every test above */
Suite *practice_suite(void)
{
	Suite *s = suite_create("practice");
	TCase *tc;

	tc = tcase_create("adsp");
	tcase_add_loop_test(tc, adsp_parse, 0, (int)NELEM(adsp_cases));
	tcase_add_test(tc, adsp_null_and_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("dmarc");
	tcase_add_loop_test(tc, dmarc_is_record, 0, (int)NELEM(is_record_cases));
	tcase_add_test(tc, dmarc_select);
	tcase_add_test(tc, dmarc_full);
	tcase_add_test(tc, dmarc_defaults);
	tcase_add_test(tc, dmarc_sp_inherits_p);
	tcase_add_test(tc, dmarc_case);
	tcase_add_loop_test(tc, dmarc_validity, 0, (int)NELEM(validity_cases));
	tcase_add_test(tc, dmarc_null);
	tcase_add_loop_test(tc, dmarc_fallback, 0, (int)NELEM(fallback_cases));
	tcase_add_test(tc, dmarc_fallback_keeps_other_tags);
	tcase_add_loop_test(tc, dmarc_bis_tags, 0, (int)NELEM(bis_cases));
	tcase_add_test(tc, dmarc_no_policy);
	tcase_add_loop_test(tc, dmarc_lenient_tags, 0, (int)NELEM(lenient_cases));
	tcase_add_test(tc, dmarc_policy_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("psl");
	tcase_add_checked_fixture(tc, psl_setup, psl_teardown);
	tcase_add_loop_test(tc, psl_org_domain, 0, (int)NELEM(org_cases));
	tcase_add_loop_test(tc, psl_public_suffix, 0, (int)NELEM(suffix_cases));
	tcase_add_test(tc, psl_count_and_invalid_rules);
	tcase_add_test(tc, psl_buffer_limits);
	tcase_add_test(tc, psl_null_list);
	tcase_add_test(tc, psl_icann_only);
	tcase_add_test(tc, psl_parse_edges);
	tcase_add_loop_test(tc, dmarc_alignment, 0, (int)NELEM(align_cases));
	tcase_add_test(tc, dmarc_alignment_null_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("psl-debian");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, psl_debian_file);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef CHECK_PRACTICE_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(practice_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
