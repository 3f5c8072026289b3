/*
 * daemon.c: follow mode. The main thread follows the files and feeds each
 * line to the matcher under the registry lock, one line at a time, so a
 * scrape waits at most for one line. The HTTP thread renders the registry,
 * then the self-metrics, which the main thread refreshes after each poll.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon.h"
#include "expose.h"
#include "http.h"
#include "log.h"
#include "state.h"
#include "tail.h"

#define POLL_MS	200

static volatile sig_atomic_t	got_stop, got_hup;

/* A copy of one followed file's numbers, for the landing page. */
struct filesnap {
	char		*path;
	uint64_t	 offset;
	uint64_t	 size;
	uint64_t	 lines;
	int		 open;
};

struct daemon {
	const struct daemon_opts *o;
	struct engine		*e;
	struct tail		*t;
	struct registry		*self;		/* self-metrics */
	struct metric		*sm[48];	/* by enum self_metric */
	struct filesnap		*files;		/* under self's lock */
	size_t			 nfiles;
	uint64_t		 reload_ok;
	uint64_t		 reload_fail;
	double			 reload_time;
	char			 reload_err[4096];
	double			 start;
	int			 ready;
	struct buf		 state_last;	/* bytes of the last save */
	double			 state_next;	/* monotonic time of the next */
	int			 state_on;
	int			 state_failing;
	uint64_t		 state_ok;	/* saves that reached the disk */
	uint64_t		 state_err;
	double			 state_time;	/* wall time of the last good */
	int64_t			 state_stamp;	/* its positions' time */
	int			 overflow_told;	/* the first was logged */
	struct webconfig	*web;		/* the server's, or NULL */
};

enum self_metric {
	SM_BUILD_INFO,
	SM_LINES,
	SM_BYTES,
	SM_TOOLONG,
	SM_ROTATIONS,
	SM_TRUNCATIONS,
	SM_FILES_LOST,
	SM_BYTES_LOST,
	SM_LAG,
	SM_LAST_READ,
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
	SM_STATE_SAVES,
	SM_STATE_TIME,
	SM_COUNT,
};

_Static_assert(SM_COUNT <= 48, "struct daemon's sm[] is too short");

