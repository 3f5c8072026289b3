/*
 * test_tail.c: the follower against real files in a temporary directory.
 * Every scenario runs twice, with inotify (and no periodic check unless
 * the scenario needs one, so events alone must do) and in pure polling
 * mode. Delivered lines are collected as "name|line" and compared whole.
 */
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inotifytools/inotifytools.h>

#include "input.h"
#include "tail.h"
#include "testutil.h"
#include "util.h"

struct got {
	char **v;
	size_t n;
	size_t cap;
};

struct fx {
	char	     dir[64];
	struct tail *t;
	struct input in; /* once polled: owns t */
	struct got   got;
	int	     inotify;
	const char  *name; /* scenario, for messages */
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
collect(void *arg, struct tail_file *tf, const char *line, size_t len,
    const struct rtime *time)
{
	struct got *g = arg;
	const char *base;
	char	   *s;

	(void)time; /* the record stage's, tested in test_record.c */
	base = strrchr(tf->path, '/');
	base = base ? base + 1 : tf->path;
	s = malloc(strlen(base) + len + 2);
	cr_assert_not_null(s);
	sprintf(s, "%s|%.*s", base, (int)len, line);
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		cr_assert_not_null(g->v);
	}
	g->v[g->n++] = s;
}

static void
got_clear(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i]);
	free(g->v);
	g->v = NULL;
	g->n = g->cap = 0;
}

TestSuite(tail, .fini = tu_cleanup);
TestSuite(inotifytools, .fini = tu_cleanup);

static void
fx_init(struct fx *f, int inotify, const char *name)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", tu_tmpdir("tailtest"));
	f->inotify = inotify;
	f->name = name;
}

/* Stops following: the input polled, which owns the tail, or the tail. */
static void
fx_stop(struct fx *f)
{
	if (f->in.self != NULL)
		f->in.free(f->in.self);
	else
		tail_free(f->t);
	memset(&f->in, 0, sizeof(f->in));
	f->t = NULL;
}

static void
fx_fini(struct fx *f)
{
	fx_stop(f);
	got_clear(&f->got);
	tu_cleanup();
}

static const char *
fx_path(const struct fx *f, const char *name)
{
	static char buf[4][PATH_MAX];
	static int  i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", f->dir, name);
	return buf[i];
}

/* Options for the mode: events only, or polling every 50 ms. */
static struct tail_opts
fx_opts(const struct fx *f)
{
	struct tail_opts o;

	memset(&o, 0, sizeof(o));
	o.no_inotify = !f->inotify;
	o.poll_interval = f->inotify ? 3600 : 0.05;
	return o;
}

static void
fx_start(struct fx *f, const struct tail_opts *o, const char *const *names,
    size_t n)
{
	char		 *own[8];
	const char	 *pats[8];
	char		  err[256];
	struct tail_stats st;
	size_t		  i;

	cr_assert(n <= 8);
	for (i = 0; i < n; i++)
		pats[i] = own[i] = strdup(fx_path(f, names[i]));
	f->t = tail_new(o, pats, n, err, sizeof(err));
	for (i = 0; i < n; i++)
		free(own[i]);
	cr_assert_not_null(f->t, "%s: tail_new: %s", f->name, err);
	tail_stats(f->t, &st);
	cr_assert_eq(st.inotify, f->inotify, "%s: inotify mode", f->name);
}

#define START(f, o, ...)                                         \
	fx_start((f), (o), (const char *const[]){ __VA_ARGS__ }, \
	    sizeof((const char *const[]){ __VA_ARGS__ }) /       \
		sizeof(const char *))

/*
 * One wait (up to timeout_ms, never past the next stat check) and what is
 * read then, as the follow loop does it.
 */
static int
poll_once(struct fx *f, int timeout_ms, struct got *g)
{
	const char *failed = NULL;

	if (f->in.self == NULL)
		f->in = input_files(f->t, NULL, 0, 0);
	return inputs_poll(&f->in, 1, timeout_ms, collect, g, &failed);
}

static void
step(struct fx *f)
{
	cr_assert_eq(poll_once(f, 100, &f->got), 0, "%s: poll: %s", f->name,
	    strerror(errno));
}

