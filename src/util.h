/*
 * util.h: growable byte buffers and small helpers shared by every module.
 */
#ifndef LOGMETRICS_UTIL_H
#define LOGMETRICS_UTIL_H

#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A growable byte buffer; p is always NUL-terminated when cap > 0. */
struct buf {
	char  *p;
	size_t len;
	size_t cap;
};

/* A borrowed byte string: not NUL-terminated, not owned. */
struct str {
	const char *p;
	size_t	    n;
};

/*
 * The time a record's source wrote with it, for a record the rules read
 * no time from: RFC 3339 text as written (a container runtime's), or
 * Unix seconds (the journal's); none when text.n is 0 and secs negative.
 */
struct rtime {
	struct str text;
	double	   secs;
};

#define RTIME_NONE            \
	{                     \
		{ "", 0 }, -1 \
	}

void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_reset(struct buf *);
void buf_reserve(struct buf *, size_t);
void buf_append(struct buf *, const void *, size_t);
void buf_putc(struct buf *, int);
void buf_puts(struct buf *, const char *);
void buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
/* Hands the buffer's bytes to the caller (who frees them) and resets it. */
char *buf_release(struct buf *);

/* Allocation that aborts the process with a message when memory runs out. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
/*
 * Grows an array filled one element at a time: called before element n
 * is stored, it doubles the room when n is 0 or a power of two.
 */
void *xgrow(void *, size_t n, size_t size);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Frees n strings and the array holding them; NULL is fine. */
void strv_free(char **, size_t);

/* Wall clock as Unix seconds with sub-second precision. */
double now_wall(void);
/* Monotonic clock in seconds. */
double now_mono(void);

/*
 * What a path leads to, as far as telling another file from the one read
 * goes: device, inode, size, time of last write (through links), or that
 * it is missing. Zeroed first, so that two compare with memcmp().
 */
struct file_stamp {
	uint64_t dev, ino, size;
	int64_t	 mtime_ns;
	int	 missing;
	int	 dir;
};
void file_stamp(const char *path, struct file_stamp *);

/*
 * Formats a sample value the way Prometheus expects: integers without a
 * fraction, +Inf, -Inf, NaN, else the shortest decimal that reads back
 * exactly. Writes at most 32 bytes including the NUL; returns the length.
 */
size_t fmt_double(char *, double);

/*
 * Length of the well-formed UTF-8 sequence at p (p < end), or 0 with *bad
 * set to the length of its maximal ill-formed subpart (Unicode Table 3-7),
 * which is written as one U+FFFD.
 */
size_t utf8_seq(const unsigned char *p, const unsigned char *end, size_t *bad);

/*
 * The value of the decimal digits ip[0..ni) followed by fp[0..nf), times
 * 10^e10, negated when neg, correctly rounded. Small mantissas and
 * exponents take the exact path (one IEEE multiplication or division of
 * two exact values); the rest is spelled out for strtod(). Returns 0, or
 * -1 when the result is not finite.
 */
int decimal_value(int neg, const char *ip, size_t ni, const char *fp, size_t nf,
    long e10, double *out);

/*
 * A decimal number -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?, the whole of
 * s[0..n), times 10^-scale, correctly rounded. Returns 0, or -1 when s is
 * not one or the value is not finite.
 */
int decimal_parse(const char *s, size_t n, int scale, double *out);

/*
 * Fields of a text record, one space before each (the state file's):
 * byte strings in double quotes with every byte outside '!'..'~', and '"'
 * and '\', written \xNN; unsigned numbers in canonical decimal; 64-bit
 * values as 16 lower-case hex digits.
 */
void field_put_str(struct buf *, const void *, size_t);
void field_put_u64(struct buf *, unsigned long long);
void field_put_x64(struct buf *, unsigned long long);

/*
 * Splits p[0..n), fields each after one space, into at most max fields.
 * Returns how many, or -1 when a field is empty, there are more than max
 * or p does not start with a space.
 */
int field_split(const char *p, size_t n, struct str *f, size_t max);

/* Each returns 0, or -1 when the field is not of its kind. */
int field_u64(const struct str *, unsigned long long *);
int field_hex(const struct str *, size_t digits, unsigned long long *);

/*
 * Decodes a quoted field into a new NUL-terminated string (the caller
 * frees it) and its length; a NUL byte is refused unless binary. Returns
 * 0, or -1 with *at the offset in the field of the fault and *why what it
 * is, NULL for a byte that should have been escaped.
 */
int field_str(const struct str *, int binary, char **out, size_t *outlen,
    size_t *at, const char **why);

/*
 * Appends the whole file at path to out: at most max bytes (0: no limit;
 * EFBIG past it), and only a regular file with READ_REGULAR (EINVAL for
 * anything else, which is not even read). st, when not NULL, receives the
 * file's fstat. Returns 0, or -1 with errno set.
 */
#define READ_REGULAR 0x01
int read_file(const char *path, size_t max, int flags, struct buf *out,
    struct stat *st);

/*
 * A file replaced atomically, written as a stream: atomic_open() creates
 * PATH.tmp.PID beside path, for the caller to write to a->fp;
 * atomic_commit() flushes and syncs it, renames it over path and syncs
 * the directory; atomic_abort() removes it. atomic_open and atomic_commit
 * return 0, or -1 with errno set and nothing left behind.
 */
struct atomic {
	FILE	   *fp;
	char	   *tmp;
	const char *path;
};

int  atomic_open(struct atomic *, const char *path);
int  atomic_commit(struct atomic *);
void atomic_abort(struct atomic *);

/* The whole of data as the file at path, atomically. Returns 0 or -1. */
int write_atomic(const char *path, const void *data, size_t len);

#endif
