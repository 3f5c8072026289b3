# The options as a person meets them: --help lists every option of the
# man page under its group with its default; a misspelt flag is named
# with the nearest one in two lines at most; a bad value names the flag,
# the value and what it takes, for each kind of argument. Exit status 2
# for each, as EXIT STATUS says.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
page=$TOP/man/logmetrics.1

"$lm" --help >"$T/help" 2>"$T/err" || fail "--help exits 0"
[ -s "$T/err" ] && fail "--help writes to stderr: $(cat "$T/err")"
"$lm" -h | cmp -s - "$T/help" || fail "-h is --help"
head -n 1 "$T/help" | grep -q '^usage: logmetrics \[options\] -r rules file \.\.\.$' ||
    fail "--help starts with the usage: $(head -n 1 "$T/help")"
for g in Modes Input Matching Output "HTTP and security" State Limits; do
	grep -qx "$g:" "$T/help" || fail "--help has no group $g"
done

# Every .It of the page's OPTIONS is in --help, in the group of its .Ss,
# with the default its first sentence gives.
sed -n '/^\.Sh OPTIONS/,/^\.Sh [^O]/p' "$page" >"$T/options"
n=0
while IFS= read -r line; do
	case "$line" in
	.Ss\ *) group=${line#.Ss } ;;
	.It\ Fl\ *)
		long=$(echo "$line" | grep -o 'Fl \\-[a-z-]*' | sed 's/Fl \\-/--/')
		[ -n "$long" ] || continue
		n=$((n + 1))
		# The group the option is listed under in --help.
		g=$(awk -v f="$long" '/^[A-Z].*:$/ { g = $0 }
		    $0 ~ "^  (-[a-zA-Z], |    )" f "( |$)" { print g }' "$T/help")
		expect_eq "group of $long" "$group:" "$g"
		first=1
		;;
	*)
		if [ "${first:-0}" = 1 ]; then
			d=$(echo "$line" | sed -n 's/.*(default \([^,)]*\).*/\1/p')
			if [ -n "$d" ]; then
				awk -v f="$long" '
				    $0 ~ "^  (-[a-zA-Z], |    )" f "( |$)" { on = 1; print; next }
				    on && substr($0, 1, 30) ~ /^ +$/ { print; next } { on = 0 }' \
				    "$T/help" | tr -s ' \n' ' ' |
				    grep -qF -e "(default $d)" -e "(default $d," ||
				    fail "--help shows $long without (default $d)"
			fi
			case "$line" in *.) first=0 ;; esac
		fi
		;;
	esac
done <"$T/options"
[ "$n" -ge 30 ] || fail "only $n options found in the page"
expect_eq "options in --help" "$n" \
    "$(grep -c '^  \(-[a-zA-Z], \|    \)--[a-z]' "$T/help")"

# errors FLAG... : runs logmetrics with the flags, expects status 2 and
# at most two lines on stderr, nothing on stdout; leaves them in $T/err.
errors() {
	set +e
	"$lm" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	expect_eq "exit status of $*" 2 "$rc"
	[ -s "$T/out" ] && fail "$* writes to stdout: $(cat "$T/out")"
	[ "$(wc -l <"$T/err")" -le 2 ] ||
	    fail "$* says more than two lines: $(cat "$T/err")"
	grep -q usage "$T/err" && fail "$* prints the usage: $(cat "$T/err")"
	return 0
}
said() { # TEXT: the first line of stderr is TEXT
	expect_eq "message" "$1" "$(head -n 1 "$T/err")"
}

errors --listn :5000 -r "$rules" x
said "logmetrics: unknown option --listn; did you mean --listen?"
errors -r "$rules" --one-shto x
said "logmetrics: unknown option --one-shto; did you mean --one-shot?"
# The unique start of an option is the option, as getopt_long takes it.
errors --max-line-byte=10 -r "$rules" x
said "logmetrics: --max-line-bytes: '10' is not a size from 64 to 1GiB (bytes, or with KiB, MiB or GiB)"
errors --frobnicate -r "$rules" x
said "logmetrics: unknown option --frobnicate"
errors --max 10 -r "$rules" x
grep -q '^logmetrics: --max is the start of 6 options: --max-connections .*--max-watched-dirs$' \
    "$T/err" || fail "ambiguous --max: $(cat "$T/err")"
