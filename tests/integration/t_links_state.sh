# Links with restart state and globs. With --state-file, kill -9 after a
# save, then while the daemon is down: lines appended to the file the
# link led to, and the link re-pointed at a new file (pino-roll); or the
# target renamed and created again behind a fixed link into another
# directory (the kubelet). The restart reads the old file on from its
# saved offset, found by identity where the link led, then the new one
# from its start: every line once. Then one glob matching a link and
# every file it points to, rolled at a high rate: each file read once.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
source_log 20000 29
LC_ALL=C awk 'length($0) < 65536' "$T/source.log" >"$T/short.log"
mv "$T/short.log" "$T/source.log"
head -n 700 "$T/source.log" >"$T/part1"
sed -n '701,1000p' "$T/source.log" >"$T/part2"
sed -n '1001,1600p' "$T/source.log" >"$T/part3"
sed -n '1601,2000p' "$T/source.log" >"$T/part4"

# kill_after_save: waits for a state save newer than the last line read,
# then kills the daemon with SIGKILL.
kill_after_save() {
	sleep 0.6
	daemon_kill
}

# A link re-pointed while down.
d=$T/repoint
mkdir -p "$d"
: >"$d/bot.1.log"
ln -s bot.1.log "$d/current.log"
state="--state-file $T/repoint.state --state-interval 200ms"
daemon_start -r "$rules" $state "$d/current.log"
cat "$T/part1" >>"$d/bot.1.log"
expect_oracle "repoint, first run" "$T/part1"
kill_after_save
cat "$T/part2" >>"$d/bot.1.log"
ln -s bot.2.log "$d/current.log.new"
mv "$d/current.log.new" "$d/current.log"
cat "$T/part3" >"$d/bot.2.log"
daemon_start -r "$rules" $state "$d/current.log"
expect_oracle "restart across a re-point" "$T/part1" "$T/part2" "$T/part3"
cat "$T/part4" >>"$d/bot.2.log"
expect_oracle "after the restart" "$T/part1" "$T/part2" "$T/part3" \
    "$T/part4"
daemon_stop

# A fixed link whose target is rotated while down.
d=$T/kube
mkdir -p "$d/containers" "$d/pods/ns_pod_uid/app"
pod=$d/pods/ns_pod_uid/app
: >"$pod/0.log"
ln -s ../pods/ns_pod_uid/app/0.log "$d/containers/app.log"
state="--state-file $T/kube.state --state-interval 200ms"
daemon_start -r "$rules" $state "$d/containers/app.log"
cat "$T/part1" >>"$pod/0.log"
expect_oracle "kube, first run" "$T/part1"
kill_after_save
cat "$T/part2" >>"$pod/0.log"
mv "$pod/0.log" "$pod/0.log.20261206-101500.000001"
cat "$T/part3" >"$pod/0.log"
daemon_start -r "$rules" $state "$d/containers/app.log"
expect_oracle "restart across a rotation behind a link" "$T/part1" \
    "$T/part2" "$T/part3"
grep -q 'files: 0 resumed, 1 renamed, 0 copied, 0 truncated, 1 new' \
    "$DERR" || fail "kube: rename not restored: $(tail -n 3 "$DERR")"
daemon_stop

# One glob matching the link and its targets. Lines of two files read in
# one poll may come in another order than written: counts stay exact,
# gauges and float sums may not, so only counts are compared.
d=$T/glob
mkdir -p "$d"
python3 "$TOP/tests/integration/linkroll.py" --setup unlink "$d"
daemon_start -r "$rules" --poll-interval 200ms "$d/*.log"
python3 "$TOP/tests/integration/linkroll.py" "$T/source.log" "$d" unlink \
    10000 262144 1000 5000 20 >"$T/written" || fail "glob: writer failed"
head -n 10000 "$T/source.log" >"$T/expect.log"
caught_up() {
	[ "$(sample_sum logmetrics_lines_read_total)" -eq 10000 ]
}
wait_until 30 caught_up ||
    fail "glob: read $(sample_sum logmetrics_lines_read_total) of 10000"
sleep 0.5
expect_eq "glob: no line read twice" 10000 \
    "$(sample_sum logmetrics_lines_read_total)"
ORACLE_FILTER=$COUNTS expect_oracle glob \
    "$T/expect.log"
echo "glob: $(cat "$T/written") (lines, rolls) written, each file read once"
daemon_stop
