/*
 * expose.c: the registry rendered in the Prometheus text format 0.0.4 or
 * in OpenMetrics 1.0.0.
 *
 * Text format 0.0.4: "label_value can be any sequence of UTF-8
 * characters, but the backslash (\), double-quote ("), and line feed (\n)
 * characters have to be escaped as \\, \", and \n, respectively"; HELP
 * text escapes backslash and line feed only. OpenMetrics escapes the same
 * three characters in label values and in HELP text. Neither format can
 * carry bytes that are not UTF-8, so each invalid sequence is written as
 * U+FFFD REPLACEMENT CHARACTER, never passed through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expose.h"
#include "metrics.h"
#include "protobuf.h"
#include "util.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
static const char inf_le[] = "le=\"+Inf\"";

/*
 * Appends s (n bytes) escaped: backslash and line feed always, the double
 * quote when quote is set; invalid UTF-8 replaced. Other control bytes,
 * NUL included, are valid UTF-8 that neither format has an escape for, so
 * they pass as they are. Unchanged runs are copied in one piece. Cost:
 * O(n).
 */
static void
put_escaped(struct buf *b, const char *s, size_t n, int quote)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run = p;
	size_t		     len, bad;

	buf_reserve(b, n);
	while (p < end) {
		if (*p >= 0x80) {
			if ((len = utf8_seq(p, end, &bad)) > 0) {
				p += len;
				continue;
			}
			buf_append(b, run, (size_t)(p - run));
			buf_append(b, replacement, sizeof(replacement) - 1);
			p += bad;
			run = p;
			continue;
		}
		if (*p != '\\' && *p != '\n' && !(quote && *p == '"')) {
			p++;
			continue;
		}
		buf_append(b, run, (size_t)(p - run));
		buf_putc(b, '\\');
		buf_putc(b, *p == '\n' ? 'n' : *p);
		run = ++p;
	}
	buf_append(b, run, (size_t)(p - run));
}

/* Label value escaping: \ " and line feed; invalid UTF-8 replaced. */
void
expose_label_value(struct buf *b, const char *s, size_t n)
{
	put_escaped(b, s, n, 1);
}

/* HELP escaping: \ and line feed; invalid UTF-8 replaced. */
void
expose_help(struct buf *b, const char *s)
{
	put_escaped(b, s, strlen(s), 0);
}

/* One rendered "le" value of a histogram bound. */
struct le {
	char   s[32];
	size_t n;
};

struct render {
	struct buf	  *out;
	struct buf	   lab; /* the series' labels, no braces */
	struct buf	   dl;	/* the default labels, rendered */
	enum expose_format fmt;
	double		   now;
	struct metric	  *fm;	   /* the freshness gauge being rendered */
	const char	  *sample; /* scalar sample name */
	size_t		   samplelen;
	struct le	  *le;
	int		   cache; /* keep escaped labels in the series */
	expose_put_fn	  *put;	  /* hands out full pieces, or NULL */
	void		  *putarg;
	int		   failed; /* put() said -1 */
};

/* Output handed out at a time by expose_write(). */
#define PUT_CHUNK (64 * 1024)

/* With a put function, hands out what is rendered once a piece is full. */
static void
maybe_put(struct render *r)
{
	if (r->put == NULL || r->out->len < PUT_CHUNK)
		return;
	if (!r->failed && r->put(r->putarg, r->out->p, r->out->len) == -1)
		r->failed = 1;
	buf_reset(r->out);
}

static size_t
fmt_u64(char *out, uint64_t v)
{
	char   tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Builds r->lab: the metric's labels with names, then the defaults. */
static void
series_labels(struct render *r, char *const *names, size_t n, struct series *s)
{
	size_t i;

	maybe_put(r);
	/*
	 * A series' own labels are escaped once, at its first render, and
	 * kept when renders are frequent: the text never changes while the
	 * series lives.
	 */
	buf_reset(&r->lab);
	if (s->esc != NULL)
		buf_append(&r->lab, s->esc, s->esclen);
	else {
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(&r->lab, ',');
			buf_puts(&r->lab, names[i]);
			buf_append(&r->lab, "=\"", 2);
			put_escaped(&r->lab, s->values[i], s->lens[i], 1);
			buf_putc(&r->lab, '"');
		}
		if (r->cache) {
			s->esc = xstrndup(r->lab.p ? r->lab.p : "", r->lab.len);
			s->esclen = r->lab.len;
		}
	}
	if (r->dl.len > 0) {
		if (r->lab.len > 0)
			buf_putc(&r->lab, ',');
		buf_append(&r->lab, r->dl.p, r->dl.len);
	}
}

