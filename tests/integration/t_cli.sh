# The command line: exit statuses, --check, --version, --help, bad rules.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules

"$lm" --version | grep -q '^logmetrics [0-9]' || fail "--version"
"$lm" --help | grep -q '^usage: logmetrics' || fail "--help"
"$lm" --check -r "$rules" >"$T/out" || fail "--check on the default rules"
grep -q '^rules OK' "$T/out" || fail "--check says rules OK"
"$lm" --check -r "$TOP/rules" >/dev/null || fail "--check on a directory"

# A path of words alone is warned about at its place, on stderr, and the
# rules are still OK: the shipped rules warn at http.rules' paths only.
"$lm" --check -r "$TOP/rules" 2>"$T/err" >/dev/null
expect_eq "warnings for the shipped rules" \
    "http.rules:req.method http.rules:req.url http.rules:res.statusCode http.rules:req.id" \
    "$(sed -n 's|^.*/\(http.rules\):[0-9]*:[0-9]*: warning: \([^ ]*\) is a path.*|\1:\2|p' "$T/err" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "warning lines for the shipped rules" 4 "$(wc -l <"$T/err")"
printf 'counter c\nrule r\n  match req.method /x/\n  match "a.b" /y/\n  inc c\n' \
    >"$T/dotted.rules"
"$lm" --check -r "$T/dotted.rules" >"$T/out" 2>"$T/err" ||
    fail "--check with a warning"
grep -q '^rules OK' "$T/out" || fail "--check with a warning says rules OK"
expect_eq "--check warning" \
    "$T/dotted.rules:3:9: warning: req.method is a path into nested objects; for one top-level key of that name write \"req.method\"" \
    "$(cat "$T/err")"
printf '%s\n' '{"req":"GET","a.b":"y"}' '{"req":{"method":"x"},"a.b":"y"}' |
    "$lm" --explain -r "$T/dotted.rules" >"$T/explain"
grep -q '^rule r: no match: no field req.method: req is a string, not an object or array$' \
    "$T/explain" || fail "--explain names where a path stopped: $(cat "$T/explain")"
grep -q '^  inc c{} 1$' "$T/explain" ||
    fail "--explain follows a path: $(cat "$T/explain")"

set +e
"$lm" --one-shot >/dev/null 2>&1; expect_eq "no rules" 2 $?
"$lm" --bogus -r "$rules" >/dev/null 2>&1; expect_eq "unknown flag" 2 $?
"$lm" --one-shot -r "$rules" >/dev/null 2>&1; expect_eq "no files" 2 $?
"$lm" --check -r "$T/missing.rules" >/dev/null 2>"$T/err"
expect_eq "missing rules" 2 $?
grep -q "missing.rules" "$T/err" || fail "missing rules file named"
printf 'counter a_total\n  help "x"\nrule r\n  match /x/\n  inc b_total\n' \
    >"$T/bad.rules"
"$lm" --check -r "$T/bad.rules" >/dev/null 2>"$T/err"
expect_eq "bad rules" 2 $?
grep -q "bad.rules:5:" "$T/err" || fail "bad rules: file:line named: $(cat "$T/err")"
"$lm" --one-shot -r "$rules" "$T/nonexistent.log" >"$T/out" 2>"$T/err"
expect_eq "unreadable log" 1 $?
grep -q "nonexistent.log" "$T/err" || fail "unreadable log named"
grep -q '^bytelyst_bot_reconciliation_mismatches_total' "$T/out" ||
    fail "metrics still printed after an unreadable file"
"$lm" --one-shot -r "$rules" --label '1x=y' "$T/x" >/dev/null 2>&1
expect_eq "bad --label" 2 $?
"$lm" --one-shot -r "$rules" --label 'le=y' "$T/x" >/dev/null 2>"$T/err"
expect_eq "--label le, the bucket label" 2 $?
grep -q "'le' is reserved for histogram buckets" "$T/err" ||
    fail "--label le: $(cat "$T/err")"
"$lm" --one-shot -r "$rules" --label 'symbol=y' "$T/x" >/dev/null 2>&1
expect_eq "--label clashing with a metric label" 2 $?
set -e

# --output is written atomically and equals stdout.
printf '%s\n' '{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":2,"missingInDb":1,"missingOnExchange":0,"msg":"reconciliation completed"}' >"$T/a.log"
"$lm" --one-shot -r "$rules" "$T/a.log" >"$T/stdout.prom"
"$lm" --one-shot -r "$rules" -o "$T/file.prom" "$T/a.log"
cmp "$T/stdout.prom" "$T/file.prom" || fail "--output differs from stdout"
ls "$T" | grep -q 'tmp' && fail "temporary file left behind"
grep -q '^bytelyst_bot_reconciliation_mismatches_total{env="[a-z]*",mode="[a-z]*",app="bytelyst-trading-bot-service"} 2$' \
    "$T/file.prom" || fail "mismatches counted: $(grep mismatches "$T/file.prom")"

# Default labels from the environment, and --label over them.
NODE_ENV=production PAPER_TRADING=false "$lm" --one-shot -r "$rules" \
    "$T/a.log" | grep -q 'env="production",mode="live"' ||
    fail "env/mode from the environment"
NODE_ENV=staging "$lm" --one-shot -r "$rules" "$T/a.log" |
    grep -q 'env="development",mode="paper"' || fail "env/mode fallbacks"
"$lm" --one-shot -r "$rules" -L env=production -L region=eu "$T/a.log" |
    grep -q 'env="production",mode="paper",app="bytelyst-trading-bot-service",region="eu"' ||
    fail "--label override and addition"

# --explain says what each rule does with a line.
printf '%s\n' '{"level":30,"time":1764020763412,"component":"scheduler","subsystem":"trading","durationMs":412.7,"outcome":"ok","msg":"subsystem cycle completed"}' |
    "$lm" --explain -r "$rules" >"$T/explain"
grep -q '^rule subsystem_cycle: match' "$T/explain" || fail "explain: match"
grep -q 'observe bytelyst_bot_subsystem_duration_seconds{subsystem="trading"} 0.4127' \
    "$T/explain" || fail "explain: observe: $(cat "$T/explain")"
grep -q 'set bytelyst_bot_subsystem_last_run_timestamp{subsystem="trading"} 1764020763.412' \
    "$T/explain" || fail "explain: set @time"
grep -q '^rule operational_event: no match' "$T/explain" ||
    fail "explain: no match"
