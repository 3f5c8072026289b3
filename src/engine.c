/*
 * engine.c: rules, registry and matcher wired together.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "metrics.h"

/*
 * The default labels: the ruleset's, resolved in the environment now,
 * each overridden by a --label of the same name, then the --label names
 * the ruleset does not have.
 */
static void
set_default_labels(struct registry *reg, const struct ruleset *rs,
    const struct engine_opts *o)
{
	char **names, **values;
	size_t i, j, n = 0;

	names = xcalloc(rs->nlabels + o->nlabels, sizeof(char *));
	values = xcalloc(rs->nlabels + o->nlabels, sizeof(char *));
	for (i = 0; i < rs->nlabels; i++) {
		names[n] = rs->labels[i].name;
		values[n] = (char *)(uintptr_t)rules_label_value(&rs->labels[i],
		    rs->labels[i].env ? getenv(rs->labels[i].env) : NULL);
		for (j = 0; j < o->nlabels; j++)
			if (strcmp(o->lnames[j], names[n]) == 0)
				values[n] = o->lvalues[j];
		n++;
	}
	for (j = 0; j < o->nlabels; j++) {
		for (i = 0; i < rs->nlabels; i++)
			if (strcmp(o->lnames[j], rs->labels[i].name) == 0)
				break;
		if (i == rs->nlabels) {
			names[n] = o->lnames[j];
			values[n] = o->lvalues[j];
			n++;
		}
	}
	registry_set_default_labels(reg, names, values, n);
	free(names);
	free(values);
}

/* The first metric of rs that declares a label name itself, or NULL. */
static const struct metric_decl *
decl_with_label(const struct ruleset *rs, const char *name)
{
	size_t i, k;

	for (i = 0; i < rs->ndecls; i++)
		for (k = 0; k < rs->decls[i].nlabels; k++)
			if (strcmp(rs->decls[i].labels[k], name) == 0)
				return &rs->decls[i];
	return NULL;
}

/* A --label must not clash with a label some metric declares itself. */
static int
check_overrides(const struct ruleset *rs, const struct engine_opts *o,
    char *err, size_t errlen)
{
	const struct metric_decl *d;
	size_t			  j;

	for (j = 0; j < o->nlabels; j++)
		if ((d = decl_with_label(rs, o->lnames[j])) != NULL) {
			snprintf(err, errlen,
			    "--label %s: metric %s has a label of that name",
			    o->lnames[j], d->name);
			return -1;
		}
	return 0;
}

/*
 * Compiles --path-labels and learns its named groups, which must be
 * label names. Returns 0, or -1 with the reason in err.
 */
