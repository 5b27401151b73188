/*
 * milter/lists/smtp.c - SMTP client for re-injecting list copies.
 * Contract: see smtp.h.  Plain SMTP over TCP to a local MTA; poll(2) bounds every wait.
 */
#include "build-config.h"
#include "smtp.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct smtp_client {
	char *host, *helo;		/* owned */
	uint16_t port;
	unsigned timeout;		/* seconds */
	int fd;				/* -1 when not connected */
	unsigned sent;			/* messages on this connection */
	char in[SMTP_MAX_REPLY + 1];	/* read buffer */
	size_t in_len;
	char *out;			/* owned: DATA staging buffer */
	size_t out_cap;
};

/* smtp_client_new - allocate */
struct smtp_client *smtp_client_new(const char *host, uint16_t port, const char *helo,
				    unsigned timeout)
{
	struct smtp_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fd = -1;
	c->port = port;
	c->timeout = timeout ? timeout : 30;
	if ((c->host = strdup(host)) == NULL || (c->helo = strdup(helo)) == NULL) {
		smtp_close(c);
		return NULL;
	}
	return c;
}

/* fail - close the connection and fill REPLY with a local error */
static enum smtp_result fail(struct smtp_client *c, struct smtp_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum smtp_result fail(struct smtp_client *c, struct smtp_reply *r, const char *fmt, ...)
{
	va_list ap;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in_len = 0;
	c->sent = 0;
	r->code = 0;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	return SMTP_TEMP;
}

/* deadline_ms - milliseconds left until END (monotonic), at least 0 */
static int deadline_ms(const struct timespec *end)
{
	struct timespec now;
	long long ms;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* wait_fd - poll for EVENTS until the timeout; false on timeout or error */
static bool wait_fd(struct smtp_client *c, short events)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += c->timeout;
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int k = poll(&p, 1, deadline_ms(&end));
		if (k > 0)
			return true;
		if (k == 0 || errno != EINTR)
			return false;
	}
}

/* send_all - write everything, bounded by the timeout per wait */
static bool send_all(struct smtp_client *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t k;
		if (!wait_fd(c, POLLOUT))
			return false;
		k = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return false;
		buf += k;
		len -= (size_t)k;
	}
	return true;
}

