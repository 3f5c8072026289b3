# One-shot mode on 1, 2 and 7 threads writes the same bytes: over every
# fixture, a generated log with every hazard cut into rotations with
# gzip, Docker's json-file, files with path labels, standard input; in
# text and OpenMetrics, and as a backfill history with --step (lines
# without a time among them, before the first time too); with a series
# cap reached in every block; and a log whose gauge is set on both sides
# of every block's edge, whose float sums depend on the order they add
# in. A history stopped by a wrong time stops alike.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
fx=$TOP/tests/fixtures

# same NAME ARGS...: the output of ARGS on 1, 2 and 7 threads, compared
# byte for byte, and the messages too.
same() {
	name=$1
	shift
	for n in 1 2 7; do
		"$LOGMETRICS" --one-shot --threads "$n" "$@" \
		    >"$T/$name.$n" 2>"$T/$name.err.$n" ||
		    fail "$name on $n threads: exit status $?:" \
		    "$(cat "$T/$name.err.$n")"
	done
	for n in 2 7; do
		cmp "$T/$name.1" "$T/$name.$n" ||
		    fail "$name: $n threads write otherwise than 1"
		cmp "$T/$name.err.1" "$T/$name.err.$n" ||
		    fail "$name: $n threads say otherwise than 1"
	done
	[ "$(grep -c . "$T/$name.1")" -gt 10 ] || fail "$name: few samples"
}

r=$fx/rotated
same fixtures -r "$rules" "$fx/bot-small.log" "$fx/bot-iso.log" \
    "$fx/hazards.log" "$r/bot.log" "$r/bot.log.1" "$r/bot.log.2.gz" \
    "$r/bot.log.3.gz"
same fixtures-om --format openmetrics -r "$rules" "$fx/hazards.log" \
    "$r/bot.log" "$r/bot.log.1" "$r/bot.log.2.gz" "$r/bot.log.3.gz"
same pino -r "$TOP/rules/http.rules" "$fx/pino-http.log"
same pino-om --format openmetrics -r "$TOP/rules/http.rules" \
    "$fx/pino-http.log"

# A generated log with every hazard, as a rotation chain with gzip, long
# enough for many blocks; it counts as the one file it was cut from.
source_log 120000 33
mkdir "$T/rot"
split -n l/4 -d -a 1 "$T/source.log" "$T/rot/part"
gzip -c "$T/rot/part0" >"$T/rot/bot.log.3.gz"
gzip -c "$T/rot/part1" >"$T/rot/bot.log.2.gz"
mv "$T/rot/part2" "$T/rot/bot.log.1"
mv "$T/rot/part3" "$T/rot/bot.log"
same chain -r "$rules" "$T/rot/bot.log" "$T/rot/bot.log.1" \
    "$T/rot/bot.log.2.gz" "$T/rot/bot.log.3.gz"
same whole -r "$rules" "$T/source.log"
cmp "$T/chain.1" "$T/whole.1" || fail "the chain counts otherwise than its log"
same chain-om --format openmetrics -r "$rules" "$T/rot/bot.log" \
    "$T/rot/bot.log.1" "$T/rot/bot.log.2.gz" "$T/rot/bot.log.3.gz"
bf="--format openmetrics --step 60s"
# shellcheck disable=SC2086
same chain-bf $bf -r "$rules" "$T/rot/bot.log" "$T/rot/bot.log.1" \
    "$T/rot/bot.log.2.gz" "$T/rot/bot.log.3.gz"
# Standard input, among files.
for n in 1 2 7; do
	"$LOGMETRICS" --one-shot --threads "$n" -r "$rules" - \
	    <"$T/source.log" >"$T/stdin.$n" || fail "stdin: exit status $?"
	cmp "$T/whole.1" "$T/stdin.$n" || fail "stdin on $n threads"
done
# A cap every block reaches: the series admitted are the log's first.
same capped --max-series 3 -r "$rules" "$T/source.log"
grep -q 'updates dropped: more than 3 series' "$T/capped.err.1" ||
    fail "the cap was not reached: $(cat "$T/capped.err.1")"

# Docker's json-file, its records joined from pieces.
source_log_long 20000 61
mkdir "$T/d"
python3 "$TOP/tests/integration/dockerlog.py" write "$T/source.log" "$T/d" \
    2000000 4 >/dev/null
