/*
 * test_pattern.c: what the compile step decides of each pattern and rule,
 * read as the matcher reads it: the shapes that skip PCRE2 (and the near
 * misses that must not), the key mask, and regex errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pattern.h"
#include "rules.h"
#include "util.h"

static char errbuf[4096];

static struct ruleset *
parse(const char *text)
{
	return rules_parse("t.rules", text, strlen(text), errbuf,
	    sizeof(errbuf));
}

/*
 * Per pattern "KIND[ cap=NAME][ dotall][ nonempty][ lit=L]", cap being
 * the capture a PK_ALL pattern fills.
 */
static void
describe(const struct rule *r, struct buf *out)
{
	static const char *const kinds[] = { "regex", "all", "equal" };
	const struct pattern	*p;
	size_t			 i;

	buf_reset(out);
	buf_puts(out, "");
	for (i = 0; i < r->npats; i++) {
		p = &r->pats[i];
		buf_printf(out, "%s%s", i ? "; " : "", kinds[p->kind]);
		if (p->kind == PK_ALL && p->cap >= 0)
			buf_printf(out, " cap=%s", r->caps[p->cap].name);
		if (p->dotall)
			buf_puts(out, " dotall");
		if (p->nonempty)
			buf_puts(out, " nonempty");
		if (p->kind == PK_EQUAL)
			buf_printf(out, " lit=%.*s", (int)p->litlen, p->lit);
	}
}

Test(pattern, kinds)
{
	static const struct {
		const char *pat;
		const char *want;
	} c[] = {
		/* The whole value, captured. */
		{ "f /^(?<val>.*)$/", "all cap=val" },
		{ "f /^(?<val>.+)$/", "all cap=val nonempty" },
		{ "f /^(?<val>.*)$/s", "all cap=val dotall" },
		{ "f /^(?<v_2>.+)$/s", "all cap=v_2 dotall nonempty" },
		{ "f /^(?<v>.*)$/", "all cap=v" },
		/* Near misses: flags that change the meaning. */
		{ "f /^(?<val>.*)$/i", "regex" },
		{ "f /^(?<val>.*)$/m", "regex" },
		{ "f /^(?<val>.*)$/x", "regex" },
		/* Not the whole value, or not one group. */
		{ "f /^(?<val>.*)/", "regex" },
		{ "f /(?<val>.*)$/", "regex" },
		{ "f /^(?<val>.*?)$/", "regex" },
		{ "f /^(?<val>.*)x$/", "regex" },
		{ "f /^(?<val>.*)(?<w>.*)$/", "regex" },
		{ "f /^(?'val'.*)$/", "regex" },
		{ "f /^(?<val>.{0,})$/", "regex" },
		{ "f /^(?<val>.*)$$/", "regex" },
		{ "f /^(?<val>.)$/", "regex" },
		/* The value is a literal. */
		{ "f /^ERROR$/", "equal lit=ERROR" },
		{ "f /^$/", "equal lit=" },
		{ "f /^a b-c:d$/", "equal lit=a b-c:d" },
		{ "f /^ERROR$/i", "regex" },
		{ "f /^ERR.R$/", "regex" },
		{ "f /^ERR\\/OR$/", "regex" },
		{ "f /^E|R$/", "regex" },
		{ "f /^ERRORS?$/", "regex" },
		{ "f /^ERROR/", "regex" },
		{ "f /ERROR$/", "regex" },
		/* Whole-line patterns take the same shapes. */
		{ "/^(?<val>.*)$/", "all cap=val" },
		{ "/^done$/", "equal lit=done" },
	};
	struct ruleset *rs;
	struct buf	b, got;
	size_t		i;

	buf_init(&b);
	buf_init(&got);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_reset(&b);
		buf_printf(&b, "counter c\nrule r\n  match %s\n  inc c\n",
		    c[i].pat);
		rs = parse(b.p);
		cr_assert_not_null(rs, "%s: %s", c[i].pat, errbuf);
		describe(&rs->rules[0], &got);
		cr_expect_str_eq(got.p, c[i].want, "for %s", c[i].pat);
		rules_free(rs);
	}
	buf_free(&b);
	buf_free(&got);
}

/* The capture a PK_ALL pattern fills is its own, with others around. */
Test(pattern, all_fills_its_capture)
{
	struct ruleset *rs;
	struct buf	got;

	rs = parse("counter c\nrule r\n  match /(?<aa>x)/\n"
		   "  match f /^(?<bb>.*)$/\n  optional g /^(?<cc>.+)$/\n"
		   "  inc c\n");
	cr_assert_not_null(rs, "%s", errbuf);
	buf_init(&got);
	describe(&rs->rules[0], &got);
	cr_expect_str_eq(got.p, "regex; all cap=bb; all cap=cc nonempty");
	cr_expect_eq(rs->rules[0].pats[1].cap, 1);
	cr_expect_eq(rs->rules[0].pats[2].cap, 2);
	buf_free(&got);
	rules_free(rs);
}

