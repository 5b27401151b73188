/*
 * milter/lists/listpost.h - the MIME side of encrypted list posts: find the encrypted payload of a
 * post as the MTA handed it over, and write each subscriber's copy around a re-addressed
 * payload.
 *
 * listpost_parse() takes the whole message (header and body, CRLF or LF line ends, as the
 * milter collected it) and classifies it:
 *   LISTPOST_PGPMIME   multipart/encrypted; protocol="application/pgp-encrypted" (RFC 3156
 *                      section 4): the payload is the body of the second part (ASCII armor);
 *   LISTPOST_PGPINLINE a single text part (text/plain or no Content-Type) whose body holds one
 *                      "-----BEGIN PGP MESSAGE-----" block: the payload is that block;
 *   LISTPOST_SMIME     application/pkcs7-mime or application/x-pkcs7-mime (RFC 8551 3.3; any
 *                      smime-type, enveloped-data and RFC 3854's enveloped-x400 included):
 *                      the payload is the body, base64-decoded per Content-Transfer-Encoding
 *                      (base64, or binary/7bit/8bit taken as is) - DER;
 *   LISTPOST_PLAIN     anything else (the caller refuses it);
 *   LISTPOST_BAD       malformed MIME: no boundary, missing parts, bad base64, nesting or size
 *                      limits exceeded - with a reason.
 * Header fields are unfolded; parameter values may be quoted; names are case-insensitive;
 * RFC 2231 continuations are not needed for the fields read here.  Limits: LISTPOST_MAX_DEPTH
 * multipart levels looked into, LISTPOST_MAX_PARTS parts, the header at most
 * LISTPOST_MAX_HEADER octets.
 *
 * listpost_copy() writes one subscriber's copy: the post's header fields except those that
 * must not be copied (Received, Return-Path, Delivered-To, DKIM-Signature,
 * Authentication-Results, ARC-*, Bcc, List-*, Precedence, X-Postward-*, MIME-Version,
 * Content-*), then List-Id (RFC 2919, from LIST_ID), List-Help, List-Unsubscribe,
 * List-Subscribe (RFC 2369, mailto:REQUEST?subject=help|unsubscribe|subscribe, when REQUEST
 * is given), List-Post (mailto:LIST), List-Owner (mailto:OWNER, when given), Autocrypt
 * (addr=LIST; prefer-encrypt=mutual; keydata=..., when keydata is given), Precedence: list,
 * the REQUIRETLS tag when asked, MIME-Version: 1.0, and the new content.  With
 * subject_prefix, the Subject is prefixed once (not when the prefix is in it already,
 * encoded words decoded for that check; an encoded prefix stays outside the post's encoded
 * words); a post without Subject gets "Subject: PREFIX".  With from_rewrite, each From field
 * is replaced, where the first one stood, by From: "DISPLAY via NAME" <LIST> and
 * X-Original-From: the original value; Reply-To: the original value follows unless the post
 * has a Reply-To; the post's Sender and Autocrypt fields and any X-Original-From are left
 * out.  DISPLAY is the first author's display name (policy/mailhdr.h pw_from_mailbox; RFC
 * 2047 words in UTF-8, US-ASCII or ISO-8859-1 decoded), else the local part of the
 * address; a trailing "@domain" is left out of it (a second domain in From is a spam
 * signal), and the whole display name is written as atoms, a quoted-string or RFC 2047
 * encoded-words as it needs.  The content:
 *   PGP/MIME -> the RFC 3156 multipart/encrypted structure around PAYLOAD (ASCII armor);
 *   inline   -> Content-Type text/plain; charset=us-ascii and PAYLOAD (ASCII armor) as body;
 *   S/MIME   -> the post's own Content-Type value, Content-Transfer-Encoding: base64,
 *              Content-Disposition: attachment; filename="smime.p7m", PAYLOAD (DER)
 *              base64-encoded in lines of 76.
 * Line ends of the copy are CRLF.  The boundary is fresh per copy, drawn from the random
 * source of the arguments (RAND_bytes() by default).
 *
 * Pure computation, no I/O, no global state: thread-safe.  Allocations are returned to the
 * caller (free()).
 */
#ifndef POSTWARD_MILTER_LISTPOST_H
#define POSTWARD_MILTER_LISTPOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTPOST_MAX_DEPTH 8
#define LISTPOST_MAX_PARTS 64
#define LISTPOST_MAX_HEADER (1u << 20)
#define LISTPOST_AUTOCRYPT_MAX 16384	/* octets of Autocrypt keydata (a minimal certificate
					 * of an RSA 4096 key is about 2.5 KiB) */

enum listpost_kind { LISTPOST_PLAIN, LISTPOST_PGPMIME, LISTPOST_PGPINLINE, LISTPOST_SMIME,
		     LISTPOST_BAD };

struct listpost {
	enum listpost_kind kind;
	uint8_t *payload;		/* owned: armor text (PGP) or DER (S/MIME) */
	size_t payload_len;
	size_t header_len;		/* octets of the post's header, blank line included */
	char *smime_type;		/* owned: the post's Content-Type value (S/MIME), or NULL */
	char why[160];			/* LISTPOST_BAD: the reason; PLAIN: what it was */
};

