/*
 * test_state.c: the state file: every truncation and every bit flip of a
 * small file refused, precise errors for hostile records, the exact
 * format, round trips of binary label values and odd doubles, and the
 * restore into a registry (rules changed, foreign file set aside).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "metrics.h"
#include "state.h"
#include "testutil.h"
#include "tail.h"
#include "util.h"

static char  *sm_labels[] = { "severity", "type" };
static char  *h_labels[] = { "subsystem" };
static double h_bounds[] = { 0.1, 0.5, 1 };

/* A state with the nasty values: binary labels, NaN, -0, infinities. */
static void
nasty_state(struct state *st)
{
	static char		   v0[] = "a\0b \"q\"\\\n\xff", v1[] = "";
	static char		   v2[] = "trading", v3[] = "x y";
	static char		  *vals0[] = { v0, v1 }, *vals1[] = { v3, v2 };
	static size_t		   lens0[] = { sizeof(v0) - 1, 0 };
	static size_t		   lens1[] = { 3, 7 };
	static char		  *hvals[] = { v2 };
	static size_t		   hlens[] = { 7 };
	static uint64_t		   hb[] = { 1, 0, 5 };
	static struct state_series cs[2], hs[1];
	static struct native	   nh;
	static int32_t		   pk[] = { -8, 0, 8193 }, nk[] = { 5 };
	static uint64_t		   pc[] = { 2, 3, 1 }, nc[] = { 2 };
	static char		   el0[] = "id=\"7\\\"\\n\"";
	static char		   el1[] = "id=\"\xc3\xa9\",k=\"\"";
	static char		   el2[] = "id=\"inf\"";
	static struct state_exemplar cex[1], hex[2];
	static struct state_metric   m[3];
	static struct state_pos	     f[2];
	static char		     k0[] = "file", k1[] = "journal_2";
	static char		     d0[] =
	    " \"/var/log/bot\\x20one.log\" 2049 "
	    "18446744073709551615 123456789 256 fedcba9876543210";
	static char d1[] = " \"s=0a;i=\\x22\" x";

	state_init(st);
	st->rules = 0x0123456789abcdefULL;
	f[0].kind = k0;
	f[0].version = 1;
	f[0].data = d0;
	f[0].len = sizeof(d0) - 1;
	f[1].kind = k1;
	f[1].version = 18446744073709551615ULL;
	f[1].data = d1;
	f[1].len = sizeof(d1) - 1;
	st->pos = f;
	st->npos = 2;
	cs[0].values = vals0;
	cs[0].lens = lens0;
	cs[0].value = 3;
	cs[0].updated = 1764020763.25;
	cex[0].slot = 0;
	cex[0].labels = el0;
	cex[0].len = sizeof(el0) - 1;
	cex[0].value = 2;
	cex[0].time = 1764020763.125;
	cs[0].ex = cex;
	cs[0].nex = 1;
	hex[0].slot = 1;
	hex[0].labels = el1;
	hex[0].len = sizeof(el1) - 1;
	hex[0].value = 0.3;
	hex[0].time = -1;
	hex[1].slot = 3;
	hex[1].labels = el2;
	hex[1].len = sizeof(el2) - 1;
	hex[1].value = INFINITY;
	hex[1].time = 1e9;
	hs[0].ex = hex;
	hs[0].nex = 2;
	cs[1].values = vals1;
	cs[1].lens = lens1;
	cs[1].value = NAN;
	cs[1].updated = -0.0;
	hs[0].values = hvals;
	hs[0].lens = hlens;
	hs[0].value = INFINITY;
	hs[0].count = 9;
	hs[0].buckets = hb;
	m[0].name = "events_total";
	m[0].type = METRIC_COUNTER;
	m[0].labels = sm_labels;
	m[0].nlabels = 2;
	m[0].series = cs;
	m[0].nseries = 2;
	m[1].name = "dur_seconds";
	m[1].type = METRIC_HISTOGRAM;
	m[1].labels = h_labels;
	m[1].nlabels = 1;
	m[1].bounds = h_bounds;
	m[1].nbounds = 3;
	m[1].series = hs;
	m[1].nseries = 1;
	/* Native too: 1 in the zero bucket, 6 positive (+Inf among them),
	   2 negative: the 9 observations. */
	m[1].native = 1;
	m[1].nschema = 3;
	m[1].nzero = NATIVE_ZERO_DEFAULT;
	m[1].nmax = 160;
	nh.schema = 2;
	nh.zero = 1;
	nh.pos.key = pk;
	nh.pos.count = pc;
	nh.pos.n = 3;
	nh.neg.key = nk;
	nh.neg.count = nc;
	nh.neg.n = 1;
	hs[0].nh = &nh;
	m[2].name = "empty_gauge";
	m[2].type = METRIC_GAUGE;
	st->metrics = m;
	st->nmetrics = 3;
}

