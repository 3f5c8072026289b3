/*
 * expose.h: the registry rendered in the Prometheus text format 0.0.4, in
 * OpenMetrics 1.0.0 or, through protobuf.h, in Prometheus's protobuf
 * format.
 */
#ifndef LOGMETRICS_EXPOSE_H
#define LOGMETRICS_EXPOSE_H

#include "metrics.h"
#include "util.h"

enum expose_format {
	EXPOSE_TEXT = 0,    /* text/plain; version=0.0.4 */
	EXPOSE_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	EXPOSE_PROTOBUF,    /* Prometheus's protobuf format: protobuf.h */
};

/*
 * Appends every metric of the nregs registries to out, one registry after
 * the other, each in declaration order, series in metric_foreach order,
 * each registry's default labels after the metric's own. Freshness gauges
 * are judged against now (Unix seconds). The caller holds the registries'
 * locks. OpenMetrics output ends with one "# EOF".
 */
void expose_render(struct registry *const *regs, size_t nregs, struct buf *out,
    enum expose_format, double now);

/*
 * As expose_render(), handing the text to put() in pieces of about 64 KiB
 * instead of holding all of it, so that memory does not grow with the
 * output. put() returns 0, or -1 to fail: the rest is then rendered and
 * dropped, and expose_write() returns -1.
 */
typedef int expose_put_fn(void *arg, const char *p, size_t n);
int expose_write(struct registry *const *regs, size_t nregs, enum expose_format,
    double now, expose_put_fn *put, void *arg);

/* Label value escaping: \ " and newline; invalid UTF-8 becomes U+FFFD. */
void expose_label_value(struct buf *, const char *, size_t);
/* HELP escaping: \ and newline; invalid UTF-8 becomes U+FFFD. */
void expose_help(struct buf *, const char *);

/*
 * A history for backfill, in OpenMetrics with explicit timestamps. The
 * format forbids interleaving the samples of different series of a family
 * or of different times of one series, so a history is rendered one point
 * of one series at a time and the caller groups them: for each metric, the
 * head, then every series with all its points, oldest first.
 *
 * expose_history_head appends the HELP and TYPE lines of metric i of reg.
 * expose_history_points calls fn for every series of every metric of reg
 * with its point at ts: its samples as expose_render writes them, each
 * line ending in " ts" (Unix seconds); freshness gauges are judged against
 * ts. i is the metric's index in reg, key (keylen bytes, its labels as
 * rendered) tells the series apart within it; key and lines are valid
 * during the call only. The caller holds the registry lock.
 */
typedef void expose_point_fn(void *arg, size_t i, const char *key,
    size_t keylen, const char *lines, size_t len);

void expose_history_head(struct registry *, size_t i, struct buf *out);
void expose_history_points(struct registry *, double ts, expose_point_fn *,
    void *arg);

#endif
