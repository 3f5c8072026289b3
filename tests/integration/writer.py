#!/usr/bin/env python3
"""Appends log lines to a followed file the way a real writer does, in
chunks that split lines anywhere, through logrotate's rotation styles.

usage: writer.py SOURCE DIR PLAN
  SOURCE  the lines to write (a log file)
  DIR     where bot.log lives
  PLAN    comma-separated steps, each one of:
            write:N        append the next N lines of SOURCE, in random
                           chunks (a line may be split across writes)
            rename:NAME    rename bot.log to NAME (rename+create); the
                           old descriptor stays open for the next write
            oldwrite:N     append N lines to the renamed file's descriptor
            create         create a new bot.log and write there from now on
            copytruncate:NAME  copy bot.log to NAME, then truncate bot.log
            delete         unlink bot.log (delete+recreate; then: create)
            wait:CMD       run the shell command CMD until it succeeds
                           (e.g. wait until the exporter caught up)
            sleep:S        sleep S seconds
Prints how many lines went where, as "NAME LINES" per file written.
"""
import os
import random
import subprocess
import sys
import time


def main():
    source, d, plan = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(source, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rnd = random.Random(42)
    pos = 0
    path = os.path.join(d, "bot.log")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    old = None

    def put(desc, n):
        nonlocal pos
        data = b"".join(l + b"\n" for l in lines[pos:pos + n])
        pos += n
        i = 0
        while i < len(data):
            k = rnd.randint(1, 700)
            os.write(desc, data[i:i + k])
            i += k
            if rnd.random() < 0.02:
                time.sleep(0.005)

    for step in plan.split(","):
        op, _, arg = step.partition(":")
        if op == "write":
            put(fd, int(arg))
        elif op == "oldwrite":
            put(old, int(arg))
        elif op == "rename":
            os.rename(path, os.path.join(d, arg))
            old = fd
            fd = None
        elif op == "create":
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         0o644)
        elif op == "delete":
            os.unlink(path)
            os.close(fd)
            fd = None
        elif op == "copytruncate":
            with open(path, "rb") as src, \
                    open(os.path.join(d, arg), "wb") as dst:
                dst.write(src.read())
            os.truncate(path, 0)
        elif op == "wait":
            deadline = time.time() + 60
            while subprocess.call(arg, shell=True) != 0:
                if time.time() > deadline:
                    sys.exit("writer: gave up waiting for: " + arg)
                time.sleep(0.1)
        elif op == "sleep":
            time.sleep(float(arg))
        else:
            sys.exit("writer: unknown step " + step)
    print(pos)


main()
