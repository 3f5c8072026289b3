/*
 * util.c: buffers, checked allocation, clocks, number formatting and
 * atomic file replacement.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define ISDIGIT(c) ((unsigned char)((c) - '0') < 10)

/* Bytes read_file asks for at a time. */
#define READ_CHUNK 65536

/* Longest decimal text converted on the stack; longer goes to the heap. */
#define DECIMAL_STACKBUF 96
#define DECIMAL_MAXEXP	 (1L << 50) /* exponents are read up to */

/* Powers of ten that a double holds exactly. */
static const double pow10tab[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
	1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
	1e21, 1e22 };

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
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

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

void *
xgrow(void *p, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		return xreallocarray(p, n ? n * 2 : 1, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
strv_free(char **v, size_t n)
{
	size_t i;

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
	size_t need, cap;

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
	va_list ap2;
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
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
buf_release(struct buf *b)
{
	char *p;

	if (b->p == NULL)
		return xstrdup("");
	p = b->p;
	buf_init(b);
	return p;
}

double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t
fmt_double(char *out, double v)
{
	int prec, n;

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
read_file(const char *path, size_t max, int flags, struct buf *out,
    struct stat *st)
{
	struct stat sb;
	size_t	    got = 0;
	ssize_t	    n;
	int	    fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if ((flags & READ_REGULAR) && !S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	/* Straight into out, which stays NUL-terminated, even when empty. */
	for (;;) {
		buf_reserve(out, READ_CHUNK);
		n = read(fd, out->p + out->len, READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		if (max > 0 && (size_t)n > max - got) {
			out->p[out->len] = '\0';
			errno = EFBIG;
			goto fail;
		}
		got += (size_t)n;
		out->len += (size_t)n;
	}
	out->p[out->len] = '\0';
	close(fd);
	if (st != NULL)
		*st = sb;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
atomic_open(struct atomic *a, const char *path)
{
	int fd, saved;

	memset(a, 0, sizeof(*a));
	a->path = path;
	if (asprintf(&a->tmp, "%s.tmp.%ld", path, (long)getpid()) == -1) {
		a->tmp = NULL;
		return -1;
	}
	fd = open(a->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || (a->fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		if (fd != -1) {
			close(fd);
			unlink(a->tmp);
		}
		free(a->tmp);
		a->tmp = NULL;
		errno = saved;
		return -1;
	}
	return 0;
}

void
atomic_abort(struct atomic *a)
{
	int saved = errno;

	if (a->fp != NULL)
		fclose(a->fp);
	if (a->tmp != NULL) {
		unlink(a->tmp);
		free(a->tmp);
	}
	a->fp = NULL;
	a->tmp = NULL;
	errno = saved;
}

int
atomic_commit(struct atomic *a)
{
	char *dircopy;
	int   dfd, rc;

	if (fflush(a->fp) == EOF || ferror(a->fp) || fsync(fileno(a->fp)) == -1)
		goto fail;
	rc = fclose(a->fp);
	a->fp = NULL;
	if (rc == EOF || rename(a->tmp, a->path) == -1)
		goto fail;
	free(a->tmp);
	a->tmp = NULL;
	/*
	 * The directory too, so that the rename outlives a crash; where it
	 * cannot be opened, the file is in place all the same.
	 */
	dircopy = xstrdup(a->path);
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dircopy);
	if (dfd != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	atomic_abort(a);
	return -1;
}

int
write_atomic(const char *path, const void *data, size_t len)
{
	struct atomic a;

	if (atomic_open(&a, path) == -1)
		return -1;
	if (len > 0 && fwrite(data, 1, len, a.fp) != len) {
		atomic_abort(&a);
		return -1;
	}
	return atomic_commit(&a);
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
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t	      need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		*bad = 1; /* continuation, C0, C1, F5..FF */
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

int
decimal_value(int neg, const char *ip, size_t ni, const char *fp, size_t nf,
    long e10, double *out)
{
	char	 stack[DECIMAL_STACKBUF], *buf, *b;
	uint64_t m = 0;
	size_t	 i, need;
	double	 v;

	/* Trailing zeros of the fraction only move the exponent. */
	while (nf > 0 && fp[nf - 1] == '0')
		nf--;
	while (ni > 0 && *ip == '0') {
		ip++;
		ni--;
	}
	/* Nineteen digits always fit in 64 bits. */
	if (ni + nf <= 19) {
		for (i = 0; i < ni; i++)
			m = m * 10 + (uint64_t)(ip[i] - '0');
		for (i = 0; i < nf; i++)
			m = m * 10 + (uint64_t)(fp[i] - '0');
	} else
		m = UINT64_MAX;
	e10 -= (long)nf;
	if (m <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
		v = (double)m;
		v = e10 < 0 ? v / pow10tab[-e10] : v * pow10tab[e10];
		goto done;
	}

	need = ni + nf + 32;
	buf = need <= sizeof(stack) ? stack : xmalloc(need);
	b = buf;
	*b++ = '0';
	if (ni > 0)
		memcpy(b, ip, ni);
	b += ni;
	if (nf > 0)
		memcpy(b, fp, nf);
	b += nf;
	snprintf(b, 32, "e%ld", e10);
	v = strtod(buf, NULL);
	if (buf != stack)
		free(buf);
done:
	if (!isfinite(v))
		return -1;
	*out = neg ? -v : v;
	return 0;
}

int
decimal_parse(const char *s, size_t n, int scale, double *out)
{
	const char *p = s, *end = s + n, *ip, *fp = NULL;
	size_t	    ni, nf = 0;
	long	    e = 0;
	int	    neg = 0, eneg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	while (p < end && ISDIGIT(*p))
		p++;
	if ((ni = (size_t)(p - ip)) == 0)
		return -1;
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && ISDIGIT(*p))
			p++;
		if ((nf = (size_t)(p - fp)) == 0)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *q;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		q = p;
		/*
		 * The digits before it can move the point as far as there
		 * are digits, so the cap is far past any line's length.
		 */
		for (; p < end && ISDIGIT(*p); p++)
			if (e < DECIMAL_MAXEXP)
				e = e * 10 + (*p - '0');
		if (p == q)
			return -1;
	}
	if (p != end)
		return -1;
	return decimal_value(neg, ip, ni, fp, nf, (eneg ? -e : e) - scale, out);
}

void
field_put_str(struct buf *out, const void *v, size_t n)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *p = v;
	size_t		     i;

	buf_putc(out, ' ');
	buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		if (p[i] > ' ' && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			buf_putc(out, p[i]);
		else {
			buf_putc(out, '\\');
			buf_putc(out, 'x');
			buf_putc(out, hex[p[i] >> 4]);
			buf_putc(out, hex[p[i] & 15]);
		}
	}
	buf_putc(out, '"');
}

void
field_put_u64(struct buf *out, unsigned long long v)
{
	buf_printf(out, " %llu", v);
}

void
field_put_x64(struct buf *out, unsigned long long v)
{
	buf_printf(out, " %016llx", v);
}

int
field_split(const char *p, size_t n, struct str *f, size_t max)
{
	const char *end = p + n, *sp;
	size_t	    nf = 0;

	if (n == 0)
		return 0;
	if (*p != ' ')
		return -1;
	while (p < end) {
		p++; /* the space */
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			sp = end;
		if (sp == p || nf == max)
			return -1;
		f[nf].p = p;
		f[nf].n = (size_t)(sp - p);
		nf++;
		p = sp;
	}
	return (int)nf;
}

int
field_u64(const struct str *s, unsigned long long *v)
{
	size_t	 j;
	unsigned d;

	if (s->n == 0 || s->n > 20 || (s->n > 1 && s->p[0] == '0'))
		return -1;
	*v = 0;
	for (j = 0; j < s->n; j++) {
		if (s->p[j] < '0' || s->p[j] > '9')
			return -1;
		d = (unsigned)(s->p[j] - '0');
		if (*v > (ULLONG_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
field_hex(const struct str *s, size_t digits, unsigned long long *v)
{
	size_t j;
	int    d;

	if (s->n != digits || digits > 16)
		return -1;
	*v = 0;
	for (j = 0; j < s->n; j++) {
		if ((d = hexdigit(s->p[j])) == -1)
			return -1;
		*v = *v << 4 | (unsigned long long)d;
	}
	return 0;
}

int
field_str(const struct str *s, int binary, char **out, size_t *outlen,
    size_t *at, const char **why)
{
	const char *p = s->p;
	char	   *d;
	size_t	    j, n = 0;
	int	    hi, lo;

	*out = NULL;
	*at = 0;
	if (s->n < 2 || p[0] != '"' || p[s->n - 1] != '"') {
		*why = "expected a quoted string";
		return -1;
	}
	d = xmalloc(s->n);
	for (j = 1; j < s->n - 1; j++) {
		if (p[j] == '\\') {
			if (j + 3 >= s->n || p[j + 1] != 'x' ||
			    (hi = hexdigit(p[j + 2])) == -1 ||
			    (lo = hexdigit(p[j + 3])) == -1) {
				*why = "bad escape in a string";
				goto bad;
			}
			d[n] = (char)(hi << 4 | lo);
			if (d[n] == '\0' && !binary) {
				*why = "NUL byte in a name";
				goto bad;
			}
			n++;
			j += 3;
		} else if ((unsigned char)p[j] <= ' ' ||
		    (unsigned char)p[j] >= 0x7f || p[j] == '"') {
			*why = NULL; /* the caller names the byte */
			goto bad;
		} else
			d[n++] = p[j];
	}
	d[n] = '\0';
	*out = d;
	if (outlen != NULL)
		*outlen = n;
	return 0;
bad:
	free(d);
	*at = j;
	return -1;
}

void
file_stamp(const char *path, struct file_stamp *st)
{
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (stat(path, &sb) == -1) {
		st->missing = 1;
		return;
	}
	st->dev = (uint64_t)sb.st_dev;
	st->ino = (uint64_t)sb.st_ino;
	st->size = (uint64_t)sb.st_size;
	st->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	st->dir = S_ISDIR(sb.st_mode);
}
