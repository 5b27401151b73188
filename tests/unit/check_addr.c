/*
 * tests/unit/check_addr.c - policy/addr.c: envelope domains, domain patterns, IP networks.
 * Contract: policy/addr.h.
 */
#include "check_policy.h"

#include <stdio.h>

#include "policy/addr.h"

/* ---- pw_addr_domain ------------------------------------------------------------------ */

static const struct {
	const char *addr;
	const char *domain;	/* NULL: no domain */
} addr_domains[] = {
	{ "<user@example.com>", "example.com" },
	{ "user@example.com", "example.com" },
	{ "<User@Mail.EXAMPLE.Com>", "mail.example.com" },
	{ "<user@example.com.>", "example.com" },		/* trailing dot */
	{ "user@EXAMPLE.org.", "example.org" },
	{ "<\"a@b\"@c.example>", "c.example" },		/* quoted local part with '@' */
	{ "\"a@b\"@C.Example", "c.example" },
	{ "<\"a\\\"@b\"@c.example>", "c.example" },		/* escaped quote inside the quotes */
	{ "<\"x y@z\"@q.example>", "q.example" },
	{ "<@x.example,@y.example:u@d.example>", "d.example" },	/* source route */
	{ "<@x.example:u@D.EXAMPLE>", "d.example" },
	{ "@relay.example:user@dest.example", "dest.example" },
	{ "<@x.example,@y.example:\"q@r\"@s.example>", "s.example" },
	{ "<>", NULL },						/* null sender */
	{ "", NULL },
	{ "postmaster", NULL },
	{ "<postmaster>", NULL },
	{ "user@", NULL },
	{ "<user@>", NULL },
	{ "<user@.>", NULL },
	{ "<\"a@b\">", NULL },					/* the '@' is quoted */
};

START_TEST(addr_domain_table)
{
	char buf[256];
	const char *want = addr_domains[_i].domain;

	memset(buf, 'Q', sizeof(buf));
	bool ok = pw_addr_domain(addr_domains[_i].addr, buf, sizeof(buf));
	if (want == NULL) {
		ck_assert_msg(!ok, "pw_addr_domain(%s) found \"%s\", expected none",
			      addr_domains[_i].addr, buf);
	} else {
		ck_assert_msg(ok, "pw_addr_domain(%s) found nothing, expected \"%s\"",
			      addr_domains[_i].addr, want);
		ck_assert_str_eq(buf, want);
	}
}
END_TEST

START_TEST(addr_domain_buffer_size)
{
	char buf[32];

	/* "example.com" is 11 bytes + NUL */
	ck_assert(pw_addr_domain("<a@example.com>", buf, 12));
	ck_assert_str_eq(buf, "example.com");
	memset(buf, 'Q', sizeof(buf));
	ck_assert(!pw_addr_domain("<a@example.com>", buf, 11));
	ck_assert_int_eq(buf[11], 'Q');		/* nothing written past len */
	ck_assert(!pw_addr_domain("<a@example.com>", buf, 0));
}
END_TEST

/* ---- pw_domain_valid ----------------------------------------------------------------- */

START_TEST(domain_valid)
{
	char label63[80], label64[80];

	ck_assert(pw_domain_valid("example.com", false));
	ck_assert(pw_domain_valid("example.com", true));
	ck_assert(pw_domain_valid("Mail-1.Example.COM", false));
	ck_assert(pw_domain_valid("xn--bcher-kva.example", false));
	ck_assert(pw_domain_valid("localhost", false));
	ck_assert(pw_domain_valid("example.com.", false));
	ck_assert(pw_domain_valid(".example.com", true));
	ck_assert(!pw_domain_valid(".example.com", false));
	ck_assert(!pw_domain_valid("", false));
	ck_assert(!pw_domain_valid("", true));
	ck_assert(!pw_domain_valid(".", true));
	ck_assert(!pw_domain_valid("..example.com", true));
	ck_assert(!pw_domain_valid("a..b", false));
	ck_assert(!pw_domain_valid("ex!ample.com", false));
	ck_assert(!pw_domain_valid("exa mple.com", false));
	ck_assert(!pw_domain_valid("user@example.com", false));
	ck_assert(!pw_domain_valid("192.0.2.0/24", false));

	memset(label63, 'a', 63);
	snprintf(label63 + 63, sizeof(label63) - 63, ".example");
	memset(label64, 'a', 64);
	snprintf(label64 + 64, sizeof(label64) - 64, ".example");
	ck_assert(pw_domain_valid(label63, false));
	ck_assert(!pw_domain_valid(label64, false));
}
END_TEST

