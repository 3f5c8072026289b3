/*
 * metrics.h: the registry of metrics and their series.
 *
 * A metric is declared once (struct metric_decl, usually from a rules
 * file) and owns a hash table of series keyed by its label values. Default
 * labels (env, mode, app, ...) are the registry's: they are appended to
 * every series when rendered, never stored per series.
 *
 * Locking: the registry has one mutex. Every function below that reads or
 * changes series expects the caller to hold it (registry_lock), so that an
 * ingest batch and a scrape never interleave inside a histogram.
 */
#ifndef LOGMETRICS_METRICS_H
#define LOGMETRICS_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "native.h"
#include "util.h"

enum metric_type {
	METRIC_COUNTER = 1,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
	METRIC_FRESHNESS, /* a gauge computed when rendered, see below */
};

/* A stall threshold of a freshness gauge: when label == value, seconds. */
struct threshold {
	char  *label;
	char  *value;
	double seconds;
};

/*
 * What a rules file declares. A freshness gauge has the labels of its
 * source gauge (a gauge holding Unix timestamps); each of its series is 1
 * while now - source <= the first matching threshold (else stale_after),
 * and 0 when older or never set (source value 0).
 */
struct metric_decl {
	char		 *name;
	char		 *help;
	enum metric_type  type;
	char		**labels; /* nlabels names, without defaults */
	size_t		  nlabels;
	double		 *buckets; /* sorted, without +Inf */
	size_t		  nbuckets;
	char		**initial; /* ninitial * nlabels values */
	size_t		  ninitial;
	char		 *source;      /* freshness: the source gauge */
	double		  stale_after; /* freshness: default seconds */
	struct threshold *th;
	size_t		  nth;
	double		  expire;	 /* seconds, 0: the registry's */
	int		  native;	 /* histogram: native buckets too */
	double		  native_factor; /* largest bound ratio */
	double		  native_zero;	 /* zero bucket threshold */
	size_t		  native_max;	 /* buckets before widening */
	size_t		  nsource;	 /* trailing labels each source gives
					    (path labels): the initial series are
					    made per source, by
					    metric_initial_source() */
	const char	 *file;		 /* where it was declared */
	int		  line;
};

/*
 * Names. A metric's matches [a-zA-Z_:][a-zA-Z0-9_:]*; a label's
 * [a-zA-Z_][a-zA-Z0-9_]*, does not start with "__" (reserved for
 * Prometheus) and is not "le" on a histogram (its bucket label) or as a
 * default label (on every series, histograms included).
 */
enum name_fault {
	NAME_OK,
	NAME_INVALID,  /* not of the form above */
	NAME_RESERVED, /* a label name starting with "__" */
	NAME_LE,       /* "le" where buckets use it */
};

enum name_fault metric_name_check(const char *);
/* A label name of a metric of the given type; 0: a default label. */
enum name_fault label_name_check(const char *, enum metric_type);

/* A type as Prometheus names it: a freshness gauge is a "gauge". */
const char *metric_type_name(enum metric_type);

/* Prometheus's default histogram buckets. */
extern const double metrics_default_buckets[];
extern const size_t metrics_ndefault_buckets;

/*
 * The exemplar of an update (OpenMetrics): its label set as the
 * exposition writes it (name="value",... escaped, no braces), the value
 * added or observed and the line's log time.
 */
struct exemplar {
	char  *labels;
	size_t len; /* 0: none */
	size_t cap; /* of labels */
	double value;
	double time;
};

/*
 * Exemplar label sets are bounded by OpenMetrics: names and values
 * together, in UTF-8 characters.
 */
#define EXEMPLAR_MAX_CHARS 128

struct series {
	char	       **values; /* nlabels owned label values */
	size_t		*lens;
	uint64_t	 hash;
	double		 value;	  /* counter, gauge; histogram: sum */
	uint64_t	 count;	  /* histogram: observations */
	uint64_t	*buckets; /* histogram: per bucket, not cumulative */
	double		 updated; /* wall time of the last change */
	int		 pinned;  /* declared up front: never expires */
	char		*esc;	  /* its labels as the exposition last
				     rendered them (a cache it fills
				     and the registry frees), or NULL */
	size_t		 esclen;
	char		*pbl; /* its labels packed in protobuf, a
				 cache likewise (protobuf.c) */
	size_t		 pbllen;
	struct exemplar *ex;   /* the latest, per bucket for a histogram
				  (+Inf last), or NULL: none yet */
	struct native	*nh;   /* native histogram: its buckets, or NULL */
	struct series	*next; /* hash chain */
};

struct metric {
	char		 *name;
	char		 *help;
	enum metric_type  type;
	char		**labels;
	size_t		  nlabels;
	double		 *buckets;
	size_t		  nbuckets;
	struct metric	 *source; /* freshness */
	double		  stale_after;
	struct threshold *th;
	size_t		  nth;
	struct series	**table;
	size_t		  tablesize;
	size_t		  nseries;
	size_t		  maxseries;	 /* 0: no cap */
	uint64_t	  dropped;	 /* updates refused by the cap */
	size_t		  maxlabel;	 /* bytes of a value, 0: no cap */
	uint64_t	  label_dropped; /* updates refused: value too long */
	uint64_t	  expired;	 /* series removed by expiry */
	uint64_t	  ex_dropped;	 /* exemplars over EXEMPLAR_MAX_CHARS */
	double		  expire;	 /* its own expiry, 0: none */
	int		  native;	 /* histogram: native buckets too, */
	int		  nschema;	 /* from this schema, */
	double		  nzero;	 /* this zero threshold, */
	size_t		  nmax;		 /* widening past this many */
	int		  warned;	 /* the daemon logged a refusal */
	struct series	**order;	 /* series sorted, when ordered */
	int		  ordered;	 /* no series added or removed since */
	int		  keep;		 /* registry_sync bookkeeping */
};

