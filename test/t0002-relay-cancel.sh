#!/bin/sh
# relay cancel: the whole group, grandchildren included, TERM then KILL.
. "$(dirname "$0")/test-lib.sh"

bg relayd -d d -w . -T 1 2>relayd.log
rd=$!
wait_for "test -s d/server.ready"

# aged DIR ID: a cancel request for ID written two minutes ago (renamed
# into place, as relay writes it).
aged() {
	echo "$2" >"$1/cancel/.$2.tmp" &&
	touch -d "@$(( $(date +%s) - 120 ))" "$1/cancel/.$2.tmp" &&
	mv "$1/cancel/.$2.tmp" "$1/cancel/$2"
}

# A cancel that relayd never acknowledges: the relayd of e is stopped
# (SIGSTOP) while its command runs.  relay cancel waits out its 60 s in
# the background while the other tests run; the last test collects it.
test_expect_success 'unacknowledged cancel: start it' '
	bg relayd -d e -w . 2>relayd-e.log &&
	epid=$! &&
	wait_for "test -s e/server.ready" &&
	eid=$(relay -d e submit -- "sleep 300") &&
	wait_for "test -e e/run/$eid" &&
	kill -STOP $epid &&
	ustart=$(date +%s) &&
	{ relay -d e cancel $eid >unacked.out 2>unacked.err & } &&
	unacked=$!
'

test_expect_code 1 'cancel with nothing running says so' \
	'relay -d d cancel' \
	'^relay: fatal: unable to cancel: no command is running in '

