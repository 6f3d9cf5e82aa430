# vm-lib.sh: for VM tests (test/vm/README), sourced after test-lib.sh.
# Works on a KVM host and in the rig's first-level guest (busybox).
#
#   L2_KERNEL        the second-level kernel: Debian's cloud kernel
#   L2_VMLINUX       the same uncompressed (make kernel), what husk boots
#   L2_GUEST         initramfs/mkinitramfs's image: busybox, guest-agent,
#                    virtio_mmio/virtio_net + deps listed in /etc/husk/modules
#   l2_image OUT DIR L2_GUEST with the files of DIR added (DIR/init
#                    replaces its /init), written to OUT
#   guest_rss PID    KiB of vmrun PID's guest RAM resident (its mapping
#                    of 256 MiB: -m 256)
L2_KERNEL=$(ls "$HUSK_ROOT"/build/kernel/root/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
L2_VMLINUX=$(ls "$HUSK_ROOT"/build/kernel/root/boot/vmlinux-* 2>/dev/null | sort -V | tail -n 1)
L2_GUEST=$HUSK_ROOT/build/vm/guest/current.cpio.gz

guest_rss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
	     /^Size:/ { big = ($2 == 256 * 1024) }
	     /^Rss:/ { if (big) g += $2 }
	     END { print g + 0 }' "/proc/$1/smaps"
}

# The files go in a second archive appended to the image (Linux unpacks
# concatenated archives, later entries replacing earlier ones).  It must
# be gzip'd like the image: after a gzip member the kernel rejects a raw
# cpio ("Initramfs unpacking failed: invalid magic at start of compressed
# archive") and boots with the image's own /init.
l2_image() {
	[ -f "$L2_GUEST" ] || { echo "l2_image: no $L2_GUEST: run make vm" >&2; return 1; }
	(cd "$2" && find . -mindepth 1 | sed 's|^\./||' | cpio -o -H newc 2>/dev/null |
	    gzip -c) >"$1.ov" &&
	cat "$L2_GUEST" "$1.ov" >"$1" &&
	rm -f "$1.ov"
}
