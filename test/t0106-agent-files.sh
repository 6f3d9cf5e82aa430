#!/bin/sh
# guest-agent GET and PUT /files, and call get and put: a tree both ways
# with its modes and links, replacing what DEST holds; and a hostile agent
# whose tars are refused with nothing left in DEST nor written outside it.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

mkdir work
agent_start agent -w "$PWD/work"

# A tree of 500 files in 10 directories, modes mixed, inner links.
mkdir -p src
for d in 0 1 2 3 4 5 6 7 8 9; do
	mkdir src/d$d
	i=0
	while [ $i -lt 50 ]; do
		printf 'file %s %s\n' $d $i >src/d$d/f$i
		head -c $((i * 37)) /dev/urandom >>src/d$d/f$i
		set -- 600 644 755 700 444
		shift $((i % 5))
		chmod "$1" src/d$d/f$i
		i=$((i + 1))
	done
	ln -s f1 src/d$d/l1
	ln -s ../d0/f2 src/d$d/up
done
chmod 750 src/d3
chmod 1777 src/d4
ln -s d0 src/ld

# Names, types, modes and link targets, then each file's sha256.
manifest() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
	find . -type f -exec sha256sum {} + | LC_ALL=C sort -k 2)
}
manifest src >want

test_expect_success 'get: a tree of 500 files comes whole (umask 0: every mode as it was)' '
	mkdir dest && umask 0 &&
	guest-agent call "$A" get "$PWD/src" dest && umask 022 &&
	manifest dest/src >got && test_cmp want got &&
	test "$(ls -A dest)" = src
'

# The other side chooses the modes: the copy takes them less the umask,
# so a guest cannot leave what it sends writable by every local user.
test_expect_success 'get: modes less the umask (022: the 1777 folder arrives 1755)' '
	mkdir destu && (umask 022 && guest-agent call "$A" get "$PWD/src" destu) &&
	test "$(stat -c %a destu/src/d4)" = 1755 &&
	test "$(find destu -perm /022 ! -type l | wc -l)" = 0
'
test_expect_success 'put: the same tree into a new guest directory' '
	guest-agent call "$A" put src "$PWD/guest/in" >out &&
	grep -q "^{\"files\":532,\"bytes\":" out &&
	manifest guest/in/src >got && test_cmp want got &&
	test "$(ls -A guest/in)" = src
'

test_expect_success 'get: a single file, into a file of that name' '
	echo old >dest/f0 &&
	guest-agent call "$A" get "$PWD/src/d1/f0" dest &&
	cmp src/d1/f0 dest/f0 &&
	test "$(stat -c %a dest/f0)" = 600
'

test_expect_success 'get: a directory replaces the one there, stale files gone' '
	mkdir -p dest2/src/d0 && echo stale >dest2/src/stale &&
	echo stale >dest2/src/d0/f1 &&
	(umask 0 && guest-agent call "$A" get "$PWD/src" dest2) &&
	manifest dest2/src >got && test_cmp want got &&
	test "$(ls -A dest2)" = src
'

test_expect_success 'put PATH GUESTDIR NAME: the tree under another name, -x left out' '
	guest-agent call -x d1 -x "f4*" "$A" put src "$PWD/g3" job >out &&
	test -d g3/job/d0 && test ! -e g3/job/d1 && test ! -e g3/job/d0/f4 &&
	test ! -e g3/job/d2/f40 && test -f g3/job/d2/f5 && test "$(ls -A g3)" = job &&
	{ guest-agent call "$A" put src "$PWD/g3" a/b 2>err; test $? = 100; } &&
	{ guest-agent call -x d1 "$A" get "$PWD/src" g3 2>err; test $? = 100; }
'
test_expect_success 'put: a link out of the tree stays a link (the host is trusted)' '
	mkdir -p lk && ln -sf /etc/passwd lk/out && ln -sf ../../x lk/up &&
	guest-agent call "$A" put lk "$PWD/g4" >out &&
	test "$(readlink g4/lk/out)" = /etc/passwd && test "$(readlink g4/lk/up)" = ../../x
'
test_expect_success 'put: a body past the 16 MiB of other requests, streamed' '
	mkdir big && head -c 20000000 /dev/urandom >big/f &&
	guest-agent call "$A" put big "$PWD/guest" >out &&
	grep -q "^{\"files\":2,\"bytes\":20000000}" out &&
	cmp big/f guest/big/f
'

# A tar with ../evil in it, PUT as curl sends it (Expect: 100-continue).
python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT)
for n in ("ok", "../evil"):
    i = tarfile.TarInfo(n)
    i.size = 3
    t.addfile(i, io.BytesIO(b"x\n\n"))
t.close()' evil.tar
test_expect_success 'PUT: an archive with ../evil is 400, nothing of it kept' '
	mkdir putdir &&
	curl -s -H "Expect: 100-continue" -T evil.tar -w "%{http_code}\n" \
	    "http://$A/files?path=$PWD/putdir" >out &&
	grep -q "not a clean relative name" out && tail -n 1 out >code &&
	echo 400 >want && test_cmp want code &&
	test_empty putdir && ! test -e evil
'

test_expect_code 100 'get: a missing path is 404, exit 100' \
	'guest-agent call "$A" get "$PWD/nothing" dest' '404 Not Found'
