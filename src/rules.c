/*
 * rules.c: the rules language (man/logmetrics.rules.5). A recursive-descent
 * parser with one token of lookahead over the tokens of lex.c, each with
 * its line and column, and a resolution pass once every file of a ruleset
 * is read: metrics used by actions, captures, labels and freshness sources
 * may be declared anywhere in the ruleset.
 *
 * After an error the parser skips to the next line, so every error of a
 * file is reported; any error rejects the whole ruleset.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lex.h"
#include "rules.h"
#include "util.h"

#define EXPR_MAX_DEPTH 64    /* nested parentheses and minus signs */
#define STALE_DEFAULT  300.0 /* stale_after when absent: 5m */

enum block {
	BLK_NONE = 0,
	BLK_METRIC,
	BLK_FRESH,
	BLK_RULE,
	BLK_BROKEN, /* its opening line was wrong: skip its lines */
};

/* Parse-side data kept until the resolution pass, for its messages. */
struct pos {
	int line;
	int col;
};

#define SEEN_HELP    0x01
#define SEEN_LABELS  0x02
#define SEEN_BUCKETS 0x04
#define SEEN_STALE   0x08
#define SEEN_EXPIRE  0x10
#define SEEN_NATIVE  0x20
#define SEEN_NFACTOR 0x40
#define SEEN_NMAX    0x80
#define SEEN_NZERO   0x100

struct pdecl {
	int	    col; /* of the name */
	struct pos  src; /* freshness: of the source's name */
	struct pos *th;	 /* per threshold: of its label */
	unsigned    seen;
	int	    broken; /* a line of its block was wrong */
};

/* A LABEL=SRC of an action as written. */
struct plabel {
	char *name;
	int   col;
	int   ref; /* index in the rule's refs, or -1: lit */
	char *lit;
};

struct pact {
	int	       mcol; /* of the metric's name */
	struct plabel *lab;
	size_t	       nlab;
	struct plabel *ex; /* the exemplar's labels */
	size_t	       nex;
	int	       excol; /* of "exemplar" */
};

/* A $name written in a rule; resolved to a capture at the end. */
struct pref {
	char *name;
	int   line;
	int   col;
};

struct prule {
	int	     col; /* of the name */
	struct pref *refs;
	size_t	     nrefs;
	struct pact *acts;   /* parallel to the rule's acts */
	int	     broken; /* a line of its block was wrong */
};

/* One ruleset being loaded, over one or more files. */
struct load {
	struct ruleset *rs;
	struct pdecl   *pd; /* parallel to rs->decls */
	struct prule   *pr; /* parallel to rs->rules */
	struct buf	errs;
	size_t		errmax;
	int		nerr;
	struct buf	warns;
};

/* One file being parsed. */
struct parser {
	struct load *ld;
	const char  *file;
	struct lexer lx;
	enum block   blk;
	size_t	     cur; /* the block's decl or rule */
};

static void vlderr(struct load *, const char *, int, int, const char *, va_list)
    __attribute__((format(printf, 5, 0)));
static void lderr(struct load *, const char *, int, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));
static int perr(struct parser *, int, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static void pwarn(struct parser *, int, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Appends one message, "file:line:col: " first when file is set. Past
 * errmax bytes messages are only counted: err cannot hold them anyway.
 */
static void
vlderr(struct load *ld, const char *file, int line, int col, const char *fmt,
    va_list ap)
{
	ld->nerr++;
	if (ld->errs.len > ld->errmax)
		return;
	if (ld->errs.len > 0)
		buf_putc(&ld->errs, '\n');
	if (file != NULL)
		buf_printf(&ld->errs, "%s:%d:%d: ", file, line, col);
	buf_vprintf(&ld->errs, fmt, ap);
}

static void
lderr(struct load *ld, const char *file, int line, int col, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlderr(ld, file, line, col, fmt, ap);
	va_end(ap);
}

/* The lexer's errors, at their place in the file being parsed. */
static void
lex_error(void *arg, int line, int col, const char *fmt, va_list ap)
{
	struct parser *P = arg;

	vlderr(P->ld, P->file, line, col, fmt, ap);
}

/* A warning at line:col of the file being parsed: it rejects nothing. */
static void
pwarn(struct parser *P, int line, int col, const char *fmt, ...)
{
	va_list ap;

	buf_printf(&P->ld->warns, "%s:%d:%d: warning: ", P->file, line, col);
	va_start(ap, fmt);
	buf_vprintf(&P->ld->warns, fmt, ap);
	va_end(ap);
	buf_putc(&P->ld->warns, '\n');
}

/* An error at line:col of the file being parsed; returns -1. */
static int
perr(struct parser *P, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlderr(P->ld, P->file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

/* Reports "expected what, found <token>" unless the lexer already did. */
static int
expected(struct parser *P, const char *what)
{
	char found[4 * FOUND_MAX + 16];

	if (P->lx.tok.kind == T_ERROR)
		return -1;
	lex_describe(&P->lx.tok, found, sizeof(found));
	return perr(P, P->lx.tok.line, P->lx.tok.col, "expected %s, found %s",
	    what, found);
}

/* What a declaration is, in messages. */
static const char *
kind_name(enum metric_type t)
{
	return t == METRIC_FRESHNESS ? "freshness gauge" : metric_type_name(t);
}

static struct metric_decl *
find_decl(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->ndecls; i++)
		if (strcmp(rs->decls[i].name, name) == 0)
			return &rs->decls[i];
	return NULL;
}

static ssize_t
find_str(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return (ssize_t)i;
	return -1;
}

static struct deflabel *
find_deflabel(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nlabels; i++)
		if (strcmp(rs->labels[i].name, name) == 0)
			return &rs->labels[i];
	return NULL;
}

/*
 * Checks a label name of a metric of the given type (0: a default label).
 * Returns 0, or -1 after reporting at line:col.
 */
static int
check_label_name(struct parser *P, int line, int col, const char *name,
    enum metric_type type)
{
	const struct ruleset *rs = P->ld->rs;

	switch (label_name_check(name, type)) {
	case NAME_OK:
		break;
	case NAME_INVALID:
		return perr(P, line, col,
		    "invalid label name '%s': expected "
		    "[a-zA-Z_][a-zA-Z0-9_]*",
		    name);
	case NAME_RESERVED:
		return perr(P, line, col,
		    "label name '%s' is reserved: it "
		    "starts with __",
		    name);
	case NAME_LE:
		return perr(P, line, col,
		    "label name 'le' is reserved for "
		    "histogram buckets");
	}
	if (type != 0 && find_deflabel(rs, name) != NULL)
		return perr(P, line, col,
		    "'%s' is a default label: it is on "
		    "every series already",
		    name);
	return 0;
}

static void
deflabel_free(struct deflabel *d)
{
	free(d->name);
	free(d->value);
	free(d->env);
	strv_free(d->mapk, d->nmap);
	strv_free(d->mapv, d->nmap);
}

/*
 * label NAME = "literal"
 * label NAME = env VAR [map KEY=VALUE [[,] KEY=VALUE ...]]
 * An env value is resolved here, from the loading process's environment:
 * the first entry whose key is the variable's value ("" when unset) or *,
 * else the variable's value itself.
 */
static int
stmt_label(struct parser *P)
{
	struct ruleset *rs = P->ld->rs;
	struct deflabel d;
	struct pos	at;
	size_t		i, j;

	memset(&d, 0, sizeof(d));
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD)
		return expected(P, "label name");
	at.line = P->lx.tok.line;
	at.col = P->lx.tok.col;
	d.name = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_EQ) {
		expected(P, "'='");
		goto fail;
	}
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind == T_STRING) {
		d.value = lex_dup(&P->lx);
		lex_advance(&P->lx, 0);
	} else if (lex_is(&P->lx, "env")) {
		lex_advance(&P->lx, 0);
		if (P->lx.tok.kind != T_WORD) {
			expected(P, "environment variable name");
			goto fail;
		}
		d.env = lex_dup(&P->lx);
		lex_advance(&P->lx, 0);
		if (!lex_at_eol(&P->lx)) {
			if (!lex_is(&P->lx, "map")) {
				expected(P, "'map' or end of line");
				goto fail;
			}
			lex_advance(&P->lx, 0);
			if (lex_at_eol(&P->lx)) {
				expected(P, "map key");
				goto fail;
			}
		}
		while (!lex_at_eol(&P->lx)) {
			if (P->lx.tok.kind != T_STAR && !lex_value(&P->lx)) {
				expected(P, "map key");
				goto fail;
			}
			d.mapk = xgrow(d.mapk, d.nmap, sizeof(*d.mapk));
			d.mapv = xgrow(d.mapv, d.nmap, sizeof(*d.mapv));
			d.mapk[d.nmap] = P->lx.tok.kind == T_STAR ?
			    NULL :
			    lex_dup(&P->lx);
			d.mapv[d.nmap++] = NULL;
			lex_advance(&P->lx, 0);
			if (P->lx.tok.kind != T_EQ) {
				expected(P, "'='");
				goto fail;
			}
			lex_advance(&P->lx, 0);
			if (!lex_value(&P->lx)) {
				expected(P, "map value");
				goto fail;
			}
			d.mapv[d.nmap - 1] = lex_dup(&P->lx);
			lex_advance(&P->lx, 0);
			if (P->lx.tok.kind == T_COMMA) {
				lex_advance(&P->lx, 0);
				if (lex_at_eol(&P->lx)) {
					expected(P, "map key");
					goto fail;
				}
			}
		}
	} else {
		expected(P, "string or 'env'");
		goto fail;
	}
	if (!lex_at_eol(&P->lx)) {
		expected(P, "end of line");
		goto fail;
	}
	if (check_label_name(P, at.line, at.col, d.name, 0) == -1)
		goto fail;
	if (find_deflabel(rs, d.name) != NULL) {
		perr(P, at.line, at.col, "default label '%s' declared twice",
		    d.name);
		goto fail;
	}
	for (i = 0; i < rs->ndecls; i++)
		for (j = 0; j < rs->decls[i].nlabels; j++)
			if (strcmp(rs->decls[i].labels[j], d.name) == 0) {
				perr(P, at.line, at.col,
				    "default label '%s' "
				    "is also a label of metric '%s'",
				    d.name, rs->decls[i].name);
				goto fail;
			}
	rs->labels = xgrow(rs->labels, rs->nlabels, sizeof(*rs->labels));
	rs->labels[rs->nlabels++] = d;
	return 0;
