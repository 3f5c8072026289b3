/*
 * json.h: a lazy scan of one JSON line that validates it is exactly one
 * complete object and indexes its top-level keys. Nested values are
 * validated and skipped, never indexed: a nested "symbol" is not a field.
 */
#ifndef LOGMETRICS_JSON_H
#define LOGMETRICS_JSON_H

#include <stddef.h>

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
	const char	*key;		/* unescaped key (in the line or scratch) */
	size_t		 keylen;
	const char	*raw;		/* value as written; strings without quotes */
	size_t		 rawlen;
	const char	*val;		/* unescaped value once json_value() ran */
	size_t		 vallen;
	unsigned char	 type;		/* enum json_type */
	unsigned char	 escaped;	/* a string value holding backslashes */
};

/*
 * One index, reused line after line: json_scan() resets it. The scratch
 * area is sized to the line before any unescaping, so pointers into it stay
 * valid until the next json_scan() or json_free().
 */
struct json_index {
	struct json_field	*f;
	size_t			 n;
	size_t			 cap;
	char			*scratch;
	size_t			 scratchlen;
	size_t			 scratchcap;
};

void	json_init(struct json_index *);
void	json_free(struct json_index *);

/*
 * Scans line[0..len) (no newline). Returns 0 when it is exactly one
 * complete JSON object, surrounding blanks allowed, after which the index
 * holds its top-level fields in order; returns -1 otherwise (index empty).
 * Bytes >= 0x80 inside strings are accepted as they are, valid UTF-8 or
 * not. Cost: one pass over the line, no allocation once warmed up.
 */
int	json_scan(struct json_index *, const char *line, size_t len);

/* The last top-level field named key (JSON.parse keeps the last), or NULL. */
struct json_field *json_get(struct json_index *, const char *key,
	    size_t keylen);

/*
 * The value of a field as text: strings unescaped (\uXXXX to UTF-8, a lone
 * surrogate to U+FFFD), every other type as written. Cached in the field.
 */
const char *json_value(struct json_index *, struct json_field *,
	    size_t *lenp);

/*
 * Unescapes the body of a JSON string (no quotes) of n bytes into out,
 * which has room for n bytes. Returns the length written.
 */
size_t	json_unescape(const char *s, size_t n, char *out);

#endif
