/*
 * tests/unit/check_listfile.c - policy/listfile.c: encrypted mailing-list definition files,
 * and the list, subscriber and poster lookups.  Contract: policy/listfile.h.
 *
 * A stand-alone Check program with its own main() (define CHECK_LISTFILE_NO_MAIN to use
 * listfile_suite() from another runner); exits non-zero on any failure.  One test parses
 * contrib/example.list, looked for under $top_srcdir (automake's test environment sets it),
 * then in the current directory (the top of the tree), then in "..".
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/listfile.h"
#include "policy/listcmd.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

Suite *listfile_suite(void);

static struct pw_lists ls;
static struct pw_diags d;

static void setup(void)
{
	memset(&ls, 0, sizeof(ls));
	memset(&d, 0, sizeof(d));
}

static void teardown(void)
{
	pw_lists_free(&ls);
	pw_diags_free(&d);
}

/* parse - one file's text (a C string) into ls */
static size_t parse(const char *name, const char *text)
{
	return pw_list_parse(&ls, name, text, strlen(text), &d);
}

/* diag_text - diagnostic I rendered by pw_diag_format() ("<no diagnostic I>" if none) */
static const char *diag_text(const struct pw_diags *dd, size_t i)
{
	static char buf[1024];

	if (i >= dd->n)
		snprintf(buf, sizeof(buf), "<no diagnostic %zu>", i);
	else if (pw_diag_format(&dd->v[i], buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "<pw_diag_format failed for %zu>", i);
	return buf;
}

/* diag_all - every diagnostic, one per line, for failure messages */
static const char *diag_all(const struct pw_diags *dd)
{
	static char all[8192];
	size_t used = 0;

	all[0] = '\0';
	for (size_t i = 0; i < dd->n && i < 40 && used < sizeof(all); i++) {
		int n = snprintf(all + used, sizeof(all) - used, "  %s\n", diag_text(dd, i));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return all;
}

#define ck_assert_ndiags(dd, count) \
	ck_assert_msg((dd)->n == (size_t)(count), "expected %zu diagnostic(s), got %zu:\n%s", \
		      (size_t)(count), (dd)->n, diag_all(dd))
#define ck_assert_diag(dd, i, expected) ck_assert_str_eq(diag_text((dd), (i)), (expected))

#define FPR_A "0123456789ABCDEF0123456789ABCDEF01234567"
#define FPR_B "89abcdef0123456789abcdef0123456789abcdef"
#define FPR_B_UP "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define FPR_C "FEDCBA9876543210FEDCBA9876543210FEDCBA98"

/* the smallest valid files: three lines with OpenPGP, four with S/MIME */
#define MIN "list l@lists.example\nowner o@example.org\nopenpgp_key " FPR_A "\n"
#define MIN_SMIME "list l@lists.example\nowner o@example.org\n" \
	"smime_cert /etc/postward/l.crt\nsmime_key /etc/postward/l.key\n"

/* ---- valid files --------------------------------------------------------------------- */

static const char full_text[] =
	"# the board's list\n"							/* 1 */
	"list        Board@Lists.Example.ORG\n"					/* 2 */
	"owner       owner@Example.org\n"					/* 3 */
	"bounce      bounces@example.org\n"					/* 4 */
	"openpgp_key 0123456789abcdef0123456789ABCDEF01234567\n"		/* 5 */
	"smime_cert  /etc/postward/lists/board.crt\n"				/* 6 */
	"smime_key   /etc/postward/lists/board.key\n"				/* 7 */
	"posters     listed\n"							/* 8 */
	"poster      chair@example.org  Secretary@Example.ORG\n"		/* 9 */
	"poster      treasurer@example.net\n"					/* 10 */
	"require_signature   no\n"						/* 11 */
	"inherit_requiretls  no\n"						/* 12 */
	"list_id     Board   of\tDirectors   # shown in List-Id\n"		/* 13 */
	"\n"									/* 14 */
	"subscriber  chair@example.org openpgp=" FPR_B "\n"			/* 15 */
	"subscriber  member@example.net smime=/etc/postward/lists/member.pem\n"	/* 16 */
	"subscriber  Both@Example.COM smime=/etc/both.pem openpgp=" FPR_C "\n";	/* 17 */

/* attest_values - "attest auto|always|never", auto when absent */
START_TEST(attest_values)
{
	static const char *const words[] = { "auto", "always", "never" };
	static const enum pw_list_attest want[] = { PW_LIST_ATTEST_AUTO, PW_LIST_ATTEST_ALWAYS,
						    PW_LIST_ATTEST_NEVER };
	char text[300];

	ck_assert_uint_eq(parse("t.list", MIN), 0);
	ck_assert_int_eq(ls.v[0].attest, PW_LIST_ATTEST_AUTO);
	for (size_t i = 0; i < 3; i++) {
		struct pw_lists one = { 0 };
		snprintf(text, sizeof(text), "%sattest %s\n", MIN, words[i]);
		ck_assert_uint_eq(pw_list_parse(&one, "t.list", text, strlen(text), &d), 0);
		ck_assert_uint_eq(one.n, 1);
		ck_assert_int_eq(one.v[0].attest, want[i]);
		pw_lists_free(&one);
	}
}
END_TEST

START_TEST(full_file)
{
	const struct pw_list *l;

	ck_assert_uint_eq(pw_list_parse(&ls, "/etc/postward/lists/board", full_text,
					 sizeof(full_text) - 1, &d), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(ls.n, 1);
	l = &ls.v[0];
	ck_assert_str_eq(l->address, "Board@lists.example.org");
	ck_assert_uint_eq(l->line, 2);
	ck_assert_str_eq(l->owner, "owner@example.org");
	ck_assert_str_eq(l->bounce, "bounces@example.org");
	ck_assert_str_eq(l->openpgp_fpr, FPR_A);
	ck_assert_str_eq(l->smime_cert, "/etc/postward/lists/board.crt");
	ck_assert_str_eq(l->smime_key, "/etc/postward/lists/board.key");
	ck_assert_int_eq(l->posters, PW_LIST_POSTERS_LISTED);
	ck_assert_uint_eq(l->n_posters, 3);
	ck_assert_str_eq(l->posters_list[0], "chair@example.org");
	ck_assert_str_eq(l->posters_list[1], "Secretary@example.org");
	ck_assert_str_eq(l->posters_list[2], "treasurer@example.net");
	ck_assert(!l->require_signature);
	ck_assert(!l->inherit_requiretls);
	ck_assert_str_eq(l->list_id_phrase, "Board of Directors");
	ck_assert_uint_eq(l->n_subs, 3);
	ck_assert_str_eq(l->subs[0].addr, "chair@example.org");
	ck_assert_str_eq(l->subs[0].fpr, FPR_B_UP);
	ck_assert_ptr_null(l->subs[0].smime_cert);
	ck_assert_uint_eq(l->subs[0].line, 15);
	ck_assert_str_eq(l->subs[1].addr, "member@example.net");
	ck_assert_str_eq(l->subs[1].fpr, "");
	ck_assert_str_eq(l->subs[1].smime_cert, "/etc/postward/lists/member.pem");
	ck_assert_uint_eq(l->subs[1].line, 16);
	ck_assert_str_eq(l->subs[2].addr, "Both@example.com");
	ck_assert_str_eq(l->subs[2].fpr, FPR_C);
	ck_assert_str_eq(l->subs[2].smime_cert, "/etc/both.pem");
	ck_assert_uint_eq(l->subs[2].line, 17);
	ck_assert_str_eq(l->file, "/etc/postward/lists/board");
	ck_assert_ptr_eq(pw_lists_find(&ls, "board@lists.example.org"), l);
}
END_TEST

START_TEST(defaults)
{
	const struct pw_list *l;

	ck_assert_uint_eq(parse("min.list", MIN), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(ls.n, 1);
	l = &ls.v[0];
	ck_assert_str_eq(l->address, "l@lists.example");
	ck_assert_str_eq(l->owner, "o@example.org");
	ck_assert_ptr_nonnull(l->bounce);		/* bounce defaults to a copy of owner */
	ck_assert_str_eq(l->bounce, "o@example.org");
	ck_assert_ptr_ne(l->bounce, l->owner);
	ck_assert_str_eq(l->openpgp_fpr, FPR_A);
	ck_assert_ptr_null(l->smime_cert);
	ck_assert_ptr_null(l->smime_key);
	ck_assert_int_eq(l->posters, PW_LIST_POSTERS_SUBSCRIBERS);
	ck_assert_uint_eq(l->n_posters, 0);
	ck_assert(l->require_signature);
	ck_assert(l->inherit_requiretls);
	ck_assert_ptr_null(l->list_id_phrase);
	ck_assert_uint_eq(l->n_subs, 0);		/* a list may start empty */
	ck_assert_ptr_null(pw_list_find_sub(l, "o@example.org"));
}
END_TEST

START_TEST(smime_only_list)
{
	const struct pw_list *l;

	ck_assert_uint_eq(parse("s.list", MIN_SMIME "subscriber a@example.org smime=/a.pem\n"), 0);
	ck_assert_ndiags(&d, 0);
	l = &ls.v[0];
	ck_assert_str_eq(l->openpgp_fpr, "");
	ck_assert_str_eq(l->smime_cert, "/etc/postward/l.crt");
	ck_assert_str_eq(l->smime_key, "/etc/postward/l.key");
	ck_assert_str_eq(pw_list_find_sub(l, "a@example.org")->smime_cert, "/a.pem");
}
END_TEST

START_TEST(statements_in_any_order)
{
	/* subscribers before the list's keys, list statement last */
	ck_assert_uint_eq(parse("o.list",
		"subscriber a@example.org openpgp=" FPR_B " smime=/a.pem\n"
		"poster p@example.org\n"
		"posters listed\n"
		"smime_key /k.pem\nsmime_cert /c.pem\n"
		"openpgp_key " FPR_A "\nowner o@example.org\nlist l@lists.example\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(ls.n, 1);
	ck_assert_uint_eq(ls.v[0].line, 8);
	ck_assert(pw_list_may_post(&ls.v[0], "p@example.org"));
}
END_TEST

START_TEST(crlf_and_no_final_newline)
{
	ck_assert_uint_eq(parse("w.list", "list l@lists.example\r\nowner o@example.org\r\n"
				"openpgp_key " FPR_A "\r\n\r\nlist_id Team\r\n"
				"subscriber a@example.org openpgp=" FPR_B), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(ls.v[0].list_id_phrase, "Team");
	ck_assert_str_eq(ls.v[0].openpgp_fpr, FPR_A);
	ck_assert_uint_eq(ls.v[0].n_subs, 1);
	ck_assert_str_eq(ls.v[0].subs[0].fpr, FPR_B_UP);
	ck_assert_uint_eq(ls.v[0].subs[0].line, 6);
}
END_TEST

START_TEST(comments_and_blanks)
{
	ck_assert_uint_eq(parse("c.list",
		"# a list\n"
		"   \t \n"
		"\t# indented comment\n"
		"\tlist\t l@lists.example   # the address\n"
		"owner o@example.org #bounce b@example.org\n"
		"openpgp_key " FPR_A "#\n"			/* '#' inside a word: not a comment */
		"list_id Team#1 # the phrase stops here\n"
		"#subscriber x@example.org openpgp=" FPR_B "\n"
		"subscriber a@example.org openpgp=" FPR_B " # smime=relative.pem\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "c.list:6: bad OpenPGP fingerprint \"" FPR_A "#\": "
		       "character 41 is not a hex digit");
	ck_assert_uint_eq(ls.n, 0);

	pw_diags_free(&d);
	ck_assert_uint_eq(parse("c.list",
		"\tlist\t l@lists.example   # the address\n"
		"owner o@example.org #bounce b@example.org\n"
		"openpgp_key " FPR_A "    # comment\n"
		"list_id Team#1 # the phrase stops here\n"
		"#subscriber x@example.org openpgp=" FPR_B "\n"
		"subscriber a@example.org openpgp=" FPR_B " # smime=relative.pem\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(ls.v[0].bounce, "o@example.org");
	ck_assert_str_eq(ls.v[0].list_id_phrase, "Team#1");
	ck_assert_uint_eq(ls.v[0].n_subs, 1);
	ck_assert_ptr_null(ls.v[0].subs[0].smime_cert);
	ck_assert_ptr_null(pw_list_find_sub(&ls.v[0], "x@example.org"));
}
END_TEST

START_TEST(respects_len)
{
	static const char text[] = MIN "garbage that is not parsed\n";
	char *heap;
	size_t n = strlen(MIN);

	ck_assert_uint_eq(pw_list_parse(&ls, "l.list", text, n, &d), 0);
	ck_assert_ndiags(&d, 0);
	pw_lists_free(&ls);
	/* a heap copy with no NUL at all: ASan catches a read past the end */
	heap = malloc(n - 1);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, MIN, n - 1);			/* without the final newline */
	ck_assert_uint_eq(pw_list_parse(&ls, "heap.list", heap, n - 1, &d), 0);
	free(heap);
	ck_assert_uint_eq(ls.n, 1);
	ck_assert_str_eq(ls.v[0].openpgp_fpr, FPR_A);
}
END_TEST

START_TEST(file_name_is_copied)
{
	char name[64];

	snprintf(name, sizeof(name), "/etc/postward/lists/team");
	ck_assert_uint_eq(pw_list_parse(&ls, name, MIN, strlen(MIN), &d), 0);
	memset(name, 'X', sizeof(name) - 1);
	ck_assert_str_eq(ls.v[0].file, "/etc/postward/lists/team");

	ck_assert_uint_eq(pw_list_parse(&ls, NULL, "bogus\n", 6, &d), 4);
	ck_assert_str_eq(d.v[0].file, "(unnamed)");
}
END_TEST

START_TEST(posters_names)
{
	ck_assert_str_eq(pw_list_posters_name(PW_LIST_POSTERS_SUBSCRIBERS), "subscribers");
	ck_assert_str_eq(pw_list_posters_name(PW_LIST_POSTERS_LISTED), "listed");
	ck_assert_str_eq(pw_list_posters_name(PW_LIST_POSTERS_ANYONE), "anyone");
	ck_assert_str_eq(pw_list_posters_name((enum pw_list_posters)7), "?");
}
END_TEST

/* ---- addresses ----------------------------------------------------------------------- */

static char local64[65], addr254[300], addr255[300];

/* long_addresses - a 64-byte local part, and addresses of 254 and 255 bytes */
static void long_addresses(void)
{
	char dom[200];

	memset(local64, 'a', 64);
	local64[64] = '\0';
	/* 63 + 1 + 63 + 1 + 61 = 189 bytes of domain; 64 + 1 + 189 = 254 */
	snprintf(dom, sizeof(dom), "%.63s.%.63s.%.61s",
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		 "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		 "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	snprintf(addr254, sizeof(addr254), "%s@%s", local64, dom);
	snprintf(addr255, sizeof(addr255), "%s@%se", local64, dom);
	ck_assert_uint_eq(strlen(addr254), 254);
	ck_assert_uint_eq(strlen(addr255), 255);
}

static const struct {
	const char *in, *stored;
} good_addrs[] = {
	{ "Alice@Example.ORG", "Alice@example.org" },		/* local part kept as written */
	{ "a@example.org.", "a@example.org" },			/* trailing dot dropped */
	{ "first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk" },
	{ "postmaster@localhost", "postmaster@localhost" },	/* one label is plausible */
	{ "\"a@b\"@example.org", "\"a@b\"@example.org" },	/* '@' inside quotes */
	{ "\"john,doe\"@example.org", "\"john,doe\"@example.org" },
	{ "\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org" },	/* escaped quote */
	{ "j\xc3\xb6rg@example.org", "j\xc3\xb6rg@example.org" },	/* UTF-8 local part */
	{ "a#b@example.org", "a#b@example.org" },		/* '#' inside a word */
	{ "x_y-z@mail-1.example_2.org", "x_y-z@mail-1.example_2.org" },
};

START_TEST(address_good)
{
	char text[512];

	snprintf(text, sizeof(text), MIN "bounce %s\n", good_addrs[_i].in);
	ck_assert_uint_eq(parse("a.list", text), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_str_eq(ls.v[0].bounce, good_addrs[_i].stored);
}
END_TEST

START_TEST(address_lengths)
{
	char text[1024];

	long_addresses();
	snprintf(text, sizeof(text), MIN "bounce %s@example.org\nposters anyone\n"
		 "subscriber %s openpgp=" FPR_B "\n", local64, addr254);
	ck_assert_uint_eq(parse("len.list", text), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(strlen(ls.v[0].subs[0].addr), 254);
	ck_assert_ptr_nonnull(pw_list_find_sub(&ls.v[0], addr254));
}
END_TEST

static const struct {
	const char *in, *why;
} bad_addrs[] = {
	{ "alice", "no \"@\" (expected local@domain)" },
	{ "a@b@example.org", "more than one \"@\" outside quotes" },
	{ "a\\@b@example.org", "more than one \"@\" outside quotes" },
	{ "@example.org", "empty local part" },
	{ "alice@", "no domain after \"@\"" },
	{ "<alice@example.org>", "angle brackets are not allowed; write the bare address" },
	{ "alice@example.org>", "angle brackets are not allowed; write the bare address" },
	{ "Alice<alice@example.org", "angle brackets are not allowed; write the bare address" },
	{ "\"alice@example.org", "unbalanced double quote" },
	{ "al(ice@example.org", "'(' in the local part must be quoted" },
	{ "a,b@example.org", "',' in the local part must be quoted" },
	{ "a;b@example.org", "';' in the local part must be quoted" },
	{ "a:b@example.org", "':' in the local part must be quoted" },
	{ "[a]@example.org", "'[' in the local part must be quoted" },
	{ "a\\b@example.org", "'\\' in the local part must be quoted" },
	{ "al\xff@example.org", "local part is not valid UTF-8" },
	{ "al\xc3@example.org", "local part is not valid UTF-8" },
	{ "alice@exa..mple.org", "\"exa..mple.org\" is not a domain name" },
	{ "alice@.example.org", "\".example.org\" is not a domain name" },
	{ "alice@[192.0.2.1]", "\"[192.0.2.1]\" is not a domain name" },
	{ "alice@ex!ample.org", "\"ex!ample.org\" is not a domain name" },
	{ "alice@\xc3\xa9.example", "\"\xc3\xa9.example\" is not a domain name" },
	{ "alice@.", "\".\" is not a domain name" },
	{ "a@\"b\"", "\"\"b\"\" is not a domain name" },
	{ NULL, "local part longer than 64 bytes" },		/* built below */
	{ NULL, "longer than 254 bytes" },
};

START_TEST(address_bad)
{
	char text[1024], want[1024], in[300];
	const char *why = bad_addrs[_i].why;

	long_addresses();
	if (bad_addrs[_i].in != NULL)
		snprintf(in, sizeof(in), "%s", bad_addrs[_i].in);
	else if (strstr(why, "64") != NULL)
		snprintf(in, sizeof(in), "%sa@example.org", local64);
	else
		snprintf(in, sizeof(in), "%s", addr255);
	snprintf(text, sizeof(text), MIN "bounce %s\n", in);
	snprintf(want, sizeof(want), "t.list:4: bad bounce address \"%.100s\": %s", in, why);
	ck_assert_uint_eq(parse("t.list", text), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, want);
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

/* every address statement reports with its own name */
START_TEST(address_bad_each_statement)
{
	ck_assert_uint_eq(parse("t.list", "list l.lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\n"), 1);
	ck_assert_diag(&d, 0, "t.list:1: bad list address \"l.lists.example\": "
		       "no \"@\" (expected local@domain)");
	pw_diags_free(&d);
	ck_assert_uint_eq(parse("t.list", "list l@lists.example\nowner <o@example.org>\n"
				"openpgp_key " FPR_A "\n"), 1);
	ck_assert_diag(&d, 0, "t.list:2: bad owner address \"<o@example.org>\": "
		       "angle brackets are not allowed; write the bare address");
	pw_diags_free(&d);
	ck_assert_uint_eq(parse("t.list", MIN "posters listed\nposter p@example.org q@\n"), 1);
	ck_assert_diag(&d, 0, "t.list:5: bad poster address \"q@\": no domain after \"@\"");
	pw_diags_free(&d);
	ck_assert_uint_eq(parse("t.list", MIN "subscriber @example.org openpgp=" FPR_B "\n"), 1);
	ck_assert_diag(&d, 0, "t.list:4: bad subscriber address \"@example.org\": "
		       "empty local part");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

/* ---- errors: one bad thing in an otherwise good file --------------------------------- */

#define EXPECTED_STMTS "(expected list, owner, bounce, role, openpgp_key, smime_cert, " \
	"smime_key, posters, poster, require_signature, inherit_requiretls, attest, list_id, " \
	"dkim_key, from_rewrite, subject_prefix, plain_posts, bounce_threshold, roster, " \
	"roster_addresses, roster_file, roster_incomplete, key_refresh, command_window, " \
	"keywords_admin_only, keywords_admin_notify or subscriber)"

static const struct {
	const char *text, *want;
} error_cases[] = {
	/* statements */
	{ MIN "frobnicate x\n", "t.list:4: unknown statement \"frobnicate\" " EXPECTED_STMTS },
	{ MIN "Subscriber a@example.org openpgp=" FPR_B "\n", "t.list:4: unknown statement "
	  "\"Subscriber\" " EXPECTED_STMTS },
	{ MIN "\xef\xbb\xbf" "bounce b@example.org\n", "t.list:4: unknown statement "
	  "\"\xef\xbb\xbf" "bounce\" " EXPECTED_STMTS },
	/* issue 12: role addresses and the new settings */
	{ MIN "role request -owner\n", "t.list:4: the request and owner addresses are both "
	  "\"l-owner@lists.example\"" },
	{ "list l@lists.example\nowner l-owner@lists.example\nopenpgp_key " FPR_A "\n",
	  "t.list:2: the owner cannot be the list's own owner address "
	  "\"l-owner@lists.example\" (mail to the owner would loop)" },
	{ MIN "bounce l-request@lists.example\n", "t.list:4: bounce cannot be the list's "
	  "own request address \"l-request@lists.example\"" },
	{ MIN "subscriber l-sendkey@lists.example openpgp=" FPR_B "\n", "t.list:4: "
	  "subscriber \"l-sendkey@lists.example\" is the list's own sendkey address" },
	{ MIN "role\n", "t.list:4: role takes a role (request, owner, sendkey or bounces) and a "
	  "suffix or \"off\"" },
	{ MIN "role request\n", "t.list:4: role takes a role (request, owner, sendkey or bounces) "
	  "and a suffix or \"off\"" },
	{ MIN "role post -p\n", "t.list:4: role \"post\": expected request, owner, sendkey or "
	  "bounces" },
	{ MIN "role request -a\nrole request -b\n", "t.list:5: role request is already given at "
	  "line 4" },
	{ MIN "role bounces off\nrole bounces -b\n", "t.list:5: role bounces is already given at "
	  "line 4" },
	{ MIN "role request +r\n", "t.list:4: role request suffix \"+r\": '+' is not allowed "
	  "(letters, digits, '-', '_' and '.' only)" },
	{ MIN "role owner -o@x\n", "t.list:4: role owner suffix \"-o@x\": '@' is not allowed "
	  "(letters, digits, '-', '_' and '.' only)" },
	{ MIN "role owner -123456789012345678901234567890123\n", "t.list:4: role owner suffix is "
	  "34 octets long; at most 32" },
	{ MIN "dkim_key s\n", "t.list:4: dkim_key takes a selector and the absolute path of a "
	  "PEM private key" },
	{ MIN "dkim_key -s /k.pem\n", "t.list:4: dkim_key selector \"-s\" is not a valid selector "
	  "(labels of letters, digits and inner hyphens, joined by dots)" },
	{ MIN "dkim_key s- /k.pem\n", "t.list:4: dkim_key selector \"s-\" is not a valid selector "
	  "(labels of letters, digits and inner hyphens, joined by dots)" },
	{ MIN "dkim_key a..b /k.pem\n", "t.list:4: dkim_key selector \"a..b\" is not a valid "
	  "selector (labels of letters, digits and inner hyphens, joined by dots)" },
	{ MIN "dkim_key s_1 /k.pem\n", "t.list:4: dkim_key selector \"s_1\" is not a valid "
	  "selector (labels of letters, digits and inner hyphens, joined by dots)" },
	{ MIN "dkim_key s k.pem\n", "t.list:4: dkim_key path \"k.pem\" is not absolute" },
	{ MIN "dkim_key s /a.pem\ndkim_key S /b.pem\n", "t.list:5: dkim_key selector \"S\" is "
	  "already given at line 4" },
	{ MIN "dkim_key a /k\ndkim_key b /k\ndkim_key c /k\ndkim_key d /k\ndkim_key e /k\n"
	  "dkim_key f /k\ndkim_key g /k\ndkim_key h /k\ndkim_key i /k\n",
	  "t.list:12: more than 8 dkim_key statements" },
	{ MIN "from_rewrite\n", "t.list:4: from_rewrite needs a value: auto, always or never" },
	{ MIN "from_rewrite sometimes\n", "t.list:4: from_rewrite \"sometimes\": expected auto, "
	  "always or never" },
	{ MIN "from_rewrite auto auto\n", "t.list:4: from_rewrite takes one value; unexpected "
	  "\"auto\"" },
	{ MIN "from_rewrite auto\nfrom_rewrite never\n", "t.list:5: from_rewrite is already "
	  "given at line 4" },
	{ MIN "subject_prefix\n", "t.list:4: subject_prefix needs a text" },
	{ MIN "subject_prefix [b]\xff\n", "t.list:4: subject_prefix is not valid UTF-8" },
	{ MIN "subject_prefix 12345678901234567890123456789012 12345678901234567890123456789012\n",
	  "t.list:4: subject_prefix text is 65 octets long; at most 64" },
	{ MIN "subject_prefix [a]\nsubject_prefix [b]\n", "t.list:5: subject_prefix is already "
	  "given at line 4" },
	{ MIN "plain_posts yes\n", "t.list:4: plain_posts \"yes\": expected no, subscribers or "
	  "anyone" },
	{ MIN "bounce_threshold 0\n", "t.list:4: bounce_threshold 0 is out of range: 1 to 1000 "
	  "points" },
	{ MIN "bounce_threshold 1001\n", "t.list:4: bounce_threshold 1001 is out of range: 1 to "
	  "1000 points" },
	{ MIN "bounce_threshold 99999999999999999999999\n", "t.list:4: bounce_threshold "
	  "99999999999999999999999 is out of range: 1 to 1000 points" },
	{ MIN "bounce_threshold -1\n", "t.list:4: bounce_threshold \"-1\" is not a number "
	  "(decimal digits only)" },
	{ MIN "bounce_threshold\n", "t.list:4: bounce_threshold needs a number of points" },
	{ MIN "command_window 59\n", "t.list:4: command_window 59 is out of range: 60 to 604800 "
	  "seconds" },
	{ MIN "command_window 604801\n", "t.list:4: command_window 604801 is out of range: 60 to "
	  "604800 seconds" },
	{ MIN "command_window 1h\n", "t.list:4: command_window \"1h\" is not a number (decimal "
	  "digits only)" },
	{ MIN "roster yes\n", "t.list:4: roster \"yes\": expected none or publish" },
	{ MIN "roster publish\nroster_addresses maybe\n", "t.list:5: roster_addresses \"maybe\": "
	  "expected show or hide" },
	{ MIN "roster publish\nroster_file roster.asc\n", "t.list:5: roster_file path "
	  "\"roster.asc\" is not absolute" },
	{ MIN "roster publish\nroster_incomplete drop\n", "t.list:5: roster_incomplete \"drop\": "
	  "expected refuse or rewrap" },
	{ MIN "key_refresh wkd vks\n", "t.list:4: key_refresh takes one value; unexpected "
	  "\"vks\"" },
	{ MIN "key_refresh hkp\n", "t.list:4: key_refresh \"hkp\": expected off, wkd, vks, "
	  "wkd,vks or vks,wkd" },
	{ MIN "keywords_admin_only\n", "t.list:4: keywords_admin_only takes the keywords of "
	  "signed commands (for instance \"subscribe unsubscribe\"), or \"none\"" },
	{ MIN "keywords_admin_only subscribe frobnicate\n", "t.list:4: keywords_admin_only: "
	  "\"frobnicate\" is not a command keyword" },
	{ MIN "keywords_admin_only subscribe none\n", "t.list:4: keywords_admin_only: \"none\" "
	  "stands alone" },
	{ MIN "keywords_admin_only X-LIST-NAME\n", "t.list:4: keywords_admin_only: X-LIST-NAME "
	  "is always allowed and cannot be named" },
	{ MIN "keywords_admin_only get-version\n", "t.list:4: keywords_admin_only: "
	  "X-GET-VERSION is always allowed and cannot be named" },
	{ MIN "keywords_admin_only subscribe X-Subscribe\n", "t.list:4: keywords_admin_only: "
	  "X-SUBSCRIBE is named twice" },
	{ MIN "keywords_admin_notify list-name\n", "t.list:4: keywords_admin_notify: "
	  "X-LIST-NAME is always allowed and cannot be named" },
	{ MIN "keywords_admin_notify none\nkeywords_admin_notify add-key\n", "t.list:5: "
	  "keywords_admin_notify is already given at line 4" },
	{ MIN_SMIME "roster publish\n", "t.list:5: \"roster publish\" needs openpgp_key (the "
	  "roster is OpenPGP data signed by the list key)" },
	{ MIN_SMIME "key_refresh wkd\n", "t.list:5: key_refresh needs openpgp_key (it refreshes "
	  "subscribers' OpenPGP keys)" },
	{ MIN "subscriber a@example.org openpgp=" FPR_B " admin admin\n", "t.list:4: admin is "
	  "given twice" },
	/* once-only statements given twice */
	{ MIN "list m@lists.example\n", "t.list:4: list is already given at line 1" },
	{ MIN "owner p@example.org\n", "t.list:4: owner is already given at line 2" },
	{ MIN "\nopenpgp_key " FPR_A "\n", "t.list:5: openpgp_key is already given at line 3" },
	{ MIN "bounce b@example.org\nbounce c@example.org\n",
	  "t.list:5: bounce is already given at line 4" },
	{ MIN_SMIME "smime_cert /x.pem\n", "t.list:5: smime_cert is already given at line 3" },
	{ MIN_SMIME "smime_key /x.pem\n", "t.list:5: smime_key is already given at line 4" },
	{ MIN "posters anyone\nposters anyone\n", "t.list:5: posters is already given at line 4" },
	{ MIN "require_signature yes\nrequire_signature no\n",
	  "t.list:5: require_signature is already given at line 4" },
	{ MIN "inherit_requiretls no\ninherit_requiretls no\n",
	  "t.list:5: inherit_requiretls is already given at line 4" },
	{ MIN "list_id A\nlist_id B\n", "t.list:5: list_id is already given at line 4" },
	/* missing and extra arguments */
	{ "list\nowner o@example.org\nopenpgp_key " FPR_A "\n", "t.list:1: list needs an address" },
	{ "list a@lists.example b@lists.example\nowner o@example.org\nopenpgp_key " FPR_A "\n",
	  "t.list:1: list takes one address; unexpected \"b@lists.example\"" },
	{ "list l@lists.example\nowner   # nobody\nopenpgp_key " FPR_A "\n",
	  "t.list:2: owner needs an address" },
	{ MIN "bounce\n", "t.list:4: bounce needs an address" },
	{ MIN "bounce b@example.org c@example.org\n",
	  "t.list:4: bounce takes one address; unexpected \"c@example.org\"" },
	{ MIN "smime_cert\nsmime_key /k.pem\n", "t.list:4: smime_cert needs a path" },
	{ MIN "smime_cert /a.pem /b.pem\nsmime_key /k.pem\n",
	  "t.list:4: smime_cert takes one path; unexpected \"/b.pem\"" },
	{ MIN "smime_cert /c.pem\nsmime_key\n", "t.list:5: smime_key needs a path" },
	{ MIN "posters\n", "t.list:4: posters needs a value: subscribers, listed or anyone" },
	{ MIN "posters anyone now\n", "t.list:4: posters takes one value; unexpected \"now\"" },
	{ MIN "require_signature\n", "t.list:4: require_signature needs a value: yes or no" },
	{ MIN "inherit_requiretls yes no\n",
	  "t.list:4: inherit_requiretls takes one value; unexpected \"no\"" },
	{ MIN "attest\n", "t.list:4: attest needs a value: auto, always or never" },
	{ MIN "attest sometimes\n",
	  "t.list:4: attest \"sometimes\": expected auto, always or never" },
	{ MIN "attest auto never\n", "t.list:4: attest takes one value; unexpected \"never\"" },
	{ MIN "attest auto\nattest never\n", "t.list:5: attest is already given at line 4" },
	{ MIN "list_id\n", "t.list:4: list_id needs a phrase" },
	{ MIN "list_id   # just a comment\n", "t.list:4: list_id needs a phrase" },
	{ MIN "poster\n", "t.list:4: poster needs at least one address" },
	{ MIN "subscriber\n", "t.list:4: subscriber needs an address and a key "
	  "(openpgp=FINGERPRINT, smime=PATH or both)" },
	/* values */
	{ MIN "posters everyone\n", "t.list:4: posters \"everyone\": expected subscribers, "
	  "listed or anyone" },
	{ MIN "posters Listed\n", "t.list:4: posters \"Listed\": expected subscribers, "
	  "listed or anyone" },
	{ MIN "require_signature maybe\n",
	  "t.list:4: require_signature \"maybe\": expected yes or no" },
	{ MIN "require_signature YES\n", "t.list:4: require_signature \"YES\": expected yes or no" },
	{ MIN "inherit_requiretls 1\n", "t.list:4: inherit_requiretls \"1\": expected yes or no" },
	{ MIN "list_id Caf\xc3 Board\n", "t.list:4: list_id is not valid UTF-8" },
	{ MIN "list_id \xed\xa0\x80\n", "t.list:4: list_id is not valid UTF-8" },	/* surrogate */
	{ MIN "list_id \xc0\xaf\n", "t.list:4: list_id is not valid UTF-8" },	/* overlong */
	{ MIN "list_id \xf4\x90\x80\x80\n", "t.list:4: list_id is not valid UTF-8" }, /* > 10FFFF */
	/* openpgp_key */
	{ MIN_SMIME "openpgp_key\n", "t.list:5: openpgp_key needs a fingerprint (40 hex digits)" },
	{ MIN_SMIME "openpgp_key 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567\n",
	  "t.list:5: openpgp_key takes one fingerprint of 40 hex digits, written without spaces" },
	{ MIN_SMIME "openpgp_key 0x" FPR_A "\n",
	  "t.list:5: bad OpenPGP fingerprint \"0x" FPR_A "\": write it without \"0x\"" },
	{ MIN_SMIME "openpgp_key 0123456789ABCDEF0123456789ABCDEF0123456\n",
	  "t.list:5: bad OpenPGP fingerprint \"0123456789ABCDEF0123456789ABCDEF0123456\": "
	  "expected 40 hex digits (a v4 fingerprint), got 39" },
	{ MIN_SMIME "openpgp_key " FPR_A "8\n",
	  "t.list:5: bad OpenPGP fingerprint \"" FPR_A "8\": "
	  "expected 40 hex digits (a v4 fingerprint), got 41" },
	{ MIN_SMIME "openpgp_key " FPR_A FPR_C "\n", "t.list:5: bad OpenPGP fingerprint \""
	  FPR_A FPR_C "\": expected 40 hex digits (a v4 fingerprint), got 80" },
	{ MIN_SMIME "openpgp_key 0123456789ABCDEG0123456789ABCDEF01234567\n",
	  "t.list:5: bad OpenPGP fingerprint \"0123456789ABCDEG0123456789ABCDEF01234567\": "
	  "character 16 is not a hex digit" },
	{ MIN_SMIME "openpgp_key 0123:4567\n",
	  "t.list:5: bad OpenPGP fingerprint \"0123:4567\": character 5 is not a hex digit" },
	/* paths and the S/MIME pair */
	{ MIN "smime_cert certs/l.pem\nsmime_key /k.pem\n",
	  "t.list:4: smime_cert path \"certs/l.pem\" is not absolute" },
	{ MIN "smime_cert /c.pem\nsmime_key ~/k.pem\n",
	  "t.list:5: smime_key path \"~/k.pem\" is not absolute" },
	{ MIN "smime_cert /c.pem\n", "t.list:4: smime_cert needs smime_key (the list's private key)" },
	{ MIN "\nsmime_key /k.pem\n", "t.list:5: smime_key needs smime_cert (the list's certificate)" },
	{ "list l@lists.example\nowner o@example.org\nsmime_cert /c.pem\n",
	  "t.list:3: smime_cert needs smime_key (the list's private key)" },
	/* posters and poster */
	{ MIN "poster a@example.org\n", "t.list:4: poster is only meaningful with \"posters "
	  "listed\" (this list has the default, \"posters subscribers\")" },
	{ MIN "poster a@example.org\nposters anyone\n", "t.list:4: poster is only meaningful "
	  "with \"posters listed\" (line 5 says \"posters anyone\")" },
	{ MIN "posters subscribers\nposter a@example.org b@example.org\n", "t.list:5: poster is "
	  "only meaningful with \"posters listed\" (line 4 says \"posters subscribers\")" },
	{ MIN "posters listed\n", "t.list:4: \"posters listed\" needs at least one poster line" },
	{ MIN "posters listed\nposter a@example.org b@example.org\nposter A@EXAMPLE.ORG\n",
	  "t.list:6: poster \"A@EXAMPLE.ORG\" is already listed at line 5" },
	{ MIN "posters listed\nposter a@example.org a@example.org.\n",
	  "t.list:5: poster \"a@example.org.\" is already listed at line 5" },
	{ MIN "posters all\nposter a@example.org\n",		/* no second error */
	  "t.list:4: posters \"all\": expected subscribers, listed or anyone" },
	/* subscribers */
	{ MIN "subscriber a@example.org\n", "t.list:4: subscriber \"a@example.org\" needs a key: "
	  "openpgp=FINGERPRINT, smime=PATH or both" },
	{ MIN "subscriber a@example.org # openpgp=" FPR_B "\n", "t.list:4: subscriber "
	  "\"a@example.org\" needs a key: openpgp=FINGERPRINT, smime=PATH or both" },
	{ MIN "subscriber a@example.org openpgp=\n",
	  "t.list:4: openpgp= needs a fingerprint (40 hex digits)" },
	{ MIN "subscriber a@example.org openpgp=xyz\n",
	  "t.list:4: bad OpenPGP fingerprint \"xyz\": character 1 is not a hex digit" },
	{ MIN "subscriber a@example.org openpgp=" FPR_B "0\n", "t.list:4: bad OpenPGP "
	  "fingerprint \"" FPR_B "0\": expected 40 hex digits (a v4 fingerprint), got 41" },
	{ MIN "subscriber a@example.org openpgp=" FPR_B " openpgp=" FPR_C "\n",
	  "t.list:4: openpgp= is given twice" },
	{ MIN_SMIME "subscriber a@example.org smime=\n", "t.list:5: smime= needs a path" },
	{ MIN_SMIME "subscriber a@example.org smime=a.pem\n",
	  "t.list:5: smime= path \"a.pem\" is not absolute" },
	{ MIN_SMIME "subscriber a@example.org smime=/a.pem smime=/b.pem\n",
	  "t.list:5: smime= is given twice" },
	{ MIN "subscriber a@example.org key=" FPR_B "\n", "t.list:4: unknown subscriber option "
	  "\"key=" FPR_B "\" (expected openpgp=FINGERPRINT, smime=PATH or admin)" },
	{ MIN "subscriber a@example.org OPENPGP=" FPR_B "\n", "t.list:4: unknown subscriber "
	  "option \"OPENPGP=" FPR_B "\" (expected openpgp=FINGERPRINT, smime=PATH or admin)" },
	{ MIN "subscriber a@example.org " FPR_B "\n", "t.list:4: unknown subscriber option \""
	  FPR_B "\" (expected openpgp=FINGERPRINT, smime=PATH or admin)" },
	{ MIN "subscriber a@example.org openpgp=" FPR_B "\n\nsubscriber A@Example.ORG. openpgp="
	  FPR_C "\n", "t.list:6: subscriber \"A@Example.ORG.\" is already listed at line 4" },
	{ MIN "subscriber L@LISTS.example openpgp=" FPR_B "\n",
	  "t.list:4: the list cannot be its own subscriber" },
	{ MIN "subscriber a@example.org smime=/etc/a.pem\n",
	  "t.list:4: subscriber \"a@example.org\" has smime= but the list has no smime_cert" },
	{ MIN_SMIME "subscriber a@example.org smime=/a.pem openpgp=" FPR_B "\n",
	  "t.list:5: subscriber \"a@example.org\" has openpgp= but the list has no openpgp_key" },
	/* loops */
	{ "list l@lists.example\nowner L@Lists.Example\nopenpgp_key " FPR_A "\n",
	  "t.list:2: the owner cannot be the list itself (problem reports would loop)" },
	{ MIN "bounce l@lists.example.\n",
	  "t.list:4: bounce cannot be the list itself (bounces would go to the list)" },
	/* bytes */
	{ MIN "list_id a\x01" "b\n", "t.list:4: control character 0x01 in column 10" },
	{ MIN "list_id a\x7f\n", "t.list:4: control character 0x7f in column 10" },
	{ MIN "list_id a\rb\n", "t.list:4: control character 0x0d in column 10" },
	{ MIN "list_id ab\r\r\n", "t.list:4: control character 0x0d in column 11" },
	{ MIN "\x1b[31mlist_id x\n", "t.list:4: control character 0x1b in column 1" },
	{ MIN "list_id a\fb\n", "t.list:4: control character 0x0c in column 10" },
	{ MIN "list_id a\vb\n", "t.list:4: control character 0x0b in column 10" },
	/* the list address becomes the copies' List-Id (RFC 2919: dot-atoms, ASCII) */
	{ "list \"a.b\"@lists.example\nowner o@example.org\nopenpgp_key " FPR_A "\n",
	  "t.list:1: list address \"\"a.b\"@lists.example\" cannot make a List-Id (RFC 2919): "
	  "it must be ASCII, without quotes, blanks or angle brackets" },
	{ "list caf\xc3\xa9@lists.example\nowner o@example.org\nopenpgp_key " FPR_A "\n",
	  "t.list:1: list address \"caf\xc3\xa9@lists.example\" cannot make a List-Id (RFC 2919): "
	  "it must be ASCII, without quotes, blanks or angle brackets" },
};

#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

/* the List-Id phrase the copies carry: 200 octets at most, checked when the file is read
 * (the copy writer refuses a longer one, and the post would wait for ever) */
START_TEST(list_id_phrase_limit)
{
	ck_assert_uint_eq(parse("t.list", MIN "list_id " X100 X100 "\n"), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(strlen(ls.v[0].list_id_phrase), 200);
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN "list_id " X100 X100 "x\n"), 1);
	ck_assert_diag(&d, 0, "t.list:4: list_id phrase is 201 octets long; at most 200");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(error_case)
{
	ck_assert_uint_eq(parse("t.list", error_cases[_i].text), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, error_cases[_i].want);
	ck_assert_uint_eq(ls.n, 0);			/* a file with an error adds no list */
}
END_TEST

/* ---- errors about the file as a whole ------------------------------------------------ */

START_TEST(error_empty_file)
{
	ck_assert_uint_eq(pw_list_parse(&ls, "e.list", "", 0, &d), 3);
	ck_assert_ndiags(&d, 3);
	ck_assert_uint_eq(d.v[0].line, 0);
	ck_assert_diag(&d, 0, "e.list: missing list statement (the list's address)");
	ck_assert_diag(&d, 1, "e.list: missing owner statement (who gets problem reports)");
	ck_assert_diag(&d, 2, "e.list: no list key: give openpgp_key, or smime_cert and "
		       "smime_key, or both");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(error_missing_each)
{
	ck_assert_uint_eq(parse("m.list", "owner o@example.org\nopenpgp_key " FPR_A "\n"), 1);
	ck_assert_diag(&d, 0, "m.list: missing list statement (the list's address)");
	ck_assert_uint_eq(d.v[0].line, 0);
	pw_diags_free(&d);
	ck_assert_uint_eq(parse("m.list", "list l@lists.example\nopenpgp_key " FPR_A "\n"), 1);
	ck_assert_diag(&d, 0, "m.list: missing owner statement (who gets problem reports)");
	pw_diags_free(&d);
	ck_assert_uint_eq(parse("m.list", "list l@lists.example\nowner o@example.org\n"), 1);
	ck_assert_diag(&d, 0, "m.list: no list key: give openpgp_key, or smime_cert and "
		       "smime_key, or both");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(error_many_collected_in_order)
{
	size_t errs = parse("all.list",
		"list l@lists.example\n"				/* 1 */
		"owners o@example.org\n"				/* 2 unknown */
		"openpgp_key 1234\n"					/* 3 bad fpr */
		"posters listed\n"					/* 4 */
		"poster a@example.org\n"				/* 5 */
		"posters anyone\n"					/* 6 twice */
		"require_signature on\n"				/* 7 yes/no */
		"subscriber b@example.org\n"				/* 8 no key */
		"subscriber c@example.org smime=c.pem\n"		/* 9 relative */
		"subscriber d@example.org smime=/d.pem\n");		/* 10 no smime_cert */
	ck_assert_uint_eq(errs, 8);
	ck_assert_ndiags(&d, 8);
	ck_assert_str_eq(diag_text(&d, 0), "all.list:2: unknown statement \"owners\" "
			 EXPECTED_STMTS);
	ck_assert_diag(&d, 1, "all.list:3: bad OpenPGP fingerprint \"1234\": expected 40 hex "
		       "digits (a v4 fingerprint), got 4");
	ck_assert_diag(&d, 2, "all.list:6: posters is already given at line 4");
	ck_assert_diag(&d, 3, "all.list:7: require_signature \"on\": expected yes or no");
	ck_assert_diag(&d, 4, "all.list:8: subscriber \"b@example.org\" needs a key: "
		       "openpgp=FINGERPRINT, smime=PATH or both");
	ck_assert_diag(&d, 5, "all.list:9: smime= path \"c.pem\" is not absolute");
	/* then the whole-file checks */
	ck_assert_diag(&d, 6, "all.list: missing owner statement (who gets problem reports)");
	ck_assert_diag(&d, 7, "all.list:10: subscriber \"d@example.org\" has smime= but the list "
		       "has no smime_cert");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(error_several_on_one_subscriber_line)
{
	ck_assert_uint_eq(parse("s.list", MIN "subscriber bob openpgp=12 smime=x tls=yes\n"), 4);
	ck_assert_diag(&d, 0, "s.list:4: bad subscriber address \"bob\": "
		       "no \"@\" (expected local@domain)");
	ck_assert_diag(&d, 1, "s.list:4: bad OpenPGP fingerprint \"12\": "
		       "expected 40 hex digits (a v4 fingerprint), got 2");
	ck_assert_diag(&d, 2, "s.list:4: smime= path \"x\" is not absolute");
	ck_assert_diag(&d, 3, "s.list:4: unknown subscriber option \"tls=yes\" "
		       "(expected openpgp=FINGERPRINT, smime=PATH or admin)");
}
END_TEST

START_TEST(error_nul_byte)
{
	static const char text[] = MIN "list_id a\0b\nsubscriber a@example.org openpgp=" FPR_B "\n";

	ck_assert_uint_eq(pw_list_parse(&ls, "nul.list", text, sizeof(text) - 1, &d), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "nul.list:4: control character 0x00 in column 10");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(error_too_many_words)
{
	size_t cap = 300 * 24 + 256, used;
	char *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	used = (size_t)snprintf(text, cap, MIN "posters listed\nposter");
	for (int i = 0; i < 256; i++)				/* 257 words in all */
		used += (size_t)snprintf(text + used, cap - used, " p%d@example.org", i);
	used += (size_t)snprintf(text + used, cap - used, "\nposter z@example.org\n");
	ck_assert_uint_eq(pw_list_parse(&ls, "w.list", text, used, &d), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "w.list:5: more than 256 words on one line");
	/* 256 words is fine */
	pw_diags_free(&d);
	used = (size_t)snprintf(text, cap, MIN "posters listed\nposter");
	for (int i = 0; i < 255; i++)
		used += (size_t)snprintf(text + used, cap - used, " p%d@example.org", i);
	ck_assert_uint_eq(pw_list_parse(&ls, "w.list", text, used, &d), 0);
	ck_assert_uint_eq(ls.v[0].n_posters, 255);
	free(text);
}
END_TEST

START_TEST(error_huge_line)
{
	/* a line of exactly 8192 bytes is accepted, 8193 is not, and 1 MB is one error */
	size_t big = 1 << 20, n;
	char *text = malloc(big + 256);
	const struct pw_list *l;

	ck_assert_ptr_nonnull(text);
	/* a comment, since a list_id phrase may not be that long */
	n = (size_t)snprintf(text, 256, MIN "# ");
	memset(text + n, 'x', 8192 - 2);
	n += 8192 - 2;
	text[n++] = '\r';				/* CR not counted */
	text[n++] = '\n';
	ck_assert_uint_eq(pw_list_parse(&ls, "h.list", text, n, &d), 0);
	ck_assert_ndiags(&d, 0);
	l = pw_lists_find(&ls, "l@lists.example");
	ck_assert_ptr_nonnull(l);
	pw_lists_free(&ls);

	n = (size_t)snprintf(text, 256, MIN "list_id ");
	memset(text + n, 'x', 8192 - 8 + 1);
	n += 8192 - 8 + 1;
	ck_assert_uint_eq(pw_list_parse(&ls, "h.list", text, n, &d), 1);
	ck_assert_diag(&d, 0, "h.list:4: line longer than 8192 bytes");
	pw_diags_free(&d);

	n = (size_t)snprintf(text, 256, MIN "subscriber ");
	memset(text + n, 'y', big);
	n += big;
	n += (size_t)snprintf(text + n, 256, "\nposter a@example.org\n");
	ck_assert_uint_eq(pw_list_parse(&ls, "h.list", text, n, &d), 2);
	ck_assert_diag(&d, 0, "h.list:4: line longer than 8192 bytes");
	ck_assert_str_eq(diag_text(&d, 1), "h.list:5: poster is only meaningful with \"posters "
			 "listed\" (this list has the default, \"posters subscribers\")");
	ck_assert_uint_eq(ls.n, 0);
	free(text);
}
END_TEST

/* the random generator for the garbage tests: xorshift, fixed seed, same bytes every run */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

START_TEST(garbage_bytes)
{
	char buf[4096];

	rnd_state = 2463534242u;
	for (int round = 0; round < 500; round++) {
		size_t n = rnd() % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)rnd();
		pw_list_parse(&ls, "g.list", buf, n, &d);
		ck_assert_msg(d.n > 0, "round %d: garbage accepted", round);
		ck_assert_uint_eq(ls.n, 0);
		pw_diags_free(&d);
	}
}
END_TEST

START_TEST(garbage_mutations)
{
	/* flip bytes of a good file: never a crash (ASan watches), and a list is added
	 * exactly when there is no diagnostic */
	char buf[sizeof(full_text)];

	rnd_state = 88675123u;
	for (int round = 0; round < 2000; round++) {
		size_t before = ls.n;
		memcpy(buf, full_text, sizeof(full_text) - 1);
		for (int k = 1 + (int)(rnd() % 4); k > 0; k--) {
			size_t at = rnd() % (sizeof(full_text) - 1);
			static const char pick[] = "@# \t\n\r\"<>.x0=/:\\\x01\x80\xff";
			buf[at] = rnd() % 2 ? (char)rnd() : pick[rnd() % (sizeof(pick) - 1)];
		}
		size_t errs = pw_list_parse(&ls, "m.list", buf, sizeof(full_text) - 1, &d);
		ck_assert_uint_eq(errs, d.n);
		ck_assert_uint_eq(ls.n, before + (errs == 0));
		pw_diags_free(&d);
		pw_lists_free(&ls);
	}
}
END_TEST

START_TEST(returns_only_new_errors)
{
	pw_diags_add(&d, "before", 7, "older problem");
	ck_assert_uint_eq(parse("n.list", MIN "bogus\n"), 1);
	ck_assert_ndiags(&d, 2);
	ck_assert_diag(&d, 0, "before:7: older problem");
	ck_assert_uint_eq(parse("n.list", MIN), 0);		/* old diagnostics don't count */
	ck_assert_uint_eq(ls.n, 1);
}
END_TEST

/* ---- several files, lookups --------------------------------------------------------- */

static const char team_text[] =
	"list Team@Lists.Example\nowner boss@example.org\nopenpgp_key " FPR_A "\n"
	"subscriber ann@example.org openpgp=" FPR_B "\n"
	"subscriber \"odd@name\"@example.org openpgp=" FPR_C "\n"
	"subscriber Bob@Example.NET smime=/bob.pem\n"
	"smime_cert /c.pem\nsmime_key /k.pem\n";
static const char news_text[] =
	"list news@lists.example\nowner editor@example.org\nopenpgp_key " FPR_C "\n"
	"posters listed\nposter editor@example.org\n"
	"subscriber reader@example.org openpgp=" FPR_A "\n";
static const char open_text[] =
	"list open@lists.example\nowner o@example.org\nopenpgp_key " FPR_B "\n"
	"posters anyone\nrequire_signature no\n"
	"subscriber member@example.org openpgp=" FPR_A "\n";

/* three_lists - team (posters subscribers), news (listed) and open (anyone) */
static void three_lists(void)
{
	ck_assert_uint_eq(parse("/l/team", team_text), 0);
	ck_assert_uint_eq(parse("/l/news", news_text), 0);
	ck_assert_uint_eq(parse("/l/open", open_text), 0);
	ck_assert_ndiags(&d, 0);
	ck_assert_uint_eq(ls.n, 3);
}

START_TEST(several_files)
{
	three_lists();
	ck_assert_str_eq(ls.v[0].file, "/l/team");
	ck_assert_str_eq(ls.v[1].file, "/l/news");
	ck_assert_str_eq(ls.v[2].file, "/l/open");
	ck_assert_ptr_eq(pw_lists_find(&ls, "Team@lists.example"), &ls.v[0]);
	ck_assert_ptr_eq(pw_lists_find(&ls, "news@lists.example"), &ls.v[1]);
	ck_assert_ptr_eq(pw_lists_find(&ls, "open@lists.example"), &ls.v[2]);
	/* a broken file in between adds nothing and leaves the others alone */
	ck_assert_uint_eq(parse("/l/broken", "list broken@lists.example\n"), 2);
	ck_assert_uint_eq(ls.n, 3);
	ck_assert_ptr_null(pw_lists_find(&ls, "broken@lists.example"));
	ck_assert_ptr_eq(pw_lists_find(&ls, "open@lists.example"), &ls.v[2]);
}
END_TEST

static const struct {
	const char *query;
	int list;		/* index into ls.v, -1 = none */
} find_cases[] = {
	{ "Team@Lists.Example", 0 },
	{ "team@lists.example", 0 },
	{ "TEAM@LISTS.EXAMPLE", 0 },
	{ "<team@lists.example>", 0 },
	{ " <team@lists.example> ", 0 },
	{ "team@lists.example.", 0 },
	{ "<team@lists.example.>", 0 },
	{ "<@relay.example,@mx.example:team@lists.example>", 0 },
	{ "news@lists.example", 1 },
	{ "<NEWS@lists.example>", 1 },
	{ "open@Lists.example", 2 },
	{ "team@lists.example.org", -1 },
	{ "team@example", -1 },
	{ "tea@lists.example", -1 },
	{ "teams@lists.example", -1 },
	{ "team", -1 },
	{ "lists.example", -1 },
	{ "", -1 },
	{ "<>", -1 },
	{ "   ", -1 },
	{ "<@relay.example>", -1 },
	{ "team@lists.example\xff", -1 },
};

START_TEST(find_list)
{
	const struct pw_list *want;

	three_lists();
	want = find_cases[_i].list < 0 ? NULL : &ls.v[find_cases[_i].list];
	ck_assert_msg(pw_lists_find(&ls, find_cases[_i].query) == want, "\"%s\"",
		      find_cases[_i].query);
}
END_TEST

START_TEST(find_null_and_empty)
{
	struct pw_lists empty = { 0 };

	ck_assert_ptr_null(pw_lists_find(&empty, "team@lists.example"));
	ck_assert_ptr_null(pw_lists_find(NULL, "team@lists.example"));
	three_lists();
	ck_assert_ptr_null(pw_lists_find(&ls, NULL));
	ck_assert_ptr_null(pw_list_find_sub(NULL, "ann@example.org"));
	ck_assert_ptr_null(pw_list_find_sub(&ls.v[0], NULL));
	ck_assert(!pw_list_may_post(NULL, "ann@example.org"));
}
END_TEST

START_TEST(find_subscriber)
{
	const struct pw_list *team;
	const struct pw_list_sub *s;

	three_lists();
	team = pw_lists_find(&ls, "team@lists.example");
	ck_assert_ptr_nonnull(team);
	s = pw_list_find_sub(team, "ann@example.org");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->addr, "ann@example.org");
	ck_assert_str_eq(s->fpr, FPR_B_UP);
	ck_assert_uint_eq(s->line, 4);
	ck_assert_ptr_eq(pw_list_find_sub(team, "<ANN@example.ORG>"), s);
	ck_assert_ptr_eq(pw_list_find_sub(team, "ann@example.org."), s);
	s = pw_list_find_sub(team, "\"odd@name\"@example.org");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->fpr, FPR_C);
	s = pw_list_find_sub(team, "bob@example.net");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->addr, "Bob@example.net");
	ck_assert_str_eq(s->smime_cert, "/bob.pem");
	ck_assert_str_eq(s->fpr, "");
	ck_assert_ptr_null(pw_list_find_sub(team, "odd@name@example.org"));
	ck_assert_ptr_null(pw_list_find_sub(team, "reader@example.org"));	/* other list */
	ck_assert_ptr_null(pw_list_find_sub(team, "boss@example.org"));	/* the owner */
	ck_assert_ptr_null(pw_list_find_sub(team, "<>"));
	ck_assert_ptr_nonnull(pw_list_find_sub(&ls.v[1], "reader@example.org"));
}
END_TEST

static const struct {
	int list;
	const char *sender;
	bool may;
} post_cases[] = {
	/* team: posters subscribers */
	{ 0, "ann@example.org", true },
	{ 0, "<Ann@Example.org>", true },
	{ 0, "bob@example.net", true },
	{ 0, "\"odd@name\"@example.org", true },
	{ 0, "boss@example.org", false },		/* the owner is not a subscriber */
	{ 0, "reader@example.org", false },
	{ 0, "", false },
	{ 0, "<>", false },
	/* news: posters listed */
	{ 1, "editor@example.org", true },		/* listed, not subscribed */
	{ 1, "<EDITOR@example.org>", true },
	{ 1, "reader@example.org", false },		/* subscribed, not listed */
	{ 1, "ann@example.org", false },
	{ 1, "<>", false },
	/* open: posters anyone */
	{ 2, "member@example.org", true },
	{ 2, "stranger@elsewhere.example", true },
	{ 2, "<x@y.example>", true },
	{ 2, "<>", false },				/* never the null sender */
	{ 2, "", false },
	{ 2, " ", false },
};

START_TEST(may_post)
{
	three_lists();
	ck_assert_msg(pw_list_may_post(&ls.v[post_cases[_i].list], post_cases[_i].sender) ==
		      post_cases[_i].may, "list %d, \"%s\": expected %s", post_cases[_i].list,
		      post_cases[_i].sender, post_cases[_i].may ? "yes" : "no");
}
END_TEST

START_TEST(may_post_null_sender)
{
	three_lists();
	for (size_t i = 0; i < ls.n; i++)
		ck_assert(!pw_list_may_post(&ls.v[i], NULL));
}
END_TEST

START_TEST(duplicate_list_across_files)
{
	ck_assert_uint_eq(parse("/l/a", "# first\n" MIN), 0);
	ck_assert_uint_eq(parse("/l/b", "\n\nlist L@LISTS.EXAMPLE.\nowner x@example.org\n"
				"openpgp_key " FPR_C "\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "/l/b:3: list \"L@lists.example\" is already defined at /l/a:2");
	ck_assert_uint_eq(ls.n, 1);
	ck_assert_str_eq(ls.v[0].owner, "o@example.org");		/* the first one stays */
	ck_assert_str_eq(pw_lists_find(&ls, "l@lists.example")->file, "/l/a");
	/* and a different list after it still goes in */
	ck_assert_uint_eq(parse("/l/c", "list m@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_C "\n"), 0);
	ck_assert_uint_eq(ls.n, 2);
}
END_TEST

START_TEST(many_lists)
{
	/* enough lists for the list index to grow many times; each still found */
	char text[256], addr[64];

	for (int i = 0; i < 3000; i++) {
		snprintf(text, sizeof(text), "list list%d@lists.example\nowner o@example.org\n"
			 "openpgp_key " FPR_A "\nsubscriber s%d@example.org openpgp=" FPR_B "\n",
			 i, i);
		ck_assert_uint_eq(parse("many", text), 0);
	}
	ck_assert_uint_eq(ls.n, 3000);
	for (int i = 0; i < 3000; i++) {
		const struct pw_list *l;
		snprintf(addr, sizeof(addr), "<LIST%d@lists.example>", i);
		l = pw_lists_find(&ls, addr);
		ck_assert_ptr_eq(l, &ls.v[i]);
		snprintf(addr, sizeof(addr), "s%d@example.org", i);
		ck_assert(pw_list_may_post(l, addr));
	}
	ck_assert_ptr_null(pw_lists_find(&ls, "list3000@lists.example"));
}
END_TEST

START_TEST(free_empties_and_is_reusable)
{
	three_lists();
	pw_lists_free(&ls);
	ck_assert_uint_eq(ls.n, 0);
	ck_assert_ptr_null(ls.v);
	ck_assert_ptr_null(pw_lists_find(&ls, "team@lists.example"));
	ck_assert_uint_eq(parse("again", news_text), 0);
	ck_assert_ptr_eq(pw_lists_find(&ls, "news@lists.example"), &ls.v[0]);
	pw_lists_free(&ls);
	pw_lists_free(&ls);				/* twice is harmless */
}
END_TEST

/* ---- big lists and limits ------------------------------------------------------------ */

/* subscriber_text - MIN followed by N subscriber lines "subscriber uI@dI%7.example ..." */
static char *subscriber_text(size_t n, size_t *len)
{
	size_t cap = strlen(MIN) + n * 96 + 1, used;
	char *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	used = (size_t)snprintf(text, cap, "%s", MIN);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used,
					 "subscriber u%zu@d%zu.example openpgp=" FPR_B "\n", i, i % 7);
	*len = used;
	return text;
}

START_TEST(hundred_thousand_subscribers)
{
	size_t len;
	char *text = subscriber_text(PW_LIST_MAX_SUBSCRIBERS, &len);
	const struct pw_list *l;
	char addr[64];

	ck_assert_uint_eq(pw_list_parse(&ls, "big.list", text, len, &d), 0);
	free(text);
	ck_assert_ndiags(&d, 0);
	l = pw_lists_find(&ls, "l@lists.example");
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->n_subs, PW_LIST_MAX_SUBSCRIBERS);
	for (size_t i = 0; i < PW_LIST_MAX_SUBSCRIBERS; i++) {
		const struct pw_list_sub *s;
		snprintf(addr, sizeof(addr), i % 2 ? "<U%zu@D%zu.EXAMPLE>" : "u%zu@d%zu.example",
			 i, i % 7);
		s = pw_list_find_sub(l, addr);
		if (s != &l->subs[i])
			ck_abort_msg("subscriber %zu (%s) not found", i, addr);
		if (s->line != i + 4)
			ck_abort_msg("subscriber %zu has line %u", i, s->line);
		/* the same local part in another domain is somebody else */
		snprintf(addr, sizeof(addr), "u%zu@d%zu.example", i, (i + 1) % 7);
		if (pw_list_find_sub(l, addr) != NULL || pw_list_may_post(l, addr))
			ck_abort_msg("%s found", addr);
	}
	ck_assert(pw_list_may_post(l, "u99999@d4.example"));
	ck_assert_ptr_null(pw_list_find_sub(l, "u100000@d5.example"));
}
END_TEST

START_TEST(too_many_subscribers)
{
	size_t len;
	char *text = subscriber_text(PW_LIST_MAX_SUBSCRIBERS + 3, &len);

	ck_assert_uint_eq(pw_list_parse(&ls, "big.list", text, len, &d), 1);
	free(text);
	ck_assert_ndiags(&d, 1);				/* said once, not three times */
	ck_assert_diag(&d, 0, "big.list:100004: more than 100000 subscribers "
		       "(the most a list may have)");
	ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(too_many_posters)
{
	size_t n = PW_LIST_MAX_POSTERS + 1, cap = strlen(MIN) + 32 + n * 24, used;
	char *text = malloc(cap);
	unsigned line = 5;

	ck_assert_ptr_nonnull(text);
	used = (size_t)snprintf(text, cap, MIN "posters listed\nposter");
	for (size_t i = 0; i < n; i++) {
		if (i % 200 == 199) {				/* 200 addresses a line */
			used += (size_t)snprintf(text + used, cap - used, "\nposter");
			line++;
		}
		used += (size_t)snprintf(text + used, cap - used, " p%zu@example.org", i);
	}
	ck_assert_uint_eq(pw_list_parse(&ls, "p.list", text, used, &d), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "p.list:505: more than 100000 posters (the most a list may have)");
	ck_assert_uint_eq(line, 505);
	ck_assert_uint_eq(ls.n, 0);
	/* one fewer is fine, and every poster is found */
	pw_diags_free(&d);
	ck_assert_uint_eq(pw_list_parse(&ls, "p.list", text, used - strlen(" p100000@example.org"),
					&d), 0);
	ck_assert_uint_eq(ls.v[0].n_posters, PW_LIST_MAX_POSTERS);
	ck_assert(pw_list_may_post(&ls.v[0], "<P0@EXAMPLE.ORG>"));
	ck_assert(pw_list_may_post(&ls.v[0], "p99999@example.org"));
	ck_assert(!pw_list_may_post(&ls.v[0], "p100000@example.org"));
	free(text);
}
END_TEST

START_TEST(cross_check_reports_are_bounded)
{
	/* 12 smime= subscribers and no smime_cert: ten named, the rest counted */
	size_t cap = 4096, used;
	char *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	used = (size_t)snprintf(text, cap, MIN);
	for (int i = 0; i < 12; i++)
		used += (size_t)snprintf(text + used, cap - used,
					 "subscriber s%d@example.org smime=/s%d.pem\n", i, i);
	ck_assert_uint_eq(pw_list_parse(&ls, "x.list", text, used, &d), 11);
	free(text);
	ck_assert_diag(&d, 0, "x.list:4: subscriber \"s0@example.org\" has smime= but the list "
		       "has no smime_cert");
	ck_assert_diag(&d, 9, "x.list:13: subscriber \"s9@example.org\" has smime= but the list "
		       "has no smime_cert");
	ck_assert_diag(&d, 10, "x.list: 2 more subscribers have smime= but the list has no "
		       "smime_cert");
}
END_TEST

/* ---- contrib/example.list ------------------------------------------------------------ */

/* read_example - contrib/example.list from the first place it is found; NULL if none */
static char *read_example(size_t *len, char *tried, size_t triedlen)
{
	const char *top = getenv("top_srcdir");
	char paths[3][1024];
	size_t np = 0;

	tried[0] = '\0';
	if (top != NULL && *top != '\0')
		snprintf(paths[np++], sizeof(paths[0]), "%s/contrib/example.list", top);
	snprintf(paths[np++], sizeof(paths[0]), "contrib/example.list");
	snprintf(paths[np++], sizeof(paths[0]), "../contrib/example.list");
	for (size_t i = 0; i < np; i++) {
		FILE *f = fopen(paths[i], "rb");
		size_t used = strlen(tried);
		char *buf;
		long n;
		if (f == NULL) {
			snprintf(tried + used, triedlen - used, "%s%s (%s)", used ? ", " : "",
				 paths[i], strerror(errno));
			continue;
		}
		if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
		    (buf = malloc((size_t)n + 1)) == NULL) {
			fclose(f);
			snprintf(tried + used, triedlen - used, "%s%s (unreadable)", used ? ", " : "",
				 paths[i]);
			continue;
		}
		*len = fread(buf, 1, (size_t)n, f);
		fclose(f);
		buf[*len] = '\0';
		return buf;
	}
	return NULL;
}

START_TEST(example_file)
{
	char tried[8192];
	size_t len = 0;
	char *text = read_example(&len, tried, sizeof(tried));
	const struct pw_list *l;

	if (text == NULL)
		ck_abort_msg("cannot read contrib/example.list; run from the top of the source "
			     "tree or set top_srcdir; tried: %s", tried);
	ck_assert_uint_eq(pw_list_parse(&ls, "contrib/example.list", text, len, &d), 0);
	free(text);
	ck_assert_ndiags(&d, 0);
	l = pw_lists_find(&ls, "<Board@Lists.Example.ORG>");
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l->address, "board@lists.example.org");
	ck_assert_str_eq(l->owner, "board-owner@example.org");
	ck_assert_str_eq(l->bounce, "board-bounces@lists.example.org");
	ck_assert(l->bounce_set);
	ck_assert(pw_list_is_admin(l, "chair@example.org"));
	ck_assert(!pw_list_is_admin(l, "secretary@example.org"));
	ck_assert_str_eq(l->openpgp_fpr, FPR_A);
	ck_assert_str_eq(l->smime_cert, "/etc/postward/lists/board/list-cert.pem");
	ck_assert_str_eq(l->smime_key, "/etc/postward/lists/board/list-key.pem");
	ck_assert_int_eq(l->posters, PW_LIST_POSTERS_LISTED);
	ck_assert_uint_eq(l->n_posters, 3);
	ck_assert(l->require_signature);
	ck_assert(l->inherit_requiretls);
	ck_assert_str_eq(l->list_id_phrase, "Board of Directors");
	ck_assert_uint_eq(l->n_subs, 4);
	ck_assert(pw_list_may_post(l, "chair@example.org"));
	ck_assert(pw_list_may_post(l, "treasurer@example.net"));
	ck_assert(!pw_list_may_post(l, "member@example.com"));		/* subscribed only */
	ck_assert_str_eq(pw_list_find_sub(l, "treasurer@example.net")->fpr, FPR_C);
	ck_assert_ptr_nonnull(pw_list_find_sub(l, "member@example.com")->smime_cert);
	ck_assert_ptr_null(pw_list_find_sub(l, "former@example.com"));	/* commented out */
}
END_TEST

/* ---- issue 12: role addresses, VERP, admins, new settings, the managed file ---------- */

/* eq_ci - A and B equal, ASCII case ignored */
static bool eq_ci(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a | 0x20) != (*b | 0x20) && *a != *b)
			return false;
	return *a == *b;
}

/* parse_subs - a list file and its managed subscriber file "t.subscribers" */
static size_t parse_subs(const char *text, const char *subs)
{
	return pw_list_parse_with_subs(&ls, "t.list", text, strlen(text), "t.subscribers", subs,
				       strlen(subs), &d);
}

START_TEST(roles_default)
{
	static const char *const want[PW_LIST_N_ROLES] = {
		"l@lists.example", "l-request@lists.example", "l-owner@lists.example",
		"l-sendkey@lists.example", "l-bounces@lists.example" };
	static const char *const names[PW_LIST_N_ROLES] = {
		"post", "request", "owner", "sendkey", "bounces" };
	const struct pw_list *l;

	ck_assert_uint_eq(parse("t.list", MIN), 0);
	l = &ls.v[0];
	ck_assert(!l->bounce_set);
	ck_assert_ptr_null(l->role_addr[PW_ROLE_POST]);
	for (int r = 0; r < PW_LIST_N_ROLES; r++) {
		enum pw_list_role got = PW_ROLE_POST;
		char up[80], *a = pw_list_role_address(l, (enum pw_list_role)r), *verp = (char *)1;
		ck_assert_str_eq(pw_list_role_name((enum pw_list_role)r), names[r]);
		ck_assert_str_eq(a, want[r]);
		free(a);
		snprintf(up, sizeof(up), " <%s.> ", want[r]);
		for (char *c = up; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		ck_assert_ptr_eq(pw_lists_find_role(&ls, up, &got, &verp), l);
		ck_assert_int_eq(got, r);
		ck_assert_ptr_null(verp);
		/* pw_lists_find: the list address only */
		ck_assert_ptr_eq(pw_lists_find(&ls, want[r]), r == PW_ROLE_POST ? l : NULL);
	}
	ck_assert_str_eq(pw_list_role_name((enum pw_list_role)7), "?");
	ck_assert_ptr_null(pw_list_role_address(l, (enum pw_list_role)7));
	ck_assert_ptr_null(pw_lists_find_role(&ls, "l-nothing@lists.example", NULL, NULL));
	ck_assert_ptr_null(pw_lists_find_role(&ls, "<>", NULL, NULL));
	ck_assert_ptr_null(pw_lists_find_role(NULL, "l@lists.example", NULL, NULL));
	ck_assert_ptr_eq(pw_lists_find_role(&ls, "l-owner@lists.example", NULL, NULL), l);
}
END_TEST

START_TEST(roles_configured)
{
	const struct pw_list *l;
	enum pw_list_role r;

	ck_assert_uint_eq(parse("t.list", MIN "role request -cmd\nrole owner off\n"
				"role sendkey .key\nrole bounces _b\n"), 0);
	l = &ls.v[0];
	ck_assert_str_eq(l->role_addr[PW_ROLE_REQUEST], "l-cmd@lists.example");
	ck_assert_ptr_null(l->role_addr[PW_ROLE_OWNER]);
	ck_assert_ptr_null(pw_list_role_address(l, PW_ROLE_OWNER));
	ck_assert_str_eq(l->role_addr[PW_ROLE_SENDKEY], "l.key@lists.example");
	ck_assert_str_eq(l->role_addr[PW_ROLE_BOUNCES], "l_b@lists.example");
	ck_assert_uint_eq(l->role_line[PW_ROLE_REQUEST], 4);
	ck_assert_uint_eq(l->role_line[PW_ROLE_OWNER], 5);
	ck_assert_ptr_null(pw_lists_find_role(&ls, "l-owner@lists.example", &r, NULL));
	ck_assert_ptr_null(pw_lists_find_role(&ls, "l-request@lists.example", &r, NULL));
	ck_assert_ptr_eq(pw_lists_find_role(&ls, "l-cmd@lists.example", &r, NULL), l);
	ck_assert_int_eq(r, PW_ROLE_REQUEST);
	/* with the owner role off, the owner may be that address */
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", "list l@lists.example\nowner l-owner@lists.example\n"
				"openpgp_key " FPR_A "\nrole owner off\n"), 0);
	/* bounce: given, used as it is; bounce_set says so */
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN "bounce l-bounces@lists.example\n"), 0);
	ck_assert(ls.v[0].bounce_set);
	ck_assert_str_eq(ls.v[0].bounce, "l-bounces@lists.example");
}
END_TEST

START_TEST(roles_long_local_part)
{
	/* a 60-octet local part: "-request" makes 68, too long; with the role off it loads */
	char text[400], local[61];

	memset(local, 'a', 60);
	local[60] = '\0';
	snprintf(text, sizeof(text), "list %s@lists.example\nowner o@example.org\n"
		 "openpgp_key " FPR_A "\nrole owner -o\nrole sendkey -k\nrole bounces -b\n", local);
	ck_assert_uint_eq(parse("t.list", text), 1);
	ck_assert_diag(&d, 0, "t.list:1: the request address would have a local part of 68 "
		       "octets; at most 64 (choose a shorter suffix, or \"role request off\")");
	pw_diags_free(&d);
	strcat(text, "role request off\n");
	ck_assert_uint_eq(parse("t.list", text), 0);
	/* a local part that fills 64 octets: no room for a VERP tag */
	ck_assert_ptr_null(pw_list_verp(&ls.v[0], "x@y.example"));
}
END_TEST

START_TEST(role_collisions_across_lists)
{
	/* a list whose address is another list's role address, both ways */
	ck_assert_uint_eq(parse("/l/a", MIN), 0);
	ck_assert_uint_eq(parse("/l/b", "list l-request@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\n"), 1);
	ck_assert_ndiags(&d, 1);
	ck_assert_diag(&d, 0, "/l/b:1: list \"l-request@lists.example\" is already the request "
		       "address of the list \"l@lists.example\" (/l/a:1)");
	ck_assert_uint_eq(ls.n, 1);
	pw_diags_free(&d);
	ck_assert_uint_eq(parse("/l/c", "list m@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\nrole sendkey -x\n"), 0);
	ck_assert_uint_eq(parse("/l/d", "list m-x-owner@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\n"), 0);
	ck_assert_uint_eq(parse("/l/e", "\nlist m-x@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\n"), 2);
	ck_assert_ndiags(&d, 2);
	ck_assert_diag(&d, 0, "/l/e:2: list \"m-x@lists.example\" is already the sendkey "
		       "address of the list \"m@lists.example\" (/l/c:4)");
	ck_assert_diag(&d, 1, "/l/e:2: the owner address \"m-x-owner@lists.example\" is "
		       "already the list \"m-x-owner@lists.example\" (/l/d:1)");
	ck_assert_uint_eq(ls.n, 3);		/* /l/e added nothing, its addresses neither */
	ck_assert_ptr_null(pw_lists_find_role(&ls, "m-x-request@lists.example", NULL, NULL));
	ck_assert_ptr_eq(pw_lists_find_role(&ls, "m-x@lists.example", NULL, NULL),
			 pw_lists_find(&ls, "m@lists.example"));		/* m's sendkey */
	pw_diags_free(&d);
	/* role against role: a-q-owner is a's request address and a-q's owner address */
	ck_assert_uint_eq(parse("/l/g", "list a@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\nrole request -q-owner\n"), 0);
	ck_assert_uint_eq(parse("/l/h", "list a-q@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\n"), 1);
	ck_assert_diag(&d, 0, "/l/h:1: the owner address \"a-q-owner@lists.example\" is "
		       "already the request address of the list \"a@lists.example\" (/l/g:4)");
	ck_assert_uint_eq(ls.n, 4);
}
END_TEST

START_TEST(verp_round_trip)
{
	static const char *const subs[] = {
		"alice@Example.NET", "a.b+tag@example.net", "x=y@sub.example.org",
		"o'hara@example.com", "<bob@example.org>",
	};
	static const char *const decoded[] = {
		"alice@example.net", "a.b+tag@example.net", "x=y@sub.example.org",
		"o'hara@example.com", "bob@example.org",
	};
	const struct pw_list *l;

	ck_assert_uint_eq(parse("t.list", MIN), 0);
	l = &ls.v[0];
	for (size_t i = 0; i < NELEM(subs); i++) {
		enum pw_list_role r = PW_ROLE_POST;
		char *v = pw_list_verp(l, subs[i]), *got = NULL;
		ck_assert_ptr_nonnull(v);
		ck_assert_ptr_eq(pw_lists_find_role(&ls, v, &r, &got), l);
		ck_assert_int_eq(r, PW_ROLE_BOUNCES);
		ck_assert_str_eq(got, decoded[i]);
		free(got);
		free(v);
	}
	{
		char *v = pw_list_verp(l, "alice@Example.NET");
		ck_assert_str_eq(v, "l-bounces+alice=example.net@lists.example");
		free(v);
	}
}
END_TEST

START_TEST(verp_odd_inputs)
{
	/* a tag that does not decode still finds the list as its bounces address */
	static const char *const malformed[] = {
		"l-bounces+@lists.example", "l-bounces+alice@lists.example",
		"l-bounces+=example.net@lists.example", "l-bounces+alice=@lists.example",
		"l-bounces+al(ice=example.net@lists.example", "l-bounces+alice=example..net@lists.example",
		"l-bounces+alice=exa@mple@lists.example", "l-bounces++=@lists.example",
		"l-bounces+alice==@lists.example",
	};
	static const char *const nothing[] = {
		"l-request+alice=example.net@lists.example", "x+l-bounces@lists.example",
		"l-bounces@lists.example+a=b", "l-bounces+alice=example.net@other.example",
		"l+bounces@lists.example", "l-bounces+alice=example.net", "+@lists.example",
		"@", "",
	};
	const struct pw_list *l;
	enum pw_list_role r;
	char *got;

	ck_assert_uint_eq(parse("t.list", MIN), 0);
	l = &ls.v[0];
	for (size_t i = 0; i < NELEM(malformed); i++) {
		got = (char *)1;
		r = PW_ROLE_POST;
		ck_assert_msg(pw_lists_find_role(&ls, malformed[i], &r, &got) == l, "%s",
			      malformed[i]);
		ck_assert_int_eq(r, PW_ROLE_BOUNCES);
		ck_assert_msg(got == NULL, "%s decoded to %s", malformed[i], got);
	}
	for (size_t i = 0; i < NELEM(nothing); i++) {
		got = (char *)1;
		ck_assert_msg(pw_lists_find_role(&ls, nothing[i], &r, &got) == NULL, "%s",
			      nothing[i]);
		ck_assert_ptr_null(got);
	}
	/* the last '=' splits: a=b=example.net is a=b@example.net; upper case, brackets */
	ck_assert_ptr_eq(pw_lists_find_role(&ls, "<L-BOUNCES+a=b=Example.NET@LISTS.example.>",
					    &r, &got), l);
	ck_assert_str_eq(got, "a=b@example.net");
	free(got);
	/* VERP NULL: found, nothing decoded */
	ck_assert_ptr_eq(pw_lists_find_role(&ls, "l-bounces+a=example.net@lists.example", NULL,
					    NULL), l);
	/* subscribers that cannot be a tag */
	ck_assert_ptr_null(pw_list_verp(l, "\"a b\"@example.net"));
	ck_assert_ptr_null(pw_list_verp(l, "a@b@example.net"));
	ck_assert_ptr_null(pw_list_verp(l, "@example.net"));
	ck_assert_ptr_null(pw_list_verp(l, "alice@"));
	ck_assert_ptr_null(pw_list_verp(l, "alice"));
	ck_assert_ptr_null(pw_list_verp(l, "alice@ex=ample.net"));
	ck_assert_ptr_null(pw_list_verp(l, "<>"));
	ck_assert_ptr_null(pw_list_verp(l, NULL));
	ck_assert_ptr_null(pw_list_verp(NULL, "a@b.example"));
	/* exactly 64 octets of local part is fine, 65 is not:
	 * "l-bounces+" (10) + local + "=" + "example.net" (11) */
	{
		char sub[80], *v;
		memset(sub, 'a', 42);
		strcpy(sub + 42, "@example.net");
		v = pw_list_verp(l, sub);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq((size_t)(strchr(v, '@') - v), 64);
		free(v);
		memset(sub, 'a', 43);
		strcpy(sub + 43, "@example.net");
		ck_assert_ptr_null(pw_list_verp(l, sub));
	}
}
END_TEST

START_TEST(verp_plus_in_list_and_bounces_off)
{
	enum pw_list_role r;
	char *v, *got;

	ck_assert_uint_eq(parse("t.list", "list my+list@lists.example\nowner o@example.org\n"
				"openpgp_key " FPR_A "\n"), 0);
	v = pw_list_verp(&ls.v[0], "a+b@example.net");
	ck_assert_str_eq(v, "my+list-bounces+a+b=example.net@lists.example");
	ck_assert_ptr_eq(pw_lists_find_role(&ls, v, &r, &got), &ls.v[0]);
	ck_assert_int_eq(r, PW_ROLE_BOUNCES);
	ck_assert_str_eq(got, "a+b@example.net");
	free(got);
	free(v);
	/* a plus tag on the list address itself is not a role */
	ck_assert_ptr_null(pw_lists_find_role(&ls, "my+list+x=y.z@lists.example", &r, NULL));
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN "role bounces off\n"), 0);
	ck_assert_ptr_null(pw_list_verp(&ls.v[0], "a@example.net"));
	ck_assert_ptr_null(pw_lists_find_role(&ls, "l-bounces+a=example.net@lists.example",
					      &r, NULL));
}
END_TEST

START_TEST(envelope_sender)
{
	static const struct {
		const char *extra, *sub, *want;
	} cases[] = {
		{ "", "alice@Example.NET", "l-bounces+alice=example.net@lists.example" },
		{ "", "\"a b\"@example.net", "l-bounces@lists.example" },	/* no tag possible */
		{ "", NULL, "l-bounces@lists.example" },
		{ "role bounces -b\n", "bob@example.org", "l-b+bob=example.org@lists.example" },
		{ "role bounces off\n", "bob@example.org", "o@example.org" },	/* the owner */
		{ "bounce fixed@example.org\n", "bob@example.org", "fixed@example.org" },
		{ "bounce l-bounces@lists.example\n", "bob@example.org", "l-bounces@lists.example" },
	};
	char text[300];

	for (size_t i = 0; i < NELEM(cases); i++) {
		char *got;
		snprintf(text, sizeof(text), "%s%s", MIN, cases[i].extra);
		ck_assert_uint_eq(parse("t.list", text), 0);
		got = pw_list_envelope_sender(&ls.v[0], cases[i].sub);
		ck_assert_str_eq(got, cases[i].want);
		free(got);
		pw_lists_free(&ls);
	}
}
END_TEST

START_TEST(settings_defaults_and_values)
{
	const struct pw_list *l;

	ck_assert_uint_eq(parse("t.list", MIN), 0);
	l = &ls.v[0];
	ck_assert_uint_eq(l->n_dkim_keys, 0);
	ck_assert_int_eq(l->from_rewrite, PW_LIST_FROM_AUTO);
	ck_assert_ptr_null(l->subject_prefix);
	ck_assert_int_eq(l->plain_posts, PW_LIST_PLAIN_NO);
	ck_assert_uint_eq(l->bounce_threshold, 5);
	ck_assert_int_eq(l->roster, PW_LIST_ROSTER_NONE);
	ck_assert(l->roster_show_addresses);
	ck_assert_ptr_null(l->roster_file);
	ck_assert_int_eq(l->roster_incomplete, PW_LIST_ROSTER_REWRAP);
	ck_assert_uint_eq(l->key_refresh, 0);
	ck_assert(!l->key_refresh_set);
	ck_assert(!l->keywords_admin_only_set);
	ck_assert(!l->keywords_admin_notify_set);
	ck_assert_uint_eq(l->command_window, 3600);
	ck_assert_ptr_null(l->managed_file);
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN
				"dkim_key ed2026 /etc/postward/dkim/ed.pem\n"		/* 4 */
				"dkim_key Rsa-2026.a /etc/postward/dkim/rsa.pem\n"	/* 5 */
				"from_rewrite always\n"
				"subject_prefix  [Board]   \xc3\xa9t\xc3\xa9\n"
				"plain_posts subscribers\n"
				"bounce_threshold 1000\n"
				"roster publish\n"
				"roster_addresses hide\n"
				"roster_file /var/www/board.roster\n"
				"roster_incomplete refuse\n"
				"key_refresh vks,wkd\n"
				"command_window 60\n"
				"keywords_admin_only X-Subscribe delete-key FETCH-KEY\n"
				"keywords_admin_notify none\n"), 0);
	ck_assert_ndiags(&d, 0);
	l = &ls.v[0];
	ck_assert_uint_eq(l->n_dkim_keys, 2);
	ck_assert_str_eq(l->dkim_keys[0].selector, "ed2026");
	ck_assert_str_eq(l->dkim_keys[0].path, "/etc/postward/dkim/ed.pem");
	ck_assert_uint_eq(l->dkim_keys[0].line, 4);
	ck_assert_str_eq(l->dkim_keys[1].selector, "Rsa-2026.a");
	ck_assert_uint_eq(l->dkim_keys[1].line, 5);
	ck_assert_int_eq(l->from_rewrite, PW_LIST_FROM_ALWAYS);
	ck_assert_str_eq(l->subject_prefix, "[Board] \xc3\xa9t\xc3\xa9");
	ck_assert_int_eq(l->plain_posts, PW_LIST_PLAIN_SUBSCRIBERS);
	ck_assert_uint_eq(l->bounce_threshold, 1000);
	ck_assert_int_eq(l->roster, PW_LIST_ROSTER_PUBLISH);
	ck_assert(!l->roster_show_addresses);
	ck_assert_str_eq(l->roster_file, "/var/www/board.roster");
	ck_assert_int_eq(l->roster_incomplete, PW_LIST_ROSTER_REFUSE);
	ck_assert_uint_eq(l->key_refresh, PW_LIST_KEY_REFRESH_WKD | PW_LIST_KEY_REFRESH_VKS |
			  PW_LIST_KEY_REFRESH_VKS_FIRST);
	ck_assert(l->key_refresh_set);
	ck_assert_uint_eq(l->command_window, 60);
	ck_assert(l->keywords_admin_only_set);
	ck_assert_uint_eq(l->keywords_admin_only, LISTCMD_BIT(LISTCMD_SUBSCRIBE) |
			  LISTCMD_BIT(LISTCMD_DELETE_KEY) | LISTCMD_BIT(LISTCMD_FETCH_KEY));
	ck_assert(l->keywords_admin_notify_set);
	ck_assert_uint_eq(l->keywords_admin_notify, 0);
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN "from_rewrite never\nplain_posts anyone\n"
				"key_refresh wkd\ncommand_window 604800\nbounce_threshold 1\n"
				"roster none\nroster_addresses show\n"), 0);
	l = &ls.v[0];
	ck_assert_int_eq(l->from_rewrite, PW_LIST_FROM_NEVER);
	ck_assert_int_eq(l->plain_posts, PW_LIST_PLAIN_ANYONE);
	ck_assert_uint_eq(l->key_refresh, PW_LIST_KEY_REFRESH_WKD);
	ck_assert(l->key_refresh_set);
	ck_assert_uint_eq(l->command_window, 604800);
	ck_assert_uint_eq(l->bounce_threshold, 1);
	/* roster_addresses without "roster publish": a warning, the list is used */
	ck_assert_ndiags(&d, 1);
	ck_assert(d.v[0].warning);
	ck_assert_diag(&d, 0, "t.list:10: warning: roster_addresses has no effect without "
		       "\"roster publish\"");
	ck_assert_uint_eq(pw_diags_errors(&d), 0);
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN "key_refresh off\nplain_posts no\n"), 0);
	ck_assert_uint_eq(ls.v[0].key_refresh, 0);
	ck_assert(ls.v[0].key_refresh_set);		/* off here: the daemon's sources unused */
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse("t.list", MIN "keywords_admin_only none\n"
				"keywords_admin_notify subscribe unsubscribe\n"), 0);
	ck_assert(ls.v[0].keywords_admin_only_set);
	ck_assert_uint_eq(ls.v[0].keywords_admin_only, 0);
	ck_assert_uint_eq(ls.v[0].keywords_admin_notify, LISTCMD_BIT(LISTCMD_SUBSCRIBE) |
			  LISTCMD_BIT(LISTCMD_UNSUBSCRIBE));
}
END_TEST

