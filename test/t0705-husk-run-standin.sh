#!/bin/sh
# husk run's plumbing on a machine without KVM: vmrun is replaced by a
# stand-in that does what husk run relies on (makes the tap with --net,
# answers on its vsock socket, "CONNECT P" then "OK", with a real
# guest-agent that reads the token from the kernel command line, powers
# off when the agent exits, stops on SIGTERM) but runs the agent on this
# host (on 127.0.0.1, behind socat).  Checked: job output and status,
# readiness deadline, vmrun dying early, teardown on signals, kill -9 and
# reclaim, cancel through relayd.  test/vm/t5100-husk-*.sh run the same
# with the real vmrun in a VM.
. "$(dirname "$0")/test-lib.sh"

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null ||
   ! ip link add name hkt0705probe type bridge 2>/dev/null; then
	echo "1..0 # SKIP needs root, /dev/net/tun and bridges"
	exit 0
fi
ip link del hkt0705probe

HUSK_STATE=$PWD/state HUSK_POOL=10.203.5.0 HUSK_PREFIX=29 HUSK_BRIDGE=hkt0705br
HUSK_KERNEL=$PWD/kernel HUSK_IMAGES=$PWD/images HUSK_GRACE=2
export HUSK_STATE HUSK_POOL HUSK_PREFIX HUSK_BRIDGE HUSK_KERNEL HUSK_IMAGES HUSK_GRACE
: >kernel
mkdir -p images/sh images/python3 bin
: >images/sh/current.cpio.gz; : >images/python3/current.cpio.gz
printf 'sh 1 /bin/sh\npython 3 /usr/bin/python3 -I\n' >langs
cat >bin/vmrun <<EOF2
#!/bin/sh
# stand-in for vmrun: see t0705.  Logs its pid and arguments.
echo "\$\$ \$*" >>$PWD/vmrun.calls
cmdline= tap= console=/dev/null sock=
while [ \$# -gt 0 ]; do
	case \$1 in
	-a) cmdline="\$cmdline \$2"; shift 2 ;;
	-A) cmdline="\$cmdline \$(cat "\$2")"; stat -c "%a" "\$2" >>$PWD/vmrun.secret
	    cat "\$2" >>$PWD/vmrun.secret; shift 2 ;;
	-n) tap=\${2#tap=}; tap=\${tap%%,*}; shift 2 ;;
	--console) console=\$2; shift 2 ;;
	--console-max) shift 2 ;;
	--vsock) sock=\${2#*uds=}; shift 2 ;;
	-k|-i|-m|-c|-e|-R) shift 2 ;;
	*) shift ;;
	esac
done
ip= port=8000 die=
for w in \$cmdline; do
	case \$w in
	husk.ip=*) ip=\${w#husk.ip=}; ip=\${ip%/*} ;;
	husk.port=*) port=\${w#husk.port=} ;;
	standin.die) die=1 ;;
	standin.hang) die=hang ;;
	esac
done
echo "booting \$cmdline" >"\$console"
[ "\$die" = 1 ] && { echo "standin: kernel panic" >>"\$console"; exit 1; }
cl=\${console%/*}/standin.cmdline
printf '%s\n' "\$cmdline" >"\$cl"
[ -z "\$tap" ] || ip tuntap add dev "\$tap" mode tap || exit 111
s=
down() { [ -n "\$s" ] && kill \$s; rm -f "\$sock" "\$cl"; [ -z "\$tap" ] || ip link del "\$tap" 2>/dev/null; }
if [ "\$die" = hang ]; then sleep 600 & a=\$!
else
	guest-agent -l 127.0.0.1:0 -K "\$cl" -L $PWD/langs -w /tmp 2>>"\$console" &
	a=\$!
	# vmrun's side of the vsock, to the agent's port (its first line)
	until p=\$(sed -n "s/^guest-agent: info: listening on 127.0.0.1://p" "\$console"); [ -n "\$p" ]; do
		kill -0 \$a || exit 1; sleep 0.01
	done
	# (socat splits an address at a colon: the shell expands T; and it
	# binds a path too long for a socket address only from its folder)
	(cd "\${sock%/*}" && T=TCP:127.0.0.1:\$p exec socat UNIX-LISTEN:"\${sock##*/}",fork,mode=600 SYSTEM:'read l; echo OK 1024; exec socat - "\$T"') &
	s=\$!
