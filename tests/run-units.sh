#!/bin/sh
# Runs the Criterion unit test binaries of a build directory.
# Usage: tests/run-units.sh DIR UNIT...
set -u
dir=$1
shift
pass=0
fail=0
for unit in "$@"; do
	if "$dir/test_$unit" --jobs 2 >"$dir/test_$unit.log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $dir/test_$unit" >&2
		cat "$dir/test_$unit.log" >&2
	fi
	tail -n 1 "$dir/test_$unit.log"
done
echo "unit suites ($dir): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
