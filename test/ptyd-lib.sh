# ptyd-lib.sh: sourced by the ptyd tests after test-lib.sh.
WS="python3 $HUSK_ROOT/test/ptyd-ws.py"

# ptyd_start NAME [option...]: ptyd on 127.0.0.1:0, log in NAME.log; sets
# ADDR (host:port) and URL.
ptyd_start() {
	name=$1; shift
	bg ptyd -l 127.0.0.1:0 "$@" 2>"$name.log"
	wait_for "grep -q 'listening on' $name.log" || return 1
	ADDR=$(sed -n 's|.*listening on https*://||p' "$name.log" | head -n 1)
	URL=http://$ADDR
}

# req METHOD PATH [BODY] [curl option...]: the body on stdout, the status
# in the file code.  A body goes as application/json, as ptyd requires.
req() {
	m=$1 p=$2; shift 2
	if [ $# -gt 0 ]; then
		b=$1; shift
		[ -n "$b" ] && set -- -H "Content-Type: application/json" "$@"
		set -- -d "$b" "$@"
	fi
	curl -sS -o body -w '%{http_code}' -X "$m" "$@" "$URL$p" >code || return 1
	cat body
}

# new_session JSON [curl option...]: create one, print its id.
new_session() {
	req POST /terminals "$@" >created &&
	test "$(cat code)" = 201 &&
	sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' created
}

# field NAME: from a JSON object on stdin (python, to read it exactly).
field() {
	python3 -c 'import json, sys; v = json.load(sys.stdin)[sys.argv[1]]; print(json.dumps(v))' "$1"
}

# cmd_json ARG...: {"command":[ARG,...]}, for commands whose quoting
# would not survive shell and JSON escapes.
cmd_json() {
	python3 -c 'import json, sys; print(json.dumps({"command": sys.argv[1:]}))' "$@"
}
