#!/bin/sh
# husk run as a CI step, in real microVMs: a workspace in (-C, -x), files
# out (-o), standard input streamed; what a guest may put in an -o copy
# is held to DEST and to the bound.  Nothing may be left.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

# manifest DIR: every entry's mode, type and name, every link's target,
# every file's sha256 (busybox on both sides: the same format).
cat >manifest.sh <<'EOF'
cd "${1:-/job}" || exit 1
find . ! -name . | sort | xargs stat -c '%a %F %n'
find . -type l | sort | while read -r l; do echo "$l -> $(readlink "$l")"; done
find . -type f | sort | xargs sha256sum
EOF

# A tree of 5,000 files of 10,000 bytes (50 MB) in 50 folders, with
# mixed modes, links inside (to a file, to a folder), one link pointing
# out of it, an empty folder, and a .git to leave out.
test_expect_success 'a tree of 5,000 files, 50 MB' '
	t=$(now) && "$HUSK_ROOT/build/vm/mktree" tree 50 100 10000 &&
	chmod 700 tree/d7 && mkdir tree/empty &&
	ln -s ../d1/f00 tree/d0/to-file && ln -s d2 tree/to-dir &&
	ln -s /etc/passwd tree/out-link &&
	mkdir -p tree/.git/objects && echo ref >tree/.git/HEAD &&
	test $(find tree -type f | wc -l) = 5001 &&
	note "making the tree: $(since $t) s"
'
test_expect_success 'husk run -C tree -x .git: the same tree at /job, .git left out' '
	t=$(now) &&
	HUSK_VERBOSE=1 husk run -C tree -x .git -f manifest.sh >got 2>err; st=$?;
	note "husk run -C (50 MB, 5,000 files) manifest: $(since $t) s, $(grep -o "memory raised to [0-9]* MiB" err)" &&
	test $st = 0 && (mv tree/.git git.aside && sh manifest.sh tree >want; r=$?; mv git.aside tree/.git; exit $r) &&
	test_cmp want got && grep -q "^777 symbolic link ./to-dir$" got &&
	grep -q "^./out-link -> /etc/passwd$" got && clean
'
test_expect_success 'husk run -- sh -c pwd runs in /job with -C, in /tmp without' '
	husk run -C tree/empty -- pwd >out && echo /job >want && test_cmp want out &&
	husk run -- pwd >out && echo /tmp >want && test_cmp want out && clean
'
test_expect_success 'a workspace past HUSK_WORKSPACE_MAX: exit 100, nothing left' '
	{ HUSK_WORKSPACE_MAX=1000000 husk run -C tree -- true 2>err; st=$?; } &&
	cat err && test $st = 100 &&
	grep -q "^husk: fatal: unable to copy the workspace tree into the job" err && clean
'
test_expect_success 'husk run -o: a folder of 100 files comes back byte for byte' '
	mkdir back &&
	husk run -C tree -o d3:back -- true &&
	sh manifest.sh tree/d3 >want && sh manifest.sh back/d3 >got && test_cmp want got &&
	husk run -C tree -o d3:back -- sh -c "echo changed >d3/f00" &&
	echo changed >want && test_cmp want back/d3/f00 &&
	test "$(ls -A back)" = d3 && clean
'
# make of a small C project in the job (the c image: tcc as cc, make),
# its program copied out; the job prints the sha256 the guest sees.
test_expect_success 'make of a C project inside the job: the program copied out byte-exact' '
	test -f "$HUSK_IMAGES/c/current.cpio.gz" &&
	mkdir proj art &&
	printf "hello: hello.c util.c\n\t\$(CC) -o hello hello.c util.c -lm\n" >proj/Makefile &&
	printf "#include <math.h>\n#include <stdio.h>\nint twice(int);\nint main(void) { printf(\"%%d %%.1f\\\\n\", twice(21), sqrt(2.0)); return 0; }\n" >proj/hello.c &&
	echo "int twice(int x) { return 2 * x; }" >proj/util.c &&
	husk run -l c -C proj -o hello:art -- sh -c "make >&2 && ./hello && sha256sum hello" >out 2>err &&
	cat err && head -n 1 out >got && echo "42 1.4" >want && test_cmp want got &&
	sed -n "2s/ .*//p" out >want && sha256sum <art/hello | cut -d" " -f1 >got &&
	test_cmp want got && test -x art/hello && clean
'
test_expect_success 'seq 100000 | husk run -- wc -l prints 100000' '
	seq 100000 | husk run -- wc -l >out && echo 100000 >want &&
	tr -d " " <out >got && test_cmp want got && clean
'
test_expect_success '64 MiB through standard input: the same sha256' '
	head -c $((64 << 20)) /dev/urandom >in64 &&
	t=$(now) && husk run -t 600 -- sha256sum <in64 >out &&
	note "64 MiB through husk run stdin: $(since $t) s" &&
	sha256sum <in64 | cut -d" " -f1 >want && cut -d" " -f1 out >got &&
	test_cmp want got && rm in64 && clean
'
test_expect_success 'a job that reads no input ends, with its status, however much waits' '
	{ head -c $((8 << 20)) /dev/zero | husk run -c "exit 7"; st=$?; } &&
	test $st = 7 && clean
'
# What the guest may do to an -o copy: a link out of it, a file past the
# bound.  The copy fails (113: the job itself exited 0), nothing lands in
# DEST, nothing outside it.
test_expect_success 'a guest link to /etc in an -o folder: copy refused, 113, DEST untouched' '
	mkdir hostile &&
	{ husk run -o d:hostile -- sh -c "mkdir d && ln -s /etc d/etc && echo x >d/f" 2>err; st=$?; } &&
	cat err && test $st = 113 && grep -q "unable to copy /tmp/d out of the job" err &&
	test "$(ls -A hostile)" = "" && clean
