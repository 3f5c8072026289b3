/*
 * state.c: the state file of follow mode: its format (state_format,
 * state_parse), the snapshot of a running registry with the positions its
 * sources give, and the restore at start. See state.h for the format.
 * Positions are opaque here: each source encodes and decodes its own.
 *
 * The parser trusts nothing: every line must be complete, every count
 * must equal the fields present, every number must be canonical, and the
 * CRC-32 of the whole must match. It checks the structure first and the
 * checksum last, so that damage is named by its place when it can be.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "state.h"

#define STATE_MAGIC   "logmetrics-state"
#define STATE_MAXREAD ((size_t)1 << 30) /* a state file, at most */

void
state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
}

static void
series_free(struct state_series *ss, size_t nlabels)
{
	size_t i;

	if (ss->values != NULL)
		for (i = 0; i < nlabels; i++)
			free(ss->values[i]);
	free(ss->values);
	free(ss->lens);
	free(ss->buckets);
	for (i = 0; i < ss->nex; i++)
		free(ss->ex[i].labels);
	free(ss->ex);
	if (ss->nh != NULL) {
		native_free(ss->nh);
		free(ss->nh);
	}
}

void
state_pos_free(struct state_pos *pos, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(pos[i].kind);
		free(pos[i].data);
	}
	free(pos);
}

void
state_free(struct state *st)
{
	struct state_metric *sm;
	size_t		     i, j;

	state_pos_free(st->pos, st->npos);
	for (i = 0; i < st->nmetrics; i++) {
		sm = &st->metrics[i];
		free(sm->name);
		for (j = 0; j < sm->nlabels; j++)
			free(sm->labels[j]);
		free(sm->labels);
		free(sm->bounds);
		for (j = 0; j < sm->nseries; j++)
			series_free(&sm->series[j], sm->nlabels);
		free(sm->series);
	}
	free(st->metrics);
	state_init(st);
}

/* Writing. */

#define put_str field_put_str
#define put_u64 field_put_u64
#define put_x64 field_put_x64

static void
put_double(struct buf *out, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	put_x64(out, bits);
}

static void
emit_header(struct buf *out, uint64_t rules)
{
	buf_printf(out, STATE_MAGIC " %d\nrules", STATE_VERSION);
	put_x64(out, rules);
	buf_putc(out, '\n');
}

static void
emit_pos(struct buf *out, const struct state_pos *p)
{
	buf_printf(out, "pos %s", p->kind);
	put_u64(out, p->version);
	buf_append(out, p->data, p->len);
	buf_putc(out, '\n');
}

static void
emit_metric(struct buf *out, const char *name, enum metric_type type,
    char *const *labels, size_t nlabels, const double *bounds, size_t nbounds)
{
	size_t i;

	buf_puts(out, "metric");
	put_str(out, name, strlen(name));
	buf_printf(out, " %s", metric_type_name(type));
	put_u64(out, nlabels);
	for (i = 0; i < nlabels; i++)
		put_str(out, labels[i], strlen(labels[i]));
	put_u64(out, nbounds);
	for (i = 0; i < nbounds; i++)
		put_double(out, bounds[i]);
	buf_putc(out, '\n');
}

static void
emit_series(struct buf *out, enum metric_type type, char *const *values,
    const size_t *lens, size_t nlabels, double value, double updated,
    uint64_t count, const uint64_t *buckets, size_t nbounds)
{
	size_t i;

	buf_puts(out, "series");
	for (i = 0; i < nlabels; i++)
		put_str(out, values[i], lens[i]);
	put_double(out, value);
	put_double(out, updated);
	if (type == METRIC_HISTOGRAM) {
		put_u64(out, count);
		for (i = 0; i < nbounds; i++)
			put_u64(out, buckets[i]);
	}
	buf_putc(out, '\n');
}

static void
emit_exemplar(struct buf *out, size_t slot, const char *labels, size_t len,
    double value, double time)
{
	buf_puts(out, "exemplar");
	put_u64(out, slot);
	put_str(out, labels, len);
	put_double(out, value);
	put_double(out, time);
	buf_putc(out, '\n');
}

static void
emit_native(struct buf *out, int schema, double zero, uint64_t max)
{
	buf_printf(out, "native %d", schema);
	put_double(out, zero);
	put_u64(out, max);
	buf_putc(out, '\n');
}

static void
emit_nbuckets(struct buf *out, const struct native *h)
{
	const struct nbuckets *b;
	uint32_t	       i;
	int		       sign;

	buf_printf(out, "nbuckets %d", h->schema);
	put_u64(out, h->zero);
	for (sign = 0; sign < 2; sign++) {
		b = sign == 0 ? &h->pos : &h->neg;
		put_u64(out, b->n);
		for (i = 0; i < b->n; i++) {
			buf_printf(out, " %d", (int)b->key[i]);
			put_u64(out, b->count[i]);
		}
	}
	buf_putc(out, '\n');
}

