/*
 * milter/lists/listpost-text.c - the text of a command message: the decoded text/plain that
 * holds a -request message's commands, and its attachments (keys for X-ADD-KEY), read from
 * the decrypted content with listpost.c's entity and multipart readers.
 *
 * NAME
 *	listpost_text - the text and attachments of a decrypted command message
 *
 * SYNOPSIS
 *	#include "listpost.h"
 *
 *	enum listpost_text_status listpost_text(msg, len, mime, &text);
 *	void listpost_text_clear(&text);
 *
 * DESCRIPTION
 *	The contract is listpost.h.  The way down first parts is iterative: at most
 *	LISTPOST_MAX_DEPTH multipart levels and LISTPOST_MAX_PARTS parts in all, each header
 *	read (and refused when malformed) as listpost_parse() reads them.  A multipart part of
 *	a multipart/mixed is not looked into and counts in more_att.  Pure computation on the
 *	caller's buffer: thread-safe; what *OUT holds is malloc'd.
 */
#include "listpost.h"
#include "listpost-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* own - a malloc'd copy of the decoded body D (D->owned taken over when there is one) */
static char *own(struct decoded *d)
{
	char *p;

	if (d->owned != NULL) {
		p = d->owned;
		d->owned = NULL;
		return p;
	}
	if ((p = malloc(d->s.n ? d->s.n : 1)) != NULL)
		memcpy(p, d->s.p, d->s.n);
	return p;
}

/* take_atts - the leaf parts PARTS[1..NP) of a multipart/mixed named PATH into OUT's
 * attachments */
static enum lp_status take_atts(const struct mime_span *parts, size_t np, const char *path,
				struct listpost_text *out, struct listpost *lp)
{
	for (size_t i = 1; i < np; i++) {
		struct entity e;
		struct decoded d;
		char where[64];
		enum lp_status st;
		snprintf(where, sizeof(where), path[0] ? "part %s.%zu" : "part %s%zu", path, i + 1);
		st = lp_entity_read(parts[i], false, where, &e, lp);
		free(e.ctraw);
		if (st != LP_OK)
			return st;
		if (strcmp(e.ct.type, "multipart") == 0 || out->natt == LISTPOST_TEXT_MAX_ATT) {
			out->more_att++;
			continue;
		}
		if ((st = lp_body_decode(&e, where, &d, lp)) != LP_OK)
			return st;
		out->att[out->natt].n = d.s.n;
		if ((out->att[out->natt].p = own(&d)) == NULL)
			return LP_NOMEM;
		out->natt++;
	}
	return LP_OK;
}

/* walk - down the first parts of the entity MSG to its text/plain (see listpost.h) */
static enum lp_status walk(const char *msg, size_t len, struct listpost_text *out,
			   struct listpost *lp)
{
	struct mime_span cur = { msg, len }, *parts;
	char path[40] = "", where[64] = "message";
	size_t total = 0;
	enum lp_status st = LP_OK;

	if ((parts = malloc(sizeof(*parts) * LISTPOST_MAX_PARTS)) == NULL)
		return LP_NOMEM;
	for (unsigned depth = 0; st == LP_OK; depth++) {
		struct entity e;
		struct decoded d;
		size_t np = 0;
		st = lp_entity_read(cur, depth == 0, where, &e, lp);
		free(e.ctraw);
		if (st != LP_OK)
			break;
		if (mime_ct_is(&e.ct, "text", "plain")) {
			if ((st = lp_body_decode(&e, where, &d, lp)) != LP_OK)
				break;
			out->text_len = d.s.n;
			if ((out->text = own(&d)) == NULL)
				st = LP_NOMEM;
			break;
		}
		if (strcmp(e.ct.type, "multipart") != 0)
			break;			/* no text: text stays NULL */
		if (depth >= LISTPOST_MAX_DEPTH)
			st = lp_bad(lp, "%s: multipart nesting deeper than %d levels", where,
				    LISTPOST_MAX_DEPTH);
		else if (!e.ct.has_boundary)
			st = lp_bad(lp, "%s: multipart without boundary parameter", where);
		else
			st = lp_mp_split(e.body, e.ct.boundary, LISTPOST_MAX_PARTS - total, where,
					 parts, &np, lp);
		if (st != LP_OK)
			break;
		total += np;
		if (mime_ct_is(&e.ct, "multipart", "mixed") &&
		    (st = take_atts(parts, np, path, out, lp)) != LP_OK)
			break;
		cur = parts[0];
		snprintf(path + strlen(path), sizeof(path) - strlen(path), path[0] ? ".1" : "1");
		snprintf(where, sizeof(where), "part %s", path);
	}
	free(parts);
	return st;
}

/* listpost_text - the text and attachments of a command message */
enum listpost_text_status listpost_text(const char *msg, size_t len, bool mime,
					struct listpost_text *out)
{
	struct listpost lp;
	enum lp_status st;

	memset(out, 0, sizeof(*out));
	if (!mime) {
		if ((out->text = malloc(len ? len : 1)) == NULL)
			return LISTPOST_TEXT_NOMEM;
		memcpy(out->text, msg, len);
		out->text_len = len;
		return LISTPOST_TEXT_OK;
	}
	memset(&lp, 0, sizeof(lp));
	st = walk(msg, len, out, &lp);
	if (st == LP_BAD)
		snprintf(out->why, sizeof(out->why), "%s", lp.why);
	return st == LP_OK ? LISTPOST_TEXT_OK : st == LP_BAD ? LISTPOST_TEXT_BAD :
	       LISTPOST_TEXT_NOMEM;
}

/* listpost_text_clear - release what *T owns */
void listpost_text_clear(struct listpost_text *t)
{
	free(t->text);
	for (size_t i = 0; i < t->natt; i++)
		free(t->att[i].p);
	memset(t, 0, sizeof(*t));
}
