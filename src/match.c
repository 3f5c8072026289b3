/*
 * match.c: the per-line engine. For each rule: for rules on JSON fields,
 * one lazy scan of the line shared by every rule and its key mask; the
 * literal prefilters (memmem) the mask does not imply; then the rule's
 * patterns, each as pattern.c decided (PCRE2 under match and depth
 * limits, or a shape that skips it); when all required patterns match,
 * the actions run against the registry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "expose.h"
#include "json.h"
#include "match.h"
#include "ts.h"

#define MATCH_LIMIT_DEFAULT 100000
#define DEPTH_LIMIT_DEFAULT 1000
#define NUMBER_MAX	    64

struct rulestate {
	const struct rule *r;
	struct metric	 **act;	    /* per action */
	size_t		  *condlen; /* per action: condition length */
	struct buf	  *rwout;   /* per rewrite: its result */
	struct rule_stats *st;
};

struct matcher {
	const struct ruleset *rs;
	struct registry	     *reg;
	pcre2_match_context  *mctx;
	pcre2_jit_stack	     *jstack;
	pcre2_match_data     *md;
	struct json_index     ix;
	int		      jstate; /* per line: 0 unknown, 1 object,
					 -1 not one, -2 not like one */
	int		      explaining;
	int		      tstate; /* per line: 0 unknown, 1 known */
	uint64_t	      keys;   /* per line: mask of its keys */
	double		      ltime;
	enum json_stop	      stop; /* where the last field lookup ended */
	size_t		      stopat;
	int		      stopval; /* the type of the value it ended in */
	struct rulestate     *rst;
	struct rule_stats    *stats; /* per rule */
	size_t		      nrules;
	struct str	     *caps;  /* the current rule's captures */
	struct str	     *lvals; /* label values of one action */
	const struct str     *pvals; /* the source's, after them */
	size_t		      npvals;
	struct rtime	      wtime; /* the source's time of the line */
	struct buf	      fix;   /* lvals made valid UTF-8 */
	struct buf	      exbuf; /* an exemplar's labels, rendered */
	double		     *stack; /* expression evaluation */
	struct batch	     *rec;   /* where updates go, or NULL: the
					registry */
	struct matcher_stats  st;
};

/* Why a rule did not match, for --explain. */
enum miss {
	MISS_NONE = 0,
	MISS_PREFILTER,
	MISS_NOTJSON,
	MISS_FIELD,
	MISS_PATTERN,
	MISS_LIMIT,
};

struct matcher *
matcher_new(const struct ruleset *rs, struct registry *reg,
    uint32_t match_limit, uint32_t depth_limit, char *err, size_t errlen)
{
	struct matcher *m;
	size_t		i, j, maxcaps = 1, maxlabels = 1, maxexpr = 1;

	m = xcalloc(1, sizeof(*m));
	m->wtime.secs = -1; /* no source's time */
	m->rs = rs;
	m->reg = reg;
	json_init(&m->ix);
	buf_init(&m->fix);
	buf_init(&m->exbuf);
	m->mctx = pcre2_match_context_create(NULL);
	m->md = pcre2_match_data_create(64, NULL);
	m->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (m->mctx == NULL || m->md == NULL || m->jstack == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pcre2_jit_stack_assign(m->mctx, NULL, m->jstack);
	pcre2_set_match_limit(m->mctx,
	    match_limit ? match_limit : MATCH_LIMIT_DEFAULT);
	pcre2_set_depth_limit(m->mctx,
	    depth_limit ? depth_limit : DEPTH_LIMIT_DEFAULT);
	m->nrules = rs->nrules;
	m->rst = xcalloc(rs->nrules, sizeof(*m->rst));
	m->stats = xcalloc(rs->nrules, sizeof(*m->stats));
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];

		m->rst[i].r = r;
		m->rst[i].st = &m->stats[i];
		m->rst[i].act = xcalloc(r->nacts, sizeof(struct metric *));
		m->rst[i].rwout = xcalloc(r->nrws + 1, sizeof(struct buf));
		for (j = 0; j < r->nrws; j++)
			buf_init(&m->rst[i].rwout[j]);
		m->rst[i].condlen = xcalloc(r->nacts + 1, sizeof(size_t));
		for (j = 0; j < r->nacts; j++)
			if (r->acts[j].cond != COND_NONE)
				m->rst[i].condlen[j] = strlen(
				    r->acts[j].condval);
		if (r->ncaps > maxcaps)
			maxcaps = r->ncaps;
		for (j = 0; j < r->nacts; j++) {
			const struct action *a = &r->acts[j];
			struct metric	    *mt;

			mt = registry_find(reg, a->metric);
			if (mt == NULL) {
				snprintf(err, errlen,
				    "%s:%d:%d: metric '%s' is not registered",
				    a->file, a->line, a->col, a->metric);
				goto fail;
			}
			m->rst[i].act[j] = mt;
			if (mt->nlabels > maxlabels)
				maxlabels = mt->nlabels;
			if (a->value.len > maxexpr)
				maxexpr = a->value.len;
		}
	}
	m->caps = xcalloc(maxcaps, sizeof(*m->caps));
	m->lvals = xcalloc(maxlabels, sizeof(*m->lvals));
	m->stack = xcalloc(maxexpr, sizeof(*m->stack));
	return m;
