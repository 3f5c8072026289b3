/*
 * main.c: flags, then one of the modes: check, explain, one-shot, follow.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "engine.h"
#include "expose.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "oneshot.h"
#include "record.h"
#include "ruletest.h"
#include "ts.h"
#include "workers.h"

#ifndef LOGMETRICS_VERSION
#define LOGMETRICS_VERSION "0.0.0"
#endif

/*
 * The option table, the usage and the text of --help, generated from
 * man/logmetrics.1 by man/options.awk: the page is their one source.
 */
#include "options.h"

/*
 * getopt_long's value for the long form of option o; the short forms
 * return their letter.
 */
#define LONG_VAL(o) (256 + (int)(o))

static void __attribute__((noreturn)) usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fputs(opt_usage, f);
	if (status == 0)
		fputs(opt_help, f);
	exit(status);
}

static unsigned long long
number(const char *flag, const char *s, unsigned long long min,
    unsigned long long max)
{
	char		  *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		fprintf(stderr,
		    "logmetrics: %s: '%s' is not a number from "
		    "%llu to %llu\n",
		    flag, s, min, max);
		exit(2);
	}
	return v;
}

/* n bytes as a person reads them: "1048576" is "1MiB". */
static const char *
bytes(size_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "", "KiB", "MiB", "GiB" };
	size_t			 u = 0;

	while (u < 3 && n >= 1024 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	snprintf(buf, len, "%zu%s", n, unit[u]);
	return buf;
}

/* Bytes: "65536", "64KiB", "1MiB", "1GiB". */
static size_t
size(const char *flag, const char *s, size_t min, size_t max)
{
	static const char *const unit[] = { "", "KiB", "MiB", "GiB" };
	unsigned long long	 v;
	char			*end, a[32], b[32];
	size_t			 u;

	errno = 0;
	v = strtoull(s, &end, 10);
	for (u = 0; u < 4; u++)
		if (strcmp(end, unit[u]) == 0)
			break;
	if (end == s || *s == '-' || errno != 0 || u == 4 ||
	    v > (unsigned long long)max >> (10 * u) || v << (10 * u) < min) {
		fprintf(stderr,
		    "logmetrics: %s: '%s' is not a size from %s to %s "
		    "(bytes, or with KiB, MiB or GiB)\n",
		    flag, s, bytes(min, a, sizeof(a)),
		    bytes(max, b, sizeof(b)));
		exit(2);
	}
	return (size_t)(v << (10 * u));
}

/* "1.5", "500ms", "2s", "1m": seconds. */
static double
duration(const char *flag, const char *s)
{
	char  *end;
	double v;

	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v <= 0)
		goto bad;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60;
	else if (strcmp(end, "h") == 0)
		v *= 3600;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		goto bad;
	return v;
bad:
	fprintf(stderr,
	    "logmetrics: %s: '%s' is not a duration (e.g. 500ms, "
	    "2s, 1m)\n",
	    flag, s);
	exit(2);
}

/* Unix seconds, or an RFC 3339 time. */
static double
timearg(const char *flag, const char *s)
{
	double v;

	if (ts_parse_time(s, strlen(s), &v) == 0)
		return v;
	fprintf(stderr,
	    "logmetrics: %s: '%s' is neither Unix seconds nor an "
	    "RFC 3339 time\n",
	    flag, s);
	exit(2);
}

/* Reads lines on stdin and says, for each, what every rule does with it. */
static int
explain(struct engine *e)
{
	struct buf    out;
	char	     *line = NULL;
	size_t	      cap = 0;
	ssize_t	      n;
	unsigned long lineno = 0;

	buf_init(&out);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		buf_reset(&out);
		buf_printf(&out, "line %lu:\n", lineno);
		matcher_explain(e->m, line, (size_t)n, now_wall(), &out);
		fwrite(out.p, 1, out.len, stdout);
	}
	free(line);
	buf_free(&out);
	return ferror(stdin) ? 1 : 0;
}

