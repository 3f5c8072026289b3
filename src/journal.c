/*
 * journal.c: the systemd journal's entries as records.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "journal.h"
#include "log.h"
#include "util.h"

#define FIELD_MAX 64 /* sd-journal's longest field name */

/*
 * libsystemd is loaded for the first journal argument, so that a run over
 * files maps none of it: it brings compression and cryptography libraries
 * with it, about 1 MiB of resident memory.
 */
static struct {
	pthread_once_t				   once;
	int					   ok;
	char					   why[256]; /* when not */
	__typeof__(sd_journal_open)		  *open;
	__typeof__(sd_journal_open_directory)	  *open_directory;
	__typeof__(sd_journal_set_data_threshold) *set_data_threshold;
	__typeof__(sd_journal_add_match)	  *add_match;
	__typeof__(sd_journal_close)		  *close;
	__typeof__(sd_journal_seek_head)	  *seek_head;
	__typeof__(sd_journal_next)		  *next;
	__typeof__(sd_journal_get_data)		  *get_data;
	__typeof__(sd_journal_get_realtime_usec)  *get_realtime_usec;
	__typeof__(sd_journal_seek_tail)	  *seek_tail;
	__typeof__(sd_journal_previous)		  *previous;
	__typeof__(sd_journal_get_fd)		  *get_fd;
	__typeof__(sd_journal_get_timeout)	  *get_timeout;
	__typeof__(sd_journal_process)		  *process;
	__typeof__(sd_journal_get_cursor)	  *get_cursor;
	__typeof__(sd_journal_seek_cursor)	  *seek_cursor;
	__typeof__(sd_journal_test_cursor)	  *test_cursor;
	__typeof__(sd_journal_seek_realtime_usec) *seek_realtime_usec;
} sdj = { .once = PTHREAD_ONCE_INIT };

static void
sdj_load(void)
{
	const struct {
		const char *name;
		void	   *slot; /* a function pointer of sdj */
	} syms[] = {
		{ "sd_journal_open", &sdj.open },
		{ "sd_journal_open_directory", &sdj.open_directory },
		{ "sd_journal_set_data_threshold", &sdj.set_data_threshold },
		{ "sd_journal_add_match", &sdj.add_match },
		{ "sd_journal_close", &sdj.close },
		{ "sd_journal_seek_head", &sdj.seek_head },
		{ "sd_journal_next", &sdj.next },
		{ "sd_journal_get_data", &sdj.get_data },
		{ "sd_journal_get_realtime_usec", &sdj.get_realtime_usec },
		{ "sd_journal_seek_tail", &sdj.seek_tail },
		{ "sd_journal_previous", &sdj.previous },
		{ "sd_journal_get_fd", &sdj.get_fd },
		{ "sd_journal_get_timeout", &sdj.get_timeout },
		{ "sd_journal_process", &sdj.process },
		{ "sd_journal_get_cursor", &sdj.get_cursor },
		{ "sd_journal_seek_cursor", &sdj.seek_cursor },
		{ "sd_journal_test_cursor", &sdj.test_cursor },
		{ "sd_journal_seek_realtime_usec", &sdj.seek_realtime_usec },
	};
	void  *h, *f;
	size_t i;

	if ((h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(sdj.why, sizeof(sdj.why), "%s", dlerror());
		return;
	}
	for (i = 0; i < NELEM(syms); i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL) {
			snprintf(sdj.why, sizeof(sdj.why),
			    "libsystemd.so.0 has no %s", syms[i].name);
			dlclose(h);
			return;
		}
		/* POSIX: a symbol's address converts to a function pointer. */
		memcpy(syms[i].slot, &f, sizeof(f));
	}
	sdj.ok = 1;
}

int
journal_arg(const char *arg)
{
	return strncmp(arg, JOURNAL_PREFIX, strlen(JOURNAL_PREFIX)) == 0;
}

