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

#define ISDIGIT(c)	((unsigned char)((c) - '0') < 10)

/* Longest decimal text converted on the stack; longer goes to the heap. */
#define TS_STACKBUF	96

static const struct {
	enum ts_format	 fmt;
	const char	*name;
} formats[] = {
	{ TS_EPOCH_MS, "epoch_ms" },
	{ TS_EPOCH_NS, "epoch_ns" },
	{ TS_EPOCH_S, "epoch_s" },
	{ TS_EPOCH_US, "epoch_us" },
	{ TS_RFC3339, "rfc3339" },
};

/* Powers of ten that a double holds exactly. */
static const double pow10tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

enum ts_format
ts_format_byname(const char *name)
{
	size_t	i;

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
	size_t	i;

	for (i = 0; i < NELEM(formats); i++)
		if (formats[i].fmt == fmt)
			return formats[i].name;
	return NULL;
}

/*
 * The value of the decimal digits ip[0..ni) followed by fp[0..nf), times
 * 10^e10, negated when neg, correctly rounded. Small mantissas and
 * exponents take the exact path (one IEEE multiplication or division of
 * two exact values); the rest is spelled out for strtod(). Returns 0, or
 * -1 when the result is not finite.
 */
static int
decimal_to_double(int neg, const char *ip, size_t ni, const char *fp,
    size_t nf, long e10, double *out)
{
	char		 stack[TS_STACKBUF], *buf, *b;
	uint64_t	 m = 0;
	size_t		 i, sig = 0, need;
	double		 v;

	/* Trailing zeros of the fraction only move the exponent. */
	while (nf > 0 && fp[nf - 1] == '0')
		nf--;
	while (ni > 0 && *ip == '0') {
		ip++;
		ni--;
	}
	for (i = 0; i < ni + nf && sig <= 16; i++) {
		m = m * 10 + (uint64_t)((i < ni ? ip[i] : fp[i - ni]) - '0');
		if (m != 0)
			sig++;
	}
	e10 -= (long)nf;
	if (i == ni + nf && m <= ((uint64_t)1 << 53) && e10 >= -22 &&
	    e10 <= 22) {
		v = (double)m;
		v = e10 < 0 ? v / pow10tab[-e10] : v * pow10tab[e10];
		goto done;
	}

	need = ni + nf + 32;
	buf = need <= sizeof(stack) ? stack : xmalloc(need);
	b = buf;
	*b++ = '0';
	if (ni > 0)
		memcpy(b, ip, ni);
	b += ni;
	if (nf > 0)
		memcpy(b, fp, nf);
	b += nf;
	snprintf(b, 32, "e%ld", e10);
	v = strtod(buf, NULL);
	if (buf != stack)
		free(buf);
done:
	if (!isfinite(v))
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/*
 * An epoch number: -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?, the whole of
 * s, in units of 10^-scale seconds.
 */
static int
parse_epoch(const char *s, size_t n, int scale, double *out)
{
	const char	*p = s, *end = s + n, *ip, *fp = NULL;
	size_t		 ni, nf = 0;
	long		 e = 0;
	int		 neg = 0, eneg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	while (p < end && ISDIGIT(*p))
		p++;
	if ((ni = (size_t)(p - ip)) == 0)
		return -1;
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && ISDIGIT(*p))
			p++;
		if ((nf = (size_t)(p - fp)) == 0)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char	*q;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		q = p;
		for (; p < end && ISDIGIT(*p); p++)
			if (e < 100000)		/* far past any double */
				e = e * 10 + (*p - '0');
		if (p == q)
			return -1;
	}
	if (p != end)
		return -1;
	return decimal_to_double(neg, ip, ni, fp, nf,
	    (eneg ? -e : e) - scale, out);
}

/* Exactly n digits at s as a number, or -1. */
static int
num(const char *s, int n)
{
	int	v = 0;

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
	int64_t	era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int	mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

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
	const char	*p, *end = s + n, *fp = NULL;
	char		 ibuf[24];
	size_t		 nf = 0;
	int64_t		 secs;
	int		 y, mo, d, h, mi, sec, oh, om, off;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	if ((y = num(s, 4)) < 0 || (mo = num(s + 5, 2)) < 1 || mo > 12 ||
	    (d = num(s + 8, 2)) < 1 || d > days_in_month(y, mo) ||
	    (h = num(s + 11, 2)) < 0 || h > 23 ||
	    (mi = num(s + 14, 2)) < 0 || mi > 59 ||
	    (sec = num(s + 17, 2)) < 0 || sec > 60)
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
		if (end - p < 6 || p[3] != ':' ||
		    (oh = num(p + 1, 2)) < 0 || oh > 23 ||
		    (om = num(p + 4, 2)) < 0 || om > 59)
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
		return decimal_to_double(0, ibuf, strlen(ibuf), fp, nf, 0,
		    out);
	}
	/* Before 1970: the fraction counts up from the negative second. */
	if (decimal_to_double(0, "", 0, fp, nf, 0, out) == -1)
		return -1;
	*out += (double)secs;
	return 0;
}

int
ts_parse(enum ts_format fmt, const char *s, size_t n, double *out)
{
	switch (fmt) {
	case TS_EPOCH_S:
		return parse_epoch(s, n, 0, out);
	case TS_EPOCH_MS:
		return parse_epoch(s, n, 3, out);
	case TS_EPOCH_US:
		return parse_epoch(s, n, 6, out);
	case TS_EPOCH_NS:
		return parse_epoch(s, n, 9, out);
	case TS_RFC3339:
		return parse_rfc3339(s, n, out);
	}
	return -1;
}
