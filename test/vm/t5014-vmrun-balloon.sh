#!/bin/sh
# vmrun --balloon (vmrun.8): free page reporting from a stock guest.  The
# husk guest image (its init loads virtio_balloon) boots in 256 MiB; what
# its boot touched and freed goes back to the host, so the resident size
# of guest RAM falls well below its peak while the guest idles; booted
# as husk boots it, under 70 MiB.  A snapshot taken with the balloon is
# restored only with it.
# Needs /dev/kvm: run it with test/vm/rig t5014.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"
kernel=$L2_KERNEL
img=$L2_GUEST

# fell PID: guest RAM resident is 16 MiB or more below the peak seen so
# far (kept in peak).
fell() {
	r=$(guest_rss "$1") && p=$(cat peak) &&
	{ [ "$r" -le "$p" ] || { echo "$r" >peak; p=$r; }; } &&
	[ "$r" -le $((p - 16 * 1024)) ] && echo "$r" >low
}

test_expect_success 'the husk guest image and the kernel' '
	test -s "$img" && test -n "$kernel" &&
	echo "husk.token=t5014" >cl
'

test_expect_success 'an idle guest gives back what its boot freed' '
	echo 0 >peak &&
	bg vmrun -v -k "$kernel" -i "$img" -a "console=ttyS0 panic=-1 quiet" \
		-A cl -m 256 -c 1 --vsock "cid=3,uds=$PWD/v.sock" --balloon \
		--console con -e exit.txt </dev/null 2>err &&
	pid=$! &&
	wait_for "fell $pid" 90 200 &&
	echo "# guest RAM resident: peak $(($(cat peak) / 1024)) MiB, then $(($(cat low) / 1024)) MiB" &&
	kill -TERM $pid && { wait $pid; test $? = 143; } &&
	sed -n "s/.*virtio-balloon: \([0-9]*\) reports, \([0-9]*\) MiB given back.*/\1 \2/p" err >given &&
	cat given && read -r nrep mib <given &&
	test "$nrep" -ge 1 && test "$mib" -ge 64 ||
	{ cat err; tail -n 20 con; false; }
'

# below PID KIB: guest RAM resident is under KIB (once the guest is up:
# it starts at none).
below() {
	r=$(guest_rss "$1") && [ "$r" -gt 0 ] && [ "$r" -lt "$2" ] && echo "$r" >low
}

# As husk run boots it (husk _kcmdline, cmd/husk/run.sh): the vmlinux,
# tracefs left empty (72 MiB in the rig when set, 80 before), the
# per-CPU allocator's first chunk of 4 KiB pages (66 MiB when set, 70
# before; issue 18's goal, under 59, is not met).  The guest's RAM is
# backed by 2 MiB pages: a figure moves in 2 MiB steps.
test_expect_success 'an idle guest booted as husk run boots it holds under 70 MiB' '
	test -n "$L2_VMLINUX" &&
	bg vmrun -k "$L2_VMLINUX" -i "$img" -A cl -m 256 -c 1 \
		-a "$(husk _kcmdline)" --vsock "cid=3,uds=$PWD/m.sock" \
		--balloon --console mcon </dev/null 2>merr &&
	pid=$! &&
	wait_for "guest-agent call -c 1000 -w 1000 -n 1 vsock:$PWD/m.sock:8000 health >/dev/null 2>&1" 60 &&
	wait_for "below $pid $((70 * 1024))" 90 200 &&
	echo "idle husk guest: guest RAM resident $(cat low) KiB" >>figures &&
	kill -TERM $pid && { wait $pid; test $? = 143; } ||
	{ cat merr; tail -n 20 mcon; false; }
'

test_expect_success 'a snapshot taken with --balloon: restored with it, refused without it' '
	printf t5014 >tok && umask 077 && printf t5014-new >newtok && umask 022 &&
	mkdir snap &&
	{ timeout 120 vmrun --snapshot snap -k "$kernel" -i "$img" -m 256 -c 1 \
		-A cl -a "console=ttyS0 panic=-1 quiet husk.snapshot" \
		--vsock "cid=3,uds=$PWD/s.sock" --balloon --console scon \
		</dev/null 2>serr; st=$?; } &&
	{ test $st = 4 || { cat serr; tail -n 20 scon; false; }; } &&
	{ timeout 60 vmrun --restore snap -m 256 -c 1 \
		--vsock "cid=3,uds=$PWD/r.sock" --console none </dev/null 2>rerr
	  st=$?; } &&
	cat rerr && test $st = 111 &&
	grep -q "it has a device this VM has not: balloon" rerr &&
	bg vmrun --restore snap -m 256 -c 1 --vsock "cid=3,uds=$PWD/r.sock" \
		--balloon --console none </dev/null 2>rerr2 &&
	pid=$! &&
	{ guest-agent call -k tok -c 10000 -w 10000 -n 1 \
		"vsock:$PWD/r.sock:8000" rekey newtok >rk; st=$?; } &&
	kill -TERM $pid && { wait $pid; test $? = 143; } &&
	{ test $st = 0 || { cat rk rerr2; false; }; }
'

# The figure, outside any test so it is printed.
[ -f figures ] && sed "s/^/# /" figures
test_done
