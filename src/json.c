/*
 * json.c: a validating one-pass scan of a JSON line (RFC 8259) that
 * indexes the top-level keys of one object and skips nested values
 * without recursion.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#include "json.h"
#include "util.h"

/* Containers open at once, the top-level object included. */
#define JSON_MAXDEPTH 512

#define C_WS  0x01 /* space, tab, CR, LF */
#define C_STR 0x02 /* ends a run of plain string bytes */
#define C_HEX 0x04 /* hexadecimal digit */

/* Byte classes; built once by a constant initializer, no setup call. */
static const unsigned char cls[256] = {
	[0x00] = C_STR,
	[0x01] = C_STR,
	[0x02] = C_STR,
	[0x03] = C_STR,
	[0x04] = C_STR,
	[0x05] = C_STR,
	[0x06] = C_STR,
	[0x07] = C_STR,
	[0x08] = C_STR,
	[0x09] = C_STR | C_WS,
	[0x0a] = C_STR | C_WS,
	[0x0b] = C_STR,
	[0x0c] = C_STR,
	[0x0d] = C_STR | C_WS,
	[0x0e] = C_STR,
	[0x0f] = C_STR,
	[0x10] = C_STR,
	[0x11] = C_STR,
	[0x12] = C_STR,
	[0x13] = C_STR,
	[0x14] = C_STR,
	[0x15] = C_STR,
	[0x16] = C_STR,
	[0x17] = C_STR,
	[0x18] = C_STR,
	[0x19] = C_STR,
	[0x1a] = C_STR,
	[0x1b] = C_STR,
	[0x1c] = C_STR,
	[0x1d] = C_STR,
	[0x1e] = C_STR,
	[0x1f] = C_STR,
	[' '] = C_WS,
	['"'] = C_STR,
	['\\'] = C_STR,
	['0'] = C_HEX,
	['1'] = C_HEX,
	['2'] = C_HEX,
	['3'] = C_HEX,
	['4'] = C_HEX,
	['5'] = C_HEX,
	['6'] = C_HEX,
	['7'] = C_HEX,
	['8'] = C_HEX,
	['9'] = C_HEX,
	['a'] = C_HEX,
	['b'] = C_HEX,
	['c'] = C_HEX,
	['d'] = C_HEX,
	['e'] = C_HEX,
	['f'] = C_HEX,
	['A'] = C_HEX,
	['B'] = C_HEX,
	['C'] = C_HEX,
	['D'] = C_HEX,
	['E'] = C_HEX,
	['F'] = C_HEX,
};

/* The vector scans this build has; VEC_BASE is there on every CPU. */
enum {
	VEC_NONE,
	VEC_SSE2,
	VEC_AVX2,
	VEC_NEON
};

#if defined(__x86_64__) && defined(__SSE2__)
#define VEC_BASE VEC_SSE2
#elif defined(__aarch64__) && defined(__ARM_NEON)
#define VEC_BASE VEC_NEON
#else
#define VEC_BASE VEC_NONE
#endif

/* The vector scan in use, and whether the byte loops go wide too. */
static int scan_vec = VEC_BASE;
static int scan_simd = 1;

/* AVX2, with the OS saving its registers (the CPU model checks both). */
static int
have_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	return __builtin_cpu_supports("avx2");
#else
	return 0;
#endif
}

int
json_use(enum json_scanner sc)
{
	int vec;

	switch (sc) {
	case JSON_SCAN_SCALAR:
		vec = VEC_NONE;
		break;
	case JSON_SCAN_SIMD:
		vec = have_avx2() ? VEC_AVX2 : VEC_BASE;
		break;
	case JSON_SCAN_SSE2:
		if ((vec = VEC_BASE) != VEC_SSE2)
			return -1;
		break;
	case JSON_SCAN_AVX2:
		if (!have_avx2())
			return -1;
		vec = VEC_AVX2;
		break;
	case JSON_SCAN_NEON:
		if ((vec = VEC_BASE) != VEC_NEON)
			return -1;
		break;
	default:
		return -1;
	}
	scan_vec = vec;
	scan_simd = sc != JSON_SCAN_SCALAR;
	return 0;
}

int
json_scanner_parse(const char *s, enum json_scanner *out)
{
	static const struct {
		const char	 *name;
		enum json_scanner sc;
	} names[] = {
		{ "simd", JSON_SCAN_SIMD },
		{ "scalar", JSON_SCAN_SCALAR },
		{ "sse2", JSON_SCAN_SSE2 },
		{ "avx2", JSON_SCAN_AVX2 },
		{ "neon", JSON_SCAN_NEON },
	};
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].sc;
			return 0;
		}
	return -1;
}

