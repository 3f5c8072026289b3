/*
 * engine.c: rules, registry and matcher wired together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/*
 * The default labels: the ruleset's, each overridden by a --label of the
 * same name, then the --label names the ruleset does not have.
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
		values[n] = rs->labels[i].value;
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

/* A --label must not clash with a label some metric declares itself. */
static int
check_overrides(const struct ruleset *rs, const struct engine_opts *o,
    char *err, size_t errlen)
{
	size_t i, j, k;

	for (j = 0; j < o->nlabels; j++)
		for (i = 0; i < rs->ndecls; i++)
			for (k = 0; k < rs->decls[i].nlabels; k++)
				if (strcmp(rs->decls[i].labels[k],
					o->lnames[j]) == 0) {
					snprintf(err, errlen,
					    "--label %s: "
					    "metric %s has a label of that "
					    "name",
					    o->lnames[j], rs->decls[i].name);
					return -1;
				}
	return 0;
}

int
engine_load(struct engine *e, const struct engine_opts *o, char *err,
    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->rs = rules_load(o->rules, o->nrules, err, errlen);
	if (e->rs == NULL)
		return -1;
	if (check_overrides(e->rs, o, err, errlen) == -1)
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
	if (check_overrides(rs, o, err, errlen) == -1) {
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
	registry_unlock(e->reg);
	return 0;
}

void
engine_free(struct engine *e)
{
	matcher_free(e->m);
	if (e->reg != NULL)
		registry_free(e->reg);
	if (e->rs != NULL)
		rules_free(e->rs);
	memset(e, 0, sizeof(*e));
}
