/*
 * milter/lists/openpgp-armor.c - OpenPGP ASCII armor for encrypted lists (RFC 4880 section 6):
 * take the first PGP MESSAGE block of a text apart, CRC-24 checked, and write one.
 *
 * NAME
 *	openpgp_armor - opgp_dearmor(), opgp_dearmor_label(), opgp_dearmor_keys(),
 *	opgp_armor(), opgp_armor_label()
 *
 * SYNOPSIS
 *	#include "openpgp.h"
 *	(the prototypes and the contract: see openpgp.h)
 *
 * DESCRIPTION
 *	Pure computation on caller buffers, no OpenSSL, no global state: thread-safe.  The
 *	packets are openpgp.c, the session-key wrapping openpgp-wrap.c.
 */
#include "openpgp.h"
#include "b64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ASCII armor ----------------------------------------------------------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* the CRC-24 of RFC 4880 section 6.1 one octet at a time: entry B is the bitwise
 * algorithm (polynomial 0x1864cfb) run over B << 16 */
static const uint32_t crc24_table[256] = {
	0x000000u, 0x864cfbu, 0x8ad50du, 0x0c99f6u, 0x93e6e1u, 0x15aa1au,
	0x1933ecu, 0x9f7f17u, 0xa18139u, 0x27cdc2u, 0x2b5434u, 0xad18cfu,
	0x3267d8u, 0xb42b23u, 0xb8b2d5u, 0x3efe2eu, 0xc54e89u, 0x430272u,
	0x4f9b84u, 0xc9d77fu, 0x56a868u, 0xd0e493u, 0xdc7d65u, 0x5a319eu,
	0x64cfb0u, 0xe2834bu, 0xee1abdu, 0x685646u, 0xf72951u, 0x7165aau,
	0x7dfc5cu, 0xfbb0a7u, 0x0cd1e9u, 0x8a9d12u, 0x8604e4u, 0x00481fu,
	0x9f3708u, 0x197bf3u, 0x15e205u, 0x93aefeu, 0xad50d0u, 0x2b1c2bu,
	0x2785ddu, 0xa1c926u, 0x3eb631u, 0xb8facau, 0xb4633cu, 0x322fc7u,
	0xc99f60u, 0x4fd39bu, 0x434a6du, 0xc50696u, 0x5a7981u, 0xdc357au,
	0xd0ac8cu, 0x56e077u, 0x681e59u, 0xee52a2u, 0xe2cb54u, 0x6487afu,
	0xfbf8b8u, 0x7db443u, 0x712db5u, 0xf7614eu, 0x19a3d2u, 0x9fef29u,
	0x9376dfu, 0x153a24u, 0x8a4533u, 0x0c09c8u, 0x00903eu, 0x86dcc5u,
	0xb822ebu, 0x3e6e10u, 0x32f7e6u, 0xb4bb1du, 0x2bc40au, 0xad88f1u,
	0xa11107u, 0x275dfcu, 0xdced5bu, 0x5aa1a0u, 0x563856u, 0xd074adu,
	0x4f0bbau, 0xc94741u, 0xc5deb7u, 0x43924cu, 0x7d6c62u, 0xfb2099u,
	0xf7b96fu, 0x71f594u, 0xee8a83u, 0x68c678u, 0x645f8eu, 0xe21375u,
	0x15723bu, 0x933ec0u, 0x9fa736u, 0x19ebcdu, 0x8694dau, 0x00d821u,
	0x0c41d7u, 0x8a0d2cu, 0xb4f302u, 0x32bff9u, 0x3e260fu, 0xb86af4u,
	0x2715e3u, 0xa15918u, 0xadc0eeu, 0x2b8c15u, 0xd03cb2u, 0x567049u,
	0x5ae9bfu, 0xdca544u, 0x43da53u, 0xc596a8u, 0xc90f5eu, 0x4f43a5u,
	0x71bd8bu, 0xf7f170u, 0xfb6886u, 0x7d247du, 0xe25b6au, 0x641791u,
	0x688e67u, 0xeec29cu, 0x3347a4u, 0xb50b5fu, 0xb992a9u, 0x3fde52u,
	0xa0a145u, 0x26edbeu, 0x2a7448u, 0xac38b3u, 0x92c69du, 0x148a66u,
	0x181390u, 0x9e5f6bu, 0x01207cu, 0x876c87u, 0x8bf571u, 0x0db98au,
	0xf6092du, 0x7045d6u, 0x7cdc20u, 0xfa90dbu, 0x65efccu, 0xe3a337u,
	0xef3ac1u, 0x69763au, 0x578814u, 0xd1c4efu, 0xdd5d19u, 0x5b11e2u,
	0xc46ef5u, 0x42220eu, 0x4ebbf8u, 0xc8f703u, 0x3f964du, 0xb9dab6u,
	0xb54340u, 0x330fbbu, 0xac70acu, 0x2a3c57u, 0x26a5a1u, 0xa0e95au,
	0x9e1774u, 0x185b8fu, 0x14c279u, 0x928e82u, 0x0df195u, 0x8bbd6eu,
	0x872498u, 0x016863u, 0xfad8c4u, 0x7c943fu, 0x700dc9u, 0xf64132u,
	0x693e25u, 0xef72deu, 0xe3eb28u, 0x65a7d3u, 0x5b59fdu, 0xdd1506u,
	0xd18cf0u, 0x57c00bu, 0xc8bf1cu, 0x4ef3e7u, 0x426a11u, 0xc426eau,
	0x2ae476u, 0xaca88du, 0xa0317bu, 0x267d80u, 0xb90297u, 0x3f4e6cu,
	0x33d79au, 0xb59b61u, 0x8b654fu, 0x0d29b4u, 0x01b042u, 0x87fcb9u,
	0x1883aeu, 0x9ecf55u, 0x9256a3u, 0x141a58u, 0xefaaffu, 0x69e604u,
	0x657ff2u, 0xe33309u, 0x7c4c1eu, 0xfa00e5u, 0xf69913u, 0x70d5e8u,
	0x4e2bc6u, 0xc8673du, 0xc4fecbu, 0x42b230u, 0xddcd27u, 0x5b81dcu,
	0x57182au, 0xd154d1u, 0x26359fu, 0xa07964u, 0xace092u, 0x2aac69u,
	0xb5d37eu, 0x339f85u, 0x3f0673u, 0xb94a88u, 0x87b4a6u, 0x01f85du,
	0x0d61abu, 0x8b2d50u, 0x145247u, 0x921ebcu, 0x9e874au, 0x18cbb1u,
	0xe37b16u, 0x6537edu, 0x69ae1bu, 0xefe2e0u, 0x709df7u, 0xf6d10cu,
	0xfa48fau, 0x7c0401u, 0x42fa2fu, 0xc4b6d4u, 0xc82f22u, 0x4e63d9u,
	0xd11cceu, 0x575035u, 0x5bc9c3u, 0xdd8538u,
};