#define ISWS(c)	   (cls[(unsigned char)(c)] & C_WS)
#define ISDIGIT(c) ((unsigned char)((c) - '0') < 10)

static inline const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && ISWS(*p))
		p++;
	return p;
}

static inline int
hex4_ok(const char *s)
{
	return (cls[(unsigned char)s[0]] & cls[(unsigned char)s[1]] &
		   cls[(unsigned char)s[2]] & cls[(unsigned char)s[3]] &
		   C_HEX) != 0;
}

/*
 * Checks the escape at p (a backslash) and returns the byte after it, or
 * NULL when it is cut or invalid.
 */
static const char *
scan_escape(const char *p, const char *end)
{
	if (end - p < 2)
		return NULL;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return p + 2;
	case 'u':
		if (end - p < 6 || !hex4_ok(p + 2))
			return NULL;
		return p + 6;
	}
	return NULL;
}

#ifdef __SSE2__
/*
 * 0xff in each byte of v that is a backslash or a control byte, the bytes
 * that stop a run of plain string text besides the quote: unsigned
 * v <= 0x1f exactly when min(v, 0x1f) == v.
 */
static inline __m128i
stops_sse2(__m128i v)
{
	return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
	    _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v));
}
#endif

/*
 * Scans a string body starting just after its opening quote. Returns the
 * byte after the closing quote, or NULL when the string is unterminated,
 * holds a raw control byte or a bad escape. Sets *esc when it saw a
 * backslash. With SSE2 (always there on x86-64) sixteen bytes are
 * classified at a time, and the closing quote is found from the masks
 * alone, without reading the byte again: this scan is the latency chain
 * of the whole line. It never reads past end.
 */
static inline const char *
scan_string(const char *p, const char *end, int *esc)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	__m128i	      v;
	unsigned int  q, m;

	while (scan_simd && end - p >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		q = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
		m = (unsigned int)_mm_movemask_epi8(stops_sse2(v));
		/* q and m are disjoint: (q - 1) & m is m below q's first bit. */
		if (q != 0 && ((q - 1) & m) == 0)
			return p + __builtin_ctz(q) + 1;
		if (m == 0) {
			p += 16;
			continue;
		}
		p += __builtin_ctz(m);
		if (*p != '\\')
			return NULL;
		*esc = 1;
		if ((p = scan_escape(p, end)) == NULL)
			return NULL;
	}
#endif
	for (;;) {
		while (p < end && !(cls[(unsigned char)*p] & C_STR))
			p++;
		if (p == end)
			return NULL;
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
			return NULL;
		*esc = 1;
		if ((p = scan_escape(p, end)) == NULL)
			return NULL;
	}
}

/*
 * Skips a run of ASCII digits. Eight bytes at a time where the line has
 * them: a byte is a digit when its high nibble is 3 and adding 6 keeps it
 * so. A carry out of a non-digit byte only spoils the bytes above it, and
 * the run ends at the lowest flagged byte (little-endian loads).
 */
static inline const char *
skip_digits(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t hi = 0xf0f0f0f0f0f0f0f0ULL, d = 0x3030303030303030ULL;
	uint64_t       x, bad;

	while (scan_simd && end - p >= 8) {
		memcpy(&x, p, 8);
		bad = ((x & hi) ^ d) | (((x + 0x0606060606060606ULL) & hi) ^ d);
		if (bad != 0)
			return p + __builtin_ctzll(bad) / 8;
		p += 8;
	}
#endif
	while (p < end && ISDIGIT(*p))
		p++;
	return p;
}

/*
 * Scans a number per the JSON grammar:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * Returns the byte after it, or NULL. What may follow is the caller's
 * business ("01" stops after "0" and the caller rejects the "1").
 */
static const char *
scan_number(const char *p, const char *end)
{
	const char *q;

	if (*p == '-' && ++p == end)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p = skip_digits(p + 1, end);
	else
		return NULL;
	if (p < end && *p == '.') {
		q = ++p;
		p = skip_digits(p, end);
		if (p == q)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		q = p;
		while (p < end && ISDIGIT(*p))
			p++;
		if (p == q)
			return NULL;
	}
	return p;
}

/* Scans true, false or null at p; returns the byte after it, or NULL. */
static inline const char *
scan_literal(const char *p, const char *end)
{
	size_t left = (size_t)(end - p);

	switch (*p) {
	case 't':
		return left >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return left >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return left >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	}
	return NULL;
}

/* The type of the literal true, false or null that starts with c. */
static inline enum json_type
literal_type(int c)
{
	if (c == 't')
		return JSON_TRUE;
	return c == 'f' ? JSON_FALSE : JSON_NULL;
}

