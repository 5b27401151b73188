#!/bin/bash
# tests/lists/fromrewrite.sh - the DMARC-aware From of list copies decided against real DNS:
# tests/lists/pw-fromrewrite (milter/lists/fromrewrite.c on postward's validating resolver)
# asks the signed NSD fixture (tests/dns/fixture.sh) through the hostile proxy
# tests/dns/dnsproxy.py for author domains publishing p=reject, p=quarantine, p=none, no record,
# sp=none at the organisational domain, a record in an unsigned zone, a bogus record
# (bogus.test), a SERVFAIL and a dropped query.  auto: quarantine and reject rewrite, none and
# no record do not; a failure rewrites and says so; always and never ask nothing.  A second
# decision for the same domain is answered by the cache (no query sent); 4 threads deciding at
# once agree with the serial decision.  Without a list (-p) the decision follows RFC 9989's
# DNS Tree Walk: a subdomain gets the policy of the Organizational Domain found by the walk,
# and a second walk for the same name is answered by the cache (no query sent).
# Env: PW_FROMREWRITE (default ./tests/lists/pw-fromrewrite).  Ends with "N passed, M failed".
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/../openpgp/lib.sh"	# set -u, here, ok/ko, finish, opgp_tmp
TOOL=${PW_FROMREWRITE:-$(pwd)/tests/lists/pw-fromrewrite}
PY=/usr/bin/python3
proxy=""
stop_all() {
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null
	"$here/../dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
}
opgp_tmp pw-fromrewrite
opgp_atexit=stop_all
[ -x "$TOOL" ] || { ko "no $TOOL (make check builds it)"; finish; }
cd "$tmp" || exit 1

mkdir records
cat > records/secure.test.records <<'EOR'
rej A 192.0.2.1
_dmarc.rej TXT "v=DMARC1; p=reject"
quar A 192.0.2.1
_dmarc.quar TXT "v=DMARC1; p=quarantine; pct=10"
mon A 192.0.2.1
_dmarc.mon TXT "v=DMARC1; p=none"
nodmarc A 192.0.2.1
spnone A 192.0.2.1
_dmarc.spnone TXT "v=DMARC1; p=reject; sp=none"
x.spnone A 192.0.2.1
two A 192.0.2.1
_dmarc.two TXT "v=DMARC1; p=reject"
_dmarc.two TXT "v=DMARC1; p=none"
bad A 192.0.2.1
_dmarc.bad TXT "v=DMARC1; p=sometimes"
sf A 192.0.2.1
_dmarc.sf TXT "v=DMARC1; p=none"
slow A 192.0.2.1
_dmarc.slow TXT "v=DMARC1; p=none"
EOR
"$here/../dns/fixture.sh" start "$tmp/dns" "$tmp/records" >/dev/null || { ko "DNS fixture"; finish; }
. "$tmp/dns/env"
# the organisational domain of x.y.secure.test is y.secure.test (secure.test is a suffix here)
printf 'test\nsecure.test\n' > psl.dat

printf '%s\n' '_dmarc.sf.secure.test TXT servfail' '_dmarc.slow.secure.test TXT drop' > rules
$PY "$here/../dns/dnsproxy.py" --upstream "$DNS_SERVER" --rules "$tmp/rules" \
	--ready "$tmp/proxy.port" --log "$tmp/proxy.log" --daemon "$tmp/proxy.pid" 2> proxy.err ||
	{ ko "dnsproxy did not start: $(cat proxy.err)"; finish; }
proxy=$(cat "$tmp/proxy.pid")
SERVER="127.0.0.1@$(cat proxy.port)"

decide() {	# decide MODE DOMAIN... -> out.txt
	"$TOOL" -s "$SERVER" -a "$TRUST_ANCHOR" -p psl.dat -t 1 "$@" > out.txt 2> err.txt ||
		ko "pw-fromrewrite $*: exit $? ($(cat err.txt))"
}
# expect DOMAIN PATTERN...: the line of DOMAIN in out.txt matches every PATTERN (grep -E)
expect() {
	local d=$1 line p
	shift
	line=$(grep -E "^$d " out.txt | head -1)
	for p in "$@"; do
		if ! printf '%s\n' "$line" | grep -Eq -- "$p"; then
			ko "$d: '$p' not in: ${line:-<no line>}"
			return
		fi
	done
	ok "$d: $*"
}

