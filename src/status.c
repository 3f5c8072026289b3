/*
 * status.c: the self-metrics and the landing page of follow mode.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "page.h"
#include "status.h"

enum self_metric {
	SM_BUILD_INFO,
	SM_LINES,
	SM_BYTES,
	SM_TOOLONG,
	SM_RECORDS,
	SM_RECORD_PIECES,
	SM_WRAPPER_BAD,
	SM_RECORDS_TOOLONG,
	SM_ROTATIONS,
	SM_TRUNCATIONS,
	SM_FILES_LOST,
	SM_BYTES_LOST,
	SM_LAG,
	SM_LAST_READ,
	SM_CURSOR_TIME,
	SM_FILE_OPEN,
	SM_RULE_MATCHES,
	SM_RULE_LAST_MATCH,
	SM_RULE_LIMIT_HITS,
	SM_RULE_ERRORS,
	SM_UNMATCHED,
	SM_JSON_INVALID,
	SM_SERIES,
	SM_DROPPED,
	SM_LABEL_DROPPED,
	SM_EXPIRED,
	SM_EX_DROPPED,
	SM_RELOADS,
	SM_RELOAD_OK,
	SM_RELOAD_TIME,
	SM_AUTH_REFUSED,
	SM_WEB_RELOADS,
	SM_WEB_CURRENT,
	SM_CPU,
	SM_RSS,
	SM_VSIZE,
	SM_FDS,
	SM_MAXFDS,
	SM_START,
	SM_FILE_POLLED,
	SM_INOTIFY_OVERFLOWS,
	SM_SOURCE_ENDED,
	SM_DIRS,
	SM_DIRS_LEFT_OUT,
	SM_STATE_SAVES,
	SM_STATE_TIME,
	SM_COUNT,
};

struct self_decl {
	const char	*name;
	enum metric_type type;
	const char	*label;
	const char	*help;
};

static const struct self_decl self_decls[SM_COUNT] = {
	[SM_BUILD_INFO] = { "logmetrics_build_info", METRIC_GAUGE, "version",
	    "A metric with a constant 1 labelled by the version." },
	[SM_LINES] = { "logmetrics_lines_read_total", METRIC_COUNTER, "file",
	    "Lines read per followed file." },
	[SM_BYTES] = { "logmetrics_bytes_read_total", METRIC_COUNTER, "file",
	    "Bytes read per followed file." },
	[SM_TOOLONG] = { "logmetrics_lines_too_long_total", METRIC_COUNTER,
	    "file", "Lines over --max-line-bytes, skipped." },
	[SM_RECORDS] = { "logmetrics_records_total", METRIC_COUNTER, "file",
	    "Records of a container runtime's files, their pieces joined." },
	[SM_RECORD_PIECES] = { "logmetrics_record_pieces_joined_total",
	    METRIC_COUNTER, "file",
	    "Pieces of a container runtime's lines joined to the first." },
	[SM_WRAPPER_BAD] = { "logmetrics_wrapper_lines_invalid_total",
	    METRIC_COUNTER, "file",
	    "Lines of a container runtime's file not in its format, skipped." },
	[SM_RECORDS_TOOLONG] = { "logmetrics_records_too_long_total",
	    METRIC_COUNTER, "file",
	    "Records joined over --max-line-bytes, dropped whole." },
	[SM_ROTATIONS] = { "logmetrics_rotations_total", METRIC_COUNTER, "file",
	    "Rotations seen: the path now names another file." },
	[SM_TRUNCATIONS] = { "logmetrics_truncations_total", METRIC_COUNTER,
	    "file", "Truncations seen (copytruncate): read again from 0." },
	[SM_FILES_LOST] = { "logmetrics_files_lost_total", METRIC_COUNTER,
	    "file",
	    "Files the path led to, deleted before they could be "
	    "opened: their lines were not read." },
	[SM_FILE_POLLED] = { "logmetrics_file_polled", METRIC_GAUGE, "file",
	    "1 when no inotify watch covers the path: changes are seen at the "
	    "next --poll-interval only." },
	[SM_INOTIFY_OVERFLOWS] = { "logmetrics_inotify_overflows_total",
	    METRIC_COUNTER, NULL,
	    "Times the inotify queue overflowed: events were lost and every "
	    "path was checked again." },
	[SM_SOURCE_ENDED] = { "logmetrics_source_ended", METRIC_GAUGE, "source",
	    "1 once a source that can end (standard input, \"stdin\") has "
	    "ended: nothing more comes from it." },
	[SM_DIRS] = { "logmetrics_watched_directories", METRIC_GAUGE, NULL,
	    "Directories found for the patterns with a glob before their "
	    "last part, where matches may appear." },
	[SM_DIRS_LEFT_OUT] = { "logmetrics_directories_left_out", METRIC_GAUGE,
	    NULL,
	    "Directories left out at the last check, with the files in "
	    "them, for --max-watched-dirs." },
	[SM_BYTES_LOST] = { "logmetrics_bytes_lost_total", METRIC_COUNTER,
	    "file",
	    "Bytes known unread in the files lost (at least; lines "
	    "written to them later are not known)." },
	[SM_STATE_SAVES] = { "logmetrics_state_saves_total", METRIC_COUNTER,
	    "result",
	    "State file saves (--state-file) by result: ok, or "
	    "error (logged when it starts failing)." },
	[SM_STATE_TIME] = { "logmetrics_state_last_save_timestamp_seconds",
	    METRIC_GAUGE, NULL,
	    "When the state file last held the state of "
	    "then: the last save that succeeded." },
	[SM_LAG] = { "logmetrics_file_lag_bytes", METRIC_GAUGE, "file",
	    "Bytes of the file not yet read." },
	[SM_CURSOR_TIME] = { "logmetrics_journal_cursor_timestamp_seconds",
	    METRIC_GAUGE, "file",
	    "The journal's time of the last entry read, per journal argument." },
	[SM_LAST_READ] = { "logmetrics_file_last_line_timestamp_seconds",
	    METRIC_GAUGE, "file", "When the last line of the file was read." },
	[SM_FILE_OPEN] = { "logmetrics_file_open", METRIC_GAUGE, "file",
	    "1 while the file is open, 0 while it is missing." },
	[SM_RULE_MATCHES] = { "logmetrics_rule_matches_total", METRIC_COUNTER,
	    "rule", "Lines each rule matched." },
	[SM_RULE_LAST_MATCH] = { "logmetrics_rule_last_match_timestamp_seconds",
	    METRIC_GAUGE, "rule", "When each rule last matched." },
	[SM_RULE_LIMIT_HITS] = { "logmetrics_match_limit_hits_total",
	    METRIC_COUNTER, "rule",
	    "Matches stopped by the PCRE2 match or depth limit." },
	[SM_RULE_ERRORS] = { "logmetrics_rule_errors_total", METRIC_COUNTER,
	    "rule", "Actions skipped: a value that is not a number." },
	[SM_UNMATCHED] = { "logmetrics_lines_unmatched_total", METRIC_COUNTER,
	    NULL, "Lines that matched no rule." },
	[SM_JSON_INVALID] = { "logmetrics_json_invalid_lines_total",
	    METRIC_COUNTER, NULL,
	    "Lines a JSON rule looked at that are not one complete object." },
	[SM_SERIES] = { "logmetrics_series", METRIC_GAUGE, "metric",
	    "Series per metric." },
	[SM_DROPPED] = { "logmetrics_series_dropped_total", METRIC_COUNTER,
	    "metric", "Updates refused by the --max-series cap." },
	[SM_LABEL_DROPPED] = { "logmetrics_label_too_long_total",
	    METRIC_COUNTER, "metric",
	    "Updates refused: a label value over --max-label-bytes." },
	[SM_EXPIRED] = { "logmetrics_series_expired_total", METRIC_COUNTER,
	    "metric", "Series removed by --series-expiry." },
	[SM_EX_DROPPED] = { "logmetrics_exemplars_dropped_total",
	    METRIC_COUNTER, "metric",
	    "Exemplars not kept: their labels were over OpenMetrics' 128 "
	    "characters." },
	[SM_RELOADS] = { "logmetrics_rule_reloads_total", METRIC_COUNTER,
	    "result", "Rule reloads (SIGHUP) by result." },
	[SM_RELOAD_OK] = { "logmetrics_rules_last_reload_successful",
	    METRIC_GAUGE, NULL, "1 when the last reload succeeded." },
	[SM_RELOAD_TIME] = { "logmetrics_rules_last_reload_timestamp_seconds",
	    METRIC_GAUGE, NULL, "When the rules were last loaded." },
	[SM_AUTH_REFUSED] = { "logmetrics_http_auth_refused_total",
	    METRIC_COUNTER, "reason",
	    "Requests refused for their credentials: "
	    "wrong, or not checked while too many were (throttled)." },
	[SM_WEB_RELOADS] = { "logmetrics_web_config_reloads_total",
	    METRIC_COUNTER, "result",
	    "Reloads of --web-config (the file, its certificate or key "
	    "changed) by result: success, or failure (the one in use "
	    "stays)." },
	[SM_WEB_CURRENT] = { "logmetrics_web_config_up_to_date", METRIC_GAUGE,
	    NULL,
	    "1 when the web configuration in use is the one on disk, 0 while "
	    "a changed one could not be loaded." },
	[SM_CPU] = { "process_cpu_seconds_total", METRIC_COUNTER, NULL,
	    "Total user and system CPU time spent in seconds." },
	[SM_RSS] = { "process_resident_memory_bytes", METRIC_GAUGE, NULL,
	    "Resident memory size in bytes." },
	[SM_VSIZE] = { "process_virtual_memory_bytes", METRIC_GAUGE, NULL,
	    "Virtual memory size in bytes." },
	[SM_FDS] = { "process_open_fds", METRIC_GAUGE, NULL,
	    "Number of open file descriptors." },
	[SM_MAXFDS] = { "process_max_fds", METRIC_GAUGE, NULL,
	    "Maximum number of open file descriptors." },
	[SM_START] = { "process_start_time_seconds", METRIC_GAUGE, NULL,
	    "Start time of the process since unix epoch in seconds." },
};

struct status {
	struct registry *reg;	       /* the self-metrics */
	struct metric	*sm[SM_COUNT]; /* by enum self_metric */
	struct page_view v;	       /* the page's facts, under reg's lock */
	char		 reload_err[4096]; /* under reg's lock */
	int		 overflow_told;	   /* the first was logged */
	/* The last lines no rule matched: the main thread's alone. */
	struct page_line ring[PAGE_LINES_KEPT];
	size_t		 nring;
	uint64_t	 ring_seq;  /* of the newest */
	uint64_t	 ring_seen; /* the newest copied into v */
};

