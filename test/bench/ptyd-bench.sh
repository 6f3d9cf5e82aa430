#!/bin/bash
# ptyd-bench.sh: what ptyd costs.  A benchmark, not a test: it prints
# figures and exits 0.
#
#  throughput  `cat` of a 64 MiB text file on a PTY, read by ptyd and sent
#              to `ptyd attach` over a WebSocket (into /dev/null), against
#              the same `cat` on a plain PTY whose master is read straight
#              into /dev/null; best of 3 each, and the ratio.
#  echo RTT    one keystroke sent over the WebSocket to a session running
#              `cat` until its echo comes back; median and p90 of 300,
#              typed 20 ms apart (back to back, coalescing would hold each
#              echo for the --flush interval: that figure is printed too);
#              beside each, the same keystrokes on a bare PTY running the
#              same command (the kernel's echo alone) and ptyd's excess;
#              and through a minimal C relay between a TCP socket and
#              the PTY (the floor any such relay starts from).
#  idle RSS    ptyd's resident memory growth per idle session (`cat`
#              waiting), over 100 sessions, from /proc/PID/status.
# ttyd is not in Debian 12's archive (apt-cache policy ttyd: no
# candidate), so there is no ttyd column.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" bin/ptyd >/dev/null || exit 1
PATH=$root/bin:$PATH
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid; rm -rf "$tmp"' EXIT
cd "$tmp"
now() { echo "${EPOCHREALTIME/./}"; }   # microseconds
best() { sort -n | head -n 1; }

# 64 MiB of 79-character lines.
head -c 50000000 /dev/urandom | base64 -w 79 | head -c 67108864 >big
size=$(wc -c <big)

# The plain PTY: the same cat, its master read in 64 KiB pieces by a
# minimal C reader (the floor any PTY relay starts from).
cat >plain.c <<'C'
#define _GNU_SOURCE
#include <pty.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int m, s; static char b[65536]; struct termios t;
	if (openpty(&m, &s, NULL, NULL, NULL) < 0) return 111;
	tcgetattr(s, &t); cfmakeraw(&t); tcsetattr(s, TCSANOW, &t);
	pid_t p = fork();
	if (p == 0) { setsid(); dup2(s, 0); dup2(s, 1); dup2(s, 2); close(m); close(s);
		execlp("cat", "cat", argv[1], (char *)0); _exit(127); }
	close(s);
	while (read(m, b, sizeof b) > 0) ;
	waitpid(p, NULL, 0);
	return 0;
}
C
musl-gcc -O2 -static -o plain plain.c || exit 1
for i in 1 2 3; do
	s=$(now); ./plain big; e=$(now); echo $((e - s))
done | best >plain.us

ptyd -l 127.0.0.1:0 --max-sessions 200 2>log & pid=$!
for i in $(seq 50); do grep -q listening log && break; sleep 0.1; done
url=http://$(sed -n 's|.*listening on http://||p' log)
newid() { curl -s -H 'Content-Type: application/json' -d "$1" $url/terminals | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p'; }
for i in 1 2 3; do
	id=$(newid '{"command":"stty raw -echo; read -r x; exec cat '"$tmp"'/big"}')
	s=$(now); echo go | ptyd attach $url $id >/dev/null; e=$(now); echo $((e - s))
done | best >ptyd.us
p=$(cat plain.us) d=$(cat ptyd.us)
awk -v p="$p" -v d="$d" -v n="$size" 'BEGIN {
	m = n / 1048576
	printf "plain pty  %d MiB  %7.3f s  %7.0f MiB/s\n", m, p / 1e6, m / (p / 1e6)
	printf "ptyd ws    %d MiB  %7.3f s  %7.0f MiB/s  ptyd/plain time %.2fx\n",
	    m, d / 1e6, m / (d / 1e6), d / p }'

cat >rtt.py <<'PY'
import os, socket, struct, sys, time, base64
host, port = sys.argv[1].rsplit(":", 1); sid = sys.argv[2]
s = socket.create_connection((host, int(port)))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /terminals/%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
    % (sid, sys.argv[1], key)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    b = s.recv(4096)
    if not b: raise SystemExit("rtt.py: the server closed the connection")
    buf += b
if not buf.startswith(b"HTTP/1.1 101"):
    raise SystemExit("rtt.py: no upgrade: " + buf.split(b"\r\n")[0].decode())
buf = buf.split(b"\r\n\r\n", 1)[1]
def frames():
    global buf
    while True:
        while len(buf) >= 2 and len(buf) >= 2 + (buf[1] & 0x7f):
            n = buf[1] & 0x7f
            if n >= 126: raise SystemExit("unexpected big frame")
            d, buf = buf[2:2 + n], buf[2 + n:]
            yield d
        b = s.recv(65536)
        if not b: raise SystemExit("rtt.py: the server closed the connection")
        buf += b
