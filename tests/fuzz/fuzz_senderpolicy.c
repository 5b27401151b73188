/*
 * tests/fuzz/fuzz_senderpolicy.c - fuzz harness for policy/senderpolicy: the DMARC and ADSP
 * evaluation of one message from hostile facts (the From field an SMTP client sent, the TXT
 * answers of the author's DNS, the signatures' d= domains), the Authentication-Results text
 * written from the result, and the built-in practice rules deciding on it.
 *
 * Input contract: two control octets, then five parts separated by NUL octets:
 *   control[0]  bit 0 check ADSP, bit 1 check DMARC, bit 2 answers DNSSEC-secure, bit 3 the
 *               author domain's address query answers NXDOMAIN, bit 4 no Public Suffix List
 *               (the RFC 9989 DNS Tree Walk; else RFC 7489 discovery by a built-in excerpt)
 *   control[1]  unused (it was the pct sample: RFC 9989 removed pct)
 *   FROM        the From field body (through pw_from_parse, as the milter does)
 *   DMARC       TXT answers to the _dmarc. lookups: the first lookup gets the text before an
 *               0x1e octet, the second the text after it; each answer is records separated by
 *               LF, "" NXDOMAIN, "-" NODATA, "!" a DNS error
 *   ADSP        the answer to the _adsp._domainkey. lookup, same form
 *   SIGS        signatures: d= domains separated by spaces, a leading '+' for dkim=pass
 *   SPF         the domain a trusted host reported spf=pass for ("" none)
 * Contract checked: no crash, no sanitizer report; results in range; at most 2 ADSP
 * lookups, and at most PW_SP_WALK_NAMES DMARC names plus one address question; the Authentication-Results text is NUL-terminated inside its buffer, has no
 * control characters and balanced comments, and reads back through pw_ar_parse with one
 * resinfo per method and header.from the author domain; the decision's texts are
 * NUL-terminated, and a reject or tempfail reply text holds no control character or '%'.
 * Nothing outlives an input (the list excerpt is parsed and freed every run).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "senderpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 8
#define MAX_SIGS 16

static const char psl_excerpt[] =
	"com\norg\nnet\nuk\nco.uk\njp\n*.kawasaki.jp\n!city.kawasaki.jp\n"
	"// ===BEGIN PRIVATE DOMAINS===\ngithub.io\n// ===END PRIVATE DOMAINS===\n";

struct answer {
	enum pw_sp_dns kind;
	const char *txt[MAX_RECORDS];
	size_t n;
};

struct dns {
	struct answer dmarc[2], adsp;
	unsigned n_dmarc;
	bool secure, nxdomain;
	unsigned lookups;
};

/* answer_parse - one answer's text (modified in place) into *A */
static void answer_parse(char *s, struct answer *a)
{
	a->n = 0;
	if (s == NULL || *s == '\0') {
		a->kind = PW_SP_DNS_NXDOMAIN;
		return;
	}
	if (strcmp(s, "-") == 0) {
		a->kind = PW_SP_DNS_NODATA;
		return;
	}
	if (strcmp(s, "!") == 0) {
		a->kind = PW_SP_DNS_ERROR;
		return;
	}
	a->kind = PW_SP_DNS_RECORDS;
	for (char *p = s; p != NULL && a->n < MAX_RECORDS;) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		a->txt[a->n++] = p;
		p = nl;
	}
}

/* lookup - the pw_sp_lookup_fn: answers from the input */
static void lookup(void *arg, const char *name, bool txt, struct pw_sp_answer *out)
{
	struct dns *d = arg;
	const struct answer *a = NULL;
	d->lookups++;
	memset(out, 0, sizeof *out);
	out->secure = d->secure;
	if (!txt) {
		out->kind = d->nxdomain ? PW_SP_DNS_NXDOMAIN : PW_SP_DNS_RECORDS;
		return;
	}
	if (strncmp(name, "_dmarc.", 7) == 0)
		a = &d->dmarc[d->n_dmarc++ % 2];
	else if (strncmp(name, "_adsp._domainkey.", 17) == 0)
		a = &d->adsp;
	if (a == NULL) {
		out->kind = PW_SP_DNS_ERROR;
		out->why = "unexpected question";
		return;
	}
	out->kind = a->kind;
	out->txt = a->n ? a->txt : NULL;
	out->n_txt = a->kind == PW_SP_DNS_RECORDS ? a->n : 0;
	if (a->kind == PW_SP_DNS_ERROR)
		out->why = "timed out";
}

/* next_part - the NUL-terminated part at *P (or NULL past the end); advances *P */
static char *next_part(char **p, char *end)
{
	if (*p > end)
		return NULL;
	char *s = *p;
	*p += strlen(s) + 1;
	return s;
}

/* ar_check - an A-R text must be a well-formed header field body */
static void ar_check(const char *buf, size_t len, size_t used)
{
	size_t n = strnlen(buf, len);
	if (n == len)
		abort();
	if (used < len && n != used)
		abort();
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == '(')
			depth++;
		else if (c == ')' && --depth < 0)
			abort();
	}
	if (used < len && depth != 0)
		abort();
}