struct self_decl {
	const char		*name;
	enum metric_type	 type;
	const char		*label;
	const char		*help;
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
	[SM_ROTATIONS] = { "logmetrics_rotations_total", METRIC_COUNTER,
	    "file", "Rotations seen: the path now names another file." },
	[SM_TRUNCATIONS] = { "logmetrics_truncations_total", METRIC_COUNTER,
	    "file", "Truncations seen (copytruncate): read again from 0." },
	[SM_FILES_LOST] = { "logmetrics_files_lost_total", METRIC_COUNTER,
	    "file", "Files the path led to, deleted before they could be "
	    "opened: their lines were not read." },
	[SM_FILE_POLLED] = { "logmetrics_file_polled", METRIC_GAUGE, "file",
	    "1 when no inotify watch covers the path: changes are seen at the "
	    "next --poll-interval only." },
	[SM_INOTIFY_OVERFLOWS] = { "logmetrics_inotify_overflows_total",
	    METRIC_COUNTER, NULL,
	    "Times the inotify queue overflowed: events were lost and every "
	    "path was checked again." },
	[SM_BYTES_LOST] = { "logmetrics_bytes_lost_total", METRIC_COUNTER,
	    "file", "Bytes known unread in the files lost (at least; lines "
	    "written to them later are not known)." },
	[SM_STATE_SAVES] = { "logmetrics_state_saves_total", METRIC_COUNTER,
	    "result", "State file saves (--state-file) by result: ok, or "
	    "error (logged when it starts failing)." },
	[SM_STATE_TIME] = { "logmetrics_state_last_save_timestamp_seconds",
	    METRIC_GAUGE, NULL, "When the state file last held the state of "
	    "then: the last save that succeeded." },
	[SM_LAG] = { "logmetrics_file_lag_bytes", METRIC_GAUGE, "file",
	    "Bytes of the file not yet read." },
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
	    METRIC_COUNTER, "reason", "Requests refused for their credentials: "
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

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static struct registry *
self_new(struct daemon *d)
{
	struct metric_decl	 decls[SM_COUNT];
	char			*labels[SM_COUNT][1];
	char			 err[256];
	struct registry		*reg;
	size_t			 i;

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
		d->sm[i] = registry_find(reg, self_decls[i].name);
	registry_unlock(reg);
	return reg;
}

/* Sets one series of a self-metric, counter or gauge alike. */
static void
self_set(struct daemon *d, enum self_metric which, const char *label,
    double v)
{
	struct str	 val;
	struct series	*s;

	val.p = label ? label : "";
	val.n = label ? strlen(label) : 0;
	if ((s = metric_series(d->sm[which], &val)) != NULL)
		s->value = v;
}

/* Reads the process's CPU time, memory and start from /proc. */
static void
self_process(struct daemon *d)
{
	FILE			*f;
	char			 buf[1024], *p;
	unsigned long		 utime, stime, vsize;
	unsigned long long	 start;
	long			 rss, tck = sysconf(_SC_CLK_TCK);
	long			 page = sysconf(_SC_PAGESIZE);
	struct rlimit		 rl;
	DIR			*dir;
	struct dirent		*de;
	double			 fds = 0, boot = 0;

	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
		    &utime, &stime, &start, &vsize, &rss) == 5) {
			self_set(d, SM_CPU, NULL,
			    (double)(utime + stime) / (double)tck);
			self_set(d, SM_VSIZE, NULL, (double)vsize);
			self_set(d, SM_RSS, NULL, (double)rss * (double)page);
			if ((f = freopen("/proc/stat", "r", f)) != NULL)
				while (fgets(buf, sizeof(buf), f) != NULL)
					if (sscanf(buf, "btime %lf", &boot) ==
					    1)
						break;
			if (boot > 0)
				self_set(d, SM_START, NULL,
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
		self_set(d, SM_FDS, NULL, fds - 1);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		self_set(d, SM_MAXFDS, NULL, (double)rl.rlim_cur);
}

struct filewalk {
	struct daemon	*d;
	size_t		 n;
};

static void
self_file(const struct tail_file *tf, void *arg)
{
	struct filewalk	*w = arg;
	struct daemon	*d = w->d;
	struct filesnap	*fs;

	self_set(d, SM_LINES, tf->path, (double)tf->lines);
	self_set(d, SM_BYTES, tf->path, (double)tf->bytes);
	self_set(d, SM_TOOLONG, tf->path, (double)tf->toolong);
	self_set(d, SM_ROTATIONS, tf->path, (double)tf->rotations);
	self_set(d, SM_TRUNCATIONS, tf->path, (double)tf->truncations);
	self_set(d, SM_FILES_LOST, tf->path, (double)tf->lost);
	self_set(d, SM_BYTES_LOST, tf->path, (double)tf->lost_bytes);
	self_set(d, SM_FILE_POLLED, tf->path, tf->polled ? 1 : 0);
	self_set(d, SM_LAG, tf->path, tf->size > tf->offset ?
	    (double)(tf->size - tf->offset) : 0);
	self_set(d, SM_LAST_READ, tf->path, tf->last_read);
	self_set(d, SM_FILE_OPEN, tf->path, tf->open ? 1 : 0);
	d->files = xreallocarray(d->files, w->n + 1, sizeof(*d->files));
	fs = &d->files[w->n++];
	fs->path = xstrdup(tf->path);
	fs->offset = tf->offset;
	fs->size = tf->size;
	fs->lines = tf->lines;
	fs->open = tf->open;
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
		    "dropped (--max-series)", m->name, m->maxseries);
	else
		log_warnx("%s: a label value longer than %zu bytes: such "
		    "updates are dropped (--max-label-bytes)", m->name,
		    m->maxlabel);
}

/*
 * Refreshes the self-metrics from the tail, matcher and registry. Runs on
 * the main thread, the only one that changes those numbers.
 */
