/*
 * test_match.c: rules applied to lines, checked through the exposition.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "expose.h"
#include "match.h"
#include "metrics.h"
#include "rules.h"

struct env {
	struct ruleset	*rs;
	struct registry *reg;
	struct matcher	*m;
};

/* The rules of text bound to a registry, under a PCRE2 match limit. */
static void
env_new_limit(struct env *e, const char *text, uint32_t match_limit)
{
	char err[2048];

	e->rs = rules_parse("t.rules", text, strlen(text), err, sizeof(err));
	cr_assert_not_null(e->rs, "%s", err);
	e->reg = registry_new();
	registry_lock(e->reg);
	cr_assert_eq(registry_sync(e->reg, e->rs->decls, e->rs->ndecls, err,
			 sizeof(err)),
	    0, "%s", err);
	registry_unlock(e->reg);
	e->m = matcher_new(e->rs, e->reg, match_limit, 0, err, sizeof(err));
	cr_assert_not_null(e->m, "%s", err);
}

static void
env_new(struct env *e, const char *text)
{
	env_new_limit(e, text, 0);
}

static void
env_free(struct env *e)
{
	matcher_free(e->m);
	registry_free(e->reg);
	rules_free(e->rs);
}

static void
feed(struct env *e, const char *line)
{
	registry_lock(e->reg);
	matcher_line(e->m, line, strlen(line), 1000);
	registry_unlock(e->reg);
}

