# Slow and idle clients must not starve the scrape. 500 slowloris clients
# from 127.0.0.1 (a header byte a second each, reconnecting when shut
# out) while Prometheus-like scrapes come from 127.0.0.2: with the default
# limits one address holds at most --per-ip-connections of them and every
# scrape answers fast. Then the limits are raised so all 500 stay open,
# idle, and the scrape latency is measured with them (p50, p99, max).
. "$TOP/tests/integration/lib.sh"
rules=$TOP/rules/bytelyst.rules
unset NODE_ENV PAPER_TRADING
mkdir -p "$T/log"
: >"$T/log/bot.log"

cat >"$T/flood.py" <<'EOF'
import socket, sys, threading, time

port, nflood, mode, duration = (int(sys.argv[1]), int(sys.argv[2]),
                                sys.argv[3], float(sys.argv[4]))
stop = threading.Event()
lock = threading.Lock()
socks = []
stats = {"reconnects": 0}

def dial(src):
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def alive(s):
    """Whether the server has not closed s."""
    s.setblocking(False)
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)
        s.settimeout(5)

def open_one():
    s = dial("127.0.0.1")
    if mode == "slowloris":
        s.send(b"GET /metrics HTTP/1.1\r\nHost: t\r\nX-Slow: ")
    return s

def flood():
    """Keeps nflood connections open; slowloris ones send a byte a second."""
    while not stop.is_set():
        for i in range(nflood):
            s = socks[i]
            ok = alive(s)
            if ok and mode == "slowloris":
                try:
                    s.send(b"a")
                except OSError:
                    ok = False
            if not ok:
                s.close()
                try:
                    socks[i] = open_one()
                except OSError:
                    socks[i] = dial("127.0.0.1")
                with lock:
                    stats["reconnects"] += 1
        stop.wait(1.0)

def scrape():
    t0 = time.monotonic()
    s = dial("127.0.0.2")
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return time.monotonic() - t0, data.startswith(b"HTTP/1.1 200 ")

for i in range(nflood):
    socks.append(open_one())
th = threading.Thread(target=flood)
th.start()
time.sleep(1.5)
lat, ok = [], 0
end = time.monotonic() + duration
while time.monotonic() < end:
    try:
        t, good = scrape()
    except OSError:
        t, good = 5.0, False
    lat.append(t)
    ok += good
    time.sleep(0.02)
stop.set()
th.join()
held = sum(1 for s in socks if alive(s))
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print("scrapes=%d ok=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f held=%d "
      "reconnects=%d" % (len(lat), ok, pct(0.50), pct(0.99), lat[-1] * 1000,
                         held, stats["reconnects"]))
for s in socks:
    s.close()
EOF

# field NAME: the value of NAME= in the flood's report.
field() {
	tr ' ' '\n' <"$T/report" | sed -n "s/^$1=//p"
}
# under LIMIT_MS FIELD: the field's value is below the limit.
under() {
	awk -v v="$(field "$2")" -v l="$1" 'BEGIN { exit !(v < l) }' ||
	    fail "$2 = $(field "$2") ms, over $1 ms: $(cat "$T/report")"
}

# 1. The defaults (256 connections, 8 per address, 10 s timeout).
daemon_start -r "$rules" "$T/log/bot.log"
python3 "$T/flood.py" "$PORT" 500 slowloris 3 >"$T/report" ||
    fail "flood client failed"
echo "slowloris x500, default limits: $(cat "$T/report")"
[ "$(field scrapes)" -ge 20 ] || fail "too few scrapes: $(cat "$T/report")"
expect_eq "every scrape answered 200" "$(field scrapes)" "$(field ok)"
[ "$(field held)" -le 8 ] ||
    fail "one address held more than 8: $(cat "$T/report")"
[ "$(field held)" -ge 6 ] ||
    fail "the flood did not fill its share: $(cat "$T/report")"
[ "$(field reconnects)" -gt 0 ] || fail "nobody was shut out"
under 1000 p99_ms
daemon_stop

# 2. Limits raised: 500 idle connections really open.
daemon_start -r "$rules" --max-connections 600 --per-ip-connections 600 \
    --timeout 60 "$T/log/bot.log"
python3 "$T/flood.py" "$PORT" 500 idle 3 >"$T/report" ||
    fail "flood client failed"
echo "idle x500 held open: $(cat "$T/report")"
expect_eq "all 500 idle connections open" 500 "$(field held)"
expect_eq "none shut out" 0 "$(field reconnects)"
expect_eq "every scrape answered 200" "$(field scrapes)" "$(field ok)"
under 1000 p99_ms
daemon_stop
