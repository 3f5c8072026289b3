/*
 * metrics.c: the registry of metrics, their series and their updates.
 *
 * Every metric keeps its series in a chained hash table keyed by the label
 * values, hashed with their lengths so that any byte, NUL included, may
 * appear in a value. A series is a single allocation holding its values,
 * their lengths and its histogram buckets, so that the update path (find
 * an existing series, change a number) never allocates.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "util.h"

const double metrics_default_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10 };
const size_t metrics_ndefault_buckets = NELEM(metrics_default_buckets);

#define TABLE_MIN 8

static void metric_free(struct metric *);

static int
name_char(int c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

static int
name_valid(const char *name, int colon)
{
	const char *p;

	if (name == NULL || *name == '\0')
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!name_char((unsigned char)*p, p == name, colon))
			return 0;
	return 1;
}

enum name_fault
metric_name_check(const char *name)
{
	return name_valid(name, 1) ? NAME_OK : NAME_INVALID;
}

enum name_fault
label_name_check(const char *name, enum metric_type type)
{
	if (!name_valid(name, 0))
		return NAME_INVALID;
	if (name[0] == '_' && name[1] == '_')
		return NAME_RESERVED;
	if (strcmp(name, "le") == 0 && (type == 0 || type == METRIC_HISTOGRAM))
		return NAME_LE;
	return NAME_OK;
}

const char *
metric_type_name(enum metric_type t)
{
	switch (t) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_HISTOGRAM:
		return "histogram";
	case METRIC_GAUGE:
	case METRIC_FRESHNESS:
		break;
	}
	return "gauge";
}

/*
 * The wall clock for "updated": the coarse clock is read without a system
 * call and is precise enough for a last-change time.
 */
