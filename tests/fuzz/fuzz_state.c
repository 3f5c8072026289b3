/*
 * fuzz_state.c: state_parse() over any bytes. A refusal must say where
 * ("byte N (line L): ...", N inside the input). An accepted state must
 * survive a round trip: state_format() of it parses again, and formats
 * to the same bytes. Each input is tried as it is and, when it has a
 * checksum line, with that line rewritten to the right CRC-32 of what
 * precedes it, so that mutations reach past the checksum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz.h"
#include "state.h"
#include "util.h"

static void
check(const char *buf, size_t len)
{
	struct state  st, st2;
	struct buf    out, out2;
	char	      err[1024], err2[1024];
	unsigned long off, line;

	err[0] = '\0';
	if (state_parse(buf, len, &st, err, sizeof(err)) == -1) {
		if (sscanf(err, "byte %lu (line %lu): ", &off, &line) != 2 ||
		    off > len || (line < 1 && len > 0))
			fuzz_fail("refusal without its place: %s", err);
		if (st.npos != 0 || st.nmetrics != 0)
			fuzz_fail("a refused state is not left empty");
		return;
	}
	buf_init(&out);
	buf_init(&out2);
	state_format(&st, &out);
	if (state_parse(out.p, out.len, &st2, err2, sizeof(err2)) == -1)
		fuzz_fail("a formatted state does not parse: %s", err2);
	state_format(&st2, &out2);
	if (out.len != out2.len || memcmp(out.p, out2.p, out.len) != 0)
		fuzz_fail("format, parse, format gives other bytes");
	if (st2.npos != st.npos || st2.nmetrics != st.nmetrics ||
	    st2.rules != st.rules)
		fuzz_fail("the round trip changed the counts");
	state_free(&st);
	state_free(&st2);
	buf_free(&out);
	buf_free(&out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *at = NULL;
	char	   *copy;
	struct buf  b;
	size_t	    i;
	uLong	    crc;

	check(s, size);
	/* The last line that starts "crc32 ". */
	for (i = size; i-- > 0;)
		if ((i == 0 || s[i - 1] == '\n') && size - i >= 6 &&
		    memcmp(s + i, "crc32 ", 6) == 0) {
			at = s + i;
			break;
		}
	if (at == NULL)
		return 0;
	crc = crc32(0L, data, (uInt)(at - s)) & 0xffffffffUL;
	buf_init(&b);
	buf_append(&b, s, (size_t)(at - s));
	buf_printf(&b, "crc32 %08lx\n", crc);
	/* In a buffer of exactly its size, for the sanitizer. */
	copy = xmalloc(b.len);
	memcpy(copy, b.p, b.len);
	check(copy, b.len);
	free(copy);
	buf_free(&b);
	return 0;
}
