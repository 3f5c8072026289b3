/*
 * fuzz_ts.c: ts_parse() in every format against references written here.
 * Epoch values must be accepted exactly when they match
 * -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)? and give the correctly rounded
 * double of the decimal scaled to seconds (the one strtod() gives);
 * RFC 3339 stamps must be accepted exactly when every field is in range,
 * and give their seconds by a day count from year 0 (not the era
 * arithmetic of ts.c), the fraction correctly rounded from 1970 on.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ts.h"
#include "util.h"

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int
ref_epoch(const char *s, size_t n, int scale, double *out)
{
	struct buf b;
	size_t	   i = 0, is, ie, fs = 0, fe = 0;
	long	   e = 0;
	int	   neg = 0, eneg = 0;
	double	   v;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (is = i; i < n && isdig(s[i]); i++)
		;
	if ((ie = i) == is)
		return -1;
	if (i < n && s[i] == '.') {
		for (fs = ++i; i < n && isdig(s[i]); i++)
			;
		if ((fe = i) == fs)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t es;

		if (++i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (es = i; i < n && isdig(s[i]); i++)
			if (e < 100000000)
				e = e * 10 + (s[i] - '0');
		if (i == es)
			return -1;
	}
	if (i != n)
		return -1;
	buf_init(&b);
	buf_append(&b, s + is, ie - is);
	buf_append(&b, s + fs, fe - fs);
	buf_printf(&b, "e%ld", (eneg ? -e : e) - (long)(fe - fs) - scale);
	v = strtod(b.p, NULL);
	buf_free(&b);
	if (!isfinite(v))
		return -1;
	*out = neg ? -v : v;
	return 0;
}

static int
num2(const char *s)
{
	return isdig(s[0]) && isdig(s[1]) ? (s[0] - '0') * 10 + s[1] - '0' : -1;
}

static int
leap(long y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days from 0000-01-01 to the first of January of year y (y >= 0). */
static long
days_to_year(long y)
{
	if (y == 0)
		return 0;
	return 365 * y + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 + 1;
}

static int
ref_rfc3339(const char *s, size_t n, double *out, int *exact)
{
	static const int cum[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
		273, 304, 334 };
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	struct buf	 b;
	size_t		 i, fs = 0, fe = 0;
	long		 y, mo, d, h, mi, sec, off = 0, days;
	long long	 secs;
	double		 frac;

	if (n < 20)
		return -1;
	for (i = 0; i < 4; i++)
		if (!isdig(s[i]))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	mo = num2(s + 5);
	d = num2(s + 8);
	h = num2(s + 11);
	mi = num2(s + 14);
	sec = num2(s + 17);
	if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (fs = ++i; i < n && isdig(s[i]); i++)
			;
		if ((fe = i) == fs)
			return -1;
	}
	if (i == n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z')
		i++;
	else if (s[i] == '+' || s[i] == '-') {
		long oh, om;

		if (n - i != 6 || s[i + 3] != ':' ||
		    (oh = num2(s + i + 1)) < 0 || oh > 23 ||
		    (om = num2(s + i + 4)) < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else
		return -1;
	if (i != n)
		return -1;
	days = days_to_year(y) - days_to_year(1970) + cum[mo - 1] +
	    (mo > 2 && leap(y)) + d - 1;
	secs = (long long)days * 86400 + h * 3600 + mi * 60 + sec - off;
	*exact = secs >= 0 || fe == fs;
	buf_init(&b);
	if (secs >= 0) {
		buf_printf(&b, "%lld.", secs);
		buf_append(&b, s + fs, fe - fs);
		*out = strtod(b.p, NULL);
	} else {
		buf_puts(&b, "0.");
		buf_append(&b, s + fs, fe - fs);
		frac = strtod(b.p, NULL);
		*out = (double)secs + frac;
	}
	buf_free(&b);
	return 0;
}

static void
check_epoch(const char *s, size_t n, enum ts_format fmt, int scale)
{
	double got = 0, want = 0;
	int    rc, wrc;

	rc = ts_parse(fmt, s, n, &got);
	wrc = ref_epoch(s, n, scale, &want);
	if (rc != wrc)
		fuzz_fail("%s: ts_parse says %d, the reference %d",
		    ts_format_name(fmt), rc, wrc);
	if (rc == 0 && memcmp(&got, &want, sizeof(got)) != 0)
		fuzz_fail("%s: %.17g, want %.17g", ts_format_name(fmt), got,
		    want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	double	    got = 0, want = 0;
	int	    rc, wrc, exact = 0;

	check_epoch(s, size, TS_EPOCH_S, 0);
	check_epoch(s, size, TS_EPOCH_MS, 3);
	check_epoch(s, size, TS_EPOCH_US, 6);
	check_epoch(s, size, TS_EPOCH_NS, 9);

	rc = ts_parse(TS_RFC3339, s, size, &got);
	wrc = ref_rfc3339(s, size, &want, &exact);
	if (rc != wrc)
		fuzz_fail("rfc3339: ts_parse says %d, the reference %d", rc,
		    wrc);
	if (rc == 0) {
		if (exact && memcmp(&got, &want, sizeof(got)) != 0)
			fuzz_fail("rfc3339: %.17g, want %.17g", got, want);
		if (!exact &&
		    fabs(got - want) > 4 * DBL_EPSILON * (fabs(want) + 1))
			fuzz_fail("rfc3339: %.17g, want about %.17g", got,
			    want);
	}
	if (ts_parse((enum ts_format)0, s, size, &got) != -1)
		fuzz_fail("format 0 accepted");
	return 0;
}
