/*
 * daemon.h: follow mode, the exporter that runs beside the bot.
 */
#ifndef LOGMETRICS_DAEMON_H
#define LOGMETRICS_DAEMON_H

#include <stddef.h>

#include "engine.h"
#include "http.h"
#include "tail.h"

struct daemon_opts {
	struct engine_opts eng;	  /* for reloads */
	char *const	  *paths; /* files and globs */
	size_t		   npaths;
	struct tail_opts   tail;       /* from_start and max_line also for
					  standard input and the journal */
	struct http_opts   http;       /* web set from web_config */
	const char	  *state_file; /* NULL: no state kept */
	double		   state_interval;
	const char	  *web_config;	/* TLS and basic auth */
	const char	  *journal_dir; /* journal files, or NULL: the
					   system's journal */
};

/*
 * Follows the files and serves the metrics until SIGTERM or SIGINT;
 * SIGHUP reloads the rules. Returns the exit status.
 */
int daemon_run(struct engine *, const struct daemon_opts *);

#endif
