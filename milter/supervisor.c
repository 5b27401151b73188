/*
 * milter/supervisor.c - supervisor process: relays signals to the milter worker.
 * Contract: see supervisor.h.
 */
#include "build-config.h"
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* supervisor_block_signals - see header */
void supervisor_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* supervisor_start - see header */
void supervisor_start(const char *pid_file)
{
	sigset_t wait_set, unblock;
	pid_t worker, parent = getpid();
	int status, sig;

	worker = fork();
	if (worker < 0) {
		pwlog(LOG_ERR, "cannot start the milter worker: fork: %s", strerror(errno));
		exit(1);
	}
	if (worker == 0) {
		/* the worker: die with the supervisor.  SIGUSR1 stays blocked for the reload
		 * thread's sigwait; SIGHUP, SIGTERM and SIGINT stay blocked for libmilter's
		 * signal thread, so that no other thread of the worker takes them. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		sigemptyset(&unblock);
		sigaddset(&unblock, SIGCHLD);
		pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
		return;
	}

	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGHUP);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGCHLD);
	for (;;) {
		if (sigwait(&wait_set, &sig) != 0)
			continue;
		switch (sig) {
		case SIGHUP:
			pwlog(LOG_INFO, "SIGHUP: asking the worker (pid %ld) to reload", (long)worker);
			if (kill(worker, SIGUSR1) < 0)
				pwlog(LOG_ERR, "cannot signal the worker: %s", strerror(errno));
			break;
		case SIGTERM:
		case SIGINT:
			/* both are a clean stop: libmilter would treat SIGINT as "abort" */
			pwlog(LOG_INFO, "%s: stopping the worker", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			kill(worker, SIGTERM);
			break;
		case SIGCHLD:
			if (waitpid(worker, &status, WNOHANG) != worker)
				break;
			if (pid_file && *pid_file)
				unlink(pid_file);
			if (WIFEXITED(status)) {
				if (WEXITSTATUS(status) != 0)
					pwlog(LOG_ERR, "worker exited with status %d",
					      WEXITSTATUS(status));
				exit(WEXITSTATUS(status));
			}
			if (WIFSIGNALED(status)) {
				pwlog(LOG_ERR, "worker killed by signal %d", WTERMSIG(status));
				exit(128 + WTERMSIG(status));
			}
			break;
		default:
			break;
		}
	}
}
