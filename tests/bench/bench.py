#!/usr/bin/env python3
"""Measures logmetrics, and mtail beside it when installed, on generated
contract logs, and prints one table. `make bench` runs it on 1,000,000
lines; `make bench-smoke` runs every case once on a tiny corpus so that the
harness keeps working.

usage: bench.py [--lines N] [--runs R] [--dir DIR] [--big] [--smoke]
                [--no-mtail] [--strict] [--poll S] [--only CASE,...]
                [--logmetrics PATH] [--genlog PATH] [--zread PATH]
                [--sjwalk PATH]

Cases (every figure is the median of --runs runs; logmetrics and mtail run
alternately, on the same file):
  oneshot  logmetrics --one-shot (on all cores, then pinned to core 0 with
           taskset) and mtail --one_shot over N lines without hazards (mtail
           stops at the first non-UTF-8 line), then logmetrics over the
           same number of lines with the contract's hazards.
  cores    logmetrics --one-shot on every core the machine has, and
           pinned to core 0 (where it matches on one thread), runs
           alternating (at least 9): over the corpus as one file, and over
           the same lines as a rotated set (bot.log.3.gz, bot.log.2.gz,
           bot.log.1, bot.log, a quarter each); the outputs must be the
           same byte for byte. The ratio is the 1-core median wall time
           over the all-core one.
  json     logmetrics --one-shot (with each JSON scanner, LOGMETRICS_SCAN)
           and simdjson's On-Demand API (build/sjwalk, from
           tests/bench/sjwalk.cpp) walking every record's top-level keys
           and reading the values the rules read, no metric kept, all
           pinned to core 0, runs alternating (at least 9): CPU seconds.
           Skipped when build/sjwalk is missing (make bench builds it).
  gz       logmetrics --one-shot over the same corpus gzip-compressed,
           beside zlib's gzread() (build/zread) and `gzip -dc`; a run
           takes about a second, so this case makes at least 7 (a ratio
           of two medians is steadier than one of single runs).
  memory   peak RSS over N lines, and over the same N lines twice (ten
           times with --big) in one file, which holds the same series:
           flat in lines; and over corpora with more and more distinct
           symbols (--max-series 0): linear in series.
  follow   the daemon on a directory holding an empty bot.log, a writer
           appending the corpus to it as fast as it can, with a
           rename+create rotation halfway; the
           time until the daemon's line counter (logmetrics_lines_read_total
           in /metrics, lines_total in mtail's /debug/vars) reaches the
           lines written, and the latency of every logmetrics scrape made
           meanwhile (one each --poll seconds).
  containers  the follow case over the same corpus as a container
           runtime writes it (tests/integration/dockerlog.py and
           crilog.py: 16 KiB pieces, standard error lines among them),
           read as docker:LOG and cri:LOG, beside the plain file in the
           same runs: records read per second, all of them, and the
           rules' metrics equal to the plain file's.
  paths    logmetrics --one-shot, pinned to core 0, with rules/http.rules
           over N lines of the pino-http fixture repeated (fields nested
           in req and res), beside the same lines with those fields
           copied to the top and rules reading them there: what paths
           into nested values cost. Both must give the same metrics.
  scrape   the daemon holding about 10,000 series: scrape latency, plain
           and gzip-compressed.

Wall time, CPU seconds (user+sys) and peak RSS come from wait4() for the
one-shot cases and from /proc for the daemons. MB are 10^6 bytes of
uncompressed log. Corpora are kept in DIR and made again only when missing
or older than the generator. Exits 1 when a run fails or gives wrong
results; with --strict also when a target of the table is missed.
"""
import argparse
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests"))
import oracle  # noqa: E402  (tests/oracle.py: its protobuf decoder)
RULES = os.path.join(TOP, "rules", "bytelyst.rules")
HTTP_RULES = os.path.join(TOP, "rules", "http.rules")
HTTP_LOG = os.path.join(TOP, "tests", "fixtures", "pino-http.log")
MTAIL_PROG = os.path.join(TOP, "tests", "bench", "bytelyst.mtail")
SEED = 2
SERIES_SEED = 3
GZ_MIN_RUNS = 7
# The Accept header Prometheus 2.x sends, and its compression.
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
               "application/openmetrics-text;version=0.0.1;q=0.75,"
               "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
# What Prometheus asks for with native histograms enabled.
PB_ACCEPT = ("application/vnd.google.protobuf;"
             "proto=io.prometheus.client.MetricFamily;encoding=delimited;"
             "q=0.8,application/openmetrics-text;version=1.0.0;q=0.7,"
             "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def say(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# Corpora -------------------------------------------------------------------

class Corpus:
    """A generated log: its path, lines and bytes."""

    def __init__(self, path, lines):
        self.path = path
        self.lines = lines
        self.bytes = os.path.getsize(path)


def count_lines(path):
    """Lines in a file, a last line without newline included."""
    n = 0
    last = b"\n"
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 22)
            if not block:
                break
            n += block.count(b"\n")
            last = block[-1:]
    return n + (0 if last == b"\n" else 1)


def fresh(path, *sources):
    """Whether path exists and is newer than every source."""
    if not os.path.exists(path):
        return False
    t = os.path.getmtime(path)
    return all(os.path.getmtime(s) <= t for s in sources)


def make_corpus(cfg, lines, seed=SEED, hazards=False, symbols=None,
                profiles=None):
    """Generates (or reuses) the corpus these genlog flags describe."""
    name = "c-n%d-s%d" % (lines, seed)
    argv = [cfg.genlog, "-n", str(lines), "-s", str(seed)]
    if hazards:
        name += "-hz"
        argv.append("--hazards")
    if symbols is not None:
        name += "-sym%d" % symbols
        argv += ["--symbols", str(symbols)]
    if profiles is not None:
        name += "-p%d" % profiles
        argv += ["--profiles", str(profiles)]
    path = os.path.join(cfg.dir, name + ".log")
    if not fresh(path, cfg.genlog):
        say("generating %s" % os.path.basename(path))
        tmp = path + ".tmp"
        with open(tmp, "wb") as out:
            subprocess.run(argv, stdout=out, check=True)
        os.rename(tmp, path)
    c = Corpus(path, lines)
    counted = count_lines(path)
    if counted != lines:
        raise BenchError("%s: %d lines, expected %d" % (path, counted, lines))
    return c