static struct registry *
self_new(struct status *st)
{
	struct metric_decl decls[SM_COUNT];
	char		  *labels[SM_COUNT][1];
	char		   err[256];
	struct registry	  *reg;
	size_t		   i;

	memset(decls, 0, sizeof(decls));
	for (i = 0; i < SM_COUNT; i++) {
		decls[i].name = (char *)(uintptr_t)self_decls[i].name;
		decls[i].help = (char *)(uintptr_t)self_decls[i].help;
		decls[i].type = self_decls[i].type;
		decls[i].file = "self";
		if (self_decls[i].label != NULL) {
			labels[i][0] = (char *)(uintptr_t)self_decls[i].label;
			decls[i].labels = labels[i];
			decls[i].nlabels = 1;
		}
	}
	reg = registry_new();
	registry_lock(reg);
	if (registry_sync(reg, decls, SM_COUNT, err, sizeof(err)) == -1)
		fatalx("self-metrics: %s", err);
	for (i = 0; i < SM_COUNT; i++)
		st->sm[i] = registry_find(reg, self_decls[i].name);
	registry_unlock(reg);
	return reg;
}

/* Sets one series of a self-metric, counter or gauge alike. */
static void
self_set(struct status *st, enum self_metric which, const char *label, double v)
{
	struct str     val;
	struct series *s;

	val.p = label ? label : "";
	val.n = label ? strlen(label) : 0;
	if ((s = metric_series(st->sm[which], &val)) != NULL)
		s->value = v;
}

