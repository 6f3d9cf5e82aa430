# The VM test rig (test/vm/README): the first-level guest's cached base
# image, the helpers it runs, and the second-level guest image, all under
# build/vm/.  test/vm/rig runs `make vm` before every run, so each is
# rebuilt only when its inputs change.
VM_HELPERS = build/vm/kvmprobe build/vm/debugexit
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

$(VM_BASE): test/vm/mkbase test/vm/init build/kernel/.unpacked $(wildcard /bin/busybox) | build/.deps-check
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)test/vm/mkbase $(KERNEL_ROOT) $@

# The second-level guest image (initramfs/mkinitramfs: busybox, the agent,
# virtio modules); it decides itself whether to rebuild.
vm-guest: all kernel
	$(Q)mkdir -p build/vm
	$(Q)initramfs/mkinitramfs -m $(KERNEL_ROOT) -o build/vm/guest \
		>/dev/null 2>build/vm/guest.log || { cat build/vm/guest.log >&2; exit 1; }

vm: all $(VM_HELPERS) $(VM_BASE) vm-guest

check: vm

.PHONY: vm vm-guest
