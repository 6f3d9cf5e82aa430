#!/bin/sh
# husk's asynchronous jobs in real microVMs: 5 at once through relayd
# -j 5 (husk serve), each in its own VM (its own lease and vsock socket)
# with the right result, and husk cancel of a running job.  Nothing may
# be left.
. "$(dirname "$0")/../test-lib.sh"
HUSK_MEM=128 HUSK_BOOT_TIMEOUT=${HUSK_BOOT_TIMEOUT:-480}
. "$HUSK_ROOT/test/husk-vm-lib.sh"

bg husk serve -j 5 2>relayd.log
# Jobs left over are cancelled, so the next test starts clean.
test_expect_success '5 jobs at once: five VMs, every result right' '
	t=$(now) &&
	for i in 1 2 3 4 5; do
		husk submit -t 300 -c "echo job $i; sleep 2; exit $i" || return 1
	done >ids &&
	# All five up at once: five leases, five sockets.
	{ wait_for "test \$(ls state/run/*/v.sock 2>/dev/null | wc -l) = 5" 240 1000 ||
		{ ls -l state/leases state/run/*; false; }; } &&
	# Every job is waited for, even after a wrong one: none may outlive
	# the test.
	bad= i=0 &&
	for id in $(cat ids); do
		i=$((i + 1))
		hwait $id 120; st=$?
		husk logs $id >log.$i
		sed -n 1p log.$i >got.$i && echo "job $i" >want.$i &&
		test $st = $i && test_cmp want.$i got.$i || { bad=1; echo "job $i: exit $st"; cat log.$i; }
	done
	if [ -n "$bad" ]; then
		for id in $(cat ids); do husk cancel $id 2>/dev/null; hwait $id 30; done
	fi
	test -z "$bad" &&
	note "5 jobs through relayd -j 5: $(since $t) s" &&
	clean
'
test_expect_success 'husk cancel of a running job stops its VM and frees everything within a few seconds' '
	husk submit -c "echo started; sleep 600" >id &&
	wait_for "husk logs $(cat id) | grep -q started" 120 &&
	t=$(now) &&
	husk cancel $(cat id) &&
	hwait $(cat id) 60; st=$?
	echo "wait: exit $st" && husk logs $(cat id) &&
	note "cancel: done after $(since $t) s" &&
	test $st = 130 && clean &&
	awk -v s="$(since $t)" "BEGIN { exit !(s + 0 <= 10) }"
'
figures
test_done
