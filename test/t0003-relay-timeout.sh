#!/bin/sh
# relay run -t: cancels only its own command, exits 124, leaves nothing;
# a result that beats the cancel is kept and returned.
. "$(dirname "$0")/test-lib.sh"

bg relayd -d d -w . -T 1 2>relayd.log
wait_for "test -s d/server.ready"

test_expect_success 'timeout: 124, the message, nothing left behind' '
	start=$(date +%s) &&
	{ relay -d d run -t 1 -- "echo begun; trap \"\" TERM; sleep 300" >out 2>err; test $? = 124; } &&
	end=$(date +%s) &&
	test $((end - start)) -le 4 &&
	grep -q "^relay: fatal: command .* timed out after 1s$" err &&
	grep -q begun out &&
	test_empty d/result d/cmd d/run d/cancel
'

test_expect_success 'timeout cancels only its own command' '
	other=$(relay -d d submit -- "sleep 2; echo other-done") &&
	{ relay -d d run -t 1 -- "echo mine" >out 2>err; test $? = 124; } &&
	relay -d d wait $other &&
	relay -d d logs $other >out &&
	grep -q other-done out && relay -d d flush >/dev/null
'

# Stand in for relayd so the race is exact: claim the command, wait for
# the client to time out and ask for a cancel, then deliver a real result.
test_expect_success 'a result written just as the client times out stands' '
	mkdir -p d/srv/fake &&
	kill -STOP $(cat d/srv/*-*/.info | cut -d: -f3) || return 1
	relay -d d run -t 1 -- "echo done" >out 2>err &
	pid=$! &&
	wait_for "ls d/cmd | grep -q ." &&
	id=$(ls d/cmd) && mv d/cmd/$id d/srv/fake/$id &&
	wait_for "test -e d/cancel/$id" 5 &&
	echo done >d/result/$id.log && echo 0 >d/result/$id.exit.tmp &&
	mv d/result/$id.exit.tmp d/result/$id.exit &&
	kill -CONT $(cat d/srv/*-*/.info | cut -d: -f3) &&
	wait $pid &&
	echo done >want && test_cmp want out &&
	! grep -q "timed out" err &&
	rm -r d/srv/fake && test_empty d/result d/cmd d/run d/cancel
'

test_expect_success 'races at the deadline: each run is a result or a timeout, whole' '
	kill -CONT $(cat d/srv/*-*/.info | cut -d: -f3);
	for i in 1 2 3 4 5 6 7 8; do
		relay -d d run -t 1 -- "sleep 0.9$i; echo ok$i" >out 2>err; r=$?
		case $r in
		0) echo ok$i | cmp - out || return 1 ;;
		124) grep -q "timed out after 1s" err || return 1 ;;
		*) echo "unexpected $r"; return 1 ;;
		esac
		echo "run $i: $r"
	done &&
	test_empty d/result d/cmd d/run d/cancel
'

test_expect_code 100 'a bad timeout is a usage error' \
	'relay -d d run -t 0 -- true' \
	'^relay: fatal: unable to parse -t 0: not a number of seconds'
test_done
