/*
 * test_record.c: the record stage on Docker's json-file lines, hostile
 * ones included: escapes, pieces joined, cut lines, a piece without its
 * end, bad UTF-8, records over the cap; and a record half-joined as
 * restart state keeps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "record.h"
#include "util.h"

static void
collect(void *arg, const char *rec, size_t len, const struct rtime *time)
{
	struct buf *b = arg;

	(void)time;
	buf_append(b, rec, len);
	buf_putc(b, '|');
}

/* As collect, the record's time after it: "rec@time|". */
static void
collect_timed(void *arg, const char *rec, size_t len, const struct rtime *time)
{
	struct buf *b = arg;

	cr_expect_lt(time->secs, 0, "a runtime's time in seconds");
	buf_append(b, rec, len);
	buf_putc(b, '@');
	buf_append(b, time->text.p, time->text.n);
	buf_putc(b, '|');
}

/* Feeds lines separated by '\n' in in; returns the records, '|'-ended. */
static char *
run_fmt(enum record_format fmt, const char *in, size_t maxline, int flush,
    struct record_stats *st)
{
	struct record	  r;
	struct json_index ix;
	struct buf	  b;
	const char	 *p = in, *nl;

	json_init(&ix);
	record_init(&r, fmt, maxline, &ix);
	buf_init(&b);
	while ((nl = strchr(p, '\n')) != NULL) {
		record_line(&r, p, (size_t)(nl - p), collect, &b);
		p = nl + 1;
	}
	if (flush)
		record_flush(&r, collect, &b);
	*st = r.st;
	record_free(&r);
	json_free(&ix);
	buf_putc(&b, '\0');
	return buf_release(&b);
}

/* Lines in, the records they make ('|'-ended) and the counts. */
struct rcase {
	const char *what;
	const char *in;
	size_t	    maxline;
	int	    flush;
	const char *want;
	unsigned    records, pieces, bad, toolong;
};

static void
check(enum record_format fmt, const struct rcase *t, size_t n)
{
	struct record_stats st;
	char		   *got;
	size_t		    i;

	for (i = 0; i < n; i++) {
		got = run_fmt(fmt, t[i].in, t[i].maxline, t[i].flush, &st);
		cr_expect_str_eq(got, t[i].want, "%s", t[i].what);
		cr_expect_eq(st.records, t[i].records, "%s: records",
		    t[i].what);
		cr_expect_eq(st.pieces, t[i].pieces, "%s: pieces", t[i].what);
		cr_expect_eq(st.bad, t[i].bad, "%s: bad", t[i].what);
		cr_expect_eq(st.toolong, t[i].toolong, "%s: too long",
		    t[i].what);
		free(got);
	}
}

Test(record, docker)
{
	static const struct rcase t[] = {
		{ "one line", "{\"log\":\"a b\\n\",\"stream\":\"stdout\"}\n",
		    100, 0, "a b|", 1, 0, 0, 0 },
		{ "CR LF dropped", "{\"log\":\"a\\r\\n\"}\n", 100, 0, "a|", 1,
		    0, 0, 0 },
		{ "escapes",
		    "{\"log\":\"\\\"q\\\" \\u003c\\u0026\\u003e \\t\\\\\\n\"}\n",
		    100, 0, "\"q\" <&> \t\\|", 1, 0, 0, 0 },
		{ "pieces joined",
		    "{\"log\":\"ab\"}\n{\"log\":\"cd\"}\n{\"log\":\"ef\\n\"}\n",
		    100, 0, "abcdef|", 1, 2, 0, 0 },
		{ "keys in any order, the last log wins",
		    "{\"time\":\"t\",\"log\":\"x\\n\",\"stream\":\"stderr\"}\n"
		    "{\"log\":\"no\\n\",\"log\":\"yes\\n\"}\n",
		    100, 0, "x|yes|", 2, 0, 0, 0 },
		{ "cut wrapper skipped, next read",
		    "{\"log\":\"a\\n\",\"str\n{\"log\":\"b\\n\"}\n", 100, 0,
		    "b|", 1, 0, 1, 0 },
		{ "not a wrapper", "plain text\n[1,2]\n{\"log\":1}\n{}\n", 100,
		    0, "", 0, 0, 4, 0 },
		{ "a piece without its end, flushed",
		    "{\"log\":\"a\\n\"}\n{\"log\":\"tail\"}\n", 100, 1,
		    "a|tail|", 2, 0, 0, 0 },
		{ "a piece without its end, not flushed",
		    "{\"log\":\"tail\"}\n", 100, 0, "", 0, 0, 0, 0 },
		{ "bad UTF-8 kept as it is", "{\"log\":\"\xff\xc3(\\n\"}\n",
		    100, 0, "\xff\xc3(|", 1, 0, 0, 0 },
		{ "lone surrogate to U+FFFD", "{\"log\":\"\\ud800\\n\"}\n", 100,
		    0, "\xef\xbf\xbd|", 1, 0, 0, 0 },
		{ "over the cap: dropped whole, memory bounded",
		    "{\"log\":\"0123\"}\n{\"log\":\"4567\"}\n"
		    "{\"log\":\"89\\n\"}\n{\"log\":\"ok\\n\"}\n",
		    6, 0, "ok|", 1, 2, 0, 1 },
		{ "one line over the cap", "{\"log\":\"0123456789\\n\"}\n", 6,
		    0, "", 0, 0, 0, 1 },
		{ "at the cap", "{\"log\":\"012345\\n\"}\n", 6, 0, "012345|", 1,
		    0, 0, 0 },
		{ "empty record", "{\"log\":\"\\n\"}\n", 6, 0, "|", 1, 0, 0,
		    0 },
	};
	check(RECORD_DOCKER, t, NELEM(t));
}