def repeat_corpus(c, times):
    """c's lines times times over in one file (made when stale): more
    lines, the same series."""
    path = c.path[:-len(".log")] + "-x%d.log" % times
    if not fresh(path, c.path):
        say("writing %s" % os.path.basename(path))
        tmp = path + ".tmp"
        with open(c.path, "rb") as f:
            data = f.read()
        with open(tmp, "wb") as out:
            for _ in range(times):
                out.write(data)
        os.rename(tmp, path)
    return Corpus(path, c.lines * times)


def gzip_corpus(c):
    """The gzip -6 compressed twin of corpus c, made when stale."""
    gz = c.path + ".gz"
    if not fresh(gz, c.path):
        say("compressing %s" % os.path.basename(c.path))
        tmp = gz + ".tmp"
        with open(tmp, "wb") as out:
            subprocess.run(["gzip", "-6", "-c", c.path], stdout=out,
                           check=True)
        os.rename(tmp, gz)
    return gz


def split_corpus(c):
    """The two halves of corpus c, cut at a line boundary, for the writer
    of the follow case (the rotation happens between them)."""
    a, b = c.path + ".1st", c.path + ".2nd"
    if fresh(a, c.path) and fresh(b, c.path):
        return a, b
    half = c.lines // 2
    with open(c.path, "rb") as src, open(a, "wb") as fa, \
            open(b, "wb") as fb:
        for i, line in enumerate(src):
            (fa if i < half else fb).write(line)
    return a, b


# Measuring processes ---------------------------------------------------------

class Run:
    """One measured process: wall and CPU seconds, peak RSS in KiB."""

    def __init__(self, wall, cpu, rss_kib):
        self.wall = wall
        self.cpu = cpu
        self.rss = rss_kib


def measure(cfg, argv, out_path, err_path, check=True):
    """Runs argv with stdout to out_path; returns a Run.  Wall time is
    taken here, CPU time from wait4(), which counts the reaped children
    of the child.  The peak RSS comes from GNU time, run in between: a
    process this script starts directly reports at least this script's
    own RSS (Linux keeps the larger of the RSS before and after exec)."""
    tfile = os.path.join(cfg.work, "time.out")
    if cfg.gnutime:
        argv = [cfg.gnutime, "-f", "%M", "-o", tfile] + argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode != 0:
        with open(err_path, "rb") as f:
            tail = f.read()[-2000:].decode(errors="replace")
        raise BenchError("%s exited with %d:\n%s" %
                         (" ".join(argv), p.returncode, tail))
    rss = None
    if cfg.gnutime:
        with open(tfile) as f:
            rss = int(f.read().split()[-1])
    return Run(wall, ru.ru_utime + ru.ru_stime, rss)


def proc_cpu(pid):
    """CPU seconds (user+sys) used so far by a running process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_hwm(pid):
    """Peak RSS of a running process, KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError("no VmHWM for pid %d" % pid)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(p):
    """Stops a process we started, by its PID: TERM, then KILL."""
    if p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def scrape(port, path="/metrics", gz=False, accept=None):
    """GETs a page; returns (status, body, seconds until the whole body
    was read, connection included)."""
    headers = {}
    if gz:
        headers = {"Accept": PROM_ACCEPT, "Accept-Encoding": "gzip"}
    if accept is not None:
        headers["Accept"] = accept
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        dt = time.monotonic() - t0
        if r.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return r.status, body, dt
    finally:
        conn.close()


def counter_sum(body, name):
    """Sum of every sample of metric name in an exposition."""
    total = 0.0
    for line in body.decode(errors="replace").splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in "{ ":
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def logmetrics_lines(body):
    """Lines read, from a logmetrics scrape."""
    return counter_sum(body, "logmetrics_lines_read_total")


def mtail_lines(body):
    """Lines read, from mtail's /debug/vars (cheaper than its /metrics,
    which costs it tens of milliseconds a scrape)."""
    return int(json.loads(body)["lines_total"])


def samples(body):
    """Samples (series) in an exposition."""
    return sum(1 for line in body.decode(errors="replace").splitlines()
               if line and not line.startswith("#"))


def pb_series(body):
    """Series in a protobuf exposition: the metric fields (4) of each
    length-delimited MetricFamily, read by tests/oracle.py's decoder."""
    n = i = 0
    try:
        while i < len(body):
            size, i = oracle.pb_varint(body, i)
            if i + size > len(body):
                raise ValueError("a family is cut")
            n += len(oracle.pb_fields(body[i:i + size]).get(4, []))
            i += size
    except ValueError as e:
        raise BenchError("scrape: not a protobuf exposition: %s" % e)
    return n


