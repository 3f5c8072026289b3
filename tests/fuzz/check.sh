#!/bin/sh
# Replays every regression input of each fuzz target, then fuzzes each
# for a fixed time from its seed corpus. Any crash, leak, timeout or
# violated property fails the check and shows the target's log.
# Usage: tests/fuzz/check.sh BUILDDIR SECONDS "LIBFUZZER OPTIONS" \
#            TARGET:MAXLEN...
set -u
dir=$1
secs=$2
opts=$3
shift 3
ntargets=$#
fail=0
for spec in "$@"; do
	t=${spec%%:*}
	maxlen=${spec#*:}
	bin=$dir/fuzz_$t
	work=$dir/check/$t
	rm -rf "$work"
	mkdir -p "$work/new"
	nreg=0
	if [ -d "tests/fuzz/regressions/$t" ]; then
		set -- tests/fuzz/regressions/"$t"/*
		if [ -e "$1" ]; then
			nreg=$#
			# shellcheck disable=SC2086
			if ! "$bin" $opts -artifact_prefix="$work/" "$@" \
			    >"$work/replay.log" 2>&1; then
				echo "FAIL: fuzz_$t: a regression input fails" >&2
				tail -n 40 "$work/replay.log" >&2
				fail=$((fail + 1))
				continue
			fi
		fi
	fi
	# shellcheck disable=SC2086
	if ! "$bin" $opts -max_len="$maxlen" -max_total_time="$secs" \
	    -artifact_prefix="$work/" "$work/new" "tests/fuzz/corpus/$t" \
	    >"$work/run.log" 2>&1; then
		echo "FAIL: fuzz_$t: finding after a short run (in $work)" >&2
		tail -n 40 "$work/run.log" >&2
		fail=$((fail + 1))
		continue
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/run.log")
	echo "fuzz_$t: $nreg regression inputs pass; ${runs:-?} runs in" \
	    "$secs s, no finding"
done
echo "fuzz targets: $((ntargets - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
