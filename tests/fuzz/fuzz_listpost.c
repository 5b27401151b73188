/*
 * tests/fuzz/fuzz_listpost.c - fuzz harness for milter/lists/listpost: the classification of a list
 * post (PGP/MIME, inline OpenPGP, S/MIME, plain, malformed) and the copy written around its
 * payload.  Input: a whole message as the milter collects it (header and body, any line ends).
 * Contract checked: no crash, no sanitizer report; the verdict is one of the kinds; a plain or
 * malformed post has a reason and no payload; an encrypted one has a payload, and its copy
 * (boundary from a fixed random source, so a run is reproducible) parses again as the same
 * kind with the same payload, octet for octet (but for a lone CR, which becomes a line end).
 * The same holds for a second copy with every header option on (From rewrite, which reads the
 * post's From with pw_from_mailbox and decodes its encoded-words; the Subject prefix, which
 * decodes the Subject's; role addresses; Autocrypt keydata).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lists/listpost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fixed_random - listpost_random_fn: the same octets every time */
static int fixed_random(void *ctx, unsigned char *buf, size_t n)
{
	unsigned *calls = ctx;

	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 37 + *calls);
	(*calls)++;
	return 1;
}

/* copy_again - the copy of P (MSG, SIZE octets) made with A, when it can be made and SAME,
 * must parse as the same kind with the same payload */
static void copy_again(const char *msg, size_t size, const struct listpost *p,
		       const struct listpost_copy_args *a, bool same)
{
	struct listpost q;
	char *c = NULL;
	size_t n = 0;

	if (!listpost_copy(msg, size, p, a, p->payload, p->payload_len, &c, &n))
		return;		/* e.g. a header that cannot be copied */
	if (same && listpost_parse(c, n, &q)) {
		if (q.kind != p->kind || q.payload_len != p->payload_len ||
		    memcmp(q.payload, p->payload, p->payload_len) != 0)
			abort();
		listpost_clear(&q);
	}
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listpost p;
	unsigned calls = 0;
	bool same;
	struct listpost_copy_args a = {
		.list = "board@lists.example.org", .list_id = "board.lists.example.org",
		.list_phrase = "Board", .requiretls = true, .tag_header = "X-Postward-TLS",
		.random = fixed_random, .random_ctx = &calls,
	};
	char *msg = malloc(size ? size : 1);

	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	if (!listpost_parse(msg, size, &p)) {
		free(msg);
		return 0;
	}
	if (p.kind > LISTPOST_BAD || p.header_len > size ||
	    memchr(p.why, '\0', sizeof(p.why)) == NULL)
		abort();
	if (p.kind == LISTPOST_PLAIN || p.kind == LISTPOST_BAD) {
		if (p.payload != NULL || p.smime_type != NULL || p.why[0] == '\0')
			abort();
		goto out;
	}
	if (p.payload == NULL || p.payload_len == 0)
		abort();
	/* a lone CR in an armor becomes a line end: then the payload is not the same */
	same = p.kind == LISTPOST_SMIME || memchr(p.payload, '\r', p.payload_len) == NULL;
	copy_again(msg, size, &p, &a, same);
	{
		static const uint8_t key[200] = { 0x98, 0x33, 4 };
		struct listpost_copy_args all = a;
		all.request = "board-request@lists.example.org";
		all.owner = "board-owner@lists.example.org";
		all.from_rewrite = true;
		all.list_name = "Board";
		all.subject_prefix = (calls & 1) ? "[board]" : "[Vorstand-\xc3\xbc]";
		all.autocrypt_keydata = key;
		all.autocrypt_len = sizeof(key);
		copy_again(msg, size, &p, &all, same);
	}
out:
	listpost_clear(&p);
	free(msg);
	return 0;
}
