/*
 * tests/fuzz/fuzz_armor.c - fuzz harness for the ASCII armor of milter/lists/openpgp (RFC 4880
 * section 6: the armor of a list post as a subscriber's mail client wrote it).  Input: armor
 * text.  Contract checked: no crash, no sanitizer report; what dearmors is split into PKESKs and
 * encrypted data without harm, and armoring it again and dearmoring gives the same octets.
 * The same text is also read as a PUBLIC KEY BLOCK (opgp_dearmor_keys, a keyserver's answer):
 * no crash, and what it gives is then read as a fetched certificate (opgp_cert_find).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lists/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *bin = NULL, *bin2 = NULL;
	size_t binlen = 0, bin2len = 0, armlen = 0;
	char *arm = NULL, why[160];
	struct opgp_split sp;

	if (opgp_dearmor_keys((const char *)data, size, &bin, &binlen) == OPGP_OK) {
		struct opgp_cert c;
		static const uint8_t fpr[20];

		if (bin == NULL || binlen == 0)
			abort();
		if (opgp_cert_find(bin, binlen, fpr, &c, why, sizeof(why)) == OPGP_OK &&
		    (c.off >= binlen || c.len > binlen - c.off))
			abort();
		free(bin);
		bin = NULL;
		binlen = 0;
	}
	if (opgp_dearmor((const char *)data, size, &bin, &binlen) != OPGP_OK)
		return 0;
	if (bin == NULL && binlen > 0)
		abort();
	if (opgp_split(bin, binlen, &sp, why, sizeof(why)) == OPGP_OK &&
	    (sp.data_off > binlen || sp.data_len > binlen - sp.data_off))
		abort();
	if (binlen > 0 && opgp_armor(bin, binlen, &arm, &armlen) == OPGP_OK) {
		if (opgp_dearmor(arm, armlen, &bin2, &bin2len) != OPGP_OK || bin2len != binlen ||
		    memcmp(bin, bin2, binlen) != 0)
			abort();
	}
	free(bin2);
	free(arm);
	free(bin);
	return 0;
}