/* crc24 - the armor checksum of RFC 4880 section 6.1 */
static uint32_t crc24(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xb704ceu;

	for (size_t i = 0; i < n; i++)
		crc = ((crc << 8) ^ crc24_table[((crc >> 16) ^ p[i]) & 0xff]) & 0xffffffu;
	return crc;
}


/* b64_put - encode N (1..3) octets at IN as four digits at OUT */
static void b64_put(const uint8_t *in, size_t n, char *out)
{
	uint32_t v = (uint32_t)in[0] << 16 | (n > 1 ? (uint32_t)in[1] << 8 : 0) |
		     (n > 2 ? in[2] : 0);

	out[0] = b64_alphabet[v >> 18 & 63];
	out[1] = b64_alphabet[v >> 12 & 63];
	out[2] = n > 1 ? b64_alphabet[v >> 6 & 63] : '=';
	out[3] = n > 2 ? b64_alphabet[v & 63] : '=';
}

/* next_line - the line at *POS (without CR LF and trailing blanks); *POS moves past it */
static bool next_line(const char *t, size_t len, size_t *pos, const char **line, size_t *n)
{
	size_t s = *pos, e;

	if (s >= len)
		return false;
	for (e = s; e < len && t[e] != '\n'; e++)
		;
	*pos = e < len ? e + 1 : e;
	while (e > s && (t[e - 1] == '\r' || t[e - 1] == ' ' || t[e - 1] == '\t'))
		e--;
	*line = t + s;
	*n = e - s;
	return true;
}

/* is_line - is the line L/N exactly the C string S */
static bool is_line(const char *l, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(l, s, n) == 0;
}

/* opgp_dearmor - the first PGP MESSAGE armor block in TEXT, decoded and CRC-checked */
enum opgp_status opgp_dearmor(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	return opgp_dearmor_label(text, len, "MESSAGE", out, outlen);
}

