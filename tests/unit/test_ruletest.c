/*
 * test_ruletest.c: test files (logmetrics.test(5)): every error with its
 * place, exposition lines as expectations, and whole runs compared with
 * their report.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruletest.h"
#include "testutil.h"
#include "util.h"

TestSuite(ruletest, .fini = tu_cleanup);

static const char *
parse_errors(const char *text)
{
	static struct buf err;
	struct rt_file	  f;

	buf_free(&err);
	buf_init(&err);
	buf_puts(&err, "");
	(void)ruletest_parse(&f, "d/t.test", text, strlen(text), &err);
	ruletest_free(&f);
	return err.p;
}

Test(ruletest, errors_with_their_place)
{
	static const struct {
		const char *text;
		const char *want;
	} c[] = {
		{ "",
		    "d/t.test:1:1: no rules statement: name the rules under "
		    "test\nd/t.test:1:1: no case: nothing is tested\n" },
		{ "rules r\ncase x\n",
		    "d/t.test:2:1: case 'x' expects nothing: add an expect "
		    "line\n" },
		{ "rules r\n  case\n  expect a 1\n",
		    "d/t.test:2:7: expected the case's name\n"
		    "d/t.test:3:3: 'expect' outside a case: write a case line "
		    "first\n"
		    "d/t.test:1:1: no case: nothing is tested\n" },
		{ "rules r\ncase x\n  expect a 1\nrules s\n",
		    "d/t.test:4:1: 'rules' after the first case: it goes at "
		    "the top\n" },
		{ "rules r\nenv 1A=b\nlabel a\nenv X=1\ncase x\n expect a 1\n",
		    "d/t.test:2:5: expected NAME=VALUE\n"
		    "d/t.test:3:8: expected NAME=VALUE\n" },
		{ "rules r\nlabel le=1\nlabel __x=1\ncase x\n expect a 1\n",
		    "d/t.test:2:7: label name 'le' is reserved: it is for "
		    "histogram buckets\n"
		    "d/t.test:3:7: label name '__x' is reserved: it starts "
		    "with __\n" },
		{ "rules\nrules r\ncase x\n expect a 1\n",
		    "d/t.test:1:6: expected a rules file or directory\n" },
		{ "rules r\ncase x\n  now yesterday\n  expect a 1\n",
		    "d/t.test:3:7: expected a time: Unix seconds or RFC 3339 "
		    "(2025-11-24T21:46:03Z)\n" },
		{ "rules r\ncase x\n  lines\n  expect a 1\n",
		    "d/t.test:3:8: expected a file of lines\n" },
		{ "rules r\ncase x\n  linez a\n  expect a 1\n",
		    "d/t.test:3:3: unknown statement 'linez': expected rules, "
		    "env, label, case, now, line, lines, expect, absent, only, "
		    "matches or errors\n" },
		{ "rules r\ncase x\n  expect a 1\n  matches r\n",
		    "d/t.test:4:3: 'matches' goes on the line after the line it "
		    "is about\n" },
		{ "rules r\ncase x\n  line a\n  matches\n  expect a 1\n",
		    "d/t.test:4:10: expected the names of rules, or nothing\n" },
		{ "rules r\ncase x\n  line a\n  matches r\n  matches s\n",
		    "d/t.test:5:3: 'matches' goes on the line after the line it "
		    "is about\n" },
		{ "rules r\ncase x\n  errors r\n  errors r x\n  expect a 1\n",
		    "d/t.test:3:11: expected a rule's name, then a count\n"
		    "d/t.test:4:12: expected a count of errors\n" },
		{ "rules r\ncase x\n  only a{}\n  absent a 1\n  expect a 1\n",
		    "d/t.test:3:9: expected a metric name\n"
		    "d/t.test:4:12: expected the end of the line: a series "
		    "without value\n" },
		{ "rules r\ncase x\n  Expect a 1\n  expect a 1\n",
		    "d/t.test:3:3: expected a statement\n" },
		{ "rules r\ncase x\n  expect a{b=\"c} 1\n",
		    "d/t.test:3:19: unterminated label value\n"
		    "d/t.test:2:1: case 'x' expects nothing: add an expect "
		    "line\n" },
		{ "rules r\ncase x\n  expect a{b=\"c\"} one\n  expect a 1\n",
		    "d/t.test:3:19: expected a number, +Inf, -Inf or NaN\n" },
		{ "rules r\ncase x\n  expect a 1 2\n  expect a 1\n",
		    "d/t.test:3:14: expected the end of the line, or '# {' and "
		    "an exemplar\n" },
		{ "rules r\ncase x\n  expect a 1 # x\n  expect a 1\n",
		    "d/t.test:3:16: expected '{' and the exemplar's labels\n" },
		{ "rules r\ncase x\n  expect a 1 # {id=\"q\"}\n  expect a 1\n",
		    "d/t.test:3:24: expected a blank, then the exemplar's "
		    "value\n" },
		{ "rules r\ncase x\n  expect a 1 # {id=\"q\"} x\n  expect a 1\n",
		    "d/t.test:3:25: expected a number, +Inf, -Inf or NaN\n" },
		{ "rules r\ncase x\n  expect a 1 # {id=\"q\"} 1 2 3\n"
		  "  expect a 1\n",
		    "d/t.test:3:29: expected the end of the line\n" },
		{ "rules r\ncase x\n  absent a # {id=\"q\"}\n  expect a 1\n",
		    "d/t.test:3:12: expected the end of the line: a series "
		    "without value\n" },
	};
	static const char nul[] =
	    "rules r\ncase x\n  line a\0b\n  expect a 1\n";
	struct rt_file f;
	struct buf     err;
	size_t	       i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		cr_expect_str_eq(parse_errors(c[i].text), c[i].want, "for %s",
		    c[i].text);
	buf_init(&err);
	buf_puts(&err, "");
	cr_expect_eq(ruletest_parse(&f, "d/t.test", nul, sizeof(nul) - 1, &err),
	    -1);
	cr_expect_str_eq(err.p, "d/t.test:3:9: NUL byte\n");
	ruletest_free(&f);
	buf_free(&err);
}

/* The parse of a correct file: paths from the file's directory. */
Test(ruletest, parse)
{
	struct rt_file f;
	struct buf     err;
	const char    *text = "# comment\n"
			      "rules ../rules/http.rules\n"
			      "rules /abs/dir\n"
			      "env NODE_ENV=production\n"
			      "label region=eu=1\n"
			      "\n"
			      "case one  \n"
			      "  now 2025-11-24T21:46:03Z\n"
			      "  line  two blanks # and a hash\n"
			      "  line\n"
			      "  lines fx/a.log\n"
			      "  expect a_total{x=\"1\",y=\"q\\\"\\\\\\n\"} 2\r\n"
			      "case two\n"
			      "  now 1764020763.5\n"
			      "  expect b +Inf\n";

	buf_init(&err);
	cr_assert_eq(ruletest_parse(&f, "d/t.test", text, strlen(text), &err),
	    0, "%s", err.p);
	cr_assert_eq(f.nrules, 2);
	cr_expect_str_eq(f.rules[0], "d/../rules/http.rules");
	cr_expect_str_eq(f.rules[1], "/abs/dir");
	cr_assert_eq(f.nenv, 1);
	cr_expect_str_eq(f.env[0], "NODE_ENV=production");
	cr_assert_eq(f.nlabels, 1);
	cr_expect_str_eq(f.lnames[0], "region");
	cr_expect_str_eq(f.lvalues[0], "eu=1");
	cr_assert_eq(f.ncases, 2);
	cr_expect_str_eq(f.cases[0].name, "one");
	cr_expect_eq(f.cases[0].line, 7);
	cr_expect_eq(f.cases[0].now, 1764020763.0);
	cr_assert_eq(f.cases[0].nin, 3);
	cr_expect_str_eq(f.cases[0].in[0].text, " two blanks # and a hash");
	cr_expect_eq(f.cases[0].in[1].len, 0);
	cr_expect_str_eq(f.cases[0].in[2].path, "d/fx/a.log");
	cr_assert_eq(f.cases[0].nexpect, 1);
	cr_expect_str_eq(f.cases[0].expect[0].name, "a_total");
	cr_assert_eq(f.cases[0].expect[0].nlabels, 2);
	cr_expect_str_eq(f.cases[0].expect[0].lvalues[1], "q\"\\\n");
	cr_expect_eq(f.cases[0].expect[0].value, 2);
	cr_expect_eq(f.cases[0].expect[0].line, 12);
	cr_expect_eq(f.cases[1].now, 1764020763.5);
	cr_expect_eq(f.cases[1].expect[0].value, INFINITY);
	ruletest_free(&f);
	buf_free(&err);
}