static char *
formatted(const struct state *st, size_t *len)
{
	struct buf b;

	buf_init(&b);
	state_format(st, &b);
	*len = b.len;
	return buf_release(&b);
}

TestSuite(state, .fini = tu_cleanup);

/* Cut anywhere, a state file is refused, never half-read. */
Test(state, every_truncation_refused)
{
	struct state st, got;
	char	    *text, *copy, err[256];
	size_t	     len, n;

	nasty_state(&st);
	text = formatted(&st, &len);
	for (n = 0; n < len; n++) {
		copy = xmalloc(n + 1);
		memcpy(copy, text, n);
		err[0] = '\0';
		cr_assert_eq(state_parse(copy, n, &got, err, sizeof(err)), -1,
		    "accepted %zu of %zu bytes", n, len);
		cr_assert_neq(err[0], '\0', "no message at %zu", n);
		cr_assert_eq(got.nmetrics, 0);
		cr_assert_eq(got.npos, 0);
		free(copy);
	}
	cr_assert_eq(state_parse(text, len, &got, err, sizeof(err)), 0, "%s",
	    err);
	state_free(&got);
	free(text);
}

/* Any single bit flipped anywhere is refused: the checksum or the parser. */
Test(state, every_bit_flip_refused)
{
	struct state st, got;
	char	    *text, err[256];
	size_t	     len, i;
	int	     bit;

	nasty_state(&st);
	text = formatted(&st, &len);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			text[i] ^= (char)(1 << bit);
			cr_assert_eq(state_parse(text, len, &got, err,
					 sizeof(err)),
			    -1, "bit %d of byte %zu accepted", bit, i);
			text[i] ^= (char)(1 << bit);
		}
	free(text);
}

/* Anything after the checksum line, even a second copy, is refused. */
Test(state, trailing_data_refused)
{
	struct state st, got;
	struct buf   b;
	char	     err[256];

	nasty_state(&st);
	buf_init(&b);
	state_format(&st, &b);
	buf_puts(&b, "x");
	cr_assert_eq(state_parse(b.p, b.len, &got, err, sizeof(err)), -1);
	cr_assert(strstr(err, "data after the checksum line") != NULL, "%s",
	    err);
	b.len--;
	state_format(&st, &b);
	cr_assert_eq(state_parse(b.p, b.len, &got, err, sizeof(err)), -1);
	cr_assert(strstr(err, "data after the checksum line") != NULL, "%s",
	    err);
	buf_free(&b);
}

