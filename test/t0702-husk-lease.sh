#!/bin/sh
# husk's leases: distinct addresses under parallel allocation, atomic
# files, stale leases (owner gone or pid recycled) reclaimed with their
# vmrun and tap.
. "$(dirname "$0")/test-lib.sh"

HUSK_STATE=$PWD/state HUSK_POOL=10.202.0.0 HUSK_PREFIX=27
export HUSK_STATE HUSK_POOL HUSK_PREFIX
bg sleep 300; owner=$!

test_expect_success '20 allocations at once get 20 distinct addresses' '
	for i in $(seq 1 20); do
		husk _lease job$i $owner >addr.$i &
	done &&
	for i in $(seq 1 20); do
		wait_for "test -s addr.$i" 20 || return 1
	done &&
	cat addr.* | sort >got && sort -u got >uniq && test_cmp got uniq &&
	test $(wc -l <got) = 20 &&
	ls state/leases | sort >files && test_cmp got files &&
	for a in $(cat got); do
		case $a in 10.202.0.[0-9]*) ;; *) echo "bad $a"; return 1 ;; esac
		test "${a#10.202.0.}" -ge 2 && test "${a#10.202.0.}" -le 30 || return 1
	done
'
test_expect_success 'a lease records owner with start time, tap, job, run dir' '
	f=state/leases/$(cat addr.1) &&
	t=$(cut -d" " -f22 /proc/$owner/stat) &&
	grep -qx "owner $owner $t" $f && grep -qx "job job1" $f &&
	grep -qx "dir $HUSK_STATE/run/job1" $f &&
	test -z "$(ls -A state/leases | grep "^\.")"
'
test_expect_success 'a /29 pool fills at 5 guests, then exit 75' '
	for i in 1 2 3 4 5; do
		HUSK_PREFIX=29 HUSK_STATE=$PWD/s29 husk _lease job$i $owner >>more || return 1
	done &&
	test $(ls s29/leases | wc -l) = 5 &&
	{ HUSK_PREFIX=29 HUSK_STATE=$PWD/s29 husk _lease job6 $owner 2>err; test $? = 75; } &&
	grep -q "all 5 in use" err