/* The exposition in fmt without HELP and TYPE lines (nor # EOF). */
static char *
samples_in(struct env *e, enum expose_format fmt, double now)
{
	struct buf out, s;
	char	  *line, *save = NULL;

	buf_init(&out);
	buf_init(&s);
	registry_lock(e->reg);
	expose_render(&e->reg, 1, &out, fmt, now);
	registry_unlock(e->reg);
	for (line = strtok_r(out.p, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#') {
			buf_puts(&s, line);
			buf_putc(&s, '\n');
		}
	buf_free(&out);
	return buf_release(&s);
}

/* The text exposition without HELP and TYPE lines. */
static char *
samples(struct env *e, double now)
{
	return samples_in(e, EXPOSE_TEXT, now);
}

static const char events_rules[] = "counter events_total\n"
				   "  help \"Events.\"\n"
				   "  labels severity type symbol\n"
				   "rule event\n"
				   "  match severity /^(?<severity>.*)$/s\n"
				   "  match type /^(?<type>.*)$/s\n"
				   "  optional symbol /^(?<symbol>.*)$/s\n"
				   "  inc events_total\n";

Test(match, only_top_level_fields_of_complete_objects_count)
{
	struct env e;
	char	  *got;

	env_new(&e, events_rules);
	/* Counted: key order, escapes, extra keys. */
	feed(&e,
	    "{\"severity\":\"ERROR\",\"type\":\"ORDER_FAILURE\","
	    "\"symbol\":\"BTC/USDT\"}");
	feed(&e,
	    "{\"type\":\"ORDER_FAILURE\",\"x\":{\"a\":[1,2]},"
	    "\"symbol\":\"BTC/USDT\",\"severity\":\"ERROR\"}");
	feed(&e,
	    "  {\"severity\":\"INFO\",\"type\":\"A\\\"B\","
	    "\"symbol\":\"caf\\u00e9\"}  ");
	/* Not counted: nested event, cut lines, plain text, arrays. */
	feed(&e,
	    "{\"msg\":\"x\",\"event\":{\"severity\":\"ERROR\","
	    "\"type\":\"ORDER_FAILURE\"}}");
	feed(&e, "{\"severity\":\"ERROR\",\"type\":\"T\",\"order\":{\"a\":1}");
	feed(&e, "{\"severity\":\"ERROR\",\"type\":\"T\"");
	feed(&e, "(node:4242) Warning: \"severity\" \"type\"");
	feed(&e, "[{\"severity\":\"ERROR\",\"type\":\"T\"}]");
	feed(&e, "");
	/* A nested symbol is not the event's symbol. */
	feed(&e,
	    "{\"severity\":\"WARNING\",\"type\":\"RISK\","
	    "\"order\":{\"symbol\":\"ETHUSDT\"}}");
	got = samples(&e, 0);
	cr_assert_str_eq(got,
	    "events_total{severity=\"ERROR\",type=\"ORDER_FAILURE\","
	    "symbol=\"BTC/USDT\"} 2\n"
	    "events_total{severity=\"INFO\",type=\"A\\\"B\","
	    "symbol=\"caf\xc3\xa9\"} 1\n"
	    "events_total{severity=\"WARNING\",type=\"RISK\",symbol=\"\"} 1\n");
	free(got);
	cr_assert_eq(matcher_stats(e.m)->lines, 10);
	cr_assert_eq(matcher_stats(e.m)->unmatched, 6);
	/* Only the two cut objects: plain text and arrays are not counted. */
	cr_assert_eq(matcher_stats(e.m)->json_invalid, 2);
	env_free(&e);
}

static const char cycle_rules[] =
    "timestamp time epoch_ms\n"
    "timestamp time rfc3339\n"
    "histogram dur_seconds\n"
    "  help \"d\"\n"
    "  labels subsystem\n"
    "  buckets 0.1 0.5 1\n"
    "gauge last_ts\n"
    "  help \"t\"\n"
    "  labels subsystem\n"
    "counter bad_total\n"
    "  help \"b\"\n"
    "rule cycle\n"
    "  match component /^scheduler$/\n"
    "  match subsystem /^(?<subsystem>.+)$/\n"
    "  match durationMs /^(?<ms>.*)$/\n"
    "  optional outcome /^(?<outcome>.*)$/\n"
    "  observe dur_seconds $ms / 1000\n"
    "  set last_ts @time if $outcome == \"ok\"\n"
    "  add bad_total ($ms - 100) * 2 if $outcome != \"ok\"\n";

Test(match, arithmetic_conditions_and_log_time)
{
	struct env e;
	char	  *got;

	env_new(&e, cycle_rules);
	feed(&e,
	    "{\"time\":1764020763412,\"component\":\"scheduler\","
	    "\"subsystem\":\"trading\",\"durationMs\":412.7,"
	    "\"outcome\":\"ok\"}");
	feed(&e,
	    "{\"component\":\"scheduler\",\"subsystem\":\"trading\","
	    "\"durationMs\":100,\"outcome\":\"ok\","
	    "\"time\":\"2025-11-24T21:46:05.000Z\"}");
	feed(&e,
	    "{\"component\":\"scheduler\",\"subsystem\":\"monitor\","
	    "\"durationMs\":1500,\"outcome\":\"error\",\"time\":1}");
	/* No time at all: the wall clock given to matcher_line. */
	feed(&e,
	    "{\"component\":\"scheduler\",\"subsystem\":\"recon\","
	    "\"durationMs\":50,\"outcome\":\"ok\"}");
	/* Not a number: the observe is skipped and counted. */
	feed(&e,
	    "{\"component\":\"scheduler\",\"subsystem\":\"recon\","
	    "\"durationMs\":\"fast\",\"outcome\":\"ok\"}");
	/* Nested component: not a cycle. */
	feed(&e,
	    "{\"request\":{\"component\":\"scheduler\"},"
	    "\"subsystem\":\"trading\",\"durationMs\":5}");
	got = samples(&e, 0);
	cr_assert_str_eq(got,
	    "dur_seconds_bucket{subsystem=\"monitor\",le=\"0.1\"} 0\n"
	    "dur_seconds_bucket{subsystem=\"monitor\",le=\"0.5\"} 0\n"
	    "dur_seconds_bucket{subsystem=\"monitor\",le=\"1\"} 0\n"
	    "dur_seconds_bucket{subsystem=\"monitor\",le=\"+Inf\"} 1\n"
	    "dur_seconds_sum{subsystem=\"monitor\"} 1.5\n"
	    "dur_seconds_count{subsystem=\"monitor\"} 1\n"
	    "dur_seconds_bucket{subsystem=\"recon\",le=\"0.1\"} 1\n"
	    "dur_seconds_bucket{subsystem=\"recon\",le=\"0.5\"} 1\n"
	    "dur_seconds_bucket{subsystem=\"recon\",le=\"1\"} 1\n"
	    "dur_seconds_bucket{subsystem=\"recon\",le=\"+Inf\"} 1\n"
	    "dur_seconds_sum{subsystem=\"recon\"} 0.05\n"
	    "dur_seconds_count{subsystem=\"recon\"} 1\n"
	    "dur_seconds_bucket{subsystem=\"trading\",le=\"0.1\"} 1\n"
	    "dur_seconds_bucket{subsystem=\"trading\",le=\"0.5\"} 2\n"
	    "dur_seconds_bucket{subsystem=\"trading\",le=\"1\"} 2\n"
	    "dur_seconds_bucket{subsystem=\"trading\",le=\"+Inf\"} 2\n"
	    "dur_seconds_sum{subsystem=\"trading\"} 0.5127\n"
	    "dur_seconds_count{subsystem=\"trading\"} 2\n"
	    "last_ts{subsystem=\"recon\"} 1000\n"
	    "last_ts{subsystem=\"trading\"} 1764020765\n"
	    "bad_total 2800\n");
	free(got);
	env_free(&e);
}

Test(match, hostile_line_hits_the_match_limit_and_is_counted)
{
	struct env e;
	struct buf line;
	char	  *got;
	size_t	   i, n;

	env_new(&e,
	    "counter hits_total\n"
	    "  help \"h\"\n"
	    "rule evil\n"
	    "  match /^(a|aa)+$/\n"
	    "  inc hits_total\n"
	    "rule fine\n"
	    "  match /^a/\n"
	    "  inc hits_total\n");
	buf_init(&line);
	for (i = 0; i < 5000; i++)
		buf_putc(&line, 'a');
	buf_putc(&line, 'b');
	feed(&e, line.p);
	got = samples(&e, 0);
	cr_assert_str_eq(got, "hits_total 1\n");
	free(got);
	cr_assert_eq(matcher_stats(e.m)->limit_hits, 1);
	cr_assert_eq(matcher_rule_stats(e.m, &n)[0].limit_hits, 1);
	cr_assert_eq(n, 2);
	buf_free(&line);
	env_free(&e);
}

Test(match, plain_text_rules_and_prefilters)
{
	struct env e;
	char	  *got;

	env_new(&e,
	    "counter warnings_total\n"
	    "  help \"w\"\n"
	    "  labels kind\n"
	    "rule node_warning\n"
	    "  prefilter \"(node:\"\n"
	    "  match /^\\(node:\\d+\\) (?<kind>\\w+Warning)/\n"
	    "  inc warnings_total\n");
	feed(&e, "(node:4242) DeprecationWarning: Buffer() is deprecated");
	feed(&e, "(node:4242) DeprecationWarning: again");
	feed(&e, "(node:1) MaxListenersExceededWarning: possible leak");
	feed(&e, "node:1) Warning: no prefilter literal");
	got = samples(&e, 0);
	cr_assert_str_eq(got,
	    "warnings_total{kind=\"DeprecationWarning\"} 2\n"
	    "warnings_total{kind=\"MaxListenersExceededWarning\"} 1\n");
	free(got);
	env_free(&e);
}

static const char http_rules[] =
    "counter http_requests_total\n"
    "  help \"Requests.\"\n"
    "  labels method code agent\n"
    "rule request\n"
    "  match req.method /^(?<method>[A-Z]+)$/\n"
    "  match res.statusCode /^(?<code>[0-9]{3})$/\n"
    "  optional req.headers.\"user-agent\" /^(?<agent>.*)$/s\n"
    "  inc http_requests_total\n";

/*
 * Paths into nested objects: the request's method, never a header's, a
 * query's or another object's; the last duplicate at each level; nothing
 * through a value that is no object.
 */
Test(match, nested_paths)
{
	struct env e;
	char	  *got;

	env_new(&e, http_rules);
	feed(&e,
	    "{\"req\":{\"id\":1,\"method\":\"GET\",\"url\":\"/o/42?method=PUT\","
	    "\"headers\":{\"method\":\"DELETE\",\"statusCode\":\"999\","
	    "\"user-agent\":\"curl/8\"}},\"res\":{\"statusCode\":200},"
	    "\"responseTime\":3}");
	/* Duplicates: the last wins at each level. */
	feed(&e,
	    "{\"req\":{\"method\":\"PUT\"},\"req\":{\"method\":\"GET\","
	    "\"method\":\"POST\"},\"res\":{\"statusCode\":201}}");
	/* Escaped keys spell the key. */
	feed(&e,
	    "{\"req\":{\"m\\u0065thod\":\"GET\"},"
	    "\"res\":{\"statusCode\":200}}");
	/* Not counted: top-level lookalikes, scalars, arrays, cut lines. */
	feed(&e,
	    "{\"method\":\"GET\",\"statusCode\":200,\"req\":{},"
	    "\"res\":{}}");
	feed(&e, "{\"req\":\"GET\",\"res\":{\"statusCode\":200}}");
	feed(&e,
	    "{\"req\":[{\"method\":\"GET\"}],"
	    "\"res\":{\"statusCode\":200}}");
	feed(&e, "{\"req\":{\"method\":\"GET\"},\"res\":{\"statusCode\":200}");
	feed(&e, "{\"res\":{\"statusCode\":200,\"req\":{\"method\":\"GET\"}}}");
	got = samples(&e, 0);
	cr_assert_str_eq(got,
	    "http_requests_total{method=\"GET\",code=\"200\",agent=\"\"} 1\n"
	    "http_requests_total{method=\"GET\",code=\"200\","
	    "agent=\"curl/8\"} 1\n"
	    "http_requests_total{method=\"POST\",code=\"201\",agent=\"\"} 1\n");
	free(got);
	env_free(&e);
}

/* --explain says which path it followed and where it stopped. */
Test(match, explain_paths)
{
	static const struct {
		const char *line;
		const char *want;
	} c[] = {
		{ "{\"res\":{}}", "no top-level field \"req\"" },
		{ "{\"req\":\"GET\",\"res\":{}}",
		    "no field req.method: req is a string, not an object or "
		    "array" },
		{ "{\"req\":{},\"res\":{}}",
		    "no field req.method: req has no key \"method\"" },
		{ "{\"req\":{\"method\":\"get\"},\"res\":{}}",
		    "/^(?<method>[A-Z]+)$/ does not match field req.method" },
		{ "{\"req\":{\"method\":\"GET\"},\"res\":[]}",
		    "no field res.statusCode: res is an array and "
		    "\"statusCode\" is not an index" },
	};
	struct env e;
	struct buf out, want;
	size_t	   i;

	env_new(&e,
	    "counter c\n"
	    "rule r\n"
	    "  match req.method /^(?<method>[A-Z]+)$/\n"
	    "  match res.statusCode /x/\n"
	    "  inc c\n"
	    "counter d\n"
	    "rule s\n"
	    "  match a.0.\"b c\" /x/\n"
	    "  inc d\n");
	buf_init(&out);
	buf_init(&want);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_reset(&out);
		matcher_explain(e.m, c[i].line, strlen(c[i].line), 0, &out);
		buf_reset(&want);
		buf_printf(&want,
		    "rule r: no match: %s\n"
		    "rule s: no match: no top-level field \"a\"\n"
		    "no rule matches\n",
		    c[i].want);
		cr_expect_str_eq(out.p, want.p, "%s", c[i].line);
	}
	buf_reset(&out);
	matcher_explain(e.m, "{\"a\":[{\"b\":1}]}", 15, 0, &out);
	cr_expect_str_eq(out.p,
	    "rule r: no match: no top-level field \"req\"\n"
	    "rule s: no match: no field a.0.\"b c\": a.0 has no key \"b c\"\n"
	    "no rule matches\n");
	buf_reset(&out);
	matcher_explain(e.m, "{\"a\":[]}", 8, 0, &out);
	cr_expect_str_eq(out.p,
	    "rule r: no match: no top-level field \"req\"\n"
	    "rule s: no match: no field a.0.\"b c\": a has no element 0\n"
	    "no rule matches\n");
	buf_free(&out);
	buf_free(&want);
	env_free(&e);
}

