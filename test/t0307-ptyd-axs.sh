#!/bin/sh
# ptyd: what acodex_server (axs) clients use: POST /execute-command,
# GET /status, and attach with ?input=text.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"

echo "tok-0123456789abcdef" >token
T=tok-0123456789abcdef
AUTH="Authorization: Bearer $T"

# ex JSON [curl option...]: POST /execute-command with the token; the
# answer in res, the status in code.
ex() {
	b=$1; shift
	req POST /execute-command "$b" -H "$AUTH" "$@" >res
}

test_expect_success 'start ptyd with a token and an origin list' '
	ptyd_start d --token token --origin "https://good.example" &&
	dpid=$(tail -n 1 "$TRASH/.bg_pids")
'

test_expect_success 'execute-command: output, exit code, cwd; colors and a cursor move stripped' '
	mkdir -p wd &&
	ex "{\"command\":\"printf \\\"\\\\033[1;31mred\\\\033[0m \\\\033[5;10Hmoved\\\\n\\\"; pwd; exit 3\",\"cwd\":\"$TRASH/wd\"}" &&
	test "$(cat code)" = 200 &&
	python3 -c "
import json, sys
r = json.load(open(\"res\"))
assert r[\"output\"] == \"red moved\n$TRASH/wd\n\", r
assert r[\"exit_code\"] == 3 and r[\"signal\"] is None, r
assert r[\"timed_out\"] is False and r[\"truncated\"] is False, r
assert \"output_b64\" not in r, r
"
'

test_expect_success 'output that is not UTF-8: U+FFFD, and the bytes in output_b64' '
	ex "{\"command\":\"printf \\\"\\\\377ok\\\"\"}" && test "$(cat code)" = 200 &&
	python3 -c "
import json, base64
r = json.load(open(\"res\"))
assert r[\"output\"] == \"\ufffdok\", r
assert base64.b64decode(r[\"output_b64\"]) == b\"\xffok\", r
"
'

test_expect_success 'the time limit kills the group, a child left behind too' '
	rm -f bgpid &&
	t0=$(date +%s) &&
	ex "{\"command\":\"sleep 100 & echo \$! >$TRASH/bgpid; echo started; sleep 100\",\"timeout\":1}" &&
	test "$(cat code)" = 200 &&
	test $(( $(date +%s) - t0 )) -lt 10 &&
	python3 -c "
import json
r = json.load(open(\"res\"))
assert r[\"timed_out\"] is True and r[\"exit_code\"] is None, r
assert r[\"signal\"] == \"SIGKILL\" and r[\"output\"] == \"started\n\", r
" &&
	test -s bgpid &&
	wait_for "! kill -0 $(cat bgpid) 2>/dev/null" 5
'

test_expect_success 'a command waited for does not hold the server: /health answers meanwhile' '
	rm -f slow.started &&
	{ curl -sS -H "$AUTH" -H "Content-Type: application/json" \
	    -d "{\"command\":\"touch $TRASH/slow.started; sleep 2; echo slow-done\"}" \
	    -o slow.res "$URL/execute-command" & } &&
	slow=$! &&
	wait_for "test -e slow.started" &&
	req GET /health >h && test "$(cat code)" = 200 &&
	test ! -s slow.res &&
	wait $slow &&
	grep -q "slow-done" slow.res
'

test_expect_success 'a client gone before the answer: its command is killed' '
	rm -f bgpid &&
	{ curl -sS -m 1 -H "$AUTH" -H "Content-Type: application/json" \
	    -d "{\"command\":\"sleep 100 & echo \$! >$TRASH/bgpid; sleep 100\",\"timeout\":60}" \
	    -o gone.res "$URL/execute-command"; test $? = 28; } &&
	test -s bgpid &&
	wait_for "! kill -0 $(cat bgpid) 2>/dev/null" 5 &&
	wait_for "req GET /status \"\" -H \"\$AUTH\" | field commands | grep -qx 0" 5
'

test_expect_success 'bad cwd, no command, bad timeout: 400' '
	ex "{\"command\":\"true\",\"cwd\":\"/nonexistent\"}" &&
	test "$(cat code)" = 400 && grep -q "unable to change directory" res &&
	for b in "{}" "{\"command\":\"\"}" "{\"command\":[\"true\"]}" "{\"command\":\"true\",\"timeout\":0}" "{\"command\":\"true\",\"timeout\":\"5\"}" "{\"command\":\"true\",\"cwd\":5}" "[1]"; do
		ex "$b" && test "$(cat code)" = 400 && grep -q "^{\"error\":" res ||
		{ echo "body $b: $(cat code) $(cat res)"; return 1; }
	done
'

test_expect_success 'no token 401, foreign Origin or Host 403, not JSON 415: nothing runs' '
	rm -f ran &&
	req POST /execute-command "{\"command\":\"touch $TRASH/ran\"}" >res &&
	test "$(cat code)" = 401 &&
	ex "{\"command\":\"touch $TRASH/ran\"}" -H "Origin: https://evil.example" &&
	test "$(cat code)" = 403 && grep -q "origin not allowed" res &&
	ex "{\"command\":\"touch $TRASH/ran\"}" -H "Host: rebound.example" &&
	test "$(cat code)" = 403 && grep -q "host not allowed" res &&
	curl -sS -o res -w "%{http_code}" -H "$AUTH" -H "Content-Type: text/plain" \
	    -d "{\"command\":\"touch $TRASH/ran\"}" "$URL/execute-command" >code &&
	test "$(cat code)" = 415 &&
	ex "{\"command\":\"echo listed-origin\"}" -H "Origin: https://good.example" &&
	test "$(cat code)" = 200 && grep -q listed-origin res &&
	test ! -e ran
'

test_expect_success 'output bounded: 1 MiB kept, the rest dropped, truncated' '
	ex "{\"command\":\"head -c 3000000 /dev/zero | tr \\\"\\\\\\\\0\\\" x; echo; echo tail-end\"}" &&
	test "$(cat code)" = 200 &&
	python3 -c "
import json
r = json.load(open(\"res\"))
assert r[\"truncated\"] is True and r[\"exit_code\"] == 0, (r[\"truncated\"], r[\"exit_code\"])
o = r[\"output\"]
assert len(o) == 1048576 and set(o) == {\"x\"}, len(o)
"
'

test_expect_success 'GET /status: version, uptime_s, sessions counted as they come and go' '
	req GET /status "" -H "$AUTH" >st && test "$(cat code)" = 200 &&
	python3 -c "
import json
r = json.load(open(\"st\"))
assert isinstance(r[\"version\"], str) and r[\"version\"], r
assert isinstance(r[\"uptime_s\"], int) and r[\"uptime_s\"] >= 0, r
assert r[\"sessions\"] == 0, r
" &&
	id=$(new_session "{\"command\":\"sleep 30\"}" -H "$AUTH") &&
	req GET /status "" -H "$AUTH" | field sessions >n && echo 1 | test_cmp - n &&
	req POST /terminals/$id/terminate "" -H "$AUTH" &&
	test "$(cat code)" = 202 &&
	$WS --token $T --for 10 $ADDR $id >/dev/null 2>ev && grep -qx "close 1000" ev &&
	wait_for "req GET /status \"\" -H \"\$AUTH\" | field sessions | grep -qx 0" 5 &&
	req GET /status >e && test "$(cat code)" = 401 &&
	req GET /status "" -H "$AUTH" -H "Origin: https://evil.example" &&
	test "$(cat code)" = 403
'

RESIZE='{"type":"resize","cols":10,"rows":5}'

test_expect_success '?input=text: text frames are keystrokes, a control object too' '
	id=$(new_session "{\"command\":\"stty raw -echo; echo ready; exec cat\"}" -H "$AUTH") &&
	echo $id >cat.id &&
	$WS --token $T --for 10 --query input=text --after ready \
	    --text "typed-as-text " --text "$RESIZE" --until "$RESIZE" \
	    $ADDR $id >out 2>ev &&
	grep -q "typed-as-text $RESIZE" out &&
	! grep -q error ev &&
	req GET /terminals/$id "" -H "$AUTH" >s &&
	python3 -c "
import json
r = json.load(open(\"s\"))
assert (r[\"cols\"], r[\"rows\"]) == (80, 24), r
"
'

test_expect_success '?input=text: resize through POST /terminals/ID/resize' '
	id=$(cat cat.id) &&
	req POST /terminals/$id/resize "{\"cols\":100,\"rows\":40}" -H "$AUTH" >s &&
	test "$(cat code)" = 200 && field cols <s | grep -qx 100
'

test_expect_success 'the default: a text frame is a control message, not JSON is an error' '
	id=$(cat cat.id) &&
	$WS --token $T --for 10 --text "$RESIZE" --text "not-json" \
	    --until-event "invalid JSON" $ADDR $id >out 2>ev &&
	grep -qx "{\"type\":\"error\",\"error\":\"invalid JSON\"}" ev &&
	! grep -q not-json out &&
	req GET /terminals/$id "" -H "$AUTH" >s &&
	field cols <s | grep -qx 10 && field rows <s | grep -qx 5
'

test_expect_success 'an unknown input mode is 400' '
	$WS --token $T --query input=bytes --status $ADDR $(cat cat.id) >s &&
	test "$(cat s)" = 400 &&
	$WS --token $T --query "x=1&input=json" --status $ADDR $(cat cat.id) >s &&
	test "$(cat s)" = 101
'

# Found by an attacker's read: a child that let go of the terminal and
# ignores SIGHUP outlived its command's answer and time limit, in the
# command's own group.  It goes when the command exits.
test_expect_success 'execute-command: a child left in its group goes when the command exits' '
	ex "{\"command\":\"trap \\\"\\\" HUP; sleep 30 </dev/null >/dev/null 2>&1 & echo \$!\",\"timeout\":60}" &&
	test "$(cat code)" = 200 &&
	pid=$(python3 -c "import json; print(json.load(open(\"res\"))[\"output\"].strip())") &&
	test -n "$pid" && wait_for "! kill -0 $pid 2>/dev/null" 5 || { kill $pid 2>/dev/null; false; }
'
test_expect_success 'execute-command counts against --max-sessions: 503' '
	ptyd_start max --token token --max-sessions 1 &&
	new_session "{\"command\":\"sleep 30\"}" -H "$AUTH" >/dev/null &&
	ex "{\"command\":\"echo no-room\"}" && test "$(cat code)" = 503 &&
	grep -q "too many sessions" res
'

test_done