void
journal_spec_free(struct journal_spec *js)
{
	size_t i;

	for (i = 0; i < js->n; i++)
		free(js->m[i].data);
	free(js->m);
	js->m = NULL;
	js->n = 0;
}

/* A field name as the journal takes one: A-Z, 0-9 and _, no digit first. */
static int
field_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > FIELD_MAX || (*p >= '0' && *p <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			(p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}

int
journal_spec_parse(const char *arg, struct journal_spec *js, size_t *col,
    char *err, size_t errlen)
{
	const char *s = arg + strlen(JOURNAL_PREFIX), *p, *start;
	struct buf  b;

	memset(js, 0, sizeof(*js));
	if (*s == '\0')
		return 0; /* every entry */
	buf_init(&b);
	for (p = s;;) {
		start = p;
		buf_reset(&b);
		while (*p != '\0' && *p != '=' && *p != ',')
			buf_putc(&b, *p++);
		if (*p != '=') {
			*col = (size_t)(p - arg) + 1;
			snprintf(err, errlen,
			    "expected FIELD=VALUE, found '%.*s'",
			    (int)(p - start), start);
			goto bad;
		}
		if (!field_ok(b.p, b.len)) {
			*col = (size_t)(start - arg) + 1;
			snprintf(err, errlen,
			    "'%.*s' is not a journal field name (A-Z, 0-9 "
			    "and _, not a digit first, at most %d)",
			    (int)b.len, b.p != NULL ? b.p : "", FIELD_MAX);
			goto bad;
		}
		buf_putc(&b, *p++);
		while (*p != '\0' && *p != ',') {
			if (*p == '\\') {
				if (p[1] != ',' && p[1] != '\\') {
					*col = (size_t)(p - arg) + 1;
					snprintf(err, errlen,
					    "'\\' in a value is written "
					    "before ',' or '\\' only");
					goto bad;
				}
				p++;
			}
			buf_putc(&b, *p++);
		}
		js->m = xreallocarray(js->m, js->n + 1, sizeof(*js->m));
		js->m[js->n].len = b.len;
		js->m[js->n].data = xmalloc(b.len + 1);
		memcpy(js->m[js->n].data, b.p, b.len);
		js->m[js->n].data[b.len] = '\0';
		js->n++;
		if (*p == '\0')
			break;
		p++; /* the ',' */
	}
	buf_free(&b);
	return 0;
bad:
	buf_free(&b);
	journal_spec_free(js);
	return -1;
}

/* Opens the journal with the matches of arg. Returns 0 or -1 with err. */
static int
journal_open(const char *arg, const char *dir, size_t maxline, sd_journal **jp,
    char *err, size_t errlen)
{
	struct journal_spec js;
	sd_journal	   *j;
	char		    why[256];
	size_t		    col, i;
	int		    rc;

	if (journal_spec_parse(arg, &js, &col, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s:%zu: %s", arg, col, why);
		return -1;
	}
	pthread_once(&sdj.once, sdj_load);
	if (!sdj.ok) {
		snprintf(err, errlen, "%s: the journal needs libsystemd: %s",
		    arg, sdj.why);
		journal_spec_free(&js);
		return -1;
	}
	rc = dir != NULL ? sdj.open_directory(&j, dir, 0) :
			   sdj.open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (rc < 0) {
		snprintf(err, errlen, "%s: opening the journal%s%s: %s", arg,
		    dir != NULL ? " in " : "", dir != NULL ? dir : "",
		    strerror(-rc));
		journal_spec_free(&js);
		return -1;
	}
	/* Room for "MESSAGE=", the cap and one byte over it. */
	(void)sdj.set_data_threshold(j, maxline + 10);
	for (i = 0; i < js.n; i++) {
		if ((rc = sdj.add_match(j, js.m[i].data, js.m[i].len)) < 0) {
			snprintf(err, errlen, "%s: match %s: %s", arg,
			    js.m[i].data, strerror(-rc));
			journal_spec_free(&js);
			sdj.close(j);
			return -1;
		}
	}
	journal_spec_free(&js);
	*jp = j;
	return 0;
}

/*
 * The current entry to fn. Returns 0, or -1 with errno when the journal
 * could not be read.
 */
static int
entry(sd_journal *j, size_t maxline, journal_fn *fn, void *fnarg,
    struct journal_stats *st)
{
	const void *data;
	const char *msg;
	size_t	    len;
	uint64_t    usec;
	int	    rc;

	rc = sdj.get_data(j, "MESSAGE", &data, &len);
	if (rc == -ENOENT) {
		st->nomessage++;
		return 0;
	}
	if (rc < 0 || (rc = sdj.get_realtime_usec(j, &usec)) < 0) {
		errno = -rc;
		return -1;
	}
	msg = (const char *)data + 8; /* after "MESSAGE=" */
	len -= 8;
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	/* The cap as for a line of a file: its CR counts. */
	if (len > maxline) {
		st->toolong++;
		return 0;
	}
	if (len > 0 && msg[len - 1] == '\r')
		len--;
	st->entries++;
	fn(fnarg, msg, len, (double)usec / 1e6);
	return 0;
}

int
journal_read(const char *arg, const char *dir, size_t maxline, journal_fn *fn,
    void *fnarg, struct journal_stats *st, char *err, size_t errlen)
{
	sd_journal *j;
	int	    rc;

	if (journal_open(arg, dir, maxline, &j, err, errlen) == -1)
		return -1;
	if ((rc = sdj.seek_head(j)) < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(-rc));
		sdj.close(j);
		return -1;
	}
	while ((rc = sdj.next(j)) > 0)
		if (entry(j, maxline, fn, fnarg, st) == -1) {
			rc = -errno;
			break;
		}
	sdj.close(j);
	if (rc < 0) {
		snprintf(err, errlen,
		    "%s: reading the journal after %llu "
		    "entries: %s",
		    arg, (unsigned long long)st->entries, strerror(-rc));
		return -1;
	}
	return 0;
}

/*
 * Follow mode. The journal's descriptor wakes the wait; each read takes
 * what was added since, JOURNAL_BUDGET entries at most so that the other
 * inputs get turns.
 */
#define JOURNAL_BUDGET 16384

struct journal_in {
	sd_journal	    *j;
	int		     fd;
	size_t		     maxline;
	int		     more; /* the budget stopped a read */
	struct journal_stats st;
	struct tail_file     pub; /* the argument, as the self-metrics
				     show it */
	input_line_fn	    *fn;  /* during a read */
	void		    *fnarg;
	/*
	 * Restarted from state: the cursor of the entry read last before,
	 * which the first entry read now must be, else entries are lost;
	 * or the time from which entries are read, when the state had no
	 * cursor for the argument. Kept as the place until an entry is read.
	 */
	char	*cursor;
	uint64_t since; /* microseconds, 0: none */
};

static int
jin_fd(void *self)
{
	return ((struct journal_in *)self)->fd;
}

static double
jin_due(void *self)
{
	struct journal_in *ji = self;
	uint64_t	   t;

	if (ji->more)
		return 0;
	/* The journal's own timeout, in CLOCK_MONOTONIC microseconds. */
	if (sdj.get_timeout(ji->j, &t) < 0 || t == UINT64_MAX)
		return HUGE_VAL;
	return (double)t / 1e6;
}

static void
jin_entry(void *arg, const char *rec, size_t len, double time)
{
	struct journal_in *ji = arg;
	struct rtime	   rt = RTIME_NONE;

	rt.secs = time;
	ji->pub.lines++;
	ji->pub.bytes += len;
	ji->pub.last_read = now_wall();
	ji->pub.entry_time = time;
	ji->fn(ji->fnarg, &ji->pub, rec, len, &rt);
}

/*
 * The first entry after a restart from a cursor: whether it is the one
 * the cursor names, read before. If not, that entry left the journal
 * (vacuumed, its file removed while down) and those after it that went
 * with it are lost: counted and said.
 */
static int
jin_resumed(struct journal_in *ji)
{
	int same = sdj.test_cursor(ji->j, ji->cursor);

	if (same <= 0) {
		ji->pub.lost++;
		log_warnx(
		    "%s: the entry of the saved state is no longer in the "
		    "journal (vacuumed, or its file removed): entries "
		    "written after it and removed with it are lost, "
		    "counted in logmetrics_files_lost_total",
		    ji->pub.path);
	}
	free(ji->cursor);
	ji->cursor = NULL;
	return same > 0;
}

static int
jin_read(void *self, input_line_fn *fn, void *arg)
{
	struct journal_in *ji = self;
	uint64_t	   toolong = ji->st.toolong;
	int		   rc, k;

	if ((rc = sdj.process(ji->j)) < 0) {
		errno = -rc;
		return -1;
	}
	ji->fn = fn;
	ji->fnarg = arg;
	for (k = 0; k < JOURNAL_BUDGET; k++) {
		if ((rc = sdj.next(ji->j)) <= 0)
			break;
		ji->since = 0;
		if (ji->cursor != NULL && jin_resumed(ji))
			continue; /* the entry read last before the restart */
		if (entry(ji->j, ji->maxline, jin_entry, ji, &ji->st) == -1) {
			rc = -errno;
			break;
		}
	}
	ji->fn = NULL;
	ji->fnarg = NULL;
	ji->pub.toolong += ji->st.toolong - toolong;
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	ji->more = k == JOURNAL_BUDGET;
	return 0;
}

static void
jin_files(void *self, void (*fn)(const struct tail_file *, void *), void *arg)
{
	fn(&((struct journal_in *)self)->pub, arg);
}

static void
jin_stats(void *self, struct input_stats *st)
{
	(void)self;
	memset(st, 0, sizeof(*st));
}

static void
jin_free(void *self)
{
	struct journal_in *ji = self;

	sdj.close(ji->j);
	free(ji->pub.path);
	free(ji->cursor);
	free(ji);
}

/*
 * The place to save: the cursor of the last entry read; before any, the
 * place restart state gave, or the journal's start.
 */
static void
jin_positions(void *self, int64_t stamp, input_pos_fn *fn, void *arg)
{
	struct journal_in *ji = self;
	struct buf	   b;
	char		  *c;

	(void)stamp;
	if (ji->cursor != NULL)
		c = xstrdup(ji->cursor);
	else if (ji->since > 0)
		c = xstrdup("");
	else if (sdj.get_cursor(ji->j, &c) < 0)
		return; /* not on an entry: cannot be */
	buf_init(&b);
	field_put_str(&b, ji->pub.path, strlen(ji->pub.path));
	field_put_str(&b, c, strlen(c));
	field_put_u64(&b, (unsigned long long)ji->since);
	fn(arg, JOURNAL_POS_KIND, JOURNAL_POS_VERSION, b.p, b.len);
	free(c);
	buf_free(&b);
}

int
input_journal(struct input *in, const char *arg, const char *dir,
    size_t maxline, int from_start, char *err, size_t errlen)
{
	struct journal_in *ji;
	sd_journal	  *j;
	int		   rc, fd, head = 0;

	if (journal_open(arg, dir, maxline, &j, err, errlen) == -1)
		return -1;
	/* The descriptor first, so that no change after the seek is missed. */
	if ((fd = sdj.get_fd(j)) < 0) {
		snprintf(err, errlen, "%s: watching the journal: %s", arg,
		    strerror(-fd));
		sdj.close(j);
		return -1;
	}
	/*
	 * From the end: on the last entry, so that the next is new. With no
	 * entry yet, every one to come is new: from the start (the tail
	 * would be placed at the first read, after what came meanwhile).
	 */
	rc = from_start ? 0 : sdj.seek_tail(j);
	if (rc >= 0 && !from_start)
		rc = sdj.previous(j);
	if (rc == 0) {
		rc = sdj.seek_head(j);
		head = 1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(-rc));
		sdj.close(j);
		return -1;
	}
	ji = xcalloc(1, sizeof(*ji));
	ji->j = j;
	ji->fd = fd;
	ji->maxline = maxline;
	ji->since = head; /* from the first entry, realtime 1 */
	ji->pub.path = xstrdup(arg);
	ji->pub.open = 1;
	memset(in, 0, sizeof(*in));
	in->name = "journal";
	in->self = ji;
	in->fd = jin_fd;
	in->due = jin_due;
	in->read = jin_read;
	in->files = jin_files;
	in->stats = jin_stats;
	in->positions = jin_positions;
	in->free = jin_free;
	return 0;
}

