/*
 * milter/lists/keyrefresh.c - refresh passes over the lists' subscriber keys, expiry warnings
 * through the notice ledger, the scheduler thread and `postward -K`.
 * Contract: see keyrefresh.h.
 */
#include "build-config.h"
#include "keyrefresh.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gpgme.h>

#include "config.h"
#include "listfile.h"
#include "log.h"
#include "notices.h"
#include "smtp.h"

#define TOKEN_KIND "expiring:"
#define DAY 86400

/* keyrefresh_sources_parse - words to sources */
bool keyrefresh_sources_parse(const char *const *words, size_t n, struct keyrefresh_sources *out,
			      char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		enum keyfetch_source s;

		if (strcasecmp(words[i], "wkd") == 0)
			s = KEYFETCH_WKD;
		else if (strcasecmp(words[i], "vks") == 0)
			s = KEYFETCH_VKS;
		else {
			snprintf(why, whylen, "unknown key source \"%s\" (expected wkd or vks)",
				 words[i]);
			return false;
		}
		for (size_t j = 0; j < out->n; j++)
			if (out->v[j] == s) {
				snprintf(why, whylen, "key source \"%s\" named twice", words[i]);
				return false;
			}
		out->v[out->n++] = s;
	}
	return true;
}

/* ---- the expiry check ------------------------------------------------------------------ */

/* what the home says about one key */
struct keystate {
	char fpr[41];
	bool usable;			/* not revoked/expired/disabled/invalid, and one usable
					 * encryption key */
	time_t expires;			/* min(primary, best encryption key); 0: never */
};

/* cmp_state - order by fingerprint */
static int cmp_state(const void *a, const void *b)
{
	return strcasecmp(((const struct keystate *)a)->fpr, ((const struct keystate *)b)->fpr);
}

/* later - the later of two expiry times, 0 meaning never */
static time_t later(time_t a, time_t b)
{
	return a == 0 || b == 0 ? 0 : a > b ? a : b;
}

/* sooner - the sooner of two expiry times, 0 meaning never */
static time_t sooner(time_t a, time_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* key_state - the usable expiry of KEY */
static void key_state(gpgme_key_t key, struct keystate *s)
{
	gpgme_subkey_t p = key->subkeys, k;
	bool enc = false;
	time_t best = 0;

	memset(s, 0, sizeof *s);
	if (p == NULL || p->fpr == NULL)
		return;
	snprintf(s->fpr, sizeof s->fpr, "%s", p->fpr);
	if (key->revoked || key->expired || key->disabled || key->invalid)
		return;
	for (k = p; k != NULL; k = k->next) {
		if (!k->can_encrypt || k->revoked || k->expired || k->disabled || k->invalid)
			continue;
		best = enc ? later(best, (time_t)k->expires) : (time_t)k->expires;
		enc = true;
	}
	if (!enc)
		return;
	s->usable = true;
	s->expires = sooner((time_t)p->expires, best);
}

/* list_home - every key of the home, sorted by fingerprint, in *OUT (malloc'd) */
static bool list_home(const char *home, struct keystate **out, size_t *n, char *why,
		      size_t whylen)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t err;
	gpgme_key_t key;
	struct keystate *v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if ((err = gpgme_new(&ctx)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home)) != 0 ||
	    (err = gpgme_op_keylist_start(ctx, NULL, 0)) != 0) {
		snprintf(why, whylen, "gpg key listing: %s", gpgme_strerror(err));
		gpgme_release(ctx);
		return false;
	}
	while ((err = gpgme_op_keylist_next(ctx, &key)) == 0) {
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct keystate *nv = realloc(v, nc * sizeof *v);

			if (nv == NULL) {
				gpgme_key_unref(key);
				err = gpg_error(GPG_ERR_ENOMEM);
				break;
			}
			v = nv;
			cap = nc;
		}
		key_state(key, &v[*n]);
		gpgme_key_unref(key);
		if (v[*n].fpr[0] != '\0')
			(*n)++;
	}
	gpgme_op_keylist_end(ctx);
	gpgme_release(ctx);
	if (gpgme_err_code(err) != GPG_ERR_EOF) {
		snprintf(why, whylen, "gpg key listing: %s", gpgme_strerror(err));
		free(v);
		*n = 0;
		return false;
	}
	if (*n > 1)
		qsort(v, *n, sizeof *v, cmp_state);
	*out = v;
	return true;
}

