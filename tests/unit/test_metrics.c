/*
 * test_metrics.c: the registry: registry_sync, series lookup and growth,
 * the series cap, updates and the series order.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "testutil.h"
#include "util.h"

/* clang-format off */
#define L(s)	{ (s), sizeof(s) - 1 }
/* clang-format on */

static struct str
S(const char *s) {
	struct str v;

	v.p = s;
	v.n = strlen(s);
	return v;
}

static char  *sub_labels[] = { "subsystem" };
static char  *two_labels[] = { "severity", "type" };
static double five_buckets[] = { 0.1, 0.25, 0.5, 1, 2 };
static double three_buckets[] = { 1, 2, 3 };

static double
value_of(struct metric *m, const struct str *v)
{
	struct series *s;

	s = metric_series(m, v);
	cr_assert_not_null(s);
	return s->value;
}

TestSuite(metrics);

/*
 * Each broken declaration set is refused with its exact message, and the
 * registry (synced before with one metric holding a value) is untouched.
 */
Test(metrics, sync_errors_leave_registry_untouched)
{
	static char	       *le_label[] = { "le" };
	static char	       *dup_labels[] = { "a", "a" };
	static char	       *bad_label[] = { "__reserved" };
	static char	       *env_label[] = { "env" };
	static char	       *init2[] = { "x", "y", NULL };
	static double		flat[] = { 1, 2, 2 };
	static double		down[] = { 1, 0.5 };
	static double		nan_b[] = { 1, NAN };
	static double		inf_b[] = { 1, INFINITY };
	static struct threshold th_bad[] = { { "nope", "x", 5 } };
	struct {
		struct metric_decl d[3];
		size_t		   n;
		const char	  *want;
	} cases[14];
	struct registry	  *reg;
	struct metric	  *keep;
	struct metric_decl base;
	char		   err[256], *dln[] = { "env" }, *dlv[] = { "prod" };
	size_t		   i, nc = 0;

	memset(cases, 0, sizeof(cases));
	/* A duplicate name, reported at the second declaration. */
	cases[nc].d[0] = tu_decl("a_total", "help text", METRIC_COUNTER, NULL,
	    0);
	cases[nc].d[1] = tu_decl("a_total", "help text", METRIC_GAUGE, NULL, 0);
	cases[nc].d[1].line = 7;
	cases[nc].n = 2;
	cases[nc++].want = "test.rules:7: duplicate metric \"a_total\", first "
			   "declared at test.rules:1";
	/* Freshness: source missing. */
	cases[nc].d[0] = tu_decl("alive", "help text", METRIC_FRESHNESS, NULL,
	    0);
	cases[nc].d[0].source = "last_run";
	cases[nc].d[0].line = 3;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:3: freshness gauge \"alive\": source "
			   "\"last_run\" is not declared";
	/* Freshness: source not a gauge. */
	cases[nc].d[0] = tu_decl("last_run", "help text", METRIC_COUNTER, NULL,
	    0);
	cases[nc].d[1] = tu_decl("alive", "help text", METRIC_FRESHNESS, NULL,
	    0);
	cases[nc].d[1].source = "last_run";
	cases[nc].d[1].line = 4;
	cases[nc].n = 2;
	cases[nc++].want = "test.rules:4: freshness gauge \"alive\": source "
			   "\"last_run\" is not a gauge";
	/* Freshness: no source at all, and a threshold on an unknown label. */
	cases[nc].d[0] = tu_decl("alive", "help text", METRIC_FRESHNESS, NULL,
	    0);
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: freshness gauge \"alive\": no "
			   "source gauge";
	cases[nc].d[0] = tu_decl("last_run", "help text", METRIC_GAUGE,
	    sub_labels, 1);
	cases[nc].d[1] = tu_decl("alive", "help text", METRIC_FRESHNESS, NULL,
	    0);
	cases[nc].d[1].source = "last_run";
	cases[nc].d[1].th = th_bad;
	cases[nc].d[1].nth = 1;
	cases[nc].n = 2;
	cases[nc++].want = "test.rules:1: freshness gauge \"alive\": threshold "
			   "on unknown label \"nope\"";
	/* Buckets not strictly increasing, NaN or +Inf. */
	cases[nc].d[0] = tu_decl("h_seconds", "help text", METRIC_HISTOGRAM,
	    NULL, 0);
	cases[nc].d[0].buckets = flat;
	cases[nc].d[0].nbuckets = 3;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: histogram \"h_seconds\": buckets not "
			   "strictly increasing (2 after 2)";
	cases[nc].d[0] = tu_decl("h_seconds", "help text", METRIC_HISTOGRAM,
	    NULL, 0);
	cases[nc].d[0].buckets = down;
	cases[nc].d[0].nbuckets = 2;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: histogram \"h_seconds\": buckets not "
			   "strictly increasing (0.5 after 1)";
	cases[nc].d[0] = tu_decl("h_seconds", "help text", METRIC_HISTOGRAM,
	    NULL, 0);
	cases[nc].d[0].buckets = nan_b;
	cases[nc].d[0].nbuckets = 2;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: histogram \"h_seconds\": bucket 2 is "
			   "not a finite number (+Inf is implicit)";
	cases[nc].d[0] = tu_decl("h_seconds", "help text", METRIC_HISTOGRAM,
	    NULL, 0);
	cases[nc].d[0].buckets = inf_b;
	cases[nc].d[0].nbuckets = 2;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: histogram \"h_seconds\": bucket 2 is "
			   "not a finite number (+Inf is implicit)";
	/* Initial series of the wrong size. */
	cases[nc].d[0] = tu_decl("g", "help text", METRIC_GAUGE, two_labels, 2);
	cases[nc].d[0].initial = init2;
	cases[nc].d[0].ninitial = 2;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: metric \"g\": initial series 2 has "
			   "0 values, expected 2";
	cases[nc].d[0] = tu_decl("g", "help text", METRIC_GAUGE, NULL, 0);
	cases[nc].d[0].initial = init2;
	cases[nc].d[0].ninitial = 1;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: metric \"g\": initial series of a "
			   "metric without labels";
	/* Label names: reserved, duplicated, "le", a default label. */
	cases[nc].d[0] = tu_decl("g", "help text", METRIC_GAUGE, dup_labels, 2);
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:1: metric \"g\": duplicate label \"a\"";
	cases[nc].d[0] = tu_decl("g", "help text", METRIC_GAUGE, bad_label, 1);
	cases[nc].d[1] = tu_decl("h", "help text", METRIC_HISTOGRAM, le_label,
	    1);
	cases[nc].n = 2;
	cases[nc++].want = "test.rules:1: metric \"g\": invalid label name "
			   "\"__reserved\"";
	cases[nc].d[0] = tu_decl("g", "help text", METRIC_GAUGE, env_label, 1);
	cases[nc].d[0].line = 9;
	cases[nc].n = 1;
	cases[nc++].want = "test.rules:9: metric \"g\": label \"env\" is a "
			   "default label";
	cr_assert_eq(nc, NELEM(cases));

	base = tu_decl("kept_total", "help text", METRIC_COUNTER, NULL, 0);
	for (i = 0; i < nc; i++) {
		reg = registry_new();
		registry_set_default_labels(reg, dln, dlv, 1);
		cr_assert_eq(registry_sync(reg, &base, 1, err, sizeof(err)), 0);
		keep = reg->m[0];
		cr_assert_eq(metric_add(keep, NULL, 5), 0);
		/* A valid first declaration must not be applied either. */
		cr_assert_eq(registry_sync(reg, cases[i].d, cases[i].n, err,
				 sizeof(err)),
		    -1, "case %zu", i);
		cr_assert_str_eq(err, cases[i].want, "case %zu", i);
		cr_assert_eq(reg->n, 1);
		cr_assert_eq(reg->m[0], keep);
		cr_assert_eq(value_of(keep, NULL), 5);
		registry_free(reg);
	}

	/* The "le" label of a histogram, and an invalid metric name. */
	reg = registry_new();
	cases[0].d[0] = tu_decl("h", "help text", METRIC_HISTOGRAM, le_label,
	    1);
	cr_assert_eq(registry_sync(reg, cases[0].d, 1, err, sizeof(err)), -1);
	cr_assert_str_eq(err,
	    "test.rules:1: histogram \"h\": label \"le\" is "
	    "reserved");
	cases[0].d[0] = tu_decl("9lives", "help text", METRIC_GAUGE, NULL, 0);
	cr_assert_eq(registry_sync(reg, cases[0].d, 1, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "test.rules:1: invalid metric name \"9lives\"");
	/* A short error buffer is truncated, not overrun. */
	cr_assert_eq(registry_sync(reg, cases[0].d, 1, err, 12), -1);
	cr_assert_str_eq(err, "test.rules:");
	cr_assert_eq(reg->n, 0);
	registry_free(reg);
}

/*
 * A re-sync keeps compatible metrics (same pointer, same values, new help),
 * replaces those whose type, labels or buckets changed (values back to 0,
 * initial series recreated), creates new ones and drops the rest, in the
 * new declaration order.
 */
/* Names: the registry's checks, used by the rules, the CLI and itself. */
Test(metrics, name_checks)
{
	static const struct {
		const char     *name;
		enum name_fault metric;
		enum name_fault label; /* of a counter */
		enum name_fault hist;  /* of a histogram */
		enum name_fault dflt;  /* a default label */
	} t[] = {
		{ "", NAME_INVALID, NAME_INVALID, NAME_INVALID, NAME_INVALID },
		{ "0abc", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "a-b", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "a b", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "a.b", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "caf\xc3\xa9", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "a\nb", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "__-", NAME_INVALID, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "__name__", NAME_OK, NAME_RESERVED, NAME_RESERVED,
		    NAME_RESERVED },
		{ "__x", NAME_OK, NAME_RESERVED, NAME_RESERVED, NAME_RESERVED },
		{ ":ns:sub", NAME_OK, NAME_INVALID, NAME_INVALID,
		    NAME_INVALID },
		{ "ns:sub", NAME_OK, NAME_INVALID, NAME_INVALID, NAME_INVALID },
		{ "_x", NAME_OK, NAME_OK, NAME_OK, NAME_OK },
		{ "a_b_", NAME_OK, NAME_OK, NAME_OK, NAME_OK },
		{ "A9", NAME_OK, NAME_OK, NAME_OK, NAME_OK },
		{ "le", NAME_OK, NAME_OK, NAME_LE, NAME_LE },
		{ "lex", NAME_OK, NAME_OK, NAME_OK, NAME_OK },
		{ "x", NAME_OK, NAME_OK, NAME_OK, NAME_OK },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		cr_assert_eq(metric_name_check(t[i].name), t[i].metric,
		    "metric \"%s\"", t[i].name);
		cr_assert_eq(label_name_check(t[i].name, METRIC_COUNTER),
		    t[i].label, "label \"%s\"", t[i].name);
		cr_assert_eq(label_name_check(t[i].name, METRIC_GAUGE),
		    t[i].label, "label \"%s\"", t[i].name);
		cr_assert_eq(label_name_check(t[i].name, METRIC_HISTOGRAM),
		    t[i].hist, "histogram label \"%s\"", t[i].name);
		cr_assert_eq(label_name_check(t[i].name, 0), t[i].dflt,
		    "default label \"%s\"", t[i].name);
	}
	cr_assert_eq(metric_name_check(NULL), NAME_INVALID);
	cr_assert_eq(label_name_check(NULL, METRIC_COUNTER), NAME_INVALID);
}

Test(metrics, type_names)
{
	cr_assert_str_eq(metric_type_name(METRIC_COUNTER), "counter");
	cr_assert_str_eq(metric_type_name(METRIC_GAUGE), "gauge");
	cr_assert_str_eq(metric_type_name(METRIC_HISTOGRAM), "histogram");
	cr_assert_str_eq(metric_type_name(METRIC_FRESHNESS), "gauge");
}

Test(metrics, sync_keep_replace_drop)
{
	static char	  *init[] = { "trading", "monitor" };
	struct metric_decl d1[5], d2[6];
	struct registry	  *reg;
	struct metric	  *events, *gauge, *hist, *hist2, *gone, *m;
	struct str	   v[2] = { L("ERROR"), L("FAIL") };
	struct str	   t = L("trading");
	char		   err[256];

	d1[0] = tu_decl("events_total", "help text", METRIC_COUNTER, two_labels,
	    2);
	d1[1] = tu_decl("last_run", "help text", METRIC_GAUGE, sub_labels, 1);
	d1[1].initial = init;
	d1[1].ninitial = 2;
	d1[2] = tu_decl("dur_seconds", "help text", METRIC_HISTOGRAM,
	    sub_labels, 1);
	d1[2].buckets = five_buckets;
	d1[2].nbuckets = 5;
	d1[3] = tu_decl("other_seconds", "help text", METRIC_HISTOGRAM, NULL,
	    0);
	d1[4] = tu_decl("gone_total", "help text", METRIC_COUNTER, NULL, 0);
	reg = tu_registry(d1, 5);
	cr_assert_eq(reg->n, 5);
	events = reg->m[0];
	gauge = reg->m[1];
	hist = reg->m[2];
	hist2 = reg->m[3];
	gone = reg->m[4];
	/* Initial series at 0, the lone series of a label-less metric. */
	cr_assert_eq(gauge->nseries, 2);
	cr_assert_eq(events->nseries, 0);
	cr_assert_eq(hist2->nseries, 1);
	cr_assert_eq(hist2->nbuckets, metrics_ndefault_buckets);
	cr_assert_eq(memcmp(hist2->buckets, metrics_default_buckets,
			 metrics_ndefault_buckets * sizeof(double)),
	    0);
	cr_assert_eq(gone->nseries, 1);

	cr_assert_eq(metric_add(events, v, 3), 0);
	cr_assert_eq(metric_set(gauge, &t, 1700000000), 0);
	cr_assert_eq(metric_observe(hist, &t, 0.3), 0);
	cr_assert_eq(metric_observe(hist2, NULL, 0.3), 0);

	/* Same metrics in a new order, help changed, defaults now explicit. */
	d2[0] = tu_decl("new_total", "help text", METRIC_COUNTER, NULL, 0);
	d2[1] = d1[2];
	d2[1].buckets = three_buckets; /* buckets changed: replaced */
	d2[1].nbuckets = 3;
	d2[2] = d1[1];
	d2[2].type = METRIC_COUNTER; /* type changed: replaced */
	d2[2].name = "last_run";
	d2[3] = d1[0];
	d2[3].help = "new help"; /* kept */
	d2[4] = d1[3];
	d2[4].buckets = (double *)(uintptr_t)metrics_default_buckets;
	d2[4].nbuckets = metrics_ndefault_buckets; /* same buckets: kept */
	d2[5] = tu_decl("alive", "help text", METRIC_GAUGE, NULL, 0);
	cr_assert_eq(registry_sync(reg, d2, 6, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reg->n, 6);
	cr_assert_str_eq(reg->m[0]->name, "new_total");
	cr_assert_eq(reg->m[0]->nseries, 1);
	cr_assert_eq(value_of(reg->m[0], NULL), 0);

	m = reg->m[1];
	cr_assert_str_eq(m->name, "dur_seconds");
	cr_assert_eq(m->nbuckets, 3);
	cr_assert_eq(m->nseries, 0);

	m = reg->m[2];
	cr_assert_str_eq(m->name, "last_run");
	cr_assert_eq(m->type, METRIC_COUNTER);
	cr_assert_eq(m->nseries, 2);
	cr_assert_eq(value_of(m, &t), 0);

	cr_assert_eq(reg->m[3], events);
	cr_assert_str_eq(events->help, "new help");
	cr_assert_eq(events->nseries, 1);
	cr_assert_eq(value_of(events, v), 3);

	cr_assert_eq(reg->m[4], hist2);
	cr_assert_eq(metric_series(hist2, NULL)->count, 1);
	cr_assert_null(registry_find(reg, "gone_total"));
	cr_assert_eq(registry_find(reg, "events_total"), events);
	cr_assert_eq(registry_find(reg, "alive"), reg->m[5]);
	registry_free(reg);
}

/* A freshness gauge points at its source and inherits its labels. */
Test(metrics, sync_freshness_source)
{
	static struct threshold th[] = { { "subsystem", "monitor", 300 } };
	struct metric_decl	d[2];
	struct registry	       *reg;
	char			err[256];

	d[0] = tu_decl("alive", "help text", METRIC_FRESHNESS, NULL, 0);
	d[0].source = "last_run";
	d[0].stale_after = 60;
	d[0].th = th;
	d[0].nth = 1;
	d[1] = tu_decl("last_run", "help text", METRIC_GAUGE, sub_labels, 1);
	reg = tu_registry(d, 2);
	cr_assert_eq(reg->m[0]->source, reg->m[1]);
	cr_assert_eq(reg->m[0]->nlabels, 1);
	cr_assert_str_eq(reg->m[0]->labels[0], "subsystem");
	cr_assert_eq(reg->m[0]->stale_after, 60);
	cr_assert_eq(reg->m[0]->nth, 1);
	cr_assert_str_eq(reg->m[0]->th[0].value, "monitor");
	cr_assert_eq(reg->m[0]->th[0].seconds, 300);
	cr_assert_null(metric_series(reg->m[0], NULL));
	cr_assert_eq(metric_set(reg->m[0], NULL, 1), -1);

	/* Re-synced with the source kept: the pointer stays right. */
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0);
	cr_assert_eq(reg->m[0]->source, reg->m[1]);
	/* Labels given explicitly must be the source's. */
	d[0].labels = two_labels;
	d[0].nlabels = 2;
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), -1);
	cr_assert_str_eq(err,
	    "test.rules:1: freshness gauge \"alive\": "
	    "labels differ from those of \"last_run\"");
	registry_free(reg);
}

