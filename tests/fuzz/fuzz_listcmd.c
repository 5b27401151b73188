/*
 * tests/fuzz/fuzz_listcmd.c - fuzz harness for the commands of LIST-request: the text of a
 * decrypted command message (milter/lists/listpost-text.c) and its commands, permissions
 * and reply (policy/listcmd.c).
 *
 * Input contract: the first octet's low bit says whether the rest is a MIME entity (1, as a
 * PGP/MIME command decrypts) or plain text (0, inline PGP); the rest, copied to a buffer of
 * its own size (not NUL-terminated, so a read past the end is caught), goes to
 * listpost_text(), and the text and attachments it gives to listcmd_parse().
 * Contract checked: no crash, no sanitizer report, nothing left allocated; listpost_text's
 * text and attachments within their counts; every command's strings terminated within their
 * buffers, its key spans inside the text or an attachment, its values in range (a bad
 * command has a reason, a good one a keyword); the status consistent with the commands;
 * the permission answers consistent with the table (admins may do all a member may); the
 * reply, with results of every outcome, NUL-terminated at its length with no control
 * octets but LF and TAB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listcmd.h"
#include "lists/listpost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* inside - whether the span S lies within [P, P+N) */
static bool inside(struct listcmd_span s, const char *p, size_t n)
{
	return s.p >= p && s.n <= n && (size_t)(s.p - p) <= n - s.n;
}

/* check_cmd - the contract of one command */
static void check_cmd(const struct listcmd *c, const struct listpost_text *t)
{
	if (strnlen(c->echo, sizeof(c->echo)) == sizeof(c->echo) ||
	    strnlen(c->why, sizeof(c->why)) == sizeof(c->why) ||
	    strnlen(c->addr, sizeof(c->addr)) == sizeof(c->addr) ||
	    strnlen(c->fpr, sizeof(c->fpr)) == sizeof(c->fpr) || c->nargs > LISTCMD_MAX_ARGS ||
	    c->nkeys > LISTCMD_MAX_KEYS || c->kw >= LISTCMD_NKW)
		abort();
	if (c->bad ? c->why[0] == '\0' : c->kw == LISTCMD_UNKNOWN)
		abort();
	for (const char *e = c->echo; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			abort();
	for (size_t i = 0; i < c->nargs; i++)
		if (strnlen(c->args[i], sizeof(c->args[i])) == sizeof(c->args[i]))
			abort();
	if (!c->bad && c->fpr[0] != '\0' && strlen(c->fpr) != LISTCMD_FPR_LEN)
		abort();
	for (size_t i = 0; i < c->nkeys; i++) {
		bool ok = inside(c->keys[i], t->text, t->text_len);
		for (size_t j = 0; j < t->natt && !ok; j++)
			ok = inside(c->keys[i], t->att[j].p, t->att[j].n);
		if (!ok || c->keys[i].n > LISTCMD_MAX_KEY)
			abort();
	}
}

/* check_perms - admins may do whatever a member may, on any subscription */
static void check_perms(const struct listcmd *c, const struct listcmd_perms *p)
{
	char why[200];
	bool member = listcmd_check(c, "carol@example.net", false, p, why, sizeof(why));
	bool admin = listcmd_permitted(c->kw, true, false, p);
	if (member && (!admin || c->bad))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listpost_text t;
	struct listcmd_att atts[LISTPOST_TEXT_MAX_ATT];
	struct listcmd_result res[LISTCMD_MAX];
	struct listcmd_req *req;
	struct listcmd_perms perms;
	char *msg, *reply;
	size_t len;
	bool mime;

	if (size < 1)
		return 0;
	mime = data[0] & 1;
	if ((msg = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(msg, data + 1, size - 1);
	if (listpost_text(msg, size - 1, mime, &t) != LISTPOST_TEXT_OK || t.text == NULL) {
		listpost_text_clear(&t);
		free(msg);
		return 0;
	}
	if (t.natt > LISTPOST_TEXT_MAX_ATT)
		abort();
	for (size_t i = 0; i < t.natt; i++) {
		atts[i].p = t.att[i].p;
		atts[i].n = t.att[i].n;
	}
	if ((req = malloc(sizeof(*req))) == NULL)
		abort();
	listcmd_parse(t.text, t.text_len, atts, t.natt, req);
	listcmd_check_list(req, "board@lists.example.org", "board-request@lists.example.org");
	listcmd_perms_default(&perms);
	if (req->n > LISTCMD_MAX || req->atts_used > req->natts ||
	    (req->status == LISTCMD_REQ_OK && req->n == 0))
		abort();
	for (size_t i = 0; i < req->n; i++) {
		check_cmd(&req->cmds[i], &t);
		check_perms(&req->cmds[i], &perms);
		res[i].outcome = (enum listcmd_outcome)(i % 4);
		res[i].text = i % 3 == 0 ? NULL : i % 3 == 1 ? "one\r\nline\001" : "";
	}
	reply = listcmd_reply(req, "board@lists.example.org", req->n % 2 ? res : NULL, &len);
	if (reply != NULL) {
		if (strlen(reply) != len)
			abort();
		for (size_t i = 0; i < len; i++)
			if (((unsigned char)reply[i] < 0x20 && reply[i] != '\n' &&
			     reply[i] != '\t') || reply[i] == 0x7f)
				abort();
		free(reply);
	}
	free(req);
	listpost_text_clear(&t);
	free(msg);
	return 0;
}