/*
 * Validates and skips one nested object or array at p ('{' or '['), the
 * containing object being at depth 1. Returns the byte after its closing
 * bracket, or NULL when it is invalid, cut, or deeper than JSON_MAXDEPTH.
 * Iterative: the open containers are one bit each in a fixed stack, so
 * the C stack does not grow with the input.
 */
static const char *
skip_container(const char *p, const char *end)
{
	uint64_t isobj[JSON_MAXDEPTH / 64];
	size_t	 d = 0; /* containers open here */
	int	 esc;

#define TOPOBJ() ((isobj[(d - 1) / 64] >> ((d - 1) % 64)) & 1)

open:
	/* p is at '{' or '['. */
	if (d + 1 >= JSON_MAXDEPTH)
		return NULL;
	if (*p == '{')
		isobj[d / 64] |= (uint64_t)1 << (d % 64);
	else
		isobj[d / 64] &= ~((uint64_t)1 << (d % 64));
	d++;
	p = skip_ws(p + 1, end);
	if (p == end)
		return NULL;
	if (TOPOBJ()) {
		if (*p == '}') {
			p++;
			goto close;
		}
		goto key;
	}
	if (*p == ']') {
		p++;
		goto close;
	}
	goto value;

key:
	if (*p != '"' || (p = scan_string(p + 1, end, &esc)) == NULL)
		return NULL;
	if (p == end || *p != ':') {
		p = skip_ws(p, end);
		if (p == end || *p != ':')
			return NULL;
	}
	p++;
	/* FALLTHROUGH */

value:
	if (p == end)
		return NULL;
	switch (*p) {
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		p = skip_ws(p, end);
		goto value;
	case '{':
	case '[':
		goto open;
	case '"':
		p = scan_string(p + 1, end, &esc);
		break;
	case 't':
	case 'f':
	case 'n':
		p = scan_literal(p, end);
		break;
	default:
		p = scan_number(p, end);
		break;
	}
	if (p == NULL)
		return NULL;

next:
	/* A value just ended inside the innermost open container. */
	if (p == end || *p != ',')
		p = skip_ws(p, end);
	if (p == end)
		return NULL;
	if (*p == ',') {
		p = skip_ws(p + 1, end);
		if (p == end)
			return NULL;
		if (TOPOBJ())
			goto key;
		goto value;
	}
	if (*p != (TOPOBJ() ? '}' : ']'))
		return NULL;
	p++;

close:
	if (--d == 0)
		return p;
	goto next;
#undef TOPOBJ
}

