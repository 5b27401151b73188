#!/bin/bash
# tests/dns/validator.sh - postward's own DNSSEC validation (milter/dns/, through pw-dnsq)
# against the fixture's signed zones: for every row of expected.tsv, postward's status and
# answer kind must equal the expected ones AND what an independent validator (unbound-host,
# same trust anchor, asked live) concludes, so the two can never silently disagree.
# Also: the same questions asked through one resolver (warm cache) give the same results with
# cache hits; a query budget of 1 gives TEMPFAIL, never an answer; a dead server is TEMPFAIL.
# Env: PW_DNSQ (default: tests/dns/pw-dnsq beside this script).  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
DNSQ=${PW_DNSQ:-$here/pw-dnsq}
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
[ -x "$DNSQ" ] || { echo "FAIL: $DNSQ not built"; echo "0 passed, 1 failed"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/pw-dnsval.XXXXXX") || exit 1
trap '"$here/fixture.sh" stop "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$here/fixture.sh" start "$dir" >/dev/null || { echo "FAIL: fixture did not start"; echo "0 passed, 1 failed"; exit 1; }
. "$dir/env"

names=()
while IFS=$'\t' read -r name type status kind data; do
	case "$name" in ''|'#'*) continue ;; esac
	names+=("$name" "$type")
	out=$("$DNSQ" -s "$DNS_SERVER" -a "$TRUST_ANCHOR" "$name" "$type" 2>/dev/null)
	first=$(printf '%s\n' "$out" | head -1)
	got_status=${first%% *}
	rest=${first#* }
	got_kind=${rest%% *}
	ub=$("$here/fixture.sh" validate "$dir" "$name" "$type" 2>/dev/null | head -1)
	ub_status=${ub%% *}
	want="$status"
	[ "$status" = bogus ] || want="$status $kind"
	have="$got_status"
	[ "$status" = bogus ] || have="$got_status $got_kind"
	if [ "$have" = "$want" ]; then
		ok "$name $type: $have"
	else
		bad "$name $type: postward says \"$first\", expected \"$want\""
	fi
	if [ "$ub_status" = "$got_status" ]; then
		ok "$name $type: unbound-host agrees ($ub)"
	else
		bad "$name $type: postward \"$got_status\" but unbound-host \"$ub\""
	fi
	if [ "$kind" = ANSWER ] && [ "$status" != bogus ] && [ "$data" != - ]; then
		if printf '%s\n' "$out" | tail -n +2 | grep -qxF -- "$data"; then
			ok "$name $type: data $data"
		else
			bad "$name $type: data $data missing from: $(printf '%s' "$out" | tail -n +2 | tr '\n' '|')"
		fi
	fi
done < "$here/expected.tsv"

# one resolver, every question twice: the second round must come from the cache, unchanged
cold=$("$DNSQ" -s "$DNS_SERVER" -a "$TRUST_ANCHOR" "${names[@]}" 2>"$dir/stats1" | grep -v '^[^a-z]' | cut -d'#' -f1)
both=$("$DNSQ" -s "$DNS_SERVER" -a "$TRUST_ANCHOR" "${names[@]}" "${names[@]}" 2>"$dir/stats2" | grep -v '^[^a-z]' | cut -d'#' -f1)
n=$(printf '%s\n' "$cold" | wc -l)
if [ "$(printf '%s\n' "$both" | head -n "$n")" = "$cold" ] && [ "$(printf '%s\n' "$both" | tail -n "$n")" = "$cold" ]; then
	ok "warm cache gives the same $n results"
else
	bad "warm cache changed results"
fi
hits1=$(sed -n 's/^cache: \([0-9]*\) hits.*/\1/p' "$dir/stats1")
hits2=$(sed -n 's/^cache: \([0-9]*\) hits.*/\1/p' "$dir/stats2")
# every repeated question is a hit (n counts output lines, data lines included: use the
# number of questions)
nq=$((${#names[@]} / 2))
if [ -n "$hits2" ] && [ "$((hits2 - hits1))" -ge "$nq" ]; then
	ok "second round answered from the cache ($hits1 -> $hits2 hits for $nq questions)"
else
	bad "cache hits $hits1 -> $hits2 for $nq repeated questions"
fi

# bounded work: a budget of one query cannot validate anything below the anchor
out=$("$DNSQ" -q 1 -s "$DNS_SERVER" -a "$TRUST_ANCHOR" txt.sub.secure.test TXT 2>/dev/null | head -1)
case "$out" in
error\ TEMPFAIL*budget*) ok "query budget: $out" ;;
*) bad "query budget of 1 gave: $out" ;;
esac
# a dead server is a temporary failure, never an answer
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$("$DNSQ" -s "127.0.0.1@$port" -a "$TRUST_ANCHOR" txt.secure.test TXT 2>/dev/null | head -1)
case "$out" in
error\ TEMPFAIL*) ok "dead server: $out" ;;
*) bad "dead server gave: $out" ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
