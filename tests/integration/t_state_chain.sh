# A restart after several rotations made while the daemon was down. For
# logrotate's create (bot.log.N), copytruncate and dateext (bot.log-DATE),
# each also with compress (gzip at once, as without delaycompress) and
# create with delaycompress, and 2, 3 and 5 rotations: lines are appended
# after the state was saved, then the log is rotated that many times with
# lines written between. The restart must count every line once, in
# order: the file the state knew read on from its offset wherever it went
# (gzipped: from that offset of its text), every rotation since read
# whole, oldest first, then the live file. A second round of two
# rotations then checks that files read before the last save are not
# read again.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
source_log 9000 43

# take N: the next N lines of the source, appended to $T/expect.log and
# written to standard output.
next=1
take() {
	sed -n "${next},$((next + $1 - 1))p" "$T/source.log" | tee -a "$T/expect.log"
	next=$((next + $1))
}

# start DIR: the daemon on an empty DIR/bot.log with its state beside
# DIR, then 50 lines written to it; $log and $state name them.
start() {
	log=$1
	mkdir -p "$log"
	: >"$log/bot.log"
	: >"$T/expect.log"
	state="--state-file $log.state"
	daemon_start -r "$rules" $state "$log/bot.log"
	take 50 >>"$log/bot.log"
}

# shift: bot.log.N[.gz] to bot.log.N+1[.gz], oldest first.
shift_numbers() {
	for k in 9 8 7 6 5 4 3 2 1; do
		for z in "" .gz; do
			[ ! -e "$log/bot.log.$k$z" ] ||
			    mv "$log/bot.log.$k$z" "$log/bot.log.$((k + 1))$z"
		done
	done
}

# rotate KIND: one rotation of $log/bot.log, as logrotate does it.
rotate() {
	case $1 in
	create|create+compress|create+delaycompress)
		shift_numbers
		[ "$1" != create+delaycompress ] || [ ! -e "$log/bot.log.2" ] ||
		    gzip "$log/bot.log.2"
		mv "$log/bot.log" "$log/bot.log.1"
		[ "$1" != create+compress ] || gzip "$log/bot.log.1"
		: >"$log/bot.log" ;;
	copytruncate|copytruncate+compress)
		shift_numbers
		cp "$log/bot.log" "$log/bot.log.1"
		: >"$log/bot.log"
		[ "$1" = copytruncate ] || gzip "$log/bot.log.1" ;;
	dateext|dateext+compress)
		stamp=$((stamp + 1))
		mv "$log/bot.log" "$log/bot.log-$stamp"
		[ "$1" = dateext ] || gzip "$log/bot.log-$stamp"
		: >"$log/bot.log" ;;
	esac
}

# down KIND N: rotations while the daemon is stopped, lines before each.
down() {
	take 40 >>"$log/bot.log"
	i=0
	while [ $i -lt "$2" ]; do
		rotate "$1"
		take 30 >>"$log/bot.log"
		i=$((i + 1))
	done
}

for kind in create copytruncate dateext create+compress \
    create+delaycompress copytruncate+compress dateext+compress; do
	for n in 2 3 5; do
		name="$kind x$n"
		stamp=2026120600
		start "$T/$kind-$n"
		expect_oracle "$name, first run" "$T/expect.log"
		daemon_stop
		down "$kind" "$n"
		daemon_start -r "$rules" $state "$log/bot.log"
		expect_oracle "$name: restart" "$T/expect.log"
		grep -q "rotated since" "$DERR" || fail "$name: not logged"
		daemon_stop
		down "$kind" 2
		daemon_start -r "$rules" $state "$log/bot.log"
		expect_oracle "$name: second restart" "$T/expect.log"
		daemon_stop
		echo "$name: $((next - 1)) lines so far, every one counted once"
		rm -rf "$log"
	done
done

# Delete and create again, 2, 3 and 5 times while down: only the last
# file can be read, from its start; the file the state knew is counted
# lost (the ones in between were never known: nothing can count them).
for n in 2 3 5; do
	start "$T/delete-$n"
	expect_oracle "delete x$n, first run" "$T/expect.log"
	daemon_stop
	next=$((next + 40))	# written to the file deleted: never read
	i=0
	while [ $i -lt $n ]; do
		rm "$log/bot.log"
		if [ $i -lt $((n - 1)) ]; then
			sed -n "${next},$((next + 29))p" "$T/source.log" \
			    >"$log/bot.log"
			next=$((next + 30))
		else
			take 30 >"$log/bot.log"
		fi
		i=$((i + 1))
	done
	daemon_start -r "$rules" $state "$log/bot.log"
	expect_oracle "delete x$n: restart" "$T/expect.log"
	expect_eq "delete x$n: files lost" 1 \
	    "$(sample_sum logmetrics_files_lost_total)"
	daemon_stop
	: >"$DERR"
done

# A file of the state deleted while down, and created again: what was
# written to it after the save cannot be read. The loss is said and
# counted, with the bytes it held unread at the save (a line not ended
# then); the new file is read from its start.
start "$T/delete"
printf '{"level":30,"msg":"cut' >>"$log/bot.log"
expect_oracle "delete, first run" "$T/expect.log"
daemon_stop
printf '"}\n' >>"$log/bot.log"
sed -n "${next},$((next + 39))p" "$T/source.log" >>"$log/bot.log"
next=$((next + 40))
rm "$log/bot.log"
take 30 >"$log/bot.log"
daemon_start -r "$rules" $state "$log/bot.log"
expect_oracle "delete: restart" "$T/expect.log"
grep -q "1 file of the state gone while down, with at least 22 bytes not read" \
    "$DERR" || fail "delete: loss not said: $(tail -n 3 "$DERR")"
expect_eq "delete: files lost" 1 "$(sample_sum logmetrics_files_lost_total)"
expect_eq "delete: bytes lost" 22 "$(sample_sum logmetrics_bytes_lost_total)"
daemon_stop
