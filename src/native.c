/*
 * native.c: the buckets of native histograms: keys, bounds, insertion
 * and the widening of the schema. See native.h.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"
#include "util.h"

/*
 * fracs[s][i] = 2^(i / 2^s) / 2: where the buckets of schema s > 0 end
 * within one power of two, as mantissas of frexp() in [0.5, 1). Computed
 * in extended precision, each rounds to the double nearest its exact
 * value (all 510 checked against 60-digit values), so that a value on a
 * bound lands where Prometheus puts it.
 */
static double	      fracs[NATIVE_SCHEMA_MAX + 1][1 << NATIVE_SCHEMA_MAX];
static pthread_once_t fracs_once = PTHREAD_ONCE_INIT;

static void
fracs_make(void)
{
	int s, i, n;

	for (s = 1; s <= NATIVE_SCHEMA_MAX; s++) {
		n = 1 << s;
		for (i = 0; i < n; i++)
			fracs[s][i] = (double)(exp2l((long double)i / n) / 2);
	}
}

/* ceil(k / 2^n), for any sign of k. */
static int32_t
ceil_shift(int32_t k, int n)
{
	int32_t d = (int32_t)1 << n;

	return k >= 0 ? (k + d - 1) / d : -(-k / d);
}

int
native_schema(double factor)
{
	double f;

	f = floor(log2(log2(factor)));
	if (f <= -NATIVE_SCHEMA_MAX)
		return NATIVE_SCHEMA_MAX;
	if (f >= -NATIVE_SCHEMA_MIN)
		return NATIVE_SCHEMA_MIN;
	return -(int)f;
}

int32_t
native_key(double v, int schema)
{
	const double *b;
	double	      frac;
	int32_t	      key;
	int	      inf = isinf(v), e;
	size_t	      lo, hi, mid;

	/* An infinity goes one bucket past DBL_MAX's. */
	frac = frexp(inf ? DBL_MAX : fabs(v), &e);
	if (schema > 0) {
		pthread_once(&fracs_once, fracs_make);
		b = fracs[schema];
		lo = 0;
		hi = (size_t)1 << schema;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (b[mid] < frac)
				lo = mid + 1;
			else
				hi = mid;
		}
		key = (int32_t)lo + (int32_t)(e - 1) * ((int32_t)1 << schema);
	} else {
		/* frac 0.5 is a power of two: the upper bound of e - 1. */
		key = frac == 0.5 ? e - 1 : e;
		key = ceil_shift(key, -schema);
	}
	return inf ? key + 1 : key;
}

double
native_bound(int32_t key, int schema)
{
	int64_t e, n, idx;
	double	frac;

	if (schema <= 0) {
		e = (int64_t)key * ((int64_t)1 << -schema);
		if (e == DBL_MAX_EXP)
			return DBL_MAX;
		if (e > DBL_MAX_EXP)
			return INFINITY;
		return ldexp(1,
		    e < DBL_MIN_EXP - DBL_MANT_DIG - 1 ?
			DBL_MIN_EXP - DBL_MANT_DIG - 1 :
			(int)e);
	}
	pthread_once(&fracs_once, fracs_make);
	n = (int64_t)1 << schema;
	idx = ((key % n) + n) % n;
	e = (key - idx) / n + 1;
	frac = fracs[schema][idx];
	if (e == DBL_MAX_EXP + 1 && frac == 0.5)
		return DBL_MAX;
	if (e > DBL_MAX_EXP)
		return INFINITY;
	return ldexp(frac, (int)e);
}

void
native_init(struct native *h, int schema)
{
	memset(h, 0, sizeof(*h));
	h->schema = schema;
}

void
native_free(struct native *h)
{
	free(h->pos.key);
	free(h->pos.count);
	free(h->neg.key);
	free(h->neg.count);
	native_init(h, h->schema);
}

/* The index of the first bucket of b whose key is >= key. */
static uint32_t
nb_find(const struct nbuckets *b, int32_t key)
{
	uint32_t lo = 0, hi = b->n, mid;

	/* Most observations fall in the highest bucket or near it. */
	if (b->n > 0 && b->key[b->n - 1] < key)
		return b->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (b->key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for one more bucket at index i. */
static void
nb_open(struct nbuckets *b, uint32_t i)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->key = xreallocarray(b->key, b->cap, sizeof(*b->key));
		b->count = xreallocarray(b->count, b->cap, sizeof(*b->count));
	}
	memmove(b->key + i + 1, b->key + i, (b->n - i) * sizeof(*b->key));
	memmove(b->count + i + 1, b->count + i, (b->n - i) * sizeof(*b->count));
	b->n++;
}

static void
nb_add(struct nbuckets *b, int32_t key, uint64_t count)
{
	uint32_t i;

	i = nb_find(b, key);
	if (i < b->n && b->key[i] == key) {
		b->count[i] += count;
		return;
	}
	nb_open(b, i);
	b->key[i] = key;
	b->count[i] = count;
}

/* Bucket k of schema s is bucket ceil(k/2) of schema s - 1. */
static void
nb_halve(struct nbuckets *b)
{
	uint32_t i, j = 0;
	int32_t	 k;

	for (i = 0; i < b->n; i++) {
		k = ceil_shift(b->key[i], 1);
		if (j > 0 && b->key[j - 1] == k) {
			b->count[j - 1] += b->count[i];
		} else {
			b->key[j] = k;
			b->count[j] = b->count[i];
			j++;
		}
	}
	b->n = j;
}

int
native_widen(struct native *h)
{
	if (h->schema <= NATIVE_SCHEMA_MIN)
		return -1;
	nb_halve(&h->pos);
	nb_halve(&h->neg);
	h->schema--;
	return 0;
}

size_t
native_nbuckets(const struct native *h)
{
	return (size_t)h->pos.n + h->neg.n;
}

void
native_observe(struct native *h, double v, double zero_threshold,
    size_t max_buckets)
{
	if (v > zero_threshold)
		nb_add(&h->pos, native_key(v, h->schema), 1);
	else if (v < -zero_threshold)
		nb_add(&h->neg, native_key(v, h->schema), 1);
	else
		h->zero++;
	while (max_buckets > 0 && native_nbuckets(h) > max_buckets &&
	    native_widen(h) == 0)
		;
}

int
native_append(struct native *h, int sign, int32_t key, uint64_t count)
{
	struct nbuckets *b = sign < 0 ? &h->neg : &h->pos;

	if (count == 0 || (b->n > 0 && b->key[b->n - 1] >= key))
		return -1;
	nb_open(b, b->n);
	b->key[b->n - 1] = key;
	b->count[b->n - 1] = count;
	return 0;
}

uint64_t
native_total(const struct native *h)
{
	uint64_t t = h->zero;
	uint32_t i;

	for (i = 0; i < h->pos.n; i++)
		t += h->pos.count[i];
	for (i = 0; i < h->neg.n; i++)
		t += h->neg.count[i];
	return t;
}
