/*
 * tests/fuzz/fuzz_cms.c - fuzz harness for milter/lists/smime: a list post's CMS (EnvelopedData
 * and AuthEnvelopedData with AES-GCM; KeyTrans with PKCS#1 v1.5 or RSAES-OAEP) opened with the
 * list's key and re-addressed to a subscriber.  The first octet picks the mode, the rest is its input:
 *   mode 0: a whole DER ContentInfo, opened with the fixed list key below (the corpus holds
 *           `openssl cms -encrypt` output for that key's certificate, so it gets past key
 *           transport);
 *   mode 1, 2, 3: an EncryptedContentInfo and whatever follows it in the EnvelopedData
 *           (unprotectedAttrs): the harness puts it into a ContentInfo behind one
 *           KeyTransRecipientInfo that decrypts, with the fixed list key, to the fixed CEK
 *           below cut to 32 (mode 1, AES-256), 16 (mode 2, AES-128) or 24 octets (mode 3,
 *           DES-EDE3), so every input reaches content decryption with a key that works:
 *           algorithm identifiers, IVs, ciphertext, padding and content types are mutated.
 * An input that opens is then re-addressed to the fixed EC P-256 subscriber certificate.
 * Contract checked: no crash, no sanitizer report, a status from the list each time, outputs
 * consistent with it.  The keys are test keys made once with openssl for this harness; the
 * CEK is a constant: nothing here is secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lists/smime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the fixed content-encryption key: modes 1-3 take its first 32, 16 or 24 octets */
static const uint8_t fixed_cek[32] = {
	0x70, 0x6f, 0x73, 0x74, 0x77, 0x61, 0x72, 0x64, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x20, 0x43,
	0x45, 0x4b, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62,
	0x63, 0x64
};	/* "postward fuzz CEK 0123456789abcd" */

static const char list_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCyQ0/aX0Ck32qu\n"
	"Qw7MSWp6y6XDCD4jMQDYa6ItNspTknljRbtTbDPI4pa3BKovJwObHTUXeSSK0yKS\n"
	"E6Tv9q6iP8aOwMuGfV2OdFCIM8SDgR8/wE4N0Fs+RFRRWzFIhVexU+EjgMKdtbew\n"
	"zNj/FeRjWBbI6F3HoKsjoUeVDkoPn3ZYlu3Ul8OGFGSoAVWkccFiEct61c1YbWFS\n"
	"RiWCIR5mPSD+drlpuAxnxB0CRwPJKq5Ci8xdUjLKvmpc4gfUBiDCkhVyFzhoUcdV\n"
	"HEKAcD4Jlb1l5Tch4f0U5+QsZUj/VzqHIDf3MeRUWC2Qd2Gd9MK4KO0g77gDmeWx\n"
	"Cndux8sxAgMBAAECggEACnneFc7QnEvYr7FnS4pCOqGQjhTUPYJUCtPu+8YfN3B5\n"
	"h6Ptw4QdqjfmPG7Wz0b1PVq237h15T5tlvz2bcd/CXAS67lg8Jg6HPzBDZMQwLtw\n"
	"LiF/mMxai18Nvzr7K0hSUCyWM91dmpH2/8n3E+0Z/xxaeO++cKSUoCc6jyQABllK\n"
	"+wCnZ/NJLpI2A3RR6FMc2TXxKtsbw0ckplbxQDQGTVojxSV5K2y8TGX9q6DWchBq\n"
	"KXuUh6p+kgopcHpeA6T6w+1+FIhx0PcwnLH+8n4KK8MrQPljdPe/+tN966beYkQP\n"
	"m/sW+lTsu1k/aBR6Ui8ChAc2UcCiwLNo/5nqWzleAQKBgQDxC5DBBk83kwjpSn40\n"
	"K/dym2KeAa9Ryynr75PkFcwcWgYjN1CNqESK8/o+T7GZ2DjOUVGuDhamNhK03QyW\n"
	"FKgYV07QcSaRan/Pj/Gkp/xAC0gyeM3c6FWuZhc1yuNQERLComQfapnDZcyZa6Kz\n"
	"8nt02pr9kQJh2MN4Siv6ojnFMQKBgQC9Upk7CR7O2fBz3TWrsOInTjHTZpy1xxKV\n"
	"fKVt7T8TvrD2KBPXic58iYRdMBnV18/04OFhwTQ67QRhLb29jeX+Bdbe/Tl2UDQc\n"
	"rR5Pdo3LzDiYfRtg3VaN5dlVtM2GLiKT3aBAnlCLwxaqALRU0t0W6PFcwHkWL3rG\n"
	"SUznMqTmAQKBgQCbeutPJqO4ZDZOTMelHWsKWOI+qzWMG/EZh7qsV8cFzqfA1XA3\n"
	"P3+e5YrX4I3df1P8+QUnsVy4r45XbXIt6HsY4FAtMZ9AEyMIHoAuxlB2exCBxdx8\n"
	"Dr0dtipof0sqnSittRPCE//Ewwg7OeuECPfLQyrQPlX8CVbkY2uEyllbMQKBgDba\n"
	"8PUPDnMm6KnZpYxqwwxadstnBu8QkEzqAdDZFha1gPbB5AXmswKYodaSclnonyO3\n"
	"6PX3EhgkxskVhM2giMxSitCvlG+4i3DnpEmn8yvir19XmJA3cbXJrHBN4+MGCRTI\n"
	"+X7foDzuuOlnLNkLA+54bj7OsgcAmNVNNdAjd24BAoGAHN6e6Smxot4PR77BPX2o\n"
	"bTodO/9AJtOYHqKxF7ugoQzVy64y5RbdfumhqwdAj86bT7DxRrqDGGIAv7lrgPB4\n"
	"yuDMQZaB77mamOPebgN7bmLg9zL6ERGMRqw3f2xEwOruCOVXCm9VeqaM0jcuvqtn\n"
	"lhuAI+djlwSGOPd0yoEyXhA=\n"
	"-----END PRIVATE KEY-----\n";
