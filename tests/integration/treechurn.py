#!/usr/bin/env python3
"""Writes the lines of a log into a tree of instance directories that
appear, rotate, move and vanish while lines pour in, the way a host with
one directory per bot instance (or a dated directory per day) does.

usage: treechurn.py SOURCE ROOT OUTSIDE SCRAPE-URL

Every line of SOURCE is written exactly once, to ROOT/<inst>/bot.log or
ROOT/<inst>/<day>/bot.log, in random chunks that split lines anywhere,
round-robin over the live instances. Along the way: new instance
directories are made (some nested two deep), a bot.log is rotated
(renamed to bot.log.1, a new one created), an instance prepared under
OUTSIDE is moved into ROOT, and finished instances leave ROOT (moved to
a hidden name, or deleted) once the exporter at SCRAPE-URL has counted
all their lines. Prints "written N" and the instance count.
"""
import os
import random
import re
import shutil
import sys
import time
import urllib.request


def lines_read(url):
    """logmetrics_lines_read_total by file, from a scrape."""
    out = {}
    body = urllib.request.urlopen(url, timeout=5).read().decode()
    for m in re.finditer(
            r'^logmetrics_lines_read_total\{file="([^"]*)"\} (\S+)$', body,
            re.M):
        out[m.group(1)] = float(m.group(2))
    return out


def wait_read(url, path, n):
    deadline = time.time() + 30
    while lines_read(url).get(path, 0) < n:
        if time.time() > deadline:
            sys.exit("treechurn: %s: %d lines never counted" % (path, n))
        time.sleep(0.05)


def main():
    source, root, outside, url = sys.argv[1:5]
    with open(source, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rnd = random.Random(7)
    pos = 0

    class Inst:
        pass

    def make(name, sub, base):
        i = Inst()
        i.dir = os.path.join(base, name)
        i.sub = sub
        os.makedirs(os.path.join(i.dir, sub) if sub else i.dir)
        i.path = os.path.join(i.dir, sub, "bot.log") if sub else \
            os.path.join(i.dir, "bot.log")
        i.fd = os.open(i.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        i.written = 0
        i.name = name
        return i

    def put(i, n):
        nonlocal pos
        n = min(n, len(lines) - pos)
        data = b"".join(l + b"\n" for l in lines[pos:pos + n])
        pos += n
        k = 0
        while k < len(data):
            c = rnd.randint(1, 4000)
            os.write(i.fd, data[k:k + c])
            k += c
        i.written += n

    live = [make("inst-0", "", root), make("inst-1", "", root)]
    made = 2
    moved_in = make("inst-moved", "", outside)
    put(moved_in, 500)
    os.close(moved_in.fd)
    step = 0
    gone = 0
    while pos < len(lines):
        step += 1
        for i in list(live):
            put(i, rnd.randint(20, 200))
        if step % 10 == 0:
            # A new instance; every other one a day directory deeper.
            sub = "2026-12-%02d" % (made % 28 + 1) if made % 2 else ""
            live.append(make("inst-%d" % made, sub, root))
            made += 1
        if step % 7 == 0 and live:
            # Rotation, rename and create.
            i = rnd.choice(live)
            os.close(i.fd)
            os.rename(i.path, i.path + ".1")
            i.fd = os.open(i.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                           0o644)
        if step == 25:
            # Prepared elsewhere, moved in whole: read from its start.
            dst = os.path.join(root, moved_in.name)
            os.rename(moved_in.dir, dst)
            moved_in.dir = dst
            moved_in.path = os.path.join(dst, "bot.log")
            moved_in.fd = os.open(moved_in.path,
                                  os.O_WRONLY | os.O_APPEND)
            live.append(moved_in)
        if step % 12 == 0 and len(live) > 2:
            # A finished instance leaves, once all its lines counted.
            i = live.pop(0)
            os.close(i.fd)
            wait_read(url, i.path, i.written)
            if gone % 2:
                shutil.rmtree(i.dir)
            else:
                os.rename(i.dir, os.path.join(root, "." + i.name))
            gone += 1
        time.sleep(0.002)
    for i in live:
        os.close(i.fd)
    print("written %d in %d instances, %d gone" % (pos, made + 1, gone))


main()
