/*
 * protobuf.c: the registry in Prometheus's protobuf exposition format.
 * See protobuf.h.
 *
 * Each series becomes one Metric message, built in scratch memory that
 * is reused from one series to the next, packed by libprotobuf-c and
 * appended to its family as field 4 ("metric"). The family's other
 * fields are packed after its series, and the whole is written behind
 * its length, so that memory holds one series' messages at a time.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.pb-c.h"
#include "protobuf.h"

typedef Io__Prometheus__Client__LabelPair    pb_label;
typedef Io__Prometheus__Client__Metric	     pb_metric;
typedef Io__Prometheus__Client__MetricFamily pb_family;
typedef Io__Prometheus__Client__Counter	     pb_counter;
typedef Io__Prometheus__Client__Gauge	     pb_gauge;
typedef Io__Prometheus__Client__Histogram    pb_histogram;
typedef Io__Prometheus__Client__Bucket	     pb_bucket;
typedef Io__Prometheus__Client__BucketSpan   pb_span;
typedef Io__Prometheus__Client__Exemplar     pb_exemplar;
typedef Io__Prometheus__Client__Timestamp    pb_timestamp;

/* Field 4 of MetricFamily, length-delimited: (4 << 3) | 2. */
#define TAG_METRIC 0x22

/* Scratch memory for one series' messages, reused for the next. */
struct arena {
	char  **blk;
	size_t *size;
	size_t	n;
	size_t	cur; /* the block being used */
	size_t	off; /* in it */
};

#define ARENA_BLOCK (64 * 1024)

struct pbr {
	struct buf	      *out;
	struct buf	       fam; /* the packed metrics of the family */
	struct arena	       a;
	const struct registry *reg; /* whose default labels go last */
	struct metric	      *fm;  /* the freshness gauge being rendered */
	double		       now;
};

/* n bytes, 16-aligned, valid until the next arena_reset(). */
static void *
arena_alloc(struct arena *a, size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	while (a->cur < a->n && a->off + n > a->size[a->cur]) {
		a->cur++;
		a->off = 0;
	}
	if (a->cur == a->n) {
		a->blk = xreallocarray(a->blk, a->n + 1, sizeof(*a->blk));
		a->size = xreallocarray(a->size, a->n + 1, sizeof(*a->size));
		a->size[a->n] = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		a->blk[a->n] = xmalloc(a->size[a->n]);
		a->n++;
		a->off = 0;
	}
	p = a->blk[a->cur] + a->off;
	a->off += n;
	return p;
}

static void
arena_reset(struct arena *a)
{
	a->cur = 0;
	a->off = 0;
}

static void
arena_free(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->blk[i]);
	free(a->blk);
	free(a->size);
}

/* An array of n pointers, from the arena. */
static void *
ptrs(struct pbr *r, size_t n)
{
	return arena_alloc(&r->a, (n > 0 ? n : 1) * sizeof(void *));
}

static void
put_varint(struct buf *b, uint64_t v)
{
	char   tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			tmp[n] |= (char)0x80;
		n++;
	} while (v != 0);
	buf_append(b, tmp, n);
}

/*
 * s[0..n) as valid UTF-8, NUL-terminated: s itself when it is (s[n] is
 * then '\0', as series values and C strings are), else a copy in the
 * arena with each invalid sequence replaced by U+FFFD, as the text
 * format writes it.
 */
static char *
utf8(struct pbr *r, char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t		     k, bad;
	char		    *o, *w;

	for (; p < end; p += k) {
		if (*p < 0x80)
			k = 1;
		else if ((k = utf8_seq(p, end, &bad)) == 0)
			break;
	}
	if (p == end) {
		*len = n;
		return s;
	}
	/* Each replaced byte becomes at most three. */
	o = w = arena_alloc(&r->a, 3 * n + 1);
	for (p = (const unsigned char *)s; p < end;) {
		if (*p < 0x80 || (k = utf8_seq(p, end, &bad)) > 0) {
			k = *p < 0x80 ? 1 : k;
			memcpy(w, p, k);
			w += k;
			p += k;
			continue;
		}
		memcpy(w, "\xef\xbf\xbd", 3);
		w += 3;
		p += bad;
	}
	*w = '\0';
	*len = (size_t)(w - o);
	return o;
}

