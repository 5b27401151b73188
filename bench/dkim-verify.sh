#!/bin/bash
# bench/dkim-verify.sh - DKIM verification throughput: postward against OpenDKIM, same corpus,
# same milter client, same DNS, one run.
#
# usage: bench/dkim-verify.sh [COUNT]
#
# Makes a corpus of COUNT signed messages (default 3000; bench/dkim-corpus.py: 2-20 KB of
# text, 40 signing domains in the DNSSEC-signed zone secure.test, rsa-sha256 2048-bit mostly,
# one in five ed25519-sha256, all relaxed/relaxed), publishes the keys in a private NSD
# (tests/dns/fixture.sh), starts both milters and pushes the corpus through each with CLIENTS
# parallel miltertest processes (bench/dkim-send.lua, one new milter connection per message
# by default): one message alone, one warm-up pass (fills both DNS caches), then ROUNDS
# measured passes per milter, interleaved (postward, opendkim, opendkim, postward, ...), each
# timed by the wall clock around the whole pass; a milter's figure is its median pass.  Every
# Authentication-Results field of every pass must be a dkim=pass with a DNSSEC-secure key
# (postward: "key DNSSEC secure"; OpenDKIM: "secure" on RSA keys, never "unprotected"),
# otherwise the run stops with the reason: a benchmark of a filter that fails everything
# means nothing.
#
# DNS: postward validates with its own resolver (dns_nameservers = the fixture, dns_trust_
# anchor_file = the fixture's anchor).  Debian's OpenDKIM 2.11 is linked against libunbound
# (USE_UNBOUND in opendkim -V) and validates too, from the same anchor: Nameservers = the
# fixture, TrustAnchorFile = the fixture's anchor, and a three-line ResolverConfiguration
# (local-zone "test." nodefault: libunbound otherwise answers test. itself, RFC 6761).
# OpenDKIM re-reads that file at every message, for its VBR handle, with libunbound's
# non-reentrant parser, and crashes when two messages do so at once; bench/ub-config-lock.c,
# preloaded, makes those parses take turns (see there).  Both keep their default caches
# (postward's validated-answer cache; libunbound's message and RRset caches).  The key records
# have a TTL of 3600 s.
#
# Output: a header (versions, corpus, concurrency, DNS mode, load average), a warm-up line per
#   milter, one line per round, then per milter "NAME: N messages in T s = R msg/s" (median
#   pass) and a CPU line (milter and miltertest CPU time per message, from /proc), and as the
#   last line "ratio: X" = postward msg/s / OpenDKIM msg/s, two decimals.
#
# Environment:
#   POSTWARD        the postward binary (default: milter/postward of this tree).  Use a build
#                   without --enable-sanitizers: the script refuses one linked with libasan
#                   (BENCH_ALLOW_SANITIZERS=1 to run anyway).  bench/build-postward.sh makes
#                   a plain one under /tmp: POSTWARD=$(bench/build-postward.sh) bench/dkim-verify.sh
#   BENCH_COUNT     messages (the argument wins), default 3000
#   BENCH_CLIENTS   parallel miltertest clients, default: CPUs, at most 4
#   BENCH_PER_CONN  messages per milter connection, default 1
#   BENCH_ROUNDS    measured passes per milter, default 3 (the median counts)
#   BENCH_DOMAINS   signing domains, default 40;  BENCH_SEED  corpus texts, default 1
#   BENCH_KEEP=1    keep the temporary directory (logs, outputs) and say where it is
# Needs (Debian 12): opendkim, miltertest, nsd, ldnsutils, openssl, python3-dkim, gcc (for the
# shim); as root the missing ones are installed with apt-get.  Exit status 0 after a complete run, 1 on failure.
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
FIXTURE=$top/tests/dns/fixture.sh

die() { echo "dkim-verify.sh: $*" >&2; exit 1; }

load0=$(cut -d' ' -f1 /proc/loadavg)	# before this script adds its own
COUNT=${1:-${BENCH_COUNT:-3000}}
ncpu=$(nproc 2>/dev/null || echo 1)
CLIENTS=${BENCH_CLIENTS:-$((ncpu < 4 ? ncpu : 4))}
PER_CONN=${BENCH_PER_CONN:-1}
DOMAINS=${BENCH_DOMAINS:-40}
SEED=${BENCH_SEED:-1}
ROUNDS=${BENCH_ROUNDS:-3}
POSTWARD=${POSTWARD:-$top/milter/postward}
for v in COUNT CLIENTS PER_CONN DOMAINS SEED ROUNDS; do
	case ${!v} in ''|*[!0-9]*) die "BENCH_$v must be a number, not \"${!v}\"" ;; esac
	[ "${!v}" -gt 0 ] || [ "$v" = SEED ] || die "BENCH_$v must be at least 1"
