/*
 * pathpat.c: path patterns with globs in any part, "**" for any depth.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathpat.h"
#include "util.h"

enum part_kind {
	PART_NAME, /* a plain name */
	PART_GLOB, /* fnmatch(3) */
	PART_ANY,  /* "**" */
};

struct part {
	enum part_kind kind;
	char	      *s; /* the name, unescaped, or the glob */
};

struct pathpat {
	struct part *parts;
	size_t	     n;
	int	     abs;   /* starts at "/" */
	size_t	     fixed; /* leading plain names */
};

static int
has_glob(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '*' || *s == '?' || *s == '[')
			return 1;
	}
	return 0;
}

/* A name without its backslash escapes, as glob(3) reads it. */
static char *
unescape(const char *s, size_t n)
{
	char  *out = xmalloc(n + 1);
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		out[k++] = s[i];
	}
	out[k] = '\0';
	return out;
}

static void
part_add(struct pathpat *p, enum part_kind kind, char *s)
{
	p->parts = xreallocarray(p->parts, p->n + 1, sizeof(*p->parts));
	p->parts[p->n].kind = kind;
	p->parts[p->n].s = s;
	p->n++;
}

/*
 * The next part of a path or pattern at *s, and its length: the names
 * between slashes, "." ones skipped ("./x" is "x"). NULL at the end.
 */
static const char *
part_next(const char **s, size_t *len)
{
	const char *p = *s, *e;

	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			*s = p;
			return NULL;
		}
		for (e = p; *e != '\0' && *e != '/'; e++)
			;
		if (e - p != 1 || *p != '.')
			break;
		p = e;
	}
	*s = e;
	*len = (size_t)(e - p);
	return p;
}

struct pathpat *
pathpat_new(const char *pat, char *err, size_t errlen)
{
	struct pathpat *p;
	const char     *s = pat, *name;
	char	       *raw;
	size_t		len = strlen(pat), n;

	if (len == 0 || pat[len - 1] == '/') {
		snprintf(err, errlen, "%s: not a file name", pat);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->abs = *pat == '/';
	while ((name = part_next(&s, &n)) != NULL) {
		raw = xstrndup(name, n);
		if (strcmp(raw, "**") == 0) {
			/* "**" twice in a row is "**" once. */
			if (p->n == 0 || p->parts[p->n - 1].kind != PART_ANY)
				part_add(p, PART_ANY, raw);
			else
				free(raw);
		} else if (has_glob(raw))
			part_add(p, PART_GLOB, raw);
		else {
			part_add(p, PART_NAME, unescape(raw, strlen(raw)));
			free(raw);
		}
	}
	if (p->n == 0) {
		snprintf(err, errlen, "%s: not a file name", pat);
		pathpat_free(p);
		return NULL;
	}
	if (p->parts[p->n - 1].kind == PART_ANY)
		part_add(p, PART_GLOB, xstrdup("*"));
	while (p->fixed < p->n - 1 && p->parts[p->fixed].kind == PART_NAME)
		p->fixed++;
	return p;
}

void
pathpat_free(struct pathpat *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->parts[i].s);
	free(p->parts);
	free(p);
}

int
pathpat_deep(const struct pathpat *p)
{
	size_t i;

	for (i = 0; i + 1 < p->n; i++)
		if (p->parts[i].kind != PART_NAME)
			return 1;
	return p->parts[p->n - 1].kind == PART_ANY;
}

/* Whether one name matches one part other than "**". */
static int
part_match(const struct part *pt, const char *name, size_t len)
{
	char buf[256], *copy;
	int  rc;

	if (pt->kind == PART_NAME)
		return strlen(pt->s) == len && memcmp(pt->s, name, len) == 0;
	if (len < sizeof(buf)) {
		memcpy(buf, name, len);
		buf[len] = '\0';
		return fnmatch(pt->s, buf, FNM_PERIOD) == 0;
	}
	copy = xstrndup(name, len);
	rc = fnmatch(pt->s, copy, FNM_PERIOD) == 0;
	free(copy);
	return rc;
}

/* A path's names, split at '/'. */
struct names {
	const char **p;
	size_t	    *len;
	size_t	     n;
};

static void
names_split(const char *path, struct names *nm)
{
	const char *s = path, *name;
	size_t	    n;

	memset(nm, 0, sizeof(*nm));
	while ((name = part_next(&s, &n)) != NULL) {
		nm->p = xreallocarray(nm->p, nm->n + 1, sizeof(*nm->p));
		nm->len = xreallocarray(nm->len, nm->n + 1, sizeof(*nm->len));
		nm->p[nm->n] = name;
		nm->len[nm->n] = n;
		nm->n++;
	}
}

