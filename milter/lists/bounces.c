/*
 * milter/lists/bounces.c - the bounce ledger: scores, the threshold, disabled subscribers,
 * crash-safe.  Contract: see bounces.h; the file handling is ledger.c's, shared with the
 * notice ledger.
 */
#include "build-config.h"
#include "bounces.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HALVES	2000000u	/* a score kept at most (1,000,000 bounces) */
#define DAY		86400

/* the ledger lock: held from bounces_begin to bounces_end */
static pthread_mutex_t bounce_lock = PTHREAD_MUTEX_INITIALIZER;

/* rec_free - release what R owns */
static void rec_free(struct bounce_rec *r)
{
	free(r->addr);
	free(r->reason);
}

/* clear - release what *B owns */
static void clear(struct bounces *b)
{
	for (size_t i = 0; i < b->n; i++)
		rec_free(&b->recs[i]);
	free(b->recs);
	ledger_close(&b->file);
	memset(b, 0, sizeof(*b));
}

/* reason_copy - S with tabs and line ends made spaces, cut at BOUNCES_MAX_REASON octets
 * (malloc'd; NULL for lack of memory) */
static char *reason_copy(const char *s)
{
	size_t n = strnlen(s, BOUNCES_MAX_REASON);
	char *r = malloc(n + 1);

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i] = s[i] == '\t' || s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
	r[n] = '\0';
	return r;
}

/* entry - ADDR's record, made (zeroed) when missing; NULL for lack of memory or an address
 * that cannot be a field of a line */
static struct bounce_rec *entry(struct bounces *b, const char *addr)
{
	bool found;
	size_t i;
	char *a;
	struct bounce_rec *r;

	if (!ledger_clean(addr, BOUNCES_MAX_LINE / 2))
		return NULL;
	i = ledger_find(b->recs, b->n, sizeof(*b->recs), addr, &found);
	if (found)
		return &b->recs[i];
	if ((a = strdup(addr)) == NULL)
		return NULL;
	if ((r = ledger_insert(b->recs, &b->n, sizeof(*r), i)) == NULL) {
		free(a);
		return NULL;
	}
	b->recs = r;
	r[i].addr = a;
	b->changed = true;
	return &r[i];
}

/* bounces_score - halves as a number */
double bounces_score(const struct bounce_rec *r)
{
	return r->halves / 2.0;
}

/* bounces_record - count a bounce */
bool bounces_record(struct bounces *b, const char *addr, enum bounce_kind kind, time_t now,
		    double threshold, const char *reason, struct bounce_outcome *out)
{
	struct bounce_rec *r = entry(b, addr);
	unsigned weight = kind == BOUNCE_HARD ? 2 : 1;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return false;
	if (r->halves > 0 && r->last / DAY == now / DAY && now >= r->last) {
		/* one a day counts */
	} else {
		if (r->halves == 0 || now - r->last > b->stale || now < r->last)
			r->halves = 0;		/* stale (or a clock set back): start over */
		r->halves = r->halves + weight > MAX_HALVES ? MAX_HALVES : r->halves + weight;
		r->last = now;
		out->counted = true;
		b->changed = true;
	}
	out->score = bounces_score(r);
	if (r->disabled == 0 && out->score >= threshold) {
		char dflt[96];
		char *why;
		snprintf(dflt, sizeof(dflt), "bounce score %.1f reached %g", out->score, threshold);
		if ((why = reason_copy(reason != NULL && *reason != '\0' ? reason : dflt)) == NULL)
			return false;
		free(r->reason);
		r->reason = why;
		r->disabled = now > 0 ? now : 1;
		out->crossed = true;
		b->changed = true;
	}
	out->disabled = r->disabled != 0;
	return true;
}

/* bounces_disabled - flag set */
bool bounces_disabled(const struct bounces *b, const char *addr)
{
	bool found;
	size_t i = ledger_find(b->recs, b->n, sizeof(*b->recs), addr, &found);

	return found && b->recs[i].disabled != 0;
}

/* bounces_enable - forget ADDR */
bool bounces_enable(struct bounces *b, const char *addr)
{
	bool found;
	size_t i = ledger_find(b->recs, b->n, sizeof(*b->recs), addr, &found);

	if (!found)
		return false;
	rec_free(&b->recs[i]);
	ledger_remove(b->recs, &b->n, sizeof(*b->recs), i);
	b->changed = true;
	return true;
}