f = frames()
time.sleep(0.3)
gap = float(sys.argv[3])
samples = []
for i in range(300):
    time.sleep(gap)
    k = os.urandom(4); c = b"abcdefghij"[i % 10:i % 10 + 1]
    t = time.perf_counter()
    s.sendall(bytes([0x82, 0x81]) + k + bytes([c[0] ^ k[0]]))
    while c not in next(f): pass
    samples.append(time.perf_counter() - t)
samples.sort()
print("echo RTT   median %.3f ms  p90 %.3f ms  (300 keystrokes, %d ms apart)" %
      (samples[150] * 1e3, samples[270] * 1e3, gap * 1000))
PY
# The same keystrokes on a bare PTY (the kernel's echo, no ptyd): the
# yardstick issue 18's goals are set against (median at most bare + 40 us
# 20 ms apart, bare + 100 us back to back).
cat >keys.py <<'PY'
import os, pty, socket, sys, time
gap = float(sys.argv[1])
if len(sys.argv) > 2:
    # Through the floor relay (below) listening on this port.
    s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send, recv = s.sendall, lambda: s.recv(4096)
else:
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", "stty raw; exec cat >/dev/null"])
    send, recv = lambda c: os.write(fd, c), lambda: os.read(fd, 4096)
time.sleep(0.3)
samples = []
for i in range(300):
    time.sleep(gap)
    c = b"abcdefghij"[i % 10:i % 10 + 1]
    t = time.perf_counter()
    send(c)
    while c not in recv(): pass
    samples.append(time.perf_counter() - t)
samples.sort()
print("%.3f %.3f" % (samples[150] * 1e3, samples[270] * 1e3))
if len(sys.argv) == 2:
    os.kill(pid, 9)
PY
# The floor of any relay between a TCP client and a PTY: a minimal C
# program (one poll loop, no WebSocket, no framing) between the same
# keystrokes and the same command; ptyd's excess over it is what ptyd's
# own work costs, the rest is the two extra process hops.
cat >floor.c <<'C'
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
	int m, s, one = 1, l, c; char b[4096]; socklen_t al;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	if (openpty(&m, &s, NULL, NULL, NULL) < 0) return 111;
	if (fork() == 0) { setsid(); dup2(s, 0); dup2(s, 1); dup2(s, 2); close(m); close(s);
		execlp("sh", "sh", "-c", "stty raw; exec cat >/dev/null", (char *)0); _exit(127); }
	close(s);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(l, (void *)&a, sizeof a) < 0 || listen(l, 1) < 0) return 111;
	al = sizeof a; getsockname(l, (void *)&a, &al);
	printf("%d\n", ntohs(a.sin_port)); fflush(stdout);
	if ((c = accept(l, NULL, NULL)) < 0) return 111;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct pollfd p[2] = { { c, POLLIN, 0 }, { m, POLLIN, 0 } };
	for (;;) {
		ssize_t n;
		if (poll(p, 2, -1) < 0) return 1;
		if (p[0].revents) { if ((n = read(c, b, sizeof b)) <= 0) return 0; write(m, b, n); }
		if (p[1].revents) { if ((n = read(m, b, sizeof b)) <= 0) return 0; write(c, b, n); }
	}
}
C
musl-gcc -O2 -static -o floor floor.c || exit 1
for gap in 0.02 0; do
	./floor >floor.port & fpid=$!
	for i in $(seq 50); do [ -s floor.port ] && break; sleep 0.1; done
	f=$(python3 keys.py $gap "$(cat floor.port)")
	kill $fpid 2>/dev/null; wait $fpid 2>/dev/null; rm -f floor.port
	b=$(python3 keys.py $gap)
	id=$(newid '{"command":"stty raw; exec cat >/dev/null"}')
	r=$(python3 rtt.py "${url#http://}" $id $gap)
	echo "$r"
	echo "$b $r" | awk -v g="$gap" '{ printf "bare pty   median %.3f ms  p90 %.3f ms  (%d ms apart); ptyd - bare: %+.0f us\n", $1, $2, g * 1000, ($6 - $1) * 1000 }'
	echo "$f $r" | awk -v g="$gap" '{ printf "floor      median %.3f ms  p90 %.3f ms  (%d ms apart; a minimal C TCP-to-PTY relay); ptyd - floor: %+.0f us\n", $1, $2, g * 1000, ($6 - $1) * 1000 }'
done

rss() { awk '/^VmRSS/ { print $2 }' /proc/$pid/status; }
id=$(newid '{"command":"exec cat"}')
sleep 0.3
r0=$(rss)
for i in $(seq 100); do newid '{"command":"exec cat"}' >/dev/null; done
sleep 0.5
r1=$(rss)
awk -v a="$r0" -v b="$r1" 'BEGIN { printf "idle RSS   %.1f KiB per session (ptyd %d KiB with 101 sessions)\n", (b - a) / 100, b }'
