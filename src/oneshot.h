/*
 * oneshot.h: read historical logs once and print the final metrics, or
 * their history for backfill.
 */
#ifndef LOGMETRICS_ONESHOT_H
#define LOGMETRICS_ONESHOT_H

#include <stddef.h>

#include "engine.h"
#include "expose.h"

struct oneshot_opts {
	char		 **files; /* sorted here, oldest first */
	size_t		   nfiles;
	const char	  *output; /* NULL: stdout */
	enum expose_format format;
	double		   now; /* < 0: the newest log time */
	size_t		   max_line;
	double		   step;	/* > 0: a sample every step */
	const char	  *journal_dir; /* journal files, or NULL: the
					   system's journal */
	size_t		   threads;	/* matching on more than 1: workers.h */
};

/*
 * Reads every file into e's registry, oldest first, then writes the
 * exposition to stdout or atomically to the output file. With a step
 * (OpenMetrics only), writes instead the history: every series at each
 * step boundary of log time, with timestamps, kept meanwhile in a spill
 * file beside the output (or in TMPDIR). A file that cannot be read is
 * reported and the others are still read. Returns 0; 1 when a file, the
 * output or the history failed; 2 when the options or rules cannot make
 * a history (--now with a step, no timestamp statement).
 */
int oneshot_run(struct engine *, struct oneshot_opts *);

#endif
