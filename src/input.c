/*
 * input.c: the inputs of follow mode (the followed files, standard input)
 * and the one wait over all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "input.h"
#include "lines.h"
#include "log.h"
#include "util.h"

#define STDIN_READ   (256 * 1024) /* bytes read at once */
#define STDIN_BUDGET (4u << 20)	  /* bytes read per call: others get turns */

/*
 * The followed files: the tail, and where a pattern names a container
 * runtime's format, a record stage per followed path (a log: the file its
 * path names and the files it was renamed to, read in order). A record
 * cut by a rotation is joined across the files. A log whose path is no
 * longer followed (its file and directory gone) delivers a record left
 * half-joined as it stands, as one-shot mode does at the end of a log.
 */
struct flog {
	char	     *path;
	struct record rec;
	int	      seen;
	int	      told; /* bad lines, records dropped: said once */
};

struct files {
	struct tail	       *t;
	struct record_kind     *kinds; /* per pattern */
	size_t			nkinds;
	int			wrapped; /* some pattern is not plain */
	size_t			maxline;
	struct json_index	ix;   /* shared by the logs' records */
	struct flog	      **logs; /* by path */
	size_t			nlogs;
	struct flog	       *last; /* the last line's */
	const struct tail_file *lasttf;
	uint64_t		scans; /* at the last look for logs gone */
	/* During a read: where records go, and the line's file. */
	input_line_fn	 *fn;
	void		 *arg;
	struct tail_file *tf;
};

static const struct rtime no_time = RTIME_NONE;

static int
flog_cmp(const void *key, const void *elem)
{
	const struct flog *const *l = elem;

	return strcmp(key, (*l)->path);
}

