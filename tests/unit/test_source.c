/*
 * test_source.c: rotation order and reading plain and gzip files.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "source.h"
#include "testutil.h"
#include "util.h"

/* Built with ISA-L's header, the library is there when the tests run. */
#ifdef HAVE_ISAL
#define INFLATER "ISA-L"
#else
#define INFLATER "zlib"
#endif

static const char *dir;

static void
setup(void)
{
	dir = tu_tmpdir("test_source");
}

TestSuite(source, .init = setup, .fini = tu_cleanup);

static void
sorted(const char *const *in, const char *const *want, size_t n)
{
	char  *p[16];
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char *)(uintptr_t)in[i];
	source_sort(p, n);
	for (i = 0; i < n; i++)
		cr_assert_str_eq(p[i], want[i], "position %zu", i);
}

Test(source, rotations_sort_oldest_first)
{
	static const char *const in[] = {
		"/l/bot.log",
		"/l/bot.log.1",
		"/l/bot.log.10.gz",
		"/l/bot.log.2.gz",
		"/l/other.log",
		"/l/bot.log.3.gz",
		"/l/other.log.1",
	};
	static const char *const want[] = {
		"/l/bot.log.10.gz",
		"/l/bot.log.3.gz",
		"/l/bot.log.2.gz",
		"/l/bot.log.1",
		"/l/bot.log",
		"/l/other.log.1",
		"/l/other.log",
	};
	static const char *const dated[] = {
		"app.log",
		"app.log-20251124.gz",
		"app.log-20251122.gz",
		"app.log-20251123",
	};
	static const char *const datedwant[] = {
		"app.log-20251122.gz",
		"app.log-20251123",
		"app.log-20251124.gz",
		"app.log",
	};

	static const char *const hyph[] = {
		"bot.log",
		"bot.log-2026-12-06-1700.gz",
		"bot.log-2026-12-05-2300",
		"bot.log-2026-12-06-0500",
	};
	static const char *const hyphwant[] = {
		"bot.log-2026-12-05-2300",
		"bot.log-2026-12-06-0500",
		"bot.log-2026-12-06-1700.gz",
		"bot.log",
	};
	static const char *const stdin1[] = { "bot.log", "-", "bot.log.1" };
	static const char *const stdin1want[] = { "bot.log.1", "bot.log", "-" };
	static const char *const stdin2[] = { "-", "a.log", "a.log.1" };
	static const char *const stdin2want[] = { "-", "a.log.1", "a.log" };

	sorted(in, want, NELEM(in));
	sorted(dated, datedwant, NELEM(dated));
	/* Dates with hyphens inside: one log, in date order. */
	sorted(hyph, hyphwant, NELEM(hyph));
	/* Standard input is a log of its own, where it stands. */
	sorted(stdin1, stdin1want, NELEM(stdin1));
	sorted(stdin2, stdin2want, NELEM(stdin2));
}

static void
collect(void *arg, const char *line, size_t len)
{
	struct buf *b = arg;

	buf_append(b, line, len);
	buf_putc(b, '|');
}

static char *
path(const char *name)
{
	static char p[256];

	return tu_path(p, sizeof(p), dir, name);
}

static void
write_file(const char *name, const char *data, size_t n)
{
	tu_write(path(name), data, n);
}

static void
write_gz(const char *name, const char *data, size_t n)
{
	gzFile gz = gzopen(path(name), "wb");

	cr_assert_not_null(gz);
	cr_assert_eq(gzwrite(gz, data, (unsigned)n), (int)n);
	gzclose(gz);
}

/* data as a plain file, names[0], and as its gzip twin, names[1]. */
static void
write_twins(const char *names[2], const char *data, size_t n)
{
	write_file(names[0], data, n);
	write_gz(names[1], data, n);
}

