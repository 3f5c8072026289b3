# logmetrics --test: a passing file, a failing one whose report is
# compared whole, and one with errors; the exit status of each.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
cp "$TOP/rules/http.rules" "$T/"
mkdir -p "$T/fx"
cp "$TOP/tests/fixtures/pino-http.log" "$T/fx/"
req='{"level":30,"time":1764020763412,"req":{"id":1,"method":"GET","url":"/orders/42?method=PUT","headers":{"method":"DELETE"}},"res":{"statusCode":200},"responseTime":3,"msg":"request completed"}'

cat >"$T/pass.test" <<EOT
# What http.rules makes of pino-http's lines.
rules http.rules

case one request, under its route
  line $req
  expect http_requests_total{method="GET",path="/orders/:id",code="200"} 1
  expect http_request_duration_seconds_bucket{method="GET",path="/orders/:id",le="0.005"} 1
  expect http_request_duration_seconds_sum{method="GET",path="/orders/:id"} 0.003

case the whole fixture
  lines fx/pino-http.log
  expect http_requests_total{method="GET",path="/orders/:id",code="200"} 112
  expect http_requests_total{method="PUT",path="/boom/:id",code="500"} 30
EOT
"$lm" --test "$T/pass.test" >"$T/out" 2>"$T/err" || fail "pass.test: status $?: $(cat "$T/out")"
expect_eq "pass.test report" "2 passed, 0 failed" "$(cat "$T/out")"
expect_eq "pass.test stderr" "" "$(cat "$T/err")"

cat >"$T/fail.test" <<EOT
rules http.rules

case counts
  line $req
  line $req
  expect http_requests_total{method="GET",path="/orders/:id",code="200"} 1
  expect http_requests_total{method="GET",path="/orders/42",code="200"} 2
  expect http_request_duration_seconds_count{method="POST"} 1
  expect http_requests_missing_total 1

case holds
  line $req
  expect http_requests_total{code="200",path="/orders/:id",method="GET"} 1
EOT
set +e
"$lm" --test "$T/fail.test" >"$T/out" 2>&1
rc=$?
set -e
expect_eq "fail.test status" 1 "$rc"
pad=$(printf '%*s' "$(printf '%s' "$T/fail.test:6:" | wc -c)" '')
cat >"$T/want" <<EOT
FAIL $T/fail.test:3: case counts
  $T/fail.test:6: expected http_requests_total{method="GET",path="/orders/:id",code="200"} 1
  $pad  got      http_requests_total{method="GET",path="/orders/:id",code="200"} 2
  $T/fail.test:7: expected http_requests_total{method="GET",path="/orders/42",code="200"} 2
  $pad  nearest  http_requests_total{method="GET",path="/orders/:id",code="200"} 2
  $T/fail.test:8: expected http_request_duration_seconds_count{method="POST"} 1
  $pad  nearest  http_request_duration_seconds_count{method="GET",path="/orders/:id"} 2
  $T/fail.test:9: expected http_requests_missing_total 1
  $pad  no series of http_requests_missing_total
1 passed, 1 failed
EOT
diff -u "$T/want" "$T/out" || fail "fail.test: the report differs"

printf 'rules http.rules\ncase c\n  expect http_requests_total{method="GET" 1\n  now noon\n' \
    >"$T/syntax.test"
set +e
"$lm" --test "$T/syntax.test" "$T/pass.test" >"$T/out" 2>&1
rc=$?
set -e
expect_eq "syntax.test status" 2 "$rc"
cat >"$T/want" <<EOT
$T/syntax.test:3:43: expected ',' or '}'
$T/syntax.test:4:7: expected a time: Unix seconds or RFC 3339 (2025-11-24T21:46:03Z)
$T/syntax.test:2:1: case 'c' expects nothing: add an expect line
2 passed, 0 failed
EOT
diff -u "$T/want" "$T/out" || fail "syntax.test: the report differs"

set +e
"$lm" --test >/dev/null 2>&1; expect_eq "--test without a file" 2 $?
"$lm" --test -r http.rules "$T/pass.test" >/dev/null 2>&1
expect_eq "--test with -r" 2 $?
"$lm" --test "$T/nonexistent.test" >"$T/out" 2>&1
expect_eq "--test on a missing file" 2 $?
set -e
grep -q "nonexistent.test: No such file or directory" "$T/out" ||
    fail "missing test file not named: $(cat "$T/out")"

# The shipped rule sets' own tests hold.
"$lm" --test "$TOP"/rules/*.test >"$T/out" 2>&1 ||
    fail "the shipped rules' tests: $(cat "$T/out")"
grep -q '^[1-9][0-9]* passed, 0 failed$' "$T/out" ||
    fail "the shipped rules' tests: $(cat "$T/out")"
