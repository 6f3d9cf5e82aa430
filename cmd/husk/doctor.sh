### Does this /dev/kvm boot a stock kernel?

# kvm_boots SECONDS: true if vmrun on /dev/kvm takes HUSK_KERNEL through
# its whole boot within SECONDS; sets kb_ms to how long it took.  With no
# initramfs and no root device Linux boots to its first userspace step,
# panics there ("VFS: Unable to mount root fs"), panic=-1 resets the VM
# and vmrun exits 2 (reset): no image is needed.  A /dev/kvm that opens
# and runs a few real-mode instructions but cannot run a stock kernel
# (kvm_pvm, pagetable-based KVM, runs only kernels built as PVM guests,
# and fails or hangs on others) fails here instead of in every husk run.
kvm_boots() {
	kb_v=$(vmrun_tool) && [ -f "$HUSK_KERNEL" ] || return 1
	kb_d=$(mktemp -d "${TMPDIR:-/tmp}/husk-kvm.XXXXXX") || return 1
	now_ms; kb_t=$ms
	timeout -k 5 "$1" "$kb_v" -k "$HUSK_KERNEL" -m 128 \
	    -a "console=ttyS0 panic=-1 quiet root=/dev/husk-probe" \
	    --console "$kb_d/console" </dev/null >/dev/null 2>"$kb_d/err"
	kb_rc=$?
	now_ms; kb_ms=$((ms - kb_t))
	grep -q "Kernel panic" "$kb_d/console" 2>/dev/null && [ $kb_rc = 2 ]
	kb_ok=$?
	rm -rf "$kb_d"
	return $kb_ok
}

### husk doctor

# ok WHAT, lack WHAT FIX, note WHAT FIX: one line of the doctor's list;
# lack counts in bad, note (what husk run does without) does not.
# lack_net: what husk run --net alone needs (netbad).
ok() { echo "ok       $1"; }
lack() { echo "missing  $1"; echo "         fix: $2"; bad=$((bad + 1)); }
note() { echo "without  $1"; echo "         fix: $2"; }
lack_net() { echo "without  --net: $1"; echo "         fix: $2"; netbad=$((netbad + 1)); }

# doctor_fence: nft and a kernel that takes husk's rules (net_isolation_check).
doctor_fence() {
	if net_isolation_check; then
		ok "nftables takes the --net guests' fence (bridge and inet tables husk)"
	else
		lack_net "the guests' fence: $net_why" \
		    "install nftables and load its modules (nf_tables, nft_meta_bridge, nft_ct), run as root"
	fi
}

# doctor_jail: what vmrun's jail needs (vmrun(8) --user and --cgroup).
doctor_jail() {
	if [ -n "$HUSK_INSECURE" ]; then
		note "the jail: HUSK_INSECURE=1, so vmrun runs as root, unconfined" \
		    "unset HUSK_INSECURE"
		return 0
	elif [ "$uid" != 0 ]; then
		note "the jail: as $(id -un 2>/dev/null || echo "uid $uid"), each VM's vmrun runs as you, under its seccomp filter, in no namespace or cgroup of its own" \
		    "run husk as root: then each VM's vmrun has a uid of its own, namespaces and a cgroup"
		return 0
	elif unshare --mount --ipc --uts --net --pid --fork true 2>/dev/null; then
		ok "namespaces for vmrun's jail (mount, PID, IPC, UTS, network); uids from $HUSK_JAIL_UID"
	else
		lack "namespaces for vmrun's jail (mount, PID, IPC, UTS, network)" \
		    "run husk as root, on a kernel with namespaces (in a container: CAP_SYS_ADMIN); or set HUSK_INSECURE=1 to run jobs without the jail"
	fi
	if cgroup_usable; then
		ok "cgroup v2 with memory and pids: each VM bounded in $HUSK_CGROUP/JOB"
	else
		note "a cgroup v2 with memory and pids at $(dirname "$HUSK_CGROUP"): VMs are bounded by rlimits only" \
		    "mount -t cgroup2 none /sys/fs/cgroup (systemd: boot with systemd.unified_cgroup_hierarchy=1), or set HUSK_CGROUP"
	fi
}

