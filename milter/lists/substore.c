/*
 * milter/lists/substore.c - the writer of a list's managed subscriber file NAME.subscribers.
 * Contract, crash safety and locking: see substore.h.  The text is policy's
 * (pw_list_format_managed); this file reads, checks, and puts it on disk.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "substore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* substore_lock - held from reading the files to the rename; a leaf lock */
static pthread_mutex_t substore_lock = PTHREAD_MUTEX_INITIALIZER;

/* substore_result_name - for logs */
const char *substore_result_name(enum substore_result r)
{
	switch (r) {
	case SUBSTORE_OK:
		return "ok";
	case SUBSTORE_NOT_FOUND:
		return "not-found";
	case SUBSTORE_ADMIN_ENTRY:
		return "admin-entry";
	case SUBSTORE_INVALID:
		return "invalid";
	case SUBSTORE_ERROR:
		break;
	}
	return "error";
}

/* slurp - PATH's whole content (NUL-terminated, at most SUBSTORE_MAX_FILE octets) into
 * *TEXT; 0 read, ENOENT missing, another errno on failure */
static int slurp(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t used = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e;

	*text = NULL;
	*len = 0;
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	else if ((size_t)st.st_size > SUBSTORE_MAX_FILE)
		e = EFBIG;
	else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		e = ENOMEM;
	else
		e = 0;
	while (e == 0 && used < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = errno;
		if (n <= 0)
			break;		/* 0: the file shrank meanwhile; take what is there */
		used += (size_t)n;
	}
	if (e != 0) {
		free(buf);
		close(fd);
		return e;
	}
	close(fd);
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

/* replace_file - PATH's content becomes TEXT: a temporary file beside it, fsync, rename,
 * fsync of the directory; false + WHY (the old file is then untouched) */
static bool replace_file(const char *path, const char *text, size_t len, char *why,
			 size_t whylen)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	const char *base = slash ? slash + 1 : path;
	char *tmp, *dir;
	int fd, dfd;
	FILE *f;
	bool ok;

	if ((tmp = malloc(strlen(path) + 10)) == NULL ||
	    (dir = malloc(dirlen + 2)) == NULL) {
		free(tmp);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	sprintf(tmp, "%.*s%s.%s.XXXXXX", (int)dirlen, path, slash ? "/" : "", base);
	if (slash)
		sprintf(dir, "%.*s", (int)(dirlen ? dirlen : 1), dirlen ? path : "/");
	else
		strcpy(dir, ".");
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(why, whylen, "cannot create a temporary file beside %s: %s", path,
			 strerror(errno));
		free(tmp);
		free(dir);
		return false;
	}
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	ok = f != NULL && fchmod(fd, 0640) == 0 && fwrite(text, 1, len, f) == len &&
	     fflush(f) == 0 && fsync(fd) == 0;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (!ok)
		snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(errno));
	if (ok && rename(tmp, path) != 0) {
		snprintf(why, whylen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		ok = false;
	}
	if (!ok) {
		unlink(tmp);
	} else if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0) {
		/* the rename is done; only its durability across a power loss is in doubt */
		snprintf(why, whylen, "%s written, but cannot sync its directory %s: %s", path,
			 dir, strerror(errno));
		ok = false;
		if (dfd >= 0)
			close(dfd);
	} else {
		close(dfd);
	}
	free(tmp);
	free(dir);
	return ok;
}

/* write_locked - format V and replace the managed file at SUB_PATH; the lock is held */
static enum substore_result write_locked(const char *sub_path,
					 const struct pw_list_managed_sub *v, size_t n,
					 char *why, size_t whylen)
{
	size_t len;
	char *text = pw_list_format_managed(v, n, &len, why, whylen);
	bool ok;

	if (text == NULL)
		return strcmp(why, "out of memory") == 0 ? SUBSTORE_ERROR : SUBSTORE_INVALID;
	ok = replace_file(sub_path, text, len, why, whylen);
	free(text);
	return ok ? SUBSTORE_OK : SUBSTORE_ERROR;
}