/* Past the cap, new series are refused and each refusal is counted. */
Test(metrics, series_cap)
{
	struct metric_decl d = tu_decl("events_total", "help text",
	    METRIC_COUNTER, sub_labels, 1);
	struct registry	  *reg;
	struct metric	  *m;
	char		   err[256], name[16];
	struct str	   v;
	int		   i;

	reg = registry_new();
	reg->maxseries = 3;
	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), 0);
	m = reg->m[0];
	cr_assert_eq(m->maxseries, 3);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		v = S(name);
		cr_assert_eq(metric_add(m, &v, 1), i < 3 ? 0 : -1, "%d", i);
	}
	cr_assert_eq(m->nseries, 3);
	cr_assert_eq(m->dropped, 2);
	v = S("s4");
	cr_assert_eq(metric_add(m, &v, 1), -1);
	cr_assert_null(metric_series(m, &v));
	cr_assert_eq(m->dropped, 4);
	/* Existing series still take updates. */
	v = S("s1");
	cr_assert_eq(metric_add(m, &v, 2), 0);
	cr_assert_eq(value_of(m, &v), 3);
	cr_assert_eq(m->dropped, 4);
	registry_free(reg);
}

/*
 * 100,000 series: every one found again with its own value, the table
 * grown under its load factor; values differing only after a NUL byte or
 * by their split between labels are distinct series.
 */