static double
update_time(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == -1)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t
hash_mix(uint64_t h, uint64_t k)
{
	k *= 0x9e3779b97f4a7c15ULL;
	k ^= k >> 31;
	h ^= k;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

/*
 * Hashes label values eight bytes at a time. Each value's length is mixed
 * in before its bytes, so ("ab", "") and ("a", "b") differ and a value's
 * zero-padded tail cannot be confused with NUL bytes. Cost: O(total bytes).
 */
static uint64_t
hash_values(const struct str *v, size_t n)
{
	uint64_t    h = 0x6c6f676d65747269ULL, k;
	const char *p;
	size_t	    i, left;

	for (i = 0; i < n; i++) {
		h = hash_mix(h, (uint64_t)v[i].n);
		for (p = v[i].p, left = v[i].n; left >= 8; p += 8, left -= 8) {
			memcpy(&k, p, 8);
			h = hash_mix(h, k);
		}
		if (left > 0) {
			k = 0;
			memcpy(&k, p, left);
			h = hash_mix(h, k);
		}
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static int
series_equal(const struct series *s, const struct str *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s->lens[i] != v[i].n)
			return 0;
		if (v[i].n && memcmp(s->values[i], v[i].p, v[i].n) != 0)
			return 0;
	}
	return 1;
}

/* Doubles the table (or creates it); the stored hashes make it cheap. */
static void
table_grow(struct metric *m)
{
	struct series **nt, *s, *next;
	size_t		nsize, i, slot;

	nsize = m->tablesize ? m->tablesize * 2 : TABLE_MIN;
	nt = xcalloc(nsize, sizeof(*nt));
	for (i = 0; i < m->tablesize; i++) {
		for (s = m->table[i]; s != NULL; s = next) {
			next = s->next;
			slot = (size_t)(s->hash & (nsize - 1));
			s->next = nt[slot];
			nt[slot] = s;
		}
	}
	free(m->table);
	m->table = nt;
	m->tablesize = nsize;
}

/*
 * Makes a series of m holding copies of the values, all counts at 0. One
 * allocation: the struct, the value pointers, the lengths, the buckets
 * and the NUL-terminated value bytes.
 */
static struct series *
series_new(const struct metric *m, const struct str *v, uint64_t hash)
{
	struct series *s;
	size_t	       size, i, nb;
	char	      *p;

	nb = m->type == METRIC_HISTOGRAM ? m->nbuckets : 0;
	size = sizeof(*s) + m->nlabels * (sizeof(char *) + sizeof(size_t)) +
	    nb * sizeof(uint64_t);
	for (i = 0; i < m->nlabels; i++) {
		if (v[i].n > SIZE_MAX - size - 1)
			abort();
		size += v[i].n + 1;
	}
	s = xmalloc(size);
	memset(s, 0, sizeof(*s));
	p = (char *)(s + 1);
	s->values = (char **)(void *)p;
	p += m->nlabels * sizeof(char *);
	s->lens = (size_t *)(void *)p;
	p += m->nlabels * sizeof(size_t);
	if (nb > 0) {
		s->buckets = (uint64_t *)(void *)p;
		memset(s->buckets, 0, nb * sizeof(uint64_t));
		p += nb * sizeof(uint64_t);
	}
	for (i = 0; i < m->nlabels; i++) {
		s->values[i] = p;
		s->lens[i] = v[i].n;
		if (v[i].n)
			memcpy(p, v[i].p, v[i].n);
		p[v[i].n] = '\0';
		p += v[i].n + 1;
	}
	s->hash = hash;
	if (m->native) {
		s->nh = xmalloc(sizeof(*s->nh));
		native_init(s->nh, m->nschema);
	}
	return s;
}

uint64_t
metric_hash(const struct metric *m, const struct str *values)
{
	return hash_values(values, m->nlabels);
}

/*
 * Finds or creates the series of m with the given values, whose hash is
 * *hp, or computed here when hp is NULL. Returns NULL for a freshness
 * gauge (its series are computed) and when the cap refuses a new series,
 * which counts one dropped update. Cost: a hash of the values unless
 * given, and a chain walk; allocates only for a new series.
 */
static struct series *
series_lookup(struct metric *m, const struct str *values, const uint64_t *hp)
{
	struct series *s;
	uint64_t       h;
	size_t	       slot;

	if (m->type == METRIC_FRESHNESS)
		return NULL;
	if (m->maxlabel > 0) {
		for (slot = 0; slot < m->nlabels; slot++)
			if (values[slot].n > m->maxlabel) {
				m->label_dropped++;
				return NULL;
			}
	}
	h = hp != NULL ? *hp : hash_values(values, m->nlabels);
	if (m->tablesize > 0) {
		for (s = m->table[h & (m->tablesize - 1)]; s != NULL;
		     s = s->next)
			if (s->hash == h && series_equal(s, values, m->nlabels))
				return s;
	}
	if (m->maxseries > 0 && m->nseries >= m->maxseries) {
		m->dropped++;
		return NULL;
	}
	/* Grow at a load factor of 3/4. */
	if ((m->nseries + 1) * 4 > m->tablesize * 3)
		table_grow(m);
	s = series_new(m, values, h);
	slot = (size_t)(h & (m->tablesize - 1));
	s->next = m->table[slot];
	m->table[slot] = s;
	m->nseries++;
	m->ordered = 0;
	return s;
}

struct series *
metric_series(struct metric *m, const struct str *values)
{
	return series_lookup(m, values, NULL);
}

void
series_exemplar(const struct metric *m, struct series *s, size_t slot,
    const struct exemplar *ex, double v)
{
	struct exemplar *e;

	if (s->ex == NULL)
		s->ex = xcalloc(m->type == METRIC_HISTOGRAM ? m->nbuckets + 1 :
							      1,
		    sizeof(*s->ex));
	e = &s->ex[slot];
	if (e->cap < ex->len) {
		e->labels = xrealloc(e->labels, ex->len);
		e->cap = ex->len;
	}
	if (ex->len > 0)
		memcpy(e->labels, ex->labels, ex->len);
	e->len = ex->len;
	e->value = v;
	e->time = ex->time;
}

int
metric_exemplar_ok(const char *labels, size_t len)
{
	const unsigned char *p = (const unsigned char *)labels, *end = p + len;
	const unsigned char *name;
	char		     nm[EXEMPLAR_MAX_CHARS + 1];
	size_t		     chars = 0, n, bad;

	if (len == 0)
		return 0;
	while (p < end) {
		for (name = p; p < end && *p != '='; p++)
			;
		n = (size_t)(p - name);
		if (p == end || n == 0 || n > EXEMPLAR_MAX_CHARS)
			return 0;
		memcpy(nm, name, n);
		nm[n] = '\0';
		if (label_name_check(nm, METRIC_COUNTER) != NAME_OK)
			return 0;
		chars += n;
		if (++p == end || *p++ != '"')
			return 0;
		while (p < end && *p != '"') {
			if (*p == '\\') {
				if (p + 1 == end ||
				    (p[1] != '\\' && p[1] != '"' &&
					p[1] != 'n'))
					return 0;
				p += 2;
			} else if (*p == '\n')
				return 0;
			else if (*p < 0x80)
				p++;
			else if ((n = utf8_seq(p, end, &bad)) > 0)
				p += n;
			else
				return 0;
			chars++;
		}
		if (p == end)
			return 0;
		if (++p < end && *p++ != ',')
			return 0;
		if (p == end && p[-1] == ',')
			return 0;
	}
	return chars <= EXEMPLAR_MAX_CHARS;
}

/* The exemplars of s, and s. */
static void
series_free(const struct metric *m, struct series *s)
{
	size_t i, n;

	if (s->ex != NULL) {
		n = m->type == METRIC_HISTOGRAM ? m->nbuckets + 1 : 1;
		for (i = 0; i < n; i++)
			free(s->ex[i].labels);
		free(s->ex);
	}
	if (s->nh != NULL) {
		native_free(s->nh);
		free(s->nh);
	}
	free(s->esc);
	free(s->pbl);
	free(s);
}

int
metric_add(struct metric *m, const struct str *values, double v)
{
	return metric_add_ex(m, values, v, NULL);
}

/*
 * Counter += v, refusing a negative or NaN v; gauge += v. Returns 0, or -1
 * when refused (value, type or series cap). hp as for series_lookup().
 */
static int
add_hashed(struct metric *m, const struct str *values, const uint64_t *hp,
    double v, const struct exemplar *ex)
{
	struct series *s;

	if (m->type == METRIC_COUNTER) {
		if (!(v >= 0))
			return -1;
	} else if (m->type != METRIC_GAUGE)
		return -1;
	if ((s = series_lookup(m, values, hp)) == NULL)
		return -1;
	s->value += v;
	s->updated = update_time();
	if (ex != NULL && m->type == METRIC_COUNTER)
		series_exemplar(m, s, 0, ex, v);
	return 0;
}

int
metric_add_ex(struct metric *m, const struct str *values, double v,
    const struct exemplar *ex)
{
	return add_hashed(m, values, NULL, v, ex);
}

/* Gauge = v. Returns 0, or -1 for another type or a refused series. */
static int
set_hashed(struct metric *m, const struct str *values, const uint64_t *hp,
    double v)
{
	struct series *s;

	if (m->type != METRIC_GAUGE)
		return -1;
	if ((s = series_lookup(m, values, hp)) == NULL)
		return -1;
	s->value = v;
	s->updated = update_time();
	return 0;
}

int
metric_set(struct metric *m, const struct str *values, double v)
{
	return set_hashed(m, values, NULL, v);
}

int
metric_observe(struct metric *m, const struct str *values, double v)
{
	return metric_observe_ex(m, values, v, NULL);
}

/*
 * Histogram observation: the value lands in the first bucket whose bound
 * is >= v (Prometheus's "le"), found by binary search; above the last
 * bound it only counts in count (the +Inf bucket). Returns -1 for NaN,
 * another type or a refused series.
 */
static int
observe_hashed(struct metric *m, const struct str *values, const uint64_t *hp,
    double v, const struct exemplar *ex)
{
	struct series *s;
	size_t	       lo, hi, mid;

	if (m->type != METRIC_HISTOGRAM || isnan(v))
		return -1;
	if ((s = series_lookup(m, values, hp)) == NULL)
		return -1;
	lo = 0;
	hi = m->nbuckets;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v <= m->buckets[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo < m->nbuckets)
		s->buckets[lo]++;
	if (s->nh != NULL)
		native_observe(s->nh, v, m->nzero, m->nmax);
	s->count++;
	s->value += v;
	s->updated = update_time();
	if (ex != NULL)
		series_exemplar(m, s, lo, ex, v);
	return 0;
}

int
metric_observe_ex(struct metric *m, const struct str *values, double v,
    const struct exemplar *ex)
{
	return observe_hashed(m, values, NULL, v, ex);
}

int
metric_update(struct metric *m, enum metric_op op, const struct str *values,
    const uint64_t *hp, double v, const struct exemplar *ex)
{
	switch (op) {
	case METRIC_ADD:
		return add_hashed(m, values, hp, v, ex);
	case METRIC_SET:
		return set_hashed(m, values, hp, v);
	case METRIC_OBSERVE:
		return observe_hashed(m, values, hp, v, ex);
	}
	return -1;
}

/* Orders series label by label, bytewise, a prefix before its longer. */
static int
series_cmp(const void *a, const void *b, void *arg)
{
	const struct series *x = *(struct series *const *)a;
	const struct series *y = *(struct series *const *)b;
	size_t		     n = *(const size_t *)arg, i, len;
	int		     c;

	for (i = 0; i < n; i++) {
		len = x->lens[i] < y->lens[i] ? x->lens[i] : y->lens[i];
		if (len && (c = memcmp(x->values[i], y->values[i], len)) != 0)
			return c;
		if (x->lens[i] != y->lens[i])
			return x->lens[i] < y->lens[i] ? -1 : 1;
	}
	return 0;
}

/*
 * Calls fn for every series of m in label order. Cost: one array of
 * nseries pointers and a sort, O(n log n). fn must not add series to m.
 */
void
metric_foreach(struct metric *m,
    void (*fn)(struct metric *, struct series *, void *), void *arg)
{
	struct series *s;
	size_t	       i, n;

	if (m->nseries == 0)
		return;
	if (!m->ordered) {
		m->order = xreallocarray(m->order, m->nseries,
		    sizeof(*m->order));
		for (i = 0, n = 0; i < m->tablesize; i++)
			for (s = m->table[i]; s != NULL; s = s->next)
				m->order[n++] = s;
		qsort_r(m->order, n, sizeof(*m->order), series_cmp,
		    &m->nlabels);
		m->ordered = 1;
	}
	for (i = 0; i < m->nseries; i++)
		fn(m, m->order[i], arg);
}

/* Returns a new empty registry, no default labels, no cap. */
struct registry *
registry_new(void)
{
	struct registry *reg;

	reg = xcalloc(1, sizeof(*reg));
	if (pthread_mutex_init(&reg->lock, NULL) != 0)
		abort();
	return reg;
}

static char **
strv_dup(char *const *v, size_t n)
{
	char **d;
	size_t i;

	if (n == 0)
		return NULL;
	d = xreallocarray(NULL, n, sizeof(*d));
	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

/* Frees reg, its metrics and their series. */
void
registry_free(struct registry *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++)
		metric_free(reg->m[i]);
	free(reg->m);
	strv_free(reg->dlnames, reg->ndl);
	strv_free(reg->dlvalues, reg->ndl);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

void
registry_lock(struct registry *reg)
{
	pthread_mutex_lock(&reg->lock);
}

void
registry_unlock(struct registry *reg)
{
	pthread_mutex_unlock(&reg->lock);
}

/* Replaces the default labels with copies of names and values. */
void
registry_set_default_labels(struct registry *reg, char *const *names,
    char *const *values, size_t n)
{
	strv_free(reg->dlnames, reg->ndl);
	strv_free(reg->dlvalues, reg->ndl);
	reg->dlnames = strv_dup(names, n);
	reg->dlvalues = strv_dup(values, n);
	reg->ndl = n;
}

/* Linear search by name; returns NULL when absent. */
struct metric *
registry_find(struct registry *reg, const char *name)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->m[i]->name, name) == 0)
			return reg->m[i];
	return NULL;
}

