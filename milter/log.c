/*
 * milter/log.c - log lines to syslog or stderr.
 * Contract: see log.h.
 */
#include "build-config.h"
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool use_stderr;			/* set once before threads start */
static atomic_int level = PW_LOG_INFO;	/* changed on reload */

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* pwlog_open - choose the destination */
void pwlog_open(bool to_stderr, const char *facility)
{
	int fac = LOG_MAIL;
	use_stderr = to_stderr;
	for (size_t i = 0; facility && i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, facility) == 0)
			fac = facilities[i].facility;
	if (!to_stderr)
		openlog("postward", LOG_PID | LOG_NDELAY, fac);
}

/* pwlog_set_level - filter */
void pwlog_set_level(enum pw_log_level l)
{
	atomic_store(&level, (int)l);
}

/* pwlog_enabled - filter test */
bool pwlog_enabled(int prio)
{
	switch (atomic_load(&level)) {
	case PW_LOG_WARNING:
		return prio <= LOG_WARNING;
	case PW_LOG_INFO:
		return prio <= LOG_INFO;
	default:
		return true;
	}
}

/* emit - write one finished line */
static void emit(int prio, const char *text)
{
	if (use_stderr) {
		char line[2048];
		int n = snprintf(line, sizeof(line) - 1, "postward[%ld]: %s", (long)getpid(), text);
		if (n < 0)
			return;
		if ((size_t)n > sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
		line[n++] = '\n';
		ssize_t w = write(STDERR_FILENO, line, (size_t)n);
		(void)w;
	} else {
		syslog(prio, "%s", text);
	}
}

/* pwlog - plain line */
void pwlog(int prio, const char *fmt, ...)
{
	char text[1800];
	va_list ap;
	if (!pwlog_enabled(prio))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(prio, text);
}

/* pwlog_qid - line about a message */
void pwlog_qid(int prio, const char *qid, const char *fmt, ...)
{
	char text[1800];
	int n;
	va_list ap;
	if (!pwlog_enabled(prio))
		return;
	n = snprintf(text, sizeof(text), "%s: ", qid && *qid ? qid : "NOQUEUE");
	if (n < 0 || (size_t)n >= sizeof(text))
		return;
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	emit(prio, text);
}