/* Reads the process's CPU time, memory and start from /proc. */
static void
self_process(struct status *st)
{
	FILE		  *f;
	char		   buf[1024], *p;
	unsigned long	   utime, stime, vsize;
	unsigned long long start;
	long		   rss, tck = sysconf(_SC_CLK_TCK);
	long		   page = sysconf(_SC_PAGESIZE);
	struct rlimit	   rl;
	DIR		  *dir;
	struct dirent	  *de;
	double		   fds = 0, boot = 0;

	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2,
			"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			"%*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
			&utime, &stime, &start, &vsize, &rss) == 5) {
			self_set(st, SM_CPU, NULL,
			    (double)(utime + stime) / (double)tck);
			self_set(st, SM_VSIZE, NULL, (double)vsize);
			self_set(st, SM_RSS, NULL, (double)rss * (double)page);
			if ((f = freopen("/proc/stat", "r", f)) != NULL)
				while (fgets(buf, sizeof(buf), f) != NULL)
					if (sscanf(buf, "btime %lf", &boot) ==
					    1)
						break;
			if (boot > 0) {
				st->v.start = boot +
				    (double)start / (double)tck;
				self_set(st, SM_START, NULL, st->v.start);
			}
		}
		if (f != NULL)
			fclose(f);
	}
	if ((dir = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(dir)) != NULL)
			if (de->d_name[0] != '.')
				fds++;
		closedir(dir);
		self_set(st, SM_FDS, NULL, fds - 1);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		self_set(st, SM_MAXFDS, NULL, (double)rl.rlim_cur);
}