Test(metrics, hash_growth)
{
	struct metric_decl d = tu_decl("g", "help text", METRIC_GAUGE,
	    two_labels, 2);
	struct registry	  *reg;
	struct metric	  *m;
	struct series	  *s;
	char		   a[32], b[32];
	struct str	   v[2];
	struct str	   nul1[2] = { L("a\0b"), L("") };
	struct str	   nul2[2] = { L("a\0c"), L("") };
	struct str	   nul3[2] = { L("a"), L("") };
	struct str	   split1[2] = { L("ab"), L("c") };
	struct str	   split2[2] = { L("a"), L("bc") };
	int		   i;

	reg = tu_registry(&d, 1);
	m = reg->m[0];
	for (i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "host-%d", i);
		snprintf(b, sizeof(b), "%d", i % 7);
		v[0] = S(a);
		v[1] = S(b);
		cr_assert_eq(metric_set(m, v, i), 0);
	}
	cr_assert_eq(m->nseries, 100000);
	cr_assert(m->tablesize * 3 >= m->nseries * 4);
	cr_assert_eq(m->tablesize & (m->tablesize - 1), 0);
	for (i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "host-%d", i);
		snprintf(b, sizeof(b), "%d", i % 7);
		v[0] = S(a);
		v[1] = S(b);
		s = metric_series(m, v);
		cr_assert_not_null(s);
		cr_assert_eq(s->value, i);
		cr_assert_eq(s->lens[0], strlen(a));
		cr_assert_str_eq(s->values[0], a);
	}
	/* Same host, other second label: a new series. */
	v[0] = S("host-1");
	v[1] = S("9");
	cr_assert_eq(value_of(m, v), 0);
	cr_assert_eq(m->nseries, 100001);

	cr_assert_eq(metric_set(m, nul1, 1), 0);
	cr_assert_eq(metric_set(m, nul2, 2), 0);
	cr_assert_eq(metric_set(m, nul3, 3), 0);
	cr_assert_eq(metric_set(m, split1, 4), 0);
	cr_assert_eq(metric_set(m, split2, 5), 0);
	cr_assert_eq(m->nseries, 100006);
	cr_assert_eq(value_of(m, nul1), 1);
	cr_assert_eq(value_of(m, nul2), 2);
	cr_assert_eq(value_of(m, nul3), 3);
	cr_assert_eq(value_of(m, split1), 4);
	cr_assert_eq(value_of(m, split2), 5);
	s = metric_series(m, nul1);
	cr_assert_eq(s->lens[0], 3);
	cr_assert_eq(memcmp(s->values[0], "a\0b", 4), 0);
	registry_free(reg);
}

