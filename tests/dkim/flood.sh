#!/bin/bash
# tests/dkim/flood.sh - floods of DKIM-Signature fields through the milter, end to end through
# miltertest against the DNSSEC fixture (tests/dns/fixture.sh), messages signed by dkimpy:
#   - flood: a valid signature on top of 5,000 fields "DKIM-Signature: x" (about 95 KB, under
#     Postfix's 100 KB header limit).  The fields past dkim_max_signatures cost a counter, not a
#     record of about 4 KB each (regression test: 14,000 such fields cost 57 MB): postward's
#     peak RSS grows by less than 16 MB for the message (it grew by more than 20 MB), the
#     verdict is right (dkim=pass, dmarc=pass), and the log counts the fields seen and ignored.
#   - junk: one valid signature among 200 junk ones (a d= and nothing else, or just "x"), with the
#     default dkim_max_signatures (8) and with 64.  The Authentication-Results field must stay
#     well-formed (regression test: it was cut at 4095 octets, "...; dkim=pe", and lost its
#     dmarc= and dkim-adsp= results): tests/dkim/archeck.py parses it (RFC 8601 grammar and
#     folding at 78 columns), the dkim=pass comes first, at most 8 dkim= results are reported
#     and the rest summed up in one dkim=policy result, dmarc= and dkim-adsp= are there.
#     (miltertest itself overflows on a header value over about 1 KB: the junk is kept short
#     so that the whole field stays under that.)
# Env: POSTWARD (KEEP=1 keeps the temporary directory).  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
POSTWARD=${POSTWARD:-$here/../../milter/postward}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-dkim-flood.XXXXXX") || exit 1
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	"$here/../dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null || { bad "openssl genpkey"; finish; }
ed_pub=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 > ed.seed
mkdir records
echo "ed1._domainkey TXT \"v=DKIM1; k=ed25519; p=$ed_pub\"" > records/secure.test.records
"$here/../dns/fixture.sh" start "$tmp/dns" "$tmp/records" >/dev/null || { bad "DNS fixture"; finish; }
. "$tmp/dns/env"

printf 'From: Alice <alice@secure.test>\nTo: bob@example.net\nSubject: flood\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nHello.\n' > plain.txt
$PY - <<'PYEOF' || bad "dkimpy signing"
import dkim
msg = open('plain.txt', 'rb').read()
key = open('ed.seed', 'rb').read().strip()
sig = dkim.sign(msg, b'ed1', b'secure.test', key, signature_algorithm=b'ed25519-sha256',
                include_headers=[b'from', b'to', b'subject'])
# flood: the valid signature on top, 5,000 junk fields below it
open('flood.eml', 'wb').write(sig + b'DKIM-Signature: x\n' * 5000 + msg)
# junk: 4 junk signatures, the valid one, 196 more; half just "x", half naming a d= but no
# s= (so the report has a header.d and no header.s) and a b= that is not base64
def junk(i):
    if i % 2:
        return b'DKIM-Signature: x\n'
    return b'DKIM-Signature: v=1; d=j%03d.example; b=(x"\n' % i
open('junk.eml', 'wb').write(b''.join(junk(i) for i in range(4)) + sig +
                             b''.join(junk(i) for i in range(4, 200)) + msg)
PYEOF

start() {	# start NAME MAXSIGS: a postward on $tmp/NAME.sock
	cat > "$1.conf" <<EOF2
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 2
authserv_id = pw.test
dkim_max_signatures = $2
EOF2
	"$POSTWARD" -f -c "$1.conf" -p "unix:$tmp/$1.sock" 2> "$1.log" &
	pids="$pids $!"
	eval "pid_$1=$!"
}
start d8 8
start d64 64

run() {	# run SOCKNAME MSGFILE QID -> prints the send.lua output
	timeout 300 miltertest -D sock="unix:$tmp/$1.sock" -D msgfile="$tmp/$2" -D qid="$3" \
		-s "$here/send.lua" 2>&1
}
# hwm PID: the peak RSS in kB of the worker postward forks (PID is its supervisor)
hwm() { sed -n 's/^VmHWM:[ \t]*\([0-9]*\) kB/\1/p' "/proc/$(pgrep -P "$1" | head -1)/status"; }
field() { sed -n "s/^$1 //p" "$2"; }