static void
self_file(const struct tail_file *tf, void *arg)
{
	struct status	   *st = arg;
	struct page_view   *v = &st->v;
	struct page_source *ps;

	self_set(st, SM_LINES, tf->path, (double)tf->lines);
	self_set(st, SM_BYTES, tf->path, (double)tf->bytes);
	self_set(st, SM_TOOLONG, tf->path, (double)tf->toolong);
	self_set(st, SM_ROTATIONS, tf->path, (double)tf->rotations);
	self_set(st, SM_TRUNCATIONS, tf->path, (double)tf->truncations);
	self_set(st, SM_FILES_LOST, tf->path, (double)tf->lost);
	self_set(st, SM_BYTES_LOST, tf->path, (double)tf->lost_bytes);
	self_set(st, SM_FILE_POLLED, tf->path, tf->polled ? 1 : 0);
	self_set(st, SM_LAG, tf->path,
	    tf->size > tf->offset ? (double)(tf->size - tf->offset) : 0);
	self_set(st, SM_LAST_READ, tf->path, tf->last_read);
	if (tf->entry_time > 0)
		self_set(st, SM_CURSOR_TIME, tf->path, tf->entry_time);
	self_set(st, SM_FILE_OPEN, tf->path, tf->open ? 1 : 0);
	v->sources = xreallocarray(v->sources, v->nsources + 1,
	    sizeof(*v->sources));
	ps = &v->sources[v->nsources++];
	ps->path = xstrdup(tf->path);
	ps->offset = tf->offset;
	ps->size = tf->size;
	ps->lines = tf->lines;
	ps->toolong = tf->toolong;
	ps->rotations = tf->rotations;
	ps->truncations = tf->truncations;
	ps->lost = tf->lost;
	ps->lost_bytes = tf->lost_bytes;
	ps->last_read = tf->last_read;
	ps->entry_time = tf->entry_time;
	ps->open = tf->open;
	ps->polled = tf->polled;
	ps->journal = journal_arg(tf->path);
	v->lines += tf->lines;
	v->limits.lines_toolong += tf->toolong;
	v->limits.files_lost += tf->lost;
	v->limits.bytes_lost += tf->lost_bytes;
}