static void
put(const struct fx *f, const char *name, const char *s)
{
	int fd;

	fd = open(fx_path(f, name), O_WRONLY | O_APPEND | O_CREAT, 0644);
	cr_assert(fd >= 0, "open %s: %s", name, strerror(errno));
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static int
wopen(const struct fx *f, const char *name)
{
	int fd;

	fd = open(fx_path(f, name), O_WRONLY | O_APPEND | O_CREAT, 0644);
	cr_assert(fd >= 0, "open %s: %s", name, strerror(errno));
	return fd;
}

static void
wput(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static char *
join(char *const *v, size_t n)
{
	size_t i, len = 3;
	char  *s;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 3;
	s = malloc(len);
	strcpy(s, "[");
	for (i = 0; i < n; i++) {
		strcat(s, i ? ", " : "");
		strcat(s, v[i]);
	}
	strcat(s, "]");
	return s;
}

/* Compares what was delivered since the last call with want, whole. */
static void
expect(struct fx *f, const char *const *want, size_t n)
{
	char  *a, *b;
	size_t i;
	int    same = f->got.n == n;

	for (i = 0; same && i < n; i++)
		same = strcmp(f->got.v[i], want[i]) == 0;
	if (!same) {
		a = join(f->got.v, f->got.n);
		b = join((char *const *)(uintptr_t)want, n);
		cr_assert_fail("%s (%s): got %s, want %s", f->name,
		    f->inotify ? "inotify" : "polling", a, b);
	}
	got_clear(&f->got);
}

#define EXPECT(f, ...)                                     \
	expect((f), (const char *const[]){ __VA_ARGS__ },  \
	    sizeof((const char *const[]){ __VA_ARGS__ }) / \
		sizeof(const char *))
#define EXPECT_NONE(f) expect((f), NULL, 0)

/* Lines of one file, in the order delivered, then forgets them. */
static void
expect_file(struct fx *f, const char *name, const char *const *want, size_t n)
{
	struct got mine = { NULL, 0, 0 }, rest = { NULL, 0, 0 };
	size_t	   i, nl = strlen(name);
	char	  *a, *b;
	int	   same;

	mine.v = calloc(f->got.n + 1, sizeof(*mine.v));
	rest.v = calloc(f->got.n + 1, sizeof(*rest.v));
	cr_assert(mine.v != NULL && rest.v != NULL);
	mine.cap = rest.cap = f->got.n + 1;
	for (i = 0; i < f->got.n; i++) {
		if (strncmp(f->got.v[i], name, nl) == 0 &&
		    f->got.v[i][nl] == '|')
			mine.v[mine.n++] = f->got.v[i];
		else
			rest.v[rest.n++] = f->got.v[i];
	}
	free(f->got.v);
	f->got = rest;
	same = mine.n == n;
	for (i = 0; same && i < n; i++)
		same = strcmp(mine.v[i], want[i]) == 0;
	if (!same) {
		a = join(mine.v, mine.n);
		b = join((char *const *)(uintptr_t)want, n);
		cr_assert_fail("%s (%s): %s got %s, want %s", f->name,
		    f->inotify ? "inotify" : "polling", name, a, b);
	}
	got_clear(&mine);
}

#define EXPECT_FILE(f, name, ...)                                      \
	expect_file((f), (name), (const char *const[]){ __VA_ARGS__ }, \
	    sizeof((const char *const[]){ __VA_ARGS__ }) /             \
		sizeof(const char *))

struct finfo_arg {
	const char	*path;
	struct tail_file out;
	int		 found;
};

static void
finfo_one(const struct tail_file *tf, void *arg)
{
	struct finfo_arg *a = arg;

	if (strcmp(tf->path, a->path) == 0) {
		a->out = *tf;
		a->found = 1;
	}
}

static struct tail_file
finfo(struct fx *f, const char *name)
{
	struct finfo_arg a;

	memset(&a, 0, sizeof(a));
	a.path = fx_path(f, name);
	tail_foreach(f->t, finfo_one, &a);
	cr_assert(a.found, "%s: %s not followed", f->name, name);
	return a.out;
}

struct fdcount {
	const char *dir;
	int	    all;
	int	    deleted;
};

static void
fd_under(int fd, const char *target, void *arg)
{
	struct fdcount *c = arg;
	size_t		n = strlen(c->dir);

	(void)fd;
	if (strncmp(target, c->dir, n) != 0 || target[n] == '\0')
		return; /* elsewhere, or a directory stream, not ours */
	c->all++;
	if (strstr(target, " (deleted)") != NULL)
		c->deleted++;
}

/*
 * Descriptors of this process on files under the test directory: all of
 * them, and those on deleted files.
 */
static void
count_fds(const struct fx *f, int *all, int *deleted)
{
	struct fdcount c = { f->dir, 0, 0 };

	tu_fds(fd_under, &c);
	*all = c.all;
	*deleted = c.deleted;
}

/* ---- scenarios, each run in both modes ---- */

static void
sc_start_at_end(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	struct tail_file tf;

	put(f, "a.log", "old1\nold2\npart");
	START(f, &o, "a.log");
	step(f);
	EXPECT_NONE(f);
	put(f, "a.log", "ial\nnew\n");
	step(f);
	EXPECT(f, "a.log|partial", "a.log|new");
	tf = finfo(f, "a.log");
	cr_assert_eq(tf.offset, 22);
	cr_assert_eq(tf.size, 22);
	cr_assert_eq(tf.lines, 2);
	cr_assert(tf.open);
}

static void
sc_from_start_crlf(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	o.from_start = 1;
	put(f, "a.log", "l1\r\nl2\n\nr\rx\r\nl3");
	START(f, &o, "a.log");
	step(f);
	EXPECT(f, "a.log|l1", "a.log|l2", "a.log|", "a.log|r\rx");
	put(f, "a.log", "\r\n");
	step(f);
	EXPECT(f, "a.log|l3");
}

static void
sc_half_line(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	put(f, "a.log", "");
	START(f, &o, "a.log");
	put(f, "a.log", "{\"msg\":\"hal");
	step(f);
	EXPECT_NONE(f);
	cr_assert_eq(finfo(f, "a.log").offset, 0);
	step(f);
	EXPECT_NONE(f);
	put(f, "a.log", "f\"}\nnext");
	step(f);
	EXPECT(f, "a.log|{\"msg\":\"half\"}");
	cr_assert_eq(finfo(f, "a.log").offset, 15);
	put(f, "a.log", "\n");
	step(f);
	EXPECT(f, "a.log|next");
}

static void
sc_rename_create(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w;

	w = wopen(f, "a.log");
	START(f, &o, "a.log");
	wput(w, "1\n");
	step(f);
	EXPECT(f, "a.log|1");
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.1")), 0);
	wput(w, "2\n");
	put(f, "a.log", "3\n");
	wput(w, "4\n");
	step(f);
	EXPECT(f, "a.log|2", "a.log|4", "a.log|3");
	/* The writer still holds the renamed file. */
	wput(w, "5\n");
	put(f, "a.log", "6\n");
	step(f);
	EXPECT(f, "a.log|5", "a.log|6");
	close(w);
	cr_assert_eq(finfo(f, "a.log").rotations, 1);
	cr_assert_eq(finfo(f, "a.log").lines, 6);
}

static void
sc_rotate_at_cap(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w;

	/* The new file needs the only descriptor: the old is read first. */
	o.max_open = 1;
	w = wopen(f, "a.log");
	START(f, &o, "a.log");
	wput(w, "1\n");
	step(f);
	EXPECT(f, "a.log|1");
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.1")), 0);
	wput(w, "2\n");
	put(f, "a.log", "3\n");
	wput(w, "4\n");
	close(w);
	step(f);
	EXPECT(f, "a.log|2", "a.log|4", "a.log|3");
	put(f, "a.log", "5\n");
	step(f);
	EXPECT(f, "a.log|5");
}

static void
sc_rename_let_go(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 all, del;

	o.rotate_wait = 0.1;
	put(f, "a.log", "");
	START(f, &o, "a.log");
	put(f, "a.log", "1\n");
	step(f);
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.1")), 0);
	put(f, "a.log.1", "2\n");
	put(f, "a.log", "3\n");
	step(f);
	EXPECT(f, "a.log|1", "a.log|2", "a.log|3");
	count_fds(f, &all, &del);
	cr_assert_eq(all, 2, "%s: old and new file open", f->name);
	usleep(150 * 1000);
	put(f, "a.log", "4\n");
	step(f);
	EXPECT(f, "a.log|4");
	count_fds(f, &all, &del);
	cr_assert_eq(all, 1, "%s: renamed file let go", f->name);
}

static void
sc_copytruncate(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	o.from_start = 1;
	put(f, "a.log", "aaaa\nbbbb\n");
	START(f, &o, "a.log");
	step(f);
	EXPECT(f, "a.log|aaaa", "a.log|bbbb");
	cr_assert_eq(truncate(fx_path(f, "a.log"), 0), 0);
	put(f, "a.log", "c\n");
	step(f);
	EXPECT(f, "a.log|c");
	cr_assert_eq(finfo(f, "a.log").truncations, 1);
	cr_assert_eq(finfo(f, "a.log").rotations, 0);
	put(f, "a.log", "d\n");
	step(f);
	EXPECT(f, "a.log|d");
}

static void
sc_truncate_refill(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	o.from_start = 1;
	put(f, "a.log", "aaaa\n");
	START(f, &o, "a.log");
	step(f);
	EXPECT(f, "a.log|aaaa");
	/* Truncated and refilled past the old size between two polls. */
	cr_assert_eq(truncate(fx_path(f, "a.log"), 0), 0);
	put(f, "a.log", "bbbbbbbbbb\nccc\n");
	step(f);
	EXPECT(f, "a.log|bbbbbbbbbb", "a.log|ccc");
	cr_assert_eq(finfo(f, "a.log").truncations, 1);
}

static void
sc_delete_recreate(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w, all, del;

	w = wopen(f, "a.log");
	START(f, &o, "a.log");
	wput(w, "1\n");
	step(f);
	EXPECT(f, "a.log|1");
	cr_assert_eq(unlink(fx_path(f, "a.log")), 0);
	wput(w, "2");
	wput(w, "\n3-cut");
	close(w);
	put(f, "a.log", "4\n");
	step(f);
	/* The deleted file is read to its end, its cut last line too. */
	EXPECT(f, "a.log|2", "a.log|3-cut", "a.log|4");
	count_fds(f, &all, &del);
	cr_assert_eq(del, 0, "%s: no descriptor on a deleted file", f->name);
	cr_assert_eq(all, 1);
	cr_assert_eq(finfo(f, "a.log").rotations, 1);
}

static void
sc_vanish_return(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 all, del;

	put(f, "a.log", "x\n");
	START(f, &o, "a.log");
	cr_assert_eq(unlink(fx_path(f, "a.log")), 0);
	step(f);
	EXPECT_NONE(f);
	cr_assert_not(finfo(f, "a.log").open);
	count_fds(f, &all, &del);
	cr_assert_eq(all, 0);
	step(f);
	put(f, "a.log", "y\n");
	step(f);
	EXPECT(f, "a.log|y");
	cr_assert(finfo(f, "a.log").open);
	cr_assert_eq(finfo(f, "a.log").rotations, 1);
}

static void
sc_dir_later(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	/* Nothing to watch yet: only the periodic check can see it. */
	o.poll_interval = 0.05;
	START(f, &o, "sub/a.log", "logs/*.log");
	step(f);
	EXPECT_NONE(f);
	cr_assert_eq(mkdir(fx_path(f, "sub"), 0755), 0);
	cr_assert_eq(mkdir(fx_path(f, "logs"), 0755), 0);
	put(f, "sub/a.log", "s1\n");
	put(f, "logs/b.log", "b1\n");
	put(f, "logs/b.txt", "no\n");
	step(f);
	EXPECT(f, "a.log|s1", "b.log|b1");
	put(f, "sub/a.log", "s2\n");
	put(f, "logs/c.log", "c1\n");
	step(f);
	EXPECT(f, "a.log|s2", "c.log|c1");
}

static void
sc_glob_later(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	put(f, "a.log", "old\n");
	put(f, ".hidden.log", "no\n");
	START(f, &o, "*.log");
	step(f);
	EXPECT_NONE(f);
	put(f, "b.log", "b1\nb2\n");
	put(f, "c.txt", "no\n");
	step(f);
	EXPECT(f, "b.log|b1", "b.log|b2");
	put(f, "a.log", "a1\n");
	put(f, "b.log", "b3\n");
	step(f);
	EXPECT(f, "a.log|a1", "b.log|b3");
}

/*
 * A glob before the last part: directories made later (one a level
 * deeper) are caught by their events alone and their files read from
 * their start; hidden ones are not entered; a directory renamed out is
 * files gone, read to their end; one renamed in, files that appeared.
 */
static void
sc_deep_glob(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w;

	cr_assert_eq(mkdir(fx_path(f, "i1"), 0755), 0);
	put(f, "i1/bot.log", "old\n");
	START(f, &o, "**/bot.log");
	step(f);
	EXPECT_NONE(f);
	put(f, "i1/bot.log", "a1\n");
	cr_assert_eq(mkdir(fx_path(f, "i2"), 0755), 0);
	cr_assert_eq(mkdir(fx_path(f, "i2/day"), 0755), 0);
	put(f, "i2/day/bot.log", "b1\n");
	cr_assert_eq(mkdir(fx_path(f, ".hidden"), 0755), 0);
	put(f, ".hidden/bot.log", "no\n");
	step(f);
	step(f);
	EXPECT(f, "bot.log|a1", "bot.log|b1");
	w = wopen(f, "i2/day/bot.log");
	cr_assert_eq(rename(fx_path(f, "i2"), fx_path(f, ".i2")), 0);
	wput(w, "b2\n");
	close(w);
	cr_assert_eq(mkdir(fx_path(f, ".out"), 0755), 0);
	put(f, ".out/bot.log", "c1\n");
	cr_assert_eq(rename(fx_path(f, ".out"), fx_path(f, "i3")), 0);
	step(f);
	step(f);
	EXPECT(f, "bot.log|b2", "bot.log|c1");
}

/* More directories than max_dirs: those beyond are left out, counted. */
static void
sc_deep_cap(struct fx *f)
{
	struct tail_opts  o = fx_opts(f);
	struct tail_stats st;
	const char	 *d[] = { "a", "b", "c" };
	char		  name[16];
	size_t		  i;

	for (i = 0; i < 3; i++) {
		cr_assert_eq(mkdir(fx_path(f, d[i]), 0755), 0);
		snprintf(name, sizeof(name), "%s/x.log", d[i]);
		put(f, name, "");
	}
	o.max_dirs = 2;
	START(f, &o, "*/x.log");
	put(f, "a/x.log", "a1\n");
	put(f, "c/x.log", "c1\n");
	step(f);
	EXPECT(f, "x.log|a1");
	tail_stats(f->t, &st);
	cr_assert_eq(st.dirs, 2);
	cr_assert_eq(st.dirs_left_out, 2);
}

static void
sc_rename_in_glob(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w;

	w = wopen(f, "a.log");
	START(f, &o, "a.log*");
	wput(w, "1\n");
	step(f);
	EXPECT(f, "a.log|1");
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.1")), 0);
	wput(w, "2\n");
	put(f, "a.log", "3\n");
	step(f);
	EXPECT(f, "a.log|2", "a.log|3");
	/* a.log.1 keeps its position: nothing read twice. */
	wput(w, "4\n");
	step(f);
	EXPECT(f, "a.log.1|4");
	close(w);
}

static void
sc_long_lines(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	char		 buf[128];

	o.max_line = 10;
	put(f, "a.log", "");
	START(f, &o, "a.log");
	snprintf(buf, sizeof(buf), "short\n%s\n0123456789\nnext\n",
	    "xxxxxxxxxxxxxxxxxxxxxxxxx");
	put(f, "a.log", buf);
	step(f);
	EXPECT(f, "a.log|short", "a.log|0123456789", "a.log|next");
	cr_assert_eq(finfo(f, "a.log").toolong, 1);
	/* An over-long line written across polls. */
	put(f, "a.log", "yyyyyyyyyyyyyyy");
	step(f);
	EXPECT_NONE(f);
	put(f, "a.log", "yyyyyyyyyyyyyyy\nafter\n");
	step(f);
	EXPECT(f, "a.log|after");
	cr_assert_eq(finfo(f, "a.log").toolong, 2);
	cr_assert_eq(finfo(f, "a.log").offset, 85);
}

static void
sc_start_in_long_line(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	o.max_line = 10;
	put(f, "a.log", "ok\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
	START(f, &o, "a.log");
	put(f, "a.log", "zz\nafter\n");
	step(f);
	EXPECT(f, "a.log|after");
	cr_assert_eq(finfo(f, "a.log").toolong, 1);
}

static void
sc_max_open(struct fx *f)
{
	struct tail_opts  o = fx_opts(f);
	struct tail_stats st;
	int		  i, all, del;

	o.max_open = 1;
	o.poll_interval = 0.05; /* closed files are found by it */
	put(f, "a.log", "");
	put(f, "b.log", "");
	put(f, "c.log", "");
	START(f, &o, "*.log");
	put(f, "a.log", "a1\npart");
	put(f, "b.log", "b1\n");
	put(f, "c.log", "c1\n");
	for (i = 0; i < 4; i++) {
		step(f);
		count_fds(f, &all, &del);
		cr_assert_leq(all, 1);
	}
	put(f, "a.log", "ial\na2\n");
	put(f, "b.log", "b2\n");
	put(f, "c.log", "c2\n");
	for (i = 0; i < 4; i++) {
		step(f);
		count_fds(f, &all, &del);
		cr_assert_leq(all, 1);
	}
	EXPECT_FILE(f, "a.log", "a.log|a1", "a.log|partial", "a.log|a2");
	EXPECT_FILE(f, "b.log", "b.log|b1", "b.log|b2");
	EXPECT_FILE(f, "c.log", "c.log|c1", "c.log|c2");
	EXPECT_NONE(f);
	tail_stats(f->t, &st);
	cr_assert_eq(st.open, 1);
	cr_assert_eq(st.files, 3);
}

static void
sc_many_lines(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	char		*big, want[32];
	size_t		 i, len = 0, n = 200000;
	int		 fd;

	o.from_start = 1;
	big = malloc(n * 16);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "line %zu\n", i);
	fd = wopen(f, "a.log");
	cr_assert_eq(write(fd, big, len), (ssize_t)len);
	close(fd);
	free(big);
	START(f, &o, "a.log");
	step(f);
	cr_assert_eq(f->got.n, n, "%s: %zu lines", f->name, f->got.n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "a.log|line %zu", i);
		cr_assert_str_eq(f->got.v[i], want);
	}
	cr_assert_eq(finfo(f, "a.log").bytes, len);
	got_clear(&f->got);
}

static void
mklink(const struct fx *f, const char *target, const char *name)
{
	cr_assert_eq(symlink(target, fx_path(f, name)), 0, "symlink %s: %s",
	    name, strerror(errno));
}

/* Makes name lead to target by renaming a new link over it. */
static void
relink(const struct fx *f, const char *target, const char *name)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.new", fx_path(f, name));
	cr_assert_eq(symlink(target, tmp), 0);
	cr_assert_eq(rename(tmp, fx_path(f, name)), 0);
}

