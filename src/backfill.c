/*
 * backfill.c: the history of a one-shot run with a step. See backfill.h.
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

#include "backfill.h"
#include "expose.h"
#include "log.h"
#include "record.h"

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

struct backfill {
	struct engine *e;
	double	       step;
	int	       started; /* a line with a log time was read */
	long long      k0;	/* the first boundary */
	long long      k;	/* the current one: it holds every line
				   up to k * step */
	double	       latest;	/* the newest log time read */
	struct buf     early;	/* lines before the first time */
	struct history h;
	int	       stop; /* a fatal error was reported */
};

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
	struct backfill *b = arg;
	struct hseries	*s;

	if (b->stop)
		return;
	s = history_series(&b->h, metric, key, keylen);
	if (s->tail.len > CHUNK_HEAD && s->tail.len + len >= SPILL_CAP &&
	    history_spill(&b->h, s) == -1) {
		log_warn("%s: spill file", b->h.path);
		b->stop = 1;
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

int
backfill_write(struct backfill *bf, FILE *out)
{
	struct registry *reg = bf->e->reg;
	struct history	*h = &bf->h;
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
step_out(struct backfill *b, double ts)
{
	expose_history_points(b->e->reg, ts, history_add, b);
}

/*
 * The lines held before the first log time, each with the path labels of
 * the file it came from (an earlier one, maybe).
 */
static void
replay_early(struct backfill *b, const struct backfill_src *src)
{
	const char	  *p = b->early.p, *end = p + b->early.len;
	struct str	  *pv = NULL;
	struct record_kind kind;
	size_t		   len, fileno, cur = src->fileno;

	/* Held for want of a time: their wrappers gave none either. */
	matcher_wrapper_time(b->e->m, NULL);
	while (p < end) {
		memcpy(&fileno, p, sizeof(fileno));
		p += sizeof(fileno);
		memcpy(&len, p, sizeof(len));
		p += sizeof(len);
		if (fileno != cur) {
			free(pv);
			pv = engine_path_values(b->e,
			    record_prefix(src->files[fileno], &kind));
			matcher_source(b->e->m, pv, b->e->npl);
			cur = fileno;
		}
		matcher_line(b->e->m, p, len, b->latest);
		p += len;
	}
	matcher_source(b->e->m, src->pv, b->e->npl);
	matcher_wrapper_time(b->e->m, src->wtime); /* the current record's */
	free(pv);
	buf_free(&b->early);
}

int
backfill_time(struct backfill *b, double t, const struct backfill_src *src)
{
	char	  num[32];
	long long k;

	if (b->stop)
		return -1;
	if (t / b->step >= MAX_INDEX) {
		(void)fmt_double(num, t);
		log_warnx("%s: line %llu: log time %s is out of range",
		    src->file, src->lineno, num);
		b->stop = 1;
		return -1;
	}
	k = boundary(t, b->step);
	if (!b->started) {
		b->started = 1;
		b->k0 = b->k = k;
		b->latest = t;
		replay_early(b, src);
	} else if (k > b->k) {
		if (k - b->k0 > MAX_STEPS) {
			(void)fmt_double(num, t);
			log_warnx(
			    "%s: line %llu: log time %s is %lld steps "
			    "after the first line's, more than the %lld of "
			    "a history (a wrong time, or a --step too "
			    "small?)",
			    src->file, src->lineno, num, k - b->k0, MAX_STEPS);
			b->stop = 1;
			return -1;
		}
		for (; b->k < k && !b->stop; b->k++)
			step_out(b, (double)b->k * b->step);
	}
	if (t > b->latest)
		b->latest = t;
	return b->stop ? -1 : 0;
}

void
backfill_line(struct backfill *b, const char *line, size_t len,
    const struct backfill_src *src)
{
	struct matcher *m = b->e->m;
	double		t;

	if (b->stop)
		return;
	t = matcher_line_time(m, line, len);
	if (t < 0) {
		if (b->started) {
			matcher_line(m, line, len, b->latest);
			return;
		}
		if (b->early.len + 2 * sizeof(len) + len > EARLY_MAX) {
			log_warnx("%s: line %llu: no log time in the first "
				  "%u MiB of lines (--step needs the times the "
				  "rules' timestamp statements read)",
			    src->file, src->lineno, EARLY_MAX >> 20);
			b->stop = 1;
			return;
		}
		buf_append(&b->early, &src->fileno, sizeof(src->fileno));
		buf_append(&b->early, &len, sizeof(len));
		buf_append(&b->early, line, len);
		return;
	}
	if (backfill_time(b, t, src) == 0)
		matcher_line(m, line, len, b->latest);
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

struct backfill *
backfill_new(struct engine *e, double step, const char *output)
{
	struct backfill *b;
	char		*dir;
	int		 rc;

	b = xcalloc(1, sizeof(*b));
	b->e = e;
	b->step = step;
	buf_init(&b->early);
	dir = spill_dir(output);
	rc = history_open(&b->h, dir);
	free(dir);
	if (rc == -1) {
		backfill_free(b);
		return NULL;
	}
	return b;
}

void
backfill_free(struct backfill *b)
{
	if (b == NULL)
		return;
	buf_free(&b->early);
	history_close(&b->h);
	free(b);
}

int
backfill_stopped(const struct backfill *b)
{
	return b->stop;
}

int
backfill_end(struct backfill *b)
{
	if (!b->stop && b->started)
		step_out(b, (double)b->k * b->step);
	else if (!b->stop && b->early.len > 0) {
		log_warnx("no line has a log time (--step needs the times the "
			  "rules' timestamp statements read)");
		b->stop = 1;
	}
	return b->stop ? -1 : 0;
}

void
backfill_summary(const struct backfill *b)
{
	char a[32], c[32];

	if (!b->started)
		return;
	(void)fmt_double(a, (double)b->k0 * b->step);
	(void)fmt_double(c, (double)b->k * b->step);
	log_debug("history: %lld steps from %s to %s, %zu series, "
		  "%llu bytes spilled",
	    b->k - b->k0 + 1, a, c, b->h.n, (unsigned long long)b->h.size);
}
