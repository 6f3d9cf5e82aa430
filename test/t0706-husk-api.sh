#!/bin/sh
# husk api: jobs over HTTP in front of husk serve's relay queue, and husk
# go, its client.  No VM: the queued command is a stand-in for husk run
# (HUSK_API_RUN) that runs the code with this host's sh or python3.
. "$(dirname "$0")/test-lib.sh"

HUSK_STATE=$PWD/state
export HUSK_STATE
mkdir state

# The stand-in takes husk run's -l LANG [-t T] -f FILE.
cat >standin <<'EOS'
#!/bin/sh
while getopts l:t:f: o; do
	case $o in
	l) lang=$OPTARG ;; t) echo "timeout $OPTARG" >>"$0.t" ;; f) f=$OPTARG ;;
	*) exit 100 ;;
	esac
done
case $lang in
sh) exec sh "$f" ;;
python3) exec python3 "$f" ;;
*) echo "husk: fatal: unable to run language $lang" >&2; exit 100 ;;
esac
EOS
chmod +x standin
HUSK_API_RUN=$PWD/standin
export HUSK_API_RUN

# api_start NAME [options]: husk api on a free loopback port; $A its
# address.
api_start() {
	log=$1.log; shift
	bg husk api -l 127.0.0.1:0 "$@" 2>"$log"
	wait_for "grep -q 'listening on' $log" 10 || return 1
	A=$(sed -n 's/.*listening on //p' "$log")
}
# req METHOD PATH [curl options]: the body, then the status on a last line.
req() {
	m=$1 p=$2; shift 2
	curl -s -w '\n%{http_code}\n' -X "$m" "$@" "http://$A$p"
}
run() { req POST /run --data-binary "$1"; }
# field KEY: a member of the JSON object on stdin's first line.
field() {
	python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
v = r.get(sys.argv[1])
sys.stdout.write(v if isinstance(v, str) else json.dumps(v))
' "$1"
}
# done_status ID: the status once the job is over, in st.json.
done_status() {
	wait_for "req GET /status/$1 >st.json &&
		grep -Eq '\"status\":\"(done|error)\"' st.json" 20
}

if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
	test_skip 'husk api' 'needs curl and python3'
	test_done
fi

bg husk serve -j 2 2>serve.log
test_expect_success 'husk api listens on loopback' '
	wait_for "test -s state/relay/server.ready" &&
	api_start api
'

test_expect_success 'py alias: stdout 42, exit code 0' '
	run "{\"language\":\"py\",\"code\":\"print(6*7)\"}" >out &&
	test "$(tail -n 1 out)" = 202 &&
	id=$(field id <out) && test -n "$id" &&
	test -e state/relay/result/$id.code &&
	done_status $id &&
	test "$(field status <st.json)" = done &&
	test "$(field exit_code <st.json)" = 0 &&
	printf "42\n" >want && field stdout <st.json >got && test_cmp want got &&
	test "$(field stderr <st.json)" = ""
'

test_expect_success 'a shell job: stderr apart, exit code 3, timeout passed on' '
	run "{\"language\":\"bash\",\"code\":\"echo out; echo err >&2; exit 3\",\"timeout\":7}" >out &&
	test "$(tail -n 1 out)" = 202 &&
	id=$(field id <out) && done_status $id &&
	test "$(field status <st.json)" = done &&
	test "$(field exit_code <st.json)" = 3 &&
	test "$(field stdout <st.json)" = out &&
	test "$(field stderr <st.json)" = err &&
	grep -qx "timeout 7" standin.t
'

test_expect_success 'husk run failing on its own: status error' '
	run "{\"language\":\"lua\",\"code\":\"print(1)\"}" >out &&
	id=$(field id <out) && done_status $id &&
	test "$(field status <st.json)" = error &&
	test "$(field exit_code <st.json)" = 100 &&
	field stderr <st.json | grep -q "unable to run language lua"
'

# The code of a file as a /run body.
cat >quoted.sh <<'EOS'
printf '%s\n' "it's $HOME" \
	'a\b'
EOS
python3 -c 'import json, sys
print(json.dumps({"language": "sh", "code": open(sys.argv[1]).read()}))' \
	quoted.sh >quoted.json
test_expect_success 'code with quotes and newlines reaches the job unchanged' '
	req POST /run --data-binary @quoted.json >out &&
	id=$(field id <out) && done_status $id &&
	printf "%s\n" "it'\''s $HOME" "a\\b" >want &&
	field stdout <st.json >got && test_cmp want got