/* The log of path, or NULL; *at is where it is or would go. */
static struct flog *
flog_find(const struct files *f, const char *path, size_t *at)
{
	size_t lo = 0, hi = f->nlogs, mid;
	int    c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = flog_cmp(path, &f->logs[mid])) == 0) {
			*at = mid;
			return f->logs[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return NULL;
}

/* The format and streams of a followed path: its pattern's. */
static struct record_kind
files_kind(const struct files *f, const char *path)
{
	struct record_kind plain = { RECORD_PLAIN, RECORD_BOTH };
	int		   i = tail_pattern(f->t, path);

	return i >= 0 && (size_t)i < f->nkinds ? f->kinds[i] : plain;
}

static struct flog *
flog_get(struct files *f, const char *path)
{
	struct record_kind k;
	struct flog	  *l;
	size_t		   at;

	if ((l = flog_find(f, path, &at)) != NULL)
		return l;
	k = files_kind(f, path);
	l = xcalloc(1, sizeof(*l));
	l->path = xstrdup(path);
	record_init(&l->rec, k.fmt, f->maxline, &f->ix);
	l->rec.streams = k.streams;
	f->logs = xreallocarray(f->logs, f->nlogs + 1, sizeof(*f->logs));
	memmove(&f->logs[at + 1], &f->logs[at],
	    (f->nlogs - at) * sizeof(*f->logs));
	f->logs[at] = l;
	f->nlogs++;
	f->last = NULL;
	return l;
}

static void
flog_free(struct flog *l)
{
	record_free(&l->rec);
	free(l->path);
	free(l);
}

/* The first bad wrapper line, and the first record dropped, are said. */
static void
flog_tell(struct flog *l)
{
	const char *fmt = record_format_name(l->rec.fmt);

	if (!(l->told & 1) && l->rec.st.bad > 0) {
		l->told |= 1;
		log_warnx("%s: a line not in %s's format (cut by a crash?), "
			  "skipped; such lines are counted in "
			  "logmetrics_wrapper_lines_invalid_total",
		    l->path, fmt);
	}
	if (!(l->told & 2) && l->rec.st.toolong > 0) {
		l->told |= 2;
		log_warnx("%s: a record joined from %s's pieces over "
			  "--max-line-bytes, dropped whole; such records are "
			  "counted in logmetrics_records_too_long_total",
		    l->path, fmt);
	}
}

static void
files_record(void *arg, const char *rec, size_t len, const struct rtime *time)
{
	struct files *f = arg;

	f->fn(f->arg, f->tf, rec, len, time);
}

/* A line of a plain file: a record as it stands, without a time. */
static void
files_plain(void *arg, struct tail_file *tf, const char *line, size_t len)
{
	struct files *f = arg;

	f->fn(f->arg, tf, line, len, &no_time);
}

static void
files_line(void *arg, struct tail_file *tf, const char *line, size_t len)
{
	struct files *f = arg;

	/* Lines come in runs per file: the last log is tried first. */
	if (f->last == NULL || f->lasttf != tf ||
	    strcmp(f->last->path, tf->path) != 0) {
		f->last = flog_get(f, tf->path);
		f->lasttf = tf;
	}
	f->tf = tf;
	record_line(&f->last->rec, line, len, files_record, f);
	if (f->last->told != 3 &&
	    (f->last->rec.st.bad > 0 || f->last->rec.st.toolong > 0))
		flog_tell(f->last);
}

static void
flog_seen(const struct tail_file *tf, void *arg)
{
	struct files *f = arg;
	struct flog  *l;
	size_t	      at;

	if ((l = flog_find(f, tf->path, &at)) != NULL)
		l->seen = 1;
}

/*
 * After a check of every path: the logs no longer followed are let go,
 * a record left half-joined delivered as it stands.
 */
static void
files_gone(struct files *f)
{
	struct tail_file gone;
	size_t		 i, k;

	for (i = 0; i < f->nlogs; i++)
		f->logs[i]->seen = 0;
	tail_foreach(f->t, flog_seen, f);
	for (i = k = 0; i < f->nlogs; i++) {
		if (f->logs[i]->seen) {
			f->logs[k++] = f->logs[i];
			continue;
		}
		memset(&gone, 0, sizeof(gone));
		gone.path = f->logs[i]->path;
		f->tf = &gone;
		record_flush(&f->logs[i]->rec, files_record, f);
		flog_free(f->logs[i]);
	}
	f->nlogs = k;
	f->last = NULL;
}

static int
files_fd(void *self)
{
	struct files *f = self;

	return tail_fd(f->t);
}

static double
files_due(void *self)
{
	struct files *f = self;

	return tail_due(f->t);
}

static int
files_read(void *self, input_line_fn *fn, void *arg)
{
	struct files	 *f = self;
	struct tail_stats ts;
	int		  rc;

	f->fn = fn;
	f->arg = arg;
	if (!f->wrapped) {
		rc = tail_read(f->t, files_plain, f);
		f->fn = NULL;
		f->arg = NULL;
		return rc;
	}
	rc = tail_read(f->t, files_line, f);
	tail_stats(f->t, &ts);
	if (ts.scans != f->scans) {
		f->scans = ts.scans;
		files_gone(f);
	}
	f->fn = NULL;
	f->arg = NULL;
	return rc;
}

static void
files_files(void *self, void (*fn)(const struct tail_file *, void *), void *arg)
{
	struct files *f = self;

	tail_foreach(f->t, fn, arg);
}

static void
files_stats(void *self, struct input_stats *st)
{
	struct files	 *f = self;
	struct tail_stats ts;

	tail_stats(f->t, &ts);
	memset(st, 0, sizeof(*st));
	st->overflows = ts.overflows;
	st->dirs = ts.dirs;
	st->dirs_left_out = ts.dirs_left_out;
}

static void
files_dirs(void *self, void (*fn)(const char *, int, void *), void *arg)
{
	struct files *f = self;

	tail_foreach_dir(f->t, fn, arg);
}

static void
files_records(void *self,
    void (*fn)(const char *, const struct record_stats *, void *), void *arg)
{
	struct files *f = self;
	size_t	      i;

	for (i = 0; i < f->nlogs; i++)
		if (f->logs[i]->rec.fmt != RECORD_PLAIN)
			fn(f->logs[i]->path, &f->logs[i]->rec.st, arg);
}

struct posenc {
	input_pos_fn *fn;
	void	     *arg;
};

static void
files_pos(const struct tail_pos *p, void *arg)
{
	struct posenc *pe = arg;
	struct buf     b;

	buf_init(&b);
	tail_pos_encode(p, &b);
	pe->fn(pe->arg, TAIL_POS_KIND, TAIL_POS_VERSION, b.p, b.len);
	buf_free(&b);
}

/* The files' positions, then the records half-joined in them. */
static void
files_positions(void *self, int64_t stamp, input_pos_fn *fn, void *arg)
{
	struct files *f = self;
	struct posenc pe = { fn, arg };
	struct buf    b;
	size_t	      i;
	int	      s;

	tail_positions(f->t, stamp, files_pos, &pe);
	buf_init(&b);
	for (i = 0; i < f->nlogs; i++)
		for (s = 0; s < RECORD_STREAMS; s++) {
			if (!f->logs[i]->rec.j[s].open)
				continue;
			buf_reset(&b);
			record_pos_encode(f->logs[i]->path, &f->logs[i]->rec,
			    (enum record_stream)s, &b);
			fn(arg, RECORD_POS_KIND, RECORD_POS_VERSION, b.p,
			    b.len);
		}
	buf_free(&b);
}

static void
files_free(void *self)
{
	struct files *f = self;
	size_t	      i;

	for (i = 0; i < f->nlogs; i++)
		flog_free(f->logs[i]);
	free(f->logs);
	json_free(&f->ix);
	free(f->kinds);
	tail_free(f->t);
	free(f);
}

struct input
input_files(struct tail *t, const struct record_kind *kinds, size_t n,
    size_t maxline)
{
	struct input  in;
	struct files *f;
	size_t	      i;

	f = xcalloc(1, sizeof(*f));
	f->t = t;
	f->kinds = xcalloc(n > 0 ? n : 1, sizeof(*f->kinds));
	for (i = 0; i < n; i++) {
		f->kinds[i].fmt = kinds != NULL ? kinds[i].fmt : RECORD_PLAIN;
		f->kinds[i].streams = kinds != NULL ? kinds[i].streams :
						      RECORD_BOTH;
		f->wrapped |= f->kinds[i].fmt != RECORD_PLAIN;
	}
	f->nkinds = n;
	f->maxline = maxline;
	json_init(&f->ix);
	memset(&in, 0, sizeof(in));
	in.name = "files";
	in.self = f;
	in.fd = files_fd;
	in.due = files_due;
	in.read = files_read;
	in.files = files_files;
	in.stats = files_stats;
	in.dirs = files_dirs;
	in.records = files_records;
	in.positions = files_positions;
	in.free = files_free;
	return in;
}

size_t
input_files_restore(struct input *in, const struct tail_pos *pos, size_t n,
    struct input_record *recs, size_t nrecs, double saved, input_line_fn *fn,
    void *arg, struct tail_restore *rs)
{
	struct files *f = in->self;
	struct flog  *l;
	size_t	      i, got = 0;
	int	      s;

	for (i = 0; i < nrecs; i++) {
		if (tail_pattern(f->t, recs[i].log) == -1 ||
		    files_kind(f, recs[i].log).fmt != recs[i].rec.fmt) {
			log_warnx("%s: a record half-joined in the state, its "
				  "path no longer followed as %s: dropped",
			    recs[i].log, record_format_name(recs[i].rec.fmt));
			continue;
		}
		l = flog_get(f, recs[i].log);
		for (s = 0; s < RECORD_STREAMS; s++) {
			if (!recs[i].rec.j[s].open ||
			    !(l->rec.streams & 1u << s))
				continue;
			buf_free(&l->rec.j[s].buf);
			l->rec.j[s] = recs[i].rec.j[s];
			memset(&recs[i].rec.j[s], 0, sizeof(recs[i].rec.j[s]));
			buf_init(&recs[i].rec.j[s].buf);
		}
		got++;
	}
	f->fn = fn;
	f->arg = arg;
	tail_restore(f->t, pos, n, saved, f->wrapped ? files_line : files_plain,
	    f, rs);
	f->fn = NULL;
	f->arg = NULL;
	return got;
}

/*
 * Standard input. Read only when poll(2) says it is ready, one read(2) at
 * a time, so that it never blocks and its file status flags (shared with
 * whoever else holds it, a terminal say) are left alone. Plain or gzip,
 * by its first two bytes, as in one-shot mode: gzip members one after
 * another are one stream, bytes after the last that start no other are
 * ignored, a stream that ends inside a member is an error.
 */
struct stdin_in {
	int		 fd; /* -1 once ended */
	struct lines	 l;
	struct tail_file pub;	  /* "-", as the self-metrics show it */
	int		 more;	  /* the budget stopped a read */
	unsigned char	 head[2]; /* the first bytes, until decided */
	size_t		 nhead;
	int		 decided; /* plain or gzip */
	int		 gz;
	z_stream	 zs;
	unsigned char	*raw;	   /* compressed bytes, STDIN_READ */
	int		 member;   /* inside a gzip member */
	int		 trailing; /* after the last member: ignored */
};

static int
stdin_fd(void *self)
{
	struct stdin_in *s = self;

	return s->fd;
}

static double
stdin_due(void *self)
{
	struct stdin_in *s = self;

	return s->more ? 0 : HUGE_VAL;
}

static void
stdin_drain(struct stdin_in *s, input_line_fn *fn, void *arg)
{
	const char *line;
	size_t	    len;

	while ((line = lines_next(&s->l, &len)) != NULL) {
		s->pub.lines++;
		s->pub.last_read = now_wall();
		fn(arg, &s->pub, line, len, &no_time);
	}
	s->pub.offset = s->l.consumed;
	s->pub.toolong = s->l.toolong;
}

/* n bytes of text put in the splitter's space: counted, split. */
static void
stdin_took(struct stdin_in *s, size_t n, input_line_fn *fn, void *arg)
{
	lines_commit(&s->l, n);
	s->pub.bytes += n;
	s->pub.size += n;
	stdin_drain(s, fn, arg);
}

/* n bytes of text from elsewhere: split into lines. */
static void
stdin_text(struct stdin_in *s, const void *p, size_t n, input_line_fn *fn,
    void *arg)
{
	size_t avail, k;
	char  *space;

	while (n > 0) {
		space = lines_space(&s->l, &avail);
		k = n < avail ? n : avail;
		memcpy(space, p, k);
		stdin_took(s, k, fn, arg);
		p = (const char *)p + k;
		n -= k;
	}
}

/*
 * The stream ended (why NULL), its last line without a newline counted;
 * or failed (why says how), a partial line left uncounted.
 */
static void
stdin_end(struct stdin_in *s, input_line_fn *fn, void *arg, const char *why)
{
	size_t avail;
	char  *space;

	if (why == NULL && lines_pending(&s->l) > 0) {
		space = lines_space(&s->l, &avail);
		space[0] = '\n';
		lines_commit(&s->l, 1);
		stdin_drain(s, fn, arg);
		s->pub.offset = s->pub.size; /* the newline was not read */
	}
	close(s->fd);
	s->fd = -1;
	s->pub.open = 0;
	if (why == NULL)
		log_info("standard input ended after %llu lines; the metrics "
			 "are served on",
		    (unsigned long long)s->pub.lines);
	else
		log_warnx("standard input: offset %llu: %s; the metrics are "
			  "served on",
		    (unsigned long long)s->pub.size, why);
}

/*
 * Inflates the compressed bytes in s->zs. Returns NULL, or why the stream
 * cannot be read on. Bytes of a member header cut by the read stay for
 * the next one.
 */
static const char *
stdin_inflate(struct stdin_in *s, input_line_fn *fn, void *arg)
{
	z_stream *z = &s->zs;
	size_t	  avail;
	char	 *space;
	int	  rc;

	while (z->avail_in > 0 && !s->trailing) {
		if (!s->member) {
			/* A member begins here, or the stream is over. */
			if (z->avail_in < 2 && z->next_in[0] == 0x1f)
				break; /* decided by the next byte */
			if (z->next_in[0] != 0x1f || z->avail_in < 2 ||
			    z->next_in[1] != 0x8b) {
				s->trailing = 1;
				break;
			}
			inflateReset(z);
			s->member = 1;
		}
		space = lines_space(&s->l, &avail);
		z->next_out = (unsigned char *)space;
		z->avail_out = (unsigned)avail;
		rc = inflate(z, Z_NO_FLUSH);
		stdin_took(s, avail - z->avail_out, fn, arg);
		if (rc == Z_STREAM_END)
			s->member = 0;
		else if (rc == Z_BUF_ERROR)
			break; /* needs more input */
		else if (rc != Z_OK)
			return z->msg != NULL ? z->msg : zError(rc);
	}
	return NULL;
}

/* n more compressed bytes at s->raw + kept ones. */
static const char *
stdin_gz(struct stdin_in *s, size_t n, input_line_fn *fn, void *arg)
{
	s->zs.next_in = s->raw;
	s->zs.avail_in += (unsigned)n;
	return stdin_inflate(s, fn, arg);
}

/* Reads into where the bytes go: the splitter, or the raw buffer. */
static ssize_t
stdin_get(struct stdin_in *s)
{
	size_t avail, keep;
	char  *space;

	if (!s->decided)
		return read(s->fd, s->head + s->nhead, 2 - s->nhead);
	if (s->gz) {
		keep = s->zs.avail_in;
		if (keep > 0 && s->zs.next_in != s->raw)
			memmove(s->raw, s->zs.next_in, keep);
		s->zs.next_in = s->raw;
		if (s->trailing)
			keep = 0; /* read to the end, ignored */
		return read(s->fd, s->raw + keep, STDIN_READ - keep);
	}
	space = lines_space(&s->l, &avail);
	if (avail > STDIN_READ)
		avail = STDIN_READ;
	return read(s->fd, space, avail);
}

/* Plain or gzip, by the first two bytes (or fewer at the end). */
static void
stdin_decide(struct stdin_in *s, input_line_fn *fn, void *arg)
{
	s->decided = 1;
	if (s->nhead == 2 && s->head[0] == 0x1f && s->head[1] == 0x8b) {
		s->gz = 1;
		s->raw = xmalloc(STDIN_READ);
		memcpy(s->raw, s->head, 2);
		s->zs.next_in = s->raw;
		s->zs.avail_in = 0;
		if (inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK)
			fatalx("zlib: out of memory");
		return;
	}
	stdin_text(s, s->head, s->nhead, fn, arg);
}

static int
stdin_read(void *self, input_line_fn *fn, void *arg)
{
	struct stdin_in *s = self;
	struct pollfd	 pfd;
	size_t		 got = 0;
	ssize_t		 n;
	const char	*why;

	s->more = 0;
	while (s->fd >= 0) {
		if (got >= STDIN_BUDGET) {
			s->more = 1;
			break;
		}
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			break; /* nothing ready, or a signal: next time */
		if ((n = stdin_get(s)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				break;
			stdin_end(s, fn, arg, strerror(errno));
			break;
		}
		got += (size_t)n;
		why = NULL;
		if (!s->decided) {
			s->nhead += (size_t)n;
			if (s->nhead == 2 || n == 0)
				stdin_decide(s, fn, arg);
			if (s->gz)
				why = stdin_gz(s, 2, fn, arg);
		} else if (n > 0 && s->gz)
			why = stdin_gz(s, (size_t)n, fn, arg);
		else if (n > 0)
			stdin_took(s, (size_t)n, fn, arg);
		/* A byte left at the end that might have begun a member
		 * is ignored, as gzread() ignores it. */
		if (why == NULL && n == 0 && s->gz && s->member)
			why = "unexpected end of file";
		if (why != NULL || n == 0)
			stdin_end(s, fn, arg, why);
	}
	return 0;
}

static void
stdin_files(void *self, void (*fn)(const struct tail_file *, void *), void *arg)
{
	struct stdin_in *s = self;

	fn(&s->pub, arg);
}

static void
stdin_stats(void *self, struct input_stats *st)
{
	struct stdin_in *s = self;

	memset(st, 0, sizeof(*st));
	st->ends = 1;
	st->ended = s->fd < 0;
}

static void
stdin_free(void *self)
{
	struct stdin_in *s = self;

	if (s->fd >= 0)
		close(s->fd);
	if (s->gz)
		inflateEnd(&s->zs);
	free(s->raw);
	lines_free(&s->l);
	free(s->pub.path);
	free(s);
}

int
input_stdin(struct input *in, size_t maxline)
{
	struct stdin_in *s;
	int		 fd;

	if ((fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	lines_init(&s->l, maxline);
	s->pub.path = xstrdup("-");
	s->pub.open = 1;
	memset(in, 0, sizeof(*in));
	in->name = "stdin";
	in->self = s;
	in->fd = stdin_fd;
	in->due = stdin_due;
	in->read = stdin_read;
	in->files = stdin_files;
	in->stats = stdin_stats;
	in->free = stdin_free;
	return 0;
}

int
inputs_poll(struct input *v, size_t n, int timeout_ms, input_line_fn *fn,
    void *arg, const char **failed)
{
	struct pollfd pfd[INPUTS_MAX];
	double	      now = now_mono(), due;
	int	      wait, fd, rc;
	size_t	      i, np = 0;

	wait = timeout_ms < 0 ? INT_MAX : timeout_ms;
	for (i = 0; i < n && i < INPUTS_MAX; i++) {
		due = (v[i].due(v[i].self) - now) * 1000;
		if (due < wait)
			wait = due <= 0 ? 0 : (int)due + 1;
		if ((fd = v[i].fd(v[i].self)) >= 0) {
			pfd[np].fd = fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			np++;
		}
	}
	rc = np > 0 || wait > 0 ? poll(pfd, np, wait) : 0;
	if (rc == -1) {
		*failed = "the wait";
		return errno == EINTR ? 0 : -1;
	}
	for (i = 0; i < n && i < INPUTS_MAX; i++)
		if (v[i].read(v[i].self, fn, arg) == -1) {
			*failed = v[i].name;
			return -1;
		}
	return 0;
}
