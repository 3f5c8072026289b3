# An inotify queue overflow, provoked without touching global settings:
# the daemon is stopped (SIGSTOP) while more names are created in its
# watched directory than the queue holds, with log lines written before,
# among and after them, through a rename+create rotation. Continued, it
# must count the overflow, log it once, and still count every line once.
# Then logmetrics_file_polled: 0 with inotify, 1 when polling only.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
source_log 3000 37
max=$(cat /proc/sys/fs/inotify/max_queued_events)
mkdir -p "$T/log"
: >"$T/log/bot.log"
daemon_start -r "$rules" --poll-interval 30s "$T/log/bot.log"
expect_eq "no overflow yet" 0 "$(sample_sum logmetrics_inotify_overflows_total)"
expect_eq "watched" 0 "$(sample_sum logmetrics_file_polled)"
kill -STOP "$DPID"
head -n 1000 "$T/source.log" >>"$T/log/bot.log"
python3 - "$T/log" "$max" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2]) + 100
for i in range(n):
    open(os.path.join(d, "x.%d" % i), "w").close()
PY
sed -n '1001,2000p' "$T/source.log" >>"$T/log/bot.log"
mv "$T/log/bot.log" "$T/log/bot.log.1"
sed -n '2001,3000p' "$T/source.log" >"$T/log/bot.log"
kill -CONT "$DPID"
# The periodic check is 30 s away: only the overflow's rescan finds the
# new file this soon.
expect_oracle "after the overflow" "$T/source.log"
[ "$(sample_sum logmetrics_inotify_overflows_total)" -ge 1 ] ||
    fail "overflow not counted"
expect_eq "overflow logged once" 1 "$(grep -c 'inotify queue overflow' "$DERR")"
echo "a queue of $max events overflowed $(sample_sum logmetrics_inotify_overflows_total) time(s); 3000 lines written, $(sample_sum logmetrics_lines_read_total) read"
daemon_stop

# Polling only: every path says so.
daemon_start -r "$rules" --no-inotify "$T/log/bot.log"
expect_eq "polled" 1 "$(sample_sum logmetrics_file_polled)"
expect_eq "no overflow when polling" 0 \
    "$(sample_sum logmetrics_inotify_overflows_total)"
daemon_stop

