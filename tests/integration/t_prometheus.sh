# A real Prometheus on 127.0.0.1 scrapes the exporter every second: the
# target is up and the nine metrics of the bot's guide are there.
. "$TOP/tests/integration/lib.sh"
command -v prometheus >/dev/null || fail "prometheus is not installed (packaging/deps.sh test installs it)"
lm=$LOGMETRICS
port=$(free_port)
pport=$(free_port)
mkdir -p "$T/log" "$T/data"
cp "$TOP/tests/fixtures/bot-small.log" "$T/log/bot.log"
"$lm" -r "$TOP/rules/bytelyst.rules" --from-start -l "127.0.0.1:$port" \
    "$T/log/bot.log" 2>"$T/daemon.err" &
track_pid $!
cat >"$T/prometheus.yml" <<Y
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: bytelyst
    static_configs:
      - targets: ['127.0.0.1:$port']
Y
prometheus --config.file="$T/prometheus.yml" \
    --web.listen-address="127.0.0.1:$pport" \
    --storage.tsdb.path="$T/data" >"$T/prometheus.log" 2>&1 &
track_pid $!
q() {
	curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"
}
wait_until 30 sh -c "curl -sf 'http://127.0.0.1:$pport/api/v1/query?query=up' | grep -q '\"value\":\[[0-9.]*,\"1\"\]'" ||
    fail "up is not 1: $(q up) $(tail -n 5 "$T/prometheus.log")"
q 'count by (__name__) ({__name__=~"bytelyst_bot_.+", app="bytelyst-trading-bot-service"})' >"$T/names.json"
for m in bytelyst_bot_operational_events_total \
    bytelyst_bot_subsystem_duration_seconds_bucket \
    bytelyst_bot_subsystem_last_run_timestamp bytelyst_bot_subsystem_alive \
    bytelyst_bot_exchange_api_latency_seconds_bucket \
    bytelyst_bot_capital_invariant_violations_total \
    bytelyst_bot_profile_utilization_percent \
    bytelyst_bot_reconciliation_mismatches_total \
    bytelyst_bot_reconciliation_missing_items_count; do
	grep -q "\"__name__\":\"$m\"" "$T/names.json" ||
	    fail "$m not in Prometheus: $(cat "$T/names.json")"
done