fail:
	matcher_free(m);
	return NULL;
}

void
matcher_free(struct matcher *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrules; i++) {
		free(m->rst[i].act);
		/* A rule not reached by a failed matcher_new() has none. */
		for (j = 0; m->rst[i].rwout != NULL && j < m->rst[i].r->nrws;
		     j++)
			buf_free(&m->rst[i].rwout[j]);
		free(m->rst[i].rwout);
		free(m->rst[i].condlen);
	}
	free(m->rst);
	free(m->stats);
	free(m->caps);
	free(m->lvals);
	buf_free(&m->fix);
	buf_free(&m->exbuf);
	free(m->stack);
	json_free(&m->ix);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jstack);
	free(m);
}

/* Scans the line as JSON once; later calls reuse the verdict. */
static int
line_json(struct matcher *m, const char *line, size_t len)
{
	size_t i;

	if (m->jstate != 0)
		return m->jstate == 1;
	m->jstate = -2;
	m->keys = 0;
	/* Only a line that starts with '{' can be an object: skip the rest. */
	for (i = 0; i < len &&
	     (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' ||
		 line[i] == '\n');
	     i++)
		;
	if (i == len || line[i] != '{')
		return 0;
	if (json_scan(&m->ix, line, len) == -1) {
		m->jstate = -1;
		return 0;
	}
	m->jstate = 1;
	m->keys = m->ix.keys;
	return 1;
}

/*
 * The text of the value a path leads to in the line, or NULL when the
 * line is not an object or the path leads nowhere: where it stopped and
 * why are then in m->stop, m->stopat and m->stopval.
 */
static const char *
field_value(struct matcher *m, const char *line, size_t len,
    const struct path *path, size_t *vlen)
{
	struct json_field *f, leaf;
	size_t		   at;

	if (!line_json(m, line, len))
		return NULL;
	f = json_get(&m->ix, path->step[0].key, path->step[0].len);
	if (f == NULL) {
		m->stop = JSON_NO_KEY;
		m->stopat = 0;
		return NULL;
	}
	if (path->n == 1)
		return json_value(&m->ix, f, vlen);
	m->stop = json_walk(&m->ix, f, path->step + 1, path->n - 1, &leaf, &at);
	if (m->stop != JSON_FOUND) {
		m->stopat = at + 1;
		m->stopval = leaf.type;
		return NULL;
	}
	*vlen = leaf.vallen;
	return leaf.val;
}

