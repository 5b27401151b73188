/*
 * milter/dkim/dkim-sign.c - DKIM signing of the mail postward writes (list copies, notices,
 * reports): signing keys loaded from PEM files, the DKIM-Signature fields of a whole message,
 * and the keyring that finds a domain's signers.
 * Contract: see dkim-sign.h.  Canonicalisation is the verifier's (dkim-canon.c), so that what
 * postward signs is hashed exactly as postward verifies.  I/O: dkim_signer_load reads the key
 * file; nothing else here does any.  No globals but the constant table of signed fields.
 */
#include "dkim-sign.h"
#include "dkim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define SIG_LINE_MAX	78	/* octets per line of a DKIM-Signature field, CRLF not counted */
#define SHA256_OCTETS	32

const struct dkim_sign_field dkim_sign_fields[DKIM_SIGN_NFIELDS] = {
	{ "From", 1 }, { "Reply-To", 1 }, { "Subject", 1 }, { "Date", 0 }, { "To", 0 },
	{ "Cc", 0 }, { "Message-ID", 0 }, { "In-Reply-To", 0 }, { "References", 0 },
	{ "MIME-Version", 0 }, { "Content-Type", 0 }, { "Content-Transfer-Encoding", 0 },
	{ "List-Id", 1 }, { "List-Post", 1 }, { "List-Help", 1 }, { "List-Owner", 1 },
	{ "List-Unsubscribe", 1 }, { "List-Unsubscribe-Post", 1 }, { "Autocrypt", 0 },
};

struct dkim_signer {
	char domain[DKIM_SIGN_NAME_MAX + 1];	/* lower case, no trailing dot */
	char selector[DKIM_SIGN_NAME_MAX + 1];
	enum dkim_keytype type;
	EVP_PKEY *pkey;				/* owned; never modified after load */
	struct dkim_signer *next;		/* in a keyring: the next one added */
};

struct dkim_keyring {
	struct dkim_signer *head, *tail;	/* owned signers, in the order added */
	size_t n;
};

/* ---- signers ---------------------------------------------------------------------------- */

/* name_ok - a DNS name safe in a tag value: letters, digits, '-', '_' and dots only */
static bool name_ok(const char *s, size_t n)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789-_.";
	return n > 0 && n <= DKIM_SIGN_NAME_MAX && s[0] != '.' && s[n - 1] != '.' &&
	       strspn(s, allowed) >= n && strstr(s, "..") == NULL;
}

/* no_passphrase - PEM password callback: never ask, so an encrypted key fails to load */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* has_text - does BUF (N octets) hold the text WORD */
static bool has_text(const unsigned char *buf, size_t n, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i + wl <= n; i++)
		if (memcmp(buf + i, word, wl) == 0)
			return true;
	return false;
}

