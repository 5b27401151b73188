#!/bin/bash
# tests/practice/temperror.sh - a temporary error never turns into a DMARC or ADSP failure,
# end to end through miltertest: postward asks the DNSSEC fixture (tests/dns/fixture.sh)
# through the hostile proxy tests/dns/dnsproxy.py, which drops the DKIM key query of a
# validly signed message while the author domain's DMARC (p=reject) and ADSP (dkim=all)
# records are answered.  The signature is dkim=temperror; because it is aligned (it might have
# passed), DMARC and ADSP are temperror and the message is tempfailed (451 4.4.3), never
# rejected (regression test: DMARC was "fail" and the p=reject default answered 550 5.7.1).
# A temperror signature that is not aligned (adkim=s with d= the parent domain) changes
# nothing: fail, 550.  An spf=temperror from a trusted Authentication-Results field for an
# aligned domain is temperror too; for an unaligned one, fail.  With the drop rule gone, the
# same message passes.  dns_timeout is 1 s; the test waits for the daemon's replies and for
# the proxy's log lines, never for time.
# Env: POSTWARD.  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
POSTWARD=${POSTWARD:-$here/../../milter/postward}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-temperror.XXXXXX") || exit 1
pid=""
proxy=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null && wait "$proxy" 2>/dev/null
	"$here/../dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null || { bad "openssl genpkey"; finish; }
ed_pub=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 > ed.seed
mkdir records
cat > records/secure.test.records <<EOR
ed1._domainkey TXT "v=DKIM1; k=ed25519; p=$ed_pub"
quar A 192.0.2.1
_dmarc.quar TXT "v=DMARC1; p=quarantine"
strict A 192.0.2.1
_dmarc.strict TXT "v=DMARC1; p=reject; adkim=s"
monitor A 192.0.2.1
_dmarc.monitor TXT "v=DMARC1; p=none"
EOR
"$here/../dns/fixture.sh" start "$tmp/dns" "$tmp/records" >/dev/null || { bad "DNS fixture"; finish; }
. "$tmp/dns/env"

# the proxy in front of the fixture; rules: the key query of selector ed1 is dropped
echo 'ed1._domainkey.secure.test TXT drop' > rules
$PY "$here/../dns/dnsproxy.py" --upstream "$DNS_SERVER" --rules "$tmp/rules" \
	--ready "$tmp/proxy.port" --log "$tmp/proxy.log" --daemon "$tmp/proxy.pid" 2> proxy.err ||
	{ bad "dnsproxy did not start: $(cat proxy.err)"; finish; }
proxy=$(cat "$tmp/proxy.pid")
PROXY_PORT=$(cat proxy.port)

mkmsg() {	# mkmsg FILE HEADER-LINES...
	local file=$1
	shift
	{ for l in "$@"; do printf '%s\n' "$l"; done
	  printf 'To: bob@example.net\nSubject: temperror test\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nHello.\n'
	} > "$file"
}
mkmsg plain-secure.txt 'From: Alice <alice@secure.test>'
mkmsg plain-quar.txt 'From: alice@quar.secure.test'
mkmsg plain-strict.txt 'From: alice@strict.secure.test'
mkmsg plain-monitor.txt 'From: alice@monitor.secure.test'
mkmsg spf-temp.eml 'Authentication-Results: mx.trusted.test; spf=temperror smtp.mailfrom=bounce@secure.test' 'From: alice@secure.test'
mkmsg spf-temp-other.eml 'Authentication-Results: mx.trusted.test; spf=temperror smtp.mailfrom=bounce@example.org' 'From: alice@secure.test'
mkmsg spf-temp-untrusted.eml 'Authentication-Results: evil.example; spf=temperror smtp.mailfrom=bounce@secure.test' 'From: alice@secure.test'
$PY - <<'PYEOF' || bad "dkimpy signing"
import dkim
def sign(src, out, dom):
    msg = open(src, 'rb').read()
    key = open('ed.seed', 'rb').read().strip()
    sig = dkim.sign(msg, b'ed1', dom, key, signature_algorithm=b'ed25519-sha256',
                    include_headers=[b'from', b'to', b'subject'])
    open(out, 'wb').write(sig + msg)
sign('plain-secure.txt', 'first-party.eml', b'secure.test')
sign('plain-quar.txt', 'relaxed.eml', b'secure.test')
sign('plain-strict.txt', 'strict.eml', b'secure.test')
sign('plain-monitor.txt', 'monitor.eml', b'secure.test')
PYEOF

cat > pw.conf <<EOF2
dns_nameservers = 127.0.0.1@$PROXY_PORT
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 1
authserv_id = pw.test
trusted_authserv_ids = mx.trusted.test
EOF2
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!