Test(ruletest, samples)
{
	static const struct {
		const char *s;
		const char *want; /* "COL: message", or "" */
	} c[] = {
		{ "a 1", "" },
		{ "a:b_c{} -1.5e3", "" },
		{ "a{x=\"\",} NaN", "" },
		{ "a{ x=\"1\" , y=\"2\" } -Inf", "" },
		{ "", "1: expected a metric name" },
		{ "1a 1", "1: expected a metric name" },
		{ "a", "2: expected a blank, then the value" },
		{ "a ", "3: expected a value" },
		{ "a{", "3: expected a label name or '}'" },
		{ "a{x} 1", "4: expected =\" after the label name" },
		{ "a{x=1} 1", "4: expected =\" after the label name" },
		{ "a{x=\"1\" y=\"2\"} 1", "9: expected ',' or '}'" },
		{ "a{x=\"1\",x=\"2\"} 1", "9: label given twice" },
		{ "a{x=\"\\t\"} 1", "6: invalid escape: \\\\, \\\" or \\n" },
		{ "a 1x", "3: expected a number, +Inf, -Inf or NaN" },
		{ "a inf", "3: expected a number, +Inf, -Inf or NaN" },
		{ "a 1e999", "3: expected a number, +Inf, -Inf or NaN" },
	};
	struct rt_sample s;
	char		 err[128], got[256];
	size_t		 i;
	int		 col;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (ruletest_sample(c[i].s, strlen(c[i].s), &s, 0, &col, err,
			sizeof(err)) == 0) {
			got[0] = '\0';
			ruletest_sample_free(&s);
		} else
			snprintf(got, sizeof(got), "%d: %s", col, err);
		cr_expect_str_eq(got, c[i].want, "for %s", c[i].s);
	}
}

