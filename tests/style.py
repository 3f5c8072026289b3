#!/usr/bin/env python3
"""The part of the style clang-format 14 leaves alone: the continuation
lines of a trailing comment stand under its first line's text.

    tests/style.py FILE...        says where they do not (exit 1)
    tests/style.py --fix FILE...  puts them there
"""
import sys


def column(text):
    """The column where text ends, tabs of 8."""
    c = 0
    for ch in text:
        c = (c // 8 + 1) * 8 if ch == "\t" else c + 1
    return c


def indent(n):
    return "\t" * (n // 8) + " " * (n % 8)


def trailing_comment(line):
    """The column of a trailing comment left open on line, or -1."""
    at = line.find("/*")
    if at <= 0 or not line[:at].strip() or "*/" in line[at:]:
        return -1
    if line[:at].count('"') % 2 == 1:
        return -1  # inside a string
    return at


def realign(lines):
    """Yields (index, wanted) for each continuation line out of place."""
    i = 0
    while i < len(lines):
        at = trailing_comment(lines[i])
        if at < 0:
            i += 1
            continue
        want = column(lines[i][:at]) + 3
        j = i + 1
        while j < len(lines):
            fixed = indent(want) + lines[j].lstrip(" \t")
            if fixed != lines[j]:
                yield j, fixed
            if "*/" in lines[j]:
                break
            j += 1
        i = j + 1


def main(argv):
    fix = argv[:1] == ["--fix"]
    bad = 0
    for path in argv[1:] if fix else argv:
        with open(path) as f:
            lines = f.read().split("\n")
        wrong = list(realign(lines))
        if not wrong:
            continue
        if fix:
            for j, fixed in wrong:
                lines[j] = fixed
            with open(path, "w") as f:
                f.write("\n".join(lines))
            continue
        for j, _ in wrong:
            print(f"{path}:{j + 1}: comment line not under the one "
                  "before (make format puts it there)", file=sys.stderr)
        bad += len(wrong)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
