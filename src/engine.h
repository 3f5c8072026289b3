/*
 * engine.h: a ruleset bound to a registry through a matcher, as both modes
 * use it; reloading swaps the rules and keeps the values of the metrics
 * that survive.
 */
#ifndef LOGMETRICS_ENGINE_H
#define LOGMETRICS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "metrics.h"
#include "rules.h"

struct engine_opts {
	const char *const *rules; /* files and directories */
	size_t		   nrules;
	char *const	  *lnames; /* --label overrides */
	char *const	  *lvalues;
	size_t		   nlabels;
	size_t		   max_series;	  /* per metric, 0: none */
	size_t		   max_label;	  /* bytes of a label value */
	double		   series_expiry; /* seconds, 0: never */
	uint32_t	   match_limit;
	uint32_t	   depth_limit;
	const char	  *path_labels; /* --path-labels regex, or NULL */
};

struct engine {
	struct ruleset	*rs;
	struct registry *reg;
	struct matcher	*m;
	uint32_t	 match_limit; /* the matcher's PCRE2 limits */
	uint32_t	 depth_limit;
	/* --path-labels: named groups over a file's path, as labels. */
	pcre2_code	 *pl;
	pcre2_match_data *plmd;
	char		**plnames; /* by group number */
	uint32_t	 *plgroups;
	size_t		  npl;
};

/*
 * Loads the rules and builds the registry and matcher. Returns 0, or -1
 * with every error in err (rules errors one per line).
 */
int engine_load(struct engine *, const struct engine_opts *, char *err,
    size_t errlen);

/*
 * Loads the rules again: on success the new rules replace the old under
 * the registry lock, metrics that survive keep their values; on failure
 * nothing changes and err says why. Returns 0 or -1.
 */
int engine_reload(struct engine *, const struct engine_opts *, char *err,
    size_t errlen);

void engine_free(struct engine *);

/*
 * The values of the path labels for a file's path: e->npl of them, one
 * block to free(); "" for a group the regex leaves unset, every one ""
 * when it does not match. NULL when there are no path labels. Threads
 * may call it at once.
 */
struct str *engine_path_values(struct engine *, const char *path);

/*
 * A source with these path label values begins: the initial series of
 * the rules' metrics are made for it. The caller holds the registry lock.
 */
void engine_source(struct engine *, const struct str *values);

#endif
