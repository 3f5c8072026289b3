/*
 * workers.c: blocks of records matched on threads, applied in order. See
 * workers.h.
 *
 * The blocks live in a ring of slots. The reader fills the slot of block
 * `queued` once it is free (every block before it by a ring's length is
 * applied), then counts it queued; workers take blocks in order (`next`);
 * a block matched is marked done, and the worker that marks it, unless
 * another is applying, applies every done block from `applied` on. A
 * block whose predecessor is still being matched waits, done, for the
 * worker of that one to apply both.
 */
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backfill.h"
#include "batch.h"
#include "record.h"
#include "workers.h"

#define BLOCK_BYTES (256 * 1024) /* of records, before a block is sent */
#define SLOTS_PER   2		 /* slots per worker */

enum rec_kind {
	REC_LINE = 1,
	REC_SOURCE, /* a source begins: pv, and its initial series */
	REC_PV,	    /* the source's pv again, at a block's start */
	REC_TIME,   /* the wrapper time: secs, then its text */
	REC_NOTIME, /* no wrapper time */
};

/*
 * A record's header; its bytes follow, padded to 8. Lines are at most
 * 1 GiB (--max-line-bytes), so a length fits 32 bits.
 */
struct rec {
	uint32_t kind;
	uint32_t len; /* bytes after the header */
	uint64_t n;   /* REC_LINE: its line number; REC_SOURCE, REC_PV: the
			 input's number (the bytes: its pv); REC_TIME: the
			 seconds, as a double's bits (the bytes: its text) */
};

#define REC_SIZE(n) ((sizeof(struct rec) + (n) + 7) & ~(size_t)7)

enum {
	MARK_SOURCE = 1, /* a struct str *: a source's initial series */
	MARK_TIME,	 /* a struct timed: a line's, before its updates */
	MARK_HELD,	 /* a struct held, then the line: no time of its
			    own, left to backfill_line() */
};

/* Where a line of a history is. */
struct place {
	const struct str  *pv;
	size_t		   fileno;
	unsigned long long lineno;
};

struct timed {
	double	     t;
	struct place at;
};

struct held {
	struct place at;
	double	     wsecs; /* the source's time */
	size_t	     wlen;  /* and its text, after this */
	size_t	     len;   /* the line, after the text */
};

/*
 * Blocks and workers are each on cache lines of their own: a thread
 * writes its own at every line, and sharing a line with another's would
 * cost a transfer between cores each time.
 */
#define LINE_BYTES 128

struct block {
	struct buf   recs;
	struct batch out;
	int	     done;
};

struct worker {
	struct workers *w;
	struct matcher *m; /* made on its thread, in its memory */
	pthread_t	thread;
	int		ready; /* 1: started, -1: its matcher failed */
	struct place	at;    /* the line being matched */
	struct rtime	time;  /* its source's time */
};

struct workers {
	struct engine	*e;
	double		 now;
	struct backfill *bf;	  /* a history, or NULL */
	char *const	*files;	  /* the inputs, for its messages */
	int		 stopped; /* the history stopped (atomic) */
	struct worker  **wk;
	size_t		 n;    /* threads running */
	struct worker	*self; /* the reader's, when it matches too */
	struct block   **slot;
	size_t		 nslots;
	pthread_mutex_t	 lock;
	pthread_cond_t	 work;	/* a block queued, or the end */
	pthread_cond_t	 ready; /* a worker started */
	pthread_cond_t	 space; /* a block applied */
	uint64_t	 queued;
	uint64_t	 next;
	uint64_t	 applied;
	int		 applying;
	int		 ending;
	/* The reader's, on lines of their own: */
	_Alignas(LINE_BYTES) struct block *cur; /* being filled, or NULL */
	const struct str *pv; /* the source's, for every block */
	size_t		  fileno;
	struct rtime	  wtime;
	struct buf	  wtext; /* wtime's text */
};

/* Zeroed memory of its own cache lines. */
static void *
line_alloc(size_t size)
{
	size_t n = (size + LINE_BYTES - 1) / LINE_BYTES * LINE_BYTES;
	void  *p;

	if ((p = aligned_alloc(LINE_BYTES, n)) == NULL) {
		/* As xcalloc() does when memory is out. */
		p = xcalloc(1, n);
	}
	memset(p, 0, n);
	return p;
}

size_t
workers_cpus(void)
{
	cpu_set_t set;
	int	  n;

	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? (size_t)n : 1;
}

