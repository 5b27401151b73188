/*
 * milter/lists/listpost-int.h - what the parts of listpost share: the types of a post being
 * read and the body decoding of listpost-mime.c that listpost.c (reading posts) uses; the
 * header, entity and multipart readers of listpost.c with listpost's limits and verdicts,
 * which listpost-text.c (the text of a command message), plainwrap.c, service.c and
 * commands.c use too.  The MIME reading underneath, which listpost-copy.c (writing copies)
 * uses directly, is policy/mime.h.  Included only inside milter/lists/; the public contract
 * is listpost.h.
 *
 * All of them are pure functions on caller buffers and no global state; only
 * lp_body_decode() allocates (D->owned, the caller frees it).
 */
#ifndef POSTWARD_MILTER_LISTPOST_INT_H
#define POSTWARD_MILTER_LISTPOST_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "listpost.h"
#include "mime.h"

enum lp_status { LP_OK, LP_BAD, LP_NOMEM };

struct entity {				/* a message or a body part, header read */
	struct mime_hdrsec h;
	struct mime_ctype ct;
	enum mime_cte cte;
	struct mime_span body;
	char *ctraw;			/* the unfolded Content-Type value (malloc'd) or NULL */
};

struct decoded {			/* a body with its transfer encoding undone */
	struct mime_span s;
	char *owned;			/* malloc'd for quoted-printable and base64, else NULL */
};

/* lp_bad - make OUT a LISTPOST_BAD with the reason FMT...; LP_BAD */
enum lp_status lp_bad(struct listpost *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* lp_body_decode - the body of E with its transfer encoding undone into *D */
enum lp_status lp_body_decode(const struct entity *e, const char *where, struct decoded *d,
			      struct listpost *out);
/* lp_hdr_scan - check the header section at P (AVAIL octets) into *H: fields and
 * continuation lines up to the empty line, within LISTPOST_MAX_HEADER octets; TOP: the empty
 * line must be there; LP_BAD with the reason in OUT (WHERE names the entity) */
enum lp_status lp_hdr_scan(const char *p, size_t avail, bool top, const char *where,
			   struct mime_hdrsec *h, struct listpost *out);
/* lp_hdr_get - the unfolded value of field NAME of H into *VAL (malloc'd, NULL when absent);
 * LP_BAD when it occurs twice or holds a control character */
enum lp_status lp_hdr_get(const struct mime_hdrsec *h, const char *name, const char *where,
			  char **val, struct listpost *out);
/* lp_entity_read - read the header of the entity SP (the message if TOP, else a part named
 * WHERE): its Content-Type (text/plain when absent) and Content-Transfer-Encoding; the caller
 * frees E->ctraw whatever the outcome */
enum lp_status lp_entity_read(struct mime_span sp, bool top, const char *where,
			      struct entity *e, struct listpost *out);
/* lp_mp_split - the body parts of the multipart body B delimited by BND into PARTS, at most
 * BUDGET of them (more is LP_BAD); WHERE names the multipart in reasons */
enum lp_status lp_mp_split(struct mime_span b, const char *bnd, size_t budget,
			   const char *where, struct mime_span *parts, size_t *nparts,
			   struct listpost *out);

#endif
