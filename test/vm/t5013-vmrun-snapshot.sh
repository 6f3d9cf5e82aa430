#!/bin/sh
# vmrun --snapshot and --restore (vmrun.8 SNAPSHOTS): a busybox guest
# reads the snapshot port; with --snapshot vmrun saves it there and exits
# 4, and each VM restored from the directory resumes from that read with
# 1, its uptime going on from the snapshot's, and without --snapshot the
# read is 0 and nothing happens.  A snapshot of another RAM size, vmrun
# build or CPU model, or one damaged, is refused with the reason (111).
# Needs /dev/kvm: run it with test/vm/rig t5013.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"
kernel=$L2_KERNEL

# The guest image, its /init replaced by one that reads the snapshot
# port between two marks.
test_expect_success 'a guest whose /init asks for its snapshot' '
	mkdir -p ov/bin && cp "$HUSK_ROOT/build/vm/outb" ov/bin/outb &&
	cat >ov/init <<-\EOF &&
	#!/bin/sh
	mount -t proc proc /proc
	echo "T5013-BOOTED up=$(cut -d" " -f1 /proc/uptime)"
	v=$(/bin/outb 0x3f1)
	echo "T5013-RESUMED v=$v up=$(cut -d" " -f1 /proc/uptime)"
	echo "T5013-SUM $((6 * 7))"
	poweroff -f
	EOF
	chmod 755 ov/init && l2_image initrd.gz ov && test -n "$kernel"
'

boot() {
	timeout 120 vmrun -k "$kernel" -i initrd.gz -m 256 -c 2 \
	    -a "console=ttyS0 panic=-1 quiet" "$@"
}
restore() {
	timeout 120 vmrun --restore snap -m 256 -c 2 "$@"
}

test_expect_success 'without --snapshot the port reads 0 and the guest goes on' '
	boot -e exit.txt >out 2>err </dev/null &&
	grep -q "T5013-RESUMED v=0" out && grep -qx "exit 0 poweroff" exit.txt
'

test_expect_success '--snapshot: saved at the read, exit 4, RAM a sparse file' '
	mkdir snap &&
	{ boot --snapshot snap -e exit.txt >out 2>err </dev/null; st=$?; } &&
	cat err && test $st = 4 && grep -qx "exit 4 snapshot" exit.txt &&
	grep -q T5013-BOOTED out && ! grep -q T5013-RESUMED out &&
	test "$(stat -c %s snap/mem)" = $((256 << 20)) &&
	test "$(du -k snap/mem | cut -f1)" -lt $((200 << 10)) &&
	test -s snap/state &&
	test "$(stat -c %a snap/mem snap/state)" = "600
600"
'

test_expect_success 'two restores each resume from the read with 1, uptime going on' '
	for i in 1 2; do
		restore -e exit$i.txt >out$i 2>err$i </dev/null || { cat err$i; return 1; }
		cat out$i &&
		grep -q "T5013-RESUMED v=1" out$i && grep -q "T5013-SUM 42" out$i &&
		! grep -q T5013-BOOTED out$i &&
		grep -qx "exit 0 poweroff" exit$i.txt || return 1
	done &&
	booted=$(sed -n "s/^T5013-BOOTED up=//p" out | tr -d "\r") &&
	up=$(sed -n "s/^T5013-RESUMED v=1 up=//p" out1 | tr -d "\r") &&
	echo "booted at $booted, resumed at $up" &&
	awk -v a="$booted" -v b="$up" "BEGIN { exit !(b >= a && b < a + 5) }"
'

test_expect_success 'a restore while the first runs: both resume, memory shared' '
	restore -e ea.txt >oa 2>erra </dev/null &
	pa=$! &&
	restore -e eb.txt >ob 2>errb </dev/null &&
	wait $pa &&
	grep -q "T5013-RESUMED v=1" oa && grep -q "T5013-RESUMED v=1" ob &&
	test "$(du -k snap/mem | cut -f1)" -lt $((200 << 10))
'

test_expect_success 'another -m: refused with the reason, 111' '
	{ timeout 60 vmrun --restore snap -m 128 -c 2 >out 2>err </dev/null; st=$?; } &&
	cat err && test $st = 111 &&
	grep -q "vmrun: fatal: unable to restore snap: it has 256 MiB of RAM and 2 vCPUs, not 128 and 2 (-m, -c)" err
'

# The header: magic (8), version (4), vCPUs (4), RAM size (8), build id
# (32) at byte 24; then cpu0: a section head (24), ncpuid and nmsrs (8),
# the CPUID entries (function, index, flags, eax...).
copy() {
	mkdir bad && ln snap/mem bad/mem && cp snap/state bad/state
}
poke() {
	copy &&
	printf "\377" | dd of=bad/state bs=1 seek=$1 conv=notrunc 2>/dev/null
}
refused() {
	{ timeout 60 vmrun --restore bad -m 256 -c 2 >out 2>err </dev/null; st=$?; }
	rm -rf bad
	cat err && test $st = 111 && grep -q "unable to restore bad: $1" err
}

