#!/bin/sh
# streamd: stdin, preemption, crashed clients, malformed frames, PTYs.
. "$(dirname "$0")/test-lib.sh"

sha() { sha256sum | cut -d" " -f1; }

for n in 65535 65537 1048593; do
	test_expect_success "stdin of $n bytes reaches the command whole" '
		head -c '$n' /dev/urandom >in &&
		bg streamd -s in.s -- sha256sum 2>sd.log &&
		wait_for "test -S in.s" &&
		streamd attach in.s <in >got &&
		test "$(cut -d" " -f1 got)" = "$(sha <in)"
	'
done

test_expect_success 'stdin EOF reaches the command within 1 s' '
	bg streamd -s eof.s -- sh -c "cat >/dev/null; echo got-eof" 2>sd.log &&
	wait_for "test -S eof.s" &&
	start=$(date +%s%N) &&
	streamd attach eof.s </dev/null >got &&
	end=$(date +%s%N) &&
	echo got-eof | cmp - got &&
	test $(( (end - start) / 1000000 )) -lt 1000
'

test_expect_success 'stdin sent before a preemption is still delivered' '
	bg streamd -s pre.s -- sh -c "read a; read b; echo \"\$a+\$b\"" 2>sd.log &&
	wait_for "test -S pre.s" || return 1
	{ echo first; sleep 2; } | streamd attach pre.s >one 2>one.err &
	first=$! &&
	sleep 0.5 &&
	echo second | streamd attach pre.s >two &&
	wait $first; test $? = 1 &&
	grep -q "preempted by a newer client" one.err &&
	echo "first+second" | cmp - two
'

# A command writes 24000 numbered lines in bursts while 200 clients attach
# in turn: every third is killed with -9 mid-stream, the rest are preempted
# by the next.  A last client drains what remains.  Each client journals
# the offsets it wrote (-O), so the pieces can be stitched.
test_expect_success 'preemption storm: 200 clients, kill -9 and preemption, stitched output exact' '
	awk "BEGIN { for (i = 0; i < 24000; i++) printf \"%07d\\n\", i }" >expect &&
	bg streamd -b 65536 -s storm.s -- sh -c "
		i=0; while [ \$i -lt 24000 ]; do
			printf \"%07d\\n\" \$i; i=\$((i + 1))
			[ \$((i % 80)) = 0 ] && sleep 0.01
		done" 2>storm.log &&
	wait_for "test -S storm.s" &&
	for i in $(seq 1 200); do
		streamd attach -O j.$i storm.s >o.$i 2>e.$i </dev/null &
		eval "p$i=\$!"
		sleep 0.01
		if [ $((i % 3)) = 0 ]; then kill -9 $! 2>/dev/null; echo $i >>killed; fi
	done &&
	# On a loaded machine the command may end, and a client take the
	# last bytes and the exit, before this one: then streamd is gone,
	# and the stitching below must still cover every byte.
	{ timeout 60 streamd attach -O j.last storm.s >o.last 2>e.last </dev/null ||
		{ test ! -S storm.s && grep -q "No such file" e.last; }; } &&
	# Clients are stitched in the order of their start offsets, not of
	# their numbers: on a loaded machine client i+1 may connect first.
	: >order &&
	for i in $(seq 1 200) last; do
		if [ -s j.$i ]; then
			k=0; grep -qx "$i" killed 2>/dev/null && k=1
			echo "$(head -n 1 j.$i | cut -d" " -f2) $i $k" >>order
		fi
	done &&
	sort -n -k1,1 order >sorted &&
	# What streamd logged as maybe written twice: a preempted client
	# still in the middle of a chunk when its grace ran out (a loaded
	# machine: streamd(1) BUGS).
	sed -n "s/.*stdout bytes \([0-9]*\)-\([0-9]*\) may be written twice.*/\1 \2/p" storm.log >twice &&
	pos=0 && prevkilled=0 &&
	while read start i k; do
		size=$(wc -c <o.$i)
		# one client writes each byte once: its chunks are contiguous
		awk -v s=$start "{ if (\$2 != s) exit 1; s = \$2 + \$3 } END { if (NR == 0) exit 1 }" j.$i || { echo "client $i not contiguous"; return 1; }
		# (its journal line comes just after a chunk: kill -9 between
		# the two leaves that chunk out, in a killed client only)
		j=$(awk "{ n += \$3 } END { print n }" j.$i) &&
		{ test $j = $size || { test $k = 1 && test $j -lt $size; }; } ||
			{ echo "client $i journal/output mismatch: $j, $size"; return 1; }
		# what it wrote is the command output at that offset
		tail -c +$((start + 1)) expect | head -c $size | cmp -s - o.$i || { echo "client $i wrong bytes at $start"; return 1; }
		# no gap; an overlap only after a client killed mid-stream
		test $start -le $pos || { echo "gap before client $i: $pos..$start"; return 1; }
		if [ $prevkilled = 0 ] && [ $start != $pos ] &&
		    ! awk -v s=$start -v p=$pos "\$1 <= s && p <= \$2 { f = 1 } END { exit !f }" twice; then
			echo "client $i repeats bytes $start-$pos after a clean handover, not logged"; cat twice; return 1
		fi
		end=$((start + size)); [ $end -gt $pos ] && pos=$end
		prevkilled=$k
	done <sorted &&
	test $pos = $(wc -c <expect) &&
	echo "stitched $pos bytes from $(ls j.* | wc -l) clients, $(grep -c . killed) killed, $(grep -c . twice) logged as maybe twice"