START_TEST(admin_subscribers)
{
	const struct pw_list *l;

	ck_assert_uint_eq(parse("t.list", MIN "subscriber a@example.org admin openpgp=" FPR_B "\n"
				"subscriber b@example.org openpgp=" FPR_B "\n"), 0);
	l = &ls.v[0];
	ck_assert(l->subs[0].admin);
	ck_assert(!l->subs[1].admin);
	ck_assert(!l->subs[0].managed);
	ck_assert(pw_list_is_admin(l, "<A@Example.ORG>"));
	ck_assert(!pw_list_is_admin(l, "b@example.org"));
	ck_assert(!pw_list_is_admin(l, "c@example.org"));
	ck_assert(!pw_list_is_admin(NULL, "a@example.org"));
	ck_assert(!pw_list_is_admin(l, NULL));
}
END_TEST

#define MIN_BOTH "list l@lists.example\nowner o@example.org\nopenpgp_key " FPR_A "\n" \
	"smime_cert /etc/postward/l.crt\nsmime_key /etc/postward/l.key\n"

START_TEST(managed_merge)
{
	const struct pw_list *l;

	ck_assert_uint_eq(parse_subs(MIN "subscriber a@example.org openpgp=" FPR_B "\n",
				     "# managed by postward\n"
				     "subscriber b@example.org openpgp=" FPR_C " admin\n"
				     "\n"
				     "subscriber c@example.org openpgp=" FPR_B "\n"), 0);
	ck_assert_ndiags(&d, 0);
	l = &ls.v[0];
	ck_assert_str_eq(l->managed_file, "t.subscribers");
	ck_assert_uint_eq(l->n_subs, 3);
	ck_assert(!l->subs[0].managed);
	ck_assert(l->subs[1].managed && l->subs[1].admin && l->subs[1].line == 2);
	ck_assert_str_eq(l->subs[1].fpr, FPR_C);
	ck_assert(l->subs[2].managed && !l->subs[2].admin && l->subs[2].line == 4);
	ck_assert_ptr_eq(pw_list_find_sub(l, "C@example.org"), &l->subs[2]);
	ck_assert(pw_list_may_post(l, "b@example.org"));
	ck_assert(pw_list_is_admin(l, "b@example.org"));
	/* an empty managed file is fine too */
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse_subs(MIN, ""), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 0);
}
END_TEST

