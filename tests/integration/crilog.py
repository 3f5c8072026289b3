#!/usr/bin/env python3
"""The kubelet's CRI log files, as containerd writes them and the kubelet
rotates them, and a reader of them that shares no code with logmetrics.

usage: crilog.py write SOURCE DIR [MAX-SIZE MAX-FILES [RATE [RECORDS]]]
       crilog.py records [--timed] FILE...

write: every line of SOURCE to DIR/0.log as "TIME STREAM TAG TEXT", a
line longer than 16 KiB cut into "P" pieces before its "F" one, a stderr
line now and then, some between the pieces of a line (each stream is
copied on its own); past MAX-SIZE bytes (default 1 MiB), checked after
each piece (a record may go on in the next file), 0.log is renamed
0.log.YYYYMMDD-HHMMSS (a later stamp each time), the rotations before
the newest are gzipped, and beyond MAX-FILES files (default 5, 0.log
included) the oldest are deleted. With a RATE, about that many lines a
second (0: as fast as it can), written out every 100 lines; with
RECORDS, the records written go there too, one per line, as a reader of
the files must find them, each after its time and a tab. Times come from
a runtime's clock (rtclock.py).

records: the records of FILEs read in the order given (gzip by name),
P pieces joined up to their F one per stream, one per line on standard
output; with --timed, each after the time of its first piece and a tab.
"""
import glob
import gzip
import os
import random
import sys
import time

from rtclock import Clock


def write(source, d, max_size, max_files, rate=0, recout=None):
    with open(source, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rnd = random.Random(13)
    path = os.path.join(d, "0.log")
    out = open(path, "ab")
    size = 0
    rolls = 0

    def rotate():
        nonlocal out, size, rolls
        out.close()
        rolls += 1
        os.rename(path, "%s.20261206-%06d" % (path, 100000 + rolls))
        olds = sorted(p for p in glob.glob(path + ".*")
                      if not p.endswith(".gz"))
        for p in olds[:-1]:
            with open(p, "rb") as f, gzip.open(p + ".gz", "wb") as g:
                g.write(f.read())
            os.unlink(p)
        rot = sorted(glob.glob(path + ".*"))
        for p in rot[:max(0, len(rot) - (max_files - 1))]:
            os.unlink(p)
        out = open(path, "ab")
        size = 0

    clock = Clock()

    def put(stream, tag, text):
        nonlocal size
        when = clock.piece().encode()
        rec = b"%s %s %s %s\n" % (when, stream, tag, text)
        out.write(rec)
        size += len(rec)
        return when

    rec_out = open(recout, "wb") if recout else None
    t0 = time.monotonic()
    for n, line in enumerate(lines):
        clock.line(line)
        first = None
        for k in range(0, max(len(line), 1), 16384):
            last = k + 16384 >= len(line)
            when = put(b"stdout", b"F" if last else b"P", line[k:k + 16384])
            first = first or when
            if size > max_size:
                rotate()
            if not last and rnd.random() < 0.3:
                # Standard error is copied on its own: between pieces.
                put(b"stderr", b"F", b"(node:4242) a stderr line between")
        if rec_out:
            rec_out.write(first + b"\t" +
                          (line[:-1] if line.endswith(b"\r") else line) +
                          b"\n")
        if rnd.random() < 0.01:
            put(b"stderr", b"F", b"(node:4242) Warning: a stderr line")
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
    join = {b"stdout": b"", b"stderr": b""}
    when = {b"stdout": None, b"stderr": None}  # of a record's first piece

    def put(s, rec):
        if timed:
            out.write(when[s] + b"\t")
        out.write(rec + b"\n")

    for name in files:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(name, "rb") as f:
            for line in f.read().split(b"\n")[:-1]:
                t, s, tag, text = (line.split(b" ", 3) + [b""])[:4]
                if when[s] is None:
                    when[s] = t
                join[s] += text
                if tag == b"F":
                    put(s, join[s][:-1] if join[s].endswith(b"\r")
                        else join[s])
                    join[s] = b""
                    when[s] = None
    for s in (b"stdout", b"stderr"):
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