fail:
	deflabel_free(&d);
	return -1;
}

const char *
rules_label_value(const struct deflabel *d, const char *var)
{
	size_t i;

	if (d->env == NULL)
		return d->value;
	if (var == NULL)
		var = "";
	for (i = 0; i < d->nmap; i++)
		if (d->mapk[i] == NULL || strcmp(d->mapk[i], var) == 0)
			return d->mapv[i];
	return var;
}

/*
 * Compiles the current regex token (pattern_regex()). Returns the code
 * (the caller frees it), or NULL after reporting.
 */
static pcre2_code *
compile_regex(struct parser *P)
{
	pcre2_code *re;
	char	    msg[200];

	re = pattern_regex(P->lx.sval.p, P->lx.sval.len, P->lx.tok.flags, msg,
	    sizeof(msg));
	if (re == NULL)
		perr(P, P->lx.tok.line, P->lx.tok.col, "%s", msg);
	return re;
}

/*
 * Reads the path token into *path. A path of words only was one key with
 * dots before paths existed: it is warned about. Returns 0, or -1 after
 * reporting.
 */
static int
field_path(struct parser *P, struct path *path)
{
	const struct token  *t = &P->lx.tok;
	const struct lexseg *sg;
	size_t		     i;
	int		     quoted = 0, rc = 0;

	for (i = 0; i < P->lx.nseg; i++) {
		sg = &P->lx.seg[i];
		quoted |= sg->quoted;
		if (sg->len == 0)
			rc = perr(P, t->line, sg->col, "empty field name");
		else if (sg->len > NAME_MAX_LEN)
			rc = perr(P, t->line, sg->col,
			    "field name too long (%zu bytes, at most %d)",
			    sg->len, NAME_MAX_LEN);
	}
	if (rc == 0 && P->lx.nseg > PATH_MAX_KEYS)
		rc = perr(P, t->line, t->col,
		    "path too deep (%zu keys, at most %d)", P->lx.nseg,
		    PATH_MAX_KEYS);
	if (rc == -1)
		return -1;
	memset(path, 0, sizeof(*path));
	path->text = xstrndup(t->s, t->n);
	for (i = 0; i < P->lx.nseg; i++) {
		sg = &P->lx.seg[i];
		pattern_path_add(path, P->lx.sval.p + sg->off, sg->len,
		    sg->quoted, sg->end);
	}
	if (P->lx.nseg > 1 && !quoted)
		pwarn(P, t->line, t->col,
		    "%s is a path into nested objects; for one top-level key "
		    "of that name write \"%s\"",
		    path->text, path->text);
	return 0;
}

/*
 * timestamp FIELD FORMAT
 * timestamp /REGEX/ FORMAT	(group "ts", else group 1)
 */
static int
stmt_timestamp(struct parser *P)
{
	struct ruleset *rs = P->ld->rs;
	struct tsrule	ts;
	char	       *fmt;

	memset(&ts, 0, sizeof(ts));
	lex_advance(&P->lx, LX_REGEX | LX_PATH);
	if (P->lx.tok.kind == T_REGEX) {
		if ((ts.re = compile_regex(P)) == NULL)
			return -1;
		if ((ts.group = pattern_ts_group(ts.re)) == 0) {
			perr(P, P->lx.tok.line, P->lx.tok.col,
			    "timestamp regex has "
			    "no group: write (?<ts>...) around the time");
			goto fail;
		}
	} else if (P->lx.tok.kind == T_PATH) {
		if (field_path(P, &ts.path) == -1)
			return -1;
	} else
		return expected(P, "field name or regex");
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD) {
		expected(P, "timestamp format");
		goto fail;
	}
	fmt = lex_dup(&P->lx);
	ts.fmt = ts_format_byname(fmt);
	free(fmt);
	if (ts.fmt == 0) {
		char q[4 * FOUND_MAX + 4];

		lex_quote(q, P->lx.tok.s, P->lx.tok.n, FOUND_MAX);
		perr(P, P->lx.tok.line, P->lx.tok.col,
		    "unknown timestamp format "
		    "'%s': expected epoch_s, epoch_ms, epoch_us, epoch_ns or "
		    "rfc3339",
		    q);
		goto fail;
	}
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx)) {
		expected(P, "end of line");
		goto fail;
	}
	rs->ts = xgrow(rs->ts, rs->nts, sizeof(*rs->ts));
	rs->ts[rs->nts++] = ts;
	return 0;
fail:
	pattern_path_free(&ts.path);
	pcre2_code_free(ts.re);
	return -1;
}

/*
 * counter NAME | gauge NAME | histogram NAME | freshness NAME of SOURCE
 * Opens the block; a bad name is reported, the block opened all the same
 * so that its lines are checked too.
 */
static int
stmt_metric(struct parser *P, enum metric_type type)
{
	struct load	   *ld = P->ld;
	struct ruleset	   *rs = ld->rs;
	struct metric_decl *d, *o;
	struct pdecl	   *pd;
	struct pos	    at, src = { 0, 0 };
	char		   *name, *source = NULL;
	const char	   *ofile = NULL;
	int		    oline = 0;

	P->blk = BLK_BROKEN;
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD)
		return expected(P, "metric name");
	at.line = P->lx.tok.line;
	at.col = P->lx.tok.col;
	name = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (type == METRIC_FRESHNESS) {
		if (!lex_is(&P->lx, "of")) {
			free(name);
			return expected(P, "'of'");
		}
		lex_advance(&P->lx, 0);
		if (P->lx.tok.kind != T_WORD) {
			free(name);
			return expected(P, "gauge name");
		}
		src.line = P->lx.tok.line;
		src.col = P->lx.tok.col;
		source = lex_dup(&P->lx);
		lex_advance(&P->lx, 0);
	}
	if (!lex_at_eol(&P->lx)) {
		free(name);
		free(source);
		return expected(P, "end of line");
	}
	if ((o = find_decl(rs, name)) != NULL) {
		ofile = o->file;
		oline = o->line;
	}
	rs->decls = xgrow(rs->decls, rs->ndecls, sizeof(*rs->decls));
	ld->pd = xgrow(ld->pd, rs->ndecls, sizeof(*ld->pd));
	d = &rs->decls[rs->ndecls];
	pd = &ld->pd[rs->ndecls];
	memset(d, 0, sizeof(*d));
	memset(pd, 0, sizeof(*pd));
	d->name = name;
	d->type = type;
	d->source = source;
	d->file = P->file;
	d->line = at.line;
	pd->col = at.col;
	pd->src = src;
	if (type == METRIC_HISTOGRAM) {
		d->nbuckets = metrics_ndefault_buckets;
		d->buckets = xreallocarray(NULL, d->nbuckets,
		    sizeof(*d->buckets));
		memcpy(d->buckets, metrics_default_buckets,
		    d->nbuckets * sizeof(*d->buckets));
	}
	if (type == METRIC_FRESHNESS)
		d->stale_after = STALE_DEFAULT;
	P->cur = rs->ndecls++;
	P->blk = type == METRIC_FRESHNESS ? BLK_FRESH : BLK_METRIC;
	if (metric_name_check(name) != NAME_OK)
		return perr(P, at.line, at.col,
		    "invalid metric name '%s': "
		    "expected [a-zA-Z_:][a-zA-Z0-9_:]*",
		    name);
	if (ofile != NULL)
		return perr(P, at.line, at.col,
		    "metric '%s' already declared "
		    "at %s:%d",
		    name, ofile, oline);
	return 0;
}

