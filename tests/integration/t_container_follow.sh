# Container logs in follow mode, exact through each runtime's rotations and
# kill -9. First, for Docker's json-file and the kubelet's CRI files, a
# record whose first pieces were read and saved when the exporter was
# killed, its last piece written after a rotation while it was down: the
# record counts once, joined across the two files. Then a writer of each
# runtime (tests/integration/dockerlog.py, crilog.py) writes the bot's
# log at about 4,000 lines a second, one line in a hundred longer than a
# 16 KiB piece, rotating as the runtime does (Docker: c-json.log to .1,
# .2.gz...; the kubelet: 0.log to 0.log.DATE-TIME, older ones gzipped),
# the oldest deleted, records cut by rotations. At the end every metric
# equals the oracle's over the records written: none lost, none twice.
# Last, the self-metrics of a followed path: records, pieces joined,
# wrapper lines cut by a crash and records over --max-line-bytes (each
# kind said once in the log).
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
dl=$TOP/tests/integration/dockerlog.py
cl=$TOP/tests/integration/crilog.py

# lines_read N: the exporter read N lines, wrapped, of its files.
lines_read() {
	[ "$(sample_sum logmetrics_lines_read_total)" = "$1" ]
}

# A long line of the bot's, LEN bytes of message.
long_line() {
	python3 -c '
import json, sys
print(json.dumps({"level": 40, "time": 1764020763000, "severity": "WARNING",
    "type": "RATE_LIMITED", "msg": "long " + "y" * int(sys.argv[1])}))' "$1"
}

# Docker's pieces of one line, or the kubelet's: the line given in
# $T/one.log, cut in two at 16 KiB; $T/p1 the first piece, $T/p2 the rest.
pieces() {
	python3 - "$1" "$T/one.log" "$T/p1" "$T/p2" <<'PY'
import json, sys
fmt, src, p1, p2 = sys.argv[1:]
line = open(src, "rb").read().rstrip(b"\n")
a, b = line[:16384], line[16384:]
if fmt == "docker":
    enc = lambda t, s: (json.dumps({"log": t.decode() + s, "stream": "stdout",
        "time": "2026-12-06T10:00:00.000000001Z"},
        separators=(",", ":")) + "\n").encode()
    x, y = enc(a, ""), enc(b, "\n")
else:
    x = b"2026-12-06T10:00:00.000000001Z stdout P " + a + b"\n"
    y = b"2026-12-06T10:00:00.000000002Z stdout F " + b + b"\n"
open(p1, "wb").write(x)
open(p2, "wb").write(y)
PY
}

for fmt in docker cri; do
	case $fmt in
	docker) name=c-json.log; rotated=c-json.log.1 ;;
	cri) name=0.log; rotated=0.log.20261206-100000 ;;
	esac
	d=$T/mid-$fmt
	mkdir "$d"
	source_log 200 83
	head -n 100 "$T/source.log" >"$T/first.log"
	tail -n 100 "$T/source.log" >"$T/rest.log"
	long_line 20000 >"$T/one.log"
	pieces $fmt
	start() {
		daemon_spawn -r "$rules" --poll-interval 200ms \
		    --state-file "$d.state" --state-interval 100ms "$fmt:$d/$name"
	}
	start
	daemon_ready
	w=$dl
	[ $fmt = docker ] || w=$cl
	python3 "$w" write "$T/first.log" "$d" 1000000000 5 0 "$T/rec1" \
	    >/dev/null
	cat "$T/p1" >>"$d/$name"
	wait_until 10 lines_read "$(wc -l <"$d/$name")" ||
	    fail "$fmt: the first pieces not read"
	wait_until 10 grep -q '^pos record ' "$d.state" ||
	    fail "$fmt: no record half-joined in the state"
	daemon_kill
	# Rotated while down; the record's last piece in the new file.
	mv "$d/$name" "$d/$rotated"
	cat "$T/p2" >"$d/$name"
	python3 "$w" write "$T/rest.log" "$d" 1000000000 5 0 "$T/rec2" \
	    >/dev/null
	start
	daemon_ready
	{
		cat "$T/rec1"
		printf '2026-12-06T10:00:00.000000001Z\t'
		cat "$T/one.log" "$T/rec2"
	} >"$T/records.log"
	expect_oracle "$fmt: a record cut by kill -9 and a rotation" \
	    --timed "$T/records.log"
	grep -q '1 record half-joined at the save taken up again' "$DERR" ||
	    fail "$fmt: $(cat "$DERR")"
	daemon_stop
	: >"$DERR"
