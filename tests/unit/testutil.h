/*
 * testutil.h: what the unit tests share: temporary directories and the
 * files in them, open descriptors, metric declarations and the TLS test
 * certificate. Failures are Criterion assertions.
 */
#ifndef LOGMETRICS_TESTUTIL_H
#define LOGMETRICS_TESTUTIL_H

#include <stddef.h>

#include "metrics.h"

/*
 * Makes a new directory /tmp/PREFIX.XXXXXX and returns its path (kept
 * until tu_cleanup). tu_cleanup, a suite's .fini, removes every directory
 * made since with all it holds, also after a test that failed.
 */
const char *tu_tmpdir(const char *prefix);
void	    tu_cleanup(void);

/* dir/name in a buffer of the caller's; the path must fit. */
char *tu_path(char *buf, size_t len, const char *dir, const char *name);

/* Writes n bytes as the whole of path (created 0644 or truncated). */
void tu_write(const char *path, const void *data, size_t n);
/* Writes a string as the whole of path. */
void tu_write_str(const char *path, const char *text);
/* Appends a string to path, created when missing. */
void tu_append_str(const char *path, const char *text);

/*
 * Calls fn for every open descriptor of the process (but the one reading
 * the list) with what /proc/self/fd says it leads to: a path, with
 * " (deleted)" after a deleted file's, or "anon_inode:inotify" and such.
 */
void tu_fds(void (*fn)(int fd, const char *target, void *arg), void *arg);
/* The process's open file descriptors. */
int tu_count_fds(void);

/*
 * A declaration of a metric from test.rules, line 1; the strings and
 * labels are the caller's and not copied.
 */
struct metric_decl tu_decl(const char *name, const char *help,
    enum metric_type type, char **labels, size_t nlabels);

/* A new registry holding exactly these declarations (asserted valid). */
struct registry *tu_registry(const struct metric_decl *, size_t n);

/*
 * A self-signed certificate for localhost and 127.0.0.1 (EC P-256, valid
 * to 2126), its key, and a valid key that is not its.
 */
extern const char tu_tls_cert[];
extern const char tu_tls_key[];
extern const char tu_other_key[];

struct buf;

/* Appends data[0..n) to out as one gzip member. */
void tu_gz_member(struct buf *out, const char *data, size_t n);

#endif