static void
self_records(const char *path, const struct record_stats *rs, void *arg)
{
	struct status *st = arg;

	self_set(st, SM_RECORDS, path, (double)rs->records);
	self_set(st, SM_RECORD_PIECES, path, (double)rs->pieces);
	self_set(st, SM_WRAPPER_BAD, path, (double)rs->bad);
	self_set(st, SM_RECORDS_TOOLONG, path, (double)rs->toolong);
	st->v.limits.records_toolong += rs->toolong;
}

static void
self_dir(const char *path, int watched, void *arg)
{
	struct page_view *v = &((struct status *)arg)->v;

	v->dirs = xreallocarray(v->dirs, v->ndirs + 1, sizeof(*v->dirs));
	v->dirs[v->ndirs].path = xstrdup(path);
	v->dirs[v->ndirs++].watched = watched;
}

/* Empties the parts of the view status_update() fills again. */
static void
view_clear(struct page_view *v)
{
	size_t i;

	for (i = 0; i < v->nsources; i++)
		free(v->sources[i].path);
	v->nsources = 0;
	for (i = 0; i < v->ndirs; i++)
		free(v->dirs[i].path);
	v->ndirs = 0;
	for (i = 0; i < v->nrules; i++)
		free(v->rules[i].name);
	v->nrules = 0;
	for (i = 0; i < v->nmetrics; i++)
		free(v->metrics[i].name);
	v->nmetrics = 0;
	memset(&v->limits, 0, sizeof(v->limits));
	v->lines = 0;
}

/* The rules' numbers, as the self-metrics have them, into the view. */
static void
view_rules(struct status *st, struct engine *e)
{
	const struct rule_stats *rst;
	struct page_rule	*r;
	size_t			 i, n;

	rst = matcher_rule_stats(e->m, &n);
	st->v.rules = xreallocarray(st->v.rules, n, sizeof(*st->v.rules));
	for (i = 0; i < n; i++) {
		const char *name = e->rs->rules[i].name;

		self_set(st, SM_RULE_MATCHES, name, (double)rst[i].matched);
		self_set(st, SM_RULE_LAST_MATCH, name, rst[i].last_match);
		self_set(st, SM_RULE_LIMIT_HITS, name,
		    (double)rst[i].limit_hits);
		self_set(st, SM_RULE_ERRORS, name, (double)rst[i].errors);
		r = &st->v.rules[i];
		r->name = xstrdup(name);
		r->matched = rst[i].matched;
		r->limit_hits = rst[i].limit_hits;
		r->errors = rst[i].errors;
		r->last_match = rst[i].last_match;
		memcpy(r->last_error, rst[i].last_error, sizeof(r->last_error));
	}
	st->v.nrules = n;
}

/* Logs, once per metric, the first update a limit refused. */
static void
warn_refusals(struct metric *m)
{
	if (m->warned || (m->dropped == 0 && m->label_dropped == 0))
		return;
	m->warned = 1;
	if (m->dropped > 0)
		log_warnx("%s: more than %zu series: new label values are "
			  "dropped (--max-series)",
		    m->name, m->maxseries);
	else
		log_warnx("%s: a label value longer than %zu bytes: such "
			  "updates are dropped (--max-label-bytes)",
		    m->name, m->maxlabel);
}

/*
 * The schemas the series of native histogram m are at: from its first,
 * finest, down to the widest any series has widened to. Cost: a walk of
 * its series.
 */
static void
native_schemas(const struct metric *m, int *lo, int *hi)
{
	const struct series *s;
	size_t		     i;

	*lo = *hi = m->nschema;
	for (i = 0; i < m->tablesize; i++)
		for (s = m->table[i]; s != NULL; s = s->next)
			if (s->nh != NULL && s->nh->schema < *lo)
				*lo = s->nh->schema;
}

