# Benchmarks, included by the Makefile.
#
#   make bench              logmetrics beside mtail and simdjson on 1,000,000 lines
#   make bench BENCH_LINES=200000 BENCH_RUNS=5 BENCH_BIG=1
#   make bench BENCH_FLAGS='--only oneshot,follow --strict'
#   make bench-smoke        every case once on 20,000 lines (make check)
#   make bench-links        lines read behind re-pointed links (tests/bench/links.sh)
#
# Corpora are kept in BENCH_DIR and made again only when the generator
# changes; the last table is saved as BENCH_DIR/last.txt.

BENCH_LINES ?= 1000000
BENCH_RUNS ?= 3
BENCH_BIG ?= 0
BENCH_DIR ?= $(B)/bench
BENCH_FLAGS ?=

$(B)/zread: tests/bench/zread.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PKG_LIBS)

# The JSON peer: simdjson's On-Demand walk (libsimdjson-dev, C++), built
# for make bench only.
$(B)/sjwalk: tests/bench/sjwalk.cpp
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Werror -o $@ $< -lsimdjson

bench:
	@packaging/deps.sh bench
	@$(MAKE) --no-print-directory logmetrics $(B)/genlog $(B)/zread \
	    $(B)/sjwalk
	@python3 tests/bench/bench.py --dir $(BENCH_DIR) \
	    --lines $(BENCH_LINES) --runs $(BENCH_RUNS) \
	    $(if $(filter 1 yes,$(BENCH_BIG)),--big) $(BENCH_FLAGS)

bench-smoke: logmetrics $(B)/genlog $(B)/zread
	@python3 tests/bench/bench.py --smoke --dir $(B)/bench-smoke

bench-links: logmetrics $(B)/genlog
	@tests/bench/links.sh

.PHONY: bench bench-smoke bench-links