/* help "text" */
static int
stmt_help(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col };

	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_STRING)
		return expected(P, "string");
	if (pd->seen & SEEN_HELP)
		return perr(P, at.line, at.col, "help given twice for '%s'",
		    d->name);
	d->help = lex_dup(&P->lx);
	pd->seen |= SEEN_HELP;
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx))
		return expected(P, "end of line");
	return 0;
}

/* labels NAME ... */
static int
stmt_labels(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col };
	char		  **v = NULL, *name;
	size_t		    n = 0;

	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD)
		return expected(P, "label name");
	while (P->lx.tok.kind == T_WORD) {
		name = lex_dup(&P->lx);
		if (check_label_name(P, P->lx.tok.line, P->lx.tok.col, name,
			d->type) == -1) {
			free(name);
			goto fail;
		}
		if (find_str(v, n, name) >= 0) {
			perr(P, P->lx.tok.line, P->lx.tok.col,
			    "label '%s' listed "
			    "twice",
			    name);
			free(name);
			goto fail;
		}
		v = xgrow(v, n, sizeof(*v));
		v[n++] = name;
		lex_advance(&P->lx, 0);
	}
	if (!lex_at_eol(&P->lx)) {
		expected(P, "label name or end of line");
		goto fail;
	}
	if (pd->seen & SEEN_LABELS) {
		perr(P, at.line, at.col, "labels given twice for '%s'",
		    d->name);
		goto fail;
	}
	pd->seen |= SEEN_LABELS;
	d->labels = v;
	d->nlabels = n;
	return 0;
fail:
	strv_free(v, n);
	return -1;
}

/* buckets NUMBER ...	(strictly increasing) */
static int
stmt_buckets(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col };
	double		   *v = NULL;
	const char	   *prev = NULL;
	size_t		    n = 0, prevlen = 0;

	if (d->type != METRIC_HISTOGRAM)
		return perr(P, at.line, at.col,
		    "'%s' is a %s: only a "
		    "histogram has buckets",
		    d->name, kind_name(d->type));
	lex_advance(&P->lx, LX_SIGNED);
	if (P->lx.tok.kind != T_NUMBER)
		return expected(P, "number");
	while (P->lx.tok.kind == T_NUMBER) {
		if (n > 0 && !(P->lx.tok.num > v[n - 1])) {
			perr(P, P->lx.tok.line, P->lx.tok.col,
			    "bucket %.*s is not "
			    "greater than %.*s",
			    (int)P->lx.tok.n, P->lx.tok.s, (int)prevlen, prev);
			goto fail;
		}
		v = xgrow(v, n, sizeof(*v));
		v[n++] = P->lx.tok.num;
		prev = P->lx.tok.s;
		prevlen = P->lx.tok.n;
		lex_advance(&P->lx, LX_SIGNED);
	}
	if (!lex_at_eol(&P->lx)) {
		expected(P, "number or end of line");
		goto fail;
	}
	if (pd->seen & SEEN_BUCKETS) {
		perr(P, at.line, at.col, "buckets given twice for '%s'",
		    d->name);
		goto fail;
	}
	pd->seen |= SEEN_BUCKETS;
	free(d->buckets);
	d->buckets = v;
	d->nbuckets = n;
	return 0;
fail:
	free(v);
	return -1;
}

/*
 * native: the histogram keeps native buckets too (Prometheus's
 * exponential buckets), with the defaults of native.h until the native_*
 * statements after it say otherwise. Without a buckets statement in its
 * block, a native histogram has no classic buckets.
 */
static int
stmt_native(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col };

	if (d->type != METRIC_HISTOGRAM)
		return perr(P, at.line, at.col,
		    "'%s' is a %s: only a "
		    "histogram has native buckets",
		    d->name, kind_name(d->type));
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx))
		return expected(P, "end of line");
	if (pd->seen & SEEN_NATIVE)
		return perr(P, at.line, at.col, "native given twice for '%s'",
		    d->name);
	pd->seen |= SEEN_NATIVE;
	d->native = 1;
	d->native_factor = NATIVE_FACTOR_DEFAULT;
	d->native_zero = NATIVE_ZERO_DEFAULT;
	d->native_max = NATIVE_MAX_BUCKETS_DEFAULT;
	if (!(pd->seen & SEEN_BUCKETS)) {
		free(d->buckets);
		d->buckets = NULL;
		d->nbuckets = 0;
	}
	return 0;
}

/*
 * native_factor F (> 1), native_zero_threshold T (>= 0) and
 * native_max_buckets N (1 to NATIVE_MAX_BUCKETS_LIMIT): after native.
 */
static int
stmt_native_param(struct parser *P, enum kw kw)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col }, nat;
	const char	   *name;
	unsigned	    seen;
	double		    v;

	name = kw == KW_NATIVE_FACTOR	? "native_factor" :
	    kw == KW_NATIVE_MAX_BUCKETS ? "native_max_buckets" :
					  "native_zero_threshold";
	seen = kw == KW_NATIVE_FACTOR	? SEEN_NFACTOR :
	    kw == KW_NATIVE_MAX_BUCKETS ? SEEN_NMAX :
					  SEEN_NZERO;
	if (!(pd->seen & SEEN_NATIVE)) {
		if (d->type != METRIC_HISTOGRAM)
			return perr(P, at.line, at.col,
			    "'%s' is a %s: only "
			    "a histogram has native buckets",
			    d->name, kind_name(d->type));
		return perr(P, at.line, at.col,
		    "%s before native in '%s': "
		    "write native first",
		    name, d->name);
	}
	lex_advance(&P->lx, LX_SIGNED);
	if (P->lx.tok.kind != T_NUMBER)
		return expected(P, "number");
	nat.line = P->lx.tok.line;
	nat.col = P->lx.tok.col;
	v = P->lx.tok.num;
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx))
		return expected(P, "end of line");
	if (pd->seen & seen)
		return perr(P, at.line, at.col, "%s given twice for '%s'", name,
		    d->name);
	pd->seen |= seen;
	switch (kw) {
	case KW_NATIVE_FACTOR:
		if (!(v > 1) || !isfinite(v))
			return perr(P, nat.line, nat.col,
			    "native_factor must be "
			    "a number above 1, the largest ratio between "
			    "two bucket bounds");
		d->native_factor = v;
		break;
	case KW_NATIVE_MAX_BUCKETS:
		if (!(v >= 1 && v <= NATIVE_MAX_BUCKETS_LIMIT) || v != floor(v))
			return perr(P, nat.line, nat.col,
			    "native_max_buckets "
			    "must be a whole number from 1 to %d",
			    NATIVE_MAX_BUCKETS_LIMIT);
		d->native_max = (size_t)v;
		break;
	default:
		if (!(v >= 0) || !isfinite(v))
			return perr(P, nat.line, nat.col,
			    "native_zero_threshold "
			    "must be a number, 0 or above");
		d->native_zero = v;
		break;
	}
	return 0;
}

