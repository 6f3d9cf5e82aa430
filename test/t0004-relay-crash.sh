#!/bin/sh
# kill -9 of relayd mid-command, then a restart: the stale marker is
# finalised, queued commands still run, nothing runs twice, nothing is lost.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'kill -9 relayd mid-command and restart, 20 times' '
	for i in $(seq 1 20); do
		relayd -d d -w . -T 1 2>>relayd.log & rd=$!
		a=$(relay -d d submit -- "echo A$i >>runs; echo \$\$ >a$i.pid; sleep 300") &&
		b=$(relay -d d submit -- "echo B$i >>runs") &&
		wait_for "test -e d/run/$a && test -s a$i.pid" || return 1
		kill -9 $rd && wait $rd 2>/dev/null
		relayd -d d -w . -T 1 2>>relayd.log & rd=$!
		relay -d d wait $b || return 1
		relay -d d wait $a; test $? = 137 || return 1
		grep -q "relay: lost" d/result/$a.log || return 1
		wait_for "gone a$i.pid" 5 || return 1
		kill $rd && wait $rd
		test_empty d/run d/cmd d/cancel d/srv || return 1
	done &&
	for i in $(seq 1 20); do echo A$i; echo B$i; done >want &&
	test_cmp want runs
'

# claimed DIR NODE PID TEXT: TEXT submitted to DIR, then claimed by relayd
# PID of NODE, of this host and pid namespace, which has died (no such
# pid); its id in $id.
claimed() {
	mkdir -p "$1/srv/$2" "$1/run" &&
	id=$(relay -d "$1" submit -- "$4") &&
	mv "$1/cmd/$id" "$1/srv/$2/$id" &&
	ns=$(readlink /proc/self/ns/pid | tr -dc 0-9) &&
	echo "$(uname -n):$ns:$3:1" >"$1/srv/$2/.info"
}

test_expect_success 'a relayd killed after claiming but before the go byte: requeued' '
	claimed d deadhost 99999999 "echo C >>runs" &&
	bg relayd -d d -w . 2>>relayd.log &&
	relay -d d wait $id &&
	test "$(grep -c "^C$" runs)" = 1 &&
	! test -e d/srv/deadhost &&
	grep -q "$id requeued" relayd.log
'

# A claim of relayd's user becomes its running marker: linked into run/,
# run/ flushed, then written over (t0001).  A claim that holds its marker
# with no run/ID (removed since) holds no command any more: lost, never
# run as a command.
test_expect_success 'a claim holding its own marker, no run/ID: lost, not run as a command' '
	claimed k deadhost3 99999997 "echo F >>runs" &&
	echo "$id:99999997:99999997:1:deadhost3" >k/srv/deadhost3/$id &&
	: >k/result/$id.log &&
	bg relayd -d k -w . 2>>relayd3.log &&
	{ relay -d k wait $id; test $? = 137; } &&
	! grep -q "^F$" runs &&
	grep -q "relay: lost: relayd 99999997 died while it ran" k/result/$id.log &&
	! grep -q "not found" k/result/$id.log &&
	! test -e k/srv/deadhost3 &&
	grep -q "$id lost, recorded 137" relayd3.log
'

# The status goes into the marker, which is renamed to result/ID.exit,
# then the claim's name is removed.  A relayd killed in between, once
# relay run has read the result and removed it, leaves a claim holding
# the status: the command finished, and is neither run again nor
# recorded again.  (A later command, run after it would have been,
# says recovery is over.)
test_expect_success 'a claim holding its status, its result taken: dropped, not run again' '
	claimed m deadhost6 99999994 "echo H >>runs" &&
	printf "0\n" >m/srv/deadhost6/$id &&
	bg relayd -d m -w . 2>>relayd6.log &&
	relay -d m run -- true &&
	! test -e m/srv/deadhost6 && ! test -e m/result/$id.exit &&
	! test -e m/result/$id.log && ! grep -q "^H$" runs &&
	grep -q "$id had finished (0), its result taken" relayd6.log
'

# The running marker's bytes are not flushed (t0001): a crash of the
# machine can leave it empty.  Its name still says the command ran, so it
# is recorded lost (137) and never run again.
test_expect_success 'an empty running marker (the machine crashed): lost, not run again' '
	claimed e deadhost2 99999998 "echo D >>runs" &&
	: >e/run/$id && : >e/result/$id.log &&
	bg relayd -d e -w . 2>>relayd2.log &&
	{ relay -d e wait $id; test $? = 137; } &&
	! grep -q "^D$" runs &&
	grep -q "relay: lost" e/result/$id.log &&
	! test -e e/srv/deadhost2 && ! test -e e/run/$id
'

# What such a crash can leave is not always empty: with ext4's
# data=writeback, a stale block (another command's marker).  A marker that
# names another command is not this one's: its process, alive, is left
# alone, and this command is recorded lost.
test_expect_success 'a marker naming another command: the process it names is not stopped' '
	claimed f deadhost3 99999997 "echo E >>runs" &&
	other=$(relay -d f submit -- true) && rm f/cmd/$other &&
	bg setsid sleep 300 && victim=$! &&
	wait_for "test \$(cut -d\" \" -f5 /proc/$victim/stat) = $victim" &&
	ticks=$(cut -d" " -f22 /proc/$victim/stat) &&
	echo "$other:$victim:$victim:$ticks:x" >f/run/$id && : >f/result/$id.log &&
	bg relayd -d f -w . 2>>relayd3.log &&
	{ relay -d f wait $id; test $? = 137; } &&
	kill -0 $victim && ! grep -q "^E$" runs &&
	! test -e f/srv/deadhost3
'

# relayd writes the exit code into run/ID, flushes it, then renames it to
# result/ID.exit (t0001): a server that died, or a machine that crashed, in
# between leaves run/ID holding the code.  That code is the result: the
# command is not recorded lost, nor run again.
test_expect_success 'a marker holding an exit code: recorded as that code, not lost' '
	claimed g deadhost4 99999996 "echo F >>runs" &&
	printf "3\n" >g/run/$id && : >g/result/$id.log &&
	bg relayd -d g -w . 2>>relayd4.log &&
	{ relay -d g wait $id; test $? = 3; } &&
	! grep -q "^F$" runs && ! grep -q "relay: lost" g/result/$id.log &&
	! test -e g/srv/deadhost4 && ! test -e g/run/$id
'

# The block a crash leaves in an unflushed marker may be an old exit
# file's: its status, then zeros up to the marker's length.  That is not
# this command's status: it is recorded lost.
test_expect_success 'a marker holding an old exit file (a stale block): lost, not that status' '
	claimed h deadhost5 99999995 "echo G >>runs" &&
	{ printf "0\n"; head -c 68 /dev/zero; } >h/run/$id && : >h/result/$id.log &&
	bg relayd -d h -w . 2>>relayd5.log &&
	{ relay -d h wait $id; test $? = 137; } &&
	! grep -q "^G$" runs && grep -q "relay: lost" h/result/$id.log
'

test_expect_success 'a relayd that lives on is left alone' '
	bg relayd -d d -w . 2>second.log &&
	wait_for "grep -q serving second.log" &&
	grep -q "also serves d; sharing its queue" second.log
'
test_done
