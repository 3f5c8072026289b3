/*
 * test_json.c: the one-line JSON scanner against hostile lines first,
 * then the grammar table, unescaping and the index itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "json.h"
#include "util.h"

/* A string literal and its length, NUL bytes inside included. */
#define S(x) x, sizeof(x) - 1

/*
 * Scans a heap copy of exactly n bytes, so that the address sanitizer
 * catches any read past the end. The copy is returned (the fields point
 * into it); the caller frees it.
 */
static char *
scan_copy(struct json_index *ix, const char *s, size_t n, int *rc)
{
	char *line = xmalloc(n ? n : 1);

	if (n > 0)
		memcpy(line, s, n);
	*rc = json_scan(ix, line, n);
	return line;
}

static int
scan_once(const char *s, size_t n)
{
	struct json_index ix;
	char		 *line;
	int		  rc;

	json_init(&ix);
	line = scan_copy(&ix, s, n, &rc);
	if (rc == -1)
		cr_assert_eq(ix.n, 0, "a failed scan left %zu fields", ix.n);
	free(line);
	json_free(&ix);
	return rc;
}

/*
 * Uses the AVX2 scanner and returns 1 where the CPU has it; elsewhere
 * json_use() must refuse it, and 0 is returned.
 */
static int
use_avx2(void)
{
#if defined(__x86_64__)
	int have = __builtin_cpu_supports("avx2");
#else
	int have = 0;
#endif

	cr_assert_eq(json_use(JSON_SCAN_AVX2), have ? 0 : -1);
	return have;
}

/* The baseline vectors of amd64, there on every such CPU. */
static int
use_sse2(void)
{
#if defined(__x86_64__)
	cr_assert_eq(json_use(JSON_SCAN_SSE2), 0);
	return 1;
#else
	cr_assert_eq(json_use(JSON_SCAN_SSE2), -1);
	return 0;
#endif
}

static void
put_bytes(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, c);
	}
}

/*
 * Every field as "key=T:value\n", value through json_value(), bytes
 * outside printable ASCII (and backslashes) as \xNN. T is s n t f z o a.
 */
static char *
dump(struct json_index *ix)
{
	static const char types[] = "?sntfzoa";
	struct buf	  b;
	const char	 *v;
	size_t		  i, vlen;

	buf_init(&b);
	buf_puts(&b, "");
	for (i = 0; i < ix->n; i++) {
		struct json_field *f = &ix->f[i];

		put_bytes(&b, f->key, f->keylen);
		buf_printf(&b, "=%c:", types[f->type]);
		v = json_value(ix, f, &vlen);
		put_bytes(&b, v, vlen);
		buf_putc(&b, '\n');
	}
	return buf_release(&b);
}

/* Scans s (which must be valid) and compares the whole field dump. */
static void
check_dump(const char *s, size_t n, const char *want)
{
	struct json_index ix;
	char		 *line, *got;
	int		  rc;

	json_init(&ix);
	line = scan_copy(&ix, s, n, &rc);
	cr_assert_eq(rc, 0, "rejected: %.*s", (int)n, s);
	got = dump(&ix);
	cr_assert_str_eq(got, want, "line: %.*s", (int)n, s);
	free(got);
	free(line);
	json_free(&ix);
}

TestSuite(json_hazards);

/* Only top-level keys are fields; nested repeats of them are not. */
Test(json_hazards, nested_names_are_not_fields)
{
	static const char line[] =
	    "{\"level\":30,\"type\":\"chatter\",\"order\":{\"symbol\":\"BTCUSDT\","
	    "\"type\":\"LIMIT\",\"severity\":\"X\"},\"event\":{\"severity\":"
	    "\"ERROR\",\"type\":\"ORDER_FAILURE\",\"profileId\":\"7\"},"
	    "\"msg\":\"order\"}";
	struct json_index  ix;
	struct json_field *f;
	char		  *buf;
	int		   rc;

	check_dump(S(line),
	    "level=n:30\n"
	    "type=s:chatter\n"
	    "order=o:{\"symbol\":\"BTCUSDT\",\"type\":\"LIMIT\","
	    "\"severity\":\"X\"}\n"
	    "event=o:{\"severity\":\"ERROR\",\"type\":\"ORDER_FAILURE\","
	    "\"profileId\":\"7\"}\n"
	    "msg=s:order\n");

	json_init(&ix);
	buf = scan_copy(&ix, S(line), &rc);
	cr_assert_eq(rc, 0);
	cr_assert_null(json_get(&ix, S("symbol")));
	cr_assert_null(json_get(&ix, S("severity")));
	cr_assert_null(json_get(&ix, S("profileId")));
	f = json_get(&ix, S("type"));
	cr_assert_not_null(f);
	cr_assert_eq(f->rawlen, 7);
	cr_assert_eq(memcmp(f->raw, "chatter", 7), 0);
	free(buf);
	json_free(&ix);
}

/* Lines cut by a crash, some of which still end in '}'. */
Test(json_hazards, cut_lines)
{
	static const struct {
		const char *s;
	} cut[] = {
		{ "{\"level\":30,\"order\":{\"symbol\":\"X\"}" },
		{ "{\"a\":{\"b\":{\"c\":1}}" },
		{ "{\"a\":[{\"b\":1}]" },
		{ "{\"a\":{}" },
		{ "{\"level\":30,\"msg\":\"}\"" },
		{ "{\"level\":30,\"msg\":\"cut here" },
		{ "{\"level\":30,\"msg\":\"esc\\" },
		{ "{\"level\":30,\"msg\":\"\\u00" },
		{ "{\"level\":30,\"time\":17640" },
		{ "{\"level\":30,\"time\":" },
		{ "{\"level\":30,\"time\"" },
		{ "{\"level\":30," },
		{ "{\"level\":30" },
		{ "{\"lev" },
		{ "{" },
		{ "{\"a\":tr" },
		{ "{\"a\":[1,2" },
		{ "{\"a\":[1,2]" },
	};
	size_t i;

	for (i = 0; i < NELEM(cut); i++)
		cr_expect_eq(scan_once(cut[i].s, strlen(cut[i].s)), -1,
		    "accepted cut line %s", cut[i].s);
}

Test(json_hazards, surrounding_blanks_and_crlf)
{
	cr_expect_eq(scan_once(S("{\"a\":1}\r")), 0);
	cr_expect_eq(scan_once(S("\r\n{\"a\":1}\r\n")), 0);
	cr_expect_eq(scan_once(S(" \t{\"a\":1} \t ")), 0);
	cr_expect_eq(scan_once(S("{\r\n\"a\"\t:\r1\n}")), 0);
	cr_expect_eq(scan_once(S("\f{\"a\":1}")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1}\v")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1}\x00")), -1);
	cr_expect_eq(scan_once(S("\xef\xbb\xbf{\"a\":1}")), -1);
	cr_expect_eq(scan_once(S("\xc2\xa0{\"a\":1}")), -1);
	check_dump(S("\r\n {\"a\" : \"b\" , \"c\" : [ 1 , 2 ] }\r"),
	    "a=s:b\nc=a:[ 1 , 2 ]\n");
}

