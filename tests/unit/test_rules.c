/*
 * test_rules.c: the rules parser. Hostile input first, then every error
 * message compared whole, then what correct rule sets turn into, the
 * shipped rule sets included. Run from the repository's root.
 */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "rules.h"
#include "testutil.h"
#include "util.h"

static char errbuf[1 << 16];

static struct ruleset *
parse_len(const char *text, size_t len)
{
	memcpy(errbuf, "unset", 6);
	return rules_parse("t.rules", text, len, errbuf, sizeof(errbuf));
}

static struct ruleset *
parse(const char *text)
{
	return parse_len(text, strlen(text));
}

/* Parses text that must be rejected with exactly want. */
static void
reject_n(const char *text, size_t len, const char *want)
{
	struct ruleset *rs;

	rs = parse_len(text, len);
	cr_expect_null(rs, "accepted: %.200s", text);
	cr_expect_str_eq(errbuf, want,
	    "for input:\n%.200s\ngot:\n%s\n"
	    "want:\n%s",
	    text, errbuf, want);
	rules_free(rs);
}

static void
reject(const char *text, const char *want)
{
	reject_n(text, strlen(text), want);
}

/* Parses text that must be accepted; the caller frees. */
static struct ruleset *
accept(const char *text)
{
	struct ruleset *rs;

	rs = parse(text);
	cr_assert_not_null(rs, "rejected:\n%s\nwith:\n%s", text, errbuf);
	cr_assert_str_eq(errbuf, "");
	return rs;
}

static char *
repeat(const char *head, int c, size_t n, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char  *s;

	s = xmalloc(hl + n + tl + 1);
	memcpy(s, head, hl);
	memset(s + hl, c, n);
	memcpy(s + hl + n, tail, tl + 1);
	return s;
}

/* ---- hostile input ---------------------------------------------------- */

TestSuite(rules_hostile);

Test(rules_hostile, unterminated_string_and_regex)
{
	reject("counter c\n  help \"abc\n", "t.rules:2:8: unterminated string");
	reject("counter c\n  help \"abc\\", "t.rules:2:8: unterminated string");
	reject("counter c\n  help \"abc\\\n",
	    "t.rules:2:8: unterminated string");
	reject("counter c\nrule r\n  match /x/\n  match /abc\n  inc c\n",
	    "t.rules:4:9: unterminated regex");
	reject("counter c\nrule r\n  match /x/\n  match /abc\\/\n  inc c\n",
	    "t.rules:4:9: unterminated regex");
	reject("counter c\nrule r\n  match /x/\n  match /abc",
	    "t.rules:4:9: unterminated regex");
}

Test(rules_hostile, nul_bytes)
{
	static const char top[] = "counter c\0\n";
	static const char str[] = "counter c\n  help \"a\0b\"\n";
	static const char re[] = "counter c\nrule r\n  match /a\0b/\n"
				 "  inc c\n";
	static const char esc[] = "counter c\nrule r\n  match /a\\\0b/\n"
				  "  inc c\n";
	static const char sesc[] = "counter c\n  help \"a\\\0\"\n";
	static const char cmt[] = "counter c # a \0 in a comment\n";
	struct ruleset	 *rs;

	reject_n(top, sizeof(top) - 1, "t.rules:1:10: unexpected byte 0x00");
	reject_n(str, sizeof(str) - 1, "t.rules:2:10: NUL byte in string");
	reject_n(re, sizeof(re) - 1, "t.rules:3:11: NUL byte in regex");
	reject_n(esc, sizeof(esc) - 1, "t.rules:3:12: NUL byte in regex");
	reject_n(sesc, sizeof(sesc) - 1,
	    "t.rules:2:10: invalid escape '\\\\x00' in string");
	rs = parse_len(cmt, sizeof(cmt) - 1);
	cr_expect_not_null(rs, "%s", errbuf);
	rules_free(rs);
}

Test(rules_hostile, one_mebibyte_lines)
{
	const size_t	mib = 1 << 20;
	struct ruleset *rs;
	char	       *s;

	s = repeat("counter ", 'a', mib, "\n");
	reject(s, "t.rules:1:9: word too long (1048576 bytes, at most 255)");
	free(s);
	s = repeat("counter c\n  help \"", 'a', mib, "\"\n");
	reject(s, "t.rules:2:8: string too long (at most 65536 bytes)");
	free(s);
	s = repeat("counter c\nrule r\n  match /", 'a', mib, "/\n  inc c\n");
	reject(s, "t.rules:3:9: regex too long (at most 65536 bytes)");
	free(s);
	s = repeat("histogram h\n  buckets ", '9', mib, "\n");
	reject(s, "t.rules:2:11: number too long (1048576 bytes, at most 255)");
	free(s);
	s = repeat("counter c ", '%', mib, "\n");
	reject(s, "t.rules:1:11: unexpected character '%'");
	free(s);
	s = repeat("counter c\n#", 'x', mib, "\ngauge g\n");
	rs = parse(s);
	cr_expect_not_null(rs, "%s", errbuf);
	cr_expect_eq(rs ? rs->ndecls : 0, 2);
	rules_free(rs);
	free(s);
	s = repeat("counter c\n", ' ', mib, "gauge g\n");
	rs = parse(s);
	cr_expect_not_null(rs, "%s", errbuf);
	rules_free(rs);
	free(s);
}

/* A long flat expression is fine: only nesting is bounded. */
Test(rules_hostile, long_flat_expression)
{
	struct buf	b;
	struct ruleset *rs;
	size_t		i;

	buf_init(&b);
	buf_puts(&b, "counter c\nrule r\n  match /(?<n>x)/\n  add c 1");
	for (i = 0; i < 200000; i++)
		buf_puts(&b, "+$n");
	buf_puts(&b, "\n");
	rs = parse_len(b.p, b.len);
	cr_assert_not_null(rs, "%s", errbuf);
	cr_expect_eq(rs->rules[0].acts[0].value.len, 1 + 2 * 200000);
	cr_expect_eq(rs->rules[0].acts[0].value.n[1].op, EXPR_CAP);
	cr_expect_eq(rs->rules[0].acts[0].value.n[2].op, EXPR_ADD);
	rules_free(rs);
	buf_free(&b);
}

Test(rules_hostile, deep_nesting)
{
	static const char head[] = "counter c\nrule r\n  match /x/\n"
				   "  add c ";
	struct ruleset	 *rs;
	char		 *s, *t;
	size_t		  n;

	/* 64 levels of parentheses are fine, 65 are not. */
	s = repeat(head, '(', 64, "1");
	t = repeat(s, ')', 64, "\n");
	rs = parse(t);
	cr_expect_not_null(rs, "%s", errbuf);
	rules_free(rs);
	free(s);
	free(t);
	s = repeat(head, '(', 65, "1");
	t = repeat(s, ')', 65, "\n");
	reject(t,
	    "t.rules:4:73: expression nested too deeply "
	    "(at most 64 levels)");
	free(s);
	free(t);
	/* A million of them, and a million minus signs. */
	n = 1 << 20;
	s = repeat(head, '(', n, "1\n");
	reject(s,
	    "t.rules:4:73: expression nested too deeply "
	    "(at most 64 levels)");
	free(s);
	s = repeat(head, '-', n, "1\n");
	reject(s,
	    "t.rules:4:73: expression nested too deeply "
	    "(at most 64 levels)");
	free(s);
	s = repeat(head, '-', 64, "1\n");
	rs = parse(s);
	cr_assert_not_null(rs, "%s", errbuf);
	cr_expect_eq(rs->rules[0].acts[0].value.len, 65);
	rules_free(rs);
	free(s);
	s = repeat(head, '-', 65, "1\n");
	reject(s,
	    "t.rules:4:73: expression nested too deeply "
	    "(at most 64 levels)");
	free(s);
}

Test(rules_hostile, huge_numbers)
{
	struct ruleset *rs;
	char	       *s;

	reject("histogram h\n  buckets 1e999\n",
	    "t.rules:2:11: number out of range: '1e999'");
	reject("histogram h\n  buckets -1e999\n",
	    "t.rules:2:11: number out of range: '-1e999'");
	reject("histogram h\n  buckets 1e-400\n",
	    "t.rules:2:11: number out of range: '1e-400'");
	reject("gauge g\nfreshness f of g\n  stale_after 1e306d\n",
	    "t.rules:3:15: number out of range: '1e306d'");
	reject("counter c\nrule r\n  match /x/\n  add c 1e400\n",
	    "t.rules:4:9: number out of range: '1e400'");
	s = repeat("histogram h\n  buckets 1", '0', 400, "\n");
	reject(s,
	    "t.rules:2:11: number too long (401 bytes, "
	    "at most 255)");
	free(s);
	/* 255 bytes are fine. */
	s = repeat("histogram h\n  buckets 1", '0', 254, "\n");
	rs = parse(s);
	cr_assert_not_null(rs, "%s", errbuf);
	cr_expect_eq(rs->decls[0].buckets[0], 1e254);
	rules_free(rs);
	free(s);
	s = repeat("histogram h\n  buckets 0.", '0', 250, "1\n");
	rs = parse(s);
	cr_assert_not_null(rs, "%s", errbuf);
	cr_expect_eq(rs->decls[0].buckets[0], 1e-251);
	rules_free(rs);
	free(s);
}

Test(rules_hostile, invalid_regexes)
{
	reject("counter c\nrule r\n  match /(abc/\n  inc c\n",
	    "t.rules:3:9: invalid regex: missing closing parenthesis at "
	    "offset 4");
	reject("counter c\nrule r\n  match f /a{2,1}/\n  inc c\n",
	    "t.rules:3:11: invalid regex: numbers out of order in {} "
	    "quantifier at offset 5");
	reject("timestamp /[/ epoch_s\ncounter c\n",
	    "t.rules:1:11: invalid regex: missing terminating ] for "
	    "character class at offset 1");
	reject("counter c\nrule r\n  match /\\/\n  inc c\n",
	    "t.rules:3:9: unterminated regex");
	reject("counter c\nrule r\n  match /a\\\n  inc c\n",
	    "t.rules:3:9: unterminated regex");
	reject("counter c\nrule r\n  match /x/\n  match /a/xq\n  inc c\n",
	    "t.rules:4:13: unknown regex flag 'q': expected i, s, x or "
	    "m");
}

Test(rules_hostile, names_too_long)
{
	struct ruleset *rs;
	char	       *s, *t;

	s = repeat("counter ", 'm', 256, "\n");
	reject(s, "t.rules:1:9: word too long (256 bytes, at most 255)");
	free(s);
	s = repeat("counter ", 'm', 255, "\n");
	rs = parse(s);
	cr_expect_not_null(rs, "%s", errbuf);
	rules_free(rs);
	free(s);
	s = repeat("counter c\nrule r\n  match /(?<n>x)/\n  add c $", 'n', 256,
	    "\n");
	reject(s, "t.rules:4:9: word too long (256 bytes, at most 255)");
	free(s);
	s = repeat("counter c\nrule r\n  match \"", 'f', 256,
	    "\" /x/\n"
	    "  inc c\n");
	reject(s, "t.rules:3:9: field name too long (256 bytes, at most 255)");
	free(s);
	s = repeat("counter c\n  labels ", 'l', 300, "\n");
	reject(s, "t.rules:2:10: word too long (300 bytes, at most 255)");
	free(s);
	/* A named group name longer than PCRE2 takes. */
	s = repeat("counter c\nrule r\n  match /(?<", 'g', 200,
	    ">x)/\n"
	    "  inc c\n");
	rs = parse(s);
	cr_expect_null(rs);
	t = strstr(errbuf,
	    "t.rules:3:9: invalid regex: subpattern name is "
	    "too long");
	cr_expect_not_null(t, "%s", errbuf);
	rules_free(rs);
	free(s);
}

/* ---- every error message, whole ----------------------------------------- */

struct errcase {
	const char *text;
	const char *err;
};

static void
reject_table(const struct errcase *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		reject(c[i].text, c[i].err);
}

TestSuite(rules_errors);

