# Rules reloaded without a signal: a directory laid out as Kubernetes
# mounts a ConfigMap (files linked through a "..data" link that an
# update re-points at once) is swapped while lines are written: no line
# is lost or counted twice across the reload, values are kept, and the
# new rule counts from the swap. POST /-/reload with --enable-reload:
# 200 for good rules, 500 with the errors at their places for bad ones
# (the rules in use go on), 405 for GET; 404 without the flag.
. "$TOP/tests/integration/lib.sh"
cm=$T/cm
mkdir -p "$cm/..2026_12_06_a" "$T/log"
cp "$TOP/rules/bytelyst.rules" "$cm/..2026_12_06_a/"
ln -s ..2026_12_06_a "$cm/..data"
ln -s ..data/bytelyst.rules "$cm/bytelyst.rules"
rec='{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":2,"missingInDb":1,"missingOnExchange":0,"msg":"reconciliation completed"}'
: >"$T/log/bot.log"
daemon_start -r "$cm" --enable-reload --from-start "$T/log/bot.log"
mism() { sample_sum bytelyst_bot_reconciliation_mismatches_total; }

# Lines written all along, the rules swapped halfway.
(
	i=0
	while [ $i -lt 300 ]; do
		printf '%s\n' "$rec" >>"$T/log/bot.log"
		i=$((i + 1))
		[ $((i % 10)) -eq 0 ] && sleep 0.02
	done
	touch "$T/written"
) &
track_pid $!
sleep 0.2
mkdir "$cm/..2026_12_06_b"
cp "$TOP/rules/bytelyst.rules" "$cm/..2026_12_06_b/"
cat >>"$cm/..2026_12_06_b/bytelyst.rules" <<'R'

counter node_warnings_total
  help "Warnings of the Node runtime."
  labels kind
rule node_warning
  match /^\(node:\d+\) (?<kind>\w+Warning)/
  inc node_warnings_total
R
ln -s ..2026_12_06_b "$cm/..data.tmp"
mv -T "$cm/..data.tmp" "$cm/..data"
reloaded() { scrape_has '^logmetrics_rule_reloads_total{result="success"} 1$'; }
wait_until 10 reloaded || fail "the swap is not seen: $(tail -n 5 "$DERR")"
grep -q 'rules reloaded (the rules changed on disk): 10 metrics, 9 rules' "$DERR" ||
    fail "the reload is not said: $(tail -n 5 "$DERR")"
wait_until 20 test -e "$T/written" || fail "the writer did not end"
all() { [ "$(mism)" = 600 ]; }
wait_until 10 all || fail "mismatches: $(mism), not 600 (2 for each of 300 lines)"
sleep 0.5
expect_eq "mismatches, nothing counted twice" 600 "$(mism)"

# The new rule counts what comes after.
for i in 1 2 3; do
	printf '(node:4242) DeprecationWarning: Buffer() is deprecated\n' \
	    >>"$T/log/bot.log"
done
warned() { [ "$(sample_sum node_warnings_total)" = 3 ]; }
wait_until 10 warned || fail "the new rule: $(sample_sum node_warnings_total)"

# POST /-/reload: good rules 200, bad ones 500 with their errors.
code() { # METHOD: the status, the body in $T/body
	curl -s -o "$T/body" -w '%{http_code}' -X "$1" \
	    "http://127.0.0.1:$PORT/-/reload"
}
expect_eq "POST /-/reload" 200 "$(code POST)"
expect_eq "its body" OK "$(cat "$T/body")"
expect_eq "PUT /-/reload" 200 "$(code PUT)"
expect_eq "GET /-/reload" 405 "$(code GET)"
printf 'counter x_total\nrule r\n  match /(/\n  inc x_total\n' \
    >"$cm/..2026_12_06_b/zz.rules"
ln -s ..data/zz.rules "$cm/zz.rules"
expect_eq "POST /-/reload, bad rules" 500 "$(code POST)"
grep -q 'zz.rules:3:9: invalid regex' "$T/body" ||
    fail "the errors are not said: $(cat "$T/body")"
printf '(node:4242) DeprecationWarning: again\n' >>"$T/log/bot.log"
warned4() { [ "$(sample_sum node_warnings_total)" = 4 ]; }
wait_until 10 warned4 || fail "the rules in use stopped: $(sample_sum node_warnings_total)"
scrape_has '^logmetrics_rules_last_reload_successful 0$' ||
    fail "the failed reload is not said"
daemon_stop

# Without --enable-reload the path is not there.
: >"$DERR"
daemon_start -r "$TOP/rules/bytelyst.rules" "$T/log/bot.log"
expect_eq "POST /-/reload without --enable-reload" 404 "$(code POST)"
daemon_stop
