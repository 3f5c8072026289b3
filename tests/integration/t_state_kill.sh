# State across kill -9: a writer appends contract lines (split anywhere,
# with a rename+create rotation and writes to the renamed file) while the
# daemon, saving its state every 200 ms, is killed with SIGKILL at random
# moments and started again each time. At the end the scraped metrics must
# equal what the oracle derives from every line written: none lost, none
# counted twice.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
unset NODE_ENV PAPER_TRADING
gen=$TOP/build/genlog
[ -x "$gen" ] || fail "build/genlog missing (make check builds it)"
kills=${STATE_KILLS:-8}
port=$(free_port)
mkdir -p "$T/log"
"$gen" -n 12000 -s 23 --hazards >"$T/source.log"

pid=
start() {
	"$lm" -r "$rules" -l "127.0.0.1:$port" --poll-interval 200ms \
	    --state-file "$T/state" --state-interval 200ms \
	    "$T/log/bot.log" 2>>"$T/daemon.err" &
	pid=$!
	track_pid $pid
}
# A killed and reaped daemon leaves the list, so that its PID, free again,
# is never signalled at exit.
forget() {
	left=
	for p in $PIDS; do
		[ "$p" = "$1" ] || left="$left $p"
	done
	PIDS=$left
}
scrape() {
	curl -sf "http://127.0.0.1:$port/metrics"
}
matches() {
	scrape >"$T/scrape.prom" || return 1
	canon "$T/scrape.prom" >"$T/got" || return 1
	python3 "$TOP/tests/oracle.py" --now "$(date +%s)" "$T/source.log" \
	    >"$T/expected"
	cmp -s "$T/expected" "$T/got"
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
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	forget "$pid"
	[ -f "$T/state.corrupt" ] && fail "a state file was left damaged"
	start
done
wait "$wpid" || fail "writer failed: $(cat "$T/writer.err")"
forget "$wpid"
expect_eq "lines written" 12000 "$(cat "$T/written")"
wait_until 20 curl -sf "http://127.0.0.1:$port/-/ready" ||
    fail "daemon not ready: $(tail -n 5 "$T/daemon.err")"
if ! wait_until 30 matches; then
	diff -u "$T/expected" "$T/got" | head -n 40
	fail "after $kills kill -9 restarts the metrics differ from the oracle's"
fi
promcheck "$T/scrape.prom"
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