/* The round trip keeps every byte and every bit of every double. */
Test(state, round_trip)
{
	struct state st, got;
	char	    *text, *again, err[256];
	size_t	     len, len2;
	double	     d;

	nasty_state(&st);
	text = formatted(&st, &len);
	cr_assert_eq(state_parse(text, len, &got, err, sizeof(err)), 0, "%s",
	    err);
	again = formatted(&got, &len2);
	cr_assert_eq(len2, len);
	cr_assert_eq(memcmp(text, again, len), 0);
	cr_assert_eq(got.rules, st.rules);
	cr_assert_eq(got.npos, 2);
	cr_assert_str_eq(got.pos[0].kind, "file");
	cr_assert_eq(got.pos[0].version, 1);
	cr_assert_eq(got.pos[0].len, st.pos[0].len);
	cr_assert_str_eq(got.pos[0].data, st.pos[0].data);
	cr_assert_str_eq(got.pos[1].kind, "journal_2");
	cr_assert_eq(got.pos[1].version, 18446744073709551615ULL);
	cr_assert_str_eq(got.pos[1].data, st.pos[1].data);
	cr_assert_eq(got.pos[1].line, 4);
	/* After the header, the first record, "pos journal_2 VERSION". */
	cr_assert_eq(got.pos[1].off, 42 + 10 + st.pos[0].len + 1 + 34);
	cr_assert_eq(got.nmetrics, 3);
	cr_assert_eq(got.metrics[0].series[0].lens[0], 10);
	cr_assert_eq(memcmp(got.metrics[0].series[0].values[0],
			 "a\0b \"q\"\\\n\xff", 10),
	    0);
	cr_assert_eq(got.metrics[0].series[0].lens[1], 0);
	cr_assert(isnan(got.metrics[0].series[1].value));
	d = got.metrics[0].series[1].updated;
	cr_assert(d == 0 && signbit(d));
	cr_assert(isinf(got.metrics[1].series[0].value));
	cr_assert_eq(got.metrics[1].series[0].count, 9);
	cr_assert_eq(got.metrics[1].series[0].buckets[2], 5);
	cr_assert_eq(got.metrics[1].bounds[1], 0.5);
	cr_assert_eq(got.metrics[2].nseries, 0);
	cr_assert_eq(got.metrics[0].series[0].nex, 1);
	cr_assert_eq(got.metrics[0].series[0].ex[0].len, 10);
	cr_assert_eq(memcmp(got.metrics[0].series[0].ex[0].labels,
			 "id=\"7\\\"\\n\"", 10),
	    0);
	cr_assert_eq(got.metrics[0].series[0].ex[0].time, 1764020763.125);
	cr_assert_eq(got.metrics[0].series[1].nex, 0);
	cr_assert_eq(got.metrics[1].series[0].nex, 2);
	cr_assert_eq(got.metrics[1].series[0].ex[1].slot, 3);
	cr_assert(isinf(got.metrics[1].series[0].ex[1].value));
	cr_assert_eq(got.metrics[1].native, 1);
	cr_assert_eq(got.metrics[1].nschema, 3);
	cr_assert_eq(got.metrics[1].nzero, NATIVE_ZERO_DEFAULT);
	cr_assert_eq(got.metrics[1].nmax, 160);
	cr_assert_not_null(got.metrics[1].series[0].nh);
	cr_assert_eq(got.metrics[1].series[0].nh->schema, 2);
	cr_assert_eq(got.metrics[1].series[0].nh->pos.n, 3);
	cr_assert_eq(got.metrics[1].series[0].nh->pos.key[0], -8);
	cr_assert_eq(got.metrics[1].series[0].nh->pos.key[2], 8193);
	cr_assert_eq(got.metrics[1].series[0].nh->neg.count[0], 2);
	cr_assert_eq(got.metrics[0].native, 0);
	state_free(&got);
	free(text);
	free(again);
}

/* The exact bytes of a small state. */
Test(state, exact_format)
{
	static char	     *v[] = { "a b" };
	static size_t	      l[] = { 3 };
	static char	     *lab[] = { "k" };
	struct state_exemplar e = { 0, "id=\"x\"", 6, 1, 2 };
	struct state_series   s = { v, l, 2, 0.5, 0, NULL, &e, 1, NULL };
	struct state_metric   m = { "c_total", METRIC_COUNTER, lab, 1, NULL, 0,
		  &s, 1, 0, 0, 0, 0 };
	static char	      kind[] = "file";
	static char	      data[] = " \"/l/x.log\" 1 2 3 4 0000000000000005";
	struct state_pos      f = { kind, 1, data, sizeof(data) - 1, 0, 0, 0 };
	struct state	      st = { 0xabc, &f, 1, &m, 1, 0 };
	char		     *text;
	size_t		      len;

	text = formatted(&st, &len);
	cr_assert_str_eq(text,
	    "logmetrics-state 4\n"
	    "rules 0000000000000abc\n"
	    "pos file 1 \"/l/x.log\" 1 2 3 4 0000000000000005\n"
	    "metric \"c_total\" counter 1 \"k\" 0\n"
	    "series \"a\\x20b\" 4000000000000000 3fe0000000000000\n"
	    "exemplar 0 \"id=\\x22x\\x22\" 3ff0000000000000 "
	    "4000000000000000\n"
	    "end 1 1 1\n"
	    "crc32 8ee46a74\n");
	free(text);
}

struct bad {
	const char *in;
	const char *err;
};

