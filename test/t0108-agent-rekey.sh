#!/bin/sh
# guest-agent POST /rekey and call rekey: a new token at once in place of
# the old, entropy added; a request refused for its token, its body or
# the kernel changes nothing.  (A restored agent, -S, needs vmrun's
# snapshot port: test/unit/t-agent-restored has its 409 before a rekey,
# t-agent-rekey the port and the clock, faked; the VM rig the real ones.)
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

# The kernel takes entropy (RNDADDENTROPY) from CAP_SYS_ADMIN only: as
# another user every rekey is refused, as the last tests show.
if [ "$(id -u)" != 0 ]; then
	test_skip 'POST /rekey and call rekey' 'adding entropy needs root'
	test_done
fi

mkdir work
echo s3cret >old
echo n3w-token >new
echo 0th3r-token >other
echo 'two words' >spaced
agent_start agent -k old -w "$PWD/work"

ent=$(head -c 64 /dev/urandom | base64 -w 0)
now=$(date +%s).000000000

# rekey AUTH BODY: the status of POST /rekey with that bearer token.
rekey() {
	post /rekey "$2" -H "Authorization: Bearer $1" | tail -n 1
}
# The token in file $1 is the agent's: an authenticated route takes it.
takes() { guest-agent call -k "$1" "$A" exec true; }
# ... and not: 401, call's status 100.
refuses() {
	{ guest-agent call -k "$1" "$A" exec true 2>err; test $? = 100; } &&
	grep -q "401 Unauthorized" err
}

test_expect_success 'call rekey: 200, then the old token gets 401 and the new one works' '
	guest-agent call -k old "$A" rekey new >got &&
	echo "{\"status\":\"rekeyed\"}" >want && test_cmp want got &&
	refuses old && takes new
'
test_expect_success 'a rekey with a wrong token gets 401 and changes nothing' '
	test "$(rekey s3cret "{\"token\":\"x0th3r-token\",\"entropy_b64\":\"$ent\",\"time\":\"$now\"}")" = 401 &&
	{ guest-agent call -k other "$A" rekey old 2>err; test $? = 100; } &&
	grep -q "401 Unauthorized" err &&
	{ guest-agent call "$A" rekey old 2>err; test $? = 100; } &&
	takes new && refuses old
'
i=0
for body in \
    "{\"token\":\"\",\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"token\":\"two words\",\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"token\":\"tab\\tin\",\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"token\":\"nul\\u0000in\",\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"token\":\"$(printf '%0257d' 0)\",\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"token\":7,\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"entropy_b64\":\"$ent\",\"time\":\"$now\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"not base64!\",\"time\":\"$now\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$(head -c 31 /dev/urandom | base64 -w 0)\",\"time\":\"$now\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$(head -c 513 /dev/urandom | base64 -w 0)\",\"time\":\"$now\"}" \
    "{\"token\":\"0th3r-token\",\"entropy\":\"abcdefghijklmnopqrstuvwxyz0123456789\",\"time\":\"$now\"}" \
    "{\"token\":\"0th3r-token\",\"time\":\"$now\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$ent\",\"time\":\"12\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$ent\",\"time\":\"12.5\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$ent\",\"time\":\"-1.000000000\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$ent\",\"time\":$now}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$ent\"}" \
    "{\"token\":\"0th3r-token\",\"entropy_b64\":\"$ent\",\"time\":\"$now\",\"x\":1}" \
    "[\"0th3r-token\"]" \
    "{bad"; do
	i=$((i + 1))
	printf '%s\n' "$body" >body$i
	test_expect_success "a malformed new token or entropy, or body, gets 400 and changes nothing ($i)" '
		test "$(rekey n3w-token "$(cat body$i)")" = 400 &&
		takes new && refuses other
	'
done
test_expect_success 'the 400 says what is wrong' '
	post /rekey "$(cat body2)" -H "Authorization: Bearer n3w-token" >got &&
	grep -q "unable to use token: not printable" got &&
	post /rekey "$(cat body9)" -H "Authorization: Bearer n3w-token" >got &&
	grep -q "entropy_b64 is missing, not base64, or not 32 to 512 bytes" got