/* Runs a test file and returns its report (the caller frees it). */
static char *
run(const char *dir, const char *name, const char *text, int *rc)
{
	char   path[512], *out = NULL;
	size_t n = 0;
	FILE  *f;
	char  *files[1];

	tu_write_str(tu_path(path, sizeof(path), dir, name), text);
	f = open_memstream(&out, &n);
	cr_assert_not_null(f);
	files[0] = path;
	*rc = ruletest_run(files, 1, 1024 * 1024, f);
	fclose(f);
	return out;
}

Test(ruletest, runs_and_reports)
{
	const char *dir = tu_tmpdir("ruletest");
	char	    path[512], want[2048], *got;
	int	    rc;

	tu_write_str(tu_path(path, sizeof(path), dir, "r.rules"),
	    "label app = \"x\"\n"
	    "label env = env APP_ENV map prod=prod *=dev\n"
	    "counter hits_total\n"
	    "  labels who\n"
	    "rule hit\n"
	    "  match who /^(?<who>[a-z]+)$/\n"
	    "  inc hits_total\n");
	tu_write_str(tu_path(path, sizeof(path), dir, "a.log"),
	    "{\"who\":\"ann\"}\n{\"who\":\"bob\"}\n{\"who\":\"ann\"}\n");
	got = run(dir, "pass.test",
	    "rules r.rules\n"
	    "env APP_ENV=prod\n"
	    "case inline\n"
	    "  line {\"who\":\"ann\"}\n"
	    "  line {\"who\":\"Ann\"}\n"
	    "  expect hits_total{who=\"ann\"} 1\n"
	    "  expect hits_total{who=\"ann\",env=\"prod\",app=\"x\"} 1\n"
	    "case from a file, then a line\n"
	    "  lines a.log\n"
	    "  line {\"who\":\"bob\"}\n"
	    "  expect hits_total{who=\"ann\"} 2\n"
	    "  expect hits_total{who=\"bob\"} 2\n",
	    &rc);
	cr_expect_str_eq(got, "2 passed, 0 failed\n");
	cr_expect_eq(rc, 0);
	free(got);
	got = run(dir, "fail.test",
	    "rules r.rules\n"
	    "case counts\n"
	    "  lines a.log\n"
	    "  expect hits_total{who=\"ann\"} 3\n"
	    "  expect hits_total{who=\"bob\"} 1\n"
	    "  expect hits_total{who=\"cy\"} 1\n"
	    "  expect hits_total{who=\"bob\",env=\"prod\"} 1\n"
	    "case missing file\n"
	    "  lines nope.log\n"
	    "  expect hits_total{who=\"ann\"} 1\n",
	    &rc);
	snprintf(want, sizeof(want),
	    "FAIL %s/fail.test:2: case counts\n"
	    "  %s/fail.test:4: expected hits_total{who=\"ann\"} 3\n"
	    "  %*s  got      hits_total{who=\"ann\",app=\"x\",env=\"dev\"} 2\n"
	    "  %s/fail.test:6: expected hits_total{who=\"cy\"} 1\n"
	    "  %*s  nearest  hits_total{who=\"ann\",app=\"x\",env=\"dev\"} 2\n"
	    "  %s/fail.test:7: expected hits_total{who=\"bob\",env=\"prod\"} "
	    "1\n"
	    "  %*s  nearest  hits_total{who=\"bob\",app=\"x\",env=\"dev\"} 1\n"
	    "FAIL %s/fail.test:8: case missing file\n"
	    "  %s/fail.test:9: %s/nope.log: No such file or directory\n"
	    "0 passed, 2 failed\n",
	    dir, dir, (int)strlen(dir) + 13, "", dir, (int)strlen(dir) + 13, "",
	    dir, (int)strlen(dir) + 13, "", dir, dir, dir);
	cr_expect_str_eq(got, want);
	cr_expect_eq(rc, 1);
	free(got);
	/* Rules that do not load fail the case, with their errors. */
	got = run(dir, "bad.test",
	    "rules missing.rules\ncase c\n  expect a 1\n", &rc);
	cr_expect(strstr(got,
		      "/bad.test:1: the rules do not load, no case runs:\n") !=
		NULL,
	    "%s", got);
	cr_expect(strstr(got, "0 passed, 1 failed\n") != NULL, "%s", got);
	cr_expect_eq(rc, 1);
	free(got);
	/* A file with an error is not run. */
	got = run(dir, "syntax.test", "rules r.rules\ncase c\n  expct a 1\n",
	    &rc);
	snprintf(want, sizeof(want),
	    "%s/syntax.test:3:3: unknown statement 'expct': expected rules, "
	    "env, label, case, now, line, lines, expect, absent, only, "
	    "matches or errors\n"
	    "%s/syntax.test:2:1: case 'c' expects nothing: add an expect "
	    "line\n"
	    "0 passed, 0 failed\n",
	    dir, dir);
	cr_expect_str_eq(got, want);
	cr_expect_eq(rc, 2);
	free(got);
}

