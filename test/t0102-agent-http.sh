#!/bin/sh
# guest-agent over HTTP: tokens, malformed requests, idle CPU, shutdown.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

mkdir work
echo s3cret >token
echo wrong >badtoken
agent_start agent -k token -w "$PWD/work"

# vmrun's side of a vsock socket at v.sock, to the agent (as husk's VMs
# have it): "CONNECT P" read, "OK" answered, then the stream.
cat >relay.sh <<EOF
#!/bin/sh
T=TCP:\$1 exec socat UNIX-LISTEN:v.sock,fork SYSTEM:'read l; echo OK 1; exec socat - "\$T"'
EOF
chmod +x relay.sh

test_expect_success 'health needs no token' '
	guest-agent call "$A" health | grep -q "\"status\":\"ok\""
'
test_expect_success 'a wrong (even of the right length) or missing token gets 401' '
	post /exec "{\"argv\":[\"true\"]}" -H "Authorization: Bearer wrong" >got &&
	tail -n 1 got >code && echo 401 >want && test_cmp want code &&
	post /exec "{\"argv\":[\"true\"]}" >got &&
	tail -n 1 got >code && test_cmp want code &&
	post /exec "{\"argv\":[\"true\"]}" -H "Authorization: Bearer s3cre" >got &&
	tail -n 1 got >code && test_cmp want code &&
	post /exec "{\"argv\":[\"true\"]}" -H "Authorization: Bearer s3creT" >got &&
	tail -n 1 got >code && test_cmp want code &&
	{ guest-agent call -k badtoken "$A" exec true 2>err; test $? = 100; } &&
	grep -q "401 Unauthorized" err &&
	{ guest-agent call "$A" shutdown 2>err; test $? = 100; }
'
test_expect_code 0 'the right token works' 'guest-agent call -k token "$A" exec true'

