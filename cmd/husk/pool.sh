### The pool: husk serve -p N keeps N VMs restored from the snapshot,
### rekeyed and never used; husk run takes one instead of starting its own.
#
# Each pooled VM is a husk _pooled process's: it takes a lease, restores
# the VM and rekeys it (its own token and entropy) as husk run would, then
# offers it as HUSK_STATE/pool/ADDR.ready (a lease's lines).  husk run
# claims one by renaming that file to ADDR.claimed.PID.TICKS (one rename
# wins), sends its job and stops the VM; the _pooled process, its vmrun's
# parent, reaps it and removes what the VM had (run directory, cgroup,
# lease), as husk run's teardown would, and the keeper starts another.
# The _pooled process stops its VM too when its claimer dies (kill -9 of
# husk run) or, unclaimed, when the keeper is gone.

pool_dir() { pool=$HUSK_STATE/pool; }

# pool_key: p_k, what a pooled VM is bound to: the snapshot's key (s_k,
# snap_key), then what its husk _pooled jailed and ran it with, which
# the snapshot's key leaves out.
pool_key() {
	p_k="$s_k${NL}pool uid $uid insecure $HUSK_INSECURE jail $HUSK_JAIL_UID cgroup $HUSK_CGROUP console $HUSK_CONSOLE_MAX"
}

# key_files KEY: k_f, KEY without the stat figures: its first line and
# the names of the files it has stat lines of (the last field of 7).
key_files() {
	k_f= k_n=0
	while IFS= read -r k_l; do
		k_n=$((k_n + 1))
		case $k_n in
		1) k_f=$k_l ;;
		[234]) k_f="$k_f$NL${k_l#* * * * * * }" ;;
		*) k_f="$k_f$NL$k_l" ;;
		esac
	done <<EOF
$1
EOF
}

# pool_claim: with a job that may restore (no --net, no -C, HUSK_SNAPSHOT
# not 0), a pooled VM of this job's key (pool_key), whose owner lives:
# sets pooled, rundir, lease, addr, aaddr, vm_pid and vm_ticks.  False if
# there is none.  A VM of the same files (kernel, image, vmrun) whose
# figures differ is stale: its owner is told to stop it, by the claim and
# a TERM to its vmrun.  One of other files (another language, or another
# HUSK_KERNEL) is left alone.
pool_claim() {
	pooled=
	[ -z "$net" ] && [ -z "$ws" ] && [ "${HUSK_SNAPSHOT:-1}" = 1 ] || return 1
	pool_dir
	set -- "$pool"/*.ready
	[ -f "$1" ] || return 1
	# Ours alone: whoever could write there would choose the socket
	# our job and its token go to.
	private "$HUSK_STATE" "$pool" "$HUSK_STATE/run"
	snap_key "$mem" "$vcpus" 2>/dev/null || return 1
	pool_key; key_files "$p_k"; pc_f=$k_f
	ticks $$ || return 1
	pc_me=$$.$tk
	for pc_e; do
		lease_read "$pc_e" || continue
		lines_of "$l_dir/key"; pc_k=$lo
		if [ "$pc_k" != "$p_k" ]; then
			key_files "$pc_k"
			[ "$k_f" = "$pc_f" ] || continue
		fi
		pc_c=${pc_e%.ready}.claimed.$pc_me
		mv "$pc_e" "$pc_c" 2>/dev/null || continue
		# What was renamed, read again: the owner and its vmrun live.
		lease_read "$pc_c" || continue
		set -f; set -- $l_owner $l_vmrun; set +f
		[ $# = 4 ] && alive "$1" "$2" && alive "$3" "$4" || continue
		if [ "$pc_k" != "$p_k" ]; then
			info "a pooled VM is of an older kernel, image or vmrun: stopping it"
			kill -TERM "$3" 2>/dev/null
			continue
		fi
		pooled=$pc_c
		addr=${pc_e##*/}; addr=${addr%.ready}
		rundir=$l_dir lease=$HUSK_STATE/leases/$addr
		vm_pid=$3 vm_ticks=$4
		aaddr=vsock:$rundir/v.sock:$HUSK_PORT
		return 0
	done
	return 1
}

