# A state file that cannot be trusted (garbage, a flipped byte, cut short,
# another format version, another rule set) is reported with its path and
# what is wrong, renamed aside to PATH.corrupt, and the daemon starts
# afresh: the old values are not restored, a new state file is written.
# A state path that cannot be written is reported, never fatal.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
unset NODE_ENV PAPER_TRADING
mkdir -p "$T/log"
line='{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":3,"missingInDb":1,"missingOnExchange":0,"msg":"reconciliation completed"}'

# start RULES STATE: a daemon with a fresh stderr.
start() {
	: >"$DERR"
	daemon_start -r "$1" --poll-interval 200ms --state-file "$2" \
	    "$T/log/bot.log"
}
mismatches() {
	sample_sum bytelyst_bot_reconciliation_mismatches_total
}

# A good state file to damage: 3 mismatches counted.
: >"$T/log/bot.log"
start "$rules" "$T/good"
printf '%s\n' "$line" >>"$T/log/bot.log"
wait_until 10 scrape_has '^bytelyst_bot_reconciliation_mismatches_total{.*} 3$' ||
    fail "the line was not counted"
daemon_stop
start "$rules" "$T/good"
expect_eq "a good state restores" 3 "$(mismatches)"
daemon_stop
[ ! -e "$T/good.corrupt" ] || fail "a good state file was set aside"
len=$(wc -c <"$T/good")

# case NAME EXPECTED-MESSAGE: the state file $T/NAME is refused.
refused() {
	cp "$T/$1" "$T/$1.orig"
	start "$rules" "$T/$1"
	grep -q "warn: state file $T/$1: $2.*; renamed to $T/$1.corrupt; starting without it" \
	    "$T/daemon.err" || fail "$1: not reported as '$2': $(cat "$T/daemon.err")"
	cmp -s "$T/$1.orig" "$T/$1.corrupt" || fail "$1: not renamed aside intact"
	expect_eq "$1: nothing restored" 0 "$(mismatches)"
	daemon_stop
	head -n 1 "$T/$1" | grep -q '^logmetrics-state 1$' ||
	    fail "$1: no fresh state file written"
}

printf 'hello\n' >"$T/garbage"
refused garbage 'byte 0 (line 1): not a logmetrics state file'

# One hex digit changed in the last series: only the checksum can tell.
python3 - "$T/good" "$T/flipped" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
at = data.rindex(b'series')
at = data.index(b'\n', at) - 1
data[at] = ord('1') if data[at] == ord('0') else ord('0')
open(sys.argv[2], 'wb').write(data)
EOF
refused flipped 'byte [0-9]* (line [0-9]*): checksum mismatch'

head -c $((len / 2)) "$T/good" >"$T/cut"
refused cut 'byte [0-9]* (line [0-9]*): '

head -c $((len - 1)) "$T/good" >"$T/cutlast"
refused cutlast "byte $((len - 1)) (line [0-9]*): the last line is not terminated"

sed 's/^logmetrics-state 1$/logmetrics-state 7/' "$T/good" >"$T/version"
refused version 'byte 17 (line 1): format version 7; this logmetrics reads version 1'

: >"$T/empty"
refused empty 'byte 0 (line 0): empty file'

# Another rule set's state: nothing in common with ours.
cat >"$T/other.rules" <<'EOF'
counter other_lines_total
  help "Lines."
rule any
  match /./
  inc other_lines_total
EOF
start "$T/other.rules" "$T/foreign"
printf '%s\n' "$line" >>"$T/log/bot.log"
sleep 0.5
daemon_stop
refused foreign 'written for another rule set ([0-9a-f]*, ours [0-9a-f]*) with no metric in common'

# A directory in the way: reported, not moved, and the daemon runs on.
mkdir "$T/dir"
start "$rules" "$T/dir"
grep -q "state file $T/dir: .*; starting without it" "$T/daemon.err" ||
    fail "directory: $(cat "$T/daemon.err")"
grep -q "cannot save the state to $T/dir" "$T/daemon.err" ||
    fail "directory: failed save not reported: $(cat "$T/daemon.err")"
[ -d "$T/dir" ] || fail "the directory was moved"
printf '%s\n' "$line" >>"$T/log/bot.log"
wait_until 10 scrape_has '^bytelyst_bot_reconciliation_mismatches_total{.*} 3$' ||
    fail "the daemon did not run on without its state"
daemon_stop

# A temporary file left by a writer that died is removed at start.
: >"$T/good.tmp.999999999"
start "$rules" "$T/good"
[ ! -e "$T/good.tmp.999999999" ] || fail "stale temporary file kept"
daemon_stop
