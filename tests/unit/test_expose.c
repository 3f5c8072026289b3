/*
 * test_expose.c: the exposition formats, compared byte for byte, and the
 * escaping on its own.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expose.h"
#include "metrics.h"
#include "testutil.h"
#include "util.h"

/* clang-format off */
#define L(s)	{ (s), sizeof(s) - 1 }
/* clang-format on */
#define R   "\xef\xbf\xbd" /* U+FFFD */
#define DL  "env=\"prod\",mode=\"paper\",app=\"bot\""
#define NOW 1700000000.0

static void
assert_bytes(const char *got, size_t gotlen, const char *want, size_t wantlen)
{
	size_t i, from;

	for (i = 0; i < gotlen && i < wantlen; i++)
		if (got[i] != want[i])
			break;
	if (i == gotlen && i == wantlen)
		return;
	from = i > 60 ? i - 60 : 0;
	cr_assert_fail("output differs at byte %zu (lengths %zu, %zu)\n"
		       "got:  ...%.*s\nwant: ...%.*s",
	    i, gotlen, wantlen,
	    (int)((gotlen - from) < 120 ? gotlen - from : 120), got + from,
	    (int)((wantlen - from) < 120 ? wantlen - from : 120), want + from);
}

static void
set_defaults(struct registry *reg)
{
	char *names[] = { "env", "mode", "app" };
	char *values[] = { "prod", "paper", "bot" };

	registry_set_default_labels(reg, names, values, 3);
}

static char	       *sev_type[] = { "severity", "type" };
static char	       *source_l[] = { "source" };
static char	       *subsystem_l[] = { "subsystem" };
static char	       *k_l[] = { "k" };
static char	       *x_l[] = { "x" };
static char	       *initial_src[] = { "exchange", "db" };
static char	       *initial_sub[] = { "never" };
static double		loop_buckets[] = { 0.1, 0.25, 0.5, 1, 2, 5, 10 };
static struct threshold alive_th[] = {
	{ "subsystem", "monitor", 300 }, { "subsystem", "reconcile", 600 },
	{ "subsystem", "monitor", 5000 }, /* never reached: first wins */
};

/* Hostile label values, each with the value it is set to. */
static const struct str hostile[] = {
	L("say \"hi\""),
	L("back\\slash\\\\"),
	L("two\nlines"),
	L("nul\0"
	  "byte"),
	L("\x80"
	  "lone continuation"),
	L("\xc0\xaf"
	  "overlong2"),
	L("\xe0\x80\xaf"
	  "overlong3"),
	L("\xf0\x80\x80\xaf"
	  "overlong4"),
	L("\xed\xa0\x80"
	  "surrogate"),
	L("\xf4\x90\x80\x80"
	  "above U+10FFFF"),
	L("\xf5\x80\x80\x80"
	  "f5"),
	L("\xfe\xff"),
	L("trunc\xe2\x82"),
	L("trunc\xe2\x82"
	  "x"),
	L("trunc4\xf0\x9f\x98"),
	L("ok \xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xf4\x8f\xbf\xbf"),
	L(""),
};

/*
 * The registry of the whole-exposition tests: every metric type, initial
 * series, default and custom buckets, freshness fresh, stale and never
 * set, hostile label values, a metric without series.
 */
