/*
 * ruletest.c: logmetrics --test. A test file is parsed whole first (every
 * error reported, with its place); then each case loads the rules afresh
 * into a registry of its own, feeds its lines as one-shot mode does,
 * renders the registry and compares what it expects with what is there.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "expose.h"
#include "ruletest.h"
#include "source.h"
#include "ts.h"

extern char **environ;

/* The parse of one file: where messages go, where relative paths start. */
struct tparse {
	const char *name;
	char	   *dir;
	struct buf *err;
	int	    nerr;
	int	    line;
};

static void tperr(struct tparse *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
tperr(struct tparse *tp, int col, const char *fmt, ...)
{
	va_list ap;

	buf_printf(tp->err, "%s:%d:%d: ", tp->name, tp->line, col);
	va_start(ap, fmt);
	buf_vprintf(tp->err, fmt, ap);
	va_end(ap);
	buf_putc(tp->err, '\n');
	tp->nerr++;
}

static int
is_name(char c, int first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (!first && c >= '0' && c <= '9');
}

/* A path as the test file names it: relative ones from its directory. */
static char *
rel_path(const struct tparse *tp, const char *p, size_t n)
{
	struct buf b;

	buf_init(&b);
	if (p[0] != '/' && tp->dir[0] != '\0')
		buf_printf(&b, "%s/", tp->dir);
	buf_append(&b, p, n);
	return buf_release(&b);
}

void
ruletest_sample_free(struct rt_sample *s)
{
	free(s->name);
	strv_free(s->lnames, s->nlabels);
	strv_free(s->lvalues, s->nlabels);
	strv_free(s->exnames, s->nex);
	strv_free(s->exvalues, s->nex);
	memset(s, 0, sizeof(*s));
}

static int
sample_error(int *col, int at, char *err, size_t errlen, const char *msg)
{
	*col = at + 1;
	snprintf(err, errlen, "%s", msg);
	return -1;
}

/*
 * The labels of a sample at s[*i] ('{') into out, *i moved past the '}';
 * v is scratch. Returns 0, or -1 after sample_error().
 */
static int
sample_labels(const char *s, size_t n, size_t *at, struct rt_sample *out,
    struct buf *v, int *col, char *err, size_t errlen)
{
	size_t i = *at, start, k;

	for (i++;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '}') {
			i++;
			break;
		}
		if (i == n || !is_name(s[i], 1)) {
			sample_error(col, (int)i, err, errlen,
			    "expected a label name or '}'");
			return -1;
		}
		for (start = i; i < n && is_name(s[i], 0); i++)
			;
		if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"') {
			sample_error(col, (int)i, err, errlen,
			    "expected =\" after the label name");
			return -1;
		}
		for (k = 0; k < out->nlabels; k++)
			if (strlen(out->lnames[k]) == i - start &&
			    memcmp(out->lnames[k], s + start, i - start) == 0) {
				sample_error(col, (int)start, err, errlen,
				    "label given twice");
				return -1;
			}
		out->lnames = xgrow(out->lnames, out->nlabels,
		    sizeof(*out->lnames));
		out->lvalues = xgrow(out->lvalues, out->nlabels,
		    sizeof(*out->lvalues));
		out->lnames[out->nlabels] = xstrndup(s + start, i - start);
		buf_reset(v);
		for (i += 2; i < n && s[i] != '"'; i++) {
			if (s[i] != '\\') {
				buf_putc(v, s[i]);
				continue;
			}
			if (i + 1 == n ||
			    (s[i + 1] != '\\' && s[i + 1] != '"' &&
				s[i + 1] != 'n')) {
				free(out->lnames[out->nlabels]);
				sample_error(col, (int)i, err, errlen,
				    "invalid escape: \\\\, \\\" or \\n");
				return -1;
			}
			i++;
			buf_putc(v, s[i] == 'n' ? '\n' : s[i]);
		}
		if (i == n) {
			free(out->lnames[out->nlabels]);
			sample_error(col, (int)n, err, errlen,
			    "unterminated label value");
			return -1;
		}
		buf_putc(v, '\0');
		out->lvalues[out->nlabels++] = xstrdup(v->p);
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == ',')
			i++;
		else if (i == n || s[i] != '}') {
			sample_error(col, (int)i, err, errlen,
			    "expected ',' or '}'");
			return -1;
		}
	}

	*at = i;
	return 0;
}

/*
 * A number at s[*at] (a decimal, +Inf, -Inf or NaN; finite for a
 * decimal) into *v, *at moved past it and the blanks after it.
 */
