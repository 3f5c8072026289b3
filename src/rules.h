/*
 * rules.h: the rules language, parsed into a ruleset. The grammar is
 * documented in man/logmetrics.rules.5. Every error says
 * "file:line:col: expected X, found Y"; every error of a file is reported
 * and the whole ruleset is rejected.
 */
#ifndef LOGMETRICS_RULES_H
#define LOGMETRICS_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "pattern.h"
#include "ts.h"

/* A value computed from captures, in reverse Polish notation. */
enum expr_op {
	EXPR_NUM = 1, /* push num */
	EXPR_CAP,     /* push the capture cap read as a number */
	EXPR_TIME,    /* push the line's log time (Unix seconds) */
	EXPR_ADD,
	EXPR_SUB,
	EXPR_MUL,
	EXPR_DIV,
	EXPR_NEG,
};

struct expr_node {
	enum expr_op op;
	double	     num;
	int	     cap;
};

struct expr {
	struct expr_node *n;
	size_t		  len; /* 0: no value (inc) */
};

/* Where a label value comes from: a capture, or a literal when cap < 0. */
struct labelsrc {
	int   cap;
	char *lit;
};

enum action_kind {
	ACT_INC = 1,
	ACT_ADD,
	ACT_SET,
	ACT_OBSERVE,
};

enum cond_op {
	COND_NONE = 0,
	COND_EQ,
	COND_NE,
};

/* A label of an action's exemplar: its name, and where its value is. */
struct exlabel {
	char	       *name;
	struct labelsrc src;
};

struct action {
	enum action_kind kind;
	char		*metric;
	struct expr	 value;
	struct labelsrc *labels; /* in the metric's label order */
	size_t		 nlabels;
	struct exlabel	*ex; /* the exemplar's labels, as written */
	size_t		 nex;
	enum cond_op	 cond; /* if $cap == "text" */
	int		 condcap;
	char		*condval;
	const char	*file;
	int		 line;
	int		 col;
};

/*
 * A rewrite of a capture, once every pattern of its rule matched: each
 * match of re in it replaced by repl (PCRE2's substitution syntax).
 */
struct rewrite {
	int	    cap;
	pcre2_code *re;
	char	   *src; /* the regex as written */
	char	   *repl;
	size_t	    repllen;
	int	    line;
	int	    col;
};

/* A named capture of a rule: which pattern and group fill it. */
struct capture {
	char *name;
	int   pat;
	int   group;
};

struct rule {
	char	       *name;
	struct pattern *pats;
	size_t		npats;
	struct capture *caps;
	size_t		ncaps;
	struct rewrite *rws; /* in the order written */
	size_t		nrws;
	struct plan	plan; /* what the matcher reads */
	struct action  *acts;
	size_t		nacts;
	const char     *file;
	int		line;
};

/*
 * How a line's log time is found: a field (a path) or a
 * whole-line regex whose group "ts" (else group 1) holds it. Tried in
 * order; the first that parses wins; none: the wall clock.
 */
struct tsrule {
	struct path    path; /* n == 0: the regex */
	pcre2_code    *re;
	int	       group;
	enum ts_format fmt;
};

/*
 * A default label: a string, or an environment variable's value through
 * a map ("label env = env NODE_ENV map production=production
 * *=development"), resolved where the labels of the command line are,
 * by rules_label_value(): the parser reads no environment.
 */
struct deflabel {
	char  *name;
	char  *value; /* the string; NULL: from env */
	char  *env;
	char **mapk; /* in order; NULL: '*' */
	char **mapv;
	size_t nmap;
};

struct ruleset {
	struct metric_decl *decls;
	size_t		    ndecls;
	struct deflabel	   *labels;
	size_t		    nlabels;
	struct tsrule	   *ts;
	size_t		    nts;
	struct rule	   *rules;
	size_t		    nrules;
	char		   *warnings; /* "file:line:col: warning: ..." lines,
					 or NULL */
	char		  **files;    /* names the decls and actions point to */
	size_t		    nfiles;
};

/*
 * What the files rules_load() would read for paths are on disk, each
 * path and its file_stamp(), into out: a change of it (a file written, renamed over, added to or
 * removed from a directory, a link re-pointed) means other rules. Costs a
 * stat(2) per file and a read of each directory.
 */
void rules_stamp(const char *const *paths, size_t npaths, struct buf *out);

/*
 * Loads rules from files and directories (a directory: its "*.rules"
 * files in name order) as one ruleset. Returns NULL on any error, with
 * every message, one per line, in err (truncated to errlen).
 */
struct ruleset *rules_load(const char *const *paths, size_t npaths, char *err,
    size_t errlen);
/* The same over text in memory, name used in messages. */
struct ruleset *rules_parse(const char *name, const char *text, size_t len,
    char *err, size_t errlen);
void		rules_free(struct ruleset *);

/*
 * A default label's value when its variable holds var (NULL: unset,
 * taken as ""): its string, else the value of the first map key that is
 * var or '*', else var itself. Points into d, or at var.
 */
const char *rules_label_value(const struct deflabel *d, const char *var);

#endif