/* keyrefresh_warning_text - subject and body of a warning */
void keyrefresh_warning_text(const struct keyrefresh_warning *w, char *subject, size_t slen,
			     char *body, size_t blen)
{
	char date[32];
	struct tm tm;

	gmtime_r(&w->expires, &tm);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(subject, slen, "[%s] your key expires %s", w->list->address,
		 w->days_left == 0 ? "within a day" : w->days_left == 1 ? "in a day" : "soon");
	snprintf(body, blen,
		 "Your OpenPGP key for the encrypted list %s\r\n\r\n    %s\r\n\r\n"
		 "expires on %s (in %u day%s).  After that the list cannot encrypt\r\n"
		 "posts for you and you get no copies.\r\n\r\n"
		 "Please extend the expiry date of your key (or of its encryption subkey) and\r\n"
		 "publish it where the list looks for it (your provider's Web Key Directory or\r\n"
		 "a keyserver), or send the renewed key to the list owner, %s.\r\n\r\n"
		 "This notice is sent once for this expiry date.\r\n",
		 w->list->address, w->fpr, date, w->days_left, w->days_left == 1 ? "" : "s",
		 w->list->owner != NULL ? w->list->owner : w->list->address);
}

/* ledger_name - LIST + KEYREFRESH_LEDGER_SUFFIX */
static char *ledger_name(const char *list)
{
	size_t a = strlen(list), b = strlen(KEYREFRESH_LEDGER_SUFFIX);
	char *s = malloc(a + b + 1);

	if (s != NULL) {
		memcpy(s, list, a);
		memcpy(s + a, KEYREFRESH_LEDGER_SUFFIX, b + 1);
	}
	return s;
}

/* check_expiry - the warning phase of a pass over ITEMS (N) with the home's key states */
static void check_expiry(const struct keyrefresh_params *p, const struct keyrefresh_list *l,
			 const struct keyrefresh_item *items, size_t n,
			 struct keyrefresh_outcome *out, time_t now)
{
	struct keystate *ks = NULL;
	size_t nks = 0;
	struct notices led;
	bool have = false;
	char why[400], *name = NULL;

