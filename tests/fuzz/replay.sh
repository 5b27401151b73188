#!/bin/bash
# tests/fuzz/replay.sh - replays every checked-in fuzz corpus through its harness (built by the
# normal build, under ASan+UBSan in tests/run-all): tests/fuzz/corpus/NAME/ through
# tests/fuzz/fuzz-NAME.  One check per harness; a sanitizer report or a crash fails it.
# Ends with "N passed, M failed".  Fast and deterministic: no mutation, no timing.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${builddir:-$(pwd)}
passed=0
failed=0
for dir in "$top_srcdir"/tests/fuzz/corpus/*/; do
	[ -d "$dir" ] || continue
	name=$(basename "$dir")
	bin="$builddir/tests/fuzz/fuzz-$name"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $name: no harness $bin"
		failed=$((failed + 1))
		continue
	fi
	if out=$("$bin" "$dir" 2>&1); then
		echo "ok: $name: $(echo "$out" | tail -1)"
		passed=$((passed + 1))
	else
		echo "FAIL: $name"
		echo "$out" | tail -40
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
