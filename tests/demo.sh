#!/bin/sh
# make demo: the exporter on a sample bot log with the default rules.
# Serves http://127.0.0.1:${DEMO_PORT:-5000}/metrics until interrupted,
# while a writer appends a few more lines every second.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
port=${DEMO_PORT:-5000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/logmetrics-demo.XXXXXX")
cp "$top/tests/fixtures/bot-small.log" "$dir/bot.log"

echo "== one-shot over the sample log: the nine metrics, a few series each"
"$bin" --one-shot -r "$top/rules/bytelyst.rules" "$dir/bot.log" |
    awk '/^#/ || /_bucket/ { next }
	{ name = $0; sub(/[{ ].*/, "", name) }
	seen[name]++ < 3 { print }'
echo
echo "== follow mode: http://127.0.0.1:$port/metrics (landing page: /)"
echo "== the log is $dir/bot.log; a writer appends to it every second."
echo "== try: curl -s http://127.0.0.1:$port/metrics | grep bytelyst_bot_"
echo "== Ctrl-C stops."
"$bin" -r "$top/rules/bytelyst.rules" --from-start -l ":$port" \
    "$dir/bot.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"; exit 0' INT TERM EXIT
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1))
	ms=$(($(date +%s) * 1000))
	printf '{"level":30,"time":%s,"pid":4242,"hostname":"demo","name":"bytelyst-trading-bot-service","component":"scheduler","subsystem":"trading","durationMs":%s.5,"outcome":"ok","msg":"subsystem cycle completed"}\n' \
	    "$ms" $((i % 900 + 20)) >>"$dir/bot.log"
	printf '{"level":50,"time":%s,"component":"events","severity":"ERROR","type":"ORDER_FAILURE","profileId":"7","symbol":"BTC/USDT","msg":"order rejected by exchange"}\n' \
	    "$ms" >>"$dir/bot.log"
	sleep 1
done
