/*
 * test_page.c: the status page from a view: hostile text shown as text,
 * ages a person reads, each section's rows.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "page.h"
#include "util.h"

#define NOW 1796000000.0 /* 2026-11-30 00:53:20 UTC */

static char *
age(double now, double t)
{
	static char out[64];
	struct buf  b;

	buf_init(&b);
	page_age(&b, now, t);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p);
	buf_free(&b);
	return out;
}

Test(page, ages)
{
	cr_assert_str_eq(age(NOW, 0), "never");
	cr_assert_str_eq(age(NOW, -5), "never");
	cr_assert_str_eq(age(NOW, NOW), "0 s ago");
	cr_assert_str_eq(age(NOW, NOW - 12.7), "12 s ago");
	cr_assert_str_eq(age(NOW, NOW - 59.9), "59 s ago");
	cr_assert_str_eq(age(NOW, NOW - 60), "1 min ago");
	cr_assert_str_eq(age(NOW, NOW - 3 * 60 - 30), "3 min ago");
	cr_assert_str_eq(age(NOW, NOW - 3600), "1 h 0 min ago");
	cr_assert_str_eq(age(NOW, NOW - 2 * 3600 - 5 * 60), "2 h 5 min ago");
	cr_assert_str_eq(age(NOW, NOW - 86400 - 3 * 3600), "1 day 3 h ago");
	cr_assert_str_eq(age(NOW, NOW - 4 * 86400), "4 days 0 h ago");
	/* A time ahead of the clock (the log's, or the clock went back). */
	cr_assert_str_eq(age(NOW, NOW + 30), "just now");
	/* 32506682.8 s, as the page once said: 376 days. */
	cr_assert_str_eq(age(NOW, NOW - 32506682.8), "376 days 5 h ago");
}

static char  long_text[600];
static char  short_text[64];
static char *names[] = { "subsystem" };
static char *hostile_values[] = { "<i>trading</i>" };
static char *values[] = { "monitor" };

/* A view with one of everything, its text hostile where it can be. */
static void
hostile_view(struct page_view *v, struct page_source *src,
    struct page_rule *rule, struct page_metric *met, struct page_fresh *fr,
    struct page_line *lines)
{
	memset(v, 0, sizeof(*v));
	v->version = "0.1.0";
	v->metrics_path = "/metrics";
	v->now = NOW;
	v->start = NOW - 7200;
	v->reload_time = NOW - 7200;
	v->lines = 1234567;
	v->unmatched = 1001;
	v->limits.series_dropped = 3;

	memset(src, 0, 2 * sizeof(*src));
	src[0].path = "/var/log/<b>bot\">.log";
	src[0].offset = 1000;
	src[0].size = 1000 + 3 * 1024 * 1024 / 2;
	src[0].lines = 42;
	src[0].rotations = 2;
	src[0].last_read = NOW - 3 * 60;
	src[0].open = 1;
	src[0].polled = 1;
	src[1].path = "/var/log/gone.log";
	v->sources = src;
	v->nsources = 2;

	memset(rule, 0, sizeof(*rule));
	rule->name = "r<script>";
	rule->matched = 5;
	rule->errors = 1;
	snprintf(rule->last_error, sizeof(rule->last_error),
	    "value '<img src=x onerror=alert(1)>' is not a number");
	v->rules = rule;
	v->nrules = 1;

	memset(met, 0, 2 * sizeof(*met));
	met[0].name = "bytelyst_bot_events_total";
	met[0].type = METRIC_COUNTER;
	met[0].series = 95;
	met[0].cap = 100;
	met[0].dropped = 3;
	met[1].name = "g";
	met[1].type = METRIC_GAUGE;
	met[1].series = 1;
	v->metrics = met;
	v->nmetrics = 2;

	fr[0].gauge = "alive";
	fr[0].names = names;
	fr[0].values = hostile_values;
	fr[0].nlabels = 1;
	fr[0].last = NOW - 10;
	fr[0].threshold = 15;
	fr[1].gauge = "alive";
	fr[1].names = names;
	fr[1].values = values;
	fr[1].nlabels = 1;
	fr[1].last = NOW - 100;
	fr[1].threshold = 45;
	v->fresh = fr;
	v->nfresh = 2;