/* Counters refuse negative and NaN; gauges add anything; types hold. */
Test(metrics, add_set_types)
{
	struct metric_decl d[3];
	struct registry	  *reg;
	struct str	   v = L("x");

	d[0] = tu_decl("c_total", "help text", METRIC_COUNTER, sub_labels, 1);
	d[1] = tu_decl("g", "help text", METRIC_GAUGE, sub_labels, 1);
	d[2] = tu_decl("h", "help text", METRIC_HISTOGRAM, sub_labels, 1);
	reg = tu_registry(d, 3);
	cr_assert_eq(metric_add(reg->m[0], &v, -1), -1);
	cr_assert_eq(metric_add(reg->m[0], &v, NAN), -1);
	cr_assert_eq(reg->m[0]->nseries, 0, "a refused add creates nothing");
	cr_assert_eq(metric_add(reg->m[0], &v, 0), 0);
	cr_assert_eq(metric_add(reg->m[0], &v, 1.5), 0);
	cr_assert_eq(metric_set(reg->m[0], &v, 10), -1);
	cr_assert_eq(metric_observe(reg->m[0], &v, 1), -1);
	cr_assert_eq(value_of(reg->m[0], &v), 1.5);
	cr_assert_gt(metric_series(reg->m[0], &v)->updated, 0);

	cr_assert_eq(metric_add(reg->m[1], &v, -2.5), 0);
	cr_assert_eq(metric_add(reg->m[1], &v, 1), 0);
	cr_assert_eq(value_of(reg->m[1], &v), -1.5);
	cr_assert_eq(metric_set(reg->m[1], &v, 42), 0);
	cr_assert_eq(value_of(reg->m[1], &v), 42);
	cr_assert_eq(metric_observe(reg->m[1], &v, 1), -1);

	cr_assert_eq(metric_add(reg->m[2], &v, 1), -1);
	cr_assert_eq(metric_set(reg->m[2], &v, 1), -1);
	registry_free(reg);
}

