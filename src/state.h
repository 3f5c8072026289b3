/*
 * state.h: follow mode's state across restarts. One file holds, from one
 * moment between two lines, the position of every file being read and the
 * value of every series of the rules' metrics, so that a restart, even
 * after kill -9, counts every line exactly once.
 *
 * The file is text, one record per line, fields separated by one space,
 * strings quoted with every byte outside '!'..'~' (and '"', '\') written
 * \xNN, numbers in decimal, doubles as the 16 hex digits of their bits
 * (see field_put_str() in util.h):
 *
 *	logmetrics-state 2
 *	rules HASH16
 *	pos KIND VERSION FIELD...
 *	metric "NAME" counter|gauge|histogram NLABELS "LABEL"... NBOUNDS BOUND...
 *	series "VALUE"... VALUE UPDATED [COUNT BUCKET...]
 *	exemplar SLOT "LABELS" VALUE TIME
 *	native SCHEMA THRESHOLD MAXBUCKETS
 *	nbuckets SCHEMA ZERO NPOS (KEY COUNT)... NNEG (KEY COUNT)...
 *	end NPOS NMETRICS NSERIES
 *	crc32 CRC8
 *
 * A pos record is the position of one source, opaque here: its kind (a
 * lower-case word: "file" for tail.c's, "record" for a record half-joined
 * by record.c), the version of its encoding and the fields its source
 * wrote (tail_pos_encode(), record_pos_encode()). Series lines follow
 * their metric line; a histogram's series carry its sum as VALUE, then
 * its count and one count per bound (not cumulative). The checksum covers
 * every byte before its line. An exemplar record is one exemplar of the
 * series before it (OpenMetrics): SLOT 0 for a counter's, the bucket's
 * index for a histogram's (NBOUNDS for +Inf), its labels as the
 * exposition writes them, its value and time. Version 1 of the format,
 * still read, wrote "file FIELD..." where version 2 writes "pos file 1
 * FIELD..."; version 3 added exemplar records, and reads versions 1 and
 * 2 as they were.
 *
 * Version 4 adds native histograms. A native record follows the metric
 * record of one: its first schema (a signed decimal), zero threshold and
 * bucket limit. Each of its series is followed by an nbuckets record:
 * the schema now, the zero bucket's count, then the positive and the
 * negative buckets, each a count of buckets and their keys (signed,
 * increasing) and counts (above 0). Every observation of the series is
 * in them: the zero count and the bucket counts add up to its COUNT.
 */
#ifndef LOGMETRICS_STATE_H
#define LOGMETRICS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "util.h"

#define STATE_VERSION 4

/* A source's position, as its source encoded it. */
struct state_pos {
	char	*kind;
	uint64_t version;
	char	*data; /* fields, each after a space; NUL-
			  terminated */
	size_t	 len;
	size_t	 off;  /* where data starts in the file */
	size_t	 voff; /* where the version is */
	size_t	 line;
};

struct state_exemplar {
	size_t slot; /* 0, or a histogram's bucket (nbounds: +Inf) */
	char  *labels;
	size_t len;
	double value;
	double time;
};

struct state_series {
	char		     **values; /* the metric's nlabels, owned */
	size_t		      *lens;   /* values are binary: lengths */
	double		       value;  /* histogram: sum */
	double		       updated;
	uint64_t	       count;
	uint64_t	      *buckets; /* histogram: nbounds */
	struct state_exemplar *ex;
	size_t		       nex;
	struct native	      *nh; /* native histogram: its buckets */
};

struct state_metric {
	char		    *name;
	enum metric_type     type; /* never METRIC_FRESHNESS */
	char		   **labels;
	size_t		     nlabels;
	double		    *bounds;
	size_t		     nbounds;
	struct state_series *series;
	size_t		     nseries;
	int		     native; /* native histogram: with these */
	int		     nschema;
	double		     nzero;
	uint64_t	     nmax;
};

struct state {
	uint64_t	     rules; /* state_rules_id() */
	struct state_pos    *pos;
	size_t		     npos;
	struct state_metric *metrics;
	size_t		     nmetrics;
	double		     saved; /* the file's modification time,
				       set by state_read() */
};

/* What state_load() restored. */
struct state_report {
	size_t metrics; /* restored */
	size_t series;
	size_t ignored; /* no longer declared alike */
	size_t refused; /* series the registry refused */
	int    rules_changed;
};

void state_init(struct state *);
void state_free(struct state *);
void state_pos_free(struct state_pos *, size_t);

/*
 * Parses a state file's bytes into st (initialised here). Any damage is
 * refused: returns -1 with "byte N (line L): what is wrong" in err and st
 * left empty; else 0. Safe on any input: every count is checked against
 * the fields present before anything is allocated.
 */
int state_parse(const char *buf, size_t len, struct state *st, char *err,
    size_t errlen);

/* Appends st in the file format to out. */
void state_format(const struct state *st, struct buf *out);

/*
 * The identity of a rule set: a hash of every metric's name, type, label
 * names and bucket bounds, in order. The caller holds the registry lock.
 */
uint64_t state_rules_id(struct registry *);

/*
 * Appends to out the state now: the positions given, then every series
 * of reg. Call it with the registry lock held, positions taken between
 * the same two lines, so that offsets and values describe the same lines.
 */
void state_snapshot(struct buf *out, struct registry *reg,
    const struct state_pos *pos, size_t npos);

/*
 * Reads and parses the state file at path into st; leftover temporary
 * files of writers that died are removed first. Returns 0, 1 when there
 * is no file, -1 when it cannot be used: unreadable, damaged or of
 * another format version. Then err says why and where, and the file has
 * been renamed to PATH.corrupt when it is a regular file.
 */
int state_read(const char *path, struct state *st, char *err, size_t errlen);

/*
 * Puts the series of st into reg, with the registry lock held: metrics
 * declared alike. Returns 0 (*rep says what was restored), or -1 when st
 * was written for a rule set sharing no metric with reg: err says so, the
 * file at path has been set aside, nothing was changed.
 */
int state_apply(const char *path, const struct state *st, struct registry *reg,
    struct state_report *rep, char *err, size_t errlen);

/*
 * Writes into err where position p of the file at path is wrong: at, an
 * offset in its data, and why.
 */
void state_pos_err(const char *path, const struct state_pos *p, size_t at,
    const char *why, char *err, size_t errlen);

/*
 * Renames the file at path to PATH.corrupt, saying so after the message
 * in err. Returns -1.
 */
int state_set_aside(const char *path, char *err, size_t errlen);

#endif