static void
mkdir_in(const struct fx *f, const char *name)
{
	cr_assert_eq(mkdir(fx_path(f, name), 0755), 0);
}

/*
 * A link re-pointed before its new target exists, in its directory and
 * in one not made yet: each target is read from its start once it
 * appears, and the old one to its end, writes after the change included.
 */
static void
sc_link_repoint(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w;

	mkdir_in(f, "sub");
	put(f, "sub/x.1.log", "0\n");
	mklink(f, "sub/x.1.log", "a.log");
	START(f, &o, "a.log");
	step(f);
	EXPECT_NONE(f);
	w = wopen(f, "sub/x.1.log");
	wput(w, "1\n");
	step(f);
	EXPECT(f, "a.log|1");
	/* pino-roll's order: unlink, symlink, then the file. */
	cr_assert_eq(unlink(fx_path(f, "a.log")), 0);
	mklink(f, "sub/x.2.log", "a.log");
	step(f);
	EXPECT_NONE(f);
	wput(w, "2\n");
	close(w);
	put(f, "sub/x.2.log", "3\n");
	step(f);
	step(f);
	EXPECT(f, "a.log|2", "a.log|3");
	/* A new link renamed over it, its directory made later. */
	relink(f, "other/y.log", "a.log");
	step(f);
	EXPECT_NONE(f);
	mkdir_in(f, "other");
	step(f);
	EXPECT_NONE(f);
	put(f, "other/y.log", "4\n");
	step(f);
	step(f);
	EXPECT(f, "a.log|4");
	cr_assert_eq(finfo(f, "a.log").rotations, 2);
	cr_assert_eq(finfo(f, "a.log").lines, 4);
	/* Every directory on the way is watched, or none. */
	cr_assert_eq(finfo(f, "a.log").polled, !f->inotify);
}

