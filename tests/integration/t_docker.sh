# Docker's json-file in one-shot mode: a log of every hazard written as
# the driver writes it (16 KiB pieces, stderr lines among them, rotation
# by size with gzip from .2 on, the oldest deleted), read as
# "docker:FILES" in any order: every metric equals the oracle's over the
# records of the files left (decoded by tests/integration/dockerlog.py),
# and the backfill history is byte for byte that of those records as a
# plain file. Where the rules read no time from a line, the runtime's is
# its time. Lines that are no wrapper are skipped and said.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
dl=$TOP/tests/integration/dockerlog.py
# Lines longer than a piece, so that records are joined; cycles whose
# time is the runtime's.
source_log_long 20000 61
mkdir "$T/d"
python3 "$dl" write "$T/source.log" "$T/d" 2000000 4 >/dev/null
ls "$T/d" >"$T/files"
grep -q 'c-json.log.3.gz' "$T/files" || fail "no gzipped rotation: $(cat "$T/files")"
python3 "$dl" records --timed "$T/d/c-json.log.3.gz" "$T/d/c-json.log.2.gz" \
    "$T/d/c-json.log.1" "$T/d/c-json.log" >"$T/records.log"
[ "$(wc -l <"$T/records.log")" -gt 5000 ] || fail "too few records"

"$LOGMETRICS" --one-shot -r "$rules" "docker:$T/d/c-json.log" \
    "docker:$T/d/c-json.log.1" "docker:$T/d/c-json.log.3.gz" \
    "docker:$T/d/c-json.log.2.gz" >"$T/got.prom" 2>"$T/err" ||
    fail "exit status $?: $(cat "$T/err")"
promcheck "$T/got.prom"
python3 "$TOP/tests/oracle.py" --timed "$T/records.log" >"$T/expected"
canon "$T/got.prom" >"$T/got"
diff -u "$T/expected" "$T/got" | head -n 30
cmp -s "$T/expected" "$T/got" || fail "metrics differ from the records'"
[ "$(grep -c . "$T/got")" -gt 50 ] || fail "only a few samples"
[ ! -s "$T/err" ] || fail "messages on good files: $(cat "$T/err")"

# Backfill: the same history as the records in a plain file, each time
# the rules read none put in.
python3 "$TOP/tests/oracle.py" --fill-times "$T/records.log" >"$T/plain.log"
bf="--one-shot --format openmetrics --step 60s -r $rules"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf "docker:$T/d/c-json.log" "docker:$T/d/c-json.log.1" \
    "docker:$T/d/c-json.log.2.gz" "docker:$T/d/c-json.log.3.gz" \
    >"$T/docker.om" || fail "backfill: exit status $?"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf "$T/plain.log" >"$T/records.om"
cmp "$T/records.om" "$T/docker.om" || fail "backfill: histories differ"
# Rules with no timestamp statement: the runtime's times are enough for a
# container's log, and its history spans them; a plain log is refused.
grep -v '^timestamp ' "$rules" >"$T/notime.rules"
"$LOGMETRICS" --one-shot --format openmetrics --step 60s -r "$T/notime.rules" \
    "docker:$T/d/c-json.log" >"$T/notime.om" 2>"$T/err" ||
    fail "backfill, no timestamp statement: status $?: $(cat "$T/err")"
last=$(tail -n 1 "$T/records.log" | cut -f1)
python3 - "$T/notime.om" "$last" <<'PY' ||
import math, re, sys
from datetime import datetime
om = open(sys.argv[1], "rb").read()
stamps = [int(m) for m in re.findall(rb" ([0-9]+)\n", om)]
last = datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00")).timestamp()
# The last point is at the step boundary that holds the last record.
sys.exit(0 if stamps and max(stamps) == math.ceil(last / 60) * 60 else 1)
PY
    fail "backfill, no timestamp statement: the history does not end at $last"
rc=0
"$LOGMETRICS" --one-shot --format openmetrics --step 60s -r "$T/notime.rules" \
    "$T/plain.log" >/dev/null 2>"$T/err" || rc=$?
expect_eq "backfill of a plain log, no timestamp statement" 2 "$rc"
grep -q "needs log times" "$T/err" || fail "no timestamp: $(cat "$T/err")"

# A line that is no wrapper (a crash cut it) is skipped and said.
head -c 100 "$T/d/c-json.log" >"$T/bad-json.log"
echo >>"$T/bad-json.log"
cat "$T/d/c-json.log" >>"$T/bad-json.log"
"$LOGMETRICS" --one-shot -r "$rules" "docker:$T/bad-json.log" \
    >/dev/null 2>"$T/err" || fail "bad line: exit status $?"
grep -q "bad-json.log: 1 lines not in the runtime's format, skipped" \
    "$T/err" || fail "bad line: $(cat "$T/err")"

# One stream only: standard error's lines are no bot lines, so its
# metrics are those of an empty log; standard output's are all of them.
"$LOGMETRICS" --one-shot -r "$rules" "docker+stdout:$T/d/c-json.log" \
    "docker+stdout:$T/d/c-json.log.1" "docker+stdout:$T/d/c-json.log.3.gz" \
    "docker+stdout:$T/d/c-json.log.2.gz" >"$T/stdout.prom" ||
    fail "docker+stdout: exit status $?"
canon "$T/stdout.prom" >"$T/stdout"
cmp -s "$T/expected" "$T/stdout" || fail "docker+stdout: metrics differ"
"$LOGMETRICS" --one-shot -r "$rules" "docker+stderr:$T/d/c-json.log" \
    "docker+stderr:$T/d/c-json.log.1" >"$T/stderr.prom" ||
    fail "docker+stderr: exit status $?"
: >"$T/empty.log"
"$LOGMETRICS" --one-shot -r "$rules" "$T/empty.log" >"$T/empty.prom"
cmp -s "$T/empty.prom" "$T/stderr.prom" ||
    fail "docker+stderr: not the metrics of an empty log"

# Standard input in Docker's format is for one-shot mode only.
rc=0
"$LOGMETRICS" -r "$rules" "docker:-" </dev/null 2>"$T/err" || rc=$?
expect_eq "follow docker:-: status" 2 "$rc"
grep -q "docker:-: standard input in a container runtime's format" "$T/err" ||
    fail "follow docker:-: $(cat "$T/err")"
