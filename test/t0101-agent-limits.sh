#!/bin/sh
# guest-agent limits: output cap, timeout, -j slots and 429, client retries.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

mkdir work
agent_start agent -j 1 -w "$PWD/work"

test_expect_success '5 MiB of output is capped at 1 MiB, truncated, group dead' '
	post /exec "{\"argv\":[\"sh\",\"-c\",\"sleep 1000 & echo \$! >$PWD/bgpid; head -c 5242880 /dev/zero | tr \\\\\\\\000 x; sleep 1000\"]}" >got &&
	head -n 1 got >rec &&
	grep -q "\"truncated\":true" rec &&
	grep -q "\"timed_out\":false" rec &&
	field stdout <rec | wc -c >n && echo 1048576 >want && test_cmp want n &&
	gone bgpid
'

test_expect_success 'the cap holds in the streaming form too (client -m)' '
	guest-agent call -m 1000 "$A" exec sh -c "yes; sleep 1000" >got;
	test $? = 143 && test $(wc -c <got) = 1000
'

test_expect_success 'a timeout kills a sleep that ignores SIGTERM' '
	start=$(date +%s) &&
	post /exec "{\"argv\":[\"sh\",\"-c\",\"echo \$\$ >$PWD/pid; trap \\\"\\\" TERM; exec sleep 30\"],\"timeout_ms\":300}" >got &&
	end=$(date +%s) &&
	head -n 1 got >rec &&
	grep -q "\"exit_code\":null,\"signal\":9,.*\"timed_out\":true" rec &&
	test $((end - start)) -lt 10 &&
	gone pid
'
test_expect_code 124 'the client exits 124 on a timeout' \
	'guest-agent call -t 200 "$A" exec sleep 30'

test_expect_success 'a job past -j gets 429, and the agent still serves' '
	guest-agent call "$A" exec sh -c "while ! test -e go; do sleep 0.02; done" &
	pid=$! &&
	wait_for "guest-agent call \"$A\" health | grep -q \"\\\"jobs\\\":1\"" 5 &&
	post /exec "{\"argv\":[\"true\"]}" >got && cat got &&
	tail -n 1 got >code && echo 429 >want && test_cmp want code &&
	{ guest-agent call -n 1 "$A" exec true 2>err; st=$?; cat err; test $st = 111; } &&
	grep -q "429 Too Many Requests" err &&
	touch work/go && wait $pid &&
	guest-agent call "$A" exec true
'

# A job's slot is free when the job is over, before its worker sends the
# result: a client that has the result can start the next job at once.
# Shown where the gap cannot close by luck: a client that takes its 20 MB
# result at 1 kB/s holds its worker in the send, not its slot.
test_expect_success 'a result still being sent holds no job slot' '
	rm -f work/started &&
	bg curl -s --limit-rate 1k -o /dev/null --data-binary \
	    "{\"argv\":[\"sh\",\"-c\",\"touch started; yes xxxxxxxxxxxxxxx | head -c 20000000\"],\"max_output\":67108864}" \
	    "http://$A/exec" &&
	cpid=$! &&
	wait_for "test -e work/started" 10 &&
	wait_for "guest-agent call \"$A\" health | grep -q \"\\\"jobs\\\":0\"" 10 &&
	guest-agent call -n 1 "$A" exec echo second >got &&
	echo second >want && test_cmp want got &&
	kill $cpid && wait $cpid
	test $? = 143
'

test_expect_success 'the client retries on 429 until a slot frees' '
	rm -f work/go
	guest-agent call "$A" exec sh -c "while ! test -e go; do sleep 0.02; done" &
	pid=$!
	busy=; wait_for "guest-agent call \"$A\" health | grep -q \"\\\"jobs\\\":1\"" 5 && busy=1
	(sleep 0.3; touch work/go) &
	test "$busy" = 1 &&
	guest-agent call -n 10 "$A" exec echo second >got &&
	echo second >want && test_cmp want got && wait $pid
'

test_expect_success 'ready FIFO once listening; the client gives up on a refused connection after -n tries' '
	mkfifo ready &&
	bg guest-agent -l 127.0.0.1:0 -R ready 2>l2; p2=$!
	line=$(timeout 10 sh -c "read -r l <ready && echo \$l") &&
	test "$line" = READY &&
	grep -q listening l2 && A2=$(sed -n "s/.*listening on //p" l2) &&
	kill $p2 && wait $p2;
	{ guest-agent call -n 3 "$A2" health 2>err; test $? = 111; } &&
	test $(grep -c "unable to connect" err) = 3 &&
	grep -q "gave up after 3 tries" err
'
test_done