/*
 * Rewrites bound a label: in the order written, on the capture as the
 * patterns left it (empty when an optional one failed), every match
 * replaced; groups in the replacement; a rewrite stopped by the match
 * limit fails the rule and is counted.
 */
Test(match, rewrites)
{
	struct env e;
	char	  *got;

	env_new(&e,
	    "counter r_total\n"
	    "  labels path who\n"
	    "rule r\n"
	    "  match url /^(?<path>[^?#]*)/\n"
	    "  optional user /^(?<who>.+)$/\n"
	    "  rewrite $path /\\/[0-9]+(?=\\/|$)/ \"/:id\"\n"
	    "  rewrite $path /^\\/v(?<v>[0-9])\\// \"/api$v/\"\n"
	    "  rewrite $path /^$/ \"/\"\n"
	    "  rewrite $who /^$/ \"anonymous\"\n"
	    "  rewrite $who /(.)(.*)/ \"$1***\"\n"
	    "  inc r_total\n");
	feed(&e, "{\"url\":\"/orders/42?x=1\",\"user\":\"alice\"}");
	feed(&e, "{\"url\":\"/orders/43/items/7\",\"user\":\"bob\"}");
	feed(&e, "{\"url\":\"/v2/orders/1\"}");
	feed(&e, "{\"url\":\"?q=1\"}");
	feed(&e, "{\"url\":\"/orders/12a\",\"user\":\"\"}");
	got = samples(&e, 0);
	cr_assert_str_eq(got,
	    "r_total{path=\"/\",who=\"a***\"} 1\n"
	    "r_total{path=\"/api2/orders/:id\",who=\"a***\"} 1\n"
	    "r_total{path=\"/orders/12a\",who=\"a***\"} 1\n"
	    "r_total{path=\"/orders/:id\",who=\"a***\"} 1\n"
	    "r_total{path=\"/orders/:id/items/:id\",who=\"b***\"} 1\n");
	free(got);
	env_free(&e);
}

