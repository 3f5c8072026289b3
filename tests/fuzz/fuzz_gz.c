/*
 * fuzz_gz.c: source_read() on gzip files, ISA-L's path where it is built
 * (zlib's otherwise). The first byte of an input picks what the rest is:
 *
 *   even  a file as it comes (mostly damaged gzip): it is read or refused
 *         with "offset N", nothing else;
 *   odd   a text that this target compresses itself, in as many members
 *         as the second byte says, cut where they fall in the text, and
 *         followed by the bytes after a NUL in the text (bytes that start
 *         no member are ignored): the lines must come out exactly as a
 *         plain reference splitter gives them, the last line without a
 *         newline included and lines over the cap skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include "fuzz.h"
#include "source.h"
#include "util.h"

#define MAXLINE 64

static void
collect(void *arg, const char *line, size_t len)
{
	struct buf *b = arg;

	buf_append(b, line, len);
	buf_putc(b, '\n');
}

/* The lines of text as source_read() must deliver them, each with LF. */
static void
reference(const char *p, size_t n, struct buf *out, uint64_t *toolong)
{
	const char *end = p + n, *nl;
	size_t	    len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl != NULL && len > 0 && p[len - 1] == '\r')
			len--;
		else if (nl == NULL && len > 0 && p[len - 1] == '\r')
			len--; /* the CR before the LF added at EOF */
		if (len > MAXLINE)
			(*toolong)++;
		else {
			buf_append(out, p, len);
			buf_putc(out, '\n');
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

static void
member(struct buf *out, const char *p, size_t n)
{
	z_stream      zs;
	unsigned char chunk[4096];
	int	      rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		fuzz_fail("deflateInit2");
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (unsigned)n;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, Z_FINISH);
		buf_append(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (rc == Z_OK);
	deflateEnd(&zs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source_stats st;
	struct buf	    file, got, want;
	const char	   *text, *nul = NULL;
	char		    path[64], err[512];
	size_t		    n, parts, i, at, next, tail = 0;
	uint64_t	    toolong = 0;
	int		    fd, rc, made, exact;

	if (size < 2)
		return 0;
	buf_init(&file);
	buf_init(&got);
	buf_init(&want);
	made = data[0] & 1;
	if (made) {
		text = (const char *)data + 2;
		n = size - 2;
		if ((nul = memchr(text, '\0', n)) != NULL)
			n = (size_t)(nul - text);
		parts = 1 + data[1] % 4;
		for (i = 0, at = 0; i < parts; i++, at = next) {
			next = i + 1 == parts ? n : n * (i + 1) / parts;
			member(&file, text + at, next - at);
		}
		if (nul != NULL) {
			tail = size - 2 - (size_t)(nul + 1 - text);
			buf_append(&file, nul + 1, tail);
		}
		reference(text, n, &want, &toolong);
	} else
		buf_append(&file, data + 1, size - 1);

	if ((fd = memfd_create("fuzz_gz", MFD_CLOEXEC)) == -1)
		fuzz_fail("memfd_create");
	if (file.len > 0 && write(fd, file.p, file.len) != (ssize_t)file.len)
		fuzz_fail("write");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&st, 0, sizeof(st));
	rc = source_read(path, MAXLINE, collect, &got, &st, err, sizeof(err));
	close(fd);

	if (rc != 0 && rc != -1)
		fuzz_fail("source_read returned %d", rc);
	if (rc == -1 && strstr(err, ": offset ") == NULL)
		fuzz_fail("an error without its offset: %s", err);
	/*
	 * A made file must read exactly, unless its trailing bytes start
	 * another member (1f 8b): that one is then most likely damaged.
	 */
	exact = made &&
	    !(tail >= 2 && (unsigned char)nul[1] == 0x1f &&
		(unsigned char)nul[2] == 0x8b);
	if (exact) {
		if (rc != 0)
			fuzz_fail("a whole file refused: %s", err);
		if (got.len != want.len ||
		    (got.len > 0 && memcmp(got.p, want.p, got.len) != 0))
			fuzz_fail("lines differ from the reference");
		if (st.toolong != toolong)
			fuzz_fail("%llu lines over the cap, reference %llu",
			    (unsigned long long)st.toolong,
			    (unsigned long long)toolong);
	}
	buf_free(&st.last);
	buf_free(&file);
	buf_free(&got);
	buf_free(&want);
	return 0;
}
