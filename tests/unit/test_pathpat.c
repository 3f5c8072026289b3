/*
 * test_pathpat.c: path patterns: matching, leading directories and the
 * walk over a real tree, table-driven.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "pathpat.h"
#include "testutil.h"
#include "util.h"

static const char *dir;

static void
setup(void)
{
	dir = tu_tmpdir("test_pathpat");
}

TestSuite(pathpat, .init = setup, .fini = tu_cleanup);

static struct pathpat *
compile(const char *pat)
{
	struct pathpat *p;
	char		err[256];

	p = pathpat_new(pat, err, sizeof(err));
	cr_assert_not_null(p, "%s: %s", pat, err);
	return p;
}

Test(pathpat, match)
{
	static const struct {
		const char *pat;
		const char *path;
		int	    match;
	} t[] = {
		{ "/var/log/bot.log", "/var/log/bot.log", 1 },
		{ "/var/log/bot.log", "/var/log/bot.log.1", 0 },
		{ "/var/log/bot.log", "var/log/bot.log", 0 },
		{ "/var/log/*.log", "/var/log/bot.log", 1 },
		{ "/var/log/*.log", "/var/log/.bot.log", 0 },
		{ "/var/log/.*.log", "/var/log/.bot.log", 1 },
		{ "/var/log/*/bot.log", "/var/log/a/bot.log", 1 },
		{ "/var/log/*/bot.log", "/var/log/bot.log", 0 },
		{ "/var/log/*/bot.log", "/var/log/a/b/bot.log", 0 },
		{ "/var/log/*/bot.log", "/var/log/.a/bot.log", 0 },
		{ "/var/log/b?t-[0-9]/x.log", "/var/log/bot-7/x.log", 1 },
		{ "/var/log/b?t-[0-9]/x.log", "/var/log/bot-x/x.log", 0 },
		{ "/var/log/[!a]*/x.log", "/var/log/b/x.log", 1 },
		{ "/var/log/[!a]*/x.log", "/var/log/a/x.log", 0 },
		{ "/l/**/*.log", "/l/a.log", 1 },
		{ "/l/**/*.log", "/l/a/a.log", 1 },
		{ "/l/**/*.log", "/l/a/b/c/d.log", 1 },
		{ "/l/**/*.log", "/l/a/.b/d.log", 0 },
		{ "/l/**/*.log", "/l/a/b/.d.log", 0 },
		{ "/l/**/*.log", "/m/a.log", 0 },
		{ "/l/**/x/*.log", "/l/x/a.log", 1 },
		{ "/l/**/x/*.log", "/l/a/b/x/a.log", 1 },
		{ "/l/**/x/*.log", "/l/a/b/y/a.log", 0 },
		{ "/l/**/**/*.log", "/l/a.log", 1 },
		{ "/l/**", "/l/a/b/c", 1 },
		{ "/l/**", "/l/a", 1 },
		{ "/l/**", "/l/.a", 0 },
		{ "/l/a**b/x", "/l/ab/x", 1 },
		{ "/l/a**b/x", "/l/a/b/x", 0 },
		{ "//l//*.log", "/l/a.log", 1 },
		{ "/l/*.log", "//l///a.log", 1 },
		{ "logs/*/a.log", "logs/x/a.log", 1 },
		{ "logs/*/a.log", "/logs/x/a.log", 0 },
		{ "*.log", "a.log", 1 },
		{ "/l/\\*.log", "/l/*.log", 1 },
		{ "/l/\\*.log", "/l/a.log", 0 },
		{ "/l/x\\y/a.log", "/l/xy/a.log", 1 },
		/* "." parts are no parts, in patterns as in paths. */
		{ "./l/*/a.log", "l/x/a.log", 1 },
		{ "./l/*/a.log", "./l/x/a.log", 1 },
		{ "/l/./*/a.log", "/l/x/./a.log", 1 },
	};
	struct pathpat *p;
	size_t		i;

	for (i = 0; i < NELEM(t); i++) {
		p = compile(t[i].pat);
		cr_expect_eq(pathpat_match(p, t[i].path), t[i].match,
		    "%s against %s", t[i].pat, t[i].path);
		pathpat_free(p);
	}
}

Test(pathpat, leads)
{
	static const struct {
		const char *pat;
		const char *dir;
		int	    leads;
	} t[] = {
		{ "/var/log/*/bot.log", "/", 1 },
		{ "/var/log/*/bot.log", "/var", 1 },
		{ "/var/log/*/bot.log", "/var/log", 1 },
		{ "/var/log/*/bot.log", "/var/log/a", 1 },
		{ "/var/log/*/bot.log", "/var/log/a/b", 0 },
		{ "/var/log/*/bot.log", "/var/log/.a", 0 },
		{ "/var/log/*/bot.log", "/etc", 0 },
		{ "/l/**/*.log", "/l", 1 },
		{ "/l/**/*.log", "/l/a/b/c", 1 },
		{ "/l/**/*.log", "/l/a/.b", 0 },
		{ "/l/**/x/*.log", "/l/a/x", 1 },
		{ "/l/*.log", "/l", 1 },
		{ "/l/*.log", "/l/a", 0 },
		{ "logs/*/a.log", ".", 1 },
		{ "logs/*/a.log", "logs/x", 1 },
	};
	struct pathpat *p;
	size_t		i;

	for (i = 0; i < NELEM(t); i++) {
		p = compile(t[i].pat);
		cr_expect_eq(pathpat_leads(p, t[i].dir), t[i].leads,
		    "%s under %s", t[i].pat, t[i].dir);
		pathpat_free(p);
	}
}

