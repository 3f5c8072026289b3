/*
 * ruletest.h: rules tested like code (logmetrics --test). A test file
 * (logmetrics.test(5)) names the rules it tests, their environment and
 * labels, and cases: log lines, and the series expected after them.
 */
#ifndef LOGMETRICS_RULETEST_H
#define LOGMETRICS_RULETEST_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* One expected series, as an exposition line writes it. */
struct rt_sample {
	char  *name;
	char **lnames;
	char **lvalues;
	size_t nlabels;
	double value;
	int    line;
	/* Its exemplar, after "# " (OpenMetrics): labels, value, time. */
	int    hasex;
	char **exnames;
	char **exvalues;
	size_t nex;
	double exvalue;
	double extime;
	int    hasextime;
};

/* Lines of a case: inline, or a file's (path set); "matches" after an
 * inline line names the rules it must feed (none: "matches nothing"),
 * mline 0 when there is no such statement. */
struct rt_input {
	char  *text; /* the line, or NULL */
	size_t len;
	char  *path; /* a fixture file, relative paths made absolute */
	int    line;
	int    col;
	char **matches;
	size_t nmatches;
	int    mline;
};

/* A rule's error count expected after a case's lines. */
struct rt_errors {
	char		  *rule;
	unsigned long long count;
	int		   line;
};

/* A family whose series must all be expected ("only"). */
struct rt_only {
	char *name;
	int   line;
};

struct rt_case {
	char		 *name;
	int		  line;
	double		  now; /* < 0: the newest log time, as one-shot */
	struct rt_input	 *in;
	size_t		  nin;
	struct rt_sample *expect;
	size_t		  nexpect;
	struct rt_sample *absent; /* values unused */
	size_t		  nabsent;
	struct rt_only	 *only;
	size_t		  nonly;
	struct rt_errors *errors;
	size_t		  nerrors;
};

struct rt_file {
	char	       *path;
	char	      **rules; /* paths, made absolute */
	size_t		nrules;
	int	       *rulesline;
	char	      **env; /* NAME=VALUE */
	size_t		nenv;
	char	      **lnames; /* label NAME=VALUE */
	char	      **lvalues;
	size_t		nlabels;
	struct rt_case *cases;
	size_t		ncases;
};

/*
 * Parses a test file's text; name is used in messages and relative paths
 * are taken from its directory. Returns 0, or -1 with every error, one
 * "name:line:col: message" a line, in err.
 */
int  ruletest_parse(struct rt_file *, const char *name, const char *text,
     size_t len, struct buf *err);
void ruletest_free(struct rt_file *);

/*
 * Parses one exposition line "name{label="value",...} value" into s, or
 * without the value when novalue. Returns 0, or -1 with the column
 * (1-based) of what is wrong in *col and a message in err.
 */
int  ruletest_sample(const char *s, size_t n, struct rt_sample *, int novalue,
     int *col, char *err, size_t errlen);
void ruletest_sample_free(struct rt_sample *);

/*
 * Runs the test files, reporting to out. Returns 0 when every case of
 * every file holds, 1 when one failed (or its rules did not load), 2
 * when a file could not be read or parsed.
 */
int ruletest_run(char *const *files, size_t nfiles, size_t max_line, FILE *out);

#endif
