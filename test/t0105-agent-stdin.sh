#!/bin/sh
# guest-agent: a job's standard input streamed in chunks after the request
# (stdin_stream, call -I): bytes exact, EOF, backpressure both ways, bad
# chunking, a client that hangs up, and the memory it takes.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

mkdir work
printf 'sh 1 /bin/sh\n' >langs
agent_start agent -L langs -w "$PWD/work"

# hwm PID: the peak resident memory of PID in KiB.
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$1/status; }

test_expect_success 'seq 100000 | call -I exec wc -l: 100000, EOF delivered' '
	seq 100000 | guest-agent call -I -t 5000 "$A" exec wc -l >got &&
	echo 100000 >want && test_cmp want got
'
test_expect_success 'an empty stdin is an EOF at once' '
	guest-agent call -I -t 5000 "$A" exec wc -c </dev/null >got &&
	echo 0 >want && test_cmp want got
'
test_expect_success '64 MiB of random bytes arrive with the same sha256' '
	head -c 67108864 /dev/urandom >big &&
	sha256sum <big >want &&
	guest-agent call -I -t 20000 "$A" exec sha256sum <big >got &&
	test_cmp want got
'
# The job reads nothing for a while and then says how much its worker
# ever held: the client waits on TCP's window, the worker holds one
# buffer, whatever the input's size.  The bound, 4 MiB each for the
# worker and the agent, is 1/16 of what flows.
test_expect_success 'while 64 MiB flow to a slow job, worker and agent stay under 4 MiB' '
	guest-agent call -I -t 20000 "$A" exec sh -c \
	    "sleep 1; sha256sum; grep VmHWM /proc/\$PPID/status" <big >got &&
	head -n 1 got >sum && test_cmp want sum &&
	w=$(sed -n "s/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p" got) &&
	a=$(hwm $agent_pid) &&
	echo "worker $w KiB, agent $a KiB at most" &&
	test "$w" -lt 4096 && test "$a" -lt 4096
'
test_expect_success 'a job that writes 8 MiB before it reads: no deadlock' '
	guest-agent call -I -t 20000 -m 16777216 "$A" exec sh -c \
	    "head -c 8388608 /dev/zero; sha256sum" <big >got &&
	l=$(wc -c <want) &&
	test $(wc -c <got) = $((8388608 + l)) &&
	tail -c $l got >sum && test_cmp want sum &&
	head -c 8388608 got | tr -d "\\000" | wc -c >n &&
	echo 0 >zero && test_cmp zero n
'
test_expect_success 'a job that takes 1 byte of 64 MiB: its output and status' '
	guest-agent call -I -t 20000 "$A" exec sh -c "head -c 1; exit 7" \
	    <big >got; st=$? &&
	echo "status $st" && test $st = 7 && head -c 1 big >one &&
	test_cmp one got
'
test_expect_success 'a job that closes its stdin early and runs on: the rest is dropped' '
	guest-agent call -I -t 20000 "$A" exec sh -c \
	    "head -c 1 >/dev/null; exec 0<&-; sleep 0.2; echo done" \
	    <big >got &&
	echo done >want2 && test_cmp want2 got
'
test_expect_success 'run with -I: the code from a file, stdin streamed' '
	echo "wc -l" >code.sh &&
	seq 1000 | guest-agent call -I -t 5000 "$A" run sh code.sh >got &&
	echo 1000 >want2 && test_cmp want2 got
'
test_expect_code 100 '-I with run LANG -: a usage error' \
	'echo "wc -l" | guest-agent call -I "$A" run sh -' \
	'unable to use -I with code from standard input'
test_expect_code 100 '-i and -I together: a usage error' \
	'guest-agent call -i -I "$A" exec true </dev/null'
test_expect_code 100 '-I with health: a usage error' \
	'guest-agent call -I "$A" health'
test_expect_code 111 'a read error on stdin (a directory) is the client'"'"'s, 111' \
	'guest-agent call -I -t 5000 "$A" exec cat </' \
	'unable to read standard input: Is a directory'

test_expect_success 'stdin_stream without stream, with stdin, or not a boolean: 400' '
	for b in "{\"argv\":[\"true\"],\"stdin_stream\":true}" \
	    "{\"argv\":[\"true\"],\"stream\":true,\"stdin_stream\":true,\"stdin\":\"x\"}" \
	    "{\"argv\":[\"true\"],\"stream\":true,\"stdin_stream\":true,\"stdin_b64\":\"\"}" \
	    "{\"argv\":[\"true\"],\"stream\":true,\"stdin_stream\":1}"; do
		post /exec "$b" >got && cat got &&
		tail -n 1 got >code && echo 400 >want2 &&
		test_cmp want2 code || return 1
	done
'

# raw.py ADDR BODY EXTRA [FILE]: POST /exec with BODY, then the bytes
# EXTRA (Python escapes), at once or once FILE exists; prints the answer.
cat >raw.py <<'PY'
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
body = sys.argv[2].encode()
extra = sys.argv[3].encode().decode("unicode_escape").encode("latin1")
s = socket.create_connection((host, int(port)))
req = b"POST /exec HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
if len(sys.argv) > 4:
    s.sendall(req)
    for _ in range(500):
        if os.path.exists(sys.argv[4]) and os.path.getsize(sys.argv[4]):
            break
        time.sleep(0.02)
    req = b""
s.sendall(req + extra)
print(s.makefile("rb").read().decode(errors="replace"))
PY
test_expect_success 'chunks sent with the request, in one segment: handed to the worker' '
	python3 raw.py "$A" \
	    "{\"argv\":[\"wc\",\"-c\"],\"stream\":true,\"stdin_stream\":true}" \
	    "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n" >got && cat got &&
	grep -q "^{\"stdout\":\"7\\\\n\"}" got &&
	grep -q "^{\"exit_code\":0," got
'
test_expect_success 'bad chunking: the job group is killed, the record says why, the agent serves on' '
	rm -f work/jobpid &&
	python3 raw.py "$A" \
	    "{\"argv\":[\"sh\",\"-c\",\"echo \$\$ >jobpid; exec cat\"],\"stream\":true,\"stdin_stream\":true}" \
	    "3\r\nabcdef\r\n0\r\n\r\n" work/jobpid >got && cat got &&
	grep -q "^{\"exit_code\":null,\"signal\":[0-9]*,.*\"error\":\"the standard input is not valid chunked encoding\"}" got &&
	gone work/jobpid &&
	guest-agent call "$A" exec echo served >got &&
	echo served >want2 && test_cmp want2 got
'
test_expect_success 'the client killed mid-stream: the job group is gone' '
	rm -f work/jobpid work/bgpid &&
	{ yes | guest-agent call -I -t 20000 "$A" exec sh -c \
	    "echo \$\$ >jobpid; sleep 1000 & echo \$! >bgpid; cat >/dev/null" & } &&
	c=$! &&
	wait_for "test -s work/jobpid && test -s work/bgpid" 10 &&
	kill $c &&
	wait_for "gone work/jobpid && gone work/bgpid" 10
'
test_done
