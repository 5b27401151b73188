/*
 * tests/fuzz/fuzz_open.c - fuzz harness for opgp_open (milter/lists/openpgp-open.c): a post's
 * encrypted data packet (SEIPD version 1 in CFB mode with its MDC, or version 2) opened with
 * a known session key.  Input: one octet choosing the symmetric algorithm (its value modulo
 * 8 indexes 7, 8, 9, 11, 12, 13, 2, 3: AES, Camellia, and two that are left to gpg), then
 * the session key (that algorithm's key length: 32 octets for the unsupported ones), then
 * the packet data as opgp_split's data_off gives it.
 * Contract checked: no crash, no sanitizer report, no leak; nothing returned unless OPGP_OK;
 * on OPGP_OK the packets inside are shorter than the data; the same input gives the same
 * answer twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lists/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int algos[8] = { 7, 8, 9, 11, 12, 13, 2, 3 };
	static const size_t keylens[8] = { 16, 24, 32, 16, 24, 32, 32, 32 };
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, kl;
	char why[160];
	enum opgp_status s1, s2;
	int algo;

	if (size < 1)
		return 0;
	algo = algos[data[0] % 8];
	kl = keylens[data[0] % 8];
	if (size < 1 + kl)
		return 0;
	s1 = opgp_open(data + 1 + kl, size - 1 - kl, algo, data + 1, kl, &a, &alen, why,
		       sizeof(why));
	s2 = opgp_open(data + 1 + kl, size - 1 - kl, algo, data + 1, kl, &b, &blen, why,
		       sizeof(why));
	if (s1 != s2 || (s1 != OPGP_OK && (a != NULL || b != NULL)))
		abort();
	if (s1 == OPGP_OK && (alen != blen || alen >= size - 1 - kl ||
			      (alen > 0 && memcmp(a, b, alen) != 0)))
		abort();
	free(a);
	free(b);
	return 0;
}
