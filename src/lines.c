/*
 * lines.c: a line splitter over one growable read buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "util.h"

#define LINES_MINREAD	(64 * 1024)

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
}

/*
 * Compacts delivered bytes away, then grows the buffer so that a line up
 * to maxline plus one full read always fits. Cost: a memmove of the
 * pending partial line, at most maxline bytes.
 */
char *
lines_space(struct lines *l, size_t *avail)
{
	size_t	want;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->scan -= l->start;
		l->start = 0;
	}
	want = l->end + LINES_MINREAD;
	if (want > l->cap) {
		size_t	cap = l->cap ? l->cap : 2 * LINES_MINREAD;

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

const char *
lines_next(struct lines *l, size_t *len)
{
	char	*p, *nl;
	size_t	 n;

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
		l->consumed += n + 1;
		l->start = l->scan = (size_t)(nl - l->buf) + 1;
		if (l->skipping) {
			l->skipping = 0;
			continue;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > l->maxline) {
			l->toolong++;
			continue;
		}
		*len = n;
		return p;
	}
}

size_t
lines_pending(const struct lines *l)
{
	return l->end - l->start;
}