Test(rules_errors, lexical)
{
	static const struct errcase c[] = {
		{ "counter c\n  help \"a\\qb\"\n",
		    "t.rules:2:10: invalid escape '\\q' in string" },
		{ "counter c\n  help \"a\\'b\"\n",
		    "t.rules:2:10: invalid escape '\\'' in string" },
		{ "counter c\n  help \"\\\xff\"\n",
		    "t.rules:2:9: invalid escape '\\\\xff' in string" },
		{ "counter c%\n", "t.rules:1:10: unexpected character '%'" },
		{ "counter \xff\n", "t.rules:1:9: unexpected byte 0xff" },
		{ "counter c\n  help \"x\" !\n",
		    "t.rules:2:12: unexpected character '!'" },
		{ "counter c\nrule r\n  match /(?<n>x)/\n  add c $ + 1\n",
		    "t.rules:4:9: expected capture name after '$'" },
		{ "counter c\nrule r\n  match /(?<n>x)/\n  add c $1\n",
		    "t.rules:4:9: expected capture name after '$'" },
		{ "counter c\nrule r\n  match /x/\n  add c @now\n",
		    "t.rules:4:9: unknown variable '@now': the only one is "
		    "@time" },
		{ "counter c\nrule r\n  match /x/\n  add c @\n",
		    "t.rules:4:9: unknown variable '@': the only one is @time" },
		{ "counter c\nrule r\n  match /x/m5\n  inc c\n",
		    "t.rules:3:13: expected end of line, found '5'" },
	};

	reject_table(c, NELEM(c));
}

Test(rules_errors, syntax)
{
	static const struct errcase c[] = {
		{ "frobnicate x\n",
		    "t.rules:1:1: expected statement, found 'frobnicate'" },
		{ "\"counter\" x\n",
		    "t.rules:1:1: expected statement, found string "
		    "\"counter\"" },
		{ "  env x\n", "t.rules:1:3: expected statement, found 'env'" },
		{ "counter c\n  42\n",
		    "t.rules:2:3: expected statement, found '42'" },
		{ "label\ncounter c\n",
		    "t.rules:1:6: expected label name, found end of line" },
		{ "label a \"x\"\ncounter c\n",
		    "t.rules:1:9: expected '=', found string \"x\"" },
		{ "label a = x\ncounter c\n",
		    "t.rules:1:11: expected string or 'env', found 'x'" },
		{ "label a = env\ncounter c\n",
		    "t.rules:1:14: expected environment variable name, found "
		    "end of line" },
		{ "label a = env V maps\ncounter c\n",
		    "t.rules:1:17: expected 'map' or end of line, found 'maps'" },
		{ "label a = env V map\ncounter c\n",
		    "t.rules:1:20: expected map key, found end of line" },
		{ "label a = env V map x=y,\ncounter c\n",
		    "t.rules:1:25: expected map key, found end of line" },
		{ "label a = env V map x=y, (\ncounter c\n",
		    "t.rules:1:26: expected map key, found '('" },
		{ "label a = env V map x y\ncounter c\n",
		    "t.rules:1:23: expected '=', found 'y'" },
		{ "label a = env V map x=*\ncounter c\n",
		    "t.rules:1:23: expected map value, found '*'" },
		{ "label a = \"x\" y\ncounter c\n",
		    "t.rules:1:15: expected end of line, found 'y'" },
		{ "timestamp\ncounter c\n",
		    "t.rules:1:10: expected field name or regex, found end of "
		    "line" },
		{ "timestamp time\ncounter c\n",
		    "t.rules:1:15: expected timestamp format, found end of "
		    "line" },
		{ "timestamp time epoch_ms x\ncounter c\n",
		    "t.rules:1:25: expected end of line, found 'x'" },
		{ "counter\n",
		    "t.rules:1:8: expected metric name, found end of line" },
		{ "counter \"c\"\n",
		    "t.rules:1:9: expected metric name, found string \"c\"" },
		{ "counter c d\n",
		    "t.rules:1:11: expected end of line, found 'd'" },
		{ "gauge g\nfreshness f\n",
		    "t.rules:2:12: expected 'of', found end of line" },
		{ "gauge g\nfreshness f from g\n",
		    "t.rules:2:13: expected 'of', found 'from'" },
		{ "gauge g\nfreshness f of\n",
		    "t.rules:2:15: expected gauge name, found end of line" },
		{ "gauge g\nfreshness f of g h\n",
		    "t.rules:2:18: expected end of line, found 'h'" },
		{ "counter c\n  help\n",
		    "t.rules:2:7: expected string, found end of line" },
		{ "counter c\n  help text\n",
		    "t.rules:2:8: expected string, found 'text'" },
		{ "counter c\n  help \"a\" \"b\"\n",
		    "t.rules:2:12: expected end of line, found string \"b\"" },
		{ "counter c\n  labels\n",
		    "t.rules:2:9: expected label name, found end of line" },
		{ "counter c\n  labels a, b\n",
		    "t.rules:2:11: expected label name or end of line, found "
		    "','" },
		{ "histogram h\n  buckets\n",
		    "t.rules:2:10: expected number, found end of line" },
		{ "histogram h\n  buckets 1 two\n",
		    "t.rules:2:13: expected number or end of line, found "
		    "'two'" },
		{ "histogram h\n  buckets 1 2xx\n",
		    "t.rules:2:13: expected number or end of line, found "
		    "'2xx'" },
		{ "histogram h\n  buckets 1 5s\n",
		    "t.rules:2:13: expected number or end of line, found '5s'" },
		{ "gauge g\n  labels a\n  series\n",
		    "t.rules:3:9: expected label name, found end of line" },
		{ "gauge g\n  labels a\n  series a\n",
		    "t.rules:3:11: expected '=', found end of line" },
		{ "gauge g\n  labels a\n  series a=\n",
		    "t.rules:3:12: expected label value, found end of line" },
		{ "gauge g\n  labels a\n  series a=x,\n",
		    "t.rules:3:13: expected label name or end of line, found "
		    "','" },
		{ "gauge g\nfreshness f of g\n  stale_after\n",
		    "t.rules:3:14: expected duration, found end of line" },
		{ "gauge g\nfreshness f of g\n  stale_after soon\n",
		    "t.rules:3:15: expected duration, found 'soon'" },
		{ "gauge g\nfreshness f of g\n  stale_after -5m\n",
		    "t.rules:3:15: expected duration, found '-'" },
		{ "gauge g\nfreshness f of g\n  stale_after 5m 6m\n",
		    "t.rules:3:18: expected end of line, found '6m'" },
		{ "gauge g\nfreshness f of g\n  stale_after 5x\n",
		    "t.rules:3:15: expected duration, found '5x'" },
		{ "gauge g\nfreshness f of g\n  threshold\n",
		    "t.rules:3:12: expected label name, found end of line" },
		{ "gauge g\nfreshness f of g\n  threshold a 5s\n",
		    "t.rules:3:15: expected '=', found '5s'" },
		{ "gauge g\nfreshness f of g\n  threshold a=\n",
		    "t.rules:3:15: expected label value, found end of line" },
		{ "gauge g\nfreshness f of g\n  threshold a= 5s\n",
		    "t.rules:3:18: expected duration, found end of line" },
		{ "gauge g\nfreshness f of g\n  threshold a=b\n",
		    "t.rules:3:16: expected duration, found end of line" },
		{ "gauge g\nfreshness f of g\n  threshold a=b 5s 6s\n",
		    "t.rules:3:20: expected end of line, found '6s'" },
		{ "rule\n",
		    "t.rules:1:5: expected rule name, found end of line" },
		{ "counter c\nrule r s\n",
		    "t.rules:2:8: expected end of line, found 's'" },
		{ "counter c\nrule r\n  match /x/\n  inc c\n  prefilter\n",
		    "t.rules:5:12: expected string, found end of line" },
		{ "counter c\nrule r\n  match /x/\n  inc c\n  prefilter x\n",
		    "t.rules:5:13: expected string, found 'x'" },
		{ "counter c\nrule r\n  match /x/\n  inc c\n"
		  "  prefilter \"x\" y\n",
		    "t.rules:5:17: expected end of line, found 'y'" },
		{ "counter c\nrule r\n  match /x/\n  match\n  inc c\n",
		    "t.rules:4:8: expected field name or regex, found end of "
		    "line" },
		{ "counter c\nrule r\n  match /x/\n  match f\n  inc c\n",
		    "t.rules:4:10: expected regex, found end of line" },
		{ "counter c\nrule r\n  match /x/\n  match f \"x\"\n  inc c\n",
		    "t.rules:4:11: expected regex, found string \"x\"" },
		{ "counter c\nrule r\n  match /x/\n  match $f /x/\n  inc c\n",
		    "t.rules:4:9: expected field name or regex, found '$f'" },
		{ "counter c\nrule r\n  match /x/ y\n  inc c\n",
		    "t.rules:3:13: expected end of line, found 'y'" },
		{ "counter c\nrule r\n  match /x/\n  inc\n",
		    "t.rules:4:6: expected metric name, found end of line" },
		{ "counter c\nrule r\n  match /x/\n  inc c 1\n",
		    "t.rules:4:9: expected label, 'exemplar', 'if' or end of "
		    "line, found '1'" },
		{ "counter c\nrule r\n  match /x/\n  add c\n",
		    "t.rules:4:8: expected number, $capture, @time, '(' or '-', "
		    "found end of line" },
		{ "counter c\nrule r\n  match /x/\n  add c +1\n",
		    "t.rules:4:9: expected number, $capture, @time, '(' or '-', "
		    "found '+'" },
		{ "counter c\nrule r\n  match /x/\n  add c 2 *\n",
		    "t.rules:4:12: expected number, $capture, @time, '(' or '-', "
		    "found end of line" },
		{ "counter c\nrule r\n  match /x/\n  add c 5m\n",
		    "t.rules:4:9: expected number, $capture, @time, '(' or '-', "
		    "found '5m'" },
		{ "counter c\nrule r\n  match /x/\n  add c (1 + 2\n",
		    "t.rules:4:15: expected operator or ')', found end of "
		    "line" },
		{ "counter c\nrule r\n  match /x/\n  add c 1 2\n",
		    "t.rules:4:11: expected operator, label, 'exemplar', 'if' or "
		    "end of line, found '2'" },
		{ "counter c\nrule r\n  match /x/\n  add c 1)\n",
		    "t.rules:4:10: expected operator, label, 'exemplar', 'if' or "
		    "end of line, found ')'" },
		{ "counter c\nrule r\n  match /x/\n  inc c a\n",
		    "t.rules:4:10: expected '=', found end of line" },
		{ "counter c\nrule r\n  match /x/\n  inc c a=\n",
		    "t.rules:4:11: expected $capture, string or word, found end "
		    "of line" },
		{ "counter c\nrule r\n  match /x/\n  inc c a=(\n",
		    "t.rules:4:11: expected $capture, string or word, found "
		    "'('" },
		{ "counter c\nrule r\n  match /x/\n  inc c if\n",
		    "t.rules:4:11: expected $capture, found end of line" },
		{ "counter c\nrule r\n  match /x/\n  inc c if \"a\" == \"b\"\n",
		    "t.rules:4:12: expected $capture, found string \"a\"" },
		{ "counter c\nrule r\n  match /(?<a>x)/\n"
		  "  inc c if $a = \"b\"\n",
		    "t.rules:4:15: expected '==' or '!=', found '='" },
		{ "counter c\nrule r\n  match /(?<a>x)/\n  inc c if $a ==\n",
		    "t.rules:4:17: expected string or word, found end of line" },
		{ "counter c\nrule r\n  match /(?<a>x)/\n"
		  "  inc c if $a == b c\n",
		    "t.rules:4:20: expected 'exemplar' or end of line, found 'c'" },
		{ "counter c\nrule r\n  match /(?<a>x)/\n"
		  "  inc c if $a == b a=\"x\"\n",
		    "t.rules:4:20: expected 'exemplar' or end of line, found 'a'" },
	};

	reject_table(c, NELEM(c));
}