/* What the flags say. */
struct cli {
	struct engine_opts  eo;
	struct oneshot_opts oo;
	struct daemon_opts  dopts;
	const char	  **rules;
	size_t		    nrules;
	char		  **lnames;
	char		  **lvalues;
	size_t		    nlabels;
	int		    check;
	int		    explain_mode;
	int		    oneshot;
	int		    test;
	int		    threads; /* --threads was given */
};

/* The flag of option o as a person writes it: "--max-series". */
static const char *
flag(enum opt o)
{
	static char name[64];

	snprintf(name, sizeof(name), "--%s", optdefs[o].name);
	return name;
}

/* -L name=value: the name checked, both kept. */
static void
label(struct cli *c, const char *arg)
{
	const char     *eq;
	char	       *name;
	enum name_fault nf;

	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		fprintf(stderr,
		    "logmetrics: --label: expected name=value, found '%s'\n",
		    arg);
		exit(2);
	}
	name = xstrndup(arg, (size_t)(eq - arg));
	if ((nf = label_name_check(name, 0)) != NAME_OK) {
		fprintf(stderr, "logmetrics: --label: '%s' is %s\n", name,
		    nf == NAME_LE ? "reserved for histogram buckets" :
				    "not a valid label name");
		exit(2);
	}
	c->lnames = xreallocarray(c->lnames, c->nlabels + 1, sizeof(char *));
	c->lvalues = xreallocarray(c->lvalues, c->nlabels + 1, sizeof(char *));
	c->lnames[c->nlabels] = name;
	c->lvalues[c->nlabels++] = xstrdup(eq + 1);
}