def wait_http(p, port, path, what, limit=15.0):
    """Waits until the daemon p answers 200 on path."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if p.poll() is not None:
            raise BenchError("%s exited with %d before answering" %
                             (what, p.returncode))
        try:
            if scrape(port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError("%s did not answer on port %d within %.0f s" %
                     (what, port, limit))


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


# Results ---------------------------------------------------------------------

class Row:
    """One line of the table."""

    def __init__(self, case, lines=None, nbytes=None, runs=None, note=""):
        self.case = case
        self.note = note
        self.ratio = ""
        self.wall = self.cpu = self.rss = None
        self.lines = lines
        self.nbytes = nbytes
        if runs:
            self.wall = statistics.median(r.wall for r in runs)
            self.cpu = statistics.median(r.cpu for r in runs)
            if all(r.rss is not None for r in runs):
                self.rss = statistics.median(r.rss for r in runs)

    def lps(self):
        if self.lines is None or not self.wall:
            return None
        return self.lines / self.wall

    def mbps(self):
        if self.nbytes is None or not self.wall:
            return None
        return self.nbytes / self.wall / 1e6

    def rss_mib(self):
        return None if self.rss is None else self.rss / 1024.0


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def table(rows):
    head = ("case", "lines/s", "MB/s", "CPU s", "RSS MiB", "ratio", "notes")
    cells = [head]
    for r in rows:
        cells.append((r.case, fmt(r.lps(), ",.0f"), fmt(r.mbps(), ".1f"),
                      fmt(r.cpu, ".2f"), fmt(r.rss_mib(), ".1f"), r.ratio,
                      r.note))
    width = [max(len(c[i]) for c in cells) for i in range(len(head) - 1)]
    out = []
    for n, c in enumerate(cells):
        parts = [c[0].ljust(width[0])]
        parts += [c[i].rjust(width[i]) for i in range(1, len(width))]
        out.append("  ".join(parts + [c[-1]]).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in width) + "  -----")
    return "\n".join(out)


def ratio(a, b, unit):
    """a's rate over b's, as text."""
    if a is None or b is None or b == 0:
        return ""
    return "%.2fx %s" % (a / b, unit)


# The cases -------------------------------------------------------------------

def lm_oneshot(cfg, path, tag, pinned=False, extra=()):
    paths = path if isinstance(path, list) else [path]
    argv = [cfg.logmetrics, "--one-shot", "-r", RULES] + list(extra) + paths
    if pinned:
        argv = ["taskset", "-c", "0"] + argv
    out = os.path.join(cfg.work, tag + ".prom")
    err = os.path.join(cfg.work, tag + ".err")
    return measure(cfg, argv, out, err), out


def mtail_oneshot(cfg, path, tag):
    argv = ["mtail", "--one_shot", "--one_shot_format", "prometheus",
            "--logtostderr", "--progs", MTAIL_PROG, "--logs", path]
    out = os.path.join(cfg.work, tag + ".prom")
    err = os.path.join(cfg.work, tag + ".err")
    return measure(cfg, argv, out, err), out


def same_output(a, b, what):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if fa.read() != fb.read():
            raise BenchError("%s: %s and %s differ" % (what, a, b))


def nonempty_metrics(path, name, what):
    with open(path, "rb") as f:
        if counter_sum(f.read(), name) <= 0:
            raise BenchError("%s: no %s in %s" % (what, name, path))


def case_oneshot(cfg, res):
    c = make_corpus(cfg, cfg.lines)
    hz = make_corpus(cfg, cfg.lines, hazards=True)
    lm, pin, mt, haz = [], [], [], []
    for i in range(cfg.runs):
        say("one-shot run %d/%d" % (i + 1, cfg.runs))
        r, out = lm_oneshot(cfg, c.path, "oneshot")
        lm.append(r)
        r, pout = lm_oneshot(cfg, c.path, "oneshot-pinned", pinned=True)
        pin.append(r)
        if i == 0:
            nonempty_metrics(out, "bytelyst_bot_operational_events_total",
                             "one-shot")
            same_output(out, pout, "one-shot pinned and not")
        if cfg.mtail:
            r, mout = mtail_oneshot(cfg, c.path, "oneshot-mtail")
            mt.append(r)
            if i == 0:
                nonempty_metrics(mout,
                                 "bytelyst_bot_operational_events_total",
                                 "mtail one-shot")
        haz.append(lm_oneshot(cfg, hz.path, "oneshot-hazards")[0])
    rows = [Row("one-shot logmetrics", c.lines, c.bytes, lm),
            Row("one-shot logmetrics, 1 core", c.lines, c.bytes, pin,
                note="taskset -c 0"),
            Row("one-shot logmetrics, hazards", hz.lines, hz.bytes, haz,
                note="--hazards corpus (mtail cannot read it)")]
    if mt:
        m = Row("one-shot mtail", c.lines, c.bytes, mt)
        m.ratio = "1.00x mtail"
        for r in rows[:2]:
            r.ratio = ratio(r.lps(), m.lps(), "mtail")
        rows.insert(2, m)
        res.targets.append(("one-shot, 1 core >= 20x mtail",
                            rows[1].lps() / m.lps(), 20.0, ">=", "%.1fx"))
    if rows[1].rss is not None:
        res.targets.append(("one-shot peak RSS <= 8 MiB", rows[1].rss_mib(),
                            8.0, "<=", "%.1f MiB"))
    res.rows += rows
    res.plain = c


CORES_MIN_RUNS = 9


def rotated_corpus(c):
    """c's lines cut in four, as a rotated set whose two older files are
    gzip-compressed (made when stale); the paths, oldest first."""
    d = c.path[:-len(".log")] + "-rotated"
    names = ["bot.log.3.gz", "bot.log.2.gz", "bot.log.1", "bot.log"]
    paths = [os.path.join(d, n) for n in names]
    if all(fresh(p, c.path) for p in paths):
        return paths
    say("writing %s" % os.path.basename(d))
    os.makedirs(d, exist_ok=True)
    with open(c.path, "rb") as f:
        lines = f.readlines()
    cut = [len(lines) * k // 4 for k in range(5)]
    for k, path in enumerate(paths):
        data = b"".join(lines[cut[k]:cut[k + 1]])
        tmp = path + ".tmp"
        if path.endswith(".gz"):
            with gzip.open(tmp, "wb", compresslevel=6) as out:
                out.write(data)
        else:
            with open(tmp, "wb") as out:
                out.write(data)
        os.rename(tmp, path)
    return paths


def case_cores(cfg, res):
    c = res.plain or make_corpus(cfg, cfg.lines)
    cpus = len(os.sched_getaffinity(0))
    sets = [("one file", [c.path]), ("rotated, .gz", rotated_corpus(c))]
    runs = cfg.runs if cfg.smoke else max(cfg.runs, CORES_MIN_RUNS)
    for what, paths in sets:
        tag = "cores-" + what.split(",")[0].replace(" ", "-")
        one, every = [], []
        for i in range(runs):
            say("cores, %s: run %d/%d" % (what, i + 1, runs))
            r, pout = lm_oneshot(cfg, paths, tag + "-1", pinned=True)
            one.append(r)
            r, out = lm_oneshot(cfg, paths, tag + "-n")
            every.append(r)
            if i == 0:
                nonempty_metrics(out, "bytelyst_bot_operational_events_total",
                                 "cores, " + what)
                same_output(pout, out, "cores, %s: 1 core and %d" %
                            (what, cpus))
        a = Row("one-shot, %d cores, %s" % (cpus, what), c.lines, c.bytes,
                every, note="--threads %d (the default)" % cpus)
        b = Row("one-shot, 1 core, %s" % what, c.lines, c.bytes, one,
                note="taskset -c 0")
        b.ratio = "1.00x 1 core"
        a.ratio = ratio(a.lps(), b.lps(), "1 core")
        res.rows += [a, b]
        if cpus >= 2 and b.wall and a.wall:
            res.targets.append(("one-shot, %d cores >= 1.8x 1 core, %s" %
                                (cpus, what), b.wall / a.wall, 1.8, ">=",
                                "%.2fx"))


JSON_MIN_RUNS = 9


def case_json(cfg, res):
    if not os.access(cfg.sjwalk, os.X_OK):
        say("json: %s is missing (make bench builds it): case skipped" %
            cfg.sjwalk)
        return
    c = res.plain or make_corpus(cfg, cfg.lines)
    runs = cfg.runs if cfg.smoke else max(cfg.runs, JSON_MIN_RUNS)
    lm, sc, sj = [], [], []
    for i in range(runs):
        say("json run %d/%d" % (i + 1, runs))
        r, out = lm_oneshot(cfg, c.path, "json-lm", pinned=True)
        lm.append(r)
        scout = os.path.join(cfg.work, "json-scalar.prom")
        sc.append(measure(cfg, ["env", "LOGMETRICS_SCAN=scalar", "taskset",
                                "-c", "0", cfg.logmetrics, "--one-shot",
                                "-r", RULES, c.path], scout,
                          os.path.join(cfg.work, "json-scalar.err")))
        sout = os.path.join(cfg.work, "sjwalk.out")
        sj.append(measure(cfg, ["taskset", "-c", "0", cfg.sjwalk, c.path],
                          sout, os.path.join(cfg.work, "sjwalk.err")))
        if i == 0:
            nonempty_metrics(out, "bytelyst_bot_operational_events_total",
                             "json")
            same_output(out, scout, "json: the simd and scalar scanners")
            with open(sout) as f:
                words = f.read().split()
            if (len(words) < 6 or int(words[0]) != c.lines or
                    int(words[4]) != 0):
                raise BenchError("sjwalk: walked %s of %d records" %
                                 (" ".join(words), c.lines))
    a = Row("one-shot logmetrics, 1 core, CPU", c.lines, c.bytes, lm,
            note="every metric kept")
    s = Row("one-shot logmetrics, 1 core, scalar", c.lines, c.bytes, sc,
            note="LOGMETRICS_SCAN=scalar: the reference scanner")
    b = Row("simdjson On-Demand walk, 1 core", c.lines, c.bytes, sj,
            note="top-level keys, the rules' values read, nothing kept")
    b.ratio = "1.00x simdjson"
    if a.cpu and b.cpu:
        a.ratio = "%.2fx simdjson" % (a.cpu / b.cpu)
    if s.cpu and b.cpu:
        s.ratio = "%.2fx simdjson" % (s.cpu / b.cpu)
        res.targets.append(("one-shot CPU, 1 core <= 0.5x simdjson walk",
                            a.cpu / b.cpu, 0.5, "<=", "%.2fx"))
    res.rows += [a, s, b]


def case_gz(cfg, res):
    c = res.plain or make_corpus(cfg, cfg.lines)
    gz = gzip_corpus(c)
    plain_out = os.path.join(cfg.work, "gz-plain.prom")
    lm_oneshot(cfg, c.path, "gz-plain")
    lm, zr, gd = [], [], []
    runs = cfg.runs if cfg.smoke else max(cfg.runs, GZ_MIN_RUNS)
    for i in range(runs):
        say("gzip run %d/%d" % (i + 1, runs))
        r, out = lm_oneshot(cfg, gz, "gz")
        lm.append(r)
        if i == 0:
            same_output(plain_out, out, "one-shot .gz and plain")
        zout = os.path.join(cfg.work, "zread.out")
        zr.append(measure(cfg, [cfg.zread, gz], zout,
                          os.path.join(cfg.work, "zread.err")))
        with open(zout) as f:
            n = int(f.read())
        if n != c.bytes:
            raise BenchError("zread read %d bytes of %s, expected %d" %
                             (n, gz, c.bytes))
        gd.append(measure(cfg, ["gzip", "-dc", gz], os.devnull,
                          os.path.join(cfg.work, "gzip.err")))
    g = Row("one-shot logmetrics, .gz", c.lines, c.bytes, lm,
            note="MB/s of uncompressed log")
    z = Row("zlib gzread (build/zread)", c.lines, c.bytes, zr,
            note="inflate only, output discarded")
    d = Row("gzip -dc >/dev/null", c.lines, c.bytes, gd)
    z.ratio = "1.00x zlib"
    g.ratio = ratio(g.mbps(), z.mbps(), "zlib")
    d.ratio = ratio(d.mbps(), z.mbps(), "zlib")
    res.rows += [g, z, d]
    res.targets.append((".gz one-shot >= 80% of zlib", g.mbps() / z.mbps(),
                        0.8, ">=", "%.2f"))


def case_memory(cfg, res):
    # Lines without new series: the corpus repeated. (A longer generated
    # corpus also brings rare label combinations, ~420 bytes each.)
    base = res.plain or make_corpus(cfg, cfg.lines)
    corpora = [(base, ""), (repeat_corpus(base, 10 if cfg.big else 2),
                            "the %s-line corpus %s times" %
                            (human(cfg.lines), 10 if cfg.big else 2))]
    flat = []
    for c, what in corpora:
        runs = []
        for i in range(cfg.runs):
            say("memory, %d lines, run %d/%d" % (c.lines, i + 1, cfg.runs))
            r, out = lm_oneshot(cfg, c.path, "mem", pinned=True)
            runs.append(r)
        with open(out, "rb") as f:
            series = samples(f.read())
        note = "1 core, %d series" % series
        if what:
            note += ", " + what
        flat.append((series, Row("RSS, %s lines" % human(c.lines),
                                 c.lines, c.bytes, runs, note=note)))
    res.rows += [r for _, r in flat]
    (s0, r0), (s1, r1) = flat
    if s0 != s1:
        raise BenchError("memory: %d series over %s lines, %d over %s" %
                         (s0, human(r0.lines), s1, human(r1.lines)))
    if r0.rss is not None:
        res.targets.append(("RSS flat in lines (%s vs %s lines, %d "
                            "series)" % (human(r1.lines), human(r0.lines),
                                         s0),
                            r1.rss_mib() - r0.rss_mib(), 0.5, "<=",
                            "%+.2f MiB"))

    points = []
    for sym, prof in cfg.series_points:
        c = make_corpus(cfg, cfg.series_lines, seed=SERIES_SEED,
                        symbols=sym, profiles=prof)
        runs = []
        for i in range(cfg.runs):
            say("series, %d symbols, run %d/%d" % (sym, i + 1, cfg.runs))
            r, out = lm_oneshot(cfg, c.path, "series", pinned=True,
                                extra=["--max-series", "0"])
            runs.append(r)
        with open(out, "rb") as f:
            n = samples(f.read())
        r = Row("RSS, %s series" % human(n), c.lines, c.bytes, runs,
                note="--symbols %d --profiles %d" % (sym, prof))
        points.append((n, r))
    slopes = []
    for (n0, r0), (n1, r1) in zip(points, points[1:]):
        if n1 > n0 and r0.rss is not None:
            slopes.append((r1.rss - r0.rss) * 1024.0 / (n1 - n0))
    for (n, r), s in zip(points[1:], slopes):
        r.note += ", %+.0f B/series" % s
    res.rows += [r for _, r in points]
    if len(slopes) >= 2 and min(slopes) > 0:
        res.targets.append(("RSS linear in series (max/min B per series)",
                            max(slopes) / min(slopes), 2.0, "<=", "%.2f"))


def human(n):
    for div, suffix in ((1000000, "M"), (1000, "k")):
        if n >= div and n % (div // 10) == 0:
            return ("%g" % (n / div)) + suffix
    return str(n)


def start_logmetrics(cfg, args, tag):
    port = free_port()
    err = open(os.path.join(cfg.work, tag + ".err"), "wb")
    p = subprocess.Popen([cfg.logmetrics, "-r", RULES, "-l",
                          "127.0.0.1:%d" % port] + args,
                         stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    try:
        wait_http(p, port, "/-/ready", "logmetrics")
    except BaseException:
        stop(p)
        raise
    return p, port


def start_mtail(cfg, logs, tag):
    port = free_port()
    err = open(os.path.join(cfg.work, tag + ".err"), "wb")
    p = subprocess.Popen(["mtail", "--progs", MTAIL_PROG, "--logs", logs,
                          "--address", "127.0.0.1", "--port", str(port),
                          "--logtostderr"],
                         stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    try:
        wait_http(p, port, "/metrics", "mtail")
    except BaseException:
        stop(p)
        raise
    return p, port


def follow_once(cfg, c, halves, who):
    """One follow-mode run of who ("logmetrics" or "mtail"); returns
    (Run, lines seen, scrape latencies, writer seconds)."""
    d = tempfile.mkdtemp(prefix="follow-", dir=cfg.work)
    # An empty bot.log exists when the exporter starts: mtail reads a file
    # that appears later from its end, and would miss the lines.
    log = os.path.join(d, "bot.log")
    open(log, "wb").close()
    try:
        if who == "logmetrics":
            p, port = start_logmetrics(cfg, [log], "follow")
            where = ("/metrics", logmetrics_lines)
        else:
            p, port = start_mtail(cfg, log, "follow-mtail")
            where = ("/debug/vars", mtail_lines)
        try:
            # Let the watcher settle before the clock starts.
            time.sleep(0.3)
            return follow_measure(cfg, c, halves, log, log + ".1", p, port,
                                  where)
        finally:
            stop(p)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def follow_measure(cfg, c, halves, log, rotated, p, port, where):
    """Times the catch-up of the exporter p as the halves are written to
    log, renamed rotated between them: where is the page holding its line
    counter and the function reading it."""
    path, lines_of = where
    script = 'cat "$1" >>"$3" && mv "$3" "$4" && cat "$2" >"$3"'
    cpu0 = proc_cpu(p.pid)
    t0 = time.monotonic()
    w = subprocess.Popen(["sh", "-c", script, "writer", halves[0],
                          halves[1], log, rotated])
    wdone = None
    lat = []
    seen = 0
    changed = t0
    limit = 60.0 + c.lines / 5000.0
    try:
        while True:
            tick = time.monotonic()
            if p.poll() is not None:
                raise BenchError("follow: exporter exited with %d" %
                                 p.returncode)
            status, body, dt = scrape(port, path)
            now = time.monotonic()
            if status != 200:
                raise BenchError("follow: %s answered %d" % (path, status))
            lat.append(dt)
            if wdone is None and w.poll() is not None:
                if w.returncode != 0:
                    raise BenchError("follow: writer failed")
                wdone = now - t0
            n = lines_of(body)
            if n != seen:
                seen, changed = n, now
            if n >= c.lines and wdone is not None:
                break
            # A reader that lost lines stops counting: give up on it.
            if wdone is not None and now - changed > cfg.stall:
                break
            if now - t0 > limit:
                raise BenchError("follow: %d of %d lines after %.0f s" %
                                 (n, c.lines, now - t0))
            time.sleep(max(0.0, tick + cfg.poll - time.monotonic()))
    finally:
        if w.poll() is None:
            w.kill()
        w.wait()
    run = Run(changed - t0, proc_cpu(p.pid) - cpu0, proc_hwm(p.pid))
    return run, seen, lat, wdone


def case_follow(cfg, res):
    c = res.plain or make_corpus(cfg, cfg.lines)
    halves = split_corpus(c)
    lm, mt, lat, writer = [], [], [], []
    mseen = []
    for i in range(cfg.runs):
        say("follow run %d/%d" % (i + 1, cfg.runs))
        r, seen, l, wt = follow_once(cfg, c, halves, "logmetrics")
        if seen != c.lines:
            raise BenchError("follow: logmetrics read %d lines of %d" %
                             (seen, c.lines))
        lm.append(r)
        lat += l
        writer.append(wt)
        if cfg.mtail:
            r, seen, _, _ = follow_once(cfg, c, halves, "mtail")
            mt.append(r)
            mseen.append(seen)
    p50, p99 = pct(lat, 50) * 1000, pct(lat, 99) * 1000
    row = Row("follow logmetrics, catch-up", c.lines, c.bytes, lm,
              note="scrape p50 %.1f ms, p99 %.1f ms (%d scrapes); "
                   "writer %.2f s" % (p50, p99, len(lat),
                                      statistics.median(writer)))
    res.rows.append(row)
    res.targets.append(("follow scrape p99 < 10 ms", p99, 10.0, "<",
                        "%.1f ms"))
    if mt:
        seen = min(mseen)
        m = Row("follow mtail, catch-up", seen, None, mt)
        m.nbytes = c.bytes * seen / c.lines
        m.ratio = "1.00x mtail"
        if seen != c.lines:
            m.note = "read only %d of %d lines" % (seen, c.lines)
        res.rows.append(m)
        if m.lps():
            row.ratio = ratio(row.lps(), m.lps(), "mtail")
            res.targets.append(("follow >= 12x mtail", row.lps() / m.lps(),
                                12.0, ">=", "%.1fx"))


# Container runtimes' logs ----------------------------------------------------

# Each runtime: its log's name, the name a rotation gives it, its writer.
RUNTIMES = (("docker", "c-json.log", "c-json.log.1", "dockerlog.py"),
            ("cri", "0.log", "0.log.20261206-101500", "crilog.py"))


def wrapped_halves(cfg, c, fmt, name, writer):
    """Corpus c as fmt's runtime writes it (tests/integration/WRITER:
    16 KiB pieces, standard error lines among them, no rotation), cut in
    two at a line near the middle; made when stale. Returns the halves
    and the records they hold (the corpus's lines and standard error's)."""
    w = os.path.join(TOP, "tests", "integration", writer)
    a, b = "%s.%s.1st" % (c.path, fmt), "%s.%s.2nd" % (c.path, fmt)
    if not (fresh(a, c.path, w) and fresh(b, c.path, w)):
        say("writing %s as %s writes it" % (os.path.basename(c.path), fmt))
        d = tempfile.mkdtemp(prefix="wrap-", dir=cfg.work)
        try:
            subprocess.run([sys.executable, w, "write", c.path, d,
                            str(1 << 62), "2"], stdout=subprocess.DEVNULL,
                           check=True)
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            cut = data.index(b"\n", len(data) // 2) + 1
            for path, part in ((a, data[:cut]), (b, data[cut:])):
                with open(path + ".tmp", "wb") as out:
                    out.write(part)
                os.rename(path + ".tmp", path)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    mark = b'"stream":"stderr"' if fmt == "docker" else b" stderr F "
    extra = 0
    for path in (a, b):
        with open(path, "rb") as f:
            extra += f.read().count(mark)
    return (a, b), c.lines + extra


def logmetrics_records(body):
    """Records delivered by the record stages, from a logmetrics scrape."""
    return counter_sum(body, "logmetrics_records_total")


def bot_samples(body):
    """The rules' samples of a scrape, sorted."""
    return sorted(line for line in body.decode(errors="replace").splitlines()
                  if line.startswith("bytelyst_"))


