/*
 * record.c: container runtimes' wrappers removed, split pieces joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static const struct {
	const char	  *prefix;
	enum record_format fmt;
	unsigned	   streams;
} prefixes[] = {
	{ "docker:", RECORD_DOCKER, RECORD_BOTH },
	{ "cri:", RECORD_CRI, RECORD_BOTH },
	{ "docker+stdout:", RECORD_DOCKER, 1u << RECORD_STDOUT },
	{ "docker+stderr:", RECORD_DOCKER, 1u << RECORD_STDERR },
	{ "cri+stdout:", RECORD_CRI, 1u << RECORD_STDOUT },
	{ "cri+stderr:", RECORD_CRI, 1u << RECORD_STDERR },
};

void
record_init(struct record *r, enum record_format fmt, size_t maxline,
    struct json_index *ix)
{
	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->streams = RECORD_BOTH;
	r->maxline = maxline;
	r->ix = ix;
	buf_init(&r->j[RECORD_STDOUT].buf);
	buf_init(&r->j[RECORD_STDERR].buf);
}

void
record_free(struct record *r)
{
	buf_free(&r->j[RECORD_STDOUT].buf);
	buf_free(&r->j[RECORD_STDERR].buf);
}

int
record_open(const struct record *r)
{
	return r->j[RECORD_STDOUT].open || r->j[RECORD_STDERR].open;
}

/* A whole record: without the line end, unless dropped for its length. */
static void
deliver(struct record *r, struct record_join *j, const char *p, size_t n,
    const struct str *time, record_fn *fn, void *arg)
{
	struct rtime rt;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (j->dropping || n > r->maxline) {
		r->st.toolong++;
		j->dropping = 0;
		return;
	}
	r->st.records++;
	rt.text = *time;
	rt.secs = -1;
	fn(arg, p, n, &rt);
}

/* A joined record ends: delivered with its first piece's time. */
static void
deliver_joined(struct record *r, struct record_join *j, record_fn *fn,
    void *arg)
{
	struct str time;

	time.p = j->time;
	time.n = j->tlen;
	deliver(r, j, j->buf.p != NULL ? j->buf.p : "", j->buf.len, &time, fn,
	    arg);
	buf_reset(&j->buf);
	j->open = 0;
	j->tlen = 0;
}

/*
 * One piece of a record of a stream, the last when end, written at time
 * by the runtime: joined until then. Memory stays bounded: a record that
 * goes over the cap (with room for the LF and CR deliver() drops) is only
 * counted from then on.
 */
static void
piece(struct record *r, int s, const char *p, size_t n, int end,
    const struct str *time, record_fn *fn, void *arg)
{
	struct record_join *j = &r->j[s];

	if (!j->open && end) {
		deliver(r, j, p, n, time, fn, arg); /* nearly every line */
		return;
	}
	if (j->open)
		r->st.pieces++;
	else {
		j->open = 1;
		j->tlen = 0;
		if (time->n <= sizeof(j->time)) {
			memcpy(j->time, time->p, time->n);
			j->tlen = time->n;
		}
	}
	if (!j->dropping) {
		if (j->buf.len + n > r->maxline + 2) {
			j->dropping = 1;
			buf_reset(&j->buf);
		} else
			buf_append(&j->buf, p, n);
	}
	if (end)
		deliver_joined(r, j, fn, arg);
}

/* The stream a name says, or -1. */
static int
stream_of(const char *p, size_t n)
{
	if (n == 6 && memcmp(p, "stdout", 6) == 0)
		return RECORD_STDOUT;
	if (n == 6 && memcmp(p, "stderr", 6) == 0)
		return RECORD_STDERR;
	return -1;
}

/*
 * A CRI line: "TIME STREAM P|F TEXT", one space between each; TEXT may be
 * empty (and its space absent). Returns the text, the time as written
 * and whether it ends the record, or -1 when the line is not one.
 */