void
json_init(struct json_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void
json_free(struct json_index *ix)
{
	free(ix->f);
	free(ix->scratch);
	free(ix->memo);
	free(ix->keytmp);
	free(ix->bits);
	memset(ix, 0, sizeof(*ix));
}

/* Grows the field array; amortized, and never once the index is warm. */
static void
grow_fields(struct json_index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : 32;

	ix->f = xreallocarray(ix->f, cap, sizeof(*ix->f));
	ix->cap = cap;
}

/* Room in the scratch buffer for every key of a line of len bytes. */
static void
scratch_reserve(struct json_index *ix, size_t len)
{
	size_t cap;

	ix->scratchlen = 0;
	if (ix->scratchcap >= len)
		return;
	cap = ix->scratchcap ? ix->scratchcap : 256;
	while (cap < len)
		cap *= 2;
	free(ix->scratch);
	ix->scratch = xmalloc(cap);
	ix->scratchcap = cap;
}

/*
 * The key at p (blanks before it allowed) into f: as it stands in the
 * line, or unescaped into the scratch buffer. Returns the byte after its
 * closing quote, or NULL.
 */
static const char *
scan_key(struct json_index *ix, struct json_field *f, const char *p,
    const char *end)
{
	const char *k;
	int	    esc = 0;

	if (*p != '"') {
		p = skip_ws(p, end);
		if (p == end || *p != '"')
			return NULL;
	}
	k = p + 1;
	if ((p = scan_string(k, end, &esc)) == NULL)
		return NULL;
	if (esc) {
		f->key = ix->scratch + ix->scratchlen;
		f->keylen = json_unescape(k, (size_t)(p - 1 - k),
		    ix->scratch + ix->scratchlen);
		ix->scratchlen += f->keylen;
	} else {
		f->key = k;
		f->keylen = (size_t)(p - 1 - k);
	}
	return p;
}

/* A value whose text is its bytes as written, v[0..n): no escape to undo. */
static inline void
field_text(struct json_field *f, const char *v, size_t n)
{
	f->raw = f->val = v;
	f->rawlen = f->vallen = n;
	f->escaped = 0;
}

/*
 * The value at p (blanks before it allowed) into f: a string's bytes
 * without its quotes, anything else as it stands, a container skipped
 * whole. Returns the byte after it, or NULL.
 */
static const char *
scan_value(struct json_field *f, const char *p, const char *end)
{
	const char *v;
	int	    esc;

	p = skip_ws(p, end);
	if (p == end)
		return NULL;
	v = p;
	switch (*p) {
	case '"':
		esc = 0;
		if ((p = scan_string(v + 1, end, &esc)) == NULL)
			return NULL;
		f->type = JSON_STRING;
		f->raw = v + 1;
		f->rawlen = (size_t)(p - 1 - f->raw);
		f->escaped = (unsigned char)esc;
		f->val = esc ? NULL : f->raw;
		f->vallen = esc ? 0 : f->rawlen;
		return p;
	case '{':
		f->type = JSON_OBJECT;
		p = skip_container(p, end);
		break;
	case '[':
		f->type = JSON_ARRAY;
		p = skip_container(p, end);
		break;
	case 't':
	case 'f':
	case 'n':
		f->type = literal_type(*p);
		p = scan_literal(p, end);
		break;
	default:
		f->type = JSON_NUMBER;
		p = scan_number(p, end);
		break;
	}
	if (p == NULL)
		return NULL;
	field_text(f, v, (size_t)(p - v));
	return p;
}

/*
 * The scalar scan: validates the whole line and records each top-level
 * field; escaped keys are unescaped into scratch now, values only by
 * json_value(). Returns 0, or -1 with the index in any state. Every
 * string body of the line fits in scratch at once unescaped, as
 * unescaping never lengthens: scratch grows only with the longest line
 * seen, the field array only with the widest. Cost: one pass, sixteen
 * bytes a step inside strings (a byte a step for JSON_SCAN_SCALAR).
 */
static int
scalar_scan(struct json_index *ix, const char *line, size_t len)
{
	const char	  *p, *end = line + len;
	struct json_field *f;

	p = skip_ws(line, end);
	if (p == end || *p != '{')
		goto fail;
	p = skip_ws(p + 1, end);
	if (p == end)
		goto fail;
	if (*p == '}') {
		p++;
		goto tail;
	}
	/*
	 * Blanks between tokens are rare in log lines: each step tests for
	 * the expected byte first and skips blanks only when it is not there.
	 */
	for (;;) {
		if (ix->n == ix->cap)
			grow_fields(ix);
		f = &ix->f[ix->n];
		if ((p = scan_key(ix, f, p, end)) == NULL)
			goto fail;
		ix->keys |= json_key_bit(f->key, f->keylen);
		if (p == end || *p != ':') {
			p = skip_ws(p, end);
			if (p == end || *p != ':')
				goto fail;
		}
		if ((p = scan_value(f, p + 1, end)) == NULL)
			goto fail;
		ix->n++;
		if (p == end || *p != ',') {
			p = skip_ws(p, end);
			if (p == end)
				goto fail;
			if (*p == '}') {
				p++;
				break;
			}
			if (*p != ',')
				goto fail;
		}
		if (++p == end)
			goto fail;
	}
tail:
	return skip_ws(p, end) == end ? 0 : -1;
fail:
	return -1;
}

/*
 * The vector scan, in two passes over a line. The first finds its quotes
 * 64 bytes at a step, one bit per byte, and whether it holds a backslash
 * or a control byte (a tab between tokens included): such a line, rare in
 * logs, is left to the scalar scan. On the others every quote opens or
 * closes a string, so the second pass, the grammar of the scalar scan
 * byte for byte outside strings, crosses a string of any length in one
 * step: its closing quote is the next bit. Nesting deeper than 64, and a
 * string cut by the end of the line, are left to the scalar scan too.
 */

/*
 * The last block of a line, padded with blanks to 64 bytes, or the line
 * itself where a whole block is left.
 */
static inline const char *
block_at(const char *s, size_t len, size_t i, char *pad)
{
	if (len - i >= 64)
		return s + i;
	memset(pad, ' ', 64);
	memcpy(pad, s + i, len - i);
	return pad;
}

/*
 * Each classifier fills qm[0..nb) with the quotes of the nb blocks of
 * s[0..len) and returns 0, or 1 when the line holds a backslash or a
 * control byte.
 */
#if defined(__x86_64__)
static int
classify_sse2(const char *s, size_t len, uint64_t *qm)
{
	const __m128i quote = _mm_set1_epi8('"');
	__m128i	      v, bad = _mm_setzero_si128();
	uint64_t      q;
	char	      pad[64];
	const char   *p;
	size_t	      i, k;
	int	      j;

	for (i = 0, k = 0; i < len; i += 64, k++) {
		p = block_at(s, len, i, pad);
		q = 0;
		for (j = 0; j < 4; j++) {
			v = _mm_loadu_si128(
			    (const __m128i *)(const void *)(p + 16 * j));
			q |= (uint64_t)(unsigned)_mm_movemask_epi8(
				 _mm_cmpeq_epi8(v, quote))
			    << (16 * j);
			bad = _mm_or_si128(bad, stops_sse2(v));
		}
		qm[k] = q;
	}
	return _mm_movemask_epi8(bad) != 0;
}

/* stops_sse2() 32 bytes at a time. */
__attribute__((target("avx2"))) static inline __m256i
stops_avx2(__m256i v)
{
	return _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\')),
	    _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v));
}

