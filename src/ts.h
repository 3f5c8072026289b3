/*
 * ts.h: log timestamps to Unix seconds.
 */
#ifndef LOGMETRICS_TS_H
#define LOGMETRICS_TS_H

#include <stddef.h>

enum ts_format {
	TS_EPOCH_S = 1,
	TS_EPOCH_MS,
	TS_EPOCH_US,
	TS_EPOCH_NS,
	TS_RFC3339,
};

/* Maps "epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "rfc3339"; 0 if none. */
enum ts_format ts_format_byname(const char *);
const char    *ts_format_name(enum ts_format);

/*
 * Parses s[0..n) in the given format into Unix seconds. Epoch values are
 * decimal numbers, a fraction and exponent allowed. RFC 3339 accepts
 * "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)", 't', 'z' and a space for
 * 'T' too. Returns 0, or -1 when s is not entirely such a value.
 */
int ts_parse(enum ts_format, const char *s, size_t n, double *out);

/*
 * A time as a person writes one: Unix seconds (a non-negative decimal
 * number, as strtod() reads it, whole) or RFC 3339. Returns 0, or -1.
 */
int ts_parse_time(const char *s, size_t n, double *out);

#endif
