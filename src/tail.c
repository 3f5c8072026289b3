/*
 * tail.c: follows log files through rotation.
 *
 * A struct tfile is one followed path; a struct reader is one open file
 * (one inode) being read. The reader a path names is its current reader.
 * When the path comes to name another file, or none, the old reader is
 * read to its end at once and kept as an orphan of the path: a writer
 * that still holds the renamed file may append to it, so an orphan is read
 * on every poll until it has been idle for rotate_wait seconds, and closed
 * at once when it is deleted (read to its end first). A reader is found
 * by its (dev, ino), so a file renamed to another followed name (bot.log
 * to bot.log.1 under "bot.log*") keeps its position instead of being read
 * again.
 *
 * Lines are split by lines.c straight out of each reader's buffer; the
 * file offset of a reader's last complete line is its resume point, so a
 * partial last line is never delivered in two halves.
 *
 * Change is noticed three ways, all ending in the same check (sync_all):
 * inotify events on the files and their directories, an IN_Q_OVERFLOW
 * (events were lost: check everything), and a periodic stat of every path
 * every poll_interval, which is also all of the no_inotify mode.
 *
 * libinotifytools holds the inotify instance, the directory watches with
 * their wd-to-path map, and reads the events. Three things it cannot do,
 * each shown by a test in test_tail.c, are done on its descriptor with
 * <sys/inotify.h> and poll(2):
 *  - Its wait takes whole seconds (inotifytools_next_event(0) even blocks
 *    until something happens), while the follow loop waits in milliseconds.
 *    The descriptor is not exported, so it is found in /proc/self/fd
 *    right after the library opens it; the loop waits on it (tail_fd()) with
 *    poll(2) and then drains the library with a zero timeout, which
 *    never blocks.
 *  - It opens the descriptor without close-on-exec; FD_CLOEXEC is set on
 *    the descriptor found above.
 *  - It watches by name and keeps one watch per name, returning no wd: in
 *    rename or delete rotation the old file (still being read) and the
 *    new one share a name, and the second watch cannot be told apart from
 *    the first. A watch by name may also land on the new file when the
 *    rotation falls between open() and the watch. So each file watch is
 *    put on the open descriptor itself, /proc/self/fd/N, with
 *    inotify_add_watch(), and removed with inotify_rm_watch() before the
 *    descriptor is closed. Directory names are unique, so directories
 *    are watched through the library; the wd is learnt by adding the same
 *    watch again (the kernel returns the existing wd for an inode).
 * Without /proc, or when inotify cannot be set up, tail polls.
 *
 * Restart state (tail_positions, tail_restore) knows a file by (dev, ino)
 * and a hash of its first TAIL_HEAD bytes, captured when a reader opens
 * and then as the file grows; a reader restored from it reads its first
 * batch without the budget, so that older data comes before newer files.
 *
 * The library keeps process-global state, hence one tail per process.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "lines.h"
#include "log.h"
#include "pathpat.h"
#include "source.h"
#include "tail.h"
#include "util.h"

#define TAIL_BUDGET   (16ULL * 1024 * 1024) /* per file and poll */
#define TAIL_NOLIMIT  UINT64_MAX
#define TAIL_CHUNK    (64 * 1024)
#define TAIL_MAXINO   32 /* inotify fds looked at */
#define TAIL_MAXLINKS 40 /* links in one path, as Linux */

#define DIR_EVENTS                                             \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)

struct tfile;

/*
 * A file of a path read to its end and let go, by the fingerprint of its
 * text: a compressed copy of it, made later under a new modification
 * time (as container runtimes compress), is known at restart and not
 * read again.
 */
struct done {
	uint64_t headlen;
	uint64_t headhash;
	uint64_t size;
	uint64_t dev;
	uint64_t ino;
};

#define TAIL_DONE 16 /* kept per path */

struct reader {
	struct tfile *owner;
	int	      fd; /* -1 while closed for max_open */
	int	      wd;
	dev_t	      dev;
	ino_t	      ino;
	uint64_t      pos;    /* next byte to read */
	uint64_t      offset; /* end of the last complete line */
	uint64_t      lastnl; /* end of the last LF read */
	uint64_t      cbase;  /* offset = cbase + lines.consumed */
	uint64_t      size;
	nlink_t	      nlink;
	struct lines  lines;
	int	      skipping; /* kept while closed */
	unsigned char head[TAIL_HEAD];
	size_t	      headlen;
	double	      active;	/* monotonic time of the last data */
	int	      restored; /* placed by tail_restore() */
	int	      drain;	/* next read: to the end, no budget */
};

struct tfile {
	struct tail_file pub; /* first: what callers see */
	struct reader	*cur;
	struct reader  **orphans;
	size_t		 norphans;
	int		 fromglob;
	int		 seen;
	int		 missing;
	int		 known; /* has named a file before */
	struct reader  **pend;	/* caught, not yet placed */
	size_t		 npend;
	char	       **missed; /* created, gone when opened */
	size_t		 nmissed;
	int		 created; /* its last name, since the last
				     check; the file then: */
	int		 chave;
	dev_t		 cdev;
	ino_t		 cino;
	struct done	*done; /* files read to their end, the
				  last TAIL_DONE, oldest first */
	size_t		 ndone;
};

struct wdir {
	char *path;
	int   wd;
	dev_t dev;
	ino_t ino;
	int   used; /* a via still leads through it */
};

/*
 * A name that decides where a followed path leads: a symbolic link met
 * on the way, or the last name reached (the file's, or the first one
 * missing), in its directory. dir is resolved: no link in it. path is
 * the followed path it leads (NULL for a glob's directory); under the
 * last name of a path (last), files created or renamed are caught for
 * it.
 */
struct via {
	char *dir;
	char *name;
	char *path;
	int   fromglob;
	int   last;
};

struct pattern {
	char	       *pat;
	const char     *base; /* in pat, after the last '/' */
	size_t		dir;  /* index in dirs; not when deep */
	int		glob;
	int		deep; /* a glob before the last part */
	struct pathpat *pp;
};

struct tail {
	struct tail_opts o;
	struct pattern	*pats;
	size_t		 npats;
	struct wdir	*dirs;
	size_t		 ndirs;
	struct via	*via; /* of every linked path */
	size_t		 nvia;
	struct wdir	*vdirs; /* the directories of via */
	size_t		 nvdirs;
	struct wdir	*gdirs; /* where deep patterns may match */
	size_t		 ngdirs;
	size_t		 gused;	   /* of them, found at the last check */
	size_t		 grefused; /* left out then for max_dirs */
	int		 gtold;	   /* the cap was logged */
	uint32_t	 cookie;   /* of a last name moved away */
	size_t		 cookie_via;
	int		 cookie_missed; /* its file was missed */
	struct tfile   **files;
	size_t		 nfiles;
	int		 ifd; /* library's inotify fd or -1 */
	int		 need_sync;
	int		 backlog;
	int		 initial;
	double		 next_scan;
	size_t		 nopen;
	uint64_t	 overflows;
	uint64_t	 scans;
	tail_line_fn	*fn; /* set during tail_read() */
	void		*arg;
};

static int tail_live;

static void  orphan_end(struct tail *, struct tfile *, size_t);
static char *path_in(const char *, const char *);
static void  head_capture(struct reader *);

/*
 * Lists the inotify descriptors of this process. Returns how many were
 * stored, or -1 when /proc cannot be read.
 */
static int
inotify_fds(int *fds, int max)
{
	DIR	      *d;
	struct dirent *de;
	char	       link[PATH_MAX], target[64];
	ssize_t	       n;
	int	       count = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && count < max) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:inotify") == 0)
			fds[count++] = atoi(de->d_name);
	}
	closedir(d);
	return count;
}

/*
 * Initialises the library and finds the descriptor it opened: the one
 * inotify descriptor present after and not before. Sets close-on-exec on
 * it. Returns 0, or -1 (library not initialised) to fall back to polling.
 */
static int
ino_setup(struct tail *t)
{
	int before[TAIL_MAXINO], after[TAIL_MAXINO];
	int nb, na, i, j, fd = -1;

	if ((nb = inotify_fds(before, TAIL_MAXINO)) == -1)
		return -1;
	if (!inotifytools_initialize())
		return -1;
	if ((na = inotify_fds(after, TAIL_MAXINO)) == -1)
		goto fail;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && before[j] != after[i]; j++)
			;
		if (j < nb)
			continue;
		if (fd != -1)
			goto fail; /* ambiguous */
		fd = after[i];
	}
	if (fd == -1 && na <= nb)
		return -1; /* initialised before us: not ours to touch */
	if (fd == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	t->ifd = fd;
	return 0;
fail:
	inotifytools_cleanup();
	return -1;
}

static int
has_glob(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return 1;
	return 0;
}

/*
 * Splits a pattern into its directory (shared between patterns) and its
 * base; a pattern with a glob before its last part (deep) is walked
 * instead (see pathpat.h). Returns 0, or -1 with a message when it names
 * no file.
 */
static int
pattern_add(struct tail *t, const char *pat, char *err, size_t errlen)
{
	struct pattern *p;
	struct pathpat *pp;
	const char     *slash;
	char	       *dir;
	size_t		i, dlen;

	slash = strrchr(pat, '/');
	dlen = slash ? (size_t)(slash - pat) : 0;
	if ((pp = pathpat_new(pat, err, errlen)) == NULL)
		return -1;
	t->pats = xreallocarray(t->pats, t->npats + 1, sizeof(*t->pats));
	p = &t->pats[t->npats++];
	memset(p, 0, sizeof(*p));
	p->pat = xstrdup(pat);
	p->base = p->pat + (slash ? dlen + 1 : 0);
	if (pathpat_deep(pp) || has_glob(pat, dlen)) {
		/* Its directories are found by walking: see sync_all(). */
		p->glob = 1;
		p->deep = 1;
		p->pp = pp;
		return 0;
	}
	pathpat_free(pp);
	p->glob = has_glob(p->base, strlen(p->base));
	if (slash == NULL)
		dir = xstrdup(".");
	else if (dlen == 0)
		dir = xstrdup("/");
	else
		dir = xstrndup(pat, dlen);
	for (i = 0; i < t->ndirs; i++)
		if (strcmp(t->dirs[i].path, dir) == 0)
			break;
	if (i == t->ndirs) {
		t->dirs = xreallocarray(t->dirs, t->ndirs + 1,
		    sizeof(*t->dirs));
		t->dirs[i].path = dir;
		t->dirs[i].wd = -1;
		t->dirs[i].dev = 0;
		t->dirs[i].ino = 0;
		t->ndirs++;
	} else
		free(dir);
	p->dir = i;
	return 0;
}

static void
file_sync_pub(struct tfile *tf)
{
	struct reader *r = tf->cur;

	tf->pub.open = r != NULL && r->fd >= 0;
	if (r == NULL)
		return;
	tf->pub.dev = r->dev;
	tf->pub.ino = r->ino;
	tf->pub.offset = r->offset;
	tf->pub.size = r->size;
}

/*
 * Hands out a descriptor for a reader: when max_open are held, closes the
 * current reader idle the longest (it is reopened by the periodic check
 * when its file grows; a partial line is read again then), else ends the
 * idlest orphan (read to its end before). keep is never chosen. Returns
 * 0, or -1 when nothing can be closed. The price of the cap: a closed
 * reader whose file is renamed away before it is reopened cannot be found
 * again, and what was appended to it meanwhile is not read.
 */
