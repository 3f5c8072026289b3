/*
 * test_util.c: number formatting and parsing, table-driven, the nasty
 * cases first: NaN, infinities, -0, subnormals, the shortest exact float,
 * ties, overflow and underflow, exponents far out of range.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

TestSuite(util);

/* Bits, so that -0 differs from 0 and NaN equals itself. */
static int
same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

Test(util, fmt_double_table)
{
	static const struct {
		double	    v;
		const char *want;
	} t[] = {
		/* What Prometheus spells its own way. */
		{ NAN, "NaN" },
		{ -NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
		/* -0 is 0: a counter or gauge never shows a sign on zero. */
		{ -0.0, "0" },
		{ 0.0, "0" },
		/* Subnormals: as few digits as read back exactly. */
		{ 4.9406564584124654e-324, "5e-324" },
		{ -4.9406564584124654e-324, "-5e-324" },
		{ 1e-310, "1e-310" },
		{ 2.2250738585072009e-308, "2.225073858507201e-308" },
		/* The ends of the normal range. */
		{ DBL_MIN, "2.2250738585072014e-308" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ -DBL_MAX, "-1.7976931348623157e+308" },
		/* Shortest exact: 15, 16 and 17 digits. */
		{ 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 2.0 / 3, "0.6666666666666666" },
		{ 412.7 / 1000, "0.4127" },
		{ 123456789012345680.0, "1.2345678901234568e+17" },
		/* 16 digits, in %g's fixed form: exponent below precision. */
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e22, "1e+22" },
		{ 1e-7, "1e-07" },
		{ 5e-5, "5e-05" },
		/* Integers below 1e15 as integers, without exponent. */
		{ 999999999999999.0, "999999999999999" },
		{ -999999999999999.0, "-999999999999999" },
		{ 1e15, "1e+15" },
		{ 1, "1" },
		{ -1.5, "-1.5" },
		{ 1764020763.412, "1764020763.412" },
		{ 0.005, "0.005" },
		{ 2.5, "2.5" },
	};
	char   out[32];
	size_t i, n;
	double back;

	for (i = 0; i < NELEM(t); i++) {
		memset(out, 'x', sizeof(out));
		n = fmt_double(out, t[i].v);
		cr_expect_str_eq(out, t[i].want, "case %zu: %.17g", i, t[i].v);
		cr_expect_eq(n, strlen(out), "case %zu: length", i);
		/* Every finite output reads back to the same value. */
		if (isfinite(t[i].v)) {
			back = strtod(out, NULL);
			cr_expect(back == t[i].v,
			    "case %zu: %s reads back "
			    "as %.17g",
			    i, out, back);
		}
	}
}

/* A fixed sequence of 64-bit patterns (xorshift64*). */
static uint64_t
next_bits(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Significant digits of a %g output. */
static int
digits(const char *s)
{
	int n = 0, lead = 1;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s == '0' && lead)
			continue;
		lead = 0;
		n++;
	}
	return n;
}

/*
 * Any finite double, normal or not: the output reads back exactly, and
 * one digit fewer would not (integers below 1e15 aside, written whole).
 */
Test(util, fmt_double_shortest_exact)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL, bits;
	char	 out[32], fewer[48];
	double	 v;
	int	 i, nd;

	for (i = 0; i < 200000; i++) {
		bits = next_bits(&seed);
		/* A quarter of them subnormal. */
		if ((i & 3) == 0)
			bits &= 0x800fffffffffffffULL;
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		cr_assert_lt(fmt_double(out, v), 32);
		cr_assert(strtod(out, NULL) == v, "%.17g written %s", v, out);
		if (fabs(v) < 1e15 && v == (double)(long long)v)
			continue;
		nd = digits(out);
		if (nd <= 1)
			continue;
		snprintf(fewer, sizeof(fewer), "%.*e", nd - 2, v);
		cr_assert(strtod(fewer, NULL) != v,
		    "%.17g written %s, but %s reads back too", v, out, fewer);
	}
}

#define FAILS 99.0 /* in the tables: decimal_parse() returns -1 */

struct dcase {
	const char *s;
	int	    scale;
	double	    want;
};

static void
run_decimal(const struct dcase *t, size_t n)
{
	size_t i;
	double got;
	int    rc;

	for (i = 0; i < n; i++) {
		got = FAILS;
		rc = decimal_parse(t[i].s, strlen(t[i].s), t[i].scale, &got);
		if (t[i].want == FAILS) {
			cr_expect_eq(rc, -1, "\"%.40s\": parsed as %.17g",
			    t[i].s, got);
			continue;
		}
		cr_expect_eq(rc, 0, "\"%.40s\": refused", t[i].s);
		cr_expect(same_double(got, t[i].want),
		    "\"%.40s\" (scale %d): %.17g, expected %.17g", t[i].s,
		    t[i].scale, got, t[i].want);
	}
}