	if (!list_home(p->fetch->gnupg_home, &ks, &nks, why, sizeof why)) {
		pwlog(LOG_WARNING, "list %s: key refresh: no expiry check: %s", l->address, why);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct keystate want, *s;

		snprintf(want.fpr, sizeof want.fpr, "%s", items[i].fpr);
		s = nks ? bsearch(&want, ks, nks, sizeof *ks, cmp_state) : NULL;
		if (s == NULL || !s->usable)
			continue;
		out[i].expires = s->expires;
		out[i].expiring = p->warn_days > 0 && s->expires > now &&
				  s->expires - now <= (time_t)p->warn_days * DAY;
	}
	if (p->warn_days == 0)
		goto done;
	if (p->ledger_dir != NULL) {
		if ((name = ledger_name(l->address)) == NULL)
			snprintf(why, sizeof why, "out of memory");
		else
			have = notices_begin(p->ledger_dir, name, &led, why, sizeof why);
		if (!have)	/* as the pool does: warn every time rather than never */
			pwlog(LOG_ERR, "list %s: key expiry ledger: %s", l->address, why);
	}
	for (size_t i = 0; i < n; i++) {
		struct keyrefresh_warning w;
		char token[128], day[16];
		struct tm tm;

		if (!out[i].expiring) {
			if (have)
				notices_forget(&led, items[i].address, TOKEN_KIND);
			continue;
		}
		gmtime_r(&out[i].expires, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		snprintf(token, sizeof token, TOKEN_KIND "%s:%s", items[i].fpr, day);
		if (have && notices_told(&led, items[i].address, token)) {
			out[i].told = true;
			continue;
		}
		if (p->warn == NULL || (p->stop != NULL && atomic_load(p->stop)))
			continue;
		w.list = l;
		w.address = items[i].address;
		w.fpr = items[i].fpr;
		w.expires = out[i].expires;
		w.days_left = (unsigned)((out[i].expires - now) / DAY);
		if (!p->warn(p->warn_arg, &w, why, sizeof why)) {
			pwlog(LOG_WARNING, "list %s: <%s>: key %s expires %s: warning not sent: %s",
			      l->address, items[i].address, items[i].fpr, day, why);
			continue;
		}
		out[i].warned = true;
		pwlog(LOG_INFO, "list %s: <%s>: key %s expires %s: warning sent", l->address,
		      items[i].address, items[i].fpr, day);
		if (have && !notices_record(&led, items[i].address, token))
			pwlog(LOG_WARNING, "list %s: key expiry ledger: cannot record <%s>",
			      l->address, items[i].address);
	}
	if (have && !notices_end(&led, why, sizeof why))
		pwlog(LOG_ERR, "list %s: key expiry ledger: %s", l->address, why);
done:
	free(name);
	free(ks);
}

/* ---- one pass ---------------------------------------------------------------------------- */

/* overall - the subscriber's result from its sources' (see keyrefresh.h) */
static enum keyfetch_result overall(const enum keyfetch_result *r, size_t n)
{
	static const enum keyfetch_result order[] = { KEYFETCH_UPDATED, KEYFETCH_REFUSED,
						      KEYFETCH_UNCHANGED, KEYFETCH_TEMPFAIL };

	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		for (size_t i = 0; i < n; i++)
			if (r[i] == order[k])
				return order[k];
	return KEYFETCH_NOTFOUND;
}

/* keyrefresh_pass - fetch every item from its sources, then the expiry check */
size_t keyrefresh_pass(const struct keyrefresh_params *p, const struct keyrefresh_list *l,
		       const struct keyrefresh_item *items, size_t n,
		       struct keyrefresh_outcome *out)
{
	size_t done;

	for (done = 0; done < n; done++) {
		const struct keyrefresh_item *it = &items[done];
		struct keyrefresh_outcome *o = &out[done];
		size_t ns = it->sources != NULL ? it->sources->n : 0;

		memset(o, 0, sizeof *o);
		o->result = KEYFETCH_NOTFOUND;
		if (p->stop != NULL && atomic_load(p->stop))
			break;
		for (size_t s = 0; s < ns; s++) {
			enum keyfetch_source src = it->sources->v[s];

			o->per[s] = keyfetch_refresh(p->fetch, src, it->address, it->fpr,
						     o->why[s], sizeof o->why[s]);
			switch (o->per[s]) {
			case KEYFETCH_UPDATED:
				pwlog(LOG_INFO, "list %s: <%s>: key %s updated from %s: %s",
				      l->address, it->address, it->fpr, keyfetch_source_name(src),
				      o->why[s]);
				break;
			case KEYFETCH_REFUSED:
				pwlog(LOG_WARNING, "list %s: <%s>: key %s from %s refused: %s",
				      l->address, it->address, it->fpr, keyfetch_source_name(src),
				      o->why[s]);
				break;
			case KEYFETCH_TEMPFAIL:
				pwlog(LOG_INFO, "list %s: <%s>: key %s from %s: temporary error: %s",
				      l->address, it->address, it->fpr, keyfetch_source_name(src),
				      o->why[s]);
				break;
			default:
				pwlog(LOG_DEBUG, "list %s: <%s>: key %s from %s: %s: %s",
				      l->address, it->address, it->fpr, keyfetch_source_name(src),
				      keyfetch_result_name(o->per[s]), o->why[s]);
				break;
			}
		}
		o->result = overall(o->per, ns);
	}
	if (done > 0)
		check_expiry(p, l, items, done, out, time(NULL));
	return done;
}

/* ---- every list ---------------------------------------------------------------------------- */

/* keyrefresh_list_sources - L's own sources when its file has key_refresh (into *OWN),
 * else DAEMON's */
const struct keyrefresh_sources *keyrefresh_list_sources(const struct pw_list *l,
							 const struct keyrefresh_sources *daemon,
							 struct keyrefresh_sources *own)
{
	if (!l->key_refresh_set)
		return daemon;
	own->n = 0;
	if ((l->key_refresh & PW_LIST_KEY_REFRESH_VKS_FIRST) &&
	    (l->key_refresh & PW_LIST_KEY_REFRESH_VKS))
		own->v[own->n++] = KEYFETCH_VKS;
	if (l->key_refresh & PW_LIST_KEY_REFRESH_WKD)
		own->v[own->n++] = KEYFETCH_WKD;
	if ((l->key_refresh & PW_LIST_KEY_REFRESH_VKS) &&
	    !(l->key_refresh & PW_LIST_KEY_REFRESH_VKS_FIRST))
		own->v[own->n++] = KEYFETCH_VKS;
	return own;
}

/* keyrefresh_any - does any list of LS refresh keys: its own key_refresh, or the daemon's
 * sources (N_DAEMON of them) for a list without the statement */
bool keyrefresh_any(const struct pw_lists *ls, size_t n_daemon)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].key_refresh_set ? ls->v[i].key_refresh != 0 : n_daemon > 0)
			return true;
	return false;
}

