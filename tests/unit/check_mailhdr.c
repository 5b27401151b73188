/*
 * tests/unit/check_mailhdr.c - policy/mailhdr.c: From field bodies (RFC 5322 3.4, 3.6.2,
 * 4.4; RFC 6854 groups; RFC 6532 UTF-8), Authentication-Results field bodies (RFC 8601 2.2)
 * and the domain of an A-R property value.  Contract: policy/mailhdr.h; interpretations:
 * the comments at the top of policy/mailhdr.c (From), mailhdr-ar.c (A-R) and mailhdr-lex.c.
 *
 * A stand-alone Check program with its own main() (define CHECK_MAILHDR_NO_MAIN to use
 * mailhdr_suite() from another runner); exits non-zero on any failure.  Table-driven: one
 * row per field body, the real-world A-R rows copied from what OpenDKIM, OpenDMARC,
 * pypolicyd-spf, rspamd, Gmail and Microsoft write.  Buffers are filled with a sentinel
 * octet first so that a write past a buffer's end shows; the last tests feed 100 KB inputs
 * and 10,000 nested comments and must finish well within the test timeout.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/mailhdr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BIG (100 * 1024)
#define SENTINEL 'Q'

Suite *mailhdr_suite(void);

/* status_name - printable pw_from_status */
static const char *status_name(enum pw_from_status st)
{
	switch (st) {
	case PW_FROM_OK:
		return "OK";
	case PW_FROM_SYNTAX:
		return "SYNTAX";
	case PW_FROM_NODOMAIN:
		return "NODOMAIN";
	}
	return "?";
}

/* ---- From ------------------------------------------------------------------------------------ */