/*
 * The kubelet's shape: a fixed link into another directory whose target
 * is renamed and created again, the link dangling in between.
 */
static void
sc_link_target_rotated(struct fx *f)
{
	struct tail_opts o = fx_opts(f);
	int		 w;

	mkdir_in(f, "pods");
	mkdir_in(f, "containers");
	w = wopen(f, "pods/0.log");
	mklink(f, "../pods/0.log", "containers/app.log");
	START(f, &o, "containers/app.log");
	wput(w, "1\n");
	step(f);
	EXPECT(f, "app.log|1");
	cr_assert_eq(rename(fx_path(f, "pods/0.log"),
			 fx_path(f, "pods/0.log.20261206-101010")),
	    0);
	step(f);
	EXPECT_NONE(f);
	wput(w, "2\n");
	close(w);
	put(f, "pods/0.log", "3\n");
	step(f);
	step(f);
	EXPECT(f, "app.log|2", "app.log|3");
	cr_assert_eq(finfo(f, "containers/app.log").rotations, 1);
}

/*
 * Links through directories: a chain of two links ending in a linked
 * directory, and a glob in a linked directory; the directory link is
 * re-pointed at a directory made later.
 */
static void
sc_link_dirs(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	mkdir_in(f, "g1");
	put(f, "g1/bot.log", "");
	put(f, "g1/x.log", "");
	mklink(f, "g1", "cur");
	mklink(f, "cur/bot.log", "m.log");
	mklink(f, "m.log", "a.log");
	START(f, &o, "a.log", "cur/*.log");
	step(f);
	EXPECT_NONE(f);
	put(f, "g1/bot.log", "1\n");
	step(f);
	EXPECT_FILE(f, "a.log", "a.log|1");
	EXPECT_NONE(f);
	relink(f, "g2", "cur");
	step(f);
	EXPECT_NONE(f);
	mkdir_in(f, "g2");
	step(f);
	EXPECT_NONE(f);
	put(f, "g2/bot.log", "2\n");
	put(f, "g2/y.log", "3\n");
	step(f);
	step(f);
	EXPECT_FILE(f, "a.log", "a.log|2");
	EXPECT_FILE(f, "y.log", "y.log|3");
	EXPECT_NONE(f);
	cr_assert_eq(finfo(f, "a.log").rotations, 1);
}

