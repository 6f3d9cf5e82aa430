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
