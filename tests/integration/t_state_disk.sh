# The state file's health is visible: saves counted by result and the
# time of the last good one. On a small tmpfs that fills up, saves fail,
# the error count rises, the failure is logged once and the daemon goes
# on counting; once room is back the next save succeeds, and a restart
# from it after kill -9 is exact.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
[ "$(id -u)" -eq 0 ] || fail "mounting a tmpfs needs root, as CI runs"
source_log 2000 47
head -n 1000 "$T/source.log" >"$T/part1"
sed -n '1001,1500p' "$T/source.log" >"$T/part2"
sed -n '1501,2000p' "$T/source.log" >"$T/part3"
mkdir -p "$T/log" "$T/disk"
mount -t tmpfs -o size=1m tmpfs "$T/disk" || fail "cannot mount a tmpfs"
track_mount "$T/disk"
: >"$T/log/bot.log"
state="--state-file $T/disk/state --state-interval 200ms"

saves() {
	scrape | sed -n "s/^logmetrics_state_saves_total{result=\"$1\"} //p"
}
more_saves() {
	[ "$(saves "$1")" -gt "$2" ]
}

daemon_start -r "$rules" $state "$T/log/bot.log"
cat "$T/part1" >>"$T/log/bot.log"
expect_oracle "first lines" "$T/part1"
wait_until 10 more_saves ok 1 || fail "no save counted: $(scrape | grep state_)"
expect_eq "no error yet" 0 "$(saves error)"
t0=$(scrape | sed -n 's/^logmetrics_state_last_save_timestamp_seconds //p')
[ -n "$t0" ] || fail "no last save time"

# The disk fills up: saves fail, counting goes on.
dd if=/dev/zero of="$T/disk/fill" bs=4096 2>/dev/null || true
cat "$T/part2" >>"$T/log/bot.log"
expect_oracle "with the disk full" "$T/part1" "$T/part2"
wait_until 10 more_saves error 0 ||
    fail "failed saves not counted: $(scrape | grep state_)"
ok=$(saves ok)
sleep 1
expect_eq "no save while full" "$ok" "$(saves ok)"
expect_eq "the failure logged once" 1 \
    "$(grep -c "cannot save the state to $T/disk/state" "$DERR")"
errors=$(saves error)

# Room again: the next save succeeds, and a restart from it is exact.
rm "$T/disk/fill"
wait_until 10 more_saves ok "$ok" ||
    fail "no save once room is back: $(scrape | grep state_)"
grep -q "state saved to $T/disk/state again" "$DERR" ||
    fail "recovery not logged: $(tail -n 3 "$DERR")"
t1=$(scrape | sed -n 's/^logmetrics_state_last_save_timestamp_seconds //p')
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b > a) }' ||
    fail "last save time did not move: $t0, $t1"
echo "saves: $(saves ok) ok, $(saves error) failed while the disk was full"
[ "$errors" -ge 1 ] || fail "no error"
daemon_kill
cat "$T/part3" >>"$T/log/bot.log"
daemon_start -r "$rules" $state "$T/log/bot.log"
expect_oracle "restart after the disk filled up" "$T/part1" "$T/part2" \
    "$T/part3"
daemon_stop
