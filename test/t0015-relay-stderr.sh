#!/bin/sh
# relayd -2 keeps a command's standard error apart, in result/ID.err, and
# relay run and relay logs give it back on their standard error; relayd
# -K removes finished results (every result/ID.*) once they are old.
. "$(dirname "$0")/test-lib.sh"

bg relayd -2 -d d -w . -T 1 2>relayd.log
wait_for "test -s d/server.ready"

test_expect_success 'relay run: stdout and stderr apart, the status kept' '
	relay -d d run -- "echo out; echo err >&2; echo out2; exit 3" \
		>out 2>err; test $? = 3 &&
	printf "out\nout2\n" >want && test_cmp want out &&
	echo err >want && test_cmp want err
'

test_expect_success 'result/ID.log and ID.err hold one stream each' '
	id=$(relay -d d submit -- "echo out; echo err >&2; exit 4") &&
	{ relay -d d wait $id; test $? = 4; } &&
	echo out >want && test_cmp want d/result/$id.log &&
	echo err >want && test_cmp want d/result/$id.err &&
	test "$(stat -c %a d/result/$id.err)" = 600
'

test_expect_success 'relay logs: the log to stdout, ID.err to stderr' '
	relay -d d logs $id >out 2>err &&
	echo out >want && test_cmp want out &&
	echo err >want && test_cmp want err &&
	relay -d d logs -f $id >out 2>err; test $? = 4 &&
	echo out >want && test_cmp want out &&
	echo err >want && test_cmp want err
'

test_expect_success 'a cancelled command: relayd says so in ID.err' '
	id=$(relay -d d submit -- "echo started; sleep 300") &&
	wait_for "test -s d/result/$id.log" &&
	relay -d d cancel $id >/dev/null &&
	echo started >want && test_cmp want d/result/$id.log &&
	test "$(tail -n 1 d/result/$id.err)" = "[relay: cancelled]"
'

test_expect_success 'relay flush removes ID.err and the other ID.* too' '
	touch d/result/$id.code &&
	relay -d d flush >out &&
	! ls d/result/$id.* 2>/dev/null
'

test_expect_success 'without -2: no ID.err, both streams in ID.log' '
	bg relayd -d e -w . 2>relayd-e.log &&
	wait_for "test -s e/server.ready" &&
	id=$(relay -d e submit -- "echo out; echo err >&2") &&
	relay -d e wait $id &&
	printf "out\nerr\n" >want && test_cmp want e/result/$id.log &&
	! test -e e/result/$id.err
'

# -K: results of e (no -K yet): one made old by its exit file's mtime,
# one fresh.  A relayd -K 3600 started on e removes the old one at once
# (its first look) and keeps the fresh one.
test_expect_success 'relayd -K: an old result goes whole, a fresh one stays' '
	old=$(relay -d e submit -- "echo old; echo olderr >&2") &&
	new=$(relay -d e submit -- "echo new") &&
	relay -d e wait $new &&
	echo code >e/result/$old.code && echo x >e/result/$old.err &&
	echo keep >e/result/$old.x.y &&
	touch -d "@$(( $(date +%s) - 7200 ))" e/result/$old.exit &&
	bg relayd -K 3600 -d e -w . 2>relayd-k.log &&
	wait_for "grep -q \"removed 1 results older than 3600 s\" relayd-k.log" &&
	! ls e/result/$old.exit e/result/$old.log e/result/$old.err \
		e/result/$old.code 2>/dev/null &&
	test -e e/result/$old.x.y &&
	test -e e/result/$new.exit && test -e e/result/$new.log
'

test_expect_success 'relayd -K 1: a result goes within seconds of its end' '
	bg relayd -2 -K 1 -d k -w . 2>relayd-k1.log &&
	wait_for "test -s k/server.ready" &&
	a=$(relay -d k submit -- "echo a; echo aerr >&2") &&
	relay -d k wait $a &&
	echo code >k/result/$a.code &&
	b=$(relay -d k submit -- "sleep 1; echo b") &&
	relay -d k wait $b &&
	wait_for "! ls k/result/$a.* 2>/dev/null" 10 &&
	wait_for "! ls k/result/$b.* 2>/dev/null" 10
'

# ticks PID: the CPU time (user and system, clock ticks) of PID so far.
ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
test_expect_success 'relayd -K stopping: no busy loop while a group dies' '
	bg relayd -K 1 -T 3 -d s -w . 2>relayd-s.log &&
	sp=$! &&
	wait_for "test -s s/server.ready" &&
	id=$(relay -d s submit -- "trap \"\" TERM; echo up; sleep 30") &&
	wait_for "test -s s/result/$id.log" &&
	sleep 1.2 && kill -TERM $sp &&
	wait_for "grep -q \"stopping on signal\" relayd-s.log" &&
	t0=$(ticks $sp) && sleep 1.5 && t1=$(ticks $sp) &&
	echo "relayd used $((t1 - t0)) ticks in 1.5 s of stopping" &&
	test $((t1 - t0)) -lt 50 &&
	wait_for "! kill -0 $sp 2>/dev/null" 10
'

test_expect_code 100 'relayd -K 0 is refused' 'relayd -K 0 -d z' \
	'^relayd: fatal: unable to parse -K 0'

test_done
