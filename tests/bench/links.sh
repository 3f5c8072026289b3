#!/bin/sh
# Lines written and read behind a followed symbolic link, with inotify and
# polling only, in the shapes writers use (tests/integration/linkroll.py):
# pino-roll's re-pointed link (a roll every 1 MiB, and every 256 KiB with
# the link dangling 20 ms at each roll) and the kubelet's fixed link with
# the target rotated and older files gzipped, at 5,000 lines a second, the
# three newest rotated files kept. Figures, not a test: a loss is printed.
# Usage: tests/bench/links.sh [LINES]      (make bench-links)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LOGMETRICS=${LOGMETRICS:-$TOP/logmetrics}
T=$(mktemp -d "${TMPDIR:-/tmp}/logmetrics-links.XXXXXX")
export TOP LOGMETRICS T
. "$TOP/tests/integration/lib.sh"
trap 'cleanup; rm -rf "$T"' EXIT INT TERM
lines=${1:-40000}
"$TOP/build/genlog" -n $((lines + 1)) -s 5 --hazards |
    head -n "$lines" >"$T/source.log"
rules=$TOP/rules/bytelyst.rules
unset NODE_ENV PAPER_TRADING
printf '%-44s %9s %9s %6s %6s\n' case written read rolls lost

# one NAME SHAPE ROLL GAP [FLAGS...]
one() {
	name=$1 shape=$2 roll=$3 gap=$4
	shift 4
	d=$T/$name
	mkdir -p "$d"
	follow=$d/$(python3 "$TOP/tests/integration/linkroll.py" --path "$shape")
	python3 "$TOP/tests/integration/linkroll.py" --setup "$shape" "$d"
	: >"$T/daemon.err"
	daemon_start -r "$rules" "$@" "$follow"
	python3 "$TOP/tests/integration/linkroll.py" "$T/source.log" "$d" \
	    "$shape" "$lines" "$roll" 3 5000 "$gap" >"$T/written"
	sleep 3
	printf '%-44s %9s %9s %6s %6s\n' "$name" "$lines" \
	    "$(sample_sum logmetrics_lines_read_total)" \
	    "$(cut -d' ' -f2 "$T/written")" \
	    "$(sample_sum logmetrics_files_lost_total)"
	daemon_stop
	rm -rf "$d"
}

for mode in inotify poll; do
	flags=
	[ $mode = poll ] && flags=--no-inotify
	one "pino-roll, 1 MiB, $mode" unlink 1048576 0 $flags
	one "pino-roll, 256 KiB, 20 ms dangling, $mode" unlink 262144 20 $flags
	one "kubelet, 1 MiB, gzip, $mode" kube 1048576 0 $flags
done
