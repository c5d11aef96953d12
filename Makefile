# mod_auth_jwt: build, test, install. `make help` lists the targets.
APXS    ?= apxs
# Debian's interpreter: it has python3-pytest, -requests and -jwt.
PYTHON  ?= /usr/bin/python3
CC      ?= cc

PURE = modules/ajwt_b64url.c modules/ajwt_json.c modules/ajwt_key.c \
       modules/ajwt_jws.c modules/ajwt_claims.c modules/ajwt_token.c
UNIT_SRC = $(wildcard tests/unit/*.c)
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
unit-asan: tests/unit/run-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./tests/unit/run-asan

# Source checks: log tags unique, pure layers free of httpd, tests registered.
check-tools:
	./tests/tools/check-all.sh

check: check-tools unit

# pytest against a real httpd and a real MariaDB started by the harness.
integration: all
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# The integration suite with every httpd under valgrind memcheck; fails on
# any invalid read/write or use of uninitialised memory in any process.
valgrind: all
	rm -rf tests/gen/valgrind
	AJWT_VALGRIND=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration || true
	./tests/tools/valgrind-check.sh tests/gen/valgrind

# Everything CI runs: dependencies, build, source checks, unit, integration.
test: deps
	$(MAKE) all
	$(MAKE) check
	$(MAKE) integration

demo: deps all
	$(PYTHON) tests/demo/demo.py

install: all
	$(APXS) -i -n auth_jwt mod_auth_jwt.la

format-check:
	clang-format --dry-run -Werror mod_auth_jwt.c modules/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf .libs modules/.libs *.la *.lo *.slo *.o modules/*.lo modules/*.slo \
	       modules/*.o tests/unit/run tests/unit/run-asan tests/gen

help:
	@echo "make            build .libs/mod_auth_jwt.so with apxs"
	@echo "make test       install deps (root), build, unit + integration tests"
	@echo "make demo       run a private Apache + MariaDB demo on 127.0.0.1:8080"
	@echo "make install    install the module with apxs -i"
	@echo "make unit | unit-asan | integration | valgrind | check | clean"

.PHONY: valgrind all deps unit unit-asan check check-tools integration test demo install \
        format-check clean help