static struct registry *
build(void)
{
	struct metric_decl d[9];
	struct registry	  *reg;
	struct metric	  *m;
	char		   err[256];
	struct str	   v[2];
	size_t		   i;

	d[0] = tu_decl("events_total", "Operational events.", METRIC_COUNTER,
	    sev_type, 2);
	d[1] = tu_decl("mismatches_total", "Reconciliation mismatches.",
	    METRIC_COUNTER, NULL, 0);
	d[2] = tu_decl("reconciliation_missing_items",
	    "Missing items in the last sync.", METRIC_GAUGE, source_l, 1);
	d[2].initial = initial_src;
	d[2].ninitial = 2;
	d[3] = tu_decl("subsystem_duration_seconds", "Execution time of loops.",
	    METRIC_HISTOGRAM, subsystem_l, 1);
	d[3].buckets = loop_buckets;
	d[3].nbuckets = NELEM(loop_buckets);
	d[4] = tu_decl("api_latency_seconds",
	    "Latency of \"exchange\" calls\\ with a\nnewline.",
	    METRIC_HISTOGRAM, NULL, 0);
	d[5] = tu_decl("subsystem_last_run_timestamp",
	    "Unix time of the last run.", METRIC_GAUGE, subsystem_l, 1);
	d[5].initial = initial_sub;
	d[5].ninitial = 1;
	d[6] = tu_decl("subsystem_alive", "Whether each subsystem ran lately.",
	    METRIC_FRESHNESS, NULL, 0);
	d[6].source = "subsystem_last_run_timestamp";
	d[6].stale_after = 60;
	d[6].th = alive_th;
	d[6].nth = NELEM(alive_th);
	d[7] = tu_decl("hostile_labels", "Label values that need care.",
	    METRIC_GAUGE, k_l, 1);
	d[8] = tu_decl("empty_gauge", "Declared, never set.", METRIC_GAUGE, x_l,
	    1);

	reg = registry_new();
	set_defaults(reg);
	cr_assert_eq(registry_sync(reg, d, NELEM(d), err, sizeof(err)), 0, "%s",
	    err);

	m = registry_find(reg, "events_total");
	v[0] = (struct str)L("ERROR");
	v[1] = (struct str)L("ORDER_FAILURE");
	cr_assert_eq(metric_add(m, v, 1), 0);
	cr_assert_eq(metric_add(m, v, 1), 0);
	v[0] = (struct str)L("WARN");
	v[1] = (struct str)L("x");
	cr_assert_eq(metric_add(m, v, 2.5), 0);

	m = registry_find(reg, "reconciliation_missing_items");
	v[0] = (struct str)L("exchange");
	cr_assert_eq(metric_set(m, v, 3.5), 0);

	m = registry_find(reg, "subsystem_duration_seconds");
	v[0] = (struct str)L("trading");
	cr_assert_eq(metric_observe(m, v, 0.0625), 0);
	cr_assert_eq(metric_observe(m, v, 0.25), 0);
	cr_assert_eq(metric_observe(m, v, 0.375), 0);
	cr_assert_eq(metric_observe(m, v, 12), 0);
	cr_assert_eq(metric_observe(m, v, 1), 0);
	v[0] = (struct str)L("monitor");
	cr_assert_eq(metric_observe(m, v, 7), 0);

	m = registry_find(reg, "api_latency_seconds");
	cr_assert_eq(metric_observe(m, NULL, 0.005), 0);
	cr_assert_eq(metric_observe(m, NULL, 0.5), 0);

	m = registry_find(reg, "subsystem_last_run_timestamp");
	v[0] = (struct str)L("trading");
	cr_assert_eq(metric_set(m, v, NOW - 10), 0); /* fresh */
	v[0] = (struct str)L("edge");
	cr_assert_eq(metric_set(m, v, NOW - 60), 0); /* just fresh */
	v[0] = (struct str)L("monitor");
	cr_assert_eq(metric_set(m, v, NOW - 1000), 0); /* stale: 300 */
	v[0] = (struct str)L("reconcile");
	cr_assert_eq(metric_set(m, v, NOW - 200), 0); /* fresh: 600 */

	m = registry_find(reg, "hostile_labels");
	for (i = 0; i < NELEM(hostile); i++)
		cr_assert_eq(metric_set(m, &hostile[i], (double)(i + 1)), 0);
	return reg;
}

