/*
 * milter/main.c - postward: command line, start-up, privileges and the libmilter main loop.
 *
 * Start-up order (everything that can fail is reported before the process detaches):
 *   1. parse the command line; load and check the configuration and policy files;
 *   2. -n: print every problem as FILE:LINE: message and exit 0/1;
 *      -K: refresh the lists' subscriber keys once (keyrefresh_cli) and exit 0/1/2;
 *   3. without -f, detach (fork, setsid) and keep a pipe to learn whether the worker started;
 *   4. block the signals, write the pid file, start the supervisor, which forks the worker;
 *   5. worker: register with libmilter, open the socket (refusing a socket another postward is
 *      serving), drop privileges (-u / user), start the reload thread, report ready, and run
 *      smfi_main() until SIGTERM.
 * Exit status: 0 success, 1 configuration or start-up failure, 2 usage error.
 */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "lists/keyfetch.h"
#include "lists/keyrefresh.h"
#include "lists/lists.h"
#include "log.h"
#include "lists/pgp.h"
#include "lists/pool.h"
#include "session.h"
#include "lists/spool.h"
#include "requiretls/rcpt.h"
#include "snapshot.h"
#include "supervisor.h"

static struct snapshot_source source;	/* set before threads start, then read-only */

#define USAGE "usage: postward [-c FILE] [-p SOCKET] [-f] [-n] [-K] [-u USER] [-V]"

/* usage - print the synopsis */
static void usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
}

/* print_diags - every diagnostic on stderr */
static void print_diags(const struct pw_diags *d)
{
	char buf[1024];
	for (size_t i = 0; i < d->n; i++) {
		pw_diag_format(&d->v[i], buf, sizeof(buf));
		fprintf(stderr, "%s\n", buf);
	}
	if (d->oom)
		fprintf(stderr, "postward: out of memory while checking the configuration\n");
}

/* reload_thread - wait for SIGUSR1 and reload */
static void *reload_thread(void *arg)
{
	sigset_t set;
	int sig;
	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) == 0 && sig == SIGUSR1)
			snapshot_reload(&source);
	}
	return NULL;
}

/* socket_busy - is another process already serving this socket; a unix path answers the
 * question by connecting, an inet socket by trying to bind */
static bool socket_busy(const char *spec, char *why, size_t len)
{
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		const char *path = strchr(spec, ':') + 1;
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int fd;
		bool busy;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			snprintf(why, len, "socket path too long");
			return true;
		}
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return false;
		busy = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(fd);
		if (busy)
			snprintf(why, len, "already in use by a running process");
		return busy;
	}
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		bool v6 = spec[4] == '6';
		const char *port = strchr(spec, ':') + 1, *at = strchr(port, '@');
		char portbuf[16];
		const char *host = at ? at + 1 : NULL;
		struct addrinfo hints = { .ai_family = v6 ? AF_INET6 : AF_INET,
					  .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
		struct addrinfo *ai = NULL;
		size_t pl = at ? (size_t)(at - port) : strlen(port);
		int fd, one = 1, rc;
		bool busy = false;
		if (pl == 0 || pl >= sizeof(portbuf))
			return false;
		memcpy(portbuf, port, pl);
		portbuf[pl] = '\0';
		if (getaddrinfo(host, portbuf, &hints, &ai) != 0 || ai == NULL)
			return false;
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
			if (rc < 0) {
				snprintf(why, len, "%s", errno == EADDRINUSE ?
					 "address already in use" : strerror(errno));
				busy = true;
			}
			close(fd);
		}
		freeaddrinfo(ai);
		return busy;
	}
	return false;
}

/* drop_privileges - become USER for good; a unix socket is handed to USER first (mode 0660)
 * so that the MTA, in USER's group, can still connect */
