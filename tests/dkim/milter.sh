#!/bin/bash
# tests/dkim/milter.sh - DKIM verification inside the milter, end to end through miltertest:
# keys published in the DNSSEC fixture (tests/dns/fixture.sh), messages signed by dkimpy,
# results read from the Authentication-Results field postward adds (RFC 8601), with the DNSSEC
# status of each key in its comment.  Cases: ed25519 key in a signed zone (pass, key DNSSEC
# secure); rsa key in a provably unsigned zone (pass, insecure); the body altered (fail); a
# signature whose key is not published (permerror); a key in a zone with broken signatures
# (temperror: bogus DNS is never believed); no signature (none); a forged
# Authentication-Results claiming our authserv-id (removed) while a foreign one stays; 70
# forged ones (all removed).
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-dkim-milter.XXXXXX") || exit 1
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	"$here/../dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null &&
	openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null ||
	{ bad "openssl genpkey"; echo "$passed passed, $failed failed"; exit 1; }
ed_pub=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 > ed.seed
rsa_pub=$(openssl pkey -in rsa.pem -pubout -outform DER | base64 -w0)
mkdir records
echo "ed1._domainkey TXT \"v=DKIM1; k=ed25519; p=$ed_pub\"" > records/secure.test.records
echo "rsa1._domainkey TXT \"v=DKIM1; k=rsa; p=${rsa_pub:0:200}\" \"${rsa_pub:200}\"" > records/insecure.test.records
echo "ed1._domainkey TXT \"v=DKIM1; k=ed25519; p=$ed_pub\"" > records/bogus.test.records
"$here/../dns/fixture.sh" start "$tmp/dns" "$tmp/records" >/dev/null ||
	{ bad "DNS fixture"; echo "$passed passed, $failed failed"; exit 1; }
. "$tmp/dns/env"

printf 'From: Alice <alice@%s>\nTo: bob@example.net\nSubject: test %s\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nHello,\n  this is  a test.\n\n' \
	secure.test ed > plain-secure.txt
printf 'From: Alice <alice@insecure.test>\nTo: bob@example.net\nSubject: rsa\n\nBody line\n' > plain-insecure.txt
printf 'From: Alice <alice@bogus.test>\nTo: bob@example.net\nSubject: bogus\n\nBody\n' > plain-bogus.txt
$PY - <<'PYEOF' || bad "dkimpy signing"
import dkim
def sign(src, out, sel, dom, keyfile, alg, extra=b''):
    msg = open(src, 'rb').read()
    key = open(keyfile, 'rb').read().strip()
    sig = dkim.sign(msg, sel, dom, key, signature_algorithm=alg,
                    include_headers=[b'from', b'to', b'subject'])
    open(out, 'wb').write(extra + sig + msg)
sign('plain-secure.txt', 'ed-secure.eml', b'ed1', b'secure.test', 'ed.seed', b'ed25519-sha256')
sign('plain-insecure.txt', 'rsa-insecure.eml', b'rsa1', b'insecure.test', 'rsa.pem', b'rsa-sha256')
sign('plain-secure.txt', 'nokey.eml', b'missing', b'secure.test', 'ed.seed', b'ed25519-sha256')
sign('plain-bogus.txt', 'ed-bogus.eml', b'ed1', b'bogus.test', 'ed.seed', b'ed25519-sha256')
sign('plain-secure.txt', 'forged.eml', b'ed1', b'secure.test', 'ed.seed', b'ed25519-sha256',
     extra=b'Authentication-Results: pw.test; dkim=pass header.d=evil.example\n'
           b'Authentication-Results: other.example; dkim=pass header.d=secure.test\n')
sign('plain-secure.txt', 'forged-cfws.eml', b'ed1', b'secure.test', 'ed.seed', b'ed25519-sha256',
     extra=b'Authentication-Results: (trust me) pw.test; dkim=pass header.d=evil.example\n'
           b'Authentication-Results: "pw.test"; dkim=pass header.d=evil.example\n'
           b'Authentication-Results:\n (a (nested) comment)\n "PW.test" 1; dkim=pass header.d=evil.example\n'
           b'Authentication-Results: "pw.test.evil"; dkim=pass header.d=evil.example\n')
