#!/bin/sh
# make check-packaging: the alerting rules and their unit tests, the
# Prometheus configuration examples, the systemd units, the Kubernetes
# DaemonSet (run here on a node's /var/log/pods of our own), and every
# PromQL expression of the dashboard and the alerts against what BINARY
# serves.
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
# With the drop-in of the journal case, which it must load.
mkdir "$T/units/logmetrics.service.d"
cp "$pkg/systemd/journal.conf" "$T/units/logmetrics.service.d/"
(cd "$T/units" && systemd-analyze verify --man=no ./logmetrics.service \
    ./logmetrics@paper.service) >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "systemd-analyze verify"; }
[ ! -s "$T/out" ] || { cat "$T/out"; fail "systemd-analyze verify warns"; }
# Its whole output to a file first: cut short by grep -q, it would leave
# its temporary directories behind.
(cd "$T/units" && SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --man=no \
    ./logmetrics.service) >"$T/debug" 2>&1 || true
grep -q 'DropIn Path: .*/journal.conf$' "$T/debug" ||
    fail "the journal drop-in is not loaded"

echo "== Kubernetes DaemonSet"
python3 "$pkg/tests/daemonset.py" "$pkg/kubernetes" "$T/ds.args" \
    "$T/ds.env" || fail "the DaemonSet"
# Its container's command line, run on a node's /var/log/pods under $T:
# the kubelet's files of the bot's container in each bytelyst pod are
# read, with their namespace, pod and container as labels; another pod's,
# and another container's of a bot's pod, are not.
node=$T/node
mkdir -p "$node/rules.d" "$node/state"
cp "$TOP/rules/bytelyst.rules" "$node/rules.d/"
for p in prod_bytelyst-live-5d8f9c-x2x7q_0a1b2c3d/bot \
    prod_bytelyst-paper-77c4d-h8k2p_4e5f6a7b/bot \
    prod_bytelyst-live-5d8f9c-x2x7q_0a1b2c3d/sidecar \
    prod_other-7f6d5-k9l8m_8c9d0e1f/bot; do
	mkdir -p "$node/pods/$p"
	python3 "$TOP/tests/integration/crilog.py" write \
	    "$TOP/tests/fixtures/bot-small.log" "$node/pods/$p" >/dev/null
done
port=$(free_port)
set --
while IFS= read -r a; do
	case $a in
	--listen=*) a=--listen=127.0.0.1:$port ;;
	*) a=$(printf '%s\n' "$a" | sed -e "s|/var/log/pods|$node/pods|g" \
	    -e "s|/var/lib/logmetrics|$node/state|" \
	    -e "s|/etc/logmetrics/rules.d|$node/rules.d|") ;;
	esac
	set -- "$@" "$a"
done <"$T/ds.args"
# shellcheck disable=SC2046
env -i $(cat "$T/ds.env") "$bin" --from-start "$@" 2>"$T/ds.err" &
ds=$!
track_pid $ds
wait_until 10 curl -sf "http://127.0.0.1:$port/-/ready" ||
    { cat "$T/ds.err"; fail "the DaemonSet's exporter did not get ready"; }
want=$(python3 "$TOP/tests/oracle.py" "$TOP/tests/fixtures/bot-small.log" |
    grep '^bytelyst_bot_operational_events_total{' |
    awk '{ s += $NF } END { print s + 0 }')
# events_of POD: the operational events counted from POD's bot container,
# with the labels the manifest's environment gives.
events_of() {
	curl -sf "http://127.0.0.1:$port/metrics" |
	    grep '^bytelyst_bot_operational_events_total{' |
	    grep -F "namespace=\"prod\",pod=\"$1\",container=\"bot\"" |
	    grep -F 'env="production"' | grep -F 'mode="live"' |
	    awk '{ s += $NF } END { print s + 0 }'
}
events_are() {
	[ "$(events_of "$1")" = "$want" ]
}
[ "$want" -gt 0 ] || fail "the oracle counts no operational event"
for pod in bytelyst-live-5d8f9c-x2x7q bytelyst-paper-77c4d-h8k2p; do
	wait_until 10 events_are "$pod" ||
	    fail "$pod: $(events_of "$pod") operational events, not $want: $(cat "$T/ds.err")"
done
curl -sf "http://127.0.0.1:$port/metrics" >"$T/ds.prom"
! grep -E 'container="sidecar"|pod="other' "$T/ds.prom" >/dev/null ||
    fail "a pod or container not the bot's was read"
stop_pid $ds
forget $ds

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