Test(json_hazards, escapes_in_values)
{
	check_dump(S("{\"msg\":\"say \\\"hi\\\"\",\"path\":\"C:\\\\tmp\\\\x\","
		     "\"name\":\"caf\\u00e9\",\"emoji\":\"\\uD83D\\uDE00!\","
		     "\"lone\":\"a\\ud800b\",\"lowfirst\":\"\\udc00\\ud800\","
		     "\"ctl\":\"\\b\\f\\n\\r\\t\\/\",\"nul\":\"\\u0000\"}"),
	    "msg=s:say \"hi\"\n"
	    "path=s:C:\\x5ctmp\\x5cx\n"
	    "name=s:caf\\xc3\\xa9\n"
	    "emoji=s:\\xf0\\x9f\\x98\\x80!\n"
	    "lone=s:a\\xef\\xbf\\xbdb\n"
	    "lowfirst=s:\\xef\\xbf\\xbd\\xef\\xbf\\xbd\n"
	    "ctl=s:\\x08\\x0c\\x0a\\x0d\\x09/\n"
	    "nul=s:\\x00\n");
}

Test(json_hazards, escaped_keys_unescaped_at_scan)
{
	struct json_index  ix;
	struct json_field *f;
	char		  *line;
	int		   rc;

	check_dump(S("{\"a\\\"b\":1,\"\\u00e9t\\u00e9\":2,\"\\\\\":3}"),
	    "a\"b=n:1\n"
	    "\\xc3\\xa9t\\xc3\\xa9=n:2\n"
	    "\\x5c=n:3\n");

	/* An escaped spelling of a key repeats it; the last one wins. */
	json_init(&ix);
	line = scan_copy(&ix,
	    S("{\"type\":\"first\",\"t\\u0079pe\":\"second\"}"), &rc);
	cr_assert_eq(rc, 0);
	f = json_get(&ix, S("type"));
	cr_assert_not_null(f);
	cr_assert_eq(f->rawlen, 6);
	cr_assert_eq(memcmp(f->raw, "second", 6), 0);
	free(line);
	json_free(&ix);
}

/* Bytes >= 0x80 pass through as they are, valid UTF-8 or not. */
Test(json_hazards, non_utf8_bytes)
{
	check_dump(
	    S("{\"a\":\"\xff\xfe\x80\",\"b\":\"\xc3\xa9\",\"\xc0\":\"\xed"
	      "\xa0\x80\",\"d\":\"\x7f\"}"),
	    "a=s:\\xff\\xfe\\x80\n"
	    "b=s:\\xc3\\xa9\n"
	    "\\xc0=s:\\xed\\xa0\\x80\n"
	    "d=s:\\x7f\n");
	cr_expect_eq(scan_once(S("{\xff:1}")), -1);
	cr_expect_eq(scan_once(S("{\"a\":\xc3\xa9}")), -1);
}

Test(json_hazards, plain_text_and_empty)
{
	static const char *text[] = {
		"(node:4242) Warning: Possible EventEmitter memory leak "
		"detected. 11 listeners added.",
		"(node:4242) [DEP0005] DeprecationWarning: Buffer() is "
		"deprecated",
		"Error: connect ECONNREFUSED 127.0.0.1:5432",
		"    at TCPConnectWrap.afterConnect [as oncomplete] "
		"(node:net:1494:16)",
		"}",
		"{}}",
		"level=30 msg=\"hello\"",
		"",
		" ",
		"\r",
		"\t\r\n",
	};
	size_t i;

	for (i = 0; i < NELEM(text); i++)
		cr_expect_eq(scan_once(text[i], strlen(text[i])), -1,
		    "accepted %s", text[i]);
	cr_expect_eq(scan_once(NULL, 0), -1);
}

Test(json_hazards, two_objects_and_garbage)
{
	cr_expect_eq(scan_once(S("{\"a\":1}{\"a\":2}")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1} {\"a\":2}")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1}\n{\"a\":2}")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1},")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1}x")), -1);
	cr_expect_eq(scan_once(S("{\"a\":1}}")), -1);
	cr_expect_eq(scan_once(S("x{\"a\":1}")), -1);
	cr_expect_eq(scan_once(S("[{\"a\":1}]")), -1);
}

/* A 200 KiB err.stack, escapes and non-ASCII spread all through it. */
Test(json_hazards, long_string_value)
{
	static const char  unit[] = "    at f (/app/x.js:1:2)\\n\\u00e9\\\"";
	static const char  plain[] = "    at f (/app/x.js:1:2)\n\xc3\xa9\"";
	const size_t	   reps = 200 * 1024 / (sizeof(unit) - 1) + 1;
	struct json_index  ix;
	struct json_field *f;
	struct buf	   line, want;
	const char	  *v;
	size_t		   i, vlen;

	buf_init(&line);
	buf_init(&want);
	buf_puts(&line, "{\"level\":50,\"err\":{\"stack\":\"");
	for (i = 0; i < reps; i++)
		buf_puts(&line, unit);
	buf_puts(&line, "\"},\"stack\":\"");
	for (i = 0; i < reps; i++) {
		buf_puts(&line, unit);
		buf_puts(&want, plain);
	}
	buf_puts(&line, "\",\"msg\":\"boom\"}");
	cr_assert_gt(line.len, 400 * 1024);

	json_init(&ix);
	cr_assert_eq(json_scan(&ix, line.p, line.len), 0);
	cr_assert_eq(ix.n, 4);
	f = json_get(&ix, S("stack"));
	cr_assert_not_null(f);
	cr_assert_eq(f->type, JSON_STRING);
	cr_assert_eq(f->escaped, 1);
	cr_assert_eq(f->rawlen, reps * (sizeof(unit) - 1));
	v = json_value(&ix, f, &vlen);
	cr_assert_eq(vlen, want.len);
	cr_assert_eq(memcmp(v, want.p, vlen), 0);
	f = json_get(&ix, S("msg"));
	cr_assert_not_null(f);
	cr_assert_eq(f->rawlen, 4);

	/* The same line cut one byte short of its closing brace. */
	cr_assert_eq(json_scan(&ix, line.p, line.len - 1), -1);
	buf_free(&line);
	buf_free(&want);
	json_free(&ix);
}

static char *
repeat(const char *head, const char *open, size_t n, const char *mid,
    const char *close, const char *tail, size_t *lenp)
{
	struct buf b;
	size_t	   i;

	buf_init(&b);
	buf_puts(&b, head);
	for (i = 0; i < n; i++)
		buf_puts(&b, open);
	buf_puts(&b, mid);
	for (i = 0; i < n; i++)
		buf_puts(&b, close);
	buf_puts(&b, tail);
	*lenp = b.len;
	return buf_release(&b);
}

/*
 * Deep nesting is refused, never recursed into. The vector scanners leave
 * lines nested deeper than 64 to the scalar one: around that depth too.
 */
