#!/bin/sh
# husk doctor says what this machine lacks for husk run and how to fix it.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'doctor reports /dev/kvm as it is on this machine' '
	husk doctor >out; rc=$?
	cat out &&
	if [ -c /dev/kvm ]; then
		grep -qx "ok       /dev/kvm" out
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
test_expect_success 'a bad pool is named' '
	HUSK_PREFIX=31 husk doctor >out; test $? = 1 &&
	grep -q "^missing  a valid pool" out
'
test_expect_success 'what is there is reported ok: guest-agent, the pool' '
	husk doctor >out;
	grep -q "^ok       guest-agent ($HUSK_ROOT/bin/guest-agent)" out &&
	grep -qx "ok       pool 10.201.0.0/24: 253 guest addresses, gateway 10.201.0.1 on husk0" out
'
command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] &&
test_expect_success 'without root or CAP_NET_ADMIN it says so' '
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	    husk doctor >out; test $? = 1 &&
	grep -qx "missing  root or CAP_NET_ADMIN" out
'
test_done
