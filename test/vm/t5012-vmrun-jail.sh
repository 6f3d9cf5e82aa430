#!/bin/sh
# vmrun --user U:G --cgroup DIR: the jail (vmrun.8 SECURITY).  A running
# jailed vmrun, seen from outside: a root parent that only waits, and its
# child, pid 1 of its own PID namespace, in which every thread runs as U:G
# with no capability, no_new_privs, the seccomp filter, an empty root of
# its own, and mount, network, IPC and UTS namespaces that are not the
# host's; in DIR with memory.max and pids.max; its rlimits; no directory
# open.  The guest boots; TERM ends it with 143 and an exit file the
# parent writes in a directory the jail's uid cannot write; its tap goes
# with it.  A console file stays under --console-max with RLIMIT_FSIZE at
# that bound; a forbidden call still ends it with 159.  Then the cost:
# boot to the guest's /init, jailed and not.  Needs /dev/kvm: test/vm/rig
# t5012.
. "$(dirname "$0")/../test-lib.sh"

kernel=$(ls "$HUSK_ROOT"/build/kernel/root/boot/vmlinuz-* | sort -V | tail -n 1)
inject="$HUSK_ROOT/build/vm/sysinject"
outb="$HUSK_ROOT/build/vm/outb"
tap=hkj0
cg=/sys/fs/cgroup/t5012
user=4242:4343
# x86_64: unlinkat; AT_FDCWD is -100
SYS_unlinkat=263
ulimit -c 0

# The jailed child of vmrun's parent $1 (it has no other).
child_of() {
	for s in /proc/[0-9]*/stat; do
		read -r c_p c_comm c_st c_pp c_rest <"$s" 2>/dev/null &&
		[ "$c_pp" = "$1" ] && { echo "$c_p"; return 0; }
	done
	return 1
}
exited() {
	s=$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)
	[ -z "$s" ] || [ "$s" = Z ]
}
# The value of KEY (a /proc/PID/status line) for pid or tid path $1.
st() { sed -n "s/^$2:[	 ]*//p" "$1/status"; }

test_expect_success 'a busybox initramfs; cgroup v2 with memory and pids' '
	mkdir -p g/bin g/proc g/dev &&
	cp /bin/busybox "$outb" g/bin/ &&
	cat >g/init <<-\EOF &&
	#!/bin/busybox sh
	/bin/busybox mount -t devtmpfs dev /dev
	exec </dev/console >/dev/console 2>&1
	/bin/outb 0x3f0 123
	/bin/busybox mount -t proc proc /proc
	echo T5012-UP
	case $(/bin/busybox cat /proc/cmdline) in
	*t5012=flood*)
		i=0
		while [ $i -lt 1000 ]; do echo "T5012-LINE $i"; i=$((i + 1)); done
		echo T5012-FLOOD-END ;;
	*t5012=poweroff*) /bin/busybox poweroff -f ;;
	esac
	/bin/busybox sleep 1000
	EOF
	chmod +x g/init &&
	(cd g && find . | cpio -o -H newc 2>/dev/null) | gzip >initrd.gz &&
	test -s initrd.gz && test -n "$kernel" && test -x "$inject" &&
	{ grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts ||
	  mount -t cgroup2 cgroup2 /sys/fs/cgroup; } &&
	echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control &&
	{ rmdir "$cg" 2>/dev/null; mkdir "$cg"; } &&
	# The exit file s directory: root s, not writable by the jail s uid.
	mkdir -m 755 x
'

# start [ARGS]: a jailed vmrun with 2 vCPUs and a tap, until the guest is
# up (on the console: out, or $cons); pid is the parent, cpid the jailed
# child.
start() {
	test_cleanup && wait_for "! test -e /sys/class/net/$tap" 10 &&
	rm -f ready x/exit.txt x/.exit.txt.tmp.* && mkfifo ready &&
	bg vmrun --user $user --cgroup "$cg" -k "$kernel" -i initrd.gz -m 128 -c 2 \
		-a "console=ttyS0 panic=-1 quiet" -n "tap=$tap" -R ready \
		-e x/exit.txt "$@" >out 2>err </dev/null &&
	pid=$! &&
	timeout 30 cat ready >r && grep -qx READY r &&
	cpid=$(child_of $pid) &&
	wait_for "grep -q T5012-UP ${cons:-out}" 120
}

