/*
 * milter/lists/listpost-mime.c - the body decoding of encrypted list posts: a body part with
 * its Content-Transfer-Encoding undone, and a malformed encoding made the post's verdict.
 * The MIME reading itself (Content-Type, Content-Transfer-Encoding, header sections,
 * multipart, the decoders) is policy/mime.c, shared with the bounce reports of policy/dsn.c.
 *
 * NAME
 *	listpost_mime - body decoding for listpost
 *
 * SYNOPSIS
 *	#include "listpost-int.h"
 *
 *	enum lp_status lp_body_decode(&entity, where, &decoded, out);
 *
 * DESCRIPTION
 *	What is accepted, and why, is the Reading paragraph (and, for base64, the S/MIME kind)
 *	of listpost.c's opening comment; the public contract is listpost.h.  Pure computation
 *	on caller buffers, no global state: thread-safe.  lp_body_decode() allocates the
 *	decoded body of quoted-printable and base64 (D->owned, the caller frees it).
 */
#include "listpost.h"
#include "listpost-int.h"

#include <stdlib.h>
#include <string.h>

/* lp_body_decode - the body of E with its transfer encoding undone into *D */
enum lp_status lp_body_decode(const struct entity *e, const char *where, struct decoded *d,
			      struct listpost *out)
{
	char why[sizeof(out->why)];
	enum mime_status st;

	memset(d, 0, sizeof(*d));
	d->s = e->body;
	st = mime_decode(e->body.p, e->body.n, e->cte, where, &d->owned, &d->s.n, why,
			 sizeof(why));
	if (st == MIME_NOMEM)
		return LP_NOMEM;
	if (st != MIME_OK)
		return lp_bad(out, "%s", why);
	if (d->owned != NULL)
		d->s.p = d->owned;
	return LP_OK;
}
