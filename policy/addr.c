/*
 * policy/addr.c - mail addresses, domains and IP networks.
 * Contract: see addr.h.  Pure C: inet_pton() is a parser, not I/O.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* pw_addr_domain - the domain part of an envelope address, lower-cased */
bool pw_addr_domain(const char *addr, char *buf, size_t len)
{
	const char *p = addr, *end, *at = NULL;
	bool quoted = false;

	if (addr == NULL || len == 0)
		return false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '<')
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (end > p && end[-1] == '>')
		end--;
	/* source route "@a,@b:user@domain": skip up to the last ':' before the local part */
	if (*p == '@') {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL)
			return false;
		p = colon + 1;
	}
	/* find the '@' that ends the local part, honouring quotes and backslashes */
	for (const char *q = p; q < end; q++) {
		if (*q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (*q == '"')
			quoted = !quoted;
		else if (*q == '@' && !quoted)
			at = q;
	}
	if (at == NULL || at + 1 >= end)
		return false;
	size_t n = (size_t)(end - (at + 1));
	if (n > 0 && at[n] == '.')	/* trailing dot: at[1 + n - 1] */
		n--;
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)at[1 + i]);
	buf[n] = '\0';
	return true;
}

/* pw_domain_valid - letters, digits, '-', '_', dots; no empty labels; <= 253 */
bool pw_domain_valid(const char *s, bool allow_leading_dot)
{
	size_t n = strlen(s), label = 0;
	if (allow_leading_dot && s[0] == '.') {
		s++;
		n--;
	}
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

/* dlen - length without one trailing dot */
static size_t dlen(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/* pw_domain_match - exact, or subdomain for a leading-dot pattern */
bool pw_domain_match(const char *pattern, const char *domain)
{
	size_t pn, dn;
	if (pattern == NULL || domain == NULL)
		return false;
	pn = dlen(pattern);
	dn = dlen(domain);
	if (pattern[0] == '.') {
		/* ".example.com" matches "x.example.com", not "example.com" */
		if (pn < 2 || dn <= pn)
			return false;
		return strncasecmp(domain + (dn - pn), pattern, pn) == 0;
	}
	return pn == dn && strncasecmp(pattern, domain, pn) == 0;
}

/* pw_ip_parse - IPv4 or IPv6 literal */
bool pw_ip_parse(const char *s, struct pw_ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(out->a, mapped, 12) == 0) {
			memmove(out->a, out->a + 12, 4);
			memset(out->a + 4, 0, 12);
			out->family = 4;
		} else {
			out->family = 6;
		}
		return true;
	}
	return false;
}

/* pw_network_parse - "ADDR[/PREFIX]" */
bool pw_network_parse(const char *s, struct pw_network *out, const char **why)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, prefix;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (n == 0 || n >= sizeof(addr)) {
		*why = "not an IP address";
		return false;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (!pw_ip_parse(addr, &out->addr)) {
		*why = "not an IP address";
		return false;
	}
	max = out->addr.family == 4 ? 32 : 128;
	/* a prefix given on an IPv4-mapped IPv6 address counts from the IPv6 length */
	if (out->addr.family == 4 && strchr(addr, ':') != NULL) {
		if (slash) {
			*why = "use plain IPv4 notation for IPv4-mapped networks";
			return false;
		}
	}
	prefix = max;
	if (slash) {
		const char *p = slash + 1;
		unsigned long v = 0;
		if (*p == '\0') {
			*why = "missing prefix length after \"/\"";
			return false;
		}
		for (; *p; p++) {
			if (!isdigit((unsigned char)*p)) {
				*why = "prefix length is not a number";
				return false;
			}
			v = v * 10 + (unsigned)(*p - '0');
			if (v > max)
				break;
		}
		if (v > max) {
			*why = max == 32 ? "prefix length over 32 for IPv4" : "prefix length over 128 for IPv6";
			return false;
		}
		prefix = (unsigned)v;
	}
	/* host bits must be zero, as in Postfix's cidr tables */
	for (unsigned bit = prefix; bit < max; bit++)
		if (out->addr.a[bit / 8] & (0x80u >> (bit % 8))) {
			*why = "address has bits set beyond the prefix length";
			return false;
		}
	out->prefix = prefix;
	return true;
}

/* pw_network_contains - prefix comparison */
bool pw_network_contains(const struct pw_network *net, const struct pw_ipaddr *addr)
{
	unsigned full, rest;
	if (addr == NULL || addr->family == 0 || addr->family != net->addr.family)
		return false;
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(net->addr.a, addr->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (net->addr.a[full] & mask) == (addr->a[full] & mask);
}
