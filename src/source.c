/*
 * source.c: one-shot reading of plain and gzip log files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#ifdef HAVE_ISAL
#include <dlfcn.h>
#include <isa-l/igzip_lib.h>
#endif

#include "lines.h"
#include "source.h"

static int
suffix_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

void
source_rotname(const char *name, struct rotname *r)
{
	size_t n = strlen(name), end = n, i, k;

	memset(r, 0, sizeof(*r));
	r->stemlen = n;
	if (end > 3 && strcmp(name + end - 3, ".gz") == 0) {
		r->gz = 1;
		end -= 3;
	}
	if (end == 0 || !isdigit((unsigned char)name[end - 1]))
		return;
	for (i = end; i > 0 && suffix_char(name[i - 1]); i--)
		;
	/* The suffix starts at the first separator before a digit. */
	for (k = i; k + 1 < end; k++)
		if ((name[k] == '.' || name[k] == '-') &&
		    isdigit((unsigned char)name[k + 1]))
			break;
	if (k + 1 >= end || k == 0)
		return;
	r->rotated = 1;
	r->stemlen = k;
	r->suffix = name + k;
	r->suffixlen = end - k;
	for (i = k + 1; i < end && isdigit((unsigned char)name[i]); i++)
		;
	if (name[k] == '.' && i == end && end - k - 1 <= 18) {
		r->numbered = 1;
		r->num = strtoull(name + k + 1, NULL, 10);
	}
}

/* What orders one path among the rotations of its log. */
struct rotkey {
	char	      *path;
	struct rotname rn;
	int	       group; /* first mention of the stem */
	size_t	       pos;   /* original position */
};

/*
 * Rotations before the live file; numbered ones by decreasing number,
 * dated ones by their suffix (their date), numbered before dated.
 */
static int
rotkey_cmp(const void *a, const void *b)
{
	const struct rotkey *x = a, *y = b;
	size_t		     n;
	int		     c;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->rn.rotated != y->rn.rotated)
		return x->rn.rotated ? -1 : 1;
	if (x->rn.rotated && x->rn.numbered != y->rn.numbered)
		return x->rn.numbered ? -1 : 1;
	if (x->rn.numbered && x->rn.num != y->rn.num)
		return x->rn.num > y->rn.num ? -1 : 1; /* .3 before .2 */
	if (x->rn.rotated && !x->rn.numbered) {
		n = x->rn.suffixlen < y->rn.suffixlen ? x->rn.suffixlen :
							y->rn.suffixlen;
		if ((c = memcmp(x->rn.suffix, y->rn.suffix, n)) != 0)
			return c;
		if (x->rn.suffixlen != y->rn.suffixlen)
			return x->rn.suffixlen < y->rn.suffixlen ? -1 : 1;
	}
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void
source_sort(char **paths, size_t n)
{
	struct rotkey *k;
	size_t	       i, j;

	k = xcalloc(n, sizeof(*k));
	for (i = 0; i < n; i++) {
		k[i].path = paths[i];
		k[i].pos = i;
		source_rotname(paths[i], &k[i].rn);
		k[i].group = (int)i;
		for (j = 0; j < i; j++)
			if (k[j].rn.stemlen == k[i].rn.stemlen &&
			    memcmp(k[j].path, k[i].path, k[i].rn.stemlen) ==
				0) {
				k[i].group = k[j].group;
				break;
			}
	}
	qsort(k, n, sizeof(*k), rotkey_cmp);
	for (i = 0; i < n; i++)
		paths[i] = k[i].path;
	free(k);
}

/*
 * A gzip file is inflated on a thread of its own, a few slots ahead of the
 * line splitter, so decompression and matching run side by side on two
 * cores instead of one after the other. With ISA-L (igzip) the thread
 * inflates about 2.5 times as fast as with zlib, and matching alone sets
 * the pace. ISA-L is loaded for the first .gz file only, so that a run
 * over plain logs does not map it; where it is missing, zlib inflates.
 */
#define GZ_SLOTS 4
#define GZ_SLOT	 (256 * 1024)
#define GZ_IN	 (128 * 1024) /* compressed bytes read at once */

