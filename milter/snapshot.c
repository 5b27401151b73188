/*
 * milter/snapshot.c - loading, swapping and refcounting configuration snapshots.
 * Contract and locking: see snapshot.h.
 */
#include "build-config.h"
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/dns.h"
#include "dkim/dkim-sign.h"
#include "dkim/keycache.h"
#include "log.h"

#define MAX_FILE_SIZE (16u * 1024 * 1024)

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pw_snapshot *current;	/* guarded by current_lock */
static unsigned generation;		/* guarded by current_lock */

/* snapshot_read_file - slurp one file */
char *snapshot_read_file(const char *path, size_t *len, int *err)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	/* O_NONBLOCK: a FIFO or device named by mistake must not hang start-up or a reload */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		*err = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		*err = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = EINVAL;	/* "Invalid argument": not a regular file */
		goto fail;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		*err = errno;
		goto fail;
	}
	if ((size_t)st.st_size > MAX_FILE_SIZE) {
		*err = EFBIG;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		*err = ENOMEM;
		goto fail;
	}
	while (used < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	*len = used;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* read_error - the reason text for snapshot_read_file's error */
static const char *read_error(int err)
{
	if (err == EINVAL)
		return "not a regular file";
	if (err == EFBIG)
		return "larger than 16 MiB";
	return strerror(err);
}

/* make_resolver - the DNS resolver the configuration describes; false with a diagnostic */
static bool make_resolver(struct pw_snapshot *s, const char *config_file, struct pw_diags *d)
{
	struct dns_config dc = { .timeout = s->cfg.dns_timeout,
				 .max_queries = s->cfg.dns_max_queries,
				 .cache_size = s->cfg.dns_cache_size,
				 .trust_anchor_file = s->cfg.dns_trust_anchor_file };
	char why[256];

	if (s->cfg.dns_nameservers[0] != '\0') {
		if (!dns_parse_servers(s->cfg.dns_nameservers, &dc, why, sizeof(why))) {
			pw_diags_add(d, config_file, 0, "dns_nameservers: %s", why);
			return false;
		}
	} else {
		size_t len;
		int err;
		char *text = snapshot_read_file("/etc/resolv.conf", &len, &err);
		if (text == NULL || dns_servers_from_resolv_conf(text, &dc) == 0)
			dns_parse_servers("127.0.0.1", &dc, why, sizeof(why));
		free(text);
	}
	if ((s->dns = dns_resolver_new(&dc, why, sizeof(why))) == NULL) {
		pw_diags_add(d, config_file, 0, "dns_trust_anchor_file: %s", why);
		return false;
	}
	if (s->cfg.authserv_id[0] != '\0')
		snprintf(s->authserv_id, sizeof(s->authserv_id), "%s", s->cfg.authserv_id);
	else if (gethostname(s->authserv_id, sizeof(s->authserv_id) - 1) != 0)
		snprintf(s->authserv_id, sizeof(s->authserv_id), "localhost");
	return true;
}

/* load_practices - sender_practices, and the Public Suffix List when dmarc_org_domain = psl
 * (the default tree walk needs none: the list is then not read at all) */
static bool load_practices(struct pw_snapshot *s, const char *config_file, struct pw_diags *d)
{
	char why[256];
	size_t len;
	int err;
	char *text;

	for (size_t i = 0; i < s->cfg.n_sender_practices; i++) {
		if (strcasecmp(s->cfg.sender_practices[i], "dmarc") == 0)
			s->dmarc = true;
		else	/* "adsp" or "dkim-adsp": the config parser allows nothing else */
			s->adsp = true;
	}
	if (!s->dmarc || s->cfg.dmarc_org_domain != PW_ORG_PSL)
		return true;
	if (s->cfg.public_suffix_list[0] == '\0') {
		pw_diags_add(d, config_file, 0, "dmarc_org_domain = psl needs public_suffix_list "
			     "(the list's file); or use dmarc_org_domain = treewalk");
		return false;
	}
	if ((text = snapshot_read_file(s->cfg.public_suffix_list, &len, &err)) == NULL) {
		pw_diags_add(d, config_file, 0, "public_suffix_list: cannot read %s: %s (install "
			     "Debian's publicsuffix package, or set public_suffix_list to another "
			     "copy)", s->cfg.public_suffix_list, read_error(err));
		return false;
	}
	s->psl = pw_psl_parse(text, len, 0, why, sizeof(why));
	free(text);
	if (s->psl == NULL) {
		pw_diags_add(d, config_file, 0, "public_suffix_list: %s: %s",
			     s->cfg.public_suffix_list, why);
		return false;
	}
	return true;
}

/* cmp_name - qsort on strings */
static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* beside_config - make the path in *SLOT absolute, relative to the directory of CONFIG_FILE
 * (a path already absolute stays); false for lack of memory */
static bool beside_config(const char *config_file, char **slot)
{
	const char *path = *slot;
	if (path[0] == '/')
		return true;
	const char *slash = strrchr(config_file, '/');
	int dirlen = slash ? (int)(slash - config_file) : 1;
	size_t need = (size_t)dirlen + strlen(path) + 2;
	char *abs = malloc(need);
	if (abs == NULL)
		return false;
	snprintf(abs, need, "%.*s/%s", dirlen, slash ? config_file : ".", path);
	free(*slot);
	*slot = abs;
	return true;
}

/* load_signing_keys - every dkim_signing_key key file (relative: beside the configuration
 * file) into the snapshot's keyring; each problem as CONFIG_FILE:LINE */
static void load_signing_keys(struct pw_snapshot *s, const char *config_file,
			      struct pw_diags *d)
{
	if (s->cfg.n_dkim_signing_keys == 0)
		return;
	if ((s->signing = dkim_keyring_new()) == NULL) {
		pw_diags_add(d, config_file, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->cfg.n_dkim_signing_keys; i++) {
		struct pw_signing_key *k = &s->cfg.dkim_signing_keys[i];
		struct dkim_signer *sg;
		const char *why;
		char err[512];
		if (!beside_config(config_file, &k->path)) {
			pw_diags_add(d, config_file, k->line, "out of memory");
			continue;
		}
		if (dkim_signer_load(k->domain, k->selector, k->path, &sg, err, sizeof(err)) !=
		    DKIM_OK) {
			pw_diags_add(d, config_file, k->line, "dkim_signing_key %s %s: %s", k->domain,
				     k->selector, err);
			continue;
		}
		if (dkim_keyring_add(s->signing, sg, &why) != DKIM_OK) {
			pw_diags_add(d, config_file, k->line, "dkim_signing_key %s %s: %s", k->domain,
				     k->selector, why);
			dkim_signer_free(sg);
		}
	}
}

/* load_list_dkim - each list's dkim_key files, signing for the list's domain; each problem
 * as LISTFILE:LINE (so that postward -n names the statement) */
static void load_list_dkim(struct pw_snapshot *s, struct pw_diags *d)
{
	bool any = false;

	for (size_t i = 0; i < s->lists.n; i++)
		any = any || s->lists.v[i].n_dkim_keys > 0;
	if (!any)
		return;
	if ((s->list_dkim = calloc(s->lists.n, sizeof(*s->list_dkim))) == NULL) {
		pw_diags_add(d, s->lists.v[0].file, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->lists.n; i++) {
		const struct pw_list *l = &s->lists.v[i];
		const char *at = strrchr(l->address, '@');
		for (size_t k = 0; k < l->n_dkim_keys && at != NULL; k++) {
			const struct pw_list_dkim_key *dk = &l->dkim_keys[k];
			struct dkim_signer *sg;
			char err[512];
			if (dkim_signer_load(at + 1, dk->selector, dk->path, &sg, err, sizeof(err)) !=
			    DKIM_OK) {
				pw_diags_add(d, l->file, dk->line, "dkim_key %s: %s", dk->selector,
					     err);
				continue;
			}
			s->list_dkim[i].v[s->list_dkim[i].n++] = sg;
		}
	}
}

/* snapshot_list_signers - list L's own signers */
size_t snapshot_list_signers(const struct pw_snapshot *s, const struct pw_list *l,
			     const struct dkim_signer *const **out)
{
	size_t i;

	*out = NULL;
	if (s->list_dkim == NULL || l < s->lists.v || l >= s->lists.v + s->lists.n)
		return 0;
	i = (size_t)(l - s->lists.v);
	*out = (const struct dkim_signer *const *)s->list_dkim[i].v;
	return s->list_dkim[i].n;
}

/* load_lists - every regular file NAME.list in list_directory (relative: beside the
 * configuration file), in name order, each with its managed subscriber file NAME.subscribers
 * when there is one (its errors are the list's; listfile.h) */
static void load_lists(struct pw_snapshot *s, const char *config_file, struct pw_diags *d)
{
	const char *dir = s->cfg.list_directory;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *dd;
	struct dirent *e;

	if (dir[0] == '\0')
		return;
	if (!beside_config(config_file, &s->cfg.list_directory)) {
		pw_diags_add(d, config_file, 0, "out of memory");
		return;
	}
	dir = s->cfg.list_directory;
	if ((dd = opendir(dir)) == NULL) {
		pw_diags_add(d, config_file, 0, "list_directory %s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(dd)) != NULL) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= 5 || strcmp(e->d_name + l - 5, ".list") != 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(names, nc * sizeof(*nv));
			if (nv == NULL)
				break;
			names = nv;
			cap = nc;
		}
		if ((names[n] = malloc(strlen(dir) + l + 2)) == NULL)
			break;
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(dd);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		size_t len, sub_len = 0;
		int err, sub_err;
		char *text = snapshot_read_file(names[i], &len, &err), *sub_text = NULL;
		char *sub = pw_list_managed_path(names[i]);
		if (sub == NULL) {
			pw_diags_add(d, names[i], 0, "out of memory");
		} else if ((sub_text = snapshot_read_file(sub, &sub_len, &sub_err)) == NULL) {
			/* a list without a managed subscriber file is the usual case */
			if (sub_err != ENOENT)
				pw_diags_add(d, sub, 0, "cannot read: %s", read_error(sub_err));
			free(sub);
			sub = NULL;
		}
		if (text == NULL)
			pw_diags_add(d, names[i], 0, "cannot read: %s", read_error(err));
		else
			pw_list_parse_with_subs(&s->lists, names[i], text, len, sub, sub_text,
						sub_len, d);
		free(text);
		free(sub_text);
		free(sub);
		free(names[i]);
	}
	free(names);
}

/* free_snapshot - release everything */
static void free_snapshot(struct pw_snapshot *s)
{
	dns_resolver_free(s->dns);
	pw_psl_free(s->psl);
	keycache_free(s->keys);
	dkim_keyring_free(s->signing);
	for (size_t i = 0; s->list_dkim != NULL && i < s->lists.n; i++)
		for (size_t k = 0; k < s->list_dkim[i].n; k++)
			dkim_signer_free(s->list_dkim[i].v[k]);
	free(s->list_dkim);
	pw_lists_free(&s->lists);
	pw_config_free(&s->cfg);
	pw_policy_free(&s->pol);
	free(s);
}

/* snapshot_load - read and parse everything */
struct pw_snapshot *snapshot_load(const struct snapshot_source *src, struct pw_diags *d)
{
	struct pw_snapshot *s = calloc(1, sizeof(*s));
	size_t before = pw_diags_errors(d), len;
	char *text;
	int err;

	if (s == NULL || !pw_config_defaults(&s->cfg)) {
		pw_diags_add(d, src->config_file, 0, "out of memory");
		if (s)
			free_snapshot(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	text = snapshot_read_file(src->config_file, &len, &err);
	if (text != NULL) {
		pw_config_parse(&s->cfg, src->config_file, text, len, d);
		free(text);
	} else if (!(err == ENOENT && src->config_optional)) {
		pw_diags_add(d, src->config_file, 0, "cannot read: %s", read_error(err));
	}
	if (src->socket_override)
		pw_config_set(&s->cfg, "milter_socket", src->socket_override, "-p", 0, d);
	for (size_t i = 0; i < s->cfg.n_policy_files; i++) {
		/* relative policy files are found beside the configuration file */
		if (!beside_config(src->config_file, &s->cfg.policy_files[i])) {
			pw_diags_add(d, s->cfg.policy_files[i], 0, "out of memory");
			continue;
		}
		const char *path = s->cfg.policy_files[i];
		text = snapshot_read_file(path, &len, &err);
		if (text == NULL) {
			pw_diags_add(d, path, 0, "cannot read: %s", read_error(err));
			continue;
		}
		pw_policy_parse(&s->pol, path, text, len, d);
		free(text);
	}
	load_lists(s, src->config_file, d);
	load_signing_keys(s, src->config_file, d);
	load_list_dkim(s, d);
	if (pw_diags_errors(d) == before && !d->oom && load_practices(s, src->config_file, d))
		make_resolver(s, src->config_file, d);
	if (pw_diags_errors(d) == before && !d->oom && (s->keys = keycache_new(1024)) == NULL)
		pw_diags_add(d, src->config_file, 0, "out of memory");
	if (pw_diags_errors(d) > before || d->oom) {
		free_snapshot(s);
		return NULL;
	}
	return s;
}

/* snapshot_install - swap in S */
void snapshot_install(struct pw_snapshot *s)
{
	struct pw_snapshot *old;
	pthread_mutex_lock(&current_lock);
	s->generation = ++generation;
	old = current;
	current = s;
	pthread_mutex_unlock(&current_lock);
	pwlog_set_level(s->cfg.log_level);
	snapshot_release(old);
}

/* snapshot_acquire - take a reference to the current snapshot */
struct pw_snapshot *snapshot_acquire(void)
{
	struct pw_snapshot *s;
	pthread_mutex_lock(&current_lock);
	s = current;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return s;
}

/* snapshot_release - drop a reference */
void snapshot_release(struct pw_snapshot *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
		free_snapshot(s);
}

/* snapshot_reload - reload, keeping the running snapshot on error */
bool snapshot_reload(const struct snapshot_source *src)
{
	struct pw_diags d = { 0 };
	struct pw_snapshot *s = snapshot_load(src, &d), *old;
	char buf[1024];

	if (s == NULL) {
		for (size_t i = 0; i < d.n; i++) {
			pw_diag_format(&d.v[i], buf, sizeof(buf));
			pwlog(d.v[i].warning ? LOG_WARNING : LOG_ERR, "reload failed, keeping the "
			      "running policy: %s", buf);
		}
		if (pw_diags_errors(&d) == 0)
			pwlog(LOG_ERR, "reload failed, keeping the running policy: out of memory");
		pw_diags_free(&d);
		return false;
	}
	for (size_t i = 0; i < d.n; i++) {	/* warnings only: the files are used */
		pw_diag_format(&d.v[i], buf, sizeof(buf));
		pwlog(LOG_WARNING, "reload: %s", buf);
	}
	pw_diags_free(&d);
	old = snapshot_acquire();
	if (old != NULL) {
		static const char *const restart_only[] = {
			"milter_socket", "user", "pid_file", "syslog_facility", "milter_timeout",
			"gnupg_home", "list_spool_directory", "list_workers", "list_queue_size" };
		char a[512], b[512];
		for (size_t i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]); i++) {
			pw_config_get(&old->cfg, restart_only[i], a, sizeof(a));
			pw_config_get(&s->cfg, restart_only[i], b, sizeof(b));
			if (strcmp(a, b) != 0)
				pwlog(LOG_WARNING, "reload: %s changed from \"%s\" to \"%s\"; "
				      "this takes effect only after a restart", restart_only[i], a, b);
		}
		snapshot_release(old);
	}
	snapshot_install(s);
	pwlog(LOG_INFO, "reloaded: %zu policy rule(s) from %zu file(s), %zu list(s)",
	      s->pol.n_tls_rules + s->pol.n_sp_rules, s->pol.n_files, s->lists.n);
	return true;
}

/* snapshot_request_reload - SIGUSR1 to ourselves, for main.c's reload thread */
bool snapshot_request_reload(void)
{
	sigset_t cur;

	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 || sigismember(&cur, SIGUSR1) != 1)
		return false;
	return kill(getpid(), SIGUSR1) == 0;
}

/* snapshot_shutdown - drop the daemon's reference to the current snapshot */
void snapshot_shutdown(void)
{
	struct pw_snapshot *old;
	pthread_mutex_lock(&current_lock);
	old = current;
	current = NULL;
	pthread_mutex_unlock(&current_lock);
	snapshot_release(old);
}
