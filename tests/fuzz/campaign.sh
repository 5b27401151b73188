#!/bin/bash
# tests/fuzz/campaign.sh - a timed libFuzzer campaign over every harness in tests/fuzz.
#
# Usage: tests/fuzz/campaign.sh [-t SECONDS] [-b BUILDDIR] [-o RESULTS] [-m MAX_LEN]
#                               [--build-only] [--merge] [NAME...]
#
# Builds each harness tests/fuzz/fuzz_NAME.c (all of them, or the NAMEs given) with
#   clang -g -O1 -fsanitize=fuzzer,address,undefined
# into BUILDDIR (default fuzz-build/ at the top of the tree; the normal build is not
# touched), then runs them one after the other, each for SECONDS (default 600), over a copy
# of its corpus tests/fuzz/corpus/NAME/ kept in RESULTS/NAME/corpus (default RESULTS is
# fuzz-results/ at the top of the tree; an existing copy is reused, so later runs go on
# from what earlier ones found).  A crash, leak, timeout or out-of-memory input is stored
# as RESULTS/NAME/crash-* (leak-*, timeout-*, oom-*) with the fuzzer's report in
# RESULTS/NAME/fuzz.log.  Prints one line per harness - executions, executions per second,
# corpus size, and the finding if any - and exits 1 if any harness found something or did
# not build.
#
# The checked-in corpus is never modified, except with --merge: then after each run the
# inputs of RESULTS/NAME/corpus that add coverage are merged into tests/fuzz/corpus/NAME/
# (libFuzzer -merge=1; the new files are named by their SHA-1, review them before
# committing).  --build-only builds and stops.
#
# A dictionary tests/fuzz/NAME.dict (libFuzzer's format: one "token" a line), when present,
# is passed with -dict.
#
# Where the sources come from: Makefile.am.  Each library in noinst_LIBRARIES is rebuilt
# from its _SOURCES with its _CFLAGS and instrumented (-fsanitize=fuzzer-no-link); each
# harness takes tests_fuzz_fuzz_NAME_SOURCES (replay.c left out: libFuzzer brings main),
# _CFLAGS and _LDADD, its libraries replaced by the instrumented ones.  A harness not yet
# in Makefile.am is built from its .c file alone and linked with every library.  The
# external flags come from pkg-config (openssl, ldns, gpgme, milter), as configure finds
# them.  clang and libFuzzer (Debian clang, libfuzzer-14-dev) are installed with apt-get
# when clang cannot build a fuzzer.
#
# Environment: CLANG (default clang), FUZZ_FLAGS (extra libFuzzer options, e.g.
# "-dict=FILE" or "-jobs=2"), FUZZ_CFLAGS (extra compiler flags).
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=600
build=$top/fuzz-build
results=$top/fuzz-results
max_len=""
merge=0
build_only=0
names=()
CLANG=${CLANG:-clang}

usage() {
	sed -n '3,5p' "$0" | sed 's/^# //' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	-t) seconds=${2:?}; shift 2 ;;
	-b) build=${2:?}; shift 2 ;;
	-o) results=${2:?}; shift 2 ;;
	-m) max_len=${2:?}; shift 2 ;;
	--merge) merge=1; shift ;;
	--build-only) build_only=1; shift ;;
	-h|--help) usage ;;
	-*) echo "campaign: unknown option $1" >&2; usage ;;
	*) names+=("$1"); shift ;;
	esac
done
case "$seconds" in ''|*[!0-9]*) echo "campaign: -t takes seconds" >&2; exit 2 ;; esac
mkdir -p "$build" "$results" || exit 1
build=$(cd "$build" && pwd)
results=$(cd "$results" && pwd)

# ---- the compiler ------------------------------------------------------------------------
# can_fuzz - clang builds and links a trivial fuzzer
can_fuzz() {
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
		> "$build/probe.c" &&
		"$CLANG" -fsanitize=fuzzer,address,undefined "$build/probe.c" -o "$build/probe" \
			> "$build/probe.log" 2>&1
}
if ! can_fuzz; then
	echo "campaign: $CLANG cannot build a libFuzzer binary; installing clang and libfuzzer-14-dev"
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo > /dev/null; then
		echo "campaign: not root: apt-get install clang libfuzzer-14-dev, then run again" >&2
		exit 1
	fi
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -q > "$build/apt.log" 2>&1
	if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q clang libfuzzer-14-dev \
		>> "$build/apt.log" 2>&1 || ! can_fuzz; then
		echo "campaign: still no working clang -fsanitize=fuzzer (see $build/apt.log, $build/probe.log)" >&2
		exit 1
	fi