static int
sample_number(const char *s, size_t n, size_t *at, double *v, int *col,
    char *err, size_t errlen)
{
	size_t i = *at, start, j;
	char   num[64], *end;

	for (start = i; i < n && s[i] != ' ' && s[i] != '\t'; i++)
		;
	j = i;
	if (start == j || j - start >= sizeof(num))
		return sample_error(col, (int)start, err, errlen,
		    "expected a value");
	memcpy(num, s + start, j - start);
	num[j - start] = '\0';
	if (strcmp(num, "+Inf") == 0 || strcmp(num, "Inf") == 0)
		*v = INFINITY;
	else if (strcmp(num, "-Inf") == 0)
		*v = -INFINITY;
	else if (strcmp(num, "NaN") == 0)
		*v = NAN;
	else {
		errno = 0;
		*v = strtod(num, &end);
		if (*end != '\0' || end == num || isnan(*v) || isinf(*v))
			return sample_error(col, (int)start, err, errlen,
			    "expected a number, +Inf, -Inf or NaN");
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*at = i;
	return 0;
}

/*
 * An exemplar at s[*at] ('#'), as OpenMetrics writes it after a value:
 * "# {name=\"value\",...} value [timestamp]", into out.
 */
static int
sample_exemplar(const char *s, size_t n, size_t *at, struct rt_sample *out,
    struct buf *v, int *col, char *err, size_t errlen)
{
	struct rt_sample ex;
	size_t		 i = *at + 1;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n || s[i] != '{')
		return sample_error(col, (int)i, err, errlen,
		    "expected '{' and the exemplar's labels");
	memset(&ex, 0, sizeof(ex));
	if (sample_labels(s, n, &i, &ex, v, col, err, errlen) == -1) {
		ruletest_sample_free(&ex);
		return -1;
	}
	out->hasex = 1;
	out->exnames = ex.lnames;
	out->exvalues = ex.lvalues;
	out->nex = ex.nlabels;
	if (i == n || (s[i] != ' ' && s[i] != '\t'))
		return sample_error(col, (int)i, err, errlen,
		    "expected a blank, then the exemplar's value");
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (sample_number(s, n, &i, &out->exvalue, col, err, errlen) == -1)
		return -1;
	if (i < n) {
		if (sample_number(s, n, &i, &out->extime, col, err, errlen) ==
		    -1)
			return -1;
		out->hasextime = 1;
	}
	*at = i;
	return 0;
}

int
ruletest_sample(const char *s, size_t n, struct rt_sample *out, int novalue,
    int *col, char *err, size_t errlen)
{
	struct buf v;
	size_t	   i = 0, start;

	memset(out, 0, sizeof(*out));
	if (i == n || !(is_name(s[i], 1) || s[i] == ':'))
		return sample_error(col, 0, err, errlen,
		    "expected a metric name");
	for (start = i; i < n && (is_name(s[i], 0) || s[i] == ':'); i++)
		;
	out->name = xstrndup(s + start, i - start);
	buf_init(&v);
	if (i < n && s[i] == '{' &&
	    sample_labels(s, n, &i, out, &v, col, err, errlen) == -1)
		goto fail;
	if (novalue) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n) {
			buf_free(&v);
			return 0;
		}
		sample_error(col, (int)i, err, errlen,
		    "expected the end of the line: a series without value");
		goto fail;
	}
	if (i == n || (s[i] != ' ' && s[i] != '\t')) {
		sample_error(col, (int)i, err, errlen,
		    "expected a blank, then the value");
		goto fail;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (sample_number(s, n, &i, &out->value, col, err, errlen) == -1)
		goto fail;
	if (i < n && s[i] == '#' &&
	    sample_exemplar(s, n, &i, out, &v, col, err, errlen) == -1)
		goto fail;
	if (i != n) {
		sample_error(col, (int)i, err, errlen,
		    out->hasex ? "expected the end of the line" :
				 "expected the end of the line, or '# {' and "
				 "an exemplar");
		goto fail;
	}
	buf_free(&v);
	return 0;
fail:
	buf_free(&v);
	ruletest_sample_free(out);
	return -1;
}

/* NAME=VALUE at arg into name and value; 0, or -1 after reporting. */
static int
name_value(struct tparse *tp, const char *arg, size_t n, int col, char **name,
    char **value)
{
	size_t i;

	for (i = 0; i < n && is_name(arg[i], i == 0); i++)
		;
	if (i == 0 || i == n || arg[i] != '=') {
		tperr(tp, col + (int)i, "expected NAME=VALUE");
		return -1;
	}
	*name = xstrndup(arg, i);
	*value = xstrndup(arg + i + 1, n - i - 1);
	return 0;
}

static struct rt_case *
cur_case(struct rt_file *f)
{
	return f->ncases ? &f->cases[f->ncases - 1] : NULL;
}

