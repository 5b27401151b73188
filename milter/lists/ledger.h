/*
 * milter/lists/ledger.h - the file of a small per-list state ledger (notices.c, bounces.c,
 * the seen-set of signed commands in seen.c): where it lives, reading it line by line, and
 * rewriting it whole so that after a crash or a power loss it is the old file or the new
 * one, never torn.
 *
 * A ledger of list LIST under spool directory DIR is the file DIR/SUB/NAME, NAME the list
 * address with octets other than letters, digits and "@._+-" (and a leading dot) as %XX, so a
 * list address is never a path; DIR/SUB is created 0700, the file is written 0600.
 * ledger_save() writes the new text to DIR/SUB/tmp.NAME, fsyncs it, renames it into place and
 * fsyncs the directory; on any failure the temporary file is removed and the old file stays.
 * A temporary file left by a crash is never read and is replaced by the next save.
 *
 * Reading: lines end in LF; a line longer than MAX_LINE octets or without its LF (torn) is
 * skipped; a file larger than MAX_FILE octets is not read at all (*RESTART: the notice and
 * bounce ledgers start over, the seen-set refuses it).  Threads: none of this is locked; the ledger modules hold their own lock around a
 * whole begin-to-end cycle.
 *
 * Fault point (tests): ledger_fail_after, SIZE_MAX (off) unless a test sets it; then the
 * next ledger_save() of any ledger (notices, bounces, the seen-set of seen.c) writes that
 * many octets of the new text and fails as a full disk would (EIO), deterministically, to
 * show the old file survives; the point is then off again (one shot).  Only tests set it,
 * before threads run; ledger_save() writes it only when it is set.
 */
#ifndef POSTWARD_MILTER_LEDGER_H
#define POSTWARD_MILTER_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct ledger_file {
	char *dir;			/* owned: DIR/SUB */
	char *path;			/* owned: DIR/SUB/NAME */
	char *tmp;			/* owned: DIR/SUB/tmp.NAME */
};

extern size_t ledger_fail_after;

/* ledger_open - the names of LIST's ledger in DIR/SUB into *LF (DIR/SUB created 0700 when
 * missing); false + WHY for lack of memory or when the directory cannot be made (*LF is then
 * empty) */
bool ledger_open(const char *dir, const char *sub, const char *list, struct ledger_file *lf,
		 char *why, size_t whylen);
/* ledger_close - release what *LF owns */
void ledger_close(struct ledger_file *lf);
/* ledger_read - hand every whole line of the ledger file, its LF cut off, to LINE(ARG, line)
 * (a missing file has none); LINE returns false for lack of memory, which stops the reading
 * ("out of memory" in WHY); *RESTART true when the file was over MAX_FILE octets (not read);
 * false + WHY on an I/O error */
bool ledger_read(const struct ledger_file *lf, size_t max_line, off_t max_file,
		 bool (*line)(void *arg, char *line), void *arg, bool *restart, char *why,
		 size_t whylen);
/* ledger_load - ledger_open() and ledger_read() in one: the lines of LIST's ledger in DIR/SUB
 * to LINE(ARG, line); false + WHY as they say (*LF then closed; what LINE kept is the
 * caller's to release) */
bool ledger_load(const char *dir, const char *sub, const char *list, struct ledger_file *lf,
		 size_t max_line, off_t max_file, bool (*line)(void *arg, char *line), void *arg,
		 bool *restart, char *why, size_t whylen);
/* ledger_save - make TEXT (LEN octets) the ledger file, atomically (see the top comment);
 * LEN 0 removes the file; false + WHY when it could not be written (the old file stays) */
bool ledger_save(const struct ledger_file *lf, const char *text, size_t len, char *why,
		 size_t whylen);

/* ledger_write - the ledger file made of N lines, line I written by PUT(ARG, I, stream)
 * (false: it failed), then saved as ledger_save() does; false + WHY when a line could not be
 * made or the file not written (the old file stays) */
bool ledger_write(const struct ledger_file *lf, size_t n,
		  bool (*put)(void *arg, size_t i, FILE *f), void *arg, char *why, size_t whylen);
/* ledger_find - the index of ADDR among the N records at RECS (SIZE octets each, sorted by
 * their first member, a char *address), or where it would go; *FOUND says which */
size_t ledger_find(const void *recs, size_t n, size_t size, const char *addr, bool *found);
/* ledger_insert - the array RECS of *N records of SIZE octets grown by a zeroed one at index
 * AT: the new array (RECS is then no longer valid), or NULL (nothing changed) for lack of
 * memory */
void *ledger_insert(void *recs, size_t *n, size_t size, size_t at);
/* ledger_remove - take record AT out of the array RECS of *N (SIZE octets each); the
 * record's own memory is the caller's to release first */
void ledger_remove(void *recs, size_t *n, size_t size, size_t at);
/* ledger_clean - whether S can be a field of a line: not empty, no TAB, CR or LF, shorter
 * than MAX octets */
bool ledger_clean(const char *s, size_t max);

#endif
