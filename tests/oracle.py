#!/usr/bin/env python3
"""The metrics rules/bytelyst.rules derives from Bytelyst bot logs.

An independent reference for logmetrics' one-shot mode. It reads the log
files in the order given (.gz transparently), parses each line with the
standard json module and applies, by hand, what every rule of
rules/bytelyst.rules means: top-level fields only, the last duplicate key
wins, label values are the unescaped strings (any other JSON value as
written), numbers are taken only where the rule's regex accepts the whole
value. It prints every sample in a canonical form: one per line,
`name{label="value",...} value`, labels sorted by name, lines sorted by
metric name, then label values, then le bound.

    oracle.py [--now SECONDS] [--until SECONDS] [--label NAME=VALUE]...
              [--max-line BYTES] [--timed] LOG...
    oracle.py --canon EXPOSITION      (a Prometheus text exposition, "-"
                                       for stdin, in the same canonical form)
    oracle.py --fill-times LOG        (--timed records as plain lines)

With --timed, each line of a LOG is a record of a container runtime's log
after the time its runtime wrote (RFC 3339) and a tab: that time is the
record's log time where the rules' timestamp statements find none.
--fill-times prints such records as lines of a plain log that give the
same log times: a JSON object the rules read no time from gets its
runtime's time as a last "time" member (the last duplicate wins).

so that `diff <(oracle.py LOG) <(oracle.py --canon OUT.prom)` compares the
exporter's output with the expectation exactly. --canon drops comments and
the exporter's own metrics (logmetrics_*, process_*).

Canonical form, both modes:
  - label values escaped as in the text format (\\ \" \n); bytes that are
    not UTF-8 replaced by U+FFFD (Python's decoder, one U+FFFD per maximal
    invalid subsequence);
  - labels with an empty value are dropped (Prometheus treats an empty
    label as an absent one);
  - values and le bounds: integers without a fraction, +Inf, -Inf, NaN,
    else repr() of the double (the shortest text that reads back exactly);
    -0 is written 0.

Stdlib only.
"""

import argparse
import bisect
import gzip
import json
import math
import os
import re
import struct
import sys
from decimal import Decimal, localcontext
from fractions import Fraction
from json.decoder import scanstring

