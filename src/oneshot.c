/*
 * oneshot.c: the one-shot mode. Reads historical logs once and prints the
 * final metrics, or, with a step, the value of every series at each step
 * of log time: a history in OpenMetrics for backfilling Prometheus, which
 * backfill.c keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backfill.h"
#include "journal.h"
#include "log.h"
#include "oneshot.h"
#include "record.h"
#include "source.h"
#include "workers.h"

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
	double		   wall;   /* log time of lines without one */
	struct backfill	  *bf;	   /* with a step: the history */
	struct workers	  *w;	   /* matching on threads, or NULL */
	struct matcher	  *tm;	   /* the reader's, for log times: e->m,
				      or its own while workers match */
	int		   wtimed; /* the workers have a wrapper time */
	struct str	 **pvs;	   /* path label values the workers hold */
	size_t		   npvs;
	int		   stop; /* a fatal error was reported */
};

/* No time from a record's source. */
static const struct rtime none = RTIME_NONE;

/* A record to the matcher, for both modes. */
static void
run_apply(struct run *r, const char *line, size_t len)
{
	struct backfill_src src;

	if (r->w != NULL) {
		if (workers_line(r->w, line, len, r->lineno) == -1)
			r->stop = 1;
		return;
	}
	if (r->bf == NULL) {
		matcher_line(r->e->m, line, len, r->wall);
		return;
	}
	src.files = r->files;
	src.fileno = r->fileno;
	src.file = r->file;
	src.lineno = r->lineno;
	src.pv = r->pv;
	src.wtime = &r->wtime;
	backfill_line(r->bf, line, len, &src);
	if (backfill_stopped(r->bf))
		r->stop = 1;
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
	if (r->w == NULL)
		matcher_wrapper_time(r->e->m, time);
	else if (time->secs >= 0 || time->text.n > 0 || r->wtimed) {
		/* Plain lines, without, cost nothing here. */
		workers_wrapper_time(r->w, time);
		r->wtimed = time->secs >= 0 || time->text.n > 0;
	}
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

/*
 * A source begins: its path label values for the lines to come, and its
 * initial series, on the workers when there are.
 */
static void
source_begin(struct run *r, const char *path)
{
	r->pv = engine_path_values(r->e, path);
	if (r->w != NULL) {
		workers_source(r->w, r->pv, r->fileno);
		return;
	}
	matcher_source(r->e->m, r->pv, r->e->npl);
	engine_source(r->e, r->pv);
}

/* The source has been read: its values go, or are kept for the workers. */
static void
source_end(struct run *r)
{
	matcher_source(r->tm, NULL, 0);
	if (r->w != NULL && r->pv != NULL) {
		r->pvs = xreallocarray(r->pvs, r->npvs + 1, sizeof(*r->pvs));
		r->pvs[r->npvs++] = r->pv;
	} else
		free(r->pv);
	r->pv = NULL;
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
	char		     err[512];
	double		     t;
	int		     rc = 0;

	memset(&st, 0, sizeof(st));
	buf_reset(&r->lastrec);
	r->files = o->files;
	r->fileno = i;
	r->file = o->files[i];
	r->lineno = 0;
	source_begin(r, o->files[i]);
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
		matcher_wrapper_time(r->tm, &r->lastt);
		t = matcher_line_time(r->tm, r->lastrec.p, r->lastrec.len);
		if (t > *newest)
			*newest = t;
	}
	matcher_wrapper_time(r->tm, NULL);
	source_end(r);
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
		source_begin(r, path);
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
		source_end(r);
		/* The newest time of a file is its last record's. */
		if (r->rec.fmt != RECORD_PLAIN) {
			struct buf b = st.last;

			st.last = r->lastrec;
			r->lastrec = b;
		}
		if (st.last.len > 0) {
			matcher_wrapper_time(r->tm, &r->lastt);
			t = matcher_line_time(r->tm, st.last.p, st.last.len);
			if (t > *newest)
				*newest = t;
		}
		matcher_wrapper_time(r->tm, NULL);
		r->wtime = none;
		buf_free(&st.last);
		cont = next;
	}
	record_free(&r->rec);
	json_free(&r->recix);
	buf_free(&r->lastrec);
	return rc;
}

/*
 * read_files(), on o->threads threads when more than one, and returns
 * with the registry locked.
 */
static int
read_all(struct run *r, struct oneshot_opts *o, double *newest)
{
	struct engine *e = r->e;
	char	       err[512];
	int	       rc;

	r->tm = e->m;
	if (o->threads > 1 &&
	    ((r->tm = matcher_new(e->rs, e->reg, e->match_limit, e->depth_limit,
		  err, sizeof(err))) == NULL ||
		(r->w = workers_new(e, o->threads, r->wall, r->bf, o->files,
		     err, sizeof(err))) == NULL)) {
		log_warnx("%s: reading on one thread", err);
		matcher_free(r->tm);
		r->tm = e->m;
	}
	/* The workers take the lock to apply their updates. */
	if (r->w == NULL) {
		registry_lock(e->reg);
		return read_files(r, o, newest);
	}
	rc = read_files(r, o, newest);
	matcher_free(r->tm);
	r->tm = e->m;
	workers_end(r->w);
	if (workers_stopped(r->w))
		r->stop = 1;
	workers_free(r->w);
	r->w = NULL;
	while (r->npvs > 0)
		free(r->pvs[--r->npvs]);
	free(r->pvs);
	registry_lock(e->reg);
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
	return backfill_write(arg, out);
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
	if ((r.bf = backfill_new(e, o->step, o->output)) == NULL)
		return 1;
	rc = read_all(&r, o, &newest);
	if (backfill_end(r.bf) == -1)
		r.stop = 1;
	warn_dropped(e->reg);
	backfill_summary(r.bf);
	if (r.stop || output_atomic(o->output, history_put, r.bf) == -1)
		rc = 1;
	registry_unlock(e->reg);
	backfill_free(r.bf);
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
	rc = read_all(&r, o, &newest);
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
