/*
 * milter/lists/rosterlist.c - a list's published roster kept current, and the roster verdict on
 * a post.  Contract: see rosterlist.h.
 */
#include "build-config.h"
#include "rosterlist.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "openpgp.h"
#include "pgp.h"
#include "ledger.h"

static pthread_mutex_t roster_lock = PTHREAD_MUTEX_INITIALIZER;	/* leaf: the roster files */

/* mtime_of - PATH's modification time (0 when it cannot be read) */
static time_t mtime_of(const char *path)
{
	struct stat st;
	return path != NULL && stat(path, &st) == 0 ? st.st_mtime : 0;
}

/* read_all - PATH's content (at most 64 MiB, NUL-terminated) into *OUT; false if not */
static bool read_all(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;
	bool ok = false;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return false;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= (64L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (*out = malloc((size_t)n + 1)) != NULL) {
		ok = fread(*out, 1, (size_t)n, f) == (size_t)n;
		(*out)[ok ? n : 0] = '\0';
		*len = ok ? (size_t)n : 0;
	}
	fclose(f);
	if (!ok) {
		free(*out);
		*out = NULL;
	}
	return ok;
}

/* rebuild - a new roster for L into *OUT: the subscribers whose keys gpg can use now */
static bool rebuild(const struct pw_list *l, struct roster_files *out, char *why, size_t whylen)
{
	const char **fprs = calloc(l->n_subs + 1, sizeof(*fprs));
	struct pgp_key *keys = calloc(l->n_subs + 1, sizeof(*keys));
	struct roster_sub *subs = calloc(l->n_subs + 1, sizeof(*subs));
	size_t *idx = calloc(l->n_subs + 1, sizeof(*idx)), nk = 0, ns = 0;
	bool ok = false;

	if (fprs == NULL || keys == NULL || subs == NULL || idx == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n_subs; i++)
		if (l->subs[i].fpr[0]) {
			idx[nk] = i;
			fprs[nk++] = l->subs[i].fpr;
		}
	if (nk > 0 && pgp_keys(fprs, nk, keys, NULL, why, whylen) != PGP_OK)
		goto out;
	for (size_t k = 0; k < nk; k++)
		if (keys[k].state == PGP_KEY_OK)
			subs[ns++] = (struct roster_sub){ .fpr = fprs[k],
							  .addr = l->subs[idx[k]].addr };
	ok = roster_build(l->address, l->openpgp_fpr, subs, ns, !l->roster_show_addresses, out,
			  why, whylen) == PGP_OK;
	if (ok)
		pwlog(LOG_INFO, "list %s: roster rebuilt: %zu of %zu subscriber key(s)%s",
		      l->address, out->stats.certs, l->n_subs,
		      l->roster_show_addresses ? "" : ", addresses hidden");
out:
	for (size_t k = 0; keys != NULL && k < nk; k++)
		pgp_key_clear(&keys[k]);
	free(fprs);
	free(keys);
	free(subs);
	free(idx);
	return ok;
}

/* publish - a copy of F at the list file's roster_file (FILE and FILE.sig), each written
 * beside its place and renamed, so that a reader sees the old or the new file; logged if not */
static void publish(const struct pw_list *l, const struct roster_files *f)
{
	char sig[4096], tmp[4200];

	snprintf(sig, sizeof(sig), "%s.sig", l->roster_file);
	for (int i = 0; i < 2; i++) {
		const char *path = i ? sig : l->roster_file;
		const char *data = i ? f->sig : f->keys;
		size_t len = i ? f->sig_len : f->keys_len;
		int fd;
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		bool ok;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		ok = fd >= 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
		if (fd >= 0 && close(fd) != 0)
			ok = false;
		if (!ok || rename(tmp, path) != 0) {
			int e = errno;
			unlink(tmp);
			pwlog(LOG_ERR, "list %s: cannot publish the roster as %s: %s", l->address,
			      path, strerror(e));
			return;
		}
	}
}

/* rosterlist_current - see rosterlist.h */
bool rosterlist_current(const char *spool, const char *home, const struct pw_list *l,
			struct roster_files *out, char *why, size_t whylen)
{
	struct ledger_file sf;
	char keys[4200], sig[4200], ring[4200], ring2[4200], *name;
	time_t have, need;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (l->openpgp_fpr[0] == '\0') {
		snprintf(why, whylen, "the list has no OpenPGP key");
		return false;
	}
	if (!ledger_open(spool, "roster", l->address, &sf, why, whylen))
		return false;
	name = strrchr(sf.path, '/') + 1;
	snprintf(keys, sizeof(keys), "%s%s", sf.path, ROSTER_KEYS_SUFFIX);
	snprintf(sig, sizeof(sig), "%s%s", sf.path, ROSTER_SIG_SUFFIX);
	snprintf(ring, sizeof(ring), "%s/pubring.kbx", home);
	snprintf(ring2, sizeof(ring2), "%s/pubring.gpg", home);
	pthread_mutex_lock(&roster_lock);
	have = mtime_of(keys);
	need = mtime_of(l->file);
	if (l->managed_file && mtime_of(l->managed_file) > need)
		need = mtime_of(l->managed_file);
	if (mtime_of(ring) > need)
		need = mtime_of(ring);
	if (mtime_of(ring2) > need)
		need = mtime_of(ring2);
	/* equal times rebuild too: a change within the same second as the last build */
	if (have > need && mtime_of(sig) >= have && read_all(keys, &out->keys, &out->keys_len) &&
	    read_all(sig, &out->sig, &out->sig_len)) {
		ok = true;
	} else {
		roster_files_clear(out);
		ok = rebuild(l, out, why, whylen) && roster_save(sf.dir, name, out, why, whylen);
		if (ok && l->roster_file != NULL)
			publish(l, out);
		if (!ok)
			roster_files_clear(out);
	}
	pthread_mutex_unlock(&roster_lock);
	ledger_close(&sf);
	return ok;
}

/* rosterlist_judge - see rosterlist.h */
bool rosterlist_judge(const char *spool, const char *home, const struct pw_list *l,
		      const char *const *members, size_t n, const void *payload, size_t len,
		      struct rosterlist_judged *j, char *why, size_t whylen)
{
	struct roster_files f;
	const char **fprs = calloc(n + 1, sizeof(*fprs));
	enum opgp_status st;
	bool ok = false;

	memset(j, 0, sizeof(*j));
	if (fprs == NULL || (j->members = calloc(n + 1, sizeof(*j->members))) == NULL) {
		free(fprs);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pw_list_sub *s = pw_list_find_sub(l, members[i]);
		fprs[i] = s != NULL && s->fpr[0] ? s->fpr : "";
		j->members[i] = i;
	}
	if (!rosterlist_current(spool, home, l, &f, why, whylen))
		goto out;
	st = roster_index_build((const uint8_t *)f.keys, f.keys_len, l->openpgp_fpr, fprs, n,
				&j->ix, why, whylen);
	roster_files_clear(&f);
	if (st != OPGP_OK)
		goto out;
	ok = roster_post_check(payload, len, &j->ix, &j->rp, why, whylen) == OPGP_OK;
out:
	free(fprs);
	if (!ok)
		rosterlist_judged_clear(j);
	return ok;
}

/* rosterlist_judged_clear - release */
void rosterlist_judged_clear(struct rosterlist_judged *j)
{
	roster_post_clear(&j->rp);
	roster_index_clear(&j->ix);
	free(j->members);
	memset(j, 0, sizeof(*j));
}
