# One-shot mode over the fixtures: every series equals what a JSON parser
# derives (tests/oracle.py), and promtool accepts the exposition.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
fx=$TOP/tests/fixtures
unset NODE_ENV PAPER_TRADING

# compare NAME EXPECTED-FILES -- GIVEN-FILES: the oracle reads the files
# oldest first; logmetrics gets them in any order and sorts them itself.
compare() {
	name=$1
	shift
	exp=""
	while [ "$1" != "--" ]; do exp="$exp $1"; shift; done
	shift
	"$lm" --one-shot -r "$rules" "$@" >"$T/$name.prom" ||
	    fail "$name: exit status $?"
	promcheck "$T/$name.prom"
	# shellcheck disable=SC2086
	python3 "$TOP/tests/oracle.py" $exp >"$T/$name.expected"
	canon "$T/$name.prom" >"$T/$name.got"
	diff -u "$T/$name.expected" "$T/$name.got" ||
	    fail "$name: metrics differ from the oracle's"
	n=$(grep -c . "$T/$name.got")
	[ "$n" -gt 20 ] || fail "$name: only $n samples"
}

compare small "$fx/bot-small.log" -- "$fx/bot-small.log"
compare iso "$fx/bot-iso.log" -- "$fx/bot-iso.log"
compare hazards "$fx/hazards.log" -- "$fx/hazards.log"
diff -u "$fx/hazards.expected" "$T/hazards.got" ||
    fail "hazards: differs from the hand-written expectation"
r=$fx/rotated
compare rotated "$r/bot.log.3.gz" "$r/bot.log.2.gz" "$r/bot.log.1" \
    "$r/bot.log" -- "$r/bot.log" "$r/bot.log.2.gz" "$r/bot.log.1" \
    "$r/bot.log.3.gz"

# Dated rotations with hyphens inside the date (logrotate's dateformat
# -%Y-%m-%d-%H) are rotations of one log, read in date order.
d=$T/dated
mkdir "$d"
cp "$r/bot.log.3.gz" "$d/bot.log-2026-12-05-2300.gz"
cp "$r/bot.log.2.gz" "$d/bot.log-2026-12-06-0500.gz"
cp "$r/bot.log.1" "$d/bot.log-2026-12-06-1700"
cp "$r/bot.log" "$d/bot.log"
compare dated "$d/bot.log-2026-12-05-2300.gz" "$d/bot.log-2026-12-06-0500.gz" \
    "$d/bot.log-2026-12-06-1700" "$d/bot.log" -- "$d/bot.log" \
    "$d/bot.log-2026-12-06-1700" "$d/bot.log-2026-12-05-2300.gz" \
    "$d/bot.log-2026-12-06-0500.gz"
cmp "$T/rotated.got" "$T/dated.got" ||
    fail "dated: the same lines in the same order count otherwise"

# All nine metrics of the bot's guide are there, with their types.
for m in bytelyst_bot_operational_events_total:counter \
    bytelyst_bot_subsystem_duration_seconds:histogram \
    bytelyst_bot_subsystem_last_run_timestamp:gauge \
    bytelyst_bot_subsystem_alive:gauge \
    bytelyst_bot_exchange_api_latency_seconds:histogram \
    bytelyst_bot_capital_invariant_violations_total:counter \
    bytelyst_bot_profile_utilization_percent:gauge \
    bytelyst_bot_reconciliation_mismatches_total:counter \
    bytelyst_bot_reconciliation_missing_items_count:gauge; do
	grep -qx "# TYPE ${m%:*} ${m#*:}" "$T/rotated.prom" ||
	    fail "no '# TYPE ${m%:*} ${m#*:}'"
done

# --now moves the freshness judgement: long after the log, all stalled.
"$lm" --one-shot -r "$rules" --now 2100000000 "$fx/bot-small.log" |
    grep '^bytelyst_bot_subsystem_alive{' >"$T/alive"
[ -s "$T/alive" ] || fail "no subsystem_alive series"
grep -v ' 0$' "$T/alive" && fail "subsystem_alive not 0 long after the log"

# OpenMetrics output ends with # EOF and keeps the counter family names.
"$lm" --one-shot --format openmetrics -r "$rules" "$fx/bot-small.log" \
    >"$T/om"
expect_eq "OpenMetrics ends with # EOF" "# EOF" "$(tail -n 1 "$T/om")"
grep -qx '# TYPE bytelyst_bot_operational_events counter' "$T/om" ||
    fail "OpenMetrics counter family"
