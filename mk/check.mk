# make check: the unit tests (static musl, then again under
# AddressSanitizer and UBSan with glibc gcc), the shell tests, all as TAP
# under prove.  test/bench/ is not part of it.
UNIT_SRC = $(sort $(wildcard test/unit/*.c))
UNITS = $(UNIT_SRC:test/unit/%.c=build/unit/%)
ASAN_UNITS = $(UNIT_SRC:test/unit/%.c=build/asan/%)
SHELL_TESTS = $(sort $(wildcard test/t[0-9]*.sh))
PROVE_J ?= 2

build/.deps-check: mk/deps | build/.deps-build
	$(Q)mkdir -p build
	$(Q)./mk/deps check
	$(Q)touch $@

# Units link libvmm.a too (whole, so the device table is complete).
build/unit/%: test/unit/%.c $(wildcard test/unit/*.h) build/libhusk.a build/libvmm.a build/include/bearssl.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(VMM_CPPFLAGS) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $< \
		-Wl,--whole-archive build/libvmm.a -Wl,--no-whole-archive $(LIBS)

# Sanitized: lib and vmm compiled once with the host gcc (whose own
# include path has the kernel uapi headers), every object linked into
# each unit, as the whole libvmm.a is above.  ($$, a second expansion:
# VMM_SRC and VMM_HDR come from mk/vmm.mk, read after this file.)
ASAN_OBJ = $(patsubst %.c,build/asan-obj/%.o,$(filter-out lib/fortify.c,$(LIB_SRC)) $(VMM_SRC))
build/asan-obj/%.o: %.c $$(LIB_HDR) $$(VMM_HDR) | build/include/bearssl.h build/.deps-check
	@mkdir -p $(@D)
	@$(if $(Q),echo "  ASAN    $@")
	$(Q)$(ASAN_CC) $(CPPFLAGS) -Ivmm $(ASAN_CFLAGS) -pthread -c -o $@ $<

build/asan/%: test/unit/%.c $(wildcard test/unit/*.h) $$(ASAN_OBJ) | build/include/bearssl.h build/.deps-check
	@mkdir -p $(@D)
	@$(if $(Q),echo "  ASAN    $@")
	$(Q)$(ASAN_CC) $(CPPFLAGS) -Ivmm $(ASAN_CFLAGS) -pthread -o $@ $< \
		$(ASAN_OBJ) $(BEARSSL_A)

# A unit test of a command's module (t-agent-*, t-ptyd-*) includes its
# files, so it is built again when they change.
units_of = $(foreach u,$(UNITS) $(ASAN_UNITS),$(if $(findstring /t-$(1)-,$(u)),$(u)))
$(call units_of,agent): $(wildcard cmd/guest-agent/*.[ch])
$(call units_of,ptyd): $(wildcard cmd/ptyd/*.[ch])

# The VM tests' two halves (t0500, t0502: test/vm/README) come after the
# others, in their order: started first, beside them, the first half's
# qemu met more of the emulation's failures (runs that froze, L2 triple
# faults under load) in this machine's CI runs.
#
# prove's output is kept in build/check.log; after a failure mk/digest
# ends the run with what failed, where a CI page's last lines show it.
check: build/.deps-check all $(UNITS) $(ASAN_UNITS) kernel
	@rm -f build/check.log build/check.rc
	{ prove --timer -j$(PROVE_J) $(UNITS) $(ASAN_UNITS) $(SHELL_TESTS) 2>&1; \
		echo $$? >build/check.rc; } | tee build/check.log
	@read -r rc <build/check.rc && [ "$$rc" = 0 ] || { ./mk/digest build/check.log; exit 1; }

.PHONY: check
