#!/bin/sh
# relay run: output streamed while the command runs, exit codes returned.
. "$(dirname "$0")/test-lib.sh"

bg relayd -d d -w . 2>relayd.log
test_expect_success 'relayd registers itself' '
	wait_for "test -s d/server.ready" &&
	relay -d d status >status &&
	grep -q "^server: alive" status
'
for code in 0 1 2; do
	test_expect_code $code "exit $code is returned" "relay -d d run -- exit $code"
done
test_expect_code 127 'a missing command is 127' 'relay -d d run -- no-such-command-xyz'
test_expect_code 139 'kill -SEGV gives 128+11' 'relay -d d run -- "kill -SEGV \$\$"'
test_expect_code 143 'kill -TERM gives 128+15' 'relay -d d run -- "kill -TERM \$\$"'

test_expect_success 'stdout and stderr both reach the client' '
	relay -d d run -- "echo out; echo err >&2" >got 2>&1 &&
	printf "out\nerr\n" >want &&
	test_cmp want got
'

test_expect_success 'arguments are joined with spaces and run by sh -c' '
	relay -d d run echo a "b  c" \$RELAY_ID >got &&
	grep -q "^a b c [0-9]" got
'

test_expect_success 'output is streamed before the command ends' '
	relay -d d run -- "echo first; while ! test -e go; do sleep 0.02; done; echo second" >stream &
	pid=$! &&
	wait_for "grep -q first stream" 5 &&
	! grep -q second stream &&
	touch go &&
	wait $pid &&
	printf "first\nsecond\n" >want &&
	test_cmp want stream
'

test_expect_success 'binary output passes unchanged' '
	head -c 300000 /dev/urandom >blob &&
	relay -d d run -- cat blob >got &&
	cmp blob got
'

test_expect_success 'a reader that goes away cancels the command (SIGPIPE)' '
	{ relay -d d run -- "seq 1 100000000; touch finished"; echo $? >rc; } | head -n 2 >got &&
	printf "1\n2\n" >want && test_cmp want got &&
	test "$(cat rc)" = 141 &&
	! test -e finished
'

test_expect_success 'relay run leaves no result files behind' '
	test_empty d/result d/cmd d/run d/cancel
'

test_expect_success 'submit, then wait and logs' '
	id=$(relay -d d submit -- "echo hello; exit 5") &&
	{ relay -d d wait "$id"; test $? = 5; } &&
	relay -d d logs "$id" >got &&
	echo hello >want && test_cmp want got &&
	relay -d d logs -f "$id" >got2; test $? = 5 &&
	test_cmp want got2
'

