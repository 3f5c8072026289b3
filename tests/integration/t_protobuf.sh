# The protobuf exposition, asked for as Prometheus asks with native
# histograms on: on the contract's hazards, decoded by tests/oracle.py
# --canon-pb, it holds exactly the samples the text format shows (which
# equal the oracle's), plain and gzip-compressed; a client that does not
# name it never gets it. A real Prometheus run with
# --enable-feature=native-histograms (so scraping protobuf) stores every
# series of the rules with the value the text format shows.
. "$TOP/tests/integration/lib.sh"
PB='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
ACCEPT="$PB;q=0.8,application/openmetrics-text;version=1.0.0;q=0.7,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
mkdir -p "$T/log"
# Ended, so that its last line is one the daemon reads.
{ cat "$TOP/tests/fixtures/hazards.log"; echo; } >"$T/log/bot.log"
daemon_start -r "$TOP/rules/bytelyst.rules" --from-start "$T/log/bot.log"
expect_oracle "text" "$T/log/bot.log"

pbget() { # FILE [CURL ARGS]: a protobuf scrape, its headers in FILE.h
	_f=$1
	shift
	curl -sf -H "Accept: $ACCEPT" -D "$_f.h" -o "$_f" "$@" \
	    "http://127.0.0.1:$PORT/metrics"
}
same() { # FILE: its canonical form equals a text scrape's, made after
	python3 "$TOP/tests/oracle.py" --canon-pb "$1" >"$1.canon" &&
	    scrape >"$T/text.prom" && canon "$T/text.prom" >"$T/text.canon" &&
	    cmp -s "$1.canon" "$T/text.canon"
}
plain() { pbget "$T/scrape.pb" && same "$T/scrape.pb"; }
if ! wait_until 10 plain; then
	diff -u "$T/text.canon" "$T/scrape.pb.canon" | head -n 40
	fail "the protobuf scrape differs from the text one"
fi
grep -qi "^content-type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited" \
    "$T/scrape.pb.h" || fail "content type: $(cat "$T/scrape.pb.h")"
grep -qi '^vary: Accept, Accept-Encoding' "$T/scrape.pb.h" ||
    fail "no Vary: $(cat "$T/scrape.pb.h")"
# The rules' samples, hostile label values among them, all there.
expect_eq "samples" "$(wc -l <"$T/expected")" "$(wc -l <"$T/scrape.pb.canon")"

zipped() {
	pbget "$T/scrape.pb.gz" -H 'Accept-Encoding: gzip' &&
	    grep -qi '^content-encoding: gzip' "$T/scrape.pb.gz.h" &&
	    gzip -dc "$T/scrape.pb.gz" >"$T/unzipped.pb" &&
	    same "$T/unzipped.pb"
}
wait_until 10 zipped || fail "the gzip-compressed protobuf scrape differs"

# Named without its proto or encoding, or behind a wildcard: text.
for a in 'application/vnd.google.protobuf' \
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text' \
    '*/*'; do
	curl -sf -H "Accept: $a" -D "$T/other.h" -o /dev/null \
	    "http://127.0.0.1:$PORT/metrics" || fail "scrape with Accept: $a"
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/other.h" ||
	    fail "Accept: $a gave $(grep -i content-type "$T/other.h")"
done

prometheus_start bot --enable-feature=native-histograms
n=$(wc -l <"$T/text.canon")
stored() {
	promq 'count({__name__=~"bytelyst_bot_.+", job="bot"})' >"$T/count.json" &&
	    grep -q "\"value\":\[[0-9.]*,\"$n\"\]" "$T/count.json"
}
wait_until 30 stored ||
    fail "Prometheus holds $(cat "$T/count.json") series, not $n: $(tail -n 5 "$T/prometheus.log")"
promq '{__name__=~"bytelyst_bot_.+", job="bot"}' >"$T/series.json" ||
    fail "query failed"
scrape >"$T/text.prom"
canon "$T/text.prom" >"$T/text.canon"
python3 - "$TOP/tests" "$T/series.json" "$T/text.canon" <<'PY' || fail "Prometheus's values"
import json, sys
sys.path.insert(0, sys.argv[1])
from oracle import escape, fmt
want = {}
for line in open(sys.argv[3], encoding="utf-8"):
    key, value = line.rstrip("\n").rsplit(" ", 1)
    want[key] = value
got = {}
for s in json.load(open(sys.argv[2]))["data"]["result"]:
    m = dict(s["metric"])
    name = m.pop("__name__")
    m.pop("job")
    m.pop("instance")
    if "le" in m:
        m["le"] = fmt(float(m["le"]))
    body = ",".join('%s="%s"' % (k, escape(m[k].encode()))
                    for k in sorted(m))
    got[name + ("{%s}" % body if body else "")] = fmt(float(s["value"][1]))
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("%s: Prometheus %s, text %s" % (k, got.get(k), want.get(k)))
    sys.exit(1)
print("%d series equal" % len(got), file=sys.stderr)
PY