	/* Kept in ring order: the newest first here, shown first. */
	memset(lines, 0, 2 * sizeof(*lines));
	memset(long_text, 'a', sizeof(long_text));
	memcpy(long_text, "<script>alert(1)</script>", 25);
	lines[1].seq = 1000;
	lines[1].when = NOW - 2;
	lines[1].path = "/var/log/<b>bot\">.log";
	lines[1].full = 2000;
	lines[1].len = sizeof(long_text);
	lines[1].text = long_text;
	memcpy(short_text, "\"><img src=x onerror=alert(1)>\x1b", 31);
	lines[0].seq = 1001;
	lines[0].when = NOW - 1;
	lines[0].path = "/var/log/<b>bot\">.log";
	lines[0].full = lines[0].len = 31;
	lines[0].text = short_text;
	v->kept = lines;
	v->nkept = 2;
}

static char *
render(const struct page_view *v)
{
	struct buf b;

	buf_init(&b);
	page_html(v, &b);
	buf_putc(&b, '\0');
	return buf_release(&b);
}

Test(page, hostile_text_is_text)
{
	struct page_view   v;
	struct page_source src[2];
	struct page_rule   rule;
	struct page_metric met[2];
	struct page_fresh  fr[2];
	struct page_line   lines[2];
	char		  *html;

	hostile_view(&v, src, &rule, met, fr, lines);
	v.reload_err = "rules.rules:3:1: unknown <svg onload=x>";
	html = render(&v);
	/* No element but the page's own: every < from outside escaped. */
	cr_assert_null(strstr(html, "<script"), "%s", html);
	cr_assert_null(strstr(html, "<img"));
	cr_assert_null(strstr(html, "<svg"));
	cr_assert_null(strstr(html, "<b>"));
	cr_assert_null(strstr(html, "<i>"));
	cr_assert_null(strstr(html, "\x1b"));
	cr_assert_not_null(
	    strstr(html, "<code>&lt;script&gt;alert(1)&lt;/script&gt;aaaa"));
	cr_assert_not_null(strstr(html,
	    "<code>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\\x1b</code>"));
	cr_assert_not_null(
	    strstr(html, "<code>/var/log/&lt;b&gt;bot&quot;&gt;.log</code>"));
	cr_assert_not_null(strstr(html, "<td>r&lt;script&gt;</td>"));
	cr_assert_not_null(strstr(html,
	    "value &#39;&lt;img src=x onerror=alert(1)&gt;&#39; is not a number"));
	cr_assert_not_null(strstr(html,
	    "<pre>rules.rules:3:1: unknown &lt;svg onload=x&gt;</pre>"));
	cr_assert_null(strstr(html, "<script"));
	free(html);
}

Test(page, what_it_shows)
{
	struct page_view   v;
	struct page_source src[2];
	struct page_rule   rule;
	struct page_metric met[2];
	struct page_fresh  fr[2];
	struct page_line   lines[2];
	char		  *html, *a, *b;

	hostile_view(&v, src, &rule, met, fr, lines);
	html = render(&v);
	cr_assert_not_null(strstr(html, "<title>logmetrics</title>"));
	cr_assert_not_null(strstr(html, "<h1>logmetrics 0.1.0</h1>"));
	cr_assert_not_null(strstr(html,
	    "Started 2 h 0 min ago <span class=t>2026-11-29 22:53:20 UTC</span>"));
	cr_assert_not_null(
	    strstr(html, "1,234,567 lines read, 1,001 matched no rule"));
	/* The source: polled, its lag, its last line's age and time. */
	cr_assert_not_null(strstr(html,
	    "<td>open, polled only</td><td class=n title=\"1000 of 1573864 "
	    "bytes read\">1.5 MiB</td><td class=n>42</td><td>3 min ago "
	    "<span class=t>2026-11-30 00:50:20 UTC</span></td>"
	    "<td class=n>2</td><td class=n>0</td></tr>"));
	cr_assert_not_null(strstr(html,
	    "<td class=bad>missing</td><td class=n title=\"0 of 0 bytes "
	    "read\">0 B</td><td class=n>0</td><td>never</td>"));
	/* The rule: an error counted and said. */
	cr_assert_not_null(strstr(html,
	    "<td class=n>5</td><td>never</td><td class=n>0</td>"
	    "<td class=\"n bad\">1</td>"));
	/* Freshness: one fresh, one stalled, each with its threshold. */
	cr_assert_not_null(strstr(html,
	    "<td class=ok>fresh</td><td>10 s ago <span class=t>2026-11-30 "
	    "00:53:10 UTC</span></td><td class=n>15 s</td>"));
	cr_assert_not_null(strstr(html,
	    "<td>subsystem=monitor</td><td class=bad>stalled</td><td>1 min "
	    "ago"));
	/* Series beside the cap, near it marked; no cap said so. */
	cr_assert_not_null(strstr(html,
	    "<td>counter</td><td class=\"n bad\">95</td><td class=n>100</td>"
	    "<td class=\"n bad\">3</td>"));
	cr_assert_not_null(strstr(html,
	    "<td>gauge</td><td class=n>1</td><td class=n>none</td>"));
	cr_assert_not_null(strstr(html,
	    "<tr><td>new series, dropped</td><td>--max-series</td>"
	    "<td class=\"n bad\">3</td></tr>"));
	/* The kept lines, newest first, a cut one with its length. */
	cr_assert_not_null(strstr(html,
	    "1,001 lines matched no rule; the last 2, newest first"));
	a = strstr(html, "&quot;&gt;&lt;img");
	b = strstr(html, "&lt;script&gt;alert");
	cr_assert(a != NULL && b != NULL && a < b, "newest first");
	cr_assert_not_null(strstr(html,
	    "aaaa</code> <span class=t>&hellip; of 2,000 bytes</span>"));
	/* No script, nothing loaded from elsewhere. */
	cr_assert_null(strstr(html, "<script"));
	cr_assert_null(strstr(html, "src=\""));
	cr_assert_null(strstr(html, "http://"));
	cr_assert_null(strstr(html, "https://"));
	free(html);
}