def container_once(cfg, c, halves, fmt, name, rotated):
    """One follow-mode run over c, a log of fmt (None: the plain corpus)
    in halves, its lines the records it holds; returns (Run, records
    seen, the rules' samples at the end)."""
    d = tempfile.mkdtemp(prefix="follow-", dir=cfg.work)
    log = os.path.join(d, name)
    open(log, "wb").close()
    try:
        arg = log if fmt is None else "%s:%s" % (fmt, log)
        p, port = start_logmetrics(cfg, [arg], "follow-" + (fmt or "plain"))
        try:
            time.sleep(0.3)
            where = ("/metrics", logmetrics_lines if fmt is None
                     else logmetrics_records)
            run, seen, _, _ = follow_measure(cfg, c, halves, log,
                                             os.path.join(d, rotated), p,
                                             port, where)
            status, body, _ = scrape(port)
            if status != 200:
                raise BenchError("follow %s: /metrics answered %d" %
                                 (fmt, status))
            return run, seen, bot_samples(body)
        finally:
            stop(p)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_containers(cfg, res):
    c = res.plain or make_corpus(cfg, cfg.lines)
    kinds = [(None, "bot.log", "bot.log.1", split_corpus(c), c.lines,
              c.bytes)]
    for fmt, name, rotated, writer in RUNTIMES:
        halves, n = wrapped_halves(cfg, c, fmt, name, writer)
        kinds.append((fmt, name, rotated, halves, n,
                      sum(os.path.getsize(h) for h in halves)))
    runs = {k[0]: [] for k in kinds}
    want = None
    for i in range(cfg.runs):
        say("containers run %d/%d" % (i + 1, cfg.runs))
        for fmt, name, rotated, halves, n, _ in kinds:
            r, seen, got = container_once(cfg, Corpus(halves[0], n), halves,
                                          fmt, name, rotated)
            if seen != n:
                raise BenchError("follow %s: %d records of %d" %
                                 (fmt or "plain", seen, n))
            if want is None:
                want = got
            elif got != want:
                raise BenchError("follow %s: the metrics differ from the "
                                 "plain file's" % fmt)
            runs[fmt].append(r)
    plain = None
    for fmt, name, rotated, halves, n, nbytes in kinds:
        row = Row("follow %s, catch-up" % (fmt + ":" if fmt else "plain"),
                  c.lines, nbytes, runs[fmt])
        if fmt is None:
            plain = row
            row.note = "%d lines" % c.lines
        else:
            row.ratio = ratio(row.lps(), plain.lps(), "plain")
            row.note = ("%d lines written and counted (+%d stderr), "
                        "metrics = plain's" % (c.lines, n - c.lines))
        res.rows.append(row)