fi
trap 'kill \$a; wait \$a; down; exit 143' TERM
trap 'kill \$a; wait \$a; down; exit 130' INT
wait \$a
down
echo "standin: power off" >>"\$console"
EOF2
chmod +x bin/vmrun
HUSK_VMRUN=$PWD/bin/vmrun
export HUSK_VMRUN

# Elements of this test's pool left in husk's sets by a run that broke
# (mutant 64 skips their removal) are removed first, or they would fail
# every later run too.
unfence() {
	for s in mac ip4 arp4; do
		nft list set bridge husk $s 2>/dev/null |
		    grep -oE '"hk[0-9a-f]{13}"( \. [0-9a-f:.]+)+' | grep -e 02:68:0a:cb:05 -e "10\.203\.5\." |
		while read -r e; do nft delete element bridge husk $s "{ $e }"; done
	done
	nft list set inet husk net 2>/dev/null | grep -oE "10\.203\.5\.[0-9]+" |
	while read -r e; do nft delete element inet husk net "{ $e }"; done
	nft delete element inet husk bridges '{ "hkt0705br" }' 2>/dev/null
	true
}
unfence

# --net needs IPv4 forwarding: on for this test where it can be, as it
# was after.  Where it cannot, the tests of --net skip.
fwd0=$(cat /proc/sys/net/ipv4/ip_forward)
NET=
echo 1 2>/dev/null >/proc/sys/net/ipv4/ip_forward && NET=1
net_test() {
	if [ -n "$NET" ]; then
		test_expect_success "$@"
	else
		test_skip "$1" "IPv4 forwarding cannot be turned on here"
	fi
}