static double
line_time(struct matcher *m, const char *line, size_t len)
{
	const struct ruleset *rs = m->rs;
	const char	     *s;
	size_t		      i, n;
	double		      t;
	int		      rc;

	if (m->tstate)
		return m->ltime;
	m->tstate = 1;
	m->ltime = -1;
	for (i = 0; i < rs->nts; i++) {
		const struct tsrule *tr = &rs->ts[i];

		if (tr->path.n > 0) {
			s = field_value(m, line, len, &tr->path, &n);
			if (s == NULL)
				continue;
		} else {
			PCRE2_SIZE *ov;

			rc = pcre2_match(tr->re, (PCRE2_SPTR)line, len, 0, 0,
			    m->md, m->mctx);
			if (rc <= tr->group)
				continue;
			ov = pcre2_get_ovector_pointer(m->md);
			if (ov[2 * tr->group] == PCRE2_UNSET)
				continue;
			s = line + ov[2 * tr->group];
			n = ov[2 * tr->group + 1] - ov[2 * tr->group];
		}
		if (ts_parse(tr->fmt, s, n, &t) == 0) {
			m->ltime = t;
			return t;
		}
	}
	/* None: the time the line's wrapper gives, if it is one. */
	if (m->wtime.secs >= 0)
		m->ltime = m->wtime.secs;
	else if (m->wtime.text.n > 0 &&
	    ts_parse(TS_RFC3339, m->wtime.text.p, m->wtime.text.n, &t) == 0)
		m->ltime = t;
	return m->ltime;
}

double
matcher_line_time(struct matcher *m, const char *line, size_t len)
{
	m->jstate = 0;
	m->tstate = 0;
	return line_time(m, line, len);
}

/*
 * Reads a capture as a number: the whole text must be one, as strtod()
 * reads it. Plain decimals, nearly all of them, skip the copy.
 */
