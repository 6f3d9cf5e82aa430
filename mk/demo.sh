#!/bin/sh
# mk/demo.sh: the README's main job, `make demo`: husk run in a real
# microVM.  Where /dev/kvm boots the kernel (and we are root) it runs here; where it
# does not (most CI machines and microVMs), inside the VM test rig's
# first-level guest, a qemu TCG machine whose emulated AMD SVM gives it a
# /dev/kvm (test/vm/README), and says so.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
# Works: it boots the kernel (husk _kvmboot; a kvm_pvm /dev/kvm does not).
if [ "$(id -u)" = 0 ] && [ -z "${RIG_QEMU:-}" ] &&
   "$root/bin/husk" _kvmboot; then
	echo "== /dev/kvm works here: husk run on this machine"
	exec sh "$root/mk/demo-vm.sh"
fi
echo "== no usable /dev/kvm here (or not root): running the demo inside the"
echo "== VM test rig's first-level guest (qemu TCG, nested KVM), ~1-2 minutes."
echo "== Its output comes back prefixed with '# '."
exec "$root/test/vm/rig" -t 900 "$root/mk/demo-vm.sh"