/*
 * Observations land in the first bucket whose bound is >= the value;
 * above the last bound they only count; NaN is refused.
 */
Test(metrics, observe_buckets)
{
	static const struct {
		double v;
		int    bucket; /* -1: above every bound */
	} obs[] = {
		{ -INFINITY, 0 },
		{ -5, 0 },
		{ 0.1, 0 },
		{ 0.10000001, 1 },
		{ 0.25, 1 },
		{ 0.3, 2 },
		{ 0.5, 2 },
		{ 1, 3 },
		{ 1.5, 4 },
		{ 2, 4 },
		{ 2.0000001, -1 },
		{ 1e300, -1 },
		{ INFINITY, -1 },
	};
	struct metric_decl d = tu_decl("h_seconds", "help text",
	    METRIC_HISTOGRAM, NULL, 0);
	struct registry	  *reg;
	struct metric	  *m;
	struct series	  *s;
	uint64_t	   want[5] = { 0 };
	size_t		   i;

	d.buckets = five_buckets;
	d.nbuckets = 5;
	reg = tu_registry(&d, 1);
	m = reg->m[0];
	s = metric_series(m, NULL);
	for (i = 0; i < NELEM(obs); i++) {
		cr_assert_eq(metric_observe(m, NULL, obs[i].v), 0);
		if (obs[i].bucket >= 0)
			want[obs[i].bucket]++;
		cr_assert_eq(memcmp(s->buckets, want, sizeof(want)), 0,
		    "after %g", obs[i].v);
	}
	cr_assert_eq(metric_observe(m, NULL, NAN), -1);
	cr_assert_eq(s->count, NELEM(obs));
	cr_assert(isnan(s->value), "-Inf + +Inf is NaN");
	registry_free(reg);
}

