#!/bin/bash
# tests/dns/transport.sh - postward's validator with no socket: the fuzz harness
# tests/fuzz/fuzz-dns serves answers recorded from the fixture (tests/fuzz/corpus/dns, made
# by tests/fuzz/record_dns.py) through the pluggable transport (dns_config.transport), with
# the trust anchor given as text and a fixed clock.  For every row of expected.tsv the
# verdict must be the expected status and kind, as validator.sh checks against the live
# fixture.  The hostile inputs (hostile-*, made by tests/fuzz/hostile_dns.py: malformed records,
# forged wildcard and delegation proofs) must give an error or bogus, never secure.
# Env: builddir, top_srcdir.  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
builddir=${builddir:-$top_srcdir}
FUZZ=$builddir/tests/fuzz/fuzz-dns
corpus=$top_srcdir/tests/fuzz/corpus/dns
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
[ -x "$FUZZ" ] || { echo "FAIL: $FUZZ not built"; echo "0 passed, 1 failed"; exit 1; }
while IFS=$'\t' read -r name type status kind data; do
	case "$name" in ''|'#'*) continue ;; esac
	f=$corpus/$name-$type
	if [ ! -f "$f" ]; then
		bad "$name $type: no recorded answers $f"
		continue
	fi
	out=$(FUZZ_DNS_PRINT=1 "$FUZZ" "$f" 2>&1 | grep -v '^replayed')
	set -- $out
	got="${3:-?} ${4:-?}"
	want="$status $kind"
	[ "$status" = bogus ] && { want=bogus; got=${3:-?}; }
	if [ "$got" = "$want" ]; then
		ok "$name $type: $got"
	else
		bad "$name $type: \"$out\", expected \"$want\""
	fi
done < "$here/expected.tsv"
for f in "$corpus"/hostile-*; do
	out=$(FUZZ_DNS_PRINT=1 "$FUZZ" "$f" 2>&1 | grep -v '^replayed')
	case "$(printf '%s' "$out" | cut -d' ' -f3)" in
	error|bogus) ok "$(basename "$f"): $out" ;;
	*) bad "$(basename "$f"): $out" ;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
