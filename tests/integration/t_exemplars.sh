# Exemplars from log fields, as Prometheus keeps them: rules/http.rules,
# each request's id the exemplar of its counter and of its histogram
# bucket, over the pino-http fixture, scraped by a real Prometheus run
# with --enable-feature=exemplar-storage. Every exemplar Prometheus
# returns names a request of its series' labels (and of its bucket), with
# that request's value and log time, and each series' last request is
# among them. The text format has none; a restart with --state-file
# serves the same exemplars.
. "$TOP/tests/integration/lib.sh"
log=$TOP/tests/fixtures/pino-http.log
cp "$TOP/rules/http.rules" "$T/ex.rules"
expect_eq "exemplar actions" 2 "$(grep -c ' exemplar request_id=\$id$' "$T/ex.rules")"
mkdir -p "$T/log"
cp "$log" "$T/log/api.log"
daemon_start -r "$T/ex.rules" --from-start "$T/log/api.log"
settled() {
	[ "$(sample_sum logmetrics_lines_read_total)" = \
	    "$(wc -l <"$log" | tr -d ' ')" ]
}
wait_until 10 settled || fail "lines read: $(sample_sum logmetrics_lines_read_total)"

# The text format: no exemplar; OpenMetrics: one per counter series.
scrape >"$T/text"
grep -q ' # ' "$T/text" && fail "an exemplar in the text format"
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' \
    "http://127.0.0.1:$PORT/metrics" >"$T/om" || fail "OpenMetrics scrape"
expect_eq "counter series with an exemplar" \
    "$(grep -c '^http_requests_total{' "$T/om")" \
    "$(grep -c '^http_requests_total{.*} [0-9]* # {request_id="[0-9]*"} 1 [0-9.]*$' "$T/om")"
promcheck "$T/text"

# A query may come while Prometheus is still storing a scrape's exemplars
# (some series have theirs, some not yet): the check is asked again until
# it passes, and its last answer is the failure's.
cat >"$T/excheck.py" <<'PY'
import json, re, sys
buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
def route(url):
    p = re.match(r"^[^?#]*", url).group(0)
    p = re.sub(r"/[0-9]+(?=/|$)", "/:id", p)
    p = re.sub(r"/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}(?=/|$)", "/:uuid", p, flags=re.I)
    return p or "/"
def le(v):
    for b in buckets:
        if v <= b:
            return b
    return float("inf")
reqs = {}
last = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o.get("msg") not in ("request completed", "request errored"):
        continue
    r = {"method": o["req"]["method"], "path": route(o["req"]["url"]),
         "code": str(o["res"]["statusCode"]), "value": o["responseTime"] / 1000,
         "time": o["time"] / 1000}
    reqs[str(o["req"]["id"])] = r
    last[("c", r["method"], r["path"], r["code"])] = str(o["req"]["id"])
    last[("h", r["method"], r["path"], le(r["value"]))] = str(o["req"]["id"])
seen = set()
n = 0
for kind, f in (("c", sys.argv[2]), ("h", sys.argv[3])):
    for s in json.load(open(f))["data"]:
        sl = s["seriesLabels"]
        for e in s["exemplars"]:
            n += 1
            rid = e["labels"]["request_id"]
            r = reqs.get(rid)
            if r is None:
                sys.exit("request_id %r is no request of the log" % rid)
            if (r["method"], r["path"]) != (sl["method"], sl["path"]):
                sys.exit("request %s is %s %s, its exemplar on %r" % (rid, r["method"], r["path"], sl))
            if abs(e["timestamp"] - r["time"]) > 1e-3:
                sys.exit("request %s at %r, its exemplar at %r" % (rid, r["time"], e["timestamp"]))
            if kind == "c":
                if r["code"] != sl["code"] or float(e["value"]) != 1:
                    sys.exit("counter exemplar %r for request %r" % (e, r))
                seen.add(("c", sl["method"], sl["path"], sl["code"], rid))
            else:
                b = float(sl["le"])
                if le(r["value"]) != b or abs(float(e["value"]) - r["value"]) > 1e-9:
                    sys.exit("request %s of %r s, its exemplar on le=%s: %r" % (rid, r["value"], sl["le"], e))
                seen.add(("h", sl["method"], sl["path"], b, rid))
for k, rid in last.items():
    if k + (rid,) not in seen:
        sys.exit("the last request of %r, %s, is not an exemplar" % (k, rid))
print("%d exemplars, %d series" % (n, len(last)))
PY
prometheus_start api --enable-feature=exemplar-storage
exemplars_right() {
	promex http_requests_total >"$T/ex-counter.json" &&
	    promex http_request_duration_seconds_bucket >"$T/ex-hist.json" &&
	    python3 "$T/excheck.py" "$log" "$T/ex-counter.json" \
	        "$T/ex-hist.json" >"$T/excheck.out" 2>&1
}
wait_until 30 exemplars_right ||
    fail "exemplars in Prometheus: $(cat "$T/excheck.out") $(tail -n 5 "$T/prometheus.log")"

# Exemplars are kept in the state: a restart serves the same ones.
daemon_stop
: >"$DERR"
om() {
	curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' \
	    "http://127.0.0.1:$PORT/metrics" | grep '^http_' >"$1" ||
	    fail "OpenMetrics scrape"
}
daemon_start -r "$T/ex.rules" --from-start --state-file "$T/state" \
    "$T/log/api.log"
wait_until 10 settled || fail "lines read: $(sample_sum logmetrics_lines_read_total)"
om "$T/before"
daemon_stop
grep -q '^exemplar ' "$T/state" || fail "no exemplar in the state"
daemon_start -r "$T/ex.rules" --state-file "$T/state" "$T/log/api.log"
om "$T/after"
diff -u "$T/before" "$T/after" || fail "exemplars not restored"
expect_eq "exemplars restored" "$(grep -c ' # {' "$T/before")" \
    "$(grep -c ' # {request_id="[0-9]*"}' "$T/after")"
daemon_stop
