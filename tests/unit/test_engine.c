/*
 * test_engine.c: path labels: the regex and its groups refused with a
 * reason, the values of a path, the labels joined to every metric, and
 * the declared series made per source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "engine.h"
#include "testutil.h"
#include "util.h"

static const char *dir;
static char	   rules[256];

static void
setup(void)
{
	dir = tu_tmpdir("test_engine");
	tu_path(rules, sizeof(rules), dir, "r.rules");
	tu_write_str(rules,
	    "label app = \"x\"\n"
	    "counter ev_total\n"
	    "  help \"Events.\"\n"
	    "  labels kind\n"
	    "counter all_total\n"
	    "  help \"All.\"\n"
	    "gauge last\n"
	    "  help \"Last.\"\n"
	    "  labels s\n"
	    "  series s=one\n"
	    "  series s=two\n"
	    "rule ev\n"
	    "  match kind /^(?<kind>.*)$/\n"
	    "  inc ev_total\n"
	    "  inc all_total\n");
}

TestSuite(engine, .init = setup, .fini = tu_cleanup);

static int
load(struct engine *e, const char *re, char *err, size_t errlen)
{
	struct engine_opts o;
	const char	  *r[1] = { rules };
	char		  *ln[1] = { "zone" }, *lv[1] = { "eu" };

	memset(&o, 0, sizeof(o));
	o.rules = r;
	o.nrules = 1;
	o.lnames = ln;
	o.lvalues = lv;
	o.nlabels = 1;
	o.max_series = 1000;
	o.max_label = 1024;
	o.path_labels = re;
	return engine_load(e, &o, err, errlen);
}

Test(engine, path_labels_refused)
{
	static const struct {
		const char *re;
		const char *err;
	} t[] = {
		{ "/(?<kind>[^/]+)/",
		    "--path-labels: group \"kind\": metric ev_total (" },
		{ "/(?<app>[^/]+)/",
		    "--path-labels: group \"app\": a default label of the "
		    "rules has that name" },
		{ "/(?<zone>[^/]+)/",
		    "--path-labels: group \"zone\": --label zone=eu has that "
		    "name" },
		{ "(?<__a>x)", "--path-labels: group \"__a\": names starting" },
		{ "(?<le>x)", "--path-labels: group \"le\": \"le\" is the" },
		{ "/x/", "--path-labels: no named group" },
		{ "(?<a>x",
		    "--path-labels: missing closing parenthesis at "
		    "offset 6" },
	};
	struct engine e;
	char	      err[512];
	size_t	      i;

	for (i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		cr_expect_eq(load(&e, t[i].re, err, sizeof(err)), -1, "%s",
		    t[i].re);
		cr_expect_eq(strncmp(err, t[i].err, strlen(t[i].err)), 0,
		    "%s: %s", t[i].re, err);
	}
}

/* A path's values, in the order of the groups, "" where unset. */
Test(engine, path_values)
{
	static const struct {
		const char *path;
		const char *want; /* values joined by '|' */
	} t[] = {
		{ "/var/log/eu/inst-7/bot.log", "inst-7|eu|" },
		{ "/var/log/eu/inst-7/x/bot.log", "inst-7|eu|x" },
		{ "/var/log/bot.log", "||" },
		{ "-", "||" },
	};
	struct engine e;
	struct str   *v;
	struct buf    b;
	char	      err[512];
	size_t	      i, k;

	cr_assert_eq(load(&e,
			 "/(?<region>[a-z]+)/(?<instance>inst-[0-9]+)/"
			 "(?:(?<sub>[a-z]+)/)?bot",
			 err, sizeof(err)),
	    0, "%s", err);
	/* By group number, not by name. */
	cr_assert_eq(e.npl, 3);
	cr_assert_str_eq(e.plnames[0], "region");
	cr_assert_str_eq(e.plnames[1], "instance");
	cr_assert_str_eq(e.plnames[2], "sub");
	buf_init(&b);
	for (i = 0; i < NELEM(t); i++) {
		v = engine_path_values(&e, t[i].path);
		cr_assert_not_null(v);
		buf_reset(&b);
		/* want lists instance first, then region, then sub. */
		buf_append(&b, v[1].p, v[1].n);
		buf_putc(&b, '|');
		buf_append(&b, v[0].p, v[0].n);
		buf_putc(&b, '|');
		buf_append(&b, v[2].p, v[2].n);
		buf_putc(&b, '\0');
		cr_expect_str_eq(b.p, t[i].want, "%s", t[i].path);
		free(v);
	}
	/* Every metric has them after its own labels. */
	for (i = 0; i < e.reg->n; i++) {
		struct metric *m = e.reg->m[i];

		cr_assert_geq(m->nlabels, 3, "%s", m->name);
		for (k = 0; k < 3; k++)
			cr_expect_str_eq(m->labels[m->nlabels - 3 + k],
			    e.plnames[k], "%s", m->name);
	}
	buf_free(&b);
	engine_free(&e);
	cr_assert_null(engine_path_values(&e, "/x"));
}

static size_t
series_count(struct engine *e, const char *name)
{
	struct metric *m = registry_find(e->reg, name);

	cr_assert_not_null(m, "%s", name);
	return m->nseries;
}

/*
 * Declared series (and the lone series of a metric without labels) are
 * made for each source, with its values, not once with empty ones; lines
 * carry the values of the source set last.
 */
Test(engine, series_per_source)
{
	struct engine e;
	struct str   *a, *b;
	char	      err[512];

	cr_assert_eq(load(&e, "/(?<instance>[^/]+)/[^/]*$", err, sizeof(err)),
	    0, "%s", err);
	cr_expect_eq(series_count(&e, "last"), 0);
	cr_expect_eq(series_count(&e, "all_total"), 0);
	a = engine_path_values(&e, "/l/a/bot.log");
	b = engine_path_values(&e, "/l/b/bot.log");
	registry_lock(e.reg);
	engine_source(&e, a);
	engine_source(&e, a);
	cr_expect_eq(series_count(&e, "last"), 2);
	cr_expect_eq(series_count(&e, "all_total"), 1);
	engine_source(&e, b);
	cr_expect_eq(series_count(&e, "last"), 4);
	cr_expect_eq(series_count(&e, "all_total"), 2);
	matcher_source(e.m, a, e.npl);
	cr_expect_eq(matcher_line(e.m, "{\"kind\":\"x\"}", 12, 1), 1);
	matcher_source(e.m, b, e.npl);
	cr_expect_eq(matcher_line(e.m, "{\"kind\":\"x\"}", 12, 1), 1);
	cr_expect_eq(matcher_line(e.m, "{\"kind\":\"y\"}", 12, 1), 1);
	cr_expect_eq(series_count(&e, "ev_total"), 3);
	cr_expect_eq(series_count(&e, "all_total"), 2);
	registry_unlock(e.reg);
	free(a);
	free(b);
	engine_free(&e);
}
