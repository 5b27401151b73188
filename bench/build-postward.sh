#!/bin/bash
# bench/build-postward.sh - build a plain (no sanitizers, -O2) postward for benchmarks, away
# from the work tree.
#
# usage: bench/build-postward.sh [BUILDDIR]      (default /tmp/pw-bench-build)
#        POSTWARD=$(bench/build-postward.sh) bench/dkim-verify.sh
#
# Why: the work tree is often configured in place with --enable-sanitizers (for the test
# suite), and a configure from another directory then refuses to run ("source directory already
# configured").  So this script exports the sources - the committed HEAD, or with
# BENCH_WORKTREE=1 the work tree as it is (tracked and untracked files, .gitignore'd build
# products left out), or with BENCH_REV=COMMIT that commit (for before/after figures) - into
# BUILDDIR/src, runs autoreconf there, configures in BUILDDIR/obj
# with the default CFLAGS (-g -O2) and builds milter/postward only.  Nothing in the work tree
# is written.  Prints the path of the binary on stdout; the build's output goes to
# BUILDDIR/build.log.  Exit status 0 on success, 1 on failure (with the log's tail on stderr).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=${1:-/tmp/pw-bench-build}

die() { echo "build-postward.sh: $*" >&2; exit 1; }

mkdir -p "$B"
B=$(cd "$B" && pwd)
rm -rf "$B/src" "$B/obj"
mkdir -p "$B/src" "$B/obj"
log=$B/build.log
: >"$log"
if [ "${BENCH_WORKTREE:-0}" = 1 ]; then
	what="work tree of $top"
	(cd "$top" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) |
		tar -xf - -C "$B/src" || die "cannot copy the work tree"
else
	rev=${BENCH_REV:-HEAD}
	what="$rev ($(git -C "$top" rev-parse --short "$rev")) of $top"
	git -C "$top" archive "$rev" | tar -xf - -C "$B/src" || die "git archive $rev failed"
fi
echo "build-postward.sh: building $what in $B" >&2
{
	(cd "$B/src" && autoreconf -fi) &&
		(cd "$B/obj" && "$B/src/configure") &&
		make -C "$B/obj" -j"$(nproc 2>/dev/null || echo 2)" milter/postward
} >>"$log" 2>&1 || { tail -20 "$log" >&2; die "build failed (log: $log)"; }
[ -x "$B/obj/milter/postward" ] || die "no binary after the build (log: $log)"
echo "$B/obj/milter/postward"