/*
 * Several rolls between two reads. With inotify, every file the path led
 * to meanwhile is read, in order, and one deleted before it could be
 * opened is counted lost; polling sees only where the path leads at each
 * poll.
 */
static void
sc_link_burst(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	put(f, "x.1.log", "");
	mklink(f, "x.1.log", "a.log");
	START(f, &o, "a.log");
	step(f);
	EXPECT_NONE(f);
	relink(f, "x.2.log", "a.log");
	put(f, "x.2.log", "2\n");
	cr_assert_eq(unlink(fx_path(f, "a.log")), 0);
	mklink(f, "x.3.log", "a.log");
	put(f, "x.3.log", "3\n");
	relink(f, "x.4.log", "a.log");
	put(f, "x.4.log", "4\n");
	step(f);
	step(f);
	if (f->inotify) {
		EXPECT(f, "a.log|2", "a.log|3", "a.log|4");
		cr_assert_eq(finfo(f, "a.log").rotations, 3);
	} else
		EXPECT(f, "a.log|4");
	relink(f, "x.5.log", "a.log");
	put(f, "x.5.log", "5\n");
	relink(f, "x.6.log", "a.log");
	put(f, "x.6.log", "6\n");
	cr_assert_eq(unlink(fx_path(f, "x.5.log")), 0);
	step(f);
	step(f);
	EXPECT(f, "a.log|6");
	cr_assert_eq(finfo(f, "a.log").lost, f->inotify ? 1 : 0);
}

/*
 * Rename and create twice between two reads, then once more with the
 * file in between deleted: the same, by the rename's events.
 */
static void
sc_rename_burst(struct fx *f)
{
	struct tail_opts o = fx_opts(f);

	put(f, "a.log", "");
	START(f, &o, "a.log");
	step(f);
	put(f, "a.log", "1\n");
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.1")), 0);
	put(f, "a.log", "2\n");
	cr_assert_eq(rename(fx_path(f, "a.log.1"), fx_path(f, "a.log.2")), 0);
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.1")), 0);
	put(f, "a.log", "3\n");
	step(f);
	step(f);
	if (f->inotify)
		EXPECT(f, "a.log|1", "a.log|2", "a.log|3");
	else
		EXPECT(f, "a.log|1", "a.log|3");
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.3")), 0);
	put(f, "a.log", "4\n");
	cr_assert_eq(rename(fx_path(f, "a.log"), fx_path(f, "a.log.4")), 0);
	cr_assert_eq(unlink(fx_path(f, "a.log.4")), 0);
	put(f, "a.log", "5\n");
	step(f);
	step(f);
	EXPECT(f, "a.log|5");
	cr_assert_eq(finfo(f, "a.log").lost, f->inotify ? 1 : 0);
}