/* keyrefresh_lists - a pass per list */
long keyrefresh_lists(const struct pw_config *cfg, const struct pw_lists *ls,
		      keyrefresh_warn_fn warn, void *warn_arg, const atomic_bool *stop,
		      keyrefresh_each_fn each, void *each_arg, char *why, size_t whylen)
{
	struct keyrefresh_sources src;
	struct keyfetch_config fc = {
		.gnupg_home = cfg->gnupg_home,
		.vks_url = cfg->list_vks_url,
		.ca_file = cfg->list_https_ca_file,
		.connect_to = (const char *const *)cfg->list_https_connect_to,
		.n_connect_to = cfg->n_list_https_connect_to,
		.timeout = cfg->list_https_timeout,
		.max_size = KEYFETCH_MAX,
	};
	struct keyrefresh_params p = {
		.fetch = &fc,
		.warn_days = cfg->list_key_expiry_warning,
		.ledger_dir = cfg->list_spool_directory,
		.warn = warn,
		.warn_arg = warn_arg,
		.stop = stop,
	};
	long bad = 0;

	if (!keyrefresh_sources_parse((const char *const *)cfg->list_key_sources,
				      cfg->n_list_key_sources, &src, why, whylen))
		return -1;
	for (size_t li = 0; li < ls->n; li++) {
		const struct pw_list *pl = &ls->v[li];
		struct keyrefresh_sources own;
		const struct keyrefresh_sources *use = keyrefresh_list_sources(pl, &src, &own);
		struct keyrefresh_list l = { pl->address, pl->owner, pl->bounce };
		struct keyrefresh_item *items;
		struct keyrefresh_outcome *out;
		size_t n = 0, done;

		if (stop != NULL && atomic_load(stop))
			break;
		if (use->n == 0)	/* key_refresh off, or no sources at all */
			continue;
		items = calloc(pl->n_subs ? pl->n_subs : 1, sizeof *items);
		out = calloc(pl->n_subs ? pl->n_subs : 1, sizeof *out);
		if (items == NULL || out == NULL) {
			free(items);
			free(out);
			pwlog(LOG_ERR, "list %s: key refresh: out of memory", pl->address);
			bad++;
			continue;
		}
		for (size_t i = 0; i < pl->n_subs; i++)
			if (pl->subs[i].fpr[0] != '\0') {
				items[n].address = pl->subs[i].addr;
				items[n].fpr = pl->subs[i].fpr;
				items[n].sources = use;
				n++;
			}
		done = keyrefresh_pass(&p, &l, items, n, out);
		for (size_t i = 0; i < done; i++) {
			if (out[i].result == KEYFETCH_REFUSED || out[i].result == KEYFETCH_TEMPFAIL)
				bad++;
			if (each != NULL)
				each(each_arg, &l, &items[i], &out[i]);
		}
		free(items);
		free(out);
	}
	return bad;
}

/* ---- the scheduler ------------------------------------------------------------------------- */