/* substore_write - replace the managed file whole */
enum substore_result substore_write(const char *listfile, const struct pw_list_managed_sub *v,
				    size_t n, char *why, size_t whylen)
{
	char *sub = pw_list_managed_path(listfile);
	enum substore_result r;

	if (sub == NULL) {
		snprintf(why, whylen, "\"%s\" is not a list file (NAME.list)", listfile);
		return SUBSTORE_ERROR;
	}
	pthread_mutex_lock(&substore_lock);
	r = write_locked(sub, v, n, why, whylen);
	pthread_mutex_unlock(&substore_lock);
	free(sub);
	return r;
}

enum op { OP_ADD, OP_REMOVE, OP_SET_FPR };

/* one update: what it does, and what it finds */
struct update {
	enum op op;
	const struct pw_list_managed_sub *sub;	/* OP_ADD */
	const char *addr;			/* OP_REMOVE, OP_SET_FPR */
	const char *fpr;			/* OP_SET_FPR */
	bool replaced;
};

/* first_error - the first error (not warning) of D, rendered, into BUF */
static const char *first_error(const struct pw_diags *d, char *buf, size_t len)
{
	snprintf(buf, len, "out of memory");
	for (size_t i = 0; i < d->n; i++)
		if (!d->v[i].warning) {
			pw_diag_format(&d->v[i], buf, len);
			break;
		}
	return buf;
}

/* load - parse LISTFILE with the managed file text (SUB_TEXT, SUB_LEN; NULL none) into *LS;
 * false + WHY when it does not load */
static bool load(struct pw_lists *ls, const char *listfile, const char *text, size_t len,
		 const char *sub_path, const char *sub_text, size_t sub_len, char *why,
		 size_t whylen)
{
	struct pw_diags d = { 0 };
	char buf[1024];
	bool ok;

	pw_list_parse_with_subs(ls, listfile, text, len, sub_text ? sub_path : NULL,
				sub_text ? sub_text : "", sub_len, &d);
	ok = ls->n == 1 && pw_diags_errors(&d) == 0 && !d.oom;
	if (!ok)
		snprintf(why, whylen, "%s", first_error(&d, buf, sizeof(buf)));
	pw_diags_free(&d);
	return ok;
}

/* substore_read - LISTFILE's list as its files say now */
enum substore_result substore_read(const char *listfile, struct pw_lists *ls, char *why,
				   size_t whylen)
{
	char *sub = pw_list_managed_path(listfile), *text = NULL, *sub_text = NULL;
	size_t len = 0, sub_len = 0;
	enum substore_result r = SUBSTORE_ERROR;
	int e;

	memset(ls, 0, sizeof(*ls));
	if (sub == NULL) {
		snprintf(why, whylen, "\"%s\" is not a list file (NAME.list)", listfile);
		return SUBSTORE_ERROR;
	}
	pthread_mutex_lock(&substore_lock);
	if ((e = slurp(listfile, &text, &len)) != 0)
		snprintf(why, whylen, "cannot read %s: %s", listfile, strerror(e));
	else if ((e = slurp(sub, &sub_text, &sub_len)) != 0 && e != ENOENT)
		snprintf(why, whylen, "cannot read %s: %s", sub, strerror(e));
	else if (load(ls, listfile, text, len, sub, sub_text, sub_len, why, whylen))
		r = SUBSTORE_OK;
	pthread_mutex_unlock(&substore_lock);
	if (r != SUBSTORE_OK)
		pw_lists_free(ls);
	free(text);
	free(sub_text);
	free(sub);
	return r;
}

/* apply - U on the managed entries V[0..*N-1] (room for one more) of list L */
static enum substore_result apply(struct update *u, const struct pw_list *l,
				  struct pw_list_managed_sub *v, size_t *n, char *why,
				  size_t whylen)
{
	const char *addr = u->op == OP_ADD ? u->sub->addr : u->addr;
	const struct pw_list_sub *s = pw_list_find_sub(l, addr);
	size_t i = 0;

	if (s != NULL && !s->managed) {
		snprintf(why, whylen, "%s is in the list file %s (line %u), which only its "
			 "administrator changes", s->addr, l->file, s->line);
		return SUBSTORE_ADMIN_ENTRY;
	}
	if (s != NULL)
		for (i = 0; i < *n; i++)
			if (strcmp(v[i].addr, s->addr) == 0)
				break;
	if (u->op == OP_ADD) {
		u->replaced = s != NULL;
		v[s != NULL ? i : (*n)++] = *u->sub;
		return SUBSTORE_OK;
	}
	if (s == NULL) {
		snprintf(why, whylen, "%s is not a subscriber of %s", addr, l->address);
		return SUBSTORE_NOT_FOUND;
	}
	if (u->op == OP_REMOVE) {
		memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
		(*n)--;
	} else {
		v[i].fpr = u->fpr;
	}
	return SUBSTORE_OK;
}