# socats: the stand-ins' socat processes (each runs in its job's run
# directory), by pid.
socats() {
	for p in $(pgrep -x socat); do
		case $(readlink /proc/$p/cwd) in "$PWD"/state/*) echo $p ;; esac
	done
}

# Nothing of a run is left: no stand-in, no tap, no lease, no run dir,
# no element of a tap or address of ours in husk's nftables sets.
clean() {
	! pgrep -af "$HUSK_VMRUN" | sed "s/^/left: /" | grep . &&
	! socats | sed "s/^/left: socat /" | grep . &&
	! ls /sys/class/net | grep "^hk[0-9a-f]\{13\}$" | sed "s/^/left: tap /" | grep . &&
	! nft list ruleset | grep -e '"hk[0-9a-f]\{13\}"' -e "10\.203\.5\." | sed "s/^/left: element /" | grep . &&
	test_empty state/leases state/run
}

test_expect_success 'husk run: stdout and stderr on their streams, exit 3' '
	husk run -c "echo hi; echo err >&2; exit 3" >out 2>err; test $? = 3 &&
	echo hi >want && test_cmp want out && echo err >want && test_cmp want err &&
	clean
'
# A pool offer (husk serve -p) that vanishes between husk run's listing
# and its reading: another claimer's rename, its owner's withdrawal; here
# a dangling link.  It is skipped, and the job runs as without it.  Once
# lease_read's failed redirection of exec ended husk run: exit 2, nothing
# said.  The other offer is of another key (no key file): skipped too.
test_expect_success 'husk run: a pool offer that vanishes is skipped, the job runs' '
	mkdir -p state/pool && chmod 700 state/pool &&
	printf "owner 1 1\nvmrun 1 1\ntap \njob x\ndir /nonexistent\n" >state/pool/10.203.5.5.ready &&
	ln -s gone state/pool/10.203.5.6.ready &&
	{ husk run -c "echo hi" >out 2>err; st=$?; } &&
	rm -rf state/pool &&
	{ test $st = 0 || { echo "exit $st"; cat err; false; }; } &&
	echo hi >want && test_cmp want out && clean
'
test_expect_success 'the VM got a vsock socket in its run directory, the port and a fresh 48-digit token, not on argv; no network' '
	tail -n 1 vmrun.calls >call &&
	grep -q " --vsock cid=3,uds=$PWD/state/run/[^ /]*/v.sock " call &&
	! grep -q " -n " call &&
	grep -q " console=ttyS0 panic=-1 quiet cryptomgr.notests initcall_blacklist=tracer_init_tracefs,trace_eval_init,crypto_kdf108_init percpu_alloc=page husk.port=8000 *-A $PWD/state/run/[^ ]*/cmdline " call &&
	! grep -q "husk.token" call && ! grep -q "husk.ip" call &&
	tail -n 2 vmrun.secret >secret &&
	sed -n 1p secret | grep -qx 600 && sed -n 2p secret | grep -qx "husk.token=[0-9a-f]\{48\}" &&
	! test -e /sys/class/net/hkt0705br
'
net_test 'husk run --net: the tap with the lease'"'"'s address, the gateway on the bridge, the agent still on vsock' '
	husk run --net -c "echo net" >out && echo net >want && test_cmp want out &&
	tail -n 1 vmrun.calls >call &&
	grep -q " -n tap=hk[0-9a-f]\{13\},mac=02:68:0a:cb:05:02 " call &&
	grep -q " --vsock cid=3,uds=$PWD/state/run/[^ /]*/v.sock " call &&
	grep -q " console=ttyS0 panic=-1 quiet cryptomgr.notests initcall_blacklist=tracer_init_tracefs,trace_eval_init,crypto_kdf108_init percpu_alloc=page husk.port=8000 husk.ip=10.203.5.2/29 husk.gw=10.203.5.1 *-A $PWD/state/run/[^ ]*/cmdline " call &&
	ip -4 addr show dev hkt0705br | grep -q "inet 10.203.5.1/29 " && clean
'
# The jail (vmrun(8) --user): each job its own uid and gid, HUSK_JAIL_UID
# plus its address's host number; none with HUSK_INSECURE=1.  This host
# has no cgroup v2 with the memory controller: no --cgroup.
test_expect_success 'vmrun is jailed as the job'"'"'s own uid; HUSK_INSECURE=1 runs it unconfined' '
	grep -q "^[0-9]* --user 2000002:2000002 -k " call &&
	! grep -q -e "--cgroup" call &&
	HUSK_JAIL_UID=500 husk run -c true && tail -n 1 vmrun.calls >call2 &&
	grep -q "^[0-9]* --user 502:502 -k " call2 &&
	HUSK_INSECURE=1 husk run -c true && tail -n 1 vmrun.calls >call3 &&
	! grep -q -e "--user" call3 &&
	{ HUSK_INSECURE=yes husk run -c true 2>err; test $? = 100; } &&
	grep -q "unable to parse HUSK_INSECURE yes" err && clean
'
net_test 'the gateway keeps its MAC, 02:68 and its address, as taps come and go' '
	# A bridge whose address nobody set takes its lowest port'"'"'s,
	# or zeros with none: guests would send to a gone tap.
	echo 02:68:0a:cb:05:01 >want &&
	cat /sys/class/net/hkt0705br/address >got && test_cmp want got &&
	ip tuntap add dev hkt0705low mode tap &&
	ip link set hkt0705low address 02:00:00:00:00:01 master hkt0705br &&
	cat /sys/class/net/hkt0705br/address >got; ip link del hkt0705low &&
	test_cmp want got &&
	husk run --net -c true && cat /sys/class/net/hkt0705br/address >got && test_cmp want got
'
# The fence itself is tested with real guests (test/vm/t5102); here,
# that husk sets it up and takes it down.
net_test 'while a --net job runs: its tap an isolated port, its MAC and address in the fence and the NAT set' '
	rm -f out err
	husk run --net -c "echo started; sleep 60" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 20 &&
	tap=$(sed -n "s/^tap //p" state/leases/10.203.5.2) &&
	test "$(cat /sys/class/net/$tap/brport/isolated)" = 1 &&
	nft list set bridge husk mac | grep -q "\"$tap\" . 02:68:0a:cb:05:02" &&
	nft list set bridge husk ip4 | grep -q "\"$tap\" . 10.203.5.2" &&
	nft list set bridge husk arp4 | grep -q "\"$tap\" . 02:68:0a:cb:05:02 . 10.203.5.2" &&
	nft list set inet husk bridges | grep -q "\"hkt0705br\"" &&
	nft list set inet husk net | grep -q 10.203.5.2 &&
	nft list chain bridge husk forward | grep -q "iifname \"hk\*\" drop"
	ok=$?
	kill -TERM $h; wait $h; st=$?
	test $ok = 0 && test $st = 143 && clean
'
net_test 'husk run --net where the host does not route: refused (111), nothing made' '
	echo 0 >/proc/sys/net/ipv4/ip_forward &&
	{ husk run --net -c true 2>err; st=$?; } ; echo 1 >/proc/sys/net/ipv4/ip_forward &&
	test $st = 111 &&
	grep -q "^husk: fatal: unable to give the job --net: IPv4 forwarding is off here (sysctl -w net.ipv4.ip_forward=1)$" err &&
	clean
'
test_expect_success 'without nft: husk run works (no network, no fence needed); --net fails (111) saying so' '
	mkdir -p nonft &&
	for d in $(echo "$PATH" | tr : " "); do
		for f in "$d"/*; do
			b=${f##*/}
			[ "$b" = nft ] || [ -e "nonft/$b" ] || ln -s "$f" "nonft/$b"
		done
	done &&
	PATH=$PWD/nonft husk run -c "echo nofence" >out && echo nofence >want &&
	test_cmp want out && clean &&
	if [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]; then
		{ PATH=$PWD/nonft HUSK_INSECURE=1 husk run --net -c true 2>err; test $? = 111; } &&
		grep -q "^husk: fatal: unable to give the job --net: it works through the fence, and there is no nft command (husk doctor)$" err &&
		clean
	fi
