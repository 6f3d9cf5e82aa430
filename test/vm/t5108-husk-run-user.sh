#!/bin/sh
# husk run as an ordinary user in real microVMs (split from t5101, which
# came near the rig's 300 s a test): a job's vmrun runs as the user, no
# interface made, five jobs at once, --net refused, kill -9 mid-job with
# reclaim by the next run.  Nothing may be left.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

# An ordinary user (uid 1000, in the group that may open /dev/kvm, no
# capability: build/vm/asuser, as busybox has no setpriv --reuid) runs
# jobs: state under its XDG_RUNTIME_DIR, vmrun as that user.  /dev/kvm's
# group and mode are put back after.
kvm_g=$(stat -c %g /dev/kvm) kvm_m=$(stat -c %a /dev/kvm)
mkdir -p u1000/run && chown -R 1000:1000 u1000 && chmod 700 u1000/run
chgrp 1000 /dev/kvm && chmod 660 /dev/kvm
# $as_user CMD...: CMD as uid 1000 with its own state; no shell between,
# so that $! of "$as_user husk run ... &" is husk's pid.
as_user="env -u HUSK_STATE XDG_RUNTIME_DIR=$TRASH/u1000/run HOME=$TRASH/u1000 $HUSK_ROOT/build/vm/asuser 1000 1000"
test_expect_success 'an ordinary user: echo hi; exit 4 prints hi, exits 4; vmrun runs as the user; no interface made; nothing left' '
	rm -f out err
	ls /sys/class/net >before &&
	{ $as_user husk run -c "echo hi; echo started; sleep 600" >out 2>err & } &&
	h=$! &&
	wait_for "grep -q started out" 120 &&
	ls /sys/class/net >during && test_cmp before during &&
	j=$(for p in /proc/[0-9]*; do
		read -r c <$p/comm 2>/dev/null && test "$c" = vmrun && echo ${p#/proc/}; done; :) &&
	grep -H "^Uid:\|^CapEff:\|^Seccomp:" /proc/$j/status | sed "s/^/# /" &&
	grep -q "^Uid:[[:space:]]*1000[[:space:]]" /proc/$j/status &&
	grep -q "^Seccomp:[[:space:]]*2$" /proc/$j/status &&
	test -S u1000/run/husk/run/*/v.sock;
	r=$?
	kill -TERM $h; pwait $h 60;
	test $r = 0 &&
	$as_user husk run -c "echo hi; exit 4" >out 2>err; st=$?;
	cat err; test $st = 4 && echo hi >want && test_cmp want out &&
	ls /sys/class/net >after && test_cmp before after &&
	HUSK_STATE=$TRASH/u1000/run/husk clean
'
test_expect_success 'an ordinary user: five jobs at once, each right' '
	t=$(now) &&
	for i in 1 2 3 4 5; do
		{ $as_user husk run -c "echo job $i; exit $i" >out.$i 2>err.$i; echo $? >st.$i; } &
	done;
	wait &&
	note "five jobs at once as uid 1000: $(since $t) s" &&
	for i in 1 2 3 4 5; do
		echo "job $i" >want && test_cmp want out.$i && test "$(cat st.$i)" = $i ||
			{ cat err.$i; return 1; }
	done &&
	HUSK_STATE=$TRASH/u1000/run/husk clean
'
test_expect_success 'an ordinary user: --net is refused (111), needing root' '
	{ $as_user husk run --net -c true 2>err; st=$?; } ;
	cat err && test $st = 111 &&
	grep -q "^husk: fatal: unable to give the job --net: a tap and a bridge need root" err
'
test_expect_success 'an ordinary user: kill -9 mid-job; the next run leaves no vmrun, socket or run directory' '
	rm -f out err
	{ $as_user husk run -c "echo started; sleep 600" >out 2>err & } &&
	h=$! &&
	wait_for "grep -q started out" 120 &&
	kill -9 $h && wait $h;
	$as_user husk run -c "echo again" >out2 2>err2 &&
	echo again >want && test_cmp want out2 &&
	grep -q "reclaiming the stale lease" err2 &&
	HUSK_STATE=$TRASH/u1000/run/husk clean
'
chgrp "$kvm_g" /dev/kvm && chmod "$kvm_m" /dev/kvm
figures
test_done