same docker -r "$rules" "docker:$T/d/c-json.log" "docker:$T/d/c-json.log.1" \
    "docker:$T/d/c-json.log.2.gz" "docker:$T/d/c-json.log.3.gz"
# shellcheck disable=SC2086
same docker-bf $bf -r "$rules" "docker:$T/d/c-json.log" \
    "docker:$T/d/c-json.log.1" "docker:$T/d/c-json.log.2.gz" \
    "docker:$T/d/c-json.log.3.gz"
# The same lines as a plain file: those without a time the rules read
# count where they stand; those before the first time wait for it.
grep -v '"time"' "$T/source.log" | head -n 300 >"$T/early.log"
cat "$T/source.log" >>"$T/early.log"
# shellcheck disable=SC2086
same early-bf $bf -r "$rules" "$T/early.log"

# A time too far on stops the history, on any number of threads alike.
head -n 20000 "$T/early.log" >"$T/wrong.log"
echo '{"level":30,"time":99764020763412,"component":"scheduler","msg":"x"}' \
    >>"$T/wrong.log"
cat "$T/source.log" >>"$T/wrong.log"
for n in 1 2 7; do
	# shellcheck disable=SC2086
	if "$LOGMETRICS" --one-shot --threads "$n" $bf -r "$rules" \
	    "$T/wrong.log" >"$T/wrong.$n" 2>"$T/wrong.err.$n"; then
		fail "a wrong time on $n threads: no error"
	fi
	grep -q 'line 20001: log time .* steps after the first' \
	    "$T/wrong.err.$n" || fail "wrong time: $(cat "$T/wrong.err.$n")"
	cmp "$T/wrong.err.1" "$T/wrong.err.$n" ||
	    fail "a wrong time on $n threads: said otherwise"
done

# Path labels: each file's initial series come before its lines.
mkdir -p "$T/tree/inst-a" "$T/tree/inst-b"
source_log 30000 34
mv "$T/source.log" "$T/tree/inst-a/bot.log"
source_log 20000 35
mv "$T/source.log" "$T/tree/inst-b/bot.log"
same paths -r "$rules" --path-labels '/(?<instance>inst-[^/]+)/bot\.log$' \
    "$T/tree/inst-a/bot.log" "$T/tree/inst-b/bot.log"
grep -q 'instance="inst-b"' "$T/paths.1" || fail "no path labels"
# A first file whose lines have no time: held, then applied with the
# labels of their own file when the next file's first time comes.
mkdir "$T/tree/inst-0"
grep -v '"time"' "$T/tree/inst-a/bot.log" | head -n 400 >"$T/tree/inst-0/bot.log"
# shellcheck disable=SC2086
same paths-bf $bf -r "$rules" \
    --path-labels '/(?<instance>inst-[^/]+)/bot\.log$' \
    "$T/tree/inst-0/bot.log" "$T/tree/inst-a/bot.log" "$T/tree/inst-b/bot.log"
grep -q 'instance="inst-0"' "$T/paths-bf.1" || fail "no held lines counted"

# A gauge set on both sides of every block's edge and float sums whose
# last digits depend on the order they add in: the gauge ends at the
# last line's value, the sums at one thread's.
cat >"$T/order.rules" <<'EOF'
gauge price
  help "The last price."
counter volume_total
  help "Volume."
  labels pair
histogram fill_seconds
  help "Fills."
  labels pair
  buckets 0.001 0.01 0.1
  native
rule fill
  match pair /^(?<pair>.+)$/
  match price /^(?<price>.+)$/
  match qty /^(?<qty>.+)$/
  set price $price
  add volume_total $qty * $price
  observe fill_seconds $qty / 7000
EOF
python3 - "$T/order.log" <<'PY'
import random, sys
rnd = random.Random(9)
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write('{"pair":"P%d","price":"%.*f","qty":"%.*f","pad":"%s"}\n' % (
            rnd.randrange(5), rnd.randrange(1, 9), rnd.uniform(0.1, 9e4),
            rnd.randrange(0, 7), rnd.uniform(0, 50), "x" * rnd.randrange(80)))
    f.write('{"pair":"P1","price":"12345.678","qty":"1"}\n')
PY
same order -r "$T/order.rules" "$T/order.log"
grep -q '^price 12345.678$' "$T/order.1" || fail "price: $(grep price "$T/order.1")"
same order-om --format openmetrics -r "$T/order.rules" "$T/order.log"