test_expect_success 'a jailed vmrun runs the guest: its parent waits, it is pid 1 of its own' '
	start &&
	echo "# parent $pid, jailed child $cpid" &&
	test "$(cat /proc/$pid/comm)" = vmrun &&
	test "$(ls /proc/$pid/task | wc -l)" = 1 &&
	st /proc/$cpid NSpid >nspid && test "$(cat nspid)" = "$cpid	1" &&
	test "$(readlink /proc/$cpid/ns/pid)" != "$(readlink /proc/self/ns/pid)"
'

test_expect_success 'every thread: uid and gid 4242:4343, no capability, no_new_privs, Seccomp 2' '
	ls /proc/$cpid/task >tasks &&
	test "$(wc -l <tasks)" = 4 &&
	for t in $(cat tasks); do
		p=/proc/$cpid/task/$t
		echo "$t $(st $p Uid | tr "\t" " ") / $(st $p Gid | tr "\t" " ") / $(st $p Groups) /" \
		    "$(st $p CapEff) $(st $p CapPrm) $(st $p CapInh) $(st $p CapBnd) $(st $p CapAmb)" \
		    "$(st $p NoNewPrivs) $(st $p Seccomp)"
	done >creds &&
	sed "s/^/# /" creds &&
	test "$(grep -c " 4242 4242 4242 4242 / 4343 4343 4343 4343 /  / 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 2$" creds)" = 4
'

test_expect_success 'every thread: an empty root of its own' '
	for t in $(cat tasks); do
		ls -A /proc/$cpid/task/$t/root/ >ls.$t &&
		test ! -s ls.$t &&
		test "$(stat -L -c %d:%i /proc/$cpid/task/$t/root/)" != "$(stat -c %d:%i /)" ||
		{ echo "# thread $t: $(cat ls.$t)"; return 1; }
	done
'

test_expect_success 'every thread: mount, network, IPC and UTS namespaces not the host s' '
	for t in $(cat tasks); do
		for n in mnt net ipc uts; do
			test "$(readlink /proc/$cpid/task/$t/ns/$n)" != "$(readlink /proc/self/ns/$n)" ||
			{ echo "# thread $t: $n is the host s"; return 1; }
		done
	done &&
	# the tap stays in the host s namespace
	test -e /sys/class/net/$tap
'

# Threads: main, 2 vCPUs, the I/O thread, and KVM s worker for the VM
# (kvm-nx-lpage-recovery-PID, a kernel thread KVM puts in our cgroup).
test_expect_success 'in the cgroup: memory.max guest RAM + 64 MiB, pids.max threads + 2' '
	for f in cgroup.procs memory.max pids.max pids.current memory.current memory.peak; do
		echo "# $f: $(cat "$cg/$f" 2>&1 | tr "\n" " ")"
	done &&
	for p in $(cat "$cg/cgroup.procs"); do
		echo "# $p: $(cat /proc/$p/comm)"
	done &&
	grep -qx "0::/t5012" /proc/$cpid/cgroup &&
	grep -qx "$cpid" "$cg/cgroup.procs" &&
	test "$(cat "$cg/memory.max")" = $(( (128 + 64) << 20 )) &&
	test "$(cat "$cg/pids.max")" = 7 &&
	test "$(cat "$cg/pids.current")" = 5 &&
	echo "cgroup: memory.current $(cat "$cg/memory.current") bytes, memory.peak $(cat "$cg/memory.peak" 2>/dev/null) (128 MiB guest, idle)" >>figures
'