/* ar_roundtrip - the text, behind an authserv-id, reads back with policy/mailhdr's RFC 8601
 * parser: one resinfo per checked method, the author domain as header.from */
static void ar_roundtrip(const struct pw_sp_result *r)
{
	char buf[4096] = "pw.test";
	size_t used = pw_sp_format_ar(r, buf, sizeof buf, strlen(buf));
	if (used >= sizeof buf)
		return;
	char authserv[64];
	struct pw_ar_resinfo ri[2];
	int n = pw_ar_parse(buf, authserv, sizeof authserv, ri, 2);
	int want = (int)r->adsp_checked + (int)r->dmarc_checked;
	if (want == 0)
		return;		/* "pw.test" alone: the caller adds the other results */
	if (n != want || strcmp(authserv, "pw.test") != 0)
		abort();
	for (int i = 0; i < n; i++)
		if (strcmp(ri[i].header_from, r->from_domain) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t ctl = data[0];
	char *text = malloc(size - 1);
	if (text == NULL)
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	char *p = text, *end = text + size - 2;
	char *from = next_part(&p, end), *dmarc = next_part(&p, end);
	char *adsp = next_part(&p, end), *sigs = next_part(&p, end), *spf = next_part(&p, end);

	struct dns d;
	memset(&d, 0, sizeof d);
	d.secure = ctl & 4;
	d.nxdomain = ctl & 8;
	char *second = dmarc != NULL ? strchr(dmarc, 0x1e) : NULL;
	if (second != NULL)
		*second++ = '\0';
	answer_parse(dmarc, &d.dmarc[0]);
	answer_parse(second, &d.dmarc[1]);
	answer_parse(adsp, &d.adsp);

	struct pw_sp_sig sv[MAX_SIGS];
	size_t nsig = 0;
	for (char *w = sigs; w != NULL && *w != '\0' && nsig < MAX_SIGS;) {
		char *sp = strchr(w, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		sv[nsig].pass = *w == '+';
		sv[nsig++].d = w + (*w == '+');
		w = sp;
	}

	struct pw_psl *psl = NULL;
	if (!(ctl & 16) &&
	    (psl = pw_psl_parse(psl_excerpt, sizeof psl_excerpt - 1, 0, NULL, 0)) == NULL)
		abort();

	struct pw_sp_input in;
	memset(&in, 0, sizeof in);
	char domain[256] = "", why[128] = "";
	size_t nbox = 0;
	in.n_from_fields = from != NULL ? 1 : 0;
	in.from_status = pw_from_parse(from != NULL ? from : "", &nbox, domain, sizeof domain,
				       why, sizeof why);
	in.n_from_mailboxes = nbox;
	in.from_domain = domain;
	in.from_why = why;
	in.sigs = sv;
	in.n_sigs = nsig;
	in.spf_domain = spf != NULL && *spf != '\0' ? spf : NULL;
	in.psl = psl;
	in.adsp = ctl & 1;
	in.dmarc = ctl & 2;
	in.lookup = lookup;
	in.lookup_arg = &d;

	struct pw_sp_result r;
	pw_sp_evaluate(&in, &r);
	if (r.adsp > PW_ADSP_R_PERMERROR || r.dmarc > PW_DMARC_R_PERMERROR ||
	    r.adsp_sec > PW_SP_INSECURE || r.dmarc_sec > PW_SP_INSECURE ||
	    r.dmarc_policy > PW_DMARC_P_REJECT || r.dmarc_disposition > PW_DMARC_P_REJECT ||
	    r.lookups != d.lookups || r.lookups > PW_SP_WALK_NAMES + 3 ||
	    strnlen(r.from_domain, sizeof r.from_domain) == sizeof r.from_domain ||
	    strnlen(r.adsp_why, sizeof r.adsp_why) == sizeof r.adsp_why ||
	    strnlen(r.dmarc_why, sizeof r.dmarc_why) == sizeof r.dmarc_why ||
	    strnlen(r.dmarc_record_domain, sizeof r.dmarc_record_domain) ==
		    sizeof r.dmarc_record_domain)
		abort();

	static const size_t lens[] = { 4096, 120, 1 };
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		char buf[4096];
		size_t len = lens[i];
		buf[0] = '\0';
		size_t used = pw_sp_format_ar(&r, buf, len, 0);
		ar_check(buf, len, used);
	}
	ar_roundtrip(&r);

	struct pw_sp_decision dec;
	pw_sp_decide(NULL, 0, &r, &dec);
	if (strnlen(dec.text, sizeof dec.text) == sizeof dec.text ||
	    strnlen(dec.header, sizeof dec.header) == sizeof dec.header)
		abort();
	/* an SMTP reply text (smfi_setreply): no line break or other control, and no '%',
	 * which libmilter would take for a format directive */
	if (dec.action == PW_SP_REJECT || dec.action == PW_SP_TEMPFAIL)
		for (const char *c = dec.text; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '%')
				abort();

	pw_psl_free(psl);
	free(text);
	return 0;
}
