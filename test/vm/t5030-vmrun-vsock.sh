#!/bin/sh
# vmrun's virtio-vsock end to end (runs where KVM works: the rig's L1 guest).
#
# The L2 initramfs is the rig's guest image with its /init replaced and
# the kernel's vsock modules (vsock, vmw_vsock_virtio_transport_common,
# vmw_vsock_virtio_transport: the rig's /etc/rig/modules.vsock, made by
# mkbase) added to its module list; build/vm/vsockcat is the vsock tool
# on both sides (busybox has none).  vmrun --vsock cid=3,uds=v.sock; then:
#   - L1 connects to v.sock, CONNECT 5001, and sends VSOCK_MB (64) MiB:
#     the guest's sha256 of what it got must be ours;
#   - the guest connects to host port 6000, which reaches L1's listener
#     at v.sock_6000, and sends the same bytes back: same sha256;
#   - 100 connections at once from L1 to the guest's echo on 5002, each
#     its own line back;
#   - SIGTERM: vmrun exits 143, no vmrun left, no socket fd left.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"

root=$HUSK_ROOT/build/kernel/root
kver=$(ls "$root/boot" 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
kernel=$root/boot/vmlinuz-$kver
vsockcat=$HUSK_ROOT/build/vm/vsockcat
mb=${VSOCK_MB:-64}

now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$1 $(now)" | awk '{ printf "%.2f", $2 - $1 }'; }
exited() {
	s=$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)
	[ -z "$s" ] || [ "$s" = Z ]
}
note() { echo "$*" >>"$TRASH/figures"; }
con() { tr -d '\r' <console; }
sum() { sha256sum <"$1" | cut -d" " -f1; }
# Connect to the guest's port $1 through v.sock: it may not listen yet
# (the guest's RST: vsockcat exits 1 at once), so retry.
connect() {
	port=$1; shift
	i=0
	while [ $i -lt 50 ]; do
		"$vsockcat" -u v.sock "$port" "$@" && return 0
		i=$((i + 1))
		sleep 0.2
	done
	return 1
}

if ! [ -f /etc/rig/modules.vsock ]; then
	echo "1..0 # SKIP not in the rig's first-level guest (test/vm/rig): the guest's vsock modules come from there"
	exit 0
fi
if ! command -v vmrun >/dev/null || [ ! -x "$vsockcat" ]; then
	echo "1..0 # SKIP bin/vmrun or build/vm/vsockcat is not built in this tree"
	exit 0
fi

test_expect_success 'set-up: kernel, L2 image with the vsock modules and the test /init' '
	test -f "$kernel" &&
	mkdir -p ov/bin ov/etc/husk x &&
	cp "$vsockcat" ov/bin/vsockcat &&
	(cd x && gzip -dc "$L2_GUEST" | cpio -i -d etc/husk/modules 2>/dev/null) &&
	cp x/etc/husk/modules ov/etc/husk/modules &&
	while read -r m; do
		grep -qx "$m" ov/etc/husk/modules && continue
		mkdir -p "ov/lib/modules/${m%/*}" &&
		cp "/lib/modules/$m" "ov/lib/modules/$m" &&
		echo "$m" >>ov/etc/husk/modules || return 1
	done </etc/rig/modules.vsock &&
	grep -q vmw_vsock_virtio_transport.ko ov/etc/husk/modules &&
	cat >ov/init <<-\EOF &&
	#!/bin/sh
	export PATH=/usr/bin:/bin:/usr/sbin:/sbin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev 2>/dev/null
	mount -t tmpfs -o mode=1777 tmp /tmp
	while read -r m; do
		insmod "/lib/modules/$m" || echo "@@l2 insmod $m failed"
	done </etc/husk/modules
	vsockcat -n 100 -e -l 5002 &
	{
		vsockcat -l 5001 </dev/null >/tmp/d
		echo "@@l2 got $(sha256sum </tmp/d | cut -d" " -f1)"
		vsockcat -c 2 6000 </tmp/d >/dev/null && echo "@@l2 sent" ||
			echo "@@l2 send failed"
	} &
	sleep 1
	echo "@@l2 up $(ls /sys/bus/virtio/drivers/vmw_vsock_virtio_transport 2>/dev/null | grep -c virtio)"
	wait
	# Up until L1 stops vmrun (the SIGTERM test).
	echo "@@l2 done"
	while :; do sleep 1000; done
	EOF
	chmod 755 ov/init &&
	l2_image l2.img ov &&
	dd if=/dev/urandom of=data bs=1M count="$mb" 2>/dev/null &&
	sum data >data.sum
