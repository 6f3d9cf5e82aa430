#!/bin/sh
# husk run refuses bad input before it touches the network or a VM, with
# the exit codes of husk(1); a failed run leaves no lease behind.
. "$(dirname "$0")/test-lib.sh"

HUSK_STATE=$PWD/state
export HUSK_STATE
unset HUSK_POOL HUSK_PREFIX HUSK_KERNEL HUSK_IMAGES

test_expect_code 100 'no code, file or argv is a usage error' 'husk run'
test_expect_code 100 'no verb is a usage error' 'husk'
test_expect_code 100 'an unknown verb is a usage error' 'husk frobnicate'
test_expect_code 0 'husk -h prints the usage and exits 0' \
	'husk -h 2>err && grep -q "^usage: husk run" err'

test_expect_success 'empty code: exit 100, says so' '

	{ husk run -c "" 2>err; test $? = 100; } &&
	grep -q "^husk: fatal: unable to run empty code" err
'
test_expect_success 'an empty file: exit 100, says so' '
	: >empty &&
	{ husk run -f empty 2>err; test $? = 100; } &&
	grep -q "empty code: empty is empty" err
'
test_expect_success 'an unknown language: exit 100, lists the known ones' '
	{ husk run -l cobol -c "DISPLAY 1" 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to run language cobol: not one of: sh python3 lua c node" err
'
test_expect_success 'both -c and -f: exit 100' '
	echo x >f && { husk run -c x -f f 2>err; test $? = 100; } &&
	grep -q "give one of -c code, -f file, -- argv" err
'
for bad in "-t 0" "-t 86401" "-t x" "-m 1" "-n 0" "-n 65"; do
	test_expect_code 100 "run $bad is refused" "husk run $bad -c true"
done

for p in 0 31 32 -1 x 024; do
	test_expect_success "prefix '$p': exit 100, names HUSK_PREFIX" '
		{ HUSK_PREFIX=$p husk run -c true 2>err; test $? = 100; } &&
		grep -q "^husk: fatal: unable to .* HUSK_PREFIX" err
	'
done
for a in 10.0.0 10.0.0.256 10.0.0.0.1 a.b.c.d 010.0.0.1 10.0.0.0/24; do
	test_expect_success "pool '$a': exit 100, names HUSK_POOL" '
		{ HUSK_POOL=$a husk run -c true 2>err; test $? = 100; } &&
		grep -q "^husk: fatal: unable to parse HUSK_POOL" err
	'
done

test_expect_success 'a pool with no free address: exit 75, says so' '
	bg sleep 300 && owner=$! &&
	HUSK_PREFIX=30 husk _lease other $owner >addr &&
	{ HUSK_PREFIX=30 husk run -c "echo hi" 2>err; test $? = 75; } &&
	grep -qx "husk: fatal: unable to lease an address in 10.201.0.0/30: all 1 in use (see $HUSK_STATE/leases)" err &&
	ls state/leases >leases && echo 10.201.0.2 >want && test_cmp want leases
'
test_expect_success 'a run that cannot boot (no KVM, vmrun or kernel) exits 111, lease released' '
	rm -f state/leases/* &&
	{ HUSK_KERNEL=/nonexistent husk run -c "echo hi" 2>err; test $? = 111; } &&
	grep -q "^husk: fatal: unable to find" err &&
	test_empty state/leases state/run
'
test_expect_success 'the default kernel is the highest version, 6.1.0-10 over 6.1.0-9' '
	mkdir -p tree/bin tree/build/kernel/root/boot &&
	cp "$HUSK_ROOT/bin/husk" tree/bin/ &&
	for v in 6.1.0-9 6.1.0-10 6.1.0-2; do
		: >tree/build/kernel/root/boot/vmlinuz-$v || return 1
	done &&
	{ tree/bin/husk doctor >out; test $? = 1; } &&
	grep -qx "ok       kernel $PWD/tree/build/kernel/root/boot/vmlinuz-6.1.0-10" out
'
test_expect_success 'the uncompressed vmlinux of that version is taken before it; another version'"'"'s is not' '
	: >tree/build/kernel/root/boot/vmlinux-6.1.0-9 &&
	{ tree/bin/husk doctor >out; test $? = 1; } &&
	grep -qx "ok       kernel $PWD/tree/build/kernel/root/boot/vmlinuz-6.1.0-10" out &&
	: >tree/build/kernel/root/boot/vmlinux-6.1.0-10 &&
	{ tree/bin/husk doctor >out; test $? = 1; } &&
	grep -qx "ok       kernel $PWD/tree/build/kernel/root/boot/vmlinux-6.1.0-10" out
'
test_expect_success 'a vmlinux older than its vmlinuz (a stale extraction) is not taken' '
	touch -d "2000-01-01" tree/build/kernel/root/boot/vmlinux-6.1.0-10 &&
	{ tree/bin/husk doctor >out; test $? = 1; } &&
	grep -qx "ok       kernel $PWD/tree/build/kernel/root/boot/vmlinuz-6.1.0-10" out
'
test_expect_success 'a tree with only a vmlinux boots it' '
	mkdir -p t2/bin t2/build/kernel/root/boot && cp "$HUSK_ROOT/bin/husk" t2/bin/ &&
	: >t2/build/kernel/root/boot/vmlinux-6.1.0-4 &&
	{ t2/bin/husk doctor >out; test $? = 1; } &&
	grep -qx "ok       kernel $PWD/t2/build/kernel/root/boot/vmlinux-6.1.0-4" out
'
test_expect_success 'a tree with no kernel under a folder named vmlinuz-x: its own vmlinuz is missing' '
	mkdir -p vmlinuz-x/t3/bin vmlinuz-x/t3/build/kernel/root/boot &&
	cp "$HUSK_ROOT/bin/husk" vmlinuz-x/t3/bin/ &&
	mkdir -p vmlinux-x/t3/build/kernel/root/boot &&
	: >vmlinux-x/t3/build/kernel/root/boot/vmlinuz &&
	{ vmlinuz-x/t3/bin/husk doctor >out; test $? = 1; } &&
	grep -qx "missing  kernel $PWD/vmlinuz-x/t3/build/kernel/root/boot/vmlinuz" out
'
# The workspace and copy-out options are checked before a lease is taken.
test_expect_success '-C that is not a directory: exit 100, says so' '
	: >notdir &&
	{ husk run -C notdir -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to use workspace notdir: not a directory" err
'
test_expect_success '-x without -C: exit 100' '
	{ husk run -x .git -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to exclude without a workspace: -x needs -C" err
'
test_expect_success '-o into a directory that is not there: exit 100' '
	{ husk run -o out:nodir -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to copy out to nodir: not a directory" err
'
test_expect_success '-o with no path: exit 100' '
	{ husk run -o :. -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to copy out :.: no path" err
'
test_expect_success '-o or -x holding a newline: exit 100' '
	{ husk run -o "a
b" -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to use -o: it holds a newline" err &&
	{ husk run -C . -x "a
b" -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to use -x: it holds a newline" err
'
test_expect_success 'HUSK_WORKSPACE_MAX that is not a number: exit 100' '
	{ HUSK_WORKSPACE_MAX=1k husk run -C . -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to parse HUSK_WORKSPACE_MAX 1k: not a number" err
'
test_expect_success 'none of these took a lease' '
	ls state/leases >leases && test ! -s leases
'

test_done
