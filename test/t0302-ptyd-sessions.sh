#!/bin/sh
# ptyd: many sessions, reconnects during heavy output, racing clients.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"

# check_run FILE: FILE (CRs dropped) is consecutive numbered lines, each
# once; prints "first last".  A "go" line is dropped first: a client
# sends go as soon as it attaches, and on a loaded machine the session's
# shell may not have run stty -echo yet, so the terminal echoes it.
check_run() {
	tr -d "\r" <"$1" | grep -vx go | awk '
		NR == 1 { first = $0 + 0; prev = first - 1 }
		{ if ($0 !~ /^[0-9]+$/ || $0 + 0 != prev + 1) { print "break at line " NR ": " $0 " after " prev > "/dev/stderr"; bad = 1; exit 1 } prev = $0 + 0 }
		END { if (!bad && NR) print first, prev; if (!NR) exit 1 }'
}

test_expect_success 'start ptyd' '
	ptyd_start d --max-sessions 200 --scrollback 65536
'

test_expect_success '50 sessions started in parallel each see only their own output, once' '
	for i in $(seq 1 50); do
		curl -sS -o c.$i -H "Content-Type: application/json" -d "{\"env\":{\"N\":\"$i\"},\"command\":\"stty -echo; echo mark-\$N; read x; echo reply-\$x\"}" $URL/terminals &
		eval "cp$i=\$!"
	done &&
	for i in $(seq 1 50); do eval "wait \$cp$i" || return 1; done &&
	for i in $(seq 1 50); do
		id=$(sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p" c.$i) &&
		test -n "$id" || return 1
		{ sleep 0.3; echo $i; } | ptyd attach $URL $id >o.$i 2>e.$i &
		eval "ap$i=\$!"
	done &&
	for i in $(seq 1 50); do eval "wait \$ap$i" || { echo "attach $i failed"; cat e.$i; return 1; }; done &&
	for i in $(seq 1 50); do
		tr -d "\r" <o.$i | grep -E "^(mark|reply)-" >m.$i &&
		printf "mark-%s\nreply-%s\n" $i $i | test_cmp - m.$i || return 1
	done
'

test_expect_success 'an attached slow client gets every byte: the PTY waits, nothing dropped' '
	id=$(new_session "{\"command\":\"stty -echo; read x; seq 1 200000\"}") &&
	echo go | ptyd attach $URL $id | { sleep 1; cat; } >slow &&
	test "$(check_run slow)" = "1 200000"
'

# Reconnects during heavy output: numbered lines, paced so that output is
# still flowing while clients come and go; each client is killed -9 after
# a moment except the last.  The ring (64 KiB) is much smaller than the
# output (2.4 MB), so each replay is a true tail followed by live output.
test_expect_success 'reconnect during heavy output: each client sees one gapless run, replay + live' '
	prog="BEGIN { for (i = 1; i <= 300000; i++) { printf \"%07d\\n\", i; if (i % 3000 == 0) { fflush(); system(\"sleep 0.02\") } } }" &&
	id=$(new_session "$(cmd_json sh -c "stty -echo; read x; exec awk \"\$0\"" "$prog")") || return 1
	echo go | ptyd attach $URL $id >r.0 2>/dev/null &
	p=$! && sleep 0.4 && kill -9 $p &&
	for k in 1 2 3 4 5; do
		ptyd attach $URL $id </dev/null >r.$k 2>/dev/null &
		p=$!; sleep 0.3; kill -9 $p 2>/dev/null
	done &&
	ptyd attach $URL $id </dev/null >r.last &&
	prev=0 &&
	for k in 0 1 2 3 4 5 last; do
		test -s r.$k || continue
		run=$(check_run r.$k) || { echo "client $k: not one gapless run"; return 1; }
		echo "client $k: lines $run"
		test ${run#* } -ge $prev || return 1
		prev=${run#* }
	done &&
	test $prev = 300000 &&
	# the last client joined mid-stream: its replay started past 1
	run=$(check_run r.last) && test ${run% *} -gt 1
'

# A starts the output (6 MB, then ticks) and stops reading for 5 s: the
# PTY waits on it, so A is far from the ticks when B attaches.
test_expect_success 'a newer client wins at once, even while the older one is still being fed' '
	id=$(new_session "$(cmd_json sh -c "stty -echo; read x; head -c 6000000 /dev/zero | tr \"\\\\0\" x; echo; i=0; while :; do i=\$((i+1)); echo tick-\$i; sleep 0.05; done")") || return 1
	$WS --binary "go\r" --pause 5 --for 30 $ADDR $id >a.out 2>a.err &
	a=$! && sleep 0.5 || return 1
	$WS --until tick-5 --for 30 $ADDR $id >b.out 2>b.err &
	b=$! &&
	wait $a && grep -qx "close 4001" a.err &&
	! grep -q tick a.out &&
	wait $b &&
	req GET /terminals/$id | field attached | grep -qx false
'

test_expect_success '10 rounds of two clients racing: exactly one keeps live output' '
	id=$(new_session "{\"command\":\"i=0; while :; do i=\$((i+1)); echo tick-\$i; sleep 0.02; done\"}") &&
	for r in $(seq 1 10); do
		ptyd attach $URL $id </dev/null >x.$r 2>xe.$r &
		x=$!
		ptyd attach $URL $id </dev/null >y.$r 2>ye.$r &
		y=$!
		wait_for "grep -q preempted xe.$r ye.$r" 5 || return 1
		if grep -q preempted xe.$r; then w=$y l=$x o=y.$r e=ye.$r
		else w=$x l=$y o=x.$r e=xe.$r; fi
		n=$(wc -c <$o) &&
		# The loser exits and the winner gets more live output: only
		# then is the winner checked for a preemption of its own.
		wait_for "! kill -0 $l 2>/dev/null" 5 &&
		wait_for "test \$(wc -c <$o) -gt $n" 5 &&
		kill -0 $w && ! grep -q preempted $e || return 1
		kill $w; wait $w
		wait $x $y 2>/dev/null || :
	done
'
# Coalescing (ptyd(1) --flush): with a window of 1 s, echoes typed back to
# back still go at once (each used to wait out the window: 5 keystrokes
# took 4 s), while sustained output is still held to a few frames a window.
test_expect_success 'a second ptyd with a 1 s flush window' '
	ptyd_start c --flush 1000:65536 &&
	FADDR=$ADDR
'

test_expect_success 'keystrokes echoed back to back are not held for the window' '
	id=$(URL=http://$FADDR new_session "{\"command\":\"stty raw; exec cat >/dev/null\"}") &&
	t=$(python3 "$HUSK_ROOT/test/ptyd-frames.py" $FADDR $id echo 5) &&
	echo "5 echoes in $t s" &&
	awk -v t="$t" "BEGIN { exit !(t < 1.0) }"
'

test_expect_success 'sustained output is coalesced: a few frames a window, not a line each' '
	id=$(URL=http://$FADDR new_session "{\"command\":\"stty -echo; read x; i=0; while [ \$i -lt 300 ]; do i=\$((i+1)); printf %099d\\\\n \$i; sleep 0.005; done\"}") &&
	set -- $(python3 "$HUSK_ROOT/test/ptyd-frames.py" $FADDR $id count 3) &&
	echo "$1 frames, $2 bytes" &&
	test "$2" -gt 10000 && test "$1" -lt 60
'

# Nagle: a second small write waits for the ACK of the first, which a
# client's TCP may delay 40 ms or more (200 on some systems): an answer
# in two pieces (a prompt after its echo) came 40 ms late.  Sockets are
# made with TCP_NODELAY (lib/http_client.c), as interactive servers do.
test_expect_success 'an answer in two writes 5 ms apart: the second is not held for our ACK' '
	id=$(new_session "{\"command\":\"stty raw -echo; while read -r x; do printf a; sleep 0.005; printf b; done\"}") &&
	ms=$(python3 "$HUSK_ROOT/test/ptyd-frames.py" $ADDR $id gap 20) &&
	echo "the second write after the first: $ms ms (median)" &&
	awk -v t="$ms" "BEGIN { exit !(t < 25) }"
'
test_done