Test(rules_errors, found_is_quoted_and_cut)
{
	static const char text[] =
	    "counter c\n  help "
	    "\"0123456789012345678901234567890123456789\" \"\x01\"\n";

	reject_n(text, sizeof(text) - 1,
	    "t.rules:2:51: expected end of line, "
	    "found string \"\\x01\"");
	reject("counter c\n  help x0123456789012345678901234567890123456789\n",
	    "t.rules:2:8: expected string, found "
	    "'x0123456789012345678901234567890...'");
}

Test(rules_errors, statements_in_the_wrong_block)
{
	static const struct errcase c[] = {
		{ "help \"x\"\ncounter c\n",
		    "t.rules:1:1: 'help' outside a metric or freshness block" },
		{ "counter c\nrule r\n  match /x/\n  inc c\n  help \"x\"\n",
		    "t.rules:5:3: 'help' outside a metric or freshness block" },
		{ "counter c\nlabel a = \"b\"\n  help \"x\"\n",
		    "t.rules:3:3: 'help' outside a metric or freshness block" },
		{ "gauge g\nfreshness f of g\n  labels a\n",
		    "t.rules:3:3: 'labels' outside a counter, gauge or histogram "
		    "block" },
		{ "gauge g\n  labels a\nfreshness f of g\n  series a=b\n",
		    "t.rules:4:3: 'series' outside a counter, gauge or "
		    "histogram block" },
		{ "counter c\n  buckets 1 2\nrule r\n  match /x/\n  inc c\n"
		  "  buckets 1\n",
		    "t.rules:2:3: 'c' is a counter: only a histogram has "
		    "buckets\n"
		    "t.rules:6:3: 'buckets' outside a counter, gauge or "
		    "histogram block" },
		{ "gauge g\n  stale_after 5m\n",
		    "t.rules:2:3: 'stale_after' outside a freshness block" },
		{ "gauge g\n  threshold a=b 5m\n",
		    "t.rules:2:3: 'threshold' outside a freshness block" },
		{ "counter c\n  match /x/\n",
		    "t.rules:2:3: 'match' outside a rule block" },
		{ "counter c\n  optional /x/\n",
		    "t.rules:2:3: 'optional' outside a rule block" },
		{ "counter c\n  prefilter \"x\"\n",
		    "t.rules:2:3: 'prefilter' outside a rule block" },
		{ "counter c\n  inc c\n",
		    "t.rules:2:3: 'inc' outside a rule block" },
		{ "gauge g\n  add g 1\n  set g 1\n  observe g 1\n",
		    "t.rules:2:3: 'add' outside a rule block\n"
		    "t.rules:3:3: 'set' outside a rule block\n"
		    "t.rules:4:3: 'observe' outside a rule block" },
		{ "counter c\ntimestamp t epoch_s\n  inc c\n",
		    "t.rules:3:3: 'inc' outside a rule block" },
	};

	reject_table(c, NELEM(c));
}

/* A block whose opening line is wrong swallows its lines silently. */
Test(rules_errors, broken_block)
{
	reject("counter\n  help \"x\"\n  labels a\ngauge g\n  help 5\n",
	    "t.rules:1:8: expected metric name, found end of line\n"
	    "t.rules:5:8: expected string, found '5'");
	reject("counter c\nrule\n  match /x/\n  inc c\n",
	    "t.rules:2:5: expected rule name, found end of line");
}

Test(rules_errors, declarations)
{
	static const struct errcase c[] = {
		{ "label a-b = \"x\"\ncounter c\n",
		    "t.rules:1:7: invalid label name 'a-b': expected "
		    "[a-zA-Z_][a-zA-Z0-9_]*" },
		{ "label __a = \"x\"\ncounter c\n",
		    "t.rules:1:7: label name '__a' is reserved: it starts with "
		    "__" },
		{ "label le = \"x\"\ncounter c\n",
		    "t.rules:1:7: label name 'le' is reserved for histogram "
		    "buckets" },
		{ "label a = \"x\"\nlabel a = \"y\"\ncounter c\n",
		    "t.rules:2:7: default label 'a' declared twice" },
		{ "counter c\n  labels x a\nlabel a = \"x\"\n",
		    "t.rules:3:7: default label 'a' is also a label of metric "
		    "'c'" },
		{ "label a = \"x\"\ncounter c\n  labels x a\n",
		    "t.rules:3:12: 'a' is a default label: it is on every "
		    "series already" },
		{ "counter c\n  labels a b.c\n",
		    "t.rules:2:12: invalid label name 'b.c': expected "
		    "[a-zA-Z_][a-zA-Z0-9_]*" },
		{ "counter c\n  labels __name__\n",
		    "t.rules:2:10: label name '__name__' is reserved: it starts "
		    "with __" },
		{ "histogram h\n  labels le\n",
		    "t.rules:2:10: label name 'le' is reserved for histogram "
		    "buckets" },
		{ "counter c\n  labels a b a\n",
		    "t.rules:2:14: label 'a' listed twice" },
		{ "counter c\n  labels a\n  labels b\n",
		    "t.rules:3:3: labels given twice for 'c'" },
		{ "counter c\n  native\n",
		    "t.rules:2:3: 'c' is a counter: only a histogram has "
		    "native buckets" },
		{ "gauge g\n  native_factor 2\n",
		    "t.rules:2:3: 'g' is a gauge: only a histogram has "
		    "native buckets" },
		{ "histogram h\n  native_factor 2\n  native\n",
		    "t.rules:2:3: native_factor before native in 'h': write "
		    "native first" },
		{ "histogram h\n  native\n  native\n",
		    "t.rules:3:3: native given twice for 'h'" },
		{ "histogram h\n  native yes\n",
		    "t.rules:2:10: expected end of line, found 'yes'" },
		{ "histogram h\n  native\n  native_factor 1\n",
		    "t.rules:3:17: native_factor must be a number above 1, the "
		    "largest ratio between two bucket bounds" },
		{ "histogram h\n  native\n  native_factor -3\n",
		    "t.rules:3:17: native_factor must be a number above 1, the "
		    "largest ratio between two bucket bounds" },
		{ "histogram h\n  native\n  native_factor 1.1 1.2\n",
		    "t.rules:3:21: expected end of line, found '1.2'" },
		{ "histogram h\n  native\n  native_factor 2\n"
		  "  native_factor 2\n",
		    "t.rules:4:3: native_factor given twice for 'h'" },
		{ "histogram h\n  native\n  native_max_buckets 0\n",
		    "t.rules:3:22: native_max_buckets must be a whole number "
		    "from 1 to 65536" },
		{ "histogram h\n  native\n  native_max_buckets 2.5\n",
		    "t.rules:3:22: native_max_buckets must be a whole number "
		    "from 1 to 65536" },
		{ "histogram h\n  native\n  native_max_buckets 65537\n",
		    "t.rules:3:22: native_max_buckets must be a whole number "
		    "from 1 to 65536" },
		{ "histogram h\n  native\n  native_zero_threshold -1e-9\n",
		    "t.rules:3:25: native_zero_threshold must be a number, 0 "
		    "or above" },
		{ "histogram h\n  native\n  native_zero_threshold x\n",
		    "t.rules:3:25: expected number, found 'x'" },
		{ "counter c\n  help \"a\"\n  help \"b\"\n",
		    "t.rules:3:3: help given twice for 'c'" },
		{ "gauge g\nfreshness f of g\n  help \"a\"\n  help \"b\"\n",
		    "t.rules:4:3: help given twice for 'f'" },
		{ "counter a.b\n",
		    "t.rules:1:9: invalid metric name 'a.b': expected "
		    "[a-zA-Z_:][a-zA-Z0-9_:]*" },
		{ "gauge a-b\n",
		    "t.rules:1:7: invalid metric name 'a-b': expected "
		    "[a-zA-Z_:][a-zA-Z0-9_:]*" },
		{ "counter c\ngauge c\n",
		    "t.rules:2:7: metric 'c' already declared at t.rules:1" },
		{ "gauge g\nfreshness g of g\n",
		    "t.rules:2:11: metric 'g' already declared at t.rules:1" },
		{ "gauge g\n  help \"x\"\nhistogram h\n  buckets 1 1\n",
		    "t.rules:4:13: bucket 1 is not greater than 1" },
		{ "histogram h\n  buckets -1 0.5 .25\n",
		    "t.rules:2:18: bucket .25 is not greater than 0.5" },
		{ "histogram h\n  buckets 1\n  buckets 2\n",
		    "t.rules:3:3: buckets given twice for 'h'" },
		{ "gauge g\n  series a=b\n",
		    "t.rules:2:3: series before the labels of 'g': write its "
		    "labels statement first" },
		{ "gauge g\n  labels a b\n  series a=x c=y\n",
		    "t.rules:3:14: metric 'g' has no label 'c'" },
		{ "gauge g\n  labels a b\n  series a=x a=y\n",
		    "t.rules:3:14: label 'a' given twice" },
		{ "gauge g\n  labels a b\n  series b=x\n",
		    "t.rules:3:3: series of 'g' has no value for label 'a'" },
		{ "gauge g\n  labels a b\n  series a=x b=\"y\"\n"
		  "  series b=y a=x\n",
		    "t.rules:4:3: series given twice for 'g'" },
		{ "gauge g\nfreshness f of g\n  stale_after 0\n",
		    "t.rules:3:15: duration must be greater than 0" },
		{ "gauge g\nfreshness f of g\n  stale_after 0ms\n",
		    "t.rules:3:15: duration must be greater than 0" },
		{ "gauge g\nfreshness f of g\n  stale_after 1m\n"
		  "  stale_after 2m\n",
		    "t.rules:4:3: stale_after given twice for 'f'" },
		{ "counter c_total\n  expire 1h\n  expire 2h\n",
		    "t.rules:3:3: expire given twice for 'c_total'" },
		{ "counter c_total\n  expire 0s\n",
		    "t.rules:2:10: duration must be greater than 0" },
		{ "gauge g\nfreshness f of g\n  expire 1h\n",
		    "t.rules:3:3: 'expire' outside a counter, gauge or histogram "
		    "block" },
		{ "gauge g\n  labels a\nfreshness f of g\n  threshold a=b 0\n",
		    "t.rules:4:17: duration must be greater than 0" },
		{ "gauge g\n  labels a\nfreshness f of g\n"
		  "  threshold a=b 1m\n  threshold a=\"b\" 2m\n",
		    "t.rules:5:13: threshold a=b given twice" },
		{ "gauge g\n  labels a\nfreshness f of g\n"
		  "  threshold a=\"\\n\" 1m\n  threshold a=\"\\n\" 2m\n",
		    "t.rules:5:13: threshold a=\\x0a given twice" },
		{ "timestamp t unix\ncounter c\n",
		    "t.rules:1:13: unknown timestamp format 'unix': expected "
		    "epoch_s, epoch_ms, epoch_us, epoch_ns or rfc3339" },
		{ "timestamp /\\d+/ epoch_s\ncounter c\n",
		    "t.rules:1:11: timestamp regex has no group: write "
		    "(?<ts>...) around the time" },
		{ "timestamp \"\" epoch_s\ncounter c\n",
		    "t.rules:1:11: empty field name" },
	};

	reject_table(c, NELEM(c));
}

