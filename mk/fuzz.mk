# Fuzz targets: test/fuzz/NAME.c, built with clang's libFuzzer and
# AddressSanitizer/UBSan against the lib sources, and run briefly from
# make check (test/t0010-fuzz.sh) on a copy of test/fuzz/corpus-NAME/.
FUZZ_CC = clang
FUZZ_CFLAGS = -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_SRC = $(sort $(wildcard test/fuzz/*.c))
FUZZERS = $(FUZZ_SRC:test/fuzz/%.c=build/fuzz/%)

build/fuzz/%: test/fuzz/%.c $(LIB_SRC) $(LIB_HDR) $(VMM_SRC) $(VMM_HDR) | build/.deps-check build/include/bearssl.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Ivmm $(FUZZ_CFLAGS) -pthread -o $@ $< \
		$(filter-out lib/fortify.c,$(LIB_SRC)) $(VMM_SRC) $(BEARSSL_A)

# Prerequisites merge across rules: the fuzzers are built before check's
# recipe runs prove.
check: $(FUZZERS)
