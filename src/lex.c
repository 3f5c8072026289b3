/*
 * lex.c: the tokens of a rules file, with their line and column.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"

/* Every keyword of the language, sorted by name for bsearch. */
static const struct keyword keywords[] = {
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
	{ "native", KW_NATIVE, IN_METRIC },
	{ "native_factor", KW_NATIVE_FACTOR, IN_METRIC },
	{ "native_max_buckets", KW_NATIVE_MAX_BUCKETS, IN_METRIC },
	{ "native_zero_threshold", KW_NATIVE_ZERO_THRESHOLD, IN_METRIC },
	{ "observe", KW_OBSERVE, IN_RULE },
	{ "of", KW_OF, 0 },
	{ "optional", KW_OPTIONAL, IN_RULE },
	{ "prefilter", KW_PREFILTER, IN_RULE },
	{ "rewrite", KW_REWRITE, IN_RULE },
	{ "rule", KW_RULE, IN_TOP },
	{ "series", KW_SERIES, IN_METRIC },
	{ "set", KW_SET, IN_RULE },
	{ "stale_after", KW_STALE_AFTER, IN_FRESH },
	{ "threshold", KW_THRESHOLD, IN_FRESH },
	{ "timestamp", KW_TIMESTAMP, IN_TOP },
};

/*
 * Writes at most max bytes of s into out for a message: printable ASCII
 * as is, other bytes as \xNN, "..." when cut. out holds 4 * max + 4.
 */
void
lex_quote(char *out, const char *s, size_t n, size_t max)
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
void
lex_describe(const struct token *t, char *out, size_t outlen)
{
	char q[4 * FOUND_MAX + 4];

	if (t->kind == T_EOF || t->kind == T_EOL) {
		snprintf(out, outlen, "end of line");
		return;
	}
	lex_quote(q, t->s, t->n, FOUND_MAX);
	if (t->kind == T_STRING)
		snprintf(out, outlen, "string %s", q);
	else if (t->kind == T_REGEX)
		snprintf(out, outlen, "regex %s", q);
	else
		snprintf(out, outlen, "'%s'", q);
}

