# Globs before the last part: "**" over a tree of instance directories
# that appear (some a day directory deeper), are written at a high rate,
# rotate, move in from elsewhere, move out (hidden) and vanish; every
# count equals the oracle's over the lines written. Then "*" in a
# directory part with --max-watched-dirs reached: the directories beyond
# are left out, counted and logged once, and the rest is followed.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
source_log 60000 41
mkdir "$T/tree" "$T/outside"

daemon_start -r "$rules" "$T/tree/**/bot.log"
python3 "$TOP/tests/integration/treechurn.py" "$T/source.log" "$T/tree" \
    "$T/outside" "http://127.0.0.1:$PORT/metrics" >"$T/written" ||
    fail "the writer failed: $(tail -n 3 "$T/written")"
ORACLE_FILTER=$COUNTS expect_oracle \
    "tree churn" "$T/source.log"
echo "tree churn: $(cat "$T/written"); every count equals the oracle's"
scrape_has '^logmetrics_directories_left_out 0$' ||
    fail "directories left out under the default cap"
n=$(scrape | sed -n 's/^logmetrics_watched_directories //p')
[ "$n" -ge 5 ] || fail "only $n directories watched"
[ -d "$T/tree/.inst-0" ] || fail "no instance moved out"
scrape | grep -q 'file="[^"]*/\.inst-' && fail "a hidden directory is followed"
daemon_stop

# The cap: tree2 and the first instance directory are watched, the rest not.
mkdir "$T/tree2"
for d in a b c d e; do
	mkdir "$T/tree2/$d"
	: >"$T/tree2/$d/bot.log"
done
daemon_start -r "$rules" --max-watched-dirs 2 "$T/tree2/*/bot.log"
head -n 100 "$T/source.log" >>"$T/tree2/a/bot.log"
head -n 100 "$T/source.log" >>"$T/tree2/c/bot.log"
wait_until 10 scrape_has '^logmetrics_lines_read_total{file="[^"]*/tree2/a/bot.log"} 100$' ||
    fail "cap: the file under the cap is not read"
scrape_has '^logmetrics_directories_left_out 4$' ||
    fail "cap: $(scrape | grep directories)"
scrape | grep -q 'tree2/c/bot.log' && fail "cap: a directory beyond it is read"
sleep 2 # more checks: the warning stays one
expect_eq "cap: warnings" 1 "$(grep -c 'more directories to watch than --max-watched-dirs (2): 4 left out' "$DERR")"
daemon_stop