static const char want_text[] =
    "# HELP events_total Operational events.\n"
    "# TYPE events_total counter\n"
    "events_total{severity=\"ERROR\",type=\"ORDER_FAILURE\"," DL "} 2\n"
    "events_total{severity=\"WARN\",type=\"x\"," DL "} 2.5\n"
    "# HELP mismatches_total Reconciliation mismatches.\n"
    "# TYPE mismatches_total counter\n"
    "mismatches_total{" DL "} 0\n"
    "# HELP reconciliation_missing_items Missing items in the last "
    "sync.\n"
    "# TYPE reconciliation_missing_items gauge\n"
    "reconciliation_missing_items{source=\"db\"," DL "} 0\n"
    "reconciliation_missing_items{source=\"exchange\"," DL "} 3.5\n"
    "# HELP subsystem_duration_seconds Execution time of loops.\n"
    "# TYPE subsystem_duration_seconds histogram\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"0.1\"} 0\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"0.25\"} 0\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"0.5\"} 0\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"1\"} 0\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"2\"} 0\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"5\"} 0\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"10\"} 1\n"
    "subsystem_duration_seconds_bucket{subsystem=\"monitor\"," DL
    ",le=\"+Inf\"} 1\n"
    "subsystem_duration_seconds_sum{subsystem=\"monitor\"," DL "} 7\n"
    "subsystem_duration_seconds_count{subsystem=\"monitor\"," DL "} 1\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"0.1\"} 1\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"0.25\"} 2\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"0.5\"} 3\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"1\"} 4\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"2\"} 4\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"5\"} 4\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"10\"} 4\n"
    "subsystem_duration_seconds_bucket{subsystem=\"trading\"," DL
    ",le=\"+Inf\"} 5\n"
    "subsystem_duration_seconds_sum{subsystem=\"trading\"," DL "} 13.6875\n"
    "subsystem_duration_seconds_count{subsystem=\"trading\"," DL "} 5\n"
    "# HELP api_latency_seconds Latency of \"exchange\" calls\\\\ with "
    "a\\nnewline.\n"
    "# TYPE api_latency_seconds histogram\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.005\"} 1\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.01\"} 1\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.025\"} 1\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.05\"} 1\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.1\"} 1\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.25\"} 1\n"
    "api_latency_seconds_bucket{" DL ",le=\"0.5\"} 2\n"
    "api_latency_seconds_bucket{" DL ",le=\"1\"} 2\n"
    "api_latency_seconds_bucket{" DL ",le=\"2.5\"} 2\n"
    "api_latency_seconds_bucket{" DL ",le=\"5\"} 2\n"
    "api_latency_seconds_bucket{" DL ",le=\"10\"} 2\n"
    "api_latency_seconds_bucket{" DL ",le=\"+Inf\"} 2\n"
    "api_latency_seconds_sum{" DL "} 0.505\n"
    "api_latency_seconds_count{" DL "} 2\n"
    "# HELP subsystem_last_run_timestamp Unix time of the last run.\n"
    "# TYPE subsystem_last_run_timestamp gauge\n"
    "subsystem_last_run_timestamp{subsystem=\"edge\"," DL "} 1699999940\n"
    "subsystem_last_run_timestamp{subsystem=\"monitor\"," DL "} 1699999000\n"
    "subsystem_last_run_timestamp{subsystem=\"never\"," DL "} 0\n"
    "subsystem_last_run_timestamp{subsystem=\"reconcile\"," DL "} 1699999800\n"
    "subsystem_last_run_timestamp{subsystem=\"trading\"," DL "} 1699999990\n"
    "# HELP subsystem_alive Whether each subsystem ran lately.\n"
    "# TYPE subsystem_alive gauge\n"
    "subsystem_alive{subsystem=\"edge\"," DL "} 1\n"
    "subsystem_alive{subsystem=\"monitor\"," DL "} 0\n"
    "subsystem_alive{subsystem=\"never\"," DL "} 0\n"
    "subsystem_alive{subsystem=\"reconcile\"," DL "} 1\n"
    "subsystem_alive{subsystem=\"trading\"," DL "} 1\n"
    "# HELP hostile_labels Label values that need care.\n"
    "# TYPE hostile_labels gauge\n"
    "hostile_labels{k=\"\"," DL "} 17\n"
    "hostile_labels{k=\"back\\\\slash\\\\\\\\\"," DL "} 2\n"
    "hostile_labels{k=\"nul\0"
    "byte\"," DL "} 4\n"
    "hostile_labels{k=\"ok \xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e "
    "\xf4\x8f\xbf\xbf\"," DL "} 16\n"
    "hostile_labels{k=\"say \\\"hi\\\"\"," DL "} 1\n"
    "hostile_labels{k=\"trunc4" R "\"," DL "} 15\n"
    "hostile_labels{k=\"trunc" R "\"," DL "} 13\n"
    "hostile_labels{k=\"trunc" R "x\"," DL "} 14\n"
    "hostile_labels{k=\"two\\nlines\"," DL "} 3\n"
    "hostile_labels{k=\"" R "lone continuation\"," DL "} 5\n"
    "hostile_labels{k=\"" R R "overlong2\"," DL "} 6\n"
    "hostile_labels{k=\"" R R R "overlong3\"," DL "} 7\n"
    "hostile_labels{k=\"" R R R "surrogate\"," DL "} 9\n"
    "hostile_labels{k=\"" R R R R "overlong4\"," DL "} 8\n"
    "hostile_labels{k=\"" R R R R "above U+10FFFF\"," DL "} 10\n"
    "hostile_labels{k=\"" R R R R "f5\"," DL "} 11\n"
    "hostile_labels{k=\"" R R "\"," DL "} 12\n"
    "# HELP empty_gauge Declared, never set.\n"
    "# TYPE empty_gauge gauge\n";

TestSuite(expose, .fini = tu_cleanup);

