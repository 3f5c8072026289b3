/*
 * native.h: the exponential buckets of a native histogram, as Prometheus
 * defines them.
 *
 * A schema s in [-4, 8] sets the growth factor between bucket bounds,
 * base = 2^(2^-s). Bucket key k holds the observations v with
 * base^(k-1) < |v| <= base^k, of either sign (positive and negative
 * buckets are kept apart); the zero bucket holds those with |v| <= the
 * zero threshold. +Inf and -Inf land in the key after the one holding
 * DBL_MAX; NaN is no observation here (the caller refuses it, as the
 * classic buckets do). Only buckets holding observations are kept.
 *
 * When a histogram would hold more buckets than its limit, its schema is
 * lowered by one, merging buckets pairwise (k -> ceil(k/2)), until it
 * holds at most the limit or reaches -4, as Prometheus's client libraries
 * do; the count of each bucket is kept exactly.
 */
#ifndef LOGMETRICS_NATIVE_H
#define LOGMETRICS_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#define NATIVE_SCHEMA_MIN	   (-4)
#define NATIVE_SCHEMA_MAX	   8
#define NATIVE_FACTOR_DEFAULT	   1.1
#define NATIVE_MAX_BUCKETS_DEFAULT 160
#define NATIVE_MAX_BUCKETS_LIMIT   65536
#define NATIVE_ZERO_DEFAULT	   0x1p-128 /* 2.938735877055719e-39 */

/* The buckets of one sign: keys strictly increasing, counts > 0. */
struct nbuckets {
	int32_t	 *key;
	uint64_t *count;
	uint32_t  n;
	uint32_t  cap;
};

struct native {
	int		schema;
	uint64_t	zero; /* observations in the zero bucket */
	struct nbuckets pos;
	struct nbuckets neg;
};

/*
 * The schema for a largest ratio between bucket bounds of factor (> 1):
 * the lowest whose ratio does not exceed it, clamped to [-4, 8] (below
 * 2^(2^-8), about 1.0027, the result is 8 all the same).
 */
int native_schema(double factor);

/* The key of the bucket holding |v| (v not 0, not NaN) under schema. */
int32_t native_key(double v, int schema);

/*
 * The upper bound of bucket key under schema: DBL_MAX for the last
 * bucket of finite values, +Inf past it.
 */
double native_bound(int32_t key, int schema);

/* An empty histogram of that schema; native_free() releases it. */
void native_init(struct native *, int schema);
void native_free(struct native *);

/*
 * Counts v (not NaN) in its bucket: the zero bucket when |v| <=
 * zero_threshold. Then widens the schema while more than max_buckets
 * buckets (0: no limit) are held. Cost: two binary searches, and a
 * move of the buckets above a new one.
 */
void native_observe(struct native *, double v, double zero_threshold,
    size_t max_buckets);

/* Lowers the schema by one, merging buckets pairwise; -1 at -4. */
int native_widen(struct native *);

/* Buckets held, of both signs. */
size_t native_nbuckets(const struct native *);

/*
 * Appends count observations in bucket key of sign (1, or -1 for the
 * negative buckets), for a restore: keys must come increasing, counts
 * above 0. Returns 0, or -1 when they do not.
 */
int native_append(struct native *, int sign, int32_t key, uint64_t count);

/* Observations held: the zero bucket's and every bucket's. */
uint64_t native_total(const struct native *);

#endif
