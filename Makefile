# logmetrics: plain make. `make` builds ./logmetrics; `make check` runs
# every test; `make demo` serves the bundled sample log.

VERSION	= 0.1.0
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DATADIR	?= $(PREFIX)/share/logmetrics
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual
# Every module but main.c, in data-flow order: the program, the
# sanitizer build, the unit tests (tests/unit/test_NAME.c, one per module
# that has one) and the fuzz targets (tests/fuzz/fuzz.mk) all derive from
# this one list.
MODULES	= util log native lines json ts lex pattern rules metrics protobuf expose \
	  batch match engine source \
	  record journal backfill workers oneshot ruletest pathpat tail input state webconfig http \
	  page status daemon
UNITS	= $(foreach m,$(MODULES),$(if $(wildcard tests/unit/test_$(m).c),$(m)))
PKGS	= libpcre2-8 libmicrohttpd gnutls zlib yaml-0.1 libcrypt libprotobuf-c
# Built with ISA-L's header where it is installed, logmetrics loads the
# library for the first .gz log and inflates with it, with zlib when it
# is missing at run time; ISAL=0 builds for zlib alone. Both are tested.
ISAL	?= $(shell test -f /usr/include/isa-l/igzip_lib.h && echo 1 || echo 0)
ifeq ($(ISAL),1)
ISAL_DEFS = -DHAVE_ISAL
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
DEFS	= -std=c11 -D_GNU_SOURCE -DLOGMETRICS_VERSION='"$(VERSION)"' \
	  $(ISAL_DEFS) -Isrc -I$(B)/gen $(PKG_CFLAGS)
ALL_CFLAGS = $(DEFS) $(WARNINGS) $(CFLAGS) $(EXTRA_CFLAGS)
LIBS	= $(PKG_LIBS) -linotifytools -lpthread -lm
SAN	= -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined

B	= build
# The messages of the protobuf exposition (src/exposition.proto), as
# protoc-c writes them, packed by libprotobuf-c.
PBGEN	= $(B)/gen/exposition.pb-c
OBJS	= $(MODULES:%=$(B)/obj/%.o) $(B)/obj/exposition.pb-c.o
SOBJS	= $(MODULES:%=$(B)/san/%.o) $(B)/san/exposition.pb-c.o

all: logmetrics

logmetrics: $(OBJS) $(B)/obj/main.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(LDFLAGS)

$(B)/logmetrics-san: $(SOBJS) $(B)/san/main.o
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LIBS) $(LDFLAGS)

# The option table, the usage and --help come from the man page.
MAN1	= man/logmetrics.1
$(B)/gen/options.h: $(MAN1) man/options.awk
	@mkdir -p $(@D)
	awk -f man/options.awk $(MAN1) >$@.tmp && mv $@.tmp $@

$(B)/obj/main.o $(B)/san/main.o: $(B)/gen/options.h

$(PBGEN).c $(PBGEN).h &: src/exposition.proto | $(B)/headers.ok
	@mkdir -p $(@D)
	protoc-c --proto_path=src --c_out=$(B)/gen src/exposition.proto

$(B)/obj/exposition.pb-c.o: $(PBGEN).c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/san/exposition.pb-c.o: $(PBGEN).c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

$(B)/obj/protobuf.o $(B)/san/protobuf.o $(B)/test/test_protobuf \
    $(B)/santest/test_protobuf: $(PBGEN).h

# Before the first object, the Debian packages the build misses, all named
# at once with `make deps`, found by compiling each library's header.
$(B)/headers.ok: packaging/headers.sh
	@packaging/headers.sh $(CC) $(ALL_CFLAGS)
	@mkdir -p $(@D) && touch $@

$(B)/obj/%.o: src/%.c | $(B)/headers.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/san/%.o: src/%.c | $(B)/headers.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

# Every unit test links the tests' shared scaffolding, tests/unit/testutil.c.
$(B)/test/test_%: tests/unit/test_%.c $(OBJS) $(B)/test/testutil.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(B)/test/testutil.o $(OBJS) \
	    $(LIBS) -lcriterion

$(B)/santest/test_%: tests/unit/test_%.c $(SOBJS) $(B)/santest/testutil.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -MMD -MP -o $@ $< $(B)/santest/testutil.o \
	    $(SOBJS) $(LIBS) -lcriterion

$(B)/test/testutil.o: tests/unit/testutil.c | $(B)/headers.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/santest/testutil.o: tests/unit/testutil.c | $(B)/headers.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

# With ISA-L, the zlib fallback of src/source.c is built and tested too.
ifeq ($(ISAL),1)
ZUNITS	= source_zlib
endif
ZOBJS	= $(filter-out $(B)/obj/source.o,$(OBJS)) $(B)/zlib/obj/source.o
ZSOBJS	= $(filter-out $(B)/san/source.o,$(SOBJS)) $(B)/zlib/san/source.o

$(B)/zlib/obj/source.o: src/source.c | $(B)/headers.ok
	@mkdir -p $(@D)
	$(CC) $(filter-out -DHAVE_ISAL,$(ALL_CFLAGS)) -MMD -MP -c -o $@ $<

$(B)/zlib/san/source.o: src/source.c | $(B)/headers.ok
	@mkdir -p $(@D)
	$(CC) $(filter-out -DHAVE_ISAL,$(ALL_CFLAGS)) $(SAN) -MMD -MP -c -o $@ $<

