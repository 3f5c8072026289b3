/*
 * test_batch.c: lines matched by several recording matchers, their
 * batches applied in line order, give the registry one matcher gives.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "expose.h"
#include "match.h"
#include "metrics.h"
#include "rules.h"

/*
 * Float sums that depend on their order, gauges set and added, native
 * buckets that widen, exemplars (one of them too long), and a series cap
 * when the registry has one.
 */
static const char rules_text[] =
    "timestamp ts epoch_ms\n"
    "counter req_total\n"
    "  labels route\n"
    "counter bytes_total\n"
    "  labels route\n"
    "histogram lat_seconds\n"
    "  labels route\n"
    "  buckets 0.005 0.05 0.5\n"
    "  native\n"
    "  native_max_buckets 6\n"
    "gauge inflight\n"
    "  labels route\n"
    "gauge price\n"
    "rule r\n"
    "  match route /^(?<route>.*)$/\n"
    "  match ms /^(?<ms>.*)$/\n"
    "  match id /^(?<id>.*)$/s\n"
    "  optional price /^(?<price>.*)$/\n"
    "  inc req_total exemplar id=$id\n"
    "  add bytes_total $ms * 3.3\n"
    "  observe lat_seconds $ms / 1000 exemplar id=$id\n"
    "  add inflight $ms - 7.5\n"
    "  set price $price if $price != \"\"\n";

struct env {
	struct ruleset	*rs;
	struct registry *reg;
};

static void
env_new(struct env *e, size_t maxseries)
{
	char err[2048];

	e->rs = rules_parse("t.rules", rules_text, strlen(rules_text), err,
	    sizeof(err));
	cr_assert_not_null(e->rs, "%s", err);
	e->reg = registry_new();
	e->reg->maxseries = maxseries;
	registry_lock(e->reg);
	cr_assert_eq(registry_sync(e->reg, e->rs->decls, e->rs->ndecls, err,
			 sizeof(err)),
	    0, "%s", err);
	registry_unlock(e->reg);
}

