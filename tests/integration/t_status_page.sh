# The status page (/): over a log with hostile lines in a file with a
# hostile name, it shows the sources, the rules with their counts (those
# of /metrics), ages a person reads, the limits hit and the last lines no
# rule matched, every byte from outside escaped; every response carries
# a policy that forbids scripts; /status.json says the same with the
# numbers of /metrics; --no-status-page turns both off.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
mkdir "$T/log"
hostile="$T/log/\"><img src=x onerror=alert(1)>.log"
cp "$TOP/tests/fixtures/bot-small.log" "$hostile"
{
	printf '\n'
	printf '%s\n' '{"level":30,"msg":"<script>alert(\"x\")</script>"}'
	printf '%s\n' '"><img src=x onerror=alert(2)>'
	printf 'a control byte \033[31m here\n'
	printf '\n' # an empty line: kept as one, of no byte
	printf '{"level":30,"msg":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' z)"
} >>"$hostile"
daemon_start -r "$rules" --from-start --max-series 3 "$T/log/*.log"
settled() {
	[ "$(sample_sum logmetrics_lines_read_total)" = \
	    "$(wc -l <"$hostile" | tr -d ' ')" ]
}
wait_until 10 settled || fail "lines read: $(sample_sum logmetrics_lines_read_total)"
sleep 0.5
scrape >"$T/metrics"
scrape / >"$T/page.html" || fail "GET /"

# Nothing from the log or the file name became an element.
for bad in '<script' '<img' "$(printf '\033')"; do
	grep -qF "$bad" "$T/page.html" && fail "the page holds $bad"
done
grep -qF '&lt;script&gt;alert(\&quot;x\&quot;)&lt;/script&gt;' "$T/page.html" ||
    fail "the script line is not shown as text"
grep -qF '<code>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</code>' \
    "$T/page.html" || fail "the img line is not shown as text"
grep -qF 'a control byte \x1b[31m here' "$T/page.html" ||
    fail "the control byte is not shown as \\x1b"
name='&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.log'
grep -qF "<td><code>$T/log/$name</code></td><td class=ok>open</td>" \
    "$T/page.html" || fail "the source and its state: $(grep -F "$name" "$T/page.html" | head -n 1)"

# Ages as a person says them, with the time beside, never seconds with
# decimals.
grep -q '[0-9]\.[0-9]* s ago' "$T/page.html" && fail "an age in decimals"
grep -q '<td>[0-9]* s ago <span class=t>20[0-9-]* [0-9:]* UTC</span></td>' \
    "$T/page.html" || fail "no age with its UTC time"

# Each rule with the count /metrics has.
for r in $(sed -n 's/^logmetrics_rule_matches_total{rule="\([a-z_]*\)"} .*/\1/p' \
    "$T/metrics"); do
	n=$(sed -n "s/^logmetrics_rule_matches_total{rule=\"$r\"} //p" "$T/metrics")
	n=$(echo "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
	grep -q "<tr><td>$r</td><td class=n>$n</td>" "$T/page.html" ||
	    fail "rule $r with $n matches: $(grep "<td>$r<" "$T/page.html")"
done
u=$(sample_sum logmetrics_lines_unmatched_total | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
grep -q ", $u matched no rule</p>" "$T/page.html" ||
    fail "$u lines matched no rule: $(grep 'matched no rule' "$T/page.html")"

# The limits hit: --max-series 3 refused series, said in red.
d=$(sample_sum logmetrics_series_dropped_total)
[ "$d" -gt 0 ] || fail "no series refused by --max-series 3"
grep -q "<tr><td>new series, dropped</td><td>--max-series</td><td class=\"n bad\">$d</td></tr>" \
    "$T/page.html" || fail "the limit hit: $(grep 'new series' "$T/page.html")"

# The last lines no rule matched: 16 at most, the newest first, a long one
# cut with its length said.
kept=$(sed -n '/<h2>Lines no rule matched/,$p' "$T/page.html" | grep -c '^<tr><td>')
[ "$kept" -ge 4 ] && [ "$kept" -le 16 ] || fail "$kept lines kept"
first=$(sed -n '/<h2>Lines no rule matched/,$p' "$T/page.html" |
    grep -m 1 '^<tr><td>')
case "$first" in
*'zzzz</code> <span class=t>&hellip; of 3,021 bytes</span>'*) ;;
*) fail "the newest line, cut: $first" ;;
esac