/* opgp_dearmor_label - the first "PGP LABEL" armor block in TEXT, decoded and CRC-checked */
enum opgp_status opgp_dearmor_label(const char *text, size_t len, const char *label,
				    uint8_t **out, size_t *outlen)
{
	size_t pos = 0, n, o = 0, pad = 0;
	const char *l;
	uint8_t *buf;
	uint32_t acc = 0, crc = 0;
	unsigned q = 0;
	bool found = false, have_crc = false, ended = false;
	char armor_begin[96], armor_end[96];

	*out = NULL;
	*outlen = 0;
	if (text == NULL || strlen(label) > 64)
		return OPGP_E_FORMAT;
	snprintf(armor_begin, sizeof armor_begin, "-----BEGIN PGP %s-----", label);
	snprintf(armor_end, sizeof armor_end, "-----END PGP %s-----", label);
	while (!found && next_line(text, len, &pos, &l, &n))
		found = is_line(l, n, armor_begin);
	if (!found)
		return OPGP_E_FORMAT;
	/* armor headers ("Key: value") end with an empty line; tolerate their absence */
	{
		size_t save = pos;

		while (next_line(text, len, &pos, &l, &n) && n > 0 && memchr(l, ':', n) != NULL)
			save = pos;
		if (n == 0)
			save = pos;
		pos = save;
	}
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return OPGP_E_NOMEM;
	while (next_line(text, len, &pos, &l, &n)) {
		if (is_line(l, n, armor_end)) {
			ended = true;
			break;
		}
		if (have_crc)
			goto bad;		/* only the END line may follow the checksum */
		if (n > 0 && l[0] == '=') {
			int v[4];

			if (n != 5)
				goto bad;
			for (int i = 0; i < 4; i++)
				if ((v[i] = pw_b64_value(l[1 + i])) < 0)
					goto bad;
			crc = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			      (uint32_t)v[3];
			have_crc = true;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			int v;

			if (l[i] == ' ' || l[i] == '\t')
				continue;
			if (l[i] == '=') {
				if (q < 2 || q + pad >= 4)
					goto bad;
				pad++;
				continue;
			}
			if (pad > 0 || (v = pw_b64_value(l[i])) < 0)
				goto bad;
			acc = acc << 6 | (uint32_t)v;
			if (++q == 4) {
				buf[o++] = (uint8_t)(acc >> 16);
				buf[o++] = (uint8_t)(acc >> 8);
				buf[o++] = (uint8_t)acc;
				acc = 0;
				q = 0;
			}
		}
	}
	if (!ended || q == 1 || (pad > 0 && q + pad != 4))
		goto bad;
	if (q == 2) {
		buf[o++] = (uint8_t)(acc >> 4);
	} else if (q == 3) {
		buf[o++] = (uint8_t)(acc >> 10);
		buf[o++] = (uint8_t)(acc >> 2);
	}
	if (o == 0 || (have_crc && crc24(buf, o) != crc))
		goto bad;
	*out = buf;
	*outlen = o;
	return OPGP_OK;
bad:
	free(buf);
	return OPGP_E_FORMAT;
}

/* opgp_dearmor_keys - the first PGP PUBLIC KEY BLOCK armor block in TEXT */
enum opgp_status opgp_dearmor_keys(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	return opgp_dearmor_label(text, len, "PUBLIC KEY BLOCK", out, outlen);
}

/* opgp_armor - PGP MESSAGE armor with CRC-24 for BIN */
enum opgp_status opgp_armor(const uint8_t *bin, size_t len, char **out, size_t *outlen)
{
	return opgp_armor_label(bin, len, "MESSAGE", out, outlen);
}

/* opgp_armor_label - "PGP LABEL" armor with CRC-24 for BIN */
enum opgp_status opgp_armor_label(const uint8_t *bin, size_t len, const char *label, char **out,
				  size_t *outlen)
{
	size_t groups, cap, o = 0, llen = strlen(label);
	uint8_t crcb[3];
	uint32_t crc;
	char *buf;

	*out = NULL;
	*outlen = 0;
	if (len > (SIZE_MAX - 128) / 2 || llen > 64)
		return OPGP_E_NOMEM;
	groups = (len + 2) / 3;
	cap = 2 * (llen + 20) + 1 + groups * 4 + groups / 16 + 1 + 6 + 2;
	if ((buf = malloc(cap)) == NULL)
		return OPGP_E_NOMEM;
	o += (size_t)sprintf(buf, "-----BEGIN PGP %s-----\n\n", label);
	for (size_t i = 0; i < len; i += 3) {
		b64_put(bin + i, len - i < 3 ? len - i : 3, buf + o);
		o += 4;
		if ((i / 3 + 1) % 16 == 0 || i + 3 >= len)
			buf[o++] = '\n';	/* 16 groups: 64 characters a line */
	}
	crc = crc24(bin, len);
	crcb[0] = (uint8_t)(crc >> 16);
	crcb[1] = (uint8_t)(crc >> 8);
	crcb[2] = (uint8_t)crc;
	buf[o++] = '=';
	b64_put(crcb, 3, buf + o);
	o += 4;
	o += (size_t)sprintf(buf + o, "\n-----END PGP %s-----\n", label);
	*out = buf;
	*outlen = o;
	return OPGP_OK;
}