static const char list_cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDCzCCAfOgAwIBAgICEJIwDQYJKoZIhvcNAQELBQAwHTEbMBkGA1UEAwwScG9z\n"
	"dHdhcmQgZnV6eiBsaXN0MCAXDTI2MTIwNTIzMDgyN1oYDzIxMjYxMTExMjMwODI3\n"
	"WjAdMRswGQYDVQQDDBJwb3N0d2FyZCBmdXp6IGxpc3QwggEiMA0GCSqGSIb3DQEB\n"
	"AQUAA4IBDwAwggEKAoIBAQCyQ0/aX0Ck32quQw7MSWp6y6XDCD4jMQDYa6ItNspT\n"
	"knljRbtTbDPI4pa3BKovJwObHTUXeSSK0yKSE6Tv9q6iP8aOwMuGfV2OdFCIM8SD\n"
	"gR8/wE4N0Fs+RFRRWzFIhVexU+EjgMKdtbewzNj/FeRjWBbI6F3HoKsjoUeVDkoP\n"
	"n3ZYlu3Ul8OGFGSoAVWkccFiEct61c1YbWFSRiWCIR5mPSD+drlpuAxnxB0CRwPJ\n"
	"Kq5Ci8xdUjLKvmpc4gfUBiDCkhVyFzhoUcdVHEKAcD4Jlb1l5Tch4f0U5+QsZUj/\n"
	"VzqHIDf3MeRUWC2Qd2Gd9MK4KO0g77gDmeWxCndux8sxAgMBAAGjUzBRMB0GA1Ud\n"
	"DgQWBBReLSZo/oLFyLpfPdbw2Jd3HvA6YjAfBgNVHSMEGDAWgBReLSZo/oLFyLpf\n"
	"Pdbw2Jd3HvA6YjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCQ\n"
	"Smoq0LouJPfQuE0HLpzp0kLyVZyJeA94Kc6bm9q2TmES0dS0HB32CQSP2I3pcKGU\n"
	"uQVEs/Ux1wCL+N2uPRF2FumjTkZz61ihNCxblRACXjYb78ECyYawmGiw/x2vz8dD\n"
	"h0YAlZa22HRy9Dzt++XGSi5BH3YRY6SXNlli/qEr+HGSgEcQ5lB+8P96e+6q3zyP\n"
	"gYth9TM6P9adr/bQuXUAaNJZ/Mtwy4Kj6WC38GusZbX1CA4ccFLxtRGfoLks+Hib\n"
	"/4U2oebKR1sVnq3pEAyzG2/1OtWxY7sXXb/7VfQGyABCjRpc+kyH239BbCBM/6eu\n"
	"WGNeMUGkCj6/JEOpoQS2\n"
	"-----END CERTIFICATE-----\n";
