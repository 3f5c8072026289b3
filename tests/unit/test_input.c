/*
 * test_input.c: standard input as a follow-mode input, and the one wait
 * over every input. Standard input is a pipe the test writes to.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <zlib.h>

#include "input.h"
#include "source.h"
#include "testutil.h"
#include "util.h"

static const char *dir;

static void
setup(void)
{
	dir = tu_tmpdir("test_input");
	signal(SIGPIPE, SIG_IGN);
}

TestSuite(input, .init = setup, .fini = tu_cleanup);

/* Lines delivered, each followed by '|', and by which file. */
struct got {
	struct buf b;
	size_t	   n;
	char	   path[64];
};

static void
collect(void *arg, struct tail_file *tf, const char *line, size_t len,
    const struct rtime *time)
{
	struct got *g = arg;

	cr_expect(time->text.n == 0 && time->secs < 0,
	    "a plain line with a time");
	buf_append(&g->b, line, len);
	buf_putc(&g->b, '|');
	g->n++;
	snprintf(g->path, sizeof(g->path), "%s", tf->path);
}

/* Standard input becomes a pipe; returns its write end. */
static int
stdin_pipe(void)
{
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	if (fds[0] != STDIN_FILENO) {
		cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
		close(fds[0]);
	}
	return fds[1];
}

static void
put(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static struct input_stats
stats(struct input *in)
{
	struct input_stats st;

	in->stats(in->self, &st);
	return st;
}

static void
file_of(const struct tail_file *tf, void *arg)
{
	*(const struct tail_file **)arg = tf;
}

/*
 * Lines as they come, a partial one kept until its newline, the last one
 * without a newline counted at the end; then the input says it ended, has
 * no descriptor, and reading it again does nothing.
 */
Test(input, stdin_lines_as_they_come_then_the_end)
{
	const struct tail_file *tf = NULL;
	struct input		in;
	struct got		g;
	const char	       *failed = NULL;
	int			w;

	memset(&g, 0, sizeof(g));
	buf_init(&g.b);
	w = stdin_pipe();
	cr_assert_eq(input_stdin(&in, 100), 0);
	cr_assert_geq(in.fd(in.self), 0);
	cr_assert(isinf(in.due(in.self)), "due with nothing read");
	/* Nothing written: the read returns at once, delivering nothing. */
	cr_assert_eq(in.read(in.self, collect, &g), 0);
	cr_assert_eq(g.n, 0);
	put(w, "a\nb\r\npart");
	cr_assert_eq(inputs_poll(&in, 1, 1000, collect, &g, &failed), 0);
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.path, "-");
	put(w, "ial\n");
	put(w, "last");
	cr_assert_eq(inputs_poll(&in, 1, 1000, collect, &g, &failed), 0);
	cr_assert_eq(g.n, 3);
	cr_assert_eq(stats(&in).ended, 0);
	close(w);
	cr_assert_eq(inputs_poll(&in, 1, 1000, collect, &g, &failed), 0);
	buf_putc(&g.b, '\0');
	cr_assert_str_eq(g.b.p, "a|b|partial|last|");
	cr_assert_eq(stats(&in).ended, 1);
	cr_assert_eq(in.fd(in.self), -1);
	in.files(in.self, file_of, &tf);
	cr_assert_not_null(tf);
	cr_assert_eq(tf->lines, 4);
	cr_assert_eq(tf->bytes, 17);
	cr_assert_eq(tf->offset, 17);
	cr_assert_eq(tf->open, 0);
	cr_assert_eq(in.read(in.self, collect, &g), 0);
	cr_assert_eq(g.n, 4);
	in.free(in.self);
	buf_free(&g.b);
}

/* Lines over the cap are skipped and counted; the next ones are read. */
Test(input, stdin_overlong_lines_counted)
{
	const struct tail_file *tf = NULL;
	struct input		in;
	struct got		g;
	const char	       *failed = NULL;
	char			longline[300];
	int			w;

	memset(&g, 0, sizeof(g));
	buf_init(&g.b);
	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	w = stdin_pipe();
	cr_assert_eq(input_stdin(&in, 100), 0);
	put(w, "a\n");
	put(w, longline);
	put(w, "b\n");
	close(w);
	cr_assert_eq(inputs_poll(&in, 1, 1000, collect, &g, &failed), 0);
	buf_putc(&g.b, '\0');
	cr_assert_str_eq(g.b.p, "a|b|");
	in.files(in.self, file_of, &tf);
	cr_assert_eq(tf->toolong, 1);
	in.free(in.self);
	buf_free(&g.b);
}

struct flood {
	int    fd;
	size_t lines;
};

static void *
flood(void *arg)
{
	struct flood *f = arg;
	char	      line[64];
	size_t	      i;
	int	      n;

	for (i = 0; i < f->lines; i++) {
		n = snprintf(line, sizeof(line), "line %zu\n", i);
		if (write(f->fd, line, (size_t)n) != n)
			break;
	}
	close(f->fd);
	return NULL;
}

