/*
 * tests/fuzz/fuzz_openpgp.c - fuzz harness for the OpenPGP packets of milter/lists/openpgp: a post's
 * binary message (PKESKs and encrypted data), a subscriber's exported key block, GnuPG's
 * session key text.  The first octet picks the parser, the rest is its input.
 * Contract checked: no crash, no sanitizer report; split offsets inside the input; a key taken
 * from a block wraps a fixed session key into a PKESK that splits again with that key's ID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lists/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sk[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
					31, 32 };
	char why[160];

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		struct opgp_split sp;

		if (opgp_split(data + 1, size - 1, &sp, why, sizeof(why)) == OPGP_OK &&
		    (sp.data_off > size - 1 || sp.data_len > size - 1 - sp.data_off ||
		     (sp.data_tag != 18 && sp.data_tag != 9)))
			abort();
		break;
	}
	case 1: {
		struct opgp_enckey k;
		uint8_t *pk = NULL;
		size_t pklen = 0;

		memset(&k, 0, sizeof(k));
		if (opgp_enckey_from_block(data + 1, size - 1, NULL, &k, why, sizeof(why)) !=
		    OPGP_OK)
			break;
		if (opgp_pkesk(&k, 9, sk, sizeof(sk), &pk, &pklen) == OPGP_OK) {
			/* the PKESK, then a minimal SEIPD packet: it splits with k's key ID */
			uint8_t *msg = malloc(pklen + 4);
			struct opgp_split sp;

			if (msg != NULL) {
				memcpy(msg, pk, pklen);
				memcpy(msg + pklen, "\xd2\x02\x01\x00", 4);
				if (opgp_split(msg, pklen + 4, &sp, why, sizeof(why)) != OPGP_OK ||
				    sp.n_pkesk != 1 || sp.pkesk_keyid[0] != k.keyid)
					abort();
				free(msg);
			}
			free(pk);
		}
		opgp_enckey_clear(&k);
		break;
	}
	default: {
		char *text = malloc(size);
		int algo = 0;
		uint8_t key[OPGP_MAX_SESSION_KEY];
		size_t keylen = 0;

		if (text == NULL)
			break;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (opgp_parse_session_key(text, &algo, key, &keylen) == OPGP_OK &&
		    (keylen == 0 || keylen > sizeof(key)))
			abort();
		free(text);
		break;
	}
	}
	return 0;
}
