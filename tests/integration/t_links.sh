# A followed path that leads through symbolic links to a file that changes
# under it, at a high line rate with a roll every 256 KiB and old files
# deleted (tests/integration/linkroll.py makes each shape): a link
# re-pointed before its new target exists (pino-roll's order) by unlink +
# symlink and by renaming a new link over it, a chain of two links, a
# directory link re-pointed, the kubelet's fixed link whose target is
# renamed and created again (older files gzipped), and a fixed link to a
# directory where the file is rotated. Each time the metrics must equal
# the oracle's over every line written: none lost, none twice. Then the
# same shapes rolled many times while the daemon is stopped (SIGSTOP):
# every file in between is read, in order; with old files deleted
# meanwhile, each one the daemon could not open is counted lost. Last, a
# dangling link, waited for until its target appears.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
# Lines over 64 KiB make files of a line or two, rolled at once: bursts of
# rolls, tested apart.
source_log 30000 23
LC_ALL=C awk 'length($0) < 65536' "$T/source.log" >"$T/short.log"
mv "$T/short.log" "$T/source.log"

caught_up() {
	[ "$(sample_sum logmetrics_lines_read_total)" -eq "$1" ]
}

# check CASE LINES: every line read once, the metrics the oracle's.
check() {
	head -n "$2" "$T/source.log" >"$T/expect.log"
	wait_until 30 caught_up "$2" ||
	    fail "$1: read $(sample_sum logmetrics_lines_read_total) of $2 lines: $(tail -n 5 "$DERR")"
	sleep 0.5
	expect_eq "$1: no line counted twice" "$2" \
	    "$(sample_sum logmetrics_lines_read_total)"
	expect_oracle "$1" "$T/expect.log"
}

# roll SHAPE LINES GAP_MS: linkroll.py's SHAPE behind a followed path,
# 5,000 lines a second (a roll every 0.1 s), the three newest rotated
# files kept.
roll() {
	d=$T/$1
	mkdir -p "$d"
	follow=$d/$(python3 "$TOP/tests/integration/linkroll.py" --path "$1")
	python3 "$TOP/tests/integration/linkroll.py" --setup "$1" "$d"
	daemon_start -r "$rules" "$follow"
	python3 "$TOP/tests/integration/linkroll.py" "$T/source.log" "$d" \
	    "$1" "$2" 262144 3 5000 "$3" >"$T/written" 2>"$T/writer.err" &
	wpid=$!
	track_pid $wpid
	wait "$wpid" || fail "$1: writer failed: $(cat "$T/writer.err")"
	forget "$wpid"
	check "$1" "$2"
	echo "$1: $(cat "$T/written") (lines, rolls) written, all read"
	daemon_stop
}

roll unlink 20000 20
roll rename 20000 20
roll chain 20000 20
roll dirlink 20000 20
roll kube 20000 20
roll linkdir 20000 0

# burst SHAPE: 2,000 lines, a roll every 32 KiB, written as fast as can
# be while the daemon is stopped, nothing deleted.
burst() {
	d=$T/burst-$1
	mkdir -p "$d"
	follow=$d/$(python3 "$TOP/tests/integration/linkroll.py" --path "$1")
	python3 "$TOP/tests/integration/linkroll.py" --setup "$1" "$d"
	daemon_start -r "$rules" "$follow"
	kill -STOP "$DPID"
	LINKROLL_GZIP=0 python3 "$TOP/tests/integration/linkroll.py" \
	    "$T/source.log" "$d" "$1" 2000 32768 1000 0 0 >"$T/written" ||
	    fail "burst $1: writer failed"
	kill -CONT "$DPID"
	check "burst $1" 2000
	expect_eq "burst $1: no file lost" 0 \
	    "$(sample_sum logmetrics_files_lost_total)"
	echo "burst $1: $(cat "$T/written") (lines, rolls) written, all read"
	daemon_stop
}
burst unlink
burst rename
burst chain
burst kube
burst linkdir

# Rolled while stopped with the three newest files kept: the files
# deleted before the daemon could open them (all but the first, open
# already, and the four left) are counted.
d=$T/lost
mkdir -p "$d"
python3 "$TOP/tests/integration/linkroll.py" --setup unlink "$d"
daemon_start -r "$rules" "$d/current.log"
kill -STOP "$DPID"
python3 "$TOP/tests/integration/linkroll.py" "$T/source.log" "$d" unlink \
    2000 32768 3 0 0 >"$T/written" || fail "lost: writer failed"
rolls=$(cut -d' ' -f2 "$T/written")
[ "$rolls" -ge 8 ] || fail "lost: only $rolls rolls"
kill -CONT "$DPID"
wait_until 10 scrape_has "^logmetrics_files_lost_total{.*} $((rolls - 4))\$" ||
    fail "lost: $(scrape | grep files_lost) after $rolls rolls, want $((rolls - 4))"
daemon_stop

# A dangling link is waited for: no error, and the target's lines are
# read from its start once it appears.
d=$T/dangling
mkdir -p "$d"
ln -s real/bot.log "$d/current.log"
daemon_start -r "$rules" --poll-interval 30s "$d/current.log"
sleep 0.3
mkdir "$d/real"
head -n 1000 "$T/source.log" >"$d/real/bot.log"
check dangling 1000
daemon_stop
grep -q 'error' "$DERR" && fail "a dangling link reported: $(cat "$DERR")"
exit 0