# husk _pooled -l LANG: one pooled VM (the keeper's, HUSK_POOL_KEEPER
# "PID TICKS"), from its boot to its end.
cmd_pooled() {
	exec 3</dev/null
	run_parse "$@" -c :
	pool_dir; pool_off=1
	# The offer goes before the lease does (teardown): the next owner
	# at this address is not to find it.
	trap 'pool_withdraw; teardown' EXIT
	trap 'pool_withdraw; on_signal 130' INT
	trap 'pool_withdraw; on_signal 143' TERM
	trap 'pool_withdraw; on_signal 129' HUP
	set -f; set -- $HUSK_POOL_KEEPER; set +f
	[ $# = 2 ] || die $EX_USAGE "unable to pool a VM: HUSK_POOL_KEEPER is not PID TICKS"
	k_pid=$1 k_ticks=$2
	run_stage
	[ -n "$snap" ] || die $EX_SYS "unable to pool a VM: no snapshot of the $img_lang image to restore (husk snapshot -l $lang)"
	run_boot
	run_ready
	# (what an owner killed at this address left is its, not ours)
	pool_key
	mkdir -p "$pool" && rm -f "$pool/$addr".* && printf '%s\n' "$p_k" >"$rundir/key" &&
	lease_write "$pool/$addr.ready" "owner $$ $own_ticks" "vmrun $vm_pid $vm_ticks" \
	    "tap " "job $job" "dir $rundir" ||
		die $EX_SYS "unable to offer $pool/$addr.ready"
	# Every 0.2 s, until the VM ends (its job done): claimed, its
	# claimer gone; unclaimed, the keeper gone, and the offer taken
	# back (by a rename: a claim may be taking it at this moment);
	# neither offered nor claimed (the entry removed): nothing will
	# take it.
	while alive "$vm_pid" "$vm_ticks"; do
		if [ -e "$pool/$addr.ready" ]; then
			alive "$k_pid" "$k_ticks" ||
				{ mv "$pool/$addr.ready" "$pool/$addr.gone" 2>/dev/null && break; }
		else
			p_n=0
			for p_c in "$pool/$addr".claimed.*.*; do
				[ -e "$p_c" ] || continue
				p_n=1 p_w=${p_c##*.claimed.}
				alive "${p_w%.*}" "${p_w#*.}" || break 2
			done
			[ $p_n = 1 ] || [ -e "$pool/$addr.ready" ] || break
		fi
		sleep 0.2
	done
	exit 0
}
pool_withdraw() { [ -n "$addr" ] && rm -f "$pool/$addr".*; }

# pool_keep N LANG PID TICKS: keep N pooled VMs of LANG, not counting
# those with a job, while that process (husk serve, then its relayd)
# lives.  Its VMs stop by themselves once it is gone, but for those with
# a job, which end with it.  A _pooled that fails (no snapshot yet or a
# stale one, a boot that failed) makes the keeper take a snapshot once,
# then wait longer each time.  Its children by PID:TICKS: the shell may
# reap them during any command, and a pid be reused.
pool_keep() {
	k_n=$1 k_lang=$2 k_pid=$3 k_ticks=$4 k_kids= k_fail=0
	pool_dir
	read -r k_me _ </proc/self/stat
	ticks "$k_me" && HUSK_POOL_KEEPER="$k_me $tk" && export HUSK_POOL_KEEPER ||
		die $EX_SYS "unable to read /proc/$k_me/stat"
	trap 'k_pid=' TERM INT HUP
	while [ -n "$k_pid" ] && alive "$k_pid" "$k_ticks"; do
		# The claimed VMs' owners: busy with a job, not counted.
		k_busy=" "
		for k_e in "$pool"/*.claimed.*; do
			[ -f "$k_e" ] && lease_read "$k_e" && k_busy="$k_busy${l_owner%% *} "
		done
		k_live= k_c=0 k_bad=
		for k_k in $k_kids; do
			if alive "${k_k%:*}" "${k_k#*:}"; then
				k_live="$k_live $k_k"
				case $k_busy in *" ${k_k%:*} "*) ;; *) k_c=$((k_c + 1)) ;; esac
				continue
			fi
			wait "${k_k%:*}" && k_fail=0 || k_bad=1
		done
		k_kids=$k_live
		if [ -n "$k_bad" ]; then
			k_fail=$((k_fail + 1))
			[ $k_fail = 1 ] && "$here/husk" snapshot -l "$k_lang" >/dev/null
		fi
		if [ $k_fail -gt 1 ]; then
			warn "pool: $((k_fail - 1)) VMs in a row failed to start: waiting $((k_fail * 2))s"
			sleep $((k_fail * 2 > 30 ? 30 : k_fail * 2))
		fi
		while [ $k_c -lt "$k_n" ]; do
			"$here/husk" _pooled -l "$k_lang" &
			ticks $! && k_kids="$k_kids $!:$tk"
			k_c=$((k_c + 1))
		done
		sleep 0.5
	done
	exit 0
}