static const struct scenario {
	const char *name;
	void (*run)(struct fx *);
} scenarios[] = {
	{ "start_at_end", sc_start_at_end },
	{ "from_start_crlf", sc_from_start_crlf },
	{ "half_line", sc_half_line },
	{ "rename_create", sc_rename_create },
	{ "rotate_at_cap", sc_rotate_at_cap },
	{ "rename_let_go", sc_rename_let_go },
	{ "copytruncate", sc_copytruncate },
	{ "truncate_refill", sc_truncate_refill },
	{ "delete_recreate", sc_delete_recreate },
	{ "vanish_return", sc_vanish_return },
	{ "dir_later", sc_dir_later },
	{ "glob_later", sc_glob_later },
	{ "rename_in_glob", sc_rename_in_glob },
	{ "deep_glob", sc_deep_glob },
	{ "deep_cap", sc_deep_cap },
	{ "long_lines", sc_long_lines },
	{ "start_in_long_line", sc_start_in_long_line },
	{ "max_open", sc_max_open },
	{ "many_lines", sc_many_lines },
	{ "link_repoint", sc_link_repoint },
	{ "link_target_rotated", sc_link_target_rotated },
	{ "link_dirs", sc_link_dirs },
	{ "link_burst", sc_link_burst },
	{ "rename_burst", sc_rename_burst },
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

struct sc_param {
	int idx;
	int inotify;
};

ParameterizedTestParameters(tail, scenario)
{
	static struct sc_param p[2 * NSCEN];
	size_t		       i;

	for (i = 0; i < 2 * NSCEN; i++) {
		p[i].idx = (int)(i / 2);
		p[i].inotify = !(i % 2);
	}
	return cr_make_param_array(struct sc_param, p, 2 * NSCEN);
}

ParameterizedTest(struct sc_param *p, tail, scenario)
{
	struct fx f;

	fx_init(&f, p->inotify, scenarios[p->idx].name);
	scenarios[p->idx].run(&f);
	fx_fini(&f);
}

/* ---- single tests ---- */

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
idle_sleeps(int inotify)
{
	struct fx	 f;
	struct tail_opts o;
	double		 t0, c0, wall, cpu;
	int		 i;

	fx_init(&f, inotify, "idle");
	o = fx_opts(&f);
	o.poll_interval = 10;
	put(&f, "a.log", "x\n");
	START(&f, &o, "a.log");
	t0 = mono();
	c0 = cpu_seconds();
	for (i = 0; i < 3; i++)
		cr_assert_eq(poll_once(&f, 150, &f.got), 0);
	wall = mono() - t0;
	cpu = cpu_seconds() - c0;
	cr_assert(wall >= 0.44 && wall < 0.9, "3 idle polls of 150 ms: %f s",
	    wall);
	cr_assert(cpu < 0.05, "idle polls used %f s of CPU", cpu);
	/* Never longer than the next periodic check. */
	fx_stop(&f);
	o.poll_interval = 0.2;
	START(&f, &o, "a.log");
	t0 = mono();
	cr_assert_eq(poll_once(&f, -1, &f.got), 0);
	wall = mono() - t0;
	cr_assert(wall >= 0.18 && wall < 0.5, "wait bounded by check: %f",
	    wall);
	EXPECT_NONE(&f);
	fx_fini(&f);
}

Test(tail, idle_poll_sleeps_inotify)
{
	idle_sleeps(1);
}

Test(tail, idle_poll_sleeps_polling)
{
	idle_sleeps(0);
}

Test(tail, big_backlog_no_wait)
{
	struct fx	 f;
	struct tail_opts o;
	char		*line;
	size_t		 i, n = 20000, first;
	double		 t0, wall;
	int		 fd;

	/* 20 MB: more than one poll reads of a file; the rest comes next. */
	fx_init(&f, 1, "backlog");
	o = fx_opts(&f);
	o.from_start = 1;
	line = malloc(1001);
	memset(line, 'q', 999);
	line[999] = '\n';
	line[1000] = '\0';
	fd = wopen(&f, "a.log");
	for (i = 0; i < n; i++)
		wput(fd, line);
	close(fd);
	START(&f, &o, "a.log");
	cr_assert_eq(poll_once(&f, 0, &f.got), 0);
	first = f.got.n;
	cr_assert(first > 0 && first < n, "first poll read %zu lines", first);
	t0 = mono();
	cr_assert_eq(poll_once(&f, 5000, &f.got), 0);
	wall = mono() - t0;
	cr_assert(wall < 1, "a poll with data pending waited %f s", wall);
	cr_assert_eq(f.got.n, n);
	cr_assert_eq(finfo(&f, "a.log").bytes, n * 1000);
	cr_assert_eq(finfo(&f, "a.log").offset, n * 1000);
	free(line);
	fx_fini(&f);
}

struct cloexec {
	const char *dir;
	int	    checked;
	int	    inotify;
};

static void
fd_cloexec(int fd, const char *target, void *arg)
{
	struct cloexec *c = arg;
	size_t		n = strlen(c->dir);

	if (strcmp(target, "anon_inode:inotify") == 0)
		c->inotify++;
	else if (strncmp(target, c->dir, n) != 0 || target[n] == '\0')
		return;
	c->checked++;
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s lacks close-on-exec",
	    target);
}

Test(tail, every_fd_cloexec)
{
	struct fx	 f;
	struct tail_opts o;
	struct cloexec	 c;

	fx_init(&f, 1, "cloexec");
	o = fx_opts(&f);
	put(&f, "a.log", "x\n");
	put(&f, "b.log", "x\n");
	START(&f, &o, "*.log");
	c.dir = f.dir;
	c.checked = c.inotify = 0;
	tu_fds(fd_cloexec, &c);
	cr_assert_eq(c.inotify, 1);
	cr_assert_eq(c.checked, 3);
	fx_fini(&f);
}

Test(tail, queue_overflow_rescans)
{
	struct fx	  f;
	struct tail_opts  o;
	struct tail_stats st;
	FILE		 *fp;
	int		  max = 0, i, wa, wb;
	size_t		  na = 0, nb = 0, k;

	fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	cr_assert_not_null(fp);
	cr_assert_eq(fscanf(fp, "%d", &max), 1);
	fclose(fp);
	cr_assert(max > 0 && max <= 1 << 20);

	fx_init(&f, 1, "overflow");
	o = fx_opts(&f); /* no periodic check: events only */
	put(&f, "a.log", "");
	put(&f, "b.log", "");
	START(&f, &o, "*.log");
	wa = wopen(&f, "a.log");
	wb = wopen(&f, "b.log");
	/* Alternating files: the kernel cannot merge the events. */
	for (i = 0; i < max / 2 + 64; i++) {
		wput(wa, "a\n");
		wput(wb, "b\n");
	}
	close(wa);
	close(wb);
	/* Its creation is lost with the queue full. */
	put(&f, "c.log", "c1\n");
	step(&f);
	tail_stats(f.t, &st);
	cr_assert_eq(st.overflows, 1);
	for (k = 0; k < f.got.n; k++) {
		if (strcmp(f.got.v[k], "a.log|a") == 0)
			na++;
		else if (strcmp(f.got.v[k], "b.log|b") == 0)
			nb++;
	}
	cr_assert_eq(na, (size_t)(max / 2 + 64));
	cr_assert_eq(nb, (size_t)(max / 2 + 64));
	EXPECT_FILE(&f, "c.log", "c.log|c1");
	fx_fini(&f);
}