/*
 * Option o takes arg (NULL for a flag without argument): the one place
 * where an option has an effect, for the defaults of the page as for the
 * command line. A case per option of the page and no default label: an
 * option the page adds and this does not handle is a build error.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch"
static void
set(struct cli *c, enum opt o, const char *arg)
{
	char err[512];
	int  lvl;

	switch (o) {
	case OPT_HELP:
		usage(0);
	case OPT_VERSION:
		printf("logmetrics %s\n", LOGMETRICS_VERSION);
		exit(0);
	case OPT_ONE_SHOT:
		c->oneshot = 1;
		break;
	case OPT_CHECK:
		c->check = 1;
		break;
	case OPT_EXPLAIN:
		c->explain_mode = 1;
		break;
	case OPT_TEST:
		c->test = 1;
		break;
	case OPT_FROM_START:
		c->dopts.tail.from_start = 1;
		break;
	case OPT_JOURNAL_DIR:
		c->oo.journal_dir = c->dopts.journal_dir = arg;
		break;
	case OPT_NO_INOTIFY:
		c->dopts.tail.no_inotify = 1;
		break;
	case OPT_POLL_INTERVAL:
		c->dopts.tail.poll_interval = duration(flag(o), arg);
		break;
	case OPT_RULES:
		c->rules = xreallocarray(c->rules, c->nrules + 1,
		    sizeof(char *));
		c->rules[c->nrules++] = arg;
		break;
	case OPT_LABEL:
		label(c, arg);
		break;
	case OPT_PATH_LABELS:
		c->eo.path_labels = arg;
		break;
	case OPT_SERIES_EXPIRY:
		c->eo.series_expiry = duration(flag(o), arg);
		break;
	case OPT_FORMAT:
		if (strcmp(arg, "text") == 0)
			c->oo.format = EXPOSE_TEXT;
		else if (strcmp(arg, "openmetrics") == 0)
			c->oo.format = EXPOSE_OPENMETRICS;
		else {
			fprintf(stderr,
			    "logmetrics: --format: expected text or "
			    "openmetrics, found '%s'\n",
			    arg);
			exit(2);
		}
		break;
	case OPT_OUTPUT:
		c->oo.output = arg;
		break;
	case OPT_NOW:
		c->oo.now = timearg(flag(o), arg);
		break;
	case OPT_STEP:
		c->oo.step = duration(flag(o), arg);
		break;
	case OPT_LOG_LEVEL:
		if ((lvl = log_parselevel(arg)) == -1) {
			fprintf(stderr,
			    "logmetrics: --log-level: expected error, warn, "
			    "info or debug, found '%s'\n",
			    arg);
			exit(2);
		}
		log_setlevel((enum log_level)lvl);
		break;
	case OPT_LISTEN:
		if (http_listen_check(arg, err, sizeof(err)) == -1) {
			fprintf(stderr,
			    "logmetrics: --listen: %s (takes [addr]:port, such "
			    "as :5000 or 127.0.0.1:5000)\n",
			    err);
			exit(2);
		}
		c->dopts.http.listen = arg;
		break;
	case OPT_METRICS_PATH:
		if (arg[0] != '/' || strcmp(arg, "/") == 0) {
			fprintf(stderr,
			    "logmetrics: --metrics-path: expected a path such "
			    "as /metrics, found '%s'\n",
			    arg);
			exit(2);
		}
		c->dopts.http.metrics_path = arg;
		break;
	case OPT_WEB_CONFIG:
		c->dopts.web_config = arg;
		break;
	case OPT_NO_STATUS_PAGE:
		c->dopts.http.no_status_page = 1;
		break;
	case OPT_ENABLE_RELOAD:
		c->dopts.http.enable_reload = 1;
		break;
	case OPT_MAX_CONNECTIONS:
		c->dopts.http.max_conns = (unsigned)number(flag(o), arg, 1,
		    65536);
		break;
	case OPT_PER_IP_CONNECTIONS:
		c->dopts.http.per_ip_conns = (unsigned)number(flag(o), arg, 1,
		    65536);
		break;
	case OPT_TIMEOUT:
		c->dopts.http.timeout_s = (unsigned)number(flag(o), arg, 1,
		    3600);
		break;
	case OPT_STATE_FILE:
		c->dopts.state_file = arg;
		break;
	case OPT_STATE_INTERVAL:
		c->dopts.state_interval = duration(flag(o), arg);
		break;
	case OPT_MAX_LINE_BYTES:
		c->oo.max_line = c->dopts.tail.max_line = size(flag(o), arg, 64,
		    1 << 30);
		break;
	case OPT_MAX_LABEL_BYTES:
		c->eo.max_label = size(flag(o), arg, 16, 1 << 20);
		break;
	case OPT_MAX_SERIES:
		c->eo.max_series = (size_t)number(flag(o), arg, 0, 1ULL << 32);
		break;
	case OPT_MAX_OPEN_FILES:
		c->dopts.tail.max_open = (size_t)number(flag(o), arg, 1,
		    1 << 20);
		break;
	case OPT_MAX_WATCHED_DIRS:
		c->dopts.tail.max_dirs = (size_t)number(flag(o), arg, 1,
		    1 << 24);
		break;
	case OPT_THREADS:
		c->oo.threads = (size_t)number(flag(o), arg, 1, 1024);
		c->threads = 1;
		break;
	case OPT_MATCH_LIMIT:
		c->eo.match_limit = (uint32_t)number(flag(o), arg, 1,
		    UINT32_MAX);
		break;
	case OPT_DEPTH_LIMIT:
		c->eo.depth_limit = (uint32_t)number(flag(o), arg, 1,
		    UINT32_MAX);
		break;
	}
}
#pragma GCC diagnostic pop

/*
 * The edit distance of a and b (insertions, deletions, substitutions and
 * swaps of two neighbours), or SIZE_MAX for words longer than a flag.
 */
static size_t
distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t d[3][65], i, j, cost, v;

	if (n > 64 || m > 64)
		return SIZE_MAX;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++) {
		size_t *row = d[i % 3], *up = d[(i - 1) % 3],
		       *up2 = d[(i + 1) % 3];

		row[0] = i;
		for (j = 1; j <= m; j++) {
			cost = a[i - 1] != b[j - 1];
			v = up[j - 1] + cost;
			if (up[j] + 1 < v)
				v = up[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && up2[j - 2] + 1 < v)
				v = up2[j - 2] + 1;
			row[j] = v;
		}
	}
	return d[n % 3][m];
}

