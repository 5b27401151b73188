/*
 * milter/dkim/dkim-sign.h - DKIM signing (RFC 6376, RFC 8463) of the mail postward writes itself:
 * list copies, notices and reports.
 *
 * NAME
 *	dkim-sign - load signing keys, sign a whole message, find the keys for a domain
 *
 * SYNOPSIS
 *	#include "dkim/dkim-sign.h"
 *
 *	enum dkim_status dkim_signer_load(const char *domain, const char *selector,
 *					  const char *path, struct dkim_signer **out,
 *					  char *err, size_t errlen);
 *	void dkim_signer_free(struct dkim_signer *s);
 *	const char *dkim_signer_domain(const struct dkim_signer *s);
 *	const char *dkim_signer_selector(const struct dkim_signer *s);
 *	const char *dkim_signer_algorithm(const struct dkim_signer *s);
 *	enum dkim_status dkim_signer_record(const struct dkim_signer *s, char **out);
 *
 *	enum dkim_status dkim_sign(const struct dkim_signer *const *signers, size_t n,
 *				   const char *msg, size_t len, time_t t,
 *				   char **header_out, const char **reason);
 *	enum dkim_status dkim_sign_prepend(const struct dkim_signer *const *signers, size_t n,
 *					   time_t t, char **msg, size_t *len,
 *					   const char **reason);
 *
 *	struct dkim_keyring *dkim_keyring_new(void);
 *	enum dkim_status dkim_keyring_add(struct dkim_keyring *ring, struct dkim_signer *s,
 *					  const char **reason);
 *	size_t dkim_keyring_count(const struct dkim_keyring *ring);
 *	size_t dkim_keyring_find(const struct dkim_keyring *ring, const char *domain,
 *				 const struct dkim_signer *const *override, size_t noverride,
 *				 const struct dkim_signer **out, size_t max);
 *	void dkim_keyring_free(struct dkim_keyring *ring);
 *
 * DESCRIPTION
 *	dkim_signer_load reads one private key from the PEM file PATH (PKCS#8 "PRIVATE KEY" or
 *	PKCS#1 "RSA PRIVATE KEY"; at most DKIM_SIGN_MAX_KEYFILE octets): RSA of
 *	DKIM_RSA_MIN_BITS to DKIM_RSA_MAX_BITS bits (signs rsa-sha256) or Ed25519 (signs
 *	ed25519-sha256).  A passphrase-protected key, any other key type, a file others may read
 *	or write (mode & 006), and a DOMAIN or SELECTOR that is not a plain DNS name (letters,
 *	digits, '-', '_' and dots) are refused, with the reason in ERR ("PATH: ..."; ERR, of
 *	ERRLEN > 0 octets, is required); nothing is ever asked for on a terminal.  The domain is kept in lower case, without a
 *	trailing dot.  The file's octets are wiped from memory once OpenSSL has decoded them.
 *
 *	dkim_sign signs the message MSG (LEN octets: the header, an empty line, the body; line
 *	ends LF or CRLF, mixed too: a bare LF is taken as CRLF, as an MTA does) once with each of
 *	the N signers and returns in *HEADER_OUT (malloc'd, NUL-terminated, the caller frees) N
 *	DKIM-Signature fields, one per signer in the order given, each folded to lines of at
 *	most 78 octets with CRLF + TAB and ending in CRLF, ready to be put before the message's
 *	first line.  Each field carries, in this order: v=1; a=rsa-sha256 or a=ed25519-sha256;
 *	c=relaxed/relaxed; d=; s=; t=T (T given by the caller, so that tests can pin it); h=;
 *	bh=; b=.  No l= (the whole body is signed), no x=, no i= (it defaults to @d=).
 *	h= names the fields of dkim_sign_fields[] in that order: each once per occurrence in
 *	the message, and the oversigned ones (From, Reply-To, Subject, List-*) once more, even
 *	when absent, so that nobody can add one later without breaking the signature (RFC 6376
 *	8.15).  Every verifier picks fields bottom-up, so the extra listing hashes nothing.
 *	The hash is over the relaxed canonical form (RFC 6376 3.4.2 and 3.4.4) made by the
 *	verifier's own building blocks (dkim_canon_header, dkim_bodycanon_*); ed25519-sha256 is
 *	PureEdDSA over the SHA-256 of the header data (RFC 8463 section 3), rsa-sha256 is
 *	RSASSA-PKCS1-v1_5 with SHA-256.  Both are deterministic: the same key, message and T
 *	give the same field.
 *
 *	dkim_sign_prepend is dkim_sign and the splice in one: on DKIM_OK *MSG (malloc'd, *LEN
 *	octets) is replaced by a new malloc'd buffer holding the fields and then the message
 *	(NUL-terminated, not counted in *LEN) and the old one is freed; on any error *MSG and
 *	*LEN are left as they were.
 *
 *	A keyring holds the signers configured for domains (postward.conf dkim_signing_key).
 *	dkim_keyring_add takes ownership of S; it refuses a signer whose domain and selector are
 *	already there and a third signer for one domain (two allow dual ed25519 + rsa signing).
 *	dkim_keyring_find puts into OUT (room for MAX) the signers to sign mail of DOMAIN with
 *	and returns how many: the OVERRIDE signers when NOVERRIDE > 0 (a list's own keys), else
 *	every signer of DOMAIN itself, else of its nearest parent domain that has any (keys of
 *	example.org sign for lists.example.org, d=example.org, which DMARC's relaxed alignment
 *	accepts); 0 when none applies: send unsigned.  Domains compare without ASCII case and
 *	without one trailing dot.
 *
 * FIELDS SIGNED
 *	dkim_sign_fields[] below; the set a list copy, notice or report carries that a reader or
 *	a filter looks at.  Received, Return-Path and the like are never signed: relays add
 *	them.
 *
 * THREADS AND OWNERSHIP
 *	A signer and a keyring are read-only once loaded and built: any number of threads may
 *	call dkim_sign and dkim_keyring_find on them at once without a lock (OpenSSL 3 allows
 *	concurrent operations on one EVP_PKEY that nobody modifies).  They must outlive every
 *	such call: the daemon keeps the keyring in its configuration snapshot, whose reference
 *	count keeps it alive while a worker holds the snapshot.  dkim_keyring_free frees the
 *	signers it owns; override signers stay the caller's.  No global state.
 *
 * OUTSIDE BYTES
 *	No fuzz harness: the only outside bytes parsed here are the key file, and OpenSSL's PEM
 *	decoder parses it.  The message handed to dkim_sign is one postward wrote (a copy built
 *	by listpost_copy, a notice, a report); it is only split into lines and fields, within
 *	LEN, and every field name is compared, never interpreted.
 *
 * DIAGNOSTICS
 *	enum dkim_status (dkim.h): DKIM_OK; DKIM_ERR_ARG (NULL argument, N of 0 or over
 *	DKIM_SIGN_MAX_SIGNERS); DKIM_ERR_NOMEM; DKIM_ERR_SYNTAX (dkim_signer_load: the key file
 *	or a name, see ERR; dkim_sign: the message has no From field, or a header line that is
 *	neither a field nor a fold of one - *REASON says which); DKIM_ERR_LIMIT (h= would name
 *	more than DKIM_MAX_HNAMES fields; a keyring's refusals, *REASON says which);
 *	DKIM_ERR_CRYPTO (OpenSSL failed; dkim_signer_load: unreadable or unusable key, see ERR).
 *	*REASON, when not NULL, is a fixed phrase, "" on success.  Nothing is logged here.
 */