/* read_key_file - the whole key file into a malloc'd buffer, after the file checks */
static unsigned char *read_key_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s: private key readable or writable by others (mode %04o): "
			 "chmod o-rwx it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	if (st.st_size <= 0 || st.st_size > DKIM_SIGN_MAX_KEYFILE) {
		snprintf(err, errlen, "%s: %s (a PEM private key is 1 to %d octets)", path,
			 st.st_size <= 0 ? "empty" : "too large", DKIM_SIGN_MAX_KEYFILE);
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	unsigned char *buf = malloc(cap);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			OPENSSL_cleanse(buf, cap);
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n == cap) {			/* grew while being read */
		snprintf(err, errlen, "%s: changed while being read", path);
		OPENSSL_cleanse(buf, cap);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* dkim_signer_load - a signer from a PEM key file */
enum dkim_status dkim_signer_load(const char *domain, const char *selector, const char *path,
				  struct dkim_signer **out, char *err, size_t errlen)
{
	if (out != NULL)
		*out = NULL;
	if (err == NULL || errlen == 0)
		return DKIM_ERR_ARG;
	if (domain == NULL || selector == NULL || path == NULL || out == NULL) {
		snprintf(err, errlen, "missing domain, selector or key file");
		return DKIM_ERR_ARG;
	}
	size_t dl = strlen(domain);
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (!name_ok(domain, dl)) {
		snprintf(err, errlen, "domain \"%s\" is not a domain name", domain);
		return DKIM_ERR_SYNTAX;
	}
	if (!name_ok(selector, strlen(selector))) {
		snprintf(err, errlen, "selector \"%s\" is not a DNS name (letters, digits, '-', '_', "
			 "dots)", selector);
		return DKIM_ERR_SYNTAX;
	}

	size_t len = 0;
	unsigned char *text = read_key_file(path, &len, err, errlen);
	if (text == NULL)
		return DKIM_ERR_CRYPTO;
	bool encrypted = has_text(text, len, "ENCRYPTED");
	ERR_clear_error();		/* so that a failure below reports its own reason */
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(text, len);
	free(text);
	if (pkey == NULL) {
		const char *why = ERR_reason_error_string(ERR_peek_last_error());
		if (encrypted)
			snprintf(err, errlen, "%s: the key is protected by a passphrase; store it "
				 "without one (openssl pkey -in KEY -out PLAIN) and keep the file "
				 "private", path);
		else
			snprintf(err, errlen, "%s: no usable PEM private key (OpenSSL: %s)", path,
				 why != NULL ? why : "decoding failed");
		ERR_clear_error();
		return DKIM_ERR_CRYPTO;
	}

	struct dkim_signer *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		EVP_PKEY_free(pkey);
		snprintf(err, errlen, "%s: out of memory", path);
		return DKIM_ERR_NOMEM;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);
		if (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_MAX_BITS) {
			snprintf(err, errlen, "%s: an RSA key of %d bits (DKIM wants %d to %d; "
				 "2048 is usual)", path, bits, DKIM_RSA_MIN_BITS, DKIM_RSA_MAX_BITS);
			EVP_PKEY_free(pkey);
			free(s);
			return DKIM_ERR_CRYPTO;
		}
		s->type = DKIM_KEYTYPE_RSA;
	} else if (EVP_PKEY_is_a(pkey, "ED25519")) {
		s->type = DKIM_KEYTYPE_ED25519;
	} else {
		const char *tn = EVP_PKEY_get0_type_name(pkey);
		snprintf(err, errlen, "%s: the key is of type %s; DKIM signs with RSA or Ed25519 keys "
			 "only", path, tn ? tn : "unknown");
		EVP_PKEY_free(pkey);
		free(s);
		return DKIM_ERR_CRYPTO;
	}
	for (size_t i = 0; i < dl; i++)
		s->domain[i] = (char)((domain[i] >= 'A' && domain[i] <= 'Z') ?
				      domain[i] + ('a' - 'A') : domain[i]);
	s->domain[dl] = '\0';
	snprintf(s->selector, sizeof(s->selector), "%s", selector);
	s->pkey = pkey;
	*out = s;
	err[0] = '\0';
	return DKIM_OK;
}

/* dkim_signer_free - release */
void dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	free(s);
}

/* dkim_signer_domain - d= */
const char *dkim_signer_domain(const struct dkim_signer *s)
{
	return s->domain;
}

/* dkim_signer_selector - s= */
const char *dkim_signer_selector(const struct dkim_signer *s)
{
	return s->selector;
}

/* dkim_signer_algorithm - a= */
const char *dkim_signer_algorithm(const struct dkim_signer *s)
{
	return s->type == DKIM_KEYTYPE_ED25519 ? "ed25519-sha256" : "rsa-sha256";
}

/* b64_alloc - base64 of N octets, malloc'd, NUL-terminated */
static char *b64_alloc(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* dkim_signer_record - the TXT record for the public half */
enum dkim_status dkim_signer_record(const struct dkim_signer *s, char **out)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	char *p64 = NULL;

	if (s == NULL || out == NULL)
		return DKIM_ERR_ARG;
	*out = NULL;
	if (s->type == DKIM_KEYTYPE_ED25519) {
		if (EVP_PKEY_get_raw_public_key(s->pkey, raw, &rawlen) != 1)
			return DKIM_ERR_CRYPTO;
		p64 = b64_alloc(raw, rawlen);
	} else {
		int n = i2d_PUBKEY(s->pkey, &der);
		if (n <= 0)
			return DKIM_ERR_CRYPTO;
		p64 = b64_alloc(der, (size_t)n);
		OPENSSL_free(der);
	}
	if (p64 == NULL)
		return DKIM_ERR_NOMEM;
	size_t need = strlen(p64) + 40;
	if ((*out = malloc(need)) != NULL)
		snprintf(*out, need, "v=DKIM1; k=%s; p=%s",
			 s->type == DKIM_KEYTYPE_ED25519 ? "ed25519" : "rsa", p64);
	free(p64);
	return *out != NULL ? DKIM_OK : DKIM_ERR_NOMEM;
}

