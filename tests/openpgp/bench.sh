#!/bin/bash
# tests/openpgp/bench.sh - cost of one subscriber copy: pw-opgp's PKESK against a gpg process.
#
# Usage: tests/openpgp/bench.sh [N] [RUNS]
#
# Makes four subscriber keys (cv25519, NIST P-256, RSA 2048, RSA 3072 encryption subkeys) in
# temporary GNUPGHOMEs, then for each prints pw-opgp bench N (microseconds per PKESK, and per
# key-block parse + PKESK) and the mean wall time of RUNS `gpg -e -r SUBKEY` processes
# encrypting a 300-octet file to that key from another home (what a per-subscriber gpg would
# cost).
# N defaults to 5000, RUNS to 50.  pw-opgp comes from $PW_OPGP or is built with -O2 (no
# sanitizers: this is a timing).  Not part of the test suite; no PASS/FAIL lines.
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/lib.sh"
N=${1:-5000}
RUNS=${2:-50}
opgp_tmp pw-opgp-bench

PW=${PW_OPGP:-}
if [ -z "$PW" ]; then
	PW=$tmp/pw-opgp
	opgp_build "$PW" -O2 || { cat "$tmp/cc.log"; exit 1; }
fi
mkdir -m 700 "$tmp/sender" && homes="sender"
head -c 300 /dev/urandom | base64 > "$tmp/small.txt"
sk="9:$(openssl rand -hex 32)"
echo "gpg $(gpg --version | head -1 | awk '{ print $3 }'), $("$(command -v openssl)" version)"
for algo in cv25519 nistp256 rsa2048 rsa3072; do
	h=s-$algo
	mkdir -m 700 "$tmp/$h" && homes="$homes $h"
	echo debug-quick-random > "$tmp/$h/gpg-agent.conf"
	g "$h" --quick-gen-key "Sub <$algo@example.org>" ed25519 sign 0 2>/dev/null
	fpr=$(g "$h" --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')
	g "$h" --quick-add-key "$fpr" "$algo" encr 0 2>/dev/null
	sub=$(g "$h" --with-colons --list-keys | awk -F: '$1 == "fpr" { f = $10 } END { print f }')
	g "$h" --export "$fpr" > "$tmp/$h.pub"
	g sender --import < "$tmp/$h.pub" 2>/dev/null
	printf '%-8s pw-opgp: ' "$algo"
	"$PW" bench "$N" "$sk" "$tmp/$h.pub" "$sub"
	start=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do
		g sender -e -r "$sub!" -o - "$tmp/small.txt" > /dev/null || exit 1
	done
	end=$(date +%s%N)
	printf '%-8s gpg -e:  %d runs, %.1f ms per process\n' "$algo" "$RUNS" \
		"$(echo "($end - $start) / $RUNS / 1000000" | bc -l)"
done
