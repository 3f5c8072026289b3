/*
 * page.c: the status page of follow mode, rendered from a page_view.
 *
 * Everything that comes from outside (a log line, a file name, a rule's
 * or a metric's name, an error message) goes through text(), which
 * escapes it for HTML; the page has no script and loads nothing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "page.h"

/*
 * Text for an HTML element or a quoted attribute: the five characters
 * HTML gives a meaning escaped, control bytes shown as \xNN, invalid
 * UTF-8 as U+FFFD.
 */
static void
text(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t		     len, bad;

	while (p < end) {
		if (*p >= 0x80) {
			if ((len = utf8_seq(p, end, &bad)) > 0) {
				buf_append(out, p, len);
				p += len;
			} else {
				buf_puts(out, "\xef\xbf\xbd");
				p += bad;
			}
			continue;
		}
		switch (*p) {
		case '<':
			buf_puts(out, "&lt;");
			break;
		case '>':
			buf_puts(out, "&gt;");
			break;
		case '&':
			buf_puts(out, "&amp;");
			break;
		case '"':
			buf_puts(out, "&quot;");
			break;
		case '\'':
			buf_puts(out, "&#39;");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(out, "\\x%02x", *p);
			else
				buf_putc(out, (char)*p);
		}
		p++;
	}
}

static void
textz(struct buf *out, const char *s)
{
	if (s != NULL)
		text(out, s, strlen(s));
}

/* A count with its thousands apart: 1,234,567. */
static void
num(struct buf *out, uint64_t v)
{
	char   d[32];
	size_t n, i;

	n = (size_t)snprintf(d, sizeof(d), "%llu", (unsigned long long)v);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf_putc(out, ',');
		buf_putc(out, d[i]);
	}
}

/* A count in a cell of its own, marked when it says something refused. */
static void
count_cell(struct buf *out, uint64_t v, int bad)
{
	buf_puts(out, bad && v > 0 ? "<td class=\"n bad\">" : "<td class=n>");
	num(out, v);
	buf_puts(out, "</td>");
}

/* Bytes as a person reads them: 512 B, 3.2 KiB, 1.5 MiB. */
static void
bytes(struct buf *out, uint64_t v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double			 x = (double)v;
	int			 u = -1;

	if (v < 1024) {
		buf_printf(out, "%llu B", (unsigned long long)v);
		return;
	}
	while (x >= 1024 && u < 3) {
		x /= 1024;
		u++;
	}
	buf_printf(out, "%.1f %s", x, unit[u]);
}

void
page_age(struct buf *out, double now, double t)
{
	double d = now - t;
	long   s;

	if (!(t > 0)) {
		buf_puts(out, "never");
		return;
	}
	if (d < 0) {
		/* The clock went back, or the time is the log's. */
		buf_puts(out, "just now");
		return;
	}
	s = d < 1e12 ? (long)d : 999999999999L;
	if (s < 60)
		buf_printf(out, "%ld s ago", s);
	else if (s < 3600)
		buf_printf(out, "%ld min ago", s / 60);
	else if (s < 86400)
		buf_printf(out, "%ld h %ld min ago", s / 3600, s % 3600 / 60);
	else
		buf_printf(out, "%ld day%s %ld h ago", s / 86400,
		    s / 86400 == 1 ? "" : "s", s % 86400 / 3600);
}

/* A time in UTC: "2026-12-06 21:50:12 UTC". */
static void
utc(struct buf *out, double t)
{
	struct tm tm;
	time_t	  sec = (time_t)floor(t);
	char	  b[64];

	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		buf_printf(out, "%.0f", t);
		return;
	}
	buf_puts(out, b);
}

/* A cell with how long ago t was and, beside it, when. */
static void
when_cell(struct buf *out, double now, double t)
{
	buf_puts(out, "<td>");
	page_age(out, now, t);
	if (t > 0) {
		buf_puts(out, " <span class=t>");
		utc(out, t);
		buf_puts(out, "</span>");
	}
	buf_puts(out, "</td>");
}

