/*
 * lines.c: a line splitter over one growable read buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "util.h"

#define LINES_MINREAD (64 * 1024)

void
lines_init(struct lines *l, size_t maxline)
{
	memset(l, 0, sizeof(*l));
	l->maxline = maxline ? maxline : 1024 * 1024;
}

void
lines_free(struct lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

void
lines_reset(struct lines *l)
{
	l->start = l->end = l->scan = 0;
	l->skipping = 0;
	l->ext = NULL;
	l->extlen = 0;
	l->lent = 0;
}

/*
 * Compacts delivered bytes away, then grows the buffer so that a line up
 * to maxline plus one full read always fits. Cost: a memmove of the
 * pending partial line, at most maxline bytes.
 */
char *
lines_space(struct lines *l, size_t *avail)
{
	size_t want;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->scan -= l->start;
		l->start = 0;
	}
	want = l->end + LINES_MINREAD;
	if (want > l->cap) {
		size_t cap = l->cap ? l->cap : 2 * LINES_MINREAD;

		while (cap < want)
			cap *= 2;
		l->buf = xrealloc(l->buf, cap);
		l->cap = cap;
	}
	*avail = l->cap - l->end;
	return l->buf + l->end;
}

void
lines_commit(struct lines *l, size_t n)
{
	l->end += n;
}

/*
 * Accounts for a line of n bytes at p whose LF was just found: returns 1
 * with *len set when it is delivered, 0 when it is dropped (the tail of an
 * over-long line, or over the cap itself).
 */
static inline int
line_done(struct lines *l, const char *p, size_t n, size_t *len)
{
	l->consumed += n + 1;
	if (l->skipping) {
		l->skipping = 0;
		return 0;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > l->maxline) {
		l->toolong++;
		return 0;
	}
	*len = n;
	return 1;
}

/* The next complete line in the buffer, or NULL. */
static const char *
next_buffered(struct lines *l, size_t *len)
{
	char  *p, *nl;
	size_t n;

	if (l->buf == NULL)
		return NULL;
	for (;;) {
		p = l->buf + l->scan;
		nl = memchr(p, '\n', l->end - l->scan);
		if (nl == NULL) {
			l->scan = l->end;
			/* + 1: the CR of a longest line waits for its LF. */
			if (l->end - l->start > l->maxline + 1) {
				/* Drop the head of an over-long line now. */
				if (!l->skipping)
					l->toolong++;
				l->skipping = 1;
				l->consumed += l->end - l->start;
				l->start = l->scan = l->end;
			}
			return NULL;
		}
		p = l->buf + l->start;
		n = (size_t)(nl - p);
		l->start = l->scan = (size_t)(nl - l->buf) + 1;
		if (line_done(l, p, n, len))
			return p;
	}
}

/*
 * Copies up to n lent bytes to the end of the buffer and returns how many
 * fit (a line delivered from the buffer may move: see lines_next()).
 */
static size_t
take(struct lines *l, const char *p, size_t n)
{
	size_t avail;
	char  *space;

	space = lines_space(l, &avail);
	if (n > avail)
		n = avail;
	memcpy(space, p, n);
	l->end += n;
	return n;
}

void
lines_attach(struct lines *l, const char *p, size_t n)
{
	l->ext = n > 0 ? p : NULL;
	l->extlen = n;
	l->lent = 0;
}

const char *
lines_next(struct lines *l, size_t *len)
{
	const char *line, *nl;
	size_t	    n;

	for (;;) {
		l->lent = 0;
		if ((line = next_buffered(l, len)) != NULL)
			return line;
		if (l->ext == NULL)
			return NULL;
		nl = memchr(l->ext, '\n', l->extlen);
		if (nl == NULL || l->end > l->start) {
			/* A partial line: its bytes join the buffer's. */
			n = nl != NULL ? (size_t)(nl - l->ext) + 1 : l->extlen;
			n = take(l, l->ext, n);
		} else {
			/* A whole line inside the lent bytes: no copy. */
			line = l->ext;
			n = (size_t)(nl - line);
			l->ext += n + 1;
			l->extlen -= n + 1;
			if (l->extlen == 0)
				l->ext = NULL;
			if (line_done(l, line, n, len)) {
				l->lent = 1;
				return line;
			}
			continue;
		}
		l->ext += n;
		l->extlen -= n;
		if (l->extlen == 0)
			l->ext = NULL;
	}
}

size_t
lines_pending(const struct lines *l)
{
	return l->end - l->start;
}
