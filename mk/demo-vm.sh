#!/bin/sh
# mk/demo-vm.sh: what `make demo` shows, where KVM works (here, or in the
# rig's guest, which runs it as a test: hence the TAP line at the end).
# Each husk run boots its own microVM and tears it down.
set -u
if [ -z "${HUSK_ROOT:-}" ]; then
	HUSK_ROOT=$(cd "$(dirname "$0")/.." && pwd)
	[ -d "$HUSK_ROOT/bin" ] || HUSK_ROOT=/husk
fi
PATH=$HUSK_ROOT/bin:$PATH
tmp=$(mktemp -d)
trap 'kill $relayd 2>/dev/null; wait $relayd 2>/dev/null; rm -rf "$tmp"' EXIT
relayd=
export HUSK_STATE=$tmp/state HUSK_BOOT_TIMEOUT=120
# In the rig's guest the tree carries the guest image prebuilt.
if [ -f "$HUSK_ROOT/build/vm/guest/current.cpio.gz" ] && [ ! -d "$HUSK_ROOT/build/kernel/root/lib" ]; then
	export HUSK_IMAGES=$tmp/images
	mkdir -p "$HUSK_IMAGES/sh"
	ln -s "$HUSK_ROOT/build/vm/guest/current.cpio.gz" "$HUSK_IMAGES/sh/current.cpio.gz"
fi
up() { cut -d' ' -f1 /proc/uptime; }
took() { echo "$1 $(up)" | awk '{ printf "(%.1f s)", $2 - $1 }'; }

echo "== husk doctor"
husk doctor

echo "== husk run -c 'echo hi from \$(uname -n); echo err >&2; exit 3'"
t=$(up)
husk run -c 'echo "hi from $(uname -n), kernel $(uname -r)"; echo err >&2; exit 3'
st=$?
echo "(exit $st) $(took "$t")"

echo "== husk run -- cat /proc/cmdline  (the job sees its own VM)"
husk run -- cat /proc/cmdline | sed 's/husk.token=[^ ]*/husk.token=.../'

echo "== three jobs queued through relayd with 2 slots (husk serve -j 2)"
husk serve -j 2 2>"$tmp/relayd.log" &
relayd=$!
t=$(up)
for i in 1 2 3; do
	husk submit -c "echo job $i on \$(ip -4 -o addr show dev eth0 | sed 's/.* inet \([^ ]*\).*/\1/')"
done >"$tmp/ids"
while read -r id; do
	husk wait "$id"
	echo "$id: $(husk logs "$id")"
done <"$tmp/ids"
echo "$(took "$t")"
echo "== husk status --json"
husk status --json

# Read from /proc: the rig's guest has no pgrep.
left=
for c in /proc/[0-9]*/comm; do
	{ read -r n <"$c"; } 2>/dev/null && [ "$n" = vmrun ] && left="$left${left:+ }${c%/comm}"
done
leases=$(ls -A "$HUSK_STATE/leases")
echo "== nothing left: leases [$leases], vmrun processes [$left]"
echo "1..1"
if [ "$st" = 3 ] && [ -z "$leases" ] && [ -z "$left" ]; then
	echo "ok 1 - demo"
else
	echo "not ok 1 - demo"
fi
