/*
 * log.h: the daemon's own log, one line per event on stderr.
 */
#ifndef LOGMETRICS_LOG_H
#define LOGMETRICS_LOG_H

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_init(const char *progname, enum log_level);
void log_setlevel(enum log_level);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int  log_parselevel(const char *);
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* As log_warnx, with ": strerror(errno)" appended. */
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
