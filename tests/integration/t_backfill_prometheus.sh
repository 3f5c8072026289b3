# Backfill end to end: three hours of bot log become an OpenMetrics history
# (--step 60s), promtool turns it into blocks, a Prometheus on 127.0.0.1
# serves them, and its answers at chosen times equal what the log implies:
# tests/oracle.py --until for values, and PromQL's extrapolation computed
# over the oracle's step values for increase() and rate().
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
unset NODE_ENV PAPER_TRADING
for tool in promtool prometheus curl; do
	command -v "$tool" >/dev/null ||
	    fail "$tool not found (packaging/deps.sh test installs it)"
done
[ -x "$TOP/build/genlog" ] || fail "no $TOP/build/genlog (make check builds it)"
began=$(date +%s)

# The corpus: 30000 generated lines whose log time runs 150 times slower
# (3 h 7 min), and after every 15-minute boundary the line that follows
# the one crossing it is stamped 3 ms before the boundary: a late line,
# counted in the step after the one it belongs to.
"$TOP/build/genlog" -n 30000 --symbols 4 --profiles 2 | python3 -c '
import re, sys
pat = re.compile(rb"\"time\":([0-9]+)")
out = sys.stdout.buffer
start = prev = late = None
for line in sys.stdin.buffer:
    m = pat.search(line)
    t = int(m.group(1))
    if start is None:
        start = prev = t
    t = start + (t - start) * 150
    if late is not None:
        t, late = late, None
    elif prev // 900000 != t // 900000:
        late = t // 900000 * 900000 - 3
    prev = max(prev, t)
    out.write(line[:m.start(1)] + str(t).encode() + line[m.end(1):])
' >"$T/bot.log"

"$lm" --one-shot --format openmetrics --step 60s -r "$rules" \
    -o "$T/history.om" "$T/bot.log" || fail "backfill: exit status $?"
expect_eq "the history ends with # EOF" "# EOF" "$(tail -n 1 "$T/history.om")"
ls "$T" | grep -q 'history.om.tmp' && fail "a temporary output file is left"
ls "$T" | grep -q 'logmetrics-history' && fail "a spill file is left"

# Structure: families and series never interleave, and every series has
# one point per step from its first to the end of the history.
cat >"$T/structure.py" <<'EOF'
import re, sys
SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+) ([0-9]+)$')
fams, series, fam, cur = set(), {}, None, None
for line in open(sys.argv[1], encoding='utf-8'):
    line = line.rstrip('\n')
    if line == '# EOF':
        break
    if line.startswith('# TYPE '):
        fam = line.split()[2]
        assert fam not in fams, 'family %s twice' % fam
        fams.add(fam)
        continue
    if line.startswith('# HELP '):
        continue
    m = SAMPLE.match(line)
    assert m and m.group(1).startswith(fam), 'bad sample: ' + line
    key = (fam, re.sub(r',?le="[^"]*"', '', m.group(2) or ''))
    if key != cur:
        assert key not in series, 'series interleaved: ' + line
        series[key], cur = [], key
    ts = int(m.group(4))
    if not series[key] or series[key][-1] != ts:
        series[key].append(ts)
first = min(p[0] for p in series.values())
last = max(p[-1] for p in series.values())
for key, pts in series.items():
    assert pts == list(range(pts[0], last + 1, 60)), 'points of %s' % (key,)
assert len(fams) == 9, fams
print(first, last, len(series))
EOF
python3 "$T/structure.py" "$T/history.om" >"$T/span" ||
    fail "the history's structure"
read -r first last nseries <"$T/span"
[ $((last - first)) -ge 10800 ] || fail "history spans only $((last - first)) s"

# Every sample at a boundary equals the oracle's for the lines up to it,
# freshness judged at the boundary: the first step, a late line's step
# and the one after, two hours in, the end.
t1=$((first + 7200))
t2=$(((first / 900 + 2) * 900))
for t in $first $t2 $((t2 + 60)) $t1 $last; do
	awk -v t="$t" '$NF == t' "$T/history.om" | sed 's/ [0-9]*$//' \
	    >"$T/at.$t"
	canon "$T/at.$t" >"$T/got.$t"
	python3 "$TOP/tests/oracle.py" --until "$t" --now "$t" "$T/bot.log" \
	    >"$T/expected.$t"
	diff -u "$T/expected.$t" "$T/got.$t" ||
	    fail "samples at $t differ from the oracle's"
done
python3 "$TOP/tests/oracle.py" --until $((t1 - 3600)) --now $((t1 - 3600)) \
    "$T/bot.log" >"$T/expected.hour"

promtool tsdb create-blocks-from openmetrics "$T/history.om" "$T/data" \
    >"$T/promtool.out" 2>&1 || {
	cat "$T/promtool.out" >&2
	fail "promtool tsdb create-blocks-from openmetrics"
}
ls "$T/data" | grep -q . || fail "promtool made no blocks"

port=$(free_port)
printf 'global:\n  scrape_interval: 1m\n' >"$T/prometheus.yml"
prometheus --config.file="$T/prometheus.yml" \
    --storage.tsdb.path="$T/data" --storage.tsdb.retention.time=100y \
    --web.listen-address="127.0.0.1:$port" >"$T/prometheus.log" 2>&1 &
track_pid $!
wait_until 30 curl -sf "http://127.0.0.1:$port/-/ready" || {
	tail -n 20 "$T/prometheus.log" >&2
	fail "prometheus did not start"
}

# query PROMQL TIME: the value of the one sample of the answer.
query() {
	curl -sf --get --data-urlencode "query=$1" --data-urlencode "time=$2" \
	    "http://127.0.0.1:$port/api/v1/query" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
assert len(r) == 1, r
print(r[0]["value"][1])
' || fail "query $1 at $2"
}

