#!/bin/sh
# Runs every integration test (tests/integration/t_*.sh) against a binary.
# Usage: tests/integration/run.sh BINARY [NAME...]
# With names (t_follow, ...), only those tests run.
# Each test gets LOGMETRICS (the binary, absolute), TOP (the source tree)
# and a fresh TMPDIR of its own, removed afterwards when it passed; the
# seconds each took are said, to keep make check within CI's time.
set -u
bin=$1
shift
case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
tests=
for n in "$@"; do
	tests="$tests $top/tests/integration/$n.sh"
done
[ -n "$tests" ] || tests=$(ls "$top"/tests/integration/t_*.sh)
for t in $tests; do
	name=$(basename "$t" .sh)
	[ -f "$t" ] || { echo "no test $name" >&2; exit 2; }
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/logmetrics-$name.XXXXXX")
	start=$(date +%s)
	if LOGMETRICS="$bin" TOP="$top" TMPDIR="$tmp" T="$tmp" \
	    sh "$t" >"$tmp/output" 2>&1; then
		pass=$((pass + 1))
		echo "ok: $name ($(($(date +%s) - start)) s)"
		rm -rf "$tmp"
	else
		fail=$((fail + 1))
		echo "FAIL: $name after $(($(date +%s) - start)) s" \
		    "(output kept in $tmp)"
		sed 's/^/    /' "$tmp/output" | tail -n 60
	fi
done
echo "integration ($(basename "$bin")): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
