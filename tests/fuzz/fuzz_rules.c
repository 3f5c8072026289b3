/*
 * fuzz_rules.c: rules_parse() over any text. A rejected text must come
 * with messages, each on its own line and naming the place
 * ("fuzz.rules:LINE:COL: ..." with LINE inside the text, or
 * "fuzz.rules: ..." for the whole file). An accepted ruleset must bind to
 * a registry and a matcher, run over a few fixed lines (the hazards of
 * the fixtures in small), and render in both formats with every
 * exposition invariant holding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

#define NAME "fuzz.rules"

/* clang-format off */
#define L(s)	{ s, sizeof(s) - 1 }
/* clang-format on */

static const struct {
	const char *s;
	size_t	    n;
} lines[] = {
	L("{\"level\":50,\"time\":1764020763412,\"component\":\"events\","
	  "\"severity\":\"ERROR\",\"type\":\"ORDER_FAILURE\","
	  "\"profileId\":\"7\",\"symbol\":\"BTC/USDT\",\"msg\":\"x\"}"),
	L("{\"time\":\"2025-11-24T21:46:03.5Z\",\"component\":\"scheduler\","
	  "\"subsystem\":\"trading\",\"durationMs\":250.5,"
	  "\"outcome\":\"ok\",\"latencyMs\":\"1e3\",\"n\":-3}"),
	L("{\"symbol\":\"we\\\"ird\\\\sym\\nbol\",\"severity\":"
	  "\"\\u00e9\\ud83d\\ude80\\udc00\",\"type\":{\"a\":[1,2]},"
	  "\"profileId\":null}"),
	L("{\"symbol\":\"\xff\xfe\xc3\",\"severity\":\"\xed\xa0\x80\","
	  "\"type\":\"\x00\x01\r\",\"durationMs\":1e308}"),
	L("(node:4242) Warning: something 12.5 ms \"quoted\" \\ back"),
	L("{\"durationMs\":\"NaN\",\"time\":-1,\"latencyMs\":0}"),
	L(""),
	L("{}"),
};

/* Every message names the place: the file, and a line of the text. */
static void
check_errors(const char *err, size_t errlen, const uint8_t *data, size_t size)
{
	const char *p = err, *nl;
	size_t	    i, nlines = 1;
	long	    line, col;
	char	   *end;

	if (*err == '\0')
		fuzz_fail("rejected without a message");
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	for (;;) {
		nl = strchr(p, '\n');
		if (nl == NULL && strlen(err) + 1 >= errlen)
			break; /* the last line may be cut */
		if (strncmp(p, NAME ":", sizeof(NAME)) != 0)
			fuzz_fail("message without the file: %.80s", p);
		p += sizeof(NAME);
		if (*p != ' ') {
			line = strtol(p, &end, 10);
			if (end == p || *end != ':' || line < 1 ||
			    (size_t)line > nlines)
				fuzz_fail("bad line in message: %.80s", p);
			p = end + 1;
			col = strtol(p, &end, 10);
			if (end == p || *end != ':' || col < 1)
				fuzz_fail("bad column in message: %.80s", p);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The variables "label NAME = env VAR" statements may read. */
	setenv("NODE_ENV", "production", 1);
	setenv("PAPER_TRADING", "fa\"l\\se\n\xff", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	  err[8192];
	struct ruleset	 *rs;
	struct fuzz_bound b;
	struct buf	  ex;
	size_t		  i;

	rs = rules_parse(NAME, (const char *)data, size, err, sizeof(err));
	if (rs == NULL) {
		check_errors(err, sizeof(err), data, size);
		return 0;
	}
	if (err[0] != '\0')
		fuzz_fail("accepted with a message: %s", err);
	fuzz_bind(&b, rs);
	buf_init(&ex);
	registry_lock(b.reg);
	for (i = 0; i < NELEM(lines); i++) {
		matcher_line(b.m, lines[i].s, lines[i].n, 1764020960.0);
		matcher_explain(b.m, lines[i].s, lines[i].n, 1764020960.0, &ex);
		(void)matcher_line_time(b.m, lines[i].s, lines[i].n);
	}
	registry_unlock(b.reg);
	fuzz_check_render(b.reg, 1764020960.0);
	buf_free(&ex);
	fuzz_unbind(&b);
	rules_free(rs);
	return 0;
}
