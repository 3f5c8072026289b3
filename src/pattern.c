/*
 * pattern.c: the compile step of a rule's patterns (pattern.h). Every
 * reading of a regex's source happens here, once, when rules load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pattern.h"
#include "util.h"

static int
word_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

pcre2_code *
pattern_regex(const char *src, size_t len, uint32_t flags, char *err,
    size_t errlen)
{
	pcre2_code *re;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE  off;
	int	    code;

	re = pcre2_compile((PCRE2_SPTR)src, len, PCRE2_DOLLAR_ENDONLY | flags,
	    &code, &off, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(err, errlen, "invalid regex: %s at offset %zu",
		    (const char *)msg, (size_t)off);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

int
pattern_next_name(const pcre2_code *re, int after, const char **name)
{
	PCRE2_SPTR tab, e;
	uint32_t   count, esize, i;
	int	   g, best = 0;

	if (pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &esize) != 0 ||
	    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &tab) != 0)
		return 0;
	/* The table is sorted by name, each entry the group's number in
	 * two bytes, then the name. */
	for (i = 0; i < count; i++) {
		e = tab + (size_t)i * esize;
		g = (e[0] << 8) | e[1];
		if (g > after && (best == 0 || g < best)) {
			best = g;
			*name = (const char *)e + 2;
		}
	}
	return best;
}

int
pattern_replacement(const pcre2_code *re, const char *repl, size_t n, char *err,
    size_t errlen, size_t *off)
{
	uint32_t ngroups = 0;
	size_t	 i, j, start;
	char	 name[64];
	long	 g;
	int	 braced, digits;

	(void)pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ngroups);
	for (i = 0; i < n; i++) {
		if (repl[i] != '$')
			continue;
		*off = i;
		if (i + 1 < n && repl[i + 1] == '$') {
			i++;
			continue;
		}
		/* As PCRE2 reads it: digits, or else a name. */
		braced = i + 1 < n && repl[i + 1] == '{';
		start = j = i + 1 + (size_t)braced;
		digits = j < n && repl[j] >= '0' && repl[j] <= '9';
		while (j < n &&
		    (digits ? repl[j] >= '0' && repl[j] <= '9' :
			      word_char(repl[j])))
			j++;
		if (j == start || (braced && (j == n || repl[j] != '}'))) {
			snprintf(err, errlen,
			    "'$' not followed by a group: write $$ for a "
			    "dollar sign");
			return -1;
		}
		if (digits) {
			for (g = 0; start < j && g <= 65535; start++)
				g = g * 10 + (repl[start] - '0');
			if (g > (long)ngroups) {
				snprintf(err, errlen,
				    "no group %.*s in the regex (it has %u)",
				    (int)(j - i - 1 - (size_t)braced),
				    repl + i + 1 + braced, ngroups);
				return -1;
			}
		} else if (j - start >= sizeof(name) ||
		    (memcpy(name, repl + start, j - start),
			name[j - start] = '\0',
			pcre2_substring_number_from_name(re,
			    (PCRE2_SPTR)name) <= 0)) {
			snprintf(err, errlen,
			    "no group named '%.*s' in the regex",
			    (int)(j - start), repl + start);
			return -1;
		}
		i = braced ? j : j - 1;
	}
	return 0;
}

int
pattern_ts_group(const pcre2_code *re)
{
	uint32_t ncap;
	int	 n;

	n = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "ts");
	if (n > 0)
		return n;
	if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ncap) == 0 &&
	    ncap > 0)
		return 1;
	return 0;
}

/* Sorts out the fast shape of a pattern, see enum patkind. */
static void
plan_kind(struct pattern *p)
{
	const char *src = p->src;
	uint32_t    opts = 0;
	size_t	    jitsize = 0, n = strlen(src), i;

	p->kind = PK_REGEX;
	if (pcre2_pattern_info(p->re, PCRE2_INFO_JITSIZE, &jitsize) == 0 &&
	    jitsize > 0)
		p->jit = 1;
	if (pcre2_pattern_info(p->re, PCRE2_INFO_ALLOPTIONS, &opts) != 0 ||
	    (opts & (PCRE2_CASELESS | PCRE2_EXTENDED | PCRE2_MULTILINE)) ||
	    !(opts & PCRE2_DOLLAR_ENDONLY) || n < 2 || src[0] != '^' ||
	    src[n - 1] != '$')
		return;
	if (n >= 10 && strncmp(src, "^(?<", 4) == 0 &&
	    (strcmp(src + n - 5, ">.*)$") == 0 ||
		strcmp(src + n - 5, ">.+)$") == 0)) {
		for (i = 4; i < n - 5; i++)
			if (!word_char(src[i]))
				return;
		p->kind = PK_ALL;
		p->dotall = (opts & PCRE2_DOTALL) != 0;
		p->nonempty = src[n - 3] == '+';
		return;
	}
	for (i = 1; i < n - 1; i++)
		if (strchr("\\^$.|?*+()[]{}", src[i]) != NULL)
			return;
	p->kind = PK_EQUAL;
	p->lit = src + 1;
	p->litlen = n - 2;
}

