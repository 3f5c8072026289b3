# The journal's place kept in the state file: the exporter follows
# 'journal:_SYSTEMD_UNIT=bytelyst.service' with --state-file while the bot's
# log is written to the journal in 40 runs of systemd-journal-remote
# (tests/integration/journallog.py), and is killed with -9 and restarted
# at random times: at the end every metric equals the oracle's over every
# entry written, none lost, none read twice. Then a state with no place
# for the journal: the entries written since it was saved are read; and a
# journal file removed while the exporter was down, the saved entry in
# it: the entries after it are read, the loss counted and said.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
jl=$TOP/tests/integration/journallog.py
unit='journal:_SYSTEMD_UNIT=bytelyst.service'
kills=4
source_log_long 20000 67
lines=$(wc -l <"$T/source.log")
split -l 500 -d -a 2 "$T/source.log" "$T/part."
mkdir "$T/j"
start() {
	daemon_spawn -r "$rules" --journal-dir "$T/j" --state-file "$T/state" \
	    --state-interval 100ms "$unit"
}
start
daemon_ready
(
	for p in "$T"/part.??; do
		python3 "$jl" write "$p" "$T/j/bot.journal" "$p.rec" >/dev/null ||
		    exit 1
		sleep 0.05
	done
) 2>"$T/writer.err" &
wpid=$!
track_pid $wpid
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
delays=$(python3 -c "import random; r = random.Random($seed); print(' '.join('%.2f:%.2f' % (r.uniform(0.3, 1.0), r.uniform(0.2, 0.8)) for _ in range($kills)))")
for delay in $delays; do
	sleep "${delay%:*}"
	daemon_kill
	sleep "${delay#*:}"
	start
done
wait "$wpid" || fail "writer failed: $(cat "$T/writer.err")"
forget "$wpid"
daemon_ready 20
cat "$T"/part.??.rec >"$T/records.log"
expect_eq "lines written" "$lines" "$(wc -l <"$T/records.log")"
if ! wait_until 30 oracle_matches --timed "$T/records.log"; then
	diff -u "$T/expected" "$T/got" | head -n 30
	fail "after $kills kill -9 (seed $seed) the metrics differ from the oracle's"
fi
! grep -q 'corrupt\|cannot save\|no longer in the journal' "$DERR" ||
    fail "$(grep 'corrupt\|cannot save\|no longer in the journal' "$DERR")"
daemon_stop
echo "$lines lines written to the journal in 40 runs, $kills kill -9 (seed $seed): metrics exact"
: >"$DERR"

# A state with no place for the journal: read from the time it was saved
# (the journal's clock the wall clock here, as journald's).
mkdir "$T/j2"
head -n 3000 "$T/source.log" >"$T/a.log"
sed -n 3001,6000p "$T/source.log" >"$T/b.log"
python3 "$jl" write --wall "$T/a.log" "$T/j2/bot.journal" "$T/a.rec" \
    >/dev/null
: >"$T/empty.log"
daemon_start -r "$rules" --state-file "$T/state2" "$T/empty.log"
daemon_stop
python3 "$jl" write --wall "$T/b.log" "$T/j2/bot.journal" "$T/b.rec" \
    >/dev/null
daemon_start -r "$rules" --journal-dir "$T/j2" --state-file "$T/state2" \
    "$T/empty.log" "$unit"
expect_oracle "no place in the state" --timed "$T/b.rec"
grep -q "$unit: no place for it in the state" "$DERR" || fail "$(cat "$DERR")"
daemon_stop
: >"$DERR"

# The saved entry's file removed while down: the loss counted and said.
mkdir "$T/j3"
sed -n 6001,9000p "$T/source.log" >"$T/c.log"
sed -n 9001,12000p "$T/source.log" >"$T/d.log"
daemon_start -r "$rules" --journal-dir "$T/j3" --state-file "$T/state3" \
    "$unit"
python3 "$jl" write "$T/c.log" "$T/j3/a.journal" "$T/c.rec" >/dev/null
expect_oracle "before the removal" --timed "$T/c.rec"
daemon_stop
python3 "$jl" write "$T/d.log" "$T/j3/b.journal" "$T/d.rec" >/dev/null
rm "$T/j3/a.journal"
daemon_start -r "$rules" --journal-dir "$T/j3" --state-file "$T/state3" \
    "$unit"
expect_oracle "after the removal" --timed "$T/c.rec" "$T/d.rec"
expect_eq "lost" 1 \
    "$(sample_sum "logmetrics_files_lost_total{file=\"$unit\"}")"
grep -q "$unit: the entry of the saved state is no longer in the journal" \
    "$DERR" || fail "$(cat "$DERR")"
daemon_stop
