/*
 * milter/dkim/spdns.h - the DNS side of sender practices: policy/senderpolicy.h's lookup
 * function (pw_sp_lookup_fn) answered by postward's own DNSSEC-validating resolver
 * (milter/dns/dns.h), its cache included.
 *
 * NAME
 *	spdns - sender-practice lookups on the validating resolver
 *
 * SYNOPSIS
 *	#include "dkim/spdns.h"
 *
 *	struct spdns *spdns_new(struct dns_resolver *dns, spdns_warn_fn warn, void *arg);
 *	void spdns_lookup(void *spdns, const char *name, bool txt, struct pw_sp_answer *out);
 *	void spdns_free(struct spdns *L);
 *
 * DESCRIPTION
 *	One struct spdns serves one evaluation (pw_sp_evaluate, which asks at most 27
 *	questions): it keeps the TXT strings it hands out until spdns_free, as the lookup
 *	contract asks.  A BOGUS answer and a TEMPFAIL (timeout, SERVFAIL, query budget spent)
 *	are PW_SP_DNS_ERROR with a reason, never "no record"; each is reported to WARN (when
 *	not NULL) with the name, the type and the reason, for the caller's log.  NXDOMAIN and
 *	NODATA are answers; "secure" is the answer's DNSSEC status.  At most SPDNS_MAX_LOOKUPS
 *	questions per struct; further ones are errors ("lookup limit reached").  At most
 *	DKIM_MAX_RECORDS TXT records of an answer are joined; an RRset with more is reported as
 *	that many records, so that pw_dmarc_select sees "several" and uses none.
 *
 *	Threads: a struct spdns belongs to the thread that made it; the resolver is shared
 *	(dns.h: lookups from any number of threads at once).
 *
 * DIAGNOSTICS
 *	spdns_new returns NULL for lack of memory.
 */
#ifndef POSTWARD_MILTER_SPDNS_H
#define POSTWARD_MILTER_SPDNS_H

#include <stdbool.h>

#include "senderpolicy.h"

#define SPDNS_MAX_LOOKUPS 32	/* pw_sp_evaluate asks at most PW_SP_WALK_NAMES + 3 */

struct dns_resolver;
struct spdns;

/* spdns_warn_fn - a lookup of NAME (TXT or, when TXT is false, A) failed: WHY */
typedef void (*spdns_warn_fn)(void *arg, const char *name, bool txt, const char *why);

/* spdns_new - the lookups of one evaluation on DNS; NULL for lack of memory */
struct spdns *spdns_new(struct dns_resolver *dns, spdns_warn_fn warn, void *arg);
/* spdns_lookup - pw_sp_lookup_fn (ARG is the struct spdns) */
void spdns_lookup(void *arg, const char *name, bool txt, struct pw_sp_answer *out);
/* spdns_free - release L and every answer it handed out (NULL is fine) */
void spdns_free(struct spdns *L);

#endif