/*
 * The literal text every line a whole-line regex matches must hold: its
 * first run of plain characters (after an optional ^, \/ read as a slash),
 * when at least 3 bytes long, not cut short by a quantifier, and the regex
 * has no alternation anywhere and no i or x flag. Returns it (the caller
 * frees it) or NULL.
 */
static char *
literal_prefix(const struct pattern *p)
{
	const char *s = p->src;
	struct buf  b;
	uint32_t    flags;

	if (pcre2_pattern_info(p->re, PCRE2_INFO_ARGOPTIONS, &flags) != 0 ||
	    (flags & (PCRE2_CASELESS | PCRE2_EXTENDED)))
		return NULL;
	if (strchr(s, '|') != NULL)
		return NULL;
	if (*s == '^')
		s++;
	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '/')
			buf_putc(&b, *++s);
		else if (strchr("\\^$.[|()?*+{", *s) == NULL)
			buf_putc(&b, *s);
		else
			break;
	}
	/* A quantifier binds to the last character only. */
	if (b.len > 0 && (*s == '?' || *s == '*' || *s == '{' || *s == '+'))
		b.len--;
	if (b.len < 3) {
		buf_free(&b);
		return NULL;
	}
	b.p[b.len] = '\0';
	return buf_release(&b);
}

/* A field name a JSON writer puts in a line as is, quotes around it. */
static int
plain_field(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\\' || *s == '/')
			return 0;
	return 1;
}

void
pattern_prefilter(struct plan *pl, char *lit)
{
	size_t i;

	for (i = 0; i < pl->nprefilter; i++)
		if (strcmp(pl->prefilter[i].lit, lit) == 0) {
			free(lit);
			return;
		}
	pl->prefilter = xgrow(pl->prefilter, pl->nprefilter,
	    sizeof(*pl->prefilter));
	pl->prefilter[pl->nprefilter].lit = lit;
	pl->prefilter[pl->nprefilter].len = strlen(lit);
	pl->prefilter[pl->nprefilter].implied = 0;
	pl->nprefilter++;
}

/* Whether name is the top-level key of a required pattern. */
static int
required_field(const struct pattern *pats, size_t npats, const char *name,
    size_t n)
{
	size_t i;

	for (i = 0; i < npats; i++)
		if (pats[i].path.n > 0 && !pats[i].optional &&
		    pats[i].path.step[0].len == n &&
		    memcmp(pats[i].path.step[0].key, name, n) == 0)
			return 1;
	return 0;
}

void
pattern_plan(struct plan *pl, struct pattern *pats, size_t npats)
{
	const struct json_step *key;
	struct pattern	       *p;
	struct prefilter       *f;
	struct buf		b;
	char		       *lit;
	size_t			i;

	pl->json = 0;
	pl->keymask = 0;
	for (i = 0; i < npats; i++) {
		p = &pats[i];
		plan_kind(p);
		if (p->path.n > 0)
			pl->json = 1;
		if (p->optional)
			continue;
		if (p->path.n == 0) {
			if ((lit = literal_prefix(p)) != NULL)
				pattern_prefilter(pl, lit);
			continue;
		}
		key = &p->path.step[0];
		pl->keymask |= json_key_bit(key->key, key->len);
		if (plain_field(key->key) && strlen(key->key) == key->len) {
			buf_init(&b);
			buf_printf(&b, "\"%s\"", key->key);
			pattern_prefilter(pl, buf_release(&b));
		}
	}
	/* "KEY" of a required field: the line's key mask proves it. */
	for (i = 0; i < pl->nprefilter; i++) {
		f = &pl->prefilter[i];
		f->implied = pl->json && f->len >= 2 && f->lit[0] == '"' &&
		    f->lit[f->len - 1] == '"' &&
		    required_field(pats, npats, f->lit + 1, f->len - 2);
	}
}

void
pattern_path_add(struct path *path, const char *key, size_t len, int quoted,
    size_t end)
{
	struct json_step *st;
	size_t		  i;

	path->step = xgrow(path->step, path->n, sizeof(*path->step));
	path->end = xgrow(path->end, path->n, sizeof(*path->end));
	st = &path->step[path->n];
	st->key = xstrndup(key, len);
	st->len = len;
	st->index = -1;
	path->end[path->n++] = end;
	/* 0, or digits without a leading zero; nine at most. */
	if (quoted || len == 0 || len > 9 || (key[0] == '0' && len > 1))
		return;
	for (i = 0; i < len; i++)
		if (key[i] < '0' || key[i] > '9')
			return;
	st->index = strtol(st->key, NULL, 10);
}

void
pattern_path_free(struct path *path)
{
	size_t i;

	for (i = 0; i < path->n; i++)
		free((char *)(uintptr_t)path->step[i].key);
	free(path->step);
	free(path->end);
	free(path->text);
	memset(path, 0, sizeof(*path));
}

void
pattern_free(struct pattern *p)
{
	pattern_path_free(&p->path);
	free(p->src);
	pcre2_code_free(p->re);
}

void
plan_free(struct plan *pl)
{
	size_t i;

	for (i = 0; i < pl->nprefilter; i++)
		free(pl->prefilter[i].lit);
	free(pl->prefilter);
}
