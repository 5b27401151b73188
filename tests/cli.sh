#!/bin/bash
# tests/cli.sh - postward's command line, start-up errors, sockets and privileges.
#
# Usage: [POSTWARD=/abs/path/postward] tests/cli.sh
# make check sets POSTWARD; default $(dirname "$0")/../milter/postward.
# Prints "ok: ..." / "NOT OK: ..." per check, then exactly one line "N passed, M failed".
# Exit status 0 all passed, 1 something failed, 99 no binary.
#
# Everything runs in a private mktemp -d directory (removed on exit).  Background postward and
# helper processes are remembered by pid and only those are stopped.  Waiting is always for a
# condition (log line, file, connectable socket) in a bounded loop.  Needs /usr/bin/python3
# (socket helpers); the -u checks need root.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
POSTWARD=${POSTWARD:-$here/../milter/postward}
case $POSTWARD in
/*) ;;
*) POSTWARD=$(cd "$(dirname "$POSTWARD")" && pwd)/$(basename "$POSTWARD") ;;
esac
PY=/usr/bin/python3

if [ ! -x "$POSTWARD" ]; then
	echo "ERROR: postward binary not found or not executable: $POSTWARD"
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-cli.XXXXXX")
bgpids=()
cleanup() {
	for p in "${bgpids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${bgpids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then echo "(kept $tmp)"; else rm -rf -- "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "ok: $1"
}
notok() {
	failed=$((failed + 1))
	echo "NOT OK: $1"
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "  --- $f"
		head -c 4000 "$f" | cat -v | sed 's/^/  | /'
	done
}
# check DESCRIPTION COMMAND... - a check passes when COMMAND succeeds; files named in
# $show are printed on failure
show=
check() {
	local what=$1
	shift
	# shellcheck disable=SC2086 # $show is a list of file names without blanks
	if "$@"; then ok "$what"; else notok "$what" $show; fi
}

# run NAME ARGS... - run postward (bounded by timeout) with stdout/stderr in $tmp/NAME.out/.err;
# sets rc
run() {
	local name=$1
	shift
	timeout -k 2 15 "$POSTWARD" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	show="$tmp/$name.out $tmp/$name.err"
}
lines() { if [ -s "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
is() { [ "$1" = "$2" ]; }
nocrash() { [ "$rc" -lt 124 ]; }	# not killed by a signal, not timed out
has_line() { grep -qF -- "$2" "$1"; }	# FILE contains a line with STRING
# every_line FILE PREFIX - every line of FILE starts with PREFIX (and there is at least one)
every_line() {
	[ -s "$1" ] && awk -v p="$2" 'index($0, p) != 1 { bad = 1 } END { exit bad }' "$1"
}

# wait_for DESCRIPTION SECONDS COMMAND... - poll COMMAND every 0.05 s, at most SECONDS
wait_for() {
	local secs=$2 i
	shift 2
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# start_bg NAME ARGS... - start postward in the background; pid in $bgpid, stderr in
# $tmp/NAME.err
start_bg() {
	local name=$1
	shift
	: >"$tmp/$name.out"
	: >"$tmp/$name.err"
	"$POSTWARD" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	bgpid=$!
	bgpids+=("$bgpid")
}
# listening NAME PID - PID is alive and has logged "listening on"
listening() { kill -0 "$2" 2>/dev/null && grep -q "listening on" "$tmp/$1.err"; }
# stop_bg PID - SIGTERM and wait; sets rc to the exit status
stop_bg() {
	kill -TERM "$1" 2>/dev/null
	local i
	# libmilter notices a stop only between listener polls: allow 15 s
	for ((i = 0; i < 300; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		rc=999
		return
	fi
	wait "$1" 2>/dev/null
	rc=$?
}

# milter_alive SOCKET - a milter speaks at SOCKET (unix:PATH or inet:PORT@HOST): send
# SMFIC_OPTNEG and expect an SMFIC_OPTNEG answer
milter_alive() {
	"$PY" - "$1" <<'EOF'
import socket, struct, sys
spec = sys.argv[1]
kind, _, rest = spec.partition(":")
if kind in ("unix", "local"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    addr = rest
else:
    port, _, host = rest.partition("@")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    addr = (host or "127.0.0.1", int(port))
s.settimeout(5)
try:
    s.connect(addr)
    body = b"O" + struct.pack(">III", 6, 0x1ff, 0x1fffff)
    s.sendall(struct.pack(">I", len(body)) + body)
    hdr = b""
    while len(hdr) < 5:
        chunk = s.recv(5 - len(hdr))
        if not chunk:
            sys.exit(1)
        hdr += chunk
    sys.exit(0 if hdr[4:5] == b"O" else 1)
except OSError:
    sys.exit(1)
EOF
}

# free_port - a TCP port on 127.0.0.1 that was free a moment ago
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

conf=$tmp/postward.conf
printf '# empty: built-in defaults\n' >"$conf"

############################################################################################
echo "# -V and usage errors"

run version -V
check "-V: exit 0" is "$rc" 0
check "-V: prints \"postward VERSION\"" grep -qxE 'postward [0-9]+(\.[0-9]+)+([-.~+][A-Za-z0-9.]+)?' "$tmp/version.out"
check "-V: one line on stdout" is "$(lines "$tmp/version.out")" 1
check "-V: nothing on stderr" is "$(lines "$tmp/version.err")" 0

for args in "-Z" "--bogus" "-c" "-p" "-u" "-n extra-operand"; do
	# shellcheck disable=SC2086
	run usage $args
	check "postward $args: exit 2 (got $rc)" is "$rc" 2
	check "postward $args: no crash" nocrash
	check "postward $args: exactly one line on stderr (got $(lines "$tmp/usage.err"))" is "$(lines "$tmp/usage.err")" 1
	check "postward $args: the line starts with \"postward: \"" grep -q '^postward: ' "$tmp/usage.err"
	check "postward $args: nothing on stdout" is "$(lines "$tmp/usage.out")" 0
done

############################################################################################
echo "# unreadable configuration and policy files"

missing=$tmp/no-such.conf
run missing -n -c "$missing"
check "-n -c missing file: exit 1" is "$rc" 1
check "-n -c missing file: names it" is "$(cat "$tmp/missing.err")" "$missing: cannot read: No such file or directory"

run missing-start -f -c "$missing" -p "unix:$tmp/never.sock"
check "-f -c missing file: exit 1 without starting" is "$rc" 1
check "-f -c missing file: names it" has_line "$tmp/missing-start.err" "$missing: cannot read: No such file or directory"

mkdir "$tmp/confdir"
run dir -n -c "$tmp/confdir"
check "-c directory: exit 1" is "$rc" 1
check "-c directory: \"cannot read: Is a directory\"" is "$(cat "$tmp/dir.err")" "$tmp/confdir: cannot read: Is a directory"

# root reads everything, so take away the capabilities that let it (setpriv, util-linux)
printf 'log_level = info\n' >"$tmp/secret.conf"
chmod 000 "$tmp/secret.conf"
printf 'require_tls sender_domain a.example\n' >"$tmp/secret.policy"
chmod 000 "$tmp/secret.policy"
printf 'policy_files = %s\n' "$tmp/secret.policy" >"$tmp/withsecret.conf"
nocaps=(setpriv --inh-caps=-all "--bounding-set=-dac_override,-dac_read_search")
if [ "$(id -u)" = 0 ] && "${nocaps[@]}" true 2>/dev/null && ! "${nocaps[@]}" cat "$tmp/secret.conf" >/dev/null 2>&1; then
	timeout -k 2 15 "${nocaps[@]}" "$POSTWARD" -n -c "$tmp/secret.conf" >"$tmp/eacces.out" 2>"$tmp/eacces.err"
	rc=$?
	show="$tmp/eacces.err"
	check "-c mode 000 file (no DAC capabilities): exit 1" is "$rc" 1
	check "-c mode 000 file: \"cannot read: Permission denied\"" is "$(cat "$tmp/eacces.err")" "$tmp/secret.conf: cannot read: Permission denied"
	timeout -k 2 15 "${nocaps[@]}" "$POSTWARD" -n -c "$tmp/withsecret.conf" >"$tmp/eacces2.out" 2>"$tmp/eacces2.err"
	rc=$?
	show="$tmp/eacces2.err"
	check "mode 000 policy file: exit 1" is "$rc" 1
	check "mode 000 policy file: \"cannot read: Permission denied\"" is "$(cat "$tmp/eacces2.err")" "$tmp/secret.policy: cannot read: Permission denied"
else
	echo "# (skipped the mode 000 checks: not root, or setpriv cannot drop capabilities here)"
fi

# a FIFO nobody writes to must not hang postward
mkfifo "$tmp/fifo.conf"
timeout -k 2 5 "$POSTWARD" -n -c "$tmp/fifo.conf" >"$tmp/fifo.out" 2>"$tmp/fifo.err"
rc=$?
show="$tmp/fifo.err"
check "-c FIFO without a writer: does not hang (exit $rc)" test "$rc" != 124 -a "$rc" != 137
check "-c FIFO without a writer: exit 1" is "$rc" 1
check "-c FIFO without a writer: \"cannot read\"" has_line "$tmp/fifo.err" "$tmp/fifo.conf: cannot read: "

############################################################################################
echo "# garbage in configuration and policy files"

pol=$tmp/garbage.policy
"$PY" - "$pol" <<'EOF'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"require_tls sender_domain good.example\n")          # 1 fine
    f.write(b"\x80\xff\xfe\xc3\x28 garbage \xf0\x9f\x92\xa9\n")    # 2 binary bytes
    f.write(b"a" * 10000 + b"\n")                                  # 3 overlong
    f.write(b"require_tls sender_domain a\x00b.example\n")         # 4 NUL byte
    f.write(b"require_tls sender_domain \x1b[31mred.example\n")    # 5 escape sequence
    f.write(b"require_tls sender_domain " + b"x" * 20000)         # 6 overlong, no newline
EOF
printf 'policy_files = %s\n' "$pol" >"$tmp/garbage.conf"
run garbage -n -c "$tmp/garbage.conf"
check "garbage policy: exit 1 (got $rc)" is "$rc" 1
check "garbage policy: no crash" nocrash
check "garbage policy: every stderr line is $pol:LINE: ..." every_line "$tmp/garbage.err" "$pol:"
for n in 2 3 4 5 6; do
	check "garbage policy: line $n reported" grep -q "^$pol:$n: " "$tmp/garbage.err"
done
check "garbage policy: line 1 (good) not reported" sh -c "! grep -q '^$pol:1: ' '$tmp/garbage.err'"
check "garbage policy: overlong line named as such" has_line "$tmp/garbage.err" "$pol:3: line longer than"
check "garbage policy: NUL byte named as such" has_line "$tmp/garbage.err" "$pol:4: control character 0x00"

run garbage-start -f -c "$tmp/garbage.conf" -p "unix:$tmp/never.sock"
check "garbage policy without -n: exit 1 without starting" is "$rc" 1
check "garbage policy without -n: FILE:LINE errors" grep -q "^$pol:3: " "$tmp/garbage-start.err"

# practice rules: each mistake named with its line; the good lines pass
ppol=$tmp/practice.policy
cat >"$ppol" <<'EOF'
practice dmarc=fail/reject dnssec=secure reject 550 5.7.1 Go away
practice spf=fail reject
practice dmarc=fail bounce
practice dmarc=fail reject 450 4.7.1 Not a permanent code
practice dkim-adsp=discard/reject quarantine
practice dmarc=fail dnssec=maybe quarantine
practice dmarc=fail,dkim-adsp=discard quarantine held for review
practice dmarc=fail tempfail 451 4.7 Bad enhanced code
EOF
printf 'policy_files = %s\nsender_practices = dmarc, adsp\n' "$ppol" >"$tmp/practice.conf"
run practice -n -c "$tmp/practice.conf"
check "practice rules: exit 1 (got $rc)" is "$rc" 1
check "practice rules: unknown method" has_line "$tmp/practice.err" "$ppol:2: unknown method \"spf\" (expected dmarc or dkim-adsp)"
check "practice rules: unknown action" has_line "$tmp/practice.err" "$ppol:3: unknown action \"bounce\" (expected accept, add_header, quarantine, reject or tempfail)"
check "practice rules: reject with a 4xx code" has_line "$tmp/practice.err" "$ppol:4: reply code \"450\" must be 5XX for reject"
check "practice rules: disposition on dkim-adsp" has_line "$tmp/practice.err" "$ppol:5: \"dkim-adsp=discard/reject\": only dmarc results have a /disposition"
check "practice rules: dnssec=maybe" has_line "$tmp/practice.err" "$ppol:6: dnssec= takes secure, insecure or any, not \"maybe\""
check "practice rules: bad enhanced status code" has_line "$tmp/practice.err" "$ppol:8: enhanced status \"4.7\" must be 4.X.Y for tempfail"
check "practice rules: six errors, good lines 1 and 7 not reported" is "$(lines "$tmp/practice.err")" 6

# the examples shipped in contrib/ are valid as they stand
for ex in practice.policy.example requiretls.policy.example; do
	printf 'policy_files = %s\n' "$here/../contrib/$ex" >"$tmp/ex.conf"
	run example -n -c "$tmp/ex.conf"
	check "contrib/$ex: postward -n accepts it (exit $rc: $(head -1 "$tmp/example.err"))" is "$rc" 0
done

# a large file of random bytes (fixed seed)
rnd=$tmp/random.policy
"$PY" -c 'import random, sys; random.seed(8689); open(sys.argv[1], "wb").write(bytes(random.getrandbits(8) for _ in range(300000)))' "$rnd"
printf 'policy_files = %s\n' "$rnd" >"$tmp/random.conf"
run random -n -c "$tmp/random.conf"
check "random-bytes policy: exit 1 (got $rc)" is "$rc" 1
check "random-bytes policy: no crash" nocrash
check "random-bytes policy: every stderr line is $rnd:LINE: ..." every_line "$tmp/random.err" "$rnd:"

# configuration file with a NUL byte and binary bytes
"$PY" - "$tmp/garbage2.conf" <<'EOF'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"log_level = info\n")
    f.write(b"milter_timeout = 3\x0000\n")
    f.write(b"\xff\xfe\xfd = 1\n")
EOF
run garbageconf -n -c "$tmp/garbage2.conf"
check "garbage configuration: exit 1" is "$rc" 1
check "garbage configuration: NUL byte reported at line 2" grep -q "^$tmp/garbage2.conf:2: " "$tmp/garbageconf.err"
check "garbage configuration: binary setting name reported at line 3" grep -q "^$tmp/garbage2.conf:3: " "$tmp/garbageconf.err"
check "garbage configuration: every stderr line is FILE:LINE: ..." every_line "$tmp/garbageconf.err" "$tmp/garbage2.conf:"

############################################################################################
echo "# socket already in use"

# inet port held by another program
holder_ready=$tmp/holder.port
"$PY" - "$holder_ready" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(5)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
EOF
holder=$!
bgpids+=("$holder")
if wait_for "port holder" 10 test -s "$holder_ready"; then
	port=$(cat "$holder_ready")
	sock="inet:$port@127.0.0.1"
	run inuse -f -c "$conf" -p "$sock"
	check "inet port held by another program: exit 1 (got $rc)" is "$rc" 1
	check "inet port held by another program: an \"in use\" line naming $sock" \
		sh -c "grep -F -- '$sock' '$tmp/inuse.err' | grep -q 'in use'"
	run inuse-daemon -c "$conf" -p "$sock"
	check "inet port in use, without -f: exit 1 (got $rc)" is "$rc" 1
	check "inet port in use, without -f: an \"in use\" line naming $sock on stderr" \
		sh -c "grep -F -- '$sock' '$tmp/inuse-daemon.err' | grep -q 'in use'"
else
	notok "could not start the port holder"
fi
kill -TERM "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# inet socket held by a first postward
port=$(free_port)
sock="inet:$port@127.0.0.1"
start_bg first -f -c "$conf" -p "$sock"
first=$bgpid
show="$tmp/first.err"
if wait_for "first postward" 10 listening first "$first"; then
	ok "first postward listening on $sock"
	run second -f -c "$conf" -p "$sock"
	check "second postward on $sock: exit 1 (got $rc)" is "$rc" 1
	check "second postward on $sock: an \"in use\" line naming it" \
		sh -c "grep -F -- '$sock' '$tmp/second.err' | grep -q 'in use'"
	show="$tmp/first.err"
	check "first postward still answers on $sock" milter_alive "$sock"
	stop_bg "$first"
	check "first postward: SIGTERM stops it with status 0 (got $rc)" is "$rc" 0
else
	notok "first postward did not start on $sock" "$tmp/first.err"
	stop_bg "$first"
fi

# unix socket held by a first postward
usock="unix:$tmp/held.sock"
start_bg ufirst -f -c "$conf" -p "$usock"
ufirst=$bgpid
show="$tmp/ufirst.err"
if wait_for "first postward (unix)" 10 listening ufirst "$ufirst"; then
	ok "first postward listening on $usock"
	run usecond -f -c "$conf" -p "$usock"
	check "second postward on $usock: exit 1 (got $rc)" is "$rc" 1
	check "second postward on $usock: an \"in use\" line naming it" \
		sh -c "grep -F -- '$usock' '$tmp/usecond.err' | grep -q 'in use'"
	show="$tmp/ufirst.err"
	check "first postward's socket file still exists" test -S "$tmp/held.sock"
	check "first postward still answers on $usock" milter_alive "$usock"
	stop_bg "$ufirst"
	check "first postward (unix): SIGTERM stops it with status 0 (got $rc)" is "$rc" 0
else
	notok "first postward did not start on $usock" "$tmp/ufirst.err"
	stop_bg "$ufirst"
fi

# a stale unix socket (nobody listening) is not "in use"
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$tmp/stale.sock"
start_bg stale -f -c "$conf" -p "unix:$tmp/stale.sock"
stale=$bgpid
show="$tmp/stale.err"
check "stale unix socket file: postward starts anyway" wait_for "stale" 10 listening stale "$stale"
check "stale unix socket file: postward answers" milter_alive "unix:$tmp/stale.sock"
stop_bg "$stale"

############################################################################################
echo "# privileges: -u and user ="

# child_of PID - the supervisor PID's child (the worker); uids_of/gids_of PID - from /proc
child_of() { pgrep -P "$1" | head -n 1; }
uids_of() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }
gids_of() { awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	nuid=$(id -u nobody)
	ngid=$(id -g nobody)
	for how in "-u" "user ="; do
		sockpath=$tmp/priv${how%% *}.sock
		sockpath=${sockpath//=/}
		if [ "$how" = "-u" ]; then
			start_bg priv -f -c "$conf" -p "unix:$sockpath" -u nobody
		else
			printf 'user = nobody\n' >"$tmp/user.conf"
			start_bg priv -f -c "$tmp/user.conf" -p "unix:$sockpath"
		fi
		sup=$bgpid
		show="$tmp/priv.err"
		if wait_for "postward $how nobody" 10 listening priv "$sup"; then
			worker=$(child_of "$sup")
			check "$how nobody: the supervisor has a worker child" test -n "$worker"
			if [ -n "$worker" ]; then
				check "$how nobody: worker uids are all $nuid (got $(uids_of "$worker"))" \
					is "$(uids_of "$worker")" "$nuid $nuid $nuid $nuid"
				check "$how nobody: worker gids are all $ngid (got $(gids_of "$worker"))" \
					is "$(gids_of "$worker")" "$ngid $ngid $ngid $ngid"
			fi
			check "$how nobody: the socket was opened (as root) before the switch" test -S "$sockpath"
			check "$how nobody: the worker answers" milter_alive "unix:$sockpath"
			stop_bg "$sup"
			check "$how nobody: SIGTERM stops it with status 0 (got $rc)" is "$rc" 0
		else
			notok "postward $how nobody did not start" "$tmp/priv.err"
			stop_bg "$sup"
		fi
	done
	run nouser -f -c "$conf" -p "unix:$tmp/nouser.sock" -u no-such-user-pw
	check "-u no-such-user: exit 1 (got $rc)" is "$rc" 1
	check "-u no-such-user: the error names the user" has_line "$tmp/nouser.err" "no-such-user-pw"
else
	echo "# (skipped -u checks: not root or no user nobody)"
fi

############################################################################################
echo "# stopping"

for sig in TERM INT; do
	start_bg stop -f -c "$conf" -p "unix:$tmp/stop$sig.sock"
	sup=$bgpid
	show="$tmp/stop.err"
	if wait_for "postward" 10 listening stop "$sup"; then
		worker=$(child_of "$sup")
		kill "-$sig" "$sup"
		for ((i = 0; i < 300; i++)); do kill -0 "$sup" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$sup" 2>/dev/null; then
			notok "SIG$sig: supervisor still running after 15 s" "$tmp/stop.err"
			kill -KILL "$sup"
		fi
		wait "$sup" 2>/dev/null
		rc=$?
		check "SIG$sig: supervisor exits 0 (got $rc)" is "$rc" 0
		check "SIG$sig: the worker is gone too" sh -c "[ -z '$worker' ] || ! kill -0 '$worker' 2>/dev/null"
	else
		notok "postward did not start for the SIG$sig check" "$tmp/stop.err"
		stop_bg "$sup"
	fi
done

# daemon mode: returns once ready, writes the pid file, removes it when stopped
printf 'pid_file = %s\n' "$tmp/postward.pid" >"$tmp/daemon.conf"
run daemon -c "$tmp/daemon.conf" -p "unix:$tmp/daemon.sock"
check "daemon mode: exit 0 once started (got $rc)" is "$rc" 0
check "daemon mode: pid file written" test -s "$tmp/postward.pid"
dpid=$(cat "$tmp/postward.pid" 2>/dev/null)
if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
	bgpids+=("$dpid")
	check "daemon mode: the pid file names a running postward" grep -q postward "/proc/$dpid/cmdline"
	check "daemon mode: it answers" milter_alive "unix:$tmp/daemon.sock"
	kill -TERM "$dpid"
	check "daemon mode: SIGTERM stops it" wait_for "daemon stop" 15 sh -c "! kill -0 $dpid 2>/dev/null"
	check "daemon mode: pid file removed when it stops" wait_for "pid file" 5 test ! -e "$tmp/postward.pid"
else
	notok "daemon mode: no running process named by the pid file"
fi

# the allocator settings (milter/session.c): made at start-up, or left alone when the
# administrator sets glibc.malloc tunables
printf 'log_level = debug\n' >"$tmp/alloc.conf"
for t in "" "glibc.malloc.arena_max=2"; do
	GLIBC_TUNABLES=$t start_bg "alloc$t" -f -c "$tmp/alloc.conf" -p "unix:$tmp/alloc.sock"
	check "allocator (GLIBC_TUNABLES=$t): postward starts" wait_for listening 30 listening "alloc$t" "$bgpid"
	if [ -z "$t" ]; then
		check "allocator: its settings are logged" grep -q "allocator: \(fastbins off\|settings refused\)" "$tmp/alloc.err"
	else
		check "allocator: GLIBC_TUNABLES with glibc.malloc leaves it alone" grep -q "allocator: left as GLIBC_TUNABLES sets it" "$tmp/alloc$t.err"
	fi
	stop_bg "$bgpid"
	check "allocator (GLIBC_TUNABLES=$t): clean stop (got $rc)" is "$rc" 0
done

# a broken configuration stops the start (not only -n)
printf 'log_level = loud\n' >"$tmp/broken.conf"
run broken -f -c "$tmp/broken.conf" -p "unix:$tmp/broken.sock"
check "broken configuration: exit 1 without starting (got $rc)" is "$rc" 1
check "broken configuration: FILE:LINE error" grep -q "^$tmp/broken.conf:1: " "$tmp/broken.err"
check "broken configuration: no socket created" test ! -e "$tmp/broken.sock"

# list files with their managed subscriber files (NAME.subscribers, policy/listfile.h):
# -n reads them with their list, names the managed file in its errors, and a subscriber in
# both files is a warning only
FPR=0123456789ABCDEF0123456789ABCDEF01234567
mkdir -p "$tmp/lists"
printf 'list_directory = %s/lists\n' "$tmp" >"$tmp/lists.conf"
printf 'list board@lists.example\nowner o@example.org\nopenpgp_key %s\nsubscriber a@example.org openpgp=%s\n' \
	"$FPR" "$FPR" >"$tmp/lists/board.list"
run lists-none -n -c "$tmp/lists.conf"
check "lists: -n without board.subscribers exits 0 (got $rc)" is "$rc" 0
printf '# managed by postward\nsubscriber b@example.org openpgp=%s admin\n' "$FPR" \
	>"$tmp/lists/board.subscribers"
run lists-good -n -c "$tmp/lists.conf"
check "lists: -n with a good board.subscribers exits 0, silent (got $rc)" \
	eval '[ "$rc" = 0 ] && [ ! -s "$tmp/lists-good.err" ]'
printf 'subscriber b@example.org openpgp=%s\nsubscriber a@example.org openpgp=%s\n' "$FPR" "$FPR" \
	>"$tmp/lists/board.subscribers"
run lists-warn -n -c "$tmp/lists.conf"
check "lists: a subscriber in both files: exit 0 (got $rc)" is "$rc" 0
check "lists: a subscriber in both files: a warning naming both files" \
	has_line "$tmp/lists-warn.err" "$tmp/lists/board.subscribers:2: warning: subscriber \"a@example.org\" is also in the list file ($tmp/lists/board.list:4); the list file's entry is used"
printf 'subscriber b@example.org openpgp=%s\nsubscriber c@example.org openpgp=12\n' "$FPR" \
	>"$tmp/lists/board.subscribers"
run lists-broken -n -c "$tmp/lists.conf"
check "lists: a broken board.subscribers fails -n (got $rc)" is "$rc" 1
check "lists: the error names board.subscribers and its line" \
	has_line "$tmp/lists-broken.err" "$tmp/lists/board.subscribers:2: bad OpenPGP fingerprint \"12\""
printf 'owner x@example.org\n' >"$tmp/lists/board.subscribers"
run lists-stmt -n -c "$tmp/lists.conf"
check "lists: a list setting in board.subscribers is an error naming that file (got $rc)" \
	eval '[ "$rc" = 1 ] && grep -q "^$tmp/lists/board.subscribers:1: only subscriber statements" "$tmp/lists-stmt.err"'
rm -f "$tmp/lists/board.subscribers"
mkdir "$tmp/lists/board.subscribers"
run lists-dir -n -c "$tmp/lists.conf"
check "lists: an unreadable board.subscribers is an error naming it (got $rc)" \
	eval '[ "$rc" = 1 ] && grep -q "^$tmp/lists/board.subscribers: cannot read" "$tmp/lists-dir.err"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
