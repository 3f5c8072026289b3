# Limits: a flood of label values, over-long lines and label values, and a
# pathological regex on a hostile line: counted and survived, never fatal.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
gen=$TOP/build/genlog

# 200,000 lines with up to 100,000 distinct symbols: the event counter
# stops at --max-series series, says so once, and the rest still counts.
"$gen" -n 200000 -s 3 --symbols 100000 >"$T/flood.log"
"$lm" --one-shot -r "$rules" --max-series 500 "$T/flood.log" \
    >"$T/flood.prom" 2>"$T/flood.err" || fail "flood: exit status $?"
n=$(grep -c '^bytelyst_bot_operational_events_total{' "$T/flood.prom")
expect_eq "event series capped" 500 "$n"
grep -q 'bytelyst_bot_operational_events_total: [0-9]* updates dropped: more than 500 series' \
    "$T/flood.err" || fail "no word of the dropped updates: $(cat "$T/flood.err")"
expect_eq "one warning per metric" 1 "$(grep -c 'operational_events_total' "$T/flood.err")"
grep -q '^bytelyst_bot_subsystem_duration_seconds_count{subsystem="trading"' \
    "$T/flood.prom" || fail "other metrics lost in the flood"
promcheck "$T/flood.prom"

# Over-long lines are skipped whole; the line after one counts.
{
	printf '{"component":"reconciliation","mismatches":1,"msg":"'
	head -c 5000 /dev/zero | tr '\0' 'x'
	printf '"}\n'
	printf '%s\n' '{"component":"reconciliation","mismatches":2}'
	printf '{"component":"reconciliation","mismatches":4,"x":"'
	head -c 3000 /dev/zero | tr '\0' 'y'
} >"$T/long.log"
"$lm" --one-shot -r "$rules" --max-line-bytes 1000 "$T/long.log" \
    >"$T/long.prom" 2>"$T/long.err" || fail "long lines: exit status $?"
grep -q '^bytelyst_bot_reconciliation_mismatches_total{.*} 2$' "$T/long.prom" ||
    fail "long lines: $(grep mismatches_total "$T/long.prom")"
grep -q '2 lines longer than 1000 bytes skipped' "$T/long.err" ||
    fail "long lines not reported: $(cat "$T/long.err")"

# A label value over --max-label-bytes is dropped and counted.
printf '%s\n' '{"severity":"ERROR","type":"ORDER_FAILURE","symbol":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}' \
    '{"severity":"ERROR","type":"ORDER_FAILURE","symbol":"BTC"}' >"$T/label.log"
"$lm" --one-shot -r "$rules" --max-label-bytes 32 "$T/label.log" \
    >"$T/label.prom" 2>"$T/label.err"
expect_eq "events kept" 1 "$(grep -c '^bytelyst_bot_operational_events_total{' "$T/label.prom")"
grep -q 'a label value over 32 bytes' "$T/label.err" || fail "label cap not reported"

# Catastrophic backtracking costs bounded time and is counted.
cat >"$T/evil.rules" <<'R'
counter evil_total
  help "Lines the evil pattern matched."
rule evil
  match /^(a|aa)+$/
  inc evil_total
R
python3 -c 'import sys; [sys.stdout.write("a" * 40000 + "b\n") for _ in range(20)]' \
    >"$T/evil.log"
start=$(date +%s)
"$lm" --one-shot -r "$T/evil.rules" "$T/evil.log" >"$T/evil.prom" ||
    fail "evil: exit status $?"
[ $(($(date +%s) - start)) -lt 20 ] || fail "the hostile lines took too long"
grep -q '^evil_total 0$' "$T/evil.prom" || fail "evil: $(cat "$T/evil.prom")"

# Memory stays flat under a flood of distinct label values: 10,000,000
# lines with up to 10,000,000 symbols peak at the RSS of 1,000,000 of them.
# Peak RSS means little under the sanitizers: the plain build only.
case "$lm" in
*-san) exit 0 ;;
esac
[ -x /usr/bin/time ] || fail "GNU time is missing (packaging/deps.sh test installs it)"
rss() {
	"$gen" -n "$1" -s 9 --symbols 10000000 |
	    /usr/bin/time -f '%M' -o "$T/rss.$1" \
	    "$lm" --one-shot -r "$rules" /dev/stdin >/dev/null 2>"$T/rss.err.$1" ||
	    fail "flood of $1 lines: $(cat "$T/rss.err.$1")"
	cat "$T/rss.$1"
}
small=$(rss 1000000)
big=$(rss 10000000)
echo "peak RSS: 1M lines $small KiB, 10M lines $big KiB"
[ "$big" -le $((small + small / 20)) ] ||
    fail "memory grew with lines: $small KiB for 1M, $big KiB for 10M"
