/*
 * test_ts.c: timestamp parsing, bad inputs first, then exact values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ts.h"
#include "util.h"

/*
 * Parses a heap copy of exactly strlen(s) bytes, so that the address
 * sanitizer catches any read past the end.
 */
static int
parse_copy(enum ts_format fmt, const char *s, double *out)
{
	size_t n = strlen(s);
	char  *p = xmalloc(n ? n : 1);
	int    rc;

	if (n > 0)
		memcpy(p, s, n);
	rc = ts_parse(fmt, p, n, out);
	free(p);
	return rc;
}

TestSuite(ts_bad);

Test(ts_bad, rfc3339)
{
	static const char *bad[] = {
		"",
		"Z",
		"2025-11-24",
		"2025-11-24T21:46:03",
		"2025-11-24T21:46:03.412",
		"2025-11-24T21:46",
		"2025-11-24T21:46Z",
		/* Days that do not exist. */
		"2025-02-30T00:00:00Z",
		"2025-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"2025-04-31T00:00:00Z",
		"2025-06-31T00:00:00Z",
		"2025-09-31T00:00:00Z",
		"2025-11-31T00:00:00Z",
		"2025-01-32T00:00:00Z",
		"2025-01-00T00:00:00Z",
		"2025-13-01T00:00:00Z",
		"2025-00-01T00:00:00Z",
		"2025-99-01T00:00:00Z",
		/* Times and offsets out of range. */
		"2025-11-24T24:00:00Z",
		"2025-11-24T23:60:00Z",
		"2025-11-24T23:59:61Z",
		"2025-11-24T23:59:99Z",
		"2025-11-24T21:46:03+24:00",
		"2025-11-24T21:46:03+23:60",
		"2025-11-24T21:46:03-99:00",
		/* Shapes that are not RFC 3339. */
		"2025-11-24T21:46:03.Z",
		"2025-11-24T21:46:03,412Z",
		"2025-11-24T21:46:03.412 Z",
		"2025-11-24T21:46:03 Z",
		"2025-11-24X21:46:03Z",
		"2025-11-24_21:46:03Z",
		"2025-11-24T21:46:3Z",
		"2025-11-24T21:4:03Z",
		"2025-11-4T21:46:03Z",
		"2025-1-24T21:46:03Z",
		"25-11-24T21:46:03Z",
		"+2025-11-24T21:46:03Z",
		"-2025-11-24T21:46:03Z",
		"20251124T214603Z",
		"2025/11/24T21:46:03Z",
		"2025-11-24T21-46-03Z",
		"2025-11-24T21:46:03+0100",
		"2025-11-24T21:46:03+01",
		"2025-11-24T21:46:03+01:0",
		"2025-11-24T21:46:03+1:00",
		"2025-11-24T21:46:03UTC",
		"2025-11-24T21:46:03GMT",
		"2025-11-24T21:46:03.412ZZ",
		"2025-11-24T21:46:03.412Z ",
		" 2025-11-24T21:46:03.412Z",
		"2025-11-24T21:46:03.412Z\n",
		"2025-11-24T21:46:03.412+01:00x",
		"2025-11-24T21:46:03.4a2Z",
		"2025-11-24T21:46:03.-1Z",
		"2O25-11-24T21:46:03Z",
		"2025-1a-24T21:46:03Z",
		"2025-11-24T2 :46:03Z",
		"1764020763412",
		"1764020763.412",
	};
	size_t i;
	double v;

	for (i = 0; i < NELEM(bad); i++)
		cr_expect_eq(parse_copy(TS_RFC3339, bad[i], &v), -1,
		    "accepted \"%s\"", bad[i]);
}