/* sched_lock guards sched_stop_req, sched_running and sched_tid; sched_cond wakes the thread */
static pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sched_cond;
static bool sched_stop_req, sched_running;
static pthread_t sched_tid;
static atomic_bool sched_stop_flag;	/* for keyrefresh_params.stop: read without the lock */
static unsigned sched_first, sched_interval;
static void (*sched_run)(void *);
static void *sched_arg;

/* wait_until - sleep on sched_cond until DEADLINE (CLOCK_MONOTONIC) or a stop request;
 * sched_lock held; true when asked to stop */
static bool wait_until(const struct timespec *deadline)
{
	while (!sched_stop_req)
		if (pthread_cond_timedwait(&sched_cond, &sched_lock, deadline) == ETIMEDOUT)
			break;
	return sched_stop_req;
}

/* sched_main - the scheduler thread */
static void *sched_main(void *arg)
{
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += sched_first < sched_interval ? sched_first : sched_interval;
	pthread_mutex_lock(&sched_lock);
	while (!wait_until(&next)) {
		pthread_mutex_unlock(&sched_lock);
		sched_run(sched_arg);
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += sched_interval;
		pthread_mutex_lock(&sched_lock);
	}
	pthread_mutex_unlock(&sched_lock);
	return NULL;
}

/* keyrefresh_start - start the scheduler thread */
bool keyrefresh_start(unsigned first, unsigned interval, void (*run)(void *arg), void *arg,
		      char *why, size_t whylen)
{
	pthread_condattr_t ca;
	int rc;

	if (interval == 0 || run == NULL) {
		snprintf(why, whylen, "key refresh: no interval or nothing to run");
		return false;
	}
	pthread_mutex_lock(&sched_lock);
	if (sched_running) {
		pthread_mutex_unlock(&sched_lock);
		snprintf(why, whylen, "key refresh: the scheduler runs already");
		return false;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sched_cond, &ca);
	pthread_condattr_destroy(&ca);
	sched_first = first;
	sched_interval = interval;
	sched_run = run;
	sched_arg = arg;
	sched_stop_req = false;
	atomic_store(&sched_stop_flag, false);
	if ((rc = pthread_create(&sched_tid, NULL, sched_main, NULL)) != 0) {
		pthread_cond_destroy(&sched_cond);
		pthread_mutex_unlock(&sched_lock);
		snprintf(why, whylen, "key refresh: cannot start its thread: %s", strerror(rc));
		return false;
	}
	sched_running = true;
	pthread_mutex_unlock(&sched_lock);
	return true;
}

/* keyrefresh_stopping - the stop flag */
const atomic_bool *keyrefresh_stopping(void)
{
	return &sched_stop_flag;
}

/* keyrefresh_stop - wake, flag and join the scheduler */
void keyrefresh_stop(void)
{
	pthread_t tid;

	pthread_mutex_lock(&sched_lock);
	if (!sched_running) {
		pthread_mutex_unlock(&sched_lock);
		return;
	}
	sched_stop_req = true;
	atomic_store(&sched_stop_flag, true);
	pthread_cond_signal(&sched_cond);
	tid = sched_tid;
	pthread_mutex_unlock(&sched_lock);
	pthread_join(tid, NULL);
	pthread_mutex_lock(&sched_lock);
	sched_running = false;
	pthread_cond_destroy(&sched_cond);
	pthread_mutex_unlock(&sched_lock);
}

/* ---- postward -K ------------------------------------------------------------------------- */

struct cli {
	FILE *out;
	const struct pw_config *cfg;
	struct smtp_client *smtp;	/* to list_reinject, made on the first warning */
	bool smtp_bad;
	char helo[256];
	long bad;
};

