# The JSON scanners (LOGMETRICS_SCAN=simd, the default; scalar, the
# reference; and each vector one the machine has: sse2 and avx2 on amd64,
# neon on arm64) write the same bytes: over every fixture, a generated log
# with every hazard, and the pino-http log whose fields are nested, in
# text and OpenMetrics. An unknown name, or a scanner the machine does not
# have, is refused with exit status 2.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
fx=$TOP/tests/fixtures
source_log 40000 71

case $(uname -m) in
x86_64) scanners="scalar simd sse2" missing=neon
	grep -qw avx2 /proc/cpuinfo && scanners="$scanners avx2" ;;
aarch64) scanners="scalar simd neon" missing=sse2 ;;
*) scanners="scalar simd" missing=sse2 ;;
esac

# same NAME ARGS...: the output of ARGS with each scanner, byte for byte.
same() {
	name=$1
	shift
	for sc in $scanners; do
		LOGMETRICS_SCAN=$sc "$LOGMETRICS" --one-shot "$@" \
		    >"$T/$name.$sc" 2>"$T/$name.err.$sc" ||
		    fail "$name with $sc: exit status $?"
		cmp "$T/$name.$sc" "$T/$name.scalar" ||
		    fail "$name: $sc counts otherwise"
		cmp "$T/$name.err.$sc" "$T/$name.err.scalar" ||
		    fail "$name: $sc says otherwise"
	done
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

# refused VALUE MESSAGE: LOGMETRICS_SCAN=VALUE exits 2 saying MESSAGE.
refused() {
	if LOGMETRICS_SCAN=$1 "$LOGMETRICS" --check -r "$rules" 2>"$T/err"; then
		fail "LOGMETRICS_SCAN=$1 accepted"
	else
		[ $? -eq 2 ] || fail "LOGMETRICS_SCAN=$1: exit status not 2"
	fi
	grep -qF "LOGMETRICS_SCAN: $2" "$T/err" ||
	    fail "LOGMETRICS_SCAN=$1: $(cat "$T/err")"
}
refused avx9 "'avx9' is not simd, scalar, sse2, avx2 or neon"
refused $missing "no $missing scanner on this machine"
