#!/bin/sh
# husk-api with a token, flooded by refused requests held open: each is
# answered (401, 403, 404 need no token) and lingers while its client
# keeps its end open; 64 of them every 2 s (32/s) once took every slot,
# and a client with the token got 503 (found by an attacker's read).
# When all slots are taken, a lingering answered connection goes first.
. "$(dirname "$0")/test-lib.sh"

HUSK_STATE=$PWD/state
export HUSK_STATE
mkdir state
echo "tok-0123456789abcdef0123" >tok

if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
	test_skip 'husk api' 'needs curl and python3'
	test_done
fi

bg husk serve -j 1 2>serve.log
test_expect_success 'husk api with a token' '
	wait_for "test -s state/relay/server.ready" &&
	bg husk api -l 127.0.0.1:0 -k tok 2>api.log &&
	wait_for "grep -q \"listening on\" api.log" 10 &&
	sed -n "s/.*listening on //p" api.log >addr
'

test_expect_success '64 refused requests held open: a request with the token still gets in' '
	python3 -c "
import socket, subprocess, sys, time
host, port = sys.argv[1].rsplit(\":\", 1)
held = []
for _ in range(64):
    s = socket.create_connection((host, int(port)))
    s.sendall(b\"GET /status/x HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n\")
    held.append(s)
for s in held:
    s.settimeout(20)
    assert s.recv(4096).startswith(b\"HTTP/1.1 4\")
r = subprocess.run([\"curl\", \"-s\", \"-m\", \"20\", \"-o\", \"/dev/null\", \"-w\", \"%{http_code}\",
    \"-H\", \"Authorization: Bearer tok-0123456789abcdef0123\",
    \"http://%s/status/1.2-x\" % sys.argv[1]], capture_output=True, text=True)
print(\"with the token:\", r.stdout)
sys.exit(r.stdout != \"404\")
" "$(cat addr)"
'

test_done