'
test_expect_success 'python3 code, -f file and -f - and argv' '
	echo "print(6*7)" >p.py && husk run -l python3 -f p.py >out && echo 42 >want && test_cmp want out &&
	echo "echo from stdin" | husk run -f - >out && echo "from stdin" >want && test_cmp want out &&
	husk run -- sh -c "echo \$0 \$1" a b >out && echo "a b" >want && test_cmp want out &&
	clean
'
test_expect_success 'standard input is the job'"'"'s, streamed, to its end; with -f - it is the code' '
	seq 100000 | husk run -- wc -l >out && tr -d " " <out >got && echo 100000 >want && test_cmp want got &&
	head -c 3000000 /dev/urandom >in && husk run -c "sha256sum" <in >out &&
	sha256sum <in | cut -d" " -f1 >want && cut -d" " -f1 out >got && test_cmp want got &&
	echo "cat; echo end" | husk run -f - >out && echo end >want && test_cmp want out &&
	{ head -c 8000000 /dev/zero | husk run -c "exit 6"; test $? = 6; } &&
	clean
'
# The stand-in runs the agent on this host: the job's /tmp is this
# host's, so its files are named for this test.
test_expect_success 'husk run -o: a file and a folder copied out, each replacing an earlier copy' '
	g=/tmp/husk-t0705-$$ && mkdir -p dest &&
	(umask 022 && husk run -o $g.f:dest -o $g.d -- sh -c "echo one >$g.f; chmod 644 $g.f; mkdir -p $g.d/sub; echo two >$g.d/sub/x") &&
	echo one >want && test_cmp want dest/${g##*/}.f &&
	test "$(stat -c %a dest/${g##*/}.f)" = 644 &&
	echo two >want && test_cmp want ${g##*/}.d/sub/x &&
	husk run -o $g.f:dest -- sh -c "echo three >$g.f" &&
	echo three >want && test_cmp want dest/${g##*/}.f &&
	rm -rf $g.f $g.d ${g##*/}.d && clean
'
test_expect_success 'husk run -o of a missing path: the job'"'"'s status kept, 113 when it was 0' '
	{ husk run -o /nonexistent/x -c "exit 5" 2>err; test $? = 5; } &&
	grep -q "^husk: warning: unable to copy /nonexistent/x out of the job" err &&
	{ husk run -o /nonexistent/x -c "true" 2>err; test $? = 113; } && clean
'
test_expect_success 'a workspace past HUSK_WORKSPACE_MAX, or one -m cannot hold: 100, nothing left' '
	mkdir -p ws && head -c 3000000 /dev/urandom >ws/big &&
	{ HUSK_WORKSPACE_MAX=1000000 husk run -C ws -c true 2>err; test $? = 100; } &&
	grep -q "^husk: fatal: unable to copy the workspace ws into the job" err && clean &&
	{ husk run -m 100 -C ws -c true 2>err; test $? = 100; } &&
	grep -qx "husk: fatal: unable to fit the job in -m 100: its image and workspace need 198 MiB" err &&
	mkfifo ws/fifo && { husk run -C ws -c true 2>err; test $? = 100; } &&
	grep -q "unable to archive ws: fifo: a fifo" err && rm ws/fifo && clean
'
test_expect_success 'a timeout: 124' '
	husk run -t 1 -c "sleep 5" 2>err; test $? = 124 && clean
'
test_expect_success 'the agent never answers: clear error within the deadline + 1 s, nothing left' '
	s=$(date +%s%N) &&
	{ HUSK_BOOT_TIMEOUT=3 HUSK_APPEND=standin.hang husk run -c "echo hi" 2>&1 >/dev/null; echo "exit $?"; } |
	while IFS= read -r l; do echo "$(( ($(date +%s%N) - s) / 1000000 )) $l"; done >err &&
	e=$(( ($(date +%s%N) - s) / 1000000 )) && cat err && echo "end $e ms" &&
	grep -q "^[0-9]* exit 112$" err &&
	f=$(sed -n "s/^\([0-9]*\) husk: fatal: unable to reach the agent on vsock port 8000: no answer within 3s; console tail:$/\1/p" err) &&
	test "$f" -ge 3000 && test "$f" -le 4000 && test $e -le 4500 &&
	grep -q "^[0-9]*   booting " err && clean
'
test_expect_success 'vmrun dies during boot: error at once with the console tail' '
	s=$(date +%s%N) &&
	{ HUSK_APPEND=standin.die husk run -c "echo hi" 2>err; test $? = 112; } &&
	e=$(( ($(date +%s%N) - s) / 1000000 )) && echo "$e ms" && test $e -lt 3000 &&
	grep -q "vmrun exited with status 1 (husk doctor); console tail:" err &&
	grep -q "^  standin: kernel panic" err && clean
'
test_expect_success 'vmrun gone mid-job: husk run ends at once, 112, nothing left' '
	{ husk run -c "echo started; sleep 30" >out 2>err & } && r=$! &&
	wait_for "grep -q started out" 20 &&
	v=$(tail -n 1 vmrun.calls | cut -d" " -f1) &&
	a=$(pgrep -P $v guest-agent) && so=$(pgrep -P $v socat) &&
	s=$(date +%s) && kill -KILL $v &&
	{ wait $r; st=$?; } &&
	# The stand-in'"'"'s agent and socat outlive it, still running the
	# job; socat'"'"'s child for the call ends with the agent.
	kill $a $so && wait_for "! socats | grep -q ." 5 &&
	cat err && test $st = 112 && test $(( $(date +%s) - s )) -le 3 &&
	grep -q "husk: fatal: unable to finish the job: its VM ended during it: vmrun exited with status 137; console tail:" err &&
	clean
'
for sig in TERM INT HUP; do
	test_expect_success "SIG$sig mid-job: torn down, 128+N" '
		# A background job of a script ignores SIGINT, and under nohup(1)
		# (as CI may run us) SIGHUP is ignored too: restore both.
		# out from the test before says "started" too: gone before the wait.
		rm -f out err
		env --default-signal=INT,HUP husk run -c "echo started; sleep 60" >out 2>err &
		h=$! &&
		wait_for "grep -q started out" 20 &&
		kill -$sig $h && wait $h; st=$? &&
		echo "husk run: exit $st" && cat err &&
		case $sig in TERM) test $st = 143 ;; INT) test $st = 130 ;; HUP) test $st = 129 ;; esac &&
		clean
	'
done
net_test 'kill -9 mid-job, then another run: the stale lease and tap are reclaimed' '
	# out from the test before says "started" too: gone before the wait.
	rm -f out err
	husk run --net -c "echo started; sleep 60" >out 2>err &
	h=$! &&
	wait_for "grep -q started out" 20 &&
	lease=$(ls state/leases) && tap=$(sed -n "s/^tap //p" state/leases/$lease) &&
	kill -9 $h && wait $h;
	test -e /sys/class/net/$tap && test -e state/leases/$lease &&
	# New files: what the killed run left behind still holds out and err.
	husk run -c "echo again" >out2 2>err2 &&
	echo again >want && test_cmp want out2 &&
	grep -q "reclaiming the stale lease of $lease" err2 &&
	test ! -e /sys/class/net/$tap && clean
'
test_expect_success '5 jobs at once through relayd -j 5: distinct leases and sockets, right results, nothing left' '
	bg husk serve -j 5 2>relayd.log &&
	: >vmrun.calls &&
	for i in 1 2 3 4 5; do
		husk submit -c "while [ ! -e $PWD/go ]; do sleep 0.1; done; echo job $i; exit $i" || return 1
	done >ids &&
	wait_for "test \$(ls state/leases | wc -l) = 5" 30 &&
	touch go &&
	i=0 && for id in $(cat ids); do
		i=$((i + 1))
		husk wait $id; test $? = $i || return 1
		husk logs $id >out && echo "job $i" >want && test_cmp want out || return 1
	done &&
	sed -n "s/.* --vsock cid=3,uds=\([^ ]*\) .*/\1/p" vmrun.calls | sort -u >socks &&
	test $(wc -l <socks) = 5 &&
	clean
'
test_expect_success 'husk cancel of a running job stops its VM and frees everything' '
	husk submit -c "echo started; sleep 60" >id &&
	wait_for "husk logs $(cat id) | grep -q started" 20 &&
	s=$(date +%s) &&
	husk cancel $(cat id) &&
	husk wait $(cat id); test $? = 130 &&
	test $(( $(date +%s) - s )) -le 5 &&
	clean
'
# An ordinary user (setpriv: uid 65534, no capability), its state under
# its XDG_RUNTIME_DIR: the queue's verbs and husk run work, vmrun runs
# unjailed (only root can give it another uid).
if command -v setpriv >/dev/null; then
	test_expect_success 'an ordinary user: husk serve, submit, wait, logs, status, cancel in its own state' '
		mkdir -p u && chown 65534:65534 u && chmod 700 u &&
		chmod 666 vmrun.calls vmrun.secret &&
		U="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all env -u HUSK_STATE XDG_RUNTIME_DIR=$PWD/u" &&
		{ $U husk serve -j 2 2>userd.log & } && s=$! &&
		id=$($U husk submit -c "echo hi; exit 4") &&
		{ $U husk wait $id; test $? = 4; } &&
		$U husk logs $id >out && echo hi >want && test_cmp want out &&
		$U husk status --json $id | grep -q "\"exit\":4" &&
		tail -n 1 vmrun.calls | grep -q " --vsock cid=3,uds=$PWD/u/husk/run/" &&
		! tail -n 1 vmrun.calls | grep -q -e "--user" &&
		id2=$($U husk submit -c "echo started; sleep 60") &&
		wait_for "$U husk logs $id2 | grep -q started" 20 &&
		$U husk cancel $id2 && { $U husk wait $id2; test $? = 130; } &&
		test -d u/husk/relay;
		r=$?
		kill $s; wait $s
		test $r = 0 && HUSK_STATE=$PWD/u/husk clean
	'
else
	test_skip 'an ordinary user: husk serve, submit, wait, logs, status, cancel in its own state' 'no setpriv(1)'
fi
ip link del hkt0705br 2>/dev/null
unfence
echo "$fwd0" >/proc/sys/net/ipv4/ip_forward 2>/dev/null
test_done
