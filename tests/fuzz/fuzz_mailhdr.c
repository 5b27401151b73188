/*
 * tests/fuzz/fuzz_mailhdr.c - fuzz harness for policy/mailhdr: From and Authentication-Results
 * field bodies (bytes an SMTP client sends).  The first octet picks the parser, the rest is
 * the field body as libmilter hands it over (NUL-terminated, so an embedded NUL ends it).
 * Contract checked: no crash, no sanitizer report, outputs NUL-terminated within their sizes;
 * a From with a usable first mailbox gives its domain in ASCII lower case without the
 * trailing dot; an error always says why; pw_from_mailbox agrees and gives an address
 * ending in "@" and that domain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *value = malloc(size);
	if (value == NULL)
		return 0;
	memcpy(value, data + 1, size - 1);
	value[size - 1] = '\0';

	switch (data[0] % 3) {
	case 0: {
		size_t n = 0;
		char domain[256], why[128];
		enum pw_from_status st = pw_from_parse(value, &n, domain, sizeof domain, why,
						       sizeof why);
		size_t dl = strnlen(domain, sizeof domain);
		if (dl == sizeof domain || strnlen(why, sizeof why) == sizeof why)
			abort();
		/* a usable first mailbox: its domain, ASCII lower case, no trailing dot */
		if (st == PW_FROM_OK && n > 0) {
			if (dl == 0 || domain[dl - 1] == '.')
				abort();
			for (size_t i = 0; i < dl; i++)
				if (domain[i] >= 'A' && domain[i] <= 'Z')
					abort();
		}
		if (st != PW_FROM_OK && why[0] == '\0')
			abort();
		/* pw_from_mailbox: the same verdict; name and address terminated; an address
		 * only when OK with a mailbox, ending in "@" and the domain */
		struct pw_from_mailbox mb;
		size_t n2 = 0;
		if (pw_from_mailbox(value, &n2, &mb, NULL, 0) != st || n2 != n ||
		    strcmp(mb.domain, domain) != 0 ||
		    strnlen(mb.name, sizeof mb.name) == sizeof mb.name ||
		    strnlen(mb.addr, sizeof mb.addr) == sizeof mb.addr)
			abort();
		if (mb.addr[0] != '\0' && !(st == PW_FROM_OK && n > 0))
			abort();
		if (mb.addr[0] != '\0') {
			size_t al = strlen(mb.addr);
			if (al <= dl + 1 || mb.addr[al - dl - 1] != '@' ||
			    strcmp(mb.addr + al - dl, domain) != 0)
				abort();
		}
		break;
	}
	case 1: {
		char authserv[256];
		struct pw_ar_resinfo ri[4];
		int k = pw_ar_parse(value, authserv, sizeof authserv, ri, 4);
		if (k >= 0 && strnlen(authserv, sizeof authserv) == sizeof authserv)
			abort();
		for (int i = 0; i < k && i < 4; i++)
			if (strnlen(ri[i].method, sizeof ri[i].method) == sizeof ri[i].method ||
			    strnlen(ri[i].result, sizeof ri[i].result) == sizeof ri[i].result ||
			    strnlen(ri[i].mailfrom, sizeof ri[i].mailfrom) == sizeof ri[i].mailfrom ||
			    strnlen(ri[i].helo, sizeof ri[i].helo) == sizeof ri[i].helo ||
			    strnlen(ri[i].header_from, sizeof ri[i].header_from) ==
				    sizeof ri[i].header_from)
				abort();
		break;
	}
	default: {
		char out[256];
		size_t l = pw_ar_domain(value, out, sizeof out);
		if (l >= sizeof out || strlen(out) != l)
			abort();
		break;
	}
	}
	free(value);
	return 0;
}
