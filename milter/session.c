/*
 * milter/session.c - per-connection and per-message records.
 * Contract: see session.h.
 */
#include "build-config.h"
#include "session.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* connection records alive now, and the most alive at once since the last trim (libmilter
 * threads create and free them concurrently; atomics, no lock) */
static atomic_size_t live_conns, peak_conns;
#define TRIM_AFTER_BURST 32	/* a burst this large is worth handing its memory back */

/* session_tune_allocator - glibc keeps one arena per thread up to 8 per CPU, and three of its
 * defaults keep a burst's memory resident in them for good after every connection is gone,
 * even across malloc_trim (which releases free chunks inside an arena but never shrinks a
 * thread arena's top):
 *  - fastbins: small chunks freed, notably each thread's tcache flushed at thread exit, are
 *    merged into the arena's top later by malloc_consolidate, which never trims; without
 *    fastbins every free coalesces at once and trims a top that is large enough (the tcache
 *    keeps small allocations fast);
 *  - the dynamic trim threshold: freeing one large mmapped block (a list post of a few MB)
 *    raises every arena's trim threshold to twice its size; a fixed 128 KB keeps it low
 *    (and blocks of 128 KB and more then always come from mmap and go back on free);
 *  - the top pad: 128 KB kept past each arena's top, resident, times 16 arenas.
 * Measured with bench/load.sh (three rounds of 200 connections): RSS after the rounds went
 * from 10-12 MB to 8 MB against 7.5 MB after the warm-up, throughput unchanged. */
const char *session_tune_allocator(void)
{
#ifdef __GLIBC__
	const char *t = getenv("GLIBC_TUNABLES");
	if (t != NULL && strstr(t, "glibc.malloc.") != NULL)
		return "left as GLIBC_TUNABLES sets it";
	/* each setting on its own: one refused (a sanitizer's allocator refuses them all) does
	 * not keep the others from applying */
	int n = (mallopt(M_MXFAST, 0) == 1) + (mallopt(M_TRIM_THRESHOLD, 128 * 1024) == 1) +
		(mallopt(M_TOP_PAD, 0) == 1);
	return n == 3 ? "fastbins off, trim threshold 128 KB, top pad 0"
	       : n == 0 ? "settings refused, left as it is" : "some settings refused";
#else
	return "not glibc, left as it is";
#endif
}

/* session_conn_new - allocate */
struct pw_conn *session_conn_new(void)
{
	struct pw_conn *c = calloc(1, sizeof(struct pw_conn));
	if (c != NULL) {
		size_t now = atomic_fetch_add(&live_conns, 1) + 1;
		size_t peak = atomic_load(&peak_conns);
		while (now > peak && !atomic_compare_exchange_weak(&peak_conns, &peak, now))
			;
	}
	return c;
}

/* session_msg_end - free the message */
void session_msg_end(struct pw_conn *c)
{
	struct pw_msg *m = c ? c->msg : NULL;
	if (m == NULL)
		return;
	snapshot_release(m->snap);
	dkim_free(m->dkim);
	free(m->sender);
	free(m->sender_domain);
	for (size_t i = 0; i < m->n_args; i++)
		free(m->args[i]);
	free(m->auth_user);
	for (size_t i = 0; i < m->n_rcpt_domains; i++)
		free(m->rcpt_domains[i]);
	free(m->rcpt_domains);
	free(m->field_name);
	free(m->from_value);
	free(m->spf_domain);
	free(m->spf_temp_domain);
	free(m->ar_ours);
	lists_msg_clear(&m->lists);
	free(m);
	c->msg = NULL;
}

/* session_conn_free - free everything */
void session_conn_free(struct pw_conn *c)
{
	if (c == NULL)
		return;
	session_msg_end(c);
	free(c);
	/* the last connection gone: hand the memory of a burst back to the system.  glibc keeps
	 * free chunks inside its per-thread arenas resident (without this trim, rounds of 500
	 * connections left 17-19 MB against 7 MB at rest, bench/load.sh); trimming costs a walk over the
	 * arenas, so only when idle after a burst, not after every connection of a quiet server */
	if (atomic_fetch_sub(&live_conns, 1) == 1 &&
	    atomic_exchange(&peak_conns, 0) >= TRIM_AFTER_BURST) {
#ifdef __GLIBC__
		malloc_trim(0);
#endif
	}
}

/* session_msg_begin - new message */
struct pw_msg *session_msg_begin(struct pw_conn *c, struct pw_snapshot *snap)
{
	session_msg_end(c);
	c->msg = calloc(1, sizeof(struct pw_msg));
	if (c->msg == NULL) {
		snapshot_release(snap);
		return NULL;
	}
	c->msg->snap = snap;
	return c->msg;
}

/* session_set_qid - keep a real queue id */
void session_set_qid(struct pw_msg *m, const char *value)
{
	if (m == NULL || value == NULL || *value == '\0' || strcmp(value, "NOQUEUE") == 0)
		return;
	size_t n = strlen(value);
	if (n >= sizeof(m->qid))
		n = sizeof(m->qid) - 1;
	memcpy(m->qid, value, n);
	m->qid[n] = '\0';
}

/* session_add_rcpt_domain - unique insert */
bool session_add_rcpt_domain(struct pw_msg *m, const char *domain)
{
	for (size_t i = 0; i < m->n_rcpt_domains; i++)
		if (strcmp(m->rcpt_domains[i], domain) == 0)
			return true;
	if (m->n_rcpt_domains >= SESSION_MAX_RCPT_DOMAINS)
		return false;
	if ((m->n_rcpt_domains & (m->n_rcpt_domains - 1)) == 0) {
		size_t ncap = m->n_rcpt_domains ? m->n_rcpt_domains * 2 : 4;
		char **nv = realloc(m->rcpt_domains, ncap * sizeof(*nv));
		if (nv == NULL)
			return false;
		m->rcpt_domains = nv;
	}
	if ((m->rcpt_domains[m->n_rcpt_domains] = strdup(domain)) == NULL)
		return false;
	m->n_rcpt_domains++;
	return true;
}

/* session_facts - borrow everything into a facts record */
void session_facts(const struct pw_conn *c, const struct pw_msg *m, struct rtls_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->param = m->margs.requiretls;
	f->ret = m->margs.ret;
	f->n_fields = m->n_fields;
	f->value = m->value;
	f->field_name = m->field_name;
	f->sender_domain = m->sender_domain;
	f->auth_user = m->auth_user;
	f->client = c->client.family ? &c->client : NULL;
	f->rcpt_domains = (const char *const *)m->rcpt_domains;
	f->n_rcpts = m->n_rcpt_domains;
}
