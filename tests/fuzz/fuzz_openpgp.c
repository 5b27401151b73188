/*
 * tests/fuzz/fuzz_openpgp.c - fuzz harness for the OpenPGP packets of milter/lists/openpgp: a post's
 * binary message (PKESKs and encrypted data), a subscriber's exported key block, GnuPG's
 * session key text.  The first octet picks the parser, the rest is its input.  A key block is
 * also read as a certificate fetched from outside (opgp_cert_find, for the key refresh), asked
 * for its first primary key's fingerprint: the range returned lies inside the block and starts
 * at a primary key packet.
 * Contract checked: no crash, no sanitizer report; split offsets inside the input, the data tag
 * one of 9, 18, 20 agreeing with the format, the PKESK version the one the format needs; a key
 * taken from a block wraps a fixed session key into a v3 PKESK and a v6 PKESK that split again
 * (before SEIPDv1 and SEIPDv2 data) with that key's ID.  SEIPDv2 data that splits is opened
 * with the fixed session key (its first 16, 24 or 32 octets, as the cipher needs): either
 * refused with nothing returned, or every tag verified and at most the data's length returned
 * (the seeds msg-fixedkey-seipd2-* are made with that key, so they open).  A message with
 * PKESKs is also read by the agent path (openpgp-unwrap.c) for a Curve25519 and an RSA key
 * named like its first PKESK (key ID; the fingerprint of a v6 PKESK at the message's start):
 * the ciphertext S-expression, then a fixed agent answer, which must be refused or give a
 * session key of at most OPGP_MAX_SESSION_KEY octets.  Session key texts are also read as an
 * agent answer "(5:value N:...)", whose value must lie inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lists/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* agent_path - opgp_pkesk_sexp and opgp_pkesk_finish on MSG for keys named like its first
 * PKESK, with fixed agent answers */
static void agent_path(const uint8_t *msg, size_t len, const struct opgp_split *sp)
{
	static const uint8_t point[33] = { 0x40, 9 };
	uint8_t rsa[128], key[OPGP_MAX_SESSION_KEY];
	struct opgp_enckey k;
	char why[160], *sexp = NULL;
	size_t slen = 0, keylen = 0;
	int version = 0, algo = 0;

	memset(rsa, 0x5a, sizeof(rsa));
	rsa[0] = 2;
	rsa[100] = 0;
	rsa[101] = 9;
	for (int a = 0; a < 2; a++) {
		memset(&k, 0, sizeof(k));
		k.keyid = sp->pkesk_keyid[0];
		for (size_t i = 0; i + 2 + 20 < len && i < 8; i++)
			if (msg[i] == 6 && msg[i + 1] == 21 && msg[i + 2] == 4) {
				memcpy(k.fpr, msg + i + 3, 20);
				break;
			}
		k.algo = a == 0 ? 18 : 1;
		k.curve = OPGP_CURVE_25519;
		memcpy(k.point, point, sizeof(point));
		k.point_len = sizeof(point);
		k.kdf_hash = 8;
		k.kdf_cipher = 7;
		if (opgp_pkesk_sexp(msg, len, &k, &version, &sexp, &slen, why, sizeof(why)) ==
		    OPGP_OK) {
			if (sexp == NULL || slen == 0 || (version != 3 && version != 6))
				abort();
			free(sexp);
			sexp = NULL;
		}
		if (opgp_pkesk_finish(msg, len, &k, a == 0 ? point : rsa,
				      a == 0 ? sizeof(point) : sizeof(rsa), sp->data_cipher,
				      &algo, key, &keylen, why, sizeof(why)) == OPGP_OK &&
		    (keylen == 0 || keylen > sizeof(key)))
			abort();
	}
}

/* cert_path - opgp_cert_find on BLOCK for the v4 fingerprint of its first packet when that
 * is a primary key (else for a fixed one): an answer inside BLOCK, counts that add up */