/* Required field patterns make the key mask; optional ones do not. */
Test(pattern, keymask)
{
	struct ruleset *rs;
	uint64_t	want;

	rs = parse("counter c\nrule r\n  match severity /x/\n"
		   "  match \"a b\" /y/\n  optional type /z/\n  inc c\n"
		   "rule s\n  match /x/\n  inc c\n");
	cr_assert_not_null(rs, "%s", errbuf);
	want = json_key_bit("severity", 8) | json_key_bit("a b", 3);
	cr_expect_eq(rs->rules[0].plan.keymask, want);
	cr_expect_eq(rs->rules[0].plan.json, 1);
	cr_expect_eq(rs->rules[1].plan.keymask, 0);
	cr_expect_eq(rs->rules[1].plan.json, 0);
	rules_free(rs);
}

Test(pattern, regex_errors)
{
	char	    err[200];
	pcre2_code *re;

	re = pattern_regex("a(b", 3, 0, err, sizeof(err));
	cr_expect_null(re);
	cr_expect_str_eq(err,
	    "invalid regex: missing closing parenthesis at offset 3");
	re = pattern_regex("a\\", 2, 0, err, sizeof(err));
	cr_expect_null(re);
	cr_expect_str_eq(err,
	    "invalid regex: \\ at end of pattern at offset 2");
	/* A NUL byte is part of the regex, not its end. */
	re = pattern_regex("a\0b", 3, 0, err, sizeof(err));
	cr_assert_not_null(re);
	pcre2_code_free(re);
}

/* Names come in group order, whatever the name table's order. */
Test(pattern, names_in_group_order)
{
	char	    err[200];
	const char *name = NULL;
	pcre2_code *re;
	int	    g;

	re = pattern_regex("(?<zz>a)(b)(?<aa>c)(?<mm>d)", 27, 0, err,
	    sizeof(err));
	cr_assert_not_null(re, "%s", err);
	g = pattern_next_name(re, 0, &name);
	cr_expect(g == 1 && strcmp(name, "zz") == 0);
	g = pattern_next_name(re, g, &name);
	cr_expect(g == 3 && strcmp(name, "aa") == 0);
	g = pattern_next_name(re, g, &name);
	cr_expect(g == 4 && strcmp(name, "mm") == 0);
	cr_expect_eq(pattern_next_name(re, g, &name), 0);
	cr_expect_eq(pattern_ts_group(re), 1);
	pcre2_code_free(re);
	re = pattern_regex("(a)(?<ts>b)", 11, 0, err, sizeof(err));
	cr_assert_not_null(re, "%s", err);
	cr_expect_eq(pattern_ts_group(re), 2);
	pcre2_code_free(re);
	re = pattern_regex("(?:a)", 5, 0, err, sizeof(err));
	cr_assert_not_null(re, "%s", err);
	cr_expect_eq(pattern_ts_group(re), 0);
	pcre2_code_free(re);
}

/* Replacements: every "$" form PCRE2 reads, against the regex's groups. */
Test(pattern, replacements)
{
	static const struct {
		const char *repl;
		const char *want; /* "" when accepted, else "OFF: message" */
	} c[] = {
		{ "/:id", "" },
		{ "", "" },
		{ "$$", "" },
		{ "a$$1", "" },
		{ "$0", "" },
		{ "$1", "" },
		{ "$1x", "" },
		{ "${1}0", "" },
		{ "$id-$1", "" },
		{ "${id}s", "" },
		{ "$2", "0: no group 2 in the regex (it has 1)" },
		{ "x${2}", "1: no group 2 in the regex (it has 1)" },
		{ "$99999999999",
		    "0: no group 99999999999 in the regex (it has 1)" },
		{ "$idx", "0: no group named 'idx' in the regex" },
		{ "${ID}", "0: no group named 'ID' in the regex" },
		{ "$",
		    "0: '$' not followed by a group: write $$ for a dollar sign" },
		{ "ab$",
		    "2: '$' not followed by a group: write $$ for a dollar sign" },
		{ "$-",
		    "0: '$' not followed by a group: write $$ for a dollar sign" },
		{ "${1",
		    "0: '$' not followed by a group: write $$ for a dollar sign" },
		{ "${}",
		    "0: '$' not followed by a group: write $$ for a dollar sign" },
		{ "$*MARK",
		    "0: '$' not followed by a group: write $$ for a dollar sign" },
	};
	char	    err[200], got[256];
	size_t	    i, off;
	pcre2_code *re;

	re = pattern_regex("(?<id>[0-9]+)", 13, 0, err, sizeof(err));
	cr_assert_not_null(re, "%s", err);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		off = 0;
		if (pattern_replacement(re, c[i].repl, strlen(c[i].repl), err,
			sizeof(err), &off) == 0)
			got[0] = '\0';
		else
			snprintf(got, sizeof(got), "%zu: %s", off, err);
		cr_expect_str_eq(got, c[i].want, "for \"%s\"", c[i].repl);
	}
	pcre2_code_free(re);
}
