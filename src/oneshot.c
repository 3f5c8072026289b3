/*
 * oneshot.c: the one-shot mode. Reads historical logs once and prints the
 * final metrics, or, with a step, the value of every series at each step
 * of log time: a history in OpenMetrics for backfilling Prometheus.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "oneshot.h"
#include "record.h"
#include "source.h"

/*
 * OpenMetrics wants all the points of a series together, oldest first,
 * and every series of a family together, while the log yields them one
 * step at a time, every series at each. So each series keeps its newest
 * points in memory, up to SPILL_CAP bytes, and appends them as one chunk
 * to a spill file when full; the chunks of a series are chained backwards
 * (each starts with the offset of the previous one). The output is then
 * written family by family, series by series, from the chunks. Memory is
 * bounded by the number of series, not by the length of the history.
 */
#define SPILL_CAP  8192
#define CHUNK_HEAD 16	       /* the previous chunk + 1, length */
#define EARLY_MAX  (16u << 20) /* bytes of lines held before a time */
#define MAX_STEPS  10000000LL  /* steps in one history */
#define MAX_INDEX  9.0e15      /* k * step with k exact in a double */

struct hseries {
	size_t		metric;
	char	       *key; /* its labels as rendered */
	size_t		keylen;
	uint64_t	hash;
	struct buf	tail; /* CHUNK_HEAD bytes, then points */
	uint64_t	last; /* its last chunk + 1, 0: none */
	struct hseries *next; /* hash chain */
};

struct history {
	struct hseries **table;
	size_t		 tablesize; /* a power of two */
	size_t		 n;
	int		 fd;   /* the spill file, already unlinked */
	char		*path; /* its name, for messages */
	uint64_t	 size;
};

struct run {
	struct engine	  *e;
	char *const	  *files;   /* all, oldest first */
	size_t		   fileno;  /* the one being read */
	struct str	  *pv;	    /* its path labels' values */
	const char	  *file;    /* being read */
	unsigned long long lineno;  /* lines of it read */
	struct record	   rec;	    /* its runtime's wrapper, if any */
	struct json_index  recix;   /* the wrapper's, when JSON */
	struct buf	   lastrec; /* the last record of a wrapped file */
	struct rtime	   wtime;   /* the source's time of the record */
	struct rtime	   lastt;   /* and of the last one, its text in: */
	char		   lasttime[RECORD_TIME_MAX];
	double		   wall; /* log time of lines without one */
	int		   backfill;
	int		   stop; /* a fatal error was reported */

	/* Backfill: the boundary k * step holds every line up to it. */
	double	       step;
	int	       started; /* a line with a log time was read */
	long long      k0;	/* the first boundary */
	long long      k;	/* the current one */
	double	       latest;	/* the newest log time read */
	struct buf     early;	/* lines before the first time */
	struct history h;
};

