/*
 * fuzz_scan.c: the JSON scanners as referees of each other. The line is
 * scanned with each vector scanner the machine has and with the scalar
 * one (the reference, a byte at a time); each must give the same verdict
 * and the same index: every top-level field's key, type, raw text and value,
 * the mask of keys; and the same walks down every container field (by a
 * key and an index taken from the input). The line sits in a buffer of
 * exactly its size, so that a read past its end is a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "util.h"

/* What a walk gave: its stop, the step it ended at, the value found. */
struct walked {
	enum json_stop stop;
	size_t	       at;
	int	       type;
	const char    *raw;
	size_t	       rawlen;
	char	      *val; /* a copy */
	size_t	       vallen;
};

static void
walk(struct json_index *ix, const struct json_field *f,
    const struct json_step *steps, size_t n, struct walked *w)
{
	struct json_field out;

	memset(&out, 0, sizeof(out));
	w->stop = json_walk(ix, f, steps, n, &out, &w->at);
	w->type = out.type;
	w->raw = out.raw;
	w->rawlen = out.rawlen;
	w->val = NULL;
	w->vallen = 0;
	if (w->stop == JSON_FOUND && out.val != NULL) {
		w->val = xmalloc(out.vallen + 1);
		memcpy(w->val, out.val, out.vallen);
		w->vallen = out.vallen;
	}
}

static void
same_walk(const struct walked *a, const struct walked *b, size_t i)
{
	if (a->stop != b->stop || a->at != b->at)
		fuzz_fail("field %zu: walks stop at %d/%zu and %d/%zu", i,
		    a->stop, a->at, b->stop, b->at);
	if (a->stop != JSON_FOUND)
		return;
	if (a->type != b->type || a->raw != b->raw || a->rawlen != b->rawlen)
		fuzz_fail("field %zu: walks find other values", i);
	if (a->vallen != b->vallen ||
	    (a->vallen > 0 && memcmp(a->val, b->val, a->vallen) != 0))
		fuzz_fail("field %zu: walks unescape otherwise", i);
}

/* The scanner v against the scalar one on line[0..size). */
static void
compare(enum json_scanner v, const char *line, size_t size)
{
	static struct json_index a, b;
	static int		 init;
	struct json_field	*fa, *fb;
	struct json_step	 steps[2];
	struct walked		 wa, wb;
	const char		*va, *vb;
	size_t			 i, la, lb, k;
	int			 ra, rb;

	if (!init) {
		json_init(&a);
		json_init(&b);
		init = 1;
	}
	json_use(v);
	ra = json_scan(&a, line, size);
	json_use(JSON_SCAN_SCALAR);
	rb = json_scan(&b, line, size);
	if (ra != rb)
		fuzz_fail("scanner %d says %d, the scalar one %d", (int)v, ra,
		    rb);
	if (a.n != b.n || a.keys != b.keys)
		fuzz_fail("%zu fields and %zu, or other key masks", a.n, b.n);
	/* A step from the input: its first bytes as a key, or an index. */
	k = size < 3 ? size : 3;
	steps[0].key = line;
	steps[0].len = k;
	steps[0].index = size > 0 ? (long)((unsigned char)line[0] % 4) : 0;
	steps[1] = steps[0];
	for (i = 0; i < a.n; i++) {
		fa = &a.f[i];
		fb = &b.f[i];
		if (fa->keylen != fb->keylen ||
		    memcmp(fa->key, fb->key, fa->keylen) != 0)
			fuzz_fail("field %zu: keys differ", i);
		if (fa->type != fb->type || fa->raw != fb->raw ||
		    fa->rawlen != fb->rawlen || fa->escaped != fb->escaped)
			fuzz_fail("field %zu: values differ", i);
		json_use(v);
		va = json_value(&a, fa, &la);
		json_use(JSON_SCAN_SCALAR);
		vb = json_value(&b, fb, &lb);
		if (la != lb || (la > 0 && memcmp(va, vb, la) != 0))
			fuzz_fail("field %zu: unescaped values differ", i);
		if (fa->type != JSON_OBJECT && fa->type != JSON_ARRAY)
			continue;
		json_use(v);
		walk(&a, fa, steps, 1 + (size & 1), &wa);
		json_use(JSON_SCAN_SCALAR);
		walk(&b, fb, steps, 1 + (size & 1), &wb);
		same_walk(&wa, &wb, i);
		free(wa.val);
		free(wb.val);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Every vector scanner this build and CPU have, the default too. */
	static const enum json_scanner vec[] = { JSON_SCAN_SIMD, JSON_SCAN_SSE2,
		JSON_SCAN_AVX2, JSON_SCAN_NEON };
	char			      *line;
	size_t			       i;

	line = xmalloc(size > 0 ? size : 1);
	memcpy(line, data, size);
	for (i = 0; i < NELEM(vec); i++)
		if (json_use(vec[i]) == 0)
			compare(vec[i], line, size);
	free(line);
	return 0;
}
