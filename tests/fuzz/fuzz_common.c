/*
 * fuzz_common.c: helpers of the fuzz targets, and an exposition checker
 * written from the text format 0.0.4 and OpenMetrics 1.0.0 grammars, not
 * from expose.c, so that the two disagree when the renderer is wrong.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.pb-c.h"
#include "fuzz.h"
#include "util.h"

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("property violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int
fuzz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned char	     lo, hi;
	size_t		     need, i;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (*p >= 0xc2 && *p <= 0xdf)
			need = 1;
		else if (*p >= 0xe0 && *p <= 0xef) {
			need = 2;
			lo = *p == 0xe0 ? 0xa0 : 0x80;
			hi = *p == 0xed ? 0x9f : 0xbf;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			need = 3;
			lo = *p == 0xf0 ? 0x90 : 0x80;
			hi = *p == 0xf4 ? 0x8f : 0xbf;
		} else
			return 0;
		if ((size_t)(end - p) <= need)
			return 0;
		for (i = 1; i <= need; i++) {
			if (p[i] < lo || p[i] > hi)
				return 0;
			lo = 0x80;
			hi = 0xbf;
		}
		p += need + 1;
	}
	return 1;
}

void
fuzz_bind(struct fuzz_bound *b, const struct ruleset *rs)
{
	char **names, **values;
	char   err[4096];
	size_t i;

	b->reg = registry_new();
	names = xcalloc(rs->nlabels + 1, sizeof(char *));
	values = xcalloc(rs->nlabels + 1, sizeof(char *));
	for (i = 0; i < rs->nlabels; i++) {
		names[i] = rs->labels[i].name;
		values[i] = (char *)(uintptr_t)rules_label_value(&rs->labels[i],
		    rs->labels[i].env ? getenv(rs->labels[i].env) : NULL);
	}
	registry_set_default_labels(b->reg, names, values, rs->nlabels);
	free(names);
	free(values);
	registry_lock(b->reg);
	if (registry_sync(b->reg, rs->decls, rs->ndecls, err, sizeof(err)) ==
	    -1)
		fuzz_fail("a parsed ruleset does not sync: %s", err);
	registry_unlock(b->reg);
	b->m = matcher_new(rs, b->reg, 0, 0, err, sizeof(err));
	if (b->m == NULL)
		fuzz_fail("a parsed ruleset does not bind: %s", err);
}

void
fuzz_unbind(struct fuzz_bound *b)
{
	matcher_free(b->m);
	registry_free(b->reg);
	b->m = NULL;
	b->reg = NULL;
}

/* The exposition checker's state over one rendering. */
struct xc {
	enum expose_format fmt;
	const char	  *out;
	size_t		   lineno;
	char		   family[512]; /* "" before the first TYPE */
	char		   type[16];
	char		   help[512]; /* a HELP awaiting its TYPE */
	char		 **families;
	size_t		   nfamilies;
	char		 **series; /* "name{labels}" as written */
	size_t		   nseries;
	/* The histogram series being read: its labels without le. */
	struct buf hkey;
	int	   hopen; /* buckets read, _count/_sum due */
	int	   hinf;  /* its +Inf bucket was read */
	int	   hcount, hsum;
	double	   hle;	 /* last le */
	double	   hcum; /* last cumulative count */
	double	   hinfval;
};

#define XFAIL(x, ...)                                                 \
	do {                                                          \
		fprintf(stderr, "%s output, line %zu\n",              \
		    (x)->fmt == EXPOSE_TEXT ? "text" : "OpenMetrics", \
		    (x)->lineno);                                     \
		fuzz_fail(__VA_ARGS__);                               \
	} while (0)

