/*
 * bench/ub-config-lock.c - LD_PRELOAD shim for bench/dkim-verify.sh: serialise libunbound's
 * ub_ctx_config() across the whole OpenDKIM process.
 *
 * Why: Debian's OpenDKIM 2.11 (built with _FFR_VBR and USE_UNBOUND) makes a new libunbound
 * context for its VBR handle at every message and hands it the ResolverConfiguration file
 * (ub_ctx_create, then vbr_dns_config -> ub_ctx_config, from the milter thread).  Its own lock
 * (ub_config_lock) is per context, but libunbound's configuration parser is a non-reentrant
 * flex scanner with global state: two messages at once make OpenDKIM misread the file
 * ("unknown keyword", key lookups then fail) or die ("fatal flex scanner internal error",
 * SIGSEGV).  With this shim the parses take turns; OpenDKIM still does every one of them.
 *
 * Build and use (dkim-verify.sh does this):
 *   cc -shared -fPIC -O2 -o ub-config-lock.so bench/ub-config-lock.c -ldl -lpthread
 *   LD_PRELOAD=$PWD/ub-config-lock.so opendkim -f -x opendkim.conf
 * The wrapper counts its calls; with UB_CONFIG_LOCK_COUNT=FILE set, the count is written to
 * FILE at exit (how many times OpenDKIM parsed the file).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct ub_ctx;

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;	/* guards the two below */
static int (*real_config)(struct ub_ctx *, const char *);
static unsigned long calls;

/* write_count - at exit, the number of ub_ctx_config() calls into $UB_CONFIG_LOCK_COUNT */
static void write_count(void)
{
	const char *path = getenv("UB_CONFIG_LOCK_COUNT");
	FILE *f;
	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "%lu\n", calls);
	fclose(f);
}

/* ub_ctx_config - libunbound's, one caller at a time */
int ub_ctx_config(struct ub_ctx *ctx, const char *fname)
{
	int rc = -1;

	pthread_mutex_lock(&config_lock);
	if (real_config == NULL) {
		real_config = (int (*)(struct ub_ctx *, const char *))dlsym(RTLD_NEXT,
									    "ub_ctx_config");
		atexit(write_count);
	}
	calls++;
	if (real_config != NULL)
		rc = real_config(ctx, fname);
	pthread_mutex_unlock(&config_lock);
	return rc;
}