static struct matcher *
matcher(struct env *e)
{
	struct matcher *m;
	char		err[512];

	m = matcher_new(e->rs, e->reg, 0, 0, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	return m;
}

static void
env_free(struct env *e)
{
	registry_free(e->reg);
	rules_free(e->rs);
}

/* The exposition in every format, one after the other. */
static struct buf
render(struct env *e)
{
	struct buf out;

	buf_init(&out);
	registry_lock(e->reg);
	expose_render(&e->reg, 1, &out, EXPOSE_TEXT, 5000);
	expose_render(&e->reg, 1, &out, EXPOSE_OPENMETRICS, 5000);
	expose_render(&e->reg, 1, &out, EXPOSE_PROTOBUF, 5000);
	registry_unlock(e->reg);
	return out;
}

/* Lines of a log in which order matters, from a fixed seed. */
static char **
make_lines(size_t n)
{
	char	    **lines = xcalloc(n, sizeof(*lines));
	unsigned long x = 12345;
	size_t	      i;
	int	      len;

	for (i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		len = asprintf(&lines[i],
		    "{\"ts\":%lu,\"route\":\"/r%lu\",\"ms\":\"%.*f\","
		    "\"id\":\"%s%lu\"%s%.3f%s}",
		    1700000000000UL + i * 10, (x >> 33) % 7,
		    (int)((x >> 20) % 4), (double)((x >> 40) % 100000) / 97.0,
		    (x >> 13) % 50 == 0 ? "long-id-over-the-exemplar-bound-"
					  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-" :
					  "",
		    (x >> 27) % 1000, (x >> 17) % 3 == 0 ? ",\"price\":\"" : "",
		    (double)((x >> 30) % 100000) / 7.0,
		    (x >> 17) % 3 == 0 ? "\"" : "");
		cr_assert(len > 0);
		/* Lines without a price end "...}" without the number. */
		if ((x >> 17) % 3 != 0) {
			char *cut = strrchr(lines[i], '"');

			strcpy(cut + 1, "}");
		}
		/* Lines no rule matches, that are cut, that it refuses. */
		if (i % 41 == 40)
			strcpy(lines[i], "at Object.<anonymous> (app.js:1:1)");
		else if (i % 53 == 52)
			strcpy(lines[i], "{\"route\":\"/r1\",\"ms\"");
		else if (i % 29 == 28)
			strcpy(strstr(lines[i], "\"ms\":\"") + 6,
			    "fast\",\"id\":\"e\"}");
	}
	return lines;
}

static void
free_lines(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* The exposition and the matcher's statistics after some lines. */
struct result {
	struct buf	     out;
	struct matcher_stats st;
	struct rule_stats    rule;
};

static void
keep_stats(struct result *r, struct matcher *m)
{
	size_t n;

	r->st = *matcher_stats(m);
	r->rule = matcher_rule_stats(m, &n)[0];
	cr_assert_eq(n, 1);
}

/* The lines through one matcher straight into its registry. */
static struct result
direct(char **lines, size_t n, size_t maxseries)
{
	struct env	e;
	struct matcher *m;
	struct result	r;
	size_t		i;

	env_new(&e, maxseries);
	m = matcher(&e);
	registry_lock(e.reg);
	for (i = 0; i < n; i++)
		matcher_line(m, lines[i], strlen(lines[i]), 1000);
	registry_unlock(e.reg);
	r.out = render(&e);
	keep_stats(&r, m);
	matcher_free(m);
	env_free(&e);
	return r;
}

/*
 * The lines cut in k runs at the given places, each recorded by its own
 * matcher, all recorded before any is applied; then applied in order,
 * and the matchers' statistics added likewise.
 */
static struct result
split(char **lines, size_t n, const size_t *cuts, size_t k, size_t maxseries)
{
	struct env	 e;
	struct matcher **m = xcalloc(k, sizeof(*m)), *sum;
	struct batch	*b = xcalloc(k, sizeof(*b));
	struct buf	 before, out;
	struct result	 r;
	size_t		 i, j, from;

	env_new(&e, maxseries);
	before = render(&e);
	for (j = 0; j < k; j++) {
		m[j] = matcher(&e);
		batch_init(&b[j]);
		matcher_record(m[j], &b[j]);
		from = j == 0 ? 0 : cuts[j - 1];
		for (i = from; i < (j + 1 < k ? cuts[j] : n); i++)
			matcher_line(m[j], lines[i], strlen(lines[i]), 1000);
	}
	/* Recording changed nothing. */
	out = render(&e);
	cr_assert(
	    out.len == before.len && memcmp(out.p, before.p, out.len) == 0);
	buf_free(&out);
	buf_free(&before);
	registry_lock(e.reg);
	for (j = 0; j < k; j++)
		batch_apply(&b[j], NULL, NULL);
	registry_unlock(e.reg);
	r.out = render(&e);
	sum = matcher(&e);
	for (j = 0; j < k; j++) {
		matcher_stats_add(sum, m[j]);
		batch_free(&b[j]);
		matcher_free(m[j]);
	}
	keep_stats(&r, sum);
	matcher_free(sum);
	free(b);
	free(m);
	env_free(&e);
	return r;
}

static void
assert_same(const struct result *w, const struct result *g, const char *what)
{
	const struct buf *want = &w->out, *got = &g->out;
	size_t		  i;

	cr_assert(w->st.lines == g->st.lines &&
		w->st.unmatched == g->st.unmatched &&
		w->st.json_invalid == g->st.json_invalid &&
		w->st.limit_hits == g->st.limit_hits &&
		w->st.newest_time == g->st.newest_time,
	    "%s: line counts", what);
	cr_assert(w->rule.matched == g->rule.matched &&
		w->rule.errors == g->rule.errors &&
		w->rule.limit_hits == g->rule.limit_hits &&
		w->rule.last_match == g->rule.last_match &&
		strcmp(w->rule.last_error, g->rule.last_error) == 0,
	    "%s: rule counts", what);

	for (i = 0; i < want->len && i < got->len && want->p[i] == got->p[i];
	     i++)
		;
	cr_assert(want->len == got->len && i == want->len,
	    "%s: differs at byte %zu of %zu/%zu: ...%.60s... vs ...%.60s...",
	    what, i, want->len, got->len, want->p + (i > 20 ? i - 20 : 0),
	    got->p + (i > 20 ? i - 20 : 0));
}

Test(batch, any_split_applies_as_one_matcher)
{
	enum {
		N = 600
	};
	char	    **lines = make_lines(N);
	struct result want, got;
	size_t	      cuts[6], k, c, j;
	char	      what[64];

	want = direct(lines, N, 0);
	/* Lines of every kind were fed. */
	cr_assert_not_null(strstr(want.out.p, "bytes_total{route=\"/r"));
	cr_assert(want.st.unmatched > 0 && want.st.json_invalid > 0 &&
	    want.rule.errors > 0 && want.st.newest_time > 1.7e9);
	/* Two runs cut anywhere, and some cuts into 3 and 7 runs. */
	for (c = 0; c <= N; c += 37) {
		cuts[0] = c;
		got = split(lines, N, cuts, 2, 0);
		snprintf(what, sizeof(what), "cut at %zu", c);
		assert_same(&want, &got, what);
		buf_free(&got.out);
	}
	for (k = 3; k <= 7; k += 4)
		for (c = 1; c < 40; c += 13) {
			for (j = 0; j + 1 < k; j++)
				cuts[j] = (j + 1) * N / k + c - 20;
			got = split(lines, N, cuts, k, 0);
			snprintf(what, sizeof(what), "%zu runs, shift %zu", k,
			    c);
			assert_same(&want, &got, what);
			buf_free(&got.out);
		}
	buf_free(&want.out);
	free_lines(lines, N);
}

Test(batch, series_cap_admits_in_line_order)
{
	enum {
		N = 300
	};
	char	    **lines = make_lines(N);
	struct result want, got;
	size_t	      cuts[1];

	want = direct(lines, N, 3);
	cr_assert_not_null(strstr(want.out.p, "req_total{route=\"/r"));
	for (cuts[0] = 0; cuts[0] <= N; cuts[0] += 11) {
		got = split(lines, N, cuts, 2, 3);
		assert_same(&want, &got, "capped");
		buf_free(&got.out);
	}
	buf_free(&want.out);
	free_lines(lines, N);
}

/* The gauge set last in the log wins, whichever run set it. */
Test(batch, gauge_keeps_the_later_value)
{
	static const char *lines[] = {
		"{\"route\":\"/a\",\"ms\":\"1\",\"id\":\"1\",\"price\":\"10\"}",
		"{\"route\":\"/a\",\"ms\":\"1\",\"id\":\"2\",\"price\":\"11\"}",
		"{\"route\":\"/a\",\"ms\":\"1\",\"id\":\"3\",\"price\":\"12\"}",
		"{\"route\":\"/a\",\"ms\":\"1\",\"id\":\"4\"}",
	};
	struct result got;
	size_t	      cuts[1] = { 2 };

	got = split((char **)(uintptr_t)lines, 4, cuts, 2, 0);
	cr_assert_not_null(strstr(got.out.p, "\nprice 12\n"), "%s", got.out.p);
	/* The exemplar is the last line's, from the second run. */
	cr_assert_not_null(strstr(got.out.p,
			       "req_total{route=\"/a\"} 4 # {id=\"4\"}"),
	    "%s", got.out.p);
	buf_free(&got.out);
	cuts[0] = 3;
	got = split((char **)(uintptr_t)lines, 4, cuts, 2, 0);
	cr_assert_not_null(strstr(got.out.p, "\nprice 12\n"), "%s", got.out.p);
	buf_free(&got.out);
}

struct seen {
	struct registry *reg;
	char		 log[256];
};

/*
 * At a mark: its tag and data, and the requests counted so far; the
 * updates after a mark tagged 9 are skipped.
 */
static int
on_mark(void *arg, uint64_t tag, const void *data, size_t len)
{
	struct seen   *s = arg;
	struct series *se;
	struct str     v = { "/a", 2 };
	size_t	       n = strlen(s->log);

	se = metric_series(registry_find(s->reg, "req_total"), &v);
	snprintf(s->log + n, sizeof(s->log) - n, "%llu:%.*s:%g ",
	    (unsigned long long)tag, (int)len, (const char *)data,
	    se != NULL ? se->value : -1);
	return tag == 9;
}

/* Marks come between the updates as they were recorded. */
Test(batch, marks_in_order)
{
	static const char line[] =
	    "{\"route\":\"/a\",\"ms\":\"1\",\"id\":\"1\"}";
	struct env	e;
	struct matcher *m;
	struct batch	b;
	struct seen	s;

	env_new(&e, 0);
	m = matcher(&e);
	batch_init(&b);
	matcher_record(m, &b);
	batch_mark(&b, 7, "start", 5);
	matcher_line(m, line, strlen(line), 1000);
	matcher_line(m, line, strlen(line), 1000);
	batch_mark(&b, 8, "", 0);
	matcher_line(m, line, strlen(line), 1000);
	batch_mark(&b, 9, "skip", 4);
	matcher_line(m, line, strlen(line), 1000);
	batch_mark(&b, 1ULL << 40, "end of it", 9);
	cr_assert_eq(b.n, 4 + 4 * 4);
	memset(&s, 0, sizeof(s));
	s.reg = e.reg;
	registry_lock(e.reg);
	batch_apply(&b, on_mark, &s);
	registry_unlock(e.reg);
	cr_assert_str_eq(s.log,
	    "7:start:0 8::2 9:skip:3 1099511627776:end of it:3 ");
	/* Reset keeps nothing; a batch applies again as many times. */
	batch_reset(&b);
	cr_assert_eq(b.n, 0);
	matcher_line(m, line, strlen(line), 1000);
	registry_lock(e.reg);
	batch_apply(&b, NULL, NULL);
	batch_apply(&b, NULL, NULL);
	registry_unlock(e.reg);
	s.log[0] = '\0';
	on_mark(&s, 0, "", 0);
	cr_assert_str_eq(s.log, "0::5 ");
	batch_free(&b);
	matcher_free(m);
	env_free(&e);
}