static int
metric_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			c == '_' || c == ':' ||
			(i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static int
label_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (n >= 2 && s[0] == '_' && s[1] == '_'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			c == '_' || (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* A sample value: +Inf, -Inf, NaN or a plain decimal number. */
static int
value_parse(const char *s, size_t n, double *v)
{
	char   tmp[64], *end;
	size_t i;

	if (n == 4 && memcmp(s, "+Inf", 4) == 0) {
		*v = INFINITY;
		return 0;
	}
	if (n == 4 && memcmp(s, "-Inf", 4) == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (n == 3 && memcmp(s, "NaN", 3) == 0) {
		*v = NAN;
		return 0;
	}
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (i = 0; i < n; i++)
		if (strchr("0123456789.eE+-", s[i]) == NULL)
			return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*v = strtod(tmp, &end);
	if (*end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

/* Escapes in HELP text: \\ and \n, and \" in OpenMetrics. */
static void
check_help_text(struct xc *x, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 1 == n ||
			    !(s[i + 1] == '\\' || s[i + 1] == 'n' ||
				(x->fmt == EXPOSE_OPENMETRICS &&
				    s[i + 1] == '"')))
				XFAIL(x, "bad escape in HELP text");
			i++;
		} else if (s[i] == '"' && x->fmt == EXPOSE_OPENMETRICS)
			XFAIL(x, "raw double quote in OpenMetrics HELP");
	}
}

static int
family_seen(const struct xc *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nfamilies; i++)
		if (strcmp(x->families[i], name) == 0)
			return 1;
	return 0;
}

/* The histogram series being read must have ended with _count and _sum. */
static void
hist_close(struct xc *x)
{
	if (x->hopen && (!x->hinf || !x->hcount || !x->hsum))
		XFAIL(x, "histogram series without +Inf, _count or _sum");
	x->hopen = 0;
}

static void
comment_line(struct xc *x, const char *s, size_t n, int last)
{
	const char *name, *sp;
	size_t	    nlen;

	if (n == 5 && memcmp(s, "# EOF", 5) == 0) {
		if (x->fmt != EXPOSE_OPENMETRICS || !last)
			XFAIL(x, "# EOF out of place");
		hist_close(x);
		return;
	}
	if (n < 8 ||
	    (memcmp(s, "# HELP ", 7) != 0 && memcmp(s, "# TYPE ", 7) != 0))
		XFAIL(x, "a comment that is neither HELP nor TYPE");
	name = s + 7;
	if ((sp = memchr(name, ' ', n - 7)) == NULL)
		XFAIL(x, "HELP or TYPE without a text");
	nlen = (size_t)(sp - name);
	if (!metric_name_ok(name, nlen) || nlen >= sizeof(x->family))
		XFAIL(x, "bad family name in a comment");
	if (s[2] == 'H') {
		if (x->help[0] != '\0')
			XFAIL(x, "two HELP lines in a row");
		memcpy(x->help, name, nlen);
		x->help[nlen] = '\0';
		check_help_text(x, sp + 1, n - 7 - nlen - 1);
		return;
	}
	hist_close(x);
	memcpy(x->family, name, nlen);
	x->family[nlen] = '\0';
	if (x->help[0] != '\0' && strcmp(x->help, x->family) != 0)
		XFAIL(x, "HELP for %s, then TYPE for %s", x->help, x->family);
	x->help[0] = '\0';
	if (family_seen(x, x->family))
		XFAIL(x, "family %s described twice", x->family);
	x->families = xreallocarray(x->families, x->nfamilies + 1,
	    sizeof(char *));
	x->families[x->nfamilies++] = xstrdup(x->family);
	n -= 7 + nlen + 1;
	if (n >= sizeof(x->type) ||
	    (!(n == 7 && memcmp(sp + 1, "counter", 7) == 0) &&
		!(n == 5 && memcmp(sp + 1, "gauge", 5) == 0) &&
		!(n == 9 && memcmp(sp + 1, "histogram", 9) == 0)))
		XFAIL(x, "unknown TYPE");
	memcpy(x->type, sp + 1, n);
	x->type[n] = '\0';
}

/*
 * An OpenMetrics exemplar, s[0..n) after "# ": {name="value",...} value
 * timestamp, its names and values 128 characters at most together.
 */
static void
exemplar_check(struct xc *x, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *name, *sp;
	size_t	    chars = 0;
	double	    v;

	if (p == end || *p++ != '{')
		XFAIL(x, "exemplar without its label set");
	while (p < end && *p != '}') {
		name = p;
		while (p < end && *p != '=')
			p++;
		if (p == end || !label_name_ok(name, (size_t)(p - name)))
			XFAIL(x, "bad exemplar label name");
		chars += (size_t)(p - name);
		if (++p == end || *p++ != '"')
			XFAIL(x, "exemplar label value not quoted");
		while (p < end && *p != '"') {
			if (*p == '\\') {
				if (p + 1 == end ||
				    (p[1] != '\\' && p[1] != '"' &&
					p[1] != 'n'))
					XFAIL(x, "bad escape in an exemplar");
				p++;
			}
			/* A character: a byte that does not continue one. */
			if (((unsigned char)*p & 0xc0) != 0x80)
				chars++;
			p++;
		}
		if (p == end)
			XFAIL(x, "exemplar label value not closed");
		p++;
		if (p < end && *p == ',')
			p++;
		else if (p == end || *p != '}')
			XFAIL(x, "exemplar labels not separated by commas");
	}
	if (p == end || chars > 128)
		XFAIL(x, "exemplar label set not closed, or of %zu characters",
		    chars);
	if (++p == end || *p++ != ' ')
		XFAIL(x, "no blank before the exemplar's value");
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    value_parse(p, (size_t)(sp - p), &v) == -1 || isnan(v))
		XFAIL(x, "bad exemplar value");
	if (value_parse(sp + 1, (size_t)(end - sp - 1), &v) == -1 ||
	    !isfinite(v))
		XFAIL(x, "bad exemplar timestamp");
}

/* Whether name is the family plus suffix. */
static int
is_family(const struct xc *x, const char *name, size_t n, const char *suffix)
{
	size_t fl = strlen(x->family), sl = strlen(suffix);

	return n == fl + sl && memcmp(name, x->family, fl) == 0 &&
	    memcmp(name + fl, suffix, sl) == 0;
}

static void
sample_line(struct xc *x, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *lname, *vstart, *vend, *hash;
	const char *names[64];
	size_t	    lens[64], nl = 0, namelen, i;
	struct buf  key;
	double	    v, le = NAN;
	int	    bucket, hascount, hassum, hasle = 0;

	if (x->family[0] == '\0')
		XFAIL(x, "a sample before any TYPE");
	if (x->help[0] != '\0')
		XFAIL(x, "HELP not followed by its TYPE");
	while (p < end && *p != '{' && *p != ' ')
		p++;
	namelen = (size_t)(p - s);
	if (!metric_name_ok(s, namelen))
		XFAIL(x, "bad sample name");
	bucket = is_family(x, s, namelen, "_bucket");
	hascount = is_family(x, s, namelen, "_count");
	hassum = is_family(x, s, namelen, "_sum");
	if (strcmp(x->type, "histogram") == 0) {
		if (!bucket && !hascount && !hassum)
			XFAIL(x, "histogram sample %.*s", (int)namelen, s);
	} else if (strcmp(x->type, "counter") == 0 &&
	    x->fmt == EXPOSE_OPENMETRICS) {
		if (!is_family(x, s, namelen, "_total"))
			XFAIL(x, "OpenMetrics counter sample without _total");
	} else if (!is_family(x, s, namelen, ""))
		XFAIL(x, "sample %.*s in family %s", (int)namelen, s,
		    x->family);

	buf_init(&key);
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			lname = p;
			while (p < end && *p != '=')
				p++;
			if (p == end ||
			    !label_name_ok(lname, (size_t)(p - lname)))
				XFAIL(x, "bad label name");
			if (nl == NELEM(names))
				XFAIL(x, "too many labels");
			names[nl] = lname;
			lens[nl] = (size_t)(p - lname);
			for (i = 0; i < nl; i++)
				if (lens[i] == lens[nl] &&
				    memcmp(names[i], lname, lens[nl]) == 0)
					XFAIL(x, "label %.*s twice",
					    (int)lens[nl], lname);
			nl++;
			if (++p == end || *p != '"')
				XFAIL(x, "label value not quoted");
			vstart = ++p;
			while (p < end && *p != '"') {
				if (*p == '\\') {
					if (p + 1 == end ||
					    (p[1] != '\\' && p[1] != '"' &&
						p[1] != 'n'))
						XFAIL(x,
						    "bad escape in a "
						    "label value");
					p++;
				}
				p++;
			}
			if (p == end)
				XFAIL(x, "label value not closed");
			if (lens[nl - 1] == 2 && memcmp(lname, "le", 2) == 0) {
				hasle = 1;
				if (value_parse(vstart, (size_t)(p - vstart),
					&le) == -1 ||
				    isnan(le))
					XFAIL(x, "bad le value");
			} else {
				if (key.len > 0)
					buf_putc(&key, ',');
				buf_append(&key, lname,
				    (size_t)(p + 1 - lname));
			}
			p++;
			if (p < end && *p == ',')
				p++;
			else if (p == end || *p != '}')
				XFAIL(x, "labels not separated by commas");
		}
		if (p == end)
			XFAIL(x, "label set not closed");
		p++;
	}
	if (p == end || *p != ' ')
		XFAIL(x, "no blank before the value");
	p++;
	vend = end;
	if (x->fmt == EXPOSE_OPENMETRICS &&
	    (hash = memmem(p, (size_t)(end - p), " # ", 3)) != NULL) {
		if (!bucket && strcmp(x->type, "counter") != 0)
			XFAIL(x, "an exemplar on a sample that takes none");
		exemplar_check(x, hash + 3, (size_t)(end - hash - 3));
		vend = hash;
	}
	if (value_parse(p, (size_t)(vend - p), &v) == -1)
		XFAIL(x, "bad sample value \"%.*s\"", (int)(vend - p), p);
	if (hasle != bucket)
		XFAIL(x, "le on a sample that is not a bucket, or the reverse");
	if (strcmp(x->type, "counter") == 0 && !(v >= 0))
		XFAIL(x, "counter value %g", v);

	x->series = xreallocarray(x->series, x->nseries + 1, sizeof(char *));
	x->series[x->nseries++] = xstrndup(s, (size_t)(p - 1 - s));

	if (strcmp(x->type, "histogram") == 0) {
		int same = x->hopen && x->hkey.len == key.len &&
		    (key.len == 0 || memcmp(x->hkey.p, key.p, key.len) == 0);

		if (bucket) {
			if (!same) {
				hist_close(x);
				buf_reset(&x->hkey);
				buf_append(&x->hkey, key.p, key.len);
				x->hopen = 1;
				x->hinf = x->hcount = x->hsum = 0;
				x->hle = -INFINITY;
				x->hcum = 0;
			} else if (x->hinf)
				XFAIL(x, "a bucket after the +Inf bucket");
			if (!(le > x->hle))
				XFAIL(x, "le values not increasing");
			if (v < x->hcum || v != floor(v))
				XFAIL(x, "bucket counts not cumulative");
			x->hle = le;
			x->hcum = v;
			if (isinf(le)) {
				x->hinf = 1;
				x->hinfval = v;
			}
		} else {
			if (!same || !x->hinf)
				XFAIL(x, "_count or _sum without buckets");
			if (hascount) {
				if (x->hcount++ || v != x->hinfval)
					XFAIL(x,
					    "_count is not the +Inf bucket");
			} else if (x->hsum++)
				XFAIL(x, "_sum twice");
		}
	}
	buf_free(&key);
}

