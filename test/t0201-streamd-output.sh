#!/bin/sh
# streamd: output kept until a client attaches, byte-exact, exit reported
# only after the last byte was acknowledged.
. "$(dirname "$0")/test-lib.sh"

sha() { sha256sum | cut -d" " -f1; }

# poke SOCKET LOG: a client connects and goes at once, acknowledging
# nothing; true once streamd has logged it gone in LOG (its own, with no
# client before).  streamd has then been round its loop since all that
# came before the connect (the command's exit, its output): what it has
# not done by then, it did not do on those.
poke() {
	python3 -c "import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$1" &&
	wait_for "grep -q \"client closed\" $2"
}
# The bytes process $1 has read so far (rchar; wchar: written).
rchar() { sed -n "s/^rchar: //p" /proc/$1/io; }
wchar() { sed -n "s/^wchar: //p" /proc/$1/io; }

test_expect_success '10 MiB on each stream from a command that exits at once, attached after' '
	head -c 10485760 /dev/urandom >a && head -c 10485760 /dev/urandom >b &&
	bg streamd -b 16777216 -s s -e ex -- sh -c "cat a; cat b >&2; echo \$\$ >cmd.pid" 2>sd.log &&
	wait_for "test -s cmd.pid" && wait_for "gone cmd.pid" &&
	poke s sd.log && ! test -e ex &&
	streamd attach s >got.a 2>got.b &&
	test "$(sha <a)" = "$(sha <got.a)" &&
	test "$(sha <b)" = "$(sha <got.b)" &&
	echo "exit 0" | cmp - ex && ! test -e s
'

test_expect_success 'the exit file waits for the last acknowledged byte' '
	rm -f ex cmd.pid &&
	bg streamd -s s2 -e ex -- sh -c "seq 1 5; echo \$\$ >cmd.pid; exit 7" 2>sd.log &&
	wait_for "test -s cmd.pid" && wait_for "gone cmd.pid" &&
	poke s2 sd.log && ! test -e ex &&
	{ streamd attach s2 >got; test $? = 7; } &&
	seq 1 5 | cmp - got &&
	echo "exit 7" | cmp - ex
'

test_expect_success 'death by signal: 128+N from attach, "signal N" in the exit file' '
	rm -f ex &&
	bg streamd -s s3 -e ex -- sh -c "kill -TERM \$\$" 2>sd.log &&
	wait_for "test -S s3" &&
	{ streamd attach s3; test $? = 143; } &&
	echo "signal 15" | cmp - ex
'

# seq writes 4096 bytes at a time: 4096 (the buffer) + 65536 (the pipe)
# written, it blocks.  streamd, poked with its pipe full, must still have
# read no more than its buffer.
test_expect_success 'a full buffer holds the command back instead of dropping output' '
	bg streamd -b 4096 -s s4 -- sh -c "while ! test -e go4; do sleep 0.02; done;
		seq 1 20000 & echo \$! >seq.pid; wait \$!; echo done >&2" 2>sd4.log &&
	sd=$! && wait_for "test -S s4" &&
	r0=$(rchar $sd) && touch go4 &&
	wait_for "test -s seq.pid && { ! kill -0 \$(cat seq.pid) 2>/dev/null ||
		test \$(wchar \$(cat seq.pid)) -ge 69632; }" &&
	poke s4 sd4.log &&
	echo "streamd read $(($(rchar $sd) - r0)) bytes of output" &&
	test $(($(rchar $sd) - r0)) -le 4096 &&
	streamd attach s4 >got 2>err &&
	seq 1 20000 | cmp - got && echo done | cmp - err
'

test_expect_success 'short commands attached a few ms after start: never empty (500 x 2)' '
	mkfifo r &&
	for i in $(seq 1 500); do
		streamd -R r -s s -- echo hi 2>/dev/null & read x <r || return 1
		test "$(streamd attach s)" = hi || { echo "run $i empty"; return 1; }
		wait $! || return 1
	done &&
	mkdir lsdir && touch lsdir/one lsdir/two &&
	for i in $(seq 1 500); do
		streamd -R r -s s -- ls lsdir 2>/dev/null & read x <r || return 1
		test "$(streamd attach s | tr "\n" " ")" = "one two " || { echo "ls run $i"; return 1; }
		wait $! || return 1
	done
'

test_expect_success 'a late attach after the command finished gets everything (the exec ls case)' '
	bg streamd -s s6 -- ls lsdir 2>sd.log &&
	wait_for "grep -q \"serving pid\" sd.log" &&
	sed -n "s/.*serving pid \([0-9]*\) on .*/\1/p" sd.log >cmd.pid &&
	wait_for "gone cmd.pid" &&
	test "$(streamd attach s6 | tr "\n" " ")" = "one two "
'

test_expect_code 124 'linger: with no client the output is given up after -l seconds' '
	rm -f ex && streamd -l 1 -s s7 -e ex -- echo unread
' '^streamd: warning: no client took the output \(7 bytes\) within the linger time'
test_expect_success 'linger: the exit file is written, the socket removed' '
	echo "exit 0" | cmp - ex && ! test -e s7
'

test_expect_code 127 'a command that does not exist: 127' \
	'streamd -s s8 -- no-such-command-xyz' \
	'^streamd: fatal: unable to run no-such-command-xyz: No such file or directory$'
test_expect_success 'a command that does not exist: no socket left' '
	! test -e s8
'

test_expect_code 111 'a socket another streamd serves is refused' '
	bg streamd -s busy -- sleep 30 2>sd.log &&
	wait_for "test -S busy" &&
	streamd -s busy -- true
' '^streamd: fatal: unable to bind busy: another streamd serves it$'
test_done
