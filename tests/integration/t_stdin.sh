# Standard input ("-") in one-shot mode: from a pipe, a redirected file or
# gzip (one member or several), alone or after the rotations of its log,
# in final and backfill output, byte-identical to the same bytes read from
# a file; a cut gzip stream names standard input and its offset and keeps
# what was read; "-" twice, or with a state file, is refused.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
r=$TOP/tests/fixtures/rotated
source_log 60000 24
src=$T/source.log
gzip -c "$src" >"$T/source.log.gz"

# same NAME CMD: the one-shot output of "-" fed by CMD equals the file's.
same() {
	_name=$1
	shift
	"$@" >"$T/$_name.prom" || fail "$_name: exit status $?"
	cmp "$T/file.prom" "$T/$_name.prom" ||
	    fail "$_name: output differs from the file's"
}

"$lm" --one-shot -r "$rules" "$src" >"$T/file.prom"
promcheck "$T/file.prom"
n=$(grep -c '^bytelyst_bot_' "$T/file.prom")
[ "$n" -gt 50 ] || fail "only $n samples from $src"
python3 "$TOP/tests/oracle.py" "$src" >"$T/expected"
canon "$T/file.prom" | diff -u "$T/expected" - ||
    fail "the file's metrics differ from the oracle's"

same pipe sh -c "cat '$src' | '$lm' --one-shot -r '$rules' -"
same redirect sh -c "'$lm' --one-shot -r '$rules' - <'$src'"
same gzip-pipe sh -c "cat '$T/source.log.gz' | '$lm' --one-shot -r '$rules' -"
# Written a few lines at a time, in two gzip members.
head -n 30000 "$src" | gzip -c >"$T/two.gz"
tail -n +30001 "$src" | gzip -c >>"$T/two.gz"
same gzip-members sh -c "python3 -c '
import sys, time
d = open(sys.argv[1], \"rb\").read()
for i in range(0, len(d), 65536):
    sys.stdout.buffer.write(d[i:i + 65536]); sys.stdout.flush()
    time.sleep(0.002)
' '$T/two.gz' | '$lm' --one-shot -r '$rules' -"

# The live file on standard input, after its rotations, given in any order.
"$lm" --one-shot -r "$rules" "$r/bot.log.3.gz" "$r/bot.log.2.gz" \
    "$r/bot.log.1" "$r/bot.log" >"$T/file.prom"
same rotated sh -c "cat '$r/bot.log' | '$lm' --one-shot -r '$rules' \
    '$r/bot.log.1' '$r/bot.log.3.gz' '$r/bot.log.2.gz' -"

# Backfill: the whole history, byte for byte.
bf="--one-shot --format openmetrics --step 60s -r $rules"
# shellcheck disable=SC2086
"$lm" $bf "$src" >"$T/file.prom"
grep -q '^# EOF$' "$T/file.prom" || fail "backfill: no # EOF"
[ "$(wc -l <"$T/file.prom")" -gt 1000 ] || fail "backfill: a short history"
same backfill-pipe sh -c "cat '$src' | $lm $bf -"
same backfill-gzip sh -c "$lm $bf - <'$T/source.log.gz'"

# A gzip stream cut short: its lines are counted, the error says where.
head -c 300000 "$T/source.log.gz" >"$T/cut.gz"
rc=0
cat "$T/cut.gz" | "$lm" --one-shot -r "$rules" - >"$T/cut.prom" \
    2>"$T/cut.err" || rc=$?
expect_eq "cut gzip: status" 1 "$rc"
grep -q "^logmetrics: warn: standard input: offset [1-9][0-9]*: unexpected end of file$" \
    "$T/cut.err" || { cat "$T/cut.err" >&2; fail "cut gzip: no message"; }
# Its complete lines, as gzip inflates them.
python3 -c '
import sys, zlib
d = zlib.decompressobj(31).decompress(open(sys.argv[1], "rb").read())
sys.stdout.buffer.write(d[:d.rfind(b"\n") + 1])
' "$T/cut.gz" >"$T/cut.log"
lines=$(wc -l <"$T/cut.log")
[ "$lines" -gt 1000 ] || fail "cut gzip: only $lines lines inflate"
"$lm" --one-shot -r "$rules" "$T/cut.log" >"$T/cutfile.prom"
cmp "$T/cutfile.prom" "$T/cut.prom" ||
    fail "cut gzip: the lines before the cut are not those counted"

# Refused, with what to do.
rc=0
"$lm" --one-shot -r "$rules" - - </dev/null 2>"$T/err" || rc=$?
expect_eq "- twice: status" 2 "$rc"
grep -q 'standard input (-) is read once' "$T/err" || fail "- twice: $(cat "$T/err")"
rc=0
"$lm" -r "$rules" --state-file "$T/state" - </dev/null 2>"$T/err" || rc=$?
expect_eq "- with a state file: status" 2 "$rc"
grep -q -- '--state-file cannot resume standard input' "$T/err" ||
    fail "- with a state file: $(cat "$T/err")"
[ ! -e "$T/state" ] || fail "- with a state file: a state file was written"
