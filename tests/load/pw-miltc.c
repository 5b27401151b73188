/*
 * tests/load/pw-miltc.c - a strict milter protocol client (the MTA side of milter protocol 6),
 * without libmilter, for tests and for bench/load.sh.
 *
 * usage: pw-miltc -s SOCKET [options] MESSAGE...
 *   SOCKET     unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST
 *   MESSAGE    an RFC 5322 file (CRLF or LF lines), or with -C a corpus file in the framing
 *              bench/dkim-corpus.py writes (several messages each)
 *
 * It speaks like Postfix 3.7: offers every action and every protocol flag (all SMFIP_NR_*,
 * SMFIP_SKIP, SMFIP_HDR_LEADSPC), sends Postfix's default macros per stage (or the lists the
 * milter asked for with SMFIR_SETSYMLIST: i, {mail_addr}, {tls_version}, {cipher}, ...), header
 * values without the space after the colon unless SMFIP_HDR_LEADSPC was agreed, folds as LF +
 * white space, the body with CRLF lines in chunks of at most 65535 octets.  It honours the
 * negotiation: a stage the milter declined (SMFIP_NO*) is not sent, and where a no-reply flag
 * was agreed no reply is read.
 *
 * STRICT: every command that expects a reply gets exactly one; a reply that arrives where none
 * is due (found before each command is sent: the socket must have nothing to read), a
 * modification action before end of message, an unknown reply code, a malformed packet, or any
 * octet the milter sends after QUIT (the client half-closes and reads to EOF) is a protocol
 * VIOLATION, printed with its session, message and stage.
 *
 * Script mode (default): -n N sessions in parallel (threads), each -m M messages, messages
 *   taken round robin from the list.  One line per message:
 *     S<s> M<m> QID VERDICT eom=<ms>ms ar="<Authentication-Results value or ->"
 *   VERDICT: accept | continue | discard | reject:CODE | tempfail:CODE | lost:<why>
 *   then "summary: sessions=N messages=M accept=.. reject=.. tempfail=.. discard=.. lost=..
 *   violations=V".  Exit status 1 if any violation or lost message, else 0.
 * Load mode (-c C -t T): C connections held at once for T seconds, each sending -m messages
 *   (default 10) per connection, the corpus round robin; prints one line
 *     load: conns=C secs=T messages=N rate=R msg/s eom_p50=A ms eom_p99=B ms accept=..
 *     tempfail=.. reject=.. good=.. acceptable=.. wrong=.. lost=.. violations=V
 *   SIGTERM or SIGINT ends the run early the same way (each session finishes its message).
 *   (-A ERE: an accepted message whose A-R field matches is "good"; -O ERE: one that matches
 *   this is "acceptable", as is a tempfail; any other verdict is "wrong").
 *
 * Faults and progress (for tests that must reach a fault point by an event, not a sleep):
 *   -x STAGE   every session vanishes (closes its socket) at STAGE of its last message:
 *              connect, helo, mail, rcpt (after sending the command, before its reply),
 *              header (after half the header fields), eoh (after EOH, before its reply),
 *              body (after half the body), eom (after EOM, before the verdict)
 *   -X FILE    with -x: having sent the stage's command, print "WAIT S<s> M<m> vanish at
 *              STAGE" and vanish only once FILE exists (e.g. once the milter is known to be
 *              working on end of message: libmilter drops a command that arrives together with
 *              the client's close, so a client that closes at once is gone before it is read)
 *   -w STAGE:FILE  before sending STAGE of its first message, each session prints
 *              "WAIT S<s> STAGE" (flushed) and waits until FILE exists
 *   -P         print "AT S<s> M<m> STAGE" (flushed) as each stage is sent
 * Other options: -f SENDER (default <sender@example.org>), -r RCPT (default
 *   <rcpt@example.net>), -T (a TLS session: {tls_version}, {cipher}, {cipher_bits}),
 *   -W SECONDS reply timeout (default 60), -q quiet (no per-message lines), -C corpus framing,
 *   -p FLAGS the protocol flags offered (default 0x1FFFFF, Postfix 3.7's: all of them; e.g.
 *   0x3FF for an MTA without any no-reply flag and without SMFIP_HDR_LEADSPC).
 * Exit status: 0 clean, 1 violations or lost messages (or, in load mode, wrong verdicts),
 * 2 usage or input error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* milter protocol 6 (sendmail's libmilter/mfdef.h), written out: this client shares no code
 * with the library it tests */
enum {
	C_ABORT = 'A', C_BODY = 'B', C_CONNECT = 'C', C_MACRO = 'D', C_BODYEOB = 'E',
	C_HELO = 'H', C_HEADER = 'L', C_MAIL = 'M', C_EOH = 'N', C_OPTNEG = 'O', C_QUIT = 'Q',
	C_RCPT = 'R', C_DATA = 'T',
};
enum {
	R_ADDRCPT = '+', R_DELRCPT = '-', R_ADDRCPT_PAR = '2', R_ACCEPT = 'a', R_REPLBODY = 'b',
	R_CONTINUE = 'c', R_DISCARD = 'd', R_CHGFROM = 'e', R_ADDHEADER = 'h', R_INSHEADER = 'i',
	R_CHGHEADER = 'm', R_PROGRESS = 'p', R_QUARANTINE = 'q', R_REJECT = 'r', R_SKIP = 's',
	R_TEMPFAIL = 't', R_REPLYCODE = 'y',
};
#define P_NOCONNECT 0x1UL
#define P_NOHELO 0x2UL
#define P_NOMAIL 0x4UL
#define P_NORCPT 0x8UL
#define P_NOBODY 0x10UL
#define P_NOHDRS 0x20UL
#define P_NOEOH 0x40UL
#define P_NR_HDR 0x80UL
#define P_NOUNKNOWN 0x100UL
#define P_NODATA 0x200UL
#define P_SKIP 0x400UL
#define P_RCPT_REJ 0x800UL
#define P_NR_CONN 0x1000UL
#define P_NR_HELO 0x2000UL
#define P_NR_MAIL 0x4000UL
#define P_NR_RCPT 0x8000UL
#define P_NR_DATA 0x10000UL
#define P_NR_UNKN 0x20000UL
#define P_NR_EOH 0x40000UL
#define P_NR_BODY 0x80000UL
#define P_HDR_LEADSPC 0x100000UL
#define P_OFFER 0x1FFFFFUL		/* everything Postfix 3.7 offers */
#define A_OFFER 0x1FFUL			/* every action, SMFIF_SETSYMLIST included */
#define CHUNK 65535
#define MAX_PACKET (1024 * 1024)

