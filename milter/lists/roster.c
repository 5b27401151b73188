/*
 * milter/lists/roster.c - the roster keyring and the posts encrypted to it.
 *
 * NAME
 *	roster - roster_assemble(), roster_index_build(), roster_post_check(), roster_copy(),
 *	roster_copies_ops
 *
 * SYNOPSIS
 *	#include "roster.h"
 *	(the prototypes and the contract: see roster.h)
 *
 * DESCRIPTION
 *	roster_assemble() walks gpg's export packet by packet (openpgp.c reads every header),
 *	notes where each certificate begins and ends and its v4 fingerprint, and writes the
 *	list's certificate, then the subscribers' by fingerprint, keeping per packet what the
 *	roster may show: one pass measures, the next writes into a buffer of that size (a
 *	roster is never longer than the export).  Nothing is parsed beyond packet tags, user
 *	ID text and the type of the signatures that follow a primary key; signatures are
 *	copied, never made or checked here (gpg exported what it holds valid).
 *
 *	roster_index_build() lists the keys of a keyring with opgp_block_keys() and keeps the
 *	list's and the members' in one array sorted by key ID, so that each PKESK of a post is
 *	one binary search.  roster_post_check() splits the post with opgp_split() (which checks
 *	the data packet and the PKESK versions) and walks the packets before the data itself
 *	for their offsets, key IDs and SKESKs.  roster_copy() joins a member's PKESKs and the
 *	data into one buffer of the measured size; roster_copies_ops runs it on the fan-out's
 *	threads and wraps the armor in the post's MIME (listpost_copy()).
 *
 *	Anonymous recipients: a PKESK with key ID 0 (RFC 9580 5.1.1, a "wildcard" key ID) or a
 *	v6 PKESK without a fingerprint (5.1.2) may be meant for anyone; postward cannot tell a
 *	subscriber from an outsider by it, and could not tell which subscriber's copy it
 *	belongs in, so it counts as an outsider (ROSTER_OUTSIDER).  An SKESK (a passphrase)
 *	opens the post for whoever knows it, and counts the same.
 *
 * DIAGNOSTICS
 *	OPGP_E_FORMAT, OPGP_E_UNSUPPORTED from the packet readers, with WHY; OPGP_E_NOKEY (the
 *	list's certificate missing, a member without a PKESK); OPGP_E_CRYPTO when SHA-1 fails;
 *	OPGP_E_NOMEM.
 *
 * STANDARDS
 *	RFC 9580 (4.2, 5.1.1, 5.1.2, 5.2.1, 5.11, 10.1), RFC 4880 (11.1), RFC 5322 (addr-spec,
 *	as "Name <addr>" user IDs carry it).
 */
#include "roster.h"
#include "openpgp-int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define TAG_UID		13
#define TAG_UATTR	17

/* one certificate of the export: where it lies, whose it is */
struct cert {
	size_t start, end;
	uint8_t fpr[FPR_LEN];
	bool v4;
};

/* a subscriber by binary fingerprint */
struct subfpr {
	uint8_t fpr[FPR_LEN];
	const char *addr;
	size_t idx;
};

/* ---- small helpers ------------------------------------------------------------------------ */

