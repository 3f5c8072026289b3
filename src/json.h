/*
 * json.h: a lazy scan of one JSON line that validates it is exactly one
 * complete object and indexes its top-level keys. Nested values are
 * validated and skipped, never indexed: a nested "symbol" is not a field.
 */
#ifndef LOGMETRICS_JSON_H
#define LOGMETRICS_JSON_H

#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_STRING = 1,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
	JSON_OBJECT,
	JSON_ARRAY,
};

struct json_field {
	const char   *key; /* unescaped key (in the line or scratch) */
	size_t	      keylen;
	const char   *raw; /* value as written; strings without quotes */
	size_t	      rawlen;
	const char   *val; /* unescaped value once json_value() ran */
	size_t	      vallen;
	unsigned char type;    /* enum json_type */
	unsigned char escaped; /* a string value holding backslashes */
};

/* An escaped string a walk unescaped: where it stands, where its text is. */
struct json_memo {
	const char *raw;
	const char *val;
	size_t	    len;
};

/*
 * One index, reused line after line: json_scan() resets it. The scratch
 * area is sized to the line before any unescaping, so pointers into it stay
 * valid until the next json_scan() or json_free().
 */
struct json_index {
	struct json_field *f;
	size_t		   n;
	uint64_t	   keys; /* json_key_bit() of every key, or'ed */
	size_t		   cap;
	char		  *scratch;
	size_t		   scratchlen;
	size_t		   scratchcap;
	struct json_memo  *memo; /* per line, see json_walk() */
	size_t		   nmemo;
	size_t		   memocap;
	char		  *keytmp; /* an escaped key being compared */
	size_t		   keytmpcap;
	uint64_t	  *bits; /* the vector scan's masks of a line */
	size_t		   bitscap;
};

/*
 * One step of a path down from a value: a key of an object, and when the
 * key is written as a plain non-negative integer, also the index it is in
 * an array (else index is -1).
 */
struct json_step {
	const char *key;
	size_t	    len;
	long	    index;
};

/* How a walk ended. */
enum json_stop {
	JSON_FOUND = 0,
	JSON_NO_KEY,	/* an object without the key */
	JSON_NO_INDEX,	/* an array without the element */
	JSON_NOT_INDEX, /* an array, and the step is not an index */
	JSON_SCALAR,	/* a value that is neither object nor array */
};

/*
 * One bit of a 64-bit mask per key name, from its length and three of its
 * bytes packed in a word, times an odd constant: json_scan() or's those of
 * a line's keys into ix->keys, so that a caller tells cheaply that some
 * key is absent (a collision only costs it a lookup).
 */
static inline uint64_t
json_key_bit(const char *key, size_t n)
{
	uint32_t x;

	if (n == 0)
		return 1;
	x = (uint32_t)(n & 0xff) | (uint32_t)(unsigned char)key[0] << 8 |
	    (uint32_t)(unsigned char)key[n - 1] << 16 |
	    (uint32_t)(unsigned char)key[n / 2] << 24;
	return (uint64_t)1 << ((x * 0x9e3779b1u) >> 26);
}

/*
 * The scanner every index uses. A vector one classifies 64 bytes at a
 * step (quotes, backslashes, control bytes, brackets, colons, commas) and
 * walks the line from one structural byte to the next; a line with an
 * escape, a control byte or deep nesting goes to the scalar one, a byte
 * at a time, which is the reference every other must equal in every
 * result. JSON_SCAN_SIMD is the widest the CPU has (AVX2 or SSE2 on
 * amd64, NEON on arm64; elsewhere the scalar one). Chosen once at start,
 * before any scan: until then an index uses the baseline vectors of its
 * machine (SSE2, NEON).
 */
enum json_scanner {
	JSON_SCAN_SIMD = 0,
	JSON_SCAN_SCALAR,
	JSON_SCAN_SSE2,
	JSON_SCAN_AVX2,
	JSON_SCAN_NEON,
};

/* Returns 0, or -1 when this build or CPU does not have that scanner. */
int json_use(enum json_scanner);

/*
 * The scanner named by s ("simd", "scalar", "sse2", "avx2" or "neon")
 * into *out; returns 0, or -1 for any other name.
 */
int json_scanner_parse(const char *s, enum json_scanner *out);

void json_init(struct json_index *);
void json_free(struct json_index *);

/*
 * Scans line[0..len) (no newline). Returns 0 when it is exactly one
 * complete JSON object, surrounding blanks allowed, after which the index
 * holds its top-level fields in order; returns -1 otherwise (index empty).
 * Bytes >= 0x80 inside strings are accepted as they are, valid UTF-8 or
 * not. Cost: one pass over the line (a vector scanner makes two: 64 bytes
 * a step, then the bytes outside strings), no allocation once warmed up.
 */
int json_scan(struct json_index *, const char *line, size_t len);

/* The last top-level field named key (JSON.parse keeps the last), or NULL. */
struct json_field *json_get(struct json_index *, const char *key,
    size_t keylen);

/*
 * The value of a field as text: strings unescaped (\uXXXX to UTF-8, a lone
 * surrogate to U+FFFD), every other type as written. Cached in the field.
 */
const char *json_value(struct json_index *, struct json_field *, size_t *lenp);

/*
 * Follows steps[0..n) down from the value of f, a field of the line the
 * index holds: in an object the member with the step's key (the last one
 * when the key repeats, as json_get()), in an array the element at its
 * index. Fills *out as json_scan() fills a field, an escaped string
 * unescaped already (once per line, whatever the number of walks that
 * reach it; it lives until the next json_scan()). Returns JSON_FOUND, or
 * why not with *at the step that failed and *out the value it failed in.
 * Cost: a pass over the values the path goes through, none outside them.
 */
enum json_stop json_walk(struct json_index *, const struct json_field *f,
    const struct json_step *steps, size_t n, struct json_field *out,
    size_t *at);

/*
 * Unescapes the body of a JSON string (no quotes) of n bytes into out,
 * which has room for n bytes. Returns the length written.
 */
size_t json_unescape(const char *s, size_t n, char *out);

#endif
