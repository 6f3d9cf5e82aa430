#!/bin/sh
# relay across machines sharing one directory over NFS (relayd(8): "several
# hosts may share one relay directory on NFS").  Runs in the rig's
# first-level guest (L1), which is the NFS server and one machine; a
# second-level guest (L2, booted by vmrun on a tap) is the other.
#
# L1 exports a tmpfs with the kernel's NFS server, NFSv4 over TCP only, set
# up through its files alone (no nfs-utils, no rpcbind, no mountd): the
# export cache entries mountd would answer are written into
# /proc/net/rpc/*/channel ahead of time.  L2 is the rig's guest image
# (busybox, guest-agent) with the NFS client modules added; L1 drives it
# through guest-agent and it mounts the export with busybox mount, the
# kernel parsing the text options.  Then:
#   - relayd in L1 (on the local tmpfs), relay in L2 (over NFS): status,
#     output, cancel from L2, relay run -t from L2;
#   - relayd in L2, relay in L1: the same the other way;
#   - relayd on both at once, 100 commands submitted from each side: each
#     runs exactly once and each submitter's relay wait gets its status.
# Figures (TAP comments): round trips and drains, across the mount vs
# local.  (Not 9p as well: the cloud kernel is built without it.)
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"

tap=hkn52
mac=02:00:00:00:52:00
ip1=10.0.52.1
ip2=10.0.52.2
A=$ip2:8000
n_each=100
n_rt=10

if ! command -v vmrun >/dev/null; then
	echo "1..0 # SKIP bin/vmrun is not built in this tree"
	exit 0
fi
# On a KVM host the tests run on the host itself: this one would load
# nfsd there and rewrite its export cache.  Only the rig's guest has it.
if ! [ -f /etc/rig/modules.nfsd ]; then
	echo "1..0 # SKIP not in the rig's first-level guest (test/vm/rig): it would reconfigure this host's NFS server"
	exit 0
fi

now() { cut -d' ' -f1 /proc/uptime; }
t_start=$(now)
since() { echo "$1 $(now)" | awk '{ printf "%.2f", $2 - $1 }'; }
note() { echo "$*" >>"$TRASH/figures"; }
con() { tr -d '\r' <console; }
# on2 SCRIPT [seconds]: run SCRIPT in L2 with sh -c; its output and status.
on2() {
	guest-agent call -t "$(( ${2:-60} * 1000 ))" "$A" exec sh -c "$1"
}
# A process of this machine whose command line is exactly $1.
running() {
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <$p/cmdline 2>/dev/null)" = "$1 " ] && return 0
	done
	return 1
}
# The same in L2: 0 yes, 1 no, else guest-agent failed.
running2() {
	on2 'for p in /proc/[0-9]*; do
		[ "$(tr "\0" " " <$p/cmdline 2>/dev/null)" = "'"$1"' " ] && exit 0
	done; exit 1' 20
}