decide auto rej.secure.test quar.secure.test mon.secure.test nodmarc.secure.test \
	spnone.secure.test x.spnone.secure.test sub.rej.secure.test two.secure.test \
	bad.secure.test insecure.test bogus.test sf.secure.test slow.secure.test - \
	rej.secure.test
expect rej.secure.test "rewrite=yes policy=reject dnssec=secure lookup=yes temperror=no" \
	"reason=dmarc p=reject at rej.secure.test \(secure\)"
expect quar.secure.test "rewrite=yes policy=quarantine dnssec=secure"
expect mon.secure.test "rewrite=no policy=none dnssec=secure" "reason=dmarc p=none"
expect nodmarc.secure.test "rewrite=no policy=unspecified .*temperror=no" \
	"reason=no DMARC record \(secure\)"
expect spnone.secure.test "rewrite=yes policy=reject"
expect x.spnone.secure.test "rewrite=no policy=none" "at spnone.secure.test"
expect sub.rej.secure.test "rewrite=yes policy=reject" "reason=dmarc p=reject at rej.secure.test"
expect two.secure.test "rewrite=no policy=unspecified" "2 records at _dmarc.two.secure.test"
expect bad.secure.test "rewrite=no" "invalid record"
expect insecure.test "rewrite=yes policy=reject dnssec=insecure" "at insecure.test \(insecure\)"
expect bogus.test "rewrite=yes .*temperror=yes" "reason=DNS failure for _dmarc.bogus.test: .*bogus" \
	"rewriting, the safe choice"
expect sf.secure.test "rewrite=yes .*temperror=yes" "_dmarc.sf.secure.test: TEMPFAIL .*rcode 2" \
	"the safe choice"
expect slow.secure.test "rewrite=yes .*temperror=yes" "_dmarc.slow.secure.test" "the safe choice"
expect - "rewrite=yes .*lookup=no" "no usable author domain"
# cached DOMAIN: out.txt has two decisions for DOMAIN, the first sent queries, the second none
cached() {
	if [ "$(grep -c "^$1 " out.txt)" = 2 ] &&
	   grep "^$1 " out.txt | tail -1 | grep -q ' sent=0 ' &&
	   grep "^$1 " out.txt | head -1 | grep -Eq ' sent=[1-9]'; then
		ok "second decision for $1 answered from the cache"
	else
		ko "cache: $(grep "^$1 " out.txt | tr '\n' '|')"
	fi
}
# the same domain again: the cache answers, no query sent
cached rej.secure.test
if grep -q '^_dmarc.sf.secure.test TXT servfail' proxy.log &&
   grep -q '^_dmarc.slow.secure.test TXT drop' proxy.log; then
	ok "the proxy answered SERVFAIL and dropped the query"
else
	ko "proxy log: $(tr '\n' '|' < proxy.log)"
fi

# the DNS Tree Walk (no list, the default): x.spnone.secure.test walks up to secure.test (the
# fewest labels with a record), whose p=reject applies as sp - where the list above made
# spnone.secure.test the organisational domain (sp=none, no rewrite).  Twice: the second walk
# costs no query.
"$TOOL" -s "$SERVER" -a "$TRUST_ANCHOR" -t 1 auto x.spnone.secure.test x.spnone.secure.test \
	> out.txt 2> err.txt || ko "pw-fromrewrite (tree walk): exit $? ($(cat err.txt))"
expect x.spnone.secure.test "rewrite=yes policy=reject dnssec=secure" "at secure.test \(secure\)"
cached x.spnone.secure.test

# always and never: no lookup at all
: > proxy.log
decide always nodmarc.secure.test mon.secure.test
expect nodmarc.secure.test "rewrite=yes .*lookup=no" "reason=from_rewrite always"
decide never rej.secure.test bogus.test
expect rej.secure.test "rewrite=no .*lookup=no" "reason=from_rewrite never"
expect bogus.test "rewrite=no .*lookup=no"
if [ -s proxy.log ]; then ko "always/never asked: $(tr '\n' '|' < proxy.log)"; else ok "always and never ask nothing"; fi

# worker threads: 4 at once on one resolver agree with the serial decision
decide -P 4 auto quar.secure.test nodmarc.secure.test bogus.test
if grep -q DISAGREE out.txt || [ "$(wc -l < out.txt)" != 3 ]; then
	ko "threads: $(tr '\n' '|' < out.txt)"
else
	ok "4 threads at once agree (quarantine, no record, bogus)"
fi
expect quar.secure.test "rewrite=yes policy=quarantine"
expect bogus.test "rewrite=yes .*temperror=yes"
finish