Test(ts_bad, epoch)
{
	static const char *bad[] = {
		"",
		"-",
		"+1",
		".5",
		"-.5",
		"5.",
		"1e",
		"1e+",
		"1e-",
		"e5",
		"1.2.3",
		"1e5e5",
		"1e5.0",
		"--1",
		"- 1",
		"0x10",
		"1_000",
		"1,5",
		"12a",
		"1 ",
		" 1",
		"1\n",
		"nan",
		"NaN",
		"inf",
		"-Infinity",
		"1e400",
		"-1e400",
		"1e99999999999999999999",
		"\"1764020763412\"",
		"2025-11-24T21:46:03.412Z",
	};
	static const enum ts_format fmts[] = {
		TS_EPOCH_S,
		TS_EPOCH_MS,
		TS_EPOCH_US,
		TS_EPOCH_NS,
	};
	size_t i, k;
	double v;

	for (k = 0; k < NELEM(fmts); k++)
		for (i = 0; i < NELEM(bad); i++)
			cr_expect_eq(parse_copy(fmts[k], bad[i], &v), -1,
			    "%s accepted \"%s\"", ts_format_name(fmts[k]),
			    bad[i]);
}

Test(ts_bad, unknown_format)
{
	double v;

	cr_expect_eq(ts_parse((enum ts_format)0, "1", 1, &v), -1);
	cr_expect_eq(ts_parse((enum ts_format)99, "1", 1, &v), -1);
}

TestSuite(ts_good);

