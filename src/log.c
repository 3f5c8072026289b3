/*
 * log.c: the daemon's own log on stderr, one line per event.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static const char    *progname = "logmetrics";
static enum log_level level = LOG_LVL_INFO;

static const char *const levelnames[] = { "error", "warn", "info", "debug" };

void
log_init(const char *name, enum log_level lvl)
{
	progname = name;
	level = lvl;
}

void
log_setlevel(enum log_level lvl)
{
	level = lvl;
}

int
log_parselevel(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(levelnames) / sizeof(levelnames[0]); i++)
		if (strcasecmp(s, levelnames[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "warning") == 0)
		return LOG_LVL_WARN;
	return -1;
}

/*
 * Warnings and errors are rate-limited: at most LOG_BURST in any window
 * of LOG_WINDOW seconds; the rest are counted and their number said once
 * the window is over, so a flood of bad input cannot fill a disk.
 */
#define LOG_BURST  50
#define LOG_WINDOW 10

static pthread_mutex_t ratelock = PTHREAD_MUTEX_INITIALIZER;
static time_t	       window;
static unsigned	       inwindow;
static unsigned long   suppressed;

static int
rate_ok(void)
{
	time_t now = time(NULL);

	if (now - window >= LOG_WINDOW) {
		if (suppressed > 0)
			fprintf(stderr,
			    "%s: warn: %lu messages suppressed in "
			    "the last %d s\n",
			    progname, suppressed, LOG_WINDOW);
		window = now;
		inwindow = 0;
		suppressed = 0;
	}
	if (inwindow >= LOG_BURST) {
		suppressed++;
		return 0;
	}
	inwindow++;
	return 1;
}

static void
vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	char msg[1024];
	int  saved = errno;

	if (lvl > level)
		return;
	if (lvl <= LOG_LVL_WARN) {
		int ok;

		pthread_mutex_lock(&ratelock);
		ok = rate_ok();
		pthread_mutex_unlock(&ratelock);
		if (!ok)
			return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s: %s: %s: %s\n", progname, levelnames[lvl],
		    msg, strerror(saved));
	else
		fprintf(stderr, "%s: %s: %s\n", progname, levelnames[lvl], msg);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, 1, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}