# /status.json: the same facts, valid JSON, its numbers those of /metrics.
scrape /status.json >"$T/status.json" || fail "GET /status.json"
scrape >"$T/metrics2"
python3 - "$T/status.json" "$T/metrics2" "$hostile" <<'PY' || fail "/status.json"
import json, re, sys
st = json.load(open(sys.argv[1], encoding="utf-8"))
m = {}
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith("#"):
        continue
    mo = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line.rstrip("\n"))
    labels = {k: re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), v)
              for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', mo.group(2) or "")}
    key = (mo.group(1),) + tuple(sorted(labels.items()))
    m[key] = float(mo.group(3))
def want(name, got, **labels):
    key = (name,) + tuple(sorted(labels.items()))
    if key not in m:
        sys.exit("no %s%r in /metrics" % (name, labels))
    if float(got) != m[key]:
        sys.exit("%s%r: %r in /status.json, %r in /metrics" % (name, labels, got, m[key]))
src = [s for s in st["sources"] if s["path"] == sys.argv[3]]
if len(src) != 1:
    sys.exit("the hostile file is not a source: %r" % [s["path"] for s in st["sources"]])
for s in st["sources"]:
    f = s["path"]
    want("logmetrics_lines_read_total", s["lines"], file=f)
    want("logmetrics_lines_too_long_total", s["lines_too_long"], file=f)
    want("logmetrics_file_lag_bytes", s["lag_bytes"], file=f)
    want("logmetrics_rotations_total", s["rotations"], file=f)
    want("logmetrics_truncations_total", s["truncations"], file=f)
    want("logmetrics_files_lost_total", s["files_lost"], file=f)
    want("logmetrics_file_polled", 1 if s["polled"] else 0, file=f)
    want("logmetrics_file_open", 1 if s["open"] else 0, file=f)
    want("logmetrics_file_last_line_timestamp_seconds", s["last_line_time"], file=f)
for r in st["rules"]:
    want("logmetrics_rule_matches_total", r["matches"], rule=r["name"])
    want("logmetrics_match_limit_hits_total", r["limit_hits"], rule=r["name"])
    want("logmetrics_rule_errors_total", r["errors"], rule=r["name"])
    want("logmetrics_rule_last_match_timestamp_seconds",
         r["last_match_time"] or 0, rule=r["name"])
if len(st["rules"]) != 8:
    sys.exit("%d rules" % len(st["rules"]))
for x in st["metrics"]:
    want("logmetrics_series", x["series"], metric=x["name"])
    want("logmetrics_series_dropped_total", x["series_dropped"], metric=x["name"])
    want("logmetrics_label_too_long_total", x["label_too_long"], metric=x["name"])
    want("logmetrics_series_expired_total", x["expired"], metric=x["name"])
    if x["max_series"] != 3:
        sys.exit("%s: max_series %r" % (x["name"], x["max_series"]))
want("logmetrics_lines_unmatched_total", st["lines_unmatched"])
want("logmetrics_json_invalid_lines_total", st["json_invalid_lines"])
want("process_start_time_seconds", st["start_time"])
want("logmetrics_rules_last_reload_timestamp_seconds", st["rules_loaded_time"])
if st["lines_read"] != sum(s["lines"] for s in st["sources"]):
    sys.exit("lines_read %r" % st["lines_read"])
if st["limits"]["series_dropped"] != sum(x["series_dropped"] for x in st["metrics"]):
    sys.exit("limits.series_dropped %r" % st["limits"]["series_dropped"])
kept = st["unmatched_lines"]
if not 4 <= len(kept) <= 16:
    sys.exit("%d lines kept" % len(kept))
if [k["number"] for k in kept] != sorted((k["number"] for k in kept), reverse=True):
    sys.exit("kept lines not newest first")
if kept[0]["length"] != 3021 or len(kept[0]["text"]) != 512:
    sys.exit("the cut line: %r, %d" % (kept[0]["length"], len(kept[0]["text"])))
texts = [k["text"] for k in kept]
for t in ['{"level":30,"msg":"<script>alert(\\"x\\")</script>"}',
          '"><img src=x onerror=alert(2)>', 'a control byte \x1b[31m here']:
    if t not in texts:
        sys.exit("not kept as it was: %r in %r" % (t, texts))
if st["state"] is not None or st["reload_error"] is not None:
    sys.exit("state or reload error")
PY
curl -s -o /dev/null -D "$T/hj" "http://127.0.0.1:$PORT/status.json"
grep -qi '^Content-Type: application/json' "$T/hj" ||
    fail "/status.json content type: $(cat "$T/hj")"

