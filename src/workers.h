/*
 * workers.h: one-shot matching on several threads, with the registry
 * ending as one thread matching every line in order leaves it. The
 * reading thread hands the records out in blocks, in log order; a worker
 * matches a whole block with a matcher of its own, recording its updates
 * (batch.h); the batches are applied in block order, under the registry
 * lock, by whichever worker finishes the block that is next. The blocks
 * in flight are bounded, and with them memory.
 */
#ifndef LOGMETRICS_WORKERS_H
#define LOGMETRICS_WORKERS_H

#include <stddef.h>

#include "backfill.h"
#include "engine.h"

struct workers;

/*
 * n threads matching for e (its rules, into its registry), now the log
 * time of lines that carry none. With bf, for a history: the workers
 * find each line's time and the applier makes its steps in their place
 * (backfill_time()); a line without a time goes whole to the applier,
 * which gives it to backfill_line() with e->m; files are the inputs, for
 * messages. Returns NULL with err set when not even one thread starts;
 * the caller then matches on its own.
 */
struct workers *workers_new(struct engine *e, size_t n, double now,
    struct backfill *bf, char *const *files, char *err, size_t errlen);

/*
 * The records from now on come from input fileno, with the path label
 * values pv (e->npl of them, or NULL), and its initial series are made
 * before them (engine_source()). pv must stay valid until workers_end().
 */
void workers_source(struct workers *, const struct str *pv, size_t fileno);

/*
 * The time the source gives the records from now on
 * (matcher_wrapper_time()), copied; NULL: none.
 */
void workers_wrapper_time(struct workers *, const struct rtime *time);

/*
 * One record, copied; lineno is its line in its input, for messages.
 * Returns 0, or -1 once the history stopped for a fatal error
 * (backfill_stopped()), as found when a block is handed out: reading
 * more is of no use.
 */
int workers_line(struct workers *, const char *line, size_t len,
    unsigned long long lineno);

/* Whether the history stopped for a fatal error (backfill_stopped()). */
int workers_stopped(struct workers *);

/*
 * Waits until every record handed out is matched and applied, stops the
 * threads, and adds their matchers' statistics to e->m's.
 */
void workers_end(struct workers *);

void workers_free(struct workers *);

/*
 * The threads the process may run on (its CPU affinity), at least 1.
 */
size_t workers_cpus(void);

#endif