/* Exact doubles: each must equal the correctly rounded literal. */
Test(ts_good, table)
{
	static const char longfrac[] =
	    "2025-11-24T21:46:03.412"
	    "000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000000000000000000000000000000Z";
	static const char longms[] =
	    "1764020763412."
	    "000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000000000000000000000000000001";
	static const struct {
		enum ts_format fmt;
		const char    *s;
		double	       want;
	} t[] = {
		{ TS_RFC3339, "2025-11-24T21:46:03.412Z", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24t21:46:03.412z", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24 21:46:03.412Z", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24T22:46:03.412+01:00", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24T16:16:03.412-05:30", 1764020763.412 },
		{ TS_RFC3339, "2025-11-25T05:46:03.412+08:00", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24T21:46:03.412+00:00", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24T21:46:03.412-00:00", 1764020763.412 },
		{ TS_RFC3339, "2025-11-24T21:46:03.412000000Z",
		    1764020763.412 },
		{ TS_RFC3339, longfrac, 1764020763.412 },
		{ TS_RFC3339, "2025-11-24T21:46:03.412123456Z",
		    1764020763.412123456 },
		{ TS_RFC3339, "2025-11-24T21:46:03.4123456789012345678Z",
		    1764020763.4123456789012345678 },
		{ TS_RFC3339, "2025-11-24T21:46:03Z", 1764020763.0 },
		{ TS_RFC3339, "2025-11-24T21:46:03.5Z", 1764020763.5 },
		{ TS_RFC3339, "1970-01-01T00:00:00Z", 0.0 },
		{ TS_RFC3339, "1970-01-01T00:00:00.000001Z", 1e-6 },
		{ TS_RFC3339, "1970-01-01T01:00:00+01:00", 0.0 },
		{ TS_RFC3339, "1969-12-31T23:59:59Z", -1.0 },
		{ TS_RFC3339, "1969-12-31T23:59:59.5Z", -0.5 },
		{ TS_RFC3339, "1900-03-01T00:00:00Z", -2203891200.0 },
		{ TS_RFC3339, "0000-01-01T00:00:00Z", -62167219200.0 },
		{ TS_RFC3339, "9999-12-31T23:59:59Z", 253402300799.0 },
		/* Leap days, and the century rules. */
		{ TS_RFC3339, "2024-02-29T00:00:00Z", 1709164800.0 },
		{ TS_RFC3339, "2000-02-29T12:00:00Z", 951825600.0 },
		{ TS_RFC3339, "2024-03-01T00:00:00Z", 1709251200.0 },
		{ TS_RFC3339, "2024-12-31T00:00:00Z", 1735603200.0 },
		/* A leap second is :59 plus one second. */
		{ TS_RFC3339, "2016-12-31T23:59:60Z", 1483228800.0 },
		{ TS_RFC3339, "2016-12-31T23:59:60.5Z", 1483228800.5 },
		/* The widest offsets. */
		{ TS_RFC3339, "2025-01-01T00:00:00+23:59", 1735603260.0 },
		{ TS_RFC3339, "2024-12-31T00:01:00-23:59", 1735689600.0 },

		{ TS_EPOCH_MS, "1764020763412", 1764020763.412 },
		{ TS_EPOCH_S, "1764020763.412", 1764020763.412 },
		{ TS_EPOCH_US, "1764020763412000", 1764020763.412 },
		{ TS_EPOCH_NS, "1764020763412000000", 1764020763.412 },
		{ TS_EPOCH_S, "1764020763", 1764020763.0 },
		{ TS_EPOCH_MS, "1764020763412.5", 1764020763.4125 },
		{ TS_EPOCH_MS, "1.764020763412e12", 1764020763.412 },
		{ TS_EPOCH_MS, "1.764020763412E+12", 1764020763.412 },
		{ TS_EPOCH_MS, "17640207634120e-1", 1764020763.412 },
		{ TS_EPOCH_MS, "0001764020763412", 1764020763.412 },
		{ TS_EPOCH_MS, longms, 1764020763.412 },
		{ TS_EPOCH_NS, "1764020763412345678", 1764020763.412345678 },
		/* Two roundings (to double, then scaled) would miss these. */
		{ TS_EPOCH_NS, "1764683915271066246", 1764683915.271066246 },
		{ TS_EPOCH_NS, "1764863742672030085", 1764863742.672030085 },
		{ TS_EPOCH_S, "731321370648250e-25", 731321370648250e-25 },
		{ TS_EPOCH_US, "1764062967141883.3", 1764062967.1418833 },
		{ TS_EPOCH_US, "1764020763412345.678", 1764020763.412345678 },
		{ TS_EPOCH_S, "0", 0.0 },
		{ TS_EPOCH_S, "-0", 0.0 },
		{ TS_EPOCH_S, "-1.5", -1.5 },
		{ TS_EPOCH_MS, "-1500", -1.5 },
		{ TS_EPOCH_S, "1e3", 1000.0 },
		{ TS_EPOCH_S, "1000e-3", 1.0 },
		{ TS_EPOCH_S, "0.1", 0.1 },
		{ TS_EPOCH_MS, "100", 0.1 },
		{ TS_EPOCH_NS, "1", 1e-9 },
		{ TS_EPOCH_S, "1e-400", 0.0 },
		{ TS_EPOCH_S, "123456789012345678901234567890",
		    123456789012345678901234567890.0 },
	};
	size_t i;
	double v;

	for (i = 0; i < NELEM(t); i++) {
		v = -12345.0;
		cr_expect_eq(parse_copy(t[i].fmt, t[i].s, &v), 0,
		    "%s rejected \"%s\"", ts_format_name(t[i].fmt), t[i].s);
		cr_expect(v == t[i].want, "%s \"%s\": got %.17g, want %.17g",
		    ts_format_name(t[i].fmt), t[i].s, v, t[i].want);
	}
}

/*
 * Every day from 1960 to 2100 against a count kept day by day, and the
 * same date written with every offset a quarter hour apart.
 */
