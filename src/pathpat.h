/*
 * pathpat.h: path patterns with globs in any part. A pattern is split at
 * '/' into parts: a name, a glob(7) pattern (*, ?, [...], matched as
 * fnmatch(3) does with FNM_PERIOD: no leading dot unless the part starts
 * with one), or "**", any number of directories, none included, never a
 * hidden one (a leading dot) nor a link to a directory. A pattern that
 * ends in "**" has a "*" part after it: every file below.
 */
#ifndef LOGMETRICS_PATHPAT_H
#define LOGMETRICS_PATHPAT_H

#include <stddef.h>

struct pathpat;

/*
 * Compiles pat. Returns NULL with a message in err when it names no file
 * (empty, or ending in '/').
 */
struct pathpat *pathpat_new(const char *pat, char *err, size_t errlen);
void		pathpat_free(struct pathpat *);

/* Whether a glob is anywhere before the last part. */
int pathpat_deep(const struct pathpat *);

/* Whether path, as the walk spells it, matches the whole pattern. */
int pathpat_match(const struct pathpat *, const char *path);

/*
 * Whether directory dir, as the walk spells it, may hold matches below
 * it: the pattern goes on after it.
 */
int pathpat_leads(const struct pathpat *, const char *dir);

struct pathpat_walk {
	/* Called for each name that matches, sorted in each directory. */
	void (*file)(void *arg, const char *path);
	/*
	 * Called for each directory where matches may appear, before it is
	 * read; -1 leaves it out (a cap). A directory reached two ways
	 * ("**" then "b" reach b both as a directory of "**" and as "b")
	 * is reported each time.
	 */
	int (*dir)(void *arg, const char *path);
	void *arg;
};

/*
 * Walks the file system for the pattern, from its longest leading run of
 * plain names: each directory that may hold matches is reported and
 * read. Links are followed, but not to directories under "**".
 * Directories that cannot be read are skipped.
 */
void pathpat_walk(const struct pathpat *, struct pathpat_walk *);

#endif
