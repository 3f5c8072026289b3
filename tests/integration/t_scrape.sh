# The HTTP side with curl: methods, paths, gzip, OpenMetrics negotiation,
# the landing page, health and readiness, and promtool on a live scrape.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
port=$(free_port)
mkdir -p "$T/log"
cp "$TOP/tests/fixtures/bot-small.log" "$T/log/bot.log"
printf '\n' >>"$T/log/bot.log"
"$lm" -r "$rules" --from-start -l "127.0.0.1:$port" --metrics-path /m \
    "$T/log/bot.log" 2>"$T/daemon.err" &
track_pid $!
u=http://127.0.0.1:$port
wait_until 10 curl -sf "$u/-/ready" || fail "not ready: $(cat "$T/daemon.err")"

code() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}
expect_eq "GET /m" 200 "$(code "$u/m")"
expect_eq "GET /metrics (moved)" 404 "$(code "$u/metrics")"
expect_eq "GET /nope" 404 "$(code "$u/nope")"
expect_eq "POST /m" 405 "$(code -X POST -d x "$u/m")"
expect_eq "DELETE /m" 405 "$(code -X DELETE "$u/m")"
curl -s -D "$T/h405" -o /dev/null -X PUT "$u/m"
grep -qi '^Allow: GET, HEAD' "$T/h405" || fail "405 without Allow"
expect_eq "healthy" 200 "$(code "$u/-/healthy")"
expect_eq "ready" 200 "$(code "$u/-/ready")"

# The text format by default, valid for promtool, every line counted.
curl -s -D "$T/h" "$u/m" >"$T/scrape.prom"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h" ||
    fail "text content type: $(cat "$T/h")"
promcheck "$T/scrape.prom"
canon "$T/scrape.prom" >"$T/got"
python3 "$TOP/tests/oracle.py" --now "$(date +%s)" \
    "$TOP/tests/fixtures/bot-small.log" >"$T/expected"
diff -u "$T/expected" "$T/got" || fail "scrape differs from the oracle"
grep -q '^logmetrics_build_info{version="[0-9.]*"} 1$' "$T/scrape.prom" ||
    fail "no build info"
for m in process_cpu_seconds_total process_resident_memory_bytes \
    process_open_fds process_max_fds process_start_time_seconds \
    logmetrics_lines_unmatched_total logmetrics_json_invalid_lines_total; do
	grep -q "^$m " "$T/scrape.prom" || fail "no $m"
done

# HEAD: the headers of GET, no body.
curl -s -I "$u/m" >"$T/head"
grep -qi '^Content-Length: [1-9]' "$T/head" || fail "HEAD without length"
expect_eq "HEAD body" 0 "$(curl -s -X HEAD --max-time 2 "$u/m" 2>/dev/null | wc -c)"

# gzip when asked, the same bytes once inflated.
curl -s -H 'Accept-Encoding: gzip' -D "$T/hz" "$u/m" >"$T/scrape.gz"
grep -qi '^Content-Encoding: gzip' "$T/hz" || fail "no gzip"
gzip -dc "$T/scrape.gz" >"$T/unzipped.prom" || fail "not gzip data"
canon "$T/unzipped.prom" | diff -q - "$T/got" >/dev/null ||
    fail "gzip body differs"

# OpenMetrics when the scraper asks for it, ending with one # EOF.
curl -s -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
    -D "$T/hom" "$u/m" >"$T/scrape.om"
grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0' \
    "$T/hom" || fail "OpenMetrics content type: $(cat "$T/hom")"
expect_eq "# EOF last" "# EOF" "$(tail -n 1 "$T/scrape.om")"
expect_eq "one # EOF" 1 "$(grep -c '^# EOF' "$T/scrape.om")"
grep -q '^# TYPE logmetrics_lines_read counter' "$T/scrape.om" ||
    fail "self-metrics in OpenMetrics"

# The landing page: version, files with offsets, rules, freshness.
curl -s "$u/" >"$T/landing.html"
grep -q 'logmetrics [0-9]' "$T/landing.html" || fail "landing: version"
grep -q "$T/log/bot.log" "$T/landing.html" || fail "landing: file"
grep -q 'subsystem_cycle' "$T/landing.html" || fail "landing: rules"
grep -q '<td class=bad>stalled</td>' "$T/landing.html" ||
    fail "landing: stall state"