Test(match, rewrite_limit)
{
	struct env e;
	struct buf line, out;
	size_t	   n;

	env_new_limit(&e,
	    "counter c\n  labels v\nrule r\n"
	    "  match /^(?<v>.*)$/\n"
	    "  rewrite $v /^(a|aa)+$/ \"x\"\n  inc c\n",
	    1000);
	buf_init(&line);
	for (n = 0; n < 5000; n++)
		buf_putc(&line, 'a');
	buf_putc(&line, 'b');
	registry_lock(e.reg);
	cr_expect_eq(matcher_line(e.m, line.p, line.len, 0), 0);
	cr_expect_eq(matcher_stats(e.m)->limit_hits, 1);
	buf_init(&out);
	matcher_explain(e.m, line.p, line.len, 0, &out);
	cr_expect_str_eq(out.p,
	    "rule r: no match: match limit reached by /^(a|aa)+$/\n"
	    "no rule matches\n");
	registry_unlock(e.reg);
	buf_free(&out);
	buf_free(&line);
	env_free(&e);
}

/*
 * The shapes that skip PCRE2 decide as PCRE2 does: each rule runs once as
 * written and once with a comment after it, which keeps its meaning but
 * sends it to PCRE2. Empty values, newlines and near-literals included.
 */
Test(match, fast_shapes_agree_with_pcre2)
{
	static const char *const shapes[] = {
		"^(?<v>.*)$",
		"^(?<v>.+)$",
		"^(?<val>.*)$/s",
		"^(?<val>.+)$/s",
		"^ERROR$",
		"^$",
	};
	static const char *const values[] = {
		"",
		"ERROR",
		"error",
		"ERROR ",
		"ERR",
		"a\nb",
		"\n",
		"ERROR\n",
		"x",
	};
	struct env  e;
	struct buf  rules, line;
	const char *flags;
	size_t	    i, j, n;
	char	   *got, *shape;
	int	    fast, slow;

	buf_init(&rules);
	buf_init(&line);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		shape = xstrdup(shapes[i]);
		flags = "";
		if ((n = strlen(shape)) > 2 && shape[n - 2] == '/') {
			shape[n - 2] = '\0';
			flags = "s";
		}
		buf_reset(&rules);
		buf_printf(&rules,
		    "counter fast\ncounter slow\n"
		    "rule f\n  match f /%s/%s\n  inc fast\n"
		    "rule s\n  match f /%s(?#)/%s\n  inc slow\n",
		    shape, flags, shape, flags);
		env_new(&e, rules.p);
		cr_assert_eq(e.rs->rules[0].pats[0].kind != PK_REGEX, 1, "%s",
		    shapes[i]);
		cr_assert_eq(e.rs->rules[1].pats[0].kind, PK_REGEX);
		for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			buf_reset(&line);
			buf_printf(&line, "{\"f\":\"%s\"}", values[j]);
			feed(&e, line.p);
			got = samples(&e, 0);
			cr_expect(sscanf(got, "fast %d\nslow %d", &fast,
				      &slow) == 2 &&
				fast == slow,
			    "/%s/ on \"%s\": %s", shapes[i], values[j], got);
			free(got);
		}
		env_free(&e);
		free(shape);
	}
	buf_free(&rules);
	buf_free(&line);
}

