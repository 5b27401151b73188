/*
 * tests/unit/check_listcmd.c - policy/listcmd.c (the commands of LIST-request: reading,
 * permissions, the reply) and milter/lists/listpost-text.c (the text and attachments of a
 * decrypted command message).  Contracts: policy/listcmd.h, milter/lists/listpost.h.
 *
 * A stand-alone Check program that also runs seen_suite() of check_seen.c (the seen-set of
 * signed commands, milter/lists/seen.c); exits non-zero on any failure.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/listcmd.h"
#include "policy/listfile.h"
#include "milter/lists/listpost.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

Suite *seen_suite(void);

#define LIST "board@lists.example.org"
#define REQ "board-request@lists.example.org"
#define HEAD "X-LIST-NAME: " LIST "\n"
#define FPR "0123456789ABCDEF0123456789ABCDEF01234567"
#define FPR2 "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define KEYBLOCK "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGabc\n=AbCd\n" \
	"-----END PGP PUBLIC KEY BLOCK-----\n"

static struct listcmd_req *req;

static void setup(void)
{
	req = malloc(sizeof(*req));
	ck_assert_ptr_nonnull(req);
}

static void teardown(void)
{
	free(req);
}

/* parse - TEXT (a C string) without attachments */
static void parse(const char *text)
{
	listcmd_parse(text, strlen(text), NULL, 0, req);
}

/* cmd - command I, which must be there */
static const struct listcmd *cmd(size_t i)
{
	ck_assert_msg(i < req->n, "command %zu of %zu", i, req->n);
	return &req->cmds[i];
}

#define ck_assert_good(c) ck_assert_msg(!(c)->bad, "bad: %s (%s)", (c)->why, (c)->echo)
#define ck_assert_bad(c, frag) do { \
	ck_assert_msg((c)->bad, "not bad: %s", (c)->echo); \
	ck_assert_msg(strstr((c)->why, (frag)) != NULL, "why \"%s\" lacks \"%s\"", \
		      (c)->why, (frag)); \
} while (0)

/* ---- every keyword ---------------------------------------------------------------------- */