/* Appends a record (and len bytes at p) to b's records. */
static void
rec_put(struct block *b, enum rec_kind kind, uint64_t n, const void *p,
    size_t len)
{
	struct rec *r;
	size_t	    size = REC_SIZE(len);

	if (b->recs.cap - b->recs.len <= size)
		buf_reserve(&b->recs, size);
	r = (struct rec *)(b->recs.p + b->recs.len);
	r->kind = kind;
	r->len = (uint32_t)len;
	r->n = n;
	if (len > 0)
		memcpy(r + 1, p, len);
	b->recs.len += size;
}

/* A record of the source: its input's number and pv. */
static void
rec_source(struct block *b, enum rec_kind kind, size_t fileno,
    const struct str *pv)
{
	rec_put(b, kind, fileno, &pv, sizeof(pv));
}

/* A record of the source's time. */
static void
rec_time(struct block *b, const struct rtime *t)
{
	uint64_t bits;

	memcpy(&bits, &t->secs, sizeof(bits));
	rec_put(b, REC_TIME, bits, t->text.p, t->text.n);
}

/* Where a line is, as backfill.h wants it. */
static void
src_of(const struct workers *w, const struct place *at,
    const struct rtime *time, struct backfill_src *src)
{
	struct record_kind kind;

	src->files = w->files;
	src->fileno = at->fileno;
	src->file = record_prefix(w->files[at->fileno], &kind);
	src->lineno = at->lineno;
	src->pv = (struct str *)(uintptr_t)at->pv;
	src->wtime = time;
}

/*
 * The batches' marks, in their place: a source's initial series; for a
 * history, each line's time, or the line itself when it has none, which
 * the applier's own matcher then takes through backfill_line().
 */
static int
on_mark(void *arg, uint64_t tag, const void *data, size_t len)
{
	struct workers	   *w = arg;
	struct backfill_src src;
	struct timed	    tm;
	struct held	    h;
	struct rtime	    wt;
	const struct str   *pv;

	if (w->bf != NULL && backfill_stopped(w->bf))
		return 1;
	switch (tag) {
	case MARK_SOURCE:
		memcpy(&pv, data, sizeof(pv));
		engine_source(w->e, pv);
		return 0;
	case MARK_TIME:
		memcpy(&tm, data, sizeof(tm));
		src_of(w, &tm.at, NULL, &src);
		if (backfill_time(w->bf, tm.t, &src) == 0)
			return 0;
		break;
	case MARK_HELD:
		memcpy(&h, data, sizeof(h));
		wt.secs = h.wsecs;
		wt.text.p = (const char *)data + sizeof(h);
		wt.text.n = h.wlen;
		src_of(w, &h.at, &wt, &src);
		matcher_source(w->e->m, h.at.pv, w->e->npl);
		matcher_wrapper_time(w->e->m, &wt);
		backfill_line(w->bf, (const char *)data + sizeof(h) + h.wlen,
		    h.len, &src);
		if (!backfill_stopped(w->bf))
			return 0;
		break;
	}
	(void)len;
	__atomic_store_n(&w->stopped, 1, __ATOMIC_RELAXED);
	return 1;
}

/*
 * A line of a history: its time marked before its updates, or, with
 * none, the whole line and its place marked, for the applier.
 */
