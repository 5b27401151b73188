/*
 * milter/requiretls/rcptcheck.h - can a recipient domain receive mail that requires TLS?
 * The lookups behind policy/rtlsrcpt.h: DANE (RFC 7672) on postward's validating resolver,
 * then MTA-STS (RFC 8461) through stsfetch.h and the shared stscache.h.
 *
 * DANE, for DOMAIN:
 *   MX DOMAIN        TEMPFAIL -> temp; BOGUS -> bogus; a null MX (RFC 7505) -> no (and no
 *                    MTA-STS either); NXDOMAIN -> no (the domain does not exist); NODATA ->
 *                    the implicit MX, DOMAIN itself (RFC 5321 5.1, RFC 7672 2.2.1); not
 *                    secure -> no.  At most RCPTCHECK_MAX_MX hosts, in preference order.
 *   per MX host      A and AAAA: either one TEMPFAIL -> temp, BOGUS -> bogus; RFC 7672
 *                    2.2.2: TLSA is only looked up when the addresses found are all secure
 *                    (an insecure address RRset -> no DANE for that host; no address at
 *                    all -> the host is unusable);
 *                    TLSA _25._tcp.HOST: TEMPFAIL -> temp, BOGUS -> bogus; secure and at
 *                    least one usable record -> ok; else no.  Usable (RFC 7672 3.1):
 *                    usage DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type 0 (any
 *                    non-empty data), 1 (32 octets) or 2 (64 octets).
 *   the domain       ok when one host is ok (delivery can go there); else bogus if one
 *                    host was bogus, temp if one was temp, otherwise no.  The MX host name is
 *                    the TLSA base name; a CNAME-expanded name is not tried (RFC 7672 2.2.3
 *                    would allow it first).
 * MTA-STS, only when DANE is not ok and not bogus, and the MX RRset was found (whatever its
 * DNSSEC status: RFC 8461 does not need DNSSEC):
 *   TXT _mta-sts.DOMAIN: exactly one record starting "v=STSv1" (policy/mtasts.h); none, or
 *   several, or an invalid one: no TXT.  A cached unexpired policy whose id is the TXT id is
 *   used as it is; a new id, or no cached policy, means a fetch.  The cached policy also
 *   stands when the TXT record is missing or the lookup or the fetch fails (RFC 8461 5.1).
 *   Otherwise: no TXT -> no; TXT lookup failed or bogus -> temp; fetch 404/410 -> no; other
 *   fetch failures -> temp; a policy that does not parse -> no.  A policy: mode enforce and
 *   one MX host matching an mx pattern -> ok; mode testing or none, or no host matching ->
 *   no.  A fetched policy is cached for its max_age (even when it says no).
 *
 * Threads: called from any milter thread at once (the resolver and the cache are shared and
 * thread-safe; everything else is on the stack).
 */
#ifndef POSTWARD_MILTER_RCPTCHECK_H
#define POSTWARD_MILTER_RCPTCHECK_H

#include <time.h>

#include "config.h"
#include "rtlsrcpt.h"

#define RCPTCHECK_MAX_MX 10

struct dns_resolver;

/* rcptcheck_domain - look DOMAIN (lower case, borrowed into F) up as described above and sum
 * up both paths in *F; NOW is the time MTA-STS cache entries are judged by */
void rcptcheck_domain(struct dns_resolver *dns, const struct pw_config *cfg,
		      const char *domain, time_t now, struct rtlsrcpt_facts *f);

#endif