# doctor_kvm: a /dev/kvm we may use, and that boots the kernel.
doctor_kvm() {
	if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		ok "/dev/kvm"
		if ! vmrun_tool >/dev/null || [ ! -f "$HUSK_KERNEL" ]; then
			:	# said below
		elif kvm_boots "$HUSK_KVM_PROBE"; then
			ok "/dev/kvm boots the kernel ($kb_ms ms to its first userspace step)"
		else
			lack "a /dev/kvm that boots $HUSK_KERNEL: vmrun got no further within ${HUSK_KVM_PROBE}s (exit $kb_rc)$(
			    [ -d /sys/module/kvm_pvm ] && echo "; this KVM is kvm_pvm (pagetable-based), which may run only kernels built as PVM guests")" \
			    "use a machine with hardware KVM (kvm_intel, kvm_amd), or the rig: make demo runs husk run inside a qemu guest that has KVM"
		fi
	elif [ -c /dev/kvm ]; then
		lack "/dev/kvm is there but not read-writable by $(id -un)" \
		    "run as root or add $(id -un) to the group of /dev/kvm ($(stat -c %G /dev/kvm))"
	else
		lack "/dev/kvm (no KVM on this machine)" \
		    "load kvm_intel or kvm_amd (modprobe kvm_amd), enable virtualization in the firmware or the hypervisor (nested), or use the rig: make demo runs husk run inside a qemu guest that has KVM"
	fi
}

# doctor_net: what husk run --net needs: a tap, a bridge, root.
doctor_net() {
	if [ -c /dev/net/tun ]; then ok "/dev/net/tun (--net)"
	else lack_net "/dev/net/tun" "modprobe tun; mkdir -p /dev/net && mknod /dev/net/tun c 10 200"; fi
	if [ -d /sys/module/bridge ] || [ -e "/sys/class/net/$HUSK_BRIDGE/bridge" ] ||
	    modprobe -n bridge 2>/dev/null; then
		ok "bridge support (--net)"
	else
		lack_net "bridge support in the kernel" "modprobe bridge (CONFIG_BRIDGE)"
	fi
	if [ "$uid" = 0 ]; then
		ok "root (--net: the tap, the bridge and its fence)"
	else
		lack_net "root" "run husk run --net as root (sudo); husk run without --net needs only /dev/kvm"
	fi
}

# doctor_tree: the commands husk runs, this tree's programs, the kernel,
# the images and the pool.
doctor_tree() {
	for t in timeout od sha256sum; do
		command -v $t >/dev/null 2>&1 || lack "the command $t" "apt-get install coreutils"
	done
	command -v ip >/dev/null 2>&1 || lack_net "the command ip" "apt-get install iproute2"
	for t in vmrun guest-agent relay relayd; do
		if p=$(tool $t); then ok "$t ($p)"
		else lack "$t" "run make in $root, or put $t in PATH"; fi
	done
	if [ -f "$HUSK_KERNEL" ]; then ok "kernel $HUSK_KERNEL"
	else lack "kernel $HUSK_KERNEL" "run make kernel in $root (Debian's cloud kernel into build/kernel), or set HUSK_KERNEL to a bzImage or vmlinux"; fi
	for l in $LANGS; do
		if [ -f "$HUSK_IMAGES/$l/current.cpio.gz" ]; then
			ok "initramfs for $l ($HUSK_IMAGES/$l)"
		elif tool mkinitramfs >/dev/null && [ -x /bin/busybox ]; then
			ok "initramfs for $l: built by the first husk run -l $l"
		else
			lack "initramfs for $l" "install busybox-static, keep initramfs/mkinitramfs next to bin/, or build it into $HUSK_IMAGES/$l with mkinitramfs -l $l -o $HUSK_IMAGES/$l"
		fi
	done
	if ( ipcalc "$HUSK_POOL" "$HUSK_PREFIX" ) 2>/dev/null; then
		ipcalc "$HUSK_POOL" "$HUSK_PREFIX"
		ok "pool $network/$prefix: $hosts guest addresses, gateway $gateway on $HUSK_BRIDGE"
	else
		lack "a valid pool ($HUSK_POOL/$HUSK_PREFIX)" "set HUSK_POOL to an IPv4 address and HUSK_PREFIX to 1..30"
	fi
}

cmd_doctor() {
	[ $# = 0 ] || usage
	num HUSK_KVM_PROBE "$HUSK_KVM_PROBE" 1 3600
	bad=0 netbad=0
	doctor_kvm
	doctor_jail
	doctor_tree
	doctor_net
	doctor_fence
	if [ $bad != 0 ]; then
		echo "husk run cannot run here: $bad missing; see the fixes above."
		return $EX_FALSE
	elif [ $netbad = 0 ]; then
		echo "husk run and husk run --net can run here."
	else
		echo "husk run can run here, with no network for its jobs; husk run --net cannot: $netbad missing; see the fixes above."
	fi
	return 0
}