#define T0 "2026-12-06T10:00:00.123456789Z"

Test(record, cri)
{
	static const struct rcase t[] = {
		{ "one line", T0 " stdout F a b\n", 100, 0, "a b|", 1, 0, 0,
		    0 },
		{ "text as written", T0 " stderr F {\"log\":\"\\n\"}  \n", 100,
		    0, "{\"log\":\"\\n\"}  |", 1, 0, 0, 0 },
		{ "CR dropped", T0 " stdout F a\r\n", 100, 0, "a|", 1, 0, 0,
		    0 },
		{ "pieces joined",
		    T0 " stdout P ab\n" T0 " stdout P cd\n" T0 " stdout F ef\n",
		    100, 0, "abcdef|", 1, 2, 0, 0 },
		{ "empty text, space or not",
		    T0 " stdout F \n" T0 " stdout F\n", 100, 0, "||", 2, 0, 0,
		    0 },
		{ "partial then empty end", T0 " stdout P x\n" T0 " stdout F\n",
		    100, 0, "x|", 1, 1, 0, 0 },
		{ "bad lines skipped",
		    "garbage\n" T0 " stdout\n" T0 " stdout X a\n" T0
		    " stdout Pa\n"
		    " stdout F a\n" T0 "  F a\n" T0 " stdout F ok\n",
		    100, 0, "ok|", 1, 0, 6, 0 },
		{ "a piece without its end, flushed",
		    T0 " stdout F a\n" T0 " stdout P tail\n", 100, 1, "a|tail|",
		    2, 0, 0, 0 },
		{ "over the cap: dropped whole",
		    T0 " stdout P 0123\n" T0 " stdout P 4567\n" T0
		       " stdout F 89\n" T0 " stdout F ok\n",
		    6, 0, "ok|", 1, 2, 0, 1 },
		{ "at the cap, joined",
		    T0 " stdout P 012\n" T0 " stdout F 345\n", 6, 0, "012345|",
		    1, 1, 0, 0 },
		{ "at the cap with a CR, joined",
		    T0 " stdout P 012\n" T0 " stdout F 345\r\n", 6, 0,
		    "012345|", 1, 1, 0, 0 },
	};
	check(RECORD_CRI, t, NELEM(t));
}