/*
 * Reads NAME=VALUE where NAME is one of names[n]: stores the value in
 * vals[i]. Returns 0, or -1 after reporting.
 */
static int
label_value(struct parser *P, const char *metric, char *const *names, size_t n,
    char **vals)
{
	struct pos at = { P->lx.tok.line, P->lx.tok.col };
	char	  *name;
	ssize_t	   i;

	name = lex_dup(&P->lx);
	i = find_str(names, n, name);
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_EQ) {
		free(name);
		return expected(P, "'='");
	}
	lex_advance(&P->lx, 0);
	if (!lex_value(&P->lx)) {
		free(name);
		return expected(P, "label value");
	}
	if (i < 0)
		perr(P, at.line, at.col, "metric '%s' has no label '%s'",
		    metric, name);
	else if (vals[i] != NULL)
		perr(P, at.line, at.col, "label '%s' given twice", name);
	free(name);
	if (i < 0 || vals[i] != NULL)
		return -1;
	vals[i] = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	return 0;
}

/* series NAME=VALUE ...	(every label once) */
static int
stmt_series(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col };
	char		  **vals;
	size_t		    i, j;

	if (!(pd->seen & SEEN_LABELS)) {
		if (pd->broken)
			return -1;
		return perr(P, at.line, at.col,
		    "series before the labels of "
		    "'%s': write its labels statement first",
		    d->name);
	}
	vals = xcalloc(d->nlabels, sizeof(*vals));
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD) {
		expected(P, "label name");
		goto fail;
	}
	while (P->lx.tok.kind == T_WORD)
		if (label_value(P, d->name, d->labels, d->nlabels, vals) == -1)
			goto fail;
	if (!lex_at_eol(&P->lx)) {
		expected(P, "label name or end of line");
		goto fail;
	}
	for (i = 0; i < d->nlabels; i++)
		if (vals[i] == NULL) {
			perr(P, at.line, at.col,
			    "series of '%s' has no value "
			    "for label '%s'",
			    d->name, d->labels[i]);
			goto fail;
		}
	for (i = 0; i < d->ninitial; i++) {
		for (j = 0; j < d->nlabels; j++)
			if (strcmp(d->initial[i * d->nlabels + j], vals[j]) !=
			    0)
				break;
		if (j == d->nlabels) {
			perr(P, at.line, at.col, "series given twice for '%s'",
			    d->name);
			goto fail;
		}
	}
	d->initial = xreallocarray(d->initial, (d->ninitial + 1) * d->nlabels,
	    sizeof(*d->initial));
	memcpy(d->initial + d->ninitial * d->nlabels, vals,
	    d->nlabels * sizeof(*vals));
	d->ninitial++;
	free(vals);
	return 0;
fail:
	strv_free(vals, d->nlabels);
	return -1;
}

/* A duration (a bare number: seconds), greater than 0. */
static int
duration(struct parser *P, double *out)
{
	if (P->lx.tok.kind != T_DURATION && P->lx.tok.kind != T_NUMBER)
		return expected(P, "duration");
	if (!(P->lx.tok.num > 0))
		return perr(P, P->lx.tok.line, P->lx.tok.col,
		    "duration must be "
		    "greater than 0");
	*out = P->lx.tok.num;
	return 0;
}

/*
 * A block's once-only DURATION statement, named kw: stale_after (the
 * default stall threshold of a freshness gauge) or expire (series of a
 * metric not updated for that long are removed). Stored in *out.
 */
static int
stmt_block_duration(struct parser *P, const char *kw, int seen, double *out)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->lx.tok.line, P->lx.tok.col };
	double		    v = 0;

	lex_advance(&P->lx, 0);
	if (duration(P, &v) == -1)
		return -1;
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx))
		return expected(P, "end of line");
	if (pd->seen & seen)
		return perr(P, at.line, at.col, "%s given twice for '%s'", kw,
		    d->name);
	pd->seen |= seen;
	*out = v;
	return 0;
}

/* threshold LABEL=VALUE DURATION */
static int
stmt_threshold(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct threshold    th = { NULL, NULL, 0 };
	struct pos	    at;
	size_t		    i;

	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD)
		return expected(P, "label name");
	at.line = P->lx.tok.line;
	at.col = P->lx.tok.col;
	th.label = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_EQ) {
		expected(P, "'='");
		goto fail;
	}
	lex_advance(&P->lx, 0);
	if (!lex_value(&P->lx)) {
		expected(P, "label value");
		goto fail;
	}
	th.value = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (duration(P, &th.seconds) == -1)
		goto fail;
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx)) {
		expected(P, "end of line");
		goto fail;
	}
	for (i = 0; i < d->nth; i++)
		if (strcmp(d->th[i].label, th.label) == 0 &&
		    strcmp(d->th[i].value, th.value) == 0) {
			char q[4 * FOUND_MAX + 4];

			lex_quote(q, th.value, strlen(th.value), FOUND_MAX);
			perr(P, at.line, at.col, "threshold %s=%s given twice",
			    th.label, q);
			goto fail;
		}
	d->th = xgrow(d->th, d->nth, sizeof(*d->th));
	pd->th = xgrow(pd->th, d->nth, sizeof(*pd->th));
	pd->th[d->nth] = at;
	d->th[d->nth++] = th;
	return 0;
fail:
	free(th.label);
	free(th.value);
	return -1;
}

static struct rule *
find_rule(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

/* rule NAME: opens a rule block. */
static int
stmt_rule(struct parser *P)
{
	struct load    *ld = P->ld;
	struct ruleset *rs = ld->rs;
	struct rule    *r, *o;
	struct pos	at;
	char	       *name;
	const char     *ofile = NULL;
	int		oline = 0;

	P->blk = BLK_BROKEN;
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD)
		return expected(P, "rule name");
	at.line = P->lx.tok.line;
	at.col = P->lx.tok.col;
	name = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx)) {
		free(name);
		return expected(P, "end of line");
	}
	if ((o = find_rule(rs, name)) != NULL) {
		ofile = o->file;
		oline = o->line;
	}
	rs->rules = xgrow(rs->rules, rs->nrules, sizeof(*rs->rules));
	ld->pr = xgrow(ld->pr, rs->nrules, sizeof(*ld->pr));
	r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	memset(&ld->pr[rs->nrules], 0, sizeof(ld->pr[0]));
	r->name = name;
	r->file = P->file;
	r->line = at.line;
	ld->pr[rs->nrules].col = at.col;
	P->cur = rs->nrules++;
	P->blk = BLK_RULE;
	if (ofile != NULL)
		return perr(P, at.line, at.col,
		    "rule '%s' already declared at "
		    "%s:%d",
		    name, ofile, oline);
	return 0;
}

/* prefilter "literal" */
static int
stmt_prefilter(struct parser *P)
{
	struct rule *r = &P->ld->rs->rules[P->cur];
	char	    *lit;

	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_STRING)
		return expected(P, "string");
	if (P->lx.sval.len == 0)
		return perr(P, P->lx.tok.line, P->lx.tok.col,
		    "empty prefilter");
	lit = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx)) {
		free(lit);
		return expected(P, "end of line");
	}
	pattern_prefilter(&r->plan, lit);
	return 0;
}

/*
 * Adds the named groups of pattern pi as captures of rule r, in group
 * order. A name another pattern of the rule already has is reported.
 */
static int
add_captures(struct parser *P, struct rule *r, size_t pi)
{
	struct pattern *p = &r->pats[pi];
	const char     *name;
	int		rc = 0, g = 0;
	size_t		j;

	while ((g = pattern_next_name(p->re, g, &name)) > 0) {
		for (j = 0; j < r->ncaps; j++)
			if (strcmp(r->caps[j].name, name) == 0)
				break;
		if (j < r->ncaps) {
			if (rc == 0)
				perr(P, p->line, p->col,
				    "capture '%s' is "
				    "already defined by the pattern at line %d",
				    name, r->pats[r->caps[j].pat].line);
			rc = -1;
			continue;
		}
		r->caps = xgrow(r->caps, r->ncaps, sizeof(*r->caps));
		r->caps[r->ncaps].name = xstrdup(name);
		r->caps[r->ncaps].pat = (int)pi;
		if (g == 1)
			p->cap = (int)r->ncaps;
		r->caps[r->ncaps].group = g;
		r->ncaps++;
	}
	return rc;
}

