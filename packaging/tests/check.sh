#!/bin/sh
# make check-packaging: the alerting rules and their unit tests, the
# Prometheus configuration examples, the systemd units, and every PromQL
# expression of the dashboard and the alerts against what BINARY serves.
# Usage: packaging/tests/check.sh BINARY
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
bin=$1
case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/logmetrics-packaging.XXXXXX")
. "$TOP/tests/integration/lib.sh"
trap 'cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
pkg=$TOP/packaging

echo "== promtool check rules, promtool test rules"
promtool check rules "$pkg/prometheus/logmetrics-alerts.yml" >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "promtool check rules"; }
promtool test rules "$pkg/prometheus/logmetrics-alerts.test.yml" >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "promtool test rules"; }
# Every alert has a test.
sed -n 's/^ *- alert: *//p' "$pkg/prometheus/logmetrics-alerts.yml" |
while read -r a; do
	grep -q "alertname: $a\$" "$pkg/prometheus/logmetrics-alerts.test.yml" ||
	    fail "alert $a has no unit test"
done

echo "== promtool check config"
for c in prometheus.yml agent.yml; do
	promtool check config "$pkg/prometheus/$c" >"$T/out" 2>&1 ||
	    { cat "$T/out"; fail "promtool check config $c"; }
done

echo "== systemd-analyze verify"
# The units name the installed binary; check them against this one.
mkdir "$T/units"
for u in logmetrics.service logmetrics@.service; do
	sed "s|^ExecStart=/usr/bin/logmetrics |ExecStart=$bin |" \
	    "$pkg/systemd/$u" >"$T/units/$u"
done
cp "$T/units/logmetrics@.service" "$T/units/logmetrics@paper.service"
(cd "$T/units" && systemd-analyze verify --man=no ./logmetrics.service \
    ./logmetrics@paper.service) >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "systemd-analyze verify"; }
[ ! -s "$T/out" ] || { cat "$T/out"; fail "systemd-analyze verify warns"; }

echo "== dashboard and alert expressions"
cp "$TOP/tests/fixtures/bot-small.log" "$T/bot.log"
port=$(free_port)
"$bin" -r "$TOP/rules/bytelyst.rules" --from-start -l "127.0.0.1:$port" \
    "$T/bot.log" 2>"$T/daemon.err" &
track_pid $!
wait_until 10 curl -sf "http://127.0.0.1:$port/-/ready" ||
    { cat "$T/daemon.err"; fail "logmetrics did not get ready"; }
curl -sf "http://127.0.0.1:$port/metrics" >"$T/metrics" ||
    fail "GET /metrics"
# What the exporter serves: each family, with a histogram's series.
awk '$1 == "#" && $2 == "TYPE" {
	print $3
	if ($4 == "histogram" || $4 == "summary") { print $3 "_sum"; print $3 "_count" }
	if ($4 == "histogram") print $3 "_bucket"
}' "$T/metrics" >"$T/served"
grep -q '^bytelyst_bot_subsystem_alive$' "$T/served" ||
    fail "the exporter serves no bytelyst_bot_subsystem_alive"
# up is Prometheus's own, for the exporter-down alert.
python3 "$pkg/tests/promql-names.py" --served "$T/served" --allow up \
    --work "$T" --dashboard "$pkg/grafana/logmetrics.json" \
    --alerts "$pkg/prometheus/logmetrics-alerts.yml" ||
    fail "dashboard or alert expressions"
echo "packaging checks passed"