START_TEST(managed_in_both_is_a_warning)
{
	const struct pw_list *l;

	ck_assert_uint_eq(parse_subs(MIN "subscriber a@example.org openpgp=" FPR_B "\n",
				     "subscriber b@example.org openpgp=" FPR_C "\n"
				     "subscriber A@Example.org openpgp=" FPR_C " admin\n"), 0);
	ck_assert_ndiags(&d, 1);
	ck_assert(d.v[0].warning);
	ck_assert_uint_eq(pw_diags_errors(&d), 0);
	ck_assert_diag(&d, 0, "t.subscribers:2: warning: subscriber \"A@Example.org\" is also in "
		       "the list file (t.list:4); the list file's entry is used");
	ck_assert_uint_eq(ls.n, 1);
	l = &ls.v[0];
	ck_assert_uint_eq(l->n_subs, 2);
	ck_assert_ptr_eq(pw_list_find_sub(l, "a@example.org"), &l->subs[0]);
	ck_assert(!l->subs[0].managed);
	ck_assert_str_eq(l->subs[0].fpr, FPR_B_UP);		/* the list file's key */
	ck_assert(!pw_list_is_admin(l, "a@example.org"));
}
END_TEST

START_TEST(managed_errors)
{
	static const struct {
		const char *list, *subs, *want;
	} cases[] = {
		{ MIN, "subscriber b@example.org openpgp=" FPR_B "\nsubscriber B@example.org "
		  "openpgp=" FPR_C "\n", "t.subscribers:2: subscriber \"B@example.org\" is already "
		  "listed at line 1" },
		{ MIN, "owner x@example.org\n", "t.subscribers:1: only subscriber statements "
		  "belong in this file: postward writes it; \"owner\" goes in the list file t.list" },
		{ MIN_SMIME, "subscriber b@example.org openpgp=" FPR_B "\n", "t.subscribers:1: "
		  "subscriber \"b@example.org\" has openpgp= but the list has no openpgp_key" },
		{ MIN, "subscriber b@example.org smime=/b.pem\n", "t.subscribers:1: subscriber "
		  "\"b@example.org\" has smime= but the list has no smime_cert" },
		{ MIN, "subscriber l@lists.example openpgp=" FPR_B "\n", "t.subscribers:1: the "
		  "list cannot be its own subscriber" },
		{ MIN, "subscriber l-owner@lists.example openpgp=" FPR_B "\n", "t.subscribers:1: "
		  "subscriber \"l-owner@lists.example\" is the list's own owner address" },
		{ MIN, "subscriber b@example.org openpgp=12\n", "t.subscribers:1: bad OpenPGP "
		  "fingerprint \"12\": expected 40 hex digits (a v4 fingerprint), got 2" },
		{ MIN, "\n\x01subscriber\n", "t.subscribers:2: control character 0x01 in column 1" },
		{ MIN, "subscriber b@example.org\n", "t.subscribers:1: subscriber \"b@example.org\" "
		  "needs a key: openpgp=FINGERPRINT, smime=PATH or both" },
		{ "list l@lists.example\nopenpgp_key " FPR_A "\n", "",
		  "t.list: missing owner statement (who gets problem reports)" },
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		ck_assert_uint_eq(parse_subs(cases[i].list, cases[i].subs), 1);
		ck_assert_ndiags(&d, 1);
		ck_assert_diag(&d, 0, cases[i].want);
		ck_assert_uint_eq(ls.n, 0);
		pw_diags_free(&d);
	}
}
END_TEST