/* Reads name whole: its lines in *b, each ended by '|', and *st. */
static void
read_whole(const char *name, struct buf *b, struct source_stats *st)
{
	char err[256];

	memset(st, 0, sizeof(*st));
	buf_init(b);
	cr_assert_eq(source_read(path(name), 1000, collect, b, st, err,
			 sizeof(err)),
	    0, "%s: %s", name, err);
}

Test(source, plain_and_gzip_read_alike)
{
	static const char   data[] = "one\r\ntwo\n\nthree-no-newline";
	struct source_stats st;
	struct buf	    b;
	const char	   *names[] = { "plain.log", "packed.log.1.gz" };
	size_t		    i;

	write_twins(names, data, sizeof(data) - 1);
	for (i = 0; i < 2; i++) {
		read_whole(names[i], &b, &st);
		cr_assert_str_eq(b.p, "one|two||three-no-newline|");
		if (i == 0)
			cr_assert_null(st.inflater);
		else
			cr_assert_str_eq(st.inflater, INFLATER);
		cr_assert_eq(st.lines, 4);
		cr_assert_eq(st.bytes, sizeof(data) - 1);
		cr_assert_eq(st.last.len, strlen("three-no-newline"));
		buf_free(&b);
		buf_free(&st.last);
	}
}

/*
 * Lines across the boundaries of the inflater's slots and of reads, an
 * over-long line spanning several, CRLF split anywhere: a plain file and
 * its gzip twin deliver the same lines, and both keep the last intact.
 */
Test(source, lines_across_slots_read_alike)
{
	struct source_stats st;
	struct buf	    data, want, b;
	const char	   *names[] = { "big.log", "big.log.2.gz" };
	size_t		    i, j, n, left, lines = 40000;

	buf_init(&data);
	buf_init(&want);
	for (i = 0; i < 40000; i++) {
		n = (i * 7919) % 97;
		if (i == 20000) {
			for (j = 0; j < 600000; j++)
				buf_putc(&data, 'x');
			buf_puts(&data, "\n");
			continue;
		}
		buf_printf(&data, "%zu:", i);
		buf_printf(&want, "%zu:", i);
		for (j = 0; j < n; j++) {
			buf_putc(&data, (char)('a' + j % 26));
			buf_putc(&want, (char)('a' + j % 26));
		}
		buf_puts(&data, i % 3 ? "\n" : "\r\n");
		buf_putc(&want, '|');
	}
	/* The last line starts 5 bytes before a slot boundary (256 KiB). */
	left = (data.len / 262144 + 1) * 262144 - 5 - data.len;
	for (; left > 0; left -= n + 1) {
		n = left - 1 < 90 ? left - 1 : 90;
		for (j = 0; j < n; j++) {
			buf_putc(&data, 'f');
			buf_putc(&want, 'f');
		}
		buf_puts(&data, "\n");
		buf_putc(&want, '|');
		lines++;
	}
	buf_puts(&data, "the last line\n");
	buf_puts(&want, "the last line|");
	write_twins(names, data.p, data.len);
	for (i = 0; i < 2; i++) {
		read_whole(names[i], &b, &st);
		cr_assert(b.len == want.len && memcmp(b.p, want.p, b.len) == 0,
		    "%s: lines differ", names[i]);
		cr_assert_eq(st.lines, lines, "%s", names[i]);
		cr_assert_eq(st.toolong, 1, "%s", names[i]);
		cr_assert_eq(st.bytes, data.len, "%s", names[i]);
		cr_assert(st.last.len == 13 &&
			memcmp(st.last.p, "the last line", 13) == 0,
		    "%s", names[i]);
		buf_free(&b);
		buf_free(&st.last);
	}
	buf_free(&data);
	buf_free(&want);
}

/* Reads name; returns source_read()'s result, the lines in *b. */
static int
read_lines(const char *name, struct buf *b, char *err, size_t errlen)
{
	struct source_stats st;
	int		    rc;

	memset(&st, 0, sizeof(st));
	buf_reset(b);
	rc = source_read(path(name), 1000, collect, b, &st, err, errlen);
	buf_free(&st.last);
	return rc;
}