'
test_expect_code 111 'a vsock PATH that is not a socket: clear error, exit 111' '
	: >notsock &&
	vmrun -k "$kernel" -i l2.img -m 64 --vsock cid=3,uds=notsock --console none </dev/null
' '^vmrun: fatal: unable to listen on notsock: '
test_expect_success 'vmrun boots with --vsock; the vsock driver of the guest binds it' '
	{ bg "$vsockcat" -U v.sock_6000 </dev/null >back; } &&
	echo $! >back.pid &&
	t0=$(now) &&
	{ bg vmrun -v -k "$kernel" -i l2.img -m 512 -c 1 -a "console=ttyS0 quiet panic=-1" \
		--vsock "cid=3,uds=$TRASH/v.sock" --console stdio -e exit.st </dev/null >console 2>err; } &&
	echo $! >pid &&
	wait_for "con | grep -q \"^@@l2 up\" || exited $(cat pid)" 120 &&
	con | grep -qx "@@l2 up 1" &&
	note "boot to the vsock driver bound: $(since $t0) s" &&
	test -S v.sock
'
con 2>/dev/null | grep -q '^@@l2 up' || {
	echo "# vmrun stderr and the guest console:"; cat err console | tail -n 40 | sed 's/^/#  | /'
} >&2
test_expect_success "$mb MiB from L1 to the guest (CONNECT 5001), same sha256" '
	t0=$(now) &&
	connect 5001 <data >/dev/null &&
	wait_for "con | grep -q \"^@@l2 got\"" 120 200 &&
	note "L1 -> guest $mb MiB: $(since $t0) s" &&
	test "$(con | sed -n "s/^@@l2 got //p")" = "$(cat data.sum)"
'
test_expect_success "$mb MiB from the guest to L1 (its port 6000 is v.sock_6000), same sha256" '
	t0=$(now) &&
	wait_for "con | grep -q \"^@@l2 sen\" || exited $(cat pid)" 120 200 &&
	con | grep -qx "@@l2 sent" &&
	wait_for "exited $(cat back.pid)" 30 &&
	note "guest -> L1 $mb MiB: $(since $t0) s" &&
	test "$(sum back)" = "$(cat data.sum)" || {
		echo "got $(wc -c <back) bytes"; tail -n 5 err; con | tail -n 15; false; }
'
test_expect_success '100 connections at once, each its own echo' '
	t0=$(now) &&
	"$vsockcat" -n 100 -u v.sock 5002 >many &&
	test "$(cat many)" = "ok 100" &&
	note "100 connections, echo each: $(since $t0) s"
'
test_expect_success 'SIGTERM: vmrun exits 143, no vmrun left; PATH stays, as vmrun.8 says' '
	pid=$(cat pid) &&
	note "vmrun: $(ls /proc/$pid/task | wc -l) threads, $(ls /proc/$pid/fd | wc -l) fds" &&
	kill -TERM "$pid" &&
	wait_for "exited $pid" 10 &&
	{ wait "$pid"; test $? = 143; } &&
	grep -q "^exit 143 " exit.st &&
	! pidof vmrun &&
	test -S v.sock
'
note "$(sed -n "s/^vmrun: info: virtio-vsock: //p" err 2>/dev/null)"
[ -f figures ] && sed "s/^/# /" figures
if [ "$test_failed" != 0 ]; then
	echo "# vmrun: $(cat exit.st 2>/dev/null); its stderr and the guest console:"
	{ cat err; con | tail -n 30; } 2>/dev/null | tr -d "\r" | sed "s/^/#  | /"
fi
test_done
