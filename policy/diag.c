/*
 * policy/diag.c - diagnostics list for the configuration and policy-file parsers.
 * Contract: see diag.h.  Pure C, no I/O.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* diags_append - append one diagnostic, an error or a WARNING */
static void diags_append(struct pw_diags *d, bool warning, const char *file, unsigned line,
			 const char *fmt, va_list ap)
{
	va_list ap2;
	char *msg;
	int n;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		struct pw_diag *nv = realloc(d->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			d->oom = 1;
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (msg = malloc((size_t)n + 1)) == NULL) {
		d->oom = 1;
		return;
	}
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	d->v[d->n].file = strdup(file ? file : "(unnamed)");
	if (d->v[d->n].file == NULL) {
		free(msg);
		d->oom = 1;
		return;
	}
	d->v[d->n].line = line;
	d->v[d->n].msg = msg;
	d->v[d->n].warning = warning;
	d->n++;
	if (warning)
		d->warnings++;
}

/* pw_diags_add - append one error */
void pw_diags_add(struct pw_diags *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_append(d, false, file, line, fmt, ap);
	va_end(ap);
}

/* pw_diags_warn - append one warning */
void pw_diags_warn(struct pw_diags *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_append(d, true, file, line, fmt, ap);
	va_end(ap);
}

/* pw_diags_errors - the diagnostics that are not warnings */
size_t pw_diags_errors(const struct pw_diags *d)
{
	return d->n - d->warnings;
}

/* pw_diag_format - render "FILE:LINE: message" */
int pw_diag_format(const struct pw_diag *g, char *buf, size_t len)
{
	const char *w = g->warning ? "warning: " : "";

	if (g->line)
		return snprintf(buf, len, "%s:%u: %s%s", g->file, g->line, w, g->msg);
	return snprintf(buf, len, "%s: %s%s", g->file, w, g->msg);
}

/* pw_diags_free - release all entries */
void pw_diags_free(struct pw_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
	d->oom = 0;
	d->warnings = 0;
}