/* Label values: the hostile ones first, each whole output compared. */
Test(expose, label_value_table)
{
	static const struct {
		struct str in;
		struct str want;
	} t[] = {
		{ L("\xed\xa0\x80"), L(R R R) },
		{ L("\xed\xbf\xbf"), L(R R R) },
		{ L("\xed\x9f\xbf"), L("\xed\x9f\xbf") }, /* U+D7FF */
		{ L("\xc0\x80"), L(R R) },
		{ L("\xc1\xbf"), L(R R) },
		{ L("\xe0\x9f\xbf"), L(R R R) },
		{ L("\xe0\xa0\x80"), L("\xe0\xa0\x80") }, /* U+0800 */
		{ L("\xf0\x8f\xbf\xbf"), L(R R R R) },
		{ L("\xf0\x90\x80\x80"), L("\xf0\x90\x80\x80") },
		{ L("\xf4\x90\x80\x80"), L(R R R R) },
		{ L("\xf4\x8f\xbf\xbf"), L("\xf4\x8f\xbf\xbf") },
		{ L("\xf8\x88\x80\x80\x80"), L(R R R R R) },
		{ L("\xff\xfe"), L(R R) },
		{ L("\x80\xbf"), L(R R) },
		{ L("\xc3"), L(R) },
		{ L("\xe2\x82"), L(R) },
		{ L("\xf0\x9f\x98"), L(R) },
		{ L("\xe2\x82\"\n"), L(R "\\\"\\n") },
		{ L("\xc3\\"), L(R "\\\\") },
		{ L("a\xf0\x9f\x98"
		    "b\xc3\xa9"),
		    L("a" R "b\xc3\xa9") },
		{ L("\"\\\n"), L("\\\"\\\\\\n") },
		{ L("\\n"), L("\\\\n") },
		{ L("\0"), L("\0") },
		{ L("a\0\"b"), L("a\0\\\"b") },
		{ L("\r\t"), L("\r\t") },
		{ L(""), L("") },
		{ L("plain value"), L("plain value") },
		{ L("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
		    L("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") },
	};
	struct buf b;
	size_t	   i;

	buf_init(&b);
	for (i = 0; i < NELEM(t); i++) {
		buf_reset(&b);
		buf_puts(&b, "<");
		expose_label_value(&b, t[i].in.p, t[i].in.n);
		cr_assert_eq(b.len, t[i].want.n + 1, "case %zu: length %zu", i,
		    b.len);
		cr_assert_eq(memcmp(b.p + 1, t[i].want.p, t[i].want.n), 0,
		    "case %zu", i);
		cr_assert_eq(b.p[b.len], '\0');
	}
	buf_free(&b);
}

/* HELP text: quotes stay, backslash and newline escaped, UTF-8 checked. */
Test(expose, help_table)
{
	static const struct {
		const char *in;
		const char *want;
	} t[] = {
		{ "\xed\xa0\x80", R R R },
		{ "bad \xff byte", "bad " R " byte" },
		{ "\\", "\\\\" },
		{ "line1\nline2\n", "line1\\nline2\\n" },
		{ "say \"hi\"", "say \"hi\"" },
		{ "C:\\path\\n", "C:\\\\path\\\\n" },
		{ "", "" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	struct buf b;
	size_t	   i;

	buf_init(&b);
	for (i = 0; i < NELEM(t); i++) {
		buf_reset(&b);
		expose_help(&b, t[i].in);
		cr_assert_str_eq(b.len ? b.p : "", t[i].want, "case %zu", i);
	}
	buf_free(&b);
}

/* The whole text exposition, byte for byte. */
Test(expose, text_whole)
{
	struct registry *reg;
	struct buf	 out;

	reg = build();
	buf_init(&out);
	registry_lock(reg);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	registry_unlock(reg);
	assert_bytes(out.p, out.len, want_text, sizeof(want_text) - 1);

	/* Rendering is deterministic and leaves the registry as it was. */
	buf_reset(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	assert_bytes(out.p, out.len, want_text, sizeof(want_text) - 1);
	buf_free(&out);
	registry_free(reg);
}

/* Compatible re-sync: the values survive into the next exposition. */
Test(expose, text_after_resync)
{
	static const char want[] =
	    "# HELP events_total Operational events.\n"
	    "# TYPE events_total counter\n"
	    "events_total{severity=\"ERROR\",type=\"ORDER_FAILURE\"," DL "} 2\n"
	    "events_total{severity=\"WARN\",type=\"x\"," DL "} 2.5\n"
	    "# HELP reconciliation_missing_items Now a counter.\n"
	    "# TYPE reconciliation_missing_items counter\n"
	    "reconciliation_missing_items{source=\"db\"," DL "} 0\n"
	    "reconciliation_missing_items{source=\"exchange\"," DL "} 0\n";
	struct metric_decl d[2];
	struct registry	  *reg;
	struct buf	   out;
	char		   err[256];

	reg = build();
	d[0] = tu_decl("events_total", "Operational events.", METRIC_COUNTER,
	    sev_type, 2);
	d[1] = tu_decl("reconciliation_missing_items", "Now a counter.",
	    METRIC_COUNTER, source_l, 1);
	d[1].initial = initial_src;
	d[1].ninitial = 2;
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0, "%s", err);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	assert_bytes(out.p, out.len, want, sizeof(want) - 1);
	buf_free(&out);
	registry_free(reg);
}

/* Without default labels nor metric labels: no braces at all. */
Test(expose, text_no_labels)
{
	static double	   buckets[] = { 0.5, 1 };
	static const char  want[] = "# HELP up_total Starts.\n"
				    "# TYPE up_total counter\n"
				    "up_total 3\n"
				    "# HELP temp Temperature.\n"
				    "# TYPE temp gauge\n"
				    "temp -1.5\n"
				    "# HELP wait_seconds Waits.\n"
				    "# TYPE wait_seconds histogram\n"
				    "wait_seconds_bucket{le=\"0.5\"} 1\n"
				    "wait_seconds_bucket{le=\"1\"} 1\n"
				    "wait_seconds_bucket{le=\"+Inf\"} 2\n"
				    "wait_seconds_sum 2.25\n"
				    "wait_seconds_count 2\n"
				    "# TYPE nohelp gauge\n"
				    "nohelp{x=\"1\"} +Inf\n"
				    "nohelp{x=\"2\"} NaN\n";
	struct metric_decl d[4];
	struct registry	  *reg;
	struct buf	   out;
	struct str	   v;
	char		   err[256];

	d[0] = tu_decl("up_total", "Starts.", METRIC_COUNTER, NULL, 0);
	d[1] = tu_decl("temp", "Temperature.", METRIC_GAUGE, NULL, 0);
	d[2] = tu_decl("wait_seconds", "Waits.", METRIC_HISTOGRAM, NULL, 0);
	d[2].buckets = buckets;
	d[2].nbuckets = 2;
	d[3] = tu_decl("nohelp", NULL, METRIC_GAUGE, x_l, 1);
	reg = registry_new();
	cr_assert_eq(registry_sync(reg, d, 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(metric_add(reg->m[0], NULL, 3), 0);
	cr_assert_eq(metric_add(reg->m[1], NULL, -1.5), 0);
	cr_assert_eq(metric_observe(reg->m[2], NULL, 0.25), 0);
	cr_assert_eq(metric_observe(reg->m[2], NULL, 2), 0);
	v = (struct str)L("2");
	cr_assert_eq(metric_set(reg->m[3], &v, NAN), 0);
	v = (struct str)L("1");
	cr_assert_eq(metric_set(reg->m[3], &v, INFINITY), 0);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	assert_bytes(out.p, out.len, want, sizeof(want) - 1);
	buf_free(&out);
	registry_free(reg);
}

/*
 * Native histograms in text and OpenMetrics show their classic view: the
 * declared buckets if any, +Inf, sum and count, all exact; the native
 * buckets only go out in protobuf.
 */
Test(expose, native_as_classic_view)
{
	static double	   buckets[] = { 1 };
	static const char  want_plain[] = "# HELP n_seconds Native only.\n"
					  "# TYPE n_seconds histogram\n"
					  "n_seconds_bucket{le=\"+Inf\"} 3\n"
					  "n_seconds_sum -997.5\n"
					  "n_seconds_count 3\n"
					  "# HELP b_seconds Both views.\n"
					  "# TYPE b_seconds histogram\n"
					  "b_seconds_bucket{le=\"1\"} 2\n"
					  "b_seconds_bucket{le=\"+Inf\"} 3\n"
					  "b_seconds_sum 1002.5\n"
					  "b_seconds_count 3\n";
	static const char  want_om[] = "# HELP n_seconds Native only.\n"
				       "# TYPE n_seconds histogram\n"
				       "n_seconds_bucket{le=\"+Inf\"} 3\n"
				       "n_seconds_count 3\n"
				       "n_seconds_sum -997.5\n"
				       "# HELP b_seconds Both views.\n"
				       "# TYPE b_seconds histogram\n"
				       "b_seconds_bucket{le=\"1\"} 2\n"
				       "b_seconds_bucket{le=\"+Inf\"} 3\n"
				       "b_seconds_count 3\n"
				       "b_seconds_sum 1002.5\n"
				       "# EOF\n";
	struct metric_decl d[2];
	struct registry	  *reg;
	struct buf	   out;
	char		   err[256];
	size_t		   i;

	d[0] = tu_decl("n_seconds", "Native only.", METRIC_HISTOGRAM, NULL, 0);
	d[1] = tu_decl("b_seconds", "Both views.", METRIC_HISTOGRAM, NULL, 0);
	d[1].buckets = buckets;
	d[1].nbuckets = 1;
	for (i = 0; i < 2; i++) {
		d[i].native = 1;
		d[i].native_factor = 1.1;
		d[i].native_zero = 0;
		d[i].native_max = 160;
	}
	reg = registry_new();
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reg->m[0]->nbuckets, 0);
	cr_assert_eq(metric_observe(reg->m[0], NULL, 0.5), 0);
	cr_assert_eq(metric_observe(reg->m[0], NULL, 2), 0);
	cr_assert_eq(metric_observe(reg->m[0], NULL, -1000), 0);
	cr_assert_eq(metric_observe(reg->m[1], NULL, 0.5), 0);
	cr_assert_eq(metric_observe(reg->m[1], NULL, 0), 0);
	cr_assert_eq(metric_observe(reg->m[1], NULL, 1002), 0);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	assert_bytes(out.p, out.len, want_plain, sizeof(want_plain) - 1);
	buf_reset(&out);
	expose_render(&reg, 1, &out, EXPOSE_OPENMETRICS, NOW);
	assert_bytes(out.p, out.len, want_om, sizeof(want_om) - 1);
	buf_free(&out);
	registry_free(reg);
}

/*
 * OpenMetrics: counter families without "_total", samples with it (added
 * when the name lacks it), HELP escaping quotes too, "# EOF" at the end.
 */
Test(expose, openmetrics_whole)
{
	static const char want[] = "# HELP events Operational \\\"events\\\".\n"
				   "# TYPE events counter\n"
				   "events_total{k=\"a\\\\b\\\"" R "\\n\"," DL
				   "} 2\n"
				   "# HELP restarts Restarts.\n"
				   "# TYPE restarts counter\n"
				   "restarts_total{" DL "} 0\n"
				   "# HELP last_run Last run.\n"
				   "# TYPE last_run gauge\n"
				   "last_run{k=\"a\"," DL "} 1699999999\n"
				   "last_run{k=\"b\"," DL "} 1\n"
				   "# HELP alive Freshness.\n"
				   "# TYPE alive gauge\n"
				   "alive{k=\"a\"," DL "} 1\n"
				   "alive{k=\"b\"," DL "} 0\n"
				   "# HELP wait_seconds Waits.\n"
				   "# TYPE wait_seconds histogram\n"
				   "wait_seconds_bucket{k=\"a\"," DL
				   ",le=\"2.5\"} 1\n"
				   "wait_seconds_bucket{k=\"a\"," DL
				   ",le=\"+Inf\"} 1\n"
				   "wait_seconds_count{k=\"a\"," DL "} 1\n"
				   "wait_seconds_sum{k=\"a\"," DL "} 2.5\n"
				   "# EOF\n";
	static double	   buckets[] = { 2.5 };
	struct metric_decl d[5];
	struct registry	  *reg;
	struct buf	   out;
	struct str	   v;
	char		   err[256];

	d[0] = tu_decl("events_total", "Operational \"events\".",
	    METRIC_COUNTER, k_l, 1);
	d[1] = tu_decl("restarts", "Restarts.", METRIC_COUNTER, NULL, 0);
	d[2] = tu_decl("last_run", "Last run.", METRIC_GAUGE, k_l, 1);
	d[3] = tu_decl("alive", "Freshness.", METRIC_FRESHNESS, k_l, 1);
	d[3].source = "last_run";
	d[3].stale_after = 10;
	d[4] = tu_decl("wait_seconds", "Waits.", METRIC_HISTOGRAM, k_l, 1);
	d[4].buckets = buckets;
	d[4].nbuckets = 1;
	reg = registry_new();
	set_defaults(reg);
	cr_assert_eq(registry_sync(reg, d, 5, err, sizeof(err)), 0, "%s", err);
	v = (struct str)L("a\\b\"\xff\n");
	cr_assert_eq(metric_add(reg->m[0], &v, 2), 0);
	v = (struct str)L("a");
	cr_assert_eq(metric_set(reg->m[2], &v, NOW - 1), 0);
	cr_assert_eq(metric_observe(reg->m[4], &v, 2.5), 0);
	v = (struct str)L("b");
	cr_assert_eq(metric_set(reg->m[2], &v, 1), 0);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_OPENMETRICS, NOW);
	assert_bytes(out.p, out.len, want, sizeof(want) - 1);
	buf_free(&out);
	registry_free(reg);
}

/*
 * Exemplars: on a counter's _total line and on the bucket line each
 * observation fell into (+Inf included), the latest kept; none in the
 * text format, which stays as it was without them.
 */
Test(expose, exemplars)
{
	static const char want_om[] =
	    "# TYPE req counter\n"
	    "req_total{k=\"a\"} 3 # {id=\"q\\\"2\"} 2 1700000000.25\n"
	    "req_total{k=\"b\"} 1\n"
	    "# TYPE lat_seconds histogram\n"
	    "lat_seconds_bucket{k=\"a\",le=\"0.1\"} 2 # {id=\"y\"} 0.05 "
	    "1700000002\n"
	    "lat_seconds_bucket{k=\"a\",le=\"1\"} 2\n"
	    "lat_seconds_bucket{k=\"a\",le=\"+Inf\"} 3 # {id=\"z\",n=\"1\"} "
	    "7 1700000003\n"
	    "lat_seconds_count{k=\"a\"} 3\n"
	    "lat_seconds_sum{k=\"a\"} 7.07\n"
	    "# EOF\n";
	static const char want_004[] =
	    "# TYPE req_total counter\n"
	    "req_total{k=\"a\"} 3\n"
	    "req_total{k=\"b\"} 1\n"
	    "# TYPE lat_seconds histogram\n"
	    "lat_seconds_bucket{k=\"a\",le=\"0.1\"} 2\n"
	    "lat_seconds_bucket{k=\"a\",le=\"1\"} 2\n"
	    "lat_seconds_bucket{k=\"a\",le=\"+Inf\"} 3\n"
	    "lat_seconds_sum{k=\"a\"} 7.07\n"
	    "lat_seconds_count{k=\"a\"} 3\n";
	static double	   buckets[] = { 0.1, 1 };
	struct metric_decl d[2];
	struct registry	  *reg;
	struct exemplar	   ex;
	struct buf	   out;
	struct str	   v;
	char		   err[256];

	d[0] = tu_decl("req_total", NULL, METRIC_COUNTER, k_l, 1);
	d[1] = tu_decl("lat_seconds", NULL, METRIC_HISTOGRAM, k_l, 1);
	d[1].buckets = buckets;
	d[1].nbuckets = 2;
	reg = registry_new();
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0, "%s", err);
	memset(&ex, 0, sizeof(ex));
	v = (struct str)L("a");
	ex.labels = "id=\"1\"";
	ex.len = strlen(ex.labels);
	ex.time = 1700000000;
	cr_assert_eq(metric_add_ex(reg->m[0], &v, 1, &ex), 0);
	/* The latest replaces it, its labels longer than the first. */
	ex.labels = "id=\"q\\\"2\"";
	ex.len = strlen(ex.labels);
	ex.time = 1700000000.25;
	cr_assert_eq(metric_add_ex(reg->m[0], &v, 2, &ex), 0);
	v = (struct str)L("b");
	cr_assert_eq(metric_add(reg->m[0], &v, 1), 0);
	v = (struct str)L("a");
	ex.labels = "id=\"x\"";
	ex.len = strlen(ex.labels);
	ex.time = 1700000001;
	cr_assert_eq(metric_observe_ex(reg->m[1], &v, 0.02, &ex), 0);
	ex.labels = "id=\"y\"";
	ex.len = strlen(ex.labels);
	ex.time = 1700000002;
	cr_assert_eq(metric_observe_ex(reg->m[1], &v, 0.05, &ex), 0);
	ex.labels = "id=\"z\",n=\"1\"";
	ex.len = strlen(ex.labels);
	ex.time = 1700000003;
	cr_assert_eq(metric_observe_ex(reg->m[1], &v, 7, &ex), 0);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_OPENMETRICS, NOW);
	assert_bytes(out.p, out.len, want_om, sizeof(want_om) - 1);
	buf_reset(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	assert_bytes(out.p, out.len, want_004, sizeof(want_004) - 1);
	buf_free(&out);
	/* A series with exemplars goes when the registry does. */
	registry_free(reg);
}

/*
 * A 100 KiB label value full of characters to escape and bytes to
 * replace, rendered whole; the expected text is built alongside.
 */
Test(expose, huge_label_value)
{
	static const char  chunk[] = "q\"\\\n\xc3\xa9\xff"
				     "abc";
	static const char  echunk[] = "q\\\"\\\\\\n\xc3\xa9" R "abc";
	struct metric_decl d;
	struct registry	  *reg;
	struct buf	   raw, want, out;
	struct str	   v;
	char		   err[256];
	size_t		   i;

	cr_assert_eq(sizeof(chunk) - 1, 10);
	buf_init(&raw);
	buf_init(&want);
	buf_puts(&want,
	    "# HELP big_labels Big.\n# TYPE big_labels gauge\n"
	    "big_labels{k=\"");
	for (i = 0; i < 10240; i++) {
		buf_append(&raw, chunk, sizeof(chunk) - 1);
		buf_append(&want, echunk, sizeof(echunk) - 1);
	}
	cr_assert_eq(raw.len, 100 * 1024);
	buf_puts(&want, "\"," DL "} 42\n");

	d = tu_decl("big_labels", "Big.", METRIC_GAUGE, k_l, 1);
	reg = registry_new();
	set_defaults(reg);
	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), 0, "%s", err);
	v.p = raw.p;
	v.n = raw.len;
	cr_assert_eq(metric_set(reg->m[0], &v, 42), 0);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	assert_bytes(out.p, out.len, want.p, want.len);
	buf_free(&out);
	buf_free(&want);
	buf_free(&raw);
	registry_free(reg);
}

