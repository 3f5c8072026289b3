/*
 * rules.c: the rules language (man/logmetrics.rules.5). A hand-written
 * lexer that knows each token's line and column, a recursive-descent
 * parser with one token of lookahead, and a resolution pass once every
 * file of a ruleset is read: metrics used by actions, captures, labels and
 * freshness sources may be declared anywhere in the ruleset.
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

#include "rules.h"
#include "util.h"

#define NAME_MAX_LEN   255   /* words, numbers, field names */
#define TEXT_MAX_LEN   65536 /* strings and regexes */
#define EXPR_MAX_DEPTH 64    /* nested parentheses and minus signs */
#define FOUND_MAX      32    /* bytes of a token shown in messages */
#define STALE_DEFAULT  300.0 /* stale_after when absent: 5m */

#define IS_ALPHA(c) ((unsigned char)(((c) | 0x20) - 'a') < 26)
#define IS_DIGIT(c) ((unsigned char)((c) - '0') < 10)
#define IS_WORD0(c) (IS_ALPHA(c) || (c) == '_')
#define IS_IDENT(c) (IS_WORD0(c) || IS_DIGIT(c))
#define IS_WORD(c)  (IS_IDENT(c) || (c) == '.' || (c) == ':' || (c) == '-')

enum tok {
	T_EOF = 0,
	T_EOL,
	T_ERROR, /* a lexical error, already reported */
	T_WORD,
	T_BARE, /* a word that starts with a digit: 2xx, 1.2.3 */
	T_NUMBER,
	T_DURATION,
	T_STRING,
	T_REGEX,
	T_CAP,	/* $name */
	T_TIME, /* @time */
	T_STAR,
	T_EQ,
	T_EQEQ,
	T_NE,
	T_PLUS,
	T_MINUS,
	T_SLASH,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
};

/* What the lexer may read next besides the ordinary tokens. */
#define LX_REGEX  0x01 /* a '/' opens a regex */
#define LX_SIGNED 0x02 /* a sign sticks to the number after it */

struct token {
	enum tok    kind;
	const char *s; /* raw text in the source */
	size_t	    n;
	size_t	    body; /* regex: bytes between the slashes */
	int	    line;
	int	    col;
	double	    num;   /* number; duration in seconds */
	uint32_t    flags; /* regex: PCRE2 options */
};

enum kw {
	KW_NONE = 0,
	KW_ADD,
	KW_BUCKETS,
	KW_COUNTER,
	KW_ENV,
	KW_EXPIRE,
	KW_FRESHNESS,
	KW_GAUGE,
	KW_HELP,
	KW_HISTOGRAM,
	KW_IF,
	KW_INC,
	KW_LABEL,
	KW_LABELS,
	KW_MAP,
	KW_MATCH,
	KW_OBSERVE,
	KW_OF,
	KW_OPTIONAL,
	KW_PREFILTER,
	KW_RULE,
	KW_SERIES,
	KW_SET,
	KW_STALE_AFTER,
	KW_THRESHOLD,
	KW_TIMESTAMP,
};

/* Where a statement keyword may stand. */
#define IN_TOP	  0x01
#define IN_METRIC 0x02
#define IN_FRESH  0x04
#define IN_RULE	  0x08

/* Every keyword of the language, sorted by name for bsearch. */
static const struct keyword {
	const char *name;
	enum kw	    kw;
	int	    where;
} keywords[] = {
	{ "add", KW_ADD, IN_RULE },
	{ "buckets", KW_BUCKETS, IN_METRIC },
	{ "counter", KW_COUNTER, IN_TOP },
	{ "env", KW_ENV, 0 },
	{ "expire", KW_EXPIRE, IN_METRIC },
	{ "freshness", KW_FRESHNESS, IN_TOP },
	{ "gauge", KW_GAUGE, IN_TOP },
	{ "help", KW_HELP, IN_METRIC | IN_FRESH },
	{ "histogram", KW_HISTOGRAM, IN_TOP },
	{ "if", KW_IF, 0 },
	{ "inc", KW_INC, IN_RULE },
	{ "label", KW_LABEL, IN_TOP },
	{ "labels", KW_LABELS, IN_METRIC },
	{ "map", KW_MAP, 0 },
	{ "match", KW_MATCH, IN_RULE },
	{ "observe", KW_OBSERVE, IN_RULE },
	{ "of", KW_OF, 0 },
	{ "optional", KW_OPTIONAL, IN_RULE },
	{ "prefilter", KW_PREFILTER, IN_RULE },
	{ "rule", KW_RULE, IN_TOP },
	{ "series", KW_SERIES, IN_METRIC },
	{ "set", KW_SET, IN_RULE },
	{ "stale_after", KW_STALE_AFTER, IN_FRESH },
	{ "threshold", KW_THRESHOLD, IN_FRESH },
	{ "timestamp", KW_TIMESTAMP, IN_TOP },
};

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
};

/* One file being parsed. */
struct parser {
	struct load *ld;
	const char  *file;
	const char  *p; /* the lexer's cursor */
	const char  *end;
	const char  *bol; /* where the cursor's line begins */
	int	     line;
	struct token tok;
	struct buf   sval; /* the current string or regex, unescaped */
	enum block   blk;
	size_t	     cur; /* the block's decl or rule */
};

static void vlderr(struct load *, const char *, int, int, const char *, va_list)
    __attribute__((format(printf, 5, 0)));
