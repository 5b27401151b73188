/*
 * milter/lists/roster-build.c - a list's roster made with GnuPG and saved crash-safely.
 * Contract: see roster-build.h; the keyring itself is roster.c's.
 */
#include "build-config.h"
#include "roster-build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* export_fprs - the list's and the subscribers' fingerprints for pgp_export_certs (malloc'd
 * array of N + 1 pointers into LIST_FPR and SUBS) */
static const char **export_fprs(const char *list_fpr, const struct roster_sub *subs, size_t n)
{
	const char **f = calloc(n + 2, sizeof *f);

	if (f == NULL)
		return NULL;
	f[0] = list_fpr;
	for (size_t i = 0; i < n; i++)
		f[i + 1] = subs[i].fpr;
	return f;
}

/* roster_build - export, assemble, armor, sign */
enum pgp_status roster_build(const char *list_addr, const char *list_fpr,
			     const struct roster_sub *subs, size_t n, bool hide,
			     struct roster_files *out, char *why, size_t whylen)
{
	const char **fprs = NULL, *domain = list_addr ? strrchr(list_addr, '@') : NULL;
	uint8_t *exported = NULL, *ring = NULL;
	size_t elen = 0, rlen = 0;
	enum pgp_status st;
	enum opgp_status os;
	char names[4][300], count[32];
	struct pgp_notation notes[4];

	memset(out, 0, sizeof *out);
	if (domain == NULL || domain[1] == '\0' || strlen(domain) > 250) {
		snprintf(why, whylen, "list address %s has no domain", list_addr ? list_addr : "?");
		return PGP_E_FORMAT;
	}
	if (n > ROSTER_MAX_MEMBERS) {
		snprintf(why, whylen, "%zu subscribers, more than %d", n, ROSTER_MAX_MEMBERS);
		return PGP_E_FORMAT;
	}
	if ((fprs = export_fprs(list_fpr, subs, n)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return PGP_E_NOMEM;
	}
	st = pgp_export_certs(fprs, n + 1, &exported, &elen, why, whylen);
	free(fprs);
	if (st != PGP_OK)
		return st;
	os = roster_assemble(exported, elen, list_fpr, subs, n, hide, &ring, &rlen, &out->stats,
			     why, whylen);
	free(exported);
	if (os == OPGP_OK)
		os = opgp_armor_label(ring, rlen, ROSTER_ARMOR_LABEL, &out->keys, &out->keys_len);
	free(ring);
	if (os != OPGP_OK) {
		if (os == OPGP_E_NOMEM)
			snprintf(why, whylen, "out of memory");
		roster_files_clear(out);
		return os == OPGP_E_NOMEM ? PGP_E_NOMEM : PGP_E_FORMAT;
	}
	snprintf(count, sizeof count, "%zu", out->stats.certs);
	snprintf(names[0], sizeof names[0], "postward-roster-list%s", domain);
	snprintf(names[1], sizeof names[1], "postward-roster-version%s", domain);
	snprintf(names[2], sizeof names[2], "postward-roster-keys%s", domain);
	snprintf(names[3], sizeof names[3], "postward-roster-hidden%s", domain);
	notes[0] = (struct pgp_notation){ names[0], list_addr };
	notes[1] = (struct pgp_notation){ names[1], ROSTER_FORMAT_VERSION };
	notes[2] = (struct pgp_notation){ names[2], count };
	notes[3] = (struct pgp_notation){ names[3], hide ? "yes" : "no" };
	st = pgp_sign_text(list_fpr, out->keys, out->keys_len, notes, 4, &out->sig,
			   &out->sig_len, why, whylen);
	if (st != PGP_OK)
		roster_files_clear(out);
	return st;
}

/* write_file - DIR/NAME as BUF (LEN octets): temporary file, fsync, rename */
static bool write_file(const char *dir, const char *name, const char *buf, size_t len,
		       char *why, size_t whylen)
{
	char path[4096], tmp[4096];
	int fd;
	bool ok = true;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof tmp) {
		snprintf(why, whylen, "path %s/%s too long", dir, name);
		return false;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(why, whylen, "cannot create a file in %s: %s", dir, strerror(errno));
		return false;
	}
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		if (ok)
			off += (size_t)w;
	}
	ok = ok && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

/* roster_save - the keyring, then its signature, then the directory synced */
bool roster_save(const char *dir, const char *name, const struct roster_files *f, char *why,
		 size_t whylen)
{
	char keys[1024], sig[1024];
	int fd;
	bool ok;

	if ((size_t)snprintf(keys, sizeof keys, "%s%s", name, ROSTER_KEYS_SUFFIX) >= sizeof keys ||
	    (size_t)snprintf(sig, sizeof sig, "%s%s", name, ROSTER_SIG_SUFFIX) >= sizeof sig) {
		snprintf(why, whylen, "list name %s too long", name);
		return false;
	}
	if (!write_file(dir, keys, f->keys, f->keys_len, why, whylen) ||
	    !write_file(dir, sig, f->sig, f->sig_len, why, whylen))
		return false;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok = fd >= 0 && fsync(fd) == 0;
	if (!ok)
		snprintf(why, whylen, "cannot sync %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* roster_files_clear - free and zero */
void roster_files_clear(struct roster_files *f)
{
	char *keys = f->keys, *sig = f->sig;

	memset(f, 0, sizeof *f);
	free(keys);
	free(sig);
}
