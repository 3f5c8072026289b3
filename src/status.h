/*
 * status.h: what logmetrics says of itself in follow mode: the
 * self-metrics (files, rules, series, reloads, state saves, the process)
 * and the landing page.
 *
 * Threads: the main thread refreshes the numbers (status_update) and
 * records reloads; the HTTP thread renders them. Both hold the lock of
 * status_registry() while they touch them.
 */
#ifndef LOGMETRICS_STATUS_H
#define LOGMETRICS_STATUS_H

#include <stdint.h>

#include "engine.h"
#include "metrics.h"
#include "input.h"
#include "util.h"
#include "webconfig.h"

/* What the follow loop knows and the self-metrics show. */
struct status_facts {
	int		  state_on; /* a state file is kept */
	uint64_t	  state_ok; /* saves that reached the disk */
	uint64_t	  state_err;
	double		  state_time; /* wall time of the last good */
	struct webconfig *web;	      /* the server's, or NULL */
	uint64_t	  web_ok;     /* reloads of the web configuration */
	uint64_t	  web_err;
	int		  web_current; /* the one in use is the one on disk */
};

struct status;

struct status *status_new(void);
void	       status_free(struct status *);

/* The self-metrics, to render after the engine's registry. */
struct registry *status_registry(struct status *);

/* A reload of the rules: err is NULL when it succeeded. */
void status_reload(struct status *, const char *err);

/*
 * Refreshes the self-metrics from the inputs, the engine's matcher and
 * registry, and f. Called by the main thread, the only one that changes
 * those numbers; takes the locks of both registries (its own first).
 */
void status_update(struct status *, struct engine *, struct input *,
    size_t ninputs, const struct status_facts *f);

/*
 * Keeps a line no rule matched, read from path at now, among the last
 * PAGE_LINES_KEPT for the status page (cut at PAGE_LINE_BYTES). Called by
 * the main thread only, as lines are read; costs a copy of the line.
 */
void status_unmatched(struct status *, const char *path, const char *line,
    size_t len, double now);

/*
 * The status page (page.h) as of the last status_update: the sources,
 * rules, freshness gauges, metrics, limits hit and the last lines no rule
 * matched, in HTML, or in JSON when json is set. Takes the locks it
 * needs.
 */
void status_page(struct status *, struct engine *, const char *metrics_path,
    int json, struct buf *out);

/*
 * The page of the kept line whose number is arg (digits, from
 * /explain?line=N; nothing else of it is read) with what the rules loaded
 * now do with it, as --explain says. Returns the HTTP status: 200, 400
 * for arg not a number, 404 for a line not kept (the page says so). Takes
 * the locks it needs, the engine's while it explains.
 */
int status_explain(struct status *, struct engine *, const char *arg,
    struct buf *out);

#endif
