#!/bin/sh
# husk: one throwaway microVM per job, wired from husk's small tools.
#
# husk run takes a slot, an address of the pool (a lease file under a
# lock), a random token, picks the language's initramfs (building it with
# mkinitramfs if needed), boots the job's VM with vmrun, waits for
# guest-agent's /health within a wall-clock deadline, sends the job with
# `guest-agent call`, and exits with the job's status.  The agent is
# reached over virtio-vsock, through vmrun's Unix socket in the run
# directory: a job has no network, and an ordinary user with /dev/kvm
# runs it.  husk run --net (root) gives the job one as well: a tap on the
# bridge (the bridge too, with the gateway address, if missing) with the
# lease's address and outbound NAT.  On every path (normal end, error,
# SIGINT, SIGTERM, SIGHUP) it stops vmrun (SIGTERM, then SIGKILL after a
# grace), deletes the tap and releases the lease.  Guests are
# fenced on the bridge by nftables (tables "husk" of the bridge and inet
# families, see net_base): each tap may send only its own MAC and IPv4
# address, reaches no other tap, and the host only with replies.
# The asynchronous verbs are relay(1) over HUSK_RELAY_DIR; husk submit
# queues a `husk run` command there for relayd(8).
#
# State, under HUSK_STATE (default /run/husk for root, else
# $XDG_RUNTIME_DIR/husk, or ~/.cache/husk without one):
#   lock            flock(1) lock held while leases are examined or taken
#                   (lock.d, a mkdir lock, where there is no flock(1))
#   leases/ADDR     one per address in use, written as a temp file + mv:
#                   "owner PID TICKS", "vmrun PID TICKS", "tap NAME",
#                   "job ID", "dir RUNDIR" lines; TICKS is the process's
#                   start time from /proc/PID/stat, so a recycled pid is
#                   never taken for a live owner.  A lease whose owner is
#                   gone is stale: its vmrun is stopped, its tap deleted,
#                   its run directory removed and the address reused.
#   run/JOB/        the job's token (mode 600), code, console, exit file and
#                   v.sock, vmrun's vsock socket
#
# See husk(1) for the options, the environment and the exit statuses.
#
# The script is kept in parts, joined in this order into bin/husk
# (mk/build.mk): base.sh (this: configuration, addresses, processes,
# locks, leases), run.sh (husk run and the --net fence), queue.sh (the
# relay verbs), doctor.sh, main.sh (hidden verbs and main).
set -u
prog=husk
export LC_ALL=C

EX_FALSE=1 EX_USAGE=100 EX_SYS=111 EX_POOL=75 EX_BOOT=112 EX_COPY=113

