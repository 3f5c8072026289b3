/*
 * batch.h: registry updates recorded instead of made, to be made later in
 * the order they were recorded. Lines matched on several threads, each
 * recording its own batch, update one registry exactly as one thread
 * matching them in turn would, when the batches are applied in the order
 * of their lines: a float sum adds in the same order, a gauge ends at the
 * value set last, a series cap admits the same series, an exemplar is the
 * latest. Between updates, marks carry what else the applier must do at
 * that point (a source beginning, a step of time).
 */
#ifndef LOGMETRICS_BATCH_H
#define LOGMETRICS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "util.h"

struct batch {
	struct buf  b;	  /* the entries, each 8-byte aligned */
	size_t	    n;	  /* entries held */
	struct str *vals; /* batch_apply()'s label values */
	size_t	    nvals;
};

void batch_init(struct batch *);
void batch_free(struct batch *);
/* Forgets the entries, keeping the memory for the next ones. */
void batch_reset(struct batch *);

/*
 * Records an update of m (values: m->nlabels of them, and ex, copied),
 * with the hash of the values computed now, on the recording thread.
 */
void batch_update(struct batch *, struct metric *, enum metric_op,
    const struct str *values, double v, const struct exemplar *ex);

/* Records an exemplar of m refused for its size (m->ex_dropped). */
void batch_exdrop(struct batch *, struct metric *);

/* Records a mark: tag and len bytes of data (copied), the caller's. */
void batch_mark(struct batch *, uint64_t tag, const void *data, size_t len);

/*
 * Records a mark whose len bytes of data the caller writes, at the address
 * returned (8-byte aligned, valid until the next entry is recorded).
 */
void *batch_mark_space(struct batch *, uint64_t tag, size_t len);

/*
 * What batch_apply() calls for a mark; data is 8-byte aligned. Returns 0,
 * or 1 to skip the updates after the mark, up to the next one.
 */
typedef int batch_mark_fn(void *arg, uint64_t tag, const void *data,
    size_t len);

/*
 * Makes the updates in the order recorded, calling fn (when not NULL) at
 * each mark. The caller holds the lock of the metrics' registry.
 */
void batch_apply(struct batch *, batch_mark_fn *fn, void *arg);

#endif
