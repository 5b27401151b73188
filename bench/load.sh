#!/bin/bash
# bench/load.sh - postward and OpenDKIM under many concurrent milter connections: the signed
# corpus of bench/dkim-verify.sh sent for a fixed time by tests/load/pw-miltc holding C
# connections at once (C = 50, 200, 500), against both milters on the same DNS fixture, one run.
#
# usage: bench/load.sh [SECONDS]          (per milter and concurrency, default 20)
#
# Set-up as bench/dkim-verify.sh (and reusing its pieces): bench/dkim-corpus.py signs COUNT
# messages (default 600: 40 signing domains, rsa-sha256 2048 and ed25519-sha256, 2-20 KB)
# with the keys published in DNSSEC-signed secure.test of the NSD fixture; postward validates
# with its own resolver, OpenDKIM through libunbound from the same trust anchor (with
# bench/ub-config-lock.c preloaded, see bench/README).  pw-miltc is compiled here with -O2.
# Both milters are started once and warmed with one pass of the corpus (DNS caches filled).
#
# For each C in BENCH_CONNS, for each milter: C connections for SECONDS seconds, each sending
# BENCH_PER_CONN messages (default 10) per connection, the corpus round robin.  Every verdict
# must be a DNSSEC-secure dkim=pass (pw-miltc -A); any other verdict, a lost message or a
# protocol violation stops the run.  While the load runs the milter's process is sampled every
# 0.2 s (/proc: VmRSS, Threads, open descriptors) for the peaks.  After each of postward's
# rounds the script waits (at most 30 s) for postward's descriptor count to come back to its
# baseline (taken after the warm-up) and prints descriptors, threads and RSS against the
# baseline (RSS counts as back within BENCH_RSS_SLACK kB, default 2048: see the end of this
# script), and at the end how RSS moved from the first round to the last.
#
# Output: a header, then per round "NAME C=..: R msg/s, eom p50 A ms p99 B ms, peak RSS X MB,
#   threads T, fds F", postward's "after round N (C=..): fds, threads, RSS against the
#   baseline -> fds and threads back|NOT back, RSS back|NOT back", and as the last line "ratio: X" = postward msg/s / OpenDKIM msg/s at
#   C = 200, two decimals.
# Environment: POSTWARD (default milter/postward of this tree; refused if built with
#   sanitizers unless BENCH_ALLOW_SANITIZERS=1: use bench/build-postward.sh), BENCH_SECS (or
#   the argument), BENCH_CONNS (default "50 200 500"), BENCH_PER_CONN, BENCH_COUNT (corpus
#   size, default 600), BENCH_RSS_SLACK (kB), BENCH_KEEP=1 (keep the temporary directory).
# Needs what bench/dkim-verify.sh needs; OpenDKIM's own limit of open files is raised to 4096
# for 500 connections (ulimit -n in this shell).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
FIXTURE=$top/tests/dns/fixture.sh
die() { echo "load.sh: $*" >&2; exit 1; }

SECS=${1:-${BENCH_SECS:-20}}
CONNS=${BENCH_CONNS:-50 200 500}
PER_CONN=${BENCH_PER_CONN:-10}
RSS_SLACK=${BENCH_RSS_SLACK:-2048}	# kB above the baseline that still counts as "back"
COUNT=${BENCH_COUNT:-600}
POSTWARD=${POSTWARD:-$top/milter/postward}
load0=$(cut -d' ' -f1 /proc/loadavg)
for v in SECS PER_CONN COUNT RSS_SLACK; do
	case ${!v} in ''|*[!0-9]*) die "$v must be a number" ;; esac
