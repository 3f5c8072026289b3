/*
 * oneshot.c: the one-shot mode.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "oneshot.h"
#include "source.h"

struct feed {
	struct matcher	*m;
	double		 now;
};

static void
feed_line(void *arg, const char *line, size_t len)
{
	struct feed	*f = arg;

	matcher_line(f->m, line, len, f->now);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
oneshot_run(struct engine *e, struct oneshot_opts *o)
{
	struct source_stats	 st;
	struct feed		 f;
	struct buf		 out;
	char			 err[512];
	size_t			 i;
	double			 newest, t;
	int			 rc = 0;

	f.m = e->m;
	f.now = now_wall();
	newest = -1;
	source_sort(o->files, o->nfiles);
	registry_lock(e->reg);
	for (i = 0; i < o->nfiles; i++) {
		memset(&st, 0, sizeof(st));
		buf_init(&st.last);
		if (source_read(o->files[i], o->max_line, feed_line, &f, &st,
		    err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			rc = 1;
		}
		log_debug("%s: %llu lines, %llu bytes, %llu too long",
		    o->files[i], (unsigned long long)st.lines,
		    (unsigned long long)st.bytes,
		    (unsigned long long)st.toolong);
		if (st.toolong > 0)
			log_warnx("%s: %llu lines longer than %zu bytes "
			    "skipped", o->files[i],
			    (unsigned long long)st.toolong, o->max_line);
		/* The newest time of a file is its last line's. */
		if (st.last.len > 0) {
			t = matcher_line_time(e->m, st.last.p, st.last.len);
			if (t > newest)
				newest = t;
		}
		buf_free(&st.last);
	}
	t = matcher_stats(e->m)->newest_time;
	if (t > newest)
		newest = t;
	if (o->now >= 0)
		newest = o->now;
	else if (newest < 0)
		newest = f.now;
	buf_init(&out);
	expose_render(e->reg, &out, o->format, newest);
	registry_unlock(e->reg);
	if (o->output != NULL) {
		if (write_atomic(o->output, out.p, out.len) == -1) {
			log_warn("%s", o->output);
			rc = 1;
		}
	} else if (write_all(STDOUT_FILENO, out.p, out.len) == -1) {
		log_warn("stdout");
		rc = 1;
	}
	buf_free(&out);
	return rc;
}