static pb_label *
label(struct pbr *r, char *name, char *value, size_t n)
{
	pb_label *l = arena_alloc(&r->a, sizeof(*l));
	size_t	  len;

	*l = (pb_label)IO__PROMETHEUS__CLIENT__LABEL_PAIR__INIT;
	l->name = name;
	l->has_value = 1;
	l->value.data = (uint8_t *)utf8(r, value, n, &len);
	l->value.len = len;
	return l;
}

/* The series' labels, then the registry's default labels. */
static void
series_labels(struct pbr *r, pb_metric *pm, char *const *names, size_t n,
    const struct series *s)
{
	const struct registry *reg = r->reg;
	size_t		       i;

	pm->n_label = n + reg->ndl;
	pm->label = ptrs(r, pm->n_label);
	for (i = 0; i < n; i++)
		pm->label[i] = label(r, names[i], s->values[i], s->lens[i]);
	for (i = 0; i < reg->ndl; i++)
		pm->label[n + i] = label(r, reg->dlnames[i], reg->dlvalues[i],
		    strlen(reg->dlvalues[i]));
}

static pb_timestamp *
timestamp(struct pbr *r, double t)
{
	pb_timestamp *ts = arena_alloc(&r->a, sizeof(*ts));
	double	      sec = floor(t);
	int64_t	      ns;

	*ts = (pb_timestamp)IO__PROMETHEUS__CLIENT__TIMESTAMP__INIT;
	ns = (int64_t)llround((t - sec) * 1e9);
	if (ns >= 1000000000) {
		ns -= 1000000000;
		sec += 1;
	}
	ts->has_seconds = 1;
	ts->seconds = (int64_t)sec;
	ts->has_nanos = ns != 0;
	ts->nanos = (int32_t)ns;
	return ts;
}

/*
 * An exemplar as a message: its label set, kept as the exposition
 * writes it (name="value" pairs, values escaped with \\ \" \n), read
 * back into pairs; its value and time.
 */
static pb_exemplar *
exemplar(struct pbr *r, const struct exemplar *ex)
{
	pb_exemplar *e = arena_alloc(&r->a, sizeof(*e));
	const char  *p = ex->labels, *end = p + ex->len;
	char	    *w, *name, *value;
	size_t	     max;

	*e = (pb_exemplar)IO__PROMETHEUS__CLIENT__EXEMPLAR__INIT;
	/* Each pair takes at least a="" : four bytes. */
	max = ex->len / 4 + 1;
	e->label = ptrs(r, max);
	w = arena_alloc(&r->a, ex->len + 1);
	while (p < end && e->n_label < max) {
		name = w;
		while (p < end && *p != '=')
			*w++ = *p++;
		*w++ = '\0';
		p += 2; /* =" */
		value = w;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end) {
				p++;
				*w++ = *p == 'n' ? '\n' : *p;
				p++;
			} else
				*w++ = *p++;
		}
		*w = '\0';
		e->label[e->n_label++] = label(r, name, value,
		    (size_t)(w - value));
		w++;
		p++; /* " */
		if (p < end && *p == ',')
			p++;
	}
	e->has_value = 1;
	e->value = ex->value;
	e->timestamp = timestamp(r, ex->time);
	return e;
}

static int
has_exemplar(const struct series *s, size_t slot)
{
	return s->ex != NULL && s->ex[slot].len > 0;
}

/*
 * The buckets of one sign: spans of consecutive keys (the first one's
 * offset its first key, each next one's the gap after the previous),
 * then each count minus the one before.
 */