/* fpr_parse - exactly 40 hex digits into 20 octets */
static bool fpr_parse(const char *hex, uint8_t out[FPR_LEN])
{
	if (hex == NULL || strlen(hex) != 2 * FPR_LEN)
		return false;
	for (size_t i = 0; i < FPR_LEN; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* args_check - the list's fingerprint LIST_FPR into LFPR, N subscribers within bounds
 * (OPGP_E_FORMAT), some input IN/LEN (else EMPTY, with the reason EMPTY_WHY) */
static enum opgp_status args_check(const char *list_fpr, uint8_t lfpr[FPR_LEN], size_t n,
				   const uint8_t *in, size_t len, enum opgp_status empty,
				   const char *empty_why, char *why, size_t whylen)
{
	setwhy(why, whylen, "ok");
	if (!fpr_parse(list_fpr, lfpr)) {
		setwhy(why, whylen, "the list's fingerprint is not 40 hex digits");
		return OPGP_E_FORMAT;
	}
	if (n > ROSTER_MAX_MEMBERS) {
		setwhy(why, whylen, "%zu subscribers, more than %d", n, ROSTER_MAX_MEMBERS);
		return OPGP_E_FORMAT;
	}
	if (in == NULL || len == 0) {
		setwhy(why, whylen, "%s", empty_why);
		return empty;
	}
	return OPGP_OK;
}

/* fpr_v4 - the v4 fingerprint of the key packet body B (N octets) */
static bool fpr_v4(const uint8_t *b, size_t n, uint8_t out[FPR_LEN])
{
	uint8_t pre[3] = { 0x99, (uint8_t)(n >> 8), (uint8_t)n };
	unsigned int mdlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md != NULL && n <= 0xffff && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
		  EVP_DigestUpdate(md, pre, sizeof pre) == 1 &&
		  EVP_DigestUpdate(md, b, n) == 1 && EVP_DigestFinal_ex(md, out, &mdlen) == 1 &&
		  mdlen == FPR_LEN;

	EVP_MD_CTX_free(md);
	return ok;
}

/* cmp_subfpr - qsort/bsearch by fingerprint, then subscriber order */
static int cmp_subfpr(const void *a, const void *b)
{
	const struct subfpr *x = a, *y = b;
	int c = memcmp(x->fpr, y->fpr, FPR_LEN);

	return c != 0 ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* cmp_cert - qsort/bsearch by fingerprint, then position */
static int cmp_cert(const void *a, const void *b)
{
	const struct cert *x = a, *y = b;
	int c = memcmp(x->fpr, y->fpr, FPR_LEN);

	return c != 0 ? c : x->start < y->start ? -1 : x->start > y->start;
}

/* uid_addr - the address of the user ID U (N octets): inside its last <...>, else all of it
 * without surrounding blanks */
static void uid_addr(const uint8_t *u, size_t n, const uint8_t **a, size_t *alen)
{
	const uint8_t *lt = NULL, *gt;

	for (size_t i = 0; i < n; i++)
		if (u[i] == '<')
			lt = u + i;
	if (lt != NULL && (gt = memchr(lt, '>', (size_t)(u + n - lt))) != NULL) {
		*a = lt + 1;
		*alen = (size_t)(gt - lt - 1);
		return;
	}
	while (n > 0 && (u[0] == ' ' || u[0] == '\t')) {
		u++;
		n--;
	}
	while (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\t'))
		n--;
	*a = u;
	*alen = n;
}

/* uid_matches - does the user ID U/N carry one of the addresses of SUBS[0..N_SUBS) */
static bool uid_matches(const uint8_t *u, size_t n, const struct subfpr *subs, size_t n_subs)
{
	const uint8_t *a;
	size_t alen;

	uid_addr(u, n, &a, &alen);
	for (size_t i = 0; i < n_subs; i++)
		if (subs[i].addr != NULL && strlen(subs[i].addr) == alen && alen > 0 &&
		    strncasecmp((const char *)a, subs[i].addr, alen) == 0)
			return true;
	return false;
}

/* ---- the roster keyring ----------------------------------------------------------------------- */

/* certs_read - the certificates of BLOCK into *OUT (malloc'd), *N of them */
static enum opgp_status certs_read(const uint8_t *block, size_t len, struct cert **out, size_t *n,
				   char *why, size_t whylen)
{
	struct cert *c = NULL;
	size_t cap = 0, count = 0, off = 0;
	unsigned packets = 0;
	enum opgp_status s = OPGP_OK;

	*out = NULL;
	*n = 0;
	while (off < len) {
		const uint8_t *body;
		size_t blen, next;
		uint8_t *owned = NULL;
		int tag;

		if (++packets > ROSTER_MAX_PACKETS) {
			setwhy(why, whylen, "more than %u packets in the exported keys",
			       ROSTER_MAX_PACKETS);
			s = OPGP_E_FORMAT;
			break;
		}
		s = opgp_packet_body(block, len, off, &tag, &body, &blen, &owned, &next, why,
				     whylen);
		free(owned);			/* partial lengths: data packets, never kept */
		if (s != OPGP_OK)
			break;
		if (tag == TAG_PUBKEY) {
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct cert *nc = realloc(c, ncap * sizeof *nc);

				if (nc == NULL) {
					s = OPGP_E_NOMEM;
					break;
				}
				c = nc;
				cap = ncap;
			}
			if (count > 0)
				c[count - 1].end = off;
			memset(&c[count], 0, sizeof c[count]);
			c[count].start = off;
			c[count].v4 = blen >= 6 && body[0] == 4;
			if (c[count].v4 && !fpr_v4(body, blen, c[count].fpr)) {
				s = OPGP_E_CRYPTO;
				setwhy(why, whylen, "SHA-1 for a fingerprint failed");
				break;
			}
			count++;
		} else if (count == 0 && tag != TAG_MARKER) {
			setwhy(why, whylen, "packet of tag %d at offset %zu before any public key",
			       tag, off);
			s = OPGP_E_FORMAT;
			break;
		}
		off = next;
	}
	if (s != OPGP_OK) {
		free(c);
		return s;
	}
	if (count > 0)
		c[count - 1].end = len;
	*out = c;
	*n = count;
	return OPGP_OK;
}

/* what cert_emit keeps of a certificate's user IDs */
enum uid_mode { UIDS_ALL, UIDS_MATCHING, UIDS_NONE };

/* cert_emit - the packets of certificate C of BLOCK that the roster keeps (MODE: which user
 * IDs; SUBS/N_SUBS: the subscribers of the key), copied to DST + *POS unless DST is NULL;
 * *POS advances by their length either way.  *MATCHED: a user ID was kept for its address;
 * *DIRECT: a direct-key signature follows the primary key */
static void cert_emit(const uint8_t *block, const struct cert *c, enum uid_mode mode,
		      const struct subfpr *subs, size_t n_subs, uint8_t *dst, size_t *pos,
		      bool *matched, bool *direct)
{
	enum { PRIMARY, KEEP, DROP } section = PRIMARY;
	size_t off = c->start, next;

	*matched = false;
	*direct = false;
	/* certs_read walked these packets already: they parse, and none is partial but
	 * data packets, which are dropped */
	for (; off < c->end; off = next) {
		const uint8_t *body;
		size_t blen;
		uint8_t *owned = NULL;
		int tag;
		bool keep;

		if (opgp_packet_body(block, c->end, off, &tag, &body, &blen, &owned, &next, NULL,
				     0) != OPGP_OK)
			return;
		free(owned);
		switch (tag) {
		case TAG_PUBKEY:
			section = PRIMARY;
			keep = true;
			break;
		case TAG_PUBSUBKEY:
			section = KEEP;
			keep = true;
			break;
		case TAG_UID:
			keep = mode == UIDS_ALL ||
			       (mode == UIDS_MATCHING && uid_matches(body, blen, subs, n_subs));
			if (keep && mode == UIDS_MATCHING)
				*matched = true;
			section = keep ? KEEP : DROP;
			break;
		case TAG_UATTR:			/* photos: never in a roster */
			section = DROP;
			keep = false;
			break;
		case TAG_SIG:
			keep = section != DROP;
			if (section == PRIMARY && blen >= 3 &&
			    (body[0] >= 4 ? body[1] : body[2]) == 0x1f)
				*direct = true;
			break;
		default:			/* trust packets and anything else */
			keep = false;
			break;
		}
		if (keep && dst != NULL)
			memcpy(dst + *pos, block + off, next - off);
		if (keep)
			*pos += next - off;
	}
}

/* cert_find - the first v4 certificate of CERTS (N, sorted by fingerprint) with FPR */
static const struct cert *cert_find(const struct cert *certs, size_t n, const uint8_t *fpr)
{
	const struct cert *hit = NULL;

	for (size_t lo = 0, hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(certs[mid].fpr, fpr, FPR_LEN);

		if (c < 0) {
			lo = mid + 1;
		} else {
			if (c == 0 && certs[mid].v4)
				hit = &certs[mid];
			hi = mid;
		}
	}
	return hit;
}

/* the roster to be written: the export's certificates and the subscribers */
struct plan {
	const uint8_t *block;
	const struct cert *certs;	/* sorted by fingerprint */
	size_t n_certs;
	const struct cert *list;	/* the list's certificate */
	const struct subfpr *sf;	/* sorted by fingerprint */
	size_t n;
	bool hide;
};

/* roster_write - the roster's packets at DST (NULL: only measured); returns their length and
 * counts into *ST */
static size_t roster_write(const struct plan *pl, uint8_t *dst, struct roster_stats *st)
{
	size_t pos = 0;
	bool matched, direct;

	memset(st, 0, sizeof *st);
	cert_emit(pl->block, pl->list, UIDS_ALL, NULL, 0, dst, &pos, &matched, &direct);
	/* the subscribers' by fingerprint, each key once, its subscribers' addresses together */
	for (size_t i = 0, j; i < pl->n; i = j) {
		const struct subfpr *s = &pl->sf[i];
		const struct cert *c;
		enum uid_mode mode = UIDS_NONE;

		for (j = i + 1; j < pl->n && memcmp(pl->sf[j].fpr, s->fpr, FPR_LEN) == 0; j++)
			;
		if ((c = cert_find(pl->certs, pl->n_certs, s->fpr)) == NULL) {
			st->missing += j - i;
			continue;
		}
		if (c == pl->list)
			continue;		/* the list's own key: written already */
		st->certs++;
		if (!pl->hide) {		/* a look first: does a user ID match */
			size_t none = 0;

			cert_emit(pl->block, c, UIDS_MATCHING, s, j - i, NULL, &none, &matched,
				  &direct);
			mode = matched ? UIDS_MATCHING : UIDS_ALL;
			st->all_uids += !matched;
		}
		cert_emit(pl->block, c, mode, s, j - i, dst, &pos, &matched, &direct);
		st->no_direct += pl->hide && !direct;
	}
	return pos;
}

/* roster_assemble - the list's certificate, then the subscribers' as the roster shows them */
enum opgp_status roster_assemble(const uint8_t *block, size_t len, const char *list_fpr,
				 const struct roster_sub *subs, size_t n, bool hide, uint8_t **out,
				 size_t *outlen, struct roster_stats *st, char *why, size_t whylen)
{
	struct cert *certs = NULL;
	struct subfpr *sf = NULL;
	struct plan pl = { .block = block, .n = n, .hide = hide };
	size_t n_certs = 0, size;
	uint8_t lfpr[FPR_LEN];
	enum opgp_status s;

	*out = NULL;
	*outlen = 0;
	memset(st, 0, sizeof *st);
	if ((s = args_check(list_fpr, lfpr, n, block, len, OPGP_E_NOKEY, "no keys were exported",
			    why, whylen)) != OPGP_OK ||
	    (s = certs_read(block, len, &certs, &n_certs, why, whylen)) != OPGP_OK)
		return s;
	if (n > 0 && (sf = calloc(n, sizeof *sf)) == NULL) {
		free(certs);
		return OPGP_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!fpr_parse(subs[i].fpr, sf[i].fpr)) {
			setwhy(why, whylen, "subscriber %zu (%s): the fingerprint is not 40 hex "
			       "digits", i + 1, subs[i].addr ? subs[i].addr : "?");
			s = OPGP_E_FORMAT;
			goto out;
		}
		sf[i].addr = subs[i].addr;
		sf[i].idx = i;
	}
	if (n > 0)
		qsort(sf, n, sizeof *sf, cmp_subfpr);
	/* only v4 certificates can be found by a 20-octet fingerprint */
	for (size_t i = 0; i < n_certs; i++)
		if (!certs[i].v4)
			memset(certs[i].fpr, 0, FPR_LEN);
	if (n_certs > 0)
		qsort(certs, n_certs, sizeof *certs, cmp_cert);
	pl.certs = certs;
	pl.n_certs = n_certs;
	pl.sf = sf;
	if ((pl.list = cert_find(certs, n_certs, lfpr)) == NULL) {
		setwhy(why, whylen, "the list's certificate %s was not exported", list_fpr);
		s = OPGP_E_NOKEY;
		goto out;
	}
	/* measured, then written: the roster is never longer than the export */
	size = roster_write(&pl, NULL, st);
	if ((*out = malloc(size > 0 ? size : 1)) == NULL) {
		s = OPGP_E_NOMEM;
		goto out;
	}
	*outlen = roster_write(&pl, *out, st);
	s = OPGP_OK;
out:
	free(certs);
	free(sf);
	return s;
}

/* ---- the index ---------------------------------------------------------------------------- */

/* cmp_key - qsort/bsearch: key ID, then member */
static int cmp_key(const void *a, const void *b)
{
	const struct roster_key *x = a, *y = b;

	if (x->keyid != y->keyid)
		return x->keyid < y->keyid ? -1 : 1;
	return x->member < y->member ? -1 : x->member > y->member;
}

/* key_add - one entry of the index; OPGP_E_FORMAT past ROSTER_MAX_ENTRIES */
static enum opgp_status key_add(struct roster_index *ix, size_t *cap,
				const struct opgp_keyinfo *k, size_t member, char *why,
				size_t whylen)
{
	if (ix->n_keys >= ROSTER_MAX_ENTRIES) {
		setwhy(why, whylen, "more than %u keys for the members and the list",
		       ROSTER_MAX_ENTRIES);
		return OPGP_E_FORMAT;
	}
	if (ix->n_keys == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct roster_key *nk;

		if ((nk = realloc(ix->keys, ncap * sizeof *nk)) == NULL)
			return OPGP_E_NOMEM;
		ix->keys = nk;
		*cap = ncap;
	}
	ix->keys[ix->n_keys].keyid = k->keyid;
	memcpy(ix->keys[ix->n_keys].fpr, k->fpr, FPR_LEN);
	ix->keys[ix->n_keys].member = member;
	ix->n_keys++;
	return OPGP_OK;
}

/* roster_index_build - the list's and the members' keys of a keyring, by key ID */
enum opgp_status roster_index_build(const uint8_t *keyring, size_t len, const char *list_fpr,
				    const char *const *member_fprs, size_t n,
				    struct roster_index *ix, char *why, size_t whylen)
{
	struct opgp_keyinfo *ki = NULL;
	struct subfpr *mf = NULL;
	uint8_t *bin = NULL, lfpr[FPR_LEN];
	const uint8_t *blk = keyring;
	size_t blen = len, nk = 0, n_certs = 0, max, cap = 0;
	enum opgp_status s;

	memset(ix, 0, sizeof *ix);
	if ((s = args_check(list_fpr, lfpr, n, keyring, len, OPGP_E_FORMAT, "empty roster", why,
			    whylen)) != OPGP_OK)
		return s;
	if (!(keyring[0] & 0x80)) {
		if ((s = opgp_dearmor_label((const char *)keyring, len, ROSTER_ARMOR_LABEL, &bin,
					    &blen)) != OPGP_OK) {
			setwhy(why, whylen, "the roster is neither binary nor armored as a \"PGP "
			       ROSTER_ARMOR_LABEL "\"");
			return s;
		}
		blk = bin;
	}
	/* every key packet takes at least 8 octets */
	max = blen / 8 + 1 < ROSTER_MAX_KEYS ? blen / 8 + 1 : ROSTER_MAX_KEYS;
	ix->n_members = n;
	if ((ki = calloc(max, sizeof *ki)) == NULL ||
	    (n > 0 && ((mf = calloc(n, sizeof *mf)) == NULL ||
		       (ix->member_keys = calloc(n, sizeof *ix->member_keys)) == NULL))) {
		s = OPGP_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!fpr_parse(member_fprs[i], mf[i].fpr)) {
			setwhy(why, whylen, "member %zu: the fingerprint is not 40 hex digits",
			       i + 1);
			s = OPGP_E_FORMAT;
			goto out;
		}
		mf[i].idx = i;
	}
	if (n > 0)
		qsort(mf, n, sizeof *mf, cmp_subfpr);
	if ((s = opgp_block_keys(blk, blen, ki, max, &nk, &n_certs, why, whylen)) != OPGP_OK)
		goto out;
	for (size_t i = 0, j; i < nk; i = j) {
		bool list, revoked;
		size_t lo = 0, hi = n, first;

		/* the keys of one certificate: ki[i] is its primary key when that is v4 */
		for (j = i + 1; j < nk && ki[j].cert == ki[i].cert; j++)
			;
		if (!ki[i].primary)
			continue;		/* a v6 or v3 primary key: not a roster certificate */
		list = memcmp(ki[i].fpr, lfpr, FPR_LEN) == 0;
		revoked = ki[i].revoked;
		while (lo < hi) {		/* the first member with this key */
			size_t mid = lo + (hi - lo) / 2;

			if (memcmp(mf[mid].fpr, ki[i].fpr, FPR_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		first = lo;
		for (size_t k = i; k < j; k++) {
			if (list && (s = key_add(ix, &cap, &ki[k], ROSTER_LIST, why, whylen)) !=
			    OPGP_OK)
				goto out;
			if (revoked || !ki[k].encrypt || ki[k].revoked)
				continue;
			for (size_t m = first; m < n && memcmp(mf[m].fpr, ki[i].fpr, FPR_LEN) == 0;
			     m++) {
				if ((s = key_add(ix, &cap, &ki[k], mf[m].idx, why, whylen)) !=
				    OPGP_OK)
					goto out;
				ix->member_keys[mf[m].idx]++;
			}
		}
	}
	if (ix->n_keys > 0)
		qsort(ix->keys, ix->n_keys, sizeof *ix->keys, cmp_key);
	s = OPGP_OK;
out:
	free(ki);
	free(mf);
	free(bin);
	if (s != OPGP_OK)
		roster_index_clear(ix);
	return s;
}

/* roster_index_clear - free and zero */
void roster_index_clear(struct roster_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->member_keys);
	ix->member_keys = NULL;
	free(ix->keys);
	ix->keys = NULL;
	ix->n_keys = ix->n_members = 0;
}

/* keys_of - the range [*FIRST, *END) of IX's entries with key ID ID */
static void keys_of(const struct roster_index *ix, uint64_t id, size_t *first, size_t *end)
{
	size_t lo = 0, hi = ix->n_keys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->keys[mid].keyid < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (hi = lo; hi < ix->n_keys && ix->keys[hi].keyid == id; hi++)
		;
	*end = hi;
}

/* names - does PKESK P name the index entry K (by key ID, and by fingerprint if P has one) */
static bool names(const struct roster_pkesk *p, const struct roster_key *k)
{
	return p->keyid == k->keyid && (!p->has_fpr || memcmp(p->fpr, k->fpr, FPR_LEN) == 0);
}

/* ---- posts ---------------------------------------------------------------------------------- */

/* pkesk_read - key ID and fingerprint of the PKESK body B (N octets; opgp_split checked its
 * form); false for a v6 PKESK naming a v6 key, which no roster key is */
static bool pkesk_read(const uint8_t *b, size_t n, struct roster_pkesk *p)
{
	p->keyid = 0;
	p->has_fpr = false;
	if (n >= 9 && b[0] == 3) {
		for (int i = 1; i <= 8; i++)
			p->keyid = p->keyid << 8 | b[i];
		return true;
	}
	if (n >= 2 && b[0] == 6 && b[1] == 0)
		return true;			/* anonymous */
	if (n >= 3 + FPR_LEN && b[0] == 6 && b[1] == 1 + FPR_LEN && b[2] == 4) {
		memcpy(p->fpr, b + 3, FPR_LEN);
		p->has_fpr = true;
		for (int i = 0; i < 8; i++)
			p->keyid = p->keyid << 8 | p->fpr[12 + i];
		return true;
	}
	return false;
}

/* roster_post_check - the post's PKESKs against the roster */
enum opgp_status roster_post_check(const uint8_t *msg, size_t len, const struct roster_index *ix,
				   struct roster_post *rp, char *why, size_t whylen)
{
	enum opgp_status s;
	size_t off, cap;

	memset(rp, 0, sizeof *rp);
	setwhy(why, whylen, "ok");
	if (msg == NULL || len == 0) {
		setwhy(why, whylen, "empty message");
		return OPGP_E_FORMAT;
	}
	rp->bin = msg;
	rp->bin_len = len;
	if (!(msg[0] & 0x80)) {
		if ((s = opgp_dearmor((const char *)msg, len, &rp->owned, &rp->bin_len)) !=
		    OPGP_OK) {
			setwhy(why, whylen, "not an OpenPGP message (no \"PGP MESSAGE\" armor)");
			return s;
		}
		rp->bin = rp->owned;
	}
	if ((s = opgp_split(rp->bin, rp->bin_len, &rp->split, why, whylen)) != OPGP_OK)
		goto fail;
	rp->n_members = ix->n_members;
	cap = rp->split.n_pkesk;
	if ((cap > 0 && (rp->pk = calloc(cap, sizeof *rp->pk)) == NULL) ||
	    (ix->n_members > 0 && (rp->covered = calloc(ix->n_members, sizeof *rp->covered)) ==
	     NULL)) {
		s = OPGP_E_NOMEM;
		goto fail;
	}
	/* opgp_split read these packets already (at most OPGP_MAX_PACKETS of them) */
	for (off = 0; off < rp->split.data_off;) {
		const uint8_t *body;
		size_t blen, next, first, end;
		uint8_t *owned = NULL;
		int tag;
		struct roster_pkesk *p;
		bool known = false;

		if ((s = opgp_packet_body(rp->bin, rp->bin_len, off, &tag, &body, &blen, &owned,
					  &next, why, whylen)) != OPGP_OK)
			goto fail;
		free(owned);
		if (tag == TAG_SKESK)
			rp->n_skesk++;
		if (tag != TAG_PKESK || rp->n_pkesk >= cap) {
			off = next;
			continue;
		}
		p = &rp->pk[rp->n_pkesk++];
		p->off = off;
		p->len = next - off;
		off = next;
		if (!pkesk_read(body, blen, p)) {
			rp->n_outsider++;	/* a v6 key: not in any roster */
			continue;
		}
		if (p->keyid == 0) {
			rp->n_anonymous++;
			continue;
		}
		keys_of(ix, p->keyid, &first, &end);
		bool list = false;
		for (size_t k = first; k < end; k++) {
			if (!names(p, &ix->keys[k]))
				continue;
			known = true;
			if (ix->keys[k].member == ROSTER_LIST)
				list = true;
			else if (ix->keys[k].member < ix->n_members)
				rp->covered[ix->keys[k].member] = true;
		}
		if (list)
			rp->n_list++;
		if (!known)
			rp->n_outsider++;
	}
	for (size_t m = 0; m < ix->n_members; m++)
		if (rp->covered[m])
			rp->n_covered++;
	rp->n_missing = ix->n_members - rp->n_covered;
	if (rp->n_outsider + rp->n_anonymous + rp->n_skesk > 0)
		rp->verdict = ROSTER_OUTSIDER;
	else if (rp->n_missing == 0)
		rp->verdict = ROSTER_DELIVER;
	else if (rp->n_list > 0)
		rp->verdict = ROSTER_REWRAP;
	else
		rp->verdict = ROSTER_MISSING;
	setwhy(why, whylen, "ok");
	return OPGP_OK;
fail:
	roster_post_clear(rp);
	return s;
}

/* member_pkesk - does the post's PKESK P name one of MEMBER's keys in IX */
static bool member_pkesk(const struct roster_index *ix, const struct roster_pkesk *p,
			 size_t member)
{
	size_t first, end;

	if (p->keyid == 0)
		return false;
	keys_of(ix, p->keyid, &first, &end);
	for (size_t k = first; k < end; k++)
		if (ix->keys[k].member == member && names(p, &ix->keys[k]))
			return true;
	return false;
}

/* roster_copy - the member's PKESKs and the untouched encrypted data, armored */
enum opgp_status roster_copy(const struct roster_post *rp, const struct roster_index *ix,
			     size_t member, char **armor, size_t *armlen)
{
	size_t total, pos = 0, data_len;
	uint8_t *bin;
	enum opgp_status s;

	*armor = NULL;
	*armlen = 0;
	if (member >= ix->n_members || rp->bin == NULL)
		return OPGP_E_NOKEY;
	data_len = rp->bin_len - rp->split.data_off;
	total = data_len;			/* the PKESKs lie before the data: no overflow */
	for (size_t i = 0; i < rp->n_pkesk; i++)
		if (member_pkesk(ix, &rp->pk[i], member))
			total += rp->pk[i].len;
	if (total == data_len)
		return OPGP_E_NOKEY;
	if ((bin = malloc(total)) == NULL)
		return OPGP_E_NOMEM;
	for (size_t i = 0; i < rp->n_pkesk; i++)
		if (member_pkesk(ix, &rp->pk[i], member)) {
			memcpy(bin + pos, rp->bin + rp->pk[i].off, rp->pk[i].len);
			pos += rp->pk[i].len;
		}
	memcpy(bin + pos, rp->bin + rp->split.data_off, data_len);
	s = opgp_armor(bin, total, armor, armlen);
	free(bin);
	return s;
}

/* member_copy - member MEMBER's copy of the post of C, in the post's MIME */
static enum fanout_result member_copy(const struct roster_copies *c, size_t member, char **copy,
				      size_t *len, char *why, size_t whylen)
{
	char *arm = NULL;
	size_t armlen = 0;
	enum opgp_status s = roster_copy(c->rp, c->ix, member, &arm, &armlen);
	bool ok;

	if (s == OPGP_E_NOKEY) {
		setwhy(why, whylen, "the post names none of this subscriber's roster keys");
		return FANOUT_SKIP;
	}
	ok = s == OPGP_OK && listpost_copy(c->msg, c->msg_len, c->post, c->args,
					   (const uint8_t *)arm, armlen, copy, len);
	free(arm);
	if (!ok) {
		setwhy(why, whylen, "out of memory");
		return FANOUT_FAIL;
	}
	return FANOUT_BUILT;
}

/* copies_build - fan-out item K: the copy of member MEMBERS[K] */
static enum fanout_result copies_build(const void *ctx, void *tstate, size_t k, char **copy,
				       size_t *len, char *why, size_t whylen)
{
	const struct roster_copies *c = ctx;

	(void)tstate;
	return member_copy(c, c->members[k], copy, len, why, whylen);
}

const struct fanout_ops roster_copies_ops = { .build = copies_build };

/* roster_post_clear - free and zero */
void roster_post_clear(struct roster_post *rp)
{
	if (rp != NULL) {
		free(rp->owned);
		free(rp->pk);
		free(rp->covered);
		*rp = (struct roster_post){ .bin = NULL };
	}
}

/* roster_verdict_name - text for logs */
const char *roster_verdict_name(enum roster_verdict v)
{
	static const char *const names_[] = { "deliver", "rewrap", "missing", "outsider" };

	return (unsigned)v < sizeof names_ / sizeof names_[0] ? names_[v] : "?";
}