static const char sub_cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBjDCCATGgAwIBAgICEPcwCgYIKoZIzj0EAwIwIzEhMB8GA1UEAwwYcG9zdHdh\n"
	"cmQgZnV6eiBzdWJzY3JpYmVyMCAXDTI2MTIwNTIzMDgyN1oYDzIxMjYxMTExMjMw\n"
	"ODI3WjAjMSEwHwYDVQQDDBhwb3N0d2FyZCBmdXp6IHN1YnNjcmliZXIwWTATBgcq\n"
	"hkjOPQIBBggqhkjOPQMBBwNCAARcLvUAabAqeh1AWqC8y1A4zzpu3vLHjgSyqyWK\n"
	"dfIbQi+gnN2ogJiSUxbfSEvNxLq7mpTf/YfYi/elgFPj7Vzzo1MwUTAdBgNVHQ4E\n"
	"FgQUxZN9LYX8UaA8lFbwYHPsUF273i4wHwYDVR0jBBgwFoAUxZN9LYX8UaA8lFbw\n"
	"YHPsUF273i4wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA6YDx\n"
	"bp/0h7yBXw43i/YP+yKk3FRddfSodnAnlFX0xi0CIQDsz9eoFpmRgMKWkOrIrl6D\n"
	"exgKWBUTsgVmB0qJiNpFMw==\n"
	"-----END CERTIFICATE-----\n";

static EVP_PKEY *list_key;
static X509 *list_cert, *sub_cert;
static uint8_t *rinfos[3];		/* SET OF RecipientInfo for modes 1-3 */
static size_t rinfos_len[3];

/* hdr_len - octets of a DER header for content length N */
static size_t hdr_len(size_t n)
{
	size_t k = 2;

	for (size_t m = n; n >= 0x80 && m > 0; m >>= 8)
		k++;
	return k;
}

/* put - a DER header (ID, length N) at P; the end */
static uint8_t *put(uint8_t *p, uint8_t id, size_t n)
{
	size_t k = hdr_len(n) - 2;

	*p++ = id;
	if (k == 0) {
		*p++ = (uint8_t)n;
		return p;
	}
	*p++ = (uint8_t)(0x80 | k);
	while (k-- > 0)
		*p++ = (uint8_t)(n >> (8 * k));
	return p;
}

/* make_rinfos - SET { KeyTransRecipientInfo } with CEKLEN octets of fixed_cek for list_cert */
static uint8_t *make_rinfos(size_t ceklen, size_t *len)
{
	static const uint8_t rsa_alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					   0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
	unsigned char *issuer = NULL, *serial = NULL, ek[512];
	int il = i2d_X509_NAME(X509_get_issuer_name(list_cert), &issuer);
	int sl = i2d_ASN1_INTEGER(X509_get_serialNumber(list_cert), &serial);
	size_t ekl = sizeof(ek), ias, ktri, total;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(list_key, NULL);
	uint8_t *out, *p;

	if (il <= 0 || sl <= 0 || ctx == NULL || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_encrypt(ctx, ek, &ekl, fixed_cek, ceklen) <= 0)
		abort();
	EVP_PKEY_CTX_free(ctx);
	ias = (size_t)il + (size_t)sl;
	ktri = 3 + hdr_len(ias) + ias + sizeof(rsa_alg) + hdr_len(ekl) + ekl;
	total = hdr_len(hdr_len(ktri) + ktri) + hdr_len(ktri) + ktri;
	if ((out = malloc(total)) == NULL)
		abort();
	p = put(out, 0x31, hdr_len(ktri) + ktri);
	p = put(p, 0x30, ktri);
	memcpy(p, "\x02\x01\x00", 3);
	p += 3;
	p = put(p, 0x30, ias);
	memcpy(p, issuer, (size_t)il);
	p += il;
	memcpy(p, serial, (size_t)sl);
	p += sl;
	memcpy(p, rsa_alg, sizeof(rsa_alg));
	p += sizeof(rsa_alg);
	p = put(p, 0x04, ekl);
	memcpy(p, ek, ekl);
	p += ekl;
	if ((size_t)(p - out) != total)
		abort();
	OPENSSL_free(issuer);
	OPENSSL_free(serial);
	*len = total;
	return out;
}