/* bounces_disable - the flag without a bounce */
bool bounces_disable(struct bounces *b, const char *addr, time_t now, const char *reason)
{
	struct bounce_rec *r = entry(b, addr);
	char *why;

	if (r == NULL)
		return false;
	if (r->disabled != 0)
		return true;
	if ((why = reason_copy(reason != NULL && *reason != '\0' ? reason : "disabled")) == NULL)
		return false;
	free(r->reason);
	r->reason = why;
	r->disabled = now > 0 ? now : 1;
	b->changed = true;
	return true;
}

/* bounces_list - every record to EACH */
void bounces_list(const struct bounces *b, bool (*each)(void *arg, const struct bounce_rec *r),
		  void *arg)
{
	for (size_t i = 0; i < b->n; i++)
		if (!each(arg, &b->recs[i]))
			return;
}

/* number - the decimal at *S up to the next TAB (or the end) into *V; false if malformed */
static bool number(char **s, intmax_t *v)
{
	char *end;
	intmax_t x;

	if (**s < '0' || **s > '9')
		return false;
	x = strtoimax(*s, &end, 10);
	if (x < 0 || x == INTMAX_MAX || (*end != '\t' && *end != '\0' && *end != '.'))
		return false;
	*v = x;
	*s = end;
	return true;
}

/* load_line - one line of the ledger file into B; a line that does not parse is dropped;
 * false only for lack of memory */
static bool load_line(void *arg, char *line)
{
	struct bounces *b = arg;
	char *f[5], *s = line, *p;
	intmax_t whole, half = 0, last, disabled;
	struct bounce_rec *r;
	size_t k = 0;
	bool found;

	f[k++] = s;
	while (k < 5 && (p = strchr(s, '\t')) != NULL) {
		*p = '\0';
		f[k++] = s = p + 1;
	}
	if (k != 5 || strchr(f[4], '\t') != NULL || !ledger_clean(f[0], BOUNCES_MAX_LINE / 2))
		return true;
	s = f[1];
	if (!number(&s, &whole) || whole > MAX_HALVES / 2)
		return true;
	if (*s == '.') {
		if ((s[1] != '0' && s[1] != '5') || s[2] != '\0')
			return true;
		half = s[1] == '5';
	} else if (*s != '\0') {
		return true;
	}
	s = f[2];
	if (!number(&s, &last) || *s != '\0')
		return true;
	s = f[3];
	if (!number(&s, &disabled) || *s != '\0' || f[4][0] == '\0')
		return true;
	ledger_find(b->recs, b->n, sizeof(*b->recs), f[0], &found);
	if (found)
		return true;			/* the first line of an address counts */
	if ((r = entry(b, f[0])) == NULL)
		return false;
	r->halves = (unsigned)(whole * 2 + half);
	r->last = (time_t)last;
	r->disabled = (time_t)disabled;
	if (disabled != 0 && strcmp(f[4], "-") != 0 && (r->reason = reason_copy(f[4])) == NULL)
		return false;
	return true;
}

/* bounces_begin - lock, then read */
bool bounces_begin(const char *dir, const char *list, struct bounces *b, char *why,
		   size_t whylen)
{
	bool restart;

	memset(b, 0, sizeof(*b));
	b->stale = BOUNCES_STALE;
	pthread_mutex_lock(&bounce_lock);
	if (!ledger_load(dir, "bounces", list, &b->file, BOUNCES_MAX_LINE,
			 (off_t)BOUNCES_MAX_FILE, load_line, b, &restart, why, whylen)) {
		clear(b);
		pthread_mutex_unlock(&bounce_lock);
		return false;
	}
	b->changed = restart;		/* a file too large starts over */
	return true;
}

/* put_line - record I of the ledger ARG as a line of F */
static bool put_line(void *arg, size_t i, FILE *f)
{
	const struct bounce_rec *r = &((const struct bounces *)arg)->recs[i];

	return fprintf(f, "%s\t%u.%u\t%jd\t%jd\t%s\n", r->addr, r->halves / 2,
		       r->halves % 2 * 5, (intmax_t)r->last, (intmax_t)r->disabled,
		       r->disabled != 0 && r->reason != NULL ? r->reason : "-") > 0;
}

/* bounces_end - save if changed, release, unlock */
bool bounces_end(struct bounces *b, char *why, size_t whylen)
{
	bool ok = !b->changed || ledger_write(&b->file, b->n, put_line, b, why, whylen);

	clear(b);
	pthread_mutex_unlock(&bounce_lock);
	return ok;
}
