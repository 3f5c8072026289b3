/*
 * test_protobuf.c: the protobuf exposition decoded back with
 * libprotobuf-c: the length-delimited stream, every kind of metric,
 * default labels, exemplars, a histogram carrying its classic and native
 * views in one message, the spans and deltas of native buckets, the
 * empty native histogram, and label values that are not plain text.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.pb-c.h"
#include "expose.h"
#include "protobuf.h"
#include "testutil.h"

typedef Io__Prometheus__Client__MetricFamily pb_family;
typedef Io__Prometheus__Client__Metric	     pb_metric;
typedef Io__Prometheus__Client__LabelPair    pb_label;

#define NOW 1764000000.0

/* The families of a delimited stream, decoded; asserts it is whole. */
static size_t
decode(const struct buf *b, pb_family **out, size_t max)
{
	const uint8_t *p = (const uint8_t *)b->p, *end = p + b->len;
	uint64_t       len;
	size_t	       n = 0;
	int	       shift;

	while (p < end) {
		len = 0;
		shift = 0;
		do {
			cr_assert_lt(p, end, "a length runs past the end");
			cr_assert_lt(shift, 64);
			len |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
		} while (*p++ & 0x80);
		cr_assert_leq(len, (uint64_t)(end - p), "a message is cut");
		cr_assert_lt(n, max);
		out[n] = io__prometheus__client__metric_family__unpack(NULL,
		    (size_t)len, p);
		cr_assert_not_null(out[n], "family %zu does not decode", n);
		p += len;
		n++;
	}
	return n;
}

static void
free_all(pb_family **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(f[i],
		    NULL);
}

static void
assert_label(const pb_label *l, const char *name, const char *value, size_t len)
{
	cr_assert_str_eq(l->name, name);
	cr_assert(l->has_value);
	cr_assert_eq(l->value.len, len, "%s: %zu bytes, expected %zu", name,
	    l->value.len, len);
	if (len > 0)
		cr_assert_eq(memcmp(l->value.data, value, len), 0, "%s", name);
}

static char *sub[] = { "subsystem" };
static char *none[] = { NULL };

TestSuite(protobuf);

/*
 * One registry with each kind of metric; decoded back, each family says
 * what the text format says, and the histogram both views.
 */
