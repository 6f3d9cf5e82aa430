#!/bin/sh
# vmrun's seccomp filter is on every thread before the guest runs (the
# virtio-net I/O thread, started during setup, too: TSYNC), and a call
# off the list in any kind of thread kills vmrun with SIGSYS, 159: a
# path-based open, unlink and a socket included.  The call is put into
# the running thread with ptrace (build/vm/sysinject), so vmrun carries
# no test-only code.  Needs /dev/kvm: run it with test/vm/rig t5011.
. "$(dirname "$0")/../test-lib.sh"

kernel=$(ls "$HUSK_ROOT"/build/kernel/root/boot/vmlinuz-* | sort -V | tail -n 1)
inject="$HUSK_ROOT/build/vm/sysinject"
tap=hks0
# x86_64 system call numbers; AT_FDCWD is -100
SYS_socket=41 SYS_epoll_wait=232 SYS_openat=257 SYS_unlinkat=263
SYS_epoll_pwait=281
# SIGSYS dumps core: not 128 MiB of guest RAM into this directory
ulimit -c 0

test_expect_success 'a busybox initramfs for the guest' '
	mkdir -p g/bin g/proc g/dev &&
	cp /bin/busybox g/bin/busybox &&
	cat >g/init <<-\EOF &&
	#!/bin/busybox sh
	/bin/busybox mount -t devtmpfs dev /dev
	exec </dev/console >/dev/console 2>&1
	echo T5011-UP
	/bin/busybox sleep 1000
	EOF
	chmod +x g/init &&
	(cd g && find . | cpio -o -H newc 2>/dev/null) | gzip >initrd.gz &&
	test -s initrd.gz && test -n "$kernel" && test -x "$inject"
'

# start: vmrun with 2 vCPUs and a tap (so an I/O thread), until the
# guest is up; pid is vmrun's.  One an earlier test left (it failed) is
# stopped first, and its tap gone, so each test stands alone.
start() {
	test_cleanup && wait_for "! test -e /sys/class/net/$tap" 10 &&
	rm -f ready exit.txt .exit.txt.tmp.* && mkfifo ready &&
	bg vmrun -k "$kernel" -i initrd.gz -m 128 -c 2 -a "console=ttyS0 panic=-1 quiet" \
		-n "tap=$tap" -R ready -e exit.txt >out 2>err </dev/null &&
	pid=$! &&
	timeout 30 cat ready >r && grep -qx READY r &&
	wait_for "grep -q T5011-UP out" 120
}
# tid_in NR: a thread of vmrun waiting in system call NR.
tid_in() {
	for t in /proc/$pid/task/*; do
		read -r n rest <"$t/syscall" 2>/dev/null
		if [ "$n" = "$1" ]; then echo "${t##*/}"; return 0; fi
	done
	return 1
}
exited() {
	s=$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)
	[ -z "$s" ] || [ "$s" = Z ]
}
# killed_by TID NR [ARG0]: that call in that thread ends vmrun with 159,
# leaving no exit file (it was killed) and no thread.  A vmrun that
# survives it is stopped, not waited for.
killed_by() {
	"$inject" "$@"; ir=$?
	wait_for "exited $pid" 30 || kill -TERM $pid
	wait $pid; rc=$?
	{
	test "$ir" = 0 && test "$rc" = 159 && ! test -e exit.txt &&
	! test -e /proc/$pid
	} || { echo "# sysinject exit $ir, vmrun exit $rc"; cat err; false; }
}

test_expect_success 'every thread of a running vmrun has the filter (Seccomp: 2)' '
	start &&
	ls /proc/$pid/task >tasks &&
	for t in $(cat tasks); do
		grep -H "^Seccomp:" /proc/$pid/task/$t/status
		grep -H "^NoNewPrivs:" /proc/$pid/task/$t/status
	done >filters &&
	sed "s/^/# /" filters &&
	# main, the I/O thread, two vCPUs
	test "$(wc -l <tasks)" = 4 &&
	test "$(grep -c "Seccomp:	2$" filters)" = 4 &&
	test "$(grep -c "NoNewPrivs:	1$" filters)" = 4 &&
	kill -TERM $pid && { wait $pid; test $? = 143; } &&
	grep -qx "exit 143 signal" exit.txt
'

test_expect_success 'the main thread: unlinkat(AT_FDCWD, ...) kills vmrun, 159' '
	start &&
	killed_by $pid $SYS_unlinkat -100
'

test_expect_success 'the virtio-net I/O thread: socket() kills vmrun, 159' '
	start &&
	wait_for "tid_in $SYS_epoll_pwait >tid || tid_in $SYS_epoll_wait >tid" 10 &&
	killed_by "$(cat tid)" $SYS_socket 1
'

# A vCPU thread: neither the main thread nor the I/O thread.  It need not
# be asleep in KVM_RUN (a loaded host keeps it running, and its
# /proc/.../syscall then says "running"): ptrace stops it all the same.
tid_vcpu() {
	io=$(tid_in $SYS_epoll_pwait || tid_in $SYS_epoll_wait) || return 1
	for t in /proc/$pid/task/*; do
		t=${t##*/}
		if [ "$t" != "$pid" ] && [ "$t" != "$io" ]; then echo "$t"; return 0; fi
	done
	return 1
}

test_expect_success 'a vCPU thread: openat(AT_FDCWD, ...) kills vmrun, 159' '
	start &&
	wait_for "tid_vcpu >tid" 10 &&
	killed_by "$(cat tid)" $SYS_openat -100
'

test_expect_success 'vmrun killed: its tap went with it' '
	wait_for "! test -e /sys/class/net/$tap" 10
'

test_done
