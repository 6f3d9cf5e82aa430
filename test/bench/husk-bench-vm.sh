#!/bin/sh
# The in-VM half of test/bench/husk-bench.sh (run by the rig; TAP, with
# the figures as comments).  Not a test: its checks only guard the figures.
N=5
M=6
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"
HUSK_MEM=128

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The kernel husk boots: the vmlinux (its bare boot is the ratio's peer),
# with the command line husk run gives it (husk _kcmdline): the bare boot
# does the same kernel work as a job's.
kernel=$L2_VMLINUX
kcl=$(husk _kcmdline)
# bare_boot MiB INITRD...: boots the kernel with these initrd files and
# the bench's /init; the seconds to its marker on init.t, to vmrun's
# exit on exit.t.
bare_boot() {
	b_m=$1; shift; b_i=
	for f; do b_i="$b_i -i $f"; done
	# Apart: "a && b &" would run the assignment in the background too.
	t=$(now) && : >con || return 1
	vmrun -k "$kernel" $b_i -m $b_m -a "$kcl" --console con </dev/null &
	p=$!
	k=0 &&
	while ! grep -q @@bench-init con; do
		k=$((k + 1)) && [ $k -lt 6000 ] && kill -0 $p || { cat con; return 1; }
		sleep 0.05
	done &&
	since $t >>init.t &&
	wait $p && since $t >>exit.t
}
test_expect_success "bare vmrun: boot to guest init and to exit, $N runs" '
	mkdir ov && printf "#!/bin/sh\necho @@bench-init\npoweroff -f\n" >ov/init && chmod 755 ov/init &&
	l2_image bare.img ov &&
	i=0 && : >init.t && : >exit.t &&
	while [ $i -lt $N ]; do
		bare_boot $HUSK_MEM bare.img || return 1
		i=$((i + 1))
	done &&
	note "bare vmrun, boot to guest init: median $(median <init.t) s; to exit: $(median <exit.t) s (n=$N)"
'
test_expect_success "husk run -c \"echo hi\", $N runs" '
	i=0 && : >run.t &&
	while [ $i -lt $N ]; do
		t=$(now) && husk run -c "echo hi" >out && since $t >>run.t &&
		echo hi >want && test_cmp want out || return 1
		i=$((i + 1))
	done &&
	r=$(median <run.t) && b=$(median <init.t) &&
	note "husk run echo hi: median $r s (n=$N); ratio to bare boot-to-init: $(echo "$r $b" | awk "{ printf \"%.2f\", \$1 / \$2 }")" &&
	clean
'
# The jail (husk(1) SECURITY) against none (HUSK_INSECURE=1), runs
# alternating so both see the same machine.
test_expect_success "husk run -c \"echo hi\" jailed vs HUSK_INSECURE=1, $N runs each" '
	i=0 && : >sec.t && : >insec.t &&
	while [ $i -lt $N ]; do
		t=$(now) && husk run -c "echo hi" >out && since $t >>sec.t &&
		t=$(now) && HUSK_INSECURE=1 husk run -c "echo hi" >out2 && since $t >>insec.t &&
		echo hi >want && test_cmp want out && test_cmp want out2 || return 1
		i=$((i + 1))
	done &&
	a=$(median <sec.t) && b=$(median <insec.t) &&
	note "husk run echo hi, jailed: median $a s; HUSK_INSECURE=1: $b s (n=$N each); ratio $(echo "$a $b" | awk "{ printf \"%.3f\", \$1 / \$2 }")" &&
	clean
'
# No network (the default: the agent over vsock, no tap) against --net
# (a tap on the fenced bridge, NAT; the agent still over vsock).
test_expect_success "husk run -c \"echo hi\" without network vs --net, $N runs each" '
	sysctl -w net.ipv4.ip_forward=1 >/dev/null &&
	i=0 && : >vs.t && : >net.t &&
	while [ $i -lt $N ]; do
		t=$(now) && husk run -c "echo hi" >out && since $t >>vs.t &&
		t=$(now) && husk run --net -c "echo hi" >out2 && since $t >>net.t &&
		echo hi >want && test_cmp want out && test_cmp want out2 || return 1
		i=$((i + 1))
	done &&
	a=$(median <vs.t) && b=$(median <net.t) &&
	note "husk run echo hi, no network (vsock): median $a s; --net: $b s (n=$N each); ratio --net/vsock $(echo "$a $b" | awk "{ printf \"%.3f\", \$2 / \$1 }")" &&
	clean
'
test_expect_success "submit -> result through relayd -j 1, $N jobs" '
	bg husk serve -j 1 2>relayd1.log && sp=$! &&
	i=0 && : >sub.t &&
	while [ $i -lt $N ]; do
		t=$(now) && id=$(husk submit -c "echo hi") && husk wait $id &&
		since $t >>sub.t && husk logs $id >out && echo hi >want && test_cmp want out || return 1
		i=$((i + 1))
	done &&
	note "submit -> result (relayd -j 1): median $(median <sub.t) s (n=$N)" &&
	kill $sp && wait $sp; clean
'
for j in 1 2; do
	test_expect_success "$M jobs with $j slot(s): jobs per minute" '
		HUSK_RELAY_DIR=$TRASH/relay$j && export HUSK_RELAY_DIR &&
		bg husk serve -j $j 2>relayd$j.log && sp=$! &&
		t=$(now) &&
		for i in $(seq 1 $M); do husk submit -c "echo hi" || return 1; done >ids &&
		for id in $(cat ids); do
			husk wait $id || { echo "job $id: exit $?"; husk logs $id; tail -n 20 relayd$j.log; return 1; }
		done &&
		s=$(since $t) &&
		note "$M jobs, $j slot(s): $s s, $(echo "$M $s" | awk "{ printf \"%.1f\", 60 * \$1 / \$2 }") jobs/min" &&
		kill $sp && wait $sp; clean
	'
done
# A workspace of 50 MB in 5,000 files: husk run -C (a tar over the
# agent once it is up) against no workspace; and the way measured against
# it, a cpio of the tree appended to the image (guest-agent pack, a second
# vmrun -i: the kernel unpacks it at boot), as what it adds to a bare
# boot to init.  Alternating, 320 MiB each.
test_expect_success "husk run -C with 50 MB in 5,000 files: against none, and against a cpio at boot, 3 runs each" '
	"$HUSK_ROOT/build/vm/mktree" tree 50 100 10000 &&
	guest-agent pack tree job >tree.cpio &&
	i=0 && : >ws0.t && : >wsc.t && : >b0.t && : >bc.t &&
	while [ $i -lt 3 ]; do
		t=$(now) && husk run -m 320 -- true && since $t >>ws0.t &&
		t=$(now) && husk run -m 320 -C tree -- test -f /job/d49/f99 && since $t >>wsc.t &&
		: >init.t && bare_boot 320 bare.img && cat init.t >>b0.t &&
		: >init.t && bare_boot 320 bare.img tree.cpio && cat init.t >>bc.t || return 1
		i=$((i + 1))
	done &&
	a=$(median <ws0.t) && b=$(median <wsc.t) && c=$(median <b0.t) && d=$(median <bc.t) &&
	note "husk run: no workspace $a s; -C 50 MB/5,000 files (tar after boot) $b s, +$(echo "$b $a" | awk "{ printf \"%.2f\", \$1 - \$2 }") s; bare boot to init $c s, with the tree as a second cpio $d s, +$(echo "$d $c" | awk "{ printf \"%.2f\", \$1 - \$2 }") s (n=3 each)" &&
	rm -rf tree tree.cpio && clean
'
# Snapshots (husk(1) Snapshots): husk run echo hi taking a VM of husk
# serve -p 2's pool (restored and rekeyed before the job) against a cold
# one (HUSK_SNAPSHOT=0), alternating; then restoring its own VM from the
# sh image's snapshot; the
# restore alone (vmrun --restore to the agent's /health); and the memory
# of five idle VMs restored against five booted: the sums over their
# vmrun processes of RSS (a shared page counts in each) and PSS (a shared
# page divided among its sharers).
idle5() {
	what=$1
	: >idle.pids && rm -f idle.out.* &&
	for i in 1 2 3 4 5; do
		husk run -c "echo started; sleep 600" >idle.out.$i 2>/dev/null &
		echo $! >>idle.pids
	done &&
	wait_for "test \$(cat idle.out.* | grep -c started) = 5" 300 1000 || return 1
	rss=0 pss=0
	for p in /proc/[0-9]*; do
		read -r c <$p/comm 2>/dev/null && test "$c" = vmrun || continue
		set -- $(awk "/^Rss:/ { r = \$2 } /^Pss:/ { p = \$2 } END { print r + 0, p + 0 }" $p/smaps_rollup)
		rss=$((rss + $1)) pss=$((pss + $2))
	done
	note "5 idle VMs, $what: RSS sum $((rss / 1024)) MiB, PSS sum $((pss / 1024)) MiB"
	kill $(cat idle.pids) && wait
}
pool=$HUSK_STATE/pool
test_expect_success "husk run echo hi from a snapshot, from husk serve -p 2, and cold, $N runs each; vmrun --restore alone; 5 idle VMs" '
	husk snapshot >/dev/null &&
	HUSK_VERBOSE=1 husk run -c "echo hi" >out 2>err && grep -q "restored from" err || return 1
	husk serve -p 2 >/dev/null 2>serve.err &
	s=$! &&
	i=0 && : >warm.t && : >cold.t && : >pool.t &&
	while [ $i -lt $N ]; do
		wait_for "test \$(ls $pool 2>/dev/null | grep -c \"\\.ready\$\") = 2" 120 200 &&
		t=$(now) && husk run -c "echo hi" >out && since $t >>pool.t &&
		t=$(now) && HUSK_SNAPSHOT=0 husk run -c "echo hi" >out2 && since $t >>cold.t &&
		echo hi >want && test_cmp want out && test_cmp want out2 || return 1
		i=$((i + 1))
	done &&
	kill $s && wait $s;
	wait_for "test -z \"\$(ls $pool)\"" 60 200 &&
	i=0 &&
	while [ $i -lt $N ]; do
		t=$(now) && husk run -c "echo hi" >out && since $t >>warm.t &&
		test_cmp want out || return 1
		i=$((i + 1))
	done &&
	a=$(median <warm.t) && b=$(median <cold.t) && c=$(median <pool.t) &&
	note "husk run echo hi from a snapshot: median $a s; cold: $b s (n=$N each); ratio $(echo "$a $b" | awk "{ printf \"%.3f\", \$1 / \$2 }") (goal: at most 0.1)" &&
	note "husk run echo hi from husk serve -p 2 (a VM restored and rekeyed before the job): median $c s; ratio to cold $(echo "$c $b" | awk "{ printf \"%.3f\", \$1 / \$2 }")" &&
	i=0 && : >rs.t &&
	while [ $i -lt $N ]; do
		rm -rf r && mkdir r && t=$(now) || return 1
		vmrun --restore "$HUSK_IMAGES/sh.snap" -m $HUSK_MEM -c 1 \
		    --vsock cid=3,uds=$PWD/r/v.sock --balloon --console none </dev/null &
		v=$!
		guest-agent call -c 5000 -w 5000 -n 1 vsock:$PWD/r/v.sock:8000 health >/dev/null &&
		since $t >>rs.t; r=$?
		kill $v; wait $v; test $r = 0 || return 1
		i=$((i + 1))
	done &&
	note "vmrun --restore to the agent answering /health: median $(median <rs.t) s (n=$N)" &&
	idle5 restored && export HUSK_SNAPSHOT=0 && idle5 booted && unset HUSK_SNAPSHOT && clean
'
figures
test_done