START_TEST(managed_path)
{
	static const char *const in[] = {
		"/etc/postward/lists/board.list", "board.list", "a.b.list",
		"board.lst", ".list", "/etc/.list", "list", "",
	};
	static const char *const want[] = {
		"/etc/postward/lists/board.subscribers", "board.subscribers", "a.b.subscribers",
		NULL, NULL, NULL, NULL, NULL,
	};
	for (size_t i = 0; i < NELEM(in); i++) {
		char *p = pw_list_managed_path(in[i]);
		if (want[i] == NULL)
			ck_assert_msg(p == NULL, "%s -> %s", in[i], p);
		else
			ck_assert_str_eq(p, want[i]);
		free(p);
	}
	ck_assert_ptr_null(pw_list_managed_path(NULL));
}
END_TEST

START_TEST(managed_format_round_trip)
{
	static const struct pw_list_managed_sub v[] = {
		{ "alice@Example.NET", "89abcdef0123456789abcdef0123456789abcdef", NULL, true },
		{ "bob@example.org", NULL, "/etc/postward/bob.pem", false },
		{ "carol@example.com", FPR_C, "/c.pem", false },
		{ "dave+x@example.com", "", "/d.pem", true },
	};
	const struct pw_list *l;
	char why[200] = "", *text;
	size_t len;

	text = pw_list_format_managed(v, NELEM(v), &len, why, sizeof(why));
	ck_assert_msg(text != NULL, "%s", why);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(strncmp(text, "# managed by postward", 21) == 0);
	ck_assert_uint_eq(pw_list_parse_with_subs(&ls, "t.list", MIN_BOTH, strlen(MIN_BOTH),
						  "t.subscribers", text, len, &d), 0);
	ck_assert_ndiags(&d, 0);
	free(text);
	l = &ls.v[0];
	ck_assert_uint_eq(l->n_subs, NELEM(v));
	for (size_t i = 0; i < NELEM(v); i++) {
		char fpr[PW_LIST_FPR_LEN + 1] = "";
		for (size_t k = 0; v[i].fpr != NULL && v[i].fpr[k]; k++)
			fpr[k] = (char)(v[i].fpr[k] >= 'a' && v[i].fpr[k] <= 'f' ?
					v[i].fpr[k] - 32 : v[i].fpr[k]);
		ck_assert(l->subs[i].managed);
		ck_assert(eq_ci(l->subs[i].addr, v[i].addr));
		ck_assert_str_eq(l->subs[i].fpr, fpr);
		if (v[i].smime_cert == NULL)
			ck_assert_ptr_null(l->subs[i].smime_cert);
		else
			ck_assert_str_eq(l->subs[i].smime_cert, v[i].smime_cert);
		ck_assert_int_eq(l->subs[i].admin, v[i].admin);
	}
	/* none: the header alone, which parses to no subscriber */
	text = pw_list_format_managed(NULL, 0, &len, why, sizeof(why));
	ck_assert_ptr_nonnull(text);
	pw_lists_free(&ls);
	ck_assert_uint_eq(parse_subs(MIN, text), 0);
	ck_assert_uint_eq(ls.v[0].n_subs, 0);
	free(text);
}
END_TEST