/* No time from a record's source. */
static const struct rtime none = RTIME_NONE;

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes at off; a short file is EIO. */
static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	char   *p = buf;
	ssize_t r;

	while (n > 0) {
		if ((r = pread(fd, p, n, (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/*
 * Opens an anonymous spill file in dir: created, then unlinked at once so
 * that nothing is left behind whatever happens. Returns 0, or -1 with a
 * message logged.
 */
static int
history_open(struct history *h, const char *dir)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (asprintf(&h->path, "%s/logmetrics-history.XXXXXX", dir) == -1) {
		h->path = NULL;
		log_warn("asprintf");
		return -1;
	}
	if ((h->fd = mkostemp(h->path, O_CLOEXEC)) == -1) {
		log_warn("%s: cannot create the spill file", h->path);
		return -1;
	}
	if (unlink(h->path) == -1) {
		log_warn("%s", h->path);
		return -1;
	}
	return 0;
}

static void
history_close(struct history *h)
{
	struct hseries *s, *next;
	size_t		i;

	for (i = 0; i < h->tablesize; i++)
		for (s = h->table[i]; s != NULL; s = next) {
			next = s->next;
			free(s->key);
			buf_free(&s->tail);
			free(s);
		}
	free(h->table);
	if (h->fd != -1)
		close(h->fd);
	free(h->path);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

/* FNV-1a over the metric index and the key. */
static uint64_t
history_hash(size_t metric, const char *key, size_t keylen)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)metric;
	size_t	 i;

	for (i = 0; i < keylen; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
history_grow(struct history *h)
{
	struct hseries **t, *s, *next;
	size_t		 size, i;

	size = h->tablesize ? h->tablesize * 2 : 256;
	t = xcalloc(size, sizeof(*t));
	for (i = 0; i < h->tablesize; i++)
		for (s = h->table[i]; s != NULL; s = next) {
			next = s->next;
			s->next = t[s->hash & (size - 1)];
			t[s->hash & (size - 1)] = s;
		}
	free(h->table);
	h->table = t;
	h->tablesize = size;
}

/* The series of metric with that key, created empty on first sight. */
static struct hseries *
history_series(struct history *h, size_t metric, const char *key, size_t keylen)
{
	static const char head[CHUNK_HEAD];
	struct hseries	 *s;
	uint64_t	  hash;

	hash = history_hash(metric, key, keylen);
	if (h->tablesize > 0)
		for (s = h->table[hash & (h->tablesize - 1)]; s != NULL;
		     s = s->next)
			if (s->hash == hash && s->metric == metric &&
			    s->keylen == keylen &&
			    (keylen == 0 || memcmp(s->key, key, keylen) == 0))
				return s;
	if (h->n >= h->tablesize)
		history_grow(h);
	s = xcalloc(1, sizeof(*s));
	s->metric = metric;
	s->key = xstrndup(key, keylen);
	s->keylen = keylen;
	s->hash = hash;
	buf_init(&s->tail);
	buf_append(&s->tail, head, sizeof(head));
	s->next = h->table[hash & (h->tablesize - 1)];
	h->table[hash & (h->tablesize - 1)] = s;
	h->n++;
	return s;
}

/*
 * Appends the points in s's tail to the spill file as one chunk, chained
 * to its previous chunk, and empties the tail. Returns 0 or -1 (errno).
 */
static int
history_spill(struct history *h, struct hseries *s)
{
	static const char head[CHUNK_HEAD];
	uint64_t	  hd[2];

	hd[0] = s->last;
	hd[1] = (uint64_t)(s->tail.len - CHUNK_HEAD);
	memcpy(s->tail.p, hd, sizeof(hd));
	if (write_all(h->fd, s->tail.p, s->tail.len) == -1)
		return -1;
	s->last = h->size + 1;
	h->size += s->tail.len;
	buf_reset(&s->tail);
	buf_append(&s->tail, head, sizeof(head));
	return 0;
}

/* expose_point_fn: one point of one series, kept for the output. */
static void
history_add(void *arg, size_t metric, const char *key, size_t keylen,
    const char *lines, size_t len)
{
	struct run     *r = arg;
	struct hseries *s;

	if (r->stop)
		return;
	s = history_series(&r->h, metric, key, keylen);
	if (s->tail.len > CHUNK_HEAD && s->tail.len + len >= SPILL_CAP &&
	    history_spill(&r->h, s) == -1) {
		log_warn("%s: spill file", r->h.path);
		r->stop = 1;
		return;
	}
	buf_append(&s->tail, lines, len);
}

static int
series_order(const void *a, const void *b)
{
	const struct hseries *x = *(struct hseries *const *)a;
	const struct hseries *y = *(struct hseries *const *)b;
	size_t		      n;
	int		      c;

	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	n = x->keylen < y->keylen ? x->keylen : y->keylen;
	if (n > 0 && (c = memcmp(x->key, y->key, n)) != 0)
		return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

struct chunk {
	uint64_t off; /* of its data */
	uint64_t len;
};

/*
 * Copies every point of s to out, oldest first: the chunks found by
 * walking the chain back from the last, then the tail. Returns 0, or -1
 * when the spill file cannot be read (errno).
 */
static int
series_write(struct history *h, struct hseries *s, FILE *out,
    struct buf *scratch, struct chunk **chunks, size_t *cap)
{
	uint64_t hd[2], off;
	size_t	 n = 0;

	for (off = s->last; off != 0; off = hd[0]) {
		if (pread_all(h->fd, hd, sizeof(hd), off - 1) == -1)
			return -1;
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*chunks = xreallocarray(*chunks, *cap,
			    sizeof(**chunks));
		}
		(*chunks)[n].off = off - 1 + CHUNK_HEAD;
		(*chunks)[n].len = hd[1];
		n++;
	}
	while (n-- > 0) {
		buf_reset(scratch);
		buf_reserve(scratch, (size_t)(*chunks)[n].len);
		if (pread_all(h->fd, scratch->p, (size_t)(*chunks)[n].len,
			(*chunks)[n].off) == -1)
			return -1;
		fwrite(scratch->p, 1, (size_t)(*chunks)[n].len, out);
	}
	fwrite(s->tail.p + CHUNK_HEAD, 1, s->tail.len - CHUNK_HEAD, out);
	return 0;
}

/*
 * Writes the history: for each metric in declaration order its HELP and
 * TYPE, then its series in label order, each with all its points; then
 * "# EOF". Returns 0, or -1 with a message logged when the spill file
 * fails (errors of out are the caller's to find with ferror).
 */
static int
history_write(struct run *r, FILE *out)
{
	struct registry *reg = r->e->reg;
	struct history	*h = &r->h;
	struct hseries **all, *s;
	struct chunk	*chunks = NULL;
	struct buf	 b;
	size_t		 i, j, n = 0, cap = 0;
	int		 rc = -1;

	/* Large writes: the history is big and out has had none yet. */
	(void)setvbuf(out, NULL, _IOFBF, 1 << 20);
	all = xreallocarray(NULL, h->n ? h->n : 1, sizeof(*all));
	for (i = 0; i < h->tablesize; i++)
		for (s = h->table[i]; s != NULL; s = s->next)
			all[n++] = s;
	qsort(all, n, sizeof(*all), series_order);
	buf_init(&b);
	for (i = 0, j = 0; i < reg->n; i++) {
		buf_reset(&b);
		expose_history_head(reg, i, &b);
		fwrite(b.p, 1, b.len, out);
		for (; j < n && all[j]->metric == i; j++)
			if (series_write(h, all[j], out, &b, &chunks, &cap) ==
			    -1) {
				log_warn("%s: spill file", h->path);
				goto done;
			}
	}
	fputs("# EOF\n", out);
	rc = 0;
done:
	buf_free(&b);
	free(chunks);
	free(all);
	return rc;
}

/* The first step boundary at or after t: the least k with k * step >= t. */
static long long
boundary(double t, double step)
{
	long long k;

	k = (long long)ceil(t / step);
	while ((double)k * step < t)
		k++;
	while ((double)(k - 1) * step >= t)
		k--;
	return k;
}

/* Every series' point at ts into the history. */
static void
step_out(struct run *r, double ts)
{
	expose_history_points(r->e->reg, ts, history_add, r);
}

/*
 * The lines held before the first log time, each with the path labels of
 * the file it came from (an earlier one, maybe).
 */
static void
replay_early(struct run *r)
{
	const char	  *p = r->early.p, *end = p + r->early.len;
	struct str	  *pv = NULL;
	struct record_kind kind;
	size_t		   len, fileno, cur = r->fileno;

	/* Held for want of a time: their wrappers gave none either. */
	matcher_wrapper_time(r->e->m, NULL);
	while (p < end) {
		memcpy(&fileno, p, sizeof(fileno));
		p += sizeof(fileno);
		memcpy(&len, p, sizeof(len));
		p += sizeof(len);
		if (fileno != cur) {
			free(pv);
			pv = engine_path_values(r->e,
			    record_prefix(r->files[fileno], &kind));
			matcher_source(r->e->m, pv, r->e->npl);
			cur = fileno;
		}
		matcher_line(r->e->m, p, len, r->latest);
		p += len;
	}
	matcher_source(r->e->m, r->pv, r->e->npl);
	matcher_wrapper_time(r->e->m, &r->wtime); /* the current record's */
	free(pv);
	buf_free(&r->early);
}

/*
 * One line of a backfill. A line whose log time is past the current
 * boundary first closes every boundary before it; any other line, older
 * ones and those without a time included, counts in the current step.
 * Lines before the first that carries a time are held and applied when
 * it comes, with its time as theirs.
 */
static void
backfill_line(struct run *r, const char *line, size_t len)
{
	struct matcher *m = r->e->m;
	char		num[32];
	double		t;
	long long	k;

	t = matcher_line_time(m, line, len);
	if (t < 0) {
		if (r->started) {
			matcher_line(m, line, len, r->latest);
			return;
		}
		if (r->early.len + 2 * sizeof(len) + len > EARLY_MAX) {
			log_warnx("%s: line %llu: no log time in the first "
				  "%u MiB of lines (--step needs the times the "
				  "rules' timestamp statements read)",
			    r->file, r->lineno, EARLY_MAX >> 20);
			r->stop = 1;
			return;
		}
		buf_append(&r->early, &r->fileno, sizeof(r->fileno));
		buf_append(&r->early, &len, sizeof(len));
		buf_append(&r->early, line, len);
		return;
	}
	if (t / r->step >= MAX_INDEX) {
		(void)fmt_double(num, t);
		log_warnx("%s: line %llu: log time %s is out of range", r->file,
		    r->lineno, num);
		r->stop = 1;
		return;
	}
	k = boundary(t, r->step);
	if (!r->started) {
		r->started = 1;
		r->k0 = r->k = k;
		r->latest = t;
		replay_early(r);
	} else if (k > r->k) {
		if (k - r->k0 > MAX_STEPS) {
			(void)fmt_double(num, t);
			log_warnx(
			    "%s: line %llu: log time %s is %lld steps "
			    "after the first line's, more than the %lld of "
			    "a history (a wrong time, or a --step too "
			    "small?)",
			    r->file, r->lineno, num, k - r->k0, MAX_STEPS);
			r->stop = 1;
			return;
		}
		for (; r->k < k && !r->stop; r->k++)
			step_out(r, (double)r->k * r->step);
	}
	if (t > r->latest)
		r->latest = t;
	matcher_line(m, line, len, r->latest);
}

/* A record to the matcher, for both modes. */
static void
run_apply(struct run *r, const char *line, size_t len)
{
	if (r->backfill)
		backfill_line(r, line, len);
	else
		matcher_line(r->e->m, line, len, r->wall);
}

/*
 * A record at the time its source gave (none for plain lines); kept, when
 * keep, as its file's last record: the newest time of a file is its last
 * record's.
 */
static void
run_timed(struct run *r, const char *line, size_t len, const struct rtime *time,
    int keep)
{
	if (keep) {
		buf_reset(&r->lastrec);
		buf_append(&r->lastrec, line, len);
		r->lastt.secs = time->secs;
		r->lastt.text.p = r->lasttime;
		r->lastt.text.n = 0;
		if (time->text.n <= sizeof(r->lasttime)) {
			memcpy(r->lasttime, time->text.p, time->text.n);
			r->lastt.text.n = time->text.n;
		}
	}
	r->wtime = *time;
	matcher_wrapper_time(r->e->m, time);
	run_apply(r, line, len);
}

/* One record, for both modes. */
static void
run_record(void *arg, const char *line, size_t len, const struct rtime *time)
{
	struct run *r = arg;

	if (!r->stop)
		run_timed(r, line, len, time, r->rec.fmt != RECORD_PLAIN);
}

/* A journal entry's record, at its time. */
static void
run_entry(void *arg, const char *rec, size_t len, double time)
{
	struct run  *r = arg;
	struct rtime t = RTIME_NONE;

	if (r->stop)
		return;
	r->lineno++;
	t.secs = time;
	run_timed(r, rec, len, &t, 1);
}

/* source_line_fn for both modes: a line, through the record stage. */
static void
run_line(void *arg, const char *line, size_t len)
{
	struct run *r = arg;

	r->lineno++;
	if (r->rec.fmt == RECORD_PLAIN)
		run_record(r, line, len, &none);
	else
		record_line(&r->rec, line, len, run_record, r);
}

/* Whether b is a rotation of the same log as a, in the same format. */
static int
same_log(const char *a, const char *b)
{
	struct rotname ra, rb;

	source_rotname(a, &ra);
	source_rotname(b, &rb);
	return ra.stemlen == rb.stemlen && memcmp(a, b, ra.stemlen) == 0;
}

/* What the record stage did with a file, when it skipped or dropped. */
static void
record_report(const char *name, const struct record_stats *was,
    const struct record_stats *now, size_t maxline)
{
	if (now->bad > was->bad)
		log_warnx("%s: %llu lines not in the runtime's format, skipped",
		    name, (unsigned long long)(now->bad - was->bad));
	if (now->toolong > was->toolong)
		log_warnx("%s: %llu records longer than %zu bytes dropped",
		    name, (unsigned long long)(now->toolong - was->toolong),
		    maxline);
}

/*
 * Sorts the files as source_sort() does, each journal argument kept where
 * it was given.
 */
static void
sort_files(char **args, size_t n)
{
	char **files = xcalloc(n > 0 ? n : 1, sizeof(*files));
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!journal_arg(args[i]))
			files[k++] = args[i];
	source_sort(files, k);
	for (i = k = 0; i < n; i++)
		if (!journal_arg(args[i]))
			args[i] = files[k++];
	free(files);
}

/*
 * The entries a journal argument names, through run_entry; *newest as
 * read_files() keeps it. Returns 0, or -1 when the journal could not be
 * read (what was read counts).
 */
static int
read_journal(struct run *r, struct oneshot_opts *o, size_t i, double *newest)
{
	struct journal_stats st;
	struct str	    *pv;
	char		     err[512];
	double		     t;
	int		     rc = 0;

	memset(&st, 0, sizeof(st));
	buf_reset(&r->lastrec);
	r->files = o->files;
	r->fileno = i;
	r->file = o->files[i];
	r->lineno = 0;
	r->pv = pv = engine_path_values(r->e, o->files[i]);
	matcher_source(r->e->m, pv, r->e->npl);
	engine_source(r->e, pv);
	if (journal_read(o->files[i], o->journal_dir, o->max_line, run_entry, r,
		&st, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		rc = -1;
	}
	log_debug("%s: %llu entries", o->files[i],
	    (unsigned long long)st.entries);
	if (st.nomessage > 0)
		log_warnx("%s: %llu entries without a MESSAGE, skipped",
		    o->files[i], (unsigned long long)st.nomessage);
	if (st.toolong > 0)
		log_warnx("%s: %llu entries longer than %zu bytes skipped",
		    o->files[i], (unsigned long long)st.toolong, o->max_line);
	/* The newest time of a journal's entries is its last one's. */
	if (st.entries > 0) {
		matcher_wrapper_time(r->e->m, &r->lastt);
		t = matcher_line_time(r->e->m, r->lastrec.p, r->lastrec.len);
		if (t > *newest)
			*newest = t;
	}
	matcher_wrapper_time(r->e->m, NULL);
	matcher_source(r->e->m, NULL, 0);
	free(pv);
	r->pv = NULL;
	r->wtime = r->lastt = none;
	return rc;
}

/*
 * Reads every file through run_line, oldest first, until one reports a
 * fatal error. *newest becomes the newest log time of a file's last line
 * (-1: none). Returns 0, or 1 when a file could not be read.
 */
static int
read_files(struct run *r, struct oneshot_opts *o, double *newest)
{
	struct source_stats st;
	struct record_stats was;
	struct record_kind  kind;
	struct str	   *pv;
	const char	   *path;
	char		    err[512];
	size_t		    i;
	double		    t;
	int		    rc = 0, cont = 0, next;

	*newest = -1;
	sort_files(o->files, o->nfiles);
	json_init(&r->recix);
	record_init(&r->rec, RECORD_PLAIN, o->max_line, &r->recix);
	buf_init(&r->lastrec);
	r->wtime = r->lastt = none;
	for (i = 0; i < o->nfiles && !r->stop; i++) {
		if (journal_arg(o->files[i])) {
			if (read_journal(r, o, i, newest) == -1)
				rc = 1;
			cont = 0;
			continue;
		}
		memset(&st, 0, sizeof(st));
		buf_init(&st.last);
		path = record_prefix(o->files[i], &kind);
		if (!cont) { /* another log: a record stage of its own */
			record_free(&r->rec);
			record_init(&r->rec, kind.fmt, o->max_line, &r->recix);
			r->rec.streams = kind.streams;
		}
		was = r->rec.st;
		buf_reset(&r->lastrec);
		r->lastt = none;
		r->files = o->files;
		r->fileno = i;
		r->file = path;
		r->lineno = 0;
		r->pv = pv = engine_path_values(r->e, path);
		matcher_source(r->e->m, pv, r->e->npl);
		engine_source(r->e, pv);
		if (source_read(path, o->max_line, run_line, r, &st, err,
			sizeof(err)) == -1) {
			log_warnx("%s", err);
			rc = 1;
		}
		/* A record cut at the end of its log's last file counts. */
		next = i + 1 < o->nfiles &&
		    same_log(o->files[i], o->files[i + 1]);
		if (!next)
			record_flush(&r->rec, run_record, r);
		record_report(source_name(path), &was, &r->rec.st, o->max_line);
		log_debug("%s: %llu lines, %llu bytes%s%s, %llu too long",
		    source_name(path), (unsigned long long)st.lines,
		    (unsigned long long)st.bytes,
		    st.inflater != NULL ? " inflated with " : "",
		    st.inflater != NULL ? st.inflater : "",
		    (unsigned long long)st.toolong);
		if (st.toolong > 0)
			log_warnx("%s: %llu lines longer than %zu bytes "
				  "skipped",
			    source_name(path), (unsigned long long)st.toolong,
			    o->max_line);
		matcher_source(r->e->m, NULL, 0);
		free(pv);
		r->pv = NULL;
		/* The newest time of a file is its last record's. */
		if (r->rec.fmt != RECORD_PLAIN) {
			struct buf b = st.last;

			st.last = r->lastrec;
			r->lastrec = b;
		}
		if (st.last.len > 0) {
			matcher_wrapper_time(r->e->m, &r->lastt);
			t = matcher_line_time(r->e->m, st.last.p, st.last.len);
			if (t > *newest)
				*newest = t;
		}
		matcher_wrapper_time(r->e->m, NULL);
		r->wtime = none;
		buf_free(&st.last);
		cont = next;
	}
	record_free(&r->rec);
	json_free(&r->recix);
	buf_free(&r->lastrec);
	return rc;
}

/* Updates refused by the caps, once per metric. */
static void
warn_dropped(struct registry *reg)
{
	size_t i;

	for (i = 0; i < reg->n; i++) {
		struct metric *m = reg->m[i];

		if (m->dropped > 0)
			log_warnx("%s: %llu updates dropped: more than %zu "
				  "series (--max-series)",
			    m->name, (unsigned long long)m->dropped,
			    m->maxseries);
		if (m->label_dropped > 0)
			log_warnx("%s: %llu updates dropped: a label value "
				  "over %zu bytes (--max-label-bytes)",
			    m->name, (unsigned long long)m->label_dropped,
			    m->maxlabel);
	}
}

/*
 * Where the spill file goes: beside the output, where the history itself
 * must fit, else in TMPDIR. Returns an allocated directory name.
 */
static char *
spill_dir(const char *output)
{
	const char *tmp;
	char	   *copy, *dir;

	if (output != NULL) {
		copy = xstrdup(output);
		dir = xstrdup(dirname(copy));
		free(copy);
		return dir;
	}
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	return xstrdup(tmp);
}

/* Writes some output to out; returns 0, or -1 with a message logged. */
typedef int output_fn(void *arg, FILE *out);

/*
 * Writes fn's output to path atomically (a temporary file beside it,
 * fsync, rename), or to stdout when path is NULL. Returns 0 or -1 with a
 * message logged.
 */
static int
output_atomic(const char *path, output_fn *fn, void *arg)
{
	struct atomic a;

	if (path == NULL) {
		if (fn(arg, stdout) == -1)
			return -1;
		if (fflush(stdout) == EOF || ferror(stdout)) {
			log_warn("stdout");
			return -1;
		}
		return 0;
	}
	if (atomic_open(&a, path) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (fn(arg, a.fp) == -1) {
		atomic_abort(&a);
		return -1;
	}
	if (atomic_commit(&a) == -1) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}

static int
history_put(void *arg, FILE *out)
{
	return history_write(arg, out);
}

/* The final metrics, for output_atomic(). */
struct final {
	struct engine	  *e;
	enum expose_format fmt;
	double		   now;
	const char	  *name; /* the output, for messages */
};

static int
put_file(void *arg, const char *p, size_t n)
{
	return fwrite(p, 1, n, arg) == n ? 0 : -1;
}

/* Renders the metrics straight to out, a piece at a time. */
static int
final_put(void *arg, FILE *out)
{
	struct final *f = arg;

	if (expose_write(&f->e->reg, 1, f->fmt, f->now, put_file, out) == -1) {
		log_warn("%s", f->name);
		return -1;
	}
	return 0;
}

/*
 * Whether a file is a container runtime's log or the journal, whose
 * records have times.
 */
static int
wrapped(const struct oneshot_opts *o)
{
	struct record_kind kind;
	size_t		   i;

	for (i = 0; i < o->nfiles; i++) {
		(void)record_prefix(o->files[i], &kind);
		if (kind.fmt != RECORD_PLAIN || journal_arg(o->files[i]))
			return 1;
	}
	return 0;
}

/*
 * The history of every series at each step boundary of log time, from
 * the first line's to the last's, then written out. Returns 0, 1 when a
 * file or the output failed, 2 for options that do not go together.
 */
static int
backfill(struct engine *e, struct oneshot_opts *o)
{
	struct run r;
	char	  *dir, a[32], b[32];
	double	   newest;
	int	   rc;

	if (o->now >= 0) {
		log_warnx("--now does not go with --step: freshness is judged "
			  "at each step");
		return 2;
	}
	if (e->rs->nts == 0 && !wrapped(o)) {
		log_warnx("--step needs log times, and the rules have no "
			  "timestamp statement (nor is any file a container "
			  "runtime's log or the journal)");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.e = e;
	r.backfill = 1;
	r.step = o->step;
	buf_init(&r.early);
	dir = spill_dir(o->output);
	rc = history_open(&r.h, dir);
	free(dir);
	if (rc == -1) {
		history_close(&r.h);
		return 1;
	}
	registry_lock(e->reg);
	rc = read_files(&r, o, &newest);
	if (!r.stop && r.started)
		step_out(&r, (double)r.k * r.step);
	else if (!r.stop && r.early.len > 0) {
		log_warnx("no line has a log time (--step needs the times the "
			  "rules' timestamp statements read)");
		r.stop = 1;
	}
	warn_dropped(e->reg);
	if (r.started) {
		(void)fmt_double(a, (double)r.k0 * r.step);
		(void)fmt_double(b, (double)r.k * r.step);
		log_debug("history: %lld steps from %s to %s, %zu series, "
			  "%llu bytes spilled",
		    r.k - r.k0 + 1, a, b, r.h.n, (unsigned long long)r.h.size);
	}
	if (r.stop || output_atomic(o->output, history_put, &r) == -1)
		rc = 1;
	registry_unlock(e->reg);
	buf_free(&r.early);
	history_close(&r.h);
	return rc;
}

int
oneshot_run(struct engine *e, struct oneshot_opts *o)
{
	struct run   r;
	struct final f;
	double	     newest, t;
	int	     rc;

	if (o->step > 0)
		return backfill(e, o);
	memset(&r, 0, sizeof(r));
	r.e = e;
	r.wall = now_wall();
	registry_lock(e->reg);
	rc = read_files(&r, o, &newest);
	t = matcher_stats(e->m)->newest_time;
	if (t > newest)
		newest = t;
	if (o->now >= 0)
		newest = o->now;
	else if (newest < 0)
		newest = r.wall;
	warn_dropped(e->reg);
	f.e = e;
	f.fmt = o->format;
	f.now = newest;
	f.name = o->output != NULL ? o->output : "stdout";
	if (output_atomic(o->output, final_put, &f) == -1)
		rc = 1;
	registry_unlock(e->reg);
	return rc;
}