/*
 * The long option nearest to the n bytes at word, when near enough to be
 * what was meant, or -1.
 */
static int
nearest(const char *word, size_t n)
{
	size_t best = SIZE_MAX, d;
	int    o, found = -1;

	for (o = 0; o < OPT_COUNT; o++) {
		d = distance(word, n, optdefs[o].name, strlen(optdefs[o].name));
		if (d < best) {
			best = d;
			found = o;
		}
	}
	return best <= 2 || best * 3 <= n ? found : -1;
}

/* The option whose long name is the n bytes at word, or -1. */
static int
long_named(const char *word, size_t n)
{
	int o;

	for (o = 0; o < OPT_COUNT; o++)
		if (strlen(optdefs[o].name) == n &&
		    memcmp(optdefs[o].name, word, n) == 0)
			return o;
	return -1;
}

/* The option getopt_long returned ch for, or -1. */
static int
option_of(int ch)
{
	int o;

	for (o = 0; o < OPT_COUNT; o++)
		if (ch == LONG_VAL(o) || (ch < 256 && ch == optdefs[o].letter))
			return o;
	return -1;
}

static void __attribute__((noreturn)) unknown_flag(const char *word)
{
	size_t n;
	int    o, many = 0;

	if (word[0] == '-' && word[1] == '-') {
		word += 2;
		n = strcspn(word, "=");
		for (o = 0; o < OPT_COUNT; o++)
			if (strncmp(optdefs[o].name, word, n) == 0)
				many++;
		if (many > 1) {
			fprintf(stderr,
			    "logmetrics: --%.*s is the start of %d options:",
			    (int)n, word, many);
			for (o = 0; o < OPT_COUNT; o++)
				if (strncmp(optdefs[o].name, word, n) == 0)
					fprintf(stderr, " --%s",
					    optdefs[o].name);
			fputc('\n', stderr);
			exit(2);
		}
		fprintf(stderr, "logmetrics: unknown option --%.*s", (int)n,
		    word);
		if ((o = nearest(word, n)) != -1)
			fprintf(stderr, "; did you mean --%s?",
			    optdefs[o].name);
	} else
		fprintf(stderr, "logmetrics: unknown option %s", word);
	fprintf(stderr, "\nlogmetrics --help lists the options\n");
	exit(2);
}

/*
 * Says what is wrong with the flag getopt_long stopped at (ch is '?' or
 * ':') in one or two lines, and exits with status 2.
 */
static void __attribute__((noreturn)) bad_flag(int ch, int argc, char *argv[])
{
	char letter[3] = { '-', (char)optopt, '\0' };
	int  o = optopt != 0 ? option_of(optopt) : -1, i;

	if (ch == ':' && o != -1) {
		fprintf(stderr, "logmetrics: %s takes a value: %s %s\n",
		    optopt < 256 ? letter : flag((enum opt)o),
		    optopt < 256 ? letter : flag((enum opt)o), optdefs[o].arg);
		exit(2);
	}
	if (o != -1) {
		fprintf(stderr, "logmetrics: %s takes no value\n",
		    flag((enum opt)o));
		exit(2);
	}
	if (optopt == 0)
		unknown_flag(argv[optind - 1]);
	/* "-check": a long option written with one dash. */
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == optopt &&
		    (o = long_named(argv[i] + 1, strcspn(argv[i] + 1, "="))) !=
			-1) {
			fprintf(stderr,
			    "logmetrics: unknown option %s; did you mean "
			    "--%s?\n",
			    argv[i], optdefs[o].name);
			exit(2);
		}
	}
	unknown_flag(letter);
}

/*
 * Reads the flags into c: first the default of every option as the page
 * gives it, then the command line. Exits on a bad one.
 */