__attribute__((target("avx2"))) static int
classify_avx2(const char *s, size_t len, uint64_t *qm)
{
	const __m256i quote = _mm256_set1_epi8('"');
	__m256i	      lo, hi, bad = _mm256_setzero_si256();
	char	      pad[64];
	const char   *p;
	size_t	      i, k;

	for (i = 0, k = 0; i < len; i += 64, k++) {
		p = block_at(s, len, i, pad);
		lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
		hi = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(p + 32));
		qm[k] = (uint64_t)(uint32_t)_mm256_movemask_epi8(
			    _mm256_cmpeq_epi8(lo, quote)) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(hi, quote))
			<< 32;
		bad = _mm256_or_si256(bad,
		    _mm256_or_si256(stops_avx2(lo), stops_avx2(hi)));
	}
	return _mm256_movemask_epi8(bad) != 0;
}
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
/* Four 16-byte compare results as one 64-bit mask, bit i for byte i. */
static inline uint64_t
neon_mask(uint8x16_t a, uint8x16_t b, uint8x16_t c, uint8x16_t d)
{
	static const uint8_t w[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8,
		16, 32, 64, 128 };
	const uint8x16_t     bit = vld1q_u8(w);
	uint8x16_t	     t;

	t = vpaddq_u8(vpaddq_u8(vandq_u8(a, bit), vandq_u8(b, bit)),
	    vpaddq_u8(vandq_u8(c, bit), vandq_u8(d, bit)));
	t = vpaddq_u8(t, t);
	return vgetq_lane_u64(vreinterpretq_u64_u8(t), 0);
}

static int
classify_neon(const char *s, size_t len, uint64_t *qm)
{
	const uint8x16_t quote = vdupq_n_u8('"'), bsl = vdupq_n_u8('\\');
	const uint8x16_t ctl = vdupq_n_u8(0x1f);
	uint8x16_t	 v[4], bad = vdupq_n_u8(0);
	char		 pad[64];
	const char	*p;
	size_t		 i, k;
	int		 j;

	for (i = 0, k = 0; i < len; i += 64, k++) {
		p = block_at(s, len, i, pad);
		for (j = 0; j < 4; j++) {
			v[j] = vld1q_u8((const uint8_t *)p + 16 * j);
			bad = vorrq_u8(bad,
			    vorrq_u8(vceqq_u8(v[j], bsl), vcleq_u8(v[j], ctl)));
		}
		qm[k] = neon_mask(vceqq_u8(v[0], quote), vceqq_u8(v[1], quote),
		    vceqq_u8(v[2], quote), vceqq_u8(v[3], quote));
	}
	return vmaxvq_u8(bad) != 0;
}
#endif

/* The quotes of a line, taken in order. */
struct quotes {
	const uint64_t *m;
	size_t		nb; /* blocks */
	size_t		k;  /* the block of w */
	uint64_t	w;  /* its quotes not taken yet */
};

#define Q_NONE SIZE_MAX

static inline size_t
quote_next(struct quotes *c)
{
	size_t at;

	while (c->w == 0) {
		if (c->k + 1 >= c->nb)
			return Q_NONE;
		c->w = c->m[++c->k];
	}
	at = c->k * 64 + (size_t)__builtin_ctzll(c->w);
	c->w &= c->w - 1;
	return at;
}

/*
 * The string whose opening quote is at p: the quote after it closes it.
 * Returns that closing quote, or NULL when there is none. Every quote
 * before p was taken (the walk passes only blanks, digits, letters and
 * punctuation outside strings), so the next is p's; should it not be,
 * NULL too, and the caller leaves the line to the scalar scan.
 */
