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
#include "log.h"
#include "oneshot.h"
#include "record.h"
#include "ruletest.h"
#include "ts.h"

#ifndef LOGMETRICS_VERSION
#define LOGMETRICS_VERSION "0.0.0"
#endif

enum {
	OPT_CHECK = 256,
	OPT_DEPTH_LIMIT,
	OPT_EXPLAIN,
	OPT_FORMAT,
	OPT_FROM_START,
	OPT_JOURNAL_DIR,
	OPT_LOG_LEVEL,
	OPT_MATCH_LIMIT,
	OPT_MAX_CONNS,
	OPT_MAX_LABEL,
	OPT_MAX_LINE,
	OPT_MAX_OPEN,
	OPT_MAX_DIRS,
	OPT_PATH_LABELS,
	OPT_MAX_SERIES,
	OPT_METRICS_PATH,
	OPT_NO_INOTIFY,
	OPT_NOW,
	OPT_ONE_SHOT,
	OPT_PER_IP_CONNS,
	OPT_POLL_INTERVAL,
	OPT_SERIES_EXPIRY,
	OPT_STATE_FILE,
	OPT_STATE_INTERVAL,
	OPT_STEP,
	OPT_TEST,
	OPT_TIMEOUT,
	OPT_VERSION,
	OPT_WEB_CONFIG,
};

static const struct option longopts[] = {
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "depth-limit", required_argument, NULL, OPT_DEPTH_LIMIT },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "from-start", no_argument, NULL, OPT_FROM_START },
	{ "help", no_argument, NULL, 'h' },
	{ "label", required_argument, NULL, 'L' },
	{ "listen", required_argument, NULL, 'l' },
	{ "journal-dir", required_argument, NULL, OPT_JOURNAL_DIR },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "match-limit", required_argument, NULL, OPT_MATCH_LIMIT },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-label-bytes", required_argument, NULL, OPT_MAX_LABEL },
	{ "max-line-bytes", required_argument, NULL, OPT_MAX_LINE },
	{ "max-open-files", required_argument, NULL, OPT_MAX_OPEN },
	{ "max-watched-dirs", required_argument, NULL, OPT_MAX_DIRS },
	{ "path-labels", required_argument, NULL, OPT_PATH_LABELS },
	{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
	{ "metrics-path", required_argument, NULL, OPT_METRICS_PATH },
	{ "no-inotify", no_argument, NULL, OPT_NO_INOTIFY },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "one-shot", no_argument, NULL, OPT_ONE_SHOT },
	{ "output", required_argument, NULL, 'o' },
	{ "per-ip-connections", required_argument, NULL, OPT_PER_IP_CONNS },
	{ "poll-interval", required_argument, NULL, OPT_POLL_INTERVAL },
	{ "rules", required_argument, NULL, 'r' },
	{ "series-expiry", required_argument, NULL, OPT_SERIES_EXPIRY },
	{ "state-file", required_argument, NULL, OPT_STATE_FILE },
	{ "state-interval", required_argument, NULL, OPT_STATE_INTERVAL },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "test", no_argument, NULL, OPT_TEST },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn)) usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f,
	    "usage: logmetrics [-h] [--check] [--depth-limit N] [--explain]\n"
	    "                  [--format text|openmetrics] [--from-start]\n"
	    "                  [--journal-dir dir] [-L name=value] [-l [addr]:port]\n"
	    "                  [--log-level level]\n"
	    "                  [--match-limit N] [--max-connections N]\n"
	    "                  [--max-label-bytes N] [--max-line-bytes N]\n"
	    "                  [--max-open-files N] [--max-series N]\n"
	    "                  [--max-watched-dirs N] [--metrics-path path]\n"
	    "                  [--no-inotify] [--now time]\n"
	    "                  [--one-shot] [-o file] [--path-labels regex]\n"
	    "                  [--per-ip-connections N]\n"
	    "                  [--poll-interval duration] -r rules\n"
	    "                  [--series-expiry duration] [--state-file file]\n"
	    "                  [--state-interval duration] [--step duration]\n"
	    "                  [--timeout seconds] [--version] [--web-config file]\n"
	    "                  [file ...]\n"
	    "       logmetrics --test [--max-line-bytes N] testfile ...\n");
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
};

/*
 * Reads the flags into c, every default set first; exits on a bad one.
 * One case per flag: the switch is as long as the option table.
 */
