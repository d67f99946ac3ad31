# Hardening: libFuzzer targets, the suite under ASan/UBSan, and valgrind.
# Included at the end of the Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]  every tests/fuzz/fuzz_*.c for FUZZ_SECONDS each
#   make check-asan              the whole suite against an ASan/UBSan build
#   make check-valgrind          memcheck over unit tests, helper and PAM driver
#
# Each sanitizer build lives in its own folder, built by a nested make with
# B, CC and OPTFLAGS overridden; the running fuzz corpus stays there too
# (the seeds are in tests/fuzz/corpus/TARGET).

SAN_CC        ?= clang
FUZZ_B        ?= build-fuzz
ASAN_B        ?= build-asan
FUZZ_SECONDS  ?= 60
SAN_BASEFLAGS := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_OPTFLAGS := $(SAN_BASEFLAGS) -fsanitize=fuzzer-no-link,address,undefined
ASAN_OPTFLAGS := $(SAN_BASEFLAGS) -fsanitize=address,undefined
# ASan intercepts crypt_r but finds the real one only in libraries loaded at
# start; pam_unix (dlopened by libpam) would call through a null pointer.
ASAN_LDFLAGS  := -Wl,--no-as-needed -lcrypt -Wl,--as-needed

FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: fuzz fuzz-build fuzz-targets check-asan check-valgrind

# Only meaningful inside the nested make (B=$(FUZZ_B), OPTFLAGS with fuzzer-no-link).
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_util.h $(HELPER_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ihelper -Itests/fuzz $(CFLAGS) -fsanitize=fuzzer $(HELPER_CFLAGS) \
	    $(MODULE_CFLAGS) $(LDFLAGS) -o $@ $< $(HELPER_OBJ) $(COMMON_OBJ) $(HELPER_LIBS) $(MODULE_LIBS)

fuzz-targets: $(FUZZ_BIN)

# The replay of seeds and crash inputs compiles the harnesses in.
$(B)/tests/test_fuzz_regressions: $(FUZZ_SRC) tests/fuzz/fuzz_util.h

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(SAN_CC) OPTFLAGS="$(FUZZ_OPTFLAGS)" fuzz-targets

fuzz: fuzz-build
	tests/fuzz/run-fuzz $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_NAMES)

# The ASan build's helper writes its sanitizer reports to files (its stderr
# is /dev/null under the module); run-sanitized fails on any it finds.
ifeq ($(B),$(ASAN_B))
$(B)/san_defaults.o: tests/fuzz/san_defaults.c
	$(CC) $(CFLAGS) -DPAR_SAN_REPORTS='"$(CURDIR)/$(B)/sanitizer-reports"' -c -o $@ $<
$(HELPER_BIN): $(B)/san_defaults.o
endif

check-asan:
	$(MAKE) B=$(ASAN_B) CC=$(SAN_CC) OPTFLAGS="$(ASAN_OPTFLAGS)" LDFLAGS="$(ASAN_LDFLAGS)" \
	    tests-build
	tests/fuzz/run-sanitized $(ASAN_B)

check-valgrind: tests-build
	tests/fuzz/run-valgrind $(B)
