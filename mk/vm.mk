# The VM test rig (test/vm/README): the first-level guest's cached base
# image, the helpers it runs, and the second-level guest image, all under
# build/vm/.  test/vm/rig runs `make vm` before every run, so each is
# rebuilt only when its inputs change.
VM_HELPERS = $(patsubst test/vm/%.c,build/vm/%,$(wildcard test/vm/*.c))
VM_BASE = build/vm/l1-base.cpio

# musl-gcc does not look in /usr/include: the kernel's uapi headers
# (linux/kvm.h, asm/...) through a folder of links to them, nothing else;
# -isystem, as musl's sys/ioctl.h and asm-generic/ioctl.h both define _IO*.
UAPI_INC = build/uapi
$(UAPI_INC)/.stamp: | build/.deps-build
	$(Q)mkdir -p $(UAPI_INC)
	$(Q)ln -sfn /usr/include/linux $(UAPI_INC)/linux
	$(Q)ln -sfn /usr/include/asm-generic $(UAPI_INC)/asm-generic
	$(Q)ln -sfn /usr/include/$(MULTIARCH)/asm $(UAPI_INC)/asm
	$(Q)touch $@

build/vm/%: test/vm/%.c build/libhusk.a $(UAPI_INC)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -isystem $(UAPI_INC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS)

$(VM_BASE): test/vm/mkbase test/vm/init build/kernel/.unpacked build/kernel/.vmlinux $(wildcard /bin/busybox /usr/sbin/nft) | build/.deps-check
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)test/vm/mkbase $(KERNEL_ROOT) $@

# The second-level guest image (initramfs/mkinitramfs: busybox, the agent,
# virtio modules); it decides itself whether to rebuild.
vm-guest: all kernel
	$(Q)mkdir -p build/vm
	$(Q)initramfs/mkinitramfs -m $(KERNEL_ROOT) -o build/vm/guest \
		>/dev/null 2>build/vm/guest.log || { cat build/vm/guest.log >&2; exit 1; }

# The same with a language, so the husk VM tests run python3 and C jobs
# too (test/husk-vm-lib.sh takes every build/vm/guest-LANG it finds).
VM_LANGS = python3 c node
$(VM_LANGS:%=vm-guest-%): vm-guest-%: all kernel
	$(Q)mkdir -p build/vm
	$(Q)initramfs/mkinitramfs -m $(KERNEL_ROOT) -l $* -o build/vm/guest-$* \
		>/dev/null 2>build/vm/guest-$*.log || { cat build/vm/guest-$*.log >&2; exit 1; }
vm-guests: vm-guest $(VM_LANGS:%=vm-guest-%)

vm-helpers: $(VM_HELPERS)

# Debian's qemu as a folder for the rig's guest (test/vm/mkqemu): the
# vmrun benchmark's peer.  Not part of make vm: the tests do not use it.
build/vm/qemu/run: test/vm/mkqemu $(wildcard /usr/bin/qemu-system-x86_64) | build/.deps-check
	@mkdir -p build/vm
	@$(if $(Q),echo "  QEMU    build/vm/qemu")
	$(Q)test/vm/mkqemu build/vm/qemu

vm-qemu: build/vm/qemu/run

vm: all vm-helpers $(VM_BASE) vm-guests

check: vm

.PHONY: vm vm-helpers vm-guest vm-guests $(VM_LANGS:%=vm-guest-%) vm-qemu
