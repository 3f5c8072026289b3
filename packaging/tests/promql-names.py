#!/usr/bin/env python3
"""Checks the PromQL of the Grafana dashboard and of the alerting rules.

Every expression must parse (promtool check rules, each one wrapped as a
recording rule) and name only metrics the exporter serves.

usage: promql-names.py --served FILE [--allow NAME]... --work DIR
                       [--dashboard FILE]... [--alerts FILE]...

FILE for --served holds the names of a live /metrics, one a line. Exits 0
when all is well, 1 with every problem listed otherwise.
"""

import argparse
import json
import os
import re
import subprocess
import sys

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "offset", "bool", "atan2",
            "inf", "nan"}

# Grafana's own interval variables, then the dashboard's variables, which
# only ever stand inside label matchers' quoted regular expressions.
INTERVAL_VARS = re.compile(r"\$(?:__rate_interval|__interval|__range)\b|"
                           r"\$\{(?:__rate_interval|__interval|__range)\}")
DASH_VARS = re.compile(r"\$\{\w+(?::\w+)?\}|\$\w+|\[\[\w+\]\]")


def metric_names(expr):
    """The metric names an expression selects."""
    s = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    if "__name__" in s:
        raise ValueError("selects by __name__: name the metric instead")
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)"
               r"\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"[0-9][0-9A-Za-z_.]*|[A-Za-z_:][A-Za-z0-9_:]*", s):
        tok = m.group(0)
        if tok[0].isdigit() or tok.lower() in KEYWORDS:
            continue
        if s[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        names.add(tok)
    return names


def selftest():
    cases = [
        ('sum by (le) (rate(foo_bucket{a="b",c=~"x|y"}[5m])) / on (x) '
         'group_left(y) bar offset 1h', {"foo_bucket", "bar"}),
        ("histogram_quantile(0.9, sum(rate(a_b[5m])) by (le)) > 1e3 "
         "and time() - c:d", {"a_b", "c:d"}),
        ('x{l="sum(rate(fake[1m]))", m=\'y\'} unless ignoring (z) w',
         {"x", "w"}),
        ("-Inf < bool NaN or max_over_time(q[1h:5m]) @ start()", {"q"}),
    ]
    for expr, want in cases:
        got = metric_names(expr)
        if got != want:
            sys.exit(f"promql-names.py: self-test: {expr!r}: "
                     f"got {sorted(got)}, want {sorted(want)}")


def panels(node):
    for p in node.get("panels", []):
        yield p
        yield from panels(p)


def dashboard_exprs(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    out = []
    for p in panels(dash):
        for t in p.get("targets", []):
            if "expr" in t:
                out.append((f"{path}: panel {p.get('title')!r} "
                            f"target {t.get('refId')}", t["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query", "")
        where = f"{path}: variable {v.get('name')}"
        m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", q, re.S)
        if m is None:
            out.append((where, "unsupported variable query: " + q))
        else:
            out.append((where, m.group(1)))
    return out


def alert_exprs(path):
    """Every expr: of a rules file, plain or as a block scalar (|)."""
    out = []
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:- )?expr:\s*(.*)$", lines[i])
        i += 1
        if m is None:
            continue
        where = f"{path}:{i}"
        indent, value = len(m.group(1)), m.group(2).strip()
        if value in ("|", ">", "|-", ">-"):
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip())
                                      > indent):
                block.append(lines[i].strip())
                i += 1
            value = " ".join(block).strip()
        out.append((where, value))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--served", required=True)
    ap.add_argument("--allow", action="append", default=[])
    ap.add_argument("--work", required=True)
    ap.add_argument("--dashboard", action="append", default=[])
    ap.add_argument("--alerts", action="append", default=[])
    args = ap.parse_args()
    selftest()

    with open(args.served, encoding="utf-8") as f:
        served = {line.strip() for line in f if line.strip()}
    served.update(args.allow)

    exprs = []
    for d in args.dashboard:
        exprs += dashboard_exprs(d)
    for a in args.alerts:
        exprs += alert_exprs(a)
    if not exprs:
        sys.exit("promql-names.py: no expression found")

    problems = []
    rules = []
    for n, (where, expr) in enumerate(exprs):
        expr = DASH_VARS.sub(".*", INTERVAL_VARS.sub("5m", expr))
        rules.append({"record": f"check:expr_{n}", "expr": expr})
        try:
            unknown = sorted(metric_names(expr) - served)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        for name in unknown:
            problems.append(f"{where}: {name} is not served")

    # Valid YAML: promtool parses each expression as it would a rule's.
    rules_file = os.path.join(args.work, "expressions.rules.yml")
    with open(rules_file, "w", encoding="utf-8") as f:
        json.dump({"groups": [{"name": "check", "rules": rules}]}, f,
                  indent=1)
    r = subprocess.run(["promtool", "check", "rules", rules_file],
                       capture_output=True, text=True)
    if r.returncode != 0:
        out = r.stdout + r.stderr
        problems.append("promtool check rules failed:\n" + out)
        for n in sorted({int(x) for x in re.findall(r"check:expr_(\d+)", out)}):
            problems.append(f"  check:expr_{n} is {exprs[n][0]}")

    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"promql-names.py: {len(exprs)} expressions parse and name "
          f"served metrics only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