Test(tail, one_instance)
{
	struct fx	 f;
	struct tail_opts o;
	struct tail	*t2;
	const char	*pats[1];
	char		 err[128];

	fx_init(&f, 1, "one");
	o = fx_opts(&f);
	START(&f, &o, "a.log");
	pats[0] = fx_path(&f, "b.log");
	t2 = tail_new(&o, pats, 1, err, sizeof(err));
	cr_assert_null(t2);
	cr_assert_str_eq(err, "only one file follower per process");
	fx_stop(&f);
	t2 = tail_new(&o, pats, 1, err, sizeof(err));
	cr_assert_not_null(t2);
	f.t = t2;
	fx_fini(&f);
}

Test(tail, bad_patterns)
{
	static const struct {
		const char *pat;
		const char *err;
	} cases[] = {
		{ "/var/log/", "/var/log/: not a file name" },
		{ "", ": not a file name" },
	};
	struct tail_opts o;
	const char	*pats[2];
	char		 err[128];
	size_t		 i;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pats[0] = "/tmp/ok.log";
		pats[1] = cases[i].pat;
		cr_assert_null(tail_new(&o, pats, 2, err, sizeof(err)));
		cr_assert_str_eq(err, cases[i].err);
	}
	cr_assert_null(tail_new(&o, pats, 0, err, sizeof(err)));
	cr_assert_str_eq(err, "no file to follow");
}

/* ---- what libinotifytools cannot do (why tail.c works around it) ---- */

struct inofds {
	int fd[64];
	int n;
};

static void
fd_inotify(int fd, const char *target, void *arg)
{
	struct inofds *s = arg;

	if (strcmp(target, "anon_inode:inotify") == 0 && s->n < 64)
		s->fd[s->n++] = fd;
}

/* The inotify descriptor init() opens. */
static int
new_inotify_fd(void (*init)(void))
{
	struct inofds before = { { 0 }, 0 }, after = { { 0 }, 0 };
	int	      i, j;

	tu_fds(fd_inotify, &before);
	init();
	tu_fds(fd_inotify, &after);
	for (i = 0; i < after.n; i++) {
		for (j = 0; j < before.n && before.fd[j] != after.fd[i]; j++)
			;
		if (j == before.n)
			return after.fd[i];
	}
	return -1;
}

static void
lib_init(void)
{
	cr_assert(inotifytools_initialize());
}

Test(inotifytools, descriptor_lacks_cloexec)
{
	int fd;

	fd = new_inotify_fd(lib_init);
	cr_assert(fd >= 0);
	cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	inotifytools_cleanup();
}

static void
on_alarm(int sig)
{
	(void)sig;
}

Test(inotifytools, waits_in_whole_seconds)
{
	struct sigaction sa;
	struct itimerval it;
	char		 dir[64];
	double		 t0, dt;

	snprintf(dir, sizeof(dir), "%s", tu_tmpdir("tailtest"));
	cr_assert(inotifytools_initialize());
	cr_assert(inotifytools_watch_file(dir, IN_CREATE));
	/* The only non-blocking read is next_events with 0. */
	t0 = mono();
	cr_assert_null(inotifytools_next_events(0, 1));
	cr_assert(mono() - t0 < 0.05);
	/* The shortest wait is one second: no 200 ms poll is possible. */
	t0 = mono();
	cr_assert_null(inotifytools_next_events(1, 1));
	dt = mono() - t0;
	cr_assert(dt >= 0.95, "waited %f s", dt);
	/* And next_event(0) blocks until something (here a signal) comes. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 300 * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = mono();
	cr_assert_null(inotifytools_next_event(0));
	dt = mono() - t0;
	cr_assert(dt >= 0.25, "next_event(0) returned after %f s", dt);
	inotifytools_cleanup();
}

Test(inotifytools, one_watch_per_name)
{
	struct inotify_event *ev;
	char		      dir[64], a[96], a1[96];
	int		      fd, wd_old;

	snprintf(dir, sizeof(dir), "%s", tu_tmpdir("tailtest"));
	snprintf(a, sizeof(a), "%s/a.log", dir);
	snprintf(a1, sizeof(a1), "%s/a.log.1", dir);
	cr_assert((fd = open(a, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	cr_assert(inotifytools_initialize());
	cr_assert(inotifytools_watch_file(a, IN_MODIFY));
	wd_old = inotifytools_wd_from_filename(a);
	cr_assert(wd_old > 0);
	/* Rename rotation: the old file still watched, a new one created. */
	cr_assert_eq(rename(a, a1), 0);
	cr_assert((fd = open(a, O_WRONLY | O_CREAT, 0644)) >= 0);
	cr_assert(inotifytools_watch_file(a, IN_MODIFY));
	cr_assert_eq(write(fd, "x\n", 2), 2);
	close(fd);
	ev = inotifytools_next_events(0, 1);
	cr_assert_not_null(ev);
	cr_assert(ev->mask & IN_MODIFY);
	/* The new file's watch exists but its name still gives the old wd. */
	cr_assert_neq(ev->wd, wd_old);
	cr_assert_eq(inotifytools_wd_from_filename(a), wd_old);
	cr_assert_eq(inotifytools_get_num_watches(), 1);
	inotifytools_cleanup();
}

