# HTTPS and basic authentication from --web-config, driven with curl: a
# certificate made here, bcrypt hashes made here with libcrypt; the right
# user gets the metrics, anyone else 401 with a challenge, plain HTTP to
# the TLS port gets nothing, and bad configuration files stop the start
# with exit status 2 and the place of the error.
. "$TOP/tests/integration/lib.sh"
lm=$LOGMETRICS
rules=$TOP/rules/bytelyst.rules
unset NODE_ENV PAPER_TRADING
command -v openssl >/dev/null || fail "openssl is needed to make a test certificate"
mkdir -p "$T/web/certs" "$T/log"

# A self-signed certificate for 127.0.0.1, relative to the config's dir.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$T/web/certs/key.pem" -out "$T/web/certs/cert.pem" -days 2 \
    -subj /CN=logmetrics-test -addext subjectAltName=IP:127.0.0.1 \
    2>"$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"

# bcrypt hashes as htpasswd makes them ($2y$), from libcrypt.
alice=$(bcrypt_hash 10 'open sesame')
bob=$(bcrypt_hash 5 'b:o:b')
case $alice in '$2y$10$'*) ;; *) fail "bad hash: $alice" ;; esac

cat >"$T/web/web.yml" <<EOF
# as the Prometheus exporter toolkit writes it
tls_server_config:
  cert_file: certs/cert.pem
  key_file: certs/key.pem
  client_auth_type: NoClientCert
http_server_config:
  http2: false
basic_auth_users:
  alice: $alice
  "bob": '$bob'
EOF

printf '%s\n' '{"level":40,"time":1764020763412,"component":"reconciliation","mismatches":3,"missingInDb":1,"missingOnExchange":0,"msg":"reconciliation completed"}' \
    >"$T/log/bot.log"
port=$(free_port)
"$lm" -r "$rules" -l "127.0.0.1:$port" --from-start \
    --web-config "$T/web/web.yml" "$T/log/bot.log" 2>"$T/daemon.err" &
track_pid $!
url=https://127.0.0.1:$port
tls="--cacert $T/web/certs/cert.pem"
wait_until 10 curl -sf $tls -u 'alice:open sesame' "$url/-/ready" ||
    fail "daemon not ready: $(cat "$T/daemon.err")"

# The right users: 200 and the metrics, over TLS 1.3 and 1.2.
# shellcheck disable=SC2086
status() {
	curl -s $tls -o "$T/body" -D "$T/head" -w '%{http_code}' "$@"
}
expect_eq "alice" 200 "$(status -u 'alice:open sesame' "$url/metrics")"
grep -q '^bytelyst_bot_reconciliation_mismatches_total{.*} 3$' "$T/body" ||
    fail "metrics missing: $(head -c 300 "$T/body")"
promcheck "$T/body"
expect_eq "bob, password with colons" 200 \
    "$(status -u 'bob:b:o:b' "$url/metrics")"
expect_eq "TLS 1.2" 200 \
    "$(status --tls-max 1.2 -u 'alice:open sesame' "$url/-/healthy")"
expect_eq "again (remembered password)" 200 \
    "$(status -u 'alice:open sesame' "$url/")"

# Anyone else: 401 with the challenge, on every path.
check_401() {
	what=$1
	shift
	expect_eq "401 for $what" 401 "$(status "$@")"
	grep -qi '^WWW-Authenticate: Basic realm="logmetrics"' "$T/head" ||
	    fail "no challenge for $what: $(cat "$T/head")"
	expect_eq "401 body for $what" Unauthorized "$(cat "$T/body")"
}
check_401 "a wrong password" -u 'alice:open' "$url/metrics"
check_401 "a longer password" -u 'alice:open sesame!' "$url/metrics"
check_401 "an unknown user" -u 'mallory:open sesame' "$url/metrics"
check_401 "bob, part of his password" -u 'bob:b' "$url/metrics"
check_401 "the name in capitals" -u 'Alice:open sesame' "$url/metrics"
check_401 "a bearer token" -H 'Authorization: Bearer x' "$url/metrics"
check_401 "no credentials" "$url/metrics"
for p in / /-/healthy /-/ready /nosuch; do
	check_401 "$p" "$url$p"