# (no process but one subshell: the parts of what runs for every job
# are builtins where they can be)
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd) || exit 111
root=${here%/*}; root=${root:-/}

die() { code=$1; shift; echo "$prog: fatal: $*" >&2; exit "$code"; }
warn() { echo "$prog: warning: $*" >&2; }
info() { [ -n "${HUSK_VERBOSE:-}" ] && echo "$prog: info: $*" >&2; return 0; }

usage() {
	o='[--net] [-l lang] [-t timeout] [-m MiB] [-n vcpus] [-C dir] [-x pattern ...] [-o path[:dest] ...]'
	cat >&2 <<EOF
usage: husk run $o -c code
       husk run $o -f file
       husk run $o -- argv ...
       husk snapshot [-l lang]
       husk submit run-arguments ...
       husk status [--json] [job]
       husk logs [-f] job
       husk wait job
       husk cancel job
       husk serve [-j slots] [-K keep] [-p pooled] [-l lang]
       husk api [-l addr:port] [-k tokenfile] [-H hosts] [-m max_code] [-T ttl]
       husk go [-b url] [-k tokenfile] [-t timeout] -l lang -c code
       husk go [-b url] [-k tokenfile] [-t timeout] -l lang -f file
       husk doctor
       husk -h
EOF
	exit "${1:-$EX_USAGE}"
}

# Configuration: the environment, with these defaults.
: "${HUSK_POOL:=10.201.0.0}" "${HUSK_PREFIX:=24}" "${HUSK_BRIDGE:=husk0}"
# The effective uid, as id -u prints it: /proc/self/status's Uid line.
uid=
while read -r u_k u_r u_e _; do
	[ "$u_k" = Uid: ] && uid=$u_e && break
done </proc/self/status 2>/dev/null
[ -n "$uid" ] || uid=$(id -u)
if [ "$uid" = 0 ]; then
	: "${HUSK_STATE:=/run/husk}"
else
	: "${HUSK_STATE:=${XDG_RUNTIME_DIR:-${HOME:-/nonexistent}/.cache}/husk}"
fi
: "${HUSK_MEM:=256}" "${HUSK_VCPUS:=1}"
: "${HUSK_IMAGES:=$root/build/initramfs}" "${HUSK_BOOT_TIMEOUT:=30}"
: "${HUSK_GRACE:=3}" "${HUSK_PORT:=8000}" "${HUSK_APPEND:=}"
: "${HUSK_RELAY_DIR:=$HUSK_STATE/relay}" "${HUSK_KVM_PROBE:=20}"
: "${HUSK_CONSOLE_MAX:=1048576}"
: "${HUSK_JAIL_UID:=2000000}" "${HUSK_CGROUP:=/sys/fs/cgroup/husk}"
: "${HUSK_INSECURE:=}"
: "${HUSK_WORKSPACE_MAX:=268435456}" "${HUSK_OUTPUT_MAX:=268435456}"
# kernel_pick: HUSK_KERNEL, the tree's kernel of the highest version
# (sort -V: 6.1.0-10 after 6.1.0-9), without a process when it has one;
# the same version's uncompressed vmlinux beside it, where make kernel
# extracted one and it is not older, before it (no decompression in the
# guest: faster); in a tree with no vmlinuz, its vmlinux.
kernel_pick() {
	set -- "$root"/build/kernel/root/boot/vmlinuz-*
	[ -e "$1" ] || set -- "$root"/build/kernel/root/boot/vmlinux-*
	if [ $# = 1 ]; then
		[ -e "$1" ] && HUSK_KERNEL=$1
	else
		HUSK_KERNEL=$(ls "$@" 2>/dev/null | sort -V | tail -n 1)
	fi
	: "${HUSK_KERNEL:=$root/build/kernel/root/boot/vmlinuz}"
	case ${HUSK_KERNEL##*/} in
	vmlinuz-*)
		set -- "${HUSK_KERNEL%/*}/vmlinux-${HUSK_KERNEL##*/vmlinuz-}"
		[ -f "$1" ] && ! [ "$HUSK_KERNEL" -nt "$1" ] && HUSK_KERNEL=$1 ;;
	esac
}
[ -n "${HUSK_KERNEL:-}" ] || kernel_pick

# lines_of FILE: lo, FILE's lines joined by newlines (builtins); false if
# it cannot be read.
lines_of() {
	lo=
	{ while IFS= read -r lo_l; do lo=$lo${lo:+$NL}$lo_l; done <"$1"; } 2>/dev/null
}

# has_words FILE WORD...: FILE's first line has every WORD (builtins: no
# process, as what runs for every job must be).
has_words() {
	{ read -r hw_l <"$1"; } 2>/dev/null || return 1
	shift
	for hw_w; do
		case " $hw_l " in *" $hw_w "*) ;; *) return 1 ;; esac
	done
}

# pdeathsig: setpriv(1) can give a parent-death signal: util-linux's (a
# file of its own), not busybox's (a link to busybox), which cannot.
pdeathsig() {
	pd_r=1 pd_ifs=$IFS
	IFS=:
	for pd_d in $PATH; do
		[ -x "$pd_d/setpriv" ] || continue
		[ -h "$pd_d/setpriv" ] || pd_r=0
		break
	done
	IFS=$pd_ifs
	return $pd_r
}

# A program of this tree, else from PATH.
# tool_at NAME: the same in tool_p, without a process (false if none).
tool() { tool_at "$1" && echo "$tool_p"; }
tool_at() {
	for tool_p in "$root/bin/$1" "$root/initramfs/$1"; do
		[ -x "$tool_p" ] && return 0
	done
	tool_p=$(command -v "$1" 2>/dev/null)
}

# vmrun: HUSK_VMRUN, else the tree's or PATH's; fails if not executable.
vmrun_tool() {
	vmrun_at && echo "$vt"
}
# vmrun_at: the same in vt, without a process.
vmrun_at() {
	vt=${HUSK_VMRUN:-}
	[ -n "$vt" ] || { tool_at vmrun && vt=$tool_p; } || return 1
	[ -x "$vt" ]
}