done
[ "$COUNT" -ge "$CLIENTS" ] || die "fewer messages ($COUNT) than clients ($CLIENTS)"

# ---- tools --------------------------------------------------------------------------------
need() {	# need PACKAGE TEST...: the package whose absence TEST reveals
	local pkg=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
check_tools() {
	missing=""
	need opendkim command -v opendkim
	need miltertest command -v miltertest
	need nsd command -v nsd
	need ldnsutils command -v ldns-signzone
	need ldnsutils command -v drill
	need openssl command -v openssl
	need gcc command -v "${CC:-cc}"
	need python3-dkim "$PY" -c 'import dkim, nacl.signing'
	missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
	missing=${missing% }
}
check_tools
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing Debian packages: $missing (apt-get install $missing)"
	echo "dkim-verify.sh: installing $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2 ||
		{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2; } ||
		die "could not install $missing"
	# the opendkim package may start a system opendkim where an init system runs; unused here
	check_tools
	[ -z "$missing" ] || die "still missing: $missing"
fi
[ -x "$POSTWARD" ] || die "no postward binary at $POSTWARD: build it first: ./configure && make (or set POSTWARD=path)"
if ldd "$POSTWARD" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	[ "${BENCH_ALLOW_SANITIZERS:-0}" = 1 ] ||
		die "$POSTWARD is built with sanitizers (--enable-sanitizers): benchmark a plain build, e.g. POSTWARD=\$(bench/build-postward.sh) bench/dkim-verify.sh (or set BENCH_ALLOW_SANITIZERS=1)"
	sanitized=" (SANITIZER BUILD: figures not representative)"
else
	sanitized=""
fi

# ---- processes and clean-up ---------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-bench-dkim.XXXXXX") || die "mktemp failed"
PID_postward=""
PID_opendkim=""
client_pids=""

# stop_milter NAME - end the milter NAME this script started (TERM; KILL after ~10 s), reap it
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
	local p
	for p in $client_pids; do kill -TERM "$p" 2>/dev/null || true; done
	stop_milter postward
	stop_milter opendkim
	"$FIXTURE" stop "$tmp/dns" >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "dkim-verify.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_socket PATH PID NAME LOG - poll until the milter listens at PATH (or has died)
wait_socket() {
	local i
	for i in $(seq 1 400); do
		kill -0 "$2" 2>/dev/null || { tail -20 "$4" >&2; die "$3 exited at start-up (log above)"; }
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	tail -20 "$4" >&2
	die "$3 does not listen on $1 after 20 s"
}

# cpu_ticks PID - user+system clock ticks of PID and its children so far (threads included)
cpu_ticks() {
	local p t=0 f
	for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
		# fields after the command name: state is field 1, utime 12, stime 13
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		set -- $f
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
# child_ticks - user+system ticks of this shell's waited-for children so far
# (cutime + cstime: fields 14 and 15 after the command name in /proc/PID/stat)
child_ticks() {
	awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"
}

# run_pass NAME SOCK LABEL - all clients over the corpus; sets ELAPSED (s); checks results
run_pass() {
	local name=$1 sock=$2 label=$3 k pid t0 t1 rc=0 out
	client_pids=""
	t0=$(date +%s.%N)
	for k in $(seq 1 "$CLIENTS"); do
		out=$tmp/$name-$label-$k
		miltertest -s "$here/dkim-send.lua" -D sock="unix:$sock" \
			-D corpus="$tmp/corpus/client-$k.msgs" -D per_conn="$PER_CONN" \
			>"$out.out" 2>"$out.err" &
		client_pids="$client_pids $!"
	done
	for pid in $client_pids; do wait "$pid" || rc=1; done
	t1=$(date +%s.%N)
	client_pids=""
	ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	[ "$rc" = 0 ] || { cat "$tmp/$name-$label-"*.err >&2; die "$name $label pass: a miltertest client failed (above)"; }
	check_results "$name" "$label"
}

# check_results NAME LABEL - every message answered, every result a DNSSEC-backed pass
check_results() {
	local name=$1 label=$2 all n done_n good bad
	all=$tmp/$name-$label.ar
	cat "$tmp/$name-$label-"*.out | grep '^AR ' >"$all" || true
	done_n=$(cat "$tmp/$name-$label-"*.out | awk '/^DONE / { n += $2 } END { print n + 0 }')
	n=$(wc -l <"$all")
	[ "$done_n" = "$COUNT" ] && [ "$n" = "$COUNT" ] ||
		die "$name $label pass: $n results for $COUNT messages (clients said $done_n)"
	case $name in
	postward) good='; dkim=pass \(key DNSSEC secure\) header\.d=' ;;
	opendkim) good='; dkim=pass( \([0-9]+-bit key; secure\))? header\.d=' ;;
	esac
	bad=$(grep -Ev -- "$good" "$all" | head -3 || true)
	if [ -n "$bad" ]; then
		printf '%s\n' "$bad" >&2
		die "$name $label pass: $(grep -Evc -- "$good" "$all") of $COUNT results are not a DNSSEC-secure dkim=pass (first ones above); logs in $tmp (set BENCH_KEEP=1 to keep them)"
	fi
	if [ "$name" = opendkim ] && ! grep -q 'bit key; secure)' "$all"; then
		die "opendkim $label pass: no result says the key was DNSSEC secure"
	fi
}