static int
fd_slot(struct tail *t, const struct reader *keep)
{
	struct reader *r, *victim = NULL;
	struct tfile  *tf, *vown = NULL;
	size_t	       i, j, vidx = 0;

	if (t->nopen < t->o.max_open)
		return 0;
	for (i = 0; i < t->nfiles; i++) {
		r = t->files[i]->cur;
		if (r == NULL || r->fd < 0 || r == keep)
			continue;
		if (victim == NULL || r->active < victim->active)
			victim = r;
	}
	if (victim != NULL) {
		victim->skipping = victim->lines.skipping;
		if (!victim->skipping)
			victim->pos = victim->offset;
		lines_free(&victim->lines);
		if (victim->wd >= 0 && t->ifd >= 0)
			inotify_rm_watch(t->ifd, victim->wd);
		victim->wd = -1;
		close(victim->fd);
		victim->fd = -1;
		t->nopen--;
		file_sync_pub(victim->owner);
		return 0;
	}
	for (i = 0; i < t->nfiles; i++) {
		tf = t->files[i];
		for (j = 0; j < tf->norphans; j++) {
			r = tf->orphans[j];
			if (r == keep)
				continue;
			if (victim == NULL || r->active < victim->active) {
				victim = r;
				vown = tf;
				vidx = j;
			}
		}
	}
	if (victim == NULL)
		return -1;
	orphan_end(t, vown, vidx);
	return 0;
}

static void
reader_watch(struct tail *t, struct reader *r)
{
	char link[64];

	if (t->ifd < 0 || r->wd >= 0)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", r->fd);
	r->wd = inotify_add_watch(t->ifd, link, FILE_EVENTS);
}

/*
 * Opens path for r (a new reader, or one closed for max_open) and checks
 * it is a regular file with r's identity when want_id. Returns 0, or -1
 * (r left closed).
 */
static int
reader_attach(struct tail *t, struct reader *r, const char *path, int want_id)
{
	struct stat st;
	int	    fd;

	if (fd_slot(t, r) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (want_id && (st.st_dev != r->dev || st.st_ino != r->ino))) {
		close(fd);
		return -1;
	}
	r->fd = fd;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->size = (uint64_t)st.st_size;
	r->nlink = st.st_nlink;
	lines_init(&r->lines, t->o.max_line);
	r->lines.skipping = r->skipping;
	r->skipping = 0;
	r->cbase = r->pos;
	t->nopen++;
	reader_watch(t, r);
	return 0;
}

/*
 * Where to start reading a file already there: after its last LF. When
 * the last max_line + 1 bytes hold no LF, the last line is too long, and
 * starting max_line + 1 bytes before the end makes the splitter skip and
 * count it. Cost: one 64 KiB read backwards in the common case.
 */
static uint64_t
start_at_end(int fd, uint64_t size, size_t maxline)
{
	char	*buf, *nl;
	uint64_t lo, end, off;
	size_t	 n;
	ssize_t	 got;

	lo = size > (uint64_t)maxline + 1 ? size - maxline - 1 : 0;
	buf = xmalloc(TAIL_CHUNK);
	for (end = size; end > lo; end = off) {
		n = end - lo < TAIL_CHUNK ? (size_t)(end - lo) : TAIL_CHUNK;
		off = end - n;
		got = pread(fd, buf, n, (off_t)off);
		if (got != (ssize_t)n) {
			lo = size;
			break;
		}
		if ((nl = memrchr(buf, '\n', n)) != NULL) {
			lo = off + (uint64_t)(nl - buf) + 1;
			break;
		}
	}
	free(buf);
	return lo;
}

/* Opens a new reader on path, positioned at start. NULL on failure. */
static struct reader *
reader_new(struct tail *t, struct tfile *tf, const char *path, int at_end)
{
	struct reader *r;

	r = xcalloc(1, sizeof(*r));
	r->fd = r->wd = -1;
	r->owner = tf;
	if (reader_attach(t, r, path, 0) == -1) {
		free(r);
		return NULL;
	}
	if (at_end)
		r->pos = start_at_end(r->fd, r->size, t->o.max_line);
	r->offset = r->lastnl = r->cbase = r->pos;
	r->active = now_mono();
	head_capture(r);
	return r;
}

static void
reader_close(struct tail *t, struct reader *r)
{
	if (r->fd < 0)
		return;
	/* Before close: the kernel drops the watch of a deleted file then. */
	if (r->wd >= 0 && t->ifd >= 0)
		inotify_rm_watch(t->ifd, r->wd);
	r->wd = -1;
	close(r->fd);
	r->fd = -1;
	t->nopen--;
}

static void
reader_free(struct tail *t, struct reader *r)
{
	reader_close(t, r);
	lines_free(&r->lines);
	free(r);
}

/*
 * Whether the file was rewritten since its head was seen: the bytes at
 * its start differ (truncated and refilled past our position between two
 * looks). A rewrite that starts with the same TAIL_HEAD bytes, or with a
 * first line equal to the old one when shorter, cannot be seen.
 */
static int
rewritten(struct reader *r, uint64_t size)
{
	unsigned char buf[TAIL_HEAD];
	size_t	      n;
	ssize_t	      got;

	if (r->headlen == 0 || size <= r->pos)
		return 0;
	n = size < r->headlen ? (size_t)size : r->headlen;
	got = pread(r->fd, buf, n, 0);
	if (got != (ssize_t)n)
		return 0;
	return memcmp(buf, r->head, n) != 0;
}

static void
head_capture(struct reader *r)
{
	size_t	n;
	ssize_t got;

	if (r->headlen == TAIL_HEAD || r->size <= r->headlen)
		return;
	n = r->size < TAIL_HEAD ? (size_t)r->size : TAIL_HEAD;
	got = pread(r->fd, r->head, n, 0);
	r->headlen = got > 0 ? (size_t)got : 0;
}

static void
deliver(struct tail *t, struct tfile *tf, const char *line, size_t len)
{
	tf->pub.lines++;
	if (t->fn != NULL)
		t->fn(t->arg, &tf->pub, line, len);
}

/*
 * Reads r from its position up to its end or budget bytes, delivering
 * every complete line to its owner's callback. A file shorter than our
 * position, or whose first bytes changed, was truncated: it is read again
 * from 0. Sets t->backlog when the budget stopped the read. Does nothing
 * outside tail_read() (no callback to deliver to) or when r is closed.
 */
static void
reader_read(struct tail *t, struct reader *r, uint64_t budget)
{
	struct tfile *tf = r->owner;
	struct stat   st;
	const char   *line;
	char	     *space, *nl;
	uint64_t      got = 0, toolong0;
	size_t	      avail, len;
	ssize_t	      n;
	int	      delivered = 0;

	if (r->fd < 0 || t->fn == NULL || fstat(r->fd, &st) == -1)
		return;
	if (r->drain) {
		budget = TAIL_NOLIMIT;
		r->drain = 0;
	}
	r->nlink = st.st_nlink;
	if ((uint64_t)st.st_size < r->pos ||
	    rewritten(r, (uint64_t)st.st_size)) {
		lines_reset(&r->lines);
		r->pos = r->offset = r->lastnl = 0;
		r->cbase = 0 - r->lines.consumed;
		r->headlen = 0;
		tf->pub.truncations++;
	}
	toolong0 = r->lines.toolong;
	for (;;) {
		if (got >= budget) {
			t->backlog = 1;
			break;
		}
		space = lines_space(&r->lines, &avail);
		if (avail > budget - got)
			avail = (size_t)(budget - got);
		n = pread(r->fd, space, avail, (off_t)r->pos);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		lines_commit(&r->lines, (size_t)n);
		if ((nl = memrchr(space, '\n', (size_t)n)) != NULL)
			r->lastnl = r->pos + (uint64_t)(nl - space) + 1;
		r->pos += (uint64_t)n;
		got += (uint64_t)n;
		tf->pub.bytes += (uint64_t)n;
		while ((line = lines_next(&r->lines, &len)) != NULL) {
			r->offset = r->cbase + r->lines.consumed;
			if (r == tf->cur)
				tf->pub.offset = r->offset;
			delivered = 1;
			deliver(t, tf, line, len);
		}
		r->offset = r->lastnl;
		if ((size_t)n < avail)
			break;
	}
	tf->pub.toolong += r->lines.toolong - toolong0;
	r->size = (uint64_t)st.st_size > r->pos ? (uint64_t)st.st_size : r->pos;
	if (got > 0)
		r->active = now_mono();
	if (delivered)
		tf->pub.last_read = now_wall();
	head_capture(r);
	if (r == tf->cur)
		file_sync_pub(tf);
}

/* Remembers a file of tf read to its end (see struct done). */
static void
done_add(struct tfile *tf, uint64_t headlen, uint64_t headhash, uint64_t size,
    uint64_t dev, uint64_t ino)
{
	struct done *d;
	size_t	     i;

	if (headlen == 0)
		return; /* empty: nothing to read again */
	for (i = 0; i < tf->ndone; i++)
		if (tf->done[i].headlen == headlen &&
		    tf->done[i].headhash == headhash) {
			tf->done[i].size = size;
			return;
		}
	if (tf->ndone == TAIL_DONE) {
		memmove(&tf->done[0], &tf->done[1],
		    (TAIL_DONE - 1) * sizeof(*tf->done));
		tf->ndone--;
	}
	if (tf->done == NULL)
		tf->done = xcalloc(TAIL_DONE, sizeof(*tf->done));
	d = &tf->done[tf->ndone++];
	d->headlen = headlen;
	d->headhash = headhash;
	d->size = size;
	d->dev = dev;
	d->ino = ino;
}

/*
 * Lets an orphan go: its unterminated last line, if any, is delivered
 * (nothing will complete it now), then it is closed and freed.
 */
static void
orphan_end(struct tail *t, struct tfile *tf, size_t i)
{
	struct reader *r = tf->orphans[i];
	size_t	       len;

	len = lines_pending(&r->lines);
	if (len > 0 && !r->lines.skipping && t->fn != NULL) {
		if (r->lines.buf[r->lines.start + len - 1] == '\r')
			len--;
		deliver(t, tf, r->lines.buf + r->lines.start, len);
		tf->pub.last_read = now_wall();
	}
	done_add(tf, r->headlen, tail_headhash(r->head, r->headlen), r->pos,
	    (uint64_t)r->dev, (uint64_t)r->ino);
	reader_free(t, r);
	memmove(&tf->orphans[i], &tf->orphans[i + 1],
	    (tf->norphans - i - 1) * sizeof(*tf->orphans));
	tf->norphans--;
}

/*
 * Makes r, a file tf's path no longer leads to, an orphan: read to its
 * end now, then on every poll while it grows, ended at once when it is
 * deleted.
 */
static void
orphan_push(struct tail *t, struct tfile *tf, struct reader *r)
{
	reader_read(t, r, TAIL_NOLIMIT);
	r->active = now_mono(); /* rotate_wait counts from now */
	tf->orphans = xreallocarray(tf->orphans, tf->norphans + 1,
	    sizeof(*tf->orphans));
	tf->orphans[tf->norphans++] = r;
	if (r->nlink == 0)
		orphan_end(t, tf, tf->norphans - 1);
}

/*
 * The path no longer names tf's current file: read it to its end now and
 * keep it as an orphan, or end it at once when it is deleted. A reader
 * closed for max_open cannot be followed to its new name and is dropped.
 */
static void
demote(struct tail *t, struct tfile *tf)
{
	struct reader *r = tf->cur;

	if (r == NULL)
		return;
	tf->cur = NULL;
	file_sync_pub(tf);
	if (r->fd < 0) {
		/* Closed for max_open: whatever it held unread is lost. */
		tf->pub.lost++;
		if (r->size > r->offset)
			tf->pub.lost_bytes += r->size - r->offset;
		reader_free(t, r);
		return;
	}
	orphan_push(t, tf, r);
}

/*
 * Places the files caught for tf since the last check, now that its
 * path leads to (dev, ino), or nowhere when !have: those caught before
 * that file was are orphans, read from their start, oldest first (each a
 * rotation); that file, when caught, is taken out and returned; those
 * caught after it wait for a later check. Returns NULL when the file the
 * path leads to was not caught.
 */