/* ---- pw_domain_match ----------------------------------------------------------------- */

static const struct {
	const char *pattern, *domain;
	bool match;
} domain_matches[] = {
	{ "example.com", "example.com", true },
	{ "example.com", "EXAMPLE.Com", true },
	{ "Example.COM", "example.com", true },
	{ "example.com", "example.com.", true },
	{ "example.com.", "example.com", true },
	{ "example.com", "www.example.com", false },	/* exact: no subdomains */
	{ "example.com", "xexample.com", false },
	{ "example.com", "example.co", false },
	{ "example.com", "example.com.au", false },
	{ "example.com", "", false },
	{ ".example.com", "example.com", false },	/* .pattern: subdomains only */
	{ ".example.com", "example.com.", false },
	{ ".example.com", "www.example.com", true },
	{ ".example.com", "a.b.example.com", true },
	{ ".example.com", "WWW.EXAMPLE.COM.", true },
	{ ".Example.Com", "mail.example.com", true },
	{ ".example.com", "badexample.com", false },
	{ ".example.com", "xexample.com", false },
	{ ".example.com", "com", false },
	{ ".example.com", "www.example.com.evil", false },
	{ ".example.com", "", false },
	{ ".example.com", ".example.com", false },	/* an empty label is no subdomain */
};

START_TEST(domain_match_table)
{
	bool got = pw_domain_match(domain_matches[_i].pattern, domain_matches[_i].domain);
	ck_assert_msg(got == domain_matches[_i].match, "pw_domain_match(\"%s\", \"%s\") = %d, expected %d",
		      domain_matches[_i].pattern, domain_matches[_i].domain, got,
		      domain_matches[_i].match);
}
END_TEST

/* ---- pw_ip_parse --------------------------------------------------------------------- */

static const struct {
	const char *text;
	int family;			/* 0: must not parse */
	unsigned char a[16];
} ips[] = {
	{ "192.0.2.1", 4, { 192, 0, 2, 1 } },
	{ "0.0.0.0", 4, { 0 } },
	{ "255.255.255.255", 4, { 255, 255, 255, 255 } },
	{ "2001:db8::1", 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "2001:DB8:0:0:0:0:0:1", 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "::1", 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "::", 6, { 0 } },
	{ "fe80::1:2", 6, { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2 } },
	{ "::ffff:192.0.2.1", 4, { 192, 0, 2, 1 } },		/* IPv4-mapped becomes IPv4 */
	{ "::FFFF:10.1.2.3", 4, { 10, 1, 2, 3 } },
	{ "::ffff:c000:0201", 4, { 192, 0, 2, 1 } },
	{ "0:0:0:0:0:ffff:203.0.113.9", 4, { 203, 0, 113, 9 } },
	{ "::192.0.2.1", 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1 } }, /* compatible, not mapped */
	{ "64:ff9b::192.0.2.1", 6, { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1 } },
	{ "", 0, { 0 } },
	{ "1.2.3", 0, { 0 } },
	{ "1.2.3.4.5", 0, { 0 } },
	{ "256.1.1.1", 0, { 0 } },
	{ "1.2.3.4/24", 0, { 0 } },
	{ " 1.2.3.4", 0, { 0 } },
	{ "1.2.3.4 ", 0, { 0 } },
	{ "example.com", 0, { 0 } },
	{ "2001:db8:::1", 0, { 0 } },
	{ "2001:db8::g", 0, { 0 } },
	{ "1:2:3:4:5:6:7:8:9", 0, { 0 } },
	{ "::ffff:1.2.3", 0, { 0 } },
	{ "[::1]", 0, { 0 } },
};

