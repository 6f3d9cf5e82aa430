# The VMM: vmm/*.c -> build/libvmm.a, linked into bin/vmrun, the unit
# tests and the fuzzers.  musl-gcc does not search /usr/include, so the
# kernel uapi headers (linux/kvm.h, asm/kvm.h) come from a folder of
# symlinks made here, never from -I/usr/include (glibc's headers there
# break a musl build).  -isystem: musl and the uapi both define _IO* the
# same way; as system headers their redefinition is not warned about.
VMM_SRC = $(sort $(wildcard vmm/*.c))
VMM_OBJ = $(VMM_SRC:%.c=build/%.o)
VMM_HDR = $(wildcard vmm/*.h)
VMM_CPPFLAGS = -Ivmm -isystem build/kinclude
KINCLUDE = build/kinclude/.stamp

$(KINCLUDE): | build/.deps-build
	$(Q)mkdir -p build/kinclude
	$(Q)for d in /usr/include/linux /usr/include/asm-generic \
		/usr/include/$(MULTIARCH)/asm /usr/include/video; do \
		test -d $$d || { echo "mk/vmm.mk: fatal: unable to find $$d" >&2; exit 111; }; \
		ln -sfn $$d build/kinclude/$${d##*/}; done
	$(Q)touch $@

build/vmm/%.o: vmm/%.c $(VMM_HDR) $(LIB_HDR) $(KINCLUDE) | build/.deps-build
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(VMM_CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/libvmm.a: $(VMM_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(call CMD_OBJ,vmrun): CPPFLAGS += $(VMM_CPPFLAGS)
$(call CMD_OBJ,vmrun): $(VMM_HDR) $(KINCLUDE)

# Devices register themselves through a linker section (vm.h VM_DEVICE),
# which nothing references by name: take every member of libvmm.a.
# The build id tells a snapshot from another vmrun (vmm/snapshot.h).
bin/vmrun: $(call CMD_OBJ,vmrun) build/libvmm.a build/libhusk.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -Wl,--build-id=sha1 -pthread -o $@ $(call CMD_OBJ,vmrun) \
		-Wl,--whole-archive build/libvmm.a -Wl,--no-whole-archive $(LIBS)

# test/vm/outb.c: the VM tests' guests write the boot-timer port with it.
vm: build/vm/outb

# The sanitizer units and the fuzzers compile vmm/*.c with the test; their
# rules (check.mk, fuzz.mk) are read before this file, while VMM_SRC is
# still empty, so their dependency on vmm/ is stated here.
$(ASAN_UNITS) $(FUZZERS): $(VMM_SRC) $(VMM_HDR)

# lib/http_client.c speaks AF_VSOCK (linux/vm_sockets.h) for guest-agent.
build/lib/http_client.o: CPPFLAGS += -isystem build/kinclude
build/lib/http_client.o: $(KINCLUDE)
# guest-agent's rekey.c adds entropy (linux/random.h).
build/cmd/guest-agent/rekey.o: CPPFLAGS += -isystem build/kinclude
build/cmd/guest-agent/rekey.o: $(KINCLUDE)