# events FILE: the sum of the event counters of a canonical exposition.
events() {
	awk '/^bytelyst_bot_operational_events_total/ { s += $NF }
	    END { print s + 0 }' "$1"
}

# close WHAT EXPECTED GOT: equal to within rounding.
close() {
	python3 -c 'import sys
w, g = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if abs(w - g) <= 1e-9 * max(abs(w), 1) else 1)' "$2" "$3" ||
	    fail "$1: expected $2, got $3"
}

# Counters at boundaries: exactly the oracle's totals and series.
for t in $t2 $t1 $last; do
	got=$(query 'sum(bytelyst_bot_operational_events_total)' "$t")
	expect_eq "sum of events at $t" "$(events "$T/expected.$t")" "$got"
	got=$(query 'count(bytelyst_bot_operational_events_total)' "$t")
	expect_eq "event series at $t" \
	    "$(grep -c '^bytelyst_bot_operational_events_total' \
	    "$T/expected.$t")" "$got"
done
hour=$(($(events "$T/expected.$t1") - $(events "$T/expected.hour")))
got=$(query 'sum(bytelyst_bot_operational_events_total) -
    sum(bytelyst_bot_operational_events_total offset 1h)' "$t1")
expect_eq "events in the hour before $t1" "$hour" "$got"
echo "sum(bytelyst_bot_operational_events_total) at $t1: $(events "$T/expected.$t1"); minus 1h earlier: $got (oracle: $hour)"

# What PromQL's increase() and histogram_quantile(rate()) give at t1 over
# the points the oracle implies at each step: Prometheus 2's extrapolation
# of a counter's change to the edges of the range, series by series.
cat >"$T/model.py" <<'EOF'
import math, sys
sys.path.insert(0, sys.argv[1] + '/tests')
import oracle

STEP, RANGE = 60, 3600
at = int(sys.argv[3])
o = oracle.Oracle()
points = {}


def snap(ts):
    for k, v in o.events.items():
        points.setdefault(('events', k), []).append((ts, float(v)))
    for sub, h in o.durations.items():
        cum = 0
        for b, c in zip(h.bounds, h.counts):
            cum += c
            points.setdefault(('le', b, sub), []).append((ts, float(cum)))
        points.setdefault(('le', math.inf, sub), []).append(
            (ts, float(h.count)))


k = None
with open(sys.argv[2], 'rb') as f:
    for raw in f:
        raw = raw.rstrip(b'\n')
        fields = oracle.fields_of(raw.decode('utf-8', 'surrogateescape'))
        t = oracle.line_time(fields) if fields is not None else None
        if t is not None:
            kt = math.ceil(t / STEP)
            if k is None:
                k = kt
            while k < kt:
                snap(k * STEP)
                k += 1
        o.feed_line(raw)
snap(k * STEP)


def extrapolated(pts, is_rate):
    pts = [(ts * 1000, v) for ts, v in pts if at - RANGE <= ts <= at]
    if len(pts) < 2:
        return None
    res = pts[-1][1] - pts[0][1]
    last = 0.0
    for _, v in pts:
        if v < last:
            res += last
        last = v
    start = float(pts[0][0] - (at - RANGE) * 1000) / 1000
    end = float(at * 1000 - pts[-1][0]) / 1000
    sampled = float(pts[-1][0] - pts[0][0]) / 1000
    avg = sampled / (len(pts) - 1)
    if res > 0 and pts[0][1] >= 0:
        start = min(start, sampled * (pts[0][1] / res))
    ext = sampled + (start if start < avg * 1.1 else avg / 2)
    ext += end if end < avg * 1.1 else avg / 2
    res = res * (ext / sampled)
    return res / RANGE if is_rate else res


inc, le = 0.0, {}
for key, pts in points.items():
    r = extrapolated(pts, key[0] == 'le')
    if r is None:
        continue
    if key[0] == 'events':
        inc += r
    else:
        le[key[1]] = le.get(key[1], 0.0) + r


def quantile(phi, bs):
    """PromQL's histogram_quantile over (bound, count) sorted by bound."""
    rank = phi * bs[-1][1]
    b = next(i for i, (_, c) in enumerate(bs) if c >= rank)
    if b == len(bs) - 1:
        return bs[-2][0]
    lo, below = bs[b - 1] if b > 0 else (0.0, 0.0)
    return lo + (bs[b][0] - lo) * ((rank - below) / (bs[b][1] - below))


bs = sorted(le.items())
print(repr(inc), repr(quantile(0.5, bs)), repr(quantile(0.9, bs)))
EOF
python3 "$T/model.py" "$TOP" "$T/bot.log" "$t1" >"$T/model" ||
    fail "the PromQL model"
read -r inc q5 q9 <"$T/model"

got=$(query 'sum(increase(bytelyst_bot_operational_events_total[1h]))' "$t1")
close "sum(increase(events[1h])) at $t1" "$inc" "$got"
echo "sum(increase(bytelyst_bot_operational_events_total[1h])) at $t1: $got (expected $inc)"
for phi in 0.5 0.9; do
	[ "$phi" = 0.5 ] && want=$q5 || want=$q9
	got=$(query "histogram_quantile($phi, sum by (le) (rate(bytelyst_bot_subsystem_duration_seconds_bucket[1h])))" "$t1")
	close "$phi quantile of subsystem durations at $t1" "$want" "$got"
	echo "histogram_quantile($phi, sum by (le) (rate(bytelyst_bot_subsystem_duration_seconds_bucket[1h]))) at $t1: $got (expected $want)"
done
echo "history: $nseries series, $(((last - first) / 60 + 1)) steps," \
    "$(wc -c <"$T/history.om") bytes; test $(($(date +%s) - began)) s"