static inline const char *
quoted(struct quotes *qc, const char *s, const char *p)
{
	size_t o = quote_next(qc), c;

	if (o != (size_t)(p - s) || (c = quote_next(qc)) == Q_NONE)
		return NULL;
	return s + c;
}

/*
 * The second pass: scalar_scan() and skip_container() in one, strings
 * crossed by quoted(). Containers open at once are bits of isobj (bit
 * d - 1 for the innermost of d). The count of fields and the mask of keys
 * are kept in locals until the end, as stores through f could alias them,
 * and the function is not inlined into json_scan(), where it lost its
 * registers to the scalar scan's (10 % of the scan's time on the bench
 * corpus). Returns 0, -1, or 1 to leave the line to the scalar scan: too
 * deep, or a string without its closing quote (the scalar scan names the
 * line invalid then).
 */
__attribute__((noinline)) static int
vec_walk(struct json_index *ix, const char *s, size_t len, const uint64_t *qm,
    size_t nb)
{
	struct quotes	   qc = { qm, nb, 0, qm[0] };
	struct json_field *fields = ix->f, *f = NULL;
	uint64_t	   keys = 0;
	size_t		   n = 0, cap = ix->cap;
	const char	  *end = s + len, *p, *c, *v = NULL;
	uint64_t	   isobj = 0;
	size_t		   d = 0;
	enum json_type	   type;

#define OBJ() ((isobj >> (d - 1)) & 1)

	p = skip_ws(s, end);
	if (p == end || *p != '{')
		return -1;
open:
	/* p opens a container, the top-level object when d is 0. */
	if (d == 64)
		return 1;
	if (*p == '{')
		isobj |= (uint64_t)1 << d;
	else
		isobj &= ~((uint64_t)1 << d);
	d++;
	if (++p == end)
		return -1;
	if (*p == ' ' && (p = skip_ws(p, end)) == end)
		return -1;
	if (*p == (OBJ() ? '}' : ']')) {
		p++;
		goto close;
	}
	if (!OBJ())
		goto value;
key:
	if (*p != '"')
		return -1;
	if ((c = quoted(&qc, s, p)) == NULL)
		return 1;
	if (d == 1) {
		if (n == cap) {
			ix->n = n;
			grow_fields(ix);
			fields = ix->f;
			cap = ix->cap;
		}
		f = &fields[n];
		f->key = p + 1;
		f->keylen = (size_t)(c - p - 1);
		keys |= json_key_bit(f->key, f->keylen);
	}
	p = c + 1;
	if (p == end || *p != ':') {
		p = skip_ws(p, end);
		if (p == end || *p != ':')
			return -1;
	}
	p++;
value:
	if (p == end)
		return -1;
	switch (*p) {
	case ' ':
		p = skip_ws(p, end);
		goto value;
	case '{':
	case '[':
		v = d == 1 ? p : v;
		goto open;
	case '"':
		if ((c = quoted(&qc, s, p)) == NULL)
			return 1;
		if (d == 1) {
			f->type = JSON_STRING;
			field_text(f, p + 1, (size_t)(c - p - 1));
		}
		p = c + 1;
		goto next;
	case 't':
	case 'f':
	case 'n':
		type = literal_type(*p);
		c = scan_literal(p, end);
		break;
	default:
		type = JSON_NUMBER;
		c = scan_number(p, end);
		break;
	}
	if (c == NULL)
		return -1;
	if (d == 1) {
		f->type = (unsigned char)type;
		field_text(f, p, (size_t)(c - p));
	}
	p = c;
next:
	/* A value ended at p in the innermost container. */
	n += d == 1;
	if (p == end || *p != ',') {
		p = skip_ws(p, end);
		if (p == end)
			return -1;
	}
	if (*p == ',') {
		if (++p == end)
			return -1;
		if (*p == ' ' && (p = skip_ws(p, end)) == end)
			return -1;
		if (OBJ())
			goto key;
		goto value;
	}
	if (*p != (OBJ() ? '}' : ']'))
		return -1;
	p++;
close:
	/* The innermost container closed before p. */
	if (--d == 0) {
		ix->n = n;
		ix->keys = keys;
		return skip_ws(p, end) == end ? 0 : -1;
	}
	if (d == 1) {
		f->type = *v == '{' ? JSON_OBJECT : JSON_ARRAY;
		field_text(f, v, (size_t)(p - v));
	}
	goto next;
#undef OBJ
}