/* Positions for restart state: every byte of a path comes back. */
Test(tail, pos_codec)
{
	static const char odd[] = "/var/log/a b\"c\\d\n\xff.log";
	struct tail_pos	  p, q;
	struct buf	  b;
	char		  err[128], *path;
	size_t		  at;

	memset(&p, 0, sizeof(p));
	p.path = odd;
	p.dev = 18446744073709551615ULL;
	p.ino = 0;
	p.offset = 123456789012ULL;
	p.headlen = 256;
	p.headhash = 0x0123456789abcdefULL;
	p.saved = 1796523456123456789LL;
	p.size = 123456789013ULL;
	p.done = 1;
	p.marklen = 200;
	p.markhash = 0xfedcba9876543210ULL;
	buf_init(&b);
	tail_pos_encode(&p, &b);
	cr_assert_str_eq(b.p,
	    " \"/var/log/a\\x20b\\x22c\\x5cd\\x0a\\xff.log\" "
	    "18446744073709551615 0 123456789012 256 0123456789abcdef "
	    "1796523456123456789 123456789013 1 200 fedcba9876543210");
	cr_assert_eq(tail_pos_decode(TAIL_POS_VERSION, b.p, b.len, &q, &path,
			 &at, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(q.saved, p.saved);
	cr_assert_eq(q.size, p.size);
	cr_assert_str_eq(q.path, odd);
	cr_assert_eq(q.dev, p.dev);
	cr_assert_eq(q.ino, 0);
	cr_assert_eq(q.offset, p.offset);
	cr_assert_eq(q.headlen, 256);
	cr_assert_eq(q.headhash, p.headhash);
	cr_assert_eq(q.done, 1);
	cr_assert_eq(q.marklen, 200);
	cr_assert_eq(q.markhash, p.markhash);
	free(path);
	buf_free(&b);
}

struct bad_pos {
	const char *in;
	size_t	    at;
	const char *err;
	uint64_t    version;
};

/* A position that cannot be used says where in its fields and why. */
Test(tail, pos_decode_errors)
{
	static const struct bad_pos cases[] = {
		{ " \"x\" 1 2 3 257 0000000000000000", 11,
		    "head length over 256", 1 },
		{ " \"\" 1 2 3 4 0000000000000000", 1, "empty path", 1 },
		{ " \"a\\x00\" 1 2 3 4 0000000000000000", 3,
		    "NUL byte in a name", 1 },
		{ " \"a\\x0\" 1 2 3 4 0000000000000000", 3,
		    "bad escape in a string", 1 },
		{ " \"a\tb\" 1 2 3 4 0000000000000000", 3,
		    "byte 0x09 must be escaped in a string", 1 },
		{ " x 1 2 3 4 0000000000000000", 1, "expected a quoted string",
		    1 },
		{ " \"x\" 18446744073709551616 2 3 4 0000000000000000", 5,
		    "expected a decimal number", 1 },
		{ " \"x\" 1 2 03 4 0000000000000000", 9,
		    "expected a decimal number", 1 },
		{ " \"x\" 1 2 3 4 000000000000000G", 13,
		    "expected 16 hex digits", 1 },
		{ " \"x\"", 0, "expected 6 fields, found 1", 1 },
		{ " \"x\" 1 2 3 4 0000000000000000 7", 0,
		    "expected 6 fields, found 7", 1 },
		{ " \"x\" 1 2 3 4 0000000000000000 7 8", 0,
		    "expected 6 fields, found 8", 1 },
		{ " \"x\" 1 2 3 4 0000000000000000 7 8 9 10 11 12 13", 0,
		    "expected 6 fields, found more or an empty one", 1 },
		{ " \"x\"  1 2 3 4 0000000000000000", 0,
		    "expected 6 fields, found more or an empty one", 1 },
		{ "\"x\" 1 2 3 4 0000000000000000", 0,
		    "expected 6 fields, found more or an empty one", 1 },
		{ " \"x\" 1 2 3 4 0000000000000000", 0,
		    "expected 7 fields, found 6", 2 },
		{ " \"x\" 1 2 3 4 0000000000000000 -5", 30,
		    "expected a decimal number", 2 },
		{ " \"x\" 1 2 3 4 0000000000000000 9223372036854775808", 30,
		    "expected a decimal number", 2 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 6 0", 0,
		    "version 5; this logmetrics reads 1 to 4", 5 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 6", 0,
		    "expected 11 fields, found 8", 4 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 6 2 0 0000000000000000",
		    34, "expected 0 or 1", 4 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 6 0 x 0000000000000000",
		    36, "expected a decimal number", 4 },
		{ " \"x\" 1 2 300 4 0000000000000000 5 6 0 257 "
		  "0000000000000000",
		    38, "mark length over 256 or the offset", 4 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 6 0 4 0000000000000000",
		    36, "mark length over 256 or the offset", 4 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 6 0 3 000000000000000", 38,
		    "expected 16 hex digits", 4 },
		{ " \"x\" 1 2 3 4 0000000000000000 5", 0,
		    "expected 8 fields, found 7", 3 },
		{ " \"x\" 1 2 3 4 0000000000000000 5 x", 32,
		    "expected a decimal number", 3 },
	};
	struct tail_pos p;
	char		err[128], *path;
	size_t		i, at;

	for (i = 0; i < NELEM(cases); i++) {
		err[0] = '\0';
		cr_assert_eq(tail_pos_decode(cases[i].version, cases[i].in,
				 strlen(cases[i].in), &p, &path, &at, err,
				 sizeof(err)),
		    -1, "case %zu", i);
		cr_assert_null(path);
		cr_expect_str_eq(err, cases[i].err, "case %zu: %s", i, err);
		cr_expect_eq(at, cases[i].at, "case %zu: at %zu", i, at);
	}
}

/*
 * The price of --max-open-files: a reader closed for the cap whose file
 * is renamed away before it could be reopened cannot be found again; its
 * loss is counted. Its file was empty when it was closed, so no byte is
 * known to be lost (the man page says: at least).
 */
Test(tail, closed_reader_renamed_away_counted)
{
	struct fx	 f;
	struct tail_opts o;
	struct tail_file tf;

	fx_init(&f, 0, "capped");
	o = fx_opts(&f);
	o.max_open = 1;
	put(&f, "a.log", "");
	put(&f, "b.log", "");
	/* b.log takes the only descriptor: a.log is closed. */
	START(&f, &o, "a.log", "b.log");
	tf = finfo(&f, "a.log");
	cr_assert_eq(tf.open, 0);
	put(&f, "a.log", "a1\n");
	cr_assert_eq(rename(fx_path(&f, "a.log"), fx_path(&f, "gone")), 0);
	put(&f, "a.log", "new\n");
	step(&f);
	EXPECT(&f, "a.log|new");
	tf = finfo(&f, "a.log");
	cr_assert_eq(tf.lost, 1);
	cr_assert_eq(tf.lost_bytes, 0);
	cr_assert_eq(finfo(&f, "b.log").lost, 0);
	fx_fini(&f);
}

/* The defaults logmetrics(1) states, set in one place. */
Test(tail, option_defaults)
{
	struct tail_opts o;

	memset(&o, 0xff, sizeof(o));
	tail_opts_init(&o);
	cr_expect_eq(o.from_start, 0);
	cr_expect_eq(o.no_inotify, 0);
	cr_expect_eq(o.poll_interval, 1.0);
	cr_expect_eq(o.max_line, 1048576);
	cr_expect_eq(o.max_open, 256);
	cr_expect_eq(o.max_dirs, 4096);
	cr_expect_eq(o.rotate_wait, 5.0);
}
