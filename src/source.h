/*
 * source.h: historical log files for one-shot mode, plain or gzip, in the
 * order logrotate made them.
 */
#ifndef LOGMETRICS_SOURCE_H
#define LOGMETRICS_SOURCE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct source_stats {
	uint64_t    lines;
	uint64_t    bytes;    /* bytes read (uncompressed) */
	uint64_t    toolong;  /* lines over the cap, skipped */
	struct buf  last;     /* the last line read (a copy) */
	const char *inflater; /* "ISA-L" or "zlib" for gzip, or NULL */
};

typedef void source_line_fn(void *arg, const char *line, size_t len);

/*
 * Orders paths oldest first, in place: files of one log together, higher
 * rotation numbers first ("bot.log.3.gz", "bot.log.2.gz", "bot.log.1",
 * "bot.log"), dated rotations ("bot.log-20251124") by date before the live
 * file. Different logs keep the order of their first mention; "-"
 * (standard input) is a log of its own.
 */
void source_sort(char **paths, size_t n);

/*
 * A file name (or path) read as a rotation: the live file's name, then
 * '.' or '-' and a suffix of digits with '-', '_' or '.' between them,
 * then ".gz" when gzipped. "bot.log.3.gz" is "bot.log" numbered 3;
 * "bot.log-20261206" and "bot.log-2026-12-06-1700" are dated (suffixes
 * of one format sort as their dates); "bot.log" is no rotation.
 */
struct rotname {
	size_t		   stemlen; /* the live file's name: [0, stemlen) */
	int		   rotated;
	int		   numbered; /* ".N": num is N */
	unsigned long long num;
	const char	  *suffix; /* from the '.' or '-', ".gz" aside */
	size_t		   suffixlen;
	int		   gz;
};

void source_rotname(const char *name, struct rotname *);

/*
 * Reads path to its end, gzip or plain (by its magic bytes), calling fn
 * for every line, a last line without newline included; "-" is standard
 * input, read as it comes. Lines longer than maxline are skipped and
 * counted. Returns 0, or -1 with "path: offset N: reason" in err; lines
 * before the failure have been delivered.
 */
int source_read(const char *path, size_t maxline, source_line_fn *fn, void *arg,
    struct source_stats *, char *err, size_t errlen);

/* How messages name path: "standard input" for "-". */
const char *source_name(const char *path);

/*
 * source_read() from byte skip of the text (inflated, for gzip), the end
 * of a complete line (a file, not standard input). Offsets in err count
 * from the start of the text.
 */
int source_read_at(const char *path, uint64_t skip, size_t maxline,
    source_line_fn *fn, void *arg, struct source_stats *, char *err,
    size_t errlen);

/*
 * Up to n bytes of the start of the text of path (inflated, for gzip).
 * Returns how many, or -1.
 */
ssize_t source_head(const char *path, void *buf, size_t n);

/*
 * Up to n bytes of the text of path from byte off (inflated up to there,
 * for gzip). Returns how many, or -1.
 */
ssize_t source_pread(const char *path, void *buf, size_t n, uint64_t off);

#endif