/* the macro stages (SMFIM_*), in the order of the symlist indexes */
enum { M_CONNECT, M_HELO, M_ENVFROM, M_ENVRCPT, M_DATA, M_EOM, M_EOH, M_N };
static const char *const default_macros[M_N] = {	/* Postfix 3.7 milter_*_macros */
	"j {daemon_name} {daemon_addr} v _",
	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
	"i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
	"{rcpt_addr} {rcpt_host} {rcpt_mailer}",
	"i",
	"i",
	"",
};
static const char macro_cmd[M_N] = { C_CONNECT, C_HELO, C_MAIL, C_RCPT, C_DATA, C_BODYEOB,
				     C_EOH };

/* one header field and one message, read once and shared read-only by every thread */
struct field {
	char *name;
	char *value;		/* everything after the colon, folds as LF + WSP */
};
struct message {
	char qid[32];
	struct field *f;
	size_t nf;
	char *body;		/* CRLF lines */
	size_t blen;
};

enum stage { ST_NONE, ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_HEADER, ST_EOH, ST_BODY, ST_EOM,
	     ST_N };
static const char *const stage_name[ST_N] = { "none", "connect", "helo", "mail", "rcpt",
					      "header", "eoh", "body", "eom" };

/* options: set in main before any thread starts, read-only after */
static struct {
	const char *sock;
	const char *sender;
	const char *rcpt;
	bool tls, progress, quiet, corpus, load;
	int sessions, per_session, conns, secs, timeout;
	unsigned long offer;	/* protocol flags offered (-p; default Postfix 3.7's) */
	enum stage vanish;
	enum stage wait_stage;
	const char *wait_file;
	const char *vanish_gate;	/* -X: vanish only once this file exists */
	regex_t good, acceptable;
	bool have_good, have_acceptable;
} opt;

static struct message *msgs;	/* read-only after main's set-up */
static size_t n_msgs;
static atomic_size_t next_msg;	/* round robin over msgs */
static atomic_ulong qid_seq;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;	/* guards stdout lines */
static struct timespec deadline;	/* load mode: no new message after this */
static volatile sig_atomic_t stopping;	/* load mode: SIGTERM/SIGINT, finish now */

/* past_deadline - load mode: time to stop starting messages */
static bool past_deadline(void)
{
	struct timespec ts;
	if (stopping)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec > deadline.tv_sec ||
	       (ts.tv_sec == deadline.tv_sec && ts.tv_nsec >= deadline.tv_nsec);
}

/* on_stop - SIGTERM/SIGINT in load mode: the sessions end after their current message */
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* the tallies of one thread, added into the totals under totals_lock at its end */
struct tally {
	unsigned long messages, accept, cont, discard, reject, tempfail, lost, violations;
	unsigned long good, acceptable, wrong, sessions;
	double *lat;		/* eom latencies in ms */
	size_t nlat, caplat;
};
static struct tally totals;
static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;	/* guards totals */

/* say - one line to stdout, whole, flushed */
static void say(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* now_ms - monotonic clock in milliseconds */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- connection ------------------------------------------------------------------------ */

/* one milter connection and what was agreed on it */
struct conn {
	int fd;
	int sid;		/* session number, for messages */
	int mid;		/* message number in the session */
	enum stage stage;
	unsigned long actions, pflags;
	char *symlist[M_N];	/* the milter's lists (NULL: Postfix's default) */
	struct tally *t;
	char err[256];		/* why the connection was lost */
	bool dead;
};

/* violation - record a protocol violation by the milter */
static void violation(struct conn *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->t->violations++;
	say("VIOLATION S%d M%d %s: %s\n", c->sid, c->mid, stage_name[c->stage], buf);
}

/* lose - the connection is unusable (I/O error, timeout, EOF); false */
static bool lose(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	if (c->dead)
		return false;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->dead = true;
	return false;
}

/* open_socket - connect to opt.sock; -1 with c->err set */
static int open_socket(struct conn *c)
{
	const char *s = opt.sock;
	int fd;
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0 || s[0] == '/') {
		struct sockaddr_un sun;
		const char *path = s[0] == '/' ? s : strchr(s, ':') + 1;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			lose(c, "socket path too long");
			return -1;
		}
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			lose(c, "connect %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		char port[16], host[256];
		const char *p = strchr(s, ':') + 1, *at = strchr(p, '@');
		struct addrinfo hints, *ai = NULL;
		int rc;
		if (at == NULL || (size_t)(at - p) >= sizeof(port) || strlen(at + 1) >= sizeof(host)) {
			lose(c, "bad socket %s", s);
			return -1;
		}
		memcpy(port, p, (size_t)(at - p));
		port[at - p] = '\0';
		strcpy(host, at + 1);
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_family = s[4] == '6' ? AF_INET6 : AF_INET;
		if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
			lose(c, "%s: %s", s, gai_strerror(rc));
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			lose(c, "connect %s: %s", s, strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		return fd;
	}
	lose(c, "unknown socket type %s", s);
	return -1;
}

/* write_all - the whole buffer, or lose the connection */
static bool write_all(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return lose(c, "write at %s: %s", stage_name[c->stage], strerror(errno));
		p += k;
		len -= (size_t)k;
	}
	return true;
}

/* read_all - exactly LEN octets within the reply timeout; 0 ok, 1 EOF at the start, -1 lost */
static int read_all(struct conn *c, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;
	size_t got = 0;
	double end = now_ms() + timeout_ms;
	while (got < len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int left = (int)(end - now_ms()), r;
		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			lose(c, "no reply at %s within %d s", stage_name[c->stage], timeout_ms / 1000);
			return -1;
		}
		ssize_t k = recv(c->fd, p + got, len - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 && got == 0)
			return 1;
		if (k <= 0) {
			lose(c, "read at %s: %s", stage_name[c->stage], k == 0 ? "EOF mid-packet" :
			     strerror(errno));
			return -1;
		}
		got += (size_t)k;
	}
	return 0;
}

/* a packet from the milter */
struct packet {
	char cmd;
	char *data;		/* NUL-terminated copy; len octets before the NUL */
	size_t len;
};