struct inflater {
	int	       fd;
	unsigned char *in;     /* GZ_IN compressed bytes */
	int	       eof;    /* nothing more to read */
	int	       done;   /* the last member ended */
	int	       failed; /* msg says why */
	int	       ended;  /* a member ended (zlib) */
	z_stream       zs;     /* zlib's, when is is NULL */
#ifdef HAVE_ISAL
	struct inflate_state *is;
#endif
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t	cond;
	char	       *buf[GZ_SLOTS];
	int		len[GZ_SLOTS]; /* bytes; 0 the end; -1 an error */
	unsigned	head;	       /* slots filled */
	unsigned	tail;	       /* slots used up */
	char		msg[256];
};

/*
 * Reads more compressed bytes after the avail bytes still unused at
 * *next, which move to the start of z->in. Returns 0, or -1 with z->msg
 * set.
 */
static int
inflate_feed(struct inflater *z, unsigned char **next, unsigned *avail)
{
	ssize_t n;

	if (*avail > 0 && *next != z->in)
		memmove(z->in, *next, *avail);
	while ((n = read(z->fd, z->in + *avail, GZ_IN - *avail)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1) {
		snprintf(z->msg, sizeof(z->msg), "%s", strerror(errno));
		z->failed = 1;
		return -1;
	}
	if (n == 0)
		z->eof = 1;
	*next = z->in;
	*avail += (unsigned)n;
	return 0;
}

/*
 * After a member ended: 1 when another begins at *next, 0 when the
 * stream is done (bytes after a member that do not start another are
 * ignored, as gzread() ignores them), -1 when reading failed.
 */
static int
member_follows(struct inflater *z, unsigned char **next, unsigned *avail)
{
	while (*avail < 2 && !z->eof)
		if (inflate_feed(z, next, avail) == -1)
			return -1;
	if (*avail < 2 || (*next)[0] != 0x1f || (*next)[1] != 0x8b) {
		z->done = 1;
		return 0;
	}
	return 1;
}

/*
 * Inflating made no way on with avail bytes in: more are read when there
 * is room, else the input ended inside a member or is not gzip. Returns
 * 0 to try again, or -1 with z->msg set.
 */
static int
inflate_stalled(struct inflater *z, unsigned char **next, unsigned *avail)
{
	if (!z->eof && *avail < GZ_IN)
		return inflate_feed(z, next, avail);
	snprintf(z->msg, sizeof(z->msg), "%s",
	    z->eof ? "unexpected end of file" : "invalid compressed data");
	z->failed = 1;
	return -1;
}

/*
 * Inflates up to cap bytes into out with zlib. Members follow one another
 * as gzread() reads them. A file that ends inside a member, or damaged
 * data, is an error reported once the bytes before it are out.
 */
static int
zlib_slot(struct inflater *z, char *out, size_t cap)
{
	z_stream *s = &z->zs;
	unsigned  in, left;
	int	  rc;

	if (z->failed)
		return -1;
	s->next_out = (unsigned char *)out;
	s->avail_out = (unsigned)cap;
	while (s->avail_out > 0 && !z->done && !z->failed) {
		if (z->ended) {
			if (member_follows(z, &s->next_in, &s->avail_in) != 1)
				break;
			inflateReset(s);
			z->ended = 0;
		}
		if (s->avail_in == 0 && !z->eof &&
		    inflate_feed(z, &s->next_in, &s->avail_in) == -1)
			break;
		in = s->avail_in;
		left = s->avail_out;
		rc = inflate(s, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			z->ended = 1;
		else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(z->msg, sizeof(z->msg), "%s",
			    s->msg != NULL ? s->msg : zError(rc));
			z->failed = 1;
		} else if (s->avail_in == in && s->avail_out == left)
			(void)inflate_stalled(z, &s->next_in, &s->avail_in);
	}
	if (z->failed && s->avail_out == cap)
		return -1;
	return (int)(cap - s->avail_out);
}

#ifdef HAVE_ISAL
/* The ISA-L functions used, once loaded. */
static struct {
	pthread_once_t once;
	int	       ok;
	void (*init)(struct inflate_state *);
	void (*reset)(struct inflate_state *);
	int (*inflate)(struct inflate_state *);
} isal = { PTHREAD_ONCE_INIT, 0, NULL, NULL, NULL };

static void
isal_load(void)
{
	void *h, *f[3];

	if ((h = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL)) == NULL)
		return;
	f[0] = dlsym(h, "isal_inflate_init");
	f[1] = dlsym(h, "isal_inflate_reset");
	f[2] = dlsym(h, "isal_inflate");
	if (f[0] == NULL || f[1] == NULL || f[2] == NULL) {
		dlclose(h);
		return;
	}
	/* POSIX: a symbol's address converts to a function pointer. */
	memcpy(&isal.init, &f[0], sizeof(f[0]));
	memcpy(&isal.reset, &f[1], sizeof(f[1]));
	memcpy(&isal.inflate, &f[2], sizeof(f[2]));
	isal.ok = 1;
}