/* ---- the message -------------------------------------------------------------------------- */

/* one header field of the message: name and value NUL-terminated in the header copy */
struct sfield {
	const char *name;
	size_t namelen;			/* trailing white space not counted */
	const char *value;		/* all after the colon, folds as in the message */
};

struct smsg {
	char *copy;			/* owned copy of the header, NULs written in */
	struct sfield *f;		/* owned */
	size_t nf;
	size_t body;			/* offset of the body in the message */
};

/* split_header - MSG's header fields into M; DKIM_ERR_SYNTAX with *REASON, or DKIM_ERR_NOMEM */
static enum dkim_status split_header(const char *msg, size_t len, struct smsg *m,
				     const char **reason)
{
	size_t p = 0, cap = 0, hdr_end = len;

	memset(m, 0, sizeof(*m));
	m->body = len;
	/* first pass: where the header ends */
	while (p < len) {
		const char *nl = memchr(msg + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - msg) : len;
		size_t content = e - p;
		if (content > 0 && msg[e - 1] == '\r' && nl != NULL)
			content--;
		if (content == 0) {
			hdr_end = p;
			m->body = nl ? e + 1 : len;
			break;
		}
		p = nl ? e + 1 : len;
	}
	if ((m->copy = malloc(hdr_end + 1)) == NULL)
		return DKIM_ERR_NOMEM;
	memcpy(m->copy, msg, hdr_end);
	m->copy[hdr_end] = '\0';

	/* second pass: the fields; each value ends where its last line's line end starts */
	p = 0;
	while (p < hdr_end) {
		const char *nl = memchr(m->copy + p, '\n', hdr_end - p);
		size_t e = nl ? (size_t)(nl - m->copy) : hdr_end;
		size_t stop = e;
		if (nl != NULL && e > p && m->copy[e - 1] == '\r')
			stop = e - 1;
		char c0 = m->copy[p];
		if (c0 == ' ' || c0 == '\t') {
			if (m->nf == 0) {
				*reason = "the header starts with a folded line";
				return DKIM_ERR_SYNTAX;
			}
		} else {
			char *colon = memchr(m->copy + p, ':', stop - p);
			if (colon == NULL) {
				*reason = "a header line is neither a field nor a fold";
				return DKIM_ERR_SYNTAX;
			}
			if (m->nf == cap) {
				size_t ncap = cap ? cap * 2 : 32;
				struct sfield *nf = realloc(m->f, ncap * sizeof(*nf));
				if (nf == NULL)
					return DKIM_ERR_NOMEM;
				m->f = nf;
				cap = ncap;
			}
			*colon = '\0';
			size_t nlen = (size_t)(colon - (m->copy + p));
			while (nlen > 0 && (m->copy[p + nlen - 1] == ' ' ||
					    m->copy[p + nlen - 1] == '\t'))
				nlen--;
			m->f[m->nf].name = m->copy + p;
			m->f[m->nf].namelen = nlen;
			m->f[m->nf].value = colon + 1;
			m->nf++;
		}
		/* end the current field here unless the next line folds it */
		size_t next = nl ? e + 1 : hdr_end;
		if (next >= hdr_end || (m->copy[next] != ' ' && m->copy[next] != '\t'))
			m->copy[stop] = '\0';
		p = next;
	}
	return DKIM_OK;
}

/* smsg_free - release */
static void smsg_free(struct smsg *m)
{
	free(m->copy);
	free(m->f);
}

/* name_is - does field F carry NAME (ASCII case ignored) */
static bool name_is(const struct sfield *f, const char *name)
{
	return strlen(name) == f->namelen && strncasecmp(f->name, name, f->namelen) == 0;
}

