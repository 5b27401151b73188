#!/bin/bash
# tests/miltertest/run.sh - run every tests/miltertest/*.lua with miltertest against postward.
#
# Usage: run.sh [NAME...]      (NAME: a script's base name without .lua; default: all)
# Environment:
#   POSTWARD    absolute path of the built binary (make check sets it; default
#               $(dirname "$0")/../../milter/postward)
#   MILTERTEST  miltertest binary (default: from PATH)
#   PW_TEST_TIMEOUT  seconds allowed per script (default 120)
#   VERBOSE=1   show every script's output, not only failing ones
#   KEEP=1      keep each script's temporary directory
#
# Each script gets a private directory (mktemp -d, removed on exit) and these miltertest
# globals: postward, sock (unix:DIR/milter.sock), tmp (DIR), log (DIR/stderr.log, which
# receives postward's stderr: postward inherits miltertest's stderr), lib (lib/pw.lua) and name.
# The script starts postward itself with mt.startfilter(postward, "-f", "-c", conf, "-p", sock).
# Output: one "PASS: name" / "FAIL: name" line per script, then "N passed, M failed".
# Exit status: 0 all passed, 1 some failed, 77 miltertest missing (automake: skipped),
# 99 postward missing (automake: hard error).

set -u

here=$(cd "$(dirname "$0")" && pwd)
POSTWARD=${POSTWARD:-$here/../../milter/postward}
case $POSTWARD in
/*) ;;
*) POSTWARD=$(cd "$(dirname "$POSTWARD")" && pwd)/$(basename "$POSTWARD") ;;
esac
MILTERTEST=${MILTERTEST:-$(command -v miltertest || true)}
limit=${PW_TEST_TIMEOUT:-120}

if [ -z "$MILTERTEST" ] || [ ! -x "$MILTERTEST" ]; then
	echo "SKIP: miltertest not found (Debian package miltertest)"
	exit 77
fi
if [ ! -x "$POSTWARD" ]; then
	echo "ERROR: postward binary not found or not executable: $POSTWARD"
	exit 99
fi

tmp=
cleanup() {
	if [ -n "$tmp" ] && [ -d "$tmp" ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf -- "$tmp"
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# leftovers - pids of processes still running with our private directory in their command
# line (a postward that outlived miltertest)
leftovers() {
	pgrep -f -- "$1/" 2>/dev/null || true
}

if [ $# -gt 0 ]; then
	scripts=()
	for n in "$@"; do scripts+=("$here/${n%.lua}.lua"); done
else
	scripts=("$here"/*.lua)
fi

passed=0
failed=0
for script in "${scripts[@]}"; do
	name=$(basename "$script" .lua)
	if [ ! -f "$script" ]; then
		echo "FAIL: $name (no such script: $script)"
		failed=$((failed + 1))
		continue
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-mt-$name.XXXXXX")
	# timeout puts miltertest and the postward it starts in one process group and signals
	# the whole group if the script hangs
	timeout -k 5 "$limit" "$MILTERTEST" \
		-D postward="$POSTWARD" \
		-D sock="unix:$tmp/milter.sock" \
		-D tmp="$tmp" \
		-D log="$tmp/stderr.log" \
		-D lib="$here/lib/pw.lua" \
		-D name="$name" \
		-s "$script" >"$tmp/stdout.log" 2>"$tmp/stderr.log"
	rc=$?
	why=
	case $rc in
	0) ;;
	124|137) why="timed out after ${limit}s" ;;
	*) why="miltertest exit status $rc" ;;
	esac
	# postward must be gone once miltertest has stopped it (bounded wait)
	left=
	for _ in $(seq 50); do
		left=$(leftovers "$tmp")
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		why="${why:+$why; }processes left running: ${left//$'\n'/ }"
		for pid in $left; do kill -KILL "$pid" 2>/dev/null; done
	fi
	if [ -z "$why" ]; then
		echo "PASS: $name"
		passed=$((passed + 1))
	else
		echo "FAIL: $name ($why)"
		failed=$((failed + 1))
	fi
	if [ -n "$why" ] || [ "${VERBOSE:-0}" = 1 ]; then
		echo "  --- $name: miltertest output"
		sed 's/^/  | /' "$tmp/stdout.log"
		echo "  --- $name: stderr (miltertest and postward)"
		tail -n 80 "$tmp/stderr.log" | sed 's/^/  | /'
	fi
	[ "${KEEP:-0}" = 1 ] && echo "  (kept $tmp)"
	cleanup
	tmp=
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