/* What promtool makes of the whole text exposition: no error, no lint. */
Test(expose, promtool_check_metrics)
{
	struct registry *reg;
	struct buf	 out;
	char		 path[128], cmd[192];
	int		 rc;

	if (access("/usr/bin/promtool", X_OK) != 0)
		cr_skip_test("/usr/bin/promtool is not installed");
	reg = build();
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_TEXT, NOW);
	tu_path(path, sizeof(path), tu_tmpdir("test_expose"), "out.prom");
	tu_write(path, out.p, out.len);
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s",
	    path);
	rc = system(cmd);
	cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
	    "promtool check metrics: status %d", rc);
	buf_free(&out);
	registry_free(reg);
}

/* Collects expose_write()'s pieces; fails from piece fail_at on. */
struct pieces {
	struct buf all;
	size_t	   n;
	size_t	   biggest;
	size_t	   fail_at;
};

static int
collect_piece(void *arg, const char *p, size_t n)
{
	struct pieces *pc = arg;

	if (++pc->n >= pc->fail_at)
		return -1;
	buf_append(&pc->all, p, n);
	if (n > pc->biggest)
		pc->biggest = n;
	return 0;
}

/*
 * expose_write() hands out what expose_render() returns, in pieces of
 * about 64 KiB (one series more at most), so that a one-shot run's memory
 * does not grow with its output; a failing put() makes it fail.
 */
