#!/bin/sh
# The VM tests (test/vm/t*.sh), second half, through the rig: on this host
# if it has /dev/kvm, else in a qemu TCG guest with nested KVM
# (test/vm/README).  t0500-vm.sh runs the other half; the two qemu runs
# take turns (the rig's lock).  The rig prints TAP itself.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/vm/rig" -s 2/2 -t "${RIG_TIMEOUT:-1500}" "$here"/vm/t[0-9]*.sh