$(B)/test/test_source_zlib: tests/unit/test_source.c $(ZOBJS) \
    $(B)/test/testutil.o
	@mkdir -p $(@D)
	$(CC) $(filter-out -DHAVE_ISAL,$(ALL_CFLAGS)) -o $@ $< \
	    $(B)/test/testutil.o $(ZOBJS) $(LIBS) -lcriterion

$(B)/santest/test_source_zlib: tests/unit/test_source.c $(ZSOBJS) \
    $(B)/santest/testutil.o
	@mkdir -p $(@D)
	$(CC) $(filter-out -DHAVE_ISAL,$(ALL_CFLAGS)) $(SAN) -o $@ $< \
	    $(B)/santest/testutil.o $(ZSOBJS) $(LIBS) -lcriterion

$(B)/genlog: tests/bench/genlog.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $<

deps:
	@packaging/deps.sh build

deps-test:
	@packaging/deps.sh test

# The checks: warnings are errors; unit and integration suites run on the
# plain build and again under AddressSanitizer and UBSan.
check: deps-test
	@$(MAKE) --no-print-directory -j2 EXTRA_CFLAGS=-Werror check-build
	@$(MAKE) --no-print-directory EXTRA_CFLAGS=-Werror check-run

check-build: logmetrics $(B)/logmetrics-san $(B)/genlog \
	$(UNITS:%=$(B)/test/test_%) $(UNITS:%=$(B)/santest/test_%) \
	$(ZUNITS:%=$(B)/test/test_%) $(ZUNITS:%=$(B)/santest/test_%)

ITESTS		= $(basename $(notdir $(wildcard tests/integration/t_*.sh)))
ITESTS_ALONE	= t_state_kill_roll t_container_kill t_journal_kill
ITESTS_SHARED	= $(filter-out $(ITESTS_ALONE),$(ITESTS))

check-run: style
	@tests/run-units.sh $(B)/test $(UNITS) $(ZUNITS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	 tests/run-units.sh $(B)/santest $(UNITS) $(ZUNITS)
	@# The two passes mostly wait: side by side, each test's output
	@# kept apart and shown once both are done; the kill -9 tests under
	@# rotations faster than restarts run alone after them.
	@tests/integration/run.sh ./logmetrics $(ITESTS_SHARED) \
	     >$(B)/integration.out 2>&1 & \
	 p=$$!; \
	 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
	 tests/integration/run.sh $(B)/logmetrics-san $(ITESTS_SHARED) \
	     >$(B)/integration-san.out 2>&1; s=$$?; \
	 wait $$p; r=$$?; \
	 cat $(B)/integration.out $(B)/integration-san.out; \
	 [ $$r -eq 0 ] && [ $$s -eq 0 ]
	@tests/integration/run.sh ./logmetrics $(ITESTS_ALONE)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
	 tests/integration/run.sh $(B)/logmetrics-san $(ITESTS_ALONE)
	@tests/lint.sh
	@$(MAKE) --no-print-directory check-packaging
	@$(MAKE) --no-print-directory bench-smoke
	@$(MAKE) --no-print-directory check-fuzz

# One style: every C file as clang-format 14 (Debian 12's) writes it with
# .clang-format, and the continuation lines of trailing comments, which
# clang-format leaves where they were, under their first line
# (tests/style.py). `make format` rewrites them so.
STYLE_FILES = $(wildcard src/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch] \
	      tests/bench/*.c)

style:
	@v=$$(clang-format --version 2>/dev/null); \
	case "$$v" in \
	*" version 14."*) ;; \
	*) echo "style: needs clang-format 14, found: $${v:-none}" >&2; \
	   exit 1 ;; \
	esac
	@clang-format --dry-run -Werror $(STYLE_FILES)
	@tests/style.py $(STYLE_FILES)
	@echo "style: $(words $(STYLE_FILES)) files as .clang-format writes them"

format:
	clang-format -i $(STYLE_FILES)
	tests/style.py --fix $(STYLE_FILES)

demo: deps-test logmetrics
	@tests/demo.sh ./logmetrics

install: logmetrics
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/rules
	install -m 755 logmetrics $(DESTDIR)$(BINDIR)/logmetrics
	install -m 644 man/logmetrics.1 $(DESTDIR)$(MANDIR)/man1/logmetrics.1
	install -m 644 man/logmetrics.rules.5 \
	    $(DESTDIR)$(MANDIR)/man5/logmetrics.rules.5
	install -m 644 man/logmetrics.test.5 \
	    $(DESTDIR)$(MANDIR)/man5/logmetrics.test.5
	install -m 644 rules/*.rules $(DESTDIR)$(DATADIR)/rules/

clean:
	rm -rf $(B) logmetrics logmetrics_*.deb

.PHONY: all check check-build check-run clean demo deps deps-test format \
	install style

include packaging/packaging.mk
include tests/fuzz/fuzz.mk
include tests/bench/bench.mk

-include $(OBJS:.o=.d) $(SOBJS:.o=.d) $(B)/obj/main.d $(B)/san/main.d \
	 $(B)/zlib/obj/source.d $(B)/zlib/san/source.d \
	 $(B)/test/testutil.d $(B)/santest/testutil.d
