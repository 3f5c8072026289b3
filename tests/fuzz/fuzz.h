/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share: the entry
 * points libFuzzer calls, a failure that names the broken property, a
 * ruleset bound to a fresh registry, and the exposition checker.
 */
#ifndef LOGMETRICS_FUZZ_H
#define LOGMETRICS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "expose.h"
#include "match.h"
#include "metrics.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

/* Prints "property violated: ..." and aborts, which libFuzzer reports. */
void fuzz_fail(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Whether s[0..n) is well-formed UTF-8 (Unicode Table 3-7). */
int fuzz_utf8_valid(const char *s, size_t n);

/*
 * A ruleset bound as the engine binds it: its default labels set, its
 * declarations synced into a new registry, a matcher over both. A ruleset
 * that rules_parse() accepted must always bind: failing to is a finding.
 */
struct fuzz_bound {
	struct registry *reg;
	struct matcher	*m;
};

void fuzz_bind(struct fuzz_bound *, const struct ruleset *);
void fuzz_unbind(struct fuzz_bound *);

/*
 * Renders reg in both formats (twice each: rendering must not change
 * anything) and checks every exposition invariant; see fuzz_common.c.
 * Aborts through fuzz_fail() on the first violation.
 */
void fuzz_check_render(struct registry *, double now);

#endif
