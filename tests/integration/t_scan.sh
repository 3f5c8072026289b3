# The two JSON scanners (LOGMETRICS_SCAN=simd, the default, and scalar,
# the reference) write the same bytes: over every fixture, a generated log
# with every hazard, and the pino-http log whose fields are nested, in
# text and OpenMetrics. Any other value is refused with exit status 2.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
fx=$TOP/tests/fixtures
source_log 40000 71

# same NAME ARGS...: the output of ARGS with each scanner, byte for byte.
same() {
	name=$1
	shift
	for sc in simd scalar; do
		LOGMETRICS_SCAN=$sc "$LOGMETRICS" --one-shot "$@" \
		    >"$T/$name.$sc" 2>"$T/$name.err.$sc" ||
		    fail "$name with $sc: exit status $?"
	done
	cmp "$T/$name.simd" "$T/$name.scalar" ||
	    fail "$name: the scanners count otherwise"
	cmp "$T/$name.err.simd" "$T/$name.err.scalar" ||
	    fail "$name: the scanners say otherwise"
	[ "$(grep -c . "$T/$name.simd")" -gt 10 ] || fail "$name: few samples"
}

r=$fx/rotated
same fixtures -r "$rules" "$fx/bot-small.log" "$fx/bot-iso.log" \
    "$fx/hazards.log" "$r/bot.log" "$r/bot.log.1" "$r/bot.log.2.gz" \
    "$r/bot.log.3.gz"
same hazards -r "$rules" "$T/source.log"
same hazards-om --format openmetrics -r "$rules" "$T/source.log"
same pino -r "$TOP/rules/http.rules" "$fx/pino-http.log"
same pino-om --format openmetrics -r "$TOP/rules/http.rules" \
    "$fx/pino-http.log"

if LOGMETRICS_SCAN=avx2 "$LOGMETRICS" --check -r "$rules" 2>"$T/err"; then
	fail "LOGMETRICS_SCAN=avx2 accepted"
else
	[ $? -eq 2 ] || fail "LOGMETRICS_SCAN=avx2: exit status not 2"
fi
grep -q "LOGMETRICS_SCAN: 'avx2' is not simd or scalar" "$T/err" ||
    fail "LOGMETRICS_SCAN=avx2: $(cat "$T/err")"