test_expect_code 100 'get: a relative path is 400, exit 100' \
	'guest-agent call "$A" get src dest' '400 Bad Request'
test_expect_code 100 'get: a fifo in the tree is refused with its name' \
	'mkdir -p fifo/d && mkfifo fifo/d/p &&
	guest-agent call "$A" get "$PWD/fifo" dest' 'd/p: a fifo'
test_expect_success 'nothing of a failed get is left in dest' '
	test "$(ls -A dest | LC_ALL=C sort | tr "\n" " ")" = "f0 src "
'
test_expect_success 'the workers are done: no job counts' '
	guest-agent call "$A" health | grep -q "\"jobs\":0,"
'

# An agent of one slot, taken by a job: a /files request gets 429.
busy() {
	guest-agent call "$B" health | grep -q '"jobs":1,'
}
A0=$A
agent_start one -j 1 -w "$PWD/work"
B=$A A=$A0
bg guest-agent call "$B" exec sleep 5 >/dev/null 2>&1
test_expect_success 'a /files request counts against -j as a job does' '
	wait_for busy &&
	{ guest-agent call -n 1 "$B" get "$PWD/src/d1/f0" dest2 2>err;
	  test $? = 111; } && grep -q "429 Too Many Requests" err &&
	{ guest-agent call -n 1 "$B" put src/d1/f0 "$PWD/guest" 2>err;
	  test $? = 111; } && grep -q "429 Too Many Requests" err
'

# A hostile agent: each path gets a tar it should never send.
cat >fake.py <<'PY'
import io, socket, sys, tarfile
def tar(entries, end=True):
    b = io.BytesIO()
    t = tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT)
    for name, kind, arg in entries:
        i = tarfile.TarInfo(name)
        if kind == "f":
            i.size = len(arg)
            t.addfile(i, io.BytesIO(arg))
        else:
            i.type = tarfile.SYMTYPE if kind == "l" else tarfile.DIRTYPE
            i.linkname = arg or ""
            t.addfile(i)
    data = b.getvalue()
    t.close()
    return b.getvalue() if end else data
tars = {
    "evil": tar([("x", "d", None), ("../evil", "f", b"evil\n")]),
    "abs": tar([("x", "d", None), (sys.argv[2], "f", b"abs\n")]),
    "etc": tar([("x", "d", None), ("x/etc", "l", "/etc"),
                ("x/etc/passwd", "f", b"root::0:0::/:/bin/sh\n")]),
    "inner": tar([("x", "d", None), ("x/s", "l", ".."),
                  ("x/up", "l", "s/../.."),
                  ("x/up/husk-evil", "f", b"evil\n")]),
    "two": tar([("x", "f", b"x\n"), ("y", "f", b"y\n")]),
    "trunc": tar([("x", "f", b"x\n")], end=False),
}
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write("127.0.0.1:%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            break
        req += d
    name = req.split(b" ")[1].decode().split("path=")[1].split("&")[0]
    name = name[name.rindex("/") + 1:]
    try:
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                  b"Connection: close\r\n\r\n")
        if name == "stall":
            data = tar([("stall", "d", None), ("stall/f", "f", b"x\n")],
                       end=False)
            c.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            c.recv(1)
        elif name == "zeros":
            h = tarfile.TarInfo("zeros")
            h.size = 1 << 30
            data = h.tobuf(tarfile.USTAR_FORMAT)
            c.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            z = b"\0" * 65536
            for i in range(16384):
                c.sendall(b"%x\r\n%s\r\n" % (len(z), z))
        else:
            data = tars[name]
            c.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
    except OSError:
        pass
    c.close()
PY
mkdir -p hostile/dest
bg python3 fake.py fake.addr "$PWD/hostile/abs"
wait_for 'test -s fake.addr' 10
F=$(cat fake.addr)

while read -r case why; do
	test_expect_code 101 "a hostile tar ($case) is refused, exit 101" \
		"guest-agent call -m 16777216 '$F' get /h/$case hostile/dest" \
		"$why"
	test_expect_success "nothing of it is left in dest ($case)" \
		'test_empty hostile/dest'
done <<'EOF2'
evil unable to extract \.\./evil: not a clean relative name
abs unable to extract /.*/abs: not a clean relative name
etc unable to extract x/etc: its link leads out of the tree
inner unable to extract x/up: its link leads out of the tree
two the archive holds other than two
trunc it ends before its end blocks
zeros unable to extract zeros: more than 16777216 bytes
EOF2
# A copy stopped by a signal (Ctrl-C, a CI runner's TERM) while the
# other side stalls: its temp directory goes too.
for sig in INT TERM; do
	test_expect_success "call get stopped by SIG$sig: 128+N, nothing left in dest" '
		guest-agent call -t 20000 "$F" get /h/stall hostile/dest 2>err &
		g=$! &&
		wait_for "test -f hostile/dest/.husk-get-*/stall/f" 10 &&
		kill -$sig $g; wait $g; st=$?;
		case $sig in INT) test $st = 130 ;; TERM) test $st = 143 ;; esac &&
		grep -q "stopped by signal" err && test_empty hostile/dest
	'
done
test_expect_success 'nothing was written outside dest' '
	test "$(ls -A hostile)" = dest && ! test -e evil &&
	! test -e husk-evil && ! test -e /etc/husk-evil
'

test_done
