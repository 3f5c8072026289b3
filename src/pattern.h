/*
 * pattern.h: a rule's patterns compiled once. The compile step decides,
 * per pattern, how it runs (a regex, or one of the shapes that skip
 * PCRE2) and, per rule, the literals every line it matches holds and
 * which of them the line's JSON key mask already proves. The matcher only
 * reads these fields; nothing is guessed twice.
 */
#ifndef LOGMETRICS_PATTERN_H
#define LOGMETRICS_PATTERN_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define PATH_MAX_KEYS 32 /* keys of one path */

/*
 * A field a rule names: a path of keys down from the top of a line that
 * is a JSON object; n == 0: no field, the whole line.
 */
struct path {
	char		 *text; /* as written, for messages */
	struct json_step *step; /* step[0]: the top-level key */
	size_t		 *end;	/* per step: where it ends in text */
	size_t		  n;
};

/*
 * How a pattern runs. Two shapes are so common in rules on JSON fields
 * that they skip PCRE2: "^(?<x>.*)$" (the whole value, with the s flag or
 * on a value without newline) and "^literal$" (the value is the literal).
 */
enum patkind {
	PK_REGEX = 0,
	PK_ALL,
	PK_EQUAL,
};

/*
 * One pattern of a rule: on the whole line, or on the value a path leads
 * to in a line that is a JSON object.
 */
struct pattern {
	struct path path;
	char	   *src; /* the regex as written */
	pcre2_code *re;	 /* compiled, JIT when available */
	int	    optional;
	int	    line;
	int	    col;
	/* Decided by pattern_plan(). */
	enum patkind kind;
	int	     jit;      /* compiled by the JIT */
	int	     dotall;   /* PK_ALL: newlines match too */
	int	     nonempty; /* PK_ALL: ".+" */
	int	     cap;      /* the rule's capture of group 1, or -1: set by
				  the rule; PK_ALL fills it */
	const char  *lit;      /* PK_EQUAL: the literal, inside src */
	size_t	     litlen;
};

/* A literal every line a rule matches holds. */
struct prefilter {
	char  *lit;
	size_t len;
	int    implied; /* the rule's key mask proves it: never searched */
};

/* What the matcher reads of one rule, decided by pattern_plan(). */
struct plan {
	struct prefilter *prefilter; /* the rule's own first */
	size_t		  nprefilter;
	uint64_t	  keymask; /* json_key_bit() of required fields */
	int		  json;	   /* some pattern is on a field */
};

/*
 * Compiles a regex as rules write it: PCRE2_DOLLAR_ENDONLY and flags,
 * never UTF (lines may hold any bytes), then JIT when it can. Returns the
 * code (the caller frees it), or NULL with PCRE2's message and the offset
 * it names in err.
 */
pcre2_code *pattern_regex(const char *src, size_t len, uint32_t flags,
    char *err, size_t errlen);
/*
 * Checks a replacement for pcre2_substitute() with re: "$$", and "$N",
 * "${N}", "$NAME" and "${NAME}" of groups re has. Returns 0, or -1 with
 * what is wrong in err and its offset in repl in *off.
 */
int pattern_replacement(const pcre2_code *re, const char *repl, size_t n,
    char *err, size_t errlen, size_t *off);
/*
 * The first named group of re numbered above after, its name in *name (in
 * re's name table). Returns the group's number, or 0 when there is none:
 * from after = 0, a loop visits every name in group order.
 */
int pattern_next_name(const pcre2_code *re, int after, const char **name);
/* The group holding a timestamp regex's time: "ts", else 1; 0: none. */
int pattern_ts_group(const pcre2_code *re);
/*
 * Decides what the matcher reads of a rule whose patterns (their
 * captures set) and own prefilters are all known: each pattern's kind,
 * the automatic prefilters (after the rule's own, without repeats), which
 * prefilters are implied, the key mask and whether the rule reads JSON.
 */
void pattern_plan(struct plan *, struct pattern *pats, size_t npats);
/* Adds lit (owned, freed when a repeat) to a rule's prefilters. */
void pattern_prefilter(struct plan *, char *lit);
void pattern_free(struct pattern *);

/*
 * Appends a key (copied) to a path, whose text ends at end in the path's
 * text. A key written without quotes as a plain non-negative integer is
 * an array index too.
 */
void pattern_path_add(struct path *, const char *key, size_t len, int quoted,
    size_t end);
void pattern_path_free(struct path *);
void plan_free(struct plan *);

#endif
