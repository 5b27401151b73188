# tests/openpgp/lib.sh - what the OpenPGP test scripts share; sourced by rewrap.sh, curves.sh,
# formats.sh, roster.sh and bench.sh, never run on its own.
#
# Contract: sourcing sets -u, LC_ALL=C, "top" (the source tree, from this file's place) and
# "here" (the sourcing script's directory); the sourcing script calls opgp_tmp PREFIX first: it makes the
# temporary directory $tmp (mktemp -d under ${TMPDIR:-/tmp}) and on exit runs $opgp_atexit
# (a command the script may set, e.g. to stop daemons it started), stops the gpg-agent of
# every home named in $homes (directories under $tmp) and removes $tmp.  Then:
#   ok / ko TEXT, check STATUS TEXT   count a PASS or FAIL line; finish prints "N passed,
#                                     M failed" and exits 1 on any failure
#   opgp_build OUT FLAGS...           compile pw-opgp into OUT (errors in $tmp/cc.log)
#   opgp_tool [PW-OPGP]               set PW: the argument, $PW_OPGP, tests/openpgp/pw-opgp, or
#                                     one built here with -O2 $PW_CFLAGS; sanitizer reports
#                                     exit 86/87
#   pw IN OUT ARGS...                 run $PW: rc, stderr in pw.err; sane, refused [STATUS]
#                                     and show judge and print that run
#   g HOME ARGS...                    gpg in $tmp/HOME, batch, no passphrase, trust always
#   newkey HOME UID ALGO USAGE [SUB...] a fresh gpg HOME (in $homes, debug-quick-random) with
#                                     a primary key and encryption subkeys SUB...; its
#                                     fingerprint in $tmp/HOME.fpr (prim_fpr HOME); enc_fprs
#                                     HOME lists its encryption-capable keys in order
#   opgpjs_setup                      OpenPGP.js for opgpjs.cjs: $OPENPGPJS (default: a cache
#                                     directory, npm-installed there once) and $JS, the
#                                     command; FAIL and finish when npm cannot install it
# Nothing here needs more than bash, gpg and a C compiler (and node and npm for opgpjs_setup).
# shellcheck shell=bash
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
passed=0
failed=0
homes=""
opgp_atexit=""

# opgp_cleanup - the script's own exit command, every gpg-agent started in a home of $homes,
# then $tmp
opgp_cleanup() {
	local h
	[ -z "$opgp_atexit" ] || $opgp_atexit
	for h in $homes; do
		GNUPGHOME="$tmp/$h" gpgconf --kill all >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
# opgp_tmp - the temporary directory named after PREFIX, removed on exit
opgp_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	trap opgp_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
ko() { echo "FAIL: $*"; failed=$((failed + 1)); }
# check - PASS or FAIL by the status of the last command
check() { if [ "$1" -eq 0 ]; then ok "$2"; else ko "$2"; fi; }
# finish - the closing count; exit 1 on any failure
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# opgp_build - compile pw-opgp with milter/lists/openpgp*.c into OUT with the given FLAGS
opgp_build() {
	local out=$1 srcs
	shift
	srcs=(tests/openpgp/pw-opgp.c milter/lists/openpgp.c milter/lists/openpgp-armor.c
		milter/lists/openpgp-wrap.c)
	# shellcheck disable=SC2046
	${CC:-cc} -std=c11 -D_DEFAULT_SOURCE "$@" -I"$top/milter" -I"$top/policy" \
		"${srcs[@]/#/$top/}" $(pkg-config --cflags --libs libcrypto) -o "$out" \
		2> "$tmp/cc.log"
}
# opgp_tool - PW from the argument, $PW_OPGP, the build tree or a build here; FAIL and finish
# when there is none
opgp_tool() {
	PW=${1:-${PW_OPGP:-$top/tests/openpgp/pw-opgp}}
	if [ ! -x "$PW" ] && [ -z "${1:-}" ] && [ -z "${PW_OPGP:-}" ]; then
		PW=$tmp/pw-opgp
		# shellcheck disable=SC2086
		opgp_build "$PW" -O2 ${PW_CFLAGS:-} || { cat "$tmp/cc.log"; ko "build pw-opgp"; finish; }
	fi
	[ -x "$PW" ] || { ko "pw-opgp not executable: $PW"; finish; }
	export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
}

# pw - run pw-opgp: pw IN OUT ARGS...; sets rc, stderr in pw.err
pw() {
	local in=$1 out=$2
	shift 2
	"$PW" "$@" < "$in" > "$out" 2> pw.err
	rc=$?
}
# sane - the last pw run did not crash: exit 0, or 1 with one "pw-opgp: " line; no sanitizer
sane() {
	grep -q 'Sanitizer\|runtime error' pw.err && return 1
	[ "$rc" -eq 0 ] && return 0
	[ "$rc" -eq 1 ] && [ "$(wc -l < pw.err)" -eq 1 ] && grep -q '^pw-opgp: ' pw.err
}
# refused - the last pw run refused cleanly (exit 1 with a message), optionally naming STATUS
refused() {
	[ "$rc" -eq 1 ] && sane && { [ -z "${1:-}" ] || grep -q "\[$1\]" pw.err; }
}
# show - the last pw run's message, for FAIL lines
show() { head -c 300 pw.err | tr '\n' ' '; echo "(rc=$rc)"; }

# g - gpg in home H
g() {
	local h=$1
	shift
	gpg --homedir "$tmp/$h" --batch --no-tty --quiet --pinentry-mode loopback --passphrase '' \
		--trust-model always "$@"
}
# mkhome - a fresh GNUPGHOME
mkhome() {
	mkdir -m 700 "$tmp/$1" && echo debug-quick-random > "$tmp/$1/gpg-agent.conf" &&
		homes="$homes $1"
}
# prim_fpr - fingerprint of home H's own primary key (noted by newkey)
prim_fpr() { cat "$tmp/$1.fpr"; }
# enc_fprs - fingerprints of the encryption-capable keys of home H's own key, in order
enc_fprs() {
	g "$1" --with-colons --list-keys "$(prim_fpr "$1")" |
		awk -F: '$1 == "pub" || $1 == "sub" { e = ($12 ~ /e/) } $1 == "fpr" && e { print $10; e = 0 }'
}
# newkey - H UID PRIMARY-ALGO PRIMARY-USAGE [SUBKEY-ALGO...] (subkeys: encr)
newkey() {
	local h=$1 uid=$2 algo=$3 usage=$4 fpr a
	shift 4
	mkhome "$h" && g "$h" --quick-gen-key "$uid" "$algo" "$usage" 0 2>/dev/null || return 1
	fpr=$(g "$h" --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')
	echo "$fpr" > "$tmp/$h.fpr"
	for a in "$@"; do
		g "$h" --quick-add-key "$fpr" "$a" encr 0 2>/dev/null || return 1
	done
}
# opgpjs_setup - OpenPGP.js 6 in $OPENPGPJS (installed with npm on first use) and $JS
opgpjs_setup() {
	OPENPGPJS=${OPENPGPJS:-${XDG_CACHE_HOME:-$HOME/.cache}/postward/openpgpjs}
	export OPENPGPJS
	if [ ! -f "$OPENPGPJS/node_modules/openpgp/package.json" ]; then
		mkdir -p "$OPENPGPJS" && npm install --no-audit --no-fund --prefix "$OPENPGPJS" \
			openpgp@6 > "$tmp/npm.log" 2>&1 ||
			{ ko "npm install openpgp@6: $(tail -3 "$tmp/npm.log")"; finish; }
	fi
	JS="node $top/tests/openpgp/opgpjs.cjs"
}
