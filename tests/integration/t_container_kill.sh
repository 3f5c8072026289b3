# Container logs across kill -9. First, the kubelet compressing while the
# exporter is down a rotation read to its end before the save (its .gz
# has a modification time after the save, as the runtimes write it): it
# is not read again. Then, while the runtimes rotate faster than
# restarts, a writer of each runtime (tests/integration/dockerlog.py,
# crilog.py) writes the bot's log at about 4,000 lines a second, one line
# in a hundred longer than a 16 KiB piece, rotating as the runtime does
# (Docker: c-json.log to .1, .2.gz and on; the kubelet: 0.log to
# 0.log.DATE-TIME, older ones gzipped; neither keeps the modification
# time when it compresses), the oldest deleted. The exporter, saving its
# state every 200 ms, is killed with SIGKILL at random moments, stays down
# up to 1.2 s and is started again, the files it knew still there (ten
# files kept). At the end every metric equals the oracle's over the
# records written: none lost, none counted twice.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
cl=$TOP/tests/integration/crilog.py
kills=${STATE_KILLS:-4}

# lines_read N: the exporter read N lines, wrapped, of its files.
lines_read() {
	[ "$(sample_sum logmetrics_lines_read_total)" = "$1" ]
}

source_log 300 97
d=$T/gz
mkdir "$d"
sed -n 1,100p "$T/source.log" >"$T/l1"
sed -n 101,200p "$T/source.log" >"$T/l2"
sed -n 201,300p "$T/source.log" >"$T/l3"
daemon_start -r "$rules" --state-file "$d.state" --state-interval 100ms \
    "cri:$d/0.log"
python3 "$cl" write "$T/l1" "$d" 1000000000 5 0 "$T/r1" >/dev/null
wait_until 10 lines_read "$(wc -l <"$d/0.log")" || fail "gz: first lines"
mv "$d/0.log" "$d/0.log.20261206-100001"
python3 "$cl" write "$T/l2" "$d" 1000000000 5 0 "$T/r2" >/dev/null
# The rotation is let go once idle for 5 s, and known to the state then.
wait_until 20 grep -q '^pos file 4 .* 1 0 0000000000000000$' "$d.state" ||
    fail "gz: no file read to its end in the state"
daemon_kill
python3 -c '
import gzip, os, sys
p = sys.argv[1]
with open(p, "rb") as f, gzip.open(p + ".gz", "wb") as g:
    g.write(f.read())
os.unlink(p)' "$d/0.log.20261206-100001"
python3 "$cl" write "$T/l3" "$d" 1000000000 5 0 "$T/r3" >/dev/null
daemon_start -r "$rules" --state-file "$d.state" "cri:$d/0.log"
cat "$T/r1" "$T/r2" "$T/r3" >"$T/records.log"
expect_oracle "gz: a rotation compressed after the save" --timed \
    "$T/records.log"
grep -q '0 rotated since' "$DERR" || fail "gz: $(grep restored "$DERR")"
daemon_stop
: >"$DERR"

source_log_long 20000 89
lines=$(wc -l <"$T/source.log")

for fmt in docker cri; do
	d=$T/$fmt
	mkdir "$d"
	case $fmt in
	docker) name=c-json.log; w=$TOP/tests/integration/dockerlog.py ;;
	cri) name=0.log; w=$TOP/tests/integration/crilog.py ;;
	esac
	: >"$d/$name"
	start() {
		daemon_spawn -r "$rules" --poll-interval 200ms \
		    --state-file "$d.state" --state-interval 200ms "$fmt:$d/$name"
	}
	start
	daemon_ready
	python3 "$w" write "$T/source.log" "$d" 1000000 10 4000 \
	    "$T/records-$fmt.log" >"$T/written" 2>"$T/writer.err" &
	wpid=$!
	track_pid $wpid
	seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	delays=$(python3 -c "import random; r = random.Random($seed); print(' '.join('%.2f:%.2f' % (r.uniform(0.3, 1.0), r.uniform(0.3, 1.2)) for _ in range($kills)))")
	for delay in $delays; do
		sleep "${delay%:*}"
		daemon_kill
		[ ! -f "$d.state.corrupt" ] || fail "$fmt: a state file was left damaged"
		sleep "${delay#*:}"
		start
	done
	wait "$wpid" || fail "$fmt: writer failed: $(cat "$T/writer.err")"
	forget "$wpid"
	expect_eq "$fmt: lines written" "$lines" "$(cat "$T/written")"
	daemon_ready 20
	if ! wait_until 30 oracle_matches --timed "$T/records-$fmt.log"; then
		diff -u "$T/expected" "$T/got" | head -n 30
		fail "$fmt: after $kills kill -9 (seed $seed) the metrics differ from the oracle's"
	fi
	! grep -q 'corrupt\|cannot save\|gone while down\|dropped' "$DERR" ||
	    fail "$fmt: $(grep 'corrupt\|cannot save\|gone while down\|dropped' "$DERR")"
	taken=$(grep -o '[0-9]* records* half-joined' "$DERR" |
	    awk '{ n += $1 } END { print n + 0 }')
	since=$(grep -o '[0-9]* rotated since' "$DERR" |
	    awk '{ n += $1 } END { print n + 0 }')
	echo "$fmt: $lines lines written through $(ls "$d" | wc -l) files left, $kills kill -9 (seed $seed): metrics exact; $since rotations read at restarts, $taken records taken up half-joined"
	daemon_stop
	: >"$DERR"
done
