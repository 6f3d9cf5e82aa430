# make check: the unit tests (static musl, then again under
# AddressSanitizer and UBSan with glibc gcc), the shell tests, all as TAP
# under prove.  test/bench/ is not part of it.
UNIT_SRC = $(sort $(wildcard test/unit/*.c))
UNITS = $(UNIT_SRC:test/unit/%.c=build/unit/%)
ASAN_UNITS = $(UNIT_SRC:test/unit/%.c=build/asan/%)
SHELL_TESTS = $(sort $(wildcard test/t[0-9]*.sh))
PROVE_J ?= 2

build/.deps-check: mk/deps
	$(Q)mkdir -p build
	$(Q)./mk/deps check
	$(Q)touch $@

build/unit/%: test/unit/%.c test/unit/tap.h build/libhusk.a build/include/bearssl.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS)

# Sanitized: lib and test compiled together, with the host gcc.
build/asan/%: test/unit/%.c test/unit/tap.h $(LIB_SRC) $(LIB_HDR) | build/include/bearssl.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  ASAN    $@")
	$(Q)$(ASAN_CC) $(CPPFLAGS) $(ASAN_CFLAGS) -o $@ $< $(filter-out lib/fortify.c,$(LIB_SRC)) $(BEARSSL_A)

check: build/.deps-check all $(UNITS) $(ASAN_UNITS) kernel
	prove -j$(PROVE_J) $(UNITS) $(ASAN_UNITS) $(SHELL_TESTS)

.PHONY: check

# The fuzz target for the request path (HTTP + JSON), built with clang's
# libFuzzer and ASan against glibc; test/t0104 runs it briefly on the seed
# corpus in test/fuzz/corpus.
FUZZ_CC = clang
FUZZ_SRC = lib/http.c lib/json.c lib/json_parse.c lib/buf.c lib/b64.c \
	lib/utf8.c lib/num.c lib/io.c
build/fuzz/fuzz-request: test/fuzz/fuzz-request.c $(FUZZ_SRC) $(LIB_HDR) | build/.deps-check
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -Ilib \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_SRC)

check: build/fuzz/fuzz-request