/* Appends "name[suffix]{labels[,extra]} " without the value. */
static void
sample_head(struct render *r, const char *name, size_t namelen,
    const char *suffix, const char *extra, size_t extralen)
{
	struct buf *o = r->out;

	buf_append(o, name, namelen);
	if (suffix != NULL)
		buf_puts(o, suffix);
	if (r->lab.len > 0 || extralen > 0) {
		buf_putc(o, '{');
		buf_append(o, r->lab.p, r->lab.len);
		if (r->lab.len > 0 && extralen > 0)
			buf_putc(o, ',');
		buf_append(o, extra, extralen);
		buf_putc(o, '}');
	}
	buf_putc(o, ' ');
}

/*
 * The end of a sample's line: in OpenMetrics, its exemplar when it has
 * one (" # {labels} value timestamp"), then the newline.
 */
static void
line_end(struct render *r, const struct exemplar *ex)
{
	struct buf *o = r->out;
	char	    num[32];

	if (ex != NULL && ex->len > 0 && r->fmt == EXPOSE_OPENMETRICS) {
		buf_append(o, " # {", 4);
		buf_append(o, ex->labels, ex->len);
		buf_append(o, "} ", 2);
		buf_append(o, num, fmt_double(num, ex->value));
		buf_putc(o, ' ');
		buf_append(o, num, fmt_double(num, ex->time));
	}
	buf_putc(o, '\n');
}

/* A sample's value, then the end of its line. */
static void
put_double(struct render *r, double v, const struct exemplar *ex)
{
	char num[32];

	buf_append(r->out, num, fmt_double(num, v));
	line_end(r, ex);
}

static void
put_u64(struct render *r, uint64_t v, const struct exemplar *ex)
{
	char num[24];

	buf_append(r->out, num, fmt_u64(num, v));
	line_end(r, ex);
}

static void
render_scalar(struct metric *m, struct series *s, void *arg)
{
	struct render *r = arg;

	series_labels(r, m->labels, m->nlabels, s);
	sample_head(r, r->sample, r->samplelen, NULL, NULL, 0);
	put_double(r, s->value, s->ex);
}

static void
render_histogram(struct metric *m, struct series *s, void *arg)
{
	struct render *r = arg;
	size_t	       namelen, i;
	uint64_t       cum = 0;

	namelen = strlen(m->name);
	series_labels(r, m->labels, m->nlabels, s);
	for (i = 0; i < m->nbuckets; i++) {
		cum += s->buckets[i];
		sample_head(r, m->name, namelen, "_bucket", r->le[i].s,
		    r->le[i].n);
		put_u64(r, cum, s->ex != NULL ? &s->ex[i] : NULL);
	}
	sample_head(r, m->name, namelen, "_bucket", inf_le, sizeof(inf_le) - 1);
	put_u64(r, s->count, s->ex != NULL ? &s->ex[m->nbuckets] : NULL);
	if (r->fmt == EXPOSE_OPENMETRICS) {
		sample_head(r, m->name, namelen, "_count", NULL, 0);
		put_u64(r, s->count, NULL);
	}
	sample_head(r, m->name, namelen, "_sum", NULL, 0);
	put_double(r, s->value, NULL);
	if (r->fmt == EXPOSE_TEXT) {
		sample_head(r, m->name, namelen, "_count", NULL, 0);
		put_u64(r, s->count, NULL);
	}
}

/*
 * One series of a freshness gauge, from series s of its source: 1 while
 * the source's timestamp is set and no older than the first threshold
 * whose label has the listed value (else stale_after), 0 otherwise.
 */
static void
render_freshness(struct metric *src, struct series *s, void *arg)
{
	struct render *r = arg;

	series_labels(r, src->labels, src->nlabels, s);
	sample_head(r, r->sample, r->samplelen, NULL, NULL, 0);
	buf_append(r->out, metric_fresh(r->fm, s, r->now) ? "1\n" : "0\n", 2);
}

/*
 * One metric: its HELP and TYPE lines, then its samples. In OpenMetrics
 * a counter's family drops a trailing "_total" and its samples carry one.
 */