Test(record, plain_and_prefixes)
{
	static const struct {
		const char	  *arg;
		enum record_format fmt;
		unsigned	   streams;
		const char	  *path;
	} t[] = {
		{ "docker:/var/lib/docker/c/c-json.log", RECORD_DOCKER, 3,
		    "/var/lib/docker/c/c-json.log" },
		{ "/var/log/bot.log", RECORD_PLAIN, 3, "/var/log/bot.log" },
		{ "./docker:x", RECORD_PLAIN, 3, "./docker:x" },
		{ "docker:-", RECORD_DOCKER, 3, "-" },
		{ "cri:/var/log/pods/a/b/0.log", RECORD_CRI, 3,
		    "/var/log/pods/a/b/0.log" },
		{ "docker+stdout:x", RECORD_DOCKER, 1, "x" },
		{ "docker+stderr:x", RECORD_DOCKER, 2, "x" },
		{ "cri+stdout:x", RECORD_CRI, 1, "x" },
		{ "cri+stderr:x", RECORD_CRI, 2, "x" },
		{ "cri+stdin:x", RECORD_PLAIN, 3, "cri+stdin:x" },
	};
	struct record	   r;
	struct buf	   b;
	struct record_kind k;
	size_t		   i;

	for (i = 0; i < NELEM(t); i++) {
		cr_expect_str_eq(record_prefix(t[i].arg, &k), t[i].path);
		cr_expect_eq(k.fmt, t[i].fmt, "%s", t[i].arg);
		cr_expect_eq(k.streams, t[i].streams, "%s", t[i].arg);
	}
	record_init(&r, RECORD_PLAIN, 4, NULL);
	buf_init(&b);
	record_line(&r, "{\"log\":\"x\\n\"}", 13, collect, &b);
	record_flush(&r, collect, &b);
	buf_putc(&b, '\0');
	cr_expect_str_eq(b.p, "{\"log\":\"x\\n\"}|");
	cr_expect_str_eq(record_format_name(RECORD_DOCKER), "docker");
	cr_expect_str_eq(record_format_name(RECORD_CRI), "cri");
	buf_free(&b);
	record_free(&r);
}

/* Lines fed to r, then its saved position restored in a new record. */
static void
feed(struct record *r, const char *in, struct buf *b)
{
	const char *p = in, *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		record_line(r, p, (size_t)(nl - p), collect, b);
		p = nl + 1;
	}
}

Test(record, position_round_trip)
{
	static const struct {
		enum record_format fmt;
		const char	  *before, *after, *records;
		int		   dropping;
	} t[] = {
		{ RECORD_CRI, "T stdout P ab\nT stdout P \"c\\\x01\xff\n",
		    "T stdout F d\n",
		    "ab\"c\\\x01\xff"
		    "d|",
		    0 },
		{ RECORD_CRI, "T stdout P 0123456789abc\n", "T stdout F x\n",
		    "", 1 },
		{ RECORD_DOCKER, "{\"log\":\"a \\u00e9\"}\n",
		    "{\"log\":\"b\\n\"}\n",
		    "a \xc3\xa9"
		    "b|",
		    0 },
		{ RECORD_DOCKER, "{\"log\":\"\"}\n", "{\"log\":\"\\n\"}\n", "|",
		    0 },
	};
	struct json_index ix;
	struct record	  r, s;
	struct buf	  b, pos;
	char		 *log, err[256];
	size_t		  i, at;

	json_init(&ix);
	for (i = 0; i < NELEM(t); i++) {
		buf_init(&b);
		buf_init(&pos);
		record_init(&r, t[i].fmt, 10, &ix);
		feed(&r, t[i].before, &b);
		cr_assert(r.j[RECORD_STDOUT].open, "case %zu: open", i);
		record_pos_encode("/var/log/pods/ns_p_u/bot/0.log", &r,
		    RECORD_STDOUT, &pos);
		record_init(&s, RECORD_PLAIN, 10, &ix);
		cr_assert_eq(record_pos_decode(RECORD_POS_VERSION, pos.p,
				 pos.len, &s, &log, &at, err, sizeof(err)),
		    0, "case %zu: %s at %zu", i, err, at);
		cr_expect_str_eq(log, "/var/log/pods/ns_p_u/bot/0.log");
		cr_expect_eq(s.fmt, t[i].fmt);
		cr_expect_eq(s.j[RECORD_STDOUT].dropping, t[i].dropping,
		    "case %zu", i);
		cr_expect(s.j[RECORD_STDOUT].open && !s.j[RECORD_STDERR].open);
		feed(&s, t[i].after, &b);
		buf_putc(&b, '\0');
		cr_expect_str_eq(b.p, t[i].records, "case %zu", i);
		cr_expect_eq(s.st.toolong, (unsigned)t[i].dropping);
		free(log);
		record_free(&r);
		record_free(&s);
		buf_free(&b);
		buf_free(&pos);
	}
	json_free(&ix);
}

