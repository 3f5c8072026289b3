/*
 * page.h: the status page of follow mode, from a view of the facts: what
 * the sources, rules, metrics and limits say, and the last lines no rule
 * matched. The view is filled by status.c, under its locks; rendering
 * reads nothing else and takes no lock.
 */
#ifndef LOGMETRICS_PAGE_H
#define LOGMETRICS_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "util.h"

#define PAGE_LINES_KEPT 16    /* lines no rule matched, the newest */
#define PAGE_LINE_BYTES 512   /* shown of each, at most */
#define PAGE_KEEP_BYTES 65536 /* kept of each, to explain it */

/* A followed source: a file's path, or a journal argument. */
struct page_source {
	char	*path;
	uint64_t offset; /* read up to here */
	uint64_t size;	 /* as last seen */
	uint64_t lines;
	uint64_t toolong; /* lines over --max-line-bytes */
	uint64_t rotations;
	uint64_t truncations;
	uint64_t lost; /* files gone before they were read */
	uint64_t lost_bytes;
	double	 last_read;  /* wall clock of its last line, 0: none */
	double	 entry_time; /* a journal's cursor time, 0: none */
	int	 open;
	int	 polled; /* no inotify watch covers it */
	int	 journal;
};

struct page_dir {
	char *path;
	int   watched; /* else polled */
};

struct page_rule {
	char	*name;
	uint64_t matched;
	uint64_t limit_hits;
	uint64_t errors;
	double	 last_match; /* wall clock, 0: never */
	char	 last_error[160];
};

struct page_metric {
	char		*name;
	enum metric_type type;
	size_t		 series;
	size_t		 cap; /* 0: none */
	uint64_t	 dropped;
	uint64_t	 label_dropped;
	uint64_t	 expired;
	int		 native;     /* a native histogram: the schemas */
	int		 schema_min; /* of its series, widest */
	int		 schema_max; /* and finest */
};

/* One series of a freshness gauge's source. */
struct page_fresh {
	char  *gauge;
	char **names; /* of its labels */
	char **values;
	size_t nlabels;
	double last; /* its source's value: the last run, 0: never */
	double threshold;
};

/* A line no rule matched. */
struct page_line {
	uint64_t seq;  /* its number among the lines no rule matched */
	double	 when; /* wall clock it was read */
	char	*path;
	size_t	 full; /* its length */
	size_t	 len;  /* bytes of it in text: PAGE_KEEP_BYTES at most */
	char	*text;
	size_t	 cap; /* of text, its owner's */
};

/* The limits that refused something, over every source and metric. */
struct page_limits {
	uint64_t lines_toolong;
	uint64_t records_toolong;
	uint64_t series_dropped;
	uint64_t labels_toolong;
	uint64_t exemplars_dropped;
	uint64_t match_limit;
	uint64_t files_lost;
	uint64_t bytes_lost;
	uint64_t inotify_overflows;
	uint64_t dirs_left_out;
};

struct page_view {
	const char	   *version;
	const char	   *metrics_path;
	double		    now;   /* wall clock of the view */
	double		    start; /* of the process, 0: unknown */
	double		    reload_time;
	uint64_t	    reloads_ok;
	uint64_t	    reloads_failed;
	char		   *reload_err; /* of the last reload, NULL: none */
	int		    state_on;
	uint64_t	    state_ok;
	uint64_t	    state_err;
	double		    state_time;
	uint64_t	    lines; /* read, over every source */
	uint64_t	    unmatched;
	uint64_t	    json_invalid;
	struct page_limits  limits;
	struct page_source *sources;
	size_t		    nsources;
	struct page_dir	   *dirs;
	size_t		    ndirs;
	struct page_rule   *rules;
	size_t		    nrules;
	struct page_metric *metrics;
	size_t		    nmetrics;
	struct page_fresh  *fresh;
	size_t		    nfresh;
	struct page_line   *kept; /* in any order, shown newest first */
	size_t		    nkept;
};

/*
 * "3 min ago" for a time t seen at now, "never" for t <= 0; appended to
 * out. The largest unit or two that say it: 12 s, 3 min, 2 h 5 min,
 * 4 days 3 h.
 */
void page_age(struct buf *out, double now, double t);

/*
 * The first bytes of a kept line that a page shows: PAGE_LINE_BYTES at
 * most, a UTF-8 sequence never split.
 */
size_t page_shown(const struct page_line *);

/* The landing page, HTML, appended to out. */
void page_html(const struct page_view *, struct buf *out);

/*
 * The same facts as one JSON object (logmetrics(1), STATUS PAGE), for
 * scripts; appended to out.
 */
void page_json(const struct page_view *, struct buf *out);

/*
 * The page of one kept line: the line whole (as kept), then what
 * --explain says of it, explained[0..n), as of now. Appended to out.
 */
void page_explain(const struct page_line *, const char *explained, size_t n,
    double now, struct buf *out);

/*
 * A short page for an error: status says which (400, 404), message what
 * to do.
 */
void page_error(unsigned status, const char *message, struct buf *out);

#endif