/* update - read both files, apply U, check that the list still loads, write */
static enum substore_result update(const char *listfile, struct update *u, char *why,
				   size_t whylen)
{
	struct pw_lists ls = { 0 }, check = { 0 };
	struct pw_list_managed_sub *v = NULL;
	char *sub = pw_list_managed_path(listfile), *text = NULL, *sub_text = NULL, *out = NULL;
	size_t len, sub_len, n = 0, out_len;
	enum substore_result r = SUBSTORE_ERROR;
	const struct pw_list *l;
	int e;

	if (sub == NULL) {
		snprintf(why, whylen, "\"%s\" is not a list file (NAME.list)", listfile);
		return SUBSTORE_ERROR;
	}
	pthread_mutex_lock(&substore_lock);
	if ((e = slurp(listfile, &text, &len)) != 0) {
		snprintf(why, whylen, "cannot read %s: %s", listfile, strerror(e));
		goto out;
	}
	if ((e = slurp(sub, &sub_text, &sub_len)) != 0 && e != ENOENT) {
		snprintf(why, whylen, "cannot read %s: %s", sub, strerror(e));
		goto out;
	}
	if (!load(&ls, listfile, text, len, sub, sub_text, sub_len, why, whylen))
		goto out;		/* the files as they are do not load: change nothing */
	l = &ls.v[0];
	if ((v = calloc(l->n_subs + 1, sizeof(*v))) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n_subs; i++)
		if (l->subs[i].managed)
			v[n++] = (struct pw_list_managed_sub){
				.addr = l->subs[i].addr, .fpr = l->subs[i].fpr,
				.smime_cert = l->subs[i].smime_cert, .admin = l->subs[i].admin };
	if ((r = apply(u, l, v, &n, why, whylen)) != SUBSTORE_OK)
		goto out;
	if ((out = pw_list_format_managed(v, n, &out_len, why, whylen)) == NULL) {
		r = strcmp(why, "out of memory") == 0 ? SUBSTORE_ERROR : SUBSTORE_INVALID;
		goto out;
	}
	/* the list with the new file must load as a reload will load it */
	if (!load(&check, listfile, text, len, sub, out, out_len, why, whylen)) {
		r = SUBSTORE_INVALID;
		goto out;
	}
	r = replace_file(sub, out, out_len, why, whylen) ? SUBSTORE_OK : SUBSTORE_ERROR;
out:
	pthread_mutex_unlock(&substore_lock);
	pw_lists_free(&check);
	pw_lists_free(&ls);
	free(v);
	free(out);
	free(text);
	free(sub_text);
	free(sub);
	return r;
}

/* substore_add - add or replace a managed subscriber */
enum substore_result substore_add(const char *listfile, const struct pw_list_managed_sub *sub,
				  bool *replaced, char *why, size_t whylen)
{
	struct update u = { .op = OP_ADD, .sub = sub };
	enum substore_result r;

	if (sub == NULL || sub->addr == NULL) {
		snprintf(why, whylen, "no subscriber address");
		return SUBSTORE_INVALID;
	}
	r = update(listfile, &u, why, whylen);
	if (replaced != NULL)
		*replaced = u.replaced;
	return r;
}

/* substore_remove - remove a managed subscriber */
enum substore_result substore_remove(const char *listfile, const char *addr, char *why,
				     size_t whylen)
{
	struct update u = { .op = OP_REMOVE, .addr = addr };

	if (addr == NULL) {
		snprintf(why, whylen, "no subscriber address");
		return SUBSTORE_INVALID;
	}
	return update(listfile, &u, why, whylen);
}

/* substore_set_fpr - a managed subscriber's OpenPGP fingerprint */
enum substore_result substore_set_fpr(const char *listfile, const char *addr, const char *fpr,
				      char *why, size_t whylen)
{
	struct update u = { .op = OP_SET_FPR, .addr = addr, .fpr = fpr };

	if (addr == NULL) {
		snprintf(why, whylen, "no subscriber address");
		return SUBSTORE_INVALID;
	}
	return update(listfile, &u, why, whylen);
}
