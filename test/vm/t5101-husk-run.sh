#!/bin/sh
# husk run end to end in real microVMs (vmrun + the cloud kernel + the
# guest image), the agent over vsock: output streams and status, argv,
# python3, C and JavaScript where the images have them, no network
# interface made, the readiness deadline with a wrong agent port, SIGTERM
# and kill -9 mid-job with reclaim by the next run.  Nothing may be left.
# An ordinary user's jobs: t5108; a chatty job: t5109.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

test_expect_success 'husk run -c: hi on stdout, err on stderr, exit 3; verbose, vmrun -v too' '
	t=$(now) &&
	HUSK_VERBOSE=1 husk run -c "echo hi; echo err >&2; exit 3" >out 2>err; st=$? &&
	note "husk run echo hi: $(since $t) s ($(grep "agent up" err | sed "s/.*agent up after //"))" &&
	grep -q "^vmrun: info: vCPU 0 stopped at rip" err &&
	grep -q "command line: .* (-A.s line, not shown) virtio_mmio.device=" err &&
	! grep -q "husk.token" err &&
	grep -v -e "^husk: info:" -e "^vmrun: info:" err >err2 &&
	test $st = 3 && echo hi >want && test_cmp want out &&
	echo err >want && test_cmp want err2 && clean
'
test_expect_success 'husk run -- argv runs a program: the guest kernel' '
	husk run -- uname -r >out 2>err &&
	basename $HUSK_ROOT/build/kernel/root/boot/vmlinuz-* | sed "s/^vmlinuz-//" >want &&
	test_cmp want out && clean
'
# What keeps an idle job's memory low (husk.1): tracefs has no event
# files.
test_expect_success 'husk run: no tracefs event files' '
	husk run -c "mkdir /tmp/t && mount -t tracefs none /tmp/t &&
		if [ -e /tmp/t/events ]; then echo events; else echo none; fi" \
		>out 2>err &&
	echo none >want && test_cmp want out && clean
'
# make vm builds build/vm/guest-python3 (mkinitramfs -l python3) too.
test_expect_success 'a python3 job prints its result' '
	test -f "$HUSK_IMAGES/python3/current.cpio.gz" &&
	echo "print(6*7)" | husk run -l python3 -f - >out &&
	echo 42 >want && test_cmp want out && clean
