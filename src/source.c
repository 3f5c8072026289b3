/*
 * source.c: one-shot reading of plain and gzip log files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lines.h"
#include "source.h"

/* What orders one path among the rotations of its log. */
struct rotkey {
	char		*path;
	size_t		 stemlen;	/* the live file's name */
	int		 group;		/* first mention of the stem */
	int		 kind;		/* 0 numbered or dated, 1 live */
	long long	 num;		/* rotation number, negated date */
	size_t		 pos;		/* original position */
};

/*
 * Splits "bot.log.3.gz" into stem "bot.log" and 3, "bot.log-20251124.gz"
 * into stem "bot.log" and date 20251124, "bot.log" into itself.
 */
static void
rotkey_parse(struct rotkey *k)
{
	const char	*p = k->path;
	size_t		 n = strlen(p), end = n, i;

	k->kind = 1;
	k->num = 0;
	if (end > 3 && strcmp(p + end - 3, ".gz") == 0)
		end -= 3;
	i = end;
	while (i > 0 && isdigit((unsigned char)p[i - 1]))
		i--;
	if (i < end && i > 1 && (p[i - 1] == '.' || p[i - 1] == '-') &&
	    end - i <= 14) {
		k->kind = 0;
		k->num = strtoll(p + i, NULL, 10);
		if (p[i - 1] == '-')
			k->num = -k->num;	/* dates: older is smaller */
		k->stemlen = i - 1;
		return;
	}
	k->stemlen = n;
}

static int
rotkey_cmp(const void *a, const void *b)
{
	const struct rotkey	*x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->num != y->num)
		return x->num > y->num ? -1 : 1;	/* .3 before .2 */
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void
source_sort(char **paths, size_t n)
{
	struct rotkey	*k;
	size_t		 i, j;

	k = xcalloc(n, sizeof(*k));
	for (i = 0; i < n; i++) {
		k[i].path = paths[i];
		k[i].pos = i;
		rotkey_parse(&k[i]);
		k[i].group = (int)i;
		for (j = 0; j < i; j++)
			if (k[j].stemlen == k[i].stemlen &&
			    memcmp(k[j].path, k[i].path, k[i].stemlen) == 0) {
				k[i].group = k[j].group;
				break;
			}
	}
	qsort(k, n, sizeof(*k), rotkey_cmp);
	for (i = 0; i < n; i++)
		paths[i] = k[i].path;
	free(k);
}

/* Delivers every complete line in the splitter; keeps a copy of the last. */
static void
drain(struct lines *l, source_line_fn *fn, void *arg,
    struct source_stats *st)
{
	const char	*line, *last = NULL;
	size_t		 len, lastlen = 0;

	while ((line = lines_next(l, &len)) != NULL) {
		st->lines++;
		fn(arg, line, len);
		last = line;
		lastlen = len;
	}
	if (last != NULL) {
		buf_reset(&st->last);
		buf_append(&st->last, last, lastlen);
	}
}

int
source_read(const char *path, size_t maxline, source_line_fn *fn, void *arg,
    struct source_stats *st, char *err, size_t errlen)
{
	struct lines	 l;
	unsigned char	 magic[2];
	gzFile		 gz = NULL;
	char		*space;
	size_t		 avail;
	ssize_t		 n;
	int		 fd, rc = -1, errnum;
	const char	*msg;

	lines_init(&l, maxline);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto end;
	}
	n = pread(fd, magic, 2, 0);
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		if ((gz = gzdopen(fd, "rb")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			goto end;
		}
		gzbuffer(gz, 256 * 1024);
	}
	for (;;) {
		space = lines_space(&l, &avail);
		if (avail > 256 * 1024)
			avail = 256 * 1024;
		if (gz != NULL)
			n = gzread(gz, space, (unsigned)avail);
		else
			n = read(fd, space, avail);
		if (n < 0) {
			if (gz != NULL) {
				msg = gzerror(gz, &errnum);
				if (errnum == Z_ERRNO)
					msg = strerror(errno);
			} else if (errno == EINTR)
				continue;
			else
				msg = strerror(errno);
			snprintf(err, errlen, "%s: offset %llu: %s", path,
			    (unsigned long long)st->bytes, msg);
			goto out;
		}
		if (n == 0)
			break;
		st->bytes += (uint64_t)n;
		lines_commit(&l, (size_t)n);
		drain(&l, fn, arg, st);
	}
	if (gz != NULL) {
		/* A truncated archive reads as a short file: say so. */
		msg = gzerror(gz, &errnum);
		if (errnum != Z_OK) {
			snprintf(err, errlen, "%s: offset %llu: %s", path,
			    (unsigned long long)st->bytes, msg);
			goto out;
		}
	}
	/* A last line without newline counts once the file is complete. */
	if (lines_pending(&l) > 0) {
		space = lines_space(&l, &avail);
		space[0] = '\n';
		lines_commit(&l, 1);
		drain(&l, fn, arg, st);
	}
	rc = 0;
out:
	st->toolong += l.toolong;
	if (gz != NULL)
		gzclose(gz);
	else
		close(fd);
end:
	lines_free(&l);
	return rc;
}
