# The systemd journal in follow mode: journal files written by
# systemd-journal-remote (tests/integration/journallog.py: the bot's log
# with another unit's entries among its own, binary MESSAGE fields,
# entries without a MESSAGE) while the exporter follows
# 'journal:_SYSTEMD_UNIT=bytelyst.service' in their directory. From the
# journal's end: the entries there at start are not read, every one
# written after is, in runs appended to the file and into a new file
# beside it, the first file removed meanwhile; from its start with
# --from-start; and a directory with no journal file at start. Every
# metric equals the oracle's over the records read; the cursor's time is
# served, and its age shown on the landing page.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
jl=$TOP/tests/integration/journallog.py
unit='journal:_SYSTEMD_UNIT=bytelyst.service'
source_log_long 20000 53
mkdir "$T/j"
for k in 0 1 2 3 4; do
	sed -n "$((k * 4000 + 1)),$((k * 4000 + 4000))p" "$T/source.log" \
	    >"$T/part$k.log"
done
# write K FILE: part K of the bot's log appended to the journal FILE.
write() {
	set -- $(python3 "$jl" write "$T/part$1.log" "$T/j/$2" "$T/r$1")
	expect_eq "part written" 4000 "$1"
}

write 0 bot.journal
daemon_start -r "$rules" --journal-dir "$T/j" "$unit"
write 1 bot.journal
write 2 bot.journal
expect_oracle "appended twice" --timed "$T/r1" "$T/r2"
# A new file beside it, the first one removed.
write 3 bot2.journal
rm "$T/j/bot.journal"
write 4 bot2.journal
expect_oracle "a new file, the old one removed" --timed "$T/r1" "$T/r2" \
    "$T/r3" "$T/r4"
# The metrics can be whole before the last entries (lines no rule
# matches) are read: wait for the count.
entries_read() {
	[ "$(sample_sum "logmetrics_lines_read_total{file=\"$unit\"}")" = "$1" ]
}
wait_until 10 entries_read 16000 ||
    fail "entries read: $(sample_sum "logmetrics_lines_read_total{file=\"$unit\"}"), not 16000"
# The cursor's time, the last entry's; its age on the landing page.
python3 - "$(sample_sum "logmetrics_journal_cursor_timestamp_seconds{file=\"$unit\"}")" \
    "$(tail -n 1 "$T/r4" | cut -f1)" <<'PY' || fail "cursor time"
import sys
from datetime import datetime
got = float(sys.argv[1])
want = datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00")).timestamp()
sys.exit(0 if abs(got - want) < 1e-6 else "cursor at %r, the last entry at %r" % (got, want))
PY
curl -sf "http://127.0.0.1:$PORT/" >"$T/page.html" || fail "GET /"
grep -q "<td><code>$unit</code></td><td>journal</td><td class=n>-</td><td class=n>16,000</td><td>cursor \(just now\|[0-9][0-9a-z ]* ago\) <span class=t>20[0-9-]* [0-9:]* UTC</span></td>" \
    "$T/page.html" || fail "landing page: $(grep journal "$T/page.html")"
daemon_stop
: >"$DERR"

# From the start: every entry of the files there.
daemon_start -r "$rules" --journal-dir "$T/j" --from-start "$unit"
expect_oracle "from the start" --timed "$T/r3" "$T/r4"
daemon_stop

# A directory without journal files yet: what comes is read.
mkdir "$T/j2"
: >"$DERR"
daemon_start -r "$rules" --journal-dir "$T/j2" "$unit"
set -- $(python3 "$jl" write "$T/part0.log" "$T/j2/bot.journal" "$T/s0")
expect_oracle "a journal made after the start" --timed "$T/s0"
daemon_stop

# Refused: more journal arguments than follow mode reads.
rc=0
"$LOGMETRICS" -r "$rules" journal:A=1 journal:A=2 journal:A=3 journal:A=4 \
    journal:A=5 journal:A=6 journal:A=7 2>"$T/err" || rc=$?
expect_eq "seven journals: status" 2 "$rc"
grep -q "7 journal arguments; follow mode reads 6 at most" "$T/err" ||
    fail "$(cat "$T/err")"
echo "20000 lines written in five runs, 16000 followed: metrics exact"
