# SIGHUP reloads the rules: a bad file is reported with file:line:col and
# the old rules keep running; a good one takes over, metrics that survive
# keep their values, and files are not read again.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
port=$(free_port)
mkdir -p "$T/rules" "$T/log"
cp "$TOP/rules/bytelyst.rules" "$T/rules/"
line='{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":2,"missingInDb":1,"missingOnExchange":0,"msg":"reconciliation completed"}'
printf '%s\n' "$line" "$line" >"$T/log/bot.log"
"$lm" -r "$T/rules" --from-start -l "127.0.0.1:$port" "$T/log/bot.log" \
    2>"$T/daemon.err" &
pid=$!
track_pid $pid
u=http://127.0.0.1:$port/metrics
wait_until 10 curl -sf "$u" || fail "not serving"
value() {
	curl -sf "$u" | awk -v m="$1" 'index($0, m) == 1 { print $NF }'
}
wait_until 10 sh -c "curl -sf $u | grep -q '^bytelyst_bot_reconciliation_mismatches_total{.*} 4$'" ||
    fail "first lines: $(value bytelyst_bot_reconciliation_mismatches_total)"

# A bad rules file: reported with its place, the old rules go on.
printf 'counter broken_total\n  help "x"\nrule r\n  match /(/\n  inc broken_total\n' \
    >"$T/rules/zz-bad.rules"
kill -HUP $pid
wait_until 10 grep -q 'zz-bad.rules:4:9: invalid regex' "$T/daemon.err" ||
    fail "bad rules not reported: $(cat "$T/daemon.err")"
# (The file's change may be seen on disk before the signal is: a reload
# each, both counted.)
wait_until 10 sh -c "curl -sf $u | grep -q '^logmetrics_rule_reloads_total{result=\"failure\"} [12]$'" ||
    fail "failed reload not counted"
expect_eq "last reload" 0 "$(value logmetrics_rules_last_reload_successful)"
printf '%s\n' "$line" >>"$T/log/bot.log"
wait_until 10 sh -c "curl -sf $u | grep -q '^bytelyst_bot_reconciliation_mismatches_total{.*} 6$'" ||
    fail "old rules stopped counting"
kill -0 $pid || fail "the daemon died on bad rules"

# A good new file: a new metric, the old values kept, nothing read again.
cat >"$T/rules/zz-bad.rules" <<'R'
counter node_warnings_total
  help "Warnings of the Node runtime."
  labels kind
rule node_warning
  match /^\(node:\d+\) (?<kind>\w+Warning)/
  inc node_warnings_total
R
kill -HUP $pid
wait_until 10 sh -c "curl -sf $u | grep -q '^logmetrics_rule_reloads_total{result=\"success\"} [12]$'" ||
    fail "good reload not counted: $(cat "$T/daemon.err")"
expect_eq "last reload" 1 "$(value logmetrics_rules_last_reload_successful)"
curl -sf "$u" >"$T/after.prom"
grep -q '^bytelyst_bot_reconciliation_mismatches_total{.*} 6$' "$T/after.prom" ||
    fail "values lost on reload: $(grep mismatches_total "$T/after.prom")"
grep -q '^# TYPE node_warnings_total counter' "$T/after.prom" ||
    fail "new metric missing"
printf '(node:4242) DeprecationWarning: Buffer() is deprecated\n' \
    >>"$T/log/bot.log"
wait_until 10 sh -c "curl -sf $u | grep -q '^node_warnings_total{kind=\"DeprecationWarning\",env=\"development\",mode=\"paper\",app=\"bytelyst-trading-bot-service\"} 1$'" ||
    fail "new rule not applied: $(curl -sf "$u" | grep node_warnings)"
grep -q '^bytelyst_bot_reconciliation_mismatches_total{.*} 6$' "$T/after.prom" ||
    fail "file read again after reload"