START_TEST(managed_format_refuses)
{
	static const struct {
		struct pw_list_managed_sub e;
		const char *want;
	} cases[] = {
		{ { "bob", FPR_B, NULL, false }, "bad subscriber address \"bob\": no \"@\" (expected "
		  "local@domain)" },
		{ { NULL, FPR_B, NULL, false }, "a subscriber without an address" },
		{ { "b@example.org", NULL, NULL, false }, "subscriber \"b@example.org\" needs a key" },
		{ { "b@example.org", "", NULL, true }, "subscriber \"b@example.org\" needs a key" },
		{ { "b@example.org", "12", NULL, false }, "subscriber \"b@example.org\": bad OpenPGP "
		  "fingerprint \"12\": expected 40 hex digits (a v4 fingerprint), got 2" },
		{ { "b@example.org", NULL, "b.pem", false }, "subscriber \"b@example.org\": smime= "
		  "path \"b.pem\" is not an absolute path without blanks" },
		{ { "b@example.org", NULL, "/my certs/b.pem", false }, "subscriber \"b@example.org\": "
		  "smime= path \"/my certs/b.pem\" is not an absolute path without blanks" },
		{ { "\"a b\"@example.org", FPR_B, NULL, false }, "subscriber \"\"a b\"@example.org\": "
		  "blank, '#' or control character in the address" },
		{ { "#a@example.org", FPR_B, NULL, false }, "subscriber \"#a@example.org\": blank, '#' "
		  "or control character in the address" },
	};
	struct pw_list_managed_sub two[2] = {
		{ "a@example.org", FPR_B, NULL, false }, { "A@EXAMPLE.org", FPR_C, NULL, false } };
	char why[300];
	size_t len = 7;

	for (size_t i = 0; i < NELEM(cases); i++) {
		why[0] = '\0';
		ck_assert_ptr_null(pw_list_format_managed(&cases[i].e, 1, &len, why, sizeof(why)));
		ck_assert_str_eq(why, cases[i].want);
	}
	ck_assert_ptr_null(pw_list_format_managed(two, 2, &len, why, sizeof(why)));
	ck_assert_str_eq(why, "subscriber \"A@EXAMPLE.org\" is given twice");
	ck_assert_uint_eq(len, 7);			/* untouched on failure */
}
END_TEST