# num NAME VALUE MIN MAX: a decimal in range, or a usage error naming it.
num() {
	case $2 in
	''|*[!0-9]*) die $EX_USAGE "unable to parse $1 $2: not a number" ;;
	esac
	[ ${#2} -le 9 ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
		die $EX_USAGE "unable to use $1 $2: not in $3..$4"
}

### IPv4 arithmetic, in the shell's 64-bit integers.

# ip2n ADDR: sets ip_n to ADDR as a number (no fork); false if ADDR is
# not a dotted quad.
ip2n() {
	case $1 in *[!0-9.]*|*..*|.*|*.) return 1 ;; esac
	IFS=. read -r i_a i_b i_c i_d i_x <<EOF
$1
EOF
	[ -n "$i_d" ] && [ -z "$i_x" ] || return 1
	for i_o in "$i_a" "$i_b" "$i_c" "$i_d"; do
		case $i_o in 0?*) return 1 ;; esac	# no octal, no ambiguity
		[ ${#i_o} -le 3 ] && [ "$i_o" -le 255 ] || return 1
	done
	ip_n=$(( (i_a << 24) | (i_b << 16) | (i_c << 8) | i_d ))
}
# n2ip N: sets ip_s to the dotted quad of N (no fork: it runs per address).
n2ip() { ip_s="$(( $1 >> 24 & 255 )).$(( $1 >> 16 & 255 )).$(( $1 >> 8 & 255 )).$(( $1 & 255 ))"; }
# ip2mac N: the MAC husk gives address N (a guest's, the gateway's):
# locally administered, 02:68 and the address's four bytes.
ip2mac() {
	printf '02:68:%02x:%02x:%02x:%02x' $(( $1 >> 24 & 255 )) $(( $1 >> 16 & 255 )) \
	    $(( $1 >> 8 & 255 )) $(( $1 & 255 ))
}

# ipcalc ADDR PREFIX: sets net_n, mask, network, gateway, broadcast, first,
# last, hosts.  The gateway is the first host, guests get the rest but the
# broadcast.  Prefix 1..30: /31 and /32 leave no room for a guest.
ipcalc() {
	case $2 in ''|*[!0-9]*) die $EX_USAGE "unable to parse HUSK_PREFIX $2: not a number" ;; esac
	[ ${#2} -le 2 ] && [ "$2" -ge 1 ] && [ "$2" -le 30 ] ||
		die $EX_USAGE "unable to use HUSK_PREFIX $2: not in 1..30"
	ip2n "$1" || die $EX_USAGE "unable to parse HUSK_POOL $1: not an IPv4 address"
	a_n=$ip_n
	mask_n=$(( (0xffffffff << (32 - $2)) & 0xffffffff ))
	net_n=$(( a_n & mask_n ))
	bc_n=$(( net_n | (~mask_n & 0xffffffff) ))
	n2ip $mask_n; mask=$ip_s
	n2ip $net_n; network=$ip_s
	n2ip $bc_n; broadcast=$ip_s
	n2ip $((net_n + 1)); gateway=$ip_s
	n2ip $((net_n + 2)); first=$ip_s
	n2ip $((bc_n - 1)); last=$ip_s
	hosts=$((bc_n - net_n - 2))
	prefix=$2
}

### Processes, by pid and start time.

# ticks PID: sets tk to the start time of a live (not zombie) process,
# false if it is gone.  Builtins only: it runs for every lease.
ticks() {
	tk=
	{ read -r tk_s <"/proc/$1/stat"; } 2>/dev/null || return 1
	tk_s=${tk_s##*) }
	set -f; set -- $tk_s; set +f
	[ "$1" != Z ] && [ "$1" != X ] || return 1
	tk=${20}
}
# alive PID TICKS: that very process still runs.
alive() {
	case $1 in ''|*[!0-9]*) return 1 ;; esac
	ticks "$1" && [ "$tk" = "$2" ]
}

# wait_gone PID TICKS SECONDS: wait up to SECONDS, in 10 ms steps, for that
# process to end; false if it still runs.
wait_gone() {
	e_n=$(( $3 * 100 ))
	while [ $e_n -gt 0 ] && alive "$1" "$2"; do sleep 0.01; e_n=$((e_n - 1)); done
	! alive "$1" "$2"
}

# stop PID TICKS GRACE: TERM, GRACE seconds, KILL, then up to 2 s more.
stop() {
	alive "$1" "$2" || return 0
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1" "$2" "$3" && return 0
	warn "vmrun $1 ignored SIGTERM for ${3}s: killing it"
	kill -KILL "$1" 2>/dev/null
	wait_gone "$1" "$2" 2
	return 0
}

# stop_child PID TICKS GRACE: stop as stop does a child of ours, with
# no polling: TERM, then its end waited for while a watcher, woken after
# GRACE seconds, KILLs it if it still runs.  (TERM may be ignored here,
# in a teardown, and so in the watcher's sleep: it is killed with KILL.)
stop_child() {
	alive "$1" "$2" || { wait "$1" 2>/dev/null; return 0; }
	kill -TERM "$1" 2>/dev/null
	# (USR1 ends the watcher and its sleep, whenever it comes: before
	# the trap, by default, when there is no sleep yet; then by the trap,
	# which kills the sleep once $! is the sleep's, the moment it has
	# started (a trap runs between commands).  Once the sleep is over,
	# USR1 only ends the watcher, so no pid reused since is killed.
	# KILL before the warning, which a closed stderr's SIGPIPE could
	# end.)
	( sc_0=${!:-}
	  trap '[ "${!:-}" = "$sc_0" ] || kill -KILL $! 2>/dev/null; exit 0' USR1
	  sleep "$3" </dev/null >/dev/null 2>&1 &
	  wait $!
	  trap 'exit 0' USR1
	  alive "$1" "$2" || exit 0
	  kill -KILL "$1" 2>/dev/null
	  warn "vmrun $1 ignored SIGTERM for ${3}s: killed it" ) &
	sc_w=$!
	wait "$1" 2>/dev/null
	kill -USR1 "$sc_w" 2>/dev/null
	wait "$sc_w" 2>/dev/null
	return 0
}

### Locks.

# lk_break: lock's directory is stale: rename it away, then remove it.
lk_break() { mv "$lk" "$lk.stale.$lk_me" 2>/dev/null && rm -rf "$lk.stale.$lk_me"; }

# lock FILE SECONDS: in a subshell, hold an exclusive lock on FILE until
# the subshell exits.  flock(1) where there is one (the kernel drops the
# lock with its holder).  Where there is none (a busybox-only system, as
# in the test rig's guest) a directory FILE.d made by mkdir, holding
# "PID TICKS" of the subshell; one whose holder is gone, or that has no
# holder for 2 s, is broken by renaming it away.  (Two processes breaking
# the same stale lock at the same instant could both get in: that needs
# a holder killed inside a section of a few milliseconds.)
lock() {
	if command -v flock >/dev/null 2>&1; then
		exec 9>>"$1" && flock -w "$2" 9
		return
	fi
	lk=$1.d lk_orphan=
	now_ms; lk_end=$(( ms + $2 * 1000 ))
	{ read -r lk_me _ </proc/self/stat; } 2>/dev/null || return 1
	while ! mkdir "$lk" 2>/dev/null; do
		now_ms
		if { read -r lk_p lk_t <"$lk/owner"; } 2>/dev/null; then
			lk_orphan=
			alive "$lk_p" "$lk_t" || { lk_break; continue; }
		elif [ -z "$lk_orphan" ]; then
			lk_orphan=$ms
		elif [ $(( ms - lk_orphan )) -gt 2000 ]; then
			lk_break
			lk_orphan=
		fi
		[ "$ms" -lt "$lk_end" ] || return 1
		sleep 0.01
	done
	ticks "$lk_me" && echo "$lk_me $tk" >"$lk/owner" || { rm -rf "$lk"; return 1; }
	trap 'rm -rf "$lk"' EXIT
}

### Leases.


# lease_read FILE: sets l_owner, l_vmrun ("PID TICKS"), l_tap, l_job,
# l_dir; false if the file is gone.
# (A redirection that fails on exec, a special builtin, would end the
# shell: the file is read by the loop's own, which fails alone.  Files
# vanish here: a lease's teardown, a pool offer another claim renamed.)
lease_read() {
	l_owner= l_vmrun= l_tap= l_job= l_dir=
	{ while read -r l_k l_v; do
		case $l_k in
		owner|vmrun|tap|job|dir) eval "l_$l_k=\$l_v" ;;
		esac
	  done <"$1"; } 2>/dev/null
}

# Write a lease atomically: a temp file in the same folder, then mv.
lease_write() {
	w_f=$1; shift
	w_t=${w_f%/*}/.${w_f##*/}.$$.tmp
	printf '%s\n' "$@" >"$w_t" && mv -f "$w_t" "$w_f" || {
		rm -f "$w_t"; return 1; }
}

# reclaim FILE: if the lease's owner is gone, undo what it left (vmrun,
# tap, run directory) and remove it.  True if the lease was removed.
# A lease is not trusted: only a vmrun process (by name and start time),
# a tap of husk's name pattern and HUSK_STATE/run/ID for a valid ID are
# stopped, deleted or removed; anything else is left, with a warning.
reclaim() {
	lease_read "$1" || return 0
	set -f; set -- "$1" $l_owner; set +f
	alive "${2:-}" "${3:-}" && return 1
	warn "reclaiming the stale lease of ${1##*/} (job $l_job)"
	set -f; set -- "$1" $l_vmrun; set +f
	if [ $# -ge 3 ] && alive "$2" "$3"; then
		if { read -r r_comm <"/proc/$2/comm"; } 2>/dev/null && [ "$r_comm" = vmrun ]; then
			stop "$2" "$3" 1
		else
			warn "lease ${1##*/}: pid $2 is not a vmrun of husk: left alone"
		fi
	fi
	case $l_tap in
	'') ;;
	hk[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])
		[ -e "/sys/class/net/$l_tap" ] && ip link del "$l_tap" 2>/dev/null
		# The address is the lease's name, checked: it goes into
		# an nft script.
		if ip2n "${1##*/}"; then
			r_n=$ip_n
			net_job_del "$l_tap" "$r_n" ||
				warn "lease ${1##*/}: unable to remove the filter elements of $l_tap"
		fi ;;
	*) warn "lease ${1##*/}: $l_tap is not a tap of husk: left alone" ;;
	esac
	case $l_job in
	''|.*|*[!A-Za-z0-9._-]*) ;;
	*) [ -d "$HUSK_CGROUP/$l_job" ] && rmdir "$HUSK_CGROUP/$l_job" 2>/dev/null ;;
	esac
	# a pooled VM's offer or claim (husk serve -p)
	ip2n "${1##*/}" && rm -f "$HUSK_STATE/pool/${1##*/}".*
	r_id=${l_dir#"$HUSK_STATE/run/"}
	case $r_id in
	''|.*|*[!A-Za-z0-9._-]*) [ -n "$l_dir" ] &&
		warn "lease ${1##*/}: $l_dir is not a run directory of husk: left alone" ;;
	*) rm -rf "$HUSK_STATE/run/$r_id" ;;
	esac
	rm -f "$1"
}