Test(rules_errors, rules_and_actions)
{
	static const struct errcase c[] = {
		{ "counter c\nrule r\n  match /x/\n  inc c\nrule r\n"
		  "  match /y/\n  inc c\n",
		    "t.rules:5:6: rule 'r' already declared at t.rules:2" },
		{ "counter c\nrule r\n  match /x/\n  inc c\n  prefilter \"\"\n",
		    "t.rules:5:13: empty prefilter" },
		{ "counter c\nrule r\n  match a /(?<v>x)/\n"
		  "  match b /(?<w>y)(?<v>z)/\n  inc c\n",
		    "t.rules:4:11: capture 'v' is already defined by the "
		    "pattern at line 3" },
		{ "counter c\nrule r\n  match \"\" /x/\n  inc c\n",
		    "t.rules:3:9: empty field name" },
		{ "counter c\nrule r\n  optional /x/\n  inc c\n",
		    "t.rules:2:6: rule 'r' has no required pattern: add a match "
		    "statement" },
		{ "counter c\nrule r\n  prefilter \"x\"\n  inc c\n",
		    "t.rules:2:6: rule 'r' has no required pattern: add a match "
		    "statement" },
		{ "counter c\nrule r\n  match /x/\n",
		    "t.rules:2:6: rule 'r' has no action" },
		{ "counter c\nrule r\n  match /x/\n  inc d\n",
		    "t.rules:4:7: unknown metric 'd'" },
		{ "counter c\nrule r\n  match /(?<a>x)/\n  add c $b * 2\n",
		    "t.rules:4:9: unknown capture '$b' in rule 'r'" },
		{ "counter c\n  labels l\nrule r\n  match /(?<a>x)/\n"
		  "  inc c l=$b if $d == x\n",
		    "t.rules:5:11: unknown capture '$b' in rule 'r'\n"
		    "t.rules:5:17: unknown capture '$d' in rule 'r'" },
		{ "histogram h\nrule r\n  match /x/\n  inc h\n",
		    "t.rules:4:7: inc needs a counter or a gauge: 'h' is a "
		    "histogram" },
		{ "histogram h\nrule r\n  match /x/\n  add h 1\n",
		    "t.rules:4:7: add needs a counter or a gauge: 'h' is a "
		    "histogram" },
		{ "counter c\nrule r\n  match /x/\n  set c 1\n",
		    "t.rules:4:7: set needs a gauge: 'c' is a counter" },
		{ "gauge g\nrule r\n  match /x/\n  observe g 1\n",
		    "t.rules:4:11: observe needs a histogram: 'g' is a gauge" },
		{ "gauge g\nfreshness f of g\nrule r\n  match /x/\n"
		  "  set f 1\n",
		    "t.rules:5:7: 'f' is a freshness gauge, computed from 'g': "
		    "no action may change it" },
		{ "label env = \"x\"\ncounter c\nrule r\n  match /x/\n"
		  "  inc c env=y\n",
		    "t.rules:5:9: 'env' is a default label: a rule cannot set "
		    "it" },
		{ "counter c\n  labels a\nrule r\n  match /(?<a>x)/\n"
		  "  inc c b=y\n",
		    "t.rules:5:9: metric 'c' has no label 'b'" },
		{ "counter c\n  labels a\nrule r\n  match /(?<a>x)/\n"
		  "  inc c a=y a=z\n",
		    "t.rules:5:13: label 'a' given twice" },
		{ "counter x\n  labels severity symbol\nrule y\n"
		  "  match /(?<severity>\\w+)/\n  inc x\n",
		    "t.rules:5:3: label 'symbol' of metric 'x' has no value: no "
		    "capture named 'symbol' in rule 'y'; write symbol=$capture" },
		{ "gauge g\n  labels a\nfreshness f of h\n",
		    "t.rules:3:16: unknown gauge 'h'" },
		{ "counter c\nfreshness f of c\n",
		    "t.rules:2:16: 'c' is a counter, not a gauge" },
		{ "freshness f of h\nhistogram h\n",
		    "t.rules:1:16: 'h' is a histogram, not a gauge" },
		{ "gauge g\nfreshness f of g\nfreshness f2 of f\n",
		    "t.rules:3:17: 'f' is a freshness gauge, not a gauge" },
		{ "gauge g\n  labels a\nfreshness f of g\n  threshold b=x 5s\n",
		    "t.rules:4:13: gauge 'g' has no label 'b'" },
	};

	reject_table(c, NELEM(c));
}

/* Every error of a file, in order; the ruleset is rejected as a whole. */
/* Paths: each error at the key it is about. */
Test(rules_errors, paths)
{
	static const struct errcase c[] = {
		{ "counter c\nrule r\n  match a..b /x/\n  inc c\n",
		    "t.rules:3:11: expected a key after '.'" },
		{ "counter c\nrule r\n  match a. /x/\n  inc c\n",
		    "t.rules:3:11: expected a key after '.'" },
		{ "counter c\nrule r\n  match a.\"\" /x/\n  inc c\n",
		    "t.rules:3:11: empty field name" },
		{ "counter c\nrule r\n  match a.\"b /x/\n  inc c\n",
		    "t.rules:3:9: unterminated string" },
		{ "counter c\nrule r\n  match a.\"\\q\" /x/\n  inc c\n",
		    "t.rules:3:12: invalid escape '\\q' in string" },
		{ "counter c\nrule r\n  match a.\"b\"c /x/\n  inc c\n",
		    "t.rules:3:14: expected regex, found 'c'" },
		{ "counter c\nrule r\n  match a .b /x/\n  inc c\n",
		    "t.rules:3:11: unexpected character '.'" },
		{ "counter c\nrule r\n  match a.b\n  inc c\n",
		    "t.rules:3:12: expected regex, found end of line" },
		{ "timestamp a..b epoch_s\ncounter c\n",
		    "t.rules:1:13: expected a key after '.'" },
		{ "timestamp a.\"\" epoch_s\ncounter c\n",
		    "t.rules:1:13: empty field name" },
		{ "counter c\nrule r\n  match a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p."
		  "q.r.s.t.u.v.w.x.y.z.A.B.C.D.E.F.G /x/\n  inc c\n",
		    "t.rules:3:9: path too deep (33 keys, at most 32)" },
	};

	reject_table(c, NELEM(c));
}

Test(rules_errors, rewrites)
{
	static const struct errcase c[] = {
		{ "counter c\nrule r\n  match /(?<p>x)/\n  rewrite p /x/ \"y\"\n"
		  "  inc c\n",
		    "t.rules:4:11: expected capture, found 'p'" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n  rewrite $p x \"y\"\n"
		  "  inc c\n",
		    "t.rules:4:14: expected regex, found 'x'" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n  rewrite $p /x/\n"
		  "  inc c\n",
		    "t.rules:4:17: expected replacement string, found end of "
		    "line" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n"
		  "  rewrite $p /x/ \"y\" z\n  inc c\n",
		    "t.rules:4:22: expected end of line, found 'z'" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n"
		  "  rewrite $p /(a)/ \"$2\"\n  inc c\n",
		    "t.rules:4:20: no group 2 in the regex (it has 1)" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n"
		  "  rewrite $p /(a)/ \"${nam}\"\n  inc c\n",
		    "t.rules:4:20: no group named 'nam' in the regex" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n"
		  "  rewrite $p /a/ \"US$\"\n  inc c\n",
		    "t.rules:4:18: '$' not followed by a group: write $$ for a "
		    "dollar sign" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n"
		  "  rewrite $p /a(/ \"b\"\n  inc c\n",
		    "t.rules:4:14: invalid regex: missing closing parenthesis at "
		    "offset 2" },
		{ "counter c\nrule r\n  match /(?<p>x)/\n"
		  "  rewrite $q /a/ \"b\"\n  inc c\n",
		    "t.rules:4:11: unknown capture '$q' in rule 'r'" },
		{ "counter c\n  rewrite $q /a/ \"b\"\n",
		    "t.rules:2:3: 'rewrite' outside a rule block" },
	};

	reject_table(c, NELEM(c));
}

#define EXR "counter c\nrule r\n  match /(?<id>x)/\n  "
Test(rules_errors, exemplars)
{
	static const struct errcase c[] = {
		{ EXR "inc c exemplar\n",
		    "t.rules:4:17: expected exemplar label, found end of line" },
		{ EXR "inc c exemplar id\n",
		    "t.rules:4:20: expected '=', found end of line" },
		{ EXR "inc c exemplar id=$id id=$id\n",
		    "t.rules:4:25: exemplar label 'id' given twice" },
		{ EXR "inc c exemplar __x=$id\n",
		    "t.rules:4:18: '__x' is not a valid exemplar label name" },
		{ EXR "inc c exemplar id=$nope\n",
		    "t.rules:4:21: unknown capture '$nope' in rule 'r'" },
		{ EXR "inc c exemplar id=$id exemplar k=v\n",
		    "t.rules:4:25: expected 'if' or end of line, found "
		    "'exemplar'" },
		{ EXR "inc c if $id == x y\n",
		    "t.rules:4:21: expected 'exemplar' or end of line, found "
		    "'y'" },
		{ EXR "inc c if $id == x exemplar id=$id if $id == y\n",
		    "t.rules:4:37: expected end of line, found 'if'" },
		{ EXR "inc c exemplar=$id\n",
		    "t.rules:4:17: expected exemplar label, found '='" },
		{ "gauge g\nrule r\n  match /(?<id>x)/\n"
		  "  set g 1 exemplar id=$id\n",
		    "t.rules:4:11: exemplars go on counters and histograms: 'g' "
		    "is a gauge" },
		{ "gauge g\nrule r\n  match /(?<id>x)/\n"
		  "  inc g exemplar id=$id\n",
		    "t.rules:4:9: exemplars go on counters and histograms: 'g' "
		    "is a gauge" },
	};

	reject_table(c, NELEM(c));
}

Test(rules, exemplars)
{
	struct ruleset *rs;
	struct action  *a;

	rs = accept(EXR "inc c exemplar id=$id lit=\"a b\" if $id == x\n"
			"  inc c if $id == x exemplar id=$id\n"
			"  inc c\n");
	a = &rs->rules[0].acts[0];
	cr_assert_eq(a->nex, 2);
	cr_assert_str_eq(a->ex[0].name, "id");
	cr_assert_eq(a->ex[0].src.cap, 0);
	cr_assert_str_eq(a->ex[1].name, "lit");
	cr_assert_eq(a->ex[1].src.cap, -1);
	cr_assert_str_eq(a->ex[1].src.lit, "a b");
	cr_assert_eq(a->cond, COND_EQ);
	a = &rs->rules[0].acts[1];
	cr_assert_eq(a->nex, 1);
	cr_assert_eq(a->cond, COND_EQ);
	cr_assert_eq(rs->rules[0].acts[2].nex, 0);
	rules_free(rs);
}

Test(rules_errors, all_errors_reported)
{
	static const char text[] =
	    "% stray\n"
	    "label env = env NODE_ENV map production=production *=dev\n"
	    "counter ok_total\n"
	    "  help \"fine\"\n"
	    "  labels kind\n"
	    "counter bad-name\n"
	    "  help \"unterminated\n"
	    "histogram h\n"
	    "  buckets 1 0.5\n"
	    "rule r\n"
	    "  match /(?<kind>a|b)/\n"
	    "  inc ok_total\n"
	    "  inc missing_total\n"
	    "  add ok_total $nope\n"
	    "rule broken\n"
	    "  match /(/\n"
	    "  inc ok_total\n"
	    "rule empty\n"
	    "\n"
	    "gauge g\n"
	    "  labels env\n";

	reject(text,
	    "t.rules:1:1: unexpected character '%'\n"
	    "t.rules:6:9: invalid metric name 'bad-name': expected "
	    "[a-zA-Z_:][a-zA-Z0-9_:]*\n"
	    "t.rules:7:8: unterminated string\n"
	    "t.rules:9:13: bucket 0.5 is not greater than 1\n"
	    "t.rules:16:9: invalid regex: missing closing parenthesis at "
	    "offset 1\n"
	    "t.rules:21:10: 'env' is a default label: it is on every series "
	    "already\n"
	    "t.rules:14:16: unknown capture '$nope' in rule 'r'\n"
	    "t.rules:13:7: unknown metric 'missing_total'\n"
	    "t.rules:18:6: rule 'empty' has no required pattern: add a match "
	    "statement\n"
	    "t.rules:18:6: rule 'empty' has no action");
}

/* A wrong line does not bring errors about what it would have declared. */
Test(rules_errors, no_follow_on_errors)
{
	reject("counter c\n  labels a b-c\n  series a=x\n"
	       "rule r\n  match /(?<a>x)/\n  inc c a=$a z=y\n"
	       "gauge g\nfreshness f of g\n  threshold q=1 5s\n",
	    "t.rules:2:12: invalid label name 'b-c': expected "
	    "[a-zA-Z_][a-zA-Z0-9_]*\n"
	    "t.rules:9:13: gauge 'g' has no label 'q'");
	reject("counter c\n  labels k\nrule r\n  match /(?<k>x)/\n"
	       "  match f /(/\n  inc c\n  add c $gone\n  inc d\n",
	    "t.rules:5:11: invalid regex: missing closing parenthesis at "
	    "offset 1\n"
	    "t.rules:8:7: unknown metric 'd'");
}

