# Follow mode: a writer appends contract lines in chunks that split lines,
# through rename+create (with writes to the renamed file after the rename),
# copytruncate and delete+recreate; the scraped metrics must equal what a
# JSON parser derives from every line written: none lost, none twice.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
mkdir -p "$T/log"
source_log 12000 11

daemon_start -r "$rules" --poll-interval 200ms "$T/log/*.log"
caught_up() {
	[ "$(sample_sum logmetrics_lines_read_total)" -eq "$1" ]
}

python3 "$TOP/tests/integration/writer.py" "$T/source.log" "$T/log" \
    "write:3000,rename:bot.log.1,oldwrite:500,create,write:2500,wait:sh -c '[ \$(curl -sf http://127.0.0.1:$PORT/metrics | awk \"/^logmetrics_lines_read_total/ { n += \\\$2 } END { print n + 0 }\") -eq 6000 ]',copytruncate:bot.log.2,write:3000,delete,create,write:3000" \
    >"$T/written" || fail "writer failed"
expect_eq "lines written" 12000 "$(cat "$T/written")"
wait_until 30 caught_up 12000 ||
    fail "read $(sample_sum logmetrics_lines_read_total) of 12000 lines: $(cat "$T/daemon.err")"
sleep 0.5
expect_eq "no line counted twice" 12000 \
    "$(sample_sum logmetrics_lines_read_total)"

scrape >"$T/scrape.prom"
promcheck "$T/scrape.prom"
# What the writer put where, oldest first; bot.log.2 is the copy.
# The deleted file's lines are in source.log only: rebuild them.
head -n 3500 "$T/source.log" >"$T/part1"
sed -n '3501,6000p' "$T/source.log" >"$T/part2"
sed -n '6001,12000p' "$T/source.log" >"$T/part3"
python3 "$TOP/tests/oracle.py" --now "$(date +%s)" "$T/part1" "$T/part2" \
    "$T/part3" >"$T/expected"
canon "$T/scrape.prom" >"$T/got"
diff -u "$T/expected" "$T/got" || fail "scraped metrics differ from the oracle's"
grep -q '^logmetrics_rotations_total{file="'"$T"'/log/bot.log"} [1-9]' \
    "$T/scrape.prom" || fail "rotations not counted"
grep -q '^logmetrics_truncations_total{file="'"$T"'/log/bot.log"} [1-9]' \
    "$T/scrape.prom" || fail "truncation not counted"

# A file present at start is read from its end: only what comes after.
daemon_stop
mkdir -p "$T/old"
head -n 100 "$T/source.log" >"$T/old/app.log"
DERR=$T/d2.err
daemon_start -r "$rules" "$T/old/app.log"
printf '%s\n' '{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":3,"missingInDb":1,"missingOnExchange":0,"msg":"reconciliation completed"}' \
    >>"$T/old/app.log"
wait_until 10 scrape_has '^bytelyst_bot_reconciliation_mismatches_total{.*} 3$' ||
    fail "appended line not counted alone: $(scrape | grep mismatches_total)"

# SIGTERM stops it cleanly.
daemon_stop
grep -q 'stopping' "$T/d2.err" || fail "no clean stop logged"