START_TEST(every_keyword)
{
	parse(HEAD
	      "X-SUBSCRIBE: carol@Example.NET 0x" FPR " true false\n"
	      "X-UNSUBSCRIBE: dave@example.net\n"
	      "X-LIST-SUBSCRIPTIONS: example.net carol\n"
	      "X-SET-FINGERPRINT: carol@example.net " FPR2 "\n"
	      "X-UNSET-FINGERPRINT: carol@example.net force\n"
	      "X-SET-DELIVERY: carol@example.net false\n"
	      "X-ADD-KEY:\n" KEYBLOCK
	      "X-DELETE-KEY: " FPR "\n"
	      "X-GET-KEY: carol@example.net " FPR2 "\n"
	      "X-LIST-KEYS\n"
	      "X-FETCH-KEY: erin@example.com https://keys.example.com/erin.asc\n"
	      "X-GET-VERSION\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	ck_assert_uint_eq(req->n, 13);
	for (size_t i = 0; i < req->n; i++)
		ck_assert_good(cmd(i));
	ck_assert_str_eq(req->list_name, LIST);
	ck_assert_int_eq(cmd(0)->kw, LISTCMD_LIST_NAME);
	ck_assert_int_eq(cmd(1)->kw, LISTCMD_SUBSCRIBE);
	ck_assert_str_eq(cmd(1)->addr, "carol@example.net");
	ck_assert_str_eq(cmd(1)->fpr, FPR);
	ck_assert_int_eq(cmd(1)->admin, 1);
	ck_assert_int_eq(cmd(1)->delivery, 0);
	ck_assert_int_eq(cmd(2)->kw, LISTCMD_UNSUBSCRIBE);
	ck_assert_str_eq(cmd(2)->addr, "dave@example.net");
	ck_assert_int_eq(cmd(3)->kw, LISTCMD_LIST_SUBSCRIPTIONS);
	ck_assert_uint_eq(cmd(3)->nargs, 2);
	ck_assert_str_eq(cmd(3)->args[1], "carol");
	ck_assert_int_eq(cmd(4)->kw, LISTCMD_SET_FINGERPRINT);
	ck_assert_str_eq(cmd(4)->fpr, FPR2);
	ck_assert_int_eq(cmd(5)->kw, LISTCMD_UNSET_FINGERPRINT);
	ck_assert(cmd(5)->force);
	ck_assert_int_eq(cmd(6)->kw, LISTCMD_SET_DELIVERY);
	ck_assert_int_eq(cmd(6)->delivery, 0);
	ck_assert_int_eq(cmd(7)->kw, LISTCMD_ADD_KEY);
	ck_assert_uint_eq(cmd(7)->nkeys, 1);
	ck_assert_uint_eq(cmd(7)->keys[0].n, strlen(KEYBLOCK));
	ck_assert(memcmp(cmd(7)->keys[0].p, KEYBLOCK, strlen(KEYBLOCK)) == 0);
	ck_assert_str_eq(cmd(7)->echo, "X-ADD-KEY: [1 key block]");
	ck_assert_int_eq(cmd(8)->kw, LISTCMD_DELETE_KEY);
	ck_assert_str_eq(cmd(8)->args[0], FPR);
	ck_assert_int_eq(cmd(9)->kw, LISTCMD_GET_KEY);
	ck_assert_uint_eq(cmd(9)->nargs, 2);
	ck_assert_int_eq(cmd(10)->kw, LISTCMD_LIST_KEYS);
	ck_assert_uint_eq(cmd(10)->nargs, 0);
	ck_assert_int_eq(cmd(11)->kw, LISTCMD_FETCH_KEY);
	ck_assert_str_eq(cmd(11)->args[1], "https://keys.example.com/erin.asc");
	ck_assert_int_eq(cmd(12)->kw, LISTCMD_GET_VERSION);
	ck_assert_uint_eq(cmd(12)->line, 18);	/* the key block's lines counted */
	listcmd_check_list(req, LIST, REQ);
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
}
END_TEST

/* keyword names: with or without X-, any case; the table round-trips */
START_TEST(keyword_names)
{
	for (int k = LISTCMD_UNKNOWN + 1; k < LISTCMD_NKW; k++) {
		const char *name = listcmd_keyword_name((enum listcmd_kw)k);
		ck_assert_int_eq(listcmd_keyword(name, strlen(name)), k);
		ck_assert_int_eq(listcmd_keyword(name + 2, strlen(name) - 2), k);
	}
	ck_assert_int_eq(listcmd_keyword("sUbScRiBe", 9), LISTCMD_SUBSCRIBE);
	ck_assert_int_eq(listcmd_keyword("subscriber", 10), LISTCMD_UNKNOWN);
	ck_assert_int_eq(listcmd_keyword("X-", 2), LISTCMD_UNKNOWN);
	ck_assert_str_eq(listcmd_keyword_name(LISTCMD_UNKNOWN), "X-?");
	ck_assert_str_eq(listcmd_keyword_name(LISTCMD_NKW), "X-?");
}
END_TEST

/* ---- syntax ----------------------------------------------------------------------------- */

/* Schleuder's syntax: no colon, any case, separators, continuation lines, blank lines
 * between commands, CRLF, the first other line ends the commands */
START_TEST(syntax)
{
	parse("\r\n\r\n"
	      "x-list-name " LIST "\r\n"
	      "X-Delete-Key: 0x0123 4567 89ab cdef\r\n"
	      "  0123 4567 89ab cdef 0123 4567,0x" FPR2 ";\r\n"
	      "\r\n"
	      "X-LIST-KEYS\r\n"
	      "\r\n"
	      "Hello, this is the body.\r\n"
	      "X-GET-VERSION\r\n"
	      "bye\r\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	ck_assert_uint_eq(req->n, 3);
	ck_assert_good(cmd(1));
	ck_assert_uint_eq(cmd(1)->nargs, 2);
	ck_assert_str_eq(cmd(1)->args[0], FPR);
	ck_assert_str_eq(cmd(1)->args[1], FPR2);
	ck_assert_str_eq(cmd(1)->echo, "X-Delete-Key: 0x0123 4567 89ab cdef 0123 4567 89ab cdef "
			 "0123 4567,0x" FPR2 ";");
	ck_assert_uint_eq(cmd(1)->line, 4);
	ck_assert_int_eq(cmd(2)->kw, LISTCMD_LIST_KEYS);
	ck_assert_uint_eq(req->text_lines, 3);
}
END_TEST

/* a blank line ends a command's arguments: what follows that is no command ends them all */
START_TEST(blank_ends_arguments)
{
	parse(HEAD "X-LIST-SUBSCRIPTIONS: a\n\nb\nX-GET-VERSION\n");
	ck_assert_uint_eq(req->n, 2);
	ck_assert_uint_eq(cmd(1)->nargs, 1);
	ck_assert_uint_eq(req->text_lines, 2);
}
END_TEST

/* fingerprints: in groups, with 0x, lower case; a run that is no whole fingerprint */
START_TEST(fingerprints)
{
	parse(HEAD "X-SET-FINGERPRINT: 0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567\n"
	      "X-SET-FINGERPRINT: 0x0123\n"
	      "X-DELETE-KEY: " FPR " 0123\n"
	      "X-SUBSCRIBE: a@example.org " FPR "00\n"
	      "X-SET-FINGERPRINT: a@example.org\n"
	      "X-SET-FINGERPRINT: a@example.org " FPR " " FPR2 "\n");
	ck_assert_good(cmd(1));
	ck_assert_str_eq(cmd(1)->fpr, FPR);
	ck_assert_str_eq(cmd(1)->addr, "");
	ck_assert_bad(cmd(2), "40 hex digits, found 4");
	ck_assert_bad(cmd(3), "found 44");
	ck_assert_bad(cmd(4), "found 42");
	ck_assert_bad(cmd(5), "needs a fingerprint");
	ck_assert_bad(cmd(6), "more than 1 fingerprints");
}
END_TEST

/* the argument errors of each keyword */
START_TEST(argument_errors)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
		{ "X-SUBSCRIBE", "needs an argument" },
		{ "X-SUBSCRIBE: not-an-address", "is not an address" },
		{ "X-SUBSCRIBE: <a@example.org>", "angle brackets" },
		{ "X-SUBSCRIBE: a@example.org " FPR " maybe", "admin flag" },
		{ "X-SUBSCRIBE: a@example.org " FPR " true often", "delivery flag" },
		{ "X-SUBSCRIBE: a@example.org " FPR " true true x", "more was given" },
		{ "X-UNSUBSCRIBE: a@example.org b@example.org", "at most 1 argument" },
		{ "X-UNSUBSCRIBE: nobody", "is not an address" },
		{ "X-UNSET-FINGERPRINT", "needs an argument" },
		{ "X-UNSET-FINGERPRINT: a@example.org now", "ADDRESS [force]" },
		{ "X-SET-DELIVERY", "needs an argument" },
		{ "X-SET-DELIVERY: a@example.org sometimes", "true|false" },
		{ "X-SET-DELIVERY: a@example.org true false", "at most 2" },
		{ "X-ADD-KEY: please", "takes no arguments" },
		{ "X-DELETE-KEY", "needs an argument" },
		{ "X-DELETE-KEY: a@example.org", "is not a fingerprint" },
		{ "X-GET-KEY: someone", "not a fingerprint or an address" },
		{ "X-FETCH-KEY: http://keys.example.com/k.asc", "only https" },
		{ "X-FETCH-KEY: ftp://keys.example.com/k.asc", "only https" },
		{ "X-GET-VERSION: 4", "takes no arguments" },
		{ "X-LIST-KEYS: a b c d e f g h i", "more than 8 arguments" },
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		char text[600];
		snprintf(text, sizeof(text), HEAD "%s\n", cases[i].line);
		parse(text);
		ck_assert_msg(req->n == 2, "%s: %zu commands", cases[i].line, req->n);
		ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
		ck_assert_msg(cmd(1)->bad && strstr(cmd(1)->why, cases[i].why) != NULL,
			      "%s: bad=%d why=\"%s\", expected \"%s\"", cases[i].line,
			      cmd(1)->bad, cmd(1)->why, cases[i].why);
	}
}
END_TEST

