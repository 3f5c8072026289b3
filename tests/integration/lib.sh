# Shared by the integration tests: sourced, not run.
# Every process a test starts is recorded with track_pid and stopped by PID
# when the test exits, whatever the outcome, as is every file system it
# mounts (track_mount). Variables of these functions
# start with an underscore, so that they never clobber a test's.

set -eu
PIDS=""
MOUNTS=""

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# source_log N SEED: N whole lines of the bot's log, every hazard in it,
# from build/genlog with that seed, in $T/source.log. The bot's
# environment is unset, as tests/oracle.py assumes (env "development",
# mode "paper").
source_log() {
	[ -x "$TOP/build/genlog" ] ||
	    fail "build/genlog missing (make check builds it)"
	unset NODE_ENV PAPER_TRADING
	# The generator's last line has no newline: one more, then dropped.
	"$TOP/build/genlog" -n $(($1 + 1)) -s "$2" --hazards |
	    head -n "$1" >"$T/source.log"
}

# source_log_long N SEED: source_log, then after about one line in a
# hundred a line of the bot's longer than a container runtime's 16 KiB
# piece (16,000 to 50,000 bytes of message), and after about one in a
# hundred a successful cycle with no time the rules read (none, or not
# one): a container runtime's time is then the line's.
source_log_long() {
	source_log "$1" "$2"
	python3 - "$T/source.log" <<'PY'
import json, random, sys
rnd = random.Random(5)
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
out = []
for i, line in enumerate(lines):
    out.append(line)
    if rnd.random() < 0.01:
        out.append(json.dumps({"level": 40, "time": 1764020763000 + i,
            "severity": "WARNING", "type": "RATE_LIMITED",
            "msg": "long " + "z" * rnd.randrange(16000, 50000)}).encode())
    if rnd.random() < 0.01:
        c = {"level": 30, "component": "scheduler",
             "subsystem": rnd.choice(["trading", "monitor", "housekeeping"]),
             "durationMs": rnd.randrange(1, 900), "outcome": "ok",
             "msg": "cycle done"}
        if rnd.random() < 0.5:
            c["time"] = "soon"
        out.append(json.dumps(c).encode())
open(sys.argv[1], "wb").write(b"".join(l + b"\n" for l in out))
PY
}

track_pid() {
	PIDS="$PIDS $1"
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# track_mount DIR: a file system the test mounted, unmounted at exit.
track_mount() {
	MOUNTS="$1 $MOUNTS"
}

cleanup() {
	for _p in $PIDS; do
		stop_pid "$_p"
	done
	for _m in $MOUNTS; do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

# forget PID: a process stopped and reaped leaves the list, so that its
# PID, free again, is never signalled at exit.
forget() {
	_left=
	for _p in $PIDS; do
		[ "$_p" = "$1" ] || _left="$_left $_p"
	done
	PIDS=$_left
}

# Whether PID has exited (a zombie not yet reaped counts as exited).
gone() {
	[ -e "/proc/$1/stat" ] || return 0
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$_st" ] || [ "${_st%% *}" = Z ]
}

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS COMMAND...: retries COMMAND until it succeeds, for
# SECONDS at most: every 0.02 s in the first half second (most waits are
# for a daemon a few milliseconds away from ready), then every 0.1 s.
wait_until() {
	_limit=$1
	shift
	_n=0
	while ! "$@" >/dev/null 2>&1; do
		_n=$((_n + 1))
		if [ $_n -le 25 ]; then
			sleep 0.02
			continue
		fi
		[ $_n -lt $((_limit * 10 + 20)) ] || return 1
		sleep 0.1
	done
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# The canonical form of an exposition, for exact comparison with the oracle.
canon() {
	python3 "$TOP/tests/oracle.py" --canon "$1"
}


# promtool's lint objects to one name the bot's metrics guide fixes
# (bytelyst_bot_reconciliation_missing_items_count is a gauge ending in
# _count); every other complaint, and every parse error, fails.
promcheck() {
	_rc=0
	promtool check metrics <"$1" >"$1.lint" 2>&1 || _rc=$?
	case $_rc in
	0) return 0 ;;
	3) ;;
	*) cat "$1.lint" >&2; fail "promtool check metrics $1: status $_rc" ;;
	esac
	if grep -v '^bytelyst_bot_reconciliation_missing_items_count non-histogram and non-summary metrics should not have "_count" suffix$' \
	    "$1.lint" | grep -q .; then
		cat "$1.lint" >&2
		fail "promtool check metrics $1"
	fi
}

# The daemon under test. daemon_start ARGS... runs $LOGMETRICS with ARGS,
# listening on 127.0.0.1:$PORT (chosen at the first start and kept across
# restarts), its stderr appended to $DERR ($T/daemon.err unless set), and
# waits until it is ready; daemon_spawn does not wait. DPID is its PID.
# Its standard input is $DSTDIN when set (a FIFO, say), else /dev/null.
# daemon_stop sends SIGTERM and fails unless it exits, with status 0,
# within 10 s; daemon_kill sends SIGKILL. Both reap it.
PORT=
DPID=
DERR=${DERR:-$T/daemon.err}

