# The kubelet's CRI files in one-shot mode: a log of every hazard written
# as containerd writes it (16 KiB "P" pieces before their "F" one, stderr
# lines among them) and rotated as the kubelet rotates it (0.log renamed
# 0.log.DATE-TIME, older rotations gzipped, the oldest deleted), read as
# "cri:FILES" in any order: every metric equals the oracle's over the
# records of the files left (decoded by tests/integration/crilog.py), and
# the backfill history is byte for byte that of those records as a plain
# file.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
cl=$TOP/tests/integration/crilog.py
source_log 20000 71
python3 -c '
import json
for i in range(30):
    print(json.dumps({"level": 40, "time": 1764020763000 + i,
        "severity": "WARNING", "type": "RATE_LIMITED",
        "msg": "long " + "x" * (16384 * (1 + i % 3) + i)}))
' >>"$T/source.log"
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
python3 "$cl" records "$@" >"$T/records.log"
[ "$(wc -l <"$T/records.log")" -gt 5000 ] || fail "too few records"
set --
for f in 0.log $(sort -r "$T/rotations"); do set -- "$@" "cri:$T/d/$f"; done

"$LOGMETRICS" --one-shot -r "$rules" "$@" >"$T/got.prom" 2>"$T/err" ||
    fail "exit status $?: $(cat "$T/err")"
promcheck "$T/got.prom"
python3 "$TOP/tests/oracle.py" "$T/records.log" >"$T/expected"
canon "$T/got.prom" >"$T/got"
diff -u "$T/expected" "$T/got" | head -n 30
cmp -s "$T/expected" "$T/got" || fail "metrics differ from the records'"
[ "$(grep -c . "$T/got")" -gt 50 ] || fail "only a few samples"
[ ! -s "$T/err" ] || fail "messages on good files: $(cat "$T/err")"

bf="--one-shot --format openmetrics --step 60s -r $rules"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf "$@" >"$T/cri.om" || fail "backfill: exit status $?"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf "$T/records.log" >"$T/records.om"
cmp "$T/records.om" "$T/cri.om" || fail "backfill: histories differ"

# A line cut by a crash is skipped and said.
{ head -c 25 "$T/d/0.log"; echo; cat "$T/d/0.log"; } >"$T/bad.log"
"$LOGMETRICS" --one-shot -r "$rules" "cri:$T/bad.log" >/dev/null \
    2>"$T/err" || fail "bad line: exit status $?"
grep -q "bad.log: 1 lines not in the runtime's format, skipped" "$T/err" ||
    fail "bad line: $(cat "$T/err")"
