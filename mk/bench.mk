# Benchmarks: make bench [BENCH_RUNS=25] [BENCH_CYCLES=1000]
# Not part of make check. Prints a table and writes bench/RESULTS.md; see
# docs/benchmarks.md for what each row measures. Runs as root (throwaway
# users, a private nginx on 127.0.0.1).

BENCH_RUNS   ?= 25
BENCH_CYCLES ?= 1000

.PHONY: bench bench-build

$(B)/bench/pam_host: bench/pam_host.c Makefile mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pie $(MODULE_CFLAGS) $(LDFLAGS) -o $@ $< $(PAM_LIBS)

bench-build: all $(B)/tests/pam_driver $(B)/bench/pam_host $(B)/tests/keystore_open_time

bench:
	@scripts/deps
	@$(MAKE) --no-print-directory bench-build
	PAR_BUILD=$(abspath $(B)) bench/run --runs $(BENCH_RUNS) --cycles $(BENCH_CYCLES)
