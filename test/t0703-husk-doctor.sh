#!/bin/sh
# husk doctor says what this machine lacks for husk run and how to fix it.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'doctor reports /dev/kvm as it is on this machine' '
	husk doctor >out; rc=$?
	cat out &&
	if [ -c /dev/kvm ]; then
		grep -qx "ok       /dev/kvm" out &&
		# It boots the kernel, or it says why not.  The test rig checks
		# the "ok" where KVM does work (test/vm/t5001).
		if ! grep -q "^ok       kernel " out; then
			! grep -q "boots" out
		elif grep -q "^ok       /dev/kvm boots" out; then
			grep -q "^ok       /dev/kvm boots the kernel ([0-9]* ms to its first userspace step)$" out
		else
			test $rc = 1 &&
			grep -q "^missing  a /dev/kvm that boots .*: vmrun got no further within 20s" out &&
			{ [ ! -d /sys/module/kvm_pvm ] || grep -q "this KVM is kvm_pvm" out; }
		fi
	else
		test $rc = 1 &&
		grep -qx "missing  /dev/kvm (no KVM on this machine)" out &&
		grep -A1 "^missing  /dev/kvm" out | grep -q "fix: load kvm_intel or kvm_amd.*make demo" &&
		grep -q "^husk run cannot run here: [0-9]* missing" out
	fi
'
test_expect_success 'a missing kernel is named, with make kernel as the fix' '
	HUSK_KERNEL=/nonexistent/vmlinuz husk doctor >out; test $? = 1 &&
	grep -qx "missing  kernel /nonexistent/vmlinuz" out &&
	grep -A1 "^missing  kernel" out | grep -q "fix: run make kernel"
'
if [ -c /dev/kvm ] && [ -w /dev/kvm ]; then
	test_expect_success 'a kernel that is no bzImage does not boot: the probe says so' '
		head -c 100000 /dev/zero >garbage &&
		HUSK_KERNEL=$PWD/garbage husk doctor >out; test $? = 1 &&
		grep -q "^missing  a /dev/kvm that boots $PWD/garbage: vmrun got no further within 20s (exit 111)" out &&
		{ HUSK_KERNEL=$PWD/garbage husk _kvmboot; test $? = 1; }
	'
else
	test_skip 'a kernel that is no bzImage does not boot: the probe says so' \
		'no /dev/kvm this user can open'
fi
test_expect_success 'a bad HUSK_KVM_PROBE is a usage error (100), named' '
	HUSK_KVM_PROBE=soon husk doctor >out 2>err; test $? = 100 &&
	grep -qx "husk: fatal: unable to parse HUSK_KVM_PROBE soon: not a number" err &&
	! test -s out &&
	HUSK_KVM_PROBE=0 husk _kvmboot 2>err; test $? = 100 &&
	grep -qx "husk: fatal: unable to use HUSK_KVM_PROBE 0: not in 1..3600" err
'
# The rest needs no boot: a probe that fails at once keeps them short.
HUSK_KVM_PROBE=1; export HUSK_KVM_PROBE
test_expect_success 'a bad pool is named' '
	HUSK_PREFIX=31 husk doctor >out; test $? = 1 &&
	grep -q "^missing  a valid pool" out
'
test_expect_success 'what is there is reported ok: guest-agent, the pool' '
	husk doctor >out;
	grep -q "^ok       guest-agent ($HUSK_ROOT/bin/guest-agent)" out &&
	grep -qx "ok       pool 10.201.0.0/24: 253 guest addresses, gateway 10.201.0.1 on husk0" out
'
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	test_expect_success 'an ordinary user: --net needs root, the jail is without; husk run itself only /dev/kvm' '
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		    husk doctor >out; rc=$?; cat out &&
		grep -qx "without  --net: root" out &&
		grep -q "^without  the jail: as nobody, each VM.s vmrun runs as you, under its seccomp filter" out &&
		! grep -q "^missing  .*\(root\|namespaces\|tun\|bridge\|fence\)" out &&
		if grep -q "^missing" out; then
			test $rc = 1 && grep -q "^husk run cannot run here: [0-9]* missing" out
		else
			test $rc = 0 && grep -q "^husk run can run here, with no network for its jobs; husk run --net cannot: [0-9]* missing" out
		fi
	'
else
	test_skip 'an ordinary user: --net needs root, the jail is without; husk run itself only /dev/kvm' \
		'needs root and setpriv(1) to drop them'
fi
test_done
