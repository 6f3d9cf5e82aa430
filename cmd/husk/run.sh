### husk run

# Languages: husk's name, mkinitramfs's, the agent's.
LANGS="sh python3 lua c node"
# Each sets a variable, l_img or l_agent (no process: they run for every job).
lang_image() { case $1 in sh) l_img=sh ;; python|python3) l_img=python3 ;; lua) l_img=lua ;; c) l_img=c ;; node|js) l_img=node ;; *) return 1 ;; esac; }
lang_agent() { case $1 in python|python3) l_agent=python ;; js) l_agent=node ;; *) l_agent=$1 ;; esac; }
# The guest memory an image needs at least, in MiB (0: no bound but -m's):
# node's image unpacks to 107 MB, held with its 39 MB archive at boot.
lang_mem() { case $1 in node) l_mem=320 ;; *) l_mem=0 ;; esac; }

# image LANG: the path of the language's initramfs, kept in
# HUSK_IMAGES/LANG.  mkinitramfs builds it when it is missing, or is asked
# again when an input from this tree is newer than it (the agent, init,
# mkinitramfs itself, busybox, the kernel's modules.dep): it rebuilds only
# if their content changed, and touches an image it reuses, so it is asked
# once per change.  Stat calls, no fork, when nothing changed.
image() {
	dir=$HUSK_IMAGES/$1
	cur=$dir/current.cpio.gz
	tool_at mkinitramfs && mk=$tool_p || mk=
	modroot=${HUSK_KERNEL%/*}; modroot=${modroot%/*}
	kver=${HUSK_KERNEL##*/}; kver=${kver#vmlinuz-}; kver=${kver#vmlinux-}
	if [ -f "$cur" ]; then
		[ -n "$mk" ] || { echo "$cur"; return 0; }
		mkd=${mk%/*} stale=
		for f in "$mk" "$mkd/init" "$mkd/../bin/guest-agent" /bin/busybox \
		    "$modroot/lib/modules/$kver/modules.dep"; do
			[ "$f" -nt "$cur" ] && stale=1
		done
		[ -z "$stale" ] && { echo "$cur"; return 0; }
		info "an input of the $1 image changed: asking mkinitramfs"
	fi
	[ -n "$mk" ] || die $EX_SYS "unable to find mkinitramfs"
	mkdir -p "$HUSK_IMAGES" || die $EX_SYS "unable to create $HUSK_IMAGES"
	( lock "$HUSK_IMAGES/.lock" 600 || exit 1
	  "$mk" -m "$modroot" -k "$kver" -l "$1" -o "$dir" >/dev/null ) ||
		die $EX_SYS "unable to build the $1 image in $dir (mkinitramfs failed)"
	echo "$cur"
}

# now_ms: sets ms to a monotonic clock in milliseconds (10 ms steps),
# from /proc/uptime with builtins: busybox date has no %N.
now_ms() {
	read -r ms_u _ </proc/uptime
	ms_f=${ms_u#*.}; ms_f=${ms_f#0}
	ms=$(( ${ms_u%.*} * 1000 + ${ms_f:-0} * 10 ))
}

# Teardown, idempotent, on every path.
vm_pid= vm_ticks= call_pid= tap= lease= rundir= agent= ready= torn= cgroup=
netted= aaddr= pooled= pool_off= addr=
teardown() {
	[ -n "$torn" ] && return 0
	torn=1
	trap '' INT TERM HUP
	trap - CHLD
	[ -n "$call_pid" ] && kill -TERM "$call_pid" 2>/dev/null
	# A pooled VM's owner (husk _pooled, its vmrun's parent) reaps it
	# and removes what it had (pool.sh).
	if [ -n "$pooled" ]; then
		alive "$vm_pid" "$vm_ticks" && kill -TERM "$vm_pid" 2>/dev/null
		[ -n "$call_pid" ] && wait "$call_pid" 2>/dev/null
		return 0
	fi
	# The VM holds nothing to save: vmrun gets SIGTERM at once, and
	# tears it down in milliseconds.
	[ -n "$vm_pid" ] && stop_child "$vm_pid" "$vm_ticks" "$HUSK_GRACE"
	[ -n "$call_pid" ] && wait "$call_pid" 2>/dev/null
	# KVM's own worker thread for the VM is in the job's cgroup too,
	# and leaves it a moment after vmrun: up to 2 s for it to go.
	if [ -n "$cgroup" ]; then
		t_n=200
		until rmdir "$cgroup" 2>/dev/null || [ ! -d "$cgroup" ] || [ $t_n = 0 ]; do
			sleep 0.01; t_n=$((t_n - 1))
		done
		[ -d "$cgroup" ] && warn "unable to remove the cgroup $cgroup: still in use"
	fi
	[ -n "$tap" ] && [ -e "/sys/class/net/$tap" ] && ip link del "$tap" 2>/dev/null
	# The tap's filter elements go before the lease: once the address
	# is free another job may add its own for it.  A lease whose
	# elements could not be removed is kept: the next run's reclaim
	# tries again.
	if [ -n "$netted" ] && ! { ip2n "$addr" && net_job_del "$tap" "$ip_n"; }; then
		warn "unable to remove the filter elements of $tap ($addr): its lease is left for the next run to reclaim"
		lease=
	fi
	# (the lease last: rm takes them in order)
	[ -n "$rundir$lease" ] && rm -rf ${rundir:+"$rundir"} ${lease:+"$lease"}
	return 0
}
on_signal() { teardown; exit "$1"; }

# console_tail: the guest console's last lines, indented, on stderr.
console_tail() { tail -n 20 "$rundir/console" 2>/dev/null | sed 's/^/  /' >&2; }

# vm_ended WHAT [HINT]: vmrun is gone; say what could not be done, with
# its status and the console's tail, and exit 112.
vm_ended() {
	# (a pooled VM is its owner's child, not ours)
	if [ -n "$pooled" ]; then st="unknown (a pooled VM)"
	else wait "$vm_pid"; st=$?
	fi
	vm_pid=
	echo "$prog: fatal: unable to $1: vmrun exited with status $st${2:-}; console tail:" >&2
	console_tail
	exit $EX_BOOT
}

### Guests fenced on the bridge: nftables.
#
# The bridge family's hooks see the frames of every bridge on the host,
# so its rules key on the ports' names: hk*, husk's taps (the kernel here
# may lack the bridge's own name, meta ibrname).  A frame from a tap goes
# on only if its source MAC is the tap's, and then only as ARP whose
# sender MAC and IPv4 address are the tap's, or IPv4 from the tap's
# address; all else (IPv6, VLAN tags, other ether types) is dropped, and
# a tap with no elements (not yet added, or already removed) sends
# nothing.  No frame is bridged from or to a tap: guests cannot reach
# each other (each tap is an isolated bridge port too).  In the inet
# family, what comes in on husk's bridges for this host is accepted only
# on connections the host opened (conntrack: established, related);
# forwarding from a bridge is allowed only to another interface and only
# from a --net job's address (the set net), which the nat chain
# masquerades; forwarding to a bridge only as replies.  The tables and
# sets are made once and kept; the chains' rules are replaced in each
# husk run's transaction (atomic: nothing is unfiltered in between), and
# each job's elements are added before its tap is on the bridge and
# removed on every teardown path and by the reclaim of its stale lease.

# net_sets: the tables and the sets, with add (a no-op for those that
# exist), so that every script below may name them.
net_sets() {
	cat <<EOF
add table bridge husk
add set bridge husk mac { type ifname . ether_addr; }
add set bridge husk ip4 { type ifname . ipv4_addr; }
add set bridge husk arp4 { type ifname . ether_addr . ipv4_addr; }
add table inet husk
add set inet husk bridges { type ifname; }
add set inet husk net { type ipv4_addr; }
EOF
}

# net_base: the sets, the chains and their rules, and HUSK_BRIDGE among
# the bridges.
net_base() {
	net_sets
	cat <<EOF
add chain bridge husk prerouting { type filter hook prerouting priority -200; policy accept; }
add chain bridge husk forward { type filter hook forward priority -200; policy accept; }
add chain bridge husk guest
flush chain bridge husk prerouting
flush chain bridge husk forward
flush chain bridge husk guest
add rule bridge husk prerouting iifname "hk*" jump guest
add rule bridge husk guest iifname . ether saddr != @mac drop
add rule bridge husk guest ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 iifname . arp saddr ether . arp saddr ip @arp4 accept
add rule bridge husk guest ether type ip iifname . ip saddr @ip4 accept
add rule bridge husk guest drop
add rule bridge husk forward iifname "hk*" drop
add rule bridge husk forward oifname "hk*" drop
add chain inet husk input { type filter hook input priority 0; policy accept; }
add chain inet husk forward { type filter hook forward priority 0; policy accept; }
flush chain inet husk input
flush chain inet husk forward
add rule inet husk input iifname @bridges ct state established,related accept
add rule inet husk input iifname @bridges drop
add rule inet husk forward iifname @bridges oifname != @bridges ip saddr @net accept
add rule inet husk forward oifname @bridges ct state established,related accept
add rule inet husk forward iifname @bridges drop
add rule inet husk forward oifname @bridges drop
add element inet husk bridges { "$HUSK_BRIDGE" }
EOF
}

# net_nat: the masquerade, made only for a --net job (only it needs NAT
# in the kernel).
net_nat() {
	cat <<EOF
add chain inet husk postrouting { type nat hook postrouting priority 100; policy accept; }
flush chain inet husk postrouting
add rule inet husk postrouting oifname != @bridges ip saddr @net masquerade
EOF
}

# net_elems TAP N [net]: a job's elements, without their verb: its tap
# with its MAC and its address N (ip2n), and N in net if asked.
net_elems() {
	n2ip "$2"
	ne_mac=$(ip2mac "$2")
	echo "element bridge husk mac { \"$1\" . $ne_mac }"
	echo "element bridge husk ip4 { \"$1\" . $ip_s }"
	echo "element bridge husk arp4 { \"$1\" . $ne_mac . $ip_s }"
	[ -n "${3:-}" ] && echo "element inet husk net { $ip_s }"
	return 0
}

# net_job_del TAP N: remove the job's elements, each whether or not it
# is there (an add before the delete), in one transaction.  True if
# there is no nft: then husk added none.
net_job_del() {
	command -v nft >/dev/null 2>&1 || return 0
	{ net_sets; net_elems "$1" "$2" net | sed 's/^/add /; p; s/^add /delete /'; } |
		nft -f - 2>/dev/null
}

# net_isolation_check: 0 if the guests' fence can be set up here, else
# 1 with net_why saying what is missing and what to do (one line).  It
# changes nothing: nft -c sends husk's rules to the kernel and aborts
# them.  Not checked: NAT for --net (its chain is loaded with the job).
net_isolation_check() {
	net_why=
	if ! command -v nft >/dev/null 2>&1; then
		net_why="no nft command: apt-get install nftables"
		return 1
	fi
	if ! ni_err=$(net_base | nft -c -f - 2>&1); then
		case $ni_err in *"Operation not permitted"*)
			net_why="nft may not change the rules: run as root, or with CAP_NET_ADMIN"
			return 1 ;;
		esac
		net_why="the kernel refuses husk's nftables rules ($(echo "$ni_err" | sed -n 1p)): it needs nf_tables with its bridge family (and meta there: nft_meta_bridge) and inet family, and conntrack (modprobe nf_tables nft_meta_bridge nft_ct)"
		return 1
	fi
	return 0
}

# bridge: the bridge, with the gateway address, created if missing (under
# the lease lock, so two first runs do not race), then the fence with this
# job's elements (one nft transaction: atomic without the lock).  Sets
# netted.
bridge() {
	# Without nft, say so before anything is made: a --net job's tap
	# works only through the fence, whatever HUSK_INSECURE says.
	command -v nft >/dev/null 2>&1 ||
		die $EX_SYS "unable to give the job --net: it works through the fence, and there is no nft command (husk doctor)"
	(
		lock "$HUSK_STATE/lock" 30 || exit 1
		if [ ! -e "/sys/class/net/$HUSK_BRIDGE" ]; then
			ip link add name "$HUSK_BRIDGE" type bridge || exit 1
		fi
		# A bridge whose address nobody set takes its lowest port's
		# (00:00:00:00:00:00 with none), so each tap that comes or
		# goes could change the gateway's MAC under the guests' ARP
		# caches: their frames then went to a gone tap, and a job's
		# answer was lost until an ARP probe and TCP's backoff met
		# (seen: 5 jobs at once, answers stuck a minute or more).
		# So the gateway's MAC is set, once: 02:68 and its address.
		[ "$(cat "/sys/class/net/$HUSK_BRIDGE/addr_assign_type")" = 3 ] ||
			ip link set "$HUSK_BRIDGE" address "$(ip2mac $((net_n + 1)))" ||
			exit 1
		ip -4 addr show dev "$HUSK_BRIDGE" | grep -q " inet $gateway/$prefix " ||
			ip addr add "$gateway/$prefix" dev "$HUSK_BRIDGE" || exit 1
		ip link set "$HUSK_BRIDGE" up
	) ||
		die $EX_SYS "unable to set up the bridge $HUSK_BRIDGE with $gateway/$prefix (husk doctor)"
	# The lease names the tap from here: its reclaim removes these.
	netted=1
	now_ms; nb_t=$ms
	ip2n "$addr"
	if ! nb_err=$( { net_base; net_nat
	    net_elems "$tap" "$ip_n" net | sed 's/^/add /'; } | nft -f - 2>&1); then
		net_isolation_check ||
			die $EX_SYS "unable to give the job --net: unable to isolate the guests on $HUSK_BRIDGE: $net_why (husk doctor)"
		die $EX_SYS "unable to give the job --net: unable to isolate the guests on $HUSK_BRIDGE: nft failed: $(echo "$nb_err" | sed -n 1p)"
	fi
	now_ms; info "job $job: fence loaded in $(( ms - nb_t )) ms"
}

# run_parse ARGS: husk run's options and configuration, checked before
# anything is made; sets lang, code, file, timeout, mem, vcpus, net (1
# with --net), mode (c, f or a: -c, -f or an argv), img_lang, job and
# tapname.  The caller shifts the options away (OPTIND).
NL='
'
# nl_free STRING WHAT: refuses a newline in an option's value (the lists
# of -x and -o are a line each).
nl_free() {
	case $1 in *"$NL"*) die $EX_USAGE "unable to use $2: it holds a newline" ;; esac
}

# o_split SPEC: o_p and o_d of an -o PATH[:DEST], split at the first
# colon; DEST is . when there is none.
o_split() { case $1 in *:*) o_p=${1%%:*} o_d=${1#*:} ;; *) o_p=$1 o_d=. ;; esac; }

# ws_parse: checks -C, -x and -o before anything is made: the workspace
# is a directory; each -o is PATH[:DEST] (split at the first colon) with
# DEST an existing directory; sets wcwd, the job's directory in the guest.
ws_parse() {
	num HUSK_WORKSPACE_MAX "$HUSK_WORKSPACE_MAX" 1 4294967296
	num HUSK_OUTPUT_MAX "$HUSK_OUTPUT_MAX" 1 1099511627776
	wcwd=/tmp
	if [ -n "$ws" ]; then
		[ -d "$ws" ] || die $EX_USAGE "unable to use workspace $ws: not a directory"
		wcwd=/job
	elif [ -n "$xs" ]; then
		die $EX_USAGE "unable to exclude without a workspace: -x needs -C"
	fi
	o_ifs=$IFS; IFS=$NL
	for o_s in $outs; do
		o_split "$o_s"
		[ -n "$o_p" ] || die $EX_USAGE "unable to copy out $o_s: no path"
		[ -d "$o_d" ] || die $EX_USAGE "unable to copy out to $o_d: not a directory"
	done
	IFS=$o_ifs
}

run_parse() {
	lang=sh code= file= timeout= mem=$HUSK_MEM vcpus=$HUSK_VCPUS mode= net=
	ws= xs= outs= mem_set=
	# -: takes --net (getopts gives "-" and OPTARG "net").
	while getopts l:c:f:t:m:n:C:x:o:h-: o; do
		case $o in
		-) case $OPTARG in net) net=1 ;; *) usage ;; esac ;;
		l) lang=$OPTARG ;;
		c) code=$OPTARG; mode=${mode}c ;;
		f) file=$OPTARG; mode=${mode}f ;;
		t) num -t "$OPTARG" 1 86400; timeout=$OPTARG ;;
		m) num -m "$OPTARG" 32 65536; mem=$OPTARG; mem_set=1 ;;
		n) num -n "$OPTARG" 1 64; vcpus=$OPTARG ;;
		C) ws=$OPTARG ;;
		# Lists of -x and -o, a line each: split on newlines alone.
		x) nl_free "$OPTARG" -x; xs="$xs$NL-x$NL$OPTARG" ;;
		o) nl_free "$OPTARG" -o; outs="$outs$NL$OPTARG" ;;
		h) usage 0 ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -gt 0 ] && mode=${mode}a
	case $mode in
	c|f|a) ;;
	'') die $EX_USAGE "unable to run: no -c code, -f file or -- argv" ;;
	*) die $EX_USAGE "unable to run: give one of -c code, -f file, -- argv" ;;
	esac
	num HUSK_MEM "$mem" 32 65536
	num HUSK_VCPUS "$vcpus" 1 64
	num HUSK_BOOT_TIMEOUT "$HUSK_BOOT_TIMEOUT" 1 3600
	num HUSK_GRACE "$HUSK_GRACE" 0 60
	num HUSK_PORT "$HUSK_PORT" 1 65535
	num HUSK_CONSOLE_MAX "$HUSK_CONSOLE_MAX" 1024 1073741824
	num HUSK_JAIL_UID "$HUSK_JAIL_UID" 1 1000000000
	case $HUSK_INSECURE in ''|1) ;; *) die $EX_USAGE "unable to parse HUSK_INSECURE $HUSK_INSECURE: not 1 or empty" ;; esac
	case $HUSK_CGROUP in /*) ;; *) die $EX_USAGE "unable to use HUSK_CGROUP $HUSK_CGROUP: not an absolute path" ;; esac
	ipcalc "$HUSK_POOL" "$HUSK_PREFIX"
	lang_image "$lang" && img_lang=$l_img ||
		die $EX_USAGE "unable to run language $lang: not one of: $LANGS"
	ws_parse
	case $mode in
	c) [ -n "$code" ] || die $EX_USAGE "unable to run empty code" ;;
	f) if [ "$file" != - ]; then
		[ -r "$file" ] || die $EX_USAGE "unable to read $file"
		[ -s "$file" ] || die $EX_USAGE "unable to run empty code: $file is empty"
	   fi ;;
	esac
	# --net makes a tap and changes the bridge and the host's filter:
	# root's.  It needs the host to route; husk does not turn routing on
	# for the whole host by itself.
	[ -z "$net" ] || [ "$uid" = 0 ] ||
		die $EX_SYS "unable to give the job --net: a tap and a bridge need root (husk run without --net needs only /dev/kvm)"
	[ -z "$net" ] || [ "$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)" = 1 ] ||
		die $EX_SYS "unable to give the job --net: IPv4 forwarding is off here (sysctl -w net.ipv4.ip_forward=1)"
	case $HUSK_BRIDGE in ''|*[!A-Za-z0-9_.-]*) die $EX_USAGE "unable to use HUSK_BRIDGE $HUSK_BRIDGE: not an interface name" ;; esac
	[ ${#HUSK_BRIDGE} -le 15 ] || die $EX_USAGE "unable to use HUSK_BRIDGE $HUSK_BRIDGE: longer than 15"

	# The job id: relay's when run by relayd, else our own; the tap's
	# name is derived from it, 15 characters at most (IFNAMSIZ - 1).
	job=${RELAY_ID:-$(date +%s).$$}
	case $job in .*|*[!A-Za-z0-9._-]*) die $EX_USAGE "unable to use job id $job" ;; esac
	tapname=
	[ -z "$net" ] || tapname=hk$(printf '%s' "$job" | sha256sum | cut -c1-13)
}

# run_stage: the lease (addr, lease), the tools (vmrun, agent), the image
# (img), and the run directory with the token and the code; aaddr is the
# agent's address, its vsock port through vmrun's socket; t0 is when the
# boot deadline starts.
run_stage() {
	# What the VM needs; missing pieces are system errors (husk doctor).
	vmrun_at && vmrun=$vt ||
		die $EX_SYS "unable to find vmrun: run make (husk doctor)"
	tool_at guest-agent && agent=$tool_p ||
		die $EX_SYS "unable to find guest-agent: run make"
	[ -f "$HUSK_KERNEL" ] || die $EX_SYS "unable to find the kernel $HUSK_KERNEL: run make kernel or set HUSK_KERNEL (husk doctor)"
	img=$(image "$img_lang") || exit $?
	if [ -z "$ws" ] && [ -z "$pool_off" ]; then
		mem_fit
		if pool_claim; then
			info "job $job: a pooled VM, lease $addr"
			umask 077
			run_code
			return 0
		fi
	fi
	addr=$(lease_take "$job" "${net:+$tapname}" $$) || exit $?
	lease=$HUSK_STATE/leases/$addr
	rundir=$HUSK_STATE/run/$job
	if [ -n "$net" ]; then
		info "job $job: $addr/$prefix via $gateway on $tapname"
	else
		info "job $job: lease $addr, no network"
	fi
	aaddr=vsock:$rundir/v.sock:$HUSK_PORT

	# The boot deadline counts from here: the image is ready.
	now_ms; t0=$ms
	umask 077
	mkdir -p "$rundir" || die $EX_SYS "unable to create $rundir"
	token_new "$rundir"
	run_code
	[ -z "$ws" ] || ws_size
	mem_fit
	snap_pick
}

# run_code: the code (-c, -f) into the run directory.
run_code() {
	case $mode in
	c) printf '%s' "$code" >"$rundir/code" ;;
	f) cat -- "$file" >"$rundir/code" ;;
	esac || die $EX_SYS "unable to write $rundir/code"
	[ "$mode" = a ] || [ -s "$rundir/code" ] || die $EX_USAGE "unable to run empty code"
}

# token_new DIR: a new random token in DIR/token (the umask's mode: 600
# under husk's 077), and in token: 24 bytes of /dev/urandom in hex.
token_new() {
	token=$(od -An -tx1 -N24 /dev/urandom) || token=
	set -f; set -- "$1" $token; set +f
	t_d=$1; shift
	token=
	for t_b; do token=$token$t_b; done
	[ ${#token} = 48 ] && printf '%s' "$token" >"$t_d/token" ||
		die $EX_SYS "unable to make a token from /dev/urandom"
}

# ws_size: w_cz, the workspace's size on disk (an upper bound: what -x
# leaves out is counted), for the guest's memory.
ws_size() {
	w_cz=$(du -sk -- "$ws" | cut -f1) && [ -n "$w_cz" ] ||
		die $EX_SYS "unable to measure the workspace $ws"
	w_cz=$(( w_cz * 1024 ))
}

# ws_put: the workspace into the guest as /job, once its agent is up: a
# tar over the agent's connection (guest-agent call put; -x, the bound).
# Measured against a cpio appended to the image (the kernel unpacking
# 50 MB of 5,000 files at boot), it was the faster: husk(1) -C.
ws_put() {
	( IFS=$NL; set -f
	  exec "$agent" call -k "$rundir/token" -c 5000 -n 1 \
	    -m "$HUSK_WORKSPACE_MAX" $xs "$aaddr" put "$ws" / job ) >/dev/null
	case $? in
	0) ;;
	100|101) die $EX_USAGE "unable to copy the workspace $ws into the job (see above; HUSK_WORKSPACE_MAX is $HUSK_WORKSPACE_MAX bytes)" ;;
	*) die $EX_SYS "unable to copy the workspace $ws into the job (see above)" ;;
	esac
}

# mem_fit: the guest memory the image (lang_mem) and the workspace need:
# below it, the default is raised, and -m refused.
mem_fit() {
	lang_mem "$img_lang"; m_need=$l_mem
	if [ -n "$ws" ]; then
		[ "$m_need" -ge 192 ] || m_need=192
		m_need=$(( m_need + 2 * ((w_cz + 1048575) / 1048576) ))
	fi
	[ "$mem" -ge "$m_need" ] && return 0
	[ -z "$mem_set" ] ||
		die $EX_USAGE "unable to fit the job in -m $mem: its image${ws:+ and workspace} need $m_need MiB"
	info "memory raised to $m_need MiB for the image${ws:+ and workspace}"
	mem=$m_need
}

# jail: sets jail to vmrun's jail options (none with HUSK_INSECURE=1, or
# for an ordinary user):
# the job's own uid and gid, HUSK_JAIL_UID plus its address's host number,
# so no two jobs share one; and, where /sys/fs/cgroup is cgroup v2 with
# the memory and pids controllers, the job's cgroup HUSK_CGROUP/JOB
# (cgroup), which teardown and reclaim remove.
jail() {
	jail= cgroup=
	# Only root may give vmrun another uid: an ordinary user's vmrun
	# runs as that user, under vmrun's seccomp filter.
	[ -n "$HUSK_INSECURE" ] || [ "$uid" != 0 ] && return 0
	ip2n "$addr"
	j_id=$(( HUSK_JAIL_UID + ip_n - net_n ))
	jail="--user $j_id:$j_id"
	cgroup_ready || return 0
	mkdir "$HUSK_CGROUP/$job" 2>/dev/null || return 0
	cgroup=$HUSK_CGROUP/$job
	jail="$jail --cgroup $cgroup"
}

# cgroup_usable: HUSK_CGROUP's parent is a cgroup v2 directory with the
# memory and pids controllers.
cgroup_usable() {
	c_p=${HUSK_CGROUP%/*}
	# (only a cgroup v2 directory has cgroup.controllers)
	has_words "$c_p/cgroup.controllers" memory pids
}
# cgroup_ready: and HUSK_CGROUP hands both to its children (made and
# enabled on the way).
cgroup_ready() {
	cgroup_usable || return 1
	if ! has_words "$HUSK_CGROUP/cgroup.subtree_control" memory pids; then
		mkdir -p "$HUSK_CGROUP" &&
		echo "+memory +pids" >"$c_p/cgroup.subtree_control" &&
		echo "+memory +pids" >"$HUSK_CGROUP/cgroup.subtree_control"
	fi 2>/dev/null
}

# kcmdline: kcl, the kernel command line of a job's VM, before --net's
# words and HUSK_APPEND.
# cryptomgr.notests: the kernel's crypto self-tests took 0.2 s of its 1.3 s
# boot (initcall_debug), and a job's VM uses no kernel crypto.
# initcall_blacklist: tracer_init_tracefs, as Linux 6.1 makes the tracefs
# files of every trace event at boot, 10,000 inodes and their dentries:
# 8 MiB of an idle guest's 62 (slabinfo), and /init 2.2 s later in the
# rig (initcall_debug).  A job has no tracefs (husk.1), so neither the
# work that fills in its format files (trace_eval_init, 56 ms), nor
# KDF108's self-test (crypto_kdf108_init, 126 ms; no self-tests, above).
# percpu_alloc=page: the per-CPU allocator's first chunk in 4 KiB pages,
# not in a 2 MiB unit.  A chunk it adds later has units of the same size
# and a zeroed table of its objects' cgroups (a pointer per 4 bytes),
# twice a unit: 4 MiB after a 2 MiB unit.  An idle guest held 70 MiB
# with the 2 MiB unit, 66 with pages (t5014, the rig).
kcmdline() {
	kcl="console=ttyS0 panic=-1 quiet cryptomgr.notests initcall_blacklist="
	kcl="${kcl}tracer_init_tracefs,trace_eval_init,crypto_kdf108_init"
	kcl="$kcl percpu_alloc=page husk.port=$HUSK_PORT"
}

# run_boot: with --net the bridge and the tap's fence; then the job's VM,
# booted or restored from the snapshot snap: vmrun in the background
# (vm_pid, vm_ticks), written into the lease.
run_boot() {
	kcmdline; cmdline=$kcl
	vmnet=
	if [ -n "$net" ]; then
		# vmrun creates the tap (TUNSETIFF on a new name) and it is
		# not persistent: it goes when vmrun's descriptor closes,
		# however vmrun ends.  One left from an earlier crash would be
		# shared: delete it.
		tap=$tapname
		[ -e "/sys/class/net/$tap" ] && ip link del "$tap" 2>/dev/null
		bridge
		cmdline="$cmdline husk.ip=$addr/$prefix husk.gw=$gateway"
		ip2n "$addr"
		vmnet="-n tap=$tap,mac=$(ip2mac "$ip_n")"
	fi
	cmdline="$cmdline $HUSK_APPEND"
	if [ -n "$snap" ]; then
		set -- --restore "$snap"
	else
		# The token goes by a file (mode 600): every local user
		# reads argv.
		printf 'husk.token=%s\n' "$token" >"$rundir/cmdline" ||
			die $EX_SYS "unable to write $rundir/cmdline"
		set -- -k "$HUSK_KERNEL" -i "$img" -a "$cmdline" -A "$rundir/cmdline"
	fi

	# vmrun gets SIGTERM if we die unannounced (kill -9): a parent-death
	# signal, where setpriv(1) can set one; else the next run's reclaim
	# stops it.
	pdeath=
	pdeathsig && pdeath="setpriv --pdeathsig TERM --"
	# Verbose: vmrun -v too, which says where a guest that hangs stood.
	# The guest's CID is its own: each vmrun's vsock is a device of its
	# own, not the host's vhost, so no two VMs can meet on it.
	jail
	$pdeath "$vmrun" ${HUSK_VERBOSE:+-v} $jail "$@" \
	    -m "$mem" -c "$vcpus" $vmnet --vsock "cid=3,uds=$rundir/v.sock" --balloon \
	    --console "$rundir/console" --console-max "$HUSK_CONSOLE_MAX" \
	    -e "$rundir/vmrun.exit" </dev/null &
	vm_pid=$!
	ticks $$; own_ticks=$tk
	ticks "$vm_pid"; vm_ticks=${tk:-gone}
	lease_write "$lease" "owner $$ $own_ticks" "vmrun $vm_pid $vm_ticks" \
	    "tap $tap" "job $job" "dir $rundir" ||
		die $EX_SYS "unable to write the lease $lease"
}

# probe: is the agent up?  Its /health; a restored one's rekey instead,
# which it takes before anything else: this job's token, fresh entropy
# and the time, for it has the snapshot's token, random state and clock,
# as every VM restored from it (guest-agent.8 rekey).  Within c ms for
# the connection, w s for the answer.
probe() {
	if [ -n "$snap" ]; then
		timeout $(( w + 1 )) "$agent" call -k "$rundir/snap.token" -c "$c" \
		    -w "$c" -n 1 "$aaddr" rekey "$rundir/token" >/dev/null 2>&1
		# 100, refused: if an earlier rekey's answer was lost, the
		# agent has this job's token already.
		p_st=$?
		[ $p_st = 100 ] || return $p_st
		timeout $(( w + 1 )) "$agent" call -k "$rundir/token" -c "$c" \
		    -n 1 "$aaddr" rekey "$rundir/token" >/dev/null 2>&1
	else
		timeout $(( w + 1 )) "$agent" call -c "$c" -w "$c" -n 1 \
		    "$aaddr" health >/dev/null 2>&1
	fi
}

# run_ready: with --net the tap on the bridge; then the agent's /health,
# within the deadline; gives up at once if vmrun is gone.  Sets ready.
run_ready() {
	deadline=$(( t0 + HUSK_BOOT_TIMEOUT * 1000 ))
	attached=${net:-none}
	while :; do
		# Isolated before it is up: the kernel then forwards
		# nothing between it and another isolated port (a second
		# wall behind the nftables forward chain).
		if [ "$attached" = 1 ] && [ -e "/sys/class/net/$tap" ]; then
			ip link set "$tap" master "$HUSK_BRIDGE" &&
				echo 1 >"/sys/class/net/$tap/brport/isolated" &&
				ip link set "$tap" up ||
				die $EX_SYS "unable to attach $tap to $HUSK_BRIDGE as an isolated port"
			attached=done
		fi
		alive "$vm_pid" "$vm_ticks" || vm_ended "boot the job's VM" " (husk doctor)"
		now_ms; left=$(( deadline - ms ))
		if [ $left -le 0 ]; then
			echo "$prog: fatal: unable to reach the agent on vsock port $HUSK_PORT: no answer within ${HUSK_BOOT_TIMEOUT}s; console tail:" >&2
			console_tail
			[ -s "$rundir/console" ] ||
				echo "  (the guest printed nothing: does this /dev/kvm boot the kernel? see husk doctor)" >&2
			exit $EX_BOOT
		fi
		# A probe: for up to 1 s the agent's refusals are waited
		# out inside the call (-w: a connect every 10 ms, no process
		# each), and so is a CONNECT vmrun holds until the guest's
		# vsock driver answers it; then the answer within 5 s: under
		# load (five guests booting in nested KVM on TCG) an agent
		# that is up took over a second to answer, and a 1 s probe
		# then failed every time, to the deadline.
		c=$(( left < 1000 ? left : 1000 ))
		w=$(( left < 1000 ? 1 : left < 5000 ? left / 1000 : 5 ))
		# (call -w waits for vmrun's socket too.)
		if [ "$attached" = 1 ]; then
			sleep 0.02
		elif probe; then
			break
		else
			# A refused connection returns at once: do not spin.
			now_ms; [ $(( deadline - ms )) -gt 100 ] && sleep 0.1
		fi
	done
	ready=1
	now_ms; info "job $job: agent up after $(( ms - t0 )) ms${snap:+ (restored from $snap)}"
}

### Snapshots: husk snapshot, and husk run restoring from one.

# snap_key MEM VCPUS: s_k, what a snapshot of the image img is bound to:
# its kernel, image and vmrun (owner, mode, device, inode, size and mtime
# of each), the guest memory and vCPUs, the agent's port and HUSK_APPEND.
# A snapshot whose key differs is stale, and not used.
snap_key() {
	s_k=$(stat -L -c '%u %a %d %i %s %Y %n' "$HUSK_KERNEL" "$img" "$vmrun") &&
	s_k="husk-snapshot 1 mem $1 vcpus $2 port $HUSK_PORT append $HUSK_APPEND$NL$s_k"
}

# snap_mine: HUSK_IMAGES is writable by no one but its owner, root or us,
# and the snapshot folder s_d (not a link) and its files are ours, and
# writable by no one else: whoever could write them would choose the
# memory and state a job's VM starts from.  One stat (it runs for every
# job); false, with a warning, if not.
snap_mine() {
	s_o=$(stat -c '%u %a %F' "$HUSK_IMAGES" "$s_d" "$s_d/mem" "$s_d/state" \
	    "$s_d/token" "$s_d/key" 2>/dev/null) && s_n=0 &&
	while read -r s_u s_m s_y; do
		case $s_n.$s_u.$s_m.$s_y in
		0."$uid".*[0145][0145].directory|0.0.*[0145][0145].directory) ;;
		1."$uid".*[0145][0145].directory) ;;
		[2-5]."$uid".*[0145][0145].regular*) ;;
		*) s_n=x; break ;;
		esac
		s_n=$((s_n + 1))
	done <<EOF
$s_o
EOF
	[ "$s_n" = 6 ] && return 0
	warn "unable to use the snapshot $s_d: not ours alone (owner, mode, or HUSK_IMAGES writable by others): booting"
	return 1
}

# snap_pick: snap, the image's snapshot directory if husk run restores
# from it: HUSK_SNAPSHOT is not 0, the job has no --net and no workspace
# (-C), it is ours alone (snap_mine), and its key is this job's (same
# kernel, image, vmrun, memory, vCPUs); else empty.  Its token is copied
# into the run directory (snap.token), as it is now.
snap_pick() {
	snap=
	case ${HUSK_SNAPSHOT:-1} in
	0) return 0 ;;
	1) ;;
	*) die $EX_USAGE "unable to parse HUSK_SNAPSHOT $HUSK_SNAPSHOT: not 0 or 1" ;;
	esac
	s_d=$HUSK_IMAGES/$img_lang.snap
	[ -z "$net" ] && [ -z "$ws" ] && [ -f "$s_d/key" ] || return 0
	snap_mine || return 0
	snap_key "$mem" "$vcpus" 2>/dev/null || return 0
	lines_of "$s_d/key"
	if [ "$s_k" != "$lo" ]; then
		info "the snapshot $s_d is stale (its kernel, image, vmrun, memory or vCPUs differ): booting"
		return 0
	fi
	# (a token file has no newline: read's status is then false)
	s_tok=
	{ read -r s_tok <"$s_d/token"; } 2>/dev/null
	[ ${#s_tok} = 48 ] && printf '%s' "$s_tok" >"$rundir/snap.token" || return 0
	snap=$s_d
}

# husk snapshot [-l lang]: boot the language's image once, to its agent
# up and idle, and keep the VM's snapshot in HUSK_IMAGES/LANG.snap, taken
# with the memory and vCPUs husk run gives a job by default.  Made in a
# temporary directory, renamed into place when whole.
cmd_snapshot() {
	lang=sh s_t=
	while getopts l:h o; do
		case $o in
		l) lang=$OPTARG ;;
		h) usage 0 ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# = 0 ] || usage
	num HUSK_MEM "$HUSK_MEM" 32 65536
	num HUSK_VCPUS "$HUSK_VCPUS" 1 64
	num HUSK_BOOT_TIMEOUT "$HUSK_BOOT_TIMEOUT" 1 3600
	num HUSK_PORT "$HUSK_PORT" 1 65535
	num HUSK_CONSOLE_MAX "$HUSK_CONSOLE_MAX" 1024 1073741824
	lang_image "$lang" && img_lang=$l_img ||
		die $EX_USAGE "unable to snapshot language $lang: not one of: $LANGS"
	vmrun_at && vmrun=$vt ||
		die $EX_SYS "unable to find vmrun: run make (husk doctor)"
	[ -f "$HUSK_KERNEL" ] || die $EX_SYS "unable to find the kernel $HUSK_KERNEL: run make kernel or set HUSK_KERNEL (husk doctor)"
	img=$(image "$img_lang") || exit $?
	mem=$HUSK_MEM vcpus=$HUSK_VCPUS mem_set= ws=
	mem_fit
	kcmdline
	s_t=$HUSK_IMAGES/.$img_lang.snap.$$
	trap 'rm -rf "$s_t" "$s_t.old"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	umask 077
	# The key before the boot, checked again after it: a kernel, image
	# or vmrun replaced meanwhile would be named by a key its memory is
	# not of.
	snap_key "$mem" "$vcpus" || die $EX_SYS "unable to stat $HUSK_KERNEL, $img and $vmrun"
	s_k0=$s_k
	mkdir "$s_t" || die $EX_SYS "unable to create $s_t"
	token_new "$s_t"
	printf 'husk.token=%s\n' "$token" >"$s_t/cmdline" ||
		die $EX_SYS "unable to write $s_t/cmdline"
	# In the foreground, bounded: a signal to us reaches timeout's
	# group, and vmrun's TERM ends the VM.
	now_ms; s_t0=$ms
	timeout "$HUSK_BOOT_TIMEOUT" "$vmrun" --snapshot "$s_t" -k "$HUSK_KERNEL" \
	    -i "$img" -a "$kcl husk.snapshot $HUSK_APPEND" -A "$s_t/cmdline" \
	    -m "$mem" -c "$vcpus" --vsock "cid=3,uds=$s_t/v.sock" --balloon \
	    --console "$s_t/console" --console-max "$HUSK_CONSOLE_MAX" </dev/null
	st=$?
	if [ $st != 4 ]; then
		hint=
		# (timeout(1) exits 124; busybox's, vmrun's 143 from its TERM)
		now_ms
		[ $st = 124 ] || [ $(( ms - s_t0 )) -ge $(( HUSK_BOOT_TIMEOUT * 1000 )) ] &&
			hint=" (timed out: no snapshot within HUSK_BOOT_TIMEOUT, ${HUSK_BOOT_TIMEOUT}s)"
		echo "$prog: fatal: unable to snapshot the $img_lang image: vmrun exited with status $st$hint; console tail:" >&2
		tail -n 20 "$s_t/console" 2>/dev/null | sed 's/^/  /' >&2
		exit $EX_BOOT
	fi
	snap_key "$mem" "$vcpus" && [ "$s_k" = "$s_k0" ] ||
		die $EX_SYS "unable to snapshot the $img_lang image: its kernel, image or vmrun changed meanwhile"
	printf '%s\n' "$s_k" >"$s_t/key" &&
	rm -f "$s_t/cmdline" "$s_t/console" "$s_t/v.sock" ||
		die $EX_SYS "unable to write $s_t/key"
	# Into place, under the images' lock (two husk snapshot at once):
	# the old one aside first (mv of a directory onto one would go
	# inside it); a VM restored from it keeps its mapping.
	s_d=$HUSK_IMAGES/$img_lang.snap
	( lock "$HUSK_IMAGES/.lock" 600 || exit 1
	  if [ -d "$s_d" ]; then mv "$s_d" "$s_t.old" || exit 1; fi
	  mv "$s_t" "$s_d" ) || die $EX_SYS "unable to put $s_t in place of $s_d"
	rm -rf "$s_t.old"
	echo "$s_d"
}

# run_job [ARGV]: send the job (ARGV, or the code in the run directory)
# with husk's standard input (fd 3) as its own, streamed (not with -f -:
# that was the code), copy out what -o names, and exit with the job's
# status.
run_job() {
	if [ "$mode" = a ]; then
		set -- exec "$@"
	else
		lang_agent "$lang"
		set -- run "$l_agent" "$rundir/code"
	fi
	j_in=-I
	[ "$mode" = f ] && [ "$file" = - ] && j_in=
	# In the background so that a signal is handled at once (the shell
	# runs a trap only between commands, or during wait); an
	# asynchronous command's standard input is /dev/null unless given.
	"$agent" call -k "$rundir/token" -c 5000 -n 3 ${timeout:+-t $((timeout * 1000))} \
	    $j_in -d "$wcwd" "$aaddr" "$@" <&3 3<&- &
	call_pid=$!
	# The job ends with its VM: a vmrun gone mid-job (the guest powered
	# off, or the VM broke) would leave the call to wait out its timeout.
	# A child's end interrupts the wait (the CHLD trap).  The call's own
	# end: dash's wait returns its status (a second wait 127), busybox
	# ash's returns 128+SIGCHLD and a second wait the status.
	trap : CHLD
	while wait "$call_pid"; st=$?; [ $st -gt 128 ]; do
		if ! kill -0 "$call_pid" 2>/dev/null; then
			wait "$call_pid"; st2=$?
			[ $st2 = 127 ] || st=$st2
			break
		fi
		alive "$vm_pid" "$vm_ticks" || vm_ended "finish the job: its VM ended during it"
	done
	trap - CHLD
	call_pid=
	[ -z "$outs" ] || copy_out || { [ "$st" = 0 ] && st=$EX_COPY; }
	exit "$st"
}

# copy_out: each -o PATH[:DEST] from the guest, PATH relative to the
# job's directory; the agent's tar is taken apart inside DEST by
# guest-agent call get, which writes nothing outside it; false if any
# copy failed (each says why).
copy_out() {
	c_ok=0 c_ifs=$IFS; IFS=$NL
	for c_s in $outs; do
		IFS=$c_ifs
		o_split "$c_s"
		case $o_p in /*) ;; *) o_p=$wcwd/$o_p ;; esac
		# Modes as the caller's umask has them, not the run
		# directory's 077.
		( umask "$um" && exec "$agent" call -k "$rundir/token" -c 5000 \
		    -n 1 -m "$HUSK_OUTPUT_MAX" "$aaddr" get "$o_p" "$o_d" ) ||
			{ warn "unable to copy $o_p out of the job to $o_d"; c_ok=1; }
	done
	IFS=$c_ifs
	return $c_ok
}

cmd_run() {
	exec 3<&0
	run_parse "$@"
	# copy_out's: the caller's umask, before run_stage's 077
	um=
	[ -z "$outs" ] || um=$(umask)
	shift $((OPTIND - 1))
	trap 'teardown' EXIT
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
	trap 'on_signal 129' HUP
	run_stage
	if [ -z "$pooled" ]; then
		run_boot
		run_ready
	fi
	[ -z "$ws" ] || ws_put
	run_job "$@"
}

