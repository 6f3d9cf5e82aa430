#!/bin/sh
# husk-bench: what husk run costs on top of booting a VM, measured in real
# microVMs through the VM test rig (test/vm/README; on a host with
# /dev/kvm it runs there, else inside a qemu TCG guest with nested KVM).
# One rig run prints:
#   - bare vmrun: the cloud kernel + the guest image with an /init that
#     prints a marker and powers off: time to the marker (guest init) and
#     to vmrun's exit, median of N;
#   - husk run -c 'echo hi': wall time, median of N, and its ratio to the
#     bare boot-to-init time (the agent's and the scripts' overhead);
#   - husk run -c 'echo hi' jailed (the default) against
#     HUSK_INSECURE=1, alternating, median of N each and their ratio;
#   - husk run -c 'echo hi' without network (the default: vsock) against
#     --net, the same way;
#   - husk submit -> husk wait through relayd -j 1: median of N;
#   - jobs per minute for M `echo hi` jobs with 1 and with 2 slots;
#   - husk run -C with a 50 MB tree of 5,000 files (a tar over the agent
#     after boot) against no workspace, and what the other way measured,
#     the tree as a cpio appended to the image, adds to a bare boot;
#   - husk run -c 'echo hi' taking a VM of husk serve -p 2's pool
#     (restored and rekeyed before the job) against a cold one
#     (HUSK_SNAPSHOT=0), alternating; restored from the snapshot by husk
#     run itself; vmrun --restore alone, and the RSS and PSS sums
#     of 5 idle restored VMs against 5 booted ones;
#   - from the same rig run's t5020 and t5030: 64 MiB each way between
#     L1 and a guest over virtio-net (TCP) and over virtio-vsock, seconds
#     (the figures of those tests).
# Usage: test/bench/husk-bench.sh [N [M]]   (defaults 3 and 4)
# Needs make, make kernel and the rig's packages (mk/deps check).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-3} m=${2:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The rig copies the test file alone: the counts go in by rewriting it.
sed "s/^N=.*/N=$n/; s/^M=.*/M=$m/" "$root/test/bench/husk-bench-vm.sh" >"$tmp/husk-bench-vm.sh"
# One test that takes more than the rig's 300 s a test on a slow machine.
RIG_TEST_MAX=3500 "$root/test/vm/rig" -t 3600 "$tmp/husk-bench-vm.sh" t5020 t5030 >"$tmp/out" || true
# The figures (TAP comments after each test file's results), those of
# t5020 and t5030 named by their device; and any failure.
awk '/^(not )?ok [0-9]+ - / { t = $0; sub(/^[^-]*- /, "", t); sub(/:.*/, "", t) }
	/^not ok/ { print; next }
	/^# # / {
		l = substr($0, 5)
		if (t ~ /^t5020/) { if (l ~ /MiB:|boot to/) print "virtio-net (t5020): " l }
		else if (t ~ /^t5030/) { if (l ~ /MiB:|boot to|connections/) print "virtio-vsock (t5030): " l }
		else print l
	}' "$tmp/out"
