# tests/load/lib.sh - shared set-up for the tests in tests/load (sourced, not run).
#
# After `. lib.sh`:  ok/bad MESSAGE count a check; finish prints "N passed, M failed" and exits;
#   load_setup      makes $tmp (removed at exit), an Ed25519 key published in secure.test of the
#                   DNS fixture (tests/dns/fixture.sh, started in $tmp/dns, . $tmp/dns/env), a
#                   message signed by it ($tmp/signed.eml; with LOAD_SELECTORS=N also the same
#                   message signed under selectors ed2..edN+1 as $tmp/selNN.eml, From: secure.test, whose DMARC record
#                   is p=reject) and $tmp/pw.conf pointing postward at DNS_SERVER (or at
#                   $PW_DNS_SERVER when set before load_setup, e.g. a dnsproxy.py in front)
#   pw_start [ARGS]  starts postward -f on unix:$tmp/pw.sock (extra ARGS appended), waits until
#                   it accepts connections; sets PW_PID (the supervisor) and PW_WORKER (the
#                   process that serves the socket)
#   pw_stop         SIGTERM, waits; returns postward's exit status (0: sanitizers quiet)
#   pw_fds          the worker's open descriptors now (count of /proc/PID/fd)
#   miltc ARGS      runs the strict client (PW_MILTC) against $tmp/pw.sock
# Env: POSTWARD, PW_MILTC (make check sets both), top_srcdir.
set -u
export LC_ALL=C
here=${here:-$(cd "$(dirname "$0")" && pwd)}
top=$(cd "$here/../.." && pwd)
POSTWARD=${POSTWARD:-$top/milter/postward}
PW_MILTC=${PW_MILTC:-$top/tests/load/pw-miltc}
FIXTURE=$top/tests/dns/fixture.sh
PY=/usr/bin/python3
passed=0
failed=0
PW_PID=""
PW_WORKER=""
tmp=""
extra_cleanup=""

ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

load_cleanup() {
	[ -n "$extra_cleanup" ] && eval "$extra_cleanup"
	if [ -n "$PW_PID" ]; then
		kill -TERM "$PW_PID" 2>/dev/null
		wait "$PW_PID" 2>/dev/null
	fi
	[ -n "$tmp" ] && "$FIXTURE" stop "$tmp/dns" >/dev/null 2>&1
	[ -n "$tmp" ] && [ "${KEEP:-0}" != 1 ] && rm -rf "$tmp"
	[ "${KEEP:-0}" = 1 ] && echo "kept $tmp"
}

# wait_for WHAT SECONDS COMMAND... - until COMMAND succeeds (an event), at most SECONDS
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq 1 $((secs * 20))); do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out after ${secs}s waiting for $what" >&2
	return 1
}

load_setup() {
	[ -x "$PW_MILTC" ] || { echo "ERROR: no pw-miltc at $PW_MILTC"; exit 99; }
	[ -x "$POSTWARD" ] || { echo "ERROR: no postward at $POSTWARD"; exit 99; }
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-load.XXXXXX") || exit 1
	trap load_cleanup EXIT
	openssl genpkey -algorithm ed25519 -out "$tmp/ed.pem" 2>/dev/null || { bad "openssl genpkey"; finish; }
	local pub
	pub=$(openssl pkey -in "$tmp/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
	openssl pkey -in "$tmp/ed.pem" -outform DER | tail -c 32 | base64 -w0 >"$tmp/ed.seed"
	mkdir -p "$tmp/records"
	# ed1, and ed2..edN+1 with LOAD_SELECTORS=N: the same key under more names
	for i in $(seq 1 $((1 + ${LOAD_SELECTORS:-0}))); do
		echo "ed$i._domainkey TXT \"v=DKIM1; k=ed25519; p=$pub\""
	done >"$tmp/records/secure.test.records"
	"$FIXTURE" start "$tmp/dns" "$tmp/records" >/dev/null 2>"$tmp/fixture.log" ||
		{ cat "$tmp/fixture.log"; bad "DNS fixture did not start"; finish; }
	# shellcheck disable=SC1091
	. "$tmp/dns/env"
	printf 'From: Alice <alice@secure.test>\nTo: bob@example.net\nSubject: load\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <load@secure.test>\n\nHello,\n  this is a test.\n' >"$tmp/plain.txt"
	"$PY" - "$tmp" "${LOAD_SELECTORS:-0}" <<'EOF' || { bad "dkimpy signing"; finish; }
import sys, dkim
d = sys.argv[1]
msg = open(d + '/plain.txt', 'rb').read()
sig = dkim.sign(msg, b'ed1', b'secure.test', open(d + '/ed.seed', 'rb').read().strip(),
                signature_algorithm=b'ed25519-sha256', include_headers=[b'from', b'to', b'subject'])
open(d + '/signed.eml', 'wb').write(sig + msg)
for i in range(2, 2 + int(sys.argv[2])):
    sig = dkim.sign(msg, b'ed%d' % i, b'secure.test', open(d + '/ed.seed', 'rb').read().strip(),
                    signature_algorithm=b'ed25519-sha256', include_headers=[b'from', b'to', b'subject'])
    open(d + '/sel%02d.eml' % i, 'wb').write(sig + msg)
EOF
	cat >"$tmp/pw.conf" <<EOF
dns_nameservers = ${PW_DNS_SERVER:-$DNS_SERVER}
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = ${PW_DNS_TIMEOUT:-2}
authserv_id = pw.test
log_level = ${PW_LOG_LEVEL:-info}
EOF
}

# worker_of PID - the child that serves the socket (the supervisor forks it)
worker_of() {
	local w
	w=$(pgrep -P "$1" 2>/dev/null | head -1)
	[ -n "$w" ] && echo "$w"
}

pw_start() {
	rm -f "$tmp/pw.sock"
	"$POSTWARD" -f -c "$tmp/pw.conf" -p "unix:$tmp/pw.sock" "$@" 2>>"$tmp/pw.log" &
	PW_PID=$!
	wait_for "postward's socket" 30 test -S "$tmp/pw.sock" || { tail -20 "$tmp/pw.log"; bad "postward did not start"; finish; }
	wait_for "postward's worker" 10 worker_of "$PW_PID" >/dev/null || { bad "no postward worker"; finish; }
	PW_WORKER=$(worker_of "$PW_PID")
}

pw_stop() {
	local st
	kill -TERM "$PW_PID" 2>/dev/null
	wait "$PW_PID"
	st=$?
	PW_PID=""
	return $st
}

pw_fds() {
	ls "/proc/$PW_WORKER/fd" 2>/dev/null | wc -l
}

miltc() {
	"$PW_MILTC" -s "unix:$tmp/pw.sock" "$@"
}
