# agent-lib.sh: start a guest-agent on loopback for a test (sourced after
# test-lib.sh).  agent_start NAME [options]: runs it in the background,
# waits for it to listen, and sets $A to its address.
agent_start() {
	log=$1.log; shift
	bg guest-agent -l 127.0.0.1:0 "$@" 2>"$log"
	agent_pid=$!
	wait_for "grep -q 'listening on' $log" 10 || return 1
	A=$(sed -n 's/.*listening on //p' "$log")
}

# post PATH JSON [curl options]: the body, then the status on a last line.
post() {
	p=$1 d=$2; shift 2
	curl -s -w '\n%{http_code}\n' "$@" --data-binary "$d" "http://$A$p"
}

# The exact stdout of a record on stdin (stdout_b64 if there, else stdout,
# which then has no escapes in these tests).
field() {
	python3 -c '
import json, sys, base64
r = json.loads(sys.stdin.readline())
k = sys.argv[1]
if k + "_b64" in r:
    sys.stdout.buffer.write(base64.b64decode(r[k + "_b64"]))
else:
    v = r[k]
    sys.stdout.write(v if isinstance(v, str) else json.dumps(v))
' "$1"
}