/* errors RULE N */
static void
errors_stmt(struct tparse *tp, struct rt_case *c, const char *arg, size_t n,
    int argcol)
{
	size_t		   i, j;
	unsigned long long v = 0;

	for (i = 0; i < n && arg[i] != ' ' && arg[i] != '\t'; i++)
		;
	for (j = i; j < n && (arg[j] == ' ' || arg[j] == '\t'); j++)
		;
	if (i == 0 || j == n) {
		tperr(tp, argcol + (int)j,
		    "expected a rule's name, then a count");
		return;
	}
	for (i = j; i < n && arg[i] >= '0' && arg[i] <= '9' && v < 1000000000;
	     i++)
		v = v * 10 + (unsigned long long)(arg[i] - '0');
	if (i < n) {
		tperr(tp, argcol + (int)j, "expected a count of errors");
		return;
	}
	for (i = 0; arg[i] != ' ' && arg[i] != '\t'; i++)
		;
	c->errors = xgrow(c->errors, c->nerrors, sizeof(*c->errors));
	c->errors[c->nerrors].rule = xstrndup(arg, i);
	c->errors[c->nerrors].count = v;
	c->errors[c->nerrors++].line = tp->line;
}

/* matches RULE... | matches nothing: of the line just before. */
static void
matches_stmt(struct tparse *tp, struct rt_case *c, const char *arg, size_t n,
    int argcol)
{
	struct rt_input *in = c->nin ? &c->in[c->nin - 1] : NULL;
	size_t		 i, start;

	if (in == NULL || in->text == NULL || in->mline != 0 ||
	    in->line != tp->line - 1) {
		tperr(tp, argcol - 8,
		    "'matches' goes on the line after the line it is about");
		return;
	}
	if (n == 0) {
		tperr(tp, argcol, "expected the names of rules, or nothing");
		return;
	}
	in->mline = tp->line;
	if (n == 7 && memcmp(arg, "nothing", 7) == 0)
		return;
	for (i = 0; i < n;) {
		for (start = i; i < n && arg[i] != ' ' && arg[i] != '\t'; i++)
			;
		in->matches = xgrow(in->matches, in->nmatches,
		    sizeof(*in->matches));
		in->matches[in->nmatches++] = xstrndup(arg + start, i - start);
		while (i < n && (arg[i] == ' ' || arg[i] == '\t'))
			i++;
	}
}

#define IS(w) (kwn == sizeof(w) - 1 && memcmp(kw, w, kwn) == 0)

/* rules, env and label: the top of the file, before any case. */
static void
top_statement(struct tparse *tp, struct rt_file *f, const char *kw, size_t kwn,
    int col, const char *arg, size_t n, int argcol)
{
	char *name, *value;

	if (cur_case(f) != NULL) {
		tperr(tp, col,
		    "'%.*s' after the first case: it goes at the top", (int)kwn,
		    kw);
		return;
	}
	if (n == 0) {
		tperr(tp, argcol, "expected %s",
		    IS("rules") ? "a rules file or directory" : "NAME=VALUE");
		return;
	}
	if (IS("rules")) {
		f->rules = xgrow(f->rules, f->nrules, sizeof(*f->rules));
		f->rulesline = xgrow(f->rulesline, f->nrules,
		    sizeof(*f->rulesline));
		f->rulesline[f->nrules] = tp->line;
		f->rules[f->nrules++] = rel_path(tp, arg, n);
	} else if (name_value(tp, arg, n, argcol, &name, &value) == 0) {
		if (IS("env")) {
			f->env = xgrow(f->env, f->nenv, sizeof(*f->env));
			f->env[f->nenv++] = xstrndup(arg, n);
			free(name);
			free(value);
		} else if (label_name_check(name, 0) != NAME_OK) {
			/* As -L and the rules' own label names. */
			tperr(tp, argcol, "label name '%s' is reserved: %s",
			    name,
			    strcmp(name, "le") == 0 ?
				"it is for histogram buckets" :
				"it starts with __");
			free(name);
			free(value);
		} else {
			f->lnames = xgrow(f->lnames, f->nlabels,
			    sizeof(*f->lnames));
			f->lvalues = xgrow(f->lvalues, f->nlabels,
			    sizeof(*f->lvalues));
			f->lnames[f->nlabels] = name;
			f->lvalues[f->nlabels++] = value;
		}
	}
}

