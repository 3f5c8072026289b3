# rules/http.rules on a log the real pino-http wrote
# (tests/fixtures/pino-http.log, made by pino-http.js beside it): in
# one-shot and in follow mode the metrics equal both what tests/oracle.py
# derives with a JSON parser and what prom-client counted of the same
# requests as they completed (pino-http.prom).
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/http.rules
fx=$TOP/tests/fixtures
lines=$(wc -l <"$fx/pino-http.log")

python3 "$TOP/tests/oracle.py" --rules http "$fx/pino-http.log" \
    >"$T/expected" || fail "oracle failed"
canon "$fx/pino-http.prom" >"$T/promclient"
diff -u "$T/expected" "$T/promclient" ||
    fail "the oracle differs from prom-client's own count"
expect_eq "requests in the fixture" 2000 \
    "$(awk '/^http_requests_total/ { n += $NF } END { print n }' "$T/expected")"

# One-shot.
"$lm" --one-shot -r "$rules" "$fx/pino-http.log" >"$T/oneshot.prom" ||
    fail "one-shot: exit status $?"
promcheck "$T/oneshot.prom"
canon "$T/oneshot.prom" >"$T/got"
diff -u "$T/expected" "$T/got" || fail "one-shot: differs from the oracle's"

# Follow: the log written in chunks that split lines, renamed halfway.
mkdir -p "$T/log"
daemon_start -r "$rules" --poll-interval 200ms "$T/log/*.log"
python3 "$TOP/tests/integration/writer.py" "$fx/pino-http.log" "$T/log" \
    "write:1000,rename:bot.log.1,create,write:$((lines - 1000))" \
    >"$T/written" || fail "writer failed"
caught_up() {
	[ "$(sample_sum logmetrics_lines_read_total)" -eq "$lines" ]
}
wait_until 30 caught_up ||
    fail "read $(sample_sum logmetrics_lines_read_total) of $lines lines"
scrape >"$T/follow.prom"
promcheck "$T/follow.prom"
canon "$T/follow.prom" >"$T/got"
diff -u "$T/expected" "$T/got" || fail "follow: differs from the oracle's"
daemon_stop
