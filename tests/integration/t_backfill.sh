# One-shot --step: the history of a small log, whole, against a hand-written
# expectation (held, late, untimed and boundary lines, series that appear
# later, freshness judged at each step), then every refusal.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS

cat >"$T/r.rules" <<'EOF'
label app = "x"
timestamp time epoch_ms
counter ev_total
  help "Events."
  labels kind
gauge g
  help "A gauge."
  labels k
  series k=a
histogram h
  help "Hist."
  buckets 1 2
gauge last_ts
  help "Last."
  labels s
  series s=one
freshness alive of last_ts
  help "Alive."
  stale_after 90s
rule ev
  match kind /^(?<kind>.*)$/s
  inc ev_total
rule g
  match gv /^(?<v>[0-9.]+)$/
  set g $v k="a"
rule h
  match hv /^(?<v>[0-9.]+)$/
  observe h $v
rule s
  match beat /^yes$/
  set last_ts @time s="one"
EOF

# Boundaries fall on multiples of 60 s: ...020, ...080, ...140, ...200,
# ...260. The first line has no time: it waits for the second's. The
# line at ...059.000 comes after one at ...060.000, so it counts in the
# step of ...080 where the newest line already is; the line at exactly
# ...140 is in the step of ...140.
cat >"$T/bot.log" <<'EOF'
{"kind":"early"}
{"time":1000000005000,"kind":"a"}
{"time":1000000059999,"kind":"a","beat":"yes"}
{"time":1000000060000,"kind":"q\"x\\y","hv":"1.5"}
{"time":1000000060001,"gv":"7"}
{"time":1000000059000,"kind":"late"}
{"kind":"notime"}
{"time":1000000140000,"kind":"a"}
{"time":1000000250000,"hv":"0.5"}
EOF

cat >"$T/expected" <<'EOF'
# HELP ev Events.
# TYPE ev counter
ev_total{kind="a",app="x"} 1 1000000020
ev_total{kind="a",app="x"} 2 1000000080
ev_total{kind="a",app="x"} 3 1000000140
ev_total{kind="a",app="x"} 3 1000000200
ev_total{kind="a",app="x"} 3 1000000260
ev_total{kind="early",app="x"} 1 1000000020
ev_total{kind="early",app="x"} 1 1000000080
ev_total{kind="early",app="x"} 1 1000000140
ev_total{kind="early",app="x"} 1 1000000200
ev_total{kind="early",app="x"} 1 1000000260
ev_total{kind="late",app="x"} 1 1000000080
ev_total{kind="late",app="x"} 1 1000000140
ev_total{kind="late",app="x"} 1 1000000200
ev_total{kind="late",app="x"} 1 1000000260
ev_total{kind="notime",app="x"} 1 1000000080
ev_total{kind="notime",app="x"} 1 1000000140
ev_total{kind="notime",app="x"} 1 1000000200
ev_total{kind="notime",app="x"} 1 1000000260
ev_total{kind="q\"x\\y",app="x"} 1 1000000080
ev_total{kind="q\"x\\y",app="x"} 1 1000000140
ev_total{kind="q\"x\\y",app="x"} 1 1000000200
ev_total{kind="q\"x\\y",app="x"} 1 1000000260
# HELP g A gauge.
# TYPE g gauge
g{k="a",app="x"} 0 1000000020
g{k="a",app="x"} 7 1000000080
g{k="a",app="x"} 7 1000000140
g{k="a",app="x"} 7 1000000200
g{k="a",app="x"} 7 1000000260
# HELP h Hist.
# TYPE h histogram
h_bucket{app="x",le="1"} 0 1000000020
h_bucket{app="x",le="2"} 0 1000000020
h_bucket{app="x",le="+Inf"} 0 1000000020
h_count{app="x"} 0 1000000020
h_sum{app="x"} 0 1000000020
h_bucket{app="x",le="1"} 0 1000000080
h_bucket{app="x",le="2"} 1 1000000080
h_bucket{app="x",le="+Inf"} 1 1000000080
h_count{app="x"} 1 1000000080
h_sum{app="x"} 1.5 1000000080
h_bucket{app="x",le="1"} 0 1000000140
h_bucket{app="x",le="2"} 1 1000000140
h_bucket{app="x",le="+Inf"} 1 1000000140
h_count{app="x"} 1 1000000140
h_sum{app="x"} 1.5 1000000140
h_bucket{app="x",le="1"} 0 1000000200
h_bucket{app="x",le="2"} 1 1000000200
h_bucket{app="x",le="+Inf"} 1 1000000200
h_count{app="x"} 1 1000000200
h_sum{app="x"} 1.5 1000000200
h_bucket{app="x",le="1"} 1 1000000260
h_bucket{app="x",le="2"} 2 1000000260
h_bucket{app="x",le="+Inf"} 2 1000000260
h_count{app="x"} 2 1000000260
h_sum{app="x"} 2 1000000260
# HELP last_ts Last.
# TYPE last_ts gauge
last_ts{s="one",app="x"} 0 1000000020
last_ts{s="one",app="x"} 1000000059.999 1000000080
last_ts{s="one",app="x"} 1000000059.999 1000000140
last_ts{s="one",app="x"} 1000000059.999 1000000200
last_ts{s="one",app="x"} 1000000059.999 1000000260
# HELP alive Alive.
# TYPE alive gauge
alive{s="one",app="x"} 0 1000000020
alive{s="one",app="x"} 1 1000000080
alive{s="one",app="x"} 1 1000000140
alive{s="one",app="x"} 0 1000000200
alive{s="one",app="x"} 0 1000000260
# EOF
EOF