'

test_expect_success 'empty code: 400' '
	run "{\"language\":\"sh\",\"code\":\"\"}" >out &&
	test "$(tail -n 1 out)" = 400 &&
	test "$(field error <out)" = "empty code"
'

test_expect_success 'unknown language: 400 with the list' '
	run "{\"language\":\"rust\",\"code\":\"fn main(){}\"}" >out &&
	test "$(tail -n 1 out)" = 400 &&
	test "$(field languages <out)" = \
		"[\"sh\", \"bash\", \"python3\", \"python\", \"py\", \"lua\", \"c\", \"node\", \"js\"]"
'

test_expect_success 'not JSON, or no language: 400' '
	run "print(1)" >out && test "$(tail -n 1 out)" = 400 &&
	run "{\"code\":\"x\"}" >out && test "$(tail -n 1 out)" = 400 &&
	run "{\"language\":\"sh\",\"code\":\"x\",\"timeout\":0}" >out &&
	test "$(tail -n 1 out)" = 400
'

test_expect_success 'unknown id, unknown path, wrong method' '
	req GET /status/1.2-no-such >out && test "$(tail -n 1 out)" = 404 &&
	req GET /status/..%2fx >out && test "$(tail -n 1 out)" = 404 &&
	req DELETE /jobs/1.2-no-such >out && test "$(tail -n 1 out)" = 404 &&
	req GET /nope >out && test "$(tail -n 1 out)" = 404 &&
	req GET /run >out && test "$(tail -n 1 out)" = 405
'

test_expect_success 'cancel a long job: 202, then status error, exit 130' '
	run "{\"language\":\"sh\",\"code\":\"echo started; sleep 300\"}" >out &&
	id=$(field id <out) &&
	wait_for "req GET /status/$id | grep -q \"\\\"status\\\":\\\"running\\\"\"" &&
	req DELETE /jobs/$id >out && test "$(tail -n 1 out)" = 202 &&
	done_status $id &&
	test "$(field status <st.json)" = error &&
	test "$(field exit_code <st.json)" = 130 &&
	req DELETE /jobs/$id >out && test "$(tail -n 1 out)" = 409
'

test_expect_success 'cancel a queued job: 200, it never runs' '
	run "{\"language\":\"sh\",\"code\":\"sleep 300\"}" >a &&
	run "{\"language\":\"sh\",\"code\":\"sleep 300\"}" >b &&
	run "{\"language\":\"sh\",\"code\":\"touch ran\"}" >c &&
	id=$(field id <c) &&
	req GET /status/$id >out && test "$(field status <out)" = pending &&
	req DELETE /jobs/$id >out && test "$(tail -n 1 out)" = 200 &&
	test "$(field exit_code <out)" = 130 &&
	for f in a b; do
		req DELETE /jobs/$(field id <$f) >out || return 1
	done &&
	for f in a b; do done_status $(field id <$f) || return 1; done &&
	! test -e state/ran
'

test_expect_success 'a foreign Host: 403; an Origin: 403' '
	req GET /status/x -H "Host: evil.example" >out &&
	test "$(tail -n 1 out)" = 403 &&
	req POST /run -H "Origin: http://evil.example" \
		--data-binary "{\"language\":\"sh\",\"code\":\"touch ran\"}" >out &&
	test "$(tail -n 1 out)" = 403 &&
	req GET /status/1.2-x -H "Host: localhost:1" >out &&
	test "$(tail -n 1 out)" = 404
'