/* The other expectations: absent series, only, matches, errors. */
Test(ruletest, more_to_expect)
{
	const char *dir = tu_tmpdir("ruletest");
	char	    path[512], want[4096], *got;
	int	    rc, w;

	tu_write_str(tu_path(path, sizeof(path), dir, "r.rules"),
	    "counter hits_total\n"
	    "  labels who\n"
	    "histogram took_seconds\n"
	    "  buckets 1\n"
	    "rule hit\n"
	    "  match who /^(?<who>[a-z]+)$/\n"
	    "  inc hits_total\n"
	    "rule took\n"
	    "  match ms /^(?<ms>.*)$/\n"
	    "  observe took_seconds $ms / 1000\n");
	got = run(dir, "pass.test",
	    "rules r.rules\n"
	    "case all hold\n"
	    "  line {\"who\":\"ann\",\"ms\":\"5\"}\n"
	    "  matches took hit\n"
	    "  line {\"who\":\"Ann\"}\n"
	    "  matches nothing\n"
	    "  line {\"ms\":\"x\"}\n"
	    "  matches took\n"
	    "  expect hits_total{who=\"ann\"} 1\n"
	    "  absent hits_total{who=\"Ann\"}\n"
	    "  only hits_total\n"
	    "  errors took 1\n"
	    "  errors hit 0\n",
	    &rc);
	cr_expect_str_eq(got, "1 passed, 0 failed\n");
	cr_expect_eq(rc, 0);
	free(got);
	got = run(dir, "fail.test",
	    "rules r.rules\n"
	    "case none hold\n"
	    "  line {\"who\":\"ann\",\"ms\":\"5\"}\n"
	    "  matches hit\n"
	    "  line {\"who\":\"Ann\"}\n"
	    "  matches hit nope\n"
	    "  line {\"who\":\"bob\"}\n"
	    "  matches nothing\n"
	    "  absent hits_total{who=\"ann\"}\n"
	    "  only took_seconds\n"
	    "  errors took 2\n"
	    "  errors nope 0\n",
	    &rc);
	w = (int)strlen(dir) + 13;
	(void)w;
	snprintf(want, sizeof(want),
	    "FAIL %s/fail.test:2: case none hold\n"
	    "  %s/fail.test:4: expected the line to match hit; it matched "
	    "hit, took\n"
	    "  %s/fail.test:6: no rule named nope\n"
	    "  %s/fail.test:8: expected the line to match nothing; it matched "
	    "hit\n"
	    "  %s/fail.test:9: expected no series hits_total{who=\"ann\"} 1\n"
	    "  %s/fail.test:10: only took_seconds: not expected "
	    "took_seconds_bucket{le=\"1\"} 1\n"
	    "  %s/fail.test:10: only took_seconds: not expected "
	    "took_seconds_bucket{le=\"+Inf\"} 1\n"
	    "  %s/fail.test:10: only took_seconds: not expected "
	    "took_seconds_sum 0.005\n"
	    "  %s/fail.test:10: only took_seconds: not expected "
	    "took_seconds_count 1\n"
	    "  %s/fail.test:11: expected 2 errors of rule took; it has 0\n"
	    "  %s/fail.test:12: no rule named nope\n"
	    "0 passed, 1 failed\n",
	    dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
	cr_expect_str_eq(got, want);
	cr_expect_eq(rc, 1);
	free(got);
}