/* Turns the current token into a lexical error at line:col. */
static void lexerr(struct lexer *L, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
lexerr(struct lexer *L, int line, int col, const char *fmt, ...)
{
	va_list ap;

	L->tok.kind = T_ERROR;
	va_start(ap, fmt);
	L->err(L->errarg, line, col, fmt, ap);
	va_end(ap);
}

static int
colof(const struct lexer *L, const char *p)
{
	return (int)(p - L->bol) + 1;
}

/*
 * A number at p (a sign first when signed): digits, a fraction, an
 * exponent, then a unit makes it a duration, any other word characters a
 * bare word (a label value such as 2xx).
 */
static void
lex_number(struct lexer *L, const char *p)
{
	struct token *t = &L->tok;
	const char   *end = L->end, *q, *numend;
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
	L->p = q;
	t->n = (size_t)(q - t->s);
	if (t->n > NAME_MAX_LEN) {
		lexerr(L, t->line, t->col,
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

		lex_quote(q2, t->s, t->n, FOUND_MAX);
		lexerr(L, t->line, t->col, "number out of range: '%s'", q2);
	}
}

/*
 * The body of a string at p (its opening quote), escapes \\ \" \n \t,
 * on one line, appended to sval. Returns the byte after the closing
 * quote, or NULL after reporting.
 */
static const char *
string_body(struct lexer *L, const char *p)
{
	struct token *t = &L->tok;
	const char   *end = L->end;
	size_t	      start = L->sval.len;
	char	      q[8];
	int	      c;

	for (p++;;) {
		if (p == end || *p == '\n') {
			L->p = p;
			lexerr(L, t->line, t->col, "unterminated string");
			return NULL;
		}
		c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\0') {
			L->p = p + 1;
			lexerr(L, t->line, colof(L, p), "NUL byte in string");
			return NULL;
		}
		if (c == '\\') {
			if (p + 1 == end || p[1] == '\n') {
				L->p = p + 1;
				lexerr(L, t->line, t->col,
				    "unterminated string");
				return NULL;
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
				lex_quote(q, p + 1, 1, 1);
				L->p = p + 2;
				lexerr(L, t->line, colof(L, p),
				    "invalid "
				    "escape '\\%s' in string",
				    q);
				return NULL;
			}
			p++;
		}
		buf_putc(&L->sval, c);
		p++;
		if (L->sval.len - start > TEXT_MAX_LEN) {
			L->p = p;
			lexerr(L, t->line, t->col,
			    "string too long (at most "
			    "%d bytes)",
			    TEXT_MAX_LEN);
			return NULL;
		}
	}
}

/* A string at p. */
static void
lex_string(struct lexer *L, const char *p)
{
	struct token *t = &L->tok;

	buf_reset(&L->sval);
	buf_reserve(&L->sval, 0);
	if ((p = string_body(L, p)) == NULL)
		return;
	L->p = p;
	t->kind = T_STRING;
	t->n = (size_t)(p - t->s);
}

#define IS_KEY(c) (IS_IDENT(c) || (c) == ':' || (c) == '-')

/*
 * A path at p: keys joined by dots, each a run of letters, digits and
 * "_:-", or a string. Its keys go to sval back to back, each described
 * in seg; one word or one string is a path of one key.
 */
static void
lex_path(struct lexer *L, const char *p)
{
	struct token  *t = &L->tok;
	struct lexseg *sg;
	const char    *end = L->end, *k;

	buf_reset(&L->sval);
	buf_reserve(&L->sval, 0);
	L->nseg = 0;
	for (;;) {
		if (L->nseg == L->segcap) {
			L->segcap = L->segcap ? 2 * L->segcap : 8;
			L->seg = xreallocarray(L->seg, L->segcap,
			    sizeof(*L->seg));
		}
		sg = &L->seg[L->nseg];
		sg->off = L->sval.len;
		sg->col = colof(L, p);
		sg->quoted = p < end && *p == '"';
		if (sg->quoted) {
			if ((p = string_body(L, p)) == NULL)
				return;
		} else {
			for (k = p; p < end && IS_KEY(*p); p++)
				;
			if (p == k) {
				L->p = p;
				lexerr(L, t->line, colof(L, p),
				    "expected a key after '.'");
				return;
			}
			buf_append(&L->sval, k, (size_t)(p - k));
		}
		sg->len = L->sval.len - sg->off;
		sg->end = (size_t)(p - t->s);
		L->nseg++;
		if (p == end || *p != '.')
			break;
		p++;
	}
	L->p = p;
	t->kind = T_PATH;
	t->n = (size_t)(p - t->s);
}

/* A regex at p: /.../FLAGS, where \/ is a slash. */
static void
lex_regex(struct lexer *L, const char *p)
{
	struct token *t = &L->tok;
	const char   *end = L->end;
	char	      q[8];

	buf_reset(&L->sval);
	buf_reserve(&L->sval, 0);
	for (p++;;) {
		if (p == end || *p == '\n') {
			L->p = p;
			lexerr(L, t->line, t->col, "unterminated regex");
			return;
		}
		if (*p == '/')
			break;
		if (*p == '\0') {
			L->p = p + 1;
			lexerr(L, t->line, colof(L, p), "NUL byte in regex");
			return;
		}
		if (*p == '\\') {
			if (p + 1 == end || p[1] == '\n') {
				L->p = p + 1;
				lexerr(L, t->line, t->col,
				    "unterminated regex");
				return;
			}
			if (p[1] == '\0') {
				L->p = p + 2;
				lexerr(L, t->line, colof(L, p + 1),
				    "NUL byte in regex");
				return;
			}
			/* \/ is the slash; any other pair is PCRE2's. */
			if (p[1] != '/')
				buf_putc(&L->sval, '\\');
			buf_putc(&L->sval, p[1]);
			p += 2;
		} else
			buf_putc(&L->sval, *p++);
		if (L->sval.len > TEXT_MAX_LEN) {
			L->p = p;
			lexerr(L, t->line, t->col,
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
			lex_quote(q, p, 1, 1);
			L->p = p + 1;
			lexerr(L, t->line, colof(L, p),
			    "unknown regex flag "
			    "'%s': expected i, s, x or m",
			    q);
			return;
		}
	}
	L->p = p;
	t->kind = T_REGEX;
	t->n = (size_t)(p - t->s);
}

/* A "$name" capture or the "@time" variable at p. */
static void
lex_variable(struct lexer *L, const char *p)
{
	struct token *t = &L->tok;
	const char   *end = L->end;
	char	      q[4 * FOUND_MAX + 4];
	unsigned char c = (unsigned char)*p;

	for (p++; p < end && IS_IDENT(*p); p++)
		;
	L->p = p;
	t->n = (size_t)(p - t->s);
	if (c == '$' && (t->n == 1 || IS_DIGIT(t->s[1])))
		lexerr(L, t->line, t->col,
		    "expected capture name "
		    "after '$'");
	else if (t->n > NAME_MAX_LEN + 1)
		lexerr(L, t->line, t->col,
		    "word too long (%zu bytes, "
		    "at most %d)",
		    t->n - 1, NAME_MAX_LEN);
	else if (c == '$')
		t->kind = T_CAP;
	else if (t->n == 5 && memcmp(t->s, "@time", 5) == 0)
		t->kind = T_TIME;
	else {
		lex_quote(q, t->s, t->n, FOUND_MAX);
		lexerr(L, t->line, t->col,
		    "unknown variable '%s': "
		    "the only one is @time",
		    q);
	}
}

/* An operator or punctuation at p, or the error of a byte that is none. */
static void
lex_punct(struct lexer *L, const char *p)
{
	struct token *t = &L->tok;
	const char   *end = L->end;
	unsigned char c = (unsigned char)*p;

	L->p = p + 1;
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
			L->p = p + 2;
		}
		return;
	case '!':
		if (p + 1 < end && p[1] == '=') {
			t->kind = T_NE;
			t->n = 2;
			L->p = p + 2;
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
		lexerr(L, t->line, t->col, "unexpected character '%c'", c);
	else
		lexerr(L, t->line, t->col, "unexpected byte 0x%02x", c);
}

/*
 * Reads the next token into L->tok. mode says whether a '/' opens a regex
 * and whether a sign belongs to the number after it. Lexical errors are
 * reported here and leave a T_ERROR token.
 */
void
lex_advance(struct lexer *L, int mode)
{
	struct token *t = &L->tok;
	const char   *p = L->p, *end = L->end;
	unsigned char c;

	while (p < end &&
	    (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v'))
		p++;
	t->s = p;
	t->n = 0;
	t->line = L->line;
	t->col = colof(L, p);
	t->num = 0;
	if (p < end && *p == '#')
		while (p < end && *p != '\n')
			p++;
	if (p == end) {
		L->p = p;
		t->kind = T_EOF;
		return;
	}
	c = (unsigned char)*p;
	if (c == '\n') {
		t->kind = T_EOL;
		L->p = L->bol = p + 1;
		L->line++;
		return;
	}
	if ((mode & LX_REGEX) && c == '/') {
		lex_regex(L, p);
		return;
	}
	if ((mode & LX_PATH) && (IS_KEY(c) || c == '"')) {
		lex_path(L, p);
		return;
	}
	if (IS_WORD0(c)) {
		while (p < end && IS_WORD(*p))
			p++;
		L->p = p;
		t->kind = T_WORD;
		t->n = (size_t)(p - t->s);
		if (t->n > NAME_MAX_LEN)
			lexerr(L, t->line, t->col,
			    "word too long (%zu bytes, "
			    "at most %d)",
			    t->n, NAME_MAX_LEN);
		return;
	}
	if (IS_DIGIT(c) || (c == '.' && p + 1 < end && IS_DIGIT(p[1])) ||
	    ((mode & LX_SIGNED) && (c == '-' || c == '+') && p + 1 < end &&
		(IS_DIGIT(p[1]) ||
		    (p[1] == '.' && p + 2 < end && IS_DIGIT(p[2]))))) {
		lex_number(L, p);
		return;
	}
	if (c == '"') {
		lex_string(L, p);
		return;
	}
	if (c == '$' || c == '@') {
		lex_variable(L, p);
		return;
	}
	lex_punct(L, p);
}

/* After an error: drops the rest of the line. */
void
lex_skip_line(struct lexer *L)
{
	const char *p;

	if (L->tok.kind == T_EOL || L->tok.kind == T_EOF)
		return;
	p = memchr(L->p, '\n', (size_t)(L->end - L->p));
	if (p == NULL) {
		L->p = L->end;
		L->tok.kind = T_EOF;
		return;
	}
	L->p = L->bol = p + 1;
	L->line++;
	L->tok.kind = T_EOL;
}

int
lex_at_eol(const struct lexer *L)
{
	return L->tok.kind == T_EOL || L->tok.kind == T_EOF;
}

int
lex_is(const struct lexer *L, const char *word)
{
	size_t n = strlen(word);

	return L->tok.kind == T_WORD && L->tok.n == n &&
	    memcmp(L->tok.s, word, n) == 0;
}

/* A token that can stand for a literal value: word, number or string. */
int
lex_value(const struct lexer *L)
{
	switch (L->tok.kind) {
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
char *
lex_dup(const struct lexer *L)
{
	if (L->tok.kind == T_STRING)
		return xstrndup(L->sval.p, L->sval.len);
	return xstrndup(L->tok.s, L->tok.n);
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

const struct keyword *
lex_keyword(const struct token *t)
{
	if (t->kind != T_WORD)
		return NULL;
	return bsearch(t, keywords, NELEM(keywords), sizeof(keywords[0]),
	    kwcmp);
}

void
lex_init(struct lexer *L, const char *text, size_t len, lex_err_fn *err,
    void *arg)
{
	memset(L, 0, sizeof(*L));
	L->p = L->bol = text;
	L->end = text + len;
	L->line = 1;
	buf_init(&L->sval);
	L->err = err;
	L->errarg = arg;
}

void
lex_free(struct lexer *L)
{
	buf_free(&L->sval);
	free(L->seg);
}
