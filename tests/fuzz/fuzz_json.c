/*
 * fuzz_json.c: json_scan(), json_get() and json_value() against a plain
 * recursive reader of RFC 8259 written here. Both must agree on whether
 * the line is exactly one object (surrounding blanks allowed, raw bytes
 * >= 0x80 in strings accepted, at most 512 containers open at once) and
 * on every top-level field: its key unescaped, its type, its raw text
 * and its value. The index is reused from scan to scan, as the matcher
 * reuses it, and must not remember anything from the previous line.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "util.h"

#define REF_MAXDEPTH 512

struct rfield {
	size_t key, keylen; /* raw key body: offset, length */
	size_t raw, rawlen; /* string body, or the value as written */
	int    type;
};

struct rd {
	const unsigned char *s;
	size_t		     n, i;
	struct rfield	    *f;
	size_t		     nf;
};

static void
r_ws(struct rd *r)
{
	while (r->i < r->n &&
	    (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\r' ||
		r->s[r->i] == '\n'))
		r->i++;
}

static int
r_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A string at r->i (its quote); sets the body's offset and length. */
static int
r_string(struct rd *r, size_t *off, size_t *len)
{
	size_t k;

	if (r->i >= r->n || r->s[r->i] != '"')
		return -1;
	*off = ++r->i;
	for (;;) {
		if (r->i >= r->n || r->s[r->i] < 0x20)
			return -1;
		if (r->s[r->i] == '"')
			break;
		if (r->s[r->i] == '\\') {
			if (++r->i >= r->n)
				return -1;
			if (r->s[r->i] == 'u') {
				for (k = 1; k <= 4; k++)
					if (r->i + k >= r->n ||
					    !r_hex(r->s[r->i + k]))
						return -1;
				r->i += 4;
			} else if (strchr("\"\\/bfnrt", r->s[r->i]) == NULL ||
			    r->s[r->i] == '\0')
				return -1;
		}
		r->i++;
	}
	*len = r->i - *off;
	r->i++;
	return 0;
}

static int
r_digits(struct rd *r)
{
	size_t start = r->i;

	while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9')
		r->i++;
	return r->i > start ? 0 : -1;
}

static int
r_number(struct rd *r)
{
	if (r->i < r->n && r->s[r->i] == '-')
		r->i++;
	if (r->i < r->n && r->s[r->i] == '0')
		r->i++;
	else if (r->i < r->n && r->s[r->i] >= '1' && r->s[r->i] <= '9')
		r_digits(r);
	else
		return -1;
	if (r->i < r->n && r->s[r->i] == '.') {
		r->i++;
		if (r_digits(r) == -1)
			return -1;
	}
	if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
		r->i++;
		if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-'))
			r->i++;
		if (r_digits(r) == -1)
			return -1;
	}
	return 0;
}

static int
r_word(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if (r->n - r->i < n || memcmp(r->s + r->i, w, n) != 0)
		return -1;
	r->i += n;
	return 0;
}

static int r_value(struct rd *, int depth, int *type);

/* An object or array at r->i, the depth-th container open. */
static int
r_container(struct rd *r, int depth, int top)
{
	int    obj = r->s[r->i] == '{', type;
	size_t off, len, vstart;

	if (depth > REF_MAXDEPTH)
		return -1;
	r->i++;
	r_ws(r);
	if (r->i < r->n && r->s[r->i] == (obj ? '}' : ']')) {
		r->i++;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (r_string(r, &off, &len) == -1)
				return -1;
			r_ws(r);
			if (r->i >= r->n || r->s[r->i] != ':')
				return -1;
			r->i++;
			r_ws(r);
		}
		vstart = r->i;
		if (r_value(r, depth + 1, &type) == -1)
			return -1;
		if (top) {
			struct rfield *f;

			r->f = xreallocarray(r->f, r->nf + 1, sizeof(*r->f));
			f = &r->f[r->nf++];
			f->key = off;
			f->keylen = len;
			f->type = type;
			if (type == JSON_STRING) {
				f->raw = vstart + 1;
				f->rawlen = r->i - vstart - 2;
			} else {
				f->raw = vstart;
				f->rawlen = r->i - vstart;
			}
		}
		r_ws(r);
		if (r->i >= r->n)
			return -1;
		if (r->s[r->i] == ',') {
			r->i++;
			r_ws(r);
			continue;
		}
		if (r->s[r->i] != (obj ? '}' : ']'))
			return -1;
		r->i++;
		return 0;
	}
}

static int
r_value(struct rd *r, int depth, int *type)
{
	size_t off, len;

	if (r->i >= r->n)
		return -1;
	switch (r->s[r->i]) {
	case '{':
		*type = JSON_OBJECT;
		return r_container(r, depth, 0);
	case '[':
		*type = JSON_ARRAY;
		return r_container(r, depth, 0);
	case '"':
		*type = JSON_STRING;
		return r_string(r, &off, &len);
	case 't':
		*type = JSON_TRUE;
		return r_word(r, "true");
	case 'f':
		*type = JSON_FALSE;
		return r_word(r, "false");
	case 'n':
		*type = JSON_NULL;
		return r_word(r, "null");
	}
	*type = JSON_NUMBER;
	return r_number(r);
}

/* The reference verdict: 0 and r->f filled, or -1. */
static int
r_line(struct rd *r)
{
	r_ws(r);
	if (r->i >= r->n || r->s[r->i] != '{')
		return -1;
	if (r_container(r, 1, 1) == -1)
		return -1;
	r_ws(r);
	return r->i == r->n ? 0 : -1;
}