static void cert_path(const uint8_t *block, size_t len)
{
	static const uint8_t fixed[20] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t fpr[20];
	struct opgp_cert c;
	char why[160];
	enum opgp_status s;
	const uint8_t *want = fixed;

	memcpy(fpr, fixed, sizeof(fpr));
	/* a public key packet first (old format with a one- or two-octet length, new format
	 * with a two-octet length): its fingerprint by hand */
	size_t bl = 0, hl = 0;

	if (len > 2 && block[0] == 0x98) {
		bl = block[1];
		hl = 2;
	} else if (len > 3 && block[0] == 0x99) {
		bl = (size_t)block[1] << 8 | block[2];
		hl = 3;
	} else if (len > 3 && block[0] == 0xc6 && block[1] >= 192 && block[1] < 224) {
		bl = ((size_t)(block[1] - 192) << 8) + block[2] + 192;
		hl = 3;
	}
	if (hl > 0 && bl <= len - hl) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		uint8_t pre[3] = { 0x99, (uint8_t)(bl >> 8), (uint8_t)bl };

		if (md != NULL && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
		    EVP_DigestUpdate(md, pre, 3) == 1 && EVP_DigestUpdate(md, block + hl, bl) == 1 &&
		    EVP_DigestFinal_ex(md, fpr, NULL) == 1)
			want = fpr;
		EVP_MD_CTX_free(md);
	}
	s = opgp_cert_find(block, len, want, &c, why, sizeof(why));
	if (s == OPGP_OK && (!c.found || c.len == 0 || c.off >= len || c.len > len - c.off ||
			     (block[c.off] != 0xc6 && (block[c.off] & 0xfc) != 0x98) ||
			     c.others + 1 != c.n_certs))
		abort();
	if (s != OPGP_OK && c.found && s != OPGP_E_FORMAT)
		abort();
	/* the list of every certificate (X-FETCH-KEY): each one found again on its own */
	uint8_t fprs[4][20];
	size_t n = 99;
	s = opgp_cert_list(block, len, fprs, 4, &n, why, sizeof(why));
	if (n > 4 || (s == OPGP_OK && n == 0) || (s == OPGP_E_NOKEY && n != 0))
		abort();
	for (size_t i = 0; s == OPGP_OK && i < n; i++)
		if (opgp_cert_find(block, len, fprs[i], &c, why, sizeof(why)) == OPGP_OK &&
		    !c.found)
			abort();
}

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
		     (sp.data_tag != 18 && sp.data_tag != 9 && sp.data_tag != 20) ||
		     (sp.data_tag == 20) != (sp.format == OPGP_FMT_AEAD_OCB) ||
		     (sp.pkesk_version != 0 &&
		      sp.pkesk_version != opgp_format_pkesk_version(sp.format))))
			abort();
		if (sp.n_pkesk > 0)
			agent_path(data + 1, size - 1, &sp);
		if (sp.format == OPGP_FMT_SEIPD2) {
			uint8_t *in = (uint8_t *)1;
			size_t inlen = 1;
			size_t kl = sp.data_cipher == 7 ? 16 : sp.data_cipher == 8 ? 24 : 32;
			enum opgp_status st = opgp_seipd2_open(data + 1 + sp.data_off, sp.data_len,
							       sk, kl, &in, &inlen, why,
							       sizeof(why));

			if ((st != OPGP_OK && (in != NULL || inlen != 0)) ||
			    (st == OPGP_OK && (in == NULL || inlen > sp.data_len)))
				abort();
			free(in);
		}
		break;
	}
	case 1: {
		struct opgp_enckey k;
		uint8_t *pk = NULL;
		size_t pklen = 0;

		cert_path(data + 1, size - 1);
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
			pk = NULL;
		}
		if (opgp_pkesk6(&k, 9, sk, sizeof(sk), &pk, &pklen) == OPGP_OK) {
			/* the v6 PKESK, then a minimal SEIPDv2 packet (AES-256, OCB, chunk octet
			 * 12, 32 octets of salt, one tag): it splits as version 6 with k's ID */
			uint8_t *msg = malloc(pklen + 54);
			struct opgp_split sp;

			if (msg != NULL) {
				memcpy(msg, pk, pklen);
				memset(msg + pklen, 0, 54);
				memcpy(msg + pklen, "\xd2\x34\x02\x09\x02\x0c", 6);
				if (opgp_split(msg, pklen + 54, &sp, why, sizeof(why)) != OPGP_OK ||
				    sp.n_pkesk != 1 || sp.pkesk_keyid[0] != k.keyid ||
				    sp.pkesk_version != 6 || sp.format != OPGP_FMT_SEIPD2)
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
		{
			const uint8_t *v = NULL;
			size_t vlen = 0;

			if (opgp_agent_value(data + 1, size - 1, &v, &vlen) == OPGP_OK &&
			    (v < data + 1 || vlen > size - 1 || v + vlen > data + size))
				abort();
		}
		free(text);
		break;
	}
	}
	return 0;
}
