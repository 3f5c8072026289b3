/*
 * source.c: one-shot reading of plain and gzip log files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/*
 * A gzip file is inflated on a thread of its own, a few slots ahead of the
 * line splitter, so decompression and matching run side by side on two
 * cores instead of one after the other.
 */
#define GZ_SLOTS	4
#define GZ_SLOT		(256 * 1024)

struct inflater {
	gzFile		 gz;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	char		*buf[GZ_SLOTS];
	int		 len[GZ_SLOTS];	/* bytes; 0 the end; -1 an error */
	unsigned	 head;		/* slots filled */
	unsigned	 tail;		/* slots used up */
	char		 msg[256];
};

static void *
inflater_run(void *arg)
{
	struct inflater	*z = arg;
	const char	*msg;
	int		 n, errnum;

	for (;;) {
		pthread_mutex_lock(&z->lock);
		while (z->head - z->tail == GZ_SLOTS)
			pthread_cond_wait(&z->cond, &z->lock);
		pthread_mutex_unlock(&z->lock);
		n = gzread(z->gz, z->buf[z->head % GZ_SLOTS], GZ_SLOT);
		if (n <= 0) {
			/* A truncated archive reads as a short one: say so. */
			msg = gzerror(z->gz, &errnum);
			if (n < 0 || errnum != Z_OK) {
				snprintf(z->msg, sizeof(z->msg), "%s",
				    errnum == Z_ERRNO ? strerror(errno) : msg);
				n = -1;
			}
		}
		pthread_mutex_lock(&z->lock);
		z->len[z->head % GZ_SLOTS] = n;
		z->head++;
		pthread_cond_broadcast(&z->cond);
		pthread_mutex_unlock(&z->lock);
		if (n <= 0)
			return NULL;
	}
}

static int
inflater_start(struct inflater *z, gzFile gz)
{
	int	i;

	memset(z, 0, sizeof(*z));
	z->gz = gz;
	for (i = 0; i < GZ_SLOTS; i++)
		z->buf[i] = xmalloc(GZ_SLOT);
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->cond, NULL);
	if (pthread_create(&z->thread, NULL, inflater_run, z) != 0) {
		snprintf(z->msg, sizeof(z->msg), "cannot start a thread");
		return -1;
	}
	return 0;
}

/*
 * The next slot of inflated bytes: sets *p and returns their count, 0 at
 * the end, -1 on an error (z->msg says which). Waits for the thread. The
 * bytes stay the caller's until inflater_put().
 */
static int
inflater_get(struct inflater *z, const char **p)
{
	int	len;

	pthread_mutex_lock(&z->lock);
	while (z->head == z->tail)
		pthread_cond_wait(&z->cond, &z->lock);
	len = z->len[z->tail % GZ_SLOTS];
	pthread_mutex_unlock(&z->lock);
	*p = z->buf[z->tail % GZ_SLOTS];
	return len;
}

/* Hands the slot from inflater_get() back to the thread. */
static void
inflater_put(struct inflater *z)
{
	pthread_mutex_lock(&z->lock);
	z->tail++;
	pthread_cond_broadcast(&z->cond);
	pthread_mutex_unlock(&z->lock);
}

/* Waits for the thread, which has stopped at the end or an error. */
static void
inflater_stop(struct inflater *z)
{
	int	i;

	pthread_join(z->thread, NULL);
	for (i = 0; i < GZ_SLOTS; i++)
		free(z->buf[i]);
	pthread_mutex_destroy(&z->lock);
	pthread_cond_destroy(&z->cond);
}

/*
 * Delivers every complete line in the splitter and keeps the last: by
 * pointer while it stays valid, else copied at once (a line the splitter
 * may move on the next call, once per slot of lent bytes).
 */
static void
drain(struct lines *l, source_line_fn *fn, void *arg,
    struct source_stats *st)
{
	const char	*line, *last = NULL;
	size_t		 len, lastlen = 0;

	while ((line = lines_next(l, &len)) != NULL) {
		st->lines++;
		fn(arg, line, len);
		if (l->ext != NULL && !l->lent) {
			buf_reset(&st->last);
			buf_append(&st->last, line, len);
			last = NULL;
		} else {
			last = line;
			lastlen = len;
		}
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
	struct inflater	 z;
	gzFile		 gz = NULL;
	char		*space;
	const char	*slot;
	size_t		 avail;
	ssize_t		 n;
	int		 fd, rc = -1;
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
		if (inflater_start(&z, gz) == -1) {
			snprintf(err, errlen, "%s: %s", path, z.msg);
			gzclose(gz);
			goto end;
		}
	}
	for (;;) {
		if (gz != NULL) {
			/* Split in place in the slot, then hand it back. */
			if ((n = inflater_get(&z, &slot)) > 0) {
				st->bytes += (uint64_t)n;
				lines_attach(&l, slot, (size_t)n);
				drain(&l, fn, arg, st);
				inflater_put(&z);
				continue;
			}
			msg = z.msg;
		} else {
			space = lines_space(&l, &avail);
			if (avail > 256 * 1024)
				avail = 256 * 1024;
			if ((n = read(fd, space, avail)) > 0) {
				st->bytes += (uint64_t)n;
				lines_commit(&l, (size_t)n);
				drain(&l, fn, arg, st);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			msg = strerror(errno);
		}
		if (n == 0)
			break;
		snprintf(err, errlen, "%s: offset %llu: %s", path,
		    (unsigned long long)st->bytes, msg);
		goto out;
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
	if (gz != NULL) {
		inflater_stop(&z);
		gzclose(gz);
	} else
		close(fd);
end:
	lines_free(&l);
	return rc;
}
