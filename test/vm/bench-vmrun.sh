#!/bin/sh
# The in-guest half of test/bench/vmrun-bench.sh (not a test: no tNNNN
# name, so make check does not run it).  Run inside the rig's first-level
# guest: boots the cloud kernel with a tiny busybox initramfs N times and
# prints "bench: ..." figures, plus TAP so the rig accepts the run.
#   boot time to guest /init by the boot timer (port 0x3f0), each and median
#   exec to /init's console marker, vmrun against qemu -enable-kvm -M pc
#   and -M microvm (no PCI, qboot instead of SeaBIOS: the fairer peer)
#   vmrun's resident memory excluding guest RAM, with the guest idle
#   the size of bin/vmrun
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"
n=${VMRUN_BENCH_N:-3}
# vmrun boots what husk boots, the uncompressed vmlinux; the bzImage too,
# as an extra figure, and qemu the bzImage (qemu -M pc given the vmlinux,
# by its PVH entry, did not reach /init within 120 s in this rig).
kernel=$L2_VMLINUX bz=$L2_KERNEL
# Every VMM boots with the command line husk run gives a job's VM
# (cmd/husk/run.sh kcmdline, less husk's own word): the kernel's work is
# what a husk user's is.  One extra figure: vmrun with the plain one.
husk_append=$(husk _kcmdline | sed "s/^console=ttyS0 panic=-1 quiet //; s/ *husk\.port=[0-9]*//")
plain="console=ttyS0 panic=-1 quiet"
cl="$plain $husk_append"

test_expect_success 'guest image' '
	mkdir -p g/bin g/dev &&
	cp /bin/busybox "$HUSK_ROOT/build/vm/outb" g/bin/ &&
	cat >g/init <<-\EOF &&
	#!/bin/busybox sh
	/bin/outb 0x3f0 123
	/bin/busybox mount -t proc proc /proc
	echo BENCH-INIT
	case $(/bin/busybox cat /proc/cmdline 2>/dev/null) in
	*bench=idle*) /bin/busybox sleep 1000 ;;
	esac
	/bin/busybox poweroff -f
	EOF
	mkdir -p g/proc && chmod +x g/init &&
	(cd g && find . | cpio -o -H newc 2>/dev/null) | gzip >initrd.gz
'

test_expect_success "boot time to /init, $n boots" '
	: >times && i=0 &&
	while [ $i -lt $n ]; do
		timeout 120 vmrun -v --boot-timer --console con.$i -k "$kernel" \
			-i initrd.gz -a "$cl" 2>err.$i </dev/null &&
		sed -n "s/.*guest boot time: \([0-9]*\) us/\1/p" err.$i >>times ||
		{ cat con.$i err.$i; return 1; }
		i=$((i + 1))
	done &&
	test "$(wc -l <times)" = "$n" &&
	echo "bench: vmrun boot to /init (us): $(tr "\n" " " <times)" >>figures &&
	echo "bench: vmrun boot to /init median: $(sort -n times | sed -n "$(( (n + 1) / 2 ))p") us" >>figures
'

# Side by side, timed the same way (marktime: from the exec to the
# marker on the serial console): vmrun, and Debian's qemu -enable-kvm
# -M pc and -M microvm with the same kernel, initramfs, command line,
# 256 MiB and one vCPU (the bundle make vm-qemu makes; vmrun-bench.sh
# makes it).
qemu=$HUSK_ROOT/build/vm/qemu/run
mt=$HUSK_ROOT/build/vm/marktime
median() { sort -n "$1" | sed -n "$(( ($(wc -l <"$1") + 1) / 2 ))p"; }
# to_init TIMES OUT ERR CMD...: CMD's microseconds from exec to the
# marker, appended to TIMES; its console on OUT, marktime's on ERR.
to_init() {
	ti_t=$1 ti_o=$2 ti_e=$3 && shift 3 &&
	timeout 120 "$mt" BENCH-INIT "$@" >"$ti_o" 2>"$ti_e" </dev/null &&
	sed -n "s/^marktime: BENCH-INIT after \([0-9]*\) us$/\1/p" "$ti_e" >>"$ti_t"
}
Q="-enable-kvm -cpu host -m 256 -smp 1 -nodefaults -nographic -monitor none -serial stdio -no-reboot"
test_expect_success "exec to /init's marker on the console: vmrun and qemu -enable-kvm -M pc and -M microvm, $n boots each" '
	test -x "$qemu" && : >t.vmrun && : >t.vmbz && : >t.qemu && : >t.micro &&
	: >t.plain && i=0 &&
	while [ $i -lt $n ]; do
		to_init t.vmrun v.$i m.$i vmrun -m 256 -c 1 --console stdio -k "$kernel" \
			-i initrd.gz -a "$cl" &&
		to_init t.vmbz b.$i c.$i vmrun -m 256 -c 1 --console stdio -k "$bz" \
			-i initrd.gz -a "$cl" &&
		to_init t.qemu q.$i n.$i "$qemu" -M pc $Q \
			-kernel "$bz" -initrd initrd.gz -append "$cl" &&
		to_init t.micro u.$i w.$i "$qemu" -M microvm $Q \
			-kernel "$bz" -initrd initrd.gz -append "$cl" &&
		to_init t.plain p.$i o.$i vmrun -m 256 -c 1 --console stdio -k "$kernel" \
			-i initrd.gz -a "$plain" ||
		{ cat v.$i m.$i b.$i c.$i q.$i n.$i u.$i w.$i p.$i o.$i; return 1; }
		i=$((i + 1))
	done &&
	test "$(wc -l <t.vmrun)" = "$n" && test "$(wc -l <t.qemu)" = "$n" &&
	test "$(wc -l <t.micro)" = "$n" && test "$(wc -l <t.vmbz)" = "$n" &&
	v=$(median t.vmrun) q=$(median t.qemu) u=$(median t.micro) &&
	echo "bench: exec to /init marker (us), vmrun: $(tr "\n" " " <t.vmrun)" >>figures &&
	echo "bench: exec to /init marker (us), vmrun given the bzImage: $(tr "\n" " " <t.vmbz) (median $(median t.vmbz))" >>figures &&
	echo "bench: exec to /init marker (us), qemu -enable-kvm -M pc: $(tr "\n" " " <t.qemu)" >>figures &&
	echo "bench: exec to /init marker (us), qemu -enable-kvm -M microvm: $(tr "\n" " " <t.micro)" >>figures &&
	echo "bench: exec to /init marker (us), vmrun with the plain command line ($plain): $(tr "\n" " " <t.plain) (median $(median t.plain))" >>figures &&
	echo "bench: command line: $cl" >>figures &&
	echo "bench: medians: vmrun $v us, qemu -M pc $q us, qemu -M microvm $u us; qemu/vmrun $(awk -v v=$v -v q=$q "BEGIN { printf \"%.2f\", q / v }")x (pc), $(awk -v v=$v -v q=$u "BEGIN { printf \"%.2f\", q / v }")x (microvm)" >>figures