struct registry {
	pthread_mutex_t lock;
	struct metric **m; /* in declaration order */
	size_t		n;
	char	      **dlnames; /* default labels */
	char	      **dlvalues;
	size_t		ndl;
	size_t		maxseries;    /* cap for metrics declared later */
	size_t		maxlabel;     /* cap for metrics declared later */
	int		cache_labels; /* keep each series' escaped labels:
					 worth it when rendered often */
};

struct registry *registry_new(void);
void		 registry_free(struct registry *);
void		 registry_lock(struct registry *);
void		 registry_unlock(struct registry *);

/* Replaces the default labels (copied). */
void registry_set_default_labels(struct registry *, char *const *names,
    char *const *values, size_t n);

/*
 * Makes the registry hold exactly the declared metrics, in that order:
 * a metric already present with the same type, labels and buckets keeps
 * its series and values; any other is created (with its initial series at
 * 0; a metric whose labels are all defaults gets its one series at 0) or
 * dropped. Nothing changes unless every declaration is valid; on error,
 * returns -1 and writes "file:line: message" into err.
 */
int registry_sync(struct registry *, const struct metric_decl *, size_t n,
    char *err, size_t errlen);

struct metric *registry_find(struct registry *, const char *name);

/*
 * Finds or creates the series of m with the given label values (nlabels
 * of them). Returns NULL when the series cap refuses a new one (counted in
 * m->dropped) or a value is longer than m->maxlabel (m->label_dropped).
 * Values are copied; invalid UTF-8 is kept as is here (the matcher makes
 * label values valid before the lookup).
 */
struct series *metric_series(struct metric *, const struct str *values);

/*
 * The initial series of m (declared by d, with d->nsource > 0) for one
 * source: each with the source's values of the trailing labels, at 0
 * where they do not exist yet; the lone series of a metric without labels
 * of its own likewise.
 */
void metric_initial_source(struct metric *, const struct metric_decl *d,
    const struct str *values);

/* Counter += v (v < 0 is ignored and returns -1); gauge += v. */
int metric_add(struct metric *, const struct str *values, double);
/* Gauge = v. */
int metric_set(struct metric *, const struct str *values, double);
/*
 * Histogram observation, in the classic buckets and, on a native
 * histogram, in the native ones. NaN is refused.
 */
int metric_observe(struct metric *, const struct str *values, double);

/*
 * As metric_add() and metric_observe(), keeping ex (its labels and time;
 * the value is v) as the series' exemplar, the bucket's for a histogram,
 * when ex is not NULL and the metric a counter or a histogram. Costs a
 * copy of the labels into the series' buffer, grown once.
 */
int metric_add_ex(struct metric *, const struct str *values, double,
    const struct exemplar *ex);
int metric_observe_ex(struct metric *, const struct str *values, double,
    const struct exemplar *ex);

/*
 * The hash metric_series() finds the series of values by, for a caller
 * that computes it ahead, on another thread.
 */
uint64_t metric_hash(const struct metric *, const struct str *values);

enum metric_op {
	METRIC_ADD = 1, /* metric_add_ex() */
	METRIC_SET,	/* metric_set() */
	METRIC_OBSERVE, /* metric_observe_ex() */
};

/*
 * One update as the function op names makes it, the values' hash *hp
 * given (metric_hash()) or, when hp is NULL, computed here. Returns as
 * that function does.
 */
int metric_update(struct metric *, enum metric_op, const struct str *values,
    const uint64_t *hp, double v, const struct exemplar *ex);

/*
 * Whether labels[0..len) is an exemplar label set as the exposition
 * writes it: name="value" pairs joined by commas, names valid, values
 * valid UTF-8 escaped with \\ \" \n only, EXEMPLAR_MAX_CHARS characters
 * at most, names and values together. For what is read back.
 */
int metric_exemplar_ok(const char *labels, size_t len);

/*
 * Keeps ex as exemplar slot (0, or the bucket of a histogram, nbuckets
 * for +Inf) of series s of m, its value v. For the state's restore.
 */
void series_exemplar(const struct metric *, struct series *, size_t slot,
    const struct exemplar *ex, double v);

/*
 * Removes the series not updated for their metric's expire seconds, or
 * else max_age (0: never), except those declared up front. Returns how
 * many went. Cost: a walk of the series of every metric that expires.
 */
size_t registry_expire(struct registry *, double now, double max_age);

/*
 * The stall threshold of freshness gauge fresh for series s of its source:
 * the first threshold whose label has s's value, else stale_after.
 */
double metric_stale_limit(const struct metric *fresh, const struct series *s);

/*
 * The value of freshness gauge fresh for series s of its source at time
 * now: 1 while the source's timestamp is set (above 0) and no older than
 * metric_stale_limit(), else 0.
 */
int metric_fresh(const struct metric *fresh, const struct series *s,
    double now);

/*
 * Calls fn for every series of m in a deterministic order (label values
 * compared bytewise, label by label). fn must not add or remove series.
 * Cost: a sort of the series pointers when series came or went since the
 * last call, else a walk of the kept order.
 */
void metric_foreach(struct metric *,
    void (*fn)(struct metric *, struct series *, void *), void *arg);

#endif