static int
cri_split(const char *line, size_t len, const char **text, size_t *n,
    int *stream, struct str *time)
{
	const char *p = line, *end = line + len, *sp;
	int	    i;

	for (i = 0; i < 2; i++) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || sp == p)
			return -1;
		if (i == 0) {
			time->p = p;
			time->n = (size_t)(sp - p);
		} else if ((*stream = stream_of(p, (size_t)(sp - p))) == -1)
			return -1;
		p = sp + 1;
	}
	if (p == end || (*p != 'P' && *p != 'F'))
		return -1;
	if (p + 1 < end && p[1] != ' ')
		return -1;
	*text = p + 1 < end ? p + 2 : end;
	*n = (size_t)(end - *text);
	return *p == 'F';
}

void
record_line(struct record *r, const char *line, size_t len, record_fn *fn,
    void *arg)
{
	static const struct rtime none = RTIME_NONE;
	struct json_field	 *f, *sf, *tf;
	struct str		  time = none.text;
	const char		 *v = NULL;
	size_t			  n = 0;
	int			  stream;

	if (r->fmt == RECORD_PLAIN) {
		r->st.records++;
		fn(arg, line, len, &none);
		return;
	}
	if (r->fmt == RECORD_CRI) {
		const char *text;
		size_t	    tn;
		int	    full;

		if ((full = cri_split(line, len, &text, &tn, &stream, &time)) ==
		    -1) {
			r->st.bad++;
			return;
		}
		if (r->streams & 1u << stream)
			piece(r, stream, text, tn, full, &time, fn, arg);
		return;
	}
	if (json_scan(r->ix, line, len) == -1 ||
	    (f = json_get(r->ix, "log", 3)) == NULL || f->type != JSON_STRING) {
		r->st.bad++;
		return;
	}
	/* The stream by Docker's name for it; standard output without. */
	stream = RECORD_STDOUT;
	if ((sf = json_get(r->ix, "stream", 6)) != NULL) {
		if (sf->type == JSON_STRING)
			v = json_value(r->ix, sf, &n);
		if (sf->type != JSON_STRING ||
		    (stream = stream_of(v, n)) == -1) {
			r->st.bad++;
			return;
		}
	}
	if (!(r->streams & 1u << stream))
		return; /* the other stream's: not asked for */
	/* The time as written: Docker's has nothing to unescape. */
	if ((tf = json_get(r->ix, "time", 4)) != NULL &&
	    tf->type == JSON_STRING) {
		time.p = tf->raw;
		time.n = tf->rawlen;
	}
	/* Docker's pieces: only the last ends in "\n". */
	v = json_value(r->ix, f, &n);
	piece(r, stream, v, n, n > 0 && v[n - 1] == '\n', &time, fn, arg);
}

void
record_flush(struct record *r, record_fn *fn, void *arg)
{
	int s;

	for (s = 0; s < RECORD_STREAMS; s++)
		if (r->j[s].open)
			deliver_joined(r, &r->j[s], fn, arg);
}

const char *
record_prefix(const char *arg, struct record_kind *k)
{
	size_t i, n;

	for (i = 0; i < NELEM(prefixes); i++) {
		n = strlen(prefixes[i].prefix);
		if (strncmp(arg, prefixes[i].prefix, n) == 0) {
			k->fmt = prefixes[i].fmt;
			k->streams = prefixes[i].streams;
			return arg + n;
		}
	}
	k->fmt = RECORD_PLAIN;
	k->streams = RECORD_BOTH;
	return arg;
}

const char *
record_format_name(enum record_format fmt)
{
	return fmt == RECORD_DOCKER ? "docker" :
	    fmt == RECORD_CRI	    ? "cri" :
				      "plain";
}

static const char *const stream_names[RECORD_STREAMS] = { "stdout", "stderr" };

void
record_pos_encode(const char *log, const struct record *r,
    enum record_stream stream, struct buf *out)
{
	const struct record_join *j = &r->j[stream];
	const char		 *name = record_format_name(r->fmt);

	field_put_str(out, log, strlen(log));
	field_put_str(out, name, strlen(name));
	field_put_str(out, stream_names[stream], strlen(stream_names[stream]));
	field_put_u64(out, (unsigned long long)j->dropping);
	field_put_str(out, j->time, j->tlen);
	field_put_str(out, j->buf.p != NULL ? j->buf.p : "", j->buf.len);
}

