#!/bin/sh
# Nested KVM works where VM tests run (the rig's first-level guest, or a
# host with /dev/kvm): the device, the API version, a real guest run.
. "$(dirname "$0")/../test-lib.sh"

probe="$HUSK_ROOT/build/vm/kvmprobe"

test_expect_success '/dev/kvm is a character device' '
	test -c /dev/kvm
'
test_expect_success 'KVM_GET_API_VERSION is 12; the capabilities a VMM needs are there' '
	"$probe" -c >out &&
	grep -x "api 12" out &&
	for c in IRQCHIP PIT2 IRQFD IOEVENTFD IMMEDIATE_EXIT; do
		grep -q "^cap $c [1-9]" out || { echo "missing $c"; cat out; return 1; }
	done
'
test_expect_success 'a real-mode guest runs: out 0x10 42, then hlt' '
	"$probe" >out &&
	cat >want <<-EOF2 &&
	api 12
	vm ok
	io port 0x10 dir out size 1 value 42
	exit HLT
	EOF2
	test_cmp want out
'
test_expect_success 'two vCPUs run at once, a thread each (SMP in the nested guest)' '
	test "$(nproc)" -ge 2 &&
	"$probe" -j 2 >out &&
	cat >want <<-EOF2 &&
	api 12
	vm ok
	vcpu 0 io port 0x10 dir out size 1 value 42
	vcpu 0 exit HLT
	vcpu 1 io port 0x10 dir out size 1 value 42
	vcpu 1 exit HLT
	EOF2
	test_cmp want out
'
test_expect_code 111 'a device that is not KVM: clear error, exit 111' \
	'"$probe" /dev/null' \
	'^kvmprobe: fatal: unable to get the KVM API version of /dev/null: '
test_expect_success 'tun is there for virtio-net backends' '
	test -c /dev/net/tun
'
test_done