static int
strpcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Checks one rendering: valid UTF-8 throughout, every line a HELP, TYPE
 * or sample line of the format, label values escaped, names valid, each
 * family described once, each series once, counters not negative,
 * histogram buckets cumulative and ending in +Inf equal to _count; the
 * OpenMetrics output ends in "# EOF". Returns the number of samples.
 */
static size_t
check_output(const struct buf *b, enum expose_format fmt)
{
	struct xc   x;
	const char *p, *end, *nl;
	size_t	    i, nsamples;

	memset(&x, 0, sizeof(x));
	x.fmt = fmt;
	x.out = b->p;
	buf_init(&x.hkey);
	if (b->len > 0 && b->p[b->len - 1] != '\n')
		XFAIL(&x, "output does not end with a newline");
	if (!fuzz_utf8_valid(b->p, b->len))
		XFAIL(&x, "output is not UTF-8");
	if (fmt == EXPOSE_OPENMETRICS &&
	    (b->len < 6 || memcmp(b->p + b->len - 6, "# EOF\n", 6) != 0))
		XFAIL(&x, "OpenMetrics output without # EOF at its end");
	p = b->p;
	end = b->p + b->len;
	while (p < end) {
		x.lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl - p > 0 && p[0] == '#')
			comment_line(&x, p, (size_t)(nl - p), nl + 1 == end);
		else
			sample_line(&x, p, (size_t)(nl - p));
		p = nl + 1;
	}
	hist_close(&x);
	if (x.help[0] != '\0')
		XFAIL(&x, "HELP without TYPE at the end");
	if (x.nseries > 1)
		qsort(x.series, x.nseries, sizeof(char *), strpcmp);
	for (i = 1; i < x.nseries; i++)
		if (strcmp(x.series[i - 1], x.series[i]) == 0)
			XFAIL(&x, "series %s twice", x.series[i]);
	for (i = 0; i < x.nseries; i++)
		free(x.series[i]);
	for (i = 0; i < x.nfamilies; i++)
		free(x.families[i]);
	free(x.series);
	free(x.families);
	buf_free(&x.hkey);
	nsamples = x.nseries;
	return nsamples;
}

