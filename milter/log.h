/*
 * milter/log.h - postward's log lines: syslog (LOG_MAIL by default) or stderr with -f.
 *
 * Every line about a message starts with the MTA queue id (or NOQUEUE), as in Postfix:
 *   postward[PID]: QUEUEID: requiretls=required reason=mail-parameter
 * Lines are filtered by the configured log_level (warning, info, debug).
 * Thread-safe: the level is an atomic; each line is written with one write(2) on stderr or
 * one syslog(3) call.  pwlog_open() is called before any thread starts.
 */
#ifndef POSTWARD_MILTER_LOG_H
#define POSTWARD_MILTER_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "config.h"

/* pwlog_open - choose stderr or syslog; FACILITY is a name such as "mail" */
void pwlog_open(bool to_stderr, const char *facility);
/* pwlog_set_level - lines less important than LEVEL are dropped */
void pwlog_set_level(enum pw_log_level level);
/* pwlog_enabled - would a line of priority PRIO be written */
bool pwlog_enabled(int prio);
/* pwlog - one line; PRIO is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG) */
void pwlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* pwlog_qid - one line prefixed with "QID: " (NOQUEUE when QID is NULL or empty) */
void pwlog_qid(int prio, const char *qid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
