# The kubelet's CRI files in one-shot mode: a log of every hazard written
# as containerd writes it (16 KiB "P" pieces before their "F" one, stderr
# lines among them) and rotated as the kubelet rotates it (0.log renamed
# 0.log.DATE-TIME, older rotations gzipped, the oldest deleted), read as
# "cri:FILES" in any order: every metric equals the oracle's over the
# records of the files left (decoded by tests/integration/crilog.py), and
# the backfill history is byte for byte that of those records as a plain
# file. Where the rules read no time from a line, the runtime's is its
# time.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
cl=$TOP/tests/integration/crilog.py
source_log_long 20000 71
mkdir "$T/d"
python3 "$cl" write "$T/source.log" "$T/d" 2000000 4 >/dev/null
(cd "$T/d" && ls 0.log.*) >"$T/rotations"
[ "$(wc -l <"$T/rotations")" -eq 3 ] || fail "rotations: $(cat "$T/rotations")"
grep -q '^0.log.20261206-[0-9]*.gz$' "$T/rotations" ||
    fail "no gzipped rotation: $(cat "$T/rotations")"
# Oldest first, by the kubelet's names.
set --
for f in $(sort "$T/rotations"); do set -- "$@" "$T/d/$f"; done
set -- "$@" "$T/d/0.log"
python3 "$cl" records --timed "$@" >"$T/records.log"
[ "$(wc -l <"$T/records.log")" -gt 5000 ] || fail "too few records"
set --
for f in 0.log $(sort -r "$T/rotations"); do set -- "$@" "cri:$T/d/$f"; done

"$LOGMETRICS" --one-shot -r "$rules" "$@" >"$T/got.prom" 2>"$T/err" ||
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
"$LOGMETRICS" $bf "$@" >"$T/cri.om" || fail "backfill: exit status $?"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf "$T/plain.log" >"$T/records.om"
cmp "$T/records.om" "$T/cri.om" || fail "backfill: histories differ"

# A line cut by a crash is skipped and said.
{ head -c 25 "$T/d/0.log"; echo; cat "$T/d/0.log"; } >"$T/bad.log"
"$LOGMETRICS" --one-shot -r "$rules" "cri:$T/bad.log" >/dev/null \
    2>"$T/err" || fail "bad line: exit status $?"
grep -q "bad.log: 1 lines not in the runtime's format, skipped" "$T/err" ||
    fail "bad line: $(cat "$T/err")"
