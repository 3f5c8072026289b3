# libFuzzer targets, included by the Makefile. See tests/fuzz/README.
#
#   make fuzz                       builds build/fuzz/fuzz_<target>
#   make fuzz-run FUZZ_SECONDS=600  fuzzes each target in turn (-j2: two
#                                   at once); new inputs go to
#                                   build/fuzz/corpus/<target>/, crashes,
#                                   leaks and timeouts to
#                                   build/fuzz/findings/<target>/
#   make check-fuzz                 replays tests/fuzz/regressions/ and
#                                   fuzzes each target FUZZ_CHECK_SECONDS

FUZZ_CC		= clang
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		  -fno-omit-frame-pointer
FUZZ_CFLAGS	= $(DEFS) -g -O1 -I$(B)/fuzz -Itests/fuzz $(WARNINGS) \
		  $(FUZZ_SAN) $(EXTRA_CFLAGS)
FUZZ_SECONDS	?= 60
FUZZ_CHECK_SECONDS ?= 8
# More libFuzzer options for fuzz-run, e.g. "-fork=1 -ignore_crashes=1"
# to go on after a finding.
FUZZ_RUN_OPTS	?=
# Per input: 10 s is a hang, 2 GiB a leak out of control.
FUZZ_OPTS	= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

# Every module, compiled again with clang and coverage into one archive:
# a target links only the modules it calls.
FUZZ_OBJS	= $(MODULES:%=$(B)/fuzz/obj/%.o) $(B)/fuzz/obj/exposition.pb-c.o
FUZZ_LIB	= $(B)/fuzz/liblogmetrics.a
FUZZ_TARGETS	= $(filter-out common,$(patsubst tests/fuzz/fuzz_%.c,%,\
		  $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS	= $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)

# Longest input per target: a timestamp, a JSON line, a rules file, a
# log of a few lines.
FUZZ_MAXLEN_json	= 4096
FUZZ_MAXLEN_scan	= 4096
FUZZ_MAXLEN_ts		= 128
FUZZ_MAXLEN_rules	= 4096
FUZZ_MAXLEN_pipeline	= 8192
FUZZ_MAXLEN_state	= 8192
FUZZ_MAXLEN_gz		= 8192
FUZZ_MAXLEN_record	= 4096

fuzz: $(FUZZ_BINS)

$(B)/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c \
	    -o $@ $<

$(B)/fuzz/obj/exposition.pb-c.o: $(PBGEN).c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c \
	    -o $@ $<

$(B)/fuzz/obj/protobuf.o $(B)/fuzz/obj/fuzz_common.o: $(PBGEN).h

$(B)/fuzz/obj/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c \
	    -o $@ $<

$(B)/fuzz/obj/fuzz_pipeline.o: $(B)/fuzz/bytelyst_rules.h \
    $(B)/fuzz/nested_rules.h

# A rules file as a C string named $(1), so that a target needs no file.
define rules_h
	@mkdir -p $(@D)
	{ echo 'static const char $(1)[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' \
	      -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
endef

$(B)/fuzz/bytelyst_rules.h: rules/bytelyst.rules
	$(call rules_h,rules_text)

$(B)/fuzz/nested_rules.h: tests/fuzz/nested.rules
	$(call rules_h,nested_text)

$(FUZZ_LIB): $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/fuzz_%.o $(B)/fuzz/obj/fuzz_common.o \
    $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# One target for FUZZ_SECONDS on its seeds and on what earlier runs found.
fuzz-run-%: $(B)/fuzz/fuzz_%
	@mkdir -p $(B)/fuzz/corpus/$* $(B)/fuzz/findings/$*
	$(B)/fuzz/fuzz_$* $(FUZZ_OPTS) -max_len=$(FUZZ_MAXLEN_$*) \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN_OPTS) \
	    -artifact_prefix=$(B)/fuzz/findings/$*/ \
	    $(B)/fuzz/corpus/$* tests/fuzz/corpus/$*

fuzz-run: $(FUZZ_TARGETS:%=fuzz-run-%)

# Every regression input must pass, then a short run per target from the
# seeds alone (new inputs into a scratch directory, never the tree).
check-fuzz: $(FUZZ_BINS)
	@tests/fuzz/check.sh $(B)/fuzz $(FUZZ_CHECK_SECONDS) \
	    "$(FUZZ_OPTS)" $(foreach t,$(FUZZ_TARGETS),$(t):$(FUZZ_MAXLEN_$(t)))

.PHONY: fuzz fuzz-run check-fuzz
.SECONDARY: $(FUZZ_OBJS) $(FUZZ_TARGETS:%=$(B)/fuzz/obj/fuzz_%.o) \
	$(B)/fuzz/obj/fuzz_common.o $(B)/fuzz/bytelyst_rules.h \
	$(B)/fuzz/nested_rules.h

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_TARGETS:%=$(B)/fuzz/obj/fuzz_%.d) \
	$(B)/fuzz/obj/fuzz_common.d

# make check builds the targets with everything else, in parallel.
check-build: $(FUZZ_BINS)