test_expect_success 'a state from another vmrun build: refused' '
	poke 30 && refused "it was taken by another vmrun (build id differs)"
'
test_expect_success 'a state from another CPU model: refused' '
	poke $((56 + 24 + 8 + 12)) && refused "vCPU 0: it was taken on another CPU model (CPUID differs)"
'
test_expect_success 'not a snapshot, or one unfinished: refused' '
	poke 0 && refused "its state is not a vmrun snapshot" &&
	copy && head -c 4096 snap/state >bad/state &&
	refused "its state is" &&
	copy && : >bad/state &&
	refused "its state is not a vmrun snapshot"
'

test_expect_success 'a snapshot file others may write, or not a file: refused' '
	copy && chmod 666 bad/state && refused "its state is writable by others" &&
	copy && rm bad/state && mkfifo bad/state && refused "its state is not a regular file"
'
test_expect_success '--snapshot into a folder with a snapshot already: refused, it stays' '
	cp snap/state state.before &&
	{ boot --snapshot snap -e exit.txt >out 2>err </dev/null; st=$?; } &&
	cat err && test $st = 111 &&
	grep -q "unable to create the snapshot files in snap: File exists" err &&
	cmp state.before snap/state
'

# A snapshot taken while the guest holds a vsock connection: vmrun keeps
# none, so the restored guest is told its transport was reset (vmrun.8):
# the connection it thought open ends at once, and a new one reaches the
# host.  The guest takes its snapshot once the host's ACK on that
# connection is in, so the connection is open when it is saved; the host
# never closes its side (its input is a FIFO it holds open itself), so
# only the reset can end it.  cout2 is the restored guest's output alone;
# its connection's end and its own "resumed" line come in either order.
test_expect_success 'a vsock connection open at the snapshot: reset in the restored guest, a new one works' '
	mkdir -p cv/bin &&
	cp "$HUSK_ROOT/build/vm/outb" "$HUSK_ROOT/build/vm/vsockcat" cv/bin/ &&
	cat >cv/init <<-\EOF &&
	#!/bin/sh
	export PATH=/usr/bin:/bin:/usr/sbin:/sbin
	mount -t proc proc /proc
	mount -t devtmpfs dev /dev
	mount -t tmpfs tmp /tmp
	while read -r m; do insmod "/lib/modules/$m"; done </etc/husk/modules
	{
		vsockcat -c 2 6000 </dev/null >/tmp/ack
		echo "T5013-CONN-END $?"; : >/tmp/end
	} &
	n=0
	until grep -q ACK /tmp/ack 2>/dev/null || [ $n = 300 ]; do sleep 0.1; n=$((n + 1)); done
	grep -q ACK /tmp/ack 2>/dev/null && echo T5013-ACKED
	v=$(/bin/outb 0x3f1)
	echo "T5013-RESUMED v=$v"
	n=0
	until [ -e /tmp/end ] || [ $n = 300 ]; do sleep 0.1; n=$((n + 1)); done
	echo again | vsockcat -c 2 6000 >/dev/null && echo T5013-NEW-OK
	poweroff -f
	EOF
	chmod 755 cv/init && l2_image cv.gz cv && mkdir snapc && mkfifo hin &&
	bg sh -c "exec \"\$0\" -U s.sock_6000 <>hin >/dev/null" \
		"$HUSK_ROOT/build/vm/vsockcat" &&
	echo ACK >hin &&
	{ timeout 120 vmrun --snapshot snapc -k "$kernel" -i cv.gz -m 256 -c 2 \
		-a "console=ttyS0 panic=-1 quiet" --vsock "cid=3,uds=$PWD/s.sock" \
		>cout1 2>cerr1 </dev/null; st=$?; } &&
	{ test $st = 4 || { cat cout1 cerr1; false; }; } &&
	grep -q T5013-ACKED cout1 && ! grep -q T5013-CONN-END cout1 &&
	{ bg "$HUSK_ROOT/build/vm/vsockcat" -U r.sock_6000 >back; } &&
	{ timeout 120 vmrun --restore snapc -m 256 -c 2 --vsock "cid=3,uds=$PWD/r.sock" \
		-e cexit >cout2 2>cerr2 </dev/null || { cat cout2 cerr2; false; }; } &&
	cat cout2 &&
	grep -q "T5013-RESUMED v=1" cout2 &&
	grep -q "T5013-CONN-END" cout2 && grep -q T5013-NEW-OK cout2 &&
	grep -qx again back && grep -qx "exit 0 poweroff" cexit
'

test_expect_success 'usage: --restore takes no kernel, initrd or command line; no -n' '
	{ vmrun --restore snap -k "$kernel" 2>err; test $? = 100; } &&
	{ vmrun --restore snap -a x 2>err; test $? = 100; } &&
	{ vmrun -k "$kernel" --snapshot snap -n tap=x 2>err; test $? = 100; } &&
	grep -q "unable to use -n with --snapshot: a snapshot keeps no network device" err
'

test_done
