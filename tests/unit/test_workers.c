/*
 * test_workers.c: records handed to 2, 3 and 7 workers, across sources
 * with path labels and changing wrapper times, leave the registry and
 * the line counts exactly as one matcher fed in turn does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "engine.h"
#include "expose.h"
#include "testutil.h"
#include "workers.h"

static const char *dir;
static char	   rules[256];

static void
setup(void)
{
	dir = tu_tmpdir("test_workers");
	tu_path(rules, sizeof(rules), dir, "r.rules");
	/* No timestamp statement: @time is the wrapper's, else now. */
	tu_write_str(rules,
	    "counter ev_total\n"
	    "  help \"Events.\"\n"
	    "  labels kind\n"
	    "counter amount_total\n"
	    "  help \"Amounts.\"\n"
	    "  labels kind\n"
	    "gauge last\n"
	    "  help \"Last.\"\n"
	    "  labels s\n"
	    "  series s=one\n"
	    "  series s=two\n"
	    "gauge seen_at\n"
	    "  help \"When.\"\n"
	    "rule ev\n"
	    "  match kind /^(?<kind>k[0-9])/\n"
	    "  match v /^(?<v>.*)$/\n"
	    "  inc ev_total\n"
	    "  add amount_total $v * 1.1\n"
	    "  set last $v s=\"one\"\n"
	    "  set seen_at @time\n");
}

TestSuite(workers, .init = setup, .fini = tu_cleanup);

static void
load(struct engine *e)
{
	struct engine_opts o;
	const char	  *r[1] = { rules };
	char		   err[1024];

	memset(&o, 0, sizeof(o));
	o.rules = r;
	o.nrules = 1;
	o.max_series = 1000;
	o.max_label = 1024;
	o.path_labels = "/(?<src>[a-z]+)\\.log$";
	cr_assert_eq(engine_load(e, &o, err, sizeof(err)), 0, "%s", err);
}

static const char *const paths[] = { "/l/a.log", "/l/b.log", "/l/c.log" };

/*
 * The feed: three sources, lines of about 200 bytes, the wrapper time
 * changing every 700 lines (none in between), through fn.
 */
struct feed {
	void (*source)(void *, const struct str *, size_t);
	void (*wtime)(void *, const struct rtime *);
	void (*line)(void *, const char *, size_t, unsigned long long);
	void *arg;
};

static void
feed(struct engine *e, const struct feed *f, struct str **pv)
{
	char	      line[512];
	struct rtime  t;
	unsigned long x = 99;
	size_t	      i, k;
	int	      n;

	for (k = 0; k < 3; k++) {
		pv[k] = engine_path_values(e, paths[k]);
		f->source(f->arg, pv[k], k);
		for (i = 0; i < 9000; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			if (i % 700 == 0) {
				t.secs = i % 1400 == 700 ? -1 : 1e9 + (double)i;
				t.text.p = "";
				t.text.n = 0;
				f->wtime(f->arg, &t);
			}
			n = snprintf(line, sizeof(line),
			    "{\"kind\":\"k%lu\",\"v\":\"%lu.%03lu\","
			    "\"pad\":\"%.*s\"}",
			    (x >> 33) % 10, (x >> 20) % 100000,
			    (x >> 40) % 1000, (int)((x >> 50) % 200),
			    "................................................"
			    "................................................"
			    "................................................"
			    "................................................");
			f->line(f->arg, line, (size_t)n, i + 1);
		}
	}
}

static void
d_source(void *arg, const struct str *pv, size_t fileno)
{
	struct engine *e = arg;

	(void)fileno;
	matcher_source(e->m, pv, e->npl);
	engine_source(e, pv);
}

static void
d_wtime(void *arg, const struct rtime *t)
{
	struct engine *e = arg;

	matcher_wrapper_time(e->m, t);
}

static void
d_line(void *arg, const char *p, size_t n, unsigned long long lineno)
{
	struct engine *e = arg;

	(void)lineno;
	matcher_line(e->m, p, n, 5000);
}

static void
w_source(void *arg, const struct str *pv, size_t fileno)
{
	workers_source(arg, pv, fileno);
}

static void
w_wtime(void *arg, const struct rtime *t)
{
	workers_wrapper_time(arg, t);
}

static void
w_line(void *arg, const char *p, size_t n, unsigned long long lineno)
{
	cr_assert_eq(workers_line(arg, p, n, lineno), 0);
}

static char *
render(struct engine *e)
{
	struct buf out;

	buf_init(&out);
	registry_lock(e->reg);
	expose_render(&e->reg, 1, &out, EXPOSE_TEXT, 5000);
	expose_render(&e->reg, 1, &out, EXPOSE_OPENMETRICS, 5000);
	registry_unlock(e->reg);
	return buf_release(&out);
}

Test(workers, as_one_matcher)
{
	struct engine	e, d;
	struct feed	f;
	struct workers *w;
	struct str     *pv[3], *dpv[3];
	char	       *want, *got, err[256];
	size_t		n, k;

	load(&d);
	f.source = d_source;
	f.wtime = d_wtime;
	f.line = d_line;
	f.arg = &d;
	registry_lock(d.reg);
	feed(&d, &f, dpv);
	registry_unlock(d.reg);
	want = render(&d);
	/* Each source's declared series; the wrapper's time, or now. */
	cr_assert_not_null(strstr(want, "last{s=\"two\",src=\"c\"} 0\n"), "%s",
	    want);
	cr_assert_not_null(strstr(want, "seen_at{src=\"c\"} 1000008400\n"),
	    "%s", want);
	for (n = 2; n <= 7; n += n == 3 ? 4 : 1) {
		load(&e);
		w = workers_new(&e, n, 5000, NULL, NULL, err, sizeof(err));
		cr_assert_not_null(w, "%s", err);
		f.source = w_source;
		f.wtime = w_wtime;
		f.line = w_line;
		f.arg = w;
		feed(&e, &f, pv);
		workers_end(w);
		cr_assert_eq(workers_stopped(w), 0);
		workers_free(w);
		got = render(&e);
		cr_assert_str_eq(got, want, "on %zu threads", n);
		cr_assert_eq(matcher_stats(e.m)->lines,
		    matcher_stats(d.m)->lines);
		cr_assert_eq(matcher_stats(e.m)->lines, 27000);
		free(got);
		for (k = 0; k < 3; k++)
			free(pv[k]);
		engine_free(&e);
	}
	for (k = 0; k < 3; k++)
		free(dpv[k]);
	free(want);
	engine_free(&d);
}