START_TEST(ip_parse_table)
{
	struct pw_ipaddr ip;

	memset(&ip, 0xa5, sizeof(ip));
	bool ok = pw_ip_parse(ips[_i].text, &ip);
	if (ips[_i].family == 0) {
		ck_assert_msg(!ok, "pw_ip_parse(\"%s\") accepted it", ips[_i].text);
		return;
	}
	ck_assert_msg(ok, "pw_ip_parse(\"%s\") refused it", ips[_i].text);
	ck_assert_int_eq(ip.family, ips[_i].family);
	size_t n = ips[_i].family == 4 ? 4 : 16;
	ck_assert_mem_eq(ip.a, ips[_i].a, n);
}
END_TEST

/* ---- pw_network_parse ---------------------------------------------------------------- */

static const struct {
	const char *text;
	int family;
	unsigned prefix;
	unsigned char a[16];
} good_nets[] = {
	{ "192.0.2.0/24", 4, 24, { 192, 0, 2, 0 } },
	{ "192.0.2.1", 4, 32, { 192, 0, 2, 1 } },
	{ "192.0.2.1/32", 4, 32, { 192, 0, 2, 1 } },
	{ "192.0.2.128/25", 4, 25, { 192, 0, 2, 128 } },
	{ "10.0.0.0/8", 4, 8, { 10, 0, 0, 0 } },
	{ "0.0.0.0/0", 4, 0, { 0 } },
	{ "2001:db8::/32", 6, 32, { 0x20, 0x01, 0x0d, 0xb8 } },
	{ "2001:db8:8000::/33", 6, 33, { 0x20, 0x01, 0x0d, 0xb8, 0x80 } },
	{ "2001:db8::1", 6, 128, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "2001:db8::1/128", 6, 128, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "::/0", 6, 0, { 0 } },
	{ "::ffff:192.0.2.1", 4, 32, { 192, 0, 2, 1 } },
};

START_TEST(network_parse_good)
{
	struct pw_network net;
	const char *why = "untouched";

	memset(&net, 0xa5, sizeof(net));
	ck_assert_msg(pw_network_parse(good_nets[_i].text, &net, &why),
		      "pw_network_parse(\"%s\") refused it: %s", good_nets[_i].text,
		      why ? why : "(no reason)");
	ck_assert_int_eq(net.addr.family, good_nets[_i].family);
	ck_assert_uint_eq(net.prefix, good_nets[_i].prefix);
	ck_assert_mem_eq(net.addr.a, good_nets[_i].a, good_nets[_i].family == 4 ? 4 : 16);
}
END_TEST

static const struct {
	const char *text;
	const char *keyword;	/* must appear in *why, or NULL: any non-empty reason */
} bad_nets[] = {
	{ "192.0.2.1/24", NULL },		/* host bits set */
	{ "10.0.0.1/8", NULL },
	{ "192.0.2.129/25", NULL },
	{ "2001:db8::1/32", NULL },
	{ "2001:db8:c000::/33", NULL },
	{ "192.0.2.0/33", "prefix" },
	{ "2001:db8::/129", "prefix" },
	{ "192.0.2.0/", "prefix" },
	{ "192.0.2.0/abc", "prefix" },
	{ "192.0.2.0/-1", "prefix" },
	{ "192.0.2.0/+24", "prefix" },
	{ "192.0.2.0/2x", "prefix" },
	{ "192.0.2.0/ 24", "prefix" },
	{ "192.0.2.0/99999999999999999999999", "prefix" },
	{ "192.0.2.0/24/8", NULL },
	{ "/24", NULL },
	{ "", NULL },
	{ "example.com/24", NULL },
	{ "example.com", NULL },
	{ "192.0.2", NULL },
	{ "192.0.2.0-192.0.2.255", NULL },
};

START_TEST(network_parse_bad)
{
	struct pw_network net;
	const char *why = NULL;

	ck_assert_msg(!pw_network_parse(bad_nets[_i].text, &net, &why),
		      "pw_network_parse(\"%s\") accepted it", bad_nets[_i].text);
	ck_assert_msg(why != NULL && why[0] != '\0', "no reason for \"%s\"", bad_nets[_i].text);
	if (bad_nets[_i].keyword)
		ck_assert_msg(strstr(why, bad_nets[_i].keyword) != NULL,
			      "reason for \"%s\" is \"%s\", expected it to mention \"%s\"",
			      bad_nets[_i].text, why, bad_nets[_i].keyword);
}
END_TEST