Suite *listfile_suite(void)
{
	Suite *s = suite_create("listfile");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, attest_values);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, smime_only_list);
	tcase_add_test(tc, statements_in_any_order);
	tcase_add_test(tc, crlf_and_no_final_newline);
	tcase_add_test(tc, comments_and_blanks);
	tcase_add_test(tc, respects_len);
	tcase_add_test(tc, file_name_is_copied);
	tcase_add_test(tc, posters_names);
	tcase_add_test(tc, example_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, address_good, 0, (int)NELEM(good_addrs));
	tcase_add_test(tc, address_lengths);
	tcase_add_loop_test(tc, address_bad, 0, (int)NELEM(bad_addrs));
	tcase_add_test(tc, address_bad_each_statement);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, error_case, 0, (int)NELEM(error_cases));
	tcase_add_test(tc, list_id_phrase_limit);
	tcase_add_test(tc, error_empty_file);
	tcase_add_test(tc, error_missing_each);
	tcase_add_test(tc, error_many_collected_in_order);
	tcase_add_test(tc, error_several_on_one_subscriber_line);
	tcase_add_test(tc, error_nul_byte);
	tcase_add_test(tc, error_too_many_words);
	tcase_add_test(tc, error_huge_line);
	tcase_add_test(tc, returns_only_new_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("garbage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, garbage_bytes);
	tcase_add_test(tc, garbage_mutations);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookups");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, several_files);
	tcase_add_loop_test(tc, find_list, 0, (int)NELEM(find_cases));
	tcase_add_test(tc, find_null_and_empty);
	tcase_add_test(tc, find_subscriber);
	tcase_add_loop_test(tc, may_post, 0, (int)NELEM(post_cases));
	tcase_add_test(tc, may_post_null_sender);
	tcase_add_test(tc, duplicate_list_across_files);
	tcase_add_test(tc, many_lists);
	tcase_add_test(tc, free_empties_and_is_reusable);
	suite_add_tcase(s, tc);

	tc = tcase_create("roles_settings_managed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, roles_default);
	tcase_add_test(tc, roles_configured);
	tcase_add_test(tc, roles_long_local_part);
	tcase_add_test(tc, role_collisions_across_lists);
	tcase_add_test(tc, verp_round_trip);
	tcase_add_test(tc, verp_odd_inputs);
	tcase_add_test(tc, verp_plus_in_list_and_bounces_off);
	tcase_add_test(tc, envelope_sender);
	tcase_add_test(tc, settings_defaults_and_values);
	tcase_add_test(tc, admin_subscribers);
	tcase_add_test(tc, managed_merge);
	tcase_add_test(tc, managed_in_both_is_a_warning);
	tcase_add_test(tc, managed_errors);
	tcase_add_test(tc, managed_path);
	tcase_add_test(tc, managed_format_round_trip);
	tcase_add_test(tc, managed_format_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);			/* sanitizer builds, slow machines */
	tcase_add_test(tc, hundred_thousand_subscribers);
	tcase_add_test(tc, too_many_subscribers);
	tcase_add_test(tc, too_many_posters);
	tcase_add_test(tc, cross_check_reports_are_bounded);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef CHECK_LISTFILE_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(listfile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