static const struct {
	const char *value;
	enum pw_from_status want;
	size_t n;		/* mailboxes (always 0 on SYNTAX) */
	const char *domain;	/* expected DOMAIN ("" unless OK) */
} from_cases[] = {
	/* plain addr-spec, case, trailing dot, surrounding white space */
	{ "user@example.com", PW_FROM_OK, 1, "example.com" },
	{ " user@example.com", PW_FROM_OK, 1, "example.com" },
	{ "\t user@example.com \t", PW_FROM_OK, 1, "example.com" },
	{ "User@Mail.EXAMPLE.Com", PW_FROM_OK, 1, "mail.example.com" },
	{ "user@example.com.", PW_FROM_OK, 1, "example.com" },
	{ "a.b.c@example.com", PW_FROM_OK, 1, "example.com" },
	{ "!#$%&'*+-/=?^_`{|}~@example.com", PW_FROM_OK, 1, "example.com" },
	{ "user@x", PW_FROM_OK, 1, "x" },
	{ "user@ex_ample.com", PW_FROM_OK, 1, "ex_ample.com" },	/* atext, not LDH */
	/* name-addr, display names as phrases */
	{ "John Doe <john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "<john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "  <john@example.com>  ", PW_FROM_OK, 1, "example.com" },
	{ "\"Doe, John\" <john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "\"\" <john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "John \"the man\" Doe <john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "John Q. Public <jqp@example.com>", PW_FROM_OK, 1, "example.com" },	/* obs-phrase */
	{ "John Q.. Public. <jqp@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "John<john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "John Doe < john @ example.com >", PW_FROM_OK, 1, "example.com" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "=?UTF-8?B?SsO2cmc=?= <j@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "=?iso-8859-1?q?Andr=E9?= Pirard <pirard@example.be>", PW_FROM_OK, 1, "example.be" },
	/* comments and folding */
	{ "john@example.com (John Doe)", PW_FROM_OK, 1, "example.com" },
	{ "(comment) john@example.com", PW_FROM_OK, 1, "example.com" },
	{ "john(c1)@(c2)example.com(c3)", PW_FROM_OK, 1, "example.com" },
	{ "((nested) comment) a@example.com", PW_FROM_OK, 1, "example.com" },
	{ "a@example.com (a (b (c)))", PW_FROM_OK, 1, "example.com" },
	{ "a@example.com (\\(not nested\\) \\\\)", PW_FROM_OK, 1, "example.com" },
	{ "a@example.com (\"quotes\" <and> @ specials: ;,)", PW_FROM_OK, 1, "example.com" },
	{ "a@example.com (\x01obs-ctext\x7f)", PW_FROM_OK, 1, "example.com" },
	{ "John Doe\r\n <john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "John Doe\n\t<john@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "John\r\n \r\n Doe <john@example.com>", PW_FROM_OK, 1, "example.com" }, /* obs-FWS */
	{ "a@example.com (folded\r\n comment)", PW_FROM_OK, 1, "example.com" },
	{ "\"folded\r\n quoted\" <a@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "a@example.com\r\n", PW_FROM_OK, 1, "example.com" },	/* the field's terminator */
	{ "a@example.com\n", PW_FROM_OK, 1, "example.com" },
	/* local parts: quoted, quoted-pair, obs-local-part */
	{ "\"john doe\"@example.com", PW_FROM_OK, 1, "example.com" },
	{ "\"a@b\"@c.example", PW_FROM_OK, 1, "c.example" },
	{ "\"a\\\"b\"@example.com", PW_FROM_OK, 1, "example.com" },
	{ "\"a\\\\\"@example.com", PW_FROM_OK, 1, "example.com" },
	{ "\"\"@example.com", PW_FROM_OK, 1, "example.com" },
	{ "\"tab\tand\x01obs\"@example.com", PW_FROM_OK, 1, "example.com" },
	{ "a . b@example.com", PW_FROM_OK, 1, "example.com" },
	{ "\"a\".b@example.com", PW_FROM_OK, 1, "example.com" },
	{ "a.\"b c\".d@example.com", PW_FROM_OK, 1, "example.com" },
	{ "a (x) . (y) b @ example.com", PW_FROM_OK, 1, "example.com" },
	/* obs-domain: CFWS around the dots, removed */
	{ "john@example . com", PW_FROM_OK, 1, "example.com" },
	{ "john@ example .com (x)", PW_FROM_OK, 1, "example.com" },
	{ "john@(c)mail(d).(e)Example(f).COM(g)", PW_FROM_OK, 1, "mail.example.com" },
	{ "john@example.com (a) .", PW_FROM_OK, 1, "example.com" },	/* trailing dot, obs */
	/* obs-route */
	{ "<@a.example,@b.example:user@c.example>", PW_FROM_OK, 1, "c.example" },
	{ "Joe <@a.example:user@C.Example>", PW_FROM_OK, 1, "c.example" },
	{ "<,@a.example,,@b.example:u@d.example>", PW_FROM_OK, 1, "d.example" },
	{ "< @ a.example , @ [192.0.2.1] : u @ d.example >", PW_FROM_OK, 1, "d.example" },
	{ "<@a.example,:u@d.example>", PW_FROM_OK, 1, "d.example" },
	/* RFC 6532: UTF-8 in atoms, quoted strings, comments; only ASCII lower-cased */
	{ "J\xc3\xb6rg <j@example.com>", PW_FROM_OK, 1, "example.com" },
	{ "\"J\xc3\xb6rg\" <j@EXAMPLE.com>", PW_FROM_OK, 1, "example.com" },
	{ "(h\xc3\xa9llo) a@example.com", PW_FROM_OK, 1, "example.com" },
	{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", PW_FROM_OK, 1, "b\xc3\xbc" "cher.example" },
	{ "J\xc3\x96RG@B\xc3\x9c" "CHER.EXAMPLE", PW_FROM_OK, 1, "b\xc3\x9c" "cher.example" },
	{ "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b\xe3\x81\x88.jp", PW_FROM_OK, 1,
	  "\xe4\xbe\x8b\xe3\x81\x88.jp" },
	/* several mailboxes; obs-mbox-list / obs-addr-list empty elements */
	{ "a@x.example, b@y.example", PW_FROM_OK, 2, "x.example" },
	{ "a@x.example,b@y.example,c@z.example", PW_FROM_OK, 3, "x.example" },
	{ "A <a@X.example>, \"B\" <b@y.example>", PW_FROM_OK, 2, "x.example" },
	{ ", a@x.example,,b@y.example", PW_FROM_OK, 2, "x.example" },
	{ "a@x.example,", PW_FROM_OK, 1, "x.example" },
	{ ",,,a@x.example", PW_FROM_OK, 1, "x.example" },
	{ " , (c) , a@x.example , ", PW_FROM_OK, 1, "x.example" },
	/* groups (RFC 6854) */
	{ "group: a@x.example, b@y.example;", PW_FROM_OK, 2, "x.example" },
	{ "group:a@x.example;", PW_FROM_OK, 1, "x.example" },
	{ "undisclosed-recipients:;", PW_FROM_OK, 0, "" },
	{ "undisclosed-recipients: ;", PW_FROM_OK, 0, "" },
	{ "Undisclosed recipients:;", PW_FROM_OK, 0, "" },
	{ "g: (nobody) ;", PW_FROM_OK, 0, "" },
	{ "g: , , ;", PW_FROM_OK, 0, "" },				/* obs-group-list */
	{ "g:;, a@x.example", PW_FROM_OK, 1, "x.example" },
	{ "a@x.example, g: b@y.example;", PW_FROM_OK, 2, "x.example" },
	{ "g: a@x.example;, h: b@y.example;", PW_FROM_OK, 2, "x.example" },
	{ "g: a@x.example,,b@y.example;", PW_FROM_OK, 2, "x.example" },
	{ "g: ,a@x.example;", PW_FROM_OK, 1, "x.example" },
	{ "The \"Group\" (c): \"x\" <a@X.example>, b@y.example ; (end)", PW_FROM_OK, 2,
	  "x.example" },
	{ "g.h: a@x.example;", PW_FROM_OK, 1, "x.example" },		/* obs-phrase name */
	{ "=?utf-8?q?Gr=C3=BCppe?=: <a@x.example>;", PW_FROM_OK, 1, "x.example" },
	/* no usable domain: syntactically fine */
	{ "a@[192.0.2.1]", PW_FROM_NODOMAIN, 1, "" },
	{ "a@[IPv6:2001:db8::1]", PW_FROM_NODOMAIN, 1, "" },
	{ "a@ [ 192.0.2.1 ] (c)", PW_FROM_NODOMAIN, 1, "" },
	{ "a@[\\[x\\]]", PW_FROM_NODOMAIN, 1, "" },
	{ "Name <a@[192.0.2.1]>", PW_FROM_NODOMAIN, 1, "" },
	{ "alice", PW_FROM_NODOMAIN, 1, "" },
	{ "\"alice\"", PW_FROM_NODOMAIN, 1, "" },
	{ "a.b", PW_FROM_NODOMAIN, 1, "" },
	{ "<alice>", PW_FROM_NODOMAIN, 1, "" },
	{ "Alice <alice>", PW_FROM_NODOMAIN, 1, "" },
	{ "<>", PW_FROM_NODOMAIN, 1, "" },
	{ "Nobody < >", PW_FROM_NODOMAIN, 1, "" },
	{ "a@", PW_FROM_NODOMAIN, 1, "" },
	{ "a@ (c)", PW_FROM_NODOMAIN, 1, "" },
	{ "<a@>", PW_FROM_NODOMAIN, 1, "" },
	{ "a@x..example", PW_FROM_NODOMAIN, 1, "" },
	{ "a@.example", PW_FROM_NODOMAIN, 1, "" },
	{ "a@example..", PW_FROM_NODOMAIN, 1, "" },
	{ "a@.", PW_FROM_NODOMAIN, 1, "" },
	{ "a@example . . com", PW_FROM_NODOMAIN, 1, "" },
	{ "a@x.example, bob", PW_FROM_NODOMAIN, 2, "" },		/* any mailbox */
	{ "a@x.example, b@[192.0.2.1]", PW_FROM_NODOMAIN, 2, "" },
	{ "bob, a@x.example", PW_FROM_NODOMAIN, 2, "" },
	{ "g: alice;", PW_FROM_NODOMAIN, 1, "" },
	{ "g: a@x.example, <>;", PW_FROM_NODOMAIN, 2, "" },
	/* syntax errors: nothing there */
	{ "", PW_FROM_SYNTAX, 0, "" },
	{ "   ", PW_FROM_SYNTAX, 0, "" },
	{ "(comment only)", PW_FROM_SYNTAX, 0, "" },
	{ " (a) (b (c)) \r\n ", PW_FROM_SYNTAX, 0, "" },
	{ "\r\n", PW_FROM_SYNTAX, 0, "" },
	{ ",", PW_FROM_SYNTAX, 0, "" },
	{ ", , (c) ,", PW_FROM_SYNTAX, 0, "" },
	/* syntax errors: between and after addresses */
	{ "a@example.com b@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com;", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com >", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com <b@example.com>", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com\"", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com:", PW_FROM_SYNTAX, 0, "" },
	{ "<a@b.example> <c@d.example>", PW_FROM_SYNTAX, 0, "" },
	{ "a@b.example c", PW_FROM_SYNTAX, 0, "" },
	{ "a@b.example \"c\"", PW_FROM_SYNTAX, 0, "" },
	{ "a@x.example, bob smith", PW_FROM_SYNTAX, 0, "" },	/* syntax beats no domain */
	/* syntax errors: display names and local parts */
	{ "John Doe", PW_FROM_SYNTAX, 0, "" },
	{ "John Doe a@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "\"a\" \"b\"@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "\"a\"b@example.com", PW_FROM_SYNTAX, 0, "" },
	{ ". <a@example.com>", PW_FROM_SYNTAX, 0, "" },
	{ "Jo[hn] <a@example.com>", PW_FROM_SYNTAX, 0, "" },
	{ "a@b.example <a@b.example>", PW_FROM_SYNTAX, 0, "" },	/* the '@' is not quoted */
	{ "@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a@@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a..b@example.com", PW_FROM_SYNTAX, 0, "" },
	{ ".a@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a.@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a\\b@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a\x01@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com\x7f", PW_FROM_SYNTAX, 0, "" },
	/* syntax errors: angle addresses and routes */
	{ "<a@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com>", PW_FROM_SYNTAX, 0, "" },
	{ "<<a@example.com>>", PW_FROM_SYNTAX, 0, "" },
	{ "<a@example.com,>", PW_FROM_SYNTAX, 0, "" },
	{ "<John Doe>", PW_FROM_SYNTAX, 0, "" },
	{ "<@a.example user@c.example>", PW_FROM_SYNTAX, 0, "" },
	{ "<@:user@c.example>", PW_FROM_SYNTAX, 0, "" },
	{ "<@a.example:>", PW_FROM_SYNTAX, 0, "" },
	{ "<:user@c.example>", PW_FROM_SYNTAX, 0, "" },
	/* syntax errors: domains */
	{ "a@\"example\".com", PW_FROM_SYNTAX, 0, "" },
	{ "a@[192.0.2.1].example", PW_FROM_SYNTAX, 0, "" },
	{ "a@[192.0.2.1", PW_FROM_SYNTAX, 0, "" },
	{ "a@[1.[2]", PW_FROM_SYNTAX, 0, "" },
	{ "a@<example.com>", PW_FROM_SYNTAX, 0, "" },
	/* syntax errors: quoted strings, comments */
	{ "\"unterminated@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "\"a\\", PW_FROM_SYNTAX, 0, "" },
	{ "(unterminated a@example.com", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com (a (b)", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com)", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com (\\", PW_FROM_SYNTAX, 0, "" },
	/* syntax errors: line breaks */
	{ "a@example.com\r\nX", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com\r\n\r\n", PW_FROM_SYNTAX, 0, "" },
	{ "John\nDoe <a@example.com>", PW_FROM_SYNTAX, 0, "" },
	{ "a@exa\rmple.com", PW_FROM_SYNTAX, 0, "" },
	{ "a@example.com\r", PW_FROM_SYNTAX, 0, "" },
	{ "\"a\r\nb\"@example.com", PW_FROM_SYNTAX, 0, "" },
	/* syntax errors: groups */
	{ "g: a@x.example", PW_FROM_SYNTAX, 0, "" },
	{ "g:", PW_FROM_SYNTAX, 0, "" },
	{ "g: a@x.example b@y.example;", PW_FROM_SYNTAX, 0, "" },
	{ "g: h: a@x.example;;", PW_FROM_SYNTAX, 0, "" },
	{ "g: a@x.example; b@y.example", PW_FROM_SYNTAX, 0, "" },
	{ ": a@x.example;", PW_FROM_SYNTAX, 0, "" },
	{ ".g: a@x.example;", PW_FROM_SYNTAX, 0, "" },
	{ "a@x.example;;", PW_FROM_SYNTAX, 0, "" },
	{ ";", PW_FROM_SYNTAX, 0, "" },
	{ ">", PW_FROM_SYNTAX, 0, "" },
};

/* from_table - the table above, with the sentinel checks of every output buffer */
START_TEST(from_table)
{
	char domain[300], why[128];
	size_t n = 99;
	enum pw_from_status st;
	const char *v = from_cases[_i].value;

	memset(domain, SENTINEL, sizeof(domain));
	memset(why, SENTINEL, sizeof(why));
	st = pw_from_parse(v, &n, domain, sizeof(domain), why, sizeof(why));
	ck_assert_msg(st == from_cases[_i].want, "\"%s\": got %s (%s), expected %s", v,
		      status_name(st), why, status_name(from_cases[_i].want));
	ck_assert_msg(n == from_cases[_i].n, "\"%s\": %zu mailboxes, expected %zu", v, n,
		      from_cases[_i].n);
	ck_assert_msg(strcmp(domain, from_cases[_i].domain) == 0,
		      "\"%s\": domain \"%s\", expected \"%s\"", v, domain, from_cases[_i].domain);
	ck_assert_msg(memchr(why, '\0', sizeof(why)) != NULL, "\"%s\": why not terminated", v);
	if (st == PW_FROM_OK)
		ck_assert_msg(why[0] == '\0', "\"%s\": OK with a reason \"%s\"", v, why);
	else
		ck_assert_msg(why[0] != '\0', "\"%s\": %s without a reason", v, status_name(st));
}
END_TEST

/* from_mailbox_same - pw_from_mailbox agrees with pw_from_parse on every case of the table,
 * and gives an address ending in "@" + the domain exactly when it is OK with a mailbox */
START_TEST(from_mailbox_same)
{
	struct pw_from_mailbox mb;
	char domain[300], why[128], why2[128], tail[310];
	size_t n = 99, n2 = 98;
	const char *v = from_cases[_i].value;
	enum pw_from_status st = pw_from_parse(v, &n, domain, sizeof(domain), why, sizeof(why));

	memset(&mb, SENTINEL, sizeof(mb));
	ck_assert_int_eq(pw_from_mailbox(v, &n2, &mb, why2, sizeof(why2)), st);
	ck_assert_uint_eq(n2, n);
	ck_assert_str_eq(why2, why);
	ck_assert_str_eq(mb.domain, domain);
	ck_assert(memchr(mb.name, '\0', sizeof(mb.name)) != NULL);
	if (st == PW_FROM_OK && n > 0) {
		snprintf(tail, sizeof(tail), "@%s", domain);
		ck_assert_msg(strlen(mb.addr) > strlen(tail) &&
			      strcmp(mb.addr + strlen(mb.addr) - strlen(tail), tail) == 0,
			      "\"%s\": address \"%s\"", v, mb.addr);
	} else {
		ck_assert_str_eq(mb.addr, "");
		ck_assert_str_eq(mb.name, "");
	}
}
END_TEST

/* from_mailbox_names - the display name and address of the first mailbox */
START_TEST(from_mailbox_names)
{
	static const struct {
		const char *value, *name, *addr;
	} cases[] = {
		{ "Alice <alice@Example.ORG>", "Alice", "alice@example.org" },
		{ "alice@example.org", "", "alice@example.org" },
		{ "<alice@example.org>", "", "alice@example.org" },
		{ "  \"Smith, John\" <js@example.org>", "Smith, John", "js@example.org" },
		{ "\"The \\\"Boss\\\"\" <b@example.org>", "The \"Boss\"", "b@example.org" },
		{ "John  (middle)\r\n  Q. Public <jqp@example.org>", "John Q. Public",
		  "jqp@example.org" },
		{ "=?UTF-8?B?SsO2cmc=?= <j@example.org>", "=?UTF-8?B?SsO2cmc=?=", "j@example.org" },
		{ "J\xc3\xb6rg M\xc3\xbcller <j@example.org>", "J\xc3\xb6rg M\xc3\xbcller",
		  "j@example.org" },
		{ "alice@example.org (Alice  Example)", "Alice Example", "alice@example.org" },
		{ "alice @ example . org (Alice (the first))", "Alice (the first)",
		  "alice@example.org" },
		{ "\"a b\"@example.org", "", "\"a b\"@example.org" },
		{ "first. last@example.org", "", "first.last@example.org" },
		{ "Alice <alice@example.org>, Bob <bob@example.net>", "Alice", "alice@example.org" },
		{ "Team: Carol <c@example.com>, d@example.com;", "Carol", "c@example.com" },
		{ "Team:;, Carol <c@example.com>", "Carol", "c@example.com" },
		{ "Alice <@relay.example:alice@example.org>", "Alice", "alice@example.org" },
		{ "Alice <alice>", "", "" },
		{ "Alice <alice@[192.0.2.1]>", "", "" },
	};
	struct pw_from_mailbox mb;

	for (size_t i = 0; i < NELEM(cases); i++) {
		pw_from_mailbox(cases[i].value, NULL, &mb, NULL, 0);
		ck_assert_msg(strcmp(mb.name, cases[i].name) == 0, "\"%s\": name \"%s\"",
			      cases[i].value, mb.name);
		ck_assert_msg(strcmp(mb.addr, cases[i].addr) == 0, "\"%s\": addr \"%s\"",
			      cases[i].value, mb.addr);
	}
	/* a display name too long to keep is dropped, the address stays */
	{
		char v[PW_FROM_NAME_MAX + 64];
		memset(v, 'x', PW_FROM_NAME_MAX + 1);
		snprintf(v + PW_FROM_NAME_MAX + 1, 40, " <x@example.org>");
		ck_assert_int_eq(pw_from_mailbox(v, NULL, &mb, NULL, 0), PW_FROM_OK);
		ck_assert_str_eq(mb.name, "");
		ck_assert_str_eq(mb.addr, "x@example.org");
	}
	ck_assert_int_eq(pw_from_mailbox(NULL, NULL, NULL, NULL, 0), PW_FROM_SYNTAX);
}
END_TEST

/* from_reasons - what WHY says: the offset of a syntax error, the mailbox without domain */
START_TEST(from_reasons)
{
	static const struct {
		const char *value, *why;
	} cases[] = {
		{ "a@example.com b", "expected ',' or the end of the field at offset 14" },
		{ "", "no address at offset 0" },
		{ "x (unclosed", "unterminated comment at offset 2" },
		{ "\"unclosed", "unterminated quoted string at offset 0" },
		{ "g: a@x.example", "group not ended by ';' at offset 14" },
		{ "g: h: a@x;", "group inside a group at offset 4" },
		{ "a\r\nb@x", "line break not followed by white space at offset 1" },
		{ "a..b@x", "invalid local part at offset 4" },
		{ "alice", "mailbox 1: no domain" },
		{ "a@x.example, b@[192.0.2.1]", "mailbox 2: domain literal" },
		{ "a@x.example, b@x..example", "mailbox 2: empty label in the domain" },
		{ "a@x, <>", "mailbox 2: empty address <>" },
		{ "a@", "mailbox 1: empty domain" },
	};
	char domain[64], why[128];
	size_t n;

	for (size_t i = 0; i < NELEM(cases); i++) {
		pw_from_parse(cases[i].value, &n, domain, sizeof(domain), why, sizeof(why));
		ck_assert_msg(strcmp(why, cases[i].why) == 0, "\"%s\": why \"%s\", expected \"%s\"",
			      cases[i].value, why, cases[i].why);
	}
}
END_TEST

/* from_nesting - comments nested exactly PW_HDR_MAX_NEST deep pass, one deeper fails */
START_TEST(from_nesting)
{
	char buf[256], domain[64], why[128];
	size_t n, len = 0;

	for (int depth = PW_HDR_MAX_NEST; depth <= PW_HDR_MAX_NEST + 1; depth++) {
		len = 0;
		for (int i = 0; i < depth; i++)
			buf[len++] = '(';
		buf[len++] = 'x';
		for (int i = 0; i < depth; i++)
			buf[len++] = ')';
		memcpy(buf + len, " a@example.com", sizeof(" a@example.com"));
		enum pw_from_status st = pw_from_parse(buf, &n, domain, sizeof(domain), why,
						       sizeof(why));
		if (depth <= PW_HDR_MAX_NEST) {
			ck_assert_msg(st == PW_FROM_OK, "depth %d: %s", depth, why);
			ck_assert_str_eq(domain, "example.com");
		} else {
			ck_assert_int_eq(st, PW_FROM_SYNTAX);
			ck_assert_str_eq(why, "comments nested too deeply at offset 16");
		}
	}
	/* many sibling comments at full depth are fine: the limit is depth, not count */
	len = 0;
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < PW_HDR_MAX_NEST; i++)
			buf[len++] = '(';
		for (int i = 0; i < PW_HDR_MAX_NEST; i++)
			buf[len++] = ')';
	}
	memcpy(buf + len, "a@example.com", sizeof("a@example.com"));
	ck_assert_int_eq(pw_from_parse(buf, &n, domain, sizeof(domain), NULL, 0), PW_FROM_OK);
}
END_TEST

/* from_domain_length - 253 octets pass (with or without the trailing dot), 254 do not */
START_TEST(from_domain_length)
{
	char name[300], value[320], domain[300];
	size_t n;

	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	memset(name, 'a', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	snprintf(value, sizeof(value), "u@%s", name);
	ck_assert_int_eq(pw_from_parse(value, &n, domain, sizeof(domain), NULL, 0), PW_FROM_OK);
	ck_assert_str_eq(domain, name);
	snprintf(value, sizeof(value), "u@%s.", name);
	ck_assert_int_eq(pw_from_parse(value, &n, domain, sizeof(domain), NULL, 0), PW_FROM_OK);
	ck_assert_str_eq(domain, name);
	snprintf(value, sizeof(value), "u@b%s", name);
	ck_assert_int_eq(pw_from_parse(value, &n, domain, sizeof(domain), NULL, 0),
			 PW_FROM_NODOMAIN);
	ck_assert_str_eq(domain, "");
	ck_assert_uint_eq(n, 1);
	snprintf(value, sizeof(value), "u@b%s.", name);
	ck_assert_int_eq(pw_from_parse(value, &n, domain, sizeof(domain), NULL, 0),
			 PW_FROM_NODOMAIN);
	/* the second mailbox's length is checked too */
	snprintf(value, sizeof(value), "u@x, v@b%s", name);
	ck_assert_int_eq(pw_from_parse(value, &n, domain, sizeof(domain), NULL, 0),
			 PW_FROM_NODOMAIN);
	ck_assert_uint_eq(n, 2);
}
END_TEST

/* from_buffers - DOMAIN exactly fitting, one too small, absent; WHY short or absent; N
 * absent; nothing written past any buffer */
START_TEST(from_buffers)
{
	char domain[32], why[32];
	size_t n = 99;

	/* "example.com" is 11 octets + NUL */
	memset(domain, SENTINEL, sizeof(domain));
	ck_assert_int_eq(pw_from_parse("A <a@Example.COM>", &n, domain, 12, NULL, 0), PW_FROM_OK);
	ck_assert_str_eq(domain, "example.com");
	ck_assert_int_eq(domain[12], SENTINEL);
	memset(domain, SENTINEL, sizeof(domain));
	memset(why, SENTINEL, sizeof(why));
	ck_assert_int_eq(pw_from_parse("A <a@Example.COM>", &n, domain, 11, why, sizeof(why)),
			 PW_FROM_NODOMAIN);
	ck_assert_str_eq(domain, "");
	ck_assert_int_eq(domain[11], SENTINEL);
	ck_assert_str_eq(why, "mailbox 1: domain does not fit ");	/* 31 octets + NUL */
	ck_assert_uint_eq(n, 1);
	/* only the first mailbox's domain must fit */
	ck_assert_int_eq(pw_from_parse("a@b.c, d@much-longer.example", &n, domain, 6, NULL, 0),
			 PW_FROM_OK);
	ck_assert_str_eq(domain, "b.c");
	ck_assert_uint_eq(n, 2);
	/* no room at all */
	memset(domain, SENTINEL, sizeof(domain));
	ck_assert_int_eq(pw_from_parse("a@b.c", &n, domain, 0, NULL, 0), PW_FROM_NODOMAIN);
	ck_assert_int_eq(domain[0], SENTINEL);
	ck_assert_int_eq(pw_from_parse("a@b.c", &n, NULL, 64, NULL, 0), PW_FROM_NODOMAIN);
	/* ... which does not matter when there is no mailbox */
	ck_assert_int_eq(pw_from_parse("g:;", &n, NULL, 0, NULL, 0), PW_FROM_OK);
	ck_assert_uint_eq(n, 0);
	/* short and absent WHY; absent N */
	memset(why, SENTINEL, sizeof(why));
	ck_assert_int_eq(pw_from_parse("a@b.c x", &n, domain, sizeof(domain), why, 8),
			 PW_FROM_SYNTAX);
	ck_assert_str_eq(why, "expecte");
	ck_assert_int_eq(why[8], SENTINEL);
	ck_assert_int_eq(pw_from_parse("a@b.c x", &n, domain, sizeof(domain), why, 1),
			 PW_FROM_SYNTAX);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(pw_from_parse("a@b.c x", &n, domain, sizeof(domain), NULL, 99),
			 PW_FROM_SYNTAX);
	ck_assert_int_eq(pw_from_parse("a@b.c", NULL, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	ck_assert_str_eq(domain, "b.c");
	ck_assert_str_eq(why, "");
	/* NULL value */
	n = 99;
	ck_assert_int_eq(pw_from_parse(NULL, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_SYNTAX);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(domain, "");
	ck_assert_str_eq(why, "no value");
}
END_TEST

/* ---- Authentication-Results ------------------------------------------------------------------ */

#define AR_NRI 4		/* resinfos the table checks (and passes as MAX) */

#define RI(m, r) .method = (m), .result = (r)

struct want_ri {
	const char *method, *result;
	const char *mailfrom, *helo, *hfrom;	/* NULL: "" */
};

static const struct {
	const char *value;
	int want;
	const char *authserv;		/* NULL: "" */
	struct want_ri ri[AR_NRI];
} ar_cases[] = {
	/* real-world fields */
	{ " mx.example.org; spf=pass (sender SPF authorized) smtp.mailfrom=example.com "
	  "(client-ip=192.0.2.1); dkim=pass header.d=example.com header.s=s1 header.b=AbCd1234; "
	  "dmarc=pass (p=reject dis=none) header.from=example.com", 3, "mx.example.org",
	  { { RI("spf", "pass"), .mailfrom = "example.com" }, { RI("dkim", "pass") },
	    { RI("dmarc", "pass"), .hfrom = "example.com" } } },
	{ " mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 "
	  "header.b=x2y3;\r\n       spf=pass (google.com: domain of a@example.com designates "
	  "192.0.2.1 as permitted sender) smtp.mailfrom=a@example.com;\r\n       dmarc=pass "
	  "(p=NONE sp=NONE dis=NONE) header.from=example.com", 3, "mx.google.com",
	  { { RI("dkim", "pass") }, { RI("spf", "pass"), .mailfrom = "a@example.com" },
	    { RI("dmarc", "pass"), .hfrom = "example.com" } } },
	{ " mx.google.com;\r\n       dkim=pass header.i=@gmail.com header.s=20230601 "
	  "header.b=\"QzZwwS/+\";\r\n       arc=pass (i=1 spf=pass spfdomain=example.com dkim=pass "
	  "dkdomain=example.com dmarc=pass fromdomain=example.com);\r\n       spf=pass "
	  "(google.com: domain of x@example.com designates 192.0.2.1 as permitted sender) "
	  "smtp.mailfrom=x@example.com", 3, "mx.google.com",
	  { { RI("dkim", "pass") }, { RI("arc", "pass") },
	    { RI("spf", "pass"), .mailfrom = "x@example.com" } } },
	{ " mail.example.net;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com "
	  "header.i=@example.com header.a=rsa-sha256 header.s=s1 header.b=\"AbC/dE+1\"", 1,
	  "mail.example.net", { { RI("dkim", "pass") } } }, /* OpenDKIM */
	{ " ox.io; dkim=fail reason=\"key not found in DNS\" (0-bit key; unprotected) "
	  "header.d=some.example header.i=@some.example header.b=\"yYNhMf8S\"; dkim-atps=neutral",
	  2, "ox.io", { { RI("dkim", "fail") }, { RI("dkim-atps", "neutral") } } },
	{ " mx.example.org; dmarc=fail (p=reject dis=reject) header.from=Example.COM", 1,
	  "mx.example.org", { { RI("dmarc", "fail"), .hfrom = "Example.COM" } } }, /* OpenDMARC */
	{ " mx.example.org; spf=pass (mailfrom) smtp.mailfrom=example.com (client-ip=192.0.2.1; "
	  "helo=mail.example.com; envelope-from=user@example.com; receiver=<UNKNOWN>)", 1,
	  "mx.example.org",
	  { { RI("spf", "pass"), .mailfrom = "example.com" } } }, /* pypolicyd-spf */
	{ " mx.example.org; spf=none (helo) smtp.helo=mail.example.com (client-ip=192.0.2.1; "
	  "helo=mail.example.com; envelope-from=<>; receiver=<UNKNOWN>)", 1, "mx.example.org",
	  { { RI("spf", "none"), .helo = "mail.example.com" } } },
	{ " mx.example.org;\n\tdkim=pass header.d=example.com header.s=dkim header.b=\"DRIE/hB5\";"
	  "\n\tspf=pass (mx.example.org: domain of user1@example.com designates 192.0.2.1 as "
	  "permitted sender) smtp.mailfrom=user1@example.com;\n\tdmarc=pass (policy=quarantine) "
	  "header.from=example.com", 3, "mx.example.org", /* rspamd */
	  { { RI("dkim", "pass") }, { RI("spf", "pass"), .mailfrom = "user1@example.com" },
	    { RI("dmarc", "pass"), .hfrom = "example.com" } } },
	{ " relay.example; spf=pass smtp.mailfrom=\"wordpress=x.example@mail1.example\"", 1,
	  "relay.example",
	  { { RI("spf", "pass"), .mailfrom = "wordpress=x.example@mail1.example" } } },
	{ " relay.example; arc=pass (\"mailchannels.net:s=arc-2022:i=1\")", 1, "relay.example",
	  { { RI("arc", "pass") } } },
	/* the examples of the brief */
	{ " example.org 1; none", 0, "example.org", { { .method = NULL } } },
	{ " example.org; spf=pass smtp.mailfrom=\"user@example.com\"", 1, "example.org",
	  { { RI("spf", "pass"), .mailfrom = "user@example.com" } } },
	{ " \"quoted.id\"; spf=neutral", 1, "quoted.id", { { RI("spf", "neutral") } } },
	{ " (comment) host.example (c2); spf = fail smtp . mailfrom = x@y", 1, "host.example",
	  { { RI("spf", "fail"), .mailfrom = "x@y" } } },
	/* authserv-id, version, none */
	{ "Host.Example; spf=pass", 1, "Host.Example", { { RI("spf", "pass") } } },
	{ "\"q\\\"x\"; spf=pass", 1, "q\"x", { { RI("spf", "pass") } } },
	{ "host 12345; spf=pass", 1, "host", { { RI("spf", "pass") } } },
	{ "host(c)1(c);none", 0, "host", { { .method = NULL } } },
	{ "host; NONE", 0, "host", { { .method = NULL } } },
	{ "host;none", 0, "host", { { .method = NULL } } },
	{ "host; none (nothing) ", 0, "host", { { .method = NULL } } },
	{ "host; none=pass", 1, "host", { { RI("none", "pass") } } }, /* a method called none */
	/* methods, results, versions, case */
	{ "host; SPF=PASS smtp.MailFrom=a@Example.COM", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "a@Example.COM" } } },
	{ "host; dkim/1=pass header.d=example.com", 1, "host", { { RI("dkim", "pass") } } },
	{ "host; dkim (c) / (c) 1 (c) = (c) pass", 1, "host", { { RI("dkim", "pass") } } },
	{ "host; x-custom-method=some-result", 1, "host",
	  { { RI("x-custom-method", "some-result") } } },
	{ "host; -a=-b", 1, "host", { { RI("-a", "-b") } } }, /* Ldh-str may start with '-' */
	{ "host;spf=pass", 1, "host", { { RI("spf", "pass") } } },
	{ "host ; spf=pass ; dkim=none", 2, "host",
	  { { RI("spf", "pass") }, { RI("dkim", "none") } } },
	{ "host;\r\n\tspf=pass\r\n", 1, "host", { { RI("spf", "pass") } } },
	{ "host; spf=pass smtp.mailfrom=example.com; spf=fail smtp.mailfrom=other.example", 2,
	  "host",
	  { { RI("spf", "pass"), .mailfrom = "example.com" },
	    { RI("spf", "fail"), .mailfrom = "other.example" } } },
	{ "host; a=b; c=d; e=f; g=h; i=j; k=l", 6, "host",
	  { { RI("a", "b") }, { RI("c", "d") }, { RI("e", "f") },
	    { RI("g", "h") } } }, /* more than MAX */
	/* reasons, properties, values */
	{ "host; dkim=pass reason=\"good\" header.d=x.example", 1, "host",
	  { { RI("dkim", "pass") } } },
	{ "host; dkim=pass Reason = good", 1, "host", { { RI("dkim", "pass") } } },
	{ "host; dkim=pass reason.x=y", 1, "host", { { RI("dkim", "pass") } } }, /* a ptype */
	{ "host; spf=pass smtp.helo=mail.example.com", 1, "host",
	  { { RI("spf", "pass"), .helo = "mail.example.com" } } },
	{ "host; spf=none smtp.helo=mail.example.com smtp.mailfrom=postmaster@mail.example.com", 1,
	  "host",
	  { { RI("spf", "none"), .mailfrom = "postmaster@mail.example.com",
	      .helo = "mail.example.com" } } },
	{ "host; SPF=Pass SMTP.MAILFROM=a@b.example Header.From=b.example", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "a@b.example", .hfrom = "b.example" } } },
	{ "host; spf=pass smtp.mailfrom=@example.com", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "@example.com" } } },
	{ "host; spf=pass smtp.mailfrom=\"a b\"@example.com", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "\"a b\"@example.com" } } },
	{ "host; spf=pass smtp.mailfrom=\"a\\\"b@example.com\"", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "a\"b@example.com" } } },
	{ "host; spf=pass smtp.mailfrom=first.example smtp.mailfrom=second.example", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "first.example" } } }, /* the first one is kept */
	{ "host; spf=pass header.from=\"\"", 1, "host", { { RI("spf", "pass") } } },
	{ "host; dmarc=pass header.from=b\xc3\xbc" "cher.example", 1, "host",
	  { { RI("dmarc", "pass"), .hfrom = "b\xc3\xbc" "cher.example" } } },
	{ "host; spf=pass smtp.mailfrom=j\xc3\xb6rg@b\xc3\xbc" "cher.example", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "j\xc3\xb6rg@b\xc3\xbc" "cher.example" } } },
	{ "host; auth=pass smtp.auth=user@example.com", 1, "host", { { RI("auth", "pass") } } },
	{ "host; iprev=pass policy.iprev=192.0.2.1 (mail.example.com)", 1, "host",
	  { { RI("iprev", "pass") } } },
	{ "host; spf=pass (a (nested (comment))) smtp.mailfrom=x.example", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "x.example" } } },
	{ "host; dkim=pass header.d=\"a\"header.s=\"b\"", 1, "host", { { RI("dkim", "pass") } } },
	{ "host; spf=pass smtp.mailfrom=a.b@c-d.example", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "a.b@c-d.example" } } },
	{ "host; spf=pass smtp.mailfrom=\r\n a@example.com", 1, "host",
	  { { RI("spf", "pass"), .mailfrom = "a@example.com" } } },
	/* syntax errors: the brief's */
	{ "", -1, NULL, { { .method = NULL } } },
	{ ";", -1, NULL, { { .method = NULL } } },
	{ "host; =pass", -1, NULL, { { .method = NULL } } },
	{ "host; spf", -1, NULL, { { .method = NULL } } },
	{ "host; spf=", -1, NULL, { { .method = NULL } } },
	{ "host spf=pass", -1, NULL, { { .method = NULL } } },
	{ "host (x; spf=pass", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass (x", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass x)", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass (x))", -1, NULL, { { .method = NULL } } },
	/* syntax errors: structure */
	{ "   ", -1, NULL, { { .method = NULL } } },
	{ "host", -1, NULL, { { .method = NULL } } },
	{ "host;", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass;", -1, NULL, { { .method = NULL } } },
	{ "host; none; spf=pass", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass; none", -1, NULL, { { .method = NULL } } },
	{ "host; none extra", -1, NULL, { { .method = NULL } } },
	{ "host 1x; spf=pass", -1, NULL, { { .method = NULL } } },
	{ "host 1 2; none", -1, NULL, { { .method = NULL } } },
	{ "\"host\"1; none", -1, NULL, { { .method = NULL } } },
	{ "ho/st; spf=pass", -1, NULL, { { .method = NULL } } },
	{ "ho@st; spf=pass", -1, NULL, { { .method = NULL } } },
	{ "\"unterminated; spf=pass", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass\r\nX", -1, NULL, { { .method = NULL } } },
	/* syntax errors: methodspec */
	{ "host; spf-=pass", -1, NULL, { { .method = NULL } } },
	{ "host; sp_f=pass", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pa$$", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass-", -1, NULL, { { .method = NULL } } },
	{ "host; spf = = pass", -1, NULL, { { .method = NULL } } },
	{ "host; dkim/=pass", -1, NULL, { { .method = NULL } } },
	{ "host; dkim/v1=pass", -1, NULL, { { .method = NULL } } },
	{ "host; \"spf\"=pass", -1, NULL, { { .method = NULL } } },
	{ "host; spf=\"pass\"", -1, NULL, { { .method = NULL } } },
	/* syntax errors: reasonspec, propspec, pvalue */
	{ "host; spf=pass smtp.mailfrom", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp=x", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=;", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=a@", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=<a@example.com>", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=a@example.com.", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=a..b@example.com", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=a@-example.com", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=a@ex_ample.com", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp..mailfrom=x", -1, NULL, { { .method = NULL } } },
	{ "host; dkim=pass header.b=abc/def", -1, NULL, { { .method = NULL } } },
	{ "host; dkim=pass header.d=a.example header.s", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass reason=\"a\" reason=\"b\"", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass header.d=x reason=y", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass reason=", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass reason=\"x\"smtp.helo=y", -1, NULL, { { .method = NULL } } },
	{ "host; spf=pass smtp.mailfrom=\"unterminated", -1, NULL, { { .method = NULL } } },
	/* Microsoft's "action=none" is not a propspec: the whole field is refused */
	{ "mx.microsoft.com; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; "
	  "dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none "
	  "header.from=example.com;compauth=pass reason=100", -1, NULL, { { .method = NULL } } },
};

/* eq_or_empty - A equals WANT, a NULL WANT meaning "" */
static bool eq_or_empty(const char *a, const char *want)
{
	return strcmp(a, want != NULL ? want : "") == 0;
}

/* ar_table - the table above; nothing written past RI[AR_NRI - 1] or AUTHSERV */
START_TEST(ar_table)
{
	struct pw_ar_resinfo ri[AR_NRI + 1];
	char authserv[64 + 1];
	const char *v = ar_cases[_i].value;
	int got;

	memset(ri, SENTINEL, sizeof(ri));
	memset(authserv, SENTINEL, sizeof(authserv));
	got = pw_ar_parse(v, authserv, sizeof(authserv) - 1, ri, AR_NRI);
	ck_assert_msg(got == ar_cases[_i].want, "\"%s\": got %d, expected %d", v, got,
		      ar_cases[_i].want);
	ck_assert_msg(eq_or_empty(authserv, ar_cases[_i].authserv),
		      "\"%s\": authserv-id \"%s\"", v, authserv);
	ck_assert_int_eq(authserv[64], SENTINEL);
	ck_assert_int_eq(ri[AR_NRI].method[0], SENTINEL);
	for (int i = 0; i < got && i < AR_NRI; i++) {
		const struct want_ri *w = &ar_cases[_i].ri[i];

		ck_assert_msg(eq_or_empty(ri[i].method, w->method) &&
			      eq_or_empty(ri[i].result, w->result),
			      "\"%s\" #%d: %s=%s", v, i, ri[i].method, ri[i].result);
		ck_assert_msg(eq_or_empty(ri[i].mailfrom, w->mailfrom),
			      "\"%s\" #%d: smtp.mailfrom \"%s\"", v, i, ri[i].mailfrom);
		ck_assert_msg(eq_or_empty(ri[i].helo, w->helo),
			      "\"%s\" #%d: smtp.helo \"%s\"", v, i, ri[i].helo);
		ck_assert_msg(eq_or_empty(ri[i].header_from, w->hfrom),
			      "\"%s\" #%d: header.from \"%s\"", v, i, ri[i].header_from);
	}
}
END_TEST

/* ar_nesting - comments nested exactly PW_HDR_MAX_NEST deep pass, one deeper fails,
 * wherever the comment is */
START_TEST(ar_nesting)
{
	static const struct {
		const char *before, *after;
	} frames[] = {
		{ "", " host; spf=pass" }, { "host ", "; spf=pass" }, { "host; spf=pass ", "" },
		{ "host; spf=pass smtp.helo=x ", "" }, { "host; spf ", " = pass" },
	};
	char cm[64], buf[128], authserv[64];
	struct pw_ar_resinfo ri[1];

	for (size_t f = 0; f < NELEM(frames); f++)
		for (int depth = 1; depth <= PW_HDR_MAX_NEST + 1; depth++) {
			size_t len = 0;

			for (int i = 0; i < depth; i++)
				cm[len++] = '(';
			for (int i = 0; i < depth; i++)
				cm[len++] = ')';
			cm[len] = '\0';
			snprintf(buf, sizeof(buf), "%s%s%s", frames[f].before, cm, frames[f].after);
			ck_assert_msg(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 1) ==
				      (depth <= PW_HDR_MAX_NEST ? 1 : -1), "\"%s\"", buf);
		}
}
END_TEST

/* ar_buffers - AUTHSERV, method, result and kept values: exactly fitting, one too long */
START_TEST(ar_buffers)
{
	struct pw_ar_resinfo ri[2];
	char authserv[16], buf[1024], val[300];

	/* authserv-id: 11 octets need 12 */
	memset(authserv, SENTINEL, sizeof(authserv));
	ck_assert_int_eq(pw_ar_parse("example.org; none", authserv, 12, ri, 2), 0);
	ck_assert_str_eq(authserv, "example.org");
	memset(authserv, SENTINEL, sizeof(authserv));
	ck_assert_int_eq(pw_ar_parse("example.org; none", authserv, 11, ri, 2), -1);
	ck_assert_str_eq(authserv, "");
	ck_assert_int_eq(authserv[11], SENTINEL);
	ck_assert_int_eq(pw_ar_parse("\"example.org\"; none", authserv, 11, ri, 2), -1);
	ck_assert_int_eq(pw_ar_parse("\"example.org\"; none", authserv, 12, ri, 2), 0);
	ck_assert_str_eq(authserv, "example.org");
	ck_assert_int_eq(pw_ar_parse("example.org; none", authserv, 0, ri, 2), -1);
	ck_assert_int_eq(pw_ar_parse("example.org; none", NULL, 64, ri, 2), -1);
	ck_assert_int_eq(pw_ar_parse(NULL, authserv, sizeof(authserv), ri, 2), -1);

	/* method and result: 31 octets fit, 32 are a syntax error (never truncated) */
	memset(val, 'm', 32);
	val[32] = '\0';
	snprintf(buf, sizeof(buf), "h; %.31s=pass", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), 1);
	ck_assert_uint_eq(strlen(ri[0].method), 31);
	snprintf(buf, sizeof(buf), "h; %s=pass", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), -1);
	ck_assert_str_eq(ri[0].method, "");		/* cleared on error */
	snprintf(buf, sizeof(buf), "h; spf=%.31s", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), 1);
	ck_assert_uint_eq(strlen(ri[0].result), 31);
	snprintf(buf, sizeof(buf), "h; spf=%s", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), -1);
	snprintf(buf, sizeof(buf), "h; spf/1=%s", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), -1);

	/* kept values: 255 octets fit, 256 are dropped to "" (the parse goes on) */
	memset(val, 'v', 256);
	val[256] = '\0';
	snprintf(buf, sizeof(buf), "h; spf=pass smtp.mailfrom=%.255s smtp.helo=%s "
		 "header.from=\"%.255s\"; dkim=pass", val, val, val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), 2);
	ck_assert_uint_eq(strlen(ri[0].mailfrom), 255);
	ck_assert_str_eq(ri[0].helo, "");
	ck_assert_uint_eq(strlen(ri[0].header_from), 255);
	ck_assert_str_eq(ri[1].method, "dkim");
	snprintf(buf, sizeof(buf), "h; spf=pass smtp.mailfrom=\"%s\"", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), 1);
	ck_assert_str_eq(ri[0].mailfrom, "");
	/* a "user@domain" value as given: 256 octets dropped too */
	snprintf(buf, sizeof(buf), "h; spf=pass smtp.mailfrom=u@%.253s", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), 1);
	ck_assert_uint_eq(strlen(ri[0].mailfrom), 255);
	snprintf(buf, sizeof(buf), "h; spf=pass smtp.mailfrom=u@%.254s", val);
	ck_assert_int_eq(pw_ar_parse(buf, authserv, sizeof(authserv), ri, 2), 1);
	ck_assert_str_eq(ri[0].mailfrom, "");
}
END_TEST