run() {	# run MSGFILE QID [CODE XCODE TEXT] -> prints the send.lua output
	local extra=()
	[ $# -ge 5 ] && extra=(-D code="$3" -D xcode="$4" -D text="$5")
	timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$1" -D qid="$2" \
		-D sender="<bounce@secure.test>" "${extra[@]}" -s "$here/send.lua" 2>&1
}
# expect NAME MSGFILE EOM-REPLY [checks...]: REPLY=CODE/XCODE/TEXT, LOG=regex (a line
# "QNAME: ...regex" in postward's log), NOLOG=regex, AR=regex
expect() {
	local name=$1 file=$2 want=$3 out code="" xcode="" text="" r
	shift 3
	for c in "$@"; do
		case $c in REPLY=*) r=${c#REPLY=}; code=${r%%/*}; r=${r#*/}; xcode=${r%%/*}; text=${r#*/};; esac
	done
	if [ -n "$code" ]; then out=$(run "$file" "Q$name" "$code" "$xcode" "$text"); else out=$(run "$file" "Q$name"); fi
	printf '%s\n' "$out" > "out-$name"
	local eom
	eom=$(sed -n 's/^EOM //p' "out-$name")
	if [ "$eom" = "$want" ]; then ok "$name: end of message answered $want"
	else bad "$name: end of message answered \"$eom\", want $want ($(tr '\n' '|' < "out-$name"))"; fi
	for c in "$@"; do
		local k=${c%%=*} v=${c#*=} got
		case $k in
		REPLY) got=$(sed -n 's/^REPLY //p' "out-$name")
		    if [ "$got" = true ]; then ok "$name: reply $code $xcode $text"
		    else bad "$name: no reply \"$code $xcode $text\""; fi;;
		AR) got=$(sed -n 's/^AR //p' "out-$name")
		    if printf '%s\n' "$got" | grep -Eq -- "$v"; then ok "$name: Authentication-Results matches /$v/"
		    else bad "$name: Authentication-Results \"$got\" does not match /$v/"; fi;;
		LOG) if grep -Eq -- "Q$name: $v" pw.log; then ok "$name: log has /$v/"
		    else bad "$name: no log line /Q$name: $v/"; fi;;
		NOLOG) if grep -Eq -- "Q$name: $v" pw.log; then bad "$name: log has /$v/"
		    else ok "$name: log has no /$v/"; fi;;
		esac
	done
}
TEMPFAIL="451/4.4.3/Cannot check the sender policy of"

# the key query dropped: dkim=temperror, aligned -> dmarc and dkim-adsp temperror -> 451
expect key-timeout first-party.eml replycode "REPLY=$TEMPFAIL secure.test now (DNS), try again later" \
	"LOG=dkim=temperror d=secure.test s=ed1 .*reason=\"key lookup failed\"" \
	"LOG=dmarc=temperror header.from=secure.test policy=reject disposition=none .*\(aligned DKIM signature d=secure.test temperror\)" \
	"LOG=dkim-adsp=temperror header.from=secure.test .*author-domain signature temperror" \
	"LOG=practice action=tempfail rule=default dmarc=temperror" "NOLOG=practice reply: 550"
if grep -q '^ed1._domainkey.secure.test TXT drop' proxy.log; then ok "key-timeout: the proxy dropped the key query"
else bad "key-timeout: the proxy never saw the key query ($(tr '\n' '|' < proxy.log))"; fi
# relaxed alignment: d=secure.test for From quar.secure.test (p=quarantine): temperror, not
# quarantined
expect key-timeout-relaxed relaxed.eml replycode "REPLY=$TEMPFAIL quar.secure.test now (DNS), try again later" \
	"LOG=dmarc=temperror header.from=quar.secure.test policy=quarantine"
# adkim=s: the parent domain's signature could never align, so its temperror is no excuse
expect key-timeout-strict strict.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of strict.secure.test" \
	"LOG=dkim=temperror d=secure.test" "LOG=dmarc=fail header.from=strict.secure.test policy=reject"
# p=none: pass and fail are treated alike, so the temperror delays nothing: accepted, dmarc=fail
# with dis=none and the temperror in the reason
expect key-timeout-monitor monitor.eml continue \
	"AR=dmarc=fail \(p=none dis=none; no aligned pass; aligned DKIM temperror" \
	"NOLOG=practice action=tempfail"
# an SPF temperror from a trusted host for an aligned domain: temperror; unaligned or
# untrusted: fail
expect spf-temp spf-temp.eml replycode "REPLY=$TEMPFAIL secure.test now (DNS), try again later" \
	"LOG=dmarc=temperror header.from=secure.test .*aligned SPF temperror for secure.test"
expect spf-temp-other spf-temp-other.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of secure.test" \
	"LOG=dmarc=fail header.from=secure.test"
expect spf-temp-untrusted spf-temp-untrusted.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of secure.test" \
	"LOG=dmarc=fail header.from=secure.test"
# the proxy passes everything again: the same message passes
: > rules.new && mv rules.new rules
expect key-back first-party.eml continue \
	"AR=^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test .*; dmarc=pass \(p=reject dis=none; DKIM aligned; DNSSEC secure\)"

kill "$pid"; wait "$pid"; st=$?; pid=""
if [ "$st" -eq 0 ]; then ok "postward stopped cleanly (sanitizers quiet)"; else bad "postward exit status $st"; tail -20 pw.log; fi
[ "$failed" -eq 0 ] || { echo "--- postward log"; tail -60 pw.log; }
finish