# Each kept line links to what --explain says of it, from its number
# alone: the script line explained as the CLI does; a number not kept,
# or not a number, answered with the error.
n=$(python3 -c 'import json, sys
for k in json.load(open(sys.argv[1]))["unmatched_lines"]:
    if "<script>" in k["text"]:
        print(k["number"])' "$T/status.json")
[ -n "$n" ] || fail "the script line has no number"
grep -qF "<a href=\"/explain?line=$n\">explain</a>" "$T/page.html" ||
    fail "no link to /explain?line=$n"
expect_eq "GET /explain?line=$n" 200 \
    "$(curl -s -o "$T/explain.html" -w '%{http_code}' "http://127.0.0.1:$PORT/explain?line=$n")"
grep -q "<h1>Line $n of those no rule matched</h1>" "$T/explain.html" ||
    fail "explain: $(head -c 600 "$T/explain.html")"
grep -qF '<pre>{&quot;level&quot;:30,&quot;msg&quot;:&quot;&lt;script&gt;alert(\&quot;x\&quot;)&lt;/script&gt;&quot;}</pre>' \
    "$T/explain.html" || fail "explain: the line"
grep '{"level":30,"msg":"<script>' "$hostile" |
    "$LOGMETRICS" --explain -r "$rules" | sed 1d |
    sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' >"$T/cli"
sed -n '/^<pre>rule /,/^<\/pre>/p' "$T/explain.html" |
    sed 's/^<pre>//; /^<\/pre>/d' >"$T/served"
diff -u "$T/cli" "$T/served" || fail "/explain differs from --explain"
grep -q '<script' "$T/explain.html" && fail "explain: an element from the log"
for bad in 'abc' '-1' '1e3' '99999999999999999999' '<script>'; do
	expect_eq "GET /explain?line=$bad" 400 \
	    "$(curl -s -o /dev/null -w '%{http_code}' -G --data-urlencode "line=$bad" "http://127.0.0.1:$PORT/explain")"
done
expect_eq "GET /explain?line=0 (not kept)" 404 \
    "$(curl -s -o "$T/e404" -w '%{http_code}' "http://127.0.0.1:$PORT/explain?line=0")"
grep -q 'keeps the last 16 lines no rule matched' "$T/e404" ||
    fail "404 without why: $(cat "$T/e404")"

# As a browser shows it: the DOM Chromium builds from the page has no
# element from the log or the file name, and the text is there; a
# screenshot is kept with the test's output.
chrome() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$T/chromium" --window-size=1280,1800 "$@" \
	    "http://127.0.0.1:$PORT/" 2>>"$T/chromium.err"
}
chrome --dump-dom >"$T/dom.html" || fail "chromium: $(tail -n 3 "$T/chromium.err")"
grep -q '<h2>Lines no rule matched</h2>' "$T/dom.html" ||
    fail "chromium shows no page: $(head -c 300 "$T/dom.html")"
for bad in '<script' '<img' 'onerror="'; do
	grep -qF "$bad" "$T/dom.html" && fail "the browser made an element: $bad"
done
grep -qF '&lt;script&gt;alert(\"x\")&lt;/script&gt;' "$T/dom.html" ||
    fail "the browser does not show the script line as text"
grep -qF "$T/log/\"&gt;&lt;img src=x onerror=alert(1)&gt;.log" \
    "$T/dom.html" || fail "the browser does not show the file name as text"
chrome --screenshot="$T/status-page.png" >/dev/null ||
    fail "chromium: $(tail -n 3 "$T/chromium.err")"
[ "$(head -c 8 "$T/status-page.png" | od -An -c | tr -d ' ')" = \
    '211PNG\r\n032\n' ] || fail "no screenshot"

# Every response says: no script, nothing loaded, no sniffing; the page
# and the others alike.
for p in / /metrics /nosuch; do
	curl -s -o /dev/null -D "$T/h" "http://127.0.0.1:$PORT$p"
	grep -qi "^Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" \
	    "$T/h" || fail "$p without the policy: $(cat "$T/h")"
	grep -qi '^X-Content-Type-Options: nosniff' "$T/h" ||
	    fail "$p without nosniff: $(cat "$T/h")"
done
grep -qi '^Content-Type: text/html; charset=utf-8' "$T/h" && fail "404 as HTML"
daemon_stop

# --no-status-page: / and /status.json are not found, the metrics and
# health are served.
: >"$DERR"
daemon_start -r "$rules" --no-status-page "$T/log/*.log"
expect_eq "GET / with --no-status-page" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")"
expect_eq "GET /status.json with --no-status-page" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/status.json")"
expect_eq "GET /metrics with --no-status-page" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")"
expect_eq "GET /-/healthy with --no-status-page" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/healthy")"
daemon_stop