struct collect {
	struct buf out;
};

static void
collect(struct metric *m, struct series *s, void *arg)
{
	struct collect *c = arg;
	size_t		i;

	for (i = 0; i < m->nlabels; i++) {
		buf_append(&c->out, s->values[i], s->lens[i]);
		buf_putc(&c->out, i + 1 < m->nlabels ? '|' : ';');
	}
}

/* Series come label by label, bytewise, a prefix before its extensions. */
Test(metrics, foreach_order)
{
	static const struct str in[][2] = {
		{ L("b"), L("1") },
		{ L("\xff"), L("1") },
		{ L("ab"), L("") },
		{ L("a"), L("z") },
		{ L("a\0"), L("1") },
		{ L(""), L("1") },
		{ L("A"), L("1") },
		{ L("a"), L("") },
		{ L("a"), L("za") },
		{ L("a"), L("\x80") },
		{ L("a"), L("Z") },
	};
	static const char  want[] = "|1;A|1;a|;a|Z;a|z;a|za;a|\x80;"
				    "a\0|1;ab|;b|1;\xff|1;";
	struct metric_decl d = tu_decl("g", "help text", METRIC_GAUGE,
	    two_labels, 2);
	struct registry	  *reg;
	struct collect	   c;
	size_t		   i;

	reg = tu_registry(&d, 1);
	for (i = 0; i < NELEM(in); i++)
		cr_assert_eq(metric_set(reg->m[0], in[i], (double)i), 0);
	buf_init(&c.out);
	metric_foreach(reg->m[0], collect, &c);
	cr_assert_eq(c.out.len, sizeof(want) - 1, "%zu", c.out.len);
	cr_assert_eq(memcmp(c.out.p, want, sizeof(want) - 1), 0, "%s", c.out.p);
	buf_free(&c.out);
	registry_free(reg);
}

/* The default labels are copied and replaced as a whole. */
Test(metrics, default_labels)
{
	struct registry *reg;
	char		 n1[] = "env", v1[] = "prod";
	char		*names[] = { n1, "app" }, *values[] = { v1, "bot" };

	reg = registry_new();
	registry_set_default_labels(reg, names, values, 2);
	n1[0] = 'X';
	v1[0] = 'X';
	cr_assert_eq(reg->ndl, 2);
	cr_assert_str_eq(reg->dlnames[0], "env");
	cr_assert_str_eq(reg->dlvalues[0], "prod");
	cr_assert_str_eq(reg->dlvalues[1], "bot");
	registry_set_default_labels(reg, NULL, NULL, 0);
	cr_assert_eq(reg->ndl, 0);
	registry_lock(reg);
	registry_unlock(reg);
	registry_free(reg);
}

