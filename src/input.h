/*
 * input.h: what follow mode reads lines from. Each source of lines (the
 * followed files, standard input) is an input: a descriptor to wait on,
 * a time by which it wants to be read without one, a read of what is
 * ready that never blocks, its files as the self-metrics show them, and
 * the positions it saves in the state file. The follow loop waits on
 * every input at once.
 */
#ifndef LOGMETRICS_INPUT_H
#define LOGMETRICS_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "tail.h"

#define INPUTS_MAX 8 /* inputs of one wait */

struct input_stats {
	uint64_t overflows;	/* inotify queue overflows */
	int	 ends;		/* a stream, which can end */
	int	 ended;		/* it ended: nothing more comes */
	size_t	 dirs;		/* directories found for globs */
	size_t	 dirs_left_out; /* beyond the cap */
};

/*
 * A record read from a file of an input: a line, or what a container
 * runtime's wrappers held, with the time the runtime wrote for it (see
 * record_fn; n 0 for none).
 */
typedef void input_line_fn(void *arg, struct tail_file *, const char *rec,
    size_t len, const struct rtime *time);

/* A saved position, encoded by its input: kind, version, fields. */
typedef void input_pos_fn(void *arg, const char *kind, uint64_t version,
    const char *data, size_t len);

struct input {
	const char *name; /* "files", "stdin" */
	void	   *self;
	/* The descriptor to wait on, or -1. */
	int (*fd)(void *self);
	/* Monotonic seconds by which read is due anyway; 0: now. */
	double (*due)(void *self);
	/* Reads what is ready, without waiting. 0, or -1: errno. */
	int (*read)(void *self, input_line_fn *fn, void *arg);
	void (*files)(void *self, void (*fn)(const struct tail_file *, void *),
	    void	   *arg);
	void (*stats)(void *self, struct input_stats *);
	/* The directories it watches for globs; or NULL. */
	void (*dirs)(void *self, void (*fn)(const char *, int, void *),
	    void	  *arg);
	/*
	 * The record stage of each followed path a container runtime's
	 * pattern names: its path and numbers; or NULL.
	 */
	void (*records)(void *self,
	    void (*fn)(const char *path, const struct record_stats *, void *),
	    void *arg);
	/* Positions stamped with stamp (see tail_positions()); or NULL. */
	void (
	    *positions)(void *self, int64_t stamp, input_pos_fn *fn, void *arg);
	void (*free)(void *self);
};

/*
 * The followed files as an input; it owns t from now on. kinds gives the
 * format and streams of each of the n patterns t follows, in tail_new()'s
 * order (NULL: all plain): the files of a container runtime's pattern are
 * read through a record stage per followed path, records over maxline
 * dropped.
 */
struct input input_files(struct tail *t, const struct record_kind *kinds,
    size_t n, size_t maxline);

/* A record half-joined at the save (see record_pos_decode()). */
struct input_record {
	char	     *log;
	struct record rec;
};

/*
 * Puts the followed files where restart state says (see tail_restore(),
 * whose counts go to *rs), the records half-joined in them first: each
 * takes the pieces of recs[i] (left empty), unless its path is no longer
 * followed in its format (then it is dropped and said). Returns how many
 * records were taken up.
 */
size_t input_files_restore(struct input *, const struct tail_pos *, size_t n,
    struct input_record *recs, size_t nrecs, double saved, input_line_fn *fn,
    void *arg, struct tail_restore *rs);

/*
 * Standard input as an input: lines as they come, a last one without a
 * newline once the stream ends; then the exporter serves on and stats
 * say it ended. maxline as for the files. Returns -1 with errno set when
 * standard input is closed.
 */
int input_stdin(struct input *, size_t maxline);

/*
 * Waits up to timeout_ms (negative: until one is due), never past the time an input is due, for any
 * input's descriptor, then has every input read what is ready. Returns
 * 0 (also when a signal cut the wait short), or -1 with errno set and
 * the input's name in *failed when one failed.
 */
int inputs_poll(struct input *, size_t n /* <= INPUTS_MAX */, int timeout_ms,
    input_line_fn *fn, void *arg, const char **failed);

#endif