const char *
input_journal_arg(const struct input *in)
{
	return in->free == jin_free ?
	    ((struct journal_in *)in->self)->pub.path :
	    NULL;
}

int
input_journal_restore(struct input *in, const struct journal_pos *pos,
    double saved, char *err, size_t errlen)
{
	struct journal_in *ji = in->self;
	uint64_t	   since;
	int		   rc;

	free(ji->cursor);
	ji->cursor = NULL;
	ji->since = 0;
	if (pos != NULL && pos->cursor[0] != '\0') {
		rc = sdj.seek_cursor(ji->j, pos->cursor);
		if (rc >= 0)
			ji->cursor = xstrdup(pos->cursor);
	} else {
		/* No entry read before: those written since the save, or
		 * since the place before it. */
		since = pos != NULL && pos->since > 0 ? pos->since :
		    saved > 0 ? (uint64_t)(saved * 1e6) :
				1;
		rc = sdj.seek_realtime_usec(ji->j, since);
		if (rc >= 0)
			ji->since = since;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: seeking the saved place: %s",
		    ji->pub.path, strerror(-rc));
		return -1;
	}
	return 0;
}

int
journal_pos_decode(uint64_t version, const char *data, size_t len,
    struct journal_pos *pos, size_t *at, char *err, size_t errlen)
{
	struct str	   f[3];
	unsigned long long since;
	const char	  *why;
	int		   nf, k;