/* Each metric's series and refusals, self-metrics and view alike. */
static void
view_metrics(struct status *st, struct registry *reg)
{
	struct page_metric *pm;
	struct metric	   *m;
	size_t		    i;

	st->v.metrics = xreallocarray(st->v.metrics, reg->n,
	    sizeof(*st->v.metrics));
	for (i = 0; i < reg->n; i++) {
		m = reg->m[i];
		self_set(st, SM_SERIES, m->name, (double)m->nseries);
		self_set(st, SM_DROPPED, m->name, (double)m->dropped);
		self_set(st, SM_LABEL_DROPPED, m->name,
		    (double)m->label_dropped);
		self_set(st, SM_EXPIRED, m->name, (double)m->expired);
		if (m->type == METRIC_COUNTER || m->type == METRIC_HISTOGRAM)
			self_set(st, SM_EX_DROPPED, m->name,
			    (double)m->ex_dropped);
		warn_refusals(m);
		pm = &st->v.metrics[i];
		pm->name = xstrdup(m->name);
		pm->type = m->type;
		pm->series = m->nseries;
		pm->cap = m->maxseries;
		pm->dropped = m->dropped;
		pm->label_dropped = m->label_dropped;
		pm->expired = m->expired;
		pm->native = m->native;
		if (m->native)
			native_schemas(m, &pm->schema_min, &pm->schema_max);
		st->v.limits.series_dropped += m->dropped;
		st->v.limits.labels_toolong += m->label_dropped;
		st->v.limits.exemplars_dropped += m->ex_dropped;
	}
	st->v.nmetrics = reg->n;
}

/*
 * Keeps len bytes of a line (full long) read from path at when into d,
 * its path and text buffers reused.
 */
static void
line_keep(struct page_line *d, const char *path, const char *text, size_t len,
    size_t full, double when, uint64_t seq)
{
	if (d->path == NULL || strcmp(d->path, path) != 0) {
		free(d->path);
		d->path = xstrdup(path);
	}
	if (d->cap < len) {
		d->cap = len > 256 ? len : 256;
		d->text = xrealloc(d->text, d->cap);
	}
	if (len > 0)
		memcpy(d->text, text, len);
	d->len = len;
	d->full = full;
	d->when = when;
	d->seq = seq;
}

static void
kept_copy(struct page_line *d, const struct page_line *k)
{
	line_keep(d, k->path, k->text, k->len, k->full, k->when, k->seq);
}

/*
 * The lines kept since the last update, into the view: the view's slot
 * of each ring slot is copied again when the ring's holds another line.
 */
static void
view_kept(struct status *st)
{
	size_t i;

	if (st->ring_seen == st->ring_seq)
		return;
	st->ring_seen = st->ring_seq;
	for (i = 0; i < st->nring; i++)
		if (st->v.kept[i].seq != st->ring[i].seq)
			kept_copy(&st->v.kept[i], &st->ring[i]);
	st->v.nkept = st->nring;
}