/*
 * match /REGEX/ | match FIELD /REGEX/ | optional ... likewise
 */
static int
stmt_pattern(struct parser *P, int optional)
{
	struct rule   *r = &P->ld->rs->rules[P->cur];
	struct pattern pat;

	memset(&pat, 0, sizeof(pat));
	pat.optional = optional;
	pat.cap = -1;
	lex_advance(&P->lx, LX_REGEX | LX_PATH);
	if (P->lx.tok.kind == T_PATH) {
		if (field_path(P, &pat.path) == -1)
			return -1;
		lex_advance(&P->lx, LX_REGEX);
		if (P->lx.tok.kind != T_REGEX) {
			expected(P, "regex");
			goto fail;
		}
	} else if (P->lx.tok.kind != T_REGEX)
		return expected(P, "field name or regex");
	pat.line = P->lx.tok.line;
	pat.col = P->lx.tok.col;
	if ((pat.re = compile_regex(P)) == NULL)
		goto fail;
	pat.src = xstrndup(P->lx.tok.s + 1, P->lx.tok.body);
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx)) {
		expected(P, "end of line");
		goto fail;
	}
	r->pats = xgrow(r->pats, r->npats, sizeof(*r->pats));
	r->pats[r->npats++] = pat;
	return add_captures(P, r, r->npats - 1);
fail:
	pattern_free(&pat);
	return -1;
}

/* Records a $name of the current rule; returns its index in refs. */
static int add_ref(struct parser *);

/*
 * rewrite $capture /REGEX/ "replacement"
 * The capture's reference index stands in cap until the rule is resolved.
 */
static int
stmt_rewrite(struct parser *P)
{
	struct rule   *r = &P->ld->rs->rules[P->cur];
	struct rewrite w;
	char	       msg[200];
	size_t	       off = 0;

	memset(&w, 0, sizeof(w));
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_CAP)
		return expected(P, "capture");
	w.line = P->lx.tok.line;
	w.col = P->lx.tok.col;
	w.cap = add_ref(P);
	lex_advance(&P->lx, LX_REGEX);
	if (P->lx.tok.kind != T_REGEX)
		return expected(P, "regex");
	if ((w.re = compile_regex(P)) == NULL)
		return -1;
	w.src = xstrndup(P->lx.tok.s + 1, P->lx.tok.body);
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_STRING) {
		expected(P, "replacement string");
		goto fail;
	}
	if (pattern_replacement(w.re, P->lx.sval.p, P->lx.sval.len, msg,
		sizeof(msg), &off) == -1) {
		perr(P, P->lx.tok.line, P->lx.tok.col, "%s", msg);
		goto fail;
	}
	w.repl = lex_dup(&P->lx);
	w.repllen = P->lx.sval.len;
	lex_advance(&P->lx, 0);
	if (!lex_at_eol(&P->lx)) {
		expected(P, "end of line");
		goto fail;
	}
	r->rws = xgrow(r->rws, r->nrws, sizeof(*r->rws));
	r->rws[r->nrws++] = w;
	return 0;
fail:
	pcre2_code_free(w.re);
	free(w.src);
	free(w.repl);
	return -1;
}

/* Records a $name of the current rule; returns its index in refs. */
static int
add_ref(struct parser *P)
{
	struct prule *pr = &P->ld->pr[P->cur];

	pr->refs = xgrow(pr->refs, pr->nrefs, sizeof(*pr->refs));
	pr->refs[pr->nrefs].name = xstrndup(P->lx.tok.s + 1, P->lx.tok.n - 1);
	pr->refs[pr->nrefs].line = P->lx.tok.line;
	pr->refs[pr->nrefs].col = P->lx.tok.col;
	return (int)pr->nrefs++;
}

static void
expr_push(struct expr *e, enum expr_op op, double num, int cap)
{
	e->n = xgrow(e->n, e->len, sizeof(*e->n));
	e->n[e->len].op = op;
	e->n[e->len].num = num;
	e->n[e->len].cap = cap;
	e->len++;
}

static int expr_level(struct parser *, struct expr *, int, int);

/* factor: NUMBER | $capture | @time | ( EXPR ) | - factor */
static int
expr_factor(struct parser *P, struct expr *e, int depth)
{
	if ((P->lx.tok.kind == T_LPAREN || P->lx.tok.kind == T_MINUS) &&
	    depth >= EXPR_MAX_DEPTH)
		return perr(P, P->lx.tok.line, P->lx.tok.col,
		    "expression nested "
		    "too deeply (at most %d levels)",
		    EXPR_MAX_DEPTH);
	switch (P->lx.tok.kind) {
	case T_NUMBER:
		expr_push(e, EXPR_NUM, P->lx.tok.num, 0);
		break;
	case T_CAP:
		expr_push(e, EXPR_CAP, 0, add_ref(P));
		break;
	case T_TIME:
		expr_push(e, EXPR_TIME, 0, 0);
		break;
	case T_LPAREN:
		lex_advance(&P->lx, 0);
		if (expr_level(P, e, depth + 1, 1) == -1)
			return -1;
		if (P->lx.tok.kind != T_RPAREN)
			return expected(P, "operator or ')'");
		break;
	case T_MINUS:
		lex_advance(&P->lx, 0);
		if (expr_factor(P, e, depth + 1) == -1)
			return -1;
		expr_push(e, EXPR_NEG, 0, 0);
		return 0;
	default:
		return expected(P, "number, $capture, @time, '(' or '-'");
	}
	lex_advance(&P->lx, 0);
	return 0;
}

/* The operator a token is at a level (1: + -, 0: * /), or -1. */
static int
binary_op(enum tok k, int level)
{
	if (level > 0)
		return k == T_PLUS ? EXPR_ADD : k == T_MINUS ? EXPR_SUB : -1;
	return k == T_STAR ? EXPR_MUL : k == T_SLASH ? EXPR_DIV : -1;
}

/* A factor at level 0, else the level below. */
static int
expr_operand(struct parser *P, struct expr *e, int depth, int level)
{
	if (level > 0)
		return expr_level(P, e, depth, level - 1);
	return expr_factor(P, e, depth);
}

/*
 * EXPR: term {(+|-) term} at level 1; term: factor {(*|/) factor} at
 * level 0. In reverse Polish notation into e.
 */
static int
expr_level(struct parser *P, struct expr *e, int depth, int level)
{
	int op;

	if (expr_operand(P, e, depth, level) == -1)
		return -1;
	while ((op = binary_op(P->lx.tok.kind, level)) != -1) {
		lex_advance(&P->lx, 0);
		if (expr_operand(P, e, depth, level) == -1)
			return -1;
		expr_push(e, (enum expr_op)op, 0, 0);
	}
	return 0;
}

static void
plabels_free(struct plabel *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].lit);
	}
	free(v);
}

/*
 * NAME=SRC, SRC a $capture, a string or a word, added to *v; what names
 * the kind of pair in errors. NAME is checked once resolved.
 */
static int
label_pair(struct parser *P, struct plabel **v, size_t *n, const char *what)
{
	struct plabel *pl;
	size_t	       i;

	*v = xgrow(*v, *n, sizeof(**v));
	pl = &(*v)[(*n)++];
	pl->name = lex_dup(&P->lx);
	pl->col = P->lx.tok.col;
	pl->ref = -1;
	pl->lit = NULL;
	for (i = 0; i + 1 < *n; i++)
		if (strcmp((*v)[i].name, pl->name) == 0)
			return perr(P, P->lx.tok.line, P->lx.tok.col,
			    "%s '%s' given twice", what, pl->name);
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_EQ)
		return expected(P, "'='");
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind == T_CAP)
		pl->ref = add_ref(P);
	else if (lex_value(&P->lx))
		pl->lit = lex_dup(&P->lx);
	else
		return expected(P, "$capture, string or word");
	lex_advance(&P->lx, 0);
	return 0;
}

/* if $CAP ==|!= VALUE, into a. */
static int
condition(struct parser *P, struct action *a)
{
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_CAP)
		return expected(P, "$capture");
	a->condcap = add_ref(P);
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_EQEQ && P->lx.tok.kind != T_NE)
		return expected(P, "'==' or '!='");
	a->cond = P->lx.tok.kind == T_EQEQ ? COND_EQ : COND_NE;
	lex_advance(&P->lx, 0);
	if (!lex_value(&P->lx))
		return expected(P, "string or word");
	a->condval = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	return 0;
}

