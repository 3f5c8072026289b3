# Standard input ("-") in follow mode, fed through a FIFO by a writer that
# splits lines anywhere: alone, every metric equals the oracle's over the
# same lines; beside a followed file written at the same time, every line
# of both counts once; once it ends, logmetrics_source_ended says so and
# the exporter serves on, still following the file. Gzip, redirected
# from a file, reads as its text.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
w=$TOP/tests/integration/writer.py
source_log 20000 31
mv "$T/source.log" "$T/a.log"
source_log 10000 32
mv "$T/source.log" "$T/b.log"
mkdir "$T/in" "$T/log"
mkfifo "$T/in/bot.log"
ended='^logmetrics_source_ended{source="stdin"} 1$'

# Alone: the writer opens the FIFO once the daemon does.
python3 "$w" "$T/a.log" "$T/in" "write:12000,sleep:0.3,write:8000" \
    >"$T/written" &
wpid=$!
track_pid $wpid
DSTDIN=$T/in/bot.log daemon_start -r "$rules" -
wait "$wpid" || fail "writer failed"
forget "$wpid"
wait_until 20 scrape_has "$ended" || fail "standard input never ended"
expect_eq "lines of standard input" 20000 \
    "$(sample_sum logmetrics_lines_read_total)"
expect_oracle "standard input alone" "$T/a.log"
scrape_has '^logmetrics_file_open{file="-"} 0$' || fail "- still open"
grep -q 'standard input ended after 20000 lines' "$T/daemon.err" ||
    fail "the end is not said: $(tail -n 3 "$T/daemon.err")"
daemon_stop

# Beside a file, both written at once; then the file alone.
: >"$T/log/bot.log"
python3 "$w" "$T/a.log" "$T/in" "write:20000" >"$T/written" &
wpid=$!
track_pid $wpid
DSTDIN=$T/in/bot.log daemon_start -r "$rules" "$T/log/bot.log" -
python3 "$w" "$T/b.log" "$T/log" "write:8000" >>"$T/written" ||
    fail "file writer failed"
wait "$wpid" || fail "writer failed"
forget "$wpid"
wait_until 20 scrape_has "$ended" || fail "standard input never ended"
tail -n 2000 "$T/b.log" >>"$T/log/bot.log"
head -n 8000 "$T/b.log" >"$T/both.log"
cat "$T/a.log" >>"$T/both.log"
tail -n 2000 "$T/b.log" >>"$T/both.log"
wait_until 20 scrape_has \
    '^logmetrics_lines_read_total{file="[^"]*/log/bot.log"} 10000$' ||
    fail "the file is not read on after standard input ended"
expect_eq "lines of both" 30000 "$(sample_sum logmetrics_lines_read_total)"
ORACLE_FILTER=$COUNTS expect_oracle \
    "standard input beside a file" "$T/both.log"
echo "written: $(tr '\n' ' ' <"$T/written")"
daemon_stop

gzip -c "$T/a.log" >"$T/a.log.gz"
DSTDIN=$T/a.log.gz daemon_start -r "$rules" -
wait_until 20 scrape_has "$ended" || fail "gzip: standard input never ended"
expect_oracle "gzip on standard input" "$T/a.log"
daemon_stop
