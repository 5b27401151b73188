#!/bin/bash
# tests/dns/smallcache.sh - with the smallest cache (dns_cache_size = 16) postward's resolver
# must not ask the same question again and again: that made servers with response rate
# limiting (NSD's default, most authoritative servers) drop replies, and every message in
# flight stalled for a whole dns_timeout, again and again.  Through tests/dns/dnsproxy.py
# (which logs every query before answering it), one pw-dnsq with -c 16 asks about 60 names in
# 7 zones, twice round:
#  - every DNSKEY and DS query appears exactly once in the proxy's log: answers for many names
#    never evict the chain of trust (else each lookup walks from the anchor again);
#  - an alias (CNAME) looked up several times is asked once: the chain's result is cached
#    under the alias (it was asked at every lookup);
#  - no query went without an answer (pw-dnsq's counter "N without answer" is 0), and every
#    lookup has the status the fixture's zones say (secure, insecure) - none failed;
#  - 8 concurrent lookups of one name send its question once: the proxy holds the first query
#    (behind a gate file) until pw-dnsq -P 8 reports the other 7 lookups waiting for it, then
#    the gate opens; the proxy's log shows the question once, and all 8 lookups get the answer
#    (a burst of lookups after a popular entry expired asked the same question at once).
# Counting events, not time: the test cannot race.  Env: PW_DNSQ.  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
DNSQ=${PW_DNSQ:-$here/pw-dnsq}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
[ -x "$DNSQ" ] || { echo "FAIL: $DNSQ not built"; echo "0 passed, 1 failed"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/pw-dnscache.XXXXXX") || exit 1
proxy=""
cleanup() {
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null && wait "$proxy" 2>/dev/null
	"$here/fixture.sh" stop "$dir/dns" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
"$here/fixture.sh" start "$dir/dns" >/dev/null ||
	{ echo "FAIL: fixture did not start"; echo "0 passed, 1 failed"; exit 1; }
. "$dir/dns/env"
$PY "$here/dnsproxy.py" --upstream "$DNS_SERVER" --rules "$dir/rules" --ready "$dir/ready" \
	--log "$dir/queries" --daemon "$dir/proxy.pid" 2>"$dir/proxy.err" ||
	{ echo "FAIL: dnsproxy did not start: $(cat "$dir/proxy.err")"; echo "0 passed, 1 failed"; exit 1; }
proxy=$(cat "$dir/proxy.pid")

q=()
for z in secure.test nsec3.test rsa.test ed25519.test sub.secure.test insecure.test unsigned.secure.test; do
	for n in txt multi _dmarc a x.wild y.wild nonexistent cname; do
		q+=("$n.$z" TXT)
	done
done
nq=$((${#q[@]} / 2))
"$DNSQ" -c 16 -s "127.0.0.1@$(cat "$dir/ready")" -a "$TRUST_ANCHOR" "${q[@]}" "${q[@]}" \
	> "$dir/out" 2> "$dir/err"
rc=$?
[ "$rc" -eq 0 ] && ok "pw-dnsq finished ($((2 * nq)) lookups, cache of 16)" || bad "pw-dnsq status $rc"

# the chain of trust: each DNSKEY and DS question once
dups=$(awk '$2 == "DNSKEY" || $2 == "DS" { print $1, $2 }' "$dir/queries" | sort | uniq -c | awk '$1 > 1')
nchain=$(awk '$2 == "DNSKEY" || $2 == "DS"' "$dir/queries" | wc -l)
if [ -z "$dups" ] && [ "$nchain" -gt 0 ]; then
	ok "each of the $nchain DNSKEY and DS questions asked once"
else
	bad "DNSKEY/DS questions asked again: $(printf '%s' "$dups" | tr '\n' ';')"
fi
# aliases: the chain's result is cached under the alias (a fresh resolver, three lookups)
: > "$dir/queries"
"$DNSQ" -s "127.0.0.1@$(cat "$dir/ready")" -a "$TRUST_ANCHOR" cname.secure.test TXT \
	cname.secure.test TXT cname.insecure.test TXT cname.insecure.test TXT cname.secure.test TXT \
	> "$dir/out2" 2>/dev/null
for z in secure.test insecure.test; do
	n=$(grep -c "^cname\.$z TXT" "$dir/queries")
	if [ "$n" -eq 1 ]; then ok "cname.$z asked once for several lookups"; else bad "cname.$z asked $n times"; fi
done
# no lookup waited for a lost reply, and every result is a validated one
if grep -q '^queries: [0-9]* sent, 0 without answer' "$dir/err"; then
	ok "$(grep '^queries' "$dir/err")"
else
	bad "queries without answer: $(grep '^queries' "$dir/err")"
fi
nbad=$(grep -E '^(error|bogus|indeterminate) ' "$dir/out" | wc -l)
ngood=$(grep -Ec '^(secure|insecure) (ANSWER|NODATA|NXDOMAIN)' "$dir/out")
if [ "$nbad" -eq 0 ] && [ "$ngood" -eq $((2 * nq)) ]; then
	ok "all $ngood lookups validated"
else
	bad "$ngood of $((2 * nq)) lookups validated: $(grep -E '^(error|bogus|indeterminate) ' "$dir/out" | head -3 | tr '\n' '|')"
fi
# concurrent lookups of one question: sent once, the others wait for its answer
printf '%s\n' "txt.insecure.test TXT hold $dir/gate" > "$dir/rules.tmp" && mv "$dir/rules.tmp" "$dir/rules"
: > "$dir/queries"
"$DNSQ" -P 8 -s "127.0.0.1@$(cat "$dir/ready")" -a "$TRUST_ANCHOR" txt.insecure.test TXT \
	> "$dir/out3" 2> "$dir/err3" &
qp=$!
# the event: 7 lookups waiting for the one query the proxy holds (bounded: 60 s)
for _ in $(seq 1 1200); do
	grep -qx 'waiting: 7' "$dir/err3" && break
	kill -0 "$qp" 2>/dev/null || break
	sleep 0.05
done
if grep -qx 'waiting: 7' "$dir/err3"; then ok "7 lookups wait for the query on its way"; else bad "lookups waiting: $(grep waiting "$dir/err3" | tail -1)"; fi
touch "$dir/gate"
wait "$qp"
n=$(grep -c '^txt\.insecure\.test TXT' "$dir/queries")
if [ "$n" -eq 1 ]; then ok "txt.insecure.test TXT sent once for 8 concurrent lookups"; else bad "txt.insecure.test TXT sent $n times for 8 concurrent lookups"; fi
n=$(grep -c '^insecure ANSWER' "$dir/out3")
if [ "$n" -eq 8 ]; then ok "all 8 lookups answered"; else bad "$n of 8 lookups answered: $(head -3 "$dir/out3" | tr '\n' '|')"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
