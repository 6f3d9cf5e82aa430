# husk-vm-lib.sh: set-up shared by the husk VM tests, test/vm/t51NN-husk-*.sh
# (sourced after test-lib.sh, in the rig's first-level guest or where KVM works).
# husk's state goes to the test's scratch directory; its image folder
# holds the rig's guest image (mkinitramfs, sh only) as the sh image.
if ! command -v vmrun >/dev/null || [ ! -c /dev/kvm ]; then
	echo "1..0 # SKIP needs bin/vmrun and /dev/kvm"
	exit 0
fi
# fd 7: the test's own standard output, the TAP stream (hwait).
exec 7>&1
HUSK_STATE=$TRASH/state HUSK_IMAGES=$TRASH/images
HUSK_BOOT_TIMEOUT=${HUSK_BOOT_TIMEOUT:-120} HUSK_MEM=${HUSK_MEM:-192}
export HUSK_STATE HUSK_IMAGES HUSK_BOOT_TIMEOUT HUSK_MEM
unset HUSK_POOL HUSK_PREFIX HUSK_BRIDGE HUSK_KERNEL HUSK_APPEND HUSK_RELAY_DIR
mkdir -p "$HUSK_IMAGES/sh"
ln -s "$HUSK_ROOT/build/vm/guest/current.cpio.gz" "$HUSK_IMAGES/sh/current.cpio.gz"
for l in python3 lua c node; do
	# An image with the language, if the tree has one (make vm: build/vm/guest-python3).
	[ -f "$HUSK_ROOT/build/vm/guest-$l/current.cpio.gz" ] && mkdir -p "$HUSK_IMAGES/$l" &&
		ln -s "$HUSK_ROOT/build/vm/guest-$l/current.cpio.gz" "$HUSK_IMAGES/$l/current.cpio.gz"
done

# Seconds since boot, to the hundredth (busybox date has no %N).
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$1 $(now)" | awk '{ printf "%.2f\n", $2 - $1 }'; }
# Figures, printed as TAP comments at the end.
note() { echo "$*" >>"$TRASH/figures"; }
figures() { [ -f "$TRASH/figures" ] && sed 's/^/# /' "$TRASH/figures"; true; }

# husk wait ID, bounded by $2 seconds (180): a job that never ends fails
# the test with what still runs, the queue's view and relayd's log, where
# the rig's bound would only kill the test and lose them.  husk wait's
# status, or 124.
hwait() {
	timeout "${2:-180}" husk wait "$1"
	hw=$?
	case $hw in 124|143)
		echo "husk wait $1: no end after ${2:-180} s; husk status, relayd.log:"
		husk status
		tail -n 20 relayd.log 2>/dev/null
		stuck
		return 124 ;;
	esac
	return $hw
}

# pwait PID [SECONDS]: wait for PID, a child of this shell, bounded (120
# s) as hwait is; its status, or 124.
pwait() {
	# Gone, or a zombie (state Z, after the name in parentheses).
	if ! wait_for "! test -e /proc/$1/stat || test \"\$(sed 's/.*) //; s/ .*//' /proc/$1/stat)\" = Z" \
	    "${2:-120}" 100; then
		echo "pid $1 ($(cat /proc/$1/cmdline | tr "\0" " ")): no end after ${2:-120} s"
		stuck
		return 124
	fi
	wait "$1"
}

# stuck: what still runs, and the VMs' state (vmstate), where a test
# waits in vain.  Straight to the TAP stream too: a failing test shows
# only the last lines of its output.
stuck() {
	ps | grep -v ' \[[^]]*\]$'
	vmstate >vmstate.txt 2>&1
	cat vmstate.txt && sed 's/^/# /' vmstate.txt >&7
}

# vmthreads PID: each thread's id, state, wait channel and CPU ticks.
vmthreads() {
	for t in /proc/$1/task/*; do
		set -- $(sed 's/^.*) //' "$t/stat")
		echo "${t##*/} $1 $(cat "$t/wchan" 2>/dev/null || echo -) $(( ${12} + ${13} ))"
	done
}