/* read_packet - one packet; false (connection lost) on EOF, timeout or a malformed length */
static bool read_packet(struct conn *c, struct packet *pk, int timeout_ms)
{
	unsigned char hdr[5];
	uint32_t n;
	int r;
	pk->data = NULL;
	if ((r = read_all(c, hdr, 5, timeout_ms)) != 0)
		return r > 0 ? lose(c, "EOF at %s", stage_name[c->stage]) : false;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > MAX_PACKET) {
		violation(c, "packet length %u", n);
		return lose(c, "bad packet length %u", n);
	}
	pk->cmd = (char)hdr[4];
	pk->len = n - 1;
	if ((pk->data = malloc(pk->len + 1)) == NULL)
		return lose(c, "out of memory");
	if (pk->len > 0 && read_all(c, pk->data, pk->len, timeout_ms) != 0) {
		free(pk->data);
		pk->data = NULL;
		return lose(c, "EOF mid-packet at %s", stage_name[c->stage]);
	}
	pk->data[pk->len] = '\0';
	return true;
}

/* send_packet - one command, after checking that the milter has said nothing unasked */
static bool send_packet(struct conn *c, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	uint32_t n = (uint32_t)len + 1;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (c->dead)
		return false;
	/* nothing may be waiting: every reply due was read, and no reply is due now */
	while (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
		struct packet pk;
		if (!read_packet(c, &pk, 1000))
			return false;
		violation(c, "unsolicited reply '%c' (%zu octets) before command '%c'", pk.cmd,
			  pk.len, cmd);
		free(pk.data);
	}
	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	hdr[4] = (unsigned char)cmd;
	if (len == 0)
		return write_all(c, hdr, 5);
	if (len < 4096) {	/* one write for a small command */
		unsigned char buf[4096 + 5];
		memcpy(buf, hdr, 5);
		memcpy(buf + 5, data, len);
		return write_all(c, buf, len + 5);
	}
	return write_all(c, hdr, 5) && write_all(c, data, len);
}

/* ---- macros ---------------------------------------------------------------------------- */

/* macro_value - what this client (as Postfix would) has for NAME at this point; NULL: none */
static const char *macro_value(const struct conn *c, const char *name, const char *qid)
{
	if (strcmp(name, "i") == 0 || strcmp(name, "{i}") == 0)
		return qid;
	if (strcmp(name, "j") == 0)
		return "mx.pw-miltc.test";
	if (strcmp(name, "{daemon_name}") == 0)
		return "smtpd";
	if (strcmp(name, "{daemon_addr}") == 0)
		return "127.0.0.1";
	if (strcmp(name, "v") == 0)
		return "Postfix 3.7.11";
	if (strcmp(name, "_") == 0)
		return "client.example [192.0.2.9]";
	if (strcmp(name, "{client_addr}") == 0)
		return "192.0.2.9";
	if (strcmp(name, "{mail_addr}") == 0)
		return opt.sender;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return opt.rcpt;
	if (strcmp(name, "{mail_mailer}") == 0 || strcmp(name, "{rcpt_mailer}") == 0)
		return "smtp";
	if (opt.tls && strcmp(name, "{tls_version}") == 0)
		return "TLSv1.3";
	if (opt.tls && strcmp(name, "{cipher}") == 0)
		return "TLS_AES_256_GCM_SHA384";
	if (opt.tls && strcmp(name, "{cipher_bits}") == 0)
		return "256";
	(void)c;
	return NULL;
}

/* send_macros - the SMFIC_MACRO packet for stage M (only macros with a value) */
static bool send_macros(struct conn *c, int m, const char *qid)
{
	const char *list = c->symlist[m] ? c->symlist[m] : default_macros[m];
	char buf[2048], name[128];
	size_t used = 1;
	buf[0] = macro_cmd[m];
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ,");
		if (n > 0 && n < sizeof(name)) {
			const char *v;
			memcpy(name, p, n);
			name[n] = '\0';
			if ((v = macro_value(c, name, qid)) != NULL &&
			    used + n + strlen(v) + 2 < sizeof(buf)) {
				memcpy(buf + used, name, n + 1);
				used += n + 1;
				memcpy(buf + used, v, strlen(v) + 1);
				used += strlen(v) + 1;
			}
		}
		p += n;
		p += strspn(p, " ,");
	}
	if (used == 1)
		return true;	/* Postfix sends no empty macro packet */
	return send_packet(c, C_MACRO, buf, used);
}

/* ---- replies --------------------------------------------------------------------------- */

/* the outcome of a step */
enum outcome { OUT_CONTINUE, OUT_ACCEPT, OUT_DISCARD, OUT_REJECT, OUT_TEMPFAIL, OUT_SKIP,
	       OUT_LOST };

/* reply - read the one reply to the command just sent (not at end of message) */
static enum outcome reply(struct conn *c, char *code, size_t codelen)
{
	struct packet pk;
	for (;;) {
		if (!read_packet(c, &pk, opt.timeout * 1000))
			return OUT_LOST;
		enum outcome o = OUT_LOST;
		switch (pk.cmd) {
		case R_CONTINUE: o = OUT_CONTINUE; break;
		case R_ACCEPT: o = OUT_ACCEPT; break;
		case R_DISCARD: o = OUT_DISCARD; break;
		case R_REJECT: o = OUT_REJECT; snprintf(code, codelen, "550"); break;
		case R_TEMPFAIL: o = OUT_TEMPFAIL; snprintf(code, codelen, "451"); break;
		case R_SKIP:
			if (c->stage != ST_BODY || !(c->pflags & P_SKIP))
				violation(c, "SKIP reply outside the body");
			o = OUT_SKIP;
			break;
		case R_REPLYCODE:
			snprintf(code, codelen, "%.3s", pk.data);
			o = pk.len >= 3 && pk.data[0] == '5' ? OUT_REJECT :
			    pk.len >= 3 && pk.data[0] == '4' ? OUT_TEMPFAIL : OUT_LOST;
			if (o == OUT_LOST) {
				violation(c, "reply code \"%.40s\" is neither 4xx nor 5xx", pk.data);
				o = OUT_REJECT;
			}
			break;
		case R_PROGRESS:
			if (c->stage != ST_EOM)
				violation(c, "progress packet outside end of message");
			free(pk.data);
			continue;
		default:
			if (strchr("+-2behimq", pk.cmd) != NULL)
				violation(c, "modification action '%c' before end of message", pk.cmd);
			else
				violation(c, "unknown reply '%c' (0x%02x)", pk.cmd,
					  (unsigned char)pk.cmd);
			free(pk.data);
			continue;	/* a reply is still due */
		}
		free(pk.data);
		return o;
	}
}