/* What an ISA-L error code means, in zlib's words where it has them. */
static const char *
isal_strerror(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK:
		return "invalid block type or lengths";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "incorrect header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	}
	return "invalid compressed data";
}

/* zlib_slot() with ISA-L, which reads the same files to the same end. */
static int
isal_slot(struct inflater *z, char *out, size_t cap)
{
	struct inflate_state *is = z->is;
	enum isal_block_state state;
	unsigned char	     *next_in;
	uint32_t	      in, left;
	int		      rc;

	if (z->failed)
		return -1;
	is->next_out = (uint8_t *)out;
	is->avail_out = (uint32_t)cap;
	while (is->avail_out > 0 && !z->done && !z->failed) {
		if (is->block_state == ISAL_BLOCK_FINISH) {
			if (member_follows(z, &is->next_in, &is->avail_in) != 1)
				break;
			next_in = is->next_in;
			in = is->avail_in;
			isal.reset(is);
			is->crc_flag = ISAL_GZIP;
			is->next_in = next_in;
			is->avail_in = in;
		}
		if (is->avail_in == 0 && !z->eof &&
		    inflate_feed(z, &is->next_in, &is->avail_in) == -1)
			break;
		in = is->avail_in;
		left = is->avail_out;
		state = is->block_state;
		if ((rc = isal.inflate(is)) < 0) {
			snprintf(z->msg, sizeof(z->msg), "%s",
			    isal_strerror(rc));
			z->failed = 1;
		} else if (is->avail_in == in && is->avail_out == left &&
		    is->block_state == state)
			(void)inflate_stalled(z, &is->next_in, &is->avail_in);
	}
	if (z->failed && is->avail_out == cap)
		return -1;
	return (int)(cap - is->avail_out);
}
#endif

/* Sets z up to inflate with ISA-L; -1 when it is not there. */
static int
isal_start(struct inflater *z)
{
#ifdef HAVE_ISAL
	pthread_once(&isal.once, isal_load);
	if (isal.ok) {
		z->is = xmalloc(sizeof(*z->is));
		isal.init(z->is);
		z->is->crc_flag = ISAL_GZIP;
		return 0;
	}
#else
	(void)z;
#endif
	return -1;
}

/*
 * Inflates up to cap bytes into out. Returns the count, 0 at the end, -1
 * with z->msg set.
 */
static int
inflate_slot(struct inflater *z, char *out, size_t cap)
{
#ifdef HAVE_ISAL
	if (z->is != NULL)
		return isal_slot(z, out, cap);
#endif
	return zlib_slot(z, out, cap);
}

static void *
inflater_run(void *arg)
{
	struct inflater *z = arg;
	int		 n;

	for (;;) {
		pthread_mutex_lock(&z->lock);
		while (z->head - z->tail == GZ_SLOTS)
			pthread_cond_wait(&z->cond, &z->lock);
		pthread_mutex_unlock(&z->lock);
		n = inflate_slot(z, z->buf[z->head % GZ_SLOTS], GZ_SLOT);
		pthread_mutex_lock(&z->lock);
		z->len[z->head % GZ_SLOTS] = n;
		z->head++;
		pthread_cond_broadcast(&z->cond);
		pthread_mutex_unlock(&z->lock);
		if (n <= 0)
			return NULL;
	}
}

