/*
 * milter/lists/spool.c - the durable queue of accepted list posts.
 * Contract: see spool.h.  Files: ID.post, ID.job (commit point), ID.done (append-only).
 */
#include "build-config.h"
#include "spool.h"

#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOB_MAGIC "postward-job 1"
#define MAX_LINE 2048

struct spool {
	char *dir;			/* read-only after spool_open */
	int dirfd;
	atomic_uint counter;		/* for unique ids */
};

static const char *const status_names[] = { "ok", "I/O error", "damaged job file",
					    "limit exceeded", "out of memory" };

/* spool_strerror - text */
const char *spool_strerror(enum spool_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ?
	       status_names[s] : "?";
}

/* io_error - SPOOL_E_IO with "WHAT PATH: strerror" */
static enum spool_status io_error(char *why, size_t len, const char *what, const char *dir,
				  const char *name)
{
	int e = errno;
	snprintf(why, len, "%s %s/%s: %s", what, dir, name ? name : "", strerror(e));
	return SPOOL_E_IO;
}

/* spool_dir - the directory */
const char *spool_dir(const struct spool *s)
{
	return s->dir;
}

/* clean_tmp - remove what an interrupted commit left in tmp/ */
static void clean_tmp(struct spool *s)
{
	int fd = openat(s->dirfd, "tmp", O_RDONLY | O_DIRECTORY);
	DIR *d;
	struct dirent *e;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* spool_open - create or reuse the directory */
enum spool_status spool_open(const char *dir, struct spool **out, char *why, size_t whylen)
{
	struct spool *s;
	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return io_error(why, whylen, "cannot create", dir, NULL);
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->dir = strdup(dir)) == NULL) {
		free(s);
		snprintf(why, whylen, "out of memory");
		return SPOOL_E_NOMEM;
	}
	if ((s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		enum spool_status st = io_error(why, whylen, "cannot open", dir, NULL);
		free(s->dir);
		free(s);
		return st;
	}
	if (mkdirat(s->dirfd, "tmp", 0700) != 0 && errno != EEXIST) {
		enum spool_status st = io_error(why, whylen, "cannot create", dir, "tmp");
		spool_close(s);
		return st;
	}
	atomic_init(&s->counter, 0);
	clean_tmp(s);
	*out = s;
	return SPOOL_OK;
}

/* spool_close - release */
void spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

/* write_all - the whole buffer, retrying short writes */
static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		len -= (size_t)k;
	}
	return true;
}