# The number patterns of rules/bytelyst.rules (PCRE2 with DOLLAR_ENDONLY,
# so ^...$ there means the whole value; fullmatch here).
NUMBER = re.compile(
    r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
UNSIGNED = re.compile(
    r'(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
EPOCH = re.compile(r'-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
RFC3339 = re.compile(
    r'([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):'
    r'([0-9]{2})(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})')

DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
DEFAULT_BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1.0, 2.5, 5.0, 10.0)
THRESHOLDS = {'trading': 15.0, 'monitor': 45.0, 'reconciliation': 180.0}
STALE_AFTER = 300.0
INITIAL_SUBSYSTEMS = ('trading', 'monitor', 'reconciliation')
LIVE = ('false', 'False', 'FALSE', '0', 'no', 'No', 'NO')
MAX_LINE = 1024 * 1024

WS = re.compile(r'[ \t\n\r]*')

# Every top-level key some rule or timestamp statement reads.
READ_KEYS = frozenset((
    'time', 'severity', 'type', 'profileId', 'symbol', 'component',
    'subsystem', 'durationMs', 'outcome', 'exchange', 'operation',
    'latencyMs', 'utilizationPercent', 'mismatches', 'missingInDb',
    'missingOnExchange'))


def _reject_constant(name):
    raise ValueError('not JSON: ' + name)


DECODER = json.JSONDecoder(parse_float=str, parse_int=str,
                           parse_constant=_reject_constant)


def top_fields(s):
    """Top-level fields of s when it is exactly one JSON object, else None.

    Returns {key: text}: text is the unescaped string, or the value as
    written for any other type. A later duplicate key replaces an
    earlier one (as JSON.parse and json.loads do).
    """
    n = len(s)
    i = WS.match(s, 0).end()
    if i >= n or s[i] != '{':
        return None
    i = WS.match(s, i + 1).end()
    fields = {}
    try:
        if s.startswith('}', i):
            i += 1
        else:
            while True:
                if not s.startswith('"', i):
                    return None
                key, i = scanstring(s, i + 1, True)
                i = WS.match(s, i).end()
                if not s.startswith(':', i):
                    return None
                i = WS.match(s, i + 1).end()
                val, j = DECODER.raw_decode(s, i)
                fields[key] = val if s[i] == '"' else s[i:j]
                i = WS.match(s, j).end()
                if s.startswith(',', i):
                    i = WS.match(s, i + 1).end()
                    continue
                if s.startswith('}', i):
                    i += 1
                    break
                return None
    except (ValueError, IndexError):
        return None
    except RecursionError:
        print('oracle: warning: nesting too deep, line skipped',
              file=sys.stderr)
        return None
    if WS.match(s, i).end() != n:
        return None
    return fields


def fields_of(s):
    """As top_fields for the keys the rules read, through json.loads alone
    when it can: numbers come back as written (parse_int/parse_float keep
    the text), true, false and null are rebuilt; only an object or array
    under a key the rules read needs the text as written, and then
    top_fields() finds it. Other object and array values are left out."""
    try:
        d = DECODER.decode(s)
    except ValueError:
        return None
    except RecursionError:
        print('oracle: warning: nesting too deep, line skipped',
              file=sys.stderr)
        return None
    if not isinstance(d, dict):
        return None
    out = {}
    for k, v in d.items():
        if isinstance(v, str):
            out[k] = v
        elif v is True:
            out[k] = 'true'
        elif v is False:
            out[k] = 'false'
        elif v is None:
            out[k] = 'null'
        elif k in READ_KEYS:
            return top_fields(s)
    return out


def to_bytes(text):
    """The bytes a value stands for: raw bytes that were not UTF-8 come
    back as they were; a lone surrogate written as \\uXXXX becomes U+FFFD
    (one in dc80..dcff cannot be told from a raw byte and stays a byte)."""
    try:
        return text.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:
        out = bytearray()
        for ch in text:
            try:
                out += ch.encode('utf-8', 'surrogateescape')
            except UnicodeEncodeError:
                out += '\ufffd'.encode('utf-8')
        return bytes(out)


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def days_in_month(y, m):
    if m == 2:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return 29 if leap else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_rfc3339(text):
    """Unix seconds of an RFC 3339 time, computed exactly then rounded
    once to the nearest double; None when text is not one."""
    mt = RFC3339.fullmatch(text)
    if mt is None:
        return None
    y, mo, d, h, mi, s = (int(mt.group(k)) for k in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo) and
            h <= 23 and mi <= 59 and s <= 60):
        return None
    secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    tz = mt.group(8)
    if tz not in ('Z', 'z'):
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 23 or om > 59:
            return None
        off = oh * 3600 + om * 60
        secs -= off if tz[0] == '+' else -off
    frac = mt.group(7)
    if frac is None:
        return float(secs)
    return float(Fraction(secs) + Fraction(int(frac[1:]),
                                           10 ** (len(frac) - 1)))


def line_time(fields):
    """The record's log time by the rules' timestamp statements (field
    time as epoch_ms, else as rfc3339), or None."""
    text = fields.get('time')
    if text is None:
        return None
    if EPOCH.fullmatch(text):
        return float(text) / 1000.0
    return parse_rfc3339(text)


def native_fracs(schema):
    """Where the buckets of schema > 0 end within a power of two, as
    mantissas in [0.5, 1): 2^(i/2^schema)/2 to 50 digits, rounded once."""
    n = 1 << schema
    with localcontext() as ctx:
        ctx.prec = 50
        return [float(Decimal(2) ** (Decimal(i) / n) / 2) for i in range(n)]


NATIVE_FRACS = {s: native_fracs(s) for s in range(1, 9)}


def native_key(v, schema):
    """The native bucket of |v| (v not 0): key k holds
    (base^(k-1), base^k], base = 2^(2^-schema); an infinity the key after
    the largest double's."""
    inf = math.isinf(v)
    frac, exp = math.frexp(sys.float_info.max if inf else abs(v))
    if schema > 0:
        key = (bisect.bisect_left(NATIVE_FRACS[schema], frac) +
               (exp - 1) * (1 << schema))
    else:
        key = exp - 1 if frac == 0.5 else exp
        key = -((-key) >> -schema)  # ceil(key / 2^-schema)
    return key + (1 if inf else 0)


class NativeHist:
    """A native histogram's buckets, widened (keys halved, rounding up)
    while more than maxb are held and the schema is above -4."""

    def __init__(self, schema, threshold, maxb):
        self.schema = schema
        self.threshold = threshold
        self.maxb = maxb
        self.zero = 0
        self.pos = {}
        self.neg = {}

    def observe(self, v):
        if v > self.threshold:
            k = native_key(v, self.schema)
            self.pos[k] = self.pos.get(k, 0) + 1
        elif v < -self.threshold:
            k = native_key(v, self.schema)
            self.neg[k] = self.neg.get(k, 0) + 1
        else:
            self.zero += 1
        while len(self.pos) + len(self.neg) > self.maxb and self.schema > -4:
            for side in (self.pos, self.neg):
                halved = {}
                for k, c in side.items():
                    h = -((-k) >> 1)
                    halved[h] = halved.get(h, 0) + c
                side.clear()
                side.update(halved)
            self.schema -= 1


def native_line(name, labels, schema, threshold, zero, pos, neg):
    """The canonical line of a native histogram's buckets: labels as in
    the samples (bytes), buckets as key:count, keys increasing."""
    body = ','.join('%s="%s"' % (k, escape(labels[k]))
                    for k in sorted(labels) if labels[k] != b'')
    return ('native %s{%s} schema=%d threshold=%s zero=%d pos=%s neg=%s\n' %
            (name, body, schema, fmt(threshold), zero,
             ','.join('%d:%d' % kc for kc in sorted(pos.items())),
             ','.join('%d:%d' % kc for kc in sorted(neg.items()))))


class Histogram:
    def __init__(self, bounds, native=None):
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.sum = 0.0
        self.count = 0
        self.native = native

    def observe(self, v):
        for k, b in enumerate(self.bounds):
            if v <= b:
                self.counts[k] += 1
                break
        self.sum += v
        self.count += 1
        if self.native is not None:
            self.native.observe(v)


class Oracle:
    def __init__(self, maxline=MAX_LINE):
        self.maxline = maxline
        self.events = {}
        self.violations = {}
        self.durations = {}
        self.latencies = {}
        self.last_run = {to_bytes(s): 0.0 for s in INITIAL_SUBSYSTEMS}
        self.util = {}
        self.mismatches = 0.0
        self.missing = {b'db': 0.0, b'exchange': 0.0}
        self.newest = None
        self.lines = 0
        self.objects = 0
        self.matched = 0
        self.no_time = 0
        self.timed = False
        self.until = None
        self.done = False

    def _newer(self, t):
        if t is not None and (self.newest is None or t > self.newest):
            self.newest = t

    def feed_file(self, path):
        with open(path, 'rb') as f:
            gz = f.read(2) == b'\x1f\x8b'
        opener = gzip.open if gz else open
        file_last = None
        # Binary iteration splits on b'\n' only; a last line without a
        # newline comes out as it is.
        with opener(path, 'rb') as f:
            for raw in f:
                if raw.endswith(b'\n'):
                    raw = raw[:-1]
                wtime = None
                if self.timed:
                    when, raw = raw.split(b'\t', 1)
                    wtime = parse_rfc3339(when.decode('utf-8', 'replace'))
                if len(raw) > self.maxline:
                    continue
                if raw.endswith(b'\r'):
                    raw = raw[:-1]
                t = self.feed_line(raw, wtime)
                if self.done:
                    break
                if t is not None:
                    file_last = t
        self._newer(file_last)

    def feed_line(self, raw, wtime=None):
        """Applies every rule to one line (no LF, CR stripped). Returns the
        line's log time when it is a JSON object that has one, else wtime,
        its wrapper's (None: none)."""
        self.lines += 1
        fields = fields_of(raw.decode('utf-8', 'surrogateescape'))
        t = None if fields is None else line_time(fields)
        if t is None:
            t = wtime
        if self.until is not None and t is not None and t > self.until:
            # The history's value at a step boundary: every line before
            # the first one later than it.
            self.done = True
            return None
        if fields is None:
            return t
        self.objects += 1

        text = fields.get

        def label(key):
            v = fields.get(key)
            return b'' if v is None else to_bytes(v)

        matched = False
        component = text('component')

        # operational_event
        if 'severity' in fields and 'type' in fields:
            k = (label('severity'), label('type'), label('profileId'),
                 label('symbol'))
            self.events[k] = self.events.get(k, 0) + 1
            matched = True

        # subsystem_cycle
        ms = text('durationMs')
        if (component == 'scheduler' and 'subsystem' in fields and
                ms is not None and NUMBER.fullmatch(ms)):
            sub = label('subsystem')
            h = self.durations.get(sub)
            if h is None:
                h = self.durations[sub] = Histogram(DURATION_BUCKETS)
            h.observe(float(ms) / 1000.0)
            if text('outcome') == 'ok':
                if t is None:
                    self.no_time += 1
                else:
                    self.last_run[sub] = t
            matched = True

        # exchange_call
        ms = text('latencyMs')
        if (component == 'exchange' and 'exchange' in fields and
                'operation' in fields and ms is not None and
                NUMBER.fullmatch(ms)):
            k = (label('exchange'), label('operation'))
            h = self.latencies.get(k)
            if h is None:
                h = self.latencies[k] = Histogram(DEFAULT_BUCKETS)
            h.observe(float(ms) / 1000.0)
            matched = True

        # capital_invariant_violation
        if text('type') == 'CAPITAL_INVARIANT_VIOLATION':
            k = label('profileId')
            self.violations[k] = self.violations.get(k, 0) + 1
            matched = True

        # capital_snapshot
        pct = text('utilizationPercent')
        if (component == 'risk' and 'profileId' in fields and
                pct is not None and NUMBER.fullmatch(pct)):
            self.util[label('profileId')] = float(pct)
            matched = True

        if component == 'reconciliation':
            n = text('mismatches')
            if n is not None and UNSIGNED.fullmatch(n):
                self.mismatches += float(n)
                matched = True
            n = text('missingInDb')
            if n is not None and NUMBER.fullmatch(n):
                self.missing[b'db'] = float(n)
                matched = True
            n = text('missingOnExchange')
            if n is not None and NUMBER.fullmatch(n):
                self.missing[b'exchange'] = float(n)
                matched = True

        if matched:
            self.matched += 1
            self._newer(t)
        return t

    def native_lines(self, defaults):
        """The native line of each native histogram series: none here."""
        return []

    def samples(self, defaults, now):
        """Every sample as (name, {label: bytes}, float)."""
        out = []

        def add(name, labels, value):
            d = dict(labels)
            d.update(defaults)
            out.append((name, d, float(value)))

        def hist(name, labels, h):
            cum = 0
            for b, c in zip(h.bounds, h.counts):
                cum += c
                add(name + '_bucket', labels + [('le', fmt(b).encode())],
                    cum)
            add(name + '_bucket', labels + [('le', b'+Inf')], h.count)
            add(name + '_sum', labels, h.sum)
            add(name + '_count', labels, h.count)

        for (sev, typ, prof, sym), v in self.events.items():
            add('bytelyst_bot_operational_events_total',
                [('severity', sev), ('type', typ), ('profile_id', prof),
                 ('symbol', sym)], v)
        for sub, h in self.durations.items():
            hist('bytelyst_bot_subsystem_duration_seconds',
                 [('subsystem', sub)], h)
        for sub, v in self.last_run.items():
            add('bytelyst_bot_subsystem_last_run_timestamp',
                [('subsystem', sub)], v)
            th = THRESHOLDS.get(sub.decode('utf-8', 'surrogateescape'),
                                STALE_AFTER)
            alive = 1 if v > 0 and now - v <= th else 0
            add('bytelyst_bot_subsystem_alive', [('subsystem', sub)], alive)
        for (ex, op), h in self.latencies.items():
            hist('bytelyst_bot_exchange_api_latency_seconds',
                 [('exchange', ex), ('operation', op)], h)
        for prof, v in self.violations.items():
            add('bytelyst_bot_capital_invariant_violations_total',
                [('profile_id', prof)], v)
        for prof, v in self.util.items():
            add('bytelyst_bot_profile_utilization_percent',
                [('profile_id', prof)], v)
        add('bytelyst_bot_reconciliation_mismatches_total', [],
            self.mismatches)
        for src, v in self.missing.items():
            add('bytelyst_bot_reconciliation_missing_items_count',
                [('source', src)], v)
        return out


HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
HTTP_MSG = re.compile(rb'request (?:completed|errored)')
HTTP_METHOD = re.compile(rb'[A-Z]+')
HTTP_CODE = re.compile(rb'[1-5][0-9][0-9]')
HTTP_MS = re.compile(rb'[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
HTTP_PATH = re.compile(rb'[^?#]*')
HTTP_ID = re.compile(rb'/[0-9]+(?=/|\Z)')
HTTP_UUID = re.compile(rb'/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}(?=/|\Z)',
                       re.I)
INDEX = re.compile(r'0|[1-9][0-9]{0,8}')


class HttpOracle(Oracle):
    """What rules/http.rules derives, read with json.loads: each field
    through its path (dicts by key, lists by index), the last duplicate
    key winning at every level; regexes on the bytes a value stands for,
    as PCRE2 runs them without UTF."""

    def __init__(self, maxline=MAX_LINE):
        super().__init__(maxline)
        self.requests = {}
        self.opaque = 0
        self.native_max = 160

    def value(self, d, path):
        """The text the path leads to, or None."""
        for key in path.split('.'):
            if isinstance(d, dict):
                d = d.get(key)
            elif isinstance(d, list) and INDEX.fullmatch(key):
                d = d[int(key)] if int(key) < len(d) else None
            else:
                return None
            if d is None:
                return None
        if isinstance(d, (dict, list)):
            # Its text as written is not kept here: never in the fixtures.
            self.opaque += 1
            return None
        if d is True:
            return b'true'
        if d is False:
            return b'false'
        return to_bytes(d)

    def feed_line(self, raw, wtime=None):
        self.lines += 1
        try:
            d = DECODER.decode(raw.decode('utf-8', 'surrogateescape'))
        except (ValueError, RecursionError):
            return wtime
        if not isinstance(d, dict):
            return wtime
        self.objects += 1
        v = {k: self.value(d, k) for k in
             ('msg', 'req.method', 'req.url', 'res.statusCode',
              'responseTime')}
        if (v['msg'] is None or not HTTP_MSG.fullmatch(v['msg']) or
                v['req.method'] is None or
                not HTTP_METHOD.fullmatch(v['req.method']) or
                v['req.url'] is None or v['res.statusCode'] is None or
                not HTTP_CODE.fullmatch(v['res.statusCode']) or
                v['responseTime'] is None or
                not HTTP_MS.fullmatch(v['responseTime'])):
            return wtime
        path = HTTP_PATH.match(v['req.url']).group(0)
        path = HTTP_ID.sub(b'/:id', path)
        path = HTTP_UUID.sub(b'/:uuid', path)
        if path == b'':
            path = b'/'
        method = v['req.method']
        key = (method, path, v['res.statusCode'])
        self.requests[key] = self.requests.get(key, 0) + 1
        h = self.latencies.get((method, path))
        if h is None:
            h = self.latencies[(method, path)] = Histogram(
                HTTP_BUCKETS, NativeHist(3, 2.0 ** -128, self.native_max))
        h.observe(float(v['responseTime']) / 1000)
        self.matched += 1
        return wtime

    def samples(self, defaults, now):
        out = []
        for (method, path, code), n in self.requests.items():
            out.append(('http_requests_total',
                        {'method': method, 'path': path, 'code': code},
                        float(n)))
        for (method, path), h in self.latencies.items():
            labels = {'method': method, 'path': path}
            cum = 0
            for b, c in zip(h.bounds, h.counts):
                cum += c
                out.append(('http_request_duration_seconds_bucket',
                            dict(labels, le=fmt(float(b)).encode()),
                            float(cum)))
            out.append(('http_request_duration_seconds_bucket',
                        dict(labels, le=b'+Inf'), float(h.count)))
            out.append(('http_request_duration_seconds_sum', labels, h.sum))
            out.append(('http_request_duration_seconds_count', labels,
                        float(h.count)))
        return out

    def native_lines(self, defaults):
        out = []
        for (method, path), h in self.latencies.items():
            n = h.native
            if n is not None:
                labels = dict(defaults, method=method, path=path)
                out.append(native_line('http_request_duration_seconds',
                                       labels, n.schema, n.threshold, n.zero,
                                       n.pos, n.neg))
        return out


def fmt(v):
    """A sample value in canonical form."""
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return '+Inf' if v > 0 else '-Inf'
    if v == 0:
        return '0'
    if v.is_integer():
        return str(int(v))
    return repr(v)


def escape(b):
    s = b.decode('utf-8', 'replace')
    return s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def sort_key(sample):
    name, labels, _ = sample
    le = labels.get('le')
    rest = sorted((k, v) for k, v in labels.items() if k != 'le')
    return (name, rest, float(le) if le is not None else -math.inf)


def render(samples):
    """Canonical text of samples given as (name, {label: str}, float)."""
    lines = []
    for name, labels, value in sorted(samples, key=sort_key):
        body = ','.join('%s="%s"' % (k, labels[k]) for k in sorted(labels))
        if body:
            lines.append('%s{%s} %s' % (name, body, fmt(value)))
        else:
            lines.append('%s %s' % (name, fmt(value)))
    return ''.join(line + '\n' for line in lines)


def canon_oracle(samples):
    out = []
    for name, labels, value in samples:
        d = {}
        for k, v in labels.items():
            if k == 'le':
                d[k] = fmt(float(v.decode()))
            elif v != b'':
                d[k] = escape(v)
        out.append((name, d, value))
    return render(out)


LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"'
                   r'\s*(,?)', re.S)
UNESCAPE = re.compile(r'\\(.)', re.S)


def unescape_label(s):
    return UNESCAPE.sub(
        lambda m: {'\\': '\\', '"': '"', 'n': '\n'}.get(
            m.group(1), m.group(0)), s)


def canon_exposition(text, path):
    """Canonical form of a text exposition; exits on a line it cannot
    read."""
    out = []
    for num, line in enumerate(text.split('\n'), 1):
        line = line.rstrip('\r')
        if line.strip() == '' or line.lstrip().startswith('#'):
            continue
        m = re.match(r'\s*([a-zA-Z_:][a-zA-Z0-9_:]*)', line)
        if m is None:
            sys.exit('%s:%d: not a sample: %r' % (path, num, line))
        name = m.group(1)
        i = m.end()
        labels = {}
        if line.startswith('{', i):
            i += 1
            while True:
                j = len(line) - len(line[i:].lstrip())
                if line.startswith('}', j):
                    i = j + 1
                    break
                lm = LABEL.match(line, i)
                if lm is None:
                    sys.exit('%s:%d: bad label set: %r' % (path, num, line))
                labels[lm.group(1)] = unescape_label(lm.group(2))
                i = lm.end()
                if not lm.group(3):
                    j = len(line) - len(line[i:].lstrip())
                    if not line.startswith('}', j):
                        sys.exit('%s:%d: bad label set: %r' %
                                 (path, num, line))
                    i = j + 1
                    break
        rest = line[i:].split()
        if len(rest) not in (1, 2):
            sys.exit('%s:%d: bad value: %r' % (path, num, line))
        if name.startswith('logmetrics_') or name.startswith('process_'):
            continue
        d = {}
        for k, v in labels.items():
            if k == 'le':
                d[k] = fmt(float(v))
            elif v != '':
                d[k] = (v.replace('\\', '\\\\').replace('"', '\\"')
                        .replace('\n', '\\n'))
        out.append((name, d, float(rest[0])))
    return render(out)


def pb_varint(b, i):
    v = shift = 0
    while True:
        if i >= len(b):
            raise ValueError('a varint runs past the end')
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if c < 0x80:
            return v, i


def pb_zigzag(n):
    return (n >> 1) ^ -(n & 1)


def pb_fields(b):
    """The fields of a message as {number: [value, ...]}: varints as
    ints, fixed64 as the 8 bytes, length-delimited as bytes."""
    out = {}
    i = 0
    while i < len(b):
        key, i = pb_varint(b, i)
        wire = key & 7
        if wire == 0:
            v, i = pb_varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 2:
            n, i = pb_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError('wire type %d' % wire)
        if i > len(b):
            raise ValueError('a field runs past the end')
        out.setdefault(key >> 3, []).append(v)
    return out


def pb_double(f, n, default=0.0):
    return struct.unpack('<d', f[n][-1])[0] if n in f else default


def pb_uint(f, n):
    return f[n][-1] if n in f else 0


def pb_sints(f, n):
    """A repeated sint64, packed or not."""
    out = []
    for v in f.get(n, []):
        if isinstance(v, int):
            out.append(pb_zigzag(v))
            continue
        i = 0
        while i < len(v):
            x, i = pb_varint(v, i)
            out.append(pb_zigzag(x))
    return out


def pb_buckets(h, span_field, delta_field):
    """The {key: count} of one sign of a native histogram."""
    deltas = pb_sints(h, delta_field)
    out = {}
    key = None
    count = j = 0
    for sp in h.get(span_field, []):
        s = pb_fields(sp)
        off = pb_zigzag(pb_uint(s, 1))
        key = off if key is None else key + off
        for _ in range(pb_uint(s, 2)):
            count += deltas[j]
            j += 1
            out[key] = count
            key += 1
    if j != len(deltas):
        raise ValueError('%d deltas for %d buckets' % (len(deltas), j))
    return {k: c for k, c in out.items() if c != 0}


def canon_protobuf(data):
    """Canonical form of a protobuf exposition (delimited MetricFamily
    messages): the samples the text format would show, then a native
    line per native histogram."""
    samples, natives = [], []
    i = 0
    while i < len(data):
        n, i = pb_varint(data, i)
        if i + n > len(data):
            raise ValueError('a family is cut')
        fam = pb_fields(data[i:i + n])
        i += n
        name = fam[1][-1].decode()
        typ = pb_uint(fam, 3)
        if name.startswith('logmetrics_') or name.startswith('process_'):
            continue
        for mb in fam.get(4, []):
            m = pb_fields(mb)
            labels = {}
            for lb in m.get(1, []):
                lp = pb_fields(lb)
                labels[lp[1][-1].decode()] = lp.get(2, [b''])[-1]
            if typ in (0, 1):
                v = pb_fields(m[3 if typ == 0 else 2][-1])
                samples.append((name, labels, pb_double(v, 1)))
                continue
            h = pb_fields(m[7][-1])
            count = pb_uint(h, 1)
            for bb in h.get(3, []):
                b = pb_fields(bb)
                le = pb_double(b, 2)
                if math.isinf(le):
                    continue
                samples.append((name + '_bucket',
                                dict(labels, le=fmt(le).encode()),
                                float(pb_uint(b, 1))))
            samples.append((name + '_bucket', dict(labels, le=b'+Inf'),
                            float(count)))
            samples.append((name + '_sum', labels, pb_double(h, 2)))
            samples.append((name + '_count', labels, float(count)))
            if 5 in h:
                natives.append(native_line(
                    name, labels, pb_zigzag(pb_uint(h, 5)),
                    pb_double(h, 6), pb_uint(h, 7),
                    pb_buckets(h, 12, 13), pb_buckets(h, 9, 10)))
    return canon_oracle(samples) + ''.join(sorted(natives))


def default_labels(overrides):
    node_env = os.environ.get('NODE_ENV', '')
    paper = os.environ.get('PAPER_TRADING', '')
    d = {
        'env': b'production' if node_env == 'production' else b'development',
        'mode': b'live' if paper in LIVE else b'paper',
        'app': b'bytelyst-trading-bot-service',
    }
    for o in overrides:
        k, sep, v = o.partition('=')
        if not sep or not k:
            sys.exit('oracle: --label wants NAME=VALUE, got %r' % o)
        d[k] = v.encode('utf-8', 'surrogateescape')
    return d


def write(text):
    sys.stdout.buffer.write(text.encode('utf-8', 'surrogateescape'))


def fill_times(path):
    """The records of a --timed log as plain lines with the same times."""
    out = sys.stdout.buffer
    with open(path, 'rb') as f:
        for raw in f:
            when, rec = raw.rstrip(b'\n').split(b'\t', 1)
            fields = fields_of(rec.decode('utf-8', 'surrogateescape'))
            if fields is not None and line_time(fields) is None:
                end = rec.rindex(b'}')
                sep = b',' if fields or rec[:end].strip() != b'{' else b''
                rec = (rec[:end] + sep + b'"time":"' + when + b'"' +
                       rec[end:])
            out.write(rec + b'\n')


def main():
    ap = argparse.ArgumentParser(
        description='Expected Bytelyst metrics of log files, or the '
        'canonical form of an exposition.')
    ap.add_argument('--canon', metavar='EXPOSITION',
                    help='print the canonical form of a text exposition')
    ap.add_argument('--canon-pb', metavar='EXPOSITION',
                    help='print the canonical form of a protobuf '
                    'exposition, native histograms included')
    ap.add_argument('--native', action='store_true',
                    help='after the samples, a line per native histogram '
                    'series with its buckets')
    ap.add_argument('--native-max-buckets', type=int, default=160,
                    metavar='N', help='with --rules http, the '
                    'native_max_buckets of the latency histogram '
                    '(default 160)')
    ap.add_argument('--now', type=float, metavar='SECONDS',
                    help='judge freshness at this Unix time (default: the '
                    'newest log time seen)')
    ap.add_argument('--until', type=float, metavar='SECONDS',
                    help='stop at the first line whose log time is later')
    ap.add_argument('--label', action='append', default=[],
                    metavar='NAME=VALUE', help='set a default label')
    ap.add_argument('--max-line', type=int, default=MAX_LINE,
                    metavar='BYTES', help='skip longer lines (default '
                    '%d)' % MAX_LINE)
    ap.add_argument('--fill-times', metavar='LOG',
                    help='print the records of a --timed log as plain '
                    'lines with the same log times')
    ap.add_argument('--timed', action='store_true',
                    help="each line a runtime's time, a tab, a record")
    ap.add_argument('--rules', choices=('bytelyst', 'http'),
                    default='bytelyst',
                    help='the rule set: rules/bytelyst.rules (the '
                    'default) or rules/http.rules')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='counts on stderr')
    ap.add_argument('logs', nargs='*', metavar='LOG')
    a = ap.parse_args()

    def exposition(path, flag):
        if a.logs:
            ap.error('%s takes no log files' % flag)
        if path == '-':
            return sys.stdin.buffer.read()
        with open(path, 'rb') as f:
            return f.read()

    if a.canon is not None:
        data = exposition(a.canon, '--canon')
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            print('oracle: warning: %s is not valid UTF-8' % a.canon,
                  file=sys.stderr)
            text = data.decode('utf-8', 'surrogateescape')
        write(canon_exposition(text, a.canon))
        return

    if a.canon_pb is not None:
        data = exposition(a.canon_pb, '--canon-pb')
        try:
            write(canon_protobuf(data))
        except (ValueError, KeyError, IndexError, struct.error) as e:
            sys.exit('oracle: %s: not a protobuf exposition: %s' %
                     (a.canon_pb, e))
        return

    if a.fill_times is not None:
        fill_times(a.fill_times)
        return
    if not a.logs:
        ap.error('no log files')
    o = (HttpOracle if a.rules == 'http' else Oracle)(a.max_line)
    o.native_max = a.native_max_buckets
    o.until = a.until
    o.timed = a.timed
    for path in a.logs:
        if o.done:
            break
        o.feed_file(path)
    now = a.now
    if now is None:
        now = o.newest if o.newest is not None else 0.0
    if o.no_time:
        print('oracle: warning: %d successful cycles without a log time '
              'ignored (the exporter would use its wall clock)' % o.no_time,
              file=sys.stderr)
    if a.verbose:
        print('oracle: %d lines, %d JSON objects, %d matched, now %s' %
              (o.lines, o.objects, o.matched, fmt(now)), file=sys.stderr)
    if a.rules == 'http':
        if o.opaque:
            print('oracle: warning: %d fields led to an object or array, '
                  'taken as absent' % o.opaque, file=sys.stderr)
        write(canon_oracle(o.samples({}, now)))
        if a.native:
            write(''.join(sorted(o.native_lines({}))))
        return
    defaults = default_labels(a.label)
    write(canon_oracle(o.samples(defaults, now)))
    if a.native:
        write(''.join(sorted(o.native_lines(defaults))))


if __name__ == '__main__':
    main()
