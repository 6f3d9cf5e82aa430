#!/bin/sh
# Hostile input: bad ids, planted symlinks, corrupt files, a full disk.
. "$(dirname "$0")/test-lib.sh"

echo secret >target
bg relayd -d d -w . 2>relayd.log
wait_for "test -s d/server.ready"

for id in ../etc/passwd .hidden "a b" ""; do
	test_expect_code 100 "relay wait refuses the id '$id'" \
		'relay -d d wait "$id"' \
		'^relay: fatal: unable to use id .*: not 1 to 100 characters'
done

test_expect_success 'a symlink planted in cmd/ is refused, never followed' '
	ln -s "$PWD/target" d/cmd/9999999999.0-planted-1-0 &&
	{ relay -d d wait 9999999999.0-planted-1-0; test $? = 126; } &&
	grep -q "cmd is a symlink" d/result/9999999999.0-planted-1-0.log &&
	echo secret | cmp - target &&
	grep -q "refused 9999999999.0-planted-1-0: cmd is a symlink" relayd.log
'

test_expect_success 'a symlink planted at result/ID.log is replaced, not written through' '
	kill -STOP $(cut -d: -f3 d/srv/*/.info) &&
	id=$(relay -d d submit -- echo mine) &&
	ln -s "$PWD/target" d/result/$id.log &&
	kill -CONT $(cut -d: -f3 d/srv/*/.info) &&
	relay -d d wait $id &&
	echo secret | cmp - target &&
	echo mine | cmp - d/result/$id.log
'

test_expect_success 'a symlink planted at result/ID.exit is replaced atomically' '
	kill -STOP $(cut -d: -f3 d/srv/*/.info) &&
	id=$(relay -d d submit -- exit 4) &&
	ln -s "$PWD/target" d/result/$id.exit &&
	kill -CONT $(cut -d: -f3 d/srv/*/.info) &&
	wait_for "test -f d/result/$id.exit && ! test -L d/result/$id.exit" &&
	echo secret | cmp - target &&
	echo 4 | cmp - d/result/$id.exit
'

# relayd writes the status into run/ID (relayd(8)): a hard link planted
# there, to another file of relayd's user (here another command's exit
# file), is not written through.
test_expect_success 'a hard link planted at run/ID is not written through' '
	other=$(relay -d d submit -- true) && relay -d d wait $other &&
	mkfifo go &&
	id=$(relay -d d submit -- "read x <go; exit 3") &&
	wait_for "test -e d/run/$id" &&
	ln -f d/result/$other.exit d/run/$id &&
	echo >go &&
	{ relay -d d wait $id; test $? = 3; } &&
	echo 0 | cmp - d/result/$other.exit &&
	echo 3 | cmp - d/result/$id.exit
'

test_expect_code 111 'a non-numeric exit file is reported, not trusted' '
	echo "zero" >d/result/9999999999.1-x-1-0.exit &&
	relay -d d wait 9999999999.1-x-1-0
' '^relay: fatal: unable to read result/9999999999\.1-x-1-0\.exit: Invalid argument$'

test_expect_success 'status and flush cope with the corrupt exit file' '
	relay -d d status >out &&
	grep -q "done: 9999999999.1-x-1-0 exit unreadable" out &&
	relay -d d flush >out && ! test -e d/result/9999999999.1-x-1-0.exit
'

test_expect_success 'names that are not ids in cmd/ are skipped' '
	echo "touch hidden-ran" >d/cmd/.hidden &&
	echo "touch space-ran" >"d/cmd/a b" &&
	relay -d d run -- true &&
	! test -e hidden-ran && ! test -e space-ran &&
	rm d/cmd/.hidden "d/cmd/a b"
'

test_expect_code 111 'a symlinked subdirectory is refused' '
	mkdir e && mkdir elsewhere && ln -s "$PWD/elsewhere" e/result &&
	relayd -d e
' '^relayd: fatal: unable to open e/result: '
test_expect_success 'nothing was written through the symlinked subdirectory' '
	test_empty elsewhere
'

test_expect_code 111 'another protocol version is refused' '
	mkdir f && echo "husk-relay 1" >f/version &&
	relay -d f status
' '^relay: fatal: unable to use f: not a husk-relay 2 directory'

test_expect_code 100 'an overlong command is refused at submit' '
	big=$(head -c 70000 /dev/zero | tr "\\0" x) &&
	relay -d d submit -- "$big" "$big"
' '^relay: fatal: unable to submit command: longer than 131072 bytes'
test_expect_success 'the overlong command left nothing in cmd/' '
	test_empty d/cmd
'