def http_corpora(cfg):
    """The pino-http fixture repeated to --lines lines, the same lines
    with the fields rules/http.rules reads copied to the top level, and
    rules that read them there (all made again when stale)."""
    nested = os.path.join(cfg.dir, "http-n%d.log" % cfg.lines)
    flat = os.path.join(cfg.dir, "http-n%d-flat.log" % cfg.lines)
    rules = os.path.join(cfg.dir, "http-flat.rules")
    if not (fresh(nested, HTTP_LOG) and fresh(flat, HTTP_LOG)):
        say("generating %s and %s" % (os.path.basename(nested),
                                      os.path.basename(flat)))
        with open(HTTP_LOG, "rb") as f:
            src = f.read().splitlines()
        with open(nested + ".tmp", "wb") as fn, open(flat + ".tmp", "wb") as ff:
            for i in range(cfg.lines):
                line = src[i % len(src)]
                fn.write(line + b"\n")
                d = json.loads(line)
                if isinstance(d.get("req"), dict):
                    for k in ("method", "url"):
                        if k in d["req"]:
                            d[k] = d["req"][k]
                if isinstance(d.get("res"), dict) and \
                        "statusCode" in d["res"]:
                    d["statusCode"] = d["res"]["statusCode"]
                ff.write(json.dumps(d, separators=(",", ":")).encode() +
                         b"\n")
        os.rename(nested + ".tmp", nested)
        os.rename(flat + ".tmp", flat)
    with open(HTTP_RULES) as f:
        text = f.read()
    for a, b in (("req.method", "method"), ("req.url", "url"),
                 ("res.statusCode", "statusCode")):
        text = text.replace(" %s /" % a, " %s /" % b)
    with open(rules, "w") as f:
        f.write(text)
    return Corpus(nested, cfg.lines), Corpus(flat, cfg.lines), rules