static void
metric_free(struct metric *m)
{
	struct series *s, *next;
	size_t	       i;

	if (m == NULL)
		return;
	for (i = 0; i < m->tablesize; i++)
		for (s = m->table[i]; s != NULL; s = next) {
			next = s->next;
			series_free(m, s);
		}
	free(m->table);
	free(m->order);
	free(m->name);
	free(m->help);
	strv_free(m->labels, m->nlabels);
	free(m->buckets);
	for (i = 0; i < m->nth; i++) {
		free(m->th[i].label);
		free(m->th[i].value);
	}
	free(m->th);
	free(m);
}

/* The decl's buckets, or the default ones when it declares none. */
static void
decl_buckets(const struct metric_decl *d, const double **b, size_t *n)
{
	if (d->type == METRIC_HISTOGRAM && d->nbuckets == 0 && !d->native) {
		*b = metrics_default_buckets;
		*n = metrics_ndefault_buckets;
	} else {
		*b = d->buckets;
		*n = d->type == METRIC_HISTOGRAM ? d->nbuckets : 0;
	}
}

static const struct metric_decl *
decl_find(const struct metric_decl *d, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i].name != NULL && strcmp(d[i].name, name) == 0)
			return &d[i];
	return NULL;
}

/* The label names a metric of this decl holds (a freshness: its source's). */
static const struct metric_decl *
decl_labels(const struct metric_decl *d, const struct metric_decl *all,
    size_t n)
{
	const struct metric_decl *src;

	if (d->type == METRIC_FRESHNESS && d->nlabels == 0 &&
	    (src = decl_find(all, n, d->source)) != NULL)
		return src;
	return d;
}