# prime NAME SOCK - one message through one client first: a milter that cannot verify at all
# (DNS, trust anchor, configuration) is reported plainly before the parallel passes start.
prime() {
	local out=$tmp/$1-prime
	miltertest -s "$here/dkim-send.lua" -D sock="unix:$2" -D corpus="$tmp/corpus/prime.msgs" \
		>"$out.out" 2>"$out.err" || { cat "$out.err" >&2; die "$1: the first message failed"; }
	grep -q '^AR P000000 .*; dkim=pass' "$out.out" ||
		die "$1: the first message did not pass: $(grep '^AR' "$out.out")"
}

# start_milter NAME - start postward or opendkim on $tmp/NAME.sock, wait until it listens, send
# one message, then the warm-up pass
start_milter() {
	local name=$1 sock log
	sock=$tmp/$name.sock
	log=$tmp/$name.log
	rm -f "$sock"
	case $name in
	postward)
		"$POSTWARD" -f -c "$tmp/postward.conf" -p "unix:$sock" 2>"$log" &
		;;
	opendkim)
		UB_CONFIG_LOCK_COUNT=$tmp/opendkim.ubconfig LD_PRELOAD=$tmp/ub-config-lock.so \
			opendkim -f -x "$tmp/opendkim.conf" >"$log" 2>&1 &
		;;
	esac
	printf -v "PID_$name" '%s' "$!"
	wait_socket "$sock" "$!" "$name" "$log"
	prime "$name" "$sock"
	run_pass "$name" "$sock" warmup
	echo "$name: warm-up pass: $COUNT messages in $ELAPSED s, every one dkim=pass (DNSSEC secure key)"
}

# measure NAME ROUND - one timed pass; appends the time to TIMES_NAME, CPU ticks to
# MCPU_NAME (milter) and CCPU_NAME (clients)
measure() {
	local name=$1 round=$2 pid c0 c1 k0 k1 tv mv cv
	pid=PID_$name
	pid=${!pid}
	c0=$(cpu_ticks "$pid")
	k0=$(child_ticks)
	run_pass "$name" "$tmp/$name.sock" "round$round"
	c1=$(cpu_ticks "$pid")
	k1=$(child_ticks)
	tv=TIMES_$name mv=MCPU_$name cv=CCPU_$name
	printf -v "$tv" '%s' "${!tv} $ELAPSED"
	printf -v "$mv" '%s' $((${!mv} + c1 - c0))
	printf -v "$cv" '%s' $((${!cv} + k1 - k0))
}