Test(page, empty)
{
	struct page_view v;
	char		*html;

	memset(&v, 0, sizeof(v));
	v.version = "0.1.0";
	v.metrics_path = "/m";
	v.now = NOW;
	html = render(&v);
	cr_assert_not_null(strstr(html, "<h2>Sources</h2>\n<p>None yet.</p>"));
	cr_assert_not_null(
	    strstr(html, "<h2>Lines no rule matched</h2>\n<p>None.</p>"));
	cr_assert_not_null(strstr(html, "rules loaded never"));
	cr_assert_null(strstr(html, "Freshness"));
	cr_assert_not_null(strstr(html, "</body></html>\n"));
	free(html);
}

static char *
render_json(const struct page_view *v)
{
	struct buf b;

	buf_init(&b);
	page_json(v, &b);
	buf_putc(&b, '\0');
	return buf_release(&b);
}

Test(page, json)
{
	struct page_view   v;
	struct page_source src[2];
	struct page_rule   rule;
	struct page_metric met[2];
	struct page_fresh  fr[2];
	struct page_line   lines[2];
	char		  *js;

	hostile_view(&v, src, &rule, met, fr, lines);
	/* Bytes that are not UTF-8, and a sequence that is. */
	memcpy(lines[0].text, "\xff\xc3(caf\xc3\xa9\"\\\n", 11);
	lines[0].len = lines[0].full = 11;
	js = render_json(&v);
	cr_assert(strstr(js,
		      "{\"version\":\"0.1.0\",\"time\":1796000000,"
		      "\"start_time\":1795992800,") == js,
	    "%s", js);
	cr_assert_not_null(strstr(js,
	    "\"reload_error\":null,\"state\":null,"
	    "\"lines_read\":1234567,"
	    "\"lines_unmatched\":1001,"));
	cr_assert_not_null(strstr(js,
	    "{\"path\":\"/var/log/<b>bot\\\">.log\",\"kind\":\"file\","
	    "\"open\":true,\"polled\":true,\"offset\":1000,\"size\":1573864,"
	    "\"lag_bytes\":1572864,\"lines\":42,\"lines_too_long\":0,"
	    "\"last_line_time\":1795999820,\"cursor_time\":null,"
	    "\"rotations\":2,"));
	cr_assert_not_null(strstr(js,
	    "\"last_match_time\":null,\"limit_hits\":0,\"errors\":1,"
	    "\"last_error\":\"value '<img src=x onerror=alert(1)>' is not a "
	    "number\"}"));
	cr_assert_not_null(strstr(js,
	    "{\"gauge\":\"alive\",\"labels\":{\"subsystem\":\"<i>trading</i>\"},"
	    "\"fresh\":true,\"last_run_time\":1795999990,"
	    "\"threshold_seconds\":15}"));
	cr_assert_not_null(strstr(js, "\"fresh\":false,"));
	cr_assert_not_null(
	    strstr(js, "\"type\":\"gauge\",\"series\":1,\"max_series\":null,"));
	cr_assert_not_null(
	    strstr(js, "\"max_series\":100,\"series_dropped\":3,"));
	/* Newest first; invalid bytes as U+FFFD, controls as \u00XX. */
	cr_assert_not_null(strstr(js,
	    "\"unmatched_lines\":[{\"number\":1001,\"read_time\":1795999999,"
	    "\"source\":\"/var/log/<b>bot\\\">.log\",\"length\":11,"
	    "\"text\":\"\\ufffd\\ufffd(caf\xc3\xa9\\\"\\\\\\u000a\"},"
	    "{\"number\":1000,"));
	cr_assert_not_null(strstr(js, "\"length\":2000,\"text\":\"<script>"));
	cr_assert_not_null(strstr(js, "\"series_dropped\":3,"));
	cr_assert(strcmp(js + strlen(js) - 3, "]}\n") == 0);
	free(js);
}