test_expect_code 100 'a bad -j is a usage error' 'relayd -j 0' \
	'^relayd: fatal: unable to parse -j 0: not a number from 1 to 256$'
test_expect_code 100 'a bad -T is a usage error' 'relayd -T x' \
	'^relayd: fatal: unable to parse -T x: not a number of seconds'
test_expect_code 100 'an unknown verb is a usage error' 'relay bogus' '^usage: relay'

# A small tmpfs stands in for a full disk (needs root and mount).
if mkdir tiny && mount -t tmpfs -o size=64k tmpfs tiny 2>/dev/null; then
	cleanup_tiny() { umount tiny 2>/dev/null; }
	test_expect_success 'full disk: submit fails cleanly, nothing half-written' '
		relay -d tiny/d status >/dev/null;
		head -c 200000 /dev/zero >tiny/fill 2>/dev/null;
		big=$(head -c 100000 /dev/zero | tr "\\0" x) &&
		! relay -d tiny/d submit -- "$big" 2>err &&
		grep -q "relay: fatal: unable to write tiny/d/cmd/.*: No space left on device" err &&
		test_empty tiny/d/cmd
	'
	# The exit code goes into the running marker (relayd(8)), whose
	# block is already the marker's: a full disk does not hold it up.
	test_expect_success 'full disk: the exit code is recorded at once, whole' '
		rm -f tiny/fill &&
		bg relayd -d tiny/d -p 50 2>full.log &&
		id=$(relay -d tiny/d submit -- "echo out; head -c 200000 /dev/zero >tiny/fill 2>/dev/null; exit 0") &&
		relay -d tiny/d wait $id &&
		test -s tiny/fill &&
		echo 0 | cmp - tiny/d/result/$id.exit &&
		! test -e tiny/d/run/$id &&
		test -z "$(find tiny/d -name ".*tmp*")"
	'
	# A command refused before it runs has no marker: its exit file is
	# written anew, and waits for space.
	test_expect_success 'full disk: an exit file written anew waits for space, then is whole' '
		rm -f tiny/fill &&
		printf "true\\0" >tiny/d/.nul &&
		head -c 200000 /dev/zero >tiny/fill 2>/dev/null;
		mv tiny/d/.nul tiny/d/cmd/1.0-nul &&
		wait_for "grep -q \"unable to write result/1.0-nul.exit: No space left\" full.log" &&
		! test -e tiny/d/result/1.0-nul.exit &&
		rm tiny/fill &&
		{ relay -d tiny/d wait 1.0-nul; test $? = 126; } &&
		echo 126 | cmp - tiny/d/result/1.0-nul.exit &&
		test -z "$(find tiny/d -name ".*tmp*")"
	'
	# A cancel that comes once the command has ended, while its result
	# waits for space: the command's status stands, and its process
	# group (gone, its number free for another) gets no signal.  The
	# disk is full, so the request (an empty file, which takes no space)
	# is made beforehand and renamed in, with a stale request for no
	# command after it: once relayd drops that one, it has seen both.
	test_expect_success 'full disk: a cancel after the end does not change the status' '
		rm -f tiny/fill &&
		printf "true\\0" >tiny/d/.nul2 && : >tiny/d/.can && : >tiny/d/.stale &&
		touch -d "2 minutes ago" tiny/d/.stale &&
		head -c 200000 /dev/zero >tiny/fill 2>/dev/null;
		mv tiny/d/.nul2 tiny/d/cmd/1.0-nul2 &&
		wait_for "grep -q \"unable to write result/1.0-nul2.exit: No space left\" full.log" &&
		mv tiny/d/.can tiny/d/cancel/1.0-nul2 &&
		mv tiny/d/.stale tiny/d/cancel/1.0-nosuch &&
		wait_for "grep -q \"dropped cancel/1.0-nosuch\" full.log" &&
		rm tiny/fill &&
		{ relay -d tiny/d wait 1.0-nul2; test $? = 126; } &&
		echo 126 | cmp - tiny/d/result/1.0-nul2.exit &&
		! grep -q "relay: cancelled" tiny/d/result/1.0-nul2.log
	'
	test_cleanup
	umount tiny
else
	test_skip 'full disk: submit fails cleanly, nothing half-written' \
		'cannot mount a tmpfs (needs root)'
	test_skip 'full disk: the exit code is recorded at once, whole' \
		'cannot mount a tmpfs (needs root)'
	test_skip 'full disk: an exit file written anew waits for space, then is whole' \
		'cannot mount a tmpfs (needs root)'
	test_skip 'full disk: a cancel after the end does not change the status' \
		'cannot mount a tmpfs (needs root)'
fi
test_done
