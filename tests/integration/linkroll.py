#!/usr/bin/env python3
"""Writes log lines behind a followed symbolic link, rolling to new files
the way writers that keep a link do, and prints how many lines it wrote
and how many rolls it made.

usage: linkroll.py SOURCE DIR SHAPE LINES ROLL KEEP RATE GAP
  SOURCE  the lines to write (a log file); its first LINES are written
  DIR     where the files and links are made (it exists)
  SHAPE   what is followed and how a roll is made:
    unlink   DIR/current.log -> bot.N.log, re-pointed by unlink and
             symlink before bot.N.log exists (pino-roll's order)
    rename   the same, the new link made aside and renamed over
             current.log (rotatelogs -L, winston's createSymlink)
    chain    DIR/current.log -> mid.log -> bot.N.log; mid.log re-pointed
             by rename before bot.N.log exists
    dirlink  DIR/current -> gen.N, a directory holding bot.log; the link
             re-pointed before gen.N exists; DIR/current/bot.log followed
    kube     the kubelet's: DIR/containers/app.log -> a fixed target,
             DIR/pods/ns_pod_uid/app/0.log, renamed to
             0.log.YYYYMMDD-HHMMSS.NNNNNN and created again (the link
             dangles in between); rotated files but the newest gzipped
             unless the environment has LINKROLL_GZIP=0
    linkdir  DIR/logs -> real, a fixed link to a directory where
             bot.log is rotated by rename and create
  ROLL    bytes a file holds before the next roll
  KEEP    rotated files kept; older ones deleted
  RATE    lines per second at most (0: as fast as it can)
  GAP     milliseconds between the roll and the new file's creation
After each roll, three more lines go to the old file's descriptor before
it is closed, as a writer flushing late does.

usage: linkroll.py --setup SHAPE DIR
  makes the links and the first, empty file, so that the followed path
  exists before the exporter starts; the writer then goes on from there
usage: linkroll.py --path SHAPE
  prints the followed path, relative to DIR
"""
import gzip
import os
import shutil
import sys
import time

FOLLOWED = {
    "unlink": "current.log",
    "rename": "current.log",
    "chain": "current.log",
    "dirlink": "current/bot.log",
    "kube": "containers/app.log",
    "linkdir": "logs/bot.log",
}
LATE = 3


def relink(link, target, atomic):
    if atomic:
        tmp = os.path.join(os.path.dirname(link),
                           "." + os.path.basename(link) + ".new")
        os.symlink(target, tmp)
        os.rename(tmp, link)
    else:
        try:
            os.unlink(link)
        except FileNotFoundError:
            pass
        os.symlink(target, link)


class Roller:
    def __init__(self, d, shape, keep, setup):
        self.d, self.shape, self.keep = d, shape, keep
        self.gen = 0
        self.rotated = []   # oldest first: paths to delete in time
        pods = os.path.join(d, "pods", "ns_pod_uid", "app")
        if not setup:
            pass
        elif shape == "kube":
            os.makedirs(pods)
            os.makedirs(os.path.join(d, "containers"))
            os.symlink("../pods/ns_pod_uid/app/0.log",
                       os.path.join(d, "containers", "app.log"))
        elif shape == "linkdir":
            os.makedirs(os.path.join(d, "real"))
            os.symlink("real", os.path.join(d, "logs"))
        self.pods = pods

    def live(self):
        """The path the writer writes to now."""
        d, g = self.d, self.gen
        return {
            "unlink": os.path.join(d, "bot.%d.log" % g),
            "rename": os.path.join(d, "bot.%d.log" % g),
            "chain": os.path.join(d, "bot.%d.log" % g),
            "dirlink": os.path.join(d, "gen.%d" % g, "bot.log"),
            "kube": os.path.join(self.pods, "0.log"),
            "linkdir": os.path.join(d, "real", "bot.log"),
        }[self.shape]

    def point(self):
        """Makes the followed path lead to generation self.gen, which
        need not exist yet; the old file, if renamed, is remembered."""
        d, g, s = self.d, self.gen, self.shape
        if s in ("unlink", "rename"):
            relink(os.path.join(d, "current.log"), "bot.%d.log" % g,
                   s == "rename")
            self.rotated.append(os.path.join(d, "bot.%d.log" % g))
        elif s == "chain":
            if g == 0:
                os.symlink("mid.log", os.path.join(d, "current.log"))
            relink(os.path.join(d, "mid.log"), "bot.%d.log" % g, True)
            self.rotated.append(os.path.join(d, "bot.%d.log" % g))
        elif s == "dirlink":
            relink(os.path.join(d, "current"), "gen.%d" % g, True)
            self.rotated.append(os.path.join(d, "gen.%d" % g))
        elif g > 0 and s in ("kube", "linkdir"):
            live = self.live()
            if s == "kube":
                old = live + "." + time.strftime("%Y%m%d-%H%M%S") + \
                    ".%06d" % (time.time_ns() // 1000 % 1000000 + g)
            else:
                old = live + ".%d" % g
            os.rename(live, old)
            self.rotated.append(old)

    def create(self):
        path = self.live()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def prune(self):
        """Deletes what is beyond keep; kube gzips all but the newest."""
        live = self.live()
        kept = [p for p in self.rotated if p != live and
                os.path.dirname(live) != p]
        while len(kept) > self.keep:
            old = kept.pop(0)
            self.rotated.remove(old)
            if os.path.isdir(old):
                shutil.rmtree(old)
            elif os.path.exists(old):
                os.unlink(old)
            elif os.path.exists(old + ".gz"):
                os.unlink(old + ".gz")
        if self.shape == "kube" and os.environ.get("LINKROLL_GZIP") != "0":
            for old in kept[:-1]:
                if os.path.exists(old):
                    with open(old, "rb") as f, \
                            gzip.open(old + ".gz", "wb") as z:
                        shutil.copyfileobj(f, z)
                    os.unlink(old)


def main():
    if sys.argv[1] == "--path":
        print(FOLLOWED[sys.argv[2]])
        return
    if sys.argv[1] == "--setup":
        r = Roller(sys.argv[3], sys.argv[2], 0, True)
        r.point()
        os.close(r.create())
        return
    source, d, shape = sys.argv[1], sys.argv[2], sys.argv[3]
    total, roll, keep = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    rate, gap = float(sys.argv[7]), float(sys.argv[8]) / 1000
    with open(source, "rb") as f:
        lines = f.read().split(b"\n")[:total]
    if len(lines) < total:
        sys.exit("linkroll: SOURCE has fewer lines than asked")
    r = Roller(d, shape, keep, False)
    if shape in ("unlink", "rename", "chain", "dirlink"):
        r.rotated.append(os.path.dirname(r.live()) if shape == "dirlink"
                         else r.live())
    fd = r.create()
    size = 0
    late = 0
    t0 = time.monotonic()
    for i, line in enumerate(lines):
        os.write(fd, line + b"\n")
        size += len(line) + 1
        if late > 0:
            late -= 1
            if late == 0:
                os.close(fd)
                time.sleep(gap)
                fd = r.create()
                r.prune()
                size = 0
        elif size >= roll and i + LATE + 1 < len(lines):
            r.gen += 1
            r.point()
            late = LATE
        if rate > 0 and i % 50 == 49:
            ahead = (i + 1) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    os.close(fd)
    print(len(lines), r.gen)


main()