'

# stitch2 A B LOG EXPECT: clients A then B (journals j.A, j.B; outputs
# o.A, o.B) wrote out the command's output, the file EXPECT, between them.
# Each wrote one contiguous run of stdout, A from 0, B from where A's
# acknowledgements ended, with no gap.  They may overlap only on bytes
# streamd logged in LOG as "may be written twice" (a preempted client still
# in the middle of writing them when its grace ran out); otherwise B
# starts exactly where A stopped.  Sets aend, bstart and twice.
stitch2() {
	for c in $1 $2; do
		test -s j.$c || { echo "client $c wrote nothing"; return 1; }
		awk -v s=$(head -n 1 j.$c | cut -d" " -f2) "{ if (\$1 != 1 || \$2 != s) exit 1; s = \$2 + \$3 }" j.$c ||
			{ echo "client $c not contiguous:"; cat j.$c; return 1; }
		test $(awk "{ n += \$3 } END { print n }" j.$c) = $(wc -c <o.$c) ||
			{ echo "client $c journal/output mismatch"; return 1; }
	done
	aend=$(awk "{ e = \$2 + \$3 } END { print e }" j.$1)
	bstart=$(head -n 1 j.$2 | cut -d" " -f2)
	twice=$(sed -n "s/.*stdout bytes \([0-9]*\)-\([0-9]*\) may be written twice.*/\1 \2/p" $3)
	echo "A: 0-$aend, B: from $bstart; streamd logged as maybe twice: ${twice:-nothing}"
	test "$(head -n 1 j.$1 | cut -d" " -f2)" = 0 || { echo "A does not start at 0"; return 1; }
	test $bstart -le $aend || { echo "gap between A and B"; return 1; }
	if [ $bstart != $aend ]; then
		test -n "$twice" && test ${twice% *} -le $bstart && test $aend -le ${twice#* } ||
			{ echo "A and B overlap on bytes not logged"; return 1; }
	fi
	{ cat o.$1; tail -c +$((aend - bstart + 1)) o.$2; } | cmp - $4
}

# A client stopped (kill -STOP) while output is in flight to it, then
# preempted, then continued once the next client streams: it wakes with
# data frames (and the PREEMPT) unread in its socket, and must write none
# of it, since its successor was given it.
test_expect_success 'a client stopped, preempted, then continued writes nothing its successor owns' '
	awk "BEGIN { for (i = 0; i < 500; i++) printf \"%07d\\n\", i }" >expect &&
	bg streamd -s stop.s -- sh -c "
		i=0; while [ \$i -lt 500 ]; do
			printf \"%07d\\n\" \$i; i=\$((i + 1)); echo \$i >made; sleep 0.01
		done" 2>stop.log &&
	wait_for "test -S stop.s" || return 1
	bg streamd attach -O j.a stop.s >o.a 2>e.a </dev/null
	a=$! &&
	wait_for "test -s j.a" &&
	kill -STOP $a &&
	# The command goes on: wait until it has made 3 lines more than A
	# wrote, which streamd sends to A (stopped, so they stay unread).
	wrote=$(awk "{ e = \$2 + \$3 } END { print e / 8 }" j.a) &&
	wait_for "made=\$(cat made 2>/dev/null); test \"\${made:-0}\" -ge $((wrote + 3))" || return 1
	bg streamd attach -O j.b stop.s >o.b 2>e.b </dev/null
	b=$! &&
	wait_for "test -s j.b" &&
	kill -CONT $a &&
	{ wait $a; test $? = 1; } &&
	grep -q "preempted by a newer client" e.a &&
	wait $b &&
	stitch2 a b stop.log expect
'

# The one case streamd(1) leaves: a preempted client that is still in the
# middle of writing a chunk when its 2 s grace runs out (here: blocked on a
# FIFO nobody reads).  That chunk, and only it, is then written twice, and
# streamd logs exactly which bytes.
test_expect_success 'a preempted client blocked mid-chunk past the grace: only that chunk is written twice, as logged' '
	awk "BEGIN { for (i = 0; i < 131072; i++) printf \"%07d\\n\", i }" >expect2 &&
	bg streamd -s blk.s -- cat expect2 2>blk.log &&
	wait_for "test -S blk.s" &&
	mkfifo f && exec 8<>f || return 1
	bg streamd attach -O j.c blk.s >f 2>e.c </dev/null
	a=$! &&
	wait_for "test -s j.c" || return 1
	bg streamd attach -O j.d blk.s >o.d 2>e.d </dev/null 8<&-
	b=$! &&
	wait_for "grep -q \"may be written twice\" blk.log" || return 1
	bg cat f >o.c 8<&-
	r=$! &&
	exec 8<&- &&
	{ wait $a; sa=$?; test $sa = 1 || test $sa = 111; } &&
	wait $r && wait $b &&
	stitch2 c d blk.log expect2 &&
	test "$bstart $aend" = "$twice"
'

test_expect_success '50 attach/kill -9 cycles, then a fresh attach works; no stray children' '
	bg streamd -s k.s -- sh -c "while :; do echo tick; sleep 0.01; read x && echo \"in:\$x\" && exit 0; done" 2>k.log &&
	sd=$! &&
	wait_for "test -S k.s" &&
	mkfifo hold && exec 7<>hold &&
	for i in $(seq 1 50); do
		streamd attach k.s <hold >/dev/null 2>&1 & a=$!
		sleep 0.01; kill -9 $a; wait $a 2>/dev/null
	done;
	exec 7>&- &&
	test "$(ps -o pid= --ppid $sd | wc -l)" = 1 &&
	echo pong | streamd attach k.s >last &&
	grep -q "^in:pong$" last &&
	wait $sd
'

test_expect_success 'malformed frames close that client only; the command and its output are untouched' '
	bg streamd -s bad.s -- sh -c "seq 1 1000; sleep 1; seq 1001 2000" 2>bad.log &&
	wait_for "test -S bad.s" &&
	printf "\\377\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0" | socat -t 1 - UNIX-CONNECT:bad.s >/dev/null &&
	printf "\\020\\001\\000\\000\\000\\000\\000\\000\\377\\377\\377\\377\\377\\377\\377\\377" | socat -t 1 - UNIX-CONNECT:bad.s >/dev/null &&
	printf "\\021\\000\\000\\000\\000\\020\\000\\000\\000\\000" | socat -t 1 - UNIX-CONNECT:bad.s >/dev/null &&
	grep -q "client sent a malformed frame (unknown frame type); closing it" bad.log &&
	grep -q "client sent a malformed frame (acknowledged bytes it was never sent); closing it" bad.log &&
	streamd attach bad.s >got </dev/null &&
	seq 1 2000 | cmp - got
'

test_expect_success '-t: the command has a terminal; the client window size reaches it' '
	bg streamd -t -s t.s -- sh -c "sleep 0.5; tty; stty size" 2>t.log &&
	wait_for "test -S t.s" &&
	script -qec "stty rows 31 cols 97; streamd attach t.s" /dev/null </dev/null >got &&
	grep -q "/dev/pts/" got &&
	grep -q "31 97" got
'
# A raw client that ignores the stdin window (64 KiB in flight): streamd
# enforces it and cuts the client, instead of holding what it sent.
# Bound: streamd under 16 MiB resident after 300 MB offered.
cat >stdin-flood.py <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
chunk = b"x" * 65536
off, sent = 0, 0
try:
    while sent < 300 << 20:
        s.sendall(struct.pack(">BBHIQ", 17, 0, 0, len(chunk), off) + chunk)
        off += len(chunk)
        sent += len(chunk)
    print("sent all", flush=True)
except OSError:
    print("cut after", sent >> 20, "MiB", flush=True)
PY
test_expect_success 'stdin past the window from a raw client: cut, streamd stays small' '
	bg streamd -s w.s -- sleep 120 2>w.log &&
	sd=$! && wait_for "test -S w.s" &&
	python3 stdin-flood.py w.s >flood.out && cat flood.out &&
	r=$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$sd/status) &&
	echo "streamd resident: $r KiB" &&
	grep -q "^cut after" flood.out && test "$r" -lt 16384 &&
	grep -q "past its window" w.log
'

# streamd(1) says mode 0600: only the owner may connect.
test_expect_success 'the socket is for its owner only, whatever the umask' '
	(umask 0 && bg streamd -s mode.s -- sleep 60 2>mode.log) &&
	wait_for "test -S mode.s" &&
	test "$(stat -c %a mode.s)" = 600
'
test_done
