#!/bin/sh
# --net guests fenced on husk's bridge (husk(1) SECURITY), with real
# microVMs: while job A runs, job B cannot ping A, cannot reach a
# listener on the bridge's address (this host's service), and cannot
# take A's address with gratuitous ARP; it reaches the outside (a
# network namespace behind a veth pair, routed by this host, standing in
# for the internet), masqueraded.  Nothing may be left: no tap, no
# lease, no filter element.  (A job without --net has no network at
# all: t5101.)
#
# Each "cannot" is a probe with its own bound (ping -W 5, timeout 8 on a
# connect) that must fail, beside a control where the same probe must
# succeed: this host pings A and fetches from the listener; B's ping and
# fetch reach the outside; a non-husk port on the bridge that sends the
# same gratuitous ARP moves this host's entry for A.
. "$(dirname "$0")/../test-lib.sh"
HUSK_MEM=128 HUSK_BOOT_TIMEOUT=${HUSK_BOOT_TIMEOUT:-240}
. "$HUSK_ROOT/test/husk-vm-lib.sh"

GW=10.201.0.1 OUT=198.51.100.2 OUTGW=198.51.100.1
# mac IP: husk's MAC for a guest address (02:68 and its four bytes).
mac() { echo "$1" | awk -F. '{ printf "02:68:%02x:%02x:%02x:%02x\n", $1, $2, $3, $4 }'; }
# neigh IP: this host's neighbour entry for IP on husk0 ("" if none).
neigh() { ip neigh show "$1" dev husk0 2>/dev/null; }

# A web server whose one page says who asked: busybox httpd's CGI sets
# REMOTE_ADDR.  On the bridge address (the host's service) and outside.
mkdir -p www/cgi-bin
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "peer $REMOTE_ADDR"\n' >www/cgi-bin/peer
chmod 755 www/cgi-bin/peer

# The job's probes, one line each: "NAME reached" or "NAME no".
probes() {
	cat <<EOF
ping -c 1 -W 5 $1 >/dev/null 2>&1 && echo "ping-peer reached" || echo "ping-peer no"
timeout 8 wget -q -O - http://$GW:9999/cgi-bin/peer >/dev/null 2>&1 && echo "host-web reached" || echo "host-web no"
ping -c 1 -W 5 $OUT >/dev/null 2>&1 && echo "ping-out reached" || echo "ping-out no"
timeout 8 wget -q -O - http://$OUT:7777/cgi-bin/peer 2>/dev/null || echo "web-out no"
EOF
}

test_expect_success 'set-up: the outside (a namespace behind veth, routed back) and the listeners answer this host' '
	sysctl -w net.ipv4.ip_forward=1 &&
	bg unshare -n sleep 100000 &&
	ns=$(tail -n 1 "$TRASH/.bg_pids") && echo $ns >ns &&
	wait_for "test \"\$(readlink /proc/$ns/ns/net)\" != \"\$(readlink /proc/self/ns/net)\"" 10 &&
	ip link add vout type veth peer name voutp &&
	p=$(ip -o link show vout | sed -n "s/^[0-9]*: vout@\([^:]*\):.*/\1/p") &&
	ip link set "$p" netns $ns &&
	ip addr add $OUTGW/24 dev vout && ip link set vout up &&
	nsenter -t $ns -n sh -c "ip link set lo up && ip addr add $OUT/24 dev $p && ip link set $p up &&
		ip route add 10.201.0.0/24 via $OUTGW" &&
	# Bound to the IPv4 address: on all of them httpd takes IPv6
	# connections too and REMOTE_ADDR is then [::ffff:a.b.c.d].
	bg nsenter -t $ns -n httpd -f -p $OUT:7777 -h "$TRASH/www" &&
	wait_for "wget -q -O - http://$OUT:7777/cgi-bin/peer | grep -qx \"peer $OUTGW\"" 20 &&
	ping -c 1 -W 5 $OUT &&
	# The bridge and its address exist from the first run: make them.
	{ timeout 200 husk run --net -c true 2>err || { cat err; nft list ruleset; lsmod; false; }; } &&
	bg httpd -f -p $GW:9999 -h "$TRASH/www" &&
	wait_for "wget -q -O - http://$GW:9999/cgi-bin/peer | grep -qx \"peer $GW\"" 20
