# The logrotate examples of packaging/logrotate, run by logrotate itself on
# a followed log, twice each: in the create and the copytruncate styles,
# every line the bot writes is counted exactly once.
. "$TOP/tests/integration/lib.sh"
command -v logrotate >/dev/null 2>&1 ||
    fail "logrotate is not installed (packaging/deps.sh test)"

# Each line adds 1 to the mismatches counter.
line='{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":1,"missingInDb":0,"missingOnExchange":0,"msg":"reconciliation completed"}'

counted() {
	got=$(curl -sf "http://127.0.0.1:$port/metrics" |
	    sed -n 's/^bytelyst_bot_reconciliation_mismatches_total{.*} //p')
	[ "$got" = "$1" ]
}

# write N: the bot writes N lines through its open descriptor.
write() {
	i=0
	while [ "$i" -lt "$1" ]; do
		printf '%s\n' "$line" >&3
		i=$((i + 1))
	done
}

# expect N: the exporter reaches N and stays there.
expect() {
	wait_until 10 counted "$1" ||
	    fail "$style: expected $1 lines counted, got '$got'"
	sleep 0.5
	counted "$1" || fail "$style: $1 lines counted, then '$got'"
}

for style in create copytruncate; do
	d=$T/$style
	mkdir "$d"
	# The example, on this directory, without the bot's user (absent here)
	# and without signalling a bot: this test reopens the file itself.
	sed -e "s|/var/log/bytelyst/|$d/|" \
	    -e 's/^\([[:space:]]*create 0640\) .*/\1/' \
	    -e '/^[[:space:]]*su /d' \
	    -e 's/^\([[:space:]]*\)systemctl .*/\1true/' \
	    "$TOP/packaging/logrotate/bytelyst-$style" >"$d/logrotate.conf"
	grep -q "^[[:space:]]*$style" "$d/logrotate.conf" ||
	    fail "$style: the example lost its style"
	grep -q "$d/\*\.log" "$d/logrotate.conf" || fail "$style: path not set"

	exec 3>>"$d/bot.log"
	port=$(free_port)
	"$LOGMETRICS" -r "$TOP/rules/bytelyst.rules" -l "127.0.0.1:$port" \
	    "$d/*.log" 2>"$d/err" &
	track_pid $!
	wait_until 10 curl -sf "http://127.0.0.1:$port/-/ready" ||
	    fail "$style: not ready: $(cat "$d/err")"

	write 100
	expect 100
	# Fewer lines each round: a truncated file never regrows to the size
	# the exporter had read, which copytruncate could not tell apart from
	# no change at all.
	for round in 1 2; do
		logrotate -s "$d/state" -f "$d/logrotate.conf" ||
		    fail "$style: logrotate round $round"
		[ -f "$d/bot.log.1" ] || fail "$style: no bot.log.1"
		# Before the bot reopens: into bot.log.1 (create) or into the
		# truncated bot.log (copytruncate, O_APPEND).
		write $((15 - 5 * round))
		[ "$style" = copytruncate ] || exec 3>>"$d/bot.log"
		write $((60 - 10 * round))
	done
	expect 205
	[ -f "$d/bot.log.2.gz" ] || fail "$style: no bot.log.2.gz"
	exec 3>&-
	if [ "$style" = create ]; then
		expect_eq "$style: lines in the rotations" 205 \
		    "$( (gzip -dc "$d/bot.log.2.gz"; cat "$d/bot.log.1" "$d/bot.log") |
		    wc -l | tr -d ' ')"
	fi
done