Test(ts_good, every_day_and_offset)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	char		 s[64];
	double		 v, want;
	long		 day = -3653; /* 1960-01-01 */
	int		 y, m, d, n, off;

	for (y = 1960; y <= 2100; y++) {
		for (m = 1; m <= 12; m++) {
			n = mdays[m - 1] +
			    (m == 2 && y % 4 == 0 &&
				(y % 100 != 0 || y % 400 == 0));
			for (d = 1; d <= n; d++, day++) {
				snprintf(s, sizeof(s),
				    "%04d-%02d-%02dT12:34:56Z", y, m, d);
				cr_assert_eq(parse_copy(TS_RFC3339, s, &v), 0,
				    "rejected %s", s);
				want = (double)day * 86400 + 45296;
				cr_assert(v == want,
				    "%s: got %.17g, want "
				    "%.17g",
				    s, v, want);
			}
			snprintf(s, sizeof(s), "%04d-%02d-%02dT00:00:00Z", y, m,
			    n + 1);
			cr_assert_eq(parse_copy(TS_RFC3339, s, &v), -1,
			    "accepted %s", s);
		}
	}
	cr_assert_eq(day, 47847); /* 2101-01-01 */

	for (off = -(23 * 60 + 45); off <= 23 * 60 + 45; off += 15) {
		int    a = off < 0 ? -off : off;
		double base = 1764020763.0;
		long   local = 1764020763 + off * 60;
		long   ld = local / 86400, ls = local % 86400;

		/* Days since 1970 back to a civil date, the slow way. */
		for (y = 1970;
		     ld >= 365 + (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
		     y++)
			ld -= 365 +
			    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
		for (m = 1;; m++) {
			n = mdays[m - 1] +
			    (m == 2 && y % 4 == 0 &&
				(y % 100 != 0 || y % 400 == 0));
			if (ld < n)
				break;
			ld -= n;
		}
		snprintf(s, sizeof(s),
		    "%04d-%02d-%02dT%02ld:%02ld:%02ld%c"
		    "%02d:%02d",
		    y, m, (int)ld + 1, ls / 3600, ls / 60 % 60, ls % 60,
		    off < 0 ? '-' : '+', a / 60, a % 60);
		cr_assert_eq(parse_copy(TS_RFC3339, s, &v), 0, "rejected %s",
		    s);
		cr_assert(v == base, "%s: got %.17g", s, v);
	}
}

TestSuite(ts_names);

Test(ts_names, round_trip)
{
	static const struct {
		const char    *name;
		enum ts_format fmt;
	} t[] = {
		{ "epoch_s", TS_EPOCH_S },
		{ "epoch_ms", TS_EPOCH_MS },
		{ "epoch_us", TS_EPOCH_US },
		{ "epoch_ns", TS_EPOCH_NS },
		{ "rfc3339", TS_RFC3339 },
	};
	static const char *unknown[] = {
		"",
		"epoch",
		"epoch_",
		"epoch_S",
		"EPOCH_MS",
		"epoch_ms ",
		" rfc3339",
		"rfc3339x",
		"rfc",
		"iso8601",
		"epoch_sec",
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		cr_expect_eq(ts_format_byname(t[i].name), t[i].fmt, "%s",
		    t[i].name);
		cr_expect_str_eq(ts_format_name(t[i].fmt), t[i].name);
	}
	for (i = 0; i < NELEM(unknown); i++)
		cr_expect_eq(ts_format_byname(unknown[i]), 0, "\"%s\"",
		    unknown[i]);
	cr_expect_eq(ts_format_byname(NULL), 0);
	cr_expect_null(ts_format_name((enum ts_format)0));
	cr_expect_null(ts_format_name((enum ts_format)6));
}

/* Times as a person writes them, for --now and test files. */
Test(ts, person_times)
{
	static const struct {
		const char *s;
		int	    rc;
		double	    want;
	} c[] = {
		{ "1764020763", 0, 1764020763 },
		{ "1764020763.5", 0, 1764020763.5 },
		{ "0", 0, 0 },
		{ "1e3", 0, 1000 },
		{ "2025-11-24T21:46:03Z", 0, 1764020763 },
		{ "2025-11-24T21:46:03.412+01:00", 0, 1764017163.412 },
		{ "-1", -1, 0 },
		{ "", -1, 0 },
		{ "12x", -1, 0 },
		{ "inf", -1, 0 },
		{ "nan", -1, 0 },
		{ "yesterday", -1, 0 },
		{ " 12", 0, 12 },
	};
	double v;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = -7;
		cr_expect_eq(ts_parse_time(c[i].s, strlen(c[i].s), &v), c[i].rc,
		    "%s", c[i].s);
		if (c[i].rc == 0)
			cr_expect_eq(v, c[i].want, "%s: %.17g", c[i].s, v);
	}
}
