# --path-labels: named groups of a regex over a followed file's path label
# every series of the rules' metrics that file feeds. Two instances written
# at once: each instance's series equal the oracle's over its file alone,
# in follow mode and in one-shot mode; a file the regex does not match
# gets empty values; backfill histories end at the one-shot counts; a
# group that clashes is refused with its place; the labels are part of
# the rules' identity in the state file.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
w=$TOP/tests/integration/writer.py
re='/(?<instance>inst-[^/]+)/bot\.log$'
source_log 8000 51
mv "$T/source.log" "$T/a.log"
source_log 6000 52
mv "$T/source.log" "$T/b.log"
source_log 500 53
mv "$T/source.log" "$T/c.log"
mkdir -p "$T/tree/inst-a" "$T/tree/inst-b" "$T/tree/other"

# instance_matches NAME LOG: the scrape's series of that instance equal
# the oracle's over LOG with instance=NAME.
instance_matches() {
	scrape >"$T/scrape.prom" || return 1
	canon "$T/scrape.prom" | grep "instance=\"$1\"" >"$T/got.$1"
	python3 "$TOP/tests/oracle.py" --now "$(date +%s)" \
	    --label "instance=$1" "$2" >"$T/expected.$1"
	cmp -s "$T/expected.$1" "$T/got.$1"
}

daemon_start -r "$rules" --path-labels "$re" --state-file "$T/state" \
    "$T/tree/*/bot.log"
python3 "$w" "$T/a.log" "$T/tree/inst-a" "write:8000" >/dev/null &
pa=$!
track_pid $pa
python3 "$w" "$T/b.log" "$T/tree/inst-b" "write:6000" >/dev/null ||
    fail "writer b failed"
wait "$pa" || fail "writer a failed"
forget "$pa"
cp "$T/c.log" "$T/tree/other/bot.log"
for i in a b; do
	log=$T/$i.log
	if ! wait_until 15 instance_matches "inst-$i" "$log"; then
		diff -u "$T/expected.inst-$i" "$T/got.inst-$i" | head -n 30
		fail "instance inst-$i: its series differ from its file's alone"
	fi
done
wait_until 10 scrape_has \
    '^logmetrics_lines_read_total{file="[^"]*/other/bot.log"} 500$' ||
    fail "the file the regex does not match is not read"
scrape_has '^bytelyst_bot_[a-z_]*{.*instance="".*} [1-9]' ||
    fail "no series with an empty instance from the unmatched file"
scrape | grep '^logmetrics_' | grep -q instance= &&
    fail "a self-metric has the path label"
daemon_stop

# Without the path labels, the state's metrics are other metrics (every
# one had the label): the state is set aside, not read into them.
daemon_start -r "$rules" --state-file "$T/state" "$T/tree/*/bot.log"
grep -q 'written for another rule set .* with no metric in common' "$DERR" ||
    fail "the path labels are not part of the rules' identity"
daemon_stop

# One-shot: the same, file by file.
"$LOGMETRICS" --one-shot -r "$rules" --path-labels "$re" --now 2000000000 \
    "$T/tree/inst-a/bot.log" "$T/tree/inst-b/bot.log" >"$T/oneshot.prom" ||
    fail "one-shot: exit status $?"
promcheck "$T/oneshot.prom"
for i in a b; do
	canon "$T/oneshot.prom" | grep "instance=\"inst-$i\"" >"$T/got"
	python3 "$TOP/tests/oracle.py" --now 2000000000 \
	    --label "instance=inst-$i" "$T/$i.log" >"$T/expected"
	diff -u "$T/expected" "$T/got" | head -n 30
	cmp -s "$T/expected" "$T/got" ||
	    fail "one-shot: instance inst-$i differs from its file's alone"
done

# Backfill: each instance's history ends at its one-shot counts.
"$LOGMETRICS" --one-shot --format openmetrics --step 60s -r "$rules" \
    --path-labels "$re" "$T/tree/inst-a/bot.log" "$T/tree/inst-b/bot.log" \
    >"$T/history.om" || fail "backfill: exit status $?"
python3 - "$T/history.om" "$T/oneshot.prom" <<'PY' || fail "backfill: differs"
import re, sys
def last(path):
    out = {}
    for line in open(path):
        m = re.match(r'^([a-z_]+)\{(.*)\} (\S+)', line)
        if not m or not re.search(r'_(total|bucket|count)$', m.group(1)):
            continue
        labels = ",".join(sorted(re.findall(r'[a-z_]+="[^"]*"', m.group(2))))
        if 'instance="inst-' in labels:
            out[m.group(1) + "{" + labels + "}"] = float(m.group(3))
    return out
h, o = last(sys.argv[1]), last(sys.argv[2])
bad = [k for k in set(h) | set(o) if h.get(k) != o.get(k)]
for k in sorted(bad)[:10]:
    print("backfill %s one-shot %s: %s" % (h.get(k), o.get(k), k))
sys.exit(1 if bad or len(o) < 50 else 0)
PY

# A group that clashes: refused at start, with the place of the clash.
rc=0
"$LOGMETRICS" -r "$rules" --path-labels '/(?<subsystem>[^/]+)/' \
    "$T/tree/*/bot.log" 2>"$T/err" || rc=$?
expect_eq "clash: status" 2 "$rc"
grep -q '^--path-labels: group "subsystem": metric bytelyst_bot_[a-z_]* (.*bytelyst.rules:[0-9]*) has a label of that name$' \
    "$T/err" || fail "clash: $(cat "$T/err")"