	memset(pos, 0, sizeof(*pos));
	*at = 0;
	if (version != JOURNAL_POS_VERSION) {
		snprintf(err, errlen, "version %llu; this logmetrics reads %d",
		    (unsigned long long)version, JOURNAL_POS_VERSION);
		return -1;
	}
	if ((nf = field_split(data, len, f, NELEM(f))) != 3) {
		if (nf == -1)
			snprintf(err, errlen,
			    "expected 3 fields, found more or an empty one");
		else
			snprintf(err, errlen, "expected 3 fields, found %d",
			    nf);
		return -1;
	}
	for (k = 0; k < 2; k++) {
		char **out = k == 0 ? &pos->arg : &pos->cursor;

		if (field_str(&f[k], 0, out, NULL, at, &why) == -1) {
			*at += (size_t)(f[k].p - data);
			snprintf(err, errlen, "%s",
			    why != NULL ? why : "a byte that must be escaped");
			journal_pos_free(pos);
			return -1;
		}
	}
	*at = (size_t)(f[2].p - data);
	if (field_u64(&f[2], &since) == -1) {
		snprintf(err, errlen, "expected a number of microseconds");
		journal_pos_free(pos);
		return -1;
	}
	if (!journal_arg(pos->arg)) {
		*at = (size_t)(f[0].p - data);
		snprintf(err, errlen, "%s is no journal argument", pos->arg);
		journal_pos_free(pos);
		return -1;
	}
	pos->since = since;
	return 0;
}

void
journal_pos_free(struct journal_pos *pos)
{
	free(pos->arg);
	free(pos->cursor);
	pos->arg = pos->cursor = NULL;
}