static int
same_labels(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Writes "file:line: message" about d into err; returns -1. */
static int
decl_err(const struct metric_decl *d, char *err, size_t errlen, const char *fmt,
    ...)
{
	va_list ap;
	int	off;

	if (errlen == 0)
		return -1;
	off = snprintf(err, errlen, "%s:%d: ", d->file ? d->file : "?",
	    d->line);
	if (off >= 0 && (size_t)off < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The label names of declaration d: valid, once each, none a default. */
static int
decl_label_check(const struct registry *reg, const struct metric_decl *d,
    char *err, size_t errlen)
{
	const char *nm = d->name;
	size_t	    i, j;

	for (i = 0; i < d->nlabels; i++) {
		switch (label_name_check(d->labels[i], d->type)) {
		case NAME_OK:
			break;
		case NAME_LE:
			return decl_err(d, err, errlen,
			    "histogram \"%s\": "
			    "label \"le\" is reserved",
			    nm);
		case NAME_INVALID:
		case NAME_RESERVED:
			return decl_err(d, err, errlen,
			    "metric \"%s\": "
			    "invalid label name \"%s\"",
			    nm, d->labels[i] ? d->labels[i] : "");
		}
		for (j = 0; j < i; j++)
			if (strcmp(d->labels[j], d->labels[i]) == 0)
				return decl_err(d, err, errlen,
				    "metric "
				    "\"%s\": duplicate label \"%s\"",
				    nm, d->labels[i]);
		for (j = 0; j < reg->ndl; j++)
			if (strcmp(reg->dlnames[j], d->labels[i]) == 0)
				return decl_err(d, err, errlen,
				    "metric "
				    "\"%s\": label \"%s\" is a default label",
				    nm, d->labels[i]);
	}
	return 0;
}

/* The buckets of declaration d: on a histogram, finite, increasing. */
static int
decl_bucket_check(const struct metric_decl *d, char *err, size_t errlen)
{
	const double *b;
	const char   *nm = d->name;
	size_t	      i, nb;

	if (d->type != METRIC_HISTOGRAM && d->nbuckets > 0)
		return decl_err(d, err, errlen,
		    "metric \"%s\": buckets on "
		    "a metric that is not a histogram",
		    nm);
	if (d->native && d->type != METRIC_HISTOGRAM)
		return decl_err(d, err, errlen,
		    "metric \"%s\": native buckets "
		    "on a metric that is not a histogram",
		    nm);
	if (d->native && !(d->native_factor > 1 && isfinite(d->native_factor)))
		return decl_err(d, err, errlen,
		    "histogram \"%s\": native "
		    "factor %g is not a finite number above 1",
		    nm, d->native_factor);
	if (d->native && !(d->native_zero >= 0 && isfinite(d->native_zero)))
		return decl_err(d, err, errlen,
		    "histogram \"%s\": zero "
		    "threshold %g is not a finite number, 0 or above",
		    nm, d->native_zero);
	if (d->native && d->native_max > NATIVE_MAX_BUCKETS_LIMIT)
		return decl_err(d, err, errlen,
		    "histogram \"%s\": %zu native "
		    "buckets, above the limit of %d",
		    nm, d->native_max, NATIVE_MAX_BUCKETS_LIMIT);
	decl_buckets(d, &b, &nb);
	if (nb > 0 && b == NULL)
		return decl_err(d, err, errlen,
		    "histogram \"%s\": missing "
		    "buckets",
		    nm);
	for (i = 0; i < nb; i++) {
		if (!isfinite(b[i]))
			return decl_err(d, err, errlen,
			    "histogram \"%s\": "
			    "bucket %zu is not a finite number (+Inf is "
			    "implicit)",
			    nm, i + 1);
		if (i > 0 && !(b[i] > b[i - 1]))
			return decl_err(d, err, errlen,
			    "histogram \"%s\": "
			    "buckets not strictly increasing (%g after %g)",
			    nm, b[i], b[i - 1]);
	}
	return 0;
}

/* The series declaration d makes ahead: each with a value per label. */
static int
decl_initial(const struct metric_decl *d, char *err, size_t errlen)
{
	const char *nm = d->name;
	size_t	    i;

	if (d->ninitial == 0)
		return 0;
	if (d->type == METRIC_FRESHNESS)
		return decl_err(d, err, errlen,
		    "freshness gauge "
		    "\"%s\": initial series are not allowed",
		    nm);
	if (d->nlabels == 0)
		return decl_err(d, err, errlen,
		    "metric \"%s\": "
		    "initial series of a metric without labels",
		    nm);
	if (d->initial == NULL)
		return decl_err(d, err, errlen,
		    "metric \"%s\": "
		    "initial series without values",
		    nm);
	for (i = 0; i < d->ninitial * d->nlabels; i++)
		if (d->initial[i] == NULL)
			return decl_err(d, err, errlen,
			    "metric "
			    "\"%s\": initial series %zu has %zu "
			    "values, expected %zu",
			    nm, i / d->nlabels + 1, i % d->nlabels, d->nlabels);
	return 0;
}

/* A freshness gauge d: its source gauge among all, its thresholds. */
static int
decl_freshness(const struct metric_decl *all, size_t n,
    const struct metric_decl *d, char *err, size_t errlen)
{
	const struct metric_decl *o;
	const char		 *nm = d->name;
	size_t			  i, j;

	if (d->source == NULL)
		return decl_err(d, err, errlen,
		    "freshness gauge \"%s\": no "
		    "source gauge",
		    nm);
	if ((o = decl_find(all, n, d->source)) == NULL)
		return decl_err(d, err, errlen,
		    "freshness gauge \"%s\": "
		    "source \"%s\" is not declared",
		    nm, d->source);
	if (o->type != METRIC_GAUGE)
		return decl_err(d, err, errlen,
		    "freshness gauge \"%s\": "
		    "source \"%s\" is not a gauge",
		    nm, d->source);
	if (d->nlabels > 0 &&
	    !same_labels(d->labels, d->nlabels, o->labels, o->nlabels))
		return decl_err(d, err, errlen,
		    "freshness gauge \"%s\": "
		    "labels differ from those of \"%s\"",
		    nm, d->source);
	if (!(d->stale_after >= 0))
		return decl_err(d, err, errlen,
		    "freshness gauge \"%s\": "
		    "invalid stale time",
		    nm);
	if (d->nth > 0 && d->th == NULL)
		return decl_err(d, err, errlen,
		    "freshness gauge \"%s\": "
		    "missing thresholds",
		    nm);
	for (i = 0; i < d->nth; i++) {
		if (d->th[i].label == NULL || d->th[i].value == NULL)
			return decl_err(d, err, errlen,
			    "freshness gauge "
			    "\"%s\": incomplete threshold",
			    nm);
		for (j = 0; j < o->nlabels; j++)
			if (strcmp(o->labels[j], d->th[i].label) == 0)
				break;
		if (j == o->nlabels)
			return decl_err(d, err, errlen,
			    "freshness gauge "
			    "\"%s\": threshold on unknown label \"%s\"",
			    nm, d->th[i].label);
		if (!(d->th[i].seconds >= 0))
			return decl_err(d, err, errlen,
			    "freshness gauge "
			    "\"%s\": invalid threshold time",
			    nm);
	}
	return 0;
}

/*
 * Checks one declaration against the others and the default labels.
 * Returns 0, or -1 with "file:line: message" in err.
 */
static int
decl_check(const struct registry *reg, const struct metric_decl *all, size_t n,
    size_t idx, char *err, size_t errlen)
{
	const struct metric_decl *d = &all[idx];
	const char		 *nm;
	size_t			  i;

	if (metric_name_check(d->name) != NAME_OK)
		return decl_err(d, err, errlen, "invalid metric name \"%s\"",
		    d->name ? d->name : "");
	nm = d->name;
	for (i = 0; i < idx; i++)
		if (all[i].name != NULL && strcmp(all[i].name, nm) == 0)
			return decl_err(d, err, errlen,
			    "duplicate metric "
			    "\"%s\", first declared at %s:%d",
			    nm, all[i].file ? all[i].file : "?", all[i].line);
	if (d->type < METRIC_COUNTER || d->type > METRIC_FRESHNESS)
		return decl_err(d, err, errlen, "metric \"%s\": unknown type",
		    nm);
	if (d->nlabels > 0 && d->labels == NULL)
		return decl_err(d, err, errlen,
		    "metric \"%s\": missing "
		    "label names",
		    nm);
	if (decl_label_check(reg, d, err, errlen) == -1 ||
	    decl_bucket_check(d, err, errlen) == -1 ||
	    decl_initial(d, err, errlen) == -1)
		return -1;
	if (d->type != METRIC_FRESHNESS)
		return 0;
	return decl_freshness(all, n, d, err, errlen);
}

/* Whether the existing metric m can keep its series under decl d. */
static int
compatible(const struct metric *m, const struct metric_decl *d)
{
	const double *b;
	size_t	      nb;

	if (m->type != d->type || d->type == METRIC_FRESHNESS)
		return 0;
	if (!same_labels(m->labels, m->nlabels, d->labels, d->nlabels))
		return 0;
	if (m->native != d->native ||
	    (d->native &&
		(m->nschema != native_schema(d->native_factor) ||
		    m->nzero != d->native_zero || m->nmax != d->native_max)))
		return 0;
	decl_buckets(d, &b, &nb);
	if (m->nbuckets != nb)
		return 0;
	return nb == 0 || memcmp(m->buckets, b, nb * sizeof(*b)) == 0;
}

static struct metric *
metric_new(const struct registry *reg, const struct metric_decl *d,
    const struct metric_decl *all, size_t n)
{
	const struct metric_decl *ld;
	struct metric		 *m;
	const double		 *b;
	size_t			  i, nb;

	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(d->name);
	m->help = d->help ? xstrdup(d->help) : NULL;
	m->expire = d->expire;
	m->type = d->type;
	ld = decl_labels(d, all, n);
	m->labels = strv_dup(ld->labels, ld->nlabels);
	m->nlabels = ld->nlabels;
	decl_buckets(d, &b, &nb);
	if (nb > 0) {
		m->buckets = xreallocarray(NULL, nb, sizeof(*b));
		memcpy(m->buckets, b, nb * sizeof(*b));
	}
	m->nbuckets = nb;
	if (d->type == METRIC_HISTOGRAM && d->native) {
		m->native = 1;
		m->nschema = native_schema(d->native_factor);
		m->nzero = d->native_zero;
		m->nmax = d->native_max;
	}
	m->maxseries = reg->maxseries;
	m->maxlabel = reg->maxlabel;
	if (d->type == METRIC_FRESHNESS) {
		m->stale_after = d->stale_after;
		if (d->nth > 0)
			m->th = xreallocarray(NULL, d->nth, sizeof(*m->th));
		for (i = 0; i < d->nth; i++) {
			m->th[i].label = xstrdup(d->th[i].label);
			m->th[i].value = xstrdup(d->th[i].value);
			m->th[i].seconds = d->th[i].seconds;
		}
		m->nth = d->nth;
	}
	return m;
}

/*
 * Creates the declared initial series, or the lone series of a metric
 * without labels, at 0 where they do not exist yet.
 */
static void
metric_initial(struct metric *m, const struct metric_decl *d)
{
	struct str    *v;
	struct series *s;
	size_t	       i, j;

	if (m->type == METRIC_FRESHNESS || d->nsource > 0)
		return;
	if (m->nlabels == 0) {
		if ((s = metric_series(m, NULL)) != NULL)
			s->pinned = 1;
		return;
	}
	v = xreallocarray(NULL, m->nlabels, sizeof(*v));
	for (i = 0; i < d->ninitial; i++) {
		for (j = 0; j < m->nlabels; j++) {
			v[j].p = d->initial[i * m->nlabels + j];
			v[j].n = strlen(v[j].p);
		}
		if ((s = metric_series(m, v)) != NULL)
			s->pinned = 1;
	}
	free(v);
}

void
metric_initial_source(struct metric *m, const struct metric_decl *d,
    const struct str *values)
{
	struct str    *v;
	struct series *s;
	size_t	       i, j, own;

	if (m->type == METRIC_FRESHNESS || d->nsource == 0 ||
	    d->nsource > m->nlabels)
		return;
	own = m->nlabels - d->nsource;
	v = xreallocarray(NULL, m->nlabels, sizeof(*v));
	for (j = 0; j < d->nsource; j++)
		v[own + j] = values[j];
	for (i = 0; i < (own == 0 ? 1 : d->ninitial); i++) {
		for (j = 0; j < own; j++) {
			v[j].p = d->initial[i * m->nlabels + j];
			v[j].n = strlen(v[j].p);
		}
		if ((s = metric_series(m, v)) != NULL)
			s->pinned = 1;
	}
	free(v);
}

/*
 * Makes reg hold exactly the n declared metrics, in order. Every decl is
 * checked before anything changes; then compatible metrics are kept with
 * their series (their help text updated), the others created, the rest
 * freed, and freshness gauges pointed at their sources. Returns 0, or -1
 * with "file:line: message" in err and reg untouched. The caller holds
 * the lock. Cost: O(n^2) name comparisons, plus the new series.
 */
int
registry_sync(struct registry *reg, const struct metric_decl *d, size_t n,
    char *err, size_t errlen)
{
	struct metric **nm, *m;
	size_t		i, j;

	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < n; i++)
		if (decl_check(reg, d, n, i, err, errlen) == -1)
			return -1;

	for (j = 0; j < reg->n; j++)
		reg->m[j]->keep = 0;
	nm = n > 0 ? xreallocarray(NULL, n, sizeof(*nm)) : NULL;
	for (i = 0; i < n; i++) {
		m = NULL;
		for (j = 0; j < reg->n; j++)
			if (!reg->m[j]->keep &&
			    strcmp(reg->m[j]->name, d[i].name) == 0 &&
			    compatible(reg->m[j], &d[i])) {
				m = reg->m[j];
				m->keep = 1;
				free(m->help);
				m->help = d[i].help ? xstrdup(d[i].help) : NULL;
				m->expire = d[i].expire;
				break;
			}
		if (m == NULL)
			m = metric_new(reg, &d[i], d, n);
		metric_initial(m, &d[i]);
		nm[i] = m;
	}
	for (j = 0; j < reg->n; j++)
		if (!reg->m[j]->keep)
			metric_free(reg->m[j]);
	free(reg->m);
	reg->m = nm;
	reg->n = n;
	for (i = 0; i < n; i++) {
		nm[i]->keep = 0;
		if (nm[i]->type == METRIC_FRESHNESS)
			nm[i]->source = registry_find(reg, d[i].source);
	}
	return 0;
}

size_t
registry_expire(struct registry *reg, double now, double max_age)
{
	struct series **pp, *s;
	struct metric  *m;
	size_t		i, slot, n = 0;
	double		limit;

	for (i = 0; i < reg->n; i++) {
		m = reg->m[i];
		limit = m->expire > 0 ? m->expire : max_age;
		if (limit <= 0)
			continue;
		for (slot = 0; slot < m->tablesize; slot++) {
			pp = &m->table[slot];
			while ((s = *pp) != NULL) {
				/* Restored series start their clock now. */
				if (s->updated == 0)
					s->updated = now;
				if (s->pinned || s->updated >= now - limit) {
					pp = &s->next;
					continue;
				}
				*pp = s->next;
				series_free(m, s);
				m->nseries--;
				m->ordered = 0;
				m->expired++;
				n++;
			}
		}
	}
	return n;
}

double
metric_stale_limit(const struct metric *fresh, const struct series *s)
{
	const struct metric *src = fresh->source;
	size_t		     i, j, len;

	for (i = 0; i < fresh->nth; i++) {
		for (j = 0; j < src->nlabels; j++)
			if (strcmp(src->labels[j], fresh->th[i].label) == 0)
				break;
		if (j == src->nlabels)
			continue;
		len = strlen(fresh->th[i].value);
		if (s->lens[j] == len &&
		    memcmp(s->values[j], fresh->th[i].value, len) == 0)
			return fresh->th[i].seconds;
	}
	return fresh->stale_after;
}

int
metric_fresh(const struct metric *fresh, const struct series *s, double now)
{
	return s->value > 0 && now - s->value <= metric_stale_limit(fresh, s);
}
