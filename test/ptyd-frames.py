#!/usr/bin/env python3
"""ptyd-frames.py ADDR ID MODE: how ptyd frames a session's output.

  echo N   send N keystrokes, each once the echo of the one before came
           back; print the seconds all N took
  count S  send one keystroke ("go"), then count the binary frames that
           arrive within S seconds; print the count and the bytes
  gap N    N rounds of: send a line, see (in the socket's receive queue,
           without reading it, so no read hurries our ACK) the first
           3-byte frame of the answer come, then time the second; print
           the median of the last N/2 rounds in ms (the first rounds,
           in TCP's quick-ACK start, are not counted)
"""
import base64, fcntl, os, socket, struct, sys, termios, time

addr, sid, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
host, port = addr.rsplit(":", 1)
s = socket.create_connection((host, int(port)))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /terminals/%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n" % (sid, addr, key)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    b = s.recv(4096)
    if not b:
        sys.exit("ptyd-frames.py: closed during the handshake")
    buf += b
if not buf.startswith(b"HTTP/1.1 101"):
    sys.exit("ptyd-frames.py: " + buf.split(b"\r\n")[0].decode())
buf = buf.split(b"\r\n\r\n", 1)[1]

def frame():
    """The next frame (opcode, payload); None at EOF."""
    global buf
    while True:
        if len(buf) >= 2:
            n, h = buf[1] & 0x7f, 2
            if n == 126:
                n, h = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                n, h = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) >= h + n:
                f = (buf[0] & 0x0f, buf[h:h + n])
                buf = buf[h + n:]
                return f
        b = s.recv(65536)
        if not b:
            return None
        buf += b

def send(data):
    k = os.urandom(4)
    s.sendall(bytes([0x82, 0x80 | len(data)]) + k +
        bytes(c ^ k[i & 3] for i, c in enumerate(data)))

if mode == "echo":
    t0 = time.monotonic()
    for i in range(int(arg)):
        c = b"abcdefghij"[i % 10:i % 10 + 1]
        send(c)
        while True:
            f = frame()
            if f is None:
                sys.exit("ptyd-frames.py: closed")
            if f[0] == 2 and c in f[1]:
                break
    print("%.3f" % (time.monotonic() - t0))
elif mode == "gap":
    def queued():
        return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]
    def until(n, end):
        while queued() < n and time.monotonic() < end:
            time.sleep(0.0002)
    gaps = []
    for i in range(int(arg)):
        send(b"x\n")
        end = time.monotonic() + 5
        until(3, end)
        t0 = time.monotonic()
        until(6, end)
        gaps.append(time.monotonic() - t0)
        got = b""
        while b"b" not in got:
            f = frame()
            if f is None:
                sys.exit("ptyd-frames.py: closed")
            got += f[1]
        time.sleep(0.02)
    late = sorted(gaps[len(gaps) // 2:])
    print("%.1f" % (late[len(late) // 2] * 1000))
else:
    send(b"go\r")
    s.settimeout(0.2)
    end = time.monotonic() + float(arg)
    frames = total = 0
    while time.monotonic() < end:
        try:
            f = frame()
        except socket.timeout:
            continue
        if f is None:
            break
        if f[0] == 2:
            frames += 1
            total += len(f[1])
    print(frames, total)