Test(match, explain_describes_without_counting)
{
	struct env  e;
	struct buf  out;
	const char *line = "{\"severity\":\"ERROR\",\"type\":\"X\"}";
	char	   *got;

	env_new(&e, events_rules);
	buf_init(&out);
	matcher_explain(e.m, line, strlen(line), 0, &out);
	cr_assert_str_eq(out.p,
	    "rule event: match\n"
	    "  $severity = \"ERROR\"\n"
	    "  $type = \"X\"\n"
	    "  $symbol = \"\"\n"
	    "  inc events_total{severity=\"ERROR\",type=\"X\",symbol=\"\"} 1\n");
	buf_reset(&out);
	matcher_explain(e.m, "{\"severity\":1}", 14, 0, &out);
	cr_assert_str_eq(out.p,
	    "rule event: no match: no top-level field \"type\"\n"
	    "no rule matches\n");
	got = samples(&e, 0);
	cr_assert_str_eq(got, "");
	free(got);
	cr_assert_eq(matcher_stats(e.m)->lines, 0);
	buf_free(&out);
	env_free(&e);
}

/*
 * A wrapper's time (a container runtime's) is the log time where the
 * rules' timestamp statements find none: it never overrides theirs, one
 * that is not RFC 3339 is none, and it counts for the newest time seen
 * even when the rules have no timestamp statement.
 */
