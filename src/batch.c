/*
 * batch.c: updates recorded in a byte buffer, each entry a header, then
 * its bytes (label values, an exemplar's labels, a mark's data), padded
 * to 8 bytes so that the next header is aligned. See batch.h.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"

enum entry_kind {
	ENTRY_UPDATE = 1,
	ENTRY_EXDROP,
	ENTRY_MARK,
};

struct entry {
	uint32_t       kind; /* enum entry_kind */
	uint32_t       op;   /* enum metric_op */
	struct metric *m;
	uint64_t       hash; /* of the values; a mark's tag */
	double	       v;
	double	       extime;
	size_t	       exlen; /* exemplar label bytes, or SIZE_MAX: none */
	size_t	       size;  /* of the whole entry, padded */
	/* then, for an update: m->nlabels lengths (size_t), the values'
	   bytes, the exemplar's; for a mark: its data (exlen bytes) */
};

#define PAD(n) (((n) + 7) & ~(size_t)7)

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->b);
}

void
batch_free(struct batch *b)
{
	buf_free(&b->b);
	free(b->vals);
	memset(b, 0, sizeof(*b));
}

void
batch_reset(struct batch *b)
{
	buf_reset(&b->b);
	b->n = 0;
}

/*
 * A new entry of the kind at the end, with room for extra bytes after its
 * header; every other field of the header zero.
 */
static struct entry *
entry_new(struct batch *b, enum entry_kind kind, size_t extra)
{
	struct entry *e;
	size_t	      size = PAD(sizeof(*e) + extra);

	buf_reserve(&b->b, size);
	e = (struct entry *)(b->b.p + b->b.len);
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->size = size;
	b->b.len += size;
	b->b.p[b->b.len] = '\0';
	b->n++;
	return e;
}

void
batch_update(struct batch *b, struct metric *m, enum metric_op op,
    const struct str *values, double v, const struct exemplar *ex)
{
	struct entry *e;
	size_t	      i, bytes = 0, exlen = ex != NULL ? ex->len : 0;
	char	     *p;

	for (i = 0; i < m->nlabels; i++)
		bytes += values[i].n;
	e = entry_new(b, ENTRY_UPDATE,
	    m->nlabels * sizeof(size_t) + bytes + exlen);
	e->op = op;
	e->m = m;
	e->hash = metric_hash(m, values);
	e->v = v;
	e->exlen = ex != NULL ? ex->len : SIZE_MAX;
	e->extime = ex != NULL ? ex->time : 0;
	p = (char *)(e + 1);
	for (i = 0; i < m->nlabels; i++, p += sizeof(size_t))
		memcpy(p, &values[i].n, sizeof(size_t));
	for (i = 0; i < m->nlabels; i++, p += values[i - 1].n)
		if (values[i].n > 0)
			memcpy(p, values[i].p, values[i].n);
	if (exlen > 0)
		memcpy(p, ex->labels, exlen);
}

void
batch_exdrop(struct batch *b, struct metric *m)
{
	entry_new(b, ENTRY_EXDROP, 0)->m = m;
}

void *
batch_mark_space(struct batch *b, uint64_t tag, size_t len)
{
	struct entry *e = entry_new(b, ENTRY_MARK, len);

	e->hash = tag;
	e->exlen = len;
	return e + 1;
}

void
batch_mark(struct batch *b, uint64_t tag, const void *data, size_t len)
{
	void *p = batch_mark_space(b, tag, len);

	if (len > 0)
		memcpy(p, data, len);
}

/* Makes one recorded update. */
static void
apply_update(struct batch *b, const struct entry *e)
{
	struct exemplar ex, *exp = NULL;
	struct metric  *m = e->m;
	const char     *p = (const char *)(e + 1), *bytes;
	size_t		i;

	if (b->nvals < m->nlabels) {
		b->vals = xreallocarray(b->vals, m->nlabels, sizeof(*b->vals));
		b->nvals = m->nlabels;
	}
	bytes = p + m->nlabels * sizeof(size_t);
	for (i = 0; i < m->nlabels; i++) {
		memcpy(&b->vals[i].n, p + i * sizeof(size_t), sizeof(size_t));
		b->vals[i].p = bytes;
		bytes += b->vals[i].n;
	}
	if (e->exlen != SIZE_MAX) {
		memset(&ex, 0, sizeof(ex));
		ex.labels = (char *)(uintptr_t)bytes;
		ex.len = e->exlen;
		ex.time = e->extime;
		exp = &ex;
	}
	/* Refusals (caps, values) are counted by the metric itself. */
	(void)metric_update(m, (enum metric_op)e->op, b->vals, &e->hash, e->v,
	    exp);
}

void
batch_apply(struct batch *b, batch_mark_fn *fn, void *arg)
{
	const struct entry *e;
	size_t		    at;
	int		    skip = 0;

	for (at = 0; at < b->b.len; at += e->size) {
		e = (const struct entry *)(b->b.p + at);
		switch (e->kind) {
		case ENTRY_UPDATE:
			if (!skip)
				apply_update(b, e);
			break;
		case ENTRY_EXDROP:
			if (!skip)
				e->m->ex_dropped++;
			break;
		case ENTRY_MARK:
			skip = fn != NULL && fn(arg, e->hash, e + 1, e->exlen);
			break;
		}
	}
}