/* Limits: a label value over the cap is refused and counted; expiry. */
Test(metrics, label_cap_and_expiry)
{
	struct registry	  *reg = registry_new();
	struct metric_decl d;
	struct metric	  *m;
	struct series	  *s;
	char		  *labels[] = { "symbol" };
	char		  *initial[] = { "kept" };
	char		   err[256], big[300];
	struct str	   v;

	memset(&d, 0, sizeof(d));
	d.name = "x_total";
	d.help = "x";
	d.type = METRIC_COUNTER;
	d.labels = labels;
	d.nlabels = 1;
	d.initial = initial;
	d.ninitial = 1;
	d.file = "t";
	reg->maxlabel = 256;
	registry_lock(reg);
	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), 0, "%s", err);
	m = registry_find(reg, "x_total");
	memset(big, 'a', sizeof(big));
	v.p = big;
	v.n = 257;
	cr_assert_eq(metric_add(m, &v, 1), -1);
	cr_assert_eq(m->label_dropped, 1);
	v.n = 256;
	cr_assert_eq(metric_add(m, &v, 1), 0);
	cr_assert_eq(m->nseries, 2);
	v.p = "fresh";
	v.n = 5;
	cr_assert_eq(metric_add(m, &v, 1), 0);
	s = metric_series(m, &v);
	cr_assert_not_null(s);
	/* Age every non-pinned series but "fresh". */
	v.p = big;
	v.n = 256;
	metric_series(m, &v)->updated = 1000;
	s->updated = 5000;
	cr_assert_eq(registry_expire(reg, 5100, 200), 1);
	cr_assert_eq(m->expired, 1);
	cr_assert_eq(m->nseries, 2);
	v.p = "kept";
	v.n = 4;
	cr_assert_not_null(metric_series(m, &v));
	cr_assert_eq(m->nseries, 2, "the pinned series stays");
	registry_unlock(reg);
	registry_free(reg);
}

/* A metric's own expire overrides the registry-wide one, 0 included. */
Test(metrics, per_metric_expire)
{
	struct registry	  *reg = registry_new();
	struct metric_decl d[2];
	struct metric	  *a, *b;
	char		  *labels[] = { "k" };
	char		   err[256];
	struct str	   v = { "x", 1 };

	memset(d, 0, sizeof(d));
	d[0].name = "a_total";
	d[0].help = "a";
	d[0].type = METRIC_COUNTER;
	d[0].labels = labels;
	d[0].nlabels = 1;
	d[0].expire = 60;
	d[0].file = "t";
	d[1] = d[0];
	d[1].name = "b_total";
	d[1].expire = 0;
	registry_lock(reg);
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0, "%s", err);
	a = registry_find(reg, "a_total");
	b = registry_find(reg, "b_total");
	cr_assert_eq(metric_add(a, &v, 1), 0);
	cr_assert_eq(metric_add(b, &v, 1), 0);
	metric_series(a, &v)->updated = 1000;
	metric_series(b, &v)->updated = 1000;
	/* No registry-wide expiry: only a's own applies. */
	cr_assert_eq(registry_expire(reg, 1100, 0), 1);
	cr_assert_eq(a->nseries, 0);
	cr_assert_eq(b->nseries, 1);
	/* A registry-wide one reaches b too. */
	cr_assert_eq(registry_expire(reg, 1100, 50), 1);
	cr_assert_eq(b->nseries, 0);
	registry_unlock(reg);
	registry_free(reg);
}

/*
 * Exemplars: kept per series (per bucket for a histogram, +Inf last),
 * the latest replacing the one before, through a reload that keeps the
 * metric; label sets read back are checked as the exposition writes
 * them.
 */