/* step - send a command (macros first) and, unless NR_FLAG was agreed, read its one reply */
static enum outcome step(struct conn *c, enum stage st, int m, const char *qid, char cmd,
			 const void *data, size_t len, unsigned long nr_flag, char *code,
			 size_t codelen)
{
	c->stage = st;
	if (m >= 0 && !send_macros(c, m, qid))
		return OUT_LOST;
	if (!send_packet(c, cmd, data, len))
		return OUT_LOST;
	if (nr_flag != 0 && (c->pflags & nr_flag))
		return OUT_CONTINUE;
	return reply(c, code, codelen);
}

/* ---- one session ----------------------------------------------------------------------- */

/* negotiate - SMFIC_OPTNEG as Postfix 3.7 sends it; parse the answer and the macro lists */
static bool negotiate(struct conn *c)
{
	unsigned char buf[12];
	uint32_t v[3] = { 6, A_OFFER, (uint32_t)opt.offer };
	struct packet pk;
	for (int i = 0; i < 3; i++) {
		buf[4 * i] = (unsigned char)(v[i] >> 24);
		buf[4 * i + 1] = (unsigned char)(v[i] >> 16);
		buf[4 * i + 2] = (unsigned char)(v[i] >> 8);
		buf[4 * i + 3] = (unsigned char)v[i];
	}
	c->stage = ST_NONE;
	if (!send_packet(c, C_OPTNEG, buf, 12) || !read_packet(c, &pk, opt.timeout * 1000))
		return false;
	if (pk.cmd != C_OPTNEG || pk.len < 12) {
		violation(c, "negotiation answered with '%c', %zu octets", pk.cmd, pk.len);
		free(pk.data);
		return lose(c, "negotiation failed");
	}
	const unsigned char *d = (const unsigned char *)pk.data;
	uint32_t w[3];
	for (int i = 0; i < 3; i++)
		w[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
		       (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
	if (w[0] < 2 || w[0] > 6)
		violation(c, "negotiated protocol version %u", w[0]);
	if (w[1] & ~A_OFFER)
		violation(c, "actions 0x%x not offered", w[1] & ~A_OFFER);
	if (w[2] & ~opt.offer)
		violation(c, "protocol flags 0x%x not offered", w[2] & ~(uint32_t)opt.offer);
	c->actions = w[1];
	c->pflags = w[2];
	for (size_t off = 12; off < pk.len;) {	/* SMFIR_SETSYMLIST data: index, list */
		if (pk.len - off < 5) {
			violation(c, "truncated macro list in the negotiation");
			break;
		}
		uint32_t idx = (uint32_t)d[off] << 24 | (uint32_t)d[off + 1] << 16 |
			       (uint32_t)d[off + 2] << 8 | d[off + 3];
		const char *list = pk.data + off + 4;
		size_t l = strnlen(list, pk.len - off - 4);
		if (idx >= M_N || off + 4 + l >= pk.len + 1) {
			violation(c, "bad macro list index %u", idx);
			break;
		}
		free(c->symlist[idx]);
		c->symlist[idx] = strndup(list, l);
		off += 4 + l + 1;
	}
	free(pk.data);
	return true;
}

/* vanish - the client goes away without a word at stage ST; true if it did */
static bool vanish(struct conn *c, enum stage st, bool last)
{
	if (!last || opt.vanish != st)
		return false;
	if (opt.vanish_gate != NULL) {	/* the test says when */
		struct stat sb;
		say("WAIT S%d M%d vanish at %s\n", c->sid, c->mid, stage_name[st]);
		while (stat(opt.vanish_gate, &sb) != 0) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);	/* waiting for the test's gate, not for time */
		}
	}
	if (opt.progress)
		say("VANISH S%d M%d %s\n", c->sid, c->mid, stage_name[st]);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	snprintf(c->err, sizeof(c->err), "vanished at %s", stage_name[st]);
	return true;
}

/* at - progress output and the -w gate, before stage ST of message MID */
static void at(struct conn *c, enum stage st)
{
	if (opt.progress)
		say("AT S%d M%d %s\n", c->sid, c->mid, stage_name[st]);
	if (opt.wait_file != NULL && opt.wait_stage == st && c->mid == 1) {
		struct stat sb;
		say("WAIT S%d %s\n", c->sid, stage_name[st]);
		while (stat(opt.wait_file, &sb) != 0) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);	/* waiting for the test's gate, not for time */
		}
	}
}

/* record - tally one message's verdict and print its line */
static void record(struct conn *c, const char *qid, enum outcome o, const char *code, double ms,
		   const char *ar)
{
	struct tally *t = c->t;
	char verdict[64];
	t->messages++;
	switch (o) {
	case OUT_CONTINUE: t->cont++; snprintf(verdict, sizeof(verdict), "continue"); break;
	case OUT_ACCEPT: t->accept++; snprintf(verdict, sizeof(verdict), "accept"); break;
	case OUT_DISCARD: t->discard++; snprintf(verdict, sizeof(verdict), "discard"); break;
	case OUT_REJECT: t->reject++; snprintf(verdict, sizeof(verdict), "reject:%s", code); break;
	case OUT_TEMPFAIL:
		t->tempfail++;
		snprintf(verdict, sizeof(verdict), "tempfail:%s", code);
		break;
	default: t->lost++; snprintf(verdict, sizeof(verdict), "lost"); break;
	}
	if (o == OUT_CONTINUE || o == OUT_ACCEPT) {
		if (opt.have_good && ar && regexec(&opt.good, ar, 0, NULL, 0) == 0)
			t->good++;
		else if (opt.have_acceptable && ar && regexec(&opt.acceptable, ar, 0, NULL, 0) == 0)
			t->acceptable++;
		else if (opt.have_good)
			t->wrong++;
	} else if (o == OUT_TEMPFAIL) {
		t->acceptable++;
	} else if (o != OUT_LOST && opt.have_good) {
		t->wrong++;
	}
	if (ms >= 0) {
		if (t->nlat == t->caplat) {
			size_t n = t->caplat ? t->caplat * 2 : 1024;
			double *nl = realloc(t->lat, n * sizeof(*nl));
			if (nl != NULL) {
				t->lat = nl;
				t->caplat = n;
			}
		}
		if (t->nlat < t->caplat)
			t->lat[t->nlat++] = ms;
	}
	if (!opt.quiet)
		say("S%d M%d %s %s eom=%.1fms ar=\"%s\"%s%s\n", c->sid, c->mid, qid, verdict, ms,
		    ar ? ar : "-", o == OUT_LOST ? " why=" : "", o == OUT_LOST ? c->err : "");
}