/*
 * inc METRIC [LABEL=SRC ...] [exemplar NAME=SRC ...] [if COND]
 * add|set|observe METRIC EXPR [LABEL=SRC ...] [exemplar NAME=SRC ...]
 *     [if COND]
 * (the exemplar and the condition in either order)
 * The metric, its labels and the captures are resolved once the whole
 * ruleset is read.
 */
static int
stmt_action(struct parser *P, enum action_kind kind)
{
	struct rule  *r = &P->ld->rs->rules[P->cur];
	struct prule *pr = &P->ld->pr[P->cur];
	struct action a;
	struct pact   pa;

	memset(&a, 0, sizeof(a));
	memset(&pa, 0, sizeof(pa));
	a.kind = kind;
	a.file = P->file;
	a.line = P->lx.tok.line;
	a.col = P->lx.tok.col;
	a.condcap = -1;
	lex_advance(&P->lx, 0);
	if (P->lx.tok.kind != T_WORD)
		return expected(P, "metric name");
	pa.mcol = P->lx.tok.col;
	a.metric = lex_dup(&P->lx);
	lex_advance(&P->lx, 0);
	if (kind != ACT_INC && expr_level(P, &a.value, 0, 1) == -1)
		goto fail;
	while (P->lx.tok.kind == T_WORD && !lex_is(&P->lx, "if") &&
	    !lex_is(&P->lx, "exemplar"))
		if (label_pair(P, &pa.lab, &pa.nlab, "label") == -1)
			goto fail;
	/* "exemplar NAME=SRC ..." and "if COND", each once, in any order. */
	for (;;) {
		if (lex_is(&P->lx, "exemplar") && pa.excol == 0) {
			pa.excol = P->lx.tok.col;
			lex_advance(&P->lx, 0);
			if (P->lx.tok.kind != T_WORD || lex_is(&P->lx, "if")) {
				expected(P, "exemplar label");
				goto fail;
			}
			while (P->lx.tok.kind == T_WORD &&
			    !lex_is(&P->lx, "if") &&
			    !lex_is(&P->lx, "exemplar"))
				if (label_pair(P, &pa.ex, &pa.nex,
					"exemplar label") == -1)
					goto fail;
			continue;
		}
		if (lex_is(&P->lx, "if") && a.condcap < 0) {
			if (condition(P, &a) == -1)
				goto fail;
			continue;
		}
		break;
	}
	if (!lex_at_eol(&P->lx)) {
		if (pa.excol == 0 && a.condcap < 0)
			expected(P,
			    kind == ACT_INC ?
				"label, 'exemplar', 'if' or end of line" :
				"operator, label, 'exemplar', 'if' or end of "
				"line");
		else if (pa.excol == 0)
			expected(P, "'exemplar' or end of line");
		else if (a.condcap < 0)
			expected(P, "'if' or end of line");
		else
			expected(P, "end of line");
		goto fail;
	}
	r->acts = xgrow(r->acts, r->nacts, sizeof(*r->acts));
	pr->acts = xgrow(pr->acts, r->nacts, sizeof(*pr->acts));
	pr->acts[r->nacts] = pa;
	r->acts[r->nacts++] = a;
	return 0;
fail:
	free(a.metric);
	free(a.value.n);
	free(a.condval);
	plabels_free(pa.lab, pa.nlab);
	plabels_free(pa.ex, pa.nex);
	return -1;
}

/* One statement: the current token is its first. */
static int
statement(struct parser *P)
{
	const struct keyword *k;
	int		      in;

	k = lex_keyword(&P->lx.tok);
	if (k == NULL || k->where == 0)
		return expected(P, "statement");
	if (k->where & IN_TOP)
		P->blk = BLK_NONE;
	else {
		if (P->blk == BLK_BROKEN)
			return -1;
		in = P->blk == BLK_METRIC ? IN_METRIC :
		    P->blk == BLK_FRESH	  ? IN_FRESH :
		    P->blk == BLK_RULE	  ? IN_RULE :
					    0;
		if (!(k->where & in)) {
			if (k->where == (IN_METRIC | IN_FRESH))
				return perr(P, P->lx.tok.line, P->lx.tok.col,
				    "'%s' "
				    "outside a metric or freshness block",
				    k->name);
			if (k->where == IN_METRIC)
				return perr(P, P->lx.tok.line, P->lx.tok.col,
				    "'%s' "
				    "outside a counter, gauge or histogram "
				    "block",
				    k->name);
			if (k->where == IN_FRESH)
				return perr(P, P->lx.tok.line, P->lx.tok.col,
				    "'%s' "
				    "outside a freshness block",
				    k->name);
			return perr(P, P->lx.tok.line, P->lx.tok.col,
			    "'%s' outside "
			    "a rule block",
			    k->name);
		}
	}
	switch (k->kw) {
	case KW_LABEL:
		return stmt_label(P);
	case KW_TIMESTAMP:
		return stmt_timestamp(P);
	case KW_COUNTER:
		return stmt_metric(P, METRIC_COUNTER);
	case KW_GAUGE:
		return stmt_metric(P, METRIC_GAUGE);
	case KW_HISTOGRAM:
		return stmt_metric(P, METRIC_HISTOGRAM);
	case KW_FRESHNESS:
		return stmt_metric(P, METRIC_FRESHNESS);
	case KW_HELP:
		return stmt_help(P);
	case KW_LABELS:
		return stmt_labels(P);
	case KW_BUCKETS:
		return stmt_buckets(P);
	case KW_NATIVE:
		return stmt_native(P);
	case KW_NATIVE_FACTOR:
	case KW_NATIVE_MAX_BUCKETS:
	case KW_NATIVE_ZERO_THRESHOLD:
		return stmt_native_param(P, k->kw);
	case KW_SERIES:
		return stmt_series(P);
	case KW_STALE_AFTER:
		return stmt_block_duration(P, "stale_after", SEEN_STALE,
		    &P->ld->rs->decls[P->cur].stale_after);
	case KW_EXPIRE:
		return stmt_block_duration(P, "expire", SEEN_EXPIRE,
		    &P->ld->rs->decls[P->cur].expire);
	case KW_THRESHOLD:
		return stmt_threshold(P);
	case KW_RULE:
		return stmt_rule(P);
	case KW_PREFILTER:
		return stmt_prefilter(P);
	case KW_REWRITE:
		return stmt_rewrite(P);
	case KW_MATCH:
		return stmt_pattern(P, 0);
	case KW_OPTIONAL:
		return stmt_pattern(P, 1);
	case KW_INC:
		return stmt_action(P, ACT_INC);
	case KW_ADD:
		return stmt_action(P, ACT_ADD);
	case KW_SET:
		return stmt_action(P, ACT_SET);
	case KW_OBSERVE:
		return stmt_action(P, ACT_OBSERVE);
	default:
		return expected(P, "statement");
	}
}

/*
 * Marks the current block as holding a wrong line, so that the checks
 * that line would have satisfied do not add errors of their own.
 */
static void
block_broken(struct parser *P)
{
	if (P->blk == BLK_METRIC || P->blk == BLK_FRESH)
		P->ld->pd[P->cur].broken = 1;
	else if (P->blk == BLK_RULE)
		P->ld->pr[P->cur].broken = 1;
}

/* Parses one file's text into ld; errors go to ld. */
static void
parse_text(struct load *ld, const char *file, const char *text, size_t len)
{
	struct parser P;

	memset(&P, 0, sizeof(P));
	P.ld = ld;
	P.file = file;
	lex_init(&P.lx, text, len, lex_error, &P);
	lex_advance(&P.lx, 0);
	while (P.lx.tok.kind != T_EOF) {
		if (P.lx.tok.kind != T_EOL) {
			if (statement(&P) == -1 ||
			    (!lex_at_eol(&P.lx) &&
				expected(&P, "end of line") == -1)) {
				block_broken(&P);
				lex_skip_line(&P.lx);
			}
			if (P.lx.tok.kind == T_EOF)
				break;
		}
		lex_advance(&P.lx, 0);
	}
	lex_free(&P.lx);
}