static int
cap_number(const struct str *s, double *out)
{
	char  tmp[NUMBER_MAX];
	char *end;

	if (decimal_parse(s->p, s->n, 0, out) == 0)
		return 0;
	if (s->n == 0 || s->n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s->p, s->n);
	tmp[s->n] = '\0';
	*out = strtod(tmp, &end);
	if (*end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

static void
rule_error(struct rulestate *rs, const char *fmt, const char *capname,
    const struct str *v)
{
	int n;

	rs->st->errors++;
	n = snprintf(rs->st->last_error, sizeof(rs->st->last_error), fmt,
	    capname, (int)(v->n > 40 ? 40 : v->n), v->p ? v->p : "");
	(void)n;
}

/*
 * Evaluates an action's value. Returns 0, or -1 with the rule's error set
 * (a capture that is not a number, a result that is not finite).
 */
static int
eval(struct matcher *m, struct rulestate *rs, const struct expr *e,
    const char *line, size_t len, double now, double *out)
{
	const struct rule *r = rs->r;
	size_t		   i, sp = 0;
	double		   a, b, t;

	for (i = 0; i < e->len; i++) {
		const struct expr_node *n = &e->n[i];

		switch (n->op) {
		case EXPR_NUM:
			m->stack[sp++] = n->num;
			break;
		case EXPR_CAP:
			if (cap_number(&m->caps[n->cap], &a) == -1) {
				rule_error(rs, "$%s is not a number: \"%.*s\"",
				    r->caps[n->cap].name, &m->caps[n->cap]);
				return -1;
			}
			m->stack[sp++] = a;
			break;
		case EXPR_TIME:
			t = line_time(m, line, len);
			m->stack[sp++] = t < 0 ? now : t;
			break;
		case EXPR_NEG:
			m->stack[sp - 1] = -m->stack[sp - 1];
			break;
		default:
			b = m->stack[--sp];
			a = m->stack[sp - 1];
			if (n->op == EXPR_ADD)
				a += b;
			else if (n->op == EXPR_SUB)
				a -= b;
			else if (n->op == EXPR_MUL)
				a *= b;
			else
				a /= b;
			m->stack[sp - 1] = a;
			break;
		}
	}
	*out = m->stack[0];
	if (!isfinite(*out)) {
		static const struct str none = { "", 0 };

		rule_error(rs, "value is not finite%s%.*s", "", &none);
		return -1;
	}
	return 0;
}

/*
 * Makes the n label values in m->lvals valid UTF-8, each maximal
 * ill-formed subpart replaced by U+FFFD as rendering would write it: two
 * values that render alike must update one series, not make two series
 * exposed with the same labels. Valid values (nearly all) stay in place
 * after one pass; others are rewritten into m->fix, which holds three
 * bytes per input byte at most and is not reallocated while filled.
 */
static void
fix_labels(struct matcher *m, size_t n)
{
	const unsigned char *p, *end;
	size_t		     i, len, bad, total = 0;
	int		     valid = 1;

	for (i = 0; i < n; i++) {
		p = (const unsigned char *)m->lvals[i].p;
		end = p + m->lvals[i].n;
		total += m->lvals[i].n;
		for (; p < end && valid; p += len)
			if ((len = *p < 0x80 ? 1 : utf8_seq(p, end, &bad)) == 0)
				valid = 0;
	}
	if (valid)
		return;
	buf_reset(&m->fix);
	buf_reserve(&m->fix, 3 * total);
	for (i = 0; i < n; i++) {
		char *start = m->fix.p + m->fix.len;

		p = (const unsigned char *)m->lvals[i].p;
		end = p + m->lvals[i].n;
		for (; p < end; p += len) {
			if ((len = *p < 0x80 ? 1 : utf8_seq(p, end, &bad)) > 0)
				buf_append(&m->fix, p, len);
			else {
				buf_append(&m->fix, "\xef\xbf\xbd", 3);
				len = bad;
			}
		}
		m->lvals[i].p = start;
		m->lvals[i].n = (size_t)(m->fix.p + m->fix.len - start);
	}
}

/* UTF-8 characters in s, each ill-formed subpart one (as U+FFFD). */
static size_t
utf8_chars(const struct str *s)
{
	const unsigned char *p = (const unsigned char *)s->p, *end = p + s->n;
	size_t		     n = 0, len, bad;

	for (; p < end; n++, p += len)
		if ((len = *p < 0x80 ? 1 : utf8_seq(p, end, &bad)) == 0)
			len = bad;
	return n;
}

/*
 * The exemplar of action a for this line into ex: its labels rendered
 * into m->exbuf as the exposition writes them, those of an empty value
 * left out, its time the line's log time (else now). Returns 0; 1 when
 * every value is empty (no exemplar); -1 when the names and values are
 * over EXEMPLAR_MAX_CHARS characters, as OpenMetrics bounds them.
 */
static int
exemplar(struct matcher *m, const struct action *a, const char *line,
    size_t len, double now, struct exemplar *ex)
{
	struct str v;
	size_t	   i, chars = 0;
	double	   t;

	buf_reset(&m->exbuf);
	for (i = 0; i < a->nex; i++) {
		if (a->ex[i].src.cap >= 0)
			v = m->caps[a->ex[i].src.cap];
		else {
			v.p = a->ex[i].src.lit;
			v.n = strlen(a->ex[i].src.lit);
		}
		if (v.n == 0)
			continue;
		chars += strlen(a->ex[i].name) + utf8_chars(&v);
		if (m->exbuf.len > 0)
			buf_putc(&m->exbuf, ',');
		buf_puts(&m->exbuf, a->ex[i].name);
		buf_append(&m->exbuf, "=\"", 2);
		expose_label_value(&m->exbuf, v.p, v.n);
		buf_putc(&m->exbuf, '"');
	}
	if (m->exbuf.len == 0)
		return 1;
	if (chars > EXEMPLAR_MAX_CHARS)
		return -1;
	t = line_time(m, line, len);
	ex->labels = m->exbuf.p;
	ex->len = m->exbuf.len;
	ex->time = t < 0 ? now : t;
	ex->cap = 0;
	ex->value = 0;
	return 0;
}

static const char *const action_names[] = {
	[ACT_INC] = "inc",
	[ACT_ADD] = "add",
	[ACT_SET] = "set",
	[ACT_OBSERVE] = "observe",
};

static void
explain_str(struct buf *out, const struct str *s)
{
	size_t i;

	buf_putc(out, '"');
	for (i = 0; i < s->n; i++) {
		unsigned char c = (unsigned char)s->p[i];

		if (c == '"' || c == '\\')
			buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(out, "\\x%02x", c);
		else
			buf_putc(out, c);
	}
	buf_putc(out, '"');
}

/*
 * Runs one action of a matched rule: condition, value, label values, then
 * the registry update (or, with explain, its description).
 */
static void
run_action(struct matcher *m, struct rulestate *rs, size_t ai, const char *line,
    size_t len, double now, struct buf *explain)
{
	const struct action *a = &rs->r->acts[ai];
	struct metric	    *mt = rs->act[ai];
	struct exemplar	     ex;
	double		     v = 1;
	enum metric_op	     op;
	size_t		     i;
	int		     exok = -1;

	if (a->cond != COND_NONE) {
		const struct str *c = &m->caps[a->condcap];
		size_t		  cl = rs->condlen[ai];
		int		  eq;

		eq = c->n == cl && memcmp(c->p, a->condval, cl) == 0;
		if (eq != (a->cond == COND_EQ)) {
			if (explain)
				buf_printf(explain,
				    "  %s %s: condition on $%s "
				    "false\n",
				    action_names[a->kind], a->metric,
				    rs->r->caps[a->condcap].name);
			return;
		}
	}
	if (a->value.len > 0 &&
	    eval(m, rs, &a->value, line, len, now, &v) == -1) {
		if (explain)
			buf_printf(explain, "  %s %s: skipped: %s\n",
			    action_names[a->kind], a->metric,
			    rs->st->last_error);
		return;
	}
	for (i = 0; i < a->nlabels; i++) {
		if (a->labels[i].cap >= 0)
			m->lvals[i] = m->caps[a->labels[i].cap];
		else {
			m->lvals[i].p = a->labels[i].lit;
			m->lvals[i].n = strlen(a->labels[i].lit);
		}
	}
	/* Labels the metric has beyond the rule's: the source's. */
	for (i = a->nlabels; i < mt->nlabels; i++) {
		if (i - a->nlabels < m->npvals)
			m->lvals[i] = m->pvals[i - a->nlabels];
		else {
			m->lvals[i].p = "";
			m->lvals[i].n = 0;
		}
	}
	fix_labels(m, mt->nlabels);
	if (mt->type == METRIC_COUNTER && v < 0) {
		static const struct str none = { "", 0 };

		rule_error(rs, "negative value for a counter%s%.*s", "", &none);
		if (explain)
			buf_printf(explain, "  %s %s: skipped: %s\n",
			    action_names[a->kind], a->metric,
			    rs->st->last_error);
		return;
	}
	if (a->nex > 0 && (exok = exemplar(m, a, line, len, now, &ex)) == -1 &&
	    explain == NULL) {
		if (m->rec != NULL)
			batch_exdrop(m->rec, mt);
		else
			mt->ex_dropped++;
	}
	if (explain) {
		char num[32];

		fmt_double(num, v);
		buf_printf(explain, "  %s %s{", action_names[a->kind],
		    a->metric);
		for (i = 0; i < a->nlabels; i++) {
			buf_printf(explain, "%s%s=", i ? "," : "",
			    mt->labels[i]);
			explain_str(explain, &m->lvals[i]);
		}
		buf_printf(explain, "} %s", num);
		if (a->nex > 0 && exok == 0) {
			fmt_double(num, ex.time);
			buf_puts(explain, " # {");
			buf_append(explain, ex.labels, ex.len);
			buf_printf(explain, "} at %s", num);
		} else if (exok == 1)
			buf_puts(explain,
			    " (no exemplar: its values are empty)");
		else if (a->nex > 0)
			buf_printf(explain,
			    " (exemplar dropped: its labels are over %d "
			    "characters)",
			    EXEMPLAR_MAX_CHARS);
		buf_putc(explain, '\n');
		return;
	}
	op = a->kind == ACT_SET	   ? METRIC_SET :
	    a->kind == ACT_OBSERVE ? METRIC_OBSERVE :
				     METRIC_ADD;
	/* Refusals (caps, values) are counted by the metric itself. */
	if (m->rec != NULL)
		batch_update(m->rec, mt, op, m->lvals, v,
		    exok == 0 ? &ex : NULL);
	else
		(void)metric_update(mt, op, m->lvals, NULL, v,
		    exok == 0 ? &ex : NULL);
}

/*
 * Rewrites a capture in place: every match of the rewrite's regex in it
 * replaced, into out, which grows to what the result needs. Returns 0,
 * or -1 when a match limit (or memory) stopped it.
 */
static int
rewrite(struct matcher *m, const struct rewrite *w, struct buf *out)
{
	struct str *c = &m->caps[w->cap];
	PCRE2_SIZE  n;
	int	    rc, tries;

	for (tries = 0; tries < 2; tries++) {
		buf_reserve(out, c->n + 64);
		n = out->cap - out->len;
		rc = pcre2_substitute(w->re, (PCRE2_SPTR)c->p, c->n, 0,
		    PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
			PCRE2_SUBSTITUTE_UNSET_EMPTY,
		    m->md, m->mctx, (PCRE2_SPTR)w->repl, w->repllen,
		    (PCRE2_UCHAR *)out->p, &n);
		if (rc >= 0) {
			c->p = out->p;
			c->n = n;
			return 0;
		}
		if (rc != PCRE2_ERROR_NOMEMORY)
			return -1;
		buf_reserve(out, n + 1);
	}
	return -1;
}

/*
 * Tries one rule on the line, filling m->caps. Returns MISS_NONE when every
 * required pattern matched, else why not; *what names the pattern.
 */
static enum miss
try_rule(struct matcher *m, struct rulestate *rs, const char *line, size_t len,
    size_t *what)
{
	const struct rule *r = rs->r;
	PCRE2_SIZE	  *ov;
	const char	  *subj;
	size_t		   i, j, n;
	int		   rc;

	/*
	 * JSON rules first: the line's one scan gives the mask of its keys,
	 * which rejects most lines without a regex or memmem. The rule's
	 * literal "KEY" prefilters are then implied and skipped.
	 */
	if (r->plan.json) {
		if (!line_json(m, line, len))
			return MISS_NOTJSON;
		if ((m->keys & r->plan.keymask) != r->plan.keymask) {
			if (!m->explaining)
				return MISS_FIELD;
			m->stopat = 0;
			for (i = 0; i < r->npats; i++)
				if (r->pats[i].path.n > 0 &&
				    !r->pats[i].optional &&
				    json_get(&m->ix,
					r->pats[i].path.step[0].key,
					r->pats[i].path.step[0].len) == NULL) {
					*what = i;
					break;
				}
			return MISS_FIELD;
		}
	}
	for (i = 0; i < r->plan.nprefilter; i++)
		if (!r->plan.prefilter[i].implied &&
		    memmem(line, len, r->plan.prefilter[i].lit,
			r->plan.prefilter[i].len) == NULL)
			return MISS_PREFILTER;
	for (i = 0; i < r->ncaps; i++) {
		m->caps[i].p = "";
		m->caps[i].n = 0;
	}
	for (i = 0; i < r->npats; i++) {
		const struct pattern *p = &r->pats[i];

		*what = i;
		if (p->path.n > 0) {
			subj = field_value(m, line, len, &p->path, &n);
			if (subj == NULL) {
				if (p->optional)
					continue;
				return MISS_FIELD;
			}
		} else {
			subj = line;
			n = len;
		}
		if (p->kind == PK_EQUAL) {
			if (n == p->litlen && memcmp(subj, p->lit, n) == 0)
				continue;
			if (p->optional)
				continue;
			return MISS_PATTERN;
		}
		if (p->kind == PK_ALL) {
			if ((p->nonempty && n == 0) ||
			    (!p->dotall && memchr(subj, '\n', n))) {
				if (p->optional)
					continue;
				return MISS_PATTERN;
			}
			if (p->cap >= 0) {
				m->caps[p->cap].p = subj;
				m->caps[p->cap].n = n;
			}
			continue;
		}
		if (p->jit)
			rc = pcre2_jit_match(p->re, (PCRE2_SPTR)subj, n, 0, 0,
			    m->md, m->mctx);
		else
			rc = pcre2_match(p->re, (PCRE2_SPTR)subj, n, 0, 0,
			    m->md, m->mctx);
		/* Any failure but "no match" is a limit: match, depth,
		 * heap, JIT stack or memory. */
		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
			rs->st->limit_hits++;
			m->st.limit_hits++;
			return MISS_LIMIT;
		}
		if (rc < 0) {
			if (p->optional)
				continue;
			return MISS_PATTERN;
		}
		ov = pcre2_get_ovector_pointer(m->md);
		for (j = 0; j < r->ncaps; j++) {
			const struct capture *c = &r->caps[j];

			if (c->pat != (int)i || c->group >= rc ||
			    ov[2 * c->group] == PCRE2_UNSET)
				continue;
			m->caps[j].p = subj + ov[2 * c->group];
			m->caps[j].n = ov[2 * c->group + 1] - ov[2 * c->group];
		}
	}
	for (i = 0; i < r->nrws; i++) {
		*what = r->npats + i;
		if (rewrite(m, &r->rws[i], &rs->rwout[i]) == -1) {
			rs->st->limit_hits++;
			m->st.limit_hits++;
			return MISS_LIMIT;
		}
	}
	return MISS_NONE;
}

static const char *const type_names[] = {
	[JSON_STRING] = "a string",
	[JSON_NUMBER] = "a number",
	[JSON_TRUE] = "true",
	[JSON_FALSE] = "false",
	[JSON_NULL] = "null",
	[JSON_OBJECT] = "an object",
	[JSON_ARRAY] = "an array",
};

/* For --explain: where the lookup of path stopped, and why. */
static void
explain_stop(const struct matcher *m, struct buf *out, const struct path *path)
{
	const struct json_step *st = &path->step[m->stopat];
	int			n;

	if (m->stopat == 0) {
		buf_printf(out, "no top-level field \"%s\"\n", st->key);
		return;
	}
	n = (int)path->end[m->stopat - 1];
	buf_printf(out, "no field %s: %.*s ", path->text, n, path->text);
	switch (m->stop) {
	case JSON_NO_KEY:
		buf_printf(out, "has no key \"%s\"\n", st->key);
		break;
	case JSON_NO_INDEX:
		buf_printf(out, "has no element %ld\n", st->index);
		break;
	case JSON_NOT_INDEX:
		buf_printf(out, "is an array and \"%s\" is not an index\n",
		    st->key);
		break;
	default:
		buf_printf(out, "is %s, not an object or array\n",
		    m->stopval > 0 && m->stopval <= JSON_ARRAY ?
			type_names[m->stopval] :
			"a value");
		break;
	}
}

static int
run_line(struct matcher *m, const char *line, size_t len, double now,
    struct buf *explain)
{
	size_t i, j, what = 0;
	int    matched = 0;
	double t;

	m->jstate = 0;
	m->tstate = 0;
	m->explaining = explain != NULL;
	if (!explain)
		m->st.lines++;
	for (i = 0; i < m->nrules; i++) {
		struct rulestate  *rs = &m->rst[i];
		const struct rule *r = rs->r;
		enum miss	   miss;

		miss = try_rule(m, rs, line, len, &what);
		if (miss != MISS_NONE) {
			if (explain == NULL)
				continue;
			buf_printf(explain, "rule %s: no match: ", r->name);
			if (miss == MISS_PREFILTER)
				buf_puts(explain,
				    "a prefilter literal is "
				    "absent\n");
			else if (miss == MISS_NOTJSON)
				buf_puts(explain,
				    "the line is not one "
				    "complete JSON object\n");
			else if (miss == MISS_FIELD)
				explain_stop(m, explain, &r->pats[what].path);
			else if (miss == MISS_LIMIT)
				buf_printf(explain,
				    "match limit reached by "
				    "/%s/\n",
				    what < r->npats ?
					r->pats[what].src :
					r->rws[what - r->npats].src);
			else
				buf_printf(explain, "/%s/ does not match%s%s\n",
				    r->pats[what].src,
				    r->pats[what].path.n ? " field " : "",
				    r->pats[what].path.n ?
					r->pats[what].path.text :
					"");
			continue;
		}
		matched++;
		if (explain) {
			buf_printf(explain, "rule %s: match\n", r->name);
			for (j = 0; j < r->ncaps; j++) {
				buf_printf(explain,
				    "  $%s = ", r->caps[j].name);
				explain_str(explain, &m->caps[j]);
				buf_putc(explain, '\n');
			}
		} else {
			rs->st->matched++;
			rs->st->last_match = now;
		}
		for (j = 0; j < r->nacts; j++)
			run_action(m, rs, j, line, len, now, explain);
	}
	if (explain == NULL) {
		if (matched == 0)
			m->st.unmatched++;
		if (m->jstate == -1)
			m->st.json_invalid++;
		if (matched > 0 &&
		    (m->rs->nts > 0 || m->wtime.text.n > 0 ||
			m->wtime.secs >= 0)) {
			t = line_time(m, line, len);
			if (t > m->st.newest_time)
				m->st.newest_time = t;
		}
	} else if (matched == 0)
		buf_puts(explain, "no rule matches\n");
	return matched;
}

void
matcher_source(struct matcher *m, const struct str *values, size_t n)
{
	m->pvals = values;
	m->npvals = values != NULL ? n : 0;
}

void
matcher_record(struct matcher *m, struct batch *b)
{
	m->rec = b;
}

void
matcher_wrapper_time(struct matcher *m, const struct rtime *time)
{
	static const struct rtime none = RTIME_NONE;

	m->wtime = time != NULL ? *time : none;
}

int
matcher_line(struct matcher *m, const char *line, size_t len, double now)
{
	return run_line(m, line, len, now, NULL);
}

int
matcher_explain(struct matcher *m, const char *line, size_t len, double now,
    struct buf *out)
{
	return run_line(m, line, len, now, out);
}

const struct rule_stats *
matcher_rule_stats(struct matcher *m, size_t *n)
{
	*n = m->nrules;
	return m->stats;
}

const struct matcher_stats *
matcher_stats(struct matcher *m)
{
	return &m->st;
}

void
matcher_stats_add(struct matcher *m, const struct matcher *later)
{
	size_t i;

	for (i = 0; i < m->nrules && i < later->nrules; i++) {
		struct rule_stats	*a = &m->stats[i];
		const struct rule_stats *b = &later->stats[i];

		a->matched += b->matched;
		if (b->last_match > a->last_match)
			a->last_match = b->last_match;
		a->limit_hits += b->limit_hits;
		a->errors += b->errors;
		if (b->errors > 0)
			memcpy(a->last_error, b->last_error,
			    sizeof(a->last_error));
	}
	m->st.lines += later->st.lines;
	m->st.unmatched += later->st.unmatched;
	m->st.json_invalid += later->st.json_invalid;
	m->st.limit_hits += later->st.limit_hits;
	if (later->st.newest_time > m->st.newest_time)
		m->st.newest_time = later->st.newest_time;
}