Test(expose, write_in_pieces)
{
	static double	   buckets[] = { 0.5, 1, 2 };
	struct metric_decl d[2];
	struct registry	  *reg;
	struct pieces	   pc;
	struct buf	   whole;
	struct str	   v;
	char		   err[256], val[32];
	size_t		   i;
	enum expose_format fmt;

	d[0] = tu_decl("calls_total", "Calls.", METRIC_COUNTER, x_l, 1);
	d[1] = tu_decl("wait_seconds", "Waits.", METRIC_HISTOGRAM, x_l, 1);
	d[1].buckets = buckets;
	d[1].nbuckets = NELEM(buckets);
	reg = registry_new();
	set_defaults(reg);
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < 5000; i++) {
		snprintf(val, sizeof(val), "value-%zu", i);
		v.p = val;
		v.n = strlen(val);
		cr_assert_eq(metric_add(reg->m[0], &v, (double)i), 0);
		cr_assert_eq(metric_observe(reg->m[1], &v, (double)i / 1000),
		    0);
	}
	for (fmt = EXPOSE_TEXT; fmt <= EXPOSE_OPENMETRICS; fmt++) {
		buf_init(&whole);
		expose_render(&reg, 1, &whole, fmt, NOW);
		cr_assert_gt(whole.len, 4 * 64 * 1024);
		memset(&pc, 0, sizeof(pc));
		pc.fail_at = SIZE_MAX;
		buf_init(&pc.all);
		cr_assert_eq(expose_write(&reg, 1, fmt, NOW, collect_piece,
				 &pc),
		    0);
		assert_bytes(pc.all.p, pc.all.len, whole.p, whole.len);
		cr_assert_geq(pc.n, 4, "%zu pieces", pc.n);
		cr_assert_lt(pc.biggest, 64 * 1024 + 4096, "a piece of %zu",
		    pc.biggest);
		buf_free(&pc.all);

		memset(&pc, 0, sizeof(pc));
		pc.fail_at = 2;
		buf_init(&pc.all);
		cr_assert_eq(expose_write(&reg, 1, fmt, NOW, collect_piece,
				 &pc),
		    -1);
		cr_assert_eq(pc.n, 2, "put called %zu times after failing",
		    pc.n);
		buf_free(&pc.all);
		buf_free(&whole);
	}
	registry_free(reg);
}