# The VMs still up, for a test that waits in vain: for each one, the
# vmrun's threads, whether its guest answers a ping (--net) and the
# agent's /health (vsock), both sides' TCP connections, the tap's and
# eth0's counters, and the console tail.
vmstate() {
	for l in "$HUSK_STATE"/leases/*; do
		[ -f "$l" ] || continue
		a=${l##*/} d=$(sed -n 's/^dir //p' "$l") v=$(sed -n 's/^vmrun \([0-9]*\).*/\1/p' "$l")
		echo "VM at $a: lease: $(tr '\n' ' ' <"$l")"
		vmthreads "$v" >before
		ping -c 1 -W 2 "$a" >/dev/null 2>&1 && echo "  ping: answered" || echo "  ping: no answer"
		timeout 3 guest-agent call -c 2000 -n 1 "vsock:$d/v.sock:${HUSK_PORT:-8000}" health 2>&1 | sed 's/^/  health: /'
		echo "  L1's connections to it, and its tap's rx/tx packets and drops:"
		netstat -tn | grep " $a:" | sed 's/^/    /'
		(cd "/sys/class/net/$(sed -n 's/^tap //p' "$l")/statistics" &&
		    echo "    $(cat rx_packets tx_packets rx_dropped tx_dropped | tr '\n' ' ')")
		echo "  the guest's connections and eth0 (/proc/net/dev):"
		timeout 8 guest-agent call -k "$d/token" -c 2000 -n 1 -t 5000 "vsock:$d/v.sock:${HUSK_PORT:-8000}" \
		    exec sh -c 'netstat -tn; grep eth0 /proc/net/dev' 2>&1 | sed 's/^/    /'
		# CPU ticks used by each thread over those seconds.
		vmthreads "$v" | paste before - | awk '{ print "  thread " $1 ": " $2 " " $3 ", " $8 - $4 " ticks" }'
		kvmexits "$v"
		echo "  console tail:"
		tail -n 15 "$d/console" 2>/dev/null | sed 's/^/    /'
	done
}

# kvmexits PID: what the VM's vCPUs exit for, over one second, from the
# kernel's kvm:kvm_exit trace events: the ten most frequent exit reasons
# with the guest's rip and exit info (a guest stuck on one nested page
# fault shows one line with all the exits; one spinning shows none).
kvmexits() {
	t=/sys/kernel/tracing
	[ -d $t/events/kvm ] || mount -t tracefs tracefs $t 2>/dev/null
	[ -f $t/events/kvm/kvm_exit/enable ] || { echo "  kvm exits: no tracefs"; return; }
	echo "  kvm exits of pid $1's threads in one second (count, event):"
	: >$t/trace
	echo 1 >$t/events/kvm/kvm_exit/enable
	sleep 1
	echo 0 >$t/events/kvm/kvm_exit/enable
	pids=$(ls /proc/$1/task | tr '\n' '|')
	grep -E -- "-(${pids%|}) " $t/trace | sed 's/.*kvm_exit: //' |
	    sort | uniq -c | sort -rn | head -n 10 | sed 's/^/    /'
}

# Nothing of a run is left: no vmrun, no job tap, no lease, no run dir,
# no temp file in the state folder.
clean() {
	# A vmrun by its name: a "timeout 120 vmrun ..." that waits a
	# second more for the vmrun it ran is not one.
	for p in /proc/[0-9]*; do
		{ read -r c <"$p/comm" && read -r s <"$p/stat"; } 2>/dev/null || continue
		s=${s##*) }
		[ "$c" = vmrun ] && [ "${s%% *}" != Z ] &&
			{ echo "left: vmrun ${p#/proc/}"; return 1; }
	done
	for n in /sys/class/net/hk*; do
		n=${n##*/}
		# husk's taps: hk and 13 hex digits.
		[ ${#n} = 15 ] && { echo "left: tap $n"; return 1; }
	done
	# a job's cgroup (husk(1) HUSK_CGROUP), where there is one
	for c in /sys/fs/cgroup/husk/*/; do
		[ -e "$c/cgroup.procs" ] && { echo "left: cgroup $c"; return 1; }
	done
	test_empty "$HUSK_STATE/leases" "$HUSK_STATE/run"
}