done
for t in opendkim nsd drill openssl "${CC:-cc}"; do command -v "$t" >/dev/null || die "missing $t (see bench/README)"; done
[ -x "$POSTWARD" ] || die "no postward at $POSTWARD (POSTWARD=\$(bench/build-postward.sh))"
if ldd "$POSTWARD" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	[ "${BENCH_ALLOW_SANITIZERS:-0}" = 1 ] || die "$POSTWARD is a sanitizer build: POSTWARD=\$(bench/build-postward.sh) bench/load.sh"
fi
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-bench-load.XXXXXX")
PID_postward="" PID_opendkim="" client=""
stop_milter() {
	local var=PID_$1 pid i
	pid=${!var}
	[ -n "$pid" ] || return 0
	printf -v "$var" '%s' ""
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		[ "$i" = 200 ] && kill -KILL "$pid" 2>/dev/null
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	[ -n "$client" ] && kill -TERM "$client" 2>/dev/null
	stop_milter postward
	stop_milter opendkim
	"$FIXTURE" stop "$tmp/dns" >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "load.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- corpus, DNS, milters (as bench/dkim-verify.sh) ---------------------------------------
echo "load.sh: making $COUNT signed messages (dkimpy) ..." >&2
"$PY" "$here/dkim-corpus.py" "$tmp/corpus" "$COUNT" 1 40 1 >/dev/null || die "corpus generation failed"
"$FIXTURE" start "$tmp/dns" "$tmp/corpus/records" >/dev/null 2>"$tmp/fixture.log" ||
	{ cat "$tmp/fixture.log" >&2; die "DNS fixture did not start"; }
. "$tmp/dns/env"
cat >"$tmp/postward.conf" <<EOF
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
authserv_id = bench.test
EOF
cat >"$tmp/opendkim-unbound.conf" <<EOF
server:
	local-zone: "test." nodefault
	do-not-query-localhost: no
EOF
cat >"$tmp/opendkim.conf" <<EOF
Mode			v
Socket			local:$tmp/opendkim.sock
Background		no
Syslog			no
AuthservID		bench.test
Nameservers		$DNS_SERVER
TrustAnchorFile		$TRUST_ANCHOR
ResolverConfiguration	$tmp/opendkim-unbound.conf
EOF
${CC:-cc} -shared -fPIC -O2 -o "$tmp/ub-config-lock.so" "$here/ub-config-lock.c" -ldl -lpthread ||
	die "cannot build bench/ub-config-lock.c"
${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -pthread -o "$tmp/pw-miltc" "$top/tests/load/pw-miltc.c" ||
	die "cannot build tests/load/pw-miltc.c"

good_postward='; dkim=pass \(key DNSSEC secure\) header\.d='
good_opendkim='; dkim=pass( \([0-9]+-bit key; secure\))? header\.d='

start_milter() {
	local name=$1 sock=$tmp/$1.sock i
	rm -f "$sock"
	case $name in
	postward) "$POSTWARD" -f -c "$tmp/postward.conf" -p "unix:$sock" 2>"$tmp/postward.log" & ;;
	opendkim) UB_CONFIG_LOCK_COUNT=$tmp/opendkim.ubconfig LD_PRELOAD=$tmp/ub-config-lock.so \
			opendkim -f -x "$tmp/opendkim.conf" >"$tmp/opendkim.log" 2>&1 & ;;
	esac
	printf -v "PID_$name" '%s' "$!"
	for i in $(seq 1 400); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || die "$name does not listen"
}
# served_by NAME - the process that serves the socket (postward: the supervisor's child)
served_by() {
	local var=PID_$1
	if [ "$1" = postward ]; then pgrep -P "${!var}" | head -1; else echo "${!var}"; fi
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# run NAME C - one timed load; prints the line and sets RATE
run() {
	local name=$1 c=$2 good=good_$1 pid out peak_rss=0 peak_thr=0 peak_fd=0 r t f line
	pid=$(served_by "$name")
	out=$tmp/$name-$c.out
	"$tmp/pw-miltc" -C -q -s "unix:$tmp/$name.sock" -c "$c" -t "$SECS" -m "$PER_CONN" -W 120 \
		-A "${!good}" "$tmp/corpus/client-1.msgs" >"$out" 2>&1 &
	client=$!
	while kill -0 "$client" 2>/dev/null; do
		r=$(rss_kb "$pid") t=$(threads "$pid") f=$(fds "$pid")
		[ "${r:-0}" -gt "$peak_rss" ] && peak_rss=$r
		[ "${t:-0}" -gt "$peak_thr" ] && peak_thr=$t
		[ "${f:-0}" -gt "$peak_fd" ] && peak_fd=$f
		sleep 0.2
	done
	wait "$client" || { cat "$out" >&2; die "$name C=$c: wrong verdicts, lost messages or protocol violations (above)"; }
	client=""
	line=$(grep '^load:' "$out")
	RATE=$(printf '%s\n' "$line" | sed 's/.* rate=\([0-9.]*\) .*/\1/')
	printf '%-8s C=%-3s: %7.1f msg/s, eom p50 %s ms p99 %s ms, peak RSS %.1f MB, threads %s, fds %s (%s messages, %s tempfail)\n' \
		"$name" "$c" "$RATE" "$(printf '%s\n' "$line" | sed 's/.*eom_p50=\([0-9.]*\).*/\1/')" \
		"$(printf '%s\n' "$line" | sed 's/.*eom_p99=\([0-9.]*\).*/\1/')" "$(echo "$peak_rss / 1024" | bc -l)" \
		"$peak_thr" "$peak_fd" "$(printf '%s\n' "$line" | sed 's/.* messages=\([0-9]*\).*/\1/')" \
		"$(printf '%s\n' "$line" | sed 's/.* tempfail=\([0-9]*\).*/\1/')"
}

echo "Load benchmark: postward vs OpenDKIM under concurrent milter connections (bench/load.sh)"
echo "postward: $("$POSTWARD" -V 2>/dev/null | head -1), $POSTWARD (tree at $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?'))"
echo "opendkim: $(opendkim -V 2>/dev/null | head -1 | sed 's/^opendkim: //'), Debian $(dpkg-query -W -f='${Version}' opendkim 2>/dev/null)"
echo "corpus: $(cat "$tmp/corpus/summary")"
echo "load: connections $CONNS, $SECS s each, $PER_CONN messages per connection, tests/load/pw-miltc (-O2, one thread per connection); $(nproc) CPUs; load average $load0 at start"

for name in postward opendkim; do
	start_milter "$name"
	"$tmp/pw-miltc" -C -q -s "unix:$tmp/$name.sock" -n 4 -m $((COUNT / 4)) -W 120 -A "$(eval echo \"\$good_$name\")" \
		"$tmp/corpus/client-1.msgs" >"$tmp/$name-warmup.out" 2>&1 ||
		{ tail -5 "$tmp/$name-warmup.out" >&2; die "$name: warm-up pass failed"; }
done
pw=$(served_by postward)
base_rss=$(rss_kb "$pw") base_fds=$(fds "$pw") base_thr=$(threads "$pw")
echo "postward baseline after warm-up: RSS $(echo "$base_rss / 1024" | bc -l | xargs printf '%.1f') MB, $base_fds fds, $(threads "$pw") threads"

ratio_pw="" ratio_od=""
round=0
for c in $CONNS; do
	round=$((round + 1))
	for name in postward opendkim; do
		run "$name" "$c"
		if [ "$c" = 200 ]; then
			case $name in postward) ratio_pw=$RATE ;; opendkim) ratio_od=$RATE ;; esac
		fi
	done
	# wait (at most 30 s) for the last connections to be closed: the descriptors are the event
	for i in $(seq 1 150); do [ "$(fds "$pw")" -le "$base_fds" ] && break; sleep 0.2; done
	r=$(rss_kb "$pw") f=$(fds "$pw") t=$(threads "$pw")
	[ "$round" = 1 ] && rss1=$r
	back="fds and threads back"
	[ "$f" -le "$base_fds" ] && [ "$t" -le "$base_thr" ] || back="fds or threads NOT back"
	if [ "$r" -le $((base_rss + RSS_SLACK)) ]; then back="$back, RSS back"; else back="$back, RSS NOT back"; fi
	printf 'postward after round %d (C=%s): fds %s (baseline %s), threads %s (baseline %s), RSS %.1f MB (baseline %.1f, %+.1f) -> %s\n' \
		"$round" "$c" "$f" "$base_fds" "$t" "$base_thr" "$(echo "$r / 1024" | bc -l)" \
		"$(echo "$base_rss / 1024" | bc -l)" "$(echo "($r - $base_rss) / 1024" | bc -l)" "$back"
done
# RSS: what stays above the baseline is glibc's cache of thread stacks, the headers of the
# arenas the burst's threads made and the pages that live chunks (cache entries made during the
# round) sit on (postward's allocator settings and its trim when the last connection closes,
# milter/session.c); a leak would grow every round
printf 'postward RSS from round 1 to round %d: %+.1f MB (a leak grows with every round)\n' \
	"$round" "$(echo "($r - $rss1) / 1024" | bc -l)"
[ -n "$ratio_pw" ] && [ -n "$ratio_od" ] || die "no C=200 round (BENCH_CONNS=\"$CONNS\")"
awk -v p="$ratio_pw" -v o="$ratio_od" 'BEGIN { printf "ratio: %.2f\n", p / o }'