/* One statement: word at 1-based column col, its argument after it. */
static void
statement(struct tparse *tp, struct rt_file *f, const char *kw, size_t kwn,
    int col, const char *arg, size_t n, int argcol)
{
	struct rt_case	*c = cur_case(f);
	struct rt_input *in;
	struct rt_sample s;
	char		 msg[128];
	int		 at;

	if (IS("rules") || IS("env") || IS("label")) {
		top_statement(tp, f, kw, kwn, col, arg, n, argcol);
		return;
	}
	if (IS("case")) {
		if (n == 0) {
			tperr(tp, argcol, "expected the case's name");
			return;
		}
		f->cases = xgrow(f->cases, f->ncases, sizeof(*f->cases));
		c = &f->cases[f->ncases++];
		memset(c, 0, sizeof(*c));
		c->name = xstrndup(arg, n);
		c->line = tp->line;
		c->now = -1;
		return;
	}
	if (!(IS("now") || IS("line") || IS("lines") || IS("expect") ||
		IS("absent") || IS("only") || IS("matches") || IS("errors"))) {
		tperr(tp, col,
		    "unknown statement '%.*s': expected rules, env, label, "
		    "case, now, line, lines, expect, absent, only, matches or "
		    "errors",
		    (int)kwn, kw);
		return;
	}
	if (c == NULL) {
		tperr(tp, col, "'%.*s' outside a case: write a case line first",
		    (int)kwn, kw);
		return;
	}
	if (IS("now")) {
		if (ts_parse_time(arg, n, &c->now) == 0)
			return;
		tperr(tp, argcol,
		    "expected a time: Unix seconds or RFC 3339 "
		    "(2025-11-24T21:46:03Z)");
		return;
	}
	if (IS("expect") || IS("absent")) {
		if (ruletest_sample(arg, n, &s, IS("absent"), &at, msg,
			sizeof(msg)) == -1) {
			tperr(tp, argcol + at - 1, "%s", msg);
			return;
		}
		s.line = tp->line;
		if (IS("expect")) {
			c->expect = xgrow(c->expect, c->nexpect,
			    sizeof(*c->expect));
			c->expect[c->nexpect++] = s;
		} else {
			c->absent = xgrow(c->absent, c->nabsent,
			    sizeof(*c->absent));
			c->absent[c->nabsent++] = s;
		}
		return;
	}
	if (IS("only")) {
		for (at = 0; at < (int)n &&
		     (is_name(arg[at], at == 0) || arg[at] == ':');
		     at++)
			;
		if (n == 0 || at < (int)n) {
			tperr(tp, argcol + at, "expected a metric name");
			return;
		}
		c->only = xgrow(c->only, c->nonly, sizeof(*c->only));
		c->only[c->nonly].name = xstrndup(arg, n);
		c->only[c->nonly++].line = tp->line;
		return;
	}
	if (IS("errors")) {
		errors_stmt(tp, c, arg, n, argcol);
		return;
	}
	if (IS("matches")) {
		matches_stmt(tp, c, arg, n, argcol);
		return;
	}
	if (IS("lines") && n == 0) {
		tperr(tp, argcol, "expected a file of lines");
		return;
	}
	c->in = xgrow(c->in, c->nin, sizeof(*c->in));
	in = &c->in[c->nin++];
	memset(in, 0, sizeof(*in));
	in->line = tp->line;
	in->col = argcol;
	if (IS("lines"))
		in->path = rel_path(tp, arg, n);
	else {
		in->text = xstrndup(arg, n);
		in->len = n;
	}
#undef IS
}

int
ruletest_parse(struct rt_file *f, const char *name, const char *text,
    size_t len, struct buf *err)
{
	struct tparse tp;
	const char   *p = text, *end = text + len, *nl, *kw, *arg;
	const char   *slash;
	size_t	      n, i, kwn, argn;

	memset(f, 0, sizeof(*f));
	memset(&tp, 0, sizeof(tp));
	f->path = xstrdup(name);
	tp.name = name;
	tp.err = err;
	slash = strrchr(name, '/');
	tp.dir = slash != NULL ? xstrndup(name, (size_t)(slash - name)) :
				 xstrdup("");
	if (slash == name)
		tp.dir[0] = '\0', free(tp.dir), tp.dir = xstrdup("/");
	for (; p < end; p = nl + 1) {
		tp.line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\0', n) != NULL) {
			tperr(&tp,
			    (int)((const char *)memchr(p, '\0', n) - p) + 1,
			    "NUL byte");
			continue;
		}
		for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i == n || p[i] == '#')
			continue;
		kw = p + i;
		for (kwn = 0; i + kwn < n && kw[kwn] >= 'a' && kw[kwn] <= 'z';
		     kwn++)
			;
		if (kwn == 0 ||
		    (i + kwn < n && kw[kwn] != ' ' && kw[kwn] != '\t')) {
			tperr(&tp, (int)i + 1, "expected a statement");
			continue;
		}
		arg = kw + kwn;
		argn = n - i - kwn;
		/* The argument: one blank off a line, blanks off the rest. */
		if (kwn == 4 && memcmp(kw, "line", 4) == 0) {
			if (argn > 0) {
				arg++;
				argn--;
			}
		} else {
			while (argn > 0 && (*arg == ' ' || *arg == '\t')) {
				arg++;
				argn--;
			}
			while (argn > 0 &&
			    (arg[argn - 1] == ' ' || arg[argn - 1] == '\t'))
				argn--;
		}
		statement(&tp, f, kw, kwn, (int)i + 1, arg, argn,
		    (int)(arg - p) + 1);
	}
	tp.line = 1;
	if (f->nrules == 0)
		tperr(&tp, 1, "no rules statement: name the rules under test");
	if (f->ncases == 0)
		tperr(&tp, 1, "no case: nothing is tested");
	for (i = 0; i < f->ncases; i++) {
		const struct rt_case *c = &f->cases[i];
		size_t		      j, m = 0;

		for (j = 0; j < c->nin; j++)
			m += c->in[j].mline != 0;
		if (c->nexpect + c->nabsent + c->nonly + c->nerrors + m == 0) {
			tp.line = c->line;
			tperr(&tp, 1,
			    "case '%s' expects nothing: add an expect line",
			    c->name);
		}
	}
	free(tp.dir);
	return tp.nerr > 0 ? -1 : 0;
}