static void
names_free(struct names *nm)
{
	free(nm->p);
	free(nm->len);
}

/*
 * Whether names [i, n) match parts [k, p->n): wholly (prefix 0), or, with
 * prefix, as the start of a match with parts still to come.
 */
static int
match_from(const struct pathpat *p, const struct names *nm, size_t i, size_t k,
    int prefix)
{
	for (;;) {
		if (i == nm->n)
			return prefix ? k < p->n : k == p->n;
		if (k == p->n)
			return 0;
		if (p->parts[k].kind == PART_ANY) {
			/* No directory more, or one more (not hidden). */
			if (match_from(p, nm, i, k + 1, prefix))
				return 1;
			if (nm->p[i][0] == '.' || (!prefix && i + 1 == nm->n))
				return 0;
			i++;
			continue;
		}
		if (!part_match(&p->parts[k], nm->p[i], nm->len[i]))
			return 0;
		i++;
		k++;
	}
}

static int
match_path(const struct pathpat *p, const char *path, int prefix)
{
	struct names nm;
	int	     rc;

	if ((*path == '/') != p->abs)
		return 0;
	names_split(path, &nm);
	rc = match_from(p, &nm, 0, 0, prefix);
	names_free(&nm);
	return rc;
}

int
pathpat_match(const struct pathpat *p, const char *path)
{
	return match_path(p, path, 0);
}

int
pathpat_leads(const struct pathpat *p, const char *dir)
{
	if (strcmp(dir, p->abs ? "/" : ".") == 0)
		return 1;
	return match_path(p, dir, 1);
}

/* dir joined with name: "/" + name at the root, name alone for ".". */
static char *
join(const char *dir, const char *name)
{
	char  *out;
	size_t dl = strlen(dir), nl = strlen(name);

	if (strcmp(dir, ".") == 0)
		return xstrdup(name);
	out = xmalloc(dl + nl + 2);
	memcpy(out, dir, dl);
	if (dl == 0 || dir[dl - 1] != '/')
		out[dl++] = '/';
	memcpy(out + dl, name, nl + 1);
	return out;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, "." and ".." aside; NULL when unreadable. */
static char **
dir_names(const char *dir, size_t *n)
{
	DIR	      *d;
	struct dirent *de;
	char	     **v = NULL;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), str_cmp);
	return v;
}

/* Whether path is a directory; through links unless nolink. */
static int
is_dir(const char *path, int nolink)
{
	struct stat st;

	if ((nolink ? lstat(path, &st) : stat(path, &st)) == -1)
		return 0;
	return S_ISDIR(st.st_mode);
}

static void scan(const struct pathpat *, struct pathpat_walk *, const char *,
    size_t);

/* Reports directory dir, then reads it for parts [k, n) unless refused. */
static void
walk(const struct pathpat *p, struct pathpat_walk *w, const char *dir, size_t k)
{
	if (w->dir != NULL && w->dir(w->arg, dir) == -1)
		return;
	scan(p, w, dir, k);
}

/* The names of directory dir that match part k, and what follows. */
static void
scan(const struct pathpat *p, struct pathpat_walk *w, const char *dir, size_t k)
{
	const struct part *pt = &p->parts[k];
	char		 **names, *child;
	size_t		   n, i;

	if (pt->kind == PART_NAME && k + 1 < p->n) {
		/* One name: no need to read the directory. */
		child = join(dir, pt->s);
		if (is_dir(child, 0))
			walk(p, w, child, k + 1);
		free(child);
		return;
	}
	if (pt->kind == PART_ANY)
		scan(p, w, dir, k + 1); /* no directory at all */
	if ((names = dir_names(dir, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		child = join(dir, names[i]);
		if (pt->kind == PART_ANY) {
			/* Deeper under "**": real directories, not hidden. */
			if (names[i][0] != '.' && is_dir(child, 1))
				walk(p, w, child, k);
		} else if (part_match(pt, names[i], strlen(names[i]))) {
			if (k + 1 == p->n)
				w->file(w->arg, child);
			else if (is_dir(child, 0))
				walk(p, w, child, k + 1);
		}
		free(child);
		free(names[i]);
	}
	free(names);
}

void
pathpat_walk(const struct pathpat *p, struct pathpat_walk *w)
{
	struct buf b;
	size_t	   i;

	buf_init(&b);
	buf_puts(&b, p->abs ? "/" : "");
	for (i = 0; i < p->fixed; i++) {
		if (i > 0)
			buf_putc(&b, '/');
		buf_puts(&b, p->parts[i].s);
	}
	if (b.len == 0)
		buf_puts(&b, ".");
	if (is_dir(b.p, 0))
		walk(p, w, b.p, p->fixed);
	buf_free(&b);
}