static void
self_update(struct daemon *d)
{
	const struct matcher_stats	*ms = matcher_stats(d->e->m);
	const struct rule_stats		*rst;
	struct registry			*reg = d->e->reg;
	struct tail_stats		 ts;
	struct filewalk			 w;
	size_t				 i, n;

	registry_lock(d->self);
	for (i = 0; i < d->nfiles; i++)
		free(d->files[i].path);
	w.d = d;
	w.n = 0;
	tail_foreach(d->t, self_file, &w);
	d->nfiles = w.n;
	rst = matcher_rule_stats(d->e->m, &n);
	for (i = 0; i < n; i++) {
		const char	*name = d->e->rs->rules[i].name;

		self_set(d, SM_RULE_MATCHES, name, (double)rst[i].matched);
		self_set(d, SM_RULE_LAST_MATCH, name, rst[i].last_match);
		self_set(d, SM_RULE_LIMIT_HITS, name,
		    (double)rst[i].limit_hits);
		self_set(d, SM_RULE_ERRORS, name, (double)rst[i].errors);
	}
	self_set(d, SM_UNMATCHED, NULL, (double)ms->unmatched);
	tail_stats(d->t, &ts);
	self_set(d, SM_INOTIFY_OVERFLOWS, NULL, (double)ts.overflows);
	if (ts.overflows > 0 && !d->overflow_told) {
		d->overflow_told = 1;
		log_warnx("inotify queue overflow: events were lost, every "
		    "followed path was checked again; if it happens again, "
		    "raise fs.inotify.max_queued_events");
	}
	self_set(d, SM_JSON_INVALID, NULL, (double)ms->json_invalid);
	registry_lock(reg);
	for (i = 0; i < reg->n; i++) {
		self_set(d, SM_SERIES, reg->m[i]->name,
		    (double)reg->m[i]->nseries);
		self_set(d, SM_DROPPED, reg->m[i]->name,
		    (double)reg->m[i]->dropped);
		self_set(d, SM_LABEL_DROPPED, reg->m[i]->name,
		    (double)reg->m[i]->label_dropped);
		self_set(d, SM_EXPIRED, reg->m[i]->name,
		    (double)reg->m[i]->expired);
		warn_refusals(reg->m[i]);
	}
	registry_unlock(reg);
	self_set(d, SM_RELOADS, "success", (double)d->reload_ok);
	self_set(d, SM_RELOADS, "failure", (double)d->reload_fail);
	self_set(d, SM_RELOAD_OK, NULL, d->reload_err[0] ? 0 : 1);
	self_set(d, SM_RELOAD_TIME, NULL, d->reload_time);
	if (d->state_on) {
		self_set(d, SM_STATE_SAVES, "ok", (double)d->state_ok);
		self_set(d, SM_STATE_SAVES, "error", (double)d->state_err);
		self_set(d, SM_STATE_TIME, NULL, d->state_time);
	}
	if (d->web != NULL && d->web->nusers > 0) {
		uint64_t	refused, throttled;

		webconfig_auth_counts(d->web, &refused, &throttled);
		self_set(d, SM_AUTH_REFUSED, "wrong", (double)refused);
		self_set(d, SM_AUTH_REFUSED, "throttled", (double)throttled);
	}
	self_process(d);
	registry_unlock(d->self);
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
	struct buf	*out;
	struct metric	*fresh;
	double		 now;
};

static void
stall_row(struct metric *src, struct series *s, void *arg)
{
	struct stallwalk	*w = arg;
	struct metric		*m = w->fresh;
	double			 th = metric_stale_limit(m, s), age;
	size_t			 j;

	buf_puts(w->out, "<tr><td>");
	html_escape(w->out, m->name);
	buf_puts(w->out, "</td><td>");
	for (j = 0; j < src->nlabels; j++) {
		buf_printf(w->out, "%s%s=", j ? ", " : "", src->labels[j]);
		html_escape(w->out, s->values[j]);
	}
	age = w->now - s->value;
	if (s->value > 0 && age <= th)
		buf_printf(w->out, "</td><td>fresh</td><td>%.1f s ago "
		    "(threshold %.0f s)</td></tr>\n", age, th);
	else if (s->value > 0)
		buf_printf(w->out, "</td><td><b>STALLED</b></td><td>%.1f s ago "
		    "(threshold %.0f s)</td></tr>\n", age, th);
	else
		buf_printf(w->out, "</td><td><b>STALLED</b></td><td>never "
		    "(threshold %.0f s)</td></tr>\n", th);
}

