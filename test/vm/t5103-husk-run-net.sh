#!/bin/sh
# husk run --net end to end in real microVMs: the jobs of t5101 that
# need nothing but husk run, with a network this time (a tap on the
# fenced bridge, NAT; the agent still over vsock): output streams and
# status, argv, python3, the job's own address on eth0, SIGTERM and
# kill -9 mid-job with the tap reclaimed.  Nothing may be left.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

sysctl -w net.ipv4.ip_forward=1 >/dev/null

test_expect_success 'husk run --net -c: hi on stdout, err on stderr, exit 3; its tap on the bridge while it runs' '
	t=$(now) &&
	HUSK_VERBOSE=1 husk run --net -c "echo hi; echo err >&2; exit 3" >out 2>err; st=$? &&
	note "husk run --net echo hi: $(since $t) s ($(grep "agent up" err | sed "s/.*agent up after //"))" &&
	grep -q "^husk: info: job .*: 10.201.0.2/24 via 10.201.0.1 on hk[0-9a-f]\{13\}$" err &&
	grep -v -e "^husk: info:" -e "^vmrun: info:" err >err2 &&
	test $st = 3 && echo hi >want && test_cmp want out &&
	echo err >want && test_cmp want err2 && clean
'
test_expect_success 'husk run --net -- argv, and python3: the results' '
	husk run --net -- uname -r >out &&
	basename $HUSK_ROOT/build/kernel/root/boot/vmlinuz-* | sed "s/^vmlinuz-//" >want &&
	test_cmp want out &&
	echo "print(6*7)" | husk run --net -l python3 -f - >out &&
	echo 42 >want && test_cmp want out && clean
'
test_expect_success 'the job has eth0 with its lease'"'"'s address and a default route' '
	husk run --net -c "ip -4 -o addr show dev eth0 | sed \"s/.* inet \([0-9./]*\).*/\1/\"; ip route | grep ^default" >out &&
	cat out && sed -n 1p out | grep -qx "10.201.0.2/24" &&
	sed -n 2p out | grep -q "^default via 10.201.0.1 " && clean
'
test_expect_success 'SIGTERM mid-job: VM and tap torn down, exit 143' '
	rm -f out err
	husk run --net -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	tap=$(sed -n "s/^tap //p" state/leases/*) && test -e /sys/class/net/$tap &&
	kill -TERM $h && pwait $h 60; st=$? &&
	test $st = 143 && test ! -e /sys/class/net/$tap && clean
'
test_expect_success 'kill -9 mid-job, then another run: the stale lease, tap and vmrun are reclaimed' '
	rm -f out err
	husk run --net -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 120 &&
	lease=$(ls state/leases) && tap=$(sed -n "s/^tap //p" state/leases/$lease) &&
	kill -9 $h && wait $h;
	test -e state/leases/$lease &&
	husk run --net -c "echo again" >out2 2>err2 &&
	echo again >want && test_cmp want out2 &&
	grep -q "reclaiming the stale lease of $lease" err2 &&
	test ! -e /sys/class/net/$tap && clean
'
figures
test_done
