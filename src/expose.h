/*
 * expose.h: the registry rendered in the Prometheus text format 0.0.4 or
 * in OpenMetrics 1.0.0.
 */
#ifndef LOGMETRICS_EXPOSE_H
#define LOGMETRICS_EXPOSE_H

#include "metrics.h"
#include "util.h"

enum expose_format {
	EXPOSE_TEXT = 0,	/* text/plain; version=0.0.4 */
	EXPOSE_OPENMETRICS,	/* application/openmetrics-text; version=1.0.0 */
};

/*
 * Appends every metric of reg to out, in declaration order, series in
 * metric_foreach order, default labels after the metric's own. Freshness
 * gauges are judged against now (Unix seconds). The caller holds the
 * registry lock. OpenMetrics output ends with "# EOF".
 */
void	expose_render(struct registry *, struct buf *out, enum expose_format,
	    double now);

/* Label value escaping: \ " and newline; invalid UTF-8 becomes U+FFFD. */
void	expose_label_value(struct buf *, const char *, size_t);
/* HELP escaping: \ and newline; invalid UTF-8 becomes U+FFFD. */
void	expose_help(struct buf *, const char *);
/* Whether name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int	expose_valid_metric_name(const char *);
/* Whether name is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no "__"). */
int	expose_valid_label_name(const char *);

#endif
