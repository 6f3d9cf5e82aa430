# The guest kernel's modules for initramfs/mkinitramfs and its tests: the
# Debian cloud kernel package (the one the vmrun rig boots), downloaded
# once into build/kernel/ and unpacked there with its modules.dep made by
# depmod, and its vmlinux.  Never installed, never in /boot, never
# committed.
KERNEL_ROOT = build/kernel/root

kernel: build/kernel/.unpacked build/kernel/.vmlinux

build/kernel/.unpacked: | build/.deps-check
	@echo "  KERNEL  linux-image-cloud-amd64 -> $(KERNEL_ROOT)"
	$(Q)rm -rf build/kernel && mkdir -p build/kernel/deb
	$(Q)pkg=$$(apt-cache depends linux-image-cloud-amd64 | \
		awk '/Depends: linux-image/{ print $$2; exit }') && \
		test -n "$$pkg" && \
		cd build/kernel/deb && apt-get download -q "$$pkg" >/dev/null 2>&1
	$(Q)dpkg -x build/kernel/deb/*.deb $(KERNEL_ROOT)
	$(Q)depmod -b $(KERNEL_ROOT) $$(ls $(KERNEL_ROOT)/lib/modules)
	$(Q)touch $@

# The same kernel uncompressed (mk/vmlinux): vmrun loads an ELF vmlinux by
# segment and the guest skips its own decompression; husk boots it.
build/kernel/.vmlinux: build/kernel/.unpacked mk/vmlinux
	$(Q)for z in $(KERNEL_ROOT)/boot/vmlinuz-*; do \
		mk/vmlinux "$$z" "$(KERNEL_ROOT)/boot/vmlinux-$${z##*/vmlinuz-}" || exit 1; \
	done
	$(Q)touch $@

.PHONY: kernel