def case_paths(cfg, res):
    nested, flat, flat_rules = http_corpora(cfg)
    rn, rf = [], []
    outs = {}
    for i in range(cfg.runs):
        say("paths run %d/%d" % (i + 1, cfg.runs))
        for c, rules, runs, tag in ((nested, HTTP_RULES, rn, "paths"),
                                    (flat, flat_rules, rf, "paths-flat")):
            argv = ["taskset", "-c", "0", cfg.logmetrics, "--one-shot",
                    "-r", rules, c.path]
            out = os.path.join(cfg.work, tag + ".prom")
            runs.append(measure(cfg, argv, out,
                                os.path.join(cfg.work, tag + ".err")))
            outs[tag] = out
        if i == 0:
            nonempty_metrics(outs["paths"], "http_requests_total", "paths")
            same_output(outs["paths"], outs["paths-flat"],
                        "paths: nested and top-level fields")
    n = Row("one-shot http.rules, paths", nested.lines, nested.bytes, rn,
            note="req.method, req.url, res.statusCode; 1 core")
    f = Row("one-shot, same fields on top", flat.lines, flat.bytes, rf,
            note="copied to the top, read there; metrics = paths'")
    f.ratio = "1.00x top"
    n.ratio = ratio(n.lps(), f.lps(), "top")
    res.rows += [n, f]