static void
match_timed(struct worker *wk, struct batch *out, const char *line, size_t len)
{
	struct timed tm;
	struct held  h;
	char	    *p;

	tm.t = matcher_line_time(wk->m, line, len);
	tm.at = wk->at;
	if (tm.t >= 0) {
		batch_mark(out, MARK_TIME, &tm, sizeof(tm));
		matcher_line(wk->m, line, len, tm.t);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.at = wk->at;
	h.wsecs = wk->time.secs;
	h.wlen = wk->time.text.n;
	h.len = len;
	p = batch_mark_space(out, MARK_HELD, sizeof(h) + h.wlen + len);
	memcpy(p, &h, sizeof(h));
	if (h.wlen > 0)
		memcpy(p + sizeof(h), wk->time.text.p, h.wlen);
	if (len > 0)
		memcpy(p + sizeof(h) + h.wlen, line, len);
}

/* Matches the records of b into its batch. */
static void
match_block(struct worker *wk, struct block *b)
{
	static const struct rtime none = RTIME_NONE;
	struct matcher		 *m = wk->m;
	struct rec		 *r;
	size_t			  at;

	batch_reset(&b->out);
	matcher_record(m, &b->out);
	wk->time = none;
	for (at = 0; at < b->recs.len; at += REC_SIZE(r->len)) {
		r = (struct rec *)(b->recs.p + at);
		switch (r->kind) {
		case REC_LINE:
			wk->at.lineno = r->n;
			if (wk->w->bf != NULL)
				match_timed(wk, &b->out, (const char *)(r + 1),
				    r->len);
			else
				matcher_line(m, (const char *)(r + 1), r->len,
				    wk->w->now);
			break;
		case REC_SOURCE:
			batch_mark(&b->out, MARK_SOURCE, r + 1, r->len);
			/* FALLTHROUGH */
		case REC_PV:
			memcpy(&wk->at.pv, r + 1, sizeof(wk->at.pv));
			wk->at.fileno = (size_t)r->n;
			matcher_source(m, wk->at.pv, wk->w->e->npl);
			break;
		case REC_TIME:
			memcpy(&wk->time.secs, &r->n, sizeof(wk->time.secs));
			wk->time.text.p = (const char *)(r + 1);
			wk->time.text.n = r->len;
			matcher_wrapper_time(m, &wk->time);
			break;
		case REC_NOTIME:
			wk->time = none;
			matcher_wrapper_time(m, NULL);
			break;
		}
	}
	matcher_record(m, NULL);
}

/*
 * Applies every done block from w->applied on, unless a worker is at it.
 * Called with w->lock held, which it drops while applying.
 */
static void
apply_done(struct workers *w)
{
	struct block *b;

	if (w->applying)
		return;
	w->applying = 1;
	while (w->applied < w->queued &&
	    (b = w->slot[w->applied % w->nslots])->done) {
		pthread_mutex_unlock(&w->lock);
		registry_lock(w->e->reg);
		batch_apply(&b->out, on_mark, w);
		registry_unlock(w->e->reg);
		batch_reset(&b->out);
		buf_reset(&b->recs);
		pthread_mutex_lock(&w->lock);
		b->done = 0;
		w->applied++;
		if (w->queued - w->applied == w->nslots / 2)
			pthread_cond_signal(&w->space);
	}
	w->applying = 0;
}

/*
 * Takes the next block to match, matches it, and applies what is done.
 * Called with w->lock held, which it drops meanwhile.
 */
static void
take_block(struct workers *w, struct worker *wk)
{
	struct block *b = w->slot[w->next++ % w->nslots];

	pthread_mutex_unlock(&w->lock);
	match_block(wk, b);
	pthread_mutex_lock(&w->lock);
	b->done = 1;
	apply_done(w);
}

static void *
worker_main(void *arg)
{
	struct worker  *wk = arg;
	struct workers *w = wk->w;
	char		err[256];

	wk->m = matcher_new(w->e->rs, w->e->reg, w->e->match_limit,
	    w->e->depth_limit, err, sizeof(err));
	pthread_mutex_lock(&w->lock);
	wk->ready = wk->m != NULL ? 1 : -1;
	pthread_cond_broadcast(&w->ready);
	if (wk->m == NULL) {
		pthread_mutex_unlock(&w->lock);
		return NULL;
	}
	for (;;) {
		while (w->next == w->queued && !w->ending)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->next == w->queued)
			break;
		take_block(w, wk);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct workers *
workers_new(struct engine *e, size_t n, double now, struct backfill *bf,
    char *const *files, char *err, size_t errlen)
{
	struct workers *w;
	struct worker  *wk;
	size_t		i, made = 0;
	int		rc;

	w = line_alloc(sizeof(*w));
	w->e = e;
	w->now = now;
	w->bf = bf;
	w->files = files;
	w->wtime.secs = -1;
	buf_init(&w->wtext);
	w->wk = xcalloc(n, sizeof(*w->wk));
	w->nslots = n * SLOTS_PER;
	w->slot = xcalloc(w->nslots, sizeof(*w->slot));
	for (i = 0; i < w->nslots; i++) {
		w->slot[i] = line_alloc(sizeof(struct block));
		buf_init(&w->slot[i]->recs);
		batch_init(&w->slot[i]->out);
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->space, NULL);
	pthread_cond_init(&w->ready, NULL);
	w->self = line_alloc(sizeof(*w->self));
	w->self->w = w;
	w->self->m = matcher_new(e->rs, e->reg, e->match_limit, e->depth_limit,
	    err, errlen);
	if (w->self->m == NULL) {
		workers_free(w);
		return NULL;
	}
	/* The reader is one of the n. */
	for (i = 0; i + 1 < n; i++) {
		wk = w->wk[made] = line_alloc(sizeof(*wk));
		wk->w = w;
		if ((rc = pthread_create(&wk->thread, NULL, worker_main, wk)) !=
		    0) {
			snprintf(err, errlen, "threads: %s", strerror(rc));
			break;
		}
		made++;
	}
	/* Those whose matcher failed have ended: join them, keep the rest. */
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < made; i++)
		while (w->wk[i]->ready == 0)
			pthread_cond_wait(&w->ready, &w->lock);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < made; i++) {
		wk = w->wk[i];
		if (wk->ready == -1) {
			pthread_join(wk->thread, NULL);
			snprintf(err, errlen, "threads: a matcher failed");
			free(wk);
		} else
			w->wk[w->n++] = wk;
	}
	if (made + 1 < n)
		free(w->wk[made]);
	if (w->n == 0) {
		workers_free(w);
		return NULL;
	}
	return w;
}

