/*
 * match.h: runs a ruleset over lines and applies its actions to a
 * registry. One matcher per ingest thread; it owns the PCRE2 match data,
 * the JSON index and the per-rule statistics.
 */
#ifndef LOGMETRICS_MATCH_H
#define LOGMETRICS_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "rules.h"
#include "util.h"

struct rule_stats {
	uint64_t matched;
	double	 last_match; /* wall clock */
	uint64_t limit_hits; /* PCRE2 match or depth limit reached */
	uint64_t errors;     /* action refused (e.g. number unreadable) */
	char	 last_error[160];
};

struct matcher_stats {
	uint64_t lines;
	uint64_t unmatched;    /* lines that fed no rule */
	uint64_t json_invalid; /* lines starting with {, not one object */
	uint64_t limit_hits;
	double	 newest_time; /* newest log time seen on a matched line */
};

struct matcher;

/*
 * Binds rs to reg: every action's metric is looked up (registry_sync must
 * have run with rs's declarations). Returns NULL with a message in err when
 * a metric is missing. match_limit and depth_limit are PCRE2's limits (0:
 * our defaults). The matcher borrows rs and reg.
 */
struct matcher *matcher_new(const struct ruleset *, struct registry *,
    uint32_t match_limit, uint32_t depth_limit, char *err, size_t errlen);
void		matcher_free(struct matcher *);

/*
 * Feeds one line (no newline, CR already stripped) to every rule and
 * applies the actions of those that match. now is the wall clock, the log
 * time of lines that carry none. The caller holds the registry lock.
 * Returns the number of rules that matched.
 */
int matcher_line(struct matcher *, const char *line, size_t len, double now);

/*
 * The values of the labels every metric has after the rules' own (the
 * path labels of the file the lines come from), for the lines fed from
 * now on; borrowed until the next call. NULL: all "".
 */
void matcher_source(struct matcher *, const struct str *values, size_t n);

struct batch;

/*
 * Where the updates of the lines fed from now on go: recorded in b in
 * the order made, for batch_apply(), or, when b is NULL, made at once.
 * A recording matcher reads its registry's metrics but changes nothing
 * in it: matchers on several threads may record at once, without the
 * lock.
 */
void matcher_record(struct matcher *, struct batch *b);

/*
 * The time the source of the lines fed from now on wrote with them (a
 * container runtime's, the journal's), their log time where the rules'
 * timestamp statements find none; NULL: none. Its text is borrowed until
 * the next call.
 */
void matcher_wrapper_time(struct matcher *, const struct rtime *time);

/*
 * The line's log time by the ruleset's timestamp rules, else its
 * wrapper's, or -1 when neither gives one. Used for the newest time of a
 * file.
 */
double matcher_line_time(struct matcher *, const char *line, size_t len);

/*
 * As matcher_line without touching the registry: appends to out which
 * rules match, their captures and what each action would do.
 */
int matcher_explain(struct matcher *, const char *line, size_t len, double now,
    struct buf *out);

const struct rule_stats	   *matcher_rule_stats(struct matcher *, size_t *n);
const struct matcher_stats *matcher_stats(struct matcher *);

/*
 * Adds the statistics of later, a matcher of the same rules that was fed
 * the lines after m's, to m's: counts add, the newest times are kept, a
 * rule's last error is later's when it has one.
 */
void matcher_stats_add(struct matcher *m, const struct matcher *later);

#endif