void
status_update(struct status *st, struct engine *e, struct input *in, size_t nin,
    const struct status_facts *f)
{
	const struct matcher_stats *ms = matcher_stats(e->m);
	struct page_view	   *v = &st->v;
	struct input_stats	    is;
	size_t			    i, dirs = 0;

	registry_lock(st->reg);
	view_clear(v);
	for (i = 0; i < nin; i++) {
		in[i].files(in[i].self, self_file, st);
		in[i].stats(in[i].self, &is);
		v->limits.inotify_overflows += is.overflows;
		v->limits.dirs_left_out += is.dirs_left_out;
		if (in[i].dirs != NULL)
			in[i].dirs(in[i].self, self_dir, st);
		if (in[i].records != NULL)
			in[i].records(in[i].self, self_records, st);
		if (is.ends)
			self_set(st, SM_SOURCE_ENDED, in[i].name, is.ended);
		dirs += is.dirs;
	}
	self_set(st, SM_DIRS, NULL, (double)dirs);
	view_rules(st, e);
	v->unmatched = ms->unmatched;
	v->json_invalid = ms->json_invalid;
	v->limits.match_limit = ms->limit_hits;
	self_set(st, SM_UNMATCHED, NULL, (double)ms->unmatched);
	self_set(st, SM_INOTIFY_OVERFLOWS, NULL,
	    (double)v->limits.inotify_overflows);
	self_set(st, SM_DIRS_LEFT_OUT, NULL, (double)v->limits.dirs_left_out);
	if (v->limits.inotify_overflows > 0 && !st->overflow_told) {
		st->overflow_told = 1;
		log_warnx(
		    "inotify queue overflow: events were lost, every "
		    "followed path was checked again; if it happens again, "
		    "raise fs.inotify.max_queued_events");
	}
	self_set(st, SM_JSON_INVALID, NULL, (double)ms->json_invalid);
	registry_lock(e->reg);
	view_metrics(st, e->reg);
	registry_unlock(e->reg);
	view_kept(st);
	self_set(st, SM_RELOADS, "success", (double)v->reloads_ok);
	self_set(st, SM_RELOADS, "failure", (double)v->reloads_failed);
	self_set(st, SM_RELOAD_OK, NULL, st->reload_err[0] ? 0 : 1);
	self_set(st, SM_RELOAD_TIME, NULL, v->reload_time);
	v->reload_err = st->reload_err[0] ? st->reload_err : NULL;
	v->state_on = f->state_on;
	if (f->state_on) {
		v->state_ok = f->state_ok;
		v->state_err = f->state_err;
		v->state_time = f->state_time;
		self_set(st, SM_STATE_SAVES, "ok", (double)f->state_ok);
		self_set(st, SM_STATE_SAVES, "error", (double)f->state_err);
		self_set(st, SM_STATE_TIME, NULL, f->state_time);
	}
	if (f->web != NULL) {
		self_set(st, SM_WEB_RELOADS, "success", (double)f->web_ok);
		self_set(st, SM_WEB_RELOADS, "failure", (double)f->web_err);
		self_set(st, SM_WEB_CURRENT, NULL, f->web_current ? 1 : 0);
	}
	if (f->web != NULL && f->web->nusers > 0) {
		uint64_t refused, throttled;

		webconfig_auth_counts(f->web, &refused, &throttled);
		self_set(st, SM_AUTH_REFUSED, "wrong", (double)refused);
		self_set(st, SM_AUTH_REFUSED, "throttled", (double)throttled);
	}
	self_process(st);
	registry_unlock(st->reg);
}

void
status_unmatched(struct status *st, const char *path, const char *line,
    size_t len, double now)
{
	size_t n = len < PAGE_KEEP_BYTES ? len : PAGE_KEEP_BYTES;

	if (st->nring < PAGE_LINES_KEPT)
		st->nring++;
	/* A cut line ends before a UTF-8 sequence it would split. */
	while (n < len && n > 0 && ((unsigned char)line[n] & 0xc0) == 0x80)
		n--;
	line_keep(&st->ring[st->ring_seq % PAGE_LINES_KEPT], path, line, n, len,
	    now, st->ring_seq + 1);
	st->ring_seq++;
}

struct freshwalk {
	struct page_view *v;
	struct metric	 *gauge;
};

/* One row per series of a freshness gauge's source. */
static void
fresh_row(struct metric *src, struct series *s, void *arg)
{
	struct freshwalk  *w = arg;
	struct page_view  *v = w->v;
	struct page_fresh *f;
	size_t		   j;

	v->fresh = xreallocarray(v->fresh, v->nfresh + 1, sizeof(*v->fresh));
	f = &v->fresh[v->nfresh++];
	f->gauge = xstrdup(w->gauge->name);
	f->nlabels = src->nlabels;
	f->names = xcalloc(src->nlabels + 1, sizeof(char *));
	f->values = xcalloc(src->nlabels + 1, sizeof(char *));
	for (j = 0; j < src->nlabels; j++) {
		f->names[j] = xstrdup(src->labels[j]);
		f->values[j] = xstrdup(s->values[j]);
	}
	f->last = s->value;
	f->threshold = metric_stale_limit(w->gauge, s);
}

