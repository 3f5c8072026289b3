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

/* The defaults, set by tail_opts_init() and taken for zeros. */
#define TAIL_POLL_INTERVAL 1.0
#define TAIL_MAX_LINE	   (1024 * 1024)
#define TAIL_MAX_OPEN	   256
#define TAIL_ROTATE_WAIT   5.0

struct tail_opts {
	int    from_start;    /* read files present at start whole */
	double poll_interval; /* seconds between stat checks */
	size_t max_line;      /* longest line kept */
	size_t max_open;      /* descriptors held at most */
	int    no_inotify;    /* pure polling */
	double rotate_wait;   /* seconds a renamed file is still
				 read while it grows */
	size_t max_dirs;      /* directories watched for globs
				 before the last part; 0: the
				 default, TAIL_MAXDIRS */
};

#define TAIL_MAXDIRS 4096

/* Every option at its default. */
void tail_opts_init(struct tail_opts *);

/*
 * One followed path. Read-only to callers; dev, ino, offset and size
 * describe the file the path currently names.
 */
struct tail_file {
	char	*path;
	dev_t	 dev;
	ino_t	 ino;
	uint64_t offset;      /* bytes of complete lines consumed:
				 the resume point */
	uint64_t size;	      /* size at the last read */
	uint64_t lines;	      /* lines delivered */
	uint64_t bytes;	      /* bytes read, line ends included */
	uint64_t toolong;     /* lines over max_line, skipped */
	uint64_t rotations;   /* path now names another file */
	uint64_t truncations; /* file shrank or was rewritten */
	uint64_t lost;	      /* files the path led to, deleted
				 before they could be opened or
				 read on (restart, max_open) */
	uint64_t lost_bytes;  /* known unread in them: at least */
	int	 polled;      /* no inotify watch covers it */
	double	 last_read;   /* wall time of the last line */
	double	 entry_time;  /* the journal's time of the last entry
				 read (its cursor's); 0 for files */
	int	 open;	      /* a descriptor is held */
};

struct tail_stats {
	uint64_t overflows;	/* inotify queue overflows */
	uint64_t scans;		/* full checks of every path */
	size_t	 files;		/* paths followed */
	size_t	 open;		/* descriptors held on log files */
	int	 inotify;	/* 1 when inotify is in use */
	size_t	 dirs;		/* found by the walks of globs before
				   the last part (see max_dirs) */
	size_t	 dirs_left_out; /* and left out for max_dirs */
};

/*
 * Called once per complete line, CR LF stripped. line is not
 * NUL-terminated and is valid only during the call; the callback must not
 * call back into tail.
 */
typedef void tail_line_fn(void *arg, struct tail_file *, const char *line,
    size_t len);

struct tail;

/*
 * Starts following patterns: plain paths or patterns with globs in any
 * part (see pathpat.h). Neither the files nor their directories need
 * exist yet. The directories of a glob before the last part are found by
 * walking at each check and watched, opts->max_dirs at most; files in
 * a directory that appears later are read from their start. Files present now are positioned at their
 * end (after their last complete line) unless opts->from_start. Returns
 * NULL with a message in err when a pattern is invalid or another
 * instance is live. When inotify cannot be set up, falls back to polling
 * (see tail_stats()).
 */
struct tail *tail_new(const struct tail_opts *, const char *const *patterns,
    size_t n, char *err, size_t errlen);

/*
 * The wait, for a loop that waits on more than files: the descriptor that
 * becomes readable on file activity (-1 when polling), and the monotonic
 * time by which tail_read() is due without activity (the next stat check;
 * 0 when work is pending now).
 */
int    tail_fd(const struct tail *);
double tail_due(const struct tail *);

/*
 * Reads what is ready, without waiting: inotify events, the stat check
 * when it is due, then the new data of every file, calling fn for each
 * complete line. Returns 0, or -1 with errno set when events could not be
 * read.
 */
int tail_read(struct tail *, tail_line_fn *fn, void *arg);

/* Calls fn for each followed path, in the order they were found. */
void tail_foreach(struct tail *, void (*fn)(const struct tail_file *, void *),
    void *arg);

void tail_stats(const struct tail *, struct tail_stats *);

/*
 * The index, among those given to tail_new(), of the first pattern that
 * follows path (a followed path as tail_file names it), or -1.
 */
int tail_pattern(const struct tail *, const char *path);

/* Calls fn for each directory the walks found, watched or not. */
void tail_foreach_dir(struct tail *,
    void (*fn)(const char *dir, int watched, void *arg), void *arg);

/*
 * One open file as restart state sees it: the followed path it belongs to
 * (a renamed file still being read keeps the path it had), its identity,
 * and offset, the end of the last complete line delivered. headlen and
 * headhash fingerprint its first bytes: a hash of the first headlen bytes,
 * 256 or fewer when the file was shorter.
 */
