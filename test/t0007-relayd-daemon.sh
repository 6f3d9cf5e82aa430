#!/bin/sh
# relayd as a daemon: secrets kept out of its log, readiness, stopping.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'without -v the log holds ids, never command text' '
	bg relayd -d d -w . 2>quiet.log &&
	wait_for "test -s d/server.ready" &&
	relay -d d run -- "echo s3cr3t-token >/dev/null" &&
	relay -d d run -- "exit 1 # hunter2-password";
	# relayd logs the exit just after it writes the result relay waits for.
	wait_for "grep -q \"exited 1\" quiet.log" &&
	! grep -q s3cr3t quiet.log && ! grep -q hunter2 quiet.log &&
	test_cleanup
'

test_expect_success 'with -v the log holds the command text' '
	bg relayd -v -d d -w . 2>loud.log &&
	wait_for "test -s d/server.ready" &&
	relay -d d run -- "echo visible-text >/dev/null" &&
	grep -q visible-text loud.log &&
	test_cleanup
'

test_expect_success 'readiness: READY on the FIFO once serving' '
	mkfifo ready &&
	bg relayd -d d -R ready 2>ready.log &&
	read line <ready &&
	test "$line" = READY &&
	test -s d/server.ready &&
	test_cleanup
'

test_expect_success 'readiness: the s6 convention on -N fd' '
	bg sh -c "exec relayd -d d -N 3 3>fdready 2>fd.log" &&
	wait_for "test -s fdready" &&
	printf "\n" | cmp - fdready &&
	test_cleanup
'

test_expect_code 111 'readiness: a FIFO nobody reads gives up after 10 s' '
	mkfifo lonely && date +%s >start &&
	HUSK_READY_FIFO=lonely relayd -d d; r=$?;
	date +%s >end; exit $r
' '^relayd: fatal: unable to notify readiness on lonely: no reader within 10 s'
test_expect_success 'readiness: it gave up after 9 to 13 s, leaving nothing in srv/' '
	s=$(($(cat end) - $(cat start))) && echo "gave up after $s s" &&
	test $s -ge 9 && test $s -le 13 &&
	test_empty d/srv
'

test_expect_success 'SIGTERM: the running group is stopped, its result recorded' '
	bg relayd -d d -w . -T 1 2>stop.log &&
	rd=$! &&
	wait_for "test -s d/server.ready" &&
	id=$(relay -d d submit -- "trap \"\" TERM; sleep 300 & echo \$! >gc.pid; wait") &&
	queued=$(relay -d d submit -- "touch never") &&
	wait_for "test -s gc.pid" &&
	kill -TERM $rd &&
	wait $rd &&
	test -e d/result/$id.exit &&
	wait_for "gone gc.pid" 2 &&
	grep -q "stopped with relayd" d/result/$id.log &&
	test -e d/cmd/$queued && ! test -e never &&
	test_empty d/run d/srv && ! test -e d/server.ready
'

test_expect_code 1 'relay status with no relayd serving is false' 'relay -d d status'

test_expect_success 'a restarted relayd runs what was queued' '
	bg relayd -d d -w . 2>again.log &&
	relay -d d wait $queued && test -e never
'
test_done
