/*
 * state.h: follow mode's state across restarts. One file holds, from one
 * moment between two lines, the position of every file being read and the
 * value of every series of the rules' metrics, so that a restart, even
 * after kill -9, counts every line exactly once.
 *
 * The file is text, one record per line, fields separated by one space,
 * strings quoted with every byte outside '!'..'~' (and '"', '\') written
 * \xNN, numbers in decimal, doubles as the 16 hex digits of their bits:
 *
 *	logmetrics-state 1
 *	rules HASH16
 *	file "PATH" DEV INO OFFSET HEADLEN HEADHASH16
 *	metric "NAME" counter|gauge|histogram NLABELS "LABEL"... NBOUNDS BOUND...
 *	series "VALUE"... VALUE UPDATED [COUNT BUCKET...]
 *	end NFILES NMETRICS NSERIES
 *	crc32 CRC8
 *
 * Series lines follow their metric line; a histogram's series carry its
 * sum as VALUE, then its count and one count per bound (not cumulative).
 * The checksum covers every byte before its line.
 */
#ifndef LOGMETRICS_STATE_H
#define LOGMETRICS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "tail.h"
#include "util.h"

#define STATE_VERSION	1

struct state_file {
	char		*path;
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 offset;
	uint64_t	 headlen;
	uint64_t	 headhash;
};

struct state_series {
	char		**values;	/* the metric's nlabels, owned */
	size_t		 *lens;		/* values are binary: lengths */
	double		  value;	/* histogram: sum */
	double		  updated;
	uint64_t	  count;
	uint64_t	 *buckets;	/* histogram: nbounds */
};

struct state_metric {
	char			*name;
	enum metric_type	 type;		/* never METRIC_FRESHNESS */
	char			**labels;
	size_t			 nlabels;
	double			*bounds;
	size_t			 nbounds;
	struct state_series	*series;
	size_t			 nseries;
};

struct state {
	uint64_t		 rules;		/* state_rules_id() */
	struct state_file	*files;
	size_t			 nfiles;
	struct state_metric	*metrics;
	size_t			 nmetrics;
};

/* What state_load() restored. */
struct state_report {
	size_t			 metrics;	/* restored */
	size_t			 series;
	size_t			 ignored;	/* no longer declared alike */
	size_t			 refused;	/* series the registry refused */
	int			 rules_changed;
	struct tail_restore	 files;
};

void		 state_init(struct state *);
void		 state_free(struct state *);

/*
 * Parses a state file's bytes into st (initialised here). Any damage is
 * refused: returns -1 with "byte N (line L): what is wrong" in err and st
 * left empty; else 0. Safe on any input: every count is checked against
 * the fields present before anything is allocated.
 */
int		 state_parse(const char *buf, size_t len, struct state *st,
		    char *err, size_t errlen);

/* Appends st in the file format to out. */
void		 state_format(const struct state *st, struct buf *out);

/*
 * The identity of a rule set: a hash of every metric's name, type, label
 * names and bucket bounds, in order. The caller holds the registry lock.
 */
uint64_t	 state_rules_id(struct registry *);

/*
 * Appends to out the state now: every file position of t and every
 * series of reg. Call it between two tail_poll() calls, with the registry
 * lock held, so that offsets and values describe the same lines.
 */
void		 state_snapshot(struct buf *out, struct registry *reg,
		    struct tail *t);

/*
 * Reads the state file at path and puts it into reg and t; call it with
 * the registry lock held, after tail_new() and before the first
 * tail_poll(). Returns 0 when restored (*rep says what), 1 when there is
 * no file, -1 when it cannot be used: unreadable, damaged, of another
 * format version or of a rule set sharing no metric with reg. Then err
 * says why and where, the file has been renamed to PATH.corrupt when
 * possible, and nothing was changed. Leftover temporary files of writers
 * that died are removed.
 */
int		 state_load(const char *path, struct registry *reg,
		    struct tail *t, struct state_report *rep, char *err,
		    size_t errlen);

#endif
