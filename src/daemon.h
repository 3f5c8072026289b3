/*
 * daemon.h: follow mode, the exporter that runs beside the bot.
 */
#ifndef LOGMETRICS_DAEMON_H
#define LOGMETRICS_DAEMON_H

#include <stddef.h>

#include "engine.h"

struct daemon_opts {
	struct engine_opts eng;	  /* for reloads */
	char *const	  *paths; /* files and globs */
	size_t		   npaths;
	const char	  *listen;
	const char	  *metrics_path;
	int		   from_start;
	int		   no_inotify;
	double		   poll_interval;
	size_t		   max_line;
	size_t		   max_open;
	size_t		   max_dirs; /* watched for deep globs */
	unsigned	   max_conns;
	unsigned	   per_ip_conns;
	unsigned	   timeout_s;
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