/* read_reply - one (possibly multi-line) reply: its code, first line in R; false on error */
static bool read_reply(struct smtp_client *c, struct smtp_reply *r)
{
	bool first = true;
	for (;;) {
		char *nl = memchr(c->in, '\n', c->in_len);
		if (nl != NULL) {
			size_t ll = (size_t)(nl - c->in) + 1;
			char line[SMTP_MAX_REPLY + 1];
			memcpy(line, c->in, ll);
			line[ll] = '\0';
			memmove(c->in, c->in + ll, c->in_len - ll);
			c->in_len -= ll;
			while (ll > 0 && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
				line[--ll] = '\0';
			if (ll < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
			    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
			    (ll > 3 && line[3] != ' ' && line[3] != '-'))
				return false;
			if (first) {
				r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
				snprintf(r->text, sizeof(r->text), "%.*s",
					 (int)sizeof(r->text) - 1, line);
				first = false;
			}
			if (ll == 3 || line[3] == ' ')
				return true;
			continue;
		}
		if (c->in_len == SMTP_MAX_REPLY)
			return false;	/* a line longer than the limit */
		if (!wait_fd(c, POLLIN))
			return false;
		ssize_t k = recv(c->fd, c->in + c->in_len, SMTP_MAX_REPLY - c->in_len, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return false;
		c->in_len += (size_t)k;
	}
}

/* command - send LINE (with CRLF added) and read the reply */
static bool command(struct smtp_client *c, const char *line, struct smtp_reply *r)
{
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return false;
	return send_all(c, buf, (size_t)n) && read_reply(c, r);
}

/* connect_to - open the TCP connection (non-blocking connect bounded by the timeout) */
static bool connect_to(struct smtp_client *c, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *a;
	char port[8];
	int e;

	snprintf(port, sizeof(port), "%u", c->port);
	if ((e = getaddrinfo(c->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", c->host, gai_strerror(e));
		return false;
	}
	snprintf(err, errlen, "cannot connect to %s port %u", c->host, c->port);
	for (a = res; a != NULL; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
			snprintf(err, errlen, "connect to %s port %u: %s", c->host, c->port,
				 strerror(errno));
			close(fd);
			continue;
		}
		c->fd = fd;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (!wait_fd(c, POLLOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0) {
			snprintf(err, errlen, "connect to %s port %u: %s", c->host, c->port,
				 soerr ? strerror(soerr) : "timed out");
			close(fd);
			c->fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(res);
	return c->fd >= 0;
}

/* open_session - connect, read the greeting, EHLO (or HELO) */
static enum smtp_result open_session(struct smtp_client *c, struct smtp_reply *r)
{
	char err[256], line[600];
	if (!connect_to(c, err, sizeof(err)))
		return fail(c, r, "%s", err);
	if (!read_reply(c, r))
		return fail(c, r, "no greeting from %s", c->host);
	if (r->code != 220) {
		enum smtp_result res = r->code >= 500 ? SMTP_PERM : SMTP_TEMP;
		struct smtp_reply keep = *r;
		fail(c, r, "-");
		*r = keep;
		return res == SMTP_PERM ? SMTP_TEMP : res;	/* a greeting is never final */
	}
	snprintf(line, sizeof(line), "EHLO %s", c->helo);
	if (!command(c, line, r))
		return fail(c, r, "no reply to EHLO from %s", c->host);
	if (r->code != 250) {
		snprintf(line, sizeof(line), "HELO %s", c->helo);
		if (!command(c, line, r) || r->code != 250)
			return fail(c, r, "HELO refused by %s", c->host);
	}
	c->sent = 0;
	return SMTP_SENT;
}

/* stage - MESSAGE as DATA: CRLF line ends, leading dots doubled, ".\r\n" at the end */
static bool stage(struct smtp_client *c, const char *m, size_t len, size_t *outlen)
{
	size_t need = len * 2 + 8, o = 0;
	bool bol = true;
	if (need > c->out_cap) {
		char *n = realloc(c->out, need);
		if (n == NULL)
			return false;
		c->out = n;
		c->out_cap = need;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = m[i];
		if (bol && ch == '.')
			c->out[o++] = '.';
		if (ch == '\n') {
			if (o == 0 || c->out[o - 1] != '\r')
				c->out[o++] = '\r';
			c->out[o++] = '\n';
			bol = true;
			continue;
		}
		c->out[o++] = ch;
		bol = false;
	}
	if (!bol) {
		c->out[o++] = '\r';
		c->out[o++] = '\n';
	}
	memcpy(c->out + o, ".\r\n", 3);
	*outlen = o + 3;
	return true;
}

/* verdict - what a reply to a transaction step means */
static enum smtp_result verdict(struct smtp_client *c, struct smtp_reply *r)
{
	struct smtp_reply keep = *r;
	if (r->code >= 500) {
		command(c, "RSET", r);	/* keep the connection usable */
		*r = keep;
		return SMTP_PERM;
	}
	fail(c, r, "-");	/* 4xx or garbage: start afresh next time */
	*r = keep;
	return SMTP_TEMP;
}

/* smtp_send - one message */
enum smtp_result smtp_send(struct smtp_client *c, const char *from, const char *rcpt,
			   const char *message, size_t len, struct smtp_reply *r)
{
	char line[1100];
	size_t dlen;

	memset(r, 0, sizeof(*r));
	if (strpbrk(from, "\r\n<>") || strpbrk(rcpt, "\r\n<>") || strlen(from) > 512 ||
	    strlen(rcpt) > 512) {
		snprintf(r->text, sizeof(r->text), "unusable address");
		return SMTP_PERM;
	}
	if (!stage(c, message, len, &dlen)) {
		snprintf(r->text, sizeof(r->text), "out of memory");
		return SMTP_TEMP;
	}
	if (c->fd < 0 && open_session(c, r) != SMTP_SENT)
		return SMTP_TEMP;
	snprintf(line, sizeof(line), "MAIL FROM:<%s>", from);
	if (!command(c, line, r)) {
		/* the server may have closed an idle connection: one fresh attempt */
		fail(c, r, "-");
		if (open_session(c, r) != SMTP_SENT || !command(c, line, r))
			return fail(c, r, "connection to %s lost at MAIL", c->host);
	}
	if (r->code != 250)
		return verdict(c, r);
	snprintf(line, sizeof(line), "RCPT TO:<%s>", rcpt);
	if (!command(c, line, r))
		return fail(c, r, "connection to %s lost at RCPT", c->host);
	if (r->code != 250 && r->code != 251)
		return verdict(c, r);
	if (!command(c, "DATA", r))
		return fail(c, r, "connection to %s lost at DATA", c->host);
	if (r->code != 354)
		return verdict(c, r);
	if (!send_all(c, c->out, dlen) || !read_reply(c, r))
		return fail(c, r, "connection to %s lost after the message", c->host);
	if (r->code != 250)
		return verdict(c, r);
	c->sent++;
	return SMTP_SENT;
}

/* smtp_messages - on this connection */
unsigned smtp_messages(const struct smtp_client *c)
{
	return c->sent;
}

/* smtp_close - QUIT and free */
void smtp_close(struct smtp_client *c)
{
	struct smtp_reply r;
	if (c == NULL)
		return;
	if (c->fd >= 0) {
		command(c, "QUIT", &r);
		close(c->fd);
	}
	free(c->host);
	free(c->helo);
	free(c->out);
	free(c);
}

/* smtp_parse_target - "HOST:PORT" / "[V6]:PORT" */
int smtp_parse_target(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon;
	size_t hl;
	char *end;
	unsigned long p;

	if (text[0] == '[') {
		const char *rb = strchr(text, ']');
		if (rb == NULL || rb[1] != ':')
			return 0;
		hl = (size_t)(rb - text - 1);
		text++;
		colon = rb + 1;
	} else {
		if ((colon = strrchr(text, ':')) == NULL || memchr(text, ':', (size_t)(colon - text)))
			return 0;
		hl = (size_t)(colon - text);
	}
	if (hl == 0 || hl >= hostlen)
		return 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || p == 0 || p > 65535)
		return 0;
	memcpy(host, text, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 1;
}