test_expect_success 'cancel a group that ignores SIGTERM' '
	id=$(relay -d d submit -- "trap \"\" TERM;
		(trap \"\" TERM; sleep 300 & echo \$! >gc1.pid; wait) &
		(sh -c \"trap \\\"\\\" TERM; sleep 300\" & echo \$! >gc2.pid) &
		echo started; sleep 300") &&
	wait_for "test -s gc1.pid && test -s gc2.pid && test -e d/run/$id" &&
	start=$(date +%s%N) &&
	relay -d d cancel >out &&
	end=$(date +%s%N) &&
	grep -q "$id cancelled" out &&
	ms=$(( (end - start) / 1000000 )) &&
	echo "cancel took $ms ms" &&
	test $ms -lt 2000 &&
	{ relay -d d wait $id; test $? = 130; } &&
	test "$(tail -n 1 d/result/$id.log)" = "[relay: cancelled]" &&
	gone gc1.pid && gone gc2.pid &&
	wait_for "! test -e d/run/$id && ! test -e d/cancel/$id" 5
'

test_expect_success 'cancel a queued command: it never runs' '
	id1=$(relay -d d submit -- "sleep 300") &&
	id2=$(relay -d d submit -- "touch ran") &&
	wait_for "test -e d/run/$id1" &&
	relay -d d cancel $id2 >out &&
	grep -q "cancelled before it started" out &&
	relay -d d cancel $id1 &&
	{ relay -d d wait $id2; test $? = 130; } &&
	# relayd runs one command at a time in submission order: once a
	# later one has run, $id2 has had its turn.
	id3=$(relay -d d submit -- true) && relay -d d wait $id3 &&
	! test -e ran
'

test_expect_code 1 'cancel of a finished command says so' '
	id=$(relay -d d submit -- true) && relay -d d wait $id &&
	relay -d d cancel $id
' '^relay: fatal: unable to cancel [^ ]+: it already finished with status 0'

test_expect_code 100 'cancel with two running asks for an id' '
	relay -d d flush >/dev/null;
	echo "x:1234:1234:1:n" >d/run/aaa; echo "y:1234:1234:1:n" >d/run/bbb;
	relay -d d cancel; r=$?; rm -f d/run/aaa d/run/bbb; exit $r
' '^relay: fatal: unable to cancel: 2 commands are running; name one'

for content in "" "garbage" "../x:1:1:1:n"; do
	test_expect_code 111 "cancel with a corrupt marker ('$content')" '
		printf "%s" "$content" >d/run/zzz;
		relay -d d cancel; r=$?; rm -f d/run/zzz; exit $r
	' '^relay: fatal: unable to read run/zzz: marker is corrupt or empty'
done

test_expect_success 'status survives a corrupt marker' '
	: >d/run/zzz &&
	relay -d d status >out && rm -f d/run/zzz &&
	grep -q "zzz (marker is corrupt or empty)" out
'

# Cancel requests nobody will act on: relayd drops one whose id is no
# command here (not queued, not claimed by any server, not finished) once
# it is 60 s old, the time relay waits for an acknowledgement before it
# withdraws its own.  A younger one may precede its command (a view of
# the directory that lags, on NFS): it stays.
test_expect_success 'relayd drops a 60 s old cancel request for no command' '
	aged d 1.0-stale-1-0 &&
	echo 1.0-young-1-0 >d/cancel/1.0-young-1-0 &&
	mkdir d/srv/other && echo "echo never" >d/srv/other/1.0-claimed-1-0 &&
	aged d 1.0-claimed-1-0 &&
	wait_for "! test -e d/cancel/1.0-stale-1-0" 5 &&
	grep -q "relayd: info: dropped cancel/1.0-stale-1-0: no such command" relayd.log &&
	test -e d/cancel/1.0-young-1-0 && test -e d/cancel/1.0-claimed-1-0 &&
	rm -r d/srv/other d/cancel/1.0-young-1-0 d/cancel/1.0-claimed-1-0
'

test_expect_success 'an old cancel request for a queued command still cancels it' '
	kill -STOP $rd &&
	id=$(relay -d d submit -- "touch queued-ran") &&
	aged d $id &&
	kill -CONT $rd &&
	{ relay -d d wait $id; test $? = 130; } &&
	! test -e queued-ran && wait_for "! test -e d/cancel/$id" 5
'

# flush, in a directory no relayd serves.
test_expect_success 'flush removes the cancel requests of finished commands' '
	relay -d f status >/dev/null; test $? = 1 &&
	echo 0 >f/result/1.0-done-1-0.exit && : >f/result/1.0-done-1-0.log &&
	echo 1.0-done-1-0 >f/cancel/1.0-done-1-0 &&
	relay -d f flush >out &&
	echo "flushed 1 results and 1 cancel requests" >want && test_cmp want out &&
	test_empty f/result f/cancel
'

test_expect_success 'flush removes old cancel requests for no command, and only those' '
	aged f 1.0-stale-1-0 &&
	echo 1.0-young-1-0 >f/cancel/1.0-young-1-0 &&
	echo true >f/cmd/1.0-queued-1-0 && aged f 1.0-queued-1-0 &&
	mkdir f/srv/gone && echo true >f/srv/gone/1.0-claimed-1-0 &&
	aged f 1.0-claimed-1-0 &&
	relay -d f flush >out &&
	echo "flushed 0 results and 1 cancel requests" >want && test_cmp want out &&
	ls f/cancel >got &&
	printf "%s\n" 1.0-claimed-1-0 1.0-queued-1-0 1.0-young-1-0 >want &&
	test_cmp want got
'

test_expect_success 'flush leaves queued commands queued' '
	test -e f/cmd/1.0-queued-1-0 && test -e f/srv/gone/1.0-claimed-1-0
'

test_expect_success 'a cancel relayd never acknowledges exits 111 after 60 s' '
	wait $unacked; r=$?; uend=$(date +%s);
	kill -CONT $epid;
	echo "exit $r after $((uend - ustart)) s"; cat unacked.err;
	test $r = 111 &&
	test $((uend - ustart)) -ge 59 &&
	grep -q "^relay: fatal: unable to cancel $eid: no acknowledgement within 60 s" unacked.err &&
	! test -s unacked.out &&
	! test -e e/cancel/$eid && test -e e/run/$eid
'
test_done
