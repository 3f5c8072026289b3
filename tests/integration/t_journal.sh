# The systemd journal in one-shot mode: real journal files, written by
# systemd-journal-remote from the bot's log in two runs (the second
# appended), with another unit's entries among the bot's, MESSAGE fields
# in binary form where a line is not text, and entries without a MESSAGE
# (tests/integration/journallog.py). Read as 'journal:MATCHES' with
# --journal-dir: every metric equals the oracle's over the bot's records
# (each entry's time standing in where a line has none); the backfill
# history is byte for byte that of the same records in a plain log; bad
# matches are refused at start with their column.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
jl=$TOP/tests/integration/journallog.py
source_log_long 12000 43
head -n 6000 "$T/source.log" >"$T/a.log"
tail -n +6001 "$T/source.log" >"$T/b.log"
mkdir "$T/j"
set -- $(python3 "$jl" write "$T/a.log" "$T/j/bot.journal" "$T/ra")
n=$1 nomsg=$2
set -- $(python3 "$jl" write "$T/b.log" "$T/j/bot.journal" "$T/rb")
n=$((n + $1)) nomsg=$((nomsg + $2))
expect_eq "lines written" "$(wc -l <"$T/source.log")" "$n"
[ "$nomsg" -gt 0 ] || fail "no entry without a MESSAGE"
cat "$T/ra" "$T/rb" >"$T/records.log"
python3 "$TOP/tests/oracle.py" --timed "$T/records.log" >"$T/expected"

# events FILE: the operational events an exposition counts.
events() {
	awk '/^bytelyst_bot_operational_events_total[{ ]/ { n += $NF }
	    END { print n + 0 }' "$1"
}

# one_shot NAME ARG...: one-shot over the test's journal, canonical.
one_shot() {
	_name=$1
	shift
	"$LOGMETRICS" --one-shot -r "$rules" --journal-dir "$T/j" "$@" \
	    >"$T/$_name.prom" 2>"$T/$_name.err" ||
	    fail "$_name: exit status $?: $(cat "$T/$_name.err")"
	promcheck "$T/$_name.prom"
	canon "$T/$_name.prom" >"$T/$_name"
}

one_shot unit 'journal:_SYSTEMD_UNIT=bytelyst.service'
diff -u "$T/expected" "$T/unit" | head -n 30
cmp -s "$T/expected" "$T/unit" || fail "unit: metrics differ from the oracle's"
[ "$(grep -c . "$T/unit")" -gt 50 ] || fail "only a few samples"
expect_eq "entries without a MESSAGE" \
    "logmetrics: warn: journal:_SYSTEMD_UNIT=bytelyst.service: $nomsg entries without a MESSAGE, skipped" \
    "$(cat "$T/unit.err")"
# Two fields: both must hold.
one_shot both 'journal:_SYSTEMD_UNIT=bytelyst.service,SYSLOG_IDENTIFIER=bot'
cmp -s "$T/expected" "$T/both" || fail "two matches: metrics differ"
# No entry matches: the metrics of an empty log.
one_shot none 'journal:_SYSTEMD_UNIT=bytelyst.service,SYSLOG_IDENTIFIER=other'
: >"$T/empty.log"
"$LOGMETRICS" --one-shot -r "$rules" "$T/empty.log" >"$T/empty.prom"
canon "$T/empty.prom" >"$T/empty"
cmp -s "$T/empty" "$T/none" || fail "no match: not the metrics of nothing"
# Either value of one field: the other unit's entries count too.
one_shot either \
    'journal:_SYSTEMD_UNIT=other.service,_SYSTEMD_UNIT=bytelyst.service'
[ "$(events "$T/either.prom")" -gt "$(events "$T/unit.prom")" ] ||
    fail "either unit: no more events than the bot's alone"

# Entries over --max-line-bytes are skipped and said.
one_shot cap --max-line-bytes 20000 'journal:_SYSTEMD_UNIT=bytelyst.service'
python3 "$TOP/tests/oracle.py" --timed --max-line 20000 "$T/records.log" \
    >"$T/cap.expected"
cmp -s "$T/cap.expected" "$T/cap" || fail "cap: metrics differ"
grep -q "entries longer than 20000 bytes skipped" "$T/cap.err" ||
    fail "cap: $(cat "$T/cap.err")"

# Backfill: the history of the same records in a plain log, each time
# the rules read none put in; and without a timestamp statement.
python3 "$TOP/tests/oracle.py" --fill-times "$T/records.log" >"$T/plain.log"
bf="--one-shot --format openmetrics --step 60s"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf -r "$rules" --journal-dir "$T/j" \
    'journal:_SYSTEMD_UNIT=bytelyst.service' >"$T/journal.om" 2>/dev/null ||
    fail "backfill: exit status $?"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf -r "$rules" "$T/plain.log" >"$T/plain.om"
cmp "$T/plain.om" "$T/journal.om" || fail "backfill: histories differ"
grep -v '^timestamp ' "$rules" >"$T/notime.rules"
# shellcheck disable=SC2086
"$LOGMETRICS" $bf -r "$T/notime.rules" --journal-dir "$T/j" \
    'journal:SYSLOG_IDENTIFIER=bot' >/dev/null 2>"$T/err" ||
    fail "backfill without a timestamp statement: $(cat "$T/err")"

# Bad matches: refused at start, with their column.
for bad in 'journal:_SYSTEMD_UNIT|22|expected FIELD=VALUE' \
    "journal:unit=x|9|'unit' is not a journal field name" \
    'journal:A=1,|13|expected FIELD=VALUE' \
    'journal:A=x\y|12|written before'; do
	arg=${bad%%|*}
	rest=${bad#*|}
	rc=0
	"$LOGMETRICS" --one-shot -r "$rules" "$arg" >/dev/null 2>"$T/err" ||
	    rc=$?
	expect_eq "$arg: status" 2 "$rc"
	grep -F "logmetrics: $arg:${rest%%|*}: " "$T/err" |
	    grep -qF "${rest#*|}" || fail "$arg: $(cat "$T/err")"
done
rc=0
"$LOGMETRICS" --one-shot -r "$rules" --journal-dir "$T/nowhere" \
    'journal:' >/dev/null 2>"$T/err" || rc=$?
expect_eq "missing directory: status" 1 "$rc"
grep -q "opening the journal in $T/nowhere" "$T/err" ||
    fail "missing directory: $(cat "$T/err")"
echo "$n lines written to the journal, $nomsg entries without a MESSAGE: metrics exact"