static unsigned
r_hex4(const unsigned char *s)
{
	unsigned v = 0;
	int	 i;

	for (i = 0; i < 4; i++)
		v = v * 16 +
		    (unsigned)(s[i] <= '9' ? s[i] - '0' :
					     (s[i] | 0x20) - 'a' + 10);
	return v;
}

/* Unescapes a validated string body: \uXXXX to UTF-8, lone surrogates
 * to U+FFFD. */
static void
r_unescape(const unsigned char *s, size_t n, struct buf *out)
{
	size_t	      i = 0;
	unsigned      cp, lo;
	unsigned char u[4];

	buf_reset(out);
	while (i < n) {
		if (s[i] != '\\') {
			buf_putc(out, s[i++]);
			continue;
		}
		switch (s[i + 1]) {
		case 'b':
			buf_putc(out, '\b');
			break;
		case 'f':
			buf_putc(out, '\f');
			break;
		case 'n':
			buf_putc(out, '\n');
			break;
		case 'r':
			buf_putc(out, '\r');
			break;
		case 't':
			buf_putc(out, '\t');
			break;
		case 'u':
			cp = r_hex4(s + i + 2);
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    (lo = r_hex4(s + i + 2)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			if (cp < 0x80)
				buf_putc(out, (int)cp);
			else if (cp < 0x800) {
				u[0] = (unsigned char)(0xc0 | cp >> 6);
				u[1] = (unsigned char)(0x80 | (cp & 0x3f));
				buf_append(out, u, 2);
			} else if (cp < 0x10000) {
				u[0] = (unsigned char)(0xe0 | cp >> 12);
				u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
				u[2] = (unsigned char)(0x80 | (cp & 0x3f));
				buf_append(out, u, 3);
			} else {
				u[0] = (unsigned char)(0xf0 | cp >> 18);
				u[1] = (unsigned char)(0x80 |
				    (cp >> 12 & 0x3f));
				u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
				u[3] = (unsigned char)(0x80 | (cp & 0x3f));
				buf_append(out, u, 4);
			}
			continue;
		default:
			buf_putc(out, s[i + 1]); /* " \ / */
			break;
		}
		i += 2;
	}
}

/* Scans s[0..n) with ix and compares everything with the reference. */
static void
check(struct json_index *ix, const unsigned char *s, size_t n)
{
	struct rd	   r;
	struct buf	   key, val, other;
	struct json_field *f, *g;
	const char	  *v;
	size_t		   i, j, vlen;
	int		   rc, want;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.n = n;
	want = r_line(&r);
	rc = json_scan(ix, (const char *)s, n);
	if (rc != want)
		fuzz_fail("json_scan says %d, the reference %d", rc, want);
	if (rc == -1) {
		if (ix->n != 0)
			fuzz_fail("a rejected line left %zu fields", ix->n);
		free(r.f);
		return;
	}
	if (ix->n != r.nf)
		fuzz_fail("%zu fields indexed, %zu in the line", ix->n, r.nf);
	buf_init(&key);
	buf_init(&val);
	buf_init(&other);
	for (i = 0; i < r.nf; i++) {
		f = &ix->f[i];
		r_unescape(s + r.f[i].key, r.f[i].keylen, &key);
		if (f->keylen != key.len ||
		    (key.len > 0 && memcmp(f->key, key.p, key.len) != 0))
			fuzz_fail("field %zu: key differs", i);
		if (f->type != r.f[i].type)
			fuzz_fail("field %zu: type %d, want %d", i, f->type,
			    r.f[i].type);
		if (f->raw != (const char *)s + r.f[i].raw ||
		    f->rawlen != r.f[i].rawlen)
			fuzz_fail("field %zu: raw text differs", i);
		/* The last field of that key, by the unescaped keys. */
		for (j = r.nf; j-- > 0;) {
			r_unescape(s + r.f[j].key, r.f[j].keylen, &other);
			if (other.len == key.len &&
			    (key.len == 0 ||
				memcmp(other.p, key.p, key.len) == 0))
				break;
		}
		if ((g = json_get(ix, key.p ? key.p : "", key.len)) !=
		    &ix->f[j])
			fuzz_fail("json_get of field %zu gives the wrong one",
			    i);
	}
	/* Values, asked in reverse so that the scratch fills out of order. */
	for (i = r.nf; i-- > 0;) {
		f = &ix->f[i];
		if (r.f[i].type == JSON_STRING)
			r_unescape(s + r.f[i].raw, r.f[i].rawlen, &val);
		else {
			buf_reset(&val);
			buf_append(&val, s + r.f[i].raw, r.f[i].rawlen);
		}
		v = json_value(ix, f, &vlen);
		if (vlen != val.len || (vlen > 0 && memcmp(v, val.p, vlen)))
			fuzz_fail("field %zu: value differs", i);
		if (json_value(ix, f, NULL) != v)
			fuzz_fail("field %zu: value not cached", i);
		if (ix->scratchlen > ix->scratchcap)
			fuzz_fail("scratch overflow: %zu > %zu", ix->scratchlen,
			    ix->scratchcap);
	}
	buf_free(&key);
	buf_free(&val);
	buf_free(&other);
	free(r.f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_index ix;
	static int		 init;
	unsigned char		*copy;

	if (!init) {
		json_init(&ix);
		init = 1;
	}
	/* The line, then its first half in a buffer of exactly that size,
	 * then the line again: the warm index must forget the half. */
	check(&ix, data, size);
	copy = xmalloc(size / 2 > 0 ? size / 2 : 1);
	memcpy(copy, data, size / 2);
	check(&ix, copy, size / 2);
	free(copy);
	check(&ix, data, size);
	return 0;
}
