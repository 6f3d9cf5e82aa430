#!/bin/sh
# vmrun boots the stock Debian cloud kernel with a tiny busybox initramfs:
# marker, SMP, poweroff -> 0, reboot -> 2, SIGTERM during boot -> 143 with
# nothing left behind, and clear errors (exit 111) for bad inputs.
# Needs /dev/kvm: run it with test/vm/rig t5010.
. "$(dirname "$0")/../test-lib.sh"

kernel=$(ls "$HUSK_ROOT"/build/kernel/root/boot/vmlinuz-* | sort -V | tail -n 1)
outb="$HUSK_ROOT/build/vm/outb"

# The guest's /init: the boot timer first, then a marker with the online
# CPUs, then what t5010=ACTION on its command line says.
test_expect_success 'a busybox initramfs for the guest' '
	mkdir -p g/bin g/proc g/sys g/dev &&
	cp /bin/busybox g/bin/busybox &&
	cp "$outb" g/bin/outb &&
	cat >g/init <<-\EOF &&
	#!/bin/busybox sh
	/bin/busybox mount -t devtmpfs dev /dev
	exec </dev/console >/dev/console 2>&1
	/bin/outb 0x3f0 123
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	echo "T5010-MARKER cpus=$(cat /sys/devices/system/cpu/online)"
	case $(cat /proc/cmdline) in
	*t5010=reboot*) reboot -f ;;
	*t5010=sleep*) echo T5010-SLEEPING; sleep 1000 ;;
	*t5010=spin*) echo T5010-SPINNING; while :; do :; done ;;
	*) poweroff -f ;;
	esac
	EOF
	chmod +x g/init &&
	(cd g && find . | cpio -o -H newc 2>/dev/null) | gzip >initrd.gz &&
	test -s initrd.gz && test -n "$kernel"
'

# Every foreground boot is bounded: a hung guest fails its test, not the run.
boot() {
	timeout 120 vmrun -k "$kernel" -i initrd.gz -m 256 "$@"
}

test_expect_success '2 vCPUs boot to the marker, both online; poweroff exits 0' '
	boot -c 2 -a "console=ttyS0 panic=-1 quiet t5010=poweroff" \
		--boot-timer -e exit.txt >out 2>err </dev/null &&
	grep "T5010-MARKER cpus=0-1" out &&
	grep "vmrun: info: guest boot time: [0-9]* us" err &&
	echo "exit 0 poweroff" >want &&
	test_cmp want exit.txt
'

test_expect_success 'guest reboot -f: exit 2, exit file says reset' '
	{ boot -a "console=ttyS0 panic=-1 quiet t5010=reboot" -e exit.txt \
		>out 2>err </dev/null; test $? = 2; } &&
	grep -q T5010-MARKER out && grep -qx "exit 2 reset" exit.txt
'

test_expect_success 'SIGTERM during boot: exit 143 at once, threads joined, fds closed' '
	rm -f exit.txt && mkfifo ready &&
	bg vmrun -k "$kernel" -i initrd.gz -c 2 -a "console=ttyS0 panic=-1 quiet t5010=sleep" \
		-R ready -e exit.txt >out 2>err </dev/null &&
	pid=$! &&
	timeout 30 cat ready >r && grep -qx READY r &&
	test "$(ls /proc/$pid/task | wc -l)" = 3 &&
	ls -l /proc/$pid/fd >fds && grep -q "kvm-vcpu:1" fds &&
	sleep 1 &&
	kill -TERM $pid &&
	wait_for "test -e exit.txt" 10 &&
	{ wait $pid; rc=$?; } &&
	test "$rc" = 143 &&
	echo "exit 143 signal" >want &&
	test_cmp want exit.txt &&
	! test -e /proc/$pid &&
	! ls .exit.txt.tmp* 2>/dev/null
'

# KVM maps guest RAM with 2 MiB nested pages only where the host mapping
# lines up with guest-physical addresses; the unaligned mapping vmrun had
# made the boot to /init 1.45x as long in the rig.
test_expect_success 'guest RAM is one mapping on a 2 MiB boundary' '
	rm -f ready && mkfifo ready &&
	bg vmrun -k "$kernel" -i initrd.gz -m 128 -a "console=ttyS0 panic=-1 quiet t5010=sleep" \
		-R ready >out 2>err </dev/null &&
	pid=$! &&
	timeout 30 cat ready >r && grep -qx READY r &&
	tr "-" " " </proc/$pid/maps | while read -r s e rest; do
		if [ $((0x$e - 0x$s)) = $((128 << 20)) ]; then echo "$s"; fi
	done >ram &&
	kill -TERM $pid && { wait $pid; test $? = 143; } &&
	test "$(wc -l <ram)" = 1 &&
	test $((0x$(cat ram) % (2 << 20))) = 0 || { cat ram; return 1; }
'