static void
spans(struct pbr *r, const struct nbuckets *b, size_t *nspan, pb_span ***span,
    size_t *ndelta, int64_t **delta)
{
	pb_span *sp = NULL;
	uint32_t i;

	*nspan = 0;
	*span = ptrs(r, b->n);
	*ndelta = b->n;
	*delta = arena_alloc(&r->a, (b->n > 0 ? b->n : 1) * sizeof(**delta));
	for (i = 0; i < b->n; i++) {
		if (i == 0 || b->key[i] != b->key[i - 1] + 1) {
			sp = arena_alloc(&r->a, sizeof(*sp));
			*sp = (pb_span)
			    IO__PROMETHEUS__CLIENT__BUCKET_SPAN__INIT;
			sp->has_offset = 1;
			sp->offset = i == 0 ? b->key[0] :
					      b->key[i] - b->key[i - 1] - 1;
			sp->has_length = 1;
			(*span)[(*nspan)++] = sp;
		}
		sp->length++;
		(*delta)[i] = (int64_t)(b->count[i] -
		    (i > 0 ? b->count[i - 1] : 0));
	}
}

/* The native view of series s of m into h. */
static void
native(struct pbr *r, const struct metric *m, const struct series *s,
    pb_histogram *h)
{
	const struct native *nh = s->nh;
	pb_span		    *noop;
	size_t		     i, n = 0;

	h->has_schema = 1;
	h->schema = nh->schema;
	h->has_zero_threshold = 1;
	h->zero_threshold = m->nzero;
	h->has_zero_count = 1;
	h->zero_count = nh->zero;
	spans(r, &nh->pos, &h->n_positive_span, &h->positive_span,
	    &h->n_positive_delta, &h->positive_delta);
	spans(r, &nh->neg, &h->n_negative_span, &h->negative_span,
	    &h->n_negative_delta, &h->negative_delta);
	/*
	 * Nothing tells an empty native histogram with a zero threshold of
	 * 0 from a classic one but a span of no bucket.
	 */
	if (m->nzero == 0 && nh->zero == 0 && nh->pos.n == 0 &&
	    nh->neg.n == 0) {
		noop = arena_alloc(&r->a, sizeof(*noop));
		*noop = (pb_span)IO__PROMETHEUS__CLIENT__BUCKET_SPAN__INIT;
		noop->has_offset = noop->has_length = 1;
		h->positive_span[0] = noop;
		h->n_positive_span = 1;
	}
	for (i = 0; i <= m->nbuckets; i++)
		n += has_exemplar(s, i);
	if (n == 0)
		return;
	h->exemplars = ptrs(r, n);
	for (i = 0; i <= m->nbuckets; i++)
		if (has_exemplar(s, i))
			h->exemplars[h->n_exemplars++] = exemplar(r, &s->ex[i]);
}

/*
 * A histogram's series: count, sum, the classic buckets (cumulative,
 * each with its exemplar; +Inf only when it has one), then the native
 * view.
 */
static void
histogram(struct pbr *r, const struct metric *m, const struct series *s,
    pb_metric *pm)
{
	pb_histogram *h = arena_alloc(&r->a, sizeof(*h));
	pb_bucket    *b;
	uint64_t      cum = 0;
	size_t	      i, nb = m->nbuckets, inf = has_exemplar(s, nb);

	*h = (pb_histogram)IO__PROMETHEUS__CLIENT__HISTOGRAM__INIT;
	h->has_sample_count = 1;
	h->sample_count = s->count;
	h->has_sample_sum = 1;
	h->sample_sum = s->value;
	h->n_bucket = nb + inf;
	h->bucket = ptrs(r, h->n_bucket);
	for (i = 0; i < h->n_bucket; i++) {
		b = arena_alloc(&r->a, sizeof(*b));
		*b = (pb_bucket)IO__PROMETHEUS__CLIENT__BUCKET__INIT;
		cum = i < nb ? cum + s->buckets[i] : s->count;
		b->has_cumulative_count = 1;
		b->cumulative_count = cum;
		b->has_upper_bound = 1;
		b->upper_bound = i < nb ? m->buckets[i] : INFINITY;
		if (has_exemplar(s, i))
			b->exemplar = exemplar(r, &s->ex[i]);
		h->bucket[i] = b;
	}
	if (s->nh != NULL)
		native(r, m, s, h);
	pm->histogram = h;
}

