#!/bin/sh
# guest-agent against clients without the token, as an attacker on the
# guest's network would try it: big bodies and idle connections.  Bounds:
# the agent stays under 64 MiB resident (the guest has 256 MiB) and an
# authenticated client is always served.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

mkdir work
echo s3cret-s3cret >token
agent_start agent -k token -w "$PWD/work"

# rss: the agent's resident memory in KiB.
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$agent_pid/status; }

# flood.py ADDR N MIB: N connections at once, each a token-less POST
# /exec announcing MIB MiB and sending them; prints each status (0 when
# the connection was cut before an answer).
cat >flood.py <<'PY'
import socket, sys, threading
host, port = sys.argv[1].rsplit(":", 1)
n, mib = int(sys.argv[2]), int(sys.argv[3])
out = []
def one():
    s = socket.create_connection((host, int(port)))
    s.sendall(b"POST /exec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % (mib << 20))
    chunk = b"x" * 65536
    try:
        for _ in range(mib * 16):
            s.sendall(chunk)
    except OSError:
        pass
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    r = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            r += d
    except OSError:
        pass
    out.append(r.split(b" ")[1].decode() if r.startswith(b"HTTP/1.1 ") else "0")
ts = [threading.Thread(target=one) for _ in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(" ".join(sorted(out)))
PY

test_expect_success '20 token-less 16 MiB bodies: 401 on the head, the agent stays under 64 MiB' '
	python3 flood.py "$A" 20 16 >codes &
	f=$! && max=0 &&
	while kill -0 $f 2>/dev/null; do
		r=$(rss) && [ "$r" -gt "$max" ] && max=$r; sleep 0.05
	done &&
	wait $f && echo "codes: $(cat codes); max resident $max KiB" &&
	test "$(tr " " "\n" <codes | sort -u)" = 401 &&
	test $max -lt 65536
'

# idle.py ADDR N SECONDS: N connections that send nothing; prints "open"
# once all are up, holds them SECONDS.
cat >idle.py <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
ss = [socket.create_connection((host, int(port))) for _ in range(int(sys.argv[2]))]
print("open", flush=True)
time.sleep(float(sys.argv[3]))
PY
test_expect_success '64 idle connections do not keep an authenticated client out' '
	bg python3 idle.py "$A" 64 30 >idle.out &&
	wait_for "grep -q open idle.out" 10 &&
	guest-agent call -k token -n 1 "$A" exec echo served >got &&
	echo served >want && test_cmp want got
'
test_expect_success 'with the 64 idle ones still open, 20 token-less big bodies at once: served too' '
	python3 flood.py "$A" 20 16 >codes &
	f=$! &&
	guest-agent call -k token -n 1 "$A" exec echo served2 >got &&
	echo served2 >want && test_cmp want got && wait $f
'
test_done