/* write_tmp - tmp/NAME with BUF, fsync'ed */
static enum spool_status write_tmp(struct spool *s, const char *name, const void *buf,
				   size_t len, char *why, size_t whylen)
{
	char path[128];
	int fd;
	snprintf(path, sizeof(path), "tmp/%s", name);
	if ((fd = openat(s->dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return io_error(why, whylen, "cannot create", s->dir, path);
	if (!write_all(fd, buf, len) || fsync(fd) != 0) {
		enum spool_status st = io_error(why, whylen, "cannot write", s->dir, path);
		close(fd);
		unlinkat(s->dirfd, path, 0);
		return st;
	}
	if (close(fd) != 0)
		return io_error(why, whylen, "cannot close", s->dir, path);
	return SPOOL_OK;
}

/* job_text - the .job file's content (malloc'd) */
static char *job_text(const struct spool_job *j, size_t *len)
{
	size_t cap = 256 + strlen(j->list) + strlen(j->poster) + strlen(j->qid), used;
	bool role = j->role != NULL && strcmp(j->role, "post") != 0;
	char *t;
	for (size_t i = 0; i < j->n_rcpts; i++)
		cap += strlen(j->rcpts[i]) + 6;
	cap += (role ? strlen(j->role) : 0) + (j->verp ? strlen(j->verp) : 0);
	if ((t = malloc(cap)) == NULL)
		return NULL;
	used = (size_t)snprintf(t, cap, "%s\nlist %s\nposter %s\nqid %s\nrequiretls %d\n",
				JOB_MAGIC, j->list, j->poster, j->qid, j->requiretls ? 1 : 0);
	if (role)	/* a post's job stays as older versions read it */
		used += (size_t)snprintf(t + used, cap - used, "role %s\n", j->role);
	if (j->verp != NULL)
		used += (size_t)snprintf(t + used, cap - used, "verp %s\n", j->verp);
	for (size_t i = 0; i < j->n_rcpts; i++)
		used += (size_t)snprintf(t + used, cap - used, "rcpt %s\n", j->rcpts[i]);
	used += (size_t)snprintf(t + used, cap - used, "end\n");
	*len = used;
	return t;
}

/* safe_word - no blanks or line breaks: a value fits on its line */
static bool safe_word(const char *s, bool allow_empty)
{
	if (!allow_empty && *s == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* spool_commit - make the job durable */
enum spool_status spool_commit(struct spool *s, struct spool_job *j, const void *post,
			       size_t len, char *why, size_t whylen)
{
	char pname[SPOOL_ID_LEN + 8], jname[SPOOL_ID_LEN + 8];
	struct timespec ts;
	enum spool_status st;
	size_t tlen;
	char *text;

	if (len > SPOOL_MAX_POST || j->n_rcpts > SPOOL_MAX_RCPTS || j->n_rcpts == 0) {
		snprintf(why, whylen, "post of %zu octets for %zu subscribers is outside the "
			 "limits", len, j->n_rcpts);
		return SPOOL_E_LIMIT;
	}
	if (!safe_word(j->list, false) || !safe_word(j->poster, true) || !safe_word(j->qid, true) ||
	    (j->role != NULL && !safe_word(j->role, false)) ||
	    (j->verp != NULL && !safe_word(j->verp, false))) {
		snprintf(why, whylen, "list, poster, queue id, role or VERP address with blanks or "
			 "control characters");
		return SPOOL_E_LIMIT;
	}
	for (size_t i = 0; i < j->n_rcpts; i++)
		if (!safe_word(j->rcpts[i], false)) {
			snprintf(why, whylen, "subscriber address with blanks or control characters");
			return SPOOL_E_LIMIT;
		}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(j->id, sizeof(j->id), "%012llx%08lx%08lx%08x",
		 (unsigned long long)ts.tv_sec & 0xffffffffffffULL, (unsigned long)ts.tv_nsec,
		 (unsigned long)getpid() & 0xffffffffUL, atomic_fetch_add(&s->counter, 1));
	j->queued = ts.tv_sec;
	snprintf(pname, sizeof(pname), "%s.post", j->id);
	snprintf(jname, sizeof(jname), "%s.job", j->id);
	if ((text = job_text(j, &tlen)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return SPOOL_E_NOMEM;
	}
	st = write_tmp(s, pname, post, len, why, whylen);
	if (st == SPOOL_OK)
		st = write_tmp(s, jname, text, tlen, why, whylen);
	free(text);
	if (st == SPOOL_OK) {
		char from[64];
		snprintf(from, sizeof(from), "tmp/%s", pname);
		if (renameat(s->dirfd, from, s->dirfd, pname) != 0)
			st = io_error(why, whylen, "cannot rename", s->dir, from);
		snprintf(from, sizeof(from), "tmp/%s", jname);
		if (st == SPOOL_OK && renameat(s->dirfd, from, s->dirfd, jname) != 0)
			st = io_error(why, whylen, "cannot rename", s->dir, from);
		if (st == SPOOL_OK && fsync(s->dirfd) != 0)
			st = io_error(why, whylen, "cannot fsync", s->dir, NULL);
	}
	if (st != SPOOL_OK) {
		char tmpname[64];
		snprintf(tmpname, sizeof(tmpname), "tmp/%s", pname);
		unlinkat(s->dirfd, tmpname, 0);
		snprintf(tmpname, sizeof(tmpname), "tmp/%s", jname);
		unlinkat(s->dirfd, tmpname, 0);
		unlinkat(s->dirfd, jname, 0);
		unlinkat(s->dirfd, pname, 0);
	}
	j->done_fd = -1;
	return st;
}

/* cmp_str - qsort on strings */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* valid_id - SPOOL_ID_LEN - 1 hex digits */
static bool valid_id(const char *s, size_t n)
{
	if (n != SPOOL_ID_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* spool_pending - committed jobs, oldest first */
enum spool_status spool_pending(struct spool *s, char ***ids, size_t *n, char *why,
				size_t whylen)
{
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t nv = 0, cap = 0;
	struct stat st;

	*ids = NULL;
	*n = 0;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return io_error(why, whylen, "cannot read", s->dir, NULL);
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char other[SPOOL_ID_LEN + 8];
		if (l > 5 && strcmp(e->d_name + l - 5, ".post") == 0 &&
		    valid_id(e->d_name, l - 5)) {
			/* a post without its job: the commit did not finish */
			snprintf(other, sizeof(other), "%.*s.job", (int)(l - 5), e->d_name);
			if (fstatat(s->dirfd, other, &st, 0) != 0 && errno == ENOENT)
				unlinkat(s->dirfd, e->d_name, 0);
			continue;
		}
		if (l > 5 && strcmp(e->d_name + l - 5, ".done") == 0 &&
		    valid_id(e->d_name, l - 5)) {
			/* progress of a job that spool_finish removed before a crash */
			snprintf(other, sizeof(other), "%.*s.job", (int)(l - 5), e->d_name);
			if (fstatat(s->dirfd, other, &st, 0) != 0 && errno == ENOENT)
				unlinkat(s->dirfd, e->d_name, 0);
			continue;
		}
		if (l <= 4 || strcmp(e->d_name + l - 4, ".job") != 0 || !valid_id(e->d_name, l - 4))
			continue;
		if (nv == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nvv = realloc(v, nc * sizeof(*nvv));
			if (nvv == NULL)
				goto nomem;
			v = nvv;
			cap = nc;
		}
		if ((v[nv] = strndup(e->d_name, l - 4)) == NULL)
			goto nomem;
		nv++;
	}
	closedir(d);
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_str);
	*ids = v;
	*n = nv;
	return SPOOL_OK;
nomem:
	closedir(d);
	spool_ids_free(v, nv);
	snprintf(why, whylen, "out of memory");
	return SPOOL_E_NOMEM;
}

/* spool_ids_free - release */
void spool_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* read_whole - a file of the spool into a malloc'd NUL-terminated buffer */
static enum spool_status read_whole(struct spool *s, const char *name, size_t max, char **out,
				    size_t *len, bool missing_ok, char *why, size_t whylen)
{
	int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		if (missing_ok && errno == ENOENT)
			return SPOOL_OK;
		return io_error(why, whylen, "cannot open", s->dir, name);
	}
	if (fstat(fd, &st) != 0 || (size_t)st.st_size > max) {
		close(fd);
		snprintf(why, whylen, "%s/%s: larger than %zu octets", s->dir, name, max);
		return SPOOL_E_LIMIT;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return SPOOL_E_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return SPOOL_OK;
}

struct rcpt_index {
	const char *addr;
	size_t i;
};

/* cmp_index - qsort/bsearch on addresses */
static int cmp_index(const void *a, const void *b)
{
	return strcmp(((const struct rcpt_index *)a)->addr, ((const struct rcpt_index *)b)->addr);
}

/* parse_job - the .job text into *J */
static enum spool_status parse_job(char *text, struct spool_job *j, const char *name,
				   char *why, size_t whylen)
{
	char *save = NULL, *line;
	size_t cap = 0;
	bool ended = false, first = true;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');
		char **slot = NULL;
		if (first) {
			if (strcmp(line, JOB_MAGIC) != 0)
				goto bad;
			first = false;
			continue;
		}
		if (strcmp(line, "end") == 0) {
			ended = true;
			break;
		}
		if (v == NULL || strlen(line) > MAX_LINE)
			goto bad;
		*v++ = '\0';
		if (strcmp(line, "list") == 0)
			slot = &j->list;
		else if (strcmp(line, "poster") == 0)
			slot = &j->poster;
		else if (strcmp(line, "qid") == 0)
			slot = &j->qid;
		else if (strcmp(line, "role") == 0)
			slot = &j->role;
		else if (strcmp(line, "verp") == 0)
			slot = &j->verp;
		else if (strcmp(line, "requiretls") == 0)
			j->requiretls = strcmp(v, "1") == 0;
		else if (strcmp(line, "rcpt") == 0) {
			if (j->n_rcpts == SPOOL_MAX_RCPTS || *v == '\0')
				goto bad;
			if (j->n_rcpts == cap) {
				size_t nc = cap ? cap * 2 : 64;
				char **nv = realloc(j->rcpts, nc * sizeof(*nv));
				if (nv == NULL)
					goto nomem;
				j->rcpts = nv;
				cap = nc;
			}
			if ((j->rcpts[j->n_rcpts] = strdup(v)) == NULL)
				goto nomem;
			j->n_rcpts++;
		} else
			goto bad;
		if (slot != NULL) {
			if (*slot != NULL || (*slot = strdup(v)) == NULL)
				goto bad;
		}
	}
	if (!ended || j->list == NULL || j->n_rcpts == 0)
		goto bad;
	if (j->poster == NULL && (j->poster = strdup("")) == NULL)
		goto nomem;
	if (j->qid == NULL && (j->qid = strdup("")) == NULL)
		goto nomem;
	return SPOOL_OK;
bad:
	snprintf(why, whylen, "%s: not a complete job file", name);
	return SPOOL_E_CORRUPT;
nomem:
	snprintf(why, whylen, "out of memory");
	return SPOOL_E_NOMEM;
}

/* apply_done - mark the subscribers listed in the .done text */
static enum spool_status apply_done(char *text, size_t len, struct spool_job *j, char *why,
				    size_t whylen)
{
	struct rcpt_index *ix = malloc((j->n_rcpts ? j->n_rcpts : 1) * sizeof(*ix));
	char *p = text, *end = text + len;

	if (ix == NULL) {
		snprintf(why, whylen, "out of memory");
		return SPOOL_E_NOMEM;
	}
	for (size_t i = 0; i < j->n_rcpts; i++) {
		ix[i].addr = j->rcpts[i];
		ix[i].i = i;
	}
	qsort(ix, j->n_rcpts, sizeof(*ix), cmp_index);
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *addr, *sp;
		struct rcpt_index key, *hit;
		if (nl == NULL)		/* a torn last line: not recorded */
			break;
		*nl = '\0';
		bool sent = strncmp(p, "ok ", 3) == 0;
		if (sent)
			addr = p + 3;
		else if (strncmp(p, "fail ", 5) == 0)
			addr = p + 5;
		else
			addr = NULL;
		if (addr != NULL) {
			if ((sp = strchr(addr, ' ')) != NULL)
				*sp = '\0';
			key.addr = addr;
			hit = bsearch(&key, ix, j->n_rcpts, sizeof(*ix), cmp_index);
			/* duplicates of one address: mark the first one still open */
			while (hit && hit > ix && strcmp(hit[-1].addr, addr) == 0)
				hit--;
			while (hit && hit < ix + j->n_rcpts && strcmp(hit->addr, addr) == 0 &&
			       j->done[hit->i])
				hit++;
			if (hit && hit < ix + j->n_rcpts && strcmp(hit->addr, addr) == 0) {
				j->done[hit->i] = true;
				j->n_done++;
				j->n_sent += sent;
			}
		}
		p = nl + 1;
	}
	free(ix);
	return SPOOL_OK;
}

/* spool_load - read a job back */
enum spool_status spool_load(struct spool *s, const char *id, struct spool_job *j, char *why,
			     size_t whylen)
{
	char name[SPOOL_ID_LEN + 8];
	char *text = NULL;
	size_t len;
	enum spool_status st;

	memset(j, 0, sizeof(*j));
	j->done_fd = -1;
	if (!valid_id(id, strlen(id))) {
		snprintf(why, whylen, "\"%s\" is not a job id", id);
		return SPOOL_E_CORRUPT;
	}
	snprintf(j->id, sizeof(j->id), "%s", id);
	/* the first 12 hex digits are the commit time (spool_commit) */
	for (size_t i = 0; i < 12; i++)
		j->queued = j->queued * 16 +
			    (isdigit((unsigned char)id[i]) ? id[i] - '0' : (id[i] | 0x20) - 'a' + 10);
	snprintf(name, sizeof(name), "%s.job", id);
	st = read_whole(s, name, 256u << 20, &text, &len, false, why, whylen);
	if (st == SPOOL_OK)
		st = parse_job(text, j, name, why, whylen);
	free(text);
	text = NULL;
	if (st == SPOOL_OK && (j->done = calloc(j->n_rcpts, sizeof(*j->done))) == NULL) {
		snprintf(why, whylen, "out of memory");
		st = SPOOL_E_NOMEM;
	}
	snprintf(name, sizeof(name), "%s.done", id);
	if (st == SPOOL_OK)
		st = read_whole(s, name, 512u << 20, &text, &len, true, why, whylen);
	if (st == SPOOL_OK && text != NULL)
		st = apply_done(text, len, j, why, whylen);
	free(text);
	snprintf(name, sizeof(name), "%s.post", id);
	if (st == SPOOL_OK) {
		char *post;
		st = read_whole(s, name, SPOOL_MAX_POST, &post, &j->post_len, false, why, whylen);
		j->post = (uint8_t *)post;
	}
	if (st != SPOOL_OK)
		spool_job_clear(j);
	return st;
}

/* spool_mark - append one done line */
enum spool_status spool_mark(struct spool *s, struct spool_job *j, size_t i, bool ok,
			     const char *reason, char *why, size_t whylen)
{
	char line[MAX_LINE + 64];
	int n;

	if (i >= j->n_rcpts || j->done == NULL) {
		snprintf(why, whylen, "no subscriber %zu in job %s", i, j->id);
		return SPOOL_E_LIMIT;
	}
	if (j->done[i])
		return SPOOL_OK;
	if (j->done_fd < 0) {
		char name[SPOOL_ID_LEN + 8];
		snprintf(name, sizeof(name), "%s.done", j->id);
		j->done_fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (j->done_fd < 0)
			return io_error(why, whylen, "cannot open", s->dir, name);
	}
	n = ok ? snprintf(line, sizeof(line), "ok %s\n", j->rcpts[i])
	       : snprintf(line, sizeof(line), "fail %s %.200s\n", j->rcpts[i],
			  reason ? reason : "failed");
	if (n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(why, whylen, "subscriber address too long");
		return SPOOL_E_LIMIT;
	}
	for (int k = ok ? 3 : 5 + (int)strlen(j->rcpts[i]) + 1; k < n - 1; k++)
		if ((unsigned char)line[k] < ' ')
			line[k] = ' ';
	/* one write: after a kill -9 the line is whole or absent */
	if (write(j->done_fd, line, (size_t)n) != n)
		return io_error(why, whylen, "cannot append to", s->dir, j->id);
	j->done[i] = true;
	j->n_done++;
	j->n_sent += ok;
	if (++j->unsynced >= SPOOL_SYNC_EVERY)
		return spool_sync(j, why, whylen);
	return SPOOL_OK;
}

/* spool_sync - flush the done file */
enum spool_status spool_sync(struct spool_job *j, char *why, size_t whylen)
{
	if (j->done_fd >= 0 && fdatasync(j->done_fd) != 0) {
		snprintf(why, whylen, "fdatasync %s.done: %s", j->id, strerror(errno));
		return SPOOL_E_IO;
	}
	j->unsynced = 0;
	return SPOOL_OK;
}

/* spool_finish - remove the job: the .job first (a crash after it leaves only orphans that
 * spool_pending removes) */
enum spool_status spool_finish(struct spool *s, struct spool_job *j, char *why, size_t whylen)
{
	char name[SPOOL_ID_LEN + 8];
	if (j->n_done < j->n_rcpts) {
		snprintf(why, whylen, "job %s has %zu of %zu subscribers open", j->id,
			 j->n_rcpts - j->n_done, j->n_rcpts);
		return SPOOL_E_LIMIT;
	}
	snprintf(name, sizeof(name), "%s.job", j->id);
	if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
		return io_error(why, whylen, "cannot remove", s->dir, name);
	snprintf(name, sizeof(name), "%s.done", j->id);
	unlinkat(s->dirfd, name, 0);
	snprintf(name, sizeof(name), "%s.post", j->id);
	unlinkat(s->dirfd, name, 0);
	fsync(s->dirfd);
	return SPOOL_OK;
}

/* spool_job_clear - release */
void spool_job_clear(struct spool_job *j)
{
	if (j->done_fd >= 0)
		close(j->done_fd);
	free(j->list);
	free(j->poster);
	free(j->qid);
	free(j->role);
	free(j->verp);
	for (size_t i = 0; i < j->n_rcpts; i++)
		free(j->rcpts[i]);
	free(j->rcpts);
	free(j->done);
	free(j->post);
	memset(j, 0, sizeof(*j));
	j->done_fd = -1;
}
