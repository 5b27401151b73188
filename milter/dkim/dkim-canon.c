/*
 * milter/dkim/dkim-canon.c - DKIM canonicalisation (RFC 6376 section 3.4): header fields one at
 * a time (dkim_canon_header), the body streamed through a small state machine
 * (dkim_bodycanon_*) that holds back only trailing empty lines and pending white space.
 * Contract: see dkim.h (building blocks).  No I/O, no globals.
 */
#include "dkim.h"
#include "dkim-int.h"

#include <stdint.h>
#include <string.h>


/* dkim_canon_header - RFC 6376 sections 3.4.1 and 3.4.2 */
size_t dkim_canon_header(enum dkim_canon c, const char *name, const char *value, char *out,
			 size_t outsize)
{
	size_t n = 0;
#define PUT(ch) do { if (n + 1 < outsize) out[n] = (char)(ch); n++; } while (0)

	if (c == DKIM_CANON_SIMPLE) {
		for (const char *p = name; *p; p++)
			PUT(*p);
		PUT(':');
		for (const char *p = value; *p; p++) {
			if (*p == '\n' && (p == value || p[-1] != '\r'))
				PUT('\r');
			PUT(*p);
		}
	} else {
		size_t nl = strlen(name);
		while (nl > 0 && is_wsp((unsigned char)name[nl - 1]))
			nl--;
		for (size_t i = 0; i < nl; i++)
			PUT(lc((unsigned char)name[i]));
		PUT(':');
		bool started = false, wsp = false;
		for (const char *p = value; *p; p++) {
			if (*p == '\n' || (*p == '\r' && p[1] == '\n'))
				continue;	/* unfold */
			if (is_wsp((unsigned char)*p)) {
				wsp = true;
				continue;
			}
			if (wsp && started)
				PUT(' ');
			wsp = false;
			started = true;
			PUT(*p);
		}
	}
	PUT('\r');
	PUT('\n');
#undef PUT
	if (outsize > 0)
		out[n < outsize ? n : outsize - 1] = '\0';
	return n;
}

/* bc_flush - hand the buffered output to the sink */
static void bc_flush(struct dkim_bodycanon *bc)
{
	if (bc->outlen > 0)
		bc->sink(bc->arg, bc->out, bc->outlen);
	bc->outlen = 0;
}

/* bc_put - append output */
static void bc_put(struct dkim_bodycanon *bc, const unsigned char *p, size_t n)
{
	bc->emitted += n;
	while (n > 0) {
		size_t room = sizeof(bc->out) - bc->outlen;
		if (room == 0) {
			bc_flush(bc);
			room = sizeof(bc->out);
		}
		size_t k = n < room ? n : room;
		memcpy(bc->out + bc->outlen, p, k);
		bc->outlen += k;
		p += k;
		n -= k;
	}
}

/* bc_line_content - the current line has content: release the empty lines held back */
static void bc_line_content(struct dkim_bodycanon *bc)
{
	if (bc->line_has_content)
		return;
	for (; bc->empty_lines > 0; bc->empty_lines--)
		bc_put(bc, (const unsigned char *)"\r\n", 2);
	bc->line_has_content = true;
}

/* bc_content - N content octets (no CR, and for relaxed no WSP) on the current line */
static void bc_content(struct dkim_bodycanon *bc, const unsigned char *p, size_t n)
{
	bc_line_content(bc);
	if (bc->pending_wsp) {
		bc_put(bc, (const unsigned char *)" ", 1);
		bc->pending_wsp = false;
	}
	bc_put(bc, p, n);
}

/* bc_end_line - a CRLF */
static void bc_end_line(struct dkim_bodycanon *bc)
{
	bc->pending_wsp = false;
	if (bc->line_has_content) {
		bc_put(bc, (const unsigned char *)"\r\n", 2);
		bc->line_has_content = false;
	} else {
		bc->empty_lines++;
	}
}

/* dkim_bodycanon_init - start */
void dkim_bodycanon_init(struct dkim_bodycanon *bc, enum dkim_canon c, dkim_sink_fn *sink,
			 void *arg)
{
	memset(bc, 0, sizeof(*bc));
	bc->canon = c;
	bc->sink = sink;
	bc->arg = arg;
}

/* dkim_bodycanon_update - RFC 6376 sections 3.4.3 and 3.4.4, streamed */
void dkim_bodycanon_update(struct dkim_bodycanon *bc, const unsigned char *buf, size_t len)
{
	bool relaxed = bc->canon == DKIM_CANON_RELAXED;
	size_t i = 0;

	while (i < len) {
		unsigned char ch = buf[i];
		if (bc->pending_cr) {
			bc->pending_cr = false;
			if (ch == '\n') {
				bc_end_line(bc);
				i++;
				continue;
			}
			bc_content(bc, (const unsigned char *)"\r", 1);	/* a bare CR */
		}
		if (ch == '\r') {
			bc->pending_cr = true;
			i++;
			continue;
		}
		if (relaxed && is_wsp(ch)) {
			bc->pending_wsp = true;
			i++;
			continue;
		}
		/* a run of ordinary octets */
		size_t j = i + 1;
		while (j < len && buf[j] != '\r' && !(relaxed && is_wsp(buf[j])))
			j++;
		bc_content(bc, buf + i, j - i);
		i = j;
	}
	bc_flush(bc);
}

/* dkim_bodycanon_final - the end-of-body rules */
void dkim_bodycanon_final(struct dkim_bodycanon *bc)
{
	if (bc->pending_cr) {
		bc->pending_cr = false;
		bc_content(bc, (const unsigned char *)"\r", 1);
	}
	bc->pending_wsp = false;
	if (bc->line_has_content) {		/* no CRLF at the end: one is added */
		bc_put(bc, (const unsigned char *)"\r\n", 2);
		bc->line_has_content = false;
	}
	bc->empty_lines = 0;			/* trailing empty lines ignored */
	if (bc->canon == DKIM_CANON_SIMPLE && bc->emitted == 0)
		bc_put(bc, (const unsigned char *)"\r\n", 2);	/* simple: empty body is CRLF */
	bc_flush(bc);
}