/* A good statement among bad ones does not save the ruleset. */
Test(rules_errors, one_error_rejects_all)
{
	reject("counter a\ncounter b\ngauge c\nrule r\n  match /x/\n  inc a\n"
	       "  inc b\n  set c 1\n  set c 2 x=1\n",
	    "t.rules:9:11: metric 'c' has no label 'x'");
}

Test(rules_errors, truncated_to_errlen)
{
	struct ruleset *rs;
	char		small[24];

	memset(small, 'z', sizeof(small));
	rs = rules_parse("t.rules", "frob\nfrob\n", 10, small, sizeof(small));
	cr_expect_null(rs);
	cr_expect_str_eq(small, "t.rules:1:1: expected s");
	rs = rules_parse("t.rules", "frob\n", 5, NULL, 0);
	cr_expect_null(rs);
}

Test(rules_errors, empty_ruleset)
{
	reject("", "t.rules: no metric and no rule declared");
	reject("# nothing\n\n   \n", "t.rules: no metric and no rule declared");
	reject("label a = \"b\"\ntimestamp t epoch_s\n",
	    "t.rules: no metric and no rule declared");
}

/* ---- what correct rule sets turn into ---------------------------------- */

TestSuite(rules_parse);

static void
expect_expr(const struct expr *e, const struct expr_node *want, size_t n)
{
	size_t i;

	cr_assert_eq(e->len, n, "length %zu, want %zu", e->len, n);
	for (i = 0; i < n; i++) {
		cr_expect_eq(e->n[i].op, want[i].op, "node %zu", i);
		if (want[i].op == EXPR_NUM)
			cr_expect_eq(e->n[i].num, want[i].num, "node %zu", i);
		if (want[i].op == EXPR_CAP)
			cr_expect_eq(e->n[i].cap, want[i].cap, "node %zu", i);
	}
}

Test(rules_parse, expressions_in_rpn)
{
	static const struct expr_node e0[] = {
		{ EXPR_NUM, 1, 0 },
		{ EXPR_NUM, 2, 0 },
		{ EXPR_CAP, 0, 1 },
		{ EXPR_NEG, 0, 0 },
		{ EXPR_MUL, 0, 0 },
		{ EXPR_NUM, 3, 0 },
		{ EXPR_TIME, 0, 0 },
		{ EXPR_SUB, 0, 0 },
		{ EXPR_DIV, 0, 0 },
		{ EXPR_ADD, 0, 0 },
	};
	static const struct expr_node e1[] = {
		{ EXPR_NUM, 10, 0 },
		{ EXPR_NUM, 4, 0 },
		{ EXPR_SUB, 0, 0 },
		{ EXPR_NUM, 3, 0 },
		{ EXPR_SUB, 0, 0 },
	};
	static const struct expr_node e2[] = {
		{ EXPR_CAP, 0, 0 },
		{ EXPR_NUM, 1000, 0 },
		{ EXPR_DIV, 0, 0 },
		{ EXPR_NUM, 0.5, 0 },
		{ EXPR_MUL, 0, 0 },
	};
	static const struct expr_node e3[] = {
		{ EXPR_NUM, 2.5e-3, 0 },
		{ EXPR_NEG, 0, 0 },
		{ EXPR_NEG, 0, 0 },
	};
	struct ruleset *rs;
	struct rule    *r;

	rs = accept("counter c\ngauge g\nhistogram h\nrule r\n"
		    "  match /(?<a>\\d+) (?<b>\\d+)/\n"
		    "  add c 1 + 2 * -$b / (3 - @time)\n"
		    "  set g 10-4-3\n"
		    "  observe h $a/1000*.5\n"
		    "  set g --2.5e-3\n"
		    "  inc c\n");
	r = &rs->rules[0];
	cr_assert_eq(r->nacts, 5);
	expect_expr(&r->acts[0].value, e0, NELEM(e0));
	expect_expr(&r->acts[1].value, e1, NELEM(e1));
	expect_expr(&r->acts[2].value, e2, NELEM(e2));
	expect_expr(&r->acts[3].value, e3, NELEM(e3));
	cr_expect_eq(r->acts[4].value.len, 0);
	cr_expect_eq(r->acts[0].kind, ACT_ADD);
	cr_expect_eq(r->acts[1].kind, ACT_SET);
	cr_expect_eq(r->acts[2].kind, ACT_OBSERVE);
	cr_expect_eq(r->acts[4].kind, ACT_INC);
	cr_expect_str_eq(r->acts[2].file, "t.rules");
	cr_expect_eq(r->acts[2].line, 8);
	cr_expect_eq(r->acts[2].col, 3);
	rules_free(rs);
}

/* Labels in the metric's order: explicit first, else the same-named capture. */
Test(rules_parse, action_labels_and_conditions)
{
	struct ruleset *rs;
	struct action  *a;

	rs = accept("gauge g\n  labels c b a\nrule r\n"
		    "  match f /(?<a>x)(?<b>y)/\n"
		    "  optional /(?<z>q)/\n"
		    "  set g 1 c=$z b=\"lit \\\"q\\\"\" if $a != \"x y\"\n"
		    "  set g 2 c=2xx if $b == word\n"
		    "  set g 3 c=w.o:r-d\n");
	cr_assert_eq(rs->rules[0].ncaps, 3);
	a = &rs->rules[0].acts[0];
	cr_assert_eq(a->nlabels, 3);
	cr_expect_eq(a->labels[0].cap, 2);
	cr_expect_null(a->labels[0].lit);
	cr_expect_eq(a->labels[1].cap, -1);
	cr_expect_str_eq(a->labels[1].lit, "lit \"q\"");
	cr_expect_eq(a->labels[2].cap, 0);
	cr_expect_eq(a->cond, COND_NE);
	cr_expect_eq(a->condcap, 0);
	cr_expect_str_eq(a->condval, "x y");
	a = &rs->rules[0].acts[1];
	cr_expect_str_eq(a->labels[0].lit, "2xx");
	cr_expect_eq(a->labels[1].cap, 1);
	cr_expect_eq(a->cond, COND_EQ);
	cr_expect_eq(a->condcap, 1);
	cr_expect_str_eq(a->condval, "word");
	a = &rs->rules[0].acts[2];
	cr_expect_str_eq(a->labels[0].lit, "w.o:r-d");
	cr_expect_eq(a->cond, COND_NONE);
	rules_free(rs);
}

Test(rules_parse, patterns_and_captures)
{
	struct ruleset *rs;
	struct rule    *r;

	rs = accept("counter c\nrule r\n"
		    "  match    \"odd key\" /^(x)(?<late>y)(?<early>z)?$/i\n"
		    "  optional plain /(?<opt>.*)/s\n"
		    "  match    /a\\/b\\d(?<w>\\/)/\n"
		    "  inc c\n");
	r = &rs->rules[0];
	cr_assert_eq(r->npats, 3);
	cr_assert_eq(r->pats[0].path.n, 1);
	cr_expect_str_eq(r->pats[0].path.step[0].key, "odd key");
	cr_expect_eq(r->pats[0].path.step[0].len, 7);
	cr_expect_str_eq(r->pats[0].path.text, "\"odd key\"");
	cr_expect_str_eq(r->pats[0].src, "^(x)(?<late>y)(?<early>z)?$");
	cr_expect_eq(r->pats[0].optional, 0);
	cr_expect_eq(r->pats[0].line, 3);
	cr_expect_eq(r->pats[0].col, 22);
	cr_expect_str_eq(r->pats[1].path.step[0].key, "plain");
	cr_expect_eq(r->pats[1].optional, 1);
	cr_expect_eq(r->pats[2].path.n, 0);
	cr_expect_str_eq(r->pats[2].src, "a\\/b\\d(?<w>\\/)");
	cr_expect_eq(r->plan.json, 1);
	/* Named groups only, in group order within each pattern. */
	cr_assert_eq(r->ncaps, 4);
	cr_expect_str_eq(r->caps[0].name, "late");
	cr_expect_eq(r->caps[0].pat, 0);
	cr_expect_eq(r->caps[0].group, 2);
	cr_expect_str_eq(r->caps[1].name, "early");
	cr_expect_eq(r->caps[1].group, 3);
	cr_expect_str_eq(r->caps[2].name, "opt");
	cr_expect_eq(r->caps[2].pat, 1);
	cr_expect_str_eq(r->caps[3].name, "w");
	cr_expect_eq(r->caps[3].pat, 2);
	cr_expect_eq(r->caps[3].group, 1);
	rules_free(rs);
}

static int
re_matches(const pcre2_code *re, const char *s)
{
	pcre2_match_data *md;
	int		  rc;

	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc > 0;
}

/* \/ reaches PCRE2 as a slash; $ only at the very end; the flags. */
Test(rules_parse, regex_compilation)
{
	static const struct {
		const char *re;
		const char *subject;
		int	    match;
	} c[] = {
		{ "/^a\\/b$/", "a/b", 1 },
		{ "/^a\\\\/", "a\\", 1 },
		{ "/^a$/", "a\n", 0 },
		{ "/^a$/m", "a\nb", 1 },
		{ "/^abc$/", "ABC", 0 },
		{ "/^abc$/i", "ABC", 1 },
		{ "/^a.b$/", "a\nb", 0 },
		{ "/^a.b$/s", "a\nb", 1 },
		{ "/^a b c$/x", "abc", 1 },
		{ "/^\\xff$/", "\xff", 1 },
		{ "/^.$/", "\xff", 1 },
		{ "/^a$/smxi", "A", 1 },
	};
	struct buf	b;
	struct ruleset *rs;
	size_t		i;

	buf_init(&b);
	for (i = 0; i < NELEM(c); i++) {
		buf_reset(&b);
		buf_printf(&b, "counter c\nrule r\n  match %s\n  inc c\n",
		    c[i].re);
		rs = parse(b.p);
		cr_assert_not_null(rs, "%s: %s", c[i].re, errbuf);
		cr_expect_eq(re_matches(rs->rules[0].pats[0].re, c[i].subject),
		    c[i].match, "%s on %s", c[i].re, c[i].subject);
		rules_free(rs);
	}
	buf_free(&b);
}

/*
 * Paths: keys joined by dots, quoted keys, indexes; the key mask and the
 * implied prefilter are the top-level key's. A path of words alone was
 * one key before: it is warned about, at its place.
 */
Test(rules_parse, paths)
{
	struct ruleset	     *rs;
	const struct pattern *p;

	rs = accept("counter c\nrule r\n"
		    "  match req.method /x/\n"
		    "  match req.\"user-agent\".\"a.b\" /x/\n"
		    "  optional items.0.price /x/\n"
		    "  optional \"a.b\" /x/\n"
		    "  optional o.\"0\".01.10 /x/\n"
		    "  inc c\n"
		    "timestamp res.time.0 epoch_ms\n");
	p = rs->rules[0].pats;
	cr_assert_eq(p[0].path.n, 2);
	cr_expect_str_eq(p[0].path.text, "req.method");
	cr_expect_str_eq(p[0].path.step[0].key, "req");
	cr_expect_str_eq(p[0].path.step[1].key, "method");
	cr_expect_eq(p[0].path.step[1].index, -1);
	cr_expect_eq(p[0].path.end[0], 3);
	cr_expect_eq(p[0].path.end[1], 10);
	cr_assert_eq(p[1].path.n, 3);
	cr_expect_str_eq(p[1].path.step[1].key, "user-agent");
	cr_expect_str_eq(p[1].path.step[2].key, "a.b");
	cr_expect_eq(p[1].path.end[1], 16);
	cr_assert_eq(p[2].path.n, 3);
	cr_expect_eq(p[2].path.step[1].index, 0);
	cr_assert_eq(p[3].path.n, 1);
	cr_expect_str_eq(p[3].path.step[0].key, "a.b");
	cr_assert_eq(p[4].path.n, 4);
	cr_expect_eq(p[4].path.step[1].index, -1);
	cr_expect_eq(p[4].path.step[2].index, -1);
	cr_expect_eq(p[4].path.step[3].index, 10);
	cr_assert_eq(rs->nts, 1);
	cr_expect_eq(rs->ts[0].path.n, 3);
	cr_expect_eq(rs->ts[0].path.step[2].index, 0);
	cr_assert_eq(rs->rules[0].plan.nprefilter, 1);
	cr_expect_str_eq(rs->rules[0].plan.prefilter[0].lit, "\"req\"");
	cr_expect(rs->rules[0].plan.prefilter[0].implied);
	cr_expect_eq(rs->rules[0].plan.keymask, json_key_bit("req", 3));
	cr_expect_str_eq(rs->warnings,
	    "t.rules:3:9: warning: req.method is a path into nested objects; "
	    "for one top-level key of that name write \"req.method\"\n"
	    "t.rules:5:12: warning: items.0.price is a path into nested "
	    "objects; for one top-level key of that name write "
	    "\"items.0.price\"\n"
	    "t.rules:9:11: warning: res.time.0 is a path into nested objects; "
	    "for one top-level key of that name write \"res.time.0\"\n");
	rules_free(rs);
	/* No path of words alone, no warning. */
	rs = accept("counter c\nrule r\n  match a /x/\n  inc c\n");
	cr_expect_null(rs->warnings);
	rules_free(rs);
}

