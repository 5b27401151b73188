/*
 * policy/diag.h - diagnostics collected while parsing configuration and policy files.
 *
 * A parser never prints: it appends one struct pw_diag per problem (file, line, message) to a
 * struct pw_diags owned by its caller, and keeps going so that `postward -n` can show every
 * error at once.  pw_diag_format() renders the canonical "FILE:LINE: message" form.
 * Not thread-safe; each parse owns its own pw_diags.
 */
#ifndef POSTWARD_POLICY_DIAG_H
#define POSTWARD_POLICY_DIAG_H

#include <stddef.h>

struct pw_diag {
	char *file;		/* owned */
	unsigned line;		/* 1-based; 0 = the file as a whole */
	char *msg;		/* owned */
};

struct pw_diags {
	struct pw_diag *v;	/* owned array */
	size_t n, cap;
	int oom;		/* an append failed for lack of memory */
};

/* pw_diags_add - append "FILE:LINE: fmt..." to the list (never fails visibly; sets oom) */
void pw_diags_add(struct pw_diags *d, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* pw_diag_format - write one diagnostic as "FILE:LINE: message" (or "FILE: message") */
int pw_diag_format(const struct pw_diag *g, char *buf, size_t len);
/* pw_diags_free - release every entry; the list is empty and reusable afterwards */
void pw_diags_free(struct pw_diags *d);

#endif