/* cli_warn - send a warning through list_reinject, as the worker's notices go */
static bool cli_warn(void *arg, const struct keyrefresh_warning *w, char *why, size_t whylen)
{
	struct cli *c = arg;
	char subject[300], body[2000], date[64], *msg;
	char host[256];
	uint16_t port;
	struct smtp_reply r;
	time_t now = time(NULL);
	struct tm tm;
	int n;
	bool ok;

	if (c->smtp == NULL && !c->smtp_bad) {
		if (!smtp_parse_target(c->cfg->list_reinject, host, sizeof host, &port) ||
		    (c->smtp = smtp_client_new(host, port, c->helo, 60)) == NULL)
			c->smtp_bad = true;
	}
	if (c->smtp == NULL) {
		snprintf(why, whylen, "list_reinject \"%s\" unusable", c->cfg->list_reinject);
		return false;
	}
	keyrefresh_warning_text(w, subject, sizeof subject, body, sizeof body);
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	n = snprintf(NULL, 0, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
		     "Message-ID: <%lld.keyexpiry.%d@%s>\r\nAuto-Submitted: auto-generated\r\n"
		     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
		     w->list->bounce, w->address, subject, date, (long long)now, (int)getpid(),
		     c->helo, body);
	if (n < 0 || (msg = malloc((size_t)n + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	snprintf(msg, (size_t)n + 1, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
		 "Message-ID: <%lld.keyexpiry.%d@%s>\r\nAuto-Submitted: auto-generated\r\n"
		 "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
		 w->list->bounce, w->address, subject, date, (long long)now, (int)getpid(),
		 c->helo, body);
	ok = smtp_send(c->smtp, "", w->address, msg, (size_t)n, &r) == SMTP_SENT;
	free(msg);
	if (!ok)
		snprintf(why, whylen, "%s", r.text);
	return ok;
}

/* cli_each - one line per subscriber */
static void cli_each(void *arg, const struct keyrefresh_list *l, const struct keyrefresh_item *it,
		     const struct keyrefresh_outcome *o)
{
	struct cli *c = arg;

	fprintf(c->out, "%s %s %s %s", l->address, it->address, it->fpr,
		keyfetch_result_name(o->result));
	for (size_t s = 0; s < it->sources->n; s++)
		fprintf(c->out, " %s=%s", keyfetch_source_name(it->sources->v[s]),
			keyfetch_result_name(o->per[s]));
	if (o->expires != 0) {
		char day[16];
		struct tm tm;

		gmtime_r(&o->expires, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		fprintf(c->out, " expires=%s", day);
	}
	if (o->expiring)
		fprintf(c->out, " warning=%s", o->warned ? "sent" : o->told ? "told" : "unsent");
	fputc('\n', c->out);
}

/* keyrefresh_mail_pass - one pass with warnings mailed through list_reinject */
long keyrefresh_mail_pass(const struct pw_config *cfg, const struct pw_lists *ls,
			  const atomic_bool *stop, char *why, size_t whylen)
{
	struct cli c = { .out = NULL, .cfg = cfg };
	long bad;

	snprintf(c.helo, sizeof c.helo, "%s", cfg->authserv_id[0] ? cfg->authserv_id :
		 "localhost");
	bad = keyrefresh_lists(cfg, ls, cli_warn, &c, stop, NULL, NULL, why, whylen);
	smtp_close(c.smtp);
	return bad;
}

/* keyrefresh_cli - postward -K */
int keyrefresh_cli(const struct pw_config *cfg, const struct pw_lists *ls, FILE *out, FILE *err)
{
	struct cli c = { .out = out, .cfg = cfg };
	char why[300];
	long bad;

	if (cfg->list_directory[0] == '\0') {
		fprintf(err, "postward: -K: no list_directory, no lists\n");
		return 2;
	}
	if (!keyrefresh_any(ls, cfg->n_list_key_sources)) {
		fprintf(err, "postward: -K: list_key_sources is empty and no list has a "
			"key_refresh statement: no key source to ask\n");
		return 2;
	}
	if (!keyfetch_global_init(why, sizeof why)) {
		fprintf(err, "postward: -K: %s\n", why);
		return 2;
	}
	snprintf(c.helo, sizeof c.helo, "%s", cfg->authserv_id[0] ? cfg->authserv_id :
		 "localhost");
	bad = keyrefresh_lists(cfg, ls, cli_warn, &c, NULL, cli_each, &c, why, sizeof why);
	smtp_close(c.smtp);
	keyfetch_global_end();
	fflush(out);
	if (bad < 0) {
		fprintf(err, "postward: -K: list_key_sources: %s\n", why);
		return 2;
	}
	return bad > 0 ? 1 : 0;
}
