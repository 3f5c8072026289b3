/*
 * protobuf.h: the registry in Prometheus's protobuf exposition format,
 * "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited": one MetricFamily message per metric that has
 * series, each preceded by its length as a varint. The messages are
 * those of src/exposition.proto, packed by libprotobuf-c.
 *
 * Every metric goes out as the text format shows it (the same names,
 * label sets, values and exemplars), and a native histogram with its
 * native buckets as well: its schema, zero threshold and zero count, its
 * buckets as spans and deltas, and its exemplars.
 */
#ifndef LOGMETRICS_PROTOBUF_H
#define LOGMETRICS_PROTOBUF_H

#include "metrics.h"
#include "util.h"

#define PROTOBUF_CONTENT_TYPE               \
	"application/vnd.google.protobuf; " \
	"proto=io.prometheus.client.MetricFamily; encoding=delimited"

/*
 * Appends every metric of the nregs registries to out, as
 * expose_render() orders them; freshness gauges judged against now. The
 * caller holds the registries' locks. Cost: one packing of each series
 * into a scratch buffer, then a copy; memory for one series at a time
 * besides out.
 */
void protobuf_render(struct registry *const *regs, size_t nregs,
    struct buf *out, double now);

#endif
