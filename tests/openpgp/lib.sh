# tests/openpgp/lib.sh - shared set-up for the scripts in tests/openpgp (sourced, not run).
#
# `. "$(dirname "$0")/lib.sh" NAME` sets $here (tests/openpgp) and $top, makes $tmp (a fresh
# directory pw-NAME.XXXXXX under $TMPDIR or /tmp) and removes it at exit after running
# $opgp_atexit (a command the script may set, e.g. to stop daemons it started) and stopping
# the gpg-agent of every home in $homes.  Then:
#   ok MESSAGE, ko MESSAGE   a PASS or FAIL line, counted in $passed and $failed
#   check STATUS MESSAGE     ok when STATUS is 0, else ko
#   finish                   "N passed, M failed", exit 1 when anything failed
#   mkhome H                 a fresh GnuPG home $tmp/H, added to $homes; its gpg-agent uses
#                            debug-quick-random (test keys only: RSA keys generate fast)
#   g H ARGS...              gpg in home $tmp/H, batch, no passphrase, trust model always
#   pw IN OUT ARGS...        $PW (pw-opgp, set by the script) with ARGS, IN as standard input,
#                            OUT as standard output: sets $rc, standard error in pw.err (in
#                            the current directory)
# Sanitizer reports make a program exit 86 (ASan) or 87 (UBSan).
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
passed=0
failed=0
homes=""
opgp_atexit=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-$1.XXXXXX") || exit 1

# opgp_cleanup - the script's own exit command, every gpg-agent started here, the directory
opgp_cleanup() {
	local h
	[ -z "$opgp_atexit" ] || $opgp_atexit
	for h in $homes; do
		GNUPGHOME="$tmp/$h" gpgconf --kill all >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap opgp_cleanup EXIT
trap 'exit 130' INT TERM HUP
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
ko() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else ko "$2"; fi; }
finish() {
	echo "$passed passed, $failed failed"
	exit $((failed > 0))
}
mkhome() {
	mkdir -m 700 "$tmp/$1" && echo debug-quick-random > "$tmp/$1/gpg-agent.conf" &&
		homes="$homes $1"
}
g() {
	local h=$1
	shift
	gpg --homedir "$tmp/$h" --batch --no-tty --quiet --pinentry-mode loopback --passphrase '' \
		--trust-model always "$@"
}
pw() {
	local in=$1 out=$2
	shift 2
	"$PW" "$@" < "$in" > "$out" 2> pw.err
	rc=$?
}
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