static bool drop_privileges(const char *user, const char *sock)
{
	struct passwd *pw;
	if (user == NULL || *user == '\0')
		return true;
	if ((pw = getpwnam(user)) == NULL) {
		pwlog(LOG_ERR, "cannot switch to user \"%s\": no such user", user);
		return false;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return true;
	if (geteuid() != 0) {
		pwlog(LOG_ERR, "cannot switch to user \"%s\": not started as root", user);
		return false;
	}
	if (strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0) {
		const char *path = strchr(sock, ':') + 1;
		if (chown(path, pw->pw_uid, pw->pw_gid) != 0 || chmod(path, 0660) != 0) {
			pwlog(LOG_ERR, "cannot hand socket %s to user \"%s\": %s", path, user,
			      strerror(errno));
			return false;
		}
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		pwlog(LOG_ERR, "cannot switch to user \"%s\": %s", user, strerror(errno));
		return false;
	}
	if (setuid(0) == 0) {
		pwlog(LOG_ERR, "cannot switch to user \"%s\": root privileges still available",
		      user);
		return false;
	}
	return true;
}

/* write_pid_file - the supervisor's pid */
static bool write_pid_file(const char *path)
{
	FILE *f;
	if (path == NULL || *path == '\0')
		return true;
	if ((f = fopen(path, "w")) == NULL) {
		pwlog(LOG_ERR, "cannot write pid file %s: %s", path, strerror(errno));
		return false;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0;
}

static struct pool *list_pool;		/* the list workers, or NULL */
static struct spool *list_spool;

static bool key_refresh_on;		/* keyrefresh_start ran; set once before smfi_main */
static bool keyfetch_on;		/* keyfetch_global_init ran; set once before smfi_main */

/* key_refresh_run - one scheduled pass over the current snapshot's lists */
static void key_refresh_run(void *arg)
{
	struct pw_snapshot *snap = snapshot_acquire();
	char why[300];
	long bad;

	(void)arg;
	if (snap == NULL)
		return;
	bad = keyrefresh_mail_pass(&snap->cfg, &snap->lists, keyrefresh_stopping(), why,
				   sizeof(why));
	if (bad < 0)
		pwlog(LOG_ERR, "key refresh: %s", why);
	else
		pwlog(LOG_INFO, "key refresh: pass done, %ld key(s) not refreshed", bad);
	snapshot_release(snap);
}

/* start_lists - with a list_directory: GnuPG, the spool and the worker pool (after the
 * privilege drop, so that the spool belongs to the user postward runs as); false on error */
static bool start_lists(const struct pw_snapshot *snap)
{
	char why[512];
	struct pool_config pc;

	if (snap->cfg.list_directory[0] == '\0')
		return true;
	if (!pgp_global_init(snap->cfg.gnupg_home, why, sizeof(why))) {
		pwlog(LOG_ERR, "encrypted lists: %s", why);
		return false;
	}
	if (spool_open(snap->cfg.list_spool_directory, &list_spool, why, sizeof(why)) != SPOOL_OK) {
		pwlog(LOG_ERR, "encrypted lists: list_spool_directory: %s", why);
		return false;
	}
	/* libcurl before the workers start: X-FETCH-KEY and the key refresh use it */
	if (!keyfetch_global_init(why, sizeof(why))) {
		pwlog(LOG_ERR, "encrypted lists: %s", why);
		return false;
	}
	keyfetch_on = true;
	pc.spool = list_spool;
	pc.workers = snap->cfg.list_workers;
	pc.queue_size = snap->cfg.list_queue_size;
	pc.helo = snap->authserv_id;
	if ((list_pool = pool_start(&pc, why, sizeof(why))) == NULL) {
		pwlog(LOG_ERR, "encrypted lists: %s", why);
		return false;
	}
	lists_set_pool(list_pool, list_spool);
	pwlog(LOG_INFO, "encrypted lists: %zu list(s), %u worker(s), spool %s", snap->lists.n,
	      snap->cfg.list_workers, snap->cfg.list_spool_directory);
	if (snap->cfg.list_key_refresh_interval > 0 &&
	    keyrefresh_any(&snap->lists, snap->cfg.n_list_key_sources)) {
		if (!keyrefresh_start(snap->cfg.list_key_refresh_delay,
				      snap->cfg.list_key_refresh_interval * 3600u, key_refresh_run,
				      NULL, why, sizeof(why))) {
			pwlog(LOG_ERR, "key refresh: %s", why);
			return false;
		}
		key_refresh_on = true;
		pwlog(LOG_INFO, "key refresh: every %u hour(s), the first pass in %u second(s)",
		      snap->cfg.list_key_refresh_interval, snap->cfg.list_key_refresh_delay);
	}
	return true;
}

/* worker_run - the milter worker; never returns */
static void worker_run(struct pw_snapshot *snap, const char *user, int ready_fd)
{
	/* a copy: a reload frees the snapshot this came from */
	char *sock = strdup(snap->cfg.milter_socket);
	char why[256] = "";
	pthread_t tid;
	int rc;

	if (sock == NULL) {
		pwlog(LOG_ERR, "out of memory at start-up");
		_exit(1);
	}
	if (smfi_register(*callbacks_desc()) == MI_FAILURE) {
		pwlog(LOG_ERR, "smfi_register failed: libmilter too old?");
		_exit(1);
	}
	if (socket_busy(sock, why, sizeof(why))) {
		pwlog(LOG_ERR, "cannot listen on %s: %s", sock, why);
		if (strstr(why, "in use") != NULL)
			fprintf(stderr, "postward: milter socket %s is in use\n", sock);
		_exit(1);
	}
	if (smfi_setconn(sock) == MI_FAILURE || smfi_settimeout((int)snap->cfg.milter_timeout) == MI_FAILURE) {
		pwlog(LOG_ERR, "bad milter socket %s", sock);
		_exit(1);
	}
	if (smfi_opensocket(true) == MI_FAILURE) {
		pwlog(LOG_ERR, "cannot open milter socket %s (bad address, or in use)", sock);
		_exit(1);
	}
	if (!drop_privileges(user && *user ? user : snap->cfg.user, sock))
		_exit(1);
	if (!start_lists(snap))
		_exit(1);
	if (!requiretls_global_init(why, sizeof(why))) {	/* REQUIRETLS at RCPT: libcurl */
		pwlog(LOG_ERR, "REQUIRETLS recipient checks: %s", why);
		_exit(1);
	}
	if ((rc = pthread_create(&tid, NULL, reload_thread, NULL)) != 0) {
		pwlog(LOG_ERR, "cannot start the reload thread: %s", strerror(rc));
		_exit(1);
	}
	pthread_detach(tid);
	pwlog(LOG_INFO, "listening on %s", sock);
	if (ready_fd >= 0) {
		ssize_t w = write(ready_fd, "R", 1);
		(void)w;
		close(ready_fd);
	}
	rc = smfi_main();
	requiretls_global_end();
	if (key_refresh_on)
		keyrefresh_stop();
	lists_set_pool(NULL, NULL);
	pool_stop(list_pool);
	if (keyfetch_on)
		keyfetch_global_end();
	spool_close(list_spool);
	if (list_pool != NULL)
		pgp_global_end();
	if (strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0)
		unlink(strchr(sock, ':') + 1);
	pwlog(LOG_INFO, "stopped");
	snapshot_shutdown();
	free(sock);
	exit(rc == MI_SUCCESS ? 0 : 1);
}

/* detach - become a daemon; the original process exits 0 once the worker says it is ready */
static int detach(void)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds) < 0) {
		fprintf(stderr, "postward: pipe: %s\n", strerror(errno));
		exit(1);
	}
	if ((pid = fork()) < 0) {
		fprintf(stderr, "postward: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		/* _exit: the snapshot loaded before the fork belongs to the daemon now */
		if (read(fds[0], &c, 1) == 1 && c == 'R')
			_exit(0);
		fprintf(stderr, "postward: start-up failed; see the mail log\n");
		_exit(1);
	}
	close(fds[0]);
	setsid();
	if (chdir("/") != 0)
		exit(1);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return fds[1];
}

