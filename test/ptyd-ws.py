#!/usr/bin/env python3
"""ptyd-ws.py: a WebSocket client for ptyd's tests, free to break the rules.

  ptyd-ws.py [options] ADDR ID
ADDR is host:port or a Unix socket path.  After the handshake it sends the
frames asked for, then prints binary payloads to stdout and, on stderr, each
text frame and finally "close CODE" (or "eof" when the server just hung up).
Options:
  --origin O --token T --cafile F (TLS, verified against F)
  --host H       the Host header to send (default ADDR, or localhost)
  --query Q      ask for /terminals/ID?Q (input=text: text frames are input)
  --status       print only the HTTP status of the handshake reply and exit
  --send HEX     a raw frame, sent as is (repeatable)
  --text S       a masked text frame; --binary S a masked binary frame
  --unmasked S   an unmasked binary frame (a violation from a client)
  --big N        a masked binary frame header announcing N bytes, then N bytes
  --for SEC      stop after SEC seconds (exit 3); 300 unless given
  --pause SEC    read nothing for SEC seconds after the handshake
  --until S      exit 0 once the output holds S
  --until-event S  exit 0 once a text frame holds S
  --after S      send the frames only once the output holds S (a shell's
                 stty -echo done: input sent before it would be echoed)
"""
import argparse, base64, os, socket, ssl, struct, sys, time

def frame(op, data, mask=True):
    h = bytes([0x80 | op])
    n = len(data)
    m = 0x80 if mask else 0
    if n < 126:
        h += bytes([m | n])
    elif n < 65536:
        h += bytes([m | 126]) + struct.pack(">H", n)
    else:
        h += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return h + data
    k = os.urandom(4)
    return h + k + bytes(b ^ k[i & 3] for i, b in enumerate(data))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr"); ap.add_argument("id")
    ap.add_argument("--origin"); ap.add_argument("--token"); ap.add_argument("--cafile")
    ap.add_argument("--host")
    ap.add_argument("--query")
    ap.add_argument("--status", action="store_true")
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("--text", action="append", default=[])
    ap.add_argument("--binary", action="append", default=[])
    ap.add_argument("--unmasked")
    ap.add_argument("--big", type=int)
    # A bound for every client: a hang fails the test instead of the run.
    ap.add_argument("--for", dest="secs", type=float, default=300)
    ap.add_argument("--pause", type=float)
    ap.add_argument("--slow", type=float)   # seconds between reads of 16 KiB
    ap.add_argument("--until")
    ap.add_argument("--until-event")
    ap.add_argument("--after")
    a = ap.parse_args()
    if "/" in a.addr:
        s = socket.socket(socket.AF_UNIX); s.connect(a.addr); host = "localhost"
    else:
        h, p = a.addr.rsplit(":", 1)
        s = socket.create_connection((h, int(p))); host = a.addr
    s.settimeout(a.secs)   # the handshake too
    if a.cafile:
        ctx = ssl.create_default_context(cafile=a.cafile)
        s = ctx.wrap_socket(s, server_hostname=host.rsplit(":", 1)[0])
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET /terminals/%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           % (a.id + ("?" + a.query if a.query else ""), a.host or host, key))
    if a.origin: req += "Origin: %s\r\n" % a.origin
    if a.token: req += "Authorization: Bearer %s\r\n" % a.token
    s.sendall((req + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d: break
        buf += d
    head, _, buf = buf.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head else 0
    if a.status or status != 101:
        print(status)
        sys.exit(0 if a.status else 2)
    out = sys.stdout.buffer
    def send_all():
        for x in a.send: s.sendall(bytes.fromhex(x))
        for x in a.text: s.sendall(frame(1, x.encode()))
        for x in a.binary: s.sendall(frame(2, x.encode().decode("unicode_escape").encode("latin-1")))
        if a.unmasked is not None: s.sendall(frame(2, a.unmasked.encode(), mask=False))
        if a.big is not None:
            s.sendall(frame(2, b"x" * a.big))
    if not a.after: send_all()
    seen = b""
    if a.pause: time.sleep(a.pause)
    if a.secs: s.settimeout(a.secs); deadline = time.time() + a.secs
    while True:
        while len(buf) >= 2:
            n = buf[1] & 0x7f; hl = 2
            if n == 126: n, hl = struct.unpack(">H", buf[2:4])[0], 4
            elif n == 127: n, hl = struct.unpack(">Q", buf[2:10])[0], 10
            if len(buf) < hl + n: break
            op, data, buf = buf[0] & 0x0f, buf[hl:hl + n], buf[hl + n:]
            if op == 2:
                out.write(data); out.flush()
                if a.until or a.after:
                    seen = (seen + data)[-65536:]
                if a.until and a.until.encode() in seen: sys.exit(0)
                if a.after and a.after.encode() in seen:
                    a.after = None; send_all()
            elif op == 1:
                sys.stderr.write(data.decode() + "\n"); sys.stderr.flush()
                if a.until_event and a.until_event in data.decode(): sys.exit(0)
            elif op == 8:
                code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else 1005
                sys.stderr.write("close %d\n" % code)
                try: s.sendall(frame(8, data[:2]))
                except OSError: pass
                sys.exit(0)
        try:
            if a.secs and time.time() > deadline: sys.exit(3)
            if a.slow: time.sleep(a.slow)
            d = s.recv(16384 if a.slow else 65536)
        except socket.timeout:
            sys.exit(3)
        except (ConnectionResetError, ssl.SSLError):
            d = b""
        if not d:
            sys.stderr.write("eof\n"); sys.exit(0)
        buf += d

main()