/* Hostile records, each refused with its place and what is wrong. */
Test(state, errors_named)
{
	static const struct bad cases[] = {
		{ "", "byte 0 (line 0): empty file" },
		{ "GIF89a\n", "byte 0 (line 1): not a logmetrics state file" },
		{ "logmetr",
		    "byte 7 (line 1): the last line is not terminated "
		    "(truncated file)" },
		{ "logmetrics-state 5\n",
		    "byte 17 (line 1): format version 5; "
		    "this logmetrics reads versions 1 to 4" },
		{ "logmetrics-state 01\n",
		    "byte 17 (line 1): expected a "
		    "decimal number" },
		{ "logmetrics-state  1\n", "byte 17 (line 1): empty field" },
		{ "logmetrics-state 1\n",
		    "byte 19 (line 1): truncated: no "
		    "rules record" },
		{ "logmetrics-state 1\nrules 0\n",
		    "byte 25 (line 2): expected "
		    "16 hex digits" },
		{ "logmetrics-state 1\nrules 000000000000000A\n",
		    "byte 25 "
		    "(line 2): expected 16 hex digits" },
		{ "logmetrics-state 1\nrules 0000000000000000\n",
		    "byte 42 "
		    "(line 2): truncated: no end record" },
		{ "logmetrics-state 1\nrules 0000000000000000\nfile\n",
		    "byte 42 (line 3): file record: expected at least 2 fields, "
		    "found 1" },
		{ "logmetrics-state 2\nrules 0000000000000000\nfile \"x\" 1 2 "
		  "3 4 0000000000000000\n",
		    "byte 42 (line 3): unknown "
		    "record" },
		{ "logmetrics-state 2\nrules 0000000000000000\npos file 1\n",
		    "byte 42 (line 3): pos record: expected at least 4 fields, "
		    "found 3" },
		{ "logmetrics-state 2\nrules 0000000000000000\npos fiLe 1 x\n",
		    "byte 48 (line 3): expected the kind of a position, a "
		    "lower-case word" },
		{ "logmetrics-state 2\nrules 0000000000000000\npos 1file 1 x\n",
		    "byte 46 (line 3): expected the kind of a position, a "
		    "lower-case word" },
		{ "logmetrics-state 2\nrules 0000000000000000\npos file v1 x\n",
		    "byte 51 (line 3): expected a decimal number" },
		{ "logmetrics-state 2\nrules 0000000000000000\npos file 1 x  "
		  "y\n",
		    "byte 55 (line 3): empty field" },
		{ "logmetrics-state 1\nrules 0000000000000000\nseries \"x\"\n",
		    "byte 42 (line 3): series record before any metric" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "freshness 0 0\n",
		    "byte 53 (line 3): expected counter, "
		    "gauge or histogram" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "gauge 18446744073709551615 0\n",
		    "byte 59 (line 3): "
		    "18446744073709551615 labels announced, the line has room "
		    "for 0" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "gauge 1 \"l\" 2\n",
		    "byte 65 (line 3): 2 bounds announced, "
		    "the line has 0" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "gauge 0 1 3ff0000000000000\n",
		    "byte 61 (line 3): bounds "
		    "on a gauge" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "gauge 0 0\nmetric \"m\" counter 0 0\n",
		    "byte 70 (line 4): "
		    "metric \"m\" listed twice" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "gauge 0 0\nfile \"x\" 1 2 3 4 0000000000000000\n",
		    "byte "
		    "63 (line 4): position record after the metrics" },
		{ "logmetrics-state 2\nrules 0000000000000000\nmetric \"m\" "
		  "gauge 0 0\npos file 1 x\n",
		    "byte 63 (line 4): position "
		    "record after the metrics" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"m\" "
		  "histogram 0 1 3ff0000000000000\nseries 0000000000000000 "
		  "0000000000000000 1\n",
		    "byte 84 (line 4): series record: "
		    "expected 5 fields, found 4" },
		{ "logmetrics-state 1\nrules 0000000000000000\nwhat\n",
		    "byte 42 (line 3): unknown record" },
		{ "logmetrics-state 1\nrules 0000000000000000\nend 1 0 0\n",
		    "byte 42 (line 3): the end record counts 1 positions, 0 "
		    "metrics, 0 series; the file holds 0, 0, 0" },
		{ "logmetrics-state 1\nrules 0000000000000000\nend 0 0 0\n",
		    "byte 52 (line 3): truncated: no checksum line" },
		{ "logmetrics-state 1\nrules 0000000000000000\nend 0 0 0\n"
		  "crc32 00000000\n",
		    "byte 52 (line 4): checksum mismatch: "
		    "the file says 00000000, its bytes give 48b127af" },
		{ "logmetrics-state 1\nrules 0000000000000000\nend 0 0 0\n"
		  "end 0 0 0\n",
		    "byte 52 (line 4): expected the checksum "
		    "line" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"a\tb\" "
		  "gauge 0 0\n",
		    "byte 51 (line 3): byte 0x09 must be escaped "
		    "in a string" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"a\\x0\" "
		  "gauge 0 0\n",
		    "byte 51 (line 3): bad escape in a string" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric \"a\\x00\" "
		  "gauge 0 0\n",
		    "byte 51 (line 3): NUL byte in a name" },
		{ "logmetrics-state 1\nrules 0000000000000000\nmetric m "
		  "gauge 0 0\n",
		    "byte 49 (line 3): expected a quoted string" },
#define Z   "0000000000000000"
#define V3M "logmetrics-state 3\nrules 0000000000000000\nmetric \"m\" "
		{ V3M "counter 0 0\nexemplar 0 \"a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 65 (line 4): exemplar record before any series" },
		{ V3M "counter 0 0\nseries " Z " " Z
		      "\nexemplar 1 \"a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 115 (line 5): no exemplar 1 on a counter of 0 bounds" },
		{ V3M "gauge 0 0\nseries " Z " " Z
		      "\nexemplar 0 \"a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 113 (line 5): no exemplar 0 on a gauge of 0 bounds" },
		{ V3M "histogram 0 1 3ff0000000000000\nseries " Z " " Z " 0 0\n"
		      "exemplar 2 \"a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 138 (line 5): no exemplar 2 on a histogram of 1 "
		    "bounds" },
		{ V3M "counter 0 0\nseries " Z " " Z
		      "\nexemplar 0 \"a=\\x22b\\x22\" " Z " " Z
		      "\nexemplar 0 \"a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 174 (line 6): exemplar 0 twice" },
		{ V3M "counter 0 0\nseries " Z " " Z
		      "\nexemplar 0 \"a=\\x22b\\x0a\\x22\" " Z " " Z "\n",
		    "byte 117 (line 5): not an exemplar's label set" },
		{ V3M "counter 0 0\nseries " Z " " Z
		      "\nexemplar 0 \"__a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 117 (line 5): not an exemplar's label set" },
		{ V3M "counter 0 0\nseries " Z " " Z
		      "\nexemplar 0 \"a=\\x22b\\x22\"\n",
		    "byte 106 (line 5): exemplar record: expected 5 fields, "
		    "found 3" },
#define V4M "logmetrics-state 4\nrules 0000000000000000\nmetric \"m\" "
#define V4N V4M "histogram 0 0\nnative 3 " Z " 160\nseries " Z " " Z " 2\n"
		{ V4M "counter 0 0\nnative 3 " Z " 160\n",
		    "byte 65 (line 4): native record not right after the "
		    "metric record of a histogram" },
		{ V4M "histogram 0 0\nseries " Z " " Z " 0\nnative 3 " Z
		      " 160\n",
		    "byte 110 (line 5): native record not right after the "
		    "metric record of a histogram" },
		{ V4M "histogram 0 0\nnative 9 " Z " 160\n",
		    "byte 74 (line 4): 9 is not in [-4, 8]" },
		{ V4M "histogram 0 0\nnative -0 " Z " 160\n",
		    "byte 74 (line 4): expected a signed decimal number" },
		{ V4M "histogram 0 0\nnative 3 bff0000000000000 160\n",
		    "byte 76 (line 4): not a zero threshold" },
		{ V4M "histogram 0 0\nnative 3 " Z " 65537\n",
		    "byte 93 (line 4): more than 65536 buckets" },
		{ V4M "histogram 0 0\nnative 3 " Z " 160\nseries " Z " " Z
		      " 0\nend 0 1 1\n",
		    "byte 140 (line 6): series 1 of \"m\" has no nbuckets "
		    "record" },
		{ V4M "histogram 0 0\nseries " Z " " Z " 0\nnbuckets 3 0 0 0\n",
		    "byte 110 (line 5): nbuckets record not after a series of "
		    "a native histogram" },
		/* The schema only ever widens from the declared one. */
		{ V4N "nbuckets 4 0 0 0\n",
		    "byte 149 (line 6): 4 is not in "
		    "[-4, 3]" },
		{ V4N "nbuckets 3 1 0 0\n",
		    "byte 140 (line 6): the native buckets hold 1 "
		    "observations, the series 2" },
		{ V4N "nbuckets 3 0 2 5 1 5 1 0\n",
		    "byte 159 (line 6): bucket keys must increase, counts be "
		    "above 0" },
		{ V4N "nbuckets 3 0 2 5 1 6 0 0\n",
		    "byte 159 (line 6): bucket keys must increase, counts be "
		    "above 0" },
		{ V4N "nbuckets 3 0 3 5 1 6 1 0\n",
		    "byte 153 (line 6): 3 buckets announced, the line has room "
		    "for 2" },
		{ V4N "nbuckets 3 0 1 5 1 1 -2 1 7\n",
		    "byte 166 (line 6): nbuckets record: 1 fields too many" },
		{ V4N "nbuckets 3 0 1 5 18446744073709551615 1 -2 3\n",
		    "byte 183 (line 6): counts overflow" },
		{ V4N "nbuckets 3 0 1 2000000 1 0\n",
		    "byte 155 (line 6): 2000000 is not in [-1048576, 1048576]" },
		{ V4N "nbuckets 3 0 1 5 2 0\nnbuckets 3 0 1 5 2 0\n",
		    "byte 161 (line 7): nbuckets record not after a series of "
		    "a native histogram" },
		/* Version 3 has no native records. */
		{ V3M "histogram 0 0\nnative 3 " Z " 160\n",
		    "byte 67 (line 4): unknown record" },
		/* Version 2 has no exemplar records. */
		{ "logmetrics-state 2\nrules 0000000000000000\nmetric \"m\" "
		  "counter 0 0\nseries " Z " " Z
		  "\nexemplar 0 \"a=\\x22b\\x22\" " Z " " Z "\n",
		    "byte 106 (line 5): unknown record" },
	};
	struct state st;
	char	     err[256];
	size_t	     i;

	for (i = 0; i < NELEM(cases); i++) {
		err[0] = '\0';
		cr_assert_eq(state_parse(cases[i].in, strlen(cases[i].in), &st,
				 err, sizeof(err)),
		    -1, "case %zu accepted", i);
		cr_expect_str_eq(err, cases[i].err, "case %zu: %s", i, err);
	}
}