Test(match, wrapper_time)
{
	static const char *cases[] = {
		"{\"time\":1764020763412,\"component\":\"scheduler\","
		"\"subsystem\":\"trading\",\"durationMs\":1,\"outcome\":\"ok\"}",
		"{\"component\":\"scheduler\",\"subsystem\":\"recon\","
		"\"durationMs\":1,\"outcome\":\"ok\"}",
		"{\"component\":\"scheduler\",\"subsystem\":\"monitor\","
		"\"durationMs\":1,\"outcome\":\"ok\"}",
	};
	struct rtime wt[] = {
		{ { "2026-12-06T10:00:00Z", 20 }, -1 },
		{ { "2026-12-06T11:00:00.5+01:00", 27 }, -1 },
		{ { "yesterday", 9 }, -1 },
	};
	struct rtime secs = { { "", 0 }, 1796551300.25 };
	struct env   e;
	char	    *got;
	size_t	     i;
	const char  *no_ts;

	env_new(&e, cycle_rules);
	registry_lock(e.reg);
	for (i = 0; i < NELEM(cases); i++) {
		matcher_wrapper_time(e.m, &wt[i]);
		cr_expect_eq(matcher_line_time(e.m, cases[i], strlen(cases[i])),
		    i == 0     ? 1764020763.412 :
			i == 1 ? 1796551200.5 :
				 -1,
		    "case %zu", i);
		matcher_line(e.m, cases[i], strlen(cases[i]), 1000);
	}
	/* A time in seconds (the journal's). */
	matcher_wrapper_time(e.m, &secs);
	cr_expect_eq(matcher_line_time(e.m, cases[2], strlen(cases[2])),
	    1796551300.25);
	matcher_wrapper_time(e.m, NULL);
	cr_expect_eq(matcher_line_time(e.m, cases[2], strlen(cases[2])), -1);
	registry_unlock(e.reg);
	got = samples(&e, 0);
	cr_expect(
	    strstr(got, "last_ts{subsystem=\"trading\"} 1764020763.412\n"));
	cr_expect(strstr(got, "last_ts{subsystem=\"recon\"} 1796551200.5\n"));
	cr_expect(strstr(got, "last_ts{subsystem=\"monitor\"} 1000\n"));
	cr_expect_eq(matcher_stats(e.m)->newest_time, 1796551200.5);
	free(got);
	env_free(&e);

	/* No timestamp statement: the wrapper's time alone. */
	no_ts = strstr(cycle_rules, "histogram"); /* no timestamp lines */
	env_new(&e, no_ts);
	registry_lock(e.reg);
	matcher_wrapper_time(e.m, &wt[0]);
	matcher_line(e.m, cases[1], strlen(cases[1]), 1000);
	matcher_wrapper_time(e.m, NULL);
	cr_expect_eq(matcher_line_time(e.m, cases[1], strlen(cases[1])), -1);
	registry_unlock(e.reg);
	cr_expect_eq(matcher_stats(e.m)->newest_time, 1796551200);
	env_free(&e);
}