# report NAME - the result lines of NAME; sets RATE_NAME (from the median time)
report() {
	local name=$1 tv mv cv med rate
	tv=TIMES_$name mv=MCPU_$name cv=CCPU_$name
	med=$(printf '%s\n' ${!tv} | sort -n | awk '{ t[NR] = $1 }
		END { printf "%.3f", NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
	rate=$(awk -v n="$COUNT" -v t="$med" 'BEGIN { printf "%.1f", n / t }')
	echo "$name: $COUNT messages in $med s = $rate msg/s"
	awk -v n=$((COUNT * ROUNDS)) -v m="${!mv}" -v c="${!cv}" -v hz="$(getconf CLK_TCK)" \
		-v who="$name" 'BEGIN { printf "%s: cpu per message: milter %.3f ms, miltertest clients %.3f ms\n",
			who, m * 1000 / hz / n, c * 1000 / hz / n }'
	printf -v "RATE_$name" '%s' "$rate"
}

# ---- corpus, DNS, configurations ----------------------------------------------------------
cd "$tmp"
echo "dkim-verify.sh: making $COUNT signed messages (dkimpy) ..." >&2
"$PY" "$here/dkim-corpus.py" "$tmp/corpus" "$COUNT" "$CLIENTS" "$DOMAINS" "$SEED" ||
	die "corpus generation failed"
"$FIXTURE" start "$tmp/dns" "$tmp/corpus/records" >/dev/null 2>"$tmp/fixture.log" ||
	{ cat "$tmp/fixture.log" >&2; die "DNS fixture did not start"; }
# shellcheck disable=SC1091
. "$tmp/dns/env"

cat >"$tmp/postward.conf" <<EOF
# bench/dkim-verify.sh: verification only; log_level stays at its default (info)
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
authserv_id = bench.test
EOF
# libunbound answers test. itself (a default local zone, RFC 6761) unless told otherwise, and
# only a configuration file can tell it: the smallest one that does, since OpenDKIM re-reads it
# at every message (see bench/ub-config-lock.c).  The forwarder and the anchor come from
# OpenDKIM's own Nameservers and TrustAnchorFile.
cat >"$tmp/opendkim-unbound.conf" <<EOF
server:
	local-zone: "test." nodefault
	do-not-query-localhost: no
EOF
cat >"$tmp/opendkim.conf" <<EOF
# bench/dkim-verify.sh: verify mode; DNS through libunbound, validating from the same anchor
Mode			v
Socket			local:$tmp/opendkim.sock
Background		no
Syslog			no
AuthservID		bench.test
Nameservers		$DNS_SERVER
TrustAnchorFile		$TRUST_ANCHOR
ResolverConfiguration	$tmp/opendkim-unbound.conf
EOF
${CC:-cc} -shared -fPIC -O2 -o "$tmp/ub-config-lock.so" "$here/ub-config-lock.c" -ldl -lpthread \
	2>"$tmp/cc.log" || { cat "$tmp/cc.log" >&2; die "cannot build bench/ub-config-lock.c"; }
opendkim -n -x "$tmp/opendkim.conf" >"$tmp/opendkim-n.log" 2>&1 ||
	{ cat "$tmp/opendkim-n.log" >&2; die "opendkim rejects its configuration"; }

pw_version=$("$POSTWARD" -V 2>/dev/null | head -1)
gitrev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo "?")
od_version=$(opendkim -V 2>/dev/null | head -1 | sed 's/^opendkim: //')
od_unbound=$(opendkim -V 2>/dev/null | grep -q USE_UNBOUND && echo "libunbound" || echo "no libunbound")
echo "DKIM verification benchmark: postward vs OpenDKIM (bench/dkim-verify.sh)"
echo "postward: $pw_version, $POSTWARD (work tree now at $gitrev)$sanitized"
echo "opendkim: $od_version ($od_unbound), Debian $(dpkg-query -W -f='${Version}' opendkim 2>/dev/null)"
echo "corpus: $(cat "$tmp/corpus/summary")"
echo "clients: $CLIENTS parallel miltertest, $((COUNT / CLIENTS))+ messages each, $PER_CONN message(s) per milter connection; $ncpu CPUs"
echo "dns: NSD fixture $DNS_SERVER, keys in DNSSEC-signed secure.test (TTL 3600), trust anchor test."
echo "dns: postward: its own validating resolver; opendkim: libunbound validating (Nameservers + TrustAnchorFile, local-zone test. nodefault), ub_ctx_config serialised by bench/ub-config-lock.so"
echo "passes: per milter one message, one warm-up pass (caches warm), then $ROUNDS measured passes interleaved with the other's; median reported"
echo "logging: postward log_level info to a file; opendkim Syslog no"
echo "load: 1-minute load average $load0 when started$(awk -v l="$load0" -v n="$ncpu" 'BEGIN { if (l > n / 4) print " (other work on this machine: figures are noisy)" }')"

start_milter postward
start_milter opendkim
# Measured passes, interleaved (the order alternates) so that other load on the machine falls
# on both alike; each milter's figure is its median pass.
TIMES_postward="" TIMES_opendkim="" MCPU_postward=0 MCPU_opendkim=0 CCPU_postward=0 CCPU_opendkim=0
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then order="postward opendkim"; else order="opendkim postward"; fi
	for name in $order; do measure "$name" "$r"; done
	echo "round $r: postward $(echo $TIMES_postward | awk '{ print $NF }') s, opendkim $(echo $TIMES_opendkim | awk '{ print $NF }') s"
done
stop_milter postward
stop_milter opendkim
[ ! -s "$tmp/opendkim.ubconfig" ] ||
	echo "opendkim: parsed its ResolverConfiguration $(cat "$tmp/opendkim.ubconfig") times (once per message)"
report postward
report opendkim
# shellcheck disable=SC2154
awk -v p="$RATE_postward" -v o="$RATE_opendkim" 'BEGIN { printf "ratio: %.2f\n", p / o }'