/*
 * Explicit prefilters first, then the automatic ones, without repeats;
 * "=" marks one the rule's key mask implies, never searched.
 */
Test(rules_parse, prefilters)
{
	static const struct {
		const char *pats;
		const char *want; /* prefilters joined by | */
	} c[] = {
		{ "  match f /x/\n", "=\"f\"" },
		{ "  match f /x/\n  match g /y/\n  optional h /z/\n",
		    "=\"f\"|=\"g\"" },
		{ "  prefilter \"\\\"f\\\"\"\n  match f /x/\n", "=\"f\"" },
		{ "  prefilter \"one\"\n  match f /x/\n  prefilter \"two\"\n",
		    "one|two|=\"f\"" },
		{ "  prefilter \"one\"\n  prefilter \"one\"\n  match /x/\n",
		    "one" },
		{ "  prefilter \"\\\"h\\\"\"\n  match f /x/\n  optional h /y/\n",
		    "\"h\"|=\"f\"" },
		{ "  prefilter \"\\\"f\\\"\"\n  match /f/\n", "\"f\"" },
		{ "  match \"a/b\" /x/\n", "" },
		{ "  match \"a\\\"b\" /x/\n", "" },
		{ "  match \"a\\\\b\" /x/\n", "" },
		{ "  match \"caf\xc3\xa9\" /x/\n", "" },
		{ "  match /^GET \\/api\\/v1 /\n", "GET /api/v1 " },
		{ "  match /GET \\/api/\n", "GET /api" },
		{ "  match /^abc/\n", "abc" },
		{ "  match /^ab/\n", "" },
		{ "  match /^abcd?/\n", "abc" },
		{ "  match /^abc?/\n", "" },
		{ "  match /^abcd*x/\n", "abc" },
		{ "  match /^abcd+/\n", "abc" },
		{ "  match /^abcd{2}/\n", "abc" },
		{ "  match /^abc\\d/\n", "abc" },
		{ "  match /^abc.d/\n", "abc" },
		{ "  match /^abc(d)/\n", "abc" },
		{ "  match /^abc[d]/\n", "abc" },
		{ "  match /^abc|xyz/\n", "" },
		{ "  match /^abc(x|y)/\n", "" },
		{ "  match /^abc/i\n", "" },
		{ "  match /^abc/x\n", "" },
		{ "  match /^abc/s\n", "abc" },
		{ "  match /(?i)abc/\n", "" },
		{ "  match /\\Qabc\\E/\n", "" },
		{ "  optional /^abcdef/\n  match /x/\n", "" },
		{ "  prefilter \"abc\"\n  match /^abc/\n", "abc" },
	};
	struct buf	b, got;
	struct ruleset *rs;
	size_t		i, j;

	buf_init(&b);
	buf_init(&got);
	for (i = 0; i < NELEM(c); i++) {
		buf_reset(&b);
		buf_printf(&b, "counter c\nrule r\n%s  inc c\n", c[i].pats);
		rs = parse(b.p);
		cr_assert_not_null(rs, "%s: %s", c[i].pats, errbuf);
		buf_reset(&got);
		buf_puts(&got, "");
		for (j = 0; j < rs->rules[0].plan.nprefilter; j++)
			buf_printf(&got, "%s%s%s", j ? "|" : "",
			    rs->rules[0].plan.prefilter[j].implied ? "=" : "",
			    rs->rules[0].plan.prefilter[j].lit);
		cr_expect_str_eq(got.p, c[i].want, "for %s", c[i].pats);
		rules_free(rs);
	}
	buf_free(&b);
	buf_free(&got);
}

/* A default label's value in the environment of the moment. */
static const char *
label_value(const struct ruleset *rs, size_t i)
{
	const struct deflabel *d = &rs->labels[i];

	return rules_label_value(d, d->env ? getenv(d->env) : NULL);
}

Test(rules_parse, default_labels_from_the_environment)
{
	static const struct {
		const char *value; /* NULL: unset */
		const char *want;
	} c[] = {
		{ NULL, "unset" },
		{ "", "empty" },
		{ "0", "zero" },
		{ "yes", "yes" },
		{ "two words", "quoted" },
		{ "x", "any" },
	};
	static const char text[] =
	    "label a = env LM_TEST_VAR map 0=zero, yes=yes \"\"=empty\n"
	    "label b = env LM_TEST_VAR map \"two words\"=\"quoted\" *=any\n"
	    "label c = env LM_TEST_VAR\n"
	    "label d = env LM_TEST_VAR map nothing=matches\n"
	    "label e = \"lit\\tx\"\n"
	    "counter c\n";
	struct ruleset *rs;
	size_t		i;

	for (i = 0; i < NELEM(c); i++) {
		if (c[i].value == NULL)
			unsetenv("LM_TEST_VAR");
		else
			setenv("LM_TEST_VAR", c[i].value, 1);
		rs = accept(text);
		cr_assert_eq(rs->nlabels, 5);
		cr_expect_str_eq(rs->labels[0].name, "a");
		cr_expect_str_eq(rs->labels[1].name, "b");
		/* An unset variable compares as "", and * takes it too. */
		if (c[i].value == NULL || *c[i].value == '\0')
			cr_expect_str_eq(label_value(rs, 0), "empty");
		else if (strcmp(c[i].value, "0") == 0 ||
		    strcmp(c[i].value, "yes") == 0)
			cr_expect_str_eq(label_value(rs, 0), c[i].want);
		else
			cr_expect_str_eq(label_value(rs, 0), c[i].value);
		if (c[i].value != NULL && strcmp(c[i].value, "two words") == 0)
			cr_expect_str_eq(label_value(rs, 1), "quoted");
		else
			cr_expect_str_eq(label_value(rs, 1), "any");
		cr_expect_str_eq(label_value(rs, 2),
		    c[i].value ? c[i].value : "");
		cr_expect_str_eq(label_value(rs, 3),
		    c[i].value ? c[i].value : "");
		cr_expect_str_eq(rs->labels[4].name, "e");
		cr_expect_str_eq(label_value(rs, 4), "lit\tx");
		rules_free(rs);
	}
	unsetenv("LM_TEST_VAR");
}

Test(rules_parse, timestamps)
{
	struct ruleset *rs;

	rs = accept("timestamp time epoch_ms\n"
		    "timestamp \"ts field\" rfc3339\n"
		    "timestamp /^(\\d+) (?<ts>\\S+)/ epoch_s\n"
		    "timestamp /^\\[([^\\]]+)\\]/ epoch_ns\n"
		    "timestamp t epoch_us\n"
		    "counter c\n");
	cr_assert_eq(rs->nts, 5);
	cr_assert_eq(rs->ts[0].path.n, 1);
	cr_expect_str_eq(rs->ts[0].path.step[0].key, "time");
	cr_expect_eq(rs->ts[0].path.step[0].len, 4);
	cr_expect_null(rs->ts[0].re);
	cr_expect_eq(rs->ts[0].fmt, TS_EPOCH_MS);
	cr_expect_str_eq(rs->ts[1].path.step[0].key, "ts field");
	cr_expect_eq(rs->ts[1].fmt, TS_RFC3339);
	cr_expect_eq(rs->ts[2].path.n, 0);
	cr_expect_not_null(rs->ts[2].re);
	cr_expect_eq(rs->ts[2].group, 2);
	cr_expect_eq(rs->ts[2].fmt, TS_EPOCH_S);
	cr_expect_eq(rs->ts[3].group, 1);
	cr_expect_eq(rs->ts[3].fmt, TS_EPOCH_NS);
	cr_expect_eq(rs->ts[4].fmt, TS_EPOCH_US);
	rules_free(rs);
}

Test(rules_parse, metric_declarations)
{
	struct ruleset	   *rs;
	struct metric_decl *d;

	rs = accept("# a comment\n"
		    "counter a_total # trailing comment\n"
		    "      help \"with \\\\ and \\n\"\n"
		    "histogram b:seconds\n"
		    "labels x\n"
		    "   buckets -1 +0.5 1e1 20\n"
		    "gauge g\n"
		    "  labels p q\n"
		    "  series q=1 p=\"one\"\n"
		    "  series p=2.5 q=5m\n"
		    "freshness g_fresh of g\n"
		    "  threshold q=1 250ms\n"
		    "  threshold p=x 2\n"
		    "  threshold p=y 1.5h\n"
		    "  threshold p=z 1d\n"
		    "freshness g_default of g\n"
		    "histogram h2\n");
	cr_assert_eq(rs->ndecls, 6);
	d = &rs->decls[0];
	cr_expect_str_eq(d->name, "a_total");
	cr_expect_eq(d->type, METRIC_COUNTER);
	cr_expect_str_eq(d->help, "with \\ and \n");
	cr_expect_eq(d->nlabels, 0);
	cr_expect_eq(d->nbuckets, 0);
	cr_expect_str_eq(d->file, "t.rules");
	cr_expect_eq(d->file, rs->files[0]);
	cr_expect_eq(d->line, 2);
	d = &rs->decls[1];
	cr_expect_eq(d->type, METRIC_HISTOGRAM);
	cr_expect_null(d->help);
	cr_assert_eq(d->nlabels, 1);
	cr_expect_str_eq(d->labels[0], "x");
	cr_assert_eq(d->nbuckets, 4);
	cr_expect_eq(d->buckets[0], -1);
	cr_expect_eq(d->buckets[1], 0.5);
	cr_expect_eq(d->buckets[2], 10);
	cr_expect_eq(d->buckets[3], 20);
	d = &rs->decls[2];
	cr_expect_eq(d->type, METRIC_GAUGE);
	cr_assert_eq(d->ninitial, 2);
	cr_expect_str_eq(d->initial[0], "one");
	cr_expect_str_eq(d->initial[1], "1");
	cr_expect_str_eq(d->initial[2], "2.5");
	cr_expect_str_eq(d->initial[3], "5m");
	d = &rs->decls[3];
	cr_expect_eq(d->type, METRIC_FRESHNESS);
	cr_expect_str_eq(d->source, "g");
	cr_expect_eq(d->stale_after, 300);
	cr_assert_eq(d->nlabels, 2);
	cr_expect_str_eq(d->labels[0], "p");
	cr_expect_str_eq(d->labels[1], "q");
	cr_assert_eq(d->nth, 4);
	cr_expect_str_eq(d->th[0].label, "q");
	cr_expect_str_eq(d->th[0].value, "1");
	cr_expect_eq(d->th[0].seconds, 0.25);
	cr_expect_eq(d->th[1].seconds, 2);
	cr_expect_eq(d->th[2].seconds, 5400);
	cr_expect_eq(d->th[3].seconds, 86400);
	cr_expect_eq(rs->decls[4].stale_after, 300);
	cr_expect_eq(rs->decls[4].nth, 0);
	d = &rs->decls[5];
	cr_assert_eq(d->nbuckets, metrics_ndefault_buckets);
	cr_expect_eq(d->buckets[0], 0.005);
	cr_expect_eq(d->buckets[10], 10);
	cr_expect_eq(d->native, 0);
	cr_expect_eq(rs->nrules, 0);
	rules_free(rs);
}