# stopped ACTION MARKER: boot with t5010=ACTION, SIGTERM the VM once the
# guest prints MARKER, and check what vmrun -v said of where vCPU 0
# stopped; err keeps it.
stopped() {
	rm -f exit.txt &&
	bg vmrun -v -k "$kernel" -i initrd.gz -a "console=ttyS0 panic=-1 quiet t5010=$1" \
		-e exit.txt >out 2>err </dev/null &&
	pid=$! &&
	wait_for "grep -q $2 out" 120 &&
	kill -TERM $pid &&
	wait_for "test -e exit.txt" 10 &&
	{ wait $pid; rc=$?; } &&
	{
	test "$rc" = 143 &&
	grep "vmrun: info: vCPU 0 stopped at rip 0x[0-9a-f]* rsp 0x" err &&
	# In long mode: paging on (cr0 bit 31), EFER.LME and LMA.
	grep -E "^vmrun: info: vCPU 0 cr0 0x8[0-9a-f]{7} cr2 0x[0-9a-f]+ cr3 0x[0-9a-f]+ cr4 0x[0-9a-f]+ efer 0x[0-9a-f]*[57df][0-9a-f]{2}$" err &&
	# Wherever the vCPU stopped, in the kernel or in a user process, the
	# guest maps its code and its stack, so both are read, as hex.  A
	# stack near its top (an interrupt stack, say) runs into its guard
	# page: the bytes up to the page end are shown, then the address.
	grep -E "^vmrun: info: vCPU 0 code \(rip-16\.\.rip\+16\): [0-9a-f]{64}$" err &&
	grep -E "^vmrun: info: vCPU 0 stack: ([0-9a-f]{256}|([0-9a-f]{2}){8,127} \? \(0x[0-9a-f]*000 unmapped\))$" err &&
	grep -x "exit 143 signal" exit.txt
	} || { cat err exit.txt; false; }
}

test_expect_success 'SIGTERM while the guest runs: exit 143, stopped vCPUs logged with their code and stack' '
	stopped sleep T5010-SLEEPING
'

# A user process spinning: KVM_TRANSLATE would refuse its pages (a
# supervisor access, and the guest has SMAP), so vmrun walks the tables.
# Timer interrupts land some stops in the kernel: up to 4 boots.
test_expect_success 'SIGTERM while a user process spins: its code and stack are read too' '
	for i in 1 2 3 4; do
		stopped spin T5010-SPINNING || return 1
		grep -E "stopped at rip 0x[0-7]?[0-9a-f]{1,11} " err && return 0
	done
	false
'

# lostcr3: a bzImage (protocol 2.15, 64-bit entry) whose code loads an
# IDT, points CR3 at 1 GiB, outside its 64 MiB, and jumps to itself.  The
# next fetch faults on the page walk, and so does the #PF's delivery:
# KVM loops on nested page faults and never exits to vmrun, as guests did
# whose CR3 nested KVM on TCG lost.  vmrun's paging check must stop it.
byte() { printf "$(printf '\\%03o' $2)" | dd of=lostcr3 bs=1 seek=$(($1)) conv=notrunc 2>/dev/null; }
test_expect_success 'a guest whose page tables leave its RAM: stopped within seconds, exit 3, said why' '
	dd if=/dev/zero of=lostcr3 bs=512 count=4 2>/dev/null &&
	byte 0x1f1 1 && byte 0x1fe 0x55 && byte 0x1ff 0xaa &&
	byte 0x200 0xeb && byte 0x201 0x6a &&
	printf HdrS | dd of=lostcr3 bs=1 seek=$((0x202)) conv=notrunc 2>/dev/null &&
	byte 0x206 0x0f && byte 0x207 0x02 && byte 0x211 1 &&
	byte 0x22c 0xff && byte 0x22d 0xff && byte 0x22e 0xff && byte 0x22f 0x7f &&
	byte 0x232 0x20 && byte 0x234 1 && byte 0x236 1 && byte 0x239 8 &&
	byte 0x25a 0x00 && byte 0x25b 0x01 && byte 0x262 0x10 &&
	# At the entry (+0x200): lidt 0xf(%rip); movabs $0x40000000, %rax;
	# mov %rax, %cr3; jmp .; then the IDT register: limit 0xfff, base 0.
	o=$((0x400 + 0x200)) && i=0 &&
	for b in 0x0f 0x01 0x1d 0x0f 0 0 0  0x48 0xb8 0 0 0 0x40 0 0 0 0 \
	    0x0f 0x22 0xd8  0xeb 0xfe  0xff 0x0f; do
		byte $((o + i)) $b && i=$((i + 1)) || return 1
	done &&
	s=$(date +%s) &&
	timeout 60 vmrun -k lostcr3 -m 64 --console none 2>err; rc=$?
	cat err && echo "vmrun exit $rc" &&
	grep -x "vmrun: warning: vCPU 0: its page tables (cr3 0x40000000) are outside the guest.s RAM: the hypervisor lost its paging state; VM stopped" err &&
	test $(( $(date +%s) - s )) -lt 10 &&
	test $rc = 3
'

test_expect_success 'husk doctor: this /dev/kvm boots the kernel (the probe make demo and the rig use)' '
	husk _kvmboot &&
	husk doctor >out; cat out &&
	grep -q "^ok       /dev/kvm boots the kernel ([0-9]* ms to its first userspace step)$" out &&
	! pidof vmrun
'

test_expect_code 111 'a garbage kernel: clear error, exit 111' '
	head -c 100000 /dev/urandom >garbage &&
	vmrun -k garbage -i initrd.gz
' '^vmrun: fatal: unable to load kernel garbage: not a bzImage'

test_expect_code 111 'a missing initrd: clear error, exit 111' \
	'vmrun -k "$kernel" -i nonexistent.gz' \
	'^vmrun: fatal: unable to read initrd nonexistent\.gz: No such file or directory'

test_expect_code 111 'a tap that cannot be opened: clear error, exit 111' '
	rm -f exit.txt &&
	vmrun -k "$kernel" -i initrd.gz -n tap=this-name-is-far-too-long -e exit.txt
' '^vmrun: .*unable to .*tap.*this-name-is-far-too-long'
test_expect_success 'a tap that cannot be opened: the exit file says error' '
	grep -qx "exit 111 error" exit.txt
'
test_done