/* The text of a command message (listpost_text(), listpost-text.c): a decrypted message to
 * LIST-request is either plain text (inline PGP) or a MIME entity (PGP/MIME).  Of an entity,
 * the text is the first text/plain part found by going down first parts (a multipart/mixed,
 * /alternative, /signed...; Schleuder's rule), its transfer encoding undone; the
 * attachments are the other leaf parts of the multipart/mixed entities on that way (the
 * alternatives of a multipart/alternative, the signature of a multipart/signed are none),
 * decoded too, at most LISTPOST_TEXT_MAX_ATT (more are counted in more_att).  No text/plain
 * part: text is NULL.  Malformed MIME is refused as listpost_parse() refuses it. */
#define LISTPOST_TEXT_MAX_ATT 16

struct listpost_att {
	char *p;			/* owned */
	size_t n;
};

struct listpost_text {
	char *text;			/* owned, or NULL when there is no text/plain part */
	size_t text_len;
	struct listpost_att att[LISTPOST_TEXT_MAX_ATT];
	size_t natt;
	size_t more_att;		/* attachments beyond LISTPOST_TEXT_MAX_ATT, dropped */
	char why[160];			/* LISTPOST_TEXT_BAD: the reason */
};

enum listpost_text_status { LISTPOST_TEXT_OK, LISTPOST_TEXT_BAD, LISTPOST_TEXT_NOMEM };

/* listpost_random_fn - fill BUF with N random octets (CTX as given); 1 on success, 0 if not */
typedef int (*listpost_random_fn)(void *ctx, unsigned char *buf, size_t n);

struct listpost_copy_args {
	const char *list;		/* the list address */
	const char *list_id;		/* List-Id value without angle brackets, e.g.
					 * "board.lists.example.org" */
	const char *list_phrase;	/* optional List-Id phrase, or NULL */
	bool requiretls;		/* add "X-Postward-TLS: required" */
	const char *tag_header;		/* the tag field name (X-Postward-TLS) */
	listpost_random_fn random;	/* the source of the boundary, or NULL for
					 * OpenSSL's RAND_bytes(); a test passes a fixed
					 * one to make copies reproducible */
	void *random_ctx;		/* handed to random */
	/* Added for issue 12; every one zero/NULL means "as before" (no such field) */
	const char *request;		/* LIST-request address: List-Help, List-Subscribe,
					 * List-Unsubscribe (mailto: with the command as
					 * subject), or NULL for none of them */
	const char *owner;		/* LIST-owner address: List-Owner, or NULL */
	bool from_rewrite;		/* From: "Poster via NAME" <LIST>, Reply-To: the poster
					 * (unless the post has one), X-Original-From */
	const char *list_name;		/* NAME for the rewritten From, or NULL: list_phrase,
					 * else the list address's local part */
	const char *subject_prefix;	/* e.g. "[board]": put before the Subject once, or
					 * NULL / "" for none */
	const uint8_t *autocrypt_keydata;	/* the list's minimal certificate (binary
						 * OpenPGP) for an Autocrypt field, or NULL */
	size_t autocrypt_len;		/* its octets (1 to LISTPOST_AUTOCRYPT_MAX) */
};

/* listpost_parse - classify MSG (LEN octets) and extract its payload into *OUT; false only
 * for lack of memory (every other outcome is in out->kind).  Clear with listpost_clear */
bool listpost_parse(const char *msg, size_t len, struct listpost *out);
/* listpost_clear - release what *P owns */
void listpost_clear(struct listpost *p);
/* listpost_copy - the copy of POST (MSG, its original text of MSG_LEN octets, for the header
 * fields) with PAYLOAD (LEN octets) as its encrypted content; *OUT malloc'd; false for lack of
 * memory, a failing random source or arguments that do not fit (POST's header longer than
 * MSG_LEN among them).  The output depends only on the arguments and the octets the random
 * source gives: the same source, the same copy */
bool listpost_copy(const char *msg, size_t msg_len, const struct listpost *post,
		   const struct listpost_copy_args *a, const uint8_t *payload, size_t len,
		   char **out, size_t *outlen);
/* listpost_text - the text and attachments of the decrypted command message MSG (LEN
 * octets; a MIME entity if MIME, else plain text) into *OUT; clear it with
 * listpost_text_clear() whatever the outcome */
enum listpost_text_status listpost_text(const char *msg, size_t len, bool mime,
					struct listpost_text *out);
/* listpost_text_clear - release what *T owns */
void listpost_text_clear(struct listpost_text *t);
/* listpost_author_domain - the domain of POST's first author (MSG's first From field, read
 * with policy/mailhdr.h's pw_from_mailbox: lower case, no trailing dot) into DOMAIN (LEN
 * octets), for fromrewrite_decide(); false when there is none usable (no From, no address,
 * a domain literal, DOMAIN too small) */
bool listpost_author_domain(const char *msg, size_t msg_len, const struct listpost *post,
			    char *domain, size_t len);

#endif