/*
 * native: defaults, each parameter, and the classic buckets kept only
 * when the block declares them, before or after native.
 */
Test(rules_parse, native_histograms)
{
	struct ruleset	   *rs;
	struct metric_decl *d;

	rs = accept("histogram only\n"
		    "  native\n"
		    "histogram both_after\n"
		    "  buckets 1 2\n"
		    "  native\n"
		    "  native_factor 1.05\n"
		    "  native_max_buckets 40\n"
		    "  native_zero_threshold 1e-9\n"
		    "histogram both_before\n"
		    "  native\n"
		    "  native_zero_threshold 0\n"
		    "  buckets 5\n");
	cr_assert_eq(rs->ndecls, 3);
	d = &rs->decls[0];
	cr_expect_eq(d->native, 1);
	cr_expect_eq(d->nbuckets, 0);
	cr_expect_eq(d->native_factor, 1.1);
	cr_expect_eq(d->native_max, 160);
	cr_expect_eq(d->native_zero, 0x1p-128);
	d = &rs->decls[1];
	cr_expect_eq(d->native, 1);
	cr_assert_eq(d->nbuckets, 2);
	cr_expect_eq(d->buckets[1], 2);
	cr_expect_eq(d->native_factor, 1.05);
	cr_expect_eq(d->native_max, 40);
	cr_expect_eq(d->native_zero, 1e-9);
	d = &rs->decls[2];
	cr_expect_eq(d->native, 1);
	cr_assert_eq(d->nbuckets, 1);
	cr_expect_eq(d->buckets[0], 5);
	cr_expect_eq(d->native_zero, 0);
	rules_free(rs);
}

/* Keywords are only keywords where a statement begins. */
Test(rules_parse, keywords_as_names)
{
	struct ruleset *rs;

	rs = accept("counter rule\n  labels match of\n"
		    "rule counter\n  match match /(?<match>x)/\n"
		    "  inc rule of=label\n");
	cr_expect_str_eq(rs->decls[0].name, "rule");
	cr_expect_str_eq(rs->rules[0].name, "counter");
	cr_expect_str_eq(rs->rules[0].pats[0].path.step[0].key, "match");
	cr_expect_eq(rs->rules[0].acts[0].labels[0].cap, 0);
	cr_expect_str_eq(rs->rules[0].acts[0].labels[1].lit, "label");
	rules_free(rs);
}

Test(rules_parse, crlf_and_no_final_newline)
{
	struct ruleset *rs;

	rs = accept("counter c\r\n  help \"h\"\r\nrule r\r\n  match /x/\r\n"
		    "  inc c");
	cr_expect_str_eq(rs->decls[0].help, "h");
	cr_expect_eq(rs->rules[0].nacts, 1);
	rules_free(rs);
	reject("counter c\r\nrule r\r\n  match /x/\r\n  inc",
	    "t.rules:4:6: expected metric name, found end of line");
}

/* ---- files and directories --------------------------------------------- */

TestSuite(rules_load, .fini = tu_cleanup);

Test(rules_load, directory_in_name_order_across_files)
{
	const char     *dir = tu_tmpdir("test_rules"), *paths[1];
	char		p[256], want[1024];
	struct ruleset *rs;

	tu_write_str(tu_path(p, sizeof(p), dir, "10-rules.rules"),
	    "rule r\n  match /(?<k>x)/\n  inc c_total\n");
	tu_write_str(tu_path(p, sizeof(p), dir, "20-metrics.rules"),
	    "counter c_total\n  labels k\n");
	tu_write_str(tu_path(p, sizeof(p), dir, ".hidden.rules"),
	    "this is not read\n");
	tu_write_str(tu_path(p, sizeof(p), dir, "notes.txt"), "nor is this\n");
	cr_assert_eq(mkdir(tu_path(p, sizeof(p), dir, "sub.rules"), 0700), 0);
	paths[0] = dir;
	rs = rules_load(paths, 1, errbuf, sizeof(errbuf));
	cr_assert_not_null(rs, "%s", errbuf);
	cr_assert_eq(rs->nfiles, 2);
	cr_expect_str_eq(rs->files[0],
	    tu_path(p, sizeof(p), dir, "10-rules.rules"));
	cr_expect_eq(rs->rules[0].file, rs->files[0]);
	cr_expect_eq(rs->rules[0].acts[0].file, rs->files[0]);
	cr_expect_eq(rs->decls[0].file, rs->files[1]);
	cr_expect_eq(rs->rules[0].acts[0].labels[0].cap, 0);
	rules_free(rs);

	/* An error in a later file names that file. */
	tu_write_str(tu_path(p, sizeof(p), dir, "30-bad.rules"),
	    "\ncounter c_total\n");
	rs = rules_load(paths, 1, errbuf, sizeof(errbuf));
	cr_expect_null(rs);
	snprintf(want, sizeof(want),
	    "%s:2:9: metric 'c_total' already declared at "
	    "%s/20-metrics.rules:1",
	    p, dir);
	cr_expect_str_eq(errbuf, want);
}

Test(rules_load, unreadable_paths)
{
	const char *paths[] = {
		"/nonexistent/a.rules",
		"rules/bytelyst.rules",
		"/nonexistent",
	};
	struct ruleset *rs;

	rs = rules_load(paths, NELEM(paths), errbuf, sizeof(errbuf));
	cr_expect_null(rs);
	cr_expect_str_eq(errbuf,
	    "/nonexistent/a.rules: No such file or directory\n"
	    "/nonexistent: No such file or directory");
	rs = rules_load(paths, 0, errbuf, sizeof(errbuf));
	cr_expect_null(rs);
	cr_expect_str_eq(errbuf, "(no path): no metric and no rule declared");
}

Test(rules_load, empty_directory)
{
	const char     *dir = tu_tmpdir("test_rules"), *paths[1];
	struct ruleset *rs;
	char		want[256];

	paths[0] = dir;
	rs = rules_load(paths, 1, errbuf, sizeof(errbuf));
	cr_expect_null(rs);
	snprintf(want, sizeof(want), "%s: no metric and no rule declared", dir);
	cr_expect_str_eq(errbuf, want);
}

/* ---- the shipped rule sets --------------------------------------------- */

TestSuite(rules_shipped);

static struct ruleset *
load_one(const char *path)
{
	const char     *paths[1] = { path };
	struct ruleset *rs;

	rs = rules_load(paths, 1, errbuf, sizeof(errbuf));
	cr_assert_not_null(rs, "%s: %s", path, errbuf);
	cr_assert_str_eq(errbuf, "");
	return rs;
}

static const char *
joined(char *const *v, size_t n)
{
	static char out[512];
	size_t	    i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, v[i]);
	}
	return out;
}

Test(rules_shipped, bytelyst_declarations)
{
	static const struct {
		const char	*name;
		enum metric_type type;
		const char	*labels;
		int		 line;
	} want[] = {
		{ "bytelyst_bot_operational_events_total", METRIC_COUNTER,
		    "severity type profile_id symbol", 17 },
		{ "bytelyst_bot_subsystem_duration_seconds", METRIC_HISTOGRAM,
		    "subsystem", 21 },
		{ "bytelyst_bot_subsystem_last_run_timestamp", METRIC_GAUGE,
		    "subsystem", 26 },
		{ "bytelyst_bot_subsystem_alive", METRIC_FRESHNESS, "subsystem",
		    35 },
		{ "bytelyst_bot_exchange_api_latency_seconds", METRIC_HISTOGRAM,
		    "exchange operation", 42 },
		{ "bytelyst_bot_capital_invariant_violations_total",
		    METRIC_COUNTER, "profile_id", 46 },
		{ "bytelyst_bot_profile_utilization_percent", METRIC_GAUGE,
		    "profile_id", 50 },
		{ "bytelyst_bot_reconciliation_mismatches_total",
		    METRIC_COUNTER, "", 54 },
		{ "bytelyst_bot_reconciliation_missing_items_count",
		    METRIC_GAUGE, "source", 57 },
	};
	static const double dur[] = { 0.1, 0.25, 0.5, 1, 2, 5, 10 };
	struct ruleset	   *rs;
	struct metric_decl *d;
	size_t		    i;

	rs = load_one("rules/bytelyst.rules");
	cr_assert_eq(rs->nfiles, 1);
	cr_expect_str_eq(rs->files[0], "rules/bytelyst.rules");
	cr_assert_eq(rs->ndecls, NELEM(want));
	for (i = 0; i < NELEM(want); i++) {
		d = &rs->decls[i];
		cr_expect_str_eq(d->name, want[i].name);
		cr_expect_eq(d->type, want[i].type, "%s", d->name);
		cr_expect_str_eq(joined(d->labels, d->nlabels), want[i].labels,
		    "%s", d->name);
		cr_expect_eq(d->line, want[i].line, "%s", d->name);
		cr_expect_eq(d->file, rs->files[0]);
		cr_expect_not_null(d->help, "%s", d->name);
	}
	cr_expect_str_eq(rs->decls[0].help,
	    "Cumulative count of system "
	    "events (orders, errors, warnings).");
	d = &rs->decls[1];
	cr_assert_eq(d->nbuckets, NELEM(dur));
	for (i = 0; i < NELEM(dur); i++)
		cr_expect_eq(d->buckets[i], dur[i]);
	d = &rs->decls[4];
	cr_assert_eq(d->nbuckets, metrics_ndefault_buckets);
	for (i = 0; i < metrics_ndefault_buckets; i++)
		cr_expect_eq(d->buckets[i], metrics_default_buckets[i]);
	d = &rs->decls[2];
	cr_assert_eq(d->ninitial, 3);
	cr_expect_str_eq(joined(d->initial, 3),
	    "trading monitor reconciliation");
	d = &rs->decls[8];
	cr_assert_eq(d->ninitial, 2);
	cr_expect_str_eq(joined(d->initial, 2), "db exchange");
	d = &rs->decls[3];
	cr_expect_str_eq(d->source,
	    "bytelyst_bot_subsystem_last_run_timestamp");
	cr_expect_eq(d->stale_after, 300);
	cr_assert_eq(d->nth, 3);
	cr_expect_str_eq(d->th[0].label, "subsystem");
	cr_expect_str_eq(d->th[0].value, "trading");
	cr_expect_eq(d->th[0].seconds, 15);
	cr_expect_str_eq(d->th[1].value, "monitor");
	cr_expect_eq(d->th[1].seconds, 45);
	cr_expect_str_eq(d->th[2].value, "reconciliation");
	cr_expect_eq(d->th[2].seconds, 180);
	cr_assert_eq(rs->nts, 2);
	cr_expect_str_eq(rs->ts[0].path.step[0].key, "time");
	cr_expect_eq(rs->ts[0].fmt, TS_EPOCH_MS);
	cr_expect_str_eq(rs->ts[1].path.step[0].key, "time");
	cr_expect_eq(rs->ts[1].fmt, TS_RFC3339);
	rules_free(rs);
}