void
status_page(struct status *st, struct engine *e, const char *metrics_path,
    int json, struct buf *out)
{
	struct registry *reg = e->reg;
	struct page_view v;
	struct freshwalk w;
	size_t		 i, j;

	registry_lock(st->reg);
	v = st->v;
	v.version = LOGMETRICS_VERSION;
	v.now = now_wall();
	v.metrics_path = metrics_path;
	v.fresh = NULL;
	v.nfresh = 0;
	registry_lock(reg);
	for (i = 0; i < reg->n; i++) {
		if (reg->m[i]->type != METRIC_FRESHNESS ||
		    reg->m[i]->source == NULL)
			continue;
		w.v = &v;
		w.gauge = reg->m[i];
		metric_foreach(reg->m[i]->source, fresh_row, &w);
	}
	registry_unlock(reg);
	if (json)
		page_json(&v, out);
	else
		page_html(&v, out);
	registry_unlock(st->reg);
	for (i = 0; i < v.nfresh; i++) {
		free(v.fresh[i].gauge);
		for (j = 0; j < v.fresh[i].nlabels; j++) {
			free(v.fresh[i].names[j]);
			free(v.fresh[i].values[j]);
		}
		free(v.fresh[i].names);
		free(v.fresh[i].values);
	}
	free(v.fresh);
}

struct status *
status_new(void)
{
	struct status *st;

	st = xcalloc(1, sizeof(*st));
	st->v.reload_time = now_wall();
	st->v.kept = xcalloc(PAGE_LINES_KEPT, sizeof(*st->v.kept));
	st->reg = self_new(st);
	registry_lock(st->reg);
	self_set(st, SM_BUILD_INFO, LOGMETRICS_VERSION, 1);
	registry_unlock(st->reg);
	return st;
}

void
status_free(struct status *st)
{
	size_t i;

	if (st == NULL)
		return;
	view_clear(&st->v);
	free(st->v.sources);
	free(st->v.dirs);
	free(st->v.rules);
	free(st->v.metrics);
	for (i = 0; i < PAGE_LINES_KEPT; i++) {
		free(st->v.kept[i].path);
		free(st->v.kept[i].text);
		free(st->ring[i].path);
		free(st->ring[i].text);
	}
	free(st->v.kept);
	registry_free(st->reg);
	free(st);
}

struct registry *
status_registry(struct status *st)
{
	return st->reg;
}

void
status_reload(struct status *st, const char *err)
{
	registry_lock(st->reg);
	if (err != NULL) {
		st->v.reloads_failed++;
		snprintf(st->reload_err, sizeof(st->reload_err), "%s", err);
	} else {
		st->v.reloads_ok++;
		st->v.reload_time = now_wall();
		st->reload_err[0] = '\0';
	}
	registry_unlock(st->reg);
}

int
status_explain(struct status *st, struct engine *e, const char *arg,
    struct buf *out)
{
	struct page_line k;
	struct buf	 ex;
	uint64_t	 seq;
	size_t		 i;
	int		 found = 0;

	if (arg == NULL || arg[0] == '\0' || strlen(arg) > 19 ||
	    strspn(arg, "0123456789") != strlen(arg)) {
		page_error(400,
		    "/explain?line=N takes the number of one of the lines no "
		    "rule matched that the status page shows.",
		    out);
		return 400;
	}
	seq = strtoull(arg, NULL, 10);
	memset(&k, 0, sizeof(k));
	registry_lock(st->reg);
	for (i = 0; i < st->v.nkept && !found; i++)
		if (st->v.kept[i].seq == seq) {
			kept_copy(&k, &st->v.kept[i]);
			found = 1;
		}
	registry_unlock(st->reg);
	if (!found) {
		page_error(404,
		    "That line is not kept: the status page keeps the last "
		    "16 lines no rule matched, and links to each.",
		    out);
		return 404;
	}
	buf_init(&ex);
	/* The matcher is the main thread's between two lines. */
	registry_lock(e->reg);
	matcher_explain(e->m, k.text, k.len, now_wall(), &ex);
	registry_unlock(e->reg);
	page_explain(&k, ex.p, ex.len, now_wall(), out);
	buf_free(&ex);
	free(k.path);
	free(k.text);
	return 200;
}