# warm up (the resolver, the key cache, the first thread) so the peak below is the flood's
run d8 junk.eml Qwarm > out-warm
before=$(hwm "$pid_d8")
run d8 flood.eml Qflood > out-flood
after=$(hwm "$pid_d8")
grow=$(( (after - before) / 1024 ))
if [ "$grow" -lt 16 ]; then ok "flood: peak RSS grew by $grow MB (< 16 MB)"
else bad "flood: peak RSS grew by $grow MB for 5,000 DKIM-Signature fields ($before -> $after kB)"; fi
ar=$(field AR out-flood)
if printf '%s\n' "$ar" | grep -Eq '^ pw\.test; dkim=pass \(key DNSSEC secure\) header\.d=secure\.test header\.s=ed1 '; then
	ok "flood: the valid signature passes, reported first"
else bad "flood: Authentication-Results \"$ar\" ($(tr '\n' '|' < out-flood))"; fi
if printf '%s\n' "$ar" | grep -Eq '; dkim=policy \(4993 more DKIM signatures not reported: 4993 over dkim_max_signatures not verified\); dkim-adsp=pass .*; dmarc=pass \(p=reject dis=none; DKIM aligned; DNSSEC secure\)'; then
	ok "flood: the 4,993 ignored fields summed up, dmarc=pass"
else bad "flood: no summary or no dmarc=pass in \"$ar\""; fi
if grep -q 'Qflood: dkim: 5001 DKIM-Signature fields, 8 verified, 4993 ignored (over dkim_max_signatures 8)' d8.log; then
	ok "flood: fields seen and ignored logged"
else bad "flood: no log line counting the fields ($(grep Qflood d8.log | tail -3))"; fi
if [ "$(field EOM out-flood)" = continue ]; then ok "flood: end of message answered continue"
else bad "flood: end of message answered \"$(field EOM out-flood)\""; fi

# check_junk NAME OUT: the junk message's field, parsed on its own
check_junk() {
	local name=$1 out=$2 ar parsed n
	ar=$(field AR "$out")
	if parsed=$($PY "$here/archeck.py" "$(field ARRAW "$out")"); then
		ok "$name: Authentication-Results well-formed and folded ($(field ARLINES "$out") lines, longest $(field ARMAXLINE "$out"))"
	else bad "$name: $parsed (value: $ar)"; fi
	printf '%s\n' "$parsed" > "parsed-$name"
	if head -1 "parsed-$name" | grep -Eq '^dkim=pass header\.d=secure\.test header\.s=ed1 header\.b=[^ ]+ \(key DNSSEC secure\)$'; then
		ok "$name: dkim=pass reported first"
	else bad "$name: first result is \"$(head -1 "parsed-$name")\""; fi
	n=$(grep -c '^dkim=' "parsed-$name")
	if [ "$n" -le 9 ]; then ok "$name: $n dkim= results (8 reported, one summary)"
	else bad "$name: $n dkim= results"; fi
	if grep -Eq "^dkim=policy \(193 more DKIM signatures not reported: $3 over dkim_max_signatures not verified\)$" "parsed-$name"; then
		ok "$name: the other 193 signatures summed up ($3 never verified)"
	else bad "$name: no summary of 193 signatures ($3 not verified): $(grep policy "parsed-$name")"; fi
	if grep -Eq '^dkim-adsp=pass header\.from=secure\.test \(first-party signature; no lookup\)$' "parsed-$name"; then
		ok "$name: dkim-adsp=pass present"
	else bad "$name: no dkim-adsp=pass"; fi
	if grep -Eq '^dmarc=pass header\.from=secure\.test policy\.dmarc=reject \(p=reject dis=none; DKIM aligned; DNSSEC secure\)$' "parsed-$name"; then
		ok "$name: dmarc=pass present"
	else bad "$name: no dmarc=pass"; fi
	if [ "$(field EOM "$out")" = continue ]; then ok "$name: end of message answered continue"
	else bad "$name: end of message answered \"$(field EOM "$out")\""; fi
}
run d8 junk.eml Qjunk8 > out-junk8
check_junk junk8 out-junk8 193
run d64 junk.eml Qjunk64 > out-junk64
check_junk junk64 out-junk64 137
if grep -q 'Qjunk64: dkim: 201 DKIM-Signature fields, 64 verified, 137 ignored (over dkim_max_signatures 64); 8 results in Authentication-Results, 193 summed up' d64.log; then
	ok "junk64: counts logged"
else bad "junk64: no count line ($(grep 'Qjunk64: dkim:' d64.log))"; fi

for name in d8 d64; do
	eval "p=\$pid_$name"
	kill "$p"; wait "$p"; st=$?
	pids=$(echo "$pids" | sed "s/ $p\b//")
	if [ "$st" -eq 0 ]; then ok "$name: postward stopped cleanly (sanitizers quiet)"
	else bad "$name: postward exit status $st"; tail -20 "$name.log"; fi
done
[ "$failed" -eq 0 ] || { echo "--- postward logs"; tail -n 30 d8.log d64.log; }
finish