Test(record, position_refused)
{
	static const struct {
		uint64_t    version;
		const char *data;
		size_t	    at;
		const char *why;
	} t[] = {
		{ 4, " \"a\" \"cri\" 0 \"\"", 0,
		    "version 4; this logmetrics reads 1 to 3" },
		{ 3, " \"a\" \"cri\" \"stdout\" 0 \"\"", 0,
		    "expected 6 fields, found 5" },
		{ 3, " \"a\" \"cri\" \"stdout\" 0 T \"\"", 22,
		    "expected a quoted string" },
		{ 3,
		    " \"a\" \"cri\" \"stdout\" 0 "
		    "\"2026-12-06T10:00:00.123456789+01:00_and_more_than_that\" "
		    "\"\"",
		    22, "a time over 48 bytes" },
		{ 2, " \"a\" \"cri\" 0 \"\"", 0, "expected 5 fields, found 4" },
		{ 2, " \"a\" \"cri\" \"stdin\" 0 \"\"", 11,
		    "unknown stream stdin" },
		{ 2, " \"a\" \"cri\" \"stderr\" 2 \"\"", 20,
		    "expected 0 or 1" },
		{ 1, " \"a\" \"cri\" 0", 0, "expected 4 fields, found 3" },
		{ 1, " \"a\" \"cri\" 0 \"\" 1", 0, "found 5" },
		{ 1, " \"a\" \"cri\" 0 \"\" 1 2 3 4", 0, "found more" },
		{ 1, " \"a\"  \"cri\" 0 \"\"", 0, "an empty one" },
		{ 1, " \"\" \"cri\" 0 \"\"", 1, "empty log name" },
		{ 1, " a \"cri\" 0 \"\"", 1, "expected a quoted string" },
		{ 1, " \"a\" \"plain\" 0 \"\"", 5, "unknown format plain" },
		{ 1, " \"a\" \"cri\" 2 \"\"", 11, "expected 0 or 1" },
		{ 1, " \"a\" \"cri\" x \"\"", 11, "expected 0 or 1" },
		{ 1, " \"a\" \"cri\" 1 \"b\"", 13,
		    "pieces of a record dropped" },
		{ 1, " \"a\" \"cri\" 0 \"b c\"", 0, "found 5" },
		{ 1, " \"a\" \"cri\" 0 \"b\\x0\"", 15, "bad escape" },
		{ 1, " \"a\\x00\" \"cri\" 0 \"\"", 3, "NUL byte" },
		{ 1, " \"a\" \"cri\" 0 \"\x01\"", 14,
		    "byte 0x01 must be escaped" },
	};
	struct record r;
	char	     *log, err[256];
	size_t	      i, at;

	for (i = 0; i < NELEM(t); i++) {
		record_init(&r, RECORD_CRI, 10, NULL);
		cr_expect_eq(record_pos_decode(t[i].version, t[i].data,
				 strlen(t[i].data), &r, &log, &at, err,
				 sizeof(err)),
		    -1, "case %zu accepted", i);
		cr_expect_null(log);
		cr_expect_eq(at, t[i].at, "case %zu: at %zu, not %zu (%s)", i,
		    at, t[i].at, err);
		cr_expect(strstr(err, t[i].why) != NULL, "case %zu: %s", i,
		    err);
		cr_expect(!record_open(&r));
		record_free(&r);
	}
}

/* Pieces over a cap lowered since the save: the record is dropped whole. */
Test(record, position_over_a_lower_cap)
{
	struct record r;
	struct buf    b;
	char	     *log, err[256];
	size_t	      at;
	const char   *data = " \"a\" \"cri\" 0 \"0123456789\"";

	record_init(&r, RECORD_CRI, 4, NULL);
	cr_assert_eq(record_pos_decode(1, data, strlen(data), &r, &log, &at,
			 err, sizeof(err)),
	    0, "%s", err);
	cr_expect(r.j[RECORD_STDOUT].open && r.j[RECORD_STDOUT].dropping &&
	    r.j[RECORD_STDOUT].buf.len == 0);
	buf_init(&b);
	feed(&r, "T stdout F x\nT stdout F y\n", &b);
	buf_putc(&b, '\0');
	cr_expect_str_eq(b.p, "y|");
	cr_expect_eq(r.st.toolong, 1);
	free(log);
	buf_free(&b);
	record_free(&r);
}

/*
 * The runtimes copy standard output and standard error each on its own:
 * a line of one may come between the pieces of a line of the other.
 */