om="--one-shot --format openmetrics"
# shellcheck disable=SC2086
"$lm" $om --step 60s -r "$T/r.rules" "$T/bot.log" >"$T/got" ||
    fail "stdout: exit status $?"
diff -u "$T/expected" "$T/got" || fail "the history differs"
# shellcheck disable=SC2086
"$lm" $om --step 1m -r "$T/r.rules" -o "$T/out.om" "$T/bot.log" ||
    fail "-o: exit status $?"
cmp "$T/expected" "$T/out.om" || fail "-o: the history differs"
ls "$T" | grep -E 'logmetrics-history|\.tmp\.' && fail "temporary files left"

# A step that is not a whole second: boundaries at multiples of 1.5 s.
printf '%s\n' '{"time":1000000005000,"kind":"a"}' \
    '{"time":1000000007900,"kind":"a"}' >"$T/frac.log"
# shellcheck disable=SC2086
"$lm" $om --step 1500ms -r "$T/r.rules" "$T/frac.log" |
    grep '^ev_total' >"$T/frac" || fail "--step 1500ms"
expect_eq "fractional steps" \
    "1 1000000005|1 1000000006.5|2 1000000008" \
    "$(awk '{ print $2, $3 }' "$T/frac" | paste -sd '|' -)"

# refuse STATUS MESSAGE ARGS...: exits with STATUS, says MESSAGE, writes
# no output file.
refuse() {
	status=$1
	msg=$2
	shift 2
	rc=0
	"$lm" "$@" >"$T/out" 2>"$T/err" || rc=$?
	expect_eq "status of $*" "$status" "$rc"
	grep -qF -- "$msg" "$T/err" || {
		cat "$T/err" >&2
		fail "$*: no '$msg'"
	}
	[ -s "$T/out" ] && fail "$*: wrote output"
	return 0
}
# shellcheck disable=SC2086
refuse 2 "--now does not go with --step" $om --step 1m --now 5 \
    -r "$T/r.rules" "$T/bot.log"
grep -v '^timestamp' "$T/r.rules" >"$T/notime.rules"
# shellcheck disable=SC2086
refuse 2 "the rules have no timestamp statement" $om --step 1m \
    -r "$T/notime.rules" "$T/bot.log"
# shellcheck disable=SC2086
refuse 2 "--step needs --format openmetrics" --one-shot --step 1m \
    -r "$T/r.rules" "$T/bot.log"
refuse 2 "go with --one-shot" --step 1m -r "$T/r.rules" "$T/bot.log"
printf '{"kind":"a"}\n{"kind":"b"}\n' >"$T/untimed.log"
# shellcheck disable=SC2086
refuse 1 "no line has a log time" $om --step 1m -r "$T/r.rules" \
    "$T/untimed.log"
printf '%s\n' '{"time":1000000005000,"kind":"a"}' '{"kind":"b"}' \
    '{"time":9000000005000,"kind":"a"}' >"$T/jump.log"
# shellcheck disable=SC2086
refuse 1 "jump.log: line 3: log time 9000000005 is 133333334 steps after" \
    $om --step 1m -r "$T/r.rules" "$T/jump.log"
printf '{"time":1e300,"kind":"a"}\n' >"$T/huge.log"
# shellcheck disable=SC2086
refuse 1 "huge.log: line 1: log time 1e+297 is out of range" \
    $om --step 1m -r "$T/r.rules" "$T/huge.log"
# shellcheck disable=SC2086
refuse 1 "$T/missing/logmetrics-history." $om --step 1m -r "$T/r.rules" \
    -o "$T/missing/out.om" "$T/bot.log"
[ -e "$T/missing" ] && fail "created a directory"

# A file that cannot be read is reported; the others still make the
# history, and the status is 1.
rc=0
# shellcheck disable=SC2086
"$lm" $om --step 1m -r "$T/r.rules" "$T/bot.log" "$T/absent.log" \
    >"$T/got" 2>"$T/err" || rc=$?
expect_eq "status with an unreadable file" 1 "$rc"
grep -q "absent.log" "$T/err" || fail "unreadable file not named"
diff -u "$T/expected" "$T/got" || fail "history with an unreadable file"

# An empty log: every family, no points.
: >"$T/empty.log"
# shellcheck disable=SC2086
"$lm" $om --step 1m -r "$T/r.rules" "$T/empty.log" >"$T/got" ||
    fail "empty log: exit status $?"
grep '^#' "$T/expected" | diff -u - "$T/got" || fail "empty log"
