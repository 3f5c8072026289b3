/*
 * test_lines.c: the line splitter, fed in every possible chunking.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lines.h"
#include "util.h"

/*
 * Feeds input in chunks of size step, read into the splitter's buffer or,
 * with lend set, lent from a copy freed once the chunk is split (so that a
 * line left pointing into it trips the address sanitizer). Returns the
 * lines joined by '|'.
 */
static char *
split_as(const char *in, size_t n, size_t step, size_t maxline,
    uint64_t *toolong, uint64_t *consumed, int lend)
{
	struct lines l;
	struct buf   out;
	const char  *line;
	size_t	     off, avail, k, len;
	char	    *space, *chunk;

	lines_init(&l, maxline);
	buf_init(&out);
	for (off = 0; off < n; off += k) {
		k = n - off < step ? n - off : step;
		if (lend) {
			chunk = xmalloc(k);
			memcpy(chunk, in + off, k);
			lines_attach(&l, chunk, k);
		} else {
			chunk = NULL;
			space = lines_space(&l, &avail);
			if (k > avail)
				k = avail;
			memcpy(space, in + off, k);
			lines_commit(&l, k);
		}
		while ((line = lines_next(&l, &len)) != NULL) {
			cr_assert(!l.lent || lend);
			buf_append(&out, line, len);
			buf_putc(&out, '|');
		}
		cr_assert_null(l.ext);
		free(chunk);
	}
	*toolong = l.toolong;
	*consumed = l.consumed;
	lines_free(&l);
	return buf_release(&out);
}

/* Both ways of feeding must split alike; returns the lines. */
static char *
split(const char *in, size_t n, size_t step, size_t maxline, uint64_t *toolong,
    uint64_t *consumed)
{
	char	*got, *lent;
	uint64_t tl[2], co[2];

	got = split_as(in, n, step, maxline, &tl[0], &co[0], 0);
	lent = split_as(in, n, step, maxline, &tl[1], &co[1], 1);
	cr_assert_str_eq(lent, got, "lent bytes, step %zu", step);
	cr_assert_eq(tl[1], tl[0], "lent bytes, step %zu: too long", step);
	cr_assert_eq(co[1], co[0], "lent bytes, step %zu: consumed", step);
	free(lent);
	if (toolong)
		*toolong = tl[0];
	if (consumed)
		*consumed = co[0];
	return got;
}

Test(lines, every_chunking_gives_the_same_lines)
{
	static const char in[] =
	    "a\r\nbb\n\nccc\r\r\ndd\rd\nlast-without-newline";
	const char *want = "a|bb||ccc\r|dd\rd|";
	size_t	    step;
	uint64_t    consumed;

	for (step = 1; step <= sizeof(in); step++) {
		char *got = split(in, sizeof(in) - 1, step, 100, NULL,
		    &consumed);

		cr_assert_str_eq(got, want, "step %zu", step);
		cr_assert_eq(consumed, strlen("a\r\nbb\n\nccc\r\r\ndd\rd\n"));
		free(got);
	}
}

Test(lines, overlong_lines_are_skipped_and_the_next_is_kept)
{
	struct buf in;
	size_t	   step, i;
	uint64_t   toolong, consumed;

	buf_init(&in);
	buf_puts(&in, "short\n");
	for (i = 0; i < 300000; i++)
		buf_putc(&in, 'x');
	buf_puts(&in, "\nafter\n");
	for (i = 0; i < 11; i++)
		buf_putc(&in, 'y');
	buf_puts(&in, "\nexactly-10\nend\n");
	for (step = 7; step < 400000; step *= 13) {
		char *got = split(in.p, in.len, step, 10, &toolong, &consumed);

		cr_assert_str_eq(got, "short|after|exactly-10|end|", "step %zu",
		    step);
		cr_assert_eq(toolong, 2, "step %zu: %llu", step,
		    (unsigned long long)toolong);
		cr_assert_eq(consumed, in.len);
		free(got);
	}
	buf_free(&in);
}

Test(lines, memory_stays_bounded_without_newlines)
{
	struct lines l;
	char	    *space;
	const char  *line;
	size_t	     avail, i, len;

	lines_init(&l, 1000);
	for (i = 0; i < 1000; i++) {
		space = lines_space(&l, &avail);
		memset(space, 'z', avail);
		lines_commit(&l, avail);
		cr_assert_null(lines_next(&l, &len));
	}
	cr_assert_leq(l.cap, 512 * 1024, "cap grew to %zu", l.cap);
	cr_assert_eq(l.toolong, 1);
	space = lines_space(&l, &avail);
	memcpy(space, "\nok\n", 4);
	lines_commit(&l, 4);
	line = lines_next(&l, &len);
	cr_assert_not_null(line);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(line, "ok", 2), 0);
	lines_free(&l);
}

Test(lines, reset_forgets_a_partial_line)
{
	struct lines l;
	char	    *space;
	const char  *line;
	size_t	     avail, len;

	lines_init(&l, 100);
	space = lines_space(&l, &avail);
	memcpy(space, "half", 4);
	lines_commit(&l, 4);
	cr_assert_null(lines_next(&l, &len));
	cr_assert_eq(lines_pending(&l), 4);
	lines_reset(&l);
	cr_assert_eq(lines_pending(&l), 0);
	space = lines_space(&l, &avail);
	memcpy(space, "new\n", 4);
	lines_commit(&l, 4);
	line = lines_next(&l, &len);
	cr_assert_not_null(line);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(line, "new", 3), 0);
	lines_free(&l);
}

Test(lines, lent_bytes_bounded_without_newlines)
{
	struct lines l;
	const char  *line;
	char	    *chunk;
	size_t	     i, len;

	lines_init(&l, 1000);
	chunk = xmalloc(300 * 1024);
	memset(chunk, 'z', 300 * 1024);
	for (i = 0; i < 100; i++) {
		lines_attach(&l, chunk, 300 * 1024);
		cr_assert_null(lines_next(&l, &len));
	}
	cr_assert_leq(l.cap, 512 * 1024, "cap grew to %zu", l.cap);
	cr_assert_eq(l.toolong, 1);
	memcpy(chunk, "z\nok\nhalf", 9);
	lines_attach(&l, chunk, 9);
	line = lines_next(&l, &len);
	cr_assert_not_null(line);
	cr_assert(l.lent);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(line, "ok", 2), 0);
	cr_assert_null(lines_next(&l, &len));
	cr_assert_eq(lines_pending(&l), 4);
	free(chunk);
	lines_free(&l);
}