# private DIR...: each is a directory of ours that no one else can write
# (else a local user could plant leases for root to act on).
private() {
	p_n=$#
	for p_d; do
		[ -d "$p_d" ] && set -- "$@" "$p_d"
	done
	shift "$p_n"
	[ $# -gt 0 ] || return 0
	# One stat for them all: it runs for every job.
	p_s=$(stat -c '%u %a %n' "$@") || die $EX_SYS "unable to stat $*"
	while read -r p_u p_m p_d; do
		case $p_u.$p_m in
		"$uid."*[0145][0145]) ;;
		"$uid."*) die $EX_SYS "unable to use $p_d: writable by others (mode $p_m): chmod go-w it" ;;
		*) die $EX_SYS "unable to use $p_d: owned by uid $p_u, not $uid" ;;
		esac
	done <<EOF
$p_s
EOF
}

# lease_take JOB TAP OWNER: under the lock, reclaim stale leases, then
# take the lowest free guest address; prints it.  Exit EX_POOL if none.
lease_take() {
	d=$HUSK_STATE/leases
	private "$HUSK_STATE" "$d" "$HUSK_STATE/run"
	[ -d "$d" ] && [ -d "$HUSK_STATE/run" ] ||
	( umask 022; mkdir -p "$d" "$HUSK_STATE/run" ) ||
		die $EX_SYS "unable to create $HUSK_STATE"
	(
		lock "$HUSK_STATE/lock" 30 || die $EX_SYS "unable to lock $HUSK_STATE/lock: timed out"
		# Temp files of writers that died (a live one may be
		# rewriting its lease, or a pool's offer, outside the lock).
		for f in "$d"/.*.tmp "$HUSK_STATE"/pool/.*.tmp; do
			[ -f "$f" ] || continue
			p=${f%.tmp}; p=${p##*.}
			kill -0 "$p" 2>/dev/null || rm -f "$f"
		done
		for f in "$d"/*; do
			[ -f "$f" ] && reclaim "$f"
		done
		ticks "$3" || die $EX_SYS "unable to read /proc/$3/stat"
		n=$((net_n + 2))
		while [ $n -lt $bc_n ]; do
			n2ip $n; a=$ip_s
			if [ ! -e "$d/$a" ]; then
				lease_write "$d/$a" "owner $3 $tk" "tap $2" "job $1" \
				    "dir $HUSK_STATE/run/$1" ||
					die $EX_SYS "unable to write the lease $d/$a"
				echo "$a"
				exit 0
			fi
			n=$((n + 1))
		done
		die $EX_POOL "unable to lease an address in $network/$prefix: all $hosts in use (see $d)"
	)
}

