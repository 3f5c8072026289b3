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

/*
 * The runtimes copy a program's standard output and standard error each
 * on its own, so pieces of a line of one may come between pieces of a
 * line of the other: each stream joins its own.
 */
enum record_stream {
	RECORD_STDOUT,
	RECORD_STDERR,
	RECORD_STREAMS
};

#define RECORD_BOTH ((1u << RECORD_STREAMS) - 1) /* streams, or'ed */

/* The longest runtime's time kept for a record; longer ones are none. */
#define RECORD_TIME_MAX 48

struct record_join {
	struct buf buf;	     /* a record's pieces so far */
	int	   open;     /* a record is being joined */
	int	   dropping; /* it went over maxline */
	size_t	   tlen;     /* its first piece's time, as written */
	char	   time[RECORD_TIME_MAX];
};

/*
 * One log's records: what is joined between two of its lines. Docker's
 * lines are read with ix, the caller's, which any number of records read
 * one line at a time may share.
 */
struct record {
	enum record_format  fmt;
	unsigned	    streams; /* 1 << stream, or'ed: the streams
					read (record_init(): both) */
	size_t		    maxline;
	struct record_join  j[RECORD_STREAMS];
	struct json_index  *ix;
	struct record_stats st;
};

/*
 * A record, and the time its runtime wrote with its first piece: RFC 3339
 * text as written (Docker's "time", the first field of a CRI line), none
 * for plain lines.
 */
typedef void record_fn(void *arg, const char *rec, size_t len,
    const struct rtime *time);

void record_init(struct record *, enum record_format, size_t maxline,
    struct json_index *ix);
void record_free(struct record *);

/* One line of the file (no newline): fn for each record it completes. */
void record_line(struct record *, const char *line, size_t len, record_fn *fn,
    void *arg);

/*
 * The log's files are read to their end: a record whose last piece never
 * came is delivered as it stands, standard output's first.
 */
void record_flush(struct record *, record_fn *fn, void *arg);

/* Whether a record is being joined in a stream. */
int record_open(const struct record *);

/* What a file argument's prefix asks for. */
struct record_kind {
	enum record_format fmt;
	unsigned	   streams; /* as struct record's */
};

/*
 * The format and streams a file argument names by its prefix:
 * "docker:", "cri:", or either with "+stdout" or "+stderr" before the
 * colon ("docker+stdout:") for one stream only; and the path after it.
 * A plain path is RECORD_PLAIN, itself.
 */
const char *record_prefix(const char *arg, struct record_kind *);

/* The format's name, for messages: "plain", "docker", "cri". */
const char *record_format_name(enum record_format);

/*
 * A record half-joined, as restart state keeps it with the position of
 * its log's files (see state.h): the kind and the version of the
 * encoding, then the fields "LOG" FORMAT STREAM DROPPING "TIME" "PIECES":
 * the log's name (a followed path), its format's name, the stream's name
 * ("stdout", "stderr"), 1 when the record went over the cap (PIECES then
 * empty), the runtime's time of its first piece ("" for none), and the
 * pieces joined so far. Version 1 had neither STREAM (its records are
 * standard output's) nor TIME, version 2 no TIME.
 */
#define RECORD_POS_KIND	   "record"
#define RECORD_POS_VERSION 3

/* The position of the record being joined in a stream of r. */
void record_pos_encode(const char *log, const struct record *,
    enum record_stream, struct buf *);

/*
 * Decodes the fields of a record position into *r, a record initialised
 * by the caller (its format is set from the position's, the stream's
 * record opened), and *log, allocated (the caller frees it). Pieces over
 * r's cap, lowered since, leave the record dropping. Returns 0, or -1
 * with *at, the offset in data of what is wrong, and a message in err;
 * r is then unchanged.
 */
int record_pos_decode(uint64_t version, const char *data, size_t len,
    struct record *r, char **log, size_t *at, char *err, size_t errlen);

#endif
