"""A container runtime's clock, for the writers of its log files
(dockerlog.py, crilog.py): the time the runtime writes with each piece
of a line it copies, as Go's RFC3339Nano gives it (UTC, trailing zeros of
the fraction dropped). The runtime reads a line just after the program
wrote it: the clock is a microsecond past the program's own time when
the line has one (a "time" field in epoch milliseconds, as the bot
writes), else a microsecond past the last piece's time."""
import json
import time

START = 1764000000 * 10**9  # before any line's own time


class Clock:
    def __init__(self):
        self.ns = START

    def line(self, line):
        """A line is read: the clock moves on to it."""
        try:
            d = json.loads(line)
            t = d.get("time") if isinstance(d, dict) else None
            if isinstance(t, int) and not isinstance(t, bool):
                self.ns = max(self.ns, t * 10**6)
        except (ValueError, RecursionError):
            pass

    def piece(self):
        """The time of the next piece written."""
        self.ns += 1000
        s, ns = divmod(self.ns, 10**9)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
        if ns:
            text += (".%09d" % ns).rstrip("0")
        return text + "Z"