static void
flags(struct cli *c, int argc, char *argv[])
{
	struct option longopts[OPT_COUNT + 1];
	const char   *w;
	size_t	      i;
	int	      ch, o, lo;

	memset(c, 0, sizeof(*c));
	c->oo.now = -1;
	c->oo.threads = workers_cpus();
	tail_opts_init(&c->dopts.tail);
	http_opts_init(&c->dopts.http);
	for (i = 0; i < OPT_COUNT; i++)
		if (optdefs[i].dflt != NULL)
			set(c, (enum opt)i, optdefs[i].dflt);

	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < OPT_COUNT; i++) {
		longopts[i].name = optdefs[i].name;
		longopts[i].has_arg = optdefs[i].arg != NULL ?
		    required_argument :
		    no_argument;
		longopts[i].val = LONG_VAL(i);
	}
	opterr = 0;
	while (
	    (ch = getopt_long(argc, argv, opt_letters, longopts, NULL)) != -1) {
		if (ch == '?' || ch == ':')
			bad_flag(ch, argc, argv);
		o = option_of(ch);
		/* "-listen": -l with "isten", a long option with one dash. */
		w = argv[optind - 1];
		if (ch < 256 && optarg == w + 2 &&
		    (lo = long_named(w + 1, strcspn(w + 1, "="))) != -1) {
			fprintf(stderr,
			    "logmetrics: unknown option %s; did you mean "
			    "--%s?\n",
			    w, optdefs[lo].name);
			exit(2);
		}
		set(c, (enum opt)o, optarg);
	}
}

/* --test: the test files, with nothing else. */
static int
run_tests(struct cli *c, int argc, char *argv[])
{
	if (c->nrules > 0 || c->nlabels > 0 || c->check || c->explain_mode ||
	    c->oneshot) {
		fprintf(stderr,
		    "logmetrics: --test takes its rules and labels "
		    "from the test files\n");
		exit(2);
	}
	if (argc == 0) {
		fprintf(stderr, "logmetrics: --test: no test file\n");
		usage(2);
	}
	return ruletest_run(argv, (size_t)argc, c->oo.max_line, stdout);
}

/*
 * Checks that the flags and the files go together; exits, saying why,
 * when they do not.
 */
static void
check_args(const struct cli *c, int argc, char *argv[])
{
	struct record_kind kind;
	char		   err[1024];
	int		   i, n, nj;

	if (c->nrules == 0) {
		fprintf(stderr,
		    "logmetrics: no rules: give -r FILE or "
		    "-r DIRECTORY\n");
		usage(2);
	}
	if (c->check + c->explain_mode + c->oneshot > 1) {
		fprintf(stderr,
		    "logmetrics: --check, --explain and --one-shot "
		    "exclude each other\n");
		exit(2);
	}
	if ((c->check || c->explain_mode) && argc > 0) {
		fprintf(stderr, "logmetrics: --%s takes no files\n",
		    c->check ? "check" : "explain");
		exit(2);
	}
	if (!c->check && !c->explain_mode && argc == 0) {
		fprintf(stderr, "logmetrics: no log files given\n");
		usage(2);
	}
	for (i = 0, n = 0; i < argc; i++)
		n += strcmp(argv[i], "-") == 0;
	if (n > 1) {
		fprintf(stderr,
		    "logmetrics: standard input (-) is read once\n");
		exit(2);
	}
	for (i = 0; i < argc && !c->oneshot; i++) {
		if (strcmp(record_prefix(argv[i], &kind), "-") == 0 &&
		    kind.fmt != RECORD_PLAIN) {
			fprintf(stderr,
			    "logmetrics: %s: standard input in a container "
			    "runtime's format is read in --one-shot mode "
			    "only\n",
			    argv[i]);
			exit(2);
		}
	}
	for (i = 0; i < argc; i++) {
		struct journal_spec js;
		size_t		    col;

		if (!journal_arg(argv[i]))
			continue;
		if (journal_spec_parse(argv[i], &js, &col, err, sizeof(err)) ==
		    -1) {
			fprintf(stderr, "logmetrics: %s:%zu: %s\n", argv[i],
			    col, err);
			exit(2);
		}
		journal_spec_free(&js);
	}
	for (i = 0, nj = 0; i < argc && !c->oneshot; i++)
		nj += journal_arg(argv[i]);
	if (nj > JOURNALS_MAX) {
		fprintf(stderr,
		    "logmetrics: %d journal arguments; follow mode reads %d "
		    "at most (matches of one field are alternatives: "
		    "journal:_SYSTEMD_UNIT=a.service,_SYSTEMD_UNIT=b.service)\n",
		    nj, JOURNALS_MAX);
		exit(2);
	}
	if (n > 0 && c->dopts.state_file != NULL) {
		fprintf(stderr,
		    "logmetrics: --state-file cannot resume standard input "
		    "(-): follow files to keep state\n");
		exit(2);
	}
	if (!c->oneshot &&
	    (c->oo.output != NULL || c->oo.now >= 0 || c->oo.step > 0 ||
		c->threads)) {
		fprintf(stderr,
		    "logmetrics: --output, --now, --step and --threads go "
		    "with --one-shot\n");
		exit(2);
	}
	if (c->oo.step > 0 && c->oo.format != EXPOSE_OPENMETRICS) {
		fprintf(stderr,
		    "logmetrics: --step needs --format "
		    "openmetrics\n");
		exit(2);
	}
	if (c->oneshot &&
	    (c->dopts.state_file != NULL || c->dopts.web_config != NULL)) {
		fprintf(stderr,
		    "logmetrics: --state-file and --web-config go "
		    "with follow mode\n");
		exit(2);
	}
}