def case_scrape(cfg, res):
    c = make_corpus(cfg, cfg.scrape_lines, seed=SERIES_SEED,
                    symbols=cfg.scrape_symbols)
    p, port = start_logmetrics(cfg, ["--from-start", "--max-series", "0",
                                     c.path], "scrape")
    try:
        end = time.monotonic() + 60.0 + c.lines / 5000.0
        while True:
            body = scrape(port)[1]
            if counter_sum(body, "logmetrics_lines_read_total") >= c.lines:
                break
            if time.monotonic() > end:
                raise BenchError("scrape: the daemon did not read %s" %
                                 c.path)
            time.sleep(0.1)
        n = samples(body)
        status, b, _ = scrape(port, accept=PB_ACCEPT)
        series = pb_series(b)
        if status != 200 or series == 0:
            raise BenchError("scrape: bad protobuf scrape")
        plain, gz, pb = [], [], []
        for _ in range(cfg.scrapes):
            plain.append(scrape(port)[2])
            status, b, dt = scrape(port, gz=True)
            if status != 200 or samples(b) < n // 2:
                raise BenchError("scrape: bad gzip scrape")
            gz.append(dt)
            status, b, dt = scrape(port, accept=PB_ACCEPT)
            if status != 200 or pb_series(b) < series:
                raise BenchError("scrape: bad protobuf scrape")
            pb.append(dt)
        rss = proc_hwm(p.pid)
    finally:
        stop(p)
    r = Row("scrape %s series, protobuf" % human(series))
    r.rss = rss
    r.note = "p50 %.1f ms, p99 %.1f ms (%d scrapes); text p50 %.1f ms" % (
        pct(pb, 50) * 1000, pct(pb, 99) * 1000, len(pb),
        pct(plain, 50) * 1000)
    res.rows.append(r)
    res.targets.append(("protobuf scrape p50 <= text p50",
                        pct(pb, 50) * 1000, pct(plain, 50) * 1000, "<=",
                        "%.1f ms"))
    for name, lat in (("plain", plain), ("gzip", gz)):
        r = Row("scrape %s series, %s" % (human(n), name))
        r.rss = rss
        r.note = "p50 %.1f ms, p99 %.1f ms (%d scrapes)" % (
            pct(lat, 50) * 1000, pct(lat, 99) * 1000, len(lat))
        res.rows.append(r)
        res.targets.append(("scrape of %s series (%s) p99 < 20 ms" %
                            (human(n), name), pct(lat, 99) * 1000, 20.0,
                            "<", "%.1f ms"))


