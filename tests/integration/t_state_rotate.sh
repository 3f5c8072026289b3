# State across clean restarts and rotations done while the daemon is
# stopped: rename+create (the old file, written to after the rename, is
# read on from the saved offset before the new one is read from its
# start), copytruncate (the copy holds the lines after the saved offset,
# the truncated file is read from 0), and a plain SIGTERM and start, which
# keeps every counter and the last-run timestamps (no false stall).
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
mkdir -p "$T/log"
source_log 4000 31
head -n 1000 "$T/source.log" >"$T/part1"
sed -n '1001,2500p' "$T/source.log" >"$T/part2"
sed -n '2501,3500p' "$T/source.log" >"$T/part3"
sed -n '3501,4000p' "$T/source.log" >"$T/part4"

start() {
	daemon_start -r "$rules" --poll-interval 200ms --state-file "$T/state" \
	    "$T/log/bot.log"
}
writer() {
	python3 "$TOP/tests/integration/writer.py" "$1" "$T/log" "$2" \
	    >/dev/null || fail "writer failed"
}

# A file that appears after the first snapshot is read from its start.
start
writer "$T/part1" "write:1000"
expect_oracle "first run" "$T/part1"
daemon_stop
grep -q 'no state file' "$T/daemon.err" || fail "first start not logged"

# Rename+create while stopped: 500 more lines in bot.log, renamed to
# bot.log.1, 300 written to it after the rename, 700 in the new bot.log.
writer "$T/part2" "write:500,rename:bot.log.1,oldwrite:300,create,write:700"
start
expect_oracle "rename while stopped" "$T/part1" "$T/part2"
grep -q 'files: 0 resumed, 1 renamed, 0 copied, 0 truncated, 1 new' \
    "$T/daemon.err" || fail "rename not restored: $(tail -n 3 "$T/daemon.err")"
daemon_stop

# Copytruncate while stopped: 400 lines appended, bot.log copied to
# bot.log.2 and truncated, 600 lines written to it.
writer "$T/part3" "write:400,copytruncate:bot.log.2,write:600"
start
expect_oracle "copytruncate while stopped" "$T/part1" "$T/part2" "$T/part3"
grep -q 'files: 0 resumed, [01] renamed, 1 copied, 1 truncated' \
    "$T/daemon.err" ||
    fail "copytruncate not restored: $(tail -n 3 "$T/daemon.err")"

# A scheduler cycle that ran just now: its subsystem is fresh, and stays
# fresh across a clean restart.
now_ms=$(($(date +%s) * 1000))
line='{"level":30,"time":'$now_ms',"component":"scheduler","subsystem":"trading","durationMs":120,"outcome":"ok","msg":"subsystem cycle completed"}'
printf '%s\n' "$line" >"$T/part5"
cat "$T/part5" >>"$T/log/bot.log"
expect_oracle "a fresh cycle" "$T/part1" "$T/part2" "$T/part3" "$T/part5"
grep -q '^bytelyst_bot_subsystem_alive{.*subsystem="trading".*} 1$' \
    "$T/scrape.prom" || fail "trading not fresh before the restart"
cp "$T/scrape.prom" "$T/before.prom"
daemon_stop
start
scrape >"$T/after.prom"
canon "$T/before.prom" >"$T/before"
canon "$T/after.prom" >"$T/after"
diff -u "$T/before" "$T/after" || fail "a clean restart changed the metrics"
grep -q '^bytelyst_bot_subsystem_last_run_timestamp{.*subsystem="trading".*} '"$(($now_ms / 1000))"'$' \
    "$T/after.prom" || fail "last-run timestamp not kept"
grep -q '^bytelyst_bot_subsystem_alive{.*subsystem="trading".*} 1$' \
    "$T/after.prom" || fail "trading stalled after a clean restart"
grep -q 'files: 1 resumed, [0-9]* renamed, 0 copied, 0 truncated, 0 new, 0 gone' \
    "$T/daemon.err" || fail "clean restart: $(tail -n 3 "$T/daemon.err")"

# And the lines written after it are counted once more, on top.
writer "$T/part4" "write:500"
expect_oracle "after the restarts" "$T/part1" "$T/part2" "$T/part3" \
    "$T/part5" "$T/part4"
promcheck "$T/scrape.prom"
daemon_stop