test_expect_success 'a body past the bound: 413, nothing queued' '
	python3 -c "import sys; sys.stdout.write(\"{\\\"language\\\":\\\"sh\\\",\\\"code\\\":\\\"\" + \"#\" * (2 << 20) + \"\\\"}\")" >big.json &&
	req POST /run --data-binary @big.json >out &&
	test "$(tail -n 1 out)" = 413 &&
	! ls state/relay/cmd/* 2>/dev/null
'

test_expect_success '70 idle connections: a request still gets in' '
	python3 -c "
import socket, subprocess, sys
host, port = sys.argv[1].rsplit(\":\", 1)
idle = [socket.create_connection((host, int(port))) for _ in range(70)]
r = subprocess.run([\"curl\", \"-s\", \"-o\", \"/dev/null\", \"-w\", \"%{http_code}\",
    \"http://%s/status/1.2-x\" % sys.argv[1]], capture_output=True, text=True)
print(r.stdout)
sys.exit(r.stdout != \"404\")
" "$A"
'

test_expect_success 'code past -m: 413' '
	api_start small -m 10 &&
	run "{\"language\":\"sh\",\"code\":\"echo 12345678901\"}" >out &&
	test "$(tail -n 1 out)" = 413
'

test_expect_code 100 'off loopback without -k: refused' \
	'husk api -l 0.0.0.0:0' \
	'^husk-api: fatal: unable to listen on 0\.0\.0\.0:0: a non-loopback address requires -k'

test_expect_success 'with -k: 401 without the token or with another' '
	echo "0123456789abcdefXYZ" >tok &&
	api_start tok -l 0.0.0.0:0 -k tok &&
	A=127.0.0.1:${A##*:} &&
	req GET /status/1.2-x >out && test "$(tail -n 1 out)" = 401 &&
	req GET /status/1.2-x -H "Authorization: Bearer 0123456789abcdefXYz" >out &&
	test "$(tail -n 1 out)" = 401 &&
	req GET /status/1.2-x -H "Authorization: Bearer 0123456789abcdefXYZ" >out &&
	test "$(tail -n 1 out)" = 404
'

# A flood of refused requests held open: each is answered (401, 403,
# 404 need no token) and lingers while its client keeps its end open;
# 64 of them every 2 s (32/s) once took every slot, and a client with the
# token got 503 (found by an attacker's read).  When all slots are
# taken, a lingering answered connection goes first.
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
    \"-H\", \"Authorization: Bearer 0123456789abcdefXYZ\",
    \"http://%s/status/1.2-x\" % sys.argv[1]], capture_output=True, text=True)
print(\"with the token:\", r.stdout)
sys.exit(r.stdout != \"404\")
" "$A"
'

test_expect_success 'husk go end to end: stdout, stderr, exit code' '
	husk go -b "http://$A" -k tok -l sh -c "echo hi; echo oops >&2; exit 5" \
		>out 2>err; test $? = 5 &&
	echo hi >want && test_cmp want out &&
	echo oops >want && test_cmp want err &&
	echo "print(6*7)" | husk go -b "http://$A" -k tok -l python -f - >out &&
	echo 42 >want && test_cmp want out
'

test_expect_code 100 'husk go: an unknown language says which are known' \
	'husk go -b "http://$A" -k tok -l rust -c x' \
	'unable to submit: 400 Bad Request: unknown language rust \(known: sh bash'

# husk-api resolves host names (lib/http's http_resolve, which
# guest-agent leaves unset); localhost resolves alike for both ends.
test_expect_success 'host names: husk api -l localhost:0, husk go -b http://localhost' '
	api_start names -l localhost:0 &&
	husk go -b "http://localhost:${A##*:}" -l sh -c "echo named" >out &&
	echo named >want && test_cmp want out
'

test_expect_success 'eviction: husk serve -K 1 removes the result and its code' '
	HUSK_STATE=$PWD/state2 && export HUSK_STATE && mkdir state2 &&
	bg husk serve -K 1 2>serve2.log &&
	wait_for "test -s state2/relay/server.ready" &&
	api_start api2 &&
	run "{\"language\":\"sh\",\"code\":\"echo x\"}" >out &&
	id=$(field id <out) && done_status $id &&
	wait_for "req GET /status/$id | tail -n 1 | grep -qx 404" 10 &&
	! ls state2/relay/result/$id.* 2>/dev/null
'

# -T: husk api removes its own results so long after their end, not the
# results of other commands (husk submit's, relay's); serve keeps all.
test_expect_success 'husk api -T 1 removes its results and their code, not a submitted one' '
	HUSK_STATE=$PWD/state3 && export HUSK_STATE && mkdir state3 &&
	bg husk serve 2>serve3.log &&
	wait_for "test -s state3/relay/server.ready" &&
	api_start api3 -T 1 &&
	other=$(relay -d state3/relay submit -- echo other) &&
	relay -d state3/relay wait $other >/dev/null &&
	run "{\"language\":\"sh\",\"code\":\"echo x\"}" >out &&
	id=$(field id <out) && done_status $id &&
	wait_for "req GET /status/$id | tail -n 1 | grep -qx 404" 10 &&
	! ls state3/relay/result/$id.* 2>/dev/null &&
	wait_for "grep -q \"removed 1 result\" api3.log" 10 &&
	test -f state3/relay/result/$other.exit
'

test_done