/* The vector scan of a line of len > 0 bytes: 0, -1, or 1 to leave it. */
static int
vec_scan(struct json_index *ix, const char *line, size_t len)
{
	size_t nb = (len + 63) / 64;
	int    r;

	if (ix->bitscap < nb) {
		free(ix->bits);
		ix->bitscap = nb > 32 ? nb : 32;
		ix->bits = xreallocarray(NULL, ix->bitscap, sizeof(*ix->bits));
	}
	switch (scan_vec) {
#if defined(__x86_64__)
	case VEC_AVX2:
		r = classify_avx2(line, len, ix->bits);
		break;
	case VEC_SSE2:
		r = classify_sse2(line, len, ix->bits);
		break;
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
	case VEC_NEON:
		r = classify_neon(line, len, ix->bits);
		break;
#endif
	default:
		return 1;
	}
	if (r != 0)
		return r;
	return vec_walk(ix, line, len, ix->bits, nb);
}

int
json_scan(struct json_index *ix, const char *line, size_t len)
{
	int r = 1;

	ix->n = 0;
	ix->keys = 0;
	ix->nmemo = 0;
	scratch_reserve(ix, len);
	if (scan_vec != VEC_NONE && len > 0) {
		r = vec_scan(ix, line, len);
		if (r == 1) {
			ix->n = 0;
			ix->keys = 0;
		}
	}
	if (r == 1)
		r = scalar_scan(ix, line, len);
	if (r == 0)
		return 0;
	ix->n = 0;
	ix->keys = 0;
	ix->scratchlen = 0;
	return -1;
}

/* Searches backwards so that a repeated key yields its last value. */
struct json_field *
json_get(struct json_index *ix, const char *key, size_t keylen)
{
	struct json_field *f;
	size_t		   i;

	for (i = ix->n; i-- > 0;) {
		f = &ix->f[i];
		if (f->keylen == keylen &&
		    (keylen == 0 ||
			(f->key[0] == key[0] &&
			    memcmp(f->key, key, keylen) == 0)))
			return f;
	}
	return NULL;
}

/*
 * Unescapes an escaped string value into scratch the first time it is
 * asked for; the text is not NUL-terminated and lives until the next
 * json_scan(). Every other value is returned as written in the line.
 */
const char *
json_value(struct json_index *ix, struct json_field *f, size_t *lenp)
{
	char *out;

	if (f->val == NULL) {
		out = ix->scratch + ix->scratchlen;
		f->vallen = json_unescape(f->raw, f->rawlen, out);
		f->val = out;
		ix->scratchlen += f->vallen;
	}
	if (lenp != NULL)
		*lenp = f->vallen;
	return f->val;
}

/*
 * Whether the key whose body (no quotes) is k[0..n) spells want: compared
 * as written when it has no escape, else unescaped into ix->keytmp.
 */
static int
key_is(struct json_index *ix, const char *k, size_t n, int esc,
    const struct json_step *want)
{
	if (!esc)
		return n == want->len && memcmp(k, want->key, n) == 0;
	if (n < want->len)
		return 0;
	if (n > ix->keytmpcap) {
		ix->keytmp = xrealloc(ix->keytmp, n);
		ix->keytmpcap = n;
	}
	n = json_unescape(k, n, ix->keytmp);
	return n == want->len && memcmp(ix->keytmp, want->key, n) == 0;
}

/*
 * The unescaped text of an escaped string value met by a walk: in scratch
 * once per line, found again by where it stands in the line. The string
 * bodies of a line are disjoint, so scratch holds them all at once.
 */
static void
walk_unescape(struct json_index *ix, struct json_field *f)
{
	size_t i;

	for (i = 0; i < ix->nmemo; i++)
		if (ix->memo[i].raw == f->raw) {
			f->val = ix->memo[i].val;
			f->vallen = ix->memo[i].len;
			return;
		}
	json_value(ix, f, NULL);
	if (ix->nmemo == ix->memocap) {
		ix->memocap = ix->memocap ? 2 * ix->memocap : 8;
		ix->memo = xreallocarray(ix->memo, ix->memocap,
		    sizeof(*ix->memo));
	}
	ix->memo[ix->nmemo].raw = f->raw;
	ix->memo[ix->nmemo].val = f->val;
	ix->memo[ix->nmemo].len = f->vallen;
	ix->nmemo++;
}

/*
 * Skips a container at p ('{' or '[') of a line json_scan() validated:
 * only strings and brackets matter then. Returns the byte after it, or
 * NULL should the text not be valid after all.
 */