Test(protobuf, every_metric_decoded_back)
{
	static double	   b[] = { 0.1, 1 };
	static char	  *dln[] = { "env" }, *dlv[] = { "production" };
	struct metric_decl d[5];
	struct registry	  *reg;
	struct exemplar	   ex;
	struct buf	   out;
	pb_family	  *f[8];
	pb_metric	  *m;
	struct str	   v = { "api", 3 };
	size_t		   n;

	d[0] = tu_decl("c_total", "Counted.", METRIC_COUNTER, sub, 1);
	d[1] = tu_decl("g", NULL, METRIC_GAUGE, sub, 1);
	d[2] = tu_decl("h_seconds", "Both views.", METRIC_HISTOGRAM, sub, 1);
	d[2].buckets = b;
	d[2].nbuckets = 2;
	d[2].native = 1;
	d[2].native_factor = 2; /* schema 0 */
	d[2].native_zero = 0.001;
	d[2].native_max = 160;
	d[3] = tu_decl("g_fresh", "Fresh.", METRIC_FRESHNESS, NULL, 0);
	d[3].source = "g";
	d[3].stale_after = 60;
	d[4] = tu_decl("empty_total", "No series.", METRIC_COUNTER, sub, 1);
	reg = tu_registry(d, 5);
	registry_set_default_labels(reg, dln, dlv, 1);
	memset(&ex, 0, sizeof(ex));
	ex.labels = "id=\"a\\\"b\\\\c\\n\",k=\"\"";
	ex.len = strlen(ex.labels);
	ex.time = 1796586912.429;
	cr_assert_eq(metric_add_ex(reg->m[0], &v, 3, &ex), 0);
	cr_assert_eq(metric_set(reg->m[1], &v, NOW - 10), 0);
	/*
	 * Schema 0: 0.05 in (2^-5, 2^-4]: key -4; 0.5: key -1; 3: key 2;
	 * 4: key 2; -6: key 3; 0.0005 within the zero threshold.
	 */
	cr_assert_eq(metric_observe(reg->m[2], &v, 0.05), 0);
	cr_assert_eq(metric_observe_ex(reg->m[2], &v, 0.5, &ex), 0);
	cr_assert_eq(metric_observe(reg->m[2], &v, 3), 0);
	cr_assert_eq(metric_observe_ex(reg->m[2], &v, 4, &ex), 0);
	cr_assert_eq(metric_observe(reg->m[2], &v, -6), 0);
	cr_assert_eq(metric_observe(reg->m[2], &v, 0.0005), 0);
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_PROTOBUF, NOW);
	n = decode(&out, f, 8);
	/* The metric without series is left out. */
	cr_assert_eq(n, 4);

	cr_assert_str_eq(f[0]->name, "c_total");
	cr_assert_str_eq(f[0]->help, "Counted.");
	cr_assert_eq(f[0]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
	cr_assert_eq(f[0]->n_metric, 1);
	m = f[0]->metric[0];
	cr_assert_eq(m->n_label, 2);
	assert_label(m->label[0], "subsystem", "api", 3);
	assert_label(m->label[1], "env", "production", 10);
	cr_assert_not_null(m->counter);
	cr_assert_eq(m->counter->value, 3);
	cr_assert_not_null(m->counter->exemplar);
	cr_assert_eq(m->counter->exemplar->n_label, 2);
	assert_label(m->counter->exemplar->label[0], "id", "a\"b\\c\n", 6);
	assert_label(m->counter->exemplar->label[1], "k", "", 0);
	cr_assert_eq(m->counter->exemplar->value, 3);
	/* As OpenMetrics writes it, not 428999901 ns of the binary value. */
	cr_assert_eq(m->counter->exemplar->timestamp->seconds, 1796586912);
	cr_assert_eq(m->counter->exemplar->timestamp->nanos, 429000000);

	cr_assert_str_eq(f[1]->name, "g");
	cr_assert_null(f[1]->help);
	cr_assert_eq(f[1]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
	cr_assert_eq(f[1]->metric[0]->gauge->value, NOW - 10);

	cr_assert_str_eq(f[2]->name, "h_seconds");
	cr_assert_eq(f[2]->type,
	    IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
	m = f[2]->metric[0];
	cr_assert_not_null(m->histogram);
	cr_assert_eq(m->histogram->sample_count, 6);
	cr_assert_eq(m->histogram->sample_sum, 0.05 + 0.5 + 3 + 4 - 6 + 0.0005);
	/* The classic view: cumulative buckets; +Inf when an exemplar is. */
	cr_assert_eq(m->histogram->n_bucket, 3);
	cr_assert_eq(m->histogram->bucket[0]->upper_bound, 0.1);
	/* -6, 0.0005 and 0.05 are <= 0.1 */
	cr_assert_eq(m->histogram->bucket[0]->cumulative_count, 3);
	cr_assert_eq(m->histogram->bucket[1]->cumulative_count, 4);
	cr_assert_not_null(m->histogram->bucket[1]->exemplar);
	cr_assert_eq(m->histogram->bucket[1]->exemplar->value, 0.5);
	cr_assert(isinf(m->histogram->bucket[2]->upper_bound));
	cr_assert_eq(m->histogram->bucket[2]->cumulative_count, 6);
	cr_assert_eq(m->histogram->bucket[2]->exemplar->value, 4);
	/* The native view. */
	cr_assert(m->histogram->has_schema);
	cr_assert_eq(m->histogram->schema, 0);
	cr_assert_eq(m->histogram->zero_threshold, 0.001);
	cr_assert_eq(m->histogram->zero_count, 1);
	/* Keys -4, -1, 2 (twice): spans {-4, 1} {2, 1} {2, 1}. */
	cr_assert_eq(m->histogram->n_positive_span, 3);
	cr_assert_eq(m->histogram->positive_span[0]->offset, -4);
	cr_assert_eq(m->histogram->positive_span[0]->length, 1);
	cr_assert_eq(m->histogram->positive_span[1]->offset, 2);
	cr_assert_eq(m->histogram->positive_span[1]->length, 1);
	cr_assert_eq(m->histogram->positive_span[2]->offset, 2);
	cr_assert_eq(m->histogram->n_positive_delta, 3);
	cr_assert_eq(m->histogram->positive_delta[0], 1);
	cr_assert_eq(m->histogram->positive_delta[1], 0);
	cr_assert_eq(m->histogram->positive_delta[2], 1);
	cr_assert_eq(m->histogram->n_negative_span, 1);
	cr_assert_eq(m->histogram->negative_span[0]->offset, 3);
	cr_assert_eq(m->histogram->negative_delta[0], 1);
	cr_assert_eq(m->histogram->n_exemplars, 2);
	cr_assert_eq(m->histogram->exemplars[0]->value, 0.5);
	cr_assert_eq(m->histogram->exemplars[1]->timestamp->seconds,
	    1796586912);

	cr_assert_str_eq(f[3]->name, "g_fresh");
	cr_assert_eq(f[3]->metric[0]->gauge->value, 1);
	assert_label(f[3]->metric[0]->label[0], "subsystem", "api", 3);

	free_all(f, n);
	buf_free(&out);
	registry_free(reg);
}

/*
 * Consecutive keys share a span, gaps start new ones; deltas go up and
 * down; an empty native histogram with a threshold of 0 carries the
 * no-op span that tells it from a classic one; one without classic
 * buckets and without exemplars carries no bucket at all.
 */
Test(protobuf, spans_deltas_and_empty)
{
	struct metric_decl		   d[2];
	struct registry			  *reg;
	struct buf			   out;
	pb_family			  *f[4];
	Io__Prometheus__Client__Histogram *h;
	size_t				   n, i;
	/* schema 0 keys 0, 1, 2, 5: (0.5, 1], (1, 2], (2, 4], (16, 32] */
	static const double obs[] = { 1, 2, 2, 2, 4, 4, 20 };

	d[0] = tu_decl("n_seconds", NULL, METRIC_HISTOGRAM, none, 0);
	d[1] = tu_decl("e_seconds", NULL, METRIC_HISTOGRAM, none, 0);
	for (i = 0; i < 2; i++) {
		d[i].native = 1;
		d[i].native_factor = 2;
		d[i].native_zero = 0;
		d[i].native_max = 160;
	}
	reg = tu_registry(d, 2);
	for (i = 0; i < NELEM(obs); i++)
		cr_assert_eq(metric_observe(reg->m[0], NULL, obs[i]), 0);
	cr_assert_not_null(metric_series(reg->m[1], NULL));
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_PROTOBUF, NOW);
	n = decode(&out, f, 4);
	cr_assert_eq(n, 2);
	h = f[0]->metric[0]->histogram;
	cr_assert_eq(f[0]->metric[0]->n_label, 0);
	cr_assert_eq(h->n_bucket, 0);
	cr_assert_eq(h->sample_count, 7);
	cr_assert_eq(h->n_positive_span, 2);
	cr_assert_eq(h->positive_span[0]->offset, 0);
	cr_assert_eq(h->positive_span[0]->length, 3);
	cr_assert_eq(h->positive_span[1]->offset, 2);
	cr_assert_eq(h->positive_span[1]->length, 1);
	cr_assert_eq(h->n_positive_delta, 4);
	/* counts 1, 3, 2, 1 */
	cr_assert_eq(h->positive_delta[0], 1);
	cr_assert_eq(h->positive_delta[1], 2);
	cr_assert_eq(h->positive_delta[2], -1);
	cr_assert_eq(h->positive_delta[3], -1);
	cr_assert_eq(h->n_negative_span, 0);
	h = f[1]->metric[0]->histogram;
	cr_assert_eq(h->sample_count, 0);
	cr_assert(h->has_schema);
	cr_assert_eq(h->zero_threshold, 0);
	cr_assert_eq(h->n_positive_span, 1);
	cr_assert_eq(h->positive_span[0]->offset, 0);
	cr_assert_eq(h->positive_span[0]->length, 0);
	cr_assert_eq(h->n_positive_delta, 0);
	free_all(f, n);
	buf_free(&out);
	registry_free(reg);
}

/*
 * Label values pass with their length, a NUL byte included; invalid
 * UTF-8 goes out as the text format writes it, U+FFFD per sequence. A
 * thousand series make one family of a thousand metrics.
 */
Test(protobuf, hostile_values_and_many_series)
{
	struct metric_decl d;
	struct registry	  *reg;
	struct buf	   out;
	pb_family	  *f[2];
	struct str	   v;
	char		   val[32];
	size_t		   n, i;

	d = tu_decl("c_total", "Help with \xff byte.", METRIC_COUNTER, sub, 1);
	reg = tu_registry(&d, 1);
	v.p = "a\0b";
	v.n = 3;
	cr_assert_eq(metric_add(reg->m[0], &v, 1), 0);
	v.p = "x\xc3(y";
	v.n = 4;
	cr_assert_eq(metric_add(reg->m[0], &v, 2), 0);
	for (i = 0; i < 998; i++) {
		snprintf(val, sizeof(val), "s%04zu", i);
		v.p = val;
		v.n = strlen(val);
		cr_assert_eq(metric_add(reg->m[0], &v, (double)i), 0);
	}
	buf_init(&out);
	expose_render(&reg, 1, &out, EXPOSE_PROTOBUF, NOW);
	n = decode(&out, f, 2);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(f[0]->help, "Help with \xef\xbf\xbd byte.");
	cr_assert_eq(f[0]->n_metric, 1000);
	/* In the series order: "a\0b" first, "x\xc3(y" last. */
	assert_label(f[0]->metric[0]->label[0], "subsystem", "a\0b", 3);
	cr_assert_eq(f[0]->metric[0]->counter->value, 1);
	assert_label(f[0]->metric[999]->label[0], "subsystem",
	    "x\xef\xbf\xbd(y", 6);
	assert_label(f[0]->metric[1]->label[0], "subsystem", "s0000", 5);
	cr_assert_eq(f[0]->metric[998]->counter->value, 997);
	free_all(f, n);
	buf_free(&out);
	registry_free(reg);
}

/*
 * With the registry caching labels (as the daemon's does), a series'
 * labels are packed once and kept: the next scrape is the same bytes,
 * and a default label changed since shows in it.
 */
Test(protobuf, cached_labels)
{
	static char *dln[] = { "env" }, *dlv[] = { "prod" }, *dlv2[] = { "" };
	struct metric_decl d;
	struct registry	  *reg;
	struct buf	   a, b;
	pb_family	  *f[2];
	struct str	   v = { "api", 3 };
	size_t		   n;

	d = tu_decl("c_total", NULL, METRIC_COUNTER, sub, 1);
	reg = tu_registry(&d, 1);
	reg->cache_labels = 1;
	registry_set_default_labels(reg, dln, dlv, 1);
	cr_assert_eq(metric_add(reg->m[0], &v, 1), 0);
	buf_init(&a);
	buf_init(&b);
	expose_render(&reg, 1, &a, EXPOSE_PROTOBUF, NOW);
	cr_assert_not_null(metric_series(reg->m[0], &v)->pbl);
	expose_render(&reg, 1, &b, EXPOSE_PROTOBUF, NOW);
	cr_assert_eq(a.len, b.len);
	cr_assert_eq(memcmp(a.p, b.p, a.len), 0);
	registry_set_default_labels(reg, dln, dlv2, 1);
	cr_assert_eq(metric_add(reg->m[0], &v, 1), 0);
	buf_reset(&b);
	expose_render(&reg, 1, &b, EXPOSE_PROTOBUF, NOW);
	n = decode(&b, f, 2);
	cr_assert_eq(n, 1);
	cr_assert_eq(f[0]->metric[0]->n_label, 2);
	assert_label(f[0]->metric[0]->label[0], "subsystem", "api", 3);
	assert_label(f[0]->metric[0]->label[1], "env", "", 0);
	cr_assert_eq(f[0]->metric[0]->counter->value, 2);
	free_all(f, n);
	buf_free(&a);
	buf_free(&b);
	registry_free(reg);
}