/* ar_max - MAX 0 or RI NULL only count; entries past MAX are not written */
START_TEST(ar_max)
{
	struct pw_ar_resinfo ri[3];
	char authserv[64];
	const char *v = "host; spf=pass; dkim=pass; dmarc=fail";

	memset(ri, SENTINEL, sizeof(ri));
	ck_assert_int_eq(pw_ar_parse(v, authserv, sizeof(authserv), ri, 0), 3);
	ck_assert_int_eq(ri[0].method[0], SENTINEL);
	ck_assert_int_eq(pw_ar_parse(v, authserv, sizeof(authserv), NULL, 5), 3);
	ck_assert_int_eq(pw_ar_parse(v, authserv, sizeof(authserv), ri, 1), 3);
	ck_assert_str_eq(ri[0].method, "spf");
	ck_assert_int_eq(ri[1].method[0], SENTINEL);
	ck_assert_int_eq(pw_ar_parse(v, authserv, sizeof(authserv), ri, 3), 3);
	ck_assert_str_eq(ri[2].method, "dmarc");
	ck_assert_str_eq(ri[2].result, "fail");
	/* a syntax error after entries were stored clears them */
	ck_assert_int_eq(pw_ar_parse("host; spf=pass smtp.mailfrom=a.example; dkim=", authserv,
				     sizeof(authserv), ri, 3), -1);
	ck_assert_str_eq(ri[0].method, "");
	ck_assert_str_eq(ri[0].mailfrom, "");
	ck_assert_str_eq(ri[1].method, "");
	ck_assert_str_eq(authserv, "");
}
END_TEST