/* A quoted field decoded; on failure *at and err say where and why. */
static int
pos_str(const char *data, const struct str *f, int binary, char **out,
    size_t *outlen, size_t *at, char *err, size_t errlen)
{
	const char *why;

	if (field_str(f, binary, out, outlen, at, &why) == 0)
		return 0;
	*at += (size_t)(f->p - data);
	if (why == NULL)
		snprintf(err, errlen, "byte 0x%02x must be escaped in a string",
		    (unsigned char)data[*at]);
	else
		snprintf(err, errlen, "%s", why);
	return -1;
}

int
record_pos_decode(uint64_t version, const char *data, size_t len,
    struct record *r, char **log, size_t *at, char *err, size_t errlen)
{
	struct str	    f[7];
	struct record_join *j;
	unsigned long long  dropping;
	char		   *name = NULL, *pieces = NULL, *time = NULL;
	size_t		    n, i, tn = 0;
	int		    nf, want, stream = RECORD_STDOUT, k = 2;

	*log = NULL;
	*at = 0;
	if (version < 1 || version > RECORD_POS_VERSION) {
		snprintf(err, errlen,
		    "version %llu; this logmetrics reads 1 to %d",
		    (unsigned long long)version, RECORD_POS_VERSION);
		return -1;
	}
	want = (int)version + 3;
	if ((nf = field_split(data, len, f, NELEM(f))) != want) {
		if (nf == -1)
			snprintf(err, errlen,
			    "expected %d fields, found more or an empty one",
			    want);
		else
			snprintf(err, errlen, "expected %d fields, found %d",
			    want, nf);
		return -1;
	}
	if (pos_str(data, &f[0], 0, log, NULL, at, err, errlen) == -1)
		return -1;
	*at = (size_t)(f[0].p - data);
	if (**log == '\0') {
		snprintf(err, errlen, "empty log name");
		goto bad;
	}
	if (pos_str(data, &f[1], 0, &name, NULL, at, err, errlen) == -1)
		goto bad;
	*at = (size_t)(f[1].p - data);
	for (i = 0; i < NELEM(prefixes); i++)
		if (strcmp(name, record_format_name(prefixes[i].fmt)) == 0)
			break;
	if (i == NELEM(prefixes)) {
		snprintf(err, errlen, "unknown format %s", name);
		goto bad;
	}
	if (version >= 2) {
		free(name);
		name = NULL;
		if (pos_str(data, &f[2], 0, &name, &n, at, err, errlen) == -1)
			goto bad;
		*at = (size_t)(f[2].p - data);
		if ((stream = stream_of(name, n)) == -1) {
			snprintf(err, errlen, "unknown stream %s", name);
			goto bad;
		}
		k = 3;
	}
	*at = (size_t)(f[k].p - data);
	if (field_u64(&f[k], &dropping) == -1 || dropping > 1) {
		snprintf(err, errlen, "expected 0 or 1");
		goto bad;
	}
	if (version >= 3) {
		k++;
		if (pos_str(data, &f[k], 0, &time, &tn, at, err, errlen) == -1)
			goto bad;
		*at = (size_t)(f[k].p - data);
		if (tn > RECORD_TIME_MAX) {
			snprintf(err, errlen, "a time over %d bytes",
			    RECORD_TIME_MAX);
			goto bad;
		}
	}
	if (pos_str(data, &f[k + 1], 1, &pieces, &n, at, err, errlen) == -1)
		goto bad;
	*at = (size_t)(f[k + 1].p - data);
	if (dropping && n > 0) {
		snprintf(err, errlen, "pieces of a record dropped");
		goto bad;
	}
	r->fmt = prefixes[i].fmt;
	j = &r->j[stream];
	buf_reset(&j->buf);
	/* Over a cap lowered since: dropped whole, as it would have been. */
	if (n > r->maxline + 2)
		dropping = 1;
	else
		buf_append(&j->buf, pieces, n);
	j->open = 1;
	j->dropping = (int)dropping;
	j->tlen = tn;
	if (tn > 0)
		memcpy(j->time, time, tn);
	free(name);
	free(time);
	free(pieces);
	return 0;
bad:
	free(name);
	free(time);
	free(pieces);
	free(*log);
	*log = NULL;
	return -1;
}
