#!/bin/sh
# ptyd under floods, as a local attacker would send them.  Bounds: ptyd
# stays under 64 MiB resident; a client that makes ptyd queue replies it
# never reads is closed (1008); input is taken only as fast as the
# session reads it, over plain HTTP and TLS alike; running out of
# descriptors costs no busy loop and one log line a second at most; and
# /health answers within 1 s while 1,000 half-sent requests are open.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"
J='Content-Type: application/json'

# rss PID: resident KiB.
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$1/status; }
# cpu PID: user+system ticks so far.
cpu() { set -- $(sed 's/^.*) //' /proc/$1/stat); echo $(( ${12} + ${13} )); }
pid_of() { sed -n 1p .bg_pids 2>/dev/null; }

# flood.py: a WebSocket client that sends and never reads.
#   flood.py ADDR ID MODE MB [--cafile F]: MODE is binary (input frames),
#   ping or badtext (each asks a reply of ptyd); sends MB MiB in frames
#   for at most 20 s, then prints "sent N" and how the connection ended,
#   and holds the connection open for HOLD seconds.
cat >flood.py <<'PY'
import os, socket, ssl, struct, sys, time, base64
addr, sid, mode, mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ca = sys.argv[6] if len(sys.argv) > 6 else None
h, p = addr.rsplit(":", 1)
s = socket.create_connection((h, int(p)))
if ca:
    s = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname=h)
s.sendall(("GET /terminals/%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % (sid, addr, base64.b64encode(os.urandom(16)).decode())).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
assert b" 101 " in head, head
def frame(op, data):
    n = len(data)
    hd = bytes([0x80 | op])
    if n < 126: hd += bytes([0x80 | n])
    elif n < 65536: hd += bytes([0x80 | 126]) + struct.pack(">H", n)
    else: hd += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return hd + b"\0\0\0\0" + data    # mask 0: the payload as is
if mode == "binary": f = frame(2, b"x" * 65000)
elif mode == "ping": f = frame(9, b"p" * 125) * 500
else: f = frame(1, b"{") * 10000      # invalid JSON: an error reply each
s.settimeout(20)
sent, end, how = 0, time.time() + 20, "open"
try:
    while sent < (mb << 20) and time.time() < end:
        s.sendall(f)
        sent += len(f)
except socket.timeout:
    how = "stalled"
except OSError as e:
    how = "cut"
print("sent", sent >> 20, how, flush=True)
time.sleep(float(os.environ.get("HOLD", "0")))
PY

# flood_rss PID OUT ARGS...: flood.py ARGS in the background, holding its
# connection; once it has sent, prints ptyd's resident KiB and ends it.
flood_rss() {
	fp=$1 fo=$2; shift 2
	HOLD=30 python3 flood.py "$@" >$fo &
	fl=$!; wait_for "grep -q sent $fo" 40 &&
	r=$(rss $fp) && kill $fl && wait $fl 2>/dev/null
	echo "$(cat $fo); ptyd resident: $r KiB"
	test "$r" -lt 65536
}
# A session whose terminal takes no input: raw mode, nobody reads.
NOREAD="{\"command\":\"stty raw -echo; sleep 300\"}"

test_expect_success 'never-read pings and bad text frames: ptyd under 64 MiB, the client closed (1008)' '
	ptyd_start p -v && P=$(pid_of) &&
	id=$(new_session "{\"command\":\"sleep 300\"}") &&
	flood_rss $P ping.out $ADDR $id ping 100 &&
	flood_rss $P text.out $ADDR $id badtext 100 &&
	test $(grep -c "replies unread: close 1008" p.log) = 2
'
test_expect_success 'input to a session that does not read it: ptyd takes no more (plain HTTP)' '
	id=$(new_session "$NOREAD") &&
	flood_rss $P bin.out $ADDR $id binary 150 && grep -q " stalled$" bin.out
'
test_expect_success 'the same over TLS: no more taken, under 64 MiB' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout k.pem -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	    -days 2 -out c.pem 2>/dev/null &&
	ptyd_start t --cert c.pem --key k.pem && T=$(sed -n 2p .bg_pids) &&
	id=$(curl -sS --cacert c.pem -H "$J" -d "$NOREAD" https://$ADDR/terminals |
	    sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p") &&
	flood_rss $T tls.out $ADDR $id binary 150 --cafile c.pem && grep -q " stalled$" tls.out
'

# Descriptors run out: 80 connections to a ptyd limited to 64.
test_expect_success 'out of descriptors: no busy loop, at most a log line a second' '
	{ (ulimit -n 64; exec ptyd -l 127.0.0.1:0 2>emfile.log) & } &&
	E=$! && echo $E >>.bg_pids &&
	wait_for "grep -q listening emfile.log" &&
	A=$(sed -n "s|.*listening on http://||p" emfile.log) &&
	{ python3 -c "
import socket, sys, time
h, p = sys.argv[1].rsplit(\":\", 1)
ss = [socket.create_connection((h, int(p))) for _ in range(80)]
print(\"open\", flush=True); time.sleep(6)" $A >conns.out & } &&
	c=$! && wait_for "grep -q open conns.out" &&
	c0=$(cpu $E) && t0=$(date +%s%N) && sleep 3 &&
	c1=$(cpu $E) && t1=$(date +%s%N) && wait $c &&
	lines=$(wc -l <emfile.log) &&
	echo "ptyd used $((c1 - c0)) ticks in 3 s, logged $lines lines" &&
	test $((c1 - c0)) -lt 30 && test $lines -lt 12
'
test_expect_success 'the soft descriptor limit is raised to the hard one at start' '
	{ (ulimit -Sn 64; exec ptyd -l 127.0.0.1:0 2>lim.log) & } &&
	L=$! && echo $L >>.bg_pids &&
	wait_for "grep -q listening lim.log" &&
	grep "^Max open files" /proc/$L/limits >lim &&
	set -- $(cat lim) && cat lim && test "$4" = "$5"
'

test_expect_success '1,000 half-sent requests: /health answers within 1 s' '
	ptyd_start h &&
	{ python3 -c "
import socket, sys, time
h, p = sys.argv[1].rsplit(\":\", 1)
ss = []
for _ in range(1000):
    s = socket.create_connection((h, int(p)))
    s.sendall(b\"GET /health HTTP/1.1\r\nHost: x\r\n\")
    ss.append(s)
print(\"open\", flush=True); time.sleep(15)" $ADDR >half.out & } &&
	h=$! && echo $h >>.bg_pids && wait_for "grep -q open half.out" 30 &&
	t0=$(date +%s%N) &&
	curl -sS -m 5 http://$ADDR/health >got && t1=$(date +%s%N) &&
	ms=$(( (t1 - t0) / 1000000 )) && echo "/health in $ms ms" &&
	grep -q ok got && test $ms -lt 1000
'
test_done