static const char *
skip_checked(const char *p, const char *end)
{
	size_t d = 0;
	int    esc;

	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = scan_string(p + 1, end, &esc)) == NULL)
				return NULL;
			continue;
		case '{':
		case '[':
			d++;
			break;
		case '}':
		case ']':
			if (--d == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

/* scan_value() for a walk: a container is skipped, not validated again. */
static const char *
walk_value(struct json_field *f, const char *p, const char *end)
{
	const char *v;

	p = skip_ws(p, end);
	if (p == end || (*p != '{' && *p != '['))
		return scan_value(f, p, end);
	v = p;
	f->type = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
	if ((p = skip_checked(p, end)) == NULL)
		return NULL;
	field_text(f, v, (size_t)(p - v));
	return p;
}

/*
 * The member of the object at p ('{') named by step into *out, the last
 * one when the key repeats. Returns 0, or -1 when there is none.
 */
static int
walk_object(struct json_index *ix, const char *p, const char *end,
    const struct json_step *step, struct json_field *out)
{
	struct json_field v;
	const char	 *k;
	int		  esc, found = 0, same;

	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return -1;
	for (;;) {
		p = skip_ws(p, end);
		if (p == end || *p != '"')
			return -1;
		k = p + 1;
		esc = 0;
		if ((p = scan_string(k, end, &esc)) == NULL)
			return -1;
		same = key_is(ix, k, (size_t)(p - 1 - k), esc, step);
		p = skip_ws(p, end);
		if (p == end || *p != ':')
			return -1;
		if ((p = walk_value(&v, p + 1, end)) == NULL)
			return -1;
		if (same) {
			*out = v;
			found = 1;
		}
		p = skip_ws(p, end);
		if (p == end || *p != ',')
			return found && p < end && *p == '}' ? 0 : -1;
		p++;
	}
}

/* Element index of the array at p ('[') into *out; 0, or -1: none. */
static int
walk_array(const char *p, const char *end, long index, struct json_field *out)
{
	long i;

	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return -1;
	for (i = 0;; i++) {
		if ((p = walk_value(out, p, end)) == NULL)
			return -1;
		if (i == index)
			return 0;
		p = skip_ws(p, end);
		if (p == end || *p != ',')
			return -1;
		p++;
	}
}

enum json_stop
json_walk(struct json_index *ix, const struct json_field *f,
    const struct json_step *steps, size_t n, struct json_field *out, size_t *at)
{
	struct json_field cur = *f;
	const char	 *end;
	size_t		  i;

	for (i = 0; i < n; i++) {
		*at = i;
		*out = cur;
		end = cur.raw + cur.rawlen;
		if (cur.type == JSON_OBJECT) {
			if (walk_object(ix, cur.raw, end, &steps[i], &cur) ==
			    -1)
				return JSON_NO_KEY;
		} else if (cur.type == JSON_ARRAY) {
			if (steps[i].index < 0)
				return JSON_NOT_INDEX;
			if (walk_array(cur.raw, end, steps[i].index, &cur) ==
			    -1)
				return JSON_NO_INDEX;
		} else
			return JSON_SCALAR;
	}
	*at = n;
	if (cur.type == JSON_STRING && cur.val == NULL)
		walk_unescape(ix, &cur);
	*out = cur;
	return JSON_FOUND;
}

/* The value of four hexadecimal digits, or -1. */
static long
hex4(const char *s)
{
	long v = 0;
	int  i, c;

	for (i = 0; i < 4; i++) {
		c = (unsigned char)s[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | c;
	}
	return v;
}

static size_t
put_utf8(char *o, long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Plain runs are copied a memchr() at a time. A \uXXXX (6 bytes) gives at
 * most 3 bytes, a surrogate pair (12) gives 4, so the output never
 * outgrows the input. A backslash that starts no valid escape (not seen
 * after json_scan()) is copied as it is.
 */
size_t
json_unescape(const char *s, size_t n, char *out)
{
	const char *end = s + n, *bs;
	char	   *o = out;
	long	    cp, lo;

	while (s < end) {
		if ((bs = memchr(s, '\\', (size_t)(end - s))) == NULL) {
			memcpy(o, s, (size_t)(end - s));
			o += end - s;
			break;
		}
		memcpy(o, s, (size_t)(bs - s));
		o += bs - s;
		s = bs;
		if (end - s < 2) {
			*o++ = *s++;
			break;
		}
		switch (s[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = s[1];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (end - s < 6 || (cp = hex4(s + 2)) < 0) {
				*o++ = *s++;
				continue;
			}
			s += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && end - s >= 6 &&
			    s[0] == '\\' && s[1] == 'u' &&
			    (lo = hex4(s + 2)) >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				s += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			o += put_utf8(o, cp);
			continue;
		default:
			*o++ = *s++;
			continue;
		}
		s += 2;
	}
	return (size_t)(o - out);
}