test_expect_success 'rlimits: open files, file size, core; no directory open' '
	sed "s/^/# /" /proc/$cpid/limits &&
	grep -E "^Max open files +([0-9]|1[0-9]|2[0-9]) " /proc/$cpid/limits &&
	grep -E "^Max file size +1073741824 " /proc/$cpid/limits &&
	grep -E "^Max core file size +0 " /proc/$cpid/limits &&
	for f in /proc/$cpid/fd/*; do
		! test -d "$f" || { ls -l "$f"; return 1; }
	done
'

test_expect_success 'TERM: 143, the exit file in a directory the jail cannot write, the tap gone' '
	kill -TERM $pid && { wait $pid; rc=$?; } &&
	test "$rc" = 143 &&
	grep -qx "exit 143 signal" x/exit.txt &&
	! ls x/.exit.txt.tmp* 2>/dev/null &&
	! test -e /proc/$cpid &&
	wait_for "! test -e /sys/class/net/$tap" 10 &&
	test ! -s "$cg/cgroup.procs"
'

test_expect_success 'a console file under --console-max: RLIMIT_FSIZE at that bound, the file within it, cut' '
	cons=con start -a "console=ttyS0 panic=-1 quiet t5012=flood" --console con --console-max 4096 &&
	grep -E "^Max file size +4096 " /proc/$cpid/limits &&
	wait_for "grep -q T5012-FLOOD-END con" 120 &&
	test "$(wc -c <con)" -le 4096 &&
	grep -q "output cut here" con && tr -d "\r" <con | grep -qx "T5012-LINE 0" &&
	kill -TERM $pid && { wait $pid; test $? = 143; } &&
	grep -qx "exit 143 signal" x/exit.txt
'

test_expect_success 'a forbidden call in the jailed vmrun: 159, no exit file, no temp file' '
	start &&
	"$inject" $cpid $SYS_unlinkat -100; ir=$?
	wait_for "exited $pid" 10 || kill -TERM $pid
	wait $pid; rc=$?
	echo "# sysinject $ir, vmrun $rc" &&
	test "$ir" = 0 && test "$rc" = 159 &&
	! test -e x/exit.txt && ! ls x/.exit.txt.tmp* 2>/dev/null &&
	wait_for "! test -e /sys/class/net/$tap" 10
'

test_expect_code 100 'uid 0: refused' \
	'vmrun --user 0:4343 -k "$kernel"' '^vmrun: fatal: unable to parse --user 0:4343'
test_expect_code 100 '--cgroup without --user: refused' \
	'vmrun --cgroup "$cg" -k "$kernel"' '^vmrun: fatal: unable to use --cgroup without --user'
test_expect_code 111 'a --cgroup that is no cgroup: 111, no half-jailed VM' '
	rm -f x/exit.txt && mkdir -p notcg &&
	vmrun --user $user --cgroup "$PWD/notcg" -k "$kernel" -i initrd.gz -e x/exit.txt
' '^vmrun: fatal: unable to set memory.max in /.*/notcg: No such file or directory'
test_expect_success 'that exit file says error' 'grep -qx "exit 111 error" x/exit.txt'

test_expect_success 'the cgroup can go (the caller removes it)' 'rmdir "$cg"'

# The cost: exec to the guest /init (the boot timer), jailed and not,
# in turns; medians and their ratio.
n=${T5012_BOOTS:-3}
median() { sort -n "$1" | sed -n "$(( ($(wc -l <"$1") + 1) / 2 ))p"; }
test_expect_success "boot to /init, $n boots each, jailed and not" '
	: >t.plain && : >t.jail && i=0 &&
	while [ $i -lt $n ]; do
		for m in plain jail; do
			j= && [ $m = jail ] && j="--user $user"
			timeout 120 vmrun $j --boot-timer --console none -k "$kernel" -i initrd.gz \
				-m 128 -a "console=ttyS0 panic=-1 quiet t5012=poweroff" \
				2>err.$m.$i </dev/null &&
			sed -n "s/.*guest boot time: \([0-9]*\) us/\1/p" err.$m.$i >>t.$m ||
			{ cat err.$m.$i; return 1; }
		done
		i=$((i + 1))
	done &&
	test "$(wc -l <t.plain)" = $n && test "$(wc -l <t.jail)" = $n &&
	p=$(median t.plain) && q=$(median t.jail) &&
	{
	echo "bench: boot to /init (us), not jailed: $(tr "\n" " " <t.plain)"
	echo "bench: boot to /init (us), jailed: $(tr "\n" " " <t.jail)"
	echo "bench: medians $p us, jailed $q us: jailed/not $(awk -v p=$p -v q=$q "BEGIN { printf \"%.3f\", q / p }")"
	} >>figures
'

# The figures, outside any test so they are printed.
sed "s/^/# /" figures 2>/dev/null
# The tests after this one in the same L1 find no cgroup2 mounted.
umount /sys/fs/cgroup 2>/dev/null
test_done