/* Frees what inflater_start() made and closes the file. */
static void
inflater_free(struct inflater *z)
{
	int i;

	for (i = 0; i < GZ_SLOTS; i++)
		free(z->buf[i]);
	pthread_mutex_destroy(&z->lock);
	pthread_cond_destroy(&z->cond);
	close(z->fd);
	free(z->in);
#ifdef HAVE_ISAL
	if (z->is != NULL) {
		free(z->is);
		return;
	}
#endif
	inflateEnd(&z->zs);
}

/*
 * Starts inflating the gzip stream open on fd, which the inflater owns
 * from now on, even when it fails (-1, z->msg says why). The n bytes at
 * start were read from fd already.
 */
static int
inflater_start(struct inflater *z, int fd, const void *start, unsigned n)
{
	int i;

	memset(z, 0, sizeof(*z));
	z->fd = fd;
	z->in = xmalloc(GZ_IN);
	memcpy(z->in, start, n);
	if (isal_start(z) == 0) {
#ifdef HAVE_ISAL
		z->is->next_in = z->in;
		z->is->avail_in = n;
#endif
	} else {
		z->zs.next_in = z->in;
		z->zs.avail_in = n;
		if (inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK) {
			snprintf(z->msg, sizeof(z->msg), "%s",
			    z->zs.msg != NULL ? z->zs.msg : "out of memory");
			close(fd);
			free(z->in);
			return -1;
		}
	}
	for (i = 0; i < GZ_SLOTS; i++)
		z->buf[i] = xmalloc(GZ_SLOT);
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->cond, NULL);
	if (pthread_create(&z->thread, NULL, inflater_run, z) != 0) {
		snprintf(z->msg, sizeof(z->msg), "cannot start a thread");
		inflater_free(z);
		return -1;
	}
	return 0;
}

/*
 * The next slot of inflated bytes: sets *p and returns their count, 0 at
 * the end, -1 on an error (z->msg says which). Waits for the thread. The
 * bytes stay the caller's until inflater_put().
 */
static int
inflater_get(struct inflater *z, const char **p)
{
	int len;

	pthread_mutex_lock(&z->lock);
	while (z->head == z->tail)
		pthread_cond_wait(&z->cond, &z->lock);
	len = z->len[z->tail % GZ_SLOTS];
	pthread_mutex_unlock(&z->lock);
	*p = z->buf[z->tail % GZ_SLOTS];
	return len;
}

/* Hands the slot from inflater_get() back to the thread. */
static void
inflater_put(struct inflater *z)
{
	pthread_mutex_lock(&z->lock);
	z->tail++;
	pthread_cond_broadcast(&z->cond);
	pthread_mutex_unlock(&z->lock);
}

/* Waits for the thread, which has stopped at the end or an error. */
static void
inflater_stop(struct inflater *z)
{
	pthread_join(z->thread, NULL);
	inflater_free(z);
}

/*
 * Delivers every complete line in the splitter and keeps the last: by
 * pointer while it stays valid, else copied at once (a line the splitter
 * may move on the next call, once per slot of lent bytes).
 */
static void
drain(struct lines *l, source_line_fn *fn, void *arg, struct source_stats *st)
{
	const char *line, *last = NULL;
	size_t	    len, lastlen = 0;

	while ((line = lines_next(l, &len)) != NULL) {
		st->lines++;
		fn(arg, line, len);
		if (l->ext != NULL && !l->lent) {
			buf_reset(&st->last);
			buf_append(&st->last, line, len);
			last = NULL;
		} else {
			last = line;
			lastlen = len;
		}
	}
	if (last != NULL) {
		buf_reset(&st->last);
		buf_append(&st->last, last, lastlen);
	}
}

int
source_read(const char *path, size_t maxline, source_line_fn *fn, void *arg,
    struct source_stats *st, char *err, size_t errlen)
{
	return source_read_at(path, 0, maxline, fn, arg, st, err, errlen);
}

