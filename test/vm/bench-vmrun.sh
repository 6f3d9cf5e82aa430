#!/bin/sh
# The in-guest half of test/bench/vmrun-bench.sh (not a test: no tNNNN
# name, so make check does not run it).  Run inside the rig's first-level
# guest: boots the cloud kernel with a tiny busybox initramfs N times and
# prints "bench: ..." figures, plus TAP so the rig accepts the run.
#   boot time to guest /init by the boot timer (port 0x3f0), each and median
#   vmrun's resident memory excluding guest RAM, with the guest idle
#   the size of bin/vmrun
. "$(dirname "$0")/../test-lib.sh"
n=${VMRUN_BENCH_N:-3}
kernel=$(ls "$HUSK_ROOT"/build/kernel/root/boot/vmlinuz-* | head -n 1)

test_expect_success 'guest image' '
	mkdir -p g/bin g/dev &&
	cp /bin/busybox "$HUSK_ROOT/build/vm/outb" g/bin/ &&
	cat >g/init <<-\EOF &&
	#!/bin/busybox sh
	/bin/outb 0x3f0 123
	/bin/busybox mount -t proc proc /proc
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
		vmrun --boot-timer --console none -k "$kernel" -i initrd.gz \
			-a "console=ttyS0 panic=-1 quiet" 2>err </dev/null &&
		sed -n "s/.*guest boot time: \([0-9]*\) us/\1/p" err >>times || return 1
		i=$((i + 1))
	done &&
	test "$(wc -l <times)" = "$n" &&
	echo "bench: vmrun boot to /init (us): $(tr "\n" " " <times)" &&
	echo "bench: vmrun boot to /init median: $(sort -n times | sed -n "$(( (n + 1) / 2 ))p") us"
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
		/proc/$pid/smaps &&
	grep VmRSS /proc/$pid/status | sed "s/^/bench: vmrun total /" &&
	kill -TERM $pid && { wait $pid; test $? = 143; }
'

test_expect_success 'binary size' '
	echo "bench: bin/vmrun size: $(wc -c <"$HUSK_ROOT/bin/vmrun") bytes (static, musl)"
'
test_done