static const char style[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:1.2em 2em;"
    "color:#1d1d1f;background:#fff}"
    "h1{font-size:1.5em;margin:0}h2{font-size:1.15em;margin:1.6em 0 .4em}"
    "table{border-collapse:collapse}"
    "th,td{padding:.2em .7em;border-bottom:1px solid #e3e3e3;"
    "text-align:left;vertical-align:top}"
    "th{font-weight:600;background:#f6f6f6}"
    ".n{text-align:right;font-variant-numeric:tabular-nums}"
    ".ok{color:#156a2b}.bad{color:#b3001b;font-weight:600}"
    ".t{color:#6e6e73;font-size:.9em;white-space:nowrap}"
    "code,pre{font:12.5px ui-monospace,monospace;white-space:pre-wrap;"
    "word-break:break-all}"
    ".box{border:1px solid #b3001b;padding:.3em 1em;margin:1em 0}";

/* The document up to <body>, titled title (plain text). */
static void
doc_start(struct buf *out, const char *title)
{
	buf_puts(out,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>");
	buf_puts(out, title);
	buf_puts(out, "</title><style>");
	buf_puts(out, style);
	buf_puts(out, "</style></head>\n<body>\n");
}

static void
head(const struct page_view *v, struct buf *out)
{
	doc_start(out, "logmetrics");
	buf_puts(out, "<h1>logmetrics ");
	textz(out, v->version);
	buf_puts(out, "</h1>\n<p>");
	if (v->start > 0) {
		buf_puts(out, "Started ");
		page_age(out, v->now, v->start);
		buf_puts(out, " <span class=t>");
		utc(out, v->start);
		buf_puts(out, "</span> &middot; ");
	}
	buf_puts(out, "rules loaded ");
	page_age(out, v->now, v->reload_time);
	buf_puts(out, " &middot; <a href=\"");
	textz(out, v->metrics_path);
	buf_puts(out, "\">");
	textz(out, v->metrics_path);
	buf_puts(out, "</a> &middot; ");
	num(out, v->lines);
	buf_puts(out, " lines read, ");
	num(out, v->unmatched);
	buf_puts(out, " matched no rule</p>\n");
	if (v->reload_err != NULL) {
		buf_puts(out,
		    "<div class=box><p class=bad>The last reload of "
		    "the rules failed; the rules loaded before "
		    "run on.</p><pre>");
		textz(out, v->reload_err);
		buf_puts(out, "</pre></div>\n");
	}
	if (v->state_on) {
		buf_puts(out, "<p>State saved ");
		page_age(out, v->now, v->state_time);
		buf_puts(out, " &middot; ");
		num(out, v->state_ok);
		buf_puts(out, " saves");
		if (v->state_err > 0) {
			buf_puts(out, ", <span class=bad>");
			num(out, v->state_err);
			buf_puts(out, " failed</span>");
		}
		buf_puts(out, "</p>\n");
	}
}

static void
source_row(const struct page_view *v, const struct page_source *s,
    struct buf *out)
{
	buf_puts(out, "<tr><td><code>");
	textz(out, s->path);
	buf_puts(out, "</code></td>");
	if (s->journal) {
		buf_puts(out, "<td>journal</td><td class=n>-</td>");
		count_cell(out, s->lines, 0);
		buf_puts(out, "<td>");
		if (s->entry_time > 0) {
			buf_puts(out, "cursor ");
			page_age(out, v->now, s->entry_time);
			buf_puts(out, " <span class=t>");
			utc(out, s->entry_time);
			buf_puts(out, "</span>");
		} else
			buf_puts(out, "no entry read yet");
		buf_puts(out, "</td><td class=n>-</td>");
		count_cell(out, s->lost, 1);
		buf_puts(out, "</tr>\n");
		return;
	}
	if (!s->open)
		buf_puts(out, "<td class=bad>missing</td>");
	else if (s->polled)
		buf_puts(out, "<td>open, polled only</td>");
	else
		buf_puts(out, "<td class=ok>open</td>");
	buf_printf(out, "<td class=n title=\"%llu of %llu bytes read\">",
	    (unsigned long long)s->offset, (unsigned long long)s->size);
	bytes(out, s->size > s->offset ? s->size - s->offset : 0);
	buf_puts(out, "</td>");
	count_cell(out, s->lines, 0);
	when_cell(out, v->now, s->last_read);
	buf_puts(out, "<td class=n>");
	num(out, s->rotations);
	if (s->truncations > 0) {
		buf_puts(out, " <span class=t>+ ");
		num(out, s->truncations);
		buf_puts(out, " truncated</span>");
	}
	buf_puts(out, "</td>");
	count_cell(out, s->lost, 1);
	buf_puts(out, "</tr>\n");
}

static void
sources(const struct page_view *v, struct buf *out)
{
	size_t i;

	buf_puts(out, "<h2>Sources</h2>\n");
	if (v->nsources == 0) {
		buf_puts(out, "<p>None yet.</p>\n");
		return;
	}
	buf_puts(out,
	    "<table><tr><th>source</th><th>state</th>"
	    "<th class=n>lag</th><th class=n>lines</th>"
	    "<th>last line</th><th class=n>rotations</th>"
	    "<th class=n>files lost</th></tr>\n");
	for (i = 0; i < v->nsources; i++)
		source_row(v, &v->sources[i], out);
	buf_puts(out, "</table>\n");
	if (v->ndirs == 0)
		return;
	buf_puts(out,
	    "<h2>Directories watched</h2>\n<table><tr>"
	    "<th>directory</th><th>state</th></tr>\n");
	for (i = 0; i < v->ndirs; i++) {
		buf_puts(out, "<tr><td><code>");
		textz(out, v->dirs[i].path);
		buf_puts(out,
		    v->dirs[i].watched ?
			"</code></td><td class=ok>watched</td></tr>\n" :
			"</code></td><td>polled only</td></tr>\n");
	}
	buf_puts(out, "</table>\n");
}

static void
rules(const struct page_view *v, struct buf *out)
{
	const struct page_rule *r;
	size_t			i;

	buf_puts(out,
	    "<h2>Rules</h2>\n<table><tr><th>rule</th>"
	    "<th class=n>matches</th><th>last match</th>"
	    "<th class=n>limit hits</th><th class=n>errors</th>"
	    "<th>last error</th></tr>\n");
	for (i = 0; i < v->nrules; i++) {
		r = &v->rules[i];
		buf_puts(out, "<tr><td>");
		textz(out, r->name);
		buf_puts(out, "</td>");
		count_cell(out, r->matched, 0);
		when_cell(out, v->now, r->last_match);
		count_cell(out, r->limit_hits, 1);
		count_cell(out, r->errors, 1);
		buf_puts(out, "<td>");
		textz(out, r->last_error);
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</table>\n");
}

static void
freshness(const struct page_view *v, struct buf *out)
{
	const struct page_fresh *f;
	size_t			 i, j;
	int			 ok;

	if (v->nfresh == 0)
		return;
	buf_puts(out,
	    "<h2>Freshness</h2>\n<table><tr><th>gauge</th>"
	    "<th>series</th><th>state</th><th>last run</th>"
	    "<th class=n>threshold</th></tr>\n");
	for (i = 0; i < v->nfresh; i++) {
		f = &v->fresh[i];
		ok = f->last > 0 && v->now - f->last <= f->threshold;
		buf_puts(out, "<tr><td>");
		textz(out, f->gauge);
		buf_puts(out, "</td><td>");
		for (j = 0; j < f->nlabels; j++) {
			if (j > 0)
				buf_puts(out, ", ");
			textz(out, f->names[j]);
			buf_putc(out, '=');
			textz(out, f->values[j]);
		}
		buf_puts(out,
		    ok ? "</td><td class=ok>fresh</td>" :
			 "</td><td class=bad>stalled</td>");
		when_cell(out, v->now, f->last);
		buf_printf(out, "<td class=n>%.0f s</td></tr>\n", f->threshold);
	}
	buf_puts(out, "</table>\n");
}

static const char *
type_name(enum metric_type t)
{
	switch (t) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_HISTOGRAM:
		return "histogram";
	case METRIC_FRESHNESS:
		return "freshness";
	}
	return "?";
}

static void
metrics(const struct page_view *v, struct buf *out)
{
	const struct page_metric *m;
	size_t			  i;

	buf_puts(out,
	    "<h2>Metrics</h2>\n<table><tr><th>metric</th>"
	    "<th>type</th><th class=n>series</th>"
	    "<th class=n>cap</th><th class=n>refused by the cap</th>"
	    "<th class=n>label too long</th><th class=n>expired</th>"
	    "</tr>\n");
	for (i = 0; i < v->nmetrics; i++) {
		m = &v->metrics[i];
		buf_puts(out, "<tr><td>");
		textz(out, m->name);
		buf_printf(out, "</td><td>%s", type_name(m->type));
		if (m->native && m->schema_min == m->schema_max)
			buf_printf(out, ", native schema %d", m->schema_max);
		else if (m->native)
			buf_printf(out, ", native schemas %d to %d",
			    m->schema_min, m->schema_max);
		buf_puts(out, "</td>");
		count_cell(out, m->series,
		    m->cap > 0 && m->series * 10 >= m->cap * 9);
		if (m->cap > 0)
			count_cell(out, m->cap, 0);
		else
			buf_puts(out, "<td class=n>none</td>");
		count_cell(out, m->dropped, 1);
		count_cell(out, m->label_dropped, 1);
		count_cell(out, m->expired, 0);
		buf_puts(out, "</tr>\n");
	}
	buf_puts(out, "</table>\n");
}

static void
limit_row(struct buf *out, const char *what, const char *flag, uint64_t v)
{
	buf_puts(out, "<tr><td>");
	buf_puts(out, what);
	buf_puts(out, "</td><td>");
	buf_puts(out, flag);
	buf_puts(out, "</td>");
	count_cell(out, v, 1);
	buf_puts(out, "</tr>\n");
}

static void
limits(const struct page_view *v, struct buf *out)
{
	const struct page_limits *l = &v->limits;

	buf_puts(out,
	    "<h2>Limits</h2>\n<table><tr><th>what was refused"
	    "</th><th>limit</th><th class=n>count</th></tr>\n");
	limit_row(out, "lines too long, skipped", "--max-line-bytes",
	    l->lines_toolong);
	limit_row(out, "records too long, dropped", "--max-line-bytes",
	    l->records_toolong);
	limit_row(out, "new series, dropped", "--max-series",
	    l->series_dropped);
	limit_row(out, "label values too long, dropped", "--max-label-bytes",
	    l->labels_toolong);
	limit_row(out, "exemplars over 128 characters, dropped", "OpenMetrics",
	    l->exemplars_dropped);
	limit_row(out, "matches stopped", "--match-limit, --depth-limit",
	    l->match_limit);
	limit_row(out, "directories left out", "--max-watched-dirs",
	    l->dirs_left_out);
	limit_row(out, "files gone before they were read", "-", l->files_lost);
	limit_row(out, "inotify queue overflows",
	    "fs.inotify.max_queued_events", l->inotify_overflows);
	buf_puts(out, "</table>\n");
}

size_t
page_shown(const struct page_line *k)
{
	size_t n = k->len < PAGE_LINE_BYTES ? k->len : PAGE_LINE_BYTES;

	while (
	    n < k->len && n > 0 && ((unsigned char)k->text[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* The kept lines, newest first, into order[0..v->nkept). */
static void
newest_first(const struct page_view *v, size_t *order)
{
	size_t i, j, t;

	for (i = 0; i < v->nkept; i++) {
		order[i] = i;
		for (j = i;
		     j > 0 && v->kept[order[j]].seq > v->kept[order[j - 1]].seq;
		     j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
}

static void
kept(const struct page_view *v, struct buf *out)
{
	const struct page_line *k;
	size_t			i, n, order[PAGE_LINES_KEPT];

	buf_puts(out, "<h2>Lines no rule matched</h2>\n");
	if (v->nkept == 0) {
		buf_puts(out, "<p>None.</p>\n");
		return;
	}
	buf_puts(out, "<p>");
	num(out, v->unmatched);
	buf_printf(out,
	    " lines matched no rule; the last %zu, newest first, each cut at "
	    "%d bytes:</p>\n<table><tr><th>read</th><th>source</th>"
	    "<th>line</th><th></th></tr>\n",
	    v->nkept, PAGE_LINE_BYTES);
	newest_first(v, order);
	for (i = 0; i < v->nkept && i < PAGE_LINES_KEPT; i++) {
		k = &v->kept[order[i]];
		n = page_shown(k);
		buf_puts(out, "<tr>");
		when_cell(out, v->now, k->when);
		buf_puts(out, "<td><code>");
		textz(out, k->path);
		buf_puts(out, "</code></td><td><code>");
		text(out, k->text, n);
		buf_puts(out, "</code>");
		if (k->full > n) {
			buf_puts(out, " <span class=t>&hellip; of ");
			num(out, k->full);
			buf_puts(out, " bytes</span>");
		}
		buf_printf(out,
		    "</td><td><a href=\"/explain?line=%llu\">explain</a>"
		    "</td></tr>\n",
		    (unsigned long long)k->seq);
	}
	buf_puts(out, "</table>\n");
}

void
page_html(const struct page_view *v, struct buf *out)
{
	head(v, out);
	sources(v, out);
	rules(v, out);
	freshness(v, out);
	metrics(v, out);
	limits(v, out);
	kept(v, out);
	buf_puts(out, "</body></html>\n");
}

/*
 * A JSON string: the quote, the backslash and control bytes escaped,
 * invalid UTF-8 as U+FFFD, so that the document is valid UTF-8.
 */
static void
jstr(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t		     len, bad;

	buf_putc(out, '"');
	while (p < end) {
		if (*p >= 0x80) {
			if ((len = utf8_seq(p, end, &bad)) > 0) {
				buf_append(out, p, len);
				p += len;
			} else {
				buf_puts(out, "\\ufffd");
				p += bad;
			}
			continue;
		}
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(out, "\\u%04x", *p);
		else
			buf_putc(out, (char)*p);
		p++;
	}
	buf_putc(out, '"');
}

static void
jstrz(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_puts(out, "null");
	else
		jstr(out, s, strlen(s));
}

/* "key": as the first member of an object when first is set. */
static void
jkey(struct buf *out, const char *key, int first)
{
	buf_printf(out, first ? "\"%s\":" : ",\"%s\":", key);
}

static void
jnum(struct buf *out, const char *key, uint64_t v)
{
	jkey(out, key, 0);
	buf_printf(out, "%llu", (unsigned long long)v);
}

/* A time in Unix seconds, null for never. */
static void
jtime(struct buf *out, const char *key, double t)
{
	char d[32];

	jkey(out, key, 0);
	if (t > 0) {
		fmt_double(d, t);
		buf_puts(out, d);
	} else
		buf_puts(out, "null");
}

static void
jbool(struct buf *out, const char *key, int v)
{
	jkey(out, key, 0);
	buf_puts(out, v ? "true" : "false");
}

static void
json_sources(const struct page_view *v, struct buf *out)
{
	const struct page_source *s;
	size_t			  i;

	buf_puts(out, ",\"sources\":[");
	for (i = 0; i < v->nsources; i++) {
		s = &v->sources[i];
		buf_puts(out, i ? ",{" : "{");
		jkey(out, "path", 1);
		jstrz(out, s->path);
		jkey(out, "kind", 0);
		buf_puts(out, s->journal ? "\"journal\"" : "\"file\"");
		jbool(out, "open", s->open);
		jbool(out, "polled", s->polled);
		jnum(out, "offset", s->offset);
		jnum(out, "size", s->size);
		jnum(out, "lag_bytes",
		    s->size > s->offset ? s->size - s->offset : 0);
		jnum(out, "lines", s->lines);
		jnum(out, "lines_too_long", s->toolong);
		jtime(out, "last_line_time", s->last_read);
		jtime(out, "cursor_time", s->entry_time);
		jnum(out, "rotations", s->rotations);
		jnum(out, "truncations", s->truncations);
		jnum(out, "files_lost", s->lost);
		jnum(out, "bytes_lost", s->lost_bytes);
		buf_putc(out, '}');
	}
	buf_puts(out, "],\"directories\":[");
	for (i = 0; i < v->ndirs; i++) {
		buf_puts(out, i ? ",{" : "{");
		jkey(out, "path", 1);
		jstrz(out, v->dirs[i].path);
		jbool(out, "watched", v->dirs[i].watched);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

static void
json_rules(const struct page_view *v, struct buf *out)
{
	const struct page_rule	*r;
	const struct page_fresh *f;
	size_t			 i, j;
	char			 d[32];

	buf_puts(out, ",\"rules\":[");
	for (i = 0; i < v->nrules; i++) {
		r = &v->rules[i];
		buf_puts(out, i ? ",{" : "{");
		jkey(out, "name", 1);
		jstrz(out, r->name);
		jnum(out, "matches", r->matched);
		jtime(out, "last_match_time", r->last_match);
		jnum(out, "limit_hits", r->limit_hits);
		jnum(out, "errors", r->errors);
		jkey(out, "last_error", 0);
		jstrz(out, r->last_error[0] ? r->last_error : NULL);
		buf_putc(out, '}');
	}
	buf_puts(out, "],\"freshness\":[");
	for (i = 0; i < v->nfresh; i++) {
		f = &v->fresh[i];
		buf_puts(out, i ? ",{" : "{");
		jkey(out, "gauge", 1);
		jstrz(out, f->gauge);
		jkey(out, "labels", 0);
		buf_putc(out, '{');
		for (j = 0; j < f->nlabels; j++) {
			if (j > 0)
				buf_putc(out, ',');
			jstrz(out, f->names[j]);
			buf_putc(out, ':');
			jstrz(out, f->values[j]);
		}
		buf_putc(out, '}');
		jbool(out, "fresh",
		    f->last > 0 && v->now - f->last <= f->threshold);
		jtime(out, "last_run_time", f->last);
		jkey(out, "threshold_seconds", 0);
		fmt_double(d, f->threshold);
		buf_puts(out, d);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

static void
json_metrics(const struct page_view *v, struct buf *out)
{
	const struct page_metric *m;
	const struct page_limits *l = &v->limits;
	size_t			  i;

	buf_puts(out, ",\"metrics\":[");
	for (i = 0; i < v->nmetrics; i++) {
		m = &v->metrics[i];
		buf_puts(out, i ? ",{" : "{");
		jkey(out, "name", 1);
		jstrz(out, m->name);
		jkey(out, "type", 0);
		jstrz(out, type_name(m->type));
		jnum(out, "series", m->series);
		jkey(out, "max_series", 0);
		if (m->cap > 0)
			buf_printf(out, "%zu", m->cap);
		else
			buf_puts(out, "null");
		jnum(out, "series_dropped", m->dropped);
		jnum(out, "label_too_long", m->label_dropped);
		jnum(out, "expired", m->expired);
		jkey(out, "native", 0);
		if (m->native)
			buf_printf(out, "{\"schema_min\":%d,\"schema_max\":%d}",
			    m->schema_min, m->schema_max);
		else
			buf_puts(out, "null");
		buf_putc(out, '}');
	}
	buf_puts(out, "],\"limits\":{");
	jkey(out, "lines_too_long", 1);
	buf_printf(out, "%llu", (unsigned long long)l->lines_toolong);
	jnum(out, "records_too_long", l->records_toolong);
	jnum(out, "series_dropped", l->series_dropped);
	jnum(out, "label_too_long", l->labels_toolong);
	jnum(out, "exemplars_dropped", l->exemplars_dropped);
	jnum(out, "match_limit_hits", l->match_limit);
	jnum(out, "directories_left_out", l->dirs_left_out);
	jnum(out, "files_lost", l->files_lost);
	jnum(out, "bytes_lost", l->bytes_lost);
	jnum(out, "inotify_overflows", l->inotify_overflows);
	buf_putc(out, '}');
}

static void
json_kept(const struct page_view *v, struct buf *out)
{
	const struct page_line *k;
	size_t			i, order[PAGE_LINES_KEPT];

	buf_puts(out, ",\"unmatched_lines\":[");
	newest_first(v, order);
	for (i = 0; i < v->nkept && i < PAGE_LINES_KEPT; i++) {
		k = &v->kept[order[i]];
		buf_puts(out, i > 0 ? ",{" : "{");
		jkey(out, "number", 1);
		buf_printf(out, "%llu", (unsigned long long)k->seq);
		jtime(out, "read_time", k->when);
		jkey(out, "source", 0);
		jstrz(out, k->path);
		jnum(out, "length", k->full);
		jkey(out, "text", 0);
		jstr(out, k->text, page_shown(k));
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

void
page_json(const struct page_view *v, struct buf *out)
{
	buf_putc(out, '{');
	jkey(out, "version", 1);
	jstrz(out, v->version);
	jtime(out, "time", v->now);
	jtime(out, "start_time", v->start);
	jtime(out, "rules_loaded_time", v->reload_time);
	jnum(out, "reloads_succeeded", v->reloads_ok);
	jnum(out, "reloads_failed", v->reloads_failed);
	jkey(out, "reload_error", 0);
	jstrz(out, v->reload_err);
	jkey(out, "state", 0);
	if (v->state_on) {
		buf_putc(out, '{');
		jkey(out, "saves_ok", 1);
		buf_printf(out, "%llu", (unsigned long long)v->state_ok);
		jnum(out, "saves_failed", v->state_err);
		jtime(out, "last_save_time", v->state_time);
		buf_putc(out, '}');
	} else
		buf_puts(out, "null");
	jnum(out, "lines_read", v->lines);
	jnum(out, "lines_unmatched", v->unmatched);
	jnum(out, "json_invalid_lines", v->json_invalid);
	json_sources(v, out);
	json_rules(v, out);
	json_metrics(v, out);
	json_kept(v, out);
	buf_puts(out, "}\n");
}

void
page_explain(const struct page_line *k, const char *explained, size_t n,
    double now, struct buf *out)
{
	doc_start(out, "logmetrics: a line no rule matched");
	buf_printf(out,
	    "<p><a href=\"/\">Status</a></p>\n<h1>Line %llu of those no "
	    "rule matched</h1>\n<p>Read ",
	    (unsigned long long)k->seq);
	page_age(out, now, k->when);
	buf_puts(out, " <span class=t>");
	utc(out, k->when);
	buf_puts(out, "</span> from <code>");
	textz(out, k->path);
	buf_puts(out, "</code>, ");
	num(out, k->full);
	buf_puts(out, " bytes");
	if (k->full > k->len) {
		buf_puts(out, ", of which the first ");
		num(out, k->len);
		buf_puts(out, " were kept and are explained");
	}
	buf_puts(out, ".</p>\n<pre>");
	text(out, k->text, k->len);
	buf_puts(out,
	    "</pre>\n<h2>What each rule does with it, with the rules "
	    "loaded now</h2>\n<pre>");
	/* Its lines as lines, each escaped. */
	while (n > 0) {
		const char *nl = memchr(explained, '\n', n);
		size_t	    len = nl != NULL ? (size_t)(nl - explained) : n;

		text(out, explained, len);
		if (nl == NULL)
			break;
		buf_putc(out, '\n');
		explained += len + 1;
		n -= len + 1;
	}
	buf_puts(out, "</pre>\n</body></html>\n");
}

void
page_error(unsigned status, const char *message, struct buf *out)
{
	doc_start(out, "logmetrics");
	buf_printf(out, "<p><a href=\"/\">Status</a></p>\n<h1>%u</h1>\n<p>",
	    status);
	textz(out, message);
	buf_puts(out, "</p>\n</body></html>\n");
}