errors -check -r "$rules"
said "logmetrics: unknown option -check; did you mean --check?"
errors -listen :5000 -r "$rules" x
said "logmetrics: unknown option -listen; did you mean --listen?"
errors -x -r "$rules" x
said "logmetrics: unknown option -x"
errors -r "$rules" x --listen
said "logmetrics: --listen takes a value: --listen [addr]:port"
errors x -r
said "logmetrics: -r takes a value: -r rules"
errors --one-shot=yes -r "$rules" x
said "logmetrics: --one-shot takes no value"

# A bad value of each kind: number, duration, size, address, time, and
# the words of --format and --log-level.
errors --max-series 10k -r "$rules" x
said "logmetrics: --max-series: '10k' is not a number from 0 to 4294967296"
errors --timeout 0 -r "$rules" x
said "logmetrics: --timeout: '0' is not a number from 1 to 3600"
errors --poll-interval 5 -r "$rules" --state-interval 2d x
said "logmetrics: --state-interval: '2d' is not a duration (e.g. 500ms, 2s, 1m)"
errors --max-line-bytes 4MB -r "$rules" x
said "logmetrics: --max-line-bytes: '4MB' is not a size from 64 to 1GiB (bytes, or with KiB, MiB or GiB)"
errors --max-label-bytes 2MiB -r "$rules" x
said "logmetrics: --max-label-bytes: '2MiB' is not a size from 16 to 1MiB (bytes, or with KiB, MiB or GiB)"
errors --listen 5000 -r "$rules" x
said "logmetrics: --listen: listen address \"5000\": missing \":PORT\" (takes [addr]:port, such as :5000 or 127.0.0.1:5000)"
errors --listen ::1:5000 -r "$rules" x
said "logmetrics: --listen: listen address \"::1:5000\": IPv6 addresses go in brackets, as in \"[::1]:9100\" (takes [addr]:port, such as :5000 or 127.0.0.1:5000)"
errors --listen 127.0.0.1:65536 -r "$rules" x
said "logmetrics: --listen: listen address \"127.0.0.1:65536\": invalid port \"65536\" (takes [addr]:port, such as :5000 or 127.0.0.1:5000)"
errors --one-shot --now yesterday -r "$rules" x
said "logmetrics: --now: 'yesterday' is neither Unix seconds nor an RFC 3339 time"
errors --one-shot --format json -r "$rules" x
said "logmetrics: --format: expected text or openmetrics, found 'json'"
errors --log-level loud -r "$rules" x
said "logmetrics: --log-level: expected error, warn, info or debug, found 'loud'"

# Sizes and durations in every unit are taken: a line of 70 bytes is
# skipped with --max-line-bytes 64 and read with 1KiB.
printf '%s\n' '{"level":50,"severity":"ERROR","type":"X","msg":"a long enough line"}' \
    >"$T/one.log"
"$lm" --one-shot --max-line-bytes 64 -r "$rules" "$T/one.log" >"$T/small" \
    2>"$T/small.err"
"$lm" --one-shot --max-line-bytes 1KiB -r "$rules" "$T/one.log" >"$T/big" \
    2>"$T/big.err"
grep -q 'one.log: 1 lines longer than 64 bytes skipped' "$T/small.err" ||
    fail "64 bytes: the line is too long: $(cat "$T/small.err")"
[ -s "$T/big.err" ] && fail "1KiB: the line is read: $(cat "$T/big.err")"
cmp -s "$T/small" "$T/big" && fail "1KiB: the line counts"
"$lm" --check --max-line-bytes 1MiB --poll-interval 250ms \
    --state-interval 1m --series-expiry 1h -r "$rules" >/dev/null ||
    fail "durations and sizes in their units"
