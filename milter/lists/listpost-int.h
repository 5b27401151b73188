/*
 * milter/lists/listpost-int.h - what the parts of listpost share: the types of a post being
 * read and the body decoding of listpost-mime.c that listpost.c (reading posts) uses; the
 * MIME reading both listpost.c and listpost-copy.c (writing copies) use is policy/mime.h.
 * Included only inside milter/lists/; the public contract is listpost.h.
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

#endif