/* One sign of a native histogram: its buckets' counts, summed. */
static uint64_t
native_side(size_t nspan, Io__Prometheus__Client__BucketSpan **span,
    size_t ndelta, const int64_t *delta)
{
	uint64_t n = 0, total = 0;
	int64_t	 count = 0;
	size_t	 i;

	for (i = 0; i < nspan; i++)
		n += span[i]->length;
	if (n != ndelta)
		fuzz_fail("protobuf: %zu deltas for %llu buckets", ndelta,
		    (unsigned long long)n);
	for (i = 0; i < ndelta; i++) {
		count += delta[i];
		if (count <= 0)
			fuzz_fail("protobuf: a bucket of %lld",
			    (long long)count);
		total += (uint64_t)count;
	}
	return total;
}

/*
 * The protobuf exposition: the whole stream decodes, every family has
 * series, every label value is UTF-8, and a native histogram's buckets
 * hold exactly its count, at a schema Prometheus reads. Returns the
 * number of series.
 */
static size_t
check_protobuf(const struct buf *b)
{
	const uint8_t			     *p, *end;
	Io__Prometheus__Client__MetricFamily *f;
	Io__Prometheus__Client__Metric	     *m;
	Io__Prometheus__Client__Histogram    *h;
	uint64_t			      len, total;
	size_t				      i, j, n = 0;
	int				      shift;

	if (b->len == 0)
		return 0;
	p = (const uint8_t *)b->p;
	end = p + b->len;
	while (p < end) {
		len = 0;
		shift = 0;
		do {
			if (p == end || shift > 63)
				fuzz_fail("protobuf: a cut length");
			len |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
		} while (*p++ & 0x80);
		if (len > (uint64_t)(end - p))
			fuzz_fail("protobuf: a cut family");
		f = io__prometheus__client__metric_family__unpack(NULL,
		    (size_t)len, p);
		if (f == NULL)
			fuzz_fail("protobuf: a family does not decode");
		p += len;
		if (f->n_metric == 0)
			fuzz_fail("protobuf: family %s without series",
			    f->name);
		for (i = 0; i < f->n_metric; i++) {
			m = f->metric[i];
			for (j = 0; j < m->n_label; j++)
				if (m->label[j]->value.len > 0 &&
				    !fuzz_utf8_valid((const char *)m->label[j]
							 ->value.data,
					m->label[j]->value.len))
					fuzz_fail("protobuf: %s: a label value "
						  "not UTF-8",
					    f->name);
			if ((h = m->histogram) == NULL || !h->has_schema)
				continue;
			if (h->schema < -4 || h->schema > 8)
				fuzz_fail("protobuf: schema %d", h->schema);
			total = h->zero_count +
			    native_side(h->n_positive_span, h->positive_span,
				h->n_positive_delta, h->positive_delta) +
			    native_side(h->n_negative_span, h->negative_span,
				h->n_negative_delta, h->negative_delta);
			if (total != h->sample_count)
				fuzz_fail("protobuf: %s: native buckets hold "
					  "%llu of %llu",
				    f->name, (unsigned long long)total,
				    (unsigned long long)h->sample_count);
		}
		n += f->n_metric;
		io__prometheus__client__metric_family__free_unpacked(f, NULL);
	}
	return n;
}