static struct reader *
pend_take(struct tail *t, struct tfile *tf, int have, dev_t dev, ino_t ino)
{
	struct reader *found = NULL;
	size_t	       i, k, n;

	for (k = 0; k < tf->npend; k++)
		if (have && tf->pend[k]->dev == dev &&
		    tf->pend[k]->ino == ino) {
			found = tf->pend[k];
			break;
		}
	n = k + (found != NULL);
	for (i = 0; i < k; i++) {
		if (tf->known)
			tf->pub.rotations++;
		tf->known = 1;
		orphan_push(t, tf, tf->pend[i]);
	}
	if (n > 0) {
		memmove(tf->pend, tf->pend + n,
		    (tf->npend - n) * sizeof(*tf->pend));
		tf->npend -= n;
	}
	return found;
}

static struct tfile *
file_find(struct tail *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i]->pub.path, path) == 0)
			return t->files[i];
	return NULL;
}

/* Finds the reader of (dev, ino), current or orphan, in any path. */
static struct reader *
reader_find(struct tail *t, dev_t dev, ino_t ino)
{
	struct tfile *tf;
	size_t	      i, j;

	for (i = 0; i < t->nfiles; i++) {
		tf = t->files[i];
		if (tf->cur && tf->cur->dev == dev && tf->cur->ino == ino)
			return tf->cur;
		for (j = 0; j < tf->norphans; j++)
			if (tf->orphans[j]->dev == dev &&
			    tf->orphans[j]->ino == ino)
				return tf->orphans[j];
		for (j = 0; j < tf->npend; j++)
			if (tf->pend[j]->dev == dev && tf->pend[j]->ino == ino)
				return tf->pend[j];
	}
	return NULL;
}

/*
 * Takes reader r away from the path that had it, to be the current
 * reader of another path (the file was renamed to it). Returns 0, or -1
 * when the old path still names it too (a hard link): it stays there.
 */
static int
adopt(struct tail *t, struct reader *r)
{
	struct tfile *from = r->owner;
	struct stat   st;
	size_t	      j;

	if (from->cur == r) {
		if (stat(from->pub.path, &st) == 0 && st.st_dev == r->dev &&
		    st.st_ino == r->ino)
			return -1;
		reader_read(t, r, TAIL_NOLIMIT);
		from->cur = NULL;
		file_sync_pub(from);
		return 0;
	}
	for (j = 0; j < from->npend; j++)
		if (from->pend[j] == r) {
			/* Caught for one path, named by another: unread. */
			memmove(&from->pend[j], &from->pend[j + 1],
			    (from->npend - j - 1) * sizeof(*from->pend));
			from->npend--;
			return 0;
		}
	for (j = 0; j < from->norphans && from->orphans[j] != r; j++)
		;
	if (j == from->norphans)
		return -1;
	reader_read(t, r, TAIL_NOLIMIT);
	memmove(&from->orphans[j], &from->orphans[j + 1],
	    (from->norphans - j - 1) * sizeof(*from->orphans));
	from->norphans--;
	return 0;
}

static struct tfile *
file_add(struct tail *t, const char *path, int fromglob)
{
	struct tfile *tf;

	tf = xcalloc(1, sizeof(*tf));
	tf->pub.path = xstrdup(path);
	tf->fromglob = fromglob;
	t->files = xreallocarray(t->files, t->nfiles + 1, sizeof(*t->files));
	t->files[t->nfiles++] = tf;
	return tf;
}

static void
file_free(struct tail *t, struct tfile *tf)
{
	size_t i;

	if (tf->cur)
		reader_free(t, tf->cur);
	for (i = 0; i < tf->norphans; i++)
		reader_free(t, tf->orphans[i]);
	free(tf->orphans);
	for (i = 0; i < tf->npend; i++)
		reader_free(t, tf->pend[i]);
	free(tf->pend);
	for (i = 0; i < tf->nmissed; i++)
		free(tf->missed[i]);
	free(tf->missed);
	free(tf->done);
	free(tf->pub.path);
	free(tf);
}

/*
 * Checks one path against the file it named last time: same file (a
 * reader closed for max_open is reopened when it changed size), another
 * file (rotation: the old one is demoted, the new one read from its
 * start, or kept at its position when it is a file we already read under
 * another name), or no file.
 */
static void
visit(struct tail *t, const char *path, int fromglob)
{
	struct tfile  *tf;
	struct reader *r;
	struct stat    st;

	tf = file_find(t, path);
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (tf != NULL) {
			tf->seen = 1;
			tf->missing = 1;
			demote(t, tf);
			(void)pend_take(t, tf, 0, 0, 0);
		}
		return;
	}
	if (tf == NULL)
		tf = file_add(t, path, fromglob);
	tf->seen = 1;
	tf->missing = 0;
	if ((r = tf->cur) != NULL && r->dev == st.st_dev &&
	    r->ino == st.st_ino) {
		if (r->fd < 0 && (uint64_t)st.st_size != r->pos &&
		    reader_attach(t, r, path, 1) == 0)
			reader_read(t, r, TAIL_BUDGET);
		return;
	}
	demote(t, tf);
	if ((r = pend_take(t, tf, 1, st.st_dev, st.st_ino)) != NULL)
		; /* caught at its creation */
	else if ((r = reader_find(t, st.st_dev, st.st_ino)) != NULL) {
		if (adopt(t, r) == -1)
			return;
		r->owner = tf;
		if (r->fd < 0 && reader_attach(t, r, path, 1) == -1) {
			reader_free(t, r);
			return;
		}
	} else {
		r = reader_new(t, tf, path, t->initial && !t->o.from_start);
		if (r == NULL)
			return;
	}
	/*
	 * Counted even when (dev, ino) is the old one: a file deleted and
	 * closed frees its inode number for the next file created.
	 */
	if (tf->known)
		tf->pub.rotations++;
	tf->known = 1;
	tf->cur = r;
	file_sync_pub(tf);
	/* Under descriptor pressure it may be closed before read_all(). */
	if (t->nopen >= t->o.max_open)
		reader_read(t, r, TAIL_BUDGET);
}

/*
 * Puts a watch on a pattern's directory when it exists and is not
 * watched yet (or the watch is on a directory since replaced). A missing
 * directory is looked at again on the next check.
 */
static void
dir_check(struct tail *t, struct wdir *d)
{
	struct stat st;
	const char *name;
	int	    wd;

	if (t->ifd < 0)
		return;
	if (stat(d->path, &st) == -1 || !S_ISDIR(st.st_mode))
		return; /* its watch, if any, reports the loss */
	if (d->wd >= 0 && d->dev == st.st_dev && d->ino == st.st_ino)
		return;
	if (d->wd >= 0)
		inotifytools_remove_watch_by_wd(d->wd);
	d->wd = -1;
	if (!inotifytools_watch_file(d->path, DIR_EVENTS))
		return;
	/* Same inode, same instance: the kernel returns the library's wd. */
	if ((wd = inotify_add_watch(t->ifd, d->path, DIR_EVENTS)) == -1)
		return;
	name = inotifytools_filename_from_wd(wd);
	if (name == NULL || *name == '\0') {
		/* The directory changed between the two calls. */
		inotify_rm_watch(t->ifd, wd);
		return;
	}
	d->wd = wd;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
}

/*
 * Appends dir/name[0..nlen) to the vias being gathered in *v, *n.
 * An empty dir is the root.
 */
static void
via_push(struct via **v, size_t *n, const char *dir, const char *name,
    size_t nlen)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].dir = xstrdup(*dir ? dir : "/");
	(*v)[*n].name = xstrndup(name, nlen);
	(*n)++;
}

static void
via_clear(struct via *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].dir);
		free(v[i].name);
		free(v[i].path);
	}
	free(v);
}

/*
 * Walks path as open(2) does, a name at a time, following symbolic links
 * wherever they are, and gathers in *vp, *np every link followed and the
 * last name reached: the file's (*reached set), or the first name
 * missing. Returns how many links were followed. Cost: an lstat(2) per
 * name.
 */
static int
resolve(const char *path, struct via **vp, size_t *np, int *reached)
{
	char	    cur[PATH_MAX], rest[PATH_MAX], tmp[PATH_MAX];
	char	    target[PATH_MAX];
	struct via *v = NULL;
	struct stat st;
	const char *c, *end;
	size_t	    nv = 0, clen, n, restlen;
	ssize_t	    tl;
	int	    links = 0, last;

	*vp = NULL;
	*np = 0;
	*reached = 0;
	if (path[0] == '/')
		cur[0] = '\0';
	else if (getcwd(cur, sizeof(cur)) == NULL)
		return 0;
	else if (strcmp(cur, "/") == 0)
		cur[0] = '\0';
	if (strlen(path) >= sizeof(rest))
		return 0;
	strcpy(rest, path);
	c = rest;
	for (;;) {
		while (*c == '/')
			c++;
		if (*c == '\0')
			break;
		end = strchr(c, '/');
		n = end ? (size_t)(end - c) : strlen(c);
		last = end == NULL || end[strspn(end, "/")] == '\0';
		if (n == 1 && c[0] == '.') {
			c += n;
			continue;
		}
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if ((end = strrchr(cur, '/')) != NULL)
				cur[end - cur] = '\0';
			c += n;
			continue;
		}
		clen = strlen(cur);
		if (clen + 1 + n >= sizeof(tmp))
			break;
		memcpy(tmp, cur, clen);
		tmp[clen] = '/';
		memcpy(tmp + clen + 1, c, n);
		tmp[clen + 1 + n] = '\0';
		if (lstat(tmp, &st) == -1) {
			via_push(&v, &nv, cur, c, n); /* waited for */
			*reached = last;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			via_push(&v, &nv, cur, c, n);
			if (++links > TAIL_MAXLINKS ||
			    (tl = readlink(tmp, target, sizeof(target))) <= 0 ||
			    (size_t)tl >= sizeof(target))
				break;
			/* What is left: the link's target, then the rest. */
			restlen = strlen(c + n);
			if ((size_t)tl + restlen >= sizeof(tmp))
				break;
			memcpy(tmp, target, (size_t)tl);
			memcpy(tmp + tl, c + n, restlen + 1);
			strcpy(rest, tmp);
			c = rest;
			if (target[0] == '/')
				cur[0] = '\0';
			continue;
		}
		if (last) {
			via_push(&v, &nv, cur, c, n);
			*reached = 1;
		} else if (!S_ISDIR(st.st_mode))
			break;
		memcpy(cur, tmp, clen + 1 + n + 1);
		c += n;
	}
	*vp = v;
	*np = nv;
	return links;
}

/*
 * Adds to t->via what decides where path leads (see resolve()): a change
 * to any of those names may change the file it leads to. A path without
 * links adds nothing unless the followed path is a file's (follow, not
 * NULL): its last name is then added alone, for the files created or
 * renamed under it between two checks.
 */
static void
via_resolve(struct tail *t, const char *path, const char *follow, int fromglob)
{
	struct via *v;
	size_t	    nv, i;
	int	    links, reached;

	links = resolve(path, &v, &nv, &reached);
	if (links == 0 && (follow == NULL || !reached)) {
		via_clear(v, nv);
		return;
	}
	for (i = 0; follow != NULL && i < nv; i++) {
		v[i].path = xstrdup(follow);
		v[i].fromglob = fromglob;
	}
	if (follow != NULL && reached)
		v[nv - 1].last = 1;
	t->via = xreallocarray(t->via, t->nvia + nv, sizeof(*t->via));
	memcpy(t->via + t->nvia, v, nv * sizeof(*v));
	t->nvia += nv;
	free(v);
}

/*
 * Gives up a directory's watch; the kernel's goes only when no other
 * directory entry (one directory under two names) has the same wd.
 */
static void
wd_release(struct tail *t, struct wdir *d)
{
	size_t i;
	int    wd = d->wd;

	d->wd = -1;
	if (wd < 0 || t->ifd < 0)
		return;
	for (i = 0; i < t->ndirs; i++)
		if (t->dirs[i].wd == wd)
			return;
	for (i = 0; i < t->nvdirs; i++)
		if (t->vdirs[i].wd == wd)
			return;
	for (i = 0; i < t->ngdirs; i++)
		if (t->gdirs[i].wd == wd)
			return;
	inotify_rm_watch(t->ifd, wd);
}

