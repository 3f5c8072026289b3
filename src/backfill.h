/*
 * backfill.h: the history of a one-shot run with a step, for backfilling
 * Prometheus: the value of every series at each step boundary of log
 * time, kept in a spill file while the log is read, then written in
 * OpenMetrics with timestamps, family by family, series by series.
 */
#ifndef LOGMETRICS_BACKFILL_H
#define LOGMETRICS_BACKFILL_H

#include <stddef.h>
#include <stdio.h>

#include "engine.h"
#include "util.h"

/* Where the record being applied comes from. */
struct backfill_src {
	char *const	   *files;  /* every input, oldest first */
	size_t		    fileno; /* the one being read */
	const char	   *file;   /* its name, for messages */
	unsigned long long  lineno; /* its lines read so far */
	struct str	   *pv;	    /* its path labels' values */
	const struct rtime *wtime;  /* the record's time from its source */
};

struct backfill;

/*
 * A history of e's registry every step seconds, its spill file in the
 * directory of output (where the history must fit), or in TMPDIR when
 * output is NULL. Returns NULL with a message logged when the spill file
 * cannot be made.
 */
struct backfill *backfill_new(struct engine *e, double step,
    const char *output);
void		 backfill_free(struct backfill *);

/*
 * Applies one record. A record whose log time is past the current
 * boundary first closes every boundary before it; any other, older ones
 * and those without a time included, counts in the current step. Records
 * before the first that carries a time are held (16 MiB at most) and
 * applied when it comes, with its time as theirs. The caller holds the
 * registry's lock.
 */
void backfill_line(struct backfill *, const char *line, size_t len,
    const struct backfill_src *src);

/*
 * The step part of backfill_line() for a record whose log time t (>= 0)
 * is known, its updates made by the caller after: closes the boundaries
 * before t, and, at the first time, applies the records held. Returns 0,
 * or -1 when the history stopped (a fatal error reported, now or before):
 * the record is not to be applied.
 */
int backfill_time(struct backfill *, double t, const struct backfill_src *src);

/* Whether a fatal error was reported: the history cannot be written. */
int backfill_stopped(const struct backfill *);

/*
 * Ends the history after the last record: its last boundary. Returns 0,
 * or -1 with a message logged when it cannot be written (stopped, or no
 * record had a log time).
 */
int backfill_end(struct backfill *);

/* Logs (debug) the steps, series and bytes spilled of the history. */
void backfill_summary(const struct backfill *);

/*
 * Writes the history to out: for each metric in declaration order its
 * HELP and TYPE, then its series in label order, each with all its
 * points oldest first; then "# EOF". Returns 0, or -1 with a message
 * logged when the spill file fails (errors of out are the caller's to
 * find with ferror).
 */
int backfill_write(struct backfill *, FILE *out);

#endif