/* init - the keys, certificates and RecipientInfos, once */
static void init(void)
{
	static const size_t ceklen[3] = { 32, 16, 24 };
	BIO *b;

	if (list_key != NULL)
		return;
	b = BIO_new_mem_buf(list_key_pem, -1);
	list_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(list_cert_pem, -1);
	list_cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(sub_cert_pem, -1);
	sub_cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (list_key == NULL || list_cert == NULL || sub_cert == NULL)
		abort();
	for (int i = 0; i < 3; i++)
		rinfos[i] = make_rinfos(ceklen[i], &rinfos_len[i]);
}

/* wrap - ContentInfo { envelopedData, [0] { SEQUENCE { 0, RINFOS, ECI } } } */
static uint8_t *wrap(const uint8_t *ri, size_t rilen, const uint8_t *eci, size_t ecilen,
		     size_t *len)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07,
				       0x03 };
	size_t ed = 3 + rilen + ecilen, seq = hdr_len(ed) + ed, a0 = hdr_len(seq) + seq;
	size_t ci = sizeof(oid) + a0, total = hdr_len(ci) + ci;
	uint8_t *out = malloc(total), *p;

	if (out == NULL)
		return NULL;
	p = put(out, 0x30, ci);
	memcpy(p, oid, sizeof(oid));
	p += sizeof(oid);
	p = put(p, 0xa0, seq);
	p = put(p, 0x30, ed);
	memcpy(p, "\x02\x01\x00", 3);
	p += 3;
	memcpy(p, ri, rilen);
	p += rilen;
	memcpy(p, eci, ecilen);
	*len = total;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_post *post = NULL;
	uint8_t *der, *content = NULL, *copy = NULL;
	size_t len, clen = 0, copylen = 0;
	char inner[128], why[256];
	enum smime_status s;
	int mode;

	if (size < 1 || size > (1u << 20))
		return 0;
	init();
	mode = data[0] % 4;
	if (mode == 0) {
		len = size - 1;
		der = malloc(len ? len : 1);
		if (der != NULL && len > 0)
			memcpy(der, data + 1, len);
	} else {
		der = wrap(rinfos[mode - 1], rinfos_len[mode - 1], data + 1, size - 1, &len);
	}
	if (der == NULL)
		return 0;
	s = smime_open(der, len, list_key, list_cert, &post, &content, &clen, inner,
		       sizeof(inner), why, sizeof(why));
	if (memchr(why, '\0', sizeof(why)) == NULL || memchr(inner, '\0', sizeof(inner)) == NULL)
		abort();
	if (s == SMIME_OK) {
		if (post == NULL || content == NULL)
			abort();
		s = smime_readdress(post, sub_cert, &copy, &copylen, why, sizeof(why));
		if ((s == SMIME_OK) != (copy != NULL))
			abort();
	} else if (post != NULL || content != NULL || clen != 0) {
		abort();
	} else if (s > SMIME_E_NOMEM) {
		abort();
	}
	free(copy);
	free(content);
	smime_post_free(post);
	free(der);
	ERR_clear_error();
	return 0;
}