/* Checks a freshness gauge against its source; copies the labels. */
static void
resolve_freshness(struct load *ld, size_t di)
{
	struct ruleset	   *rs = ld->rs;
	struct metric_decl *d = &rs->decls[di], *src;
	struct pdecl	   *pd = &ld->pd[di];
	size_t		    i;

	src = find_decl(rs, d->source);
	if (src == NULL) {
		lderr(ld, d->file, pd->src.line, pd->src.col,
		    "unknown gauge "
		    "'%s'",
		    d->source);
		return;
	}
	if (src->type != METRIC_GAUGE) {
		lderr(ld, d->file, pd->src.line, pd->src.col,
		    "'%s' is a %s, "
		    "not a gauge",
		    d->source, kind_name(src->type));
		return;
	}
	for (i = 0; i < d->nth && !ld->pd[src - rs->decls].broken; i++)
		if (find_str(src->labels, src->nlabels, d->th[i].label) < 0)
			lderr(ld, d->file, pd->th[i].line, pd->th[i].col,
			    "gauge '%s' has no label '%s'", d->source,
			    d->th[i].label);
	d->labels = xcalloc(src->nlabels, sizeof(*d->labels));
	d->nlabels = src->nlabels;
	for (i = 0; i < src->nlabels; i++)
		d->labels[i] = xstrdup(src->labels[i]);
}

