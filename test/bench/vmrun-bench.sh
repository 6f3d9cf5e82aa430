#!/bin/sh
# vmrun-bench: boot time of the Debian cloud kernel to a busybox /init by
# the boot timer (median of N), vmrun's resident memory excluding guest
# RAM, and the binary's size.  Runs inside the VM rig's first-level guest
# (test/vm/rig; nested KVM under qemu TCG on machines without /dev/kvm, so
# the boot times are far above real hardware).  The peer, qemu
# -enable-kvm -M pc, boots the same kernel and initramfs in the same
# guest: make vm-qemu copies Debian's qemu with its libraries and
# firmware into build/vm/qemu, which the rig takes along.
# Usage: test/bench/vmrun-bench.sh [N]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
VMRUN_BENCH_N=${1:-3}
export VMRUN_BENCH_N
# The rig passes no environment into its guest: N goes in via the script.
sed "s/^n=.*/n=$VMRUN_BENCH_N/" "$root/test/vm/bench-vmrun.sh" >"$root/test/vm/.bench-vmrun-n.sh"
trap 'rm -f "$out" "$root/test/vm/.bench-vmrun-n.sh"' EXIT
make -s -C "$root" vm-qemu
RIG_TEST_MAX=870 "$root/test/vm/rig" -t 900 "$root/test/vm/.bench-vmrun-n.sh" >"$out" 2>&1 || { cat "$out"; exit 1; }
sed -n 's/^# *bench: //p' "$out"
echo "host: bin/vmrun $(wc -c <"$root/bin/vmrun") bytes"
