/*
 * test_journal.c: journal arguments parsed, and journal files (written by
 * systemd-journal-remote from the export format) read as records.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "testutil.h"
#include "util.h"

TestSuite(journal, .fini = tu_cleanup);

Test(journal, matches_parsed)
{
	static const struct {
		const char *arg;
		size_t	    n;
		const char *m[3];
	} t[] = {
		{ "journal:", 0, { NULL } },
		{ "journal:_SYSTEMD_UNIT=bot.service", 1,
		    { "_SYSTEMD_UNIT=bot.service" } },
		{ "journal:A=1,B_2=,_C=x=y", 3, { "A=1", "B_2=", "_C=x=y" } },
		{ "journal:A=a\\,b\\\\c,B=\xff", 2, { "A=a,b\\c", "B=\xff" } },
	};
	struct journal_spec js;
	char		    err[256];
	size_t		    i, k, col;

	for (i = 0; i < NELEM(t); i++) {
		cr_assert_eq(journal_spec_parse(t[i].arg, &js, &col, err,
				 sizeof(err)),
		    0, "%s: %s", t[i].arg, err);
		cr_assert_eq(js.n, t[i].n, "%s", t[i].arg);
		for (k = 0; k < js.n; k++) {
			cr_expect_str_eq(js.m[k].data, t[i].m[k]);
			cr_expect_eq(js.m[k].len, strlen(t[i].m[k]));
		}
		journal_spec_free(&js);
	}
	cr_expect(journal_arg("journal:"));
	cr_expect(!journal_arg("journal"));
	cr_expect(!journal_arg("./journal:x"));
}

Test(journal, bad_matches_refused_with_their_column)
{
	static const struct {
		const char *arg;
		size_t	    col;
		const char *why;
	} t[] = {
		{ "journal:A", 10, "expected FIELD=VALUE, found 'A'" },
		{ "journal:=x", 9, "'' is not a journal field name" },
		{ "journal:a=x", 9, "'a' is not a journal field name" },
		{ "journal:1A=x", 9, "not a journal field name" },
		{ "journal:A-B=x", 9, "not a journal field name" },
		{ "journal:A=1,", 13, "expected FIELD=VALUE, found ''" },
		{ "journal:A=1,,B=2", 13, "expected FIELD=VALUE" },
		{ "journal:A=1\\x", 12, "written before ',' or '\\' only" },
		{ "journal:A=1\\", 12, "written before" },
		{ "journal:"
		  "A2345678901234567890123456789012345678901234567890123456789"
		  "012345=x",
		    9, "at most 64" },
	};
	struct journal_spec js;
	char		    err[256];
	size_t		    i, col;

	for (i = 0; i < NELEM(t); i++) {
		cr_expect_eq(journal_spec_parse(t[i].arg, &js, &col, err,
				 sizeof(err)),
		    -1, "%s accepted", t[i].arg);
		cr_expect_eq(col, t[i].col, "%s: column %zu, not %zu (%s)",
		    t[i].arg, col, t[i].col, err);
		cr_expect(strstr(err, t[i].why) != NULL, "%s: %s", t[i].arg,
		    err);
		cr_expect_eq(js.n, 0);
		cr_expect_null(js.m);
	}
}

/* One entry of the export format; msg NULL for none, binary-safe. */
static void
entry(FILE *f, unsigned long long usec, const char *unit, const char *msg,
    size_t len)
{
	static unsigned long long mono = 1000000;

	fprintf(f,
	    "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n"
	    "_BOOT_ID=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
	    "_SYSTEMD_UNIT=%s\n",
	    usec, mono++, unit);
	if (msg != NULL) {
		unsigned char n[8];
		size_t	      i;

		for (i = 0; i < 8; i++)
			n[i] = (unsigned char)((unsigned long long)len >>
			    (8 * i));
		fputs("MESSAGE\n", f);
		fwrite(n, 1, 8, f);
		fwrite(msg, 1, len, f);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void
collect(void *arg, const char *rec, size_t len, double time)
{
	struct buf *b = arg;
	char	    num[32];

	fmt_double(num, time);
	buf_append(b, rec, len);
	buf_printf(b, "@%s|", num);
}

/*
 * The bot's entries, in the order written, each its MESSAGE without its
 * line end, at __REALTIME_TIMESTAMP; another unit's, and entries without
 * a MESSAGE or over the cap, skipped (the last two counted).
 */
Test(journal, entries_read)
{
	static const char    want[] = "a@1764020763|b@1764020763.000002|"
				      "c\n\xff\0d@1764020763.5|d@1764020766|";
	const char	    *dir = tu_tmpdir("journal");
	char		     cmd[512], path[256], err[256];
	struct journal_stats st;
	struct buf	     b;
	FILE		    *f;

	tu_path(path, sizeof(path), dir, "t.journal");
	snprintf(cmd, sizeof(cmd),
	    "/usr/lib/systemd/systemd-journal-remote -o %s - 2>/dev/null",
	    path);
	cr_assert_not_null(f = popen(cmd, "w"));
	entry(f, 1764020763000000ULL, "bot.service", "a", 1);
	entry(f, 1764020763000001ULL, "other.service", "o", 1);
	entry(f, 1764020763000002ULL, "bot.service", "b\r\n", 3);
	entry(f, 1764020763000003ULL, "bot.service", NULL, 0);
	entry(f, 1764020763500000ULL, "bot.service", "c\n\xff\0d", 5);
	entry(f, 1764020764000000ULL, "bot.service", "0123456789x", 11);
	entry(f, 1764020765000000ULL, "bot.service", "0123456789\r", 11);
	entry(f, 1764020766000000ULL, "bot.service", "d\n", 2);
	cr_assert_eq(pclose(f), 0, "systemd-journal-remote failed");

	memset(&st, 0, sizeof(st));
	buf_init(&b);
	cr_assert_eq(journal_read("journal:_SYSTEMD_UNIT=bot.service", dir, 10,
			 collect, &b, &st, err, sizeof(err)),
	    0, "%s", err);
	cr_expect_eq(b.len, sizeof(want) - 1, "%zu bytes", b.len);
	cr_expect(memcmp(b.p, want, sizeof(want) - 1) == 0, "records: %.*s",
	    (int)b.len, b.p);
	cr_expect_eq(st.entries, 4);
	cr_expect_eq(st.nomessage, 1);
	cr_expect_eq(st.toolong, 2);
	buf_free(&b);

	/* Every entry, no match. */
	memset(&st, 0, sizeof(st));
	buf_init(&b);
	cr_assert_eq(journal_read("journal:", dir, 100, collect, &b, &st, err,
			 sizeof(err)),
	    0, "%s", err);
	cr_expect_eq(st.entries, 7);
	buf_free(&b);

	/* A directory that is not there. */
	cr_expect_eq(journal_read("journal:", "/nonexistent/journal", 100,
			 collect, &b, &st, err, sizeof(err)),
	    -1);
	cr_expect(strstr(err,
		      "journal:: opening the journal in "
		      "/nonexistent/journal: ") != NULL,
	    "%s", err);
}

/* Appends entries of bot.service, MESSAGE "<prefix><i>", to path. */
static void
append_entries(const char *path, const char *prefix, int n,
    unsigned long long usec)
{
	char  cmd[512], msg[64];
	FILE *f;
	int   i, len;

	snprintf(cmd, sizeof(cmd),
	    "/usr/lib/systemd/systemd-journal-remote -o %s - 2>/dev/null",
	    path);
	cr_assert_not_null(f = popen(cmd, "w"));
	for (i = 0; i < n; i++) {
		len = snprintf(msg, sizeof(msg), "%s%d", prefix, i);
		entry(f, usec + (unsigned long long)i, "bot.service", msg,
		    (size_t)len);
	}
	cr_assert_eq(pclose(f), 0, "systemd-journal-remote failed");
}

static void
collect_in(void *arg, struct tail_file *tf, const char *rec, size_t len,
    const struct rtime *time)
{
	struct buf *b = arg;

	cr_expect_str_eq(tf->path, "journal:_SYSTEMD_UNIT=bot.service");
	cr_expect(time->text.n == 0 && time->secs > 0);
	buf_append(b, rec, len);
	buf_putc(b, '|');
}

/* What an input reads now, '|'-ended, as a string to free. */
static char *
read_now(struct input *in)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(in->read(in->self, collect_in, &b), 0);
	buf_putc(&b, '\0');
	return buf_release(&b);
}

/*
 * Follow mode: from the journal's end, only entries written after the
 * start; from its start, all; in a directory with no journal file yet,
 * all that come.
 */
Test(journal, followed)
{
	const char  *dir = tu_tmpdir("journal"), *empty = tu_tmpdir("journal");
	const char  *arg = "journal:_SYSTEMD_UNIT=bot.service";
	char	     path[256], err[256], *got;
	struct input in, all, later;

	tu_path(path, sizeof(path), dir, "t.journal");
	append_entries(path, "a", 3, 1764020763000000ULL);
	cr_assert_eq(input_journal(&in, arg, dir, 100, 0, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(input_journal(&all, arg, dir, 100, 1, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_geq(in.fd(in.self), 0);
	got = read_now(&in);
	cr_expect_str_eq(got, "");
	free(got);
	append_entries(path, "b", 2, 1764020764000000ULL);
	got = read_now(&in);
	cr_expect_str_eq(got, "b0|b1|");
	free(got);
	got = read_now(&all);
	cr_expect_str_eq(got, "a0|a1|a2|b0|b1|");
	free(got);
	in.free(in.self);
	all.free(all.self);

	cr_assert_eq(input_journal(&later, arg, empty, 100, 0, err,
			 sizeof(err)),
	    0, "%s", err);
	tu_path(path, sizeof(path), empty, "t.journal");
	append_entries(path, "c", 2, 1764020765000000ULL);
	got = read_now(&later);
	cr_expect_str_eq(got, "c0|c1|");
	free(got);
	later.free(later.self);
}

/* A saved place: decoded, or refused with where and why. */
Test(journal, place_decoded)
{
	static const struct {
		uint64_t    version;
		const char *data;
		size_t	    at;
		const char *why; /* NULL: accepted */
	} t[] = {
		{ 1, " \"journal:A=1\" \"s=ab;i=1\" 0", 0, NULL },
		{ 1, " \"journal:\" \"\" 1764020763000000", 0, NULL },
		{ 2, " \"journal:\" \"\" 0", 0,
		    "version 2; this logmetrics reads 1" },
		{ 1, " \"journal:\" \"\"", 0, "expected 3 fields, found 2" },
		{ 1, " \"journal:\" \"\" 0 0", 0,
		    "expected 3 fields, found more" },
		{ 1, " \"/var/log/x\" \"\" 0", 1, "is no journal argument" },
		{ 1, " \"journal:\" \"\" x", 15, "expected a number" },
		{ 1, " \"journal:\" \"\x01\" 0", 13, "must be escaped" },
	};
	struct journal_pos p;
	char		   err[256];
	size_t		   i, at;
	int		   rc;

	for (i = 0; i < NELEM(t); i++) {
		rc = journal_pos_decode(t[i].version, t[i].data,
		    strlen(t[i].data), &p, &at, err, sizeof(err));
		if (t[i].why == NULL) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err);
			journal_pos_free(&p);
			continue;
		}
		cr_expect_eq(rc, -1, "case %zu accepted", i);
		cr_expect_eq(at, t[i].at, "case %zu: at %zu (%s)", i, at, err);
		cr_expect(strstr(err, t[i].why) != NULL, "case %zu: %s", i,
		    err);
		cr_expect_null(p.arg);
	}
}

struct saved {
	char	*kind;
	uint64_t version;
	char	*data;
};

static void
save(void *arg, const char *kind, uint64_t version, const char *data,
    size_t len)
{
	struct saved *s = arg;

	s->kind = strdup(kind);
	s->version = version;
	s->data = strndup(data, len);
}

static void
lost_of(const struct tail_file *tf, void *arg)
{
	*(uint64_t *)arg = tf->lost;
}

/*
 * A place saved and restored: the entries after it are read, none again;
 * with the saved entry gone, the next one is read and the loss counted.
 */
Test(journal, place_restored)
{
	const char	  *dir = tu_tmpdir("journal");
	const char	  *arg = "journal:_SYSTEMD_UNIT=bot.service";
	char		   path[256], err[256], *got;
	struct input	   in, again;
	struct saved	   s = { NULL, 0, NULL };
	struct journal_pos p;
	size_t		   at;
	uint64_t	   lost = 99;

	tu_path(path, sizeof(path), dir, "t.journal");
	append_entries(path, "a", 3, 1764020763000000ULL);
	cr_assert_eq(input_journal(&in, arg, dir, 100, 1, err, sizeof(err)), 0,
	    "%s", err);
	got = read_now(&in);
	cr_expect_str_eq(got, "a0|a1|a2|");
	free(got);
	in.positions(in.self, 0, save, &s);
	cr_assert_not_null(s.kind);
	cr_expect_str_eq(s.kind, JOURNAL_POS_KIND);
	cr_assert_eq(journal_pos_decode(s.version, s.data, strlen(s.data), &p,
			 &at, err, sizeof(err)),
	    0, "%s", err);
	cr_expect_str_eq(p.arg, arg);
	cr_expect_neq(p.cursor[0], '\0');
	in.free(in.self);

	append_entries(path, "b", 2, 1764020764000000ULL);
	cr_assert_eq(input_journal(&again, arg, dir, 100, 0, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(input_journal_restore(&again, &p, 0, err, sizeof(err)), 0,
	    "%s", err);
	got = read_now(&again);
	cr_expect_str_eq(got, "b0|b1|");
	free(got);
	again.files(again.self, lost_of, &lost);
	cr_expect_eq(lost, 0);
	again.free(again.self);

	/* The saved entry's file removed, the next entries in another. */
	unlink(path);
	tu_path(path, sizeof(path), dir, "u.journal");
	append_entries(path, "c", 2, 1764020765000000ULL);
	cr_assert_eq(input_journal(&again, arg, dir, 100, 0, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(input_journal_restore(&again, &p, 0, err, sizeof(err)), 0,
	    "%s", err);
	got = read_now(&again);
	cr_expect_str_eq(got, "c0|c1|");
	free(got);
	again.files(again.self, lost_of, &lost);
	cr_expect_eq(lost, 1);
	again.free(again.self);
	journal_pos_free(&p);
	free(s.kind);
	free(s.data);
}