struct body_sink {
	EVP_MD_CTX *md;
	bool failed;
};

/* body_sink_fn - canonical body octets into the hash */
static void body_sink_fn(void *arg, const unsigned char *buf, size_t len)
{
	struct body_sink *b = arg;
	if (!b->failed && EVP_DigestUpdate(b->md, buf, len) != 1)
		b->failed = true;
}

/* body_hash - SHA-256 of the relaxed canonical body; bare LF taken as CRLF */
static bool body_hash(const char *body, size_t len, unsigned char *out)
{
	struct body_sink sink = { EVP_MD_CTX_new(), false };
	struct dkim_bodycanon bc;
	unsigned int dlen = 0;
	size_t start = 0;
	bool ok;

	if (sink.md == NULL || EVP_DigestInit_ex(sink.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(sink.md);
		return false;
	}
	dkim_bodycanon_init(&bc, DKIM_CANON_RELAXED, body_sink_fn, &sink);
	for (size_t i = 0; i < len; i++) {
		if (body[i] != '\n' || (i > 0 && body[i - 1] == '\r'))
			continue;
		dkim_bodycanon_update(&bc, (const unsigned char *)body + start, i - start);
		dkim_bodycanon_update(&bc, (const unsigned char *)"\r\n", 2);
		start = i + 1;
	}
	dkim_bodycanon_update(&bc, (const unsigned char *)body + start, len - start);
	dkim_bodycanon_final(&bc);
	ok = !sink.failed && EVP_DigestFinal_ex(sink.md, out, &dlen) == 1 && dlen == SHA256_OCTETS;
	EVP_MD_CTX_free(sink.md);
	return ok;
}

/* ---- building the field -------------------------------------------------------------------- */

/* one DKIM-Signature field being written: h= names at most DKIM_MAX_HNAMES fields of at
 * most 25 octets, d= and s= at most DKIM_SIGN_NAME_MAX octets each, b= at most the base64 of
 * DKIM_RSA_MAX_BITS / 8 octets, every line at most SIG_LINE_MAX octets plus its CRLF TAB:
 * FIELD_MAX holds the largest with room to spare, so it is never grown */
#define FIELD_MAX	12288
struct fold {
	char buf[FIELD_MAX];
	size_t len;
	size_t line;			/* octets on the current line */
	bool full;			/* something did not fit (a bug: see FIELD_MAX) */
};

/* fold_raw - append N octets as they are */
static void fold_raw(struct fold *f, const char *s, size_t n)
{
	if (f->full || n >= sizeof(f->buf) - f->len) {
		f->full = true;
		return;
	}
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len] = '\0';
}

/* fold_break - start a new line (CRLF TAB: FWS) */
static void fold_break(struct fold *f)
{
	fold_raw(f, "\r\n\t", 3);
	f->line = 1;
}

/* fold_token - append TOKEN, after a space if SPACE, on a new line if it would not fit */
static void fold_token(struct fold *f, const char *token, bool space)
{
	size_t n = strlen(token);
	if (f->line > 1 && f->line + (space ? 1 : 0) + n > SIG_LINE_MAX)
		fold_break(f);
	else if (space) {
		fold_raw(f, " ", 1);
		f->line++;
	}
	fold_raw(f, token, n);
	f->line += n;
}

/* fold_b64 - append base64 text, broken wherever a line is full */
static void fold_b64(struct fold *f, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		if (f->line >= SIG_LINE_MAX)
			fold_break(f);
		size_t k = SIG_LINE_MAX - f->line;
		if (k > n)
			k = n;
		fold_raw(f, s, k);
		f->line += k;
		s += k;
		n -= k;
	}
}

/* canon_into - the relaxed canonical form of NAME:VALUE into MD; DROP_CRLF for the
 * signature field itself */
static bool canon_into(EVP_MD_CTX *md, char **scratch, size_t *size, const char *name,
		       const char *value, bool drop_crlf)
{
	size_t n = dkim_canon_header(DKIM_CANON_RELAXED, name, value, *scratch, *size);
	if (n >= *size) {
		char *p = realloc(*scratch, n + 1);
		if (p == NULL)
			return false;
		*scratch = p;
		*size = n + 1;
		n = dkim_canon_header(DKIM_CANON_RELAXED, name, value, *scratch, *size);
	}
	if (drop_crlf && n >= 2)
		n -= 2;
	return EVP_DigestUpdate(md, *scratch, n) == 1;
}