Test(record, streams_interleaved)
{
	struct record_stats st;
	char		   *got;

	got = run_fmt(RECORD_DOCKER,
	    "{\"log\":\"ab\",\"stream\":\"stdout\"}\n"
	    "{\"log\":\"e1\",\"stream\":\"stderr\"}\n"
	    "{\"log\":\"E\\n\",\"stream\":\"stderr\"}\n"
	    "{\"log\":\"c\\n\",\"stream\":\"stdout\"}\n"
	    "{\"log\":\"d\\n\"}\n"
	    "{\"log\":\"x\\n\",\"stream\":\"stdin\"}\n"
	    "{\"log\":\"x\\n\",\"stream\":1}\n",
	    100, 1, &st);
	cr_expect_str_eq(got, "e1E|abc|d|");
	cr_expect_eq(st.records, 3);
	cr_expect_eq(st.pieces, 2);
	cr_expect_eq(st.bad, 2);
	free(got);
	got = run_fmt(RECORD_CRI,
	    "T stdout P ab\n"
	    "T stderr P e1\n"
	    "T stdout F c\n"
	    "T stderr F E\n"
	    "T stdin F x\n"
	    "T stderr P left\n",
	    100, 1, &st);
	cr_expect_str_eq(got, "abc|e1E|left|");
	cr_expect_eq(st.records, 3);
	cr_expect_eq(st.bad, 1);
	free(got);
}

/* Each stream's half-joined record is saved and restored on its own. */
Test(record, position_of_each_stream)
{
	struct record r, s;
	struct buf    b, pos;
	char	     *log, err[256];
	size_t	      at;
	int	      k;

	buf_init(&b);
	record_init(&r, RECORD_CRI, 100, NULL);
	record_init(&s, RECORD_CRI, 100, NULL);
	feed(&r, "T stdout P ab\nT stderr P e1\n", &b);
	for (k = 0; k < RECORD_STREAMS; k++) {
		struct record one;

		buf_init(&pos);
		record_pos_encode("p", &r, (enum record_stream)k, &pos);
		record_init(&one, RECORD_PLAIN, 100, NULL);
		cr_assert_eq(record_pos_decode(RECORD_POS_VERSION, pos.p,
				 pos.len, &one, &log, &at, err, sizeof(err)),
		    0, "%s", err);
		cr_assert(one.j[k].open && !one.j[1 - k].open);
		s.j[k] = one.j[k];
		buf_init(&one.j[k].buf);
		record_free(&one);
		free(log);
		buf_free(&pos);
	}
	feed(&s, "T stderr F E\nT stdout F c\n", &b);
	buf_putc(&b, '\0');
	cr_expect_str_eq(b.p, "e1E|abc|");
	/* Version 1 wrote no stream: standard output's. */
	record_free(&s);
	record_init(&s, RECORD_PLAIN, 100, NULL);
	cr_assert_eq(record_pos_decode(1, " \"p\" \"cri\" 0 \"ab\"", 17, &s,
			 &log, &at, err, sizeof(err)),
	    0, "%s", err);
	cr_expect(s.j[RECORD_STDOUT].open && !s.j[RECORD_STDERR].open);
	free(log);
	record_free(&r);
	record_free(&s);
	buf_free(&b);
}

/* One stream asked for: the other's lines are left, its pieces too. */
Test(record, one_stream)
{
	static const char *in[] = {
		"T stdout P ab\nT stderr P e1\nT stdout F c\nT stderr F E\n",
		"{\"log\":\"ab\",\"stream\":\"stdout\"}\n"
		"{\"log\":\"e1\",\"stream\":\"stderr\"}\n"
		"{\"log\":\"c\\n\",\"stream\":\"stdout\"}\n"
		"{\"log\":\"E\\n\",\"stream\":\"stderr\"}\n",
	};
	static const char *want[2] = { "abc|", "e1E|" };
	struct json_index  ix;
	struct record	   r;
	struct buf	   b;
	int		   f, s;

	json_init(&ix);
	for (f = 0; f < 2; f++)
		for (s = 0; s < 2; s++) {
			record_init(&r, f == 0 ? RECORD_CRI : RECORD_DOCKER,
			    100, &ix);
			r.streams = 1u << s;
			buf_init(&b);
			feed(&r, in[f], &b);
			record_flush(&r, collect, &b);
			buf_putc(&b, '\0');
			cr_expect_str_eq(b.p, want[s], "format %d stream %d", f,
			    s);
			cr_expect_eq(r.st.records, 1);
			cr_expect_eq(r.st.bad, 0);
			buf_free(&b);
			record_free(&r);
		}
	json_free(&ix);
}

/* Lines fed to r, each record with its time. */
static char *
feed_timed(struct record *r, const char *in, int flush)
{
	struct buf  b;
	const char *p = in, *nl;

	buf_init(&b);
	while ((nl = strchr(p, '\n')) != NULL) {
		record_line(r, p, (size_t)(nl - p), collect_timed, &b);
		p = nl + 1;
	}
	if (flush)
		record_flush(r, collect_timed, &b);
	buf_putc(&b, '\0');
	return buf_release(&b);
}

