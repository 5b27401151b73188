/*
 * tests/fuzz/fuzz_sigrcpt.c - fuzz harness for opgp_sig_recipients (milter/lists/openpgp.c):
 * the packets inside a post's encryption as gpg --unwrap gives them (compressed data, one-pass
 * signatures, literal data, signatures of versions 3 to 6), searched for the Intended
 * Recipient Fingerprint subpackets of the signatures' hashed areas.  The whole input is the
 * packets; inflating is bounded at 1 MiB.
 * Contract checked: no crash, no sanitizer report, no leak; the counts agree (signatures
 * naming recipients no more than signatures, fingerprints no more than OPGP_MAX_RCPTS, each
 * 20 or 32 octets); the same input gives the same answer twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lists/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opgp_sigrcpts a, b;
	char why[160];
	enum opgp_status s1, s2;

	s1 = opgp_sig_recipients(data, size, 1 << 20, &a, why, sizeof(why));
	s2 = opgp_sig_recipients(data, size, 1 << 20, &b, why, sizeof(why));
	if (s1 != s2 || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (a.n_naming > a.n_sigs || a.n_fprs > OPGP_MAX_RCPTS ||
	    (a.n_fprs > 0 && a.n_naming == 0))
		abort();
	for (size_t i = 0; i < a.n_fprs; i++)
		if (a.fpr_len[i] != 20 && a.fpr_len[i] != 32)
			abort();
	return 0;
}