static ssize_t
find_cap(const struct rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ncaps; i++)
		if (strcmp(r->caps[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/*
 * The exemplar of an action, on a counter or a histogram: its label
 * names checked, its sources resolved as map says.
 */
static void
resolve_exemplar(struct load *ld, struct action *a, struct pact *pa,
    const struct metric_decl *d, const int *map)
{
	struct plabel *pl;
	size_t	       i;

	if (pa->nex == 0)
		return;
	if (d->type != METRIC_COUNTER && d->type != METRIC_HISTOGRAM) {
		lderr(ld, a->file, a->line, pa->excol,
		    "exemplars go on counters and histograms: '%s' is a %s",
		    a->metric, kind_name(d->type));
		return;
	}
	for (i = 0; i < pa->nex; i++)
		if (label_name_check(pa->ex[i].name, METRIC_COUNTER) !=
		    NAME_OK) {
			lderr(ld, a->file, a->line, pa->ex[i].col,
			    "'%s' is not a valid exemplar label name",
			    pa->ex[i].name);
			return;
		}
	a->ex = xcalloc(pa->nex, sizeof(*a->ex));
	a->nex = pa->nex;
	for (i = 0; i < pa->nex; i++) {
		pl = &pa->ex[i];
		a->ex[i].name = xstrdup(pl->name);
		a->ex[i].src.cap = pl->ref >= 0 ? map[pl->ref] : -1;
		a->ex[i].src.lit = pl->lit;
		pl->lit = NULL;
	}
}

/*
 * Resolves one action: its metric and kind, then a value for every label
 * of the metric, in the metric's order. map turns ref indexes into
 * capture indexes (-1: unknown). quiet: the rule has a wrong line, so a
 * missing capture is not reported.
 */
static void
resolve_action(struct load *ld, struct rule *r, struct action *a,
    struct pact *pa, const int *map, int quiet)
{
	struct ruleset	   *rs = ld->rs;
	struct metric_decl *d;
	struct plabel	   *pl;
	const char	   *need = NULL;
	size_t		    i, j;
	ssize_t		    c;
	int		    bad = 0;

	if ((d = find_decl(rs, a->metric)) == NULL) {
		lderr(ld, a->file, a->line, pa->mcol, "unknown metric '%s'",
		    a->metric);
		return;
	}
	if (d->type == METRIC_FRESHNESS) {
		lderr(ld, a->file, a->line, pa->mcol,
		    "'%s' is a freshness "
		    "gauge, computed from '%s': no action may change it",
		    a->metric, d->source);
		return;
	}
	switch (a->kind) {
	case ACT_INC:
	case ACT_ADD:
		if (d->type != METRIC_COUNTER && d->type != METRIC_GAUGE)
			need = a->kind == ACT_INC ?
			    "inc needs a counter or a "
			    "gauge" :
			    "add needs a counter or a gauge";
		break;
	case ACT_SET:
		if (d->type != METRIC_GAUGE)
			need = "set needs a gauge";
		break;
	case ACT_OBSERVE:
		if (d->type != METRIC_HISTOGRAM)
			need = "observe needs a histogram";
		break;
	}
	if (need != NULL) {
		lderr(ld, a->file, a->line, pa->mcol, "%s: '%s' is a %s", need,
		    a->metric, kind_name(d->type));
		return;
	}
	if (ld->pd[d - rs->decls].broken)
		return;
	for (i = 0; i < pa->nlab; i++) {
		pl = &pa->lab[i];
		if (find_str(d->labels, d->nlabels, pl->name) >= 0)
			continue;
		bad = 1;
		if (find_deflabel(rs, pl->name) != NULL)
			lderr(ld, a->file, a->line, pl->col,
			    "'%s' is a "
			    "default label: a rule cannot set it",
			    pl->name);
		else
			lderr(ld, a->file, a->line, pl->col,
			    "metric '%s' has "
			    "no label '%s'",
			    a->metric, pl->name);
	}
	if (bad)
		return;
	a->labels = xcalloc(d->nlabels, sizeof(*a->labels));
	a->nlabels = d->nlabels;
	for (j = 0; j < d->nlabels; j++) {
		a->labels[j].cap = -1;
		for (i = 0; i < pa->nlab; i++)
			if (strcmp(pa->lab[i].name, d->labels[j]) == 0)
				break;
		if (i < pa->nlab) {
			pl = &pa->lab[i];
			if (pl->ref >= 0)
				a->labels[j].cap = map[pl->ref];
			else {
				a->labels[j].lit = pl->lit;
				pl->lit = NULL;
			}
			continue;
		}
		if ((c = find_cap(r, d->labels[j])) >= 0) {
			a->labels[j].cap = (int)c;
			continue;
		}
		a->labels[j].lit = xstrdup("");
		if (quiet)
			continue;
		lderr(ld, a->file, a->line, a->col,
		    "label '%s' of metric '%s' "
		    "has no value: no capture named '%s' in rule '%s'; write "
		    "%s=$capture",
		    d->labels[j], a->metric, d->labels[j], r->name,
		    d->labels[j]);
	}
	resolve_exemplar(ld, a, pa, d, map);
}

/*
 * Resolves a rule: its capture references, its actions, and its automatic
 * prefilters; checks it has a required pattern and an action. A rule with
 * a wrong line is not told what that line may have held.
 */
static void
resolve_rule(struct load *ld, size_t ri)
{
	struct rule   *r = &ld->rs->rules[ri];
	struct prule  *pr = &ld->pr[ri];
	struct action *a;
	size_t	       i, j;
	ssize_t	       c;
	int	      *map, required = 0;

	for (i = 0; i < r->npats; i++)
		if (!r->pats[i].optional)
			required = 1;
	if (!required && !pr->broken)
		lderr(ld, r->file, r->line, pr->col,
		    "rule '%s' has no "
		    "required pattern: add a match statement",
		    r->name);
	if (r->nacts == 0 && !pr->broken)
		lderr(ld, r->file, r->line, pr->col, "rule '%s' has no action",
		    r->name);
	map = xcalloc(pr->nrefs, sizeof(*map));
	for (i = 0; i < pr->nrefs; i++) {
		c = find_cap(r, pr->refs[i].name);
		map[i] = (int)c;
		if (c < 0 && !pr->broken)
			lderr(ld, r->file, pr->refs[i].line, pr->refs[i].col,
			    "unknown capture '$%s' in rule '%s'",
			    pr->refs[i].name, r->name);
	}
	for (i = 0; i < r->nacts; i++) {
		a = &r->acts[i];
		for (j = 0; j < a->value.len; j++)
			if (a->value.n[j].op == EXPR_CAP)
				a->value.n[j].cap = map[a->value.n[j].cap];
		if (a->cond != COND_NONE)
			a->condcap = map[a->condcap];
		resolve_action(ld, r, a, &pr->acts[i], map, pr->broken);
	}
	for (i = 0; i < r->nrws; i++)
		r->rws[i].cap = map[r->rws[i].cap];
	free(map);
	pattern_plan(&r->plan, r->pats, r->npats);
}

static void
load_free(struct load *ld)
{
	size_t i, j;

	if (ld->rs != NULL) {
		for (i = 0; i < ld->rs->ndecls; i++)
			free(ld->pd[i].th);
		for (i = 0; i < ld->rs->nrules; i++) {
			for (j = 0; j < ld->pr[i].nrefs; j++)
				free(ld->pr[i].refs[j].name);
			free(ld->pr[i].refs);
			for (j = 0; j < ld->rs->rules[i].nacts; j++) {
				plabels_free(ld->pr[i].acts[j].lab,
				    ld->pr[i].acts[j].nlab);
				plabels_free(ld->pr[i].acts[j].ex,
				    ld->pr[i].acts[j].nex);
			}
			free(ld->pr[i].acts);
		}
	}
	free(ld->pd);
	free(ld->pr);
	buf_free(&ld->errs);
	buf_free(&ld->warns);
}

static void
load_init(struct load *ld, size_t errlen)
{
	memset(ld, 0, sizeof(*ld));
	ld->rs = xcalloc(1, sizeof(*ld->rs));
	buf_init(&ld->errs);
	buf_init(&ld->warns);
	ld->errmax = errlen;
}

/* Keeps a copy of a file name for the ruleset; returns it. */
static const char *
add_file(struct ruleset *rs, const char *name)
{
	rs->files = xgrow(rs->files, rs->nfiles, sizeof(*rs->files));
	rs->files[rs->nfiles] = xstrdup(name);
	return rs->files[rs->nfiles++];
}

/*
 * Ends a load: resolution, the empty check, then either the ruleset or
 * NULL with every message in err. what names the input for the empty
 * check. Frees ld.
 */
static struct ruleset *
load_finish(struct load *ld, const char *what, char *err, size_t errlen)
{
	struct ruleset *rs = ld->rs;
	size_t		i;

	for (i = 0; i < rs->ndecls; i++)
		if (rs->decls[i].type == METRIC_FRESHNESS)
			resolve_freshness(ld, i);
	for (i = 0; i < rs->nrules; i++)
		resolve_rule(ld, i);
	if (ld->nerr == 0 && rs->ndecls == 0 && rs->nrules == 0)
		lderr(ld, NULL, 0, 0, "%s: no metric and no rule declared",
		    what);
	if (errlen > 0) {
		if (ld->nerr > 0)
			snprintf(err, errlen, "%s", ld->errs.p);
		else
			err[0] = '\0';
	}
	if (ld->nerr > 0) {
		load_free(ld);
		rules_free(rs);
		return NULL;
	}
	if (ld->warns.len > 0)
		rs->warnings = buf_release(&ld->warns);
	load_free(ld);
	return rs;
}

struct ruleset *
rules_parse(const char *name, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct load ld;

	load_init(&ld, errlen);
	parse_text(&ld, add_file(ld.rs, name), text, len);
	return load_finish(&ld, name, err, errlen);
}

static void
load_file(struct load *ld, const char *path)
{
	struct buf b;

	buf_init(&b);
	if (read_file(path, 0, 0, &b, NULL) == -1)
		lderr(ld, NULL, 0, 0, "%s: %s", path, strerror(errno));
	else
		parse_text(ld, add_file(ld->rs, path), b.p, b.len);
	buf_free(&b);
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of a directory's "*.rules" entries (not hidden), in name
 * order, into *names (owned by the caller). Returns how many, or -1 when
 * it cannot be read (errno set).
 */
static ssize_t
rules_names(const char *dir, char ***names)
{
	DIR	      *dp;
	struct dirent *de;
	size_t	       n = 0, len;

	*names = NULL;
	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 6 ||
		    strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		*names = xgrow(*names, n, sizeof(**names));
		(*names)[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(*names, n, sizeof(**names), namecmp);
	return (ssize_t)n;
}

/* A directory's "*.rules" regular files, in name order, not recursive. */
static void
load_dir(struct load *ld, const char *dir)
{
	struct stat st;
	struct buf  path;
	char	  **names;
	ssize_t	    got;
	size_t	    n, i;

	if ((got = rules_names(dir, &names)) == -1) {
		lderr(ld, NULL, 0, 0, "%s: %s", dir, strerror(errno));
		return;
	}
	n = (size_t)got;
	buf_init(&path);
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s%s%s", dir,
		    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
		    names[i]);
		if (stat(path.p, &st) == 0 && !S_ISREG(st.st_mode))
			continue;
		load_file(ld, path.p);
	}
	buf_free(&path);
	strv_free(names, n);
}

/* One record of rules_stamp(): path and its stamp. */
static void
stamp_one(struct buf *out, const char *path, struct file_stamp *st)
{
	file_stamp(path, st);
	buf_puts(out, path);
	buf_putc(out, '\0');
	buf_append(out, st, sizeof(*st));
}

void
rules_stamp(const char *const *paths, size_t npaths, struct buf *out)
{
	struct file_stamp st, fst;
	struct buf	  path;
	char		**names;
	ssize_t		  got;
	size_t		  i, j, n;

	buf_init(&path);
	for (i = 0; i < npaths; i++) {
		stamp_one(out, paths[i], &st);
		if (!st.dir || (got = rules_names(paths[i], &names)) == -1)
			continue;
		n = (size_t)got;
		for (j = 0; j < n; j++) {
			buf_reset(&path);
			buf_printf(&path, "%s/%s", paths[i], names[j]);
			stamp_one(out, path.p, &fst);
		}
		strv_free(names, n);
	}
	buf_free(&path);
}

struct ruleset *
rules_load(const char *const *paths, size_t npaths, char *err, size_t errlen)
{
	struct load	ld;
	struct stat	st;
	struct buf	what;
	struct ruleset *rs;
	size_t		i;

	load_init(&ld, errlen);
	buf_init(&what);
	for (i = 0; i < npaths; i++) {
		buf_printf(&what, "%s%s", i ? ", " : "", paths[i]);
		if (stat(paths[i], &st) == -1)
			lderr(&ld, NULL, 0, 0, "%s: %s", paths[i],
			    strerror(errno));
		else if (S_ISDIR(st.st_mode))
			load_dir(&ld, paths[i]);
		else
			load_file(&ld, paths[i]);
	}
	rs = load_finish(&ld, npaths ? what.p : "(no path)", err, errlen);
	buf_free(&what);
	return rs;
}

static void
decl_free(struct metric_decl *d)
{
	size_t i;

	free(d->name);
	free(d->help);
	strv_free(d->labels, d->nlabels);
	free(d->buckets);
	strv_free(d->initial, d->ninitial * d->nlabels);
	free(d->source);
	for (i = 0; i < d->nth; i++) {
		free(d->th[i].label);
		free(d->th[i].value);
	}
	free(d->th);
}

static void
rule_free(struct rule *r)
{
	struct action *a;
	size_t	       i, j;

	free(r->name);
	for (i = 0; i < r->npats; i++)
		pattern_free(&r->pats[i]);
	free(r->pats);
	for (i = 0; i < r->ncaps; i++)
		free(r->caps[i].name);
	free(r->caps);
	for (i = 0; i < r->nrws; i++) {
		pcre2_code_free(r->rws[i].re);
		free(r->rws[i].src);
		free(r->rws[i].repl);
	}
	free(r->rws);
	plan_free(&r->plan);
	for (i = 0; i < r->nacts; i++) {
		a = &r->acts[i];
		free(a->metric);
		free(a->value.n);
		for (j = 0; j < a->nlabels; j++)
			free(a->labels[j].lit);
		free(a->labels);
		for (j = 0; j < a->nex; j++) {
			free(a->ex[j].name);
			free(a->ex[j].src.lit);
		}
		free(a->ex);
		free(a->condval);
	}
	free(r->acts);
}

void
rules_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->ndecls; i++)
		decl_free(&rs->decls[i]);
	free(rs->decls);
	for (i = 0; i < rs->nlabels; i++)
		deflabel_free(&rs->labels[i]);
	free(rs->labels);
	for (i = 0; i < rs->nts; i++) {
		pattern_path_free(&rs->ts[i].path);
		pcre2_code_free(rs->ts[i].re);
	}
	free(rs->ts);
	for (i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	strv_free(rs->files, rs->nfiles);
	free(rs->warnings);
	free(rs);
}
