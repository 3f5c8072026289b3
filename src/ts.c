/*
 * ts.c: log timestamps (epoch numbers, RFC 3339) to Unix seconds, with
 * calendar arithmetic of our own so that no time zone setting matters.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"
#include "util.h"

#define ISDIGIT(c) ((unsigned char)((c) - '0') < 10)

static const struct {
	enum ts_format fmt;
	const char    *name;
} formats[] = {
	{ TS_EPOCH_MS, "epoch_ms" },
	{ TS_EPOCH_NS, "epoch_ns" },
	{ TS_EPOCH_S, "epoch_s" },
	{ TS_EPOCH_US, "epoch_us" },
	{ TS_RFC3339, "rfc3339" },
};

enum ts_format
ts_format_byname(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < NELEM(formats); i++)
		if (strcmp(formats[i].name, name) == 0)
			return formats[i].fmt;
	return 0;
}

/* The name of a format, or NULL for a value that is none. */
const char *
ts_format_name(enum ts_format fmt)
{
	size_t i;

	for (i = 0; i < NELEM(formats); i++)
		if (formats[i].fmt == fmt)
			return formats[i].name;
	return NULL;
}

/* Exactly n digits at s as a number, or -1. */
static int
num(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!ISDIGIT(*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
 * Years are counted from March, so that the leap day ends a year, in
 * eras of 400 years (146097 days).
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				       /* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	       /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/*
 * YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|+HH:MM|-HH:MM), every field in
 * range. Second 60 (a leap second) counts as :59 plus one second.
 */
static int
parse_rfc3339(const char *s, size_t n, double *out)
{
	const char *p, *end = s + n, *fp = NULL;
	char	    ibuf[24];
	size_t	    nf = 0;
	int64_t	    secs;
	int	    y, mo, d, h, mi, sec, oh, om, off;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	if ((y = num(s, 4)) < 0 || (mo = num(s + 5, 2)) < 1 || mo > 12 ||
	    (d = num(s + 8, 2)) < 1 || d > days_in_month(y, mo) ||
	    (h = num(s + 11, 2)) < 0 || h > 23 || (mi = num(s + 14, 2)) < 0 ||
	    mi > 59 || (sec = num(s + 17, 2)) < 0 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		fp = ++p;
		while (p < end && ISDIGIT(*p))
			p++;
		if ((nf = (size_t)(p - fp)) == 0)
			return -1;
	}
	if (p == end)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		off = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		if (end - p < 6 || p[3] != ':' || (oh = num(p + 1, 2)) < 0 ||
		    oh > 23 || (om = num(p + 4, 2)) < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else
		return -1;
	if (p != end)
		return -1;

	secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    off;
	if (secs >= 0) {
		/* The whole seconds and the fraction as one decimal. */
		snprintf(ibuf, sizeof(ibuf), "%lld", (long long)secs);
		return decimal_value(0, ibuf, strlen(ibuf), fp, nf, 0, out);
	}
	/* Before 1970: the fraction counts up from the negative second. */
	if (decimal_value(0, "", 0, fp, nf, 0, out) == -1)
		return -1;
	*out += (double)secs;
	return 0;
}

int
ts_parse(enum ts_format fmt, const char *s, size_t n, double *out)
{
	switch (fmt) {
	case TS_EPOCH_S:
		return decimal_parse(s, n, 0, out);
	case TS_EPOCH_MS:
		return decimal_parse(s, n, 3, out);
	case TS_EPOCH_US:
		return decimal_parse(s, n, 6, out);
	case TS_EPOCH_NS:
		return decimal_parse(s, n, 9, out);
	case TS_RFC3339:
		return parse_rfc3339(s, n, out);
	}
	return -1;
}

int
ts_parse_time(const char *s, size_t n, double *out)
{
	char  *tmp, *end;
	double v;
	int    ok;

	tmp = xstrndup(s, n);
	v = strtod(tmp, &end);
	ok = n > 0 && end != tmp && *end == '\0' && isfinite(v) && v >= 0;
	free(tmp);
	if (ok) {
		*out = v;
		return 0;
	}
	return ts_parse(TS_RFC3339, s, n, out);
}