/*
 * Two registries in one exposition, as follow mode renders its metrics
 * and its self-metrics: each with its own default labels and label cache,
 * one "# EOF" at the very end, and the same pieces through expose_write.
 */
Test(expose, two_registries)
{
	static const char  two_text[] = "# HELP a_total A.\n"
					"# TYPE a_total counter\n"
					"a_total{k=\"x\"," DL "} 2\n"
					"# HELP self_lines_total Lines.\n"
					"# TYPE self_lines_total counter\n"
					"self_lines_total{k=\"y\"} 5\n";
	static const char  two_om[] = "# HELP a A.\n"
				      "# TYPE a counter\n"
				      "a_total{k=\"x\"," DL "} 2\n"
				      "# HELP self_lines Lines.\n"
				      "# TYPE self_lines counter\n"
				      "self_lines_total{k=\"y\"} 5\n"
				      "# EOF\n";
	struct metric_decl d;
	struct registry	  *regs[2];
	struct buf	   out;
	struct str	   v;
	char		   err[256];
	int		   pass;

	d = tu_decl("a_total", "A.", METRIC_COUNTER, k_l, 1);
	regs[0] = registry_new();
	set_defaults(regs[0]);
	regs[0]->cache_labels = 1;
	cr_assert_eq(registry_sync(regs[0], &d, 1, err, sizeof(err)), 0, "%s",
	    err);
	v = (struct str)L("x");
	cr_assert_eq(metric_add(regs[0]->m[0], &v, 2), 0);
	d = tu_decl("self_lines_total", "Lines.", METRIC_COUNTER, k_l, 1);
	regs[1] = registry_new();
	cr_assert_eq(registry_sync(regs[1], &d, 1, err, sizeof(err)), 0, "%s",
	    err);
	v = (struct str)L("y");
	cr_assert_eq(metric_add(regs[1]->m[0], &v, 5), 0);
	/* Twice: the second time from the first registry's label cache. */
	for (pass = 0; pass < 2; pass++) {
		buf_init(&out);
		expose_render(regs, 2, &out, EXPOSE_TEXT, NOW);
		assert_bytes(out.p, out.len, two_text, sizeof(two_text) - 1);
		buf_free(&out);
		buf_init(&out);
		expose_render(regs, 2, &out, EXPOSE_OPENMETRICS, NOW);
		assert_bytes(out.p, out.len, two_om, sizeof(two_om) - 1);
		buf_free(&out);
	}
	registry_free(regs[0]);
	registry_free(regs[1]);
}