/* raw_sign - the signature of the header hash DIGEST with S's key into SIG (room SIGMAX) */
static bool raw_sign(const struct dkim_signer *s, const unsigned char *digest,
		     unsigned char *sig, size_t *siglen)
{
	bool ok = false;
	if (s->type == DKIM_KEYTYPE_ED25519) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		ok = m != NULL && EVP_DigestSignInit(m, NULL, NULL, NULL, s->pkey) == 1 &&
		     EVP_DigestSign(m, sig, siglen, digest, SHA256_OCTETS) == 1;
		EVP_MD_CTX_free(m);
	} else {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(s->pkey, NULL);
		ok = pc != NULL && EVP_PKEY_sign_init(pc) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(pc, sig, siglen, digest, SHA256_OCTETS) == 1;
		EVP_PKEY_CTX_free(pc);
	}
	return ok;
}

/* write_tags - the field up to and including "b=" into F (zeroed): every tag but b='s value */
static enum dkim_status write_tags(const struct dkim_signer *s, const struct smsg *m,
				   const char *bh64, time_t t, struct fold *f, const char **reason)
{
	char tok[DKIM_SIGN_NAME_MAX + 64];
	size_t listed = 0;

	fold_raw(f, "DKIM-Signature: v=1;", 20);
	f->line = 20;
	snprintf(tok, sizeof(tok), "a=%s;", dkim_signer_algorithm(s));
	fold_token(f, tok, true);
	fold_token(f, "c=relaxed/relaxed;", true);
	snprintf(tok, sizeof(tok), "d=%s;", s->domain);
	fold_token(f, tok, true);
	snprintf(tok, sizeof(tok), "s=%s;", s->selector);
	fold_token(f, tok, true);
	snprintf(tok, sizeof(tok), "t=%lld;", (long long)t);
	fold_token(f, tok, true);
	/* h=: each name as often as its field occurs, once more if oversigned; From always is */
	for (size_t j = 0; j < DKIM_SIGN_NFIELDS; j++) {
		size_t times = dkim_sign_fields[j].oversign ? 1 : 0;
		for (size_t i = 0; i < m->nf; i++)
			times += name_is(&m->f[i], dkim_sign_fields[j].name);
		if (listed + times > DKIM_MAX_HNAMES) {
			*reason = "too many header fields to sign";
			return DKIM_ERR_LIMIT;
		}
		for (size_t k = 0; k < times; k++, listed++) {
			snprintf(tok, sizeof(tok), "%s%s:", listed == 0 ? "h=" : "",
				 dkim_sign_fields[j].name);
			fold_token(f, tok, listed == 0);
		}
	}
	f->buf[f->len - 1] = ';';		/* the last name's ':' ends h= */
	snprintf(tok, sizeof(tok), "bh=%s;", bh64);
	fold_token(f, tok, true);
	fold_token(f, "b=", true);
	if (f->full) {
		*reason = "signature field too large";
		return DKIM_ERR_LIMIT;
	}
	return DKIM_OK;
}

/* header_digest - SHA-256 of the header data (RFC 6376 5.4): the fields h= names, each
 * taken bottom-up as every verifier selects them, then the signature field FIELD ("b="
 * empty) without its CRLF */
static bool header_digest(const struct smsg *m, const char *field, unsigned char *digest,
			  char **scratch, size_t *scratch_size)
{
	unsigned int dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	for (size_t j = 0; j < DKIM_SIGN_NFIELDS && ok; j++)
		for (size_t i = m->nf; i-- > 0 && ok;)
			if (name_is(&m->f[i], dkim_sign_fields[j].name))
				ok = canon_into(md, scratch, scratch_size, m->f[i].name,
						m->f[i].value, false);
	ok = ok && canon_into(md, scratch, scratch_size, "DKIM-Signature",
			      field + strlen("DKIM-Signature:"), true) &&
	     EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == SHA256_OCTETS;
	EVP_MD_CTX_free(md);
	return ok;
}

