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
#include "status.h"

/* A copy of one followed file's numbers, for the landing page. */
struct filesnap {
	char	*path;
	uint64_t offset;
	uint64_t size;
	uint64_t lines;
	int	 open;
	int	 journal;    /* a journal argument */
	double	 entry_time; /* its cursor's time, 0: none yet */
};

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
	SM_RELOADS,
	SM_RELOAD_OK,
	SM_RELOAD_TIME,
	SM_AUTH_REFUSED,
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
	struct filesnap *files;	       /* under reg's lock */
	size_t		 nfiles;
	struct filesnap *dirs; /* path and open (watched) only */
	size_t		 ndirs;
	uint64_t	 reload_ok;
	uint64_t	 reload_fail;
	double		 reload_time;
	char		 reload_err[4096]; /* under reg's lock */
	int		 overflow_told;	   /* the first was logged */
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
			if (boot > 0)
				self_set(st, SM_START, NULL,
				    boot + (double)start / (double)tck);
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

struct filewalk {
	struct status *st;
	size_t	       n;
};

static void
self_file(const struct tail_file *tf, void *arg)
{
	struct filewalk *w = arg;
	struct status	*st = w->st;
	struct filesnap *fs;

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
	st->files = xreallocarray(st->files, w->n + 1, sizeof(*st->files));
	fs = &st->files[w->n++];
	fs->path = xstrdup(tf->path);
	fs->offset = tf->offset;
	fs->size = tf->size;
	fs->lines = tf->lines;
	fs->open = tf->open;
	fs->journal = journal_arg(tf->path);
	fs->entry_time = tf->entry_time;
}

static void
self_records(const char *path, const struct record_stats *rs, void *arg)
{
	struct status *st = arg;

	self_set(st, SM_RECORDS, path, (double)rs->records);
	self_set(st, SM_RECORD_PIECES, path, (double)rs->pieces);
	self_set(st, SM_WRAPPER_BAD, path, (double)rs->bad);
	self_set(st, SM_RECORDS_TOOLONG, path, (double)rs->toolong);
}