/*
 * Members one after another are read as one stream (as `cat a.gz b.gz`
 * makes), bytes after the last member that start no other are ignored
 * as zlib ignores them, and a file cut inside its header is an error.
 */
Test(source, gzip_members_and_what_follows_them)
{
	static const struct {
		const char *name;
		const char *want;
		int	    rc;
	} t[] = {
		{ "two.gz", "a|b|c|", 0 },
		{ "empty-first.gz", "x|", 0 },
		{ "garbage-after.gz", "a|b|", 0 },
		{ "one-byte-after.gz", "a|b|", 0 },
		{ "cut-header.gz", "", -1 },
		{ "only-magic.gz", "", -1 },
		{ "empty.gz", "", 0 },
	};
	struct buf f, b;
	char	   err[256];
	size_t	   i;

	buf_init(&f);
	buf_init(&b);
	tu_gz_member(&f, "a\nb\n", 4);
	tu_gz_member(&f, "c\n", 2);
	write_file("two.gz", f.p, f.len);
	buf_reset(&f);
	tu_gz_member(&f, "", 0);
	tu_gz_member(&f, "x\n", 2);
	write_file("empty-first.gz", f.p, f.len);
	buf_reset(&f);
	tu_gz_member(&f, "a\nb\n", 4);
	buf_puts(&f, "this is not a gzip member\n");
	write_file("garbage-after.gz", f.p, f.len);
	buf_reset(&f);
	tu_gz_member(&f, "a\nb\n", 4);
	buf_putc(&f, 0x1f);
	write_file("one-byte-after.gz", f.p, f.len);
	write_file("cut-header.gz", f.p, 6);
	write_file("only-magic.gz", "\x1f\x8b", 2);
	buf_reset(&f);
	tu_gz_member(&f, "", 0);
	write_file("empty.gz", f.p, f.len);
	for (i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		cr_expect_eq(read_lines(t[i].name, &b, err, sizeof(err)),
		    t[i].rc, "%s: %s", t[i].name, err);
		cr_expect_str_eq(b.len ? b.p : "", t[i].want, "%s", t[i].name);
		if (t[i].rc == -1)
			cr_expect_not_null(strstr(err, "offset 0: "), "%s: %s",
			    t[i].name, err);
	}
	buf_free(&f);
	buf_free(&b);
}

/*
 * A byte changed anywhere in a gzip file: the file is read or reported
 * with the offset where it went wrong, and nothing else happens (the
 * sanitizer build runs this too).
 */
Test(source, damaged_gzip_is_reported_or_read)
{
	struct buf data, f, b;
	char	   err[256];
	size_t	   i, bad = 0;
	int	   rc;

	buf_init(&data);
	buf_init(&f);
	buf_init(&b);
	for (i = 0; i < 3000; i++)
		buf_printf(&data, "{\"n\":%zu,\"msg\":\"line %zu\"}\n", i,
		    i * 7919);
	tu_gz_member(&f, data.p, data.len);
	for (i = 0; i < f.len; i += 1 + i / 8) {
		f.p[i] ^= 0x5a;
		write_file("damaged.gz", f.p, f.len);
		f.p[i] ^= 0x5a;
		err[0] = '\0';
		rc = read_lines("damaged.gz", &b, err, sizeof(err));
		if (rc == -1) {
			bad++;
			cr_expect_not_null(strstr(err, "damaged.gz: offset "),
			    "byte %zu: %s", i, err);
		} else
			cr_expect_eq(rc, 0);
	}
	/* The header's time and OS bytes are not checked; the rest is. */
	cr_expect_gt(bad, 10, "only %zu damaged files reported", bad);
	buf_free(&data);
	buf_free(&f);
	buf_free(&b);
}