/*
 * Drops the directories of *v no longer used, releasing their watches,
 * and keeps a watch on each other one (with inotify): put again on a
 * directory replaced since, released while it is missing. A watch newly
 * put asks for another check: the names it covers may have changed
 * before it was there.
 */
static void
wdirs_keep(struct tail *t, struct wdir **v, size_t *n)
{
	struct wdir *d;
	struct stat  st;
	size_t	     k;

	for (k = 0; k < *n;) {
		d = &(*v)[k];
		if (!d->used) {
			wd_release(t, d);
			free(d->path);
			*d = (*v)[--(*n)];
			continue;
		}
		k++;
		if (t->ifd < 0)
			continue;
		if (stat(d->path, &st) == -1 || !S_ISDIR(st.st_mode)) {
			wd_release(t, d);
			continue;
		}
		if (d->wd >= 0 && d->dev == st.st_dev && d->ino == st.st_ino)
			continue;
		wd_release(t, d);
		d->wd = inotify_add_watch(t->ifd, d->path, DIR_EVENTS);
		d->dev = st.st_dev;
		d->ino = st.st_ino;
		if (d->wd >= 0)
			t->need_sync = 1;
	}
}

/*
 * Keeps a watch on the directory of every via, and on no other (pattern
 * directories aside). A watch newly put asks for another check: the
 * names it covers may have changed before it was there.
 */
static void
vdirs_sync(struct tail *t)
{
	struct wdir *d;
	size_t	     i, k;

	for (k = 0; k < t->nvdirs; k++)
		t->vdirs[k].used = 0;
	for (i = 0; i < t->nvia; i++) {
		for (k = 0; k < t->nvdirs; k++)
			if (strcmp(t->vdirs[k].path, t->via[i].dir) == 0)
				break;
		if (k == t->nvdirs) {
			t->vdirs = xreallocarray(t->vdirs, t->nvdirs + 1,
			    sizeof(*t->vdirs));
			d = &t->vdirs[t->nvdirs++];
			memset(d, 0, sizeof(*d));
			d->path = xstrdup(t->via[i].dir);
			d->wd = -1;
		}
		t->vdirs[k].used = 1;
	}
	wdirs_keep(t, &t->vdirs, &t->nvdirs);
}

/*
 * A directory where a deep pattern may match, found by the walk: kept,
 * or added while fewer than max_dirs are; -1 when it is left out.
 */
static int
deep_dir(void *arg, const char *path)
{
	struct tail *t = arg;
	struct wdir *d;
	size_t	     i;

	for (i = 0; i < t->ngdirs; i++)
		if (strcmp(t->gdirs[i].path, path) == 0) {
			if (!t->gdirs[i].used)
				t->gused++;
			t->gdirs[i].used = 1;
			return 0;
		}
	if (t->gused >= t->o.max_dirs) {
		t->grefused++;
		return -1;
	}
	t->gdirs = xreallocarray(t->gdirs, t->ngdirs + 1, sizeof(*t->gdirs));
	d = &t->gdirs[t->ngdirs++];
	memset(d, 0, sizeof(*d));
	d->path = xstrdup(path);
	d->wd = -1;
	d->used = 1;
	t->gused++;
	return 0;
}

/* A name a deep pattern matches: followed like a glob's. */
static void
deep_file(void *arg, const char *path)
{
	struct tail *t = arg;
	struct stat  st;

	if (t->ifd >= 0 && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		via_resolve(t, path, path, 1);
	visit(t, path, 1);
}

/*
 * Keeps a watch on every directory the walks found, and on no other: a
 * directory gone, or no longer on a pattern's way, releases its watch.
 */
static void
gdirs_sync(struct tail *t)
{
	wdirs_keep(t, &t->gdirs, &t->ngdirs);
	if (t->grefused > 0 && !t->gtold) {
		t->gtold = 1;
		log_warnx("more directories to watch than --max-watched-dirs "
			  "(%zu): %zu left out, with the files in them; "
			  "counted in logmetrics_directories_left_out",
		    t->o.max_dirs, t->grefused);
	}
}

/* Whether a name appearing in or leaving d, a walk's directory, matters. */
static int
deep_wants(struct tail *t, const struct wdir *d, const char *name)
{
	const struct pattern *p;
	char		     *path = path_in(d->path, name);
	size_t		      i;
	int		      rc = 0;

	for (i = 0; i < t->npats && !rc; i++) {
		p = &t->pats[i];
		rc = p->deep &&
		    (pathpat_match(p->pp, path) || pathpat_leads(p->pp, path));
	}
	free(path);
	return rc;
}

/* Whether dir is the directory of path (dlen bytes before slash). */
static int
dir_is(const char *dir, const char *path, const char *slash, size_t dlen)
{
	if (slash == NULL)
		return strcmp(dir, ".") == 0;
	return strlen(dir) == dlen && strncmp(dir, path, dlen) == 0;
}

/*
 * Whether inotify watches cover path: its pattern's directory (or the
 * walk's), and the directory of every link on its way and of the name it
 * leads to.
 */
static int
watched(const struct tail *t, const char *path)
{
	const struct wdir *d = NULL;
	const char	  *slash = strrchr(path, '/');
	size_t		   i, k, dlen;

	if (t->ifd < 0)
		return 0;
	dlen = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	for (i = 0; i < t->ndirs && d == NULL; i++)
		if (dir_is(t->dirs[i].path, path, slash, dlen))
			d = &t->dirs[i];
	for (i = 0; i < t->ngdirs && d == NULL; i++)
		if (dir_is(t->gdirs[i].path, path, slash, dlen))
			d = &t->gdirs[i];
	if (d == NULL || d->wd < 0)
		return 0;
	for (i = 0; i < t->nvia; i++) {
		if (t->via[i].path == NULL || strcmp(t->via[i].path, path) != 0)
			continue;
		for (k = 0; k < t->nvdirs; k++)
			if (strcmp(t->vdirs[k].path, t->via[i].dir) == 0)
				break;
		if (k == t->nvdirs || t->vdirs[k].wd < 0)
			return 0;
	}
	return 1;
}

/*
 * The full check: watches on directories, every pattern expanded, every
 * path compared with the file it named. Paths a glob no longer matches
 * lose their file like missing ones. Cost: one glob(3) per pattern, one
 * stat(2) per path.
 */
static void
sync_all(struct tail *t)
{
	struct pathpat_walk w;
	struct pattern	   *p;
	struct stat	    st;
	glob_t		    g;
	size_t		    i, j;

	t->scans++;
	t->need_sync = 0;
	via_clear(t->via, t->nvia);
	t->via = NULL;
	t->nvia = 0;
	t->cookie = 0;
	for (i = 0; i < t->ndirs; i++)
		dir_check(t, &t->dirs[i]);
	for (i = 0; i < t->nfiles; i++) {
		t->files[i]->seen = 0;
		t->files[i]->created = 0;
	}
	for (i = 0; i < t->ngdirs; i++)
		t->gdirs[i].used = 0;
	t->gused = 0;
	t->grefused = 0;
	w.file = deep_file;
	w.dir = deep_dir;
	w.arg = t;
	for (i = 0; i < t->npats; i++) {
		p = &t->pats[i];
		if (p->deep) {
			pathpat_walk(p->pp, &w);
			continue;
		}
		if (!p->glob) {
			if (t->ifd >= 0)
				via_resolve(t, p->pat, p->pat, 0);
			visit(t, p->pat, 0);
			continue;
		}
		if (t->ifd >= 0)
			via_resolve(t, t->dirs[p->dir].path, NULL, 0);
		memset(&g, 0, sizeof(g));
		if (glob(p->pat, 0, NULL, &g) == 0)
			for (j = 0; j < g.gl_pathc; j++) {
				if (t->ifd >= 0 &&
				    lstat(g.gl_pathv[j], &st) == 0 &&
				    S_ISLNK(st.st_mode))
					via_resolve(t, g.gl_pathv[j],
					    g.gl_pathv[j], 1);
				visit(t, g.gl_pathv[j], 1);
			}
		globfree(&g);
	}
	for (i = 0; i < t->nfiles; i++) {
		if (t->files[i]->seen)
			continue;
		t->files[i]->missing = 1;
		demote(t, t->files[i]);
		(void)pend_take(t, t->files[i], 0, 0, 0);
	}
	gdirs_sync(t);
	if (t->ifd >= 0)
		vdirs_sync(t);
	for (i = 0; i < t->nfiles; i++)
		t->files[i]->pub.polled = !watched(t, t->files[i]->pub.path);
	t->initial = 0;
}

static struct reader *
reader_by_wd(struct tail *t, int wd)
{
	struct tfile *tf;
	size_t	      i, j;

	for (i = 0; i < t->nfiles; i++) {
		tf = t->files[i];
		if (tf->cur && tf->cur->wd == wd)
			return tf->cur;
		for (j = 0; j < tf->norphans; j++)
			if (tf->orphans[j]->wd == wd)
				return tf->orphans[j];
	}
	return NULL;
}

/* Whether a name appearing in or leaving directory d is one we follow. */
static int
dir_wants(struct tail *t, const struct wdir *d, const char *name)
{
	const struct pattern *p;
	size_t		      i;

	for (i = 0; i < t->npats; i++) {
		p = &t->pats[i];
		if (p->deep || &t->dirs[p->dir] != d)
			continue;
		if (p->glob ? fnmatch(p->base, name, FNM_PERIOD) == 0 :
			      strcmp(p->base, name) == 0)
			return 1;
	}
	return 0;
}

/* How catch_file() came to a name. */
enum catch {
	CATCH_CREATED, /* created or renamed in under it */
	CATCH_MOVED,   /* renamed to it from a followed name */
	CATCH_MISSED,  /* the same, a file missed at its creation */
};

/* Whether two names differ only in their runs of digits. */
static int
same_shape(const char *a, const char *b)
{
	for (;;) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a >= '0' && *a <= '9')
				a++;
			while (*b >= '0' && *b <= '9')
				b++;
			continue;
		}
		if (*a != *b)
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

static void
missed_add(struct tfile *tf, const char *name)
{
	size_t i;

	for (i = 0; i < tf->nmissed; i++)
		if (strcmp(tf->missed[i], name) == 0)
			return;
	tf->missed = xreallocarray(tf->missed, tf->nmissed + 1,
	    sizeof(*tf->missed));
	tf->missed[tf->nmissed++] = xstrdup(name);
}

/* Forgets name; returns whether it was there. */
static int
missed_drop(struct tfile *tf, const char *name)
{
	size_t i;

	for (i = 0; i < tf->nmissed; i++) {
		if (strcmp(tf->missed[i], name) != 0)
			continue;
		free(tf->missed[i]);
		tf->missed[i] = tf->missed[--tf->nmissed];
		return 1;
	}
	return 0;
}

/* The followed path of v, added when it is not followed yet. */
static struct tfile *
via_file(struct tail *t, const struct via *v)
{
	struct tfile *tf;

	if ((tf = file_find(t, v->path)) == NULL) {
		tf = file_add(t, v->path, v->fromglob);
		tf->missing = 1;
	}
	return tf;
}

/*
 * Opens dir/name, a file that a followed path may have led to between two
 * checks, before it can go: it is kept, unread, among the path's caught
 * files, in the order of the events that made it, until the next check
 * places it (see pend_take()). A file caught again by a later creation
 * event moves to the end: the name was reused before the first event was
 * read, and the file is the one of the later event. A file read already
 * is left where it is. Gone before it could be opened, its name is
 * remembered (tf->missed) until the event that took it away tells
 * whether it was renamed (then caught under its new name) or deleted
 * (lost, counted). A file renamed away that is gone under its new name
 * too is counted lost when it had been missed so (CATCH_MISSED); else
 * it is most likely one being read. Nothing is caught when every
 * descriptor is taken: closing a reader for it could lose more than it
 * saves.
 */