fi

# ---- what Makefile.am says ---------------------------------------------------------------
pc() {	# pc cflags|libs MODULE... - pkg-config's answer, or nothing
	pkg-config --"$1" "${@:2}" 2>/dev/null
}
# automake conditionals are dropped (both branches kept): good enough to read variables
sed -E '/^(if|else|endif)([[:space:]]|$)/d' "$top/Makefile.am" > "$build/Makefile.vars"
cat >> "$build/Makefile.vars" <<'EOF'

print-%:
	@echo $($*)
EOF
mkvars=(top_srcdir="$top" srcdir="$top" abs_top_srcdir="$top" top_builddir="$build"
	abs_top_builddir="$build" builddir="$build" sysconfdir=/etc SANITIZER_FLAGS=
	OPENSSL_CFLAGS="$(pc cflags libcrypto libssl)" OPENSSL_LIBS="$(pc libs libcrypto libssl || echo -lssl -lcrypto)"
	LDNS_CFLAGS="$(pc cflags ldns)" LDNS_LIBS="$(pc libs ldns || echo -lldns)"
	GPGME_CFLAGS="$(pc cflags gpgme)" GPGME_LIBS="$(pc libs gpgme || echo -lgpgme)"
	MILTER_CFLAGS="$(pc cflags milter)" MILTER_LIBS="$(pc libs milter || echo -lmilter)"
	CHECK_CFLAGS= CHECK_LIBS=)
mkvar() {	# mkvar NAME - the value of NAME in Makefile.am, fully expanded
	make -s --no-print-directory -f "$build/Makefile.vars" "${mkvars[@]}" "print-$1" 2>/dev/null
}
canon() {	# canon PATH - automake's canonical name: tests/fuzz/fuzz-x -> tests_fuzz_fuzz_x
	echo "$1" | sed 's/[^A-Za-z0-9_]/_/g'
}
cppflags=$(mkvar AM_CPPFLAGS)
am_cflags=$(mkvar AM_CFLAGS)
libs=$(mkvar noinst_LIBRARIES)
all_ext="$(mkvar OPENSSL_LIBS) $(mkvar LDNS_LIBS) $(mkvar GPGME_LIBS) -lpthread -lz"
fuzzcflags="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined ${FUZZ_CFLAGS:-}"

# build-config.h as configure would write it (only the package names are used)
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
cat > "$build/build-config.h" <<EOF
/* build-config.h for tests/fuzz/campaign.sh: the package names configure would define */
#define PACKAGE "postward"
#define PACKAGE_NAME "postward"
#define PACKAGE_TARNAME "postward"
#define PACKAGE_VERSION "${version:-0}"
#define PACKAGE_STRING "postward ${version:-0}"
#define PACKAGE_BUGREPORT ""
#define VERSION "${version:-0}"
EOF

# ---- build -------------------------------------------------------------------------------
failed_build=()
# compile SRC OBJ CFLAGS... - one object, instrumented for fuzzing
compile() {
	local src=$1 obj=$2
	shift 2
	mkdir -p "$(dirname "$obj")"
	# shellcheck disable=SC2086
	"$CLANG" $am_cflags $cppflags -I"$build" "$@" $fuzzcflags -c "$top/$src" -o "$obj"
}
echo "campaign: building into $build"
declare -A libpath
for lib in $libs; do
	c=$(canon "$lib")
	srcs=$(mkvar "${c}_SOURCES")
	lcflags=$(mkvar "${c}_CFLAGS")
	[ -n "$lcflags" ] || lcflags=$am_cflags
	objs=()
	ok=1
	for s in $srcs; do
		case "$s" in *.c) ;; *) continue ;; esac
		o="$build/obj/${s%.c}.o"
		# shellcheck disable=SC2086
		if ! compile "$s" "$o" $lcflags -fsanitize=fuzzer-no-link,address,undefined \
			2>> "$build/build.log"; then
			echo "campaign: $s does not build (see $build/build.log)"
			ok=0
		fi
		objs+=("$o")
	done
	[ "$ok" = 1 ] || { failed_build+=("$lib"); continue; }
	mkdir -p "$(dirname "$build/$lib")"
	rm -f "$build/$lib"
	ar rcs "$build/$lib" "${objs[@]}" || failed_build+=("$lib")
	libpath[$lib]=$build/$lib
done