/* Loads the rules and runs the mode; returns the exit status. */
static int
run(struct cli *c, int argc, char *argv[])
{
	struct engine e;
	char	      err[8192];
	size_t	      i;
	int	      rc;

	c->eo.rules = c->rules;
	c->eo.nrules = c->nrules;
	c->eo.lnames = c->lnames;
	c->eo.lvalues = c->lvalues;
	c->eo.nlabels = c->nlabels;
	if (engine_load(&e, &c->eo, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s%s", err,
		    err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
		exit(2);
	}
	if (c->check) {
		if (e.rs->warnings != NULL)
			fputs(e.rs->warnings, stderr);
		printf("rules OK: %zu metrics, %zu rules\n", e.rs->ndecls,
		    e.rs->nrules);
		rc = 0;
	} else if (c->explain_mode)
		rc = explain(&e);
	else if (c->oneshot) {
		c->oo.files = argv;
		c->oo.nfiles = (size_t)argc;
		rc = oneshot_run(&e, &c->oo);
	} else {
		c->dopts.eng = c->eo;
		c->dopts.paths = argv;
		c->dopts.npaths = (size_t)argc;
		rc = daemon_run(&e, &c->dopts);
	}
	engine_free(&e);
	free(c->rules);
	for (i = 0; i < c->nlabels; i++) {
		free(c->lnames[i]);
		free(c->lvalues[i]);
	}
	free(c->lnames);
	free(c->lvalues);
	return rc;
}

/*
 * LOGMETRICS_SCAN picks the JSON scanner, for tests and benchmarks; by
 * default the widest vectors the CPU has.
 */
static void
scanner(void)
{
	const char	 *v = getenv("LOGMETRICS_SCAN");
	enum json_scanner sc = JSON_SCAN_SIMD;

	if (v != NULL && *v != '\0' && json_scanner_parse(v, &sc) == -1) {
		fprintf(stderr,
		    "logmetrics: LOGMETRICS_SCAN: '%s' is not simd, scalar, "
		    "sse2, avx2 or neon\n",
		    v);
		exit(2);
	}
	if (json_use(sc) == -1) {
		fprintf(stderr,
		    "logmetrics: LOGMETRICS_SCAN: no %s scanner on this "
		    "machine\n",
		    v);
		exit(2);
	}
}

int
main(int argc, char *argv[])
{
	struct cli c;

	log_init("logmetrics", LOG_LVL_INFO);
	scanner();
	flags(&c, argc, argv);
	argc -= optind;
	argv += optind;
	if (c.test)
		return run_tests(&c, argc, argv);
	check_args(&c, argc, argv);
	return run(&c, argc, argv);
}