static void
flags(struct cli *c, int argc, char *argv[])
{
	char	       *eq;
	int		ch, lvl;
	enum name_fault nf;

	memset(c, 0, sizeof(*c));
	c->eo.max_series = 10000;
	c->eo.max_label = 1024;
	c->oo.now = -1;
	c->oo.format = EXPOSE_TEXT;
	tail_opts_init(&c->dopts.tail);
	http_opts_init(&c->dopts.http);
	c->oo.max_line = c->dopts.tail.max_line;
	c->dopts.state_interval = 5;

	while (
	    (ch = getopt_long(argc, argv, "hL:l:o:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'L':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    eq == optarg) {
				fprintf(stderr,
				    "logmetrics: --label: expected "
				    "name=value, found '%s'\n",
				    optarg);
				exit(2);
			}
			*eq = '\0';
			if ((nf = label_name_check(optarg, 0)) != NAME_OK) {
				fprintf(stderr,
				    "logmetrics: --label: '%s' is "
				    "%s\n",
				    optarg,
				    nf == NAME_LE ?
					"reserved for histogram buckets" :
					"not a valid label name");
				exit(2);
			}
			c->lnames = xreallocarray(c->lnames, c->nlabels + 1,
			    sizeof(char *));
			c->lvalues = xreallocarray(c->lvalues, c->nlabels + 1,
			    sizeof(char *));
			c->lnames[c->nlabels] = optarg;
			c->lvalues[c->nlabels++] = eq + 1;
			break;
		case 'l':
			c->dopts.http.listen = optarg;
			break;
		case 'o':
			c->oo.output = optarg;
			break;
		case 'r':
			c->rules = xreallocarray(c->rules, c->nrules + 1,
			    sizeof(char *));
			c->rules[c->nrules++] = optarg;
			break;
		case OPT_CHECK:
			c->check = 1;
			break;
		case OPT_DEPTH_LIMIT:
			c->eo.depth_limit = (uint32_t)number("--depth-limit",
			    optarg, 1, UINT32_MAX);
			break;
		case OPT_EXPLAIN:
			c->explain_mode = 1;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				c->oo.format = EXPOSE_TEXT;
			else if (strcmp(optarg, "openmetrics") == 0)
				c->oo.format = EXPOSE_OPENMETRICS;
			else {
				fprintf(stderr,
				    "logmetrics: --format: expected "
				    "text or openmetrics, found '%s'\n",
				    optarg);
				exit(2);
			}
			break;
		case OPT_JOURNAL_DIR:
			c->oo.journal_dir = c->dopts.journal_dir = optarg;
			break;
		case OPT_FROM_START:
			c->dopts.tail.from_start = 1;
			break;
		case OPT_LOG_LEVEL:
			if ((lvl = log_parselevel(optarg)) == -1) {
				fprintf(stderr,
				    "logmetrics: --log-level: "
				    "expected error, warn, info or debug, "
				    "found '%s'\n",
				    optarg);
				exit(2);
			}
			log_setlevel((enum log_level)lvl);
			break;
		case OPT_MATCH_LIMIT:
			c->eo.match_limit = (uint32_t)number("--match-limit",
			    optarg, 1, UINT32_MAX);
			break;
		case OPT_MAX_CONNS:
			c->dopts.http.max_conns = (unsigned)
			    number("--max-connections", optarg, 1, 65536);
			break;
		case OPT_MAX_LABEL:
			c->eo.max_label = (size_t)number("--max-label-bytes",
			    optarg, 16, 1 << 20);
			break;
		case OPT_MAX_LINE:
			c->oo.max_line = c->dopts.tail.max_line = (size_t)
			    number("--max-line-bytes", optarg, 64, 1 << 30);
			break;
		case OPT_MAX_OPEN:
			c->dopts.tail.max_open = (size_t)
			    number("--max-open-files", optarg, 1, 1 << 20);
			break;
		case OPT_MAX_DIRS:
			c->dopts.tail.max_dirs = (size_t)
			    number("--max-watched-dirs", optarg, 1, 1 << 24);
			break;
		case OPT_PATH_LABELS:
			c->eo.path_labels = optarg;
			break;
		case OPT_MAX_SERIES:
			c->eo.max_series = (size_t)number("--max-series",
			    optarg, 0, 1ULL << 32);
			break;
		case OPT_METRICS_PATH:
			if (optarg[0] != '/' || strcmp(optarg, "/") == 0) {
				fprintf(stderr,
				    "logmetrics: --metrics-path: "
				    "expected a path such as /metrics, found "
				    "'%s'\n",
				    optarg);
				exit(2);
			}
			c->dopts.http.metrics_path = optarg;
			break;
		case OPT_NO_INOTIFY:
			c->dopts.tail.no_inotify = 1;
			break;
		case OPT_NOW:
			c->oo.now = timearg("--now", optarg);
			break;
		case OPT_ONE_SHOT:
			c->oneshot = 1;
			break;
		case OPT_PER_IP_CONNS:
			c->dopts.http.per_ip_conns = (unsigned)
			    number("--per-ip-connections", optarg, 1, 65536);
			break;
		case OPT_POLL_INTERVAL:
			c->dopts.tail.poll_interval =
			    duration("--poll-interval", optarg);
			break;
		case OPT_SERIES_EXPIRY:
			c->eo.series_expiry = duration("--series-expiry",
			    optarg);
			break;
		case OPT_STATE_FILE:
			c->dopts.state_file = optarg;
			break;
		case OPT_STATE_INTERVAL:
			c->dopts.state_interval = duration("--state-interval",
			    optarg);
			break;
		case OPT_STEP:
			c->oo.step = duration("--step", optarg);
			break;
		case OPT_TEST:
			c->test = 1;
			break;
		case OPT_TIMEOUT:
			c->dopts.http.timeout_s = (unsigned)number("--timeout",
			    optarg, 1, 3600);
			break;
		case OPT_VERSION:
			printf("logmetrics %s\n", LOGMETRICS_VERSION);
			exit(0);
		case OPT_WEB_CONFIG:
			c->dopts.web_config = optarg;
			break;
		default:
			usage(2);
		}
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
	    (c->oo.output != NULL || c->oo.now >= 0 || c->oo.step > 0)) {
		fprintf(stderr,
		    "logmetrics: --output, --now and --step go with "
		    "--one-shot\n");
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
	free(c->lnames);
	free(c->lvalues);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct cli c;

	log_init("logmetrics", LOG_LVL_INFO);
	flags(&c, argc, argv);
	argc -= optind;
	argv += optind;
	if (c.test)
		return run_tests(&c, argc, argv);
	check_args(&c, argc, argv);
	return run(&c, argc, argv);
}