static void
self_dir(const char *path, int watched, void *arg)
{
	struct status	*st = arg;
	struct filesnap *fs;

	st->dirs = xreallocarray(st->dirs, st->ndirs + 1, sizeof(*st->dirs));
	fs = &st->dirs[st->ndirs++];
	memset(fs, 0, sizeof(*fs));
	fs->path = xstrdup(path);
	fs->open = watched;
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

void
status_update(struct status *st, struct engine *e, struct input *in, size_t nin,
    const struct status_facts *f)
{
	const struct matcher_stats *ms = matcher_stats(e->m);
	const struct rule_stats	   *rst;
	struct registry		   *reg = e->reg;
	struct input_stats	    is;
	struct filewalk		    w;
	uint64_t		    overflows = 0;
	size_t			    dirs = 0, left_out = 0;
	size_t			    i, n;

	registry_lock(st->reg);
	for (i = 0; i < st->nfiles; i++)
		free(st->files[i].path);
	for (i = 0; i < st->ndirs; i++)
		free(st->dirs[i].path);
	st->ndirs = 0;
	w.st = st;
	w.n = 0;
	for (i = 0; i < nin; i++) {
		in[i].files(in[i].self, self_file, &w);
		in[i].stats(in[i].self, &is);
		overflows += is.overflows;
		dirs += is.dirs;
		left_out += is.dirs_left_out;
		if (in[i].dirs != NULL)
			in[i].dirs(in[i].self, self_dir, st);
		if (in[i].records != NULL)
			in[i].records(in[i].self, self_records, st);
		if (is.ends)
			self_set(st, SM_SOURCE_ENDED, in[i].name, is.ended);
	}
	st->nfiles = w.n;
	rst = matcher_rule_stats(e->m, &n);
	for (i = 0; i < n; i++) {
		const char *name = e->rs->rules[i].name;

		self_set(st, SM_RULE_MATCHES, name, (double)rst[i].matched);
		self_set(st, SM_RULE_LAST_MATCH, name, rst[i].last_match);
		self_set(st, SM_RULE_LIMIT_HITS, name,
		    (double)rst[i].limit_hits);
		self_set(st, SM_RULE_ERRORS, name, (double)rst[i].errors);
	}
	self_set(st, SM_UNMATCHED, NULL, (double)ms->unmatched);
	self_set(st, SM_INOTIFY_OVERFLOWS, NULL, (double)overflows);
	self_set(st, SM_DIRS, NULL, (double)dirs);
	self_set(st, SM_DIRS_LEFT_OUT, NULL, (double)left_out);
	if (overflows > 0 && !st->overflow_told) {
		st->overflow_told = 1;
		log_warnx(
		    "inotify queue overflow: events were lost, every "
		    "followed path was checked again; if it happens again, "
		    "raise fs.inotify.max_queued_events");
	}
	self_set(st, SM_JSON_INVALID, NULL, (double)ms->json_invalid);
	registry_lock(reg);
	for (i = 0; i < reg->n; i++) {
		self_set(st, SM_SERIES, reg->m[i]->name,
		    (double)reg->m[i]->nseries);
		self_set(st, SM_DROPPED, reg->m[i]->name,
		    (double)reg->m[i]->dropped);
		self_set(st, SM_LABEL_DROPPED, reg->m[i]->name,
		    (double)reg->m[i]->label_dropped);
		self_set(st, SM_EXPIRED, reg->m[i]->name,
		    (double)reg->m[i]->expired);
		warn_refusals(reg->m[i]);
	}
	registry_unlock(reg);
	self_set(st, SM_RELOADS, "success", (double)st->reload_ok);
	self_set(st, SM_RELOADS, "failure", (double)st->reload_fail);
	self_set(st, SM_RELOAD_OK, NULL, st->reload_err[0] ? 0 : 1);
	self_set(st, SM_RELOAD_TIME, NULL, st->reload_time);
	if (f->state_on) {
		self_set(st, SM_STATE_SAVES, "ok", (double)f->state_ok);
		self_set(st, SM_STATE_SAVES, "error", (double)f->state_err);
		self_set(st, SM_STATE_TIME, NULL, f->state_time);
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

static void
html_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			buf_puts(out, "&lt;");
		else if (*s == '>')
			buf_puts(out, "&gt;");
		else if (*s == '&')
			buf_puts(out, "&amp;");
		else if (*s == '"')
			buf_puts(out, "&quot;");
		else
			buf_putc(out, *s);
	}
}

struct stallwalk {
	struct buf    *out;
	struct metric *fresh;
	double	       now;
};

static void
stall_row(struct metric *src, struct series *s, void *arg)
{
	struct stallwalk *w = arg;
	struct metric	 *m = w->fresh;
	double		  th = metric_stale_limit(m, s), age;
	size_t		  j;

	buf_puts(w->out, "<tr><td>");
	html_escape(w->out, m->name);
	buf_puts(w->out, "</td><td>");
	for (j = 0; j < src->nlabels; j++) {
		buf_printf(w->out, "%s%s=", j ? ", " : "", src->labels[j]);
		html_escape(w->out, s->values[j]);
	}
	age = w->now - s->value;
	if (s->value > 0 && age <= th)
		buf_printf(w->out,
		    "</td><td>fresh</td><td>%.1f s ago "
		    "(threshold %.0f s)</td></tr>\n",
		    age, th);
	else if (s->value > 0)
		buf_printf(w->out,
		    "</td><td><b>STALLED</b></td><td>%.1f s ago "
		    "(threshold %.0f s)</td></tr>\n",
		    age, th);
	else
		buf_printf(w->out,
		    "</td><td><b>STALLED</b></td><td>never "
		    "(threshold %.0f s)</td></tr>\n",
		    th);
}

/*
 * A journal's row: no offset or size, entries read, and how old its
 * cursor is (the journal's time of the last entry read).
 */
static void
journal_row(struct buf *out, const struct filesnap *fs)
{
	buf_printf(out, "</td><td>-</td><td>-</td><td>%llu</td><td>",
	    (unsigned long long)fs->lines);
	if (fs->entry_time > 0)
		buf_printf(out, "cursor %.1f s old",
		    now_wall() - fs->entry_time);
	else
		buf_puts(out, "no entry read yet");
	buf_puts(out, "</td></tr>\n");
}

void
status_page(struct status *st, struct engine *e, const char *metrics_path,
    struct buf *out)
{
	struct registry *reg = e->reg;
	struct stallwalk w;
	size_t		 i;

	buf_printf(out,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>logmetrics</title></head><body>\n<h1>logmetrics %s</h1>\n"
	    "<p><a href=\"",
	    LOGMETRICS_VERSION);
	html_escape(out, metrics_path);
	buf_puts(out,
	    "\">Metrics</a></p>\n<h2>Files</h2>\n<table>\n"
	    "<tr><th>path</th><th>offset</th><th>size</th><th>lines</th>"
	    "<th>state</th></tr>\n");
	registry_lock(st->reg);
	for (i = 0; i < st->nfiles; i++) {
		buf_puts(out, "<tr><td>");
		html_escape(out, st->files[i].path);
		if (st->files[i].journal) {
			journal_row(out, &st->files[i]);
			continue;
		}
		buf_printf(out,
		    "</td><td>%llu</td><td>%llu</td><td>%llu</td>"
		    "<td>%s</td></tr>\n",
		    (unsigned long long)st->files[i].offset,
		    (unsigned long long)st->files[i].size,
		    (unsigned long long)st->files[i].lines,
		    st->files[i].open ? "open" : "missing");
	}
	buf_puts(out, "</table>\n");
	if (st->ndirs > 0) {
		buf_puts(out,
		    "<h2>Directories watched</h2>\n<table>\n"
		    "<tr><th>directory</th><th>state</th></tr>\n");
		for (i = 0; i < st->ndirs; i++) {
			buf_puts(out, "<tr><td>");
			html_escape(out, st->dirs[i].path);
			buf_printf(out, "</td><td>%s</td></tr>\n",
			    st->dirs[i].open ? "watched" : "polled");
		}
		buf_puts(out, "</table>\n");
	}
	if (st->reload_err[0]) {
		buf_puts(out, "<p><b>The last reload failed:</b> <pre>");
		html_escape(out, st->reload_err);
		buf_puts(out, "</pre></p>\n");
	}
	registry_unlock(st->reg);

	buf_puts(out,
	    "<h2>Rules</h2>\n<table>\n<tr><th>rule</th>"
	    "<th>matches</th><th>last error</th></tr>\n");
	registry_lock(reg);
	{
		const struct rule_stats *rst;
		size_t			 n;

		rst = matcher_rule_stats(e->m, &n);
		for (i = 0; i < n; i++) {
			buf_puts(out, "<tr><td>");
			html_escape(out, e->rs->rules[i].name);
			buf_printf(out, "</td><td>%llu</td><td>",
			    (unsigned long long)rst[i].matched);
			html_escape(out, rst[i].last_error);
			buf_puts(out, "</td></tr>\n");
		}
	}
	buf_puts(out,
	    "</table>\n<h2>Freshness</h2>\n<table>\n"
	    "<tr><th>gauge</th><th>labels</th><th>state</th><th>last run</th>"
	    "</tr>\n");
	w.out = out;
	w.now = now_wall();
	for (i = 0; i < reg->n; i++) {
		if (reg->m[i]->type != METRIC_FRESHNESS ||
		    reg->m[i]->source == NULL)
			continue;
		w.fresh = reg->m[i];
		metric_foreach(reg->m[i]->source, stall_row, &w);
	}
	registry_unlock(reg);
	buf_puts(out, "</table>\n</body></html>\n");
}

struct status *
status_new(void)
{
	struct status *st;

	st = xcalloc(1, sizeof(*st));
	st->reload_time = now_wall();
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
	for (i = 0; i < st->nfiles; i++)
		free(st->files[i].path);
	free(st->files);
	for (i = 0; i < st->ndirs; i++)
		free(st->dirs[i].path);
	free(st->dirs);
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
		st->reload_fail++;
		snprintf(st->reload_err, sizeof(st->reload_err), "%s", err);
	} else {
		st->reload_ok++;
		st->reload_time = now_wall();
		st->reload_err[0] = '\0';
	}
	registry_unlock(st->reg);
}
