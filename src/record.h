/*
 * record.h: the record stage, between lines and the matcher. Where a
 * container runtime wraps each line of the program's output, the wrapper
 * is removed and split pieces joined, so that rules see the program's
 * lines whatever wrote them. Docker's json-file driver writes
 * {"log":"...","stream":"stdout","time":"..."} per piece: the log value,
 * unescaped, with a line longer than 16 KiB cut into pieces of which
 * only the last ends in "\n". The kubelet's CRI files hold
 * "TIME STREAM TAG TEXT" per piece, TAG "P" for a partial piece and "F"
 * for the last, the text as written, without its newline.
 */
#ifndef LOGMETRICS_RECORD_H
#define LOGMETRICS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "util.h"

enum record_format {
	RECORD_PLAIN,  /* lines are records */
	RECORD_DOCKER, /* Docker's json-file */
	RECORD_CRI,    /* the kubelet's files (containerd, CRI-O) */
};

struct record_stats {
	uint64_t records; /* delivered */
	uint64_t pieces;  /* wrapper lines joined into a longer record */
	uint64_t bad;	  /* wrapper lines that could not be read: skipped */
	uint64_t toolong; /* records over maxline: dropped whole */
};

struct record {
	enum record_format  fmt;
	size_t		    maxline;
	struct buf	    join;     /* a record's pieces so far */
	int		    open;     /* a record is being joined */
	int		    dropping; /* it went over maxline */
	struct json_index   ix;
	struct record_stats st;
};

typedef void record_fn(void *arg, const char *rec, size_t len);

void record_init(struct record *, enum record_format, size_t maxline);
void record_free(struct record *);

/* One line of the file (no newline): fn for each record it completes. */
void record_line(struct record *, const char *line, size_t len, record_fn *fn,
    void *arg);

/*
 * The log's files are read to their end: a record whose last piece never
 * came is delivered as it stands.
 */
void record_flush(struct record *, record_fn *fn, void *arg);

/*
 * The format a file argument names by its prefix ("docker:"), and the
 * path after it; a plain path is RECORD_PLAIN, itself.
 */
const char *record_prefix(const char *arg, enum record_format *);

/* The format's name, for messages: "plain", "docker", "cri". */
const char *record_format_name(enum record_format);

#endif
