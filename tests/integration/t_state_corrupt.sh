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
	head -n 1 "$T/$1" | grep -q '^logmetrics-state 4$' ||
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

sed 's/^logmetrics-state 4$/logmetrics-state 7/' "$T/good" >"$T/version"
refused version 'byte 17 (line 1): format version 7; this logmetrics reads versions 1 to 4'

# Positions are the tail's to decode: one it cannot, the checksum right,
# is refused with its place like any damage; one of a kind this release
# does not know (from a later one with more sources) is skipped and said,
# the rest restored.
# edit NAME SED-SCRIPT: $T/good edited, the end count and checksum mended.
edit() {
	python3 - "$T/good" "$T/$1" "$2" <<'PY'
import re, sys, zlib
src, dst, what = sys.argv[1:]
body = open(src, 'rb').read()
body = body[:body.rindex(b'crc32 ')]
lines = body.split(b'\n')
i = max(k for k, l in enumerate(lines) if l.startswith(b'pos ') or
        l.startswith(b'rules '))
added = 0
if what == 'bad':
    lines[i] = (b'pos file 1 "/x" 1 2 3 257 0000000000000000')
elif what in ('v2', 'v3'):
    # The file positions as that version wrote them: fields since cut.
    for k, l in enumerate(lines):
        if l.startswith(b'pos file 4 '):
            f = l.split(b' ')[3:]
            cut = {'v2': 4, 'v3': 3}[what]
            lines[k] = b' '.join([b'pos', b'file', what[1:].encode()] +
                                 f[:len(f) - cut])
else:
    lines.insert(i + 1, b'pos socket 3 "udp:514" 1c')
    added = 1
body = b'\n'.join(lines)
m = re.search(rb'\nend (\d+) ', body)
n = int(m.group(1)) + added
body = body[:m.start()] + b'\nend %d ' % n + body[m.end():]
body += b'crc32 %08x\n' % (zlib.crc32(body) & 0xffffffff)
open(dst, 'wb').write(body)
PY
}
edit badpos bad
refused badpos 'byte [0-9]* (line 3): file position: head length over 256'
edit otherkind other
start "$rules" "$T/otherkind"
grep -q "warn: state file $T/otherkind: byte [0-9]* (line [0-9]*): a position of kind socket, unknown here: skipped" \
    "$T/daemon.err" || fail "unknown kind not said: $(cat "$T/daemon.err")"
expect_eq "the rest restored" 3 "$(mismatches)"
daemon_stop
[ ! -e "$T/otherkind.corrupt" ] || fail "an unknown kind set the file aside"

# File positions as versions 2 and 3 wrote them are read: the file is
# resumed where it was, nothing counted again.
for v in 2 3; do
	edit "pos$v" "v$v"
	grep -q "^pos file $v " "$T/pos$v" || fail "pos$v: no position to test"
	start "$rules" "$T/pos$v"
	grep -q 'files: 1 resumed' "$DERR" || fail "pos$v: $(cat "$DERR")"
	expect_eq "version $v positions" 3 "$(mismatches)"
	daemon_stop
done

# A state file of format version 1, as logmetrics 0.1.0 wrote it
# (tests/fixtures/state-v1.state: bot-small.log read to its last whole
# line), loads: every value comes back; its file is not here, so it is
# gone, and bot.log, unknown to it, is read from its start; the next
# save is in the current version, 3.
cp "$TOP/tests/fixtures/state-v1.state" "$T/v1"
start "$rules" "$T/v1"
grep -q 'files: 0 resumed, 0 renamed, 0 copied, 0 truncated, 1 new, 1 gone' \
    "$DERR" || fail "version 1: $(cat "$DERR")"
head -n 1099 "$TOP/tests/fixtures/bot-small.log" >"$T/v1.log"
expect_oracle "version 1 state" "$T/v1.log" "$T/log/bot.log"
daemon_stop
head -n 1 "$T/v1" | grep -q '^logmetrics-state 4$' ||
    fail "version 1: not saved again in version 4"

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