/* ---- pw_ar_domain ---------------------------------------------------------------------------- */

static const struct {
	const char *value;
	const char *domain;	/* "": none (0) */
} dom_cases[] = {
	{ "user@Example.COM.", "example.com" },
	{ "user@example.com", "example.com" },
	{ "<a@b.c>", "b.c" },
	{ "b.c", "b.c" },
	{ "B.C.", "b.c" },
	{ "@example.com", "example.com" },			/* header.i */
	{ "  a@b.example \t", "b.example" },
	{ "\"a@b\"@c.d", "c.d" },
	{ "\"a\\\"@b\"@c.d", "c.d" },
	{ "\"x y@z\"@Q.Example", "q.example" },
	{ "<@x.example,@y.example:u@d.example>", "d.example" },	/* source route */
	{ "a@b@c.example", "c.example" },			/* the last '@' */
	{ "postmaster", "postmaster" },				/* bare "dom" */
	{ "b\xc3\xbc" "cher.EXAMPLE", "b\xc3\xbc" "cher.example" },
	{ "", "" },
	{ "   ", "" },
	{ "user@", "" },
	{ "<user@>", "" },
	{ "<>", "" },
	{ "<a@b.c", "" },
	{ "a@b.c>", "" },
	{ "\"a@b\"", "" },					/* the '@' is quoted */
	{ "\"a@b", "" },
	{ "a@[192.0.2.1]", "" },
	{ "a@b..c", "" },
	{ "a@.b", "" },
	{ "a@b..", "" },
	{ "a@.", "" },
	{ "a@b c", "" },
	{ "a@b;c", "" },
	{ "a@\"b\"", "" },
};