void
ruletest_free(struct rt_file *f)
{
	size_t i, j;

	free(f->path);
	strv_free(f->rules, f->nrules);
	free(f->rulesline);
	strv_free(f->env, f->nenv);
	strv_free(f->lnames, f->nlabels);
	strv_free(f->lvalues, f->nlabels);
	for (i = 0; i < f->ncases; i++) {
		struct rt_case *c = &f->cases[i];

		free(c->name);
		for (j = 0; j < c->nin; j++) {
			free(c->in[j].text);
			free(c->in[j].path);
			strv_free(c->in[j].matches, c->in[j].nmatches);
		}
		free(c->in);
		for (j = 0; j < c->nexpect; j++)
			ruletest_sample_free(&c->expect[j]);
		free(c->expect);
		for (j = 0; j < c->nabsent; j++)
			ruletest_sample_free(&c->absent[j]);
		free(c->absent);
		for (j = 0; j < c->nonly; j++)
			free(c->only[j].name);
		free(c->only);
		for (j = 0; j < c->nerrors; j++)
			free(c->errors[j].rule);
		free(c->errors);
	}
	free(f->cases);
	memset(f, 0, sizeof(*f));
}

/* Feeding a case's lines. */
struct feed {
	struct matcher *m;
	double		wall;
};

static void
feed_line(void *arg, const char *line, size_t len)
{
	struct feed *fd = arg;

	matcher_line(fd->m, line, len, fd->wall);
}

/* The environment while the rules load: only what the file sets. */
static char **
env_enter(const struct rt_file *f)
{
	char **saved;
	size_t n, i;

	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		;
	saved = xcalloc(n + 1, sizeof(*saved));
	for (i = 0; i < n; i++)
		saved[i] = xstrdup(environ[i]);
	clearenv();
	for (i = 0; i < f->nenv; i++) {
		char *eq = strchr(f->env[i], '=');

		*eq = '\0';
		setenv(f->env[i], eq + 1, 1);
		*eq = '=';
	}
	return saved;
}

static void
env_leave(char **saved)
{
	size_t i;
	char  *eq;

	clearenv();
	for (i = 0; saved[i] != NULL; i++) {
		eq = strchr(saved[i], '=');
		if (eq != NULL) {
			*eq = '\0';
			setenv(saved[i], eq + 1, 1);
		}
		free(saved[i]);
	}
	free(saved);
}

/* Whether l is a default label of the rule set: absent from an expectation
 * is then fine. */
static int
default_label(const struct ruleset *rs, const char *l)
{
	size_t i;

	for (i = 0; i < rs->nlabels; i++)
		if (strcmp(rs->labels[i].name, l) == 0)
			return 1;
	return 0;
}

static const char *
label_of(const struct rt_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (strcmp(s->lnames[i], name) == 0)
			return s->lvalues[i];
	return "";
}

/*
 * Whether a series has the labels an expectation names, an empty value
 * standing for an absent label, and no other but default labels (any
 * other when subset).
 */
static int
series_has(const struct ruleset *rs, const struct rt_sample *want,
    const struct rt_sample *got, int subset)
{
	size_t i;

	if (strcmp(want->name, got->name) != 0)
		return 0;
	for (i = 0; i < want->nlabels; i++)
		if (strcmp(want->lvalues[i], label_of(got, want->lnames[i])) !=
		    0)
			return 0;
	for (i = 0; i < got->nlabels && !subset; i++)
		if (got->lvalues[i][0] != '\0' &&
		    label_of(want, got->lnames[i])[0] == '\0' &&
		    !default_label(rs, got->lnames[i]))
			return 0;
	return 1;
}

static int
same_series(const struct ruleset *rs, const struct rt_sample *want,
    const struct rt_sample *got)
{
	return series_has(rs, want, got, 0);
}

static int
same_value(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

static void
put_sample(FILE *out, const struct rt_sample *s)
{
	struct buf b;
	char	   num[32];
	size_t	   i;

	buf_init(&b);
	buf_puts(&b, s->name);
	if (s->nlabels > 0) {
		buf_putc(&b, '{');
		for (i = 0; i < s->nlabels; i++) {
			buf_printf(&b, "%s%s=\"", i ? "," : "", s->lnames[i]);
			expose_label_value(&b, s->lvalues[i],
			    strlen(s->lvalues[i]));
			buf_putc(&b, '"');
		}
		buf_putc(&b, '}');
	}
	(void)fmt_double(num, s->value);
	fprintf(out, "%s %s\n", b.p, num);
	buf_free(&b);
}

/* The series of a rendered exposition, comments left out. */
static struct rt_sample *
rendered(const struct buf *text, size_t *n)
{
	struct rt_sample *v = NULL;
	const char	 *p = text->p, *end = text->p + text->len, *nl;
	char		  msg[128];
	int		  col;

	*n = 0;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl == p || *p == '#')
			continue;
		v = xgrow(v, *n, sizeof(*v));
		if (ruletest_sample(p, (size_t)(nl - p), &v[*n], 0, &col, msg,
			sizeof(msg)) == 0)
			(*n)++;
	}
	return v;
}

