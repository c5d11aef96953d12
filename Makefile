# mod_auth_jwt: build, test, install. `make help` lists the targets.
APXS    ?= apxs
# Debian's interpreter: it has python3-pytest, -requests and -jwt.
PYTHON  ?= /usr/bin/python3
CC      ?= cc

PURE = modules/ajwt_b64url.c modules/ajwt_json.c modules/ajwt_json_tree.c \
       modules/ajwt_key.c \
       modules/ajwt_jws.c modules/ajwt_claims.c modules/ajwt_token.c \
       modules/ajwt_url.c modules/ajwt_cookie.c modules/ajwt_vcache.c \
       modules/ajwt_jwk.c
UNIT_SRC = $(wildcard tests/unit/*.c)
# The module does not use json-c; the unit tests do: to read the vendor test
# vectors, and as the reference the compact JSON writer must agree with.
UNIT_CFLAGS = -std=gnu99 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
       -Imodules $(shell apr-1-config --cppflags --includes 2>/dev/null) \
       $(shell pkg-config --cflags check json-c openssl 2>/dev/null) \
       -DAJWT_TESTVECTORS='"$(abspath tests/unit/vectors)"'
UNIT_LIBS = $(shell apr-1-config --link-ld 2>/dev/null) \
       $(shell pkg-config --libs check json-c openssl 2>/dev/null)
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

all: .libs/mod_auth_jwt.so

deps:
	@./tests/tools/deps.sh

.libs/mod_auth_jwt.so: mod_auth_jwt.c $(wildcard modules/*.[ch]) apxs-build.sh
	APXS=$(APXS) ./apxs-build.sh

tests/unit/run: $(PURE) $(wildcard modules/*.h) $(UNIT_SRC) $(wildcard tests/unit/*.h)
	$(CC) $(UNIT_CFLAGS) -o $@ $(PURE) $(UNIT_SRC) $(UNIT_LIBS)

tests/unit/run-asan: $(PURE) $(wildcard modules/*.h) $(UNIT_SRC) $(wildcard tests/unit/*.h)
	$(CC) $(UNIT_CFLAGS) $(SAN) -o $@ $(PURE) $(UNIT_SRC) $(UNIT_LIBS)

# C unit tests of the pure layers (Check).
unit: tests/unit/run
	./tests/unit/run

# The same under AddressSanitizer and UndefinedBehaviorSanitizer.
# use_sigaltstack=0: GCC 12's libasan misreports its own alternate signal
# stack as a stack-buffer-overflow when a thread exits (test_vcache's threads).
unit-asan: tests/unit/run-asan
	ASAN_OPTIONS=detect_leaks=1:use_sigaltstack=0 UBSAN_OPTIONS=print_stacktrace=1 ./tests/unit/run-asan

# Source checks: log tags unique, pure layers free of httpd, tests registered.
check-tools:
	./tests/tools/check-all.sh

# No malloc on the per-request token path (tests/tools/hotpath_malloc.c).
HOTPATH_SRC = modules/ajwt_b64url.c modules/ajwt_json.c modules/ajwt_json_tree.c \
       modules/ajwt_key.c modules/ajwt_jws.c modules/ajwt_claims.c
tests/gen/hotpath: tests/tools/hotpath_malloc.c $(HOTPATH_SRC) $(wildcard modules/*.h)
	@mkdir -p tests/gen
	$(CC) -std=gnu99 -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Imodules \
	    $(shell apr-1-config --cppflags --includes) \
	    $(shell pkg-config --cflags openssl) -o $@ tests/tools/hotpath_malloc.c \
	    $(HOTPATH_SRC) $(shell apr-1-config --link-ld) \
	    $(shell pkg-config --libs openssl)

check-hotpath: tests/gen/hotpath
	./tests/gen/hotpath

check: check-tools unit check-hotpath

# pytest against a real httpd and a real MariaDB started by the harness.
integration: all
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# The integration suite with every httpd under valgrind memcheck; fails on
# any invalid read/write or use of uninitialised memory in any process.
valgrind: all
	rm -rf tests/gen/valgrind
	AJWT_VALGRIND=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration || true
	./tests/tools/valgrind-check.sh tests/gen/valgrind

# libFuzzer targets over the pure layers (tests/fuzz/README.md), built with
# clang under AddressSanitizer (LeakSanitizer on) and UndefinedBehaviorSanitizer
# (every report aborts). Crash inputs go to tests/gen/fuzz/.
FUZZ_CC  ?= clang
FUZZ_BIN  = tests/gen/fuzz/bin
FUZZ_SAN  = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu99 -g -O1 -Wall -Wextra -Imodules -Itests/fuzz \
       $(shell apr-1-config --cppflags --includes 2>/dev/null) \
       $(shell pkg-config --cflags openssl 2>/dev/null)
FUZZ_LIBS = $(shell apr-1-config --link-ld 2>/dev/null) \
       $(shell pkg-config --libs openssl 2>/dev/null) -ldl
FUZZ_DEPS = $(PURE) $(wildcard modules/*.h) tests/fuzz/fuzz_common.c \
       tests/fuzz/fuzz_common.h tests/fuzz/fuzz_keys.h

$(FUZZ_BIN)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(FUZZ_BIN)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -o $@ $< tests/fuzz/fuzz_common.c \
	    $(PURE) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BIN)/fuzz_verify $(FUZZ_BIN)/fuzz_json

# Fuzz until stopped (or FUZZ_TIME seconds per target); new inputs are kept
# in tests/gen/fuzz-corpus, so the committed seeds stay small.
fuzz: fuzz-build
	./tests/fuzz/run.sh fuzz $(FUZZ_TIME)

# About a minute on the seed corpus; fails on any crash or sanitizer report.
fuzz-smoke: fuzz-build
	./tests/fuzz/run.sh smoke $(or $(FUZZ_TIME),60)

.PHONY: fuzz fuzz-build fuzz-smoke

# Everything CI runs: dependencies, build, source checks, unit tests (plain
# and under ASan/UBSan), a minute of fuzzing, integration.
test: deps
	$(MAKE) all
	$(MAKE) check
	$(MAKE) unit-asan
	$(MAKE) fuzz-smoke
	$(MAKE) integration

demo: deps all
	$(PYTHON) tests/demo/demo.py

# The benchmark suite (bench/bench.py): QUICK=1 for the short mode.
bench:
	./tests/tools/deps.sh bench
	$(MAKE) all bench/gen/micro
	$(PYTHON) bench/bench.py $(if $(filter-out 0,$(QUICK)),--quick)

# The pure per-token work alone, against the bare signature check.
BENCH_MICRO_SRC = modules/ajwt_b64url.c modules/ajwt_json.c modules/ajwt_json_tree.c \
       modules/ajwt_key.c \
       modules/ajwt_jws.c modules/ajwt_claims.c modules/ajwt_token.c
bench/gen/micro: bench/micro.c $(BENCH_MICRO_SRC) $(wildcard modules/*.h)
	@mkdir -p bench/gen
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Imodules \
	    $(shell apr-1-config --cppflags --includes) \
	    $(shell pkg-config --cflags openssl) -o $@ bench/micro.c \
	    $(BENCH_MICRO_SRC) $(shell apr-1-config --link-ld) \
	    $(shell pkg-config --libs openssl)

bench-micro: bench/gen/micro tests/gen/keys/ec.pem
	./bench/gen/micro tests/gen/keys 1

# Instructions per request by part (callgrind): where the time goes.
bench-profile:
	./tests/tools/deps.sh
	$(MAKE) all
	$(PYTHON) bench/profile.py

tests/gen/keys/ec.pem:
	$(PYTHON) -c 'import sys; sys.path.insert(0, "tests/integration"); import harness; harness.Keys().generate()'

install: all
	$(APXS) -i -n auth_jwt mod_auth_jwt.la

format-check:
	clang-format --dry-run -Werror mod_auth_jwt.c modules/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf .libs modules/.libs *.la *.lo *.slo *.o modules/*.lo modules/*.slo \
	       modules/*.o tests/unit/run tests/unit/run-asan tests/gen bench/gen

help:
	@echo "make            build .libs/mod_auth_jwt.so with apxs"
	@echo "make test       install deps (root), build, unit + integration tests"
	@echo "make demo       run a private Apache + MariaDB demo on 127.0.0.1:8080"
	@echo "make install    install the module with apxs -i"
	@echo "make bench      the benchmark suite (QUICK=1: a smoke run under 3 minutes)"
	@echo "make bench-micro    the module's per-token work without Apache"
	@echo "make bench-profile  instructions per protected request, by part (callgrind)"
	@echo "make unit | unit-asan | integration | valgrind | fuzz | fuzz-smoke | check | check-hotpath | clean"

.PHONY: bench bench-micro bench-profile valgrind all deps unit unit-asan check check-tools check-hotpath integration test demo install \
        format-check clean help