/*
 * A matcher over metrics the registry lacks is refused, and what it had
 * built is freed, rewrites of the rules it did not reach included.
 */
Test(match, refused_and_freed)
{
	static const char text[] = "counter a\ncounter b\n"
				   "rule r\n  match /(?<x>.)/\n"
				   "  rewrite $x /./ \"y\"\n  inc a\n"
				   "rule s\n  match /(?<x>.)/\n"
				   "  rewrite $x /./ \"y\"\n  inc b\n";
	struct ruleset	 *rs;
	struct registry	 *reg;
	char		  err[256];

	rs = rules_parse("t.rules", text, sizeof(text) - 1, err, sizeof(err));
	cr_assert_not_null(rs, "%s", err);
	reg = registry_new();
	cr_expect_null(matcher_new(rs, reg, 0, 0, err, sizeof(err)));
	cr_expect_str_eq(err, "t.rules:6:3: metric 'a' is not registered");
	registry_free(reg);
	rules_free(rs);
}

/* The OpenMetrics samples of e, without comments. */
static char *
om_samples(struct env *e)
{
	return samples_in(e, EXPOSE_OPENMETRICS, 2000);
}

/*
 * Exemplars from captures and strings: escaped, valid UTF-8, timed by
 * the line's log time or else the wall clock; at 128 characters kept,
 * over them dropped and counted while the value still counts.
 */