/* eom - send end of message and read its actions and its one verdict */
static enum outcome eom(struct conn *c, const char *qid, char *code, size_t codelen, char **ar,
			double *ms, bool last)
{
	struct packet pk;
	double t0;
	c->stage = ST_EOM;
	at(c, ST_EOM);
	if (!send_macros(c, M_EOM, qid) || !send_packet(c, C_BODYEOB, NULL, 0))
		return OUT_LOST;
	t0 = now_ms();
	if (vanish(c, ST_EOM, last))
		return OUT_LOST;
	for (;;) {
		if (!read_packet(c, &pk, opt.timeout * 1000))
			return OUT_LOST;
		*ms = now_ms() - t0;
		switch (pk.cmd) {
		case R_CONTINUE: free(pk.data); return OUT_CONTINUE;
		case R_ACCEPT: free(pk.data); return OUT_ACCEPT;
		case R_DISCARD: free(pk.data); return OUT_DISCARD;
		case R_REJECT: free(pk.data); snprintf(code, codelen, "550"); return OUT_REJECT;
		case R_TEMPFAIL: free(pk.data); snprintf(code, codelen, "451"); return OUT_TEMPFAIL;
		case R_REPLYCODE: {
			enum outcome o = pk.data[0] == '4' ? OUT_TEMPFAIL : OUT_REJECT;
			snprintf(code, codelen, "%.3s", pk.data);
			if (pk.data[0] != '4' && pk.data[0] != '5')
				violation(c, "reply code \"%.40s\" is neither 4xx nor 5xx", pk.data);
			free(pk.data);
			return o;
		}
		case R_ADDHEADER:
		case R_INSHEADER: {
			/* 'h': name NUL value NUL; 'i': index(4) name NUL value NUL */
			size_t off = pk.cmd == R_INSHEADER ? 4 : 0;
			const char *name = pk.data + off;
			if (pk.len < off + 3 || pk.data[pk.len - 1] != '\0' ||
			    strlen(name) + off + 1 >= pk.len) {
				violation(c, "malformed '%c' packet", pk.cmd);
			} else if (strcasecmp(name, "Authentication-Results") == 0 &&
				   *ar == NULL) {
				/* one line for the output: each line break with the white space
				 * after it becomes one space */
				const char *v = name + strlen(name) + 1;
				char *s = malloc(strlen(v) + 1), *o = s;
				v += strspn(v, " \t");
				while (s != NULL && *v) {
					if (*v == '\r' || *v == '\n') {
						v += strspn(v, "\r\n");
						v += strspn(v, " \t");
						*o++ = ' ';
					} else {
						*o++ = *v++;
					}
				}
				if (s != NULL)
					*o = '\0';
				*ar = s;
			}
			if (!(c->actions & 0x1))
				violation(c, "'%c' without SMFIF_ADDHDRS", pk.cmd);
			break;
		}
		case R_CHGHEADER:
			if (!(c->actions & 0x10))
				violation(c, "'m' without SMFIF_CHGHDRS");
			break;
		case R_CHGFROM:
			if (!(c->actions & 0x40))
				violation(c, "'e' without SMFIF_CHGFROM");
			break;
		case R_ADDRCPT: case R_DELRCPT: case R_ADDRCPT_PAR: case R_REPLBODY:
		case R_QUARANTINE: case R_PROGRESS:
			break;
		default:
			violation(c, "unknown reply '%c' (0x%02x) at end of message", pk.cmd,
				  (unsigned char)pk.cmd);
			break;
		}
		free(pk.data);
	}
}

/* quit - QUIT, half-close, and read to EOF: any octet is a stray reply */
static void quit(struct conn *c)
{
	if (c->dead || c->fd < 0)
		return;
	c->stage = ST_NONE;
	if (!send_packet(c, C_QUIT, NULL, 0))
		return;
	shutdown(c->fd, SHUT_WR);
	for (;;) {
		struct packet pk;
		char byte;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		if (poll(&pfd, 1, opt.timeout * 1000) <= 0) {
			violation(c, "the milter keeps the connection open after QUIT");
			return;
		}
		ssize_t k = recv(c->fd, &byte, 1, MSG_PEEK);
		if (k == 0)
			return;		/* EOF: clean */
		if (k < 0) {
			if (errno == ECONNRESET)
				return;
			return;
		}
		if (!read_packet(c, &pk, 1000)) {
			violation(c, "stray octets after QUIT");
			return;
		}
		violation(c, "stray reply '%c' (%zu octets) after QUIT", pk.cmd, pk.len);
		free(pk.data);
	}
}

