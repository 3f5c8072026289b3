/*
 * lex.h: the lexer of rules files (logmetrics.rules(5)): tokens with
 * their line and column, strings unescaped, regexes with their flags, and
 * the keywords of the language. Errors go to the caller's function, each
 * leaving a T_ERROR token.
 */
#ifndef LOGMETRICS_LEX_H
#define LOGMETRICS_LEX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define NAME_MAX_LEN 255   /* words, numbers, field names */
#define TEXT_MAX_LEN 65536 /* strings and regexes */
#define FOUND_MAX    32	   /* bytes of a token shown in messages */

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
	T_PATH, /* keys joined by dots, read with LX_PATH */
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
#define LX_PATH	  0x04 /* a word or string opens a path */

/* One key of a path token: its bytes in sval, where its text ends. */
struct lexseg {
	size_t off;
	size_t len;
	size_t end; /* in the token's text */
	int    col;
	int    quoted;
};

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
	KW_NATIVE,
	KW_NATIVE_FACTOR,
	KW_NATIVE_MAX_BUCKETS,
	KW_NATIVE_ZERO_THRESHOLD,
	KW_OBSERVE,
	KW_OF,
	KW_OPTIONAL,
	KW_PREFILTER,
	KW_REWRITE,
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

/* A keyword, and where a statement keyword may stand (IN_*). */
struct keyword {
	const char *name;
	enum kw	    kw;
	int	    where;
};

typedef void lex_err_fn(void *arg, int line, int col, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

struct lexer {
	const char    *p; /* the cursor */
	const char    *end;
	const char    *bol; /* where the cursor's line begins */
	int	       line;
	struct token   tok;
	struct buf     sval; /* the current string or regex, unescaped;
				a path's keys back to back */
	struct lexseg *seg;  /* a path's keys */
	size_t	       nseg;
	size_t	       segcap;
	lex_err_fn    *err;
	void	      *errarg;
};

/* Starts on text[0..len), line 1; errors go to err(arg, ...). */
void lex_init(struct lexer *, const char *text, size_t len, lex_err_fn *err,
    void *arg);
void lex_free(struct lexer *);

/*
 * Reads the next token into tok. mode (LX_*) says whether a '/' opens a
 * regex and whether a sign belongs to the number after it.
 */
void lex_advance(struct lexer *, int mode);
/* After an error: drops the rest of the line. */
void lex_skip_line(struct lexer *);
/* Whether the token ends the line (or the file). */
int lex_at_eol(const struct lexer *);
/* Whether the token is the word given. */
int lex_is(const struct lexer *, const char *word);
/* Whether the token can stand for a literal value: word, number, string. */
int lex_value(const struct lexer *);
/* The value token as a new string, a string unescaped. */
char *lex_dup(const struct lexer *);
/* The keyword a word token is, or NULL. */
const struct keyword *lex_keyword(const struct token *);

/*
 * At most max bytes of s into out for a message: printable ASCII as is,
 * other bytes as \xNN, "..." when cut. out holds 4 * max + 4.
 */
void lex_quote(char *out, const char *s, size_t n, size_t max);
/* How a token is named after "found" in a message. */
void lex_describe(const struct token *, char *out, size_t outlen);

#endif