/* ar_domain_table - the table above */
START_TEST(ar_domain_table)
{
	char out[64 + 1];
	size_t got;

	memset(out, SENTINEL, sizeof(out));
	got = pw_ar_domain(dom_cases[_i].value, out, sizeof(out) - 1);
	ck_assert_msg(strcmp(out, dom_cases[_i].domain) == 0, "\"%s\": \"%s\", expected \"%s\"",
		      dom_cases[_i].value, out, dom_cases[_i].domain);
	ck_assert_uint_eq(got, strlen(dom_cases[_i].domain));
	ck_assert_int_eq(out[64], SENTINEL);
}
END_TEST

/* ar_domain_buffers - exactly fitting, one too small, no buffer, NULL, 253/254 octets */
START_TEST(ar_domain_buffers)
{
	char out[300], name[300];

	memset(out, SENTINEL, sizeof(out));
	ck_assert_uint_eq(pw_ar_domain("<a@Example.COM>", out, 12), 11);
	ck_assert_str_eq(out, "example.com");
	ck_assert_int_eq(out[12], SENTINEL);
	memset(out, SENTINEL, sizeof(out));
	ck_assert_uint_eq(pw_ar_domain("<a@Example.COM>", out, 11), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(out[1], SENTINEL);
	ck_assert_uint_eq(pw_ar_domain("example.com.", out, 12), 11);	/* the dot is dropped */
	memset(out, SENTINEL, sizeof(out));
	ck_assert_uint_eq(pw_ar_domain("a@b.c", out, 0), 0);
	ck_assert_int_eq(out[0], SENTINEL);
	ck_assert_uint_eq(pw_ar_domain("a@b.c", NULL, 10), 0);
	ck_assert_uint_eq(pw_ar_domain(NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");

	memset(name, 'a', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ck_assert_uint_eq(pw_ar_domain(name, out, sizeof(out)), 253);
	ck_assert_str_eq(out, name);
	name[253] = '.';
	name[254] = '\0';
	ck_assert_uint_eq(pw_ar_domain(name, out, sizeof(out)), 253);
	name[253] = 'a';
	ck_assert_uint_eq(pw_ar_domain(name, out, sizeof(out)), 0);
}
END_TEST

/* ---- very long inputs ------------------------------------------------------------------------ */

/* repeat - a NUL-terminated string: PREFIX, then UNIT repeated to about BIG octets, SUFFIX */
static char *repeat(const char *prefix, const char *unit, const char *suffix)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
	size_t k = BIG / ul, len = pl + k * ul + sl;
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, prefix, pl);
	for (size_t i = 0; i < k; i++)
		memcpy(s + pl + i * ul, unit, ul);
	memcpy(s + pl + k * ul, suffix, sl + 1);
	return s;
}

/* elapsed - seconds of CPU time since START */
static double elapsed(clock_t start)
{
	return (double)(clock() - start) / CLOCKS_PER_SEC;
}

/* long_inputs - 100 KB of commas, 10,000 nested parentheses, a 100 KB quoted string, ...:
 * prompt, sane answers */
START_TEST(long_inputs)
{
	struct pw_ar_resinfo ri[2];
	char domain[256], why[128], authserv[256];
	size_t n;
	clock_t start = clock();
	char *s;

	s = repeat("", ",", "");					/* commas alone */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_SYNTAX);
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), -1);
	free(s);
	s = repeat("", ",", "a@example.com,");		/* ... around one address */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	ck_assert_uint_eq(n, 1);
	free(s);
	s = repeat("g:", ",", ";");				/* ... in a group */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	ck_assert_uint_eq(n, 0);
	free(s);

	s = repeat("", "(", "");					/* 100 KB of '(' */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_SYNTAX);
	ck_assert_str_eq(why, "comments nested too deeply at offset 16");
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), -1);
	free(s);
	{							/* 10,000 nested */
		char *t = malloc(20000 + 32);

		ck_assert_ptr_nonnull(t);
		memset(t, '(', 10000);
		memset(t + 10000, ')', 10000);
		strcpy(t + 20000, " a@example.com");
		ck_assert_int_eq(pw_from_parse(t, &n, domain, sizeof(domain), why, sizeof(why)),
				 PW_FROM_SYNTAX);
		strcpy(t + 20000, " host; spf=pass");
		ck_assert_int_eq(pw_ar_parse(t, authserv, sizeof(authserv), ri, 2), -1);
		free(t);
	}
	s = repeat("", "(x)", "a@example.com");		/* 34,000 flat comments */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	free(s);

	s = repeat("\"", "x", "\" <a@example.com>");		/* 100 KB quoted string */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	ck_assert_str_eq(domain, "example.com");
	free(s);
	s = repeat("\"", "x", "");				/* ... unterminated */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_SYNTAX);
	ck_assert_str_eq(why, "unterminated quoted string at offset 0");
	free(s);
	s = repeat("host; spf=pass smtp.mailfrom=\"", "x", "\"; dkim=pass");
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), 2);
	ck_assert_str_eq(ri[0].mailfrom, "");
	ck_assert_str_eq(ri[1].method, "dkim");
	free(s);
	s = repeat("\"", "x", "\"; none");			/* authserv-id too long */
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), -1);
	free(s);

	s = repeat("a@", "x", "");				/* 100 KB domain */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_NODOMAIN);
	ck_assert_int_eq(pw_ar_domain(s, domain, sizeof(domain)), 0);
	free(s);
	s = repeat("a@", "x.", "");
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_NODOMAIN);
	free(s);
	s = repeat("", "a@b.example,", "");			/* 8,000 mailboxes */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	ck_assert_uint_eq(n, BIG / 12);
	free(s);
	s = repeat("", "John Doe ", "<a@example.com>");	/* long phrase */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	free(s);
	s = repeat("", "\r\n ", "a@example.com");		/* long FWS */
	ck_assert_int_eq(pw_from_parse(s, &n, domain, sizeof(domain), why, sizeof(why)),
			 PW_FROM_OK);
	free(s);
	s = repeat("host", "; a=b x.y=z", "");			/* 9,000 resinfos */
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), BIG / 11);
	free(s);
	s = repeat("host; spf=pass", " x.y=z", "");		/* 17,000 properties */
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), 1);
	free(s);
	s = repeat("", "x", "");				/* 100 KB authserv-id */
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), -1);
	free(s);
	s = repeat("", ";", "");
	ck_assert_int_eq(pw_ar_parse(s, authserv, sizeof(authserv), ri, 2), -1);
	free(s);

	ck_assert_msg(elapsed(start) < 2.0, "long inputs took %.2f s", elapsed(start));
}
END_TEST

/* ---- suite ----------------------------------------------------------------------------------- */

/* mailhdr_suite - every test above */
Suite *mailhdr_suite(void)
{
	Suite *s = suite_create("mailhdr");
	TCase *tc;

	tc = tcase_create("from");
	tcase_add_loop_test(tc, from_table, 0, (int)NELEM(from_cases));
	tcase_add_test(tc, from_reasons);
	tcase_add_loop_test(tc, from_mailbox_same, 0, (int)NELEM(from_cases));
	tcase_add_test(tc, from_mailbox_names);
	tcase_add_test(tc, from_nesting);
	tcase_add_test(tc, from_domain_length);
	tcase_add_test(tc, from_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("authres");
	tcase_add_loop_test(tc, ar_table, 0, (int)NELEM(ar_cases));
	tcase_add_test(tc, ar_nesting);
	tcase_add_test(tc, ar_buffers);
	tcase_add_test(tc, ar_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("ar_domain");
	tcase_add_loop_test(tc, ar_domain_table, 0, (int)NELEM(dom_cases));
	tcase_add_test(tc, ar_domain_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("long");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, long_inputs);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef CHECK_MAILHDR_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(mailhdr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