/* split_value - the header value as the MTA hands it on (no leading space unless LEADSPC) */
static const char *split_value(const struct conn *c, const char *v)
{
	if (c->pflags & P_HDR_LEADSPC)
		return v;
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

/* one_message - MAIL .. EOM of message MSG; false if the connection is gone */
static bool one_message(struct conn *c, const struct message *msg, bool last)
{
	char code[8] = "", qid[40], buf[CHUNK + 1];
	char *ar = NULL;
	double ms = -1;
	enum outcome o;
	size_t n;

	snprintf(qid, sizeof(qid), "%s%lX", msg->qid[0] ? msg->qid : "Q",
		 (unsigned long)atomic_fetch_add(&qid_seq, 1));
	/* MAIL */
	at(c, ST_MAIL);
	if (c->pflags & P_NOMAIL) {
		o = OUT_CONTINUE;
	} else {
		n = (size_t)snprintf(buf, sizeof(buf), "%s", opt.sender) + 1;
		c->stage = ST_MAIL;
		if (!send_macros(c, M_ENVFROM, qid) || !send_packet(c, C_MAIL, buf, n))
			goto lost;
		if (vanish(c, ST_MAIL, last))
			goto lost;
		o = c->pflags & P_NR_MAIL ? OUT_CONTINUE : reply(c, code, sizeof(code));
	}
	if (o != OUT_CONTINUE)
		goto early;
	/* RCPT */
	at(c, ST_RCPT);
	if (!(c->pflags & P_NORCPT)) {
		n = (size_t)snprintf(buf, sizeof(buf), "%s", opt.rcpt) + 1;
		c->stage = ST_RCPT;
		if (!send_macros(c, M_ENVRCPT, qid) || !send_packet(c, C_RCPT, buf, n))
			goto lost;
		if (vanish(c, ST_RCPT, last))
			goto lost;
		o = c->pflags & P_NR_RCPT ? OUT_CONTINUE : reply(c, code, sizeof(code));
		if (o != OUT_CONTINUE)
			goto early;
	}
	/* DATA */
	if (!(c->pflags & P_NODATA)) {
		o = step(c, ST_RCPT, M_DATA, qid, C_DATA, NULL, 0, P_NR_DATA, code, sizeof(code));
		if (o != OUT_CONTINUE)
			goto early;
	}
	/* header fields */
	at(c, ST_HEADER);
	if (!(c->pflags & P_NOHDRS)) {
		c->stage = ST_HEADER;
		for (size_t i = 0; i < msg->nf; i++) {
			const char *v = split_value(c, msg->f[i].value);
			size_t nl = strlen(msg->f[i].name), vl = strlen(v);
			char *p = nl + vl + 2 <= sizeof(buf) ? buf : malloc(nl + vl + 2);
			if (p == NULL)
				goto lost;
			memcpy(p, msg->f[i].name, nl + 1);
			memcpy(p + nl + 1, v, vl + 1);
			if (i == msg->nf / 2 && vanish(c, ST_HEADER, last)) {
				if (p != buf)
					free(p);
				goto lost;
			}
			bool ok = send_packet(c, C_HEADER, p, nl + vl + 2);
			if (p != buf)
				free(p);
			if (!ok)
				goto lost;
			if (!(c->pflags & P_NR_HDR)) {
				o = reply(c, code, sizeof(code));
				if (o != OUT_CONTINUE)
					goto early;
			}
		}
	}
	/* end of header */
	at(c, ST_EOH);
	if (!(c->pflags & P_NOEOH)) {
		c->stage = ST_EOH;
		if (!send_macros(c, M_EOH, qid) || !send_packet(c, C_EOH, NULL, 0))
			goto lost;
		if (vanish(c, ST_EOH, last))
			goto lost;
		o = c->pflags & P_NR_EOH ? OUT_CONTINUE : reply(c, code, sizeof(code));
		if (o != OUT_CONTINUE)
			goto early;
	}
	/* body */
	at(c, ST_BODY);
	if (!(c->pflags & P_NOBODY)) {
		size_t half = msg->blen / 2;
		c->stage = ST_BODY;
		for (size_t off = 0; off < msg->blen;) {
			size_t k = msg->blen - off;
			if (k > CHUNK)
				k = CHUNK;
			if (opt.vanish == ST_BODY && last && off < half && off + k > half)
				k = half - off;	/* a chunk boundary at half the body */
			if (off == half && vanish(c, ST_BODY, last))
				goto lost;
			if (!send_packet(c, C_BODY, msg->body + off, k))
				goto lost;
			off += k;
			if (!(c->pflags & P_NR_BODY)) {
				o = reply(c, code, sizeof(code));
				if (o == OUT_SKIP)
					break;
				if (o != OUT_CONTINUE)
					goto early;
			}
		}
	}
	o = eom(c, qid, code, sizeof(code), &ar, &ms, last);
	if (o == OUT_LOST)
		goto lost;
	record(c, qid, o, code, ms, ar);
	free(ar);
	return true;
early:
	if (o == OUT_LOST)
		goto lost;
	/* the message ends before end of message: the MTA aborts it */
	record(c, qid, o, code, -1, NULL);
	c->stage = ST_NONE;
	return send_packet(c, C_ABORT, NULL, 0);
lost:
	if (!(opt.vanish != ST_NONE && last))
		record(c, qid, OUT_LOST, code, -1, NULL);
	free(ar);
	return false;
}

/* session - one milter connection with up to COUNT messages; returns messages sent */
static int session(int sid, int count, struct tally *t, bool load)
{
	struct conn c;
	char code[8];
	int sent = 0;
	memset(&c, 0, sizeof(c));
	c.sid = sid;
	c.t = t;
	c.stage = ST_CONNECT;
	t->sessions++;
	if ((c.fd = open_socket(&c)) < 0) {
		say("S%d lost: %s\n", sid, c.err);
		t->lost++;
		return 0;
	}
	if (!negotiate(&c))
		goto out;
	at(&c, ST_CONNECT);
	if (!(c.pflags & P_NOCONNECT)) {
		static const char info[] = "client.example\0" "4\x00\x19" "192.0.2.9";
		c.stage = ST_CONNECT;
		if (!send_macros(&c, M_CONNECT, "") ||
		    !send_packet(&c, C_CONNECT, info, sizeof(info)))
			goto out;
		if (vanish(&c, ST_CONNECT, true))
			goto out;
		if (!(c.pflags & P_NR_CONN) && reply(&c, code, sizeof(code)) != OUT_CONTINUE)
			goto out;
	}
	at(&c, ST_HELO);
	if (!(c.pflags & P_NOHELO)) {
		c.stage = ST_HELO;
		if (!send_macros(&c, M_HELO, "") ||
		    !send_packet(&c, C_HELO, "client.example", sizeof("client.example")))
			goto out;
		if (vanish(&c, ST_HELO, true))
			goto out;
		if (!(c.pflags & P_NR_HELO) && reply(&c, code, sizeof(code)) != OUT_CONTINUE)
			goto out;
	}
	for (int m = 1; m <= count; m++) {
		if (load && past_deadline())
			break;
		c.mid = m;
		size_t k = atomic_fetch_add(&next_msg, 1) % n_msgs;
		if (!one_message(&c, &msgs[k], m == count))
			break;
		sent++;
	}
	quit(&c);
out:
	if (c.dead && opt.vanish == ST_NONE)
		say("S%d lost: %s\n", sid, c.err);
	if (c.fd >= 0)
		close(c.fd);
	for (int i = 0; i < M_N; i++)
		free(c.symlist[i]);
	return sent;
}

/* ---- threads --------------------------------------------------------------------------- */

struct worker {
	pthread_t tid;
	int id;
	struct tally t;
};

/* merge - add a thread's tally into the totals */
static void merge(struct tally *t)
{
	pthread_mutex_lock(&totals_lock);
	totals.messages += t->messages;
	totals.accept += t->accept;
	totals.cont += t->cont;
	totals.discard += t->discard;
	totals.reject += t->reject;
	totals.tempfail += t->tempfail;
	totals.lost += t->lost;
	totals.violations += t->violations;
	totals.good += t->good;
	totals.acceptable += t->acceptable;
	totals.wrong += t->wrong;
	totals.sessions += t->sessions;
	if (t->nlat > 0) {
		double *nl = realloc(totals.lat, (totals.nlat + t->nlat) * sizeof(*nl));
		if (nl != NULL) {
			totals.lat = nl;
			memcpy(totals.lat + totals.nlat, t->lat, t->nlat * sizeof(*nl));
			totals.nlat += t->nlat;
		}
	}
	pthread_mutex_unlock(&totals_lock);
	free(t->lat);
}

/* script_main - one session of opt.per_session messages */
static void *script_main(void *arg)
{
	struct worker *w = arg;
	unsigned long v0;
	session(w->id, opt.per_session, &w->t, false);
	v0 = w->t.violations;
	say("S%d done: %lu messages, %lu violations\n", w->id, w->t.messages, v0);
	merge(&w->t);
	return NULL;
}

/* load_main - sessions back to back until the deadline */
static void *load_main(void *arg)
{
	struct worker *w = arg;
	int sid = w->id;
	while (!past_deadline()) {
		if (session(sid, opt.per_session, &w->t, true) == 0 && w->t.lost > 0) {
			struct timespec pause = { 0, 100 * 1000 * 1000 };
			nanosleep(&pause, NULL);	/* refused: do not spin */
		}
		sid += opt.conns;
	}
	merge(&w->t);
	return NULL;
}

/* ---- input ----------------------------------------------------------------------------- */

/* slurp - a whole file; NULL with errno */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* add_message - append a message slot */
static struct message *add_message(void)
{
	struct message *nm = realloc(msgs, (n_msgs + 1) * sizeof(*nm));
	if (nm == NULL)
		return NULL;
	msgs = nm;
	memset(&msgs[n_msgs], 0, sizeof(msgs[0]));
	return &msgs[n_msgs++];
}

/* add_field - append a field, the value with CRLF folds made LF */
static bool add_field(struct message *m, const char *name, size_t nl, const char *value, size_t vl)
{
	struct field *nf = realloc(m->f, (m->nf + 1) * sizeof(*nf));
	char *v;
	size_t j = 0;
	if (nf == NULL)
		return false;
	m->f = nf;
	if ((m->f[m->nf].name = strndup(name, nl)) == NULL || (v = malloc(vl + 1)) == NULL)
		return false;
	for (size_t i = 0; i < vl; i++)
		if (!(value[i] == '\r' && i + 1 < vl && value[i + 1] == '\n'))
			v[j++] = value[i];
	v[j] = '\0';
	m->f[m->nf++].value = v;
	return true;
}

/* set_body - the body with CRLF line ends */
static bool set_body(struct message *m, const char *b, size_t len)
{
	char *out = malloc(2 * len + 1);
	size_t j = 0;
	if (out == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
			out[j++] = '\r';
		out[j++] = b[i];
	}
	m->body = out;
	m->blen = j;
	return true;
}

/* read_eml - one RFC 5322 file */
static bool read_eml(const char *path)
{
	size_t len, i = 0;
	char *s = slurp(path, &len);
	struct message *m;
	if (s == NULL || (m = add_message()) == NULL) {
		fprintf(stderr, "pw-miltc: %s: %s\n", path, strerror(errno));
		free(s);
		return false;
	}
	while (i < len) {
		size_t eol;
		if (s[i] == '\n' || (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')) {
			i += s[i] == '\r' ? 2 : 1;	/* the empty line */
			break;
		}
		/* a field: name ':' value, up to a line end not followed by WSP */
		size_t start = i, colon;
		for (colon = i; colon < len && s[colon] != ':' && s[colon] != '\n'; colon++)
			;
		if (colon >= len || s[colon] != ':') {
			fprintf(stderr, "pw-miltc: %s: not a header field at octet %zu\n", path, i);
			free(s);
			return false;
		}
		for (eol = colon;; eol++) {
			if (eol >= len)
				break;
			if (s[eol] == '\n' && !(eol + 1 < len && (s[eol + 1] == ' ' ||
								  s[eol + 1] == '\t')))
				break;
		}
		size_t vend = eol;
		if (vend > colon + 1 && s[vend - 1] == '\r')
			vend--;
		if (!add_field(m, s + start, colon - start, s + colon + 1, vend - colon - 1)) {
			free(s);
			return false;
		}
		i = eol < len ? eol + 1 : len;
	}
	bool ok = set_body(m, s + i, len - i);
	free(s);
	return ok;
}

/* read_corpus - bench/dkim-corpus.py framing: "M QID NF BODYLEN\n", NF times
 * "NAMELEN VALUELEN\n" NAME VALUE, then the body */
static bool read_corpus(const char *path)
{
	size_t len, pos = 0;
	char *s = slurp(path, &len);
	if (s == NULL) {
		fprintf(stderr, "pw-miltc: %s: %s\n", path, strerror(errno));
		return false;
	}
	while (pos < len) {
		char qid[32];
		size_t nf, blen, nl, vl;
		int used = 0;
		struct message *m;
		if (sscanf(s + pos, "M %31s %zu %zu\n%n", qid, &nf, &blen, &used) != 3 || used == 0 ||
		    (m = add_message()) == NULL)
			goto bad;
		snprintf(m->qid, sizeof(m->qid), "%s", qid);
		pos += (size_t)used;
		for (size_t k = 0; k < nf; k++) {
			used = 0;
			if (sscanf(s + pos, "%zu %zu\n%n", &nl, &vl, &used) != 2 || used == 0)
				goto bad;
			pos += (size_t)used;
			if (nl + vl > len - pos || !add_field(m, s + pos, nl, s + pos + nl, vl))
				goto bad;
			pos += nl + vl;
		}
		if (blen > len - pos || (m->body = malloc(blen + 1)) == NULL)
			goto bad;
		memcpy(m->body, s + pos, blen);
		m->blen = blen;
		pos += blen;
	}
	free(s);
	return true;
bad:
	fprintf(stderr, "pw-miltc: %s: bad corpus framing at octet %zu\n", path, pos);
	free(s);
	return false;
}

/* stage_of - a stage by name */
static enum stage stage_of(const char *name)
{
	for (int i = 1; i < ST_N; i++)
		if (strcmp(name, stage_name[i]) == 0)
			return (enum stage)i;
	return ST_NONE;
}

/* cmp_double - for qsort */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* usage - the synopsis */
static int usage(void)
{
	fprintf(stderr, "usage: pw-miltc -s SOCKET [-n SESSIONS] [-m MESSAGES] [-c CONNS -t SECS]\n"
		"       [-C] [-T] [-P] [-q] [-x STAGE [-X FILE]] [-w STAGE:FILE] [-A ERE] [-O ERE]\n"
		"       [-f SENDER] [-r RCPT] [-W SECS] [-p FLAGS] MESSAGE...\n");
	return 2;
}

int main(int argc, char **argv)
{
	int ch;
	struct worker *w;
	int n;

	opt.sender = "<sender@example.org>";
	opt.rcpt = "<rcpt@example.net>";
	opt.sessions = 1;
	opt.per_session = -1;
	opt.timeout = 60;
	opt.offer = P_OFFER;
	while ((ch = getopt(argc, argv, "s:n:m:c:t:CTPqx:X:w:A:O:f:r:W:p:")) != -1) {
		switch (ch) {
		case 's': opt.sock = optarg; break;
		case 'n': opt.sessions = atoi(optarg); break;
		case 'm': opt.per_session = atoi(optarg); break;
		case 'c': opt.conns = atoi(optarg); opt.load = true; break;
		case 't': opt.secs = atoi(optarg); break;
		case 'C': opt.corpus = true; break;
		case 'T': opt.tls = true; break;
		case 'P': opt.progress = true; break;
		case 'q': opt.quiet = true; break;
		case 'x':
			if ((opt.vanish = stage_of(optarg)) == ST_NONE)
				return usage();
			break;
		case 'X': opt.vanish_gate = optarg; break;
		case 'w': {
			char *colon = strchr(optarg, ':');
			if (colon == NULL)
				return usage();
			*colon = '\0';
			if ((opt.wait_stage = stage_of(optarg)) == ST_NONE)
				return usage();
			opt.wait_file = colon + 1;
			break;
		}
		case 'A':
			if (regcomp(&opt.good, optarg, REG_EXTENDED | REG_NOSUB) != 0)
				return usage();
			opt.have_good = true;
			break;
		case 'O':
			if (regcomp(&opt.acceptable, optarg, REG_EXTENDED | REG_NOSUB) != 0)
				return usage();
			opt.have_acceptable = true;
			break;
		case 'f': opt.sender = optarg; break;
		case 'r': opt.rcpt = optarg; break;
		case 'W': opt.timeout = atoi(optarg); break;
		case 'p': opt.offer = strtoul(optarg, NULL, 0) & P_OFFER; break;
		default: return usage();
		}
	}
	if (opt.sock == NULL || optind >= argc || opt.sessions < 1 || opt.timeout < 1 ||
	    (opt.load && (opt.conns < 1 || opt.secs < 1)))
		return usage();
	if (opt.per_session < 1)
		opt.per_session = opt.load ? 10 : 1;
	for (int i = optind; i < argc; i++)
		if (!(opt.corpus ? read_corpus(argv[i]) : read_eml(argv[i])))
			return 2;
	if (n_msgs == 0) {
		fprintf(stderr, "pw-miltc: no messages\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt.load) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}

	n = opt.load ? opt.conns : opt.sessions;
	if ((w = calloc((size_t)n, sizeof(*w))) == NULL)
		return 2;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	double t0 = now_ms();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += opt.secs;
	for (int i = 0; i < n; i++) {
		w[i].id = i + 1;
		if (pthread_create(&w[i].tid, &attr, opt.load ? load_main : script_main, &w[i]) != 0) {
			fprintf(stderr, "pw-miltc: cannot start thread %d\n", i + 1);
			return 2;
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	double secs = (now_ms() - t0) / 1e3;
	if (totals.nlat > 0)
		qsort(totals.lat, totals.nlat, sizeof(double), cmp_double);
	double p50 = totals.nlat ? totals.lat[totals.nlat / 2] : 0;
	double p99 = totals.nlat ? totals.lat[(size_t)((double)totals.nlat * 0.99 >= totals.nlat ?
							totals.nlat - 1 : totals.nlat * 0.99)] : 0;
	if (opt.load) {
		printf("load: conns=%d secs=%.1f sessions=%lu messages=%lu rate=%.1f msg/s "
		       "eom_p50=%.1f ms eom_p99=%.1f ms accept=%lu tempfail=%lu reject=%lu "
		       "good=%lu acceptable=%lu wrong=%lu lost=%lu violations=%lu\n",
		       opt.conns, secs, totals.sessions, totals.messages, totals.messages / secs, p50,
		       p99, totals.accept + totals.cont, totals.tempfail, totals.reject, totals.good,
		       totals.acceptable, totals.wrong, totals.lost, totals.violations);
	} else {
		printf("summary: sessions=%lu messages=%lu accept=%lu continue=%lu reject=%lu "
		       "tempfail=%lu discard=%lu lost=%lu violations=%lu eom_p50=%.1f ms "
		       "eom_p99=%.1f ms\n",
		       totals.sessions, totals.messages, totals.accept, totals.cont, totals.reject,
		       totals.tempfail, totals.discard, totals.lost, totals.violations, p50, p99);
		if (opt.have_good)
			printf("checked: good=%lu acceptable=%lu wrong=%lu\n", totals.good,
			       totals.acceptable, totals.wrong);
	}
	fflush(stdout);
	free(totals.lat);
	free(w);
	return totals.violations || (totals.lost && opt.vanish == ST_NONE) || totals.wrong ? 1 : 0;
}
