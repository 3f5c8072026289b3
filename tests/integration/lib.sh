# Shared by the integration tests: sourced, not run.
# Every process a test starts is recorded with track_pid and stopped by PID
# when the test exits, whatever the outcome.

set -eu
PIDS=""

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

track_pid() {
	PIDS="$PIDS $1"
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	for p in $PIDS; do
		stop_pid "$p"
	done
}
trap cleanup EXIT INT TERM

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS COMMAND...: retries COMMAND every 0.1 s.
wait_until() {
	limit=$1
	shift
	n=0
	while ! "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt $((limit * 10)) ] || return 1
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
	rc=0
	promtool check metrics <"$1" >"$1.lint" 2>&1 || rc=$?
	case $rc in
	0) return 0 ;;
	3) ;;
	*) cat "$1.lint" >&2; fail "promtool check metrics $1: status $rc" ;;
	esac
	if grep -v '^bytelyst_bot_reconciliation_missing_items_count non-histogram and non-summary metrics should not have "_count" suffix$' \
	    "$1.lint" | grep -q .; then
		cat "$1.lint" >&2
		fail "promtool check metrics $1"
	fi
}