Test(util, decimal_parse_table)
{
	static const struct dcase t[] = {
		/* Overflow is refused, underflow goes to zero, signed. */
		{ "1e309", 0, FAILS },
		{ "-1e309", 0, FAILS },
		{ "1.7976931348623159e308", 0, FAILS },
		{ "1e99999999999999999999", 0, FAILS },
		{ "1.7976931348623158e308", 0, DBL_MAX },
		{ "1.7976931348623157e308", 0, DBL_MAX },
		{ "1e-400", 0, 0.0 },
		{ "-1e-400", 0, -0.0 },
		{ "1e-99999999999999999999", 0, 0.0 },
		{ "0e99999999999999999999", 0, 0.0 },
		{ "-0", 0, -0.0 },
		{ "0", 0, 0.0 },
		{ "0.000", 0, 0.0 },
		/* Subnormals and the tie below the smallest of them. */
		{ "4.9406564584124654e-324", 0, 4.9406564584124654e-324 },
		{ "2.4703282292062328e-324", 0, 4.9406564584124654e-324 },
		{ "2.4703282292062327e-324", 0, 0.0 },
		{ "2.2250738585072011e-308", 0, 2.2250738585072009e-308 },
		{ "2.2250738585072014e-308", 0, DBL_MIN },
		/* Ties to even past 2^53, and just above a tie. */
		{ "9007199254740993", 0, 9007199254740992.0 },
		{ "9007199254740995", 0, 9007199254740996.0 },
		{ "9007199254740993.0000000000000000000001", 0,
		    9007199254740994.0 },
		{ "123456789012345678901234567890", 0, 1.2345678901234568e+29 },
		/* The usual. */
		{ "0.1", 0, 0.1 },
		{ "00012", 0, 12 },
		{ "1.50", 0, 1.5 },
		{ "-2.5E+3", 0, -2500 },
		{ "1e308", 0, 1e308 },
		{ "1e22", 0, 1e22 },
		{ "1e23", 0, 1e23 },
		/* Scaled: milliseconds into seconds, and back. */
		{ "1500", 3, 1.5 },
		{ "412.7", 3, 0.4127 },
		{ "1764020763412", 3, 1764020763.412 },
		{ "1.5", -3, 1500 },
		{ "1e308", -1, FAILS },
		/* Not a number of the grammar. */
		{ "", 0, FAILS },
		{ "-", 0, FAILS },
		{ "--1", 0, FAILS },
		{ "+1", 0, FAILS },
		{ "1.", 0, FAILS },
		{ ".5", 0, FAILS },
		{ "1e", 0, FAILS },
		{ "1e+", 0, FAILS },
		{ "1e5.5", 0, FAILS },
		{ "1..2", 0, FAILS },
		{ "0x10", 0, FAILS },
		{ "1 ", 0, FAILS },
		{ " 1", 0, FAILS },
		{ "nan", 0, FAILS },
		{ "inf", 0, FAILS },
		{ "Infinity", 0, FAILS },
	};

	run_decimal(t, NELEM(t));
}

/*
 * Long digit strings: the exponent counts against the digits, however
 * many there are, and the result is still correctly rounded.
 */
Test(util, decimal_parse_long_digits)
{
	struct buf b;
	double	   v;
	size_t	   i;

	/* 0.(1,000,000 zeros)1e1000001 is 1: it fits in a line. */
	buf_init(&b);
	buf_puts(&b, "0.");
	for (i = 0; i < 1000000; i++)
		buf_putc(&b, '0');
	buf_puts(&b, "1e1000001");
	cr_assert_eq(decimal_parse(b.p, b.len, 0, &v), 0);
	cr_expect(v == 1, "%.17g", v);
	/* 1(400 zeros)e-400 is 1, and with one more digit still 1. */
	buf_reset(&b);
	buf_putc(&b, '1');
	for (i = 0; i < 400; i++)
		buf_putc(&b, '0');
	buf_puts(&b, "e-400");
	cr_assert_eq(decimal_parse(b.p, b.len, 0, &v), 0);
	cr_expect(v == 1, "%.17g", v);
	/* 2^53 + 1 followed by a thousand zeros, then a 1: above the tie. */
	buf_reset(&b);
	buf_puts(&b, "9007199254740993.");
	for (i = 0; i < 1000; i++)
		buf_putc(&b, '0');
	buf_putc(&b, '1');
	cr_assert_eq(decimal_parse(b.p, b.len, 0, &v), 0);
	cr_expect(v == 9007199254740994.0, "%.17g", v);
	buf_free(&b);
}

