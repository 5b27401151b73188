/*
 * tests/lists/pw-smtpsend.c - drive milter/lists/smtp.c from the command line, for tests/lists.
 *
 * usage: pw-smtpsend HOST:PORT FROM RCPT FILE [COUNT]
 * Sends FILE COUNT times (default 1) over one struct smtp_client and prints, per message,
 * "SENT|TEMP|PERM CODE TEXT (on connection: N)".  Exit 0 if every message was SENT, 1 if
 * not, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists/smtp.h"

int main(int argc, char **argv)
{
	char host[256];
	uint16_t port;
	FILE *f;
	char *buf;
	long len;
	int count = argc > 5 ? atoi(argv[5]) : 1, bad = 0;
	struct smtp_client *c;

	if (argc < 5 || argc > 6 || !smtp_parse_target(argv[1], host, sizeof(host), &port) ||
	    count < 1) {
		fprintf(stderr, "usage: pw-smtpsend HOST:PORT FROM RCPT FILE [COUNT]\n");
		return 2;
	}
	if ((f = fopen(argv[4], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		perror(argv[4]);
		return 2;
	}
	fclose(f);
	if ((c = smtp_client_new(host, port, "pw-smtpsend.test", 10)) == NULL)
		return 2;
	for (int i = 0; i < count; i++) {
		struct smtp_reply r;
		enum smtp_result res = smtp_send(c, argv[2], argv[3], buf, (size_t)len, &r);
		printf("%s %d %s (on connection: %u)\n", res == SMTP_SENT ? "SENT" :
		       res == SMTP_TEMP ? "TEMP" : "PERM", r.code, r.text, smtp_messages(c));
		if (res != SMTP_SENT)
			bad = 1;
	}
	smtp_close(c);
	free(buf);
	return bad;
}