'
test_expect_success 'a lease whose owner is gone is reclaimed, and only it' '
	rm -f state/leases/* &&
	bg sleep 300 && dead=$! &&
	husk _lease a $owner >a1 && husk _lease b $dead >b1 && husk _lease c $owner >c1 &&
	kill $dead && wait $dead 2>/dev/null;
	husk _lease d $owner >d1 2>err &&
	test_cmp b1 d1 && grep -q "reclaiming the stale lease of $(cat b1) (job b)" err &&
	grep -qx "job d" state/leases/$(cat d1) &&
	test $(ls state/leases | wc -l) = 3
'
test_expect_success 'a recycled pid (other start time) does not keep a lease' '
	rm -f state/leases/* &&
	printf "owner %s 1\ntap \njob old\ndir %s/run/old\n" $owner "$HUSK_STATE" >state/leases/10.202.0.2 &&
	mkdir -p state/run/old && : >state/run/old/console &&
	husk _lease new $owner >got 2>err &&
	echo 10.202.0.2 >want && test_cmp want got &&
	grep -q "reclaiming" err && test ! -e state/run/old
'
tun=
test -c /dev/net/tun && command -v ip >/dev/null && [ "$(id -u)" = 0 ] && tun=1
# Without a tun device the lease still names a tap, one that is not there.
test_expect_success 'a stale lease: its vmrun is stopped' '
	rm -f state/leases/* &&
	if [ -n "$tun" ]; then
		ip tuntap add dev hk0702aaaaaaaaa mode tap &&
		test -e /sys/class/net/hk0702aaaaaaaaa
	fi &&
	cp "$(command -v sleep)" vmrun && bg ./vmrun 300 && vm=$! &&
	vt=$(cut -d" " -f22 /proc/$vm/stat) &&
	printf "owner 999999999 1\nvmrun %s %s\ntap hk0702aaaaaaaaa\njob x\ndir %s/run/x\n" \
	    $vm $vt "$HUSK_STATE" >state/leases/10.202.0.2 &&
	husk _lease y $owner >got 2>err &&
	echo 10.202.0.2 >want && test_cmp want got &&
	wait_for "! kill -0 $vm 2>/dev/null || grep -q \"^[^)]*) Z\" /proc/$vm/stat" 5
'
if [ -n "$tun" ]; then
	test_expect_success 'a stale lease: its tap is deleted' '
		test ! -e /sys/class/net/hk0702aaaaaaaaa
	'
else
	test_skip 'a stale lease: its tap is deleted' 'needs root, /dev/net/tun and ip(8)'
fi
ip link del hk0702aaaaaaaaa 2>/dev/null
# A planted stale lease (HUSK_STATE writable, or an old husk's bug) must
# not make root delete, kill or unplug anything but husk's own.
test_expect_success 'a planted lease: a run dir outside run/, a process not a vmrun, a device not a tap of ours survive' '
	rm -f state/leases/* && mkdir -p victim/dir && : >victim/dir/file &&
	bg sleep 300 && other=$! && ot=$(cut -d" " -f22 /proc/$other/stat) &&
	if [ -n "$tun" ]; then ip tuntap add dev hkt0702vic mode tap; fi &&
	printf "owner 999999999 1\nvmrun %s %s\ntap hkt0702vic\njob x\ndir %s/run/../../victim/dir\n" \
	    $other $ot "$HUSK_STATE" >state/leases/10.202.0.2 &&
	printf "owner 999999999 1\ntap eth0\njob y\ndir %s/run/y/../../../victim\n" \
	    "$HUSK_STATE" >state/leases/10.202.0.3 &&
	husk _lease z $owner >got 2>err &&
	echo 10.202.0.2 >want && test_cmp want got &&
	test -f victim/dir/file && kill -0 $other &&
	grep -q "^husk: warning: .*10.202.0.2.* not a run directory of husk" err &&
	grep -q "^husk: warning: .*10.202.0.2.* not a vmrun of husk" err &&
	{ [ -z "$tun" ] || { test -e /sys/class/net/hkt0702vic &&
	  grep -q "^husk: warning: .*10.202.0.2.* not a tap of husk" err; }; }
'
ip link del hkt0702vic 2>/dev/null
test_expect_success 'a HUSK_STATE others can write is refused (111)' '
	mkdir -p open/leases && chmod 777 open &&
	{ HUSK_STATE=$PWD/open husk _lease a $owner 2>err; test $? = 111; } &&
	grep -q "^husk: fatal: unable to use $PWD/open: writable by others" err &&
	chmod 755 open && chmod 733 open/leases &&
	{ HUSK_STATE=$PWD/open husk _lease a $owner 2>err; test $? = 111; } &&
	grep -q "^husk: fatal: unable to use $PWD/open/leases: writable by others" err &&
	test -z "$(ls open/leases)"
'
test_expect_success 'leftover temp files of a crashed writer are removed' '
	rm -f state/leases/* && : >state/leases/.10.202.0.9.123.tmp &&
	husk _lease z $owner >/dev/null && test -z "$(ls -A state/leases | grep "^\.")"
'
# Busybox only, as in the rig's guest: no flock(1), the mkdir lock.
mkdir bb && busybox --install -s "$PWD/bb" 2>/dev/null
bbhusk() { PATH="$PWD/bb:$HUSK_ROOT/bin" husk "$@"; }
test_expect_success 'busybox only: no flock here' '
	test -x bb/sh && ! PATH="$PWD/bb" command -v flock
'
test_expect_success 'busybox only: 6 allocations at once get 6 distinct addresses' '
	rm -f state/leases/* addr.* &&
	for i in $(seq 1 6); do
		bbhusk _lease job$i $owner >addr.$i &
	done &&
	for i in $(seq 1 6); do
		wait_for "test -s addr.$i" 30 || return 1
	done &&
	cat addr.* | sort >got && sort -u got >uniq && test_cmp got uniq &&
	test $(wc -l <got) = 6 && test ! -e state/lock.d
'
test_expect_success 'busybox only: a lock left by a dead holder is broken' '
	mkdir state/lock.d && echo "999999999 1" >state/lock.d/owner &&
	bbhusk _lease j11 $owner >got && test -s got && test ! -e state/lock.d
'
test_expect_success 'busybox only: a lock with no holder is broken after 2 s' '
	mkdir state/lock.d &&
	bbhusk _lease j12 $owner >got && test -s got && test ! -e state/lock.d
'
test_done
