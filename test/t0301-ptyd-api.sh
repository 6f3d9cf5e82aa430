#!/bin/sh
# ptyd: the HTTP API, exit reporting, attach after exit, readiness.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"

test_expect_success 'start ptyd, GET /health' '
	ptyd_start d &&
	dpid=$(tail -n 1 "$TRASH/.bg_pids") &&
	test "$(req GET /health)" = "{\"status\":\"ok\"}" &&
	test "$(cat code)" = 200
'

test_expect_success 'create, list, get one; unknown id is 404 JSON' '
	id=$(new_session "{\"cols\":100,\"rows\":30,\"command\":\"sleep 30\"}") &&
	test -n "$id" &&
	req GET /terminals >list && test "$(cat code)" = 200 &&
	python3 -c "
import json, sys
l = json.load(open(\"list\"))
s = [x for x in l if x[\"id\"] == \"$id\"][0]
assert s[\"command\"] == \"sleep 30\" and s[\"cols\"] == 100 and s[\"rows\"] == 30, s
assert s[\"exited\"] is False and s[\"attached\"] is False and s[\"exit_code\"] is None, s
assert s[\"pid\"] > 1 and s[\"started\"] > 1700000000, s
" &&
	req GET /terminals/$id | field id >got && echo "\"$id\"" | test_cmp - got &&
	req GET /terminals/0123456789abcdef >body404 && test "$(cat code)" = 404 &&
	grep -q "\"error\":\"no such session\"" body404 &&
	req GET /nope && test "$(cat code)" = 404 &&
	req PUT /terminals && test "$(cat code)" = 405
'

# The session's own process is the probe (exec'd, no shell in between).
test_expect_success 'the child: own session, PTY as controlling terminal, fds 0-2 only, signals reset' '
	id=$(new_session "{\"command\":[\"cat\",\"/proc/self/stat\",\"/proc/self/status\"]}") &&
	ptyd attach $URL $id </dev/null >out &&
	tr -d "\r" <out >o &&
	{ head -n 1 o | awk "{ exit !(\$1 == \$5 && \$1 == \$6 && \$7 != 0 && \$8 == \$1) }" ||
	  { echo "stat: $(head -n 1 o)"; false; }; } &&
	grep -q "SigBlk:	0000000000000000" o &&
	grep -q "SigIgn:	0000000000000000" o &&
	id=$(new_session "{\"command\":[\"ls\",\"/proc/self/fd\"]}") &&
	ptyd attach $URL $id </dev/null >out &&
	# 3 is ls reading the directory
	tr -d "\r" <out | tr -s " " "\n" | grep . | sort -n | paste -sd" " >fds &&
	{ echo "0 1 2 3" | test_cmp - fds || { cat -A out; false; }; }
'

test_expect_success 'exit code 3: attach gets tail and exit, exits 3; then the session is gone' '
	id=$(new_session "{\"command\":\"echo before-exit; exit 3\"}") &&
	wait_for "req GET /terminals/$id | grep -q \"\\\"exited\\\":true\"" &&
	req GET /terminals/$id | field exit_code >ec && echo 3 | test_cmp - ec &&
	{ ptyd attach -v $URL $id </dev/null >out 2>ev; test $? = 3; } &&
	tr -d "\r" <out | grep -qx before-exit &&
	echo "{\"type\":\"exit\",\"exit_code\":3,\"signal\":null}" | test_cmp - ev &&
	req GET /terminals/$id && test "$(cat code)" = 404
'

test_expect_success 'death by SIGKILL: signal reported exactly, attach exits 137' '
	id=$(new_session "{\"command\":\"echo dying; kill -9 \$\$\"}") &&
	{ ptyd attach -v $URL $id </dev/null >out 2>ev; test $? = 137; } &&
	echo "{\"type\":\"exit\",\"exit_code\":null,\"signal\":\"SIGKILL\"}" | test_cmp - ev
'

test_expect_success 'live attach sees the exit too; command as an argv array' '
	id=$(new_session "{\"command\":[\"sh\",\"-c\",\"sleep 0.5; echo \$0 done; exit 7\",\"argv0\"]}") &&
	{ ptyd attach $URL $id </dev/null >out; test $? = 7; } &&
	tr -d "\r" <out | grep -qx "argv0 done"
'

test_expect_success 'input reaches the command; env and cwd apply; resize reaches the terminal' '
	mkdir -p wd &&
	id=$(new_session "{\"cols\":50,\"rows\":20,\"cwd\":\"$TRASH/wd\",\"env\":{\"FOO\":\"bar baz\"},\"command\":\"stty size; read x; echo \\\"got=\$x foo=\$FOO pwd=\$PWD\\\"; sleep 0.3; stty size\"}") &&
	sleep 0.3 &&
	req POST /terminals/$id/resize "{\"cols\":132,\"rows\":43}" >r && test "$(cat code)" = 200 &&
	echo hello | ptyd attach $URL $id >out &&
	tr -d "\r" <out >o &&
	grep -qx "20 50" o && grep -qx "43 132" o &&
	grep -qx "got=hello foo=bar baz pwd=$TRASH/wd" o
'

# terminated_by TRAPS SIGNAL: a shell ignoring TRAPS, with a child, is
# terminated; the session reports SIGNAL and the child is gone.
terminated_by() {
	rm -f bgpid &&
	id=$(new_session "{\"command\":\"trap \\\"\\\" $1; sleep 100 & echo \$! >$TRASH/bgpid; wait\"}") &&
	wait_for "test -s bgpid" &&
	req POST /terminals/$id/terminate >r && test "$(cat code)" = 202 &&
	wait_for "req GET /terminals/$id | grep -q \"\\\"exited\\\":true\"" 5 &&
	req GET /terminals/$id | field signal | grep -qx "\"$2\"" &&
	wait_for "! kill -0 $(cat bgpid) 2>/dev/null" 5
}
# A shell ignoring SIGTERM dies of the SIGHUP sent with it.
test_expect_success 'terminate kills the group (a shell ignoring TERM too), reports the signal' '
	terminated_by TERM SIGHUP &&
	req POST /terminals/$id/terminate && test "$(cat code)" = 409
'
test_expect_success 'terminate: SIGKILL 2 s later for a group ignoring HUP and TERM' '
	terminated_by "HUP TERM" SIGKILL
'

test_expect_success 'exec failure and bad cwd are reported, not retried' '
	req POST /terminals "{\"command\":[\"/nonexistent/prog\"]}" >e &&
	test "$(cat code)" = 400 &&
	grep -q "unable to exec /nonexistent/prog: No such file or directory" e &&
	req POST /terminals "{\"cwd\":\"/nonexistent\"}" >e &&
	test "$(cat code)" = 400 && grep -q "unable to change directory" e
'

test_expect_success 'failed starts leave no descriptor behind (20 of them)' '
	n0=$(ls /proc/$dpid/fd | wc -l) &&
	for i in $(seq 20); do
		req POST /terminals "{\"command\":[\"/nonexistent/prog\"]}" >e &&
		test "$(cat code)" = 400 || return 1
	done &&
	# (the connection of each request may take a moment to close)
	wait_for "test \$(ls /proc/$dpid/fd | wc -l) -eq $n0" 5 ||
	{ echo "descriptors: $n0 before, $(ls /proc/$dpid/fd | wc -l) after"; false; }
'

test_expect_success 'an exited session unseen is kept, then reaped by --idle-timeout' '
	ptyd_start idle --idle-timeout 1 &&
	id=$(new_session "{\"command\":\"exit 0\"}") &&
	wait_for "req GET /terminals/$id | grep -q \"\\\"exited\\\":true\"" &&
	wait_for "req GET /terminals/$id; test \$(cat code) = 404" 5
'

test_expect_success 'GET / serves the embedded page; ?token= sets the cookie' '
	req GET / >page && test "$(cat code)" = 200 &&
	cmp page "$HUSK_ROOT/web/index.html" &&
	curl -s -D hh -o /dev/null "$URL/" && tr -d "\r" <hh >h &&
	grep -qx "Content-Type: text/html; charset=utf-8" h &&
	grep -q "^Cache-Control: " h
'

# The binary holds its page gzip'd: a client that takes gzip gets those
# bytes, one that does not gets them decoded; each the file it was made
# from, byte for byte.
test_expect_success 'the page gzip'"'"'d to a client that takes it, plain to one that does not' '
	for f in index.html ptyd.js xterm.js xterm.css addon-fit.js; do
		src=$HUSK_ROOT/web/$f; test -e "$src" || src=$HUSK_ROOT/build/web/$f
		curl -s -D hz -H "Accept-Encoding: br, gzip" -o gz "$URL/$f" &&
		tr -d "\r" <hz >h && grep -qx "Content-Encoding: gzip" h &&
		grep -qx "Vary: Accept-Encoding" h &&
		gzip -dc <gz | cmp - "$src" &&
		curl -s -D hp -o plain "$URL/$f" && tr -d "\r" <hp >h &&
		! grep -qi "^Content-Encoding" h && grep -qx "Vary: Accept-Encoding" h &&
		cmp plain "$src" &&
		curl -s -D hq -H "Accept-Encoding: gzip;q=0, *" -o plain "$URL/$f" &&
		cmp plain "$src" || { echo "# $f"; return 1; }
	done &&
	test $(wc -c <gz) -lt $(wc -c <plain)
'

test_expect_success '--max-sessions: the next create is 503' '
	ptyd_start max --max-sessions 2 &&
	new_session "{\"command\":\"sleep 30\"}" >/dev/null &&
	new_session "{\"command\":\"sleep 30\"}" >/dev/null &&
	req POST /terminals "{}" >e && test "$(cat code)" = 503 &&
	grep -q "\"error\":" e
'

test_expect_success 'readiness on -R FIFO, PTYD_READY_PIPE and -N fd, after the bind' '
	mkfifo rf &&
	bg ptyd -u r1.sock -R rf 2>r1.log && read l <rf && test "$l" = READY && test -S r1.sock &&
	mkfifo rf2 &&
	PTYD_READY_PIPE=rf2 bg ptyd -u r2.sock 2>r2.log && read l <rf2 && test "$l" = READY && test -S r2.sock &&
	{ bg ptyd -u r3.sock -N 3 3>&1 2>r3.log | head -c 1 >nl; } && test -S r3.sock && printf "\n" | cmp - nl
'

test_expect_code 111 'readiness failure: FIFO path is a regular file, ptyd exits 111' '
	: >notfifo && ptyd -u r4.sock -R notfifo 2>r4.log
'

test_expect_success 'readiness failure is logged' '
	grep -q "ptyd: fatal: unable to signal readiness on notfifo" r4.log
'

test_expect_code 100 'a non-loopback address without --token is refused' '
	ptyd -l 0.0.0.0:0 2>nl.log
'

test_expect_success 'over a Unix socket, with attach' '
	bg ptyd -u u.sock 2>u.log && wait_for "test -S u.sock" &&
	test "$(stat -c %a u.sock)" = 600 &&
	id=$(curl -sS --unix-socket u.sock -H "Content-Type: application/json" -d "{\"command\":\"echo via-unix\"}" http://x/terminals | sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p") &&
	ptyd attach u.sock $id </dev/null >out && tr -d "\r" <out | grep -qx via-unix
'
test_done