/* Reads standard input to its end; the turns taken, and those due now. */
static void
read_to_end(struct input *in, struct got *g, size_t *turns, size_t *due_now)
{
	const char *failed = NULL;

	*turns = *due_now = 0;
	while (!stats(in).ended) {
		cr_assert_eq(inputs_poll(in, 1, 1000, collect, g, &failed), 0);
		(*turns)++;
		*due_now += in->due(in->self) == 0;
		cr_assert_lt(*turns, 1000000);
	}
}

/* The lines "line 0" to "line n-1", each once, in order. */
static void
expect_numbered(const struct got *g, size_t n)
{
	const char *p = g->b.p;
	char	    want[64];
	size_t	    i;

	cr_assert_eq(g->n, n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "line %zu|", i);
		cr_assert_eq(strncmp(p, want, strlen(want)), 0, "line %zu", i);
		p += strlen(want);
	}
}

/* A flood through a pipe: every line once, in order. */
Test(input, stdin_flood_through_a_pipe)
{
	struct input in;
	struct got   g;
	struct flood f;
	pthread_t    th;
	size_t	     turns, due_now;

	memset(&g, 0, sizeof(g));
	buf_init(&g.b);
	f.fd = stdin_pipe();
	f.lines = 1500000;
	cr_assert_eq(input_stdin(&in, 100), 0);
	cr_assert_eq(pthread_create(&th, NULL, flood, &f), 0);
	read_to_end(&in, &g, &turns, &due_now);
	pthread_join(th, NULL);
	expect_numbered(&g, f.lines);
	in.free(in.self);
	buf_free(&g.b);
}

/*
 * Standard input redirected from a file is always ready: it is read a
 * budget at a time, and is then due at once, so that the files waiting
 * with it get their turn.
 */