'
test_expect_success 'a 1 GiB -o file past HUSK_OUTPUT_MAX: copy refused, 113, nothing written' '
	{ HUSK_OUTPUT_MAX=16777216 husk run -o big:hostile -- sh -c "truncate -s 1G big" 2>err; st=$?; } &&
	cat err && test $st = 113 && test "$(ls -A hostile)" = "" &&
	test "$(du -s . | cut -f1)" -lt 2000000 && clean
'
# A guest that takes the agent's place: the job (root in its VM) stops
# init under ptrace so that it cannot power off, kills the agent and
# answers on its vsock port itself (the agent's own listening socket,
# so the port is never closed), with a tar for each -o: one named
# ../evil, one with an absolute name, a link to /etc then a file through
# it, and 1 GiB of zeros.  Every copy is refused (113, or 111: the job's
# result is lost with the agent it killed), nothing is in DEST, nothing
# outside it.
cat >hostile.py <<'EOF'
import ctypes, io, os, socket, tarfile
def tar(*entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, link, data in entries:
            i = tarfile.TarInfo(name)
            if link:
                i.type, i.linkname = tarfile.SYMTYPE, link
                t.addfile(i)
            else:
                i.size = len(data)
                t.addfile(i, io.BytesIO(data))
    return b.getvalue()
answers = [
    tar(("../evil-t5104", None, b"pwned\n")),
    tar(("/tmp/abs-evil-t5104", None, b"pwned\n")),
    tar(("c", "/etc", None), ("c/passwd-t5104", None, b"pwned\n")),
]
def zeros(c):
    i = tarfile.TarInfo("d")
    i.size = 1 << 30
    c.sendall(b"%x\r\n" % 512 + i.tobuf(format=tarfile.USTAR_FORMAT) + b"\r\n")
    z = b"%x\r\n" % (1 << 16) + bytes(1 << 16) + b"\r\n"
    for _ in range(1 << 14):
        c.sendall(z)
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork():
        os._exit(0)
    n = os.open("/dev/null", os.O_RDWR)
    for fd in 0, 1, 2:
        os.dup2(n, fd)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, 1, None, None) != 0:  # PTRACE_ATTACH init
        os._exit(1)
    os.waitpid(1, 0x40000000)  # __WALL
    agent = s = None
    for p in os.listdir("/proc"):
        try:
            st = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        if "(guest-agent)" in st and st.split(") ")[1].split()[1] == "1":
            agent = int(p)
    # Its listening socket, taken before it dies (pidfd_getfd): no
    # moment when the port is closed, for husk to find it refused.
    pfd = os.pidfd_open(agent)
    why = []
    for fd in os.listdir("/proc/%d/fd" % agent):
        n = libc.syscall(438, pfd, int(fd), 0)  # pidfd_getfd
        if n < 0:
            why.append("%s: errno %d" % (fd, ctypes.get_errno()))
            continue
        try:
            c = socket.socket(fileno=n)
        except OSError as e:
            why.append("%s: %s" % (fd, e))
            os.close(n)
            continue
        why.append("%s: %s %s" % (fd, c.family, c.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)))
        if c.family == socket.AF_VSOCK and c.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            s = c
            break
        c.close()
    os.kill(agent, 9)
    if s:
        s.setblocking(True)  # the agent's is not
    os.write(w, b"up" if s else ("no listening socket: " + ", ".join(why)).encode())
    if not s:
        os._exit(1)
    k = 0
    while True:
        c, _ = s.accept()
        try:
            q = b""
            while b"\r\n\r\n" not in q:
                q += c.recv(4096)
            if b"/files" not in q.split(b"\r\n")[0]:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            else:
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                if k < len(answers):
                    a = answers[k]
                    c.sendall(b"%x\r\n" % len(a) + a + b"\r\n0\r\n\r\n")
                else:
                    zeros(c)
                k += 1
        except OSError:
            pass
        c.close()
os.close(w)
print(os.read(r, 4096).decode())
EOF
test_expect_success 'a guest in the agent'"'"'s place: ../evil, an absolute name, a link out, 1 GiB: all refused' '
	test -f "$HUSK_IMAGES/python3/current.cpio.gz" &&
	mkdir -p sub/dest && ls -A /etc /tmp >before &&
	(cd sub && HUSK_OUTPUT_MAX=16777216 husk run -l python3 -f ../hostile.py \
	    -o a:dest -o b:dest -o c:dest -o d:dest >../out 2>../err); st=$?;
	cat err; echo "exit $st" &&
	{ test $st = 113 || test $st = 111; } &&
	grep -q "unable to extract \.\./evil-t5104: not a clean relative name" err &&
	grep -q "unable to extract /tmp/abs-evil-t5104: not a clean relative name" err &&
	grep -q "unable to extract c: its link leads out of the tree" err &&
	grep -q "unable to extract d: more than 16777216 bytes" err &&
	test $(grep -c "unable to copy /tmp/[abcd] out of the job" err) = 4 &&
	test "$(ls -A sub/dest)" = "" && test ! -e sub/evil-t5104 && test ! -e evil-t5104 &&
	test ! -e /tmp/abs-evil-t5104 && test ! -e /etc/passwd-t5104 &&
	ls -A /etc /tmp >after && test_cmp before after && clean
'
test_expect_success 'a failed job keeps its status when its copy fails too' '
	{ husk run -o nothing-here -- sh -c "exit 4" 2>err; st=$?; } &&
	echo "exit $st" && cat err &&
	test $st = 4 && grep -q "unable to copy /tmp/nothing-here out of the job" err && clean
'
figures
test_done
