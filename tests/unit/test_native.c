/*
 * test_native.c: the buckets of native histograms: the schema of a
 * factor, keys and bounds at schema boundaries, the zero bucket,
 * negative observations, infinities and the widening of the schema.
 * Expected values are worked out by hand in the comments.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "native.h"

TestSuite(native);

Test(native, schema_of_a_factor)
{
	static const struct {
		double f;
		int    schema;
	} cases[] = {
		/* 2^(2^-3) = 1.0905 <= 1.1 < 2^(2^-2) = 1.1892 */
		{ 1.1, 3 },
		{ 1.2, 2 },
		{ 1.5, 1 },
		{ 2, 0 },
		{ 3.9, 0 },
		{ 4, -1 },
		{ 65536, -4 },
		{ 1e300, -4 },
		/* below 2^(2^-8) = 1.0027: the finest there is */
		{ 1.0001, 8 },
		{ 1.003, 8 },
		{ 1.006, 7 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(native_schema(cases[i].f), cases[i].schema,
		    "factor %g: schema %d, expected %d", cases[i].f,
		    native_schema(cases[i].f), cases[i].schema);
}

Test(native, keys_by_hand)
{
	static const struct {
		double	v;
		int	schema;
		int32_t key;
	} cases[] = {
		/* schema 0, base 2: key k holds (2^(k-1), 2^k] */
		{ 1, 0, 0 },
		{ 0.75, 0, 0 },
		{ 0.5, 0, -1 },
		{ 1.5, 0, 1 },
		{ 2, 0, 1 },
		{ 3, 0, 2 },
		{ 4, 0, 2 },
		{ 4.0000001, 0, 3 },
		{ -3, 0, 2 },
		/* schema -1, base 4: (4^(k-1), 4^k] */
		{ 1, -1, 0 },
		{ 2, -1, 1 },
		{ 4, -1, 1 },
		{ 4.5, -1, 2 },
		{ 16, -1, 2 },
		{ 0.3, -1, 0 },
		{ 0.25, -1, -1 },
		/* schema -4, base 65536 */
		{ 65536, -4, 1 },
		{ 65537, -4, 2 },
		{ 1.0 / 65536, -4, -1 },
		/* schema 3, base 2^(1/8) = 1.0905077326652577 */
		{ 1, 3, 0 },
		{ 1.09, 3, 1 },
		{ 1.0905077326652577, 3, 1 },
		{ 1.0905077326652580, 3, 2 },
		{ 2, 3, 8 },
		{ 0.5, 3, -8 },
		/* 2^(7/8) = 1.8340080864093424 ends key 7 */
		{ 1.8340080864093424, 3, 7 },
		{ 1.8340080864093426, 3, 8 },
		/* 100 = 2^6.6439: 8 * 6.6439 = 53.15, so key 54 */
		{ 100, 3, 54 },
		{ 0.001, 3, -79 }, /* 8 * log2(0.001) = -79.7 */
		/* the largest double, then the infinities one past it */
		{ DBL_MAX, 0, 1024 },
		{ INFINITY, 0, 1025 },
		{ -INFINITY, 0, 1025 },
		{ DBL_MAX, 3, 8192 },
		{ INFINITY, 3, 8193 },
		{ DBL_MAX, -4, 64 },
		{ INFINITY, -4, 65 },
		/* the smallest subnormal, 2^-1074 */
		{ 0x1p-1074, 0, -1074 },
		{ 0x1p-1074, 8, -1074 * 256 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(native_key(cases[i].v, cases[i].schema),
		    cases[i].key, "%.17g at schema %d: key %d, expected %d",
		    cases[i].v, cases[i].schema,
		    native_key(cases[i].v, cases[i].schema), cases[i].key);
}

Test(native, bounds_by_hand)
{
	cr_expect_eq(native_bound(0, 0), 1);
	cr_expect_eq(native_bound(-1, 0), 0.5);
	cr_expect_eq(native_bound(3, 0), 8);
	cr_expect_eq(native_bound(1, -1), 4);
	cr_expect_eq(native_bound(1, -4), 65536);
	cr_expect_eq(native_bound(1, 2), 1.189207115002721);  /* 2^(1/4) */
	cr_expect_eq(native_bound(2, 2), 1.4142135623730951); /* 2^(1/2) */
	cr_expect_eq(native_bound(3, 2), 1.681792830507429);  /* 2^(3/4) */
	cr_expect_eq(native_bound(1, 3), 1.0905077326652577);
	cr_expect_eq(native_bound(-7, 3), 0.5452538663326288);
	cr_expect_eq(native_bound(8, 3), 2);
	cr_expect_eq(native_bound(1024, 0), DBL_MAX);
	cr_expect(isinf(native_bound(1025, 0)));
	cr_expect_eq(native_bound(8192, 3), DBL_MAX);
	cr_expect(isinf(native_bound(8193, 3)));
	cr_expect_eq(native_bound(-1074, 0), 0x1p-1074);
}

/*
 * For every schema, each bound lands in its own bucket and the next
 * double in the next one: keys and bounds agree on every edge.
 */
Test(native, every_bound_is_its_bucket_s_top)
{
	int	s;
	int32_t k;
	double	b;

	for (s = NATIVE_SCHEMA_MIN; s <= NATIVE_SCHEMA_MAX; s++)
		for (k = -600; k <= 600; k++) {
			b = native_bound(k, s);
			if (b == 0 || isinf(b))
				continue;
			cr_assert_eq(native_key(b, s), k,
			    "schema %d key %d: bound %.17g has key %d", s, k, b,
			    native_key(b, s));
			cr_assert_eq(native_key(nextafter(b, INFINITY), s),
			    k + 1, "schema %d key %d: above the bound", s, k);
			cr_assert_eq(native_key(-b, s), k);
		}
}

Test(native, zero_bucket_and_signs)
{
	struct native h;

	native_init(&h, 0);
	native_observe(&h, 0, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, 1e-40, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, -1e-40, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, NATIVE_ZERO_DEFAULT, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, 1e-30, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, -3, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, -4, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, -1, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, 1, NATIVE_ZERO_DEFAULT, 160);
	native_observe(&h, -INFINITY, NATIVE_ZERO_DEFAULT, 160);
	cr_expect_eq(h.zero, 4);
	/* 1e-30 = 2^-99.66: key -99; 1: key 0 */
	cr_assert_eq(h.pos.n, 2);
	cr_expect_eq(h.pos.key[0], -99);
	cr_expect_eq(h.pos.key[1], 0);
	cr_expect_eq(h.pos.count[0], 1);
	cr_expect_eq(h.pos.count[1], 1);
	/* -1: 0; -3 and -4: 2; -Inf: 1025 */
	cr_assert_eq(h.neg.n, 3);
	cr_expect_eq(h.neg.key[0], 0);
	cr_expect_eq(h.neg.key[1], 2);
	cr_expect_eq(h.neg.count[1], 2);
	cr_expect_eq(h.neg.key[2], 1025);
	cr_expect_eq(native_total(&h), 10);
	native_free(&h);

	/* A threshold of 0: only 0 itself is in the zero bucket. */
	native_init(&h, 0);
	native_observe(&h, 0, 0, 160);
	native_observe(&h, -0.0, 0, 160);
	native_observe(&h, 0x1p-1074, 0, 160);
	cr_expect_eq(h.zero, 2);
	cr_assert_eq(h.pos.n, 1);
	cr_expect_eq(h.pos.key[0], -1074);
	native_free(&h);
}

Test(native, buckets_stay_sorted)
{
	struct native	    h;
	static const double v[] = { 100, 1, 1000, 10, 0.1, 10, 100, 0.01 };
	size_t		    i;

	native_init(&h, 3);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		native_observe(&h, v[i], NATIVE_ZERO_DEFAULT, 160);
	cr_assert_eq(h.pos.n, 6);
	for (i = 1; i < h.pos.n; i++)
		cr_expect_lt(h.pos.key[i - 1], h.pos.key[i]);
	/* 10 = 2^3.32: key ceil(26.6) = 27, twice */
	cr_expect_eq(h.pos.key[3], 27);
	cr_expect_eq(h.pos.count[3], 2);
	cr_expect_eq(native_total(&h), 8);
	native_free(&h);
}

/*
 * 1, 2, 4, 8, 16 at schema 3 are keys 0, 8, 16, 24, 32: five buckets
 * over a limit of four. Halving the keys (ceil(k/2)) gives five at
 * schemas 2, 1 and 0, then at -1 (base 4): 1 in (1/4, 1], 2 and 4 in
 * (1, 4], 8 and 16 in (4, 16]: three.
 */
Test(native, widening_as_client_libraries_do)
{
	struct native	    h;
	static const double v[] = { 1, 2, 4, 8, 16 };
	size_t		    i;

	native_init(&h, 3);
	for (i = 0; i < 4; i++)
		native_observe(&h, v[i], NATIVE_ZERO_DEFAULT, 4);
	cr_expect_eq(h.schema, 3);
	native_observe(&h, v[4], NATIVE_ZERO_DEFAULT, 4);
	cr_expect_eq(h.schema, -1);
	cr_assert_eq(h.pos.n, 3);
	cr_expect_eq(h.pos.key[0], 0);
	cr_expect_eq(h.pos.key[1], 1);
	cr_expect_eq(h.pos.key[2], 2);
	cr_expect_eq(h.pos.count[0], 1);
	cr_expect_eq(h.pos.count[1], 2);
	cr_expect_eq(h.pos.count[2], 2);
	/* Each observation still lands where the new schema puts it. */
	for (i = 0; i < 5; i++)
		cr_expect_leq(v[i], native_bound(native_key(v[i], -1), -1));
	native_free(&h);

	/* Negative keys merge upwards: -3 and -2 into -1, -1 into 0. */
	native_init(&h, 0);
	native_observe(&h, 0.125, 0, 0);  /* key -3 */
	native_observe(&h, 0.25, 0, 0);	  /* key -2 */
	native_observe(&h, 0.5, 0, 0);	  /* key -1 */
	native_observe(&h, -0.125, 0, 0); /* key -3, negative */
	cr_assert_eq(native_widen(&h), 0);
	cr_expect_eq(h.schema, -1);
	cr_assert_eq(h.pos.n, 2);
	cr_expect_eq(h.pos.key[0], -1);
	cr_expect_eq(h.pos.count[0], 2);
	cr_expect_eq(h.pos.key[1], 0);
	cr_assert_eq(h.neg.n, 1);
	cr_expect_eq(h.neg.key[0], -1);
	native_free(&h);

	/* At -4 there is no wider schema: the limit gives way. */
	native_init(&h, 0);
	native_observe(&h, 1, 0, 1);
	native_observe(&h, 0x1p100, 0, 1);
	cr_expect_eq(h.schema, -4);
	cr_expect_eq(h.pos.n, 2);
	cr_expect_eq(native_widen(&h), -1);
	native_free(&h);
}

Test(native, append_in_order_only)
{
	struct native h;

	native_init(&h, 2);
	cr_expect_eq(native_append(&h, 1, -5, 3), 0);
	cr_expect_eq(native_append(&h, 1, 7, 1), 0);
	cr_expect_eq(native_append(&h, 1, 7, 1), -1);
	cr_expect_eq(native_append(&h, 1, 2, 1), -1);
	cr_expect_eq(native_append(&h, 1, 9, 0), -1);
	cr_expect_eq(native_append(&h, -1, -5, 2), 0);
	cr_expect_eq(native_nbuckets(&h), 3);
	cr_expect_eq(native_total(&h), 6);
	native_observe(&h, 1, 0, 0); /* key 0, between -5 and 7 */
	cr_assert_eq(h.pos.n, 3);
	cr_expect_eq(h.pos.key[1], 0);
	native_free(&h);
}