static int
path_labels_compile(struct engine *e, const char *re, char *err, size_t errlen)
{
	PCRE2_UCHAR	msg[160];
	PCRE2_SIZE	off;
	PCRE2_SPTR	table;
	uint32_t	count, size, i, k, g;
	const char     *name;
	enum name_fault nf;
	int		code;

	e->pl = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &code,
	    &off, NULL);
	if (e->pl == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(err, errlen, "--path-labels: %s at offset %zu", msg,
		    (size_t)off);
		return -1;
	}
	(void)pcre2_jit_compile(e->pl, PCRE2_JIT_COMPLETE);
	e->plmd = pcre2_match_data_create_from_pattern(e->pl, NULL);
	pcre2_pattern_info(e->pl, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(e->pl, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(e->pl, PCRE2_INFO_NAMETABLE, &table);
	if (count == 0) {
		snprintf(err, errlen,
		    "--path-labels: no named group: give each label as "
		    "(?<name>...)");
		return -1;
	}
	e->plnames = xcalloc(count, sizeof(*e->plnames));
	e->plgroups = xcalloc(count, sizeof(*e->plgroups));
	/* The table is sorted by name; labels go by group number. */
	for (i = 0; i < count; i++) {
		g = (uint32_t)(table[i * size] << 8 | table[i * size + 1]);
		name = (const char *)table + i * size + 2;
		for (k = e->npl; k > 0 && e->plgroups[k - 1] > g; k--) {
			e->plgroups[k] = e->plgroups[k - 1];
			e->plnames[k] = e->plnames[k - 1];
		}
		e->plgroups[k] = g;
		e->plnames[k] = xstrdup(name);
		e->npl++;
		if ((nf = label_name_check(name, 0)) != NAME_OK) {
			snprintf(err, errlen, "--path-labels: group \"%s\": %s",
			    name,
			    nf == NAME_RESERVED ?
				"names starting with \"__\" are reserved" :
				nf == NAME_LE ? "\"le\" is the bucket label" :
						"not a label name");
			return -1;
		}
	}
	return 0;
}

/*
 * The path labels join every metric of rs, after its own labels; a name
 * a metric or a default label already has is refused with its place.
 */
static int
path_labels_apply(const struct engine *e, struct ruleset *rs,
    const struct engine_opts *o, char *err, size_t errlen)
{
	const struct metric_decl *clash;
	struct metric_decl	 *d;
	char			**init;
	size_t			  i, j, k, n;

	for (j = 0; j < e->npl; j++) {
		if ((clash = decl_with_label(rs, e->plnames[j])) != NULL) {
			snprintf(err, errlen,
			    "--path-labels: group \"%s\": metric %s (%s:%d) "
			    "has a label of that name",
			    e->plnames[j], clash->name, clash->file,
			    clash->line);
			return -1;
		}
		for (i = 0; i < rs->nlabels; i++)
			if (strcmp(rs->labels[i].name, e->plnames[j]) == 0) {
				snprintf(err, errlen,
				    "--path-labels: group \"%s\": a default "
				    "label of the rules has that name",
				    e->plnames[j]);
				return -1;
			}
		for (i = 0; i < o->nlabels; i++)
			if (strcmp(o->lnames[i], e->plnames[j]) == 0) {
				snprintf(err, errlen,
				    "--path-labels: group \"%s\": --label "
				    "%s=%s has that name",
				    e->plnames[j], o->lnames[i], o->lvalues[i]);
				return -1;
			}
	}
	for (i = 0; i < rs->ndecls && e->npl > 0; i++) {
		d = &rs->decls[i];
		n = d->nlabels + e->npl;
		/* Series declared ahead get "" for the path labels. */
		init = xcalloc(d->ninitial * n + 1, sizeof(*init));
		for (k = 0; k < d->ninitial; k++) {
			for (j = 0; j < d->nlabels; j++)
				init[k * n + j] =
				    d->initial[k * d->nlabels + j];
			for (j = 0; j < e->npl; j++)
				init[k * n + d->nlabels + j] = xstrdup("");
		}
		free(d->initial);
		d->initial = init;
		d->labels = xreallocarray(d->labels, n, sizeof(*d->labels));
		for (j = 0; j < e->npl; j++)
			d->labels[d->nlabels + j] = xstrdup(e->plnames[j]);
		d->nlabels = n;
		d->nsource = e->npl;
	}
	return 0;
}

void
engine_source(struct engine *e, const struct str *values)
{
	size_t i;

	if (e->npl == 0)
		return;
	for (i = 0; i < e->rs->ndecls && i < e->reg->n; i++)
		metric_initial_source(e->reg->m[i], &e->rs->decls[i], values);
}

/*
 * The match data of --path-labels is one per engine, and the values of a
 * path may be wanted by the reader and by the applier of one-shot's
 * workers at once.
 */
static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;

struct str *
engine_path_values(struct engine *e, const char *path)
{
	PCRE2_SIZE *ov;
	struct str *v;
	size_t	    i, len, total = 0, at;
	char	   *bytes;
	int	    rc;

	if (e->npl == 0)
		return NULL;
	pthread_mutex_lock(&path_lock);
	rc = pcre2_match(e->pl, (PCRE2_SPTR)path, strlen(path), 0, 0, e->plmd,
	    NULL);
	ov = pcre2_get_ovector_pointer(e->plmd);
	for (i = 0; rc > 0 && i < e->npl; i++)
		if ((int)e->plgroups[i] < rc &&
		    ov[2 * e->plgroups[i]] != PCRE2_UNSET)
			total += ov[2 * e->plgroups[i] + 1] -
			    ov[2 * e->plgroups[i]];
	v = xmalloc(e->npl * sizeof(*v) + total + 1);
	bytes = (char *)(v + e->npl);
	for (i = 0, at = 0; i < e->npl; i++) {
		len = 0;
		if (rc > 0 && (int)e->plgroups[i] < rc &&
		    ov[2 * e->plgroups[i]] != PCRE2_UNSET) {
			len = ov[2 * e->plgroups[i] + 1] -
			    ov[2 * e->plgroups[i]];
			memcpy(bytes + at, path + ov[2 * e->plgroups[i]], len);
		}
		v[i].p = bytes + at;
		v[i].n = len;
		at += len;
	}
	pthread_mutex_unlock(&path_lock);
	return v;
}

int
engine_load(struct engine *e, const struct engine_opts *o, char *err,
    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (o->path_labels != NULL &&
	    path_labels_compile(e, o->path_labels, err, errlen) == -1)
		goto fail;
	e->rs = rules_load(o->rules, o->nrules, err, errlen);
	if (e->rs == NULL)
		goto fail;
	if (check_overrides(e->rs, o, err, errlen) == -1 ||
	    path_labels_apply(e, e->rs, o, err, errlen) == -1)
		goto fail;
	e->reg = registry_new();
	e->reg->maxseries = o->max_series;
	e->reg->maxlabel = o->max_label;
	set_default_labels(e->reg, e->rs, o);
	registry_lock(e->reg);
	if (registry_sync(e->reg, e->rs->decls, e->rs->ndecls, err, errlen) ==
	    -1) {
		registry_unlock(e->reg);
		goto fail;
	}
	registry_unlock(e->reg);
	e->m = matcher_new(e->rs, e->reg, o->match_limit, o->depth_limit, err,
	    errlen);
	if (e->m == NULL)
		goto fail;
	e->match_limit = o->match_limit;
	e->depth_limit = o->depth_limit;
	return 0;
fail:
	engine_free(e);
	return -1;
}

int
engine_reload(struct engine *e, const struct engine_opts *o, char *err,
    size_t errlen)
{
	struct ruleset *rs;
	struct matcher *m;

	if ((rs = rules_load(o->rules, o->nrules, err, errlen)) == NULL)
		return -1;
	if (check_overrides(rs, o, err, errlen) == -1 ||
	    path_labels_apply(e, rs, o, err, errlen) == -1) {
		rules_free(rs);
		return -1;
	}
	registry_lock(e->reg);
	set_default_labels(e->reg, rs, o);
	if (registry_sync(e->reg, rs->decls, rs->ndecls, err, errlen) == -1) {
		set_default_labels(e->reg, e->rs, o);
		registry_unlock(e->reg);
		rules_free(rs);
		return -1;
	}
	m = matcher_new(rs, e->reg, o->match_limit, o->depth_limit, err,
	    errlen);
	if (m == NULL) {
		/* Cannot happen after a good sync; keep the old rules bound. */
		set_default_labels(e->reg, e->rs, o);
		registry_sync(e->reg, e->rs->decls, e->rs->ndecls, err, errlen);
		registry_unlock(e->reg);
		rules_free(rs);
		return -1;
	}
	matcher_free(e->m);
	rules_free(e->rs);
	e->m = m;
	e->rs = rs;
	e->match_limit = o->match_limit;
	e->depth_limit = o->depth_limit;
	registry_unlock(e->reg);
	return 0;
}

void
engine_free(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->npl; i++)
		free(e->plnames[i]);
	free(e->plnames);
	free(e->plgroups);
	if (e->plmd != NULL)
		pcre2_match_data_free(e->plmd);
	if (e->pl != NULL)
		pcre2_code_free(e->pl);
	matcher_free(e->m);
	if (e->reg != NULL)
		registry_free(e->reg);
	if (e->rs != NULL)
		rules_free(e->rs);
	memset(e, 0, sizeof(*e));
}
