/*
 * fuzz_record.c: the record stage on Docker's json-file lines, against a
 * model written here. The input is a list of pieces, each a control byte
 * (bit 0: a newline ends the value; bit 1: the wrapper line is cut, as a
 * crash leaves it; bits 2-7: the length) then its bytes, any bytes. Each
 * piece is written as the driver writes it (quotes, backslashes and
 * control characters escaped, <, > and & as \u003c-style escapes, other
 * bytes as they are), cut where bit 1 says. The records must be exactly
 * the model's: cut lines skipped, values joined until one ends in a
 * newline, the newline and a CR before it dropped, records over the cap
 * dropped whole, a record left open delivered by the flush. When the
 * first byte is odd, the same pieces are written as the kubelet's CRI
 * lines instead ("TIME stdout P|F TEXT", bit 0 choosing F, newlines in
 * the text made spaces, a cut line cut inside its time). A piece whose
 * length leaves 2 when divided by 3 is standard error's, the others
 * standard output's: each stream joins its own pieces. After each cut
 * line the stage is restarted from its saved positions (one per stream
 * being joined), as the exporter is after a crash: nothing joined may be
 * lost or doubled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record.h"
#include "util.h"

#define MAXLINE	 100
#define CRI_TIME "2026-12-06T10:00:00.123456789Z"

static void
collect(void *arg, const char *rec, size_t len, const struct rtime *time)
{
	struct buf *b = arg;

	buf_append(b, &len, sizeof(len));
	buf_append(b, rec, len);
	buf_append(b, &time->text.n, sizeof(time->text.n));
	buf_append(b, time->text.p, time->text.n);
	if (time->secs >= 0)
		fuzz_fail("a runtime's time in seconds");
}

/*
 * The model's record: stripped, then kept or dropped for its length; its
 * time is its first piece's.
 */
static void
model_record(struct buf *want, const char *p, size_t n, const char *time,
    uint64_t *dropped)
{
	struct rtime t = { { time, strlen(time) }, -1 };

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > MAXLINE) {
		(*dropped)++;
		return;
	}
	collect(want, p, n, &t);
}

/* The record saved as restart state keeps it, then restored in a new one. */
static void
restart(struct record *r, struct json_index *ix)
{
	struct record_stats st = r->st;
	struct record	    was = *r;
	struct buf	    pos;
	char		   *log, err[256];
	size_t		    at;
	int		    k;

	record_init(r, RECORD_PLAIN, MAXLINE, ix);
	for (k = 0; k < RECORD_STREAMS; k++) {
		if (!was.j[k].open)
			continue;
		buf_init(&pos);
		record_pos_encode("/var/log/pods/x/0.log", &was,
		    (enum record_stream)k, &pos);
		if (record_pos_decode(RECORD_POS_VERSION, pos.p, pos.len, r,
			&log, &at, err, sizeof(err)) == -1)
			fuzz_fail("a saved record is refused at %zu: %s", at,
			    err);
		if (strcmp(log, "/var/log/pods/x/0.log") != 0)
			fuzz_fail("the log's name changed to %s", log);
		free(log);
		buf_free(&pos);
	}
	record_free(&was);
	r->st = st;
}

static void
escape(struct buf *out, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)p[i]);
		} else if (p[i] < 0x20 || p[i] == '<' || p[i] == '>' ||
		    p[i] == '&')
			buf_printf(out, "\\u%04x", p[i]);
		else
			buf_putc(out, (char)p[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record	  r;
	struct json_index ix;
	struct buf	  line, join[2], want, got;
	uint64_t	  dropped = 0, bad = 0;
	size_t		  i = 0, n, cut, k;
	int		  ctl, open[2] = { 0, 0 }, cri, e;
	char		  ts[40], jts[2][40] = { "", "" };
	unsigned long	  seq = 0;

	cri = size > 0 && (data[0] & 1);
	if (size > 0)
		i = 1;
	json_init(&ix);
	record_init(&r, cri ? RECORD_CRI : RECORD_DOCKER, MAXLINE, &ix);
	buf_init(&line);
	buf_init(&join[0]);
	buf_init(&join[1]);
	buf_init(&want);
	buf_init(&got);
	while (i < size) {
		ctl = data[i++];
		n = (size_t)(ctl >> 2);
		if (n > size - i)
			n = size - i;
		buf_reset(&line);
		e = n % 3 == 2;
		/* Each piece a time of its own, as long as CRI_TIME. */
		snprintf(ts, sizeof(ts), "2026-12-06T10:00:00.%09luZ",
		    seq++ % 1000000000);
		if (cri) {
			buf_printf(&line, "%s %s %c ", ts,
			    e ? "stderr" : "stdout", (ctl & 1) ? 'F' : 'P');
			for (k = 0; k < n; k++)
				buf_putc(&line,
				    data[i + k] == '\n' ? ' ' :
							  (char)data[i + k]);
		} else {
			buf_puts(&line, "{\"log\":\"");
			escape(&line, data + i, n);
			if (ctl & 1)
				buf_puts(&line, "\\n");
			buf_printf(&line,
			    "\",\"stream\":\"%s\",\"time\":\"%s\"}",
			    e ? "stderr" : "stdout", ts);
		}
		if (ctl & 2) {
			/*
			 * Cut before the closing brace, or inside the time:
			 * never a wrapper.
			 */
			cut = cri ? strlen(CRI_TIME) * (size_t)(ctl >> 2) / 64 :
				    (line.len - 1) * (size_t)(ctl >> 2) / 64;
			record_line(&r, line.p, cut, collect, &got);
			bad++;
			if (record_open(&r))
				restart(&r, &ix);
		} else {
			record_line(&r, line.p, line.len, collect, &got);
			for (k = 0; k < n; k++)
				buf_putc(&join[e],
				    cri && data[i + k] == '\n' ?
					' ' :
					(char)data[i + k]);
			if (ctl & 1)
				buf_putc(&join[e], '\n');
			if (!open[e])
				memcpy(jts[e], ts, sizeof(ts));
			open[e] = 1;
			if (join[e].len > 0 &&
			    join[e].p[join[e].len - 1] == '\n') {
				model_record(&want, join[e].p, join[e].len,
				    jts[e], &dropped);
				buf_reset(&join[e]);
				open[e] = 0;
			}
		}
		i += n;
	}
	record_flush(&r, collect, &got);
	for (e = 0; e < 2; e++)
		if (open[e])
			model_record(&want, join[e].p != NULL ? join[e].p : "",
			    join[e].len, jts[e], &dropped);
	if (got.len != want.len ||
	    (got.len > 0 && memcmp(got.p, want.p, got.len) != 0))
		fuzz_fail("records differ from the model's (%zu bytes, want "
			  "%zu)",
		    got.len, want.len);
	if (r.st.bad != bad)
		fuzz_fail("%llu wrapper lines counted bad, %llu cut",
		    (unsigned long long)r.st.bad, (unsigned long long)bad);
	if (r.st.toolong != dropped)
		fuzz_fail("%llu records dropped, the model %llu",
		    (unsigned long long)r.st.toolong,
		    (unsigned long long)dropped);
	buf_free(&line);
	buf_free(&join[0]);
	buf_free(&join[1]);
	buf_free(&want);
	buf_free(&got);
	record_free(&r);
	json_free(&ix);
	return 0;
}