'

test_expect_success 'husk run --net with IPv4 forwarding off: refused before anything is made (111)' '
	sysctl -w net.ipv4.ip_forward=0 &&
	{ husk run --net -c true 2>err; st=$?; } ; sysctl -w net.ipv4.ip_forward=1 &&
	cat err && test $st = 111 &&
	grep -q "^husk: fatal: unable to give the job --net: IPv4 forwarding is off here" err &&
	test_empty state/leases
'

test_expect_success 'job B beside job A: no ping to A, no host listener, no ARP for A; the outside, masqueraded' '
	rm -f outA errA
	# -t: the agent stops a job after 30 s by default.
	husk run --net -t 600 -c "echo started; sleep 600" >outA 2>errA &
	h=$! && echo $h >hA &&
	{ wait_for "grep -q started outA" 120 || { cat outA errA; false; }; } &&
	A=$(ls state/leases) && echo $A >addrA && test "$A" = 10.201.0.2 &&
	# Controls: A answers this host, which has its entry (A s MAC).
	ping -c 1 -W 5 $A && neigh $A >n0 && cat n0 && grep -q "lladdr $(mac $A) " n0 &&
	t=$(now) &&
	HUSK_VERBOSE=1 timeout 250 husk run --net -t 120 -c "ip -4 -o addr show dev eth0 | sed \"s/.* inet \([0-9.]*\).*/\1/\"
$(probes $A)
ip addr add $A/32 dev eth0 && arping -U -c 3 -w 4 -I eth0 -s $A $A >/dev/null 2>&1; echo garp-sent" >outB 2>errB &&
	note "job B (4 probes, a gratuitous ARP): $(since $t) s; $(grep -o "fence loaded in .*" errB)" &&
	cat outB errB && B=$(sed -n 1p outB) && test "$B" = 10.201.0.3 &&
	# The answer came through B s tap after its ARP frames.
	grep -qx garp-sent outB &&
	grep -qx "ping-peer no" outB && grep -qx "host-web no" outB &&
	grep -qx "ping-out reached" outB && grep -qx "peer $OUTGW" outB &&
	neigh $A >n1 && cat n1 && ! grep -q "$(mac $B)" n1 &&
	# Still there: A was not torn down by B.
	{ kill -0 $h || { cat outA errA; false; }; }
'

test_expect_success 'control: the same gratuitous ARP from a port husk does not fence moves the entry for A' '
	A=$(cat addrA) && ns=$(cat ns) &&
	bg unshare -n sleep 100000 &&
	rg=$(tail -n 1 "$TRASH/.bg_pids") &&
	wait_for "test \"\$(readlink /proc/$rg/ns/net)\" != \"\$(readlink /proc/self/ns/net)\"" 10 &&
	ip link add vrogue type veth peer name vroguep &&
	p=$(ip -o link show vrogue | sed -n "s/^[0-9]*: vrogue@\([^:]*\):.*/\1/p") &&
	m=$(cat /sys/class/net/$p/address) && test -n "$m" &&
	ip link set "$p" netns $rg && ip link set vrogue master husk0 up &&
	nsenter -t $rg -n sh -c "ip addr add $A/32 dev $p && ip link set $p up &&
		arping -U -c 3 -w 4 -I $p -s $A $A" >/dev/null 2>&1;
	wait_for "neigh $A | grep -q \"lladdr $m \"" 10; st=$?
	# (busybox ip has no neigh del)
	neigh $A; kill $rg; ip link del vrogue 2>/dev/null; ip neigh flush to $A dev husk0;
	test $st = 0
'

test_expect_success 'A still runs after all that; torn down, nothing left: no tap, lease or filter element' '
	h=$(cat hA) && kill -0 $h && kill -TERM $h &&
	# Bounded: a husk run stuck in a command defers its trap.
	{ (sleep 60; kill -KILL $h 2>/dev/null) & w=$!; } &&
	wait $h; st=$?; kill $w;
	test $st = 143 && clean &&
	for s in "bridge husk mac" "bridge husk ip4" "bridge husk arp4" "inet husk net"; do
		nft list set $s >set && ! grep -q elements set || { cat set; return 1; }
	done
'
figures
test_done
