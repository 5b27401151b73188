/*
 * policy/addr.h - mail addresses, domains and IP networks as policy sees them.
 *
 * Pure functions on strings and bytes; no DNS, no sockets.  Domains are compared
 * case-insensitively (ASCII) with one trailing dot ignored.  A domain pattern
 * "example.com" matches that domain only; ".example.com" matches every subdomain of it
 * (not example.com itself), as in Postfix's parent_domain_matches_subdomains-free style.
 */
#ifndef POSTWARD_POLICY_ADDR_H
#define POSTWARD_POLICY_ADDR_H

#include <stdbool.h>
#include <stddef.h>

struct pw_ipaddr {
	int family;			/* 4 or 6; 0 = unknown */
	unsigned char a[16];		/* network byte order; IPv4 uses a[0..3] */
};

struct pw_network {
	struct pw_ipaddr addr;		/* host bits are zero */
	unsigned prefix;		/* 0..32 or 0..128 */
};

/* pw_addr_domain - copy the lower-cased domain of an envelope address ("<a@B.c>", "a@b",
 * source routes and quoted local parts handled) into buf; returns false if there is none
 * (null sender "<>", no '@', empty domain, or buf too small) */
bool pw_addr_domain(const char *addr, char *buf, size_t len);
/* pw_domain_valid - is S a syntactically plausible domain name or domain pattern */
bool pw_domain_valid(const char *s, bool allow_leading_dot);
/* pw_domain_match - does DOMAIN match PATTERN (see the header comment) */
bool pw_domain_match(const char *pattern, const char *domain);
/* pw_ip_parse - parse an IPv4 or IPv6 literal (an IPv4-mapped IPv6 address becomes IPv4) */
bool pw_ip_parse(const char *s, struct pw_ipaddr *out);
/* pw_network_parse - parse "ADDR" or "ADDR/PREFIX"; *why gets a reason on failure */
bool pw_network_parse(const char *s, struct pw_network *out, const char **why);
/* pw_network_contains - is ADDR inside NET */
bool pw_network_contains(const struct pw_network *net, const struct pw_ipaddr *addr);

#endif