/* A case's report: its first failure says which case it is. */
struct report {
	FILE		     *out;
	const struct rt_file *f;
	const struct rt_case *c;
	int		      failed;
};

/*
 * Starts a failure at line of the test file: "  FILE:LINE: ", the case's
 * header first; returns the width of "FILE:LINE:", for what goes under.
 */
static int
fail_at(struct report *r, int line)
{
	if (!r->failed)
		fprintf(r->out, "FAIL %s:%d: case %s\n", r->f->path, r->c->line,
		    r->c->name);
	r->failed = 1;
	fprintf(r->out, "  %s:%d: ", r->f->path, line);
	return snprintf(NULL, 0, "%s:%d:", r->f->path, line);
}

/* The rules a line fed, from the rules' match counts before and after. */
static void
check_matches(struct report *r, const struct rt_input *in,
    const struct engine *e, const uint64_t *before)
{
	const struct rule_stats *st;
	struct buf		 want, got;
	size_t			 n, i, j;
	int			 same = 1;

	st = matcher_rule_stats(e->m, &n);
	buf_init(&want);
	buf_init(&got);
	buf_puts(&want, "");
	buf_puts(&got, "");
	for (i = 0; i < n; i++) {
		int fed = st[i].matched > before[i], named = 0;

		for (j = 0; j < in->nmatches; j++)
			named |= strcmp(in->matches[j], e->rs->rules[i].name) ==
			    0;
		if (fed)
			buf_printf(&got, "%s%s", got.len ? ", " : "",
			    e->rs->rules[i].name);
		same &= fed == named;
	}
	for (j = 0; j < in->nmatches; j++) {
		buf_printf(&want, "%s%s", want.len ? ", " : "", in->matches[j]);
		for (i = 0; i < n; i++)
			if (strcmp(in->matches[j], e->rs->rules[i].name) == 0)
				break;
		if (i == n) {
			fail_at(r, in->mline);
			fprintf(r->out, "no rule named %s\n", in->matches[j]);
			same = 1;
		}
	}
	if (!same) {
		fail_at(r, in->mline);
		fprintf(r->out,
		    "expected the line to match %s; it matched %s\n",
		    want.len ? want.p : "nothing", got.len ? got.p : "nothing");
	}
	buf_free(&want);
	buf_free(&got);
}

/*
 * For a series not there: the series of the same name that shares the
 * most label values with it (the first of those), or ngot when the name
 * has none.
 */
static size_t
nearest(const struct rt_sample *e, const struct rt_sample *got, size_t ngot)
{
	size_t i, j, best = ngot, score, top = 0;

	for (i = 0; i < ngot; i++) {
		if (strcmp(got[i].name, e->name) != 0)
			continue;
		for (j = 0, score = 1; j < e->nlabels; j++)
			score += strcmp(e->lvalues[j],
				     label_of(&got[i], e->lnames[j])) == 0;
		if (score > top) {
			top = score;
			best = i;
		}
	}
	return best;
}

/* Whether the exemplar e expects is the one g has. */
static int
same_exemplar(const struct rt_sample *e, const struct rt_sample *g)
{
	size_t i, j;

	if (!g->hasex || e->nex != g->nex ||
	    !same_value(e->exvalue, g->exvalue))
		return 0;
	if (e->hasextime && e->extime != g->extime)
		return 0;
	for (i = 0; i < e->nex; i++) {
		for (j = 0; j < g->nex; j++)
			if (strcmp(e->exnames[i], g->exnames[j]) == 0)
				break;
		if (j == g->nex || strcmp(e->exvalues[i], g->exvalues[j]) != 0)
			return 0;
	}
	return 1;
}

/* " # {labels} value [time]" of s's exemplar, or " (no exemplar)". */
static void
put_exemplar(FILE *out, const struct rt_sample *s)
{
	struct buf b;
	char	   num[32];
	size_t	   i;

	if (!s->hasex) {
		fputs(" (no exemplar)\n", out);
		return;
	}
	buf_init(&b);
	buf_puts(&b, " # {");
	for (i = 0; i < s->nex; i++) {
		buf_printf(&b, "%s%s=\"", i ? "," : "", s->exnames[i]);
		expose_label_value(&b, s->exvalues[i], strlen(s->exvalues[i]));
		buf_putc(&b, '"');
	}
	(void)fmt_double(num, s->exvalue);
	buf_printf(&b, "} %s", num);
	if (s->hasextime) {
		(void)fmt_double(num, s->extime);
		buf_printf(&b, " %s", num);
	}
	fprintf(out, "%s\n", b.p);
	buf_free(&b);
}