# Raw requests: the first line of each answer.
cat >raw.py <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
def post(body):
    return (b"POST /exec HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
reqs = [
    b"\x00\x01\x02 garbage\r\n\r\n",
    b"GET /health HTTP/9.9\r\n\r\n",
    b"GET /health\r\n\r\n",
    b"GET  /health HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.1\r\nBad Header: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\n folded: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\n" + b"X-A: b\r\n" * 40 + b"\r\n",
    b"GET /health HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
    b"POST /exec HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
    b"POST /exec HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"POST /exec HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    post(b"{bad}"),
    post(b"{\"argv\":[1,2]}\n"),
    post(b"[" * 40 + b"]" * 40),
    post(b"{\"argv\":[\"x\"],}"),
    post(b"{\"argv\":[\"x\"],\"bogus\":1}"),
    post(b"{\"argv\":[\"true\"],\"timeout_ms\":86400001}"),
    post(b"{\"argv\":[\"true\"],\"max_output\":67108865}"),
    b"GET /nowhere HTTP/1.1\r\n\r\n",
    b"GET /exec HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n",
    b"GET /health HTTP/1.0\n\n",
]
for r in reqs:
    s = socket.create_connection((host, int(port)))
    s.sendall(r)
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    print(data.split(b"\r\n")[0].decode())
PY
cat >want.raw <<'EOF2'
HTTP/1.1 400 Bad Request
HTTP/1.1 505 HTTP Version Not Supported
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 431 Request Header Fields Too Large
HTTP/1.1 431 Request Header Fields Too Large
HTTP/1.1 413 Content Too Large
HTTP/1.1 400 Bad Request
HTTP/1.1 501 Not Implemented
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 400 Bad Request
HTTP/1.1 404 Not Found
HTTP/1.1 405 Method Not Allowed
HTTP/1.1 200 OK
EOF2
test_expect_success 'malformed HTTP and JSON get 4xx, one answer each' '
	python3 raw.py "$A" >got.raw &&
	test_cmp want.raw got.raw
'
test_expect_success 'and the agent keeps serving' '
	guest-agent call -k token "$A" exec echo alive >got &&
	echo alive >want && test_cmp want got
'
test_expect_success 'a client that sends nothing is dropped, others served' '
	python3 -c "
import socket, sys, time
h, p = sys.argv[1].rsplit(\":\", 1)
idle = [socket.create_connection((h, int(p))) for i in range(10)]
time.sleep(0.2)
" "$A" &&
	guest-agent call -k token "$A" exec true
'

stat_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/$1/stat
}
test_expect_success 'an idle agent uses no CPU' '
	sleep 0.5 &&
	t0=$(stat_ticks $agent_pid) && sleep 3 && t1=$(stat_ticks $agent_pid) &&
	echo "ticks: $t0 -> $t1" &&
	test $((t1 - t0)) -le 1
'

test_expect_success '-K takes the token from a kernel command line' '
	echo "console=ttyS0 husk.ip=10.0.0.2/24 husk.token=fromcmdline quiet" >cmdline &&
	bg guest-agent -l 127.0.0.1:0 -K cmdline -w "$PWD/work" 2>k.log; p3=$!
	wait_for "grep -q listening k.log" 5 && A3=$(sed -n "s/.*listening on //p" k.log) &&
	echo fromcmdline >t3 &&
	guest-agent call -k t3 "$A3" exec true &&
	{ guest-agent call -k token "$A3" exec true 2>/dev/null; test $? = 100; } &&
	kill $p3 && wait $p3
'
test_expect_code 100 '-K without husk.token= refuses to start' '
	echo "console=ttyS0" >nocmd && guest-agent -l 127.0.0.1:0 -K nocmd
'
test_expect_code 100 '-k and -K together is a usage error' '
	guest-agent -k token -K cmdline
'

test_expect_success 'shutdown answers, stops running jobs, and the agent exits 0' '
	bg guest-agent -l 127.0.0.1:0 -w "$PWD/work" 2>s.log; p4=$!
	wait_for "grep -q listening s.log" 5
	A4=$(sed -n "s/.*listening on //p" s.log)
	guest-agent call "$A4" exec sh -c "echo \$\$ >$PWD/jobpid; exec sleep 100" >/dev/null &
	wait_for "test -s jobpid" 5 &&
	guest-agent call "$A4" shutdown >got &&
	echo "{\"status\":\"stopping\"}" >want && test_cmp want got &&
	wait $p4 && gone jobpid
'
test_expect_success 'call -w waits for an agent still starting (no socket yet), silently' '
	rm -f v.sock &&
	{ guest-agent call -w 10000 -n 1 "vsock:$PWD/v.sock:52" health >got 2>err & } &&
	c=$! &&
	{ bg sh -c "sleep 0.3; exec ./relay.sh $A"; } &&
	wait $c && grep -q "\"status\":\"ok\"" got &&
	! grep -q "unable to connect" err
'
test_expect_success 'call -w with nothing there: gives up after wait_ms, 111, saying so' '
	s=$(date +%s%N) &&
	{ guest-agent call -w 300 -n 1 "vsock:$PWD/none.sock:52" health 2>err; st=$?; } &&
	e=$(( ($(date +%s%N) - s) / 1000000 )) && echo "$e ms" && cat err &&
	test $st = 111 && test $e -ge 300 && test $e -lt 3000 &&
	grep -q "unable to connect to vsock:$PWD/none.sock:52" err
'
test_expect_code 100 'call -w 0: a usage error' 'guest-agent call -w 0 "$A" health'
# The agent holds no DNS resolver (its size): a host name is refused.
test_expect_code 111 'a host name to listen on: refused, not resolved' \
	'guest-agent -l localhost:0' \
	'^guest-agent: fatal: unable to listen on localhost:0: Not supported$'
test_expect_code 111 'a host name to call: refused, not resolved' \
	'guest-agent call -n 1 localhost:1 health' \
	'unable to connect to localhost:1: Not supported$'
test_done