/* The directory part of path, as open(2) takes it (the caller frees it). */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static char *
path_in(const char *dir, const char *name)
{
	char  *path;
	size_t len;

	len = strlen(dir) + strlen(name) + 2;
	path = xmalloc(len);
	snprintf(path, len, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
	return path;
}

/* Whether dir/name is the file (dev, ino) now. */
static int
name_holds(const char *dir, const char *name, dev_t dev, ino_t ino)
{
	struct stat st;
	char	   *path = path_in(dir, name);
	int	    same;

	same = stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
	free(path);
	return same;
}

static void
catch_file(struct tail *t, struct tfile *tf, const char *dir, const char *name,
    enum catch how, struct stat *out)
{
	struct reader *r;
	struct stat    st;
	char	      *path;
	size_t	       i;

	out->st_nlink = 0;
	path = path_in(dir, name);
	if (stat(path, &st) == -1) {
		if (errno == ENOENT && how == CATCH_CREATED)
			missed_add(tf, name);
		else if (errno == ENOENT && how == CATCH_MISSED)
			tf->pub.lost++;
		free(path);
		return;
	}
	if (!S_ISREG(st.st_mode) || t->nopen >= t->o.max_open) {
		free(path);
		return;
	}
	*out = st;
	for (i = 0; i < tf->npend; i++) {
		r = tf->pend[i];
		if (r->dev != st.st_dev || r->ino != st.st_ino)
			continue;
		if (how == CATCH_CREATED) {
			memmove(&tf->pend[i], &tf->pend[i + 1],
			    (tf->npend - i - 1) * sizeof(*tf->pend));
			tf->pend[tf->npend - 1] = r;
		}
		free(path);
		return;
	}
	if (reader_find(t, st.st_dev, st.st_ino) != NULL ||
	    (r = reader_new(t, tf, path, 0)) == NULL) {
		free(path);
		return;
	}
	free(path);
	if (r->dev != st.st_dev || r->ino != st.st_ino) {
		/* Replaced between stat and open: the event of that comes. */
		reader_free(t, r);
		return;
	}
	tf->pend = xreallocarray(tf->pend, tf->npend + 1, sizeof(*tf->pend));
	tf->pend[tf->npend++] = r;
}

/*
 * An event naming a file in directory d, watched for some via. A via's
 * name asks for the full check. Under the last name of a followed path,
 * or one of the same shape (bot.7.log after bot.6.log), a file created or
 * renamed in is caught at once; one renamed away from it is caught under
 * its new name when the rename's second half arrives.
 */
static void
via_event(struct tail *t, const struct wdir *d, const struct inotify_event *ev)
{
	struct tfile *tf;
	struct via   *v;
	struct stat   st;
	size_t	      i;
	int	      exact, missed, later;

	if ((ev->mask & IN_MOVED_TO) && t->cookie != 0 &&
	    ev->cookie == t->cookie) {
		v = &t->via[t->cookie_via];
		catch_file(t, via_file(t, v), d->path, ev->name,
		    t->cookie_missed ? CATCH_MISSED : CATCH_MOVED, &st);
		t->cookie = 0;
	}
	for (i = 0; i < t->nvia; i++) {
		v = &t->via[i];
		if (strcmp(v->dir, d->path) != 0)
			continue;
		exact = strcmp(v->name, ev->name) == 0;
		if (exact)
			t->need_sync = 1;
		if (!v->last || (!exact && !same_shape(v->name, ev->name)))
			continue;
		tf = via_file(t, v);
		/*
		 * The file of the last creation under the name, opened then,
		 * still there: the one leaving now came before it, unread.
		 */
		later = exact && tf->created && tf->chave &&
		    name_holds(d->path, ev->name, tf->cdev, tf->cino);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			catch_file(t, tf, d->path, ev->name, CATCH_CREATED,
			    &st);
			if (exact) {
				tf->created = 1;
				tf->chave = st.st_nlink > 0;
				tf->cdev = st.st_dev;
				tf->cino = st.st_ino;
			}
		} else if (ev->mask & IN_MOVED_FROM) {
			missed = missed_drop(tf, ev->name) || later;
			if (missed || exact) {
				t->cookie = ev->cookie;
				t->cookie_via = i;
				t->cookie_missed = missed;
			}
		} else if (ev->mask & IN_DELETE) {
			if (missed_drop(tf, ev->name) || later)
				tf->pub.lost++;
		}
	}
}

/*
 * Takes an event on a directory watch (one directory may be watched as a
 * pattern's and as a via's: both see it). A name that matters asks for
 * the full check, as does any change to the directory itself. Returns 0
 * when ev is not a directory's.
 */
static int
dir_event(struct tail *t, const struct inotify_event *ev)
{
	struct wdir *d;
	size_t	     i;
	int	     found = 0;

	for (i = 0; i < t->ndirs; i++) {
		d = &t->dirs[i];
		if (d->wd != ev->wd)
			continue;
		found = 1;
		if (ev->len > 0) {
			if (dir_wants(t, d, ev->name))
				t->need_sync = 1;
			continue;
		}
		if (ev->mask & IN_MOVE_SELF)
			inotifytools_remove_watch_by_wd(d->wd);
		if (ev->mask & (IN_MOVE_SELF | IN_IGNORED))
			d->wd = -1;
		t->need_sync = 1;
	}
	for (i = 0; i < t->nvdirs; i++) {
		d = &t->vdirs[i];
		if (d->wd != ev->wd)
			continue;
		found = 1;
		if (ev->len > 0) {
			via_event(t, d, ev);
			continue;
		}
		if (ev->mask & IN_IGNORED)
			d->wd = -1;
		t->need_sync = 1;
	}
	for (i = 0; i < t->ngdirs; i++) {
		d = &t->gdirs[i];
		if (d->wd != ev->wd)
			continue;
		found = 1;
		if (ev->len > 0) {
			if (deep_wants(t, d, ev->name))
				t->need_sync = 1;
			continue;
		}
		/* Moved: the watch went with it; put again where it was. */
		if (ev->mask & IN_MOVE_SELF)
			wd_release(t, d);
		if (ev->mask & IN_IGNORED)
			d->wd = -1;
		t->need_sync = 1;
	}
	return found;
}

/*
 * Reads every queued event; none blocks. Structural events (a followed
 * name created, moved or deleted; a file moved, deleted or its link count
 * changed; a queue overflow) ask for the full check. Modifications need
 * nothing: every open file is read on every poll. Returns 0, or -1 when
 * the library failed to read.
 */
