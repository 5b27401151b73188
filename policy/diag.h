/*
 * policy/diag.h - diagnostics collected while parsing configuration and policy files.
 *
 * A parser never prints: it appends one struct pw_diag per problem (file, line, message) to a
 * struct pw_diags owned by its caller, and keeps going so that `postward -n` can show every
 * error at once.  pw_diag_format() renders the canonical "FILE:LINE: message" form.
 * A warning (pw_diags_warn) is a problem that does not stop the file from being used - the
 * parser says what it did about it - and renders as "FILE:LINE: warning: message"; a
 * caller decides whether a load failed by pw_diags_errors(), never by the plain count n.
 * Not thread-safe; each parse owns its own pw_diags.
 */
#ifndef POSTWARD_POLICY_DIAG_H
#define POSTWARD_POLICY_DIAG_H

#include <stdbool.h>
#include <stddef.h>

struct pw_diag {
	char *file;		/* owned */
	unsigned line;		/* 1-based; 0 = the file as a whole */
	char *msg;		/* owned */
	bool warning;		/* pw_diags_warn: the file is used all the same */
};

struct pw_diags {
	struct pw_diag *v;	/* owned array */
	size_t n, cap;
	int oom;		/* an append failed for lack of memory */
	size_t warnings;	/* how many of the n are warnings */
};

/* pw_diags_add - append "FILE:LINE: fmt..." to the list (never fails visibly; sets oom) */
void pw_diags_add(struct pw_diags *d, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* pw_diags_warn - append a warning "FILE:LINE: warning: fmt..." (never fails visibly) */
void pw_diags_warn(struct pw_diags *d, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* pw_diags_errors - how many of the diagnostics are errors (not warnings) */
size_t pw_diags_errors(const struct pw_diags *d);
/* pw_diag_format - write one diagnostic as "FILE:LINE: message" (or "FILE: message") */
int pw_diag_format(const struct pw_diag *g, char *buf, size_t len);
/* pw_diags_free - release every entry; the list is empty and reusable afterwards */
void pw_diags_free(struct pw_diags *d);

#endif
