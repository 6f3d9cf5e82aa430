#!/bin/sh
# husk snapshot and husk run from it (husk(1) SNAPSHOTS): 20 jobs in a
# row restored from one snapshot, each right, each with its own random
# stream and the host's time; two restored at once each take only their
# own token (not the other's, not the snapshot's); kill -9 of husk run
# while it restores leaves nothing after the next run; a snapshot of
# another kernel, HUSK_APPEND or memory is not used, nor with
# HUSK_SNAPSHOT=0.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

test_expect_success 'husk snapshot: the sh image booted once, kept in HUSK_IMAGES/sh.snap' '
	t=$(now) &&
	husk snapshot >out 2>err &&
	note "husk snapshot: $(since $t) s" &&
	echo "$HUSK_IMAGES/sh.snap" >want && test_cmp want out &&
	for f in mem state key token; do test -f "$HUSK_IMAGES/sh.snap/$f" || return 1; done &&
	test "$(stat -c %a "$HUSK_IMAGES/sh.snap/token")" = 600 &&
	! ls -a "$HUSK_IMAGES" | grep -q "^\.sh\.snap" && clean
'

# Each job prints 32 bytes of /dev/urandom in hex and its clock.  Without
# the rekey's entropy every VM restored from one snapshot would print the
# same bytes; without its time, the snapshot's.
test_expect_success '20 jobs in a row from the snapshot: right, each random stream its own, the clock right' '
	: >rand && i=0 && t=$(now) &&
	while [ $i -lt 20 ]; do
		{ HUSK_VERBOSE=1 husk run -c "head -c 32 /dev/urandom | od -An -tx1 | tr -d \" \\n\"; echo; date +%s; exit 7" \
			>out 2>err; st=$?; } &&
		test $st = 7 && grep -q "(restored from $HUSK_IMAGES/sh.snap)" err &&
		test "$(wc -l <out)" = 2 || { cat out err; return 1; }
		head -n 1 out >>rand &&
		d=$(tail -n 1 out) h=$(date +%s) &&
		test $((d - h)) -le 2 && test $((h - d)) -le 2 || { echo "guest $d host $h"; return 1; }
		i=$((i + 1))
	done &&
	note "20 restored jobs: $(since $t) s" &&
	test "$(sort -u rand | wc -l)" = 20 &&
	test "$(awk "{ print length }" rand | sort -u)" = 64 && clean
'

# What husk run does, by hand: a restored agent answers /health, but 409
# to a job until it is rekeyed (the snapshot's token, secrets and random
# state are every restored VM's), then takes the new token alone.
test_expect_success 'a restored agent runs nothing before its rekey (409), then only with the new token' '
	mkdir r &&
	vmrun --restore "$HUSK_IMAGES/sh.snap" -m $HUSK_MEM -c 1 \
	    --vsock cid=3,uds=$PWD/r/v.sock --balloon --console r/console -e r/exit </dev/null &
	v=$! &&
	s=vsock:$PWD/r/v.sock:8000 &&
	wait_for "guest-agent call -c 1000 -w 1000 -n 1 $s health >/dev/null 2>&1" 60 &&
	{ guest-agent call -k "$HUSK_IMAGES/sh.snap/token" -n 1 $s exec echo x 2>e; test $? = 100; } &&
	grep -q " 409 " e &&
	(umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d " \n" >r/token) &&
	guest-agent call -k "$HUSK_IMAGES/sh.snap/token" -n 1 $s rekey r/token >/dev/null &&
	guest-agent call -k r/token -n 1 $s exec echo x >o &&
	echo x >want && test_cmp want o &&
	{ guest-agent call -k "$HUSK_IMAGES/sh.snap/token" -n 1 $s exec echo x 2>e; test $? = 100; } &&
	grep -q " 401 " e &&
	guest-agent call -k r/token -n 1 $s shutdown >/dev/null;
	wait $v && grep -qx "exit 0 poweroff" r/exit && clean
'

test_expect_success 'two restored at once: each agent takes its own token, not the other one, not the snapshot one' '
	rm -f outa outb
	husk run -c "echo started; sleep 600" >outa 2>erra &
	ha=$!
	husk run -c "echo started; sleep 600" >outb 2>errb &
	hb=$!
	wait_for "grep -q started outa && grep -q started outb" 120 &&
	set -- $(ls state/run) && test $# = 2 &&
	a=$PWD/state/run/$1 b=$PWD/state/run/$2 &&
	! cmp -s $a/token $b/token &&
	guest-agent call -k $b/token -n 1 vsock:$b/v.sock:8000 exec echo mine >mine &&
	echo mine >want && test_cmp want mine &&
	{ guest-agent call -k $a/token -n 1 vsock:$b/v.sock:8000 exec echo theirs 2>e1; test $? != 0; } &&
	{ guest-agent call -k $HUSK_IMAGES/sh.snap/token -n 1 vsock:$b/v.sock:8000 exec echo snap 2>e2; test $? != 0; } &&
	grep -q " 401 " e1 && grep -q " 401 " e2 &&
	kill -TERM $ha $hb && { wait $ha; test $? = 143; } && { wait $hb; test $? = 143; } && clean
