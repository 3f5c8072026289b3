#!/usr/bin/env python3
"""The kubelet's CRI log files, as containerd writes them and the kubelet
rotates them, and a reader of them that shares no code with logmetrics.

usage: crilog.py write SOURCE DIR [MAX-SIZE MAX-FILES]
       crilog.py records FILE...

write: every line of SOURCE to DIR/0.log as "TIME STREAM TAG TEXT", a
line longer than 16 KiB cut into "P" pieces before its "F" one, a stderr
line now and then; past MAX-SIZE bytes (default 1 MiB) 0.log is renamed
0.log.YYYYMMDD-HHMMSS (a later stamp each time), the rotations before
the newest are gzipped, and beyond MAX-FILES files (default 5, 0.log
included) the oldest are deleted.

records: the records of FILEs read in the order given (gzip by name),
P pieces joined up to their F one, one per line on standard output.
"""
import glob
import gzip
import os
import random
import sys


def stamp(n):
    return "2026-12-06T10:%02d:%02d.%09dZ" % (n // 60000 % 60,
                                              n // 1000 % 60, n % 1000)


def write(source, d, max_size, max_files):
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

    def put(stream, tag, text, n):
        nonlocal size
        rec = b"%s %s %s %s\n" % (stamp(n).encode(), stream, tag, text)
        out.write(rec)
        size += len(rec)

    for n, line in enumerate(lines):
        for k in range(0, max(len(line), 1), 16384):
            last = k + 16384 >= len(line)
            put(b"stdout", b"F" if last else b"P", line[k:k + 16384], n)
        if size > max_size:
            rotate()
        if rnd.random() < 0.01:
            put(b"stderr", b"F", b"(node:4242) Warning: a stderr line", n)
    out.close()


def records(files):
    out = sys.stdout.buffer
    join = b""
    for name in files:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(name, "rb") as f:
            for line in f.read().split(b"\n")[:-1]:
                _, _, tag, text = (line.split(b" ", 3) + [b""])[:4]
                join += text
                if tag == b"F":
                    out.write(join[:-1] if join.endswith(b"\r")
                              else join)
                    out.write(b"\n")
                    join = b""
    if join:
        out.write(join + b"\n")


if sys.argv[1] == "write":
    write(sys.argv[2], sys.argv[3],
          int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 20,
          int(sys.argv[5]) if len(sys.argv) > 5 else 5)
else:
    records(sys.argv[2:])