sign('plain-secure.txt', 'forged70.eml', b'ed1', b'secure.test', 'ed.seed', b'ed25519-sha256',
     extra=b'Authentication-Results: pw.test; dkim=pass header.d=evil.example\n' * 70)
PYEOF
sed 's/this is  a test/this is a forgery/' ed-secure.eml > ed-altered.eml

cat > pw.conf <<EOF2
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 2
authserv_id = pw.test
# DKIM only here: sender practices are tested in tests/practice
sender_practices =
EOF2
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!

run() {	# run MSGFILE QID -> prints the send.lua output
	timeout 60 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$1" -D qid="$2" \
		-s "$here/send.lua" 2>&1
}
expect() {	# expect NAME MSGFILE PATTERN...
	local name=$1 file=$2 out
	shift 2
	out=$(run "$file" "Q$name")
	local ar
	ar=$(printf '%s\n' "$out" | sed -n 's/^AR //p')
	for pat in "$@"; do
		if printf '%s\n' "$ar" | grep -Eq -- "$pat"; then
			ok "$name: Authentication-Results matches /$pat/"
		else
			bad "$name: Authentication-Results \"$ar\" does not match /$pat/ ($(printf '%s' "$out" | tr '\n' '|'))"
		fi
	done
	printf '%s\n' "$out" > "out-$name"
}
expect ed-secure ed-secure.eml '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test header\.s=ed1 header\.b=("[^"]{16}"|[^"]{16})$'
expect rsa-insecure rsa-insecure.eml '^ pw\.test; dkim=pass \(key DNSSEC insecure\) header\.d=insecure\.test header\.s=rsa1 '
expect altered ed-altered.eml '^ pw\.test; dkim=fail \(body hash mismatch; key DNSSEC secure\) header\.d=secure\.test'
expect nokey nokey.eml '^ pw\.test; dkim=permerror \(no key for signature; key DNSSEC secure\) header\.d=secure\.test header\.s=missing'
expect bogus ed-bogus.eml '^ pw\.test; dkim=temperror \(key lookup failed; key DNSSEC bogus\) header\.d=bogus\.test'
expect unsigned plain-secure.txt '^ pw\.test; dkim=none$'
expect forged forged.eml '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test'
if grep -q '^ARDELETED true' out-forged; then ok "forged: our authserv-id's field removed"; else bad "forged: field claiming pw.test not removed"; fi
if grep -q '^ARDELETED false' out-ed-secure; then ok "ed-secure: nothing removed"; else bad "ed-secure: a field was removed"; fi
if grep -q 'Qforged: removed 1 Authentication-Results' pw.log; then ok "forged: removal logged"; else bad "forged: removal not logged"; fi
# our authserv-id after a comment, or quoted: forged all the same (regression test: only a
# bare id at the start was recognised); a longer id is someone else's
expect forged-cfws forged-cfws.eml '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test'
if grep -q 'Qforged-cfws: removed 3 Authentication-Results field(s) claiming authserv-id pw.test' pw.log; then
	ok "forged-cfws: the 3 claims behind a comment or quotes removed, pw.test.evil kept"
else bad "forged-cfws: $(grep 'Qforged-cfws: removed' pw.log)"; fi
# 70 forged fields: every one removed (regression test: the ones past a table of 64 stayed)
expect forged70 forged70.eml '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test'
if grep -q 'Qforged70: removed 70 Authentication-Results field(s) claiming authserv-id pw.test' pw.log; then
	ok "forged70: all 70 forged fields removed"
else bad "forged70: not all 70 removed: $(grep 'Qforged70: removed' pw.log)"; fi
if grep -q 'Qed-secure: dkim=pass d=secure.test s=ed1 key-dnssec=secure' pw.log; then ok "log line for a pass"; else bad "no log line for the pass"; fi
if grep -q 'Qbogus: dkim key ed1._domainkey.bogus.test: ANSWER bogus' pw.log; then ok "bogus key logged as a warning"; else bad "bogus key not logged"; fi
kill "$pid"; wait "$pid"; st=$?; pid=""
if [ "$st" -eq 0 ]; then ok "postward stopped cleanly (sanitizers quiet)"; else bad "postward exit status $st"; tail -20 pw.log; fi
[ "$failed" -eq 0 ] || { echo "--- postward log"; tail -40 pw.log; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
