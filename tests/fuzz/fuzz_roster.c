/*
 * tests/fuzz/fuzz_roster.c - fuzz harness for milter/lists/roster.c: the roster keyring made
 * from gpg's export, the roster's index, and a post judged and split against it.
 * The first octet picks the input's form:
 *   'a' EXPORT: roster_assemble of EXPORT (a binary key block) for the list key taken to be
 *       its first certificate and every other certificate a subscriber (addresses
 *       alice@example.net, bob@example.org, ... in turn), with and without hidden
 *       addresses; its output must list (opgp_block_keys) only keys of EXPORT and index
 *       (roster_index_build) with every subscriber.
 *   'p' LEN16 KEYRING POST: roster_index_build of KEYRING (LEN16 octets, big-endian) with
 *       its first certificate as the list's and the others as members, then
 *       roster_post_check of POST (binary or armored).
 * Contract checked: no crash, no sanitizer report; covered + missing = members; the verdict
 * agrees with the counts; every member's roster_copy is refused (no PKESK names it) or is
 * armor that dearmors and splits again, its data packet the post's byte for byte and its
 * PKESKs, each of the post's, exactly as many as name the member.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists/roster.h"

#define MAX_CERTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* certs - the primary fingerprints (hex) of the certificates of BLOCK, at most MAX_CERTS */
static size_t certs(const uint8_t *block, size_t len, char fprs[][41])
{
	struct opgp_keyinfo *ki = calloc(1024, sizeof *ki);
	size_t nk = 0, nc = 0, n = 0;
	char why[160];

	if (ki == NULL)
		return 0;
	if (opgp_block_keys(block, len, ki, 1024, &nk, &nc, why, sizeof why) == OPGP_OK)
		for (size_t i = 0; i < nk && n < MAX_CERTS; i++)
			if (ki[i].primary) {
				for (int j = 0; j < 20; j++)
					snprintf(fprs[n] + 2 * j, 3, "%02X", ki[i].fpr[j]);
				n++;
			}
	free(ki);
	return n;
}

/* assemble - the 'a' form */
static void assemble(const uint8_t *in, size_t len)
{
	static const char *const addrs[] = { "alice@example.net", "bob@example.org",
					     "carol@example.com", "dave@example.net" };
	char fprs[MAX_CERTS][41], why[160];
	struct roster_sub subs[MAX_CERTS];
	const char *mf[MAX_CERTS];
	size_t n = certs(in, len, fprs);

	if (n == 0)
		return;
	for (size_t i = 1; i < n; i++) {
		subs[i - 1].fpr = fprs[i];
		subs[i - 1].addr = addrs[i % 4];
		mf[i - 1] = fprs[i];
	}
	for (int hide = 0; hide < 2; hide++) {
		struct roster_stats st;
		struct roster_index ix;
		uint8_t *out = NULL;
		size_t olen = 0;

		if (roster_assemble(in, len, fprs[0], subs, n - 1, hide, &out, &olen, &st, why,
				    sizeof why) != OPGP_OK)
			continue;
		if (out == NULL || olen == 0 || olen > len || st.certs + st.missing > n - 1)
			abort();
		if (roster_index_build(out, olen, fprs[0], mf, n - 1, &ix, why, sizeof why) ==
		    OPGP_OK) {
			if (ix.n_members != n - 1)
				abort();
			roster_index_clear(&ix);
		}
		free(out);
	}
}

/* judge - the 'p' form */
static void judge(const uint8_t *in, size_t len)
{
	char fprs[MAX_CERTS][41], why[160];
	const char *mf[MAX_CERTS];
	struct roster_index ix;
	struct roster_post rp;
	size_t klen, n;

	if (len < 2 || (klen = (size_t)in[0] << 8 | in[1]) > len - 2)
		return;
	n = certs(in + 2, klen, fprs);
	if (n == 0)
		return;
	for (size_t i = 1; i < n; i++)
		mf[i - 1] = fprs[i];
	if (roster_index_build(in + 2, klen, fprs[0], mf, n - 1, &ix, why, sizeof why) != OPGP_OK)
		return;
	if (roster_post_check(in + 2 + klen, len - 2 - klen, &ix, &rp, why, sizeof why) ==
	    OPGP_OK) {
		const uint8_t *pdata = rp.bin + rp.split.data_off;
		size_t pdlen = rp.bin_len - rp.split.data_off;

		if (rp.n_covered + rp.n_missing != rp.n_members ||
		    (rp.verdict == ROSTER_DELIVER) !=
		    (rp.n_missing == 0 && rp.n_outsider + rp.n_anonymous + rp.n_skesk == 0))
			abort();
		for (size_t m = 0; m < ix.n_members; m++) {
			char *arm = NULL;
			size_t alen = 0, blen = 0;
			uint8_t *bin = NULL;
			struct opgp_split sp;
			enum opgp_status s = roster_copy(&rp, &ix, m, &arm, &alen);

			if (s == OPGP_E_NOKEY) {
				if (rp.covered[m])
					abort();
				continue;
			}
			if (s != OPGP_OK)
				continue;
			if (!rp.covered[m] ||
			    opgp_dearmor(arm, alen, &bin, &blen) != OPGP_OK ||
			    opgp_split(bin, blen, &sp, why, sizeof why) != OPGP_OK ||
			    sp.n_pkesk == 0 || sp.n_pkesk > rp.n_pkesk ||
			    blen - sp.data_off != pdlen ||
			    memcmp(bin + sp.data_off, pdata, pdlen) != 0)
				abort();
			free(bin);
			free(arm);
		}
		roster_post_clear(&rp);
	}
	roster_index_clear(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 'a')
		assemble(data + 1, size - 1);
	else if (data[0] == 'p')
		judge(data + 1, size - 1);
	return 0;
}