/* ---- pw_network_contains ------------------------------------------------------------- */

static const struct {
	const char *net, *addr;
	bool inside;
} contains[] = {
	{ "192.0.2.0/24", "192.0.2.0", true },
	{ "192.0.2.0/24", "192.0.2.77", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.3.0", false },
	{ "192.0.2.0/24", "192.0.1.255", false },
	{ "192.0.2.128/25", "192.0.2.128", true },
	{ "192.0.2.128/25", "192.0.2.200", true },
	{ "192.0.2.128/25", "192.0.2.127", false },
	{ "192.0.2.1", "192.0.2.1", true },
	{ "192.0.2.1", "192.0.2.2", false },
	{ "10.0.0.0/8", "10.255.1.1", true },
	{ "10.0.0.0/8", "11.0.0.1", false },
	{ "10.0.0.0/8", "::ffff:10.1.2.3", true },	/* mapped client inside a v4 network */
	{ "::ffff:10.1.2.3", "10.1.2.3", true },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "2001:db8::1", false },	/* families never mix */
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "192.0.2.1", false },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8:8000::/33", "2001:db8:8000::1", true },
	{ "2001:db8:8000::/33", "2001:db8:ffff::", true },
	{ "2001:db8:8000::/33", "2001:db8:7fff::", false },
	{ "2001:db8::1", "2001:db8::1", true },
	{ "2001:db8::1", "2001:db8::2", false },
	{ "192.0.2.0/31", "192.0.2.1", true },
	{ "192.0.2.0/31", "192.0.2.2", false },
};

START_TEST(network_contains_table)
{
	struct pw_network net;
	struct pw_ipaddr ip;
	const char *why;

	ck_assert_msg(pw_network_parse(contains[_i].net, &net, &why), "network %s: %s",
		      contains[_i].net, why ? why : "?");
	ck_assert_msg(pw_ip_parse(contains[_i].addr, &ip), "address %s", contains[_i].addr);
	ck_assert_msg(pw_network_contains(&net, &ip) == contains[_i].inside,
		      "pw_network_contains(%s, %s) = %d, expected %d", contains[_i].net,
		      contains[_i].addr, !contains[_i].inside, contains[_i].inside);
}
END_TEST

START_TEST(network_contains_unknown_family)
{
	struct pw_network net;
	struct pw_ipaddr ip;
	const char *why;

	ck_assert(pw_network_parse("0.0.0.0/0", &net, &why));
	memset(&ip, 0, sizeof(ip));		/* family 0: client address unknown */
	ck_assert(!pw_network_contains(&net, &ip));
	ck_assert(pw_network_parse("::/0", &net, &why));
	ck_assert(!pw_network_contains(&net, &ip));
}
END_TEST

Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("addr_domain");
	tcase_add_loop_test(tc, addr_domain_table, 0, (int)(sizeof(addr_domains) / sizeof(addr_domains[0])));
	tcase_add_test(tc, addr_domain_buffer_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("domains");
	tcase_add_test(tc, domain_valid);
	tcase_add_loop_test(tc, domain_match_table, 0, (int)(sizeof(domain_matches) / sizeof(domain_matches[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("ip");
	tcase_add_loop_test(tc, ip_parse_table, 0, (int)(sizeof(ips) / sizeof(ips[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("networks");
	tcase_add_loop_test(tc, network_parse_good, 0, (int)(sizeof(good_nets) / sizeof(good_nets[0])));
	tcase_add_loop_test(tc, network_parse_bad, 0, (int)(sizeof(bad_nets) / sizeof(bad_nets[0])));
	tcase_add_loop_test(tc, network_contains_table, 0, (int)(sizeof(contains) / sizeof(contains[0])));
	tcase_add_test(tc, network_contains_unknown_family);
	suite_add_tcase(s, tc);
	return s;
}