test_expect_success 'relayd -j 3 runs three commands at once' '
	relay -d d flush >/dev/null &&
	kill $(cat d/srv/*/.info | cut -d: -f3) &&
	wait_for "test -z \"\$(ls d/srv)\"" &&
	bg relayd -d d -w . -j 3 2>>relayd.log &&
	wait_for "test -n \"\$(ls d/srv)\"" &&
	for i in 1 2 3; do
		relay -d d submit -- "touch s$i; while ! test -e s1 -a -e s2 -a -e s3; do sleep 0.02; done" || return 1
	done >ids &&
	for id in $(cat ids); do relay -d d wait $id || return 1; done
'

test_expect_success 'many clients at once' '
	pids= &&
	for i in 1 2 3 4 5 6 7 8; do
		relay -d d run -- "echo c$i" >c$i.out & pids="$pids $!"
	done &&
	for p in $pids; do wait $p || return 1; done &&
	for i in 1 2 3 4 5 6 7 8; do echo c$i | cmp - c$i.out || return 1; done
'

test_expect_success 'status shows the ten most recent results' '
	relay -d d flush >/dev/null &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		relay -d d submit -- "exit $i" || return 1
	done >ids12 &&
	for id in $(cat ids12); do relay -d d wait $id; test $? -le 12 || return 1; done &&
	relay -d d status --json | jq -r ".recent[] | \"\(.id) \(.exit)\"" >got &&
	tail -n 10 ids12 | awk "{ print \$0, NR + 2 }" >want && test_cmp want got
'

# relayd(8): the exit code is written into the running marker, which is
# flushed and then renamed to result/ID.exit: its name is durable from the
# start (run/ was flushed before the command ran), so the code survives a
# crash of the machine without a flush of result/, and a reader sees the
# whole exit file or none.  A crash is what the flushes are for, so they are
# checked from the system calls, as strace sees them (-y names each
# descriptor's file): after the command, the marker is fsynced, then
# renamed from run/ to result/, and no temporary exit file is made.
cat >order.awk <<'EOF2'
index($0, "execve(\"/bin/sh\"") && !x { x = NR }
x && index($0, "fsync(") && index($0, "/sd/run/" id ">)") && !f { f = NR }
index($0, "rename") && index($0, "/sd/run>, \"" id "\", ") &&
    index($0, "/sd/result>, \"" id ".exit\")") && !r { r = NR }
index($0, id ".exit.tmp") { t++ }
END { print "exec", x, "marker fsync", f, "rename", r, "temp exit file", t
	exit !(x && f && f < r && !t) }
EOF2
test_expect_success 'the exit code goes into the flushed marker, renamed to result/ID.exit' '
	bg strace -f -qq -y -o trace -e trace=fsync,openat,rename,renameat,renameat2,linkat,pwrite64,execve \
	    relayd -d sd -w . 2>sd.log &&
	st=$! &&
	wait_for "test -s sd/server.ready" &&
	rd=$(cut -d: -f2 sd/server.ready) && echo $rd >>"$TRASH/.bg_pids" &&
	id=$(relay -d sd submit true) && relay -d sd wait $id && echo $id >traced &&
	test "$(cat sd/result/$id.exit)" = 0 &&
	kill -TERM $rd && wait $st &&
	awk -v id="$id" -f order.awk trace
'

# The running marker matters after a crash of the machine by its name
# alone (an empty or short one means "it ran": t0004), so its bytes are
# not flushed when it is written: its name is put in place (the claim
# linked) and run/ flushed, and only then is the marker written over the
# command's text: a crash never leaves a claim whose text is cut.  relayd makes two fsyncs for the command
# (run/, then the marker with the exit code), none of the marker's
# temporary file.  The same trace.
cat >mark.awk <<'EOF2'
index($0, "fsync(") && index($0, "/run/." id ".tmp.") { t++ }
(index($0, "rename") || index($0, "link")) && index($0, "/run>, \"" id "\"") &&
    !r { r = NR }
r && index($0, "fsync(") && index($0, "/run>)") && !d { d = NR }
index($0, "execve(\"/bin/sh\"") && !x { x = NR }
index($0, "pwrite64(") && index($0, "\"" id ":") && !w { w = NR }
index($0, "fsync(") && (index($0, "/sd/run") || index($0, "/sd/result")) { n++ }
END { print "temp fsyncs", t, "link", r, "dir fsync", d, "marker written", w, "exec", x, "fsyncs", n
	exit !(!t && r && r < d && d < w && w < x && n == 2) }
EOF2
test_expect_success 'the running marker: linked, run/ flushed, then written, all before the command runs; its bytes not flushed' '
	awk -v id="$(cat traced)" -f mark.awk trace
'

# A command submitted by relayd's own user keeps one inode from cmd/ID to
# result/ID.exit: its claim becomes the running marker (then the exit
# file), so relayd creates no file for the marker and removes none.  On
# an ext4 without a journal every inode freed is scanned past by each
# create for minutes: freeing one per command made every create slower.
test_expect_success 'one inode per command: cmd/ID becomes run/ID, then result/ID.exit' '
	id=$(relay -d in submit -- "ls -i ../in/run >ran" 2>/dev/null) &&
	ino=$(stat -c %i in/cmd/$id) &&
	bg relayd -d in -w in 2>in.log &&
	relay -d in wait $id &&
	test "$(cat in/ran)" = "$ino $id" &&
	test "$(stat -c %i in/result/$id.exit)" = "$ino" &&
	test "$(stat -c %a in/result/$id.exit)" = 600 &&
	test_empty in/run in/cmd
'

# Where the claim cannot be linked into run/ (run/ a mount of its own, a
# filesystem without hard links), the marker is a new file, as it was
# before, and the claim keeps its text until the status is recorded.
t='run/ on a mount of its own, no link possible: a new marker, the command runs'
if [ "$(id -u)" = 0 ] && mkdir -p bm && relay -d bm status >/dev/null 2>&1;
   mount --bind bm/run bm/run 2>/dev/null; then
	test_expect_success "$t" '
		bg relayd -d bm -w . 2>bm.log && bmd=$! &&
		relay -d bm run -- "echo hello" >out &&
		echo hello >want && test_cmp want out &&
		test_empty bm/run bm/cmd
	'
	# relayd holds run/ open: it goes first.
	kill $bmd 2>/dev/null && wait $bmd
	umount bm/run || umount -l bm/run
else
	test_skip "$t" "needs root and mount --bind"
fi

# Between the marker's flush and its rename, run/ID holds an exit code:
# the command has finished, and relay status does not call it running,
# nor does relay cancel; no more while the code is being written over the
# marker (its first line a status, the rest the marker's).
test_expect_success 'a marker holding an exit code is not shown as running' '
	{ relay -d st status >out; test $? = 1; } &&
	printf "0\n" >st/run/1.0-done &&
	printf "5\n0-torn:123:123:456:n\n" >st/run/1.0-torn &&
	{ relay -d st status >out; test $? = 1; } &&
	! grep "1.0-done" out && ! grep "1.0-torn" out &&
	grep "^running: none" out &&
	{ relay -d st status --json >out; test $? = 1; } &&
	! grep "1.0-done" out && grep "\"running\":\[\]" out &&
	{ relay -d st cancel 2>err; test $? = 1; } &&
	grep "unable to cancel: no command is running" err
'
test_done