if [ ${#names[@]} -eq 0 ]; then
	for f in "$top"/tests/fuzz/fuzz_*.c; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .c)
		names+=("${n#fuzz_}")
	done
fi
built=()
for name in "${names[@]}"; do
	if [ ! -f "$top/tests/fuzz/fuzz_$name.c" ]; then
		echo "campaign: no harness tests/fuzz/fuzz_$name.c"
		failed_build+=("$name")
		continue
	fi
	c=$(canon "tests/fuzz/fuzz-$name")
	srcs=$(mkvar "${c}_SOURCES")
	hcflags=$(mkvar "${c}_CFLAGS")
	ldadd=$(mkvar "${c}_LDADD")
	if [ -z "$srcs" ]; then		# not in Makefile.am yet: everything
		srcs="tests/fuzz/fuzz_$name.c"
		hcflags="$am_cflags -I$top/milter $(mkvar OPENSSL_CFLAGS) $(mkvar LDNS_CFLAGS) $(mkvar GPGME_CFLAGS)"
		ldadd="$libs $libs $all_ext"
	fi
	[ -n "$hcflags" ] || hcflags=$am_cflags
	objs=()
	ok=1
	for s in $srcs; do
		case "$s" in *.c) ;; *) continue ;; esac
		[ "$s" = tests/fuzz/replay.c ] && continue
		o="$build/obj/$name/${s%.c}.o"
		# shellcheck disable=SC2086
		compile "$s" "$o" $hcflags -fsanitize=fuzzer,address,undefined 2>> "$build/build.log" || ok=0
		objs+=("$o")
	done
	link=()
	for w in $ldadd; do
		if [ -n "${libpath[$w]:-}" ]; then
			link+=("${libpath[$w]}")
		else
			link+=("$w")
		fi
	done
	# shellcheck disable=SC2086
	if [ "$ok" = 1 ] && "$CLANG" $fuzzcflags -fsanitize=fuzzer,address,undefined "${objs[@]}" \
		"${link[@]}" -lpthread -lz -o "$build/fuzz-$name" 2>> "$build/build.log"; then
		built+=("$name")
	else
		echo "campaign: fuzz-$name does not build (see $build/build.log)"
		failed_build+=("$name")
	fi
done
echo "campaign: built ${#built[@]} harness(es): ${built[*]}"
[ "$build_only" = 1 ] && { [ ${#failed_build[@]} -eq 0 ]; exit $?; }

# ---- run ---------------------------------------------------------------------------------
found=0
summary=()
for name in "${built[@]}"; do
	out=$results/$name
	mkdir -p "$out/corpus"
	[ -d "$top/tests/fuzz/corpus/$name" ] && cp -n "$top/tests/fuzz/corpus/$name"/* "$out/corpus/" 2>/dev/null
	before=$(ls "$out" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-')
	opts=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
	      -artifact_prefix="$out/")
	[ -n "$max_len" ] && opts+=(-max_len="$max_len")
	[ -f "$top/tests/fuzz/$name.dict" ] && opts+=(-dict="$top/tests/fuzz/$name.dict")
	echo "campaign: fuzz-$name for $seconds s (log $out/fuzz.log)"
	# shellcheck disable=SC2086
	"$build/fuzz-$name" "${opts[@]}" ${FUZZ_FLAGS:-} "$out/corpus" > "$out/fuzz.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz.log" | tail -1)
	ncorp=$(ls "$out/corpus" | wc -l)
	after=$(ls "$out" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-')
	what=""
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		found=1
		art=$(ls -t "$out" | grep -E '^(crash|leak|timeout|oom)-' | head -1)
		why=$(grep -m1 -E '^(SUMMARY|==[0-9]+==ERROR)' "$out/fuzz.log" | cut -c1-120)
		what="FINDING ${art:-(no artifact, exit $rc)}: ${why:-see fuzz.log}"
	fi
	line=$(printf '%-12s execs %-11s exec/s %-7s corpus %-6s %s' "$name" "${execs:-?}" \
		"${rate:-?}" "$ncorp" "${what:-clean}")
	echo "campaign: $line"
	summary+=("$line")
	if [ "$merge" = 1 ]; then
		mkdir -p "$top/tests/fuzz/corpus/$name"
		"$build/fuzz-$name" -merge=1 "$top/tests/fuzz/corpus/$name" "$out/corpus" \
			> "$out/merge.log" 2>&1 && echo "campaign: merged into tests/fuzz/corpus/$name ($(ls "$top/tests/fuzz/corpus/$name" | wc -l) inputs)"
	fi
done

echo
echo "campaign summary ($seconds s each, results in $results):"
for line in "${summary[@]}"; do
	echo "  $line"
done
for b in "${failed_build[@]}"; do
	echo "  $b: BUILD FAILED"
done
[ "$found" -eq 0 ] && [ ${#failed_build[@]} -eq 0 ]