# Main ------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.rows = []
        self.targets = []
        self.plain = None


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "?"
    return "%s, %d cores, load %s at start" % (model, os.cpu_count() or 0,
                                               load)


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "?"
    except OSError:
        return "?"


def report(cfg, res):
    lines = ["logmetrics bench: %s lines a corpus, median of %d run%s" %
             (human(cfg.lines), cfg.runs, "" if cfg.runs == 1 else "s"),
             cfg.machine,
             "%s; %s" % (version([cfg.logmetrics, "--version"]),
                         version(["mtail", "--version"]) if cfg.mtail
                         else "mtail not run"),
             "", table(res.rows), ""]
    missed = 0
    if cfg.smoke:
        lines.append("(a smoke run: the corpora are too small for the "
                     "figures to mean anything)")
        res.targets = []
    if res.targets:
        lines.append("targets:")
    for name, value, bound, op, form in res.targets:
        ok = {">=": value >= bound, "<=": value <= bound,
              "<": value < bound}[op]
        missed += not ok
        lines.append("  %-60s %12s  %s" % (name, form % value,
                                           "ok" if ok else "MISSED"))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(cfg.dir, "last.txt"), "w") as f:
        f.write(text)
    return missed


def parse_args():
    ap = argparse.ArgumentParser(description="logmetrics benchmarks")
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--big", action="store_true",
                    help="also measure RSS over 10 * --lines lines")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny corpora, one run: checks the harness only")
    ap.add_argument("--no-mtail", action="store_true")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a target is missed")
    ap.add_argument("--poll", type=float, default=0.1,
                    help="seconds between scrapes in the follow case")
    ap.add_argument("--only",
                    default="oneshot,cores,json,gz,memory,follow,containers,"
                    "paths,scrape")
    ap.add_argument("--logmetrics", default=os.path.join(TOP, "logmetrics"))
    ap.add_argument("--genlog", default=os.path.join(TOP, "build", "genlog"))
    ap.add_argument("--zread", default=os.path.join(TOP, "build", "zread"))
    ap.add_argument("--sjwalk", default=os.path.join(TOP, "build", "sjwalk"))
    cfg = ap.parse_args()
    if cfg.smoke:
        cfg.lines = min(cfg.lines, 20000)
        cfg.runs = 1
    if cfg.lines < 20 or cfg.runs < 1:
        ap.error("--lines must be at least 20 and --runs at least 1")
    cfg.only = set(cfg.only.split(","))
    unknown = cfg.only - {"oneshot", "cores", "json", "gz", "memory",
                          "follow", "containers", "paths", "scrape"}
    if unknown:
        ap.error("--only: unknown case %s" % ",".join(sorted(unknown)))
    cfg.gnutime = shutil.which("time", path="/usr/bin:/bin")
    if not cfg.gnutime:
        say("GNU time (/usr/bin/time) is not installed: no peak RSS for "
            "one-shot runs")
    cfg.mtail = not cfg.no_mtail and shutil.which("mtail") is not None
    if not cfg.mtail and not cfg.no_mtail:
        say("mtail is not installed: measuring logmetrics alone")
    # Symbols and profiles of the series corpora, and of the ~10,000
    # series the scrape case holds.
    cfg.series_lines = cfg.lines
    cfg.series_points = [(20, 5), (1000, 5), (10000, 20)]
    cfg.scrape_lines = 200000
    cfg.scrape_symbols = 500
    cfg.scrapes = 200
    cfg.stall = 10.0
    if cfg.smoke:
        cfg.series_points = [(20, 5), (200, 5), (2000, 20)]
        cfg.scrape_lines = cfg.lines
        cfg.scrape_symbols = 100
        cfg.scrapes = 20
        cfg.stall = 5.0
    for path in (cfg.logmetrics, cfg.genlog, cfg.zread):
        if not os.access(path, os.X_OK):
            ap.error("%s: not built (make logmetrics build/genlog "
                     "build/zread)" % path)
    cfg.logmetrics = os.path.abspath(cfg.logmetrics)
    os.makedirs(cfg.dir, exist_ok=True)
    return cfg


def main():
    cfg = parse_args()
    cfg.work = tempfile.mkdtemp(prefix="run-", dir=cfg.dir)
    cfg.machine = machine()
    res = Results()
    cases = (("oneshot", case_oneshot), ("cores", case_cores),
             ("json", case_json), ("gz", case_gz),
             ("memory", case_memory), ("follow", case_follow),
             ("containers", case_containers), ("paths", case_paths),
             ("scrape", case_scrape))
    try:
        for name, fn in cases:
            if name in cfg.only:
                fn(cfg, res)
    except BenchError as e:
        say("FAIL: %s" % e)
        say("outputs kept in %s" % cfg.work)
        return 1
    missed = report(cfg, res)
    shutil.rmtree(cfg.work, ignore_errors=True)
    if cfg.strict and missed:
        say("%d target%s missed" % (missed, "" if missed == 1 else "s"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