'
test_expect_success 'husk run -l c -c: C code runs' '
	test -f "$HUSK_IMAGES/c/current.cpio.gz" &&
	{ husk run -l c -c "#include <stdio.h>
int main(void) { printf(\"%d\\n\", 6 * 7); return 3; }" >out; st=$?; } &&
	test $st = 3 && echo 42 >want && test_cmp want out && clean
'
# The node image (make vm-guest-node): 39 MB, and 320 MiB at least.
test_expect_success 'husk run -l js: a JavaScript job prints its result, in 320 MiB' '
	test -f "$HUSK_IMAGES/node/current.cpio.gz" &&
	t=$(now) &&
	{ HUSK_VERBOSE=1 husk run -l js -c "console.log(6 * 7); process.exit(3)" >out 2>err; st=$?; } &&
	note "husk run -l js: $(since $t) s" &&
	grep -q "memory raised to 320 MiB" err && test $st = 3 &&
	echo 42 >want && test_cmp want out && clean
'
# The agent's token is a secret from other local users: no process's
# argv holds it while a job runs (ps shows every argv to everyone).
test_expect_success 'during a husk run no /proc/*/cmdline holds the token' '
	rm -f out err
	husk run -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	tok=$(cat state/run/*/token) && test ${#tok} = 48 &&
	n=0 && for f in /proc/[0-9]*/cmdline; do
		tr "\0" " " <"$f" 2>/dev/null | grep -q "$tok" &&
			{ echo "token in $f: $(tr "\0" " " <"$f" | sed "s/$tok/TOKEN/g")"; n=$((n + 1)); }
	done;
	kill -TERM $h; pwait $h 60;
	test $n = 0 && clean
'
# The job's VM runs jailed (vmrun(8) --user): the vmrun that holds
# /dev/kvm (the parent's child, pid 1 of its own PID namespace) runs as
# the job's uid with no capability, under seccomp, in a root and network
# namespace not the host's.
test_expect_success 'husk run: the job'"'"'s vmrun is jailed (uid, CapEff 0, Seccomp 2, its own root and net)' '
	rm -f out err
	husk run -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	j=$(for p in /proc/[0-9]*; do
		read -r c <$p/comm 2>/dev/null && test "$c" = vmrun &&
		! grep -q "^Uid:[[:space:]]*0[[:space:]]" $p/status && echo ${p#/proc/}; done; :) &&
	test -n "$j" && echo "# jailed vmrun: $j" &&
	grep -H "^Uid:\|^CapEff:\|^Seccomp:\|^NoNewPrivs:" /proc/$j/status | sed "s/^/# /" &&
	grep -q "^Uid:[[:space:]]*20000[0-9][0-9][[:space:]]" /proc/$j/status &&
	grep -q "^CapEff:[[:space:]]*0000000000000000$" /proc/$j/status &&
	grep -q "^Seccomp:[[:space:]]*2$" /proc/$j/status &&
	test "$(readlink /proc/$j/ns/net)" != "$(readlink /proc/self/ns/net)" &&
	test "$(readlink /proc/$j/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" &&
	test "$(ls -A /proc/$j/root/ | wc -l)" = 0;
	r=$?
	kill -TERM $h; pwait $h 60;
	test $r = 0 && clean
'
# Where cgroup v2 has the memory and pids controllers (mounted here, as
# L1's init does not), each job's vmrun runs bounded in HUSK_CGROUP/JOB,
# which goes when the job ends (clean).
test_expect_success 'husk run: with cgroup v2, the job'"'"'s vmrun in its own cgroup, bounded, removed after' '
	mounted= &&
	{ grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts ||
	  { mount -t cgroup2 cgroup2 /sys/fs/cgroup && mounted=1; }; } &&
	rm -f out err
	husk run -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	c=$(ls -d /sys/fs/cgroup/husk/*/ | head -n 1) && echo "# $c" &&
	test -n "$c" && grep -q . "$c/cgroup.procs" &&
	p=$(head -n 1 "$c/cgroup.procs") && read -r comm </proc/$p/comm &&
	test "$comm" = vmrun &&
	m=$(cat "$c/memory.max") && echo "# memory.max $m pids.max $(cat "$c/pids.max")" &&
	test "$m" -gt $((128 << 20)) && test "$m" -lt $((512 << 20));
	r=$?
	kill -TERM $h; pwait $h 60;
	test $r = 0 && clean && ! test -e "$c";
	r=$?
	# the other tests run as before: without a cgroup
	[ -z "$mounted" ] || umount /sys/fs/cgroup
	test $r = 0
'
# A guest that writes its console without end: the file keeps its head
# (the boot) and its newest tail, within HUSK_CONSOLE_MAX.
test_expect_success 'the console file stays within HUSK_CONSOLE_MAX: its head and tail kept, the middle cut' '
	rm -f out err
	HUSK_CONSOLE_MAX=16384 husk run -c "i=0; while [ \$i -lt 1500 ]; do echo console-line-\$i; i=\$((i+1)); done >/dev/ttyS0; echo written; sleep 600" >out 2>err &
	h=$! &&
	{ wait_for "grep -q written out" 120 || { cat err; false; }; } &&
	cp state/run/*/console console.copy;
	kill -TERM $h; pwait $h 60;
	s=$(wc -c <console.copy) && note "console after 1500 lines: $s bytes (bound 16384)" &&
	tr -d "\r" <console.copy >console.txt &&
	echo "$s bytes; head and tail:" && head -n 3 console.txt && tail -n 3 console.txt &&
	test $s -le 16384 && grep -q "output cut here" console.txt &&
	grep -qx "console-line-1499" console.txt &&
	grep -qx "console-line-0" console.txt && ! grep -qx "console-line-750" console.txt && clean
'
# The agent listens on vsock port 9 (the last husk.port= wins): every
# probe of port 8000 is refused at once by the guest.
test_expect_success 'the agent never comes up (wrong port): clear error within the deadline + 1 s' '
	t=$(now) &&
	{ HUSK_BOOT_TIMEOUT=20 HUSK_APPEND="husk.port=9" husk run -c "echo hi" 2>&1 >/dev/null; echo "exit $?"; } |
	while IFS= read -r l; do echo "$(since $t) $l"; done >err &&
	cat err && grep -q " exit 112$" err &&
	f=$(sed -n "s/^\([0-9.]*\) husk: fatal: unable to reach the agent on vsock port 8000: no answer within 20s; console tail:$/\1/p" err) &&
	note "wrong port: error after $f s, deadline 20 s; exit after $(tail -n 1 err | cut -d" " -f1) s" &&
	awk -v f="$f" "BEGIN { exit !(f + 0 >= 20 && f + 0 <= 21) }" && clean
'
test_expect_success 'SIGTERM mid-job: VM torn down, exit 143' '
	# out from the test before says "started" too: gone before the wait.
	rm -f out err
	husk run -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	t=$(now) && kill -TERM $h && pwait $h 60; st=$? &&
	note "SIGTERM mid-job: gone after $(since $t) s" &&
	test $st = 143 && clean
'
test_expect_success 'kill -9 mid-job, then another run: the stale lease, run directory, socket and vmrun are reclaimed' '
	# out from the test before says "started" too: gone before the wait.
	rm -f out err
	husk run -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	lease=$(ls state/leases) && dir=$(sed -n "s/^dir //p" state/leases/$lease) &&
	test -S $dir/v.sock &&
	kill -9 $h && wait $h;
	test -e state/leases/$lease &&
	# New files: what the killed run left behind still holds out and err.
	husk run -c "echo again" >out2 2>err2 &&
	echo again >want && test_cmp want out2 &&
	grep -q "reclaiming the stale lease of $lease" err2 &&
	test ! -e $dir && clean
'

# A job without --net has no network: no interface is made on this host
# while it runs (no tap, no bridge), and the guest has only lo.
# The guest's modules too: its init loads virtio_net only in a VM with a
# network device (husk.1), so without --net three modules fewer to load.
test_expect_success 'no network: no interface here during or after the job; the guest has lo alone, no network driver' '
	rm -f out err
	ls /sys/class/net >before &&
	husk run -c "ls /sys/class/net; cut -d\" \" -f1 /proc/modules | grep -E \"^(virtio_net|net_failover|failover|vmw_vsock_virtio_transport|virtio_balloon)\$\" | sort; echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	ls /sys/class/net >during;
	kill -TERM $h; pwait $h 60;
	ls /sys/class/net >after &&
	test_cmp before during && test_cmp before after &&
	printf "lo\nvirtio_balloon\nvmw_vsock_virtio_transport\nstarted\n" >want &&
	test_cmp want out && clean
'

figures
test_done