static void lderr(struct load *, const char *, int, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));
static int perr(struct parser *, int, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Grows an array that is filled one element at a time: called before
 * element n is stored, it doubles the room when n is 0 or a power of two.
 */
static void *
grow(void *p, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		return xreallocarray(p, n ? n * 2 : 1, size);
	return p;
}

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

/*
 * Writes at most max bytes of s into out for a message: printable ASCII
 * as is, other bytes as \xNN, "..." when cut. out holds 4 * max + 4.
 */
static void
quote_bytes(char *out, const char *s, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t		  i;
	unsigned char	  c;

	for (i = 0; i < n && i < max; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			*out++ = (char)c;
		else {
			*out++ = '\\';
			*out++ = 'x';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	if (n > max) {
		memcpy(out, "...", 3);
		out += 3;
	}
	*out = '\0';
}

/* How a token is named after "found" in a message. */
static void
describe(const struct token *t, char *out, size_t outlen)
{
	char q[4 * FOUND_MAX + 4];

	if (t->kind == T_EOF || t->kind == T_EOL) {
		snprintf(out, outlen, "end of line");
		return;
	}
	quote_bytes(q, t->s, t->n, FOUND_MAX);
	if (t->kind == T_STRING)
		snprintf(out, outlen, "string %s", q);
	else if (t->kind == T_REGEX)
		snprintf(out, outlen, "regex %s", q);
	else
		snprintf(out, outlen, "'%s'", q);
}

/* Reports "expected what, found <token>" unless the lexer already did. */
static int
expected(struct parser *P, const char *what)
{
	char found[4 * FOUND_MAX + 16];

	if (P->tok.kind == T_ERROR)
		return -1;
	describe(&P->tok, found, sizeof(found));
	return perr(P, P->tok.line, P->tok.col, "expected %s, found %s", what,
	    found);
}

/* Turns the current token into a lexical error at line:col. */
static void lexerr(struct parser *P, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
lexerr(struct parser *P, int line, int col, const char *fmt, ...)
{
	va_list ap;

	P->tok.kind = T_ERROR;
	va_start(ap, fmt);
	vlderr(P->ld, P->file, line, col, fmt, ap);
	va_end(ap);
}

static int
colof(const struct parser *P, const char *p)
{
	return (int)(p - P->bol) + 1;
}

/*
 * A number at p (a sign first when signed): digits, a fraction, an
 * exponent, then a unit makes it a duration, any other word characters a
 * bare word (a label value such as 2xx).
 */
static void
lex_number(struct parser *P, const char *p)
{
	struct token *t = &P->tok;
	const char   *end = P->end, *q, *numend;
	char	      tmp[NAME_MAX_LEN + 1];
	size_t	      ulen;
	double	      unit = 0;

	q = p;
	if (*q == '+' || *q == '-')
		q++;
	while (q < end && IS_DIGIT(*q))
		q++;
	if (q + 1 < end && *q == '.' && IS_DIGIT(q[1]))
		for (q++; q < end && IS_DIGIT(*q); q++)
			;
	if (q < end && (*q == 'e' || *q == 'E')) {
		const char *r = q + 1;

		if (r < end && (*r == '+' || *r == '-'))
			r++;
		if (r < end && IS_DIGIT(*r))
			for (q = r; q < end && IS_DIGIT(*q); q++)
				;
	}
	numend = q;
	while (q < end && (IS_IDENT(*q) || *q == '.' || *q == ':'))
		q++;
	P->p = q;
	t->n = (size_t)(q - t->s);
	if (t->n > NAME_MAX_LEN) {
		lexerr(P, t->line, t->col,
		    "number too long (%zu bytes, at "
		    "most %d)",
		    t->n, NAME_MAX_LEN);
		return;
	}
	ulen = (size_t)(q - numend);
	if (ulen == 0)
		t->kind = T_NUMBER;
	else if (ulen == 2 && memcmp(numend, "ms", 2) == 0)
		unit = 0.001;
	else if (ulen == 1 && *numend == 's')
		unit = 1;
	else if (ulen == 1 && *numend == 'm')
		unit = 60;
	else if (ulen == 1 && *numend == 'h')
		unit = 3600;
	else if (ulen == 1 && *numend == 'd')
		unit = 86400;
	else {
		t->kind = T_BARE;
		return;
	}
	if (unit != 0)
		t->kind = T_DURATION;
	memcpy(tmp, t->s, (size_t)(numend - t->s));
	tmp[numend - t->s] = '\0';
	errno = 0;
	t->num = strtod(tmp, NULL);
	if (unit != 0)
		t->num *= unit;
	if (errno == ERANGE || !isfinite(t->num)) {
		char q2[4 * FOUND_MAX + 4];

		quote_bytes(q2, t->s, t->n, FOUND_MAX);
		lexerr(P, t->line, t->col, "number out of range: '%s'", q2);
	}
}

/* A string at p: escapes \\ \" \n \t, on one line. */
static void
lex_string(struct parser *P, const char *p)
{
	struct token *t = &P->tok;
	const char   *end = P->end;
	char	      q[8];
	int	      c;

	buf_reset(&P->sval);
	buf_reserve(&P->sval, 0);
	for (p++;;) {
		if (p == end || *p == '\n') {
			P->p = p;
			lexerr(P, t->line, t->col, "unterminated string");
			return;
		}
		c = (unsigned char)*p;
		if (c == '"') {
			p++;
			break;
		}
		if (c == '\0') {
			P->p = p + 1;
			lexerr(P, t->line, colof(P, p), "NUL byte in string");
			return;
		}
		if (c == '\\') {
			if (p + 1 == end || p[1] == '\n') {
				P->p = p + 1;
				lexerr(P, t->line, t->col,
				    "unterminated string");
				return;
			}
			switch (p[1]) {
			case '\\':
			case '"':
				c = p[1];
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			default:
				quote_bytes(q, p + 1, 1, 1);
				P->p = p + 2;
				lexerr(P, t->line, colof(P, p),
				    "invalid "
				    "escape '\\%s' in string",
				    q);
				return;
			}
			p++;
		}
		buf_putc(&P->sval, c);
		p++;
		if (P->sval.len > TEXT_MAX_LEN) {
			P->p = p;
			lexerr(P, t->line, t->col,
			    "string too long (at most "
			    "%d bytes)",
			    TEXT_MAX_LEN);
			return;
		}
	}
	P->p = p;
	t->kind = T_STRING;
	t->n = (size_t)(p - t->s);
}

/* A regex at p: /.../FLAGS, where \/ is a slash. */
static void
lex_regex(struct parser *P, const char *p)
{
	struct token *t = &P->tok;
	const char   *end = P->end;
	char	      q[8];

	buf_reset(&P->sval);
	buf_reserve(&P->sval, 0);
	for (p++;;) {
		if (p == end || *p == '\n') {
			P->p = p;
			lexerr(P, t->line, t->col, "unterminated regex");
			return;
		}
		if (*p == '/')
			break;
		if (*p == '\0') {
			P->p = p + 1;
			lexerr(P, t->line, colof(P, p), "NUL byte in regex");
			return;
		}
		if (*p == '\\') {
			if (p + 1 == end || p[1] == '\n') {
				P->p = p + 1;
				lexerr(P, t->line, t->col,
				    "unterminated regex");
				return;
			}
			if (p[1] == '\0') {
				P->p = p + 2;
				lexerr(P, t->line, colof(P, p + 1),
				    "NUL byte in regex");
				return;
			}
			/* \/ is the slash; any other pair is PCRE2's. */
			if (p[1] != '/')
				buf_putc(&P->sval, '\\');
			buf_putc(&P->sval, p[1]);
			p += 2;
		} else
			buf_putc(&P->sval, *p++);
		if (P->sval.len > TEXT_MAX_LEN) {
			P->p = p;
			lexerr(P, t->line, t->col,
			    "regex too long (at most "
			    "%d bytes)",
			    TEXT_MAX_LEN);
			return;
		}
	}
	t->body = (size_t)(p - t->s) - 1;
	t->flags = 0;
	for (p++; p < end && IS_ALPHA(*p); p++) {
		if (*p == 'i')
			t->flags |= PCRE2_CASELESS;
		else if (*p == 's')
			t->flags |= PCRE2_DOTALL;
		else if (*p == 'x')
			t->flags |= PCRE2_EXTENDED;
		else if (*p == 'm')
			t->flags |= PCRE2_MULTILINE;
		else {
			quote_bytes(q, p, 1, 1);
			P->p = p + 1;
			lexerr(P, t->line, colof(P, p),
			    "unknown regex flag "
			    "'%s': expected i, s, x or m",
			    q);
			return;
		}
	}
	P->p = p;
	t->kind = T_REGEX;
	t->n = (size_t)(p - t->s);
}

/*
 * Reads the next token into P->tok. mode says whether a '/' opens a regex
 * and whether a sign belongs to the number after it. Lexical errors are
 * reported here and leave a T_ERROR token.
 */
static void
advance(struct parser *P, int mode)
{
	struct token *t = &P->tok;
	const char   *p = P->p, *end = P->end;
	char	      q[4 * FOUND_MAX + 4];
	unsigned char c;

	while (p < end &&
	    (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v'))
		p++;
	t->s = p;
	t->n = 0;
	t->line = P->line;
	t->col = colof(P, p);
	t->num = 0;
	if (p < end && *p == '#')
		while (p < end && *p != '\n')
			p++;
	if (p == end) {
		P->p = p;
		t->kind = T_EOF;
		return;
	}
	c = (unsigned char)*p;
	if (c == '\n') {
		t->kind = T_EOL;
		P->p = P->bol = p + 1;
		P->line++;
		return;
	}
	if ((mode & LX_REGEX) && c == '/') {
		lex_regex(P, p);
		return;
	}
	if (IS_WORD0(c)) {
		while (p < end && IS_WORD(*p))
			p++;
		P->p = p;
		t->kind = T_WORD;
		t->n = (size_t)(p - t->s);
		if (t->n > NAME_MAX_LEN)
			lexerr(P, t->line, t->col,
			    "word too long (%zu bytes, "
			    "at most %d)",
			    t->n, NAME_MAX_LEN);
		return;
	}
	if (IS_DIGIT(c) || (c == '.' && p + 1 < end && IS_DIGIT(p[1])) ||
	    ((mode & LX_SIGNED) && (c == '-' || c == '+') && p + 1 < end &&
		(IS_DIGIT(p[1]) ||
		    (p[1] == '.' && p + 2 < end && IS_DIGIT(p[2]))))) {
		lex_number(P, p);
		return;
	}
	if (c == '"') {
		lex_string(P, p);
		return;
	}
	if (c == '$' || c == '@') {
		for (p++; p < end && IS_IDENT(*p); p++)
			;
		P->p = p;
		t->n = (size_t)(p - t->s);
		if (c == '$' && (t->n == 1 || IS_DIGIT(t->s[1])))
			lexerr(P, t->line, t->col,
			    "expected capture name "
			    "after '$'");
		else if (t->n > NAME_MAX_LEN + 1)
			lexerr(P, t->line, t->col,
			    "word too long (%zu bytes, "
			    "at most %d)",
			    t->n - 1, NAME_MAX_LEN);
		else if (c == '$')
			t->kind = T_CAP;
		else if (t->n == 5 && memcmp(t->s, "@time", 5) == 0)
			t->kind = T_TIME;
		else {
			quote_bytes(q, t->s, t->n, FOUND_MAX);
			lexerr(P, t->line, t->col,
			    "unknown variable '%s': "
			    "the only one is @time",
			    q);
		}
		return;
	}
	P->p = p + 1;
	t->n = 1;
	switch (c) {
	case '*':
		t->kind = T_STAR;
		return;
	case '=':
		t->kind = T_EQ;
		if (p + 1 < end && p[1] == '=') {
			t->kind = T_EQEQ;
			t->n = 2;
			P->p = p + 2;
		}
		return;
	case '!':
		if (p + 1 < end && p[1] == '=') {
			t->kind = T_NE;
			t->n = 2;
			P->p = p + 2;
			return;
		}
		break;
	case '+':
		t->kind = T_PLUS;
		return;
	case '-':
		t->kind = T_MINUS;
		return;
	case '/':
		t->kind = T_SLASH;
		return;
	case '(':
		t->kind = T_LPAREN;
		return;
	case ')':
		t->kind = T_RPAREN;
		return;
	case ',':
		t->kind = T_COMMA;
		return;
	}
	if (c >= 0x20 && c < 0x7f)
		lexerr(P, t->line, t->col, "unexpected character '%c'", c);
	else
		lexerr(P, t->line, t->col, "unexpected byte 0x%02x", c);
}

/* After an error: drops the rest of the line. */
static void
skip_line(struct parser *P)
{
	const char *p;

	if (P->tok.kind == T_EOL || P->tok.kind == T_EOF)
		return;
	p = memchr(P->p, '\n', (size_t)(P->end - P->p));
	if (p == NULL) {
		P->p = P->end;
		P->tok.kind = T_EOF;
		return;
	}
	P->p = P->bol = p + 1;
	P->line++;
	P->tok.kind = T_EOL;
}

static int
at_eol(const struct parser *P)
{
	return P->tok.kind == T_EOL || P->tok.kind == T_EOF;
}

static int
tok_is(const struct parser *P, const char *word)
{
	size_t n = strlen(word);

	return P->tok.kind == T_WORD && P->tok.n == n &&
	    memcmp(P->tok.s, word, n) == 0;
}

/* A token that can stand for a literal value: word, number or string. */
static int
tok_value(const struct parser *P)
{
	switch (P->tok.kind) {
	case T_WORD:
	case T_BARE:
	case T_NUMBER:
	case T_DURATION:
	case T_STRING:
		return 1;
	default:
		return 0;
	}
}

/* The current value token as a new string (a string unescaped). */
static char *
tok_dup(const struct parser *P)
{
	if (P->tok.kind == T_STRING)
		return xstrndup(P->sval.p, P->sval.len);
	return xstrndup(P->tok.s, P->tok.n);
}

static int
kwcmp(const void *key, const void *elem)
{
	const struct token   *t = key;
	const struct keyword *k = elem;
	int		      c;

	c = strncmp(t->s, k->name, t->n);
	if (c != 0)
		return c;
	return k->name[t->n] == '\0' ? 0 : -1;
}

static const struct keyword *
keyword(const struct token *t)
{
	if (t->kind != T_WORD)
		return NULL;
	return bsearch(t, keywords, NELEM(keywords), sizeof(keywords[0]),
	    kwcmp);
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
	char	       *name, *value = NULL, *key;
	const char     *var;
	struct pos	at;
	size_t		i, j;
	int		hit;

	advance(P, 0);
	if (P->tok.kind != T_WORD)
		return expected(P, "label name");
	at.line = P->tok.line;
	at.col = P->tok.col;
	name = tok_dup(P);
	advance(P, 0);
	if (P->tok.kind != T_EQ) {
		expected(P, "'='");
		goto fail;
	}
	advance(P, 0);
	if (P->tok.kind == T_STRING) {
		value = tok_dup(P);
		advance(P, 0);
	} else if (tok_is(P, "env")) {
		advance(P, 0);
		if (P->tok.kind != T_WORD) {
			expected(P, "environment variable name");
			goto fail;
		}
		key = tok_dup(P);
		var = getenv(key);
		free(key);
		if (var == NULL)
			var = "";
		advance(P, 0);
		if (!at_eol(P)) {
			if (!tok_is(P, "map")) {
				expected(P, "'map' or end of line");
				goto fail;
			}
			advance(P, 0);
			if (at_eol(P)) {
				expected(P, "map key");
				goto fail;
			}
		}
		while (!at_eol(P)) {
			if (P->tok.kind != T_STAR && !tok_value(P)) {
				expected(P, "map key");
				goto fail;
			}
			key = P->tok.kind == T_STAR ? NULL : tok_dup(P);
			hit = key == NULL || strcmp(key, var) == 0;
			free(key);
			advance(P, 0);
			if (P->tok.kind != T_EQ) {
				expected(P, "'='");
				goto fail;
			}
			advance(P, 0);
			if (!tok_value(P)) {
				expected(P, "map value");
				goto fail;
			}
			if (hit && value == NULL)
				value = tok_dup(P);
			advance(P, 0);
			if (P->tok.kind == T_COMMA) {
				advance(P, 0);
				if (at_eol(P)) {
					expected(P, "map key");
					goto fail;
				}
			}
		}
		if (value == NULL)
			value = xstrdup(var);
	} else {
		expected(P, "string or 'env'");
		goto fail;
	}
	if (!at_eol(P)) {
		expected(P, "end of line");
		goto fail;
	}
	if (check_label_name(P, at.line, at.col, name, 0) == -1)
		goto fail;
	if (find_deflabel(rs, name) != NULL) {
		perr(P, at.line, at.col, "default label '%s' declared twice",
		    name);
		goto fail;
	}
	for (i = 0; i < rs->ndecls; i++)
		for (j = 0; j < rs->decls[i].nlabels; j++)
			if (strcmp(rs->decls[i].labels[j], name) == 0) {
				perr(P, at.line, at.col,
				    "default label '%s' "
				    "is also a label of metric '%s'",
				    name, rs->decls[i].name);
				goto fail;
			}
	rs->labels = grow(rs->labels, rs->nlabels, sizeof(*rs->labels));
	rs->labels[rs->nlabels].name = name;
	rs->labels[rs->nlabels].value = value;
	rs->nlabels++;
	return 0;
fail:
	free(name);
	free(value);
	return -1;
}

/*
 * Compiles the current regex token: PCRE2_DOLLAR_ENDONLY and the token's
 * flags, never UTF (lines may hold any bytes), then JIT when it can.
 * Returns the code (the caller frees it), or NULL after reporting.
 */
static pcre2_code *
compile_regex(struct parser *P)
{
	pcre2_code *re;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE  off;
	int	    code;

	re = pcre2_compile((PCRE2_SPTR)P->sval.p, P->sval.len,
	    PCRE2_DOLLAR_ENDONLY | P->tok.flags, &code, &off, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		perr(P, P->tok.line, P->tok.col,
		    "invalid regex: %s at offset "
		    "%zu",
		    (const char *)msg, (size_t)off);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/*
 * Reads a field name (a word or a string) into *field. Returns 0, or -1
 * after reporting.
 */
static int
field_name(struct parser *P, char **field, size_t *len)
{
	if (P->tok.kind == T_STRING && P->sval.len == 0)
		return perr(P, P->tok.line, P->tok.col, "empty field name");
	if (P->tok.kind == T_STRING && P->sval.len > NAME_MAX_LEN)
		return perr(P, P->tok.line, P->tok.col,
		    "field name too long "
		    "(%zu bytes, at most %d)",
		    P->sval.len, NAME_MAX_LEN);
	*field = tok_dup(P);
	*len = P->tok.kind == T_STRING ? P->sval.len : P->tok.n;
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
	uint32_t	ncap;
	int		n;

	memset(&ts, 0, sizeof(ts));
	advance(P, LX_REGEX);
	if (P->tok.kind == T_REGEX) {
		if ((ts.re = compile_regex(P)) == NULL)
			return -1;
		n = pcre2_substring_number_from_name(ts.re, (PCRE2_SPTR) "ts");
		if (n > 0)
			ts.group = n;
		else if (pcre2_pattern_info(ts.re, PCRE2_INFO_CAPTURECOUNT,
			     &ncap) == 0 &&
		    ncap > 0)
			ts.group = 1;
		else {
			perr(P, P->tok.line, P->tok.col,
			    "timestamp regex has "
			    "no group: write (?<ts>...) around the time");
			goto fail;
		}
	} else if (P->tok.kind == T_WORD || P->tok.kind == T_STRING) {
		if (field_name(P, &ts.field, &ts.fieldlen) == -1)
			return -1;
	} else
		return expected(P, "field name or regex");
	advance(P, 0);
	if (P->tok.kind != T_WORD) {
		expected(P, "timestamp format");
		goto fail;
	}
	fmt = tok_dup(P);
	ts.fmt = ts_format_byname(fmt);
	free(fmt);
	if (ts.fmt == 0) {
		char q[4 * FOUND_MAX + 4];

		quote_bytes(q, P->tok.s, P->tok.n, FOUND_MAX);
		perr(P, P->tok.line, P->tok.col,
		    "unknown timestamp format "
		    "'%s': expected epoch_s, epoch_ms, epoch_us, epoch_ns or "
		    "rfc3339",
		    q);
		goto fail;
	}
	advance(P, 0);
	if (!at_eol(P)) {
		expected(P, "end of line");
		goto fail;
	}
	rs->ts = grow(rs->ts, rs->nts, sizeof(*rs->ts));
	rs->ts[rs->nts++] = ts;
	return 0;
fail:
	free(ts.field);
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
	advance(P, 0);
	if (P->tok.kind != T_WORD)
		return expected(P, "metric name");
	at.line = P->tok.line;
	at.col = P->tok.col;
	name = tok_dup(P);
	advance(P, 0);
	if (type == METRIC_FRESHNESS) {
		if (!tok_is(P, "of")) {
			free(name);
			return expected(P, "'of'");
		}
		advance(P, 0);
		if (P->tok.kind != T_WORD) {
			free(name);
			return expected(P, "gauge name");
		}
		src.line = P->tok.line;
		src.col = P->tok.col;
		source = tok_dup(P);
		advance(P, 0);
	}
	if (!at_eol(P)) {
		free(name);
		free(source);
		return expected(P, "end of line");
	}
	if ((o = find_decl(rs, name)) != NULL) {
		ofile = o->file;
		oline = o->line;
	}
	rs->decls = grow(rs->decls, rs->ndecls, sizeof(*rs->decls));
	ld->pd = grow(ld->pd, rs->ndecls, sizeof(*ld->pd));
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
	struct pos	    at = { P->tok.line, P->tok.col };

	advance(P, 0);
	if (P->tok.kind != T_STRING)
		return expected(P, "string");
	if (pd->seen & SEEN_HELP)
		return perr(P, at.line, at.col, "help given twice for '%s'",
		    d->name);
	d->help = tok_dup(P);
	pd->seen |= SEEN_HELP;
	advance(P, 0);
	if (!at_eol(P))
		return expected(P, "end of line");
	return 0;
}

/* labels NAME ... */
static int
stmt_labels(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->tok.line, P->tok.col };
	char		  **v = NULL, *name;
	size_t		    n = 0;

	advance(P, 0);
	if (P->tok.kind != T_WORD)
		return expected(P, "label name");
	while (P->tok.kind == T_WORD) {
		name = tok_dup(P);
		if (check_label_name(P, P->tok.line, P->tok.col, name,
			d->type) == -1) {
			free(name);
			goto fail;
		}
		if (find_str(v, n, name) >= 0) {
			perr(P, P->tok.line, P->tok.col,
			    "label '%s' listed "
			    "twice",
			    name);
			free(name);
			goto fail;
		}
		v = grow(v, n, sizeof(*v));
		v[n++] = name;
		advance(P, 0);
	}
	if (!at_eol(P)) {
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
	struct pos	    at = { P->tok.line, P->tok.col };
	double		   *v = NULL;
	const char	   *prev = NULL;
	size_t		    n = 0, prevlen = 0;

	if (d->type != METRIC_HISTOGRAM)
		return perr(P, at.line, at.col,
		    "'%s' is a %s: only a "
		    "histogram has buckets",
		    d->name, kind_name(d->type));
	advance(P, LX_SIGNED);
	if (P->tok.kind != T_NUMBER)
		return expected(P, "number");
	while (P->tok.kind == T_NUMBER) {
		if (n > 0 && !(P->tok.num > v[n - 1])) {
			perr(P, P->tok.line, P->tok.col,
			    "bucket %.*s is not "
			    "greater than %.*s",
			    (int)P->tok.n, P->tok.s, (int)prevlen, prev);
			goto fail;
		}
		v = grow(v, n, sizeof(*v));
		v[n++] = P->tok.num;
		prev = P->tok.s;
		prevlen = P->tok.n;
		advance(P, LX_SIGNED);
	}
	if (!at_eol(P)) {
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
 * Reads NAME=VALUE where NAME is one of names[n]: stores the value in
 * vals[i]. Returns 0, or -1 after reporting.
 */
static int
label_value(struct parser *P, const char *metric, char *const *names, size_t n,
    char **vals)
{
	struct pos at = { P->tok.line, P->tok.col };
	char	  *name;
	ssize_t	   i;

	name = tok_dup(P);
	i = find_str(names, n, name);
	advance(P, 0);
	if (P->tok.kind != T_EQ) {
		free(name);
		return expected(P, "'='");
	}
	advance(P, 0);
	if (!tok_value(P)) {
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
	vals[i] = tok_dup(P);
	advance(P, 0);
	return 0;
}

/* series NAME=VALUE ...	(every label once) */
static int
stmt_series(struct parser *P)
{
	struct metric_decl *d = &P->ld->rs->decls[P->cur];
	struct pdecl	   *pd = &P->ld->pd[P->cur];
	struct pos	    at = { P->tok.line, P->tok.col };
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
	advance(P, 0);
	if (P->tok.kind != T_WORD) {
		expected(P, "label name");
		goto fail;
	}
	while (P->tok.kind == T_WORD)
		if (label_value(P, d->name, d->labels, d->nlabels, vals) == -1)
			goto fail;
	if (!at_eol(P)) {
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
	if (P->tok.kind != T_DURATION && P->tok.kind != T_NUMBER)
		return expected(P, "duration");
	if (!(P->tok.num > 0))
		return perr(P, P->tok.line, P->tok.col,
		    "duration must be "
		    "greater than 0");
	*out = P->tok.num;
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
	struct pos	    at = { P->tok.line, P->tok.col };
	double		    v = 0;

	advance(P, 0);
	if (duration(P, &v) == -1)
		return -1;
	advance(P, 0);
	if (!at_eol(P))
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

	advance(P, 0);
	if (P->tok.kind != T_WORD)
		return expected(P, "label name");
	at.line = P->tok.line;
	at.col = P->tok.col;
	th.label = tok_dup(P);
	advance(P, 0);
	if (P->tok.kind != T_EQ) {
		expected(P, "'='");
		goto fail;
	}
	advance(P, 0);
	if (!tok_value(P)) {
		expected(P, "label value");
		goto fail;
	}
	th.value = tok_dup(P);
	advance(P, 0);
	if (duration(P, &th.seconds) == -1)
		goto fail;
	advance(P, 0);
	if (!at_eol(P)) {
		expected(P, "end of line");
		goto fail;
	}
	for (i = 0; i < d->nth; i++)
		if (strcmp(d->th[i].label, th.label) == 0 &&
		    strcmp(d->th[i].value, th.value) == 0) {
			char q[4 * FOUND_MAX + 4];

			quote_bytes(q, th.value, strlen(th.value), FOUND_MAX);
			perr(P, at.line, at.col, "threshold %s=%s given twice",
			    th.label, q);
			goto fail;
		}
	d->th = grow(d->th, d->nth, sizeof(*d->th));
	pd->th = grow(pd->th, d->nth, sizeof(*pd->th));
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
	advance(P, 0);
	if (P->tok.kind != T_WORD)
		return expected(P, "rule name");
	at.line = P->tok.line;
	at.col = P->tok.col;
	name = tok_dup(P);
	advance(P, 0);
	if (!at_eol(P)) {
		free(name);
		return expected(P, "end of line");
	}
	if ((o = find_rule(rs, name)) != NULL) {
		ofile = o->file;
		oline = o->line;
	}
	rs->rules = grow(rs->rules, rs->nrules, sizeof(*rs->rules));
	ld->pr = grow(ld->pr, rs->nrules, sizeof(*ld->pr));
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

	advance(P, 0);
	if (P->tok.kind != T_STRING)
		return expected(P, "string");
	if (P->sval.len == 0)
		return perr(P, P->tok.line, P->tok.col, "empty prefilter");
	lit = tok_dup(P);
	advance(P, 0);
	if (!at_eol(P)) {
		free(lit);
		return expected(P, "end of line");
	}
	r->prefilter = grow(r->prefilter, r->nprefilter, sizeof(*r->prefilter));
	r->prefilter[r->nprefilter++] = lit;
	return 0;
}

/*
 * Adds the named groups of pattern pi as captures of rule r, in group
 * order. A name another pattern of the rule already has is reported.
 */
static int
add_captures(struct parser *P, struct rule *r, size_t pi)
{
	const struct pattern *p = &r->pats[pi];
	PCRE2_SPTR	      tab, e;
	uint32_t	      count, esize, i, k, next = 0, best;
	int		      rc = 0, g, bg;
	size_t		      j;

	if (pcre2_pattern_info(p->re, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    pcre2_pattern_info(p->re, PCRE2_INFO_NAMEENTRYSIZE, &esize) != 0 ||
	    pcre2_pattern_info(p->re, PCRE2_INFO_NAMETABLE, &tab) != 0)
		return 0;
	/* The table is sorted by name; walk it by increasing group. */
	for (k = 0; k < count; k++) {
		best = count;
		bg = 0;
		for (i = 0; i < count; i++) {
			e = tab + (size_t)i * esize;
			g = (e[0] << 8) | e[1];
			if ((uint32_t)g > next && (best == count || g < bg)) {
				best = i;
				bg = g;
			}
		}
		if (best == count)
			break;
		next = (uint32_t)bg;
		e = tab + (size_t)best * esize;
		for (j = 0; j < r->ncaps; j++)
			if (strcmp(r->caps[j].name, (const char *)e + 2) == 0)
				break;
		if (j < r->ncaps) {
			if (rc == 0)
				perr(P, p->line, p->col,
				    "capture '%s' is "
				    "already defined by the pattern at line %d",
				    (const char *)e + 2,
				    r->pats[r->caps[j].pat].line);
			rc = -1;
			continue;
		}
		r->caps = grow(r->caps, r->ncaps, sizeof(*r->caps));
		r->caps[r->ncaps].name = xstrdup((const char *)e + 2);
		r->caps[r->ncaps].pat = (int)pi;
		r->caps[r->ncaps].group = bg;
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
	advance(P, LX_REGEX);
	if (P->tok.kind == T_WORD || P->tok.kind == T_STRING) {
		if (field_name(P, &pat.field, &pat.fieldlen) == -1)
			return -1;
		advance(P, LX_REGEX);
		if (P->tok.kind != T_REGEX) {
			expected(P, "regex");
			goto fail;
		}
	} else if (P->tok.kind != T_REGEX)
		return expected(P, "field name or regex");
	pat.line = P->tok.line;
	pat.col = P->tok.col;
	if ((pat.re = compile_regex(P)) == NULL)
		goto fail;
	pat.src = xstrndup(P->tok.s + 1, P->tok.body);
	advance(P, 0);
	if (!at_eol(P)) {
		expected(P, "end of line");
		goto fail;
	}
	r->pats = grow(r->pats, r->npats, sizeof(*r->pats));
	r->pats[r->npats++] = pat;
	if (pat.field != NULL)
		r->json = 1;
	return add_captures(P, r, r->npats - 1);
fail:
	free(pat.field);
	free(pat.src);
	pcre2_code_free(pat.re);
	return -1;
}

/* Records a $name of the current rule; returns its index in refs. */
static int
add_ref(struct parser *P)
{
	struct prule *pr = &P->ld->pr[P->cur];

	pr->refs = grow(pr->refs, pr->nrefs, sizeof(*pr->refs));
	pr->refs[pr->nrefs].name = xstrndup(P->tok.s + 1, P->tok.n - 1);
	pr->refs[pr->nrefs].line = P->tok.line;
	pr->refs[pr->nrefs].col = P->tok.col;
	return (int)pr->nrefs++;
}

static void
expr_push(struct expr *e, enum expr_op op, double num, int cap)
{
	e->n = grow(e->n, e->len, sizeof(*e->n));
	e->n[e->len].op = op;
	e->n[e->len].num = num;
	e->n[e->len].cap = cap;
	e->len++;
}

static int expr_sum(struct parser *, struct expr *, int);

/* factor: NUMBER | $capture | @time | ( EXPR ) | - factor */
static int
expr_factor(struct parser *P, struct expr *e, int depth)
{
	if ((P->tok.kind == T_LPAREN || P->tok.kind == T_MINUS) &&
	    depth >= EXPR_MAX_DEPTH)
		return perr(P, P->tok.line, P->tok.col,
		    "expression nested "
		    "too deeply (at most %d levels)",
		    EXPR_MAX_DEPTH);
	switch (P->tok.kind) {
	case T_NUMBER:
		expr_push(e, EXPR_NUM, P->tok.num, 0);
		break;
	case T_CAP:
		expr_push(e, EXPR_CAP, 0, add_ref(P));
		break;
	case T_TIME:
		expr_push(e, EXPR_TIME, 0, 0);
		break;
	case T_LPAREN:
		advance(P, 0);
		if (expr_sum(P, e, depth + 1) == -1)
			return -1;
		if (P->tok.kind != T_RPAREN)
			return expected(P, "operator or ')'");
		break;
	case T_MINUS:
		advance(P, 0);
		if (expr_factor(P, e, depth + 1) == -1)
			return -1;
		expr_push(e, EXPR_NEG, 0, 0);
		return 0;
	default:
		return expected(P, "number, $capture, @time, '(' or '-'");
	}
	advance(P, 0);
	return 0;
}

/* term: factor {(*|/) factor} */
static int
expr_term(struct parser *P, struct expr *e, int depth)
{
	enum expr_op op;

	if (expr_factor(P, e, depth) == -1)
		return -1;
	while (P->tok.kind == T_STAR || P->tok.kind == T_SLASH) {
		op = P->tok.kind == T_STAR ? EXPR_MUL : EXPR_DIV;
		advance(P, 0);
		if (expr_factor(P, e, depth) == -1)
			return -1;
		expr_push(e, op, 0, 0);
	}
	return 0;
}

/* EXPR: term {(+|-) term}, in reverse Polish notation into e. */
static int
expr_sum(struct parser *P, struct expr *e, int depth)
{
	enum expr_op op;

	if (expr_term(P, e, depth) == -1)
		return -1;
	while (P->tok.kind == T_PLUS || P->tok.kind == T_MINUS) {
		op = P->tok.kind == T_PLUS ? EXPR_ADD : EXPR_SUB;
		advance(P, 0);
		if (expr_term(P, e, depth) == -1)
			return -1;
		expr_push(e, op, 0, 0);
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
 * inc METRIC [LABEL=SRC ...] [if COND]
 * add|set|observe METRIC EXPR [LABEL=SRC ...] [if COND]
 * The metric, its labels and the captures are resolved once the whole
 * ruleset is read.
 */
static int
stmt_action(struct parser *P, enum action_kind kind)
{
	struct rule   *r = &P->ld->rs->rules[P->cur];
	struct prule  *pr = &P->ld->pr[P->cur];
	struct action  a;
	struct pact    pa;
	struct plabel *pl;
	size_t	       i;

	memset(&a, 0, sizeof(a));
	memset(&pa, 0, sizeof(pa));
	a.kind = kind;
	a.file = P->file;
	a.line = P->tok.line;
	a.col = P->tok.col;
	a.condcap = -1;
	advance(P, 0);
	if (P->tok.kind != T_WORD)
		return expected(P, "metric name");
	pa.mcol = P->tok.col;
	a.metric = tok_dup(P);
	advance(P, 0);
	if (kind != ACT_INC && expr_sum(P, &a.value, 0) == -1)
		goto fail;
	while (P->tok.kind == T_WORD && !tok_is(P, "if")) {
		pa.lab = grow(pa.lab, pa.nlab, sizeof(*pa.lab));
		pl = &pa.lab[pa.nlab++];
		pl->name = tok_dup(P);
		pl->col = P->tok.col;
		pl->ref = -1;
		pl->lit = NULL;
		for (i = 0; i + 1 < pa.nlab; i++)
			if (strcmp(pa.lab[i].name, pl->name) == 0) {
				perr(P, P->tok.line, P->tok.col,
				    "label '%s' "
				    "given twice",
				    pl->name);
				goto fail;
			}
		advance(P, 0);
		if (P->tok.kind != T_EQ) {
			expected(P, "'='");
			goto fail;
		}
		advance(P, 0);
		if (P->tok.kind == T_CAP)
			pl->ref = add_ref(P);
		else if (tok_value(P))
			pl->lit = tok_dup(P);
		else {
			expected(P, "$capture, string or word");
			goto fail;
		}
		advance(P, 0);
	}
	if (tok_is(P, "if")) {
		advance(P, 0);
		if (P->tok.kind != T_CAP) {
			expected(P, "$capture");
			goto fail;
		}
		a.condcap = add_ref(P);
		advance(P, 0);
		if (P->tok.kind != T_EQEQ && P->tok.kind != T_NE) {
			expected(P, "'==' or '!='");
			goto fail;
		}
		a.cond = P->tok.kind == T_EQEQ ? COND_EQ : COND_NE;
		advance(P, 0);
		if (!tok_value(P)) {
			expected(P, "string or word");
			goto fail;
		}
		a.condval = tok_dup(P);
		advance(P, 0);
		if (!at_eol(P)) {
			expected(P, "end of line");
			goto fail;
		}
	}
	if (!at_eol(P)) {
		expected(P,
		    kind == ACT_INC ? "label, 'if' or end of line" :
				      "operator, label, 'if' or end of line");
		goto fail;
	}
	r->acts = grow(r->acts, r->nacts, sizeof(*r->acts));
	pr->acts = grow(pr->acts, r->nacts, sizeof(*pr->acts));
	pr->acts[r->nacts] = pa;
	r->acts[r->nacts++] = a;
	return 0;
fail:
	free(a.metric);
	free(a.value.n);
	free(a.condval);
	plabels_free(pa.lab, pa.nlab);
	return -1;
}

/* One statement: the current token is its first. */
static int
statement(struct parser *P)
{
	const struct keyword *k;
	int		      in;

	k = keyword(&P->tok);
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
				return perr(P, P->tok.line, P->tok.col,
				    "'%s' "
				    "outside a metric or freshness block",
				    k->name);
			if (k->where == IN_METRIC)
				return perr(P, P->tok.line, P->tok.col,
				    "'%s' "
				    "outside a counter, gauge or histogram "
				    "block",
				    k->name);
			if (k->where == IN_FRESH)
				return perr(P, P->tok.line, P->tok.col,
				    "'%s' "
				    "outside a freshness block",
				    k->name);
			return perr(P, P->tok.line, P->tok.col,
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
	P.p = P.bol = text;
	P.end = text + len;
	P.line = 1;
	buf_init(&P.sval);
	advance(&P, 0);
	while (P.tok.kind != T_EOF) {
		if (P.tok.kind != T_EOL) {
			if (statement(&P) == -1 ||
			    (!at_eol(&P) &&
				expected(&P, "end of line") == -1)) {
				block_broken(&P);
				skip_line(&P);
			}
			if (P.tok.kind == T_EOF)
				break;
		}
		advance(&P, 0);
	}
	buf_free(&P.sval);
}

/*
 * The literal text every line a whole-line regex matches must hold: its
 * first run of plain characters (after an optional ^, \/ read as a slash),
 * when at least 3 bytes long, not cut short by a quantifier, and the regex
 * has no alternation anywhere and no i or x flag. Returns it (the caller
 * frees it) or NULL.
 */
static char *
literal_prefix(const struct pattern *p, uint32_t flags)
{
	const char *s = p->src;
	struct buf  b;

	if (flags & (PCRE2_CASELESS | PCRE2_EXTENDED))
		return NULL;
	if (strchr(s, '|') != NULL)
		return NULL;
	if (*s == '^')
		s++;
	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '/')
			buf_putc(&b, *++s);
		else if (strchr("\\^$.[|()?*+{", *s) == NULL)
			buf_putc(&b, *s);
		else
			break;
	}
	/* A quantifier binds to the last character only. */
	if (b.len > 0 && (*s == '?' || *s == '*' || *s == '{' || *s == '+'))
		b.len--;
	if (b.len < 3) {
		buf_free(&b);
		return NULL;
	}
	b.p[b.len] = '\0';
	return buf_release(&b);
}

/* A field name a JSON writer puts in a line as is, quotes around it. */
static int
plain_field(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\\' || *s == '/')
			return 0;
	return 1;
}

static void
add_prefilter(struct rule *r, char *lit)
{
	size_t i;

	for (i = 0; i < r->nprefilter; i++)
		if (strcmp(r->prefilter[i], lit) == 0) {
			free(lit);
			return;
		}
	r->prefilter = grow(r->prefilter, r->nprefilter, sizeof(*r->prefilter));
	r->prefilter[r->nprefilter++] = lit;
}

/*
 * The automatic prefilters of a rule, after its own: "FIELD" for every
 * required field pattern, the literal start of a required whole-line one.
 */
static void
auto_prefilter(struct rule *r)
{
	const struct pattern *p;
	char		     *lit;
	uint32_t	      flags;
	size_t		      i;

	for (i = 0; i < r->npats; i++) {
		p = &r->pats[i];
		if (p->optional)
			continue;
		if (p->field != NULL) {
			if (plain_field(p->field) &&
			    strlen(p->field) == p->fieldlen) {
				struct buf b;

				buf_init(&b);
				buf_printf(&b, "\"%s\"", p->field);
				add_prefilter(r, buf_release(&b));
			}
			continue;
		}
		if (pcre2_pattern_info(p->re, PCRE2_INFO_ARGOPTIONS, &flags) !=
		    0)
			continue;
		if ((lit = literal_prefix(p, flags)) != NULL)
			add_prefilter(r, lit);
	}
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
	free(map);
	auto_prefilter(r);
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
			for (j = 0; j < ld->rs->rules[i].nacts; j++)
				plabels_free(ld->pr[i].acts[j].lab,
				    ld->pr[i].acts[j].nlab);
			free(ld->pr[i].acts);
		}
	}
	free(ld->pd);
	free(ld->pr);
	buf_free(&ld->errs);
}

static void
load_init(struct load *ld, size_t errlen)
{
	memset(ld, 0, sizeof(*ld));
	ld->rs = xcalloc(1, sizeof(*ld->rs));
	buf_init(&ld->errs);
	ld->errmax = errlen;
}

/* Keeps a copy of a file name for the ruleset; returns it. */
static const char *
add_file(struct ruleset *rs, const char *name)
{
	rs->files = grow(rs->files, rs->nfiles, sizeof(*rs->files));
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

/* A directory's "*.rules" regular files, in name order, not recursive. */
static void
load_dir(struct load *ld, const char *dir)
{
	DIR	      *dp;
	struct dirent *de;
	struct stat    st;
	struct buf     path;
	char	     **names = NULL;
	size_t	       n = 0, i, len;

	if ((dp = opendir(dir)) == NULL) {
		lderr(ld, NULL, 0, 0, "%s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 6 ||
		    strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		names = grow(names, n, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof(*names), namecmp);
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
	for (i = 0; i < r->npats; i++) {
		free(r->pats[i].field);
		free(r->pats[i].src);
		pcre2_code_free(r->pats[i].re);
	}
	free(r->pats);
	for (i = 0; i < r->ncaps; i++)
		free(r->caps[i].name);
	free(r->caps);
	strv_free(r->prefilter, r->nprefilter);
	for (i = 0; i < r->nacts; i++) {
		a = &r->acts[i];
		free(a->metric);
		free(a->value.n);
		for (j = 0; j < a->nlabels; j++)
			free(a->labels[j].lit);
		free(a->labels);
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
	for (i = 0; i < rs->nlabels; i++) {
		free(rs->labels[i].name);
		free(rs->labels[i].value);
	}
	free(rs->labels);
	for (i = 0; i < rs->nts; i++) {
		free(rs->ts[i].field);
		pcre2_code_free(rs->ts[i].re);
	}
	free(rs->ts);
	for (i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	strv_free(rs->files, rs->nfiles);
	free(rs);
}
