#!/usr/bin/env python3
"""Journal files as journald writes them for a service, made without a
running journald: entries in the journal export format fed to
systemd-journal-remote, which appends them to a journal file.

usage: journallog.py write [--wall] SOURCE JOURNAL [RECORDS]

write: every line of SOURCE as the MESSAGE of an entry of the unit
bytelyst.service (SYSLOG_IDENTIFIER=bot), in binary form where the line
is not UTF-8 text; after about one line in seven an entry of another
unit (other.service) with a line of the bot's as its MESSAGE too, and
after about one in two hundred an entry of the bot's unit without a
MESSAGE. Times: __REALTIME_TIMESTAMP is a microsecond past the line's
own time (a "time" field in epoch milliseconds) or past the last
entry's, that of the journal files already in JOURNAL's directory
included (and __MONOTONIC_TIMESTAMP goes on from theirs): one clock, as
journald's. With --wall the clock is the wall clock instead, the lines'
own times left alone, as journald's clock is when the bot writes now.
JOURNAL (a name ending in .journal) is made, or appended to when it
exists. With RECORDS, the bot's records go there, one per line
after their time (RFC 3339) and a tab, as tests/oracle.py --timed reads
them. Prints the lines written and the entries without a MESSAGE.
"""
import glob
import json
import os
import random
import struct
import subprocess
import sys
import time

REMOTE = "/usr/lib/systemd/systemd-journal-remote"
BOOT = b"0f1e2d3c4b5a69788796a5b4c3d2e1f0"
START = 1764000000 * 10**6  # microseconds, before any line's own time


def field(out, name, value):
    try:
        text = value.decode("utf-8")
        plain = "\n" not in text and all(c >= " " or c == "\t"
                                         for c in text)
    except UnicodeDecodeError:
        plain = False
    if plain:
        out += name + b"=" + value + b"\n"
    else:
        out += name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"


def rfc3339(usec):
    s, us = divmod(usec, 10**6)
    return "%s.%06dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)),
                         us)


def last_entry(d):
    """The realtime and monotonic clocks of the last entry of the journal
    files in directory d, or None."""
    if not glob.glob(os.path.join(d, "*.journal")):
        return None
    out = subprocess.run(["journalctl", "-D", d, "-n", "1", "-o", "export"],
                         capture_output=True, check=True).stdout
    t = dict(line.split(b"=", 1) for line in out.split(b"\n")
             if line.startswith(b"__") and b"=" in line)
    return int(t[b"__REALTIME_TIMESTAMP"]), int(t[b"__MONOTONIC_TIMESTAMP"])


def write(source, journal, recout=None, wall=False):
    with open(source, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rnd = random.Random(17)
    clock = START
    mono = 10**6
    last = last_entry(os.path.dirname(os.path.abspath(journal)))
    if last is not None:
        clock, mono = last
    if wall:
        clock = max(clock, int(time.time() * 10**6))
    out = bytearray()
    recs = open(recout, "wb") if recout else None
    nomessage = 0

    def entry(unit, ident, msg):
        nonlocal clock, mono
        clock += 1
        mono += 1
        out.extend(b"__REALTIME_TIMESTAMP=%d\n" % clock)
        out.extend(b"__MONOTONIC_TIMESTAMP=%d\n" % mono)
        out.extend(b"_BOOT_ID=" + BOOT + b"\n")
        out.extend(b"_SYSTEMD_UNIT=" + unit + b"\n")
        out.extend(b"SYSLOG_IDENTIFIER=" + ident + b"\n")
        out.extend(b"_PID=4242\n")
        if msg is not None:
            field(out, b"MESSAGE", msg)
        out.extend(b"\n")

    for line in lines:
        try:
            if wall:
                raise ValueError
            t = json.loads(line).get("time")
            if isinstance(t, int) and not isinstance(t, bool):
                clock = max(clock, t * 1000)
        except (ValueError, AttributeError, RecursionError):
            pass
        entry(b"bytelyst.service", b"bot", line)
        if recs:
            recs.write(rfc3339(clock).encode() + b"\t" + line + b"\n")
        if rnd.random() < 1 / 7:
            entry(b"other.service", b"other", rnd.choice(lines))
        if rnd.random() < 1 / 200:
            entry(b"bytelyst.service", b"bot", None)
            nomessage += 1
    if recs:
        recs.close()
    subprocess.run([REMOTE, "-o", journal, "-"], input=bytes(out),
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    print(len(lines), nomessage)


args = sys.argv[2:]
wall = args[:1] == ["--wall"]
if wall:
    args = args[1:]
if sys.argv[1] == "write" and len(args) in (2, 3):
    write(args[0], args[1], args[2] if len(args) > 2 else None, wall)
else:
    sys.exit("usage: journallog.py write [--wall] SOURCE JOURNAL [RECORDS]")