/* ---- whole-message verdicts --------------------------------------------------------------- */

START_TEST(verdicts)
{
	parse("Hello\nX-LIST-NAME: " LIST "\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_EMPTY);
	parse("");
	ck_assert_int_eq(req->status, LISTCMD_REQ_EMPTY);
	parse(HEAD "X-SUBSCRIBE: a@example.org\nX-SUBSCRIPE: b@example.org\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_UNKNOWN);
	ck_assert_bad(cmd(2), "unknown keyword");
	ck_assert_ptr_nonnull(strstr(req->why, "line 3"));
	parse("X-LIST-KEYS\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_NO_LIST_NAME);
	parse(HEAD HEAD "X-LIST-KEYS\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_NO_LIST_NAME);
	ck_assert_bad(cmd(1), "given twice");
	parse("X-LIST-NAME: board\nX-LIST-KEYS\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_NO_LIST_NAME);
	parse("X-LIST-NAME: Board-Request@LISTS.example.org\nX-LIST-KEYS\n");
	listcmd_check_list(req, LIST, REQ);
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	parse("X-LIST-NAME: other@lists.example.org\nX-LIST-KEYS\n");
	listcmd_check_list(req, LIST, REQ);
	ck_assert_int_eq(req->status, LISTCMD_REQ_WRONG_LIST);
	ck_assert_ptr_nonnull(strstr(req->why, "other@lists.example.org"));
}
END_TEST

START_TEST(too_many_commands)
{
	char text[4096] = HEAD;

	for (int i = 1; i < LISTCMD_MAX; i++)
		strcat(text, "X-LIST-KEYS\n");
	parse(text);
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	ck_assert_uint_eq(req->n, LISTCMD_MAX);
	strcat(text, "X-GET-VERSION\n");
	parse(text);
	ck_assert_int_eq(req->status, LISTCMD_REQ_TOO_MANY);
}
END_TEST

/* ---- X-ADD-KEY ---------------------------------------------------------------------------- */

START_TEST(add_key_blocks)
{
	parse(HEAD "X-ADD-KEY\n\n" KEYBLOCK "\n" KEYBLOCK "X-LIST-KEYS\n");
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	ck_assert_uint_eq(req->n, 3);
	ck_assert_good(cmd(1));
	ck_assert_uint_eq(cmd(1)->nkeys, 2);
	ck_assert(!cmd(1)->keys_attached);
	ck_assert_str_eq(cmd(1)->echo, "X-ADD-KEY [2 key blocks]");
	ck_assert_uint_eq(cmd(2)->line, 15);
	/* a key block after another command is no key: it ends the commands */
	parse(HEAD "X-LIST-KEYS\n\n" KEYBLOCK);
	ck_assert_uint_eq(req->n, 2);
	ck_assert_uint_eq(req->text_lines, 5);
	parse(HEAD "X-ADD-KEY\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n");
	ck_assert_bad(cmd(1), "without its END line");
	parse(HEAD "X-ADD-KEY\n");
	ck_assert_bad(cmd(1), "no key");
}
END_TEST

START_TEST(add_key_limits)
{
	size_t big = LISTCMD_MAX_KEY + 100, off;
	char *text = malloc(big + 200);

	ck_assert_ptr_nonnull(text);
	off = (size_t)sprintf(text, HEAD "X-ADD-KEY\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
	while (off < big) {
		memcpy(text + off, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		       64);
		off += 64;
	}
	off += (size_t)sprintf(text + off, "-----END PGP PUBLIC KEY BLOCK-----\n");
	listcmd_parse(text, off, NULL, 0, req);
	ck_assert_bad(cmd(1), "key block longer than");
	free(text);

	char many[8192] = HEAD "X-ADD-KEY\n";
	for (int i = 0; i <= LISTCMD_MAX_KEYS; i++)
		strcat(many, KEYBLOCK);
	parse(many);
	ck_assert_bad(cmd(1), "more than 8 keys");
}
END_TEST

START_TEST(add_key_attachments)
{
	struct listcmd_att atts[3] = { { "key one", 7 }, { "", 0 }, { "key two", 7 } };
	const char *text = HEAD "X-ADD-KEY\nX-ADD-KEY\n" KEYBLOCK;

	listcmd_parse(text, strlen(text), atts, 3, req);
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	ck_assert_good(cmd(1));
	ck_assert(cmd(1)->keys_attached);
	ck_assert_uint_eq(cmd(1)->nkeys, 2);	/* the empty one skipped */
	ck_assert(cmd(1)->keys[1].p == atts[2].p);
	ck_assert_str_eq(cmd(1)->echo, "X-ADD-KEY [2 attached keys]");
	ck_assert_good(cmd(2));
	ck_assert_uint_eq(cmd(2)->nkeys, 1);
	ck_assert_uint_eq(req->atts_used, 3);
	/* attachments and no X-ADD-KEY: counted as not used */
	text = HEAD "X-LIST-KEYS\n";
	listcmd_parse(text, strlen(text), atts, 3, req);
	ck_assert_uint_eq(req->atts_used, 0);
	ck_assert_uint_eq(req->natts, 3);
	/* an attachment too large */
	atts[0].n = LISTCMD_MAX_KEY + 1;
	text = HEAD "X-ADD-KEY\n";
	listcmd_parse(text, strlen(text), atts, 1, req);
	ck_assert_bad(cmd(1), "attachment 1 is longer");
}
END_TEST

/* ---- limits ------------------------------------------------------------------------------- */

START_TEST(line_limits)
{
	char *text = malloc(LISTCMD_MAX_LINE + 300);
	size_t off;

	ck_assert_ptr_nonnull(text);
	off = (size_t)sprintf(text, HEAD "X-LIST-KEYS ");
	memset(text + off, 'a', LISTCMD_MAX_LINE);
	off += LISTCMD_MAX_LINE;
	off += (size_t)sprintf(text + off, "\nX-GET-VERSION\n");
	listcmd_parse(text, off, NULL, 0, req);
	ck_assert_uint_eq(req->n, 3);
	ck_assert_bad(cmd(1), "line longer than 1000");
	ck_assert_uint_eq(strlen(cmd(1)->echo), LISTCMD_ECHO_MAX);
	ck_assert_str_eq(cmd(1)->echo + LISTCMD_ECHO_MAX - 3, "...");
	ck_assert_good(cmd(2));
	free(text);

	char words[4096] = HEAD "X-LIST-KEYS";
	for (int i = 0; i < 70; i++)
		strcat(words, " w");
	parse(words);
	ck_assert_bad(cmd(1), "more than 64 words");
	/* control octets are echoed as '?', never kept in an address or a reason */
	parse(HEAD "X-LIST-KEYS a\001b\n");
	ck_assert_str_eq(cmd(1)->echo, "X-LIST-KEYS a?b");
	ck_assert_bad(cmd(1), "control character");
	parse(HEAD "X-UNSUBSCRIBE: a\001b@example.org\nX-GET-KEY: \033[31m\n");
	ck_assert_bad(cmd(1), "a control character in an address");
	ck_assert_bad(cmd(2), "\"?[31m\" is not a fingerprint");
}
END_TEST

/* text beyond LISTCMD_MAX_TEXT is not read, and TEXT is never read past LEN */
START_TEST(text_limit)
{
	size_t n = LISTCMD_MAX_TEXT + 64;
	char *text = malloc(n);

	ck_assert_ptr_nonnull(text);
	memset(text, '\n', n);
	memcpy(text, HEAD, strlen(HEAD));
	memcpy(text + LISTCMD_MAX_TEXT + 1, "X-LIST-KEYS\n", 12);
	listcmd_parse(text, n, NULL, 0, req);
	ck_assert_uint_eq(req->n, 1);
	listcmd_parse(HEAD "X-LIST-KEYS", strlen(HEAD) + 5, NULL, 0, req);
	ck_assert_uint_eq(req->n, 2);
	ck_assert_int_eq(cmd(1)->kw, LISTCMD_UNKNOWN);
	ck_assert_str_eq(cmd(1)->echo, "X-LIS");
	free(text);
}
END_TEST

/* ---- permissions -------------------------------------------------------------------------- */

/* Schleuder's defaults, keyword by keyword: [member on self, member on other, admin] */
START_TEST(permission_table)
{
	static const struct {
		enum listcmd_kw kw;
		bool self, other, admin;
	} table[] = {
		{ LISTCMD_LIST_NAME, true, true, true },
		{ LISTCMD_SUBSCRIBE, false, false, true },
		{ LISTCMD_UNSUBSCRIBE, false, false, true },
		{ LISTCMD_LIST_SUBSCRIPTIONS, true, true, true },
		{ LISTCMD_SET_FINGERPRINT, true, false, true },
		{ LISTCMD_UNSET_FINGERPRINT, true, false, true },
		{ LISTCMD_SET_DELIVERY, true, false, true },
		{ LISTCMD_ADD_KEY, true, true, true },
		{ LISTCMD_DELETE_KEY, false, false, true },
		{ LISTCMD_GET_KEY, true, true, true },
		{ LISTCMD_LIST_KEYS, true, true, true },
		{ LISTCMD_FETCH_KEY, true, true, true },
		{ LISTCMD_GET_VERSION, true, true, true },
	};
	struct listcmd_perms p;

	listcmd_perms_default(&p);
	ck_assert_uint_eq(NELEM(table), LISTCMD_NKW - 1);
	for (size_t i = 0; i < NELEM(table); i++) {
		const char *n = listcmd_keyword_name(table[i].kw);
		ck_assert_msg(listcmd_permitted(table[i].kw, false, true, &p) == table[i].self,
			      "%s, member, self", n);
		ck_assert_msg(listcmd_permitted(table[i].kw, false, false, &p) == table[i].other,
			      "%s, member, other", n);
		ck_assert_msg(listcmd_permitted(table[i].kw, true, false, &p) == table[i].admin,
			      "%s, admin, other", n);
		ck_assert_msg(listcmd_permitted(table[i].kw, true, true, &p), "%s, admin, self", n);
	}
	ck_assert(!listcmd_permitted(LISTCMD_UNKNOWN, true, true, &p));
	ck_assert(listcmd_notify(LISTCMD_ADD_KEY, &p));
	ck_assert(!listcmd_notify(LISTCMD_SUBSCRIBE, &p));
	/* a list that lets subscribers unsubscribe themselves and keeps X-LIST-KEYS to admins */
	p.admin_only &= ~LISTCMD_BIT(LISTCMD_UNSUBSCRIBE);
	p.admin_only |= LISTCMD_BIT(LISTCMD_LIST_KEYS);
	ck_assert(listcmd_permitted(LISTCMD_UNSUBSCRIBE, false, true, &p));
	ck_assert(!listcmd_permitted(LISTCMD_UNSUBSCRIBE, false, false, &p));
	ck_assert(!listcmd_permitted(LISTCMD_LIST_KEYS, false, true, &p));
	/* X-LIST-NAME and X-GET-VERSION whatever the bits say */
	p.admin_only = ~UINT32_C(0);
	ck_assert(listcmd_permitted(LISTCMD_LIST_NAME, false, true, &p));
	ck_assert(listcmd_permitted(LISTCMD_GET_VERSION, false, true, &p));
}
END_TEST

START_TEST(check_self_and_force)
{
	struct listcmd_perms p;
	char why[200];

	listcmd_perms_default(&p);
	parse(HEAD "X-SET-FINGERPRINT: " FPR "\n"
	      "X-SET-FINGERPRINT: Carol@example.NET " FPR "\n"
	      "X-UNSET-FINGERPRINT: carol@example.net\n"
	      "X-UNSET-FINGERPRINT: carol@example.net force\n"
	      "X-SUBSCRIBE: dave@example.net\n"
	      "X-GET-KEY: 0123\n");
	ck_assert(listcmd_acts_on_self(cmd(1), "carol@example.net"));
	ck_assert(listcmd_acts_on_self(cmd(2), "carol@example.net"));
	ck_assert(!listcmd_acts_on_self(cmd(2), "dave@example.net"));
	ck_assert(listcmd_acts_on_self(cmd(0), "dave@example.net"));
	ck_assert(listcmd_check(cmd(2), "carol@example.net", false, &p, why, sizeof(why)));
	ck_assert(!listcmd_check(cmd(2), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert_str_eq(why, "only the list's admins may use X-SET-FINGERPRINT on another "
			 "subscription than their own");
	ck_assert(listcmd_check(cmd(2), "dave@example.net", true, &p, why, sizeof(why)));
	/* an admin removing their own fingerprint must say "force"; a member need not */
	ck_assert(!listcmd_check(cmd(3), "carol@example.net", true, &p, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "force"));
	ck_assert(listcmd_check(cmd(4), "carol@example.net", true, &p, why, sizeof(why)));
	ck_assert(listcmd_check(cmd(3), "carol@example.net", false, &p, why, sizeof(why)));
	ck_assert(listcmd_check(cmd(3), "dave@example.net", true, &p, why, sizeof(why)));
	ck_assert(!listcmd_check(cmd(5), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert_str_eq(why, "X-SUBSCRIBE may only be used by the list's admins");
	ck_assert(!listcmd_check(cmd(6), "dave@example.net", true, &p, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "40 hex digits"));
	/* a list that lets subscribers subscribe themselves: never as admins */
	p.admin_only &= ~LISTCMD_BIT(LISTCMD_SUBSCRIBE);
	parse(HEAD "X-SUBSCRIBE: dave@example.net " FPR " true\n"
	      "X-SUBSCRIBE: dave@example.net " FPR " false\n");
	ck_assert(!listcmd_check(cmd(1), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert_str_eq(why, "only the list's admins may make a subscription an admin");
	ck_assert(listcmd_check(cmd(1), "dave@example.net", true, &p, why, sizeof(why)));
	ck_assert(listcmd_check(cmd(2), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert(!listcmd_check(cmd(2), "erin@example.net", false, &p, why, sizeof(why)));
}
END_TEST

/* list_perms - the permissions of a list whose file ends with EXTRA */
static void list_perms(const char *extra, struct listcmd_perms *p)
{
	struct pw_lists ls;
	struct pw_diags d;
	char text[600];

	memset(&ls, 0, sizeof(ls));
	memset(&d, 0, sizeof(d));
	snprintf(text, sizeof(text), "list " LIST "\nowner o@example.org\nopenpgp_key " FPR
		 "\n%s", extra);
	ck_assert_uint_eq(pw_list_parse(&ls, "t.list", text, strlen(text), &d), 0);
	ck_assert_uint_eq(ls.n, 1);
	listcmd_perms_for(p, &ls.v[0]);
	pw_lists_free(&ls);
	pw_diags_free(&d);
}

START_TEST(list_file_permissions)
{
	struct listcmd_perms p, def;
	char why[200];

	listcmd_perms_default(&def);
	/* no statement: Schleuder's defaults */
	list_perms("", &p);
	ck_assert_uint_eq(p.admin_only, def.admin_only);
	ck_assert_uint_eq(p.notify_admins, def.notify_admins);
	/* subscribers may unsubscribe themselves, X-LIST-KEYS is the admins', notices of
	 * subscribe and unsubscribe, none of X-ADD-KEY */
	list_perms("keywords_admin_only subscribe delete-key X-LIST-KEYS\n"
		   "keywords_admin_notify unsubscribe X-SUBSCRIBE\n", &p);
	parse(HEAD "X-UNSUBSCRIBE\nX-UNSUBSCRIBE: erin@example.net\nX-LIST-KEYS\n");
	ck_assert(listcmd_check(cmd(1), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert(!listcmd_check(cmd(2), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert_str_eq(why, "only the list's admins may use X-UNSUBSCRIBE on another "
			 "subscription than their own");
	ck_assert(!listcmd_check(cmd(3), "dave@example.net", false, &p, why, sizeof(why)));
	ck_assert_str_eq(why, "X-LIST-KEYS may only be used by the list's admins");
	ck_assert(listcmd_check(cmd(3), "dave@example.net", true, &p, why, sizeof(why)));
	ck_assert(listcmd_notify(LISTCMD_UNSUBSCRIBE, &p));
	ck_assert(listcmd_notify(LISTCMD_SUBSCRIBE, &p));
	ck_assert(!listcmd_notify(LISTCMD_ADD_KEY, &p));
	/* none: nothing admin-only (another's subscription stays the admins'), no notices */
	list_perms("keywords_admin_only none\nkeywords_admin_notify none\n", &p);
	ck_assert_uint_eq(p.admin_only, 0);
	ck_assert_uint_eq(p.notify_admins, 0);
	ck_assert(listcmd_permitted(LISTCMD_DELETE_KEY, false, true, &p));
	ck_assert(!listcmd_permitted(LISTCMD_SUBSCRIBE, false, false, &p));
}
END_TEST

/* ---- the reply ---------------------------------------------------------------------------- */

START_TEST(reply_format)
{
	struct listcmd_result res[4] = {
		{ LISTCMD_DONE, NULL },
		{ LISTCMD_DONE, "Subscriptions:\r\ncarol@example.net\t0x" FPR "\n" },
		{ LISTCMD_REFUSED, "X-DELETE-KEY may only be used by the list's admins\001" },
		{ LISTCMD_NOT_RUN, NULL },
	};
	struct listcmd_att att = { "x", 1 };
	const char *text = HEAD "X-LIST-SUBSCRIPTIONS\nX-DELETE-KEY: " FPR "\nX-GET-KEY: 12\n"
		"\nthanks\n";
	size_t len;
	char *r;

	listcmd_parse(text, strlen(text), &att, 1, req);
	r = listcmd_reply(req, LIST, res, &len);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(len, strlen(r));
	ck_assert_str_eq(r,
		"Results of your commands to " LIST ":\n"
		"\n> X-LIST-NAME: " LIST "\nDone.\n"
		"\n> X-LIST-SUBSCRIPTIONS\nDone.\nSubscriptions:\ncarol@example.net\t0x" FPR "\n"
		"\n> X-DELETE-KEY: " FPR "\nRefused.\n"
		"X-DELETE-KEY may only be used by the list's admins?\n"
		"\n> X-GET-KEY: 12\nError: a fingerprint has 40 hex digits, found 2.\n"
		"\n1 attachment of your message was not used (only X-ADD-KEY takes "
		"attachments).\n"
		"\nThe text after the commands (1 line) was not read.\n");
	free(r);
}
END_TEST

START_TEST(reply_whole_message)
{
	size_t len;
	char *r;

	parse(HEAD "X-SUBSCRIPE: a@example.org\nX-LIST-KEYS\n");
	r = listcmd_reply(req, LIST, NULL, &len);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r,
		"Your message held a keyword this list does not know (marked below); none of "
		"its commands was run. Please check its spelling.\n"
		"\n> X-LIST-NAME: " LIST "\nNot run.\n"
		"\n> X-SUBSCRIPE: a@example.org\nError: unknown keyword.\n"
		"\n> X-LIST-KEYS\nNot run.\n");
	free(r);
	parse("no commands here\n");
	r = listcmd_reply(req, LIST, NULL, &len);
	ck_assert_ptr_nonnull(strstr(r, "held no commands, so nothing was done"));
	ck_assert_ptr_nonnull(strstr(r, "X-LIST-NAME: " LIST "\nX-LIST-SUBSCRIPTIONS\n"));
	ck_assert_ptr_nonnull(strstr(r, " X-ADD-KEY X-DELETE-KEY "));
	free(r);
	parse("X-LIST-NAME: other@example.org\n");
	listcmd_check_list(req, LIST, REQ);
	r = listcmd_reply(req, LIST, NULL, &len);
	ck_assert_ptr_nonnull(strstr(r, "(other@example.org) is not this list's address"));
	free(r);
	parse("X-LIST-KEYS\n");
	r = listcmd_reply(req, LIST, NULL, &len);
	ck_assert_ptr_nonnull(strstr(r, "required line \"X-LIST-NAME: " LIST "\""));
	free(r);
}
END_TEST

/* ---- listpost_text ------------------------------------------------------------------------ */

START_TEST(text_plain_modes)
{
	struct listpost_text t;
	const char *inline_text = "X-LIST-NAME: " LIST "\nX-LIST-KEYS\n";
	const char *qp = "Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"X-LIST-NAME: board@lists.exa=\r\nmple.org\r\nX-LIST-KEYS=3D\r\n";

	/* not MIME: the text as it is, headers or not */
	ck_assert_int_eq(listpost_text(inline_text, strlen(inline_text), false, &t),
			 LISTPOST_TEXT_OK);
	ck_assert_uint_eq(t.text_len, strlen(inline_text));
	ck_assert(memcmp(t.text, inline_text, t.text_len) == 0);
	listpost_text_clear(&t);
	/* MIME: the same text would be a header section without a body */
	ck_assert_int_eq(listpost_text(inline_text, strlen(inline_text), true, &t),
			 LISTPOST_TEXT_BAD);
	ck_assert_ptr_nonnull(strstr(t.why, "header line 2 is neither a field"));
	listpost_text_clear(&t);
	ck_assert_int_eq(listpost_text(qp, strlen(qp), true, &t), LISTPOST_TEXT_OK);
	ck_assert_uint_eq(t.text_len, strlen("X-LIST-NAME: " LIST "\r\nX-LIST-KEYS=\r\n"));
	ck_assert(memcmp(t.text, "X-LIST-NAME: " LIST "\r\nX-LIST-KEYS=\r\n", t.text_len) == 0);
	ck_assert_uint_eq(t.natt, 0);
	listpost_text_clear(&t);
}
END_TEST

START_TEST(text_multipart)
{
	struct listpost_text t;
	/* mixed > (signed > (alternative > plain, html), sig), base64 key, nested mixed */
	const char *m =
		"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
		"preamble\r\n--m\r\n"
		"Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\r\n\r\n"
		"--s\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
		"--a\r\nContent-Type: text/plain\r\n\r\nX-LIST-NAME: " LIST "\r\nX-ADD-KEY\r\n"
		"--a\r\nContent-Type: text/html\r\n\r\n<p>X-LIST-NAME</p>\r\n--a--\r\n"
		"--s\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--s--\r\n"
		"--m\r\nContent-Type: application/pgp-keys\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nS0VZ\r\n"
		"--m\r\nContent-Type: multipart/mixed; boundary=n\r\n\r\n--n\r\n\r\nx\r\n--n--\r\n"
		"--m--\r\n";
	const char *html = "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n";
	const char *bad = "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n"
		"--m--\r\n";

	ck_assert_int_eq(listpost_text(m, strlen(m), true, &t), LISTPOST_TEXT_OK);
	ck_assert_ptr_nonnull(t.text);
	ck_assert_uint_eq(t.text_len, strlen("X-LIST-NAME: " LIST "\r\nX-ADD-KEY"));
	ck_assert_uint_eq(t.natt, 1);
	ck_assert_uint_eq(t.att[0].n, 3);
	ck_assert(memcmp(t.att[0].p, "KEY", 3) == 0);
	ck_assert_uint_eq(t.more_att, 1);
	listpost_text_clear(&t);
	ck_assert_int_eq(listpost_text(html, strlen(html), true, &t), LISTPOST_TEXT_OK);
	ck_assert_ptr_null(t.text);
	listpost_text_clear(&t);
	ck_assert_int_eq(listpost_text(bad, strlen(bad), true, &t), LISTPOST_TEXT_BAD);
	ck_assert_ptr_nonnull(strstr(t.why, "part 1: bad base64"));
	listpost_text_clear(&t);
}
END_TEST

/* the text and attachments of a MIME command message feed listcmd_parse */
START_TEST(text_to_commands)
{
	struct listpost_text t;
	struct listcmd_att atts[LISTPOST_TEXT_MAX_ATT];
	const char *m =
		"Content-Type: multipart/mixed; boundary=m\n\n--m\n"
		"Content-Type: text/plain; charset=us-ascii\n\n"
		"X-LIST-NAME: " LIST "\nX-ADD-KEY\n\n--m\n"
		"Content-Type: application/pgp-keys\n\n" KEYBLOCK "--m--\n";

	ck_assert_int_eq(listpost_text(m, strlen(m), true, &t), LISTPOST_TEXT_OK);
	for (size_t i = 0; i < t.natt; i++) {
		atts[i].p = t.att[i].p;
		atts[i].n = t.att[i].n;
	}
	listcmd_parse(t.text, t.text_len, atts, t.natt, req);
	ck_assert_int_eq(req->status, LISTCMD_REQ_OK);
	ck_assert_good(cmd(1));
	ck_assert(cmd(1)->keys_attached);
	/* the line end before the delimiter belongs to the delimiter */
	ck_assert_uint_eq(cmd(1)->keys[0].n, strlen(KEYBLOCK) - 1);
	listpost_text_clear(&t);
}
END_TEST

static Suite *listcmd_suite(void)
{
	Suite *s = suite_create("listcmd");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_keyword);
	tcase_add_test(tc, keyword_names);
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, blank_ends_arguments);
	tcase_add_test(tc, fingerprints);
	tcase_add_test(tc, argument_errors);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, too_many_commands);
	tcase_add_test(tc, add_key_blocks);
	tcase_add_test(tc, add_key_limits);
	tcase_add_test(tc, add_key_attachments);
	tcase_add_test(tc, line_limits);
	tcase_add_test(tc, text_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("permissions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, permission_table);
	tcase_add_test(tc, check_self_and_force);
	tcase_add_test(tc, list_file_permissions);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reply_format);
	tcase_add_test(tc, reply_whole_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, text_plain_modes);
	tcase_add_test(tc, text_multipart);
	tcase_add_test(tc, text_to_commands);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(listcmd_suite());
	int failed;

	srunner_add_suite(sr, seen_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