struct tail_pos {
	const char *path;
	uint64_t    dev;
	uint64_t    ino;
	uint64_t    offset;
	uint64_t    headlen;
	uint64_t    headhash;
	int64_t	    saved;    /* ns, coarse wall clock of the
				 snapshot; 0 when unknown */
	uint64_t    size;     /* the file's then; 0 when unknown */
	int	    done;     /* a file of the path read to its end
				 and let go: only its fingerprint
				 (and offset, its size) matters */
	uint64_t    marklen;  /* and the bytes before offset: */
	uint64_t    markhash; /* a hash of the marklen bytes there,
				 256 or fewer; 0: unknown */
};

/* What tail_restore() did, file by file. */
struct tail_restore {
	size_t	 resumed;    /* same file under its path, at its offset */
	size_t	 rotated;    /* renamed while down: read on from the offset */
	size_t	 copied;     /* truncated while down, its copy read on */
	size_t	 truncated;  /* shorter or rewritten: read from 0 */
	size_t	 lost;	     /* gone, or no longer followed */
	uint64_t lost_bytes; /* known unread in the files gone */
	size_t	 fresh;	     /* unknown to the state: read from its start */
	size_t	 later;	     /* rotated since the save: read whole */
	size_t	 compressed; /* gzipped while down: read on in its text */
	char	 gzerr[256]; /* the first gzip text that could not be
				read to its end, and why; or "" */
};

#define TAIL_HEAD 256 /* bytes of a file's head fingerprinted */

/*
 * Calls fn for every file being read: per path, the last 16 files it
 * read to their end and let go (done set, oldest first), the renamed
 * files still read (oldest first), then the file the path names. Between
 * two tail_read() calls the offsets are exactly the lines delivered.
 */
void tail_positions(struct tail *, int64_t	       saved,
    void (*fn)(const struct tail_pos *, void *), void *arg);

/*
 * The time positions are stamped with (ns of the coarse wall clock the
 * kernel stamps files with); tail_positions() stamps with saved, or with
 * this when saved is 0.
 */
int64_t tail_clock(void);

/*
 * Puts every file where restart state says it was; call it once, after
 * tail_new() and before the first tail_read(). Each saved file is looked
 * for by (dev, ino) among the followed files, then among the files of its
 * path's directory (rotated away while down): when its head still matches
 * the fingerprint, it is read on from its offset, a renamed one to its end
 * before the file its path names now. One shorter than its offset or with
 * another head was truncated: it is read from 0, and a copy of it in the
 * same directory (copytruncate) with the old head is read on from the
 * offset first. A saved file gzipped since is read on from its offset
 * in its text. Then the rotations of each saved path made since the
 * save (saved, Unix seconds, 0 for none: its siblings NAME.N and
 * NAME-DATE, plain or gzip, last written since, that no reader holds,
 * and whose text is not that of a file of the path done at the save:
 * compressed again since) are read whole, oldest first (NAME.2 before
 * NAME.1, dates in order, else by modification time), after the files
 * above. Every followed file the state does not know appeared after it
 * was saved and is read from its start. Files resumed are read before
 * files the state did not know. Counts go to *rs. Cost: a stat of each
 * entry of the directory of each saved path (and of the directory it
 * leads to), and the head of each rotation since the save.
 */
void tail_restore(struct tail *, const struct tail_pos *, size_t n,
    double saved, tail_line_fn *fn, void *arg, struct tail_restore *rs);

/*
 * A position in restart state, as text: its kind and the version of its
 * encoding, then its fields, each after one space (see field_put_str() in
 * util.h): "PATH" DEV INO OFFSET HEADLEN HEADHASH16 SAVED SIZE DONE
 * MARKLEN MARKHASH16. Version 1 had none of the fields after HEADHASH,
 * version 2 only SAVED, version 3 SAVED and SIZE.
 */
#define TAIL_POS_KIND	 "file"
#define TAIL_POS_VERSION 4

struct buf;

void tail_pos_encode(const struct tail_pos *, struct buf *);

/*
 * Decodes the fields of a position of version 1 to TAIL_POS_VERSION into
 * *p; p->path is *path, allocated (the caller frees it). Returns 0, or
 * -1 with *at, the offset in data of what is wrong, and a message in err.
 */
int tail_pos_decode(uint64_t version, const char *data, size_t len,
    struct tail_pos *p, char **path, size_t *at, char *err, size_t errlen);

/* The fingerprint of a file's head: FNV-1a, 64 bits. */
uint64_t tail_headhash(const void *, size_t);

void tail_free(struct tail *);

#endif