static int
drain_events(struct tail *t)
{
	struct inotify_event *ev;
	struct reader	     *r;
	int		      e;

	while ((ev = inotifytools_next_events(0, 1)) != NULL) {
		if ((ev->mask & ~IN_MODIFY) == 0)
			continue; /* the common case: data */
		if (ev->mask & IN_Q_OVERFLOW) {
			t->overflows++;
			t->need_sync = 1;
			continue;
		}
		if (dir_event(t, ev))
			continue;
		if ((r = reader_by_wd(t, ev->wd)) == NULL)
			continue; /* a watch we removed */
		if (ev->mask & IN_IGNORED)
			r->wd = -1;
		if (ev->mask &
		    (IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED))
			t->need_sync = 1;
	}
	e = inotifytools_error();
	if (e != 0 && e != EINTR && e != EAGAIN) {
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * Reads every file: a path's orphans first (older data), then its
 * current file up to the budget. Orphans deleted or idle for rotate_wait
 * are let go; paths a glob found that are gone with nothing left to read
 * are forgotten.
 */
static void
read_all(struct tail *t)
{
	struct tfile  *tf;
	struct reader *r;
	double	       now = now_mono();
	size_t	       i, j, k;

	t->backlog = 0;
	for (i = 0; i < t->nfiles; i++) {
		tf = t->files[i];
		for (j = 0; j < tf->norphans;) {
			r = tf->orphans[j];
			reader_read(t, r, TAIL_NOLIMIT);
			if (r->nlink == 0 ||
			    now - r->active >= t->o.rotate_wait)
				orphan_end(t, tf, j);
			else
				j++;
		}
		if (tf->cur != NULL)
			reader_read(t, tf->cur, TAIL_BUDGET);
	}
	for (i = k = 0; i < t->nfiles; i++) {
		tf = t->files[i];
		if (tf->fromglob && tf->missing && tf->cur == NULL &&
		    tf->norphans == 0 && tf->npend == 0 && tf->pub.lost == 0)
			file_free(t, tf);
		else
			t->files[k++] = tf;
	}
	t->nfiles = k;
}

void
tail_opts_init(struct tail_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->poll_interval = TAIL_POLL_INTERVAL;
	o->max_line = TAIL_MAX_LINE;
	o->max_open = TAIL_MAX_OPEN;
	o->rotate_wait = TAIL_ROTATE_WAIT;
	o->max_dirs = TAIL_MAXDIRS;
}

struct tail *
tail_new(const struct tail_opts *opts, const char *const *patterns, size_t n,
    char *err, size_t errlen)
{
	struct tail *t;
	size_t	     i;

	if (tail_live) {
		snprintf(err, errlen, "only one file follower per process");
		return NULL;
	}
	if (n == 0) {
		snprintf(err, errlen, "no file to follow");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->o = *opts;
	if (t->o.poll_interval <= 0)
		t->o.poll_interval = TAIL_POLL_INTERVAL;
	if (t->o.max_line == 0)
		t->o.max_line = TAIL_MAX_LINE;
	if (t->o.max_open == 0)
		t->o.max_open = TAIL_MAX_OPEN;
	if (t->o.rotate_wait <= 0)
		t->o.rotate_wait = TAIL_ROTATE_WAIT;
	if (t->o.max_dirs == 0)
		t->o.max_dirs = TAIL_MAXDIRS;
	t->ifd = -1;
	for (i = 0; i < n; i++) {
		if (pattern_add(t, patterns[i], err, errlen) == -1) {
			tail_free(t);
			return NULL;
		}
	}
	tail_live = 1;
	if (!t->o.no_inotify)
		(void)ino_setup(t);
	t->initial = 1;
	sync_all(t);
	if (t->need_sync) {
		/* Watches were put: what they cover is looked at again. */
		t->initial = 1;
		sync_all(t);
	}
	t->next_scan = now_mono() + t->o.poll_interval;
	return t;
}

int
tail_fd(const struct tail *t)
{
	return t->ifd;
}

double
tail_due(const struct tail *t)
{
	return t->need_sync || t->backlog ? 0 : t->next_scan;
}

int
tail_read(struct tail *t, tail_line_fn *fn, void *arg)
{
	double now;
	int    rc = 0;

	t->fn = fn;
	t->arg = arg;
	if (t->ifd >= 0 && drain_events(t) == -1)
		rc = -1;
	now = now_mono();
	if (now >= t->next_scan) {
		t->need_sync = 1;
		t->next_scan = now + t->o.poll_interval;
	}
	if (t->need_sync)
		sync_all(t);
	read_all(t);
	t->fn = NULL;
	t->arg = NULL;
	return rc;
}

void
tail_foreach(struct tail *t, void (*fn)(const struct tail_file *, void *),
    void		 *arg)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		fn(&t->files[i]->pub, arg);
}

void
tail_foreach_dir(struct tail *t, void (*fn)(const char *, int, void *),
    void		     *arg)
{
	size_t i;

	for (i = 0; i < t->ngdirs; i++)
		fn(t->gdirs[i].path, t->gdirs[i].wd >= 0, arg);
}

void
tail_stats(const struct tail *t, struct tail_stats *st)
{
	st->overflows = t->overflows;
	st->scans = t->scans;
	st->files = t->nfiles;
	st->open = t->nopen;
	st->inotify = t->ifd >= 0;
	st->dirs = t->gused;
	st->dirs_left_out = t->grefused;
}

uint64_t
tail_headhash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t	     h = 0xcbf29ce484222325ULL;
	size_t		     i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
pos_emit(struct tfile *tf, struct reader *r, int64_t saved,
    void (*fn)(const struct tail_pos *, void *), void *arg)
{
	struct tail_pos p;
	unsigned char	mark[TAIL_HEAD];
	size_t		n;

	memset(&p, 0, sizeof(p));
	p.saved = saved;
	p.size = r->size;
	p.path = tf->pub.path;
	p.dev = (uint64_t)r->dev;
	p.ino = (uint64_t)r->ino;
	p.offset = r->offset;
	p.headlen = r->headlen;
	p.headhash = tail_headhash(r->head, r->headlen);
	/* What was read last: tells the file from one with its head. */
	n = r->offset < TAIL_HEAD ? (size_t)r->offset : TAIL_HEAD;
	if (n > 0 && r->fd >= 0 &&
	    pread(r->fd, mark, n, (off_t)(r->offset - n)) == (ssize_t)n) {
		p.marklen = n;
		p.markhash = tail_headhash(mark, n);
	}
	fn(&p, arg);
}

int64_t
tail_clock(void)
{
	struct timespec ts;

	/* The clock the kernel stamps files with: see chain_restore(). */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
tail_positions(struct tail *t, int64_t		       saved,
    void (*fn)(const struct tail_pos *, void *), void *arg)
{
	struct tail_pos p;
	struct tfile   *tf;
	size_t		i, j;

	if (saved == 0)
		saved = tail_clock();
	for (i = 0; i < t->nfiles; i++) {
		tf = t->files[i];
		for (j = 0; j < tf->ndone; j++) {
			memset(&p, 0, sizeof(p));
			p.path = tf->pub.path;
			p.dev = tf->done[j].dev;
			p.ino = tf->done[j].ino;
			p.offset = p.size = tf->done[j].size;
			p.headlen = tf->done[j].headlen;
			p.headhash = tf->done[j].headhash;
			p.saved = saved;
			p.done = 1;
			fn(&p, arg);
		}
		for (j = 0; j < tf->norphans; j++)
			pos_emit(tf, tf->orphans[j], saved, fn, arg);
		if (tf->cur != NULL)
			pos_emit(tf, tf->cur, saved, fn, arg);
	}
}

void
tail_pos_encode(const struct tail_pos *p, struct buf *out)
{
	field_put_str(out, p->path, strlen(p->path));
	field_put_u64(out, p->dev);
	field_put_u64(out, p->ino);
	field_put_u64(out, p->offset);
	field_put_u64(out, p->headlen);
	field_put_x64(out, p->headhash);
	field_put_u64(out, (unsigned long long)p->saved);
	field_put_u64(out, p->size);
	field_put_u64(out, (unsigned long long)p->done);
	field_put_u64(out, p->marklen);
	field_put_x64(out, p->markhash);
}

int
tail_pos_decode(uint64_t version, const char *data, size_t len,
    struct tail_pos *p, char **path, size_t *at, char *err, size_t errlen)
{
	static const int   nfields[] = { 0, 6, 7, 8, 11 };
	struct str	   f[12];
	unsigned long long v[4], hash, saved = 0, size = 0, done = 0;
	unsigned long long marklen = 0, markhash = 0;
	const char	  *why;
	int		   nf, i, want;

	memset(p, 0, sizeof(*p));
	*path = NULL;
	*at = 0;
	if (version < 1 || version > TAIL_POS_VERSION) {
		snprintf(err, errlen,
		    "version %llu; this logmetrics reads 1 "
		    "to %d",
		    (unsigned long long)version, TAIL_POS_VERSION);
		return -1;
	}
	want = nfields[version];
	if ((nf = field_split(data, len, f, NELEM(f))) != want) {
		if (nf == -1)
			snprintf(err, errlen,
			    "expected %d fields, found more "
			    "or an empty one",
			    want);
		else
			snprintf(err, errlen, "expected %d fields, found %d",
			    want, nf);
		return -1;
	}
	if (field_str(&f[0], 0, path, NULL, at, &why) == -1) {
		*at += (size_t)(f[0].p - data);
		if (why == NULL)
			snprintf(err, errlen,
			    "byte 0x%02x must be escaped in "
			    "a string",
			    (unsigned char)data[*at]);
		else
			snprintf(err, errlen, "%s", why);
		return -1;
	}
	*at = (size_t)(f[0].p - data);
	if (**path == '\0') {
		snprintf(err, errlen, "empty path");
		goto bad;
	}
	for (i = 0; i < 4; i++) {
		*at = (size_t)(f[1 + i].p - data);
		if (field_u64(&f[1 + i], &v[i]) == -1) {
			snprintf(err, errlen, "expected a decimal number");
			goto bad;
		}
	}
	if (v[3] > TAIL_HEAD) {
		snprintf(err, errlen, "head length over %d", TAIL_HEAD);
		goto bad;
	}
	*at = (size_t)(f[5].p - data);
	if (field_hex(&f[5], 16, &hash) == -1) {
		snprintf(err, errlen, "expected 16 hex digits");
		goto bad;
	}
	if (want >= 7) {
		*at = (size_t)(f[6].p - data);
		if (field_u64(&f[6], &saved) == -1 || saved > INT64_MAX) {
			snprintf(err, errlen, "expected a decimal number");
			goto bad;
		}
	}
	if (want >= 8) {
		*at = (size_t)(f[7].p - data);
		if (field_u64(&f[7], &size) == -1) {
			snprintf(err, errlen, "expected a decimal number");
			goto bad;
		}
	}
	if (want >= 11) {
		*at = (size_t)(f[8].p - data);
		if (field_u64(&f[8], &done) == -1 || done > 1) {
			snprintf(err, errlen, "expected 0 or 1");
			goto bad;
		}
		*at = (size_t)(f[9].p - data);
		if (field_u64(&f[9], &marklen) == -1) {
			snprintf(err, errlen, "expected a decimal number");
			goto bad;
		}
		if (marklen > TAIL_HEAD || marklen > v[2]) {
			snprintf(err, errlen,
			    "mark length over %d or the offset", TAIL_HEAD);
			goto bad;
		}
		*at = (size_t)(f[10].p - data);
		if (field_hex(&f[10], 16, &markhash) == -1) {
			snprintf(err, errlen, "expected 16 hex digits");
			goto bad;
		}
	}
	p->path = *path;
	p->dev = v[0];
	p->ino = v[1];
	p->offset = v[2];
	p->headlen = v[3];
	p->headhash = hash;
	p->saved = (int64_t)saved;
	p->size = size;
	p->done = (int)done;
	p->marklen = marklen;
	p->markhash = markhash;
	return 0;
bad:
	free(*path);
	*path = NULL;
	return -1;
}

/*
 * Whether the file open on fd, size bytes long, has p's head, and when p
 * knows them and the file is long enough, its last bytes before p's
 * offset.
 */
static int
head_matches(int fd, uint64_t size, const struct tail_pos *p)
{
	unsigned char buf[TAIL_HEAD];

	if (p->headlen > TAIL_HEAD || size < p->headlen)
		return 0;
	if (p->headlen > 0 &&
	    pread(fd, buf, (size_t)p->headlen, 0) != (ssize_t)p->headlen)
		return 0;
	if (tail_headhash(buf, (size_t)p->headlen) != p->headhash)
		return 0;
	if (p->marklen == 0 || p->marklen > TAIL_HEAD ||
	    p->marklen > p->offset || size < p->offset)
		return 1;
	return pread(fd, buf, (size_t)p->marklen,
		   (off_t)(p->offset - p->marklen)) == (ssize_t)p->marklen &&
	    tail_headhash(buf, (size_t)p->marklen) == p->markhash;
}

/* Whether the text of path (a gzip file) has p's mark before p's offset. */
static int
text_mark_matches(const char *path, const struct tail_pos *p)
{
	unsigned char buf[TAIL_HEAD];

	if (p->marklen == 0 || p->marklen > TAIL_HEAD || p->marklen > p->offset)
		return 1;
	return source_pread(path, buf, (size_t)p->marklen,
		   p->offset - p->marklen) == (ssize_t)p->marklen &&
	    tail_headhash(buf, (size_t)p->marklen) == p->markhash;
}

/* Places r at off, the end of a complete line, forgetting what it holds. */
static void
reader_seek(struct reader *r, uint64_t off)
{
	lines_reset(&r->lines);
	r->skipping = 0;
	r->pos = r->offset = r->lastnl = off;
	r->cbase = off - r->lines.consumed;
}

/*
 * The first pattern that follows path, or -1; *fromglob tells its kind. A
 * glob's matches carry its directory part as written.
 */
static int
path_wanted(const struct tail *t, const char *path, int *fromglob)
{
	const struct pattern *p;
	const char	     *slash = strrchr(path, '/');
	size_t		      i, dlen = slash ? (size_t)(slash - path) + 1 : 0;

	for (i = 0; i < t->npats; i++) {
		p = &t->pats[i];
		if (p->deep) {
			if (pathpat_match(p->pp, path)) {
				*fromglob = 1;
				return (int)i;
			}
			continue;
		}
		if (!p->glob) {
			if (strcmp(p->pat, path) == 0) {
				*fromglob = 0;
				return (int)i;
			}
			continue;
		}
		if ((size_t)(p->base - p->pat) == dlen &&
		    strncmp(p->pat, path, dlen) == 0 &&
		    fnmatch(p->base, path + dlen, FNM_PERIOD) == 0) {
			*fromglob = 1;
			return (int)i;
		}
	}
	return -1;
}

int
tail_pattern(const struct tail *t, const char *path)
{
	int fromglob;

	return path_wanted(t, path, &fromglob);
}

/*
 * Looks in dir, in name order, for a regular file at least p->offset long
 * with p's head: the file (dev, ino) of p when byid, else any other file
 * (a copy) that no restored reader holds. Returns its path (the caller
 * frees it) with its stat in *out, or NULL.
 */
static char *
dir_search(struct tail *t, const char *dir, const struct tail_pos *p, int byid,
    struct stat *out)
{
	struct dirent **names;
	struct reader  *r;
	struct stat	st;
	char	       *cand, *found = NULL;
	int		n, i, fd, same;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1)
		return NULL;
	for (i = 0; i < n; i++) {
		if (found != NULL || names[i]->d_name[0] == '.')
			goto next;
		cand = path_in(dir, names[i]->d_name);
		if (stat(cand, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < p->offset)
			goto skip;
		same = (uint64_t)st.st_dev == p->dev &&
		    (uint64_t)st.st_ino == p->ino;
		if (same != byid)
			goto skip;
		r = reader_find(t, st.st_dev, st.st_ino);
		if (r != NULL && (byid || r->restored))
			goto skip;
		fd = open(cand, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd == -1)
			goto skip;
		if (head_matches(fd, (uint64_t)st.st_size, p)) {
			found = cand;
			cand = NULL;
			*out = st;
		}
		close(fd);
skip:
		free(cand);
next:
		free(names[i]);
	}
	free(names);
	return found;
}

/*
 * dir_search() in the directory of p->path, then, when the path goes
 * through symbolic links, in the directory it leads to now (where a
 * link's target is rotated).
 */
static char *
pos_search(struct tail *t, const struct tail_pos *p, int byid, struct stat *out)
{
	struct via *v;
	char	   *dir, *found;
	size_t	    nv;
	int	    reached;

	dir = dir_of(p->path);
	found = dir_search(t, dir, p, byid, out);
	free(dir);
	if (found != NULL)
		return found;
	if (resolve(p->path, &v, &nv, &reached) > 0 && nv > 0)
		found = dir_search(t, v[nv - 1].dir, p, byid, out);
	via_clear(v, nv);
	return found;
}

/* The followed path of a saved position, added when not followed yet. */
static struct tfile *
pos_file(struct tail *t, const char *path)
{
	struct tfile *tf;
	int	      fromglob;

	if ((tf = file_find(t, path)) == NULL) {
		if (path_wanted(t, path, &fromglob) == -1)
			return NULL;
		tf = file_add(t, path, fromglob);
		tf->missing = 1;
		tf->known = 1;
	}
	return tf;
}

/*
 * Opens name, the file p describes now found under another name, as a
 * renamed file of p's path to be read on from p->offset (and for
 * rotate_wait after, like any renamed file). Returns 0, or -1 when p's
 * path is no longer followed or name no longer holds the file in *st.
 */
static struct reader *
orphan_restore(struct tail *t, const struct tail_pos *p, const char *name,
    const struct stat *st)
{
	struct tfile  *tf;
	struct reader *r;

	if ((tf = pos_file(t, p->path)) == NULL)
		return NULL;
	if ((r = reader_new(t, tf, name, 0)) == NULL)
		return NULL;
	if (r->dev != st->st_dev || r->ino != st->st_ino) {
		reader_free(t, r);
		return NULL;
	}
	reader_seek(r, p->offset);
	r->restored = 1;
	tf->orphans = xreallocarray(tf->orphans, tf->norphans + 1,
	    sizeof(*tf->orphans));
	tf->orphans[tf->norphans++] = r;
	return r;
}

/*
 * Places a followed reader found by identity: at p->offset when its head
 * still matches and it is long enough, else at 0 (truncated). Returns 1
 * when it was truncated, else 0.
 */
static int
reader_restore(struct tail *t, struct reader *r, const struct tail_pos *p)
{
	r->restored = 1;
	if (r->fd < 0 && reader_attach(t, r, r->owner->pub.path, 1) == -1) {
		/* Closed for max_open and not reopened: trust its identity. */
		reader_seek(r, p->offset);
		return 0;
	}
	if (p->offset <= r->size && head_matches(r->fd, r->size, p)) {
		reader_seek(r, p->offset);
		r->drain = 1;
		return 0;
	}
	reader_seek(r, 0);
	r->headlen = 0;
	head_capture(r);
	return 1;
}

/*
 * Whether name is a rotation of base (see source_rotname()): bot.log.1,
 * bot.log-20261206, bot.log-2026-12-06-1700, each maybe gzipped (*gz
 * set).
 */
static int
rotation_of(const char *name, const char *base, int *gz)
{
	struct rotname rn;

	source_rotname(name, &rn);
	*gz = rn.gz;
	return rn.rotated && rn.stemlen == strlen(base) &&
	    memcmp(name, base, rn.stemlen) == 0;
}

/*
 * One file to read at restart, in order: a reader, or a gzip text, held
 * open from when it is found, so that a rotation that renames or deletes
 * it meanwhile changes nothing.
 */
struct step {
	struct tfile  *tf;
	struct reader *r;
	char	      *gz;   /* its path, or NULL */
	int	       fd;   /* the gzip file's */
	uint64_t       skip; /* bytes of its text read before */
	dev_t	       dev;
	ino_t	       ino;
};

struct steps {
	struct step *v;
	size_t	     n;
};

/*
 * Adds a step: reader r, or the gzip file gz (owned from now on), which
 * must still be the file of st. Returns 0, or -1 when gz could not be
 * opened as that file (then freed).
 */
static int
step_add(struct steps *s, struct tfile *tf, struct reader *r, char *gz,
    uint64_t skip, const struct stat *st)
{
	struct step *x;
	struct stat  now;
	int	     fd = -1;

	if (gz != NULL) {
		if ((fd = open(gz, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
		    fstat(fd, &now) == -1 || now.st_dev != st->st_dev ||
		    now.st_ino != st->st_ino) {
			if (fd != -1)
				close(fd);
			free(gz);
			return -1;
		}
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	x->tf = tf;
	x->r = r;
	x->gz = gz;
	x->fd = fd;
	x->skip = skip;
	if (st != NULL) {
		x->dev = st->st_dev;
		x->ino = st->st_ino;
	}
	return 0;
}

/* Whether a gzip file of the steps is (dev, ino). */
static int
step_has(const struct steps *s, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].gz != NULL && s->v[i].dev == dev &&
		    s->v[i].ino == ino)
			return 1;
	return 0;
}

struct rotated {
	char	   *path;
	const char *suffix; /* in path */
	int64_t	    mtime;  /* ns */
	struct stat st;
	int	    gz;
};

/*
 * Oldest first: by their names where both are numbered (NAME.2 before
 * NAME.1: the numbers grow with age) or both dated (dates in their
 * order), since a rotation compressed later gets a later modification
 * time than a newer one (container runtimes do not keep it); else by
 * modification time, then by suffix.
 */
static int
rotated_cmp(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;
	char		     *ex, *ey;
	unsigned long long    nx, ny;
	int		      dx, dy;

	nx = strtoull(x->suffix + 1, &ex, 10);
	ny = strtoull(y->suffix + 1, &ey, 10);
	dx = !(x->suffix[0] == '.' && (*ex == '\0' || strcmp(ex, ".gz") == 0));
	dy = !(y->suffix[0] == '.' && (*ey == '\0' || strcmp(ey, ".gz") == 0));
	if (!dx && !dy && nx != ny)
		return nx > ny ? -1 : 1;
	if (dx && dy && strcmp(x->suffix, y->suffix) != 0)
		return strcmp(x->suffix, y->suffix);
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->suffix, y->suffix);
}

/*
 * Adds to *v the rotations of base in dir, plain or gzipped, last written
 * at or after since (ns of the wall clock) that neither a reader nor a
 * step holds.
 */
static void
rotations_in(struct tail *t, const char *dir, const char *base, int64_t since,
    const struct steps *steps, struct rotated **v, size_t *nv)
{
	struct dirent **names;
	struct stat	st;
	struct rotated *r;
	char	       *path;
	int		n, i, gz;
	size_t		k;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (!rotation_of(names[i]->d_name, base, &gz))
			goto next;
		path = path_in(dir, names[i]->d_name);
		/*
		 * NAME.N.gz beside NAME.N is being written (logrotate's
		 * compress deletes NAME.N once it is done): NAME.N is read.
		 */
		if (gz) {
			path[strlen(path) - 3] = '\0';
			if (stat(path, &st) == 0) {
				free(path);
				goto next;
			}
			path[strlen(path)] = '.';
		}
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (int64_t)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec <
			since ||
		    reader_find(t, st.st_dev, st.st_ino) != NULL ||
		    step_has(steps, st.st_dev, st.st_ino)) {
			free(path);
			goto next;
		}
		for (k = 0; k < *nv; k++)
			if ((*v)[k].st.st_dev == st.st_dev &&
			    (*v)[k].st.st_ino == st.st_ino)
				break;
		if (k < *nv) { /* the same directory twice */
			free(path);
			goto next;
		}
		*v = xreallocarray(*v, *nv + 1, sizeof(**v));
		r = &(*v)[(*nv)++];
		r->path = path;
		r->suffix = path + strlen(path) - strlen(names[i]->d_name) +
		    strlen(base);
		r->mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		r->st = st;
		r->gz = gz;
next:
		free(names[i]);
	}
	free(names);
}

/* The rotations of tf's path, in its directory and the one it leads to. */
static void
rotations_of(struct tail *t, struct tfile *tf, int64_t since,
    const struct steps *steps, struct rotated **v, size_t *nv)
{
	const char *slash = strrchr(tf->pub.path, '/');
	struct via *vias;
	char	   *dir;
	size_t	    nvias;
	int	    reached;

	dir = dir_of(tf->pub.path);
	rotations_in(t, dir, slash ? slash + 1 : tf->pub.path, since, steps, v,
	    nv);
	free(dir);
	if (resolve(tf->pub.path, &vias, &nvias, &reached) > 0 && reached)
		rotations_in(t, vias[nvias - 1].dir, vias[nvias - 1].name,
		    since, steps, v, nv);
	via_clear(vias, nvias);
}

static void
rotated_free(struct rotated *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/*
 * A saved file gone under any name may have been compressed: a gzip
 * rotation of its path whose text starts with the saved head is read on
 * from the saved offset of its text. Returns 0 when one was found.
 */
static int
gz_restore(struct tail *t, struct tfile *tf, const struct tail_pos *p,
    struct steps *steps)
{
	struct rotated *v = NULL;
	unsigned char	head[TAIL_HEAD];
	size_t		nv = 0, i;
	int		found = -1;

	if (p->headlen == 0 || p->headlen > TAIL_HEAD)
		return -1;
	rotations_of(t, tf, INT64_MIN, steps, &v, &nv);
	for (i = 0; i < nv && found == -1; i++) {
		if (!v[i].gz ||
		    source_head(v[i].path, head, (size_t)p->headlen) !=
			(ssize_t)p->headlen ||
		    tail_headhash(head, (size_t)p->headlen) != p->headhash ||
		    !text_mark_matches(v[i].path, p))
			continue;
		log_debug(
		    "%s: the file saved at offset %llu is compressed in %s",
		    p->path, (unsigned long long)p->offset, v[i].path);
		if (step_add(steps, tf, NULL, v[i].path, p->offset, &v[i].st) ==
		    0)
			found = 0;
		v[i].path = NULL;
	}
	rotated_free(v, nv);
	return found;
}

/*
 * The length of the text of the file at path: its size, or for gzip the
 * length its trailer gives (of the last member, modulo 2^32: the whole
 * text for the single member runtimes and logrotate write). -1 when it
 * cannot be told.
 */
static int64_t
text_size(const char *path, int gz)
{
	unsigned char t[4];
	struct stat   st;
	int	      fd;
	int64_t	      n = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && !gz)
		n = (int64_t)st.st_size;
	else if (st.st_size >= 18 && pread(fd, t, 4, st.st_size - 4) == 4)
		n = (int64_t)((uint32_t)t[0] | (uint32_t)t[1] << 8 |
		    (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24);
	close(fd);
	return n;
}

/*
 * Whether the file at path, plain or gzip, has the text of a file tf read
 * to its end: its head and its length are those of one of them.
 */
static int
done_has(const struct tfile *tf, const char *path, int gz)
{
	unsigned char head[TAIL_HEAD];
	ssize_t	      n = -1;
	int64_t	      len = -1;
	uint64_t      want;
	size_t	      i;

	for (i = 0; i < tf->ndone; i++) {
		if (n == -1) {
			if ((n = source_head(path, head, sizeof(head))) < 0 ||
			    (len = text_size(path, gz)) < 0)
				return 0;
		}
		want = gz ? tf->done[i].size & 0xffffffffu : tf->done[i].size;
		if (tf->done[i].headlen <= (uint64_t)n &&
		    (tf->done[i].headlen == TAIL_HEAD ||
			tf->done[i].headlen == (uint64_t)n) &&
		    tail_headhash(head, (size_t)tf->done[i].headlen) ==
			tf->done[i].headhash &&
		    (uint64_t)len == want)
			return 1;
	}
	return 0;
}

/*
 * The rotations of tf's path made since the state was saved (last written
 * at or after since), none of which the state knew, plain or gzipped:
 * each is to be read whole, oldest first, after the files placed by the
 * state and before the file the path names now. since is of the coarse
 * wall clock the kernel stamps files with, taken with the positions: a
 * file written after them has a time no earlier, and one read before
 * them (a rotation read at an earlier restart) was last written before.
 * Returns how many.
 */
static size_t
chain_restore(struct tail *t, struct tfile *tf, int64_t since,
    struct steps *steps)
{
	struct rotated *v;
	struct reader  *r;
	size_t		nv, i, k, got, n0 = steps->n, o0 = tf->norphans;
	int		attempt, missed, last;

	for (attempt = 0;; attempt++) {
		/* The last look reads what it can: a rotation gone is left. */
		last = attempt == 3;
		v = NULL;
		nv = got = 0;
		missed = 0;
		rotations_of(t, tf, since, steps, &v, &nv);
		if (nv > 1)
			qsort(v, nv, sizeof(*v), rotated_cmp);
		for (i = 0; i < nv && !missed; i++) {
			if (done_has(tf, v[i].path, v[i].gz)) {
				/* Read before the save, written again since. */
				log_debug(
				    "%s: read to its end before the save, "
				    "not again",
				    v[i].path);
				continue;
			}
			if (v[i].gz) {
				if (step_add(steps, tf, NULL, v[i].path, 0,
					&v[i].st) == 0)
					got++;
				else
					missed = !last;
				v[i].path = NULL;
				continue;
			}
			if ((r = reader_new(t, tf, v[i].path, 0)) != NULL &&
			    (r->dev != v[i].st.st_dev ||
				r->ino != v[i].st.st_ino)) {
				reader_free(t, r);
				r = NULL;
			}
			if (r == NULL) {
				missed = !last;
				continue;
			}
			r->restored = 1;
			tf->orphans = xreallocarray(tf->orphans,
			    tf->norphans + 1, sizeof(*tf->orphans));
			tf->orphans[tf->norphans++] = r;
			step_add(steps, tf, r, NULL, 0, NULL);
			got++;
		}
		rotated_free(v, nv);
		if (!missed)
			return got;
		/*
		 * A rotation moved on between the look and the open (renamed,
		 * or compressed and deleted): the chain is looked at again,
		 * so that it is read whole and in order.
		 */
		for (k = n0; k < steps->n; k++)
			if (steps->v[k].gz != NULL) {
				close(steps->v[k].fd);
				free(steps->v[k].gz);
			}
		steps->n = n0;
		for (k = o0; k < tf->norphans; k++)
			reader_free(t, tf->orphans[k]);
		tf->norphans = o0;
	}
}

struct gzline {
	struct tail  *t;
	struct tfile *tf;
};

static void
gz_line(void *arg, const char *line, size_t len)
{
	struct gzline *g = arg;

	deliver(g->t, g->tf, line, len);
}

/*
 * Reads the steps in order: a reader to its end, a gzip text from its
 * skip. The first failure to read a gzip text is kept in rs.
 */
static void
steps_run(struct tail *t, struct steps *steps, struct tail_restore *rs)
{
	struct source_stats st;
	struct gzline	    g;
	struct step	   *x;
	unsigned char	    head[TAIL_HEAD];
	char		    err[256], held[64];
	const char	   *src;
	ssize_t		    got;
	size_t		    i, n;

	for (i = 0; i < steps->n; i++) {
		x = &steps->v[i];
		if (x->r != NULL) {
			reader_read(t, x->r, TAIL_NOLIMIT);
			continue;
		}
		/* The file held open, whatever its name now; by its name
		 * without /proc. */
		snprintf(held, sizeof(held), "/proc/self/fd/%d", x->fd);
		src = access(held, R_OK) == 0 ? held : x->gz;
		memset(&st, 0, sizeof(st));
		g.t = t;
		g.tf = x->tf;
		if (source_read_at(src, x->skip, t->o.max_line, gz_line, &g,
			&st, err, sizeof(err)) == -1 &&
		    rs->gzerr[0] == '\0') {
			n = strlen(src);
			snprintf(rs->gzerr, sizeof(rs->gzerr), "%s%s", x->gz,
			    strncmp(err, src, n) == 0 ? err + n : err);
		}
		x->tf->pub.bytes += st.bytes > x->skip ? st.bytes - x->skip : 0;
		x->tf->pub.toolong += st.toolong;
		if (st.lines > 0)
			x->tf->pub.last_read = now_wall();
		/* Read to its end: known if it is compressed again. */
		if ((got = source_head(src, head, sizeof(head))) > 0)
			done_add(x->tf, (uint64_t)got,
			    tail_headhash(head, (size_t)got), st.bytes, 0, 0);
		buf_free(&st.last);
		close(x->fd);
		free(x->gz);
	}
	free(steps->v);
}

/*
 * Looks for a saved file under another name before it counts as lost or
 * truncated: a rotation renaming it between the directory's listing and
 * the look at each name (or compressing it meanwhile) hides it from one
 * look, and it would then be read whole as a rotation made since.
 */
#define POS_LOOKS 3

/* gz_restore(), looked for again when not found. */
static int
gz_restore_looks(struct tail *t, struct tfile *tf, const struct tail_pos *p,
    struct steps *steps)
{
	int look;

	for (look = 0; look < POS_LOOKS; look++)
		if (gz_restore(t, tf, p, steps) == 0)
			return 0;
	return -1;
}

/*
 * Counts saved position p as lost, in rs and in its path tf (when
 * followed), with what was unread at the save: more may have been.
 */
static void
pos_lost(struct tail_restore *rs, struct tfile *tf, const struct tail_pos *p)
{
	uint64_t unread = p->size > p->offset ? p->size - p->offset : 0;

	rs->lost++;
	rs->lost_bytes += unread;
	if (tf != NULL) {
		tf->pub.lost++;
		tf->pub.lost_bytes += unread;
	}
}

/*
 * Places the saved file p: followed under its identity (resumed,
 * truncated, rotated), compressed, or renamed away and found again;
 * else counted lost. *cut is set for a file truncated while down.
 */
static void
restore_one(struct tail *t, const struct tail_pos *p, int *cut,
    struct steps *steps, struct tail_restore *rs)
{
	struct tfile  *tf;
	struct reader *r;
	struct stat    st;
	char	      *name;
	int	       found, look;

	if (p->done) {
		/* Read before the save: known again if compressed. */
		if ((tf = pos_file(t, p->path)) != NULL)
			done_add(tf, p->headlen, p->headhash, p->size, p->dev,
			    p->ino);
		return;
	}
	r = reader_find(t, (dev_t)p->dev, (ino_t)p->ino);
	if (r != NULL && r->restored)
		return; /* listed twice: a hard link */
	/*
	 * Another head under the saved identity: truncated, or a new file
	 * with the inode number of the saved one, which was compressed
	 * (gzip deletes it) and is read in its text.
	 */
	if (r != NULL && r->fd >= 0 &&
	    !(p->offset <= r->size && head_matches(r->fd, r->size, p)) &&
	    (tf = pos_file(t, p->path)) != NULL &&
	    gz_restore_looks(t, tf, p, steps) == 0) {
		rs->compressed++;
		return;
	}
	if (r != NULL) {
		if ((*cut = reader_restore(t, r, p)))
			rs->truncated++;
		else if (strcmp(r->owner->pub.path, p->path) == 0)
			rs->resumed++;
		else
			rs->rotated++;
		return;
	}
	found = 0;
	tf = pos_file(t, p->path);
	for (look = 0; look < POS_LOOKS && !found; look++) {
		name = pos_search(t, p, 1, &st);
		if (name != NULL &&
		    (r = orphan_restore(t, p, name, &st)) != NULL) {
			step_add(steps, r->owner, r, NULL, 0, NULL);
			rs->rotated++;
			found = 1;
		} else if (tf != NULL && gz_restore(t, tf, p, steps) == 0) {
			rs->compressed++;
			found = 1;
		}
		free(name);
	}
	if (!found && !(p->offset == 0 && p->headlen == 0))
		pos_lost(rs, tf, p); /* not when empty at the save: its
					rotation is read whole */
}

/* A truncated file's unread lines may be in its copy. */
static void
restore_copy(struct tail *t, const struct tail_pos *p, struct steps *steps,
    struct tail_restore *rs)
{
	struct reader *r;
	struct stat    st;
	char	      *name;

	if ((name = pos_search(t, p, 0, &st)) == NULL) {
		/*
		 * Truncated, or deleted and created again under the same
		 * inode number: what it held past the saved offset is gone.
		 */
		pos_lost(rs, pos_file(t, p->path), p);
		return;
	}
	if ((r = reader_find(t, st.st_dev, st.st_ino)) != NULL) {
		r->restored = 1;
		reader_seek(r, p->offset);
		r->drain = 1;
		rs->copied++;
	} else if ((r = orphan_restore(t, p, name, &st)) != NULL) {
		step_add(steps, r->owner, r, NULL, 0, NULL);
		rs->copied++;
	}
	free(name);
}

/*
 * Rotations since the save, of every path the state knew; for a
 * position without its time (format 1), a second before the state file
 * was written. Returns how many files they are.
 */
static size_t
restore_rotations(struct tail *t, const struct tail_pos *pos, size_t n,
    double saved, struct steps *steps)
{
	struct tfile *tf;
	int64_t	      since;
	size_t	      i, k, later = 0;

	for (i = 0; i < n; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(pos[k].path, pos[i].path) == 0)
				break;
		if (k < i || (tf = pos_file(t, pos[i].path)) == NULL)
			continue; /* done already, or not followed */
		since = pos[i].saved;
		for (k = i + 1; k < n; k++)
			if (strcmp(pos[k].path, pos[i].path) == 0 &&
			    pos[k].saved > since)
				since = pos[k].saved;
		if (since == 0 && saved > 0)
			since = (int64_t)((saved - 1) * 1e9);
		if (since > 0)
			later += chain_restore(t, tf, since, steps);
	}
	return later;
}

void
tail_restore(struct tail *t, const struct tail_pos *pos, size_t n, double saved,
    tail_line_fn *fn, void *arg, struct tail_restore *rs)
{
	struct tfile **order;
	struct reader *r;
	struct steps   steps = { NULL, 0 };
	int	      *cut;
	size_t	       i, k, pass;

	memset(rs, 0, sizeof(*rs));
	cut = xcalloc(n > 0 ? n : 1, sizeof(*cut));
	/* Each saved file by its identity: followed, else renamed away. */
	for (i = 0; i < n; i++)
		restore_one(t, &pos[i], &cut[i], &steps, rs);
	for (i = 0; i < n; i++)
		if (cut[i] && pos[i].headlen > 0)
			restore_copy(t, &pos[i], &steps, rs);
	free(cut);
	rs->later += restore_rotations(t, pos, n, saved, &steps);
	/* Read now, in order, before anything newer. */
	t->fn = fn;
	t->arg = arg;
	steps_run(t, &steps, rs);
	t->fn = NULL;
	t->arg = NULL;
	/* Unknown to the state: appeared after it was saved. */
	for (i = 0; i < t->nfiles; i++) {
		if ((r = t->files[i]->cur) == NULL || r->restored)
			continue;
		reader_seek(r, 0);
		rs->fresh++;
	}
	/* Older data first: files placed by the state, then the others. */
	order = xreallocarray(NULL, t->nfiles > 0 ? t->nfiles : 1,
	    sizeof(*order));
	for (pass = k = 0; pass < 2; pass++)
		for (i = 0; i < t->nfiles; i++) {
			r = t->files[i]->cur;
			if ((r != NULL && r->restored) == (pass == 0))
				order[k++] = t->files[i];
		}
	memcpy(t->files, order, t->nfiles * sizeof(*order));
	free(order);
	for (i = 0; i < t->nfiles; i++)
		file_sync_pub(t->files[i]);
}

void
tail_free(struct tail *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->ifd >= 0) {
		/* Closing the instance drops every watch with it. */
		inotifytools_cleanup();
		t->ifd = -1;
	}
	for (i = 0; i < t->nfiles; i++)
		file_free(t, t->files[i]);
	free(t->files);
	for (i = 0; i < t->npats; i++) {
		free(t->pats[i].pat);
		pathpat_free(t->pats[i].pp);
	}
	free(t->pats);
	for (i = 0; i < t->ngdirs; i++)
		free(t->gdirs[i].path);
	free(t->gdirs);
	for (i = 0; i < t->ndirs; i++)
		free(t->dirs[i].path);
	free(t->dirs);
	for (i = 0; i < t->nvdirs; i++)
		free(t->vdirs[i].path);
	free(t->vdirs);
	via_clear(t->via, t->nvia);
	tail_live = 0;
	free(t);
}