/*
 * The exemplars expected, against those of the OpenMetrics rendering
 * (om[0..nom), its counters' samples named as the text format names
 * them).
 */
static void
check_exemplars(struct report *r, const struct ruleset *rs,
    const struct rt_sample *om, size_t nom)
{
	const struct rt_case *c = r->c;
	size_t		      i, j;
	int		      w;

	for (i = 0; i < c->nexpect; i++) {
		const struct rt_sample *e = &c->expect[i];

		if (!e->hasex)
			continue;
		for (j = 0; j < nom; j++)
			if (same_series(rs, e, &om[j]))
				break;
		if (j < nom && same_exemplar(e, &om[j]))
			continue;
		w = fail_at(r, e->line);
		fputs("expected the exemplar of ", r->out);
		put_sample(r->out, e);
		fprintf(r->out, "  %*s  expected", w, "");
		put_exemplar(r->out, e);
		fprintf(r->out, "  %*s  got     ", w, "");
		if (j < nom)
			put_exemplar(r->out, &om[j]);
		else
			fputs(" no such series\n", r->out);
	}
}

/*
 * The samples of an OpenMetrics rendering of reg, each counter's named
 * as in the text format (its metric's name, "_total" or not).
 */
static struct rt_sample *
rendered_om(struct registry *reg, double now, size_t *n)
{
	struct rt_sample *v;
	struct metric	 *m;
	struct buf	  om;
	size_t		  i, len;

	buf_init(&om);
	expose_render(&reg, 1, &om, EXPOSE_OPENMETRICS, now);
	v = rendered(&om, n);
	buf_free(&om);
	for (i = 0; i < *n; i++) {
		len = strlen(v[i].name);
		if (len <= 6 || strcmp(v[i].name + len - 6, "_total") != 0 ||
		    registry_find(reg, v[i].name) != NULL)
			continue;
		v[i].name[len - 6] = '\0';
		if ((m = registry_find(reg, v[i].name)) == NULL ||
		    m->type != METRIC_COUNTER)
			v[i].name[len - 6] = '_';
	}
	return v;
}

/* The expectations on the series, against those rendered. */
static void
check_series(struct report *r, const struct ruleset *rs,
    const struct rt_sample *got, size_t ngot)
{
	const struct rt_case *c = r->c;
	size_t		      i, j, k, n;
	int		      w;

	for (i = 0; i < c->nexpect; i++) {
		const struct rt_sample *e = &c->expect[i];

		for (j = 0; j < ngot; j++)
			if (same_series(rs, e, &got[j]))
				break;
		if (j < ngot && same_value(e->value, got[j].value))
			continue;
		w = fail_at(r, e->line);
		fputs("expected ", r->out);
		put_sample(r->out, e);
		if (j < ngot) {
			fprintf(r->out, "  %*s  got      ", w, "");
			put_sample(r->out, &got[j]);
		} else if ((k = nearest(e, got, ngot)) < ngot) {
			fprintf(r->out, "  %*s  nearest  ", w, "");
			put_sample(r->out, &got[k]);
		} else
			fprintf(r->out, "  %*s  no series of %s\n", w, "",
			    e->name);
	}
	for (i = 0; i < c->nabsent; i++)
		for (j = 0; j < ngot; j++)
			if (series_has(rs, &c->absent[i], &got[j], 1)) {
				w = fail_at(r, c->absent[i].line);
				fputs("expected no series ", r->out);
				put_sample(r->out, &got[j]);
				break;
			}
	for (i = 0; i < c->nonly; i++) {
		const char *f = c->only[i].name;

		n = strlen(f);
		for (j = 0; j < ngot; j++) {
			const char *g = got[j].name;

			if (strncmp(g, f, n) != 0 ||
			    (g[n] != '\0' && strcmp(g + n, "_bucket") != 0 &&
				strcmp(g + n, "_sum") != 0 &&
				strcmp(g + n, "_count") != 0))
				continue;
			for (k = 0; k < c->nexpect; k++)
				if (same_series(rs, &c->expect[k], &got[j]))
					break;
			if (k < c->nexpect)
				continue;
			fail_at(r, c->only[i].line);
			fprintf(r->out, "only %s: not expected ", f);
			put_sample(r->out, &got[j]);
		}
	}
}

/* The rules' error counts. */
static void
check_errors(struct report *r, const struct engine *e)
{
	const struct rule_stats *st;
	size_t			 n, i, j;

	st = matcher_rule_stats(e->m, &n);
	for (i = 0; i < r->c->nerrors; i++) {
		const struct rt_errors *x = &r->c->errors[i];

		for (j = 0; j < n; j++)
			if (strcmp(e->rs->rules[j].name, x->rule) == 0)
				break;
		if (j == n) {
			fail_at(r, x->line);
			fprintf(r->out, "no rule named %s\n", x->rule);
			continue;
		}
		if (st[j].errors == x->count)
			continue;
		fail_at(r, x->line);
		fprintf(r->out, "expected %llu errors of rule %s; it has %llu",
		    x->count, x->rule, (unsigned long long)st[j].errors);
		if (st[j].errors > 0)
			fprintf(r->out, ", the last: %s", st[j].last_error);
		fputc('\n', r->out);
	}
}

