# rules/http.rules' native latency histogram over the pino-http fixture.
# The protobuf scrape, decoded by tests/oracle.py --canon-pb, equals what
# the oracle derives: every sample, and each series' native buckets
# (schema, zero bucket, every bucket's count), also with a bucket limit
# low enough that series widen their schema. A real Prometheus run with
# --enable-feature=native-histograms answers histogram_count() and
# histogram_sum() per series as the oracle counts and sums, and keeps the
# requests' exemplars. A restart with --state-file serves the same.
. "$TOP/tests/integration/lib.sh"
PB='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
log=$TOP/tests/fixtures/pino-http.log
lines=$(wc -l <"$log" | tr -d ' ')
mkdir -p "$T/log"
cp "$log" "$T/log/api.log"
grep -q '^  native$' "$TOP/rules/http.rules" ||
    fail "rules/http.rules has no native histogram"

settled() {
	[ "$(sample_sum logmetrics_lines_read_total)" = "$lines" ]
}
pbcanon() { # OUT: the canonical form of a protobuf scrape
	curl -sf -H "Accept: $PB" "http://127.0.0.1:$PORT/metrics" \
	    >"$T/scrape.pb" &&
	    python3 "$TOP/tests/oracle.py" --canon-pb "$T/scrape.pb" >"$1"
}
expect_native() { # WHAT MAX: the scrape equals the oracle's
	python3 "$TOP/tests/oracle.py" --rules http --native \
	    --native-max-buckets "$2" "$log" >"$T/expected" ||
	    fail "oracle failed"
	pbcanon "$T/got" || fail "$1: protobuf scrape"
	diff -u "$T/expected" "$T/got" | head -n 30
	cmp -s "$T/expected" "$T/got" || fail "$1: differs from the oracle's"
}

# A low bucket limit: series with more buckets widen, each on its own.
sed 's/^  native$/  native\n  native_max_buckets 6/' "$TOP/rules/http.rules" \
    >"$T/narrow.rules"
daemon_start -r "$T/narrow.rules" --from-start "$T/log/api.log"
wait_until 10 settled || fail "lines read: $(sample_sum logmetrics_lines_read_total)"
expect_native "6 buckets at most" 6
grep -q '^native .* schema=3 ' "$T/got" || fail "no series kept schema 3"
grep -q '^native .* schema=[0-2] ' "$T/got" || fail "no series widened"
# The status page says how far its series widened.
scrape /status.json >"$T/status.json" || fail "no /status.json"
grep -q '"name":"http_request_duration_seconds","type":"histogram",[^}]*"native":{"schema_min":[0-2],"schema_max":3}' \
    "$T/status.json" || fail "status: $(cat "$T/status.json")"
daemon_stop

daemon_start -r "$TOP/rules/http.rules" --from-start \
    --state-file "$T/state" "$T/log/api.log"
wait_until 10 settled || fail "lines read: $(sample_sum logmetrics_lines_read_total)"
expect_native "rules/http.rules" 160
expect_eq "native series" \
    "$(grep -c '^http_request_duration_seconds_count' "$T/expected")" \
    "$(grep -c '^native http_request_duration_seconds{' "$T/got")"
# The text format: the classic view, as prom-client counted.
scrape >"$T/text.prom"
promcheck "$T/text.prom"
canon "$T/text.prom" >"$T/text.canon"
canon "$TOP/tests/fixtures/pino-http.prom" >"$T/promclient"
diff -u "$T/promclient" "$T/text.canon" || fail "the text format changed"

prometheus_start api --enable-feature=native-histograms \
    --enable-feature=exemplar-storage
n=$(grep -c '^http_request_duration_seconds_count' "$T/expected")
stored() {
	promq 'count(histogram_count(http_request_duration_seconds))' \
	    >"$T/count.json" &&
	    grep -q "\"value\":\[[0-9.]*,\"$n\"\]" "$T/count.json"
}
wait_until 30 stored ||
    fail "Prometheus: $(cat "$T/count.json") $(tail -n 5 "$T/prometheus.log")"
promq 'histogram_count(http_request_duration_seconds)' >"$T/hcount.json"
promq 'histogram_sum(http_request_duration_seconds)' >"$T/hsum.json"
have_ex() {
	promex http_request_duration_seconds >"$T/ex.json" &&
	    grep -q request_id "$T/ex.json"
}
wait_until 10 have_ex || fail "no exemplars: $(cat "$T/ex.json")"
python3 - "$T/expected" "$T/hcount.json" "$T/hsum.json" "$T/ex.json" \
    "$log" <<'PY' || fail "Prometheus's answers"
import json, re, sys
want = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r'http_request_duration_seconds_(count|sum)'
                 r'\{method="([^"]*)",path="([^"]*)"\} (\S+)$', line)
    if m:
        want[(m.group(1), m.group(2), m.group(3))] = float(m.group(4))
got = {}
for kind, f in (("count", sys.argv[2]), ("sum", sys.argv[3])):
    for s in json.load(open(f))["data"]["result"]:
        got[(kind, s["metric"]["method"], s["metric"]["path"])] = \
            float(s["value"][1])
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("%s: Prometheus %r, oracle %r" % (k, got.get(k), want.get(k)))
    sys.exit(1)
# Each exemplar is a request of the log, at its log time to the
# millisecond, as OpenMetrics would have given it.
ms = {}
for line in open(sys.argv[5], encoding="utf-8"):
    o = json.loads(line)
    if (o.get("msg") in ("request completed", "request errored") and
            isinstance(o.get("req"), dict) and "id" in o["req"]):
        ms[str(o["req"]["id"])] = o["time"]
n = 0
for s in json.load(open(sys.argv[4]))["data"]:
    for e in s["exemplars"]:
        rid = e["labels"]["request_id"]
        if rid not in ms:
            sys.exit("exemplar %r: no such request" % e)
        if round(float(e["timestamp"]) * 1000) != ms[rid]:
            sys.exit("exemplar %r: the request is at %d ms" % (e, ms[rid]))
        n += 1
print("%d series: count and sum equal; %d exemplars" % (len(want) // 2, n),
      file=sys.stderr)
PY

# The native buckets are in the state: a restart serves the same.
daemon_stop
grep -q '^nbuckets ' "$T/state" || fail "no native buckets in the state"
daemon_start -r "$TOP/rules/http.rules" --state-file "$T/state" \
    "$T/log/api.log"
pbcanon "$T/restored" || fail "protobuf scrape after the restart"
diff -u "$T/expected" "$T/restored" || fail "native buckets not restored"
daemon_stop
