/*
 * oneshot.h: read historical logs once and print the final metrics.
 */
#ifndef LOGMETRICS_ONESHOT_H
#define LOGMETRICS_ONESHOT_H

#include <stddef.h>

#include "engine.h"
#include "expose.h"

struct oneshot_opts {
	char			**files;	/* sorted here, oldest first */
	size_t			  nfiles;
	const char		 *output;	/* NULL: stdout */
	enum expose_format	  format;
	double			  now;		/* < 0: the newest log time */
	size_t			  max_line;
};

/*
 * Reads every file into e's registry, oldest first, then writes the
 * exposition to stdout or atomically to the output file. A file that
 * cannot be read is reported and the others are still read. Returns 0, or
 * 1 when a file or the output failed.
 */
int	oneshot_run(struct engine *, struct oneshot_opts *);

#endif