int main(int argc, char **argv)
{
	const char *config = NULL, *sock = NULL, *user = NULL;
	bool foreground = false, check = false, refresh = false;
	struct pw_diags d = { 0 };
	struct pw_snapshot *snap;
	int opt, ready_fd = -1;
	char *abs_config = NULL;	/* lives as long as the process */

	opterr = 0;
	while ((opt = getopt(argc, argv, ":c:p:fnKu:Vh")) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			sock = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'K':
			refresh = true;
			break;
		case 'u':
			user = optarg;
			break;
		case 'V':
			printf("postward %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "postward: option -%c needs an argument (%s)\n", optopt, USAGE);
			return 2;
		default:
			fprintf(stderr, "postward: unknown option -%c (%s)\n", optopt, USAGE);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "postward: unexpected argument \"%s\" (%s)\n", argv[optind], USAGE);
		return 2;
	}
	/* an absolute path, so that reloads work after the daemon's chdir("/") */
	if (config != NULL && config[0] != '/' && (abs_config = realpath(config, NULL)) != NULL)
		config = abs_config;
	source.config_file = config ? config : PW_DEFAULT_CONFIG_FILE;
	source.config_optional = config == NULL;
	source.socket_override = sock;

	snap = snapshot_load(&source, &d);
	if (check) {
		print_diags(&d);
		pw_diags_free(&d);
		free(abs_config);
		if (snap == NULL)
			return 1;
		snapshot_release(snap);
		return 0;
	}
	if (snap == NULL) {
		print_diags(&d);
		pw_diags_free(&d);
		free(abs_config);
		return 1;
	}
	print_diags(&d);		/* warnings only: the files are used */
	pw_diags_free(&d);
	if (refresh) {
		/* -K: refresh the subscribers' keys once now, one line each on stdout, the log
		 * on stderr */
		int rc;

		pwlog_open(true, snap->cfg.syslog_facility);
		pwlog_set_level(snap->cfg.log_level);
		rc = keyrefresh_cli(&snap->cfg, &snap->lists, stdout, stderr);
		snapshot_release(snap);
		free(abs_config);
		return rc;
	}

	/* a socket in use is said on the terminal, before detaching */
	char why[256] = "";
	if (socket_busy(snap->cfg.milter_socket, why, sizeof(why))) {
		fprintf(stderr, "postward: cannot listen on %s: %s\n", snap->cfg.milter_socket, why);
		snapshot_release(snap);
		free(abs_config);
		return 1;
	}
	pwlog_open(foreground, snap->cfg.syslog_facility);
	pwlog_set_level(snap->cfg.log_level);
	if (!foreground)
		ready_fd = detach();
	pwlog(LOG_INFO, "postward %s starting (configuration %s%s)", PACKAGE_VERSION,
	      source.config_file, source.config_optional ? ", built-in defaults if missing" : "");

	/* before any thread: allocator settings that let a burst's memory go back (session.c) */
	pwlog(LOG_DEBUG, "allocator: %s", session_tune_allocator());
	supervisor_block_signals();
	if (!write_pid_file(snap->cfg.pid_file))
		return 1;
	supervisor_start(snap->cfg.pid_file);	/* returns in the worker only */
	snapshot_install(snap);
	worker_run(snap, user, ready_fd);
	return 1;
}
