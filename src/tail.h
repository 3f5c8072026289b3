/*
 * tail.h: follow mode's file reader. Follows plain paths and glob(3)
 * patterns like "tail -F": every complete line appended is delivered once,
 * in file order, through rename+create and delete+recreate rotation,
 * copytruncate, files that vanish and come back, directories and files
 * that appear later. Change is noticed through inotify watches on the
 * files and their directories, and by a periodic stat of every followed
 * path, which is also the whole of the pure polling mode.
 *
 * One instance per process: the inotify library keeps its watches in
 * process-global state, so tail_new() refuses a second live instance.
 */
#ifndef LOGMETRICS_TAIL_H
#define LOGMETRICS_TAIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct tail_opts {
	int		 from_start;	/* read files present at start whole */
	double		 poll_interval;	/* seconds between stat checks; 0: 1 */
	size_t		 max_line;	/* longest line kept; 0: 1 MiB */
	size_t		 max_open;	/* descriptors held at most; 0: 128 */
	int		 no_inotify;	/* pure polling */
	double		 rotate_wait;	/* seconds a renamed file is still
					   read while it grows; 0: 5 */
};

/*
 * One followed path. Read-only to callers; dev, ino, offset and size
 * describe the file the path currently names.
 */
struct tail_file {
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 offset;	/* bytes of complete lines consumed:
					   the resume point */
	uint64_t	 size;		/* size at the last read */
	uint64_t	 lines;		/* lines delivered */
	uint64_t	 bytes;		/* bytes read, line ends included */
	uint64_t	 toolong;	/* lines over max_line, skipped */
	uint64_t	 rotations;	/* path now names another file */
	uint64_t	 truncations;	/* file shrank or was rewritten */
	double		 last_read;	/* wall time of the last line */
	int		 open;		/* a descriptor is held */
};

struct tail_stats {
	uint64_t	 overflows;	/* inotify queue overflows */
	uint64_t	 scans;		/* full checks of every path */
	size_t		 files;		/* paths followed */
	size_t		 open;		/* descriptors held on log files */
	int		 inotify;	/* 1 when inotify is in use */
};

/*
 * Called once per complete line, CR LF stripped. line is not
 * NUL-terminated and is valid only during the call; the callback must not
 * call back into tail.
 */
typedef void	tail_line_fn(void *arg, struct tail_file *, const char *line,
		    size_t len);

struct tail;

/*
 * Starts following patterns: plain paths or glob(3) patterns whose
 * directory part holds no glob characters. Neither the files nor their
 * directories need exist yet. Files present now are positioned at their
 * end (after their last complete line) unless opts->from_start. Returns
 * NULL with a message in err when a pattern is invalid or another
 * instance is live. When inotify cannot be set up, falls back to polling
 * (see tail_stats()).
 */
struct tail	*tail_new(const struct tail_opts *, const char *const *patterns,
		    size_t n, char *err, size_t errlen);

/*
 * Waits up to timeout_ms (negative: until the next stat check) for file
 * activity, never longer than the next periodic stat check, then reads
 * the new data of every file and calls fn for each complete line. Returns
 * 0, or -1 with errno set on a fatal error of the wait itself. An
 * interrupted wait returns 0 early.
 */
int		 tail_poll(struct tail *, int timeout_ms, tail_line_fn *fn,
		    void *arg);

/* Calls fn for each followed path, in the order they were found. */
void		 tail_foreach(struct tail *,
		    void (*fn)(const struct tail_file *, void *), void *arg);

void		 tail_stats(const struct tail *, struct tail_stats *);

/*
 * Resumes path at offset (the end of a complete line) when path still
 * names the file (dev, ino) and that file is at least offset bytes long.
 * Meant for restart state, before the first tail_poll(). Returns 0, or -1
 * when the path is not followed or names another file.
 */
int		 tail_set_position(struct tail *, const char *path, dev_t,
		    ino_t, uint64_t offset);

void		 tail_free(struct tail *);

#endif