'
test_expect_success 'call rekey takes the new token by -k rules: a bad file sends nothing' '
	{ guest-agent call -k new "$A" rekey spaced 2>err; test $? = 100; } &&
	grep -q "unable to use token from spaced: not printable" err &&
	{ guest-agent call -k new "$A" rekey missing 2>err; test $? = 111; } &&
	takes new
'
test_expect_success 'a rekey twice, and back: each token works only in its turn' '
	guest-agent call -k new "$A" rekey other >/dev/null &&
	refuses new && takes other &&
	guest-agent call -k other "$A" rekey new >/dev/null &&
	refuses other && takes new
'
test_expect_code 100 'call rekey takes one operand' \
	'guest-agent call -k new "$A" rekey new other'

# What call rekey sends: caught by a one-shot server of our own.
cat >catch.py <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1] + ".tmp", "w").write("127.0.0.1:%d" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
data = b""
while b"\r\n\r\n" not in data:
    data += c.recv(65536)
head, body = data.split(b"\r\n\r\n", 1)
n = int([l.split(b":")[1] for l in head.split(b"\r\n")
         if l.lower().startswith(b"content-length:")][0])
while len(body) < n:
    body += c.recv(65536)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
c.close()
sys.stdout.buffer.write(head + b"\r\n\r\n" + body)
PY
cat >check.py <<'PY'
import base64, json, sys, time
head, body = open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)
assert b"POST /rekey HTTP/1.1" in head, head
assert b"Authorization: Bearer s3cret" in head, head
r = json.loads(body)
assert sorted(r) == ["entropy_b64", "time", "token"], r
assert r["token"] == "n3w-token", r
e = base64.b64decode(r["entropy_b64"], validate=True)
assert len(e) == 64, len(e)
sec, ns = r["time"].split(".")
assert len(ns) == 9 and abs(int(sec) + int(ns) / 1e9 - time.time()) < 60, r
print(r["entropy_b64"])
PY
for k in 1 2; do
	test_expect_success "call rekey sends the token, 64 random bytes and the time ($k)" '
		bg python3 catch.py addr$k >req$k &&
		wait_for "test -f addr$k" &&
		guest-agent call -k old "$(cat addr$k)" rekey new &&
		wait_for "test -s req$k" && python3 check.py req$k >ent$k
	'
done
test_expect_success 'each call rekey sends entropy of its own' '
	test -s ent1 && test -s ent2 && ! cmp -s ent1 ent2
'

# The kernel refusing the entropy (no CAP_SYS_ADMIN): nothing changes.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	test_skip 'entropy the kernel refuses: an error, and nothing changes' \
	    'needs root and setpriv to drop CAP_SYS_ADMIN'
	test_skip 'without CAP_SYS_RAWIO, -S is a fatal setup error' \
	    'needs root and setpriv to drop CAP_SYS_RAWIO'
else
	B=$A
	bg setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	    guest-agent -l 127.0.0.1:0 -k old -w "$PWD/work" 2>weak.log
	wait_for "grep -q 'listening on' weak.log" 10 &&
	A=$(sed -n 's/.*listening on //p' weak.log)
	test_expect_success 'entropy the kernel refuses: an error, and nothing changes' '
		{ guest-agent call -n 1 -k old "$A" rekey new 2>err; test $? = 111; } &&
		grep -q "500 Internal Server Error.*unable to add entropy: Operation not permitted" err &&
		takes old && refuses new
	'
	A=$B
	# No snapshot port is read on a host: ioperm fails first (without
	# the capability, or ENOSYS in a kernel without it).
	test_expect_code 111 'without CAP_SYS_RAWIO, -S is a fatal setup error' \
	    'setpriv --inh-caps=-sys_rawio --bounding-set=-sys_rawio \
	    guest-agent -S -l 127.0.0.1:0 -w "$PWD/work"' \
	    '^guest-agent: fatal: unable to open I/O port 0x3f1: '
fi

test_expect_success 'the agent still serves: shutdown with the token it has now' '
	guest-agent call -k new "$A" shutdown >/dev/null &&
	wait_for "grep -q stopped agent.log" 10
'
agent_start open -w "$PWD/work"
test_expect_success 'a token-less agent takes one by rekey, then wants it' '
	guest-agent call "$A" exec true &&
	guest-agent call "$A" rekey new >/dev/null &&
	{ guest-agent call "$A" exec true 2>err; test $? = 100; } &&
	takes new
'
test_done