static void
engine_opts_of(const struct rt_file *f, struct engine_opts *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->rules = (const char *const *)f->rules;
	eo->nrules = f->nrules;
	eo->lnames = f->lnames;
	eo->lvalues = f->lvalues;
	eo->nlabels = f->nlabels;
}

/*
 * Runs one case; returns 0 when it holds, 1 after reporting how it does
 * not, -1 after saying that the file's rules do not load.
 */
static int
run_case(const struct rt_file *f, const struct rt_case *c, size_t max_line,
    FILE *out)
{
	struct report		 r = { out, f, c, 0 };
	struct engine_opts	 eo;
	struct engine		 e;
	struct feed		 fd;
	struct source_stats	 st;
	struct rt_sample	*got = NULL, *om = NULL;
	struct buf		 text;
	const struct rule_stats *rst;
	uint64_t		*before;
	char			 err[4096], **saved;
	size_t			 i, j, n, ngot = 0, nom = 0;
	double			 now, t;
	int			 rc, broken = 0;

	engine_opts_of(f, &eo);
	memset(&e, 0, sizeof(e));
	saved = env_enter(f);
	rc = engine_load(&e, &eo, err, sizeof(err));
	env_leave(saved);
	if (rc == -1) {
		/* The same for every case: said once, by the first. */
		fprintf(out,
		    "FAIL %s:%d: the rules do not load, no case runs:\n%s%s",
		    f->path, f->rulesline[0], err,
		    err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
		return -1;
	}
	fd.m = e.m;
	fd.wall = c->now >= 0 ? c->now : now_wall();
	before = xcalloc(e.rs->nrules + 1, sizeof(*before));
	registry_lock(e.reg);
	for (i = 0; i < c->nin; i++) {
		if (c->in[i].text != NULL) {
			rst = matcher_rule_stats(e.m, &n);
			for (j = 0; j < n; j++)
				before[j] = rst[j].matched;
			feed_line(&fd, c->in[i].text, c->in[i].len);
			if (c->in[i].mline != 0)
				check_matches(&r, &c->in[i], &e, before);
			continue;
		}
		memset(&st, 0, sizeof(st));
		buf_init(&st.last);
		rc = source_read(c->in[i].path, max_line, feed_line, &fd, &st,
		    err, sizeof(err));
		buf_free(&st.last);
		if (rc == -1) {
			fail_at(&r, c->in[i].line);
			fprintf(out, "%s\n", err);
			broken = 1;
		}
	}
	free(before);
	t = matcher_stats(e.m)->newest_time;
	now = c->now >= 0 ? c->now : t > 0 ? t : fd.wall;
	buf_init(&text);
	expose_render(&e.reg, 1, &text, EXPOSE_TEXT, now);
	for (j = 0; j < c->nexpect; j++)
		if (c->expect[j].hasex)
			break;
	if (j < c->nexpect && !broken)
		om = rendered_om(e.reg, now, &nom);
	registry_unlock(e.reg);
	if (!broken) {
		got = rendered(&text, &ngot);
		check_series(&r, e.rs, got, ngot);
		check_exemplars(&r, e.rs, om, nom);
		check_errors(&r, &e);
	}
	for (j = 0; j < ngot; j++)
		ruletest_sample_free(&got[j]);
	free(got);
	for (j = 0; j < nom; j++)
		ruletest_sample_free(&om[j]);
	free(om);
	buf_free(&text);
	engine_free(&e);
	return r.failed;
}

int
ruletest_run(char *const *files, size_t nfiles, size_t max_line, FILE *out)
{
	struct rt_file f;
	struct buf     text, err;
	size_t	       i, j, passed = 0, failed = 0;
	int	       rc = 0;

	buf_init(&text);
	buf_init(&err);
	for (i = 0; i < nfiles; i++) {
		buf_reset(&text);
		if (read_file(files[i], 16 * 1024 * 1024, READ_REGULAR, &text,
			NULL) == -1) {
			fprintf(out, "%s: %s\n", files[i], strerror(errno));
			rc = 2;
			continue;
		}
		buf_reset(&err);
		if (ruletest_parse(&f, files[i], text.p, text.len, &err) ==
		    -1) {
			fputs(err.p, out);
			ruletest_free(&f);
			rc = 2;
			continue;
		}
		for (j = 0; j < f.ncases; j++) {
			int r = run_case(&f, &f.cases[j], max_line, out);

			if (r == -1) {
				failed += f.ncases - j;
				break;
			}
			if (r == 0)
				passed++;
			else
				failed++;
		}
		ruletest_free(&f);
	}
	fprintf(out, "%zu passed, %zu failed\n", passed, failed);
	buf_free(&text);
	buf_free(&err);
	if (rc == 0 && failed > 0)
		rc = 1;
	return rc;
}