/* The end record and the checksum of everything from start. */
static void
emit_end(struct buf *out, size_t start, size_t npos, size_t nmetrics,
    size_t nseries)
{
	uLong crc;

	buf_printf(out, "end %zu %zu %zu\n", npos, nmetrics, nseries);
	crc = crc32(0L, (const Bytef *)out->p + start,
	    (uInt)(out->len - start));
	buf_printf(out, "crc32 %08lx\n", crc & 0xffffffffUL);
}

void
state_format(const struct state *st, struct buf *out)
{
	const struct state_metric *sm;
	const struct state_series *ss;
	size_t			   start = out->len, i, j, k, ns = 0;

	emit_header(out, st->rules);
	for (i = 0; i < st->npos; i++)
		emit_pos(out, &st->pos[i]);
	for (i = 0; i < st->nmetrics; i++) {
		sm = &st->metrics[i];
		emit_metric(out, sm->name, sm->type, sm->labels, sm->nlabels,
		    sm->bounds, sm->nbounds);
		if (sm->native)
			emit_native(out, sm->nschema, sm->nzero, sm->nmax);
		for (j = 0; j < sm->nseries; j++, ns++) {
			ss = &sm->series[j];
			emit_series(out, sm->type, ss->values, ss->lens,
			    sm->nlabels, ss->value, ss->updated, ss->count,
			    ss->buckets, sm->nbounds);
			if (ss->nh != NULL)
				emit_nbuckets(out, ss->nh);
			for (k = 0; k < ss->nex; k++)
				emit_exemplar(out, ss->ex[k].slot,
				    ss->ex[k].labels, ss->ex[k].len,
				    ss->ex[k].value, ss->ex[k].time);
		}
	}
	emit_end(out, start, st->npos, st->nmetrics, ns);
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t		     i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
state_rules_id(struct registry *reg)
{
	const struct metric *m;
	uint64_t	     h = 0xcbf29ce484222325ULL, n;
	size_t		     i, j;

	for (i = 0; i < reg->n; i++) {
		m = reg->m[i];
		h = fnv(h, m->name, strlen(m->name) + 1);
		n = (uint64_t)m->type;
		h = fnv(h, &n, sizeof(n));
		n = m->nlabels;
		h = fnv(h, &n, sizeof(n));
		for (j = 0; j < m->nlabels; j++)
			h = fnv(h, m->labels[j], strlen(m->labels[j]) + 1);
		n = m->type == METRIC_HISTOGRAM ? m->nbuckets : 0;
		h = fnv(h, &n, sizeof(n));
		if (n > 0)
			h = fnv(h, m->buckets, (size_t)n * sizeof(double));
		if (m->native) {
			n = (uint64_t)(int64_t)m->nschema;
			h = fnv(h, &n, sizeof(n));
			h = fnv(h, &m->nzero, sizeof(m->nzero));
			n = m->nmax;
			h = fnv(h, &n, sizeof(n));
		}
	}
	return h;
}

struct snapwalk {
	struct buf *out;
	size_t	    n;
};

static void
snap_series(struct metric *m, struct series *s, void *arg)
{
	struct snapwalk *w = arg;

	size_t nslots, i;

	emit_series(w->out, m->type, s->values, s->lens, m->nlabels, s->value,
	    s->updated, s->count, s->buckets,
	    m->type == METRIC_HISTOGRAM ? m->nbuckets : 0);
	if (s->nh != NULL)
		emit_nbuckets(w->out, s->nh);
	nslots = m->type == METRIC_HISTOGRAM ? m->nbuckets + 1 : 1;
	for (i = 0; s->ex != NULL && i < nslots; i++)
		if (s->ex[i].len > 0)
			emit_exemplar(w->out, i, s->ex[i].labels, s->ex[i].len,
			    s->ex[i].value, s->ex[i].time);
	w->n++;
}

void
state_snapshot(struct buf *out, struct registry *reg,
    const struct state_pos *pos, size_t npos)
{
	struct snapwalk series;
	struct metric  *m;
	size_t		start = out->len, i, nm = 0;

	emit_header(out, state_rules_id(reg));
	series.out = out;
	series.n = 0;
	for (i = 0; i < npos; i++)
		emit_pos(out, &pos[i]);
	for (i = 0; i < reg->n; i++) {
		m = reg->m[i];
		/* Freshness gauges are computed when rendered. */
		if (m->type == METRIC_FRESHNESS)
			continue;
		emit_metric(out, m->name, m->type, m->labels, m->nlabels,
		    m->buckets, m->type == METRIC_HISTOGRAM ? m->nbuckets : 0);
		if (m->native)
			emit_native(out, m->nschema, m->nzero, m->nmax);
		metric_foreach(m, snap_series, &series);
		nm++;
	}
	emit_end(out, start, npos, nm, series.n);
}

/* Reading. */

struct parser {
	const char *buf;
	size_t	    len;
	size_t	    next;  /* start of the next line */
	size_t	    start; /* start of the current line */
	size_t	    lineno;
	struct str *f; /* fields of the current line */
	size_t	    nf;
	size_t	    fcap;
	char	   *err;
	size_t	    errlen;
};

static int perr(struct parser *ps, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "byte N (line L): message" into the caller's buffer; -1. */
static int
perr(struct parser *ps, size_t off, const char *fmt, ...)
{
	va_list ap;
	int	n;

	n = snprintf(ps->err, ps->errlen, "byte %zu (line %zu): ", off,
	    ps->lineno);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static size_t
foff(const struct parser *ps, size_t i)
{
	return (size_t)(ps->f[i].p - ps->buf);
}

/*
 * Takes the next line and splits it into fields at single spaces.
 * Returns 1, 0 at the end of the data, or -1 when the line is not
 * terminated or has an empty field.
 */
static int
next_line(struct parser *ps)
{
	const char *p, *nl, *end;

	if (ps->next >= ps->len)
		return 0;
	ps->start = ps->next;
	ps->lineno++;
	p = ps->buf + ps->start;
	if ((nl = memchr(p, '\n', ps->len - ps->start)) == NULL)
		return perr(ps, ps->len,
		    "the last line is not terminated "
		    "(truncated file)");
	ps->next = (size_t)(nl - ps->buf) + 1;
	ps->nf = 0;
	for (;;) {
		end = memchr(p, ' ', (size_t)(nl - p));
		if (end == NULL)
			end = nl;
		if (end == p)
			return perr(ps, (size_t)(p - ps->buf), "empty field");
		if (ps->nf == ps->fcap) {
			ps->fcap = ps->fcap ? ps->fcap * 2 : 16;
			ps->f = xreallocarray(ps->f, ps->fcap, sizeof(*ps->f));
		}
		ps->f[ps->nf].p = p;
		ps->f[ps->nf].n = (size_t)(end - p);
		ps->nf++;
		if (end == nl)
			return 1;
		p = end + 1;
	}
}

static int
field_is(const struct parser *ps, size_t i, const char *s)
{
	return ps->f[i].n == strlen(s) &&
	    memcmp(ps->f[i].p, s, ps->f[i].n) == 0;
}

static int
get_u64(struct parser *ps, size_t i, uint64_t *v)
{
	unsigned long long n;

	*v = 0;
	if (field_u64(&ps->f[i], &n) == -1)
		return perr(ps, foff(ps, i), "expected a decimal number");
	*v = n;
	return 0;
}

static int
get_hex(struct parser *ps, size_t i, size_t digits, uint64_t *v)
{
	unsigned long long n;

	*v = 0;
	if (field_hex(&ps->f[i], digits, &n) == -1)
		return perr(ps, foff(ps, i), "expected %zu hex digits", digits);
	*v = n;
	return 0;
}

static int
get_double(struct parser *ps, size_t i, double *d)
{
	uint64_t bits;

	if (get_hex(ps, i, 16, &bits) == -1)
		return -1;
	memcpy(d, &bits, sizeof(*d));
	return 0;
}

/* A signed decimal in [lo, hi]: "-" before a canonical one above 0, or one. */
static int
get_int(struct parser *ps, size_t i, long lo, long hi, long *v)
{
	struct str	   f = ps->f[i];
	unsigned long long n;
	int		   neg = 0;

	*v = 0;
	if (f.n > 1 && f.p[0] == '-') {
		neg = 1;
		f.p++;
		f.n--;
	}
	if (field_u64(&f, &n) == -1 || (neg && n == 0) ||
	    n > (unsigned long long)LONG_MAX)
		return perr(ps, foff(ps, i),
		    "expected a signed decimal number");
	*v = neg ? -(long)n : (long)n;
	if (*v < lo || *v > hi)
		return perr(ps, foff(ps, i), "%ld is not in [%ld, %ld]", *v, lo,
		    hi);
	return 0;
}

/*
 * Decodes a quoted field into a new NUL-terminated string (the caller
 * frees it) and its length. A NUL byte is refused unless binary.
 */
static int
get_str(struct parser *ps, size_t i, int binary, char **out, size_t *outlen)
{
	const char *why;
	size_t	    at;

	if (field_str(&ps->f[i], binary, out, outlen, &at, &why) == 0)
		return 0;
	if (why == NULL)
		return perr(ps, foff(ps, i) + at,
		    "byte 0x%02x must be "
		    "escaped in a string",
		    (unsigned char)ps->f[i].p[at]);
	return perr(ps, foff(ps, i) + at, "%s", why);
}

static int
want_fields(struct parser *ps, const char *what, size_t want)
{
	if (ps->nf != want)
		return perr(ps, ps->start,
		    "%s record: expected %zu fields, "
		    "found %zu",
		    what, want, ps->nf);
	return 0;
}

/*
 * A position record: "pos" KIND VERSION FIELD..., or in version 1 of the
 * format "file" FIELD..., the fields of a file position of version 1.
 * The fields are kept as they are, for their source to decode.
 */
static int
parse_pos(struct parser *ps, struct state *st, int v1)
{
	struct state_pos p;
	size_t		 i, first = v1 ? 1 : 3;

	memset(&p, 0, sizeof(p));
	if (ps->nf < first + 1)
		return perr(ps, ps->start,
		    "%s record: expected at least %zu "
		    "fields, found %zu",
		    v1 ? "file" : "pos", first + 1, ps->nf);
	if (v1) {
		p.kind = xstrdup("file");
		p.version = 1;
		p.voff = foff(ps, 0);
	} else {
		for (i = 0; i < ps->f[1].n; i++)
			if (!(ps->f[1].p[i] >= 'a' && ps->f[1].p[i] <= 'z') &&
			    !(i > 0 && ps->f[1].p[i] >= '0' &&
				ps->f[1].p[i] <= '9') &&
			    ps->f[1].p[i] != '_')
				return perr(ps, foff(ps, 1) + i,
				    "expected the "
				    "kind of a position, a lower-case word");
		if (get_u64(ps, 2, &p.version) == -1)
			return -1;
		p.kind = xstrndup(ps->f[1].p, ps->f[1].n);
		p.voff = foff(ps, 2);
	}
	p.off = foff(ps, first) - 1;
	p.len = ps->next - 1 - p.off;
	p.data = xstrndup(ps->buf + p.off, p.len);
	p.line = ps->lineno;
	st->pos = xreallocarray(st->pos, st->npos + 1, sizeof(*st->pos));
	st->pos[st->npos++] = p;
	return 0;
}

/*
 * -1 after reporting when the last series of the last metric, a native
 * histogram, has no nbuckets record: every such series has one.
 */
static int
nbuckets_missing(struct parser *ps, const struct state *st)
{
	const struct state_metric *sm;

	if (st->nmetrics == 0)
		return 0;
	sm = &st->metrics[st->nmetrics - 1];
	if (!sm->native || sm->nseries == 0 ||
	    sm->series[sm->nseries - 1].nh != NULL)
		return 0;
	return perr(ps, ps->start,
	    "series %zu of \"%s\" has no nbuckets "
	    "record",
	    sm->nseries, sm->name);
}

/*
 * A metric record: "metric" NAME TYPE NLABELS LABEL... NBOUNDS BOUND...
 * The new metric is appended to st at once, so that state_free() cleans
 * up whatever a failure leaves half-filled.
 */
static int
parse_metric(struct parser *ps, struct state *st)
{
	struct state_metric *sm;
	uint64_t	     nl, nb;
	size_t		     i;

	if (nbuckets_missing(ps, st) == -1)
		return -1;
	if (ps->nf < 5)
		return perr(ps, ps->start,
		    "metric record: expected at least "
		    "5 fields, found %zu",
		    ps->nf);
	st->metrics = xreallocarray(st->metrics, st->nmetrics + 1,
	    sizeof(*st->metrics));
	sm = &st->metrics[st->nmetrics++];
	memset(sm, 0, sizeof(*sm));
	if (get_str(ps, 1, 0, &sm->name, NULL) == -1)
		return -1;
	if (sm->name[0] == '\0')
		return perr(ps, foff(ps, 1), "empty metric name");
	for (i = 0; i + 1 < st->nmetrics; i++)
		if (strcmp(st->metrics[i].name, sm->name) == 0)
			return perr(ps, foff(ps, 1),
			    "metric \"%s\" listed "
			    "twice",
			    sm->name);
	for (i = METRIC_COUNTER; i <= METRIC_HISTOGRAM; i++)
		if (field_is(ps, 2, metric_type_name((enum metric_type)i)))
			sm->type = (enum metric_type)i;
	if (sm->type == 0)
		return perr(ps, foff(ps, 2),
		    "expected counter, gauge or "
		    "histogram");
	if (get_u64(ps, 3, &nl) == -1)
		return -1;
	if (nl > ps->nf - 5)
		return perr(ps, foff(ps, 3),
		    "%llu labels announced, the "
		    "line has room for %zu",
		    (unsigned long long)nl, ps->nf - 5);
	sm->labels = xcalloc(nl > 0 ? (size_t)nl : 1, sizeof(*sm->labels));
	for (i = 0; i < nl; i++) {
		if (get_str(ps, 4 + i, 0, &sm->labels[i], NULL) == -1)
			return -1;
		sm->nlabels++;
	}
	if (get_u64(ps, 4 + (size_t)nl, &nb) == -1)
		return -1;
	if (nb != ps->nf - 5 - nl)
		return perr(ps, foff(ps, 4 + (size_t)nl),
		    "%llu bounds "
		    "announced, the line has %zu",
		    (unsigned long long)nb, (size_t)(ps->nf - 5 - nl));
	if (nb > 0 && sm->type != METRIC_HISTOGRAM)
		return perr(ps, foff(ps, 4 + (size_t)nl), "bounds on a %s",
		    metric_type_name(sm->type));
	sm->bounds = xcalloc(nb > 0 ? (size_t)nb : 1, sizeof(*sm->bounds));
	for (i = 0; i < nb; i++)
		if (get_double(ps, 5 + (size_t)nl + i, &sm->bounds[i]) == -1)
			return -1;
	sm->nbounds = (size_t)nb;
	return 0;
}

/* A native record: the metric before it is a native histogram. */
static int
parse_native(struct parser *ps, struct state *st)
{
	struct state_metric *sm;
	long		     schema;

	if (st->nmetrics == 0 ||
	    st->metrics[st->nmetrics - 1].type != METRIC_HISTOGRAM ||
	    st->metrics[st->nmetrics - 1].nseries > 0 ||
	    st->metrics[st->nmetrics - 1].native)
		return perr(ps, ps->start,
		    "native record not right after "
		    "the metric record of a histogram");
	sm = &st->metrics[st->nmetrics - 1];
	if (want_fields(ps, "native", 4) == -1 ||
	    get_int(ps, 1, NATIVE_SCHEMA_MIN, NATIVE_SCHEMA_MAX, &schema) ==
		-1 ||
	    get_double(ps, 2, &sm->nzero) == -1 ||
	    get_u64(ps, 3, &sm->nmax) == -1)
		return -1;
	if (!(sm->nzero >= 0) || !isfinite(sm->nzero))
		return perr(ps, foff(ps, 2), "not a zero threshold");
	if (sm->nmax > NATIVE_MAX_BUCKETS_LIMIT)
		return perr(ps, foff(ps, 3), "more than %d buckets",
		    NATIVE_MAX_BUCKETS_LIMIT);
	sm->nschema = (int)schema;
	sm->native = 1;
	return 0;
}

/* Keys of native buckets, at any schema: past those of +-Inf. */
#define NKEY_MAX (1L << 20)

/* The nbuckets record of the last series, of a native histogram. */
static int
parse_nbuckets(struct parser *ps, struct state *st)
{
	struct state_metric *sm;
	struct state_series *ss;
	uint64_t	     n[2], count, total;
	size_t		     at, i;
	long		     schema, key;
	int		     sign;

	if (st->nmetrics == 0 || !st->metrics[st->nmetrics - 1].native ||
	    st->metrics[st->nmetrics - 1].nseries == 0 ||
	    st->metrics[st->nmetrics - 1]
		    .series[st->metrics[st->nmetrics - 1].nseries - 1]
		    .nh != NULL)
		return perr(ps, ps->start,
		    "nbuckets record not after a "
		    "series of a native histogram");
	sm = &st->metrics[st->nmetrics - 1];
	ss = &sm->series[sm->nseries - 1];
	if (ps->nf < 5)
		return perr(ps, ps->start,
		    "nbuckets record: expected at "
		    "least 5 fields, found %zu",
		    ps->nf);
	if (get_int(ps, 1, NATIVE_SCHEMA_MIN, sm->nschema, &schema) == -1 ||
	    get_u64(ps, 2, &total) == -1)
		return -1;
	ss->nh = xmalloc(sizeof(*ss->nh));
	native_init(ss->nh, (int)schema);
	ss->nh->zero = total;
	at = 3;
	for (sign = 0; sign < 2; sign++) {
		if (at >= ps->nf)
			return perr(ps, ps->start,
			    "nbuckets record: no count "
			    "of %s buckets",
			    sign == 0 ? "positive" : "negative");
		if (get_u64(ps, at, &n[sign]) == -1)
			return -1;
		if (n[sign] > (ps->nf - at - 1) / 2)
			return perr(ps, foff(ps, at),
			    "%llu buckets announced, "
			    "the line has room for %zu",
			    (unsigned long long)n[sign], (ps->nf - at - 1) / 2);
		at++;
		for (i = 0; i < n[sign]; i++, at += 2) {
			if (get_int(ps, at, -NKEY_MAX, NKEY_MAX, &key) == -1 ||
			    get_u64(ps, at + 1, &count) == -1)
				return -1;
			if (native_append(ss->nh, sign == 0 ? 1 : -1,
				(int32_t)key, count) == -1)
				return perr(ps, foff(ps, at),
				    "bucket keys "
				    "must increase, counts be above 0");
			if (total + count < total)
				return perr(ps, foff(ps, at + 1),
				    "counts "
				    "overflow");
			total += count;
		}
	}
	if (at != ps->nf)
		return perr(ps, foff(ps, at),
		    "nbuckets record: %zu fields "
		    "too many",
		    ps->nf - at);
	if (total != ss->count)
		return perr(ps, ps->start,
		    "the native buckets hold %llu "
		    "observations, the series %llu",
		    (unsigned long long)total, (unsigned long long)ss->count);
	return 0;
}

/* A series record of the last metric: label values, value, updated... */
static int
parse_series(struct parser *ps, struct state *st)
{
	struct state_metric *sm;
	struct state_series *ss;
	size_t		     want, i, at;

	if (nbuckets_missing(ps, st) == -1)
		return -1;
	if (st->nmetrics == 0)
		return perr(ps, ps->start, "series record before any metric");
	sm = &st->metrics[st->nmetrics - 1];
	want = 1 + sm->nlabels + 2;
	if (sm->type == METRIC_HISTOGRAM)
		want += 1 + sm->nbounds;
	if (want_fields(ps, "series", want) == -1)
		return -1;
	sm->series = xreallocarray(sm->series, sm->nseries + 1,
	    sizeof(*sm->series));
	ss = &sm->series[sm->nseries++];
	memset(ss, 0, sizeof(*ss));
	ss->values = xcalloc(sm->nlabels > 0 ? sm->nlabels : 1,
	    sizeof(*ss->values));
	ss->lens = xcalloc(sm->nlabels > 0 ? sm->nlabels : 1,
	    sizeof(*ss->lens));
	for (i = 0; i < sm->nlabels; i++)
		if (get_str(ps, 1 + i, 1, &ss->values[i], &ss->lens[i]) == -1)
			return -1;
	at = 1 + sm->nlabels;
	if (get_double(ps, at, &ss->value) == -1 ||
	    get_double(ps, at + 1, &ss->updated) == -1)
		return -1;
	if (sm->type != METRIC_HISTOGRAM)
		return 0;
	if (get_u64(ps, at + 2, &ss->count) == -1)
		return -1;
	ss->buckets = xcalloc(sm->nbounds > 0 ? sm->nbounds : 1,
	    sizeof(*ss->buckets));
	for (i = 0; i < sm->nbounds; i++)
		if (get_u64(ps, at + 3 + i, &ss->buckets[i]) == -1)
			return -1;
	return 0;
}

/*
 * An exemplar record of the last series: its slot (0 on a counter, a
 * bucket of a histogram), labels, value and time.
 */
static int
parse_exemplar(struct parser *ps, struct state *st)
{
	struct state_metric   *sm;
	struct state_series   *ss;
	struct state_exemplar *e;
	uint64_t	       slot;
	size_t		       i;

	if (st->nmetrics == 0 || st->metrics[st->nmetrics - 1].nseries == 0)
		return perr(ps, ps->start, "exemplar record before any series");
	sm = &st->metrics[st->nmetrics - 1];
	ss = &sm->series[sm->nseries - 1];
	if (want_fields(ps, "exemplar", 5) == -1 || get_u64(ps, 1, &slot) == -1)
		return -1;
	if (sm->type == METRIC_GAUGE ||
	    slot > (sm->type == METRIC_HISTOGRAM ? sm->nbounds : 0))
		return perr(ps, foff(ps, 1),
		    "no exemplar %llu on a %s of %zu bounds",
		    (unsigned long long)slot, metric_type_name(sm->type),
		    sm->nbounds);
	for (i = 0; i < ss->nex; i++)
		if (ss->ex[i].slot == slot)
			return perr(ps, foff(ps, 1), "exemplar %llu twice",
			    (unsigned long long)slot);
	ss->ex = xreallocarray(ss->ex, ss->nex + 1, sizeof(*ss->ex));
	e = &ss->ex[ss->nex++];
	memset(e, 0, sizeof(*e));
	e->slot = (size_t)slot;
	if (get_str(ps, 2, 1, &e->labels, &e->len) == -1 ||
	    get_double(ps, 3, &e->value) == -1 ||
	    get_double(ps, 4, &e->time) == -1)
		return -1;
	if (!metric_exemplar_ok(e->labels, e->len))
		return perr(ps, foff(ps, 2), "not an exemplar's label set");
	return 0;
}

/* The end record, then the checksum line, then nothing. */
static int
parse_end(struct parser *ps, struct state *st)
{
	uint64_t nf, nm, ns, want, sum = 0;
	uLong	 crc;
	size_t	 i, crcat;

	if (nbuckets_missing(ps, st) == -1)
		return -1;
	for (i = 0; i < st->nmetrics; i++)
		sum += st->metrics[i].nseries;
	if (want_fields(ps, "end", 4) == -1 || get_u64(ps, 1, &nf) == -1 ||
	    get_u64(ps, 2, &nm) == -1 || get_u64(ps, 3, &ns) == -1)
		return -1;
	if (nf != st->npos || nm != st->nmetrics || ns != sum)
		return perr(ps, ps->start,
		    "the end record counts %llu "
		    "positions, %llu metrics, %llu series; the file holds %zu, "
		    "%zu, %llu",
		    (unsigned long long)nf, (unsigned long long)nm,
		    (unsigned long long)ns, st->npos, st->nmetrics,
		    (unsigned long long)sum);
	switch (next_line(ps)) {
	case -1:
		return -1;
	case 0:
		return perr(ps, ps->len, "truncated: no checksum line");
	}
	crcat = ps->start;
	if (!field_is(ps, 0, "crc32"))
		return perr(ps, crcat, "expected the checksum line");
	if (want_fields(ps, "crc32", 2) == -1 || get_hex(ps, 1, 8, &want) == -1)
		return -1;
	if (ps->next != ps->len)
		return perr(ps, ps->next, "data after the checksum line");
	crc = crc32(0L, (const Bytef *)ps->buf, (uInt)crcat) & 0xffffffffUL;
	if ((uint64_t)crc != want)
		return perr(ps, crcat,
		    "checksum mismatch: the file says "
		    "%08llx, its bytes give %08lx",
		    (unsigned long long)want, crc);
	return 0;
}

int
state_parse(const char *buf, size_t len, struct state *st, char *err,
    size_t errlen)
{
	struct parser ps;
	uint64_t      v;
	int	      rc = -1, r;

	state_init(st);
	memset(&ps, 0, sizeof(ps));
	ps.buf = buf;
	ps.len = len;
	ps.err = err;
	ps.errlen = errlen;
	if (len == 0) {
		perr(&ps, 0, "empty file");
		goto end;
	}
	if (len > UINT_MAX) {
		perr(&ps, 0, "over %u bytes", UINT_MAX);
		goto end;
	}
	r = next_line(&ps);
	if (r != 1 || !field_is(&ps, 0, STATE_MAGIC)) {
		/* A cut header keeps the message of next_line(). */
		if (r != -1 ||
		    memcmp(buf, STATE_MAGIC,
			len < sizeof(STATE_MAGIC) - 1 ?
			    len :
			    sizeof(STATE_MAGIC) - 1) != 0)
			snprintf(err, errlen,
			    "byte 0 (line 1): not a "
			    "logmetrics state file");
		goto end;
	}
	if (want_fields(&ps, "header", 2) == -1 || get_u64(&ps, 1, &v) == -1)
		goto end;
	if (v < 1 || v > STATE_VERSION) {
		perr(&ps, foff(&ps, 1),
		    "format version %llu; this logmetrics "
		    "reads versions 1 to %d",
		    (unsigned long long)v, STATE_VERSION);
		goto end;
	}
	if ((r = next_line(&ps)) != 1) {
		if (r == 0)
			perr(&ps, len, "truncated: no rules record");
		goto end;
	}
	if (!field_is(&ps, 0, "rules")) {
		perr(&ps, ps.start, "expected the rules record");
		goto end;
	}
	if (want_fields(&ps, "rules", 2) == -1 ||
	    get_hex(&ps, 1, 16, &st->rules) == -1)
		goto end;
	for (;;) {
		if ((r = next_line(&ps)) == -1)
			goto end;
		if (r == 0) {
			perr(&ps, len, "truncated: no end record");
			goto end;
		}
		if (field_is(&ps, 0, v == 1 ? "file" : "pos")) {
			if (st->nmetrics > 0) {
				perr(&ps, ps.start,
				    "position record after "
				    "the metrics");
				goto end;
			}
			if (parse_pos(&ps, st, v == 1) == -1)
				goto end;
		} else if (field_is(&ps, 0, "metric")) {
			if (parse_metric(&ps, st) == -1)
				goto end;
		} else if (field_is(&ps, 0, "series")) {
			if (parse_series(&ps, st) == -1)
				goto end;
		} else if (v >= 3 && field_is(&ps, 0, "exemplar")) {
			if (parse_exemplar(&ps, st) == -1)
				goto end;
		} else if (v >= 4 && field_is(&ps, 0, "native")) {
			if (parse_native(&ps, st) == -1)
				goto end;
		} else if (v >= 4 && field_is(&ps, 0, "nbuckets")) {
			if (parse_nbuckets(&ps, st) == -1)
				goto end;
		} else if (field_is(&ps, 0, "end")) {
			if (parse_end(&ps, st) == -1)
				goto end;
			break;
		} else {
			perr(&ps, ps.start, "unknown record");
			goto end;
		}
	}
	rc = 0;
end:
	free(ps.f);
	if (rc == -1)
		state_free(st);
	return rc;
}

/* Restoring. */

static int
same_decl(const struct metric *m, const struct state_metric *sm)
{
	size_t i, nb;

	if (m->type != sm->type || m->nlabels != sm->nlabels ||
	    m->native != sm->native)
		return 0;
	if (m->native &&
	    (m->nschema != sm->nschema || m->nzero != sm->nzero ||
		m->nmax != sm->nmax))
		return 0;
	for (i = 0; i < m->nlabels; i++)
		if (strcmp(m->labels[i], sm->labels[i]) != 0)
			return 0;
	nb = m->type == METRIC_HISTOGRAM ? m->nbuckets : 0;
	if (nb != sm->nbounds)
		return 0;
	return nb == 0 ||
	    memcmp(m->buckets, sm->bounds, nb * sizeof(double)) == 0;
}

/* h becomes a copy of saved. */
static void
restore_native(struct native *h, const struct native *saved)
{
	uint32_t i;

	native_free(h);
	native_init(h, saved->schema);
	h->zero = saved->zero;
	for (i = 0; i < saved->pos.n; i++)
		(void)native_append(h, 1, saved->pos.key[i],
		    saved->pos.count[i]);
	for (i = 0; i < saved->neg.n; i++)
		(void)native_append(h, -1, saved->neg.key[i],
		    saved->neg.count[i]);
}

/* Puts sm's series into m, declared alike. */
static void
restore_metric(struct metric *m, const struct state_metric *sm,
    struct state_report *rep)
{
	const struct state_series *ss;
	struct series		  *s;
	struct exemplar		   ex;
	struct str		  *vals;
	size_t			   i, j;

	memset(&ex, 0, sizeof(ex));
	vals = xcalloc(m->nlabels > 0 ? m->nlabels : 1, sizeof(*vals));
	for (i = 0; i < sm->nseries; i++) {
		ss = &sm->series[i];
		for (j = 0; j < m->nlabels; j++) {
			vals[j].p = ss->values[j];
			vals[j].n = ss->lens[j];
		}
		if ((s = metric_series(m, vals)) == NULL) {
			rep->refused++;
			continue;
		}
		s->value = ss->value;
		s->updated = ss->updated;
		if (m->type == METRIC_HISTOGRAM) {
			s->count = ss->count;
			memcpy(s->buckets, ss->buckets,
			    m->nbuckets * sizeof(*s->buckets));
		}
		if (s->nh != NULL && ss->nh != NULL)
			restore_native(s->nh, ss->nh);
		for (j = 0; j < ss->nex; j++) {
			ex.labels = ss->ex[j].labels;
			ex.len = ss->ex[j].len;
			ex.time = ss->ex[j].time;
			series_exemplar(m, s, ss->ex[j].slot, &ex,
			    ss->ex[j].value);
		}
		rep->series++;
	}
	free(vals);
}

/*
 * Removes PATH.tmp.PID files left by a writer that died between creating
 * and renaming them (write_atomic's temporary names), when that process
 * is gone.
 */
static void
tmp_cleanup(const char *path)
{
	DIR	      *d;
	struct dirent *de;
	const char    *slash = strrchr(path, '/'), *base, *p;
	char	      *dir, *name;
	size_t	       blen, len;
	long	       pid;

	base = slash ? slash + 1 : path;
	blen = strlen(base);
	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    strncmp(de->d_name + blen, ".tmp.", 5) != 0)
			continue;
		p = de->d_name + blen + 5;
		if (*p == '\0' || strspn(p, "0123456789") != strlen(p) ||
		    strlen(p) > 9)
			continue;
		pid = strtol(p, NULL, 10);
		if (pid == (long)getpid() || pid <= 0 ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		len = strlen(dir) + strlen(de->d_name) + 2;
		name = xmalloc(len);
		snprintf(name, len, "%s/%s", dir, de->d_name);
		(void)unlink(name);
		free(name);
	}
	closedir(d);
	free(dir);
}

/* Renames the unusable file aside and says so after the reason in err. */
int
state_set_aside(const char *path, char *err, size_t errlen)
{
	char  *to;
	size_t len = strlen(path) + sizeof(".corrupt"), n;

	to = xmalloc(len);
	snprintf(to, len, "%s.corrupt", path);
	n = strlen(err);
	if (n < errlen) {
		if (rename(path, to) == 0)
			snprintf(err + n, errlen - n, "; renamed to %s", to);
		else
			snprintf(err + n, errlen - n,
			    "; cannot rename it to "
			    "%s: %s",
			    to, strerror(errno));
	}
	free(to);
	return -1;
}

void
state_pos_err(const char *path, const struct state_pos *p, size_t at,
    const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: byte %zu (line %zu): %s position: %s", path,
	    p->off + at, p->line, p->kind, why);
}

int
state_read(const char *path, struct state *st, char *err, size_t errlen)
{
	struct buf  data;
	struct stat sb;
	char	    why[512];
	int	    e;

	state_init(st);
	tmp_cleanup(path);
	buf_init(&data);
	if (read_file(path, STATE_MAXREAD, READ_REGULAR, &data, &sb) == -1) {
		e = errno;
		buf_free(&data);
		if (e == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		/* A directory or a device is not ours to move. */
		if (e == EINVAL)
			return -1;
		return state_set_aside(path, err, errlen);
	}
	if (state_parse(data.p, data.len, st, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		buf_free(&data);
		return state_set_aside(path, err, errlen);
	}
	buf_free(&data);
	st->saved = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
	return 0;
}

int
state_apply(const char *path, const struct state *st, struct registry *reg,
    struct state_report *rep, char *err, size_t errlen)
{
	struct metric *m;
	uint64_t       id;
	size_t	       i, common = 0;

	memset(rep, 0, sizeof(*rep));
	id = state_rules_id(reg);
	for (i = 0; i < st->nmetrics; i++)
		if ((m = registry_find(reg, st->metrics[i].name)) != NULL &&
		    same_decl(m, &st->metrics[i]))
			common++;
	if (st->rules != id && common == 0) {
		snprintf(err, errlen,
		    "%s: written for another rule set "
		    "(%016llx, ours %016llx) with no metric in common",
		    path, (unsigned long long)st->rules,
		    (unsigned long long)id);
		return state_set_aside(path, err, errlen);
	}
	rep->rules_changed = st->rules != id;
	for (i = 0; i < st->nmetrics; i++) {
		if ((m = registry_find(reg, st->metrics[i].name)) == NULL ||
		    !same_decl(m, &st->metrics[i])) {
			rep->ignored++;
			continue;
		}
		restore_metric(m, &st->metrics[i], rep);
		rep->metrics++;
	}
	return 0;
}
