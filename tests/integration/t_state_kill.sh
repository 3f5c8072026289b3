# State across kill -9: a writer appends contract lines (split anywhere,
# with a rename+create rotation and writes to the renamed file) while the
# daemon, saving its state every 200 ms, is killed with SIGKILL at random
# moments and started again each time. At the end the scraped metrics must
# equal what the oracle derives from every line written: none lost, none
# counted twice.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
kills=${STATE_KILLS:-8}
mkdir -p "$T/log"
source_log 12000 23

start() {
	daemon_spawn -r "$rules" --poll-interval 200ms --state-file "$T/state" \
	    --state-interval 200ms "$T/log/bot.log"
}

start
python3 "$TOP/tests/integration/writer.py" "$T/source.log" "$T/log" \
    "write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:500,rename:bot.log.1,oldwrite:500,create,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000,sleep:0.35,write:1000" \
    >"$T/written" 2>"$T/writer.err" &
wpid=$!
track_pid $wpid

# Random moments, different on every run; the seed is printed to replay.
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
echo "kill seed $seed"
delays=$(python3 -c "import random, sys; r = random.Random($seed); print(' '.join('%.2f' % r.uniform(0.1, 0.6) for _ in range($kills)))")
for delay in $delays; do
	sleep "$delay"
	daemon_kill
	[ -f "$T/state.corrupt" ] && fail "a state file was left damaged"
	start
done
wait "$wpid" || fail "writer failed: $(cat "$T/writer.err")"
forget "$wpid"
expect_eq "lines written" 12000 "$(cat "$T/written")"
daemon_ready 20
if ! wait_until 30 oracle_matches "$T/source.log"; then
	diff -u "$T/expected" "$T/got" | head -n 40
	fail "after $kills kill -9 restarts the metrics differ from the oracle's"
fi
promcheck "$T/scrape.prom"
daemon_stop
restored=$(grep -c 'state restored from' "$T/daemon.err" || true)
[ "$restored" -ge 1 ] || fail "no restart restored the state"
grep -q 'corrupt\|cannot save' "$T/daemon.err" &&
    fail "state trouble: $(grep 'corrupt\|cannot save' "$T/daemon.err")"
# The totals, for the record.
awk '/^bytelyst_bot_operational_events_total/ { e += $2 }
    /^bytelyst_bot_subsystem_duration_seconds_count/ { c += $2 }
    /^bytelyst_bot_exchange_api_latency_seconds_count/ { x += $2 }
    END { printf "after %s kill -9: %d events, %d cycles, %d api calls\n",
    k, e, c, x }' k="$kills" "$T/scrape.prom"
exit 0