static void
landing(struct daemon *d, struct buf *out)
{
	struct registry		*reg = d->e->reg;
	struct stallwalk	 w;
	size_t			 i;

	buf_printf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>logmetrics</title></head><body>\n<h1>logmetrics %s</h1>\n"
	    "<p><a href=\"", LOGMETRICS_VERSION);
	html_escape(out, d->o->metrics_path);
	buf_puts(out, "\">Metrics</a></p>\n<h2>Files</h2>\n<table>\n"
	    "<tr><th>path</th><th>offset</th><th>size</th><th>lines</th>"
	    "<th>state</th></tr>\n");
	registry_lock(d->self);
	for (i = 0; i < d->nfiles; i++) {
		buf_puts(out, "<tr><td>");
		html_escape(out, d->files[i].path);
		buf_printf(out, "</td><td>%llu</td><td>%llu</td><td>%llu</td>"
		    "<td>%s</td></tr>\n",
		    (unsigned long long)d->files[i].offset,
		    (unsigned long long)d->files[i].size,
		    (unsigned long long)d->files[i].lines,
		    d->files[i].open ? "open" : "missing");
	}
	buf_puts(out, "</table>\n");
	if (d->reload_err[0]) {
		buf_puts(out, "<p><b>The last reload failed:</b> <pre>");
		html_escape(out, d->reload_err);
		buf_puts(out, "</pre></p>\n");
	}
	registry_unlock(d->self);

	buf_puts(out, "<h2>Rules</h2>\n<table>\n<tr><th>rule</th>"
	    "<th>matches</th><th>last error</th></tr>\n");
	registry_lock(reg);
	{
		const struct rule_stats	*rst;
		size_t			 n;

		rst = matcher_rule_stats(d->e->m, &n);
		for (i = 0; i < n; i++) {
			buf_puts(out, "<tr><td>");
			html_escape(out, d->e->rs->rules[i].name);
			buf_printf(out, "</td><td>%llu</td><td>",
			    (unsigned long long)rst[i].matched);
			html_escape(out, rst[i].last_error);
			buf_puts(out, "</td></tr>\n");
		}
	}
	buf_puts(out, "</table>\n<h2>Freshness</h2>\n<table>\n"
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

static void
render(void *arg, enum http_page page, enum expose_format fmt,
    struct buf *out)
{
	struct daemon	*d = arg;
	double		 now = now_wall();

	if (page == HTTP_PAGE_LANDING) {
		landing(d, out);
		return;
	}
	registry_lock(d->e->reg);
	expose_render(d->e->reg, out, fmt, now);
	registry_unlock(d->e->reg);
	/* One "# EOF" at the very end in OpenMetrics. */
	if (fmt == EXPOSE_OPENMETRICS && out->len >= 6 &&
	    memcmp(out->p + out->len - 6, "# EOF\n", 6) == 0)
		out->len -= 6;
	registry_lock(d->self);
	expose_render(d->self, out, fmt, now);
	registry_unlock(d->self);
}

static int
ready(void *arg)
{
	struct daemon	*d = arg;

	return d->ready;
}

static void
on_line(void *arg, struct tail_file *tf, const char *line, size_t len)
{
	struct daemon	*d = arg;

	(void)tf;
	registry_lock(d->e->reg);
	matcher_line(d->e->m, line, len, now_wall());
	registry_unlock(d->e->reg);
}

static void
reload(struct daemon *d)
{
	char	err[4096];

	if (engine_reload(d->e, &d->o->eng, err, sizeof(err)) == -1) {
		d->reload_fail++;
		registry_lock(d->self);
		snprintf(d->reload_err, sizeof(d->reload_err), "%s", err);
		registry_unlock(d->self);
		log_warnx("reload failed, the old rules keep running:\n%s",
		    err);
		return;
	}
	d->reload_ok++;
	d->reload_time = now_wall();
	registry_lock(d->self);
	d->reload_err[0] = '\0';
	registry_unlock(d->self);
	log_info("rules reloaded: %zu metrics, %zu rules", d->e->rs->ndecls,
	    d->e->rs->nrules);
}

/*
 * Saves the state when it changed since the last save. The snapshot is
 * taken between two lines under the registry lock, so that offsets and
 * values describe the same lines; the file is written (fsync, rename,
 * fsync of the directory) after the lock is released.
 */
struct positions {
	struct state_pos	*v;
	size_t			 n;
};

/* Adds a file's position, encoded by the tail, to the state's. */
static void
position_add(const struct tail_pos *p, void *arg)
{
	struct positions	*ps = arg;
	struct state_pos	*sp;
	struct buf		 b;

	buf_init(&b);
	tail_pos_encode(p, &b);
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	sp = &ps->v[ps->n++];
	memset(sp, 0, sizeof(*sp));
	sp->kind = xstrdup(TAIL_POS_KIND);
	sp->version = TAIL_POS_VERSION;
	sp->len = b.len;
	sp->data = buf_release(&b);
}

/* The snapshot of now in b, its positions stamped with stamp. */
static void
snapshot(struct daemon *d, struct buf *b, int64_t stamp)
{
	struct positions	ps = { NULL, 0 };

	registry_lock(d->e->reg);
	tail_positions(d->t, stamp, position_add, &ps);
	state_snapshot(b, d->e->reg, ps.v, ps.n);
	registry_unlock(d->e->reg);
	state_pos_free(ps.v, ps.n);
}

static void
save_state(struct daemon *d)
{
	struct buf	b;
	int64_t		stamp = d->state_stamp;

	d->state_next = now_mono() + d->o->state_interval;
	buf_init(&b);
	/*
	 * Positions carry the time of their snapshot: stamped with the time
	 * of the last save, a snapshot that equals it means nothing changed,
	 * and the file is left as it is.
	 */
	snapshot(d, &b, stamp);
	if (stamp == 0 || d->state_failing || b.len != d->state_last.len ||
	    memcmp(b.p, d->state_last.p, b.len) != 0) {
		buf_reset(&b);
		stamp = tail_clock();
		snapshot(d, &b, stamp);
	}
	/* The same bytes as on disk: the file holds the state of now. */
	if (!d->state_failing && b.len == d->state_last.len &&
	    memcmp(b.p, d->state_last.p, b.len) == 0) {
		buf_free(&b);
		d->state_ok++;
		d->state_time = now_wall();
		return;
	}
	if (write_atomic(d->o->state_file, b.p, b.len) == -1) {
		if (!d->state_failing)
			log_warn("cannot save the state to %s",
			    d->o->state_file);
		d->state_failing = 1;
		d->state_err++;
		buf_free(&b);
		return;
	}
	d->state_ok++;
	d->state_time = now_wall();
	d->state_stamp = stamp;
	if (d->state_failing)
		log_info("state saved to %s again", d->o->state_file);
	d->state_failing = 0;
	buf_free(&d->state_last);
	d->state_last = b;
}

/*
 * Restores the state file, if any, before the first line is read, then
 * saves a first snapshot at once: a file that appears from now on is
 * unknown to it, so that a restart reads it from its start.
 */
/*
 * Decodes the file positions of st into pos (paths owned by paths). A
 * position of another kind, from a later logmetrics with more sources,
 * is skipped and said. Returns how many, or -1 with err saying where the
 * first that cannot be decoded is.
 */
static ssize_t
positions_decode(const char *path, const struct state *st,
    struct tail_pos *pos, char **paths, char *err, size_t errlen)
{
	const struct state_pos	*p;
	char			 why[256];
	size_t			 i, n = 0, at;

	for (i = 0; i < st->npos; i++) {
		p = &st->pos[i];
		if (strcmp(p->kind, TAIL_POS_KIND) != 0) {
			log_warnx("state file %s: byte %zu (line %zu): a "
			    "position of kind %s, unknown here: skipped", path,
			    p->off, p->line, p->kind);
			continue;
		}
		if (p->version != 1 && p->version != TAIL_POS_VERSION) {
			snprintf(err, errlen, "%s: byte %zu (line %zu): %s "
			    "position version %llu; this logmetrics reads "
			    "versions 1 and %d", path, p->voff, p->line,
			    p->kind, (unsigned long long)p->version,
			    TAIL_POS_VERSION);
			return -1;
		}
		if (tail_pos_decode(p->version, p->data, p->len, &pos[n],
		    &paths[n], &at, why, sizeof(why)) == -1) {
			state_pos_err(path, p, at, why, err, errlen);
			return -1;
		}
		n++;
	}
	return (ssize_t)n;
}

static void
load_state(struct daemon *d)
{
	struct state_report	 rep;
	struct tail_restore	 tr, *f = &tr;
	struct tail_pos		*pos;
	struct state		 st;
	char			 err[2048], **paths;
	ssize_t			 n = 0, i;
	int			 rc;

	memset(&tr, 0, sizeof(tr));
	registry_lock(d->e->reg);
	rc = state_read(d->o->state_file, &st, err, sizeof(err));
	pos = xcalloc(st.npos + 1, sizeof(*pos));
	paths = xcalloc(st.npos + 1, sizeof(*paths));
	if (rc == 0 && (n = positions_decode(d->o->state_file, &st, pos,
	    paths, err, sizeof(err))) == -1)
		rc = state_set_aside(d->o->state_file, err, sizeof(err));
	if (rc == 0)
		rc = state_apply(d->o->state_file, &st, d->e->reg, &rep, err,
		    sizeof(err));
	registry_unlock(d->e->reg);
	/* Files found in their rotations are read now, before any other. */
	if (rc == 0)
		tail_restore(d->t, pos, (size_t)n, st.saved, on_line, d, &tr);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(pos);
	state_free(&st);
	if (rc == -1)
		log_warnx("state file %s; starting without it", err);
	else if (rc == 1)
		log_info("no state file %s yet: starting afresh",
		    d->o->state_file);
	else {
		log_info("state restored from %s: %zu series of %zu metrics; "
		    "files: %zu resumed, %zu renamed, %zu copied, "
		    "%zu truncated, %zu new, %zu gone, %zu compressed, "
		    "%zu rotated since", d->o->state_file, rep.series,
		    rep.metrics, f->resumed, f->rotated, f->copied,
		    f->truncated, f->fresh, f->lost, f->compressed, f->later);
		if (f->lost > 0)
			log_warnx("%zu file%s of the state gone while down, "
			    "with at least %llu bytes not read: counted in "
			    "logmetrics_files_lost_total", f->lost,
			    f->lost == 1 ? "" : "s",
			    (unsigned long long)f->lost_bytes);
		if (f->gzerr[0] != '\0')
			log_warnx("a compressed rotation could not be read to "
			    "its end: %s", f->gzerr);
		if (rep.rules_changed)
			log_info("the rules changed since the state was "
			    "saved: %zu metrics of it not restored",
			    rep.ignored);
		if (rep.refused > 0)
			log_warnx("%zu series of the state refused by the "
			    "series limits", rep.refused);
	}
	d->state_on = 1;
	save_state(d);
}

int
daemon_run(struct engine *e, const struct daemon_opts *o)
{
	struct daemon		 d;
	struct tail_opts	 to;
	struct http_opts	 ho;
	struct http		*h = NULL;
	struct sigaction	 sa;
	sigset_t		 block, old;
	char			 err[1024];
	size_t			 i;
	int			 rc = 1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.e = e;
	d.start = now_wall();
	d.reload_time = d.start;
	/* Scraped again and again: keep each series' labels escaped. */
	e->reg->cache_labels = 1;
	d.self = self_new(&d);
	registry_lock(d.self);
	self_set(&d, SM_BUILD_INFO, LOGMETRICS_VERSION, 1);
	registry_unlock(d.self);

	memset(&to, 0, sizeof(to));
	to.from_start = o->from_start;
	to.poll_interval = o->poll_interval;
	to.max_line = o->max_line;
	to.max_open = o->max_open;
	to.no_inotify = o->no_inotify;
	d.t = tail_new(&to, (const char *const *)o->paths, o->npaths, err,
	    sizeof(err));
	if (d.t == NULL) {
		log_warnx("%s", err);
		goto end;
	}
	if (o->state_file != NULL)
		load_state(&d);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The server's threads inherit a mask without our signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	memset(&ho, 0, sizeof(ho));
	if (o->web_config != NULL && (ho.web = webconfig_load(o->web_config,
	    err, sizeof(err))) == NULL) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_warnx("%s", err);
		rc = 2;
		goto end;
	}
	if (ho.web != NULL && ho.web->warnings != NULL)
		log_warnx("%s", ho.web->warnings);
	ho.listen = o->listen;
	ho.metrics_path = o->metrics_path;
	ho.max_conns = o->max_conns;
	ho.per_ip_conns = o->per_ip_conns;
	ho.timeout_s = o->timeout_s;
	h = http_start(&ho, render, ready, &d, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h == NULL) {
		log_warnx("%s", err);
		goto end;
	}
	d.web = ho.web;		/* the server's until http_stop() */
	log_info("listening on %s, port %d; following %zu path%s",
	    o->listen, http_port(h), o->npaths, o->npaths == 1 ? "" : "s");

	while (!got_stop) {
		if (tail_poll(d.t, POLL_MS, on_line, &d) == -1) {
			log_warnx("following files failed");
			goto end;
		}
		if (got_hup) {
			got_hup = 0;
			reload(&d);
		}
		/* Metrics may also expire series by their own rule. */
		registry_lock(e->reg);
		registry_expire(e->reg, now_wall(), o->eng.series_expiry);
		registry_unlock(e->reg);
		if (d.state_on && now_mono() >= d.state_next)
			save_state(&d);
		self_update(&d);
		d.ready = 1;
	}
	log_info("stopping");
	rc = 0;
end:
	if (h != NULL)
		http_stop(h);
	if (d.state_on)
		save_state(&d);
	buf_free(&d.state_last);
	if (d.t != NULL)
		tail_free(d.t);
	for (i = 0; i < d.nfiles; i++)
		free(d.files[i].path);
	free(d.files);
	registry_free(d.self);
	return rc;
}