'

test_expect_success 'resident memory excluding guest RAM (256 MiB guest, idle)' '
	bg vmrun --boot-timer --console none -m 256 -k "$kernel" -i initrd.gz \
		-a "console=ttyS0 panic=-1 quiet bench=idle" 2>err </dev/null &&
	pid=$! &&
	wait_for "grep -q \"guest boot time\" err" 120 &&
	sleep 1 &&
	awk "/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
	     /^Size:/ { big = (\$2 == 256 * 1024) }
	     /^Rss:/ { if (big) guest += \$2; else rest += \$2 }
	     END { printf \"bench: vmrun RSS excluding guest RAM: %d KiB (guest RAM resident: %d KiB)\n\", rest, guest }" \
		/proc/$pid/smaps >>figures &&
	grep VmRSS /proc/$pid/status | sed "s/^/bench: vmrun total /" >>figures &&
	kill -TERM $pid && { wait $pid; test $? = 143; }
'

# Guest RAM resident with the husk sh image (its init loads
# virtio_balloon), idle, without and with --balloon, and as issue 18
# measured it (the bzImage, no balloon): sampled every half second for
# 12 s; the last sample and the peak.
img=$L2_GUEST
idle_rss() { # KERNEL [vmrun option]
	k=$1 && shift &&
	rm -f v.sock v.sock_* && echo "husk.token=bench" >cl &&
	bg vmrun -k "$k" -i "$img" -a "console=ttyS0 panic=-1 quiet $append" -A cl \
		-m 256 -c 1 --vsock "cid=3,uds=$PWD/v.sock" "$@" --console none \
		</dev/null 2>err.rss &&
	pid=$! && peak=0 && i=0 &&
	while [ $i -lt 24 ]; do
		sleep 0.5
		r=$(guest_rss $pid) && [ "$r" -gt 0 ] || return 1
		[ "$r" -gt "$peak" ] && peak=$r
		i=$((i + 1))
	done &&
	echo "$r $peak" &&
	kill -TERM $pid && { wait $pid; test $? = 143; }
}
test_expect_success 'guest RAM resident, the husk sh image idle, without and with --balloon' '
	test -s "$img" &&
	append= && set -- $(idle_rss "$kernel") && a=$1 ap=$2 &&
	append=$husk_append && set -- $(idle_rss "$kernel" --balloon) && b=$1 bp=$2 &&
	append= && set -- $(idle_rss "$bz") && z=$1 zp=$2 &&
	echo "bench: with --balloon, as husk run boots it: its command line adds: $husk_append" >>figures &&
	echo "bench: guest RAM resident, sh image, 256 MiB, 12 s idle: without --balloon $a KiB (peak $ap), with --balloon $b KiB (peak $bp)" >>figures &&
	echo "bench: guest RAM resident, sh image, 256 MiB, 12 s idle, as at the issue (the bzImage, no --balloon): $z KiB (peak $zp)" >>figures
'

test_expect_success 'binary size' '
	echo "bench: bin/vmrun size: $(wc -c <"$HUSK_ROOT/bin/vmrun") bytes (static, musl)" >>figures
'
# The figures, outside any test so they are printed (the rig shows them
# as "# bench: ..." lines).
cat figures 2>/dev/null
test_done