static void
render_metric(struct render *r, struct metric *m)
{
	struct buf *o = r->out, name;
	size_t	    namelen, i;
	int	    om = r->fmt == EXPOSE_OPENMETRICS;

	buf_init(&name);
	namelen = strlen(m->name);
	if (om && m->type == METRIC_COUNTER && namelen > 6 &&
	    memcmp(m->name + namelen - 6, "_total", 6) == 0)
		namelen -= 6;
	buf_append(&name, m->name, namelen); /* the family name */

	if (m->help != NULL) {
		buf_append(o, "# HELP ", 7);
		buf_append(o, name.p, name.len);
		buf_putc(o, ' ');
		put_escaped(o, m->help, strlen(m->help), om);
		buf_putc(o, '\n');
	}
	buf_append(o, "# TYPE ", 7);
	buf_append(o, name.p, name.len);
	buf_putc(o, ' ');
	buf_puts(o, metric_type_name(m->type));
	buf_putc(o, '\n');

	if (om && m->type == METRIC_COUNTER)
		buf_puts(&name, "_total");
	r->sample = name.p;
	r->samplelen = name.len;
	switch (m->type) {
	case METRIC_COUNTER:
	case METRIC_GAUGE:
		metric_foreach(m, render_scalar, r);
		break;
	case METRIC_HISTOGRAM:
		r->le = xreallocarray(NULL, m->nbuckets ? m->nbuckets : 1,
		    sizeof(*r->le));
		for (i = 0; i < m->nbuckets; i++) {
			memcpy(r->le[i].s, "le=\"", 4);
			r->le[i].n = 4 +
			    fmt_double(r->le[i].s + 4, m->buckets[i]);
			r->le[i].s[r->le[i].n++] = '"';
			r->le[i].s[r->le[i].n] = '\0';
		}
		metric_foreach(m, render_histogram, r);
		free(r->le);
		r->le = NULL;
		break;
	case METRIC_FRESHNESS:
		r->fm = m;
		if (m->source != NULL)
			metric_foreach(m->source, render_freshness, r);
		r->fm = NULL;
		break;
	}
	buf_free(&name);
}

/* The default labels of reg, rendered once for all its series. */
static void
default_labels(struct buf *dl, const struct registry *reg)
{
	size_t i;

	buf_reset(dl);
	for (i = 0; i < reg->ndl; i++) {
		if (i > 0)
			buf_putc(dl, ',');
		buf_puts(dl, reg->dlnames[i]);
		buf_append(dl, "=\"", 2);
		put_escaped(dl, reg->dlvalues[i], strlen(reg->dlvalues[i]), 1);
		buf_putc(dl, '"');
	}
}

/*
 * Appends every metric of each registry to out in declaration order, or,
 * with put, hands the text out in pieces. The caller holds the registries'
 * locks. Cost: a sort of each metric's series and O(output) appends.
 */
static int
render(struct registry *const *regs, size_t nregs, struct buf *out,
    enum expose_format fmt, double now, expose_put_fn *put, void *putarg)
{
	struct render r;
	size_t	      i, k;

	if (fmt == EXPOSE_PROTOBUF) {
		protobuf_render(regs, nregs, out, now);
		return put != NULL && out->len > 0 &&
			put(putarg, out->p, out->len) == -1 ?
		    -1 :
		    0;
	}
	memset(&r, 0, sizeof(r));
	r.out = out;
	r.fmt = fmt;
	r.now = now;
	r.put = put;
	r.putarg = putarg;
	buf_init(&r.lab);
	buf_init(&r.dl);
	for (k = 0; k < nregs; k++) {
		r.cache = regs[k]->cache_labels;
		default_labels(&r.dl, regs[k]);
		for (i = 0; i < regs[k]->n; i++)
			render_metric(&r, regs[k]->m[i]);
	}
	if (fmt == EXPOSE_OPENMETRICS)
		buf_append(out, "# EOF\n", 6);
	buf_free(&r.lab);
	buf_free(&r.dl);
	if (put != NULL && out->len > 0 && !r.failed &&
	    put(putarg, out->p, out->len) == -1)
		r.failed = 1;
	return r.failed ? -1 : 0;
}

void
expose_render(struct registry *const *regs, size_t nregs, struct buf *out,
    enum expose_format fmt, double now)
{
	(void)render(regs, nregs, out, fmt, now, NULL, NULL);
}

int
expose_write(struct registry *const *regs, size_t nregs, enum expose_format fmt,
    double now, expose_put_fn *put, void *arg)
{
	struct buf out;
	int	   rc;

	buf_init(&out);
	rc = render(regs, nregs, &out, fmt, now, put, arg);
	buf_free(&out);
	return rc;
}

/*
 * Histories for backfill. OpenMetrics forbids interleaving the samples of
 * different series of a family ("Metrics MUST NOT be interleaved"), and
 * those of different times of one series ("MetricPoints MUST NOT be
 * interleaved"), so a history is handed out one point of one series at a
 * time for the caller to group.
 */