/* Packs pm into the family as one more "metric" field. */
static void
put_metric(struct pbr *r, const pb_metric *pm)
{
	size_t n;

	n = io__prometheus__client__metric__get_packed_size(pm);
	put_varint(&r->fam, TAG_METRIC);
	put_varint(&r->fam, n);
	buf_reserve(&r->fam, n);
	io__prometheus__client__metric__pack(pm,
	    (uint8_t *)r->fam.p + r->fam.len);
	r->fam.len += n;
	r->fam.p[r->fam.len] = '\0';
	arena_reset(&r->a);
}

static void
render_series(struct metric *m, struct series *s, void *arg)
{
	struct pbr *r = arg;
	pb_metric   pm = IO__PROMETHEUS__CLIENT__METRIC__INIT;
	pb_counter *c;
	pb_gauge   *g;

	series_labels(r, &pm, m->labels, m->nlabels, s);
	switch (m->type) {
	case METRIC_COUNTER:
		c = arena_alloc(&r->a, sizeof(*c));
		*c = (pb_counter)IO__PROMETHEUS__CLIENT__COUNTER__INIT;
		c->has_value = 1;
		c->value = s->value;
		if (has_exemplar(s, 0))
			c->exemplar = exemplar(r, &s->ex[0]);
		pm.counter = c;
		break;
	case METRIC_HISTOGRAM:
		histogram(r, m, s, &pm);
		break;
	default:
		g = arena_alloc(&r->a, sizeof(*g));
		*g = (pb_gauge)IO__PROMETHEUS__CLIENT__GAUGE__INIT;
		g->has_value = 1;
		if (r->fm != NULL)
			/* m is the source gauge of freshness gauge r->fm. */
			g->value = s->value > 0 &&
				r->now - s->value <=
				    metric_stale_limit(r->fm, s) ?
			    1 :
			    0;
		else
			g->value = s->value;
		pm.gauge = g;
		break;
	}
	put_metric(r, &pm);
}

/* One metric's family, when it has series. */
static void
render_metric(struct pbr *r, struct metric *m)
{
	pb_family f = IO__PROMETHEUS__CLIENT__METRIC_FAMILY__INIT;
	size_t	  n, len;

	buf_reset(&r->fam);
	if (m->type == METRIC_FRESHNESS) {
		r->fm = m;
		if (m->source != NULL)
			metric_foreach(m->source, render_series, r);
		r->fm = NULL;
	} else
		metric_foreach(m, render_series, r);
	if (r->fam.len == 0)
		return;
	f.name = m->name;
	if (m->help != NULL)
		f.help = utf8(r, m->help, strlen(m->help), &len);
	f.has_type = 1;
	f.type = m->type == METRIC_COUNTER ?
	    IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER :
	    m->type == METRIC_HISTOGRAM ?
	    IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM :
	    IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE;
	n = io__prometheus__client__metric_family__get_packed_size(&f);
	put_varint(r->out, n + r->fam.len);
	buf_reserve(r->out, n);
	io__prometheus__client__metric_family__pack(&f,
	    (uint8_t *)r->out->p + r->out->len);
	r->out->len += n;
	buf_append(r->out, r->fam.p, r->fam.len);
	arena_reset(&r->a);
}

void
protobuf_render(struct registry *const *regs, size_t nregs, struct buf *out,
    double now)
{
	struct pbr r;
	size_t	   i, k;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.now = now;
	buf_init(&r.fam);
	for (k = 0; k < nregs; k++) {
		r.reg = regs[k];
		for (i = 0; i < regs[k]->n; i++)
			render_metric(&r, regs[k]->m[i]);
	}
	buf_free(&r.fam);
	arena_free(&r.a);
}