/* decimal_parse() agrees with strtod() on every output of fmt_double(). */
Test(util, decimal_parse_reads_fmt_double)
{
	uint64_t seed = 42, bits;
	char	 out[32];
	double	 v, got;
	int	 i;

	for (i = 0; i < 100000; i++) {
		bits = next_bits(&seed);
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		fmt_double(out, v);
		cr_assert_eq(decimal_parse(out, strlen(out), 0, &got), 0,
		    "%s refused", out);
		cr_assert(same_double(got, v) || (v == 0 && got == 0),
		    "%s read as %.17g", out, got);
	}
}

/* ---- whole files in, atomic files out ---- */

Test(util, read_file_kinds, .fini = tu_cleanup)
{
	const char *dir = tu_tmpdir("test_util");
	char	    path[256];
	struct buf  b;
	struct stat st;

	buf_init(&b);
	/* A file, appended to what b holds, its stat given. */
	tu_write_str(tu_path(path, sizeof(path), dir, "a"), "hello\n");
	buf_puts(&b, ">");
	cr_assert_eq(read_file(path, 0, READ_REGULAR, &b, &st), 0);
	cr_assert_str_eq(b.p, ">hello\n");
	cr_assert_eq(st.st_size, 6);
	/* Exactly at the limit, and one byte past it. */
	buf_reset(&b);
	cr_assert_eq(read_file(path, 6, 0, &b, NULL), 0);
	cr_assert_eq(b.len, 6);
	buf_reset(&b);
	errno = 0;
	cr_assert_eq(read_file(path, 5, 0, &b, NULL), -1);
	cr_assert_eq(errno, EFBIG);
	/* An empty file is an empty string. */
	buf_free(&b);
	tu_write(tu_path(path, sizeof(path), dir, "empty"), "", 0);
	cr_assert_eq(read_file(path, 0, READ_REGULAR, &b, NULL), 0);
	cr_assert_not_null(b.p);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.p, "");
	/* A directory and a device are refused with READ_REGULAR. */
	errno = 0;
	cr_assert_eq(read_file(dir, 0, READ_REGULAR, &b, NULL), -1);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(read_file("/dev/zero", 0, READ_REGULAR, &b, NULL), -1);
	cr_assert_eq(errno, EINVAL);
	/* Without it, a device is read; a missing file is ENOENT. */
	cr_assert_eq(read_file("/dev/null", 0, 0, &b, NULL), 0);
	errno = 0;
	cr_assert_eq(read_file(tu_path(path, sizeof(path), dir, "nope"), 0, 0,
			 &b, NULL),
	    -1);
	cr_assert_eq(errno, ENOENT);
	buf_free(&b);
}

/* Nothing but the file itself in dir. */
static void
assert_alone(const char *dir, const char *name)
{
	DIR	      *d;
	struct dirent *e;
	int	       n = 0;

	cr_assert_not_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		cr_assert(strcmp(e->d_name, name) == 0, "%s left in %s",
		    e->d_name, dir);
		n++;
	}
	closedir(d);
	cr_assert_eq(n, 1, "%s missing from %s", name, dir);
}

Test(util, atomic_files, .fini = tu_cleanup)
{
	const char   *dir = tu_tmpdir("test_util");
	char	      path[256];
	struct atomic a;
	struct buf    b;
	size_t	      i;

	tu_path(path, sizeof(path), dir, "out");
	buf_init(&b);
	/* Streamed, a megabyte and more, then in place whole. */
	cr_assert_eq(atomic_open(&a, path), 0);
	for (i = 0; i < 100000; i++)
		fprintf(a.fp, "line %zu\n", i);
	cr_assert_eq(access(path, F_OK), -1, "in place before its commit");
	cr_assert_eq(atomic_commit(&a), 0);
	assert_alone(dir, "out");
	cr_assert_eq(read_file(path, 0, 0, &b, NULL), 0);
	cr_assert_eq(b.len, 1088890);
	cr_assert_str_eq(b.p + b.len - 11, "line 99999\n");
	/* Abandoned: the old file stays as it was. */
	cr_assert_eq(atomic_open(&a, path), 0);
	fputs("half", a.fp);
	atomic_abort(&a);
	assert_alone(dir, "out");
	buf_reset(&b);
	cr_assert_eq(read_file(path, 0, 0, &b, NULL), 0);
	cr_assert_eq(b.len, 1088890);
	/* Replaced whole. */
	cr_assert_eq(write_atomic(path, "new\n", 4), 0);
	buf_reset(&b);
	cr_assert_eq(read_file(path, 0, 0, &b, NULL), 0);
	cr_assert_str_eq(b.p, "new\n");
	assert_alone(dir, "out");
	/* Where it cannot be made, nothing is left. */
	errno = 0;
	cr_assert_eq(atomic_open(&a,
			 tu_path(path, sizeof(path), dir, "no/such/dir")),
	    -1);
	cr_assert_eq(errno, ENOENT);
	assert_alone(dir, "out");
	buf_free(&b);
}
