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

# pool_claim: with a job that may restore (no --net, no -C, HUSK_SNAPSHOT
# not 0), a pooled VM of this job's key: sets rundir, lease, addr, aaddr,
# vm_pid, vm_ticks and pooled.  False if there is none.
pool_claim() {
	pooled=
	[ -z "$net" ] && [ -z "$ws" ] && [ "${HUSK_SNAPSHOT:-1}" != 0 ] || return 1
	pool_dir
	set -- "$pool"/*.ready
	[ -f "$1" ] || return 1
	# Ours alone: whoever could write there would choose the socket
	# our job and its token go to.
	private "$HUSK_STATE" "$pool" "$HUSK_STATE/run"
	snap_key "$mem" "$vcpus" 2>/dev/null || return 1
	ticks $$ || return 1
	for pc_e; do
		lease_read "$pc_e" || continue
		pc_k=
		{ while IFS= read -r pc_l; do pc_k=$pc_k${pc_k:+$NL}$pc_l; done <"$l_dir/key"; } 2>/dev/null
		# Another memory, vCPUs, port or HUSK_APPEND: not for this job.
		[ "${pc_k%%"$NL"*}" = "${s_k%%"$NL"*}" ] || continue
		pc_c=${pc_e%.ready}.claimed.$$.$tk
		mv "$pc_e" "$pc_c" 2>/dev/null || continue
		set -f; set -- $l_vmrun; set +f
		if [ $# != 2 ] || ! alive "$1" "$2"; then
			continue
		elif [ "$pc_k" != "$s_k" ]; then
			# Of another kernel, image or vmrun: never to be used;
			# its owner tears it down.
			info "a pooled VM is of another kernel, image or vmrun: stopping it"
			kill -TERM "$1" 2>/dev/null
			continue
		fi
		addr=${pc_e##*/}; addr=${addr%.ready}
		rundir=$l_dir lease=$HUSK_STATE/leases/$addr
		vm_pid=$1 vm_ticks=$2 pooled=$pc_c
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
	trap 'teardown; [ -n "$addr" ] && rm -f "$pool/$addr".*' EXIT
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
	trap 'on_signal 129' HUP
	set -f; set -- $HUSK_POOL_KEEPER; set +f
	[ $# = 2 ] || die $EX_USAGE "unable to pool a VM: HUSK_POOL_KEEPER is not PID TICKS"
	k_pid=$1 k_ticks=$2
	run_stage
	[ -n "$snap" ] || die $EX_SYS "unable to pool a VM: no snapshot of the $img_lang image to restore (husk snapshot -l $lang)"
	run_boot
	run_ready
	mkdir -p "$pool" && printf '%s\n' "$s_k" >"$rundir/key" &&
	lease_write "$pool/$addr.ready" "owner $$ $own_ticks" "vmrun $vm_pid $vm_ticks" \
	    "tap " "job $job" "dir $rundir" ||
		die $EX_SYS "unable to offer $pool/$addr.ready"
	# Every 0.2 s: the VM ended (its job done), or the claimer or,
	# unclaimed, the keeper gone.
	while alive "$vm_pid" "$vm_ticks"; do
		if [ -e "$pool/$addr.ready" ]; then
			alive "$k_pid" "$k_ticks" || break
		else
			for p_c in "$pool/$addr".claimed.*.*; do
				p_w=${p_c##*.claimed.}
				[ -e "$p_c" ] && ! alive "${p_w%.*}" "${p_w#*.}" && break 2
			done
		fi
		sleep 0.2
	done
	exit 0
}

# pool_keep N LANG PID TICKS: keep N pooled VMs of LANG while that process
# (husk serve, then its relayd) lives; then stop them.  A _pooled that
# fails before its VM is up (no snapshot yet, a boot that failed) makes
# the keeper take a snapshot once, then wait longer each time.
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
			# (our children: not reaped, so not recycled, until
			# waited for)
			if ticks "$k_k"; then
				k_live="$k_live $k_k"
				case $k_busy in *" $k_k "*) ;; *) k_c=$((k_c + 1)) ;; esac
				continue
			fi
			wait "$k_k" && k_fail=0 || k_bad=1
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
			k_kids="$k_kids $!" k_c=$((k_c + 1))
		done
		sleep 0.5
	done
	for k_k in $k_kids; do kill -TERM "$k_k" 2>/dev/null; done
	for k_k in $k_kids; do wait "$k_k"; done
	exit 0
}
