# State across kill -9 while rotations come faster than restarts: a
# writer appends lines at about 5,000 a second, in chunks that split
# lines, rotating bot.log logrotate's way every 3,000 lines (create, and
# create with compress and delaycompress). The daemon, saving its state
# every 200 ms, is killed with SIGKILL at random moments, stays down 0.5
# to 1.6 s (up to three rotations) and is started again. At the end the
# metrics must equal what the oracle derives from every line written:
# none lost, none counted twice, none out of order.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
kills=${STATE_KILLS:-6}
lines=30000
source_log $lines 29

cat >"$T/roll.py" <<'PY'
import gzip, os, random, shutil, sys, time
src, d, mode = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(src, "rb").read().split(b"\n")[:-1]
rnd = random.Random(7)
path = os.path.join(d, "bot.log")

def gz(p):
    st = os.stat(p)
    with open(p, "rb") as f, gzip.open(p + ".gz", "wb") as z:
        shutil.copyfileobj(f, z)
    os.utime(p + ".gz", ns=(st.st_atime_ns, st.st_mtime_ns))
    os.unlink(p)

def rotate(fd):
    names = sorted((n for n in os.listdir(d) if n.startswith("bot.log.")),
                   key=lambda n: -int(n.split(".")[2]))
    for n in names:
        parts = n.split(".")
        parts[2] = str(int(parts[2]) + 1)
        os.rename(os.path.join(d, n), os.path.join(d, ".".join(parts)))
    os.rename(path, path + ".1")
    os.close(fd)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    if mode == "delaycompress" and os.path.exists(path + ".2"):
        gz(path + ".2")
    return fd

fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
t0 = time.monotonic()
buf = b""
for i, line in enumerate(lines):
    buf += line + b"\n"
    if len(buf) > 2000 or i + 1 == len(lines):
        cut = rnd.randrange(1, len(buf) + 1)
        os.write(fd, buf[:cut])
        os.write(fd, buf[cut:])
        buf = b""
    if i % 3000 == 2999 and i + 1 < len(lines):
        if buf:
            os.write(fd, buf)
            buf = b""
        fd = rotate(fd)
    if i % 100 == 99:
        ahead = (i + 1) / 5000 - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
os.close(fd)
print(len(lines))
PY

for mode in create delaycompress; do
	log=$T/$mode
	mkdir -p "$log"
	: >"$log/bot.log"
	start() {
		daemon_spawn -r "$rules" --poll-interval 200ms \
		    --state-file "$log.state" --state-interval 200ms \
		    "$log/bot.log"
	}
	start
	daemon_ready
	python3 "$T/roll.py" "$T/source.log" "$log" "$mode" >"$T/written" \
	    2>"$T/writer.err" &
	wpid=$!
	track_pid $wpid
	seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	delays=$(python3 -c "import random; r = random.Random($seed); print(' '.join('%.2f:%.2f' % (r.uniform(0.2, 0.6), r.uniform(0.5, 1.6)) for _ in range($kills)))")
	for delay in $delays; do
		sleep "${delay%:*}"
		daemon_kill
		[ ! -f "$log.state.corrupt" ] || fail "$mode: a state file was left damaged"
		sleep "${delay#*:}"
		start
	done
	wait "$wpid" || fail "$mode: writer failed: $(cat "$T/writer.err")"
	forget "$wpid"
	expect_eq "$mode: lines written" $lines "$(cat "$T/written")"
	daemon_ready 20
	if ! wait_until 30 oracle_matches "$T/source.log"; then
		diff -u "$T/expected" "$T/got" | head -n 30
		fail "$mode: after $kills kill -9 (seed $seed) the metrics differ from the oracle's"
	fi
	! grep -q 'corrupt\|cannot save\|gone while down' "$DERR" ||
	    fail "$mode: $(grep 'corrupt\|cannot save\|gone while down' "$DERR")"
	since=$(grep -o '[0-9]* rotated since' "$DERR" |
	    awk '{ n += $1 } END { print n + 0 }')
	echo "$mode: $lines lines written through $(ls "$log" | wc -l) files, $kills kill -9 (seed $seed): $(sample_sum logmetrics_lines_read_total) read since the last start, metrics exact; $since rotations read at restarts"
	daemon_stop
	: >"$DERR"
done
