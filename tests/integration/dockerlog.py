#!/usr/bin/env python3
"""Docker's json-file driver, as it writes a container's output, and a
reader of its files that shares no code with logmetrics.

usage: dockerlog.py write SOURCE DIR [MAX-SIZE MAX-FILE [RATE [RECORDS]]]
       dockerlog.py records [--timed] FILE...

write: every line of SOURCE as the driver writes it to DIR/c-json.log:
{"log":"...","stream":"stdout","time":"..."} per piece of at most 16 KiB
(a longer line is cut; only its last piece ends in "\\n"; each piece is
encoded alone, so a UTF-8 sequence cut in two, like any invalid byte,
becomes U+FFFD, and <, > and & are escaped as Go escapes them), a stderr
line now and then, some between the pieces of a line (each stream is
copied on its own), and rotation by size: past MAX-SIZE bytes (default
1 MiB) c-json.log becomes c-json.log.1, .1 becomes .2 and so on, gzipped
from .2 on, and files beyond MAX-FILE (default 5) are deleted. With a
RATE, about that many lines a second (0: as fast as it can), written out
every 100 lines; with RECORDS, the records written go there too, one per
line, as a reader of the files must find them, each after its time and
a tab. Times come from a runtime's clock (rtclock.py).

records: the records of FILEs read in the order given (gzip by name),
pieces joined per stream, line ends dropped, one per line on standard
output; with --timed, each after the time of its first piece and a tab.
"""
import gzip
import json
import os
import random
import sys
import time

from rtclock import Clock


def encode(piece, stream, when):
    text = piece.decode("utf-8", "replace")
    s = json.dumps({"log": text, "stream": stream, "time": when},
                   ensure_ascii=False, separators=(",", ":"))
    s = s.replace("<", "\\u003c").replace(">", "\\u003e")
    s = s.replace("&", "\\u0026")
    return (s + "\n").encode("utf-8")


def write(source, d, max_size, max_file, rate=0, recout=None):
    with open(source, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rnd = random.Random(11)
    path = os.path.join(d, "c-json.log")
    out = open(path, "ab")
    size = 0

    def rotate():
        nonlocal out, size
        out.close()
        for k in range(max_file - 1, 0, -1):
            for ext in ("", ".gz"):
                p = "%s.%d%s" % (path, k, ext)
                if os.path.exists(p):
                    if k + 1 >= max_file:
                        os.unlink(p)
                    else:
                        os.rename(p, "%s.%d%s" % (path, k + 1, ext))
        os.rename(path, path + ".1")
        old = path + ".2"
        if os.path.exists(old):
            with open(old, "rb") as f, gzip.open(old + ".gz", "wb") as g:
                g.write(f.read())
            os.unlink(old)
        out = open(path, "ab")
        size = 0

    rec_out = open(recout, "wb") if recout else None
    clock = Clock()
    t0 = time.monotonic()
    for n, line in enumerate(lines):
        data = line + b"\n"
        text = ""
        clock.line(line)
        first = None
        for k in range(0, len(data), 16384):
            piece = data[k:k + 16384]
            text += piece.decode("utf-8", "replace")
            when = clock.piece()
            first = first or when
            rec = encode(piece, "stdout", when)
            out.write(rec)
            size += len(rec)
            if size > max_size:
                rotate()
            if k + 16384 < len(data) and rnd.random() < 0.3:
                # Standard error is copied on its own: between pieces.
                rec = encode(b"(node:4242) a stderr line between\n",
                             "stderr", clock.piece())
                out.write(rec)
                size += len(rec)
        if rec_out:
            text = text[:-1]
            if text.endswith("\r"):
                text = text[:-1]
            rec_out.write(first.encode() + b"\t" + text.encode("utf-8") +
                          b"\n")
        if rnd.random() < 0.01:
            rec = encode(b"(node:4242) Warning: a stderr line <&>\n",
                         "stderr", clock.piece())
            out.write(rec)
            size += len(rec)
        if rate and n % 100 == 99:
            out.flush()
            ahead = (n + 1) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    out.close()
    if rec_out:
        rec_out.close()
    print(len(lines))


def records(files, timed):
    out = sys.stdout.buffer
    join = {"stdout": "", "stderr": ""}
    when = {"stdout": None, "stderr": None}  # of a record's first piece

    def put(s, rec):
        if timed:
            out.write(when[s].encode() + b"\t")
        out.write(rec.encode("utf-8") + b"\n")

    for name in files:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(name, "rt", encoding="utf-8") as f:
            for line in f:
                w = json.loads(line)
                s = w["stream"]
                if when[s] is None:
                    when[s] = w.get("time", "")
                join[s] += w["log"]
                if join[s].endswith("\n"):
                    rec = join[s][:-1]
                    if rec.endswith("\r"):
                        rec = rec[:-1]
                    put(s, rec)
                    join[s] = ""
                    when[s] = None
    for s in ("stdout", "stderr"):
        if when[s] is not None:
            put(s, join[s])


if sys.argv[1] == "write":
    write(sys.argv[2], sys.argv[3],
          int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 20,
          int(sys.argv[5]) if len(sys.argv) > 5 else 5,
          float(sys.argv[6]) if len(sys.argv) > 6 else 0,
          sys.argv[7] if len(sys.argv) > 7 else None)
elif sys.argv[2:3] == ["--timed"]:
    records(sys.argv[3:], True)
else:
    records(sys.argv[2:], False)
