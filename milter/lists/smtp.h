/*
 * milter/lists/smtp.h - the SMTP client that re-injects list copies into the MTA.
 *
 * One struct smtp_client is one connection to the configured MTA address (for Postfix a
 * second smtpd on 127.0.0.1 without milters; see contrib/postfix).  It connects on first use
 * (EHLO, falling back to HELO), sends one message per smtp_send() - MAIL FROM, one RCPT TO,
 * DATA with the text normalised to CRLF and dot-stuffed - and keeps the connection for the
 * next message; after any error, timeout or unexpected reply it closes it and the next
 * smtp_send() connects again.  smtp_close() says QUIT.
 *
 * Outcome of smtp_send():
 *   SMTP_SENT  the MTA answered 250 after the final dot: the copy is its responsibility now;
 *   SMTP_TEMP  a 4xx reply, a connection or protocol failure, or a timeout: try later;
 *   SMTP_PERM  a 5xx reply to MAIL, RCPT or DATA: report, do not retry.
 * The reply (code and first line of text) is kept in *reply for the logs and reports.
 *
 * Threads: a client belongs to one thread (each pool worker has its own).  Every read and
 * write is bounded by the timeout; replies longer than SMTP_MAX_REPLY octets are an error.
 */
#ifndef POSTWARD_MILTER_SMTP_H
#define POSTWARD_MILTER_SMTP_H

#include <stddef.h>
#include <stdint.h>

#define SMTP_MAX_REPLY 4096

enum smtp_result { SMTP_SENT, SMTP_TEMP, SMTP_PERM };

struct smtp_reply {
	int code;			/* 0 when the failure was not a reply */
	char text[512];			/* first line of the reply, or the local error */
};

struct smtp_client;

/* smtp_client_new - a client for HOST (IP literal or name) PORT, saying HELO as HELO, with
 * TIMEOUT seconds per read/write/connect; NULL on lack of memory */
struct smtp_client *smtp_client_new(const char *host, uint16_t port, const char *helo,
				    unsigned timeout);
/* smtp_send - deliver MESSAGE (LEN octets, LF or CRLF line ends) from FROM ("" for the null
 * sender) to RCPT */
enum smtp_result smtp_send(struct smtp_client *c, const char *from, const char *rcpt,
			   const char *message, size_t len, struct smtp_reply *reply);
/* smtp_messages - messages sent on the current connection (0 after a reconnect) */
unsigned smtp_messages(const struct smtp_client *c);
/* smtp_close - QUIT and free (NULL is fine) */
void smtp_close(struct smtp_client *c);
/* smtp_parse_target - "HOST:PORT" or "[IPV6]:PORT" into HOST and PORT; 0 on error */
int smtp_parse_target(const char *text, char *host, size_t hostlen, uint16_t *port);

#endif