Test(source, truncated_gzip_is_reported_after_its_lines)
{
	struct source_stats st;
	struct buf	    b, data;
	char		    err[256];
	FILE		   *f;
	char		   *whole;
	long		    size;
	int		    i;

	buf_init(&data);
	for (i = 0; i < 20000; i++)
		buf_printf(&data, "line %d of a rotated log\n", i);
	write_gz("cut.gz", data.p, data.len);
	f = fopen(path("cut.gz"), "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	whole = xmalloc((size_t)size);
	cr_assert_eq(fread(whole, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	write_file("cut.gz", whole, (size_t)size / 2);
	free(whole);

	memset(&st, 0, sizeof(st));
	buf_init(&b);
	cr_assert_eq(source_read(path("cut.gz"), 1000, collect, &b, &st, err,
			 sizeof(err)),
	    -1);
	cr_assert_not_null(strstr(err, "cut.gz: offset "), "%s", err);
	cr_assert_gt(st.lines, 1000);
	cr_assert_lt(st.lines, 20000);
	cr_assert_eq(strncmp(b.p, "line 0 of a rotated log|", 24), 0);
	buf_free(&b);
	buf_free(&data);
	buf_free(&st.last);
}

Test(source, missing_file_is_named)
{
	struct source_stats st;
	char		    err[256];

	memset(&st, 0, sizeof(st));
	cr_assert_eq(source_read(path("nope.log"), 1000, collect, NULL, &st,
			 err, sizeof(err)),
	    -1);
	cr_assert_not_null(strstr(err, "nope.log: No such file"), "%s", err);
}

Test(source, overlong_lines_counted)
{
	struct source_stats st;
	struct buf	    b, data;
	char		    err[256];
	int		    i;

	buf_init(&data);
	buf_puts(&data, "a\n");
	for (i = 0; i < 5000; i++)
		buf_putc(&data, 'x');
	buf_puts(&data, "\nb\n");
	write_file("long.log", data.p, data.len);
	memset(&st, 0, sizeof(st));
	buf_init(&b);
	cr_assert_eq(source_read(path("long.log"), 100, collect, &b, &st, err,
			 sizeof(err)),
	    0);
	cr_assert_str_eq(b.p, "a|b|");
	cr_assert_eq(st.toolong, 1);
	buf_free(&b);
	buf_free(&data);
	buf_free(&st.last);
}

/*
 * Reading on from the end of a line of the text: plain and gzip alike,
 * from every line boundary, with skips inside and past the inflater's
 * slots; and the text's head, inflated.
 */
Test(source, read_at_every_line_end)
{
	struct source_stats st;
	struct buf	    text, b, want;
	char		    err[256], head[64];
	const char	   *names[] = { "at.log", "at.log.1.gz" };
	size_t		    i, k, lines = 0, *ends;
	const char	   *nl;

	buf_init(&text);
	for (k = 0; k < 30000; k++)
		buf_printf(&text, "line %zu %.*s\n", k, (int)(k % 97),
		    "xxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	write_twins(names, text.p, text.len);
	ends = xcalloc(30001, sizeof(*ends));
	for (nl = text.p;
	     (nl = memchr(nl, '\n', text.len - (size_t)(nl - text.p))) != NULL;
	     nl++)
		ends[++lines] = (size_t)(nl - text.p) + 1;
	cr_assert_eq(lines, 30000);
	for (i = 0; i < 2; i++) {
		for (k = 0; k <= lines; k += k < 20 ? 1 : 997) {
			memset(&st, 0, sizeof(st));
			buf_init(&b);
			buf_init(&want);
			cr_assert_eq(source_read_at(path(names[i]), ends[k],
					 1000, collect, &b, &st, err,
					 sizeof(err)),
			    0, "%s", err);
			for (nl = text.p + ends[k]; nl < text.p + text.len;) {
				const char *e = memchr(nl, '\n',
				    text.len - (size_t)(nl - text.p));
				buf_append(&want, nl, (size_t)(e - nl));
				buf_putc(&want, '|');
				nl = e + 1;
			}
			cr_assert_eq(b.len, want.len, "%s from line %zu",
			    names[i], k);
			cr_assert(
			    b.len == 0 || memcmp(b.p, want.p, b.len) == 0);
			cr_assert_eq(st.lines, lines - k);
			cr_assert_eq(st.bytes, text.len);
			buf_free(&b);
			buf_free(&want);
			buf_free(&st.last);
		}
		cr_assert_eq(source_head(path(names[i]), head, sizeof(head)),
		    (ssize_t)sizeof(head));
		cr_assert_eq(memcmp(head, text.p, sizeof(head)), 0);
		/* Anywhere in the text, and cut short at its end. */
		cr_assert_eq(source_pread(path(names[i]), head, sizeof(head),
				 text.len / 2),
		    (ssize_t)sizeof(head));
		cr_assert_eq(memcmp(head, text.p + text.len / 2, sizeof(head)),
		    0);
		cr_assert_eq(source_pread(path(names[i]), head, sizeof(head),
				 text.len - 10),
		    10);
		cr_assert_eq(memcmp(head, text.p + text.len - 10, 10), 0);
		cr_assert_eq(source_pread(path(names[i]), head, sizeof(head),
				 text.len + 10),
		    0);
	}
	free(ends);
	buf_free(&text);
}

/* Writes bytes to a pipe, the first ones a few at a time. */
struct feeder {
	int	    fd;
	const char *p;
	size_t	    n;
};

static void *
feed(void *arg)
{
	struct feeder *f = arg;
	size_t	       off = 0, k, step = 1;

	while (off < f->n) {
		k = off < 300 ? step++ % 13 + 1 : 4096;
		if (k > f->n - off)
			k = f->n - off;
		if (write(f->fd, f->p + off, k) != (ssize_t)k)
			break; /* the reader stopped at an error */
		off += k;
		if (off < 300)
			usleep(300);
	}
	close(f->fd);
	return NULL;
}

/*
 * "-" reads standard input, here a pipe written a few bytes at a time:
 * the lines, counts and errors are those of the same bytes in a file.
 */
Test(source, standard_input_reads_as_the_same_file)
{
	struct buf text, f, gzbad;
	struct {
		const char *what;
		const char *p;
		size_t	    n;
	} in[6];
	struct source_stats st[2];
	struct buf	    b[2];
	char		    err[2][256], *msg;
	struct feeder	    fe;
	pthread_t	    th;
	int		    fds[2], rc[2];
	size_t		    i, k, ni = 0;

	signal(SIGPIPE, SIG_IGN);
	buf_init(&text);
	buf_init(&f);
	buf_init(&gzbad);
	for (k = 0; k < 20000; k++)
		buf_printf(&text, "{\"n\":%zu,\"msg\":\"line %zu\"}\n", k,
		    k * 31);
	buf_puts(&text, "last line without newline");
	tu_gz_member(&f, text.p, text.len);
	tu_gz_member(&f, "a\nb\n", 4);
	buf_append(&gzbad, f.p, f.len / 2);
	in[ni].what = "plain", in[ni].p = text.p, in[ni++].n = text.len;
	in[ni].what = "gzip", in[ni].p = f.p, in[ni++].n = f.len;
	in[ni].what = "cut gzip", in[ni].p = gzbad.p, in[ni++].n = gzbad.len;
	in[ni].what = "magic only", in[ni].p = "\x1f\x8b", in[ni++].n = 2;
	in[ni].what = "one byte", in[ni].p = "x", in[ni++].n = 1;
	in[ni].what = "empty", in[ni].p = "", in[ni++].n = 0;
	for (i = 0; i < ni; i++) {
		write_file("stdin-twin", in[i].p, in[i].n);
		for (k = 0; k < 2; k++) {
			memset(&st[k], 0, sizeof(st[k]));
			buf_init(&b[k]);
			err[k][0] = '\0';
		}
		rc[0] = source_read(path("stdin-twin"), 1000, collect, &b[0],
		    &st[0], err[0], sizeof(err[0]));
		cr_assert_eq(pipe(fds), 0);
		cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
		close(fds[0]);
		fe.fd = fds[1];
		fe.p = in[i].p;
		fe.n = in[i].n;
		cr_assert_eq(pthread_create(&th, NULL, feed, &fe), 0);
		rc[1] = source_read("-", 1000, collect, &b[1], &st[1], err[1],
		    sizeof(err[1]));
		/* The writer sees EPIPE if the reader stopped early. */
		close(STDIN_FILENO);
		cr_assert_eq(open("/dev/null", O_RDONLY), STDIN_FILENO);
		pthread_join(th, NULL);
		cr_expect_eq(rc[1], rc[0], "%s: %s", in[i].what, err[1]);
		cr_expect_eq(b[1].len, b[0].len, "%s", in[i].what);
		cr_expect(b[0].len == 0 ||
			(b[1].len == b[0].len &&
			    memcmp(b[0].p, b[1].p, b[0].len) == 0),
		    "%s", in[i].what);
		cr_expect_eq(st[1].lines, st[0].lines, "%s", in[i].what);
		cr_expect_eq(st[1].bytes, st[0].bytes, "%s", in[i].what);
		if (rc[0] == -1) {
			/* The same offset and reason, with its own name. */
			msg = strstr(err[0], ": offset ");
			cr_assert_not_null(msg, "%s", err[0]);
			cr_expect_eq(strncmp(err[1], "standard input", 14), 0,
			    "%s", err[1]);
			cr_expect_str_eq(err[1] + 14, msg, "%s", in[i].what);
		}
		for (k = 0; k < 2; k++) {
			buf_free(&b[k]);
			buf_free(&st[k].last);
		}
	}
	buf_free(&text);
	buf_free(&f);
	buf_free(&gzbad);
}

Test(source, rotation_names)
{
	static const struct {
		const char *name;
		int	    rotated;
		size_t	    stemlen;
		int	    numbered;
		unsigned    num;
		int	    gz;
	} t[] = {
		{ "bot.log", 0, 7, 0, 0, 0 },
		{ "bot.log.gz", 0, 10, 0, 0, 1 },
		{ "bot.log.1", 1, 7, 1, 1, 0 },
		{ "bot.log.12.gz", 1, 7, 1, 12, 1 },
		{ "bot.log-20261206", 1, 7, 0, 0, 0 },
		{ "bot.log-20261206.gz", 1, 7, 0, 0, 1 },
		{ "bot.log-2026-12-06-1700", 1, 7, 0, 0, 0 },
		{ "bot.log-2026_12_06", 1, 7, 0, 0, 0 },
		{ "bot.log.2026.12.06", 1, 7, 0, 0, 0 },
		{ "/var/log/2026-12-06/bot.log", 0, 27, 0, 0, 0 },
		{ "/var/log/b1/bot.log.3", 1, 19, 1, 3, 0 },
		{ "/l/123", 0, 6, 0, 0, 0 },
		{ "bot.log.1-", 0, 10, 0, 0, 0 },
		{ "-", 0, 1, 0, 0, 0 },
		{ ".1", 0, 2, 0, 0, 0 },
	};
	struct rotname rn;
	size_t	       i;

	for (i = 0; i < NELEM(t); i++) {
		source_rotname(t[i].name, &rn);
		cr_expect_eq(rn.rotated, t[i].rotated, "%s", t[i].name);
		cr_expect_eq(rn.stemlen, t[i].stemlen, "%s", t[i].name);
		cr_expect_eq(rn.numbered, t[i].numbered, "%s", t[i].name);
		cr_expect_eq(rn.num, t[i].num, "%s", t[i].name);
		cr_expect_eq(rn.gz, t[i].gz, "%s", t[i].name);
	}
}