Test(match, exemplars)
{
	struct env e;
	struct buf line;
	char	  *got, *kept;

	env_new(&e,
	    "timestamp ts epoch_ms\n"
	    "counter req_total\n"
	    "histogram lat_seconds\n"
	    "  buckets 1\n"
	    "rule r\n"
	    "  match id /^(?<id>.*)$/s\n"
	    "  optional ms /^(?<ms>[0-9.]+)$/\n"
	    "  inc req_total exemplar id=$id src=\"log\"\n"
	    "  observe lat_seconds $ms / 1000 exemplar id=$id if $ms != \"\"\n");
	feed(&e, "{\"id\":\"a\\\"b\\n\\u00ff\",\"ts\":1500}");
	got = om_samples(&e);
	cr_assert_str_eq(got,
	    "req_total 1 # {id=\"a\\\"b\\n\xc3\xbf\",src=\"log\"} 1 1.5\n"
	    "lat_seconds_bucket{le=\"1\"} 0\n"
	    "lat_seconds_bucket{le=\"+Inf\"} 0\n"
	    "lat_seconds_count 0\n"
	    "lat_seconds_sum 0\n");
	free(got);
	/* No log time: the wall clock the line was fed with. */
	feed(&e, "{\"id\":\"q\",\"ms\":\"20\"}");
	got = om_samples(&e);
	cr_assert_str_eq(got,
	    "req_total 2 # {id=\"q\",src=\"log\"} 1 1000\n"
	    "lat_seconds_bucket{le=\"1\"} 1 # {id=\"q\"} 0.02 1000\n"
	    "lat_seconds_bucket{le=\"+Inf\"} 1\n"
	    "lat_seconds_count 1\n"
	    "lat_seconds_sum 0.02\n");
	free(got);
	/* id and src and "log": 2 + 3 + 3 = 8; 120 more make 128. */
	buf_init(&line);
	buf_puts(&line, "{\"id\":\"");
	buf_puts(&line, "\xc3\xa9");
	while (line.len < 7 + 2 + 119)
		buf_putc(&line, 'x');
	buf_puts(&line, "\"}");
	buf_putc(&line, '\0');
	feed(&e, line.p);
	cr_assert_eq(e.reg->m[0]->ex_dropped, 0);
	got = om_samples(&e);
	cr_assert(strncmp(got, "req_total 3 # {id=\"\xc3\xa9xxx", 23) == 0,
	    "%s", got);
	kept = strndup(got + 11, (size_t)(strchr(got, '\n') - got - 11));
	free(got);
	line.len -= 3;
	buf_puts(&line, "x\"}");
	buf_putc(&line, '\0');
	feed(&e, line.p);
	cr_assert_eq(e.reg->m[0]->ex_dropped, 1);
	got = om_samples(&e);
	/* The count goes on; the exemplar is the one before. */
	cr_assert(strncmp(got, "req_total 4", 11) == 0, "%s", got);
	cr_assert(strncmp(got + 11, kept, strlen(kept)) == 0 &&
		got[11 + strlen(kept)] == '\n',
	    "%s", got);
	free(kept);
	free(got);
	/* An empty value is left out; with nothing left, no exemplar. */
	feed(&e, "{\"id\":\"\",\"ms\":\"30\"}");
	got = om_samples(&e);
	cr_assert_not_null(strstr(got, "req_total 5 # {src=\"log\"} 1 1000\n"),
	    "%s", got);
	cr_assert_not_null(
	    strstr(got,
		"lat_seconds_bucket{le=\"1\"} 2 # {id=\"q\"} 0.02 "
		"1000\n"),
	    "%s", got);
	free(got);
	buf_free(&line);
	env_free(&e);
}