/* The OpenMetrics family name's length in m->name: no counter "_total". */
static size_t
history_family_len(const struct metric *m)
{
	size_t n = strlen(m->name);

	if (m->type == METRIC_COUNTER && n > 6 &&
	    memcmp(m->name + n - 6, "_total", 6) == 0)
		n -= 6;
	return n;
}

/* The HELP and TYPE lines of metric i, as expose_render writes them. */
void
expose_history_head(struct registry *reg, size_t i, struct buf *out)
{
	struct metric *m = reg->m[i];
	size_t	       n = history_family_len(m);

	if (m->help != NULL) {
		buf_append(out, "# HELP ", 7);
		buf_append(out, m->name, n);
		buf_putc(out, ' ');
		put_escaped(out, m->help, strlen(m->help), 1);
		buf_putc(out, '\n');
	}
	buf_append(out, "# TYPE ", 7);
	buf_append(out, m->name, n);
	buf_putc(out, ' ');
	buf_puts(out, metric_type_name(m->type));
	buf_putc(out, '\n');
}

struct stamper {
	struct render r;
	struct buf    point;   /* one point as the render_* write it */
	struct buf    stamped; /* the same, each line stamped */
	char	      ts[32];
	size_t	      tslen;
	size_t	      i; /* the metric */
	void (*render)(struct metric *, struct series *, void *);
	expose_point_fn *fn;
	void		*arg;
};

/* One series: its point rendered, a timestamp put on every line. */
static void
history_point(struct metric *m, struct series *s, void *arg)
{
	struct stamper *h = arg;
	const char     *p, *end, *nl;

	buf_reset(&h->point);
	h->render(m, s, &h->r);
	buf_reset(&h->stamped);
	for (p = h->point.p, end = p + h->point.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		buf_append(&h->stamped, p, (size_t)(nl - p));
		buf_putc(&h->stamped, ' ');
		buf_append(&h->stamped, h->ts, h->tslen);
		buf_putc(&h->stamped, '\n');
	}
	h->fn(h->arg, h->i, h->r.lab.len > 0 ? h->r.lab.p : "", h->r.lab.len,
	    h->stamped.p, h->stamped.len);
}

/*
 * Calls fn for every series of every metric with its point at ts, in
 * OpenMetrics, as expose_render would write it with " ts" on each line.
 * The caller holds the registry lock. Cost: as expose_render, plus a
 * copy of each point.
 */
void
expose_history_points(struct registry *reg, double ts, expose_point_fn *fn,
    void *arg)
{
	struct stamper h;
	struct metric *m;
	struct buf     name;
	size_t	       i, j;

	memset(&h, 0, sizeof(h));
	buf_init(&h.r.lab);
	buf_init(&h.r.dl);
	buf_init(&h.point);
	buf_init(&h.stamped);
	buf_init(&name);
	h.r.out = &h.point;
	h.r.fmt = EXPOSE_OPENMETRICS;
	h.r.now = ts;
	h.r.cache = 1;
	h.tslen = fmt_double(h.ts, ts);
	h.fn = fn;
	h.arg = arg;
	default_labels(&h.r.dl, reg);
	for (i = 0; i < reg->n; i++) {
		m = reg->m[i];
		h.i = i;
		buf_reset(&name);
		buf_append(&name, m->name, history_family_len(m));
		if (m->type == METRIC_COUNTER)
			buf_puts(&name, "_total");
		h.r.sample = name.p;
		h.r.samplelen = name.len;
		switch (m->type) {
		case METRIC_COUNTER:
		case METRIC_GAUGE:
			h.render = render_scalar;
			metric_foreach(m, history_point, &h);
			break;
		case METRIC_HISTOGRAM:
			h.r.le = xreallocarray(NULL,
			    m->nbuckets ? m->nbuckets : 1, sizeof(*h.r.le));
			for (j = 0; j < m->nbuckets; j++) {
				memcpy(h.r.le[j].s, "le=\"", 4);
				h.r.le[j].n = 4 +
				    fmt_double(h.r.le[j].s + 4, m->buckets[j]);
				h.r.le[j].s[h.r.le[j].n++] = '"';
				h.r.le[j].s[h.r.le[j].n] = '\0';
			}
			h.render = render_histogram;
			metric_foreach(m, history_point, &h);
			free(h.r.le);
			h.r.le = NULL;
			break;
		case METRIC_FRESHNESS:
			h.r.fm = m;
			h.render = render_freshness;
			if (m->source != NULL)
				metric_foreach(m->source, history_point, &h);
			h.r.fm = NULL;
			break;
		}
	}
	buf_free(&name);
	buf_free(&h.point);
	buf_free(&h.stamped);
	buf_free(&h.r.lab);
	buf_free(&h.r.dl);
}