# The kernel's NFS server, NFSv4 only, exporting $1 to $2 as the NFSv4
# root (fsid=0), read-write, root not squashed.  What mountd would answer
# is written ahead: auth.unix.ip (client -> domain), nfsd.fh (the root's
# fsid -> path) and nfsd.export (domain and path -> options; flags 9218 =
# NFSEXP_FSID 0x2000 | NOSUBTREECHECK 0x400 | INSECURE_PORT 0x2, anon
# 65534), none expiring.  A tmpfs needs the fsid: it has no device.
# With NFSv3 off, no rpcbind is needed (NFSv4's registration is
# optional).  The grace period after start is cut to its least, 10 s: the
# client's first OPEN waits it out.  The legacy recovery directory lets
# the server track its clients without nfsdcld.
nfsd_start() {
	while read -r m; do
		n=${m##*/}; n=${n%.ko}
		[ -d "/sys/module/$(echo "$n" | tr - _)" ] && continue
		insmod "/lib/modules/$m" || return 1
	done </etc/rig/modules.nfsd
	mkdir -p /var/lib/nfs/v4recovery &&
	{ grep -q "^nfsd /proc/fs/nfsd " /proc/mounts ||
	  mount -t nfsd nfsd /proc/fs/nfsd; } &&
	echo 10 >/proc/fs/nfsd/nfsv4gracetime &&
	echo "-3" >/proc/fs/nfsd/versions &&
	echo "tcp 2049" >/proc/fs/nfsd/portlist &&
	echo 4 >/proc/fs/nfsd/threads &&
	echo "nfsd $2 2147483647 husk-l2" >/proc/net/rpc/auth.unix.ip/channel &&
	printf 'husk-l2 1 \\x00000000 2147483647 %s\n' "$1" \
		>/proc/net/rpc/nfsd.fh/channel &&
	echo "husk-l2 $1 2147483647 9218 65534 65534 0" \
		>/proc/net/rpc/nfsd.export/channel
}
# Stop it and drop the cache entries, which hold the export mounted.
nfsd_stop() {
	[ -f /proc/fs/nfsd/threads ] || return 0
	echo 0 >/proc/fs/nfsd/threads
	for c in nfsd.export nfsd.fh auth.unix.ip; do
		echo 1 >"/proc/net/rpc/$c/flush"
	done
}

# Scripts both machines run (L2 has them in /usr/local/bin):
# timed OUT CMD...: run CMD, write its time in seconds to OUT, exit with
# its status.
# relay-rt N DIR: N round trips of relay run true; prints the mean and
# the longest, in ms; fails if one took 5 s or more.
# relay-n N DIR SIDE SCRATCH: submit N commands, each appending its id to
# runs in its server's workdir, sleeping 0.1 s (so that one relayd cannot
# take them all) and exiting with its number mod 5; then relay wait for
# each and check its status; the ids go to DIR/../ids.SIDE.
mkdir bin
cat >bin/timed <<\EOF
#!/bin/sh
out=$1; shift
t0=$(cut -d" " -f1 /proc/uptime)
"$@"
rc=$?
echo "$t0 $(cut -d" " -f1 /proc/uptime)" | awk '{ printf "%.2f\n", $2 - $1 }' >"$out"
exit $rc
EOF
cat >bin/relay-rt <<\EOF
#!/bin/sh
i=0
while [ $i -lt $1 ]; do
	t0=$(cut -d" " -f1 /proc/uptime)
	relay -d "$2" run true || exit 1
	echo "$t0 $(cut -d" " -f1 /proc/uptime)"
	i=$((i + 1))
done | awk '{ t = ($2 - $1) * 1000; s += t; if (t > m) m = t }
	END { if (NR != '"$1"') exit 1; printf "%.0f ms mean, %.0f ms longest", s / NR, m; exit m >= 5000 }'
EOF
cat >bin/relay-n <<\EOF
#!/bin/sh
: >"$4/ids" || exit 111
i=0
while [ $i -lt $1 ]; do
	relay -d "$2" submit "echo \$RELAY_ID >>runs; sleep 0.1; exit $((i % 5))" >>"$4/ids" || exit 111
	i=$((i + 1))
done
i=0 bad=0
while read -r id; do
	relay -d "$2" wait "$id"
	rc=$?
	[ $rc = $((i % 5)) ] || { echo "$id: relay wait $rc, want $((i % 5))"; bad=$((bad + 1)); }
	i=$((i + 1))
done <"$4/ids"
cp "$4/ids" "$2/../ids.$3" && exit $bad
EOF
chmod 755 bin/timed bin/relay-rt bin/relay-n
PATH=$TRASH/bin:$PATH
# The time in FILE is under MAX seconds.
within() { awk -v m="$2" '{ exit !($1 < m) }' "$1"; }

exp=$TRASH/export
r1=$exp/r
r2=/mnt/r

test_expect_success 'set-up: a tmpfs exported by nfsd (NFSv4, TCP), a tap, the L2 image with the NFS client' '
	mkdir export && mount -t tmpfs -o size=64m,mode=755 export export &&
	mkdir "$exp/w1" "$exp/w2" &&
	nfsd_start "$exp" "$ip2" &&
	note "nfsd versions: $(cat /proc/fs/nfsd/versions)" &&
	mkdir -p ov/etc/husk ov/usr/local/bin x &&
	(cd x && gzip -dc "$L2_GUEST" | cpio -i -d etc/husk/modules 2>/dev/null) &&
	cp x/etc/husk/modules ov/etc/husk/modules &&
	while read -r m; do
		grep -qx "$m" ov/etc/husk/modules && continue
		mkdir -p "ov/lib/modules/${m%/*}" &&
		cp "/lib/modules/$m" "ov/lib/modules/$m" &&
		echo "$m" >>ov/etc/husk/modules || return 1
	done </etc/rig/modules.nfsv4 &&
	cp "$HUSK_ROOT/bin/relay" "$HUSK_ROOT/bin/relayd" bin/* ov/usr/local/bin/ &&
	l2_image l2.img ov &&
	tunctl -t "$tap" >/dev/null &&
	ip addr add "$ip1/30" dev "$tap" && ip link set "$tap" up
'

test_expect_success 'vmrun boots L2; its guest-agent answers on the tap' '
	t0=$(now) &&
	{ bg vmrun -v -k "$L2_KERNEL" -i l2.img -m 256 -c 1 \
		-a "console=ttyS0 quiet panic=-1 husk.ip=$ip2/30 husk.gw=$ip1 husk.agent=0.0.0.0:8000" \
		-n "tap=$tap,mac=$mac" --console stdio -e exit.st </dev/null >console 2>err; } &&
	echo $! >pid &&
	wait_for "guest-agent call -c 1000 -n 1 $A health >/dev/null 2>&1 || ! kill -0 $(cat pid)" 120 &&
	guest-agent call "$A" health >health &&
	note "L2 boot to guest-agent: $(since $t0) s"
'
grep -q '"status":"ok"' health 2>/dev/null || {
	echo "# vmrun stderr and the L2 console:"; cat err console | tail -n 40 | sed 's/^/#  | /'
} >&2

# L2 is a machine of its own: its own host name (relayd tells servers
# apart by host name and pid namespace, and both kernels name their first
# pid namespace alike).
test_expect_success 'L2 mounts the export over NFSv4.2; a file written on one side is read on the other' '
	t0=$(now) &&
	on2 "hostname l2 && mkdir -p /mnt &&
		mount -t nfs4 -o vers=4.2,addr=$ip1,clientaddr=$ip2 $ip1:/ /mnt &&
		grep \" /mnt nfs4 \" /proc/mounts && stat -f -c %t /mnt" >mount.out 2>&1 &&
	note "NFS mount: $(since $t0) s: $(sed -n "s|.* /mnt nfs4 \([^ ]*\) .*|\1|p" mount.out)" &&
	grep -qx 6969 mount.out &&
	echo from-l1 >"$exp/a" &&
	test "$(on2 "cat /mnt/a && echo from-l2 >/mnt/b")" = from-l1 &&
	test "$(cat "$exp/b")" = from-l2
'

# relayd in L1 on the exported tmpfs: local to it, so inotify sees what
# nfsd does for L2.
start_relayd1() {
	bg relayd -d "$r1" -w "$exp/w1" -j 2 -T 2 2>>relayd1.log &&
	echo $! >relayd1.pid &&
	wait_for "grep -q serving relayd1.log" 20
}
stop_relayd1() {
	kill -TERM "$(cat relayd1.pid)" && wait_for "gone relayd1.pid" 30
}
# relayd in L2, over NFS, its log on the share.  The agent's job waits
# for it to serve: the agent stops what is left in the job's process
# group when the job ends, and setsid may not have run by then.
start_relayd2() {
	on2 "setsid relayd -d $r2 -w /mnt/w2 -j 2 -T 2 </dev/null >/dev/null 2>>/mnt/relayd2.log &
		echo \$! >/tmp/relayd2.pid
		i=0; until grep -q serving /mnt/relayd2.log; do
			[ \$i -lt 300 ] || exit 1; i=\$((i + 1)); sleep 0.1
		done" 40 &&
	wait_for "grep -q serving \"$exp/relayd2.log\"" 30
}
stop_relayd2() {
	on2 "kill -TERM \$(cat /tmp/relayd2.pid) &&
		while kill -0 \$(cat /tmp/relayd2.pid) 2>/dev/null; do sleep 0.1; done" 40
}

# The command writes its second line a second after its first: relay
# must not stop at the log's end as this client last saw it.
test_expect_success 'relayd in L1; relay run in L2: the status and all the output come back' '
	start_relayd1 &&
	on2 "relay -d $r2 run \"echo one; sleep 1; echo two\" >/tmp/out; echo \$? >>/tmp/out; cat /tmp/out" >out &&
	printf "one\ntwo\n0\n" >want && test_cmp want out &&
	{ on2 "relay -d $r2 run \"exit 7\""; test $? = 7; }
'

# Bounds: what the poll interval (0.1 s) allows, with room for TCG; the
# NFS client's attribute cache, left alone, hides another host's change
# for up to 30-60 s (acdirmin, acdirmax).
test_expect_success 'round trip of relay run true: from L2 across the mount, and from L1 (local); each under 5 s' '
	{ on2 "relay-rt $n_rt $r2" 120 >rt.l2; st=$?; } &&
	timeout 120 relay-rt $n_rt "$r1" >rt.l1 &&
	note "round trip, relay run true, relayd in L1, $n_rt runs: from L2 across NFS $(cat rt.l2); from L1 (local) $(cat rt.l1)" &&
	test $st = 0
'

test_expect_success 'cancel from L2 a command running in L1: 130 within 10 s, its process gone' '
	id=$(on2 "relay -d $r2 submit \"echo up; exec sleep 1001\"") &&
	wait_for "test -f $r1/run/$id && grep -q up $r1/result/$id.log" 30 &&
	running "sleep 1001" &&
	on2 "timed /mnt/secs.c2 relay -d $r2 cancel $id" >cancel.out &&
	grep -x "$id cancelled" cancel.out &&
	note "relay cancel in L2 of a command in L1: $(cat "$exp/secs.c2") s" &&
	within "$exp/secs.c2" 10 &&
	{ on2 "relay -d $r2 wait $id"; test $? = 130; } &&
	! running "sleep 1001" && ! test -e "$r1/run/$id"
'

test_expect_success 'relay run -t 3 in L2, the command in L1: 124 within 13 s, its process gone' '
	{ on2 "timed /mnt/secs.t2 relay -d $r2 run -t 3 \"exec sleep 1002\""; test $? = 124; } &&
	note "relay run -t 3 in L2, the command in L1: 124 after $(cat "$exp/secs.t2") s" &&
	within "$exp/secs.t2" 13 &&
	! running "sleep 1002" && test_empty "$r1/run" "$r1/cancel"
'

test_expect_success 'relayd in L2 instead (over NFS), relay run in L1: status and all the output' '
	stop_relayd1 &&
	start_relayd2 &&
	timeout 60 relay -d "$r1" run "echo one; sleep 1; echo two" >out &&
	printf "one\ntwo\n" >want && test_cmp want out &&
	{ timeout 60 relay -d "$r1" run "exit 9"; test $? = 9; }
'

test_expect_success 'round trip of relay run true with relayd in L2: from L1, and from L2; each under 5 s' '
	timeout 120 relay-rt $n_rt "$r1" >rt.l1r &&
	on2 "relay-rt $n_rt $r2" 120 >rt.l2l &&
	note "round trip, relay run true, relayd in L2, $n_rt runs: from L1 $(cat rt.l1r); from L2 (both on NFS) $(cat rt.l2l)"
'

test_expect_success 'cancel from L1 a command running in L2: 130 within 10 s, its process gone' '
	id=$(relay -d "$r1" submit "echo up; exec sleep 1003") &&
	wait_for "test -f $r1/run/$id && grep -q up $r1/result/$id.log" 30 &&
	running2 "sleep 1003" &&
	timed secs.c1 timeout 60 relay -d "$r1" cancel "$id" >cancel.out &&
	grep -x "$id cancelled" cancel.out &&
	note "relay cancel in L1 of a command in L2: $(cat secs.c1) s" &&
	within secs.c1 10 &&
	{ timeout 60 relay -d "$r1" wait "$id"; test $? = 130; } &&
	{ running2 "sleep 1003"; test $? = 1; } && ! test -e "$r1/run/$id"
'

test_expect_success 'relay run -t 3 in L1, the command in L2: 124 within 13 s, its process gone' '
	{ timed secs.t1 timeout 60 relay -d "$r1" run -t 3 "exec sleep 1004"; test $? = 124; } &&
	note "relay run -t 3 in L1, the command in L2: 124 after $(cat secs.t1) s" &&
	within secs.t1 13 &&
	{ running2 "sleep 1004"; test $? = 1; } && test_empty "$r1/run" "$r1/cancel"
'

test_expect_success "$n_each commands from each side, relayd on both: each ran once, every status came back" '
	start_relayd1 &&
	mkdir scratch &&
	t0=$(now) &&
	{ { on2 "relay-n $n_each $r2 l2 /tmp" 300 >sub.l2 2>&1; echo $? >sub.l2.st; } &
	  l2sub=$!; } &&
	{ timeout 300 relay-n $n_each "$r1" l1 scratch >sub.l1 2>&1; st1=$?; wait $l2sub; } &&
	note "drain, $n_each from each side, relayd on both (-j 2 each): $(since $t0) s" &&
	cat sub.l1 sub.l2 &&
	test $st1 = 0 && test "$(cat sub.l2.st)" = 0 &&
	cat "$exp/ids.l1" "$exp/ids.l2" | sort >want &&
	test $(wc -l <want) = $((2 * n_each)) &&
	cat "$exp/w1/runs" "$exp/w2/runs" | sort >got &&
	test_cmp want got &&
	note "of those, relayd in L1 ran $(wc -l <"$exp/w1/runs"), relayd in L2 $(wc -l <"$exp/w2/runs")"
'

test_expect_success 'both relayd took a share' '
	test -s "$exp/w1/runs" && test -s "$exp/w2/runs"
'

test_expect_success 'nothing is left queued, claimed, running or cancelled' '
	test_empty "$r1/cmd" "$r1/run" "$r1/cancel" &&
	for s in "$r1"/srv/*; do test -z "$(ls "$s")" || return 1; done
'

test_expect_success "local yardstick: $((2 * n_each)) commands from L1, relayd in L1 only" '
	stop_relayd2 &&
	rm -f "$exp/w1/runs" &&
	t0=$(now) &&
	timeout 300 relay-n $((2 * n_each)) "$r1" local scratch >sub.local 2>&1 &&
	note "drain, $((2 * n_each)) from L1, relayd in L1 only (-j 2, local): $(since $t0) s" &&
	test "$(wc -l <"$exp/w1/runs")" = $((2 * n_each))
'

stop_relayd1 2>/dev/null
on2 "umount /mnt" 20 >/dev/null 2>&1
# The tap goes once vmrun has let go of it (tunctl -d fails before).
[ -f pid ] && kill -TERM "$(cat pid)" 2>/dev/null && wait_for "gone pid" 10
tunctl -d "$tap" >/dev/null 2>&1
note "the whole test: $(since $t_start) s"
[ -f figures ] && sed "s/^/# /" figures
if [ "$test_failed" != 0 ]; then
	echo "# relayd in L1:"; tail -n 20 relayd1.log 2>/dev/null | sed "s/^/#  | /"
	echo "# relayd in L2:"; tail -n 20 "$exp/relayd2.log" 2>/dev/null | sed "s/^/#  | /"
	echo "# vmrun stderr and the L2 console:"
	{ cat err; con | tail -n 30; } 2>/dev/null | sed "s/^/#  | /"
	echo "# dmesg:"; dmesg | tail -n 20 | sed "s/^/#  | /"
fi
nfsd_stop
# The server lets go of its files asynchronously (delayed fput).
wait_for "umount \"$exp\" 2>/dev/null" 10 || say "unable to unmount $exp"
test_done
