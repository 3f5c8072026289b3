# Past one machine, as packaging/prometheus/agent.yml sets it up: Prometheus
# in agent mode scrapes logmetrics and remote-writes to a receiver (a
# second Prometheus, with --web.enable-remote-write-receiver), which then
# answers queries for the nine metrics with the exporter's instance label.
. "$TOP/tests/integration/lib.sh"
if ! command -v prometheus >/dev/null 2>&1; then
	echo "SKIP: prometheus is not installed (packaging/deps.sh test)"
	exit 0
fi

lm_port=$(free_port)
recv_port=$(free_port)
agent_port=$(free_port)
instance=127.0.0.1:$lm_port
cp "$TOP/tests/fixtures/bot-small.log" "$T/bot.log"

# The bot's environment, as the unit's EnvironmentFile= passes it.
NODE_ENV=production PAPER_TRADING=false \
    "$LOGMETRICS" -r "$TOP/rules/bytelyst.rules" --from-start \
    -l "127.0.0.1:$lm_port" "$T/bot.log" 2>"$T/logmetrics.err" &
track_pid $!
wait_until 10 curl -sf "http://$instance/-/ready" ||
    fail "logmetrics not ready: $(cat "$T/logmetrics.err")"

printf 'global:\n  scrape_interval: 1m\n' >"$T/receiver.yml"
prometheus --config.file="$T/receiver.yml" \
    --storage.tsdb.path="$T/receiver" \
    --web.listen-address="127.0.0.1:$recv_port" \
    --web.enable-remote-write-receiver --log.level=warn \
    2>"$T/receiver.err" &
track_pid $!

# The example itself, pointed at this exporter and this receiver, scraping
# every second.
sed -e "s|bot-1\.example\.internal:5000|$instance|" \
    -e "s|http://metrics\.example\.internal:9090|http://127.0.0.1:$recv_port|" \
    -e 's|scrape_interval: 15s|scrape_interval: 1s|' \
    "$TOP/packaging/prometheus/agent.yml" >"$T/agent.yml"
grep -q "$instance" "$T/agent.yml" || fail "agent.yml: target not replaced"
grep -q "127.0.0.1:$recv_port/api/v1/write" "$T/agent.yml" ||
    fail "agent.yml: remote_write url not replaced"
grep -q 'scrape_interval: 1s' "$T/agent.yml" ||
    fail "agent.yml: scrape_interval not replaced"
prometheus --enable-feature=agent --config.file="$T/agent.yml" \
    --storage.agent.path="$T/agent" \
    --web.listen-address="127.0.0.1:$agent_port" --log.level=warn \
    2>"$T/agent.err" &
track_pid $!

wait_until 20 curl -sf "http://127.0.0.1:$recv_port/-/ready" ||
    fail "receiver not ready: $(cat "$T/receiver.err")"
wait_until 20 curl -sf "http://127.0.0.1:$agent_port/-/ready" ||
    fail "agent not ready: $(cat "$T/agent.err")"

# The nine metrics of the bot's guide (a histogram by its _count), each
# with the exporter's instance and the bot's default labels.
want="bytelyst_bot_capital_invariant_violations_total
bytelyst_bot_exchange_api_latency_seconds_count
bytelyst_bot_operational_events_total
bytelyst_bot_profile_utilization_percent
bytelyst_bot_reconciliation_mismatches_total
bytelyst_bot_reconciliation_missing_items_count
bytelyst_bot_subsystem_alive
bytelyst_bot_subsystem_duration_seconds_count
bytelyst_bot_subsystem_last_run_timestamp"
query="count by (__name__) ({__name__=~\"bytelyst_bot_.*\",job=\"logmetrics\",instance=\"$instance\",env=\"production\",mode=\"live\",app=\"bytelyst-trading-bot-service\"})"

received() {
	curl -sf --data-urlencode "query=$query" \
	    "http://127.0.0.1:$recv_port/api/v1/query" >"$T/answer.json" ||
	    return 1
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
print("\n".join(sorted(s["metric"]["__name__"] for s in r)))
' "$T/answer.json" >"$T/names" || return 1
	for name in $want; do
		grep -qx "$name" "$T/names" || return 1
	done
}
wait_until 45 received || fail "receiver lacks some of the nine metrics for \
$instance; has: $(tr '\n' ' ' <"$T/names" 2>/dev/null) agent log: \
$(tail -n 5 "$T/agent.err")"

# The receiver's copy equals the exporter's for a counter.
curl -sf --data-urlencode \
    "query=bytelyst_bot_reconciliation_mismatches_total{instance=\"$instance\"}" \
    "http://127.0.0.1:$recv_port/api/v1/query" >"$T/value.json"
got=$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["data"]["result"][0]["value"][1])
' "$T/value.json")
direct=$(curl -sf "http://$instance/metrics" |
    sed -n 's/^bytelyst_bot_reconciliation_mismatches_total{.*} //p')
expect_eq "mismatches at the receiver" "$direct" "$got"
