#!/bin/sh
# husk serve -p N (husk(1) Snapshots, the pool): N VMs restored from the
# snapshot and rekeyed, ready; husk run takes one (once: a used VM is
# thrown away and another restored), each with its own token and random
# stream; kill -9 of husk run during a pooled job, or of husk serve,
# leaves nothing behind; husk serve stopping lets a pooled job finish; a
# job the pool cannot serve (-m, another language, HUSK_SNAPSHOT=0)
# starts its own VM and stops none; a dead owner's offer is skipped; a
# pool folder others may write is refused; VMs of a changed image are
# stopped and the pool made again.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

pool=$HUSK_STATE/pool
# ready N: N pooled VMs on offer, within 120 s.
ready() { wait_for "test \$(ls $pool 2>/dev/null | grep -c \"\\.ready\$\") = $1" 120 200; }
# gone: no vmrun, lease, run directory or pool entry left, within 30 s.
gone() {
	wait_for "clean >/dev/null && test -z \"\$(ls $pool 2>/dev/null)\"" 30 200 ||
		{ clean; ls -l "$pool"; return 1; }
}

test_expect_success 'husk serve -p 2 keeps two VMs ready (taking the snapshot it needs)' '
	husk serve -p 2 >serve.out 2>serve.err &
	echo $! >serve.pid &&
	ready 2 &&
	test -d "$HUSK_IMAGES/sh.snap" &&
	test "$(stat -c %a "$pool")" = 700 &&
	for e in "$pool"/*.ready; do
		grep -q "^vmrun [0-9]* [0-9]*$" "$e" && grep -q "^owner " "$e" || return 1
	done
'

# Each job prints 32 bytes of /dev/urandom in hex: every pooled VM was
# rekeyed with its own entropy, so no two print the same.
test_expect_success '6 jobs in a row from the pool: right, each its own random stream and token' '
	: >rand && : >toks && i=0 &&
	while [ $i -lt 6 ]; do
		ready 2 &&
		{ HUSK_VERBOSE=1 husk run -c "head -c 32 /dev/urandom | od -An -tx1 | tr -d \" \\n\"; echo; exit 7" \
			>out 2>err; st=$?; } &&
		test $st = 7 && grep -q "a pooled VM" err || { cat out err; return 1; }
		cat out >>rand &&
		i=$((i + 1))
	done &&
	test "$(sort -u rand | wc -l)" = 6 &&
	test "$(awk "{ print length }" rand | sort -u)" = 64 &&
	ready 2 && for e in "$pool"/*.ready; do
		d=$(sed -n "s/^dir //p" "$e") && cat "$d/token" >>toks && echo >>toks || return 1
	done &&
	test "$(sort -u toks | wc -l)" = 2
'

# After the job: the used VM's vmrun, lease, run directory and entry go,
# and the pool is two again (one offered during the job, one restored).
steady() {
	wait_for "test \$(ls $HUSK_STATE/leases | wc -l) = 2 && test \$(ls $HUSK_STATE/run | wc -l) = 2 && test \$(ls $pool | wc -l) = 2 && test \$(ls $pool | grep -c \"\\.ready\$\") = 2 && test \$(vmruns) = 2" 60 200 || {
		echo "leases: $(ls $HUSK_STATE/leases)"; echo "run: $(ls $HUSK_STATE/run)"
		echo "pool: $(ls $pool)"; echo "vmruns: $(vmruns)"; ps; return 1; }
}
# vmruns: how many VMs run.
vmruns() {
	n=0
	for p in /proc/[0-9]*; do
		{ read -r c <"$p/comm" && read -r s <"$p/stat"; } 2>/dev/null || continue
		s=${s##*) }
		[ "$c" = vmrun ] && [ "${s%% *}" != Z ] || continue
		# (a jailed vmrun is two: the jail's child is not counted)
		s=${s#* }; read -r c <"/proc/${s%% *}/comm" 2>/dev/null
		[ "$c" = vmrun ] || n=$((n + 1))
	done
	echo $n
}
test_expect_success 'a used VM is thrown away after its job, and the pool is two again' '
	steady &&
	HUSK_VERBOSE=1 husk run -c "echo \$\$" >out 2>err &&
	grep -q "a pooled VM" err &&
	steady
'

test_expect_success 'jobs the pool cannot serve start their own VM: -m, HUSK_SNAPSHOT=0' '
	ready 2 &&
	HUSK_VERBOSE=1 husk run -m 256 -c "echo a" >out 2>err || { cat err; return 1; }
	! grep -q "a pooled VM" err && echo a >want && test_cmp want out &&
	HUSK_SNAPSHOT=0 HUSK_VERBOSE=1 husk run -c "echo b" >out 2>err || { cat err; return 1; }
	! grep -q "a pooled VM" err && echo b >want && test_cmp want out &&
	steady
'

test_expect_success 'kill -9 of husk run during a pooled job: its VM is stopped and removed' '
	ready 2 &&
	n0=$(ls /proc | grep -c "^[0-9]") &&
	husk run -c "echo started; sleep 600" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 60 100 &&
	c=$(ls "$pool" | grep "\.claimed\.$h\.") &&
	kill -9 $h && wait $h;
	wait_for "! test -e \"$pool/$c\"" 30 200 &&
	steady
'

# A job of another language takes none and stops none: the pool's
# offers are the same two after it.
test_expect_success 'a job of another language leaves the pool alone' '
	steady &&
	cat "$pool"/*.ready >before &&
	husk run -l python3 -c "print(6*7)" >out &&
	echo 42 >want && test_cmp want out &&
	cat "$pool"/*.ready >after && test_cmp before after
'

# An owner killed with -9 (its vmrun runs on: no parent-death signal
# here) leaves its offer: husk run skips it, and its job runs in the
# other VM.  The keeper is stopped meanwhile: its next lease would
# reclaim the dead owner's first.  Then it reclaims it, and the job's VM
# was not the dead one's.
test_expect_success 'an offer whose owner died is skipped; the job in another VM runs whole' '
	steady &&
	set -- "$pool"/*.ready &&
	o=$(sed -n "s/^owner \([0-9]*\) .*/\1/p" "$1") &&
	k=$(awk "{ print \$4 }" /proc/$o/stat) &&
	a=${1##*/} && a=${a%.ready} &&
	kill -STOP "$k" && kill -9 "$o" &&
	{ HUSK_VERBOSE=1 husk run -c "sleep 2; echo done" >out 2>err; st=$?; }
	kill -CONT "$k" &&
	test $st = 0 && echo done >want && test_cmp want out &&
	grep -q "a pooled VM, lease" err && ! grep -q "a pooled VM, lease $a$" err &&
	steady
'

# A pool folder others may write: whoever can would choose the socket a
# job and its token go to.  husk run refuses it (111), naming it.
test_expect_success 'a pool folder writable by others is refused' '
	steady &&
	chmod 733 "$pool" &&
	{ husk run -c "echo x" >out 2>err; st=$?; chmod 700 "$pool"; } &&
	test $st = 111 && grep -q "unable to use $pool: writable by others" err &&
	test ! -s out
'

# The image changed (its mtime: the key has it): the pooled VMs, of the
# old one, are stopped, not used; the keeper takes a new snapshot and
# offers VMs of it.
test_expect_success 'pooled VMs of another image are not used; the pool is made again from a new snapshot' '
	steady &&
	i=$(husk _image sh) && touch "$i" &&
	HUSK_VERBOSE=1 husk run -c "echo x" >out 2>err &&
	grep -q "a pooled VM is of an older kernel, image or vmrun" err &&
	! grep -q "a pooled VM, lease" err &&
	echo x >want && test_cmp want out &&
	steady &&
	HUSK_VERBOSE=1 husk run -c "echo y" >out 2>err &&
	grep -q "a pooled VM, lease" err && echo y >want && test_cmp want out
'

test_expect_success 'husk serve stopping during a pooled job: the job runs whole; the idle VMs stop' '
	steady &&
	husk run -c "echo started; sleep 3; echo done" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 60 100 &&
	kill -TERM $(cat serve.pid) && { pwait $(cat serve.pid) 60; test $? != 124; } &&
	pwait $h && printf "started\ndone\n" >want && test_cmp want out &&
	gone
'

test_expect_success 'kill -9 of husk serve: the pool stops its VMs and leaves nothing' '
	husk serve -p 2 >serve.out 2>serve.err &
	echo $! >serve.pid &&
	ready 2 &&
	kill -9 $(cat serve.pid) && wait $(cat serve.pid);
	gone
'

test_expect_code 100 'husk serve -p 0 is refused' 'husk serve -p 0' 'unable to use -p 0'
test_expect_code 100 'husk serve -p 2 -l cobol is refused' 'husk serve -p 2 -l cobol' 'unable to pool language cobol'
test_expect_code 100 'husk serve -p 2 with HUSK_SNAPSHOT=0 is refused' 'HUSK_SNAPSHOT=0 husk serve -p 2' 'unable to pool VMs with HUSK_SNAPSHOT=0'

test_done