#ifndef POSTWARD_MILTER_DKIM_SIGN_H
#define POSTWARD_MILTER_DKIM_SIGN_H

#include <stddef.h>
#include <time.h>

#include "dkim.h"

#define DKIM_SIGN_MAX_SIGNERS	4	/* fields one dkim_sign call makes */
#define DKIM_SIGN_PER_DOMAIN	2	/* signers a keyring holds per domain */
#define DKIM_SIGN_MAX_KEYFILE	65536	/* octets of a key file */
#define DKIM_SIGN_NAME_MAX	253	/* octets of a domain or selector */

struct dkim_signer;
struct dkim_keyring;

/* one field name of h= and whether it is oversigned */
struct dkim_sign_field {
	const char *name;
	int oversign;
};
/* the fields dkim_sign names in h=, in h= order; DKIM_SIGN_NFIELDS of them */
extern const struct dkim_sign_field dkim_sign_fields[];
#define DKIM_SIGN_NFIELDS	19

/* dkim_signer_load - a signer for DOMAIN and SELECTOR from the PEM key file PATH */
enum dkim_status dkim_signer_load(const char *domain, const char *selector, const char *path,
				  struct dkim_signer **out, char *err, size_t errlen);
/* dkim_signer_free - release a signer (NULL is ignored) */
void dkim_signer_free(struct dkim_signer *s);
/* dkim_signer_domain - d= of the signer, lower case */
const char *dkim_signer_domain(const struct dkim_signer *s);
/* dkim_signer_selector - s= of the signer */
const char *dkim_signer_selector(const struct dkim_signer *s);
/* dkim_signer_algorithm - "rsa-sha256" or "ed25519-sha256" */
const char *dkim_signer_algorithm(const struct dkim_signer *s);
/* dkim_signer_record - the key record to publish at SELECTOR._domainkey.DOMAIN (malloc'd) */
enum dkim_status dkim_signer_record(const struct dkim_signer *s, char **out);

/* dkim_sign - the DKIM-Signature fields of MSG, one per signer, into *HEADER_OUT */
enum dkim_status dkim_sign(const struct dkim_signer *const *signers, size_t n, const char *msg,
			   size_t len, time_t t, char **header_out, const char **reason);

/* dkim_sign_prepend - sign the malloc'd message *MSG (*LEN octets) and put the fields before it */
enum dkim_status dkim_sign_prepend(const struct dkim_signer *const *signers, size_t n, time_t t,
				   char **msg, size_t *len, const char **reason);

/* dkim_keyring_new - an empty keyring; NULL for lack of memory */
struct dkim_keyring *dkim_keyring_new(void);
/* dkim_keyring_add - add S (the ring owns it on DKIM_OK only) */
enum dkim_status dkim_keyring_add(struct dkim_keyring *ring, struct dkim_signer *s,
				  const char **reason);
/* dkim_keyring_count - signers held */
size_t dkim_keyring_count(const struct dkim_keyring *ring);
/* dkim_keyring_find - the signers for mail of DOMAIN (see DESCRIPTION); their number */
size_t dkim_keyring_find(const struct dkim_keyring *ring, const char *domain,
			 const struct dkim_signer *const *override, size_t noverride,
			 const struct dkim_signer **out, size_t max);
/* dkim_keyring_free - release the ring and the signers it owns (NULL is ignored) */
void dkim_keyring_free(struct dkim_keyring *ring);

#endif