#define EXOK(s) metric_exemplar_ok(s, sizeof(s) - 1)
Test(metrics, exemplars)
{
	static char	  *k[] = { "k" };
	static double	   b[] = { 1, 2 };
	struct metric_decl d[2];
	struct registry	  *reg;
	struct exemplar	   ex;
	struct series	  *s;
	struct str	   v = { "a", 1 };
	char		   err[256];

	d[0] = tu_decl("c_total", "h", METRIC_COUNTER, k, 1);
	d[1] = tu_decl("h", "h", METRIC_HISTOGRAM, k, 1);
	d[1].buckets = b;
	d[1].nbuckets = 2;
	reg = tu_registry(d, 2);
	memset(&ex, 0, sizeof(ex));
	ex.labels = "id=\"1\"";
	ex.len = 6;
	ex.time = 10;
	cr_assert_eq(metric_add_ex(reg->m[0], &v, 2, &ex), 0);
	cr_assert_eq(metric_observe_ex(reg->m[1], &v, 1.5, &ex), 0);
	ex.labels = "id=\"22\"";
	ex.len = 7;
	ex.time = 11;
	cr_assert_eq(metric_observe_ex(reg->m[1], &v, 9, &ex), 0);
	/* A gauge takes none; a counter's add without one keeps it. */
	cr_assert_eq(metric_add(reg->m[0], &v, 1), 0);
	registry_lock(reg);
	cr_assert_eq(registry_sync(reg, d, 2, err, sizeof(err)), 0, "%s", err);
	registry_unlock(reg);
	s = metric_series(reg->m[0], &v);
	cr_assert_eq(s->value, 3);
	cr_assert_eq(s->ex[0].len, 6);
	cr_assert_eq(s->ex[0].value, 2);
	cr_assert_eq(s->ex[0].time, 10);
	s = metric_series(reg->m[1], &v);
	cr_assert_eq(s->ex[0].len, 0);
	cr_assert_eq(s->ex[1].len, 6);
	cr_assert_eq(s->ex[1].value, 1.5);
	cr_assert_eq(s->ex[2].len, 7);
	cr_assert_eq(memcmp(s->ex[2].labels, "id=\"22\"", 7), 0);
	cr_assert_eq(s->ex[2].value, 9);
	registry_free(reg);

	cr_assert(EXOK("id=\"1\""));
	cr_assert(EXOK("a=\"\\\\\\\"\\n\xc3\xa9\",b=\"\""));
	cr_assert(!EXOK(""));
	cr_assert(!EXOK("id=\"1\","));
	cr_assert(!EXOK("id=1"));
	cr_assert(!EXOK("__id=\"1\""));
	cr_assert(!EXOK("id=\"\n\""));
	cr_assert(!EXOK("id=\"\\x\""));
	cr_assert(!EXOK("id=\"\xff\""));
	cr_assert(!EXOK("id=\"1\"x"));
}

/*
 * A native histogram: its series carry native buckets from the start;
 * without declared buckets it has no classic ones; NaN is refused by
 * both views; an unchanged declaration keeps the series, another factor
 * makes the metric anew.
 */
Test(metrics, native_histogram)
{
	struct metric_decl d;
	struct registry	  *reg;
	struct metric	  *m;
	struct series	  *s;
	struct str	   v = L("api");
	char		   err[256];

	d = tu_decl("n_seconds", "h", METRIC_HISTOGRAM, sub_labels, 1);
	d.native = 1;
	d.native_factor = 1.1;
	d.native_zero = NATIVE_ZERO_DEFAULT;
	d.native_max = 160;
	reg = tu_registry(&d, 1);
	m = registry_find(reg, "n_seconds");
	cr_assert_eq(m->nbuckets, 0);
	cr_assert_eq(m->native, 1);
	cr_assert_eq(m->nschema, 3);
	cr_assert_eq(metric_observe(m, &v, 0.25), 0);
	cr_assert_eq(metric_observe(m, &v, 0.25), 0);
	cr_assert_eq(metric_observe(m, &v, -0.25), 0);
	cr_assert_eq(metric_observe(m, &v, 0), 0);
	cr_assert_eq(metric_observe(m, &v, NAN), -1);
	s = metric_series(m, &v);
	cr_assert_not_null(s->nh);
	cr_assert_eq(s->count, 4);
	cr_assert_eq(s->value, 0.25);
	cr_assert_eq(native_total(s->nh), 4);
	cr_assert_eq(s->nh->zero, 1);
	/* 0.25 = 2^-2: the top of key -16 at schema 3 */
	cr_assert_eq(s->nh->pos.n, 1);
	cr_assert_eq(s->nh->pos.key[0], -16);
	cr_assert_eq(s->nh->pos.count[0], 2);
	cr_assert_eq(s->nh->neg.key[0], -16);

	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(registry_find(reg, "n_seconds"), m);
	cr_assert_eq(metric_series(m, &v)->count, 4);
	d.native_max = 20;
	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), 0, "%s", err);
	m = registry_find(reg, "n_seconds");
	cr_assert_eq(m->nmax, 20);
	cr_assert_eq(m->nseries, 0);

	d.native_factor = 1;
	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), -1);
	cr_assert_str_eq(err,
	    "test.rules:1: histogram \"n_seconds\": native factor 1 is not "
	    "a finite number above 1");
	d.native_factor = 2;
	d.type = METRIC_COUNTER;
	cr_assert_eq(registry_sync(reg, &d, 1, err, sizeof(err)), -1);
	cr_assert_str_eq(err,
	    "test.rules:1: metric \"n_seconds\": native buckets on a metric "
	    "that is not a histogram");
	registry_free(reg);
}
