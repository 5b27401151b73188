#!/bin/bash
# tests/dns/milter.sh - the daemon against hostile DNS answers, end to end: postward's resolver
# points at tests/dns/dnsproxy.py in front of the NSD fixture; dkimpy-signed messages go through
# miltertest (tests/dkim/send.lua), and each DKIM key lookup meets the answer a case's rules make.
# postward must answer every message with a verdict (Authentication-Results with dkim=temperror
# for a malformed or forged answer, never pass) and stay up for the next one:
#  - the signing zone's DNSKEY RRset with RDLENGTH 0 (ldns left its fields NULL);
#  - the key name a CNAME with RDLENGTH 0, in an unsigned zone;
#  - a wildcard key record without its NSEC3 proof plus an unverifiable RRSIG saying "no
#    wildcard" (was judged secure: dkim=pass);
#  - unchanged answers afterwards: dkim=pass, and postward exits cleanly (sanitizers quiet).
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-dns-milter.XXXXXX") || exit 1
pid=""
proxy=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null && wait "$proxy" 2>/dev/null
	"$here/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null || { bad "openssl genpkey"; finish; }
ed_pub=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 > ed.seed
mkdir records
echo "ed1._domainkey TXT \"v=DKIM1; k=ed25519; p=$ed_pub\"" > records/secure.test.records
{
	echo "ed1._domainkey TXT \"v=DKIM1; k=ed25519; p=$ed_pub\""
	echo "ck._domainkey CNAME ed1._domainkey"
} > records/insecure.test.records
# a wildcard key: any selector under wk._domainkey.nsec3.test (and .secure.test) finds it
echo "*.wk._domainkey TXT \"v=DKIM1; k=ed25519; p=$ed_pub\"" > records/nsec3.test.records
"$here/fixture.sh" start "$tmp/dns" "$tmp/records" >/dev/null || { bad "DNS fixture"; finish; }
. "$tmp/dns/env"
$PY "$here/dnsproxy.py" --upstream "$DNS_SERVER" --rules "$tmp/rules" --ready "$tmp/ready" \
	--log "$tmp/queries" --daemon "$tmp/proxy.pid" 2>"$tmp/proxy.err" ||
	{ bad "dnsproxy did not start: $(cat "$tmp/proxy.err")"; finish; }
proxy=$(cat "$tmp/proxy.pid")
rules() { printf '%s\n' "$@" > "$tmp/rules.tmp" && mv "$tmp/rules.tmp" "$tmp/rules"; }

for d in secure.test:ed1 insecure.test:ck nsec3.test:x.wk; do
	printf 'From: Alice <alice@%s>\nTo: bob@example.net\nSubject: test %s\n\nHello.\n' \
		"${d%%:*}" "$d" > "plain-${d%%:*}.txt"
done
$PY - <<'PYEOF' || bad "dkimpy signing"
import dkim
key = open('ed.seed', 'rb').read().strip()
for dom, sel in (('secure.test', 'ed1'), ('insecure.test', 'ck'), ('nsec3.test', 'x.wk')):
    msg = open('plain-%s.txt' % dom, 'rb').read()
    sig = dkim.sign(msg, sel.encode(), dom.encode(), key, signature_algorithm=b'ed25519-sha256',
                    include_headers=[b'from', b'to', b'subject'])
    open('%s.eml' % dom, 'wb').write(sig + msg)
# another selector under the wildcard: the forged answer's bogus verdict is cached for x.wk
msg = open('plain-nsec3.test.txt', 'rb').read()
sig = dkim.sign(msg, b'y.wk', b'nsec3.test', key, signature_algorithm=b'ed25519-sha256',
                include_headers=[b'from', b'to', b'subject'])
open('nsec3-y.eml', 'wb').write(sig + msg)
PYEOF

cat > pw.conf <<EOF2
dns_nameservers = 127.0.0.1@$(cat "$tmp/ready")
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 5
authserv_id = pw.test
sender_practices =
EOF2
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!

expect() {	# expect NAME MSGFILE PATTERN: the A-R field of the verdict matches PATTERN
	local out ar
	out=$(timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$2" \
		-D qid="Q$1" -s "$here/../dkim/send.lua" 2>&1)
	ar=$(printf '%s\n' "$out" | sed -n 's/^AR //p')
	if printf '%s\n' "$ar" | grep -Eq -- "$3"; then
		ok "$1: Authentication-Results \"$ar\""
	else
		bad "$1: Authentication-Results \"$ar\" does not match /$3/ ($(printf '%s' "$out" | tr '\n' '|'))"
	fi
	if kill -0 "$pid" 2>/dev/null; then
		ok "$1: postward still running"
	else
		bad "$1: postward is gone"
		tail -20 pw.log
		finish
	fi
}

rules "secure.test DNSKEY empty-rdata DNSKEY"
expect dnskey-empty secure.test.eml '^ pw\.test; dkim=temperror .*header\.d=secure\.test'
rules "ck._domainkey.insecure.test * empty-rdata CNAME"
expect cname-empty insecure.test.eml '^ pw\.test; dkim=temperror .*header\.d=insecure\.test'
rules "x.wk._domainkey.nsec3.test TXT +strip authority" "x.wk._domainkey.nsec3.test TXT bad-rrsig"
expect wildcard-forged nsec3.test.eml '^ pw\.test; dkim=temperror .*header\.d=nsec3\.test'
rules "* * pass"
expect pass-secure secure.test.eml '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test'
expect pass-cname insecure.test.eml '^ pw\.test; dkim=pass \(key DNSSEC insecure\) header\.d=insecure\.test'
expect pass-wildcard nsec3-y.eml '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=nsec3\.test'

kill "$pid"; wait "$pid"; st=$?; pid=""
if [ "$st" -eq 0 ]; then ok "postward stopped cleanly (sanitizers quiet)"; else bad "postward exit status $st"; tail -20 pw.log; fi
[ "$failed" -eq 0 ] || { echo "--- postward log"; tail -40 pw.log; }
finish
