# --web-config read again when it, its certificate or its key changes,
# while a client scrapes every 100 ms over HTTPS: no scrape fails; the
# new certificate is served within the check interval (2 s) without a
# connection closed; a user added works and a user taken out is refused
# after; a configuration with an error is said with its place, the one in
# use stays and logmetrics_web_config_up_to_date says 0 until it is fixed;
# http_server_config.headers reach the responses.
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
command -v openssl >/dev/null || fail "openssl is needed to make test certificates"
mkdir -p "$T/web" "$T/log"
cert() { # NAME: a self-signed certificate for 127.0.0.1 and its key
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$T/$1.key" -out "$T/$1.crt" -days 2 \
	    -subj "/CN=$1" -addext subjectAltName=IP:127.0.0.1 \
	    2>"$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"
}
cert one
cert two
cat "$T/one.crt" "$T/two.crt" >"$T/both.crt"
alice=$(bcrypt_hash 5 'alice pw')
bob=$(bcrypt_hash 5 'bob pw')

# config CERT USERS [EXTRA]: the web configuration, written as an editor
# or a Kubernetes secret update does: a new file renamed over the old.
config() {
	cp "$T/$1.crt" "$T/web/cert.pem.new" && mv "$T/web/cert.pem.new" "$T/web/cert.pem"
	cp "$T/$1.key" "$T/web/key.pem.new" && mv "$T/web/key.pem.new" "$T/web/key.pem"
	{
		printf 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n'
		printf 'basic_auth_users:\n%s\n' "$2"
		printf '%s' "${3:-}"
	} >"$T/web/web.yml.new"
	mv "$T/web/web.yml.new" "$T/web/web.yml"
}
config one "  alice: '$alice'"
printf '%s\n' '{"level":30,"msg":"x"}' >"$T/log/bot.log"
PORT=$(free_port)
daemon_spawn -r "$rules" --web-config "$T/web/web.yml" "$T/log/bot.log"
u="https://127.0.0.1:$PORT"
get() { # CAFILE USER:PASS [PATH]: the status code
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$1" \
	    -u "$2" "$u${3:-/metrics}"
}
up() { [ "$(get "$T/one.crt" 'alice:alice pw' /-/ready)" = 200 ]; }
wait_until 10 up || fail "not serving: $(tail -n 5 "$DERR")"

# The scraper: every 100 ms, trusting both certificates, as the user in
# $T/user; each status code in $T/codes.
echo 'alice:alice pw' >"$T/user"
(
	while [ ! -e "$T/stop" ]; do
		get "$T/both.crt" "$(cat "$T/user")" >>"$T/codes"
		echo >>"$T/codes"
		sleep 0.1
	done
) &
track_pid $!
sleep 1

# A new certificate, and bob beside alice: served within the interval.
config two "  alice: '$alice'
  bob: '$bob'" "http_server_config:
  headers:
    X-Frame-Options: deny
"
t0=$(date +%s.%N)
newcert() { [ "$(get "$T/two.crt" 'bob:bob pw')" = 200 ]; }
wait_until 5 newcert || fail "the new certificate is not served: $(tail -n 5 "$DERR")"
t1=$(date +%s.%N)
echo "new certificate served after $(echo "$t1 - $t0" | bc) s"
grep -q 'web configuration .*web.yml loaded again: new handshakes get its certificate' \
    "$DERR" || fail "the reload is not said: $(tail -n 5 "$DERR")"
curl -s -o /dev/null -D "$T/h" --cacert "$T/two.crt" -u 'bob:bob pw' "$u/metrics"
grep -qi '^X-Frame-Options: deny' "$T/h" || fail "the configured header: $(cat "$T/h")"
grep -qi '^X-Content-Type-Options: nosniff' "$T/h" || fail "nosniff gone: $(cat "$T/h")"
echo 'bob:bob pw' >"$T/user"
sleep 0.5

# alice taken out: refused after the interval, bob's scrapes go on.
config two "  bob: '$bob'"
alice_out() { [ "$(get "$T/two.crt" 'alice:alice pw')" = 401 ]; }
wait_until 5 alice_out || fail "alice is not refused"

# A configuration with an error: said with its place, the one in use
# stays, the gauge says it is not the one on disk; fixed, it is again.
printf 'basic_auth_users:\n  bob: [\n' >"$T/web/web.yml.new"
mv "$T/web/web.yml.new" "$T/web/web.yml"
said() { grep -q 'web.yml:3:1: .*' "$DERR"; }
wait_until 5 said || fail "the error is not said: $(tail -n 5 "$DERR")"
grep -q 'the web configuration changed and is not used: the one loaded before stays' \
    "$DERR" || fail "$(tail -n 5 "$DERR")"
stale() {
	curl -s --cacert "$T/two.crt" -u 'bob:bob pw' "$u/metrics" |
	    grep -q '^logmetrics_web_config_up_to_date 0$'
}
wait_until 5 stale || fail "the gauge does not say the file on disk is not in use"
expect_eq "bob while the file is broken" 200 "$(get "$T/two.crt" 'bob:bob pw')"
config two "  bob: '$bob'"
fresh() {
	curl -s --cacert "$T/two.crt" -u 'bob:bob pw' "$u/metrics" >"$T/m" &&
	    grep -q '^logmetrics_web_config_up_to_date 1$' "$T/m"
}
wait_until 5 fresh || fail "the fixed file is not loaded"
grep -q '^logmetrics_web_config_reloads_total{result="failure"} 1$' "$T/m" ||
    fail "failures: $(grep web_config "$T/m")"
grep -q '^logmetrics_web_config_reloads_total{result="success"} 3$' "$T/m" ||
    fail "successes: $(grep web_config "$T/m")"

# TLS turned off takes a restart: refused, said, the server goes on.
printf 'basic_auth_users:\n  bob: %s\n' "'$bob'" >"$T/web/web.yml.new"
mv "$T/web/web.yml.new" "$T/web/web.yml"
off() { grep -q 'TLS turned off: that takes a restart' "$DERR"; }
wait_until 5 off || fail "TLS off is not refused: $(tail -n 5 "$DERR")"
expect_eq "bob with TLS still on" 200 "$(get "$T/two.crt" 'bob:bob pw')"

touch "$T/stop"
sleep 0.3
n=$(grep -c . "$T/codes")
[ "$n" -ge 30 ] || fail "only $n scrapes"
bad=$(grep -v '^200$' "$T/codes" | sort | uniq -c | tr '\n' ' ')
[ -z "$bad" ] || fail "of $n scrapes, failed: $bad"
daemon_stop