static void
deep_nesting(void)
{
	static const struct {
		const char *head, *open, *mid, *close, *tail;
		size_t	    n;
		int	    want;
	} t[] = {
		{ "", "[", "", "", "", 100000, -1 },
		{ "", "{", "", "", "", 100000, -1 },
		{ "{\"a\":", "[", "", "", "", 100000, -1 },
		{ "{\"a\":", "[", "", "]", "}", 100000, -1 },
		{ "{\"a\":", "{\"a\":", "1", "}", "}", 100000, -1 },
		{ "{\"a\":", "[{\"b\":", "1", "}]", "}", 50000, -1 },
		/* The top-level object and 511 more: the limit, 512. */
		{ "{\"a\":", "[", "", "]", "}", 511, 0 },
		{ "{\"a\":", "[", "", "]", "}", 512, -1 },
		{ "{\"a\":", "{\"a\":", "1", "}", "}", 511, 0 },
		{ "{\"a\":", "{\"a\":", "1", "}", "}", 512, -1 },
		{ "{\"a\":", "{\"a\":", "{}", "}", "}", 510, 0 },
		{ "{\"a\":", "{\"a\":", "{}", "}", "}", 511, -1 },
		/* Mismatched brackets at depth. */
		{ "{\"a\":", "[", "", "}", "}", 300, -1 },
		{ "{\"a\":", "{\"a\":[", "1", "}]", "}", 100, -1 },
		{ "{\"a\":", "{\"a\":[", "1", "]}", "}", 100, 0 },
		/* Where the vector scanners hand over. */
		{ "{\"a\":", "[", "", "]", "}", 62, 0 },
		{ "{\"a\":", "[", "", "]", "}", 63, 0 },
		{ "{\"a\":", "[", "", "]", "}", 64, 0 },
		{ "{\"a\":", "[", "", "]", "}", 65, 0 },
		{ "{\"a\":", "[", "", "}", "}", 63, -1 },
		{ "{\"a\":", "[", "", "}", "}", 64, -1 },
		{ "{\"a\":", "{\"b\":", "\"c\"", "}", "}", 63, 0 },
		{ "{\"a\":", "{\"b\":", "\"c\"", "}", "}", 64, 0 },
		{ "{\"a\":", "{\"b\":", "\"c\"", "}", ",}", 63, -1 },
		{ "{\"a\":", "{\"b\":", "\"c\"", "}", ",}", 64, -1 },
	};
	size_t i, len;
	char  *s;

	for (i = 0; i < NELEM(t); i++) {
		s = repeat(t[i].head, t[i].open, t[i].n, t[i].mid, t[i].close,
		    t[i].tail, &len);
		cr_expect_eq(scan_once(s, len), t[i].want, "case %zu: %s x %zu",
		    i, t[i].open, t[i].n);
		free(s);
	}
}

Test(json_hazards, deep_nesting)
{
	deep_nesting();
}

Test(json_hazards, deep_nesting_scalar)
{
	json_use(JSON_SCAN_SCALAR);
	deep_nesting();
}

Test(json_hazards, deep_nesting_avx2)
{
	if (use_avx2())
		deep_nesting();
}

TestSuite(json_grammar);