/* Each rule: its captures, its actions and their label sources. */
Test(rules_shipped, bytelyst_rules)
{
	static const struct {
		const char *name;
		const char *caps;
		size_t	    npats;
		const char *acts; /* kind:metric per action */
	} want[] = {
		{ "operational_event", "severity type profile_id symbol", 4,
		    "inc:bytelyst_bot_operational_events_total" },
		{ "subsystem_cycle", "subsystem ms outcome", 4,
		    "observe:bytelyst_bot_subsystem_duration_seconds "
		    "set:bytelyst_bot_subsystem_last_run_timestamp" },
		{ "exchange_call", "exchange operation ms", 4,
		    "observe:bytelyst_bot_exchange_api_latency_seconds" },
		{ "capital_invariant_violation", "profile_id", 2,
		    "inc:bytelyst_bot_capital_invariant_violations_total" },
		{ "capital_snapshot", "profile_id pct", 3,
		    "set:bytelyst_bot_profile_utilization_percent" },
		{ "reconciliation_mismatches", "n", 2,
		    "add:bytelyst_bot_reconciliation_mismatches_total" },
		{ "reconciliation_missing_in_db", "n", 2,
		    "set:bytelyst_bot_reconciliation_missing_items_count" },
		{ "reconciliation_missing_on_exchange", "n", 2,
		    "set:bytelyst_bot_reconciliation_missing_items_count" },
	};
	static const char *const kinds[] = {
		[ACT_INC] = "inc",
		[ACT_ADD] = "add",
		[ACT_SET] = "set",
		[ACT_OBSERVE] = "observe",
	};
	static const struct expr_node ms[] = {
		{ EXPR_CAP, 0, 1 },
		{ EXPR_NUM, 1000, 0 },
		{ EXPR_DIV, 0, 0 },
	};
	static const struct expr_node now[] = { { EXPR_TIME, 0, 0 } };
	struct ruleset		     *rs;
	struct rule		     *r;
	struct buf		      b;
	char			     *names[8];
	size_t			      i, j;

	rs = load_one("rules/bytelyst.rules");
	cr_assert_eq(rs->nrules, NELEM(want));
	buf_init(&b);
	for (i = 0; i < NELEM(want); i++) {
		r = &rs->rules[i];
		cr_expect_str_eq(r->name, want[i].name);
		cr_expect_eq(r->plan.json, 1);
		cr_expect_eq(r->npats, want[i].npats, "%s", r->name);
		for (j = 0; j < r->ncaps && j < NELEM(names); j++)
			names[j] = r->caps[j].name;
		cr_expect_str_eq(joined(names, j), want[i].caps, "%s", r->name);
		buf_reset(&b);
		buf_puts(&b, "");
		for (j = 0; j < r->nacts; j++)
			buf_printf(&b, "%s%s:%s", j ? " " : "",
			    kinds[r->acts[j].kind], r->acts[j].metric);
		cr_expect_str_eq(b.p, want[i].acts, "%s", r->name);
	}
	buf_free(&b);

	r = &rs->rules[0];
	cr_assert_eq(r->acts[0].nlabels, 4);
	for (j = 0; j < 4; j++)
		cr_expect_eq(r->acts[0].labels[j].cap, (int)j);
	cr_expect_eq(r->pats[2].optional, 1);
	cr_expect_str_eq(r->pats[2].path.step[0].key, "profileId");
	cr_expect_eq(r->plan.nprefilter, 2);
	cr_expect_str_eq(r->plan.prefilter[0].lit, "\"severity\"");
	cr_expect_str_eq(r->plan.prefilter[1].lit, "\"type\"");

	r = &rs->rules[1];
	expect_expr(&r->acts[0].value, ms, NELEM(ms));
	expect_expr(&r->acts[1].value, now, NELEM(now));
	cr_expect_eq(r->acts[1].cond, COND_EQ);
	cr_expect_eq(r->acts[1].condcap, 2);
	cr_expect_str_eq(r->acts[1].condval, "ok");
	cr_expect_eq(r->acts[1].labels[0].cap, 0);

	r = &rs->rules[2];
	cr_expect_eq(r->acts[0].labels[0].cap, 0);
	cr_expect_eq(r->acts[0].labels[1].cap, 1);
	cr_expect_eq(r->acts[0].value.n[0].cap, 2);

	r = &rs->rules[5];
	cr_expect_eq(r->acts[0].nlabels, 0);
	cr_expect_eq(r->acts[0].value.len, 1);
	cr_expect_eq(r->acts[0].value.n[0].op, EXPR_CAP);

	cr_expect_str_eq(rs->rules[6].acts[0].labels[0].lit, "db");
	cr_expect_eq(rs->rules[6].acts[0].labels[0].cap, -1);
	cr_expect_str_eq(rs->rules[7].acts[0].labels[0].lit, "exchange");
	rules_free(rs);
}

Test(rules_shipped, bytelyst_default_labels)
{
	static const struct {
		const char *node_env; /* NULL: unset */
		const char *paper;
		const char *env;
		const char *mode;
	} c[] = {
		{ NULL, NULL, "development", "paper" },
		{ "production", NULL, "production", "paper" },
		{ "production", "false", "production", "live" },
		{ "staging", "0", "development", "live" },
		{ "", "NO", "development", "live" },
		{ "Production", "true", "development", "paper" },
		{ "production", "", "production", "paper" },
		{ "development", "False", "development", "live" },
		{ NULL, "1", "development", "paper" },
	};
	struct ruleset *rs;
	size_t		i;

	for (i = 0; i < NELEM(c); i++) {
		if (c[i].node_env)
			setenv("NODE_ENV", c[i].node_env, 1);
		else
			unsetenv("NODE_ENV");
		if (c[i].paper)
			setenv("PAPER_TRADING", c[i].paper, 1);
		else
			unsetenv("PAPER_TRADING");
		rs = load_one("rules/bytelyst.rules");
		cr_assert_eq(rs->nlabels, 3);
		cr_expect_str_eq(rs->labels[0].name, "env");
		cr_expect_str_eq(label_value(rs, 0), c[i].env, "case %zu", i);
		cr_expect_str_eq(rs->labels[1].name, "mode");
		cr_expect_str_eq(label_value(rs, 1), c[i].mode, "case %zu", i);
		cr_expect_str_eq(rs->labels[2].name, "app");
		cr_expect_str_eq(label_value(rs, 2),
		    "bytelyst-trading-bot-service");
		rules_free(rs);
	}
	unsetenv("NODE_ENV");
	unsetenv("PAPER_TRADING");
}

/* Captures of a whole-line rule from a match on subject, as "name=value". */
static void
match_caps(const struct rule *r, const char *subject, struct buf *out)
{
	pcre2_match_data *md;
	PCRE2_SIZE	 *ov;
	size_t		  i;
	int		  rc;

	buf_reset(out);
	buf_puts(out, "");
	md = pcre2_match_data_create_from_pattern(r->pats[0].re, NULL);
	rc = pcre2_match(r->pats[0].re, (PCRE2_SPTR)subject, strlen(subject), 0,
	    0, md, NULL);
	if (rc > 0) {
		ov = pcre2_get_ovector_pointer(md);
		for (i = 0; i < r->ncaps; i++)
			buf_printf(out, "%s%s=%.*s", i ? " " : "",
			    r->caps[i].name,
			    (int)(ov[2 * r->caps[i].group + 1] -
				ov[2 * r->caps[i].group]),
			    subject + ov[2 * r->caps[i].group]);
	} else
		buf_puts(out, "no match");
	pcre2_match_data_free(md);
}

Test(rules_shipped, nginx)
{
	static const struct {
		const char *line;
		const char *request;
		const char *timed;
	} c[] = {
		{ "203.0.113.7 - - [25/Nov/2025:14:02:11 +0000] \"GET "
		  "/api/orders?id=7 HTTP/1.1\" 200 1534 \"-\" \"curl/8.5.0\"",
		    "method=GET status=200 bytes=1534", "no match" },
		{ "::1 - alice [25/Nov/2025:14:02:11 +0100] \"POST /a\\x22b "
		  "HTTP/2.0\" 502 0 \"https://x/\" \"Mozilla/5.0 (X11)\" "
		  "0.042",
		    "method=POST status=502 bytes=0",
		    "method=POST seconds=0.042" },
		{ "10.0.0.1 - - [25/Nov/2025:14:02:11 +0000] \"\\x16\\x03\\x01"
		  "\" 400 157 \"-\" \"-\" 0.000",
		    "no match", "no match" },
		{ "10.0.0.1 - - [25/Nov/2025:14:02:11 +0000] \"-\" 400 0 "
		  "\"-\" \"-\"",
		    "no match", "no match" },
		{ "10.0.0.1 - - [25/Nov/2025:14:02:11 +0000] \"HEAD / "
		  "HTTP/1.0\" 304 0 \"-\" \"probe\" 12",
		    "method=HEAD status=304 bytes=0",
		    "method=HEAD seconds=12" },
	};
	struct ruleset *rs;
	struct buf	b;
	const char     *pf;
	size_t		i;

	rs = load_one("rules/nginx.rules");
	cr_assert_eq(rs->ndecls, 3);
	cr_expect_str_eq(rs->decls[0].name, "nginx_http_requests_total");
	cr_expect_str_eq(joined(rs->decls[0].labels, rs->decls[0].nlabels),
	    "method status");
	cr_expect_eq(rs->decls[2].type, METRIC_HISTOGRAM);
	cr_expect_eq(rs->nlabels, 0);
	cr_expect_eq(rs->nts, 0);
	cr_assert_eq(rs->nrules, 2);
	cr_expect_eq(rs->rules[0].plan.json, 0);
	cr_expect_eq(rs->rules[0].acts[1].kind, ACT_ADD);
	cr_expect_eq(rs->rules[1].acts[0].kind, ACT_OBSERVE);
	buf_init(&b);
	for (i = 0; i < NELEM(c); i++) {
		pf = rs->rules[0].plan.prefilter[0].lit;
		cr_expect(strstr(c[i].line, pf) != NULL ||
		    strcmp(c[i].request, "no match") == 0);
		match_caps(&rs->rules[0], c[i].line, &b);
		cr_expect_str_eq(b.p, c[i].request, "line %zu", i);
		match_caps(&rs->rules[1], c[i].line, &b);
		cr_expect_str_eq(b.p, c[i].timed, "line %zu", i);
	}
	buf_free(&b);
	rules_free(rs);
}

/*
 * The HTTP rule set: paths into the request and the response, the route
 * rewritten; warned about as paths, and nothing else; the request's id
 * the exemplar of both actions; a latency histogram with both views.
 */
Test(rules_shipped, http)
{
	struct ruleset	  *rs;
	const struct rule *r;

	rs = load_one("rules/http.rules");
	cr_assert_eq(rs->ndecls, 2);
	cr_expect_str_eq(rs->decls[0].name, "http_requests_total");
	cr_expect_str_eq(joined(rs->decls[0].labels, rs->decls[0].nlabels),
	    "method path code");
	cr_expect_eq(rs->decls[1].type, METRIC_HISTOGRAM);
	cr_expect_str_eq(joined(rs->decls[1].labels, rs->decls[1].nlabels),
	    "method path");
	/* Both views of the latency: classic buckets and native ones. */
	cr_expect_eq(rs->decls[1].nbuckets, 11);
	cr_expect_eq(rs->decls[1].native, 1);
	cr_expect_eq(rs->decls[1].native_factor, 1.1);
	cr_expect_eq(rs->nlabels, 0);
	cr_expect_eq(rs->nts, 2);
	cr_assert_eq(rs->nrules, 1);
	r = &rs->rules[0];
	cr_assert_eq(r->npats, 6);
	cr_expect_str_eq(r->pats[1].path.text, "req.method");
	cr_expect_eq(r->pats[1].path.n, 2);
	cr_expect_str_eq(r->pats[3].path.text, "res.statusCode");
	cr_expect_str_eq(r->pats[5].path.text, "req.id");
	cr_expect(r->pats[5].optional);
	cr_expect_eq(r->nrws, 3);
	cr_assert_eq(r->nacts, 2);
	/* The request's id is each action's exemplar. */
	cr_assert_eq(r->acts[0].nex, 1);
	cr_expect_str_eq(r->acts[0].ex[0].name, "request_id");
	cr_assert_eq(r->acts[1].nex, 1);
	cr_expect(strstr(rs->warnings,
		      "rules/http.rules:43:9: warning: "
		      "req.method is a path") != NULL,
	    "%s", rs->warnings);
	rules_free(rs);
}

/* Every shipped file loads together with the others as one directory. */
Test(rules_shipped, whole_directory)
{
	struct ruleset *rs;

	rs = load_one("rules");
	cr_expect_eq(rs->nfiles, 3);
	cr_expect_str_eq(rs->files[0], "rules/bytelyst.rules");
	cr_expect_str_eq(rs->files[1], "rules/http.rules");
	cr_expect_str_eq(rs->files[2], "rules/nginx.rules");
	cr_expect_eq(rs->ndecls, 14);
	cr_expect_eq(rs->nrules, 11);
	rules_free(rs);
}