void
fuzz_check_render(struct registry *reg, double now)
{
	struct buf pb, pb2;
	struct buf text, text2, om, om2;
	size_t	   ntext, nom;

	buf_init(&text);
	buf_init(&text2);
	buf_init(&om);
	buf_init(&om2);
	registry_lock(reg);
	expose_render(&reg, 1, &text, EXPOSE_TEXT, now);
	expose_render(&reg, 1, &om, EXPOSE_OPENMETRICS, now);
	expose_render(&reg, 1, &text2, EXPOSE_TEXT, now);
	expose_render(&reg, 1, &om2, EXPOSE_OPENMETRICS, now);
	buf_init(&pb);
	buf_init(&pb2);
	expose_render(&reg, 1, &pb, EXPOSE_PROTOBUF, now);
	expose_render(&reg, 1, &pb2, EXPOSE_PROTOBUF, now);
	registry_unlock(reg);
	if (pb.len != pb2.len ||
	    (pb.len > 0 && memcmp(pb.p, pb2.p, pb.len) != 0))
		fuzz_fail("protobuf: rendering twice gives two outputs");
	(void)check_protobuf(&pb);
	buf_free(&pb);
	buf_free(&pb2);
	if (text.len != text2.len ||
	    (text.len > 0 && memcmp(text.p, text2.p, text.len) != 0) ||
	    om.len != om2.len || memcmp(om.p, om2.p, om.len) != 0)
		fuzz_fail("rendering twice gives two outputs");
	ntext = check_output(&text, EXPOSE_TEXT);
	nom = check_output(&om, EXPOSE_OPENMETRICS);
	if (ntext != nom)
		fuzz_fail("%zu samples in text, %zu in OpenMetrics", ntext,
		    nom);
	buf_free(&text);
	buf_free(&text2);
	buf_free(&om);
	buf_free(&om2);
}