static void
grammar_table(void)
{
	static const struct {
		const char *s;
		size_t	    n;
		int	    want;
	} t[] = {
		/* Rejected. */
		{ S("{\"a\":1,}"), -1 },
		{ S("{,\"a\":1}"), -1 },
		{ S("{,}"), -1 },
		{ S("{\"a\":1,,\"b\":2}"), -1 },
		{ S("{\"a\" 1}"), -1 },
		{ S("{\"a\"::1}"), -1 },
		{ S("{\"a\":}"), -1 },
		{ S("{\"a\",\"b\"}"), -1 },
		{ S("{\"a\":1 \"b\":2}"), -1 },
		{ S("{a:1}"), -1 },
		{ S("{'a':1}"), -1 },
		{ S("{\"a\":'b'}"), -1 },
		{ S("{1:1}"), -1 },
		{ S("{null:1}"), -1 },
		{ S("{\"a\":01}"), -1 },
		{ S("{\"a\":-01}"), -1 },
		{ S("{\"a\":00}"), -1 },
		{ S("{\"a\":+1}"), -1 },
		{ S("{\"a\":.5}"), -1 },
		{ S("{\"a\":-.5}"), -1 },
		{ S("{\"a\":5.}"), -1 },
		{ S("{\"a\":5.e3}"), -1 },
		{ S("{\"a\":1e}"), -1 },
		{ S("{\"a\":1e+}"), -1 },
		{ S("{\"a\":1e-}"), -1 },
		{ S("{\"a\":1.5e3.2}"), -1 },
		{ S("{\"a\":1e5e5}"), -1 },
		{ S("{\"a\":-}"), -1 },
		{ S("{\"a\":--1}"), -1 },
		{ S("{\"a\":- 1}"), -1 },
		{ S("{\"a\":NaN}"), -1 },
		{ S("{\"a\":-Infinity}"), -1 },
		{ S("{\"a\":Infinity}"), -1 },
		{ S("{\"a\":0x10}"), -1 },
		{ S("{\"a\":1_000}"), -1 },
		{ S("{\"a\":tru}"), -1 },
		{ S("{\"a\":truee}"), -1 },
		{ S("{\"a\":True}"), -1 },
		{ S("{\"a\":nul}"), -1 },
		{ S("{\"a\":NULL}"), -1 },
		{ S("{\"a\":fals}"), -1 },
		{ S("{\"a\":undefined}"), -1 },
		{ S("{\"a\":\"x}"), -1 },
		{ S("{\"a\":\"\\x\"}"), -1 },
		{ S("{\"a\":\"\\a\"}"), -1 },
		{ S("{\"a\":\"\\'\"}"), -1 },
		{ S("{\"a\":\"\\U00e9\"}"), -1 },
		{ S("{\"a\":\"\\u12\"}"), -1 },
		{ S("{\"a\":\"\\u12G4\"}"), -1 },
		{ S("{\"a\":\"\\uG234\"}"), -1 },
		{ S("{\"a\":\"\\u1G34\"}"), -1 },
		{ S("{\"a\":\"\\u123G\"}"), -1 },
		{ S("{\"a\":\"\\u123 \"}"), -1 },
		{ S("{\"a\":\"\\u-123\"}"), -1 },
		{ S("{\"a\\q\":1}"), -1 },
		{ S("{\"a\":\"tab\there\"}"), -1 },
		{ S("{\"a\":\"nl\nhere\"}"), -1 },
		{ S("{\"a\":\"nul\x00here\"}"), -1 },
		{ S("{\"a\":\"\x1f\"}"), -1 },
		{ S("{\"a\x01\":1}"), -1 },
		{ S("{\"a\":[1,]}"), -1 },
		{ S("{\"a\":[,1]}"), -1 },
		{ S("{\"a\":[,]}"), -1 },
		{ S("{\"a\":[1 2]}"), -1 },
		{ S("{\"a\":[1}"), -1 },
		{ S("{\"a\":[1]]}"), -1 },
		{ S("{\"a\":{]}"), -1 },
		{ S("{\"a\":{\"b\":1,}}"), -1 },
		{ S("{\"a\":{\"b\"}}"), -1 },
		{ S("{\"a\":{\"b\":}}"), -1 },
		{ S("{\"a\":{1:2}}"), -1 },
		{ S("{\"a\":{\"b\" \"c\"}}"), -1 },
		{ S("{\"a\":[\"x\":1]}"), -1 },
		{ S("{\"a\":[01]}"), -1 },
		{ S("{\"a\":[\"\t\"]}"), -1 },
		{ S("{\"a\":[\"\\z\"]}"), -1 },
		{ S("{\"a\":[nul]}"), -1 },
		{ S("{\"a\":[1]"), -1 },
		{ S("{\"a\":1]"), -1 },
		{ S("{\"a\":1}}"), -1 },
		{ S("{\"a\":1}]"), -1 },
		{ S("{\"a\":{}}}"), -1 },
		{ S("{\"a\":1}\x00"), -1 },
		{ S("{\"a\":1}\x1a"), -1 },
		{ S("[]"), -1 },
		{ S("[1,2]"), -1 },
		{ S("1"), -1 },
		{ S("\"a\""), -1 },
		{ S("true"), -1 },
		{ S("null"), -1 },
		{ S("{"), -1 },
		{ S("}"), -1 },
		{ S("{}{}"), -1 },
		/* Accepted. */
		{ S("{}"), 0 },
		{ S(" { } "), 0 },
		{ S("{\"\":\"\"}"), 0 },
		{ S("{\"a\":0}"), 0 },
		{ S("{\"a\":-0}"), 0 },
		{ S("{\"a\":-0.0e-0}"), 0 },
		{ S("{\"a\":0.5}"), 0 },
		{ S("{\"a\":10}"), 0 },
		{ S("{\"a\":1e5}"), 0 },
		{ S("{\"a\":1E+5}"), 0 },
		{ S("{\"a\":-1.5e-3}"), 0 },
		{ S("{\"a\":123456789012345678901234567890}"), 0 },
		{ S("{\"a\":1e999}"), 0 },
		{ S("{\"a\":true,\"b\":false,\"c\":null}"), 0 },
		{ S("{\"a\":[]}"), 0 },
		{ S("{\"a\":{}}"), 0 },
		{ S("{\"a\":[ ]}"), 0 },
		{ S("{\"a\":{ }}"), 0 },
		{ S("{\"a\":[1,[2,{\"b\":[]}],\"x\",true,null,-1.5]}"), 0 },
		{ S("{\"a\":{\"b\":{\"c\":[{}]},\"d\":\"}\"}}"), 0 },
		{ S("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D"
		    "\\uDE00\"}"),
		    0 },
		{ S("{\"a\":\"\\ud800\"}"), 0 },
		{ S("{\"a\":\"\\uDFFF\\uD800\"}"), 0 },
		{ S("{\"a\":\"\\u0000\"}"), 0 },
		{ S("{\"a\":\"\x7f\"}"), 0 },
		{ S("{\"a\":\"[{\\\"}\"}"), 0 },
		{ S("{\"a\":[\"\\\"]\"]}"), 0 },
		{ S("{ \"a\" : 1 , \"b\" : [ 1 , 2 ] , \"c\" : { \"d\" : "
		    "null } }"),
		    0 },
		{ S("{\"a\":1,\"a\":2}"), 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		cr_expect_eq(scan_once(t[i].s, t[i].n), t[i].want,
		    "case %zu: %.*s: want %d", i, (int)t[i].n, t[i].s,
		    t[i].want);
}

Test(json_grammar, table)
{
	grammar_table();
}

/* The scalar scanner, the reference, gives the same verdicts. */
Test(json_grammar, table_scalar)
{
	json_use(JSON_SCAN_SCALAR);
	grammar_table();
}

/* So do the vector scanners, each where the machine has it. */
Test(json_grammar, table_sse2)
{
	if (use_sse2())
		grammar_table();
}

Test(json_grammar, table_avx2)
{
	if (use_avx2())
		grammar_table();
}

/*
 * Strings of every length around the 16-byte steps, and of lengths across
 * the 64-byte blocks, with a stop byte or an escape placed at every
 * offset, so that both the wide and the byte-wise paths see each case,
 * the closing quote in the same block or not.
 */
static void
grammar_string_stops_at_every_offset(void)
{
	static const struct {
		const char *ins;
		size_t	    n;
		int	    want;
	} stop[] = {
		{ S("\""), -1 }, /* ends the string early: garbage follows */
		{ S("\t"), -1 },
		{ S("\x1f"), -1 },
		{ S("\0"), -1 },
		{ S("\tn"), -1 },
		{ S("\x1fu0041"), -1 },
		{ S("\\"), -1 },
		{ S("\\x"), -1 },
		{ S("\\u00e"), -1 },
		{ S("\\u00eg"), -1 },
		{ S("\\\\\\"), -1 },
		{ S("\x7f"), 0 },
		{ S("\x80"), 0 },
		{ S("\xff"), 0 },
		{ S(" "), 0 },
		{ S("\\\""), 0 },
		{ S("\\\\"), 0 },
		{ S("\\/"), 0 },
		{ S("\\u00e9"), 0 },
		{ S("\\uD83D\\uDE00"), 0 },
		{ S("\\\"\\\""), 0 },
		{ S("\\\\\\\""), 0 },
	};
	char   line[192];
	size_t len, at, i, n;

	for (len = 1; len <= 140; len += len < 40 ? 1 : 7) {
		for (at = 0; at <= len; at++) {
			for (i = 0; i < NELEM(stop); i++) {
				memcpy(line, "{\"k\":\"", 6);
				n = 6;
				memset(line + n, 'x', at);
				n += at;
				memcpy(line + n, stop[i].ins, stop[i].n);
				n += stop[i].n;
				memset(line + n, 'y', len - at);
				n += len - at;
				memcpy(line + n, "\"}", 2);
				n += 2;
				cr_expect_eq(scan_once(line, n), stop[i].want,
				    "%zu+%zu bytes around stop %zu", at,
				    len - at, i);
			}
		}
	}
}

Test(json_grammar, string_stops_at_every_offset)
{
	grammar_string_stops_at_every_offset();
}

/* The scalar scanner, the reference, gives the same verdicts. */
Test(json_grammar, string_stops_at_every_offset_scalar)
{
	json_use(JSON_SCAN_SCALAR);
	grammar_string_stops_at_every_offset();
}

/* So do the vector scanners, each where the machine has it. */
Test(json_grammar, string_stops_at_every_offset_sse2)
{
	if (use_sse2())
		grammar_string_stops_at_every_offset();
}

Test(json_grammar, string_stops_at_every_offset_avx2)
{
	if (use_avx2())
		grammar_string_stops_at_every_offset();
}

/*
 * Numbers of every length up to 24 digits, each followed by what may and
 * may not end one, near and far from the end of the line: digits are
 * scanned eight at a time where the line has eight bytes left.
 */
static void
grammar_number_stops_at_every_length(void)
{
	static const struct {
		const char *after;
		size_t	    n;
		int	    want;
	} stop[] = {
		{ S("}"), 0 },
		{ S(" }"), 0 },
		{ S(",\"b\":1}"), 0 },
		{ S(".5}"), 0 },
		{ S("e3}"), 0 },
		{ S("\r\n}"), 0 },
		{ S("x}"), -1 },
		{ S("/}"), -1 },
		{ S(":}"), -1 },
		{ S("\xfa}"), -1 },
		{ S("\xff}"), -1 },
		{ S("\x80}"), -1 },
		{ S("\0}"), -1 },
		{ S(".}"), -1 },
	};
	struct json_index  ix;
	struct json_field *f;
	char		   line[64], *copy;
	size_t		   digits, i, n;
	int		   rc;

	json_init(&ix);
	for (digits = 1; digits <= 24; digits++) {
		for (i = 0; i < NELEM(stop); i++) {
			memcpy(line, "{\"k\":", 5);
			n = 5;
			line[n++] = '1';
			memset(line + n, '9', digits - 1);
			n += digits - 1;
			memcpy(line + n, stop[i].after, stop[i].n);
			n += stop[i].n;
			copy = scan_copy(&ix, line, n, &rc);
			cr_expect_eq(rc, stop[i].want, "%zu digits, stop %zu",
			    digits, i);
			if (rc == 0 && stop[i].after[0] != '.' &&
			    stop[i].after[0] != 'e') {
				f = json_get(&ix, "k", 1);
				cr_assert_not_null(f);
				cr_expect_eq(f->rawlen, digits,
				    "%zu digits, "
				    "stop %zu: %zu",
				    digits, i, f->rawlen);
			}
			free(copy);
		}
	}
	json_free(&ix);
}

Test(json_grammar, number_stops_at_every_length)
{
	grammar_number_stops_at_every_length();
}

/* The scalar scanner, the reference, gives the same verdicts. */
Test(json_grammar, number_stops_at_every_length_scalar)
{
	json_use(JSON_SCAN_SCALAR);
	grammar_number_stops_at_every_length();
}

/* So do the vector scanners, each where the machine has it. */
Test(json_grammar, number_stops_at_every_length_sse2)
{
	if (use_sse2())
		grammar_number_stops_at_every_length();
}

Test(json_grammar, number_stops_at_every_length_avx2)
{
	if (use_avx2())
		grammar_number_stops_at_every_length();
}

TestSuite(json_vector);

/*
 * Scans line[0..n) with the scanner sc and with the scalar one: the same
 * verdict, and the same fields at the same places.
 */
static void
same_as_scalar(enum json_scanner sc, const char *line, size_t n)
{
	struct json_index  a, b;
	struct json_field *fa, *fb;
	const char	  *va, *vb;
	char		  *copy;
	size_t		   i, la, lb;
	int		   ra, rb;

	json_init(&a);
	json_init(&b);
	copy = xmalloc(n);
	memcpy(copy, line, n);
	cr_assert_eq(json_use(sc), 0);
	ra = json_scan(&a, copy, n);
	cr_assert_eq(json_use(JSON_SCAN_SCALAR), 0);
	rb = json_scan(&b, copy, n);
	cr_assert_eq(ra, rb, "scanner %d: %d, scalar %d: %.*s", (int)sc, ra, rb,
	    (int)n, line);
	cr_assert_eq(a.n, b.n, "%.*s", (int)n, line);
	cr_assert_eq(a.keys, b.keys, "%.*s", (int)n, line);
	for (i = 0; i < a.n; i++) {
		fa = &a.f[i];
		fb = &b.f[i];
		cr_assert(fa->keylen == fb->keylen &&
			memcmp(fa->key, fb->key, fa->keylen) == 0 &&
			fa->type == fb->type && fa->raw == fb->raw &&
			fa->rawlen == fb->rawlen && fa->escaped == fb->escaped,
		    "field %zu of %.*s", i, (int)n, line);
		va = json_value(&a, fa, &la);
		vb = json_value(&b, fb, &lb);
		cr_assert(la == lb && memcmp(va, vb, la) == 0,
		    "field %zu of %.*s", i, (int)n, line);
	}
	free(copy);
	json_free(&a);
	json_free(&b);
}

/*
 * Valid and broken lines moved across the 64-byte blocks of the vector
 * scanners (blanks before them, or a string of growing length as their
 * first field), each scanned by every vector scanner the machine has and
 * compared with the scalar scan.
 */
Test(json_vector, lines_across_blocks)
{
	static const char *const t[] = {
		"{\"level\":30,\"time\":1764020763416,\"pid\":4242,"
		"\"msg\":\"query executed\",\"durationMs\":4146.4,"
		"\"err\":{\"type\":\"Error\",\"code\":\"E\"},\"tags\":[1,\"a\","
		"null]}",
		"{ \"a\" : 1 , \"b\" : [ 1 , 2 ] , \"c\" : { \"d\" : \"e\" } }",
		"{\"a\":true,\"b\":false,\"c\":null,\"d\":-1.5e+3,\"e\":[],"
		"\"f\":{},\"g\":[{}],\"h\":\"\",\"\":0}",
		"{\"a\":[[[[1]]],{\"b\":[{\"c\":{}}]}],\"d\":\"}]\",\"e\":\"{[\"}",
		"{\"a\":\"x\\\"y\",\"b\":1}",
		"{\"k\\u0041\":1,\"b\":\"\\n\"}",
		"{\"a\":\"\xc3\xa9\xff\",\"b\":1} ",
		"{\"a\":1 2}",
		"{\"a\":tru}",
		"{\"a\":truex}",
		"{\"a\":1,}",
		"{\"a\" \"b\"}",
		"{\"a\":[1,]}",
		"{\"a\":[,1]}",
		"{\"a\":{\"b\":1]}",
		"{\"a\":[1}",
		"{\"a\":\"x\"}x",
		"x{\"a\":1}",
		"{\"a\":01}",
		"{\"a\":\"x}",
		"{\"a\":1}}",
		"{\"a\":[1 2]}",
		"{\"a\"::1}",
		"{,\"a\":1}",
		"{\"a\":1,,\"b\":2}",
		"{\"a\":-}",
		"{\"a\":\"\t\"}",
		"{\"a\":1}\t",
		"{\"a\":\xc3\xa9}",
		"{\"a\":1\"b\":2}",
		"{\"a\":{\"b\"}}",
		"{\"a\":{1:2}}",
		"{\"a\":[\"x\":1]}",
		"{\"a\":.5}",
		"{}",
		"{ }",
		"[]",
		"\"a\"",
		"{\"a\":1",
		"{\"a\"",
		"{\"",
		"{",
	};
	static const enum json_scanner vec[] = { JSON_SCAN_SIMD, JSON_SCAN_SSE2,
		JSON_SCAN_AVX2, JSON_SCAN_NEON };
	char			       line[512];
	size_t			       i, k, pad, n, len;

	for (k = 0; k < NELEM(vec); k++) {
		if (json_use(vec[k]) == -1)
			continue;
		for (i = 0; i < NELEM(t); i++) {
			len = strlen(t[i]);
			for (pad = 0; pad <= 130; pad++) {
				memset(line, ' ', pad);
				memcpy(line + pad, t[i], len);
				same_as_scalar(vec[k], line, pad + len);
				if (t[i][0] != '{' || t[i][1] == '\0')
					continue;
				memcpy(line, "{\"s\":\"", 6);
				n = 6;
				memset(line + n, 'x', pad);
				n += pad;
				memcpy(line + n, "\",", 2);
				n += 2;
				memcpy(line + n, t[i] + 1, len - 1);
				same_as_scalar(vec[k], line, n + len - 1);
			}
		}
	}
}

TestSuite(json_unescape);

Test(json_unescape, table)
{
	static const struct {
		const char *in;
		size_t	    inlen;
		const char *out;
		size_t	    outlen;
	} t[] = {
		{ S(""), S("") },
		{ S("plain"), S("plain") },
		{ S("\\\"\\\\\\/\\b\\f\\n\\r\\t"), S("\"\\/\b\f\n\r\t") },
		{ S("caf\\u00e9"), S("caf\xc3\xa9") },
		{ S("\\u00E9"), S("\xc3\xa9") },
		{ S("\\u0000"), S("\x00") },
		{ S("\\u0041"), S("A") },
		{ S("\\u007f"), S("\x7f") },
		{ S("\\u0080"), S("\xc2\x80") },
		{ S("\\u07ff"), S("\xdf\xbf") },
		{ S("\\u0800"), S("\xe0\xa0\x80") },
		{ S("\\u20ac"), S("\xe2\x82\xac") },
		{ S("\\uffff"), S("\xef\xbf\xbf") },
		{ S("\\uD83D\\uDE00"), S("\xf0\x9f\x98\x80") },
		{ S("\\ud83d\\ude00"), S("\xf0\x9f\x98\x80") },
		{ S("\\uD800\\uDC00"), S("\xf0\x90\x80\x80") },
		{ S("\\uDBFF\\uDFFF"), S("\xf4\x8f\xbf\xbf") },
		/* Lone surrogates. */
		{ S("\\uD83D"), S("\xef\xbf\xbd") },
		{ S("\\uDE00"), S("\xef\xbf\xbd") },
		{ S("a\\uD83Db"),
		    S("a\xef\xbf\xbd"
		      "b") },
		{ S("\\uD83D\\n"), S("\xef\xbf\xbd\n") },
		{ S("\\uD83D\\u0041"),
		    S("\xef\xbf\xbd"
		      "A") },
		{ S("\\uDE00\\uD83D"), S("\xef\xbf\xbd\xef\xbf\xbd") },
		{ S("\\uDC00\\uDC00"), S("\xef\xbf\xbd\xef\xbf\xbd") },
		{ S("\\uDFFF\\uDBFF"), S("\xef\xbf\xbd\xef\xbf\xbd") },
		{ S("\\uD83D\\uD83D\\uDE00"),
		    S("\xef\xbf\xbd\xf0\x9f\x98\x80") },
		{ S("\\uD83D\\uDE0"), S("\xef\xbf\xbd\\uDE0") },
		/* Raw bytes pass through untouched. */
		{ S("\xff\xc3\xa9\x80"), S("\xff\xc3\xa9\x80") },
		/* Not escapes (never after a scan): copied as they are. */
		{ S("ab\\"), S("ab\\") },
		{ S("\\x"), S("\\x") },
		{ S("\\u12"), S("\\u12") },
		{ S("\\u12G4z"), S("\\u12G4z") },
	};
	char   out[64];
	size_t i, n;

	for (i = 0; i < NELEM(t); i++) {
		memset(out, '#', sizeof(out));
		n = json_unescape(t[i].in, t[i].inlen, out);
		cr_expect_eq(n, t[i].outlen, "case %zu: length %zu, want %zu",
		    i, n, t[i].outlen);
		cr_expect(n == t[i].outlen && memcmp(out, t[i].out, n) == 0,
		    "case %zu: bytes differ", i);
		cr_expect_eq(out[t[i].inlen], '#', "case %zu: wrote past n", i);
	}
}

TestSuite(json_index);

Test(json_index, pino_lines)
{
	check_dump(
	    S("{\"level\":50,\"time\":1764020763412,\"pid\":4242,"
	      "\"hostname\":\"bot-1\",\"name\":\"bytelyst-trading-bot-service\","
	      "\"component\":\"events\",\"severity\":\"ERROR\",\"type\":"
	      "\"ORDER_FAILURE\",\"profileId\":\"7\",\"symbol\":\"BTC/USDT\","
	      "\"msg\":\"order rejected by exchange: insufficient balance\"}"),
	    "level=n:50\n"
	    "time=n:1764020763412\n"
	    "pid=n:4242\n"
	    "hostname=s:bot-1\n"
	    "name=s:bytelyst-trading-bot-service\n"
	    "component=s:events\n"
	    "severity=s:ERROR\n"
	    "type=s:ORDER_FAILURE\n"
	    "profileId=s:7\n"
	    "symbol=s:BTC/USDT\n"
	    "msg=s:order rejected by exchange: insufficient balance\n");
	check_dump(
	    S("{\"level\":30,\"time\":\"2025-11-24T21:46:03.412Z\","
	      "\"component\":\"scheduler\",\"subsystem\":\"trading\","
	      "\"durationMs\":412.7,\"outcome\":\"ok\",\"ok\":true,\"err\":null,"
	      "\"tags\":[\"a\",1],\"neg\":-1.5e-3,\"f\":false}"),
	    "level=n:30\n"
	    "time=s:2025-11-24T21:46:03.412Z\n"
	    "component=s:scheduler\n"
	    "subsystem=s:trading\n"
	    "durationMs=n:412.7\n"
	    "outcome=s:ok\n"
	    "ok=t:true\n"
	    "err=z:null\n"
	    "tags=a:[\"a\",1]\n"
	    "neg=n:-1.5e-3\n"
	    "f=f:false\n");
	check_dump(S("{}"), "");
}

Test(json_index, duplicate_keys_last_wins)
{
	struct json_index  ix;
	struct json_field *f;
	const char	  *v;
	char		  *line;
	size_t		   vlen;
	int		   rc;

	json_init(&ix);
	line = scan_copy(&ix,
	    S("{\"a\":1,\"b\":\"x\",\"a\":\"t\\u00e9\","
	      "\"b\":{\"a\":3}}"),
	    &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(ix.n, 4);
	f = json_get(&ix, S("a"));
	cr_assert_not_null(f);
	cr_assert_eq(f->type, JSON_STRING);
	v = json_value(&ix, f, &vlen);
	cr_assert_eq(vlen, 3);
	cr_assert_eq(memcmp(v, "t\xc3\xa9", 3), 0);
	f = json_get(&ix, S("b"));
	cr_assert_not_null(f);
	cr_assert_eq(f->type, JSON_OBJECT);
	cr_assert_eq(f->rawlen, 7);
	cr_assert_null(json_get(&ix, S("c")));
	cr_assert_null(json_get(&ix, S("")));
	cr_assert_null(json_get(&ix, S("ab")));
	free(line);
	json_free(&ix);
}

Test(json_index, value_is_cached_and_lazy)
{
	struct json_index  ix;
	struct json_field *f;
	const char	  *v1, *v2;
	char		  *line;
	size_t		   l1, l2, used;
	int		   rc;

	json_init(&ix);
	line = scan_copy(&ix, S("{\"k\\n\":1,\"m\":\"a\\tb\",\"p\":\"ab\"}"),
	    &rc);
	cr_assert_eq(rc, 0);
	/* The escaped key is in scratch already; the value not yet. */
	cr_assert_eq(ix.scratchlen, 2);
	f = json_get(&ix, S("m"));
	cr_assert_not_null(f);
	cr_assert_eq(f->escaped, 1);
	cr_assert_null(f->val);
	v1 = json_value(&ix, f, &l1);
	used = ix.scratchlen;
	cr_assert_eq(used, 5);
	v2 = json_value(&ix, f, &l2);
	cr_assert_eq(v1, v2);
	cr_assert_eq(l1, 3);
	cr_assert_eq(l2, 3);
	cr_assert_eq(ix.scratchlen, used);
	cr_assert_eq(memcmp(v1, "a\tb", 3), 0);
	/* An unescaped string is returned in place, without quotes. */
	f = json_get(&ix, S("p"));
	cr_assert_not_null(f);
	cr_assert_eq(f->escaped, 0);
	cr_assert_eq(json_value(&ix, f, NULL),
	    line + sizeof("{\"k\\n\":1,\"m\":\"a\\tb\",\"p\":\"") - 1);
	free(line);
	json_free(&ix);
}

/* A rejected line empties the index; a warm index allocates no more. */
Test(json_index, reuse_without_allocation)
{
	static const char  good[] = "{\"a\":1,\"b\":\"x\\ny\",\"c\":[1]}";
	static const char  bad[] = "{\"a\":1,\"b\":\"x\\ny\",\"c\":[1]";
	struct json_index  ix;
	struct json_field *fp;
	char		  *sp;
	size_t		   i, n;
	struct buf	   many;

	json_init(&ix);
	cr_assert_eq(json_scan(&ix, S(good)), 0);
	cr_assert_eq(ix.n, 3);
	cr_assert_eq(json_scan(&ix, S(bad)), -1);
	cr_assert_eq(ix.n, 0);
	cr_assert_null(json_get(&ix, S("a")));

	/* Warm the index with a wide line, then scan smaller ones. */
	buf_init(&many);
	buf_putc(&many, '{');
	for (i = 0; i < 100; i++)
		buf_printf(&many, "%s\"k%zu\":\"v\\t%zu\"", i ? "," : "", i, i);
	buf_putc(&many, '}');
	cr_assert_eq(json_scan(&ix, many.p, many.len), 0);
	cr_assert_eq(ix.n, 100);
	for (i = 0; i < 100; i++)
		json_value(&ix, &ix.f[i], &n);
	fp = ix.f;
	sp = ix.scratch;
	for (i = 0; i < 1000; i++) {
		cr_assert_eq(json_scan(&ix, S(good)), 0);
		json_value(&ix, json_get(&ix, S("b")), &n);
		cr_assert_eq(json_scan(&ix, S(bad)), -1);
		cr_assert_eq(json_scan(&ix, many.p, many.len), 0);
	}
	cr_assert_eq(ix.f, fp);
	cr_assert_eq(ix.scratch, sp);
	buf_free(&many);
	json_free(&ix);
	cr_assert_null(ix.f);
	json_free(&ix);
}

/*
 * Throughput on a typical pino line; printed, never asserted on, as
 * timing depends on the machine and on sanitizers.
 */
Test(json_speed, throughput)
{
	static const char *lines[] = {
		"{\"level\":50,\"time\":1764020763412,\"pid\":4242,\"hostname\":"
		"\"bot-1\",\"name\":\"bytelyst-trading-bot-service\","
		"\"component\":\"events\",\"severity\":\"ERROR\",\"type\":"
		"\"ORDER_FAILURE\",\"profileId\":\"7\",\"symbol\":\"BTC/USDT\","
		"\"msg\":\"order rejected by exchange: insufficient balance\"}",
		"{\"level\":30,\"time\":1764020763412,\"pid\":4242,\"hostname\":"
		"\"bot-1\",\"name\":\"bytelyst-trading-bot-service\","
		"\"component\":\"exchange\",\"order\":{\"symbol\":\"BTCUSDT\","
		"\"type\":\"LIMIT\",\"price\":97000.5,\"qty\":0.001},"
		"\"msg\":\"placing order \\\"abc\\\" on caf\\u00e9\"}",
	};
	struct json_index ix;
	size_t		  len[2], k, bytes = 0;
	unsigned long	  iters = 0, bad = 0;
	double		  t0, dt;

	len[0] = strlen(lines[0]);
	len[1] = strlen(lines[1]);
	json_init(&ix);
	t0 = now_mono();
	do {
		for (k = 0; k < 4096; k++) {
			bad += json_scan(&ix, lines[k & 1], len[k & 1]) != 0;
			bytes += len[k & 1];
		}
		iters += 4096;
		dt = now_mono() - t0;
	} while (dt < 0.3);
	cr_assert_eq(bad, 0);
	cr_assert_eq(ix.n, 8);
	fprintf(stderr,
	    "json_scan: %lu lines of %zu and %zu bytes: "
	    "%.0f MB/s\n",
	    iters, len[0], len[1], (double)bytes / dt / 1e6);
	json_free(&ix);
}

TestSuite(json_walk);

/*
 * Walks a path written as keys joined by '|' (a key in brackets is never
 * an index, as a quoted key in a rule) down from the top-level field
 * named by the first key, and describes the end: "=TEXT" when found,
 * else "no-key@N", "no-index@N", "not-index@N" or "scalar@N", N the step.
 */
static char *
walk(struct json_index *ix, const char *path)
{
	struct json_step   steps[16];
	struct json_field *f, out;
	struct buf	   b;
	char		  *copy = xstrdup(path), *k, *save = NULL, *end;
	size_t		   n = 0, at = 99;
	enum json_stop	   rc;

	buf_init(&b);
	for (k = strtok_r(copy, "|", &save); k != NULL;
	     k = strtok_r(NULL, "|", &save)) {
		steps[n].index = -1;
		if (k[0] == '[') {
			k++;
			k[strlen(k) - 1] = '\0';
		} else if (k[0] >= '0' && k[0] <= '9')
			steps[n].index = strtol(k, &end, 10);
		steps[n].key = k;
		steps[n].len = strlen(k);
		n++;
	}
	f = json_get(ix, steps[0].key, steps[0].len);
	if (f == NULL)
		buf_puts(&b, "no-key@0");
	else if ((rc = json_walk(ix, f, steps + 1, n - 1, &out, &at)) ==
	    JSON_FOUND) {
		buf_putc(&b, '=');
		buf_append(&b, out.val, out.vallen);
	} else
		buf_printf(&b, "%s@%zu",
		    rc == JSON_NO_KEY	     ? "no-key" :
			rc == JSON_NO_INDEX  ? "no-index" :
			rc == JSON_NOT_INDEX ? "not-index" :
					       "scalar",
		    at + 1);
	free(copy);
	return buf_release(&b);
}

Test(json_walk, table)
{
	static const struct {
		const char *line;
		const char *path;
		const char *want;
	} c[] = {
		/* pino-http: the method is req's, not a header's. */
		{ "{\"req\":{\"id\":1,\"method\":\"GET\",\"url\":\"/o?method=X\","
		  "\"headers\":{\"method\":\"PUT\",\"user-agent\":\"c\"}},"
		  "\"res\":{\"statusCode\":200},\"responseTime\":3}",
		    "req|method", "=GET" },
		{ "{\"req\":{\"headers\":{\"user-agent\":\"c\"}}}",
		    "req|headers|user-agent", "=c" },
		{ "{\"res\":{\"statusCode\":200}}", "res|statusCode", "=200" },
		/* The last duplicate wins at every level. */
		{ "{\"a\":{\"b\":1,\"b\":2}}", "a|b", "=2" },
		{ "{\"a\":{\"b\":{\"c\":1}},\"a\":{\"b\":{\"d\":2}}}", "a|b|c",
		    "no-key@2" },
		{ "{\"a\":{\"b\":{\"c\":1},\"b\":{\"c\":3,\"c\":4}}}", "a|b|c",
		    "=4" },
		{ "{\"a\":{\"b\":1,\"c\":{\"b\":5}}}", "a|b", "=1" },
		/* Arrays: indexes, out of range, keys that are no index. */
		{ "{\"items\":[{\"p\":1},{\"p\":2.5}]}", "items|1|p", "=2.5" },
		{ "{\"items\":[{\"p\":1},{\"p\":2.5}]}", "items|0",
		    "={\"p\":1}" },
		{ "{\"items\":[{\"p\":1}]}", "items|1|p", "no-index@1" },
		{ "{\"items\":[]}", "items|0", "no-index@1" },
		{ "{\"items\":[ 7 , [8, 9] ]}", "items|1|1", "=9" },
		{ "{\"items\":[1]}", "items|p", "not-index@1" },
		{ "{\"items\":[1]}", "items|[0]", "not-index@1" },
		/* An index on an object is its key. */
		{ "{\"o\":{\"0\":\"zero\"}}", "o|0", "=zero" },
		{ "{\"o\":{\"0\":\"zero\"}}", "o|[0]", "=zero" },
		/* Into a value that is no container. */
		{ "{\"req\":\"GET\"}", "req|method", "scalar@1" },
		{ "{\"a\":{\"b\":null}}", "a|b|c", "scalar@2" },
		{ "{\"a\":{\"b\":true}}", "a|b|0", "scalar@2" },
		{ "{\"a\":{}}", "a|b", "no-key@1" },
		/* Values: strings unescaped, the rest as written. */
		{ "{\"a\":{\"s\":\"x\\ny\\u00e9\"}}", "a|s", "=x\ny\xc3\xa9" },
		{ "{\"a\":{\"n\":-1.5e3, \"o\" : { \"k\" : [ ] } }}", "a|o",
		    "={ \"k\" : [ ] }" },
		{ "{\"a\":{\"n\":-1.5e3}}", "a|n", "=-1.5e3" },
		{ "{\"a\":{\"s\":\"\"}}", "a|s", "=" },
		/* Escaped keys are the keys they spell; empty keys too. */
		{ "{\"a\":{\"m\\u0065thod\":\"GET\"}}", "a|method", "=GET" },
		{ "{\"a\":{\"x\\\"y\":1,\"x\\\\y\":2}}", "a|x\\y", "=2" },
		{ "{\"a\":{\"x\\\"y\":1,\"x\\\\y\":2}}", "a|x\"y", "=1" },
		{ "{\"a\":{\"\\u0000\":1,\"\":2}}", "a|[]", "=2" },
		{ "{\"a\":{\"k\\u00e9\":1}}", "a|k\xc3\xa9", "=1" },
		{ "{\"a\":{\"ab\":1}}", "a|a", "no-key@1" },
		{ "{\"a\":{\"a\":1}}", "a|ab", "no-key@1" },
		/* Blanks everywhere JSON allows them. */
		{ " { \"a\" : { \"b\" : [ 1 , { \"c\" : \"d\" } ] } } ",
		    "a|b|1|c", "=d" },
	};
	struct json_index ix;
	char		 *line, *got;
	size_t		  i;
	int		  rc;

	json_init(&ix);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		line = scan_copy(&ix, c[i].line, strlen(c[i].line), &rc);
		cr_assert_eq(rc, 0, "%s", c[i].line);
		got = walk(&ix, c[i].path);
		cr_expect_str_eq(got, c[i].want, "%s on %s", c[i].path,
		    c[i].line);
		free(got);
		free(line);
	}
	json_free(&ix);
}

/* A path a thousand levels down, and back up the stack it never used. */
Test(json_walk, deep)
{
	struct json_index  ix;
	struct json_step   steps[1000];
	struct json_field *f, out;
	struct buf	   b;
	size_t		   i, at;
	int		   rc;
	char		  *line;

	buf_init(&b);
	buf_puts(&b, "{\"k\":");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, i % 2 ? "[" : "{\"k\":");
	buf_puts(&b, "\"deep\"");
	for (i = 1000; i-- > 0;)
		buf_puts(&b, i % 2 ? "]" : "}");
	buf_puts(&b, "}");
	json_init(&ix);
	line = scan_copy(&ix, b.p, b.len, &rc);
	/* Deeper than the scanner takes: not an object line at all. */
	cr_assert_eq(rc, -1);
	free(line);
	buf_reset(&b);
	buf_puts(&b, "{\"k\":");
	for (i = 0; i < 100; i++)
		buf_puts(&b, i % 2 ? "[" : "{\"k\":");
	buf_puts(&b, "\"deep\"");
	for (i = 100; i-- > 0;)
		buf_puts(&b, i % 2 ? "]" : "}");
	buf_puts(&b, "}");
	line = scan_copy(&ix, b.p, b.len, &rc);
	cr_assert_eq(rc, 0);
	for (i = 0; i < 100; i++) {
		steps[i].key = i % 2 ? "0" : "k";
		steps[i].len = 1;
		steps[i].index = i % 2 ? 0 : -1;
	}
	f = json_get(&ix, "k", 1);
	cr_assert_not_null(f);
	cr_assert_eq(json_walk(&ix, f, steps, 100, &out, &at), JSON_FOUND);
	cr_expect_eq(out.vallen, 4);
	cr_expect_eq(memcmp(out.val, "deep", 4), 0);
	/* One step more goes into the string. */
	steps[100] = steps[0];
	cr_expect_eq(json_walk(&ix, f, steps, 101, &out, &at), JSON_SCALAR);
	cr_expect_eq(at, 100);
	free(line);
	buf_free(&b);
	json_free(&ix);
}

/*
 * An escaped value reached again, by the same path or another, is not
 * unescaped again: scratch stays within the line's length whatever the
 * number of walks.
 */
Test(json_walk, unescaped_once)
{
	static const char  text[] = "{\"a\":{\"s\":\"\\u00e9\\u00e9\","
				    "\"0\":\"\\n\"}}";
	struct json_index  ix;
	struct json_step   s = { "s", 1, -1 }, z = { "0", 1, 0 };
	struct json_field *f, o1, o2;
	size_t		   at, used, i;
	char		  *line;
	int		   rc;

	json_init(&ix);
	line = scan_copy(&ix, text, sizeof(text) - 1, &rc);
	cr_assert_eq(rc, 0);
	f = json_get(&ix, "a", 1);
	cr_assert_eq(json_walk(&ix, f, &s, 1, &o1, &at), JSON_FOUND);
	used = ix.scratchlen;
	for (i = 0; i < 100; i++) {
		cr_assert_eq(json_walk(&ix, f, &s, 1, &o2, &at), JSON_FOUND);
		cr_assert_eq(o2.val, o1.val);
		cr_assert_eq(json_walk(&ix, f, &z, 1, &o2, &at), JSON_FOUND);
		cr_assert_eq(o2.vallen, 1);
	}
	cr_expect_eq(ix.scratchlen, used + 1);
	cr_expect_leq(ix.scratchlen, sizeof(text) - 1);
	cr_expect_eq(o1.vallen, 4);
	free(line);
	json_free(&ix);
}