/* A good file with the right checksum and nothing in it parses. */
Test(state, empty_state_accepted)
{
	static const char in[] =
	    "logmetrics-state 1\n"
	    "rules 0000000000000000\nend 0 0 0\ncrc32 48b127af\n";
	struct state st;
	char	     err[256];

	cr_assert_eq(state_parse(in, sizeof(in) - 1, &st, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(st.npos + st.nmetrics, 0);
	state_free(&st);
}

/*
 * A file of format version 2 (before exemplars) reads as it was: its
 * series without exemplars.
 */
Test(state, version_2_read)
{
	static const char body[] = "logmetrics-state 2\n"
				   "rules 0000000000000abc\n"
				   "metric \"c_total\" counter 0 0\n"
				   "series 4000000000000000 3fe0000000000000\n"
				   "end 0 1 1\n";
	struct state	  st;
	struct buf	  in;
	char		  err[256];

	buf_init(&in);
	buf_puts(&in, body);
	buf_printf(&in, "crc32 %08lx\n",
	    crc32(0L, (const Bytef *)body, sizeof(body) - 1) & 0xffffffffUL);
	cr_assert_eq(state_parse(in.p, in.len, &st, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_eq(st.nmetrics, 1);
	cr_assert_eq(st.metrics[0].series[0].value, 2);
	cr_assert_eq(st.metrics[0].series[0].nex, 0);
	state_free(&st);
	buf_free(&in);
}

/* state_read() then state_apply(), as follow mode does. */
static int
load(const char *path, struct registry *reg, struct state_report *rep,
    char *err, size_t errlen)
{
	struct state st;
	int	     rc;

	if ((rc = state_read(path, &st, err, errlen)) == 0)
		rc = state_apply(path, &st, reg, rep, err, errlen);
	state_free(&st);
	return rc;
}

/*
 * Values go out of one registry and into another declared alike; a
 * metric whose declaration changed, or that is gone, is left alone.
 */
Test(state, restore_into_registry)
{
	static char	   *one[] = { "k" };
	struct metric_decl  d[3], d2[3];
	struct registry	   *a, *b;
	struct state_report rep;
	struct series	   *s;
	struct exemplar	    ex;
	struct str	    v = { "x\0y", 3 };
	struct buf	    out;
	char		    path[128];
	char		    err[512];

	d[0] = tu_decl("c_total", "h", METRIC_COUNTER, one, 1);
	d[1] = tu_decl("h_seconds", "h", METRIC_HISTOGRAM, one, 1);
	d[1].buckets = h_bounds;
	d[1].nbuckets = 3;
	d[2] = tu_decl("g", "h", METRIC_GAUGE, NULL, 0);
	a = tu_registry(d, 3);
	memset(&ex, 0, sizeof(ex));
	ex.labels = "id=\"c\"";
	ex.len = 6;
	ex.time = 1700000000.5;
	cr_assert_eq(metric_add_ex(registry_find(a, "c_total"), &v, 7, &ex), 0);
	ex.labels = "id=\"h\"";
	cr_assert_eq(metric_observe_ex(registry_find(a, "h_seconds"), &v, 0.3,
			 &ex),
	    0);
	cr_assert_eq(metric_observe(registry_find(a, "h_seconds"), &v, 9), 0);
	cr_assert_eq(metric_set(registry_find(a, "g"), NULL, 42), 0);
	buf_init(&out);
	state_snapshot(&out, a, NULL, 0);
	tu_path(path, sizeof(path), tu_tmpdir("test_state"), "state");
	tu_write(path, out.p, out.len);

	/* Same rules: everything comes back. */
	b = tu_registry(d, 3);
	cr_assert_eq(load(path, b, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rep.metrics, 3);
	cr_assert_eq(rep.series, 3);
	cr_assert_eq(rep.rules_changed, 0);
	s = metric_series(registry_find(b, "c_total"), &v);
	cr_assert_eq(s->value, 7);
	/* The exemplars come back with the values. */
	cr_assert_not_null(s->ex);
	cr_assert_eq(s->ex[0].len, 6);
	cr_assert_eq(memcmp(s->ex[0].labels, "id=\"c\"", 6), 0);
	cr_assert_eq(s->ex[0].value, 7);
	cr_assert_eq(s->ex[0].time, 1700000000.5);
	s = metric_series(registry_find(b, "h_seconds"), &v);
	cr_assert_eq(s->count, 2);
	cr_assert_eq(s->value, 9.3);
	cr_assert_eq(s->buckets[0], 0);
	cr_assert_eq(s->buckets[1], 1);
	cr_assert_eq(s->buckets[2], 0);
	cr_assert_not_null(s->ex);
	cr_assert_eq(s->ex[0].len, 0);
	cr_assert_eq(s->ex[1].len, 6);
	cr_assert_eq(memcmp(s->ex[1].labels, "id=\"h\"", 6), 0);
	cr_assert_eq(s->ex[1].value, 0.3);
	cr_assert_eq(s->ex[3].len, 0);
	s = metric_series(registry_find(b, "g"), NULL);
	cr_assert_eq(s->value, 42);
	registry_free(b);

	/* Rules changed: h_seconds has other buckets, g is gone. */
	d2[0] = d[0];
	d2[1] = d[1];
	d2[1].nbuckets = 2;
	d2[2] = tu_decl("new_total", "h", METRIC_COUNTER, NULL, 0);
	b = tu_registry(d2, 3);
	cr_assert_eq(load(path, b, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rep.rules_changed, 1);
	cr_assert_eq(rep.metrics, 1);
	cr_assert_eq(rep.ignored, 2);
	s = metric_series(registry_find(b, "c_total"), &v);
	cr_assert_eq(s->value, 7);
	s = metric_series(registry_find(b, "h_seconds"), &v);
	cr_assert_eq(s->count, 0);
	registry_free(b);

	/* Nothing in common: foreign, set aside untouched. */
	d2[0] = tu_decl("other_total", "h", METRIC_COUNTER, NULL, 0);
	b = tu_registry(d2, 1);
	cr_assert_eq(load(path, b, &rep, err, sizeof(err)), -1);
	cr_assert(strstr(err, "another rule set") != NULL, "%s", err);
	cr_assert(strstr(err, "; renamed to ") != NULL, "%s", err);
	cr_assert_eq(access(path, F_OK), -1);
	strcat(path, ".corrupt");
	cr_assert_eq(access(path, F_OK), 0);
	unlink(path);
	path[strlen(path) - strlen(".corrupt")] = '\0';
	cr_assert_eq(load(path, b, &rep, err, sizeof(err)), 1);
	registry_free(b);
	registry_free(a);
	buf_free(&out);
}

/*
 * A native histogram's buckets come back as they were, schema included;
 * under another factor the metric is not restored.
 */
Test(state, restore_native)
{
	static char	   *one[] = { "k" };
	static const double obs[] = { -2, 0, 0.3, 9, INFINITY, 1e6, 0.3 };
	struct metric_decl  d[2];
	struct registry	   *a, *b;
	struct state_report rep;
	struct series	   *s, *t;
	struct str	    v = { "x", 1 };
	struct buf	    out;
	char		    path[128], err[512];
	size_t		    i;

	d[0] = tu_decl("h_seconds", "h", METRIC_HISTOGRAM, one, 1);
	d[0].buckets = h_bounds;
	d[0].nbuckets = 3;
	d[0].native = 1;
	d[0].native_factor = 1.1;
	d[0].native_zero = NATIVE_ZERO_DEFAULT;
	d[0].native_max = 4;
	d[1] = tu_decl("c_total", "h", METRIC_COUNTER, NULL, 0);
	a = tu_registry(d, 2);
	for (i = 0; i < NELEM(obs); i++)
		cr_assert_eq(metric_observe(registry_find(a, "h_seconds"), &v,
				 obs[i]),
		    0);
	s = metric_series(registry_find(a, "h_seconds"), &v);
	/* Five buckets of either sign, four at most: widened. */
	cr_assert_lt(s->nh->schema, 3);
	cr_assert_eq(native_total(s->nh), 7);
	buf_init(&out);
	state_snapshot(&out, a, NULL, 0);
	tu_path(path, sizeof(path), tu_tmpdir("test_state"), "state");
	tu_write(path, out.p, out.len);

	b = tu_registry(d, 2);
	cr_assert_eq(load(path, b, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rep.metrics, 2);
	t = metric_series(registry_find(b, "h_seconds"), &v);
	cr_assert_eq(t->count, 7);
	cr_assert_eq(t->nh->schema, s->nh->schema);
	cr_assert_eq(t->nh->zero, 1);
	cr_assert_eq(t->nh->pos.n, s->nh->pos.n);
	cr_assert_eq(t->nh->neg.n, 1);
	for (i = 0; i < s->nh->pos.n; i++) {
		cr_assert_eq(t->nh->pos.key[i], s->nh->pos.key[i]);
		cr_assert_eq(t->nh->pos.count[i], s->nh->pos.count[i]);
	}
	cr_assert_eq(t->buckets[1], 2);
	/* It goes on counting from there. */
	cr_assert_eq(metric_observe(registry_find(b, "h_seconds"), &v, 0.3), 0);
	cr_assert_eq(native_total(t->nh), 8);
	registry_free(b);

	/* Another factor: another schema, not restored. */
	d[0].native_factor = 2;
	b = tu_registry(d, 2);
	cr_assert_eq(load(path, b, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rep.rules_changed, 1);
	cr_assert_eq(rep.metrics, 1);
	cr_assert_eq(rep.ignored, 1);
	registry_free(b);
	registry_free(a);
	buf_free(&out);
}

/*
 * A state file written by logmetrics 0.1.0 (format version 1, file
 * records) loads: its file record becomes a position of kind "file",
 * version 1, whose fields the tail decodes, and it formats again in
 * version 2 with the same fields.
 */
Test(state, version_1_fixture)
{
	struct state	st, again;
	struct tail_pos p;
	struct buf	data, out;
	char		err[256], *path;
	size_t		at, i, n = 0;
	FILE	       *f;
	char		chunk[4096];
	size_t		got;

	f = fopen("tests/fixtures/state-v1.state", "rb");
	cr_assert_not_null(f);
	buf_init(&data);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&data, chunk, got);
	fclose(f);
	cr_assert_eq(state_parse(data.p, data.len, &st, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(st.npos, 1);
	cr_assert_str_eq(st.pos[0].kind, "file");
	cr_assert_eq(st.pos[0].version, 1);
	cr_assert_eq(st.pos[0].line, 3);
	cr_assert_eq(tail_pos_decode(1, st.pos[0].data, st.pos[0].len, &p,
			 &path, &at, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(p.saved, 0);
	cr_assert_str_eq(p.path, "/var/tmp/logmetrics-v1/bot.log");
	cr_assert_eq(p.offset, 291700);
	cr_assert_eq(p.headlen, 256);
	free(path);
	cr_assert_gt(st.nmetrics, 5);
	for (i = 0; i < st.nmetrics; i++)
		n += st.metrics[i].nseries;
	cr_assert_gt(n, 100);
	buf_init(&out);
	state_format(&st, &out);
	cr_assert(strncmp(out.p, "logmetrics-state 4\n", 19) == 0);
	cr_assert_not_null(strstr(out.p,
	    "\npos file 1 \"/var/tmp/"
	    "logmetrics-v1/bot.log\" "));
	cr_assert_eq(state_parse(out.p, out.len, &again, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(again.nmetrics, st.nmetrics);
	cr_assert_str_eq(again.pos[0].data, st.pos[0].data);
	state_free(&again);
	state_free(&st);
	buf_free(&out);
	buf_free(&data);
}
