#!/bin/sh
# The VM tests (test/vm/t*.sh) through the rig: on this host if it has
# /dev/kvm, else in one qemu TCG guest with nested KVM (test/vm/README).
# The rig prints TAP itself.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/vm/rig" -t "${RIG_TIMEOUT:-600}" "$here"/vm/t[0-9]*.sh