done
check_401 "a POST" -d x "$url/metrics"
expect_eq "POST authenticated" 405 \
    "$(status -u 'alice:open sesame' -d x "$url/metrics")"

# Huge headers are refused over TLS too.
pad=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(status -u 'alice:open sesame' -H "X-Pad: $pad" "$url/metrics") || true
[ "$code" != 200 ] || fail "a 20 kB header was served"

# Plain HTTP to the TLS port: no answer at all.
if curl -s -o "$T/plain" "http://127.0.0.1:$port/metrics"; then
	fail "plain HTTP answered: $(head -c 200 "$T/plain")"
fi
# Nor an unverified certificate to a client that checks.
if curl -s -o /dev/null "$url/-/healthy"; then
	fail "a client accepted the self-signed certificate unasked"
fi
# Still serving after all that.
expect_eq "still serving" 200 "$(status -u 'alice:open sesame' "$url/-/ready")"
grep -q "web.yml:7:3: http_server_config: http2 is ignored: the server speaks HTTP/1.1" "$T/daemon.err" ||
    fail "no warning for http2: $(cat "$T/daemon.err")"

# Bad configuration files: exit status 2, FILE:LINE:COL and the reason.
bad() {
	name=$1
	want=$2
	cat >"$T/web/$name"
	rc=0
	timeout 10 "$lm" -r "$rules" -l 127.0.0.1:0 \
	    --web-config "$T/web/$name" "$T/log/bot.log" 2>"$T/bad.err" || rc=$?
	expect_eq "exit status for $name" 2 "$rc"
	grep -qF -- "$want" "$T/bad.err" ||
	    fail "$name: wanted '$want' in: $(cat "$T/bad.err")"
}
bad unknown.yml "$T/web/unknown.yml:2:1: unknown key \"basic_auth_user\"" <<EOF
tls_server_config: {cert_file: certs/cert.pem, key_file: certs/key.pem}
basic_auth_user:
  alice: $alice
EOF
bad hash.yml "$T/web/hash.yml:2:10: basic_auth_users: \"alice\": not a bcrypt hash" <<'EOF'
basic_auth_users:
  alice: open sesame
EOF
bad nocert.yml "$T/web/nocert.yml:2:14: cert_file \"$T/web/nosuch.pem\": No such file or directory" <<'EOF'
tls_server_config:
  cert_file: nosuch.pem
  key_file: certs/key.pem
EOF
bad mtls.yml "$T/web/mtls.yml:4:21: client_auth_type \"RequireAndVerifyClientCert\" is not supported" <<'EOF'
tls_server_config:
  cert_file: certs/cert.pem
  key_file: certs/key.pem
  client_auth_type: RequireAndVerifyClientCert
EOF
bad syntax.yml "$T/web/syntax.yml:3:1: did not find expected ',' or '}'" <<'EOF'
basic_auth_users: {alice: x,
  bob: y
EOF
bad swapped.yml "$T/web/swapped.yml:2:14: cert_file \"$T/web/certs/key.pem\": no PEM certificate in it" <<'EOF'
tls_server_config:
  cert_file: certs/key.pem
  key_file: certs/cert.pem
EOF
rm -f "$T/web/gone.yml"
rc=0
timeout 10 "$lm" -r "$rules" -l 127.0.0.1:0 \
    --web-config "$T/web/gone.yml" "$T/log/bot.log" 2>"$T/bad.err" || rc=$?
expect_eq "exit status for a missing file" 2 "$rc"
grep -qF "$T/web/gone.yml: No such file or directory" "$T/bad.err" ||
    fail "missing file: $(cat "$T/bad.err")"