/*
 * The runtime's time of a record is its first piece's, as written; a
 * Docker line without one (or with one not a string) gives none; plain
 * lines have none.
 */
Test(record, times)
{
	static const struct {
		enum record_format fmt;
		const char	  *in, *want;
	} t[] = {
		{ RECORD_CRI,
		    "2026-12-06T10:00:00.1Z stdout F a\n"
		    "2026-12-06T10:00:01.2Z stdout P b\n"
		    "2026-12-06T10:00:01.9Z stderr F e\n"
		    "2026-12-06T10:00:02.3Z stdout F c\n"
		    "2026-12-06T11:00:00+01:00 stdout F d\n"
		    "x stdout F f\n",
		    "a@2026-12-06T10:00:00.1Z|e@2026-12-06T10:00:01.9Z|"
		    "bc@2026-12-06T10:00:01.2Z|d@2026-12-06T11:00:00+01:00|"
		    "f@x|" },
		{ RECORD_DOCKER,
		    "{\"log\":\"a\\n\",\"stream\":\"stdout\","
		    "\"time\":\"2026-12-06T10:00:00.5Z\"}\n"
		    "{\"time\":\"T1\",\"log\":\"b\"}\n"
		    "{\"log\":\"c\\n\",\"time\":\"T2\"}\n"
		    "{\"log\":\"d\\n\"}\n"
		    "{\"log\":\"e\\n\",\"time\":5}\n",
		    "a@2026-12-06T10:00:00.5Z|bc@T1|d@|e@|" },
		{ RECORD_PLAIN, "{\"log\":\"a\\n\",\"time\":\"T\"}\n",
		    "{\"log\":\"a\\n\",\"time\":\"T\"}@|" },
		/* Cut at the end: flushed with the first piece's time. */
		{ RECORD_CRI, "T1 stdout P a\nT2 stderr P e\nT3 stdout P b\n",
		    "ab@T1|e@T2|" },
	};
	struct json_index ix;
	struct record	  r;
	char		 *got;
	size_t		  i;

	json_init(&ix);
	for (i = 0; i < NELEM(t); i++) {
		record_init(&r, t[i].fmt, 100, &ix);
		got = feed_timed(&r, t[i].in, 1);
		cr_expect_str_eq(got, t[i].want, "case %zu", i);
		free(got);
		record_free(&r);
	}
	json_free(&ix);
}

/*
 * A half-joined record's time goes with it into restart state (version
 * 3); one saved by version 2, without, is finished without a time. A time
 * longer than a record keeps is none.
 */
Test(record, times_saved)
{
	struct json_index ix;
	struct record	  r, s;
	struct buf	  pos;
	char		 *log, *got, err[256], big[80];
	size_t		  at;
	const char	 *v2 = " \"a\" \"cri\" \"stderr\" 0 \"x\"";

	json_init(&ix);
	record_init(&r, RECORD_DOCKER, 100, &ix);
	got = feed_timed(&r, "{\"log\":\"a\",\"time\":\"T1\"}\n", 0);
	cr_expect_str_eq(got, "");
	free(got);
	buf_init(&pos);
	record_pos_encode("l", &r, RECORD_STDOUT, &pos);
	record_init(&s, RECORD_PLAIN, 100, &ix);
	cr_assert_eq(record_pos_decode(RECORD_POS_VERSION, pos.p, pos.len, &s,
			 &log, &at, err, sizeof(err)),
	    0, "%s at %zu", err, at);
	got = feed_timed(&s, "{\"log\":\"b\\n\",\"time\":\"T2\"}\n", 0);
	cr_expect_str_eq(got, "ab@T1|");
	free(got);
	free(log);
	record_free(&s);
	record_free(&r);

	record_init(&s, RECORD_CRI, 100, &ix);
	cr_assert_eq(record_pos_decode(2, v2, strlen(v2), &s, &log, &at, err,
			 sizeof(err)),
	    0, "%s at %zu", err, at);
	got = feed_timed(&s, "T3 stderr F y\n", 0);
	cr_expect_str_eq(got, "xy@|");
	free(got);
	free(log);
	record_free(&s);

	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_reset(&pos);
	buf_printf(&pos, "%s stdout P a\n%s stdout F b\n", big, big);
	record_init(&s, RECORD_CRI, 100, &ix);
	got = feed_timed(&s, pos.p, 0);
	cr_expect_str_eq(got, "ab@|");
	free(got);
	record_free(&s);
	buf_free(&pos);
	json_free(&ix);
}