/* sign_one - S's whole DKIM-Signature field, CRLF included, into F (zeroed) */
static enum dkim_status sign_one(const struct dkim_signer *s, const struct smsg *m,
				 const char *bh64, time_t t, struct fold *f, char **scratch,
				 size_t *scratch_size, const char **reason)
{
	unsigned char digest[SHA256_OCTETS], sig[DKIM_RSA_MAX_BITS / 8];
	char b64[4 * ((sizeof(sig) + 2) / 3) + 1];
	size_t siglen = sizeof(sig);
	enum dkim_status st = write_tags(s, m, bh64, t, f, reason);

	if (st != DKIM_OK)
		return st;
	if (!header_digest(m, f->buf, digest, scratch, scratch_size)) {
		*reason = "cannot hash the header";
		return DKIM_ERR_CRYPTO;
	}
	bool signed_ok = raw_sign(s, digest, sig, &siglen);
	OPENSSL_cleanse(digest, sizeof(digest));
	if (!signed_ok || siglen > sizeof(sig)) {
		*reason = "signing failed";
		return DKIM_ERR_CRYPTO;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	fold_b64(f, b64);
	fold_raw(f, "\r\n", 2);
	if (f->full) {
		*reason = "signature field too large";
		return DKIM_ERR_LIMIT;
	}
	return DKIM_OK;
}

/* dkim_sign - the DKIM-Signature fields of MSG */
enum dkim_status dkim_sign(const struct dkim_signer *const *signers, size_t n, const char *msg,
			   size_t len, time_t t, char **header_out, const char **reason)
{
	const char *dummy;
	struct smsg m;
	unsigned char bh[SHA256_OCTETS];
	char bh64[4 * ((SHA256_OCTETS + 2) / 3) + 1], *scratch = NULL;
	size_t scratch_size = 0;
	struct fold *fields = NULL;
	enum dkim_status st;

	if (reason == NULL)
		reason = &dummy;
	*reason = "";
	if (header_out != NULL)
		*header_out = NULL;
	bool args_ok = signers != NULL && n > 0 && n <= DKIM_SIGN_MAX_SIGNERS && msg != NULL &&
		       header_out != NULL;
	for (size_t i = 0; args_ok && i < n; i++)
		args_ok = signers[i] != NULL;
	if (!args_ok) {
		*reason = "bad argument";
		return DKIM_ERR_ARG;
	}
	st = split_header(msg, len, &m, reason);
	if (st == DKIM_ERR_NOMEM)
		*reason = "out of memory";
	if (st == DKIM_OK) {
		bool from = false;
		for (size_t i = 0; i < m.nf; i++)
			from = from || name_is(&m.f[i], "From");
		if (!from) {
			*reason = "no From field";
			st = DKIM_ERR_SYNTAX;
		}
	}
	if (st == DKIM_OK && !body_hash(msg + m.body, len - m.body, bh)) {
		*reason = "cannot hash the body";
		st = DKIM_ERR_CRYPTO;
	}
	if (st == DKIM_OK && (fields = calloc(n, sizeof(*fields))) == NULL) {
		*reason = "out of memory";
		st = DKIM_ERR_NOMEM;
	}
	if (st == DKIM_OK)
		EVP_EncodeBlock((unsigned char *)bh64, bh, SHA256_OCTETS);
	size_t total = 0;
	for (size_t i = 0; i < n && st == DKIM_OK; i++) {
		st = sign_one(signers[i], &m, bh64, t, &fields[i], &scratch, &scratch_size, reason);
		total += fields[i].len;
	}
	if (st == DKIM_OK && (*header_out = malloc(total + 1)) == NULL) {
		*reason = "out of memory";
		st = DKIM_ERR_NOMEM;
	}
	if (st == DKIM_OK) {
		size_t at = 0;
		for (size_t i = 0; i < n; i++) {
			memcpy(*header_out + at, fields[i].buf, fields[i].len);
			at += fields[i].len;
		}
		(*header_out)[at] = '\0';
	}
	free(fields);
	free(scratch);
	smsg_free(&m);
	return st;
}

/* dkim_sign_prepend - sign *MSG and splice the fields in front of it */
enum dkim_status dkim_sign_prepend(const struct dkim_signer *const *signers, size_t n, time_t t,
				   char **msg, size_t *len, const char **reason)
{
	const char *dummy;
	char *fields = NULL, *out;

	if (reason == NULL)
		reason = &dummy;
	if (msg == NULL || *msg == NULL || len == NULL) {
		*reason = "bad argument";
		return DKIM_ERR_ARG;
	}
	enum dkim_status st = dkim_sign(signers, n, *msg, *len, t, &fields, reason);
	if (st != DKIM_OK)
		return st;
	size_t fl = strlen(fields);
	if (*len > SIZE_MAX - fl - 1 || (out = malloc(fl + *len + 1)) == NULL) {
		free(fields);
		*reason = "out of memory";
		return DKIM_ERR_NOMEM;
	}
	memcpy(out, fields, fl);
	memcpy(out + fl, *msg, *len);
	out[fl + *len] = '\0';
	free(fields);
	free(*msg);
	*msg = out;
	*len += fl;
	return DKIM_OK;
}

/* ---- the keyring --------------------------------------------------------------------------- */

/* dkim_keyring_new - empty */
struct dkim_keyring *dkim_keyring_new(void)
{
	return calloc(1, sizeof(struct dkim_keyring));
}

/* dkim_keyring_add - take S in */
enum dkim_status dkim_keyring_add(struct dkim_keyring *ring, struct dkim_signer *s,
				  const char **reason)
{
	const char *dummy;
	size_t same = 0;

	if (reason == NULL)
		reason = &dummy;
	*reason = "";
	if (ring == NULL || s == NULL || s->next != NULL || s == ring->tail) {
		*reason = "bad argument";
		return DKIM_ERR_ARG;
	}
	for (const struct dkim_signer *o = ring->head; o != NULL; o = o->next) {
		if (strcmp(o->domain, s->domain) != 0)
			continue;
		if (strcasecmp(o->selector, s->selector) == 0) {
			*reason = "a key with this domain and selector is already configured";
			return DKIM_ERR_LIMIT;
		}
		same++;
	}
	if (same >= DKIM_SIGN_PER_DOMAIN) {
		*reason = "two keys are already configured for this domain (one Ed25519 and "
			  "one RSA key is the usual pair)";
		return DKIM_ERR_LIMIT;
	}
	if (ring->tail != NULL)
		ring->tail->next = s;
	else
		ring->head = s;
	ring->tail = s;
	ring->n++;
	return DKIM_OK;
}

/* dkim_keyring_count - signers held */
size_t dkim_keyring_count(const struct dkim_keyring *ring)
{
	return ring != NULL ? ring->n : 0;
}

/* dkim_keyring_find - the signers for DOMAIN, or the override */
size_t dkim_keyring_find(const struct dkim_keyring *ring, const char *domain,
			 const struct dkim_signer *const *override, size_t noverride,
			 const struct dkim_signer **out, size_t max)
{
	size_t n = 0;

	if (out == NULL || max == 0)
		return 0;
	if (override != NULL && noverride > 0) {
		for (size_t i = 0; i < noverride && n < max; i++)
			if (override[i] != NULL)
				out[n++] = override[i];
		return n;
	}
	if (ring == NULL || domain == NULL)
		return 0;
	size_t dl = strlen(domain);
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	const char *d = domain;
	while (dl > 0) {
		for (const struct dkim_signer *o = ring->head; o != NULL && n < max; o = o->next)
			if (strlen(o->domain) == dl && strncasecmp(o->domain, d, dl) == 0)
				out[n++] = o;
		if (n > 0)
			return n;
		const char *dot = memchr(d, '.', dl);
		if (dot == NULL)
			break;
		dl -= (size_t)(dot + 1 - d);
		d = dot + 1;
	}
	return 0;
}

/* dkim_keyring_free - release the ring and its signers */
void dkim_keyring_free(struct dkim_keyring *ring)
{
	if (ring == NULL)
		return;
	for (struct dkim_signer *o = ring->head, *next; o != NULL; o = next) {
		next = o->next;
		dkim_signer_free(o);
	}
	free(ring);
}