Test(input, stdin_from_a_file_in_turns)
{
	struct input in;
	struct got   g;
	struct flood f;
	char	     path[256];
	size_t	     turns, due_now;
	int	     fd;

	memset(&g, 0, sizeof(g));
	buf_init(&g.b);
	tu_path(path, sizeof(path), dir, "flood.log");
	f.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(f.fd, 0);
	f.lines = 1500000;
	flood(&f);
	fd = open(path, O_RDONLY);
	cr_assert_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	cr_assert_eq(input_stdin(&in, 100), 0);
	read_to_end(&in, &g, &turns, &due_now);
	expect_numbered(&g, f.lines);
	cr_assert_gt(due_now, 2, "stopped by the budget %zu times", due_now);
	in.free(in.self);
	buf_free(&g.b);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A reading that never blocks and an input due at a time. */
struct fake {
	double due;
	int    reads;
};

static int
fake_fd(void *self)
{
	(void)self;
	return -1;
}

static double
fake_due(void *self)
{
	return ((struct fake *)self)->due;
}

static int
fake_read(void *self, input_line_fn *fn, void *arg)
{
	(void)fn;
	(void)arg;
	((struct fake *)self)->reads++;
	return 0;
}

/*
 * One wait over all: it ends when standard input has data even though
 * the other input is due much later, and when the other input is due
 * even though standard input is silent; every input reads each time.
 */
Test(input, one_wait_over_every_input)
{
	struct input v[2];
	struct fake  fk = { 0, 0 };
	struct got   g;
	const char  *failed = NULL;
	double	     t0, took;
	int	     w;

	memset(&g, 0, sizeof(g));
	buf_init(&g.b);
	w = stdin_pipe();
	memset(&v[0], 0, sizeof(v[0]));
	v[0].name = "fake";
	v[0].self = &fk;
	v[0].fd = fake_fd;
	v[0].due = fake_due;
	v[0].read = fake_read;
	cr_assert_eq(input_stdin(&v[1], 100), 0);

	fk.due = mono() + 60;
	put(w, "x\n");
	t0 = mono();
	cr_assert_eq(inputs_poll(v, 2, 5000, collect, &g, &failed), 0);
	took = mono() - t0;
	cr_assert_lt(took, 1.0, "waited %.3f s with data ready", took);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(fk.reads, 1);

	fk.due = mono() + 0.2;
	t0 = mono();
	cr_assert_eq(inputs_poll(v, 2, 5000, collect, &g, &failed), 0);
	took = mono() - t0;
	cr_assert_geq(took, 0.19, "returned after %.3f s", took);
	cr_assert_lt(took, 1.5, "waited %.3f s past the due time", took);
	cr_assert_eq(fk.reads, 2);

	/* And no longer than the timeout. */
	fk.due = mono() + 60;
	t0 = mono();
	cr_assert_eq(inputs_poll(v, 2, 100, collect, &g, &failed), 0);
	took = mono() - t0;
	cr_assert_geq(took, 0.09);
	cr_assert_lt(took, 1.0);
	cr_assert_eq(g.n, 1);
	close(w);
	v[1].free(v[1].self);
	buf_free(&g.b);
}

/* Standard input closed: said at once. */
Test(input, stdin_closed_is_an_error)
{
	struct input in;

	close(STDIN_FILENO);
	cr_assert_eq(input_stdin(&in, 100), -1);
	cr_assert_eq(errno, EBADF);
}

/* Writes bytes to a pipe, the first ones a few at a time. */
struct trickle {
	int	    fd;
	const char *p;
	size_t	    n;
};

static void *
trickle(void *arg)
{
	struct trickle *t = arg;
	size_t		off = 0, k, step = 1;

	while (off < t->n) {
		k = off < 300 ? step++ % 13 + 1 : 4096;
		if (k > t->n - off)
			k = t->n - off;
		if (write(t->fd, t->p + off, k) != (ssize_t)k)
			break;
		off += k;
		if (off < 300)
			usleep(300);
	}
	close(t->fd);
	return NULL;
}

static void
one_line(void *arg, const char *line, size_t len)
{
	struct buf *b = arg;

	buf_append(b, line, len);
	buf_putc(b, '|');
}

/*
 * Plain or gzip by the first two bytes, as one-shot mode reads the same
 * bytes from a file: members one after another, bytes after the last
 * ignored, a stream cut inside a member read up to the cut.
 */
Test(input, stdin_gzip_as_one_shot_reads_it)
{
	static const struct {
		const char *what;
		int	    cut; /* one-shot fails: lines a prefix */
	} kinds[] = {
		{ "plain", 0 },
		{ "two members", 0 },
		{ "garbage after", 0 },
		{ "one byte after", 0 },
		{ "cut", 1 },
		{ "magic only", 1 },
		{ "empty member", 0 },
		{ "one byte", 0 },
		{ "empty", 0 },
	};
	struct source_stats	ost;
	const struct tail_file *tf;
	struct buf		text, in, want;
	struct trickle		tr;
	struct input		inp;
	struct got		g;
	pthread_t		th;
	char			path[256], err[256];
	size_t			i, k, turns;
	int			rc;

	buf_init(&text);
	for (k = 0; k < 20000; k++)
		buf_printf(&text, "{\"n\":%zu,\"msg\":\"line %zu\"}\n", k,
		    k * 31);
	buf_puts(&text, "no newline at the end");
	tu_path(path, sizeof(path), dir, "twin");
	for (i = 0; i < NELEM(kinds); i++) {
		buf_init(&in);
		switch (i) {
		case 0:
			buf_append(&in, text.p, text.len);
			break;
		case 1:
		case 2:
		case 3:
			tu_gz_member(&in, text.p, text.len / 2);
			tu_gz_member(&in, text.p + text.len / 2,
			    text.len - text.len / 2);
			if (i == 2)
				buf_puts(&in, "not a member\n");
			if (i == 3)
				buf_putc(&in, 0x1f);
			break;
		case 4:
			tu_gz_member(&in, text.p, text.len);
			in.len /= 2;
			break;
		case 5:
			buf_append(&in, "\x1f\x8b", 2);
			break;
		case 6:
			tu_gz_member(&in, "", 0);
			break;
		case 7:
			buf_putc(&in, 'x');
			break;
		}
		tu_write(path, in.p, in.len);
		memset(&ost, 0, sizeof(ost));
		buf_init(&want);
		rc = source_read(path, 100, one_line, &want, &ost, err,
		    sizeof(err));
		cr_assert_eq(rc, kinds[i].cut ? -1 : 0, "%s: %s", kinds[i].what,
		    err);

		memset(&g, 0, sizeof(g));
		buf_init(&g.b);
		tr.fd = stdin_pipe();
		tr.p = in.p;
		tr.n = in.len;
		cr_assert_eq(input_stdin(&inp, 100), 0);
		cr_assert_eq(pthread_create(&th, NULL, trickle, &tr), 0);
		read_to_end(&inp, &g, &turns, &k);
		pthread_join(th, NULL);
		tf = NULL;
		inp.files(inp.self, file_of, &tf);
		cr_expect_eq(g.b.len, want.len, "%s", kinds[i].what);
		cr_expect(want.len == 0 ||
			(g.b.len == want.len &&
			    memcmp(g.b.p, want.p, want.len) == 0),
		    "%s", kinds[i].what);
		/* Inflaters may stop a few bytes apart inside a cut member. */
		if (!kinds[i].cut)
			cr_expect_eq(tf->size, ost.bytes, "%s", kinds[i].what);
		if (i == 4)
			cr_expect_gt(g.n, 5000, "%s: %zu lines", kinds[i].what,
			    g.n);
		cr_expect_eq(g.n, ost.lines, "%s", kinds[i].what);
		inp.free(inp.self);
		buf_free(&g.b);
		buf_free(&want);
		buf_free(&in);
		buf_free(&ost.last);
	}
	buf_free(&text);
}