/* The block being filled, started when there is none. */
static struct block *
block_cur(struct workers *w)
{
	struct block *b;

	if (w->cur != NULL)
		return w->cur;
	/*
	 * When every slot is taken, wait for half of them: one wake-up then
	 * fills several, which costs less than a wake-up each.
	 */
	pthread_mutex_lock(&w->lock);
	if (w->queued - w->applied >= w->nslots)
		while (w->queued - w->applied > w->nslots / 2) {
			/* Rather than wait, the reader matches too. */
			if (w->next < w->queued)
				take_block(w, w->self);
			else
				pthread_cond_wait(&w->space, &w->lock);
		}
	b = w->slot[w->queued % w->nslots];
	pthread_mutex_unlock(&w->lock);
	/* A block starts with the state a matcher needs for it. */
	rec_source(b, REC_PV, w->fileno, w->pv);
	if (w->wtime.secs >= 0 || w->wtime.text.n > 0)
		rec_time(b, &w->wtime);
	w->cur = b;
	return b;
}

static void
block_send(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	w->queued++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	w->cur = NULL;
}

void
workers_source(struct workers *w, const struct str *pv, size_t fileno)
{
	w->pv = pv;
	w->fileno = fileno;
	rec_source(block_cur(w), REC_SOURCE, fileno, pv);
}

void
workers_wrapper_time(struct workers *w, const struct rtime *time)
{
	struct block *b;

	if (time == NULL || (time->secs < 0 && time->text.n == 0)) {
		if (w->wtime.secs < 0 && w->wtime.text.n == 0)
			return;
		w->wtime.secs = -1;
		w->wtime.text.n = 0;
		buf_reset(&w->wtext);
		rec_put(block_cur(w), REC_NOTIME, 0, NULL, 0);
		return;
	}
	if (time->secs == w->wtime.secs && time->text.n == w->wtext.len &&
	    memcmp(time->text.p, w->wtext.p, time->text.n) == 0)
		return;
	buf_reset(&w->wtext);
	buf_append(&w->wtext, time->text.p, time->text.n);
	w->wtime.secs = time->secs;
	w->wtime.text.p = w->wtext.p;
	w->wtime.text.n = w->wtext.len;
	b = block_cur(w);
	rec_time(b, &w->wtime);
}

int
workers_line(struct workers *w, const char *line, size_t len,
    unsigned long long lineno)
{
	struct block *b = block_cur(w);

	rec_put(b, REC_LINE, lineno, line, len);
	if (b->recs.len < BLOCK_BYTES)
		return 0;
	block_send(w);
	return w->bf != NULL && workers_stopped(w) ? -1 : 0;
}

int
workers_stopped(struct workers *w)
{
	return __atomic_load_n(&w->stopped, __ATOMIC_RELAXED);
}

void
workers_end(struct workers *w)
{
	size_t i;

	if (w->cur != NULL)
		block_send(w);
	pthread_mutex_lock(&w->lock);
	while (w->next < w->queued)
		take_block(w, w->self);
	w->ending = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->n; i++) {
		pthread_join(w->wk[i]->thread, NULL);
		matcher_stats_add(w->e->m, w->wk[i]->m);
		matcher_free(w->wk[i]->m);
		free(w->wk[i]);
	}
	w->n = 0;
	matcher_stats_add(w->e->m, w->self->m);
	assert(w->applied == w->queued);
}

void
workers_free(struct workers *w)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->n > 0)
		workers_end(w);
	for (i = 0; i < w->nslots; i++) {
		buf_free(&w->slot[i]->recs);
		batch_free(&w->slot[i]->out);
		free(w->slot[i]);
	}
	free(w->slot);
	free(w->wk);
	if (w->self != NULL)
		matcher_free(w->self->m);
	free(w->self);
	buf_free(&w->wtext);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->space);
	pthread_cond_destroy(&w->ready);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