daemon_spawn() {
	[ -n "$PORT" ] || PORT=$(free_port)
	"$LOGMETRICS" -l "127.0.0.1:$PORT" "$@" <"${DSTDIN:-/dev/null}" \
	    2>>"$DERR" &
	DPID=$!
	track_pid $DPID
}

daemon_ready() {
	wait_until "${1:-10}" curl -sf "http://127.0.0.1:$PORT/-/ready" ||
	    fail "daemon not ready: $(tail -n 5 "$DERR")"
}

daemon_start() {
	daemon_spawn "$@"
	daemon_ready
}

daemon_stop() {
	kill -TERM "$DPID" 2>/dev/null ||
	    fail "daemon $DPID gone before SIGTERM: $(tail -n 5 "$DERR")"
	wait_until 10 gone "$DPID" || fail "SIGTERM did not stop the daemon"
	_rc=0
	wait "$DPID" || _rc=$?
	forget "$DPID"
	[ "$_rc" -eq 0 ] ||
	    fail "the daemon exited with status $_rc: $(tail -n 5 "$DERR")"
}

daemon_kill() {
	kill -9 "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	forget "$DPID"
}

# scrape [PATH]: the daemon's answer at PATH (/metrics unless given).
scrape() {
	curl -sf "http://127.0.0.1:$PORT${1:-/metrics}"
}

# scrape_has REGEX: a line of the scrape matches the basic REGEX.
scrape_has() {
	scrape | grep -q "$1"
}

# sample_sum NAME: the sum of every sample of NAME in a scrape, labels or
# not (0 when there is none).
sample_sum() {
	scrape | awk -v m="$1" '
	    index($0, m) == 1 && substr($0, length(m) + 1, 1) ~ /[{ ]/ {
		n += $NF
	    }
	    END { printf "%.17g\n", n }'
}

# The samples exact whatever order the lines of several files are read in:
# counters, histogram buckets and counts; for ORACLE_FILTER. Not gauges,
# bytelyst_bot_reconciliation_missing_items_count among them though its
# name ends in _count (the bot's histograms are all *_seconds).
COUNTS='^[a-z_]*(_total|_bucket|_seconds_count)[{ ]'

# oracle_matches LOG...: a scrape, saved in $T/scrape.prom, equals what the
# oracle derives from these logs in this order ($T/expected, $T/got).
# Only the samples matching the extended regex ORACLE_FILTER are compared
# when it is set: where lines of several files may be read in another
# order than written, counts stay exact but gauges and float sums may not.
oracle_matches() {
	scrape >"$T/scrape.prom" || return 1
	canon "$T/scrape.prom" | grep -E "${ORACLE_FILTER:-.}" >"$T/got" ||
	    return 1
	python3 "$TOP/tests/oracle.py" --now "$(date +%s)" "$@" |
	    grep -E "${ORACLE_FILTER:-.}" >"$T/expected"
	cmp -s "$T/expected" "$T/got"
}

# expect_oracle WHAT LOG...: oracle_matches within 15 s, or the difference
# and a failure.
expect_oracle() {
	_what=$1
	shift
	if ! wait_until 15 oracle_matches "$@"; then
		diff -u "$T/expected" "$T/got" | head -n 40
		fail "$_what: the metrics differ from the oracle's"
	fi
}

# prometheus_start JOB [FLAG...]: a real Prometheus on 127.0.0.1:$PPORT
# scraping the daemon ($PORT) every second as job JOB, with FLAGs, its
# data in $T/data and its log in $T/prometheus.log. promq QUERY prints
# its answer to an instant query, promex QUERY its exemplars of all
# time (JSON, both).
PPORT=
prometheus_start() {
	command -v prometheus >/dev/null ||
	    fail "prometheus is not installed (packaging/deps.sh test installs it)"
	_job=$1
	shift
	PPORT=$(free_port)
	mkdir -p "$T/data"
	cat >"$T/prometheus.yml" <<Y
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: $_job
    static_configs:
      - targets: ['127.0.0.1:$PORT']
Y
	prometheus --config.file="$T/prometheus.yml" \
	    --web.listen-address="127.0.0.1:$PPORT" \
	    --storage.tsdb.path="$T/data" "$@" >"$T/prometheus.log" 2>&1 &
	track_pid $!
}

promq() {
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode "query=$1"
}

promex() {
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query_exemplars" \
	    --data-urlencode "query=$1" --data-urlencode "start=0" \
	    --data-urlencode "end=$(($(date +%s) + 3600))"
}

# bcrypt_hash COST PASSWORD: a bcrypt hash as htpasswd makes them ($2y$),
# from libcrypt, by a helper built once in $T.
bcrypt_hash() {
	if [ ! -x "$T/mkhash" ]; then
		cat >"$T/mkhash.c" <<'EOF'
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	struct crypt_data cd = { 0 };
	char		  salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	 *h;

	if (argc != 3 ||
	    crypt_gensalt_rn("$2y$", atoi(argv[1]), NULL, 0, salt,
		sizeof(salt)) == NULL ||
	    (h = crypt_rn(argv[2], salt, &cd, sizeof(cd))) == NULL)
		return 1;
	printf("%s\n", h);
	return 0;
}
EOF
		${CC:-cc} -o "$T/mkhash" "$T/mkhash.c" -lcrypt ||
		    fail "cannot build the hash maker"
	fi
	"$T/mkhash" "$1" "$2"
}
