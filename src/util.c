/*
 * util.c: buffers, checked allocation, clocks, number formatting and
 * atomic file replacement.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <libgen.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void
oom(void)
{
	static const char msg[] = "logmetrics: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb ? nmemb : 1, size ? size : 1)) == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom();
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
strv_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->p[0] = '\0';
}

/* Makes room for n more bytes and the NUL; grows by doubling. */
void
buf_reserve(struct buf *b, size_t n)
{
	size_t	need, cap;

	if (n > SIZE_MAX - b->len - 1)
		oom();
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_putc(struct buf *b, int c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = (char)c;
	b->p[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	buf_reserve(b, 64);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
buf_release(struct buf *b)
{
	char	*p;

	if (b->p == NULL)
		return xstrdup("");
	p = b->p;
	buf_init(b);
	return p;
}

double
now_wall(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
now_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t
fmt_double(char *out, double v)
{
	int	prec, n;

	if (isnan(v))
		return (size_t)snprintf(out, 32, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, 32, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return (size_t)snprintf(out, 32, "0");
	if (fabs(v) < 1e15 && v == (double)(long long)v)
		return (size_t)snprintf(out, 32, "%lld", (long long)v);
	/*
	 * The shortest precision that reads back to the same double. When
	 * p <= 15 digits suffice, %.15g prints those same p digits (%g drops
	 * the trailing zeros), since a double is within 1.2e-16 of them, well
	 * inside half a unit of the 15th digit: so try 15, 16, then 17.
	 * Subnormals have fewer digits of precision: search them all.
	 */
	for (prec = fabs(v) >= DBL_MIN ? 15 : 1; prec < 17; prec++) {
		n = snprintf(out, 32, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return (size_t)n;
	}
	return (size_t)snprintf(out, 32, "%.17g", v);
}

int
write_atomic(const char *path, const void *data, size_t len)
{
	char		*tmp, *dircopy;
	const char	*p;
	size_t		 off;
	ssize_t		 w;
	int		 fd, dfd, saved;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		goto fail;
	for (p = data, off = 0; off < len; off += (size_t)w) {
		w = write(fd, p + off, len - off);
		if (w == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			goto fail_fd;
		}
	}
	if (fsync(fd) == -1)
		goto fail_fd;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_fd;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail_fd;
	free(tmp);
	dircopy = xstrdup(path);
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dircopy);
	if (dfd != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail_fd:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

/*
 * Length of the UTF-8 sequence at p (p < end). Returns the length of a
 * well-formed sequence (Unicode Table 3-7: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0 with *bad set to the length of the
 * maximal ill-formed subpart: the lead byte and the continuation bytes
 * that were still acceptable, so each such subpart becomes one U+FFFD.
 */
size_t
utf8_seq(const unsigned char *p, const unsigned char *end, size_t *bad)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		*bad = 1;	/* continuation, C0, C1, F5..FF */
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (p + i >= end || p[i] < lo || p[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}
