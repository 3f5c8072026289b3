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
typedef Io__Prometheus__Client__MetricFamily pb_family;
typedef Io__Prometheus__Client__Counter	     pb_counter;
typedef Io__Prometheus__Client__Gauge	     pb_gauge;
typedef Io__Prometheus__Client__Histogram    pb_histogram;
typedef Io__Prometheus__Client__Bucket	     pb_bucket;
typedef Io__Prometheus__Client__BucketSpan   pb_span;
typedef Io__Prometheus__Client__Exemplar     pb_exemplar;
typedef Io__Prometheus__Client__Timestamp    pb_timestamp;

/* Length-delimited fields: (number << 3) | 2. */
#define TAG_LABEL     0x0a /* Metric.label, 1 */
#define TAG_GAUGE     0x12 /* Metric.gauge, 2 */
#define TAG_COUNTER   0x1a /* Metric.counter, 3 */
#define TAG_HISTOGRAM 0x3a /* Metric.histogram, 7 */
#define TAG_METRIC    0x22 /* MetricFamily.metric, 4 */

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
	struct buf    *out;
	struct buf     fam; /* the packed metrics of the family */
	struct buf     lab; /* a series' own labels, packed */
	struct buf     dl;  /* the registry's default labels, packed */
	struct buf     val; /* a series' value field, packed */
	struct arena   a;
	int	       cache; /* keep packed labels in the series */
	struct metric *fm;    /* the freshness gauge being rendered */
	double	       now;
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

/* Appends message m packed: its n bytes (its packed size). */
static void
pack_append(struct buf *b, const ProtobufCMessage *m, size_t n)
{
	buf_reserve(b, n);
	protobuf_c_message_pack(m, (uint8_t *)b->p + b->len);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends message m to b as field tag: the tag, its length, its bytes. */
static void
put_field(struct buf *b, unsigned tag, const ProtobufCMessage *m)
{
	size_t n;

	n = protobuf_c_message_get_packed_size(m);
	put_varint(b, tag);
	put_varint(b, n);
	pack_append(b, m, n);
}

/*
 * A series' own labels as packed label fields of its Metric. They never
 * change while the series lives: packed at its first render, and kept in
 * the series when renders are frequent.
 */
static void
own_labels(struct pbr *r, char *const *names, size_t n, struct series *s,
    const char **p, size_t *len)
{
	size_t i;

	if (s->pbl != NULL) {
		*p = s->pbl;
		*len = s->pbllen;
		return;
	}
	buf_reset(&r->lab);
	for (i = 0; i < n; i++)
		put_field(&r->lab, TAG_LABEL,
		    &label(r, names[i], s->values[i], s->lens[i])->base);
	if (r->cache) {
		s->pbl = xmalloc(r->lab.len > 0 ? r->lab.len : 1);
		if (r->lab.len > 0)
			memcpy(s->pbl, r->lab.p, r->lab.len);
		s->pbllen = r->lab.len;
	}
	*p = r->lab.p;
	*len = r->lab.len;
}

static pb_timestamp *
timestamp(struct pbr *r, double t)
{
	pb_timestamp *ts = arena_alloc(&r->a, sizeof(*ts));
	double	      sec = floor(t);
	int64_t	      ns;

	*ts = (pb_timestamp)IO__PROMETHEUS__CLIENT__TIMESTAMP__INIT;
	/*
	 * To the microsecond: a double holds no finer at today's Unix times,
	 * and 1796586912.429 is then 429000000 ns, not the 428999901 of its
	 * binary value, so that Prometheus keeps the millisecond the
	 * OpenMetrics text (the shortest decimal) gives it.
	 */
	ns = (int64_t)llround((t - sec) * 1e6) * 1000;
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
static pb_histogram *
histogram(struct pbr *r, const struct metric *m, const struct series *s)
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
	return h;
}

/*
 * One series as one more "metric" field of its family: the Metric is
 * its own labels, the default labels and its value field, each packed
 * by libprotobuf-c, framed here.
 */
static void
render_series(struct metric *m, struct series *s, void *arg)
{
	struct pbr *r = arg;
	pb_counter  c = IO__PROMETHEUS__CLIENT__COUNTER__INIT;
	pb_gauge    g = IO__PROMETHEUS__CLIENT__GAUGE__INIT;
	const char *own;
	size_t	    ownlen;

	buf_reset(&r->val);
	switch (m->type) {
	case METRIC_COUNTER:
		c.has_value = 1;
		c.value = s->value;
		if (has_exemplar(s, 0))
			c.exemplar = exemplar(r, &s->ex[0]);
		put_field(&r->val, TAG_COUNTER, &c.base);
		break;
	case METRIC_HISTOGRAM:
		put_field(&r->val, TAG_HISTOGRAM, &histogram(r, m, s)->base);
		break;
	default:
		g.has_value = 1;
		/* For freshness gauge r->fm, m is its source gauge. */
		g.value = r->fm != NULL ? metric_fresh(r->fm, s, r->now) :
					  s->value;
		put_field(&r->val, TAG_GAUGE, &g.base);
		break;
	}
	own_labels(r, m->labels, m->nlabels, s, &own, &ownlen);
	put_varint(&r->fam, TAG_METRIC);
	put_varint(&r->fam, ownlen + r->dl.len + r->val.len);
	buf_append(&r->fam, own, ownlen);
	buf_append(&r->fam, r->dl.p, r->dl.len);
	buf_append(&r->fam, r->val.p, r->val.len);
	arena_reset(&r->a);
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
	/* The family's length, its own fields, then its metrics. */
	n = protobuf_c_message_get_packed_size(&f.base);
	put_varint(r->out, n + r->fam.len);
	pack_append(r->out, &f.base, n);
	buf_append(r->out, r->fam.p, r->fam.len);
	arena_reset(&r->a);
}

void
protobuf_render(struct registry *const *regs, size_t nregs, struct buf *out,
    double now)
{
	const struct registry *reg;
	struct pbr	       r;
	size_t		       i, k;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.now = now;
	buf_init(&r.fam);
	buf_init(&r.lab);
	buf_init(&r.dl);
	buf_init(&r.val);
	for (k = 0; k < nregs; k++) {
		reg = regs[k];
		r.cache = reg->cache_labels;
		buf_reset(&r.dl);
		for (i = 0; i < reg->ndl; i++)
			put_field(&r.dl, TAG_LABEL,
			    &label(&r, reg->dlnames[i], reg->dlvalues[i],
				strlen(reg->dlvalues[i]))
				 ->base);
		arena_reset(&r.a);
		for (i = 0; i < reg->n; i++)
			render_metric(&r, reg->m[i]);
	}
	buf_free(&r.fam);
	buf_free(&r.lab);
	buf_free(&r.dl);
	buf_free(&r.val);
	arena_free(&r.a);
}