/* A native histogram says the schemas its series are at. */
Test(page, native_schemas)
{
	struct page_view   v;
	struct page_source src[2];
	struct page_rule   rule;
	struct page_metric met[2];
	struct page_fresh  fr[2];
	struct page_line   lines[2];
	char		  *html, *js;

	hostile_view(&v, src, &rule, met, fr, lines);
	met[1].type = METRIC_HISTOGRAM;
	met[1].native = 1;
	met[1].schema_min = 1;
	met[1].schema_max = 3;
	html = render(&v);
	cr_assert_not_null(strstr(html,
			       "<td>histogram, native schemas 1 to 3</td>"),
	    "%s", html);
	cr_assert_not_null(strstr(html, "<td>counter</td>"));
	free(html);
	js = render_json(&v);
	cr_assert_not_null(strstr(js,
	    "\"expired\":0,\"native\":{\"schema_min\":1,\"schema_max\":3}}"));
	cr_assert_not_null(strstr(js, "\"expired\":0,\"native\":null}"));
	free(js);
	met[1].schema_min = 3;
	html = render(&v);
	cr_assert_not_null(strstr(html, "<td>histogram, native schema 3</td>"));
	free(html);
}

Test(page, explain_and_error)
{
	struct page_line k;
	struct buf	 b;
	char		 line[] = "{\"msg\":\"<script>x</script>\"}";
	const char	 ex[] = "rule r: no match: no field a: <b> is\n"
				"rule s: no match\n";

	memset(&k, 0, sizeof(k));
	k.seq = 42;
	k.when = NOW - 61;
	k.path = "/var/log/\"bot\".log";
	k.text = line;
	k.len = strlen(line);
	k.full = 70000;
	buf_init(&b);
	page_explain(&k, ex, sizeof(ex) - 1, NOW, &b);
	buf_putc(&b, '\0');
	cr_assert_null(strstr(b.p, "<script"));
	cr_assert_null(strstr(b.p, "<b>"));
	cr_assert_not_null(
	    strstr(b.p,
		"<h1>Line 42 of those no rule matched</h1>\n<p>Read 1 min ago "
		"<span class=t>2026-11-30 00:52:19 UTC</span> from "
		"<code>/var/log/&quot;bot&quot;.log</code>, 70,000 bytes, of "
		"which the first 28 were kept and are explained.</p>\n"
		"<pre>{&quot;msg&quot;:&quot;&lt;script&gt;x&lt;/script&gt;"
		"&quot;}</pre>"),
	    "%s", b.p);
	/* The explanation's lines stay lines. */
	cr_assert_not_null(strstr(b.p,
	    "<pre>rule r: no match: no field a: &lt;b&gt; is\nrule s: no "
	    "match\n</pre>"));
	buf_free(&b);

	buf_init(&b);
	page_error(404, "not <kept>", &b);
	buf_putc(&b, '\0');
	cr_assert_not_null(
	    strstr(b.p, "<h1>404</h1>\n<p>not &lt;kept&gt;</p>"));
	buf_free(&b);
}

Test(page, shown_and_linked)
{
	struct page_view   v;
	struct page_source src[2];
	struct page_rule   rule;
	struct page_metric met[2];
	struct page_fresh  fr[2];
	struct page_line   lines[2];
	char		  *html;

	hostile_view(&v, src, &rule, met, fr, lines);
	/* A two-byte sequence across the 512th byte: shown before it. */
	memcpy(long_text + 510, "\xc3\xa9", 2);
	cr_assert_eq(page_shown(&lines[1]), 512);
	memcpy(long_text + 511, "\xc3\xa9", 2);
	cr_assert_eq(page_shown(&lines[1]), 511);
	cr_assert_eq(page_shown(&lines[0]), 31);
	html = render(&v);
	cr_assert_not_null(strstr(html,
	    "&hellip; of 2,000 bytes</span></td><td><a "
	    "href=\"/explain?line=1000\">explain</a></td></tr>"));
	cr_assert_not_null(strstr(html,
	    "<td><a href=\"/explain?line=1001\">explain</a></td></tr>"));
	free(html);
}