Test(pathpat, deep_and_refused)
{
	static const struct {
		const char *pat;
		int	    deep;
	} t[] = {
		{ "/var/log/bot.log", 0 },
		{ "/var/log/*.log", 0 },
		{ "/var/log/*/bot.log", 1 },
		{ "/var/**/bot.log", 1 },
		{ "/var/log/**", 1 },
		{ "/var/l?g/bot.log", 1 },
	};
	static const char *const bad[] = { "", "/var/log/", "/", ".", "./." };
	struct pathpat		*p;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < NELEM(t); i++) {
		p = compile(t[i].pat);
		cr_expect_eq(pathpat_deep(p), t[i].deep, "%s", t[i].pat);
		pathpat_free(p);
	}
	for (i = 0; i < NELEM(bad); i++) {
		err[0] = '\0';
		cr_expect_null(pathpat_new(bad[i], err, sizeof(err)), "%s",
		    bad[i]);
		cr_expect_not_null(strstr(err, "not a file name"), "%s", err);
	}
}

/* What a walk reported: "f NAME" and "d NAME", relative to dir. */
struct seen {
	struct buf b;
	size_t	   ndirs;
	size_t	   maxdirs;
};

static const char *
rel(const char *path)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) == 0)
		return path[n] == '\0' ? "." : path + n + 1;
	return path;
}

static void
seen_file(void *arg, const char *path)
{
	struct seen *s = arg;

	buf_printf(&s->b, "f %s\n", rel(path));
}

static int
seen_dir(void *arg, const char *path)
{
	struct seen *s = arg;

	if (s->maxdirs > 0 && s->ndirs >= s->maxdirs)
		return -1;
	s->ndirs++;
	buf_printf(&s->b, "d %s\n", rel(path));
	return 0;
}

static void
mk(const char *name)
{
	char path[512];

	tu_path(path, sizeof(path), dir, name);
	if (name[strlen(name) - 1] == '/')
		cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
	else
		tu_write_str(path, "x\n");
}

static void
ln(const char *target, const char *name)
{
	char path[512];

	tu_path(path, sizeof(path), dir, name);
	cr_assert_eq(symlink(target, path), 0, "%s", path);
}

/* pat, relative to dir, walked: what it reported, in order. */
static char *
walked(const char *pat, size_t maxdirs)
{
	struct pathpat_walk w;
	struct pathpat	   *p;
	struct seen	    s;
	char		    full[512];

	tu_path(full, sizeof(full), dir, pat);
	p = compile(full);
	memset(&s, 0, sizeof(s));
	buf_init(&s.b);
	s.maxdirs = maxdirs;
	w.file = seen_file;
	w.dir = seen_dir;
	w.arg = &s;
	pathpat_walk(p, &w);
	pathpat_free(p);
	buf_putc(&s.b, '\0');
	return buf_release(&s.b);
}

Test(pathpat, walk_a_tree)
{
	static const struct {
		const char *pat;
		size_t	    maxdirs;
		const char *want;
	} t[] = {
		{ "*/bot.log", 0,
		    "d .\n"
		    "d a\nf a/bot.log\n"
		    "d b\nf b/bot.log\n"
		    "d lnk\nf lnk/bot.log\n" },
		{ "a/*.log", 0, "d a\nf a/bot.log\nf a/x.log\n" },
		/* Each directory's own names, then those below it. */
		{ "**/*.log", 0,
		    "d .\nf top.log\n"
		    "d a\nf a/bot.log\nf a/x.log\n"
		    "d a/deep\nf a/deep/y.log\n"
		    "d a/deep/er\nf a/deep/er/z.log\n"
		    "d b\nf b/bot.log\n" },
		/* a/deep/er: as "er" after "**", and as a directory of it. */
		{ "**/er/*.log", 0,
		    "d .\nd a\nd a/deep\n"
		    "d a/deep/er\nf a/deep/er/z.log\n"
		    "d a/deep/er\n"
		    "d b\n" },
		{ "**/*.log", 2,
		    "d .\nf top.log\nd a\nf a/bot.log\nf a/x.log\n" },
		{ "nowhere/*/x.log", 0, "" },
		{ "*/.h*/*.log", 0,
		    "d .\nd a\nd a/.hidden\nf a/.hidden/h.log\n"
		    "d b\n"
		    "d lnk\nd lnk/.hidden\nf lnk/.hidden/h.log\n" },
	};
	char  *got;
	size_t i;

	mk("a/");
	mk("a/bot.log");
	mk("a/x.log");
	mk("a/x.txt");
	mk("a/deep/");
	mk("a/deep/y.log");
	mk("a/deep/er/");
	mk("a/deep/er/z.log");
	mk("a/.hidden/");
	mk("a/.hidden/h.log");
	mk("b/");
	mk("b/bot.log");
	mk("top.log");
	/* A link to a directory: followed by "*", not under "**". */
	ln("a", "lnk");
	for (i = 0; i < NELEM(t); i++) {
		got = walked(t[i].pat, t[i].maxdirs);
		cr_expect_str_eq(got, t[i].want, "%s:\n%s", t[i].pat, got);
		free(got);
	}
}