const char *
source_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard input" : path;
}

/* Reads up to n bytes, fewer only at the end. Returns how many, or -1. */
static ssize_t
read_full(int fd, void *buf, size_t n)
{
	size_t	got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, (char *)buf + got, n - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
source_read_at(const char *path, uint64_t skip, size_t maxline,
    source_line_fn *fn, void *arg, struct source_stats *st, char *err,
    size_t errlen)
{
	const char     *name = source_name(path);
	uint64_t	before;
	size_t		off;
	struct lines	l;
	unsigned char	magic[2];
	struct inflater z;
	int		gz = 0;
	char	       *space;
	const char     *slot;
	size_t		avail;
	ssize_t		n;
	int		fd, rc = -1;
	const char     *msg;

	lines_init(&l, maxline);
	if (strcmp(path, "-") == 0)
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto end;
	}
	/* Read, not peeked: standard input may be a pipe. */
	if ((n = read_full(fd, magic, sizeof(magic))) == -1) {
		snprintf(err, errlen, "%s: offset 0: %s", name,
		    strerror(errno));
		close(fd);
		goto end;
	}
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		if (inflater_start(&z, fd, magic, 2) == -1) {
			snprintf(err, errlen, "%s: %s", name, z.msg);
			goto end;
		}
		gz = 1;
#ifdef HAVE_ISAL
		st->inflater = z.is != NULL ? "ISA-L" : "zlib";
#else
		st->inflater = "zlib";
#endif
	} else if (skip > 0) {
		if (lseek(fd, (off_t)skip, SEEK_SET) == -1) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			close(fd);
			goto end;
		}
		st->bytes += skip;
	} else if (n > 0) {
		space = lines_space(&l, &avail);
		memcpy(space, magic, (size_t)n);
		st->bytes += (uint64_t)n;
		lines_commit(&l, (size_t)n);
	}
	for (;;) {
		if (gz) {
			/* Split in place in the slot, then hand it back. */
			if ((n = inflater_get(&z, &slot)) > 0) {
				before = st->bytes;
				st->bytes += (uint64_t)n;
				if (st->bytes > skip) {
					off = before < skip ?
					    (size_t)(skip - before) :
					    0;
					lines_attach(&l, slot + off,
					    (size_t)n - off);
					drain(&l, fn, arg, st);
				}
				inflater_put(&z);
				continue;
			}
			msg = z.msg;
		} else {
			space = lines_space(&l, &avail);
			if (avail > 256 * 1024)
				avail = 256 * 1024;
			if ((n = read(fd, space, avail)) > 0) {
				st->bytes += (uint64_t)n;
				lines_commit(&l, (size_t)n);
				drain(&l, fn, arg, st);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			msg = strerror(errno);
		}
		if (n == 0)
			break;
		snprintf(err, errlen, "%s: offset %llu: %s", name,
		    (unsigned long long)st->bytes, msg);
		goto out;
	}
	/* A last line without newline counts once the file is complete. */
	if (lines_pending(&l) > 0) {
		space = lines_space(&l, &avail);
		space[0] = '\n';
		lines_commit(&l, 1);
		drain(&l, fn, arg, st);
	}
	rc = 0;
out:
	st->toolong += l.toolong;
	if (gz)
		inflater_stop(&z);
	else
		close(fd);
end:
	lines_free(&l);
	return rc;
}

ssize_t
source_pread(const char *path, void *buf, size_t n, uint64_t off)
{
	gzFile gz;
	int    got = -1;

	if ((gz = gzopen(path, "rb")) == NULL)
		return -1;
	/* Forward in a gzip text: inflated up to off. */
	if ((z_off_t)off < 0 || (uint64_t)(z_off_t)off != off ||
	    (off > 0 && gzseek(gz, (z_off_t)off, SEEK_SET) != (z_off_t)off))
		goto done;
	got = gzread(gz, buf, (unsigned)n);
done:
	gzclose(gz);
	return got < 0 ? -1 : (ssize_t)got;
}

ssize_t
source_head(const char *path, void *buf, size_t n)
{
	return source_pread(path, buf, n, 0);
}
