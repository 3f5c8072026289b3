/*
 * fuzz_pipeline.c: the whole path of a log line, as one-shot mode takes
 * it. The input is a log file: it goes through the line splitter (a cap
 * of 1 KiB so that over-long lines happen, the last line without newline
 * completed at the end), each line through the matchers of
 * rules/bytelyst.rules and of tests/fuzz/nested.rules (paths into nested
 * values; both built into the target), then each registry is rendered in
 * both formats and every exposition invariant is checked.
 * The splitter must deliver exactly the lines a plain split gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lines.h"
#include "util.h"

#include "bytelyst_rules.h" /* generated: rules_text[] */
#include "nested_rules.h"   /* generated: nested_text[] */

#define MAXLINE 1024
#define NOW	1764020960.0

static struct ruleset *rs, *nested;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[4096];

	(void)argc;
	(void)argv;
	setenv("NODE_ENV", "production", 1);
	unsetenv("PAPER_TRADING");
	rs = rules_parse("bytelyst.rules", rules_text, sizeof(rules_text) - 1,
	    err, sizeof(err));
	if (rs == NULL) {
		fprintf(stderr, "bytelyst.rules: %s\n", err);
		abort();
	}
	nested = rules_parse("nested.rules", nested_text,
	    sizeof(nested_text) - 1, err, sizeof(err));
	if (nested == NULL) {
		fprintf(stderr, "nested.rules: %s\n", err);
		abort();
	}
	return 0;
}

/*
 * The next line of data[*pos..size) as the splitter must give it: up to
 * a LF, or to the end (the last line without newline), one CR before the
 * LF dropped. Returns 0 at the end of the data.
 */
static int
ref_next(const uint8_t *data, size_t size, size_t *pos, const uint8_t **line,
    size_t *len)
{
	const uint8_t *nl;
	size_t	       n;

	if (*pos >= size)
		return 0;
	*line = data + *pos;
	nl = memchr(*line, '\n', size - *pos);
	n = nl != NULL ? (size_t)(nl - *line) : size - *pos;
	*pos += n + 1;
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	*len = n;
	return 1;
}

/* Feeds the splitter's next lines to both matchers, each checked. */
static void
drain(struct lines *l, struct matcher *m, struct matcher *m2,
    const uint8_t *data, size_t size, size_t *pos, uint64_t *toolong)
{
	const char    *line;
	const uint8_t *want;
	size_t	       len, wantlen;

	while ((line = lines_next(l, &len)) != NULL) {
		for (;;) {
			if (!ref_next(data, size, pos, &want, &wantlen))
				fuzz_fail("a line the input does not hold");
			if (wantlen <= MAXLINE)
				break;
			(*toolong)++;
		}
		if (len != wantlen || memcmp(line, want, len) != 0)
			fuzz_fail("line at offset %zu differs",
			    (size_t)(want - data));
		matcher_line(m, line, len, NOW);
		matcher_line(m2, line, len, NOW);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bound	    b, b2;
	struct lines		    l;
	const struct matcher_stats *st;
	const uint8_t		   *want;
	char			   *space;
	size_t			    avail, off = 0, pos = 0, n, wantlen;
	uint64_t		    toolong = 0;

	fuzz_bind(&b, rs);
	fuzz_bind(&b2, nested);
	lines_init(&l, MAXLINE);
	registry_lock(b.reg);
	registry_lock(b2.reg);
	while (off < size) {
		space = lines_space(&l, &avail);
		n = size - off < avail ? size - off : avail;
		memcpy(space, data + off, n);
		lines_commit(&l, n);
		off += n;
		drain(&l, b.m, b2.m, data, size, &pos, &toolong);
	}
	if (lines_pending(&l) > 0) {
		space = lines_space(&l, &avail);
		space[0] = '\n';
		lines_commit(&l, 1);
		drain(&l, b.m, b2.m, data, size, &pos, &toolong);
	}
	while (ref_next(data, size, &pos, &want, &wantlen)) {
		if (wantlen <= MAXLINE)
			fuzz_fail("line at offset %zu not delivered",
			    (size_t)(want - data));
		toolong++;
	}
	if (l.toolong != toolong)
		fuzz_fail("%llu over-long lines counted, %llu in the input",
		    (unsigned long long)l.toolong, (unsigned long long)toolong);
	registry_unlock(b2.reg);
	registry_unlock(b.reg);
	st = matcher_stats(b.m);
	if (st->unmatched > st->lines)
		fuzz_fail("more lines unmatched than read");
	fuzz_check_render(b.reg, st->newest_time > 0 ? st->newest_time : NOW);
	st = matcher_stats(b2.m);
	if (st->unmatched > st->lines)
		fuzz_fail("more lines unmatched than read");
	fuzz_check_render(b2.reg, st->newest_time > 0 ? st->newest_time : NOW);
	lines_free(&l);
	fuzz_unbind(&b2);
	fuzz_unbind(&b);
	return 0;
}
