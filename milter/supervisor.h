/*
 * milter/supervisor.h - the supervisor process that owns the administrator's signals.
 *
 * Why: libmilter's own signal thread treats SIGHUP as "stop", but administrators expect
 * SIGHUP to reload.  So postward runs as two processes: the supervisor (the PID in the pid
 * file, the one started by the init system or by a test) and one milter worker.  The
 * supervisor does nothing but wait for signals:
 *   SIGHUP           -> SIGUSR1 to the worker, whose reload thread re-reads everything;
 *   SIGTERM, SIGINT  -> SIGTERM to the worker (a clean stop for both: libmilter would treat
 *                       SIGINT as "abort"); the supervisor then waits for it;
 *   worker exits     -> the supervisor exits with the worker's status.
 * The worker asks the kernel for SIGTERM should the supervisor die (PR_SET_PDEATHSIG), so no
 * worker outlives it.
 *
 * supervisor_start() forks; it returns in the worker only; the supervisor never
 * returns from it.  On entry SIGHUP, SIGTERM, SIGINT, SIGCHLD and SIGUSR1 must be blocked
 * (supervisor_block_signals()); the worker leaves with SIGUSR1 still blocked (for its reload
 * thread's sigwait), SIGHUP/SIGTERM/SIGINT still blocked (libmilter's signal thread sigwaits
 * for them; a worker thread with them unblocked would be killed by the default action) and
 * SIGCHLD unblocked.
 */
#ifndef POSTWARD_MILTER_SUPERVISOR_H
#define POSTWARD_MILTER_SUPERVISOR_H

/* supervisor_block_signals - block the signals the supervisor and worker wait for */
void supervisor_block_signals(void);
/* supervisor_start - fork the worker; returns in the worker, exits in the supervisor.
 * PID_FILE (or NULL) is removed when the supervisor exits. */
void supervisor_start(const char *pid_file);

#endif