'

test_expect_success 'kill -9 of husk run while it restores; the next run leaves nothing' '
	rm -f out err
	husk run -c "echo late" >out 2>err &
	h=$! &&
	wait_for "grep -qs \"^vmrun \" state/leases/*" 60 &&
	kill -9 $h && wait $h;
	husk run -c "echo again" >out2 2>err2 &&
	echo again >want && test_cmp want out2 &&
	grep -q "reclaiming the stale lease" err2 && clean
'

test_expect_success 'another kernel, HUSK_APPEND or -m: the snapshot is not used, the job boots' '
	cp "$(ls $HUSK_ROOT/build/kernel/root/boot/vmlinuz-* | sort -V | tail -n 1)" kernel &&
	HUSK_KERNEL=$PWD/kernel HUSK_VERBOSE=1 husk run -c "echo k" >out 2>err &&
	grep -q "the snapshot .* is stale" err && ! grep -q "restored from" err &&
	HUSK_APPEND=loglevel=3 HUSK_VERBOSE=1 husk run -c "echo a" >out 2>err &&
	grep -q "is stale" err && ! grep -q "restored from" err &&
	HUSK_VERBOSE=1 husk run -m 160 -c "echo m" >out 2>err &&
	grep -q "is stale" err && ! grep -q "restored from" err &&
	echo m >want && test_cmp want out && clean
'

test_expect_success 'HUSK_SNAPSHOT=0: booted; HUSK_SNAPSHOT=x: usage' '
	HUSK_SNAPSHOT=0 HUSK_VERBOSE=1 husk run -c "echo b" >out 2>err &&
	! grep -q "restored from" err && echo b >want && test_cmp want out &&
	{ HUSK_SNAPSHOT=x husk run -c "echo b" 2>err; test $? = 100; } &&
	grep -q "unable to parse HUSK_SNAPSHOT x: not 0 or 1" err && clean
'

test_expect_success 'a snapshot in a HUSK_IMAGES others may write, or with a file others may write: not used' '
	chmod 777 "$HUSK_IMAGES" &&
	HUSK_VERBOSE=1 husk run -c "echo w" >out 2>err; st=$?
	chmod 755 "$HUSK_IMAGES" &&
	test $st = 0 && grep -q "unable to use the snapshot .*: not ours alone" err &&
	! grep -q "restored from" err &&
	chmod 622 "$HUSK_IMAGES/sh.snap/mem" &&
	HUSK_VERBOSE=1 husk run -c "echo w" >out 2>err; st=$?
	chmod 600 "$HUSK_IMAGES/sh.snap/mem" &&
	test $st = 0 && grep -q "unable to use the snapshot .*: not ours alone" err &&
	! grep -q "restored from" err && clean
'
test_expect_success 'a snapshot directory others may write is not used' '
	chmod 777 "$HUSK_IMAGES/sh.snap" &&
	HUSK_VERBOSE=1 husk run -c "echo w" >out 2>err; st=$?
	chmod 700 "$HUSK_IMAGES/sh.snap" &&
	test $st = 0 && grep -q "unable to use the snapshot .*: not ours alone" err &&
	! grep -q "restored from" err && clean
'
# A snapshot that fails (here: no agent within HUSK_BOOT_TIMEOUT) leaves
# no temporary folder, and the snapshot in place is kept as it was.
test_expect_success 'husk snapshot that times out: 112, no temporary folder, the old snapshot kept' '
	cat "$HUSK_IMAGES/sh.snap/key" >key.before &&
	{ HUSK_BOOT_TIMEOUT=1 husk snapshot >out 2>err; st=$?; } &&
	{ test $st = 112 && grep -q "unable to snapshot the sh image: .*timed out" err ||
		{ echo "exit $st"; cat err; false; }; } &&
	test -z "$(ls -a "$HUSK_IMAGES" | grep "^\.sh\.snap")" &&
	test_cmp key.before "$HUSK_IMAGES/sh.snap/key" && clean
'

figures
test_done