done

# The bot's log with long lines among the others.
source_log_long 20000 89
lines=$(wc -l <"$T/source.log")

for fmt in docker cri; do
	d=$T/roll-$fmt
	mkdir "$d"
	case $fmt in
	docker) name=c-json.log; w=$dl ;;
	cri) name=0.log; w=$cl ;;
	esac
	: >"$d/$name"
	daemon_start -r "$rules" "$fmt:$d/$name"
	python3 "$w" write "$T/source.log" "$d" 1000000 5 4000 \
	    "$T/records-$fmt.log" >"$T/written" 2>"$T/writer.err" &
	wpid=$!
	track_pid $wpid
	wait "$wpid" || fail "$fmt: writer failed: $(cat "$T/writer.err")"
	forget "$wpid"
	expect_eq "$fmt: lines written" "$lines" "$(cat "$T/written")"
	expect_oracle "$fmt: through rotations" --timed "$T/records-$fmt.log"
	expect_eq "$fmt: files lost" 0 "$(sample_sum logmetrics_files_lost_total)"
	echo "$fmt: $lines lines written at 4,000 a second through $(ls "$d" | wc -l) files left, $(sample_sum logmetrics_rotations_total) rotations: metrics exact"
	daemon_stop
	: >"$DERR"
done

d=$T/self
mkdir "$d"
python3 - "$d/c-json.log" <<'PY'
import json, sys
def w(log, stream="stdout"):
    return json.dumps({"log": log, "stream": stream,
                       "time": "2026-12-06T10:00:00.5Z"}) + "\n"
with open(sys.argv[1], "w") as f:
    f.write(w("e", "stderr"))
    f.write(w("a\n"))
    f.write(w("b" * 16384) + w("c\n"))
    f.write('{"log":"cut by a cra\n')
    f.write(w("x" * 16384) + w("y" * 16384) + w("z\n"))
    f.write("not json\n")
    f.write(w("q" * 16000) + w("q" * 16000) + w("\n"))
    f.write(w("d\n"))
    f.write(w("E\n", "stderr"))
PY
daemon_start -r "$rules" --max-line-bytes 30000 --from-start \
    "docker+stdout:$d/c-json.log"
wait_until 10 sh -c "curl -s http://127.0.0.1:$PORT/metrics |
    grep -q '^logmetrics_records_total{file=\"$d/c-json.log\"} 3$'" ||
    fail "self: $(scrape | grep '^logmetrics_rec')"
expect_eq "self: pieces joined" 5 \
    "$(sample_sum logmetrics_record_pieces_joined_total)"
expect_eq "self: wrapper lines invalid" 2 \
    "$(sample_sum logmetrics_wrapper_lines_invalid_total)"
expect_eq "self: records too long" 2 \
    "$(sample_sum logmetrics_records_too_long_total)"
expect_eq "self: said once" 1 "$(grep -c "c-json.log: a line not in docker's format" "$DERR")"
expect_eq "self: said once" 1 "$(grep -c "c-json.log: a record joined from docker's pieces over --max-line-bytes" "$DERR")"
daemon_stop
# The other stream alone: its one record, joined across the others.
daemon_start -r "$rules" --max-line-bytes 30000 --from-start \
    "docker+stderr:$d/c-json.log"
wait_until 10 sh -c "curl -s http://127.0.0.1:$PORT/metrics |
    grep -q '^logmetrics_records_total{file=\"$d/c-json.log\"} 1$'" ||
    fail "stderr: $(scrape | grep '^logmetrics_rec')"
expect_eq "stderr: pieces joined" 1 \
    "$(sample_sum logmetrics_record_pieces_joined_total)"
expect_eq "stderr: unmatched" 1 "$(sample_sum logmetrics_lines_unmatched_total)"
daemon_stop
